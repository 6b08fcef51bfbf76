/* tls.c - the `tls` probe: a live look at a server's TLS, implicit or after
 * STARTTLS (SMTP, IMAP, POP3), judged against a named policy profile.
 *
 * Every protocol version and every cipher suite is established by its own
 * handshakes (tls_scan.c), each bounded by handshake-timeout, several at a
 * time. The certificate chain is described and validated at the collection
 * time against the system store or ca-file (tls_cert.c). Evidence: the
 * transcript of every handshake (the plaintext protocol lines and what each
 * offer got), the chain in PEM and a JSON summary. Nothing secret is sent
 * or received: the probe never authenticates. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "mailproto.h"
#include "probe.h"
#include "tls_cert.h"
#include "tls_policy.h"
#include "tls_scan.h"
#include "util.h"

static const struct ax_option tls_options[] = {
	{"target", AX_OPT_STRING, NULL, AX_OPT_REQUIRED, NULL, 0, 0, "host:port (or [v6]:port) to connect to"},
	{"starttls", AX_OPT_ENUM, "none", 0, "none|smtp|imap|pop3", 0, 0, "protocol to speak before TLS (none: implicit TLS)"},
	{"servername", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "name the certificate must match and SNI (default: target host)"},
	{"ca-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "CA certificates to validate against (default: system store)"},
	{"profile", AX_OPT_ENUM, "mozilla-intermediate", 0, "mozilla-intermediate|bsi-tr-02102-2", 0, 0, "policy profile"},
	{"cert-min-days", AX_OPT_INT, "21", 0, NULL, 0, 3650, "fewest days the certificate must remain valid"},
	{"min-rsa-bits", AX_OPT_INT, NULL, 0, NULL, 512, 16384, "smallest RSA key accepted (default: the profile's)"},
	{"handshake-timeout", AX_OPT_DURATION, "5s", 0, NULL, 1, 300, "deadline of one connection and handshake"},
	{"parallel", AX_OPT_INT, "8", 0, NULL, 1, 32, "handshakes at once"},
	{NULL},
};

static const struct ax_check_def tls_checks[] = {
	{"tls.starttls.offered", "the server offers STARTTLS (with starttls set)"},
	{"tls.protocol.ssl3", "SSLv3 refused (when the local OpenSSL can still speak it)"},
	{"tls.protocol.tls1_0", "TLS 1.0 refused"},
	{"tls.protocol.tls1_1", "TLS 1.1 refused"},
	{"tls.protocol.tls1_2", "TLS 1.2 or newer accepted"},
	{"tls.protocol.tls1_3", "whether TLS 1.3 is accepted (info: recommended, not required, so it cannot fail)"},
	{"tls.cipher.weak", "every accepted suite is in the profile's list"},
	{"tls.cipher.order", "the server enforces its own suite order, or accepts no weak suite"},
	{"tls.kex.group", "the key exchange uses a group the profile allows"},
	{"tls.cert.expiry", "the certificate remains valid for at least cert-min-days"},
	{"tls.cert.key_size", "the certificate key is at least the profile's size"},
	{"tls.cert.signature", "the certificates are not signed with MD5 or SHA-1"},
	{"tls.cert.chain", "the chain validates against the system store or ca-file"},
	{"tls.cert.hostname", "the certificate names servername"},
	{NULL},
};

static void emit_all_error(struct ax_probe_ctx *ctx, const char *why, const char *except)
{
	for (size_t i = 0; tls_checks[i].id; i++)
		if (!except || strcmp(tls_checks[i].id, except) != 0)
			ax_probe_result(ctx, tls_checks[i].id, AX_CHECK_ERROR, NULL, "%s", why);
}

static json_t *versions_json(const struct tls_scan *s)
{
	json_t *o = json_object();
	for (size_t v = 0; v < s->nversions; v++) {
		const struct tls_version_result *vr = &s->versions[v];
		json_t *c = json_array();
		for (size_t i = 0; i < vr->nciphers; i++)
			json_array_append_new(c, json_string(vr->ciphers[i]));
		json_object_set_new(o, tls_version_name(vr->version), json_pack("{s:b,s:o}", "accepted", vr->accepted, "ciphers", c));
	}
	return o;
}

static void judge_protocols(struct ax_probe_ctx *ctx, const struct tls_scan *s)
{
	int modern = 0;
	const char *modern_unknown = NULL; /* why TLS 1.2 or 1.3 could not be measured */
	for (size_t v = 0; v < s->nversions; v++) {
		const struct tls_version_result *vr = &s->versions[v];
		char id[64];
		snprintf(id, sizeof(id), "tls.protocol.%s", tls_version_check_id(vr->version));
		json_t *obs = json_pack("{s:s,s:b,s:i}", "version", tls_version_name(vr->version), "accepted", vr->accepted,
					"ciphers", (int)vr->nciphers);
		int unknown = !vr->accepted && (vr->infra_error || vr->unmeasured);
		if (vr->version >= TLS1_2_VERSION)
			modern |= vr->accepted;
		if (vr->version >= TLS1_2_VERSION && unknown && !modern_unknown)
			modern_unknown = vr->error ? vr->error : "connection failed";
		if (unknown) {
			ax_probe_result(ctx, id, AX_CHECK_ERROR, obs, "%s not measured: %s", tls_version_name(vr->version),
					vr->error ? vr->error : "connection failed");
		} else if (vr->version == TLS1_3_VERSION) {
			/* recommended, not required: it cannot fail, so it informs */
			if (vr->accepted)
				ax_probe_result(ctx, id, AX_CHECK_INFO, obs, "server accepts TLS 1.3");
			else
				ax_probe_result(ctx, id, AX_CHECK_INFO, obs, "server does not offer TLS 1.3 (recommended, not required)");
		} else if (vr->version == TLS1_2_VERSION) {
			json_decref(obs);
		} else {
			ax_probe_result(ctx, id, vr->accepted ? AX_CHECK_FAIL : AX_CHECK_PASS, obs, "server %s %s",
					vr->accepted ? "accepts" : "refuses", tls_version_name(vr->version));
		}
	}
