/* test_manual.c - manual evidence at the store level: attach, approve,
 * revoke, expiry and their effect on control status; the ledger verifies
 * after each step; refused inputs store nothing; large files move in
 * bounded chunks. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "controls.h"
#include "manual.h"
#include "store.h"
#include "t.h"
#include "util.h"

#define DAY 86400
#define T0 1800000000 /* 2027-01-15 */

static struct ax_control ctl[] = {
	{"A.5.1", "Organizational", "Policies"},
	{"A.5.2", "Organizational", "Roles"},
	{"A.8.24", "Technological", "Cryptography"},
	{"A.8.9", "Technological", "Configuration"},
};
static struct ax_mapping maps[] = {
	{"tls.*", "A.8.24", "tls.xml", "primary", "test rule"},
	{"conf.*", "A.8.9", "conf.xml", "primary", "test rule"},
};
static struct ax_catalog cat = {ctl, 4, maps, 2, "iso27001-2022", NULL, 0, NULL, 0};

static void verify_ok(struct ax_store *s, const char *when)
{
	int64_t bad = -1;
	int err = ax_store_ledger_verify(s, &bad);
	t_checks++;
	if (err != 0)
		t_fail(__FILE__, __LINE__, "ledger verify after %s: %d (%s)", when, err, ax_error_last());
}

/* Everything a refused operation must leave untouched. */
static char *fingerprint(const char *path)
{
	return ax_asprintf("%lld/%lld/%lld/%lld/%lld",
			   (long long)t_sql_int(path, "SELECT count(*) FROM runs"),
			   (long long)t_sql_int(path, "SELECT count(*) FROM artifacts"),
			   (long long)t_sql_int(path, "SELECT count(*) FROM manual_evidence"),
			   (long long)t_sql_int(path, "SELECT count(*) FROM manual_files"),
			   (long long)t_sql_int(path, "SELECT count(*) FROM manual_evidence WHERE state = 'approved'"));
}

static int attach(struct ax_store *s, const char *control, const char *path, const char *user, int64_t eff,
		  int64_t exp, int approval, char **id)
{
	const char *controls[] = {control};
	const char *paths[] = {path};
	struct ax_manual_attach req = {
		.controls = controls, .ncontrols = 1, .paths = paths, .npaths = 1, .user = user, .now = T0,
		.effective_at = eff, .expires_at = exp, .owner = "isms", .note = "v1", .approval_required = approval,
	};
	return ax_manual_attach(s, &req, id);
}

/* Status of control id with the store's manual evidence at now; probe
 * results from ev (may be NULL). */
static const char *status_of(struct ax_store *s, const struct ax_evidence *ev, const char *id, int64_t now,
			     size_t *nexpiring)
{
	static char name[32];
	struct ax_manual_list list = {0};
	struct ax_status *st = NULL;
	T_EQ_INT(ax_manual_load(s, NULL, &list), 0);
	T_EQ_INT(ax_status_compute(&cat, NULL, ev, now, &st), 0);
	ax_status_apply_manual(st, list.items, list.n, now, 30 * DAY);
	snprintf(name, sizeof(name), "?");
	for (size_t i = 0; st && i < st->ncontrols; i++)
		if (strcmp(st->controls[i].control->id, id) == 0)
			snprintf(name, sizeof(name), "%s", ax_control_status_name(st->controls[i].status));
	if (nexpiring)
		*nexpiring = st ? st->nexpiring : 0;
	ax_status_free(st);
	ax_manual_list_free(&list);
	return name;
}

