/* maildns_dane.c - TLSA matching for SMTP (RFC 7672 3.1; see
 * maildns_dane.h). Digests are compared as lowercase hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "buf.h"
#include "maildns_dane.h"
#include "util.h"

/* The hex of what a record of selector/mtype compares for cert x. */
static char *association(X509 *x, unsigned selector, unsigned mtype)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	int n = selector == 0 ? i2d_X509(x, &der) : i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	char *hex = NULL;
	if (n <= 0)
		return NULL;
	if (mtype == 0) {
		hex = ax_malloc((size_t)n * 2 + 1);
		ax_hex(der, (size_t)n, hex);
	} else {
		unsigned mdlen = 0;
		if (EVP_Digest(der, (size_t)n, md, &mdlen, mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL)) {
			hex = ax_malloc(mdlen * 2 + 1);
			ax_hex(md, mdlen, hex);
		}
	}
	OPENSSL_free(der);
	return hex;
}

/* DANE-TA: the leaf validates up to ta (taken as the trust anchor) and names host. */
static int chains_to(STACK_OF(X509) *chain, X509 *ta, const char *host)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;
	if (store && ctx && X509_STORE_add_cert(store, ta) &&
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain)) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
		X509_VERIFY_PARAM_set1_host(param, host, 0);
		ok = X509_verify_cert(ctx) == 1;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* DANE-TA published in full (matching type 0): the trust anchor need not be
 * in the chain the server sends (RFC 7671 5.2.2). The key of the record
 * (a whole certificate, selector 0, or a SubjectPublicKeyInfo, selector 1)
 * must have signed a certificate of the chain that the leaf validates up
 * to, the leaf naming host. */
static int signed_by_record(STACK_OF(X509) *chain, unsigned selector, const char *hex, const char *host)
{
	size_t len = strlen(hex) / 2;
	unsigned char *der = ax_malloc(len ? len : 1);
	const unsigned char *p = der;
	X509 *ta = NULL;
	EVP_PKEY *key = NULL;
	int ok = 0;
	if (ax_unhex(hex, der, len) < 0)
		goto cleanup;
	if (selector == 0 && (ta = d2i_X509(NULL, &p, (long)len)))
		key = X509_get_pubkey(ta);
	else if (selector == 1)
		key = d2i_PUBKEY(NULL, &p, (long)len);
	for (int k = 0; key && k < sk_X509_num(chain) && !ok; k++) {
		X509 *x = sk_X509_value(chain, k);
		ok = X509_verify(x, key) == 1 && chains_to(chain, x, host);
	}
cleanup:
	EVP_PKEY_free(key);
	X509_free(ta);
	free(der);
	ERR_clear_error();
	return ok;
}

int md_dane_match(char *const *tlsa, size_t n, STACK_OF(X509) *chain, const char *host, size_t *usable)
{
	int matched = 0;
	*usable = 0;
	if (!chain || sk_X509_num(chain) < 1)
		return 0;
	for (size_t i = 0; i < n && !matched; i++) {
		unsigned u, s, m;
		int off = 0;
		if (sscanf(tlsa[i], "%u %u %u %n", &u, &s, &m, &off) != 3 || !off || (u != 2 && u != 3) || s > 1 || m > 2)
			continue;
		(*usable)++;
		const char *want = tlsa[i] + off;
		for (int k = u == 3 ? 0 : 1; k < (u == 3 ? 1 : sk_X509_num(chain)) && !matched; k++) {
			X509 *x = sk_X509_value(chain, k);
			char *have = association(x, s, m);
			matched = have && strcmp(have, want) == 0 && (u == 3 || chains_to(chain, x, host));
			free(have);
		}
		if (!matched && u == 2 && m == 0)
			matched = signed_by_record(chain, s, want, host);
	}
	return matched;
}
