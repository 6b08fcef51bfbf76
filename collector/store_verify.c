/* store_verify.c - verification of a store's ledger (every hash
 * recomputed, time and prune rules of the ledger walk, artifacts re-read)
 * and pruning that keeps the chain and records itself as a `prune` run.
 * The format and the walk it checks against are ledger.h. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store-int.h"
#include "util.h"

static int cmp_hex(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The sorted hashes of stored artifacts whose bytes or size no longer
 * match. Bytes are streamed in chunks: a 100 MB attached file is checked
 * in bounded memory. */
static int find_bad_artifacts(struct ax_store *s, char (**bad)[65], size_t *nbad)
{
	sqlite3_stmt *st = NULL;
	char got[65];
	int64_t len;
	int err, rc;
	*bad = NULL;
	*nbad = 0;
	if ((err = axs_prepare(s, &st, "SELECT rowid, sha256, size, typeof(data) FROM artifacts")) < 0)
		goto cleanup;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		len = -1;
		got[0] = '\0';
		/* a NULL or text value is corruption too (only blobs are stored) */
		if (strcmp(axs_text(st, 3), "blob") == 0 &&
		    axs_artifact_stream_rowid(s, sqlite3_column_int64(st, 0), NULL, NULL, got, &len) < 0)
			len = -1;
		if (len >= 0 && strcmp(got, axs_text(st, 1)) == 0 && sqlite3_column_int64(st, 2) == len)
			continue;
		*bad = ax_realloc(*bad, (*nbad + 1) * sizeof(**bad));
		axs_copy((*bad)[(*nbad)++], 65, axs_text(st, 1));
	}
	if (rc != SQLITE_DONE)
		err = axs_fail(s, "reading artifacts");
	if (*nbad)
		qsort(*bad, *nbad, sizeof(**bad), cmp_hex);
cleanup:
	sqlite3_finalize(st);
	return err;
}

/* Checks one run against the expected previous hash; *why is set (static
 * text) when it is broken. */
static int verify_run(struct ax_store *s, const struct ax_run_info *run, const char *expect_prev,
		      char (*bad)[65], size_t nbad, struct ax_ledger_walk *walk, struct ax_ledger_report *rep,
		      const char **why)
{
	struct ax_evidence ev = {0};
	int64_t *sizes = NULL;
	char h[65];
	int err = 0;
	*why = NULL;
	if (strcmp(run->prev_hash, expect_prev) != 0) {
		*why = strcmp(expect_prev, AX_LEDGER_GENESIS) == 0
			       ? "prev_hash of the first run is not the genesis hash"
			       : "prev_hash does not match the hash of the run before it";
		goto cleanup;
	}
	ax_ledger_chain_hash(run->prev_hash, run->content_sha256, h);
	if (strcmp(h, run->hash) != 0) {
		*why = "hash does not match prev_hash and content_sha256";
		goto cleanup;
	}
	if ((err = axs_load_run(s, run->id, 0, &ev, &sizes)) < 0) {
		if (err == AX_EINVALID) {
			*why = "a stored result is malformed";
			err = 0;
		}
		goto cleanup;
	}
	/* A pruned run whose rows are all gone can only be checked for
	 * linkage (and by the walk: is a prune run listing it); if any rows
	 * remain, they must still hash right. */
	if (run->pruned && ev.nresults == 0 && ev.nartifacts == 0) {
		*why = ax_ledger_walk_run(walk, run, NULL);
		goto cleanup;
	}
	for (size_t i = 0; i < ev.nartifacts && !*why; i++) {
		if (sizes[i] < 0)
			*why = "an artifact's bytes are missing";
		else if (nbad && bsearch(ev.artifacts[i].sha256, bad, nbad, sizeof(*bad), cmp_hex))
			*why = "an artifact's stored bytes do not match its hash";
	}
	if (*why)
		goto cleanup;
	struct ax_buf json = AX_BUF_INIT;
	ax_ledger_content_json(run->id, run->kind, run->started_at, run->finished_at, &ev, sizes, &json);
	ax_sha256_hex(json.ptr, json.size, h);
	ax_buf_free(&json);
	if (strcmp(h, run->content_sha256) != 0) {
		*why = "its results or artifacts do not match content_sha256";
		goto cleanup;
	}
	rep->content_verified++;
	*why = ax_ledger_walk_run(walk, run, &ev);
cleanup:
	free(sizes);
	ax_evidence_free(&ev);
	return err;
}

