/* maildns_dns.h - the validating DNS lookups of the `maildns` probe, through
 * libunbound. Every answer carries the validator's verdict (secure,
 * insecure, bogus): a record whose answer is bogus is not what validating
 * receivers see. */
#ifndef AX_MAILDNS_DNS_H
#define AX_MAILDNS_DNS_H

#include <stddef.h>

enum md_sec { MD_INSECURE, MD_SECURE, MD_BOGUS };
const char *md_sec_name(enum md_sec s);

enum { MD_TXT = 16, MD_MX = 15, MD_A = 1, MD_AAAA = 28, MD_TLSA = 52 };

struct md_resolver;

/* resolvers: "ADDR" or "ADDR@PORT" to forward every query to (the queries
 * then go nowhere else), or none for /etc/resolv.conf's. trust_anchor: a
 * zone-file of DS or DNSKEY records (the root's: /usr/share/dns/root.key). */
int md_resolver_new(const char *const *resolvers, size_t nresolvers, const char *trust_anchor,
		    struct md_resolver **out);
void md_resolver_free(struct md_resolver *r);

struct md_answer {
	enum md_sec sec;
	int nxdomain;
	char *why_bogus; /* the validator's reason, when bogus */
	/* TXT: each record's character-strings joined; MX: the host names
	 * (lowercase, no trailing dot; "" for a null MX); TLSA: "U S M HEX"
	 * (usage, selector, matching type, association data); A and AAAA:
	 * the address in text form. Bytes outside
	 * printable ASCII become '?'. */
	char **rr;
	int *pref; /* MX preferences */
	size_t n;
};

/* 0 with *out filled when the resolver answered (records or none, bogus
 * included); AX_ERROR when it could not (SERVFAIL, timeout, refused). */
int md_query(struct md_resolver *r, const char *name, int rrtype, struct md_answer *out);
void md_answer_free(struct md_answer *a);

/* The network an address is in, for MX redundancy: IPv4 /24, IPv6 /48
 * (the smallest blocks routed on their own); an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is the IPv4 address it carries. "" for text that is no
 * address. */
void md_network_of(const char *ip, char out[static 64]);

/* How many MX hosts can each be given a network (md_network_of) no other
 * counted host is given (a maximum matching): n addresses, address addr[i]
 * of host host[i] (0-based). Hosts sharing an address are one machine
 * (an IPv4-mapped address is the IPv4 one); one dual-stacked host has two
 * networks but counts once; two hosts sharing their only network count
 * once. Text that is no address is left out. */
size_t md_hosts_apart(const char *const *addr, const size_t *host, size_t n);

/* The organizational domain of name (RFC 7489 3.2: one label below its
 * public suffix, from the system's Public Suffix List, Debian's
 * publicsuffix package, through libpsl); NULL when name is itself a
 * public suffix or no list can be loaded. Caller frees. */
char *md_org_domain(const char *name);

#endif
