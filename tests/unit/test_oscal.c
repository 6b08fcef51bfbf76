/* test_oscal.c - the bundle's OSCAL documents: assessment-results.xml
 * validates against NIST's OSCAL 1.0.6 schema, assessment-plan.xml and
 * catalog.xml against theirs (committed copies in tests/data/oscal/), for
 * the fixed fixture, the real 93-control catalog, an empty period and
 * hostile probe text; then what an auditor's tool reads: observations
 * (method TEST or EXAMINE, subject, tool origin, collected and expires,
 * relevant-evidence hrefs relative to oscal/ with their SHA-256), one
 * finding per assessed control, reviewed controls = exactly those, every
 * control and objective reference resolving in the catalog, a control
 * that failed and recovered in the period, UUIDs that do not depend on
 * the export time, and the JSON rendition carrying the same content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <jansson.h>

#include "report_fixture.h"
#include "util.h"

#define XSD_DIR "tests/data/oscal/"

enum { AR, AP, CATALOG, NSCHEMAS };
static const char *const xsd_names[NSCHEMAS] = {
	"oscal_assessment-results_schema-1.0.6.xsd",
	"oscal_assessment-plan_schema-1.0.6.xsd",
	"oscal_catalog_schema-1.0.6.xsd",
};
static xmlSchemaPtr schemas[NSCHEMAS];
#define schema (schemas[AR])

static void load_schema(void)
{
	const char *src = getenv("ANNEXA_SRC");
	for (int i = 0; i < NSCHEMAS; i++) {
		char *path = ax_asprintf("%s/" XSD_DIR "%s", src ? src : ANNEXA_SOURCE_DIR, xsd_names[i]);
		xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
		schemas[i] = pc ? xmlSchemaParse(pc) : NULL;
		xmlSchemaFreeParserCtxt(pc);
		t_checks++;
		if (!schemas[i])
			t_fail(__FILE__, __LINE__, "cannot load the OSCAL schema %s", path);
		free(path);
	}
}

/* Parses and validates against schema k; returns the document (caller
 * frees) or NULL. */
static xmlDocPtr parse_valid_as(const struct ax_buf *xml, const char *what, int k)
{
	xmlDocPtr doc = xmlReadMemory(xml->ptr, (int)xml->size, "oscal.xml", NULL, XML_PARSE_NONET);
	t_checks++;
	if (!doc) {
		t_fail(__FILE__, __LINE__, "%s: not well-formed XML", what);
		return NULL;
	}
	if (schemas[k]) {
		xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schemas[k]);
		int rc = xmlSchemaValidateDoc(vc, doc);
		xmlSchemaFreeValidCtxt(vc);
		t_checks++;
		if (rc != 0) {
			char *p = ax_asprintf("%s/oscal-%s.xml", t_tmpdir(), what);
			ax_file_write_atomic(p, xml->ptr, xml->size, 0644);
			t_fail(__FILE__, __LINE__, "%s: does not validate against %s (rc %d), see %s", what,
			       xsd_names[k], rc, p);
			free(p);
		}
	}
	return doc;
}

static xmlDocPtr parse_valid(const struct ax_buf *xml, const char *what)
{
	return parse_valid_as(xml, what, AR);
}

static xmlXPathContextPtr xpath_ctx(xmlDocPtr doc)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "o", BAD_CAST "http://csrc.nist.gov/ns/oscal/1.0");
	return ctx;
}

static int xcount(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	int n = -1;
	if (o && o->type == XPATH_NODESET)
		n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	return n;
}

/* string(expr), "" when nothing matches. */
static char *xstr(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlChar *s = o ? xmlXPathCastToString(o) : NULL;
	char *r = ax_strdup(s ? (const char *)s : "");
	xmlFree(s);
	xmlXPathFreeObject(o);
	return r;
}

#define T_XSTR(ctx, expr, want) do { char *_s = xstr(ctx, expr); T_EQ_STR(_s, want); free(_s); } while (0)

static void quiet(void *arg, xmlErrorPtr err)
{
	(void)arg;
	(void)err;
}

/* The validator is live: the same document with an empty method (the
 * schema wants a non-blank string) is refused. */
static void test_schema_refuses(const struct ax_buf *xml)
{
	char *bad = ax_strdup(ax_buf_cstr(xml)), *m = strstr(bad, "<method>TEST</method>");
	T_OK(m != NULL);
	if (schema && m) {
		memcpy(m, "<method>    </method>", 21);
		xmlDocPtr doc = xmlReadMemory(bad, (int)strlen(bad), "bad.xml", NULL, XML_PARSE_NONET);
		xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
		xmlSchemaSetValidStructuredErrors(vc, quiet, NULL);
		T_OK(doc && xmlSchemaValidateDoc(vc, doc) > 0);
		xmlSchemaFreeValidCtxt(vc);
		xmlFreeDoc(doc);
	}
	free(bad);
}

