/* postfix.c - the `postfix` probe: Postfix's own configuration (main.cf,
 * master.cf) judged for transport encryption, authentication and relaying.
 *
 * Every smtpd listener of master.cf is judged with its effective settings
 * (its `-o` overrides over main.cf over Postfix's defaults), because the
 * submission service's own settings are what protects passwords. The probe
 * reads at most max-size bytes per file and never reads the contents of
 * lookup tables (smtp_sasl_password_maps holds passwords). Evidence: the
 * effective settings as JSON and both files, redacted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "verdict.h"
#include "postfix_conf.h"
#include "postfix_rules.h"
#include "probe.h"
#include "redact.h"
#include "util.h"

static const struct ax_option postfix_options[] = {
	{"config-dir", AX_OPT_PATH, "/etc/postfix", 0, NULL, 0, 0, "folder holding main.cf and master.cf"},
	{"mynetworks-allowed", AX_OPT_STRING, "127.0.0.0/8 [::1]/128", AX_OPT_MULTI, NULL, 0, 0,
	 "networks mynetworks may cover (CIDR, space-separated or repeated)"},
	{"max-size", AX_OPT_SIZE, "1M", 0, NULL, 1024, 67108864, "largest configuration file read"},
	{NULL},
};

static const struct ax_check_def postfix_checks[] = {
	{"postfix.smtpd.tls_security_level", "every smtpd listener offers TLS (may) or requires it (encrypt)"},
	{"postfix.smtp.tls_security_level", "outbound SMTP uses TLS when offered (may or stricter)"},
	{"postfix.smtpd.tls_auth_only", "SASL AUTH is offered only over TLS"},
	{"postfix.smtpd.tls_protocols", "smtpd_tls_protocols excludes SSLv2, SSLv3, TLSv1, TLSv1.1"},
	{"postfix.smtpd.tls_mandatory_protocols", "smtpd_tls_mandatory_protocols excludes SSLv2, SSLv3, TLSv1, TLSv1.1"},
	{"postfix.smtpd.tls_mandatory_ciphers", "mandatory TLS cipher grade is medium or high"},
	{"postfix.tls.cert_files", "the configured certificate and key files exist"},
	{"postfix.tls.key_permissions", "private key files are not readable or writable by others"},
	{"postfix.relay.restrictions", "relay restrictions reject unauthorised destinations (no open relay)"},
	{"postfix.relay.mynetworks", "mynetworks is no wider than mynetworks-allowed"},
	{"postfix.smtpd.disable_vrfy", "the VRFY command is disabled"},
	{NULL},
};

struct pf_state {
	struct ax_probe_ctx *ctx;
	struct pf_main *main_cf;
	struct pf_master *master_cf;
	const struct pf_service **smtpd; /* inet smtpd listeners; {NULL} when master.cf is absent */
	size_t nsmtpd;
	struct ax_verdict level, out_level, auth_only, protos, mprotos, ciphers, certs, keys, relay, nets, vrfy;
};

static const char *svc_name(const struct pf_service *s)
{
	return s ? s->name : "main.cf";
}

static int is_yes(const char *v)
{
	return v && strcasecmp(v, "yes") == 0;
}

/* Expanded value of name for svc; "" on expansion errors (reported once). */
static char *value_of(struct pf_state *st, const struct pf_service *svc, const char *name, int *bad)
{
	struct ax_buf b = AX_BUF_INIT;
	*bad = pf_expand(st->main_cf, svc, name, &b) < 0;
	return ax_buf_detach(&b);
}

/* smtpd_tls_security_level with the legacy smtpd_use_tls/enforce_tls. */
static char *effective_level(struct pf_state *st, const struct pf_service *svc, int *bad)
{
	char *lvl = value_of(st, svc, "smtpd_tls_security_level", bad);
	if (*lvl)
		return lvl;
	free(lvl);
	char *enforce = value_of(st, svc, "smtpd_enforce_tls", bad), *use = value_of(st, svc, "smtpd_use_tls", bad);
	const char *legacy = is_yes(enforce) ? "encrypt" : is_yes(use) ? "may" : "none";
	free(enforce);
	free(use);
	return ax_strdup(legacy);
}

