/* probe.c - what a running probe sees: its options, clock, state folder and
 * pseudonym key, and the sink its results and artifacts go to.
 *
 * The context validates what a probe emits before it leaves (check ids must
 * be declared, sizes bounded), so a buggy probe fails here, in its own
 * process, not in the parent. */
#include "probe.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "mailbox.h"
#include "util.h"

const struct ax_option ax_common_options[] = {
	{"type", AX_OPT_STRING, NULL, AX_OPT_REQUIRED, NULL, 0, 0, "probe type (see `annexa --help`)"},
	{"interval", AX_OPT_DURATION, NULL, 0, NULL, 1, 31449600, "how often the daemon runs it (default: [annexa] interval)"},
	{"timeout", AX_OPT_DURATION, "60s", 0, NULL, 1, 86400, "deadline of one run; the whole process group is killed then"},
	{"freshness", AX_OPT_DURATION, NULL, 0, NULL, 1, 31449600, "results older than this are stale (default: 2 x interval)"},
	{"controls", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "extra Annex A controls this instance's checks evidence"},
	{"memory-limit", AX_OPT_SIZE, "1G", 0, NULL, 16777216, 68719476736LL, "address-space limit of the probe's process"},
	{"cpu-limit", AX_OPT_DURATION, NULL, 0, NULL, 1, 86400, "CPU seconds limit (default: timeout)"},
	{NULL},
};

struct ax_probe_ctx {
	const struct ax_probe_instance *inst;
	unsigned char key[64];
	size_t keylen;
	/* HMAC-SHA-256 under key, its two padded-key blocks hashed once: a
	 * pseudonym is then two short digests (a probe may make one per log
	 * line), not a key schedule and a digest fetch; tmp is scratch */
	EVP_MD_CTX *hmac_inner, *hmac_outer, *hmac_tmp;
	char *state_dir;
	int64_t now;
	struct ax_probe_sink sink;
	struct ax_probe_key_facts key_facts; /* path owned; NULL when unknown */
	int show_names;  /* [privacy] show-user-names */
	int error;       /* the first failed emit's code, 0 while none failed */
	char *error_msg; /* its message: later errors overwrite ax_error_last() */
};

const struct probe *ax_probe_find(const char *name)
{
	for (size_t i = 0; name && ax_probes[i]; i++)
		if (strcmp(ax_probes[i]->name, name) == 0)
			return ax_probes[i];
	return NULL;
}

const struct ax_option *ax_probe_option(const struct probe *p, const char *key)
{
	const struct ax_option *o = ax_option_find(ax_common_options, key);
	return o ? o : ax_option_find(p ? p->options : NULL, key);
}

int ax_probe_declares(const struct probe *p, const char *check)
{
	for (size_t i = 0; p->checks && p->checks[i].id; i++) {
		const char *id = p->checks[i].id;
		/* a wildcard's suffix is named by the probe from what it found:
		 * it must be an id itself */
		if (ax_check_pattern_matches(id, check) &&
		    ax_id_valid(check + ax_check_id_wildcard(id), AX_ID_MAX))
			return 1;
	}
	return 0;
}

/* The key fits the 64-byte SHA-256 block (ctx->key's size), so the padded
 * key is the key and zeros (RFC 2104). */
static void hmac_prepare(struct ax_probe_ctx *ctx)
{
	unsigned char ipad[64], opad[64];
	for (size_t i = 0; i < sizeof(ipad); i++) {
		unsigned char k = i < ctx->keylen ? ctx->key[i] : 0;
		ipad[i] = k ^ 0x36;
		opad[i] = k ^ 0x5c;
	}
	ctx->hmac_inner = EVP_MD_CTX_new();
	ctx->hmac_outer = EVP_MD_CTX_new();
	ctx->hmac_tmp = EVP_MD_CTX_new();
	if (!ctx->hmac_inner || !ctx->hmac_outer || !ctx->hmac_tmp ||
	    EVP_DigestInit_ex(ctx->hmac_inner, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx->hmac_inner, ipad, sizeof(ipad)) != 1 ||
	    EVP_DigestInit_ex(ctx->hmac_outer, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx->hmac_outer, opad, sizeof(opad)) != 1)
		ax_oom();
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
}

