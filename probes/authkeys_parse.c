/* authkeys_parse.c - authorized_keys lines measured, never kept
 * (authkeys_parse.h). The blob's own type string decides the type: a line
 * that says ssh-ed25519 in front of an RSA key is an RSA key. */
#include "authkeys_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "buf.h"
#include "util.h"

#define AUTHKEYS_MAX 100000

static const char *const key_types[] = {
	"ssh-rsa", "ssh-dss", "ssh-ed25519", "ssh-ed448", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com", NULL,
};

/* A key type word, plain or as a certificate ("...-cert-v01@openssh.com"). */
static int is_key_type(const char *w, size_t n)
{
	static const char cert[] = "-cert-v01@openssh.com";
	for (size_t i = 0; key_types[i]; i++) {
		size_t k = strlen(key_types[i]);
		if (n == k && memcmp(w, key_types[i], k) == 0)
			return 1;
	}
	return n > sizeof(cert) && memcmp(w + n - (sizeof(cert) - 1), cert, sizeof(cert) - 1) == 0 &&
	       (strncmp(w, "ssh-", 4) == 0 || strncmp(w, "ecdsa-", 6) == 0 || strncmp(w, "sk-", 3) == 0);
}

struct blob {
	const unsigned char *p;
	size_t left;
};

/* An SSH string (uint32 length, bytes); 0 or -1. */
static int blob_string(struct blob *b, const unsigned char **s, size_t *n)
{
	if (b->left < 4)
		return -1;
	uint32_t len = (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 | (uint32_t)b->p[2] << 8 | b->p[3];
	if (len > b->left - 4)
		return -1;
	*s = b->p + 4;
	*n = len;
	b->p += 4 + len;
	b->left -= 4 + len;
	return 0;
}

/* Bits of an mpint, leading zero bytes ignored. */
static int mpint_bits(const unsigned char *s, size_t n)
{
	while (n && *s == 0)
		s++, n--;
	if (!n)
		return 0;
	int bits = (int)(n - 1) * 8;
	for (unsigned c = *s; c; c >>= 1)
		bits++;
	return bits;
}

/* 0, or -1 when the blob does not start with a type string (sshd would
 * refuse the line too). */
static int measure(struct ax_authkey *k, const unsigned char *blob, size_t len)
{
	struct blob b = {blob, len};
	const unsigned char *s;
	size_t n;
	unsigned char md[32];
	unsigned char enc[48];
	unsigned mdlen = 0;
	EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL);
	int e = EVP_EncodeBlock(enc, md, (int)mdlen);
	while (e > 0 && enc[e - 1] == '=')
		e--;
	snprintf(k->fingerprint, sizeof(k->fingerprint), "SHA256:%.*s", e, (const char *)enc);
	if (blob_string(&b, &s, &n) < 0 || n == 0 || n >= sizeof(k->type))
		return -1;
	memcpy(k->type, s, n);
	k->type[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			k->type[i] = '?';
	if (strstr(k->type, "-cert-v01@openssh.com") && blob_string(&b, &s, &n) < 0) /* the nonce */
		return 0;
	if (strncmp(k->type, "ssh-rsa", 7) == 0) {
		if (blob_string(&b, &s, &n) == 0 && blob_string(&b, &s, &n) == 0) /* e, then n */
			k->bits = mpint_bits(s, n);
	} else if (strncmp(k->type, "ssh-dss", 7) == 0) {
		if (blob_string(&b, &s, &n) == 0)
			k->bits = mpint_bits(s, n);
	} else if (strstr(k->type, "ed25519")) {
		k->bits = 256;
	} else if (strstr(k->type, "ed448")) {
		k->bits = 456;
	} else if (strstr(k->type, "nistp256")) {
		k->bits = 256;
	} else if (strstr(k->type, "nistp384")) {
		k->bits = 384;
	} else if (strstr(k->type, "nistp521")) {
		k->bits = 521;
	}
	return 0;
}

/* The options before the key type: names kept, from= values kept. */
static void options(struct ax_authkey *k, const char *p, size_t len)
{
	struct ax_buf names = AX_BUF_INIT, from = AX_BUF_INIT;
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && p[i] != '=' && p[i] != ',')
			i++;
		size_t nlen = i - start;
		struct ax_buf value = AX_BUF_INIT;
		if (i < len && p[i] == '=') {
			i++;
			int quoted = i < len && p[i] == '"';
			if (quoted)
				i++;
			while (i < len && (quoted ? p[i] != '"' : p[i] != ',')) {
				if (quoted && p[i] == '\\' && i + 1 < len && p[i + 1] == '"')
					i++;
				ax_buf_putc(&value, p[i++]);
			}
			if (quoted && i < len)
				i++;
		}
		if (nlen) {
			char *name = ax_strndup(p + start, nlen);
			for (char *c = name; *c; c++)
				if (*c < 0x21 || *c > 0x7e)
					*c = '?';
			if (names.size < 1024)
				ax_buf_printf(&names, "%s%s", names.size ? "," : "", name);
			if (strcasecmp(name, "from") == 0 && from.size < 1024)
				ax_buf_printf(&from, "%s%s", from.size ? "," : "", ax_buf_cstr(&value));
			if (strcasecmp(name, "from") == 0 || strcasecmp(name, "command") == 0 ||
			    strcasecmp(name, "restrict") == 0)
				k->restricted = 1;
			free(name);
		}
		ax_buf_free(&value);
		while (i < len && p[i] != ',')
			i++;
		if (i < len)
			i++;
	}
	k->options = names.size ? ax_buf_detach(&names) : NULL;
	k->from = from.size ? ax_buf_detach(&from) : NULL;
	ax_buf_free(&names);
	ax_buf_free(&from);
}

