/* test_catalog.c - the real controls/ folder loads (93 controls, the four
 * themes, the file mapping, the 2013 crosswalk); broken data files are
 * rejected with file and line; rule patterns match as documented. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "t.h"

#include "buf.h"
#include "config.h"
#include "controls.h"
#include "error.h"
#include "probe.h"
#include "util.h"
#include "annexa-build.h"

static const char *src_dir(void)
{
	const char *d = getenv("ANNEXA_CONTROLS");
	return d ? d : ANNEXA_SOURCE_DIR "/controls";
}

static void test_real_catalog(void)
{
	struct ax_catalog *cat = NULL;
	int themes[4] = {0}, file_mode = 0, file_exists = 0;
	const char *names[4] = {"Organizational", "People", "Physical", "Technological"};

	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	if (!cat) {
		fprintf(stderr, "%s\n", ax_error_last());
		return;
	}
	T_EQ_INT(cat->ncontrols, 93);
	T_EQ_STR(cat->framework, "iso27001-2022");
	for (size_t i = 0; i < cat->ncontrols; i++)
		for (int k = 0; k < 4; k++)
			if (strcmp(cat->controls[i].theme, names[k]) == 0)
				themes[k]++;
	T_EQ_INT(themes[0], 37);
	T_EQ_INT(themes[1], 8);
	T_EQ_INT(themes[2], 14);
	T_EQ_INT(themes[3], 34);
	T_EQ_STR(cat->controls[0].id, "A.5.1");
	T_EQ_STR(cat->controls[92].id, "A.8.34");
	T_EQ_STR(ax_catalog_find(cat, "A.8.24")->title, "Use of cryptography");
	T_OK(ax_catalog_find(cat, "A.9.1") == NULL);
	T_OK(ax_catalog_find(cat, NULL) == NULL);

	for (size_t i = 0; i < cat->nmaps; i++) {
		if (ax_check_pattern_matches(cat->maps[i].check, "file.mode")) {
			file_mode++;
			T_EQ_STR(cat->maps[i].control, "A.8.3");
			T_EQ_STR(cat->maps[i].file, "mapping/file.xml");
		}
		if (ax_check_pattern_matches(cat->maps[i].check, "file.exists"))
			file_exists++;
	}
	T_EQ_INT(file_mode, 1);
	T_EQ_INT(file_exists, 0); /* deliberately unmapped, see mapping/file.xml */

	T_EQ_INT(cat->nxwalk, 105);
	T_EQ_STR(cat->xwalk[0].framework, "iso27001-2013");
	T_EQ_STR(cat->xwalk[0].from, "A.5.1.1");
	T_EQ_STR(cat->xwalk[0].to, "A.5.1");
	T_EQ_STR(cat->xwalk[0].relationship, "subset");
	ax_catalog_free(cat);
}

/* A rule that matches no declared check is a typo that would silently
 * evidence nothing: every mapping/NAME.xml belongs to the probe type NAME,
 * and each of its rules must match one of that probe's declared checks. */
static int rule_hits(const char *rule, const char *declared)
{
	size_t rl = strlen(rule), dl = strlen(declared);
	if (ax_check_pattern_matches(rule, declared) || ax_check_pattern_matches(declared, rule))
		return 1;
	/* both patterns: "tls.*" covers "tls.cert.*" and the reverse */
	if (rl >= 2 && dl >= 2 && strcmp(rule + rl - 2, ".*") == 0 && strcmp(declared + dl - 2, ".*") == 0)
		return strncmp(rule, declared, (rl < dl ? rl : dl) - 1) == 0;
	return 0;
}

static void test_rules_match_probes(void)
{
	struct ax_catalog *cat = NULL;
	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	for (size_t i = 0; cat && i < cat->nmaps; i++) {
		const struct ax_mapping *m = &cat->maps[i];
		const char *base = strchr(m->file, '/') ? strchr(m->file, '/') + 1 : m->file;
		char *type = ax_strndup(base, strcspn(base, "."));
		const struct probe *p = ax_probe_find(type);
		int found = 0;

		t_checks++;
		if (!p) {
			t_fail(__FILE__, __LINE__, "%s: no probe type \"%s\"", m->file, type);
		} else {
			for (const struct ax_check_def *d = p->checks; d && d->id && !found; d++)
				found = rule_hits(m->check, d->id);
			if (!found)
				t_fail(__FILE__, __LINE__, "%s: rule \"%s\" matches no check of probe %s", m->file, m->check,
				       type);
		}
		free(type);
	}
	ax_catalog_free(cat);
}

