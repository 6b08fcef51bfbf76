/* privileges.c - the `privileges` probe: who can become root.
 *
 * Reads sudoers below `root` with its includes (sudoers_parse.h: aliases,
 * tags and runas lists as sudo reads them) and the members of the groups
 * that amount to root (sudo, wheel, adm, docker, lxd, disk by default).
 * Lists every grant that gives root's whole power (ALL, a shell or su run
 * as root), fails on those that need no password, and records grants and
 * memberships added and revoked since the previous run. Users appear as
 * pseudonyms unless [privacy] show-user-names is on; group names, UIDs
 * and commands are not personal and appear as written. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etcfiles.h"
#include "access_changes.h"
#include "probe.h"
#include "redact.h"
#include "sudoers_parse.h"
#include "util.h"
#include "verdict.h"

#define SUDOERS_FILE_MAX ((size_t)4 << 20)
#define INCLUDE_DEPTH 8

static const struct ax_option privileges_options[] = {
	{"root", AX_OPT_STRING, "/", 0, NULL, 0, 0, "folder holding the system's /etc (a copy of a system, a container's root)"},
	{"sudoers", AX_OPT_STRING, "/etc/sudoers", 0, NULL, 0, 0, "the sudoers file below root"},
	{"admin-groups", AX_OPT_STRING, "sudo wheel admin adm docker lxd disk", 0, NULL, 0, 0,
	 "groups whose members hold root-equivalent or privileged rights (space-separated)"},
	{NULL},
};

static const struct ax_check_def privileges_checks[] = {
	{"privileges.sudoers", "who can become root through sudo, and whether sudoers parses"},
	{"privileges.nopasswd_all", "no sudo grant gives root's whole power without a password (NOPASSWD: ALL)"},
	{"privileges.groups", "the members of the privileged groups"},
	{"privileges.changes", "grants and memberships added and revoked since the previous run"},
	AX_PROBE_KEY_CHECK,
	{NULL},
};

static const char *const privileges_files[] = {"/etc/sudoers", "/etc/sudoers.d", "/etc/passwd", "/etc/group", NULL};

static const struct ax_probe_access privileges_access = {
	.flags = AX_ACCESS_ROOT, /* sudoers is 0440 root:root */
	.root = "root",
	.under_root = privileges_files,
};

struct loader {
	struct ax_sudoers *s;
	const char *root;
	struct ax_buf errors;
	size_t files;
};

static void load_file(struct loader *ld, const char *path, int depth);

