/* verify_period.c - checks a bundle's period.json against its ledger
 * (verify_period.h). The calendar is derived data: verify cannot recompute
 * the expected runs (the interval came from the configuration) or the
 * reasons of gaps (the daemon's log), but the runs observed per instance
 * and the day counts follow from what the bundle signs, so they must
 * agree. */
#include "verify_period.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "util.h"

void ax_run_counts_add(struct ax_run_counts *c, const char *instance)
{
	for (size_t i = 0; i < c->len; i++)
		if (strcmp(c->names[i], instance) == 0) {
			c->n[i]++;
			return;
		}
	c->names = ax_realloc(c->names, (c->len + 1) * sizeof(*c->names));
	c->n = ax_realloc(c->n, (c->len + 1) * sizeof(*c->n));
	c->names[c->len] = ax_strdup(instance);
	c->n[c->len++] = 1;
}

void ax_run_counts_free(struct ax_run_counts *c)
{
	for (size_t i = 0; i < c->len; i++)
		free(c->names[i]);
	free(c->names);
	free(c->n);
	memset(c, 0, sizeof(*c));
}

static int check_controls(const json_t *ctls, json_int_t days)
{
	size_t i;
	json_t *c;
	json_array_foreach(ctls, i, c) {
		const char *id = json_string_value(json_object_get(c, "control"));
		const char *cal = json_string_value(json_object_get(c, "calendar"));
		json_int_t with = json_integer_value(json_object_get(c, "days_with_evidence")), n = 0;
		if (!id || !cal || (json_int_t)strlen(cal) != days || json_integer_value(json_object_get(c, "days")) != days)
			return ax_error_code(AX_EINVALID, "period.json: control %s: its calendar does not have the "
					     "period's %lld days", id ? id : "?", (long long)days);
		for (const char *p = cal; *p; p++) {
			if (!strchr("psef-", *p))
				return ax_error_code(AX_EINVALID, "period.json: control %s: '%c' is no day state", id, *p);
			n += *p != '-';
		}
		if (n != with)
			return ax_error_code(AX_EINVALID, "period.json: control %s: %lld days with evidence, its "
					     "calendar shows %lld", id, (long long)with, (long long)n);
	}
	return 0;
}

int ax_verify_period(const char *text, size_t len, const struct ax_run_counts *c)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *in;
	json_t *insts = json_object_get(j, "instances");
	json_int_t days = json_integer_value(json_object_get(j, "days"));
	size_t i, listed = 0;
	int err = 0;
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "version")) != 1 || !json_is_array(insts) ||
	    days < 1 || !json_is_array(json_object_get(j, "controls"))) {
		err = ax_error_code(AX_EINVALID, "period.json is not a run calendar annexa writes");
		goto cleanup;
	}
	json_array_foreach(insts, i, in) {
		const char *name = json_string_value(json_object_get(in, "instance"));
		json_int_t observed = json_integer_value(json_object_get(in, "observed"));
		int runs = 0;
		for (size_t k = 0; name && k < c->len; k++)
			if (strcmp(c->names[k], name) == 0)
				runs = c->n[k];
		if (!name || observed != runs) {
			err = ax_error_code(AX_EINVALID, "period.json: instance %s: %lld runs observed, the ledger has %d",
					    name ? name : "?", (long long)observed, runs);
			goto cleanup;
		}
		listed++;
	}
	if (listed != c->len) {
		err = ax_error_code(AX_EINVALID, "period.json lists %zu probe instances, the ledger's runs have %zu",
				    listed, c->len);
		goto cleanup;
	}
	err = check_controls(json_object_get(j, "controls"), days);
cleanup:
	json_decref(j);
	return err;
}
