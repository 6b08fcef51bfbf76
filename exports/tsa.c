/* tsa.c - RFC 3161 time stamps of a bundle's signature.
 *
 * The request stamps SHA-256 of manifest.json.sig (so the stamp proves the
 * signature, and with it the manifest, existed at the stamp's time). The
 * reply is fetched with a minimal HTTP/1.0 POST over a plain socket within
 * a deadline and a 1 MiB limit (http:// only: no TLS client here, and a
 * time stamp needs none: the reply is signed), or carried by hand for
 * offline sites. A reply is accepted only when granted, stamping our
 * imprint, with our nonce when we sent one, and (with a CA) signed by a
 * TSA whose certificate chains to it. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "net.h"
#include "util.h"
#include "x509.h"

#define REPLY_MAX (1 << 20)

static void sha256(const void *data, size_t len, unsigned char md[32])
{
	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
}

int ax_tsa_request(const void *signature, size_t len, struct ax_buf *out)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char md[32], rnd[8], *der = NULL;
	int n, err = 0;

	sha256(signature, len, md);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || !(bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) ||
	    !(nonce = BN_to_ASN1_INTEGER(bn, NULL)) || !req || !mi || !alg ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) || !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md)) || !TS_REQ_set_version(req, 1) ||
	    !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1) ||
	    (n = i2d_TS_REQ(req, &der)) <= 0) {
		err = ax_error_set("tsa: cannot build the time-stamp request");
		goto cleanup;
	}
	ax_buf_put(out, der, (size_t)n);
cleanup:
	OPENSSL_free(der);
	BN_free(bn);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	ERR_clear_error();
	return err;
}

/* ---- a minimal HTTP/1.0 client ---- */

struct url {
	char *host, *port, *path;
};

static int parse_url(const char *s, struct url *u)
{
	if (strncmp(s, "https://", 8) == 0)
		return ax_error_code(AX_EINVALID, "tsa-url %s: https is not supported (time-stamp replies are signed, "
				     "so plain http:// is safe to use)", s);
	if (strncmp(s, "http://", 7) != 0)
		return ax_error_code(AX_EINVALID, "tsa-url %s: must start with http://", s);
	const char *h = s + 7, *slash = strchr(h, '/');
	size_t hl = slash ? (size_t)(slash - h) : strlen(h);
	char *hostport = ax_strndup(h, hl), *colon = strrchr(hostport, ':');
	if (colon && !strchr(colon, ']')) {
		*colon = 0;
		u->port = ax_strdup(colon + 1);
	} else {
		u->port = ax_strdup("80");
	}
	u->host = hostport;
	if (u->host[0] == '[') { /* [::1] */
		memmove(u->host, u->host + 1, strlen(u->host));
		char *rb = strchr(u->host, ']');
		if (rb)
			*rb = 0;
	}
	u->path = ax_strdup(slash ? slash : "/");
	if (!*u->host)
		return ax_error_code(AX_EINVALID, "tsa-url %s: no host", s);
	return 0;
}

static int send_all(int fd, const char *p, size_t len, int64_t deadline, const struct url *u)
{
	while (len) {
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		if (poll(&pf, 1, ax_ms_left(deadline)) != 1)
			return ax_error_code(AX_ETIMEOUT, "tsa %s: sending timed out", u->host);
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return ax_error_set("tsa %s: send: %s", u->host, strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, struct ax_buf *in, int64_t deadline, const struct url *u)
{
	char chunk[16384];
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, ax_ms_left(deadline)) != 1)
			return ax_error_code(AX_ETIMEOUT, "tsa %s: no complete reply before the deadline", u->host);
		ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0)
			return ax_error_set("tsa %s: recv: %s", u->host, strerror(errno));
		if (r == 0)
			return 0;
		if (in->size + (size_t)r > REPLY_MAX + 16384)
			return ax_error_code(AX_EINVALID, "tsa %s: reply larger than 1 MiB", u->host);
		ax_buf_put(in, chunk, (size_t)r);
	}
}

/* Splits "HTTP/1.x 200 ...\r\n headers \r\n\r\n body". */
static int http_body(const struct ax_buf *in, const struct url *u, struct ax_buf *body)
{
	const char *sep = in->size ? strstr(in->ptr, "\r\n\r\n") : NULL;
	int status = 0;
	if (!sep || sscanf(in->ptr, "HTTP/1.%*d %d", &status) != 1)
		return ax_error_code(AX_EINVALID, "tsa %s: not an HTTP reply", u->host);
	if (status != 200)
		return ax_error_code(AX_EINVALID, "tsa %s: HTTP status %d", u->host, status);
	size_t off = (size_t)(sep + 4 - in->ptr);
	if (in->size - off > REPLY_MAX)
		return ax_error_code(AX_EINVALID, "tsa %s: reply larger than 1 MiB", u->host);
	ax_buf_put(body, in->ptr + off, in->size - off);
	return 0;
}

