/* test_calendar.c - the run calendar (exports/period.c) of a store as the
 * daemon fills it: runs expected from the interval, runs observed, gaps
 * and why (a run with nothing but errors before it: back-off; the
 * daemon's own log: stopped, or restarted without a clean stop), an
 * instance the configuration lacks (interval from its runs' spacing); and
 * verify's check of a bundle's period.json against its ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#include "config.h"
#include "controls.h"
#include "daemonlog.h"
#include "export.h"
#include "store.h"
#include "util.h"
#include "verify_period.h"

#define T0 1793491200 /* 2026-11-01 */
#define HOUR 3600

static void commit(struct ax_store *st, const char *instance, enum ax_check_status s, int64_t t)
{
	struct ax_evidence ev = {0};
	ax_evidence_add_result(&ev, instance, "file", "file.mode", s, "m", NULL, t);
	T_EQ_INT(ax_store_commit_run(st, "collect", t, t + 1, &ev, NULL), 0);
	ax_evidence_free(&ev);
}

static const struct ax_period_instance *inst(const struct ax_export_data *d, const char *name)
{
	for (size_t i = 0; d->calendar && i < d->calendar->ninst; i++)
		if (strcmp(d->calendar->inst[i].name, name) == 0)
			return &d->calendar->inst[i];
	return NULL;
}

/* verify's check of period.json: a ledger with runs of "a" on 1 and 2
 * November (daily: no gap), the period to 2 November 12:00. */
#define V_INST(interval, src, exp, missed, gaps)                                                                \
	"{\"instance\":\"a\",\"interval\":" interval ",\"interval_source\":\"" src "\",\"first_run\":"          \
	"\"2026-11-01T00:00:00Z\",\"last_run\":\"2026-11-02T00:00:00Z\",\"expected\":" exp ",\"observed\":2,"  \
	"\"failed\":0,\"missed\":" missed ",\"gaps\":[" gaps "]}"
#define V_OK V_INST("86400", "config", "2", "0", "")
#define V_CTL(days, with, cal, exp, missed)                                                                  \
	"{\"control\":\"A.8.3\",\"days\":" days ",\"days_with_evidence\":" with ",\"calendar\":\"" cal "\","     \
	"\"instances\":[\"a\"],\"runs_expected\":" exp ",\"runs_observed\":2,\"runs_missed\":" missed "}"
#define V_CAL(until, days, insts, ctls)                                                                      \
	"{\"version\":1,\"since\":\"2026-11-01T00:00:00Z\",\"until\":\"" until "\",\"days\":" days              \
	",\"instances\":[" insts "],\"controls\":[" ctls "]}"
#define V_UNTIL "2026-11-02T12:00:00Z"

