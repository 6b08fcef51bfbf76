/* maillog_consent.c - the `maillog-consent` probe: was campaign mail
 * delivered to addresses without consent, or after they unsubscribed?
 *
 * Streams the Postfix log (rotated generations oldest first), remembers
 * for each queue id only whether its envelope sender is a campaign sender
 * (bounded table), and collects campaign deliveries in batches. Each batch
 * asks the lead database one query for the consent state of its distinct
 * recipients, judges every delivery and is dropped: memory is bounded by
 * batch-size and max-queue-ids whatever the log size. Recipients appear in
 * evidence only as keyed pseudonyms. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "consent_customer.h"
#include "consent_queries.h"
#include "leaddb.h"
#include "logread.h"
#include "maillog.h"
#include "probe.h"
#include "util.h"

static const struct ax_option mlc_options[] = {
	{"log", AX_OPT_PATH, NULL, AX_OPT_REQUIRED, NULL, 0, 0,
	 "the Postfix log (its rotated generations LOG.1, LOG.2.gz ... are read too)"},
	{"rotated", AX_OPT_INT, "10", 0, NULL, 0, 1000, "how many rotated generations to look for"},
	{"campaign-sender", AX_OPT_STRING, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0,
	 "glob on the envelope sender of campaign mail (news@example.com, bounce+*@example.com)"},
	{"database", AX_OPT_DBURI, NULL, AX_OPT_REQUIRED | AX_OPT_SECRET, NULL, 0, 0,
	 "lead database: sqlite:/ABSOLUTE/PATH or postgresql://..."},
	{"schema", AX_OPT_ENUM, "generic", 0, "generic|listmonk", 0, 0, "table layout of the lead database"},
	{"unsubscribe-grace", AX_OPT_DURATION, "48h", 0, NULL, 1, 31536000, "time allowed to honour an unsubscribe"},
	{"query-consent-state", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "SQL replacing the default; $1 JSON array of addresses -> address, consent_since, unsubscribed_at (epoch)"},
	{"query-timeout", AX_OPT_DURATION, "50s", 0, NULL, 1, 86400, "deadline of each query"},
	{"batch-size", AX_OPT_INT, "2000", 0, NULL, 1, 100000, "deliveries judged per database query"},
	{"max-queue-ids", AX_OPT_INT, "200000", 0, NULL, 100, 50000000, "queue ids remembered at once (oldest evicted)"},
	{"max-line", AX_OPT_SIZE, "16k", 0, NULL, 256, 1048576, "longest log line read (longer ones are cut)"},
	{"samples", AX_OPT_INT, "5", 0, NULL, 0, 50, "pseudonymous sample deliveries per check"},
	{NULL},
};

static const struct ax_check_def mlc_checks[] = {
	{"consent.mailed_without_consent", "no campaign mail delivered to an address without confirmed consent at that time"},
	{"consent.mailed_after_unsubscribe", "no campaign mail delivered more than unsubscribe-grace after an unsubscribe"},
	AX_PROBE_KEY_CHECK, /* its samples are keyed pseudonyms */
	{NULL},
};

struct delivery {
	char *addr; /* lowercased */
	int64_t time;
};

struct state {
	char *addr;
	int64_t since, unsub; /* INT64_MIN: NULL */
};

struct verdict {
	uint64_t count;
	json_t *samples;
};

