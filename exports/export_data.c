/* export_data.c - gathers everything a report or bundle needs about one
 * period from the store: its runs, their results, artifact descriptors with
 * unique bundle paths, the manual evidence of the period, the control
 * status at the end of the period (probes and manual evidence combined,
 * as `annexa status` does, then the period test) and each control's state
 * over the period: the newest result of every mapped check as of each
 * collection run, replayed oldest first (export.h).
 *
 * Artifact bytes are not loaded here (the bundle writer streams them one at
 * a time), so memory grows with the number of results, not with evidence
 * size. Bundle paths are sanitised (ax_export_safe_name) and unique. */
#include "export.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annexa-build.h"
#include "config.h"
#include "controls.h"
#include "log.h"
#include "population.h"
#include "util.h"

struct run_list {
	struct ax_run_info *runs;
	size_t n, a;
};

static int collect_run(void *arg, const struct ax_run_info *run)
{
	struct run_list *l = arg;
	if (l->n == l->a) {
		l->a = l->a ? 2 * l->a : 64;
		l->runs = ax_realloc(l->runs, l->a * sizeof(*l->runs));
	}
	l->runs[l->n++] = *run;
	return 0;
}

/* One artifact descriptor of one run, before de-duplication. */
struct desc {
	const struct ax_artifact *a;
	int64_t run_id;
};

static int cmp_desc(const void *pa, const void *pb)
{
	const struct desc *a = pa, *b = pb;
	int c;
	if ((c = strcmp(a->a->instance, b->a->instance)) || (c = strcmp(a->a->name, b->a->name)) ||
	    (c = strcmp(a->a->sha256, b->a->sha256)))
		return c;
	return a->run_id < b->run_id ? -1 : a->run_id > b->run_id;
}

static int cmp_path_idx(const void *pa, const void *pb, void *arg)
{
	const struct ax_export_artifact *arts = arg;
	return strcmp(arts[*(const size_t *)pa].bundle_path, arts[*(const size_t *)pb].bundle_path);
}

/* A population (population.h) goes to populations/<instance>/<name>, the
 * rest to evidence/<instance>/<name>. */
static char *artifact_path(const struct ax_export_artifact *a, int by_hash)
{
	struct ax_buf b = AX_BUF_INIT;
	const char *name = a->name;
	if (strncmp(name, AX_POP_PREFIX, strlen(AX_POP_PREFIX)) == 0 && name[strlen(AX_POP_PREFIX)]) {
		name += strlen(AX_POP_PREFIX);
		ax_buf_printf(&b, AX_POP_PREFIX "%s/", a->instance);
	} else {
		ax_buf_printf(&b, "evidence/%s/", a->instance);
	}
	if (by_hash)
		ax_buf_printf(&b, "%.16s/", a->sha256);
	ax_export_safe_name(name, &b);
	return ax_buf_detach(&b);
}

/* Of the versions of one population in the period, the newest run's keeps
 * the plain path (what `annexa sample --bundle` reads); older ones go by
 * hash. */
static int newest_population(const struct ax_export_data *d, const size_t *idx, size_t g, size_t end, size_t k)
{
	const struct ax_export_artifact *a = &d->artifacts[idx[k]];
	if (strncmp(a->name, AX_POP_PREFIX, strlen(AX_POP_PREFIX)) != 0)
		return 0;
	for (size_t j = g; j < end; j++) {
		const struct ax_export_artifact *o = &d->artifacts[idx[j]];
		if (o->last_run > a->last_run || (o->last_run == a->last_run && j < k))
			return 0;
	}
	return 1;
}

/* Sorts idx by path, then for every group of equal paths with differing
 * content calls mark (or fails when mark is 0). */
