/* leaddb_mysql.c - read-only MariaDB/MySQL access for the lead probes
 * (libmariadb, the text protocol).
 *
 * Sessions are read-only (SET SESSION TRANSACTION READ ONLY: every
 * statement runs in a read-only transaction), UTC (time_zone '+00:00'),
 * utf8mb4, with LOAD DATA LOCAL off (a hostile server cannot ask for a
 * local file) and the query deadline enforced twice: by the server
 * (MariaDB max_statement_time, MySQL max_execution_time) and by the
 * client's read timeout. The text protocol has no server-side $N
 * parameters, so parameters are inlined as literals escaped by
 * mysql_real_escape_string (which follows the session's
 * NO_BACKSLASH_ESCAPES); they are the probe's own values (times, flags,
 * keys), never data read from elsewhere. Messages never quote the URI
 * or the password. */
#include "leaddb_mysql.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>

#include "buf.h"
#include "error.h"
#include "util.h"

struct ax_leaddb_mysql {
	MYSQL *m;
	int64_t timeout_ms;
};

/* MariaDB ER_STATEMENT_TIMEOUT, MySQL ER_QUERY_TIMEOUT, ER_QUERY_INTERRUPTED */
#define MY_STATEMENT_TIMEOUT 1969
#define MY_QUERY_TIMEOUT 3024
#define MY_QUERY_INTERRUPTED 1317

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Percent-decodes s[0..len) into a new string; NULL on a bad escape or NUL. */
static char *pct_decode(const char *s, size_t len)
{
	struct ax_buf b = AX_BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len) {
				ax_buf_free(&b);
				return NULL;
			}
			int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				ax_buf_free(&b);
				return NULL;
			}
			c = h * 16 + l;
			i += 2;
		}
		ax_buf_putc(&b, (char)c);
	}
	return ax_buf_detach(&b);
}

void ax_mysql_uri_free(struct ax_mysql_uri *u)
{
	if (!u)
		return;
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->db);
	free(u->socket);
	memset(u, 0, sizeof(*u));
}

static int uri_query(const char *q, struct ax_mysql_uri *u)
{
	while (*q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		if (!eq)
			return ax_error_code(AX_EINVALID, "mysql URI: a query parameter lacks '=' (socket=PATH, sslmode=MODE)");
		size_t klen = (size_t)(eq - q);
		char *val = pct_decode(eq + 1, n - klen - 1);
		if (!val)
			return ax_error_code(AX_EINVALID, "mysql URI: bad percent escape in a query parameter");
		if (klen == 6 && memcmp(q, "socket", 6) == 0) {
			free(u->socket);
			u->socket = val;
			if (u->socket[0] != '/')
				return ax_error_code(AX_EINVALID, "mysql URI: socket must be an absolute path");
		} else if (klen == 7 && memcmp(q, "sslmode", 7) == 0) {
			if (strcmp(val, "disable") == 0)
				u->ssl = AX_MYSQL_SSL_DISABLE;
			else if (strcmp(val, "require") == 0)
				u->ssl = AX_MYSQL_SSL_REQUIRE;
			else if (strcmp(val, "verify-full") == 0)
				u->ssl = AX_MYSQL_SSL_VERIFY;
			else {
				free(val);
				return ax_error_code(AX_EINVALID, "mysql URI: sslmode must be disable, require or verify-full");
			}
			free(val);
		} else {
			free(val);
			return ax_error_code(AX_EINVALID, "mysql URI: unknown query parameter (socket=PATH, sslmode=MODE)");
		}
		q += n;
		if (*q == '&')
			q++;
	}
	return 0;
}