struct ax_probe_ctx *ax_probe_ctx_new(const struct ax_probe_instance *inst, const unsigned char *key,
				      size_t keylen, const char *state_dir, int64_t now,
				      const struct ax_probe_sink *sink)
{
	struct ax_probe_ctx *ctx = ax_calloc(1, sizeof(*ctx));
	ctx->inst = inst;
	if (keylen > sizeof(ctx->key))
		keylen = sizeof(ctx->key);
	if (key && keylen) {
		memcpy(ctx->key, key, keylen);
	} else {
		/* never a constant key (a guessed address could be tested against
		 * it): without one, pseudonyms are random per context */
		keylen = 32;
		if (getrandom(ctx->key, keylen, 0) != (ssize_t)keylen)
			abort(); /* no entropy: better no pseudonym than a guessable one */
	}
	ctx->keylen = keylen;
	hmac_prepare(ctx);
	ctx->state_dir = state_dir ? ax_strdup(state_dir) : NULL;
	ctx->now = now;
	ctx->sink = *sink;
	return ctx;
}

void ax_probe_ctx_free(struct ax_probe_ctx *ctx)
{
	if (!ctx)
		return;
	OPENSSL_cleanse(ctx->key, sizeof(ctx->key));
	EVP_MD_CTX_free(ctx->hmac_inner); /* frees cleanse their states */
	EVP_MD_CTX_free(ctx->hmac_outer);
	EVP_MD_CTX_free(ctx->hmac_tmp);
	free(ctx->state_dir);
	free((char *)ctx->key_facts.path);
	free(ctx->error_msg);
	free(ctx);
}

void ax_probe_ctx_set_show_names(struct ax_probe_ctx *ctx, int show)
{
	ctx->show_names = show != 0;
}

void ax_probe_user_name(const struct ax_probe_ctx *ctx, const char *name, struct ax_buf *out)
{
	char pseudo[20];
	if (ctx->show_names) {
		ax_buf_puts(out, name ? name : "");
		return;
	}
	ax_probe_pseudonym(ctx, name, pseudo);
	ax_buf_puts(out, pseudo);
}

void ax_probe_ctx_set_key_facts(struct ax_probe_ctx *ctx, const struct ax_probe_key_facts *facts)
{
	free((char *)ctx->key_facts.path);
	memset(&ctx->key_facts, 0, sizeof(ctx->key_facts));
	if (facts && facts->path) {
		ctx->key_facts = *facts;
		ctx->key_facts.path = ax_strdup(facts->path);
	}
}

void ax_probe_report_key(struct ax_probe_ctx *ctx)
{
	const struct ax_probe_key_facts *f = &ctx->key_facts;
	struct ax_buf mode = AX_BUF_INIT;
	if (!f->path)
		return;
	ax_buf_printf(&mode, "%04o", f->mode & 07777u);
	json_t *obs = json_pack("{s:s,s:s,s:I,s:s}", "path", f->path, "mode", mode.ptr, "size", (json_int_t)f->size,
				"source", f->generated ? "generated" : "configured");
	/* Anyone who reads the key can test a guessed address against every
	 * pseudonym in the evidence: the masking is only as private as it. */
	if (f->mode & 077)
		ax_probe_result(ctx, "privacy.pseudonym_key", AX_CHECK_FAIL, obs,
				      "pseudonym key %s is mode %s: group or others have access (want 0600 or 0400)",
				      f->path, mode.ptr);
	else if (f->size < AX_PROBE_KEY_MIN)
		ax_probe_result(ctx, "privacy.pseudonym_key", AX_CHECK_FAIL, obs,
				      "pseudonym key %s has %lld bytes, fewer than %d", f->path, (long long)f->size,
				      AX_PROBE_KEY_MIN);
	else
		ax_probe_result(ctx, "privacy.pseudonym_key", AX_CHECK_PASS, obs,
				      "pseudonym key %s: %lld bytes, mode %s (owner only), %s", f->path,
				      (long long)f->size, mode.ptr, f->generated ? "generated by annexa" : "configured");
	ax_buf_free(&mode);
}

const char *ax_probe_tmp(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/tmp";
}