static int resolve_collisions(struct ax_export_data *d, size_t *idx, int mark)
{
	for (size_t i = 0; i < d->nartifacts; i++)
		idx[i] = i;
	qsort_r(idx, d->nartifacts, sizeof(*idx), cmp_path_idx, d->artifacts);
	for (size_t g = 0; g < d->nartifacts;) {
		size_t end = g + 1;
		int differ = 0;
		while (end < d->nartifacts &&
		       strcmp(d->artifacts[idx[g]].bundle_path, d->artifacts[idx[end]].bundle_path) == 0) {
			differ |= strcmp(d->artifacts[idx[g]].sha256, d->artifacts[idx[end]].sha256) != 0;
			end++;
		}
		if (differ && !mark)
			return ax_error_set("export: two different artifacts share the bundle path %s",
					    d->artifacts[idx[g]].bundle_path);
		for (size_t k = g; differ && k < end; k++) {
			struct ax_export_artifact *a = &d->artifacts[idx[k]];
			if (newest_population(d, idx, g, end, k))
				continue;
			free(a->bundle_path);
			a->bundle_path = artifact_path(a, 1);
		}
		g = end;
	}
	return 0;
}

/* evidence/<instance>/<name> when that is unique after sanitising, else
 * evidence/<instance>/<sha256 prefix>/<name>. Equal paths then mean equal
 * content (the writer stores such a file once). */
static int assign_paths(struct ax_export_data *d)
{
	size_t *idx = ax_calloc(d->nartifacts + 1, sizeof(*idx));
	int err;
	for (size_t i = 0; i < d->nartifacts; i++)
		d->artifacts[i].bundle_path = artifact_path(&d->artifacts[i], 0);
	ax_export_manual_remap(d);
	if ((err = resolve_collisions(d, idx, 1)) == 0)
		err = resolve_collisions(d, idx, 0);
	free(idx);
	return err;
}

/* Appends one run's results and artifact descriptors. */
static void add_run(struct ax_export_data *d, int64_t run_id, struct ax_evidence *run, struct desc **descs,
		    size_t *ndescs)
{
	size_t first = d->evidence.nresults;
	for (size_t i = 0; i < run->nresults; i++) {
		const struct ax_result *r = &run->results[i];
		ax_evidence_add_result(&d->evidence, r->instance, r->probe_type, r->check, r->status, r->message,
				       r->observed, r->collected_at);
	}
	d->result_run = ax_realloc(d->result_run, (d->evidence.nresults + 1) * sizeof(*d->result_run));
	for (size_t i = first; i < d->evidence.nresults; i++)
		d->result_run[i] = run_id;
	*descs = ax_realloc(*descs, (*ndescs + run->nartifacts + 1) * sizeof(**descs));
	for (size_t i = 0; i < run->nartifacts; i++) {
		(*descs)[*ndescs].a = &run->artifacts[i];
		(*descs)[*ndescs].run_id = run_id;
		(*ndescs)++;
	}
}

/* De-duplicates descriptors into d->artifacts and records the links. */
static void build_artifacts(struct ax_export_data *d, struct desc *descs, size_t n)
{
	qsort(descs, n, sizeof(*descs), cmp_desc);
	d->artifacts = ax_calloc(n + 1, sizeof(*d->artifacts));
	d->links = ax_calloc(n + 1, sizeof(*d->links));
	for (size_t i = 0; i < n; i++) {
		const struct ax_artifact *a = descs[i].a;
		struct ax_export_artifact *prev = d->nartifacts ? &d->artifacts[d->nartifacts - 1] : NULL;
		if (!prev || strcmp(prev->instance, a->instance) || strcmp(prev->name, a->name) ||
		    strcmp(prev->sha256, a->sha256)) {
			prev = &d->artifacts[d->nartifacts++];
			prev->instance = ax_strdup(a->instance);
			prev->name = ax_strdup(a->name);
			prev->media_type = ax_strdup(a->media_type ? a->media_type : "application/octet-stream");
			memcpy(prev->sha256, a->sha256, sizeof(prev->sha256));
			prev->size = -1;
		}
		if (descs[i].run_id > prev->last_run)
			prev->last_run = descs[i].run_id;
		d->links[d->nlinks].run_id = descs[i].run_id;
		d->links[d->nlinks].artifact = (size_t)(prev - d->artifacts);
		d->nlinks++;
	}
}

