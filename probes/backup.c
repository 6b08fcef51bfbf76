/* backup.c - the `backup-files` probe: plain dump folders (pg_dump, SQLite
 * .backup, tarballs): the newest file's age, the size trend, whether it is
 * encrypted, and a restore test in a scratch folder.
 *
 * The restore test is what auditors ask for most and see least: an SQLite
 * backup is copied to a scratch folder, opened and passes PRAGMA
 * integrity_check; a pg_dump custom archive lists with `pg_restore --list`;
 * a plain SQL dump ends with pg_dump's completion marker; a tarball reads
 * to the end through libarchive (every entry decompressed, so a torn gzip
 * is caught). Reading is bounded (restore-max-size) and tools run with a
 * deadline. The scratch folder is removed afterwards. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <zlib.h>

#include "backup_detect.h"
#include "logread.h"
#include "population.h"
#include "probe.h"
#include "subprocess.h"
#include "util.h"

static const struct ax_option backup_options[] = {
	{"path", AX_OPT_PATH, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0, "folder holding the dumps (repeatable)"},
	{"pattern", AX_OPT_STRING, "*", 0, NULL, 0, 0, "shell pattern the dump file names match"},
	{"max-age", AX_OPT_DURATION, "26h", 0, NULL, 60, 31449600, "the newest dump must be younger than this"},
	{"max-shrink", AX_OPT_INT, "50", 0, NULL, 1, 100, "percent the newest dump may shrink against the previous"},
	{"encryption", AX_OPT_ENUM, "required", 0, "required|optional", 0, 0,
	 "required: a plaintext dump (SQL, SQLite, tar...) is a failure"},
	{"restore-test", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "restore-test the newest dump in a scratch folder"},
	{"restore-max-size", AX_OPT_SIZE, "4G", 0, NULL, 1, 1099511627776LL, "largest dump restore-tested"},
	{"pg-restore", AX_OPT_STRING, "pg_restore", 0, NULL, 0, 0, "pg_restore binary for custom-format archives"},
	{"command-timeout", AX_OPT_DURATION, "10m", 0, NULL, 1, 86400, "deadline of each tool run"},
	{NULL},
};

static const struct ax_check_def backup_checks[] = {
	{"backup.fresh", "the newest dump is younger than max-age"},
	{"backup.size_drop", "the newest dump did not shrink by more than max-shrink"},
	{"backup.encrypted", "the newest dump is encrypted (age, OpenPGP, OpenSSL enc)"},
	{"backup.restore_test", "the newest dump restores in a scratch folder"},
	{NULL},
};

struct dump {
	char *path;
	int64_t mtime;
	long mtime_ns; /* orders dumps written within one second */
	int64_t size;
};

static int by_mtime(const void *a, const void *b)
{
	const struct dump *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void list_dumps(struct ax_probe_ctx *ctx, struct dump **out, size_t *n, struct ax_buf *problems)
{
	size_t cap = 0;
	const char *pattern = ax_probe_opt(ctx, "pattern");
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++) {
		const char *dir = ax_probe_opt_at(ctx, "path", i);
		DIR *d = opendir(dir);
		struct dirent *e;
		if (!d) {
			ax_buf_printf(problems, "%s%s: %s", problems->size ? "; " : "", dir, strerror(errno));
			continue;
		}
		while ((e = readdir(d))) {
			struct stat st;
			if (e->d_name[0] == '.' || fnmatch(pattern, e->d_name, 0) != 0)
				continue;
			char *p = ax_asprintf("%s/%s", dir, e->d_name);
			if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
				free(p);
				continue;
			}
			if (*n == cap) {
				cap = cap ? 2 * cap : 32;
				*out = ax_realloc(*out, cap * sizeof(**out));
			}
			(*out)[(*n)++] = (struct dump){p, (int64_t)st.st_mtime, st.st_mtim.tv_nsec, (int64_t)st.st_size};
		}
		closedir(d);
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), by_mtime);
}

static enum bk_kind detect_file(const char *path)
{
	unsigned char head[1024], inner[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof(head)) : -1;
	int inner_len = 0;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return BK_UNKNOWN;
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		gzFile gz = gzopen(path, "rb");
		if (gz) {
			inner_len = gzread(gz, inner, sizeof(inner));
			gzclose(gz);
		}
	}
	return bk_detect(head, (size_t)n, inner, inner_len > 0 ? (size_t)inner_len : 0);
}

/* --- restore tests: 0 with a summary in `what`, or a negative code with a message --- */

