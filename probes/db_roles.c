/* db_roles.c - the `db-roles` probe: who holds which role in the lead
 * database (PostgreSQL here; MariaDB/MySQL in db_roles_mysql.c).
 *
 * Reads pg_roles and pg_auth_members (any role may), the password state
 * of login roles from pg_authid and the authentication rules from
 * pg_hba_file_rules (both superuser-only: without the right the checks
 * that need them report `skip` and say why), and has_table_privilege()
 * for every non-superuser role on the consent tables. The password state
 * is classified inside the database (none, scram-sha-256, md5, other): no
 * hash ever leaves the server. Role names are pseudonyms unless [privacy]
 * show-user-names is on (a role may be named after a person). Roles,
 * memberships and write grants added and removed since the previous run
 * are recorded (population.h). SQLite has no roles: `skip`. */
#include <stdlib.h>
#include <string.h>

#include "access_changes.h"
#include "db_roles_mysql.h"
#include "db_roles_shared.h"
#include "probe.h"
#include "util.h"
#include "verdict.h"

static const struct ax_option db_roles_options[] = {
	{"database", AX_OPT_DBURI, NULL, AX_OPT_REQUIRED | AX_OPT_SECRET, NULL, 0, 0,
	 "lead database: postgresql://user@host/db?... or mysql://user@host/db?... (sqlite: has no roles: skip)"},
	{"password-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "mysql://: file whose first line is the password"},
	{"defaults-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "mysql://: my.cnf-style file; its [client] group gives the password"},
	{"tables", AX_OPT_STRING, "leads subscriptions lists subscribers subscriber_lists", 0, NULL, 0, 0,
	 "consent tables whose writers are checked (space-separated; missing ones are ignored)"},
	{"superusers", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "roles allowed to be superuser (space-separated; unset: postgres, or root and mysql for MariaDB/MySQL)"},
	{"consent-writers", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "roles allowed to write the consent tables (space-separated); unset: the writers are only listed"},
	{"query-timeout", AX_OPT_DURATION, "30s", 0, NULL, 1, 86400, "deadline of each query"},
	{NULL},
};

static const struct ax_check_def db_roles_checks[] = {
	{"db.superusers", "no role but the allowed ones is superuser (MariaDB: holds SUPER)"},
	{"db.no_password", "no role logs in without a password (PostgreSQL: no trust rule; MariaDB: no empty password)"},
	{"db.password_hash", "passwords are stored as SCRAM-SHA-256, not MD5 (MariaDB: not unsalted SHA-1 or pre-4.1)"},
	{"db.consent_write", "only the allowed roles can write the consent tables"},
	{"db.changes", "roles, memberships and write grants added and removed since the previous run"},
	AX_PROBE_KEY_CHECK,
	{NULL},
};

static const struct ax_probe_access db_roles_access = {.connect = (const char *const[]){"database", NULL}};

static void check_roles(struct ax_probe_ctx *ctx, struct ax_leaddb *db, json_t *pop, struct ax_buf *name)
{
	struct ax_db_rows roles = {0}, members = {0};
	struct ax_verdict su;
	const char *allowed = ax_probe_opt(ctx, "superusers") ? ax_probe_opt(ctx, "superusers") : "postgres";
	ax_verdict_init(&su, "db.superusers", "roles");
	if (ax_db_rows_query(db,
		  "SELECT rolname, rolsuper::text, rolcanlogin::text, rolcreaterole::text, rolbypassrls::text"
		  " FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname",
		  NULL, &roles) < 0) {
		ax_verdict_add(&su, AX_CHECK_ERROR, NULL, "pg_roles: %s", ax_error_last());
		goto done;
	}
	for (size_t i = 0; i < roles.nrows; i++) {
		const char *r = ax_db_role_name(ctx, ax_db_rows_cell(&roles, i, 0), name);
		int super = strcmp(ax_db_rows_cell(&roles, i, 1), "true") == 0, login = strcmp(ax_db_rows_cell(&roles, i, 2), "true") == 0;
		json_array_append_new(pop, json_sprintf("role %s%s%s%s%s", r, super ? " superuser" : "", login ? " login" : "",
							strcmp(ax_db_rows_cell(&roles, i, 3), "true") == 0 ? " createrole" : "",
							strcmp(ax_db_rows_cell(&roles, i, 4), "true") == 0 ? " bypassrls" : ""));
		if (!super)
			continue;
		json_t *o = json_pack("{s:s,s:b}", "role", r, "login", login);
		if (ax_db_in_words(allowed, ax_db_rows_cell(&roles, i, 0)))
			ax_verdict_add(&su, AX_CHECK_PASS, o, "%s", r);
		else
			ax_verdict_add(&su, AX_CHECK_FAIL, o, "%s is superuser%s", r, login ? " and can log in" : "");
	}
	if (ax_db_rows_query(db,
		  "SELECT g.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid"
		  " JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2",
		  NULL, &members) == 0) {
		for (size_t i = 0; i < members.nrows; i++) {
			char *g = ax_strdup(ax_db_role_name(ctx, ax_db_rows_cell(&members, i, 0), name));
			json_array_append_new(pop, json_sprintf("member %s of %s", ax_db_role_name(ctx, ax_db_rows_cell(&members, i, 1), name), g));
			free(g);
		}
	}
done:
	ax_verdict_emit(ctx, &su, "only the allowed roles are superuser", "no superuser visible");
	ax_db_rows_free(&roles);
	ax_db_rows_free(&members);
}

static void check_auth(struct ax_probe_ctx *ctx, struct ax_leaddb *db, struct ax_buf *name)
{
	struct ax_db_rows hba = {0}, auth = {0};
	if (ax_db_rows_query(db,
		  "SELECT type, array_to_string(database, ','), array_to_string(user_name, ','), coalesce(address, ''),"
		  " auth_method, line_number::text FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number",
		  NULL, &hba) < 0) {
		/* pg_hba_file_rules is for superusers (and pg_read_all_settings from 16) */
		ax_probe_result(ctx, "db.no_password", AX_CHECK_SKIP, NULL,
				"authentication rules not visible to this role (pg_hba_file_rules: %s)", ax_error_last());
	} else {
		struct ax_verdict v;
		ax_verdict_init(&v, "db.no_password", "rules");
		for (size_t i = 0; i < hba.nrows; i++) {
			char *users = ax_strdup(ax_db_rows_cell(&hba, i, 2)), *save = NULL;
			struct ax_buf shown = AX_BUF_INIT;
			for (char *u = strtok_r(users, ",", &save); u; u = strtok_r(NULL, ",", &save))
				ax_buf_printf(&shown, "%s%s", shown.size ? "," : "", ax_db_role_name(ctx, u, name));
			json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", ax_db_rows_cell(&hba, i, 0), "database", ax_db_rows_cell(&hba, i, 1),
					      "users", ax_buf_cstr(&shown), "address", ax_db_rows_cell(&hba, i, 3), "method",
					      ax_db_rows_cell(&hba, i, 4), "line", ax_db_rows_cell(&hba, i, 5));
			if (strcmp(ax_db_rows_cell(&hba, i, 4), "trust") == 0)
				ax_verdict_add(&v, AX_CHECK_FAIL, o, "pg_hba.conf line %s: %s %s for %s without a password (trust)",
					       ax_db_rows_cell(&hba, i, 5), ax_db_rows_cell(&hba, i, 0), ax_db_rows_cell(&hba, i, 3)[0] ? ax_db_rows_cell(&hba, i, 3) : "socket",
					       ax_buf_cstr(&shown));
			else
				ax_verdict_add(&v, AX_CHECK_PASS, o, "line %s", ax_db_rows_cell(&hba, i, 5));
			ax_buf_free(&shown);
			free(users);
		}
		ax_verdict_emit(ctx, &v, "every authentication rule asks for a credential", "no authentication rule visible");
	}
	if (ax_db_rows_query(db,
		  "SELECT rolname, CASE WHEN rolpassword IS NULL THEN 'none'"
		  " WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'"
		  " WHEN rolpassword LIKE 'md5%' THEN 'md5' ELSE 'other' END"
		  " FROM pg_authid WHERE rolcanlogin ORDER BY rolname",
		  NULL, &auth) < 0) {
		ax_probe_result(ctx, "db.password_hash", AX_CHECK_SKIP, NULL,
				"password state not visible to this role (pg_authid needs superuser: %s)", ax_error_last());
	} else {
		struct ax_verdict v;
		ax_verdict_init(&v, "db.password_hash", "roles");
		for (size_t i = 0; i < auth.nrows; i++) {
			const char *r = ax_db_role_name(ctx, ax_db_rows_cell(&auth, i, 0), name), *state = ax_db_rows_cell(&auth, i, 1);
			json_t *o = json_pack("{s:s,s:s}", "role", r, "password", state);
			if (strcmp(state, "md5") == 0 || strcmp(state, "other") == 0)
				ax_verdict_add(&v, AX_CHECK_FAIL, o, "%s: %s password hash", r, state);
			else
				ax_verdict_add(&v, AX_CHECK_PASS, o, "%s", r);
		}
		ax_verdict_emit(ctx, &v, "no login role has an MD5 password hash", "no login role");
	}
	ax_db_rows_free(&hba);
	ax_db_rows_free(&auth);
}

/* superusers pass every privilege test; they are db.superusers' */
static const struct ax_db_writers_sql pg_writers = {
	"SELECT (to_regclass($1) IS NOT NULL)::int",
	"SELECT r.rolname, '', string_agg(p, ',' ORDER BY p), '' FROM pg_roles r"
	" CROSS JOIN unnest(ARRAY['INSERT','UPDATE','DELETE','TRUNCATE']) AS p"
	" WHERE NOT r.rolsuper AND r.rolname !~ '^pg_' AND has_table_privilege(r.oid, $1, p)"
	" GROUP BY r.rolname ORDER BY 1",
	"role",
};

static int db_roles_run(struct ax_probe_ctx *ctx)
{
	struct ax_leaddb *db = NULL;
	struct ax_buf name = AX_BUF_INIT;
	json_t *pop = json_array();
	struct ax_leaddb_auth auth = {ax_probe_opt(ctx, "password-file"), ax_probe_opt(ctx, "defaults-file")};
	int rc;
	ax_probe_report_key(ctx);
	if ((rc = ax_leaddb_open_auth(&db, ax_probe_opt(ctx, "database"), ax_probe_opt_int(ctx, "query-timeout") * 1000,
				      &auth)) < 0)
		goto cleanup;
	if (ax_leaddb_engine(db) == AX_LEADDB_MYSQL) {
		if (ax_db_roles_mysql(ctx, db, pop, &name) == 0)
			ax_access_changes_report(ctx, "db.changes", "database accounts, roles and grants", pop);
		goto cleanup;
	}
	if (ax_leaddb_engine(db) != AX_LEADDB_POSTGRES) {
		for (size_t i = 0; db_roles_checks[i].id; i++)
			if (strcmp(db_roles_checks[i].id, "privacy.pseudonym_key") != 0)
				ax_probe_result(ctx, db_roles_checks[i].id, AX_CHECK_SKIP, NULL,
						"SQLite has no roles: file permissions decide (file probe, A.8.3)");
		goto cleanup;
	}
	check_roles(ctx, db, pop, &name);
	check_auth(ctx, db, &name);
	ax_db_check_writers(ctx, db, &pg_writers, pop, &name);
	ax_access_changes_report(ctx, "db.changes", "database roles and grants", pop);
cleanup:
	json_decref(pop);
	ax_buf_free(&name);
	ax_leaddb_free(db);
	return rc;
}

const struct probe probe_db_roles = {
	.name = "db-roles",
	.summary = "lead database roles (PostgreSQL, MariaDB): superusers, logins without a password, MD5 hashes, writers of the consent tables",
	.options = db_roles_options,
	.checks = db_roles_checks,
	.run = db_roles_run,
	.access = &db_roles_access,
};
