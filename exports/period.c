/* period.c - the run calendar of a period (export.h): per probe instance
 * the runs expected from its interval, the runs observed and the gaps with
 * their reason when known; per control (from export_data.c's replay) the
 * days with evidence, the state over time and the pass share; and
 * period.json, the calendar as a bundle carries it.
 *
 * Definitions (README: "Run calendar"):
 * - An instance's calendar starts at its first run in the period (an
 *   instance added midway misses nothing before it existed) and ends with
 *   the period.
 * - A gap lies between two runs at least two intervals apart: from the
 *   time the next run was due (the run before + interval) to the next run.
 *   After the last run, the period's end counts as the next run, with one
 *   interval of grace for a run still due (expected counts that run: on
 *   schedule, observed is expected or one less).
 * - The reason: a daemon stop in the log during the gap, else a start
 *   (the daemon was killed: no clean stop), else a run before the gap that
 *   reported nothing but errors (the schedule backs off), else unknown. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "controls.h"
#include "json.h"
#include "schedule.h"
#include "util.h"

/* One observed run of one instance, before grouping by instance. */
struct seen {
	const char *name; /* points into d->evidence */
	int64_t at;
	size_t order; /* ledger order: ties keep it */
	unsigned char failed;
};

/* The runs of one instance, oldest first. */
struct inst_runs {
	int64_t *at;
	unsigned char *failed;
	size_t n;
};

static int cmp_seen(const void *pa, const void *pb)
{
	const struct seen *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->order > b->order) - (a->order < b->order);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The median spacing of the runs (0 with fewer than two). */
static int64_t median_spacing(const int64_t *at, size_t n)
{
	if (n < 2)
		return 0;
	int64_t *d = ax_calloc(n, sizeof(*d));
	for (size_t i = 1; i < n; i++)
		d[i - 1] = at[i] - at[i - 1];
	qsort(d, n - 1, sizeof(*d), cmp_i64);
	int64_t m = d[(n - 1) / 2];
	free(d);
	return m;
}

static const char *gap_reason(const struct ax_period *p, int64_t from, int64_t to, int failed_before)
{
	int started = 0;
	for (size_t i = 0; p && i < p->nevents; i++) {
		if (p->events[i].at < from || p->events[i].at > to)
			continue;
		if (!p->events[i].start)
			return "daemon stopped";
		started = 1;
	}
	if (started)
		return "daemon restarted (no clean stop recorded)";
	return failed_before ? "back-off after a failed run" : NULL;
}

static void add_gap(struct ax_period *p, struct ax_period_instance *in, int64_t a, int64_t b, int missed,
		    int failed_before)
{
	struct ax_period_gap *g;
	in->gaps = ax_realloc(in->gaps, (in->ngaps + 1) * sizeof(*in->gaps));
	g = &in->gaps[in->ngaps++];
	g->from = a + in->interval;
	g->to = b;
	g->missed = missed;
	/* the daemon's own events between the last run and the next one */
	g->why = gap_reason(p, a, b, failed_before);
	in->missed += missed;
}

void ax_period_instance_fill(struct ax_period_instance *in, const int64_t *at, const unsigned char *failed, size_t n,
			     int64_t interval, int64_t end, struct ax_period *p)
{
	in->interval = interval;
	if (!in->interval) {
		in->interval = median_spacing(at, n);
		in->interval_observed = 1;
	}
	in->observed = (int)n;
	in->first = at[0];
	in->last = at[n - 1];
	for (size_t k = 0; k < n; k++)
		in->failed += failed[k];
	if (in->interval <= 0) {
		in->expected = in->observed;
		return;
	}
	in->expected = end > in->first ? (int)(1 + (end - in->first) / in->interval) : 1;
	for (size_t k = 1; k < n; k++) {
		int64_t gap = at[k] - at[k - 1];
		if (gap >= 2 * in->interval)
			add_gap(p, in, at[k - 1], at[k], (int)((gap - 1) / in->interval), failed[k - 1]);
	}
	if (end - in->last >= 2 * in->interval)
		add_gap(p, in, in->last, end, (int)((end - in->last) / in->interval) - 1, failed[n - 1]);
}

void ax_period_free(struct ax_period *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ninst; i++) {
		free(p->inst[i].name);
		free(p->inst[i].gaps);
		free(p->inst[i].controls);
	}
	free(p->inst);
	free(p->events);
	free(p);
}

static int cmp_inst_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ax_period_instance *)elem)->name);
}

