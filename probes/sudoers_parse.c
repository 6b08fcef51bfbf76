/* sudoers_parse.c - a sudoers policy's grants (sudoers_parse.h).
 *
 * Works a logical line at a time (continuations joined, comments cut the
 * way sudo's lexer cuts them: '#' followed by a digit is a UID, not a
 * comment). Every string is copied out of the input; nothing indexes
 * past a line's end. */
#include "sudoers_parse.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

enum alias_kind { AL_USER, AL_RUNAS, AL_HOST, AL_CMND };

struct ax_sudo_alias {
	enum alias_kind kind;
	char *name;
	char **items;
	size_t n;
};

struct ax_sudo_raw {
	char *who;     /* one user item, maybe "!x" */
	char *runas;   /* the runas users as written, NULL: none given */
	char *command; /* maybe "!..." */
	int nopasswd;
	char *file;
	int line;
};

struct scan {
	const char *p, *end;
};

static const char *const tags[] = {
	"NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "INTERCEPT", "NOINTERCEPT", "SETENV", "NOSETENV",
	"LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL", "FOLLOW", "NOFOLLOW", NULL,
};
static const char *const options[] = {
	"ROLE", "TYPE", "CWD", "CHROOT", "TIMEOUT", "NOTBEFORE", "NOTAFTER", "APPARMOR_PROFILE", "PRIVS", "LIMITPRIVS", NULL,
};
static const char *const digests[] = {"sha224", "sha256", "sha384", "sha512", NULL};

static int in_list(const char *const *list, const char *w)
{
	for (size_t i = 0; w && list[i]; i++)
		if (strcmp(list[i], w) == 0)
			return 1;
	return 0;
}

static void skip_blank(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t'))
		sc->p++;
}

static int at(struct scan *sc, char c)
{
	skip_blank(sc);
	return sc->p < sc->end && *sc->p == c;
}

static int eat(struct scan *sc, char c)
{
	if (!at(sc, c))
		return 0;
	sc->p++;
	return 1;
}

/* A word: up to a blank or one of , : = ( ) ! (backslash escapes, "quoted"
 * parts). "%:group" keeps its colon. NULL when empty. */
static char *word(struct scan *sc)
{
	struct ax_buf b = AX_BUF_INIT;
	skip_blank(sc);
	if (sc->p + 1 < sc->end && sc->p[0] == '%' && sc->p[1] == ':') {
		ax_buf_puts(&b, "%:");
		sc->p += 2;
	}
	while (sc->p < sc->end) {
		char c = *sc->p;
		if (c == '\\' && sc->p + 1 < sc->end) {
			ax_buf_putc(&b, sc->p[1]);
			sc->p += 2;
		} else if (c == '"') {
			const char *q = memchr(sc->p + 1, '"', (size_t)(sc->end - sc->p - 1));
			const char *stop = q ? q : sc->end;
			ax_buf_put(&b, sc->p + 1, (size_t)(stop - sc->p - 1));
			sc->p = q ? q + 1 : sc->end;
		} else if (c == ' ' || c == '\t' || strchr(",:=()!", c)) {
			break;
		} else {
			ax_buf_putc(&b, c);
			sc->p++;
		}
	}
	if (!b.size) {
		ax_buf_free(&b);
		return NULL;
	}
	return ax_buf_detach(&b);
}

/* Text up to an unescaped ',' or ':' (a command and its arguments), blanks
 * squeezed. NULL when empty. */
static char *text_until(struct scan *sc)
{
	struct ax_buf b = AX_BUF_INIT;
	skip_blank(sc);
	while (sc->p < sc->end && *sc->p != ',' && *sc->p != ':') {
		char c = *sc->p++;
		if (c == '\\' && sc->p < sc->end)
			c = *sc->p++;
		else if (c == '\t')
			c = ' ';
		if (c == ' ' && (!b.size || b.ptr[b.size - 1] == ' '))
			continue;
		ax_buf_putc(&b, c);
	}
	size_t n = b.size;
	while (n && b.ptr[n - 1] == ' ')
		n--;
	if (!n) {
		ax_buf_free(&b);
		return NULL;
	}
	ax_buf_truncate(&b, n);
	return ax_buf_detach(&b);
}

