/* fuzz_report_text.c - arbitrary bytes as probe text (message, instance,
 * check, artifact name, organization) through report.html and the OSCAL
 * generators (results as XML and JSON, plan, catalog). None may crash;
 * the cleaned text must be valid UTF-8
 * without stray control characters; escaped HTML must not contain a raw
 * markup character; the HTML must keep exactly one control row and one
 * script element, its own filter after the main content; the OSCAL
 * results must be well-formed XML and, when the schema is found
 * ($ANNEXA_SRC/tests/data/oscal/), valid, their JSON must parse, the plan
 * and catalog must be well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <jansson.h>

#include "controls.h"
#include "export.h"
#include "report_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s, size_t n)
{
	if (!xmlCheckUTF8((const unsigned char *)s))
		abort();
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7f)
			abort();
}

static void check_escaped(const char *s)
{
	static const char *entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
	for (const char *p = s; *p; p++) {
		if (*p == '<' || *p == '>' || *p == '"' || *p == '\'')
			abort();
		if (*p == '&') {
			int known = 0;
			for (size_t k = 0; k < 5; k++)
				known |= strncmp(p, entities[k], strlen(entities[k])) == 0;
			if (!known)
				abort();
		}
	}
}

static xmlSchemaPtr load_schema(void)
{
	static int tried;
	static xmlSchemaPtr schema;
	const char *src = getenv("ANNEXA_SRC");
	if (tried || !src)
		return schema;
	tried = 1;
	struct ax_buf path = AX_BUF_INIT;
	ax_buf_printf(&path, "%s/tests/data/oscal/oscal_assessment-results_schema-1.0.6.xsd", src);
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path.ptr);
	schema = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaFreeParserCtxt(pc);
	ax_buf_free(&path);
	return schema;
}

static void quiet(void *arg, const char *fmt, ...)
{
	(void)arg;
	(void)fmt;
}

static void generate(const char *s)
{
	static struct ax_control ctl = {"A.8.15", "Technological", "Logging"};
	static struct ax_catalog cat = {&ctl, 1, NULL, 0, "iso27001-2022", NULL, 0, NULL, 0};
	struct ax_export_data d;
	struct ax_status st;
	struct ax_control_state cs;
	struct ax_check_row row;
	struct ax_export_artifact art;
	struct ax_export_link link = {1, 0};
	struct ax_run_info run;
	int64_t result_run = 1;
	size_t failed = 0; /* the period's failed streak began with evidence result 0 */
	struct ax_export_period_stat period = {.runs_evaluated = 1, .runs_failed = 1, .failed = &failed, .nfailed = 1};
	struct ax_buf html = AX_BUF_INIT, xml = AX_BUF_INIT;

	memset(&d, 0, sizeof(d));
	memset(&st, 0, sizeof(st));
	memset(&run, 0, sizeof(run));
	memset(&art, 0, sizeof(art));
	memset(&cs, 0, sizeof(cs));
	run.id = 1;
	run.started_at = 1790000000;
	ax_evidence_add_result(&d.latest, s, s, s, AX_CHECK_FAIL, s, NULL, 1790000000);
	ax_evidence_add_result(&d.evidence, s, s, s, AX_CHECK_FAIL, s, NULL, 1790000000);
	art.instance = (char *)s;
	art.name = art.media_type = art.bundle_path = (char *)s;
	row.result = &d.latest.results[0];
	row.stale = 0;
	cs.control = &ctl;
	cs.status = AX_CTL_FAIL;
	cs.justification = s;
	cs.rows = &row;
	cs.nrows = 1;
	cs.newest = 0;
	st.controls = &cs;
	st.ncontrols = 1;
	st.counts[AX_CTL_FAIL] = 1;
	d.organization = s;
	d.host = (char *)s;
	d.version = s;
	d.cat = &cat;
	d.status = &st;
	d.runs = &run;
	d.nruns = 1;
	d.result_run = &result_run;
	d.artifacts = &art;
	d.nartifacts = 1;
	d.links = &link;
	d.nlinks = 1;
	d.period = &period;

	if (ax_report_html(&d, &html) != 0)
		abort();
	const char *p = strstr(html.ptr, "<tr class=\"control\"");
	/* one script only, the filter's own, at the end: probe text adds none */
	const char *script = strstr(html.ptr, "<script>");
	if (!p || strstr(p + 1, "<tr class=\"control\"") || !script || strstr(script + 1, "<script") ||
	    (size_t)(script - html.ptr) < (size_t)(strstr(html.ptr, "</main>") - html.ptr))
		abort();
	if (ax_oscal_xml(&d, &xml) != 0)
		abort();
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlDocPtr doc = xmlReadMemory(xml.ptr, (int)xml.size, "oscal.xml", NULL, XML_PARSE_NONET);
	if (!doc)
		abort();
	xmlSchemaPtr schema = load_schema();
	if (schema) {
		xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
		if (xmlSchemaValidateDoc(vc, doc) != 0)
			abort();
		xmlSchemaFreeValidCtxt(vc);
	}
	xmlFreeDoc(doc);
	ax_buf_clear(&xml);
	if (ax_oscal_json(&d, &xml) != 0)
		abort();
	json_t *j = json_loadb(xml.ptr, xml.size, 0, NULL);
	if (!j)
		abort();
	json_decref(j);
	int (*const more[])(const struct ax_export_data *, struct ax_buf *) = {ax_oscal_plan_xml, ax_oscal_catalog_xml};
	for (size_t k = 0; k < 2; k++) {
		ax_buf_clear(&xml);
		if (more[k](&d, &xml) != 0 ||
		    !(doc = xmlReadMemory(xml.ptr, (int)xml.size, "oscal.xml", NULL, XML_PARSE_NONET)))
			abort();
		xmlFreeDoc(doc);
	}
	ax_buf_free(&html);
	ax_buf_free(&xml);
	ax_evidence_free(&d.latest);
	ax_evidence_free(&d.evidence);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0'; /* probe strings are C strings: text ends at the first NUL */

	struct ax_buf clean = AX_BUF_INIT, line = AX_BUF_INIT, esc = AX_BUF_INIT;
	ax_text_clean(&clean, s, 0);
	check_clean(clean.ptr ? clean.ptr : "", clean.size);
	ax_text_clean(&line, s, 1);
	check_clean(line.ptr ? line.ptr : "", line.size);
	if (memchr(line.ptr ? line.ptr : "", '\n', line.size) || memchr(line.ptr ? line.ptr : "", '\t', line.size))
		abort();
	ax_html_escape(&esc, s);
	check_escaped(ax_buf_cstr(&esc));
	generate(s);
	ax_buf_free(&clean);
	ax_buf_free(&line);
	ax_buf_free(&esc);
	free(s);
	return 0;
}
