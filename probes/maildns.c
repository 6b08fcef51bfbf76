/* maildns.c - the `maildns` probe: a mail domain's transport-security
 * records as the world sees them, through a validating resolver.
 *
 * For one domain it reads MX, SPF, DMARC, MTA-STS, TLS-RPT, TLSA and the
 * configured DKIM selectors' keys, judges each, and records the DNSSEC state of every
 * answer (secure, insecure, bogus): a bogus answer is what validating
 * receivers reject, so the record it carried counts as absent. Evidence:
 * the records as published (e-mail addresses in them pseudonymised) and
 * the validator's verdict per name. Nothing is sent but DNS queries to the
 * configured resolver, one HTTPS GET of the MTA-STS policy and, for MX
 * hosts with signed TLSA records, one STARTTLS handshake each (no mail is
 * sent: the connection ends after the handshake). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maildns_dane.h"
#include "maildns_dns.h"
#include "maildns_rec.h"
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
	{"smtp-timeout", AX_OPT_DURATION, "15s", 0, NULL, 1, 300, "deadline of the connection and STARTTLS handshake to an MX host"},
	{"spf-all", AX_OPT_ENUM, "softfail", 0, "softfail|fail", 0, 0, "weakest SPF ending accepted: ~all (softfail) or -all (fail)"},
	{NULL},
};

static const struct ax_check_def maildns_checks[] = {
	{"maildns.dnssec", "every answer about the domain validates (secure); none is bogus"},
	{"maildns.mx", "the domain has MX records and every MX host has an address"},
	{"maildns.spf", "one valid SPF record, at most 10 DNS lookups, ending in -all or ~all"},
	{"maildns.dkim", "every configured selector publishes a DKIM key of sufficient size, not revoked"},
	{"maildns.dmarc", "one valid DMARC record with the required policy, pct=100 and aggregate reports (rua)"},
	{"maildns.mta_sts", "an MTA-STS record and policy (over validated HTTPS) in enforce mode, max_age long enough, its mx patterns covering every MX host"},
	{"maildns.dane", "every MX host has TLSA records in a signed zone matching the certificate it presents (RFC 7672)"},
	{"maildns.tlsrpt", "a TLS-RPT record (_smtp._tls) with a reporting address (rua)"},
	{NULL},
};

struct run {
	struct ax_probe_ctx *ctx;
	struct md_resolver *res;
	const char *domain;
	json_t *names;   /* name/type -> DNSSEC state, for maildns.dnssec */
	json_t *records; /* the artifact */
	char **mx;       /* the MX hosts, for MTA-STS and DANE */
	size_t nmx;
	enum md_sec mx_sec;
};

/* Evidence copy of a record: e-mail addresses (rua=, ruf=) pseudonymised. */
static json_t *safe_json(struct run *r, const char *s)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_probe_safe_text(r->ctx, s, strlen(s), 2048, &b);
	json_t *j = json_string(ax_buf_cstr(&b));
	ax_buf_free(&b);
	return j;
}

/* A lookup of the domain's own records: its state counts for
 * maildns.dnssec and its records go to the artifact. */
static int lookup(struct run *r, const char *name, int type, struct md_answer *a, struct ax_buf *why)
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

static void emit(struct run *r, const char *check, enum ax_check_status st, json_t *obs, const struct ax_buf *msg)
{
	ax_probe_result(r->ctx, check, st, obs, "%s", ax_buf_cstr(msg));
}

/* An error of the lookup (the resolver failed) or a bogus answer (fail). */
static void emit_lookup_failure(struct run *r, const char *check, const struct md_answer *a, const struct ax_buf *why)
{
	ax_probe_result(r->ctx, check, a->sec == MD_BOGUS ? AX_CHECK_FAIL : AX_CHECK_ERROR,
			       json_pack("{s:s}", "dnssec", md_sec_name(a->sec)), "%s", ax_buf_cstr(why));
}