/* Where the options end: the first blank outside double quotes. */
static size_t options_end(const char *p, size_t len)
{
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\' && quoted && i + 1 < len) {
			i++;
			continue;
		}
		if (p[i] == '"')
			quoted = !quoted;
		else if (!quoted && (p[i] == ' ' || p[i] == '\t'))
			return i;
	}
	return len;
}

static size_t word_len(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len && p[i] != ' ' && p[i] != '\t')
		i++;
	return i;
}

static void skip_blanks(const char **p, size_t *len)
{
	while (*len && (**p == ' ' || **p == '\t'))
		(*p)++, (*len)--;
}

static int parse_line(struct ax_authkeys *out, const char *p, size_t len, int line)
{
	struct ax_authkey k = {.line = line};
	const char *opts = NULL;
	size_t optlen = 0;
	size_t w = word_len(p, len);
	if (!is_key_type(p, w)) {
		opts = p;
		optlen = options_end(p, len);
		p += optlen;
		len -= optlen;
		skip_blanks(&p, &len);
		w = word_len(p, len);
		if (!is_key_type(p, w))
			return -1;
	}
	p += w;
	len -= w;
	skip_blanks(&p, &len);
	size_t b64 = word_len(p, len);
	unsigned char *blob = NULL;
	long n = ax_base64_decode(p, b64, &blob);
	if (n <= 0) {
		free(blob);
		return -1;
	}
	int ok = measure(&k, blob, (size_t)n);
	free(blob);
	if (ok < 0)
		return -1;
	if (opts)
		options(&k, opts, optlen);
	out->keys = ax_realloc(out->keys, (out->n + 1) * sizeof(*out->keys));
	out->keys[out->n++] = k;
	return 0;
}

void ax_authkeys_parse(struct ax_authkeys *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int line = 0;
	while (p < end && out->n < AUTHKEYS_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		line++;
		const char *q = p;
		size_t ql = l;
		if (ql && q[ql - 1] == '\r')
			ql--;
		skip_blanks(&q, &ql);
		if (ql && q[0] != '#' && parse_line(out, q, ql, line) < 0)
			out->bad_lines++;
		p = nl ? nl + 1 : end;
	}
}

void ax_authkeys_free(struct ax_authkeys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i].options);
		free(k->keys[i].from);
	}
	free(k->keys);
	memset(k, 0, sizeof(*k));
}
