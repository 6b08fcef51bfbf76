/* transfers.c - the `transfers` probe: where personal data goes, and on
 * which legal ground (GDPR Chapter V).
 *
 * Reads the register of processors and transfers the privacy officer keeps
 * (a CSV, also as Excel or LibreOffice save it), judges each entry against
 * a dated country table (EU/EEA, adequacy decisions), and compares the
 * register with the endpoints the mail and lead systems really talk to.
 * Guarantees: every finding names the register line or the config line it
 * comes from; invalidated mechanisms (Safe Harbor, Privacy Shield) are
 * always caught; the evidence holds host names and company names only. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "countries.h"
#include "probe.h"
#include "transfers_endpoints.h"
#include "transfers_register.h"
#include "util.h"

static const struct ax_option transfers_options[] = {
	{"register", AX_OPT_PATH, NULL, AX_OPT_REQUIRED, NULL, 0, 0,
	 "the transfer register (CSV: recipient,service,endpoints,country,role,mechanism,dpf_checked,tia_date,next_review)"},
	{"max-size", AX_OPT_SIZE, "4M", 0, NULL, 1024, 67108864, "largest register read"},
	{"dpf-max-age", AX_OPT_DURATION, "365d", 0, NULL, 86400, 157680000,
	 "a dpf entry's certification check (dpf_checked) must be younger than this"},
	{"postfix-config-dir", AX_OPT_PATH, NULL, 0, NULL, 0, 0,
	 "Postfix folder: relayhost, default/relay_transport, transport_maps, sender_dependent_relayhost_maps"},
	{"scan-config", AX_OPT_PATH, NULL, 0, NULL, 0, 0,
	 "an annexa.conf whose [probe] database, repository and target values are endpoints"},
	{"restic-env", AX_OPT_PATH, NULL, AX_OPT_MULTI, NULL, 0, 0, "a shell env file with RESTIC_REPOSITORY= (repeatable)"},
	{"endpoint", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "an extra host or URL the systems talk to (repeatable)"},
	{"country-table", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "replacement country table (CSV, see README); default built in"},
	{NULL},
};

static const struct ax_check_def transfers_checks[] = {
	{"transfer.unregistered_endpoint", "every collected endpoint is covered by a register entry"},
	{"transfer.invalid_mechanism", "every third-country entry rests on a valid mechanism for its country"},
	{"transfer.dpf_unchecked", "every dpf entry's certification was checked within dpf-max-age"},
	{"transfer.tia_missing", "every scc entry to a third country has a transfer impact assessment date"},
	{"transfer.review_overdue", "every entry has a next_review date that has not passed"},
	{NULL},
};

/* One check's findings across all entries: fail wins. */
struct finding {
	const char *check;
	int touched, failed;
	json_t *items;
	struct ax_buf why;
	size_t nfailed;
};

static void finding_init(struct finding *f, const char *check)
{
	memset(f, 0, sizeof(*f));
	f->check = check;
	f->items = json_array();
}

static void finding_add(struct finding *f, int failed, json_t *item, const char *fmt, ...) AX_PRINTF(4, 5);
static void finding_add(struct finding *f, int failed, json_t *item, const char *fmt, ...)
{
	f->touched = 1;
	if (item)
		json_array_append_new(f->items, item);
	if (!failed)
		return;
	f->failed = 1;
	/* the message stays readable; the full list is in observed */
	if (f->nfailed++ < 5) {
		va_list ap;
		if (f->why.size)
			ax_buf_puts(&f->why, "; ");
		va_start(ap, fmt);
		ax_buf_vprintf(&f->why, fmt, ap);
		va_end(ap);
	}
}

static void finding_discard(struct finding *f)
{
	json_decref(f->items);
	f->items = NULL;
	ax_buf_free(&f->why);
}

/* summary (borrowed, may be NULL) is added to the observed values. */
static void finding_emit(struct ax_probe_ctx *ctx, struct finding *f, json_t *summary, const char *pass_msg,
			const char *skip_msg)
{
	json_t *observed = json_pack("{s:O,s:I}", "items", f->items, "failed", (json_int_t)f->nfailed);
	if (summary)
		json_object_set(observed, "summary", summary);
	if (!f->touched) {
		ax_probe_result(ctx, f->check, AX_CHECK_SKIP, observed, "%s", skip_msg);
	} else if (f->failed) {
		if (f->nfailed > 5)
			ax_buf_printf(&f->why, "; and %zu more", f->nfailed - 5);
		ax_probe_result(ctx, f->check, AX_CHECK_FAIL, observed, "%s", ax_buf_cstr(&f->why));
	} else {
		ax_probe_result(ctx, f->check, AX_CHECK_PASS, observed, "%s", pass_msg);
	}
	finding_discard(f);
}

