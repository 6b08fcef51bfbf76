/* schedule.c - per-instance due times, splay and back-off (schedule.h). */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "config.h"
#include "json.h"
#include "probe.h"
#include "util.h"

#define MAX_SPLAY 300
#define MAX_BACKOFF 86400

static int64_t instance_interval(const struct ax_config *cfg, const struct ax_probe_instance *p)
{
	if (p->interval > 0)
		return p->interval;
	int64_t v = ax_config_get_int(cfg, "annexa", "interval");
	return v > 0 ? v : AX_DEFAULT_INTERVAL;
}

int64_t ax_schedule_interval(const struct ax_config *cfg, const char *instance)
{
	for (size_t i = 0; cfg && i < cfg->nprobes; i++)
		if (strcmp(cfg->probes[i].name, instance) == 0)
			return instance_interval(cfg, &cfg->probes[i]);
	return 0;
}

static int64_t splay(int64_t interval)
{
	int64_t max = interval / 4;
	uint32_t r = 0;
	if (max > MAX_SPLAY)
		max = MAX_SPLAY;
	if (max <= 0)
		return 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)rand();
	return (int64_t)(r % (uint32_t)(max + 1));
}

void ax_schedule_free(struct ax_schedule *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->entries[i].instance);
		free(s->entries[i].probe_type);
	}
	free(s->entries);
	free(s);
}

const struct ax_sched_entry *ax_schedule_find(const struct ax_schedule *s, const char *instance)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->entries[i].instance, instance) == 0)
			return &s->entries[i];
	return NULL;
}

int ax_schedule_load(struct ax_schedule **out, const char *state_file)
{
	json_error_t jerr;
	json_t *root = NULL, *e;
	size_t i;
	*out = NULL;
	if (!state_file || access(state_file, F_OK) != 0)
		return ax_error_code(AX_ENOTFOUND, "no schedule saved yet");
	root = json_load_file(state_file, 0, &jerr);
	if (!json_is_array(root)) {
		json_decref(root);
		return ax_error_code(AX_EINVALID, "%s:%d: %s", state_file, jerr.line, jerr.text);
	}
	struct ax_schedule *s = ax_calloc(1, sizeof(*s));
	s->entries = ax_calloc(json_array_size(root) + 1, sizeof(*s->entries));
	json_array_foreach(root, i, e) {
		const char *inst = json_string_value(json_object_get(e, "instance"));
		if (!inst)
			continue;
		struct ax_sched_entry *x = &s->entries[s->n++];
		x->instance = ax_strdup(inst);
		const char *type = json_string_value(json_object_get(e, "probe_type"));
		x->probe_type = ax_strdup(type ? type : "");
		x->interval = json_integer_value(json_object_get(e, "interval"));
		x->next_due = json_integer_value(json_object_get(e, "next_due"));
		x->last_run = json_integer_value(json_object_get(e, "last_run"));
		x->duration_ms = json_integer_value(json_object_get(e, "duration_ms"));
		x->consecutive_failures = (int)json_integer_value(json_object_get(e, "consecutive_failures"));
	}
	json_decref(root);
	*out = s;
	return 0;
}

struct ax_schedule *ax_schedule_new(const struct ax_config *cfg, const struct ax_schedule *prev,
				    const char *state_file, int64_t now)
{
	struct ax_schedule *loaded = NULL;
	struct ax_schedule *s = ax_calloc(1, sizeof(*s));
	if (!prev && ax_schedule_load(&loaded, state_file) == 0)
		prev = loaded;
	s->entries = ax_calloc(cfg->nprobes + 1, sizeof(*s->entries));
	s->n = cfg->nprobes;
	for (size_t i = 0; i < cfg->nprobes; i++) {
		struct ax_sched_entry *e = &s->entries[i];
		const struct ax_sched_entry *old = ax_schedule_find(prev, cfg->probes[i].name);
		e->instance = ax_strdup(cfg->probes[i].name);
		e->probe_type = ax_strdup(cfg->probes[i].type ? cfg->probes[i].type->name : "");
		e->interval = instance_interval(cfg, &cfg->probes[i]);
		if (old) {
			e->last_run = old->last_run;
			e->duration_ms = old->duration_ms;
			e->consecutive_failures = old->consecutive_failures;
			memcpy(e->results, old->results, sizeof(e->results));
			/* A shorter new interval takes effect at once. */
			e->next_due = old->next_due;
			if (old->last_run && e->next_due > old->last_run + e->interval && !e->consecutive_failures)
				e->next_due = old->last_run + e->interval;
		} else {
			e->next_due = now + splay(e->interval);
		}
	}
	ax_schedule_free(loaded);
	return s;
}