/* "sha256:DIGEST " before a command. */
static void skip_digest(struct scan *sc)
{
	struct scan save = *sc;
	char *w = word(sc);
	if (in_list(digests, w) && eat(sc, ':')) {
		skip_blank(sc);
		while (sc->p < sc->end && *sc->p != ' ' && *sc->p != '\t' && *sc->p != ',' && *sc->p != ':')
			sc->p++;
	} else {
		*sc = save;
	}
	free(w);
}

/* An item, maybe negated ("!" kept in front). */
static char *item(struct scan *sc, int command)
{
	struct ax_buf b = AX_BUF_INIT;
	while (eat(sc, '!'))
		ax_buf_putc(&b, '!');
	if (command)
		skip_digest(sc);
	char *w = command ? text_until(sc) : word(sc);
	if (!w) {
		ax_buf_free(&b);
		return NULL;
	}
	ax_buf_puts(&b, w);
	free(w);
	return ax_buf_detach(&b);
}

static void add_raw(struct ax_sudoers *s, const char *who, const char *runas, const char *cmd, int nopasswd,
		    const char *file, int line)
{
	if (s->nraw >= AX_SUDOERS_GRANTS_MAX)
		return;
	s->raw = ax_realloc(s->raw, (s->nraw + 1) * sizeof(*s->raw));
	struct ax_sudo_raw *r = &s->raw[s->nraw++];
	r->who = ax_strdup(who);
	r->runas = runas ? ax_strdup(runas) : NULL;
	r->command = ax_strdup(cmd);
	r->nopasswd = nopasswd;
	r->file = ax_strdup(file);
	r->line = line;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Kind NAME = item, ... [: NAME = item, ...]; 0 or -1 */
static int parse_alias(struct ax_sudoers *s, struct scan *sc, enum alias_kind kind)
{
	do {
		char *name = word(sc);
		if (!name || !isupper((unsigned char)name[0]) || !eat(sc, '=')) {
			free(name);
			return -1;
		}
		s->aliases = ax_realloc(s->aliases, (s->naliases + 1) * sizeof(*s->aliases));
		struct ax_sudo_alias *a = &s->aliases[s->naliases++];
		memset(a, 0, sizeof(*a));
		a->kind = kind;
		a->name = name;
		do {
			char *it = item(sc, kind == AL_CMND);
			if (!it)
				return -1;
			a->items = ax_realloc(a->items, (a->n + 1) * sizeof(*a->items));
			a->items[a->n++] = it;
		} while (eat(sc, ','));
	} while (eat(sc, ':'));
	skip_blank(sc);
	return sc->p == sc->end ? 0 : -1;
}

/* A comma-separated list of words up to (not including) stop. */
static int word_list(struct scan *sc, char ***out, size_t *n)
{
	do {
		char *it = item(sc, 0);
		if (!it)
			return -1;
		*out = ax_realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = it;
	} while (eat(sc, ','));
	return 0;
}

/* User_List Host_List = Cmnd_Spec_List [: Host_List = Cmnd_Spec_List] ... */
static int parse_spec(struct ax_sudoers *s, struct scan *sc, const char *file, int line)
{
	char **users = NULL, **hosts = NULL;
	size_t nusers = 0, nhosts = 0;
	char *runas = NULL;
	int rc = -1;
	if (word_list(sc, &users, &nusers) < 0)
		goto cleanup;
	for (;;) {
		if (word_list(sc, &hosts, &nhosts) < 0 || !eat(sc, '='))
			goto cleanup;
		int nopasswd = 0;
		free(runas);
		runas = NULL;
		for (;;) {
			if (eat(sc, '(')) {
				const char *close = memchr(sc->p, ')', (size_t)(sc->end - sc->p));
				if (!close)
					goto cleanup;
				free(runas);
				runas = ax_strndup(sc->p, (size_t)(close - sc->p));
				sc->p = close + 1;
			}
			for (;;) { /* options and tags, in any order */
				struct scan save = *sc;
				char *w = word(sc);
				if (in_list(options, w) && eat(sc, '=')) {
					free(w);
					free(item(sc, 0));
					continue;
				}
				if (in_list(tags, w) && eat(sc, ':')) {
					if (strcmp(w, "NOPASSWD") == 0 || strcmp(w, "PASSWD") == 0)
						nopasswd = w[0] == 'N';
					free(w);
					continue;
				}
				free(w);
				*sc = save;
				break;
			}
			char *cmd = item(sc, 1);
			if (!cmd)
				goto cleanup;
			for (size_t u = 0; u < nusers; u++)
				add_raw(s, users[u], runas, cmd, nopasswd, file, line);
			free(cmd);
			if (!eat(sc, ','))
				break;
		}
		if (!eat(sc, ':'))
			break;
		free_list(hosts, nhosts);
		hosts = NULL;
		nhosts = 0;
	}
	skip_blank(sc);
	rc = sc->p == sc->end ? 0 : -1;
cleanup:
	free(runas);
	free_list(users, nusers);
	free_list(hosts, nhosts);
	return rc;
}

static void add_include(struct ax_sudoers *s, const char *rest, size_t len, int dir, const char *file, int line)
{
	struct scan sc = {rest, rest + len};
	char *path = word(&sc);
	if (!path) {
		s->bad_lines++;
		return;
	}
	s->includes = ax_realloc(s->includes, (s->nincludes + 1) * sizeof(*s->includes));
	s->includes[s->nincludes++] = (struct ax_sudo_include){path, dir, ax_strdup(file), line};
}

static int starts(const char *p, size_t len, const char *kw)
{
	size_t n = strlen(kw);
	return len > n && memcmp(p, kw, n) == 0 && (p[n] == ' ' || p[n] == '\t');
}

static void parse_logical(struct ax_sudoers *s, const char *file, int line, const char *p, size_t len)
{
	static const struct {
		const char *kw;
		enum alias_kind kind;
	} kinds[] = {{"User_Alias", AL_USER}, {"Runas_Alias", AL_RUNAS}, {"Host_Alias", AL_HOST},
		     {"Cmnd_Alias", AL_CMND},  {"Cmd_Alias", AL_CMND}};
	struct scan sc = {p, p + len};
	int rc = 0;
	if (memchr(p, '\0', len)) { /* sudo's lexer refuses it too */
		rc = -1;
		goto bad;
	}
	skip_blank(&sc);
	p = sc.p;
	len = (size_t)(sc.end - sc.p);
	if (!len)
		return;
	for (int at_sign = 0; at_sign < 2; at_sign++) {
		const char *inc = at_sign ? "@include" : "#include", *incdir = at_sign ? "@includedir" : "#includedir";
		if (starts(p, len, incdir)) {
			add_include(s, p + strlen(incdir), len - strlen(incdir), 1, file, line);
			return;
		}
		if (starts(p, len, inc)) {
			add_include(s, p + strlen(inc), len - strlen(inc), 0, file, line);
			return;
		}
	}
	/* a comment: '#' not followed by a digit or '-' (that is a UID) */
	if (p[0] == '#' && (len < 2 || !(isdigit((unsigned char)p[1]) || p[1] == '-')))
		return;
	if (len >= 8 && memcmp(p, "Defaults", 8) == 0 && (len == 8 || strchr(" \t:@!>", p[8])))
		return;
	size_t kn = 0;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (starts(p, len, kinds[k].kw)) {
			kn = k + 1;
			sc.p += strlen(kinds[k].kw);
			rc = parse_alias(s, &sc, kinds[k].kind);
			break;
		}
	}
	if (!kn)
		rc = parse_spec(s, &sc, file, line);
bad:
	if (rc < 0) {
		s->bad_lines++;
		if (!s->first_error)
			s->first_error = ax_asprintf("%s:%d: syntax error", file, line);
	}
}

