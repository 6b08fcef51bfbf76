/* maildns_mx.c - what each MX host of the domain presents to a sending
 * server: one STARTTLS handshake per host (made once, shared by the DANE and
 * the MX TLS check), the TLSA records matched against its chain (RFC 7672),
 * and whether a sender can authenticate it at all: by DANE, or by a
 * certificate that validates (system store or mx-ca-file) and names the MX
 * host (what MTA-STS senders require, RFC 8461 4.2).
 *
 * Hosts are reached at the address the validating resolver returned, never
 * through the system resolver; dane-connect-to replaces that address for
 * every host (tests, split horizon). No mail is sent. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "maildns_dane.h"
#include "maildns_run.h"
#include "mailproto.h"
#include "tls_cert.h"
#include "tls_scan.h"
#include "util.h"

enum dane_state { DANE_UNKNOWN = -3, DANE_ERROR = -2, DANE_FAIL = -1, DANE_NONE = 0, DANE_MATCH = 1 };

struct md_mx_session {
	struct tls_handshake h;
	char *peer;     /* what was connected to, for messages */
	char *no_route; /* set when no connection was attempted (no address) */
	int dane;       /* enum dane_state, set by the DANE check */
};

/* The handshake with MX host i: TLS 1.3, else TLS 1.2, chain kept. */
static struct md_mx_session *session(struct md_run *r, size_t i)
{
	if (!r->sessions)
		r->sessions = ax_calloc(r->nmx ? r->nmx : 1, sizeof(*r->sessions));
	if (r->sessions[i])
		return r->sessions[i];
	struct md_mx_session *s = ax_calloc(1, sizeof(*s));
	s->dane = DANE_UNKNOWN;
	r->sessions[i] = s;
	const char *host = r->mx[i], *via = ax_probe_opt(r->ctx, "dane-connect-to");
	char *chost = NULL, *cport = NULL;
	if (via && mp_target_split(via, &chost, &cport) < 0) {
		s->no_route = ax_asprintf("dane-connect-to: %s", ax_error_last());
		return s;
	}
	const char *addr = chost ? chost : r->mx_addr[i];
	if (!addr) {
		s->no_route = ax_asprintf("%s has no address", host);
		return s;
	}
	s->peer = via ? ax_strdup(via) : ax_asprintf(strchr(addr, ':') ? "[%s]:25" : "%s:25", addr);
	struct tls_target t = {.host = addr, .port = cport ? cport : "25", .peer = s->peer, .servername = host,
			       .starttls = MP_STARTTLS_SMTP,
			       .handshake_timeout_ms = (int)ax_probe_opt_int(r->ctx, "smtp-timeout") * 1000};
	tls_handshake_run(&t, TLS1_3_VERSION, NULL, NULL, 1, &s->h);
	if (!s->h.completed && !s->h.infra_error) {
		tls_handshake_release(&s->h);
		memset(&s->h, 0, sizeof(s->h));
		tls_handshake_run(&t, TLS1_2_VERSION, NULL, NULL, 1, &s->h);
	}
	free(chost);
	free(cport);
	return s;
}

void md_mx_release(struct md_run *r)
{
	for (size_t i = 0; r->sessions && i < r->nmx; i++) {
		if (!r->sessions[i])
			continue;
		tls_handshake_release(&r->sessions[i]->h);
		free(r->sessions[i]->peer);
		free(r->sessions[i]->no_route);
		free(r->sessions[i]);
	}
	free(r->sessions);
	r->sessions = NULL;
}

/* Why a session has no completed handshake. */
static const char *no_tls_reason(const struct md_mx_session *s)
{
	return s->no_route ? s->no_route : s->h.error ? s->h.error : "failed";
}