void ax_export_calendar_build(struct ax_export_data *d, const struct ax_daemon_event *events, size_t nevents)
{
	struct ax_period *p = ax_calloc(1, sizeof(*p));
	struct seen *seen = NULL;
	size_t nseen = 0, aseen = 0, nc = d->status ? d->status->ncontrols : 0, first = 0;
	unsigned char *hit = ax_calloc(nc + 1, 1);

	if (nevents) {
		p->events = ax_calloc(nevents, sizeof(*p->events));
		memcpy(p->events, events, nevents * sizeof(*events));
		p->nevents = nevents;
	}
	/* every (collection run, instance that reported in it); a run's
	 * results are contiguous and ordered by instance (store.h) */
	for (size_t r = 0; r < d->nruns; r++) {
		size_t end = first;
		while (end < d->evidence.nresults && d->result_run[end] == d->runs[r].id)
			end++;
		for (size_t i = first; i < end && strcmp(d->runs[r].kind, "collect") == 0;) {
			const char *name = d->evidence.results[i].instance;
			size_t j = i;
			int errors = 1;
			for (; j < end && strcmp(d->evidence.results[j].instance, name) == 0; j++)
				errors &= d->evidence.results[j].status == AX_CHECK_ERROR;
			if (nseen == aseen) {
				aseen = aseen ? 2 * aseen : 256;
				seen = ax_realloc(seen, aseen * sizeof(*seen));
			}
			seen[nseen] = (struct seen){name, d->runs[r].started_at, nseen, (unsigned char)errors};
			nseen++;
			i = j;
		}
		first = end;
	}
	/* grouped by instance, so the instances come out sorted by name */
	qsort(seen, nseen, sizeof(*seen), cmp_seen);
	struct inst_runs runs = {ax_calloc(nseen + 1, sizeof(*runs.at)), ax_calloc(nseen + 1, 1), 0};
	for (size_t g = 0; g < nseen;) {
		size_t e = g;
		runs.n = 0;
		for (; e < nseen && strcmp(seen[e].name, seen[g].name) == 0; e++) {
			runs.at[runs.n] = seen[e].at;
			runs.failed[runs.n++] = seen[e].failed;
		}
		p->inst = ax_realloc(p->inst, (p->ninst + 1) * sizeof(*p->inst));
		struct ax_period_instance *in = &p->inst[p->ninst++];
		memset(in, 0, sizeof(*in));
		in->name = ax_strdup(seen[g].name);
		in->controls = ax_calloc(nc + 1, 1);
		ax_period_instance_fill(in, runs.at, runs.failed, runs.n, ax_schedule_interval(d->cfg, in->name),
					d->status_at, p);
		g = e;
	}
	/* which controls each instance evidences: its distinct checks */
	for (size_t k = 0; k < d->latest.nresults && d->cat && p->ninst; k++) {
		const struct ax_result *res = &d->latest.results[k];
		struct ax_period_instance *in = bsearch(res->instance, p->inst, p->ninst, sizeof(*p->inst), cmp_inst_name);
		if (!in)
			continue;
		memset(hit, 0, nc);
		ax_status_hits(d->cat, d->cfg, res->instance, res->check, hit);
		for (size_t c = 0; c < nc; c++)
			in->controls[c] |= hit[c];
	}
	free(runs.at);
	free(runs.failed);
	free(seen);
	free(hit);
	ax_period_free(d->calendar);
	d->calendar = p;
}

char *ax_period_days(const struct ax_export_data *d, size_t c)
{
	static const char letter[AX_CTL__COUNT] = {
		[AX_CTL_PASS] = 'p', [AX_CTL_STALE] = 's', [AX_CTL_ERROR] = 'e', [AX_CTL_FAIL] = 'f',
	};
	char *s = ax_calloc((size_t)d->ndays + 1, 1);
	for (int k = 0; k < d->ndays; k++) {
		int v = d->period[c].days[k];
		s[k] = v > 0 && v <= AX_CTL__COUNT && letter[v - 1] ? letter[v - 1] : '-';
	}
	return s;
}

static json_t *instance_json(const struct ax_period_instance *in)
{
	json_t *gaps = json_array();
	for (size_t g = 0; g < in->ngaps; g++)
		json_array_append_new(gaps, json_pack("{s:o,s:o,s:I,s:i,s:o}", "from", ax_json_time(in->gaps[g].from), "to",
						      ax_json_time(in->gaps[g].to), "seconds",
						      (json_int_t)(in->gaps[g].to - in->gaps[g].from), "missed",
						      in->gaps[g].missed,
						      "why", in->gaps[g].why ? json_string(in->gaps[g].why) : json_null()));
	return json_pack("{s:s,s:I,s:s,s:o,s:o,s:i,s:i,s:i,s:i,s:o}", "instance", in->name, "interval",
			 (json_int_t)in->interval, "interval_source", in->interval_observed ? "observed" : "config",
			 "first_run", ax_json_time(in->first), "last_run", ax_json_time(in->last), "expected", in->expected,
			 "observed", in->observed, "failed", in->failed, "missed", in->missed, "gaps", gaps);
}