#ifdef OPENSSL_NO_SSL3
	ax_probe_result(ctx, "tls.protocol.ssl3", AX_CHECK_SKIP, NULL, "the local OpenSSL cannot speak SSLv3");
#endif
	if (modern)
		ax_probe_result(ctx, "tls.protocol.tls1_2", AX_CHECK_PASS, NULL, "server accepts TLS 1.2 or newer");
	else if (modern_unknown)
		ax_probe_result(ctx, "tls.protocol.tls1_2", AX_CHECK_ERROR, NULL, "TLS 1.2 and 1.3 not measured: %s", modern_unknown);
	else
		ax_probe_result(ctx, "tls.protocol.tls1_2", AX_CHECK_FAIL, NULL, "server refuses both TLS 1.2 and TLS 1.3");
}

static int judge_ciphers(struct ax_probe_ctx *ctx, const struct tls_scan *s, const struct tls_policy *pol)
{
	json_t *weak = json_array();
	struct ax_buf why = AX_BUF_INIT;
	size_t nweak = 0, total = 0;
	for (size_t v = 0; v < s->nversions; v++)
		for (size_t i = 0; i < s->versions[v].nciphers; i++) {
			total++;
			if (tls_policy_suite_ok(pol, s->versions[v].version, s->versions[v].ciphers[i]))
				continue;
			nweak++;
			json_array_append_new(weak, json_pack("{s:s,s:s}", "version", tls_version_name(s->versions[v].version),
							      "cipher", s->versions[v].ciphers[i]));
			if (nweak <= 8)
				ax_buf_printf(&why, "%s%s %s", why.size ? ", " : "", tls_version_name(s->versions[v].version),
					      s->versions[v].ciphers[i]);
		}
	if (nweak > 8)
		ax_buf_printf(&why, " and %zu more", nweak - 8);
	json_t *obs = json_pack("{s:s,s:I,s:o,s:o}", "profile", pol->name, "accepted", (json_int_t)total, "outside_profile",
				weak, "per_version", versions_json(s));
	if (s->incomplete)
		json_object_set_new(obs, "incomplete", json_string(s->incomplete));
	if (total == 0)
		ax_probe_result(ctx, "tls.cipher.weak", AX_CHECK_ERROR, obs, "no cipher suite could be negotiated");
	else if (nweak)
		ax_probe_result(ctx, "tls.cipher.weak", AX_CHECK_FAIL, obs, "%zu of %zu accepted suites are outside %s: %s%s%s%s",
				nweak, total, pol->name, ax_buf_cstr(&why), s->incomplete ? " (enumeration incomplete: " : "",
				s->incomplete ? s->incomplete : "", s->incomplete ? ")" : "");
	else if (s->incomplete) /* a suite not seen is not a suite refused */
		ax_probe_result(ctx, "tls.cipher.weak", AX_CHECK_ERROR, obs, "suite enumeration incomplete: %s", s->incomplete);
	else
		ax_probe_result(ctx, "tls.cipher.weak", AX_CHECK_PASS, obs, "all %zu accepted suites are in %s", total, pol->name);

	json_t *ord = json_pack("{s:i,s:s}", "server_order", s->server_order,
				"tested_at", s->order_version ? tls_version_name(s->order_version) : "");
	if (s->server_order == 1)
		ax_probe_result(ctx, "tls.cipher.order", AX_CHECK_PASS, ord, "server enforces its own suite order");
	else if (total > 0 && nweak == 0 && !s->incomplete)
		ax_probe_result(ctx, "tls.cipher.order", AX_CHECK_PASS, ord, "server follows the client's order, but accepts no weak suite");
	else if (s->server_order == 0)
		ax_probe_result(ctx, "tls.cipher.order", AX_CHECK_FAIL, ord, "server follows the client's order and accepts weak suites");
	else
		ax_probe_result(ctx, "tls.cipher.order", AX_CHECK_ERROR, ord, "order could not be determined");
	ax_buf_free(&why);
	return (int)nweak;
}

