/* maillog_consent.c - the `maillog-consent` probe: was campaign mail
 * delivered to addresses without consent, or after they unsubscribed?
 *
 * The default consent-state query runs once, for every address, into a
 * fixed-size index (consent_index.h: 64-bit run-keyed hashes of the
 * addresses and two times each, sized from a count of the leads before
 * the load); the Postfix log (rotated generations oldest first) is then
 * read in one pass through logread's bulk path, remembering per queue id
 * only whether its envelope sender is a campaign sender (bounded table),
 * and every campaign delivery is judged as it is read, without a database
 * round trip. A `query-consent-state` override keeps its contract (a JSON
 * array of addresses a query): its deliveries are judged in batches, one
 * query each. Memory is bounded by the index (the lead count) or by
 * batch-size, and by max-queue-ids, whatever the log size. Recipients
 * appear in evidence only as keyed pseudonyms. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "consent_customer.h"
#include "consent_index.h"
#include "consent_queries.h"
#include "json.h"
#include "leaddb.h"
#include "logread.h"
#include "maillog.h"
#include "maillog_population.h"
#include "probe.h"
#include "util.h"

static const struct ax_option mlc_options[] = {
	{"log", AX_OPT_PATH, NULL, AX_OPT_REQUIRED, NULL, 0, 0,
	 "the Postfix log (its rotated generations LOG.1, LOG.2.gz ... are read too)"},
	{"rotated", AX_OPT_INT, "10", 0, NULL, 0, 1000, "how many rotated generations to look for"},
	{"campaign-sender", AX_OPT_STRING, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0,
	 "glob on the envelope sender of campaign mail (news@example.com, bounce+*@example.com)"},
	{"database", AX_OPT_DBURI, NULL, AX_OPT_REQUIRED | AX_OPT_SECRET, NULL, 0, 0,
	 "lead database: sqlite:/ABSOLUTE/PATH, postgresql://... or mysql://..."},
	{"password-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "mysql://: file whose first line is the password"},
	{"defaults-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "mysql://: my.cnf-style file; its [client] group gives the password"},
	{"schema", AX_OPT_ENUM, "generic", 0, "generic|listmonk|phplist|mautic|keila", 0, 0,
	 "table layout of the lead database"},
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
	int64_t since, unsub; /* AX_CONSENT_NONE: NULL */
};

struct verdict {
	uint64_t count;
	json_t *samples;
};

#define PENDING 16

/* The last senders judged: a log has few, and fnmatch per line is slow. */
#define SENDER_CACHE 4
struct sender_memo {
	char addr[256];
	size_t len; /* 0: empty */
	int campaign;
};

struct run {
	struct ax_probe_ctx *ctx;
	struct ax_leaddb *db;
	const char *sql;
	int64_t grace;
	size_t max_samples;
	/* loaded once (the default queries), or NULL: batches (an override) */
	struct ax_consent_index *index;
	/* the batched path */
	size_t batch_max;
	struct delivery *batch;
	size_t nbatch;
	struct state *states;
	size_t nstates, astates;
	/* reading */
	struct ax_maillog_queue *q;
	const struct ax_logclock *clock;
	struct ax_maillog_stamps stamps;
	struct sender_memo senders[SENDER_CACHE];
	unsigned next_sender;
	size_t max_line;
	/* deliveries whose slots are being fetched, judged together in order
	 * (their cache misses overlap: the lookups are memory-bound) */
	struct pending {
		uint64_t key;
		int64_t time;
		size_t len;
		char addr[256];
	} pending[PENDING];
	size_t npending;
	struct verdict without, after;
	uint64_t campaign, other, unknown_sender, queries;
	struct ax_mlc_pop *pop;
	uint64_t files, lines, unparsed;
	int err; /* of a batch query, stops the scan */
	const char *consent_skip; /* the schema cannot prove consent (why), or NULL */
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
		return AX_CONSENT_NONE;
	char *end;
	long long v = strtoll(s, &end, 10);
	return *end && *end != '.' ? AX_CONSENT_NONE : (int64_t)v;
}