static void judge_service(struct pf_state *st, const struct pf_service *svc)
{
	int bad = 0;
	const char *name = svc_name(svc);
	char *lvl = effective_level(st, svc, &bad);
	char *wrap = value_of(st, svc, "smtpd_tls_wrappermode", &bad);
	int wrapper = is_yes(wrap), tls_on = wrapper || strcmp(lvl, "may") == 0 || strcmp(lvl, "encrypt") == 0;

	json_t *item = json_pack("{s:s,s:s,s:b}", "service", name, "smtpd_tls_security_level", lvl, "wrappermode", wrapper);
	ax_verdict_add(&st->level, tls_on ? AX_CHECK_PASS : AX_CHECK_FAIL, item,
		       "%s: smtpd_tls_security_level = %s (no TLS offered)", name, *lvl ? lvl : "none");

	char *auth = value_of(st, svc, "smtpd_sasl_auth_enable", &bad), *only = value_of(st, svc, "smtpd_tls_auth_only", &bad);
	int safe = !is_yes(auth) || is_yes(only) || wrapper || strcmp(lvl, "encrypt") == 0;
	ax_verdict_add(&st->auth_only, safe ? AX_CHECK_PASS : AX_CHECK_FAIL,
		       json_pack("{s:s,s:s,s:s}", "service", name, "smtpd_sasl_auth_enable", auth, "smtpd_tls_auth_only", only),
		       "%s: AUTH offered without TLS (smtpd_tls_auth_only = %s)", name, only);

	struct { const char *param; struct ax_verdict *v; } plist[] = {
		{"smtpd_tls_protocols", &st->protos}, {"smtpd_tls_mandatory_protocols", &st->mprotos}};
	for (size_t i = 0; i < 2; i++) {
		char *val = value_of(st, svc, plist[i].param, &bad);
		unsigned allowed = 0;
		struct ax_buf weak = AX_BUF_INIT;
		if (pf_protocols_parse(val, &allowed) < 0) {
			ax_verdict_add(plist[i].v, AX_CHECK_ERROR, NULL, "%s: %s: %s", name, plist[i].param, ax_error_last());
		} else {
			pf_protocols_format(allowed & PF_PROTO_WEAK, &weak);
			ax_verdict_add(plist[i].v, (allowed & PF_PROTO_WEAK) ? AX_CHECK_FAIL : AX_CHECK_PASS,
				       json_pack("{s:s,s:s,s:s}", "service", name, plist[i].param, val, "weak_allowed",
						 ax_buf_cstr(&weak)),
				       "%s: %s = '%s' allows %s", name, plist[i].param, val, ax_buf_cstr(&weak));
		}
		ax_buf_free(&weak);
		free(val);
	}

	char *grade = value_of(st, svc, "smtpd_tls_mandatory_ciphers", &bad);
	int strong = strcasecmp(grade, "medium") == 0 || strcasecmp(grade, "high") == 0;
	ax_verdict_add(&st->ciphers, strong ? AX_CHECK_PASS : AX_CHECK_FAIL,
		       json_pack("{s:s,s:s}", "service", name, "smtpd_tls_mandatory_ciphers", grade),
		       "%s: smtpd_tls_mandatory_ciphers = %s", name, grade);

	char *rr = value_of(st, svc, "smtpd_relay_restrictions", &bad);
	char *rcpt = value_of(st, svc, "smtpd_recipient_restrictions", &bad);
	struct ax_buf why_r = AX_BUF_INIT, why_c = AX_BUF_INIT;
	/* mail is relayed only when both lists permit it */
	int relay_safe = pf_relay_list_safe(rr, &why_r) | pf_relay_list_safe(rcpt, &why_c);
	ax_verdict_add(&st->relay, relay_safe ? AX_CHECK_PASS : AX_CHECK_FAIL,
		       json_pack("{s:s,s:s,s:s}", "service", name, "smtpd_relay_restrictions", rr,
				 "smtpd_recipient_restrictions", rcpt),
		       "%s: open relay: smtpd_relay_restrictions reaches %s, smtpd_recipient_restrictions reaches %s", name,
		       ax_buf_cstr(&why_r), ax_buf_cstr(&why_c));
	ax_buf_free(&why_r);
	ax_buf_free(&why_c);

	char *vrfy = value_of(st, svc, "disable_vrfy_command", &bad);
	ax_verdict_add(&st->vrfy, is_yes(vrfy) ? AX_CHECK_PASS : AX_CHECK_FAIL,
		       json_pack("{s:s,s:s}", "service", name, "disable_vrfy_command", vrfy),
		       "%s: disable_vrfy_command = %s", name, vrfy);
	if (bad)
		ax_verdict_add(&st->level, AX_CHECK_ERROR, NULL, "%s: %s", name, ax_error_last());
	free(lvl);
	free(wrap);
	free(auth);
	free(only);
	free(grade);
	free(rr);
	free(rcpt);
	free(vrfy);
}

