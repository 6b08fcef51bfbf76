/* test_status.c - the status engine, table-driven: results x mapping x
 * config -> control status (precedence, staleness, skip, not_applicable,
 * manual, not_covered), then the JSON shape, the terminal table and the
 * Statement of Applicability (CSV quoting, JSON). */
#include <stdlib.h>
#include <string.h>

#include "t.h"

#include "buf.h"
#include "config.h"
#include "controls.h"
#include "error.h"
#include "evidence.h"
#include "probe.h"

extern const struct probe probe_file;
#include "util.h"

#define NOW 1000000

/* A small catalog by hand: the engine must not depend on the real data. */
static struct ax_control ctl[] = {
	{"A.5.1", "Organizational", "Policies for information security"},
	{"A.8.3", "Technological", "Information access restriction"},
	{"A.8.9", "Technological", "Configuration management"},
	{"A.8.15", "Technological", "Logging"},
	{"A.8.24", "Technological", "Use of \"crypto\", strong"},
};
static struct ax_mapping maps[] = {
	{"file.mode", "A.8.3", "mapping/file.xml", "primary", "test rule"},
	{"file.owner", "A.8.3", "mapping/file.xml", "primary", "test rule"},
	{"file.content.*", "A.8.9", "mapping/file.xml", "primary", "test rule"},
	{"tls.*", "A.8.24", "mapping/tls.xml", "primary", "test rule"},
	{"tls.cert.expiry", "A.8.9", "mapping/tls.xml", "primary", "test rule"},
};
static struct ax_catalog cat = {ctl, 5, maps, 5, "iso27001-2022", NULL, 0, NULL, 0};

/* The config: mx-tls has freshness 10m, files an interval of 1m (so
 * freshness 2m) and `controls = A.8.15`; the default interval is 10m. */
static char *files_controls[] = {"A.8.15"};
static struct ax_probe_instance probes[] = {
	{.name = "mx-tls", .interval = 300, .freshness = 600},
	{.name = "files", .type = &probe_file, .interval = 60, .controls = files_controls, .ncontrols = 1},
};
static struct ax_control_cfg ctlcfg[] = {
	{.id = "A.5.1", .applicable = 0, .justification = "No own policies: the group's apply."},
	{.id = "A.8.24", .applicable = 0, .justification = "Crypto is the provider's."},
	{.id = "A.8.9", .applicable = 1, .justification = "Configs live in git."},
};
static struct ax_kv values[] = {{"annexa.interval", "10m"}};
static struct ax_config config = {"/etc/annexa/annexa.conf", values, 1, probes, 2, ctlcfg, 3};

struct res {
	const char *instance, *check;
	enum ax_check_status status;
	int64_t age;
};

#define P AX_CHECK_PASS
#define F AX_CHECK_FAIL
#define E AX_CHECK_ERROR
#define S AX_CHECK_SKIP
#define I AX_CHECK_INFO