/* Cuts a comment from a physical line: '#' outside quotes that is not a
 * UID (#123, #-1), wherever it stands: sudo's lexer (cvtsudoers -f json,
 * sudo 1.9.13) reads "ALL#x" as ALL and "/bin/sh#x" as /bin/sh, so a
 * '#' glued to a word must not turn a NOPASSWD: ALL into a harmless-looking
 * command. */
static size_t comment_cut(const char *p, size_t len, int first)
{
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\') {
			i++;
			continue;
		}
		if (p[i] == '"')
			quoted = !quoted;
		if (p[i] != '#' || quoted)
			continue;
		if (first && i == 0 && (starts(p, len, "#include") || starts(p, len, "#includedir")))
			continue;
		if (i + 1 < len && (isdigit((unsigned char)p[i + 1]) || p[i + 1] == '-'))
			continue;
		return i;
	}
	return len;
}

void ax_sudoers_parse(struct ax_sudoers *s, const char *file, const char *text, size_t len)
{
	struct ax_buf logical = AX_BUF_INIT;
	const char *p = text, *end = text + len;
	int line = 0, start_line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		line++;
		if (l && p[l - 1] == '\r')
			l--;
		if (!logical.size)
			start_line = line;
		const char *q = p;
		/* leading blanks do not make #include a comment */
		while (q < p + l && (*q == ' ' || *q == '\t'))
			q++;
		size_t keep = (size_t)(q - p) + comment_cut(q, l - (size_t)(q - p), logical.size == 0);
		int cont = keep == l && l > 0 && p[l - 1] == '\\' && (l < 2 || p[l - 2] != '\\');
		ax_buf_put(&logical, p, cont ? l - 1 : keep);
		if (cont) {
			ax_buf_putc(&logical, ' ');
		} else {
			parse_logical(s, file, start_line, ax_buf_cstr(&logical), logical.size);
			ax_buf_clear(&logical);
		}
		p = nl ? nl + 1 : end;
	}
	if (logical.size)
		parse_logical(s, file, start_line, ax_buf_cstr(&logical), logical.size);
	ax_buf_free(&logical);
}

