/* tls_handshake.c - one TLS handshake on its own connection (after the
 * STARTTLS exchange when asked), bounded by the target's per-handshake
 * deadline (see tls_scan.h).
 *
 * A full handshake (TLS_HS_FULL, TLS_HS_CHAIN) is needed for what only a
 * finished one shows: the key-exchange group, the chain. Enumeration only
 * needs the suite the server picked (TLS_HS_HELLO): the handshake stops as
 * soon as OpenSSL has processed (and so validated) the ServerHello and asks
 * for the next record, so the client never checks or computes a (DH) key
 * exchange nor verifies a certificate or signature: that is what makes
 * enumeration cheap on the client.
 *
 * OpenSSL talks to the socket through a small BIO of ours (conn_bio): it
 * sends with MSG_NOSIGNAL, so a peer that has gone never raises SIGPIPE,
 * and it is where the TLS_HS_HELLO stop happens. */
#include "tls_scan.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "util.h"

const int tls_versions[] = {
#ifndef OPENSSL_NO_SSL3
	SSL3_VERSION,
#endif
	TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
const size_t tls_nversions = sizeof(tls_versions) / sizeof(tls_versions[0]);

const char *tls_version_name(int v)
{
	switch (v) {
	case SSL3_VERSION: return "SSLv3";
	case TLS1_VERSION: return "TLSv1.0";
	case TLS1_1_VERSION: return "TLSv1.1";
	case TLS1_2_VERSION: return "TLSv1.2";
	case TLS1_3_VERSION: return "TLSv1.3";
	default: return "unknown";
	}
}

const char *tls_version_check_id(int v)
{
	switch (v) {
	case SSL3_VERSION: return "ssl3";
	case TLS1_VERSION: return "tls1_0";
	case TLS1_1_VERSION: return "tls1_1";
	case TLS1_2_VERSION: return "tls1_2";
	case TLS1_3_VERSION: return "tls1_3";
	default: return "unknown";
	}
}

void tls_handshake_release(struct tls_handshake *h)
{
	if (!h)
		return;
	if (h->chain)
		sk_X509_pop_free(h->chain, X509_free);
	ax_buf_free(&h->transcript);
	free(h->error);
	memset(h, 0, sizeof(*h));
}

SSL_CTX *tls_client_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ERR_clear_error();
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* every handshake a full one */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static void openssl_error(struct ax_buf *out, const char *what)
{
	unsigned long e = ERR_get_error();
	char text[256];
	if (e) {
		ERR_error_string_n(e, text, sizeof(text));
		ax_buf_printf(out, "%s: %s", what, text);
	} else {
		ax_buf_printf(out, "%s: connection closed by the server", what);
	}
	ERR_clear_error();
}

static void key_exchange_group(SSL *ssl, char out[static 32])
{
	EVP_PKEY *pk = NULL;
	snprintf(out, 32, "%s", "RSA"); /* no ephemeral key: static RSA key transport */
	if (!SSL_get_peer_tmp_key(ssl, &pk) || !pk)
		return;
	char name[32] = "";
	size_t len = 0;
	if (EVP_PKEY_get_group_name(pk, name, sizeof(name), &len) == 1 && name[0])
		snprintf(out, 32, "%s", name);
	else if (EVP_PKEY_get0_type_name(pk))
		snprintf(out, 32, "%s", EVP_PKEY_get0_type_name(pk));
	if (EVP_PKEY_is_a(pk, "DH"))
		snprintf(out, 32, "DH-%d", EVP_PKEY_get_bits(pk));
	EVP_PKEY_free(pk);
}

/* --- the socket BIO --- */

struct conn_bio {
	int fd;
	SSL *ssl;
	struct tls_handshake *out;
	int stop_after_hello;
	size_t bytes_in; /* from the server, before any stop */
	int eof;         /* the server closed its side */
	int sys_errno;   /* the socket failed (ECONNRESET, EPIPE, ...) */
};

static int conn_bio_read(BIO *b, char *buf, int len)
{
	struct conn_bio *c = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (c->stop_after_hello && c->ssl && SSL_get_pending_cipher(c->ssl)) {
		/* ServerHello processed: the suite is chosen; read nothing more */
		if (!c->out->completed) {
			c->out->completed = 1;
			c->out->version = SSL_version(c->ssl);
			snprintf(c->out->cipher, sizeof(c->out->cipher), "%s", SSL_CIPHER_get_name(SSL_get_pending_cipher(c->ssl)));
		}
		return -1;
	}
	ssize_t n = recv(c->fd, buf, len > 0 ? (size_t)len : 0, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	else if (n < 0)
		c->sys_errno = errno;
	else if (n == 0 && len > 0)
		c->eof = 1;
	else
		c->bytes_in += (size_t)n;
	return n < 0 ? -1 : (int)n;
}

static int conn_bio_write(BIO *b, const char *buf, int len)
{
	struct conn_bio *c = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	ssize_t n = send(c->fd, buf, len > 0 ? (size_t)len : 0, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	else if (n < 0)
		c->sys_errno = errno;
	return n < 0 ? -1 : (int)n;
}

static long conn_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int conn_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *conn_bio_method;
static pthread_once_t conn_bio_once = PTHREAD_ONCE_INIT;

static void conn_bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "annexa tls socket");
	if (m && BIO_meth_set_read(m, conn_bio_read) && BIO_meth_set_write(m, conn_bio_write) &&
	    BIO_meth_set_ctrl(m, conn_bio_ctrl) && BIO_meth_set_create(m, conn_bio_create))
		conn_bio_method = m; /* lives as long as the process */
	else
		BIO_meth_free(m);
}

/* Marks the handshake answered once a whole alert or handshake message
 * arrived from the server: record headers alone, or bytes OpenSSL could not
 * frame, prove nothing. */
static void answer_seen(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct conn_bio *c = arg;
	const unsigned char *p = buf;
	(void)version, (void)ssl;
	if (write_p)
		return;
	if (content_type == SSL3_RT_HANDSHAKE || (content_type == SSL3_RT_ALERT && len == 2 && (p[0] == 1 || p[0] == 2)))
		c->out->answered = 1;
}

/* Client set-up for one offer on a fresh SSL (the context is shared). */
static SSL *offer_new(SSL_CTX *ctx, int version, const char *ciphers, const char *suites, struct conn_bio *cb)
{
	SSL *ssl = SSL_new(ctx);
	BIO *bio = NULL;
	pthread_once(&conn_bio_once, conn_bio_method_init);
	if (!ssl || !conn_bio_method || !(bio = BIO_new(conn_bio_method)))
		goto fail;
	if (!SSL_set_min_proto_version(ssl, version) || !SSL_set_max_proto_version(ssl, version) ||
	    (version < TLS1_3_VERSION && !SSL_set_cipher_list(ssl, ciphers ? ciphers : TLS_ALL_CIPHERS)) ||
	    (version == TLS1_3_VERSION && !SSL_set_ciphersuites(ssl, suites ? suites : TLS_ALL_SUITES)))
		goto fail;
	cb->ssl = ssl;
	SSL_set_msg_callback(ssl, answer_seen);
	SSL_set_msg_callback_arg(ssl, cb);
	BIO_set_data(bio, cb);
	SSL_set_bio(ssl, bio, bio); /* ssl owns bio now */
	return ssl;
fail:
	BIO_free(bio);
	SSL_free(ssl);
	return NULL;
}

static int drive_handshake(SSL *ssl, int fd, int64_t deadline)
{
	for (;;) {
		int r = SSL_do_handshake(ssl);
		if (r == 1)
			return 0;
		int e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return AX_ERROR;
		int64_t left = deadline - ax_monotonic_ms();
		struct pollfd p = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
		int n = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return AX_ETIMEOUT;
	}
}

/* Why a handshake did not complete, and whether that was the server's
 * answer (see tls_scan.h): out->answered is already set by answer_seen. */
static void describe_failure(const struct conn_bio *cb, int rc, const char *peer, struct tls_handshake *out,
			     struct ax_buf *err)
{
	if (rc == AX_ETIMEOUT) {
		out->timed_out = 1;
		ax_buf_printf(err, "%s: handshake timed out (%zu bytes from the server, no complete TLS answer)", peer,
			      cb->bytes_in);
		ERR_clear_error();
	} else if (out->answered) {
		openssl_error(err, "handshake refused");
	} else if (cb->bytes_in == 0 && (cb->eof || cb->sys_errno == ECONNRESET || cb->sys_errno == EPIPE)) {
		out->closed = 1;
		ax_buf_printf(err, "%s %s the connection without a TLS answer", peer, cb->eof ? "closed" : "reset");
		ERR_clear_error();
	} else if (cb->sys_errno) {
		ax_buf_printf(err, "%s: no TLS answer: %s (after %zu bytes)", peer, strerror(cb->sys_errno), cb->bytes_in);
		ERR_clear_error();
	} else {
		struct ax_buf what = AX_BUF_INIT;
		ax_buf_printf(&what, "%s: no valid TLS answer (%zu bytes%s)", peer, cb->bytes_in, cb->eof ? ", then closed" : "");
		openssl_error(err, ax_buf_cstr(&what));
		ax_buf_free(&what);
	}
}

static void keep_chain(SSL *ssl, struct tls_handshake *out)
{
	STACK_OF(X509) *peer = SSL_get_peer_cert_chain(ssl);
	out->chain = sk_X509_new_null();
	for (int i = 0; peer && i < sk_X509_num(peer); i++) {
		X509 *x = sk_X509_value(peer, i);
		X509_up_ref(x);
		sk_X509_push(out->chain, x);
	}
}

int tls_handshake_with(const struct tls_target *t, SSL_CTX *shared, int version, const char *ciphers,
		       const char *suites, enum tls_hs_mode mode, struct tls_handshake *out)
{
	int64_t deadline = ax_monotonic_ms() + t->handshake_timeout_ms;
	const char *offer = version == TLS1_3_VERSION ? (suites ? suites : "all") : (ciphers ? ciphers : "all");
	struct mp_conn conn;
	struct conn_bio cb = {.fd = -1, .out = out, .stop_after_hello = mode == TLS_HS_HELLO};
	struct ax_buf err = AX_BUF_INIT;
	SSL_CTX *own = NULL;
	SSL *ssl = NULL;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	memset(&conn, 0, sizeof(conn));
	ERR_clear_error();
	if (ax_net_connect(t->host, t->port, deadline, &fd) < 0) {
		out->infra_error = 1;
		ax_buf_puts(&err, ax_error_last());
		goto cleanup;
	}
	mp_conn_init(&conn, fd, t->peer, deadline);
	if (t->starttls != MP_STARTTLS_NONE && mp_starttls(&conn, t->starttls, &out->starttls_offered) < 0) {
		out->infra_error = 1;
		ax_buf_puts(&err, ax_error_last());
		goto cleanup;
	}
	if (!shared && !(shared = own = tls_client_ctx_new())) {
		ax_buf_puts(&err, "cannot create an OpenSSL client context");
		out->infra_error = 1;
		goto cleanup;
	}
	cb.fd = fd;
	if (!(ssl = offer_new(shared, version, ciphers, suites, &cb))) {
		openssl_error(&err, "client set-up");
		out->infra_error = 1;
		goto cleanup;
	}
	if (t->servername && *t->servername)
		SSL_set_tlsext_host_name(ssl, t->servername);
	SSL_set_connect_state(ssl);
	if ((rc = drive_handshake(ssl, fd, deadline)) < 0) {
		if (!out->completed) /* TLS_HS_HELLO stops on purpose after the suite is known */
			describe_failure(&cb, rc, t->peer, out, &err);
		ERR_clear_error();
		goto cleanup;
	}
	out->completed = 1;
	out->version = SSL_version(ssl);
	snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	if (mode != TLS_HS_HELLO)
		key_exchange_group(ssl, out->group);
	if (mode == TLS_HS_CHAIN)
		keep_chain(ssl, out);
	SSL_shutdown(ssl); /* close_notify, best effort: never waits */
cleanup:
	if (conn.transcript.size)
		ax_buf_put(&out->transcript, conn.transcript.ptr, conn.transcript.size);
	if (out->completed)
		ax_buf_printf(&out->transcript, "# %s offer [%s]: accepted %s %s%s%s\n", tls_version_name(version), offer,
			      tls_version_name(out->version), out->cipher, out->group[0] ? ", key exchange " : "", out->group);
	else
		ax_buf_printf(&out->transcript, "# %s offer [%s]: %s\n", tls_version_name(version), offer, ax_buf_cstr(&err));
	if (!out->completed)
		out->error = ax_buf_detach(&err);
	ax_buf_free(&err);
	mp_conn_release(&conn);
	SSL_free(ssl);
	SSL_CTX_free(own);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	return 0;
}

int tls_handshake_run(const struct tls_target *t, int version, const char *ciphers, const char *suites,
		      int want_chain, struct tls_handshake *out)
{
	return tls_handshake_with(t, NULL, version, ciphers, suites, want_chain ? TLS_HS_CHAIN : TLS_HS_FULL, out);
}
