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

/* The key of the keyed pseudonyms: [privacy] pseudonym-key-file when set
 * (a regular file of 16 to 1024 bytes; anything else, missing included,
 * is AX_EINVALID), else STATE/pseudonym.key. With create, that one is made
 * with 32 random bytes (0600) when missing; it is never overwritten.
 * Without create a missing STATE/pseudonym.key leaves out empty.
 * *path_out (may be NULL) receives the file's path (caller frees). */
int ax_collect_load_pseudonym_key(const struct ax_config *cfg, int create, struct ax_buf *out, char **path_out);

#endif
