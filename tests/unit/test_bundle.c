/* test_bundle.c - the bundle writer and verifier in-process: a store with
 * runs and hostile artifact names -> export data (period, pass shares,
 * unique sanitised paths) -> signed ZIP -> verify (valid), then every
 * single-byte change of the ZIP is detected or unreadable, never accepted
 * silently and never a crash; manual evidence paths, status and bundle;
 * path and name rules table-driven. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "t.h"

#include "config.h"
#include "controls.h"
#include "export.h"
#include "store.h"
#include "util.h"

static void test_names(void)
{
	static const struct {
		const char *in, *out;
	} names[] = {
		{"main.cf", "main.cf"},           {"../../etc/shadow", "_._.._etc_shadow"},
		{"/etc/passwd", "_etc_passwd"},   {"..", "_."},
		{".hidden", "_hidden"},           {"", "artifact"},
		{"a b\\c", "a_b_c"},              {"caf\xc3\xa9", "caf__"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ax_buf b = AX_BUF_INIT;
		ax_export_safe_name(names[i].in, &b);
		T_EQ_STR(b.ptr, names[i].out);
		ax_buf_free(&b);
	}
	static const struct {
		const char *path;
		int ok;
	} paths[] = {
		{"evidence/x/main.cf", 1}, {"manifest.json", 1}, {"../x", 0},   {"a/../b", 0}, {"/abs", 0},
		{"a//b", 0},               {"a/./b", 0},         {"a\\b", 0},   {"", 0},       {"a/", 0},
		{"tab\there", 0},
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		t_checks++;
		if (ax_bundle_path_valid(paths[i].path) != paths[i].ok)
			t_fail(__FILE__, __LINE__, "ax_bundle_path_valid(\"%s\") != %d", paths[i].path, paths[i].ok);
	}
}

static const char *control_status(const struct ax_export_data *d, const char *id)
{
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (strcmp(d->status->controls[i].control->id, id) == 0)
			return ax_control_status_name(d->status->controls[i].status);
	return "?";
}

/* Manual evidence: two files whose names clash once sanitised for the
 * bundle, under two controls -> four entries naming two bundle paths (one
 * copy per file, every control points at it); the attach run's artifacts
 * name those same copies; the status counts the item;
 * the bundle verifies. */
static void test_manual(const struct ax_config *cfg, const struct ax_catalog *cat, struct ax_store *st,
			const struct ax_signer *signer)
{
	const int64_t now = 1767225600 + 20 * 86400;
	char *f1 = t_write("a+b.txt", "policy one\n"), *f2 = t_write("a_b.txt", "policy two\n");
	const char *controls[] = {"A.6.1", "A.5.1"}, *paths[] = {f1, f2};
	char *id = NULL, *zip = ax_asprintf("%s/m.zip", t_tmpdir());
	struct ax_manual_attach req = {.controls = controls, .ncontrols = 2, .paths = paths, .npaths = 2,
				       .user = "alice", .now = now, .effective_at = now - 86400,
				       .expires_at = now + 60 * 86400, .owner = "ISMS"};
	struct ax_export_data *d = NULL;
	struct ax_verify_report rep;
	T_EQ_INT(ax_manual_attach(st, &req, &id), 0);
	T_EQ_STR(id, "M-1");
	T_EQ_INT(ax_export_data_load(cfg, st, cat, 0, 0, now + 60, &d), 0);
	if (!d)
		goto cleanup;
	T_EQ_INT(d->manual.n, 1);
	T_EQ_INT(d->nmfiles, 4);
	static const char *want[] = {"evidence/manual/M-1-1-a_b.txt", "evidence/manual/M-1-2-a_b.txt",
				     "evidence/manual/M-1-1-a_b.txt", "evidence/manual/M-1-2-a_b.txt"};
	for (size_t i = 0; i < d->nmfiles && i < 4; i++) {
		T_EQ_STR(d->mfiles[i].bundle_path, want[i]);
		T_EQ_INT(ax_export_manual_stored(&d->mfiles[i]), i < 2); /* one stored entry per file */
		T_EQ_INT(d->mfiles[i].from_run, i < 2); /* the attach run carries the stored copies */
	}
	size_t manual_artifacts = 0;
	for (size_t i = 0; i < d->nartifacts; i++)
		if (strcmp(d->artifacts[i].instance, "manual") == 0) {
			manual_artifacts++;
			T_OK(strncmp(d->artifacts[i].bundle_path, "evidence/manual/M-1-", 20) == 0);
		}
	T_EQ_INT(manual_artifacts, 2);
	T_EQ_STR(ax_export_manual_path(d, &d->manual.items[0], "A.6.1", 1), want[3]);
	T_OK(ax_export_manual_path(d, &d->manual.items[0], "A.8.9", 0) == NULL);
	T_EQ_STR(control_status(d, "A.5.1"), "pass");
	T_EQ_STR(control_status(d, "A.6.1"), "pass");
	/* attached without required approval: nobody approved it */
	T_EQ_STR(ax_export_manual_state(&d->manual.items[0], now), "accepted");
	T_EQ_STR(ax_export_manual_state(&d->manual.items[0], now + 61 * 86400), "expired");
	T_EQ_STR(ax_export_manual_state(&d->manual.items[0], now - 2 * 86400), "not yet effective");
	struct ax_buf jl = AX_BUF_INIT;
	T_EQ_INT(ax_export_results_jsonl(d, &jl), 0);
	T_CONTAINS(ax_buf_cstr(&jl), "\"kind\":\"manual\"");
	T_CONTAINS(ax_buf_cstr(&jl), "{\"control\":\"A.6.1\",\"path\":\"evidence/manual/M-1-2-a_b.txt\"");
	T_CONTAINS(ax_buf_cstr(&jl), "{\"control\":\"A.5.1\",\"path\":\"evidence/manual/M-1-2-a_b.txt\"");
	ax_buf_free(&jl);
	struct ax_bundle_opts o = {.signer = signer};
	T_EQ_INT(ax_bundle_write(d, &o, zip, NULL), 0);
	T_EQ_INT(ax_bundle_verify(zip, NULL, &rep), 0);
	T_EQ_INT(rep.runs, 4); /* three collect runs and the attach run */
	ax_verify_report_free(&rep);
cleanup:
	ax_export_data_free(d);
	free(id);
	free(zip);
	free(f1);
	free(f2);
}

