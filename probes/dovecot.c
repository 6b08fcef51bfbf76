/* dovecot.c - the `dovecot` probe: dovecot.conf (with its includes) judged
 * for mandatory TLS, the minimum protocol, cleartext authentication and
 * the private key's permissions. Understands the 2.3 names (ssl_key,
 * disable_plaintext_auth) and the 2.4 ones (ssl_server_key_file,
 * auth_allow_cleartext, dovecot_config_version), with each version's
 * defaults. Evidence: the effective settings, secret-looking values
 * redacted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dovecot_conf.h"
#include "probe.h"
#include "redact.h"

static const struct ax_option dovecot_options[] = {
	{"config", AX_OPT_PATH, "/etc/dovecot/dovecot.conf", 0, NULL, 0, 0, "dovecot.conf to read (includes are followed)"},
	{NULL},
};

static const struct ax_check_def dovecot_checks[] = {
	{"dovecot.ssl.required", "ssl = required: no session without TLS"},
	{"dovecot.ssl.min_protocol", "minimum protocol TLSv1.2 or newer"},
	{"dovecot.auth.cleartext", "no cleartext authentication outside TLS"},
	{"dovecot.ssl.key_permissions", "the private key file is not readable or writable by others"},
	{NULL},
};

static int is_yes(const char *v)
{
	return v && (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0);
}

static int dovecot_run(struct ax_probe_ctx *ctx)
{
	struct dc_conf c;
	const char *path = ax_probe_opt(ctx, "config");
	int rc;
	memset(&c, 0, sizeof(c));
	if ((rc = dc_parse_file(&c, path, 0, 1)) < 0)
		goto cleanup;
	int v24 = dc_get(&c, "dovecot_config_version") != NULL;

	const char *ssl = dc_get(&c, "ssl");
	ssl = ssl ? ssl : "yes";
	ax_probe_result(ctx, "dovecot.ssl.required", strcmp(ssl, "required") == 0 ? AX_CHECK_PASS : AX_CHECK_FAIL,
			json_pack("{s:s}", "ssl", ssl), "ssl = %s%s", ssl,
			strcmp(ssl, "required") == 0 ? "" : " (sessions without TLS allowed)");

	const char *minp = dc_get(&c, "ssl_min_protocol");
	minp = minp ? minp : "TLSv1.2"; /* the default of 2.3.15+ and 2.4 */
	int modern = strcasecmp(minp, "TLSv1.2") == 0 || strcasecmp(minp, "TLSv1.3") == 0 || strcasecmp(minp, "LATEST") == 0;
	ax_probe_result(ctx, "dovecot.ssl.min_protocol", modern ? AX_CHECK_PASS : AX_CHECK_FAIL,
			json_pack("{s:s}", "ssl_min_protocol", minp), "ssl_min_protocol = %s", minp);

	const char *dpa = dc_get(&c, "disable_plaintext_auth"), *aac = dc_get(&c, "auth_allow_cleartext");
	int cleartext = aac ? is_yes(aac) : dpa ? !is_yes(dpa) : 0;
	ax_probe_result(ctx, "dovecot.auth.cleartext", cleartext ? AX_CHECK_FAIL : AX_CHECK_PASS,
			json_pack("{s:s,s:s,s:b}", "disable_plaintext_auth", dpa ? dpa : "(default yes)", "auth_allow_cleartext",
				  aac ? aac : "(default no)", "dovecot_2_4", v24),
			cleartext ? "cleartext authentication allowed without TLS" : "no cleartext authentication without TLS");

	const char *key = dc_get(&c, v24 ? "ssl_server_key_file" : "ssl_key");
	if (!key)
		key = dc_get(&c, v24 ? "ssl_key" : "ssl_server_key_file");
	if (!key || !*key) {
		ax_probe_result(ctx, "dovecot.ssl.key_permissions", AX_CHECK_SKIP, NULL, "no private key configured");
	} else {
		const char *file = key[0] == '<' ? key + 1 : key;
		while (*file == ' ')
			file++;
		struct stat sb;
		if (stat(file, &sb) < 0) {
			ax_probe_result(ctx, "dovecot.ssl.key_permissions", AX_CHECK_FAIL, json_pack("{s:s}", "path", file),
					"%s: %s", file, strerror(errno));
		} else {
			char mode[8];
			snprintf(mode, sizeof(mode), "%04o", (unsigned)(sb.st_mode & 07777));
			int open_to_others = (sb.st_mode & (S_IROTH | S_IWOTH)) != 0;
			ax_probe_result(ctx, "dovecot.ssl.key_permissions", open_to_others ? AX_CHECK_FAIL : AX_CHECK_PASS,
					json_pack("{s:s,s:s}", "path", file, "mode", mode), "%s has mode %s%s", file, mode,
					open_to_others ? " (readable or writable by others)" : "");
		}
	}

	json_t *eff = json_object();
	for (size_t i = 0; i < c.nsettings; i++) {
		const struct dc_setting *s = &c.settings[i];
		int secret = ax_redact_key_is_secret(s->path, strlen(s->path)) || strstr(s->path, "passdb") != NULL;
		json_object_set_new(eff, s->path, json_string(secret ? AX_REDACTED : s->value));
	}
	ax_probe_artifact_json(ctx, "dovecot-effective.json", eff, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(eff);
cleanup:
	dc_conf_release(&c);
	return rc;
}

/* dovecot.conf and its folder (conf.d includes) */
static const struct ax_probe_access dovecot_access = {.folders = (const char *const[]){"config", NULL}};

const struct probe probe_dovecot = {
	.name = "dovecot",
	.summary = "Dovecot configuration (2.3 and 2.4): ssl required, minimum protocol, cleartext auth, key permissions",
	.options = dovecot_options,
	.checks = dovecot_checks,
	.access = &dovecot_access,
	.run = dovecot_run,
};
