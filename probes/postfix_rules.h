/* postfix_rules.h - pure evaluations of Postfix settings, kept apart from
 * the probe so they can be unit-tested and fuzzed on their own.
 *
 * Nothing here touches files or the network. */
#ifndef AX_POSTFIX_RULES_H
#define AX_POSTFIX_RULES_H

#include <stddef.h>

#include "buf.h"

enum {
	PF_PROTO_SSLV2 = 1 << 0,
	PF_PROTO_SSLV3 = 1 << 1,
	PF_PROTO_TLSV1 = 1 << 2,
	PF_PROTO_TLSV1_1 = 1 << 3,
	PF_PROTO_TLSV1_2 = 1 << 4,
	PF_PROTO_TLSV1_3 = 1 << 5,
	PF_PROTO_ALL = 0x3f,
	PF_PROTO_WEAK = PF_PROTO_SSLV2 | PF_PROTO_SSLV3 | PF_PROTO_TLSV1 | PF_PROTO_TLSV1_1,
};

/* The protocols a *_tls_protocols value allows: "!SSLv2, !SSLv3",
 * ">=TLSv1.2", "<=TLSv1.2", "TLSv1.2 TLSv1.3" (inclusions). Returns a
 * PF_PROTO_* mask, or AX_EINVALID for an unknown protocol name. */
int pf_protocols_parse(const char *value, unsigned *allowed);
/* "SSLv3, TLSv1" for a mask (into out, cleared first). */
void pf_protocols_format(unsigned mask, struct ax_buf *out);

/* Whether a restriction list stops relaying to foreign destinations for
 * clients that are not otherwise permitted: 1 safe (ends in / reaches
 * reject_unauth_destination, defer_unauth_destination, reject or defer
 * before any bare permit), 0 open (a bare permit or the end of the list
 * comes first). *why gets the deciding word. */
int pf_relay_list_safe(const char *list, struct ax_buf *why);

/* Whether every entry of a mynetworks value lies inside one of the
 * networks of allowed (both Postfix notation: 10.0.0.0/8, 192.0.2.1,
 * [2001:db8::]/32, [::1]/128). Returns 1 inside, 0 wider (*why names the
 * entry), AX_EINVALID when an entry cannot be evaluated (a lookup table,
 * a file, garbage; *why names it). */
int pf_networks_within(const char *mynetworks, const char *allowed, struct ax_buf *why);

#endif
