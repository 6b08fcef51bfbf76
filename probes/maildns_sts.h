/* maildns_sts.h - MTA-STS (RFC 8461) for the `maildns` probe: the policy
 * file fetched over HTTPS with certificate validation, and its parser.
 * The policy body is untrusted (bounded, line-by-line). */
#ifndef AX_MAILDNS_STS_H
#define AX_MAILDNS_STS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct md_sts {
	char *mode;    /* "enforce", "testing" or "none" */
	int64_t max_age;
	char **mx;     /* the mx: patterns, lowercased */
	size_t nmx;
};

/* The `_mta-sts` TXT record: "v=STSv1; id=..." with id 1-32 letters/digits. */
int md_sts_record_parse(const char *rec, char **id_out);
int md_sts_parse(const char *body, size_t len, struct md_sts *out);
void md_sts_free(struct md_sts *s);
/* 1 when host (lowercase, no trailing dot) matches pattern: exact, or
 * "*.rest" matching one more label in front of rest (RFC 8461 4.1). */
int md_sts_mx_match(const char *pattern, const char *host);

/* GETs https://mta-sts.DOMAIN/.well-known/mta-sts.txt: certificate and
 * name validated (against ca_file, or the system store), no redirects,
 * at most max bytes, within timeout seconds, from one of addrs (what the
 * validating resolver returned for mta-sts.DOMAIN: the system resolver is
 * never asked). connect_to: "HOST:PORT" to connect to instead (tests,
 * split horizon; addrs unused), ":PORT" for another port at addrs, or
 * NULL. */
int md_sts_fetch(const char *domain, const char *const *addrs, size_t naddrs, const char *ca_file, const char *connect_to,
		 long timeout, size_t max, struct ax_buf *body);

#endif
