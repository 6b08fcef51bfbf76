/* test_store.c - the evidence store and its ledger: commit, read back,
 * latest-per-check, periods, artifacts (stored once), migrations, refusal
 * of newer/foreign files, rollback, pruning, tamper detection with raw
 * SQL, kill -9 during commits and concurrent committers. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "manual.h"
#include "store-int.h" /* axs_open_at: a store of schema 2 */
#include "store.h"
#include "t.h"
#include "util.h"

static char *tmp_path(const char *name)
{
	return ax_asprintf("%s/%s", t_tmpdir(), name);
}

/* Runs sql on the file with a plain SQLite connection (no annexa). */
static const char drop_triggers[] =
	"DROP TRIGGER runs_no_delete; DROP TRIGGER runs_no_update; DROP TRIGGER result_rows_no_update;"
	"DROP TRIGGER result_rows_delete_pruned_only; DROP TRIGGER artifact_links_no_update;"
	"DROP TRIGGER artifact_links_delete_pruned_only; DROP TRIGGER artifacts_no_update;"
	"DROP TRIGGER result_values_no_update; DROP TRIGGER result_values_delete_unused_only;"
	"DROP TRIGGER artifact_refs_no_update; DROP TRIGGER artifact_refs_delete_unused_only;";

/* Evidence of a typical run n: two checks of "mx", one of "leads", a
 * per-run artifact and one shared by every run. */
static void sample(struct ax_evidence *ev, int n)
{
	char msg[64], data[64];
	snprintf(msg, sizeof(msg), "run %d", n);
	snprintf(data, sizeof(data), "handshake of run %d", n);
	ax_evidence_add_result(ev, "mx", "tls", "tls.protocol.tls1_0", n % 2 ? AX_CHECK_FAIL : AX_CHECK_PASS, msg,
			       "{\"accepted\":true}", 1000 * n);
	ax_evidence_add_result(ev, "mx", "tls", "tls.cert.expiry", AX_CHECK_PASS, msg, "{\"days\":40}", 1000 * n);
	ax_evidence_add_result(ev, "leads", "consent", "consent.doi.unconfirmed_mailed", AX_CHECK_PASS, msg, NULL,
			       1000 * n + 1);
	ax_evidence_add_artifact(ev, "mx", "handshake.txt", "text/plain", data, strlen(data));
	ax_evidence_add_artifact(ev, "mx", "main.cf", "text/plain", "smtpd_tls_security_level = may\n", 31);
}

static struct ax_store *open_ok(const char *path)
{
	struct ax_store *s = NULL;
	int err = ax_store_open(&s, path);
	T_EQ_INT(err, 0);
	if (err < 0)
		fprintf(stderr, "open %s: %s\n", path, ax_error_last());
	return s;
}

/* A store at path with runs 1..n of sample(), started at 100*i. */
static void make_store(const char *path, int n)
{
	struct ax_store *s = open_ok(path);
	for (int i = 1; s && i <= n; i++) {
		struct ax_evidence ev = {0};
		sample(&ev, i);
		T_EQ_INT(ax_store_commit_run(s, "collect", 100 * i, 100 * i + 50, &ev, NULL), 0);
		ax_evidence_free(&ev);
	}
	ax_store_free(s);
}

static void test_open_and_reopen(void)
{
	char *path = tmp_path("new/annexa.db");
	struct ax_store *s = open_ok(path);
	struct stat st;
	char *wal = ax_asprintf("%s-wal", path);

	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), AX_STORE_SCHEMA_VERSION);
	struct ax_evidence ev = {0};
	sample(&ev, 1);
	T_EQ_INT(ax_store_commit_run(s, "collect", 1, 2, &ev, NULL), 0);
	T_OK(stat(wal, &st) == 0 && (st.st_mode & 0777) == 0600);
	ax_store_free(s);
	ax_store_free(NULL);

	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 1);
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;
		sqlite3_open(path, &db);
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL);
		T_OK(sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "wal") == 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}

	/* Reopening migrates nothing and keeps the data. */
	for (int i = 0; i < 2; i++) {
		s = open_ok(path);
		struct ax_run_info head;
		T_EQ_INT(ax_store_head(s, &head), 0);
		T_EQ_INT(head.id, 1);
		T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
		ax_store_free(s);
	}
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), AX_STORE_SCHEMA_VERSION);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 1);

	/* An empty store has no head; a restrictive umask still gives 0600. */
	char *empty = tmp_path("empty.db");
	mode_t old_mask = umask(0277);
	s = open_ok(empty);
	umask(old_mask);
	T_OK(stat(empty, &st) == 0 && (st.st_mode & 0777) == 0600);
	struct ax_run_info head;
	T_EQ_INT(ax_store_head(s, &head), AX_ENOTFOUND);
	ax_store_free(s);

	ax_evidence_free(&ev);
	free(empty);
	free(wal);
	free(path);
}