int ax_store_ledger_check(struct ax_store *s, struct ax_ledger_report *rep_out)
{
	sqlite3_stmt *st = NULL;
	char (*bad)[65] = NULL;
	size_t nbad = 0;
	char prev[65];
	struct ax_run_info run;
	struct ax_ledger_report rep = {0};
	struct ax_ledger_walk *walk = ax_ledger_walk_new();
	const char *why = NULL;
	int err, rc;

	/* One read transaction: a concurrent commit cannot tear the walk. */
	if ((err = axs_exec(s, "BEGIN", "starting a read")) < 0 || (err = find_bad_artifacts(s, &bad, &nbad)) < 0 ||
	    (err = axs_prepare(s, &st, "SELECT " RUN_COLS " FROM runs ORDER BY id")) < 0)
		goto cleanup;
	axs_copy(prev, sizeof(prev), AX_LEDGER_GENESIS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		axs_run_info(st, &run);
		if ((err = verify_run(s, &run, prev, bad, nbad, walk, &rep, &why)) < 0)
			goto cleanup;
		if (why) {
			rep.bad_run = run.id;
			break;
		}
		rep.runs++;
		axs_copy(prev, sizeof(prev), run.hash);
	}
	if (!why && rc != SQLITE_DONE) {
		err = axs_fail(s, "reading runs");
		goto cleanup;
	}
	if (!why)
		why = ax_ledger_walk_end(walk, 1, &rep, &rep.bad_run);
	if (why)
		err = ax_error_code(AX_EINVALID, "store %s: ledger broken at run %lld: %s", s->path,
				    (long long)rep.bad_run, why);
cleanup:
	sqlite3_finalize(st);
	axs_rollback(s); /* ends the read transaction */
	ax_ledger_walk_free(walk);
	free(bad);
	if (rep_out)
		*rep_out = rep;
	return err;
}

int ax_store_ledger_verify(struct ax_store *s, int64_t *bad_run)
{
	struct ax_ledger_report rep;
	int err = ax_store_ledger_check(s, &rep);
	if (bad_run)
		*bad_run = rep.bad_run;
	return err;
}

/* Pruning, set-based, in one transaction: the runs to prune are listed
 * (one scan of runs) and marked; then the rows of those runs go (each run
 * a range of the clustered tables), then only the result values, artifact
 * links and artifacts that the deleted rows used and nothing uses any more
 * (one index seek each). A prune costs what it deletes, not the size of
 * the store, whether it runs after every run or once a day. Only
 * automated collection runs are pruned; manual evidence (attach, approve,
 * revoke) is kept until it is revoked. */
