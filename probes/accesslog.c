/* accesslog.c - the `accesslog` probe: evidence that logging works and what
 * the access logs of Postfix, Dovecot, sshd and nginx show.
 *
 * Reads the current file and its rotations (plain or .gz) in one streaming
 * pass each, with bounded memory: one mapped window or line buffer per
 * file, a fixed-size table of failure sources and a bounded excerpt. Only
 * lines holding one of the format's phrases are parsed (found in bulk over
 * the whole block, see al_format_needles), so the cost per line that is
 * not an authentication event is a few vector compares. Rotations whose mtime is
 * older than `lookback` are read only up to their first timestamp (that is
 * all log.retention needs), so a run stays cheap on 90 days of logs. User
 * names never leave the probe in clear: evidence carries keyed pseudonyms. */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accesslog_parse.h"
#include "accesslog_report.h"
#include "logread.h"
#include "probe.h"
#include "util.h"

static const struct ax_option accesslog_options[] = {
	{"path", AX_OPT_PATH, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0,
	 "log file or glob, rotations included (e.g. /var/log/auth.log*); repeatable"},
	{"format", AX_OPT_ENUM, NULL, AX_OPT_REQUIRED, "postfix|dovecot|sshd|nginx", 0, 0, "what wrote the log"},
	{"max-silence", AX_OPT_DURATION, "1h", 0, NULL, 1, 31449600, "the newest entry must be younger than this"},
	{"min-retention", AX_OPT_DURATION, "90d", 0, NULL, 1, 315360000, "the oldest entry must be at least this old"},
	{"lookback", AX_OPT_DURATION, "24h", 0, NULL, 60, 31449600,
	 "period the auth checks look at (older rotations are only dated)"},
	{"window", AX_OPT_DURATION, "10m", 0, NULL, 1, 86400, "window in which failures per source are counted"},
	{"max-failures", AX_OPT_INT, "20", 0, NULL, 1, 1000000, "failed logins per source and window tolerated"},
	{"admin-user", AX_OPT_STRING, "root", AX_OPT_MULTI, NULL, 0, 0, "privileged account names (repeatable)"},
	{"privileged-login", AX_OPT_ENUM, "review", 0, "review|forbid", 0, 0,
	 "review: list privileged logins (info, log.privileged_logins); forbid: any is a failure "
	 "(log.privileged_logins.forbidden)"},
	{"max-line", AX_OPT_SIZE, "8k", 0, NULL, 256, 1048576, "longer lines are cut to this"},
	{"excerpt-lines", AX_OPT_INT, "20", 0, NULL, 0, 1000, "matching lines kept per check as evidence"},
	{NULL},
};

static const struct ax_check_def accesslog_checks[] = {
	{"log.present", "the log files exist and read without error"},
	{"log.fresh", "the newest entry is younger than max-silence: logging still works"},
	{"log.retention", "the oldest entry across the rotations covers min-retention"},
	{"log.permissions", "no log file is readable or writable by others"},
	{"log.auth_failures", "no source exceeds max-failures failed logins in a window"},
	{"log.privileged_logins", "privileged-login = review: logins of root or listed admin accounts, listed (info)"},
	{"log.privileged_logins.forbidden", "privileged-login = forbid: no login of root or a listed admin account"},
	{"log.cleartext_auth", "no login without TLS, where the format tells"},
	{NULL},
};

struct logfile {
	char *path;
	struct stat st;
};

static int by_age(const void *a, const void *b)
{
	const struct logfile *x = a, *y = b;
	if (x->st.st_mtime != y->st.st_mtime)
		return x->st.st_mtime < y->st.st_mtime ? -1 : 1;
	return -strcmp(x->path, y->path); /* same second: mail.log.2 before mail.log.1 */
}

/* Expands every `path` glob into regular files, oldest first. */
static void list_files(struct ax_probe_ctx *ctx, struct logfile **out, size_t *n, struct al_report *rep)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++) {
		const char *pat = ax_probe_opt_at(ctx, "path", i);
		glob_t g;
		memset(&g, 0, sizeof(g));
		if (glob(pat, GLOB_NOSORT, NULL, &g) != 0) {
			globfree(&g);
			al_report_problem(rep, "%s: no such file", pat);
			continue;
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			struct stat st;
			if (stat(g.gl_pathv[k], &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				*out = ax_realloc(*out, cap * sizeof(**out));
			}
			(*out)[*n].path = ax_strdup(g.gl_pathv[k]);
			(*out)[(*n)++].st = st;
		}
		globfree(&g);
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), by_age);
}

/* The line's timestamp: at its start, or (nginx access log) in brackets
 * after the client address and user. */
