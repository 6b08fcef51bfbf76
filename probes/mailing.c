/* mailing.c - the `mailing` probe: what campaign recipients receive.
 *
 * Reads sample campaign messages (.eml files, folders of them, or a
 * Maildir's cur/ and new/) up to max-messages, each at most max-size, and
 * checks every message for the RFC 2369 / RFC 8058 unsubscribe headers, a
 * DKIM signature covering them, a visible unsubscribe link and the sender
 * identification. Evidence names files and flags only: no body text and no
 * recipient address leaves the probe. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "mailing_msg.h"
#include "msgfiles.h"
#include "probe.h"
#include "util.h"

static const struct ax_option mailing_options[] = {
	{"path", AX_OPT_PATH, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0,
	 ".eml file, folder of messages or Maildir (repeatable)"},
	{"unsubscribe-pattern", AX_OPT_REGEX,
	 "unsubscribe|abmelden|austragen|abbestellen|opt-?out|se d[eé]sinscrire|d[eé]sabonner", 0, NULL, 0, 0,
	 "extended regex (case-insensitive) a link's URL or text must match to count as unsubscribe link"},
	{"sender-pattern", AX_OPT_REGEX, NULL, 0, NULL, 0, 0,
	 "extended regex (case-insensitive) the body text must match: the sender identification/imprint"},
	{"require-one-click", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "require List-Unsubscribe-Post (RFC 8058)"},
	{"max-messages", AX_OPT_INT, "100", 0, NULL, 1, 100000, "messages read at most"},
	{"max-size", AX_OPT_SIZE, "10M", 0, NULL, 1024, 268435456, "largest message read"},
	{NULL},
};

static const struct ax_check_def mailing_checks[] = {
	{"mailing.list_unsubscribe", "every message has List-Unsubscribe with an https or mailto URI (RFC 2369)"},
	{"mailing.one_click", "every message has List-Unsubscribe-Post: List-Unsubscribe=One-Click and an https URI (RFC 8058)"},
	{"mailing.dkim_covers_unsubscribe", "a DKIM signature's h= covers List-Unsubscribe (and -Post)"},
	{"mailing.unsubscribe_link", "a visible unsubscribe link in the body"},
	{"mailing.sender_identification", "the body identifies the sender (sender-pattern)"},
	{NULL},
};

enum { C_UNSUB, C_ONECLICK, C_DKIM, C_LINK, C_SENDER, C_COUNT };

struct tally {
	uint64_t checked, failed, errors;
	uint64_t html_recovered; /* messages whose HTML needed error recovery */
	json_t *failing; /* file names, capped */
	struct ax_buf first_error;
};

static void tally_add(struct tally *t, const char *file, int ok)
{
	t->checked++;
	if (ok)
		return;
	t->failed++;
	if (json_array_size(t->failing) < 20)
		json_array_append_new(t->failing, json_string(file));
}

static void tally_error(struct tally *t, const char *file, const char *msg)
{
	t->errors++;
	if (!t->first_error.size)
		ax_buf_printf(&t->first_error, "%s: %s", file, msg);
}

static void inspect_file(const char *path, size_t max_size, const regex_t *unsub, const regex_t *sender,
			 int one_click_required, struct tally *t)
{
	struct ax_buf data = AX_BUF_INIT;
	struct ax_mailing_report r;
	if (ax_file_read(path, max_size, &data) < 0 || ax_mailing_inspect(data.ptr ? data.ptr : "", data.size, unsub, sender, &r) < 0) {
		char *msg = ax_strdup(ax_error_last());
		for (int c = 0; c < C_COUNT; c++)
			tally_error(&t[c], path, msg);
		free(msg);
		goto cleanup;
	}
	tally_add(&t[C_UNSUB], path, r.list_unsubscribe);
	if (one_click_required)
		tally_add(&t[C_ONECLICK], path, r.one_click && r.unsubscribe_https);
	tally_add(&t[C_DKIM], path, r.dkim_signed && r.dkim_covers);
	tally_add(&t[C_LINK], path, r.unsubscribe_link);
	t[C_LINK].html_recovered += r.html_recovered != 0;
	if (sender) {
		tally_add(&t[C_SENDER], path, r.sender_identified == 1);
		t[C_SENDER].html_recovered += r.html_recovered != 0;
	}
cleanup:
	ax_buf_free(&data);
}

