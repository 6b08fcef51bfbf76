/* apt_conf.c - reading one setting in apt.conf syntax (apt_conf.h). */
#include "apt_conf.h"

#include <string.h>
#include <strings.h>

#include "error.h"

struct lexer {
	const char *p, *end, *origin;
	unsigned line;
};

/* Skips blanks and comments; returns 1 when a `#clear`/`#include`
 * directive starts at p (the '#' consumed). */
static int skip(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			lx->p += 2;
			while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/'))
				lx->line += *lx->p++ == '\n';
			lx->p = lx->p + 1 < lx->end ? lx->p + 2 : lx->end;
		} else if (c == '#') {
			size_t rest = (size_t)(lx->end - lx->p);
			if ((rest >= 6 && strncmp(lx->p, "#clear", 6) == 0) ||
			    (rest >= 8 && strncmp(lx->p, "#include", 8) == 0)) {
				lx->p++;
				return 1;
			}
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else {
			return 0;
		}
	}
	return 0;
}

static size_t name_len(const struct lexer *lx)
{
	const char *q = lx->p;
	while (q < lx->end && !strchr(" \t\r\n{};\"", *q))
		q++;
	return (size_t)(q - lx->p);
}

/* The full key of name under the scope prefix, into k. */
static void full_key(struct ax_buf *k, const struct ax_buf *prefix, const char *name, size_t n)
{
	ax_buf_clear(k);
	if (prefix->size) {
		ax_buf_put(k, prefix->ptr, prefix->size);
		ax_buf_puts(k, "::");
	}
	ax_buf_put(k, name, n);
}

static int under(const char *key, const char *cleared)
{
	size_t n = strlen(cleared);
	return strncasecmp(key, cleared, n) == 0 && (key[n] == '\0' || strncmp(key + n, "::", 2) == 0);
}

int apt_conf_get(const char *text, size_t len, const char *origin, const char *key, struct ax_buf *value,
		 int *found, unsigned *line, int *unsupported)
{
	struct lexer lx = {text, text + len, origin, 1};
	struct ax_buf prefix = AX_BUF_INIT, k = AX_BUF_INIT;
	size_t scope_len[APT_CONF_DEPTH];
	int depth = 0, err = 0;
	for (;;) {
		int directive = skip(&lx);
		if (lx.p >= lx.end)
			break;
		if (directive) {
			size_t dn = name_len(&lx);
			int clear = dn == 5 && strncmp(lx.p, "clear", 5) == 0;
			if (!clear)
				*unsupported = 1;
			lx.p += dn;
			skip(&lx);
			size_t an = name_len(&lx);
			if (clear && an) {
				full_key(&k, &prefix, lx.p, an);
				if (under(key, ax_buf_cstr(&k)))
					*found = 0;
			}
			while (lx.p < lx.end && *lx.p != ';' && *lx.p != '\n')
				lx.p++;
			continue;
		}
		char c = *lx.p;
		if (c == ';') {
			lx.p++;
			continue;
		}
		if (c == '}') {
			if (depth == 0) {
				err = ax_error_code(AX_EINVALID, "%s:%u: '}' without an open scope", origin, lx.line);
				goto cleanup;
			}
			ax_buf_truncate(&prefix, scope_len[--depth]);
			lx.p++;
			continue;
		}
		/* name (optional for list items: a bare string) */
		const char *name = lx.p;
		size_t n = c == '"' || c == '{' ? 0 : name_len(&lx);
		lx.p += n;
		skip(&lx);
		if (lx.p < lx.end && *lx.p == '{') {
			if (depth == APT_CONF_DEPTH || prefix.size + n > 1024) {
				err = ax_error_code(AX_EINVALID, "%s:%u: scopes nested too deep", origin, lx.line);
				goto cleanup;
			}
			scope_len[depth++] = prefix.size;
			full_key(&k, &prefix, name, n);
			ax_buf_clear(&prefix);
			ax_buf_put(&prefix, k.ptr, k.size);
			lx.p++;
			continue;
		}
		if (lx.p < lx.end && *lx.p == '"') {
			const char *s = ++lx.p;
			while (lx.p < lx.end && *lx.p != '"')
				lx.line += *lx.p++ == '\n';
			if (lx.p >= lx.end) {
				err = ax_error_code(AX_EINVALID, "%s:%u: string without its closing quote", origin, lx.line);
				goto cleanup;
			}
			if (n) {
				full_key(&k, &prefix, name, n);
				if (strcasecmp(ax_buf_cstr(&k), key) == 0) {
					ax_buf_clear(value);
					ax_buf_put(value, s, (size_t)(lx.p - s));
					*found = 1;
					*line = lx.line;
				}
			}
			lx.p++;
			continue;
		}
		if (n == 0) {
			err = ax_error_code(AX_EINVALID, "%s:%u: unexpected '%c'", origin, lx.line, *lx.p);
			goto cleanup;
		}
		/* a bare word without value (apt warns and ignores it) */
	}
	if (depth)
		err = ax_error_code(AX_EINVALID, "%s: scope not closed at the end", origin);
cleanup:
	ax_buf_free(&prefix);
	ax_buf_free(&k);
	return err;
}
