/* tls_scan.h - single TLS handshakes (tls_handshake.c) and the
 * enumeration built from them (tls_scan.c): protocol versions, cipher
 * suites per version, server cipher order and key-exchange group.
 *
 * Each handshake is its own connection (with the STARTTLS exchange when
 * asked) limited by a per-handshake deadline; the client deliberately
 * runs at OpenSSL security level 0 with every suite enabled so weak servers
 * can be seen. Certificates are not verified here (tls_cert.c does that on
 * the chain a handshake returns). Enumeration runs handshakes in parallel on
 * a bounded thread pool; results are deterministic (sorted, transcripts in
 * a fixed order), not dependent on thread timing.
 *
 * A handshake that did not complete counts as a refusal only when the
 * server answered it: a TLS alert or a handshake message (a ServerHello
 * OpenSSL rejects), or a close or reset before sending any byte from a
 * server that completed a handshake at some other version (some servers
 * refuse a version that way). A deadline, bytes that are not TLS, or an
 * answer cut short are no answer: that version is unmeasured, never
 * "refused", and a server that answered no version at all is unmeasured as
 * a whole. */
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
	int timed_out;        /* the TLS handshake itself passed its deadline */
	int answered;         /* the server sent a whole TLS alert or handshake message: a refusal is its answer */
	int closed;           /* the server closed or reset the connection before sending one byte */
	int starttls_offered; /* STARTTLS advertised (with starttls) */
	int version;          /* negotiated, TLS1_2_VERSION ... */
	char cipher[64];      /* OpenSSL name (IANA-style for TLS 1.3) */
	char group[32];       /* key-exchange group ("X25519", "prime256v1", "ffdhe2048", "RSA") */
	STACK_OF(X509) *chain; /* peer chain, leaf first (when asked for) */
	struct ax_buf transcript;
	char *error; /* why it did not complete */
};

void tls_handshake_release(struct tls_handshake *h);

#define TLS_ALL_CIPHERS "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
#define TLS_AUTH_CIPHERS "ALL:!aNULL:!eNULL:@SECLEVEL=0"
#define TLS_ALL_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"

enum tls_hs_mode {
	TLS_HS_HELLO, /* stop once the server has chosen its suite (and sent its certificate) */
	TLS_HS_FULL,  /* the whole handshake: group known */
	TLS_HS_CHAIN, /* the whole handshake, and keep the peer's chain */
};

/* A client context for tls_handshake_with() (security level 0, no
 * tickets, no session reuse), shareable between threads; NULL on failure. */
SSL_CTX *tls_client_ctx_new(void);

/* One handshake offering exactly version with ciphers (<= TLS 1.2, OpenSSL
 * cipher-list syntax) or suites (TLS 1.3); NULL means everything. shared
 * may be NULL (a context of its own). Always returns 0: the outcome is in
 * out (completed, infra_error, error, transcript). */
int tls_handshake_with(const struct tls_target *t, SSL_CTX *shared, int version, const char *ciphers,
		       const char *suites, enum tls_hs_mode mode, struct tls_handshake *out);
/* The same with a context of its own, a full handshake (and the chain when
 * want_chain). */
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
	int unmeasured; /* neither accepted nor refused: no TLS answer (deadline, garbage, cut short, or a
			 * silent close by a server that accepted no version at all); error says why */
	int closed;     /* refused by a silent close (counts as a refusal only from a live server) */
	char **ciphers; /* accepted, sorted */
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
	char *incomplete;         /* set when some enumeration handshake failed (twice) before the
				   * server could answer it: the suite lists may lack entries */
	char *unmeasured;         /* set when no version was accepted or refused: the server could
				   * not be measured at all (why) */
	size_t handshakes;
};

/* Runs the whole enumeration with up to threads parallel handshakes. */
int tls_scan_run(const struct tls_target *t, int threads, struct tls_scan *out);
void tls_scan_release(struct tls_scan *s);

#endif