/* Certificate and key files named in main.cf and every smtpd service. */
static void judge_files(struct pf_state *st)
{
	static const char *const params[] = {"smtpd_tls_cert_file", "smtpd_tls_key_file", "smtpd_tls_eccert_file",
					     "smtpd_tls_eckey_file", "smtpd_tls_chain_files"};
	struct ax_buf seen = AX_BUF_INIT; /* "\npath\n" of files already judged */
	ax_buf_putc(&seen, '\n');
	for (size_t s = 0; s < st->nsmtpd; s++) {
		int bad = 0;
		char *lvl = effective_level(st, st->smtpd[s], &bad);
		int needs_cert = strcmp(lvl, "none") != 0 && *lvl;
		free(lvl);
		for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
			char *val = value_of(st, st->smtpd[s], params[i], &bad);
			int is_key = strstr(params[i], "key") || strstr(params[i], "chain");
			if (!*val && i == 0 && needs_cert)
				ax_verdict_add(&st->certs, AX_CHECK_FAIL, NULL, "%s: TLS enabled but no smtpd_tls_cert_file",
					       svc_name(st->smtpd[s]));
			char *save = NULL;
			for (char *path = strtok_r(val, " \t,", &save); path; path = strtok_r(NULL, " \t,", &save)) {
				char *needle = ax_asprintf("\n%s\n", path);
				int dup = strstr(ax_buf_cstr(&seen), needle) != NULL;
				free(needle);
				if (dup)
					continue;
				ax_buf_printf(&seen, "%s\n", path);
				struct stat sb;
				if (stat(path, &sb) < 0) {
					ax_verdict_add(&st->certs, AX_CHECK_FAIL, json_pack("{s:s,s:s,s:b}", "param", params[i], "path", path, "exists", 0),
						       "%s = %s: %s", params[i], path, strerror(errno));
					continue;
				}
				ax_verdict_add(&st->certs, AX_CHECK_PASS, json_pack("{s:s,s:s,s:b}", "param", params[i], "path", path, "exists", 1), "%s", path);
				if (!is_key)
					continue;
				char mode[8];
				snprintf(mode, sizeof(mode), "%04o", (unsigned)(sb.st_mode & 07777));
				int open_to_others = (sb.st_mode & (S_IROTH | S_IWOTH)) != 0;
				ax_verdict_add(&st->keys, open_to_others ? AX_CHECK_FAIL : AX_CHECK_PASS,
					       json_pack("{s:s,s:s,s:s,s:I}", "param", params[i], "path", path, "mode", mode, "uid", (json_int_t)sb.st_uid),
					       "%s has mode %s (readable or writable by others)", path, mode);
			}
			free(val);
		}
	}
	ax_buf_free(&seen);
}

