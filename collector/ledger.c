/* ledger.c - the canonical form of a run, the hashes that chain runs,
 * verification of a store's chain (hashes, time, prunes), and pruning
 * that keeps the chain and records itself as a `prune` run.
 *
 * The format and hash functions are pure: the store uses them when it
 * commits and verifies, the bundle verifier on exported data. The format
 * below is a contract: changing a byte of it breaks every existing ledger.
 *
 * content_sha256 = lowercase hex SHA-256 of the canonical JSON of a run,
 * dumped by jansson with JSON_COMPACT | JSON_SORT_KEYS (no newline):
 *
 *   {"artifacts": [A...], "finished_at": INT, "id": INT, "kind": STR,
 *    "results": [R...], "started_at": INT}
 *
 *   R = {"check": STR, "collected_at": INT, "instance": STR,
 *        "message": STR, "observed": OBS, "probe_type": STR,
 *        "status": "pass"|"fail"|"error"|"skip"|"info"}
 *   A = {"instance": STR, "media_type": STR, "name": STR,
 *        "sha256": STR (64 lowercase hex), "size": INT (bytes)}
 *
 * - OBS is the result's observed text parsed by jansson (json_loads with
 *   JSON_REJECT_DUPLICATES) when that yields a JSON object, else the
 *   observed text itself as a JSON string.
 * - A string that is not valid UTF-8 (the store refuses those, so only
 *   foreign data can have them) is written as {"invalid_utf8_hex": HEX}.
 * - R entries are sorted by instance, check, collected_at, then (only to
 *   make the order total) probe_type, status name, message, observed text;
 *   A entries by instance, name, then sha256, media_type, size. Strings
 *   compare byte-wise (strcmp), integers numerically.
 *
 * hash = lowercase hex SHA-256 of the 129 ASCII bytes
 *        prev_hash_hex ":" content_sha256_hex
 * with prev_hash_hex of the first run = 64 '0' (AX_LEDGER_GENESIS). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store-int.h"
#include "util.h"

/* A JSON string, or the documented stand-in when s is not valid UTF-8. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	size_t len = strlen(s);
	char *hex = ax_malloc(2 * len + 1);
	ax_hex((const unsigned char *)s, len, hex);
	j = json_object();
	json_object_set_new(j, "invalid_utf8_hex", json_string(hex));
	free(hex);
	return j;
}

static json_t *jobserved(const char *text)
{
	const char *t = text ? text : "";
	json_error_t jerr;
	json_t *j = json_loads(t, JSON_REJECT_DUPLICATES, &jerr);
	if (j && json_is_object(j))
		return j;
	json_decref(j);
	return jstr(t);
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_result(const void *pa, const void *pb)
{
	const struct ax_result *a = *(const struct ax_result *const *)pa;
	const struct ax_result *b = *(const struct ax_result *const *)pb;
	int c;
	if ((c = cmp_str(a->instance, b->instance)) || (c = cmp_str(a->check, b->check)) ||
	    (c = cmp_i64(a->collected_at, b->collected_at)) || (c = cmp_str(a->probe_type, b->probe_type)) ||
	    (c = cmp_str(ax_check_status_name(a->status), ax_check_status_name(b->status))) ||
	    (c = cmp_str(a->message, b->message)))
		return c;
	return cmp_str(a->observed, b->observed);
}

struct art_ref {
	const struct ax_artifact *a;
	int64_t size;
};

static int cmp_artifact(const void *pa, const void *pb)
{
	const struct art_ref *a = pa, *b = pb;
	int c;
	if ((c = cmp_str(a->a->instance, b->a->instance)) || (c = cmp_str(a->a->name, b->a->name)) ||
	    (c = cmp_str(a->a->sha256, b->a->sha256)) || (c = cmp_str(a->a->media_type, b->a->media_type)))
		return c;
	return cmp_i64(a->size, b->size);
}

void ax_ledger_content_json(int64_t run_id, const char *kind, int64_t started_at, int64_t finished_at,
			    const struct ax_evidence *ev, const int64_t *artifact_sizes, struct ax_buf *out)
{
	size_t nres = ev ? ev->nresults : 0, nart = ev ? ev->nartifacts : 0;
	const struct ax_result **res = ax_calloc(nres, sizeof(*res));
	struct art_ref *arts = ax_calloc(nart, sizeof(*arts));
	json_t *root = json_object(), *jres = json_array(), *jart = json_array();
	char *text = NULL;

	for (size_t i = 0; i < nres; i++)
		res[i] = &ev->results[i];
	qsort(res, nres, sizeof(*res), cmp_result);
	for (size_t i = 0; i < nres; i++) {
		json_t *r = json_object();
		json_object_set_new(r, "instance", jstr(res[i]->instance));
		json_object_set_new(r, "probe_type", jstr(res[i]->probe_type));
		json_object_set_new(r, "check", jstr(res[i]->check));
		json_object_set_new(r, "status", json_string(ax_check_status_name(res[i]->status)));
		json_object_set_new(r, "message", jstr(res[i]->message));
		json_object_set_new(r, "observed", jobserved(res[i]->observed));
		json_object_set_new(r, "collected_at", json_integer(res[i]->collected_at));
		json_array_append_new(jres, r);
	}

	for (size_t i = 0; i < nart; i++) {
		arts[i].a = &ev->artifacts[i];
		arts[i].size = artifact_sizes ? artifact_sizes[i] : (int64_t)ev->artifacts[i].data.size;
	}
	qsort(arts, nart, sizeof(*arts), cmp_artifact);
	for (size_t i = 0; i < nart; i++) {
		json_t *a = json_object();
		json_object_set_new(a, "instance", jstr(arts[i].a->instance));
		json_object_set_new(a, "name", jstr(arts[i].a->name));
		json_object_set_new(a, "media_type", jstr(arts[i].a->media_type));
		json_object_set_new(a, "sha256", jstr(arts[i].a->sha256));
		json_object_set_new(a, "size", json_integer(arts[i].size));
		json_array_append_new(jart, a);
	}

	json_object_set_new(root, "id", json_integer(run_id));
	json_object_set_new(root, "kind", jstr(kind));
	json_object_set_new(root, "started_at", json_integer(started_at));
	json_object_set_new(root, "finished_at", json_integer(finished_at));
	json_object_set_new(root, "results", jres);
	json_object_set_new(root, "artifacts", jart);

	/* Every string above is valid UTF-8, so dumping fails only when
	 * memory runs out, where the rest of annexa aborts too. */
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		fputs("annexa: out of memory\n", stderr);
		abort();
	}
	ax_buf_puts(out, text);

	free(text);
	json_decref(root);
	free(arts);
	free(res);
}

