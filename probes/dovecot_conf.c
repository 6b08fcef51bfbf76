/* dovecot_conf.c - parser of dovecot.conf and its includes (see
 * dovecot_conf.h). Never follows more than DC_FILES_MAX files, so an
 * include loop ends with an error instead of recursion. */
#include "dovecot_conf.h"

#include <ctype.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "util.h"

static void add_setting(struct dc_conf *c, const char *path, const char *value, const char *file, unsigned line)
{
	if (c->nsettings == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 64;
		c->settings = ax_realloc(c->settings, c->alloc * sizeof(*c->settings));
	}
	struct dc_setting *s = &c->settings[c->nsettings++];
	s->path = ax_strdup(path);
	s->value = ax_strdup(value);
	s->file = ax_strdup(file);
	s->line = line;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int do_include(struct dc_conf *c, const char *origin, const char *pattern, int depth, int must_exist,
		      unsigned line)
{
	char *full = pattern[0] == '/' ? ax_strdup(pattern) : ax_path_resolve(origin, pattern);
	glob_t g;
	int rc = 0, gr = glob(full, 0, NULL, &g);
	if (gr == GLOB_NOMATCH) {
		if (must_exist && !strpbrk(full, "*?["))
			rc = ax_error_code(AX_EINVALID, "%s:%u: !include %s: no such file", origin, line, full);
	} else if (gr != 0) {
		rc = ax_error_code(AX_EINVALID, "%s:%u: !include %s: cannot expand", origin, line, full);
	} else {
		for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
			rc = dc_parse_file(c, g.gl_pathv[i], depth + 1, must_exist);
	}
	if (gr != GLOB_NOMATCH)
		globfree(&g);
	free(full);
	return rc;
}

int dc_parse_text(struct dc_conf *c, const char *text, size_t len, const char *origin, int depth)
{
	char *stack[DC_DEPTH_MAX];
	int nstack = 0, rc = 0;
	size_t pos = 0;
	unsigned lineno = 0;
	struct ax_buf prefix = AX_BUF_INIT, key = AX_BUF_INIT;

	if (depth > DC_DEPTH_MAX)
		return ax_error_code(AX_EINVALID, "%s: includes nested deeper than %d", origin, DC_DEPTH_MAX);
	while (pos < len && rc == 0) {
		size_t e = pos;
		while (e < len && text[e] != '\n')
			e++;
		lineno++;
		if (e - pos > DC_LINE_MAX) {
			rc = ax_error_code(AX_EINVALID, "%s:%u: line longer than %d bytes", origin, lineno, DC_LINE_MAX);
			break;
		}
		if (memchr(text + pos, '\0', e - pos)) {
			rc = ax_error_code(AX_EINVALID, "%s:%u: NUL byte", origin, lineno);
			break;
		}
		char *raw = ax_strndup(text + pos, e - pos), *l;
		pos = e < len ? e + 1 : e;
		/* comments: '#' starts one unless inside a value that is quoted */
		char *hash = NULL;
		for (char *p = raw, q = 0; *p; p++) {
			if (*p == '"' || *p == '\'')
				q = q == *p ? 0 : q ? q : *p;
			else if (*p == '#' && !q) {
				hash = p;
				break;
			}
		}
		if (hash)
			*hash = '\0';
		l = trim(raw);
		size_t n = strlen(l);
		if (!n) {
			free(raw);
			continue;
		}
		if (strncmp(l, "!include_try ", 13) == 0 || strncmp(l, "!include ", 9) == 0) {
			int must = l[8] == ' ';
			rc = do_include(c, origin, trim(l + (must ? 9 : 13)), depth, must, lineno);
		} else if (strcmp(l, "}") == 0) {
			if (!nstack)
				rc = ax_error_code(AX_EINVALID, "%s:%u: '}' without an open section", origin, lineno);
			else
				free(stack[--nstack]);
		} else if (l[n - 1] == '{' && !strchr(l, '=')) {
			l[n - 1] = '\0';
			if (nstack >= DC_DEPTH_MAX)
				rc = ax_error_code(AX_EINVALID, "%s:%u: sections nested deeper than %d", origin, lineno, DC_DEPTH_MAX);
			else
				stack[nstack++] = ax_strdup(trim(l));
		} else {
			char *eq = strchr(l, '=');
			if (!eq) {
				rc = ax_error_code(AX_EINVALID, "%s:%u: expected 'key = value', a section or '}'", origin, lineno);
			} else {
				*eq = '\0';
				char *k = trim(l), *v = trim(eq + 1);
				size_t vl = strlen(v);
				if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
					v[vl - 1] = '\0';
					v++;
				}
				ax_buf_clear(&key);
				for (int i = 0; i < nstack; i++)
					ax_buf_printf(&key, "%s/", stack[i]);
				ax_buf_puts(&key, k);
				if (!*k)
					rc = ax_error_code(AX_EINVALID, "%s:%u: empty key", origin, lineno);
				else
					add_setting(c, ax_buf_cstr(&key), v, origin, lineno);
			}
		}
		free(raw);
	}
	if (rc == 0 && nstack)
		rc = ax_error_code(AX_EINVALID, "%s: section '%s' not closed", origin, stack[nstack - 1]);
	while (nstack)
		free(stack[--nstack]);
	ax_buf_free(&prefix);
	ax_buf_free(&key);
	return rc;
}

int dc_parse_file(struct dc_conf *c, const char *path, int depth, int must_exist)
{
	struct ax_buf text = AX_BUF_INIT;
	int rc;
	if (++c->nfiles > DC_FILES_MAX)
		return ax_error_code(AX_EINVALID, "%s: more than %d configuration files (an include loop?)", path, DC_FILES_MAX);
	rc = ax_file_read(path, 4 << 20, &text);
	if (rc == AX_ENOTFOUND && !must_exist)
		rc = 0;
	else if (rc == 0)
		rc = dc_parse_text(c, text.ptr ? text.ptr : "", text.size, path, depth);
	ax_buf_free(&text);
	return rc;
}

void dc_conf_release(struct dc_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsettings; i++) {
		free(c->settings[i].path);
		free(c->settings[i].value);
		free(c->settings[i].file);
	}
	free(c->settings);
	memset(c, 0, sizeof(*c));
}

const char *dc_get(const struct dc_conf *c, const char *path)
{
	for (size_t i = c->nsettings; i > 0; i--)
		if (strcmp(c->settings[i - 1].path, path) == 0)
			return c->settings[i - 1].value;
	return NULL;
}
