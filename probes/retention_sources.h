/* retention_sources.h - where the retention-job probe finds evidence that a
 * scheduled deletion job ran and succeeded: its log file(s), a status file,
 * a systemd unit's journal export, or a database table of job runs.
 *
 * Each reader fills one struct rj_summary: the latest run, success and
 * failure times, counts within the window, and a bounded ring of the most
 * recent matching lines, already made safe for evidence (non-printable
 * bytes escaped, e-mail addresses pseudonymised, secrets redacted, each
 * cut to RJ_LINE_MAX bytes). Readers stream their input with bounded
 * memory; a source they cannot read is a negative code with a message
 * naming the file (and line or record). */
#ifndef AX_RETENTION_SOURCES_H
#define AX_RETENTION_SOURCES_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RJ_LINE_MAX 300
#define RJ_EXCERPT_MAX 100

struct ax_probe_ctx;
struct ax_population;

struct rj_summary {
	struct ax_probe_ctx *ctx;
	int64_t now, since;          /* the window: [since, now + 1 day] */
	const char *redact;          /* extra redaction regex, or NULL */
	regex_t *success, *failure, *run; /* compiled patterns, or NULL */
	size_t max_line;
	/* what was found (times 0: none) */
	int64_t last_run, last_success, last_failure;
	uint64_t runs, successes, failures; /* within the window */
	uint64_t entries, undated;          /* lines or records read */
	/* the most recent matching lines, oldest first once finished */
	struct ax_buf excerpt[RJ_EXCERPT_MAX];
	size_t excerpt_max, nexcerpt, excerpt_next;
	/* every run within the window as a population row (time, outcome),
	 * when set; item ids "TIME/K", K counting equal times in a row */
	struct ax_population *pop;
	int64_t pop_last;
	unsigned pop_dup;
};

void rj_summary_init(struct rj_summary *s, struct ax_probe_ctx *ctx, int64_t max_age, size_t excerpt_max);
void rj_summary_free(struct rj_summary *s);
/* The excerpt lines in time order, one per line. */
void rj_summary_excerpt(const struct rj_summary *s, struct ax_buf *out);

/* Log files: every timestamped line is a run (or only lines matching
 * run-pattern), lines matching the success / failure patterns are
 * successes / failures (failure wins when both match). */
int rj_read_log(struct rj_summary *s, const char *path);
/* Status file: the first timestamp in its content (RFC 3339, syslog,
 * epoch seconds), else its mtime, is the last run; it is a success unless
 * failure-pattern matches (and, when set, success-pattern must match). */
int rj_read_status_file(struct rj_summary *s, const char *path);
/* journalctl -o export: records of unit (also NAME.service); success is
 * JOB_RESULT=done of a start job, EXIT_STATUS=0, UNIT_RESULT=success or a
 * MESSAGE matching the success pattern; failure the opposite. */
int rj_read_journal(struct rj_summary *s, const char *path, const char *unit);
/* A database: query_success (and optionally query_run) return one row
 * whose first column is a time (RFC 3339, "YYYY-MM-DD HH:MM:SS", epoch
 * seconds) or NULL. */
struct ax_leaddb;
int rj_read_database(struct rj_summary *s, struct ax_leaddb *db, const char *query_success,
		     const char *query_run);
/* The first column of the first row of sql as a non-negative count. */
int rj_query_count(struct ax_leaddb *db, const char *sql, int64_t *out);

/* Parses a time as written by logs, status files and databases. */
int rj_parse_time(const struct rj_summary *s, const char *text, size_t len, int64_t *out);

#endif
