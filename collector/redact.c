/* redact.c - secret removal for evidence text (see redact.h). */
#include "redact.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const secret_words[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key",
	"private_key", "private-key", "privatekey", "credential", "auth_key", "passphrase",
	NULL,
};

int ax_redact_key_is_secret(const char *key, size_t len)
{
	for (size_t w = 0; secret_words[w]; w++) {
		size_t wl = strlen(secret_words[w]);
		for (size_t i = 0; i + wl <= len; i++)
			if (strncasecmp(key + i, secret_words[w], wl) == 0)
				return 1;
	}
	return 0;
}

static int is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Redacts one line (without its newline) into out. */
static void redact_line(const char *s, size_t len, struct ax_buf *out)
{
	size_t i = 0;
	while (i < len) {
		/* scheme://user:password@host */
		if (i + 3 <= len && memcmp(s + i, "://", 3) == 0) {
			size_t j = i + 3, colon = 0;
			while (j < len && s[j] != '@' && s[j] != '/' && !isspace((unsigned char)s[j])) {
				if (s[j] == ':' && !colon)
					colon = j;
				j++;
			}
			if (j < len && s[j] == '@' && colon) {
				ax_buf_put(out, s + i, colon + 1 - i);
				ax_buf_puts(out, AX_REDACTED);
				i = j;
				continue;
			}
		}
		/* key [:=] value, with optional quotes around key and value */
		if (is_key_char(s[i]) && (i == 0 || !is_key_char(s[i - 1]))) {
			size_t k = i;
			while (k < len && is_key_char(s[k]))
				k++;
			size_t kend = k;
			if (k < len && (s[k] == '"' || s[k] == '\''))
				k++;
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k < len && (s[k] == '=' || s[k] == ':') && ax_redact_key_is_secret(s + i, kend - i)) {
				k++;
				while (k < len && (s[k] == ' ' || s[k] == '\t'))
					k++;
				if (k < len && s[k] != '$') { /* $name is a Postfix reference, not a value */
					ax_buf_put(out, s + i, k - i);
					char q = (s[k] == '"' || s[k] == '\'') ? s[k] : 0;
					size_t v = k + (q ? 1 : 0);
					while (v < len && (q ? s[v] != q : (s[v] != ',' && s[v] != ';' && !isspace((unsigned char)s[v]))))
						v++;
					if (q)
						ax_buf_putc(out, q);
					ax_buf_puts(out, AX_REDACTED);
					if (q && v < len) {
						ax_buf_putc(out, q);
						v++;
					}
					i = v;
					continue;
				}
			}
			ax_buf_put(out, s + i, kend - i);
			i = kend;
			continue;
		}
		ax_buf_putc(out, s[i]);
		i++;
	}
}

static int contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	return s && n >= m && memmem(s, n, needle, m) != NULL;
}

int ax_redact(const char *text, size_t len, const char *extra, struct ax_buf *out)
{
	regex_t re;
	int have_re = 0, err = 0, in_key = 0;
	struct ax_buf line = AX_BUF_INIT;
	if (extra && *extra) {
		if (regcomp(&re, extra, REG_EXTENDED | REG_NEWLINE) != 0)
			return ax_error_code(AX_EINVALID, "invalid redaction pattern '%s'", extra);
		have_re = 1;
	}
	size_t pos = 0;
	if (!text)
		len = 0;
	while (text && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *s = text + pos;
		size_t n = end - pos;
		if (!in_key && contains(s, n, "-----BEGIN ") && contains(s, n, "PRIVATE KEY-----")) {
			in_key = 1;
			ax_buf_puts(out, AX_REDACTED " private key");
		} else if (in_key) {
			if (contains(s, n, "-----END "))
				in_key = 0;
			pos = nl ? end + 1 : len;
			continue;
		} else {
			ax_buf_clear(&line);
			redact_line(s, n, &line);
			if (have_re) {
				regmatch_t m;
				const char *p = ax_buf_cstr(&line);
				int flags = 0;
				while (*p && regexec(&re, p, 1, &m, flags) == 0 && m.rm_eo > m.rm_so) {
					ax_buf_put(out, p, (size_t)m.rm_so);
					ax_buf_puts(out, AX_REDACTED);
					p += m.rm_eo;
					flags = REG_NOTBOL;
				}
				ax_buf_puts(out, p);
			} else {
				ax_buf_put(out, line.ptr ? line.ptr : "", line.size);
			}
		}
		if (nl)
			ax_buf_putc(out, '\n');
		pos = nl ? end + 1 : len;
	}
	if (have_re)
		regfree(&re);
	ax_buf_free(&line);
	return err;
}
