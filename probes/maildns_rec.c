/* maildns_rec.c - SPF, DMARC, DKIM-key and TLS-RPT record parsers (see
 * maildns_rec.h). Strict where the RFCs make a record void (a receiver
 * would ignore or permerror it), so a `pass` means receivers apply it. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "error.h"
#include "maildns_rec.h"
#include "util.h"

int md_rec_is(const char *rec, const char *version)
{
	size_t n = strlen(version);
	if (strncasecmp(rec, version, n) != 0)
		return 0;
	char c = rec[n];
	return c == '\0' || c == ' ' || c == ';' || c == '\t';
}

/* --- tag=value lists (RFC 6376 3.2; DMARC and TLS-RPT use the same) --- */

struct tag {
	char *name, *value;
};

struct tags {
	struct tag *v;
	size_t n;
};

static void tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *trimmed(const char *s, size_t len)
{
	while (len && is_fws(*s))
		s++, len--;
	while (len && is_fws(s[len - 1]))
		len--;
	return ax_strndup(s, len);
}

static int tags_parse(const char *rec, struct tags *out)
{
	const char *p = rec;
	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		char *whole = trimmed(p, len);
		int empty = whole[0] == '\0';
		free(whole);
		if (!empty) {
			if (!eq) {
				tags_free(out);
				return ax_error_code(AX_EINVALID, "tag without '=' at \"%.*s\"", (int)(len > 40 ? 40 : len), p);
			}
			char *name = trimmed(p, (size_t)(eq - p));
			int ok = isalpha((unsigned char)name[0]);
			for (const char *c = name; ok && *c; c++)
				ok = isalnum((unsigned char)*c) || *c == '_';
			for (size_t i = 0; ok && i < out->n; i++)
				ok = strcasecmp(out->v[i].name, name) != 0;
			if (!ok) {
				int err = ax_error_code(AX_EINVALID, "bad or repeated tag name \"%.40s\"", name);
				free(name);
				tags_free(out);
				return err;
			}
			out->v = ax_realloc(out->v, (out->n + 1) * sizeof(*out->v));
			out->v[out->n].name = name;
			out->v[out->n].value = trimmed(eq + 1, len - (size_t)(eq + 1 - p));
			out->n++;
		}
		p = end ? end + 1 : p + len;
	}
	return 0;
}

static const char *tag_get(const struct tags *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->v[i].name, name) == 0)
			return t->v[i].value;
	return NULL;
}

/* The version tag must come first with exactly this value. */
static int tags_versioned(const char *rec, const char *vtag, const char *version, struct tags *out)
{
	int err = tags_parse(rec, out);
	if (err < 0)
		return err;
	if (out->n == 0 || strcasecmp(out->v[0].name, vtag) != 0 || strcmp(out->v[0].value, version) != 0) {
		tags_free(out);
		return ax_error_code(AX_EINVALID, "the record does not start with %s=%s", vtag, version);
	}
	return 0;
}

/* --- SPF (RFC 7208) --- */

void md_spf_free(struct md_spf *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nincludes; i++)
		free(s->includes[i]);
	free(s->includes);
	free(s->include_q);
	free(s->redirect);
	memset(s, 0, sizeof(*s));
}

/* A domain-spec: a domain name, or one with macros (RFC 7208 7.1). */
static int domain_spec_ok(const char *s, size_t len, int *macro)
{
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%')
			*macro = 1;
		else if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 1;
}

static int cidr_ok(const char *s, int max)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return 0;
	long v = strtol(s, &end, 10);
	return *end == '\0' && v >= 0 && v <= max;
}

/* ip4:ADDR[/n] or ip6:ADDR[/n] */
static int ip_ok(const char *arg, int af)
{
	char *copy = ax_strdup(arg);
	char *slash = strchr(copy, '/');
	unsigned char buf[16];
	int ok = 1;
	if (slash) {
		*slash = '\0';
		ok = cidr_ok(slash + 1, af == AF_INET ? 32 : 128);
	}
	ok = ok && inet_pton(af, copy, buf) == 1;
	free(copy);
	return ok;
}

