/* verify_period.c - checks a bundle's period.json against its ledger
 * (verify_period.h). The calendar is derived data: verify cannot know the
 * configured interval or the reasons of gaps (the daemon's log), but given
 * the interval period.json states, the runs observed, the runs expected
 * and missed, and the gaps follow from what the bundle signs (the same
 * arithmetic as the export's, period.c), so they must agree: a calendar
 * that hides missed runs or invents days with evidence is refused even
 * when the bundle was signed again by its own key. */
#include "verify_period.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "export.h"
#include "util.h"

void ax_run_counts_add(struct ax_run_counts *c, const char *instance, const struct ax_run_seen *run)
{
	size_t i = 0;
	while (i < c->len && strcmp(c->names[i], instance) != 0)
		i++;
	if (i == c->len) {
		c->names = ax_realloc(c->names, (c->len + 1) * sizeof(*c->names));
		c->runs = ax_realloc(c->runs, (c->len + 1) * sizeof(*c->runs));
		c->n = ax_realloc(c->n, (c->len + 1) * sizeof(*c->n));
		c->names[i] = ax_strdup(instance);
		c->runs[i] = NULL;
		c->n[i] = 0;
		c->len++;
	}
	int n = c->n[i];
	if ((n & (n - 1)) == 0) /* capacity doubles at each power of two */
		c->runs[i] = ax_realloc(c->runs[i], (size_t)(n < 4 ? 8 : 2 * n) * sizeof(**c->runs));
	c->runs[i][c->n[i]++] = *run;
}

void ax_run_counts_free(struct ax_run_counts *c)
{
	for (size_t i = 0; i < c->len; i++) {
		free(c->names[i]);
		free(c->runs[i]);
	}
	free(c->names);
	free(c->runs);
	free(c->n);
	memset(c, 0, sizeof(*c));
}

static int get_time(const json_t *o, const char *key, int64_t *t)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && ax_time_parse(s, t) == 0 ? 0 : -1;
}

static int cmp_started(const void *pa, const void *pb)
{
	const struct ax_run_seen *a = pa, *b = pb;
	return (a->started_at > b->started_at) - (a->started_at < b->started_at);
}

static int cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return (a > b) - (a < b);
}

/* The calendar of one instance against what its runs give. */
static int check_instance(const json_t *in, const char *name, const struct ax_run_seen *runs, int n, int64_t until)
{
	struct ax_period_instance want = {0};
	const char *src = json_string_value(json_object_get(in, "interval_source"));
	json_t *jiv = json_object_get(in, "interval"), *gaps = json_object_get(in, "gaps"), *g;
	json_int_t interval = json_integer_value(jiv);
	int64_t *at = ax_calloc((size_t)n + 1, sizeof(*at)), first = 0, last = 0;
	unsigned char *failed = ax_calloc((size_t)n + 1, 1);
	int observed = src && strcmp(src, "observed") == 0, err = 0;
	size_t k;
	if (!json_is_integer(jiv) || !src || (!observed && (strcmp(src, "config") != 0 || interval <= 0)) ||
	    !json_is_array(gaps) || get_time(in, "first_run", &first) < 0 || get_time(in, "last_run", &last) < 0) {
		err = ax_error_code(AX_EINVALID, "period.json: instance %s is malformed", name);
		goto cleanup;
	}
	/* the calendar orders an instance's runs by their start (a copy: the
	 * runs population keeps the ledger's order) */
	struct ax_run_seen *sorted = ax_calloc((size_t)n + 1, sizeof(*sorted));
	memcpy(sorted, runs, (size_t)n * sizeof(*runs));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_started);
	for (int r = 0; r < n; r++) {
		at[r] = sorted[r].started_at;
		failed[r] = sorted[r].failed;
	}
	free(sorted);
	/* a configured interval is the site's statement; one taken from the
	 * runs is recomputed */
	ax_period_instance_fill(&want, at, failed, (size_t)n, observed ? 0 : interval, until, NULL);
	if (want.interval != interval) {
		err = ax_error_code(AX_EINVALID, "period.json: instance %s: interval %lld, the median spacing of its "
				    "runs is %lld", name, (long long)interval, (long long)want.interval);
		goto cleanup;
	}
	if (first != want.first || last != want.last) {
		char a[32], b[32];
		ax_time_format(want.first, a);
		ax_time_format(want.last, b);
		err = ax_error_code(AX_EINVALID, "period.json: instance %s: runs from %s to %s, the ledger has them "
				    "from %s to %s", name, json_string_value(json_object_get(in, "first_run")),
				    json_string_value(json_object_get(in, "last_run")), a, b);
		goto cleanup;
	}
	static const char *const fields[] = {"expected", "failed", "missed"};
	const int values[] = {want.expected, want.failed, want.missed};
	for (k = 0; k < 3; k++) {
		json_t *v = json_object_get(in, fields[k]);
		if (!json_is_integer(v) || json_integer_value(v) != values[k]) {
			err = ax_error_code(AX_EINVALID, "period.json: instance %s: %lld runs %s, its runs in the ledger "
					    "and its interval of %lld s give %d", name, (long long)json_integer_value(v),
					    fields[k], (long long)interval, values[k]);
			goto cleanup;
		}
	}
	if (json_array_size(gaps) != want.ngaps) {
		err = ax_error_code(AX_EINVALID, "period.json: instance %s: %zu gaps, its runs in the ledger and its "
				    "interval leave %zu", name, json_array_size(gaps), want.ngaps);
		goto cleanup;
	}
	json_array_foreach(gaps, k, g) {
		int64_t from = 0, to = 0;
		const struct ax_period_gap *w = &want.gaps[k];
		if (get_time(g, "from", &from) < 0 || get_time(g, "to", &to) < 0 || from != w->from || to != w->to ||
		    json_integer_value(json_object_get(g, "missed")) != w->missed ||
		    json_integer_value(json_object_get(g, "seconds")) != w->to - w->from) {
			char a[32], b[32];
			ax_time_format(w->from, a);
			ax_time_format(w->to, b);
			err = ax_error_code(AX_EINVALID, "period.json: instance %s: gap %zu is not the one its runs in "
					    "the ledger leave (%s .. %s, %d missed)", name, k + 1, a, b, w->missed);
			goto cleanup;
		}
	}