int ax_mysql_uri_parse(const char *uri, struct ax_mysql_uri *out)
{
	const char *p;
	int err = 0;
	memset(out, 0, sizeof(*out));
	if (strncmp(uri, "mysql://", 8) == 0)
		p = uri + 8;
	else if (strncmp(uri, "mariadb://", 10) == 0)
		p = uri + 10;
	else
		return ax_error_code(AX_EINVALID, "expected mysql://USER@HOST:PORT/DB or mysql:///DB?socket=PATH");
	size_t auth_end = strcspn(p, "/?#");
	const char *at = NULL;
	for (const char *c = p; c < p + auth_end; c++)
		if (*c == '@')
			at = c; /* the last '@' ends the user info: an unencoded '@' in a password is tolerated */
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
		if (!(out->user = pct_decode(p, ulen)) ||
		    (colon && !(out->password = pct_decode(colon + 1, (size_t)(at - colon - 1))))) {
			err = ax_error_code(AX_EINVALID, "mysql URI: bad percent escape in the user or password");
			goto cleanup;
		}
		if (!out->user[0]) {
			free(out->user);
			out->user = NULL;
		}
		p = at + 1;
		auth_end = strcspn(p, "/?#");
	}
	/* host[:port], host may be [v6] */
	const char *hend = p + auth_end, *port = NULL, *hs = p, *he;
	if (*p == '[') {
		const char *rb = memchr(p, ']', auth_end);
		if (!rb) {
			err = ax_error_code(AX_EINVALID, "mysql URI: unclosed '[' in the host");
			goto cleanup;
		}
		hs = p + 1;
		he = rb;
		if (rb + 1 < hend) {
			if (rb[1] != ':') {
				err = ax_error_code(AX_EINVALID, "mysql URI: expected ':PORT' after ']'");
				goto cleanup;
			}
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(p, ':', auth_end);
		he = colon ? colon : hend;
		if (colon)
			port = colon + 1;
	}
	if (he > hs)
		out->host = ax_strndup(hs, (size_t)(he - hs));
	if (port) {
		unsigned long v = 0;
		const char *c = port;
		while (c < hend && isdigit((unsigned char)*c) && v < 65536)
			v = v * 10 + (unsigned long)(*c++ - '0');
		if (c != hend || c == port || v == 0 || v > 65535) {
			err = ax_error_code(AX_EINVALID, "mysql URI: the port must be a number 1..65535");
			goto cleanup;
		}
		out->port = (unsigned)v;
	}
	p = hend;
	if (*p != '/') {
		err = ax_error_code(AX_EINVALID, "mysql URI: needs a database name (mysql://HOST/DB)");
		goto cleanup;
	}
	p++;
	size_t dlen = strcspn(p, "?#");
	if (!dlen || !(out->db = pct_decode(p, dlen)) || strchr(out->db, '/')) {
		err = ax_error_code(AX_EINVALID, dlen ? "mysql URI: bad database name" : "mysql URI: needs a database name (mysql://HOST/DB)");
		goto cleanup;
	}
	p += dlen;
	if (*p == '?')
		err = uri_query(p + 1, out);
	else if (*p == '#')
		err = ax_error_code(AX_EINVALID, "mysql URI: a fragment ('#') is not allowed");
	if (!err && out->host && out->socket)
		err = ax_error_code(AX_EINVALID, "mysql URI: give a host or a socket, not both");
cleanup:
	if (err < 0)
		ax_mysql_uri_free(out);
	return err;
}

/* The first line of the password file, without its line end. */
static int read_password(const char *path, char **out)
{
	struct ax_buf b = AX_BUF_INIT;
	int err = ax_file_read(path, 4096, &b);
	if (err < 0) {
		ax_buf_free(&b);
		return ax_error_code(err, "password-file %s: cannot read it", path);
	}
	*out = ax_strndup(ax_buf_cstr(&b), strcspn(ax_buf_cstr(&b), "\r\n"));
	ax_buf_free(&b);
	return 0;
}