static void judge_cert(struct ax_probe_ctx *ctx, const struct tls_scan *s, const struct tls_policy *pol,
		       const char *servername)
{
	int64_t now = ax_probe_now(ctx);
	int64_t min_days = ax_probe_opt_int(ctx, "cert-min-days");
	int min_rsa = ax_probe_opt(ctx, "min-rsa-bits") ? (int)ax_probe_opt_int(ctx, "min-rsa-bits") : pol->min_rsa_bits;
	if (!s->chain || sk_X509_num(s->chain) < 1) {
		static const char *const ids[] = {"tls.cert.expiry", "tls.cert.key_size", "tls.cert.signature", "tls.cert.chain", "tls.cert.hostname"};
		for (size_t i = 0; i < 5; i++)
			ax_probe_result(ctx, ids[i], AX_CHECK_ERROR, NULL, "the server presented no certificate");
		return;
	}
	X509 *leaf = sk_X509_value(s->chain, 0);
	struct tls_cert_info ci;
	tls_cert_describe(leaf, now, &ci);

	json_t *exp = json_pack("{s:s,s:I,s:I}", "not_after", ci.not_after, "days_left", (json_int_t)ci.days_left, "min_days", (json_int_t)min_days);
	if (ci.days_left < 0)
		ax_probe_result(ctx, "tls.cert.expiry", AX_CHECK_FAIL, exp, "certificate expired on %s", ci.not_after);
	else
		ax_probe_result(ctx, "tls.cert.expiry", ci.days_left >= min_days ? AX_CHECK_PASS : AX_CHECK_FAIL, exp,
				"certificate expires %s, in %lld days (minimum %lld)", ci.not_after, (long long)ci.days_left, (long long)min_days);

	int need = strcmp(ci.key_type, "RSA") == 0 || strcmp(ci.key_type, "DSA") == 0 ? min_rsa
		 : strcmp(ci.key_type, "EC") == 0 ? pol->min_ec_bits : 0;
	ax_probe_result(ctx, "tls.cert.key_size", ci.key_bits >= need ? AX_CHECK_PASS : AX_CHECK_FAIL,
			json_pack("{s:s,s:i,s:i}", "key_type", ci.key_type, "key_bits", ci.key_bits, "min_bits", need),
			"%s key of %d bits (minimum %d)", ci.key_type, ci.key_bits, need);

	/* signatures below the trust anchor: a self-signed root's own is irrelevant */
	struct ax_buf weak_sigs = AX_BUF_INIT;
	json_t *certs = json_array();
	for (int i = 0; i < sk_X509_num(s->chain); i++) {
		X509 *x = sk_X509_value(s->chain, i);
		struct tls_cert_info c2;
		tls_cert_describe(x, now, &c2);
		json_array_append_new(certs, tls_cert_info_json(&c2));
		int self = X509_check_issued(x, x) == X509_V_OK;
		if (!self && (strstr(c2.sig_alg, "md5") || strstr(c2.sig_alg, "sha1") || strstr(c2.sig_alg, "MD5") ||
			      strstr(c2.sig_alg, "SHA1")))
			ax_buf_printf(&weak_sigs, "%scertificate %d: %s", weak_sigs.size ? ", " : "", i, c2.sig_alg);
		tls_cert_info_release(&c2);
	}
	ax_probe_result(ctx, "tls.cert.signature", weak_sigs.size ? AX_CHECK_FAIL : AX_CHECK_PASS,
			json_pack("{s:O}", "chain", certs), "%s", weak_sigs.size ? ax_buf_cstr(&weak_sigs) : "no MD5 or SHA-1 signatures");
	ax_buf_free(&weak_sigs);

	char *why = NULL;
	const char *ca = ax_probe_opt(ctx, "ca-file");
	int valid = tls_chain_verify(s->chain, ca, now, &why);
	json_t *chain_obs = json_pack("{s:s,s:O}", "trust", ca ? ca : "system store", "chain", certs);
	if (valid < 0)
		ax_probe_result(ctx, "tls.cert.chain", AX_CHECK_ERROR, chain_obs, "%s", ax_error_last());
	else
		ax_probe_result(ctx, "tls.cert.chain", valid ? AX_CHECK_PASS : AX_CHECK_FAIL, chain_obs,
				valid ? "chain of %s validates against %s" : "chain of %s does not validate against %s: %s",
				ci.subject, ca ? ca : "the system store", why ? why : "");
	free(why);
	json_decref(certs);

	int match = tls_name_matches(leaf, servername);
	ax_probe_result(ctx, "tls.cert.hostname", match ? AX_CHECK_PASS : AX_CHECK_FAIL,
			json_pack("{s:s,s:s,s:s}", "servername", servername, "subject", ci.subject, "san", ci.san),
			match ? "certificate names %s" : "certificate does not name %s (subject %s, SAN %s)", servername,
			ci.subject, ci.san);
	tls_cert_info_release(&ci);
}

