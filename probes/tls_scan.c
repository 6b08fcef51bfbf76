/* tls_scan.c - one handshake at a time, and the parallel enumeration of
 * versions, suites and order built from them (see tls_scan.h).
 *
 * Suites are found by elimination: offer every candidate, note the one the
 * server picks, offer the rest again, until the server refuses. The
 * candidates of a version are split into chunks that run on different
 * threads, so the handshakes needed are about (accepted + chunks) and the
 * wall time about the longest chunk. */
#include "tls_scan.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "util.h"

#define ALL_CIPHERS "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
#define AUTH_CIPHERS "ALL:!aNULL:!eNULL:@SECLEVEL=0"
#define ALL_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"
#define CHUNK 12

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

int tls_handshake_run(const struct tls_target *t, int version, const char *ciphers, const char *suites,
		      int want_chain, struct tls_handshake *out)
{
	int64_t deadline = ax_monotonic_ms() + t->handshake_timeout_ms;
	struct mp_conn conn;
	struct ax_buf err = AX_BUF_INIT;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1;

	memset(out, 0, sizeof(*out));
	ERR_clear_error();
	if (mp_connect(t->host, t->port, deadline, &fd) < 0) {
		out->infra_error = 1;
		out->error = ax_strdup(ax_error_last());
		ax_buf_printf(&out->transcript, "# %s offer: %s\n", tls_version_name(version), out->error);
		return 0;
	}
	mp_conn_init(&conn, fd, t->peer, deadline);
	if (t->starttls != MP_STARTTLS_NONE && mp_starttls(&conn, t->starttls, &out->starttls_offered) < 0) {
		out->infra_error = 1;
		ax_buf_puts(&err, ax_error_last());
		goto cleanup;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		openssl_error(&err, "SSL_CTX_new");
		out->infra_error = 1;
		goto cleanup;
	}
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (!SSL_CTX_set_min_proto_version(ctx, version) || !SSL_CTX_set_max_proto_version(ctx, version) ||
	    (version < TLS1_3_VERSION && !SSL_CTX_set_cipher_list(ctx, ciphers ? ciphers : ALL_CIPHERS)) ||
	    (version == TLS1_3_VERSION && !SSL_CTX_set_ciphersuites(ctx, suites ? suites : ALL_SUITES))) {
		openssl_error(&err, "client set-up");
		out->infra_error = 1;
		goto cleanup;
	}
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		openssl_error(&err, "SSL_new");
		out->infra_error = 1;
		goto cleanup;
	}
	if (t->servername && *t->servername)
		SSL_set_tlsext_host_name(ssl, t->servername);
	SSL_set_connect_state(ssl);
	for (;;) {
		int r = SSL_do_handshake(ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			openssl_error(&err, "handshake refused");
			goto cleanup;
		}
		int64_t left = deadline - ax_monotonic_ms();
		struct pollfd p = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
		int n = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ax_buf_printf(&err, "%s: handshake timed out", t->peer);
			goto cleanup;
		}
	}
	out->completed = 1;
	out->version = SSL_version(ssl);
	snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	key_exchange_group(ssl, out->group);
	if (want_chain) {
		STACK_OF(X509) *peer = SSL_get_peer_cert_chain(ssl);
		out->chain = sk_X509_new_null();
		for (int i = 0; peer && i < sk_X509_num(peer); i++) {
			X509 *x = sk_X509_value(peer, i);
			X509_up_ref(x);
			sk_X509_push(out->chain, x);
		}
	}
	SSL_shutdown(ssl); /* close_notify, best effort: never waits */
cleanup:
	ax_buf_put(&out->transcript, conn.transcript.ptr ? conn.transcript.ptr : "", conn.transcript.size);
	if (out->completed)
		ax_buf_printf(&out->transcript, "# %s offer [%s]: accepted %s %s, key exchange %s\n",
			      tls_version_name(version), version == TLS1_3_VERSION ? (suites ? suites : "all")
			      : (ciphers ? ciphers : "all"), tls_version_name(out->version), out->cipher, out->group);
	else
		ax_buf_printf(&out->transcript, "# %s offer [%s]: %s\n", tls_version_name(version),
			      version == TLS1_3_VERSION ? (suites ? suites : "all") : (ciphers ? ciphers : "all"),
			      ax_buf_cstr(&err));
	if (!out->completed)
		out->error = ax_buf_detach(&err);
	ax_buf_free(&err);
	mp_conn_release(&conn);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	return 0;
}