static void check_mx(struct run *r)
{
	struct md_answer a;
	struct ax_buf why = AX_BUF_INIT;
	if (lookup(r, r->domain, MD_MX, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.mx", &a, &why);
		goto cleanup;
	}
	json_t *hosts = json_array();
	size_t missing = 0;
	r->mx_sec = a.sec;
	int null_mx = a.n == 1 && a.rr[0][0] == '\0';
	for (size_t i = 0; i < a.n && !null_mx; i++) {
		struct md_answer v4, v6;
		size_t addrs = 0;
		if (md_query(r->res, a.rr[i], MD_A, &v4) == 0)
			addrs += v4.n;
		if (md_query(r->res, a.rr[i], MD_AAAA, &v6) == 0)
			addrs += v6.n;
		md_answer_free(&v4);
		md_answer_free(&v6);
		r->mx = ax_realloc(r->mx, (r->nmx + 1) * sizeof(char *));
		r->mx[r->nmx++] = ax_strdup(a.rr[i]);
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
cleanup:
	md_answer_free(&a);
	ax_buf_free(&why);
}

/* RFC 7208 4.6.4: the lookups of the whole evaluation, includes and
 * redirects followed (depth-bounded), at most 10. Returns the count seen
 * (stops once past 10), or -1 with why set when an include is broken. */
static int spf_lookups(struct run *r, const struct md_spf *s, int depth, struct ax_buf *why)
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

/* The `all` the evaluation ends in: this record's, or its redirect's. */
static char spf_final_all(struct run *r, const struct md_spf *s, int depth)
{
	if (s->all || !s->redirect || depth >= 10)
		return s->all;
	struct md_answer a;
	struct md_spf sub;
	const char *rec;
	char all = 0;
	if (md_query(r->res, s->redirect, MD_TXT, &a) == 0 && pick(&a, "v=spf1", &rec) == 1 && md_spf_parse(rec, &sub) == 0) {
		all = spf_final_all(r, &sub, depth + 1);
		md_spf_free(&sub);
	}
	md_answer_free(&a);
	return all;
}

static void check_spf(struct run *r)
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
	emit(r, "maildns.spf", st, obs, &why);
cleanup:
	md_spf_free(&s);
	md_answer_free(&a);
	ax_buf_free(&why);
}

static int policy_rank(const char *p)
{
	return strcmp(p, "reject") == 0 ? 2 : strcmp(p, "quarantine") == 0 ? 1 : 0;
}

static void check_dmarc(struct run *r)
{
	struct md_answer a;
	struct md_dmarc d;
	struct ax_buf why = AX_BUF_INIT;
	const char *rec;
	enum ax_check_status st = AX_CHECK_FAIL;
	char *name = ax_asprintf("_dmarc.%s", r->domain);
	const char *want = ax_probe_opt(r->ctx, "dmarc-policy");
	memset(&d, 0, sizeof(d));
	if (lookup(r, name, MD_TXT, &a, &why) < 0) {
		emit_lookup_failure(r, "maildns.dmarc", &a, &why);
		goto cleanup;
	}
	size_t n = pick(&a, "v=DMARC1", &rec);
	json_t *obs = json_pack("{s:s,s:I,s:s}", "dnssec", md_sec_name(a.sec), "records", (json_int_t)n, "required_policy", want);
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
		if (policy_rank(d.p) < policy_rank(want))
			ax_buf_printf(&why, "DMARC policy p=%s is weaker than %s", d.p, want);
		else if (d.sp && policy_rank(d.sp) < policy_rank(want))
			ax_buf_printf(&why, "DMARC subdomain policy sp=%s is weaker than %s", d.sp, want);
		else if (d.pct < 100)
			ax_buf_printf(&why, "DMARC pct=%d: the policy applies to only part of the failing mail", d.pct);
		else if (!d.rua)
			ax_buf_printf(&why, "the DMARC record asks for no aggregate reports (no rua=)");
		else {
			st = AX_CHECK_PASS;
			ax_buf_printf(&why, "DMARC p=%s, pct=100, alignment dkim=%s spf=%s, aggregate reports requested",
				      d.p, d.adkim == 's' ? "strict" : "relaxed", d.aspf == 's' ? "strict" : "relaxed");
		}
	}
	emit(r, "maildns.dmarc", st, obs, &why);
cleanup:
	md_dmarc_free(&d);
	md_answer_free(&a);
	ax_buf_free(&why);
	free(name);
}