static int cmp_latest(const void *pa, const void *pb)
{
	const struct ax_result *a = *(const struct ax_result *const *)pa, *b = *(const struct ax_result *const *)pb;
	int c;
	if ((c = strcmp(a->instance, b->instance)) || (c = strcmp(a->check, b->check)))
		return c;
	/* newest first; later entries (later runs) win ties */
	if (a->collected_at != b->collected_at)
		return a->collected_at > b->collected_at ? -1 : 1;
	return a > b ? -1 : a < b;
}

/* The rows of manual and prune runs are events, not check results (as in
 * ax_store_latest); the manual items themselves are d->manual. */
static int is_event_row(const struct ax_result *r)
{
	return (strcmp(r->instance, "manual") == 0 && strncmp(r->check, "manual.", 7) == 0) ||
	       (strcmp(r->instance, AX_LEDGER_PRUNE_INSTANCE) == 0 && strncmp(r->check, "ledger.", 7) == 0);
}

/* The newest result of every (instance, check) among the period's results. */
static int64_t expiry_warning(const struct ax_export_data *d)
{
	return d->cfg ? ax_config_get_int(d->cfg, "annexa", "expiry-warning") : 30 * 86400;
}

/* The newest result of every (instance, check) of all, into latest. */
static void latest_of(const struct ax_evidence *all, struct ax_evidence *latest)
{
	size_t n = all->nresults;
	const struct ax_result **v = ax_calloc(n + 1, sizeof(*v));
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ax_result *r = &all->results[i];
		if (is_event_row(r))
			continue;
		v[nv++] = r;
	}
	n = nv;
	qsort(v, n, sizeof(*v), cmp_latest);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i]->instance, v[i - 1]->instance) == 0 && strcmp(v[i]->check, v[i - 1]->check) == 0)
			continue;
		ax_evidence_add_result(latest, v[i]->instance, v[i]->probe_type, v[i]->check, v[i]->status,
				       v[i]->message, v[i]->observed, v[i]->collected_at);
	}
	free(v);
}

/* The control counts at the end of the previous period: the one of the
 * same length that ends where this one starts, judged as this one's end
 * is (newest result of each check in it, manual evidence as of then).
 * Left unset (have_previous 0) for an unbounded period or when no
 * collection run falls in the previous one. */
static int build_previous(struct ax_export_data *d)
{
	struct run_list runs = {0};
	struct ax_evidence all = {0}, latest = {0};
	struct ax_status *st = NULL;
	int err = 0, collected = 0;
	if (!d->since || d->status_at <= d->since)
		return 0;
	d->previous_since = d->since - (d->status_at - d->since);
	d->previous_until = d->since - 1;
	if ((err = ax_store_runs(d->store, d->previous_since, d->previous_until, collect_run, &runs)) < 0)
		goto cleanup;
	for (size_t r = 0; r < runs.n; r++) {
		struct ax_evidence ev = {0};
		if (runs.runs[r].pruned || strcmp(runs.runs[r].kind, "collect") != 0)
			continue;
		if ((err = ax_store_run_evidence(d->store, runs.runs[r].id, 0, &ev)) < 0)
			goto cleanup;
		for (size_t i = 0; i < ev.nresults; i++) {
			const struct ax_result *x = &ev.results[i];
			ax_evidence_add_result(&all, x->instance, x->probe_type, x->check, x->status, x->message, x->observed,
					       x->collected_at);
		}
		ax_evidence_free(&ev);
		collected = 1;
	}
	if (!collected)
		goto cleanup;
	latest_of(&all, &latest);
	if ((err = ax_status_compute(d->cat, d->cfg, &latest, d->since, &st)) < 0)
		goto cleanup;
	ax_status_apply_manual(st, d->manual.items, d->manual.n, d->since, expiry_warning(d));
	memcpy(d->previous_counts, st->counts, sizeof(d->previous_counts));
	d->have_previous = 1;
cleanup:
	ax_status_free(st);
	ax_evidence_free(&latest);
	ax_evidence_free(&all);
	free(runs.runs);
	return err;
}