static void test_uuid5(void)
{
	/* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") */
	static const unsigned char dns_ns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
						 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	char out[37];
	ax_uuid5(dns_ns, "python.org", 10, out);
	T_EQ_STR(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

/* The string values of a node-set expression, in document order. */
static size_t xstrs(xmlXPathContextPtr ctx, const char *expr, char ***out)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	size_t n = o && o->nodesetval ? (size_t)o->nodesetval->nodeNr : 0;
	*out = ax_calloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		(*out)[i] = ax_strdup(v ? (const char *)v : "");
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	return n;
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int strs_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Every value of expr in `from` is one of the values of `in_expr` in `in`. */
static void t_resolves(xmlXPathContextPtr from, const char *expr, xmlXPathContextPtr in, const char *in_expr,
		       size_t want_min)
{
	char **a, **b;
	size_t na = xstrs(from, expr, &a), nb = xstrs(in, in_expr, &b);
	t_checks++;
	if (na < want_min)
		t_fail(__FILE__, __LINE__, "%s: %zu values, expected at least %zu", expr, na, want_min);
	for (size_t i = 0; i < na; i++) {
		t_checks++;
		if (!strs_has(b, nb, a[i]))
			t_fail(__FILE__, __LINE__, "%s = %s does not resolve to %s", expr, a[i], in_expr);
	}
	strs_free(a, na);
	strs_free(b, nb);
}

static void test_fixture(void)
{
	struct fx f;
	struct ax_buf a = AX_BUF_INIT, b = AX_BUF_INIT;
	fx_build(&f);
	T_EQ_INT(ax_oscal_xml(&f.d, &a), 0);
	T_EQ_INT(ax_oscal_xml(&f.d, &b), 0);
	T_OK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0); /* reproducible, UUIDs included */
	xmlDocPtr doc = parse_valid(&a, "fixture");
	test_schema_refuses(&a);
	if (!doc)
		goto cleanup;
	xmlXPathContextPtr c = xpath_ctx(doc);
	T_XSTR(c, "string(/o:assessment-results/o:metadata/o:oscal-version)", "1.0.6");
	T_XSTR(c, "string(/o:assessment-results/o:metadata/o:last-modified)", "2026-11-18T11:07:10Z");
	T_XSTR(c, "string(//o:party[@type='organization']/o:name)", "Example Mail <GmbH> & Co");
	T_XSTR(c, "string(//o:metadata/o:prop[@name='ledger-head']/@value)",
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
	T_XSTR(c, "string(/o:assessment-results/o:import-ap/@href)", "assessment-plan.xml");
	T_XSTR(c, "string(/o:assessment-results/o:metadata/o:link/@href)", "catalog.xml");
	T_EQ_INT(xcount(c, "//o:result"), 1);
	T_XSTR(c, "string(//o:result/o:start)", "2026-11-16T03:33:20Z");
	T_XSTR(c, "string(//o:result/o:end)", "2026-11-18T11:06:40Z");
	/* reviewed controls: exactly the five assessed (A.5.15, A.8.9,
	 * A.8.15, A.8.24, A.5.10), not include-all */
	T_EQ_INT(xcount(c, "//o:reviewed-controls//o:include-all"), 0);
	T_EQ_INT(xcount(c, "//o:exclude-control"), 0);
	T_EQ_INT(xcount(c, "//o:control-selection/o:include-control"), 5);
	T_EQ_INT(xcount(c, "//o:include-control[@control-id='a.8.24']"), 1);
	T_EQ_INT(xcount(c, "//o:include-control[@control-id='a.5.1']"), 0);  /* manual */
	T_EQ_INT(xcount(c, "//o:include-control[@control-id='a.6.3']"), 0);  /* not applicable */
	T_EQ_INT(xcount(c, "//o:include-control[@control-id='a.8.20']"), 0); /* not covered */
	T_EQ_INT(xcount(c, "//o:include-objective[@objective-id='a.8.24_obj']"), 1);
	t_resolves(c, "//o:finding/o:target/@target-id", c, "//o:include-objective/@objective-id", 5);
	t_resolves(c, "//o:include-objective/@objective-id", c, "//o:finding/o:target/@target-id", 5);
	/* observations: the 4 newest non-skip results, and one per manual
	 * item and control (M-1: A.5.10; M-2: A.5.10, A.8.24) */
	T_EQ_INT(xcount(c, "//o:observation"), 7);
	T_EQ_INT(xcount(c, "//o:observation[o:method='TEST']"), 1); /* the TLS handshake */
	T_EQ_INT(xcount(c, "//o:observation[o:method='TEST']/o:prop[@name='probe-type' and @value='tls']"), 1);
	T_EQ_INT(xcount(c, "//o:observation[o:method='EXAMINE']"), 6);
	T_EQ_INT(xcount(c, "//o:observation[o:method='EXAMINE' and o:prop[@name='manual-evidence']]"), 3);
	T_EQ_INT(xcount(c, "//o:observation[o:type='historic']"), 0);
	T_EQ_INT(xcount(c, "//o:observation[o:method='EXAMINE' and o:prop[@name='manual-evidence' and @value='M-1']]"
			   "/o:relevant-evidence"), 2);
	T_EQ_INT(xcount(c, "//o:relevant-evidence[@href='../evidence/manual/M-1-policy.pdf']"), 1);
	/* M-2's two controls: two observations naming its one copy */
	T_EQ_INT(xcount(c, "//o:relevant-evidence[@href='../evidence/manual/M-2-old-policy.pdf']"), 2);
	T_XSTR(c, "string(//o:relevant-evidence[@href='../evidence/manual/M-1-policy.pdf']"
		  "/o:prop[@name='sha256']/@value)", "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	T_XSTR(c, "string(//o:observation[o:prop[@name='manual-evidence' and @value='M-1']]/o:collected)",
	       "2026-08-20T11:06:40Z");
	T_XSTR(c, "string(//o:observation[o:prop[@name='manual-evidence' and @value='M-1']]/o:expires)",
	       "2026-11-28T11:06:40Z");
	T_XSTR(c, "string(//o:observation[o:prop[@name='manual-evidence' and @value='M-2']"
		  " and o:prop[@name='control' and @value='A.8.24']]/o:prop[@name='state']/@value)",
	       "revoked");
	T_XSTR(c, "string(//o:observation[o:prop[@name='instance' and @value='maillog']]/o:collected)",
	       "2026-11-18T11:05:50Z");
	/* freshness without a config: twice the default hour */
	T_XSTR(c, "string(//o:observation[o:prop[@name='instance' and @value='maillog']]/o:expires)",
	       "2026-11-18T13:05:50Z");
	T_XSTR(c, "string(//o:observation[o:prop[@name='instance' and @value='maillog']]/o:prop[@name='result']/@value)",
	       "fail");
	T_EQ_INT(xcount(c, "//o:observation[o:prop[@value='maillog']]/o:relevant-evidence"), 2);
	T_EQ_INT(xcount(c, "//o:relevant-evidence[@href='../evidence/maillog/mail.log']"), 1);
	T_XSTR(c, "string(//o:relevant-evidence[@href='../evidence/maillog/mail.log']/o:prop[@name='sha256']/@value)",
	       "1111111111111111111111111111111111111111111111111111111111111111");
	T_EQ_INT(xcount(c, "//o:relevant-evidence[@href='../evidence/mx-tls/handshake__b_.txt']"), 1);
	T_EQ_INT(xcount(c, "//o:relevant-evidence[contains(@href,'evil')]"), 0); /* never linked */
	T_EQ_INT(xcount(c, "//o:relevant-evidence[not(@href)]"), 1);
	T_EQ_INT(xcount(c, "//o:relevant-evidence[@href and not(starts-with(@href, '../evidence/'))]"), 0);
	T_EQ_INT(xcount(c, "//o:relevant-evidence[not(o:prop[@name='sha256'])]"), 0);
	/* subjects: each automated observation names its probe instance, an
	 * inventory item of the result; origin: annexa, the tool, versioned */
	T_EQ_INT(xcount(c, "//o:local-definitions/o:inventory-item"), 4);
	T_EQ_INT(xcount(c, "//o:observation[o:prop[@name='instance']][count(o:subject[@type='inventory-item']) = 1]"), 4);
	t_resolves(c, "//o:observation/o:subject/@subject-uuid", c, "//o:local-definitions/o:inventory-item/@uuid", 4);
	T_XSTR(c, "string(//o:inventory-item[@uuid = //o:observation[o:prop[@value='mx-tls']]/o:subject/@subject-uuid]"
		  "/o:prop[@name='instance']/@value)", "mx-tls");
	T_EQ_INT(xcount(c, "//o:observation[o:prop[@name='instance']]/o:origin/o:actor[@type='tool']"), 4);
	t_resolves(c, "//o:origin/o:actor/@actor-uuid", c, "//o:assessment-assets/o:component/@uuid", 4);
	T_XSTR(c, "string(//o:assessment-assets/o:component/o:prop[@name='version']/@value)", "0.1.0");
	T_XSTR(c, "string(//o:assessment-assets/o:component/o:title)", "annexa");
	{
		char *msg = xstr(c, "string(//o:observation[o:prop[@value='maillog']]/o:description/o:p)");
		T_OK(strstr(msg, "<script>alert(1)</script> & \"q\" 'a' ]]>") != NULL); /* round-trips as text */
		T_OK(strstr(msg, "\xef\xbf\xbd\xef\xbf\xbd end") != NULL);
		T_OK(strchr(msg, '\x01') == NULL);
		free(msg);
	}
	/* findings: one per assessed control (A.5.15 pass, A.8.9 error,
	 * A.8.15 fail, A.8.24 stale, A.5.10 pass by manual evidence); none
	 * for manual, n/a, not_covered; targets are the catalog's objectives */
	T_EQ_INT(xcount(c, "//o:finding"), 5);
	T_EQ_INT(xcount(c, "//o:finding/o:target[@type='objective-id']"), 5);
	T_EQ_INT(xcount(c, "//o:finding/o:target/o:status[@state='satisfied']"), 2);
	T_EQ_INT(xcount(c, "//o:finding/o:target/o:status[@state='not-satisfied']"), 3);
	T_XSTR(c, "string(//o:target[@target-id='a.5.10_obj']/o:status/@state)", "satisfied");
	T_EQ_INT(xcount(c, "//o:finding[o:target/@target-id='a.5.10_obj']/o:related-observation"), 2);
	T_EQ_INT(xcount(c, "//o:finding[o:target/@target-id='a.8.24_obj']/o:related-observation"), 2);
	T_XSTR(c, "string(//o:target[@target-id='a.5.15_obj']/o:status/@state)", "satisfied");
	T_XSTR(c, "string(//o:target[@target-id='a.8.15_obj']/o:status/@state)", "not-satisfied");
	T_XSTR(c, "string(//o:target[@target-id='a.8.15_obj']/o:status/@reason)", "fail");
	T_XSTR(c, "string(//o:target[@target-id='a.8.24_obj']/o:status/@reason)", "other");
	T_EQ_INT(xcount(c, "//o:target[@target-id='a.5.1_obj']"), 0);
	T_XSTR(c, "string(//o:finding[o:target/@target-id='a.8.15_obj']/o:prop[@name='runs-passed']/@value)", "1/2");
	T_XSTR(c, "string(//o:finding[o:target/@target-id='a.8.15_obj']/o:prop[@name='runs-failed']/@value)", "1/2");
	T_XSTR(c, "string(//o:finding[o:target/@target-id='a.8.15_obj']/o:prop[@name='period-status']/@value)",
	       "not-satisfied");
	T_XSTR(c, "string(//o:finding[o:target/@target-id='a.5.15_obj']/o:prop[@name='period-status']/@value)",
	       "satisfied");
	T_EQ_INT(xcount(c, "//o:finding/o:origin/o:actor[@type='tool']"), 5);
	/* A.5.15's skip row has no observation and is not referenced */
	T_EQ_INT(xcount(c, "//o:finding[o:target/@target-id='a.5.15_obj']/o:related-observation"), 1);
	T_EQ_INT(xcount(c, "//o:observation[o:prop[@name='result' and @value='skip']]"), 0);
	/* every related-observation names an observation of the document */
	T_EQ_INT(xcount(c, "//o:related-observation[not(@observation-uuid = //o:observation/@uuid)]"), 0);
	T_EQ_INT(xcount(c, "//o:related-observation"), 7);
	xmlXPathFreeContext(c);
	xmlFreeDoc(doc);
cleanup:
	ax_buf_free(&a);
	ax_buf_free(&b);
	fx_free(&f);
}

/* TEST for probes that exercise the target, EXAMINE for those that read
 * what is there. */
static void test_methods(void)
{
	static const struct {
		const char *type, *check, *want;
	} cases[] = {
		{"tls", "tls.protocol.tls1_0", "TEST"},
		{"tls", "tls.cert.expiry", "TEST"},
		{"backup-files", "backup.restore_test", "TEST"},
		{"backup-files", "backup.fresh", "EXAMINE"},
		{"restic", "backup.integrity", "TEST"},
		{"restic", "backup.encrypted", "TEST"},
		{"restic", "backup.fresh", "EXAMINE"},
		{"postfix", "postfix.tls.level", "EXAMINE"},
		{"file", "file.mode", "EXAMINE"},
		{"accesslog", "log.retention", "EXAMINE"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		struct ax_buf xml = AX_BUF_INIT;
		fx_build(&f);
		struct ax_result *r = &f.d.latest.results[1]; /* maillog's */
		free(r->probe_type);
		free(r->check);
		r->probe_type = ax_strdup(cases[i].type);
		r->check = ax_strdup(cases[i].check);
		T_EQ_INT(ax_oscal_xml(&f.d, &xml), 0);
		xmlDocPtr doc = xmlReadMemory(xml.ptr, (int)xml.size, "m.xml", NULL, XML_PARSE_NONET);
		if (doc) {
			xmlXPathContextPtr c = xpath_ctx(doc);
			char *e = ax_asprintf("string(//o:observation[o:prop[@name='check' and @value='%s'] and "
					      "o:prop[@name='instance' and @value='maillog']]/o:method)", cases[i].check);
			T_XSTR(c, e, cases[i].want);
			free(e);
			xmlXPathFreeContext(c);
			xmlFreeDoc(doc);
		}
		ax_buf_free(&xml);
		fx_free(&f);
	}
}

/* A control that failed and recovered within the period says so: A.5.15
 * (files file.mode) failed in run 7 and passes at the end. */
static void test_recovered(void)
{
	struct fx f;
	struct ax_buf xml = AX_BUF_INIT;
	size_t failed_at;
	fx_build(&f);
	failed_at = f.d.evidence.nresults;
	fx_result(&f.d.evidence, "files", "file", "file.mode", AX_CHECK_FAIL, "mode 0666 exceeds 0640", 100005);
	f.result_run[failed_at] = 7;
	size_t failed[] = {failed_at};
	f.period[1] = (struct ax_export_period_stat){.runs_evaluated = 2, .runs_passed = 1, .runs_failed = 1,
						     .first_failed = FX_NOW - 100010, .last_failed = FX_NOW - 100010,
						     .failed = failed, .nfailed = 1};
	T_EQ_INT(ax_oscal_xml(&f.d, &xml), 0);
	xmlDocPtr doc = parse_valid(&xml, "recovered");
	if (doc) {
		xmlXPathContextPtr c = xpath_ctx(doc);
		const char *fin = "//o:finding[o:target/@target-id='a.5.15_obj']";
		char *e;
		T_XSTR(c, "string(//o:target[@target-id='a.5.15_obj']/o:status/@state)", "satisfied");
		e = ax_asprintf("string(%s/o:prop[@name='period-status']/@value)", fin);
		T_XSTR(c, e, "recovered");
		free(e);
		e = ax_asprintf("string(%s/o:prop[@name='runs-failed']/@value)", fin);
		T_XSTR(c, e, "1/2");
		free(e);
		e = ax_asprintf("string(%s/o:target/o:status/o:remarks/o:p)", fin);
		char *rem = xstr(c, e);
		T_CONTAINS(rem, "Not satisfied in 1 of the 2 runs");
		T_CONTAINS(rem, "(first 2026-11-17T07:19:50Z, last 2026-11-17T07:19:50Z)");
		T_CONTAINS(rem, "satisfied again at the end of the period");
		free(rem);
		free(e);
		/* the failed run's result is an observation (historic) the
		 * finding relates, beside the newest pass */
		T_EQ_INT(xcount(c, "//o:observation[o:type='historic']"), 1);
		T_XSTR(c, "string(//o:observation[o:type='historic']/o:prop[@name='result']/@value)", "fail");
		T_XSTR(c, "string(//o:observation[o:type='historic']/o:collected)", "2026-11-17T07:19:55Z");
		e = ax_asprintf("count(%s/o:related-observation[@observation-uuid = "
				"//o:observation[o:type='historic']/@uuid])", fin);
		xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST e, c);
		T_OK(o && o->floatval == 1);
		xmlXPathFreeObject(o);
		free(e);
		e = ax_asprintf("%s/o:related-observation", fin);
		T_EQ_INT(xcount(c, e), 2);
		free(e);
		T_EQ_INT(xcount(c, "//o:related-observation[not(@observation-uuid = //o:observation/@uuid)]"), 0);
		xmlXPathFreeContext(c);
		xmlFreeDoc(doc);
	}
	ax_buf_free(&xml);
	fx_free(&f);
}

/* The UUIDs (of "//o:observation | //o:finding | //o:result" and the
 * document) of d, sorted, one a line. */
static char *uuid_set(const struct ax_export_data *d)
{
	struct ax_buf xml = AX_BUF_INIT, out = AX_BUF_INIT;
	char **v = NULL;
	size_t n = 0;
	T_EQ_INT(ax_oscal_xml(d, &xml), 0);
	xmlDocPtr doc = xmlReadMemory(xml.ptr, (int)xml.size, "x.xml", NULL, XML_PARSE_NONET);
	if (doc) {
		xmlXPathContextPtr c = xpath_ctx(doc);
		n = xstrs(c, "//o:observation/@uuid | //o:finding/@uuid | //o:result/@uuid | /o:assessment-results/@uuid",
			  &v);
		for (size_t i = 0; i < n; i++)
			ax_buf_printf(&out, "%s\n", v[i]);
		strs_free(v, n);
		xmlXPathFreeContext(c);
		xmlFreeDoc(doc);
	}
	ax_buf_free(&xml);
	return ax_buf_detach(&out);
}

/* Re-exporting the same runs later, or with other period bounds, keeps
 * every UUID; other runs give another result. */
static void test_uuid_stable(void)
{
	struct fx f;
	fx_build(&f);
	char *first = uuid_set(&f.d);
	f.d.generated_at += 7 * 86400;
	f.d.until = 0;
	f.d.since = FX_NOW - 300000;
	char *later = uuid_set(&f.d);
	T_EQ_STR(later, first);
	T_EQ_INT(strlen(first), 14 * 37); /* 7 observations, 5 findings, the result and the document */
	memset(f.runs[1].hash, 'f', 64); /* another last run */
	char *other = uuid_set(&f.d);
	T_OK(strcmp(other, first) != 0);
	free(first);
	free(later);
	free(other);
	fx_free(&f);
}

/* The JSON rendition comes from the same model: same UUIDs, counts,
 * hrefs; markup is Markdown with its punctuation escaped. */
static void test_json(void)
{
	struct fx f;
	struct ax_buf js = AX_BUF_INIT, again = AX_BUF_INIT;
	json_error_t jerr;
	fx_build(&f);
	T_EQ_INT(ax_oscal_json(&f.d, &js), 0);
	T_EQ_INT(ax_oscal_json(&f.d, &again), 0);
	T_OK(js.size == again.size && memcmp(js.ptr, again.ptr, js.size) == 0);
	json_t *root = json_loadb(js.ptr, js.size, 0, &jerr);
	T_OK(root != NULL);
	json_t *ar = json_object_get(root, "assessment-results");
	json_t *res = json_array_get(json_object_get(ar, "results"), 0);
	json_t *obs = json_object_get(res, "observations"), *fin = json_object_get(res, "findings");
	T_EQ_INT(json_array_size(obs), 7);
	T_EQ_INT(json_array_size(fin), 5);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(ar, "import-ap"), "href")), "assessment-plan.xml");
	T_EQ_STR(json_string_value(json_object_get(ar, "uuid")), "fd1616c3-c6f0-5253-9b1e-a71d58e2a6e5");
	json_t *sel = json_array_get(json_object_get(json_object_get(res, "reviewed-controls"), "control-selections"), 0);
	T_EQ_INT(json_array_size(json_object_get(sel, "include-controls")), 5);
	{
		char *set = uuid_set(&f.d);
		size_t i;
		json_t *v;
		json_array_foreach(obs, i, v) T_CONTAINS(set, json_string_value(json_object_get(v, "uuid")));
		json_array_foreach(fin, i, v) T_CONTAINS(set, json_string_value(json_object_get(v, "uuid")));
		T_CONTAINS(set, json_string_value(json_object_get(res, "uuid")));
		free(set);
		int maillog = 0;
		json_array_foreach(obs, i, v) {
			const char *title = json_string_value(json_object_get(v, "title"));
			T_OK(json_is_array(json_object_get(v, "methods")));
			T_OK(json_is_string(json_object_get(v, "collected")));
			if (!title || strcmp(title, "file.mode on maillog") != 0)
				continue;
			maillog = 1;
			T_CONTAINS(json_string_value(json_object_get(v, "description")),
				   "\\<script\\>alert(1)\\</script\\> \\& \"q\" 'a' \\]\\]\\>");
			json_t *ev = json_array_get(json_object_get(v, "relevant-evidence"), 0);
			T_EQ_STR(json_string_value(json_object_get(ev, "href")), "../evidence/maillog/mail.log");
			T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(ev, "props"), 0), "value")),
				 "1111111111111111111111111111111111111111111111111111111111111111");
			T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(v, "subjects"), 0), "type")),
				 "inventory-item");
		}
		T_OK(maillog);
	}
	json_decref(root);
	ax_buf_free(&js);
	ax_buf_free(&again);
	fx_free(&f);
}

