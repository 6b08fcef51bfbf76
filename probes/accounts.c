/* accounts.c - the `accounts` probe: who has a local login.
 *
 * Reads passwd, group and shadow below `root` (etcfiles.h: of shadow only
 * the password state and ages, never a hash) and the last logins from
 * lastlog and wtmpdb where present. Evidence names accounts by pseudonym
 * unless [privacy] show-user-names is on. Flags accounts that can log in
 * without a password, UID 0 besides root, weak password hashes and
 * personal accounts unused for longer than max-idle, and records who
 * joined and left since the previous run (population.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "etcfiles.h"
#include "leaddb.h"
#include "access_changes.h"
#include "probe.h"
#include "util.h"
#include "verdict.h"

static const struct ax_option accounts_options[] = {
	{"root", AX_OPT_STRING, "/", 0, NULL, 0, 0, "folder holding the system's /etc and /var (a copy of a system, a container's root)"},
	{"max-idle", AX_OPT_DURATION, "90d", 0, NULL, 86400, 31449600 * 3, "personal accounts with no login for longer than this fail"},
	{"min-uid", AX_OPT_INT, "1000", 0, NULL, 0, 4294967295LL, "lowest UID of personal accounts (the idle check)"},
	{NULL},
};

static const struct ax_check_def accounts_checks[] = {
	{"accounts.interactive", "the accounts with a login shell, their password state and ages"},
	{"accounts.no_password", "no account with a login shell has an empty password field"},
	{"accounts.uid0", "no account but root has UID 0"},
	{"accounts.hash", "every password hash uses yescrypt, scrypt, bcrypt or SHA-512 crypt"},
	{"accounts.idle", "no personal account went unused for longer than max-idle"},
	{"accounts.changes", "accounts added and removed since the previous run"},
	AX_PROBE_KEY_CHECK,
	{NULL},
};

static const char *const accounts_files[] = {
	"/etc/passwd", "/etc/group", "/etc/shadow", "/var/log/lastlog", "/var/lib/wtmpdb", NULL,
};

static const struct ax_probe_access accounts_access = {
	.groups = "shadow",
	.root = "root",
	.under_root = accounts_files,
};

static const char *pw_state_name(const struct ax_etc_user *u)
{
	switch (u->pw.state) {
	case AX_PW_NONE: return "none";
	case AX_PW_LOCKED: return "locked";
	case AX_PW_HASH: return "hash";
	case AX_PW_SHADOW: break;
	}
	return "unknown";
}

static void day_string(long days, char out[static 32])
{
	char ts[32];
	ax_time_format((int64_t)days * 86400, ts);
	snprintf(out, 32, "%.10s", ts);
}

static json_t *user_json(const struct ax_probe_ctx *ctx, const struct ax_etc_user *u, struct ax_buf *name)
{
	char d[32];
	ax_buf_clear(name);
	ax_probe_user_name(ctx, u->name, name);
	json_t *o = json_pack("{s:s,s:I,s:s,s:s}", "user", ax_buf_cstr(name), "uid", (json_int_t)u->uid, "shell",
			      u->shell, "password", pw_state_name(u));
	if (u->pw.scheme)
		json_object_set_new(o, "scheme", json_string(u->pw.scheme));
	if (u->lastchg > 0) {
		day_string(u->lastchg, d);
		json_object_set_new(o, "password_changed", json_string(d));
	}
	if (u->maxdays >= 0)
		json_object_set_new(o, "password_max_days", json_integer(u->maxdays));
	if (u->expire >= 0) {
		day_string(u->expire, d);
		json_object_set_new(o, "account_expires", json_string(d));
	}
	return o;
}

/* --- last logins: lastlog (binary, indexed by UID) and wtmpdb (SQLite) --- */

struct last_login {
	int64_t *at; /* per user index, 0 = none seen */
	const struct ax_etc_db *db;
	int sources;
	struct ax_buf why; /* sources that exist but could not be read */
};

/* struct lastlog of glibc on Linux: int32 time, char line[32], char host[256]. */
#define LASTLOG_RECORD 292