/* --- expansion --- */

static const struct ax_sudo_alias *alias_find(const struct ax_sudoers *s, enum alias_kind kind, const char *name)
{
	for (size_t i = 0; i < s->naliases; i++)
		if (s->aliases[i].kind == kind && strcmp(s->aliases[i].name, name) == 0)
			return &s->aliases[i];
	return NULL;
}

/* Calls fn for every non-negated leaf of item, aliases of kind expanded;
 * every step spends budget (aliases of aliases can grow exponentially). */
typedef void (*leaf_fn)(void *arg, const char *leaf);
static void expand_at(const struct ax_sudoers *s, enum alias_kind kind, const char *it, int depth, size_t *budget,
		      leaf_fn fn, void *arg)
{
	if (it[0] == '!' || depth > AX_SUDOERS_DEPTH || *budget == 0)
		return;
	--*budget;
	const struct ax_sudo_alias *a = alias_find(s, kind, it);
	if (!a) {
		fn(arg, it);
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		expand_at(s, kind, a->items[i], depth + 1, budget, fn, arg);
}

static void expand(const struct ax_sudoers *s, enum alias_kind kind, const char *it, size_t *budget, leaf_fn fn,
		   void *arg)
{
	expand_at(s, kind, it, 0, budget, fn, arg);
}

struct runas_acc {
	struct ax_buf text;
	int root;
};

static void runas_leaf(void *arg, const char *leaf)
{
	struct runas_acc *r = arg;
	if (strcmp(leaf, "ALL") == 0 || strcmp(leaf, "root") == 0 || strcmp(leaf, "#0") == 0)
		r->root = 1;
	if (r->text.size > 4096)
		return;
	if (r->text.size)
		ax_buf_puts(&r->text, ",");
	ax_buf_puts(&r->text, leaf);
}

struct cmd_acc {
	char **v;
	size_t n;
};

static void cmd_leaf(void *arg, const char *leaf)
{
	struct cmd_acc *c = arg;
	if (c->n >= 4096)
		return;
	c->v = ax_realloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->v[c->n++] = ax_strdup(leaf);
}

/* ALL, a shell or su: the holder can do anything root can. sudo matches
 * the program with glob patterns and takes a path ending in '/' as every
 * file of that folder (sudoers(5), "Wildcards"), so "/bin/" followed by
 * '*', "/bin/?ash" and "/usr/bin/" hand out a shell as surely as "/bin/sh". */
static int full_command(const char *cmd)
{
	static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "su", NULL};
	if (strcmp(cmd, "ALL") == 0)
		return 1;
	size_t n = strcspn(cmd, " ");
	char *prog = ax_strndup(cmd, n);
	const char *base = strrchr(prog, '/');
	int full = 0;
	if (base && base[1] == '\0')
		full = 1;
	for (size_t i = 0; base && !full && shells[i]; i++)
		full = fnmatch(base + 1, shells[i], 0) == 0;
	free(prog);
	return full;
}

