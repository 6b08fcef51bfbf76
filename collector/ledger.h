/* ledger.h - the ledger format: the canonical JSON of a run and the hashes
 * that chain runs, and the checks of a walk along the chain. This is the
 * audit contract, pure (no store): the store uses it when it commits and
 * verifies (store_verify.c), the offline bundle verifier on exported data.
 *
 *   content_sha256 = SHA-256(canonical JSON of the run: its id, kind,
 *                    started_at, finished_at, results and artifact
 *                    descriptors; jansson JSON_COMPACT|JSON_SORT_KEYS)
 *   hash           = SHA-256(prev_hash_hex ":" content_sha256_hex)
 * with prev_hash of the first run = 64 '0'. Both hex strings are stored so
 * the chain verifies even after old results are pruned. The byte-exact
 * format is documented in ledger.c. */
#ifndef AX_LEDGER_H
#define AX_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "evidence.h"

#define AX_LEDGER_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct ax_run_info {
	int64_t id;
	char kind[16]; /* "collect", "attach", "approve", "revoke", "prune" */
	int64_t started_at, finished_at;
	char prev_hash[65];
	char content_sha256[65];
	char hash[65];
	int64_t nresults; /* results still stored (0 once pruned) */
	int pruned;       /* results and artifact links were pruned; only the
			   * chain linkage of this run can be verified */
};

/* What a ledger verification found, besides the first broken run. */
struct ax_ledger_report {
	size_t runs;             /* runs chained */
	size_t content_verified; /* of which the content hash was recomputed */
	/* Pruned runs: only their linkage verifies, their content cannot. */
	size_t pruned_covered;   /* listed by a prune run, finished before its cutoff */
	size_t pruned_legacy;    /* pruned by an annexa that did not record prunes yet
				  * (before the first prune run, all older than
				  * every unpruned collect run) */
	size_t pruned_unknown;   /* (ledger excerpts only) covered by no prune run of
				  * the excerpt, which ends before the store's head */
	int64_t bad_run;         /* first broken run, 0 when none */
};

#define AX_LEDGER_PRUNE_INSTANCE "ledger"
#define AX_LEDGER_PRUNE_CHECK "ledger.prune"
/* Seconds a run may finish before the newest run before it: two runs that
 * finish within seconds may commit in the other order (stores written
 * before this check hold such pairs). A commit dated earlier than that is
 * refused; one within it takes the newest run's time, so new runs never go
 * back at all. */
#define AX_LEDGER_CLOCK_SLACK 60

/* The checks of a ledger walk besides the hashes (time, prunes), shared by
 * the store (ax_store_ledger_check) and the bundle verifier. Feed runs in
 * chain order; ev holds a run's results (needed for prune runs, may be NULL
 * otherwise). Each returns NULL, or why the run is broken (static text). */
struct ax_ledger_walk;
struct ax_ledger_walk *ax_ledger_walk_new(void);
void ax_ledger_walk_free(struct ax_ledger_walk *w);
const char *ax_ledger_walk_run(struct ax_ledger_walk *w, const struct ax_run_info *run, const struct ax_evidence *ev);
/* After the last run. at_head: the walk ended at the store's head (a whole
 * store, or an excerpt that ends at it), so a prune run after it cannot
 * exist. Fills rep's pruned_* counts; *bad gets the broken run. */
const char *ax_ledger_walk_end(struct ax_ledger_walk *w, int at_head, struct ax_ledger_report *rep, int64_t *bad);

/* Computes the canonical content hash of a run from its evidence (the
 * exports and `verify` use the same function). */
void ax_ledger_content_hash(int64_t run_id, const char *kind, int64_t started_at, int64_t finished_at,
			    const struct ax_evidence *ev, char out[65]);
void ax_ledger_chain_hash(const char *prev_hex, const char *content_hex, char out[65]);
/* Appends the canonical JSON that ax_ledger_content_hash hashes (the
 * format is documented in ledger.c). artifact_sizes, when not NULL, gives
 * the size of ev->artifacts[i] instead of data.size (descriptors loaded
 * without data), except where it is AX_LEDGER_SIZE_IN_DATA. */
#define AX_LEDGER_SIZE_IN_DATA INT64_MIN
void ax_ledger_content_json(int64_t run_id, const char *kind, int64_t started_at, int64_t finished_at,
			    const struct ax_evidence *ev, const int64_t *artifact_sizes, struct ax_buf *out);

#endif