static void read_lastlog(struct last_login *ll, const char *root)
{
	char *path = ax_etc_path(root, "/var/log/lastlog");
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f) {
		if (stat(path, &st) == 0)
			ax_buf_printf(&ll->why, "%s unreadable; ", path);
		free(path);
		return;
	}
	ll->sources |= 1;
	for (size_t i = 0; i < ll->db->nusers; i++) {
		unsigned char rec[4];
		long uid = ll->db->users[i].uid;
		/* sparse file: a record past the end or all zero is "never" */
		if (fseeko(f, (off_t)uid * LASTLOG_RECORD, SEEK_SET) != 0 || fread(rec, 1, 4, f) != 4)
			continue;
		int32_t t = (int32_t)((uint32_t)rec[0] | (uint32_t)rec[1] << 8 | (uint32_t)rec[2] << 16 |
				      (uint32_t)rec[3] << 24);
		if (t > ll->at[i])
			ll->at[i] = t;
	}
	fclose(f);
	free(path);
}

static int wtmp_row(void *arg, size_t ncols, const char *const *cells)
{
	struct last_login *ll = arg;
	if (ncols < 2 || !cells[0] || !cells[1])
		return 0;
	int64_t t = strtoll(cells[1], NULL, 10) / 1000000; /* microseconds */
	for (size_t i = 0; i < ll->db->nusers; i++)
		if (strcmp(ll->db->users[i].name, cells[0]) == 0 && t > ll->at[i])
			ll->at[i] = t;
	return 0;
}

static void read_wtmpdb(struct last_login *ll, const char *root)
{
	char *path = ax_etc_path(root, "/var/lib/wtmpdb/wtmp.db"), *uri = ax_asprintf("sqlite:%s", path);
	struct ax_leaddb *db = NULL;
	struct stat st;
	if (stat(path, &st) == 0) {
		/* Type 3 is USER_PROCESS, a login (wtmpdb.h) */
		if (ax_leaddb_open(&db, uri, 10000) < 0 ||
		    ax_leaddb_each(db, "SELECT User, max(Login) FROM wtmp WHERE Type = 3 GROUP BY User", NULL, 0,
				   wtmp_row, ll) < 0)
			ax_buf_printf(&ll->why, "%s: %s; ", path, ax_error_last());
		else
			ll->sources |= 2;
	}
	ax_leaddb_free(db);
	free(uri);
	free(path);
}

static void check_idle(struct ax_probe_ctx *ctx, const struct ax_etc_db *db, const char *root)
{
	struct last_login ll = {.at = ax_calloc(db->nusers + 1, sizeof(int64_t)), .db = db};
	struct ax_verdict v;
	struct ax_buf name = AX_BUF_INIT;
	int64_t now = ax_probe_now(ctx), max_idle = ax_probe_opt_int(ctx, "max-idle");
	int64_t min_uid = ax_probe_opt_int(ctx, "min-uid");
	read_lastlog(&ll, root);
	read_wtmpdb(&ll, root);
	ax_verdict_init(&v, "accounts.idle", "accounts");
	if (!ll.sources) {
		ax_probe_result(ctx, "accounts.idle", ll.why.size ? AX_CHECK_ERROR : AX_CHECK_SKIP, NULL,
				"no login records: %s", ll.why.size ? ax_buf_cstr(&ll.why) : "neither lastlog nor wtmpdb present");
		json_decref(v.items);
		goto cleanup;
	}
	for (size_t i = 0; i < db->nusers; i++) {
		const struct ax_etc_user *u = &db->users[i];
		if (u->uid < min_uid || u->uid == 65534 || !ax_etc_interactive(u->shell))
			continue;
		char seen[32] = "never";
		int64_t since = ll.at[i];
		if (since)
			ax_time_format(since, seen);
		else if (u->lastchg > 0)
			since = (int64_t)u->lastchg * 86400; /* never logged in: idle since it got its password */
		ax_buf_clear(&name);
		ax_probe_user_name(ctx, u->name, &name);
		json_t *item = json_pack("{s:s,s:s}", "user", ax_buf_cstr(&name), "last_login", seen);
		if (since && now - since > max_idle)
			ax_verdict_add(&v, AX_CHECK_FAIL, item, "%s: last login %s", ax_buf_cstr(&name), seen);
		else if (!since)
			ax_verdict_add(&v, AX_CHECK_ERROR, item, "%s: never logged in and no password date", ax_buf_cstr(&name));
		else
			ax_verdict_add(&v, AX_CHECK_PASS, item, "%s", ax_buf_cstr(&name));
	}
	ax_verdict_emit(ctx, &v, "every personal account logged in within max-idle", "no personal account");
cleanup:
	free(ll.at);
	ax_buf_free(&ll.why);
	ax_buf_free(&name);
}