static void test_default_dir(void)
{
	struct ax_kv kv = {"annexa.controls", "/srv/annexa/controls"};
	struct ax_config cfg = {0};

	if (getenv("ANNEXA_CONTROLS"))
		T_EQ_STR(ax_catalog_default_dir(NULL), getenv("ANNEXA_CONTROLS"));
	cfg.values = &kv;
	cfg.nvalues = 1;
	T_EQ_STR(ax_catalog_default_dir(&cfg), "/srv/annexa/controls");
}

/* A catalog folder of its own: the real schema and catalog, one mapping. */
static char *make_dir(const char *name, const char *mapping_name, const char *mapping)
{
	struct ax_buf xsd = AX_BUF_INIT, annex = AX_BUF_INIT;
	char *src = NULL, *path = NULL, *dir = ax_asprintf("%s/%s", t_tmpdir(), name);

	mkdir(dir, 0700);
	path = ax_asprintf("%s/mapping", dir);
	mkdir(path, 0700);
	free(path);
	src = ax_asprintf("%s/controls.xsd", src_dir());
	T_EQ_INT(ax_file_read(src, 1 << 20, &xsd), 0);
	free(src);
	src = ax_asprintf("%s/annex-a.xml", src_dir());
	T_EQ_INT(ax_file_read(src, 1 << 20, &annex), 0);
	free(src);

	path = ax_asprintf("%s/controls.xsd", name);
	free(t_write(path, ax_buf_cstr(&xsd)));
	free(path);
	path = ax_asprintf("%s/annex-a.xml", name);
	free(t_write(path, ax_buf_cstr(&annex)));
	free(path);
	if (mapping) {
		path = ax_asprintf("%s/mapping/%s", name, mapping_name);
		free(t_write(path, mapping));
		free(path);
	}
	ax_buf_free(&xsd);
	ax_buf_free(&annex);
	return dir;
}

#define HEAD "<?xml version=\"1.0\"?>\n<mapping xmlns=\"urn:annexa:controls:1\" framework=\"iso27001-2022\">\n"

static const struct {
	const char *name;
	const char *mapping;
	int code;
	const char *want1, *want2; /* substrings of the error message */
} broken[] = {
	{"ok", HEAD "  <map check=\"tls.*\" control=\"A.8.24\"/>\n</mapping>\n", 0, NULL, NULL},
	{"empty-ok", HEAD "</mapping>\n", 0, NULL, NULL},
	{"unknown-control", HEAD "  <map check=\"x.y\" control=\"A.8.3\"/>\n  <map check=\"x.z\" control=\"A.5.99\"/>\n</mapping>\n",
	 AX_EINVALID, "mapping/m.xml:4:", "A.5.99"},
	{"bad-pattern", HEAD "\n  <map check=\"x.y\" control=\"A.9.1\"/>\n</mapping>\n", AX_EINVALID, "mapping/m.xml:4:",
	 "control"},
	{"missing-attr", HEAD "  <map check=\"x.y\"/>\n</mapping>\n", AX_EINVALID, "mapping/m.xml:3:", "control"},
	{"star-only", HEAD "  <map check=\"*\" control=\"A.8.3\"/>\n</mapping>\n", AX_EINVALID, "mapping/m.xml:3:", "check"},
	{"duplicate", HEAD "  <map check=\"a.b\" control=\"A.8.3\"/>\n  <map check=\"a.b\" control=\"A.8.3\"/>\n</mapping>\n",
	 AX_EINVALID, "mapping/m.xml:4:", "uplicate"},
	{"not-xml", HEAD "  <map check=\"a.b\" control=\"A.8.3\">\n</mapping>\n", AX_EINVALID, "mapping/m.xml:4:", ""},
	{"framework", "<mapping xmlns=\"urn:annexa:controls:1\" framework=\"soc2\"/>\n", AX_EINVALID, "mapping/m.xml:1:",
	 "soc2"},
	{"wrong-root", "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:annexa:controls:1\" framework=\"iso27001-2022\">\n"
		       "<control id=\"A.5.1\" theme=\"People\" title=\"x\"/></catalog>\n",
	 AX_EINVALID, "mapping/m.xml:2:", "expected <mapping>"},
	{"no-namespace", "<mapping framework=\"iso27001-2022\"/>\n", AX_EINVALID, "mapping/m.xml:1:", ""},
};

