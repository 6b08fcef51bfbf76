/* leaddb_mysql.h - the MariaDB/MySQL engine of ax_leaddb (libmariadb), and
 * the parser of its URI, exposed for the unit and fuzz tests.
 *
 *   mysql://[USER[:PASSWORD]@][HOST][:PORT]/DB[?socket=PATH&sslmode=MODE]
 *   mariadb://... (the same)
 *
 * USER, PASSWORD, DB and PATH are percent-decoded ('/', '?', '#' in a
 * password must be encoded). An empty HOST with a socket connects through
 * that Unix socket; without one it is libmariadb's default: localhost
 * through its compiled-in socket, or what the defaults file names. HOST
 * "localhost" is also a Unix socket to libmariadb; 127.0.0.1 is TCP.
 * sslmode: disable (default for a socket), require (TLS, any certificate),
 * verify-full (TLS, certificate and host name checked; default over TCP
 * to a host other than localhost/127.0.0.1/::1). The password is better
 * kept out of the URI: ax_leaddb_auth names a file holding it or a
 * my.cnf-style file whose [client] group gives it. */
#ifndef AX_LEADDB_MYSQL_H
#define AX_LEADDB_MYSQL_H

#include <stdint.h>

#include "leaddb_sql.h"

enum ax_mysql_ssl { AX_MYSQL_SSL_DEFAULT, AX_MYSQL_SSL_DISABLE, AX_MYSQL_SSL_REQUIRE, AX_MYSQL_SSL_VERIFY };

struct ax_mysql_uri {
	char *user, *password, *host, *db, *socket; /* NULL when absent */
	unsigned port;                             /* 0: the default (3306) */
	enum ax_mysql_ssl ssl;
};

/* Parses uri into out (owned by the caller: ax_mysql_uri_free). Errors
 * never quote the URI (it may hold a password). */
int ax_mysql_uri_parse(const char *uri, struct ax_mysql_uri *out);
void ax_mysql_uri_free(struct ax_mysql_uri *u); /* contents; accepts NULL */

struct ax_leaddb_mysql;
int ax_leaddb_mysql_open(struct ax_leaddb_mysql **out, const char *uri, int64_t timeout_ms,
			 const struct ax_leaddb_auth *auth);
int ax_leaddb_mysql_each(struct ax_leaddb_mysql *db, const char *sql, const char *const *params, size_t nparams,
			 ax_leaddb_row_fn fn, void *arg);
void ax_leaddb_mysql_free(struct ax_leaddb_mysql *db);

#endif
