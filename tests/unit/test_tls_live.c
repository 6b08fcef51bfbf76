/* test_tls_live.c - the `tls` probe's whole enumeration in-process against
 * an in-process SMTP STARTTLS server on 127.0.0.1 (the first free port of
 * 12580-12599, as other build folders may run this test at the same time;
 * OpenSSL, a fresh
 * self-signed RSA-2048 certificate), so that the scan, its thread pool and
 * the certificate code run under ASan/UBSan/LSan in the test's own process
 * (the real binary runs probes in children that leave with _exit, where
 * leaks are not reported). Asserts what a user reads: the exact versions,
 * the exact accepted suites per version, the order, and every check's
 * status, for a strict server (TLS 1.2+, three suites, one of them weak),
 * a lax one (TLS 1.0 and 1.1 too), one that stops answering after the
 * version handshakes, and a closed port. Real Postfix and Dovecot are in
 * tests/integration/mail_*.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "tls_scan.h"
#include "util.h"

#define PORT_FIRST 12580
#define PORT_LAST 12599
#define SERVER_THREADS 4

extern const struct probe probe_tls;

struct server {
	int listen_fd, port;
	int serve_only; /* > 0: connections after the first serve_only are closed at once */
	int accepted;   /* connections so far (under lock) */
	pthread_mutex_t lock;
	SSL_CTX *ctx;
	atomic_int stop; /* set by server_stop, read by the server threads */
	pthread_t threads[SERVER_THREADS];
};

static int read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		char ch;
		if (read(fd, &ch, 1) != 1) /* one byte at a time: never read into the TLS bytes */
			return -1;
		if (ch == '\n')
			break;
		if (ch != '\r')
			line[n++] = ch;
	}
	line[n] = '\0';
	return 0;
}

static void say(int fd, const char *text)
{
	if (write(fd, text, strlen(text)) < 0)
		return;
}

/* The SMTP side up to STARTTLS, then one TLS handshake. */
static void serve(struct server *s, int fd)
{
	struct timeval tv = {.tv_sec = 60}; /* a busy machine: the client's own deadline ends a stuck run */
	char line[512];
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	say(fd, "220 live.test ESMTP\r\n");
	for (;;) {
		if (read_line(fd, line, sizeof(line)) < 0)
			return;
		if (strncasecmp(line, "EHLO", 4) == 0) {
			say(fd, "250-live.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0) {
			say(fd, "220 2.0.0 go ahead\r\n");
			break;
		} else {
			say(fd, "221 bye\r\n");
			return;
		}
	}
	SSL *ssl = SSL_new(s->ctx);
	if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
}

static void *server_thread(void *arg)
{
	struct server *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->lock);
		int nth = ++s->accepted;
		pthread_mutex_unlock(&s->lock);
		if (!s->serve_only || nth <= s->serve_only)
			serve(s, fd);
		close(fd);
	}
	return NULL;
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost");
	X509_add_ext(x, bc, -1);
	X509_add_ext(x, san, -1);
	X509_EXTENSION_free(bc);
	X509_EXTENSION_free(san);
	X509_sign(x, key, EVP_sha256());
	return x;
}