/* --- enumeration --- */

enum task_kind { TASK_VERSION, TASK_CHUNK };

struct task {
	enum task_kind kind;
	int version;
	char **candidates; /* TASK_CHUNK: owned copies */
	size_t ncandidates;
	/* results */
	struct tls_handshake first; /* TASK_VERSION: its handshake */
	char **accepted;
	size_t naccepted;
	int infra_error;
	char *error;
	struct ax_buf transcript;
	size_t handshakes;
};

struct pool {
	const struct tls_target *target;
	struct task *tasks;
	size_t ntasks, next;
	pthread_mutex_t lock;
};

static char *join_names(char **names, size_t n, const char *skip_mask)
{
	struct ax_buf b = AX_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (skip_mask && skip_mask[i])
			continue;
		if (b.size)
			ax_buf_putc(&b, ':');
		ax_buf_puts(&b, names[i]);
	}
	return ax_buf_detach(&b);
}

static void run_chunk(const struct tls_target *t, struct task *k)
{
	char *taken = ax_calloc(k->ncandidates + 1, 1);
	for (size_t round = 0; round <= k->ncandidates; round++) {
		char *offer = join_names(k->candidates, k->ncandidates, taken);
		if (!*offer) {
			free(offer);
			break;
		}
		struct tls_handshake h;
		int v13 = k->version == TLS1_3_VERSION;
		tls_handshake_run(t, k->version, v13 ? NULL : offer, v13 ? offer : NULL, 0, &h);
		k->handshakes++;
		free(offer);
		ax_buf_put(&k->transcript, h.transcript.ptr ? h.transcript.ptr : "", h.transcript.size);
		size_t hit = k->ncandidates;
		if (h.completed)
			for (size_t i = 0; i < k->ncandidates; i++)
				if (!taken[i] && strcmp(k->candidates[i], h.cipher) == 0)
					hit = i;
		if (h.infra_error) {
			k->infra_error = 1;
			k->error = h.error ? ax_strdup(h.error) : NULL;
		}
		tls_handshake_release(&h);
		if (hit == k->ncandidates)
			break; /* refused (or picked something not offered): done */
		taken[hit] = 1;
		k->accepted = ax_realloc(k->accepted, (k->naccepted + 1) * sizeof(char *));
		k->accepted[k->naccepted++] = ax_strdup(k->candidates[hit]);
	}
	free(taken);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next < p->ntasks ? p->next++ : p->ntasks;
		pthread_mutex_unlock(&p->lock);
		if (i == p->ntasks)
			return NULL;
		struct task *k = &p->tasks[i];
		if (k->kind == TASK_VERSION) {
			tls_handshake_run(p->target, k->version, AUTH_CIPHERS, NULL, 1, &k->first);
			k->handshakes++;
			ax_buf_put(&k->transcript, k->first.transcript.ptr ? k->first.transcript.ptr : "", k->first.transcript.size);
		} else {
			run_chunk(p->target, k);
		}
	}
}

/* The suites the local OpenSSL can offer at version (at security level 0). */
static int candidates_for(int version, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (version == TLS1_3_VERSION) {
		char *all = ax_strdup(ALL_SUITES), *save = NULL;
		for (char *s = strtok_r(all, ":", &save); s; s = strtok_r(NULL, ":", &save)) {
			*out = ax_realloc(*out, (*n + 1) * sizeof(char *));
			(*out)[(*n)++] = ax_strdup(s);
		}
		free(all);
		return 0;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int rc = AX_ERROR;
	if (!ctx)
		goto cleanup;
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, version) || !SSL_CTX_set_max_proto_version(ctx, version) ||
	    !SSL_CTX_set_cipher_list(ctx, ALL_CIPHERS) || !(ssl = SSL_new(ctx)))
		goto cleanup;
	STACK_OF(SSL_CIPHER) *sk = SSL_get1_supported_ciphers(ssl);
	for (int i = 0; sk && i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
		if (strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0)
			continue;
		*out = ax_realloc(*out, (*n + 1) * sizeof(char *));
		(*out)[(*n)++] = ax_strdup(SSL_CIPHER_get_name(c));
	}
	sk_SSL_CIPHER_free(sk);
	rc = 0;
