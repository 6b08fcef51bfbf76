/* leaddb.h - a small read-only access layer over the lead database:
 * SQLite (`sqlite:PATH`), PostgreSQL (`postgresql://...`, libpq) or
 * MariaDB/MySQL (`mysql://...`, libmariadb; see leaddb_mysql.h).
 *
 * It runs one SQL query with text parameters written $1, $2, ... (the same
 * spelling works in both engines) and hands back either every row to a
 * callback (for bounded queries) or the total row count plus a bounded
 * number of sample rows, computed in the database in one pass. Connections
 * are read-only (SQLite opened read-only, PostgreSQL sessions with
 * default_transaction_read_only, MariaDB/MySQL sessions with SET SESSION
 * TRANSACTION READ ONLY) with TimeZone UTC, and every query runs
 * under a deadline. Error messages never contain the connection URI (it
 * may hold a password). */
#ifndef AX_LEADDB_H
#define AX_LEADDB_H

#include <stddef.h>
#include <stdint.h>

#include "leaddb_sql.h"

enum ax_leaddb_engine { AX_LEADDB_SQLITE, AX_LEADDB_POSTGRES, AX_LEADDB_MYSQL };

struct ax_leaddb;

/* uri: "sqlite:PATH", "postgresql://..." / "postgres://..." or
 * "mysql://..." / "mariadb://...". timeout_ms: connect and per-query
 * deadline (0: none). auth may be NULL. */
int ax_leaddb_open_auth(struct ax_leaddb **out, const char *uri, int64_t timeout_ms,
			const struct ax_leaddb_auth *auth);
int ax_leaddb_open(struct ax_leaddb **out, const char *uri, int64_t timeout_ms); /* no auth */
/* True when uri names a MariaDB/MySQL database. */
int ax_leaddb_is_mysql_uri(const char *uri);
enum ax_leaddb_engine ax_leaddb_engine(const struct ax_leaddb *db);
void ax_leaddb_free(struct ax_leaddb *db);

/* Runs sql with params bound to $1..$nparams (NULL entries bind NULL).
 * Rows are handed over as they come (SQLite steps, PostgreSQL single-row
 * mode): a large answer is never held whole. */
int ax_leaddb_each(struct ax_leaddb *db, const char *sql, const char *const *params, size_t nparams,
		   ax_leaddb_row_fn fn, void *arg);

struct ax_leaddb_sample {
	int64_t total;  /* rows the query yields */
	size_t ncols;   /* columns of the query (without the count) */
	size_t nrows;   /* sample rows kept, at most the requested maximum */
	char **cells;   /* nrows * ncols strings, NULL for SQL NULL */
};

/* Total row count of sql and its first max_rows rows, in one statement
 * (`count(*) OVER ()` around the query). sql must be a single SELECT
 * (a trailing ';' is allowed). */
int ax_leaddb_count_sample(struct ax_leaddb *db, const char *sql, const char *const *params, size_t nparams,
			   size_t max_rows, struct ax_leaddb_sample *out);
void ax_leaddb_sample_free(struct ax_leaddb_sample *s); /* contents; accepts NULL */

#endif