/* With the real 93-control catalog: the results, the plan and the
 * catalog validate against their schemas, and every control-id and
 * objective-id of the results and the plan resolves in the catalog. */
static void test_real_catalog(void)
{
	struct fx_real r;
	struct ax_buf xml = AX_BUF_INIT, plan = AX_BUF_INIT, cat = AX_BUF_INIT;
	T_EQ_INT(fx_real_build(&r), 0);
	if (!r.d.status) {
		fprintf(stderr, "%s\n", ax_error_last());
		fx_real_free(&r);
		return;
	}
	T_EQ_INT(ax_oscal_xml(&r.d, &xml), 0);
	T_EQ_INT(ax_oscal_plan_xml(&r.d, &plan), 0);
	T_EQ_INT(ax_oscal_catalog_xml(&r.d, &cat), 0);
	xmlDocPtr doc = parse_valid(&xml, "real-catalog");
	xmlDocPtr pdoc = parse_valid_as(&plan, "plan", AP);
	xmlDocPtr cdoc = parse_valid_as(&cat, "catalog", CATALOG);
	if (doc && pdoc && cdoc) {
		xmlXPathContextPtr c = xpath_ctx(doc), p = xpath_ctx(pdoc), k = xpath_ctx(cdoc);
		int assessed = r.d.status->counts[AX_CTL_PASS] + r.d.status->counts[AX_CTL_FAIL] +
			       r.d.status->counts[AX_CTL_ERROR] + r.d.status->counts[AX_CTL_STALE] +
			       r.d.status->counts[AX_CTL_PARTIAL];
		T_EQ_INT(xcount(c, "//o:exclude-control"), 0);
		T_EQ_INT(xcount(c, "//o:include-control"), assessed);
		T_EQ_INT(xcount(c, "//o:observation"), 2);
		T_XSTR(c, "string(//o:target[@target-id='a.8.3_obj']/o:status/@state)", "not-satisfied");
		/* A.8.9's checks pass but its coverage needs are open: partial is
		 * never satisfied, and its remarks name what is still needed */
		T_OK(r.d.status->controls[ax_catalog_find(r.d.cat, "A.8.9") - r.d.cat->controls].status == AX_CTL_PARTIAL);
		T_XSTR(c, "string(//o:target[@target-id='a.8.9_obj']/o:status/@state)", "not-satisfied");
		T_OK(xcount(c, "//o:target[@target-id='a.8.9_obj']/o:status/o:remarks[contains(., 'Still needed: A.8.9:')]") == 1);
		T_EQ_INT(xcount(c, "//o:finding"), assessed);
		/* the configured target of the instance, for people */
		T_XSTR(c, "string(//o:inventory-item/o:prop[@name='target']/@value)", "/etc/hostname");
		T_XSTR(c, "string(//o:observation[1]/o:expires)", "2026-11-18T13:06:30Z");
		/* the catalog: 93 controls in four themes, titles from annex-a.xml */
		T_EQ_INT(xcount(k, "/o:catalog/o:group"), 4);
		T_EQ_INT(xcount(k, "//o:control"), 93);
		T_EQ_INT(xcount(k, "//o:control/o:part[@name='assessment-objective']"), 93);
		T_XSTR(k, "string(//o:control[@id='a.8.24']/o:title)", "Use of cryptography");
		T_XSTR(k, "string(//o:control[@id='a.8.24']/o:prop[@name='label']/@value)", "A.8.24");
		T_XSTR(k, "string(//o:control[@id='a.5.1']/../@id)", "organizational");
		/* references resolve */
		t_resolves(c, "//o:include-control/@control-id", k, "//o:control/@id", 2);
		t_resolves(c, "//o:include-objective/@objective-id", k, "//o:part/@id", 2);
		t_resolves(c, "//o:finding/o:target/@target-id", k, "//o:part[@name='assessment-objective']/@id", 2);
		t_resolves(p, "//o:include-control/@control-id", k, "//o:control/@id", 2);
		/* the plan assesses what the results reviewed */
		t_resolves(c, "//o:include-control/@control-id", p, "//o:include-control/@control-id", 2);
		t_resolves(p, "//o:include-control/@control-id", c, "//o:include-control/@control-id", 2);
		/* the plan's import-ssp points at its own back-matter resource */
		char *href = xstr(p, "string(/o:assessment-plan/o:import-ssp/@href)");
		char *e = ax_asprintf("//o:back-matter/o:resource[@uuid='%s']", href + (*href == '#'));
		T_OK(*href == '#');
		T_EQ_INT(xcount(p, e), 1);
		free(e);
		free(href);
		/* import-ap names the plan's file; both link the catalog */
		T_XSTR(c, "string(/o:assessment-results/o:import-ap/@href)", "assessment-plan.xml");
		T_XSTR(p, "string(//o:metadata/o:link/@href)", "catalog.xml");
		xmlXPathFreeContext(c);
		xmlXPathFreeContext(p);
		xmlXPathFreeContext(k);
	}
	xmlFreeDoc(doc);
	xmlFreeDoc(pdoc);
	xmlFreeDoc(cdoc);
	ax_buf_free(&xml);
	ax_buf_free(&plan);
	ax_buf_free(&cat);
	fx_real_free(&r);
}

