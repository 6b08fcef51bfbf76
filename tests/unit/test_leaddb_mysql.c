/* test_leaddb_mysql.c - the mysql:// URI of the lead database: what each
 * form connects to (table-driven), what is refused and that no refusal or
 * connection failure quotes the password; the sandbox's port of each; and
 * that a system schema refuses a database of the wrong engine. */
#include <stdlib.h>
#include <string.h>

#include "consent_queries.h"
#include "error.h"
#include "leaddb.h"
#include "leaddb_mysql.h"
#include "sandbox.h"
#include "t.h"

static void test_parse(void)
{
	static const struct {
		const char *uri;
		const char *user, *password, *host, *db, *socket;
		unsigned port;
		enum ax_mysql_ssl ssl;
	} ok[] = {
		{"mysql://annexa@db.example:3307/leads", "annexa", NULL, "db.example", "leads", NULL, 3307, AX_MYSQL_SSL_DEFAULT},
		{"mysql://annexa@db.example/leads", "annexa", NULL, "db.example", "leads", NULL, 0, AX_MYSQL_SSL_DEFAULT},
		{"mariadb://ro:p%40ss%3Aw@[::1]:3306/phplist", "ro", "p@ss:w", "::1", "phplist", NULL, 3306, AX_MYSQL_SSL_DEFAULT},
		{"mysql:///mautic?socket=/run/mysqld/mysqld.sock", NULL, NULL, NULL, "mautic", "/run/mysqld/mysqld.sock", 0,
		 AX_MYSQL_SSL_DEFAULT},
		{"mysql://ro@/my%20db?socket=%2Ftmp%2Fm.sock&sslmode=disable", "ro", NULL, NULL, "my db", "/tmp/m.sock", 0,
		 AX_MYSQL_SSL_DISABLE},
		{"mysql://h/db?sslmode=verify-full", NULL, NULL, "h", "db", NULL, 0, AX_MYSQL_SSL_VERIFY},
		{"mysql://h/db?sslmode=require", NULL, NULL, "h", "db", NULL, 0, AX_MYSQL_SSL_REQUIRE},
		{"mysql:///db", NULL, NULL, NULL, "db", NULL, 0, AX_MYSQL_SSL_DEFAULT},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ax_mysql_uri u;
		T_EQ_INT(ax_mysql_uri_parse(ok[i].uri, &u), 0);
#define STR_EQ(a, b) T_OK(((a) == NULL && (b) == NULL) || ((a) && (b) && strcmp((a), (b)) == 0))
		STR_EQ(u.user, ok[i].user);
		STR_EQ(u.password, ok[i].password);
		STR_EQ(u.host, ok[i].host);
		STR_EQ(u.db, ok[i].db);
		STR_EQ(u.socket, ok[i].socket);
		T_EQ_INT(u.port, ok[i].port);
		T_EQ_INT(u.ssl, ok[i].ssl);
		ax_mysql_uri_free(&u);
	}
	static const struct {
		const char *uri, *msg;
	} bad[] = {
		{"mysql://u:hunter2@h", "needs a database name"},
		{"mysql://u:hunter2@h/", "needs a database name"},
		{"mysql://u:hunter2@h:0/db", "port"},
		{"mysql://u:hunter2@h:70000/db", "port"},
		{"mysql://u:hunter2@h:33x/db", "port"},
		{"mysql://u:hunter2@[::1/db", "unclosed"},
		{"mysql://u:hunter2@h/db?socket=/s", "host or a socket"},
		{"mysql://u:hunter2@/db?socket=rel.sock", "absolute"},
		{"mysql://u:hunter2@h/db?sslmode=maybe", "sslmode"},
		{"mysql://u:hunter2@h/db?charset=latin1", "unknown query parameter"},
		{"mysql://u:hunter2@h/db?socket", "lacks '='"},
		{"mysql://u:hunt%2@h/db", "percent"},
		{"mysql://u:hunter2%00@h/db", "percent"},
		{"mysql://u:hunter2@h/a%2Fb", "database name"},
		{"mysql://u:hunter2@h/db#x", "fragment"},
		{"postgresql://u:hunter2@h/db", "expected mysql://"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ax_mysql_uri u;
		T_EQ_INT(ax_mysql_uri_parse(bad[i].uri, &u), AX_EINVALID);
		T_CONTAINS(ax_error_last(), bad[i].msg);
		T_OK(!strstr(ax_error_last(), "hunter2"));
		T_OK(!strstr(ax_error_last(), "hunt"));
	}
}

static void test_ports(void)
{
	T_EQ_INT(ax_sandbox_port_of("mysql://u:pw@db.example:3307/leads"), 3307);
	T_EQ_INT(ax_sandbox_port_of("mysql://u@db.example/leads"), 3306);
	T_EQ_INT(ax_sandbox_port_of("mariadb://u@[::1]:3310/x"), 3310);
	T_EQ_INT(ax_sandbox_port_of("mysql:///leads?socket=/run/mysqld/mysqld.sock"), 0);
	T_EQ_INT(ax_sandbox_port_of("mysql://u@h:0/x"), 0);
}

static void test_connect_failure(void)
{
	struct ax_leaddb *db = NULL;
	/* nothing listens on port 1 of loopback: refused at once */
	T_OK(ax_leaddb_open(&db, "mysql://annexa:hunter2@127.0.0.1:1/leads", 5000) < 0);
	T_OK(db == NULL);
	T_CONTAINS(ax_error_last(), "mariadb:");
	T_OK(!strstr(ax_error_last(), "hunter2"));
	struct ax_leaddb_auth auth = {"/nonexistent/annexa.pw", NULL};
	T_OK(ax_leaddb_open_auth(&db, "mysql://annexa@127.0.0.1:1/leads", 5000, &auth) < 0);
	T_CONTAINS(ax_error_last(), "password-file /nonexistent/annexa.pw");
	T_OK(ax_leaddb_open(&db, "mysql://annexa@127.0.0.1:1", 5000) == AX_EINVALID);
	/* libpq has its own password file: ours would be silently ignored there */
	T_EQ_INT(ax_leaddb_open_auth(&db, "postgresql:///leads?host=/nonexistent", 5000, &auth), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "are for mysql:// databases");
}

static void test_engine_check(void)
{
	T_EQ_INT(ax_consent_schema_engine_check("phplist", AX_LEADDB_MYSQL), 0);
	T_EQ_INT(ax_consent_schema_engine_check("mautic", AX_LEADDB_MYSQL), 0);
	T_EQ_INT(ax_consent_schema_engine_check("keila", AX_LEADDB_POSTGRES), 0);
	T_EQ_INT(ax_consent_schema_engine_check("phplist", AX_LEADDB_POSTGRES), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "schema phplist lives in MariaDB/MySQL");
	T_EQ_INT(ax_consent_schema_engine_check("keila", AX_LEADDB_MYSQL), AX_EINVALID);
	T_EQ_INT(ax_consent_schema_engine_check("generic", AX_LEADDB_MYSQL), AX_EINVALID);
	T_EQ_INT(ax_consent_schema_engine_check("generic", AX_LEADDB_SQLITE), 0);
	/* every question of every system schema has a query or a reason */
	const struct ax_consent_schema *all[] = {&ax_consent_phplist, &ax_consent_mautic, &ax_consent_keila};
	for (size_t i = 0; i < 3; i++)
		for (int q = 0; q < AX_Q_CONSENT_STATE; q++)
			T_OK(all[i]->queries[q] || all[i]->skip[q]);
}

int main(void)
{
	test_parse();
	test_ports();
	test_connect_failure();
	test_engine_check();
	return t_done();
}