cleanup:
	free(want.gaps);
	free(at);
	free(failed);
	return err;
}

/* Per instance (c's order), the sorted days of its runs that reported a
 * pass, fail or error: a day counts by the run's finish, as the export's
 * replay counts it (export_data.c), the last one taking what comes after. */
static int64_t **evidence_days(const struct ax_run_counts *c, int64_t since, json_int_t days, size_t **ndays)
{
	int64_t **out = ax_calloc(c->len + 1, sizeof(*out));
	*ndays = ax_calloc(c->len + 1, sizeof(**ndays));
	for (size_t i = 0; i < c->len; i++) {
		out[i] = ax_calloc((size_t)c->n[i] + 1, sizeof(**out));
		for (int r = 0; r < c->n[i]; r++) {
			const struct ax_run_seen *s = &c->runs[i][r];
			int64_t day = s->finished_at > since ? (s->finished_at - since) / 86400 : 0;
			if (s->counting)
				out[i][(*ndays)[i]++] = day < days ? day : days - 1;
		}
		qsort(out[i], (*ndays)[i], sizeof(**out), cmp_i64);
	}
	return out;
}

static int instance_index(const struct ax_run_counts *c, const char *name)
{
	for (size_t k = 0; name && k < c->len; k++)
		if (strcmp(c->names[k], name) == 0)
			return (int)k;
	return -1;
}

static int check_controls(const json_t *ctls, const json_t *insts, json_int_t days, int64_t since,
			  const struct ax_run_counts *c)
{
	size_t i, *nd = NULL;
	json_t *ctl;
	int64_t **evd = NULL;
	int err = 0;
	json_array_foreach(ctls, i, ctl) {
		const char *id = json_string_value(json_object_get(ctl, "control"));
		const char *cal = json_string_value(json_object_get(ctl, "calendar"));
		json_t *cinst = json_object_get(ctl, "instances"), *name;
		json_int_t with = json_integer_value(json_object_get(ctl, "days_with_evidence")), n = 0;
		json_int_t sums[3] = {0, 0, 0};
		static const char *const runs_keys[] = {"expected", "observed", "missed"};
		static const char *const sum_keys[] = {"runs_expected", "runs_observed", "runs_missed"};
		size_t k;
		if (!id || !cal || (json_int_t)strlen(cal) != days || json_integer_value(json_object_get(ctl, "days")) != days) {
			err = ax_error_code(AX_EINVALID, "period.json: control %s: its calendar does not have the "
					    "period's %lld days", id ? id : "?", (long long)days);
			goto cleanup;
		}
		if (!json_is_array(cinst)) {
			err = ax_error_code(AX_EINVALID, "period.json: control %s is malformed", id);
			goto cleanup;
		}
		json_array_foreach(cinst, k, name) {
			int idx = instance_index(c, json_string_value(name));
			if (idx < 0) {
				err = ax_error_code(AX_EINVALID, "period.json: control %s names instance %s, which has "
						    "no collection run in the ledger", id,
						    json_string_value(name) ? json_string_value(name) : "?");
				goto cleanup;
			}
			for (size_t m = 0; m < json_array_size(insts); m++)
				if (strcmp(json_string_value(json_object_get(json_array_get(insts, m), "instance")),
					   c->names[idx]) == 0)
					for (int s = 0; s < 3; s++)
						sums[s] += json_integer_value(
							json_object_get(json_array_get(insts, m), runs_keys[s]));
		}
		for (int s = 0; s < 3; s++)
			if (json_integer_value(json_object_get(ctl, sum_keys[s])) != sums[s]) {
				err = ax_error_code(AX_EINVALID, "period.json: control %s: %s %lld, its instances' "
						    "sum is %lld", id, sum_keys[s],
						    (long long)json_integer_value(json_object_get(ctl, sum_keys[s])),
						    (long long)sums[s]);
				goto cleanup;
			}
		for (const char *p = cal; *p; p++) {
			if (!strchr("psef-", *p)) {
				err = ax_error_code(AX_EINVALID, "period.json: control %s: '%c' is no day state", id, *p);
				goto cleanup;
			}
			if (*p == '-')
				continue;
			n++;
			/* a day with evidence: one of its instances reported that day */
			int64_t day = p - cal;
			int seen = 0;
			if (!evd)
				evd = evidence_days(c, since, days, &nd);
			json_array_foreach(cinst, k, name) {
				int idx = instance_index(c, json_string_value(name));
				seen |= bsearch(&day, evd[idx], nd[idx], sizeof(**evd), cmp_i64) != NULL;
			}
			if (!seen) {
				err = ax_error_code(AX_EINVALID, "period.json: control %s: day %lld has evidence, but "
						    "none of its instances reported that day in the ledger", id,
						    (long long)day + 1);
				goto cleanup;
			}
		}
		if (n != with) {
			err = ax_error_code(AX_EINVALID, "period.json: control %s: %lld days with evidence, its "
					    "calendar shows %lld", id, (long long)with, (long long)n);
			goto cleanup;
		}
	}
cleanup:
	for (size_t k = 0; evd && k < c->len; k++)
		free(evd[k]);
	free(evd);
	free(nd);
	return err;
}