/* One MX host's DANE state; why says what is wrong. */
static enum dane_state dane_host(struct md_run *r, size_t i, json_t *o, struct ax_buf *why)
{
	const char *host = r->mx[i];
	struct md_answer a;
	char *name = ax_asprintf("_25._tcp.%s", host);
	enum dane_state st;
	if (md_query(r->res, name, MD_TLSA, &a) < 0) {
		ax_buf_printf(why, "%s", ax_error_last());
		free(name);
		return DANE_ERROR;
	}
	json_object_set_new(o, "tlsa_dnssec", json_string(md_sec_name(a.sec)));
	json_object_set_new(o, "tlsa_records", json_integer((json_int_t)a.n));
	if (a.sec == MD_BOGUS) {
		ax_buf_printf(why, "%s: the TLSA answer is bogus (%s): senders using DANE defer mail", host, a.why_bogus);
		st = DANE_FAIL;
	} else if (!a.n) {
		ax_buf_printf(why, "%s: no TLSA record", host);
		st = DANE_NONE;
	} else if (a.sec != MD_SECURE || r->mx_sec != MD_SECURE) {
		ax_buf_printf(why, "%s: TLSA records in an unsigned zone, ignored by senders (RFC 7672 2.2)", host);
		st = DANE_NONE;
	} else if (r->mx_addr_sec[i] != MD_SECURE) {
		ax_buf_printf(why, "%s: its address records are not signed, so senders ignore its TLSA records (RFC 7672 2.2.2)",
			      host);
		st = DANE_NONE;
	} else {
		struct md_mx_session *s = session(r, i);
		size_t usable = 0;
		if (!s->h.completed) {
			ax_buf_printf(why, "%s: no TLS handshake: %s", host, no_tls_reason(s));
			st = DANE_ERROR;
		} else if (md_dane_match(a.rr, a.n, s->h.chain, host, &usable)) {
			st = DANE_MATCH;
		} else {
			ax_buf_printf(why, usable ? "%s: no TLSA record matches the certificate it presents: senders using DANE refuse it"
						  : "%s: no usable TLSA record (only PKIX usages 0/1, RFC 7672 3.1.3)",
				      host);
			st = DANE_FAIL;
		}
		json_object_set_new(o, "usable", json_integer((json_int_t)usable));
		s->dane = st;
	}
	md_answer_free(&a);
	free(name);
	return st;
}

void md_check_dane(struct md_run *r)
{
	json_t *hosts = json_array();
	struct ax_buf why = AX_BUF_INIT;
	size_t matched = 0, failed = 0, errors = 0;
	for (size_t i = 0; i < r->nmx; i++) {
		json_t *o = json_pack("{s:s}", "host", r->mx[i]);
		struct ax_buf w = AX_BUF_INIT;
		enum dane_state st = dane_host(r, i, o, &w);
		json_object_set_new(o, "state", json_string(st == DANE_MATCH ? "match" : st == DANE_NONE ? "none"
							    : st == DANE_FAIL	 ? "fail"
										 : "error"));
		json_array_append_new(hosts, o);
		matched += st == DANE_MATCH;
		failed += st == DANE_FAIL;
		errors += st == DANE_ERROR;
		if (w.size)
			ax_buf_printf(&why, "%s%s", why.size ? "; " : "", ax_buf_cstr(&w));
		ax_buf_free(&w);
	}
	json_t *obs = json_pack("{s:o}", "hosts", hosts);
	enum ax_check_status st;
	if (failed)
		st = AX_CHECK_FAIL;
	else if (errors)
		st = AX_CHECK_ERROR;
	else if (!r->nmx)
		st = AX_CHECK_ERROR, ax_buf_printf(&why, "no MX host to check");
	else if (matched == r->nmx)
		st = AX_CHECK_PASS, ax_buf_printf(&why, "all %zu MX host(s) present a certificate their signed TLSA records match", matched);
	else if (matched) /* DANE for some MX hosts only */
		st = AX_CHECK_FAIL;
	else
		st = ax_probe_opt_bool(r->ctx, "require-dane") ? AX_CHECK_FAIL : AX_CHECK_INFO;
	md_emit(r, "maildns.dane", st, obs, &why);
	ax_buf_free(&why);
}

/* One MX host: 1 a sender can authenticate it, 0 it offers TLS that a
 * sender cannot authenticate, -1 no STARTTLS, -2 not measured. */
