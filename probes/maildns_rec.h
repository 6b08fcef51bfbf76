/* maildns_rec.h - parsers of the mail-security TXT records the `maildns`
 * probe reads from DNS: SPF (RFC 7208), DMARC (RFC 7489), DKIM keys
 * (RFC 6376 3.6.1, RFC 8463) and TLS-RPT (RFC 8460). Input is one record's
 * text (the character-strings of the TXT RDATA joined), untrusted. Each
 * parser returns 0 and fills *out, or AX_EINVALID with a message naming the
 * offending term; *out is then still safe to free. */
#ifndef AX_MAILDNS_REC_H
#define AX_MAILDNS_REC_H

#include <stddef.h>

/* 1 when rec starts with the version tag (case-insensitive), followed by
 * the end, a space (SPF) or a ';' (tag lists): how a record of a kind is
 * told apart from the other TXT records at the same name. */
int md_rec_is(const char *rec, const char *version);

struct md_spf {
	char all;        /* qualifier of `all` ('+','-','~','?'), 0 without one */
	int lookups;     /* terms of this record that cost a DNS lookup (RFC 7208 4.6.4) */
	char **includes; /* include: targets without macros, for counting recursively */
	char *include_q; /* the qualifier of each ('+','-','~','?') */
	size_t nincludes;
	char *redirect;  /* redirect= target, NULL without one */
	int macros;      /* terms with a macro: their targets are not followed */
	int open;        /* a pass-qualified ip4:/0 or ip6:/0 before `all`: it
			  * authorizes every address, as +all does */
};
int md_spf_parse(const char *rec, struct md_spf *out);
void md_spf_free(struct md_spf *s);

struct md_dmarc {
	char *p, *sp;    /* policy ("none", "quarantine", "reject"); sp NULL when absent */
	int pct;         /* 0..100, 100 when absent */
	char adkim, aspf; /* 'r' or 's' ('r' when absent) */
	char *rua;       /* aggregate report URIs as written, NULL when absent */
};
int md_dmarc_parse(const char *rec, struct md_dmarc *out);
void md_dmarc_free(struct md_dmarc *d);

struct md_dkim {
	char *k;         /* key type: "rsa" or "ed25519" */
	int bits;        /* key size; 0 when revoked */
	int revoked;     /* empty p= (RFC 6376 3.6.1) */
	int testing;     /* t=y: verifiers treat failures as unsigned */
};
int md_dkim_parse(const char *rec, struct md_dkim *out);
void md_dkim_free(struct md_dkim *d);

/* A DKIM-Signature header's value (unfolded or not): its d= (lowercased)
 * and s=; caller frees both. */
int md_dkim_sig_ids(const char *value, char **d_out, char **s_out);

/* TLS-RPT: *rua_out gets the rua= value (caller frees). Every URI must be
 * mailto: or https:. */
int md_tlsrpt_parse(const char *rec, char **rua_out);

#endif
