/* status.c - the status engine: from the newest result of every check and
 * the catalog's mappings, the status of every control, and its JSON.
 *
 * Pure: no store, no clock, no files. The same catalog, config, results and
 * `now` always give the same status (rows in instance, check order), so
 * the CLI, the report and the exported bundle agree, and tests need no
 * fixtures beyond a struct ax_evidence.
 *
 * Rules (DESIGN.md): per control, the rows are the newest result of every
 * (instance, check) whose check id matches a mapping rule for the control or
 * whose instance lists the control in `controls =`. Status precedence:
 * not_applicable > fail > error > stale > partial > pass; `skip` and `info`
 * rows count for nothing (shown, never evidence); no rule or instance names
 * the control -> manual; rules exist but no counting row -> not_covered.
 * Passing checks are never enough on their own when the control's coverage
 * statement (coverage/NAME.xml) names needs: the control is partial until
 * every need is answered by a fresh passing check the need names or by
 * valid manual evidence that names the need (manual.h), combined
 * afterwards by ax_status_apply_manual, see controls.h. */
#include "controls.h"
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "util.h"

static const char *const status_names[AX_CTL__COUNT] = {
	"pass", "partial", "fail", "error", "stale", "manual", "not_applicable", "not_covered",
};

const char *ax_control_status_name(enum ax_control_status s)
{
	if ((unsigned)s < AX_CTL__COUNT)
		return status_names[s];
	return "error";
}

/* AX_DEFAULT_INTERVAL (option.h) is used when the instance is gone from the
 * config (its old evidence still counts, it just can no longer be fresh for
 * long) or there is no config. */

int64_t ax_status_freshness(const struct ax_config *cfg, const char *instance)
{
	const struct ax_probe_instance *pi = cfg ? ax_config_probe(cfg, instance) : NULL;
	int64_t interval = 0;

	if (pi && pi->freshness > 0)
		return pi->freshness;
	if (pi && pi->interval > 0)
		return 2 * pi->interval;
	if (cfg)
		interval = ax_config_get_int(cfg, "annexa", "interval");
	if (interval <= 0)
		interval = AX_DEFAULT_INTERVAL;
	return 2 * interval;
}

