/* tls_cert.h - what an auditor wants to know about a server's certificate
 * chain: subject, SAN, issuer, expiry, key, signature algorithm, whether it
 * validates (system store or a CA file) and whether it names the server.
 *
 * Pure functions over X509 objects; verification uses the given time, not
 * the wall clock, so expiry is testable (ANNEXA_NOW). */
#ifndef AX_TLS_CERT_H
#define AX_TLS_CERT_H

#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "buf.h"

struct tls_cert_info {
	char *subject, *issuer, *san, *not_after, *sig_alg;
	int64_t days_left; /* negative once expired */
	char key_type[16]; /* "RSA", "EC", "ED25519", ... */
	int key_bits;
};

void tls_cert_describe(X509 *x, int64_t now, struct tls_cert_info *out);
void tls_cert_info_release(struct tls_cert_info *ci);
json_t *tls_cert_info_json(const struct tls_cert_info *ci);

/* 1 when chain[0] validates against the system store (ca_file NULL) or
 * ca_file at time now; 0 with *why set when not; AX_ERROR when the store
 * cannot be loaded (message names ca_file). */
int tls_chain_verify(STACK_OF(X509) *chain, const char *ca_file, int64_t now, char **why);
/* 1 when leaf is valid for name (DNS name or IP address literal). */
int tls_name_matches(X509 *leaf, const char *name);
/* The chain in PEM, leaf first. */
void tls_chain_pem(STACK_OF(X509) *chain, struct ax_buf *out);

#endif
