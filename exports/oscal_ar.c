/* oscal_ar.c - the model of oscal/assessment-results (XML and JSON): the
 * period's automated and manual control evidence as NIST OSCAL 1.0.6
 * assessment results.
 *
 * Mapping (README "Report and OSCAL"):
 *  - import-ap = assessment-plan.xml beside it (oscal_plan.c); the
 *    metadata links catalog.xml, where every control-id and objective-id
 *    resolves;
 *  - one <result> spanning the period; its local-definitions name every
 *    probe instance observed as an inventory item (the subjects) and
 *    annexa as the tool (an assessment-assets component, with its
 *    version, the actor of every origin); reviewed-controls lists exactly
 *    the controls with a finding;
 *  - one <observation> per newest result of every (instance, check) and
 *    per failing result that began a streak of failed runs of a control
 *    (type "historic" when not the newest); results that cannot count
 *    (ax_oscal_observed) are left out. method TEST or EXAMINE by what the
 *    probe does (method_of), subject = its instance, collected = its
 *    time, expires = collected + the instance's freshness,
 *    relevant-evidence = the artifacts the producing run carried for the
 *    instance, href relative to this document (../evidence/...), SHA-256
 *    as a prop;
 *  - one <observation> (method EXAMINE) per manual evidence item of the
 *    period and control it names;
 *  - one <observation> (method EXAMINE) per probe instance: its run
 *    calendar (period.c: runs expected, observed, missed, the gaps and
 *    why), related to the findings of the controls it evidences, which
 *    carry days-with-evidence;
 *  - one <finding> per control with a finding state
 *    (ax_oscal_finding_state), target = its objective in the catalog,
 *    related-observation per newest row, per failing result of the
 *    period and per manual item; a control that failed in the period and
 *    is satisfied at its end says so (prop period-status = recovered, the
 *    status remarks, the failed runs' observations).
 *  - UUIDs are name-based (ax_oscal_uuid) over what identifies the thing,
 *    never the export time: the same runs give the same document, result,
 *    observation and finding UUIDs. */
#include "report_gen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "oscal_model.h"
#include "probe.h"
#include "util.h"

/* Whether a check result is evidence either way. One line per status: a
 * new check status must say whether it becomes an observation. */
static int observed(enum ax_check_status s)
{
	/* skip (not applicable to the target) and info (a check that cannot
	 * fail in its mode) are no evidence either way */
	return ax_check_status_is_evidence(s);
}

/* OSCAL's methods: TEST exercises the target (a handshake, a restore, a
 * repository check with a wrong password); EXAMINE reads what is there
 * (configuration, logs, files, databases). */