int ax_verify_period(const char *text, size_t len, const struct ax_run_counts *c, const struct ax_period_bounds *b)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *in;
	json_t *insts = json_object_get(j, "instances");
	json_int_t days = json_integer_value(json_object_get(j, "days"));
	int64_t since = 0, until = 0;
	size_t i, listed = 0;
	unsigned char *listed_once = NULL;
	int err = 0;
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "version")) != 1 || !json_is_array(insts) ||
	    days < 1 || !json_is_array(json_object_get(j, "controls")) || get_time(j, "since", &since) < 0 ||
	    get_time(j, "until", &until) < 0) {
		err = ax_error_code(AX_EINVALID, "period.json is not a run calendar annexa writes");
		goto cleanup;
	}
	/* the period is the signed manifest's (its end: the export's time when
	 * that came first; its start: the first run when it names none) */
	int64_t want_until = b->has_until && b->until < b->generated_at ? b->until : b->generated_at;
	if ((b->has_since && since != b->since) || (!b->has_since && b->has_first_run && since != b->first_run) ||
	    (b->has_generated_at && until != want_until)) {
		err = ax_error_code(AX_EINVALID, "period.json: the period %s .. %s is not the one manifest.json and "
				    "the ledger give", json_string_value(json_object_get(j, "since")),
				    json_string_value(json_object_get(j, "until")));
		goto cleanup;
	}
	if (days != (until > since ? (until - since + 86399) / 86400 : 1)) {
		err = ax_error_code(AX_EINVALID, "period.json: %lld days, its period %s .. %s has %lld", (long long)days,
				    json_string_value(json_object_get(j, "since")),
				    json_string_value(json_object_get(j, "until")),
				    (long long)(until > since ? (until - since + 86399) / 86400 : 1));
		goto cleanup;
	}
	listed_once = ax_calloc(c->len + 1, 1);
	json_array_foreach(insts, i, in) {
		const char *name = json_string_value(json_object_get(in, "instance"));
		json_int_t observed = json_integer_value(json_object_get(in, "observed"));
		int k = instance_index(c, name), runs = k < 0 ? 0 : c->n[k];
		if (name && k < 0) {
			err = ax_error_code(AX_EINVALID, "period.json: instance %s has no collection run in the ledger",
					    name);
			goto cleanup;
		}
		if (k >= 0 && listed_once[k]) {
			err = ax_error_code(AX_EINVALID, "period.json lists instance %s twice", name);
			goto cleanup;
		}
		if (!name || observed != runs) {
			err = ax_error_code(AX_EINVALID, "period.json: instance %s: %lld runs observed, the ledger has %d",
					    name ? name : "?", (long long)observed, runs);
			goto cleanup;
		}
		listed_once[k] = 1;
		if ((err = check_instance(in, name, c->runs[k], runs, until)) < 0)
			goto cleanup;
		listed++;
	}
	if (listed != c->len) {
		err = ax_error_code(AX_EINVALID, "period.json lists %zu probe instances, the ledger's runs have %zu",
				    listed, c->len);
		goto cleanup;
	}
	err = check_controls(json_object_get(j, "controls"), insts, days, since, c);
cleanup:
	free(listed_once);
	json_decref(j);
	return err;
}

void ax_run_counts_population_sha(const struct ax_run_counts *c, size_t i, char out[65])
{
	struct ax_buf csv = AX_BUF_INIT;
	ax_export_runs_header(&csv);
	for (int r = 0; r < c->n[i]; r++)
		ax_export_runs_row(&csv, c->runs[i][r].id, c->runs[i][r].started_at, c->runs[i][r].finished_at,
				   c->runs[i][r].n);
	ax_sha256_hex(csv.ptr, csv.size, out);
	ax_buf_free(&csv);
}
