/* tls_scan.c - the parallel enumeration of versions, suites and order
 * (see tls_scan.h), built from tls_handshake.c's single handshakes.
 *
 * Plan, per version, as tasks on one bounded pool of threads:
 *   version: one full handshake offering the authenticated suites (finds
 *            whether the version is accepted, its chain and group, and one
 *            accepted suite X);
 *   anon:    only when the version was refused: one offer of the
 *            anonymous/NULL suites (a server may accept only those);
 *   order:   the authenticated suites offered in reverse: a server that
 *            enforces its own order picks X again, one that follows the
 *            client picks another;
 *   chunks:  suites are found by elimination (offer every candidate, note
 *            the one the server picks, offer the rest again until refused),
 *            candidates split into chunks that run on different threads;
 *            TLS 1.3's few suites are one handshake each.
 * Order and chunks are queued only once the version task has found the
 * version accepted: a refused version costs one or two handshakes, and X is
 * not looked for again. Enumeration handshakes stop right after the server's
 * choice (TLS_HS_HELLO). Every task has a fixed slot, so results and
 * transcripts are merged in the same order whatever the threads did. */
#include "tls_scan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "error.h"
#include "util.h"

#define CHUNK 12
#define MAX_THREADS 32

enum task_kind { TASK_NONE, TASK_VERSION, TASK_ANON, TASK_ORDER, TASK_CHUNK };

struct task {
	enum task_kind kind;
	size_t vi;         /* index in tls_versions */
	char **candidates; /* TASK_CHUNK: owned copies */
	size_t ncandidates;
	/* results */
	struct tls_handshake first; /* VERSION, ANON, ORDER: its handshake */
	char **accepted;            /* CHUNK */
	size_t naccepted;
	int infra_error;
	char *incomplete; /* CHUNK: why it stopped before the server refused */
	struct ax_buf transcript;
	size_t handshakes;
};

/* What the local OpenSSL can offer at one version, and where its slots are. */
struct plan {
	int version;
	char **auth, **anon; /* every candidate is in exactly one */
	size_t nauth, nanon;
	size_t slot;   /* VERSION; ANON = slot + 1, ORDER = slot + 2, chunks after */
	size_t nchunks;
};

