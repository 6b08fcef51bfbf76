/* mailreports.c - the `mailreports` probe: the DMARC aggregate reports and
 * SMTP TLS reports (TLS-RPT) that receivers sent back for the domain, read
 * from a Maildir or folder over the window.
 *
 * Every file is either a report itself (XML, JSON, gzip, zip) or a message
 * whose attachments are; GMime decodes the MIME. A report counts once (by
 * kind, reporter and report id) when the period it covers ends inside the
 * window. Judged: that reports arrive at all, the share of messages
 * failing DMARC and of failed TLS sessions against thresholds, and that
 * every report could be read. Evidence: totals, the sources failing DMARC
 * (sending servers' addresses) and TLS failure types, and per day and
 * reporter in reports.json; no message content, no recipient. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "mailreports_parse.h"
#include "msgfiles.h"
#include "probe.h"
#include "util.h"

static const struct ax_option mailreports_options[] = {
	{"path", AX_OPT_PATH, NULL, AX_OPT_REQUIRED | AX_OPT_MULTI, NULL, 0, 0,
	 "Maildir, folder of messages or report files, or one file (repeatable)"},
	{"domain", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "only reports about this domain (default: all)"},
	{"window", AX_OPT_DURATION, "31d", 0, NULL, 3600, 3153600000, "reports whose period ends within this long before now"},
	{"dmarc-max-fail-percent", AX_OPT_INT, "5", 0, NULL, 0, 100, "largest share of messages failing DMARC accepted"},
	{"tls-max-fail-percent", AX_OPT_INT, "5", 0, NULL, 0, 100, "largest share of failed TLS sessions accepted"},
	{"max-files", AX_OPT_INT, "10000", 0, NULL, 1, 1000000, "files read at most"},
	{"max-size", AX_OPT_SIZE, "20M", 0, NULL, 1024, 1073741824, "largest file, and largest report once decompressed"},
	{NULL},
};

static const struct ax_check_def mailreports_checks[] = {
	{"mailreports.received", "DMARC aggregate reports arrived for the window"},
	{"mailreports.dmarc", "the share of messages failing DMARC stays within dmarc-max-fail-percent"},
	{"mailreports.tlsrpt", "the share of failed TLS sessions stays within tls-max-fail-percent"},
	{"mailreports.readable", "every report found could be read (no malformed or oversized archive)"},
	{NULL},
};

struct totals {
	uint64_t reports, pass, fail;
	json_t *counts; /* key -> count */
};

struct run {
	struct ax_probe_ctx *ctx;
	const char *domain;
	int64_t from, until;
	size_t max;
	struct totals t[3]; /* by enum mr_kind */
	json_t *seen;       /* kind/org/id of the reports counted */
	json_t *days;       /* day -> reporter -> counts */
	json_t *dmarc_days; /* days a DMARC report covers (by its start) */
	uint64_t unreadable, other_domain, outside_window;
	struct ax_buf first_errors;
};

static void count_json(json_t *o, const char *key, uint64_t v)
{
	json_int_t old = json_integer_value(json_object_get(o, key));
	json_object_set_new(o, key, json_integer(old + (json_int_t)(v > INT64_MAX / 2 ? INT64_MAX / 2 : v)));
}

static void unreadable(struct run *r, const char *file, const char *why)
{
	if (r->unreadable++ < 5)
		ax_buf_printf(&r->first_errors, "%s%s: %s", r->first_errors.size ? "; " : "", file, why);
}