static const struct {
	const char *name;
	int use_cfg;
	struct res res[4];
	const char *control;
	enum ax_control_status want;
	size_t rows;
} cases[] = {
	{"no mapping: manual", 0, {{0}}, "A.5.1", AX_CTL_MANUAL, 0},
	{"mapped, no results: not_covered", 0, {{0}}, "A.8.3", AX_CTL_NOT_COVERED, 0},
	{"one pass", 0, {{"files", "file.mode", P, 10}}, "A.8.3", AX_CTL_PASS, 1},
	{"fail beats pass", 0, {{"files", "file.mode", P, 10}, {"files", "file.owner", F, 10}}, "A.8.3", AX_CTL_FAIL, 2},
	{"error beats pass", 0, {{"files", "file.mode", E, 10}, {"files", "file.owner", P, 10}}, "A.8.3", AX_CTL_ERROR, 2},
	{"fail beats error", 0, {{"files", "file.mode", E, 10}, {"files", "file.owner", F, 10}}, "A.8.3", AX_CTL_FAIL, 2},
	{"old pass: stale (2 x 1h)", 0, {{"files", "file.mode", P, 7201}}, "A.8.3", AX_CTL_STALE, 1},
	{"pass at the limit: pass", 0, {{"files", "file.mode", P, 7200}}, "A.8.3", AX_CTL_PASS, 1},
	{"stale beats pass", 0, {{"files", "file.mode", P, 7201}, {"files", "file.owner", P, 1}}, "A.8.3", AX_CTL_STALE, 2},
	{"fail beats stale", 0, {{"files", "file.mode", P, 9000}, {"files", "file.owner", F, 1}}, "A.8.3", AX_CTL_FAIL, 2},
	{"old fail is a fail", 0, {{"files", "file.mode", F, 9000}}, "A.8.3", AX_CTL_FAIL, 1},
	{"error beats stale", 0, {{"files", "file.mode", P, 9000}, {"files", "file.owner", E, 1}}, "A.8.3", AX_CTL_ERROR, 2},
	{"skip only: not_covered", 0, {{"files", "file.mode", S, 1}}, "A.8.3", AX_CTL_NOT_COVERED, 1},
	{"skip does not count", 0, {{"files", "file.mode", S, 1}, {"files", "file.owner", P, 1}}, "A.8.3", AX_CTL_PASS, 2},
	{"stale skip does not count", 0, {{"files", "file.mode", S, 9000}, {"files", "file.owner", P, 1}}, "A.8.3",
	 AX_CTL_PASS, 2},
	{"info only: not_covered", 0, {{"files", "file.mode", I, 1}}, "A.8.3", AX_CTL_NOT_COVERED, 1},
	{"info does not count", 0, {{"files", "file.mode", I, 1}, {"files", "file.owner", P, 1}}, "A.8.3", AX_CTL_PASS, 2},
	{"stale info does not count", 0, {{"files", "file.mode", I, 9000}, {"files", "file.owner", P, 1}}, "A.8.3",
	 AX_CTL_PASS, 2},
	{"info does not hide a fail", 0, {{"files", "file.mode", I, 1}, {"files", "file.owner", F, 1}}, "A.8.3",
	 AX_CTL_FAIL, 2},
	{"newest result wins", 0, {{"files", "file.mode", F, 100}, {"files", "file.mode", P, 10}}, "A.8.3", AX_CTL_PASS, 1},
	{"newest result wins (fail)", 0, {{"files", "file.mode", P, 100}, {"files", "file.mode", F, 10}}, "A.8.3",
	 AX_CTL_FAIL, 1},
	{"one row per instance", 0, {{"a", "file.mode", P, 1}, {"b", "file.mode", F, 1}}, "A.8.3", AX_CTL_FAIL, 2},
	{"prefix rule", 0, {{"mx-tls", "tls.protocol.tls1_0", F, 1}}, "A.8.24", AX_CTL_FAIL, 1},
	{"prefix keeps its dot", 0, {{"mx-tls", "tlsx.y", F, 1}}, "A.8.24", AX_CTL_NOT_COVERED, 0},
	{"one check, two controls", 0, {{"mx-tls", "tls.cert.expiry", F, 1}}, "A.8.9", AX_CTL_FAIL, 1},
	{"prefix file.content.*", 0, {{"files", "file.content.absent", P, 1}}, "A.8.9", AX_CTL_PASS, 1},
	{"unmapped check evidences nothing", 0, {{"files", "file.exists", P, 1}}, "A.8.15", AX_CTL_MANUAL, 0},
	/* with the config */
	{"not_applicable, no mapping", 1, {{0}}, "A.5.1", AX_CTL_NOT_APPLICABLE, 0},
	{"not_applicable beats fail", 1, {{"mx-tls", "tls.protocol.tls1_0", F, 1}}, "A.8.24", AX_CTL_NOT_APPLICABLE, 1},
	{"applicable = true changes nothing", 1, {{"files", "file.content.present", F, 1}}, "A.8.9", AX_CTL_FAIL, 1},
	{"instance controls: mapped, no result", 1, {{0}}, "A.8.15", AX_CTL_NOT_COVERED, 0},
	{"instance controls: any check counts", 1, {{"files", "file.exists", P, 1}}, "A.8.15", AX_CTL_PASS, 1},
	{"instance controls: only that instance", 1, {{"other", "file.exists", F, 1}}, "A.8.15", AX_CTL_NOT_COVERED, 0},
	{"instance controls add to the mapping", 1, {{"files", "file.mode", F, 1}}, "A.8.15", AX_CTL_FAIL, 1},
	{"instance controls add to the mapping (2)", 1, {{"files", "file.mode", F, 1}}, "A.8.3", AX_CTL_FAIL, 1},
	{"freshness from the instance: fresh", 1, {{"mx-tls", "tls.cert.expiry", P, 600}}, "A.8.9", AX_CTL_PASS, 1},
	{"freshness from the instance: stale", 1, {{"mx-tls", "tls.cert.expiry", P, 601}}, "A.8.9", AX_CTL_STALE, 1},
	{"freshness 2 x instance interval", 1, {{"files", "file.mode", P, 121}}, "A.8.3", AX_CTL_STALE, 1},
	{"freshness 2 x instance interval (2)", 1, {{"files", "file.mode", P, 120}}, "A.8.3", AX_CTL_PASS, 1},
	{"gone instance: 2 x [annexa] interval", 1, {{"gone", "file.mode", P, 1200}}, "A.8.3", AX_CTL_PASS, 1},
	{"gone instance: stale", 1, {{"gone", "file.mode", P, 1201}}, "A.8.3", AX_CTL_STALE, 1},
};

static void fill(struct ax_evidence *ev, const struct res *res, size_t n)
{
	for (size_t i = 0; i < n && res[i].instance; i++)
		ax_evidence_add_result(ev, res[i].instance, "test", res[i].check, res[i].status, "msg", NULL,
				       NOW - res[i].age);
}

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_evidence ev = {0};
		struct ax_status *st = NULL;
		const struct ax_control_state *cs = NULL;

		fill(&ev, cases[i].res, 4);
		T_EQ_INT(ax_status_compute(&cat, cases[i].use_cfg ? &config : NULL, &ev, NOW, &st), 0);
		for (size_t k = 0; st && k < st->ncontrols; k++)
			if (strcmp(st->controls[k].control->id, cases[i].control) == 0)
				cs = &st->controls[k];
		t_checks++;
		if (!cs)
			t_fail(__FILE__, __LINE__, "%s: no control %s", cases[i].name, cases[i].control);
		else if (cs->status != cases[i].want || cs->nrows != cases[i].rows)
			t_fail(__FILE__, __LINE__, "%s: %s is %s with %zu rows, expected %s with %zu", cases[i].name,
			       cases[i].control, ax_control_status_name(cs->status), cs->nrows,
			       ax_control_status_name(cases[i].want), cases[i].rows);
		ax_status_free(st);
		ax_evidence_free(&ev);
	}
}

