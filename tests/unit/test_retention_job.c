/* test_retention_job.c - the retention-job probe over every evidence source
 * (tests/fixtures/retention/: the job's log, status files, a journal export
 * with a binary MESSAGE field; an SQLite table of job runs made here):
 * table-driven, asserting check statuses, times and counts as a user reads
 * them, and that evidence carries no e-mail address or secret. Also the
 * journal export reader on its own: fields, binary values, bounds and
 * malformed files named with their record. */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sqlite3.h>

#include "config.h"
#include "evidence.h"
#include "journal_export.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_retention_job;

struct rcase {
	const char *name;
	const char *now;
	const char *opts[16]; /* key, value, ...; "@x": fixture x, "%x": temp file x */
	enum ax_check_status ran, succeeded, overdue;
	const char *ran_obs, *succeeded_obs, *succeeded_msg, *overdue_obs;
	const char *excerpt_has; /* in matches.txt */
};

#define PASS AX_CHECK_PASS
#define FAIL AX_CHECK_FAIL
#define ERR AX_CHECK_ERROR
#define SKIP AX_CHECK_SKIP

static const struct rcase cases[] = {
	{"log: failed today, success 34h ago outside 26h", "2026-11-29T12:00:00Z",
	 {"log", "@lead-retention.log", "last-success-pattern", "finished OK", "failure-pattern", "ERROR|with errors"},
	 PASS, FAIL, SKIP, "\"runs_in_window\":3", "\"last_failure\":\"2026-11-29T02:00:31Z\"",
	 "no success within 26h (last success: 2026-11-28T02:00:06Z; last failure: 2026-11-29T02:00:31Z)", NULL,
	 "lead-retention.log:12: 2026-11-29T02:00:31Z lead-retention[1100]: ERROR: could not delete"},
	{"log: 48h window holds a success, failure noted", "2026-11-29T12:00:00Z",
	 {"log", "@lead-retention.log", "last-success-pattern", "finished OK", "failure-pattern", "ERROR|with errors",
	  "max-age", "48h"},
	 PASS, PASS, SKIP, "\"last_run\":\"2026-11-29T02:00:31Z\"", "\"successes_in_window\":1",
	 "last success at 2026-11-28T02:00:06Z (within 2d); but failed since, at 2026-11-29T02:00:31Z", NULL,
	 "lead-retention.log:10: 2026-11-28T02:00:06Z lead-retention[1002]: finished OK"},
	{"log: run-pattern narrows runs; a week later nothing is fresh", "2026-12-06T12:00:00Z",
	 {"log", "@lead-retention.log", "last-success-pattern", "finished OK", "run-pattern", "starting"},
	 FAIL, FAIL, SKIP, "\"undated\":1", "\"last_success\":\"2026-11-28T02:00:06Z\"", NULL, NULL, NULL},
	{"status file: dated success", "2026-11-29T12:00:00Z",
	 {"status-file", "@status-ok", "last-success-pattern", "^[^ ]+ ok ", "failure-pattern", "FAIL"},
	 PASS, PASS, SKIP, "\"last_run\":\"2026-11-29T02:00:06Z\"", "\"last_success\":\"2026-11-29T02:00:06Z\"", NULL,
	 NULL, "status-ok:1: 2026-11-29T02:00:06Z ok deleted=12"},
	{"status file: dated failure", "2026-11-29T12:00:00Z",
	 {"status-file", "@status-failed", "last-success-pattern", "^[^ ]+ ok ", "failure-pattern", "FAIL"},
	 PASS, FAIL, SKIP, NULL, "\"last_failure\":\"2026-11-29T02:00:06Z\"", NULL, NULL, "FAILED: lock timeout"},
	{"status file: undated, mtime counts", "2026-11-29T12:00:00Z",
	 {"status-file", "%status-undated"},
	 PASS, PASS, SKIP, "\"last_run\":\"2026-11-29T06:00:00Z\"", NULL, NULL, NULL, NULL},
	{"journal: success 33h ago, failure 9h ago (binary message)", "2026-11-28T12:00:00Z",
	 {"journal-export", "@journal.export", "unit", "lead-retention", "failure-pattern", "lock timeout"},
	 PASS, FAIL, SKIP, "\"runs_in_window\":5", "\"last_failure\":\"2026-11-28T03:00:02Z\"",
	 "no success within 26h (last success: 2026-11-27T03:00:05Z; last failure: 2026-11-28T03:00:02Z)", NULL,
	 "record 7: 2026-11-28T03:00:02Z FAILURE: error: psql failed\\x0a\\x1b[31mpassword="},
	{"journal: 48h window", "2026-11-28T12:00:00Z",
	 {"journal-export", "@journal.export", "unit", "lead-retention.service", "max-age", "48h"},
	 PASS, PASS, SKIP, "\"runs_in_window\":9", "\"failures_in_window\":3", NULL, NULL,
	 "record 4: 2026-11-27T03:00:05Z success JOB_RESULT=done: Finished lead-retention.service"},
	{"journal: another unit's records are not this job's", "2026-11-28T12:00:00Z",
	 {"journal-export", "@journal.export", "unit", "backup.service"},
	 FAIL, FAIL, SKIP, "\"entries\":11", NULL, "no success within 26h (last success: never)", NULL, NULL},
	{"sqlite: last success and overdue rows", "2026-11-29T12:00:00Z",
	 {"database", "sqlite:%jobs.db", "query-last-success",
	  "SELECT max(finished_at) FROM job_runs WHERE job = 'lead-retention' AND status = 'ok'", "query-last-run",
	  "SELECT max(finished_at) FROM job_runs WHERE job = 'lead-retention'", "query-overdue",
	  "SELECT count(*) FROM leads WHERE retain_until < '2026-11-29'", "max-age", "2d"},
	 PASS, PASS, FAIL, "\"last_run\":\"2026-11-29T02:00:09Z\"", "\"last_success\":\"2026-11-28T02:00:07Z\"", NULL,
	 "\"overdue\":2", "query-last-success: 2026-11-28T02:00:07Z"},
	{"sqlite: epoch seconds, nothing overdue", "2026-11-29T12:00:00Z",
	 {"database", "sqlite:%jobs.db", "query-last-success", "SELECT max(epoch) FROM job_runs WHERE status = 'ok'",
	  "query-overdue", "SELECT count(*) FROM leads WHERE retain_until < '2026-01-01'", "max-age", "2d"},
	 PASS, PASS, PASS, NULL, "\"last_success\":\"2026-11-28T02:00:07Z\"", NULL, "\"overdue\":0", NULL},
	{"sqlite: no success ever (NULL)", "2026-11-29T12:00:00Z",
	 {"database", "sqlite:%jobs.db", "query-last-success", "SELECT max(finished_at) FROM job_runs WHERE status = 'never'"},
	 FAIL, FAIL, SKIP, "\"last_run\":null", NULL, "no success within 26h (last success: never)", NULL, NULL},
	{"sqlite: not a time", "2026-11-29T12:00:00Z",
	 {"database", "sqlite:%jobs.db", "query-last-success", "SELECT 'yesterday'"},
	 ERR, ERR, SKIP, NULL, NULL, "query-last-success: the first column is not a time", NULL, NULL},
	{"sqlite: bad overdue query", "2026-11-29T12:00:00Z",
	 {"status-file", "@status-ok", "database", "sqlite:%jobs.db", "query-overdue", "SELECT count(*) FROM nosuch"},
	 PASS, PASS, ERR, NULL, NULL, NULL, NULL, NULL},
	{"config: no source", "2026-11-29T12:00:00Z", {"max-age", "1d"},
	 ERR, ERR, SKIP, NULL, NULL, "configure exactly one of log, status-file, journal-export, query-last-success (found 0)",
	 NULL, NULL},
	{"config: two sources", "2026-11-29T12:00:00Z", {"status-file", "@status-ok", "journal-export", "@journal.export"},
	 ERR, ERR, SKIP, NULL, NULL, "(found 2)", NULL, NULL},
	{"config: log without success pattern", "2026-11-29T12:00:00Z", {"log", "@lead-retention.log"},
	 ERR, ERR, SKIP, NULL, NULL, "log needs last-success-pattern", NULL, NULL},
	{"config: bad regex", "2026-11-29T12:00:00Z", {"log", "@lead-retention.log", "last-success-pattern", "(unclosed"},
	 ERR, ERR, SKIP, NULL, NULL, "last-success-pattern: invalid extended regex", NULL, NULL},
	{"missing log", "2026-11-29T12:00:00Z", {"log", "/nonexistent/retention.log", "last-success-pattern", "OK"},
	 ERR, ERR, SKIP, NULL, NULL, "/nonexistent/retention.log: no such file", NULL, NULL},
	{"truncated journal names the record", "2026-11-28T12:00:00Z",
	 {"journal-export", "%truncated.export", "unit", "lead-retention"},
	 ERR, ERR, SKIP, NULL, NULL, "truncated.export: record 7: binary field cut short", NULL, NULL},
};