/* a, mx: [:domain-spec][/n][//n] */
static int a_arg_ok(const char *arg, int *macro)
{
	if (*arg == '\0')
		return 1;
	const char *slash = strchr(arg, '/');
	size_t dlen = slash ? (size_t)(slash - arg) : strlen(arg);
	if (*arg == ':') {
		if (!domain_spec_ok(arg + 1, dlen - 1, macro))
			return 0;
	} else if (dlen) {
		return 0;
	}
	if (!slash)
		return 1;
	const char *v6 = strstr(slash, "//");
	if (v6 == slash)
		return cidr_ok(slash + 2, 128);
	char *v4 = ax_strndup(slash + 1, v6 ? (size_t)(v6 - slash - 1) : strlen(slash + 1));
	int ok = cidr_ok(v4, 32) && (!v6 || cidr_ok(v6 + 2, 128));
	free(v4);
	return ok;
}

/* The prefix length of ip4:/ip6: (full length without one). */
static int ip_prefix(const char *arg, int af)
{
	const char *slash = strchr(arg, '/');
	return slash ? atoi(slash + 1) : af == AF_INET ? 32 : 128;
}

/* Terms after the first `all` are syntax-checked (RFC 7208 4.6: an error
 * anywhere is a permerror) but never evaluated (5.1: "Mechanisms after
 * "all" will never be tested"), so they cost no lookup and authorize no
 * one. */
static int spf_term(const char *t, struct md_spf *out, int *seen_redirect, int *seen_exp)
{
	int live = !out->all;
	const char *eq = strchr(t, '='), *colon = strchr(t, ':');
	int macro = 0;
	if (eq && (!colon || eq < colon) && isalpha((unsigned char)t[0])) { /* modifier */
		size_t nlen = (size_t)(eq - t);
		for (size_t i = 0; i < nlen; i++)
			if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_' && t[i] != '.')
				return ax_error_code(AX_EINVALID, "bad modifier \"%.60s\"", t);
		if (nlen == 8 && strncasecmp(t, "redirect", 8) == 0) {
			if ((*seen_redirect)++)
				return ax_error_code(AX_EINVALID, "redirect= appears twice");
			if (!domain_spec_ok(eq + 1, strlen(eq + 1), &macro))
				return ax_error_code(AX_EINVALID, "bad redirect target \"%.60s\"", eq + 1);
			out->lookups++;
			if (macro)
				out->macros++;
			else
				out->redirect = ax_strdup(eq + 1);
		} else if (nlen == 3 && strncasecmp(t, "exp", 3) == 0) {
			if ((*seen_exp)++)
				return ax_error_code(AX_EINVALID, "exp= appears twice");
			if (!domain_spec_ok(eq + 1, strlen(eq + 1), &macro))
				return ax_error_code(AX_EINVALID, "bad exp target \"%.60s\"", eq + 1);
		}
		return 0; /* unknown modifiers are ignored (RFC 7208 6) */
	}
	char q = '+';
	if (*t == '+' || *t == '-' || *t == '~' || *t == '?')
		q = *t++;
	size_t nlen = strcspn(t, ":/");
	const char *arg = t + nlen;
#define IS(name) (nlen == strlen(name) && strncasecmp(t, name, nlen) == 0)
	if (IS("all")) {
		if (*arg)
			return ax_error_code(AX_EINVALID, "bad term \"%.60s\"", t);
		if (!out->all)
			out->all = q;
	} else if (IS("include") || IS("exists")) {
		if (*arg != ':' || !domain_spec_ok(arg + 1, strlen(arg + 1), &macro))
			return ax_error_code(AX_EINVALID, "bad term \"%.60s\"", t);
		if (!live)
			return 0;
		out->lookups++;
		if (macro) {
			out->macros++;
		} else if (IS("include")) {
			out->includes = ax_realloc(out->includes, (out->nincludes + 1) * sizeof(char *));
			out->include_q = ax_realloc(out->include_q, out->nincludes + 1);
			out->include_q[out->nincludes] = q;
			out->includes[out->nincludes++] = ax_strdup(arg + 1);
		}
	} else if (IS("a") || IS("mx")) {
		if (!a_arg_ok(arg, &macro))
			return ax_error_code(AX_EINVALID, "bad term \"%.60s\"", t);
		out->lookups += live;
	} else if (IS("ptr")) {
		if (*arg && (*arg != ':' || !domain_spec_ok(arg + 1, strlen(arg + 1), &macro)))
			return ax_error_code(AX_EINVALID, "bad term \"%.60s\"", t);
		out->lookups += live;
	} else if (IS("ip4") || IS("ip6")) {
		int af = IS("ip4") ? AF_INET : AF_INET6;
		if (*arg != ':' || !ip_ok(arg + 1, af))
			return ax_error_code(AX_EINVALID, "bad address in \"%.60s\"", t);
		if (live && q == '+' && ip_prefix(arg + 1, af) == 0)
			out->open = 1;
	} else {
		return ax_error_code(AX_EINVALID, "unknown mechanism \"%.60s\"", t);
	}
#undef IS
	return 0;
}