static void judge_globals(struct pf_state *st)
{
	int bad = 0;
	char *out = value_of(st, NULL, "smtp_tls_security_level", &bad);
	if (!*out) {
		char *enforce = value_of(st, NULL, "smtp_enforce_tls", &bad), *use = value_of(st, NULL, "smtp_use_tls", &bad);
		free(out);
		out = ax_strdup(is_yes(enforce) ? "encrypt" : is_yes(use) ? "may" : "none");
		free(enforce);
		free(use);
	}
	static const char *const ok_levels[] = {"may", "encrypt", "dane", "dane-only", "fingerprint", "verify", "secure"};
	int ok = 0;
	for (size_t i = 0; i < sizeof(ok_levels) / sizeof(ok_levels[0]); i++)
		ok |= strcmp(out, ok_levels[i]) == 0;
	ax_verdict_add(&st->out_level, ok ? AX_CHECK_PASS : AX_CHECK_FAIL, json_pack("{s:s}", "smtp_tls_security_level", out),
		       "smtp_tls_security_level = %s: outbound mail is sent in clear", out);
	free(out);

	char *nets = value_of(st, NULL, "mynetworks", &bad);
	char *style = value_of(st, NULL, "mynetworks_style", &bad);
	struct ax_buf allowed = AX_BUF_INIT, why = AX_BUF_INIT;
	for (size_t i = 0; i < ax_probe_opt_count(st->ctx, "mynetworks-allowed"); i++)
		ax_buf_printf(&allowed, "%s ", ax_probe_opt_at(st->ctx, "mynetworks-allowed", i));
	json_t *item = json_pack("{s:s,s:s,s:s}", "mynetworks", nets, "mynetworks_style", style, "allowed", ax_buf_cstr(&allowed));
	if (!pf_main_find(st->main_cf, "mynetworks")) {
		int host = strcasecmp(style, "host") == 0;
		ax_verdict_add(&st->nets, host ? AX_CHECK_PASS : AX_CHECK_FAIL, item,
			       "mynetworks unset and mynetworks_style = %s trusts whole networks", style);
	} else {
		int r = pf_networks_within(nets, ax_buf_cstr(&allowed), &why);
		if (r < 0)
			ax_verdict_add(&st->nets, AX_CHECK_ERROR, item, "mynetworks entry '%s' cannot be evaluated", ax_buf_cstr(&why));
		else
			ax_verdict_add(&st->nets, r ? AX_CHECK_PASS : AX_CHECK_FAIL, item,
				       "mynetworks entry %s is wider than mynetworks-allowed (%s)", ax_buf_cstr(&why),
				       ax_buf_cstr(&allowed));
	}
	free(nets);
	free(style);
	ax_buf_free(&allowed);
	ax_buf_free(&why);
}

/* The effective settings as evidence: every main.cf parameter (secret-
 * looking names redacted) and the overrides of every smtpd listener. */