static json_t *control_json(const struct ax_export_data *d, size_t c)
{
	const struct ax_export_period_stat *ps = &d->period[c];
	const struct ax_period *p = d->calendar;
	json_t *timeline = json_array(), *insts = json_array();
	int expected = 0, observed = 0, missed = 0;
	double share = ax_export_pass_share(d, c);
	char *days = ax_period_days(d, c);
	for (size_t i = 0; i < ps->ntimeline; i++)
		json_array_append_new(timeline, json_pack("{s:o,s:s}", "at", ax_json_time(ps->timeline[i].at), "state",
							  ps->timeline[i].state < 0 ? "none"
										    : ax_control_status_name(
											      ps->timeline[i].state)));
	for (size_t i = 0; p && i < p->ninst; i++) {
		if (!p->inst[i].controls[c])
			continue;
		json_array_append_new(insts, json_string(p->inst[i].name));
		expected += p->inst[i].expected;
		observed += p->inst[i].observed;
		missed += p->inst[i].missed;
	}
	json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:o,s:o}", "control",
			      d->status->controls[c].control->id, "state",
			      ax_control_status_name(d->status->controls[c].status), "days_with_evidence",
			      ps->days_with_evidence, "days", d->ndays, "calendar", days, "pass_share",
			      share < 0 ? json_null() : json_real((double)(int64_t)(share * 10000 + 0.5) / 10000),
			      "runs_evaluated", ps->runs_evaluated, "runs_passed", ps->runs_passed, "runs_expected",
			      expected, "runs_observed", observed, "runs_missed", missed, "instances", insts,
			      "timeline", timeline);
	free(days);
	return o;
}

json_t *ax_period_json(const struct ax_export_data *d, const char *control, const char *instance)
{
	const struct ax_period *p = d->calendar;
	json_t *events = json_array(), *insts = json_array(), *ctls = json_array();
	for (size_t i = 0; p && i < p->nevents; i++)
		json_array_append_new(events, json_pack("{s:s,s:o}", "event", p->events[i].start ? "start" : "stop",
							"at", ax_json_time(p->events[i].at)));
	for (size_t i = 0; p && i < p->ninst; i++) {
		const struct ax_period_instance *in = &p->inst[i];
		int ctl_hit = 0;
		for (size_t c = 0; control && c < d->status->ncontrols && !ctl_hit; c++)
			ctl_hit = in->controls[c] && strcmp(d->status->controls[c].control->id, control) == 0;
		if ((instance && strcmp(in->name, instance) != 0) || (control && !ctl_hit))
			continue;
		json_array_append_new(insts, instance_json(in));
	}
	for (size_t c = 0; d->status && c < d->status->ncontrols; c++) {
		int inst_hit = 0;
		if (!d->period[c].window || (control && strcmp(d->status->controls[c].control->id, control) != 0))
			continue;
		for (size_t i = 0; instance && p && i < p->ninst && !inst_hit; i++)
			inst_hit = p->inst[i].controls[c] && strcmp(p->inst[i].name, instance) == 0;
		if (instance && !inst_hit)
			continue;
		json_array_append_new(ctls, control_json(d, c));
	}
	return json_pack("{s:i,s:o,s:o,s:i,s:o,s:o,s:o}", "version", 1, "since", ax_json_time(d->period_start), "until",
			 ax_json_time(d->status_at), "days", d->ndays, "daemon", events, "instances", insts, "controls",
			 ctls);
}

int ax_export_period_json(const struct ax_export_data *d, struct ax_buf *out)
{
	json_t *j = ax_period_json(d, NULL, NULL);
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return ax_error_set("period.json: cannot encode the calendar");
	ax_buf_puts(out, text);
	ax_buf_putc(out, '\n');
	free(text);
	return 0;
}

double ax_export_pass_share(const struct ax_export_data *d, size_t control_index)
{
	if (!d->period || !d->status || control_index >= d->status->ncontrols)
		return -1;
	const struct ax_export_period_stat *p = &d->period[control_index];
	if (p->seconds_evaluated > 0)
		return (double)p->seconds_passed / (double)p->seconds_evaluated;
	/* evaluated only at the very end of the period: no time to weigh */
	return p->runs_evaluated ? (double)p->runs_passed / p->runs_evaluated : -1;
}