/* what: the step that failed (NULL: the query itself). */
static int my_fail(struct ax_leaddb_mysql *db, const char *what)
{
	unsigned code = mysql_errno(db->m);
	if (code == MY_STATEMENT_TIMEOUT || code == MY_QUERY_TIMEOUT || code == MY_QUERY_INTERRUPTED)
		return ax_error_code(AX_ETIMEOUT, "mariadb: %s took longer than %lld ms", what ? what : "query",
				     (long long)db->timeout_ms);
	return ax_error_code(code == CR_SERVER_LOST && db->timeout_ms ? AX_ETIMEOUT : AX_EINVALID, "mariadb: %s%s%s",
			     what ? what : "", what ? ": " : "", mysql_error(db->m));
}

/* SQL statements that set up the session; each must succeed. */
static int session_setup(struct ax_leaddb_mysql *db)
{
	struct ax_buf sql = AX_BUF_INIT;
	int err = 0;
	const char *info = mysql_get_server_info(db->m);
	int mariadb = info && strstr(info, "MariaDB") != NULL;
	ax_buf_puts(&sql, "SET SESSION TRANSACTION READ ONLY");
	if (mysql_real_query(db->m, sql.ptr, sql.size) != 0)
		err = my_fail(db, "setting the session read-only");
	ax_buf_clear(&sql);
	if (!err) {
		ax_buf_puts(&sql, "SET time_zone = '+00:00'");
		if (mysql_real_query(db->m, sql.ptr, sql.size) != 0)
			err = my_fail(db, "setting the session time zone to UTC");
		ax_buf_clear(&sql);
	}
	if (!err && db->timeout_ms) {
		if (mariadb)
			ax_buf_printf(&sql, "SET SESSION max_statement_time = %lld.%03lld", (long long)(db->timeout_ms / 1000),
				      (long long)(db->timeout_ms % 1000));
		else
			ax_buf_printf(&sql, "SET SESSION max_execution_time = %lld", (long long)db->timeout_ms);
		if (mysql_real_query(db->m, sql.ptr, sql.size) != 0)
			err = my_fail(db, "setting the statement deadline");
	}
	ax_buf_free(&sql);
	return err;
}