static void test_refused(void)
{
	static const struct {
		const char *name;
		const char *setup; /* raw SQL on a store made first, or NULL */
		const char *content; /* file content written instead, or NULL */
		const char *needle;
	} cases[] = {
		{"too-new.db", "PRAGMA user_version = 99", NULL, "newer than this annexa knows"},
		{"foreign.db", NULL, NULL, "not an annexa store"},
		{"other-app.db", "PRAGMA application_id = 1234", NULL, "not an annexa store"},
		{"garbage.db", NULL, "this is not a database, just text that is long enough to fill a header....",
		 "garbage.db"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = tmp_path(cases[i].name);
		struct ax_store *s = NULL;
		if (cases[i].content) {
			free(t_write(cases[i].name, cases[i].content));
		} else if (cases[i].setup) {
			make_store(path, 1);
			T_EQ_INT(t_sql(path, cases[i].setup), SQLITE_OK);
		} else {
			T_EQ_INT(t_sql(path, "CREATE TABLE contacts (email TEXT)"), SQLITE_OK);
		}
		int err = ax_store_open(&s, path);
		T_OK(err == AX_EINVALID);
		T_OK(s == NULL);
		T_CONTAINS(ax_error_last(), cases[i].needle);
		T_CONTAINS(ax_error_last(), path);
		ax_store_free(s);
		free(path);
	}
	/* The foreign database was not modified (no annexa tables, no WAL). */
	char *foreign = tmp_path("foreign.db");
	T_EQ_INT(t_sql_int(foreign, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0);
	T_EQ_INT(t_sql_int(foreign, "PRAGMA user_version"), 0);
	free(foreign);
}

static void test_commit_and_read(void)
{
	char *path = tmp_path("commit.db");
	struct ax_store *s = open_ok(path);
	struct ax_evidence ev = {0}, back = {0};
	struct ax_run_info info1, info2;
	char content[65], chain[65];
	struct ax_buf bytes = AX_BUF_INIT;

	sample(&ev, 1);
	/* The same bytes twice in one run: stored once, linked twice. */
	ax_evidence_add_artifact(&ev, "mx", "main.cf.copy", "text/plain", "smtpd_tls_security_level = may\n", 31);
	T_EQ_INT(ax_store_commit_run(s, "collect", 100, 150, &ev, &info1), 0);
	T_EQ_INT(info1.id, 1);
	T_EQ_STR(info1.kind, "collect");
	T_EQ_INT(info1.nresults, 3);
	T_EQ_STR(info1.prev_hash, AX_LEDGER_GENESIS);
	ax_ledger_content_hash(1, "collect", 100, 150, &ev, content);
	T_EQ_STR(info1.content_sha256, content);
	ax_ledger_chain_hash(AX_LEDGER_GENESIS, content, chain);
	T_EQ_STR(info1.hash, chain);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM artifacts"), 2);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM run_artifacts"), 3);

	ax_evidence_clear(&ev);
	sample(&ev, 2);
	T_EQ_INT(ax_store_commit_run(s, "collect", 200, 250, &ev, &info2), 0);
	T_EQ_INT(info2.id, 2);
	T_EQ_STR(info2.prev_hash, info1.hash);
	/* main.cf is shared with run 1: one new artifact row only. */
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM artifacts"), 3);

	/* Without data: descriptors only, in (instance, name) order. */
	T_EQ_INT(ax_store_run_evidence(s, 1, 0, &back), 0);
	T_EQ_INT(back.nresults, 3);
	T_EQ_INT(back.nartifacts, 3);
	if (back.nresults == 3 && back.nartifacts == 3) {
		T_EQ_STR(back.results[0].instance, "leads");
		T_EQ_STR(back.results[1].check, "tls.cert.expiry");
		T_EQ_STR(back.results[2].check, "tls.protocol.tls1_0");
		T_EQ_INT(back.results[2].status, AX_CHECK_FAIL);
		T_EQ_STR(back.results[2].observed, "{\"accepted\":true}");
		T_EQ_INT(back.results[2].collected_at, 1000);
		T_EQ_STR(back.results[0].observed, "{}");
		T_EQ_STR(back.artifacts[0].name, "handshake.txt");
		T_EQ_STR(back.artifacts[1].name, "main.cf");
		T_EQ_STR(back.artifacts[2].name, "main.cf.copy");
		T_EQ_STR(back.artifacts[1].sha256, back.artifacts[2].sha256);
		T_EQ_INT(back.artifacts[0].data.size, 0);
	}
	/* Read back without data, the run hashes to what was committed once
	 * the sizes are given, and not without them. */
	{
		int64_t sizes[] = {18, 31, 31};
		struct ax_buf json = AX_BUF_INIT;
		ax_ledger_content_json(1, "collect", 100, 150, &back, sizes, &json);
		ax_sha256_hex(json.ptr, json.size, content);
		T_EQ_STR(content, info1.content_sha256);
		ax_ledger_content_hash(1, "collect", 100, 150, &back, content);
		T_OK(strcmp(content, info1.content_sha256) != 0);
		ax_buf_free(&json);
	}
	ax_evidence_clear(&back);

	/* With data: bytes as committed, hashing to the committed content. */
	T_EQ_INT(ax_store_run_evidence(s, 1, 1, &back), 0);
	T_EQ_INT(back.nartifacts, 3);
	if (back.nartifacts == 3) {
		T_EQ_INT(back.artifacts[1].data.size, 31);
		T_EQ_STR(back.artifacts[1].data.ptr, "smtpd_tls_security_level = may\n");
	}
	ax_ledger_content_hash(1, "collect", 100, 150, &back, content);
	T_EQ_STR(content, info1.content_sha256);
	ax_evidence_clear(&back);

	T_EQ_INT(ax_store_run_evidence(s, 99, 0, &back), AX_ENOTFOUND);
	T_CONTAINS(ax_error_last(), "99");
	T_EQ_INT(back.nresults, 0);

	/* Artifact bytes by hash. */
	char sha[65];
	ax_sha256_hex("handshake of run 2", 18, sha);
	T_EQ_INT(ax_store_artifact(s, sha, &bytes), 0);
	T_EQ_STR(ax_buf_cstr(&bytes), "handshake of run 2");
	ax_sha256_hex("never stored", 12, sha);
	T_EQ_INT(ax_store_artifact(s, sha, &bytes), AX_ENOTFOUND);
	T_EQ_INT(ax_store_artifact(s, "xyz", &bytes), AX_EINVALID);
	T_EQ_INT(ax_store_artifact(s, NULL, &bytes), AX_EINVALID);

	/* An empty run (manual entries may carry no results) is a ledger entry too. */
	struct ax_run_info info3;
	T_EQ_INT(ax_store_commit_run(s, "attach", 300, 300, NULL, &info3), 0);
	T_EQ_INT(info3.id, 3);
	T_EQ_STR(info3.kind, "attach");
	T_EQ_INT(info3.nresults, 0);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);

	ax_buf_free(&bytes);
	ax_evidence_free(&back);
	ax_evidence_free(&ev);
	ax_store_free(s);
	free(path);
}

static void test_latest(void)
{
	/* Each commit: instance, check, message, collected_at. Run 3 arrives
	 * last but was collected earlier (a slow probe): it must not win. */
	static const struct {
		int run;
		const char *instance, *check, *message;
		int64_t at;
	} commits[] = {
		{1, "mx", "tls.cert.expiry", "a", 100}, {1, "mx", "tls.protocol.tls1_0", "b", 100},
		{1, "imap", "tls.cert.expiry", "c", 100}, {2, "mx", "tls.cert.expiry", "d", 200},
		{2, "imap", "tls.cert.expiry", "e", 150}, {3, "mx", "tls.cert.expiry", "f", 150},
		{3, "leads", "consent.doi", "g", 50},
	};
	static const struct {
		const char *instance, *check, *message;
	} want[] = {
		{"imap", "tls.cert.expiry", "e"},
		{"leads", "consent.doi", "g"},
		{"mx", "tls.cert.expiry", "d"},
		{"mx", "tls.protocol.tls1_0", "b"},
	};
	char *path = tmp_path("latest.db");
	struct ax_store *s = open_ok(path);
	struct ax_evidence ev = {0}, latest = {0};
	for (int run = 1; run <= 3; run++) {
		ax_evidence_clear(&ev);
		for (size_t i = 0; i < sizeof(commits) / sizeof(commits[0]); i++) {
			if (commits[i].run == run)
				ax_evidence_add_result(&ev, commits[i].instance, "t", commits[i].check, AX_CHECK_PASS,
						       commits[i].message, NULL, commits[i].at);
		}
		T_EQ_INT(ax_store_commit_run(s, "collect", run, run, &ev, NULL), 0);
	}
	T_EQ_INT(ax_store_latest(s, &latest), 0);
	T_EQ_INT(latest.nresults, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < latest.nresults && i < sizeof(want) / sizeof(want[0]); i++) {
		T_EQ_STR(latest.results[i].instance, want[i].instance);
		T_EQ_STR(latest.results[i].check, want[i].check);
		T_EQ_STR(latest.results[i].message, want[i].message);
	}
	T_EQ_INT(latest.nartifacts, 0);
	ax_evidence_free(&latest);
	ax_evidence_free(&ev);
	ax_store_free(s);
	free(path);
}

/* The newest run's artifact of an instance wins, whatever other
 * instances and names the runs carry (what status shows as the sandbox). */
static void test_latest_artifact(void)
{
	static const struct {
		const char *instance, *name, *data;
	} runs[] = {
		{"mx", "sandbox.txt", "landlock-v7+seccomp\n"}, {"imap", "sandbox.txt", "seccomp\n"},
		{"mx", "sandbox.txt", "none\n"}, {"mx", "other.txt", "x"},
	};
	char *path = tmp_path("latest_artifact.db");
	struct ax_store *s = open_ok(path);
	struct ax_evidence ev = {0};
	struct ax_buf b = AX_BUF_INIT;
	T_EQ_INT(ax_store_latest_artifact(s, "mx", "sandbox.txt", &b), AX_ENOTFOUND);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		ax_evidence_clear(&ev);
		ax_evidence_add_result(&ev, runs[i].instance, "t", "c", AX_CHECK_PASS, "m", NULL, (int64_t)i + 1);
		ax_evidence_add_artifact(&ev, runs[i].instance, runs[i].name, "text/plain", runs[i].data,
					 strlen(runs[i].data));
		T_EQ_INT(ax_store_commit_run(s, "collect", (int64_t)i + 1, (int64_t)i + 1, &ev, NULL), 0);
	}
	T_EQ_INT(ax_store_latest_artifact(s, "mx", "sandbox.txt", &b), 0);
	T_EQ_STR(ax_buf_cstr(&b), "none\n");
	T_EQ_INT(ax_store_latest_artifact(s, "imap", "sandbox.txt", &b), 0);
	T_EQ_STR(ax_buf_cstr(&b), "seccomp\n");
	T_EQ_INT(ax_store_latest_artifact(s, "web", "sandbox.txt", &b), AX_ENOTFOUND);
	ax_buf_free(&b);
	ax_evidence_free(&ev);
	ax_store_free(s);
	free(path);
}