static void test_broken_mappings(void)
{
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct ax_catalog *cat = NULL;
		char *dir = make_dir(broken[i].name, "m.xml", broken[i].mapping);
		int rc = ax_catalog_load(&cat, dir);
		t_checks++;
		if (rc != broken[i].code)
			t_fail(__FILE__, __LINE__, "%s: rc %d, expected %d (%s)", broken[i].name, rc, broken[i].code,
			       ax_error_last());
		if (broken[i].code) {
			T_OK(cat == NULL);
			T_CONTAINS(ax_error_last(), broken[i].want1);
			T_CONTAINS(ax_error_last(), broken[i].want2);
			T_CONTAINS(ax_error_last(), dir); /* the full path, not only the name */
		} else {
			T_OK(cat != NULL);
		}
		ax_catalog_free(cat);
		free(dir);
	}
}

static void test_order_and_missing(void)
{
	struct ax_catalog *cat = NULL;
	char *dir = make_dir("order", "b.xml", HEAD "  <map check=\"b.x\" control=\"A.5.2\"/>\n</mapping>\n");
	char *rel = ax_asprintf("order/mapping/a.xml");

	free(t_write(rel, HEAD "  <map check=\"a.x\" control=\"A.5.1\"/>\n</mapping>\n"));
	free(t_write("order/mapping/ignored.txt", "not xml"));
	T_EQ_INT(ax_catalog_load(&cat, dir), 0);
	if (cat) {
		T_EQ_INT(cat->nmaps, 2);
		T_EQ_STR(cat->maps[0].file, "mapping/a.xml");
		T_EQ_STR(cat->maps[1].file, "mapping/b.xml");
		T_EQ_INT(cat->nxwalk, 0); /* no crosswalk folder: none, not an error */
	}
	ax_catalog_free(cat);
	free(rel);
	free(dir);

	cat = (struct ax_catalog *)1;
	dir = ax_asprintf("%s/does-not-exist", t_tmpdir());
	T_EQ_INT(ax_catalog_load(&cat, dir), AX_ENOTFOUND);
	T_OK(cat == NULL);
	T_CONTAINS(ax_error_last(), "does-not-exist/controls.xsd");
	free(dir);

	/* A catalog that breaks the schema names its own file and line. */
	dir = make_dir("bad-catalog", "m.xml", NULL);
	free(t_write("bad-catalog/annex-a.xml", "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:annexa:controls:1\" "
						"framework=\"iso27001-2022\">\n<control id=\"A.5.1\" theme=\"Cyber\" title=\"x\"/>\n"
						"</catalog>\n"));
	T_EQ_INT(ax_catalog_load(&cat, dir), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "annex-a.xml:3:");
	T_CONTAINS(ax_error_last(), "theme");
	free(dir);
	ax_catalog_free(NULL);
}

static void test_check_config(void)
{
	struct ax_catalog *cat = NULL;
	char *good[] = {"A.8.15", "A.5.33"}, *bad[] = {"A.8.15", "A.8.99"};
	struct ax_probe_instance pi = {.name = "backups", .controls = good, .ncontrols = 2};
	struct ax_control_cfg cc = {.id = "A.7.4", .applicable = 0, .justification = "no premises"};
	struct ax_config cfg = {.path = "/etc/annexa/annexa.conf", .probes = &pi, .nprobes = 1, .controls = &cc, .ncontrols = 1};

	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	T_EQ_INT(ax_catalog_check_config(cat, &cfg), 0);
	T_EQ_INT(ax_catalog_check_config(cat, NULL), 0);
	pi.controls = bad;
	T_EQ_INT(ax_catalog_check_config(cat, &cfg), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "/etc/annexa/annexa.conf: [probe \"backups\"] controls: unknown control \"A.8.99\"");
	pi.controls = good;
	cc.id = "A.7.15";
	T_EQ_INT(ax_catalog_check_config(cat, &cfg), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "[control \"A.7.15\"]");
	ax_catalog_free(cat);
}