const char *ax_probe_instance(const struct ax_probe_ctx *ctx)
{
	return ctx->inst->name;
}

size_t ax_probe_opt_count(const struct ax_probe_ctx *ctx, const char *key)
{
	size_t n = 0;
	for (size_t i = 0; i < ctx->inst->nopts; i++)
		if (strcmp(ctx->inst->opts[i].key, key) == 0)
			n++;
	if (n == 0) {
		const struct ax_option *o = ax_probe_option(ctx->inst->type, key);
		if (o && o->def)
			n = 1;
	}
	return n;
}

const char *ax_probe_opt_at(const struct ax_probe_ctx *ctx, const char *key, size_t idx)
{
	size_t n = 0;
	for (size_t i = 0; i < ctx->inst->nopts; i++)
		if (strcmp(ctx->inst->opts[i].key, key) == 0 && n++ == idx)
			return ctx->inst->opts[i].value;
	if (n == 0 && idx == 0) {
		const struct ax_option *o = ax_probe_option(ctx->inst->type, key);
		return o ? o->def : NULL;
	}
	return NULL;
}

const char *ax_probe_opt(const struct ax_probe_ctx *ctx, const char *key)
{
	return ax_probe_opt_at(ctx, key, 0);
}

int64_t ax_probe_opt_int(const struct ax_probe_ctx *ctx, const char *key)
{
	const struct ax_option *o = ax_probe_option(ctx->inst->type, key);
	const char *v = ax_probe_opt(ctx, key);
	int64_t num = 0;
	if (!o || !v || ax_option_parse(o, v, &num) < 0)
		return 0;
	return num;
}

int ax_probe_opt_bool(const struct ax_probe_ctx *ctx, const char *key)
{
	return ax_probe_opt_int(ctx, key) != 0;
}

const char *ax_probe_state_dir(const struct ax_probe_ctx *ctx)
{
	return ctx->state_dir;
}

json_t *ax_probe_state_load(const struct ax_probe_ctx *ctx, const char *name)
{
	json_t *doc = NULL;
	if (ctx->state_dir) {
		char *path = ax_asprintf("%s/%s", ctx->state_dir, name);
		doc = json_load_file(path, 0, NULL);
		free(path);
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		doc = json_object();
	}
	return doc;
}

void ax_probe_state_save(const struct ax_probe_ctx *ctx, const char *name, const json_t *doc)
{
	if (!ctx->state_dir)
		return;
	char *path = ax_asprintf("%s/%s", ctx->state_dir, name);
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		ax_oom();
	if (ax_file_write_atomic(path, text, strlen(text), 0600) < 0)
		ax_warn("%s: %s", ctx->inst->name, ax_error_last());
	free(text);
	free(path);
}

int64_t ax_probe_now(const struct ax_probe_ctx *ctx)
{
	return ctx->now;
}

void ax_probe_pseudonym(const struct ax_probe_ctx *ctx, const char *value, char out[static 20])
{
	char small[256], *norm = small;
	const char *s = value ? value : "";
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n > sizeof(small))
		norm = ax_malloc(n);
	for (size_t i = 0; i < n; i++)
		norm[i] = (char)tolower((unsigned char)s[i]);
	unsigned char inner[EVP_MAX_MD_SIZE], md[EVP_MAX_MD_SIZE];
	unsigned int innerlen = 0, mdlen = 0;
	EVP_MD_CTX *c = ctx->hmac_tmp;
	if (EVP_MD_CTX_copy_ex(c, ctx->hmac_inner) != 1 || EVP_DigestUpdate(c, norm, n) != 1 ||
	    EVP_DigestFinal_ex(c, inner, &innerlen) != 1 || EVP_MD_CTX_copy_ex(c, ctx->hmac_outer) != 1 ||
	    EVP_DigestUpdate(c, inner, innerlen) != 1 || EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		ax_oom();
	out[0] = 'p';
	out[1] = ':';
	ax_hex(md, 8, out + 2);
	if (norm != small)
		free(norm);
}

