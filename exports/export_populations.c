/* export_populations.c - the populations built at export from the store
 * (export.h): the runs of every probe instance (control executions) and
 * the manual evidence items with their approvals. Same CSV and provenance
 * format as a probe's (population.h), so `annexa sample` and the bundle's
 * README recipe treat them alike. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "export.h"
#include "population.h"
#include "util.h"

struct pop {
	struct ax_buf csv;
	json_t *columns;
	int64_t rows;
};

static void csv_row(struct ax_buf *csv, const char *item, const char *const *vals, size_t nvals)
{
	ax_csv_field(csv, item);
	for (size_t i = 0; i < nvals; i++) {
		ax_buf_putc(csv, ',');
		ax_csv_field(csv, vals[i] ? vals[i] : "");
	}
	ax_buf_putc(csv, '\n');
}

static void pop_init(struct pop *p, const char *const *cols)
{
	size_t n = 0;
	memset(p, 0, sizeof(*p));
	p->columns = json_array();
	for (; cols[n]; n++)
		json_array_append_new(p->columns, json_string(cols[n]));
	csv_row(&p->csv, "item", cols, n);
}

static void pop_row(struct pop *p, const char *item, const char *const *vals)
{
	csv_row(&p->csv, item, vals, json_array_size(p->columns));
	p->rows++;
}

static int pop_emit(const struct ax_export_data *d, struct pop *p, const char *instance, const char *name,
		    const char *source, const char *selection, json_t *params, enum ax_pop_frequency f,
		    ax_export_pop_cb cb, void *arg)
{
	char sha[65];
	int err;
	ax_sha256_hex(p->csv.ptr, p->csv.size, sha);
	json_t *prov = ax_population_provenance(name, instance, p->columns, source, selection, params, f, p->rows,
						(int64_t)p->csv.size, sha, d->generated_at);
	char *text = prov ? json_dumps(prov, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text)
		err = ax_error_set("export: population %s/%s cannot be encoded", instance, name);
	else
		err = cb(arg, instance, name, &p->csv, text);
	free(text);
	json_decref(prov);
	json_decref(p->columns);
	ax_buf_free(&p->csv);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *const runs_cols[] = {"started_at", "finished_at", "results", "pass", "fail", "error",
					 "skip", "info", NULL};

void ax_export_runs_header(struct ax_buf *csv)
{
	csv_row(csv, "item", runs_cols, sizeof(runs_cols) / sizeof(runs_cols[0]) - 1);
}

void ax_export_runs_row(struct ax_buf *csv, int64_t id, int64_t started, int64_t finished,
			const unsigned n[AX_CHECK_NSTATUS])
{
	char item[24], s[32], f[32], c[AX_CHECK_NSTATUS + 1][16];
	unsigned total = 0;
	for (int k = 0; k < AX_CHECK_NSTATUS; k++)
		total += n[k];
	snprintf(item, sizeof(item), "run-%lld", (long long)id);
	ax_time_format(started, s);
	ax_time_format(finished, f);
	snprintf(c[0], sizeof(c[0]), "%u", total);
	for (int k = 0; k < AX_CHECK_NSTATUS; k++)
		snprintf(c[k + 1], sizeof(c[k + 1]), "%u", n[k]);
	const char *vals[] = {s, f, c[0], c[1 + AX_CHECK_PASS], c[1 + AX_CHECK_FAIL], c[1 + AX_CHECK_ERROR],
			      c[1 + AX_CHECK_SKIP], c[1 + AX_CHECK_INFO]};
	csv_row(csv, item, vals, sizeof(vals) / sizeof(vals[0]));
}

/* One row per collection run that reported for the instance. */
static int runs_of(const struct ax_export_data *d, const char *inst, ax_export_pop_cb cb, void *arg)
{
	struct pop p;
	size_t r = 0, i = 0;
	pop_init(&p, runs_cols); /* the header ax_export_runs_header writes */
	for (r = 0; r < d->nruns; r++) {
		const struct ax_run_info *run = &d->runs[r];
		unsigned n[AX_CHECK_NSTATUS] = {0}, total = 0;
		if (strcmp(run->kind, "collect") != 0)
			continue;
		while (i < d->evidence.nresults && d->result_run[i] < run->id)
			i++;
		for (size_t k = i; k < d->evidence.nresults && d->result_run[k] == run->id; k++)
			if (strcmp(d->evidence.results[k].instance, inst) == 0)
				n[d->evidence.results[k].status]++, total++;
		if (!total)
			continue;
		ax_export_runs_row(&p.csv, run->id, run->started_at, run->finished_at, n);
		p.rows++;
	}
	const struct ax_probe_instance *pi = d->cfg ? ax_config_probe(d->cfg, inst) : NULL;
	int64_t span = d->nruns ? d->runs[d->nruns - 1].started_at - d->runs[0].started_at + 1 : 0;
	enum ax_pop_frequency f = pi && pi->interval > 0 ? ax_pop_frequency_of_interval(pi->interval)
							 : ax_pop_frequency_of_count(p.rows, span);
	char since[32] = "", until[32] = "";
	if (d->since)
		ax_time_format(d->since, since);
	if (d->until)
		ax_time_format(d->until, until);
	return pop_emit(d, &p, inst, "runs", "the annexa store's ledger (runs of kind collect)",
			"every collection run of the period that carried a result of this instance; the counts are "
			"its results by status (results.jsonl holds them)",
			json_pack("{s:s,s:s,s:I}", "since", since, "until", until, "interval_seconds",
				  (json_int_t)(pi ? pi->interval : 0)),
			f, cb, arg);
}