static int attach_evidence(struct ax_probe_ctx *ctx, const struct tls_scan *s, const char *target, const char *profile)
{
	struct ax_buf pem = AX_BUF_INIT;
	int rc = 0;
	ax_probe_artifact(ctx, "handshakes.txt", "text/plain", s->transcript.ptr ? s->transcript.ptr : "", s->transcript.size);
	if (s->chain) {
		tls_chain_pem(s->chain, &pem);
		ax_probe_artifact(ctx, "chain.pem", "application/x-pem-file", pem.ptr ? pem.ptr : "", pem.size);
	}
	json_t *sum = json_pack("{s:s,s:s,s:o,s:s,s:s,s:i,s:I,s:s?}", "target", target, "profile", profile, "versions",
				versions_json(s), "negotiated", s->best_cipher, "group", s->group, "server_order", s->server_order,
				"handshakes", (json_int_t)s->handshakes, "incomplete", s->incomplete);
	ax_probe_artifact_json(ctx, "tls-scan.json", sum, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(sum);
	ax_buf_free(&pem);
	return rc;
}

static int tls_run(struct ax_probe_ctx *ctx)
{
	const char *target = ax_probe_opt(ctx, "target"), *profile = ax_probe_opt(ctx, "profile");
	const struct tls_policy *pol = tls_policy_find(profile);
	int starttls = mp_starttls_parse(ax_probe_opt(ctx, "starttls"));
	char *host = NULL, *port = NULL;
	struct tls_scan scan;
	int rc;

	memset(&scan, 0, sizeof(scan));
	if (!pol || starttls < 0)
		return ax_error_code(AX_EINVALID, "unknown profile or starttls value");
	if ((rc = mp_target_split(target, &host, &port)) < 0)
		goto cleanup;
	const char *servername = ax_probe_opt(ctx, "servername") ? ax_probe_opt(ctx, "servername") : host;
	unsigned char ipbuf[16];
	int is_ip = inet_pton(AF_INET, servername, ipbuf) == 1 || inet_pton(AF_INET6, servername, ipbuf) == 1;
	struct tls_target t = {
		.host = host, .port = port, .peer = target, .servername = is_ip ? NULL : servername,
		.starttls = (enum mp_starttls)starttls,
		.handshake_timeout_ms = (int)ax_probe_opt_int(ctx, "handshake-timeout") * 1000,
	};
	tls_scan_run(&t, (int)ax_probe_opt_int(ctx, "parallel"), &scan);
	rc = 0;

	if (starttls == MP_STARTTLS_NONE)
		ax_probe_result(ctx, "tls.starttls.offered", AX_CHECK_SKIP, NULL, "implicit TLS (no starttls configured)");
	else if (scan.starttls_offered == 1 && scan.infra_error)
		ax_probe_result(ctx, "tls.starttls.offered", AX_CHECK_FAIL, NULL, "advertised but unusable: %s", scan.infra_error);
	else if (scan.starttls_offered == 1)
		ax_probe_result(ctx, "tls.starttls.offered", AX_CHECK_PASS, NULL, "%s offers STARTTLS", target);
	else if (scan.starttls_offered == 0)
		ax_probe_result(ctx, "tls.starttls.offered", AX_CHECK_FAIL, NULL, "%s does not offer STARTTLS", target);
	else
		ax_probe_result(ctx, "tls.starttls.offered", AX_CHECK_ERROR, NULL, "%s",
				scan.infra_error ? scan.infra_error : "STARTTLS exchange failed");
	if (scan.infra_error || scan.unmeasured) {
		/* nothing got as far as TLS, or the server answered no offer: every
		 * other check is unknown, none passes or fails */
		emit_all_error(ctx, scan.infra_error ? scan.infra_error : scan.unmeasured, "tls.starttls.offered");
		ax_probe_artifact(ctx, "handshakes.txt", "text/plain", scan.transcript.ptr ? scan.transcript.ptr : "",
				       scan.transcript.size);
		goto cleanup;
	}
	judge_protocols(ctx, &scan);
	judge_ciphers(ctx, &scan, pol);
	ax_probe_result(ctx, "tls.kex.group", !scan.group[0] ? AX_CHECK_ERROR : tls_policy_group_ok(pol, scan.group) ? AX_CHECK_PASS : AX_CHECK_FAIL,
			json_pack("{s:s,s:s}", "group", scan.group, "version", tls_version_name(scan.best_version)),
			"key exchange %s at %s", scan.group[0] ? scan.group : "unknown", tls_version_name(scan.best_version));
	judge_cert(ctx, &scan, pol, servername);
	rc = attach_evidence(ctx, &scan, target, pol->name) ? AX_ERROR : 0;
cleanup:
	tls_scan_release(&scan);
	free(host);
	free(port);
	return rc;
}

/* TCP to the target's port only */
static const struct ax_probe_access tls_access = {.connect = (const char *const[]){"target", NULL}};

const struct probe probe_tls = {
	.name = "tls",
	.summary = "live TLS of a server (implicit or STARTTLS): versions, suites, order, group, certificate chain",
	.options = tls_options,
	.checks = tls_checks,
	.access = &tls_access,
	.run = tls_run,
};