/* No runs, no results, no organization: still a valid document. */
static void test_empty(void)
{
	struct fx f;
	struct ax_buf xml = AX_BUF_INIT;
	fx_build(&f);
	ax_evidence_clear(&f.d.latest);
	f.d.organization = "";
	f.d.host = NULL;
	f.d.nruns = 0;
	f.d.nlinks = 0;
	f.d.result_run = NULL;
	ax_evidence_clear(&f.d.evidence);
	f.d.period = NULL;
	f.d.since = f.d.until = 0;
	f.d.manual.n = 0;
	f.d.nmfiles = 0;
	for (size_t i = 0; i < FX_NCONTROLS; i++) {
		f.cs[i].status = AX_CTL_MANUAL;
		f.cs[i].nrows = 0;
		f.cs[i].nmanual = 0;
	}
	T_EQ_INT(ax_oscal_xml(&f.d, &xml), 0);
	xmlDocPtr doc = parse_valid(&xml, "empty");
	if (doc) {
		xmlXPathContextPtr c = xpath_ctx(doc);
		T_EQ_INT(xcount(c, "//o:observation"), 0);
		T_EQ_INT(xcount(c, "//o:finding"), 0);
		T_EQ_INT(xcount(c, "//o:party"), 0);
		/* nothing assessed: the schema wants a selection, so every
		 * control is excluded */
		T_EQ_INT(xcount(c, "//o:control-selection/o:include-all"), 1);
		T_EQ_INT(xcount(c, "//o:control-selection/o:exclude-control"), FX_NCONTROLS);
		T_EQ_INT(xcount(c, "//o:include-control"), 0);
		T_XSTR(c, "string(//o:result/o:start)", "2026-11-18T11:07:10Z");
		xmlXPathFreeContext(c);
		xmlFreeDoc(doc);
	}
	ax_buf_free(&xml);
	fx_free(&f);
}