void ax_ledger_content_hash(int64_t run_id, const char *kind, int64_t started_at, int64_t finished_at,
			    const struct ax_evidence *ev, char out[65])
{
	struct ax_buf json = AX_BUF_INIT;
	ax_ledger_content_json(run_id, kind, started_at, finished_at, ev, NULL, &json);
	ax_sha256_hex(json.ptr, json.size, out);
	ax_buf_free(&json);
}

void ax_ledger_chain_hash(const char *prev_hex, const char *content_hex, char out[65])
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_printf(&b, "%s:%s", prev_hex, content_hex);
	ax_sha256_hex(b.ptr, b.size, out);
	ax_buf_free(&b);
}

/* --- the checks of a walk along the chain besides the hashes --- */

struct prune_range {
	int64_t lo, hi, before, prune_run;
};

struct pruned_run {
	int64_t id, finished;
};

struct ax_ledger_walk {
	int have_time;
	int64_t newest_finished;
	int64_t first_prune_run;         /* 0: none yet */
	int64_t first_prune_before;      /* its cutoff */
	int64_t record_before;           /* cutoff of the last record read */
	int64_t oldest_unpruned_collect; /* finished_at; INT64_MAX: none */
	struct prune_range *ranges;
	size_t nranges, aranges;
	struct pruned_run *pruned;
	size_t npruned, apruned;
};

struct ax_ledger_walk *ax_ledger_walk_new(void)
{
	struct ax_ledger_walk *w = ax_calloc(1, sizeof(*w));
	w->oldest_unpruned_collect = INT64_MAX;
	return w;
}

void ax_ledger_walk_free(struct ax_ledger_walk *w)
{
	if (!w)
		return;
	free(w->ranges);
	free(w->pruned);
	free(w);
}

/* Reads the ranges of one prune record {"before": INT, "runs": [[LO, HI],
 * ...]}; every listed run must come before the prune run itself. */