struct walk {
	struct ax_store *s;
	char ids[128];
	size_t len;
	int stop_after;
	int calls;
	int nested_ok;
};

static int collect_ids(void *arg, const struct ax_run_info *run)
{
	struct walk *w = arg;
	struct ax_evidence ev = {0};
	w->calls++;
	w->len += (size_t)snprintf(w->ids + w->len, sizeof(w->ids) - w->len, "%s%lld", w->len ? "," : "",
				   (long long)run->id);
	/* Reading a run's evidence from inside the walk works (exports do it). */
	if (w->s && ax_store_run_evidence(w->s, run->id, 1, &ev) == 0 && (int64_t)ev.nresults == run->nresults)
		w->nested_ok++;
	ax_evidence_free(&ev);
	return w->stop_after && w->calls >= w->stop_after ? 7 : 0;
}

static void test_runs_period(void)
{
	static const struct {
		int64_t since, until;
		const char *ids;
	} cases[] = {
		{0, 0, "1,2,3,4"}, {200, 0, "2,3,4"}, {0, 300, "1,2,3"}, {200, 300, "2,3"},
		{250, 260, ""},    {400, 400, "4"},   {401, 0, ""},
	};
	char *path = tmp_path("period.db");
	make_store(path, 4); /* started at 100, 200, 300, 400 */
	struct ax_store *s = open_ok(path);
	for (size_t i = 0; s && i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct walk w = {.s = s};
		T_EQ_INT(ax_store_runs(s, cases[i].since, cases[i].until, collect_ids, &w), 0);
		T_EQ_STR(w.ids, cases[i].ids);
		T_EQ_INT(w.nested_ok, w.calls);
	}
	struct walk stop = {.stop_after = 2};
	T_EQ_INT(ax_store_runs(s, 0, 0, collect_ids, &stop), 7);
	T_EQ_STR(stop.ids, "1,2");
	ax_store_free(s);
	free(path);
}

static void test_content_format(void)
{
	static const char want[] =
		"{\"artifacts\":[{\"instance\":\"mx\",\"media_type\":\"text/plain\",\"name\":\"handshake.txt\","
		"\"sha256\":\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\",\"size\":5}],"
		"\"finished_at\":1100,\"id\":7,\"kind\":\"collect\",\"results\":["
		"{\"check\":\"tls.cert.expiry\",\"collected_at\":1000,\"instance\":\"mx\",\"message\":\"ok\","
		"\"observed\":\"not json\",\"probe_type\":\"tls\",\"status\":\"pass\"},"
		"{\"check\":\"tls.protocol.tls1_0\",\"collected_at\":1000,\"instance\":\"mx\","
		"\"message\":\"server accepts TLS 1.0\",\"observed\":{\"a\":1,\"versions\":[\"TLSv1\"]},"
		"\"probe_type\":\"tls\",\"status\":\"fail\"}],\"started_at\":900}";
	struct ax_evidence a = {0}, b = {0};
	struct ax_buf json = AX_BUF_INIT;
	char ha[65], hb[65], hw[65];

	ax_evidence_add_result(&a, "mx", "tls", "tls.protocol.tls1_0", AX_CHECK_FAIL, "server accepts TLS 1.0",
			       "{\"versions\": [\"TLSv1\"], \"a\": 1}", 1000);
	ax_evidence_add_result(&a, "mx", "tls", "tls.cert.expiry", AX_CHECK_PASS, "ok", "not json", 1000);
	ax_evidence_add_artifact(&a, "mx", "handshake.txt", "text/plain", "hello", 5);
	ax_ledger_content_json(7, "collect", 900, 1100, &a, NULL, &json);
	T_EQ_STR(json.ptr, want);
	ax_sha256_hex(want, strlen(want), hw);
	ax_ledger_content_hash(7, "collect", 900, 1100, &a, ha);
	T_EQ_STR(ha, hw);

	/* Input order does not matter. */
	ax_evidence_add_artifact(&b, "mx", "handshake.txt", "text/plain", "hello", 5);
	ax_evidence_add_result(&b, "mx", "tls", "tls.cert.expiry", AX_CHECK_PASS, "ok", "not json", 1000);
	ax_evidence_add_result(&b, "mx", "tls", "tls.protocol.tls1_0", AX_CHECK_FAIL, "server accepts TLS 1.0",
			       "{\"a\":1,\"versions\":[\"TLSv1\"]}", 1000);
	ax_ledger_content_hash(7, "collect", 900, 1100, &b, hb);
	T_EQ_STR(hb, ha);
	/* Every field counts. */
	ax_ledger_content_hash(8, "collect", 900, 1100, &b, hb);
	T_OK(strcmp(hb, ha) != 0);
	ax_ledger_content_hash(7, "attach", 900, 1100, &b, hb);
	T_OK(strcmp(hb, ha) != 0);
	b.results[0].status = AX_CHECK_FAIL;
	ax_ledger_content_hash(7, "collect", 900, 1100, &b, hb);
	T_OK(strcmp(hb, ha) != 0);
	/* Explicit sizes stand in for data that was not loaded. */
	int64_t sizes[] = {6};
	ax_buf_clear(&json);
	ax_ledger_content_json(7, "collect", 900, 1100, &a, sizes, &json);
	T_CONTAINS(json.ptr, "\"size\":6");

	/* The chain hash, pinned with: printf '%s' "$GENESIS:$(printf '' | sha256sum)" | sha256sum */
	ax_ledger_chain_hash(AX_LEDGER_GENESIS, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			     ha);
	T_EQ_STR(ha, "546eb7167d160a03ca33a29cd778b83c27bef6647a259c8837c71fb4cf235c57");

	ax_buf_free(&json);
	ax_evidence_free(&a);
	ax_evidence_free(&b);
}

