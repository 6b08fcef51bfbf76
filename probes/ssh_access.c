/* ssh_access.c - the `ssh-access` probe: how sshd authenticates and whose
 * keys open which account.
 *
 * The effective configuration comes from sshd itself (`sshd -T -f CONFIG`,
 * and `-C user=NAME` per account so Match User blocks apply), never from
 * parsing sshd_config here. Every account's AuthorizedKeysFile (and the
 * AuthorizedKeysCommand's output, when it needs no presented key) is read
 * below `root` and each key measured (authkeys_parse.h): type, size,
 * SHA256 fingerprint, option names, never the key or its comment. Keys
 * shared between accounts, keys outside an allowed-keys list and keys
 * added or removed since the previous run are reported. Account names are
 * pseudonyms unless [privacy] show-user-names is on. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authkeys_parse.h"
#include "etcfiles.h"
#include "access_changes.h"
#include "probe.h"
#include "redact.h"
#include "ssh_policy.h"
#include "subprocess.h"
#include "util.h"
#include "verdict.h"

#define SSHD_TIMEOUT_MS 30000
#define SSHD_OUTPUT_MAX ((size_t)1 << 20)
#define KEYS_FILE_MAX ((size_t)4 << 20)
#define ACCOUNTS_MAX 2000

static const struct ax_option ssh_options[] = {
	{"root", AX_OPT_STRING, "/", 0, NULL, 0, 0, "folder holding the system's /etc and home folders (a copy of a system, a container's root)"},
	{"sshd-config", AX_OPT_STRING, "/etc/ssh/sshd_config", 0, NULL, 0, 0, "sshd's configuration file below root"},
	{"sshd", AX_OPT_STRING, "sshd", 0, NULL, 0, 0, "the sshd program (looked up in /usr/sbin:/usr/bin:/sbin:/bin)"},
	{"host-key", AX_OPT_PATH, NULL, AX_OPT_MULTI, NULL, 0, 0, "host key passed to sshd -T as -h (when the configured ones are not readable)"},
	{"profile", AX_OPT_ENUM, "mozilla", 0, "mozilla|bsi", 0, 0, "algorithm profile: Mozilla's OpenSSH guidelines or BSI TR-02102-4"},
	{"root-login", AX_OPT_ENUM, "prohibit-password", 0, "no|forced-commands-only|prohibit-password", 0, 0,
	 "the most PermitRootLogin may allow"},
	{"min-rsa-bits", AX_OPT_INT, NULL, 0, NULL, 1024, 16384, "smallest RSA key allowed (default: the profile's, 3072 or 3000)"},
	{"allowed-keys", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "approved keys: authorized_keys lines or SHA256:... fingerprints"},
	{NULL},
};

static const struct ax_check_def ssh_checks[] = {
	{"ssh.config", "sshd -T reports the effective configuration"},
	{"ssh.password_auth", "sshd does not accept a password alone, for any account"},
	{"ssh.root_login", "PermitRootLogin allows no more than root-login"},
	{"ssh.algorithms", "ciphers, MACs, key exchange and key algorithms are within the profile"},
	{"ssh.keys", "every authorized key is of a current type and size"},
	{"ssh.shared_keys", "no key opens more than one account"},
	{"ssh.allowed_keys", "every authorized key is in the allowed-keys list"},
	{"ssh.changes", "authorized keys added and removed since the previous run"},
	AX_PROBE_KEY_CHECK,
	{NULL},
};

static const char *const ssh_files[] = {"/etc/ssh", "/etc/passwd", "/etc/group", "/home", "/root", NULL};

static const struct ax_probe_access ssh_access = {
	.flags = AX_ACCESS_EXEC | AX_ACCESS_ROOT, /* ~/.ssh is 0700, host keys 0600 */
	.root = "root",
	.under_root = ssh_files,
};

/* --- sshd -T --- */

struct ctx_run {
	struct ax_probe_ctx *ctx;
	const char *config; /* real path */
};

