/* schedule.h - when each probe instance runs next, and why.
 *
 * First runs are spread by a random splay (up to a quarter of the interval,
 * at most 5 minutes) so instances don't fire together. A missed run (the
 * machine slept, the daemon was down) runs once, not in a burst. An
 * instance whose whole run erred is backed off exponentially (interval x
 * 2^n, at most 24 h or the interval when larger) instead of hammering a
 * broken target. The state is saved atomically to state-dir/schedule.json
 * after every run, so `annexa status` can show when evidence is due next
 * and which instances are backed off. */
#ifndef AX_SCHEDULE_H
#define AX_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"

struct ax_config;

/* One instance's schedule state, as metrics and status show it. */
struct ax_probe_stats {
	const char *instance;
	const char *probe_type;
	int64_t last_run;     /* epoch seconds of its last run, 0 = never */
	int64_t duration_ms;  /* wall time of that run */
	int results[AX_CHECK_NSTATUS]; /* per enum ax_check_status in that run */
	int consecutive_failures;
	int64_t next_due;
};

struct ax_sched_entry {
	char *instance;
	char *probe_type;
	int64_t interval;
	int64_t next_due;
	int64_t last_run;
	int64_t duration_ms;
	int consecutive_failures;
	int results[AX_CHECK_NSTATUS]; /* by enum ax_check_status */
};

struct ax_schedule {
	struct ax_sched_entry *entries; /* same order as cfg->probes */
	size_t n;
};

/* A schedule for cfg; carries over state of instances of the same name
 * from prev (may be NULL), and loads state_file when prev is NULL. */
struct ax_schedule *ax_schedule_new(const struct ax_config *cfg, const struct ax_schedule *prev,
				    const char *state_file, int64_t now);
void ax_schedule_free(struct ax_schedule *s);
/* Names of instances due at now (caller frees the array, not the names). */
const char **ax_schedule_due(const struct ax_schedule *s, int64_t now, size_t *n);
/* Records a finished run of the named instances from what they reported. */
/* Fills the per-status counts (and last run, when later) of every entry
 * that has none from the store's newest result of each check (latest), so
 * the metrics written after a restart show the last values, not zeros. */
void ax_schedule_seed(struct ax_schedule *s, const struct ax_evidence *latest);
void ax_schedule_done(struct ax_schedule *s, const char *const *names, size_t n, const struct ax_evidence *ev,
		      int64_t started, int64_t duration_ms);
/* A run that collected but could not be committed (disk full, store
 * locked) is the collector's problem, not the target's: retry at the next
 * interval without counting a failure. */
void ax_schedule_retry(struct ax_schedule *s, const char *name, int64_t now);
int64_t ax_schedule_next(const struct ax_schedule *s);
int ax_schedule_save(const struct ax_schedule *s, const char *state_file);
/* Loads a saved schedule (for `annexa status`); AX_ENOTFOUND when none. */
int ax_schedule_load(struct ax_schedule **out, const char *state_file);
const struct ax_sched_entry *ax_schedule_find(const struct ax_schedule *s, const char *instance);
/* The interval the daemon runs the configured instance at (its own, else
 * [annexa] interval, else the default); 0 for an instance cfg lacks. */
int64_t ax_schedule_interval(const struct ax_config *cfg, const char *instance);
/* state-dir/schedule.json of cfg (caller frees). */
struct ax_config;
char *ax_schedule_file(const struct ax_config *cfg);
/* Metrics rows, pointing into s. */
struct ax_probe_stats *ax_schedule_stats(const struct ax_schedule *s);

#endif
