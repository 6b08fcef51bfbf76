/* transfers_endpoints.c - collects the remote hosts named in mail, backup
 * and database configuration (see transfers_endpoints.h).
 *
 * The Postfix reading is deliberately small: only the keys that name a
 * next hop, and the source text of file-based lookup tables (what
 * `postmap` compiles), never the compiled .db files. */
#include "transfers_endpoints.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "buf.h"
#include "transfers_register.h"
#include "util.h"

#define MAIN_CF_MAX (4u * 1024 * 1024)
#define MAP_MAX (16u * 1024 * 1024)

static void add_note(struct ax_endpoint_list *l, const char *fmt, ...) AX_PRINTF(2, 3);
static void add_note(struct ax_endpoint_list *l, const char *fmt, ...)
{
	struct ax_buf b = AX_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ax_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l->notes = ax_realloc(l->notes, (l->nnotes + 1) * sizeof(*l->notes));
	l->notes[l->nnotes++] = ax_buf_detach(&b);
}

/* Loopback, private, link-local: own infrastructure, not a transfer. */
static int host_is_internal(const char *host)
{
	unsigned char a[16];
	size_t n = strlen(host);
	if (strcmp(host, "localhost") == 0 || (n > 10 && strcmp(host + n - 10, ".localhost") == 0))
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127 || a[0] == 10 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
		return memcmp(a, loop, 16) == 0 || (a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80);
	}
	return 0;
}

static int host_chars_valid(const char *h)
{
	if (!*h || strlen(h) > 253)
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' && *h != '_' && *h != ':')
			return 0;
	return 1;
}

void ax_endpoint_add(struct ax_endpoint_list *l, const char *host, const char *source)
{
	char *h = ax_host_canonical(ax_strdup(host));
	if (host_is_internal(h)) {
		l->skipped_internal++;
		free(h);
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].host, h) == 0) {
			if (!strstr(l->items[i].source, source) && strlen(l->items[i].source) < 2048) {
				char *joined = ax_asprintf("%s; %s", l->items[i].source, source);
				free(l->items[i].source);
				l->items[i].source = joined;
			}
			free(h);
			return;
		}
	l->items = ax_realloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n].host = h;
	l->items[l->n].source = ax_strdup(source);
	l->n++;
}

/* "[h]:p" "h:p" "h" "[v6]" "v6" (more than one ':' without brackets) -> h */
static char *strip_port(const char *s, size_t n)
{
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		return close ? ax_strndup(s + 1, (size_t)(close - s - 1)) : NULL;
	}
	size_t colons = 0, first = n;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ':' && colons++ == 0)
			first = i;
	return ax_strndup(s, colons == 1 ? first : n);
}

static char *host_of_url(const char *s)
{
	const char *auth = strstr(s, "://") + 3, *end = auth;
	while (*end && *end != '/' && *end != '?' && *end != '#')
		end++;
	/* user:password@ is dropped: the last '@' ends the user info */
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			auth = p + 1;
	for (const char *p = auth; p < end; p++)
		if (*p == ',') { /* libpq host lists: the first */
			end = p;
			break;
		}
	if (end > auth)
		return strip_port(auth, (size_t)(end - auth));
	const char *q = strstr(s, "?host=") ? strstr(s, "?host=") : strstr(s, "&host=");
	if (!q)
		return NULL;
	q += 6;
	return ax_strndup(q, strcspn(q, "&,:"));
}

static char *host_of_conninfo(const char *s)
{
	const char *p = strstr(s, "host=");
	while (p && p != s && !isspace((unsigned char)p[-1]))
		p = strstr(p + 1, "host=");
	if (!p)
		return NULL;
	p += 5;
	if (*p == '\'')
		p++;
	return ax_strndup(p, strcspn(p, "', \t"));
}

