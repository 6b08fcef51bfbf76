/* leaddb.c - read-only SQLite / PostgreSQL / MariaDB access for the lead
 * probes (the MariaDB/MySQL engine lives in leaddb_mysql.c).
 *
 * Only the query text and the parameters cross into the database; results
 * are read row by row and whatever the caller keeps is bounded by it. A
 * failing query reports the engine's message, never the connection URI. */
#include "leaddb.h"
#include "leaddb_mysql.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "buf.h"
#include "error.h"
#include "util.h"

struct ax_leaddb {
	enum ax_leaddb_engine engine;
	sqlite3 *lite;
	PGconn *pg;
	struct ax_leaddb_mysql *my;
	int64_t timeout_ms;
	int64_t deadline_ms; /* of the running SQLite statement, 0 = none */
};

static int sqlite_progress(void *arg)
{
	struct ax_leaddb *db = arg;
	return db->deadline_ms && ax_monotonic_ms() > db->deadline_ms;
}

static void sqlite_limits(struct ax_leaddb *db)
{
	sqlite3_busy_timeout(db->lite, db->timeout_ms ? (int)db->timeout_ms : 5000);
	sqlite3_progress_handler(db->lite, 10000, sqlite_progress, db);
}

/* The header's read and write versions are 2 in WAL mode; a database in
 * rollback mode (whose hot journal may need rolling back) never is read
 * as immutable. */
static int wal_mode(const char *path)
{
	unsigned char h[20];
	FILE *f = fopen(path, "rb");
	int wal = f && fread(h, 1, sizeof(h), f) == sizeof(h) && memcmp(h, "SQLite format 3", 16) == 0 &&
		  h[18] == 2 && h[19] == 2;
	if (f)
		fclose(f);
	return wal;
}

/* A WAL-mode database whose writers have all closed has no -wal file, and
 * a read-only connection must create one (and the -shm) beside it: the
 * probe may only read that folder. Nothing waits in a WAL that does not
 * exist, so the file alone is the database: opened as immutable (no
 * locks, no -wal, no -shm). A writer that opens it meanwhile writes to
 * its new -wal; only a checkpoint of 1000 pages during the read could
 * change the file under it (documented in README). */
static int reopen_immutable(struct ax_leaddb *db, const char *path)
{
	struct ax_buf uri = AX_BUF_INIT, wal = AX_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->lite, "SELECT count(*) FROM sqlite_schema", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(db->lite);
	sqlite3_finalize(st);
	ax_buf_printf(&wal, "%s-wal", path);
	if ((rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) || !wal_mode(path) || access(ax_buf_cstr(&wal), F_OK) == 0 ||
	    errno != ENOENT) {
		rc = SQLITE_OK; /* any other failure is the queries' to report */
		goto cleanup;
	}
	ax_buf_puts(&uri, "file:");
	for (const char *c = path; *c; c++)
		if (*c == '%' || *c == '?' || *c == '#')
			ax_buf_printf(&uri, "%%%02X", (unsigned char)*c);
		else
			ax_buf_putc(&uri, *c);
	ax_buf_puts(&uri, "?immutable=1");
	sqlite3_close(db->lite);
	db->lite = NULL;
	rc = sqlite3_open_v2(ax_buf_cstr(&uri), &db->lite, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
			     NULL);
	if (rc == SQLITE_OK)
		sqlite_limits(db);
cleanup:
	ax_buf_free(&uri);
	ax_buf_free(&wal);
	return rc;
}

static int open_sqlite(struct ax_leaddb *db, const char *path)
{
	if (!*path)
		return ax_error_code(AX_EINVALID, "database: sqlite: needs a path (sqlite:/var/lib/leads.db)");
	int rc = sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite_limits(db);
		rc = reopen_immutable(db, path);
	}
	if (rc != SQLITE_OK)
		return ax_error_code(rc == SQLITE_CANTOPEN ? AX_ENOTFOUND : AX_ERROR, "sqlite %s: %s", path,
				     db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc));
	return 0;
}

static int open_pg(struct ax_leaddb *db, const char *uri)
{
	/* expand_dbname: the URI is parsed by libpq; our keys add to it. */
	char timeout[32];
	snprintf(timeout, sizeof(timeout), "%lld",
		 (long long)(db->timeout_ms ? (db->timeout_ms + 999) / 1000 : 30));
	char *options = ax_asprintf("-c default_transaction_read_only=on -c TimeZone=UTC -c statement_timeout=%lld",
				    (long long)db->timeout_ms);
	const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
	const char *vals[] = {uri, timeout, options, "annexa", NULL};
	int err = 0;
	db->pg = PQconnectdbParams(keys, vals, 1);
	if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
		const char *m = db->pg ? PQerrorMessage(db->pg) : "out of memory";
		struct ax_buf msg = AX_BUF_INIT;
		ax_buf_puts(&msg, m);
		while (msg.size && isspace((unsigned char)msg.ptr[msg.size - 1]))
			ax_buf_truncate(&msg, msg.size - 1);
		err = ax_error_set("postgresql: %s", ax_buf_cstr(&msg));
		ax_buf_free(&msg);
	}
	free(options);
	return err;
}