void ax_probe_safe_text(const struct ax_probe_ctx *ctx, const char *s, size_t len, size_t max, struct ax_buf *out)
{
	struct ax_buf plain = AX_BUF_INIT;
	size_t pos = 0, a, b;
	/* addresses first, on the raw bytes: cutting or escaping before would
	 * split a non-ASCII or cut address and leave part of it in clear */
	while (ax_mailbox_find(s, len, pos, &a, &b)) {
		char *addr = ax_strndup(s + a, b - a), pseudo[20];
		ax_probe_pseudonym(ctx, addr, pseudo);
		ax_buf_put(&plain, s + pos, a - pos);
		ax_buf_put(&plain, pseudo, 18);
		free(addr);
		pos = b;
	}
	ax_buf_put(&plain, s + pos, len - pos);
	size_t n = plain.size < max ? plain.size : max;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)plain.ptr[i];
		if (c < 0x20 || c >= 0x7f)
			ax_buf_printf(out, "\\x%02x", c);
		else
			ax_buf_putc(out, (char)c);
	}
	if (n < plain.size)
		ax_buf_puts(out, " [cut]");
	ax_buf_free(&plain);
}

/* Keeps the first failure: it is the cause, later ones its echoes. */
void ax_probe_note_error(struct ax_probe_ctx *ctx, int err)
{
	if (err >= 0 || ctx->error < 0)
		return;
	ctx->error = err;
	ctx->error_msg = ax_strdup(ax_error_last());
}

int ax_probe_ctx_error(const struct ax_probe_ctx *ctx)
{
	if (ctx->error < 0)
		ax_error_code(ctx->error, "%s", ctx->error_msg);
	return ctx->error;
}

void ax_probe_result(struct ax_probe_ctx *ctx, const char *check, enum ax_check_status status,
		     json_t *observed, const char *fmt, ...)
{
	struct ax_buf msg = AX_BUF_INIT;
	char *obs = NULL;
	int err = 0;
	va_list ap;
	va_start(ap, fmt);
	ax_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (!check || !ax_probe_declares(ctx->inst->type, check)) {
		err = ax_error_code(AX_EINVALID, "probe %s emitted undeclared check '%s'",
				    ctx->inst->type->name, check ? check : "(null)");
		goto cleanup;
	}
	if (msg.size > AX_MESSAGE_MAX)
		ax_buf_truncate(&msg, AX_MESSAGE_MAX);
	if (observed) {
		if (!json_is_object(observed)) {
			err = ax_error_code(AX_EINVALID, "%s: observed values must be a JSON object", check);
			goto cleanup;
		}
		obs = ax_json_dumps(observed, JSON_COMPACT | JSON_SORT_KEYS);
		if (strlen(obs) > AX_OBSERVED_MAX) {
			free(obs);
			obs = ax_strdup("{\"truncated\":true}");
		}
	}
	struct ax_result r = {
		.instance = ctx->inst->name,
		.probe_type = (char *)ctx->inst->type->name,
		.check = (char *)check,
		.status = status,
		.message = msg.ptr ? msg.ptr : "",
		.observed = obs ? obs : "{}",
		.collected_at = ctx->now,
	};
	err = ctx->sink.result(ctx->sink.arg, &r);
cleanup:
	json_decref(observed);
	free(obs);
	ax_buf_free(&msg);
	ax_probe_note_error(ctx, err);
}

void ax_probe_artifact(struct ax_probe_ctx *ctx, const char *name, const char *media_type,
		       const void *data, size_t len)
{
	struct ax_artifact a;
	memset(&a, 0, sizeof(a));
	a.instance = ctx->inst->name;
	a.name = (char *)name;
	a.media_type = (char *)(media_type ? media_type : "application/octet-stream");
	a.data.ptr = (char *)data;
	a.data.size = len;
	ax_sha256_hex(data, len, a.sha256);
	ax_probe_note_error(ctx, ctx->sink.artifact(ctx->sink.arg, &a));
}

void ax_probe_artifact_json(struct ax_probe_ctx *ctx, const char *name, const json_t *j, size_t flags)
{
	char *text = ax_json_dumps(j, flags);
	ax_probe_artifact(ctx, name, "application/json", text, strlen(text));
	free(text);
}

void ax_probe_artifact_json_take(struct ax_probe_ctx *ctx, const char *name, json_t *doc)
{
	ax_probe_artifact_json(ctx, name, doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
}