static int skip_entry(const char *name)
{
	/* sudo skips names ending in '~' or containing '.' (editor backups, dpkg leftovers) */
	size_t n = strlen(name);
	return !n || strchr(name, '.') != NULL || name[n - 1] == '~';
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(struct loader *ld, const char *dir, int depth)
{
	char *real = ax_etc_path(ld->root, dir);
	DIR *d = opendir(real);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	if (!d) {
		ax_buf_printf(&ld->errors, "%s: cannot list; ", dir);
		free(real);
		return;
	}
	while ((e = readdir(d)) != NULL && n < 10000) {
		/* sudo reads only regular files of the folder (a subfolder or a
		 * dangling link is no error to it): stat, as sudo does */
		struct stat sb;
		char *one = ax_asprintf("%s/%s", real, e->d_name);
		int regular = stat(one, &sb) == 0 && S_ISREG(sb.st_mode);
		free(one);
		if (regular && !skip_entry(e->d_name)) {
			names = ax_realloc(names, (n + 1) * sizeof(*names));
			names[n++] = ax_asprintf("%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		load_file(ld, names[i], depth);
		free(names[i]);
	}
	free(names);
	free(real);
}

static void load_file(struct loader *ld, const char *path, int depth)
{
	char *real = ax_etc_path(ld->root, path);
	struct ax_buf text = AX_BUF_INIT;
	size_t first = ld->s->nincludes;
	if (ax_file_read(real, SUDOERS_FILE_MAX, &text) < 0) {
		ax_buf_printf(&ld->errors, "%s: %s; ", path, ax_error_last());
		goto cleanup;
	}
	ld->files++;
	ax_sudoers_parse(ld->s, path, ax_buf_cstr(&text), text.size);
	size_t last = ld->s->nincludes;
	for (size_t i = first; i < last; i++) {
		const struct ax_sudo_include *inc = &ld->s->includes[i];
		char *target;
		if (depth >= INCLUDE_DEPTH) {
			ax_buf_printf(&ld->errors, "%s:%d: includes nested too deep; ", inc->file, inc->line);
			continue;
		}
		if (inc->path[0] == '/') {
			target = ax_strdup(inc->path);
		} else { /* relative to the including file's folder (sudo 1.9.1) */
			const char *slash = strrchr(path, '/');
			target = ax_asprintf("%.*s/%s", slash ? (int)(slash - path) : 1, slash ? path : "/", inc->path);
		}
		if (inc->dir)
			load_dir(ld, target, depth + 1);
		else
			load_file(ld, target, depth + 1);
		free(target);
	}
cleanup:
	ax_buf_free(&text);
	free(real);
}

/* A sudoers user item as evidence shows it: plain user names pseudonymised. */
static void who_name(const struct ax_probe_ctx *ctx, const char *who, struct ax_buf *out)
{
	if (strchr("%#+", who[0]) || strcmp(who, "ALL") == 0)
		ax_buf_puts(out, who);
	else
		ax_probe_user_name(ctx, who, out);
}

/* A runas list ("root,alice" or "(:group)" when only a group was given)
 * as evidence shows it: the users in it are people as much as the grantee
 * is, so plain names are pseudonymised too; root, the one every system
 * has, stays readable, as it is what the listing is about. */
static void runas_name(const struct ax_probe_ctx *ctx, const char *runas, struct ax_buf *out)
{
	if (runas[0] == '(') {
		ax_buf_puts(out, runas);
		return;
	}
	for (const char *p = runas; *p;) {
		size_t n = strcspn(p, ",");
		char *one = ax_strndup(p, n);
		if (p != runas)
			ax_buf_putc(out, ',');
		if (strcmp(one, "root") == 0)
			ax_buf_puts(out, one);
		else
			who_name(ctx, one, out);
		free(one);
		p += n;
		if (*p == ',')
			p++;
	}
}

static void report_sudo(struct ax_probe_ctx *ctx, struct ax_sudoers *s, struct loader *ld, json_t *pop)
{
	struct ax_verdict nopw;
	struct ax_buf who = AX_BUF_INIT, runas = AX_BUF_INIT;
	json_t *root_grants = json_array();
	size_t nroot = 0;
	ax_verdict_init(&nopw, "privileges.nopasswd_all", "grants");
	for (size_t i = 0; i < s->ngrants; i++) {
		const struct ax_sudo_grant *g = &s->grants[i];
		ax_buf_clear(&who);
		who_name(ctx, g->who, &who);
		ax_buf_clear(&runas);
		runas_name(ctx, g->runas, &runas);
		/* a command line may carry a password (--password=...) */
		struct ax_buf cmd = AX_BUF_INIT;
		if (ax_redact(g->command, strlen(g->command), NULL, &cmd) < 0)
			ax_buf_puts(&cmd, "[REDACTED]");
		json_array_append_new(pop, json_sprintf("sudo %s -> %s: %s%s", ax_buf_cstr(&who), ax_buf_cstr(&runas), ax_buf_cstr(&cmd),
							g->nopasswd ? " NOPASSWD" : ""));
		ax_buf_free(&cmd);
		if (!g->full || !g->as_root)
			continue;
		json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s,s:i}", "who", ax_buf_cstr(&who), "runas", ax_buf_cstr(&runas), "command",
				      g->command, "nopasswd", g->nopasswd, "file", g->file, "line", g->line);
		json_array_append(root_grants, o);
		nroot++;
		if (g->nopasswd)
			ax_verdict_add(&nopw, AX_CHECK_FAIL, o, "%s may run %s as root without a password (%s:%d)",
				       ax_buf_cstr(&who), g->command, g->file, g->line);
		else
			ax_verdict_add(&nopw, AX_CHECK_PASS, o, "%s", ax_buf_cstr(&who));
	}
	json_t *obs = json_pack("{s:O,s:I,s:I}", "root_grants", root_grants, "grants", (json_int_t)s->ngrants, "files",
				(json_int_t)ld->files);
	if (s->bad_lines || ld->errors.size) {
		json_object_set_new(obs, "bad_lines", json_integer((json_int_t)s->bad_lines));
		ax_probe_result(ctx, "privileges.sudoers", AX_CHECK_ERROR, obs, "%zu can become root; sudoers incomplete: %s%s",
				nroot, ax_buf_cstr(&ld->errors), s->first_error ? s->first_error : "");
	} else {
		ax_probe_result(ctx, "privileges.sudoers", AX_CHECK_INFO, obs,
				"%zu grant(s) of root's whole power in %zu sudoers file(s)", nroot, ld->files);
	}
	ax_verdict_emit(ctx, &nopw, "every grant of root's whole power asks for a password", "no sudo grant gives root's whole power");
	json_decref(root_grants);
	ax_buf_free(&who);
	ax_buf_free(&runas);
}

static void report_groups(struct ax_probe_ctx *ctx, const struct ax_etc_db *db, json_t *pop)
{
	char *list = ax_strdup(ax_probe_opt(ctx, "admin-groups")), *save = NULL;
	struct ax_buf who = AX_BUF_INIT;
	json_t *groups = json_object();
	size_t members = 0;
	for (char *g = strtok_r(list, " \t,", &save); g; g = strtok_r(NULL, " \t,", &save)) {
		const struct ax_etc_group *grp = ax_etc_group_find(db, g);
		if (!grp)
			continue;
		json_t *arr = json_array();
		for (size_t u = 0; u < db->nusers; u++) {
			if (!ax_etc_in_group(db, grp, db->users[u].name))
				continue;
			ax_buf_clear(&who);
			ax_probe_user_name(ctx, db->users[u].name, &who);
			json_array_append_new(arr, json_string(ax_buf_cstr(&who)));
			json_array_append_new(pop, json_sprintf("group %s %s", g, ax_buf_cstr(&who)));
			members++;
		}
		/* members listed in group but without an account still count for sudo's %group */
		for (size_t m = 0; m < grp->nmembers; m++) {
			if (ax_etc_user_find(db, grp->members[m]))
				continue;
			ax_buf_clear(&who);
			ax_probe_user_name(ctx, grp->members[m], &who);
			json_array_append_new(arr, json_string(ax_buf_cstr(&who)));
			json_array_append_new(pop, json_sprintf("group %s %s", g, ax_buf_cstr(&who)));
			members++;
		}
		json_object_set_new(groups, g, arr);
	}
	ax_probe_result(ctx, "privileges.groups", AX_CHECK_INFO, json_pack("{s:o}", "groups", groups),
			"%zu member(s) of the privileged groups", members);
	ax_buf_free(&who);
	free(list);
}

static int privileges_run(struct ax_probe_ctx *ctx)
{
	const char *root = ax_probe_opt(ctx, "root"), *main_file = ax_probe_opt(ctx, "sudoers");
	struct ax_etc_db db = {0};
	struct ax_sudoers s = {0};
	struct loader ld = {&s, root, AX_BUF_INIT, 0};
	json_t *pop = json_array();
	char *real = ax_etc_path(root, main_file);
	int rc;

	ax_probe_report_key(ctx);
	if ((rc = ax_etc_load(&db, root, 0)) < 0)
		goto cleanup;
	if (access(real, F_OK) < 0) {
		ax_probe_result(ctx, "privileges.sudoers", AX_CHECK_SKIP, NULL, "%s does not exist (sudo not installed)", main_file);
		ax_probe_result(ctx, "privileges.nopasswd_all", AX_CHECK_SKIP, NULL, "no sudoers");
	} else {
		load_file(&ld, main_file, 0);
		ax_sudoers_resolve(&s);
		report_sudo(ctx, &s, &ld, pop);
	}
	report_groups(ctx, &db, pop);
	ax_access_changes_report(ctx, "privileges.changes", "privileges", pop);
cleanup:
	free(real);
	json_decref(pop);
	ax_buf_free(&ld.errors);
	ax_sudoers_free(&s);
	ax_etc_db_free(&db);
	return rc;
}

const struct probe probe_privileges = {
	.name = "privileges",
	.summary = "who can become root: sudoers grants (NOPASSWD: ALL flagged) and privileged group members",
	.options = privileges_options,
	.checks = privileges_checks,
	.run = privileges_run,
	.access = &privileges_access,
};
