/* export_data.c - gathers everything a report or bundle needs about one
 * period from the store: its runs, their results, artifact descriptors with
 * unique bundle paths, the manual evidence of the period, the control
 * status at the end of the period (probes and manual evidence combined,
 * as `annexa status` does) and each control's pass share over the
 * period's collection runs.
 *
 * Artifact bytes are not loaded here (the bundle writer streams them one at
 * a time), so memory grows with the number of results, not with evidence
 * size. Bundle paths are sanitised (ax_export_safe_name) and unique. */
#include "export.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annexa-build.h"
#include "config.h"
#include "controls.h"
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

void ax_export_safe_name(const char *name, struct ax_buf *out)
{
	size_t start = out->size, n = 0;
	for (const char *p = name ? name : ""; *p && n < 100; p++, n++) {
		char c = *p;
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			 c == '-' || c == '_';
		/* A leading dot would make "..", "." or a hidden file. */
		if (out->size == start && c == '.')
			ok = 0;
		ax_buf_putc(out, ok ? c : '_');
	}
	if (out->size == start)
		ax_buf_puts(out, "artifact");
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

static char *artifact_path(const struct ax_export_artifact *a, int by_hash)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_printf(&b, "evidence/%s/", a->instance);
	if (by_hash)
		ax_buf_printf(&b, "%.16s/", a->sha256);
	ax_export_safe_name(a->name, &b);
	return ax_buf_detach(&b);
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

/* The newest result of every (instance, check) among the period's results. */
static void build_latest(struct ax_export_data *d)
{
	size_t n = d->evidence.nresults;
	const struct ax_result **v = ax_calloc(n + 1, sizeof(*v));
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ax_result *r = &d->evidence.results[i];
		/* manual and prune runs' event rows are not check results (as
		 * in ax_store_latest); the manual items themselves are d->manual */
		if ((strcmp(r->instance, "manual") == 0 && strncmp(r->check, "manual.", 7) == 0) ||
		    (strcmp(r->instance, AX_LEDGER_PRUNE_INSTANCE) == 0 && strncmp(r->check, "ledger.", 7) == 0))
			continue;
		v[nv++] = r;
	}
	n = nv;
	qsort(v, n, sizeof(*v), cmp_latest);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i]->instance, v[i - 1]->instance) == 0 && strcmp(v[i]->check, v[i - 1]->check) == 0)
			continue;
		ax_evidence_add_result(&d->latest, v[i]->instance, v[i]->probe_type, v[i]->check, v[i]->status,
				       v[i]->message, v[i]->observed, v[i]->collected_at);
	}
	free(v);
}

static int64_t expiry_warning(const struct ax_export_data *d)
{
	return d->cfg ? ax_config_get_int(d->cfg, "annexa", "expiry-warning") : 30 * 86400;
}

/* Per collection run, the status its own results and the manual evidence
 * valid when it finished give each control. */
static int build_period(struct ax_export_data *d)
{
	size_t first = 0;
	d->period = ax_calloc(d->status->ncontrols + 1, sizeof(*d->period));
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
		struct ax_evidence view = {0};
		struct ax_status *st = NULL;
		view.results = d->evidence.results + first;
		view.nresults = end - first;
		if (ax_status_compute(d->cat, d->cfg, &view, d->runs[r].finished_at, &st) < 0)
			return AX_ERROR;
		ax_status_apply_manual(st, d->manual.items, d->manual.n, d->runs[r].finished_at, expiry_warning(d));
		for (size_t c = 0; c < st->ncontrols && c < d->status->ncontrols; c++) {
			enum ax_control_status s = st->controls[c].status;
			if (s == AX_CTL_PASS || s == AX_CTL_FAIL || s == AX_CTL_ERROR)
				d->period[c].runs_evaluated++;
			if (s == AX_CTL_PASS)
				d->period[c].runs_passed++;
		}
		ax_status_free(st);
		first = end;
	}
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
	build_latest(d);
	d->status_at = until && until < now ? until : now;
	if ((err = ax_status_compute(cat, cfg, &d->latest, d->status_at, &d->status)) < 0)
		goto cleanup;
	ax_status_apply_manual(d->status, d->manual.items, d->manual.n, d->status_at, expiry_warning(d));
	d->status->generated_at = now;
	if ((err = build_period(d)) < 0)
		goto cleanup;
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

double ax_export_pass_share(const struct ax_export_data *d, size_t control_index)
{
	if (!d->period || !d->status || control_index >= d->status->ncontrols)
		return -1;
	const struct ax_export_period_stat *p = &d->period[control_index];
	return p->runs_evaluated ? (double)p->runs_passed / p->runs_evaluated : -1;
}