int ax_leaddb_is_mysql_uri(const char *uri)
{
	return uri && (strncmp(uri, "mysql://", 8) == 0 || strncmp(uri, "mariadb://", 10) == 0);
}

int ax_leaddb_open(struct ax_leaddb **out, const char *uri, int64_t timeout_ms)
{
	return ax_leaddb_open_auth(out, uri, timeout_ms, NULL);
}

int ax_leaddb_open_auth(struct ax_leaddb **out, const char *uri, int64_t timeout_ms,
			const struct ax_leaddb_auth *auth)
{
	struct ax_leaddb *db = ax_calloc(1, sizeof(*db));
	int err;
	*out = NULL;
	db->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	if (auth && (auth->password_file || auth->defaults_file) && !ax_leaddb_is_mysql_uri(uri)) {
		err = ax_error_code(AX_EINVALID, "password-file and defaults-file are for mysql:// databases "
						 "(libpq reads ~/.pgpass or PGPASSFILE)");
	} else if (uri && strncmp(uri, "sqlite:", 7) == 0) {
		db->engine = AX_LEADDB_SQLITE;
		err = open_sqlite(db, uri + 7);
	} else if (uri && (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)) {
		db->engine = AX_LEADDB_POSTGRES;
		err = open_pg(db, uri);
	} else if (ax_leaddb_is_mysql_uri(uri)) {
		db->engine = AX_LEADDB_MYSQL;
		err = ax_leaddb_mysql_open(&db->my, uri, db->timeout_ms, auth);
	} else {
		err = ax_error_code(AX_EINVALID, "database: expected sqlite:PATH, postgresql://... or mysql://...");
	}
	if (err < 0)
		goto cleanup;
	*out = db;
	db = NULL;
cleanup:
	ax_leaddb_free(db);
	return err;
}

enum ax_leaddb_engine ax_leaddb_engine(const struct ax_leaddb *db)
{
	return db->engine;
}

void ax_leaddb_free(struct ax_leaddb *db)
{
	if (!db)
		return;
	if (db->lite)
		sqlite3_close_v2(db->lite);
	if (db->pg)
		PQfinish(db->pg);
	ax_leaddb_mysql_free(db->my);
	free(db);
}

static int each_sqlite(struct ax_leaddb *db, const char *sql, const char *const *params, size_t nparams,
		       ax_leaddb_row_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	const char **cells = NULL;
	int err = 0, rc;
	db->deadline_ms = db->timeout_ms ? ax_monotonic_ms() + db->timeout_ms : 0;
	if (sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL) != SQLITE_OK || !st) {
		err = ax_error_code(AX_EINVALID, "sqlite: %s", st ? sqlite3_errmsg(db->lite) :
				    sqlite3_errmsg(db->lite)[0] ? sqlite3_errmsg(db->lite) : "empty query");
		goto cleanup;
	}
	for (size_t i = 0; i < nparams; i++) {
		char name[24];
		snprintf(name, sizeof(name), "$%zu", i + 1);
		int idx = sqlite3_bind_parameter_index(st, name);
		if (!idx && (int)(i + 1) <= sqlite3_bind_parameter_count(st) && !sqlite3_bind_parameter_name(st, (int)i + 1))
			idx = (int)i + 1;
		if (!idx)
			continue;
		rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
		if (rc != SQLITE_OK) {
			err = ax_error_set("sqlite: binding $%zu: %s", i + 1, sqlite3_errmsg(db->lite));
			goto cleanup;
		}
	}
	size_t ncols = (size_t)sqlite3_column_count(st);
	cells = ax_calloc(ncols + 1, sizeof(*cells));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t c = 0; c < ncols; c++)
			cells[c] = (const char *)sqlite3_column_text(st, (int)c);
		if (fn(arg, ncols, cells))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		if (rc == SQLITE_INTERRUPT)
			err = ax_error_code(AX_ETIMEOUT, "sqlite: query took longer than %lld ms", (long long)db->timeout_ms);
		else
			err = ax_error_set("sqlite: %s", sqlite3_errmsg(db->lite));
	}
cleanup:
	db->deadline_ms = 0;
	free(cells);
	sqlite3_finalize(st);
	return err;
}

/* Rows one at a time (libpq's single-row mode): a query over a million
 * subscribers (a population) never sits in memory whole. */