static void test_tamper(void)
{
	static const struct {
		const char *what;
		const char *sql;
		int64_t bad_run; /* 0: still verifies */
	} cases[] = {
		{"nothing", "SELECT 1", 0},
		{"result message", "UPDATE result_values SET message = 'all good' WHERE message = 'run 2'"
				   " AND check_id = 'tls.cert.expiry'", 2},
		{"result status", "UPDATE result_values SET status = 'pass' WHERE message = 'run 3' AND status = 'fail'", 3},
		{"result observed", "UPDATE result_values SET observed = '{\"accepted\":false}' WHERE message = 'run 2'", 2},
		{"result time", "UPDATE result_rows SET collected_at = 1 WHERE run_id = 1", 1},
		{"result deleted", "DELETE FROM result_rows WHERE run_id = 2 AND seq = 0", 2},
		{"result added", "INSERT INTO result_rows SELECT run_id, 99, value_id, collected_at FROM result_rows"
				 " WHERE run_id = 3 LIMIT 1", 3},
		{"result points at another value", "UPDATE result_rows SET value_id = (SELECT value_id FROM result_rows"
						   " WHERE run_id = 1 AND seq = 1) WHERE run_id = 2 AND seq = 1", 2},
		{"result value deleted", "DELETE FROM result_values WHERE message = 'run 3'"
					 " AND check_id = 'tls.cert.expiry'", 3},
		{"result value added", "INSERT INTO result_values (key, instance, probe_type, check_id, status, message,"
				       " observed) VALUES (randomblob(32), 'mx', 'tls', 'x.y', 'pass', '', '')", 0},
		{"runs.hash", "UPDATE runs SET hash = '" AX_LEDGER_GENESIS "' WHERE id = 2", 2},
		{"runs.prev_hash", "UPDATE runs SET prev_hash = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' WHERE id = 3", 3},
		{"runs.content_sha256", "UPDATE runs SET content_sha256 = hash WHERE id = 1", 1},
		{"runs.kind", "UPDATE runs SET kind = 'attach' WHERE id = 2", 2},
		{"runs.started_at", "UPDATE runs SET started_at = started_at + 1 WHERE id = 3", 3},
		{"run deleted", "DELETE FROM result_rows WHERE run_id = 2; DELETE FROM artifact_links WHERE run_id = 2;"
				"DELETE FROM runs WHERE id = 2", 3},
		{"first run deleted", "DELETE FROM result_rows WHERE run_id = 1; DELETE FROM artifact_links WHERE run_id = 1;"
				      "DELETE FROM runs WHERE id = 1", 2},
		{"shared artifact name", "UPDATE artifact_refs SET name = 'other.txt' WHERE name = 'main.cf'", 1},
		{"artifact link", "UPDATE artifact_links SET ref_id = (SELECT ref_id FROM artifact_links"
				  " WHERE run_id = 1 AND seq = 0) WHERE run_id = 2 AND seq = 0", 2},
		{"artifact link deleted", "DELETE FROM artifact_links WHERE run_id = 3 AND seq = 1", 3},
		{"artifact bytes", "UPDATE artifacts SET data = CAST('smtpd_tls_security_level = none' AS BLOB)"
				   " WHERE size = 31", 1},
		{"artifact row", "DELETE FROM artifacts WHERE data = CAST('handshake of run 3' AS BLOB)", 3},
		{"pruned flag hides nothing", "UPDATE runs SET pruned = 1 WHERE id = 2;"
					      "UPDATE result_values SET message = 'x' WHERE message = 'run 2'", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "tamper-%zu.db", i);
		char *path = tmp_path(name);
		make_store(path, 3);
		if (t_sql(path, drop_triggers) != SQLITE_OK || t_sql(path, cases[i].sql) != SQLITE_OK)
			t_fail(__FILE__, __LINE__, "case '%s': raw SQL failed", cases[i].what);
		struct ax_store *s = open_ok(path);
		int64_t bad = -1;
		int err = s ? ax_store_ledger_verify(s, &bad) : -99;
		if (bad != cases[i].bad_run || err != (cases[i].bad_run ? AX_EINVALID : 0))
			t_fail(__FILE__, __LINE__, "case '%s': verify = %d, bad run %lld, expected %lld (%s)",
			       cases[i].what, err, (long long)bad, (long long)cases[i].bad_run, ax_error_last());
		t_checks++;
		if (cases[i].bad_run) {
			char run[32];
			snprintf(run, sizeof(run), "run %lld", (long long)cases[i].bad_run);
			T_CONTAINS(ax_error_last(), run);
			T_CONTAINS(ax_error_last(), path);
		}
		ax_store_free(s);
		free(path);
	}
}

static void test_triggers(void)
{
	static const char *const refused[] = {
		"UPDATE result_rows SET collected_at = 0",
		"UPDATE result_rows SET value_id = 1",
		"DELETE FROM result_rows",
		"DELETE FROM results",
		"UPDATE results SET message = 'x'",
		"UPDATE result_values SET message = 'x'",
		"DELETE FROM result_values",
		"DELETE FROM artifact_links",
		"DELETE FROM run_artifacts",
		"UPDATE artifact_refs SET name = 'x'",
		"DELETE FROM artifact_refs",
		"UPDATE runs SET hash = prev_hash",
		"DELETE FROM runs",
		"UPDATE runs SET kind = 'attach'",
		"UPDATE runs SET started_at = 0",
		"UPDATE artifact_links SET ref_id = 1",
		"UPDATE run_artifacts SET name = 'x'",
		"UPDATE artifacts SET data = X'00'",
	};
	char *path = tmp_path("triggers.db");
	make_store(path, 2);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (t_sql(path, refused[i]) == SQLITE_OK)
			t_fail(__FILE__, __LINE__, "'%s' was allowed", refused[i]);
		t_checks++;
	}
	struct ax_store *s = open_ok(path);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	ax_store_free(s);
	free(path);
}

static void test_rollback(void)
{
	char *path = tmp_path("rollback.db");
	struct ax_store *s = NULL;
	struct ax_evidence ev = {0};
	struct ax_run_info info;
	make_store(path, 1);
	/* Fails after the run and its results were inserted. */
	T_EQ_INT(t_sql(path, "CREATE TRIGGER boom BEFORE INSERT ON artifact_links"
			   " BEGIN SELECT RAISE(ABORT, 'boom'); END"), SQLITE_OK);
	s = open_ok(path);
	sample(&ev, 2);
	int err = ax_store_commit_run(s, "collect", 200, 250, &ev, &info);
	T_OK(err < 0);
	T_CONTAINS(ax_error_last(), "boom");
	T_CONTAINS(ax_error_last(), path);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 1);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results"), 3);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM artifacts"), 2);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);

	/* Bad input is refused before anything is written. */
	static const struct {
		const char *what;
		const char *kind, *instance, *check, *message;
		int corrupt_sha;
	} bad[] = {
		{"kind", "collect; DROP", "mx", "c.x", "m", 0},
		{"long kind", "collectcollectcollect", "mx", "c.x", "m", 0},
		{"instance", "collect", "../mx", "c.x", "m", 0},
		{"check", "collect", "mx", "c x", "m", 0},
		{"utf-8", "collect", "mx", "c.x", "bad \xff byte", 0},
		{"sha", "collect", "mx", "c.x", "m", 1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ax_evidence b = {0};
		ax_evidence_add_result(&b, bad[i].instance, "t", bad[i].check, AX_CHECK_PASS, bad[i].message, NULL, 1);
		ax_evidence_add_artifact(&b, "mx", "a.txt", "text/plain", "x", 1);
		if (bad[i].corrupt_sha)
			b.artifacts[0].sha256[0] = b.artifacts[0].sha256[0] == 'a' ? 'b' : 'a';
		if (ax_store_commit_run(s, bad[i].kind, 1, 1, &b, NULL) != AX_EINVALID)
			t_fail(__FILE__, __LINE__, "case '%s' was not refused", bad[i].what);
		t_checks++;
		T_CONTAINS(ax_error_last(), path);
		ax_evidence_free(&b);
	}
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 1);

	/* Once the fault is gone the next run gets the next id. */
	T_EQ_INT(t_sql(path, "DROP TRIGGER boom"), SQLITE_OK);
	T_EQ_INT(ax_store_commit_run(s, "collect", 200, 250, &ev, &info), 0);
	T_EQ_INT(info.id, 2);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	ax_evidence_free(&ev);
	ax_store_free(s);
	free(path);
}

static int count_pruned(void *arg, const struct ax_run_info *run)
{
	int *n = arg;
	if (run->pruned && run->nresults == 0)
		(*n)++;
	return 0;
}