/* One (instance, check) of the period: the controls it evidences, its
 * freshness and its newest result as the runs are replayed. */
struct period_key {
	const struct ax_result *first; /* a result of the key, for names */
	size_t *ctls;
	size_t nctls;
	int64_t freshness;
	enum ax_check_status status;
	int64_t at; /* collected_at of the newest result so far, 0 = none */
	size_t idx; /* that result: index into d->evidence.results */
	int unresolved;
};

static int cmp_key_idx(const void *pa, const void *pb, void *arg)
{
	const struct ax_result *res = arg;
	const struct ax_result *a = &res[*(const size_t *)pa], *b = &res[*(const size_t *)pb];
	int c;
	if ((c = strcmp(a->instance, b->instance)) || (c = strcmp(a->check, b->check)))
		return c;
	return (*(const size_t *)pa > *(const size_t *)pb) - (*(const size_t *)pa < *(const size_t *)pb);
}

/* The period's keys; key_of[i] is the key of result i (SIZE_MAX for
 * event rows). */
static struct period_key *period_keys(struct ax_export_data *d, size_t *key_of, size_t *nkeys)
{
	size_t n = d->evidence.nresults, nv = 0, nk = 0, nc = d->status->ncontrols;
	size_t *v = ax_calloc(n + 1, sizeof(*v));
	struct period_key *keys = ax_calloc(n + 1, sizeof(*keys));
	unsigned char *hit = ax_calloc(nc + 1, 1);
	for (size_t i = 0; i < n; i++) {
		key_of[i] = SIZE_MAX;
		if (!is_event_row(&d->evidence.results[i]))
			v[nv++] = i;
	}
	qsort_r(v, nv, sizeof(*v), cmp_key_idx, d->evidence.results);
	for (size_t i = 0; i < nv; i++) {
		const struct ax_result *r = &d->evidence.results[v[i]];
		if (!nk || strcmp(keys[nk - 1].first->instance, r->instance) || strcmp(keys[nk - 1].first->check, r->check)) {
			struct period_key *k = &keys[nk++];
			k->first = r;
			k->freshness = ax_status_freshness(d->cfg, r->instance);
			memset(hit, 0, nc);
			ax_status_hits(d->cat, d->cfg, r->instance, r->check, hit);
			for (size_t c = 0; c < nc; c++)
				if (hit[c]) {
					k->ctls = ax_realloc(k->ctls, (k->nctls + 1) * sizeof(*k->ctls));
					k->ctls[k->nctls++] = c;
				}
		}
		key_of[v[i]] = nk - 1;
	}
	free(v);
	free(hit);
	*nkeys = nk;
	return keys;
}

/* skip (and any result status that evidences nothing either way) */
static int counting(enum ax_check_status s)
{
	return s == AX_CHECK_PASS || s == AX_CHECK_FAIL || s == AX_CHECK_ERROR;
}

/* The state of every control at time t from the keys' newest results:
 * as ax_status_compute decides it, -1 while no counting result exists;
 * expiry[c]: when the oldest of those results goes stale (a pass lasts
 * no longer than that without a new run). */