static void emit(struct ax_probe_ctx *ctx, const char *check, struct tally *t, const char *what, const char *skip)
{
	json_t *obs = json_pack("{s:I,s:I,s:I,s:O}", "messages", (json_int_t)t->checked, "failing", (json_int_t)t->failed,
				"errors", (json_int_t)t->errors, "failing_files", t->failing);
	/* Recovered HTML is judged as rendered; say so, the sender may want to fix it. */
	char *note = t->html_recovered ? ax_asprintf(" (%llu with malformed HTML, read as a browser would)",
						     (unsigned long long)t->html_recovered)
				       : ax_strdup("");
	if (t->html_recovered)
		json_object_set_new(obs, "html_recovered", json_integer((json_int_t)t->html_recovered));
	if (skip)
		ax_probe_result(ctx, check, AX_CHECK_SKIP, obs, "%s", skip);
	else if (t->errors)
		ax_probe_result(ctx, check, AX_CHECK_ERROR, obs, "%llu message(s) could not be read: %s",
				      (unsigned long long)t->errors, ax_buf_cstr(&t->first_error));
	else if (!t->checked)
		ax_probe_result(ctx, check, AX_CHECK_ERROR, obs, "no message found in path");
	else if (t->failed)
		ax_probe_result(ctx, check, AX_CHECK_FAIL, obs, "%llu of %llu message(s) lack %s%s",
				      (unsigned long long)t->failed, (unsigned long long)t->checked, what, note);
	else
		ax_probe_result(ctx, check, AX_CHECK_PASS, obs, "all %llu message(s) have %s%s",
				      (unsigned long long)t->checked, what, note);
	free(note);
}

static int mailing_run(struct ax_probe_ctx *ctx)
{
	regex_t unsub, sender;
	int have_unsub = 0, have_sender = 0, err = 0;
	struct tally t[C_COUNT];
	size_t max = (size_t)ax_probe_opt_int(ctx, "max-messages"), n = 0;
	char **files = ax_calloc(max + 1, sizeof(char *));
	const char *sender_pat = ax_probe_opt(ctx, "sender-pattern");
	int one_click = ax_probe_opt_bool(ctx, "require-one-click");

	memset(t, 0, sizeof(t));
	for (int c = 0; c < C_COUNT; c++)
		t[c].failing = json_array();
	if (regcomp(&unsub, ax_probe_opt(ctx, "unsubscribe-pattern"), REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
		err = ax_error_code(AX_EINVALID, "unsubscribe-pattern: not a valid extended regex");
		goto cleanup;
	}
	have_unsub = 1;
	if (sender_pat) {
		if (regcomp(&sender, sender_pat, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			err = ax_error_code(AX_EINVALID, "sender-pattern: not a valid extended regex");
			goto cleanup;
		}
		have_sender = 1;
	}
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++) {
		if (ax_msgfiles_collect(ax_probe_opt_at(ctx, "path", i), max, files, &n) == 0)
			continue;
		/* a path that cannot be listed: its messages are unknown (the
		 * message already names the path) */
		const char *path = ax_probe_opt_at(ctx, "path", i), *msg = ax_error_last();
		size_t plen = strlen(path);
		if (strncmp(msg, path, plen) == 0 && msg[plen] == ':')
			msg += plen + (msg[plen + 1] == ' ' ? 2 : 1);
		for (int c = 0; c < C_COUNT; c++)
			tally_error(&t[c], path, msg);
	}
	for (size_t i = 0; i < n; i++)
		inspect_file(files[i], (size_t)ax_probe_opt_int(ctx, "max-size"), &unsub, have_sender ? &sender : NULL,
			     one_click, t);
	emit(ctx, "mailing.list_unsubscribe", &t[C_UNSUB], "a List-Unsubscribe header with an https or mailto URI", NULL);
	emit(ctx, "mailing.one_click", &t[C_ONECLICK], "RFC 8058 one-click unsubscribe (List-Unsubscribe-Post and an https URI)",
		    one_click ? NULL : "require-one-click = false");
	emit(ctx, "mailing.dkim_covers_unsubscribe", &t[C_DKIM], "a DKIM signature covering the unsubscribe headers", NULL);
	emit(ctx, "mailing.unsubscribe_link", &t[C_LINK], "a visible unsubscribe link", NULL);
	emit(ctx, "mailing.sender_identification", &t[C_SENDER], "the sender identification",
		    have_sender ? NULL : "no sender-pattern configured");
	err = err ? AX_ERROR : 0;
cleanup:
	if (have_unsub)
		regfree(&unsub);
	if (have_sender)
		regfree(&sender);
	for (int c = 0; c < C_COUNT; c++) {
		json_decref(t[c].failing);
		ax_buf_free(&t[c].first_error);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return err;
}

const struct probe probe_mailing = {
	.name = "mailing",
	.summary = "campaign messages: List-Unsubscribe (RFC 2369/8058), DKIM coverage, visible unsubscribe link, imprint",
	.options = mailing_options,
	.checks = mailing_checks,
	.run = mailing_run,
};