static int line_time(const struct al_report *rep, const char *p, size_t len, int64_t *t)
{
	size_t used;
	if (ax_logtime_parse(&rep->clock, p, len, t, &used) == 0)
		return 0;
	if (rep->format != AL_NGINX)
		return -1;
	const char *b = memchr(p, '[', len < 320 ? len : 320);
	return b ? ax_logtime_parse(&rep->clock, b, len - (size_t)(b - p), t, &used) : -1;
}

struct scan {
	struct al_report *rep;
	const char *path;
	struct al_state *st;
	struct ax_needles needles; /* none: every line is parsed (nginx) */
	int full, dated;
	char last_head[320]; /* the last line's head: its stamp dates the file's end */
	size_t last_len, head_max;
};

static void take_line(struct scan *s, const struct ax_logline *line)
{
	struct al_event ev;
	int64_t t;
	al_parse_line(s->st, line->ptr, line->len, &ev);
	if (ev.kind != AL_NONE && line_time(s->rep, line->ptr, line->len, &t) == 0)
		al_report_event(s->rep, &ev, t, s->path, line);
}

/* One block of lines: until the file is dated every line is looked at;
 * then (when `full`) only lines holding one of the format's phrases. */
static int scan_block(void *arg, struct ax_logblock *b)
{
	struct scan *s = arg;
	struct ax_logline line;
	int64_t first;
	while (!s->dated && ax_logblock_next(b, &line)) {
		if (line_time(s->rep, line.ptr, line.len, &first) == 0) {
			s->dated = 1;
			al_report_entry_time(s->rep, first);
			if (!s->full)
				return 1; /* an old rotation: its first stamp is all we need */
		}
		if (s->full)
			take_line(s, &line);
	}
	if (!s->full)
		return 0;
	if (s->needles.n) {
		const char *hit;
		while ((hit = ax_needles_find(&s->needles, ax_logblock_rest(b), b->end))) {
			ax_logblock_line_at(b, hit, &line);
			take_line(s, &line);
		}
	} else {
		while (ax_logblock_next(b, &line))
			take_line(s, &line);
	}
	ax_logblock_last(b, &line);
	s->last_len = line.len < s->head_max ? line.len : s->head_max;
	memcpy(s->last_head, line.ptr, s->last_len);
	return 0;
}

/* Reads one file: dates it, and (when `full`) feeds every auth event to rep. */
static void scan_file(struct al_report *rep, const struct logfile *f, int full, size_t max_line)
{
	struct ax_logread *r = NULL;
	struct scan s;
	const char *const *needles;
	int64_t t;

	memset(&s, 0, sizeof(s));
	s.rep = rep;
	s.path = f->path;
	s.full = full;
	/* the stamp starts a line, except in nginx access logs (after address and user) */
	s.head_max = rep->format == AL_NGINX ? sizeof(s.last_head) : 48;
	s.st = ax_malloc(sizeof(*s.st));
	al_state_init(s.st, rep->format);
	ax_needles_init(&s.needles, needles, al_format_needles(rep->format, &needles));
	if (ax_logread_open(&r, f->path, max_line) < 0 || ax_logread_scan(r, scan_block, &s) < 0)
		al_report_problem(rep, "%s", ax_error_last());
	if (s.last_len && line_time(rep, s.last_head, s.last_len, &t) == 0)
		al_report_entry_time(rep, t);
	ax_logread_free(r);
	free(s.st);
}

static int accesslog_run(struct ax_probe_ctx *ctx)
{
	struct logfile *files = NULL;
	size_t nfiles = 0;
	struct al_report rep;
	int64_t now = ax_probe_now(ctx);
	int64_t lookback = ax_probe_opt_int(ctx, "lookback");
	int rc;

	al_report_init(&rep, ctx, al_format_parse(ax_probe_opt(ctx, "format")));
	list_files(ctx, &files, &nfiles, &rep);
	for (size_t i = 0; i < nfiles; i++) {
		int newest = i + 1 == nfiles;
		al_report_permissions(&rep, files[i].path, &files[i].st);
		scan_file(&rep, &files[i], newest || (int64_t)files[i].st.st_mtime >= now - lookback,
			  (size_t)ax_probe_opt_int(ctx, "max-line"));
		rep.files++;
	}
	rc = al_report_emit(&rep);
	al_report_free(&rep);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].path);
	free(files);
	return rc;
}

/* log files and their rotations (the folder); adm reads them */
static const struct ax_probe_access accesslog_access = {.folders = (const char *const[]){"path", NULL}, .groups = "adm"};

const struct probe probe_accesslog = {
	.name = "accesslog",
	.summary = "access logs (Postfix, Dovecot, sshd, nginx): freshness, retention, permissions, "
		   "brute force, privileged and cleartext logins",
	.options = accesslog_options,
	.checks = accesslog_checks,
	.access = &accesslog_access,
	.run = accesslog_run,
};
