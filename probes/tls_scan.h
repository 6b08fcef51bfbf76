/* tls_scan.h - single TLS handshakes and the enumeration built from them:
 * protocol versions, cipher suites per version, server cipher order and
 * key-exchange group.
 *
 * Each handshake is its own connection (with the STARTTLS exchange when
 * asked) limited by a per-handshake deadline; the client deliberately
 * runs at OpenSSL security level 0 with every suite enabled so weak servers
 * can be seen. Certificates are not verified here (tls_cert.c does that on
 * the chain a handshake returns). Enumeration runs handshakes in parallel on
 * a small thread pool; results are deterministic (sorted), not dependent
 * on thread timing. */
#ifndef AX_TLS_SCAN_H
#define AX_TLS_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "mailproto.h"

struct tls_target {
	const char *host, *port;
	const char *peer;       /* "host:port" for messages */
	const char *servername; /* SNI; NULL for none */
	enum mp_starttls starttls;
	int handshake_timeout_ms;
};

struct tls_handshake {
	int completed;        /* the server accepted the offer */
	int infra_error;      /* failed before TLS (connect, STARTTLS): says nothing about TLS */
	int starttls_offered; /* STARTTLS advertised (with starttls) */
	int version;          /* negotiated, TLS1_2_VERSION ... */
	char cipher[64];      /* OpenSSL name (IANA-style for TLS 1.3) */
	char group[32];       /* key-exchange group ("X25519", "prime256v1", "ffdhe2048", "RSA") */
	STACK_OF(X509) *chain; /* peer chain, leaf first (when asked for) */
	struct ax_buf transcript;
	char *error; /* why it did not complete */
};

void tls_handshake_release(struct tls_handshake *h);

/* One handshake offering exactly version with ciphers (<= TLS 1.2, OpenSSL
 * cipher-list syntax) or suites (TLS 1.3); NULL means everything. */
int tls_handshake_run(const struct tls_target *t, int version, const char *ciphers, const char *suites,
		      int want_chain, struct tls_handshake *out);

/* Protocol versions tried, oldest first, and their names. */
extern const int tls_versions[];
extern const size_t tls_nversions;
const char *tls_version_name(int version);   /* "TLSv1.2" */
const char *tls_version_check_id(int version); /* "tls1_2" */

struct tls_version_result {
	int version;
	int accepted;
	int infra_error;
	char **ciphers; /* accepted, in the server's order when it enforces one, else sorted */
	size_t nciphers;
	char *error;
};

struct tls_scan {
	struct tls_version_result *versions; /* one per tls_versions[] */
	size_t nversions;
	int server_order; /* 1 enforces its order, 0 follows the client, -1 unknown */
	int order_version;
	char group[32];
	int best_version;
	char best_cipher[64];
	STACK_OF(X509) *chain;    /* from the handshake at the best version */
	struct ax_buf transcript; /* every handshake's transcript, in a stable order */
	int starttls_offered;     /* -1 unknown */
	char *infra_error;        /* set when no handshake got past connect/STARTTLS */
	size_t handshakes;
};

/* Runs the whole enumeration with up to threads parallel handshakes. */
int tls_scan_run(const struct tls_target *t, int threads, struct tls_scan *out);
void tls_scan_release(struct tls_scan *s);

#endif