/* Whatever bytes a probe sends, the document stays valid. */
static void test_hostile_strings(void)
{
	static const char *msgs[] = {
		"", " ", "\n\n", "\x01\x02\x03", "\xff", "]]><!--", "</p></description><finding>", "&#0; &bogus;",
		"\xef\xbf\xbe\xef\xbf\xbf", "tab\there", " padded ",
	};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct fx f;
		struct ax_buf xml = AX_BUF_INIT;
		fx_build(&f);
		free(f.d.latest.results[1].message);
		f.d.latest.results[1].message = ax_strdup(msgs[i]);
		f.d.organization = msgs[i];
		f.d.host = (char *)msgs[i];
		f.arts[0].name = (char *)msgs[i];
		f.arts[0].media_type = (char *)msgs[i];
		T_EQ_INT(ax_oscal_xml(&f.d, &xml), 0);
		char what[32];
		snprintf(what, sizeof(what), "hostile-%zu", i);
		xmlDocPtr doc = parse_valid(&xml, what);
		if (doc)
			xmlFreeDoc(doc);
		ax_buf_clear(&xml);
		T_EQ_INT(ax_oscal_plan_xml(&f.d, &xml), 0);
		if ((doc = parse_valid_as(&xml, what, AP)))
			xmlFreeDoc(doc);
		ax_buf_clear(&xml);
		T_EQ_INT(ax_oscal_json(&f.d, &xml), 0);
		json_t *j = json_loadb(xml.ptr, xml.size, 0, NULL);
		T_OK(j != NULL);
		json_decref(j);
		ax_buf_free(&xml);
		fx_free(&f);
	}
}

