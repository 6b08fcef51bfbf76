/* etcfiles.c - passwd, group and shadow of a system root (etcfiles.h).
 * The shadow password field is classified where it is split and never
 * copied; the file's buffer is wiped before it is released. */
#include "etcfiles.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

#define ETC_FIELDS_MAX 10
#define ETC_FILE_MAX ((size_t)64 << 20)

static const struct {
	const char *prefix, *scheme;
	int weak;
} schemes[] = {
	{"$y$", "yescrypt", 0}, {"$gy$", "gost-yescrypt", 0}, {"$7$", "scrypt", 0}, {"$2b$", "bcrypt", 0},
	{"$2y$", "bcrypt", 0},  {"$2a$", "bcrypt", 0},        {"$6$", "sha512", 0}, {"$5$", "sha256", 1},
	{"$sha1$", "sha1", 1},  {"$md5", "sun-md5", 1},        {"$1$", "md5", 1},    {"$3$", "nt", 1},
	{"_", "bsdi-des", 1},
};

void ax_pw_classify(const char *f, size_t len, struct ax_pw_class *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0) {
		out->state = AX_PW_NONE;
		return;
	}
	if (f[0] == '!' || f[0] == '*') {
		out->state = AX_PW_LOCKED;
		return;
	}
	if (len == 1 && f[0] == 'x') {
		out->state = AX_PW_SHADOW;
		return;
	}
	out->state = AX_PW_HASH;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);
		if (len >= n && memcmp(f, schemes[i].prefix, n) == 0) {
			out->scheme = schemes[i].scheme;
			out->weak = schemes[i].weak;
			return;
		}
	}
	/* 13 characters of [./0-9A-Za-z]: traditional DES crypt; anything else
	 * crypt(3) would not verify, so nobody can log in with it */
	int des = len == 13;
	for (size_t i = 0; des && i < len; i++)
		des = strchr("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", f[i]) != NULL;
	if (des) {
		out->scheme = "des";
		out->weak = 1;
	} else {
		out->state = AX_PW_LOCKED;
		out->scheme = "invalid";
	}
}

static long num_field(const char *s, size_t len)
{
	long v = 0;
	if (len == 0 || len > 12)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static struct ax_etc_user *user_find(struct ax_etc_db *db, const char *name, size_t len)
{
	for (size_t i = 0; i < db->nusers; i++)
		if (strlen(db->users[i].name) == len && memcmp(db->users[i].name, name, len) == 0)
			return &db->users[i];
	return NULL;
}

/* One line: fields as (start, length) pairs; returns their count. */
static size_t split(const char *line, size_t len, const char *f[], size_t fl[])
{
	size_t n = 0;
	const char *p = line, *end = line + len;
	while (n < ETC_FIELDS_MAX) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		f[n] = p;
		fl[n] = (size_t)((c ? c : end) - p);
		n++;
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

static void parse_line(struct ax_etc_db *db, const char *kind, const char *line, size_t len)
{
	const char *f[ETC_FIELDS_MAX];
	size_t fl[ETC_FIELDS_MAX], n = split(line, len, f, fl);
	if (memchr(line, '\0', len)) { /* no tool writes one; a name would end early */
		db->bad_lines++;
		return;
	}
	if (strcmp(kind, "passwd") == 0) {
		if (n != 7 || fl[0] == 0 || num_field(f[2], fl[2]) < 0 || num_field(f[3], fl[3]) < 0) {
			db->bad_lines++;
			return;
		}
		db->users = ax_realloc(db->users, (db->nusers + 1) * sizeof(*db->users));
		struct ax_etc_user *u = &db->users[db->nusers++];
		memset(u, 0, sizeof(*u));
		u->name = ax_strndup(f[0], fl[0]);
		u->uid = num_field(f[2], fl[2]);
		u->gid = num_field(f[3], fl[3]);
		u->home = ax_strndup(f[5], fl[5]);
		u->shell = ax_strndup(f[6], fl[6]);
		ax_pw_classify(f[1], fl[1], &u->pw);
		u->lastchg = u->maxdays = u->inactive = u->expire = -1;
	} else if (strcmp(kind, "group") == 0) {
		if (n != 4 || fl[0] == 0 || num_field(f[2], fl[2]) < 0) {
			db->bad_lines++;
			return;
		}
		db->groups = ax_realloc(db->groups, (db->ngroups + 1) * sizeof(*db->groups));
		struct ax_etc_group *g = &db->groups[db->ngroups++];
		memset(g, 0, sizeof(*g));
		g->name = ax_strndup(f[0], fl[0]);
		g->gid = num_field(f[2], fl[2]);
		for (const char *p = f[3], *end = f[3] + fl[3]; p < end;) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			size_t ml = (size_t)((c ? c : end) - p);
			if (ml) {
				g->members = ax_realloc(g->members, (g->nmembers + 1) * sizeof(*g->members));
				g->members[g->nmembers++] = ax_strndup(p, ml);
			}
			p = c ? c + 1 : end;
		}
	} else {
		struct ax_etc_user *u = n == 9 ? user_find(db, f[0], fl[0]) : NULL;
		if (n != 9) {
			db->bad_lines++;
			return;
		}
		if (!u)
			return; /* a shadow entry without an account cannot log in */
		ax_pw_classify(f[1], fl[1], &u->pw);
		u->in_shadow = 1;
		u->lastchg = num_field(f[2], fl[2]);
		u->maxdays = num_field(f[4], fl[4]);
		u->inactive = num_field(f[6], fl[6]);
		u->expire = num_field(f[7], fl[7]);
	}
}

void ax_etc_parse(struct ax_etc_db *db, const char *kind, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		if (l && p[l - 1] == '\r')
			l--;
		/* comments and NIS "+" / "-" compat lines are not local accounts */
		if (l && p[0] != '#' && p[0] != '+' && p[0] != '-')
			parse_line(db, kind, p, l);
		p = nl ? nl + 1 : end;
	}
}

