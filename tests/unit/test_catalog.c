/* test_catalog.c - the real controls/ folder loads (93 controls, the four
 * themes, the file mapping, the 2013 crosswalk with all 114 controls);
 * every rule says how strongly and why it evidences its control, and the
 * rules an auditor rejected stay gone; broken data files are rejected with
 * file and line; rule patterns match as documented. */
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

	T_EQ_INT(cat->nxwalk, 115); /* 114 controls, A.18.2.3 to two */
	T_EQ_STR(cat->xwalk[0].framework, "iso27001-2013");
	T_EQ_STR(cat->xwalk[0].from, "A.5.1.1");
	T_EQ_STR(cat->xwalk[0].to, "A.5.1");
	T_EQ_STR(cat->xwalk[0].relationship, "subset");
	ax_catalog_free(cat);
}

/* Every rule carries a strength and a one-line rationale naming the
 * 27002:2022 purpose ("8.15 ..." for A.8.15); `annexa controls` shows them. */
static void test_rules_justified(void)
{
	struct ax_catalog *cat = NULL;
	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	T_OK(cat && cat->nmaps > 50);
	for (size_t i = 0; cat && i < cat->nmaps; i++) {
		const struct ax_mapping *m = &cat->maps[i];
		const char *r = m->rationale ? m->rationale : "";
		t_checks++;
		if (!m->strength || (strcmp(m->strength, "primary") != 0 && strcmp(m->strength, "supporting") != 0))
			t_fail(__FILE__, __LINE__, "%s: %s -> %s: strength \"%s\"", m->file, m->check, m->control,
			       m->strength ? m->strength : "(none)");
		t_checks++;
		if (strlen(r) < 20 || strchr(r, '\n') || strncmp(r, m->control + 2, strlen(m->control + 2)) != 0 ||
		    r[strlen(m->control + 2)] != ' ')
			t_fail(__FILE__, __LINE__, "%s: %s -> %s: rationale \"%s\" does not open with the 27002 clause %s",
			       m->file, m->check, m->control, r, m->control + 2);
	}
	ax_catalog_free(cat);
}

/* Does any rule map check (an id a probe emits) to control? */
static int maps_to(const struct ax_catalog *cat, const char *check, const char *control)
{
	for (size_t i = 0; cat && i < cat->nmaps; i++)
		if (strcmp(cat->maps[i].control, control) == 0 && ax_check_pattern_matches(cat->maps[i].check, check))
			return 1;
	return 0;
}

/* The claims the lead-auditor review rejected stay gone, the ones it found
 * missing stay there. */
static void test_audited_claims(void)
{
	static const struct {
		const char *check, *control;
		int want;
	} cases[] = {
		/* rejected: evidence an auditor would not accept */
		{"consent.doi.proof", "A.5.33", 0},
		{"consent.doi.single_optin_lists", "A.5.33", 0},
		{"log.privileged_logins", "A.8.2", 0}, /* review mode cannot fail */
		{"selftest.ok", "A.8.16", 0},
		{"transfer.unregistered_endpoint", "A.5.23", 0},
		{"transfer.tia_missing", "A.5.20", 0},
		/* doubtful, dropped */
		{"backup.restore_test", "A.5.30", 0},
		{"backup.fresh", "A.5.30", 0},
		{"backup.integrity", "A.5.30", 0},
		{"postfix.relay.restrictions", "A.8.20", 0},
		{"change.signed", "A.8.4", 0},
		{"change.history_rewritten", "A.8.4", 0},
		{"file.content.present", "A.8.9", 0},
		{"file.content.absent", "A.8.9", 0},
		{"log.auth_failures", "A.8.16", 0},
		/* kept or added */
		{"consent.doi.proof", "A.5.31", 1},
		{"consent.doi.proof", "A.5.34", 1},
		{"log.privileged_logins.forbidden", "A.8.2", 1},
		{"log.privileged_logins", "A.8.15", 1},
		{"log.auth_failures", "A.8.15", 0}, /* a found event is no logging defect */
		{"log.auth_failures", "A.8.5", 1},
		{"transfer.tia_missing", "A.5.34", 1},
		{"transfer.tia_missing", "A.5.31", 1},
		{"transfer.invalid_mechanism", "A.5.31", 1},
		{"transfer.dpf_unchecked", "A.5.31", 1},
		{"transfer.unregistered_endpoint", "A.5.9", 1},
		{"transfer.unregistered_endpoint", "A.5.34", 1},
		{"change.history_rewritten", "A.5.33", 1},
		{"postfix.relay.restrictions", "A.8.21", 1},
		{"backup.restore_test", "A.8.13", 1},
	};
	struct ax_catalog *cat = NULL;
	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	for (size_t i = 0; cat && i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_checks++;
		if (maps_to(cat, cases[i].check, cases[i].control) != cases[i].want)
			t_fail(__FILE__, __LINE__, "%s -> %s: mapped %d, want %d", cases[i].check, cases[i].control,
			       !cases[i].want, cases[i].want);
	}
	/* selftest evidences nothing at all */
	for (size_t i = 0; cat && i < cat->nmaps; i++)
		T_OK(strcmp(cat->maps[i].file, "mapping/selftest.xml") != 0);
	ax_catalog_free(cat);
}