int md_spf_parse(const char *rec, struct md_spf *out)
{
	memset(out, 0, sizeof(*out));
	if (!md_rec_is(rec, "v=spf1"))
		return ax_error_code(AX_EINVALID, "not an SPF record (v=spf1)");
	int seen_redirect = 0, seen_exp = 0;
	const char *p = rec + 6;
	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t len = strcspn(p, " ");
		char *term = ax_strndup(p, len);
		int err = spf_term(term, out, &seen_redirect, &seen_exp);
		free(term);
		if (err < 0) {
			md_spf_free(out);
			return err;
		}
		p += len;
	}
	/* RFC 7208 6.1: redirect is ignored when `all` is present, so it
	 * queries nothing (4.6.4 counts only the lookups made). */
	if (out->all && seen_redirect) {
		out->lookups--;
		if (!out->redirect) /* its target had a macro */
			out->macros--;
		free(out->redirect);
		out->redirect = NULL;
	}
	return 0;
}

/* --- DMARC (RFC 7489 6.3) --- */

void md_dmarc_free(struct md_dmarc *d)
{
	if (!d)
		return;
	free(d->p);
	free(d->sp);
	free(d->rua);
	memset(d, 0, sizeof(*d));
}

static int policy_ok(const char *v)
{
	return strcasecmp(v, "none") == 0 || strcasecmp(v, "quarantine") == 0 || strcasecmp(v, "reject") == 0;
}

