/* test_maildns.c - the record parsers of the `maildns` probe, table-driven:
 * SPF terms, lookup counting and the `all` qualifier as RFC 7208 defines
 * them; DMARC tags and defaults (RFC 7489 6.3); DKIM keys of every kind
 * (RSA in SubjectPublicKeyInfo and bare RSAPublicKey, Ed25519, revoked,
 * malformed) with their sizes; TLS-RPT's rua; MTA-STS records, policies
 * (RFC 8461 3.2) and mx pattern matching; TLSA matching (RFC 7672) of
 * every usage, selector and name rule against a chain made here; MX
 * redundancy's networks and its count of hosts apart. The DNS side runs against a
 * real server in tests/integration/maildns.sh. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "error.h"
#include "maildns_dane.h"
#include "maildns_dns.h"
#include "maildns_rec.h"
#include "maildns_sts.h"
#include "t.h"
#include "util.h"

static void test_spf(void)
{
	static const struct {
		const char *rec;
		int rc;
		char all;
		int lookups;
		size_t nincludes;
		const char *redirect;
		const char *err;
	} cases[] = {
		{"v=spf1 -all", 0, '-', 0, 0, NULL, NULL},
		{"V=SPF1  mx  a:mail.example.com/24 ~all", 0, '~', 2, 0, NULL, NULL},
		{"v=spf1 include:_spf.example.com include:x.example.net ?all", 0, '?', 2, 2, NULL, NULL},
		{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 +all", 0, '+', 0, 0, NULL, NULL},
		{"v=spf1 all", 0, '+', 0, 0, NULL, NULL},
		{"v=spf1 mx", 0, 0, 1, 0, NULL, NULL},
		{"v=spf1 redirect=_spf.example.com", 0, 0, 1, 0, "_spf.example.com", NULL},
		/* RFC 7208 6.1: redirect ignored with all, so it costs no lookup (4.6.4) */
		{"v=spf1 -all redirect=_spf.example.com", 0, '-', 0, 0, NULL, NULL},
		{"v=spf1 redirect=%{d}.example ~all", 0, '~', 0, 0, NULL, NULL},
		/* 5.1: terms after `all` are never evaluated: no lookups, no includes */
		{"v=spf1 -all include:a.example include:b.example mx", 0, '-', 0, 0, NULL, NULL},
		{"v=spf1 mx ?all a", 0, '?', 1, 0, NULL, NULL},
		/* ... but still syntax-checked (4.6: an error anywhere permerrors) */
		{"v=spf1 -all ip4:300.0.0.1", AX_EINVALID, 0, 0, 0, NULL, "bad address"},
		/* case-insensitive mechanism names and version (RFC 5234 strings) */
		{"v=spf1 INCLUDE:_spf.example.com MX -ALL", 0, '-', 2, 1, NULL, NULL},
		{"v=spf1 exists:%{i}.bl.example.com include:%{d}.example -all", 0, '-', 2, 0, NULL, NULL},
		{"v=spf1 ptr ptr:example.com a//64 mx/24//64 -all", 0, '-', 4, 0, NULL, NULL},
		{"v=spf1 foo=bar -all", 0, '-', 0, 0, NULL, NULL}, /* unknown modifier ignored */
		{"v=spf1 exp=explain.example.com -all", 0, '-', 0, 0, NULL, NULL},
		{"v=spf1 ip4:192.0.2.300 -all", AX_EINVALID, 0, 0, 0, NULL, "bad address"},
		{"v=spf1 ip4:192.0.2.0/33 -all", AX_EINVALID, 0, 0, 0, NULL, "bad address"},
		{"v=spf1 ip6:192.0.2.1 -all", AX_EINVALID, 0, 0, 0, NULL, "bad address"},
		{"v=spf1 include -all", AX_EINVALID, 0, 0, 0, NULL, "bad term"},
		{"v=spf1 a:/24 -all", AX_EINVALID, 0, 0, 0, NULL, "bad term"},
		{"v=spf1 all:x", AX_EINVALID, 0, 0, 0, NULL, "bad term"},
		{"v=spf1 spf2 -all", AX_EINVALID, 0, 0, 0, NULL, "unknown mechanism"},
		{"v=spf1 redirect=a.example redirect=b.example", AX_EINVALID, 0, 0, 0, NULL, "twice"},
		{"v=spf10 -all", AX_EINVALID, 0, 0, 0, NULL, "not an SPF record"},
		{"", AX_EINVALID, 0, 0, 0, NULL, "not an SPF record"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct md_spf s;
		int rc = md_spf_parse(cases[i].rec, &s);
		T_EQ_INT(rc, cases[i].rc);
		if (rc == 0) {
			T_EQ_INT(s.all, cases[i].all);
			T_EQ_INT(s.lookups, cases[i].lookups);
			T_EQ_INT(s.nincludes, cases[i].nincludes);
			if (cases[i].redirect)
				T_EQ_STR(s.redirect, cases[i].redirect);
			else
				T_OK(s.redirect == NULL);
		} else if (rc == cases[i].rc) {
			T_CONTAINS(ax_error_last(), cases[i].err);
		}
		md_spf_free(&s);
	}
	/* A pass-qualified ip4:/0 or ip6:/0 before `all` authorizes every
	 * address: the record is as open as +all whatever it ends in. */
	static const struct {
		const char *rec;
		int open;
	} opens[] = {
		{"v=spf1 ip4:0.0.0.0/0 -all", 1},
		{"v=spf1 +ip6:::/0 ~all", 1},
		{"v=spf1 ip4:192.0.2.0/24 ip4:10.0.0.0/0 -all", 1},
		{"v=spf1 -ip4:0.0.0.0/0 -all", 0},
		{"v=spf1 ~ip6:::/0 -all", 0},
		{"v=spf1 -all ip4:0.0.0.0/0", 0}, /* after all: never tested */
		{"v=spf1 ip4:0.0.0.0 -all", 0},   /* no prefix: one address (/32) */
		{"v=spf1 ip4:192.0.2.0/1 -all", 0},
	};
	for (size_t i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		struct md_spf s;
		T_EQ_INT(md_spf_parse(opens[i].rec, &s), 0);
		T_EQ_INT(s.open, opens[i].open);
		md_spf_free(&s);
	}
	/* an include's qualifier decides whether an open target opens the record */
	struct md_spf q;
	T_EQ_INT(md_spf_parse("v=spf1 -include:a.example include:b.example ~include:c.example -all", &q), 0);
	T_EQ_INT(q.nincludes, 3);
	T_EQ_INT(q.include_q[0], '-');
	T_EQ_INT(q.include_q[1], '+');
	T_EQ_INT(q.include_q[2], '~');
	md_spf_free(&q);
	T_OK(md_rec_is("v=spf1", "v=spf1"));
	T_OK(!md_rec_is("v=spf1x", "v=spf1"));
	T_OK(md_rec_is("v=DMARC1;p=none", "v=DMARC1"));
}

