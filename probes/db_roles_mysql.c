/* db_roles_mysql.c - the `db-roles` checks for a MariaDB lead database
 * (10.4 and later: mysql.global_priv, the mysql.user view, roles).
 *
 * MariaDB shows an account only its own grants (information_schema's
 * *_PRIVILEGES views filter on the current user without SELECT on the
 * mysql schema), so every check reads the grant tables themselves:
 * mysql.user (global privileges, is_role), mysql.db, mysql.tables_priv and
 * mysql.columns_priv (schema, table and column grants), mysql.roles_mapping
 * (roles granted, followed through nested roles) and mysql.global_priv
 * (authentication methods). Without SELECT on them every check reports
 * `skip` with the server's reason and db.changes keeps the previous
 * population. The password state is classified inside the server (the
 * query returns the plugin and whether the stored string is empty): no
 * hash ever leaves it. There is no pg_hba.conf: which hosts may connect is
 * part of the account name (user@host), shown as is; the user part is a
 * pseudonym unless show-user-names. */
#include <stdlib.h>
#include <string.h>

#include "db_roles_mysql.h"
#include "util.h"
#include "verdict.h"

/* (User, Host, Role) for every role an account or role holds, directly or
 * through roles granted to its roles (roles have an empty Host). */
#define ROLE_CLOSURE                                                                                                   \
	"WITH RECURSIVE r(User, Host, Role) AS (SELECT User, Host, Role FROM mysql.roles_mapping"                     \
	" UNION SELECT r.User, r.Host, m.Role FROM r JOIN mysql.roles_mapping m ON m.User = r.Role AND m.Host = '') "

static const char *const checks[] = {"db.superusers", "db.no_password", "db.password_hash", "db.consent_write",
				     "db.changes"};

static void check_superusers(struct ax_probe_ctx *ctx, struct ax_leaddb *db, json_t *pop, struct ax_buf *name)
{
	struct ax_db_rows all = {0}, su = {0}, members = {0};
	struct ax_verdict v;
	const char *allowed = ax_probe_opt(ctx, "superusers") ? ax_probe_opt(ctx, "superusers") : "root mysql";
	ax_verdict_init(&v, "db.superusers", "accounts");
	if (ax_db_rows_query(db, "SELECT User, Host, is_role, Super_priv FROM mysql.user ORDER BY 1, 2", NULL, &all) < 0 ||
	    ax_db_rows_query(db,
			     ROLE_CLOSURE "SELECT u.User, u.Host, '' FROM mysql.user u WHERE u.Super_priv = 'Y' AND u.is_role = 'N'"
					  " UNION SELECT a.User, a.Host, r.Role FROM r JOIN mysql.user g ON g.User = r.Role AND g.Host = ''"
					  " AND g.Super_priv = 'Y' JOIN mysql.user a ON a.User = r.User AND a.Host = r.Host AND a.is_role = 'N'"
					  " ORDER BY 1, 2, 3",
			     NULL, &su) < 0 ||
	    ax_db_rows_query(db, "SELECT Role, User, Host FROM mysql.roles_mapping ORDER BY 1, 2, 3", NULL, &members) < 0) {
		ax_verdict_add(&v, AX_CHECK_ERROR, NULL, "grant tables: %s", ax_error_last());
		goto done;
	}
	for (size_t i = 0; i < all.nrows; i++) {
		int role = strcmp(ax_db_rows_cell(&all, i, 2), "Y") == 0;
		json_array_append_new(pop, json_sprintf("%s %s%s", role ? "role" : "account",
							ax_db_account_name(ctx, ax_db_rows_cell(&all, i, 0), ax_db_rows_cell(&all, i, 1), name),
							strcmp(ax_db_rows_cell(&all, i, 3), "Y") == 0 ? " super" : ""));
	}
	for (size_t i = 0; i < members.nrows; i++) {
		char *g = ax_strdup(ax_db_role_name(ctx, ax_db_rows_cell(&members, i, 0), name));
		json_array_append_new(pop, json_sprintf("member %s of %s",
							ax_db_account_name(ctx, ax_db_rows_cell(&members, i, 1), ax_db_rows_cell(&members, i, 2), name), g));
		free(g);
	}
	/* one item per account: SUPER held directly and through which roles */
	for (size_t i = 0; i < su.nrows;) {
		const char *user = ax_db_rows_cell(&su, i, 0), *host = ax_db_rows_cell(&su, i, 1);
		int direct = 0;
		struct ax_buf via = AX_BUF_INIT;
		for (; i < su.nrows && strcmp(ax_db_rows_cell(&su, i, 0), user) == 0 && strcmp(ax_db_rows_cell(&su, i, 1), host) == 0;
		     i++) {
			if (!ax_db_rows_cell(&su, i, 2)[0])
				direct = 1;
			else
				ax_buf_printf(&via, "%s%s", via.size ? "," : "", ax_db_rows_cell(&su, i, 2));
		}
		ax_buf_puts(&via, "");
		char *roles = ax_db_role_list(ctx, via.ptr, name);
		const char *a = ax_db_account_name(ctx, user, host, name);
		json_t *o = json_pack("{s:s,s:b,s:s}", "account", a, "direct", direct, "through_roles", roles);
		if (ax_db_allowed(allowed, user, host))
			ax_verdict_add(&v, AX_CHECK_PASS, o, "%s", a);
		else
			ax_verdict_add(&v, AX_CHECK_FAIL, o, "%s holds SUPER%s%s%s", a, direct ? " (granted on *.*)" : "",
				       roles[0] ? " through role " : "", roles);
		free(roles);
		ax_buf_free(&via);
	}
done:
	ax_verdict_emit(ctx, &v, "only the allowed accounts hold SUPER", "no account holds SUPER");
	ax_db_rows_free(&all);
	ax_db_rows_free(&su);
	ax_db_rows_free(&members);
}

