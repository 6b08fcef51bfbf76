/* access_changes.h - joiners, movers and leavers between two runs of a probe
 * that lists who has access (accounts, privileges, SSH keys).
 *
 * A probe hands over its population as a set of evidence-safe strings
 * (pseudonymised names, fingerprints; never a secret); the set is compared
 * with the one the previous run left in the instance's state folder, the
 * new set replaces it (atomically), and one `info` result records what was
 * added and removed. The first run records a baseline. */
#ifndef AX_ACCESS_CHANGES_H
#define AX_ACCESS_CHANGES_H

#include <jansson.h>

#include "probe.h"

/* items: a JSON array of strings (borrowed; duplicates are dropped). kind
 * names the state file (KIND.json) and the message ("accounts"). Without a
 * state folder the result is `skip`. */
void ax_access_changes_report(struct ax_probe_ctx *ctx, const char *check, const char *kind, const json_t *items);

/* The added and removed strings of old -> cur (new arrays, sorted).
 * Exposed for tests. */
void ax_access_changes_diff(const json_t *old, const json_t *cur, json_t **added, json_t **removed);

#endif
