/* collect.h - one collection run: select probe instances, run them in
 * children, commit everything they reported as one ledger run. */
#ifndef AX_COLLECT_H
#define AX_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"
#include "store.h"

struct ax_config;

/* Runs the instances named in only[] (all when nonly == 0) and commits
 * them as one run. ev receives what was collected (for the summary).
 * AX_ENOTFOUND when a named instance does not exist. */
int ax_collect(const struct ax_config *cfg, struct ax_store *store, const char *const *only, size_t nonly,
	       struct ax_evidence *ev, struct ax_run_info *info);

/* Reads [privacy] pseudonym-key-file (at most 1 KiB) into out. */
int ax_collect_load_pseudonym_key(const struct ax_config *cfg, struct ax_buf *out);

#endif