struct pool {
	const struct tls_target *target;
	SSL_CTX *ctx;
	struct plan *plans;
	struct task *tasks; /* fixed slots: never reallocated while threads run */
	size_t ntasks;
	size_t *queue, qhead, qtail; /* slot numbers; capacity ntasks */
	size_t running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

static char *join_names(char **names, size_t n, const char *skip_mask, int reverse)
{
	struct ax_buf b = AX_BUF_INIT;
	for (size_t k = 0; k < n; k++) {
		size_t i = reverse ? n - 1 - k : k;
		if (skip_mask && skip_mask[i])
			continue;
		if (b.size)
			ax_buf_putc(&b, ':');
		ax_buf_puts(&b, names[i]);
	}
	return ax_buf_detach(&b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int offer_once(struct pool *p, struct task *k, const char *offer, enum tls_hs_mode mode)
{
	int v = tls_versions[k->vi];
	int v13 = v == TLS1_3_VERSION;
	tls_handshake_with(p->target, p->ctx, v, v13 ? NULL : offer, v13 ? offer : NULL, mode, &k->first);
	k->handshakes++;
	k->infra_error = k->first.infra_error;
	if (k->first.transcript.size)
		ax_buf_put(&k->transcript, k->first.transcript.ptr, k->first.transcript.size);
	return k->first.completed;
}

/* Whether a handshake got neither an acceptance nor a refusal from a server
 * known to speak TLS (an enumeration offer runs only at an accepted
 * version, so a silent close there is a refusal; see tls_scan.h). */
static int unanswered(const struct tls_handshake *h)
{
	return !h->completed && (h->infra_error || h->timed_out || (!h->answered && !h->closed));
}

/* One elimination offer; a handshake that failed before the server could
 * answer it (connection, STARTTLS, deadline, no TLS answer) is tried once
 * more. */
static void offer_chunk(struct pool *p, struct task *k, const char *offer, struct tls_handshake *h)
{
	int v = tls_versions[k->vi], v13 = v == TLS1_3_VERSION;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt)
			tls_handshake_release(h);
		tls_handshake_with(p->target, p->ctx, v, v13 ? NULL : offer, v13 ? offer : NULL, TLS_HS_HELLO, h);
		k->handshakes++;
		if (h->transcript.size)
			ax_buf_put(&k->transcript, h->transcript.ptr, h->transcript.size);
		if (!unanswered(h))
			return;
	}
}

static void run_chunk(struct pool *p, struct task *k)
{
	char *taken = ax_calloc(k->ncandidates + 1, 1);
	for (size_t round = 0; round <= k->ncandidates; round++) {
		char *offer = join_names(k->candidates, k->ncandidates, taken, 0);
		if (!*offer) {
			free(offer);
			break;
		}
		struct tls_handshake h;
		offer_chunk(p, k, offer, &h);
		free(offer);
		size_t hit = k->ncandidates;
		if (h.completed)
			for (size_t i = 0; i < k->ncandidates; i++)
				if (!taken[i] && strcmp(k->candidates[i], h.cipher) == 0)
					hit = i;
		if (unanswered(&h)) {
			k->infra_error = h.infra_error;
			k->incomplete = ax_strdup(h.error ? h.error : "handshake failed");
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

/* The version is accepted with suite x: fill the order and chunk slots with
 * every other candidate. Returns how many slots were filled (next[]). */
static size_t plan_enumeration(struct pool *p, const struct plan *pl, size_t vi, const char *x, int with_order,
			       size_t *next)
{
	size_t n = 0, chunk = pl->version == TLS1_3_VERSION ? 1 : CHUNK;
	char **rest = ax_calloc(pl->nauth + pl->nanon + 1, sizeof(char *));
	size_t nrest = 0;
	for (size_t i = 0; i < pl->nauth + pl->nanon; i++) {
		char *name = i < pl->nauth ? pl->auth[i] : pl->anon[i - pl->nauth];
		if (strcmp(name, x) != 0)
			rest[nrest++] = name;
	}
	if (with_order && pl->nauth >= 2) {
		struct task *o = &p->tasks[pl->slot + 2];
		o->kind = TASK_ORDER;
		o->vi = vi;
		next[n++] = pl->slot + 2;
	}
	for (size_t c = 0, slot = pl->slot + 3; c < nrest && slot < pl->slot + 3 + pl->nchunks; c += chunk, slot++) {
		struct task *k = &p->tasks[slot];
		k->kind = TASK_CHUNK;
		k->vi = vi;
		k->ncandidates = nrest - c < chunk ? nrest - c : chunk;
		k->candidates = ax_calloc(k->ncandidates, sizeof(char *));
		for (size_t i = 0; i < k->ncandidates; i++)
			k->candidates[i] = ax_strdup(rest[c + i]);
		next[n++] = slot;
	}
	free(rest);
	return n;
}

/* Runs task k; fills next[] with the slots it makes ready. */
static size_t run_task(struct pool *p, struct task *k, size_t *next)
{
	const struct plan *pl = &p->plans[k->vi];
	char *offer = NULL;
	size_t n = 0;
	switch (k->kind) {
	case TASK_VERSION:
		offer = join_names(pl->auth, pl->nauth, NULL, 0);
		if (offer_once(p, k, *offer ? offer : NULL, TLS_HS_CHAIN))
			n = plan_enumeration(p, pl, k->vi, k->first.cipher, 1, next);
		else if (!k->infra_error && (k->first.answered || k->first.closed) && pl->nanon) {
			p->tasks[pl->slot + 1].kind = TASK_ANON;
			p->tasks[pl->slot + 1].vi = k->vi;
			next[n++] = pl->slot + 1;
		}
		break;
	case TASK_ANON:
		offer = join_names(pl->anon, pl->nanon, NULL, 0);
		if (offer_once(p, k, offer, TLS_HS_FULL))
			n = plan_enumeration(p, pl, k->vi, k->first.cipher, 0, next);
		break;
	case TASK_ORDER:
		offer = join_names(pl->auth, pl->nauth, NULL, 1);
		ax_buf_printf(&k->transcript, "## cipher order at %s: the same suites in reverse\n", tls_version_name(pl->version));
		offer_once(p, k, offer, TLS_HS_HELLO);
		break;
	case TASK_CHUNK:
		run_chunk(p, k);
		break;
	case TASK_NONE:
		break;
	}
	free(offer);
	return n;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t *next = ax_calloc(p->ntasks + 1, sizeof(size_t));
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->qhead == p->qtail && p->running > 0)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->qhead == p->qtail)
			break; /* nothing queued, nothing running: nothing more will come */
		size_t slot = p->queue[p->qhead++];
		p->running++;
		pthread_mutex_unlock(&p->lock);
		size_t n = run_task(p, &p->tasks[slot], next);
		pthread_mutex_lock(&p->lock);
		for (size_t i = 0; i < n; i++)
			p->queue[p->qtail++] = next[i];
		p->running--;
		pthread_cond_broadcast(&p->wake);
	}
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	free(next);
	return NULL;
}

/* The suites the local OpenSSL can offer at version with cipher list spec
 * (security level 0). */
static void candidates_for(int version, const char *spec, char ***out, size_t *n)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	*out = NULL;
	*n = 0;
	if (version == TLS1_3_VERSION) {
		char *all = ax_strdup(TLS_ALL_SUITES), *save = NULL;
		for (char *s = strtok_r(all, ":", &save); s; s = strtok_r(NULL, ":", &save)) {
			*out = ax_realloc(*out, (*n + 1) * sizeof(char *));
			(*out)[(*n)++] = ax_strdup(s);
		}
		free(all);
		goto cleanup;
	}
	if (!ctx)
		goto cleanup;
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, version) || !SSL_CTX_set_max_proto_version(ctx, version) ||
	    !SSL_CTX_set_cipher_list(ctx, spec) || !(ssl = SSL_new(ctx)))
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
cleanup:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
}