static void period_states(const struct period_key *keys, size_t nkeys, size_t nc, int64_t t, int *state,
			  int64_t *expiry)
{
	static const int rank[AX_CTL__COUNT] = {
		[AX_CTL_PASS] = 1, [AX_CTL_STALE] = 2, [AX_CTL_ERROR] = 3, [AX_CTL_FAIL] = 4,
	};
	for (size_t c = 0; c < nc; c++) {
		state[c] = -1;
		expiry[c] = INT64_MAX;
	}
	for (size_t k = 0; k < nkeys; k++) {
		const struct period_key *key = &keys[k];
		int s;
		if (!key->at || !counting(key->status))
			continue;
		s = key->status == AX_CHECK_FAIL ? AX_CTL_FAIL : key->status == AX_CHECK_ERROR ? AX_CTL_ERROR
		    : t - key->at > key->freshness					 ? AX_CTL_STALE
											 : AX_CTL_PASS;
		for (size_t i = 0; i < key->nctls; i++) {
			int *cur = &state[key->ctls[i]];
			if (*cur < 0 || rank[s] > rank[*cur])
				*cur = s;
			if (key->at + key->freshness < expiry[key->ctls[i]])
				expiry[key->ctls[i]] = key->at + key->freshness;
		}
	}
}

static int counts_evaluated(int s)
{
	return s == AX_CTL_PASS || s == AX_CTL_FAIL || s == AX_CTL_ERROR || s == AX_CTL_STALE;
}

/* The period test (export.h) for every control; a control that passes at
 * the end but fails it is reported partial. One pass over the results. */
static void period_test(struct ax_export_data *d, const struct period_key *keys, size_t nkeys, const size_t *key_of,
			int64_t start, int64_t end)
{
	size_t nc = d->status->ncontrols;
	unsigned char **seen = ax_calloc(nc + 1, sizeof(*seen));
	int64_t span = end > start ? end - start : 0;
	for (size_t k = 0; k < nkeys; k++)
		for (size_t i = 0; i < keys[k].nctls; i++) {
			struct ax_export_period_stat *p = &d->period[keys[k].ctls[i]];
			if (!p->window || keys[k].freshness < p->window)
				p->window = keys[k].freshness;
			p->unresolved += keys[k].unresolved;
		}
	for (size_t c = 0; c < nc; c++) {
		struct ax_export_period_stat *p = &d->period[c];
		if (!p->window)
			continue;
		p->windows = (int)(span / p->window + (span % p->window != 0));
		if (p->windows < 1)
			p->windows = 1;
		seen[c] = ax_calloc((size_t)p->windows + 1, 1);
	}
	for (size_t i = 0; i < d->evidence.nresults; i++) {
		const struct ax_result *r = &d->evidence.results[i];
		if (key_of[i] == SIZE_MAX || !counting(r->status) || r->collected_at < start)
			continue;
		const struct period_key *key = &keys[key_of[i]];
		for (size_t k = 0; k < key->nctls; k++) {
			struct ax_export_period_stat *p = &d->period[key->ctls[k]];
			int64_t w = (r->collected_at - start) / p->window;
			if (w >= p->windows)
				w = p->windows - 1;
			if (!seen[key->ctls[k]][w]) {
				seen[key->ctls[k]][w] = 1;
				p->windows_evaluated++;
			}
		}
	}
	for (size_t c = 0; c < nc; c++) {
		struct ax_export_period_stat *p = &d->period[c];
		struct ax_control_state *cs = &d->status->controls[c];
		free(seen[c]);
		if (!p->window)
			continue;
		p->period_ok = (int64_t)p->windows_evaluated * 10 >= (int64_t)p->windows * 9 && !p->unresolved;
		if (cs->status == AX_CTL_PASS && !p->period_ok) {
			d->status->counts[cs->status]--;
			cs->status = AX_CTL_PARTIAL;
			d->status->counts[cs->status]++;
			p->demoted = 1;
		}
	}
	free(seen);
}

/* Control c failed after run: count it, and when it did not fail after
 * the run before (a streak starts), keep the failing results of the
 * checks mapped to it, for the OSCAL findings of a control that failed and
 * recovered within the period. */