static void check_tlsrpt(struct run *r)
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
	emit(r, "maildns.tlsrpt", st, obs, &why);
cleanup:
	md_answer_free(&a);
	ax_buf_free(&why);
	free(rua);
	free(name);
}

/* The s= of every DKIM-Signature for the domain in the header blocks of
 * the dkim-messages files, added to sels (selector -> source). */
static void selectors_in_mail(struct run *r, json_t *sels, size_t *nmessages)
{
	enum { MAX_FILES = 1000 };
	char **files = ax_calloc(MAX_FILES + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < ax_probe_opt_count(r->ctx, "dkim-messages"); i++)
		ax_msgfiles_collect(ax_probe_opt_at(r->ctx, "dkim-messages", i), MAX_FILES, files, &n);
	*nmessages = n;
	for (size_t f = 0; f < n; f++) {
		struct ax_buf data = AX_BUF_INIT, field = AX_BUF_INIT;
		if (ax_file_read(files[f], 1 << 20, &data) == 0) {
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

static void check_dkim(struct run *r)
{
	json_t *wanted = json_object(); /* selector -> "configured" or "mail" */
	size_t nmessages = 0;
	int min_bits = (int)ax_probe_opt_int(r->ctx, "dkim-min-rsa-bits");
	for (size_t i = 0; i < ax_probe_opt_count(r->ctx, "dkim-selector"); i++)
		json_object_set_new(wanted, ax_probe_opt_at(r->ctx, "dkim-selector", i), json_string("configured"));
	selectors_in_mail(r, wanted, &nmessages);
	size_t nsel = json_object_size(wanted);
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

static void check_mta_sts(struct run *r)
{
	struct md_answer a;
	struct md_sts pol;
	struct ax_buf why = AX_BUF_INIT, body = AX_BUF_INIT;
	char *id = NULL, *name = ax_asprintf("_mta-sts.%s", r->domain);
	const char *rec;
	enum ax_check_status st = AX_CHECK_FAIL;
	memset(&pol, 0, sizeof(pol));
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
	} else if (md_sts_fetch(r->domain, ax_probe_opt(r->ctx, "mta-sts-ca-file"), ax_probe_opt(r->ctx, "mta-sts-connect-to"),
				(long)ax_probe_opt_int(r->ctx, "http-timeout"), 65536, &body) < 0) {
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
	emit(r, "maildns.mta_sts", st, obs, &why);
cleanup:
	md_sts_free(&pol);
	md_answer_free(&a);
	ax_buf_free(&why);
	ax_buf_free(&body);
	free(id);
	free(name);
}

/* One MX host's DANE state: 1 matched, 0 no usable TLSA (none, or in an
 * insecure zone), -1 fail, -2 error; why says which. */
static int dane_host(struct run *r, const char *host, json_t *o, struct ax_buf *why)
{
	struct md_answer a;
	char *name = ax_asprintf("_25._tcp.%s", host);
	int st;
	if (md_query(r->res, name, MD_TLSA, &a) < 0) {
		ax_buf_printf(why, "%s", ax_error_last());
		free(name);
		return -2;
	}
	json_object_set_new(o, "tlsa_dnssec", json_string(md_sec_name(a.sec)));
	json_object_set_new(o, "tlsa_records", json_integer((json_int_t)a.n));
	if (a.sec == MD_BOGUS) {
		ax_buf_printf(why, "%s: the TLSA answer is bogus (%s): senders using DANE defer mail", host, a.why_bogus);
		st = -1;
	} else if (!a.n) {
		ax_buf_printf(why, "%s: no TLSA record", host);
		st = 0;
	} else if (a.sec != MD_SECURE || r->mx_sec != MD_SECURE) {
		ax_buf_printf(why, "%s: TLSA records in an unsigned zone, ignored by senders (RFC 7672 2.2)", host);
		st = 0;
	} else {
		const char *via = ax_probe_opt(r->ctx, "dane-connect-to");
		char *chost = NULL, *cport = NULL, *peer = ax_asprintf("%s:25", host);
		if (via && mp_target_split(via, &chost, &cport) < 0) {
			ax_buf_printf(why, "dane-connect-to: %s", ax_error_last());
			st = -2;
		} else {
			struct tls_target t = {.host = chost ? chost : host, .port = cport ? cport : "25", .peer = via ? via : peer,
					       .servername = host, .starttls = MP_STARTTLS_SMTP,
					       .handshake_timeout_ms = (int)ax_probe_opt_int(r->ctx, "smtp-timeout") * 1000};
			struct tls_handshake h;
			memset(&h, 0, sizeof(h));
			tls_handshake_run(&t, TLS1_3_VERSION, NULL, NULL, 1, &h);
			if (!h.completed && !h.infra_error) {
				tls_handshake_release(&h);
				memset(&h, 0, sizeof(h));
				tls_handshake_run(&t, TLS1_2_VERSION, NULL, NULL, 1, &h);
			}
			size_t usable = 0;
			if (!h.completed) {
				ax_buf_printf(why, "%s: no TLS handshake: %s", host, h.error ? h.error : "failed");
				st = -2;
			} else if (md_dane_match(a.rr, a.n, h.chain, host, &usable)) {
				st = 1;
			} else {
				ax_buf_printf(why, usable ? "%s: no TLSA record matches the certificate it presents: senders using DANE refuse it"
							  : "%s: no usable TLSA record (only PKIX usages 0/1, RFC 7672 3.1.3)",
					      host);
				st = -1;
			}
			json_object_set_new(o, "usable", json_integer((json_int_t)usable));
			tls_handshake_release(&h);
		}
		free(chost);
		free(cport);
		free(peer);
	}
	md_answer_free(&a);
	free(name);
	return st;
}

static void check_dane(struct run *r)
{
	json_t *hosts = json_array();
	struct ax_buf why = AX_BUF_INIT;
	size_t matched = 0, none = 0, failed = 0, errors = 0;
	for (size_t i = 0; i < r->nmx; i++) {
		json_t *o = json_pack("{s:s}", "host", r->mx[i]);
		struct ax_buf w = AX_BUF_INIT;
		int st = dane_host(r, r->mx[i], o, &w);
		json_object_set_new(o, "state", json_string(st == 1 ? "match" : st == 0 ? "none" : st == -1 ? "fail" : "error"));
		json_array_append_new(hosts, o);
		matched += st == 1;
		none += st == 0;
		failed += st == -1;
		errors += st == -2;
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
	emit(r, "maildns.dane", st, obs, &why);
	ax_buf_free(&why);
}

static void check_dnssec(struct run *r)
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
	struct run r = {ctx, NULL, ax_probe_opt(ctx, "domain"), json_object(), json_object(), NULL, 0, MD_INSECURE};
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
	check_dane(&r);
	check_dnssec(&r);
	ax_probe_artifact_json(ctx, "records.json", r.records, JSON_INDENT(2) | JSON_SORT_KEYS);
cleanup:
	md_resolver_free(r.res);
	json_decref(r.names);
	json_decref(r.records);
	for (size_t i = 0; i < r.nmx; i++)
		free(r.mx[i]);
	free(r.mx);
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
