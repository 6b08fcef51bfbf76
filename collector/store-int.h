/* store-int.h - private to store.c and ledger.c: the store handle and the
 * SQLite helpers both use. Not for other modules; they use store.h.
 *
 * Every helper that can fail sets an ax_error message naming the store's
 * path and returns a negative code. */
#ifndef AX_STORE_INT_H
#define AX_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

struct ax_store {
	sqlite3 *db;
	char *path;
};

/* The columns axs_run_info reads, in its order (from table runs). */
#define RUN_COLS                                                                                               \
	"id, kind, started_at, finished_at, prev_hash, content_sha256, hash, pruned,"                         \
	" (SELECT count(*) FROM result_rows WHERE run_id = runs.id)"

/* ax_store_open, migrating only up to schema version target (at most
 * AX_STORE_SCHEMA_VERSION): tests make stores of older versions with it. */
int axs_open_at(struct ax_store **out, const char *path, int64_t target);

int axs_fail(const struct ax_store *s, const char *what);
int axs_exec(const struct ax_store *s, const char *sql, const char *what);
int axs_prepare(const struct ax_store *s, sqlite3_stmt **st, const char *sql);
/* Steps a statement that returns no rows, then resets it for reuse. */
int axs_step_done(const struct ax_store *s, sqlite3_stmt *st, const char *what);
/* Rolls back the open transaction, if any. */
void axs_rollback(const struct ax_store *s);
/* Column text, "" for NULL. */
const char *axs_text(sqlite3_stmt *st, int i);
/* Copies src into a fixed field of n bytes, truncating; for rows read back. */
void axs_copy(char *dst, size_t n, const char *src);
void axs_run_info(sqlite3_stmt *st, struct ax_run_info *info);
/* Appends run_id's results and artifacts to out. With sizes, *sizes gets
 * the stored size of each appended artifact (-1 when its bytes are
 * missing) and missing bytes are not an error. AX_EINVALID for data that
 * cannot be right (a bad status, missing or corrupt artifact bytes). */
/* Inside an open write transaction (BEGIN IMMEDIATE): validates ev and
 * appends it as the next ledger run. With stored_sizes, ev's artifacts are
 * descriptors (no data) of bytes already stored with axs_put_artifact_fd,
 * stored_sizes[i] their sizes; only their links are inserted (except
 * entries AX_LEDGER_SIZE_IN_DATA: stored from data as without). The caller
 * commits or rolls back. */
int axs_append_run(struct ax_store *s, const char *kind, int64_t started_at, int64_t finished_at,
		   const struct ax_evidence *ev, const int64_t *stored_sizes, struct ax_run_info *info);

/* Files and blobs move in chunks of this size: memory stays bounded
 * whatever the size of an attached file. */
#define AXS_CHUNK (64 * 1024)

/* SHA-256 and size of everything readable from fd (rewound first); the
 * messages name path. */
int axs_hash_fd(int fd, const char *path, char out[65], int64_t *size);
/* Inside an open write transaction: stores the size bytes of fd (rewound)
 * as the artifact sha256, unless those bytes are already stored, through
 * sqlite3_blob_write in AXS_CHUNK pieces. The bytes are hashed again while
 * written: AX_EINVALID (naming path) when they no longer hash to sha256. */
int axs_put_artifact_fd(struct ax_store *s, int fd, const char *path, const char *sha256, int64_t size,
			const char *media_type);
/* Reads the artifact with the given rowid in AXS_CHUNK pieces, giving each
 * to cb (may be NULL) and computing its SHA-256 and size. A non-zero cb
 * return stops and is returned. */
int axs_artifact_stream_rowid(struct ax_store *s, int64_t rowid, ax_bytes_cb cb, void *arg, char out[65],
			      int64_t *size);

int axs_load_run(struct ax_store *s, int64_t run_id, int with_data, struct ax_evidence *out, int64_t **sizes);

#endif
