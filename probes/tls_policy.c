/* tls_policy.c - the profiles' tables (see tls_policy.h). A suite is
 * acceptable only at a version the profile allows and only when listed;
 * a group only when listed (or, for finite-field DH, when the profile has
 * DH at all and the group is large enough). Every table names the
 * document, version and table it copies; a name not in the document is
 * not in the table, however strong it is. */
#include "tls_policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

/* Mozilla Server Side TLS guidelines 6.0 (ssl-config.mozilla.org/guidelines/
 * 6.0.json, mozilla/ssl-config-generator src/static/guidelines/6.0.json,
 * released 2026-04-06; latest.json points to it), configurations.intermediate:
 * tls_versions TLSv1.2+TLSv1.3, ciphers.openssl (TLS 1.2), ciphersuites
 * (TLS 1.3), tls_curves, rsa_key_size 2048, ecdh_param_size 256. 5.8 removed
 * the DHE-RSA suites 5.7 had; no DHE suite and no ffdhe group is listed, so
 * no finite-field DH group is in the profile (the JSON's leftover
 * dh_param_size 2048 applies to nothing listed). */
static const char *const mozilla12[] = {
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", NULL};
static const char *const mozilla13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
					"TLS_CHACHA20_POLY1305_SHA256", NULL};
static const char *const mozilla_groups[] = {"X25519MLKEM768", "X25519", "prime256v1", "secp384r1", NULL};

/* BSI TR-02102-2 "Use of Transport Layer Security (TLS)", version 2024-01
 * (2024-02-29), section 3.3.1.1 Table 2 (TLS 1.2 suites with Perfect Forward
 * Secrecy, in OpenSSL's names; DHE-* to 2029, the rest 2030+). Table 3
 * (static (EC)DH suites, to 2026) is not here: OpenSSL 3 implements none of
 * them, so no scan can see one. Table 4 (PSK suites) is not here: a
 * certificate-based scan negotiates none. */
static const char *const bsi12[] = {
	"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM",
	"ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES256-GCM-SHA384", "DHE-DSS-AES128-SHA256", "DHE-DSS-AES256-SHA256",
	"DHE-DSS-AES128-GCM-SHA256", "DHE-DSS-AES256-GCM-SHA384", "DHE-RSA-AES128-SHA256",
	"DHE-RSA-AES256-SHA256", "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
	"DHE-RSA-AES128-CCM", "DHE-RSA-AES256-CCM", NULL};
/* section 3.4.4 Table 12 (TLS 1.3, 2030+): no ChaCha20, no CCM_8 */
static const char *const bsi13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256", NULL};
/* section 3.3.2 Table 5 (TLS 1.2) and 3.4.2 Table 9 (TLS 1.3). secp256r1 is
 * OpenSSL's prime256v1; OpenSSL names the TLS 1.3 Brainpool groups by
 * their curve (brainpoolP256r1), newer ones also brainpoolP256r1tls13.
 * X25519 and X448 are in neither table. DH-N (a TLS 1.2 server's own
 * group) is judged by section 3.6.1 Table 13: DH >= 3000 bits. */
static const char *const bsi_groups[] = {"prime256v1", "secp384r1", "secp521r1", "brainpoolP256r1",
					 "brainpoolP384r1", "brainpoolP512r1", "brainpoolP256r1tls13",
					 "brainpoolP384r1tls13", "brainpoolP512r1tls13", "ffdhe3072", "ffdhe4096", NULL};

static const struct tls_policy policies[] = {
	{"mozilla-intermediate", TLS1_2_VERSION, 2048, 256, 0, mozilla12, mozilla13, mozilla_groups},
	/* section 3.2: TLS 1.2 or 1.3; 3.6.1 Table 13: RSA and DSS 3000, ECDSA 250, DH 3000 */
	{"bsi-tr-02102-2", TLS1_2_VERSION, 3000, 250, 3000, bsi12, bsi13, bsi_groups},
};

const struct tls_policy *tls_policy_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policies[i].name, name) == 0)
			return &policies[i];
	return NULL;
}

static int listed(const char *const *list, const char *name)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcasecmp(list[i], name) == 0)
			return 1;
	return 0;
}

int tls_policy_suite_ok(const struct tls_policy *p, int version, const char *cipher)
{
	if (version < p->min_version)
		return 0;
	return listed(version >= TLS1_3_VERSION ? p->suites13 : p->suites12, cipher);
}

int tls_policy_group_ok(const struct tls_policy *p, const char *group)
{
	if (strncmp(group, "DH-", 3) == 0)
		return p->min_dh_bits > 0 && atoi(group + 3) >= p->min_dh_bits;
	return listed(p->groups, group);
}