static void test_lifecycle(void)
{
	char *path = ax_asprintf("%s/life.db", t_tmpdir());
	char *policy = t_write("policy.pdf", "%PDF-1.4 information security policy\n");
	struct ax_store *s = NULL;
	struct ax_manual_list list = {0};
	struct ax_evidence ev = {0};
	struct ax_run_info head;
	char *id = NULL, *before;

	T_EQ_INT(ax_store_open(&s, path), 0);
	T_EQ_INT(t_sql_int(path, "PRAGMA user_version"), AX_STORE_SCHEMA_VERSION);
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0, NULL), "manual");

	/* attach, approval required: pending, control stays manual */
	T_EQ_INT(attach(s, "A.5.1", policy, "alice", T0 - 10 * DAY, T0 + 20 * DAY, 1, &id), 0);
	T_EQ_STR(id, "M-1");
	verify_ok(s, "attach");
	T_EQ_INT(ax_store_head(s, &head), 0);
	T_EQ_STR(head.kind, "attach");
	T_EQ_INT(ax_store_run_evidence(s, head.id, 0, &ev), 0);
	T_EQ_INT(ev.nresults, 1);
	T_EQ_STR(ev.results[0].check, "manual.A.5.1");
	T_EQ_STR(ev.results[0].instance, "manual");
	T_EQ_INT(ev.results[0].status, AX_CHECK_SKIP);
	T_CONTAINS(ev.results[0].message, "pending approval");
	T_CONTAINS(ev.results[0].observed, "\"event\":\"attach\"");
	T_EQ_INT(ev.nartifacts, 1);
	T_EQ_STR(ev.artifacts[0].name, "M-1/policy.pdf");
	ax_evidence_free(&ev);
	memset(&ev, 0, sizeof(ev));
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0, NULL), "manual");

	/* the manual rows are events, not check results */
	T_EQ_INT(ax_store_latest(s, &ev), 0);
	T_EQ_INT(ev.nresults, 0);
	ax_evidence_free(&ev);
	memset(&ev, 0, sizeof(ev));

	/* same user may not approve; nothing changes */
	before = fingerprint(path);
	T_EQ_INT(ax_manual_approve(s, "M-1", "alice", T0), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "segregation of duties");
	char *after = fingerprint(path);
	T_EQ_STR(after, before);
	T_EQ_INT(ax_manual_approve(s, "M-9", "bob", T0), AX_ENOTFOUND);
	free(after);
	free(before);

	/* another user approves: pass while valid, listed as expiring (20d < 30d) */
	T_EQ_INT(ax_manual_approve(s, "M-1", "bob", T0 + 60), 0);
	verify_ok(s, "approve");
	T_EQ_INT(ax_manual_approve(s, "M-1", "carol", T0 + 60), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "not pending");
	size_t nexp = 0;
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0, &nexp), "pass");
	T_EQ_INT(nexp, 1);
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0 - 11 * DAY, NULL), "manual"); /* not yet effective */
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0 + 20 * DAY - 1, NULL), "pass");
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0 + 20 * DAY, NULL), "stale"); /* expires is exclusive */

	/* a renewal (attached without required approval) stops the warning */
	free(id);
	T_EQ_INT(attach(s, "A.5.1", policy, "alice", T0 + 15 * DAY, T0 + 400 * DAY, 0, &id), 0);
	T_EQ_STR(id, "M-2");
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM artifacts"), 1); /* same bytes stored once */
	verify_ok(s, "second attach");
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0, &nexp), "pass");
	T_EQ_INT(nexp, 0);
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0 + 30 * DAY, NULL), "pass");
	T_EQ_INT(ax_manual_approve(s, "M-2", "bob", T0), AX_EINVALID); /* never needed approval */

	/* revoke: stays, marked; the control falls back to what is left */
	T_EQ_INT(ax_manual_revoke(s, "M-2", "carol", "", T0), AX_EINVALID);
	T_EQ_INT(ax_manual_revoke(s, "M-2", "carol", "wrong document", T0 + 120), 0);
	verify_ok(s, "revoke");
	T_EQ_INT(ax_manual_revoke(s, "M-2", "carol", "again", T0), AX_EINVALID);
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0 + 30 * DAY, NULL), "stale");
	T_EQ_INT(ax_manual_revoke(s, "M-1", "carol", "policy withdrawn", T0 + 180), 0);
	T_EQ_STR(status_of(s, NULL, "A.5.1", T0, NULL), "manual");
	verify_ok(s, "second revoke");

	T_EQ_INT(ax_manual_load(s, "A.5.1", &list), 0);
	T_EQ_INT(list.n, 2);
	if (list.n == 2) {
		T_EQ_INT(list.items[1].state, AX_MANUAL_REVOKED);
		T_EQ_STR(list.items[1].revoked_by, "carol");
		T_EQ_STR(list.items[1].revoke_reason, "wrong document");
		T_EQ_STR(list.items[0].approved_by, "bob");
		T_EQ_STR(list.items[0].attached_by, "alice");
		T_EQ_INT(list.items[0].effective_at, T0 - 10 * DAY);
		T_EQ_INT(list.items[0].nfiles, 1);
		T_EQ_INT(list.items[0].attach_run, 1);
		T_EQ_INT(list.items[0].approve_run, 2);
	}
	ax_manual_list_free(&list);
	T_EQ_INT(t_sql_int(path, "SELECT count(*) FROM runs WHERE kind IN ('attach','approve','revoke')"), 5);

	/* the triggers refuse deleting or rewriting manual evidence */
	T_OK(t_sql(path, "DELETE FROM manual_evidence") != SQLITE_OK);
	T_OK(t_sql(path, "UPDATE manual_evidence SET expires_at = expires_at + 1") != SQLITE_OK);
	T_OK(t_sql(path, "UPDATE manual_evidence SET state = 'approved' WHERE id = 'M-1'") != SQLITE_OK);

	/* the ledger covers the files: tampering with their bytes is found */
	T_EQ_INT(t_sql(path, "DROP TRIGGER artifacts_no_update; UPDATE artifacts SET data = CAST('forged' AS BLOB)"),
		 SQLITE_OK);
	int64_t bad = 0;
	T_EQ_INT(ax_store_ledger_verify(s, &bad), AX_EINVALID);
	T_EQ_INT(bad, 1);

	free(id);
	free(policy);
	free(path);
	ax_store_free(s);
}