char *ax_endpoint_host_of(const char *location)
{
	static const struct { const char *prefix, *host; } fixed[] = {
		{"b2:", "api.backblazeb2.com"}, {"gs:", "storage.googleapis.com"}, {"azure:", "blob.core.windows.net"},
	};
	char *loc = NULL, *host = NULL;
	const char *s = location;
	while (isspace((unsigned char)*s) || *s == '"' || *s == '\'')
		s++;
	loc = ax_strndup(s, strcspn(s, "\"'\r\n"));
	s = loc;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		loc[--n] = '\0';
	if (!*s || *s == '/' || *s == '.' || *s == '~' || strncmp(s, "sqlite:", 7) == 0 || strncmp(s, "file:", 5) == 0 ||
	    strncmp(s, "local:", 6) == 0 || strncmp(s, "unix:", 5) == 0 || strncmp(s, "rclone:", 7) == 0 ||
	    strncmp(s, "swift:", 6) == 0)
		goto cleanup;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strncmp(s, fixed[i].prefix, strlen(fixed[i].prefix)) == 0) {
			host = ax_strdup(fixed[i].host);
			goto cleanup;
		}
	if (strncmp(s, "rest:", 5) == 0 || strncmp(s, "inet:", 5) == 0) {
		host = ax_endpoint_host_of(s + 5);
		goto cleanup;
	}
	if (strncmp(s, "s3:", 3) == 0) {
		s += 3;
		host = strstr(s, "://") ? host_of_url(s) : ax_strndup(s, strcspn(s, "/"));
		goto cleanup;
	}
	if (strncmp(s, "sftp:", 5) == 0 && strncmp(s, "sftp://", 7) != 0)
		s += 5; /* then "user@host:/path", like scp */
	if (strstr(s, "://")) {
		host = host_of_url(s);
		goto cleanup;
	}
	if (strstr(s, "host=")) {
		host = host_of_conninfo(s);
		goto cleanup;
	}
	const char *at = strchr(s, '@');
	if (at && (!strchr(s, '/') || strchr(s, '/') > at)) { /* user@host:path */
		s = at + 1;
		host = ax_strndup(s, strcspn(s, ":/"));
		goto cleanup;
	}
	if (strchr(s, '/'))
		goto cleanup; /* a relative path */
	host = strip_port(s, strlen(s));
cleanup:
	if (host && (!host_chars_valid(host) || *host == '/')) {
		free(host);
		host = NULL;
	}
	free(loc);
	return host ? ax_host_canonical(host) : NULL;
}

/* --- Postfix --- */

/* Calls fn for each logical line (continuations joined) of text, skipping
 * comments and blank lines. */
typedef void (*line_fn)(void *arg, const char *line, size_t lineno);
static void for_each_logical_line(const struct ax_buf *text, line_fn fn, void *arg)
{
	struct ax_buf cur = AX_BUF_INIT;
	size_t lineno = 0, start = 0;
	const char *s = ax_buf_cstr(text);
	size_t pos = 0;
	while (pos < text->size) {
		size_t end = pos;
		while (end < text->size && s[end] != '\n')
			end++;
		lineno++;
		size_t len = end - pos;
		if (len && s[pos + len - 1] == '\r')
			len--;
		size_t k = 0;
		while (k < len && isspace((unsigned char)s[pos + k]))
			k++;
		if (k < len && s[pos + k] != '#') {
			if (k > 0 && cur.size) { /* continuation */
				ax_buf_putc(&cur, ' ');
				ax_buf_put(&cur, s + pos + k, len - k);
			} else {
				if (cur.size)
					fn(arg, cur.ptr, start);
				ax_buf_clear(&cur);
				ax_buf_put(&cur, s + pos + k, len - k);
				start = lineno;
			}
		}
		pos = end + 1;
	}
	if (cur.size)
		fn(arg, cur.ptr, start);
	ax_buf_free(&cur);
}

enum value_kind { VALUE_DESTINATIONS, VALUE_TRANSPORT };

struct postfix_walk {
	struct ax_endpoint_list *list;
	const char *dir;
	const char *file; /* for sources: "main.cf", "transport" */
	const char *key;  /* the main.cf key being read */
	enum value_kind kind;
};

static void add_destinations(struct postfix_walk *w, const char *value, size_t lineno)
{
	char *copy = ax_strdup(value), *save = NULL;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *host = ax_endpoint_host_of(tok);
		if (host) {
			char *src = ax_asprintf("postfix %s:%zu %s", w->file, lineno, w->key);
			ax_endpoint_add(w->list, host, src);
			free(src);
			free(host);
		}
	}
	free(copy);
}