/* A socket bound to the first free loopback port of the range (*port). */
static int bind_free_port(int *port)
{
	int one = 1;
	for (int p = PORT_FIRST; p <= PORT_LAST; p++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); /* several threads accept */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			*port = p;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* min_version: the oldest version the server accepts; serve_only: see
 * struct server. */
static int server_start(struct server *s, EVP_PKEY *key, X509 *cert, int min_version, int serve_only)
{
	memset(s, 0, sizeof(*s));
	s->serve_only = serve_only;
	pthread_mutex_init(&s->lock, NULL);
	s->ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_security_level(s->ctx, 0);
	SSL_CTX_set_min_proto_version(s->ctx, min_version);
	SSL_CTX_set_max_proto_version(s->ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(s->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	if (SSL_CTX_set_cipher_list(s->ctx, "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0") != 1 ||
	    SSL_CTX_set_ciphersuites(s->ctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256") != 1 ||
	    SSL_CTX_use_certificate(s->ctx, cert) != 1 || SSL_CTX_use_PrivateKey(s->ctx, key) != 1)
		return -1;
	if ((s->listen_fd = bind_free_port(&s->port)) < 0 || listen(s->listen_fd, 128) < 0)
		return -1;
	/* the server's threads ignore SIGPIPE (a client gone before our
	 * close_notify); the test's own thread keeps it, so a probe that does
	 * not protect itself dies here as it would in the collector */
	sigset_t pipe_only, old;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	for (int i = 0; i < SERVER_THREADS; i++)
		pthread_create(&s->threads[i], NULL, server_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

static void server_stop(struct server *s)
{
	atomic_store(&s->stop, 1);
	for (int i = 0; i < SERVER_THREADS; i++)
		pthread_join(s->threads[i], NULL);
	close(s->listen_fd);
	SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->lock);
}

/* status may list alternatives: "pass|error". */
static void expect(const struct ax_evidence *ev, const char *check, const char *status, const char *scenario)
{
	const struct ax_result *r = t_result(ev, check);
	const char *got = r ? ax_check_status_name(r->status) : "missing";
	size_t n = strlen(got);
	const char *p = status;
	int found = 0;
	while (*p && !found) {
		size_t len = strcspn(p, "|");
		found = len == n && strncmp(p, got, n) == 0;
		p += len + (p[len] == '|');
	}
	t_checks++;
	if (!found)
		t_fail(__FILE__, __LINE__, "%s: %s is %s (%s), want %s", scenario, check, got, r ? r->message : "", status);
}

static const char *artifact_text(const struct ax_evidence *ev, const char *name)
{
	for (size_t i = 0; i < ev->nartifacts; i++)
		if (strcmp(ev->artifacts[i].name, name) == 0)
			return ax_buf_cstr(&ev->artifacts[i].data);
	return NULL;
}

/* profile: NULL for the probe's default */
static void run_probe(int port, const char *ca_file, const char *profile, struct ax_evidence *ev)
{
	char target[32];
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	/* the deadline of one handshake is generous: on a busy machine a 5 s
	 * deadline cut enumeration handshakes short (an error verdict, not the
	 * fail the strict server deserves); only a broken peer costs it */
	struct ax_kv opts[] = {
		{(char *)"target", target}, {(char *)"starttls", (char *)"smtp"},
		{(char *)"servername", (char *)"localhost"}, {(char *)"ca-file", (char *)ca_file},
		{(char *)"handshake-timeout", (char *)"60s"}, {(char *)"profile", (char *)profile},
	};
	struct ax_probe_instance inst = {.name = (char *)"live", .type = &probe_tls, .opts = opts, .nopts = profile ? 6 : 5};
	memset(ev, 0, sizeof(*ev));
	T_EQ_INT(ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef", 16, NULL, ax_now(), ev), 0);
}

/* The per-version suites in tls-scan.json, as "TLSv1.2=A,B;TLSv1.3=C". */
static char *suites_of(const struct ax_evidence *ev)
{
	struct ax_buf out = AX_BUF_INIT;
	const char *text = artifact_text(ev, "tls-scan.json");
	json_t *scan = text ? json_loads(text, 0, NULL) : NULL;
	json_t *versions = json_object_get(scan, "versions");
	static const char *const names[] = {"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
	for (size_t v = 0; v < sizeof(names) / sizeof(names[0]); v++) {
		json_t *vr = json_object_get(versions, names[v]);
		if (!json_is_true(json_object_get(vr, "accepted")))
			continue;
		ax_buf_printf(&out, "%s%s=", out.size ? ";" : "", names[v]);
		json_t *c = json_object_get(vr, "ciphers");
		for (size_t i = 0; i < json_array_size(c); i++)
			ax_buf_printf(&out, "%s%s", i ? "," : "", json_string_value(json_array_get(c, i)));
	}
	json_decref(scan);
	if (!out.size)
		ax_buf_puts(&out, "(none)");
	return ax_buf_detach(&out);
}

int main(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = self_signed(key);
	struct ax_buf pem = AX_BUF_INIT;
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	PEM_write_bio_X509(b, cert);
	long len = BIO_get_mem_data(b, &data);
	ax_buf_put(&pem, data, (size_t)len);
	BIO_free(b);
	char *ca = t_write("ca.pem", ax_buf_cstr(&pem));
	struct server srv;
	struct ax_evidence ev;

	/* strict: TLS 1.2 and 1.3 only, server order, one weak (CBC, RSA key transport) suite */
	T_EQ_INT(server_start(&srv, key, cert, TLS1_2_VERSION, 0), 0);
	run_probe(srv.port, ca, NULL, &ev);
	server_stop(&srv);
	char *suites = suites_of(&ev);
	T_EQ_STR(suites, "TLSv1.2=AES128-SHA,ECDHE-RSA-AES128-GCM-SHA256,ECDHE-RSA-AES256-GCM-SHA384;"
			 "TLSv1.3=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384");
	free(suites);
	static const char *const strict_pass[] = {"tls.starttls.offered", "tls.protocol.tls1_0", "tls.protocol.tls1_1",
		"tls.protocol.tls1_2", "tls.cipher.order", "tls.kex.group", "tls.cert.expiry",
		"tls.cert.key_size", "tls.cert.signature", "tls.cert.chain", "tls.cert.hostname"};
	for (size_t i = 0; i < sizeof(strict_pass) / sizeof(strict_pass[0]); i++)
		expect(&ev, strict_pass[i], "pass", "strict");
	expect(&ev, "tls.protocol.tls1_3", "info", "strict"); /* recommended, cannot fail */
	expect(&ev, "tls.cipher.weak", "fail", "strict");
	const struct ax_result *weak = t_result(&ev, "tls.cipher.weak");
	T_CONTAINS(weak ? weak->message : NULL, "1 of 5 accepted suites are outside mozilla-intermediate: TLSv1.2 AES128-SHA");
	T_CONTAINS(artifact_text(&ev, "handshakes.txt"), "C: STARTTLS");
	T_CONTAINS(artifact_text(&ev, "chain.pem"), "-----BEGIN CERTIFICATE-----");
	T_CONTAINS(artifact_text(&ev, "tls-scan.json"), "\"server_order\": 1");
	ax_evidence_free(&ev);

	/* the same server under BSI TR-02102-2 2024-01: its suites pass (Table 2,
	 * 12) but for AES128-SHA, while the X25519 it negotiates is in neither
	 * group table (5, 9) and a 2048-bit RSA key is below Table 13's 3000 */
	T_EQ_INT(server_start(&srv, key, cert, TLS1_2_VERSION, 0), 0);
	run_probe(srv.port, ca, "bsi-tr-02102-2", &ev);
	server_stop(&srv);
	expect(&ev, "tls.cipher.weak", "fail", "bsi");
	weak = t_result(&ev, "tls.cipher.weak");
	T_CONTAINS(weak ? weak->message : NULL, "1 of 5 accepted suites are outside bsi-tr-02102-2: TLSv1.2 AES128-SHA");
	expect(&ev, "tls.kex.group", "fail", "bsi");
	const struct ax_result *grp = t_result(&ev, "tls.kex.group");
	T_CONTAINS(grp ? grp->message : NULL, "key exchange X25519");
	expect(&ev, "tls.cert.key_size", "fail", "bsi");
	const struct ax_result *ks = t_result(&ev, "tls.cert.key_size");
	T_CONTAINS(ks ? ks->message : NULL, "RSA key of 2048 bits (minimum 3000)");
	expect(&ev, "tls.protocol.tls1_2", "pass", "bsi");
	ax_evidence_free(&ev);

	/* lax: TLS 1.0 and 1.1 as well (the same suites where the version has them) */
	T_EQ_INT(server_start(&srv, key, cert, TLS1_VERSION, 0), 0);
	run_probe(srv.port, ca, NULL, &ev);
	server_stop(&srv);
	suites = suites_of(&ev);
	T_EQ_STR(suites, "TLSv1.0=AES128-SHA;TLSv1.1=AES128-SHA;"
			 "TLSv1.2=AES128-SHA,ECDHE-RSA-AES128-GCM-SHA256,ECDHE-RSA-AES256-GCM-SHA384;"
			 "TLSv1.3=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384");
	free(suites);
	expect(&ev, "tls.protocol.tls1_0", "fail", "lax");
	expect(&ev, "tls.protocol.tls1_1", "fail", "lax");
	expect(&ev, "tls.protocol.tls1_2", "pass", "lax");
	expect(&ev, "tls.cipher.weak", "fail", "lax");
	expect(&ev, "tls.cert.chain", "pass", "lax");
	ax_evidence_free(&ev);

	/* a server that answers only the first four connections: the suites found
	 * are not all there are, so "no weak suite" cannot be claimed. Which
	 * handshakes get answered is a race (the version handshakes and the
	 * server-order offer start together), so a version or order check may be
	 * pass or error, but never a false fail, and the weak-suite verdict must
	 * be error, never pass */
	T_EQ_INT(server_start(&srv, key, cert, TLS1_2_VERSION, 4), 0);
	run_probe(srv.port, ca, NULL, &ev);
	server_stop(&srv);
	expect(&ev, "tls.protocol.tls1_2", "pass|error", "flaky");
	expect(&ev, "tls.protocol.tls1_0", "pass|error", "flaky");
	expect(&ev, "tls.cert.chain", "pass|error", "flaky");
	expect(&ev, "tls.cipher.weak", "error", "flaky");
	expect(&ev, "tls.cipher.order", "error|pass", "flaky");
	weak = t_result(&ev, "tls.cipher.weak");
	T_CONTAINS(weak ? weak->message : NULL, "suite enumeration incomplete: TLSv1.");
	ax_evidence_free(&ev);

	/* a port bound but not listening (refuses): every check is an error, nothing leaks */
	int closed_port = 0, closed_fd = bind_free_port(&closed_port);
	T_OK(closed_fd >= 0);
	run_probe(closed_port, ca, NULL, &ev);
	close(closed_fd);
	expect(&ev, "tls.starttls.offered", "error", "closed port");
	expect(&ev, "tls.cipher.weak", "error", "closed port");
	const struct ax_result *r = t_result(&ev, "tls.cert.chain");
	T_CONTAINS(r ? r->message : NULL, "cannot connect");
	ax_evidence_free(&ev);

	free(ca);
	ax_buf_free(&pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return t_done();
}