struct who_ctx {
	struct ax_sudoers *s;
	const struct ax_sudo_raw *r;
	const char *runas;
	int root;
	struct cmd_acc *cmds;
};

static void who_leaf(void *arg, const char *leaf)
{
	struct who_ctx *w = arg;
	struct ax_sudoers *s = w->s;
	for (size_t i = 0; i < w->cmds->n && s->ngrants < AX_SUDOERS_GRANTS_MAX; i++) {
		s->grants = ax_realloc(s->grants, (s->ngrants + 1) * sizeof(*s->grants));
		struct ax_sudo_grant *g = &s->grants[s->ngrants++];
		g->who = ax_strdup(leaf);
		g->runas = ax_strdup(w->runas);
		g->command = ax_strdup(w->cmds->v[i]);
		g->as_root = w->root;
		g->full = full_command(w->cmds->v[i]);
		g->nopasswd = w->r->nopasswd;
		g->file = ax_strdup(w->r->file);
		g->line = w->r->line;
	}
}

void ax_sudoers_resolve(struct ax_sudoers *s)
{
	size_t budget = 10 * (size_t)AX_SUDOERS_GRANTS_MAX;
	for (size_t i = 0; i < s->nraw; i++) {
		const struct ax_sudo_raw *r = &s->raw[i];
		struct runas_acc ra = {AX_BUF_INIT, 0};
		struct cmd_acc cmds = {NULL, 0};
		if (!r->runas) {
			ax_buf_puts(&ra.text, "root");
			ra.root = 1;
		} else {
			/* (users[:groups]): the users part decides whose rights */
			char *users = ax_strndup(r->runas, strcspn(r->runas, ":"));
			struct scan sc = {users, users + strlen(users)};
			char *it;
			while ((it = item(&sc, 0)) != NULL) {
				expand(s, AL_RUNAS, it, &budget, runas_leaf, &ra);
				free(it);
				if (!eat(&sc, ','))
					break;
			}
			free(users);
			if (!ra.text.size)
				ax_buf_printf(&ra.text, "(%s)", r->runas); /* only a group: as the user */
		}
		expand(s, AL_CMND, r->command, &budget, cmd_leaf, &cmds);
		struct who_ctx w = {s, r, ax_buf_cstr(&ra.text), ra.root, &cmds};
		expand(s, AL_USER, r->who, &budget, who_leaf, &w);
		free_list(cmds.v, cmds.n);
		ax_buf_free(&ra.text);
	}
}

void ax_sudoers_free(struct ax_sudoers *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ngrants; i++) {
		free(s->grants[i].who);
		free(s->grants[i].runas);
		free(s->grants[i].command);
		free(s->grants[i].file);
	}
	for (size_t i = 0; i < s->nincludes; i++) {
		free(s->includes[i].path);
		free(s->includes[i].file);
	}
	for (size_t i = 0; i < s->nraw; i++) {
		free(s->raw[i].who);
		free(s->raw[i].runas);
		free(s->raw[i].command);
		free(s->raw[i].file);
	}
	for (size_t i = 0; i < s->naliases; i++) {
		free(s->aliases[i].name);
		free_list(s->aliases[i].items, s->aliases[i].n);
	}
	free(s->grants);
	free(s->includes);
	free(s->raw);
	free(s->aliases);
	free(s->first_error);
	memset(s, 0, sizeof(*s));
}