static void test_counts_and_rows(void)
{
	struct ax_evidence ev = {0};
	struct ax_status *st = NULL;
	struct res res[] = {{"files", "file.owner", P, 5}, {"b", "file.mode", F, 1}, {"files", "file.mode", P, 9000}};
	int total = 0;

	fill(&ev, res, 3);
	T_EQ_INT(ax_status_compute(&cat, &config, &ev, NOW, &st), 0);
	if (!st)
		return;
	T_EQ_INT(st->ncontrols, 5);
	T_EQ_INT(st->generated_at, NOW);
	for (int s = 0; s < AX_CTL__COUNT; s++)
		total += st->counts[s];
	T_EQ_INT(total, 5);
	T_EQ_INT(st->counts[AX_CTL_NOT_APPLICABLE], 2); /* A.5.1, A.8.24 */
	T_EQ_INT(st->counts[AX_CTL_FAIL], 1);           /* A.8.3 */
	T_EQ_INT(st->counts[AX_CTL_STALE], 1);          /* A.8.15: files' file.mode is old */
	T_EQ_INT(st->counts[AX_CTL_NOT_COVERED], 1);    /* A.8.9 */
	T_EQ_STR(st->controls[0].justification, "No own policies: the group's apply.");
	/* rows sorted by instance, then check; newest set */
	T_EQ_INT(st->controls[1].nrows, 3);
	T_EQ_STR(st->controls[1].rows[0].result->instance, "b");
	T_EQ_STR(st->controls[1].rows[1].result->check, "file.mode");
	T_EQ_INT(st->controls[1].rows[1].stale, 1);
	T_EQ_STR(st->controls[1].rows[2].result->check, "file.owner");
	T_EQ_INT(st->controls[1].rows[2].stale, 0);
	T_EQ_INT(st->controls[1].newest, NOW - 1);
	T_EQ_INT(st->controls[2].newest, 0);
	ax_status_free(st);
	ax_evidence_free(&ev);

	T_EQ_INT(ax_status_compute(NULL, NULL, NULL, NOW, &st), AX_EINVALID);
	T_OK(st == NULL);
	ax_status_free(NULL);
	T_EQ_STR(ax_control_status_name(AX_CTL_NOT_APPLICABLE), "not_applicable");
	T_EQ_STR(ax_control_status_name(AX_CTL_NOT_COVERED), "not_covered");
}

/* A control mapped only to checks of a probe type that no configured
 * instance runs has no automation at this site: manual, not not_covered. */