static void lowercase(char *s)
{
	for (char *c = s; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
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
	lowercase(s->addr);
	s->since = cell_time(cells[1]);
	s->unsub = cell_time(cells[2]);
	return 0;
}

static int index_row(void *arg, size_t ncols, const char *const *cells)
{
	struct run *r = arg;
	if (ncols < 3 || !cells[0])
		return 0;
	r->err = ax_consent_index_put(r->index, cells[0], strlen(cells[0]), cell_time(cells[1]), cell_time(cells[2]));
	return r->err < 0; /* stops the rows; load_index reports it */
}

static void add_sample(struct run *r, struct verdict *v, const char *addr, size_t len, int64_t time,
		       const char *reason)
{
	char small[256], *a = len < sizeof(small) ? small : ax_malloc(len + 1);
	v->count++;
	memcpy(a, addr, len);
	a[len] = '\0';
	lowercase(a);
	ax_mlc_pop_violation(r->pop, a, time, reason);
	if (json_array_size(v->samples) < r->max_samples) {
		char pseudo[20], when[32];
		ax_probe_pseudonym(r->ctx, a, pseudo);
		ax_time_format(time, when);
		json_array_append_new(v->samples, json_pack("{s:s#,s:s,s:s}", "lead", pseudo, (int)18, "delivered_at",
							    when, "reason", reason));
	}
	if (a != small)
		free(a);
}

/* The verdict on one delivery: consent since, unsubscribed at (s NULL: the
 * address is not in the lead database). */
static void judge(struct run *r, const char *addr, size_t len, int64_t time, int known, int64_t since, int64_t unsub)
{
	if (r->consent_skip) {
		if (known && unsub != AX_CONSENT_NONE && time > unsub + r->grace)
			add_sample(r, &r->after, addr, len, time, "after_unsubscribe_grace");
		return;
	}
	if (!known || since == AX_CONSENT_NONE)
		add_sample(r, &r->without, addr, len, time, known ? "never_confirmed" : "not_in_lead_database");
	else if (time < since)
		add_sample(r, &r->without, addr, len, time, "before_confirmation");
	else if (unsub != AX_CONSENT_NONE && time > unsub + r->grace)
		add_sample(r, &r->after, addr, len, time, "after_unsubscribe_grace");
}

static void settle(struct run *r)
{
	for (size_t i = 0; i < r->npending; i++) {
		const struct pending *p = &r->pending[i];
		struct ax_consent_interval s;
		int known = ax_consent_index_find(r->index, p->key, &s);
		judge(r, p->addr, p->len, p->time, known, known ? s.since : 0, known ? s.unsub : 0);
	}
	r->npending = 0;
}

static void look_up(struct run *r, const char *addr, size_t len, int64_t time)
{
	if (len >= sizeof(r->pending[0].addr)) { /* too long to keep: judged now, in its turn */
		settle(r);
		struct ax_consent_interval s;
		int known = ax_consent_index_get(r->index, addr, len, &s);
		judge(r, addr, len, time, known, known ? s.since : 0, known ? s.unsub : 0);
		return;
	}
	struct pending *p = &r->pending[r->npending++];
	p->key = ax_consent_index_key(r->index, addr, len);
	p->time = time;
	p->len = len;
	memcpy(p->addr, addr, len);
	if (r->npending == PENDING)
		settle(r);
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
	char *list = ax_json_dumps(arr, JSON_COMPACT);
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
		judge(r, d->addr, strlen(d->addr), d->time, s != NULL, s ? s->since : 0, s ? s->unsub : 0);
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

static int is_campaign_sender(struct run *r, const char *addr, size_t len)
{
	for (unsigned i = 0; i < SENDER_CACHE; i++)
		if (r->senders[i].len == len + 1 && memcmp(r->senders[i].addr, addr, len) == 0)
			return r->senders[i].campaign;
	char *s = ax_strndup(addr, len);
	int hit = 0;
	for (size_t i = 0; !hit && i < ax_probe_opt_count(r->ctx, "campaign-sender"); i++)
		hit = fnmatch(ax_probe_opt_at(r->ctx, "campaign-sender", i), s, FNM_CASEFOLD) == 0;
	free(s);
	if (len < sizeof(r->senders[0].addr)) {
		struct sender_memo *m = &r->senders[r->next_sender++ % SENDER_CACHE];
		memcpy(m->addr, addr, len);
		m->len = len + 1; /* the empty sender <> is a sender too */
		m->campaign = hit;
	}
	return hit;
}

/* One log line: a campaign sender remembered per queue id, a delivery of
 * its queue judged (or queued for the batch query). */
static int on_line(struct run *r, const char *line, size_t len)
{
	struct ax_maillog_rec rec;
	r->lines++;
	if (ax_maillog_parse_cached(&r->stamps, r->clock, line, len, &rec) < 0) {
		r->unparsed++;
		return 0;
	}
	if (rec.kind == AX_MAILLOG_FROM) {
		ax_maillog_queue_set(r->q, rec.queue_id, is_campaign_sender(r, rec.addr, rec.addr_len));
	} else if (rec.kind == AX_MAILLOG_REMOVED) {
		ax_maillog_queue_remove(r->q, rec.queue_id);
	} else if (rec.kind == AX_MAILLOG_SENT && rec.addr_len) {
		int campaign = ax_maillog_queue_get(r->q, rec.queue_id);
		if (campaign < 0) {
			r->unknown_sender++;
			return 0;
		}
		if (!campaign) {
			r->other++;
			return 0;
		}
		r->campaign++;
		ax_mlc_pop_delivery(r->pop, rec.time);
		if (r->index) {
			look_up(r, rec.addr, rec.addr_len, rec.time);
			return 0;
		}
		struct delivery *d = &r->batch[r->nbatch++];
		d->addr = ax_strndup(rec.addr, rec.addr_len);
		lowercase(d->addr);
		d->time = rec.time;
		if (r->nbatch == r->batch_max)
			return flush(r);
	}
	return 0;
}

static int on_block(void *arg, struct ax_logblock *b)
{
	struct run *r = arg;
	struct ax_logline line;
	while (ax_logblock_next(b, &line))
		if ((r->err = on_line(r, line.ptr, line.len)) < 0)
			return r->err;
	return 0;
}

static int read_log(struct run *r, const char *path)
{
	struct ax_logread *lr = NULL;
	int err;
	if ((err = ax_logread_open(&lr, path, r->max_line)) < 0)
		return err;
	r->files++;
	err = ax_logread_scan(lr, on_block, r);
	ax_logread_free(lr);
	return err;
}

/* An upper bound of the rows the default consent-state query returns (one
 * per address), to size the index once. */
static int count_row(void *arg, size_t ncols, const char *const *cells)
{
	if (ncols >= 1 && cells[0])
		*(size_t *)arg = (size_t)strtoull(cells[0], NULL, 10);
	return 0;
}

static int count_addresses(struct run *r, const char *schema, size_t *out)
{
	const char *sql = ax_consent_count_query(schema);
	*out = 0;
	if (!sql)
		return ax_error_code(AX_EINVALID, "schema %s has no address count", schema);
	return ax_leaddb_each(r->db, sql, NULL, 0, count_row, out);
}

/* The default query once, with $1 NULL (every address), into the index. */
static int load_index(struct run *r, const char *schema)
{
	size_t n = 0;
	int err;
	const char *params[1] = {NULL};
	if ((err = count_addresses(r, schema, &n)) < 0) {
		ax_error_prefix("counting the lead addresses");
		return err;
	}
	r->index = ax_consent_index_new(n);
	r->queries++;
	if ((err = ax_leaddb_each(r->db, r->sql, params, 1, index_row, r)) < 0 || (err = r->err) < 0)
		ax_error_prefix("consent-state query");
	return err;
}

static int emit(struct run *r, struct verdict *v, const char *check, const char *what)
{
	json_t *obs = json_pack("{s:I,s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "count", (json_int_t)v->count, "samples",
				v->samples, "campaign_deliveries", (json_int_t)r->campaign, "other_deliveries",
				(json_int_t)r->other, "deliveries_unknown_sender", (json_int_t)r->unknown_sender, "files",
				(json_int_t)r->files, "lines", (json_int_t)r->lines, "unparsed_lines",
				(json_int_t)r->unparsed, "queries", (json_int_t)r->queries);
	if (v == &r->without && r->consent_skip) {
		ax_probe_result(r->ctx, check, AX_CHECK_SKIP, obs, "not applicable to schema %s: %s (set query-consent-state "
				"to ask your own)", ax_probe_opt(r->ctx, "schema"), r->consent_skip);
		return 0;
	}
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
	struct ax_logclock clock;
	char **files = NULL;
	int err;
	const char *override = ax_probe_opt(ctx, "query-consent-state");
	const char *schema = ax_probe_opt(ctx, "schema");

	r.grace = ax_probe_opt_int(ctx, "unsubscribe-grace");
	r.max_samples = (size_t)ax_probe_opt_int(ctx, "samples");
	r.max_line = (size_t)ax_probe_opt_int(ctx, "max-line");
	r.without.samples = json_array();
	r.after.samples = json_array();
	ax_probe_report_key(ctx);
	struct ax_leaddb_auth auth = {ax_probe_opt(ctx, "password-file"), ax_probe_opt(ctx, "defaults-file")};
	if ((err = ax_leaddb_open_auth(&r.db, ax_probe_opt(ctx, "database"), ax_probe_opt_int(ctx, "query-timeout") * 1000,
				       &auth)) < 0)
		goto cleanup;
	if ((err = ax_consent_schema_engine_check(schema, ax_leaddb_engine(r.db))) < 0)
		goto cleanup;
	r.sql = override;
	if (!r.sql) {
		unsigned caps; /* with legal_basis, existing customers count while the exemption holds */
		if ((err = ax_consent_customer_caps(r.db, schema, &caps)) < 0)
			goto cleanup;
		r.sql = ax_consent_customer_query(caps, ax_leaddb_engine(r.db), AX_Q_CONSENT_STATE);
	}
	if (!r.sql) {
		r.sql = ax_consent_default_query(schema, ax_leaddb_engine(r.db), AX_Q_CONSENT_STATE);
		if (!ax_consent_needs_met(r.db, schema, AX_Q_CONSENT_STATE)) /* Mautic without DOI */
			r.consent_skip = ax_consent_schema_find(schema)->skip[AX_Q_CONSENT_STATE];
	}
	if ((err = ax_maillog_files(&files, ax_probe_opt(ctx, "log"), (unsigned)ax_probe_opt_int(ctx, "rotated"))) < 0)
		goto cleanup;
	/* The default queries answer for every address at once: one query
	 * before the log, then no database at all. An override keeps its
	 * contract (a batch of addresses a query). */
	if (!override) {
		if ((err = load_index(&r, schema)) < 0)
			goto cleanup;
	} else {
		r.batch_max = (size_t)ax_probe_opt_int(ctx, "batch-size");
		r.batch = ax_calloc(r.batch_max, sizeof(*r.batch));
	}
	ax_logclock_init(&clock, ax_probe_now(ctx));
	r.clock = &clock;
	r.q = ax_maillog_queue_new((size_t)ax_probe_opt_int(ctx, "max-queue-ids"));
	r.pop = ax_mlc_pop_open(ctx);
	for (size_t i = 0; files[i]; i++)
		if ((err = read_log(&r, files[i])) < 0)
			goto cleanup;
	settle(&r);
	if ((err = flush(&r)) < 0)
		goto cleanup;
	err = emit(&r, &r.without, "consent.mailed_without_consent", "went to addresses without confirmed consent at that time");
	if (err == 0)
		err = emit(&r, &r.after, "consent.mailed_after_unsubscribe", "went out after unsubscribe + grace");
cleanup:
	ax_mlc_pop_close(r.pop, err == 0);
	for (size_t i = 0; i < r.nbatch; i++)
		free(r.batch[i].addr);
	free(r.batch);
	for (size_t i = 0; i < r.nstates; i++)
		free(r.states[i].addr);
	free(r.states);
	json_decref(r.without.samples);
	json_decref(r.after.samples);
	ax_consent_index_free(r.index);
	ax_maillog_queue_free(r.q);
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
