/* maildns.c - the `maildns` probe: a mail domain's transport-security
 * records as the world sees them, through a validating resolver.
 *
 * For one domain it reads MX, SPF, DMARC, MTA-STS, TLS-RPT, TLSA and the
 * configured DKIM selectors' keys, judges each, and records the DNSSEC state of every
 * answer (secure, insecure, bogus): a bogus answer is what validating
 * receivers reject, so the record it carried counts as absent. Evidence:
 * the records as published (e-mail addresses in them pseudonymised) and
 * the validator's verdict per name. Nothing is sent but DNS queries to the
 * configured resolver, one HTTPS GET of the MTA-STS policy and one
 * STARTTLS handshake per MX host (maildns_mx.c; no mail is sent: the
 * connection ends after the handshake). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maildns_dane.h"
#include "maildns_dns.h"
#include "maildns_rec.h"
#include "maildns_run.h"
#include "maildns_sts.h"
#include "msgfiles.h"
#include "mailproto.h"
#include "probe.h"
#include "tls_scan.h"
#include "util.h"

static const struct ax_option maildns_options[] = {
	{"domain", AX_OPT_STRING, NULL, AX_OPT_REQUIRED, NULL, 0, 0, "the mail domain (the part after @)"},
	{"resolver", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0,
	 "ADDR or ADDR@PORT of a resolver to send every query to (repeatable; default: /etc/resolv.conf's)"},
	{"trust-anchor", AX_OPT_PATH, "/usr/share/dns/root.key", 0, NULL, 0, 0,
	 "DS or DNSKEY records the validation starts from (default: the root's, from dns-root-data)"},
	{"require-dnssec", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "an unsigned (insecure) zone fails maildns.dnssec"},
	{"dkim-selector", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "DKIM selector whose key must be published (repeatable)"},
	{"dkim-messages", AX_OPT_PATH, NULL, AX_OPT_MULTI, NULL, 0, 0,
	 "signed messages (.eml, folder, Maildir; repeatable) whose DKIM-Signature s= selectors for the domain must have keys too"},
	{"dkim-min-rsa-bits", AX_OPT_INT, "2048", 0, NULL, 512, 16384, "smallest RSA DKIM key accepted"},
	{"dmarc-policy", AX_OPT_ENUM, "quarantine", 0, "none|quarantine|reject", 0, 0,
	 "weakest DMARC policy accepted (p=, and sp= when present)"},
	{"require-mta-sts", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "a domain without MTA-STS fails maildns.mta_sts (false: info)"},
	{"mta-sts-min-max-age", AX_OPT_DURATION, "7d", 0, NULL, 0, 31557600, "shortest MTA-STS max_age accepted"},
	{"mta-sts-ca-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "CA certificates the policy server must validate against (default: system store)"},
	{"mta-sts-connect-to", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "HOST:PORT to fetch the MTA-STS policy from instead of mta-sts.DOMAIN:443 (the certificate must still name mta-sts.DOMAIN)"},
	{"http-timeout", AX_OPT_DURATION, "15s", 0, NULL, 1, 300, "deadline of the MTA-STS policy fetch"},
	{"require-dane", AX_OPT_BOOL, "false", 0, NULL, 0, 0, "MX hosts without usable TLSA records fail maildns.dane (false: info)"},
	{"dane-connect-to", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "HOST:PORT to reach every MX host at instead of port 25 of its address (tests, split horizon)"},
	{"mx-ca-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0,
	 "CA certificates an MX host's certificate must validate against for maildns.mx_tls (default: system store)"},
	{"require-mx-cert", AX_OPT_BOOL, "true", 0, NULL, 0, 0,
	 "an MX host senders cannot authenticate (neither DANE nor a valid certificate naming it) fails maildns.mx_tls "
	 "(false: info, unless MTA-STS is in enforce mode)"},
	{"smtp-timeout", AX_OPT_DURATION, "15s", 0, NULL, 1, 300, "deadline of the connection and STARTTLS handshake to an MX host"},
	{"min-mx-hosts", AX_OPT_INT, "1", 0, NULL, 1, 16,
	 "MX hosts in distinct networks the availability requirement asks for (maildns.mx_redundancy; 1: info only)"},
	{"spf-all", AX_OPT_ENUM, "softfail", 0, "softfail|fail", 0, 0, "weakest SPF ending accepted: ~all (softfail) or -all (fail)"},
	{NULL},
};

static const struct ax_check_def maildns_checks[] = {
	{"maildns.dnssec", "every answer about the domain validates (secure); none is bogus"},
	{"maildns.mx", "the domain has MX records and every MX host has an address"},
	{"maildns.mx_redundancy", "the MX hosts sit in at least min-mx-hosts distinct networks (IPv4 /24, IPv6 /48), so mail is received when one fails"},
	{"maildns.spf", "one valid SPF record, at most 10 DNS lookups, ending in -all or ~all"},
	{"maildns.dkim", "every configured selector publishes a DKIM key of sufficient size, not revoked"},
	{"maildns.dmarc", "one valid DMARC record with the required policy, pct=100 and aggregate reports (rua)"},
	{"maildns.mta_sts", "an MTA-STS record and policy (over validated HTTPS) in enforce mode, max_age long enough, its mx patterns covering every MX host"},
	{"maildns.mx_tls", "every MX host offers STARTTLS with a certificate a sender can authenticate: DANE, or valid and naming the host"},
	{"maildns.dane", "every MX host has TLSA records in a signed zone matching the certificate it presents (RFC 7672)"},
	{"maildns.tlsrpt", "a TLS-RPT record (_smtp._tls) with a reporting address (rua)"},
	{NULL},
};


/* Evidence copy of a record: e-mail addresses (rua=, ruf=) pseudonymised. */
static json_t *safe_json(struct md_run *r, const char *s)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_probe_safe_text(r->ctx, s, strlen(s), 2048, &b);
	json_t *j = json_string(ax_buf_cstr(&b));
	ax_buf_free(&b);
	return j;
}

