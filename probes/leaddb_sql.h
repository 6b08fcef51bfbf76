/* leaddb_sql.h - what every engine of ax_leaddb (leaddb.c: SQLite and
 * PostgreSQL, leaddb_mysql.c: MariaDB/MySQL) shares: the row callback,
 * where a password comes from, and the one scan of $N parameters, so the
 * engines depend on this and not on each other. */
#ifndef AX_LEADDB_SQL_H
#define AX_LEADDB_SQL_H

#include <stddef.h>

/* Where a password comes from other than the URI (MariaDB/MySQL only;
 * NULL members are unused): password_file holds it on its first line,
 * defaults_file is a my.cnf-style file whose [client] group libmariadb
 * reads (password, and user/host/socket the URI leaves out). */
struct ax_leaddb_auth {
	const char *password_file;
	const char *defaults_file;
};

/* Called per row; cells[i] is NULL for SQL NULL. Return nonzero to stop. */
typedef int (*ax_leaddb_row_fn)(void *arg, size_t ncols, const char *const *cells);

/* The highest $N referenced by sql outside quotes and -- comments
 * (PostgreSQL needs the exact number of parameters). Exposed for tests. */
size_t ax_leaddb_param_count(const char *sql);
/* The same scan, calling fn for every $N found: its offset and length in
 * sql and N. Returns the highest N. */
typedef void (*ax_leaddb_param_fn)(void *arg, size_t at, size_t len, size_t n);
size_t ax_leaddb_param_scan(const char *sql, ax_leaddb_param_fn fn, void *arg);

#endif
