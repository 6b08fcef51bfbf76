/* file.c - the `file` probe: declarative checks on files and folders.
 *
 * Evidence that a file exists, is recent (logging still works), carries no
 * permission bits beyond a mask, has the right owner and group, and that
 * configured settings are present or absent in its content. A content
 * check records the pattern and the line number it matched, not the line:
 * the text of the line (evidence-lines = true) and an attached file are
 * redacted with the context of the whole file, so a line inside a private
 * key block is never shown alone. The probe never reads more than max-size
 * bytes of a file. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probe.h"
#include "redact.h"
#include "verdict.h"
#include "util.h"

static const struct ax_option file_options[] = {
	{"path", AX_OPT_PATH, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0, "file or folder to check (repeatable)"},
	{"exists", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "whether the path must exist (false: must not)"},
	{"max-age", AX_OPT_DURATION, NULL, 0, NULL, 1, 31449600, "newest modification must be younger than this"},
	{"min-age", AX_OPT_DURATION, NULL, 0, NULL, 1, 31449600, "modification must be older than this"},
	{"mode-max", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "octal mask; no permission bit beyond it (e.g. 0640)"},
	{"owner", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "required owner (name or uid)"},
	{"group", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "required group (name or gid)"},
	{"contains", AX_OPT_REGEX, NULL, AX_OPT_MULTI, NULL, 0, 0, "extended regex a line must match (repeatable)"},
	{"absent", AX_OPT_REGEX, NULL, AX_OPT_MULTI, NULL, 0, 0, "extended regex no line may match (repeatable)"},
	{"redact", AX_OPT_REGEX, NULL, 0, NULL, 0, 0, "extra regex whose matches are redacted from evidence"},
	{"attach", AX_OPT_BOOL, "false", 0, NULL, 0, 0, "attach the (redacted) file content as evidence"},
	{"evidence-lines", AX_OPT_BOOL, "false", 0, NULL, 0, 0, "record the (redacted) text of matched lines, not only their number"},
	{"max-size", AX_OPT_SIZE, "16M", 0, NULL, 1, 1073741824, "largest content read"},
	{NULL},
};

static const struct ax_check_def file_checks[] = {
	{"file.exists", "the path exists (or, with exists = false, does not)"},
	{"file.age", "the modification time lies within max-age / min-age"},
	{"file.mode", "no permission bit beyond mode-max"},
	{"file.owner", "owned by the required user"},
	{"file.group", "owned by the required group"},
	{"file.content.present", "every `contains` pattern matches a line"},
	{"file.content.absent", "no `absent` pattern matches a line"},
	{NULL},
};

static int resolve_id(const char *want, int is_group, long *out)
{
	char *end;
	long n = strtol(want, &end, 10);
	if (*want && *end == '\0') {
		*out = n;
		return 0;
	}
	if (is_group) {
		struct group *g = getgrnam(want);
		if (!g)
			return -1;
		*out = (long)g->gr_gid;
	} else {
		struct passwd *p = getpwnam(want);
		if (!p)
			return -1;
		*out = (long)p->pw_uid;
	}
	return 0;
}

/* The 1-based number of the line of text that holds offset off. */
static size_t line_number(const char *text, size_t off)
{
	size_t n = 1;
	for (const char *p = text; (p = memchr(p, '\n', off - (size_t)(p - text))) != NULL; p++)
		n++;
	return n;
}