static char *resolve(const char *v)
{
	if (v[0] == '@')
		return ax_asprintf("%s/tests/fixtures/retention/%s", getenv("ANNEXA_SRC"), v + 1);
	if (v[0] == '%')
		return ax_asprintf("%s/%s", t_tmpdir(), v + 1);
	if (strncmp(v, "sqlite:%", 8) == 0)
		return ax_asprintf("sqlite:%s/%s", t_tmpdir(), v + 8);
	return ax_strdup(v);
}

static const char *artifact(const struct ax_evidence *ev)
{
	for (size_t i = 0; i < ev->nartifacts; i++)
		if (strcmp(ev->artifacts[i].name, "matches.txt") == 0)
			return ax_buf_cstr(&ev->artifacts[i].data);
	return "";
}

static void expect(const struct rcase *c, const struct ax_evidence *ev, const char *check,
		   enum ax_check_status want, const char *obs, const char *msg)
{
	const struct ax_result *r = t_result(ev, check);
	t_checks++;
	if (!r) {
		t_fail(__FILE__, __LINE__, "%s: no result for %s", c->name, check);
		return;
	}
	if (r->status != want)
		t_fail(__FILE__, __LINE__, "%s: %s is %s (%s), expected %s", c->name, check,
		       ax_check_status_name(r->status), r->message, ax_check_status_name(want));
	if (obs && !strstr(r->observed, obs))
		t_fail(__FILE__, __LINE__, "%s: %s observed %s lacks %s", c->name, check, r->observed, obs);
	if (msg && !strstr(r->message, msg))
		t_fail(__FILE__, __LINE__, "%s: %s message '%s' lacks '%s'", c->name, check, r->message, msg);
}