/* A lookup of the domain's own records: its state counts for
 * maildns.dnssec and its records go to the artifact. */
static int lookup(struct md_run *r, const char *name, int type, struct md_answer *a, struct ax_buf *why)
{
	char key[320];
	snprintf(key, sizeof(key), "%s/%s", name, type == MD_MX ? "MX" : type == MD_TXT ? "TXT" : "A");
	if (md_query(r->res, name, type, a) < 0) {
		ax_buf_printf(why, "%s", ax_error_last());
		json_object_set_new(r->names, key, json_string("error"));
		return -1;
	}
	json_object_set_new(r->names, key, json_string(md_sec_name(a->sec)));
	json_t *rr = json_array();
	for (size_t i = 0; i < a->n; i++)
		json_array_append_new(rr, type == MD_MX ? json_pack("{s:i,s:s}", "pref", a->pref[i], "host", a->rr[i])
							: safe_json(r, a->rr[i]));
	json_object_set_new(r->records, key, json_pack("{s:s,s:o}", "dnssec", md_sec_name(a->sec), "records", rr));
	if (a->sec == MD_BOGUS) {
		ax_buf_printf(why, "the answer for %s is bogus (DNSSEC validation failed: %s): validating receivers see no record",
			      name, a->why_bogus);
		return -1;
	}
	return 0;
}

/* The records at name whose text starts with version; *rec gets the only
 * one. Returns the count. */
static size_t pick(const struct md_answer *a, const char *version, const char **rec)
{
	size_t n = 0;
	*rec = NULL;
	for (size_t i = 0; i < a->n; i++)
		if (md_rec_is(a->rr[i], version)) {
			*rec = a->rr[i];
			n++;
		}
	return n;
}

/* An error of the lookup (the resolver failed) or a bogus answer (fail). */
static void emit_lookup_failure(struct md_run *r, const char *check, const struct md_answer *a, const struct ax_buf *why)
{
	ax_probe_result(r->ctx, check, a->sec == MD_BOGUS ? AX_CHECK_FAIL : AX_CHECK_ERROR,
			       json_pack("{s:s}", "dnssec", md_sec_name(a->sec)), "%s", ax_buf_cstr(why));
}

/* Redundancy of the inbound mail path (A.8.14): senders try the next MX
 * when one fails, which helps only if the hosts do not share an address
 * or a network. How much is enough is the availability requirement's
 * (min-mx-hosts); left at 1, the count is reported as info. */
static void check_mx_redundancy(struct md_run *r, size_t nhosts, json_t *addrs, json_t *nets, size_t apart)
{
	int64_t want = ax_probe_opt_int(r->ctx, "min-mx-hosts");
	size_t nnets = json_object_size(nets);
	json_t *list = json_array();
	const char *key;
	json_t *v;
	json_object_foreach(nets, key, v)
		json_array_append_new(list, json_string(key));
	json_t *obs = json_pack("{s:I,s:I,s:o,s:I,s:I}", "hosts", (json_int_t)nhosts, "addresses",
				(json_int_t)json_object_size(addrs), "networks", list, "hosts_in_distinct_networks",
				(json_int_t)apart, "min_mx_hosts", (json_int_t)want);
	if (!nhosts)
		ax_probe_result(r->ctx, "maildns.mx_redundancy", AX_CHECK_SKIP, obs, "no MX host receives mail for %s",
				r->domain);
	else if (want <= 1)
		ax_probe_result(r->ctx, "maildns.mx_redundancy", AX_CHECK_INFO, obs,
				"%zu MX host(s) on %zu address(es) in %zu network(s); set min-mx-hosts to what the "
				"availability requirement asks", nhosts, json_object_size(addrs), nnets);
	else if ((int64_t)apart < want) /* hosts, not networks: a dual-stacked host is one host */
		ax_probe_result(r->ctx, "maildns.mx_redundancy", AX_CHECK_FAIL, obs,
				"the MX hosts sit in %zu distinct network(s), %lld required: one failure stops inbound mail",
				apart, (long long)want);
	else
		ax_probe_result(r->ctx, "maildns.mx_redundancy", AX_CHECK_PASS, obs,
				"%zu MX host(s) in %zu distinct networks (%lld required)", nhosts, apart, (long long)want);
}

/* MX hosts in the order senders try them (preference, then name), so the
 * evidence and messages do not depend on the order the answer came in. */
static void sort_mx(struct md_answer *a)
{
	for (size_t i = 1; i < a->n; i++)
		for (size_t j = i; j > 0 && (a->pref[j] < a->pref[j - 1] ||
					      (a->pref[j] == a->pref[j - 1] && strcmp(a->rr[j], a->rr[j - 1]) < 0));
		     j--) {
			char *t = a->rr[j];
			int p = a->pref[j];
			a->rr[j] = a->rr[j - 1], a->pref[j] = a->pref[j - 1];
			a->rr[j - 1] = t, a->pref[j - 1] = p;
		}
}