static void attach_effective(struct pf_state *st)
{
	json_t *doc = json_object(), *main_obj = json_object(), *svcs = json_array();
	for (size_t i = 0; i < st->main_cf->nparams; i++) {
		const struct pf_param *p = &st->main_cf->params[i];
		int secret = ax_redact_key_is_secret(p->name, strlen(p->name));
		json_object_set_new(main_obj, p->name, json_string(secret ? AX_REDACTED : p->value));
	}
	for (size_t s = 0; s < st->nsmtpd && st->smtpd[s]; s++) {
		const struct pf_service *svc = st->smtpd[s];
		json_t *ov = json_object();
		for (size_t i = 0; i < svc->noverrides; i++) {
			int secret = ax_redact_key_is_secret(svc->overrides[i].name, strlen(svc->overrides[i].name));
			json_object_set_new(ov, svc->overrides[i].name, json_string(secret ? AX_REDACTED : svc->overrides[i].value));
		}
		json_array_append_new(svcs, json_pack("{s:s,s:I,s:o}", "service", svc->name, "line", (json_int_t)svc->line, "overrides", ov));
	}
	json_object_set_new(doc, "main_cf", main_obj);
	json_object_set_new(doc, "smtpd_services", svcs);
	ax_probe_artifact_json(st->ctx, "postfix-effective.json", doc, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(doc);
}

static int attach_redacted(struct ax_probe_ctx *ctx, const char *name, const struct ax_buf *content)
{
	struct ax_buf red = AX_BUF_INIT;
	int rc = ax_redact(ax_buf_cstr(content), content->size, NULL, &red);
	if (rc == 0)
		ax_probe_artifact(ctx, name, "text/plain", red.ptr ? red.ptr : "", red.size);
	ax_buf_free(&red);
	return rc;
}

static int postfix_run(struct ax_probe_ctx *ctx)
{
	struct pf_state st;
	struct ax_buf main_text = AX_BUF_INIT, master_text = AX_BUF_INIT;
	const char *dir = ax_probe_opt(ctx, "config-dir");
	size_t max = (size_t)ax_probe_opt_int(ctx, "max-size");
	char *main_path = ax_asprintf("%s/main.cf", dir), *master_path = ax_asprintf("%s/master.cf", dir);
	int rc;

	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	if ((rc = ax_file_read(main_path, max, &main_text)) < 0 ||
	    (rc = pf_main_parse(&st.main_cf, main_text.ptr ? main_text.ptr : "", main_text.size, main_path)) < 0)
		goto cleanup;
	rc = ax_file_read(master_path, max, &master_text);
	if (rc == 0)
		rc = pf_master_parse(&st.master_cf, master_text.ptr ? master_text.ptr : "", master_text.size, master_path);
	else if (rc == AX_ENOTFOUND)
		rc = 0; /* judge main.cf alone, as for the default smtp listener */
	if (rc < 0)
		goto cleanup;

	st.smtpd = ax_calloc(st.master_cf ? st.master_cf->nservices + 1 : 1, sizeof(*st.smtpd));
	for (size_t i = 0; st.master_cf && i < st.master_cf->nservices; i++) {
		const struct pf_service *s = &st.master_cf->services[i];
		if (s->type && s->command && strcmp(s->type, "inet") == 0 && strcmp(s->command, "smtpd") == 0)
			st.smtpd[st.nsmtpd++] = s;
	}
	if (!st.nsmtpd)
		st.nsmtpd = 1; /* the NULL entry: main.cf's own settings */

	ax_verdict_init(&st.level, "postfix.smtpd.tls_security_level", NULL);
	ax_verdict_init(&st.out_level, "postfix.smtp.tls_security_level", NULL);
	ax_verdict_init(&st.auth_only, "postfix.smtpd.tls_auth_only", NULL);
	ax_verdict_init(&st.protos, "postfix.smtpd.tls_protocols", NULL);
	ax_verdict_init(&st.mprotos, "postfix.smtpd.tls_mandatory_protocols", NULL);
	ax_verdict_init(&st.ciphers, "postfix.smtpd.tls_mandatory_ciphers", NULL);
	ax_verdict_init(&st.certs, "postfix.tls.cert_files", NULL);
	ax_verdict_init(&st.keys, "postfix.tls.key_permissions", NULL);
	ax_verdict_init(&st.relay, "postfix.relay.restrictions", NULL);
	ax_verdict_init(&st.nets, "postfix.relay.mynetworks", NULL);
	ax_verdict_init(&st.vrfy, "postfix.smtpd.disable_vrfy", NULL);
	for (size_t i = 0; i < st.nsmtpd; i++)
		judge_service(&st, st.smtpd[i]);
	judge_files(&st);
	judge_globals(&st);

	rc = 0;
	ax_verdict_emit(ctx, &st.level, "every smtpd listener offers TLS", "no smtpd listener");
	ax_verdict_emit(ctx, &st.out_level, "outbound SMTP uses TLS", "not evaluated");
	ax_verdict_emit(ctx, &st.auth_only, "AUTH only over TLS (or not offered)", "no smtpd listener");
	ax_verdict_emit(ctx, &st.protos, "no SSLv2/SSLv3/TLSv1/TLSv1.1 allowed", "no smtpd listener");
	ax_verdict_emit(ctx, &st.mprotos, "no SSLv2/SSLv3/TLSv1/TLSv1.1 allowed for mandatory TLS", "no smtpd listener");
	ax_verdict_emit(ctx, &st.ciphers, "mandatory cipher grade medium or high", "no smtpd listener");
	ax_verdict_emit(ctx, &st.certs, "certificate and key files present", "no TLS files configured");
	ax_verdict_emit(ctx, &st.keys, "key files not accessible to others", "no key file configured");
	ax_verdict_emit(ctx, &st.relay, "relaying restricted on every smtpd listener", "no smtpd listener");
	ax_verdict_emit(ctx, &st.nets, "mynetworks within the allowed networks", "not evaluated");
	ax_verdict_emit(ctx, &st.vrfy, "VRFY disabled", "no smtpd listener");
	attach_effective(&st);
	rc = attach_redacted(ctx, "main.cf", &main_text) < 0 ? AX_ERROR : 0;
	if (st.master_cf && attach_redacted(ctx, "master.cf", &master_text) < 0)
		rc = AX_ERROR;
cleanup:
	free(st.smtpd);
	pf_main_free(st.main_cf);
	pf_master_free(st.master_cf);
	ax_buf_free(&main_text);
	ax_buf_free(&master_text);
	free(main_path);
	free(master_path);
	return rc;
}

const struct probe probe_postfix = {
	.name = "postfix",
	.summary = "Postfix main.cf/master.cf: TLS levels, protocols, ciphers, AUTH over TLS, key files, relaying, VRFY",
	.options = postfix_options,
	.checks = postfix_checks,
	.run = postfix_run,
};