static long control_index(const struct ax_catalog *cat, const char *id)
{
	const struct ax_control *c = ax_catalog_find(cat, id);
	return c ? (long)(c - cat->controls) : -1;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Sorts by instance, check, newest first: the first of each group is the
 * result that counts, and the row order comes out deterministic. */
static int cmp_result(const void *a, const void *b)
{
	const struct ax_result *x = *(const struct ax_result *const *)a, *y = *(const struct ax_result *const *)b;
	int c = strcmp(nz(x->instance), nz(y->instance));
	if (c)
		return c;
	if ((c = strcmp(nz(x->check), nz(y->check))))
		return c;
	return (x->collected_at < y->collected_at) - (x->collected_at > y->collected_at);
}

static void add_row(struct ax_control_state *cs, const struct ax_result *r, int stale)
{
	cs->rows = ax_realloc(cs->rows, (cs->nrows + 1) * sizeof(*cs->rows));
	cs->rows[cs->nrows].result = r;
	cs->rows[cs->nrows].stale = stale;
	cs->nrows++;
	if (r->collected_at > cs->newest)
		cs->newest = r->collected_at;
}

static enum ax_control_status decide(const struct ax_control_state *cs, int mapped)
{
	int fail = 0, error = 0, stale = 0, pass = 0;

	if (!mapped)
		return AX_CTL_MANUAL;
	for (size_t i = 0; i < cs->nrows; i++) {
		const struct ax_check_row *row = &cs->rows[i];
		switch (row->result->status) {
		case AX_CHECK_FAIL: fail = 1; break;
		case AX_CHECK_ERROR: error = 1; break;
		case AX_CHECK_PASS: pass = 1; break;
		case AX_CHECK_SKIP: /* not applicable to this target: no evidence either way */
		case AX_CHECK_INFO: continue; /* cannot fail in its mode: no evidence either way */
		}
		/* An old failure is still a failure: staleness only weakens a pass. */
		stale |= row->stale;
	}
	if (fail)
		return AX_CTL_FAIL;
	if (error)
		return AX_CTL_ERROR;
	if (stale)
		return AX_CTL_STALE;
	if (pass)
		return AX_CTL_PASS;
	return AX_CTL_NOT_COVERED;
}

/* Does a configured instance run a probe that can emit a check matching
 * rule? A site that runs no TLS probe has no automation for A.8.24: the
 * control needs manual evidence there, it is not merely "not covered yet".
 * Without a config (tests, tools) every rule counts. */
static int rule_is_automated_here(const struct ax_config *cfg, const char *rule)
{
	if (!cfg)
		return 1;
	for (size_t i = 0; i < cfg->nprobes; i++) {
		const struct probe *p = cfg->probes[i].type;
		for (size_t c = 0; p && p->checks && p->checks[c].id; c++) {
			const char *d = p->checks[c].id;
			size_t k = ax_check_id_wildcard(d);
			if (strcmp(rule, d) == 0 || ax_check_pattern_matches(rule, d))
				return 1;
			/* a declared "prefix.*" can emit whatever the rule names below it */
			if (k && strncmp(rule, d, k) == 0)
				return 1;
		}
	}
	return 0;
}

/* Marks the needs a fresh passing row answers. */
static void answer_by_checks(struct ax_control_state *cs)
{
	const struct ax_coverage *cov = cs->coverage;
	for (size_t n = 0; cov && n < cov->nneeds; n++) {
		for (size_t r = 0; r < cs->nrows && cs->answered[n] == AX_ANSWER_OPEN; r++) {
			const struct ax_check_row *row = &cs->rows[r];
			if (row->stale || row->result->status != AX_CHECK_PASS)
				continue;
			for (size_t k = 0; k < cov->needs[n].nchecks; k++)
				if (ax_check_pattern_matches(cov->needs[n].checks[k], row->result->check)) {
					cs->answered[n] = AX_ANSWER_CHECK;
					break;
				}
		}
	}
}

/* pass becomes partial while a need is open; other verdicts stand. */
static enum ax_control_status with_needs(struct ax_control_state *cs, enum ax_control_status s)
{
	cs->open_needs = 0;
	for (size_t n = 0; cs->coverage && n < cs->coverage->nneeds; n++)
		cs->open_needs += cs->answered[n] == AX_ANSWER_OPEN;
	return s == AX_CTL_PASS && cs->open_needs ? AX_CTL_PARTIAL : s;
}

int ax_status_covers(const struct ax_control_state *cs, const struct ax_cov_item *item)
{
	for (size_t r = 0; item && item->probe && r < cs->nrows; r++)
		if (cs->rows[r].result->probe_type && strcmp(cs->rows[r].result->probe_type, item->probe) == 0)
			return 1;
	return 0;
}

void ax_status_hits(const struct ax_catalog *cat, const struct ax_config *cfg, const char *instance,
		    const char *check, unsigned char *hit)
{
	const struct ax_probe_instance *pi = cfg ? ax_config_probe(cfg, instance) : NULL;
	long c;
	for (size_t k = 0; k < cat->nmaps; k++)
		if (ax_check_pattern_matches(cat->maps[k].check, check) && (c = control_index(cat, cat->maps[k].control)) >= 0)
			hit[c] = 1;
	for (size_t k = 0; pi && k < pi->ncontrols; k++)
		if ((c = control_index(cat, pi->controls[k])) >= 0)
			hit[c] = 1;
}

int ax_status_compute(const struct ax_catalog *cat, const struct ax_config *cfg,
		      const struct ax_evidence *latest, int64_t now, struct ax_status **out)
{
	struct ax_status *st = NULL;
	const struct ax_result **sorted = NULL;
	long *map_ctl = NULL;
	unsigned char *mapped = NULL, *hit = NULL;
	size_t nres = latest ? latest->nresults : 0, i, j, k;
	int error = 0;

	*out = NULL;
	if (!cat) {
		error = ax_error_code(AX_EINVALID, "status: no catalog");
		goto cleanup;
	}
	st = ax_calloc(1, sizeof(*st));
	st->generated_at = now;
	st->ncontrols = cat->ncontrols;
	st->controls = ax_calloc(cat->ncontrols ? cat->ncontrols : 1, sizeof(*st->controls));
	mapped = ax_calloc(cat->ncontrols + 1, 1);
	hit = ax_calloc(cat->ncontrols + 1, 1);

	/* Resolve every rule's control once; the loader guarantees it exists,
	 * but a hand-built catalog may not, and an unknown one maps nothing. */
	map_ctl = ax_calloc(cat->nmaps + 1, sizeof(*map_ctl));
	for (i = 0; i < cat->nmaps; i++) {
		map_ctl[i] = control_index(cat, cat->maps[i].control);
		if (map_ctl[i] >= 0 && rule_is_automated_here(cfg, cat->maps[i].check))
			mapped[map_ctl[i]] = 1;
	}
	for (i = 0; cfg && i < cfg->nprobes; i++) {
		for (j = 0; j < cfg->probes[i].ncontrols; j++) {
			long c = control_index(cat, cfg->probes[i].controls[j]);
			if (c >= 0)
				mapped[c] = 1;
		}
	}

	sorted = ax_calloc(nres + 1, sizeof(*sorted));
	for (i = 0; i < nres; i++)
		sorted[i] = &latest->results[i];
	if (nres)
		qsort(sorted, nres, sizeof(*sorted), cmp_result);

	for (i = 0; i < nres; i++) {
		const struct ax_result *r = sorted[i];
		int stale;

		if (i > 0 && strcmp(nz(r->instance), nz(sorted[i - 1]->instance)) == 0 &&
		    strcmp(nz(r->check), nz(sorted[i - 1]->check)) == 0)
			continue; /* an older result of the same check */

		memset(hit, 0, cat->ncontrols);
		ax_status_hits(cat, cfg, nz(r->instance), r->check, hit);

		stale = now - r->collected_at > ax_status_freshness(cfg, nz(r->instance));
		for (k = 0; k < cat->ncontrols; k++) {
			if (hit[k]) {
				add_row(&st->controls[k], r, stale);
				mapped[k] = 1; /* evidence exists, so automation does */
			}
		}
	}

	for (k = 0; k < cat->ncontrols; k++) {
		struct ax_control_state *cs = &st->controls[k];
		const struct ax_control_cfg *cc = cfg ? ax_config_control(cfg, cat->controls[k].id) : NULL;

		cs->control = &cat->controls[k];
		cs->coverage = ax_catalog_coverage(cat, cs->control->id);
		if (cs->coverage) {
			cs->answered = ax_calloc(cs->coverage->nneeds + 1, sizeof(*cs->answered));
			answer_by_checks(cs);
		}
		if (cc) {
			cs->owner = cc->owner;
			cs->reason = cc->reason;
		}
		if (cc && cc->inherited) {
			cs->inherited_from = cc->inherited;
			cs->inherited_reference = cc->reference;
		}
		if (cc && !cc->applicable) {
			cs->status = cs->checks_status = AX_CTL_NOT_APPLICABLE;
			cs->justification = cc->justification;
		} else {
			cs->checks_status = decide(cs, mapped[k]);
			cs->status = with_needs(cs, cs->checks_status);
		}
		st->counts[cs->status]++;
	}
	*out = st;
	st = NULL;

cleanup:
	ax_status_free(st);
	free(sorted);
	free(map_ctl);
	free(mapped);
	free(hit);
	return error;
}

void ax_status_free(struct ax_status *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ncontrols; i++) {
		free(st->controls[i].rows);
		free(st->controls[i].manual);
		free(st->controls[i].answered);
		for (size_t n = 0; st->controls[i].answered_items && n < st->controls[i].coverage->nneeds; n++)
			free(st->controls[i].answered_items[n].items);
		free(st->controls[i].answered_items);
	}
	free(st->controls);
	free(st->expiring);
	free(st);
}