static void period_failed(struct ax_export_data *d, struct ax_export_period_stat *p, const struct period_key *keys,
			  size_t nkeys, size_t c, const struct ax_run_info *run, int in_streak)
{
	p->runs_failed++;
	if (!p->first_failed)
		p->first_failed = run->started_at;
	p->last_failed = run->started_at;
	if (in_streak)
		return;
	for (size_t k = 0; k < nkeys; k++) {
		const struct period_key *key = &keys[k];
		int maps = 0;
		if (!key->at || (key->status != AX_CHECK_FAIL && key->status != AX_CHECK_ERROR))
			continue;
		for (size_t i = 0; i < key->nctls && !maps; i++)
			maps = key->ctls[i] == c;
		if (!maps)
			continue;
		p->failed = ax_realloc(p->failed, (p->nfailed + 1) * sizeof(*p->failed));
		p->failed[p->nfailed++] = key->idx;
	}
}

/* The state found at from holds until to; a pass only until its
 * evidence goes stale. */
static void account(struct ax_export_period_stat *p, int state, int64_t expiry, int64_t from, int64_t to)
{
	if (!counts_evaluated(state) || to <= from)
		return;
	p->seconds_evaluated += to - from;
	if (state == AX_CTL_PASS)
		p->seconds_passed += (expiry < to ? (expiry > from ? expiry : from) : to) - from;
}

/* The slice of [start, end] that t falls in (export.h: strip). */
static size_t strip_slice(int64_t start, int64_t end, int64_t t)
{
	if (end <= start || t <= start)
		return 0;
	if (t >= end)
		return AX_STRIP - 1;
	return (size_t)((__int128)(t - start) * AX_STRIP / (end - start + 1));
}

/* Severity of a strip value: nothing < pass < stale < error < fail. */
static int strip_rank(int v)
{
	switch (v - 1) {
	case AX_CTL_PASS: return 1;
	case AX_CTL_STALE: return 2;
	case AX_CTL_ERROR: return 3;
	case AX_CTL_FAIL: return 4;
	default: return 0;
	}
}

/* Replays the period's runs oldest first, keeping the newest result of
 * every check, and after each collection run accounts every control's
 * state until the next run (export.h). */