static void add_report(struct run *r, const char *file, const void *data, size_t len)
{
	struct mr_report rep;
	if (mr_report_parse(data, len, r->max, &rep) < 0) {
		unreadable(r, file, ax_error_last());
		return;
	}
	char *key = ax_asprintf("%d/%s/%s", rep.kind, rep.org, rep.report_id ? rep.report_id : "");
	if (r->domain && (!rep.domain || strcasecmp(rep.domain, r->domain) != 0))
		r->other_domain++;
	else if (rep.end < r->from || rep.end > r->until)
		r->outside_window++;
	else if (!json_object_get(r->seen, key)) {
		json_object_set_new(r->seen, key, json_true());
		struct totals *t = &r->t[rep.kind];
		t->reports++;
		t->pass += rep.pass;
		t->fail += rep.fail;
		for (size_t i = 0; i < rep.ncounts; i++)
			count_json(t->counts, rep.counts[i].key, rep.counts[i].count);
		char day[32];
		ax_time_format(rep.begin, day);
		day[10] = '\0';
		if (rep.kind == MR_DMARC)
			json_object_set_new(r->dmarc_days, day, json_true());
		json_t *d = json_object_get(r->days, day);
		if (!d)
			json_object_set_new(r->days, day, d = json_object());
		char org[128];
		snprintf(org, sizeof(org), "%s", rep.org);
		json_t *o = json_object_get(d, org);
		if (!o)
			json_object_set_new(d, org, o = json_object());
		count_json(o, rep.kind == MR_DMARC ? "dmarc_pass" : "tls_ok", rep.pass);
		count_json(o, rep.kind == MR_DMARC ? "dmarc_fail" : "tls_fail", rep.fail);
	}
	free(key);
	mr_report_free(&rep);
}

struct walk {
	struct run *r;
	const char *file;
};

static void each_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct walk *w = data;
	(void)parent;
	if (!GMIME_IS_PART(part))
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	/* the human-readable body is never a report */
	if (ct && (g_mime_content_type_is_type(ct, "text", "plain") || g_mime_content_type_is_type(ct, "text", "html")) &&
	    !g_mime_part_is_attachment(GMIME_PART(part)))
		return;
	struct ax_buf bytes = AX_BUF_INIT;
	if (ax_msgfiles_part_content(part, &bytes) == 0 && mr_looks_like_report(ax_buf_cstr(&bytes), bytes.size))
		add_report(w->r, w->file, ax_buf_cstr(&bytes), bytes.size);
	ax_buf_free(&bytes);
}

