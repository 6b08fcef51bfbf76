/* ssh_policy.h - the ssh-access probe's algorithm profiles: which key
 * exchange methods, ciphers, MACs and host/user key algorithms sshd may
 * offer, each list as its cited document has it (ssh_policy.c names the
 * document, version and section beside every table). */
#ifndef AX_SSH_POLICY_H
#define AX_SSH_POLICY_H

enum ssh_alg_kind { SSH_ALG_CIPHER, SSH_ALG_MAC, SSH_ALG_KEX, SSH_ALG_KEY };

struct ssh_policy {
	const char *name;
	const char *reference; /* the source, as evidence states it */
	int min_rsa;
	const char *const *kex, *const *ciphers, *const *macs, *const *keys;
};

/* NULL when unknown. */
const struct ssh_policy *ssh_policy_find(const char *name);
/* 1 when alg (one name of an sshd -T list) is within the profile. A
 * certificate algorithm is judged by its key algorithm; the ext-info and
 * strict-kex markers in a kex list are not algorithms and always pass. */
int ssh_policy_ok(const struct ssh_policy *p, enum ssh_alg_kind kind, const char *alg);

#endif