/* After a prune, a bundle carries the prune run: `verify` counts the
 * pruned run as listed by it (content unverifiable, reported), and the
 * prune record is no check result of the period's status. */
static void test_pruned(const struct ax_config *cfg, const struct ax_catalog *cat, struct ax_store *st,
			const struct ax_signer *signer, const char *db)
{
	const int64_t now = 1767225600 + 30 * 86400;
	char *zip = ax_asprintf("%s/p.zip", t_tmpdir());
	struct ax_export_data *d = NULL;
	struct ax_verify_report rep;
	int64_t n = 0;
	struct ax_bundle_opts o = {.signer = signer};
	T_EQ_INT(ax_store_prune(st, 1767225600 + 2, now, &n), 0); /* run 1 */
	T_EQ_INT(n, 1);
	T_EQ_INT(ax_export_data_load(cfg, st, cat, 0, 0, now + 60, &d), 0);
	if (!d)
		goto cleanup;
	for (size_t i = 0; i < d->latest.nresults; i++)
		T_OK(strcmp(d->latest.results[i].instance, "ledger") != 0);
	T_EQ_INT(ax_bundle_write(d, &o, zip, NULL), 0);
	T_EQ_INT(ax_bundle_verify(zip, NULL, &rep), 0);
	T_EQ_INT(rep.runs, 5);
	T_EQ_INT(rep.runs_content, 4);
	T_EQ_INT(rep.runs_pruned_covered, 1);
	ax_verify_report_free(&rep);
	ax_export_data_free(d);
	d = NULL;

	/* The store's newest collect run (3) pruned with SQL, no prune run
	 * listing it: a bundle written from it (as an annexa that did not
	 * check the store first would) does not verify. */
	sqlite3 *raw = NULL;
	T_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
	T_EQ_INT(sqlite3_exec(raw, "UPDATE runs SET pruned = 1 WHERE id = 3; DELETE FROM result_rows WHERE run_id = 3;"
				   "DELETE FROM artifact_links WHERE run_id = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	T_EQ_INT(ax_export_data_load(cfg, st, cat, 0, 0, now + 60, &d), 0);
	if (!d)
		goto cleanup;
	T_EQ_INT(ax_bundle_write(d, &o, zip, NULL), 0);
	T_EQ_INT(ax_bundle_verify(zip, NULL, &rep), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "run 3: it is pruned, but no prune run lists it");
	ax_verify_report_free(&rep);
cleanup:
	ax_export_data_free(d);
	free(zip);
}

static void add(struct ax_evidence *ev, enum ax_check_status st, int64_t t)
{
	ax_evidence_add_result(ev, "cfg", "file", "file.mode", st, "mode checked", "{\"mode\":\"0600\",\"n\":1}", t);
	ax_evidence_add_result(ev, "cfg", "file", "file.exists", AX_CHECK_PASS, "exists", "not an object", t);
}

int main(void)
{
	struct ax_config *cfg = NULL;
	struct ax_catalog *cat = NULL;
	struct ax_store *st = NULL;
	struct ax_export_data *d = NULL;
	struct ax_signer *signer = NULL;
	struct ax_verify_report rep;
	const char *dir = t_tmpdir();
	char *key = ax_asprintf("%s/k.pem", dir), *crt = ax_asprintf("%s/c.pem", dir);
	char *zip = ax_asprintf("%s/b.zip", dir), *db = ax_asprintf("%s/s.db", dir);

	test_names();
	if (t_site_open("[annexa]\n\torganization = Unit \"Test\" <GmbH>\n"
			"[probe \"cfg\"]\n\ttype = file\n\tpath = /nonexistent\n\tcontrols = A.8.9\n",
			db, &cfg, &cat, &st) < 0)
		return t_done();
	/* Three runs: pass, fail, pass; hostile and colliding artifact names. */
	for (int r = 0; r < 3; r++) {
		struct ax_evidence ev = {0};
		int64_t t = 1767225600 + r * 86400; /* 2026-01-01 + r days */
		add(&ev, r == 1 ? AX_CHECK_FAIL : AX_CHECK_PASS, t);
		ax_evidence_add_artifact(&ev, "cfg", "../../etc/shadow", "text/plain", "x", 1);
		ax_evidence_add_artifact(&ev, "cfg", "a b", "text/plain", r ? "changed" : "same", r ? 7 : 4);
		ax_evidence_add_artifact(&ev, "cfg", "a_b", "text/plain", "other", 5);
		T_EQ_INT(ax_store_commit_run(st, "collect", t, t + 1, &ev, NULL), 0);
		ax_evidence_free(&ev);
	}
	T_EQ_INT(ax_export_data_load(cfg, st, cat, 1767225600 + 86400, 0, 1767225600 + 10 * 86400, &d), 0);
	if (!d)
		return t_done();
	T_EQ_INT(d->nruns, 2);
	T_EQ_INT(d->evidence.nresults, 4);
	size_t a89 = 0;
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (strcmp(d->status->controls[i].control->id, "A.8.9") == 0)
			a89 = i;
	T_EQ_INT(d->period[a89].runs_evaluated, 2);
	T_EQ_INT(d->period[a89].runs_passed, 1);
	/* failing from run 1 to run 2 (a day), then passing until its
	 * evidence went stale (freshness 2 h, collected 1 s before the run
	 * ended), then stale until the end of the period (day 10) */
	T_EQ_INT(d->period[a89].seconds_evaluated, 9 * 86400 - 1);
	T_EQ_INT(d->period[a89].seconds_passed, 7199);
	T_OK(ax_export_pass_share(d, a89) == 7199.0 / (9 * 86400 - 1));
	/* Paths: safe, unique per content. */
	for (size_t i = 0; i < d->nartifacts; i++) {
		T_OK(ax_bundle_path_valid(d->artifacts[i].bundle_path));
		T_OK(strncmp(d->artifacts[i].bundle_path, "evidence/cfg/", 13) == 0);
		for (size_t k = 0; k < i; k++)
			T_OK(strcmp(d->artifacts[i].bundle_path, d->artifacts[k].bundle_path) != 0 ||
			     strcmp(d->artifacts[i].sha256, d->artifacts[k].sha256) == 0);
	}

	T_EQ_INT(ax_keygen(key, crt, "Unit Test", 1767225600 + 86400 * 5), 0);
	struct stat sb;
	T_OK(stat(key, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	T_EQ_INT(ax_keygen(key, crt, "Unit Test", 0), AX_EEXISTS);
	T_EQ_INT(ax_signer_load(&signer, key, crt, NULL), 0);
	struct ax_bundle_opts o = {.signer = signer};
	T_EQ_INT(ax_bundle_write(d, &o, zip, NULL), 0);
	T_EQ_INT(ax_bundle_verify(zip, NULL, &rep), 0);
	T_EQ_INT(rep.runs, 2);
	T_EQ_INT(rep.runs_content, 2);
	T_CONTAINS(rep.signer.ptr, "CN=annexa evidence signing");
	ax_verify_report_free(&rep);

	/* Every byte flipped: never valid unless the byte is one ZIP readers
	 * ignore (e.g. timestamps in headers); those must still verify. */
	struct ax_buf bytes = AX_BUF_INIT;
	T_EQ_INT(ax_file_read(zip, 1 << 24, &bytes), 0);
	size_t rejected = 0, step = bytes.size / 400 + 1;
	for (size_t i = 0; i < bytes.size; i += step) {
		bytes.ptr[i] ^= 0x20;
		int err = ax_bundle_verify_mem(bytes.ptr, bytes.size, NULL, &rep);
		ax_verify_report_free(&rep);
		t_checks++;
		if (err != 0 && err != AX_EINVALID)
			t_fail(__FILE__, __LINE__, "byte %zu: verify returned %d", i, err);
		rejected += err == AX_EINVALID;
		bytes.ptr[i] ^= 0x20;
	}
	T_OK(rejected > 300);
	T_EQ_INT(ax_bundle_verify_mem(bytes.ptr, bytes.size / 2, NULL, &rep), AX_EINVALID);
	ax_verify_report_free(&rep);
	T_EQ_INT(ax_bundle_verify_mem("PK", 2, NULL, &rep), AX_EINVALID);
	ax_verify_report_free(&rep);
	T_EQ_INT(ax_bundle_verify("/nonexistent/b.zip", NULL, &rep), AX_ENOTFOUND);
	ax_verify_report_free(&rep);

	test_manual(cfg, cat, st, signer);
	test_pruned(cfg, cat, st, signer, db);

	ax_buf_free(&bytes);
	ax_signer_free(signer);
	ax_export_data_free(d);
	t_site_close(cfg, cat, st);
	free(key);
	free(crt);
	free(zip);
	free(db);
	return t_done();
}