/* The effective settings (lowercase key -> value) for user (NULL: none
 * given); NULL with a message in err when sshd failed. */
static json_t *sshd_settings(struct ctx_run *r, const char *user, struct ax_buf *err)
{
	struct ax_probe_ctx *ctx = r->ctx;
	size_t nkeys = ax_probe_opt_count(ctx, "host-key"), n = 0;
	const char **argv = ax_calloc(nkeys * 2 + 8, sizeof(*argv));
	char *cuser = user ? ax_asprintf("user=%s", user) : NULL;
	struct ax_subprocess res = {0};
	json_t *out = NULL;
	argv[n++] = ax_probe_opt(ctx, "sshd");
	argv[n++] = "-T";
	argv[n++] = "-f";
	argv[n++] = r->config;
	for (size_t i = 0; i < nkeys; i++) {
		argv[n++] = "-h";
		argv[n++] = ax_probe_opt_at(ctx, "host-key", i);
	}
	if (cuser) {
		argv[n++] = "-C";
		argv[n++] = cuser;
	}
	int rc = ax_subprocess_run(argv, NULL, SSHD_TIMEOUT_MS, SSHD_OUTPUT_MAX, &res);
	if (rc < 0 || res.exit_code != 0) {
		const char *why = rc < 0 ? ax_error_last() : ax_buf_cstr(&res.err);
		ax_probe_safe_text(ctx, why, strcspn(why, "\n"), 300, err);
		if (!err->size)
			ax_buf_printf(err, "sshd -T exited with %d", res.exit_code);
		goto cleanup;
	}
	out = json_object();
	const char *p = ax_buf_cstr(&res.out), *end = p + res.out.size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		const char *sp = memchr(p, ' ', l);
		if (sp) {
			char *k = ax_strndup(p, (size_t)(sp - p)), *v = ax_strndup(sp + 1, l - (size_t)(sp - p) - 1);
			json_t *old = json_object_get(out, k);
			/* repeated keywords (listenaddress, hostkey): keep them all */
			if (old)
				json_object_set_new(out, k, json_sprintf("%s %s", json_string_value(old), v));
			else
				json_object_set_new(out, k, json_string(v));
			free(k);
			free(v);
		}
		p = nl ? nl + 1 : end;
	}
cleanup:
	ax_subprocess_free(&res);
	free(cuser);
	free(argv);
	return out;
}

static const char *setting(const json_t *conf, const char *key)
{
	const char *v = json_string_value(json_object_get(conf, key));
	return v ? v : "";
}

/* A password alone can log in: PasswordAuthentication, or keyboard-
 * interactive through PAM, unless every AuthenticationMethods list also
 * demands a public key. */
static int password_alone(const json_t *conf)
{
	int pw = strcmp(setting(conf, "passwordauthentication"), "yes") == 0 ||
		 (strcmp(setting(conf, "kbdinteractiveauthentication"), "yes") == 0 &&
		  strcmp(setting(conf, "usepam"), "yes") == 0) ||
		 strcmp(setting(conf, "permitemptypasswords"), "yes") == 0;
	const char *am = setting(conf, "authenticationmethods");
	if (!pw || !*am || strcmp(am, "any") == 0)
		return pw;
	char *lists = ax_strdup(am), *save = NULL;
	int all_pubkey = 1;
	for (char *l = strtok_r(lists, " ", &save); l; l = strtok_r(NULL, " ", &save))
		all_pubkey &= strstr(l, "publickey") != NULL;
	free(lists);
	return !all_pubkey;
}

static int root_rank(const char *v)
{
	static const char *const order[] = {"no", "forced-commands-only", "prohibit-password", "without-password", "yes", NULL};
	for (int i = 0; order[i]; i++)
		if (strcmp(order[i], v) == 0)
			return i == 3 ? 2 : i;
	return 4;
}