static void run_case(const struct rcase *c)
{
	struct ax_kv kv[8];
	size_t n = 0;
	int64_t now;
	struct ax_evidence ev = {0};
	for (; n < 8 && c->opts[2 * n]; n++) {
		kv[n].key = (char *)c->opts[2 * n];
		kv[n].value = resolve(c->opts[2 * n + 1]);
	}
	ax_time_parse(c->now, &now);
	struct ax_probe_instance inst = {.name = "retention", .type = &probe_retention_job, .opts = kv, .nopts = n};
	T_EQ_INT(ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef", 16, NULL, now, &ev), 0);
	T_EQ_INT(ev.nresults, 3);
	const char *msg = c->succeeded_msg;
	expect(c, &ev, "retention.job.ran", c->ran, c->ran_obs, c->ran == ERR ? msg : NULL);
	expect(c, &ev, "retention.job.succeeded", c->succeeded, c->succeeded_obs, msg);
	expect(c, &ev, "retention.rows_overdue", c->overdue, c->overdue_obs, NULL);
	if (c->excerpt_has && !strstr(artifact(&ev), c->excerpt_has))
		t_fail(__FILE__, __LINE__, "%s: matches.txt lacks '%s':\n%s", c->name, c->excerpt_has, artifact(&ev));
	/* nothing personal or secret in any evidence */
	static const char *const never[] = {"alice@example.com", "bob@example.org", "hunter2", "carol@example.net"};
	for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++) {
		T_OK(strstr(artifact(&ev), never[k]) == NULL);
		for (size_t i = 0; i < ev.nresults; i++) {
			T_OK(strstr(ev.results[i].observed, never[k]) == NULL);
			T_OK(strstr(ev.results[i].message, never[k]) == NULL);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(kv[i].value);
	ax_evidence_free(&ev);
}

static void make_fixtures(void)
{
	sqlite3 *db;
	char *path = ax_asprintf("%s/jobs.db", t_tmpdir());
	T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(db,
			      "CREATE TABLE job_runs(job TEXT, finished_at TEXT, epoch INTEGER, status TEXT);"
			      "INSERT INTO job_runs VALUES ('lead-retention', '2026-11-27 02:00:05', 1795744805, 'ok'),"
			      " ('lead-retention', '2026-11-28 02:00:07', 1795831207, 'ok'),"
			      " ('lead-retention', '2026-11-29T02:00:09Z', 1795917609, 'failed');"
			      "CREATE TABLE leads(email TEXT, retain_until TEXT);"
			      "INSERT INTO leads VALUES ('alice@example.com', '2026-11-01'), ('carol@example.net', '2026-10-01'),"
			      " ('dave@example.com', '2027-06-01');",
			      NULL, NULL, NULL),
		 SQLITE_OK);
	sqlite3_close(db);
	free(path);

	free(t_write("status-undated", "ok\n"));
	path = ax_asprintf("%s/status-undated", t_tmpdir());
	int64_t t;
	ax_time_parse("2026-11-29T06:00:00Z", &t);
	struct timeval tv[2] = {{(time_t)t, 0}, {(time_t)t, 0}};
	utimes(path, tv);
	free(path);

	/* the journal fixture cut inside record 7's binary MESSAGE */
	struct ax_buf j = AX_BUF_INIT;
	char *src = ax_asprintf("%s/tests/fixtures/retention/journal.export", getenv("ANNEXA_SRC"));
	T_EQ_INT(ax_file_read(src, 1 << 20, &j), 0);
	const char *cut = memmem(j.ptr, j.size, "psql failed", 11);
	T_OK(cut != NULL);
	path = ax_asprintf("%s/truncated.export", t_tmpdir());
	ax_file_write_atomic(path, j.ptr, cut ? (size_t)(cut - j.ptr) : 0, 0600);
	free(path);
	free(src);
	ax_buf_free(&j);
}

/* The reader alone: kept fields, binary values, records, bounds. */
static void test_journal_reader(void)
{
	struct ax_journal *j = NULL;
	struct ax_journal_entry *e = ax_malloc(sizeof(*e));
	char *src = ax_asprintf("%s/tests/fixtures/retention/journal.export", getenv("ANNEXA_SRC"));
	int rc, n = 0;
	T_EQ_INT(ax_journal_open(&j, src), 0);
	while ((rc = ax_journal_next(j, e)) > 0) {
		n++;
		if (e->record == 7) {
			T_OK(e->message.binary);
			T_EQ_INT(e->message.len, 57);
			T_OK(memcmp(e->message.text, "error: psql failed\n\x1b[31m", 24) == 0);
			T_EQ_STR(e->systemd_unit.text, "lead-retention.service");
			T_EQ_INT(e->realtime_usec, 1795834802123456LL);
		}
		if (e->record == 8) {
			T_EQ_STR(e->exit_status.text, "1");
			T_EQ_STR(e->exit_code.text, "exited");
			T_EQ_STR(e->unit.text, "lead-retention.service");
		}
		if (e->record == 11) {
			T_EQ_STR(e->message.text, "Finished other.service."); /* after a 1 KiB binary blob */
			T_EQ_INT(e->nfields, 12);
		}
	}
	T_EQ_INT(rc, 0);
	T_EQ_INT(n, 11);
	ax_journal_free(j);

	/* a 3 MB binary field and a 600 KB text line: cut, skipped, bounded */
	struct ax_buf big = AX_BUF_INIT;
	ax_buf_puts(&big, "__REALTIME_TIMESTAMP=1795834802000000\nMESSAGE\n");
	uint64_t len = 3u << 20;
	for (int i = 0; i < 8; i++)
		ax_buf_putc(&big, (char)((len >> (8 * i)) & 0xff));
	size_t at = big.size;
	ax_buf_grow(&big, len);
	memset(big.ptr + at, 'm', len);
	big.size += len;
	ax_buf_puts(&big, "\nUNIT=");
	for (int i = 0; i < 600000; i++)
		ax_buf_putc(&big, 'u');
	ax_buf_puts(&big, "\nJOB_RESULT=done\n\nMESSAGE=second\n");
	char *p = ax_asprintf("%s/big.export", t_tmpdir());
	ax_file_write_atomic(p, big.ptr, big.size, 0600);
	T_EQ_INT(ax_journal_open(&j, p), 0);
	T_EQ_INT(ax_journal_next(j, e), 1);
	T_OK(e->message.binary && e->message.cut && e->message.len == AX_JOURNAL_VALUE_MAX);
	T_OK(e->unit.cut && e->unit.len == AX_JOURNAL_VALUE_MAX);
	T_EQ_STR(e->job_result.text, "done");
	T_EQ_INT(ax_journal_next(j, e), 1);
	T_EQ_STR(e->message.text, "second");
	T_EQ_INT(e->record, 2);
	T_EQ_INT(ax_journal_next(j, e), 0);
	ax_journal_free(j);
	free(p);
	ax_buf_free(&big);

	/* garbage is an error naming the file and record, never a crash */
	p = t_write("garbage.export", "MESSAGE=ok\n\nnot a field name!\n");
	T_EQ_INT(ax_journal_open(&j, p), 0);
	T_EQ_INT(ax_journal_next(j, e), 1);
	T_EQ_INT(ax_journal_next(j, e), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "garbage.export: record 2: invalid field name");
	ax_journal_free(j);
	free(p);
	T_EQ_INT(ax_journal_open(&j, "/nonexistent.export"), AX_ENOTFOUND);
	free(src);
	free(e);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	make_fixtures();
	test_journal_reader();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	return t_done();
}