int ax_leaddb_mysql_open(struct ax_leaddb_mysql **out, const char *uri, int64_t timeout_ms,
			 const struct ax_leaddb_auth *auth)
{
	struct ax_leaddb_mysql *db = ax_calloc(1, sizeof(*db));
	struct ax_mysql_uri u;
	char *password = NULL;
	int err;
	*out = NULL;
	db->timeout_ms = timeout_ms;
	if ((err = ax_mysql_uri_parse(uri, &u)) < 0) {
		free(db);
		return err;
	}
	if (auth && auth->password_file && (err = read_password(auth->password_file, &password)) < 0)
		goto cleanup;
	if (!(db->m = mysql_init(NULL))) {
		err = ax_error_set("mariadb: out of memory");
		goto cleanup;
	}
	unsigned int secs = (unsigned int)(timeout_ms ? (timeout_ms + 999) / 1000 : 30), off = 0;
	/* The client's read deadline is a backstop behind the server's: a
	 * little longer, so the server's clearer error wins. */
	unsigned int read_secs = timeout_ms ? secs + 5 : 0;
	mysql_optionsv(db->m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	if (read_secs)
		mysql_optionsv(db->m, MYSQL_OPT_READ_TIMEOUT, &read_secs);
	mysql_optionsv(db->m, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_optionsv(db->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(db->m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "annexa");
	if (auth && auth->defaults_file) {
		mysql_optionsv(db->m, MYSQL_READ_DEFAULT_FILE, auth->defaults_file);
		mysql_optionsv(db->m, MYSQL_READ_DEFAULT_GROUP, "client");
	}
	enum ax_mysql_ssl ssl = u.ssl;
	if (ssl == AX_MYSQL_SSL_DEFAULT)
		ssl = u.host && strcmp(u.host, "localhost") != 0 && strcmp(u.host, "127.0.0.1") != 0 && strcmp(u.host, "::1") != 0
			      ? AX_MYSQL_SSL_VERIFY
			      : AX_MYSQL_SSL_DISABLE;
	if (ssl != AX_MYSQL_SSL_DISABLE) {
		my_bool on = 1, verify = ssl == AX_MYSQL_SSL_VERIFY;
		mysql_optionsv(db->m, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(db->m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	if (!mysql_real_connect(db->m, u.host, u.user, u.password ? u.password : password, u.db, u.port, u.socket, 0)) {
		/* libmariadb's messages name the host or socket and the user, never the password */
		err = ax_error_code(mysql_errno(db->m) == 1049 ? AX_ENOTFOUND : AX_ERROR, "mariadb: %s", mysql_error(db->m));
		goto cleanup;
	}
	if ((err = session_setup(db)) < 0)
		goto cleanup;
	*out = db;
	db = NULL;
cleanup:
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (u.password)
		explicit_bzero(u.password, strlen(u.password));
	ax_mysql_uri_free(&u);
	ax_leaddb_mysql_free(db);
	return err;
}

void ax_leaddb_mysql_free(struct ax_leaddb_mysql *db)
{
	if (!db)
		return;
	if (db->m)
		mysql_close(db->m);
	free(db);
}

struct inline_acc {
	struct ax_leaddb_mysql *db;
	const char *sql;
	const char *const *params;
	size_t nparams, done; /* sql copied up to done */
	struct ax_buf *out;
	int err;
};

static void inline_param(void *arg, size_t at, size_t len, size_t n)
{
	struct inline_acc *a = arg;
	ax_buf_put(a->out, a->sql + a->done, at - a->done);
	a->done = at + len;
	if (n == 0 || n > a->nparams) {
		if (!a->err)
			a->err = ax_error_code(AX_EINVALID, "query uses $%zu but only %zu parameter(s) exist", n, a->nparams);
		return;
	}
	const char *v = a->params[n - 1];
	if (!v) {
		ax_buf_puts(a->out, "NULL");
		return;
	}
	size_t vlen = strlen(v);
	ax_buf_grow(a->out, 2 * vlen + 3);
	a->out->ptr[a->out->size++] = '\'';
	a->out->size += mysql_real_escape_string(a->db->m, a->out->ptr + a->out->size, v, (unsigned long)vlen);
	a->out->ptr[a->out->size++] = '\'';
	a->out->ptr[a->out->size] = '\0';
}

int ax_leaddb_mysql_each(struct ax_leaddb_mysql *db, const char *sql, const char *const *params, size_t nparams,
			 ax_leaddb_row_fn fn, void *arg)
{
	struct ax_buf q = AX_BUF_INIT;
	struct inline_acc acc = {db, sql, params, nparams, 0, &q, 0};
	MYSQL_RES *res = NULL;
	const char **cells = NULL;
	int err = 0;
	ax_leaddb_param_scan(sql, inline_param, &acc);
	if ((err = acc.err) < 0)
		goto cleanup;
	ax_buf_puts(&q, sql + acc.done);
	if (mysql_real_query(db->m, q.ptr, q.size) != 0) {
		err = my_fail(db, NULL);
		goto cleanup;
	}
	if (!(res = mysql_use_result(db->m))) {
		err = mysql_errno(db->m) ? my_fail(db, NULL)
					 : ax_error_code(AX_EINVALID, "mariadb: query returned no rows (not a SELECT?)");
		goto cleanup;
	}
	size_t ncols = mysql_num_fields(res);
	cells = ax_calloc(ncols + 1, sizeof(*cells));
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(res))) {
		for (size_t c = 0; c < ncols; c++)
			cells[c] = row[c];
		if (fn(arg, ncols, cells))
			break;
	}
	if (!row && mysql_errno(db->m))
		err = my_fail(db, "reading the result");
cleanup:
	if (res)
		mysql_free_result(res); /* reads and drops the rows left after an early stop */
	free(cells);
	ax_buf_free(&q);
	return err;
}
