/* retention_sources.c - the four evidence sources of the retention-job
 * probe (see retention_sources.h): log files and status files through the
 * shared log reader, journal exports through journal_export, databases
 * through leaddb. Each streams its input and keeps only times, counts and
 * a bounded ring of evidence lines that were made safe before they are
 * kept. */
#include "retention_sources.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal_export.h"
#include "leaddb.h"
#include "logread.h"
#include "population.h"
#include "probe.h"
#include "redact.h"
#include "util.h"

enum { RJ_RUN = 1, RJ_SUCCESS = 2, RJ_FAILURE = 4 };
#define RJ_FUTURE_SLACK 86400

void rj_summary_init(struct rj_summary *s, struct ax_probe_ctx *ctx, int64_t max_age, size_t excerpt_max)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->now = ax_probe_now(ctx);
	s->since = s->now - max_age;
	s->excerpt_max = excerpt_max < RJ_EXCERPT_MAX ? excerpt_max : RJ_EXCERPT_MAX;
	s->max_line = 8192;
}

void rj_summary_free(struct rj_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < RJ_EXCERPT_MAX; i++)
		ax_buf_free(&s->excerpt[i]);
}

void rj_summary_excerpt(const struct rj_summary *s, struct ax_buf *out)
{
	size_t first = s->nexcerpt < s->excerpt_max ? 0 : s->excerpt_next;
	for (size_t i = 0; i < s->nexcerpt; i++) {
		ax_buf_puts(out, ax_buf_cstr(&s->excerpt[(first + i) % s->excerpt_max]));
		ax_buf_putc(out, '\n');
	}
}

/* prefix + text with e-mail addresses pseudonymised, cut to RJ_LINE_MAX,
 * non-printables escaped, then redacted. */
static void safe_line(const struct rj_summary *s, const char *prefix, const char *p, size_t len, struct ax_buf *out)
{
	struct ax_buf tmp = AX_BUF_INIT;
	ax_buf_puts(&tmp, prefix);
	ax_probe_safe_text(s->ctx, p, len, RJ_LINE_MAX, &tmp);
	ax_buf_clear(out);
	if (ax_redact(ax_buf_cstr(&tmp), tmp.size, s->redact, out) < 0) {
		ax_buf_clear(out);
		ax_buf_puts(out, AX_REDACTED);
	}
	ax_buf_free(&tmp);
}

static void excerpt_add(struct rj_summary *s, const char *prefix, const char *p, size_t len)
{
	if (!s->excerpt_max)
		return;
	safe_line(s, prefix, p, len, &s->excerpt[s->excerpt_next]);
	s->excerpt_next = (s->excerpt_next + 1) % s->excerpt_max;
	if (s->nexcerpt < s->excerpt_max)
		s->nexcerpt++;
}

/* Records what one dated entry says. */
static void note(struct rj_summary *s, int kind, int64_t t)
{
	if (t > s->now + RJ_FUTURE_SLACK) {
		s->undated++; /* a stamp in the future is no evidence of a run */
		return;
	}
	int in = t >= s->since;
	if (in && s->pop && (kind & (RJ_RUN | RJ_SUCCESS | RJ_FAILURE))) {
		char at[32], item[48];
		ax_time_format(t, at);
		s->pop_dup = t == s->pop_last ? s->pop_dup + 1 : 0;
		s->pop_last = t;
		snprintf(item, sizeof(item), "%s/%u", at, s->pop_dup);
		const char *vals[] = {at, kind & RJ_FAILURE ? "failure" : kind & RJ_SUCCESS ? "success" : "run"};
		ax_population_row(s->pop, item, vals);
	}
	if (kind & (RJ_RUN | RJ_SUCCESS | RJ_FAILURE)) {
		if (t > s->last_run)
			s->last_run = t;
		s->runs += in;
	}
	if (kind & RJ_FAILURE) {
		if (t > s->last_failure)
			s->last_failure = t;
		s->failures += in;
	} else if (kind & RJ_SUCCESS) {
		if (t > s->last_success)
			s->last_success = t;
		s->successes += in;
	}
}

static int matches(const regex_t *re, const char *text)
{
	return re && regexec(re, text, 0, NULL, 0) == 0;
}

/* A timestamp at the start of a line: the log formats, "[stamp]", or epoch seconds. */
static int line_time(const struct ax_logclock *clock, const char *p, size_t len, int64_t *t)
{
	size_t used, i = 0;
	if (ax_logtime_parse(clock, p, len, t, &used) == 0)
		return 0;
	if (len > 1 && p[0] == '[' && ax_logtime_parse(clock, p + 1, len - 1, t, &used) == 0)
		return 0;
	int64_t v = 0;
	while (i < len && i < 12 && p[i] >= '0' && p[i] <= '9')
		v = v * 10 + (p[i++] - '0');
	if (i >= 9 && i <= 11 && (i == len || p[i] == ' ' || p[i] == '.' || p[i] == '\t')) {
		*t = v;
		return 0;
	}
	return -1;
}