static void test_site_without_probe_type(void)
{
	struct ax_probe_instance files = {.name = "files", .type = &probe_file};
	struct ax_config cfg = {.probes = &files, .nprobes = 1};
	struct ax_evidence ev = {0};
	struct ax_status *st = NULL;
	T_EQ_INT(ax_status_compute(&cat, &cfg, &ev, NOW, &st), 0);
	if (!st)
		return;
	T_EQ_STR(ax_control_status_name(st->controls[4].status), "manual");      /* A.8.24: tls.* only */
	T_EQ_STR(ax_control_status_name(st->controls[2].status), "not_covered"); /* A.8.9: file.content.* */
	ax_status_free(st);
	T_EQ_INT(ax_status_compute(&cat, NULL, &ev, NOW, &st), 0);
	if (st)
		T_EQ_STR(ax_control_status_name(st->controls[4].status), "not_covered"); /* no config: every rule */
	ax_status_free(st);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* The DESIGN.md shape over the real catalog: all 93 controls. */
static void test_json(void)
{
	struct ax_catalog *real = NULL;
	struct ax_evidence ev = {0};
	struct ax_status *st = NULL;
	json_t *j, *controls, *a83 = NULL, *summary;
	struct ax_control_cfg na = {.id = "A.7.4", .applicable = 0, .justification = "No own premises."};
	struct ax_probe_instance files = {.name = "files", .type = &probe_file};
	struct ax_config cfg = {.controls = &na, .ncontrols = 1, .probes = &files, .nprobes = 1};
	char *s;
	int sum = 0;

	T_EQ_INT(ax_catalog_load(&real, ax_catalog_default_dir(NULL)), 0);
	if (!real)
		return;
	ax_evidence_add_result(&ev, "files", "file", "file.mode", AX_CHECK_FAIL, "mode 0644, want 0600", NULL, NOW - 2);
	ax_evidence_add_result(&ev, "files", "file", "file.owner", AX_CHECK_PASS, "owner root", NULL, NOW - 9000);
	T_EQ_INT(ax_status_compute(real, &cfg, &ev, NOW, &st), 0);
	j = ax_status_to_json(st);
	T_OK(json_is_string(json_object_get(j, "generated_at")));
	T_EQ_STR(json_string_value(json_object_get(j, "generated_at")), "1970-01-12T13:46:40Z");
	summary = json_object_get(j, "summary");
	T_EQ_INT(json_object_size(summary), 8);
	static const char *keys[] = {"pass", "partial", "fail", "error", "stale", "manual", "not_applicable", "not_covered"};
	for (int k = 0; k < 8; k++) {
		T_OK(json_is_integer(json_object_get(summary, keys[k])));
		sum += (int)json_integer_value(json_object_get(summary, keys[k]));
	}
	T_EQ_INT(sum, 93);
	T_EQ_INT(json_integer_value(json_object_get(summary, "fail")), 1);
	T_EQ_INT(json_integer_value(json_object_get(summary, "not_applicable")), 1);
	/* A.8.9: file.content.* maps to nothing by itself (it depends on what
	 * the file is), and no configured probe emits a check mapped to it */
	T_EQ_INT(json_integer_value(json_object_get(summary, "not_covered")), 0);
	T_EQ_INT(json_integer_value(json_object_get(summary, "manual")), 91);
	controls = json_object_get(j, "controls");
	T_EQ_INT(json_array_size(controls), 93);
	for (size_t i = 0; i < json_array_size(controls); i++) {
		json_t *c = json_array_get(controls, i);
		if (strcmp(json_string_value(json_object_get(c, "id")), "A.8.3") == 0)
			a83 = c;
		if (strcmp(json_string_value(json_object_get(c, "id")), "A.7.4") == 0) {
			T_EQ_STR(json_string_value(json_object_get(c, "status")), "not_applicable");
			T_EQ_STR(json_string_value(json_object_get(c, "justification")), "No own premises.");
		} else {
			T_OK(json_object_get(c, "justification") == NULL);
		}
	}
	/* the coverage statement is tested on its own (test_coverage) */
	T_OK(json_is_object(json_object_get(a83, "coverage")));
	json_object_del(a83, "coverage");
	s = dump(json_incref(a83));
	T_EQ_STR(s, "{\"checks\":["
		    "{\"check\":\"file.mode\",\"collected_at\":\"1970-01-12T13:46:38Z\",\"message\":\"mode 0644, want 0600\","
		    "\"probe\":\"files\",\"status\":\"fail\"},"
		    "{\"check\":\"file.owner\",\"collected_at\":\"1970-01-12T11:16:40Z\",\"message\":\"owner root\","
		    "\"probe\":\"files\",\"stale\":true,\"status\":\"pass\"}],"
		    "\"id\":\"A.8.3\",\"status\":\"fail\",\"theme\":\"Technological\",\"title\":\"Information access restriction\"}");
	free(s);
	json_decref(j);

	/* Invalid UTF-8 in a message must not drop the field. */
	ax_evidence_clear(&ev);
	ax_evidence_add_result(&ev, "files", "file", "file.mode", AX_CHECK_FAIL, "bad \xff byte", NULL, NOW);
	ax_status_free(st);
	T_EQ_INT(ax_status_compute(real, NULL, &ev, NOW, &st), 0);
	s = dump(ax_status_to_json(st));
	T_CONTAINS(s, "\"message\":\"bad ? byte\"");
	free(s);

	/* skip and info rows are shown, marked as no evidence; pass rows are not marked */
	ax_evidence_clear(&ev);
	ax_evidence_add_result(&ev, "files", "file", "file.mode", AX_CHECK_PASS, "ok", NULL, NOW);
	ax_evidence_add_result(&ev, "files", "file", "file.owner", AX_CHECK_SKIP, "no owner set", NULL, NOW);
	ax_evidence_add_result(&ev, "files", "file", "file.group", AX_CHECK_INFO, "listed", NULL, NOW);
	ax_status_free(st);
	T_EQ_INT(ax_status_compute(real, NULL, &ev, NOW, &st), 0);
	s = dump(ax_status_to_json(st));
	T_CONTAINS(s, "\"check\":\"file.group\",\"collected_at\":\"1970-01-12T13:46:40Z\",\"evidence\":false,"
		      "\"message\":\"listed\",\"probe\":\"files\",\"status\":\"info\"}");
	T_CONTAINS(s, "\"check\":\"file.owner\",\"collected_at\":\"1970-01-12T13:46:40Z\",\"evidence\":false,");
	T_CONTAINS(s, "\"check\":\"file.mode\",\"collected_at\":\"1970-01-12T13:46:40Z\",\"message\":\"ok\"");
	free(s);

	ax_status_free(st);
	ax_evidence_free(&ev);
	ax_catalog_free(real);
}

static char *capture_print_failing(const struct ax_status *st, const char *id, int failing)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ax_status_print(st, f, id, failing);
	fclose(f);
	return buf;
}

static char *capture_print(const struct ax_status *st, const char *id)
{
	return capture_print_failing(st, id, 0);
}

/* Longest line of s, in columns (UTF-8 continuation bytes take none). */
static size_t widest(const char *s)
{
	size_t w = 0, c = 0;
	for (; *s; s++) {
		if (*s == '\n') {
			c = 0;
			continue;
		}
		c += ((unsigned char)*s & 0xc0) != 0x80;
		w = c > w ? c : w;
	}
	return w;
}

/* Every fix line belongs to a check some probe declares (a renamed check
 * must not leave its hint behind), and every declared check has one. */