cleanup:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Offers a:b then b:a; the server enforcing its order picks the same. */
static void test_order(const struct tls_target *t, struct tls_scan *s)
{
	s->server_order = -1;
	static const int prefer[] = {TLS1_2_VERSION, TLS1_3_VERSION, TLS1_1_VERSION, TLS1_VERSION};
	for (size_t p = 0; p < sizeof(prefer) / sizeof(prefer[0]); p++)
		for (size_t i = 0; i < s->nversions; i++) {
			struct tls_version_result *v = &s->versions[i];
			if (v->version != prefer[p] || v->nciphers < 2)
				continue;
			char *ab = ax_asprintf("%s:%s", v->ciphers[0], v->ciphers[1]);
			char *ba = ax_asprintf("%s:%s", v->ciphers[1], v->ciphers[0]);
			struct tls_handshake h1, h2;
			int v13 = v->version == TLS1_3_VERSION;
			tls_handshake_run(t, v->version, v13 ? NULL : ab, v13 ? ab : NULL, 0, &h1);
			tls_handshake_run(t, v->version, v13 ? NULL : ba, v13 ? ba : NULL, 0, &h2);
			s->handshakes += 2;
			ax_buf_printf(&s->transcript, "## cipher order at %s\n", tls_version_name(v->version));
			ax_buf_put(&s->transcript, h1.transcript.ptr ? h1.transcript.ptr : "", h1.transcript.size);
			ax_buf_put(&s->transcript, h2.transcript.ptr ? h2.transcript.ptr : "", h2.transcript.size);
			if (h1.completed && h2.completed) {
				s->server_order = strcmp(h1.cipher, h2.cipher) == 0;
				s->order_version = v->version;
			}
			tls_handshake_release(&h1);
			tls_handshake_release(&h2);
			free(ab);
			free(ba);
			return;
		}
}

static int tls_scan_all(const struct tls_target *t, int threads, struct tls_scan *s);

/* OpenSSL writes to the socket with write(): a peer that has already closed
 * (a refused handshake, close_notify to a gone server) would raise SIGPIPE
 * and kill the probe. The scan blocks it in the calling thread (the pool's
 * threads inherit the mask), so such writes just fail with EPIPE; the
 * signals left pending are consumed before the caller's mask comes back. */
static void sigpipe_block(sigset_t *old)
{
	sigset_t pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, old);
}

static void sigpipe_restore(const sigset_t *old)
{
	sigset_t pipe_only, pending;
	struct timespec now = {0, 0};
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	for (int i = 0; i < 64 && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE); i++)
		sigtimedwait(&pipe_only, NULL, &now);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int tls_scan_run(const struct tls_target *t, int threads, struct tls_scan *s)
{
	sigset_t old_mask;
	sigpipe_block(&old_mask);
	int rc = tls_scan_all(t, threads, s);
	sigpipe_restore(&old_mask);
	return rc;
}