int rj_parse_time(const struct rj_summary *s, const char *text, size_t len, int64_t *out)
{
	char tmp[64];
	struct ax_logclock clock;
	while (len && (*text == ' ' || *text == '\t'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (!len || len > sizeof(tmp) - 4)
		return AX_EINVALID;
	memcpy(tmp, text, len);
	tmp[len] = 0;
	/* PostgreSQL writes "+00" for UTC offsets without minutes */
	if (len > 20 && (tmp[len - 3] == '+' || tmp[len - 3] == '-') && tmp[len - 4] >= '0' && tmp[len - 4] <= '9')
		memcpy(tmp + len, ":00", 4), len += 3;
	if (ax_time_parse(tmp, out) == 0)
		return 0;
	ax_logclock_init(&clock, s->now);
	int64_t t;
	size_t used;
	if (ax_logtime_parse(&clock, tmp, len, &t, &used) == 0 && used == len) {
		*out = t;
		return 0;
	}
	if (line_time(&clock, tmp, len, &t) == 0 && strspn(tmp, "0123456789.") == len) {
		*out = t;
		return 0;
	}
	return AX_EINVALID;
}

int rj_read_log(struct rj_summary *s, const char *path)
{
	struct ax_logread *r = NULL;
	struct ax_logline line;
	struct ax_logclock clock;
	struct ax_buf text = AX_BUF_INIT;
	int rc;

	ax_logclock_init(&clock, s->now);
	if ((rc = ax_logread_open(&r, path, s->max_line)) < 0)
		goto cleanup;
	while ((rc = ax_logread_next(r, &line)) > 0) {
		int64_t t;
		s->entries++;
		if (line_time(&clock, line.ptr, line.len, &t) < 0) {
			s->undated++;
			continue;
		}
		ax_buf_clear(&text);
		ax_buf_put(&text, line.ptr, line.len);
		int kind = matches(s->failure, text.ptr) ? RJ_FAILURE : matches(s->success, text.ptr) ? RJ_SUCCESS : 0;
		if (!s->run || kind || matches(s->run, text.ptr))
			kind |= RJ_RUN;
		note(s, kind, t);
		if (kind & (RJ_SUCCESS | RJ_FAILURE)) {
			char *prefix = ax_asprintf("%s:%zu: ", path, line.lineno);
			excerpt_add(s, prefix, line.ptr, line.len);
			free(prefix);
		}
	}
cleanup:
	ax_logread_free(r);
	ax_buf_free(&text);
	return rc < 0 ? rc : 0;
}

int rj_read_status_file(struct rj_summary *s, const char *path)
{
	struct ax_logread *r = NULL;
	struct ax_logline line;
	struct ax_logclock clock;
	struct ax_buf text = AX_BUF_INIT;
	struct stat st;
	int64_t when = 0;
	int rc, dated = 0, success = 0, failure = 0;

	ax_logclock_init(&clock, s->now);
	if ((rc = ax_logread_open(&r, path, s->max_line)) < 0)
		goto cleanup;
	while ((rc = ax_logread_next(r, &line)) > 0 && line.lineno <= 10000) {
		int64_t t;
		s->entries++;
		if (!dated && line_time(&clock, line.ptr, line.len, &t) == 0) {
			dated = 1;
			when = t;
		}
		ax_buf_clear(&text);
		ax_buf_put(&text, line.ptr, line.len);
		int f = matches(s->failure, text.ptr), ok = matches(s->success, text.ptr);
		failure |= f;
		success |= ok;
		if (f || ok || line.lineno == 1) {
			char *prefix = ax_asprintf("%s:%zu: ", path, line.lineno);
			excerpt_add(s, prefix, line.ptr, line.len);
			free(prefix);
		}
	}
	if (rc < 0)
		goto cleanup;
	if (!dated) {
		if (stat(path, &st) < 0) {
			rc = ax_error_set("%s: cannot stat", path);
			goto cleanup;
		}
		when = (int64_t)st.st_mtime;
		s->undated++;
	}
	note(s, RJ_RUN | (failure ? RJ_FAILURE : (!s->success || success) ? RJ_SUCCESS : 0), when);
cleanup:
	ax_logread_free(r);
	ax_buf_free(&text);
	return rc < 0 ? rc : 0;
}

static int value_is(const struct ax_journal_value *v, const char *text)
{
	return v->present && strcmp(v->text, text) == 0;
}

static int unit_is(const struct ax_journal_value *v, const char *unit)
{
	size_t n = strlen(unit);
	if (!v->present || v->binary || v->cut)
		return 0;
	return strcmp(v->text, unit) == 0 || (v->len == n + 8 && memcmp(v->text, unit, n) == 0 &&
					      strcmp(v->text + n, ".service") == 0);
}

/* What one journal record about the unit says. */
static int journal_kind(const struct rj_summary *s, const struct ax_journal_entry *e)
{
	int failure = 0, success = 0;
	if (e->job_result.present && (!e->job_type.present || value_is(&e->job_type, "start"))) {
		if (value_is(&e->job_result, "done"))
			success = 1;
		else
			failure = 1;
	}
	if (e->exit_code.present || e->exit_status.present) {
		if ((!e->exit_code.present || value_is(&e->exit_code, "exited")) && value_is(&e->exit_status, "0"))
			success = 1;
		else
			failure = 1;
	}
	if (e->unit_result.present) {
		if (value_is(&e->unit_result, "success"))
			success = 1;
		else
			failure = 1;
	}
	if (e->message.present) {
		failure |= matches(s->failure, e->message.text);
		success |= matches(s->success, e->message.text);
	}
	return RJ_RUN | (failure ? RJ_FAILURE : success ? RJ_SUCCESS : 0);
}

int rj_read_journal(struct rj_summary *s, const char *path, const char *unit)
{
	struct ax_journal *j = NULL;
	struct ax_journal_entry *e = ax_malloc(sizeof(*e));
	struct ax_buf prefix = AX_BUF_INIT;
	int rc;

	if ((rc = ax_journal_open(&j, path)) < 0)
		goto cleanup;
	while ((rc = ax_journal_next(j, e)) > 0) {
		s->entries++;
		if (!unit_is(&e->systemd_unit, unit) && !unit_is(&e->unit, unit) && !unit_is(&e->user_unit, unit))
			continue;
		if (e->realtime_usec < 0) {
			s->undated++;
			continue;
		}
		int64_t t = e->realtime_usec / 1000000;
		int kind = journal_kind(s, e);
		note(s, kind, t);
		if (kind & (RJ_SUCCESS | RJ_FAILURE)) {
			char when[32];
			ax_time_format(t, when);
			ax_buf_clear(&prefix);
			ax_buf_printf(&prefix, "%s: record %zu: %s %s", path, e->record, when,
				      kind & RJ_FAILURE ? "FAILURE" : "success");
			if (e->job_result.present)
				ax_buf_printf(&prefix, " JOB_RESULT=%.32s", e->job_result.text);
			if (e->exit_status.present)
				ax_buf_printf(&prefix, " EXIT_STATUS=%.32s", e->exit_status.text);
			if (e->unit_result.present)
				ax_buf_printf(&prefix, " UNIT_RESULT=%.32s", e->unit_result.text);
			ax_buf_puts(&prefix, ": ");
			excerpt_add(s, ax_buf_cstr(&prefix), e->message.text, e->message.len);
		}
	}
cleanup:
	ax_journal_free(j);
	ax_buf_free(&prefix);
	free(e);
	return rc < 0 ? rc : 0;
}

struct first_cell {
	int seen;
	char *value; /* NULL: SQL NULL or no row */
};

static int first_cell_row(void *arg, size_t ncols, const char *const *cells)
{
	struct first_cell *fc = arg;
	fc->seen = 1;
	if (ncols && cells[0])
		fc->value = ax_strndup(cells[0], strnlen(cells[0], 64));
	return 1;
}

static int query_time(struct rj_summary *s, struct ax_leaddb *db, const char *key, const char *sql, int64_t *out)
{
	struct first_cell fc = {0, NULL};
	int rc = ax_leaddb_each(db, sql, NULL, 0, first_cell_row, &fc);
	*out = 0;
	if (rc < 0) {
		ax_error_prefix("%s", key);
		goto cleanup;
	}
	if (fc.value && rj_parse_time(s, fc.value, strlen(fc.value), out) < 0) {
		rc = ax_error_code(AX_EINVALID, "%s: the first column is not a time (RFC 3339, "
						"'YYYY-MM-DD HH:MM:SS' or epoch seconds)", key);
		goto cleanup;
	}
	if (fc.value) {
		char when[32], *line;
		ax_time_format(*out, when);
		line = ax_asprintf("%s: %s", key, when);
		excerpt_add(s, "", line, strlen(line));
		free(line);
	}
cleanup:
	free(fc.value);
	return rc;
}

int rj_read_database(struct rj_summary *s, struct ax_leaddb *db, const char *query_success, const char *query_run)
{
	int64_t success = 0, run = 0;
	int rc = query_time(s, db, "query-last-success", query_success, &success);
	if (rc < 0)
		return rc;
	if (query_run && (rc = query_time(s, db, "query-last-run", query_run, &run)) < 0)
		return rc;
	s->entries = 1;
	if (success)
		note(s, RJ_RUN | RJ_SUCCESS, success);
	if (run)
		note(s, RJ_RUN, run);
	return 0;
}

int rj_query_count(struct ax_leaddb *db, const char *sql, int64_t *out)
{
	struct first_cell fc = {0, NULL};
	char *end = NULL;
	int rc = ax_leaddb_each(db, sql, NULL, 0, first_cell_row, &fc);
	if (rc < 0) {
		ax_error_prefix("query-overdue");
		goto cleanup;
	}
	long long n = fc.value ? strtoll(fc.value, &end, 10) : -1;
	if (!fc.value || *end || n < 0) {
		rc = ax_error_code(AX_EINVALID, "query-overdue: must return one non-negative count (SELECT count(*) ...)");
		goto cleanup;
	}
	*out = n;
cleanup:
	free(fc.value);
	return rc;
}