char *ax_etc_path(const char *root, const char *path)
{
	return ax_asprintf("%s%s", root && strcmp(root, "/") != 0 ? root : "", path);
}

static int load_one(struct ax_etc_db *db, const char *root, const char *kind)
{
	char *rel = ax_asprintf("/etc/%s", kind), *path = ax_etc_path(root, rel);
	struct ax_buf text = AX_BUF_INIT;
	int rc = ax_file_read(path, ETC_FILE_MAX, &text);
	if (rc == 0)
		ax_etc_parse(db, kind, ax_buf_cstr(&text), text.size);
	if (text.ptr)
		memset(text.ptr, 0, text.size); /* shadow's hashes */
	ax_buf_free(&text);
	free(rel);
	free(path);
	return rc;
}

int ax_etc_load(struct ax_etc_db *db, const char *root, int want_shadow)
{
	int rc;
	if ((rc = load_one(db, root, "passwd")) < 0 || (rc = load_one(db, root, "group")) < 0)
		return rc;
	if (want_shadow) {
		if (load_one(db, root, "shadow") == 0)
			db->shadow_read = 1;
		else
			db->shadow_error = ax_strdup(ax_error_last());
	}
	return 0;
}

void ax_etc_db_free(struct ax_etc_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nusers; i++) {
		free(db->users[i].name);
		free(db->users[i].home);
		free(db->users[i].shell);
	}
	for (size_t i = 0; i < db->ngroups; i++) {
		free(db->groups[i].name);
		for (size_t m = 0; m < db->groups[i].nmembers; m++)
			free(db->groups[i].members[m]);
		free(db->groups[i].members);
	}
	free(db->users);
	free(db->groups);
	free(db->shadow_error);
	memset(db, 0, sizeof(*db));
}

const struct ax_etc_user *ax_etc_user_find(const struct ax_etc_db *db, const char *name)
{
	for (size_t i = 0; name && i < db->nusers; i++)
		if (strcmp(db->users[i].name, name) == 0)
			return &db->users[i];
	return NULL;
}

const struct ax_etc_group *ax_etc_group_find(const struct ax_etc_db *db, const char *name)
{
	for (size_t i = 0; name && i < db->ngroups; i++)
		if (strcmp(db->groups[i].name, name) == 0)
			return &db->groups[i];
	return NULL;
}

int ax_etc_in_group(const struct ax_etc_db *db, const struct ax_etc_group *g, const char *name)
{
	const struct ax_etc_user *u = ax_etc_user_find(db, name);
	if (u && u->gid == g->gid)
		return 1;
	for (size_t m = 0; m < g->nmembers; m++)
		if (strcmp(g->members[m], name) == 0)
			return 1;
	return 0;
}

int ax_etc_interactive(const char *shell)
{
	static const char *const none[] = {"nologin", "false", "true", "sync", "shutdown", "halt", "git-shell"};
	if (!shell || !*shell)
		return 1; /* login(1) falls back to /bin/sh */
	const char *base = strrchr(shell, '/');
	base = base ? base + 1 : shell;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (strcmp(base, none[i]) == 0)
			return 0;
	return 1;
}