static void verify_cases(void)
{
	static const struct {
		const char *json, *error; /* NULL: accepted */
	} cases[] = {
		{V_CAL(V_UNTIL, "2", V_OK, V_CTL("2", "2", "pp", "2", "0")), NULL},
		{V_CAL(V_UNTIL, "2", V_OK, V_CTL("2", "1", "-p", "2", "0")), NULL},
		/* hourly: 23 missed between the runs, 11 after the last (one in grace) */
		{V_CAL(V_UNTIL, "2",
		       V_INST("3600", "config", "37", "34",
			      "{\"from\":\"2026-11-01T01:00:00Z\",\"to\":\"2026-11-02T00:00:00Z\",\"seconds\":82800,\"missed\":23},"
			      "{\"from\":\"2026-11-02T01:00:00Z\",\"to\":\"2026-11-02T12:00:00Z\",\"seconds\":39600,\"missed\":11}"),
		       V_CTL("2", "2", "pp", "37", "34")), NULL},
		{V_CAL(V_UNTIL, "2", V_INST("3600", "config", "2", "0", ""), V_CTL("2", "2", "pp", "2", "0")),
		 "instance a: 2 runs expected, its runs in the ledger and its interval of 3600 s give 37"},
		{V_CAL(V_UNTIL, "2",
		       V_INST("3600", "config", "37", "34",
			      "{\"from\":\"2026-11-01T01:00:00Z\",\"to\":\"2026-11-02T00:00:00Z\",\"seconds\":82800,\"missed\":23}"),
		       V_CTL("2", "2", "pp", "37", "34")), "instance a: 1 gaps, its runs in the ledger and its interval leave 2"},
		{V_CAL(V_UNTIL, "2", V_INST("3600", "observed", "2", "0", ""), V_CTL("2", "2", "pp", "2", "0")),
		 "instance a: interval 3600, the median spacing of its runs is 86400"},
		{V_CAL(V_UNTIL, "2", V_OK, V_CTL("2", "2", "pp", "3", "0")), "A.8.3: runs_expected 3, its instances' sum is 2"},
		{V_CAL("2026-11-03T12:00:00Z", "3", V_INST("86400", "config", "3", "0", ""), V_CTL("3", "3", "ppp", "3", "0")),
		 "A.8.3: day 3 has evidence, but none of its instances reported that day"},
		{V_CAL(V_UNTIL, "30", V_OK, ""), "30 days, its period 2026-11-01T00:00:00Z .. 2026-11-02T12:00:00Z has 2"},
		{V_CAL("2026-11-02T13:00:00Z", "2", V_OK, ""), "the period 2026-11-01T00:00:00Z .. 2026-11-02T13:00:00Z is not"},
		{"{\"version\":1,\"since\":\"2026-11-01T00:00:00Z\",\"until\":\"" V_UNTIL "\",\"days\":2,\"instances\":[{"
		 "\"instance\":\"a\",\"observed\":3}],\"controls\":[]}", "instance a: 3 runs observed, the ledger has 2"},
		{V_CAL(V_UNTIL, "2", "", ""), "lists 0 probe instances, the ledger's runs have 1"},
		{V_CAL(V_UNTIL, "2", V_OK ",{\"instance\":\"b\",\"observed\":0}", ""),
		 "instance b has no collection run in the ledger"},
		{V_CAL(V_UNTIL, "2", V_OK "," V_OK, ""), "lists instance a twice"},
		{V_CAL(V_UNTIL, "2", V_OK, V_CTL("2", "2", "-p", "2", "0")), "A.8.3: 2 days with evidence, its calendar shows 1"},
		{V_CAL(V_UNTIL, "2", V_OK, V_CTL("2", "1", "--p", "2", "0")), "does not have the period's 2 days"},
		{"{\"version\":2}", "not a run calendar"},
		{"[1,", "not a run calendar"},
	};
	struct ax_run_counts c = {0};
	struct ax_run_seen r1 = {T0, T0 + 1, 0, 1, 1, {1}}, r2 = {T0 + 24 * HOUR, T0 + 24 * HOUR + 1, 0, 1, 2, {1}};
	struct ax_period_bounds b = {.since = T0, .has_since = 1, .generated_at = T0 + 36 * HOUR, .has_generated_at = 1};
	ax_run_counts_add(&c, "a", &r2); /* verify orders them by their start */
	ax_run_counts_add(&c, "a", &r1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the third day's case ends a day later */
		b.generated_at = strstr(cases[i].json, "2026-11-03T12") ? T0 + 60 * HOUR : T0 + 36 * HOUR;
		int err = ax_verify_period(cases[i].json, strlen(cases[i].json), &c, &b);
		if (!cases[i].error) {
			T_EQ_INT(err, 0);
			if (err)
				fprintf(stderr, "case %zu: %s\n", i, ax_error_last());
			continue;
		}
		T_EQ_INT(err, AX_EINVALID);
		T_CONTAINS(ax_error_last(), cases[i].error);
	}
	ax_run_counts_free(&c);
}