/* Line lineno (1-based) of text, NULL past the end; a new string. */
static char *line_text(const struct ax_buf *text, size_t lineno)
{
	const char *p = ax_buf_cstr(text), *end = p + text->size;
	for (size_t n = 1; n < lineno && p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	if (p >= end)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = (size_t)((nl ? nl : end) - p);
	return ax_strndup(p, len > 512 ? 512 : len);
}

/* redacted: the whole file redacted (NULL unless evidence-lines). */
static void check_content(struct ax_probe_ctx *ctx, const char *path, const struct ax_buf *content,
			  const struct ax_buf *redacted, struct ax_verdict *present, struct ax_verdict *absent)
{
	for (int want_absent = 0; want_absent < 2; want_absent++) {
		const char *key = want_absent ? "absent" : "contains";
		struct ax_verdict *v = want_absent ? absent : present;
		for (size_t i = 0; i < ax_probe_opt_count(ctx, key); i++) {
			const char *pat = ax_probe_opt_at(ctx, key, i);
			regex_t re;
			regmatch_t m;
			if (regcomp(&re, pat, REG_EXTENDED | REG_NEWLINE) != 0) {
				ax_verdict_add(v, AX_CHECK_ERROR, NULL, "%s: invalid pattern '%s'", key, pat);
				continue;
			}
			int found = content->ptr && regexec(&re, content->ptr, 1, &m, 0) == 0;
			size_t lineno = found ? line_number(content->ptr, (size_t)m.rm_so) : 0;
			json_t *item = json_pack("{s:s,s:s,s:b}", "path", path, "pattern", pat, "matched", found);
			if (found) {
				json_object_set_new(item, "line", json_integer((json_int_t)lineno));
				char *text = redacted ? line_text(redacted, lineno) : NULL;
				if (text)
					json_object_set_new(item, "text", json_string(text));
				free(text);
			}
			if (found == want_absent && want_absent)
				ax_verdict_add(v, AX_CHECK_FAIL, item, "%s line %zu matches '%s'", path, lineno, pat);
			else if (found == want_absent)
				ax_verdict_add(v, AX_CHECK_FAIL, item, "%s lacks '%s'", path, pat);
			else
				ax_verdict_add(v, AX_CHECK_PASS, item, "%s", path);
			regfree(&re);
		}
	}
}

static int file_run(struct ax_probe_ctx *ctx)
{
	struct ax_verdict exists, age, mode, owner, group, present, absent;
	int want_exists = ax_probe_opt_bool(ctx, "exists");
	int64_t max_age = ax_probe_opt_int(ctx, "max-age"), min_age = ax_probe_opt_int(ctx, "min-age");
	const char *mask_s = ax_probe_opt(ctx, "mode-max");
	const char *want_owner = ax_probe_opt(ctx, "owner"), *want_group = ax_probe_opt(ctx, "group");
	long mask = -1;
	int rc = 0;

	ax_verdict_init(&exists, "file.exists", "paths");
	ax_verdict_init(&age, "file.age", "paths");
	ax_verdict_init(&mode, "file.mode", "paths");
	ax_verdict_init(&owner, "file.owner", "paths");
	ax_verdict_init(&group, "file.group", "paths");
	ax_verdict_init(&present, "file.content.present", "paths");
	ax_verdict_init(&absent, "file.content.absent", "paths");
	if (mask_s) {
		char *end;
		mask = strtol(mask_s, &end, 8);
		if (*end || mask < 0 || mask > 07777) {
			ax_verdict_add(&mode, AX_CHECK_ERROR, NULL, "mode-max '%s' is not an octal mode", mask_s);
			mask = -1;
		}
	}

	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++) {
		const char *path = ax_probe_opt_at(ctx, "path", i);
		struct stat st;
		if (lstat(path, &st) < 0) {
			int missing = errno == ENOENT || errno == ENOTDIR;
			if (!missing)
				ax_verdict_add(&exists, AX_CHECK_ERROR, NULL, "%s: %s", path, strerror(errno));
			else
				ax_verdict_add(&exists, want_exists ? AX_CHECK_FAIL : AX_CHECK_PASS,
					    json_pack("{s:s,s:b}", "path", path, "exists", 0), "%s does not exist", path);
			continue;
		}
		ax_verdict_add(&exists, want_exists ? AX_CHECK_PASS : AX_CHECK_FAIL,
			    json_pack("{s:s,s:b}", "path", path, "exists", 1), "%s exists", path);
		int64_t file_age = ax_probe_now(ctx) - (int64_t)st.st_mtime;
		if (max_age || min_age) {
			char mt[32];
			ax_time_format((int64_t)st.st_mtime, mt);
			json_t *item = json_pack("{s:s,s:s,s:I}", "path", path, "modified", mt, "age_seconds", (json_int_t)file_age);
			if (max_age && file_age > max_age)
				ax_verdict_add(&age, AX_CHECK_FAIL, item, "%s last modified %s, older than max-age", path, mt);
			else if (min_age && file_age < min_age)
				ax_verdict_add(&age, AX_CHECK_FAIL, item, "%s modified %s, younger than min-age", path, mt);
			else
				ax_verdict_add(&age, AX_CHECK_PASS, item, "%s", path);
		}
		if (mask >= 0) {
			unsigned perm = st.st_mode & 07777;
			char have[8];
			snprintf(have, sizeof(have), "%04o", perm);
			json_t *item = json_pack("{s:s,s:s,s:s}", "path", path, "mode", have, "mode_max", mask_s);
			if (perm & ~(unsigned)mask)
				ax_verdict_add(&mode, AX_CHECK_FAIL, item, "%s has mode %s, beyond %s", path, have, mask_s);
			else
				ax_verdict_add(&mode, AX_CHECK_PASS, item, "%s", path);
		}
		for (int g = 0; g < 2; g++) {
			const char *want = g ? want_group : want_owner;
			struct ax_verdict *v = g ? &group : &owner;
			long id, have = g ? (long)st.st_gid : (long)st.st_uid;
			if (!want)
				continue;
			if (resolve_id(want, g, &id) < 0) {
				ax_verdict_add(v, AX_CHECK_ERROR, NULL, "unknown %s '%s'", g ? "group" : "user", want);
				continue;
			}
			json_t *item = json_pack("{s:s,s:I,s:I}", "path", path, g ? "gid" : "uid", (json_int_t)have,
						 "expected", (json_int_t)id);
			if (have != id)
				ax_verdict_add(v, AX_CHECK_FAIL, item, "%s is owned by %s %ld, not %s", path,
					    g ? "group" : "user", have, want);
			else
				ax_verdict_add(v, AX_CHECK_PASS, item, "%s", path);
		}
		if (!S_ISREG(st.st_mode) || (!ax_probe_opt_count(ctx, "contains") && !ax_probe_opt_count(ctx, "absent") &&
					     !ax_probe_opt_bool(ctx, "attach")))
			continue;
		struct ax_buf content = AX_BUF_INIT;
		if (ax_file_read(path, (size_t)ax_probe_opt_int(ctx, "max-size"), &content) < 0) {
			ax_verdict_add(&present, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
			ax_verdict_add(&absent, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
			ax_buf_free(&content);
			continue;
		}
		int lines = ax_probe_opt_bool(ctx, "evidence-lines"), attach = ax_probe_opt_bool(ctx, "attach");
		struct ax_buf red = AX_BUF_INIT;
		int red_ok = (lines || attach) &&
			     ax_redact(ax_buf_cstr(&content), content.size, ax_probe_opt(ctx, "redact"), &red) == 0;
		check_content(ctx, path, &content, red_ok && lines ? &red : NULL, &present, &absent);
		if (attach && red_ok) {
			const char *base = strrchr(path, '/');
			ax_probe_artifact(ctx, base ? base + 1 : path, "text/plain", red.ptr ? red.ptr : "", red.size);
		}
		ax_buf_free(&red);
		ax_buf_free(&content);
	}
	if (!present.touched && ax_probe_opt_count(ctx, "contains"))
		ax_verdict_add(&present, AX_CHECK_FAIL, NULL, "no readable file to search");
	if (!absent.touched && ax_probe_opt_count(ctx, "absent") && want_exists)
		ax_verdict_add(&absent, AX_CHECK_ERROR, NULL, "no readable file to search");

	ax_verdict_emit(ctx, &exists, want_exists ? "every path exists" : "no path exists", "no path configured");
	ax_verdict_emit(ctx, &age, "modification times within bounds", "no max-age/min-age configured");
	ax_verdict_emit(ctx, &mode, "no permission bits beyond the mask", "no mode-max configured");
	ax_verdict_emit(ctx, &owner, "owner as required", "no owner configured");
	ax_verdict_emit(ctx, &group, "group as required", "no group configured");
	ax_verdict_emit(ctx, &present, "every required setting present", "no `contains` pattern configured");
	ax_verdict_emit(ctx, &absent, "no forbidden setting present", "no `absent` pattern configured");
	return rc ? AX_ERROR : 0;
}

const struct probe probe_file = {
	.name = "file",
	.summary = "files and folders: existence, age, permissions, owner, required and forbidden content",
	.options = file_options,
	.checks = file_checks,
	.run = file_run,
};