static const char *method_of(const struct ax_result *r)
{
	static const struct {
		const char *probe_type, *check; /* check NULL: every check of the type */
	} tests[] = {
		{"tls", NULL},
		{"selftest", NULL},
		{"backup-files", "backup.restore_test"},
		{"restic", "backup.integrity"},
		{"restic", "backup.encrypted"},
	};
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (r->probe_type && strcmp(r->probe_type, tests[i].probe_type) == 0 &&
		    (!tests[i].check || (r->check && strcmp(r->check, tests[i].check) == 0)))
			return "TEST";
	return "EXAMINE";
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* An observation of a check result. */
struct obs {
	const struct ax_result *r;
	int64_t run;   /* the run that produced it, 0 when unknown */
	size_t latest; /* index into d->latest, (size_t)-1 for an older result */
};

struct ctx {
	const struct ax_export_data *d;
	struct ax_report_index ix;
	struct obs *obs;
	size_t nobs;
	size_t *links; /* indices into d->links by run id, for older results' evidence */
	char result_uuid[37], tool_uuid[37];
};

static void observation_uuid(const struct ax_result *r, char out[37])
{
	char *f = ax_asprintf("%s\n%s\n%" PRId64, nz(r->instance), nz(r->check), r->collected_at);
	ax_oscal_uuid("observation", f, out);
	free(f);
}

static void manual_observation_uuid(const struct ax_manual *m, const char *control, char out[37])
{
	char *f = ax_asprintf("%s\n%s", m->id, control);
	ax_oscal_uuid("manual-observation", f, out);
	free(f);
}

static void calendar_observation_uuid(const struct ctx *c, const char *instance, char out[37])
{
	char *f = ax_asprintf("%s\n%s", c->result_uuid, instance);
	ax_oscal_uuid("calendar-observation", f, out);
	free(f);
}

static void subject_uuid(const char *instance, char out[37])
{
	ax_oscal_uuid("inventory-item", nz(instance), out);
}

static int cmp_obs(const void *pa, const void *pb)
{
	const struct obs *a = pa, *b = pb;
	int c;
	if ((c = strcmp(nz(a->r->instance), nz(b->r->instance))) || (c = strcmp(nz(a->r->check), nz(b->r->check))))
		return c;
	if (a->r->collected_at != b->r->collected_at)
		return a->r->collected_at < b->r->collected_at ? -1 : 1;
	/* the newest-result copy first: it is the one kept */
	return (a->latest == (size_t)-1) - (b->latest == (size_t)-1);
}

static void add_obs(struct ctx *c, const struct ax_result *r, int64_t run, size_t latest)
{
	c->obs = ax_realloc(c->obs, (c->nobs + 1) * sizeof(*c->obs));
	c->obs[c->nobs++] = (struct obs){r, run, latest};
}

/* The newest results and the failing results that began a streak, in
 * (instance, check, time) order, each once. */
static void gather(struct ctx *c)
{
	const struct ax_export_data *d = c->d;
	size_t kept = 0;
	for (size_t i = 0; i < d->latest.nresults; i++)
		if (observed(d->latest.results[i].status))
			add_obs(c, &d->latest.results[i], c->ix.run[i], i);
	for (size_t k = 0; d->period && k < d->status->ncontrols; k++)
		for (size_t j = 0; j < d->period[k].nfailed; j++) {
			size_t e = d->period[k].failed[j];
			if (e < d->evidence.nresults)
				add_obs(c, &d->evidence.results[e], d->result_run ? d->result_run[e] : 0, (size_t)-1);
		}
	if (c->nobs)
		qsort(c->obs, c->nobs, sizeof(*c->obs), cmp_obs);
	for (size_t i = 0; i < c->nobs; i++) {
		const struct ax_result *p = kept ? c->obs[kept - 1].r : NULL, *r = c->obs[i].r;
		if (p && strcmp(nz(p->instance), nz(r->instance)) == 0 && strcmp(nz(p->check), nz(r->check)) == 0 &&
		    p->collected_at == r->collected_at)
			continue;
		c->obs[kept++] = c->obs[i];
	}
	c->nobs = kept;
}

static int cmp_art_path(const void *pa, const void *pb, void *arg)
{
	const struct ax_export_artifact *arts = arg;
	return strcmp(nz(arts[*(const size_t *)pa].bundle_path), nz(arts[*(const size_t *)pb].bundle_path));
}

static int cmp_link_run(const void *pa, const void *pb, void *arg)
{
	const struct ax_export_link *links = arg;
	int64_t a = links[*(const size_t *)pa].run_id, b = links[*(const size_t *)pb].run_id;
	if (a != b)
		return a < b ? -1 : 1;
	return (*(const size_t *)pa > *(const size_t *)pb) - (*(const size_t *)pa < *(const size_t *)pb);
}

/* The artifacts behind o, by bundle path, each path once; *n receives the
 * count. The caller frees the array. */
static size_t *obs_artifacts(const struct ctx *c, const struct obs *o, size_t *n)
{
	const struct ax_export_data *d = c->d;
	size_t *v, m = 0, lo = 0, hi = d->nlinks;
	if (o->latest != (size_t)-1) {
		*n = c->ix.nartifacts[o->latest];
		v = ax_calloc(*n + 1, sizeof(*v));
		if (*n)
			memcpy(v, c->ix.artifacts[o->latest], *n * sizeof(*v));
		return v; /* the index sorts and de-duplicates already */
	}
	while (lo < hi) { /* the first link of the run */
		size_t mid = lo + (hi - lo) / 2;
		if (d->links[c->links[mid]].run_id < o->run)
			lo = mid + 1;
		else
			hi = mid;
	}
	v = ax_calloc(1, sizeof(*v));
	for (size_t k = lo; o->run && k < d->nlinks && d->links[c->links[k]].run_id == o->run; k++) {
		size_t a = d->links[c->links[k]].artifact;
		if (a >= d->nartifacts || strcmp(nz(d->artifacts[a].instance), nz(o->r->instance)) != 0)
			continue;
		v = ax_realloc(v, (m + 1) * sizeof(*v));
		v[m++] = a;
	}
	if (m)
		qsort_r(v, m, sizeof(*v), cmp_art_path, d->artifacts);
	*n = 0;
	for (size_t i = 0; i < m; i++)
		if (*n == 0 || strcmp(nz(d->artifacts[v[*n - 1]].bundle_path), nz(d->artifacts[v[i]].bundle_path)) != 0)
			v[(*n)++] = v[i];
	return v;
}

/* relevant-evidence for a file at bundle path `path` (linked relative to
 * the oscal/ folder when it stays inside the bundle). */
static void put_evidence(struct ax_oscal_node *parent, const char *path, const char *sha256, const char *desc)
{
	struct ax_oscal_node *e = ax_oscal_add(parent, "relevant-evidence");
	if (path && ax_report_local_href(path)) {
		char *href = ax_asprintf("../%s", path);
		ax_oscal_flag(e, "href", href);
		free(href);
	}
	ax_oscal_text(e, "description", AX_OSCAL_MULTILINE, desc);
	ax_oscal_prop(e, "sha256", sha256, 1);
}

static void put_origin(struct ax_oscal_node *parent, const struct ctx *c)
{
	struct ax_oscal_node *a = ax_oscal_add(ax_oscal_add(parent, "origin"), "actor");
	ax_oscal_flag(a, "type", "tool");
	ax_oscal_flag(a, "actor-uuid", c->tool_uuid);
}

static void put_observation(struct ax_oscal_node *res, const struct ctx *c, const struct obs *o)
{
	const struct ax_result *r = o->r;
	struct ax_oscal_node *n = ax_oscal_add(res, "observation"), *s;
	char uuid[37], *title = ax_asprintf("%s on %s", nz(r->check), nz(r->instance));
	size_t na, *arts = obs_artifacts(c, o, &na);

	observation_uuid(r, uuid);
	ax_oscal_flag(n, "uuid", uuid);
	ax_oscal_text(n, "title", AX_OSCAL_LINE, title);
	ax_oscal_text(n, "description", AX_OSCAL_MULTILINE, r->message && *r->message ? r->message : "(no message)");
	ax_oscal_prop(n, "instance", r->instance, 1);
	ax_oscal_prop(n, "probe-type", r->probe_type, 1);
	ax_oscal_prop(n, "check", r->check, 1);
	ax_oscal_prop(n, "result", ax_check_status_name(r->status), 1);
	ax_oscal_text(n, "method", AX_OSCAL_FIELD, method_of(r));
	if (o->latest == (size_t)-1)
		ax_oscal_text(n, "type", AX_OSCAL_FIELD, "historic");
	put_origin(n, c);
	subject_uuid(r->instance, uuid);
	s = ax_oscal_add(n, "subject");
	ax_oscal_flag(s, "subject-uuid", uuid);
	ax_oscal_flag(s, "type", "inventory-item");
	for (size_t k = 0; k < na; k++) {
		const struct ax_export_artifact *a = &c->d->artifacts[arts[k]];
		char *desc = ax_asprintf("%s (%s)", nz(a->name), a->media_type ? a->media_type : "application/octet-stream");
		put_evidence(n, a->bundle_path, a->sha256, desc);
		free(desc);
	}
	ax_oscal_time(n, "collected", r->collected_at);
	ax_oscal_time(n, "expires", r->collected_at + ax_status_freshness(c->d->cfg, nz(r->instance)));
	free(arts);
	free(title);
}

/* Manual evidence item m as examined for one control. */
static void put_manual_observation(struct ax_oscal_node *res, const struct ax_export_data *d,
				   const struct ax_manual *m, const char *control)
{
	struct ax_oscal_node *n = ax_oscal_add(res, "observation");
	char uuid[37], ts[32];
	struct ax_buf b = AX_BUF_INIT;

	manual_observation_uuid(m, control, uuid);
	ax_oscal_flag(n, "uuid", uuid);
	ax_buf_printf(&b, "Manual evidence %s for %s", m->id, control);
	ax_oscal_text(n, "title", AX_OSCAL_LINE, b.ptr);
	ax_buf_clear(&b);
	ax_time_format(m->effective_at, ts);
	ax_buf_printf(&b, "%zu file%s attached by %s, effective %s; %s at the end of the period.", m->nfiles,
		      m->nfiles == 1 ? "" : "s", m->attached_by ? m->attached_by : "?", ts,
		      ax_export_manual_state(m, d->status_at));
	if (m->approved_by)
		ax_buf_printf(&b, " Approved by %s.", m->approved_by);
	if (m->revoked_by)
		ax_buf_printf(&b, " Revoked by %s: %s", m->revoked_by, m->revoke_reason ? m->revoke_reason : "");
	if (m->note && *m->note)
		ax_buf_printf(&b, " Note: %s", m->note);
	ax_oscal_text(n, "description", AX_OSCAL_MULTILINE, b.ptr);
	ax_oscal_prop(n, "manual-evidence", m->id, 1);
	ax_oscal_prop(n, "control", control, 1);
	ax_oscal_prop(n, "state", ax_export_manual_state(m, d->status_at), 1);
	if (m->owner && *m->owner)
		ax_oscal_prop(n, "owner", m->owner, 1);
	ax_oscal_text(n, "method", AX_OSCAL_FIELD, "EXAMINE");
	for (size_t f = 0; f < m->nfiles; f++) {
		char *desc = ax_asprintf("%s (%s, %lld bytes)", m->files[f].name, m->files[f].media_type,
					 (long long)m->files[f].size);
		put_evidence(n, ax_export_manual_path(d, m, control, f), m->files[f].sha256, desc);
		free(desc);
	}
	ax_oscal_time(n, "collected", m->attached_at);
	ax_oscal_time(n, "expires", m->expires_at);
	ax_buf_free(&b);
}

/* The run calendar of one instance (period.c) as an observation: the
 * control executions of the period, expected and observed, and the gaps
 * with their reason; period.json beside it has the same in full. */
static void put_calendar_observation(struct ax_oscal_node *res, const struct ctx *c,
				     const struct ax_period_instance *in)
{
	struct ax_oscal_node *n = ax_oscal_add(res, "observation"), *s;
	struct ax_buf b = AX_BUF_INIT;
	char uuid[37], from[32], to[32], iv[32], num[32];

	calendar_observation_uuid(c, in->name, uuid);
	ax_oscal_flag(n, "uuid", uuid);
	ax_buf_printf(&b, "Run calendar of %s", in->name);
	ax_oscal_text(n, "title", AX_OSCAL_LINE, b.ptr);
	ax_buf_clear(&b);
	ax_time_format(in->first, from);
	ax_duration_format(in->interval, iv);
	ax_buf_printf(&b, "%d of %d runs expected from %s (every %s%s) observed, %d with nothing but errors; "
			  "%zu gap%s, %d run%s missed.",
		      in->observed, in->expected, from, iv, in->interval_observed ? ", from the runs' spacing" : "",
		      in->failed, in->ngaps, in->ngaps == 1 ? "" : "s", in->missed, in->missed == 1 ? "" : "s");
	for (size_t g = 0; g < in->ngaps; g++) {
		ax_time_format(in->gaps[g].from, from);
		ax_time_format(in->gaps[g].to, to);
		ax_buf_printf(&b, " Gap %s to %s, %d missed: %s.", from, to, in->gaps[g].missed,
			      in->gaps[g].why ? in->gaps[g].why : "reason unknown");
	}
	ax_oscal_text(n, "description", AX_OSCAL_MULTILINE, b.ptr);
	ax_oscal_prop(n, "instance", in->name, 1);
	snprintf(num, sizeof(num), "%lld", (long long)in->interval);
	ax_oscal_prop(n, "interval-seconds", num, 1);
	snprintf(num, sizeof(num), "%d", in->expected);
	ax_oscal_prop(n, "runs-expected", num, 1);
	snprintf(num, sizeof(num), "%d", in->observed);
	ax_oscal_prop(n, "runs-observed", num, 1);
	snprintf(num, sizeof(num), "%d", in->missed);
	ax_oscal_prop(n, "runs-missed", num, 1);
	snprintf(num, sizeof(num), "%zu", in->ngaps);
	ax_oscal_prop(n, "gaps", num, 1);
	ax_oscal_text(n, "method", AX_OSCAL_FIELD, "EXAMINE");
	put_origin(n, c);
	/* the local definitions name the instances with evidence either way */
	for (size_t i = 0; i < c->nobs; i++) {
		if (strcmp(nz(c->obs[i].r->instance), in->name) != 0)
			continue;
		subject_uuid(in->name, uuid);
		s = ax_oscal_add(n, "subject");
		ax_oscal_flag(s, "subject-uuid", uuid);
		ax_oscal_flag(s, "type", "inventory-item");
		break;
	}
	ax_oscal_time(n, "collected", in->last);
	ax_buf_free(&b);
}

/* Appends uuid as a related-observation unless the finding has it. */
static void relate(struct ax_oscal_node *f, const char *uuid)
{
	for (size_t i = 0; i < f->nkids; i++)
		if (strcmp(f->kids[i]->name, "related-observation") == 0 &&
		    strcmp(f->kids[i]->flags[0].value, uuid) == 0)
			return;
	ax_oscal_flag(ax_oscal_add(f, "related-observation"), "observation-uuid", uuid);
}

static void put_finding(struct ax_oscal_node *res, const struct ctx *c, size_t i)
{
	const struct ax_export_data *d = c->d;
	const struct ax_control_state *cs = &d->status->controls[i];
	const struct ax_export_period_stat *p = d->period ? &d->period[i] : NULL;
	const char *st = ax_control_status_name(cs->status), *state, *reason;
	struct ax_buf id = AX_BUF_INIT, desc = AX_BUF_INIT, f = AX_BUF_INIT, rem = AX_BUF_INIT;
	struct ax_oscal_node *n, *t, *s;
	char uuid[37], first[32], last[32];
	int recovered;

	ax_oscal_finding_state(cs->status, &state, &reason);
	recovered = p && p->runs_failed > 0 && strcmp(state, "satisfied") == 0;
	ax_oscal_objective_id(cs->control->id, &id);
	ax_buf_printf(&f, "%s\n%s", c->result_uuid, cs->control->id);
	ax_oscal_uuid("finding", f.ptr, uuid);
	ax_buf_printf(&desc, "annexa status %s from %zu automated check result%s", st, cs->nrows,
		      cs->nrows == 1 ? "" : "s");
	if (cs->nmanual)
		ax_buf_printf(&desc, " and %zu manual evidence item%s", cs->nmanual, cs->nmanual == 1 ? "" : "s");
	ax_buf_puts(&desc, " at the end of the period.");
	if (p && p->runs_failed > 0) {
		ax_time_format(p->first_failed, first);
		ax_time_format(p->last_failed, last);
		ax_buf_printf(&rem, "Not satisfied in %d of the %d runs of the period that evaluated it (first %s, last %s)",
			      p->runs_failed, p->runs_evaluated, first, last);
		ax_buf_puts(&rem, recovered ? "; satisfied again at the end of the period." : ".");
		ax_buf_printf(&desc, " %s", rem.ptr);
	}
	n = ax_oscal_add(res, "finding");
	ax_oscal_flag(n, "uuid", uuid);
	ax_buf_clear(&f);
	ax_buf_printf(&f, "%s %s", cs->control->id, nz(cs->control->title));
	ax_oscal_text(n, "title", AX_OSCAL_LINE, f.ptr);
	ax_oscal_text(n, "description", AX_OSCAL_MULTILINE, desc.ptr);
	ax_oscal_prop(n, "status", st, 1);
	if (p && p->runs_evaluated > 0) {
		char share[64];
		snprintf(share, sizeof(share), "%d/%d", p->runs_passed, p->runs_evaluated);
		ax_oscal_prop(n, "runs-passed", share, 1);
		snprintf(share, sizeof(share), "%d/%d", p->runs_failed, p->runs_evaluated);
		ax_oscal_prop(n, "runs-failed", share, 1);
	}
	if (p && p->days) {
		char days[64];
		snprintf(days, sizeof(days), "%d/%d", p->days_with_evidence, d->ndays);
		ax_oscal_prop(n, "days-with-evidence", days, 1);
	}
	ax_oscal_prop(n, "period-status",
		      recovered ? "recovered" : strcmp(state, "satisfied") == 0 ? "satisfied" : "not-satisfied", 1);
	put_origin(n, c);
	t = ax_oscal_add(n, "target");
	ax_oscal_flag(t, "type", "objective-id");
	ax_oscal_flag(t, "target-id", id.ptr);
	ax_oscal_prop(t, "label", cs->control->id, 0);
	s = ax_oscal_add(t, "status");
	ax_oscal_flag(s, "state", state);
	ax_oscal_flag(s, "reason", reason);
	if (cs->status == AX_CTL_ERROR)
		ax_oscal_text(s, "remarks", AX_OSCAL_MULTILINE, "A check behind the control could not be evaluated.");
	else if (cs->status == AX_CTL_STALE)
		ax_oscal_text(s, "remarks", AX_OSCAL_MULTILINE,
			      "The newest evidence is older than its freshness limit, or its manual evidence has expired.");
	else if (cs->status == AX_CTL_PARTIAL) {
		/* what is still needed, so a reader can tell why */
		struct ax_buf need = AX_BUF_INIT;
		ax_buf_puts(&need, "The automated checks pass, but the control is only partly evidenced.");
		if (p && p->demoted)
			ax_buf_printf(&need, " The period test failed: evaluated in %d of %d freshness windows, "
				      "%d check%s failed without a later pass.",
				      p->windows_evaluated, p->windows, p->unresolved, p->unresolved == 1 ? "" : "s");
		for (size_t k = 0; cs->coverage && cs->answered && k < cs->coverage->nneeds; k++)
			if (cs->answered[k] == AX_ANSWER_OPEN)
				ax_buf_printf(&need, "\nStill needed: %s:%s (%s) %s", cs->control->id,
					      nz(cs->coverage->needs[k].id), ax_aspect_name(cs->coverage->needs[k].aspect),
					      nz(cs->coverage->needs[k].text));
		ax_oscal_text(s, "remarks", AX_OSCAL_MULTILINE, need.ptr);
		ax_buf_free(&need);
	} else if (recovered)
		ax_oscal_text(s, "remarks", AX_OSCAL_MULTILINE, rem.ptr);
	for (size_t r = 0; r < cs->nrows; r++) {
		const struct ax_result *res_r = cs->rows[r].result;
		if (!res_r || !observed(res_r->status))
			continue;
		observation_uuid(res_r, uuid);
		relate(n, uuid);
	}
	for (size_t k = 0; p && k < p->nfailed; k++) {
		if (p->failed[k] >= d->evidence.nresults)
			continue;
		observation_uuid(&d->evidence.results[p->failed[k]], uuid);
		relate(n, uuid);
	}
	for (size_t k = 0; k < cs->nmanual; k++) {
		manual_observation_uuid(cs->manual[k], cs->control->id, uuid);
		relate(n, uuid);
	}
	for (size_t k = 0; d->calendar && k < d->calendar->ninst; k++) {
		if (!d->calendar->inst[k].controls[i])
			continue;
		calendar_observation_uuid(c, d->calendar->inst[k].name, uuid);
		relate(n, uuid);
	}
	ax_buf_free(&id);
	ax_buf_free(&desc);
	ax_buf_free(&f);
	ax_buf_free(&rem);
}

/* The option of an instance that names what it looks at, for people;
 * values that may carry credentials (user@, URIs with userinfo, database
 * URIs) are never shown. */
static const char *target_of(const struct ax_probe_instance *pi)
{
	static const char *const keys[] = {"target", "host", "path", "repository", "config-dir",
					   "postfix-config-dir", "log", "unit", "register", "config"};
	for (size_t k = 0; pi && k < sizeof(keys) / sizeof(keys[0]); k++)
		for (size_t i = 0; i < pi->nopts; i++)
			if (strcmp(pi->opts[i].key, keys[k]) == 0 && pi->opts[i].value && !strchr(pi->opts[i].value, '@'))
				return pi->opts[i].value;
	return NULL;
}

/* An inventory item per observed probe instance; annexa as the tool. */
static void put_local_definitions(struct ax_oscal_node *res, const struct ctx *c)
{
	const struct ax_export_data *d = c->d;
	struct ax_oscal_node *ld = ax_oscal_add(res, "local-definitions"), *n, *assets;
	char uuid[37];
	for (size_t i = 0; i < c->nobs; i++) {
		const struct ax_result *r = c->obs[i].r;
		if (i > 0 && strcmp(nz(c->obs[i - 1].r->instance), nz(r->instance)) == 0)
			continue; /* sorted by instance */
		const struct ax_probe_instance *pi = d->cfg ? ax_config_probe(d->cfg, nz(r->instance)) : NULL;
		const char *target = target_of(pi);
		struct ax_buf b = AX_BUF_INIT;
		ax_buf_printf(&b, "Probe instance %s (type %s)", nz(r->instance), nz(r->probe_type));
		if (pi && pi->type && pi->type->summary)
			ax_buf_printf(&b, ": %s", pi->type->summary);
		else if (d->cfg && !pi)
			ax_buf_puts(&b, ", no longer configured");
		ax_buf_putc(&b, '.');
		subject_uuid(r->instance, uuid);
		n = ax_oscal_add(ld, "inventory-item");
		ax_oscal_flag(n, "uuid", uuid);
		ax_oscal_text(n, "description", AX_OSCAL_MULTILINE, b.ptr);
		ax_oscal_prop(n, "instance", r->instance, 1);
		ax_oscal_prop(n, "probe-type", r->probe_type, 1);
		if (target)
			ax_oscal_prop(n, "target", target, 1);
		ax_buf_free(&b);
	}
	assets = ax_oscal_add(ld, "assessment-assets");
	n = ax_oscal_add(assets, "component");
	ax_oscal_flag(n, "uuid", c->tool_uuid);
	ax_oscal_flag(n, "type", "software");
	ax_oscal_text(n, "title", AX_OSCAL_LINE, "annexa");
	ax_oscal_text(n, "description", AX_OSCAL_MULTILINE,
		      "annexa, the ISO/IEC 27001:2022 control-evidence collector that ran the checks and "
		      "wrote this document.");
	ax_oscal_prop(n, "version", d->version, 0);
	ax_oscal_flag(ax_oscal_add(n, "status"), "state", "operational");
	n = ax_oscal_add(assets, "assessment-platform");
	ax_oscal_uuid("assessment-platform", nz(d->host), uuid);
	ax_oscal_flag(n, "uuid", uuid);
	ax_oscal_text(n, "title", AX_OSCAL_LINE, d->host && *d->host ? d->host : "annexa");
	ax_oscal_flag(ax_oscal_add(n, "uses-component"), "component-uuid", c->tool_uuid);
}

static void put_result(struct ax_oscal_node *root, struct ctx *c)
{
	const struct ax_export_data *d = c->d;
	int64_t first = d->since ? d->since : d->nruns ? d->runs[0].started_at : d->generated_at;
	int64_t last = d->until ? d->until : d->generated_at;
	struct ax_oscal_node *res = ax_oscal_add(root, "result");
	char runs[32];
	const char *state, *reason;

	snprintf(runs, sizeof(runs), "%zu", d->nruns);
	ax_oscal_flag(res, "uuid", c->result_uuid);
	ax_oscal_text(res, "title", AX_OSCAL_LINE, "Automated control evidence of the period");
	ax_oscal_text(res, "description", AX_OSCAL_MULTILINE,
		      "Results of the automated checks annexa ran in the period, mapped to Annex A controls, and "
		      "the manual evidence of the period. Evidence links are relative to this document's folder "
		      "in the signed bundle.");
	ax_oscal_time(res, "start", first);
	ax_oscal_time(res, "end", last < first ? first : last);
	ax_oscal_prop(res, "runs", runs, 1);
	put_local_definitions(res, c);
	ax_oscal_reviewed(res, d, "The Annex A controls annexa assessed in the period: those with a finding.");
	for (size_t i = 0; i < c->nobs; i++)
		put_observation(res, c, &c->obs[i]);
	for (size_t i = 0; i < d->manual.n; i++)
		for (size_t k = 0; k < d->manual.items[i].ncontrols; k++)
			put_manual_observation(res, d, &d->manual.items[i], d->manual.items[i].controls[k]);
	for (size_t i = 0; d->calendar && i < d->calendar->ninst; i++)
		put_calendar_observation(res, c, &d->calendar->inst[i]);
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (ax_oscal_finding_state(d->status->controls[i].status, &state, &reason))
			put_finding(res, c, i);
}

int ax_oscal_results_build(const struct ax_export_data *d, struct ax_oscal_node **out)
{
	struct ctx c = {.d = d};
	struct ax_oscal_node *root = NULL, *ap;
	struct ax_buf f = AX_BUF_INIT;
	char doc_uuid[37];
	int err;

	*out = NULL;
	if (!d || !d->status)
		return ax_error_code(AX_EINVALID, "OSCAL: no status to write");
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (!d->status->controls[i].control)
			return ax_error_code(AX_EINVALID, "OSCAL: control %zu has no catalog entry", i);
	if ((err = ax_report_index_build(d, &c.ix)) < 0)
		goto cleanup;
	gather(&c);
	c.links = ax_calloc(d->nlinks + 1, sizeof(*c.links));
	for (size_t i = 0; i < d->nlinks; i++)
		c.links[i] = i;
	if (d->nlinks)
		qsort_r(c.links, d->nlinks, sizeof(*c.links), cmp_link_run, d->links);
	/* The runs identify the results: their hashes chain, so the first
	 * prev_hash and the last hash name exactly this sequence of runs. */
	ax_buf_printf(&f, "%s\n%zu\n%s\n%s", nz(d->organization), d->nruns, d->nruns ? d->runs[0].prev_hash : "",
		      d->nruns ? d->runs[d->nruns - 1].hash : "");
	ax_oscal_uuid("assessment-results", f.ptr, doc_uuid);
	ax_oscal_uuid("result", f.ptr, c.result_uuid);
	ax_oscal_uuid("tool", "annexa", c.tool_uuid);

	root = ax_oscal_add(NULL, "assessment-results");
	ax_oscal_flag(root, "uuid", doc_uuid);
	ax_oscal_metadata(root, d, "ISO/IEC 27001:2022 Annex A automated control evidence", 1);
	ap = ax_oscal_add(root, "import-ap");
	ax_oscal_flag(ap, "href", "assessment-plan.xml");
	ax_oscal_text(ap, "remarks", AX_OSCAL_MULTILINE,
		      "annexa collects evidence continuously; the plan names the controls assessed and the "
		      "catalog (catalog.xml) they resolve in.");
	put_result(root, &c);
	*out = root;
	root = NULL;
cleanup:
	ax_oscal_free(root);
	ax_buf_free(&f);
	free(c.obs);
	free(c.links);
	ax_report_index_free(&c.ix);
	return err;
}