/* "smtp:[relay.example]:587" -> the next hop; local delivery is no transfer. */
static void add_transport(struct postfix_walk *w, const char *value, size_t lineno)
{
	static const char *const local[] = {"error", "retry", "discard", "local", "virtual", "pipe", NULL};
	const char *colon = strchr(value, ':');
	if (!colon)
		return;
	for (size_t i = 0; local[i]; i++)
		if ((size_t)(colon - value) == strlen(local[i]) && strncmp(value, local[i], strlen(local[i])) == 0)
			return;
	if (colon[1])
		add_destinations(w, colon + 1, lineno);
}

static void map_line(void *arg, const char *line, size_t lineno)
{
	struct postfix_walk *w = arg;
	const char *v = line;
	if (*v == '/' || *v == '{') { /* regexp/pcre: "/pattern/flags value" */
		char delim = *v == '{' ? '}' : '/';
		for (v++; *v && *v != delim; v++)
			if (*v == '\\' && v[1])
				v++;
		if (*v)
			v++;
	}
	if (strncmp(line, "if ", 3) == 0 || strcmp(line, "endif") == 0)
		return;
	while (*v && !isspace((unsigned char)*v))
		v++;
	while (isspace((unsigned char)*v))
		v++;
	if (!*v)
		return;
	if (w->kind == VALUE_TRANSPORT)
		add_transport(w, v, lineno);
	else
		add_destinations(w, v, lineno);
}

static char *expand_config_directory(const char *value, const char *dir)
{
	static const char *const names[] = {"${config_directory}", "$(config_directory)", "$config_directory"};
	struct ax_buf b = AX_BUF_INIT;
	const char *p = value;
	while (*p) {
		size_t i;
		for (i = 0; i < 3; i++)
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				break;
		if (i < 3) {
			ax_buf_puts(&b, dir);
			p += strlen(names[i]);
		} else {
			ax_buf_putc(&b, *p++);
		}
	}
	return ax_buf_detach(&b);
}

static void read_map(struct postfix_walk *w, const char *spec, size_t lineno)
{
	static const char *const file_types[] = {"hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash", "regexp", "pcre", NULL};
	if (strncmp(spec, "proxy:", 6) == 0)
		spec += 6;
	const char *colon = strchr(spec, ':');
	size_t i;
	for (i = 0; colon && file_types[i]; i++)
		if ((size_t)(colon - spec) == strlen(file_types[i]) && strncmp(spec, file_types[i], strlen(file_types[i])) == 0)
			break;
	if (!colon || !file_types[i]) {
		add_note(w->list, "main.cf:%zu %s: cannot read table '%s' (not a file-based map)", lineno, w->key, spec);
		return;
	}
	char *path = expand_config_directory(colon + 1, w->dir);
	struct ax_buf text = AX_BUF_INIT;
	if (*path != '/' || strchr(path, '$')) {
		add_note(w->list, "main.cf:%zu %s: cannot resolve table path '%s'", lineno, w->key, path);
	} else if (ax_file_read(path, MAP_MAX, &text) < 0) {
		add_note(w->list, "%s", ax_error_last());
	} else {
		struct postfix_walk mw = *w;
		const char *base = strrchr(path, '/');
		mw.file = base + 1;
		for_each_logical_line(&text, map_line, &mw);
	}
	ax_buf_free(&text);
	free(path);
}

static void main_cf_line(void *arg, const char *line, size_t lineno)
{
	static const struct { const char *key; enum value_kind kind; int is_map; } keys[] = {
		{"relayhost", VALUE_DESTINATIONS, 0},
		{"default_transport", VALUE_TRANSPORT, 0},
		{"relay_transport", VALUE_TRANSPORT, 0},
		{"transport_maps", VALUE_TRANSPORT, 1},
		{"sender_dependent_relayhost_maps", VALUE_DESTINATIONS, 1},
	};
	struct postfix_walk *w = arg;
	const char *eq = strchr(line, '=');
	if (!eq)
		return;
	size_t klen = (size_t)(eq - line);
	while (klen && isspace((unsigned char)line[klen - 1]))
		klen--;
	const char *value = eq + 1;
	while (isspace((unsigned char)*value))
		value++;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (klen != strlen(keys[i].key) || strncmp(line, keys[i].key, klen) != 0)
			continue;
		w->key = keys[i].key;
		w->kind = keys[i].kind;
		w->file = "main.cf";
		if (!keys[i].is_map) {
			if (keys[i].kind == VALUE_TRANSPORT)
				add_transport(w, value, lineno);
			else
				add_destinations(w, value, lineno);
			continue;
		}
		char *copy = ax_strdup(value), *save = NULL;
		for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
			read_map(w, tok, lineno);
		free(copy);
	}
}