/* The 114 controls of ISO/IEC 27001:2013 Annex A, from the standard's own
 * numbering (clauses A.5 to A.18, controls per objective), and the 2022
 * control each maps to in ISO/IEC 27002:2022 Annex B, Table B.2. Written
 * out here rather than read from the CSV the crosswalk was generated from,
 * so a row lost there is caught. */
static const char *const legacy[][2] = {
	{"A.5.1.1", "A.5.1"}, {"A.5.1.2", "A.5.1"}, {"A.6.1.1", "A.5.2"}, {"A.6.1.2", "A.5.3"},
	{"A.6.1.3", "A.5.5"}, {"A.6.1.4", "A.5.6"}, {"A.6.1.5", "A.5.8"}, {"A.6.2.1", "A.8.1"},
	{"A.6.2.2", "A.6.7"}, {"A.7.1.1", "A.6.1"}, {"A.7.1.2", "A.6.2"}, {"A.7.2.1", "A.5.4"},
	{"A.7.2.2", "A.6.3"}, {"A.7.2.3", "A.6.4"}, {"A.7.3.1", "A.6.5"}, {"A.8.1.1", "A.5.9"},
	{"A.8.1.2", "A.5.9"}, {"A.8.1.3", "A.5.10"}, {"A.8.1.4", "A.5.11"}, {"A.8.2.1", "A.5.12"},
	{"A.8.2.2", "A.5.13"}, {"A.8.2.3", "A.5.10"}, {"A.8.3.1", "A.7.10"}, {"A.8.3.2", "A.7.10"},
	{"A.8.3.3", "A.7.10"}, {"A.9.1.1", "A.5.15"}, {"A.9.1.2", "A.5.15"}, {"A.9.2.1", "A.5.16"},
	{"A.9.2.2", "A.5.18"}, {"A.9.2.3", "A.8.2"}, {"A.9.2.4", "A.5.17"}, {"A.9.2.5", "A.5.18"},
	{"A.9.2.6", "A.5.18"}, {"A.9.3.1", "A.5.17"}, {"A.9.4.1", "A.8.3"}, {"A.9.4.2", "A.8.5"},
	{"A.9.4.3", "A.5.17"}, {"A.9.4.4", "A.8.18"}, {"A.9.4.5", "A.8.4"}, {"A.10.1.1", "A.8.24"},
	{"A.10.1.2", "A.8.24"}, {"A.11.1.1", "A.7.1"}, {"A.11.1.2", "A.7.2"}, {"A.11.1.3", "A.7.3"},
	{"A.11.1.4", "A.7.5"}, {"A.11.1.5", "A.7.6"}, {"A.11.1.6", "A.7.2"}, {"A.11.2.1", "A.7.8"},
	{"A.11.2.2", "A.7.11"}, {"A.11.2.3", "A.7.12"}, {"A.11.2.4", "A.7.13"}, {"A.11.2.5", "A.7.10"},
	{"A.11.2.6", "A.7.9"}, {"A.11.2.7", "A.7.14"}, {"A.11.2.8", "A.8.1"}, {"A.11.2.9", "A.7.7"},
	{"A.12.1.1", "A.5.37"}, {"A.12.1.2", "A.8.32"}, {"A.12.1.3", "A.8.6"}, {"A.12.1.4", "A.8.31"},
	{"A.12.2.1", "A.8.7"}, {"A.12.3.1", "A.8.13"}, {"A.12.4.1", "A.8.15"}, {"A.12.4.2", "A.8.15"},
	{"A.12.4.3", "A.8.15"}, {"A.12.4.4", "A.8.17"}, {"A.12.5.1", "A.8.19"}, {"A.12.6.1", "A.8.8"},
	{"A.12.6.2", "A.8.19"}, {"A.12.7.1", "A.8.34"}, {"A.13.1.1", "A.8.20"}, {"A.13.1.2", "A.8.21"},
	{"A.13.1.3", "A.8.22"}, {"A.13.2.1", "A.5.14"}, {"A.13.2.2", "A.5.14"}, {"A.13.2.3", "A.5.14"},
	{"A.13.2.4", "A.6.6"}, {"A.14.1.1", "A.5.8"}, {"A.14.1.2", "A.8.26"}, {"A.14.1.3", "A.8.26"},
	{"A.14.2.1", "A.8.25"}, {"A.14.2.2", "A.8.32"}, {"A.14.2.3", "A.8.32"}, {"A.14.2.4", "A.8.32"},
	{"A.14.2.5", "A.8.27"}, {"A.14.2.6", "A.8.31"}, {"A.14.2.7", "A.8.30"}, {"A.14.2.8", "A.8.29"},
	{"A.14.2.9", "A.8.29"}, {"A.14.3.1", "A.8.33"}, {"A.15.1.1", "A.5.19"}, {"A.15.1.2", "A.5.20"},
	{"A.15.1.3", "A.5.21"}, {"A.15.2.1", "A.5.22"}, {"A.15.2.2", "A.5.22"}, {"A.16.1.1", "A.5.24"},
	{"A.16.1.2", "A.6.8"}, {"A.16.1.3", "A.6.8"}, {"A.16.1.4", "A.5.25"}, {"A.16.1.5", "A.5.26"},
	{"A.16.1.6", "A.5.27"}, {"A.16.1.7", "A.5.28"}, {"A.17.1.1", "A.5.29"}, {"A.17.1.2", "A.5.29"},
	{"A.17.1.3", "A.5.29"}, {"A.17.2.1", "A.8.14"}, {"A.18.1.1", "A.5.31"}, {"A.18.1.2", "A.5.32"},
	{"A.18.1.3", "A.5.33"}, {"A.18.1.4", "A.5.34"}, {"A.18.1.5", "A.5.31"}, {"A.18.2.1", "A.5.35"},
	{"A.18.2.2", "A.5.36"}, {"A.18.2.3", "A.5.36"}, {"A.18.2.3", "A.8.8"},
};

