/* sign.c - CMS signatures over manifests, and the signing key generator.
 *
 * Signatures are detached CMS SignedData in DER (CMS_DETACHED|CMS_BINARY,
 * so the bytes signed are exactly the manifest's bytes), carrying the
 * certificate and its chain: `openssl cms -verify -binary` checks them.
 * Key files are created 0600 and linked into place only when the name is
 * free (ax_file_write_new): keygen never overwrites a key. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util.h"
#include "x509.h"

struct ax_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
};

static int load_pem_certs(const char *path, STACK_OF(X509) *into, size_t *n)
{
	BIO *bio = BIO_new_file(path, "r");
	*n = 0;
	if (!bio)
		return ax_error_code(AX_ENOTFOUND, "%s: cannot open: %s", path, strerror(errno));
	*n = ax_pem_certs_read(bio, into);
	BIO_free(bio);
	if (*n == 0)
		return ax_error_code(AX_EINVALID, "%s: no PEM certificate in it", path);
	return 0;
}

int ax_signer_load(struct ax_signer **out, const char *key_path, const char *cert_path, const char *chain_path)
{
	struct ax_signer *s = ax_calloc(1, sizeof(*s));
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *bio = NULL;
	size_t n;
	int err = 0;

	*out = NULL;
	s->chain = sk_X509_new_null();
	if (!(bio = BIO_new_file(key_path, "r"))) {
		err = ax_error_code(AX_ENOTFOUND, "signing key %s: cannot open: %s", key_path, strerror(errno));
		goto cleanup;
	}
	if (!(s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))) {
		err = ax_error_code(AX_EINVALID, "signing key %s: not a PEM private key (%s)", key_path, ax_ssl_err());
		goto cleanup;
	}
	if ((err = load_pem_certs(cert_path, certs, &n)) < 0) {
		ax_error_prefix("signing certificate");
		goto cleanup;
	}
	s->cert = sk_X509_shift(certs);
	/* Further certificates in the certificate file count as chain. */
	while (sk_X509_num(certs) > 0)
		sk_X509_push(s->chain, sk_X509_shift(certs));
	if (chain_path && *chain_path && (err = load_pem_certs(chain_path, s->chain, &n)) < 0) {
		ax_error_prefix("signing chain");
		goto cleanup;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		err = ax_error_code(AX_EINVALID, "signing key %s does not belong to certificate %s", key_path,
				    cert_path);
		goto cleanup;
	}
	*out = s;
	s = NULL;
cleanup:
	BIO_free(bio);
	sk_X509_pop_free(certs, X509_free);
	ax_signer_free(s);
	return err;
}

void ax_signer_free(struct ax_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	free(s);
}

int ax_signer_sign(const struct ax_signer *s, const void *data, size_t len, struct ax_buf *der)
{
	BIO *in = BIO_new_mem_buf(data, (int)len), *mem = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = NULL;
	char *p;
	long n;
	int err = 0;
	if (len > 0x7fffffff) {
		err = ax_error_set("sign: content too large");
		goto cleanup;
	}
	cms = CMS_sign(s->cert, s->key, s->chain, in, CMS_DETACHED | CMS_BINARY);
	if (!cms || i2d_CMS_bio(mem, cms) != 1) {
		err = ax_error_set("sign: CMS signature failed: %s", ax_ssl_err());
		goto cleanup;
	}
	n = BIO_get_mem_data(mem, &p);
	ax_buf_put(der, p, (size_t)n);
cleanup:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(mem);
	return err;
}

static void cert_pem(X509 *x, struct ax_buf *out)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *p;
	PEM_write_bio_X509(mem, x);
	long n = BIO_get_mem_data(mem, &p);
	ax_buf_put(out, p, (size_t)n);
	BIO_free(mem);
}

void ax_signer_chain_pem(const struct ax_signer *s, struct ax_buf *out)
{
	cert_pem(s->cert, out);
	for (int i = 0; i < sk_X509_num(s->chain); i++)
		cert_pem(sk_X509_value(s->chain, i), out);
}

void ax_signer_describe(const struct ax_signer *s, struct ax_buf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *subject = X509_NAME_oneline(X509_get_subject_name(s->cert), NULL, 0);
	X509_digest(s->cert, EVP_sha256(), md, &mdlen);
	ax_hex(md, mdlen, hex);
	ax_buf_printf(out, "%s (SHA-256 fingerprint %s)", subject ? subject : "?", hex);
	OPENSSL_free(subject);
}

void ax_signer_fingerprint(const struct ax_signer *s, char out[96])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = 0;
	X509_digest(s->cert, EVP_sha256(), md, &mdlen);
	out[0] = '\0';
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		n += (size_t)snprintf(out + n, 96 - n, "%s%02X", i ? ":" : "", md[i]);
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *key, const char *organization, int64_t now)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int ok = 0;
	if (!x || !name || RAND_bytes(serial, sizeof(serial)) != 1)
		goto cleanup;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x01; /* and not shortened by a leading zero */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto cleanup;
	X509_set_version(x, 2);
	if (organization && *organization &&
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)organization, -1, -1, 0))
		goto cleanup;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"annexa evidence signing",
					-1, -1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name))
		goto cleanup;
	if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + 3 * 365 * 86400 + 86400)))
		goto cleanup;
	if (!X509_set_pubkey(x, key))
		goto cleanup;
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, NID_authority_key_identifier, "keyid:always") < 0)
		goto cleanup;
	if (!X509_sign(x, key, EVP_sha256()))
		goto cleanup;
	ok = 1;
cleanup:
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int ax_keygen(const char *key_path, const char *cert_path, const char *organization, int64_t now)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *kb = BIO_new(BIO_s_mem());
	struct ax_buf pem = AX_BUF_INIT;
	char *p;
	long n;
	int err = 0;

	/* Check both before writing either: a half-done keygen helps nobody. */
	if (access(key_path, F_OK) == 0) {
		err = ax_error_code(AX_EEXISTS, "%s exists: refusing to overwrite a signing key", key_path);
		goto cleanup;
	}
	if (access(cert_path, F_OK) == 0) {
		err = ax_error_code(AX_EEXISTS, "%s exists: refusing to overwrite it", cert_path);
		goto cleanup;
	}
	if (!(key = EVP_EC_gen("P-256"))) {
		err = ax_error_set("keygen: ECDSA P-256 key generation failed: %s", ax_ssl_err());
		goto cleanup;
	}
	if (!(cert = make_cert(key, organization, now))) {
		err = ax_error_set("keygen: certificate creation failed: %s", ax_ssl_err());
		goto cleanup;
	}
	if (!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL)) {
		err = ax_error_set("keygen: %s", ax_ssl_err());
		goto cleanup;
	}
	n = BIO_get_mem_data(kb, &p);
	if ((err = ax_file_write_new(key_path, p, (size_t)n, 0600)) < 0)
		goto cleanup;
	cert_pem(cert, &pem);
	if ((err = ax_file_write_new(cert_path, pem.ptr, pem.size, 0644)) < 0) {
		unlink(key_path);
		goto cleanup;
	}
cleanup:
	if (kb) {
		/* the key's PEM sat in this buffer: wipe it */
		n = BIO_get_mem_data(kb, &p);
		if (n > 0)
			OPENSSL_cleanse(p, (size_t)n);
	}
	BIO_free(kb);
	ax_buf_free(&pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return err;
}