static int build_period(struct ax_export_data *d)
{
	size_t nc = d->status->ncontrols, nkeys = 0, first = 0;
	size_t *key_of = ax_calloc(d->evidence.nresults + 1, sizeof(*key_of));
	struct period_key *keys;
	int *state = ax_calloc(nc + 1, sizeof(*state)), *prev = ax_calloc(nc + 1, sizeof(*prev));
	int64_t *expiry = ax_calloc(nc + 1, sizeof(*expiry));
	int64_t start = d->since ? d->since : d->nruns ? d->runs[0].started_at : d->status_at, last_t = 0;
	int have_state = 0;
	unsigned char *fresh = ax_calloc(nc + 1, 1);

	d->period = ax_calloc(nc + 1, sizeof(*d->period));
	d->period_start = start;
	d->ndays = d->status_at > start ? (int)((d->status_at - start + 86399) / 86400) : 1;
	keys = period_keys(d, key_of, &nkeys);
	for (size_t c = 0; c < nc; c++) {
		prev[c] = -1;
		d->period[c].days = ax_calloc((size_t)d->ndays + 1, 1);
	}
	for (size_t r = 0; r < d->nruns; r++) {
		size_t end = first;
		while (end < d->evidence.nresults && d->result_run[end] == d->runs[r].id)
			end++;
		/* only collection runs evaluate controls; attach, approve and
		 * revoke runs record manual evidence events */
		if (end == first || strcmp(d->runs[r].kind, "collect") != 0) {
			first = end;
			continue;
		}
		int64_t t = d->runs[r].finished_at;
		for (size_t c = 0; have_state && c < nc; c++) /* the previous state held until this run */
			account(&d->period[c], state[c], expiry[c], last_t, t);
		memset(fresh, 0, nc);
		for (size_t i = first; i < end; i++) {
			struct period_key *k = key_of[i] == SIZE_MAX ? NULL : &keys[key_of[i]];
			const struct ax_result *res = &d->evidence.results[i];
			for (size_t j = 0; k && j < k->nctls && counting(res->status); j++)
				fresh[k->ctls[j]] = 1;
			if (!k || res->collected_at < k->at)
				continue;
			k->status = res->status;
			k->at = res->collected_at;
			k->idx = i;
			if (res->status == AX_CHECK_FAIL || res->status == AX_CHECK_ERROR)
				k->unresolved = 1;
			else if (res->status == AX_CHECK_PASS)
				k->unresolved = 0;
		}
		period_states(keys, nkeys, nc, t, state, expiry);
		size_t slice = strip_slice(start, d->status_at, t);
		int64_t day = t > start ? (t - start) / 86400 : 0;
		if (day >= d->ndays)
			day = d->ndays - 1;
		for (size_t c = 0; c < nc; c++) {
			struct ax_export_period_stat *p = &d->period[c];
			if (counts_evaluated(state[c]) &&
			    strip_rank(state[c] + 1) > strip_rank(d->period[c].strip[slice]))
				d->period[c].strip[slice] = (unsigned char)(state[c] + 1);
			if (fresh[c] && counts_evaluated(state[c])) {
				p->days_with_evidence += !p->days[day];
				if (strip_rank(state[c] + 1) > strip_rank(p->days[day]))
					p->days[day] = (unsigned char)(state[c] + 1);
			}
			if (state[c] != prev[c]) {
				p->timeline = ax_realloc(p->timeline, (p->ntimeline + 1) * sizeof(*p->timeline));
				p->timeline[p->ntimeline].at = t;
				p->timeline[p->ntimeline++].state = state[c];
			}
			if (state[c] == AX_CTL_FAIL || state[c] == AX_CTL_ERROR)
				period_failed(d, &d->period[c], keys, nkeys, c, &d->runs[r],
					      prev[c] == AX_CTL_FAIL || prev[c] == AX_CTL_ERROR);
			d->period[c].runs_evaluated += counts_evaluated(state[c]);
			d->period[c].runs_passed += state[c] == AX_CTL_PASS;
			d->period[c].changes += state[c] != prev[c];
			prev[c] = state[c];
		}
		have_state = 1;
		last_t = t;
		first = end;
	}
	for (size_t c = 0; have_state && c < nc; c++)
		account(&d->period[c], state[c], expiry[c], last_t, d->status_at);
	period_test(d, keys, nkeys, key_of, start, d->status_at);
	for (size_t k = 0; k < nkeys; k++)
		free(keys[k].ctls);
	free(keys);
	free(key_of);
	free(state);
	free(prev);
	free(expiry);
	free(fresh);
	return 0;
}

