/* tls_policy.h - named TLS policy profiles: which protocol versions,
 * suites, key-exchange groups and key sizes a server may accept.
 *
 * mozilla-intermediate follows Mozilla's "Intermediate" server
 * configuration (v5.7): TLS 1.2+, ECDHE/DHE with AEAD suites, RSA >= 2048.
 * bsi-tr-02102-2 follows BSI TR-02102-2 (2024): TLS 1.2+, the BSI suite list
 * (ECDHE/DHE with AES-GCM, AES-CCM or AES-CBC-SHA2), RSA >= 3000. The
 * thresholds are defaults; the probe's options override them. */
#ifndef AX_TLS_POLICY_H
#define AX_TLS_POLICY_H

struct tls_policy {
	const char *name;
	int min_version;
	int min_rsa_bits, min_ec_bits, min_dh_bits;
	const char *const *suites12; /* OpenSSL names, TLS <= 1.2 */
	const char *const *suites13;
	const char *const *groups;
};

/* NULL when unknown. */
const struct tls_policy *tls_policy_find(const char *name);
int tls_policy_suite_ok(const struct tls_policy *p, int version, const char *cipher);
/* group as tls_scan reports it ("X25519", "prime256v1", "DH-2048", "RSA"). */
int tls_policy_group_ok(const struct tls_policy *p, const char *group);

#endif