static int manual_items(const struct ax_export_data *d, ax_export_pop_cb cb, void *arg)
{
	static const char *const cols[] = {"controls", "attached_at", "attached_by", "effective_at", "expires_at",
					   "approval_required", "approved_by", "approved_at", "revoked_at",
					   "state_at_end", "files", NULL};
	struct pop p;
	pop_init(&p, cols);
	for (size_t i = 0; i < d->manual.n; i++) {
		const struct ax_manual *m = &d->manual.items[i];
		struct ax_buf ctl = AX_BUF_INIT;
		char at[32], eff[32], exp[32], appr[32] = "", rev[32] = "", nf[16];
		for (size_t k = 0; k < m->ncontrols; k++)
			ax_buf_printf(&ctl, "%s%s", k ? " " : "", m->controls[k]);
		ax_time_format(m->attached_at, at);
		ax_time_format(m->effective_at, eff);
		ax_time_format(m->expires_at, exp);
		if (m->approved_at)
			ax_time_format(m->approved_at, appr);
		if (m->revoked_at)
			ax_time_format(m->revoked_at, rev);
		snprintf(nf, sizeof(nf), "%zu", m->nfiles);
		const char *vals[] = {ax_buf_cstr(&ctl), at, m->attached_by, eff, exp,
				      m->approval_required ? "yes" : "no", m->approved_by ? m->approved_by : "",
				      appr, rev, ax_export_manual_state(m, d->status_at), nf};
		pop_row(&p, m->id, vals);
		ax_buf_free(&ctl);
	}
	return pop_emit(d, &p, "manual", "items", "the annexa store's manual evidence (annexa attach / approve / revoke)",
			"every manual evidence item of the period with its approval and state at the end of the period",
			NULL, AX_FREQ_ANNUAL, cb, arg);
}

int ax_export_populations(const struct ax_export_data *d, ax_export_pop_cb cb, void *arg)
{
	const char **insts = ax_calloc(d->evidence.nresults + 1, sizeof(*insts));
	size_t n = 0;
	int err = 0;
	/* the instances that reported in the period; manual and ledger events
	 * are not control executions of a probe */
	for (size_t i = 0; i < d->evidence.nresults; i++) {
		const char *inst = d->evidence.results[i].instance;
		if (strcmp(inst, "manual") != 0 && strcmp(inst, "ledger") != 0)
			insts[n++] = inst;
	}
	qsort(insts, n, sizeof(*insts), cmp_str);
	for (size_t i = 0; err == 0 && i < n; i++)
		if (i == 0 || strcmp(insts[i], insts[i - 1]) != 0)
			err = runs_of(d, insts[i], cb, arg);
	if (err == 0 && d->manual.n)
		err = manual_items(d, cb, arg);
	free(insts);
	return err;
}