int ax_export_data_load(const struct ax_config *cfg, struct ax_store *store, const struct ax_catalog *cat,
			int64_t since, int64_t until, int64_t now, struct ax_export_data **out)
{
	struct ax_export_data *d = ax_calloc(1, sizeof(*d));
	struct run_list runs = {0};
	struct ax_evidence *per_run = NULL;
	struct desc *descs = NULL;
	size_t ndescs = 0, nper = 0;
	char host[256] = "";
	int err = 0;

	*out = NULL;
	if (since && until && until < since) {
		err = ax_error_code(AX_EINVALID, "export: --until lies before --since");
		goto cleanup;
	}
	d->organization = ax_config_get(cfg, "annexa", "organization");
	if (!d->organization)
		d->organization = "";
	d->since = since;
	d->until = until;
	d->generated_at = now;
	/* a test build (its clock settable by ANNEXA_NOW) says so in every
	 * bundle and report, so its evidence is never taken for a release's */
	d->version = ANNEXA_TEST_CLOCK ? ANNEXA_VERSION "+test-clock" : ANNEXA_VERSION;
	gethostname(host, sizeof(host) - 1);
	d->host = ax_strdup(host);
	d->cfg = cfg;
	d->cat = cat;
	d->store = store;

	if ((err = ax_store_runs(store, since, until, collect_run, &runs)) < 0)
		goto cleanup;
	d->runs = runs.runs;
	d->nruns = runs.n;
	runs.runs = NULL;
	err = ax_store_head(store, &d->store_head);
	if (err == 0)
		d->have_store_head = 1;
	else if (err != AX_ENOTFOUND)
		goto cleanup;
	err = 0;

	/* Descriptors point into per_run, which lives until the dedup is done. */
	per_run = ax_calloc(d->nruns + 1, sizeof(*per_run));
	nper = d->nruns;
	for (size_t r = 0; r < d->nruns; r++) {
		if (d->runs[r].pruned)
			continue;
		if ((err = ax_store_run_evidence(store, d->runs[r].id, 0, &per_run[r])) < 0)
			goto cleanup;
		add_run(d, d->runs[r].id, &per_run[r], &descs, &ndescs);
	}
	if ((err = ax_export_manual_load(d, since, until)) < 0)
		goto cleanup;
	build_artifacts(d, descs, ndescs);
	if ((err = assign_paths(d)) < 0)
		goto cleanup;
	latest_of(&d->evidence, &d->latest);
	d->status_at = until && until < now ? until : now;
	if ((err = ax_status_compute(cat, cfg, &d->latest, d->status_at, &d->status)) < 0)
		goto cleanup;
	ax_status_apply_manual(d->status, d->manual.items, d->manual.n, d->status_at, expiry_warning(d));
	d->status->generated_at = now;
	if ((err = build_period(d)) < 0 || (err = build_previous(d)) < 0)
		goto cleanup;
	struct ax_daemon_event *events = NULL;
	size_t nevents = 0;
	/* the log only explains gaps: an unreadable one costs the reasons,
	 * not the export */
	if (ax_daemon_log_load(cfg, d->period_start, d->status_at, &events, &nevents) < 0)
		ax_warn("run calendar without the daemon's starts and stops: %s", ax_error_last());
	ax_export_calendar_build(d, events, nevents);
	free(events);
	*out = d;
	d = NULL;
cleanup:
	for (size_t r = 0; r < nper; r++)
		ax_evidence_free(&per_run[r]);
	free(per_run);
	free(descs);
	free(runs.runs);
	ax_export_data_free(d);
	return err;
}

void ax_export_data_free(struct ax_export_data *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->period && d->status && i < d->status->ncontrols; i++) {
		free(d->period[i].failed);
		free(d->period[i].days);
		free(d->period[i].timeline);
	}
	ax_period_free(d->calendar);
	ax_status_free(d->status);
	ax_evidence_free(&d->latest);
	ax_evidence_free(&d->evidence);
	for (size_t i = 0; i < d->nartifacts; i++) {
		free(d->artifacts[i].instance);
		free(d->artifacts[i].name);
		free(d->artifacts[i].media_type);
		free(d->artifacts[i].bundle_path);
	}
	free(d->artifacts);
	for (size_t i = 0; i < d->nmfiles; i++)
		free(d->mfiles[i].bundle_path);
	free(d->mfiles);
	ax_manual_list_free(&d->manual);
	free(d->links);
	free(d->runs);
	free(d->result_run);
	free(d->period);
	free(d->host);
	free(d);
}

size_t ax_export_run_artifacts(const struct ax_export_data *d, int64_t run_id, const char *instance, size_t *idx,
			       size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nlinks; i++) {
		const struct ax_export_artifact *a = &d->artifacts[d->links[i].artifact];
		if (d->links[i].run_id != run_id || (instance && strcmp(a->instance, instance) != 0))
			continue;
		if (n < max)
			idx[n] = d->links[i].artifact;
		n++;
	}
	return n;
}
