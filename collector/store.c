/* store.c - the evidence store: one SQLite file holding every run, its
 * results and its artifacts, with the hash-chained ledger (ledger.c).
 *
 * Guarantees:
 * - Durability and atomicity come from SQLite alone: WAL journal,
 *   synchronous=FULL, one BEGIN IMMEDIATE transaction per committed run.
 *   A kill -9 at any moment leaves either the whole run or none of it; there
 *   are no side files besides SQLite's own -wal and -shm.
 * - The file (and so its -wal and -shm, which SQLite creates with the same
 *   mode) is created 0600.
 * - The schema is versioned with PRAGMA user_version and marked with
 *   PRAGMA application_id; migrations run in one transaction; a newer or a
 *   foreign database is refused.
 * - Runs are append-only: triggers refuse to delete or rewrite runs, to
 *   rewrite results, result values, artifact links and artifacts, to delete
 *   results and links of runs that are not pruned, and to delete values and
 *   refs still in use. Triggers only catch mistakes; tampering by someone
 *   who can write the file is what ax_store_ledger_check detects, as far as
 *   a hash chain can: runs cut off the end or a chain rehashed whole only
 *   anchors kept outside the store show (anchors.h).
 * - Growth follows what changes (schema 3): a result that repeats an
 *   earlier one costs a row of four integers; its text is stored once.
 *
 * The ledger format is ledger.c, its verification and pruning
 * store_verify.c, streamed artifacts (and runs that commit streamed
 * files) store_blob.c; store-int.h holds what
 * these files share. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "log.h"
#include "store-int.h"
#include "util.h"

#define STORE_APP_ID 0x416e7841 /* "AnxA" */
#define KIND_MAX 15