/* --- manual evidence --- */

/* Worse of two verdicts in the order fail > error > stale > partial > pass. */
static enum ax_control_status worse(enum ax_control_status a, enum ax_control_status b)
{
	static const int rank[AX_CTL__COUNT] = {
		[AX_CTL_PASS] = 0, [AX_CTL_PARTIAL] = 1, [AX_CTL_STALE] = 2, [AX_CTL_ERROR] = 3, [AX_CTL_FAIL] = 4,
	};
	return rank[b] > rank[a] ? b : a;
}

/* An item whose files are all empty evidences nothing (older stores may
 * hold one: attach refuses them now). */
static int has_content(const struct ax_manual *m)
{
	for (size_t f = 0; f < m->nfiles; f++)
		if (m->files[f].size > 0)
			return 1;
	return 0;
}

/* pass, stale, or -1 when the control's manual evidence gives no verdict. */
static int manual_verdict(const struct ax_control_state *cs, int64_t now)
{
	int expired = 0;
	for (size_t i = 0; i < cs->nmanual; i++) {
		const struct ax_manual *m = cs->manual[i];
		if (!has_content(m))
			continue;
		if (ax_manual_valid_at(m, now))
			return AX_CTL_PASS;
		if (m->state == AX_MANUAL_APPROVED && m->expires_at <= now)
			expired = 1;
	}
	return expired ? AX_CTL_STALE : -1;
}

