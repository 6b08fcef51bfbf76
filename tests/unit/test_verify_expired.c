/* test_verify_expired.c - a bundle whose signing certificate has expired
 * since: signed with a certificate of 2020-2023 (annexa keygen's 3 years),
 * stamped by an in-process RFC 3161 authority (OpenSSL's TS_RESP_CTX with
 * a fixed time) in 2021. Verified today it is valid against the
 * certificate at the stamp's time when the TSA is checked; without a stamp
 * the expiry is named with its date; with --ca the stamp counts only when
 * its TSA is checked; a stamp from after the expiry does not help. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "t.h"

#include "config.h"
#include "controls.h"
#include "export.h"
#include "store.h"
#include "util.h"
#include "zipread.h"

#define T2020 1577836800 /* 2020-01-01 */
#define T2021 1609459200 /* 2021-01-01 */
#define T2024 1704067200 /* 2024-01-01 */

static EVP_PKEY *tsa_key;
static X509 *tsa_cert;

static void ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A self-signed TSA certificate, valid 2019-2040, EKU timeStamping. */
static void make_tsa(const char *ca_path)
{
	tsa_key = EVP_EC_gen("P-256");
	tsa_cert = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test TSA", -1, -1, 0);
	X509_set_version(tsa_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(tsa_cert), 7);
	X509_set_subject_name(tsa_cert, n);
	X509_set_issuer_name(tsa_cert, n);
	ASN1_TIME_set(X509_getm_notBefore(tsa_cert), (time_t)(T2020 - 366 * 86400));
	ASN1_TIME_set(X509_getm_notAfter(tsa_cert), (time_t)2208988800LL); /* 2040 */
	X509_set_pubkey(tsa_cert, tsa_key);
	ext(tsa_cert, NID_ext_key_usage, "critical,timeStamping");
	ext(tsa_cert, NID_key_usage, "critical,digitalSignature");
	X509_sign(tsa_cert, tsa_key, EVP_sha256());
	X509_NAME_free(n);
	BIO *b = BIO_new_file(ca_path, "w");
	PEM_write_bio_X509(b, tsa_cert);
	BIO_free(b);
}

static int fixed_time(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	(void)ctx;
	*sec = *(const long *)data;
	*usec = 0;
	return 1;
}

static int put_chunk(void *arg, const void *data, size_t len)
{
	ax_buf_put(arg, data, len);
	return 0;
}

/* The TSA's reply, stamped at `at`, to a request over the bundle's
 * manifest.json.sig. */
static void stamp(const char *bundle, long at, struct ax_buf *reply)
{
	struct ax_buf zipbytes = AX_BUF_INIT, sig = AX_BUF_INIT, req = AX_BUF_INIT;
	struct ax_zip *z = NULL;
	T_EQ_INT(ax_file_read(bundle, 1 << 24, &zipbytes), 0);
	T_EQ_INT(ax_zip_open_mem(zipbytes.ptr, zipbytes.size, NULL, &z), 0);
	long i = z ? ax_zip_find(z, "manifest.json.sig") : -1;
	T_OK(i >= 0);
	if (i >= 0)
		T_EQ_INT(ax_zip_read(z, (size_t)i, put_chunk, &sig), 0);
	T_EQ_INT(ax_tsa_request(sig.ptr, sig.size, &req), 0);
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.2.3.4.1", 1);
	TS_RESP_CTX_set_signer_cert(ctx, tsa_cert);
	TS_RESP_CTX_set_signer_key(ctx, tsa_key);
	TS_RESP_CTX_set_def_policy(ctx, policy);
	TS_RESP_CTX_add_md(ctx, EVP_sha256());
	TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256());
	TS_RESP_CTX_set_time_cb(ctx, fixed_time, &at);
	BIO *in = BIO_new_mem_buf(req.ptr, (int)req.size);
	TS_RESP *resp = TS_RESP_create_response(ctx, in);
	unsigned char *der = NULL;
	int n = resp ? i2d_TS_RESP(resp, &der) : 0;
	T_OK(n > 0);
	if (n > 0)
		ax_buf_put(reply, der, (size_t)n);
	OPENSSL_free(der);
	TS_RESP_free(resp);
	BIO_free(in);
	ASN1_OBJECT_free(policy);
	TS_RESP_CTX_free(ctx);
	ax_zip_free(z);
	ax_buf_free(&zipbytes);
	ax_buf_free(&sig);
	ax_buf_free(&req);
}

static int verify(const char *zip, const char *ca, const char *tsa_ca, struct ax_verify_report *rep)
{
	struct ax_verify_opts o = {.ca_path = ca, .tsa_ca_path = tsa_ca};
	return ax_bundle_verify(zip, &o, rep);
}

