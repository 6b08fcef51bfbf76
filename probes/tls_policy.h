/* tls_policy.h - named TLS policy profiles: which protocol versions,
 * suites, key-exchange groups and key sizes a server may accept, each list
 * exactly as its cited document has it (tls_policy.c names the table).
 *
 * mozilla-intermediate: Mozilla Server Side TLS guidelines 6.0 (2026-04),
 * "intermediate" configuration. bsi-tr-02102-2: BSI TR-02102-2 version
 * 2024-01 (2024-02-29). Certificate signature algorithms, certificate
 * curves and handshake signature schemes are not part of these tables (the
 * tls probe judges certificate signatures for MD5/SHA-1 only). The key
 * sizes are defaults; the probe's options override them. */
#ifndef AX_TLS_POLICY_H
#define AX_TLS_POLICY_H

struct tls_policy {
	const char *name;
	int min_version;
	int min_rsa_bits, min_ec_bits;
	int min_dh_bits; /* finite-field DH ("DH-N"); 0: no DH group is in the profile */
	const char *const *suites12; /* OpenSSL names, TLS <= 1.2 */
	const char *const *suites13;
	const char *const *groups; /* named groups as OpenSSL names them */
};

/* NULL when unknown. */
const struct tls_policy *tls_policy_find(const char *name);
int tls_policy_suite_ok(const struct tls_policy *p, int version, const char *cipher);
/* group as tls_scan reports it ("X25519", "prime256v1", "DH-2048", "RSA"). */
int tls_policy_group_ok(const struct tls_policy *p, const char *group);

#endif