/* Marks the open needs that valid, non-empty items name (--answers) and
 * records those items per need. */
static void answer_by_items(struct ax_control_state *cs, int64_t now)
{
	const struct ax_coverage *cov = cs->coverage;
	if (!cov || !cov->nneeds)
		return;
	cs->answered_items = ax_calloc(cov->nneeds, sizeof(*cs->answered_items));
	for (size_t q = 0; q < cov->nneeds; q++) {
		struct ax_need_items *ni = &cs->answered_items[q];
		if (cs->answered[q] == AX_ANSWER_CHECK)
			continue; /* a fresh check answers it already */
		for (size_t i = 0; i < cs->nmanual; i++) {
			const struct ax_manual *m = cs->manual[i];
			if (!has_content(m) || !ax_manual_valid_at(m, now) ||
			    !ax_manual_answers(m, cov->control, cov->needs[q].id))
				continue;
			ni->items = ax_realloc(ni->items, (ni->n + 1) * sizeof(*ni->items));
			ni->items[ni->n++] = m;
			cs->answered[q] = AX_ANSWER_MANUAL;
		}
	}
}

/* Renewed: another approved item of the control is in force when m
 * expires and stays valid beyond the warning period. */
static int renewed(const struct ax_control_state *cs, const struct ax_manual *m, int64_t horizon)
{
	for (size_t i = 0; i < cs->nmanual; i++) {
		const struct ax_manual *o = cs->manual[i];
		if (o != m && o->state == AX_MANUAL_APPROVED && o->effective_at <= m->expires_at &&
		    o->expires_at > horizon)
			return 1;
	}
	return 0;
}

static int cmp_expiring(const void *a, const void *b)
{
	const struct ax_manual_expiring *x = a, *y = b;
	int c;
	if (x->item->expires_at != y->item->expires_at)
		return x->item->expires_at < y->item->expires_at ? -1 : 1;
	if ((c = strcmp(x->item->id, y->item->id)))
		return c;
	return strcmp(x->control, y->control);
}