static void test_prune(void)
{
	char *path = tmp_path("prune.db");
	struct ax_store *s = open_ok(path);
	struct ax_evidence ev = {0}, latest = {0};
	struct ax_buf bytes = AX_BUF_INIT;
	char unique[65], shared[65];
	int64_t n = -1;
	for (int i = 1; i <= 3; i++) {
		ax_evidence_clear(&ev);
		sample(&ev, i);
		if (i == 1)
			ax_evidence_add_result(&ev, "old", "t", "gone.check", AX_CHECK_PASS, "", NULL, 1);
		T_EQ_INT(ax_store_commit_run(s, "collect", 100 * i, 100 * i + 50, &ev, NULL), 0);
		/* Manual evidence is never pruned by age. */
		if (i == 1) {
			ax_evidence_clear(&ev);
			ax_evidence_add_artifact(&ev, "manual", "policy.pdf", "application/pdf", "%PDF", 4);
			T_EQ_INT(ax_store_commit_run(s, "attach", 160, 160, &ev, NULL), 0);
		}
	}
	ax_sha256_hex("handshake of run 1", 18, unique);
	ax_sha256_hex("smtpd_tls_security_level = may\n", 31, shared);

	/* Runs 1 (collect) and 3 (collect) finished at 150 and 250: before 260. */
	T_EQ_INT(ax_store_prune(s, 260, 400, &n), 0);
	T_EQ_INT(n, 2);
	int pruned = 0;
	T_EQ_INT(ax_store_runs(s, 0, 0, count_pruned, &pruned), 0);
	T_EQ_INT(pruned, 2);
	/* The prune is run 5 of the ledger: what it pruned, and the cutoff. */
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 5);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs WHERE id = 5 AND kind = 'prune' AND finished_at = 400"), 1);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results WHERE run_id = 5 AND instance = 'ledger' AND"
			       " check_id = 'ledger.prune' AND observed = '{\"before\":260,\"runs\":[[1,1],[3,3]]}'"), 1);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results WHERE run_id IN (1, 3)"), 0);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM run_artifacts WHERE run_id = 2"), 1);
	/* Values and links only pruned rows used are gone, the others stay. */
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM result_values"),
		 t_sql_int(path, "SELECT count(DISTINCT value_id) FROM result_rows"));
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM result_values WHERE check_id = 'gone.check'"), 0);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM artifact_refs"),
		 t_sql_int(path, "SELECT count(DISTINCT ref_id) FROM artifact_links"));
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM artifact_refs WHERE name = 'main.cf'"), 1);
	T_EQ_INT(ax_store_artifact(s, unique, &bytes), AX_ENOTFOUND);
	T_EQ_INT(ax_store_artifact(s, shared, &bytes), 0);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	T_EQ_INT(ax_store_latest(s, &latest), 0);
	for (size_t i = 0; i < latest.nresults; i++)
		T_OK(strcmp(latest.results[i].check, "gone.check") != 0);
	T_EQ_INT(latest.nresults, 3); /* not the prune record either */
	T_EQ_INT(ax_store_prune(s, 260, 410, &n), 0);
	T_EQ_INT(n, 0);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 5); /* nothing pruned: no prune run */
	ax_store_free(s);

	/* Pruning cannot be undone to smuggle rows back in. */
	T_OK(t_sql(path, "UPDATE runs SET pruned = 0 WHERE id = 1") != SQLITE_OK);
	T_EQ_INT(t_sql_int(path, "SELECT pruned FROM runs WHERE id = 1"), 1);

	/* A pruned run's row is still chained: tampering with it is found. */
	T_EQ_INT(t_sql(path, drop_triggers), SQLITE_OK);
	T_EQ_INT(t_sql(path, "UPDATE runs SET content_sha256 = prev_hash WHERE id = 1"), SQLITE_OK);
	s = open_ok(path);
	int64_t bad = 0;
	T_EQ_INT(ax_store_ledger_verify(s, &bad), AX_EINVALID);
	T_EQ_INT(bad, 1);

	ax_buf_free(&bytes);
	ax_evidence_free(&latest);
	ax_evidence_free(&ev);
	ax_store_free(s);
	free(path);
}

static int check_whole(void *arg, const struct ax_run_info *run)
{
	int *broken = arg;
	if (run->nresults != 20)
		(*broken)++;
	return 0;
}

/* Commits runs of 20 results until killed (or n runs when n > 0). */
static void committer(const char *path, int n)
{
	struct ax_store *s = NULL;
	if (ax_store_open(&s, path) < 0)
		_exit(2);
	for (int i = 0; n == 0 || i < n; i++) {
		struct ax_evidence ev = {0};
		char data[32];
		for (int j = 0; j < 20; j++)
			ax_evidence_add_result(&ev, "p", "t", "c.x", AX_CHECK_PASS, "m", NULL, (int64_t)i * 100 + j);
		snprintf(data, sizeof(data), "%d-%d", (int)getpid(), i);
		ax_evidence_add_artifact(&ev, "p", "a", "text/plain", data, strlen(data));
		int64_t now = (int64_t)time(NULL); /* the ledger's time never goes back */
		if (ax_store_commit_run(s, "collect", now, now, &ev, NULL) < 0) {
			fprintf(stderr, "committer: %s\n", ax_error_last());
			_exit(3);
		}
		ax_evidence_free(&ev);
	}
	ax_store_free(s);
	_exit(0);
}

static int64_t runs_committed(const char *path)
{
	return access(path, F_OK) == 0 ? t_sql_int(path, "SELECT count(*) FROM runs") : 0;
}

static void test_kill9(void)
{
	char *path = tmp_path("kill9.db");
	srand((unsigned)time(NULL));
	/* six kills at random points, more while none came after a commit
	 * (a sanitizer build on a busy machine may not commit within 70 ms) */
	for (int round = 0; round < 6 || (round < 60 && runs_committed(path) <= 0); round++) {
		pid_t pid = fork();
		if (pid == 0)
			committer(path, 0);
		struct timespec ts = {0, (10 + rand() % 60) * 1000000L};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		T_OK(WIFSIGNALED(status));
	}
	struct ax_store *s = open_ok(path);
	int broken = 0;
	int64_t bad = 0;
	T_EQ_INT(ax_store_ledger_verify(s, &bad), 0);
	T_EQ_INT(bad, 0);
	T_EQ_INT(ax_store_runs(s, 0, 0, check_whole, &broken), 0);
	T_EQ_INT(broken, 0);
	T_OK(t_sql_int(path, "SELECT count(*) FROM runs") > 0);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), t_sql_int(path, "SELECT max(id) FROM runs"));
	ax_store_free(s);
	free(path);
}

static void test_concurrent(void)
{
	char *path = tmp_path("concurrent.db");
	make_store(path, 0);
	pid_t pids[3];
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			committer(path, 30);
	}
	for (int i = 0; i < 3; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct ax_store *s = open_ok(path);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs"), 90);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	ax_store_free(s);
	free(path);
}

/* Evidence of run n for the migration test: sample(n), plus checks whose
 * value never changes (the common case schema 3 stores once), a value
 * repeated inside one run, and an artifact that changes every other run. */
static void migration_sample(struct ax_evidence *ev, int n)
{
	char data[32];
	sample(ev, n);
	for (int c = 0; c < 4; c++) {
		char check[32];
		snprintf(check, sizeof(check), "steady.check.c%d", c);
		ax_evidence_add_result(ev, "steady", "file", check, c == 3 ? AX_CHECK_FAIL : AX_CHECK_PASS,
				       "as configured", "{\"count\":42}", 1000 * n + 2);
	}
	ax_evidence_add_result(ev, "steady", "file", "steady.check.c0", AX_CHECK_PASS, "as configured",
			       "{\"count\":42}", 1000 * n + 2);
	snprintf(data, sizeof(data), "config %d", n / 2);
	ax_evidence_add_artifact(ev, "steady", "config.txt", "text/plain", data, strlen(data));
}

/* Writes run (id, kind, ev) into a schema-2 store the way annexa before
 * schema 3 did: one wide results row per result, one run_artifacts row per
 * artifact, artifacts content-addressed. */
static void insert_v2_run(sqlite3 *db, int64_t id, const char *kind, int64_t started, int64_t finished,
			  const struct ax_evidence *ev, char prev[65])
{
	char content[65], hash[65];
	sqlite3_stmt *st = NULL;
	ax_ledger_content_hash(id, kind, started, finished, ev, content);
	ax_ledger_chain_hash(prev, content, hash);
	sqlite3_prepare_v2(db, "INSERT INTO runs (id, kind, started_at, finished_at, prev_hash, content_sha256, hash)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, started);
	sqlite3_bind_int64(st, 4, finished);
	sqlite3_bind_text(st, 5, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, content, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hash, -1, SQLITE_STATIC);
	T_EQ_INT(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "INSERT INTO results (run_id, instance, probe_type, check_id, status, message, observed,"
			       " collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL);
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, r->instance, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->probe_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->check, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ax_check_status_name(r->status), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, r->message, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->observed, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, r->collected_at);
		T_EQ_INT(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < ev->nartifacts; i++) {
		const struct ax_artifact *a = &ev->artifacts[i];
		sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO artifacts (sha256, media_type, size, data) VALUES (?, ?, ?, ?)",
				   -1, &st, NULL);
		sqlite3_bind_text(st, 1, a->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->media_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)a->data.size);
		sqlite3_bind_blob(st, 4, a->data.ptr, (int)a->data.size, SQLITE_STATIC);
		T_EQ_INT(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		sqlite3_prepare_v2(db, "INSERT INTO run_artifacts (run_id, instance, name, media_type, sha256)"
				       " VALUES (?, ?, ?, ?, ?)", -1, &st, NULL);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, a->instance, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->media_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a->sha256, -1, SQLITE_STATIC);
		T_EQ_INT(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	memcpy(prev, hash, 65);
}

/* Appends every field of ev (results, then artifact descriptors) as text:
 * two stores agree on a read when these texts are equal. */
static void dump_evidence(const struct ax_evidence *ev, struct ax_buf *out)
{
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		ax_buf_printf(out, "R %s|%s|%s|%s|%s|%s|%lld\n", r->instance, r->probe_type, r->check,
			      ax_check_status_name(r->status), r->message, r->observed, (long long)r->collected_at);
	}
	for (size_t i = 0; i < ev->nartifacts; i++)
		ax_buf_printf(out, "A %s|%s|%s|%s\n", ev->artifacts[i].instance, ev->artifacts[i].name,
			      ev->artifacts[i].media_type, ev->artifacts[i].sha256);
}