/* The committed schemas are the NIST ones shipped in ../shared (when there). */
static void test_schema_copy(void)
{
	static const char *const names[] = {"oscal_assessment-results_schema-1.0.6.xsd",
					    "oscal_assessment-results_schema-1.0.6.json"};
	const char *src = getenv("ANNEXA_SRC");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *shared = ax_asprintf("%s/../shared/data/oscal/%s", src ? src : ANNEXA_SOURCE_DIR, names[i]);
		char *ours = ax_asprintf("%s/" XSD_DIR "%s", src ? src : ANNEXA_SOURCE_DIR, names[i]);
		struct ax_buf a = AX_BUF_INIT, b = AX_BUF_INIT;
		if (ax_file_read(shared, 1 << 24, &a) == 0) {
			T_EQ_INT(ax_file_read(ours, 1 << 24, &b), 0);
			T_OK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0);
		}
		ax_buf_free(&a);
		ax_buf_free(&b);
		free(shared);
		free(ours);
	}
}

int main(void)
{
	load_schema();
	test_schema_copy();
	test_uuid5();
	test_fixture();
	test_methods();
	test_recovered();
	test_uuid_stable();
	test_json();
	test_real_catalog();
	test_empty();
	test_hostile_strings();
	for (int i = 0; i < NSCHEMAS; i++)
		xmlSchemaFree(schemas[i]);
	return t_done();
}