static const char prune_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS prune_runs (id INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE IF NOT EXISTS prune_values (id INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE IF NOT EXISTS prune_refs (id INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE IF NOT EXISTS prune_shas (sha256 TEXT PRIMARY KEY);"
	"DELETE FROM temp.prune_runs; DELETE FROM temp.prune_values;"
	"DELETE FROM temp.prune_refs; DELETE FROM temp.prune_shas;"
	"INSERT INTO temp.prune_runs SELECT id FROM runs WHERE pruned = 0 AND kind = 'collect'"
	" AND finished_at < @before;"
	/* marked first: the triggers allow deleting rows of pruned runs only */
	"UPDATE runs SET pruned = 1 WHERE id IN (SELECT id FROM temp.prune_runs);"
	"INSERT OR IGNORE INTO temp.prune_values SELECT value_id FROM result_rows"
	" WHERE run_id IN (SELECT id FROM temp.prune_runs);"
	"INSERT OR IGNORE INTO temp.prune_refs SELECT ref_id FROM artifact_links"
	" WHERE run_id IN (SELECT id FROM temp.prune_runs);"
	"DELETE FROM result_rows WHERE run_id IN (SELECT id FROM temp.prune_runs);"
	"DELETE FROM artifact_links WHERE run_id IN (SELECT id FROM temp.prune_runs);"
	"DELETE FROM result_values WHERE id IN (SELECT id FROM temp.prune_values)"
	" AND NOT EXISTS (SELECT 1 FROM result_rows WHERE value_id = result_values.id);"
	"INSERT OR IGNORE INTO temp.prune_shas SELECT sha256 FROM artifact_refs f"
	" WHERE id IN (SELECT id FROM temp.prune_refs)"
	" AND NOT EXISTS (SELECT 1 FROM artifact_links WHERE ref_id = f.id);"
	"DELETE FROM artifact_refs WHERE id IN (SELECT id FROM temp.prune_refs)"
	" AND NOT EXISTS (SELECT 1 FROM artifact_links WHERE ref_id = artifact_refs.id);"
	"DELETE FROM artifacts WHERE sha256 IN (SELECT sha256 FROM temp.prune_shas)"
	" AND NOT EXISTS (SELECT 1 FROM artifact_refs WHERE sha256 = artifacts.sha256);"
	"SELECT count(*) FROM temp.prune_runs;";

/* Ranges per prune record: an observed text of at most ~20 bytes a range
 * stays far below AX_OBSERVED_MAX. */
#define PRUNE_RANGES_PER_RECORD 8192

/* Inside the prune's transaction: the `prune` run that lists what was
 * just pruned (temp.prune_runs) and the cutoff, chained like any run. */
static int record_prune(struct ax_store *s, int64_t before, int64_t now)
{
	sqlite3_stmt *st = NULL;
	struct ax_evidence ev = {0};
	struct ax_buf obs = AX_BUF_INIT, msg = AX_BUF_INIT;
	int64_t lo = 0, hi = 0, total = 0;
	size_t nranges = 0;
	char cutoff[32];
	int err, rc;
	ax_time_format(before, cutoff);
	if ((err = axs_prepare(s, &st, "SELECT id FROM temp.prune_runs ORDER BY id")) < 0)
		goto cleanup;
	for (;;) {
		rc = sqlite3_step(st);
		int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		if (rc == SQLITE_ROW && lo && id == hi + 1) {
			hi = id;
			continue;
		}
		if (lo) { /* close the range lo..hi */
			if (!obs.size)
				ax_buf_printf(&obs, "{\"before\":%lld,\"runs\":[", (long long)before);
			else
				ax_buf_putc(&obs, ',');
			ax_buf_printf(&obs, "[%lld,%lld]", (long long)lo, (long long)hi);
			total += hi - lo + 1;
			nranges++;
		}
		if (obs.size && (rc != SQLITE_ROW || nranges % PRUNE_RANGES_PER_RECORD == 0)) {
			ax_buf_puts(&obs, "]}");
			ax_buf_clear(&msg);
			ax_buf_printf(&msg, "pruned the results of %lld collect runs that finished before %s",
				      (long long)total, cutoff);
			ax_evidence_add_result(&ev, AX_LEDGER_PRUNE_INSTANCE, "ledger", AX_LEDGER_PRUNE_CHECK,
					       AX_CHECK_PASS, ax_buf_cstr(&msg), ax_buf_cstr(&obs), now);
			ax_buf_clear(&obs);
			total = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		lo = hi = id;
	}
	if (rc != SQLITE_DONE) {
		err = axs_fail(s, "listing the pruned runs");
		goto cleanup;
	}
	err = axs_append_run(s, "prune", now, now, &ev, NULL, NULL);
cleanup:
	sqlite3_finalize(st);
	ax_evidence_free(&ev);
	ax_buf_free(&obs);
	ax_buf_free(&msg);
	return err;
}

int ax_store_prune(struct ax_store *s, int64_t before, int64_t now, int64_t *npruned)
{
	sqlite3_stmt *st = NULL;
	const char *sql = prune_sql;
	int64_t n = 0;
	int err = 0, rc;
	if ((err = axs_exec(s, "BEGIN IMMEDIATE", "starting to prune")) < 0)
		goto cleanup;
	while (*sql) {
		const char *tail = NULL;
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) != SQLITE_OK) {
			err = axs_fail(s, "pruning");
			goto cleanup;
		}
		sql = tail;
		if (!st)
			continue;
		if (sqlite3_bind_parameter_count(st) > 0)
			sqlite3_bind_int64(st, 1, before); /* only @before */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0); /* only the final count returns a row */
		if (rc != SQLITE_DONE) {
			err = axs_fail(s, "pruning");
			goto cleanup;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (n > 0 && (err = record_prune(s, before, now)) < 0)
		goto cleanup;
	if ((err = axs_exec(s, "DELETE FROM temp.prune_runs; DELETE FROM temp.prune_values;"
			       "DELETE FROM temp.prune_refs; DELETE FROM temp.prune_shas; COMMIT",
			    "committing the prune")) < 0)
		goto cleanup;
	/* Gives the freed pages back to the file system (stores created or
	 * migrated with auto_vacuum = INCREMENTAL; a no-op otherwise). Its own
	 * transaction, after the prune is durable; failing it loses nothing:
	 * the pages stay free for the next runs. */
	if (n > 0)
		sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	if (npruned)
		*npruned = n;
cleanup:
	sqlite3_finalize(st);
	if (err < 0)
		axs_rollback(s);
	return err;
}