static int each_pg(struct ax_leaddb *db, const char *sql, const char *const *params, size_t nparams,
		   ax_leaddb_row_fn fn, void *arg)
{
	size_t used = ax_leaddb_param_count(sql);
	const char **cells = NULL;
	PGresult *res;
	int err = 0, stopped = 0, rows = 0;
	if (used > nparams)
		return ax_error_code(AX_EINVALID, "query uses $%zu but only %zu parameter(s) exist", used, nparams);
	if (!PQsendQueryParams(db->pg, sql, (int)used, NULL, params, NULL, NULL, 0))
		return ax_error_code(AX_EINVALID, "postgresql: %s", PQerrorMessage(db->pg));
	PQsetSingleRowMode(db->pg); /* when refused, the result comes whole: still right */
	while ((res = PQgetResult(db->pg)) != NULL) {
		ExecStatusType status = PQresultStatus(res);
		if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK) {
			size_t ncols = (size_t)PQnfields(res), nrows = (size_t)PQntuples(res);
			rows = 1;
			if (!cells)
				cells = ax_calloc(ncols + 1, sizeof(*cells));
			for (size_t r = 0; r < nrows && !stopped; r++) {
				for (size_t c = 0; c < ncols; c++)
					cells[c] = PQgetisnull(res, (int)r, (int)c) ? NULL : PQgetvalue(res, (int)r, (int)c);
				if (fn(arg, ncols, cells)) {
					/* the rest is not wanted: ask the server to stop sending it */
					PGcancel *cancel = PQgetCancel(db->pg);
					char ebuf[256];
					if (cancel)
						PQcancel(cancel, ebuf, sizeof(ebuf));
					PQfreeCancel(cancel);
					stopped = 1;
				}
			}
		} else if (!err && !stopped) {
			const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			if (!m)
				m = status == PGRES_COMMAND_OK ? "query returned no rows (not a SELECT?)" : PQerrorMessage(db->pg);
			err = ax_error_code(code && strcmp(code, "57014") == 0 ? AX_ETIMEOUT : AX_EINVALID, "postgresql: %s",
					    m);
		}
		PQclear(res);
	}
	if (!err && !rows && !stopped)
		err = ax_error_code(AX_EINVALID, "postgresql: %s", PQerrorMessage(db->pg));
	free(cells);
	return err;
}

int ax_leaddb_each(struct ax_leaddb *db, const char *sql, const char *const *params, size_t nparams,
		   ax_leaddb_row_fn fn, void *arg)
{
	switch (db->engine) {
	case AX_LEADDB_SQLITE:
		return each_sqlite(db, sql, params, nparams, fn, arg);
	case AX_LEADDB_MYSQL:
		return ax_leaddb_mysql_each(db->my, sql, params, nparams, fn, arg);
	default:
		return each_pg(db, sql, params, nparams, fn, arg);
	}
}

struct sample_acc {
	struct ax_leaddb_sample *out;
	size_t max_rows;
};

static int sample_row(void *arg, size_t ncols, const char *const *cells)
{
	struct sample_acc *acc = arg;
	struct ax_leaddb_sample *s = acc->out;
	if (ncols < 2)
		return 1;
	const char *total = cells[ncols - 1];
	s->total = total ? strtoll(total, NULL, 10) : 0;
	s->ncols = ncols - 1;
	if (s->nrows >= acc->max_rows)
		return 1;
	if (!s->cells)
		s->cells = ax_calloc(acc->max_rows * s->ncols + 1, sizeof(char *));
	for (size_t c = 0; c < s->ncols; c++)
		s->cells[s->nrows * s->ncols + c] = cells[c] ? ax_strdup(cells[c]) : NULL;
	s->nrows++;
	return 0;
}

int ax_leaddb_count_sample(struct ax_leaddb *db, const char *sql, const char *const *params, size_t nparams,
			   size_t max_rows, struct ax_leaddb_sample *out)
{
	struct ax_buf inner = AX_BUF_INIT, wrapped = AX_BUF_INIT;
	int err;
	memset(out, 0, sizeof(*out));
	ax_buf_puts(&inner, sql ? sql : "");
	while (inner.size && (isspace((unsigned char)inner.ptr[inner.size - 1]) || inner.ptr[inner.size - 1] == ';'))
		ax_buf_truncate(&inner, inner.size - 1);
	/* The newline before ')' ends a trailing "-- comment" of the query. */
	ax_buf_printf(&wrapped, "SELECT ax_q.*, count(*) OVER () AS ax_total FROM (%s\n) AS ax_q LIMIT %zu",
		      ax_buf_cstr(&inner), max_rows ? max_rows : 1);
	struct sample_acc acc = {out, max_rows};
	err = ax_leaddb_each(db, ax_buf_cstr(&wrapped), params, nparams, sample_row, &acc);
	if (err < 0)
		ax_leaddb_sample_free(out);
	ax_buf_free(&inner);
	ax_buf_free(&wrapped);
	return err;
}

void ax_leaddb_sample_free(struct ax_leaddb_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->cells && i < s->nrows * s->ncols; i++)
		free(s->cells[i]);
	free(s->cells);
	memset(s, 0, sizeof(*s));
}
