/* locker.h - the evidence locker: every committed run also becomes a git
 * commit (libgit2) on branch collectors/<name> of a bare repository, one
 * folder per probe instance holding its latest results and artifacts, so
 * `git log -p` shows how the evidence changed between runs. With a remote,
 * the branch is pushed after each run; a failed push is retried at the next
 * run (the push always sends the whole branch).
 *
 * The locker is a copy: the store stays the record. A locker failure never
 * fails or undoes a run. */
#ifndef AX_LOCKER_H
#define AX_LOCKER_H

#include "evidence.h"
#include "store.h"

struct ax_config;

/* The collector's branch name: [locker] name, else the host name. */
char *ax_locker_branch(const struct ax_config *cfg);

/* Records run/ev in [locker] path (no-op when unset), then pushes to
 * [locker] remote when set. AX_ERROR with a message on failure; the
 * commit may have been made even when the push failed (*pushed = 0). */
int ax_locker_record(const struct ax_config *cfg, const struct ax_run_info *run, const struct ax_evidence *ev,
		     int *pushed);

/* Replays every commit of every collectors/NAME branch of the git repository
 * at repo_path (bare or not) into store as runs, oldest first (see
 * locker_import.c). Counts go to *ncollectors and *nruns (may be NULL). */
int ax_locker_import(const char *repo_path, struct ax_store *store, size_t *ncollectors, size_t *nruns);

#endif
