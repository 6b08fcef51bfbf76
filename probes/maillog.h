/* maillog.h - the Postfix mail log, as the lead probes need it: which
 * queue id had which envelope sender, and which recipient a queue id was
 * delivered to (status=sent), with the time of each line.
 *
 * Parsing is one line at a time and allocation-free; the queue-id table is
 * bounded (oldest entries are evicted first), so reading a log of any size
 * needs a fixed amount of memory. Lines that are not Postfix queue lines
 * are ignored; lines without a known timestamp are counted as unparsed. */
#ifndef AX_MAILLOG_H
#define AX_MAILLOG_H

#include <stddef.h>
#include <stdint.h>

#include "logread.h"

enum ax_maillog_kind {
	AX_MAILLOG_OTHER = 0, /* a line we do not need */
	AX_MAILLOG_FROM,      /* QID: from=<sender>, ... */
	AX_MAILLOG_SENT,      /* QID: to=<rcpt>, ..., status=sent ... */
	AX_MAILLOG_REMOVED,   /* QID: removed */
};

struct ax_maillog_rec {
	enum ax_maillog_kind kind;
	int64_t time;          /* UTC seconds */
	char queue_id[33];
	const char *addr;      /* into the line; not NUL-terminated */
	size_t addr_len;
};

/* 0 with *out filled (kind OTHER for lines of no interest), AX_EINVALID
 * when the line does not start with a timestamp (no message set). */
int ax_maillog_parse(const struct ax_logclock *clock, const char *line, size_t len, struct ax_maillog_rec *out);

/* The same, remembering the last timestamp in *st (zeroed before the
 * first line; st may be NULL): consecutive lines of one second, most of a
 * busy log, skip the date arithmetic. */
struct ax_maillog_stamps {
	char prefix[40];
	size_t k;     /* bytes of prefix that decide the stamp; 0: none yet */
	int ended;    /* the stamp ran to the end of its line */
	int64_t time;
	size_t used;
};
int ax_maillog_parse_cached(struct ax_maillog_stamps *st, const struct ax_logclock *clock, const char *line,
			    size_t len, struct ax_maillog_rec *out);

/* The existing files among base.max_rotated(.gz) ... base.1(.gz), base,
 * oldest first (the order a queue id's lines were written in), as a
 * NULL-terminated array freed with ax_maillog_files_free(). AX_ENOTFOUND
 * naming base when none exists. */
int ax_maillog_files(char ***out, const char *base, unsigned max_rotated);
void ax_maillog_files_free(char **files);

/* queue id -> "the sender is a campaign sender" flag, at most max entries. */
struct ax_maillog_queue;
struct ax_maillog_queue *ax_maillog_queue_new(size_t max);
void ax_maillog_queue_set(struct ax_maillog_queue *q, const char *qid, int campaign);
/* 1 campaign, 0 other sender, -1 unknown queue id. */
int ax_maillog_queue_get(struct ax_maillog_queue *q, const char *qid);
void ax_maillog_queue_remove(struct ax_maillog_queue *q, const char *qid);
uint64_t ax_maillog_queue_evicted(const struct ax_maillog_queue *q);
void ax_maillog_queue_free(struct ax_maillog_queue *q);

#endif