static void test_patterns(void)
{
	static const struct {
		const char *pattern, *check;
		int want;
	} cases[] = {
		{"file.mode", "file.mode", 1},
		{"file.mode", "file.mode.x", 0},
		{"file.mode", "file.mod", 0},
		{"tls.*", "tls.protocol.tls1_0", 1},
		{"tls.*", "tls.x", 1},
		{"tls.*", "tls", 0},
		{"tls.*", "tls.", 0},
		{"tls.*", "tlsx.y", 0},
		{"tls.protocol.*", "tls.cert.expiry", 0},
		{NULL, "x", 0},
		{"x", NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_checks++;
		if (ax_check_pattern_matches(cases[i].pattern, cases[i].check) != cases[i].want)
			t_fail(__FILE__, __LINE__, "pattern %s vs %s: expected %d", cases[i].pattern ? cases[i].pattern : "NULL",
			       cases[i].check ? cases[i].check : "NULL", cases[i].want);
	}
}

/* Every control a mapping rule names has a coverage statement, and it
 * says what the checks of that rule's probe type (mapping/TYPE.xml) cover;
 * every item carries its aspect and text; every statement has a purpose
 * and at least one need, so passing checks alone never make a control
 * pass. Data-driven: follows whatever mapping files are present. */
static void test_coverage_complete(void)
{
	struct ax_catalog *cat = NULL;
	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	if (!cat)
		return;
	T_OK(cat->ncoverage > 0);
	for (size_t i = 0; i < cat->nmaps; i++) {
		const struct ax_mapping *m = &cat->maps[i];
		const struct ax_coverage *cov = ax_catalog_coverage(cat, m->control);
		t_checks++;
		if (!cov) {
			t_fail(__FILE__, __LINE__, "%s maps %s to %s, which has no coverage statement in coverage/", m->file,
			       m->check, m->control);
			continue;
		}
		/* "mapping/tls.xml" -> "tls" */
		const char *base = strrchr(m->file, '/') ? strrchr(m->file, '/') + 1 : m->file;
		size_t len = strlen(base) > 4 ? strlen(base) - 4 : 0;
		int found = 0;
		for (size_t k = 0; k < cov->ncovered && !found; k++)
			found = strlen(cov->covered[k].probe) == len && strncmp(cov->covered[k].probe, base, len) == 0;
		t_checks++;
		if (!found)
			t_fail(__FILE__, __LINE__, "coverage of %s (%s) has no <covered probe=\"%.*s\"> for %s's rule %s",
			       m->control, cov->file, (int)len, base, m->file, m->check);
	}
	for (size_t c = 0; c < cat->ncoverage; c++) {
		const struct ax_coverage *cov = &cat->coverage[c];
		T_OK(cov->purpose && strncmp(cov->purpose, "27002 ", 6) == 0);
		T_OK(cov->ncovered > 0 && cov->nneeds > 0);
		for (size_t k = 0; k < cov->ncovered; k++) {
			T_OK(cov->covered[k].probe && *cov->covered[k].probe && cov->covered[k].text && *cov->covered[k].text);
			T_OK(cov->covered[k].aspect <= AX_ASPECT_OPERATING);
		}
		for (size_t k = 0; k < cov->nneeds; k++) {
			T_OK(cov->needs[k].id && *cov->needs[k].id && cov->needs[k].text && *cov->needs[k].text);
			T_OK(cov->needs[k].aspect <= AX_ASPECT_OPERATING);
			/* a need a check answers names a check mapped to the control */
			for (size_t q = 0; q < cov->needs[k].nchecks; q++) {
				int mapped = 0;
				for (size_t i = 0; i < cat->nmaps && !mapped; i++)
					mapped = strcmp(cat->maps[i].control, cov->control) == 0 &&
						 (ax_check_pattern_matches(cat->maps[i].check, cov->needs[k].checks[q]) ||
						  ax_check_pattern_matches(cov->needs[k].checks[q], cat->maps[i].check) ||
						  strcmp(cat->maps[i].check, cov->needs[k].checks[q]) == 0);
				t_checks++;
				if (!mapped)
					t_fail(__FILE__, __LINE__, "%s:%s answered by %s, which no rule maps to %s", cov->control,
					       cov->needs[k].id, cov->needs[k].checks[q], cov->control);
			}
		}
	}
	const struct ax_coverage *log = ax_catalog_coverage(cat, "A.8.15");
	T_OK(log != NULL);
	if (log) {
		T_EQ_STR(log->file, "coverage/technological.xml");
		T_EQ_STR(log->needs[0].id, "policy");
		T_EQ_STR(ax_aspect_name(log->needs[0].aspect), "design");
	}
	ax_catalog_free(cat);
}

#define COV "<?xml version=\"1.0\"?>\n<coverage xmlns=\"urn:annexa:controls:1\" framework=\"iso27001-2022\">\n"
#define PURPOSE "<purpose>27002 8.15: x</purpose>"

static const struct {
	const char *name, *file;
	int code;
	const char *want1, *want2;
} broken_cov[] = {
	{"cov-ok", COV "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"file\" aspect=\"design\">a</covered>"
		       "<need id=\"p\" aspect=\"design\" checks=\"log.present tls.*\">b</need></control>\n</coverage>\n",
	 0, NULL, NULL},
	{"cov-no-aspect", COV "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"file\">a</covered>"
			      "<need id=\"p\" aspect=\"design\">b</need></control>\n</coverage>\n",
	 AX_EINVALID, "coverage/c.xml:3:", "aspect"},
	{"cov-bad-aspect", COV "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"file\" aspect=\"vibes\">a</covered>"
			       "<need id=\"p\" aspect=\"design\">b</need></control>\n</coverage>\n",
	 AX_EINVALID, "coverage/c.xml:3:", "vibes"},
	{"cov-no-need", COV "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"file\" aspect=\"design\">a</covered>"
			    "</control>\n</coverage>\n",
	 AX_EINVALID, "coverage/c.xml:3:", "need"},
	{"cov-unknown-control", COV "<control id=\"A.8.99\">" PURPOSE "<covered probe=\"f\" aspect=\"design\">a</covered>"
				    "<need id=\"p\" aspect=\"design\">b</need></control>\n</coverage>\n",
	 AX_EINVALID, "coverage/c.xml:3:", "A.8.99"},
	{"cov-twice", COV "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"f\" aspect=\"design\">a</covered>"
			  "<need id=\"p\" aspect=\"design\">b</need></control>\n"
			  "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"f\" aspect=\"design\">a</covered>"
			  "<need id=\"p\" aspect=\"design\">b</need></control>\n</coverage>\n",
	 AX_EINVALID, "coverage/c.xml:4:", "uplicate"},
	{"cov-need-twice", COV "<control id=\"A.8.15\">" PURPOSE "<covered probe=\"f\" aspect=\"design\">a</covered>"
			       "<need id=\"p\" aspect=\"design\">b</need><need id=\"p\" aspect=\"operating\">c</need>"
			       "</control>\n</coverage>\n",
	 AX_EINVALID, "coverage/c.xml:3:", "uplicate"},
};

static void test_broken_coverage(void)
{
	for (size_t i = 0; i < sizeof(broken_cov) / sizeof(broken_cov[0]); i++) {
		struct ax_catalog *cat = NULL;
		char *dir = make_dir(broken_cov[i].name, "m.xml", NULL);
		char *sub = ax_asprintf("%s/coverage", dir), *rel = ax_asprintf("%s/coverage/c.xml", broken_cov[i].name);
		mkdir(sub, 0700);
		free(t_write(rel, broken_cov[i].file));
		int rc = ax_catalog_load(&cat, dir);
		t_checks++;
		if (rc != broken_cov[i].code)
			t_fail(__FILE__, __LINE__, "%s: rc %d, expected %d (%s)", broken_cov[i].name, rc,
			       broken_cov[i].code, ax_error_last());
		if (broken_cov[i].code) {
			T_OK(cat == NULL);
			T_CONTAINS(ax_error_last(), broken_cov[i].want1);
			T_CONTAINS(ax_error_last(), broken_cov[i].want2);
		} else if (cat) {
			const struct ax_coverage *c = ax_catalog_coverage(cat, "A.8.15");
			T_OK(c && c->nneeds == 1 && c->needs[0].nchecks == 2);
			if (c && c->nneeds == 1 && c->needs[0].nchecks == 2)
				T_EQ_STR(c->needs[0].checks[1], "tls.*");
		}
		ax_catalog_free(cat);
		free(sub);
		free(rel);
		free(dir);
	}
}

int main(void)
{
	test_real_catalog();
	test_rules_match_probes();
	test_default_dir();
	test_broken_mappings();
	test_order_and_missing();
	test_check_config();
	test_patterns();
	test_coverage_complete();
	test_broken_coverage();
	return t_done();
}