int main(void)
{
	struct ax_config *cfg = NULL;
	struct ax_catalog *cat = NULL;
	struct ax_store *st = NULL;
	struct ax_export_data *d = NULL;
	const char *dir = t_tmpdir();
	char *db = ax_asprintf("%s/c.db", dir);
	char *text = ax_asprintf("[annexa]\n\tstate-dir = %s\n[probe \"a\"]\n\ttype = file\n\tpath = /x\n\tinterval = 1h\n",
				 dir);
	if (t_site_open(text, db, &cfg, &cat, &st) < 0)
		return t_done();
	/* a: hourly; the 2 h run errs (the schedule backs off: the 3 h run
	 * never happens); the daemon stops after the 5 h run and starts at 8 h;
	 * killed after the 9 h run, it starts again at 12 h. b: no interval
	 * configured, every 30 minutes until 2 h. */
	static const int64_t hours[] = {0, 1, 2, 4, 5, 8, 9, 12};
	for (size_t i = 0; i < sizeof(hours) / sizeof(hours[0]); i++) {
		int64_t t = T0 + hours[i] * HOUR;
		if (hours[i] == 8 || hours[i] == 12)
			T_EQ_INT(ax_daemon_log_append(cfg, 1, t - 10), 0);
		commit(st, "a", hours[i] == 2 ? AX_CHECK_ERROR : AX_CHECK_PASS, t);
		if (hours[i] == 5)
			T_EQ_INT(ax_daemon_log_append(cfg, 0, t + 600), 0);
		for (int64_t h = 0; hours[i] <= 2 && h < 2; h++)
			commit(st, "b", AX_CHECK_PASS, t + h * 1800 + 60);
	}
	T_EQ_INT(ax_export_data_load(cfg, st, cat, T0, T0 + 12 * HOUR + 1800, T0 + 100 * HOUR, &d), 0);
	const struct ax_period_instance *a = d ? inst(d, "a") : NULL, *b = d ? inst(d, "b") : NULL;
	T_OK(a && b);
	if (a && b) {
		T_EQ_INT(d->calendar->nevents, 3);
		T_EQ_INT(a->interval, HOUR);
		T_EQ_INT(a->interval_observed, 0);
		T_EQ_INT(a->expected, 13); /* 0 h .. 12 h */
		T_EQ_INT(a->observed, 8);
		T_EQ_INT(a->failed, 1);
		T_EQ_INT(a->ngaps, 3);
		T_EQ_INT(a->missed, 5);
		if (a->ngaps == 3) {
			T_EQ_INT(a->gaps[0].from, T0 + 3 * HOUR);
			T_EQ_INT(a->gaps[0].to, T0 + 4 * HOUR);
			T_EQ_INT(a->gaps[0].missed, 1);
			T_EQ_STR(a->gaps[0].why, "back-off after a failed run");
			T_EQ_INT(a->gaps[1].from, T0 + 6 * HOUR);
			T_EQ_INT(a->gaps[1].to, T0 + 8 * HOUR);
			T_EQ_INT(a->gaps[1].missed, 2);
			T_EQ_STR(a->gaps[1].why, "daemon stopped");
			T_EQ_INT(a->gaps[2].missed, 2);
			T_EQ_STR(a->gaps[2].why, "daemon restarted (no clean stop recorded)");
		}
		T_EQ_INT(b->interval, 1800);
		T_EQ_INT(b->interval_observed, 1);
		T_EQ_INT(b->observed, 6);
		/* after its last run (2 h 31 min) b never ran again */
		T_EQ_INT(b->ngaps, 1);
		if (b->ngaps == 1) {
			T_EQ_INT(b->gaps[0].from, T0 + 2 * HOUR + 1800 + 60 + 1800);
			T_EQ_STR(b->gaps[0].why, "daemon stopped"); /* at 5 h 10 min */
		}
		/* the JSON names the same */
		json_t *j = ax_period_json(d, NULL, "a");
		T_EQ_INT(json_array_size(json_object_get(j, "instances")), 1);
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		T_CONTAINS(s, "\"from\":\"2026-11-01T06:00:00Z\",\"missed\":2,\"seconds\":7200,\"to\":\"2026-11-01T08:00:00Z\","
			      "\"why\":\"daemon stopped\"");
		free(s);
		json_decref(j);
	}
	ax_export_data_free(d);
	verify_cases();
	t_site_close(cfg, cat, st);
	free(db);
	free(text);
	return t_done();
}
