/* oscal_xml.c - the XML rendition of an OSCAL model (oscal_model.h), and
 * the bundle's three XML documents: oscal/assessment-results.xml,
 * oscal/assessment-plan.xml and oscal/catalog.xml (NIST OSCAL 1.0.6,
 * namespace http://csrc.nist.gov/ns/oscal/1.0), valid against NIST's
 * XSDs (copies in tests/data/oscal/).
 *
 * Guarantees: everything goes through libxml2's xmlTextWriter (escaping
 * done there) from values the model already cleaned; the output is
 * byte-identical for identical input. */
#include "report_gen.h"

#include <libxml/xmlwriter.h>

#include "oscal_model.h"

struct writer {
	xmlTextWriterPtr w;
	int bad; /* set by the first failing libxml2 call */
};

static void ok(struct writer *x, int rc)
{
	if (rc < 0)
		x->bad = 1;
}

static void put_node(struct writer *x, const struct ax_oscal_node *n, int root)
{
	if (root)
		ok(x, xmlTextWriterStartElementNS(x->w, NULL, BAD_CAST n->name, BAD_CAST AX_OSCAL_NS));
	else
		ok(x, xmlTextWriterStartElement(x->w, BAD_CAST n->name));
	for (size_t i = 0; i < n->nflags; i++)
		ok(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST n->flags[i].name, BAD_CAST n->flags[i].value));
	switch (n->kind) {
	case AX_OSCAL_ASSEMBLY:
		for (size_t i = 0; i < n->nkids; i++)
			put_node(x, n->kids[i], 0);
		break;
	case AX_OSCAL_FIELD:
	case AX_OSCAL_LINE: ok(x, xmlTextWriterWriteString(x->w, BAD_CAST n->text)); break;
	case AX_OSCAL_MULTILINE:
		ok(x, xmlTextWriterStartElement(x->w, BAD_CAST "p"));
		ok(x, xmlTextWriterWriteString(x->w, BAD_CAST n->text));
		ok(x, xmlTextWriterEndElement(x->w));
		break;
	}
	ok(x, xmlTextWriterEndElement(x->w));
}

int ax_oscal_write_xml(const struct ax_oscal_node *root, struct ax_buf *out)
{
	struct writer x = {0};
	xmlBufferPtr buf = xmlBufferCreate();
	int err = 0;

	if (!buf || !(x.w = xmlNewTextWriterMemory(buf, 0))) {
		err = ax_error_set("OSCAL: cannot create an XML writer");
		goto cleanup;
	}
	ok(&x, xmlTextWriterSetIndent(x.w, 1));
	ok(&x, xmlTextWriterSetIndentString(x.w, BAD_CAST " "));
	ok(&x, xmlTextWriterStartDocument(x.w, NULL, "UTF-8", NULL));
	put_node(&x, root, 1);
	ok(&x, xmlTextWriterEndDocument(x.w));
	xmlFreeTextWriter(x.w); /* flushes into buf */
	x.w = NULL;
	if (x.bad) {
		err = ax_error_set("OSCAL: libxml2 could not write the document");
		goto cleanup;
	}
	ax_buf_put(out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
cleanup:
	if (x.w)
		xmlFreeTextWriter(x.w);
	if (buf)
		xmlBufferFree(buf);
	return err;
}

int ax_oscal_xml(const struct ax_export_data *d, struct ax_buf *out)
{
	return ax_oscal_render(d, ax_oscal_results_build, ax_oscal_write_xml, out);
}

int ax_oscal_plan_xml(const struct ax_export_data *d, struct ax_buf *out)
{
	return ax_oscal_render(d, ax_oscal_plan_build, ax_oscal_write_xml, out);
}

int ax_oscal_catalog_xml(const struct ax_export_data *d, struct ax_buf *out)
{
	return ax_oscal_render(d, ax_oscal_catalog_build, ax_oscal_write_xml, out);
}