static void test_dmarc(void)
{
	static const struct {
		const char *rec;
		int rc;
		const char *p, *sp;
		int pct;
		char adkim, aspf;
		int rua;
		const char *err;
	} cases[] = {
		{"v=DMARC1; p=reject; rua=mailto:d@example.com", 0, "reject", NULL, 100, 'r', 'r', 1, NULL},
		{"v=DMARC1;p=Quarantine;sp=none;pct=20;adkim=s;aspf=S;", 0, "quarantine", "none", 20, 's', 's', 0, NULL},
		{"v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net!10m", 0, "none", NULL, 100, 'r', 'r', 1, NULL},
		{"v=DMARC1; p=none; x_future=1", 0, "none", NULL, 100, 'r', 'r', 0, NULL},
		{"v=DMARC1", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "p= is missing"},
		{"v=DMARC1; p=block", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "p= is missing"},
		{"p=reject; v=DMARC1", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "does not start with v=DMARC1"},
		{"v=DMARC1; p=reject; pct=101", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "pct="},
		{"v=DMARC1; p=reject; pct=-1", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "pct="},
		{"v=DMARC1; p=reject; adkim=x", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "adkim="},
		{"v=DMARC1; p=reject; rua=https://example.com/r", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "not mailto:"},
		{"v=DMARC1; p=reject; p=none", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "repeated"},
		{"v=DMARC1; p reject", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "without '='"},
		/* RFC 7489 6.3/6.4: v= first with exactly DMARC1 (%x44.4d.41.52.43.31),
		 * the other tags in any order, p= after v= */
		{"v=DMARC1;rua=mailto:d@example.com;pct=100;sp=reject;p=reject", 0, "reject", "reject", 100, 'r', 'r', 1, NULL},
		{"v=dmarc1; p=reject", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "does not start with v=DMARC1"},
		{"rua=mailto:d@example.com; v=DMARC1; p=reject", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "does not start"},
		{"v=DMARC1; P=REJECT", 0, "reject", NULL, 100, 'r', 'r', 0, NULL},
		/* p=none with pct: parsed as written, the check fails both (weak p, pct<100) */
		{"v=DMARC1; p=none; pct=50", 0, "none", NULL, 50, 'r', 'r', 0, NULL},
		/* missing p= with rua: receivers act as p=none (6.6.3 step 6); the record is still not valid */
		{"v=DMARC1; rua=mailto:d@example.com", AX_EINVALID, NULL, NULL, 0, 0, 0, 0, "p= is missing"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct md_dmarc d;
		int rc = md_dmarc_parse(cases[i].rec, &d);
		T_EQ_INT(rc, cases[i].rc);
		if (rc == 0) {
			T_EQ_STR(d.p, cases[i].p);
			if (cases[i].sp)
				T_EQ_STR(d.sp, cases[i].sp);
			else
				T_OK(d.sp == NULL);
			T_EQ_INT(d.pct, cases[i].pct);
			T_EQ_INT(d.adkim, cases[i].adkim);
			T_EQ_INT(d.aspf, cases[i].aspf);
			T_EQ_INT(d.rua != NULL, cases[i].rua);
		} else if (rc == cases[i].rc) {
			T_CONTAINS(ax_error_last(), cases[i].err);
		}
		md_dmarc_free(&d);
	}
}

/* base64 of a fresh key's public part: SubjectPublicKeyInfo, or (spki 0)
 * the bare RSAPublicKey / raw Ed25519 key. */
static char *pub_b64(const char *alg, int bits, int spki)
{
	EVP_PKEY *pk = strcmp(alg, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)
					      : EVP_PKEY_Q_keygen(NULL, NULL, alg);
	unsigned char *der = NULL;
	int n = spki ? i2d_PUBKEY(pk, &der) : i2d_PublicKey(pk, &der);
	if (!spki && strcmp(alg, "ED25519") == 0) { /* raw key: the SPKI's last 32 bytes */
		OPENSSL_free(der);
		der = NULL;
		n = i2d_PUBKEY(pk, &der);
		memmove(der, der + n - 32, 32);
		n = 32;
	}
	char *out = ax_malloc((size_t)n * 2 + 4);
	EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return out;
}

static void test_dkim(void)
{
	char *rsa1024 = pub_b64("RSA", 1024, 1), *rsa2048 = pub_b64("RSA", 2048, 1), *bare = pub_b64("RSA", 2048, 0);
	char *ed = pub_b64("ED25519", 0, 0);
	/* a key split over character-strings and folded, as published */
	char *folded = ax_asprintf("v=DKIM1; k=rsa; p=%.40s %s", rsa2048, rsa2048 + 40);
	const struct {
		char *rec;
		int rc;
		const char *k;
		int bits, revoked, testing;
		const char *err;
	} cases[] = {
		{ax_asprintf("v=DKIM1; k=rsa; p=%s", rsa2048), 0, "rsa", 2048, 0, 0, NULL},
		{ax_asprintf("p=%s", rsa1024), 0, "rsa", 1024, 0, 0, NULL},
		{ax_asprintf("v=DKIM1; p=%s", bare), 0, "rsa", 2048, 0, 0, NULL},
		{ax_asprintf("v=DKIM1; k=ed25519; t=y:s; p=%s", ed), 0, "ed25519", 256, 0, 1, NULL},
		{ax_strdup(folded), 0, "rsa", 2048, 0, 0, NULL},
		{ax_strdup("v=DKIM1; k=rsa; p="), 0, "rsa", 0, 1, 0, NULL},
		{ax_asprintf("v=DKIM1; k=ed25519; p=%s", rsa2048), AX_EINVALID, NULL, 0, 0, 0, "Ed25519 key is 32 bytes"},
		{ax_asprintf("v=DKIM1; k=rsa; p=%s", ed), AX_EINVALID, NULL, 0, 0, 0, "not an RSA public key"},
		{ax_strdup("v=DKIM1; k=rsa; p=!!!!"), AX_EINVALID, NULL, 0, 0, 0, "not base64"},
		{ax_strdup("v=DKIM1; k=rsa; p=QUJD"), AX_EINVALID, NULL, 0, 0, 0, "not an RSA public key"},
		{ax_asprintf("v=DKIM1; k=dsa; p=%s", rsa2048), AX_EINVALID, NULL, 0, 0, 0, "unknown key type"},
		{ax_asprintf("k=rsa; v=DKIM1; p=%s", rsa2048), AX_EINVALID, NULL, 0, 0, 0, "first tag"},
		{ax_strdup("v=DKIM1; k=rsa"), AX_EINVALID, NULL, 0, 0, 0, "no p="},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct md_dkim d;
		int rc = md_dkim_parse(cases[i].rec, &d);
		T_EQ_INT(rc, cases[i].rc);
		if (rc == 0) {
			T_EQ_STR(d.k, cases[i].k);
			T_EQ_INT(d.bits, cases[i].bits);
			T_EQ_INT(d.revoked, cases[i].revoked);
			T_EQ_INT(d.testing, cases[i].testing);
		} else if (rc == cases[i].rc) {
			T_CONTAINS(ax_error_last(), cases[i].err);
		}
		md_dkim_free(&d);
		free(cases[i].rec);
	}
	free(rsa1024);
	free(rsa2048);
	free(bare);
	free(ed);
	free(folded);
}

static void test_dkim_sig(void)
{
	char *d, *s;
	T_EQ_INT(md_dkim_sig_ids(" v=1; a=rsa-sha256; d=Example.COM;\r\n\ts=mail2026; h=from:to; bh=x; b=y", &d, &s), 0);
	T_EQ_STR(d, "example.com");
	T_EQ_STR(s, "mail2026");
	free(d);
	free(s);
	T_EQ_INT(md_dkim_sig_ids("v=1; d=example.com; h=from", &d, &s), AX_EINVALID);
	T_OK(d == NULL && s == NULL);
	T_EQ_INT(md_dkim_sig_ids("v=1; d=example.com; s=a b", &d, &s), AX_EINVALID);
	T_EQ_INT(md_dkim_sig_ids("v=1; d=; s=x", &d, &s), AX_EINVALID);
}

static void test_tlsrpt(void)
{
	char *rua;
	T_EQ_INT(md_tlsrpt_parse("v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/v1", &rua), 0);
	T_EQ_STR(rua, "mailto:tls@example.com,https://r.example.com/v1");
	free(rua);
	T_EQ_INT(md_tlsrpt_parse("v=TLSRPTv1;", &rua), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "rua= is missing");
	T_OK(rua == NULL);
	T_EQ_INT(md_tlsrpt_parse("v=TLSRPTv1; rua=http://r.example.com", &rua), AX_EINVALID);
	T_EQ_INT(md_tlsrpt_parse("v=TLSRPTv2; rua=mailto:a@example.com", &rua), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "v=TLSRPTv1");
}

static void test_mta_sts(void)
{
	static const struct {
		const char *body;
		int rc;
		const char *mode;
		int64_t max_age;
		size_t nmx;
		const char *err;
	} cases[] = {
		/* RFC 8461 3.2's example, CRLF and LF */
		{"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\n"
		 "max_age: 604800\r\n", 0, "enforce", 604800, 3, NULL},
		{"version: STSv1\nmode: testing\nmx: MX.Example.com\nmax_age: 86400\nfuture_key: x\n", 0, "testing", 86400, 1, NULL},
		{"version: STSv1\nmode: none\nmax_age: 0", 0, "none", 0, 0, NULL},
		{"version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", AX_EINVALID, NULL, 0, 0, "STSv1"},
		{"version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", AX_EINVALID, NULL, 0, 0, "mode"},
		{"version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n", AX_EINVALID, NULL, 0, 0, "max_age"},
		{"version: STSv1\nmode: enforce\nmax_age: 5\n", AX_EINVALID, NULL, 0, 0, "lacks"},
		{"version: STSv1\nmode enforce\n", AX_EINVALID, NULL, 0, 0, "without ':'"},
		{"<html>Moved</html>", AX_EINVALID, NULL, 0, 0, "without ':'"},
		{"", AX_EINVALID, NULL, 0, 0, "lacks"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct md_sts p;
		int rc = md_sts_parse(cases[i].body, strlen(cases[i].body), &p);
		T_EQ_INT(rc, cases[i].rc);
		if (rc == 0) {
			T_EQ_STR(p.mode, cases[i].mode);
			T_EQ_INT(p.max_age, cases[i].max_age);
			T_EQ_INT(p.nmx, cases[i].nmx);
		} else if (rc == cases[i].rc) {
			T_CONTAINS(ax_error_last(), cases[i].err);
		}
		md_sts_free(&p);
	}
	T_OK(md_sts_mx_match("mail.example.com", "mail.example.com"));
	T_OK(md_sts_mx_match("*.example.net", "mx1.example.net"));
	T_OK(!md_sts_mx_match("*.example.net", "a.mx1.example.net")); /* one label only */
	T_OK(!md_sts_mx_match("*.example.net", "example.net"));
	T_OK(!md_sts_mx_match("*.example.net", ".example.net"));
	T_OK(!md_sts_mx_match("mail.example.com", "mail.example.com.evil"));
	char *id;
	T_EQ_INT(md_sts_record_parse("v=STSv1; id=20160831085700Z;", &id), 0);
	T_EQ_STR(id, "20160831085700Z");
	free(id);
	T_EQ_INT(md_sts_record_parse("v=STSv1; id=bad-id", &id), AX_EINVALID);
	T_EQ_INT(md_sts_record_parse("v=STSv1;", &id), AX_EINVALID);
	/* RFC 8461 3.1: id= must be a field of its own, not the tail of another */
	T_EQ_INT(md_sts_record_parse("v=STSv1; xid=20160831085700Z", &id), AX_EINVALID);
	T_EQ_INT(md_sts_record_parse("v=STSv1 id=20160831085700Z", &id), AX_EINVALID);
	T_EQ_INT(md_sts_record_parse("v=STSv1;ext=1 ;\tid=abc;", &id), 0);
	T_EQ_STR(id, "abc");
	free(id);
	T_EQ_INT(md_sts_record_parse("v=STSv1; id=abc; id=def", &id), 0); /* first id= */
	T_EQ_STR(id, "abc");
	free(id);
	T_EQ_INT(md_sts_record_parse("V=STSv1; id=abc", &id), AX_EINVALID); /* %s"v=STSv1": case-sensitive */
	T_EQ_INT(md_sts_record_parse("v=STSv1; id=012345678901234567890123456789012", &id), AX_EINVALID);
}

/* A certificate for cn (a CA when issuer is NULL), signed by signer. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), issuer ? 2 : 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	char *san = ax_asprintf("DNS:%s", cn);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, issuer ? NID_subject_alt_name : NID_basic_constraints,
						issuer ? san : "critical,CA:TRUE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	free(san);
	X509_sign(x, signer, EVP_sha256());
	return x;
}

/* "U S M HEX" of x for selector s (0 whole certificate, 1 key), SHA-256. */
static char *tlsa_of(unsigned u, unsigned s, X509 *x)
{
	unsigned char *der = NULL, md[32];
	int n = s ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der) : i2d_X509(x, &der);
	char hex[65];
	EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL);
	ax_hex(md, 32, hex);
	OPENSSL_free(der);
	return ax_asprintf("%u %u 1 %s", u, s, hex);
}