static int restore_sqlite(struct ax_probe_ctx *ctx, const char *path, struct ax_buf *what)
{
	const char *state = ax_probe_state_dir(ctx);
	char *scratch = ax_asprintf("%s/annexa-restore-XXXXXX", state ? state : "/tmp");
	char *copy = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct ax_buf data = AX_BUF_INIT;
	int rc = 0;
	if (!mkdtemp(scratch)) {
		rc = ax_error_set("scratch folder %s: %s", scratch, strerror(errno));
		goto cleanup;
	}
	copy = ax_asprintf("%s/restored.sqlite", scratch);
	if ((rc = ax_file_read(path, (size_t)ax_probe_opt_int(ctx, "restore-max-size"), &data)) < 0 ||
	    (rc = ax_file_write_atomic(copy, data.ptr, data.size, 0600)) < 0)
		goto cleanup;
	if (sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		rc = ax_error_code(AX_EINVALID, "%s does not open as SQLite: %s", path, db ? sqlite3_errmsg(db) : "?");
		goto cleanup;
	}
	struct ax_buf result = AX_BUF_INIT;
	while (sqlite3_step(st) == SQLITE_ROW && result.size < 1000)
		ax_buf_printf(&result, "%s%s", result.size ? "; " : "", (const char *)sqlite3_column_text(st, 0));
	if (strcmp(ax_buf_cstr(&result), "ok") != 0) {
		rc = ax_error_code(AX_EINVALID, "integrity_check of %s: %s", path,
				   result.size ? ax_buf_cstr(&result) : sqlite3_errmsg(db));
		ax_buf_free(&result);
		goto cleanup;
	}
	ax_buf_free(&result);
	sqlite3_finalize(st);
	st = NULL;
	int tables = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		tables = sqlite3_column_int(st, 0);
	ax_buf_printf(what, "SQLite copy passes integrity_check, %d table(s)", tables);
cleanup:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (copy)
		unlink(copy);
	rmdir(scratch);
	free(copy);
	free(scratch);
	ax_buf_free(&data);
	return rc;
}

static int restore_pgdump(struct ax_probe_ctx *ctx, const char *path, struct ax_buf *what)
{
	const char *argv[] = {ax_probe_opt(ctx, "pg-restore"), "--list", path, NULL};
	struct ax_subprocess res;
	int rc;
	memset(&res, 0, sizeof(res));
	rc = ax_subprocess_run(argv, NULL, ax_probe_opt_int(ctx, "command-timeout") * 1000, 8 * 1024 * 1024, &res);
	if (rc == 0 && res.exit_code != 0) {
		size_t cut = strcspn(ax_buf_cstr(&res.err), "\n");
		rc = ax_error_code(AX_EINVALID, "pg_restore --list %s failed: %.*s", path, (int)cut, ax_buf_cstr(&res.err));
	}
	if (rc == 0) {
		size_t entries = 0;
		for (const char *p = ax_buf_cstr(&res.out); *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
			entries += *p != ';' && *p != '\n';
		ax_buf_printf(what, "pg_restore --list: %zu TOC entries", entries);
	}
	ax_subprocess_free(&res);
	return rc;
}

static int restore_sql(const char *path, struct ax_buf *what)
{
	struct ax_logread *r;
	struct ax_logline l;
	size_t tables = 0, copies = 0;
	int complete = 0, rc = ax_logread_open(&r, path, 64 * 1024);
	if (rc < 0)
		return rc;
	while ((rc = ax_logread_next(r, &l)) > 0) {
		if (l.len >= 13 && memcmp(l.ptr, "CREATE TABLE ", 13) == 0)
			tables++;
		else if (l.len >= 5 && memcmp(l.ptr, "COPY ", 5) == 0)
			copies++;
		/* the marker may be followed by comment lines only */
		if (l.len >= 36 && memcmp(l.ptr, "-- PostgreSQL database dump complete", 36) == 0)
			complete = 1;
		else if (l.len && !(l.len >= 2 && l.ptr[0] == '-' && l.ptr[1] == '-'))
			complete = 0;
	}
	ax_logread_free(r);
	if (rc < 0)
		return rc;
	if (!complete)
		return ax_error_code(AX_EINVALID, "%s lacks pg_dump's \"dump complete\" marker: the dump was cut short", path);
	ax_buf_printf(what, "SQL dump complete: %zu CREATE TABLE, %zu COPY", tables, copies);
	return 0;
}

static int restore_archive(const char *path, struct ax_buf *what)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char block[65536];
	size_t entries = 0;
	int64_t bytes = 0;
	int rc = 0, r;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = ax_error_code(AX_EINVALID, "%s: %s", path, archive_error_string(a));
		goto cleanup;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		ssize_t n;
		entries++;
		while ((n = archive_read_data(a, block, sizeof(block))) > 0)
			bytes += n;
		if (n < 0) {
			rc = ax_error_code(AX_EINVALID, "%s: entry %zu: %s", path, entries, archive_error_string(a));
			goto cleanup;
		}
	}
	if (r != ARCHIVE_EOF) {
		rc = ax_error_code(AX_EINVALID, "%s: after %zu entries: %s", path, entries, archive_error_string(a));
		goto cleanup;
	}
	ax_buf_printf(what, "archive reads to the end: %zu entries, %lld bytes", entries, (long long)bytes);