static void read_file(struct run *r, const char *path)
{
	struct ax_buf data = AX_BUF_INIT;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (ax_file_read(path, r->max, &data) < 0) {
		unreadable(r, name, ax_error_last());
		goto cleanup;
	}
	if (mr_looks_like_report(data.ptr, data.size)) {
		add_report(r, name, data.ptr, data.size);
		goto cleanup;
	}
	g_mime_init();
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data.ptr ? data.ptr : "", data.size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	struct walk w = {r, name};
	if (msg) {
		g_mime_message_foreach(msg, each_part, &w);
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
cleanup:
	ax_buf_free(&data);
}

/* The entries of o with the largest counts, at most n. */
static json_t *top(json_t *o, size_t n)
{
	json_t *out = json_array();
	json_t *taken = json_object();
	for (size_t k = 0; k < n; k++) {
		const char *key, *best = NULL;
		json_t *v;
		json_int_t bestv = -1;
		json_object_foreach(o, key, v)
			if (!json_object_get(taken, key) && json_integer_value(v) > bestv) {
				best = key;
				bestv = json_integer_value(v);
			}
		if (!best)
			break;
		json_object_set_new(taken, best, json_true());
		json_array_append_new(out, json_pack("{s:s,s:I}", "key", best, "count", bestv));
	}
	json_decref(taken);
	return out;
}

static void judge_share(struct run *r, const char *check, enum mr_kind kind, const char *opt, const char *what,
		       const char *failkey)
{
	struct totals *t = &r->t[kind];
	int64_t max = ax_probe_opt_int(r->ctx, opt);
	uint64_t all = t->pass + t->fail;
	json_t *obs = json_pack("{s:I,s:I,s:I,s:I,s:o}", "reports", (json_int_t)t->reports, "pass", (json_int_t)t->pass,
				"fail", (json_int_t)t->fail, "max_fail_percent", (json_int_t)max, failkey, top(t->counts, 20));
	if (!t->reports) {
		ax_probe_result(r->ctx, check, AX_CHECK_SKIP, obs, "no %s report in the window", kind == MR_DMARC ? "DMARC" : "TLS");
		return;
	}
	double pct = all ? 100.0 * (double)t->fail / (double)all : 0;
	json_object_set_new(obs, "fail_percent", json_real(pct));
	ax_probe_result(r->ctx, check, pct > (double)max ? AX_CHECK_FAIL : AX_CHECK_PASS, obs,
			       "%llu of %llu %s failed (%.2f%%, at most %lld%% accepted) in %llu report(s)",
			       (unsigned long long)t->fail, (unsigned long long)all, what, pct, (long long)max,
			       (unsigned long long)t->reports);
}

static int mailreports_run(struct ax_probe_ctx *ctx)
{
	struct run r = {.ctx = ctx, .domain = ax_probe_opt(ctx, "domain"), .max = (size_t)ax_probe_opt_int(ctx, "max-size"),
			.seen = json_object(), .days = json_object(), .dmarc_days = json_object()};
	size_t maxf = (size_t)ax_probe_opt_int(ctx, "max-files"), n = 0;
	char **files = ax_calloc(maxf + 1, sizeof(char *));
	int err = 0;
	r.until = ax_probe_now(ctx) + 86400; /* a reporter's clock may run a little ahead */
	r.from = ax_probe_now(ctx) - ax_probe_opt_int(ctx, "window");
	for (int k = 0; k < 3; k++)
		r.t[k].counts = json_object();
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++)
		if (ax_msgfiles_collect(ax_probe_opt_at(ctx, "path", i), maxf, files, &n) < 0)
			unreadable(&r, ax_probe_opt_at(ctx, "path", i), ax_error_last());
	for (size_t i = 0; i < n; i++)
		read_file(&r, files[i]);

	struct totals *d = &r.t[MR_DMARC];
	json_t *obs = json_pack("{s:I,s:I,s:I,s:I,s:I,s:i}", "files", (json_int_t)n, "dmarc_reports", (json_int_t)d->reports,
				"tls_reports", (json_int_t)r.t[MR_TLSRPT].reports, "other_domain", (json_int_t)r.other_domain,
				"outside_window", (json_int_t)r.outside_window, "dmarc_days", (int)json_object_size(r.dmarc_days));
	if (d->reports)
		ax_probe_result(ctx, "mailreports.received", AX_CHECK_PASS, obs,
				       "%llu DMARC report(s) over %zu day(s) in the window", (unsigned long long)d->reports,
				       json_object_size(r.dmarc_days));
	else
		ax_probe_result(ctx, "mailreports.received", AX_CHECK_FAIL, obs,
				       "no DMARC aggregate report in the window (%zu file(s) read)", n);
	judge_share(&r, "mailreports.dmarc", MR_DMARC, "dmarc-max-fail-percent", "messages", "failing_sources");
	judge_share(&r, "mailreports.tlsrpt", MR_TLSRPT, "tls-max-fail-percent", "TLS sessions", "failure_types");
	if (r.unreadable)
		ax_probe_result(ctx, "mailreports.readable", AX_CHECK_FAIL,
				       json_pack("{s:I}", "unreadable", (json_int_t)r.unreadable),
				       "%llu report(s) could not be read: %s", (unsigned long long)r.unreadable,
				       ax_buf_cstr(&r.first_errors));
	else
		ax_probe_result(ctx, "mailreports.readable", AX_CHECK_PASS, NULL, "every report found was read");
	ax_probe_artifact_json(ctx, "reports.json", r.days, JSON_INDENT(2) | JSON_SORT_KEYS);
	err = err ? AX_ERROR : 0;
	for (int k = 0; k < 3; k++)
		json_decref(r.t[k].counts);
	json_decref(r.seen);
	json_decref(r.days);
	json_decref(r.dmarc_days);
	ax_buf_free(&r.first_errors);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return err;
}

const struct probe probe_mailreports = {
	.name = "mailreports",
	.summary = "DMARC aggregate and TLS-RPT reports received: arrival, DMARC failures, failed TLS sessions",
	.options = mailreports_options,
	.checks = mailreports_checks,
	.run = mailreports_run,
};