void ax_status_apply_manual(struct ax_status *st, const struct ax_manual *items, size_t n, int64_t now,
			    int64_t expiry_warning)
{
	if (!st)
		return;
	st->manual_applied = 1;
	st->expiry_warning = expiry_warning;
	for (size_t k = 0; k < st->ncontrols; k++) {
		struct ax_control_state *cs = &st->controls[k];
		for (size_t i = 0; i < n; i++) {
			for (size_t c = 0; c < items[i].ncontrols; c++) {
				if (strcmp(items[i].controls[c], cs->control->id) != 0)
					continue;
				cs->manual = ax_realloc(cs->manual, (cs->nmanual + 1) * sizeof(*cs->manual));
				cs->manual[cs->nmanual++] = &items[i];
				if (items[i].state == AX_MANUAL_PENDING)
					cs->manual_pending++;
			}
		}
		int verdict = manual_verdict(cs, now);
		for (size_t i = 0; i < cs->nmanual; i++) {
			const struct ax_manual *m = cs->manual[i];
			if (!ax_manual_valid_at(m, now) || m->expires_at > now + expiry_warning ||
			    renewed(cs, m, now + expiry_warning))
				continue;
			st->expiring = ax_realloc(st->expiring, (st->nexpiring + 1) * sizeof(*st->expiring));
			st->expiring[st->nexpiring].item = m;
			st->expiring[st->nexpiring].control = cs->control->id;
			st->nexpiring++;
		}
		answer_by_items(cs, now);
		if (verdict < 0 || cs->status == AX_CTL_NOT_APPLICABLE)
			continue;
		enum ax_control_status s = cs->checks_status;
		if (s == AX_CTL_MANUAL || s == AX_CTL_NOT_COVERED)
			s = (enum ax_control_status)verdict;
		else
			s = worse(s, (enum ax_control_status)verdict);
		st->counts[cs->status]--;
		cs->status = with_needs(cs, s);
		st->counts[cs->status]++;
	}
	if (st->nexpiring)
		qsort(st->expiring, st->nexpiring, sizeof(*st->expiring), cmp_expiring);
}

/* Probe messages come from remote servers and files; jansson refuses
 * invalid UTF-8, and a missing field would break the documented shape. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (!j) {
		char *copy = ax_strdup(s);
		for (char *p = copy; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		j = json_string(copy);
		free(copy);
	}
	return j;
}

static json_t *row_json(const struct ax_check_row *row)
{
	const struct ax_result *r = row->result;
	json_t *o = json_object();
	json_object_set_new(o, "probe", jstr(r->instance));
	json_object_set_new(o, "check", jstr(r->check));
	json_object_set_new(o, "status", json_string(ax_check_status_name(r->status)));
	json_object_set_new(o, "message", jstr(r->message));
	json_object_set_new(o, "collected_at", ax_json_time(r->collected_at));
	if (row->stale)
		json_object_set_new(o, "stale", json_true());
	/* shown so an auditor sees what ran, but never the evidence of a pass */
	if (!ax_check_status_is_evidence(r->status))
		json_object_set_new(o, "evidence", json_false());
	return o;
}

static const char *answer_name(enum ax_answer a)
{
	return a == AX_ANSWER_CHECK ? "check" : a == AX_ANSWER_MANUAL ? "manual" : NULL;
}

/* "coverage": what the site's checks cover (items of the probe types that
 * reported) and every need, answered or not. */