static int mx_tls_host(struct md_run *r, size_t i, json_t *o, struct ax_buf *why)
{
	const char *host = r->mx[i], *ca = ax_probe_opt(r->ctx, "mx-ca-file");
	struct md_mx_session *s = session(r, i);
	if (s->peer)
		json_object_set_new(o, "peer", json_string(s->peer));
	if (!s->h.completed) {
		json_object_set_new(o, "starttls", json_boolean(s->h.starttls_offered));
		if (!s->no_route && !s->h.infra_error && !s->h.timed_out) {
			ax_buf_printf(why, "%s: the TLS handshake fails: %s", host, no_tls_reason(s));
			return -1;
		}
		if (!s->no_route && s->h.infra_error && s->h.error && strstr(s->h.error, "STARTTLS")) {
			ax_buf_printf(why, "%s: %s (mail reaches it in clear text)", host, s->h.error);
			return -1;
		}
		ax_buf_printf(why, "%s: not measured: %s", host, no_tls_reason(s));
		return -2;
	}
	X509 *leaf = sk_X509_value(s->h.chain, 0);
	struct tls_cert_info ci;
	char *pkix_why = NULL;
	tls_cert_describe(leaf, ax_probe_now(r->ctx), &ci);
	int names = tls_name_matches(leaf, host);
	int pkix = tls_chain_verify(s->h.chain, ca, ax_probe_now(r->ctx), &pkix_why);
	if (pkix < 0) {
		ax_buf_printf(why, "%s: %s", host, ax_error_last());
		tls_cert_info_release(&ci);
		return -2;
	}
	json_object_set_new(o, "starttls", json_true());
	json_object_set_new(o, "version", json_string(tls_version_name(s->h.version)));
	json_object_set_new(o, "cipher", json_string(s->h.cipher));
	json_object_set_new(o, "certificate", tls_cert_info_json(&ci));
	json_object_set_new(o, "names_host", json_boolean(names));
	json_object_set_new(o, "validates", json_boolean(pkix == 1));
	if (pkix_why)
		json_object_set_new(o, "validation_error", json_string(pkix_why));
	json_object_set_new(o, "dane", json_boolean(s->dane == DANE_MATCH));
	int ok = s->dane == DANE_MATCH || (pkix == 1 && names);
	json_object_set_new(o, "authenticated", json_boolean(ok));
	if (!ok)
		ax_buf_printf(why, "%s: its certificate (%s) %s, and no signed TLSA record matches it", host, ci.subject,
			      !names && pkix != 1 ? "does not name the host and does not validate"
			      : !names		  ? "does not name the host"
						  : "does not validate");
	tls_cert_info_release(&ci);
	free(pkix_why);
	return ok;
}

void md_check_mx_tls(struct md_run *r)
{
	json_t *hosts = json_array();
	struct ax_buf why = AX_BUF_INIT;
	size_t good = 0, weak = 0, clear = 0, unmeasured = 0;
	for (size_t i = 0; i < r->nmx; i++) {
		json_t *o = json_pack("{s:s}", "host", r->mx[i]);
		struct ax_buf w = AX_BUF_INIT;
		int st = mx_tls_host(r, i, o, &w);
		json_array_append_new(hosts, o);
		good += st == 1;
		weak += st == 0;
		clear += st == -1;
		unmeasured += st == -2;
		if (w.size)
			ax_buf_printf(&why, "%s%s", why.size ? "; " : "", ax_buf_cstr(&w));
		ax_buf_free(&w);
	}
	json_t *obs = json_pack("{s:o,s:s}", "hosts", hosts, "ca", ax_probe_opt(r->ctx, "mx-ca-file") ? "mx-ca-file" : "system store");
	enum ax_check_status st;
	if (clear)
		st = AX_CHECK_FAIL;
	else if (weak)
		st = ax_probe_opt_bool(r->ctx, "require-mx-cert") || r->mta_sts_enforce ? AX_CHECK_FAIL : AX_CHECK_INFO;
	else if (unmeasured)
		st = AX_CHECK_ERROR;
	else if (!r->nmx)
		st = AX_CHECK_SKIP, ax_buf_printf(&why, "no MX host to connect to");
	else
		st = AX_CHECK_PASS, ax_buf_printf(&why, "all %zu MX host(s) offer STARTTLS with a certificate senders can authenticate", good);
	md_emit(r, "maildns.mx_tls", st, obs, &why);
	ax_buf_free(&why);
}
