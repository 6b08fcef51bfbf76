/* ssh_policy.c - the ssh-access profiles' tables (see ssh_policy.h). A
 * name is within a profile only when its table lists it; nothing is added
 * for being newer or stronger than what the document lists. */
#include "ssh_policy.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Mozilla's OpenSSH guidelines (infosec.mozilla.org/guidelines/openssh,
 * mozilla/infosec.mozilla.org docs/guidelines/openssh.md, last changed
 * 2022-07-12, unchanged at the 2025-03-03 snapshot), section "Modern
 * (OpenSSH 6.7+)": its KexAlgorithms, Ciphers and MACs lines. The one name
 * added is curve25519-sha256, RFC 8731's name for the very method the
 * guideline lists as curve25519-sha256@libssh.org. The post-quantum
 * hybrids (sntrup761x25519-sha512, mlkem768x25519-sha256) are not in the
 * guideline, so they are outside the profile. */
static const char *const moz_kex[] = {"curve25519-sha256@libssh.org", "curve25519-sha256", "ecdh-sha2-nistp521",
				      "ecdh-sha2-nistp384", "ecdh-sha2-nistp256",
				      "diffie-hellman-group-exchange-sha256", NULL};
static const char *const moz_ciphers[] = {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
					  "aes256-ctr", "aes192-ctr", "aes128-ctr", NULL};
static const char *const moz_macs[] = {"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com",
				       "hmac-sha2-512", "hmac-sha2-256", "umac-128@openssh.com", NULL};
/* The guideline sets no HostKeyAlgorithms/PubkeyAcceptedAlgorithms and
 * says only non-default settings are listed, so OpenSSH's default applies:
 * this is `sshd -T`'s default list of OpenSSH 9.2p1 (Debian 12), without
 * the -cert-v01 names (judged by their key algorithm). No ssh-rsa (SHA-1),
 * no ssh-dss. */
static const char *const moz_keys[] = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
				       "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512",
				       "rsa-sha2-256", NULL};

/* BSI TR-02102-4 (SSH): NOT verified against the document. No edition of
 * it (the current is 2026-01) could be obtained when these tables were
 * checked (2026-12); see README. The lists hold only names that two
 * third-party transcriptions of TR-02102-4 (editions 2023-01 and a later
 * one with "2030" horizons) agree on, mapped to OpenSSH's names
 * (AEAD_AES_*_GCM -> aes*-gcm@openssh.com), and nothing either lacks:
 * no diffie-hellman-group14-sha256 (a 2048-bit group, below the 3000-bit DH
 * floor BSI applies from 2023: TR-02102-2 2024-01 Table 13), no
 * Curve25519/Ed25519/ChaCha20, no -etm MAC names, no RSA (PKCS #1 v1.5)
 * host key algorithm. */
static const char *const bsi_kex[] = {"diffie-hellman-group-exchange-sha256", "diffie-hellman-group15-sha512",
				      "diffie-hellman-group16-sha512", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
				      "ecdh-sha2-nistp521", NULL};
static const char *const bsi_ciphers[] = {"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
					  "aes256-gcm@openssh.com", NULL};
static const char *const bsi_macs[] = {"hmac-sha2-256", "hmac-sha2-512", NULL};
static const char *const bsi_keys[] = {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", NULL};

static const struct ssh_policy policies[] = {
	/* RSA 3072: Mozilla Key Management guideline's smallest listed RSA size
	 * ("Acceptable", RSA 3072; the OpenSSH guideline asks DH moduli >= 3072
	 * "as per" it). */
	{"mozilla", "Mozilla OpenSSH guidelines, Modern (OpenSSH 6.7+), 2022-07-12; key algorithms: OpenSSH 9.2p1 defaults",
	 3072, moz_kex, moz_ciphers, moz_macs, moz_keys},
	/* RSA 3000: TR-02102-2 2024-01 Table 13 (TR-02102-1 key lengths) */
	{"bsi", "BSI TR-02102-4: lists not verified against the document (see README)", 3000, bsi_kex, bsi_ciphers,
	 bsi_macs, bsi_keys},
};

const struct ssh_policy *ssh_policy_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policies[i].name, name) == 0)
			return &policies[i];
	return NULL;
}

static int listed(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

int ssh_policy_ok(const struct ssh_policy *p, enum ssh_alg_kind kind, const char *alg)
{
	if (kind == SSH_ALG_KEX && (strncmp(alg, "ext-info-", 9) == 0 || strncmp(alg, "kex-strict-", 11) == 0))
		return 1;
	const char *const *list = kind == SSH_ALG_CIPHER ? p->ciphers : kind == SSH_ALG_MAC ? p->macs
				: kind == SSH_ALG_KEX	 ? p->kex : p->keys;
	if (kind != SSH_ALG_KEY)
		return listed(list, alg);
	/* ssh-ed25519-cert-v01@openssh.com -> ssh-ed25519,
	 * sk-ssh-ed25519-cert-v01@openssh.com -> sk-ssh-ed25519@openssh.com */
	const char *c = strstr(alg, "-cert-v01@openssh.com");
	if (!c)
		return listed(list, alg);
	char *base = ax_asprintf("%.*s%s", (int)(c - alg), alg, strncmp(alg, "sk-", 3) == 0 ? "@openssh.com" : "");
	int ok = listed(list, base);
	free(base);
	return ok;
}
