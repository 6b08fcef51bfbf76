/* test_ssh_policy.c - the ssh-access profiles against their sources: every
 * algorithm name OpenSSH 9.2 knows (ssh -Q kex/cipher/mac/key-sig) passes
 * a profile exactly when the profile's cited list has it, so what the
 * source omits (ssh-rsa with SHA-1, DSA, group1/group14-sha1, 3DES and
 * CBC, HMAC-SHA1/MD5, and for BSI Curve25519/Ed25519/ChaCha20) fails. */
#include <string.h>

#include "ssh_policy.h"
#include "t.h"

/* ssh -Q of OpenSSH 9.2p1 (Debian 12), plus the names newer releases added */
static const char *const all_kex[] = {
	"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group14-sha256",
	"diffie-hellman-group15-sha512", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
	"diffie-hellman-group-exchange-sha1", "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256",
	"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "curve25519-sha256", "curve25519-sha256@libssh.org",
	"sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "mlkem768x25519-sha256", NULL};
static const char *const all_ciphers[] = {"3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-ctr", "aes192-ctr",
					  "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
					  "chacha20-poly1305@openssh.com", NULL};
static const char *const all_macs[] = {
	"hmac-sha1", "hmac-sha1-96", "hmac-sha2-256", "hmac-sha2-512", "hmac-md5", "hmac-md5-96", "umac-64@openssh.com",
	"umac-128@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
	"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-md5-etm@openssh.com",
	"hmac-md5-96-etm@openssh.com", "umac-64-etm@openssh.com", "umac-128-etm@openssh.com", NULL};
static const char *const all_keys[] = {
	"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com",
	"sk-ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss",
	"ssh-dss-cert-v01@openssh.com", "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256",
	"rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com", NULL};

/* Mozilla OpenSSH guidelines, Modern: KexAlgorithms/Ciphers/MACs lines
 * (curve25519-sha256 = RFC 8731's name of curve25519-sha256@libssh.org);
 * key algorithms: OpenSSH 9.2p1's default HostKeyAlgorithms (sshd -T). */
static const char *const moz_kex[] = {"curve25519-sha256@libssh.org", "curve25519-sha256", "ecdh-sha2-nistp521",
				      "ecdh-sha2-nistp384", "ecdh-sha2-nistp256", "diffie-hellman-group-exchange-sha256", NULL};
static const char *const moz_ciphers[] = {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
					  "aes256-ctr", "aes192-ctr", "aes128-ctr", NULL};
static const char *const moz_macs[] = {"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
				       "umac-128-etm@openssh.com", "hmac-sha2-512", "hmac-sha2-256", "umac-128@openssh.com", NULL};
static const char *const moz_keys[] = {
	"ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "ssh-ed25519", "ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	"rsa-sha2-512", "rsa-sha2-256", NULL};

/* BSI TR-02102-4 (unverified, see ssh_policy.c): the names two
 * transcriptions agree on */
static const char *const bsi_kex[] = {"diffie-hellman-group-exchange-sha256", "diffie-hellman-group15-sha512",
				      "diffie-hellman-group16-sha512", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
				      "ecdh-sha2-nistp521", NULL};
static const char *const bsi_ciphers[] = {"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
					  "aes256-gcm@openssh.com", NULL};
static const char *const bsi_macs[] = {"hmac-sha2-256", "hmac-sha2-512", NULL};
static const char *const bsi_keys[] = {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
				       "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
				       "ecdsa-sha2-nistp521-cert-v01@openssh.com", NULL};

static int in(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void check(const struct ssh_policy *p, enum ssh_alg_kind kind, const char *const *all, const char *const *want)
{
	for (size_t i = 0; all[i]; i++) {
		int w = in(want, all[i]);
		t_checks++;
		if (ssh_policy_ok(p, kind, all[i]) != w)
			t_fail(__FILE__, __LINE__, "%s: %s is %s the profile, its source says %s", p->name, all[i],
			       w ? "outside" : "inside", w ? "inside" : "outside");
	}
	/* the source's every name is one OpenSSH knows: none went unchecked */
	for (size_t i = 0; want[i]; i++)
		if (!in(all, want[i]))
			t_fail(__FILE__, __LINE__, "%s: %s is no OpenSSH name", p->name, want[i]);
}

int main(void)
{
	const struct ssh_policy *moz = ssh_policy_find("mozilla"), *bsi = ssh_policy_find("bsi");
	T_OK(moz && bsi && !ssh_policy_find("modern") && !ssh_policy_find(NULL));
	if (!moz || !bsi)
		return t_done();
	/* Mozilla Key Management "Acceptable": RSA 3072; BSI: RSA 3000 */
	T_EQ_INT(moz->min_rsa, 3072);
	T_EQ_INT(bsi->min_rsa, 3000);
	T_CONTAINS(moz->reference, "Mozilla OpenSSH guidelines");
	T_CONTAINS(bsi->reference, "not verified");

	check(moz, SSH_ALG_KEX, all_kex, moz_kex);
	check(moz, SSH_ALG_CIPHER, all_ciphers, moz_ciphers);
	check(moz, SSH_ALG_MAC, all_macs, moz_macs);
	check(moz, SSH_ALG_KEY, all_keys, moz_keys);
	check(bsi, SSH_ALG_KEX, all_kex, bsi_kex);
	check(bsi, SSH_ALG_CIPHER, all_ciphers, bsi_ciphers);
	check(bsi, SSH_ALG_MAC, all_macs, bsi_macs);
	check(bsi, SSH_ALG_KEY, all_keys, bsi_keys);

	/* the kex list's markers are not algorithms; elsewhere they are unknown names */
	T_OK(ssh_policy_ok(moz, SSH_ALG_KEX, "ext-info-s") && ssh_policy_ok(bsi, SSH_ALG_KEX, "kex-strict-s-v00@openssh.com"));
	T_OK(!ssh_policy_ok(moz, SSH_ALG_CIPHER, "ext-info-s"));
	/* a key list name is not a kex name and so on */
	T_OK(!ssh_policy_ok(moz, SSH_ALG_KEX, "ssh-ed25519") && !ssh_policy_ok(moz, SSH_ALG_KEY, "curve25519-sha256"));
	return t_done();
}
