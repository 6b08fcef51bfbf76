/* accesslog_report.h - what the accesslog probe accumulates while it reads
 * (entry times, failures per source and window, privileged and cleartext
 * logins, a bounded excerpt) and the results it emits at the end.
 *
 * Bounded: at most AL_MAX_SOURCES distinct failure sources are tracked
 * (the rest are counted as untracked), the excerpt holds at most
 * `excerpt-lines` lines per check, each cut to 512 bytes, with user names
 * replaced by pseudonyms and non-printable bytes escaped. */
#ifndef AX_ACCESSLOG_REPORT_H
#define AX_ACCESSLOG_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>

#include "accesslog_parse.h"
#include "buf.h"
#include "logread.h"

#define AL_MAX_SOURCES 16384
#define AL_MAX_USERS 64
#define AL_MAX_ADMINS 32

struct ax_probe_ctx;

/* Failures per source are counted in a sliding window made of AL_SLOTS
 * sub-windows (a ring), so a burst that straddles a fixed window boundary
 * is still seen whole; the count is exact to window / AL_SLOTS. */
#define AL_SLOTS 16

struct al_source {
	char key[64]; /* empty: free slot */
	int64_t last_slot;       /* sub-window of the newest failure, -1: none */
	unsigned ring[AL_SLOTS]; /* failures per sub-window */
	unsigned count, max;     /* in the sliding window now / at most */
	int64_t max_end;         /* time the window with max ended */
	uint64_t total;
};

struct al_user {
	char pseudonym[20];
	uint64_t count;
	int64_t first, last;
};

/* Pseudonyms of recent user names: one HMAC per name, not per login. */
#define AL_PSEUDO_CACHE 32
struct al_pseudo_cache {
	char name[64]; /* empty: free */
	char pseudonym[20];
};

struct al_report {
	struct ax_probe_ctx *ctx;
	enum al_format format;
	struct ax_logclock clock;
	int64_t since;         /* auth events before this are ignored */
	const char *admins[AL_MAX_ADMINS]; /* admin-user values */
	size_t nadmins;
	int64_t window;
	unsigned max_failures;
	size_t excerpt_max;
	size_t files;
	int64_t oldest, newest; /* 0: none yet */
	struct ax_buf problems; /* unreadable files, corrupt .gz */
	size_t nproblems;
	json_t *perm_items;
	int perm_bad;
	/* failures */
	struct al_source *sources;
	size_t nsources, asources;
	uint64_t failures, untracked;
	unsigned offending_windows;
	/* logins */
	uint64_t logins, privileged, cleartext, tls_unknown;
	struct al_user priv[AL_MAX_USERS], clear[AL_MAX_USERS];
	size_t npriv, nclear;
	struct al_pseudo_cache pseudo[AL_PSEUDO_CACHE];
	size_t pseudo_next; /* round-robin replacement */
	struct ax_buf excerpt[3]; /* failures, privileged, cleartext */
	size_t nexcerpt[3];
};

void al_report_init(struct al_report *rep, struct ax_probe_ctx *ctx, int format);
void al_report_problem(struct al_report *rep, const char *fmt, ...) AX_PRINTF(2, 3);
void al_report_permissions(struct al_report *rep, const char *path, const struct stat *st);
void al_report_entry_time(struct al_report *rep, int64_t t);
void al_report_event(struct al_report *rep, const struct al_event *ev, int64_t t, const char *path,
		     const struct ax_logline *line);
/* Emits all seven checks and the excerpt artifact. */
int al_report_emit(struct al_report *rep);
void al_report_free(struct al_report *rep);

#endif
