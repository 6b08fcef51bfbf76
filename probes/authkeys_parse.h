/* authkeys_parse.h - lines of an OpenSSH authorized_keys file (sshd(8),
 * "AUTHORIZED_KEYS FILE FORMAT"): optional comma-separated options (values
 * in double quotes, \" escaped), the key type, the base64 key, a comment.
 *
 * Guarantees: the key blob is decoded and measured (type, size in bits,
 * SHA256 fingerprint as ssh-keygen -l prints it) and never kept; the
 * comment (often user@host) is dropped; of the options only their names
 * and the from= patterns are kept (a command= may hold a secret). Input is
 * untrusted: every length in the blob is checked. */
#ifndef AX_AUTHKEYS_PARSE_H
#define AX_AUTHKEYS_PARSE_H

#include <stddef.h>

struct ax_authkey {
	char type[48];        /* "ssh-ed25519", "ssh-rsa", ... as the blob names it */
	int bits;             /* 0 when unknown */
	char fingerprint[64]; /* "SHA256:..." */
	char *options;        /* option names, ','-joined ("command,no-pty"); NULL: none */
	char *from;           /* the from= patterns; NULL: none */
	int restricted;       /* has from=, command= or restrict */
	int line;
};

struct ax_authkeys {
	struct ax_authkey *keys;
	size_t n;
	size_t bad_lines;
};

/* Appends the keys of text to out. */
void ax_authkeys_parse(struct ax_authkeys *out, const char *text, size_t len);
void ax_authkeys_free(struct ax_authkeys *k);

#endif
