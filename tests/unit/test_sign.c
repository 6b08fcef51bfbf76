/* test_sign.c - CMS signing and key generation: the key is 0600 and never
 * overwritten, the certificate names the organization with the promised
 * extensions, a signature verifies with OpenSSL's own CMS_verify (purpose
 * any) and not over changed data, a key of another certificate is refused;
 * time-stamp requests parse and foreign replies are refused. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "t.h"

#include "export.h"
#include "util.h"

static int cms_ok(const struct ax_buf *der, const char *data, const char *cert_path)
{
	const unsigned char *p = (const unsigned char *)der->ptr;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der->size);
	BIO *in = BIO_new_mem_buf(data, -1), *cb = BIO_new_file(cert_path, "r");
	X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, x);
	X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
	int ok = cms && CMS_verify(cms, NULL, store, in, NULL, CMS_BINARY) == 1;
	X509_STORE_free(store);
	X509_free(x);
	BIO_free(cb);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return ok;
}

int main(void)
{
	const char *dir = t_tmpdir();
	char *key = ax_asprintf("%s/k.pem", dir), *crt = ax_asprintf("%s/c.pem", dir);
	char *key2 = ax_asprintf("%s/k2.pem", dir), *crt2 = ax_asprintf("%s/c2.pem", dir);
	struct ax_signer *s = NULL, *bad = NULL;
	struct ax_buf der = AX_BUF_INIT, desc = AX_BUF_INIT, req = AX_BUF_INIT;
	struct stat sb;

	T_EQ_INT(ax_keygen(key, crt, "Example Mail GmbH", ax_now()), 0);
	T_OK(stat(key, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	T_EQ_INT(ax_keygen(key, crt2, "X", ax_now()), AX_EEXISTS);
	T_OK(stat(crt2, &sb) != 0); /* nothing half-written */
	T_EQ_INT(ax_keygen(key2, crt2, "Other", ax_now()), 0);

	/* The certificate: O, CN, keyUsage digitalSignature, 3 years. */
	BIO *cb = BIO_new_file(crt, "r");
	X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	BIO_free(cb);
	T_OK(x != NULL);
	if (x) {
		char *subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
		T_EQ_STR(subj, "/O=Example Mail GmbH/CN=annexa evidence signing");
		OPENSSL_free(subj);
		T_OK(X509_get_key_usage(x) == KU_DIGITAL_SIGNATURE);
		int days = 0, secs = 0;
		ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x));
		T_OK(days >= 3 * 365 && days <= 3 * 366);
		X509_free(x);
	}

	T_EQ_INT(ax_signer_load(&bad, key, crt2, NULL), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "does not belong");
	T_EQ_INT(ax_signer_load(&bad, "/nonexistent.key", crt, NULL), AX_ENOTFOUND);
	T_EQ_INT(ax_signer_load(&s, key, crt, NULL), 0);
	if (!s)
		return t_done();
	T_EQ_INT(ax_signer_sign(s, "{\"files\": []}\n", 14, &der), 0);
	T_OK(cms_ok(&der, "{\"files\": []}\n", crt));
	T_OK(!cms_ok(&der, "{\"files\": [1]}\n", crt));
	T_OK(!cms_ok(&der, "{\"files\": []}\n", crt2));
	ax_signer_describe(s, &desc);
	T_CONTAINS(desc.ptr, "SHA-256 fingerprint");

	/* Time-stamp requests: DER that OpenSSL parses, imprint = SHA-256. */
	T_EQ_INT(ax_tsa_request(der.ptr, der.size, &req), 0);
	const unsigned char *p = (const unsigned char *)req.ptr;
	TS_REQ *tr = d2i_TS_REQ(NULL, &p, (long)req.size);
	T_OK(tr != NULL && TS_REQ_get_nonce(tr) != NULL && TS_REQ_get_cert_req(tr));
	TS_REQ_free(tr);
	T_EQ_INT(ax_tsa_check("garbage", 7, der.ptr, der.size, NULL, NULL, NULL, NULL), AX_EINVALID);
	struct ax_buf reply = AX_BUF_INIT;
	T_EQ_INT(ax_tsa_fetch("https://127.0.0.1:12799/", &req, 1000, &reply), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "https is not supported");
	T_EQ_INT(ax_tsa_fetch("ftp://x/", &req, 1000, &reply), AX_EINVALID);
	ax_buf_free(&reply);

	ax_buf_free(&der);
	ax_buf_free(&desc);
	ax_buf_free(&req);
	ax_signer_free(s);
	ax_signer_free(bad);
	ax_signer_free(NULL);
	free(key);
	free(crt);
	free(key2);
	free(crt2);
	return t_done();
}