static void test_combined(void)
{
	char *path = ax_asprintf("%s/combined.db", t_tmpdir());
	char *doc = t_write("crypto-policy.txt", "crypto policy\n");
	struct ax_store *s = NULL;
	struct ax_evidence ev = {0};
	char *id = NULL;
	const char *controls[] = {"A.8.24", "A.8.9"};
	const char *paths[] = {doc};
	struct ax_manual_attach req = {
		.controls = controls, .ncontrols = 2, .paths = paths, .npaths = 1, .user = "alice", .now = T0,
		.effective_at = T0 - DAY, .expires_at = T0 + 100 * DAY,
	};

	T_EQ_INT(ax_store_open(&s, path), 0);
	T_EQ_INT(ax_manual_attach(s, &req, &id), 0);
	verify_ok(s, "attach to two controls");
	T_EQ_STR(status_of(s, NULL, "A.8.24", T0, NULL), "pass"); /* not_covered + manual pass */
	ax_evidence_add_result(&ev, "mx", "tls", "tls.protocol.tls1_0", AX_CHECK_FAIL, "TLS 1.0", NULL, T0 - 60);
	ax_evidence_add_result(&ev, "cfg", "conf", "conf.x", AX_CHECK_PASS, "ok", NULL, T0 - 60);
	T_EQ_STR(status_of(s, &ev, "A.8.24", T0, NULL), "fail");          /* fail > pass */
	T_EQ_STR(status_of(s, &ev, "A.8.9", T0, NULL), "pass");
	T_EQ_STR(status_of(s, &ev, "A.8.9", T0 + 100 * DAY, NULL), "stale"); /* old probe pass, expired manual */
	ax_evidence_free(&ev);
	memset(&ev, 0, sizeof(ev));
	ax_evidence_add_result(&ev, "cfg", "conf", "conf.x", AX_CHECK_PASS, "ok", NULL, T0 + 100 * DAY - 60);
	T_EQ_STR(status_of(s, &ev, "A.8.9", T0 + 100 * DAY, NULL), "stale"); /* fresh pass + expired manual */

	/* period selection for bundles */
	struct ax_manual_list list = {0};
	T_EQ_INT(ax_manual_period(s, T0 + 200 * DAY, T0 + 300 * DAY, &list), 0);
	T_EQ_INT(list.n, 0);
	ax_manual_list_free(&list);
	T_EQ_INT(ax_manual_period(s, T0 + 50 * DAY, 0, &list), 0);
	T_EQ_INT(list.n, 1);
	if (list.n == 1) {
		T_EQ_INT(list.items[0].ncontrols, 2);
		T_EQ_STR(list.items[0].files[0].media_type, "text/plain");
		json_t *j = ax_manual_to_json(&list.items[0]);
		char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		T_CONTAINS(text, "\"controls\":[\"A.8.24\",\"A.8.9\"]");
		T_CONTAINS(text, "\"state\":\"accepted\""); /* no approval required: never "approved" */
		T_CONTAINS(text, "\"approved_by\":null");
		free(text);
		json_decref(j);
	}
	ax_manual_list_free(&list);
	ax_evidence_free(&ev);
	free(id);
	free(doc);
	free(path);
	ax_store_free(s);
}