int main(void)
{
	const char *dir = t_tmpdir();
	char *key = ax_asprintf("%s/k.pem", dir), *crt = ax_asprintf("%s/c.pem", dir), *tca = ax_asprintf("%s/tsa.pem", dir);
	char *plain = ax_asprintf("%s/plain.zip", dir), *stamped = ax_asprintf("%s/stamped.zip", dir);
	char *late = ax_asprintf("%s/late.zip", dir), *db = ax_asprintf("%s/s.db", dir);
	struct ax_config *cfg = NULL;
	struct ax_catalog *cat = NULL;
	struct ax_store *st = NULL;
	struct ax_export_data *d = NULL;
	struct ax_signer *signer = NULL;
	struct ax_verify_report rep;
	struct ax_evidence ev = {0};
	struct ax_buf reply = AX_BUF_INIT, late_reply = AX_BUF_INIT;

	if (t_site_open("[annexa]\n\torganization = Old GmbH\n"
			"[probe \"cfg\"]\n\ttype = file\n\tpath = /nonexistent\n\tcontrols = A.8.9\n",
			db, &cfg, &cat, &st) < 0)
		return t_done();
	ax_evidence_add_result(&ev, "cfg", "file", "file.exists", AX_CHECK_PASS, "exists", "{}", T2021);
	T_EQ_INT(ax_store_commit_run(st, "collect", T2021, T2021 + 1, &ev, NULL), 0);
	ax_evidence_free(&ev);
	T_EQ_INT(ax_export_data_load(cfg, st, cat, 0, 0, T2021 + 60, &d), 0);
	/* annexa keygen on 2020-01-01: valid until 2023-01-01 */
	T_EQ_INT(ax_keygen(key, crt, "Old GmbH", T2020), 0);
	T_EQ_INT(ax_signer_load(&signer, key, crt, NULL), 0);
	struct ax_bundle_opts o = {.signer = signer};
	T_EQ_INT(ax_bundle_write(d, &o, plain, NULL), 0);
	T_EQ_INT(ax_bundle_write(d, &o, stamped, NULL), 0);
	T_EQ_INT(ax_bundle_write(d, &o, late, NULL), 0);
	make_tsa(tca);
	stamp(stamped, T2021 + 3600, &reply);
	T_EQ_INT(ax_bundle_add_tsr(stamped, reply.ptr, reply.size, tca), 0);
	stamp(late, T2024, &late_reply);
	T_EQ_INT(ax_bundle_add_tsr(late, late_reply.ptr, late_reply.size, tca), 0);

	/* No stamp: the expiry is named with its date. */
	T_EQ_INT(verify(plain, NULL, NULL, &rep), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "the signer's certificate expired on 2023-01-01");
	T_CONTAINS(ax_error_last(), "no RFC 3161 time stamp");
	ax_verify_report_free(&rep);
	T_EQ_INT(verify(plain, crt, NULL, &rep), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "expired on 2023-01-01");
	ax_verify_report_free(&rep);

	/* Stamped in 2021 by a checked TSA: valid at the stamp's time. */
	T_EQ_INT(verify(stamped, NULL, tca, &rep), 0);
	T_EQ_INT(rep.checked_at, T2021 + 3600);
	T_EQ_INT(rep.tsr_time, T2021 + 3600);
	T_OK(rep.tsr_ca_checked);
	T_OK(rep.signer_expired_at > T2020 + 3 * 365 * 86400);
	ax_verify_report_free(&rep);
	T_EQ_INT(verify(stamped, crt, tca, &rep), 0);
	T_OK(rep.trusted_ca);
	ax_verify_report_free(&rep);
	/* integrity only (no --ca): the stamp's time counts, said so */
	T_EQ_INT(verify(stamped, NULL, NULL, &rep), 0);
	T_EQ_INT(rep.checked_at, T2021 + 3600);
	T_OK(!rep.tsr_ca_checked);
	ax_verify_report_free(&rep);
	/* a trust decision needs the TSA checked too */
	T_EQ_INT(verify(stamped, crt, NULL, &rep), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "give --tsa-ca");
	ax_verify_report_free(&rep);

	/* A stamp from after the expiry proves nothing. */
	T_EQ_INT(verify(late, NULL, tca, &rep), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "at the time stamp's time 2024-01-01");
	ax_verify_report_free(&rep);

	ax_buf_free(&reply);
	ax_buf_free(&late_reply);
	EVP_PKEY_free(tsa_key);
	X509_free(tsa_cert);
	ax_signer_free(signer);
	ax_export_data_free(d);
	t_site_close(cfg, cat, st);
	free(key);
	free(crt);
	free(tca);
	free(plain);
	free(stamped);
	free(late);
	free(db);
	return t_done();
}