static void test_fixes(void)
{
	T_OK(ax_probe_fix_count() > 0);
	for (size_t i = 0; i < ax_probe_fix_count(); i++) {
		const char *id = ax_probe_fix_id(i);
		int declared = 0;
		for (size_t p = 0; ax_probes[p]; p++)
			declared |= ax_probe_declares(ax_probes[p], id);
		if (!declared)
			t_fail(__FILE__, __LINE__, "fixes.c names %s, which no probe declares", id);
		t_checks++;
	}
	T_OK(ax_probe_fix("no.such.check") == NULL);
	/* and every check a probe declares has a line: a new check without
	 * a hint fails here */
	for (size_t p = 0; ax_probes[p]; p++)
		for (const struct ax_check_def *c = ax_probes[p]->checks; c && c->id; c++) {
			const char *fix = ax_probe_fix(c->id);
			if (!fix || !*fix)
				t_fail(__FILE__, __LINE__, "probe %s declares %s, which has no fix line in fixes.c",
				       ax_probes[p]->name, c->id);
			t_checks++;
		}
}

/* ax_wrap: word boundaries, indentation, a word wider than the line cut,
 * UTF-8 counted in columns, control characters replaced. */
static void test_wrap(void)
{
	static const struct {
		size_t col, indent;
		const char *in, *want;
	} wcases[] = {
		{0, 0, "short text", "short text"},
		{70, 4, "one two three", " one two\n    three"},
		{33, 33, "Inventory of information and other associated assets [2 needs open]",
		 "Inventory of information and other associated\n"
		 "                                 assets [2 needs open]"},
		{10, 10, "/a/very/long/path/that/does/not/fit/in/one/line/of/eighty/columns/at/all/x/y/z/w",
		 "/a/very/long/path/that/does/not/fit/in/one/line/of/eighty/columns/at/a\n"
		 "          ll/x/y/z/w"},
		{76, 2, "caf\xc3\xa9 x", "\n  caf\xc3\xa9 x"},
		{75, 2, "caf\xc3\xa9 x", " caf\xc3\xa9\n  x"},
		{0, 0, "bell\x07 here", "bell? here"},
		{0, 0, "", ""},
	};
	for (size_t i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		char *buf = NULL;
		size_t len = 0, col = wcases[i].col;
		FILE *f = open_memstream(&buf, &len);
		ax_wrap(f, &col, wcases[i].in, wcases[i].indent);
		fclose(f);
		T_EQ_STR(buf, wcases[i].want);
		free(buf);
	}
}

static void test_print(void)
{
	struct ax_evidence ev = {0};
	struct ax_status *st = NULL;
	char *out;

	ax_evidence_add_result(&ev, "files", "file", "file.mode", AX_CHECK_FAIL, "mode 0644\x1b[2J", NULL, NOW - 1);
	ax_evidence_add_result(&ev, "files", "file", "file.owner", AX_CHECK_PASS, "owner ok", NULL, NOW - 1);
	T_EQ_INT(ax_status_compute(&cat, &config, &ev, NOW, &st), 0);
	out = capture_print(st, NULL);
	T_CONTAINS(out, "CONTROL  STATUS          CHECKS  TITLE\n");
	T_CONTAINS(out, "A.8.3    fail                 2  Information access restriction\n");
	T_CONTAINS(out, "A.5.1    not_applicable       0  Policies");
	T_CONTAINS(out, "Failing checks:\n  A.8.3 Information access restriction: fail\n");
	T_CONTAINS(out, "files  file.mode  1970-01-12T13:46:39Z mode 0644?[2J\n");
	T_OK(strchr(out, 0x1b) == NULL);
	T_OK(strstr(out, "owner ok") == NULL); /* passing rows only in the one-control view */
	T_CONTAINS(out, "5 controls: 0 pass, 0 partial, 2 fail,");
	free(out);

	ax_status_free(st);
	/* a long message of a long-named instance still fits 80 columns */
	ax_evidence_add_result(&ev, "a-rather-long-instance-name", "file", "file.content.absent.of.something", AX_CHECK_FAIL,
			       "/srv/some/very/long/path/to/a/configuration/file.cf line 8 matches '^smtpd_tls_protocols "
			       "*=.*(SSLv[23]|TLSv1[^.]|TLSv1\\.1)' and more words after it to wrap",
			       NULL, NOW - 1);
	T_EQ_INT(ax_status_compute(&cat, &config, &ev, NOW, &st), 0);
	out = capture_print(st, NULL);
	T_OK(widest(out) <= 80);
	T_CONTAINS(out, "\n          ");
	free(out);
	out = capture_print(st, "A.8.3");
	T_OK(widest(out) <= 80);
	free(out);

	out = capture_print_failing(st, NULL, 1);
	T_CONTAINS(out, "\nA.8.3    fail ");
	T_CONTAINS(out, "\nA.8.15   fail ");
	T_OK(strstr(out, "A.8.24 ") == NULL && strstr(out, "A.5.1 ") == NULL); /* excluded */
	free(out);

	out = capture_print(st, "A.8.3");
	T_CONTAINS(out, "          fix: chmod the file to mode-max or narrower (e.g. chmod 0640 PATH)\n");
	T_OK(strstr(out, "A.8.9") == NULL);
	T_CONTAINS(out, "owner ok");
	free(out);
	out = capture_print(st, "A.5.1");
	T_CONTAINS(out, "not applicable: No own policies");
	free(out);
	out = capture_print(st, "A.9.9");
	T_CONTAINS(out, "no control \"A.9.9\"");
	free(out);
	ax_status_free(st);
	ax_evidence_free(&ev);
}