static void test_dane(void)
{
	EVP_PKEY *cakey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *ca = make_cert(cakey, cakey, NULL, "Test CA");
	X509 *leaf = make_cert(key, cakey, ca, "mx.example.com");
	X509 *stranger = make_cert(other, other, NULL, "Other CA");
	STACK_OF(X509) *chain = sk_X509_new_null();
	sk_X509_push(chain, leaf);
	sk_X509_push(chain, ca);
	struct {
		char *rec;
		const char *host;
		int match;
		size_t usable;
	} cases[] = {
		{tlsa_of(3, 1, leaf), "mx.example.com", 1, 1},
		{tlsa_of(3, 0, leaf), "other.example.com", 1, 1}, /* DANE-EE: names do not matter */
		{tlsa_of(2, 0, ca), "mx.example.com", 1, 1},
		{tlsa_of(2, 1, ca), "mx.example.com", 1, 1},
		{tlsa_of(2, 0, ca), "other.example.com", 0, 1}, /* DANE-TA: the leaf must name the host */
		{tlsa_of(3, 1, ca), "mx.example.com", 0, 1},    /* DANE-EE is the leaf only */
		{tlsa_of(2, 0, leaf), "mx.example.com", 0, 1},  /* DANE-TA is above the leaf */
		{tlsa_of(2, 0, stranger), "mx.example.com", 0, 1},
		{tlsa_of(1, 1, leaf), "mx.example.com", 0, 0},  /* PKIX-EE: unusable for SMTP */
		{tlsa_of(0, 0, ca), "mx.example.com", 0, 0},
		{ax_strdup("3 1 1 zz"), "mx.example.com", 0, 1},
		{ax_strdup("3 1 9 00"), "mx.example.com", 0, 0},
		/* RFC 6698 2.1: selector 0/1, matching type 0/1/2; other values
		 * and usages 4+ are unusable, never a match */
		{ax_strdup("3 2 1 00"), "mx.example.com", 0, 0},
		{ax_strdup("3 1 3 00"), "mx.example.com", 0, 0},
		{ax_strdup("4 1 1 00"), "mx.example.com", 0, 0},
		{ax_strdup("3 1 1"), "mx.example.com", 0, 1},
		{ax_strdup("junk"), "mx.example.com", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t usable = 99;
		T_EQ_INT(md_dane_match(&cases[i].rec, 1, chain, cases[i].host, &usable), cases[i].match);
		T_EQ_INT(usable, cases[i].usable);
	}
	/* a full answer matches when any one record does */
	char *all[] = {cases[7].rec, cases[8].rec, cases[0].rec};
	size_t usable;
	T_EQ_INT(md_dane_match(all, 3, chain, "mx.example.com", &usable), 1);
	T_EQ_INT(md_dane_match(all, 2, chain, "mx.example.com", &usable), 0);
	T_EQ_INT(usable, 1);
	T_EQ_INT(md_dane_match(all, 3, NULL, "mx.example.com", &usable), 0);
	/* DANE-TA published in full (2 0 0, 2 1 0): the server may send the
	 * leaf alone (RFC 7671 5.2.2) */
	STACK_OF(X509) *leaf_only = sk_X509_new_null();
	sk_X509_push(leaf_only, leaf);
	struct {
		X509 *ta;
		unsigned selector;
		const char *host;
		int match;
	} full[] = {
		{ca, 0, "mx.example.com", 1},
		{ca, 1, "mx.example.com", 1},
		{ca, 0, "other.example.com", 0}, /* the leaf must still name the host */
		{stranger, 0, "mx.example.com", 0},
		{stranger, 1, "mx.example.com", 0},
	};
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		unsigned char *der = NULL;
		int n = full[i].selector ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(full[i].ta), &der) : i2d_X509(full[i].ta, &der);
		char *hex = ax_malloc((size_t)n * 2 + 1);
		ax_hex(der, (size_t)n, hex);
		char *rec = ax_asprintf("2 %u 0 %s", full[i].selector, hex);
		T_EQ_INT(md_dane_match(&rec, 1, leaf_only, full[i].host, &usable), full[i].match);
		/* the digest form of the same anchor needs it in the chain */
		char *digest = tlsa_of(2, full[i].selector, full[i].ta);
		T_EQ_INT(md_dane_match(&digest, 1, leaf_only, full[i].host, &usable), 0);
		free(digest);
		free(rec);
		free(hex);
		OPENSSL_free(der);
	}
	char *garbled = ax_strdup("2 0 0 3082zz");
	T_EQ_INT(md_dane_match(&garbled, 1, leaf_only, "mx.example.com", &usable), 0);
	free(garbled);
	sk_X509_free(leaf_only);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		free(cases[i].rec);
	sk_X509_free(chain);
	X509_free(leaf);
	X509_free(ca);
	X509_free(stranger);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(other);
}