/* "Privacy Shield" / "privacy_shield" / "SCC" -> "privacy-shield" / "scc" */
static char *mechanism_word(const char *raw)
{
	char *m = ax_strdup(raw);
	for (char *p = m; *p; p++)
		*p = *p == ' ' || *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	if (strcmp(m, "safe-harbour") == 0) {
		free(m);
		m = ax_strdup("safe-harbor");
	}
	return m;
}

static json_t *entry_json(const struct ax_transfer_entry *e)
{
	return json_pack("{s:I,s:s,s:s,s:s}", "line", (json_int_t)e->line, "recipient", e->recipient, "country",
			 e->country, "mechanism", e->mechanism);
}

static void judge_mechanism(const struct ax_transfer_entry *e, const struct ax_country_table *table, int64_t now,
			    const char *reg, struct finding *f)
{
	const struct ax_country *c = ax_country_find(table, e->country);
	char *m = mechanism_word(e->mechanism);
	json_t *item = entry_json(e);
	json_object_set_new(item, "basis", json_string(c ? ax_country_basis_name(c->basis) : "third-country"));
	if (!ax_country_code_valid(e->country)) {
		finding_add(f, 1, item, "%s:%zu %s: country '%s' is not an ISO 3166 alpha-2 code", reg, e->line,
			    e->recipient, e->country);
	} else if (c && (c->basis == AX_COUNTRY_EU || c->basis == AX_COUNTRY_EEA)) {
		finding_add(f, 0, item, "in the EU/EEA");
	} else if (!*m) {
		finding_add(f, 1, item, "%s:%zu %s: transfer to %s without a mechanism", reg, e->line, e->recipient,
			    e->country);
	} else if (strcmp(m, "safe-harbor") == 0) {
		finding_add(f, 1, item, "%s:%zu %s: rests on Safe Harbor, invalidated on 2015-10-06 (CJEU C-362/14)", reg,
			    e->line, e->recipient);
	} else if (strcmp(m, "privacy-shield") == 0) {
		finding_add(f, 1, item, "%s:%zu %s: rests on Privacy Shield, invalidated on 2020-07-16 (CJEU C-311/18)",
			    reg, e->line, e->recipient);
	} else if (strcmp(m, "scc") == 0 || strcmp(m, "bcr") == 0 || strcmp(m, "art49") == 0) {
		finding_add(f, 0, item, "ok");
	} else if (strcmp(m, "dpf") == 0) {
		if (c && c->basis == AX_COUNTRY_ADEQUATE_DPF)
			finding_add(f, 0, item, "ok");
		else
			finding_add(f, 1, item, "%s:%zu %s: the Data Privacy Framework covers only US recipients, not %s",
				    reg, e->line, e->recipient, e->country);
	} else if (strcmp(m, "adequacy") == 0) {
		if (c && c->basis == AX_COUNTRY_ADEQUATE_DPF)
			finding_add(f, 1, item, "%s:%zu %s: the US adequacy decision (%s) covers only DPF-certified recipients: use mechanism dpf",
				    reg, e->line, e->recipient, c->reference);
		else if (!c)
			finding_add(f, 1, item, "%s:%zu %s: no EU adequacy decision for %s (country table as of %s)", reg,
				    e->line, e->recipient, e->country, table->as_of);
		else if (c->valid_until && c->valid_until < now)
			finding_add(f, 1, item, "%s:%zu %s: the adequacy decision for %s ran until %s per the country table as of %s; check for a renewal and update country-table",
				    reg, e->line, e->recipient, c->code, c->scope[0] ? c->scope : "its sunset", table->as_of);
		else
			finding_add(f, 0, item, "ok");
	} else if (strcmp(m, "eu") == 0) {
		finding_add(f, 1, item, "%s:%zu %s: mechanism eu but %s is not in the EU/EEA", reg, e->line, e->recipient,
			    e->country);
	} else {
		finding_add(f, 1, item, "%s:%zu %s: unknown mechanism '%s' (eu, adequacy, dpf, scc, bcr, art49)", reg,
			    e->line, e->recipient, e->mechanism);
	}
	free(m);
}

/* A date column: absent, malformed, or parsed into *when. */
static int date_column(const char *value, int64_t *when)
{
	if (!*value)
		return 0;
	return ax_time_parse(value, when) == 0 ? 1 : -1;
}