struct run {
	struct ax_probe_ctx *ctx;
	struct ax_leaddb *db;
	const char *sql;
	int64_t grace;
	size_t max_samples, batch_max;
	struct delivery *batch;
	size_t nbatch;
	struct state *states;
	size_t nstates, astates;
	struct verdict without, after;
	uint64_t campaign, other, unknown_sender, queries;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_state(const void *a, const void *b)
{
	return strcmp(((const struct state *)a)->addr, ((const struct state *)b)->addr);
}

static int64_t cell_time(const char *s)
{
	if (!s || !*s)
		return INT64_MIN;
	char *end;
	long long v = strtoll(s, &end, 10);
	return *end && *end != '.' ? INT64_MIN : (int64_t)v;
}

static int state_row(void *arg, size_t ncols, const char *const *cells)
{
	struct run *r = arg;
	if (ncols < 3 || !cells[0])
		return 0;
	if (r->nstates == r->astates) {
		r->astates = r->astates ? r->astates * 2 : 64;
		r->states = ax_realloc(r->states, r->astates * sizeof(*r->states));
	}
	struct state *s = &r->states[r->nstates++];
	s->addr = ax_strdup(cells[0]);
	for (char *c = s->addr; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	s->since = cell_time(cells[1]);
	s->unsub = cell_time(cells[2]);
	return 0;
}

static void add_sample(struct run *r, struct verdict *v, const struct delivery *d, const char *reason)
{
	v->count++;
	if (json_array_size(v->samples) >= r->max_samples)
		return;
	char pseudo[20], when[32];
	ax_probe_pseudonym(r->ctx, d->addr, pseudo);
	ax_time_format(d->time, when);
	json_array_append_new(v->samples, json_pack("{s:s#,s:s,s:s}", "lead", pseudo, (int)18, "delivered_at", when,
						    "reason", reason));
}

static int flush(struct run *r)
{
	char **uniq = NULL;
	int err = 0;
	if (!r->nbatch)
		return 0;
	uniq = ax_malloc(r->nbatch * sizeof(*uniq));
	for (size_t i = 0; i < r->nbatch; i++)
		uniq[i] = r->batch[i].addr;
	qsort(uniq, r->nbatch, sizeof(*uniq), cmp_str);
	json_t *arr = json_array();
	for (size_t i = 0; i < r->nbatch; i++)
		if (i == 0 || strcmp(uniq[i], uniq[i - 1]) != 0)
			json_array_append_new(arr, json_string(uniq[i]));
	char *list = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	const char *params[1] = {list};
	r->queries++;
	if ((err = ax_leaddb_each(r->db, r->sql, params, 1, state_row, r)) < 0) {
		ax_error_prefix("consent-state query");
		goto cleanup;
	}
	qsort(r->states, r->nstates, sizeof(*r->states), cmp_state);
	for (size_t i = 0; i < r->nbatch; i++) {
		const struct delivery *d = &r->batch[i];
		struct state key = {.addr = d->addr};
		const struct state *s = bsearch(&key, r->states, r->nstates, sizeof(*r->states), cmp_state);
		if (!s || s->since == INT64_MIN)
			add_sample(r, &r->without, d, s ? "never_confirmed" : "not_in_lead_database");
		else if (d->time < s->since)
			add_sample(r, &r->without, d, "before_confirmation");
		else if (s->unsub != INT64_MIN && d->time > s->unsub + r->grace)
			add_sample(r, &r->after, d, "after_unsubscribe_grace");
	}
cleanup:
	free(list);
	free(uniq);
	for (size_t i = 0; i < r->nbatch; i++)
		free(r->batch[i].addr);
	r->nbatch = 0;
	for (size_t i = 0; i < r->nstates; i++)
		free(r->states[i].addr);
	r->nstates = 0;
	return err;
}

static int is_campaign_sender(struct ax_probe_ctx *ctx, const char *addr, size_t len)
{
	char *s = ax_strndup(addr, len);
	int hit = 0;
	for (size_t i = 0; !hit && i < ax_probe_opt_count(ctx, "campaign-sender"); i++)
		hit = fnmatch(ax_probe_opt_at(ctx, "campaign-sender", i), s, FNM_CASEFOLD) == 0;
	free(s);
	return hit;
}

struct file_stats {
	uint64_t files, lines, bytes, unparsed;
};

static int read_log(struct run *r, const char *path, struct ax_maillog_queue *q, const struct ax_logclock *clock,
		    struct file_stats *fs)
{
	struct ax_logread *lr = NULL;
	struct ax_logline line;
	int err, rc;
	if ((err = ax_logread_open(&lr, path, (size_t)ax_probe_opt_int(r->ctx, "max-line"))) < 0)
		return err;
	fs->files++;
	while ((rc = ax_logread_next(lr, &line)) > 0) {
		struct ax_maillog_rec rec;
		fs->lines++;
		fs->bytes += line.len + 1;
		if (ax_maillog_parse(clock, line.ptr, line.len, &rec) < 0) {
			fs->unparsed++;
			continue;
		}
		if (rec.kind == AX_MAILLOG_FROM) {
			ax_maillog_queue_set(q, rec.queue_id, is_campaign_sender(r->ctx, rec.addr, rec.addr_len));
		} else if (rec.kind == AX_MAILLOG_REMOVED) {
			ax_maillog_queue_remove(q, rec.queue_id);
		} else if (rec.kind == AX_MAILLOG_SENT && rec.addr_len) {
			int campaign = ax_maillog_queue_get(q, rec.queue_id);
			if (campaign < 0) {
				r->unknown_sender++;
				continue;
			}
			if (!campaign) {
				r->other++;
				continue;
			}
			r->campaign++;
			struct delivery *d = &r->batch[r->nbatch++];
			d->addr = ax_strndup(rec.addr, rec.addr_len);
			for (char *c = d->addr; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			d->time = rec.time;
			if (r->nbatch == r->batch_max && (err = flush(r)) < 0)
				goto cleanup;
		}
	}
	err = rc < 0 ? rc : 0;
cleanup:
	ax_logread_free(lr);
	return err;
}

static int emit(struct run *r, const struct file_stats *fs, struct verdict *v, const char *check, const char *what)
{
	json_t *obs = json_pack("{s:I,s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "count", (json_int_t)v->count, "samples",
				v->samples, "campaign_deliveries", (json_int_t)r->campaign, "other_deliveries",
				(json_int_t)r->other, "deliveries_unknown_sender", (json_int_t)r->unknown_sender, "files",
				(json_int_t)fs->files, "lines", (json_int_t)fs->lines, "unparsed_lines",
				(json_int_t)fs->unparsed, "queries", (json_int_t)r->queries);
	if (v->count) {
		ax_probe_result(r->ctx, check, AX_CHECK_FAIL, obs, "%llu of %llu campaign deliveries %s",
				       (unsigned long long)v->count, (unsigned long long)r->campaign, what);
		return 0;
	}
	ax_probe_result(r->ctx, check, AX_CHECK_PASS, obs, "none of %llu campaign deliveries %s",
			       (unsigned long long)r->campaign, what);
	return 0;
}

static int mlc_run(struct ax_probe_ctx *ctx)
{
	struct run r = {.ctx = ctx};
	struct ax_maillog_queue *q = NULL;
	struct file_stats fs = {0};
	struct ax_logclock clock;
	char **files = NULL;
	int err;
	const char *override = ax_probe_opt(ctx, "query-consent-state");

	r.grace = ax_probe_opt_int(ctx, "unsubscribe-grace");
	r.max_samples = (size_t)ax_probe_opt_int(ctx, "samples");
	r.batch_max = (size_t)ax_probe_opt_int(ctx, "batch-size");
	r.batch = ax_calloc(r.batch_max, sizeof(*r.batch));
	r.without.samples = json_array();
	r.after.samples = json_array();
	ax_probe_report_key(ctx);
	if ((err = ax_leaddb_open(&r.db, ax_probe_opt(ctx, "database"), ax_probe_opt_int(ctx, "query-timeout") * 1000)) < 0)
		goto cleanup;
	r.sql = override;
	if (!r.sql) {
		unsigned caps; /* with legal_basis, existing customers count while the exemption holds */
		if ((err = ax_consent_customer_caps(r.db, ax_probe_opt(ctx, "schema"), &caps)) < 0)
			goto cleanup;
		r.sql = ax_consent_customer_query(caps, ax_leaddb_engine(r.db), AX_Q_CONSENT_STATE);
	}
	if (!r.sql)
		r.sql = ax_consent_default_query(ax_probe_opt(ctx, "schema"), ax_leaddb_engine(r.db), AX_Q_CONSENT_STATE);
	if ((err = ax_maillog_files(&files, ax_probe_opt(ctx, "log"), (unsigned)ax_probe_opt_int(ctx, "rotated"))) < 0)
		goto cleanup;
	ax_logclock_init(&clock, ax_probe_now(ctx));
	q = ax_maillog_queue_new((size_t)ax_probe_opt_int(ctx, "max-queue-ids"));
	for (size_t i = 0; files[i]; i++)
		if ((err = read_log(&r, files[i], q, &clock, &fs)) < 0)
			goto cleanup;
	if ((err = flush(&r)) < 0)
		goto cleanup;
	err = emit(&r, &fs, &r.without, "consent.mailed_without_consent", "went to addresses without confirmed consent at that time");
	if (err == 0)
		err = emit(&r, &fs, &r.after, "consent.mailed_after_unsubscribe", "went out after unsubscribe + grace");
cleanup:
	for (size_t i = 0; i < r.nbatch; i++)
		free(r.batch[i].addr);
	free(r.batch);
	for (size_t i = 0; i < r.nstates; i++)
		free(r.states[i].addr);
	free(r.states);
	json_decref(r.without.samples);
	json_decref(r.after.samples);
	ax_maillog_queue_free(q);
	ax_leaddb_free(r.db);
	ax_maillog_files_free(files);
	return err;
}

/* the mail log and its rotations, the lead database */
static const struct ax_probe_access mlc_access = {.folders = (const char *const[]){"log", NULL}, .connect = (const char *const[]){"database", NULL}, .groups = "adm"};

const struct probe probe_maillog_consent = {
	.name = "maillog-consent",
	.summary = "Postfix log x lead database: campaign mail without consent or after unsubscribe",
	.options = mlc_options,
	.checks = mlc_checks,
	.access = &mlc_access,
	.run = mlc_run,
};
