/* retention_job.c - the `retention-job` probe: evidence that a scheduled
 * deletion / retention job runs and succeeds (A.8.10), and optionally that
 * no record is kept past its retention date.
 *
 * One evidence source per instance: the job's log file(s), a status file,
 * a systemd unit's journal export, or a database table of job runs (see
 * retention_sources.h). Inputs are streamed with bounded memory; evidence
 * is times, counts and a bounded excerpt of matching lines with e-mail
 * addresses pseudonymised and secrets redacted. The overdue-rows query
 * yields one count: no row of personal data ever leaves the database. */
#include <glob.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "leaddb.h"
#include "population.h"
#include "probe.h"
#include "retention_sources.h"
#include "util.h"

static const struct ax_option retention_options[] = {
	{"log", AX_OPT_PATH, NULL, AX_OPT_MULTI, NULL, 0, 0, "the job's log file or glob, rotations included (repeatable)"},
	{"status-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "a file the job writes on each run (time in content, else mtime)"},
	{"journal-export", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "`journalctl -o export` output covering the unit"},
	{"unit", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "systemd unit of the job (journal-export); NAME or NAME.service"},
	{"database", AX_OPT_DBURI, NULL, AX_OPT_SECRET, NULL, 0, 0, "sqlite:PATH or postgresql://... holding job runs"},
	{"query-last-success", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SELECT returning the last successful run's time"},
	{"query-last-run", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SELECT returning the last run's time (any outcome)"},
	{"query-overdue", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SELECT count(*) of records past retention (must be 0)"},
	{"query-timeout", AX_OPT_DURATION, "50s", 0, NULL, 1, 86400, "deadline of each query"},
	{"last-success-pattern", AX_OPT_REGEX, NULL, 0, NULL, 0, 0, "extended regex of a line that reports success"},
	{"failure-pattern", AX_OPT_REGEX, NULL, 0, NULL, 0, 0, "extended regex of a line that reports failure"},
	{"run-pattern", AX_OPT_REGEX, NULL, 0, NULL, 0, 0, "extended regex of lines that show a run (default: any dated line)"},
	{"max-age", AX_OPT_DURATION, "26h", 0, NULL, 60, 31449600, "a run and a success must be younger than this"},
	{"max-line", AX_OPT_SIZE, "8k", 0, NULL, 256, 1048576, "longer log lines are cut to this"},
	{"excerpt-lines", AX_OPT_INT, "10", 0, NULL, 0, RJ_EXCERPT_MAX, "most recent matching lines kept as evidence"},
	{"redact", AX_OPT_REGEX, NULL, 0, NULL, 0, 0, "extra regex whose matches are redacted from evidence"},
	{NULL},
};

static const struct ax_check_def retention_checks[] = {
	{"retention.job.ran", "the job ran within max-age"},
	{"retention.job.succeeded", "the job succeeded within max-age"},
	{"retention.rows_overdue", "no record is kept past its retention date (query-overdue returns 0)"},
	{NULL},
};

struct patterns {
	regex_t re[3];
	int compiled[3];
};

static int compile_patterns(struct ax_probe_ctx *ctx, struct patterns *pt, struct rj_summary *s)
{
	static const char *const keys[] = {"last-success-pattern", "failure-pattern", "run-pattern"};
	regex_t **slots[] = {&s->success, &s->failure, &s->run};
	for (int i = 0; i < 3; i++) {
		const char *pat = ax_probe_opt(ctx, keys[i]);
		if (!pat)
			continue;
		if (regcomp(&pt->re[i], pat, REG_EXTENDED | REG_NOSUB) != 0)
			return ax_error_code(AX_EINVALID, "%s: invalid extended regex '%s'", keys[i], pat);
		pt->compiled[i] = 1;
		*slots[i] = &pt->re[i];
	}
	return 0;
}

static void free_patterns(struct patterns *pt)
{
	for (int i = 0; i < 3; i++)
		if (pt->compiled[i])
			regfree(&pt->re[i]);
}

/* Every `log` glob, each file read in turn. */
static int read_logs(struct ax_probe_ctx *ctx, struct rj_summary *s, size_t *nfiles)
{
	int rc = 0;
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "log") && rc == 0; i++) {
		const char *pat = ax_probe_opt_at(ctx, "log", i);
		glob_t g;
		memset(&g, 0, sizeof(g));
		if (glob(pat, 0, NULL, &g) != 0) {
			globfree(&g);
			return ax_error_code(AX_ENOTFOUND, "%s: no such file", pat);
		}
		for (size_t k = 0; k < g.gl_pathc && rc == 0; k++, (*nfiles)++)
			rc = rj_read_log(s, g.gl_pathv[k]);
		globfree(&g);
	}
	return rc;
}

/* Which source the instance names; exactly one is allowed. */
static int pick_source(struct ax_probe_ctx *ctx, const char **source)
{
	int n = 0;
	*source = NULL;
	if (ax_probe_opt_count(ctx, "log"))
		n++, *source = "log";
	if (ax_probe_opt(ctx, "status-file"))
		n++, *source = "status-file";
	if (ax_probe_opt(ctx, "journal-export"))
		n++, *source = "journal-export";
	if (ax_probe_opt(ctx, "query-last-success"))
		n++, *source = "database";
	if (n != 1)
		return ax_error_code(AX_EINVALID, "configure exactly one of log, status-file, journal-export, "
						  "query-last-success (found %d)", n);
	if (!strcmp(*source, "log") && !ax_probe_opt(ctx, "last-success-pattern"))
		return ax_error_code(AX_EINVALID, "log needs last-success-pattern (a line that reports success)");
	if (!strcmp(*source, "journal-export") && !ax_probe_opt(ctx, "unit"))
		return ax_error_code(AX_EINVALID, "journal-export needs unit (the job's systemd unit)");
	if ((!strcmp(*source, "database") || ax_probe_opt(ctx, "query-overdue")) && !ax_probe_opt(ctx, "database"))
		return ax_error_code(AX_EINVALID, "the queries need database (sqlite:PATH or postgresql://...)");
	return 0;
}

static void emit_job(struct ax_probe_ctx *ctx, const struct rj_summary *s, const char *source, int64_t max_age)
{
	char age[32], run[32] = "never", ok[32] = "never", bad[32] = "";
	ax_duration_format(max_age, age);
	if (s->last_run)
		ax_time_format(s->last_run, run);
	if (s->last_success)
		ax_time_format(s->last_success, ok);
	if (s->last_failure)
		ax_time_format(s->last_failure, bad);

	json_t *obs = json_pack("{s:s,s:o,s:I,s:I,s:I,s:s}", "source", source, "last_run", ax_json_time_or_null(s->last_run),
				"runs_in_window", (json_int_t)s->runs, "entries", (json_int_t)s->entries, "undated",
				(json_int_t)s->undated, "max_age", age);
	if (s->last_run && s->last_run >= s->since)
		ax_probe_result(ctx, "retention.job.ran", AX_CHECK_PASS, obs,
				      "ran %llu time(s) within %s, last at %s", (unsigned long long)s->runs, age, run);
	else
		ax_probe_result(ctx, "retention.job.ran", AX_CHECK_FAIL, obs,
				      s->last_run ? "last run at %s, older than %s" : "no run found (%s; max-age %s)",
				      s->last_run ? run : source, age);

	obs = json_pack("{s:s,s:o,s:o,s:I,s:I,s:s}", "source", source, "last_success", ax_json_time_or_null(s->last_success),
			"last_failure", ax_json_time_or_null(s->last_failure), "successes_in_window", (json_int_t)s->successes,
			"failures_in_window", (json_int_t)s->failures, "max_age", age);
	int failing_since = s->last_failure && s->last_failure > s->last_success;
	if (s->last_success && s->last_success >= s->since)
		ax_probe_result(ctx, "retention.job.succeeded", AX_CHECK_PASS, obs,
				      "last success at %s (within %s)%s%s", ok, age,
				      failing_since ? "; but failed since, at " : "", failing_since ? bad : "");
	else
		ax_probe_result(ctx, "retention.job.succeeded", AX_CHECK_FAIL, obs,
				      "no success within %s (last success: %s%s%s)", age, ok,
				      s->last_failure ? "; last failure: " : "", bad);
}

static void emit_overdue(struct ax_probe_ctx *ctx, struct ax_leaddb **db)
{
	const char *sql = ax_probe_opt(ctx, "query-overdue");
	int64_t n = 0;
	if (!sql) {
		ax_probe_result(ctx, "retention.rows_overdue", AX_CHECK_SKIP, NULL, "no query-overdue configured");
		return;
	}
	if (!ax_probe_opt(ctx, "database")) {
		ax_probe_result(ctx, "retention.rows_overdue", AX_CHECK_ERROR, NULL,
				       "query-overdue needs database (sqlite:PATH or postgresql://...)");
		return;
	}
	if ((!*db && ax_leaddb_open(db, ax_probe_opt(ctx, "database"), ax_probe_opt_int(ctx, "query-timeout") * 1000) < 0) ||
	    rj_query_count(*db, sql, &n) < 0) {
		ax_probe_result(ctx, "retention.rows_overdue", AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		return;
	}
	json_t *obs = json_pack("{s:I}", "overdue", (json_int_t)n);
	if (n) {
		ax_probe_result(ctx, "retention.rows_overdue", AX_CHECK_FAIL, obs,
				       "%lld record(s) kept past their retention date", (long long)n);
		return;
	}
	ax_probe_result(ctx, "retention.rows_overdue", AX_CHECK_PASS, obs, "no record kept past its retention date");
}

static int retention_run(struct ax_probe_ctx *ctx)
{
	struct rj_summary s;
	struct patterns pt;
	struct ax_leaddb *db = NULL;
	struct ax_buf ex = AX_BUF_INIT;
	const char *source = NULL;
	int64_t max_age = ax_probe_opt_int(ctx, "max-age");
	size_t nfiles = 0;
	int rc = 0, err;

	memset(&pt, 0, sizeof(pt));
	rj_summary_init(&s, ctx, max_age, (size_t)ax_probe_opt_int(ctx, "excerpt-lines"));
	s.redact = ax_probe_opt(ctx, "redact");
	s.max_line = (size_t)ax_probe_opt_int(ctx, "max-line");
	if ((err = pick_source(ctx, &source)) == 0)
		err = compile_patterns(ctx, &pt, &s);
	/* a database source gives the last times only: no list of runs */
	static const char *const cols[] = {"time", "outcome", NULL};
	if (err == 0 && strcmp(source, "database") != 0)
		s.pop = ax_population_open(ctx, "job-runs", cols);
	if (err == 0) {
		if (!strcmp(source, "log"))
			err = read_logs(ctx, &s, &nfiles);
		else if (!strcmp(source, "status-file"))
			err = rj_read_status_file(&s, ax_probe_opt(ctx, "status-file"));
		else if (!strcmp(source, "journal-export"))
			err = rj_read_journal(&s, ax_probe_opt(ctx, "journal-export"), ax_probe_opt(ctx, "unit"));
		else if ((err = ax_leaddb_open(&db, ax_probe_opt(ctx, "database"),
					       ax_probe_opt_int(ctx, "query-timeout") * 1000)) == 0)
			err = rj_read_database(&s, db, ax_probe_opt(ctx, "query-last-success"),
					       ax_probe_opt(ctx, "query-last-run"));
	}
	if (err < 0) {
		const char *why = ax_error_last();
		ax_probe_result(ctx, "retention.job.ran", AX_CHECK_ERROR, NULL, "%s", why);
		ax_probe_result(ctx, "retention.job.succeeded", AX_CHECK_ERROR, NULL, "%s", why);
		ax_population_abandon(s.pop);
	} else {
		emit_job(ctx, &s, source, max_age);
		char from[32];
		struct ax_buf src = AX_BUF_INIT;
		ax_time_format(s.since, from);
		ax_buf_printf(&src, "%s %s", source,
			      ax_probe_opt(ctx, !strcmp(source, "log") ? "log" : !strcmp(source, "status-file") ? "status-file"
												     : "journal-export") ?: "");
		ax_population_close(s.pop, ax_buf_cstr(&src),
				    "every dated entry of the job since the window's start that run-pattern (or any "
				    "timestamp), success-pattern or failure-pattern marks as a run",
				    json_pack("{s:s,s:s?,s:s?,s:s?}", "since", from, "run_pattern",
					      ax_probe_opt(ctx, "run-pattern"), "success_pattern",
					      ax_probe_opt(ctx, "last-success-pattern"), "failure_pattern",
					      ax_probe_opt(ctx, "failure-pattern")),
				    ax_pop_frequency_of_count((int64_t)s.runs, s.now - s.since));
		ax_buf_free(&src);
	}
	emit_overdue(ctx, &db);
	rj_summary_excerpt(&s, &ex);
	if (ex.size)
		ax_probe_artifact(ctx, "matches.txt", "text/plain", ex.ptr, ex.size);
	ax_buf_free(&ex);
	ax_leaddb_free(db);
	free_patterns(&pt);
	rj_summary_free(&s);
	return rc ? AX_ERROR : 0;
}

/* the job's logs and rotations, status file, journal export, database */
static const struct ax_probe_access retention_access = {.folders = (const char *const[]){"log", NULL}, .connect = (const char *const[]){"database", NULL}, .groups = "adm"};

const struct probe probe_retention_job = {
	.name = "retention-job",
	.summary = "a scheduled deletion/retention job runs and succeeds (log, status file, journal, database); "
		   "no record past its retention date",
	.options = retention_options,
	.checks = retention_checks,
	.access = &retention_access,
	.run = retention_run,
};