static void judge_dates(const struct ax_transfer_entry *e, const struct ax_country_table *table, int64_t now,
			int64_t dpf_max_age, const char *reg, struct finding *dpf, struct finding *tia,
			struct finding *review)
{
	const struct ax_country *c = ax_country_find(table, e->country);
	int in_eea = c && (c->basis == AX_COUNTRY_EU || c->basis == AX_COUNTRY_EEA);
	char *m = mechanism_word(e->mechanism);
	int64_t when = 0;
	int have;
	if (strcmp(m, "dpf") == 0) {
		json_t *item = entry_json(e);
		json_object_set_new(item, "dpf_checked", json_string(e->dpf_checked));
		have = date_column(e->dpf_checked, &when);
		if (have == 0)
			finding_add(dpf, 1, item, "%s:%zu %s: DPF certification never checked (dpf_checked empty)", reg,
				    e->line, e->recipient);
		else if (have < 0)
			finding_add(dpf, 1, item, "%s:%zu %s: dpf_checked '%s' is not an ISO 8601 date (YYYY-MM-DD)", reg,
				    e->line, e->recipient, e->dpf_checked);
		else if (now - when > dpf_max_age)
			finding_add(dpf, 1, item, "%s:%zu %s: DPF certification last checked %s, longer ago than dpf-max-age",
				    reg, e->line, e->recipient, e->dpf_checked);
		else
			finding_add(dpf, 0, item, "ok");
	}
	if (strcmp(m, "scc") == 0 && !in_eea) {
		json_t *item = entry_json(e);
		json_object_set_new(item, "tia_date", json_string(e->tia_date));
		have = date_column(e->tia_date, &when);
		if (have == 0)
			finding_add(tia, 1, item, "%s:%zu %s: SCC transfer to %s without a transfer impact assessment (tia_date empty)",
				    reg, e->line, e->recipient, e->country);
		else if (have < 0)
			finding_add(tia, 1, item, "%s:%zu %s: tia_date '%s' is not an ISO 8601 date (YYYY-MM-DD)", reg, e->line,
				    e->recipient, e->tia_date);
		else
			finding_add(tia, 0, item, "ok");
	}
	json_t *item = entry_json(e);
	json_object_set_new(item, "next_review", json_string(e->next_review));
	have = date_column(e->next_review, &when);
	if (have == 0)
		finding_add(review, 1, item, "%s:%zu %s: no next_review date", reg, e->line, e->recipient);
	else if (have < 0)
		finding_add(review, 1, item, "%s:%zu %s: next_review '%s' is not an ISO 8601 date (YYYY-MM-DD)", reg, e->line,
			    e->recipient, e->next_review);
	else if (when < now)
		finding_add(review, 1, item, "%s:%zu %s: review was due on %s", reg, e->line, e->recipient, e->next_review);
	else
		finding_add(review, 0, item, "ok");
	free(m);
}

static const struct ax_transfer_entry *covering_entry(const struct ax_transfer_register *reg, const char *host)
{
	for (size_t i = 0; i < reg->nentries; i++)
		for (size_t k = 0; k < reg->entries[i].nendpoints; k++)
			if (ax_host_pattern_matches(reg->entries[i].endpoints[k], host))
				return &reg->entries[i];
	return NULL;
}

/* Collects endpoints from every configured source; unreadable sources are
 * errors of the unregistered_endpoint check (a silent gap would pass). */
static int collect_endpoints(struct ax_probe_ctx *ctx, struct ax_endpoint_list *l, struct ax_buf *errors)
{
	int sources = 0;
	const char *dir = ax_probe_opt(ctx, "postfix-config-dir"), *scan = ax_probe_opt(ctx, "scan-config");
	if (dir && ++sources && ax_endpoints_from_postfix(l, dir) < 0)
		ax_buf_printf(errors, "%s%s", errors->size ? "; " : "", ax_error_last());
	if (scan && ++sources && ax_endpoints_from_annexa_config(l, scan) < 0)
		ax_buf_printf(errors, "%s%s", errors->size ? "; " : "", ax_error_last());
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "restic-env"); i++) {
		sources++;
		if (ax_endpoints_from_restic_env(l, ax_probe_opt_at(ctx, "restic-env", i)) < 0)
			ax_buf_printf(errors, "%s%s", errors->size ? "; " : "", ax_error_last());
	}
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "endpoint"); i++) {
		const char *v = ax_probe_opt_at(ctx, "endpoint", i);
		char *host = ax_endpoint_host_of(v);
		sources++;
		if (host)
			ax_endpoint_add(l, host, "endpoint option");
		else
			ax_buf_printf(errors, "%sendpoint '%s' names no remote host", errors->size ? "; " : "", v);
		free(host);
	}
	return sources;
}

static int emit_all_error(struct ax_probe_ctx *ctx, const char *why)
{
	int rc = 0;
	for (size_t i = 0; transfers_checks[i].id; i++)
		ax_probe_result(ctx, transfers_checks[i].id, AX_CHECK_ERROR, NULL, "%s", why);
	return rc;
}

