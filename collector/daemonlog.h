/* daemonlog.h - the daemon's own up/down record, so a run calendar can
 * tell a gap the daemon caused (it was stopped) from one it did not.
 *
 * state-dir/daemon.jsonl, one line appended (and fsynced) per event:
 * {"event":"start"|"stop","at":"RFC 3339","pid":N}. A daemon killed with
 * SIGKILL or by a power cut writes no stop: its next start, with no stop
 * before it, says the daemon was down from some time after the last run.
 * A torn last line (a crash during the append) is skipped. */
#ifndef AX_DAEMONLOG_H
#define AX_DAEMONLOG_H

#include <stddef.h>
#include <stdint.h>

struct ax_config;

struct ax_daemon_event {
	int64_t at;
	int start; /* 1: the daemon started, 0: it stopped cleanly */
};

/* state-dir/daemon.jsonl of cfg (caller frees). */
char *ax_daemon_log_file(const struct ax_config *cfg);
/* Appends one event; an error says so (the caller logs and carries on). */
int ax_daemon_log_append(const struct ax_config *cfg, int start, int64_t at);
/* The events of the log dated in [since, until] (0 = unbounded), oldest
 * first; a missing log (or cfg NULL) is no events. Caller frees *out. */
int ax_daemon_log_load(const struct ax_config *cfg, int64_t since, int64_t until, struct ax_daemon_event **out,
		       size_t *n);

#endif