/* migrations[i] takes the schema from version i to i + 1. Append only. */
static const char *const migrations[] = {
	/* 1: initial schema. runs.pruned = 1 marks a run whose results and
	 * artifact links were deleted; its row stays as part of the ledger. */
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER NOT NULL,"
	" prev_hash TEXT NOT NULL,"
	" content_sha256 TEXT NOT NULL,"
	" hash TEXT NOT NULL,"
	" pruned INTEGER NOT NULL DEFAULT 0 CHECK (pruned IN (0, 1)));"
	"CREATE INDEX runs_started ON runs (started_at);"
	"CREATE TABLE results ("
	" run_id INTEGER NOT NULL REFERENCES runs (id),"
	" instance TEXT NOT NULL,"
	" probe_type TEXT NOT NULL,"
	" check_id TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'skip')),"
	" message TEXT NOT NULL,"
	" observed TEXT NOT NULL,"
	" collected_at INTEGER NOT NULL);"
	"CREATE INDEX results_latest ON results (instance, check_id, collected_at DESC, run_id DESC);"
	"CREATE INDEX results_run ON results (run_id);"
	"CREATE INDEX results_time ON results (collected_at);"
	"CREATE TABLE artifacts ("
	" sha256 TEXT PRIMARY KEY NOT NULL,"
	" media_type TEXT,"
	" size INTEGER NOT NULL,"
	" data BLOB NOT NULL);"
	"CREATE TABLE run_artifacts ("
	" run_id INTEGER NOT NULL REFERENCES runs (id),"
	" instance TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" media_type TEXT NOT NULL,"
	" sha256 TEXT NOT NULL REFERENCES artifacts (sha256));"
	"CREATE INDEX run_artifacts_run ON run_artifacts (run_id, instance, name);"
	"CREATE INDEX run_artifacts_sha ON run_artifacts (sha256);"
	"CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs"
	" BEGIN SELECT RAISE(ABORT, 'annexa: ledger runs are append-only'); END;"
	"CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs"
	" WHEN NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.started_at IS NOT OLD.started_at"
	" OR NEW.finished_at IS NOT OLD.finished_at OR NEW.prev_hash IS NOT OLD.prev_hash"
	" OR NEW.content_sha256 IS NOT OLD.content_sha256 OR NEW.hash IS NOT OLD.hash OR NEW.pruned < OLD.pruned"
	" BEGIN SELECT RAISE(ABORT, 'annexa: ledger runs are append-only'); END;"
	"CREATE TRIGGER results_no_update BEFORE UPDATE ON results"
	" BEGIN SELECT RAISE(ABORT, 'annexa: results are immutable'); END;"
	"CREATE TRIGGER results_delete_pruned_only BEFORE DELETE ON results"
	" WHEN (SELECT pruned FROM runs WHERE id = OLD.run_id) IS NOT 1"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only results of pruned runs may be deleted'); END;"
	"CREATE TRIGGER run_artifacts_no_update BEFORE UPDATE ON run_artifacts"
	" BEGIN SELECT RAISE(ABORT, 'annexa: artifact links are immutable'); END;"
	"CREATE TRIGGER run_artifacts_delete_pruned_only BEFORE DELETE ON run_artifacts"
	" WHEN (SELECT pruned FROM runs WHERE id = OLD.run_id) IS NOT 1"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only artifact links of pruned runs may be deleted'); END;"
	"CREATE TRIGGER artifacts_no_update BEFORE UPDATE ON artifacts"
	" BEGIN SELECT RAISE(ABORT, 'annexa: artifacts are immutable'); END;",
	/* 2: manual evidence (manual.c). One row per attached item, its
	 * controls and files (bytes in artifacts). The ledger holds the events
	 * (attach, approve, revoke runs); these tables hold the current state,
	 * and triggers allow only the forward transitions pending -> approved
	 * and pending|approved -> revoked, never a deletion. */
	"CREATE TABLE manual_evidence ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" seq INTEGER UNIQUE NOT NULL,"
	" attached_by TEXT NOT NULL,"
	" attached_at INTEGER NOT NULL,"
	" effective_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL CHECK (expires_at > effective_at),"
	" owner TEXT NOT NULL,"
	" note TEXT NOT NULL,"
	" approval_required INTEGER NOT NULL CHECK (approval_required IN (0, 1)),"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'revoked')),"
	" approved_by TEXT, approved_at INTEGER,"
	" revoked_by TEXT, revoked_at INTEGER, revoke_reason TEXT,"
	" attach_run INTEGER NOT NULL REFERENCES runs (id),"
	" approve_run INTEGER REFERENCES runs (id),"
	" revoke_run INTEGER REFERENCES runs (id));"
	"CREATE TABLE manual_controls ("
	" evidence_id TEXT NOT NULL REFERENCES manual_evidence (id),"
	" control TEXT NOT NULL,"
	" PRIMARY KEY (evidence_id, control));"
	"CREATE INDEX manual_controls_control ON manual_controls (control);"
	"CREATE TABLE manual_files ("
	" evidence_id TEXT NOT NULL REFERENCES manual_evidence (id),"
	" position INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" media_type TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL REFERENCES artifacts (sha256),"
	" PRIMARY KEY (evidence_id, position));"
	"CREATE TRIGGER manual_no_delete BEFORE DELETE ON manual_evidence"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence is never deleted (revoke it)'); END;"
	"CREATE TRIGGER manual_fixed BEFORE UPDATE ON manual_evidence"
	" WHEN NEW.id IS NOT OLD.id OR NEW.seq IS NOT OLD.seq OR NEW.attached_by IS NOT OLD.attached_by"
	" OR NEW.attached_at IS NOT OLD.attached_at OR NEW.effective_at IS NOT OLD.effective_at"
	" OR NEW.expires_at IS NOT OLD.expires_at OR NEW.owner IS NOT OLD.owner OR NEW.note IS NOT OLD.note"
	" OR NEW.approval_required IS NOT OLD.approval_required OR NEW.attach_run IS NOT OLD.attach_run"
	" OR OLD.state = 'revoked'"
	" OR (NEW.state = 'pending' AND OLD.state <> 'pending')"
	" OR (NEW.state = 'approved' AND OLD.state <> 'pending' AND OLD.state <> 'approved')"
	" OR (OLD.approve_run IS NOT NULL AND NEW.approve_run IS NOT OLD.approve_run)"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence only moves pending -> approved -> revoked'); END;"
	"CREATE TRIGGER manual_controls_fixed BEFORE UPDATE ON manual_controls"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence controls are immutable'); END;"
	"CREATE TRIGGER manual_controls_no_delete BEFORE DELETE ON manual_controls"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence controls are immutable'); END;"
	"CREATE TRIGGER manual_files_fixed BEFORE UPDATE ON manual_files"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence files are immutable'); END;"
	"CREATE TRIGGER manual_files_no_delete BEFORE DELETE ON manual_files"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence files are immutable'); END;",
	/* 3: values stored once. Nearly every result repeats the previous
	 * run's (same instance, check, status, message, observed), so each
	 * distinct value is a row of result_values (found by key = SHA-256 of
	 * its fields, see value_key) and a result is a row of result_rows:
	 * (run_id, seq, value_id, collected_at), seq its position in the run.
	 * Artifact links likewise: (instance, name, media_type, sha256) once in
	 * artifact_refs, a link is (run_id, seq, ref_id) in artifact_links.
	 * Both are clustered by run (WITHOUT ROWID), so reading or pruning a
	 * run is a range and needs no extra index. Values and refs no row uses
	 * any more are deleted by pruning; triggers refuse it while one is
	 * used. The ledger's canonical form is computed from the evidence, not
	 * from this layout: every content hash stays what it was. The views
	 * results and run_artifacts keep the columns of schemas 1 and 2 (plus
	 * a rowid in insertion order) for whoever reads the store with sqlite3. */
	"CREATE TABLE result_values ("
	" id INTEGER PRIMARY KEY,"
	" key BLOB UNIQUE NOT NULL CHECK (length(key) = 32),"
	" instance TEXT NOT NULL,"
	" probe_type TEXT NOT NULL,"
	" check_id TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'skip')),"
	" message TEXT NOT NULL,"
	" observed TEXT NOT NULL);"
	"INSERT OR IGNORE INTO result_values (key, instance, probe_type, check_id, status, message, observed)"
	" SELECT annexa_value_key(instance, probe_type, check_id, status, message, observed),"
	" instance, probe_type, check_id, status, message, observed FROM results ORDER BY rowid;"
	"CREATE TABLE result_rows ("
	" run_id INTEGER NOT NULL REFERENCES runs (id),"
	" seq INTEGER NOT NULL,"
	" value_id INTEGER NOT NULL REFERENCES result_values (id),"
	" collected_at INTEGER NOT NULL,"
	" PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	"INSERT INTO result_rows (run_id, seq, value_id, collected_at)"
	" SELECT r.run_id, row_number() OVER (PARTITION BY r.run_id ORDER BY r.rowid) - 1, v.id, r.collected_at"
	" FROM results r JOIN result_values v"
	" ON v.key = annexa_value_key(r.instance, r.probe_type, r.check_id, r.status, r.message, r.observed)"
	" ORDER BY r.run_id, r.rowid;"
	"DROP TABLE results;"
	"CREATE INDEX result_rows_value ON result_rows (value_id, collected_at);"
	"CREATE TABLE artifact_refs ("
	" id INTEGER PRIMARY KEY,"
	" sha256 TEXT NOT NULL REFERENCES artifacts (sha256),"
	" instance TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" media_type TEXT NOT NULL,"
	" UNIQUE (sha256, instance, name, media_type));"
	"INSERT OR IGNORE INTO artifact_refs (sha256, instance, name, media_type)"
	" SELECT sha256, instance, name, media_type FROM run_artifacts ORDER BY rowid;"
	"CREATE TABLE artifact_links ("
	" run_id INTEGER NOT NULL REFERENCES runs (id),"
	" seq INTEGER NOT NULL,"
	" ref_id INTEGER NOT NULL REFERENCES artifact_refs (id),"
	" PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	"INSERT INTO artifact_links (run_id, seq, ref_id)"
	" SELECT ra.run_id, row_number() OVER (PARTITION BY ra.run_id ORDER BY ra.rowid) - 1, f.id"
	" FROM run_artifacts ra JOIN artifact_refs f ON f.sha256 = ra.sha256 AND f.instance = ra.instance"
	" AND f.name = ra.name AND f.media_type = ra.media_type ORDER BY ra.run_id, ra.rowid;"
	"DROP TABLE run_artifacts;"
	"CREATE INDEX artifact_links_ref ON artifact_links (ref_id);"
	"CREATE VIEW results (run_id, instance, probe_type, check_id, status, message, observed, collected_at, rowid)"
	" AS SELECT r.run_id, v.instance, v.probe_type, v.check_id, v.status, v.message, v.observed,"
	" r.collected_at, r.run_id * 4294967296 + r.seq FROM result_rows r JOIN result_values v ON v.id = r.value_id;"
	"CREATE VIEW run_artifacts (run_id, instance, name, media_type, sha256, rowid)"
	" AS SELECT l.run_id, f.instance, f.name, f.media_type, f.sha256, l.run_id * 4294967296 + l.seq"
	" FROM artifact_links l JOIN artifact_refs f ON f.id = l.ref_id;"
	"CREATE TRIGGER result_rows_no_update BEFORE UPDATE ON result_rows"
	" BEGIN SELECT RAISE(ABORT, 'annexa: results are immutable'); END;"
	"CREATE TRIGGER result_rows_delete_pruned_only BEFORE DELETE ON result_rows"
	" WHEN (SELECT pruned FROM runs WHERE id = OLD.run_id) IS NOT 1"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only results of pruned runs may be deleted'); END;"
	"CREATE TRIGGER result_values_no_update BEFORE UPDATE ON result_values"
	" BEGIN SELECT RAISE(ABORT, 'annexa: result values are immutable'); END;"
	"CREATE TRIGGER result_values_delete_unused_only BEFORE DELETE ON result_values"
	" WHEN EXISTS (SELECT 1 FROM result_rows WHERE value_id = OLD.id)"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only result values no result uses may be deleted'); END;"
	"CREATE TRIGGER artifact_links_no_update BEFORE UPDATE ON artifact_links"
	" BEGIN SELECT RAISE(ABORT, 'annexa: artifact links are immutable'); END;"
	"CREATE TRIGGER artifact_links_delete_pruned_only BEFORE DELETE ON artifact_links"
	" WHEN (SELECT pruned FROM runs WHERE id = OLD.run_id) IS NOT 1"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only artifact links of pruned runs may be deleted'); END;"
	"CREATE TRIGGER artifact_refs_no_update BEFORE UPDATE ON artifact_refs"
	" BEGIN SELECT RAISE(ABORT, 'annexa: artifact links are immutable'); END;"
	"CREATE TRIGGER artifact_refs_delete_unused_only BEFORE DELETE ON artifact_refs"
	" WHEN EXISTS (SELECT 1 FROM artifact_links WHERE ref_id = OLD.id)"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only artifact links no run uses may be deleted'); END;",
	/* 4: the result status `info` (a check that cannot fail in its
	 * configured mode reports it, never `pass`). SQLite cannot change a
	 * CHECK constraint in place, so result_values is rebuilt with the same
	 * ids (result_rows keep pointing at their values) and the view and
	 * triggers naming it are made again. Migrations run before foreign
	 * keys are switched on (ax_store_open), as SQLite's table rebuild
	 * requires. */
	"DROP VIEW results;"
	"CREATE TABLE result_values_4 ("
	" id INTEGER PRIMARY KEY,"
	" key BLOB UNIQUE NOT NULL CHECK (length(key) = 32),"
	" instance TEXT NOT NULL,"
	" probe_type TEXT NOT NULL,"
	" check_id TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'skip', 'info')),"
	" message TEXT NOT NULL,"
	" observed TEXT NOT NULL);"
	"INSERT INTO result_values_4 (id, key, instance, probe_type, check_id, status, message, observed)"
	" SELECT id, key, instance, probe_type, check_id, status, message, observed FROM result_values ORDER BY id;"
	"DROP TABLE result_values;"
	"ALTER TABLE result_values_4 RENAME TO result_values;"
	"CREATE VIEW results (run_id, instance, probe_type, check_id, status, message, observed, collected_at, rowid)"
	" AS SELECT r.run_id, v.instance, v.probe_type, v.check_id, v.status, v.message, v.observed,"
	" r.collected_at, r.run_id * 4294967296 + r.seq FROM result_rows r JOIN result_values v ON v.id = r.value_id;"
	"CREATE TRIGGER result_values_no_update BEFORE UPDATE ON result_values"
	" BEGIN SELECT RAISE(ABORT, 'annexa: result values are immutable'); END;"
	"CREATE TRIGGER result_values_delete_unused_only BEFORE DELETE ON result_values"
	" WHEN EXISTS (SELECT 1 FROM result_rows WHERE value_id = OLD.id)"
	" BEGIN SELECT RAISE(ABORT, 'annexa: only result values no result uses may be deleted'); END;",
	/* 5: which coverage needs a manual item answers (attach --answers),
	 * "A.8.15:policy", fixed at attach like its controls. Items attached
	 * before have no row: they answer no need. */
	"CREATE TABLE manual_answers ("
	" evidence_id TEXT NOT NULL REFERENCES manual_evidence (id),"
	" need TEXT NOT NULL,"
	" PRIMARY KEY (evidence_id, need));"
	"CREATE TRIGGER manual_answers_fixed BEFORE UPDATE ON manual_answers"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence answers are immutable'); END;"
	"CREATE TRIGGER manual_answers_no_delete BEFORE DELETE ON manual_answers"
	" BEGIN SELECT RAISE(ABORT, 'annexa: manual evidence answers are immutable'); END;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == AX_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

