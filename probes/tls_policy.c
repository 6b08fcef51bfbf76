/* tls_policy.c - the profiles' tables (see tls_policy.h). A suite is
 * acceptable only at a version the profile allows and only when listed. */
#include "tls_policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

static const char *const mozilla12[] = {
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
	"DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305", NULL};
static const char *const mozilla13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
					"TLS_CHACHA20_POLY1305_SHA256", NULL};
static const char *const mozilla_groups[] = {"X25519", "prime256v1", "secp384r1", "secp521r1", "X448", NULL};

static const char *const bsi12[] = {
	"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM",
	"ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256", "DHE-RSA-AES128-GCM-SHA256",
	"DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES128-CCM", "DHE-RSA-AES256-CCM", NULL};
static const char *const bsi13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256", NULL};
static const char *const bsi_groups[] = {"prime256v1", "secp384r1", "secp521r1", "brainpoolP256r1",
					 "brainpoolP384r1", "brainpoolP512r1", "X25519", "X448", NULL};

static const struct tls_policy policies[] = {
	{"mozilla-intermediate", TLS1_2_VERSION, 2048, 256, 2048, mozilla12, mozilla13, mozilla_groups},
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
		return atoi(group + 3) >= p->min_dh_bits;
	if (strncmp(group, "ffdhe", 5) == 0)
		return atoi(group + 5) >= p->min_dh_bits;
	return listed(p->groups, group);
}