static void check_algorithms(struct ax_probe_ctx *ctx, const json_t *conf, const struct ssh_policy *prof)
{
	static const struct {
		const char *key;
		enum ssh_alg_kind kind;
	} lists[] = {{"ciphers", SSH_ALG_CIPHER}, {"macs", SSH_ALG_MAC}, {"kexalgorithms", SSH_ALG_KEX},
		     {"hostkeyalgorithms", SSH_ALG_KEY}, {"pubkeyacceptedalgorithms", SSH_ALG_KEY}};
	struct ax_verdict v;
	ax_verdict_init(&v, "ssh.algorithms", "settings");
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char *vals = ax_strdup(setting(conf, lists[i].key)), *save = NULL;
		json_t *bad = json_array();
		for (char *a = strtok_r(vals, ",", &save); a; a = strtok_r(NULL, ",", &save))
			if (!ssh_policy_ok(prof, lists[i].kind, a))
				json_array_append_new(bad, json_string(a));
		json_t *item = json_pack("{s:s,s:s,s:O}", "setting", lists[i].key, "value", setting(conf, lists[i].key),
					 "outside_profile", bad);
		if (json_array_size(bad)) {
			char *list = json_dumps(bad, JSON_COMPACT);
			ax_verdict_add(&v, AX_CHECK_FAIL, item, "%s outside %s: %s", lists[i].key, prof->name, list);
			free(list);
		} else {
			ax_verdict_add(&v, AX_CHECK_PASS, item, "%s", lists[i].key);
		}
		json_decref(bad);
		free(vals);
	}
	ax_verdict_emit(ctx, &v, "every algorithm sshd offers is within the profile", "");
}

/* --- authorized keys --- */

struct seen_key {
	char fingerprint[64];
	json_t *accounts; /* display names */
};

struct keyscan {
	struct ax_probe_ctx *ctx;
	const char *root;
	struct ax_verdict keys, allowed;
	struct seen_key *seen;
	size_t nseen;
	json_t *pop;
	json_t *allow; /* fingerprints, NULL: no list */
	int min_rsa;
	struct ax_buf errors;
	size_t files, nkeys;
};

static void record_key(struct keyscan *ks, const char *who, const char *source, const struct ax_authkey *k)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:s}", "account", who, "source", source, "type", k->type, "bits", k->bits,
			      "fingerprint", k->fingerprint);
	if (k->options)
		json_object_set_new(o, "options", json_string(k->options));
	if (k->from)
		json_object_set_new(o, "from", json_string(k->from));
	ks->nkeys++;
	json_array_append_new(ks->pop, json_sprintf("%s %s", who, k->fingerprint));
	if (strncmp(k->type, "ssh-dss", 7) == 0)
		ax_verdict_add(&ks->keys, AX_CHECK_FAIL, json_incref(o), "%s: %s key %s", who, k->type, k->fingerprint);
	else if (strncmp(k->type, "ssh-rsa", 7) == 0 && k->bits < ks->min_rsa)
		ax_verdict_add(&ks->keys, AX_CHECK_FAIL, json_incref(o), "%s: RSA key of %d bits %s", who, k->bits,
			       k->fingerprint);
	else
		ax_verdict_add(&ks->keys, AX_CHECK_PASS, json_incref(o), "%s", who);
	if (ks->allow) {
		if (json_object_get(ks->allow, k->fingerprint))
			ax_verdict_add(&ks->allowed, AX_CHECK_PASS, json_incref(o), "%s", who);
		else
			ax_verdict_add(&ks->allowed, AX_CHECK_FAIL, json_incref(o), "%s: key %s is not in allowed-keys", who,
				       k->fingerprint);
	}
	json_decref(o);
	size_t i;
	for (i = 0; i < ks->nseen; i++)
		if (strcmp(ks->seen[i].fingerprint, k->fingerprint) == 0)
			break;
	if (i == ks->nseen) {
		ks->seen = ax_realloc(ks->seen, (ks->nseen + 1) * sizeof(*ks->seen));
		snprintf(ks->seen[i].fingerprint, sizeof(ks->seen[i].fingerprint), "%s", k->fingerprint);
		ks->seen[i].accounts = json_array();
		ks->nseen++;
	}
	json_t *accts = ks->seen[i].accounts;
	for (size_t a = 0; a < json_array_size(accts); a++)
		if (strcmp(json_string_value(json_array_get(accts, a)), who) == 0)
			return;
	json_array_append_new(accts, json_string(who));
}