static int tls_scan_all(const struct tls_target *t, int threads, struct tls_scan *s)
{
	struct pool pool;
	pthread_t tids[32];
	size_t ntasks = 0, alloc = 16;
	int started = 0;

	memset(s, 0, sizeof(*s));
	memset(&pool, 0, sizeof(pool));
	s->starttls_offered = -1;
	s->server_order = -1;
	pool.target = t;
	pool.tasks = ax_calloc(alloc, sizeof(struct task));
	for (size_t v = 0; v < tls_nversions; v++) {
		char **cands;
		size_t n;
		if (candidates_for(tls_versions[v], &cands, &n) < 0)
			n = 0, cands = NULL;
		if (ntasks + 1 + n / CHUNK + 1 >= alloc) {
			size_t more = alloc + n / CHUNK + 4;
			pool.tasks = ax_realloc(pool.tasks, (alloc + more) * sizeof(struct task));
			memset(pool.tasks + alloc, 0, more * sizeof(struct task));
			alloc += more;
		}
		pool.tasks[ntasks].kind = TASK_VERSION;
		pool.tasks[ntasks++].version = tls_versions[v];
		for (size_t c = 0; c < n; c += CHUNK) {
			struct task *k = &pool.tasks[ntasks++];
			k->kind = TASK_CHUNK;
			k->version = tls_versions[v];
			k->ncandidates = n - c < CHUNK ? n - c : CHUNK;
			k->candidates = ax_calloc(k->ncandidates, sizeof(char *));
			for (size_t i = 0; i < k->ncandidates; i++)
				k->candidates[i] = cands[c + i];
		}
		free(cands);
	}
	pool.ntasks = ntasks;
	pthread_mutex_init(&pool.lock, NULL);
	if (threads < 1)
		threads = 1;
	if (threads > (int)(sizeof(tids) / sizeof(tids[0])))
		threads = (int)(sizeof(tids) / sizeof(tids[0]));
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tids[started], NULL, worker, &pool) == 0)
			started++;
	if (!started)
		worker(&pool);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&pool.lock);

	/* merge, in task order (deterministic) */
	s->nversions = tls_nversions;
	s->versions = ax_calloc(tls_nversions, sizeof(*s->versions));
	int any_tls = 0;
	for (size_t v = 0; v < tls_nversions; v++)
		s->versions[v].version = tls_versions[v];
	for (size_t i = 0; i < ntasks; i++) {
		struct task *k = &pool.tasks[i];
		struct tls_version_result *vr = NULL;
		for (size_t v = 0; v < tls_nversions; v++)
			if (s->versions[v].version == k->version)
				vr = &s->versions[v];
		s->handshakes += k->handshakes;
		ax_buf_put(&s->transcript, k->transcript.ptr ? k->transcript.ptr : "", k->transcript.size);
		if (k->kind == TASK_VERSION) {
			struct tls_handshake *h = &k->first;
			if (h->starttls_offered)
				s->starttls_offered = 1;
			else if (h->infra_error && s->starttls_offered < 0 && t->starttls != MP_STARTTLS_NONE &&
				 h->error && strstr(h->error, "does not offer STARTTLS"))
				s->starttls_offered = 0;
			if (h->infra_error) {
				vr->infra_error = 1;
				if (!s->infra_error && h->error)
					s->infra_error = ax_strdup(h->error);
			} else {
				any_tls = 1;
			}
			if (h->completed) {
				vr->accepted = 1;
				if (h->version >= s->best_version) {
					s->best_version = h->version;
					snprintf(s->best_cipher, sizeof(s->best_cipher), "%s", h->cipher);
					snprintf(s->group, sizeof(s->group), "%s", h->group);
					if (s->chain)
						sk_X509_pop_free(s->chain, X509_free);
					s->chain = h->chain;
					h->chain = NULL;
				}
			} else if (!vr->error && h->error) {
				vr->error = ax_strdup(h->error);
			}
			tls_handshake_release(h);
		} else {
			for (size_t c = 0; c < k->naccepted; c++) {
				vr->ciphers = ax_realloc(vr->ciphers, (vr->nciphers + 1) * sizeof(char *));
				vr->ciphers[vr->nciphers++] = k->accepted[c];
			}
			if (k->infra_error)
				vr->infra_error = 1;
			else
				any_tls = 1;
			free(k->accepted);
			free(k->error);
			for (size_t c = 0; c < k->ncandidates; c++)
				free(k->candidates[c]);
			free(k->candidates);
		}
		ax_buf_free(&k->transcript);
	}
	free(pool.tasks);
	for (size_t v = 0; v < s->nversions; v++) {
		struct tls_version_result *vr = &s->versions[v];
		if (vr->nciphers)
			vr->accepted = 1; /* e.g. only anonymous suites */
		if (vr->nciphers > 1) /* qsort(NULL, 0, ...) is undefined */
			qsort(vr->ciphers, vr->nciphers, sizeof(char *), cmp_str);
	}
	if (any_tls) {
		free(s->infra_error);
		s->infra_error = NULL;
		test_order(t, s);
	}
	return 0;
}

void tls_scan_release(struct tls_scan *s)
{
	if (!s)
		return;
	for (size_t v = 0; v < s->nversions; v++) {
		for (size_t c = 0; c < s->versions[v].nciphers; c++)
			free(s->versions[v].ciphers[c]);
		free(s->versions[v].ciphers);
		free(s->versions[v].error);
	}
	free(s->versions);
	if (s->chain)
		sk_X509_pop_free(s->chain, X509_free);
	ax_buf_free(&s->transcript);
	free(s->infra_error);
	memset(s, 0, sizeof(*s));
}
