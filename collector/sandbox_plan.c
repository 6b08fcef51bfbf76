/* sandbox_plan.c - what one probe instance's child may reach (sandbox.h):
 * derived from its type's access declaration (probe.h) and its options.
 *
 * Guarantees: no grant reaches a protected path (the store, its WAL, the
 * signing key, the config file), whatever an option names; paths are
 * compared after resolving symbolic links. */
#include "sandbox.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "leaddb.h"
#include "leaddb_mysql.h"
#include "probe.h"

static int listed(const char *const *keys, const char *key)
{
	for (size_t i = 0; keys && keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	return 0;
}

/* The path with symbolic links resolved when it exists (malloc'd). */
static char *resolved(const char *path)
{
	char *r = realpath(path, NULL);
	return r ? r : ax_strdup(path);
}

static int reaches(const char *grant, const char *const *protect)
{
	size_t n = strlen(grant);
	for (size_t i = 0; protect && protect[i]; i++) {
		char *p = resolved(protect[i]);
		int hit = strncmp(p, grant, n) == 0 && (p[n] == '\0' || p[n] == '/' || (n == 1 && grant[0] == '/'));
		free(p);
		if (hit)
			return 1;
	}
	return 0;
}

/* Grants a folder; one that would reach a protected path is narrowed to
 * its entries that do not (recursively; listing it stays denied). */
static void grant_dir(struct ax_sandbox *sb, const char *dir, const char *const *protect, int depth)
{
	if (!reaches(dir, protect)) {
		ax_sandbox_add_path(sb, dir, AX_SB_READ);
		return;
	}
	DIR *d = depth < 8 ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *sub = ax_asprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			grant_dir(sb, sub, protect, depth + 1);
		else if (!reaches(sub, protect))
			ax_sandbox_add_path(sb, sub, AX_SB_READ);
		free(sub);
	}
	if (d)
		closedir(d);
}

/* Grants path (or, with folder, the folder holding it). */
static void grant(struct ax_sandbox *sb, const char *path, int folder, const char *const *protect)
{
	struct stat st;
	char *file = resolved(path);
	if (folder || (stat(file, &st) == 0 && S_ISDIR(st.st_mode))) {
		char *slash = strrchr(file, '/');
		if (folder && slash)
			*(slash == file ? slash + 1 : slash) = '\0';
		grant_dir(sb, file, protect, 0);
	} else if (!reaches(file, protect)) {
		ax_sandbox_add_path(sb, file, AX_SB_READ);
	}
	free(file);
}

uint16_t ax_sandbox_port_of(const char *value)
{
	const char *hostport = value, *end, *colon, *q;
	long port = 0;
	if (strncmp(value, "postgresql://", 13) == 0 || strncmp(value, "postgres://", 11) == 0) {
		hostport = strstr(value, "//") + 2;
		if ((q = strstr(hostport, "port=")) && (q[-1] == '?' || q[-1] == '&'))
			return (uint16_t)strtol(q + 5, NULL, 10);
		end = hostport + strcspn(hostport, "/?");
		const char *at = memchr(hostport, '@', (size_t)(end - hostport));
		if (at)
			hostport = at + 1;
		port = 5432;
	} else if (strncmp(value, "sqlite:", 7) == 0) {
		return 0;
	} else if (ax_leaddb_is_mysql_uri(value)) {
		struct ax_mysql_uri u;
		if (ax_mysql_uri_parse(value, &u) < 0)
			return 0;
		port = u.host ? (u.port ? u.port : 3306) : 0; /* no host: a Unix socket */
		ax_mysql_uri_free(&u);
		return (uint16_t)port;
	} else if ((q = strrchr(value, '@')) && !strchr(q, ':') && !strchr(q, ']')) {
		/* ADDR@PORT, unbound's notation of a resolver (maildns) */
		char *stop;
		long v = strtol(q + 1, &stop, 10);
		return *stop == '\0' && v > 0 && v < 65536 ? (uint16_t)v : 0;
	} else if (strchr(value, ':') == NULL) {
		return 0;
	} else {
		end = value + strlen(value);
	}
	colon = NULL;
	for (const char *p = hostport; p < end; p++)
		if (*p == ':')
			colon = p;
	if (colon && (hostport[0] != '[' || colon > strchr(hostport, ']'))) {
		char *stop;
		long v = strtol(colon + 1, &stop, 10);
		if (stop == end && v > 0 && v < 65536)
			port = v;
	}
	return (uint16_t)port;
}

void ax_sandbox_plan(struct ax_sandbox *sb, const struct ax_probe_instance *inst, const char *state_dir,
		     const char *const *protect)
{
	const struct probe *p = inst->type;
	const struct ax_probe_access *acc = p->access;
	static const struct ax_probe_access none = {0};
	if (!acc)
		acc = &none;
	ax_sandbox_add_system(sb, (acc->flags & AX_ACCESS_EXEC) != 0);
	sb->clock_read = (acc->flags & AX_ACCESS_CLOCK) != 0;
	if (state_dir)
		ax_sandbox_add_path(sb, state_dir, AX_SB_READ | AX_SB_WRITE);
	for (size_t i = 0; acc->ports && acc->ports[i]; i++)
		ax_sandbox_add_port(sb, acc->ports[i]);
	for (const struct ax_option *o = p->options; o && o->key; o++) {
		int path = o->type == AX_OPT_PATH || listed(acc->paths, o->key);
		int folder = listed(acc->folders, o->key), connect = listed(acc->connect, o->key);
		if (!path && !folder && !connect && !listed(acc->locks, o->key) && o->type != AX_OPT_DBURI)
			continue;
		size_t nvals = 0;
		for (size_t i = 0; i < inst->nopts; i++) {
			if (strcmp(inst->opts[i].key, o->key) != 0)
				continue;
			nvals++;
			const char *v = inst->opts[i].value;
			if (o->type == AX_OPT_DBURI && strncmp(v, "sqlite:", 7) == 0)
				grant(sb, v + 7, 1, protect);
			else if ((path || folder) && o->type == AX_OPT_STRING && v[0] == '/' && strchr(v, ':')) {
				char *live = ax_asprintf("%.*s", (int)strcspn(v, ":"), v); /* LIVE:REPO */
				grant(sb, live, folder, protect);
				free(live);
			} else if (path || folder)
				grant(sb, v, folder || strpbrk(v, "*?[") != NULL, protect);
			if (listed(acc->locks, o->key) && v[0] == '/') {
				char *locks = ax_asprintf("%s/locks", v);
				if (!reaches(locks, protect))
					ax_sandbox_add_path(sb, locks, AX_SB_READ | AX_SB_WRITE);
				free(locks);
			}
			if (connect && ax_sandbox_port_of(v))
				ax_sandbox_add_port(sb, ax_sandbox_port_of(v));
		}
		if (nvals == 0 && o->def && (path || folder))
			grant(sb, o->def, folder, protect);
	}
	if (acc->under_root) {
		const char *root = NULL;
		const struct ax_option *ro = acc->root ? ax_option_find(p->options, acc->root) : NULL;
		for (size_t i = 0; acc->root && i < inst->nopts && !root; i++)
			if (strcmp(inst->opts[i].key, acc->root) == 0)
				root = inst->opts[i].value;
		if (!root)
			root = ro && ro->def ? ro->def : "/";
		for (size_t i = 0; acc->under_root[i]; i++) {
			char *path = ax_asprintf("%s%s", strcmp(root, "/") ? root : "", acc->under_root[i]);
			grant(sb, path, 0, protect);
			free(path);
		}
	}
}
