/* daemon_lock.h - whether a daemon holds a store's lock (STORE.lock, the
 * flock the daemon takes for its whole life, cli/daemon.c), asked without
 * touching the lock: the kernel's lock table (/proc/locks) names the
 * process holding it. `status` uses it to say "running" instead of
 * inferring it from the schedule. */
#ifndef AX_DAEMON_LOCK_H
#define AX_DAEMON_LOCK_H

#include <stddef.h>
#include <sys/types.h>

/* STORE.lock for store path store; caller frees. */
char *ax_daemon_lock_path(const char *store);

/* In the text of /proc/locks, the process holding a FLOCK WRITE lock on
 * the file (device major:minor, inode): 1 with *pid set (0 when the holder
 * is in another PID namespace), 0 when no such lock is listed. Lines that
 * do not parse are skipped. */
int ax_proc_locks_holder(const char *text, size_t len, unsigned major, unsigned minor, unsigned long ino, pid_t *pid);

/* 1 with *pid when a daemon holds the lock of store, 0 when none does (or
 * the lock file does not exist), AX_ERROR when it cannot be told
 * (/proc/locks unreadable); message names the file. */
int ax_daemon_running(const char *store, pid_t *pid);

#endif
