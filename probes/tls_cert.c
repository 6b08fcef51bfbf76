/* tls_cert.c - certificate chain description and validation (see
 * tls_cert.h). */
#include "tls_cert.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "util.h"

static char *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	long len = BIO_get_mem_data(b, &data);
	out = ax_strndup(data ? data : "", len > 0 ? (size_t)len : 0);
	BIO_free(b);
	return out;
}

static char *san_text(X509 *x)
{
	struct ax_buf b = AX_BUF_INIT;
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && i < 100; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_DNS) {
			const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);
			ax_buf_printf(&b, "%sDNS:%.*s", b.size ? ", " : "", ASN1_STRING_length(g->d.dNSName), (const char *)s);
		} else if (g->type == GEN_IPADD) {
			char ip[64] = "?";
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *s = ASN1_STRING_get0_data(g->d.iPAddress);
			if (len == 4 || len == 16)
				inet_ntop(len == 4 ? AF_INET : AF_INET6, s, ip, sizeof(ip));
			ax_buf_printf(&b, "%sIP:%s", b.size ? ", " : "", ip);
		}
	}
	GENERAL_NAMES_free(names);
	return ax_buf_detach(&b);
}

void tls_cert_describe(X509 *x, int64_t now, struct tls_cert_info *out)
{
	memset(out, 0, sizeof(*out));
	out->subject = name_text(X509_get_subject_name(x));
	out->issuer = name_text(X509_get_issuer_name(x));
	out->san = san_text(x);
	const ASN1_TIME *na = X509_get0_notAfter(x);
	struct tm tm;
	if (na && ASN1_TIME_to_tm(na, &tm) == 1) {
		int64_t t = (int64_t)timegm(&tm);
		char text[32];
		ax_time_format(t, text);
		out->not_after = ax_strdup(text);
		int64_t diff = t - now;
		out->days_left = diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
	} else {
		out->not_after = ax_strdup("unknown");
	}
	int nid = X509_get_signature_nid(x);
	out->sig_alg = ax_strdup(nid != NID_undef ? OBJ_nid2ln(nid) : "unknown");
	EVP_PKEY *pk = X509_get0_pubkey(x);
	snprintf(out->key_type, sizeof(out->key_type), "%s", "unknown");
	if (pk) {
		const char *tn = EVP_PKEY_get0_type_name(pk);
		if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS"))
			tn = "RSA";
		else if (EVP_PKEY_is_a(pk, "EC"))
			tn = "EC";
		snprintf(out->key_type, sizeof(out->key_type), "%s", tn ? tn : "unknown");
		out->key_bits = EVP_PKEY_get_bits(pk);
	}
	ERR_clear_error();
}

void tls_cert_info_release(struct tls_cert_info *ci)
{
	if (!ci)
		return;
	free(ci->subject);
	free(ci->issuer);
	free(ci->san);
	free(ci->not_after);
	free(ci->sig_alg);
	memset(ci, 0, sizeof(*ci));
}

json_t *tls_cert_info_json(const struct tls_cert_info *ci)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:i,s:s}", "subject", ci->subject, "issuer", ci->issuer, "san",
			 ci->san, "not_after", ci->not_after, "days_left", (json_int_t)ci->days_left, "key_type",
			 ci->key_type, "key_bits", ci->key_bits, "signature_algorithm", ci->sig_alg);
}

int tls_chain_verify(STACK_OF(X509) *chain, const char *ca_file, int64_t now, char **why)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int rc = AX_ERROR;

	*why = NULL;
	if (!store || !vctx || !untrusted || !chain || sk_X509_num(chain) < 1) {
		rc = 0;
		*why = ax_strdup("no certificate");
		goto cleanup;
	}
	if (ca_file ? X509_STORE_load_file(store, ca_file) != 1 : X509_STORE_set_default_paths(store) != 1) {
		rc = ax_error_set("cannot load CA certificates from %s", ca_file ? ca_file : "the system store");
		goto cleanup;
	}
	for (int i = 1; i < sk_X509_num(chain); i++)
		sk_X509_push(untrusted, sk_X509_value(chain, i));
	if (X509_STORE_CTX_init(vctx, store, sk_X509_value(chain, 0), untrusted) != 1)
		goto cleanup;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(vctx), (time_t)now);
	X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(vctx), X509_PURPOSE_SSL_SERVER);
	if (X509_verify_cert(vctx) == 1) {
		rc = 1;
	} else {
		int err = X509_STORE_CTX_get_error(vctx);
		*why = ax_asprintf("%s (at depth %d)", X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(vctx));
		rc = 0;
	}
cleanup:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

int tls_name_matches(X509 *leaf, const char *name)
{
	unsigned char bin[16];
	if (!leaf || !name || !*name)
		return 0;
	if (inet_pton(AF_INET, name, bin) == 1 || inet_pton(AF_INET6, name, bin) == 1)
		return X509_check_ip_asc(leaf, name, 0) == 1;
	return X509_check_host(leaf, name, strlen(name), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

void tls_chain_pem(STACK_OF(X509) *chain, struct ax_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		PEM_write_bio_X509(b, sk_X509_value(chain, i));
	char *data = NULL;
	long len = BIO_get_mem_data(b, &data);
	if (len > 0)
		ax_buf_put(out, data, (size_t)len);
	BIO_free(b);
}