/* Every authentication method of every account (IDENTIFIED VIA a OR b:
 * the alternatives in $.auth_or, whose empty element stands for the
 * top-level one): its plugin and whether its stored string is empty.
 * An account without a plugin uses mysql_native_password. */
static const char auth_sql[] =
	"SELECT g.User, g.Host, coalesce(json_extract(g.Priv, '$.account_locked'), 'false'),"
	" coalesce(json_value(g.Priv, '$.plugin'), 'mysql_native_password'),"
	" coalesce(json_value(g.Priv, '$.authentication_string'), '') = ''"
	" FROM mysql.global_priv g WHERE coalesce(json_extract(g.Priv, '$.is_role'), 'false') <> 'true'"
	" UNION ALL SELECT g.User, g.Host, coalesce(json_extract(g.Priv, '$.account_locked'), 'false'), m.plugin,"
	" coalesce(m.auth, '') = ''"
	" FROM mysql.global_priv g, JSON_TABLE(coalesce(json_extract(g.Priv, '$.auth_or'), '[]'), '$[*]'"
	" COLUMNS (plugin VARCHAR(64) PATH '$.plugin', auth TEXT PATH '$.authentication_string')) m"
	" WHERE m.plugin IS NOT NULL AND coalesce(json_extract(g.Priv, '$.is_role'), 'false') <> 'true'"
	" ORDER BY 1, 2, 4";

static int native(const char *plugin)
{
	return strcmp(plugin, "mysql_native_password") == 0 || strcmp(plugin, "mysql_old_password") == 0;
}

static void check_auth(struct ax_probe_ctx *ctx, struct ax_leaddb *db, struct ax_buf *name)
{
	struct ax_db_rows m = {0};
	struct ax_verdict nopw, hash;
	if (ax_db_rows_query(db, auth_sql, NULL, &m) < 0) {
		ax_probe_result(ctx, "db.no_password", AX_CHECK_ERROR, NULL, "mysql.global_priv: %s", ax_error_last());
		ax_probe_result(ctx, "db.password_hash", AX_CHECK_ERROR, NULL, "mysql.global_priv: %s", ax_error_last());
		return;
	}
	ax_verdict_init(&nopw, "db.no_password", "accounts");
	ax_verdict_init(&hash, "db.password_hash", "methods");
	for (size_t i = 0; i < m.nrows; i++) {
		const char *a = ax_db_account_name(ctx, ax_db_rows_cell(&m, i, 0), ax_db_rows_cell(&m, i, 1), name);
		const char *plugin = ax_db_rows_cell(&m, i, 3);
		int locked = strcmp(ax_db_rows_cell(&m, i, 2), "true") == 0, empty = strcmp(ax_db_rows_cell(&m, i, 4), "1") == 0;
		/* unix_socket, gssapi, pam: the credential is the OS or Kerberos
		 * identity, not a stored password; ed25519/parsec store a key */
		int none = native(plugin) && empty;
		json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "account", a, "plugin", plugin, "password",
				      none ? "none" : empty ? "not stored" : "stored", "locked", locked);
		if (none && !locked)
			ax_verdict_add(&nopw, AX_CHECK_FAIL, json_incref(o), "%s can log in without a password (%s, empty)", a,
				       plugin);
		else
			ax_verdict_add(&nopw, AX_CHECK_PASS, json_incref(o), "%s", a);
		if (!none && strcmp(plugin, "mysql_native_password") == 0)
			ax_verdict_add(&hash, AX_CHECK_FAIL, o, "%s: mysql_native_password hash (unsalted double SHA-1)", a);
		else if (!none && strcmp(plugin, "mysql_old_password") == 0)
			ax_verdict_add(&hash, AX_CHECK_FAIL, o, "%s: mysql_old_password hash (pre-4.1)", a);
		else
			ax_verdict_add(&hash, AX_CHECK_PASS, o, "%s", a);
	}
	ax_verdict_emit(ctx, &nopw, "every account needs a password, a key or an OS identity (or is locked)",
			"no account visible");
	ax_verdict_emit(ctx, &hash, "no password is stored as an unsalted SHA-1 or pre-4.1 hash", "no account visible");
	ax_db_rows_free(&m);
}