/* RFC 7489 3.2 organizational domains, from the system's Public Suffix List */
static void test_org_domain(void)
{
	const struct {
		const char *name, *org;
	} cases[] = {
		{"news.good.example", "good.example"}, /* an unlisted TLD is one label (the list's "*" rule) */
		{"good.example", "good.example"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"mail.example.com", "example.com"},
		{"co.uk", NULL},
		{"com", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *org = md_org_domain(cases[i].name);
		if (cases[i].org)
			T_EQ_STR(org ? org : "(null)", cases[i].org);
		else
			T_OK(org == NULL);
		free(org);
	}
}

/* MX redundancy (A.8.14): networks are IPv4 /24 and IPv6 /48, an
 * IPv4-mapped IPv6 address in its IPv4 /24; what counts is MX hosts in
 * distinct networks, not networks. */
static void test_mx_networks(void)
{
	static const struct {
		const char *ip, *net;
	} nets[] = {
		{"192.0.2.77", "192.0.2.0/24"},
		{"::ffff:192.0.2.77", "192.0.2.0/24"},
		{"2001:db8:1:2::1", "2001:0db8:0001::/48"},
		{"::1", "0000:0000:0000::/48"},
		{"mx.example", ""},
	};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		char net[64];
		md_network_of(nets[i].ip, net);
		T_EQ_STR(net, nets[i].net);
	}
	static const struct {
		const char *addr[4];
		size_t host[4];
		size_t n, apart;
	} cases[] = {
		/* two hosts, two /24s */
		{{"192.0.2.1", "198.51.100.1"}, {0, 1}, 2, 2},
		/* two hosts in one /24 */
		{{"192.0.2.1", "192.0.2.200"}, {0, 1}, 2, 1},
		/* one dual-stacked host: two networks, one host */
		{{"192.0.2.1", "2001:db8::1"}, {0, 0}, 2, 1},
		/* two names for the same dual-stacked machine */
		{{"192.0.2.1", "2001:db8::1", "192.0.2.1", "2001:db8::1"}, {0, 0, 1, 1}, 4, 1},
		/* the same address as A of one and IPv4-mapped AAAA of another */
		{{"192.0.2.1", "::ffff:192.0.2.1"}, {0, 1}, 2, 1},
		/* a host in n1 and n2, one only in n1: both fit (matching) */
		{{"192.0.2.1", "198.51.100.1", "192.0.2.2"}, {0, 0, 1}, 3, 2},
		/* three hosts, two only in n1: two fit */
		{{"192.0.2.1", "198.51.100.1", "192.0.2.2", "192.0.2.3"}, {0, 0, 1, 2}, 4, 2},
		{{"not an address", "192.0.2.1"}, {0, 1}, 2, 1},
		{{NULL}, {0}, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_EQ_INT(md_hosts_apart(cases[i].addr, cases[i].host, cases[i].n), cases[i].apart);
}

int main(void)
{
	test_org_domain();
	test_dane();
	test_mta_sts();
	test_spf();
	test_mx_networks();
	test_dmarc();
	test_dkim();
	test_tlsrpt();
	test_dkim_sig();
	return t_done();
}