cleanup:
	archive_read_free(a);
	return rc;
}

/* Returns the status it reported. */
static enum ax_check_status emit_restore(struct ax_probe_ctx *ctx, const struct dump *d, enum bk_kind kind)
{
	struct ax_buf what = AX_BUF_INIT;
	int rc;
	json_t *obs = json_pack("{s:s,s:s}", "file", d->path, "kind", bk_kind_name(kind));
	if (!ax_probe_opt_bool(ctx, "restore-test")) {
		json_decref(obs);
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_SKIP, NULL, "restore-test = false");
		return AX_CHECK_SKIP;
	}
	if (bk_kind_encrypted(kind)) {
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_SKIP, obs,
				       "%s is encrypted (%s); annexa holds no decryption key to restore it", d->path,
				       bk_kind_name(kind));
		return AX_CHECK_SKIP;
	}
	if (d->size > ax_probe_opt_int(ctx, "restore-max-size")) {
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_SKIP, obs, "%s is larger than restore-max-size",
				       d->path);
		return AX_CHECK_SKIP;
	}
	switch (kind) {
	case BK_SQLITE: rc = restore_sqlite(ctx, d->path, &what); break;
	case BK_PGDUMP_CUSTOM: rc = restore_pgdump(ctx, d->path, &what); break;
	case BK_SQL:
	case BK_SQL_GZ: rc = restore_sql(d->path, &what); break;
	case BK_TAR:
	case BK_COMPRESSED: rc = restore_archive(d->path, &what); break;
	default: rc = ax_error_code(AX_EINVALID, "%s: unknown dump format, no restore test", d->path); break;
	}
	if (rc == 0) {
		json_object_set_new(obs, "result", json_string(ax_buf_cstr(&what)));
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_PASS, obs, "%s: %s", d->path, ax_buf_cstr(&what));
	} else if (rc == AX_EINVALID) {
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_FAIL, obs, "restore test failed: %s", ax_error_last());
	} else {
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_ERROR, obs, "restore test could not run: %s",
				     ax_error_last());
	}
	ax_buf_free(&what);
	return rc == 0 ? AX_CHECK_PASS : rc == AX_EINVALID ? AX_CHECK_FAIL : AX_CHECK_ERROR;
}

/* Every dump file as a population item; the newest carries this run's
 * restore test, the others were not tested by it. */
static void dumps_population(struct ax_probe_ctx *ctx, const struct dump *dumps, size_t n,
			     enum ax_check_status restore)
{
	static const char *const cols[] = {"modified", "bytes", "kind", "encrypted", "restore_test", NULL};
	struct ax_population *p = ax_population_open(ctx, "dumps", cols);
	struct ax_buf src = AX_BUF_INIT, rule = AX_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		char at[32], bytes[24];
		enum bk_kind kind = detect_file(dumps[i].path);
		ax_time_format(dumps[i].mtime, at);
		snprintf(bytes, sizeof(bytes), "%lld", (long long)dumps[i].size);
		const char *vals[] = {at, bytes, bk_kind_name(kind), bk_kind_encrypted(kind) ? "yes" : "no",
				      i + 1 == n ? ax_check_status_name(restore) : "not tested"};
		ax_population_row(p, dumps[i].path, vals);
	}
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++)
		ax_buf_printf(&src, "%sfolder %s", i ? ", " : "", ax_probe_opt_at(ctx, "path", i));
	ax_buf_printf(&rule, "every regular file (symbolic links followed) in the folders whose name does not start with a dot and matches %s", ax_probe_opt(ctx, "pattern"));
	ax_population_close(p, ax_buf_cstr(&src), ax_buf_cstr(&rule),
			    json_pack("{s:s}", "pattern", ax_probe_opt(ctx, "pattern")),
			    ax_pop_frequency_of_count((int64_t)n, n ? dumps[n - 1].mtime - dumps[0].mtime + 86400 : 0));
	ax_buf_free(&src);
	ax_buf_free(&rule);
}

