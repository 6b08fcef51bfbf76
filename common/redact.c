/* redact.c - secret removal for evidence text (see redact.h). */
#include "redact.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Anywhere in a key name these mark it secret. */
static const char *const strong_words[] = {
	"password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "api_key", "api-key",
	"bindpw", "rootpw", "requirepass", "masterauth", "privatekey", "private_key", "private-key", "privkey",
	"authorization", "bearer", "cookie", "auth_key", NULL,
};
/* Too short to match anywhere ("bypass", "author"): only as the end of the
 * key name (smtp_pass, dbpw, basic_auth). */
static const char *const weak_words[] = {"pass", "pw", "pwd", "auth", "private", NULL};
/* Values that are settings, not secrets: PasswordAuthentication no. */
static const char *const harmless_values[] = {"yes", "no", "true", "false", "on", "off", "none", "null", NULL};
/* First words after a PAM type (auth, password) at the start of a line. */
static const char *const pam_controls[] = {"required", "requisite", "sufficient", "optional", "include",
					   "substack", NULL};

static int has_word(const char *s, size_t len, const char *const *words)
{
	for (size_t w = 0; words[w]; w++) {
		size_t wl = strlen(words[w]);
		for (size_t i = 0; i + wl <= len; i++)
			if (strncasecmp(s + i, words[w], wl) == 0)
				return 1;
	}
	return 0;
}

/* Length of the weak word key ends with, 0 when none. */
static size_t weak_suffix(const char *key, size_t len)
{
	for (size_t w = 0; weak_words[w]; w++) {
		size_t wl = strlen(weak_words[w]);
		if (len >= wl && strncasecmp(key + len - wl, weak_words[w], wl) == 0)
			return wl;
	}
	return 0;
}

int ax_redact_key_is_secret(const char *key, size_t len)
{
	return has_word(key, len, strong_words) || weak_suffix(key, len) > 0;
}

static int is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int word_in(const char *s, size_t len, const char *const *words)
{
	for (size_t w = 0; words[w]; w++)
		if (strlen(words[w]) == len && strncasecmp(s, words[w], len) == 0)
			return 1;
	return 0;
}

/* True when the word at s (up to a blank) is w. */
static int starts_word(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);
	return len >= n && strncmp(s, w, n) == 0 && (len == n || is_blank(s[n]));
}

/* A quote or bracket that closes the value: followed by the end, a blank
 * or punctuation (a quote inside a password does not end it). */
static int closes(const char *s, size_t len, size_t i)
{
	if (!strchr("\"')]}>", s[i]))
		return 0;
	return i + 1 == len || is_blank(s[i + 1]) || strchr(",;\"')]}>", s[i + 1]);
}

/* True when a `name=` starts at i (the next setting on a line). */
static int setting_at(const char *s, size_t len, size_t i)
{
	size_t k = i;
	while (k < len && is_key_char(s[k]))
		k++;
	return k > i && k < len && s[k] == '=';
}

/* End of the unquoted value that starts at v. */
static size_t value_end(const char *s, size_t len, size_t v)
{
	size_t e = v;
	while (e < len && !strchr(",;&", s[e]) && !closes(s, len, e) && !(s[e] == '<' && e + 1 < len && s[e + 1] == '/')) {
		if (is_blank(s[e])) {
			size_t n = e;
			while (n < len && is_blank(s[n]))
				n++;
			if (setting_at(s, len, n))
				break;
		}
		e++;
	}
	while (e > v && is_blank(s[e - 1]))
		e--;
	return e;
}

/* Where the value of the key s[ks, ke) starts, 0 when the key is not
 * secret or has no value to redact. line_key: the key opens the line (or
 * the line is a .netrc entry), so `key value` counts. */
static size_t value_start(const char *s, size_t len, size_t ks, size_t ke, int line_key)
{
	size_t klen = ke - ks, weak = weak_suffix(s + ks, klen);
	int strong = has_word(s + ks, klen, strong_words);
	if (!strong && !weak)
		return 0;
	size_t k = ke;
	if (k < len && (s[k] == '"' || s[k] == '\''))
		k++;
	if (k < len && s[k] == '>' && ks > 0 && s[ks - 1] == '<')
		return k + 1 < len && s[k + 1] != '<' ? k + 1 : 0; /* <password>v</password> */
	size_t sp = k;
	while (k < len && is_blank(s[k]))
		k++;
	if (k < len && (s[k] == '=' || s[k] == ':')) {
		if (s[k] == ':' && k + 1 < len && s[k + 1] == '/')
			return 0; /* scheme://, handled as a URI */
		if (s[k] == ':' && !strong && weak == klen)
			return 0; /* "auth:" is a log tag, not a setting */
		k++;
		while (k < len && is_blank(s[k]))
			k++;
	} else if (k == sp || !(line_key || (klen == 6 && strncasecmp(s + ks, "bearer", 6) == 0))) {
		return 0;
	} else if (k < len) {
		size_t w = k;
		while (w < len && !is_blank(s[w]))
			w++;
		if (word_in(s + k, w - k, pam_controls) || s[k] == '[')
			return 0; /* a PAM rule: "password required pam_unix.so" */
	}
	if (k >= len || s[k] == '$')
		return 0; /* $name is a Postfix reference, not a value */
	if (s[k] != '"' && s[k] != '\'') {
		size_t e = value_end(s, len, k);
		if (e == k || word_in(s + k, e - k, harmless_values))
			return 0;
	}
	return k;
}