static void plan_version(struct plan *pl, int version, size_t slot)
{
	char **all;
	size_t nall;
	memset(pl, 0, sizeof(*pl));
	pl->version = version;
	pl->slot = slot;
	candidates_for(version, TLS_AUTH_CIPHERS, &pl->auth, &pl->nauth);
	candidates_for(version, TLS_ALL_CIPHERS, &all, &nall);
	pl->anon = ax_calloc(nall + 1, sizeof(char *));
	for (size_t i = 0; i < nall; i++) {
		int is_auth = 0;
		for (size_t j = 0; j < pl->nauth && !is_auth; j++)
			is_auth = strcmp(all[i], pl->auth[j]) == 0;
		if (is_auth)
			free(all[i]);
		else
			pl->anon[pl->nanon++] = all[i];
	}
	free(all);
	size_t chunk = version == TLS1_3_VERSION ? 1 : CHUNK;
	pl->nchunks = (pl->nauth + pl->nanon + chunk - 1) / chunk;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_cipher(struct tls_version_result *vr, const char *name)
{
	vr->ciphers = ax_realloc(vr->ciphers, (vr->nciphers + 1) * sizeof(char *));
	vr->ciphers[vr->nciphers++] = ax_strdup(name);
}

static void merge_version_task(const struct tls_target *t, struct tls_scan *s, struct tls_version_result *vr,
			       struct tls_handshake *h)
{
	if (h->starttls_offered)
		s->starttls_offered = 1;
	else if (h->infra_error && s->starttls_offered < 0 && t->starttls != MP_STARTTLS_NONE && h->error &&
		 strstr(h->error, "does not offer STARTTLS"))
		s->starttls_offered = 0;
	if (h->infra_error) {
		vr->infra_error = 1;
		if (!s->infra_error && h->error)
			s->infra_error = ax_strdup(h->error);
		return;
	}
	if (!h->completed) {
		if (!vr->error && h->error)
			vr->error = ax_strdup(h->error);
		/* a silent close is judged once it is known whether the server
		 * accepted any version (tls_scan_all) */
		vr->unmeasured = !h->answered && !h->closed;
		vr->closed = h->closed;
		return;
	}
	vr->accepted = 1;
	add_cipher(vr, h->cipher);
	if (h->version >= s->best_version) {
		s->best_version = h->version;
		snprintf(s->best_cipher, sizeof(s->best_cipher), "%s", h->cipher);
		snprintf(s->group, sizeof(s->group), "%s", h->group);
		if (s->chain)
			sk_X509_pop_free(s->chain, X509_free);
		s->chain = h->chain;
		h->chain = NULL;
	}
}

/* Server order from the version and order tasks of the first version (in
 * order of preference) with two or more authenticated suites accepted. */
static void judge_order(struct tls_scan *s, const struct pool *p, size_t nplans)
{
	static const int prefer[] = {TLS1_2_VERSION, TLS1_3_VERSION, TLS1_1_VERSION, TLS1_VERSION};
	for (size_t w = 0; w < sizeof(prefer) / sizeof(prefer[0]); w++)
		for (size_t v = 0; v < nplans; v++) {
			const struct plan *pl = &p->plans[v];
			const struct task *ver = &p->tasks[pl->slot], *ord = &p->tasks[pl->slot + 2];
			if (pl->version != prefer[w] || ver->kind != TASK_VERSION || ord->kind != TASK_ORDER ||
			    !ver->first.completed || !ord->first.completed)
				continue;
			size_t auth_accepted = 0;
			for (size_t c = 0; c < s->versions[v].nciphers; c++)
				for (size_t a = 0; a < pl->nauth; a++)
					auth_accepted += strcmp(s->versions[v].ciphers[c], pl->auth[a]) == 0;
			if (auth_accepted < 2)
				continue;
			s->server_order = strcmp(ver->first.cipher, ord->first.cipher) == 0;
			s->order_version = pl->version;
			return;
		}
}

/* Settles the versions a server closed silently: a refusal when it accepted
 * another version, no answer otherwise. A server that accepted and refused
 * nothing could not be measured at all; the reason given is the newest
 * version's. */
static void judge_answers(struct tls_scan *s)
{
	int alive = 0, refused = 0;
	const char *why = NULL;
	for (size_t v = 0; v < s->nversions; v++)
		alive |= s->versions[v].accepted;
	for (size_t v = 0; v < s->nversions; v++) {
		struct tls_version_result *vr = &s->versions[v];
		if (vr->accepted || vr->infra_error)
			continue;
		if (vr->closed && !alive)
			vr->unmeasured = 1;
		refused |= !vr->unmeasured;
		if (vr->unmeasured && vr->error)
			why = vr->error;
	}
	if (!alive && !refused)
		s->unmeasured = ax_asprintf("no TLS answer at any version: %s", why ? why : "no handshake completed");
}

static int tls_scan_all(const struct tls_target *t, int threads, struct tls_scan *s)
{
	struct pool pool;
	pthread_t tids[MAX_THREADS];
	int started = 0, any_tls = 0;

	memset(s, 0, sizeof(*s));
	memset(&pool, 0, sizeof(pool));
	s->starttls_offered = -1;
	s->server_order = -1;
	pool.target = t;
	pool.ctx = tls_client_ctx_new();
	pool.plans = ax_calloc(tls_nversions, sizeof(struct plan));
	for (size_t v = 0; v < tls_nversions; v++) {
		plan_version(&pool.plans[v], tls_versions[v], pool.ntasks);
		pool.ntasks += 3 + pool.plans[v].nchunks;
	}
	pool.tasks = ax_calloc(pool.ntasks, sizeof(struct task));
	pool.queue = ax_calloc(pool.ntasks, sizeof(size_t));
	for (size_t v = 0; v < tls_nversions; v++) { /* newest first: the chain and group come from there */
		size_t slot = pool.plans[tls_nversions - 1 - v].slot;
		pool.tasks[slot].kind = TASK_VERSION;
		pool.tasks[slot].vi = tls_nversions - 1 - v;
		pool.queue[pool.qtail++] = slot;
	}
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.wake, NULL);
	threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tids[started], NULL, worker, &pool) == 0)
			started++;
	if (!started)
		worker(&pool);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_cond_destroy(&pool.wake);
	pthread_mutex_destroy(&pool.lock);

	/* merge, in slot order (deterministic) */
	s->nversions = tls_nversions;
	s->versions = ax_calloc(tls_nversions, sizeof(*s->versions));
	for (size_t i = 0; i < pool.ntasks; i++) {
		struct task *k = &pool.tasks[i];
		if (k->kind == TASK_NONE)
			continue;
		struct tls_version_result *vr = &s->versions[k->vi];
		vr->version = tls_versions[k->vi];
		s->handshakes += k->handshakes;
		if (k->transcript.size)
			ax_buf_put(&s->transcript, k->transcript.ptr, k->transcript.size);
		any_tls |= !k->infra_error;
		if (k->kind == TASK_VERSION)
			merge_version_task(t, s, vr, &k->first);
		else if (k->kind == TASK_ANON && k->first.completed)
			add_cipher(vr, k->first.cipher);
		else if (k->kind == TASK_CHUNK)
			for (size_t c = 0; c < k->naccepted; c++)
				add_cipher(vr, k->accepted[c]);
		if (k->incomplete && !s->incomplete)
			s->incomplete = ax_asprintf("%s: %s", tls_version_name(vr->version), k->incomplete);
	}
	for (size_t v = 0; v < s->nversions; v++) {
		struct tls_version_result *vr = &s->versions[v];
		vr->version = tls_versions[v];
		if (vr->nciphers)
			vr->accepted = 1; /* e.g. only anonymous suites */
		if (vr->nciphers > 1) /* qsort(NULL, 0, ...) is undefined */
			qsort(vr->ciphers, vr->nciphers, sizeof(char *), cmp_str);
	}
	if (any_tls) {
		free(s->infra_error);
		s->infra_error = NULL;
		judge_order(s, &pool, tls_nversions);
		judge_answers(s);
	}
	for (size_t i = 0; i < pool.ntasks; i++) {
		struct task *k = &pool.tasks[i];
		tls_handshake_release(&k->first);
		free_names(k->candidates, k->ncandidates);
		free_names(k->accepted, k->naccepted);
		free(k->incomplete);
		ax_buf_free(&k->transcript);
	}
	for (size_t v = 0; v < tls_nversions; v++) {
		free_names(pool.plans[v].auth, pool.plans[v].nauth);
		free_names(pool.plans[v].anon, pool.plans[v].nanon);
	}
	free(pool.plans);
	free(pool.tasks);
	free(pool.queue);
	SSL_CTX_free(pool.ctx);
	return 0;
}

int tls_scan_run(const struct tls_target *t, int threads, struct tls_scan *s)
{
	return tls_scan_all(t, threads, s);
}

void tls_scan_release(struct tls_scan *s)
{
	if (!s)
		return;
	for (size_t v = 0; v < s->nversions; v++) {
		free_names(s->versions[v].ciphers, s->versions[v].nciphers);
		free(s->versions[v].error);
	}
	free(s->versions);
	if (s->chain)
		sk_X509_pop_free(s->chain, X509_free);
	ax_buf_free(&s->transcript);
	free(s->infra_error);
	free(s->incomplete);
	free(s->unmeasured);
	memset(s, 0, sizeof(*s));
}