const char **ax_schedule_due(const struct ax_schedule *s, int64_t now, size_t *n)
{
	const char **names = ax_calloc(s->n + 1, sizeof(*names));
	*n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->entries[i].next_due <= now)
			names[(*n)++] = s->entries[i].instance;
	return names;
}

void ax_schedule_done(struct ax_schedule *s, const char *const *names, size_t n, const struct ax_evidence *ev,
		      int64_t started, int64_t duration_ms)
{
	for (size_t k = 0; k < n; k++) {
		struct ax_sched_entry *e = (struct ax_sched_entry *)ax_schedule_find(s, names[k]);
		if (!e)
			continue;
		memset(e->results, 0, sizeof(e->results));
		for (size_t i = 0; ev && i < ev->nresults; i++)
			if (strcmp(ev->results[i].instance, e->instance) == 0)
				e->results[ev->results[i].status]++;
		int total = 0;
		for (int c = 0; c < AX_CHECK_NSTATUS; c++)
			total += e->results[c];
		/* A run in which nothing but errors came back (or nothing at
		 * all) is a failed run: the target or the probe is broken. */
		if (total == 0 || e->results[AX_CHECK_ERROR] == total)
			e->consecutive_failures++;
		else
			e->consecutive_failures = 0;
		e->last_run = started;
		e->duration_ms = duration_ms;
		int64_t wait = e->interval;
		for (int f = 1; f < e->consecutive_failures && wait < MAX_BACKOFF; f++)
			wait *= 2;
		if (e->consecutive_failures > 1 && wait > MAX_BACKOFF)
			wait = MAX_BACKOFF > e->interval ? MAX_BACKOFF : e->interval;
		/* Missed runs collapse into one: the next due time is always in
		 * the future, whatever happened while we were away. */
		int64_t now = ax_now();
		e->next_due = started + wait;
		if (e->next_due <= now)
			e->next_due = now + (e->consecutive_failures > 1 ? wait : e->interval);
	}
}

void ax_schedule_retry(struct ax_schedule *s, const char *name, int64_t now)
{
	struct ax_sched_entry *e = (struct ax_sched_entry *)ax_schedule_find(s, name);
	if (e)
		e->next_due = now + e->interval;
}

int64_t ax_schedule_next(const struct ax_schedule *s)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (s->entries[i].next_due < next)
			next = s->entries[i].next_due;
	return next;
}

int ax_schedule_save(const struct ax_schedule *s, const char *state_file)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct ax_sched_entry *e = &s->entries[i];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:i}", "instance", e->instance,
						     "probe_type", e->probe_type, "interval", (json_int_t)e->interval,
						     "next_due", (json_int_t)e->next_due, "last_run",
						     (json_int_t)e->last_run, "duration_ms", (json_int_t)e->duration_ms,
						     "consecutive_failures", e->consecutive_failures));
	}
	char *text = ax_json_dumps(arr, JSON_INDENT(1) | JSON_SORT_KEYS);
	int err = ax_file_write_atomic(state_file, text, strlen(text), 0600);
	free(text);
	json_decref(arr);
	return err;
}

char *ax_schedule_file(const struct ax_config *cfg)
{
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	return ax_asprintf("%s/schedule.json", state ? state : ".");
}

struct ax_probe_stats *ax_schedule_stats(const struct ax_schedule *s)
{
	struct ax_probe_stats *st = ax_calloc(s->n + 1, sizeof(*st));
	for (size_t i = 0; i < s->n; i++) {
		const struct ax_sched_entry *e = &s->entries[i];
		st[i].instance = e->instance;
		st[i].probe_type = e->probe_type;
		st[i].last_run = e->last_run;
		st[i].duration_ms = e->duration_ms;
		memcpy(st[i].results, e->results, sizeof(st[i].results));
		st[i].consecutive_failures = e->consecutive_failures;
		st[i].next_due = e->next_due;
	}
	return st;
}

void ax_schedule_seed(struct ax_schedule *s, const struct ax_evidence *latest)
{
	for (size_t k = 0; s && latest && k < s->n; k++) {
		struct ax_sched_entry *e = &s->entries[k];
		int total = 0;
		for (int c = 0; c < AX_CHECK_NSTATUS; c++)
			total += e->results[c];
		if (total)
			continue; /* this daemon ran it already */
		for (size_t i = 0; i < latest->nresults; i++) {
			const struct ax_result *r = &latest->results[i];
			if (strcmp(r->instance, e->instance) != 0 || (unsigned)r->status >= AX_CHECK_NSTATUS)
				continue;
			e->results[r->status]++;
			if (r->collected_at > e->last_run)
				e->last_run = r->collected_at;
		}
	}
}