static void test_crosswalk_complete(void)
{
	struct ax_catalog *cat = NULL;
	size_t n = sizeof(legacy) / sizeof(legacy[0]), distinct = 0;
	T_EQ_INT(ax_catalog_load(&cat, src_dir()), 0);
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		distinct += i == 0 || strcmp(legacy[i][0], legacy[i - 1][0]) != 0;
		for (size_t w = 0; cat && w < cat->nxwalk; w++)
			found |= strcmp(cat->xwalk[w].from, legacy[i][0]) == 0 && strcmp(cat->xwalk[w].to, legacy[i][1]) == 0;
		t_checks++;
		if (!found)
			t_fail(__FILE__, __LINE__, "crosswalk lacks %s -> %s", legacy[i][0], legacy[i][1]);
	}
	T_EQ_INT(distinct, 114);
	/* and nothing beyond them: every crosswalk row is one of the table's */
	for (size_t w = 0; cat && w < cat->nxwalk; w++) {
		int known = 0;
		for (size_t i = 0; i < n; i++)
			known |= strcmp(cat->xwalk[w].from, legacy[i][0]) == 0 && strcmp(cat->xwalk[w].to, legacy[i][1]) == 0;
		t_checks++;
		if (!known)
			t_fail(__FILE__, __LINE__, "crosswalk maps %s -> %s, not in 27002:2022 Annex B", cat->xwalk[w].from,
			       cat->xwalk[w].to);
	}
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
/* A rule's required strength and rationale, for the tests' own rules. */
#define WHY " strength=\"primary\" rationale=\"test rule: the purpose it evidences\""

