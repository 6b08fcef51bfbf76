/* store.h - the evidence store: SQLite (WAL), schema versioned with
 * PRAGMA user_version and forward migrations, artifacts content-addressed by
 * SHA-256 and stored once, and a hash-chained ledger with one entry per
 * committed run (its format: ledger.h).
 *
 * A run is committed in one transaction: whole or not at all. */
#ifndef AX_STORE_H
#define AX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "evidence.h"
#include "ledger.h"

struct ax_store;

/* Schema version this build creates and understands (PRAGMA user_version). */
#define AX_STORE_SCHEMA_VERSION 5

/* Opens (creating and migrating as needed) the store at path; creates the
 * parent folder's file with mode 0600. A missing parent folder (one level)
 * is created with mode 0700. A store with a newer schema than
 * AX_STORE_SCHEMA_VERSION, or a SQLite file that is not an annexa store, is
 * refused with AX_EINVALID. */
int ax_store_open(struct ax_store **out, const char *path);
void ax_store_free(struct ax_store *s);

/* Commits ev as one run; fills *info (may be NULL). finished_at must not lie
 * more than AX_LEDGER_CLOCK_SLACK before the ledger head's (AX_EINVALID:
 * the clock went back); within it, the head's time is recorded instead. kind is an id of at
 * most 15 characters ("collect", "attach", ...); ev may be NULL (a run
 * without evidence). Instance and check ids must satisfy ax_id_valid;
 * every string must be valid UTF-8 and within the AX_*_MAX limits; an
 * artifact's sha256 must match its data. AX_EINVALID when not. */
int ax_store_commit_run(struct ax_store *s, const char *kind, int64_t started_at, int64_t finished_at,
			const struct ax_evidence *ev, struct ax_run_info *info);

/* A file to store as an artifact of a run without reading it whole
 * (a population, population.h): its bytes must hash to sha256. */
struct ax_store_file {
	const char *instance, *name, *media_type;
	const char *path; /* for messages */
	int fd;
	char sha256[65];  /* what its producer says it holds */
	int64_t size;     /* set: bytes stored */
	int stored;       /* set: 1 when stored; 0 when left out (warned) */
};
/* ax_store_commit_run, plus the files streamed into the store in chunks
 * and appended to ev as artifact descriptors (no data). A file whose bytes
 * do not hash to its sha256, or cannot be read, is left out with a
 * warning; the run is committed without it. */
int ax_store_commit_run_files(struct ax_store *s, const char *kind, int64_t started_at, int64_t finished_at,
			      struct ax_evidence *ev, struct ax_store_file *files, size_t nfiles,
			      struct ax_run_info *info);

/* The newest result of every (instance, check) pair, across all runs;
 * artifacts are not loaded. The event rows of manual evidence runs
 * (instance "manual", check "manual.*") and prune runs (instance "ledger",
 * check "ledger.*") are left out. */
int ax_store_latest(struct ax_store *s, struct ax_evidence *out);

/* Runs whose started_at lies in [since, until] (0 = unbounded), oldest
 * first. A callback returning non-zero stops the walk and is returned. */
typedef int (*ax_run_cb)(void *arg, const struct ax_run_info *run);
int ax_store_runs(struct ax_store *s, int64_t since, int64_t until, ax_run_cb cb, void *arg);

/* Results (and artifact descriptors, data not loaded unless with_data) of
 * one run, appended to out in ledger order (instance, check, collected_at;
 * artifacts by instance, name). AX_ENOTFOUND for an unknown run. */
int ax_store_run_evidence(struct ax_store *s, int64_t run_id, int with_data, struct ax_evidence *out);

/* Artifact bytes by hash (replacing out's content). AX_ENOTFOUND when not
 * stored, AX_ERROR when the stored bytes no longer match the hash. */
int ax_store_artifact(struct ax_store *s, const char *sha256, struct ax_buf *out);

/* Bytes of the artifact NAME that the newest run carrying one for INSTANCE
 * stored (e.g. its sandbox.txt), replacing out's content. AX_ENOTFOUND
 * when no kept run has one. */
int ax_store_latest_artifact(struct ax_store *s, const char *instance, const char *name, struct ax_buf *out);

/* Receives the bytes of a streamed artifact, one chunk at a time; a
 * non-zero return stops the stream and is passed back. */
typedef int (*ax_bytes_cb)(void *arg, const void *data, size_t len);
/* Streams artifact bytes by hash in chunks of at most 64 KiB (bounded
 * memory for large attached files). AX_ENOTFOUND when not stored; AX_ERROR
 * when the bytes, once all streamed, do not match the hash: a consumer that
 * writes them somewhere must discard that output then. */
int ax_store_artifact_stream(struct ax_store *s, const char *sha256, ax_bytes_cb cb, void *arg);

/* Recomputes every run's content hash and the chain, and checks what the
 * hashes cannot: runs do not go back in time (a run's finished_at is at
 * most AX_LEDGER_CLOCK_SLACK before the newest one before it), and every
 * pruned run is a `collect` run listed by a later `prune` run whose cutoff
 * it finished before (or a legacy prune, see struct ax_ledger_report). On a
 * break sets rep->bad_run (rep may be NULL) to the first broken run id and
 * returns AX_EINVALID with a message naming it. */
int ax_store_ledger_check(struct ax_store *s, struct ax_ledger_report *rep);
/* ax_store_ledger_check, reporting only the first broken run. */
int ax_store_ledger_verify(struct ax_store *s, int64_t *bad_run);

/* One run by id; AX_ENOTFOUND when the store has no such run. */
int ax_store_run_info(struct ax_store *s, int64_t id, struct ax_run_info *info);

/* The newest run (the ledger head); AX_ENOTFOUND when there is none. */
int ax_store_head(struct ax_store *s, struct ax_run_info *info);

/* Deletes the results and artifact links of every collect run that
 * finished before `before`, marks those runs pruned (their ledger rows
 * stay, so the chain still verifies) and deletes result values and
 * artifacts no run uses any more; in the same transaction commits a
 * `prune` run (when anything was pruned) whose one result (instance
 * "ledger", check "ledger.prune") has the observed JSON
 * {"before": BEFORE, "runs": [[FIRST, LAST], ...]}: the cutoff and the
 * pruned ids as inclusive ranges, so the prune itself is chained evidence.
 * The prune run is dated now. Then gives the freed pages back to
 * the file system (PRAGMA incremental_vacuum). *npruned (may be NULL)
 * receives the number of runs pruned. */
int ax_store_prune(struct ax_store *s, int64_t before, int64_t now, int64_t *npruned);

#endif