/* Accounts and roles that can INSERT, UPDATE, DELETE or DROP (which
 * TRUNCATE needs) table $1 of the connection's database: granted on *.*,
 * on the database (mysql.db patterns, wildcards as GRANT reads them), on
 * the table or on a column, directly or through roles. Accounts with SUPER
 * are db.superusers'. */
static const char writers_sql[] =
	ROLE_CLOSURE ", p(priv, name) AS (SELECT 'INSERT', 'Insert' UNION ALL SELECT 'UPDATE', 'Update'"
	" UNION ALL SELECT 'DELETE', 'Delete' UNION ALL SELECT 'DROP', 'Drop'),"
	" w(User, Host, priv) AS ("
	" SELECT u.User, u.Host, p.priv FROM mysql.user u JOIN p ON CASE p.priv WHEN 'INSERT' THEN u.Insert_priv"
	" WHEN 'UPDATE' THEN u.Update_priv WHEN 'DELETE' THEN u.Delete_priv ELSE u.Drop_priv END = 'Y'"
	" UNION SELECT d.User, d.Host, p.priv FROM mysql.db d JOIN p ON CASE p.priv WHEN 'INSERT' THEN d.Insert_priv"
	" WHEN 'UPDATE' THEN d.Update_priv WHEN 'DELETE' THEN d.Delete_priv ELSE d.Drop_priv END = 'Y'"
	" WHERE DATABASE() LIKE d.Db"
	" UNION SELECT t.User, t.Host, p.priv FROM mysql.tables_priv t JOIN p ON find_in_set(p.name, t.Table_priv) > 0"
	" WHERE t.Db = DATABASE() AND t.Table_name = $1"
	" UNION SELECT c.User, c.Host, p.priv FROM mysql.columns_priv c JOIN p ON find_in_set(p.name, c.Column_priv) > 0"
	" WHERE c.Db = DATABASE() AND c.Table_name = $1),"
	" e(User, Host, priv, via) AS (SELECT User, Host, priv, '' FROM w"
	" UNION SELECT r.User, r.Host, w.priv, r.Role FROM r JOIN w ON w.User = r.Role AND w.Host = '')"
	" SELECT e.User, e.Host, group_concat(DISTINCT e.priv ORDER BY e.priv),"
	" coalesce(group_concat(DISTINCT nullif(e.via, '') ORDER BY e.via), '')"
	" FROM e JOIN mysql.user a ON a.User = e.User AND a.Host = e.Host WHERE a.Super_priv <> 'Y'"
	" GROUP BY e.User, e.Host ORDER BY 1, 2";

static const struct ax_db_writers_sql writers = {
	"SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = $1",
	writers_sql,
	"account",
};

int ax_db_roles_mysql(struct ax_probe_ctx *ctx, struct ax_leaddb *db, json_t *pop, struct ax_buf *name)
{
	struct ax_db_rows probe = {0};
	int rc = ax_db_rows_query(db,
				  "SELECT (SELECT count(*) FROM mysql.user) + (SELECT count(*) FROM mysql.global_priv)"
				  " + (SELECT count(*) FROM mysql.db) + (SELECT count(*) FROM mysql.tables_priv)"
				  " + (SELECT count(*) FROM mysql.columns_priv) + (SELECT count(*) FROM mysql.roles_mapping)",
				  NULL, &probe);
	ax_db_rows_free(&probe);
	if (rc < 0) {
		for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
			ax_probe_result(ctx, checks[i], AX_CHECK_SKIP, NULL,
					"grants of other accounts not visible to this account (MariaDB shows an account only its own;"
					" the mysql grant tables need SELECT on mysql.*: %s)",
					ax_error_last());
		return 1;
	}
	check_superusers(ctx, db, pop, name);
	check_auth(ctx, db, name);
	ax_db_check_writers(ctx, db, &writers, pop, name);
	return 0;
}