static const struct {
	const char *name;
	const char *mapping;
	int code;
	const char *want1, *want2; /* substrings of the error message */
} broken[] = {
	{"ok", HEAD "  <map check=\"tls.*\" control=\"A.8.24\"" WHY "/>\n</mapping>\n", 0, NULL, NULL},
	{"empty-ok", HEAD "</mapping>\n", 0, NULL, NULL},
	{"unknown-control", HEAD "  <map check=\"x.y\" control=\"A.8.3\"" WHY "/>\n  <map check=\"x.z\" control=\"A.5.99\"" WHY "/>\n</mapping>\n",
	 AX_EINVALID, "mapping/m.xml:4:", "A.5.99"},
	{"bad-pattern", HEAD "\n  <map check=\"x.y\" control=\"A.9.1\"" WHY "/>\n</mapping>\n", AX_EINVALID, "mapping/m.xml:4:",
	 "control"},
	{"missing-attr", HEAD "  <map check=\"x.y\"/>\n</mapping>\n", AX_EINVALID, "mapping/m.xml:3:", "control"},
	{"star-only", HEAD "  <map check=\"*\" control=\"A.8.3\"" WHY "/>\n</mapping>\n", AX_EINVALID, "mapping/m.xml:3:", "check"},
	{"duplicate", HEAD "  <map check=\"a.b\" control=\"A.8.3\"" WHY "/>\n  <map check=\"a.b\" control=\"A.8.3\"" WHY "/>\n</mapping>\n",
	 AX_EINVALID, "mapping/m.xml:4:", "uplicate"},
	{"not-xml", HEAD "  <map check=\"a.b\" control=\"A.8.3\"" WHY ">\n</mapping>\n", AX_EINVALID, "mapping/m.xml:4:", ""},
	{"framework", "<mapping xmlns=\"urn:annexa:controls:1\" framework=\"soc2\"/>\n", AX_EINVALID, "mapping/m.xml:1:",
	 "soc2"},
	{"wrong-root", "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:annexa:controls:1\" framework=\"iso27001-2022\">\n"
		       "<control id=\"A.5.1\" theme=\"People\" title=\"x\"/></catalog>\n",
	 AX_EINVALID, "mapping/m.xml:2:", "expected <mapping>"},
	{"no-namespace", "<mapping framework=\"iso27001-2022\"/>\n", AX_EINVALID, "mapping/m.xml:1:", ""},
	{"no-strength", HEAD "  <map check=\"a.b\" control=\"A.8.3\" rationale=\"8.3 a rationale long enough\"/>\n</mapping>\n",
	 AX_EINVALID, "mapping/m.xml:3:", "strength"},
	{"bad-strength", HEAD "  <map check=\"a.b\" control=\"A.8.3\" strength=\"strong\" rationale=\"8.3 a rationale long enough\"/>\n"
			      "</mapping>\n", AX_EINVALID, "mapping/m.xml:3:", "strength"},
	{"no-rationale", HEAD "  <map check=\"a.b\" control=\"A.8.3\" strength=\"supporting\"/>\n</mapping>\n", AX_EINVALID,
	 "mapping/m.xml:3:", "rationale"},
	{"empty-rationale", HEAD "  <map check=\"a.b\" control=\"A.8.3\" strength=\"supporting\" rationale=\"\"/>\n</mapping>\n",
	 AX_EINVALID, "mapping/m.xml:3:", "rationale"},
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
	char *dir = make_dir("order", "b.xml", HEAD "  <map check=\"b.x\" control=\"A.5.2\"" WHY "/>\n</mapping>\n");
	char *rel = ax_asprintf("order/mapping/a.xml");

	free(t_write(rel, HEAD "  <map check=\"a.x\" control=\"A.5.1\"" WHY "/>\n</mapping>\n"));
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
	/* the same rule says what a probe may emit under a declared wildcard,
	 * where the suffix must also be an id */
	T_EQ_INT(ax_check_id_wildcard("tls.*"), 4);
	T_EQ_INT(ax_check_id_wildcard("tls.x"), 0);
	T_EQ_INT(ax_check_id_wildcard("*"), 0);
	T_EQ_INT(ax_check_id_wildcard(NULL), 0);
	static const struct ax_check_def defs[] = {{"x.plain", ""}, {"x.item.*", ""}, {NULL, NULL}};
	const struct probe fake = {.name = "fake", .checks = defs};
	T_OK(ax_probe_declares(&fake, "x.plain"));
	T_OK(ax_probe_declares(&fake, "x.item.backup-1"));
	T_OK(!ax_probe_declares(&fake, "x.item."));
	T_OK(!ax_probe_declares(&fake, "x.item.a b"));
	T_OK(!ax_probe_declares(&fake, "x.plain.more"));
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
	test_rules_justified();
	test_audited_claims();
	test_crosswalk_complete();
	test_default_dir();
	test_broken_mappings();
	test_order_and_missing();
	test_check_config();
	test_patterns();
	test_coverage_complete();
	test_broken_coverage();
	return t_done();
}