static int accounts_run(struct ax_probe_ctx *ctx)
{
	const char *root = ax_probe_opt(ctx, "root");
	struct ax_etc_db db = {0};
	struct ax_verdict inter, nopw, uid0, hash;
	struct ax_buf name = AX_BUF_INIT;
	json_t *pop = NULL;
	int rc;

	ax_probe_report_key(ctx);
	if ((rc = ax_etc_load(&db, root, 1)) < 0)
		goto cleanup;
	ax_verdict_init(&inter, "accounts.interactive", "accounts");
	ax_verdict_init(&nopw, "accounts.no_password", "accounts");
	ax_verdict_init(&uid0, "accounts.uid0", "accounts");
	ax_verdict_init(&hash, "accounts.hash", "accounts");
	pop = json_array();
	for (size_t i = 0; i < db.nusers; i++) {
		const struct ax_etc_user *u = &db.users[i];
		int login = ax_etc_interactive(u->shell);
		json_t *o = user_json(ctx, u, &name);
		const char *who = ax_buf_cstr(&name);
		json_array_append_new(pop, json_sprintf("%s uid=%ld shell=%s", who, u->uid, u->shell));
		if (u->uid == 0)
			ax_verdict_add(&uid0, strcmp(u->name, "root") == 0 ? AX_CHECK_PASS : AX_CHECK_FAIL,
				       json_incref(o), "%s has UID 0", who);
		if (u->pw.state == AX_PW_HASH)
			ax_verdict_add(&hash, u->pw.weak ? AX_CHECK_FAIL : AX_CHECK_PASS, json_incref(o), "%s: %s hash",
				       who, u->pw.scheme);
		if (login) {
			if (u->pw.state == AX_PW_NONE)
				ax_verdict_add(&nopw, AX_CHECK_FAIL, json_incref(o), "%s can log in without a password", who);
			else if (u->pw.state == AX_PW_SHADOW)
				ax_verdict_add(&nopw, AX_CHECK_ERROR, json_incref(o), "%s: password state unknown (%s)", who,
					       db.shadow_error ? db.shadow_error : "not in shadow");
			else
				ax_verdict_add(&nopw, AX_CHECK_PASS, json_incref(o), "%s", who);
			ax_verdict_add(&inter, AX_CHECK_INFO, json_incref(o), "%s", who);
		}
		json_decref(o);
	}
	if (!db.shadow_read)
		ax_verdict_add(&hash, AX_CHECK_ERROR, NULL, "shadow: %s", db.shadow_error ? db.shadow_error : "not read");
	if (inter.touched) {
		ax_probe_result(ctx, "accounts.interactive", AX_CHECK_INFO, json_pack("{s:O}", "accounts", inter.items),
				"%zu account(s) with a login shell", json_array_size(inter.items));
		json_decref(inter.items);
		ax_buf_free(&inter.why);
	} else {
		ax_verdict_emit(ctx, &inter, "", "no account has a login shell");
	}
	ax_verdict_emit(ctx, &nopw, "every account with a login shell has a password or is locked",
			"no account has a login shell");
	ax_verdict_emit(ctx, &uid0, "only root has UID 0", "no account has UID 0");
	ax_verdict_emit(ctx, &hash, "every password hash uses a current scheme", "no account has a password hash");
	check_idle(ctx, &db, root);
	ax_access_changes_report(ctx, "accounts.changes", "accounts", pop);
cleanup:
	json_decref(pop);
	ax_buf_free(&name);
	ax_etc_db_free(&db);
	return rc;
}

const struct probe probe_accounts = {
	.name = "accounts",
	.summary = "local accounts: login shells, password state (never the hash), UID 0, idle accounts, joiners and leavers",
	.options = accounts_options,
	.checks = accounts_checks,
	.run = accounts_run,
	.access = &accounts_access,
};
