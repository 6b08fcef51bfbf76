/* oscal.c - oscal/assessment-results.xml: PLACEHOLDER until the OSCAL
 * engineer's version lands. A minimal NIST OSCAL 1.0.6 assessment-results
 * document: metadata, an import-ap reference and one result covering the
 * period with every control reviewed. UUIDs derive from the export's data,
 * so the file is deterministic. */
#include "export.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static void esc(struct ax_buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': ax_buf_puts(out, "&lt;"); break;
		case '>': ax_buf_puts(out, "&gt;"); break;
		case '&': ax_buf_puts(out, "&amp;"); break;
		case '"': ax_buf_puts(out, "&quot;"); break;
		default: ax_buf_putc(out, *s);
		}
	}
}

/* A version-4-shaped UUID from SHA-256(seed, label). */
static void uuid(const struct ax_export_data *d, const char *label, char out[37])
{
	struct ax_buf b = AX_BUF_INIT;
	char h[65];
	ax_buf_printf(&b, "%s|%lld|%s", d->organization, (long long)d->generated_at, label);
	ax_sha256_hex(b.ptr, b.size, h);
	ax_buf_free(&b);
	h[12] = '4';
	h[16] = "89ab"[h[16] % 4];
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

int ax_oscal_xml(const struct ax_export_data *d, struct ax_buf *out)
{
	char gen[32], start[32], u1[37], u2[37];
	ax_time_format(d->generated_at, gen);
	ax_time_format(d->since ? d->since : (d->nruns ? d->runs[0].started_at : d->generated_at), start);
	uuid(d, "document", u1);
	uuid(d, "result", u2);
	ax_buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<assessment-results xmlns=\"http://csrc.nist.gov/ns/oscal/1.0\" uuid=\"%s\">\n"
			   "  <metadata>\n    <title>Annex A evidence: ", u1);
	esc(out, d->organization);
	ax_buf_printf(out, "</title>\n    <last-modified>%s</last-modified>\n    <version>%s</version>\n"
			   "    <oscal-version>1.0.6</oscal-version>\n  </metadata>\n"
			   "  <import-ap href=\"#\"/>\n"
			   "  <result uuid=\"%s\">\n    <title>annexa collection</title>\n"
			   "    <description><p>Automated evidence collected by annexa.</p></description>\n"
			   "    <start>%s</start>\n"
			   "    <reviewed-controls><control-selections><include-all/></control-selections></reviewed-controls>\n"
			   "  </result>\n</assessment-results>\n",
		      gen, d->version, u2, start);
	return 0;
}