/* --- small SQLite helpers; each sets a message naming the store --- */

int axs_fail(const struct ax_store *s, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db) & 0xff;
	int code = (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) ? AX_EINVALID : AX_ERROR;
	return ax_error_code(code, "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int axs_exec(const struct ax_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int err = 0;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		err = ax_error_set("store %s: %s: %s", s->path, what, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return err;
}

int axs_prepare(const struct ax_store *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return axs_fail(s, "preparing a query");
	return 0;
}

int axs_step_done(const struct ax_store *s, sqlite3_stmt *st, const char *what)
{
	int err = 0;
	if (sqlite3_step(st) != SQLITE_DONE)
		err = axs_fail(s, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static int db_int(const struct ax_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int err = axs_prepare(s, &st, sql);
	if (err < 0)
		goto cleanup;
	if (sqlite3_step(st) != SQLITE_ROW) {
		err = axs_fail(s, sql);
		goto cleanup;
	}
	*out = sqlite3_column_int64(st, 0);
cleanup:
	sqlite3_finalize(st);
	return err;
}

void axs_rollback(const struct ax_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

const char *axs_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

void axs_copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int utf8_valid(const char *s)
{
	return ax_utf8_valid(s, strlen(s));
}

/* --- result values (schema 3) --- */

#define VALUE_FIELDS 6

/* The key of a result value: SHA-256 over its six fields (instance,
 * probe_type, check, status name, message, observed), each as an 8-byte
 * big-endian length and its bytes, so no two different values share an
 * encoding. Only the store uses it, to find a value already stored; the
 * ledger never sees it. */
static void value_key(const char *const field[VALUE_FIELDS], const size_t len[VALUE_FIELDS], unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ax_oom();
	for (int i = 0; i < VALUE_FIELDS; i++) {
		unsigned char be[8];
		for (int b = 0; b < 8; b++)
			be[b] = (unsigned char)((uint64_t)len[i] >> (56 - 8 * b));
		EVP_DigestUpdate(ctx, be, sizeof(be));
		EVP_DigestUpdate(ctx, field[i], len[i]);
	}
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

static void result_key(const struct ax_result *r, unsigned char out[32])
{
	const char *field[VALUE_FIELDS] = {r->instance, r->probe_type, r->check, ax_check_status_name(r->status),
					   r->message, r->observed};
	size_t len[VALUE_FIELDS];
	for (int i = 0; i < VALUE_FIELDS; i++)
		len[i] = strlen(field[i]);
	value_key(field, len, out);
}

/* annexa_value_key(instance, probe_type, check_id, status, message,
 * observed) in SQL, for the migration to schema 3 (set-based, in one
 * statement). Direct-only: the schema never uses it. */
static void sql_value_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *field[VALUE_FIELDS];
	size_t len[VALUE_FIELDS];
	unsigned char key[32];
	for (int i = 0; i < VALUE_FIELDS && i < argc; i++) {
		const unsigned char *t = sqlite3_value_text(argv[i]);
		field[i] = t ? (const char *)t : "";
		len[i] = t ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
	}
	value_key(field, len, key);
	sqlite3_result_blob(ctx, key, sizeof(key), SQLITE_TRANSIENT);
}

/* --- opening and migrating --- */

/* Creates path 0600 unless it exists, and its parent folder (one level,
 * 0700) unless that exists. */
static int create_file(const char *path)
{
	char *copy = ax_strdup(path);
	const char *dir = dirname(copy);
	int err = 0, fd = -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = ax_error_set("store %s: creating folder %s: %s", path, dir, strerror(errno));
		goto cleanup;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno != EEXIST)
			err = ax_error_set("store %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (fchmod(fd, 0600) < 0) { /* a umask may have taken the owner's bits */
		err = ax_error_set("store %s: chmod: %s", path, strerror(errno));
		goto cleanup;
	}
	err = ax_fsync_parent(path);
cleanup:
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

/* Refuses databases that are not annexa stores or are newer than we know. */
static int check_schema(const struct ax_store *s, int64_t *version)
{
	int64_t app_id = 0, ntables = 0;
	int err;
	if ((err = db_int(s, "PRAGMA user_version", version)) < 0 ||
	    (err = db_int(s, "PRAGMA application_id", &app_id)) < 0 ||
	    (err = db_int(s, "SELECT count(*) FROM sqlite_master", &ntables)) < 0)
		return err;
	if (*version == 0 && ntables > 0)
		return ax_error_code(AX_EINVALID, "store %s: not an annexa store (a SQLite database with other tables)",
				     s->path);
	if (*version > 0 && app_id != STORE_APP_ID)
		return ax_error_code(AX_EINVALID, "store %s: not an annexa store (application_id %lld)", s->path,
				     (long long)app_id);
	if (*version > AX_STORE_SCHEMA_VERSION)
		return ax_error_code(AX_EINVALID,
				     "store %s: schema version %lld is newer than this annexa knows (%d); "
				     "upgrade annexa to use this store",
				     s->path, (long long)*version, AX_STORE_SCHEMA_VERSION);
	return 0;
}

static int migrate(struct ax_store *s, int64_t target)
{
	struct ax_buf sql = AX_BUF_INIT;
	int64_t version = 0;
	int err;
	if ((err = check_schema(s, &version)) < 0 || version >= target)
		goto cleanup;
	if ((err = axs_exec(s, "BEGIN IMMEDIATE", "starting the migration")) < 0)
		goto cleanup;
	/* Another process may have migrated while we waited for the lock. */
	if ((err = check_schema(s, &version)) < 0)
		goto cleanup;
	for (int64_t v = version; v < target; v++) {
		ax_buf_clear(&sql);
		ax_buf_printf(&sql, "migrating the schema to version %lld", (long long)v + 1);
		if ((err = axs_exec(s, migrations[v], sql.ptr)) < 0)
			goto cleanup;
	}
	ax_buf_clear(&sql);
	ax_buf_printf(&sql, "PRAGMA user_version = %lld; PRAGMA application_id = %d; COMMIT", (long long)target,
		      STORE_APP_ID);
	if ((err = axs_exec(s, sql.ptr, "committing the migration")) < 0)
		goto cleanup;
	/* A store from before schema 3 just freed most of its pages (the
	 * wide result rows): rewrite it once, now with incremental
	 * auto-vacuum so pruning gives space back from then on. Best effort:
	 * a store that cannot be vacuumed now (a reader, a full disk) works
	 * the same and reuses its free pages. */
	if (version > 0 && version < 3 && target >= 3)
		sqlite3_exec(s->db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", NULL, NULL, NULL);
cleanup:
	if (err < 0)
		axs_rollback(s);
	ax_buf_free(&sql);
	return err;
}

int ax_store_open(struct ax_store **out, const char *path)
{
	return axs_open_at(out, path, AX_STORE_SCHEMA_VERSION);
}

int axs_open_at(struct ax_store **out, const char *path, int64_t target)
{
	struct ax_store *s = NULL;
	int64_t version = 0;
	int err = 0;
	sqlite3_stmt *st = NULL;

	if (!out || !path || !*path)
		return ax_error_code(AX_EINVALID, "store: no path given ([annexa] store)");
	*out = NULL;
	s = ax_calloc(1, sizeof(*s));
	s->path = ax_strdup(path);
	if ((err = create_file(path)) < 0)
		goto cleanup;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		err = s->db ? axs_fail(s, "opening") : ax_error_set("store %s: cannot open", path);
		goto cleanup;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_create_function_v2(s->db, "annexa_value_key", VALUE_FIELDS,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, sql_value_key,
				       NULL, NULL, NULL) != SQLITE_OK) {
		err = axs_fail(s, "registering functions");
		goto cleanup;
	}
	/* Read the header before changing anything: a foreign or corrupt file
	 * is refused untouched. */
	if ((err = check_schema(s, &version)) < 0)
		goto cleanup;
	/* A new store vacuums incrementally (pruning gives pages back to the
	 * file system, see ax_store_prune); the mode can only be chosen before
	 * the first table. Prune's temporary tables stay in memory. */
	if (version == 0 && (err = axs_exec(s, "PRAGMA auto_vacuum = INCREMENTAL", "setting auto_vacuum")) < 0)
		goto cleanup;
	/* After a checkpoint the WAL file is cut back to 4 MiB: a long reader
	 * (an export) lets it grow, and it would otherwise keep that size. */
	if ((err = axs_exec(s, "PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 4194304",
			    "setting temp_store")) < 0)
		goto cleanup;
	if ((err = axs_prepare(s, &st, "PRAGMA journal_mode = WAL")) < 0)
		goto cleanup;
	if (sqlite3_step(st) != SQLITE_ROW) {
		err = axs_fail(s, "switching to WAL");
		goto cleanup;
	}
	if (strcmp(axs_text(st, 0), "wal") != 0) {
		err = ax_error_set("store %s: cannot use WAL journal mode (got '%s')", path, axs_text(st, 0));
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* Foreign keys only after the migrations: a migration that rebuilds a
	 * referenced table (4) must not see it as deleting referenced rows. */
	if ((err = axs_exec(s, "PRAGMA synchronous = FULL", "setting pragmas")) < 0 || (err = migrate(s, target)) < 0 ||
	    (err = axs_exec(s, "PRAGMA foreign_keys = ON", "setting pragmas")) < 0)
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	sqlite3_finalize(st);
	ax_store_free(s);
	return err;
}

void ax_store_free(struct ax_store *s)
{
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

/* --- committing --- */

/* With check_bytes, every artifact's sha256 must match its data; without,
 * the artifacts are descriptors of bytes already stored. */
static int validate_run(const struct ax_store *s, const char *kind, const struct ax_evidence *ev,
			const int64_t *stored_sizes)
{
	if (!ax_id_valid(kind, KIND_MAX))
		return ax_error_code(AX_EINVALID, "store %s: run not committed: invalid run kind '%.32s'", s->path,
				     kind ? kind : "(null)");
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		const char *why = NULL;
		if (!ax_id_valid(r->instance, AX_ID_MAX))
			why = "invalid instance name";
		else if (!ax_id_valid(r->check, AX_ID_MAX))
			why = "invalid check id";
		else if (!r->probe_type || strlen(r->probe_type) > AX_ID_MAX || !utf8_valid(r->probe_type))
			why = "invalid probe type";
		else if ((unsigned)r->status > AX_CHECK_INFO)
			why = "invalid status";
		else if (!r->message || strlen(r->message) > AX_MESSAGE_MAX || !utf8_valid(r->message))
			why = "message missing, too long or not UTF-8";
		else if (!r->observed || strlen(r->observed) > AX_OBSERVED_MAX || !utf8_valid(r->observed))
			why = "observed missing, too long or not UTF-8";
		if (why)
			return ax_error_code(AX_EINVALID, "store %s: run not committed: result %zu: %s", s->path, i,
					     why);
	}
	for (size_t i = 0; i < ev->nartifacts; i++) {
		const struct ax_artifact *a = &ev->artifacts[i];
		char sha[65];
		const char *why = NULL;
		if (!ax_id_valid(a->instance, AX_ID_MAX))
			why = "invalid instance name";
		else if (!a->name || !*a->name || strlen(a->name) > AX_ID_MAX || !utf8_valid(a->name))
			why = "invalid name";
		else if (!a->media_type || !*a->media_type || strlen(a->media_type) > AX_ID_MAX ||
			 !utf8_valid(a->media_type))
			why = "invalid media type";
		if (!why && (!stored_sizes || stored_sizes[i] == AX_LEDGER_SIZE_IN_DATA)) {
			ax_sha256_hex(a->data.ptr ? a->data.ptr : "", a->data.size, sha);
			if (strcmp(sha, a->sha256) != 0)
				why = "sha256 does not match its data";
		}
		if (why)
			return ax_error_code(AX_EINVALID, "store %s: run not committed: artifact %zu: %s", s->path,
					     i, why);
	}
	return 0;
}

/* The statements a run's rows are written with (schema 3). */
struct writer {
	sqlite3_stmt *find_value, *add_value, *add_result;
	sqlite3_stmt *find_ref, *add_ref, *add_link, *add_artifact;
};

static void writer_free(struct writer *w)
{
	sqlite3_finalize(w->find_value);
	sqlite3_finalize(w->add_value);
	sqlite3_finalize(w->add_result);
	sqlite3_finalize(w->find_ref);
	sqlite3_finalize(w->add_ref);
	sqlite3_finalize(w->add_link);
	sqlite3_finalize(w->add_artifact);
}

static int writer_prepare(struct ax_store *s, struct writer *w)
{
	int err;
	/* The fields are compared too: a key that matched different fields
	 * (an altered row) then fails the insert instead of linking a result
	 * to a value that is not its own. */
	if ((err = axs_prepare(s, &w->find_value,
			      "SELECT id FROM result_values WHERE key = ?1 AND instance = ?2 AND probe_type = ?3"
			      " AND check_id = ?4 AND status = ?5 AND message = ?6 AND observed = ?7")) < 0 ||
	    (err = axs_prepare(s, &w->add_value,
			      "INSERT INTO result_values (key, instance, probe_type, check_id, status, message,"
			      " observed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")) < 0 ||
	    (err = axs_prepare(s, &w->add_result,
			      "INSERT INTO result_rows (run_id, seq, value_id, collected_at) VALUES (?, ?, ?, ?)")) < 0 ||
	    (err = axs_prepare(s, &w->find_ref,
			      "SELECT id FROM artifact_refs WHERE sha256 = ?1 AND instance = ?2 AND name = ?3"
			      " AND media_type = ?4")) < 0 ||
	    (err = axs_prepare(s, &w->add_ref,
			      "INSERT INTO artifact_refs (sha256, instance, name, media_type) VALUES (?1, ?2, ?3, ?4)")) <
		    0 ||
	    (err = axs_prepare(s, &w->add_link, "INSERT INTO artifact_links (run_id, seq, ref_id) VALUES (?, ?, ?)")) <
		    0 ||
	    (err = axs_prepare(s, &w->add_artifact,
			      "INSERT OR IGNORE INTO artifacts (sha256, media_type, size, data) VALUES (?, ?, ?, ?)")) < 0)
		return err;
	return 0;
}

/* The id of the row find (bound) returns, else of the row add (bound the
 * same) inserts. */
static int find_or_add(struct ax_store *s, sqlite3_stmt *find, sqlite3_stmt *add, const char *what, int64_t *id)
{
	int rc = sqlite3_step(find);
	int err = 0;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(find, 0);
	} else if (rc != SQLITE_DONE) {
		err = axs_fail(s, what);
	} else if ((err = axs_step_done(s, add, what)) == 0) {
		*id = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_reset(find);
	sqlite3_clear_bindings(find);
	sqlite3_reset(add);
	sqlite3_clear_bindings(add);
	return err;
}

static int insert_results(struct ax_store *s, struct writer *w, int64_t run_id, const struct ax_evidence *ev)
{
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		unsigned char key[32];
		int64_t value_id = 0;
		int err;
		result_key(r, key);
		for (int k = 0; k < 2; k++) {
			sqlite3_stmt *st = k ? w->add_value : w->find_value;
			sqlite3_bind_blob(st, 1, key, sizeof(key), SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r->instance, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, r->probe_type, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, r->check, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, ax_check_status_name(r->status), -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 6, r->message, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 7, r->observed, -1, SQLITE_STATIC);
		}
		if ((err = find_or_add(s, w->find_value, w->add_value, "storing a result value", &value_id)) < 0)
			return err;
		sqlite3_bind_int64(w->add_result, 1, run_id);
		sqlite3_bind_int64(w->add_result, 2, (sqlite3_int64)i);
		sqlite3_bind_int64(w->add_result, 3, value_id);
		sqlite3_bind_int64(w->add_result, 4, r->collected_at);
		if ((err = axs_step_done(s, w->add_result, "storing a result")) < 0)
			return err;
	}
	return 0;
}

/* Links ev's artifacts to the run; stores the bytes first (once:
 * content-addressed) of those that carry them: all without stored_sizes,
 * else those whose stored size is AX_LEDGER_SIZE_IN_DATA. */
static int insert_links(struct ax_store *s, struct writer *w, int64_t run_id, const struct ax_evidence *ev,
			const int64_t *stored_sizes)
{
	for (size_t i = 0; i < ev->nartifacts; i++) {
		const struct ax_artifact *a = &ev->artifacts[i];
		int64_t ref_id = 0;
		int err;
		if (!stored_sizes || stored_sizes[i] == AX_LEDGER_SIZE_IN_DATA) {
			sqlite3_bind_text(w->add_artifact, 1, a->sha256, -1, SQLITE_STATIC);
			sqlite3_bind_text(w->add_artifact, 2, a->media_type, -1, SQLITE_STATIC);
			sqlite3_bind_int64(w->add_artifact, 3, (sqlite3_int64)a->data.size);
			sqlite3_bind_blob64(w->add_artifact, 4, a->data.ptr ? a->data.ptr : "", a->data.size,
					    SQLITE_STATIC);
			if ((err = axs_step_done(s, w->add_artifact, "storing an artifact")) < 0)
				return err;
		}
		for (int k = 0; k < 2; k++) {
			sqlite3_stmt *st = k ? w->add_ref : w->find_ref;
			sqlite3_bind_text(st, 1, a->sha256, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, a->instance, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, a->media_type, -1, SQLITE_STATIC);
		}
		if ((err = find_or_add(s, w->find_ref, w->add_ref, "linking an artifact", &ref_id)) < 0)
			return err;
		sqlite3_bind_int64(w->add_link, 1, run_id);
		sqlite3_bind_int64(w->add_link, 2, (sqlite3_int64)i);
		sqlite3_bind_int64(w->add_link, 3, ref_id);
		if ((err = axs_step_done(s, w->add_link, "linking an artifact")) < 0)
			return err;
	}
	return 0;
}

/* Checks that every descriptor of ev (bytes already stored by
 * axs_put_artifact_fd; not AX_LEDGER_SIZE_IN_DATA) names a stored artifact of that
 * size. */
static int check_stored(struct ax_store *s, const struct ax_evidence *ev, const int64_t *sizes)
{
	sqlite3_stmt *st = NULL;
	int err = axs_prepare(s, &st, "SELECT size FROM artifacts WHERE sha256 = ?");
	for (size_t i = 0; err == 0 && i < ev->nartifacts; i++) {
		if (sizes[i] == AX_LEDGER_SIZE_IN_DATA)
			continue;
		sqlite3_bind_text(st, 1, ev->artifacts[i].sha256, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) != sizes[i])
			err = ax_error_code(AX_EINVALID, "store %s: run not committed: artifact %s is not stored",
					    s->path, ev->artifacts[i].sha256);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return err;
}

int axs_append_run(struct ax_store *s, const char *kind, int64_t started_at, int64_t finished_at,
		   const struct ax_evidence *ev, const int64_t *stored_sizes, struct ax_run_info *info)
{
	static const struct ax_evidence none;
	sqlite3_stmt *st = NULL;
	struct writer w = {0};
	char prev[65], content[65], hash[65];
	struct ax_buf json = AX_BUF_INIT;
	int64_t id = 1;
	int err;

	if (!ev)
		ev = &none;
	if ((err = validate_run(s, kind, ev, stored_sizes)) < 0 ||
	    (stored_sizes && (err = check_stored(s, ev, stored_sizes)) < 0))
		goto cleanup;
	/* The id and the previous hash are read under the write lock, so two
	 * committers cannot fork the chain. */
	if ((err = axs_prepare(s, &st, "SELECT id, hash, finished_at FROM runs ORDER BY id DESC LIMIT 1")) < 0)
		goto cleanup;
	axs_copy(prev, sizeof(prev), AX_LEDGER_GENESIS);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		id = sqlite3_column_int64(st, 0) + 1;
		if (strlen(axs_text(st, 1)) != 64) {
			err = ax_error_set("store %s: ledger head run %lld has a malformed hash", s->path,
					   (long long)id - 1);
			goto cleanup;
		}
		axs_copy(prev, sizeof(prev), axs_text(st, 1));
		/* Time never goes back along the chain: a run that finished
		 * seconds before the head (it waited for the lock) takes the
		 * head's time; a clock that went back further is refused. */
		int64_t head_finished = sqlite3_column_int64(st, 2);
		if (finished_at < head_finished - AX_LEDGER_CLOCK_SLACK) {
			char was[32], head[32];
			ax_time_format(finished_at, was);
			ax_time_format(head_finished, head);
			err = ax_error_code(AX_EINVALID,
					    "store %s: run not committed: it finished at %s, before run %lld (%s): "
					    "the clock went back",
					    s->path, was, (long long)id - 1, head);
			goto cleanup;
		}
		if (finished_at < head_finished)
			finished_at = head_finished;
		break;
	case SQLITE_DONE:
		break;
	default:
		err = axs_fail(s, "reading the ledger head");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;

	ax_ledger_content_json(id, kind, started_at, finished_at, ev, stored_sizes, &json);
	ax_sha256_hex(json.ptr, json.size, content);
	ax_ledger_chain_hash(prev, content, hash);

	if ((err = axs_prepare(s, &st,
			      "INSERT INTO runs (id, kind, started_at, finished_at, prev_hash, content_sha256, hash)"
			      " VALUES (?, ?, ?, ?, ?, ?, ?)")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, started_at);
	sqlite3_bind_int64(st, 4, finished_at);
	sqlite3_bind_text(st, 5, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, content, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hash, -1, SQLITE_STATIC);
	if ((err = axs_step_done(s, st, "storing the run")) < 0)
		goto cleanup;
	if ((err = writer_prepare(s, &w)) < 0 || (err = insert_results(s, &w, id, ev)) < 0 ||
	    (err = insert_links(s, &w, id, ev, stored_sizes)) < 0)
		goto cleanup;

	if (info) {
		memset(info, 0, sizeof(*info));
		info->id = id;
		axs_copy(info->kind, sizeof(info->kind), kind);
		info->started_at = started_at;
		info->finished_at = finished_at;
		axs_copy(info->prev_hash, sizeof(info->prev_hash), prev);
		axs_copy(info->content_sha256, sizeof(info->content_sha256), content);
		axs_copy(info->hash, sizeof(info->hash), hash);
		info->nresults = (int64_t)ev->nresults;
	}
cleanup:
	writer_free(&w);
	sqlite3_finalize(st);
	ax_buf_free(&json);
	return err;
}

int ax_store_commit_run(struct ax_store *s, const char *kind, int64_t started_at, int64_t finished_at,
			const struct ax_evidence *ev, struct ax_run_info *info)
{
	int err;

	if (!s)
		return ax_error_code(AX_EINVALID, "store: not open");
	if ((err = axs_exec(s, "BEGIN IMMEDIATE", "starting a run")) < 0 ||
	    (err = axs_append_run(s, kind, started_at, finished_at, ev, NULL, info)) < 0 ||
	    (err = axs_exec(s, "COMMIT", "committing the run")) < 0)
		goto cleanup;
cleanup:
	if (err < 0)
		axs_rollback(s); /* whole or not at all */
	return err;
}

/* --- reading --- */

/* The columns append_result reads, in its order: v is result_values, r
 * results. */
#define RESULT_COLS "v.instance, v.probe_type, v.check_id, v.status, v.message, v.observed, r.collected_at"

static int append_result(const struct ax_store *s, sqlite3_stmt *st, struct ax_evidence *out)
{
	enum ax_check_status status;
	if (ax_check_status_parse(axs_text(st, 3), &status) < 0)
		return ax_error_code(AX_EINVALID, "store %s: result %s/%s has an invalid status '%s'", s->path,
				     axs_text(st, 0), axs_text(st, 2), axs_text(st, 3));
	ax_evidence_add_result(out, axs_text(st, 0), axs_text(st, 1), axs_text(st, 2), status, axs_text(st, 4),
			       axs_text(st, 5), sqlite3_column_int64(st, 6));
	return 0;
}

int ax_store_latest(struct ax_store *s, struct ax_evidence *out)
{
	/* The rows of manual evidence runs (instance "manual", checks
	 * "manual.*": see manual.c) and of prune runs (instance "ledger",
	 * checks "ledger.*") record events, not check results; the status
	 * engine reads manual evidence from its own tables. */
	sqlite3_stmt *st = NULL;
	int err, rc;
	/* Per value, its newest use is one seek in result_rows_value (value_id,
	 * collected_at, then the primary key run_id, seq); the window then
	 * picks, per (instance, check), the newest of its values' newest uses
	 * (ties: the newest run, then the first result in it), and only the
	 * winners' text is read. Cost: one seek per distinct value, not a
	 * scan of every result. */
	if ((err = axs_prepare(s, &st,
			      "SELECT v.instance, v.probe_type, v.check_id, v.status, v.message, v.observed, w.at"
			      " FROM (SELECT vid, at FROM"
			      " (SELECT m.vid, r.collected_at AS at, row_number() OVER (PARTITION BY m.instance,"
			      " m.check_id ORDER BY r.collected_at DESC, r.run_id DESC, r.seq) AS rn FROM"
			      " (SELECT v.id AS vid, v.instance, v.check_id,"
			      " (SELECT max(collected_at) FROM result_rows WHERE value_id = v.id) AS newest"
			      " FROM result_values v WHERE NOT (v.instance = 'manual' AND v.check_id GLOB 'manual.*')"
			      " AND NOT (v.instance = 'ledger' AND v.check_id GLOB 'ledger.*')) m"
			      /* CROSS JOIN keeps this order: values first, then a seek each */
			      " CROSS JOIN result_rows r ON r.value_id = m.vid AND r.collected_at = m.newest)"
			      " WHERE rn = 1) w"
			      " JOIN result_values v ON v.id = w.vid ORDER BY v.instance, v.check_id")) < 0)
		goto cleanup;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = append_result(s, st, out)) < 0)
			goto cleanup;
	}
	if (rc != SQLITE_DONE)
		err = axs_fail(s, "reading the latest results");
cleanup:
	sqlite3_finalize(st);
	return err;
}

void axs_run_info(sqlite3_stmt *st, struct ax_run_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = sqlite3_column_int64(st, 0);
	axs_copy(info->kind, sizeof(info->kind), axs_text(st, 1));
	info->started_at = sqlite3_column_int64(st, 2);
	info->finished_at = sqlite3_column_int64(st, 3);
	axs_copy(info->prev_hash, sizeof(info->prev_hash), axs_text(st, 4));
	axs_copy(info->content_sha256, sizeof(info->content_sha256), axs_text(st, 5));
	axs_copy(info->hash, sizeof(info->hash), axs_text(st, 6));
	info->pruned = sqlite3_column_int(st, 7) != 0;
	info->nresults = sqlite3_column_int64(st, 8);
}

int ax_store_runs(struct ax_store *s, int64_t since, int64_t until, ax_run_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	struct ax_run_info info;
	int err, rc;
	if ((err = axs_prepare(s, &st,
			      "SELECT " RUN_COLS " FROM runs WHERE (?1 = 0 OR started_at >= ?1)"
			      " AND (?2 = 0 OR started_at <= ?2) ORDER BY id")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		axs_run_info(st, &info);
		if ((err = cb(arg, &info)) != 0)
			goto cleanup;
	}
	if (rc != SQLITE_DONE)
		err = axs_fail(s, "reading runs");
cleanup:
	sqlite3_finalize(st);
	return err;
}

int ax_store_run_info(struct ax_store *s, int64_t id, struct ax_run_info *info)
{
	sqlite3_stmt *st = NULL;
	int err;
	if ((err = axs_prepare(s, &st, "SELECT " RUN_COLS " FROM runs WHERE id = ?")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		axs_run_info(st, info);
		break;
	case SQLITE_DONE:
		err = ax_error_code(AX_ENOTFOUND, "store %s: no run %lld", s->path, (long long)id);
		break;
	default:
		err = axs_fail(s, "reading a run");
	}
cleanup:
	sqlite3_finalize(st);
	return err;
}

int ax_store_head(struct ax_store *s, struct ax_run_info *info)
{
	sqlite3_stmt *st = NULL;
	int err;
	if ((err = axs_prepare(s, &st, "SELECT " RUN_COLS " FROM runs ORDER BY id DESC LIMIT 1")) < 0)
		goto cleanup;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		axs_run_info(st, info);
		break;
	case SQLITE_DONE:
		err = ax_error_code(AX_ENOTFOUND, "store %s: no runs yet", s->path);
		break;
	default:
		err = axs_fail(s, "reading the ledger head");
	}
cleanup:
	sqlite3_finalize(st);
	return err;
}

/* Appends an artifact descriptor without data (sha256 as stored). */
static void push_descriptor(struct ax_evidence *ev, const char *instance, const char *name, const char *media_type,
			    const char *sha256)
{
	if (ev->nartifacts == ev->aartifacts) {
		ev->aartifacts = ev->aartifacts ? ev->aartifacts * 2 : 8;
		ev->artifacts = ax_realloc(ev->artifacts, ev->aartifacts * sizeof(*ev->artifacts));
	}
	struct ax_artifact *a = &ev->artifacts[ev->nartifacts++];
	memset(a, 0, sizeof(*a));
	a->instance = ax_strdup(instance);
	a->name = ax_strdup(name);
	a->media_type = ax_strdup(media_type);
	axs_copy(a->sha256, sizeof(a->sha256), sha256);
}

int axs_load_run(struct ax_store *s, int64_t run_id, int with_data, struct ax_evidence *out, int64_t **sizes)
{
	sqlite3_stmt *st = NULL;
	size_t first = out->nartifacts;
	int err, rc;
	if ((err = axs_prepare(s, &st,
			      "SELECT " RESULT_COLS " FROM result_rows r JOIN result_values v ON v.id = r.value_id"
			      " WHERE r.run_id = ? ORDER BY v.instance, v.check_id, r.collected_at, r.seq")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = append_result(s, st, out)) < 0)
			goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		err = axs_fail(s, "reading results");
		goto cleanup;
	}
	sqlite3_finalize(st);
	if ((err = axs_prepare(s, &st,
			      "SELECT f.instance, f.name, f.media_type, f.sha256, a.size,"
			      " CASE WHEN ?2 THEN a.data END FROM artifact_links ra"
			      " JOIN artifact_refs f ON f.id = ra.ref_id"
			      " LEFT JOIN artifacts a ON a.sha256 = f.sha256 WHERE ra.run_id = ?1"
			      " ORDER BY f.instance, f.name, ra.seq")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, with_data);
	if (sizes)
		*sizes = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int missing = sqlite3_column_type(st, 4) == SQLITE_NULL;
		if (missing && !sizes) {
			err = ax_error_code(AX_EINVALID, "store %s: run %lld: artifact %s is missing", s->path,
					    (long long)run_id, axs_text(st, 3));
			goto cleanup;
		}
		if (with_data && !missing) {
			const void *data = sqlite3_column_blob(st, 5);
			size_t len = (size_t)sqlite3_column_bytes(st, 5);
			ax_evidence_add_artifact(out, axs_text(st, 0), axs_text(st, 1), axs_text(st, 2),
						 data ? data : "", len);
			if (strcmp(out->artifacts[out->nartifacts - 1].sha256, axs_text(st, 3)) != 0) {
				err = ax_error_code(AX_EINVALID, "store %s: run %lld: artifact %s is corrupt",
						    s->path, (long long)run_id, axs_text(st, 3));
				goto cleanup;
			}
		} else {
			push_descriptor(out, axs_text(st, 0), axs_text(st, 1), axs_text(st, 2), axs_text(st, 3));
		}
		if (sizes) {
			size_t n = out->nartifacts - first;
			*sizes = ax_realloc(*sizes, n * sizeof(**sizes));
			(*sizes)[n - 1] = missing ? -1 : sqlite3_column_int64(st, 4);
		}
	}
	if (rc != SQLITE_DONE)
		err = axs_fail(s, "reading artifacts");
cleanup:
	sqlite3_finalize(st);
	return err;
}

int ax_store_run_evidence(struct ax_store *s, int64_t run_id, int with_data, struct ax_evidence *out)
{
	sqlite3_stmt *st = NULL;
	int err;
	/* One read transaction, so results and artifacts are from one snapshot. */
	if ((err = axs_exec(s, "BEGIN", "starting a read")) < 0)
		goto cleanup;
	if ((err = axs_prepare(s, &st, "SELECT 1 FROM runs WHERE id = ?")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, run_id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		err = ax_error_code(AX_ENOTFOUND, "store %s: no run %lld", s->path, (long long)run_id);
		goto cleanup;
	default:
		err = axs_fail(s, "reading the run");
		goto cleanup;
	}
	err = axs_load_run(s, run_id, with_data, out, NULL);
cleanup:
	sqlite3_finalize(st);
	axs_rollback(s); /* ends the read transaction */
	return err;
}