/* %% %h %u %U of sshd_config(5) TOKENS; NULL when it uses one that needs a
 * connection (%k %f %t ...). */
static char *expand_tokens(const char *s, const struct ax_etc_user *u)
{
	struct ax_buf b = AX_BUF_INIT;
	for (const char *p = s; *p; p++) {
		if (*p != '%') {
			ax_buf_putc(&b, *p);
			continue;
		}
		switch (*++p) {
		case '%': ax_buf_putc(&b, '%'); break;
		case 'h': ax_buf_puts(&b, u->home); break;
		case 'u': ax_buf_puts(&b, u->name); break;
		case 'U': ax_buf_printf(&b, "%ld", u->uid); break;
		default: ax_buf_free(&b); return NULL;
		}
		if (!*p)
			break;
	}
	ax_buf_putc(&b, '\0');
	return ax_buf_detach(&b);
}

static void scan_text(struct keyscan *ks, const char *who, const char *source, const char *text, size_t len)
{
	struct ax_authkeys keys = {0};
	ax_authkeys_parse(&keys, text, len);
	for (size_t i = 0; i < keys.n; i++)
		record_key(ks, who, source, &keys.keys[i]);
	if (keys.bad_lines)
		ax_buf_printf(&ks->errors, "%s: %s: %zu line(s) not a key; ", who, source, keys.bad_lines);
	ax_authkeys_free(&keys);
}

/* The AuthorizedKeysFile pattern as evidence names it: a Match User block
 * often spells the account out ("/etc/ssh/keys/alice"), so its name is
 * replaced by the account as the evidence shows it (its pseudonym). */
static char *source_name(const char *pattern, const struct ax_etc_user *u, const char *who)
{
	struct ax_buf b = AX_BUF_INIT;
	size_t n = strlen(u->name);
	const char *p = pattern, *hit;
	while (n && (hit = strstr(p, u->name)) != NULL) {
		ax_buf_put(&b, p, (size_t)(hit - p));
		ax_buf_puts(&b, who);
		p = hit + n;
	}
	ax_buf_puts(&b, p);
	ax_buf_putc(&b, '\0');
	return ax_buf_detach(&b);
}