static void check_mx(struct md_run *r)
{
	struct md_answer a;
	struct ax_buf why = AX_BUF_INIT;
	if (lookup(r, r->domain, MD_MX, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.mx", &a, &why);
		goto cleanup;
	}
	sort_mx(&a);
	json_t *hosts = json_array(), *addrs_seen = json_object(), *nets = json_object();
	char **addr_ip = NULL; /* each address and its MX host, for md_hosts_apart */
	size_t *addr_host = NULL, naddr = 0;
	size_t missing = 0;
	r->mx_sec = a.sec;
	int null_mx = a.n == 1 && a.rr[0][0] == '\0';
	for (size_t i = 0; i < a.n && !null_mx; i++) {
		struct md_answer v4, v6;
		size_t addrs = 0;
		const char *first = NULL;
		int v4ok = md_query(r->res, a.rr[i], MD_A, &v4) == 0;
		int v6ok = md_query(r->res, a.rr[i], MD_AAAA, &v6) == 0;
		if (v4ok && (addrs += v4.n))
			first = v4.rr[0];
		if (v6ok && (addrs += v6.n) && !first)
			first = v6.rr[0];
		r->mx = ax_realloc(r->mx, (r->nmx + 1) * sizeof(char *));
		r->mx_addr = ax_realloc(r->mx_addr, (r->nmx + 1) * sizeof(char *));
		r->mx_addr[r->nmx] = first ? ax_strdup(first) : NULL;
		/* RFC 7672 2.2.2: a sender uses an MX host's TLSA records only when
		 * its address records are secure too (a CNAME into an unsigned zone
		 * is not) */
		r->mx_addr_sec = ax_realloc(r->mx_addr_sec, (r->nmx + 1) * sizeof(*r->mx_addr_sec));
		r->mx_addr_sec[r->nmx] = v4ok && v6ok && v4.sec == MD_SECURE && v6.sec == MD_SECURE ? MD_SECURE : MD_INSECURE;
		r->mx[r->nmx++] = ax_strdup(a.rr[i]);
		for (size_t k = 0; k < v4.n + v6.n; k++) {
			const char *ip = k < v4.n ? v4.rr[k] : v6.rr[k - v4.n];
			char net[64];
			md_network_of(ip, net);
			json_object_set_new(addrs_seen, ip, json_true());
			if (net[0]) {
				json_object_set_new(nets, net, json_true());
				addr_ip = ax_realloc(addr_ip, (naddr + 1) * sizeof(char *));
				addr_host = ax_realloc(addr_host, (naddr + 1) * sizeof(size_t));
				addr_ip[naddr] = ax_strdup(ip);
				addr_host[naddr++] = i;
			}
		}
		md_answer_free(&v4);
		md_answer_free(&v6);
		json_array_append_new(hosts, json_pack("{s:s,s:i,s:I}", "host", a.rr[i], "pref", a.pref[i], "addresses", (json_int_t)addrs));
		if (!addrs)
			ax_buf_printf(&why, "%s%s", missing++ ? ", " : "", a.rr[i]);
	}
	json_t *obs = json_pack("{s:s,s:o}", "dnssec", md_sec_name(a.sec), "hosts", hosts);
	if (null_mx)
		ax_probe_result(r->ctx, "maildns.mx", AX_CHECK_INFO, obs, "%s publishes a null MX (RFC 7505): it receives no mail", r->domain);
	else if (!a.n)
		ax_probe_result(r->ctx, "maildns.mx", AX_CHECK_FAIL, obs, "%s has no MX record", r->domain);
	else if (missing)
		ax_probe_result(r->ctx, "maildns.mx", AX_CHECK_FAIL, obs, "MX host(s) without an address: %s", ax_buf_cstr(&why));
	else
		ax_probe_result(r->ctx, "maildns.mx", AX_CHECK_PASS, obs, "%zu MX host(s), each with an address", a.n);
	check_mx_redundancy(r, null_mx ? 0 : a.n, addrs_seen, nets,
			    md_hosts_apart((const char *const *)addr_ip, addr_host, naddr));
	json_decref(addrs_seen);
	json_decref(nets);
	for (size_t k = 0; k < naddr; k++)
		free(addr_ip[k]);
	free(addr_ip);
	free(addr_host);
cleanup:
	md_answer_free(&a);
	ax_buf_free(&why);
}

/* RFC 7208 4.6.4: the lookups of the whole evaluation, includes and
 * redirects followed (depth-bounded), at most 10. Returns the count seen
 * (stops once past 10), or -1 with why set when an include is broken. */
static int spf_lookups(struct md_run *r, const struct md_spf *s, int depth, struct ax_buf *why)
{
	int total = s->lookups;
	for (size_t i = 0; i <= s->nincludes && total <= 10; i++) {
		const char *target = i < s->nincludes ? s->includes[i] : s->redirect;
		if (!target)
			continue;
		if (depth >= 10) {
			ax_buf_printf(why, "includes nest deeper than 10 at %s", target);
			return -1;
		}
		struct md_answer a;
		struct md_spf sub;
		const char *rec;
		if (md_query(r->res, target, MD_TXT, &a) < 0) {
			ax_buf_printf(why, "%s", ax_error_last());
			return -1;
		}
		int n = (int)pick(&a, "v=spf1", &rec);
		if (n != 1 || md_spf_parse(rec, &sub) < 0) {
			ax_buf_printf(why, "%s%s has %s", i < s->nincludes ? "include:" : "redirect=", target,
				      n == 0 ? "no SPF record" : n > 1 ? "several SPF records" : ax_error_last());
			md_answer_free(&a);
			return -1;
		}
		md_answer_free(&a);
		int sublookups = spf_lookups(r, &sub, depth + 1, why);
		md_spf_free(&sub);
		if (sublookups < 0)
			return -1;
		total += sublookups;
	}
	return total;
}

/* The one valid SPF record at target in *sub (0), else -1 (*sub empty). */
static int spf_at(struct md_run *r, const char *target, struct md_spf *sub)
{
	struct md_answer a;
	const char *rec;
	memset(sub, 0, sizeof(*sub));
	int ok = md_query(r->res, target, MD_TXT, &a) == 0 && pick(&a, "v=spf1", &rec) == 1 && md_spf_parse(rec, sub) == 0;
	md_answer_free(&a);
	return ok ? 0 : -1;
}

/* The `all` the evaluation ends in: this record's, or its redirect's. */
static char spf_final_all(struct md_run *r, const struct md_spf *s, int depth)
{
	if (s->all || !s->redirect || depth >= 10)
		return s->all;
	struct md_spf sub;
	char all = 0;
	if (spf_at(r, s->redirect, &sub) == 0)
		all = spf_final_all(r, &sub, depth + 1);
	md_spf_free(&sub);
	return all;
}

/* Whether the evaluation authorizes every address: a pass-qualified
 * ip4:/0 or ip6:/0 before `all`, a `+all` reached (through redirect=), or
 * a pass-qualified include: whose target's evaluation does (RFC 7208 5.2:
 * the include matches when its target passes). Called only once the
 * lookups are known to be at most 10, which bounds the queries. */
static int spf_open(struct md_run *r, const struct md_spf *s, int depth)
{
	if (s->open || spf_final_all(r, s, depth) == '+')
		return 1;
	int open = 0;
	for (size_t i = 0; i <= s->nincludes && !open && depth < 10; i++) {
		const char *target = i < s->nincludes ? s->includes[i] : s->redirect;
		if (!target || (i < s->nincludes && s->include_q[i] != '+'))
			continue;
		struct md_spf sub;
		if (spf_at(r, target, &sub) == 0)
			open = spf_open(r, &sub, depth + 1);
		md_spf_free(&sub);
	}
	return open;
}

static void check_spf(struct md_run *r)
{
	struct md_answer a;
	struct md_spf s;
	struct ax_buf why = AX_BUF_INIT;
	const char *rec;
	enum ax_check_status st = AX_CHECK_FAIL;
	memset(&s, 0, sizeof(s));
	if (lookup(r, r->domain, MD_TXT, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.spf", &a, &why);
		goto cleanup;
	}
	size_t n = pick(&a, "v=spf1", &rec);
	json_t *obs = json_pack("{s:s,s:I}", "dnssec", md_sec_name(a.sec), "records", (json_int_t)n);
	if (n == 0) {
		ax_buf_printf(&why, "%s publishes no SPF record", r->domain);
	} else if (n > 1) {
		ax_buf_printf(&why, "%s publishes %zu SPF records (receivers permerror)", r->domain, n);
	} else if (md_spf_parse(rec, &s) < 0) {
		ax_buf_printf(&why, "the SPF record is invalid (receivers permerror): %s", ax_error_last());
	} else {
		int lookups = spf_lookups(r, &s, 0, &why);
		char all = spf_final_all(r, &s, 0);
		int need_fail = strcmp(ax_probe_opt(r->ctx, "spf-all"), "fail") == 0;
		char q[3] = {all ? all : '0', '\0'};
		json_object_set_new(obs, "lookups", json_integer(lookups));
		json_object_set_new(obs, "all", json_string(all ? q : "none"));
		json_object_set_new(obs, "unexpanded_macros", json_integer(s.macros));
		if (lookups < 0)
			; /* why says which include */
		else if (lookups > 10)
			ax_buf_printf(&why, "the SPF evaluation needs more than 10 DNS lookups (receivers permerror)");
		else if (all != '+' && spf_open(r, &s, 0))
			ax_buf_printf(&why, "the SPF evaluation passes every address (ip4:/0 or ip6:/0 before `all`, or "
					    "an include: whose target does): anyone may send in the domain's name, as with +all");
		else if (all == '-' || (all == '~' && !need_fail)) {
			st = AX_CHECK_PASS;
			ax_buf_printf(&why, "one valid SPF record, %d DNS lookup(s), ending in %call", lookups, all);
		} else if (all == '+')
			ax_buf_printf(&why, "the SPF record ends in +all: anyone may send in the domain's name");
		else if (all)
			ax_buf_printf(&why, "the SPF record ends in %call, not %s", all, need_fail ? "-all" : "-all or ~all");
		else
			ax_buf_printf(&why, "the SPF record has no `all` (unlisted senders are neutral)");
	}
	md_emit(r, "maildns.spf", st, obs, &why);
cleanup:
	md_spf_free(&s);
	md_answer_free(&a);
	ax_buf_free(&why);
}

static int policy_rank(const char *p)
{
	return strcmp(p, "reject") == 0 ? 2 : strcmp(p, "quarantine") == 0 ? 1 : 0;
}

static void check_dmarc(struct md_run *r)
{
	struct md_answer a;
	struct md_dmarc d;
	struct ax_buf why = AX_BUF_INIT;
	const char *rec;
	enum ax_check_status st = AX_CHECK_FAIL;
	char *name = ax_asprintf("_dmarc.%s", r->domain);
	const char *want = ax_probe_opt(r->ctx, "dmarc-policy");
	char *org = md_org_domain(r->domain);
	memset(&d, 0, sizeof(d));
	if (lookup(r, name, MD_TXT, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.dmarc", &a, &why);
		goto cleanup;
	}
	size_t n = pick(&a, "v=DMARC1", &rec);
	int inherited = 0;
	if (n == 0 && org && strcasecmp(org, r->domain) != 0) {
		/* RFC 7489 6.6.3: receivers then apply the organizational
		 * domain's record, its sp= (else p=) */
		char *oname = ax_asprintf("_dmarc.%s", org);
		md_answer_free(&a);
		if (lookup(r, oname, MD_TXT, &a, &why) < 0) {
			emit_lookup_failure(r, "maildns.dmarc", &a, &why);
			free(oname);
			goto cleanup;
		}
		if ((n = pick(&a, "v=DMARC1", &rec)) > 0) {
			free(name);
			name = oname, inherited = 1;
		} else {
			free(oname);
		}
	}
	json_t *obs = json_pack("{s:s,s:I,s:s,s:s}", "dnssec", md_sec_name(a.sec), "records", (json_int_t)n, "required_policy",
				want, "record_at", name);
	if (inherited)
		json_object_set_new(obs, "organizational_domain", json_string(org));
	if (n == 0) {
		ax_buf_printf(&why, "%s publishes no DMARC record", name);
	} else if (n > 1) {
		ax_buf_printf(&why, "%s holds %zu DMARC records (receivers ignore them all)", name, n);
	} else if (md_dmarc_parse(rec, &d) < 0) {
		ax_buf_printf(&why, "the DMARC record is invalid: %s", ax_error_last());
	} else {
		char al[2][2] = {{d.adkim, 0}, {d.aspf, 0}};
		json_object_set_new(obs, "p", json_string(d.p));
		json_object_set_new(obs, "sp", d.sp ? json_string(d.sp) : json_null());
		json_object_set_new(obs, "pct", json_integer(d.pct));
		json_object_set_new(obs, "adkim", json_string(al[0]));
		json_object_set_new(obs, "aspf", json_string(al[1]));
		json_object_set_new(obs, "rua", d.rua ? safe_json(r, d.rua) : json_null());
		if (inherited)
			ax_buf_printf(&why, "%s has no DMARC record of its own; the organizational domain's applies (%s): ",
				      r->domain, name);
		if (inherited && policy_rank(d.sp ? d.sp : d.p) < policy_rank(want))
			ax_buf_printf(&why, "its policy for subdomains %s=%s is weaker than %s", d.sp ? "sp" : "p",
				      d.sp ? d.sp : d.p, want);
		else if (policy_rank(d.p) < policy_rank(want))
			ax_buf_printf(&why, "DMARC policy p=%s is weaker than %s", d.p, want);
		else if (d.sp && policy_rank(d.sp) < policy_rank(want))
			ax_buf_printf(&why, "DMARC subdomain policy sp=%s is weaker than %s", d.sp, want);
		else if (d.pct < 100)
			ax_buf_printf(&why, "DMARC pct=%d: the policy applies to only part of the failing mail", d.pct);
		else if (!d.rua)
			ax_buf_printf(&why, "the DMARC record asks for no aggregate reports (no rua=)");
		else {
			st = AX_CHECK_PASS;
			ax_buf_printf(&why, "DMARC %s=%s, pct=100, alignment dkim=%s spf=%s, aggregate reports requested",
				      inherited && d.sp ? "sp" : "p", inherited && d.sp ? d.sp : d.p,
				      d.adkim == 's' ? "strict" : "relaxed", d.aspf == 's' ? "strict" : "relaxed");
		}
	}
	md_emit(r, "maildns.dmarc", st, obs, &why);
cleanup:
	md_dmarc_free(&d);
	md_answer_free(&a);
	ax_buf_free(&why);
	free(name);
	free(org);
}

static void check_tlsrpt(struct md_run *r)
{
	struct md_answer a;
	struct ax_buf why = AX_BUF_INIT;
	const char *rec;
	char *rua = NULL, *name = ax_asprintf("_smtp._tls.%s", r->domain);
	if (lookup(r, name, MD_TXT, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.tlsrpt", &a, &why);
		goto cleanup;
	}
	size_t n = pick(&a, "v=TLSRPTv1", &rec);
	json_t *obs = json_pack("{s:s,s:I}", "dnssec", md_sec_name(a.sec), "records", (json_int_t)n);
	enum ax_check_status st = AX_CHECK_FAIL;
	if (n == 0)
		ax_buf_printf(&why, "%s publishes no TLS-RPT record", name);
	else if (n > 1)
		ax_buf_printf(&why, "%s holds %zu TLS-RPT records (senders ignore them all)", name, n);
	else if (md_tlsrpt_parse(rec, &rua) < 0)
		ax_buf_printf(&why, "the TLS-RPT record is invalid: %s", ax_error_last());
	else {
		json_object_set_new(obs, "rua", safe_json(r, rua));
		st = AX_CHECK_PASS;
		ax_buf_printf(&why, "TLS-RPT reports are requested");
	}
	md_emit(r, "maildns.tlsrpt", st, obs, &why);
cleanup:
	md_answer_free(&a);
	ax_buf_free(&why);
	free(rua);
	free(name);
}

/* The s= of every DKIM-Signature for the domain in the header blocks of
 * the dkim-messages files, added to sels (selector -> source). */
static void selectors_in_mail(struct md_run *r, json_t *sels, size_t *nmessages, struct ax_buf *unreadable, size_t *nunreadable)
{
	enum { MAX_FILES = 1000 };
	char **files = ax_calloc(MAX_FILES + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < ax_probe_opt_count(r->ctx, "dkim-messages"); i++)
		if (ax_msgfiles_collect(ax_probe_opt_at(r->ctx, "dkim-messages", i), MAX_FILES, files, &n) < 0 &&
		    (*nunreadable)++ == 0)
			ax_buf_puts(unreadable, ax_error_last());
	*nmessages = n;
	for (size_t f = 0; f < n; f++) {
		struct ax_buf data = AX_BUF_INIT, field = AX_BUF_INIT;
		if (ax_file_read_head(files[f], 1 << 20, &data) < 0) {
			if ((*nunreadable)++ == 0)
				ax_buf_puts(unreadable, ax_error_last());
		} else {
			/* header fields, unfolded, up to the first empty line */
			const char *p = ax_buf_cstr(&data), *end = p + data.size;
			while (p < end) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
				int blank = len == 0 || (len == 1 && p[0] == '\r');
				int cont = !blank && (p[0] == ' ' || p[0] == '\t');
				if (!cont && field.size) {
					const char *v = ax_buf_cstr(&field);
					if (strncasecmp(v, "DKIM-Signature:", 15) == 0) {
						char *d = NULL, *s = NULL;
						if (md_dkim_sig_ids(v + 15, &d, &s) == 0 && strcasecmp(d, r->domain) == 0 &&
						    !json_object_get(sels, s))
							json_object_set_new(sels, s, json_string("mail"));
						free(d);
						free(s);
					}
					ax_buf_clear(&field);
				}
				if (blank)
					break;
				ax_buf_put(&field, p, len && p[len - 1] == '\r' ? len - 1 : len);
				p += len + 1;
			}
		}
		ax_buf_free(&data);
		ax_buf_free(&field);
		free(files[f]);
	}
	free(files);
}

static void check_dkim(struct md_run *r)
{
	json_t *wanted = json_object(); /* selector -> "configured" or "mail" */
	size_t nmessages = 0;
	int min_bits = (int)ax_probe_opt_int(r->ctx, "dkim-min-rsa-bits");
	for (size_t i = 0; i < ax_probe_opt_count(r->ctx, "dkim-selector"); i++)
		json_object_set_new(wanted, ax_probe_opt_at(r->ctx, "dkim-selector", i), json_string("configured"));
	struct ax_buf unreadable = AX_BUF_INIT;
	size_t nunreadable = 0;
	selectors_in_mail(r, wanted, &nmessages, &unreadable, &nunreadable);
	size_t nsel = json_object_size(wanted);
	if (nunreadable) {
		/* the selectors in the unread mail are unknown: no verdict */
		json_decref(wanted);
		ax_probe_result(r->ctx, "maildns.dkim", AX_CHECK_ERROR,
				json_pack("{s:I,s:I}", "messages", (json_int_t)nmessages, "unreadable", (json_int_t)nunreadable),
				"dkim-messages: %zu path(s) or file(s) cannot be read: %s", nunreadable, ax_buf_cstr(&unreadable));
		ax_buf_free(&unreadable);
		return;
	}
	if (!nsel) {
		json_decref(wanted);
		ax_probe_result(r->ctx, "maildns.dkim", AX_CHECK_SKIP, json_pack("{s:I}", "messages", (json_int_t)nmessages),
				       "no dkim-selector configured and none seen in dkim-messages");
		return;
	}
	json_t *sels = json_array();
	struct ax_buf bad = AX_BUF_INIT;
	size_t nbad = 0, nerr = 0;
	const char *sel;
	json_t *source;
	json_object_foreach(wanted, sel, source) {
		char *name = ax_asprintf("%s._domainkey.%s", sel, r->domain);
		struct md_answer a;
		struct md_dkim k;
		struct ax_buf why = AX_BUF_INIT;
		memset(&k, 0, sizeof(k));
		json_t *o = json_pack("{s:s,s:O}", "selector", sel, "source", source);
		if (lookup(r, name, MD_TXT, &a, &why) < 0) {
			nerr += a.sec != MD_BOGUS;
		} else if (a.n != 1) {
			ax_buf_printf(&why, "%s: %s", sel, a.n ? "several TXT records" : "no key published");
		} else if (md_dkim_parse(a.rr[0], &k) < 0) {
			ax_buf_printf(&why, "%s: %s", sel, ax_error_last());
		} else {
			json_object_set_new(o, "key_type", json_string(k.k));
			json_object_set_new(o, "bits", json_integer(k.bits));
			json_object_set_new(o, "testing", json_boolean(k.testing));
			if (k.revoked)
				ax_buf_printf(&why, "%s: key revoked (empty p=)", sel);
			else if (strcmp(k.k, "rsa") == 0 && k.bits < min_bits)
				ax_buf_printf(&why, "%s: RSA key of %d bits (minimum %d)", sel, k.bits, min_bits);
		}
		json_object_set_new(o, "dnssec", json_string(md_sec_name(a.sec)));
		json_object_set_new(o, "ok", json_boolean(!why.size));
		json_array_append_new(sels, o);
		if (why.size && strcmp(json_string_value(source), "mail") == 0)
			ax_buf_puts(&why, " (selector seen in signed mail)");
		if (why.size) {
			ax_buf_printf(&bad, "%s%s", nbad++ ? "; " : "", ax_buf_cstr(&why));
		}
		md_dkim_free(&k);
		md_answer_free(&a);
		ax_buf_free(&why);
		free(name);
	}
	json_t *obs = json_pack("{s:o,s:i,s:I}", "selectors", sels, "min_rsa_bits", min_bits, "messages", (json_int_t)nmessages);
	json_decref(wanted);
	if (nerr)
		ax_probe_result(r->ctx, "maildns.dkim", AX_CHECK_ERROR, obs, "%s", ax_buf_cstr(&bad));
	else if (nbad)
		ax_probe_result(r->ctx, "maildns.dkim", AX_CHECK_FAIL, obs, "%s", ax_buf_cstr(&bad));
	else
		ax_probe_result(r->ctx, "maildns.dkim", AX_CHECK_PASS, obs, "%zu selector(s) publish a sufficient key", nsel);
	ax_buf_free(&bad);
}

/* The addresses of mta-sts.DOMAIN from the validating resolver (A, then
 * AAAA, joined in *out); -1 with why set when an answer is bogus or the
 * lookup fails. Not needed when mta-sts-connect-to names a host. */
static int policy_host_addresses(struct md_run *r, struct md_answer *out, struct ax_buf *why)
{
	const char *to = ax_probe_opt(r->ctx, "mta-sts-connect-to");
	char *host = ax_asprintf("mta-sts.%s", r->domain);
	struct md_answer v6;
	int rc = 0;
	memset(&v6, 0, sizeof(v6));
	if (to && to[0] != ':')
		goto cleanup;
	struct ax_buf w = AX_BUF_INIT;
	if (lookup(r, host, MD_A, out, &w) < 0 || lookup(r, host, MD_AAAA, &v6, &w) < 0) {
		ax_buf_printf(why, "the MTA-STS policy host: %s", ax_buf_cstr(&w));
		ax_buf_free(&w);
		rc = -1;
		goto cleanup;
	}
	for (size_t i = 0; i < v6.n; i++) {
		out->rr = ax_realloc(out->rr, (out->n + 1) * sizeof(char *));
		out->rr[out->n++] = v6.rr[i];
		v6.rr[i] = NULL;
	}
cleanup:
	md_answer_free(&v6);
	free(host);
	return rc;
}

static void check_mta_sts(struct md_run *r)
{
	struct md_answer a, addrs;
	struct md_sts pol;
	struct ax_buf why = AX_BUF_INIT, body = AX_BUF_INIT;
	char *id = NULL, *name = ax_asprintf("_mta-sts.%s", r->domain);
	const char *rec;
	enum ax_check_status st = AX_CHECK_FAIL;
	memset(&pol, 0, sizeof(pol));
	memset(&addrs, 0, sizeof(addrs));
	if (lookup(r, name, MD_TXT, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.mta_sts", &a, &why);
		goto cleanup;
	}
	size_t n = pick(&a, "v=STSv1", &rec);
	json_t *obs = json_pack("{s:s,s:I}", "dnssec", md_sec_name(a.sec), "records", (json_int_t)n);
	int64_t min_age = ax_probe_opt_int(r->ctx, "mta-sts-min-max-age");
	if (n == 0) {
		if (!ax_probe_opt_bool(r->ctx, "require-mta-sts"))
			st = AX_CHECK_INFO;
		ax_buf_printf(&why, "%s publishes no MTA-STS record", name);
	} else if (n > 1 || md_sts_record_parse(rec, &id) < 0) {
		ax_buf_printf(&why, "%s", n > 1 ? "several MTA-STS records (senders ignore them all)" : ax_error_last());
	} else if (policy_host_addresses(r, &addrs, &why) < 0) {
		json_object_set_new(obs, "id", json_string(id));
	} else if (md_sts_fetch(r->domain, (const char *const *)addrs.rr, addrs.n, ax_probe_opt(r->ctx, "mta-sts-ca-file"),
				ax_probe_opt(r->ctx, "mta-sts-connect-to"), (long)ax_probe_opt_int(r->ctx, "http-timeout"), 65536,
				&body) < 0) {
		json_object_set_new(obs, "id", json_string(id));
		ax_buf_printf(&why, "the MTA-STS policy cannot be fetched: %s", ax_error_last());
	} else if (md_sts_parse(body.ptr ? body.ptr : "", body.size, &pol) < 0) {
		json_object_set_new(obs, "id", json_string(id));
		ax_buf_printf(&why, "the MTA-STS policy is invalid: %s", ax_error_last());
	} else {
		json_t *mx = json_array(), *uncovered = json_array();
		for (size_t i = 0; i < pol.nmx; i++)
			json_array_append_new(mx, json_string(pol.mx[i]));
		for (size_t h = 0; h < r->nmx; h++) {
			int hit = 0;
			for (size_t i = 0; i < pol.nmx && !hit; i++)
				hit = md_sts_mx_match(pol.mx[i], r->mx[h]);
			if (!hit)
				json_array_append_new(uncovered, json_string(r->mx[h]));
		}
		json_object_set_new(obs, "id", json_string(id));
		json_object_set_new(obs, "mode", json_string(pol.mode));
		json_object_set_new(obs, "max_age", json_integer(pol.max_age));
		json_object_set_new(obs, "mx", mx);
		json_object_set_new(obs, "uncovered_mx", uncovered);
		r->mta_sts_enforce = strcmp(pol.mode, "enforce") == 0;
		if (strcmp(pol.mode, "enforce") != 0)
			ax_buf_printf(&why, "MTA-STS mode is %s, not enforce: senders still deliver without TLS", pol.mode);
		else if (pol.max_age < min_age)
			ax_buf_printf(&why, "MTA-STS max_age %lld s is shorter than %lld s", (long long)pol.max_age, (long long)min_age);
		else if (json_array_size(uncovered))
			ax_buf_printf(&why, "MX host(s) not covered by the MTA-STS policy: %s (senders refuse them)",
				      json_string_value(json_array_get(uncovered, 0)));
		else if (!r->nmx)
			ax_buf_printf(&why, "no MX host to check the MTA-STS policy against");
		else {
			st = AX_CHECK_PASS;
			ax_buf_printf(&why, "MTA-STS enforce, max_age %lld s, covering all %zu MX host(s)", (long long)pol.max_age, r->nmx);
		}
	}
	md_emit(r, "maildns.mta_sts", st, obs, &why);
cleanup:
	md_sts_free(&pol);
	md_answer_free(&a);
	md_answer_free(&addrs);
	ax_buf_free(&why);
	ax_buf_free(&body);
	free(id);
	free(name);
}

static void check_dnssec(struct md_run *r)
{
	struct ax_buf bogus = AX_BUF_INIT, insecure = AX_BUF_INIT;
	const char *key;
	json_t *v;
	size_t nsecure = 0, nerror = 0;
	json_object_foreach(r->names, key, v) {
		const char *s = json_string_value(v);
		if (strcmp(s, "bogus") == 0)
			ax_buf_printf(&bogus, "%s%s", bogus.size ? ", " : "", key);
		else if (strcmp(s, "insecure") == 0)
			ax_buf_printf(&insecure, "%s%s", insecure.size ? ", " : "", key);
		else if (strcmp(s, "secure") == 0)
			nsecure++;
		else
			nerror++;
	}
	json_t *obs = json_pack("{s:O}", "answers", r->names);
	if (bogus.size)
		ax_probe_result(r->ctx, "maildns.dnssec", AX_CHECK_FAIL, obs, "DNSSEC validation fails (bogus) for %s",
				      ax_buf_cstr(&bogus));
	else if (insecure.size)
		ax_probe_result(r->ctx, "maildns.dnssec",
				      ax_probe_opt_bool(r->ctx, "require-dnssec") ? AX_CHECK_FAIL : AX_CHECK_INFO, obs,
				      "not signed (insecure): %s", ax_buf_cstr(&insecure));
	else if (nerror || !nsecure)
		ax_probe_result(r->ctx, "maildns.dnssec", AX_CHECK_ERROR, obs, "%zu lookup(s) failed", nerror);
	else
		ax_probe_result(r->ctx, "maildns.dnssec", AX_CHECK_PASS, obs, "all %zu answers validate (secure)", nsecure);
	ax_buf_free(&bogus);
	ax_buf_free(&insecure);
}

static int maildns_run(struct ax_probe_ctx *ctx)
{
	struct md_run r = {.ctx = ctx, .domain = ax_probe_opt(ctx, "domain"), .names = json_object(), .records = json_object(),
			.mx_sec = MD_INSECURE};
	size_t nres = ax_probe_opt_count(ctx, "resolver");
	const char **res = ax_calloc(nres + 1, sizeof(char *));
	int err;
	for (size_t i = 0; i < nres; i++)
		res[i] = ax_probe_opt_at(ctx, "resolver", i);
	if ((err = md_resolver_new(res, nres, ax_probe_opt(ctx, "trust-anchor"), &r.res)) < 0)
		goto cleanup;
	check_mx(&r);
	check_spf(&r);
	check_dkim(&r);
	check_dmarc(&r);
	check_tlsrpt(&r);
	check_mta_sts(&r);
	md_check_dane(&r);
	md_check_mx_tls(&r);
	check_dnssec(&r);
	ax_probe_artifact_json(ctx, "records.json", r.records, JSON_INDENT(2) | JSON_SORT_KEYS);
cleanup:
	md_resolver_free(r.res);
	json_decref(r.names);
	json_decref(r.records);
	md_mx_release(&r);
	for (size_t i = 0; i < r.nmx; i++) {
		free(r.mx[i]);
		free(r.mx_addr[i]);
	}
	free(r.mx);
	free(r.mx_addr);
	free(r.mx_addr_sec);
	free(res);
	return err;
}

/* DNS over TCP (truncated answers) to the resolvers (UDP is not
 * restricted by Landlock), HTTPS to mta-sts.DOMAIN, SMTP to the MX hosts
 * for DANE, or the ports the connect-to options name instead. */
static const struct ax_probe_access maildns_access = {
	.connect = (const char *const[]){"resolver", "mta-sts-connect-to", "dane-connect-to", NULL},
	.ports = (const uint16_t[]){53, 443, 25, 0},
};

const struct probe probe_maildns = {
	.name = "maildns",
	.summary = "a mail domain's MX, SPF, DKIM keys, DMARC, MTA-STS, DANE and TLS-RPT as published, with their DNSSEC state",
	.options = maildns_options,
	.checks = maildns_checks,
	.run = maildns_run,
	.access = &maildns_access,
};