static json_t *coverage_json(const struct ax_control_state *cs)
{
	const struct ax_coverage *cov = cs->coverage;
	json_t *o = json_object(), *covered = json_array(), *needs = json_array();
	json_object_set_new(o, "purpose", jstr(cov->purpose));
	for (size_t i = 0; i < cov->ncovered; i++)
		if (ax_status_covers(cs, &cov->covered[i]))
			json_array_append_new(covered, json_pack("{s:s,s:s,s:o}", "probe", cov->covered[i].probe, "aspect",
								 ax_aspect_name(cov->covered[i].aspect), "text",
								 jstr(cov->covered[i].text)));
	for (size_t i = 0; i < cov->nneeds; i++) {
		const struct ax_cov_item *n = &cov->needs[i];
		const char *by = answer_name(cs->answered[i]);
		json_t *checks = json_array();
		for (size_t k = 0; k < n->nchecks; k++)
			json_array_append_new(checks, jstr(n->checks[k]));
		json_t *need = json_pack("{s:o,s:s,s:o,s:o,s:o}", "id", json_sprintf("%s:%s", cov->control, n->id),
					 "aspect", ax_aspect_name(n->aspect), "text", jstr(n->text), "answered_by",
					 by ? json_string(by) : json_null(), "checks", checks);
		if (cs->answered[i] == AX_ANSWER_MANUAL && cs->answered_items) {
			json_t *items = json_array();
			for (size_t k = 0; k < cs->answered_items[i].n; k++)
				json_array_append_new(items, json_string(cs->answered_items[i].items[k]->id));
			json_object_set_new(need, "items", items);
		}
		json_array_append_new(needs, need);
	}
	json_object_set_new(o, "covered", covered);
	json_object_set_new(o, "needs", needs);
	json_object_set_new(o, "open_needs", json_integer((json_int_t)cs->open_needs));
	return o;
}

static json_t *control_json(const struct ax_control_state *cs)
{
	json_t *o = json_object(), *checks = json_array();
	json_object_set_new(o, "id", jstr(cs->control->id));
	json_object_set_new(o, "title", jstr(cs->control->title));
	json_object_set_new(o, "theme", jstr(cs->control->theme));
	json_object_set_new(o, "status", json_string(ax_control_status_name(cs->status)));
	if (cs->status == AX_CTL_NOT_APPLICABLE)
		json_object_set_new(o, "justification", jstr(cs->justification));
	if (cs->owner)
		json_object_set_new(o, "owner", jstr(cs->owner));
	if (cs->inherited_from)
		json_object_set_new(o, "inherited", json_pack("{s:o,s:o}", "provider", jstr(cs->inherited_from),
							      "reference", jstr(cs->inherited_reference)));
	if (cs->coverage)
		json_object_set_new(o, "coverage", coverage_json(cs));
	for (size_t i = 0; i < cs->nrows; i++)
		json_array_append_new(checks, row_json(&cs->rows[i]));
	json_object_set_new(o, "checks", checks);
	if (cs->nmanual) {
		json_t *manual = json_array();
		for (size_t i = 0; i < cs->nmanual; i++)
			json_array_append_new(manual, ax_manual_to_json(cs->manual[i]));
		json_object_set_new(o, "manual_evidence", manual);
	}
	if (cs->manual_pending)
		json_object_set_new(o, "pending_approval", json_integer((json_int_t)cs->manual_pending));
	return o;
}

json_t *ax_status_to_json(const struct ax_status *st)
{
	json_t *root, *summary, *controls;
	if (!st)
		return NULL;
	root = json_object();
	summary = json_object();
	controls = json_array();
	json_object_set_new(root, "generated_at", ax_json_time(st->generated_at));
	for (int s = 0; s < AX_CTL__COUNT; s++)
		json_object_set_new(summary, status_names[s], json_integer(st->counts[s]));
	json_object_set_new(root, "summary", summary);
	for (size_t i = 0; i < st->ncontrols; i++)
		json_array_append_new(controls, control_json(&st->controls[i]));
	json_object_set_new(root, "controls", controls);
	if (st->manual_applied) {
		json_t *expiring = json_array();
		for (size_t i = 0; i < st->nexpiring; i++)
			json_array_append_new(expiring,
					      json_pack("{s:s,s:s,s:o,s:s}", "id", st->expiring[i].item->id, "control",
							st->expiring[i].control, "expires",
							ax_json_time(st->expiring[i].item->expires_at), "owner",
							st->expiring[i].item->owner ? st->expiring[i].item->owner : ""));
		json_object_set_new(root, "expiring", expiring);
	}
	return root;
}