int ax_endpoints_from_postfix(struct ax_endpoint_list *l, const char *dir)
{
	struct ax_buf text = AX_BUF_INIT;
	char *path = ax_asprintf("%s/main.cf", dir);
	int err = ax_file_read(path, MAIN_CF_MAX, &text);
	if (err == 0) {
		struct postfix_walk w = {l, dir, "main.cf", "", VALUE_DESTINATIONS};
		for_each_logical_line(&text, main_cf_line, &w);
	}
	ax_buf_free(&text);
	free(path);
	return err;
}

/* --- annexa's own configuration --- */

int ax_endpoints_from_annexa_config(struct ax_endpoint_list *l, const char *path)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	int err = 0, rc;
	git_libgit2_init();
	if (git_config_open_ondisk(&cfg, path) < 0) {
		const git_error *e = git_error_last();
		err = ax_error_code(AX_EINVALID, "scan-config %s: %s", path, e ? e->message : "cannot read");
		goto cleanup;
	}
	/* a plain iterator filtered here: libgit2 1.5's regex matching (glob
	 * iterator) leaks PCRE2 match data on every entry */
	if (git_config_iterator_new(&it, cfg) < 0) {
		err = ax_error_set("scan-config %s: %s", path, git_error_last() ? git_error_last()->message : "iterator");
		goto cleanup;
	}
	while ((rc = git_config_next(&entry, it)) == 0) {
		const char *dot = strrchr(entry->name, '.');
		if (strncmp(entry->name, "probe.", 6) != 0 || dot - entry->name <= 6 ||
		    (strcmp(dot, ".database") != 0 && strcmp(dot, ".repository") != 0 && strcmp(dot, ".target") != 0))
			continue;
		char *host = entry->value ? ax_endpoint_host_of(entry->value) : NULL;
		if (!host) {
			l->skipped_internal++;
			continue;
		}
		char *src = ax_asprintf("annexa config [probe \"%.*s\"] %s", (int)(dot - entry->name - 6), entry->name + 6,
					dot + 1);
		ax_endpoint_add(l, host, src);
		free(src);
		free(host);
	}
	if (rc != GIT_ITEROVER)
		err = ax_error_set("scan-config %s: %s", path, git_error_last() ? git_error_last()->message : "read error");
cleanup:
	git_config_iterator_free(it);
	git_config_free(cfg);
	git_libgit2_shutdown();
	return err;
}

/* --- restic environment files --- */

static void restic_line(void *arg, const char *line, size_t lineno)
{
	struct postfix_walk *w = arg;
	if (strncmp(line, "export ", 7) == 0)
		line += 7;
	while (isspace((unsigned char)*line))
		line++;
	if (strncmp(line, "RESTIC_REPOSITORY=", 18) != 0)
		return;
	char *host = ax_endpoint_host_of(line + 18);
	if (!host) {
		w->list->skipped_internal++;
		return;
	}
	char *src = ax_asprintf("restic %s:%zu RESTIC_REPOSITORY", w->file, lineno);
	ax_endpoint_add(w->list, host, src);
	free(src);
	free(host);
}

int ax_endpoints_from_restic_env(struct ax_endpoint_list *l, const char *path)
{
	struct ax_buf text = AX_BUF_INIT;
	int err = ax_file_read(path, MAIN_CF_MAX, &text);
	if (err == 0) {
		const char *base = strrchr(path, '/');
		struct postfix_walk w = {l, "", base ? base + 1 : path, "", VALUE_DESTINATIONS};
		for_each_logical_line(&text, restic_line, &w);
	}
	ax_buf_free(&text);
	return err;
}

void ax_endpoint_list_free(struct ax_endpoint_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].host);
		free(l->items[i].source);
	}
	free(l->items);
	for (size_t i = 0; i < l->nnotes; i++)
		free(l->notes[i]);
	free(l->notes);
	memset(l, 0, sizeof(*l));
}