static void test_refused(void)
{
	char *path = ax_asprintf("%s/refused.db", t_tmpdir());
	char *good = t_write("good.txt", "good\n");
	char *missing = ax_asprintf("%s/missing.pdf", t_tmpdir());
	struct ax_store *s = NULL;
	char *id = NULL, *before;

	T_EQ_INT(ax_store_open(&s, path), 0);
	T_EQ_INT(attach(s, "A.5.1", good, "alice", T0, T0 + DAY, 0, &id), 0);
	free(id);
	id = NULL;
	before = fingerprint(path);

	T_EQ_INT(attach(s, "A.5.1", missing, "alice", T0, T0 + DAY, 0, &id), AX_ENOTFOUND);
	T_CONTAINS(ax_error_last(), missing);
	T_EQ_INT(attach(s, "A.5.1", t_tmpdir(), "alice", T0, T0 + DAY, 0, &id), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "is a directory");
	/* an empty file evidences nothing (it used to make its control pass) */
	char *empty = t_write("empty.pdf", "");
	T_EQ_INT(attach(s, "A.5.1", empty, "alice", T0, T0 + DAY, 0, &id), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "empty file (0 bytes)");
	free(empty);
	T_EQ_INT(attach(s, "A.5.1", good, "alice", T0 + DAY, T0 + DAY, 0, &id), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "expiry");
	T_EQ_INT(attach(s, "A.5.1; DROP", good, "alice", T0, T0 + DAY, 0, &id), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "invalid control");
	if (geteuid() != 0) { /* root reads mode-000 files; the integration test covers it as nobody */
		char *locked = t_write("locked.pdf", "secret\n");
		chmod(locked, 0);
		T_EQ_INT(attach(s, "A.5.1", locked, "alice", T0, T0 + DAY, 0, &id), AX_EINVALID);
		T_CONTAINS(ax_error_last(), "locked.pdf");
		free(locked);
	}
	/* a second file missing: the first one is not stored either */
	const char *controls[] = {"A.5.2"};
	const char *paths[] = {good, missing};
	struct ax_manual_attach req = {.controls = controls, .ncontrols = 1, .paths = paths, .npaths = 2,
				       .user = "alice", .now = T0, .effective_at = T0, .expires_at = T0 + DAY};
	T_EQ_INT(ax_manual_attach(s, &req, &id), AX_ENOTFOUND);
	T_OK(id == NULL);
	/* answers: a control the item does not name, a malformed need, one given twice */
	const char *alone[] = {good};
	const char *bad_answers[][2] = {{"A.5.1:policy", NULL}, {"A.5.2:", NULL}, {"A.5.2", NULL},
					{"A.5.2:rules", "A.5.2:rules"}};
	req.paths = alone;
	req.npaths = 1;
	for (size_t i = 0; i < sizeof(bad_answers) / sizeof(bad_answers[0]); i++) {
		req.answers = bad_answers[i];
		req.nanswers = bad_answers[i][1] ? 2 : 1;
		T_EQ_INT(ax_manual_attach(s, &req, &id), AX_EINVALID);
		T_CONTAINS(ax_error_last(), "answer");
		T_OK(id == NULL);
	}
	char *after = fingerprint(path);
	T_EQ_STR(after, before);
	verify_ok(s, "refusals");
	free(after);
	free(before);
	free(missing);
	free(good);
	free(path);
	ax_store_free(s);
}

