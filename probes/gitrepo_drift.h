/* gitrepo_drift.h - do the deployed files equal the reviewed ones?
 *
 * For each `deployed = LIVE_PATH:REPO_PATH` option the live file is
 * compared byte for byte with the blob at REPO_PATH in the branch tip's
 * tree. A difference is a fail whose evidence is the unified diff
 * (repository -> live), redacted with ax_redact() and the `redact` option. */
#ifndef AX_GITREPO_DRIFT_H
#define AX_GITREPO_DRIFT_H

#include <git2.h>

struct ax_probe_ctx;

/* Emits change.drift (skip when no `deployed` is configured). */
void ax_gitrepo_judge_drift(struct ax_probe_ctx *ctx, git_repository *repo, const git_oid *tip, const char *branch);

#endif
