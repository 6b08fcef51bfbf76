/* ledger.c - the canonical form of a run, the hashes that chain runs, and
 * the checks of a walk along the chain (ledger.h). Verifying and pruning a
 * store's chain is store_verify.c.
 *
 * Everything here is pure: the store uses it when it commits and verifies,
 * the bundle verifier on exported data. The format below is a contract:
 * changing a byte of it breaks every existing ledger.
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
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json.h"
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
		arts[i].size = artifact_sizes && artifact_sizes[i] != AX_LEDGER_SIZE_IN_DATA ? artifact_sizes[i] : (int64_t)ev->artifacts[i].data.size;
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
	text = ax_json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
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