static const char *add_prune_record(struct ax_ledger_walk *w, const struct ax_run_info *run, const char *observed)
{
	json_t *j = json_loads(observed ? observed : "", JSON_REJECT_DUPLICATES, NULL), *r;
	json_t *before = json_object_get(j, "before"), *runs = json_object_get(j, "runs");
	const char *why = NULL;
	size_t i;
	if (!json_is_integer(before) || !json_is_array(runs)) {
		why = "its prune record is malformed";
		goto cleanup;
	}
	w->record_before = json_integer_value(before);
	json_array_foreach(runs, i, r) {
		json_t *lo = json_array_get(r, 0), *hi = json_array_get(r, 1);
		if (json_array_size(r) != 2 || !json_is_integer(lo) || !json_is_integer(hi) ||
		    json_integer_value(lo) < 1 || json_integer_value(lo) > json_integer_value(hi) ||
		    json_integer_value(hi) >= run->id) {
			why = "its prune record lists a run range that is malformed or not before it";
			goto cleanup;
		}
		if (w->nranges == w->aranges) {
			w->aranges = w->aranges ? 2 * w->aranges : 64;
			w->ranges = ax_realloc(w->ranges, w->aranges * sizeof(*w->ranges));
		}
		w->ranges[w->nranges++] = (struct prune_range){json_integer_value(lo), json_integer_value(hi),
							       json_integer_value(before), run->id};
	}
cleanup:
	json_decref(j);
	return why;
}

const char *ax_ledger_walk_run(struct ax_ledger_walk *w, const struct ax_run_info *run, const struct ax_evidence *ev)
{
	const char *why = NULL;
	int collect = strcmp(run->kind, "collect") == 0;
	if (w->have_time && run->finished_at < w->newest_finished - AX_LEDGER_CLOCK_SLACK)
		return "it finished before the run before it: time goes back along the chain";
	if (!w->have_time || run->finished_at > w->newest_finished)
		w->newest_finished = run->finished_at;
	w->have_time = 1;
	if (run->pruned) {
		if (!collect)
			return "it is pruned, but only collect runs are ever pruned";
		if (w->npruned == w->apruned) {
			w->apruned = w->apruned ? 2 * w->apruned : 256;
			w->pruned = ax_realloc(w->pruned, w->apruned * sizeof(*w->pruned));
		}
		w->pruned[w->npruned++] = (struct pruned_run){run->id, run->finished_at};
		return NULL;
	}
	if (collect && run->finished_at < w->oldest_unpruned_collect)
		w->oldest_unpruned_collect = run->finished_at;
	if (strcmp(run->kind, "prune") != 0)
		return NULL;
	int records = 0;
	for (size_t i = 0; ev && i < ev->nresults && !why; i++) {
		const struct ax_result *r = &ev->results[i];
		if (strcmp(r->instance, AX_LEDGER_PRUNE_INSTANCE) != 0 || strcmp(r->check, AX_LEDGER_PRUNE_CHECK) != 0)
			continue;
		records++;
		why = add_prune_record(w, run, r->observed);
	}
	if (!why && !records)
		why = "it is a prune run without a prune record";
	if (!why && !w->first_prune_run) {
		w->first_prune_run = run->id;
		w->first_prune_before = w->record_before;
	}
	return why;
}

static int cmp_range(const void *pa, const void *pb)
{
	const struct prune_range *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The range that lists id, or NULL (ranges sorted by lo; ranges of
 * different prune runs never overlap, a run being pruned once). */
static const struct prune_range *find_range(const struct ax_ledger_walk *w, int64_t id)
{
	size_t lo = 0, hi = w->nranges;
	while (lo < hi) { /* first range with lo > id */
		size_t mid = lo + (hi - lo) / 2;
		if (w->ranges[mid].lo <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && w->ranges[lo - 1].hi >= id ? &w->ranges[lo - 1] : NULL;
}

const char *ax_ledger_walk_end(struct ax_ledger_walk *w, int at_head, struct ax_ledger_report *rep, int64_t *bad)
{
	if (w->nranges)
		qsort(w->ranges, w->nranges, sizeof(*w->ranges), cmp_range);
	for (size_t i = 0; i < w->npruned; i++) {
		const struct pruned_run *p = &w->pruned[i];
		const struct prune_range *r = find_range(w, p->id);
		if (r && p->finished >= r->before) {
			*bad = p->id;
			return "it is pruned, but finished after the cutoff of the prune run that lists it";
		}
		if (r) {
			rep->pruned_covered++;
			continue;
		}
		/* Pruning by an annexa that did not record it yet: only ever the
		 * oldest collect runs, before the first prune run, and older than
		 * its cutoff (that prune found unpruned runs older than it, so any
		 * earlier cutoff lay before it). */
		if ((!w->first_prune_run || (p->id < w->first_prune_run && p->finished < w->first_prune_before)) &&
		    p->finished < w->oldest_unpruned_collect) {
			rep->pruned_legacy++;
			continue;
		}
		if (!at_head) {
			rep->pruned_unknown++; /* a prune run after the excerpt may list it */
			continue;
		}
		*bad = p->id;
		return "it is pruned, but no prune run lists it (its results were deleted without a trace)";
	}
	return NULL;
}

/* --- ledger verification and pruning --- */

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
