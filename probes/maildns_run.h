/* maildns_run.h - the state of one `maildns` run, shared by maildns.c (the
 * records) and maildns_mx.c (what each MX host presents over STARTTLS).
 * Private to the probe. */
#ifndef AX_MAILDNS_RUN_H
#define AX_MAILDNS_RUN_H

#include <jansson.h>

#include "buf.h"
#include "maildns_dns.h"
#include "probe.h"

struct md_mx_session; /* maildns_mx.c: one STARTTLS handshake, made once */

struct md_run {
	struct ax_probe_ctx *ctx;
	struct md_resolver *res;
	const char *domain;
	json_t *names;   /* name/type -> DNSSEC state, for maildns.dnssec */
	json_t *records; /* the artifact */
	char **mx;       /* the MX hosts, for MTA-STS, DANE and MX TLS */
	char **mx_addr;  /* each host's first address from the validating resolver, or NULL */
	enum md_sec *mx_addr_sec; /* each host's A and AAAA answers: MD_SECURE only when both validated */
	size_t nmx;
	enum md_sec mx_sec;
	struct md_mx_session **sessions; /* per MX host, made on first use */
	int mta_sts_enforce;             /* the domain's MTA-STS policy is in enforce mode */
};

/* A check's result with its message built in msg (here, not in maildns.c:
 * both halves of the probe emit, neither calls into the other). */
static inline void md_emit(struct md_run *r, const char *check, enum ax_check_status st, json_t *obs,
			   const struct ax_buf *msg)
{
	ax_probe_result(r->ctx, check, st, obs, "%s", ax_buf_cstr(msg));
}

/* maildns.dane and maildns.mx_tls (maildns_mx.c); the sessions they
 * share are released by md_mx_release. */
void md_check_dane(struct md_run *r);
void md_check_mx_tls(struct md_run *r);
void md_mx_release(struct md_run *r);

#endif