static int backup_run(struct ax_probe_ctx *ctx)
{
	struct dump *dumps = NULL;
	size_t n = 0;
	struct ax_buf problems = AX_BUF_INIT;
	int rc = 0;
	int64_t now = ax_probe_now(ctx), max_age = ax_probe_opt_int(ctx, "max-age");
	char when[32], lim[32];

	list_dumps(ctx, &dumps, &n, &problems);
	if (!n) {
		ax_probe_result(ctx, "backup.fresh", AX_CHECK_FAIL, NULL, "no dump file found%s%s",
				      problems.size ? ": " : "", ax_buf_cstr(&problems));
		ax_probe_result(ctx, "backup.size_drop", AX_CHECK_SKIP, NULL, "no dump file");
		ax_probe_result(ctx, "backup.encrypted", AX_CHECK_SKIP, NULL, "no dump file");
		ax_probe_result(ctx, "backup.restore_test", AX_CHECK_FAIL, NULL, "no dump file to restore");
		goto cleanup;
	}
	const struct dump *d = &dumps[n - 1];
	ax_time_format(d->mtime, when);
	ax_duration_format(max_age, lim);
	json_t *trend = json_array();
	for (size_t i = n > 10 ? n - 10 : 0; i < n; i++) {
		char t[32];
		ax_time_format(dumps[i].mtime, t);
		json_array_append_new(trend, json_pack("{s:s,s:s,s:I}", "file", dumps[i].path, "modified", t, "bytes",
						       (json_int_t)dumps[i].size));
	}
	ax_probe_result(ctx, "backup.fresh", now - d->mtime > max_age ? AX_CHECK_FAIL : AX_CHECK_PASS,
			      json_pack("{s:s,s:s,s:I,s:s,s:i}", "newest", d->path, "modified", when, "age_seconds",
					(json_int_t)(now - d->mtime), "max_age", lim, "files", (int)n),
			      now - d->mtime > max_age ? "newest dump %s (%s) is older than %s" : "newest dump %s (%s)",
			      d->path, when, lim);
	if (n < 2) {
		json_decref(trend);
		ax_probe_result(ctx, "backup.size_drop", AX_CHECK_SKIP, NULL, "only one dump");
	} else {
		int64_t prev = dumps[n - 2].size, shrink = prev > 0 && d->size < prev ? (prev - d->size) * 100 / prev : 0;
		int64_t max_shrink = ax_probe_opt_int(ctx, "max-shrink");
		ax_probe_result(ctx, "backup.size_drop", shrink > max_shrink ? AX_CHECK_FAIL : AX_CHECK_PASS,
				      json_pack("{s:o,s:I,s:I}", "trend", trend, "shrink_percent", (json_int_t)shrink,
						"max_shrink_percent", (json_int_t)max_shrink),
				      "newest dump %lld bytes, previous %lld (%lld%% smaller)", (long long)d->size,
				      (long long)prev, (long long)shrink);
	}
	enum bk_kind kind = detect_file(d->path);
	int required = strcmp(ax_probe_opt(ctx, "encryption"), "required") == 0;
	json_t *obs = json_pack("{s:s,s:s,s:b}", "file", d->path, "kind", bk_kind_name(kind), "encrypted",
				bk_kind_encrypted(kind));
	if (bk_kind_encrypted(kind))
		ax_probe_result(ctx, "backup.encrypted", AX_CHECK_PASS, obs, "%s is encrypted (%s)", d->path,
				      bk_kind_name(kind));
	else
		ax_probe_result(ctx, "backup.encrypted", required ? AX_CHECK_FAIL : AX_CHECK_PASS, obs,
				      "%s is not encrypted (%s)%s", d->path, bk_kind_name(kind),
				      required ? "" : "; encryption = optional");
	dumps_population(ctx, dumps, n, emit_restore(ctx, d, kind));
cleanup:
	for (size_t i = 0; i < n; i++)
		free(dumps[i].path);
	free(dumps);
	ax_buf_free(&problems);
	return rc ? AX_ERROR : 0;
}

/* the dump folders (path options); pg_restore runs confined too */
static const struct ax_probe_access backup_access = {.flags = AX_ACCESS_EXEC};

const struct probe probe_backup_files = {
	.name = "backup-files",
	.summary = "dump folders (pg_dump, SQLite, tarballs): age, size trend, encryption, restore test",
	.options = backup_options,
	.checks = backup_checks,
	.access = &backup_access,
	.run = backup_run,
};