struct run_dump {
	struct ax_store *s;
	struct ax_buf text;
};

static int dump_run(void *arg, const struct ax_run_info *run)
{
	struct run_dump *d = arg;
	struct ax_evidence ev = {0};
	ax_buf_printf(&d->text, "run %lld %s %lld %lld %s %s %s pruned=%d n=%lld\n", (long long)run->id, run->kind,
		      (long long)run->started_at, (long long)run->finished_at, run->prev_hash, run->content_sha256,
		      run->hash, run->pruned, (long long)run->nresults);
	T_EQ_INT(ax_store_run_evidence(d->s, run->id, 1, &ev), 0);
	dump_evidence(&ev, &d->text);
	ax_evidence_free(&ev);
	return 0;
}

/* Everything a reader of the store sees: every run with its evidence, the
 * latest results. */
static void dump_store(struct ax_store *s, struct ax_buf *out)
{
	struct run_dump d = {.s = s, .text = AX_BUF_INIT};
	struct ax_evidence latest = {0};
	T_EQ_INT(ax_store_runs(s, 0, 0, dump_run, &d), 0);
	T_EQ_INT(ax_store_latest(s, &latest), 0);
	ax_buf_puts(&d.text, "latest\n");
	dump_evidence(&latest, &d.text);
	ax_buf_put(out, d.text.ptr, d.text.size);
	ax_buf_free(&d.text);
	ax_evidence_free(&latest);
}

/* Pruning as annexa 0.1 did it on a schema-3 store: runs marked, their
 * rows and what nothing uses any more deleted, no prune run. */
static const char legacy_prune_1_2[] =
	"BEGIN; UPDATE runs SET pruned = 1 WHERE id IN (1, 2);"
	"DELETE FROM result_rows WHERE run_id IN (1, 2); DELETE FROM artifact_links WHERE run_id IN (1, 2);"
	"DELETE FROM result_values WHERE NOT EXISTS (SELECT 1 FROM result_rows WHERE value_id = result_values.id);"
	"DELETE FROM artifact_refs WHERE NOT EXISTS (SELECT 1 FROM artifact_links WHERE ref_id = artifact_refs.id);"
	"DELETE FROM artifacts WHERE NOT EXISTS (SELECT 1 FROM artifact_refs WHERE sha256 = artifacts.sha256);"
	"COMMIT";

/* A schema-2 store (wide rows, written as annexa wrote them) opened by
 * this annexa is migrated in place to schema 3: the ledger verifies with
 * the hashes it had, and every read returns exactly what a store written
 * by schema 3 from the same evidence returns. */
static void test_migrate_v2(void)
{
	char *old = tmp_path("v2.db"), *fresh = tmp_path("v3.db");
	struct ax_store *s = NULL, *f = open_ok(fresh);
	struct ax_buf want = AX_BUF_INIT, got = AX_BUF_INIT;
	char prev[65] = AX_LEDGER_GENESIS;
	sqlite3 *db = NULL;
	int64_t n = 0;

	T_EQ_INT(axs_open_at(&s, old, 2), 0);
	ax_store_free(s);
	s = NULL;
	T_EQ_INT(t_sql_int(old, "PRAGMA user_version"), 2);
	T_EQ_INT(sqlite3_open(old, &db), SQLITE_OK);
	for (int i = 1; i <= 12; i++) {
		struct ax_evidence ev = {0};
		const char *kind = i == 5 ? "attach" : "collect";
		if (i == 5)
			ax_evidence_add_artifact(&ev, "manual", "policy.pdf", "application/pdf", "%PDF", 4);
		else
			migration_sample(&ev, i);
		insert_v2_run(db, i, kind, 100 * i, 100 * i + 50, &ev, prev);
		T_EQ_INT(ax_store_commit_run(f, kind, 100 * i, 100 * i + 50, &ev, NULL), 0);
		ax_evidence_free(&ev);
	}
	/* Runs 1 and 2 pruned as schema 2 pruned them. */
	T_EQ_INT(sqlite3_exec(db, "BEGIN; UPDATE runs SET pruned = 1 WHERE id IN (1, 2);"
				  "DELETE FROM results WHERE run_id IN (1, 2); DELETE FROM run_artifacts WHERE run_id IN (1, 2);"
				  "DELETE FROM artifacts WHERE NOT EXISTS (SELECT 1 FROM run_artifacts ra"
				  " WHERE ra.sha256 = artifacts.sha256); COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* ... and the schema-3 store as annexa 0.1 pruned it: no prune run. */
	T_EQ_INT(t_sql(fresh, legacy_prune_1_2), SQLITE_OK);
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM results"), 9 * 8);

	s = open_ok(old);
	T_OK(s != NULL);
	if (!s || !f)
		goto cleanup;
	T_EQ_INT(t_sql_int(old, "PRAGMA user_version"), AX_STORE_SCHEMA_VERSION);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	/* The same hashes, runs, evidence and latest results as schema 3
	 * writing the same evidence. */
	dump_store(f, &want);
	dump_store(s, &got);
	T_EQ_STR(got.ptr, want.ptr);
	T_CONTAINS(got.ptr, "R steady|file|steady.check.c0|pass|as configured|{\"count\":42}|12002\nR steady|file|"
			    "steady.check.c0|pass|as configured|{\"count\":42}|12002\n");
	/* Stored once: 9 runs x 3 changing results + 4 steady values. */
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM result_values"), 9 * 3 + 4);
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM results"), 9 * 8);
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM sqlite_master WHERE name = 'results' AND type = 'view'"), 1);
	/* The old columns stay readable (sqlite3 users, scripts): a view. */
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM results WHERE instance = 'steady' AND check_id = 'steady.check.c3'"
			      " AND status = 'fail' AND message = 'as configured'"), 9);
	T_EQ_INT(t_sql_int(old, "SELECT run_id FROM results ORDER BY rowid DESC LIMIT 1"), 12);
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM run_artifacts WHERE name = 'config.txt'"), 9);
	T_EQ_INT(t_sql_int(old, "PRAGMA auto_vacuum"), 2); /* vacuumed once, incremental from now on */
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
	T_OK(t_sql(old, "UPDATE result_values SET message = 'x'") != SQLITE_OK);

	/* It goes on as a schema-3 store: commit, prune, verify. */
	struct ax_evidence ev = {0};
	migration_sample(&ev, 13);
	T_EQ_INT(ax_store_commit_run(s, "collect", 1300, 1350, &ev, NULL), 0);
	T_EQ_INT(ax_store_commit_run(f, "collect", 1300, 1350, &ev, NULL), 0);
	ax_evidence_free(&ev);
	T_EQ_INT(ax_store_prune(s, 1000, 1400, &n), 0);
	T_EQ_INT(n, 6);
	T_EQ_INT(ax_store_prune(f, 1000, 1400, &n), 0);
	ax_buf_clear(&want);
	ax_buf_clear(&got);
	dump_store(f, &want);
	dump_store(s, &got);
	T_EQ_STR(got.ptr, want.ptr);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	/* runs 10..13, and the record of prune run 14 */
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM result_values"), 4 * 3 + 4 + 1);
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM results WHERE run_id = 14 AND observed ="
			      " '{\"before\":1000,\"runs\":[[3,4],[6,9]]}'"), 1);
	T_EQ_INT(t_sql_int(old, "SELECT count(*) FROM artifacts"), t_sql_int(fresh, "SELECT count(*) FROM artifacts"));