static int transfers_run(struct ax_probe_ctx *ctx)
{
	const char *reg_path = ax_probe_opt(ctx, "register"), *table_path = ax_probe_opt(ctx, "country-table");
	const char *reg_name = strrchr(reg_path, '/') ? strrchr(reg_path, '/') + 1 : reg_path;
	struct ax_buf text = AX_BUF_INIT, errors = AX_BUF_INIT;
	struct ax_transfer_register *reg = NULL;
	struct ax_country_table *table = NULL;
	struct ax_endpoint_list endpoints = {0};
	struct finding unreg, mech, dpf, tia, review;
	int64_t now = ax_probe_now(ctx), dpf_max_age = ax_probe_opt_int(ctx, "dpf-max-age");
	int rc = 0;

	finding_init(&unreg, "transfer.unregistered_endpoint");
	finding_init(&mech, "transfer.invalid_mechanism");
	finding_init(&dpf, "transfer.dpf_unchecked");
	finding_init(&tia, "transfer.tia_missing");
	finding_init(&review, "transfer.review_overdue");
	if ((table_path ? ax_country_table_load(&table, table_path) : ax_country_table_builtin(&table)) < 0 ||
	    ax_file_read(reg_path, (size_t)ax_probe_opt_int(ctx, "max-size"), &text) < 0 ||
	    ax_transfer_register_parse(&reg, text.ptr, text.size, reg_path) < 0) {
		rc = emit_all_error(ctx, ax_error_last());
		goto cleanup;
	}
	for (size_t i = 0; i < reg->nentries; i++) {
		judge_mechanism(&reg->entries[i], table, now, reg_name, &mech);
		judge_dates(&reg->entries[i], table, now, dpf_max_age, reg_name, &dpf, &tia, &review);
	}

	int sources = collect_endpoints(ctx, &endpoints, &errors);
	for (size_t i = 0; i < endpoints.n; i++) {
		const struct ax_endpoint *ep = &endpoints.items[i];
		const struct ax_transfer_entry *e = covering_entry(reg, ep->host);
		json_t *item = json_pack("{s:s,s:s}", "host", ep->host, "source", ep->source);
		if (e) {
			json_object_set_new(item, "register_line", json_integer((json_int_t)e->line));
			json_object_set_new(item, "recipient", json_string(e->recipient));
		}
		finding_add(&unreg, !e, item, "%s (%s) is in no register entry", ep->host, ep->source);
	}
	json_t *summary = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "register_encoding", reg->encoding,
				    "register_separator", reg->separator == '\t' ? "tab" : (char[2]){reg->separator, 0},
				    "country_table_as_of", table->as_of, "country_table_source", table->source,
				    "entries", (json_int_t)reg->nentries, "endpoints", (json_int_t)endpoints.n,
				    "skipped_internal", (json_int_t)endpoints.skipped_internal);
	json_t *notes = json_array();
	for (size_t i = 0; i < endpoints.nnotes; i++)
		json_array_append_new(notes, json_string(endpoints.notes[i]));
	json_object_set_new(summary, "notes", notes);

	json_t *artifact = json_pack("{s:O,s:O,s:O}", "summary", summary, "entries", mech.items, "endpoints", unreg.items);
	finding_emit(ctx, &mech, NULL, "every third-country entry rests on a valid mechanism", "the register is empty");
	finding_emit(ctx, &dpf, NULL, "every DPF certification was checked within dpf-max-age", "no dpf entries");
	finding_emit(ctx, &tia, NULL, "every SCC transfer has a transfer impact assessment",
			   "no scc entries to third countries");
	finding_emit(ctx, &review, NULL, "no review overdue", "the register is empty");
	if (errors.size) { /* a source we could not read: a silent gap must not pass */
		ax_probe_result(ctx, unreg.check, AX_CHECK_ERROR, json_pack("{s:O}", "summary", summary), "%s",
				      ax_buf_cstr(&errors));
		finding_discard(&unreg);
	} else {
		char *pass = ax_asprintf("all %zu endpoints are covered by the register", endpoints.n);
		if (sources && !unreg.touched)
			unreg.touched = 1; /* sources configured, nothing remote found: nothing unregistered */
		finding_emit(ctx, &unreg, summary, pass,
				   "no endpoint source configured (postfix-config-dir, scan-config, restic-env, endpoint)");
		free(pass);
	}
	if (artifact)
		ax_probe_artifact_json(ctx, "transfers.json", artifact, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(artifact);
	json_decref(summary);
cleanup:
	finding_discard(&unreg), finding_discard(&mech), finding_discard(&dpf);
	finding_discard(&tia), finding_discard(&review);
	ax_buf_free(&text);
	ax_buf_free(&errors);
	ax_transfer_register_free(reg);
	ax_country_table_free(table);
	ax_endpoint_list_free(&endpoints);
	return rc ? AX_ERROR : 0;
}

const struct probe probe_transfers = {
	.name = "transfers",
	.summary = "transfer register vs. country table and the endpoints mail, backup and database really use",
	.options = transfers_options,
	.checks = transfers_checks,
	.run = transfers_run,
};