static char *lower_dup(const char *s)
{
	char *d = ax_strdup(s);
	for (char *c = d; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return d;
}

/* Comma-separated URIs, each of one of the schemes (NULL-terminated). */
static int uri_list_ok(const char *v, const char *const *schemes)
{
	const char *p = v;
	for (;;) {
		size_t len = strcspn(p, ",");
		char *u = trimmed(p, len);
		int ok = 0;
		for (size_t i = 0; schemes[i] && !ok; i++) {
			size_t sl = strlen(schemes[i]);
			ok = strncasecmp(u, schemes[i], sl) == 0 && u[sl] != '\0';
		}
		for (const char *c = u; ok && *c; c++)
			ok = (unsigned char)*c > ' ' && (unsigned char)*c < 0x7f;
		free(u);
		if (!ok)
			return 0;
		if (!p[len])
			return 1;
		p += len + 1;
	}
}

static const char *const dmarc_schemes[] = {"mailto:", NULL};

int md_dmarc_parse(const char *rec, struct md_dmarc *out)
{
	struct tags t;
	const char *v;
	int err;
	memset(out, 0, sizeof(*out));
	out->pct = 100;
	out->adkim = out->aspf = 'r';
	if ((err = tags_versioned(rec, "v", "DMARC1", &t)) < 0)
		return err;
	if (!(v = tag_get(&t, "p")) || !policy_ok(v)) {
		err = ax_error_code(AX_EINVALID, "p= is missing or not none/quarantine/reject");
		goto cleanup;
	}
	out->p = lower_dup(v);
	if ((v = tag_get(&t, "sp"))) {
		if (!policy_ok(v)) {
			err = ax_error_code(AX_EINVALID, "sp= is not none/quarantine/reject");
			goto cleanup;
		}
		out->sp = lower_dup(v);
	}
	if ((v = tag_get(&t, "pct"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || n < 0 || n > 100) {
			err = ax_error_code(AX_EINVALID, "pct= is not a number from 0 to 100");
			goto cleanup;
		}
		out->pct = (int)n;
	}
	static const char *const align[] = {"adkim", "aspf"};
	for (size_t i = 0; i < 2; i++) {
		if (!(v = tag_get(&t, align[i])))
			continue;
		if (strcasecmp(v, "r") != 0 && strcasecmp(v, "s") != 0) {
			err = ax_error_code(AX_EINVALID, "%s= is not r or s", align[i]);
			goto cleanup;
		}
		*(i ? &out->aspf : &out->adkim) = (char)tolower((unsigned char)v[0]);
	}
	if ((v = tag_get(&t, "rua"))) {
		if (!uri_list_ok(v, dmarc_schemes)) {
			err = ax_error_code(AX_EINVALID, "rua= holds a URI that is not mailto:");
			goto cleanup;
		}
		out->rua = ax_strdup(v);
	}
cleanup:
	tags_free(&t);
	if (err < 0)
		md_dmarc_free(out);
	return err;
}

/* --- DKIM key records (RFC 6376 3.6.1, RFC 8463) --- */

void md_dkim_free(struct md_dkim *d)
{
	if (!d)
		return;
	free(d->k);
	memset(d, 0, sizeof(*d));
}

/* base64 with FWS removed, decoded; -1 when not base64. */
int md_dkim_parse(const char *rec, struct md_dkim *out)
{
	struct tags t;
	const char *v;
	unsigned char *der = NULL;
	int err;
	memset(out, 0, sizeof(*out));
	if ((err = tags_parse(rec, &t)) < 0)
		return err;
	if ((v = tag_get(&t, "v")) && (strcmp(t.v[0].name, "v") != 0 || strcmp(v, "DKIM1") != 0)) {
		err = ax_error_code(AX_EINVALID, "v= is not DKIM1 or not the first tag");
		goto cleanup;
	}
	out->k = lower_dup((v = tag_get(&t, "k")) ? v : "rsa");
	if ((v = tag_get(&t, "t")))
		for (const char *c = v; *c; c++)
			out->testing |= *c == 'y';
	if (!(v = tag_get(&t, "p"))) {
		err = ax_error_code(AX_EINVALID, "no p= (public key) tag");
		goto cleanup;
	}
	if (v[0] == '\0') {
		out->revoked = 1;
		goto cleanup;
	}
	long n = ax_base64_decode(v, strlen(v), &der);
	if (n < 0) {
		err = ax_error_code(AX_EINVALID, "p= is not base64");
		goto cleanup;
	}
	if (strcmp(out->k, "ed25519") == 0) {
		if (n != 32) {
			err = ax_error_code(AX_EINVALID, "an Ed25519 key is 32 bytes, p= holds %ld", n);
			goto cleanup;
		}
		out->bits = 256;
	} else if (strcmp(out->k, "rsa") == 0) {
		const unsigned char *q = der;
		EVP_PKEY *pk = d2i_PUBKEY(NULL, &q, n);
		if (!pk) { /* some publish the bare RSAPublicKey */
			q = der;
			pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, n);
		}
		if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
			EVP_PKEY_free(pk);
			err = ax_error_code(AX_EINVALID, "p= is not an RSA public key");
			goto cleanup;
		}
		out->bits = EVP_PKEY_get_bits(pk);
		EVP_PKEY_free(pk);
	} else {
		err = ax_error_code(AX_EINVALID, "unknown key type k=%.20s", out->k);
	}
cleanup:
	free(der);
	tags_free(&t);
	if (err < 0)
		md_dkim_free(out);
	return err;
}

int md_dkim_sig_ids(const char *value, char **d_out, char **s_out)
{
	struct tags t;
	const char *d, *s;
	int err;
	*d_out = *s_out = NULL;
	if ((err = tags_parse(value, &t)) < 0)
		return err;
	if (!(d = tag_get(&t, "d")) || !(s = tag_get(&t, "s")) || !d[0] || !s[0] || strlen(s) > 63 ||
	    strcspn(s, " \t\r\n;") != strlen(s)) {
		err = ax_error_code(AX_EINVALID, "DKIM-Signature without d= or a valid s=");
	} else {
		*d_out = lower_dup(d);
		*s_out = ax_strdup(s);
	}
	tags_free(&t);
	return err;
}

/* --- TLS-RPT (RFC 8460 3) --- */

static const char *const tlsrpt_schemes[] = {"mailto:", "https:", NULL};

int md_tlsrpt_parse(const char *rec, char **rua_out)
{
	struct tags t;
	const char *v;
	int err;
	*rua_out = NULL;
	if ((err = tags_versioned(rec, "v", "TLSRPTv1", &t)) < 0)
		return err;
	if (!(v = tag_get(&t, "rua")) || !uri_list_ok(v, tlsrpt_schemes))
		err = ax_error_code(AX_EINVALID, "rua= is missing or holds a URI that is not mailto: or https:");
	else
		*rua_out = ax_strdup(v);
	tags_free(&t);
	return err;
}