cleanup:
	ax_buf_free(&want);
	ax_buf_free(&got);
	ax_store_free(s);
	ax_store_free(f);
	free(old);
	free(fresh);
}

/* Schema 4 admits the result status `info`: a schema-3 store refuses it,
 * migrates with its runs, ledger and value ids intact, then stores it. */
static void test_migrate_v3_info(void)
{
	char *path = tmp_path("v3-info.db");
	struct ax_store *s = NULL;
	struct ax_evidence ev = {0}, back = {0};

	T_EQ_INT(axs_open_at(&s, path, 3), 0);
	for (int i = 1; s && i <= 3; i++) {
		sample(&ev, i);
		T_EQ_INT(ax_store_commit_run(s, "collect", 100 * i, 100 * i + 50, &ev, NULL), 0);
		ax_evidence_free(&ev);
	}
	ax_evidence_add_result(&ev, "auth", "accesslog", "log.privileged_logins", AX_CHECK_INFO, "1 listed", NULL, 400);
	T_OK(s && ax_store_commit_run(s, "collect", 400, 450, &ev, NULL) < 0); /* the old CHECK refuses it */
	ax_store_free(s);
	s = NULL;
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), 3);
	int64_t values = t_sql_int(path, "SELECT count(*) FROM result_values");
	int64_t max_id = t_sql_int(path, "SELECT max(id) FROM result_values");

	s = open_ok(path);
	if (!s)
		goto cleanup;
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), AX_STORE_SCHEMA_VERSION);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM result_values"), values);
	T_EQ_INT(t_sql_int(path, "SELECT max(id) FROM result_values"), max_id);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results"), 9);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	T_OK(t_sql(path, "UPDATE result_values SET message = 'x'") != SQLITE_OK); /* triggers made again */
	T_OK(t_sql(path, "DELETE FROM result_values") != SQLITE_OK);
	T_OK(t_sql(path, "INSERT INTO result_values (key, instance, probe_type, check_id, status, message, observed)"
		       " VALUES (zeroblob(32), 'a', 'b', 'c.d', 'maybe', '', '{}')") != SQLITE_OK);

	T_EQ_INT(ax_store_commit_run(s, "collect", 400, 450, &ev, NULL), 0);
	T_EQ_INT(ax_store_latest(s, &back), 0);
	int found = 0;
	for (size_t i = 0; i < back.nresults; i++)
		if (strcmp(back.results[i].check, "log.privileged_logins") == 0)
			found = back.results[i].status == AX_CHECK_INFO;
	T_OK(found);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results WHERE status = 'info'"), 1);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
cleanup:
	ax_evidence_free(&ev);
	ax_evidence_free(&back);
	ax_store_free(s);
	free(path);
}

/* Schema 5 records which coverage needs a manual item answers: a schema-4
 * store with an attach run migrates with that run's hash and the chain
 * intact, the old item answers nothing (its JSON has no "answers"), and a
 * new item's answers are stored, immutable, and in its ledger row. */
static void test_migrate_v4_answers(void)
{
	char *path = tmp_path("v4-answers.db"), *doc = t_write("policy.txt", "the logging policy\n");
	struct ax_store *s = NULL;
	struct ax_manual_list list = {0};
	const char *controls[] = {"A.8.15"}, *paths[] = {doc}, *answers[] = {"A.8.15:policy"};
	struct ax_manual_attach req = {.controls = controls, .ncontrols = 1, .paths = paths, .npaths = 1,
				       .user = "alice", .now = 1000, .effective_at = 1000, .expires_at = 2000};
	char *id = NULL;

	T_EQ_INT(axs_open_at(&s, path, 4), 0);
	T_EQ_INT(s ? ax_manual_attach(s, &req, &id) : -1, 0);
	free(id);
	id = NULL;
	ax_store_free(s);
	s = NULL;
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), 4);
	char *before = NULL; /* the attach run's hash */
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT hash FROM runs WHERE kind = 'attach'", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			before = ax_strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	T_OK(before != NULL);

	s = open_ok(path);
	if (!s)
		goto cleanup;
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), 5);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	struct ax_buf q = AX_BUF_INIT;
	ax_buf_printf(&q, "SELECT count(*) FROM runs WHERE kind = 'attach' AND hash = '%s'", before ? before : "?");
	T_EQ_INT(t_sql_int(path, q.ptr), 1); /* the old run's hash is what it was */
	ax_buf_free(&q);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results WHERE observed LIKE '%answers%'"), 0);
	T_EQ_INT(ax_manual_load(s, NULL, &list), 0);
	T_EQ_INT(list.n, 1);
	T_EQ_INT(list.n ? list.items[0].nanswers : 99, 0);
	ax_manual_list_free(&list);

	/* a new item with answers: stored, in its ledger row, immutable */
	req.answers = answers;
	req.nanswers = 1;
	req.now = 1100;
	T_EQ_INT(ax_manual_attach(s, &req, &id), 0);
	T_EQ_INT(ax_manual_get(s, id, &list), 0);
	T_EQ_INT(list.n ? list.items[0].nanswers : 0, 1);
	T_EQ_STR(list.n ? list.items[0].answers[0] : "", "A.8.15:policy");
	ax_manual_list_free(&list);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM results WHERE observed LIKE '%\"answers\":[\"A.8.15:policy\"]%'"), 1);
	T_EQ_INT(ax_store_ledger_verify(s, NULL), 0);
	T_OK(t_sql(path, "UPDATE manual_answers SET need = 'A.8.15:review'") != SQLITE_OK);
	T_OK(t_sql(path, "DELETE FROM manual_answers") != SQLITE_OK);
	/* an answer for a control the item does not name is refused */
	const char *other[] = {"A.8.16:scope"};
	req.answers = other;
	char *id2 = NULL;
	T_OK(ax_manual_attach(s, &req, &id2) < 0);
	T_OK(id2 == NULL);
cleanup:
	ax_manual_list_free(&list);
	ax_store_free(s);
	free(before);
	free(id);
	free(doc);
	free(path);
}

/* The walk's checks besides the hashes, run by run: time, prunes. A run
 * is "ID KIND FINISHED [p]" (p: pruned); a prune run carries its record. */
struct walk_run {
	int64_t id;
	const char *kind;
	int64_t finished;
	int pruned;
	const char *record; /* prune runs: the observed JSON */
};