struct stream_check {
	EVP_MD_CTX *ctx;
	size_t total, max_chunk, chunks;
};

static int on_chunk(void *arg, const void *data, size_t len)
{
	struct stream_check *c = arg;
	EVP_DigestUpdate(c->ctx, data, len);
	c->total += len;
	c->chunks++;
	if (len > c->max_chunk)
		c->max_chunk = len;
	return 0;
}

/* A file of several chunks goes in and comes out in bounded pieces, with
 * its hash intact; a file that changes between hashing and storing is
 * refused (covered by the hash re-check in axs_put_artifact_fd). */
static void test_large(void)
{
	char *path = ax_asprintf("%s/large.db", t_tmpdir());
	char *file = ax_asprintf("%s/scan.pdf", t_tmpdir());
	const size_t size = 3 * 1024 * 1024 + 7;
	unsigned char *data = ax_malloc(size), md[32];
	char want[65], got[65];
	struct ax_store *s = NULL;
	struct ax_manual_list list = {0};
	char *id = NULL;
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	FILE *f = fopen(file, "wb");
	T_OK(f && fwrite(data, 1, size, f) == size);
	if (f)
		fclose(f);
	ax_sha256_hex(data, size, want);

	T_EQ_INT(ax_store_open(&s, path), 0);
	T_EQ_INT(attach(s, "A.7.10", file, "alice", T0, T0 + DAY, 0, &id), 0);
	T_EQ_INT(ax_manual_get(s, id ? id : "", &list), 0);
	T_EQ_INT(list.n, 1);
	if (list.n == 1) {
		T_EQ_STR(list.items[0].files[0].sha256, want);
		T_EQ_INT(list.items[0].files[0].size, size);
		T_EQ_STR(list.items[0].files[0].media_type, "application/pdf");
	}
	struct stream_check c = {EVP_MD_CTX_new(), 0, 0, 0};
	EVP_DigestInit_ex(c.ctx, EVP_sha256(), NULL);
	T_EQ_INT(ax_store_artifact_stream(s, want, on_chunk, &c), 0);
	EVP_DigestFinal_ex(c.ctx, md, NULL);
	ax_hex(md, sizeof(md), got);
	T_EQ_STR(got, want);
	T_EQ_INT(c.total, size);
	T_OK(c.max_chunk <= 64 * 1024);
	T_OK(c.chunks >= size / (64 * 1024));
	EVP_MD_CTX_free(c.ctx);
	T_EQ_INT(ax_store_artifact_stream(s, "0000000000000000000000000000000000000000000000000000000000000000",
					  on_chunk, &c),
		 AX_ENOTFOUND);
	verify_ok(s, "large attach");
	ax_manual_list_free(&list);
	free(id);
	free(data);
	free(file);
	free(path);
	ax_store_free(s);
}

int main(void)
{
	test_lifecycle();
	test_combined();
	test_refused();
	test_large();
	return t_done();
}
