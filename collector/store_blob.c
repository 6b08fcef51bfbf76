/* store_blob.c - artifacts streamed in and out of the store in bounded
 * memory (a 100 MB attached file never sits in memory whole), runs
 * committed with such files, and the whole-artifact reader built on the
 * streaming one. Every read re-hashes the bytes, so a corrupted artifact
 * is an error, never evidence. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "log.h"
#include "store-int.h"
#include "util.h"

/* A source of bytes for hash_chunks: fills buf with up to want bytes read
 * at off, *got = 0 at its end. */
typedef int (*chunk_read_fn)(void *src, unsigned char *buf, size_t want, int64_t off, size_t *got);

/* The one hashing loop: SHA-256 over what rd yields, until its end or
 * limit bytes (limit < 0: no limit), each chunk also handed to cb (NULL:
 * none). *total is what was read. */
static int hash_chunks(chunk_read_fn rd, void *src, int64_t limit, ax_bytes_cb cb, void *arg, char out[65],
		       int64_t *total)
{
	unsigned char *chunk = ax_malloc(AXS_CHUNK), md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int64_t off = 0;
	int err = 0;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ax_oom();
	while (limit < 0 || off < limit) {
		size_t want = limit >= 0 && limit - off < AXS_CHUNK ? (size_t)(limit - off) : AXS_CHUNK, n = 0;
		if ((err = rd(src, chunk, want, off, &n)) < 0)
			goto cleanup;
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, chunk, n);
		if (cb && (err = cb(arg, chunk, n)) != 0)
			goto cleanup;
		off += (int64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	ax_hex(md, sizeof(md), out);
cleanup:
	*total = off;
	EVP_MD_CTX_free(ctx);
	free(chunk);
	return err;
}

struct fd_source {
	int fd;
	const char *path;
};

static int read_fd(void *src, unsigned char *buf, size_t want, int64_t off, size_t *got)
{
	struct fd_source *f = src;
	ssize_t n;
	(void)off; /* sequential from the rewind */
	while ((n = read(f->fd, buf, want)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return ax_error_set("%s: reading: %s", f->path, strerror(errno));
	*got = (size_t)n;
	return 0;
}

int axs_hash_fd(int fd, const char *path, char out[65], int64_t *size)
{
	struct fd_source f = {fd, path};
	if (lseek(fd, 0, SEEK_SET) < 0)
		return ax_error_set("%s: %s", path, strerror(errno));
	return hash_chunks(read_fd, &f, -1, NULL, NULL, out, size);
}

struct blob_sink {
	struct ax_store *s;
	sqlite3_blob *blob;
	int off;
};

static int write_blob(void *arg, const void *data, size_t len)
{
	struct blob_sink *b = arg;
	if (sqlite3_blob_write(b->blob, data, (int)len, b->off) != SQLITE_OK)
		return axs_fail(b->s, "writing an artifact");
	b->off += (int)len;
	return 0;
}

int axs_put_artifact_fd(struct ax_store *s, int fd, const char *path, const char *sha256, int64_t size,
			const char *media_type)
{
	sqlite3_stmt *st = NULL;
	struct blob_sink sink = {s, NULL, 0};
	struct fd_source f = {fd, path};
	char got[65], more;
	int64_t total = 0;
	int err;

	if (size < 0 || size > INT_MAX) /* SQLite's blob limit; the default build caps rows at 1 GB anyway */
		return ax_error_code(AX_EINVALID, "%s: too large for the store (%lld bytes)", path, (long long)size);
	if ((err = axs_prepare(s, &st, "INSERT OR IGNORE INTO artifacts (sha256, media_type, size, data)"
				       " VALUES (?, ?, ?, zeroblob(?))")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, media_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, size);
	sqlite3_bind_int64(st, 4, size);
	if ((err = axs_step_done(s, st, "storing an artifact")) < 0)
		goto cleanup;
	if (sqlite3_changes(s->db) == 0 || size == 0)
		goto cleanup; /* content-addressed: these bytes are already stored */
	if (sqlite3_blob_open(s->db, "main", "artifacts", "data", sqlite3_last_insert_rowid(s->db), 1,
			      &sink.blob) != SQLITE_OK) {
		err = axs_fail(s, "opening an artifact for writing");
		goto cleanup;
	}
	/* Second pass over the file: written in chunks and hashed again, so a
	 * file that changed since it was hashed is refused, not stored under a
	 * hash that is not its own. */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err = ax_error_set("%s: cannot rewind: %s", path, strerror(errno));
		goto cleanup;
	}
	if ((err = hash_chunks(read_fd, &f, size, write_blob, &sink, got, &total)) < 0)
		goto cleanup;
	if (total < size)
		err = ax_error_code(AX_EINVALID, "%s: the file shrank while it was attached", path);
	else if (strcmp(got, sha256) != 0 || read(fd, &more, 1) != 0)
		err = ax_error_code(AX_EINVALID, "%s: the file changed while it was attached", path);
cleanup:
	if (sink.blob && sqlite3_blob_close(sink.blob) != SQLITE_OK && err == 0)
		err = axs_fail(s, "writing an artifact");
	sqlite3_finalize(st);
	return err;
}

struct blob_source {
	struct ax_store *s;
	sqlite3_blob *blob;
};

static int read_blob(void *src, unsigned char *buf, size_t want, int64_t off, size_t *got)
{
	struct blob_source *b = src;
	if (sqlite3_blob_read(b->blob, buf, (int)want, (int)off) != SQLITE_OK)
		return axs_fail(b->s, "reading an artifact");
	*got = want;
	return 0;
}

int axs_artifact_stream_rowid(struct ax_store *s, int64_t rowid, ax_bytes_cb cb, void *arg, char out[65],
			      int64_t *size)
{
	struct blob_source b = {s, NULL};
	int err;
	if (sqlite3_blob_open(s->db, "main", "artifacts", "data", rowid, 0, &b.blob) != SQLITE_OK)
		return axs_fail(s, "opening an artifact");
	err = hash_chunks(read_blob, &b, sqlite3_blob_bytes(b.blob), cb, arg, out, size);
	sqlite3_blob_close(b.blob);
	return err;
}

static int sha256_hex_valid(const char *s)
{
	size_t n = 0;
	for (; s && s[n]; n++) {
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	}
	return n == 64;
}

static int append_bytes(void *arg, const void *data, size_t len)
{
	ax_buf_put(arg, data, len);
	return 0;
}

/* The whole artifact in memory: the streaming reader (one lookup, one
 * corruption check) into a scratch buffer, so out changes only on success. */
int ax_store_artifact(struct ax_store *s, const char *sha256, struct ax_buf *out)
{
	struct ax_buf bytes = AX_BUF_INIT;
	int err = ax_store_artifact_stream(s, sha256, append_bytes, &bytes);
	if (err == 0) {
		ax_buf_clear(out);
		ax_buf_put(out, bytes.ptr ? bytes.ptr : "", bytes.size);
	}
	ax_buf_free(&bytes);
	return err;
}

int ax_store_artifact_stream(struct ax_store *s, const char *sha256, ax_bytes_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	char got[65];
	int64_t size = 0, rowid;
	int err;
	if (!sha256_hex_valid(sha256))
		return ax_error_code(AX_EINVALID, "store %s: invalid artifact hash '%.80s'", s->path,
				     sha256 ? sha256 : "(null)");
	/* One read transaction: the row cannot change under the stream. */
	if ((err = axs_exec(s, "BEGIN", "starting a read")) < 0 ||
	    (err = axs_prepare(s, &st, "SELECT rowid FROM artifacts WHERE sha256 = ?")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		err = ax_error_code(AX_ENOTFOUND, "store %s: no artifact %s", s->path, sha256);
		goto cleanup;
	default:
		err = axs_fail(s, "reading an artifact");
		goto cleanup;
	}
	rowid = sqlite3_column_int64(st, 0);
	if ((err = axs_artifact_stream_rowid(s, rowid, cb, arg, got, &size)) != 0)
		goto cleanup;
	if (strcmp(got, sha256) != 0)
		err = ax_error_set("store %s: artifact %s is corrupt (its bytes hash to %s)", s->path, sha256, got);
cleanup:
	sqlite3_finalize(st);
	axs_rollback(s);
	return err;
}

int ax_store_latest_artifact(struct ax_store *s, const char *instance, const char *name, struct ax_buf *out)
{
	sqlite3_stmt *st = NULL;
	char sha[65] = "";
	int err = axs_prepare(s, &st,
			      /* per distinct content its newest link (artifact_links_ref
			       * ends in run_id): a lookup per ref, not a scan of every run */
			      "SELECT f.sha256, (SELECT max(l.run_id) FROM artifact_links l WHERE l.ref_id = f.id) AS r"
			      " FROM artifact_refs f WHERE f.instance = ? AND f.name = ? AND r IS NOT NULL"
			      " ORDER BY r DESC LIMIT 1");
	if (err < 0)
		return err;
	sqlite3_bind_text(st, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		snprintf(sha, sizeof(sha), "%s", (const char *)sqlite3_column_text(st, 0));
		break;
	case SQLITE_DONE:
		err = ax_error_code(AX_ENOTFOUND, "store %s: no artifact %s of %s", s->path, name, instance);
		goto cleanup;
	default:
		err = axs_fail(s, "finding an artifact");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;
	err = ax_store_artifact(s, sha, out);
cleanup:
	sqlite3_finalize(st);
	return err;
}

int ax_store_commit_run_files(struct ax_store *s, const char *kind, int64_t started_at, int64_t finished_at,
			      struct ax_evidence *ev, struct ax_store_file *files, size_t nfiles,
			      struct ax_run_info *info)
{
	size_t nmem = ev->nartifacts;
	int64_t *sizes = NULL;
	int err;

	if (!s)
		return ax_error_code(AX_EINVALID, "store: not open");
	/* a file that is not what its producer said is left out, not the run */
	for (size_t i = 0; i < nfiles; i++) {
		char sha[65];
		files[i].stored = 0;
		if (axs_hash_fd(files[i].fd, files[i].path, sha, &files[i].size) < 0)
			ax_warn("%s: not stored: %s", files[i].path, ax_error_last());
		else if (strcmp(sha, files[i].sha256) != 0)
			ax_warn("%s: not stored: its SHA-256 is %s, its producer said %s", files[i].path, sha,
				files[i].sha256);
		else
			files[i].stored = 1;
	}
	if ((err = axs_exec(s, "BEGIN IMMEDIATE", "starting a run")) < 0)
		goto cleanup;
	sizes = ax_calloc(nmem + nfiles + 1, sizeof(*sizes));
	for (size_t i = 0; i < nmem; i++)
		sizes[i] = AX_LEDGER_SIZE_IN_DATA;
	for (size_t i = 0; i < nfiles; i++) {
		if (!files[i].stored)
			continue;
		if ((err = axs_put_artifact_fd(s, files[i].fd, files[i].path, files[i].sha256, files[i].size,
					       files[i].media_type)) < 0)
			goto cleanup;
		ax_evidence_add_artifact(ev, files[i].instance, files[i].name, files[i].media_type, "", 0);
		axs_copy(ev->artifacts[ev->nartifacts - 1].sha256, 65, files[i].sha256);
		sizes[ev->nartifacts - 1] = files[i].size;
	}
	if ((err = axs_append_run(s, kind, started_at, finished_at, ev, sizes, info)) < 0 ||
	    (err = axs_exec(s, "COMMIT", "committing the run")) < 0)
		goto cleanup;
cleanup:
	if (err < 0)
		axs_rollback(s);
	free(sizes);
	return err;
}