int ax_tsa_fetch(const char *url, const struct ax_buf *request, int timeout_ms, struct ax_buf *reply)
{
	struct url u = {0};
	struct ax_buf head = AX_BUF_INIT, in = AX_BUF_INIT;
	int64_t deadline = ax_monotonic_ms() + timeout_ms;
	int fd = -1, err;
	if ((err = parse_url(url, &u)) < 0)
		goto cleanup;
	if ((err = ax_net_connect(u.host, u.port, deadline, &fd)) < 0) {
		char *why = ax_strdup(ax_error_last()); /* "HOST:PORT: ..." */
		err = ax_error_code(err, "tsa %s", why);
		free(why);
		goto cleanup;
	}
	ax_buf_printf(&head,
		      "POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/timestamp-query\r\n"
		      "Accept: application/timestamp-reply\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		      u.path, u.host, request->size);
	if ((err = send_all(fd, head.ptr, head.size, deadline, &u)) < 0 ||
	    (err = send_all(fd, request->ptr, request->size, deadline, &u)) < 0 ||
	    (err = recv_all(fd, &in, deadline, &u)) < 0 || (err = http_body(&in, &u, reply)) < 0)
		goto cleanup;
cleanup:
	if (fd >= 0)
		close(fd);
	free(u.host);
	free(u.port);
	free(u.path);
	ax_buf_free(&head);
	ax_buf_free(&in);
	return err;
}

/* ---- checking a reply ---- */

static X509_STORE *load_store(const char *path, int *err)
{
	X509_STORE *store = X509_STORE_new();
	BIO *bio = BIO_new_file(path, "r");
	STACK_OF(X509) *certs = sk_X509_new_null();
	size_t n = ax_pem_certs_read(bio, certs);
	BIO_free(bio);
	ERR_clear_error(); /* a file that could not be opened */
	for (size_t i = 0; i < n; i++)
		X509_STORE_add_cert(store, sk_X509_value(certs, (int)i));
	sk_X509_pop_free(certs, X509_free);
	if (n == 0) {
		*err = ax_error_code(AX_ENOTFOUND, "TSA CA %s: no PEM certificate readable", path);
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

int ax_tsa_check(const void *reply, size_t reply_len, const void *signature, size_t sig_len,
		 const struct ax_buf *request, const char *ca_path, int64_t *gen_time, int *ca_checked)
{
	const unsigned char *p = reply;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)reply_len);
	TS_REQ *req = NULL;
	TS_VERIFY_CTX *vctx = NULL;
	unsigned char md[32];
	int err = 0;

	if (ca_checked)
		*ca_checked = 0;
	if (!resp) {
		err = ax_error_code(AX_EINVALID, "time-stamp reply is not a DER TimeStampResp");
		goto cleanup;
	}
	long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
	TS_TST_INFO *tst = TS_RESP_get_tst_info(resp);
	if ((status != 0 && status != 1) || !tst) {
		err = ax_error_code(AX_EINVALID, "time-stamp reply: not granted (status %ld)", status);
		goto cleanup;
	}
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
	ASN1_OCTET_STRING *msg = TS_MSG_IMPRINT_get_msg(mi);
	sha256(signature, sig_len, md);
	if (OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(mi)->algorithm) != NID_sha256 || ASN1_STRING_length(msg) != 32 ||
	    memcmp(ASN1_STRING_get0_data(msg), md, 32) != 0) {
		err = ax_error_code(AX_EINVALID, "time stamp does not stamp this bundle's manifest.json.sig");
		goto cleanup;
	}
	if (request && request->size) {
		const unsigned char *q = (const unsigned char *)request->ptr;
		req = d2i_TS_REQ(NULL, &q, (long)request->size);
		const ASN1_INTEGER *want = req ? TS_REQ_get_nonce(req) : NULL, *got = TS_TST_INFO_get_nonce(tst);
		if (want && (!got || ASN1_INTEGER_cmp(want, got) != 0)) {
			err = ax_error_code(AX_EINVALID, "time-stamp reply does not carry our request's nonce");
			goto cleanup;
		}
	}
	if (gen_time) {
		struct tm tm;
		*gen_time = ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) == 1 ? (int64_t)timegm(&tm) : 0;
	}
	if (ca_path && *ca_path) {
		X509_STORE *store = load_store(ca_path, &err);
		unsigned char *imprint = OPENSSL_malloc(32);
		if (!store) {
			OPENSSL_free(imprint);
			goto cleanup;
		}
		memcpy(imprint, md, 32);
		vctx = TS_VERIFY_CTX_new();
		TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
		TS_VERIFY_CTX_set_imprint(vctx, imprint, 32);
		TS_VERIFY_CTX_set_store(vctx, store);
		if (TS_RESP_verify_response(vctx, resp) != 1) {
			err = ax_error_code(AX_EINVALID, "time stamp does not verify against TSA CA %s: %s", ca_path,
					    ax_ssl_err());
			goto cleanup;
		}
		if (ca_checked)
			*ca_checked = 1;
	}
cleanup:
	TS_VERIFY_CTX_free(vctx);
	TS_REQ_free(req);
	TS_RESP_free(resp);
	ERR_clear_error();
	return err;
}