static void test_soa(void)
{
	struct ax_evidence ev = {0};
	struct ax_status *st = NULL;
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *f;
	json_t *j;

	ax_evidence_add_result(&ev, "files", "file", "file.mode", AX_CHECK_PASS, "", NULL, NOW);
	ax_evidence_add_result(&ev, "files", "file", "file.owner", AX_CHECK_PASS, "", NULL, NOW);
	ax_evidence_add_result(&ev, "b", "file", "file.mode", AX_CHECK_PASS, "", NULL, NOW);
	/* skip and info are no evidence: never an evidence source */
	ax_evidence_add_result(&ev, "c", "file", "file.mode", AX_CHECK_SKIP, "", NULL, NOW);
	ax_evidence_add_result(&ev, "files", "file", "file.content.present", AX_CHECK_INFO, "", NULL, NOW);
	T_EQ_INT(ax_status_compute(&cat, NULL, &ev, NOW, &st), 0);
	f = open_memstream(&buf, &len);
	T_EQ_INT(ax_soa_write_csv(st, &config, ',', f), 0);
	fclose(f);
	/* a BOM, the auditor's columns; the theme's default reason of
	 * inclusion, then a justification the site wrote; skip is never the
	 * last evidence */
	T_EQ_STR(buf, "\xef\xbb\xbf" "Control,Title,Applicable,Justification,Implementation status,Evidenced by,Owner,"
		      "Last evidence,annexa status\r\n"
		      "A.5.1,Policies for information security,yes,business requirement; No own policies: the group's "
		      "apply.,planned,manual evidence needed,,,manual\r\n"
		      "A.8.3,Information access restriction,yes,best practice,implemented,\"b: file.mode; files: file.mode, "
		      "file.owner\",,1970-01-12T13:46:40Z,pass\r\n"
		      "A.8.9,Configuration management,yes,best practice; Configs live in git.,planned,no results yet "
		      "(automated checks mapped),,,not_covered\r\n"
		      "A.8.15,Logging,yes,best practice,planned,manual evidence needed,,,manual\r\n"
		      "A.8.24,\"Use of \"\"crypto\"\", strong\",yes,best practice; Crypto is the provider's.,planned,"
		      "no results yet (automated checks mapped),,,not_covered\r\n");
	free(buf);
	ax_status_free(st);

	/* With the config the exclusions show, justified. */
	T_EQ_INT(ax_status_compute(&cat, &config, &ev, NOW, &st), 0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	T_EQ_INT(ax_soa_write_csv(st, &config, ',', f), 0);
	fclose(f);
	T_CONTAINS(buf, "\r\nA.5.1,Policies for information security,no,No own policies: the group's apply.,"
			"excluded,-,,,not_applicable\r\n");
	T_CONTAINS(buf, "A.8.15,Logging,yes,best practice,implemented,\"files: file.mode, file.owner\",,"
			"1970-01-12T13:46:40Z,pass\r\n");
	free(buf);

	/* ';' for spreadsheets whose locale writes 3,5: fields with ';' are
	 * quoted, commas no longer need it; owner and reason from [control] */
	ctlcfg[2].owner = "Ops; infra";
	ctlcfg[2].reason = "risk treatment RTP-1";
	buf = NULL;
	f = open_memstream(&buf, &len);
	ax_status_free(st);
	T_EQ_INT(ax_status_compute(&cat, &config, &ev, NOW, &st), 0);
	T_EQ_INT(ax_soa_write_csv(st, &config, ';', f), 0);
	fclose(f);
	ctlcfg[2].owner = ctlcfg[2].reason = NULL;
	T_CONTAINS(buf, "\xef\xbb\xbf" "Control;Title;Applicable;Justification;Implementation status;");
	T_CONTAINS(buf, "\r\nA.8.3;Information access restriction;yes;best practice;implemented;\"b: file.mode; files: "
			"file.mode, file.owner\";;1970-01-12T13:46:40Z;pass\r\n");
	T_CONTAINS(buf, "\r\nA.8.9;Configuration management;yes;\"risk treatment RTP-1; Configs live in git.\";planned;"
			"no results yet (automated checks mapped);\"Ops; infra\";;not_covered\r\n");
	T_CONTAINS(buf, "\r\nA.8.15;Logging;yes;best practice;implemented;files: file.mode, file.owner;;");
	free(buf);

	j = ax_soa_to_json(st, &config);
	T_EQ_INT(json_array_size(json_object_get(j, "controls")), 5);
	s = dump(json_incref(json_array_get(json_object_get(j, "controls"), 0)));
	T_EQ_STR(s, "{\"applicable\":false,\"checks\":[],\"evidence_source\":\"-\",\"id\":\"A.5.1\","
		    "\"implementation_status\":\"excluded\",\"justification\":\"No own policies: the group's apply.\","
		    "\"last_evidence\":null,\"owner\":null,\"status\":\"not_applicable\",\"theme\":\"Organizational\","
		    "\"title\":\"Policies for information security\"}");
	free(s);
	s = dump(json_incref(json_array_get(json_object_get(j, "controls"), 1)));
	T_CONTAINS(s, "\"applicable\":true,\"checks\":[{\"check\":\"file.mode\",\"probe\":\"b\"},"
		      "{\"check\":\"file.mode\",\"probe\":\"files\"},{\"check\":\"file.owner\",\"probe\":\"files\"}],");
	free(s);
	s = dump(json_incref(json_array_get(json_object_get(j, "controls"), 2)));
	T_CONTAINS(s, "\"checks\":[],\"evidence_source\":\"no results yet (automated checks mapped)\",\"id\":\"A.8.9\"");
	free(s);
	json_decref(j);
	ax_status_free(st);
	ax_evidence_free(&ev);
}

/* partial: passing checks with open coverage needs; a need answered by a
 * fresh passing check it names or by valid, non-empty manual evidence;
 * inherited controls in the JSON and the SoA. */
static struct ax_control pctl[] = {
	{"A.7.4", "Physical", "Physical security monitoring"},
	{"A.8.13", "Technological", "Information backup"},
	{"A.8.15", "Technological", "Logging"},
};
static struct ax_mapping pmaps[] = {
	{.check = "log.present", .control = "A.8.15", .file = "mapping/accesslog.xml"},
	{.check = "backup.fresh", .control = "A.8.13", .file = "mapping/restic.xml"},
	{.check = "backup.restore_test", .control = "A.8.13", .file = "mapping/backup-files.xml"},
};
static char *restore_checks[] = {"backup.restore_test"};
static struct ax_cov_item log_covered[] = {{"accesslog", NULL, AX_ASPECT_IMPLEMENTATION, "logs exist", NULL, 0}};
static struct ax_cov_item log_needs[] = {
	{NULL, "policy", AX_ASPECT_DESIGN, "the logging policy", NULL, 0},
	{NULL, "review", AX_ASPECT_OPERATING, "log review records", NULL, 0},
};
static struct ax_cov_item bak_covered[] = {{"restic", NULL, AX_ASPECT_OPERATING, "fresh", NULL, 0}};
static struct ax_cov_item bak_needs[] = {{NULL, "restore-test", AX_ASPECT_OPERATING, "a restore", restore_checks, 1}};
static struct ax_coverage pcov[] = {
	{"A.8.15", "27002 8.15: record events", log_covered, 1, log_needs, 2, "coverage/t.xml"},
	{"A.8.13", "27002 8.13: recover", bak_covered, 1, bak_needs, 1, "coverage/t.xml"},
};
static struct ax_catalog pcat = {pctl, 3, pmaps, 3, "iso27001-2022", NULL, 0, pcov, 2};

static const char *pstatus(const struct ax_status *st, const char *id)
{
	for (size_t i = 0; i < st->ncontrols; i++)
		if (strcmp(st->controls[i].control->id, id) == 0)
			return ax_control_status_name(st->controls[i].status);
	return "?";
}

static void test_partial(void)
{
	struct ax_evidence ev = {0};
	struct ax_status *st = NULL;
	struct ax_manual_file empty = {"policy.pdf", "application/pdf", "", 0}, full = {"policy.pdf", "application/pdf", "", 9};
	char *ctl815[] = {"A.8.15"};
	struct ax_manual m = {.id = "M-1", .controls = ctl815, .ncontrols = 1, .files = &empty, .nfiles = 1,
			      .attached_by = "root", .effective_at = NOW - 10, .expires_at = NOW + 10,
			      .state = AX_MANUAL_APPROVED};

	/* the minimal site: the log exists -> checks pass, needs open */
	ax_evidence_add_result(&ev, "sshd", "accesslog", "log.present", AX_CHECK_PASS, "3 lines", NULL, NOW - 5);
	ax_evidence_add_result(&ev, "dumps", "backup-files", "backup.fresh", AX_CHECK_PASS, "fresh", NULL, NOW - 5);
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW, &st), 0);
	T_EQ_STR(pstatus(st, "A.8.15"), "partial");
	T_EQ_STR(pstatus(st, "A.8.13"), "partial");
	T_EQ_INT(st->counts[AX_CTL_PARTIAL], 2);
	T_EQ_INT(st->controls[2].open_needs, 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ax_status_print(st, f, "A.8.15", 0);
	fclose(f);
	T_CONTAINS(buf, "A.8.15   partial              1  Logging [2 needs open]");
	T_CONTAINS(buf, "covered by the checks here:\n    accesslog      [implementation] logs exist");
	T_CONTAINS(buf, "still needed (2):\n    A.8.15:policy [design] the logging policy\n"
			"    A.8.15:review [operating] log review records\n");
	free(buf);
	json_t *j = ax_status_to_json(st);
	char *s = json_dumps(json_object_get(json_array_get(json_object_get(j, "controls"), 2), "coverage"),
			     JSON_COMPACT | JSON_SORT_KEYS);
	T_CONTAINS(s, "\"needs\":[{\"answered_by\":null,\"aspect\":\"design\",\"checks\":[],\"id\":\"A.8.15:policy\"");
	T_CONTAINS(s, "\"open_needs\":2");
	free(s);
	json_decref(j);

	/* a 0-byte manual item answers nothing and passes nothing */
	ax_status_apply_manual(st, &m, 1, NOW, 0);
	T_EQ_STR(pstatus(st, "A.8.15"), "partial");
	ax_status_free(st);

	/* a valid, non-empty item that names no need answers none */
	m.files = &full;
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW, &st), 0);
	ax_status_apply_manual(st, &m, 1, NOW, 0);
	T_EQ_STR(pstatus(st, "A.8.15"), "partial");
	T_EQ_INT(st->controls[2].answered[0], AX_ANSWER_OPEN);
	T_EQ_INT(st->controls[2].open_needs, 2);
	ax_status_free(st);

	/* answering only the policy leaves the review open */
	char *policy_only[] = {"A.8.15:policy"}, *both[] = {"A.8.15:policy", "A.8.15:review"};
	m.answers = policy_only;
	m.nanswers = 1;
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW, &st), 0);
	ax_status_apply_manual(st, &m, 1, NOW, 0);
	T_EQ_STR(pstatus(st, "A.8.15"), "partial");
	T_EQ_INT(st->controls[2].answered[0], AX_ANSWER_MANUAL);
	T_EQ_INT(st->controls[2].answered[1], AX_ANSWER_OPEN);
	T_EQ_INT(st->controls[2].open_needs, 1);
	buf = NULL;
	f = open_memstream(&buf, &len);
	ax_status_print(st, f, "A.8.15", 0);
	fclose(f);
	T_CONTAINS(buf, "still needed (1):\n    A.8.15:review [operating] log review records\n");
	T_CONTAINS(buf, "answered:\n    A.8.15:policy by M-1 (policy.pdf)\n");
	free(buf);
	j = ax_status_to_json(st);
	s = json_dumps(json_object_get(json_array_get(json_object_get(j, "controls"), 2), "coverage"),
		       JSON_COMPACT | JSON_SORT_KEYS);
	T_CONTAINS(s, "{\"answered_by\":\"manual\",\"aspect\":\"design\",\"checks\":[],\"id\":\"A.8.15:policy\","
		      "\"items\":[\"M-1\"],");
	T_CONTAINS(s, "{\"answered_by\":null,\"aspect\":\"operating\",\"checks\":[],\"id\":\"A.8.15:review\"");
	free(s);
	json_decref(j);
	ax_status_free(st);

	/* ... answering both passes; an answer of another control counts for nothing */
	m.answers = both;
	m.nanswers = 2;
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW, &st), 0);
	ax_status_apply_manual(st, &m, 1, NOW, 0);
	T_EQ_STR(pstatus(st, "A.8.15"), "pass");
	T_EQ_INT(st->controls[2].answered[0], AX_ANSWER_MANUAL);
	T_EQ_INT(st->controls[2].answered[1], AX_ANSWER_MANUAL);
	T_EQ_INT(st->counts[AX_CTL_PASS], 1);
	T_EQ_INT(st->counts[AX_CTL_PARTIAL], 1);
	ax_status_free(st);

	/* expired: stale, and its needs open again */
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW + 100, &st), 0);
	m.expires_at = NOW + 50;
	ax_status_apply_manual(st, &m, 1, NOW + 100, 0);
	T_EQ_STR(pstatus(st, "A.8.15"), "stale");
	T_EQ_INT(st->controls[2].answered[0], AX_ANSWER_OPEN);
	ax_status_free(st);

	/* a need answered by the fresh passing check it names */
	ax_evidence_add_result(&ev, "dumps", "backup-files", "backup.restore_test", AX_CHECK_PASS, "ok", NULL, NOW - 5);
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW, &st), 0);
	T_EQ_STR(pstatus(st, "A.8.13"), "pass");
	T_EQ_INT(st->controls[1].answered[0], AX_ANSWER_CHECK);
	ax_status_free(st);
	/* ... but not by a stale one */
	T_EQ_INT(ax_status_compute(&pcat, NULL, &ev, NOW + 3 * 3600, &st), 0);
	T_EQ_STR(pstatus(st, "A.8.13"), "stale");
	T_EQ_INT(st->controls[1].answered[0], AX_ANSWER_OPEN);
	ax_status_free(st);

	/* inherited: applicable, provider and reference in JSON and SoA */
	static struct ax_control_cfg inh[] = {
		{.id = "A.7.4", .applicable = 1, .inherited = "Hoster AG", .reference = "ISO 27001 cert 42"},
	};
	static struct ax_config icfg = {"/etc/annexa/annexa.conf", values, 1, NULL, 0, inh, 1};
	T_EQ_INT(ax_status_compute(&pcat, &icfg, &ev, NOW, &st), 0);
	T_EQ_STR(pstatus(st, "A.7.4"), "manual");
	j = ax_status_to_json(st);
	s = json_dumps(json_object_get(json_array_get(json_object_get(j, "controls"), 0), "inherited"),
		       JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ_STR(s, "{\"provider\":\"Hoster AG\",\"reference\":\"ISO 27001 cert 42\"}");
	free(s);
	json_decref(j);
	buf = NULL;
	f = open_memstream(&buf, &len);
	T_EQ_INT(ax_soa_write_csv(st, &icfg, ',', f), 0);
	fclose(f);
	T_CONTAINS(buf, "A.7.4,Physical security monitoring,yes,best practice,planned,inherited from Hoster AG (ISO 27001 "
			"cert 42),,,manual\r\n");
	free(buf);
	ax_status_free(st);
	ax_evidence_free(&ev);
}

int main(void)
{
	test_table();
	test_counts_and_rows();
	test_json();
	test_site_without_probe_type();
	test_print();
	test_wrap();
	test_fixes();
	test_soa();
	test_partial();
	return t_done();
}
