/* logread.h - a streaming line reader for log files (plain or gzip) and
 * the timestamp formats log writers use. Shared by the accesslog and
 * retention-job probes (and any other log-reading probe).
 *
 * Guarantees: memory is bounded by the reader's buffer whatever the file
 * size or line length (a line longer than max_line is returned cut to
 * max_line bytes with `truncated` set; the rest of it is skipped); a
 * truncated or corrupt .gz is an AX_EINVALID error naming the file and
 * line; binary content and invalid UTF-8 are returned as bytes, never
 * interpreted. Gzip is recognised by its magic bytes, not the file name.
 * Only regular files are opened (a FIFO can't block the caller).
 *
 *     struct ax_logread *r;
 *     struct ax_logline l;
 *     if (ax_logread_open(&r, path, 8192) < 0) ...;
 *     while ((rc = ax_logread_next(r, &l)) > 0) use(l.ptr, l.len);
 *     ax_logread_free(r);   // rc < 0: error, message names path:line
 *
 * The bulk path (ax_logread_scan) is for probes that look at a few lines
 * of large logs: plain files are mapped in windows (16 MiB, unmapped as
 * the scan moves on, so resident memory stays flat) and handed over as
 * blocks of whole lines; a probe finds its candidates with
 * ax_needles_find() and asks for just those lines. Lines, numbers, cuts
 * and '\r' handling are the same as ax_logread_next()'s. A file truncated
 * while mapped (logrotate copytruncate) is an AX_EINVALID error, never a
 * crash: a SIGBUS on the mapped window is caught and turned into one.
 */
#ifndef AX_LOGREAD_H
#define AX_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

struct ax_logread;

struct ax_logline {
	const char *ptr;  /* valid until the next call; not NUL-terminated */
	size_t len;       /* without the newline (and a trailing '\r') */
	size_t lineno;    /* 1-based */
	int truncated;    /* the line was longer than max_line */
};

/* max_line: 0 means the default (8 KiB); at most 1 MiB. */
int ax_logread_open(struct ax_logread **out, const char *path, size_t max_line);
/* 1 and a line, 0 at the end, or a negative code (message: "PATH:LINE: ..."). */
int ax_logread_next(struct ax_logread *r, struct ax_logline *line);
int ax_logread_is_gzip(const struct ax_logread *r);
void ax_logread_free(struct ax_logread *r);

/* --- bulk reading --- */

/* A run of whole lines. The last one may lack its '\n' (end of file, or an
 * over-long line cut to max_line). Valid only inside the callback. */
struct ax_logblock {
	const char *ptr, *end;
	/* private: lines before `cursor` were handed out; numbers are counted
	 * lazily, only up to the lines asked for */
	const char *cursor;
	size_t cursor_lineno;
	size_t max_line;
	int cut; /* the block is one over-long line, cut */
};
/* 0: go on, 1: stop reading (not an error), negative: stop with that error. */
typedef int (*ax_logblock_fn)(void *arg, struct ax_logblock *block);
/* Hands the whole file to fn, block by block: 0 at the end (or when fn
 * stopped), else fn's error or a read error ("PATH:LINE: ..."). A reader is
 * read either with ax_logread_next() or with this, not both. fn must not
 * keep pointers into a block, nor leave resources that only its own
 * cleanup frees in flight while it reads the block (a SIGBUS on a file
 * truncated under it unwinds past fn). */
int ax_logread_scan(struct ax_logread *r, ax_logblock_fn fn, void *arg);
/* Test hook: the mapping window in bytes (rounded up to whole pages, and to
 * at least max_line plus two pages). */
void ax_logread_set_window(struct ax_logread *r, size_t bytes);

/* The next line of the block: 1, or 0 when the block is done. */
int ax_logblock_next(struct ax_logblock *b, struct ax_logline *line);
/* The line holding p (ax_logblock_rest(b) <= p < b->end); the next lines
 * handed out follow it. */
void ax_logblock_line_at(struct ax_logblock *b, const char *p, struct ax_logline *line);
/* Where the lines not handed out yet start (search from here). */
const char *ax_logblock_rest(const struct ax_logblock *b);
/* The block's last line, without moving on; its lineno is 0 (not counted). */
void ax_logblock_last(const struct ax_logblock *b, struct ax_logline *line);
/* Number of '\n' bytes in [p, end): vectorised, several GB/s. */
size_t ax_count_newlines(const char *p, const char *end);

/* A few literal phrases searched together in one pass (16 bytes a step:
 * first and last byte of each phrase compared at once, candidates
 * confirmed with memcmp). Phrases are at least 2 bytes, at most 64. */
#define AX_NEEDLES_MAX 4
struct ax_needles {
	size_t n;
	const char *text[AX_NEEDLES_MAX];
	size_t len[AX_NEEDLES_MAX];
};
void ax_needles_init(struct ax_needles *nd, const char *const *texts, size_t n);
/* The first occurrence of any phrase in [p, end), or NULL. */
const char *ax_needles_find(const struct ax_needles *nd, const char *p, const char *end);

/* Timestamps at the start of a line (or of s), into epoch seconds (UTC):
 *  - classic syslog "Nov 29 10:00:01" (day may be space-padded): the year
 *    is inferred as the latest one that does not put the stamp more than a
 *    day after `ref` (no future dates); read in local time;
 *  - RFC 3339 "2026-11-29T10:00:01.123+01:00" / "...Z" (also with a space
 *    instead of T; without an offset it is local time);
 *  - nginx error log "2026/11/29 10:00:01" (local time);
 *  - common log format "[29/Nov/2026:10:00:01 +0000]" (with or without '[').
 * Local time is the collector's zone at ref (one offset, so a DST change
 * inside the log shifts stamps by at most an hour). */
struct ax_logclock {
	int64_t ref;      /* "now": no inferred stamp lies a day past it */
	long utc_offset;  /* local zone offset at ref, seconds east of UTC */
	int ref_year;     /* local calendar year at ref */
};
void ax_logclock_init(struct ax_logclock *c, int64_t ref);
/* 0 with *out and *used (bytes consumed), or AX_EINVALID when s does not
 * start with a known stamp (no message is set: this is the common case). */
int ax_logtime_parse(const struct ax_logclock *c, const char *s, size_t len, int64_t *out, size_t *used);
/* Days since 1970-01-01 of a proleptic Gregorian date (no range checks). */
int64_t ax_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