static void scan_account(struct keyscan *ks, const struct ax_etc_user *u, const json_t *conf, const char *who)
{
	char *files = ax_strdup(setting(conf, "authorizedkeysfile")), *save = NULL;
	for (char *f = strtok_r(files, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		if (strcmp(f, "none") == 0)
			continue;
		char *path = expand_tokens(f, u);
		if (!path)
			continue;
		char *source = source_name(f, u, who);
		char *abs = path[0] == '/' ? ax_strdup(path) : ax_asprintf("%s/%s", u->home, path);
		char *real = ax_etc_path(ks->root, abs);
		struct ax_buf text = AX_BUF_INIT;
		int rc = ax_file_read(real, KEYS_FILE_MAX, &text);
		if (rc == 0) {
			ks->files++;
			scan_text(ks, who, source, ax_buf_cstr(&text), text.size);
		} else if (rc != AX_ENOTFOUND && access(real, F_OK) == 0) {
			ax_buf_printf(&ks->errors, "%s: %s unreadable; ", who, source);
		}
		ax_buf_free(&text);
		free(source);
		free(real);
		free(abs);
		free(path);
	}
	free(files);
	const char *cmd = setting(conf, "authorizedkeyscommand");
	if (*cmd && strcmp(cmd, "none") != 0) {
		char *line = expand_tokens(cmd, u), *save2 = NULL;
		if (!line) {
			ax_buf_printf(&ks->errors, "%s: AuthorizedKeysCommand needs a presented key (%%k/%%f/%%t), not run; ", who);
			return;
		}
		const char *argv[33];
		size_t n = 0;
		for (char *w = strtok_r(line, " ", &save2); w && n < 32; w = strtok_r(NULL, " ", &save2))
			argv[n++] = w;
		argv[n] = NULL;
		struct ax_subprocess res = {0};
		int rc = n ? ax_subprocess_run(argv, NULL, 10000, KEYS_FILE_MAX, &res) : AX_ENOTFOUND;
		/* like sshd: a non-zero exit means no keys for this user */
		if (rc == 0 && res.exit_code == 0)
			scan_text(ks, who, "AuthorizedKeysCommand", ax_buf_cstr(&res.out), res.out.size);
		else if (rc < 0)
			ax_buf_printf(&ks->errors, "%s: AuthorizedKeysCommand could not run (%s); ", who,
				      rc == AX_ETIMEOUT ? "timed out" : "not executable");
		ax_subprocess_free(&res);
		free(line);
	}
}

static json_t *load_allowed(struct ax_probe_ctx *ctx, const char *path, struct ax_buf *err)
{
	struct ax_buf text = AX_BUF_INIT;
	struct ax_authkeys keys = {0};
	if (ax_file_read(path, KEYS_FILE_MAX, &text) < 0) {
		ax_buf_printf(err, "allowed-keys: %s", ax_error_last());
		ax_buf_free(&text);
		return NULL;
	}
	json_t *set = json_object();
	ax_authkeys_parse(&keys, ax_buf_cstr(&text), text.size);
	for (size_t i = 0; i < keys.n; i++)
		json_object_set_new(set, keys.keys[i].fingerprint, json_true());
	/* bare fingerprints, one a line, as ssh-keygen -l prints them */
	for (const char *p = ax_buf_cstr(&text); (p = strstr(p, "SHA256:")) != NULL;) {
		size_t n = strspn(p + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
		if (n == 43) {
			char *fp = ax_strndup(p, 7 + n);
			json_object_set_new(set, fp, json_true());
			free(fp);
		}
		p += 7 + n;
	}
	(void)ctx;
	ax_authkeys_free(&keys);
	ax_buf_free(&text);
	return set;
}

static void report_keys(struct keyscan *ks)
{
	struct ax_probe_ctx *ctx = ks->ctx;
	struct ax_verdict shared;
	ax_verdict_init(&shared, "ssh.shared_keys", "keys");
	for (size_t i = 0; i < ks->nseen; i++) {
		json_t *accts = ks->seen[i].accounts;
		json_t *item = json_pack("{s:s,s:O}", "fingerprint", ks->seen[i].fingerprint, "accounts", accts);
		if (json_array_size(accts) > 1) {
			char *list = json_dumps(accts, JSON_COMPACT);
			ax_verdict_add(&shared, AX_CHECK_FAIL, item, "key %s opens %zu accounts %s", ks->seen[i].fingerprint,
				       json_array_size(accts), list);
			free(list);
		} else {
			ax_verdict_add(&shared, AX_CHECK_PASS, item, "%s", ks->seen[i].fingerprint);
		}
		json_decref(accts);
	}
	if (ks->errors.size)
		ax_verdict_add(&ks->keys, AX_CHECK_ERROR, NULL, "%s", ax_buf_cstr(&ks->errors));
	ax_verdict_emit(ctx, &ks->keys, "every authorized key is of a current type and size", "no authorized key found");
	ax_verdict_emit(ctx, &shared, "every key opens one account only", "no authorized key found");
	if (ks->allow)
		ax_verdict_emit(ctx, &ks->allowed, "every authorized key is in allowed-keys", "no authorized key found");
	else {
		ax_probe_result(ctx, "ssh.allowed_keys", AX_CHECK_SKIP, NULL, "no allowed-keys list configured");
		json_decref(ks->allowed.items);
	}
	ax_access_changes_report(ctx, "ssh.changes", "authorized keys", ks->pop);
}

static int ssh_run(struct ax_probe_ctx *ctx)
{
	const char *root = ax_probe_opt(ctx, "root"), *prof_name = ax_probe_opt(ctx, "profile");
	const struct ssh_policy *prof = ssh_policy_find(prof_name);
	char *config = ax_etc_path(root, ax_probe_opt(ctx, "sshd-config"));
	struct ctx_run r = {ctx, config};
	struct ax_etc_db db = {0};
	struct ax_buf err = AX_BUF_INIT, who = AX_BUF_INIT;
	struct keyscan ks = {.ctx = ctx, .root = root, .pop = json_array()};
	json_t *base = NULL;
	int rc;

	if (!prof) {
		json_decref(ks.pop);
		free(config);
		return ax_error_code(AX_EINVALID, "unknown profile %s", prof_name);
	}
	ax_probe_report_key(ctx);
	ks.min_rsa = ax_probe_opt(ctx, "min-rsa-bits") ? (int)ax_probe_opt_int(ctx, "min-rsa-bits") : prof->min_rsa;
	ax_verdict_init(&ks.keys, "ssh.keys", "keys");
	ax_verdict_init(&ks.allowed, "ssh.allowed_keys", "keys");
	if ((rc = ax_etc_load(&db, root, 0)) < 0)
		goto cleanup;
	if (ax_probe_opt(ctx, "allowed-keys")) {
		ks.allow = load_allowed(ctx, ax_probe_opt(ctx, "allowed-keys"), &err);
		if (!ks.allow)
			ax_verdict_add(&ks.allowed, AX_CHECK_ERROR, NULL, "%s", ax_buf_cstr(&err));
		ax_buf_clear(&err);
	}
	if (access(config, F_OK) < 0) {
		ax_probe_result(ctx, "ssh.config", AX_CHECK_SKIP, NULL, "%s does not exist (no sshd here)",
				ax_probe_opt(ctx, "sshd-config"));
		goto keys_only;
	}
	base = sshd_settings(&r, NULL, &err);
	if (!base) {
		ax_probe_result(ctx, "ssh.config", AX_CHECK_ERROR, NULL, "sshd -T: %s", ax_buf_cstr(&err));
		goto keys_only;
	}
	static const char *const shown[] = {"passwordauthentication", "kbdinteractiveauthentication", "usepam",
					    "permitemptypasswords", "permitrootlogin", "pubkeyauthentication",
					    "authenticationmethods", "authorizedkeysfile", "authorizedkeyscommand",
					    "maxauthtries", NULL};
	json_t *obs = json_object();
	for (size_t i = 0; shown[i]; i++) {
		/* a command line may carry a token: redacted like any evidence text */
		struct ax_buf red = AX_BUF_INIT;
		const char *v = setting(base, shown[i]);
		if (ax_redact(v, strlen(v), NULL, &red) == 0)
			json_object_set_new(obs, shown[i], json_string(ax_buf_cstr(&red)));
		ax_buf_free(&red);
	}
	json_object_set_new(obs, "profile", json_string(prof->name));
	json_object_set_new(obs, "profile_reference", json_string(prof->reference));
	ax_probe_result(ctx, "ssh.config", AX_CHECK_INFO, obs, "effective sshd configuration read (sshd -T)");
	check_algorithms(ctx, base, prof);

	struct ax_verdict pw, rl;
	ax_verdict_init(&pw, "ssh.password_auth", "accounts");
	ax_verdict_init(&rl, "ssh.root_login", "accounts");
	int base_pw = password_alone(base);
	ax_verdict_add(&pw, base_pw ? AX_CHECK_FAIL : AX_CHECK_PASS,
		       json_pack("{s:s,s:s,s:s}", "account", "(default)", "passwordauthentication",
				 setting(base, "passwordauthentication"), "kbdinteractiveauthentication",
				 setting(base, "kbdinteractiveauthentication")),
		       "sshd accepts a password alone");
	for (size_t i = 0; i < db.nusers && i < ACCOUNTS_MAX; i++) {
		const struct ax_etc_user *u = &db.users[i];
		if (strpbrk(u->name, ", ="))
			continue; /* sshd -C would split the name */
		json_t *conf = sshd_settings(&r, u->name, &err);
		ax_buf_clear(&who);
		ax_probe_user_name(ctx, u->name, &who);
		if (!conf) {
			ax_verdict_add(&ks.keys, AX_CHECK_ERROR, NULL, "%s: sshd -T -C: %s", ax_buf_cstr(&who), ax_buf_cstr(&err));
			ax_buf_clear(&err);
			continue;
		}
		int upw = password_alone(conf);
		if (upw != base_pw && ax_etc_interactive(u->shell))
			ax_verdict_add(&pw, upw ? AX_CHECK_FAIL : AX_CHECK_PASS,
				       json_pack("{s:s,s:s}", "account", ax_buf_cstr(&who), "passwordauthentication",
						 setting(conf, "passwordauthentication")),
				       "%s: a password alone is accepted (Match)", ax_buf_cstr(&who));
		if (u->uid == 0) {
			const char *prl = setting(conf, "permitrootlogin");
			int over = root_rank(prl) > root_rank(ax_probe_opt(ctx, "root-login"));
			ax_verdict_add(&rl, over ? AX_CHECK_FAIL : AX_CHECK_PASS,
				       json_pack("{s:s,s:s,s:s}", "account", ax_buf_cstr(&who), "permitrootlogin", prl,
						 "allowed", ax_probe_opt(ctx, "root-login")),
				       "%s: PermitRootLogin %s, more than %s", ax_buf_cstr(&who), prl,
				       ax_probe_opt(ctx, "root-login"));
		}
		scan_account(&ks, u, conf, ax_buf_cstr(&who));
		json_decref(conf);
	}
	ax_verdict_emit(ctx, &pw, "no account can log in over SSH with a password alone", "");
	ax_verdict_emit(ctx, &rl, "PermitRootLogin within root-login", "no account with UID 0");
	report_keys(&ks);
	goto cleanup;

keys_only:
	/* without sshd's view the default AuthorizedKeysFile is what counts */
	ax_probe_result(ctx, "ssh.password_auth", AX_CHECK_SKIP, NULL, "no effective sshd configuration");
	ax_probe_result(ctx, "ssh.root_login", AX_CHECK_SKIP, NULL, "no effective sshd configuration");
	ax_probe_result(ctx, "ssh.algorithms", AX_CHECK_SKIP, NULL, "no effective sshd configuration");
	{
		json_t *def = json_pack("{s:s}", "authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2");
		for (size_t i = 0; i < db.nusers && i < ACCOUNTS_MAX; i++) {
			ax_buf_clear(&who);
			ax_probe_user_name(ctx, db.users[i].name, &who);
			scan_account(&ks, &db.users[i], def, ax_buf_cstr(&who));
		}
		json_decref(def);
	}
	report_keys(&ks);
cleanup:
	free(ks.seen);
	json_decref(ks.pop);
	json_decref(ks.allow);
	json_decref(base);
	ax_buf_free(&ks.errors);
	ax_buf_free(&err);
	ax_buf_free(&who);
	ax_etc_db_free(&db);
	free(config);
	return rc;
}

const struct probe probe_ssh_access = {
	.name = "ssh-access",
	.summary = "sshd's effective authentication settings and algorithms, and every account's authorized keys",
	.options = ssh_options,
	.checks = ssh_checks,
	.run = ssh_run,
	.access = &ssh_access,
};