/* Writes the redacted value at v; returns where the line continues. */
static size_t put_value(const char *s, size_t len, size_t v, struct ax_buf *out)
{
	char q = s[v] == '"' || s[v] == '\'' ? s[v] : 0;
	if (!q) {
		ax_buf_puts(out, AX_REDACTED);
		return value_end(s, len, v);
	}
	size_t e = v + 1;
	while (e < len && s[e] != q)
		e += s[e] == '\\' && e + 1 < len ? 2 : 1;
	ax_buf_putc(out, q);
	ax_buf_puts(out, AX_REDACTED);
	if (e < len) {
		ax_buf_putc(out, q);
		e++;
	}
	return e < len ? e : len;
}

/* host:port:database:user:password, the .pgpass form (\: escapes). */
static int pgpass_line(const char *s, size_t len, struct ax_buf *out)
{
	size_t colons = 0, fourth = 0;
	if (len == 0 || s[0] == '#')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (isspace((unsigned char)s[i]))
			return 0;
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == ':' && ++colons == 4) {
			fourth = i;
		}
	}
	if (colons != 4 || fourth + 1 >= len)
		return 0;
	ax_buf_put(out, s, fourth + 1);
	ax_buf_puts(out, AX_REDACTED);
	return 1;
}

/* At s[i] = "://": the end of user:password in the URI, 0 when none. */
static size_t uri_password_end(const char *s, size_t len, size_t i, size_t *colon)
{
	size_t j = i + 3, at = 0;
	*colon = 0;
	for (; j < len && !isspace((unsigned char)s[j]) && !strchr("\"'<>", s[j]); j++) {
		if (s[j] == ':' && !*colon)
			*colon = j;
		if (s[j] == '@' && *colon)
			at = j;
	}
	return at;
}

/* Redacts one line (without its newline) into out. */
static void redact_line(const char *s, size_t len, struct ax_buf *out)
{
	if (pgpass_line(s, len, out))
		return;
	size_t first = 0;
	while (first < len && (is_blank(s[first]) || s[first] == '#' || s[first] == ';'))
		first++;
	int netrc = starts_word(s + first, len - first, "machine") || starts_word(s + first, len - first, "default");
	size_t i = 0;
	while (i < len) {
		size_t colon, at;
		if (i + 3 <= len && memcmp(s + i, "://", 3) == 0 && (at = uri_password_end(s, len, i, &colon))) {
			ax_buf_put(out, s + i, colon + 1 - i);
			ax_buf_puts(out, AX_REDACTED);
			i = at;
			continue;
		}
		if (is_key_char(s[i]) && (i == 0 || !is_key_char(s[i - 1]))) {
			size_t ke = i;
			while (ke < len && is_key_char(s[ke]))
				ke++;
			size_t v = value_start(s, len, i, ke, i == first || netrc);
			if (v) {
				ax_buf_put(out, s + i, v - i);
				i = put_value(s, len, v, out);
			} else {
				ax_buf_put(out, s + i, ke - i);
				i = ke;
			}
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

static void put_extra(const regex_t *re, const char *p, struct ax_buf *out)
{
	regmatch_t m;
	int flags = 0;
	while (*p && regexec(re, p, 1, &m, flags) == 0 && m.rm_eo > m.rm_so) {
		ax_buf_put(out, p, (size_t)m.rm_so);
		ax_buf_puts(out, AX_REDACTED);
		p += m.rm_eo;
		flags = REG_NOTBOL;
	}
	ax_buf_puts(out, p);
}

int ax_redact(const char *text, size_t len, const char *extra, struct ax_buf *out)
{
	regex_t re;
	int have_re = 0, in_key = 0;
	struct ax_buf line = AX_BUF_INIT;
	if (extra && *extra) {
		if (regcomp(&re, extra, REG_EXTENDED | REG_NEWLINE) != 0)
			return ax_error_code(AX_EINVALID, "invalid redaction pattern '%s'", extra);
		have_re = 1;
	}
	size_t pos = 0;
	if (!text)
		len = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *s = text + pos;
		size_t n = end - pos;
		const char *begin = memmem(s, n, "-----BEGIN ", 11);
		if (in_key) {
			/* every line of the block goes, the count stays (line numbers) */
			if (contains(s, n, "-----END "))
				in_key = 0;
		} else if (begin && contains(begin, n - (size_t)(begin - s), "PRIVATE KEY")) {
			in_key = !contains(begin, n - (size_t)(begin - s), "-----END ");
			ax_buf_puts(out, AX_REDACTED " private key");
		} else {
			ax_buf_clear(&line);
			redact_line(s, n, &line);
			if (have_re)
				put_extra(&re, ax_buf_cstr(&line), out);
			else
				ax_buf_put(out, line.ptr ? line.ptr : "", line.size);
		}
		if (nl)
			ax_buf_putc(out, '\n');
		pos = nl ? end + 1 : len;
	}
	if (have_re)
		regfree(&re);
	ax_buf_free(&line);
	return 0;
}