static void test_ledger_walk(void)
{
	static const struct {
		const char *name;
		struct walk_run runs[8];
		int at_head;
		int64_t bad;       /* first broken run, 0: none */
		const char *why;   /* part of the reason */
		int covered, legacy, unknown;
	} cases[] = {
		{"in order", {{1, "collect", 100, 0, NULL}, {2, "collect", 200, 0, NULL}}, 1, 0, NULL, 0, 0, 0},
		{"nine months back", {{1, "collect", 30000000, 0, NULL}, {2, "collect", 30000000 - 23328000, 0, NULL}},
		 1, 2, "time goes back", 0, 0, 0},
		{"back past the newest, not only the last",
		 {{1, "collect", 1000, 0, NULL}, {2, "collect", 990, 0, NULL}, {3, "collect", 900, 0, NULL}}, 1, 3,
		 "time goes back", 0, 0, 0},
		{"commit race within the slack", {{1, "collect", 1000, 0, NULL}, {2, "collect", 960, 0, NULL}}, 1, 0,
		 NULL, 0, 0, 0},
		{"legacy prune of the oldest runs",
		 {{1, "collect", 100, 1, NULL}, {2, "collect", 200, 1, NULL}, {3, "collect", 300, 0, NULL}}, 1, 0, NULL,
		 0, 2, 0},
		{"newest runs pruned, no prune run",
		 {{1, "collect", 100, 0, NULL}, {2, "collect", 200, 1, NULL}, {3, "collect", 300, 1, NULL}}, 1, 2,
		 "no prune run lists it", 0, 0, 0},
		{"covered by a prune run",
		 {{1, "collect", 100, 1, NULL},
		  {2, "collect", 200, 1, NULL},
		  {3, "collect", 300, 0, NULL},
		  {4, "prune", 400, 0, "{\"before\":250,\"runs\":[[1,2]]}"}},
		 1, 0, NULL, 2, 0, 0},
		{"pruned after the cutoff that lists it",
		 {{1, "collect", 100, 1, NULL},
		  {2, "collect", 300, 1, NULL},
		  {3, "prune", 400, 0, "{\"before\":250,\"runs\":[[1,2]]}"}},
		 1, 2, "after the cutoff", 1, 0, 0},
		{"a pruned attach run",
		 {{1, "attach", 100, 1, NULL}, {2, "prune", 400, 0, "{\"before\":250,\"runs\":[[1,1]]}"}}, 1, 1,
		 "only collect runs", 0, 0, 0},
		{"pruned after the first prune run, not listed",
		 {{1, "collect", 100, 1, NULL},
		  {2, "prune", 200, 0, "{\"before\":150,\"runs\":[[1,1]]}"},
		  {3, "collect", 300, 1, NULL},
		  {4, "collect", 400, 0, NULL}},
		 1, 3, "no prune run lists it", 1, 0, 0},
		{"legacy-looking, but not older than the first prune's cutoff",
		 {{1, "collect", 100, 0, NULL},
		  {2, "collect", 200, 1, NULL},
		  {3, "prune", 300, 0, "{\"before\":150,\"runs\":[[1,1]]}"}},
		 1, 2, "no prune run lists it", 0, 0, 0},
		{"malformed prune record", {{1, "collect", 100, 0, NULL}, {2, "prune", 200, 0, "{\"runs\":[[1,1]]}"}}, 1,
		 2, "malformed", 0, 0, 0},
		{"prune record listing itself", {{1, "collect", 100, 0, NULL}, {2, "prune", 200, 0, "{\"before\":1,\"runs\":[[1,2]]}"}},
		 1, 2, "not before it", 0, 0, 0},
		{"prune run without a record", {{1, "collect", 100, 0, NULL}, {2, "prune", 200, 0, NULL}}, 1, 2,
		 "without a prune record", 0, 0, 0},
		{"excerpt ending before the head",
		 {{1, "collect", 100, 0, NULL}, {2, "collect", 200, 1, NULL}, {3, "collect", 300, 0, NULL}}, 0, 0, NULL,
		 0, 0, 1},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ax_ledger_walk *w = ax_ledger_walk_new();
		struct ax_ledger_report rep = {0};
		const char *why = NULL;
		int64_t bad = 0;
		for (size_t i = 0; i < 8 && cases[c].runs[i].id && !why; i++) {
			const struct walk_run *r = &cases[c].runs[i];
			struct ax_run_info info = {.id = r->id, .started_at = r->finished, .finished_at = r->finished,
						   .pruned = r->pruned};
			struct ax_evidence ev = {0};
			snprintf(info.kind, sizeof(info.kind), "%s", r->kind);
			if (r->record)
				ax_evidence_add_result(&ev, "ledger", "ledger", "ledger.prune", AX_CHECK_PASS, "m",
						       r->record, r->finished);
			why = ax_ledger_walk_run(w, &info, r->pruned ? NULL : &ev);
			bad = why ? r->id : 0;
			ax_evidence_free(&ev);
		}
		if (!why)
			why = ax_ledger_walk_end(w, cases[c].at_head, &rep, &bad);
		if (bad != cases[c].bad || (int)rep.pruned_covered != cases[c].covered)
			fprintf(stderr, "case '%s': %s\n", cases[c].name, why ? why : "no break");
		T_EQ_INT(bad, cases[c].bad);
		if (cases[c].why)
			T_CONTAINS(why ? why : "", cases[c].why);
		T_EQ_INT(rep.pruned_covered, cases[c].covered);
		T_EQ_INT(rep.pruned_legacy, cases[c].legacy);
		T_EQ_INT(rep.pruned_unknown, cases[c].unknown);
		ax_ledger_walk_free(w);
	}
}

/* The attacks of issue 12 on a real store, with plain SQL the triggers
 * allow: each passed `ledger verify` before prunes were chained. */
static void test_prune_attacks(void)
{
	char *path = tmp_path("attack.db");
	struct ax_store *s = open_ok(path);
	struct ax_evidence ev = {0};
	struct ax_ledger_report rep;
	struct ax_run_info info;
	for (int i = 1; i <= 4; i++) {
		ax_evidence_clear(&ev);
		sample(&ev, i);
		T_EQ_INT(ax_store_commit_run(s, "collect", 100 * i, 100 * i + 50, &ev, NULL), 0);
	}
	T_EQ_INT(ax_store_commit_run(s, "attach", 500, 500, NULL, NULL), 0);
	/* a legitimate prune: run 1, listed by prune run 6 */
	T_EQ_INT(ax_store_prune(s, 160, 600, NULL), 0);
	T_EQ_INT(ax_store_ledger_check(s, &rep), 0);
	T_EQ_INT(rep.runs, 6);
	T_EQ_INT(rep.content_verified, 5);
	T_EQ_INT(rep.pruned_covered, 1);
	ax_store_free(s);

	/* Hiding the newest (failing) run 3 by pruning it. */
	T_EQ_INT(t_sql(path, "BEGIN; UPDATE runs SET pruned = 1 WHERE id = 3; DELETE FROM result_rows WHERE run_id = 3;"
			   " DELETE FROM artifact_links WHERE run_id = 3; COMMIT"), SQLITE_OK);
	s = open_ok(path);
	T_EQ_INT(ax_store_ledger_check(s, &rep), AX_EINVALID);
	T_EQ_INT(rep.bad_run, 3);
	T_CONTAINS(ax_error_last(), "no prune run lists it");
	ax_store_free(s);

	/* Manual evidence is never pruned: a pruned attach run is refused. */
	char *path2 = tmp_path("attack2.db");
	make_store(path2, 2);
	s = open_ok(path2);
	T_EQ_INT(ax_store_commit_run(s, "attach", 300, 300, NULL, NULL), 0);
	ax_store_free(s);
	T_EQ_INT(t_sql(path2, "UPDATE runs SET pruned = 1 WHERE id = 3"), SQLITE_OK);
	s = open_ok(path2);
	T_EQ_INT(ax_store_ledger_check(s, &rep), AX_EINVALID);
	T_EQ_INT(rep.bad_run, 3);
	T_CONTAINS(ax_error_last(), "only collect runs");

	/* Time: a commit dated before the head is refused past the slack,
	 * and takes the head's time within it. */
	ax_evidence_clear(&ev);
	sample(&ev, 9);
	T_EQ_INT(ax_store_commit_run(s, "collect", 200, 300 - AX_LEDGER_CLOCK_SLACK - 1, &ev, NULL), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "the clock went back");
	T_EQ_INT(ax_store_commit_run(s, "collect", 280, 290, &ev, &info), 0);
	T_EQ_INT(info.finished_at, 300);
	T_EQ_INT(t_sql_int(path2, "SELECT finished_at FROM runs WHERE id = 4"), 300);
	ax_store_free(s);
	T_OK(t_sql(path2, "UPDATE runs SET pruned = 0 WHERE id = 3") != SQLITE_OK); /* trigger: never back */

	ax_evidence_free(&ev);
	free(path);
	free(path2);
}

int main(void)
{
	test_open_and_reopen();
	test_refused();
	test_commit_and_read();
	test_latest();
	test_latest_artifact();
	test_runs_period();
	test_content_format();
	test_tamper();
	test_triggers();
	test_rollback();
	test_prune();
	test_ledger_walk();
	test_prune_attacks();
	test_migrate_v2();
	test_migrate_v3_info();
	test_migrate_v4_answers();
	test_kill9();
	test_concurrent();
	return t_done();
}
