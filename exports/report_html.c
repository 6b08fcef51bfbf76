/* report_html.c - report.html, the control status report: what the
 * security team reads daily and what the auditor opens inside a bundle.
 *
 * The first screen is the overall figure and the controls that fail,
 * error or are stale, each with the one line that says why and its owner
 * (`<tr class="attention-item" data-status="...">`); a table of contents
 * by theme follows; passing, manual and excluded controls keep their
 * checks folded in `<details>`; checks of one instance that ended alike
 * (three or more) are one `<li class="repeated" data-count="N">`.
 *
 * Guarantees: one self-contained HTML5 file (inline CSS, one inline
 * script of our own, the filter, that loads nothing; the page reads fully
 * without it; no
 * URL that leaves the bundle: evidence links are relative `evidence/...`
 * paths); every string from a probe or the config passes through
 * ax_html_escape; statuses are written as text (colour only repeats
 * them); every control is one `<tr class="control" id="A.x.y"
 * data-status="...">`, so tools can count and query rows; a control's open
 * coverage needs are `<li class="need" data-need="A.x.y:id">`; manual evidence
 * is one `<tr class="manual-item" data-state="...">` inside its control's
 * row (per control it names) and the expiring list one
 * `<tr class="expiring-item">` each; the same data
 * gives byte-identical output (no clock is read here). */
#include "report_gen.h"

#include <string.h>

#include "controls.h"
#include "probe.h"
#include "sandbox.h"
#include "util.h"

/* Evidence links listed per result before "and N more". */
#define MAX_LINKS_PER_RESULT 20

static const char *const themes[] = {"Organizational", "People", "Physical", "Technological"};
#define NTHEMES (sizeof(themes) / sizeof(themes[0]))

static int theme_index(const char *theme)
{
	for (size_t t = 0; t < NTHEMES; t++)
		if (theme && strcmp(theme, themes[t]) == 0)
			return (int)t;
	return (int)NTHEMES; /* an unknown theme still gets its row, under "Other" */
}

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;color:#111;margin:1.5em auto;"
	"max-width:1200px;padding:0 1em}\n"
	"h1{font-size:1.5em;margin:0 0 .4em}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:2px solid #333}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:0}\n"
	"dl.meta dt{font-weight:600}dl.meta dd{margin:0}\n"
	"table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;"
	"vertical-align:top;text-align:left}\n"
	"thead th{background:#eee}caption{text-align:left;font-weight:600;padding:.3em 0}\n"
	"table.summary{width:auto}table.summary td{text-align:right;min-width:4em}\n"
	"th.ctl{width:22%;font-weight:normal}th.ctl b{display:block}td.share{width:9em}\n"
	"ul.checks{margin:0;padding-left:1.1em}ul.checks li{margin:.15em 0}\n"
	"code{font:12px/1.3 ui-monospace,\"DejaVu Sans Mono\",monospace;overflow-wrap:anywhere}\n"
	".status{display:inline-block;min-width:6.5em;padding:0 .3em;border:1px solid #666;border-radius:3px;"
	"font-weight:600;text-align:center}\n"
	".s-pass{background:#d7f0d7}.s-fail{background:#f6cccc}.s-error{background:#f9e0b8}"
	".s-stale{background:#fff3b0}.s-manual{background:#e3e3f3}.s-not_applicable{background:#eee}"
	".s-not_covered{background:#f3e3f3}.s-skip{background:#fff}.s-partial{background:#e8f0c8}\n"
	"ul.needs{margin:.3em 0 0;padding-left:1.1em}.period-gap{color:#8a1c1c;font-size:.92em}\n"
	".s-approved{background:#d7f0d7}.s-accepted{background:#eaf3e0}.s-pending{background:#e3e3f3}.s-revoked{background:#eee}"
	".s-expired{background:#fff3b0}.s-not_yet_effective{background:#fff}\n"
	"table.manual{margin:.4em 0 0;font-size:.95em}table.manual caption{font-weight:600;padding:0 0 .2em}\n"
	"table.expiring{width:auto}\n"
	".when,.ev{color:#444;font-size:.92em}.note{color:#333;font-style:italic}\n"
	"footer{margin-top:2em;color:#444;font-size:.9em}\n"
	"tr.bare-list{display:none}tr[data-bare] th.ctl b{display:inline;margin-right:.4em}"
	"tr[data-bare] td.share .when{display:none}tr[data-bare] th,tr[data-bare] td{padding-top:.15em;padding-bottom:.15em}\n"
	".owner{display:block;color:#444;font-size:.9em;margin-top:.2em}\n"
	"p.figure{font-size:1.05em;margin:.8em 0 .4em}p.figure .status{min-width:0;margin:.1em 0}\n"
	"table.attention td:first-child{width:26%}table.attention td:nth-child(2){width:5em}table.attention td:last-child{width:12%}\n"
	".fix{display:block;color:#1d4f7a;font-size:.92em}\n"
	"details>summary{cursor:pointer;color:#333}li.repeated{margin:.15em 0}\n"
	"nav#toc ul{margin:0;padding-left:1.1em;columns:2}\n"
	"figure.chart{margin:.6em 0;display:flex;flex-wrap:wrap;gap:.3em 1.5em}figure.chart figcaption{width:100%;"
	"font-weight:600}div.theme-chart{display:flex;align-items:center;gap:.5em}div.theme-chart>span:first-child{"
	"width:7.5em;text-align:right}svg.strip{margin-top:.2em}\n"
	"@page{size:A4;margin:12mm}\n"
	"form#filter{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #bbb;z-index:1}\n"
	"@media print{form#filter{display:none}body{margin:0;max-width:none;font-size:8pt;line-height:1.3}h2{break-after:avoid;margin-top:.6em}"
	"section[id^=theme-]{break-before:page}nav#toc,table.controls caption{display:none}"
	"th,td{padding:.1em .3em}table.controls{table-layout:fixed}table.controls thead th:nth-child(1){width:25%}"
	"table.controls thead th:nth-child(2){width:6.5%}table.controls thead th:nth-child(4){width:7%}"
	"tr[data-bare]{display:none}tr.bare-list{display:table-row}"
	"p.covered,li.r-pass .msg,li.r-pass .ev{display:none}footer{font-size:7pt}"
	"ul.needs li{display:inline}ul.needs li+li:before{content:\"; \"}ul.needs{padding:0}th.ctl b{display:inline;margin-right:.4em}td.share{width:6em}"
	"code{font-size:7.5pt}.status{min-width:0;border:0;padding:0}details>summary{list-style:none}"
	"thead{display:table-header-group}a{color:inherit;text-decoration:none}"
	".status{background:none!important}td.share .when,li .when{display:none}}\n";

static void put_time(struct ax_buf *out, int64_t t)
{
	char ts[32];
	ax_time_format(t, ts);
	ax_buf_printf(out, "<time datetime=\"%s\">%s</time>", ts, ts);
}

static void put_header(const struct ax_export_data *d, struct ax_buf *out)
{
	const char *org = d->organization ? d->organization : "";
	ax_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<meta name=\"generator\" content=\"annexa\">\n<title>Annex A control status");
	if (*org) {
		ax_buf_puts(out, ": ");
		ax_html_escape(out, org);
	}
	ax_buf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n"
			   "<h1>ISO/IEC 27001:2022 Annex A control status</h1>\n<dl class=\"meta\">\n",
		      css);
	ax_buf_puts(out, "<dt>Organization</dt><dd>");
	ax_html_escape(out, *org ? org : "(not configured)");
	ax_buf_puts(out, "</dd>\n<dt>Period</dt><dd>");
	if (d->since)
		put_time(out, d->since);
	else
		ax_buf_puts(out, "first stored run");
	ax_buf_puts(out, " to ");
	if (d->until)
		put_time(out, d->until);
	else
		ax_buf_puts(out, "export time");
	ax_buf_printf(out, " (%zu run%s", d->nruns, d->nruns == 1 ? "" : "s");
	if (d->nruns)
		ax_buf_printf(out, ": #%lld to #%lld", (long long)d->runs[0].id, (long long)d->runs[d->nruns - 1].id);
	ax_buf_puts(out, ")</dd>\n<dt>Generated</dt><dd>");
	put_time(out, d->generated_at);
	ax_buf_puts(out, " by annexa ");
	ax_html_escape(out, d->version ? d->version : "");
	if (d->host && *d->host) {
		ax_buf_puts(out, " on ");
		ax_html_escape(out, d->host);
	}
	ax_buf_puts(out, "</dd>\n<dt>Ledger head</dt><dd>");
	if (d->nruns) {
		const struct ax_run_info *h = &d->runs[d->nruns - 1];
		ax_buf_printf(out, "run #%lld, hash <code>", (long long)h->id);
		ax_html_escape(out, h->hash);
		ax_buf_puts(out, "</code>");
	} else {
		ax_buf_puts(out, "no run in the period");
	}
	if (d->have_store_head && (!d->nruns || d->store_head.id != d->runs[d->nruns - 1].id)) {
		ax_buf_printf(out, " (store head: run #%lld, hash <code>", (long long)d->store_head.id);
		ax_html_escape(out, d->store_head.hash);
		ax_buf_puts(out, "</code>)");
	}
	ax_buf_puts(out, "</dd>\n</dl>\n</header>\n");
}

static void put_summary(const struct ax_export_data *d, struct ax_buf *out)
{
	ax_buf_puts(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"summary\">\n"
			 "<caption>Controls per status</caption>\n<thead><tr>");
	for (int s = 0; s < AX_CTL__COUNT; s++)
		ax_buf_printf(out, "<th scope=\"col\">%s</th>", ax_control_status_name((enum ax_control_status)s));
	ax_buf_puts(out, "<th scope=\"col\">total</th></tr></thead>\n<tbody><tr>");
	for (int s = 0; s < AX_CTL__COUNT; s++)
		ax_buf_printf(out, "<td class=\"s-%s\">%d</td>", ax_control_status_name((enum ax_control_status)s),
			      d->status->counts[s]);
	ax_buf_printf(out, "<td>%zu</td></tr></tbody>\n</table>\n</section>\n", d->status->ncontrols);
}

/* Approved manual evidence that expires within [annexa] expiry-warning,
 * as `annexa status` lists it (only when manual evidence was applied). */
static void put_expiring(const struct ax_export_data *d, struct ax_buf *out)
{
	const struct ax_status *st = d->status;
	if (!st->manual_applied)
		return;
	ax_buf_printf(out, "<section id=\"expiring\">\n<h2>Manual evidence expiring soon</h2>\n");
	if (st->nexpiring == 0) {
		ax_buf_printf(out, "<p class=\"note\">No approved manual evidence expires within %lld days of ",
			      (long long)(st->expiry_warning / 86400));
		put_time(out, d->status_at);
		ax_buf_puts(out, ".</p>\n</section>\n");
		return;
	}
	ax_buf_printf(out, "<table class=\"expiring\">\n<caption>Approved manual evidence expiring within %lld days of ",
		      (long long)(st->expiry_warning / 86400));
	put_time(out, d->status_at);
	ax_buf_puts(out, "</caption>\n<thead><tr><th scope=\"col\">Expires</th><th scope=\"col\">Control</th>"
			 "<th scope=\"col\">ID</th><th scope=\"col\">Owner</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < st->nexpiring; i++) {
		const struct ax_manual *m = st->expiring[i].item;
		ax_buf_puts(out, "<tr class=\"expiring-item\"><td>");
		put_time(out, m->expires_at);
		ax_buf_puts(out, "</td><td><a href=\"#");
		ax_html_escape(out, st->expiring[i].control);
		ax_buf_puts(out, "\">");
		ax_html_escape(out, st->expiring[i].control);
		ax_buf_puts(out, "</a></td><td><code>");
		ax_html_escape(out, m->id);
		ax_buf_puts(out, "</code></td><td>");
		ax_html_escape(out, m->owner && *m->owner ? m->owner : "-");
		ax_buf_puts(out, "</td></tr>\n");
	}
	ax_buf_puts(out, "</tbody>\n</table>\n</section>\n");
}

/* A link to a bundle path, or its name as text when the path could leave
 * the bundle; outside a bundle (`report -o`) "evidence/" is replaced by the
 * folder written beside the report. */
static void put_link(const struct ax_export_data *d, const char *path, const char *name, struct ax_buf *out)
{
	if (!path || !ax_report_local_href(path)) {
		ax_html_escape(out, name);
		return;
	}
	ax_buf_puts(out, "<a href=\"");
	if (d->evidence_href) {
		ax_html_escape(out, d->evidence_href);
		ax_html_escape(out, path + strlen("evidence/"));
	} else {
		ax_html_escape(out, path);
	}
	ax_buf_puts(out, "\">");
	ax_html_escape(out, name);
	ax_buf_puts(out, "</a>");
}

static void put_evidence(const struct ax_export_data *d, const struct ax_report_index *ix, size_t li,
			 struct ax_buf *out)
{
	size_t n = li < ix->nlatest ? ix->nartifacts[li] : 0;
	if (n == 0)
		return;
	ax_buf_puts(out, " <span class=\"ev\">evidence:");
	for (size_t k = 0; k < n && k < MAX_LINKS_PER_RESULT; k++) {
		const struct ax_export_artifact *a = &d->artifacts[ix->artifacts[li][k]];
		ax_buf_puts(out, k ? ", " : " ");
		put_link(d, a->bundle_path, a->name, out);
	}
	if (n > MAX_LINKS_PER_RESULT)
		ax_buf_printf(out, " and %zu more", n - MAX_LINKS_PER_RESULT);
	ax_buf_puts(out, "</span>");
}

/* The confinement each instance's newest run of the period recorded (its
 * sandbox.txt artifact): one `<tr class="sandbox-item" data-sandbox="...">`
 * per distinct confinement, listing the instances that ran under it, so a
 * site of many instances takes a line or two; a run without Landlock or
 * seccomp ("none") is marked unconfined. Nothing when no run of the period
 * recorded one. Linear in the period's artifacts (a year of daemon runs
 * holds one sandbox.txt per instance and run). */
struct confinement {
	const char *instance;
	size_t idx;        /* newest sandbox.txt of the instance */
	char *text;        /* its first line */
	int bare, printed; /* unconfined; listed in an earlier row */
};

static void put_confinement(const struct ax_export_data *d, struct ax_buf *out)
{
	struct confinement *c = NULL;
	size_t n = 0;
	for (size_t i = 0; i < d->nartifacts; i++) {
		const struct ax_export_artifact *a = &d->artifacts[i];
		size_t k = 0;
		if (strcmp(a->name, "sandbox.txt") != 0)
			continue;
		while (k < n && strcmp(c[k].instance, a->instance) != 0)
			k++;
		if (k == n) {
			c = ax_realloc(c, (n + 1) * sizeof(*c));
			c[n++] = (struct confinement){a->instance, i, NULL, 0, 0};
		} else if (a->last_run >= d->artifacts[c[k].idx].last_run) {
			c[k].idx = i;
		}
	}
	for (size_t k = 0; k < n; k++) {
		struct ax_buf b = AX_BUF_INIT;
		if (d->store && ax_store_artifact(d->store, d->artifacts[c[k].idx].sha256, &b) == 0) {
			const char *text = ax_buf_cstr(&b);
			c[k].text = ax_strndup(text, strcspn(text, "\r\n"));
			c[k].bare = ax_sandbox_unconfined(text);
		}
		ax_buf_free(&b);
	}
	size_t rows = 0;
	for (size_t k = 0; k < n; k++) {
		if (!c[k].text || c[k].printed)
			continue;
		if (rows++ == 0)
			ax_buf_puts(out, "<section id=\"confinement\">\n<table class=\"confinement\">\n<caption>Probe "
					 "confinement of each instance's newest run (see README \"Probe confinement\")</caption>\n"
					 "<thead><tr><th scope=\"col\">Instances</th><th scope=\"col\">Sandbox</th>"
					 "</tr></thead>\n<tbody>\n");
		ax_buf_printf(out, "<tr class=\"sandbox-item\" data-sandbox=\"%s\"><td>", c[k].bare ? "none" : "confined");
		for (size_t j = k; j < n; j++) {
			if (!c[j].text || c[j].printed || strcmp(c[j].text, c[k].text) != 0)
				continue;
			if (j != k)
				ax_buf_puts(out, ", ");
			ax_html_escape(out, c[j].instance);
			c[j].printed = 1;
		}
		ax_buf_puts(out, "</td><td><code>");
		ax_html_escape(out, c[k].text);
		ax_buf_puts(out, "</code>");
		if (c[k].bare)
			ax_buf_puts(out, " <span class=\"status s-fail\">unconfined</span>");
		ax_buf_puts(out, "</td></tr>\n");
	}
	if (rows)
		ax_buf_puts(out, "</tbody>\n</table>\n</section>\n");
	for (size_t k = 0; k < n; k++)
		free(c[k].text);
	free(c);
}

/* The run calendar of the probe instances (period.c): a row for each
 * instance that missed runs (the runs its interval called for, observed,
 * missed, each gap with its reason), one line naming those on schedule,
 * so a report of a healthy site stays short on paper. */
static void put_runs(const struct ax_export_data *d, struct ax_buf *out)
{
	const struct ax_period *p = d->calendar;
	size_t rows = 0, fine = 0;
	if (!p || !p->ninst)
		return;
	ax_buf_puts(out, "<section id=\"runs\">\n");
	for (size_t i = 0; i < p->ninst; i++) {
		const struct ax_period_instance *in = &p->inst[i];
		char iv[32];
		if (!in->ngaps)
			continue;
		if (rows++ == 0)
			ax_buf_puts(out, "<table class=\"runs\">\n<caption>Probe instances that missed runs in the period "
					 "(see README \"Run calendar\"; period.json has every instance)</caption>\n<thead><tr>"
					 "<th scope=\"col\">Instance</th><th scope=\"col\">Every</th>"
					 "<th scope=\"col\">Expected</th><th scope=\"col\">Observed</th>"
					 "<th scope=\"col\">Missed</th><th scope=\"col\">Gaps</th></tr></thead>\n<tbody>\n");
		ax_duration_format(in->interval, iv);
		ax_buf_printf(out, "<tr class=\"run-calendar\" data-missed=\"%d\"><td>", in->missed);
		ax_html_escape(out, in->name);
		ax_buf_printf(out, "</td><td>%s%s</td><td>%d</td><td>%d</td><td>%d</td><td>", iv,
			      in->interval_observed ? " (from the runs)" : "", in->expected, in->observed, in->missed);
		for (size_t g = 0; g < in->ngaps; g++) {
			ax_buf_puts(out, g ? "<br>" : "");
			put_time(out, in->gaps[g].from);
			ax_buf_puts(out, " to ");
			put_time(out, in->gaps[g].to);
			ax_buf_printf(out, ", %d missed: %s", in->gaps[g].missed,
				      in->gaps[g].why ? in->gaps[g].why : "reason unknown");
		}
		ax_buf_puts(out, "</td></tr>\n");
	}
	if (rows)
		ax_buf_puts(out, "</tbody>\n</table>\n");
	for (size_t i = 0; i < p->ninst; i++) {
		if (p->inst[i].ngaps)
			continue;
		ax_buf_puts(out, fine++ ? ", " : "<p class=\"runs-on-schedule\">Ran on schedule throughout the period: ");
		ax_html_escape(out, p->inst[i].name);
	}
	ax_buf_puts(out, fine ? ".</p>\n</section>\n" : "</section>\n");
}

/* The catalog's mapping rules for a control ("Mapped: tls.*, ..."), so a
 * not_covered row says which checks would evidence it. */
static void put_mapped(const struct ax_export_data *d, const char *id, struct ax_buf *out)
{
	size_t n = 0;
	for (size_t m = 0; d->cat && m < d->cat->nmaps; m++) {
		if (!d->cat->maps[m].control || strcmp(d->cat->maps[m].control, id) != 0)
			continue;
		ax_buf_puts(out, n++ ? ", <code>" : " Mapped: <code>");
		ax_html_escape(out, d->cat->maps[m].check);
		ax_buf_puts(out, "</code>");
	}
}

static size_t count_mapped(const struct ax_export_data *d, const char *id)
{
	size_t n = 0;
	for (size_t m = 0; d->cat && m < d->cat->nmaps; m++)
		n += d->cat->maps[m].control && strcmp(d->cat->maps[m].control, id) == 0;
	return n;
}

/* A manual evidence state as a status badge ("not yet effective" ->
 * class s-not_yet_effective). */
static void put_state(struct ax_buf *out, const char *state)
{
	ax_buf_puts(out, "<span class=\"status s-");
	for (const char *p = state; *p; p++)
		ax_buf_putc(out, *p == ' ' ? '_' : *p);
	ax_buf_printf(out, "\">%s</span>", state);
}

/* The control's manual evidence: one row per item (revoked ones too),
 * its files linked at their bundle paths under this control. */
static void put_manual(const struct ax_export_data *d, const struct ax_control_state *cs, struct ax_buf *out)
{
	if (cs->nmanual == 0)
		return;
	ax_buf_puts(out, "\n<table class=\"manual\">\n<caption>Manual evidence</caption>\n"
			 "<thead><tr><th scope=\"col\">ID</th><th scope=\"col\">Files</th><th scope=\"col\">Effective</th>"
			 "<th scope=\"col\">Expires</th><th scope=\"col\">Owner</th><th scope=\"col\">State</th></tr>"
			 "</thead>\n<tbody>\n");
	for (size_t k = 0; k < cs->nmanual; k++) {
		const struct ax_manual *m = cs->manual[k];
		const char *state = ax_export_manual_state(m, d->status_at);
		ax_buf_puts(out, "<tr class=\"manual-item\" data-state=\"");
		ax_html_escape(out, state);
		ax_buf_puts(out, "\"><td><code>");
		ax_html_escape(out, m->id);
		ax_buf_puts(out, "</code></td><td>");
		for (size_t f = 0; f < m->nfiles; f++) {
			const char *path = ax_export_manual_path(d, m, cs->control->id, f);
			ax_buf_puts(out, f ? ", " : "");
			put_link(d, path, m->files[f].name, out);
		}
		ax_buf_puts(out, "</td><td>");
		put_time(out, m->effective_at);
		ax_buf_puts(out, "</td><td>");
		put_time(out, m->expires_at);
		ax_buf_puts(out, "</td><td>");
		ax_html_escape(out, m->owner && *m->owner ? m->owner : "-");
		ax_buf_puts(out, "</td><td>");
		put_state(out, state);
		ax_buf_puts(out, "<br><span class=\"when\">");
		if (strcmp(state, "accepted") == 0)
			ax_buf_puts(out, "no approval required; ");
		ax_buf_puts(out, "attached by ");
		ax_html_escape(out, m->attached_by ? m->attached_by : "?");
		if (m->approved_by) {
			ax_buf_puts(out, ", approved by ");
			ax_html_escape(out, m->approved_by);
		}
		if (m->revoked_by) {
			ax_buf_puts(out, ", revoked by ");
			ax_html_escape(out, m->revoked_by);
			ax_buf_puts(out, ": ");
			ax_html_escape(out, m->revoke_reason ? m->revoke_reason : "");
		}
		ax_buf_puts(out, "</span></td></tr>\n");
	}
	ax_buf_puts(out, "</tbody>\n</table>");
}

/* The needs manual evidence answers, each with the items (attach
 * --answers) linked to their first file's bundle path. */
static void put_answered(const struct ax_export_data *d, const struct ax_control_state *cs, struct ax_buf *out)
{
	const struct ax_coverage *cov = cs->coverage;
	size_t shown = 0;
	for (size_t k = 0; cs->answered_items && k < cov->nneeds; k++) {
		const struct ax_need_items *ni = &cs->answered_items[k];
		if (cs->answered[k] != AX_ANSWER_MANUAL || !ni->n)
			continue;
		ax_buf_puts(out, shown++ ? "; " : "<p class=\"answered\">Answered by manual evidence: ");
		ax_buf_printf(out, "<code>%s:%s</code> by ", cov->control, cov->needs[k].id);
		for (size_t j = 0; j < ni->n; j++) {
			const char *path = ax_export_manual_path(d, ni->items[j], cs->control->id, 0);
			ax_buf_puts(out, j ? ", " : "");
			if (path && ax_report_local_href(path)) {
				ax_buf_puts(out, "<a class=\"answer\" href=\"");
				ax_html_escape(out, path);
				ax_buf_puts(out, "\">");
				ax_html_escape(out, ni->items[j]->id);
				ax_buf_puts(out, "</a>");
			} else {
				ax_html_escape(out, ni->items[j]->id);
			}
		}
	}
	if (shown)
		ax_buf_puts(out, "</p>");
}

/* What the site's checks cover and what is still needed (the coverage
 * statement), and why a control that passes at the end is partial. */
static void put_coverage(const struct ax_export_data *d, const struct ax_control_state *cs, size_t i,
			 struct ax_buf *out)
{
	const struct ax_coverage *cov = cs->coverage;
	if (d->period && d->period[i].demoted)
		ax_buf_puts(out, "<p class=\"note\">Partial: its checks pass now, but not throughout the period "
				 "(see <i>Passed in period</i>).</p>");
	if (!cov)
		return;
	size_t shown = 0;
	for (size_t k = 0; k < cov->ncovered; k++) {
		if (!ax_status_covers(cs, &cov->covered[k]))
			continue;
		ax_buf_puts(out, shown++ ? "; " : "<p class=\"covered\">Covered: ");
		ax_buf_printf(out, "<i>%s, %s</i>: ", cov->covered[k].probe, ax_aspect_name(cov->covered[k].aspect));
		ax_html_escape(out, cov->covered[k].text);
	}
	if (shown)
		ax_buf_puts(out, "</p>");
	put_answered(d, cs, out);
	if (!cs->open_needs)
		return;
	ax_buf_printf(out, "\n<p class=\"note\">Still needed (%zu):</p><ul class=\"needs\">", cs->open_needs);
	for (size_t k = 0; k < cov->nneeds; k++) {
		if (cs->answered[k] != AX_ANSWER_OPEN)
			continue;
		ax_buf_puts(out, "\n<li class=\"need\" data-need=\"");
		ax_html_escape(out, cov->control);
		ax_buf_putc(out, ':');
		ax_html_escape(out, cov->needs[k].id);
		ax_buf_printf(out, "\"><code>%s:%s</code> <i>%s</i>: ", cov->control, cov->needs[k].id,
			      ax_aspect_name(cov->needs[k].aspect));
		ax_html_escape(out, cov->needs[k].text);
		ax_buf_puts(out, "</li>");
	}
	ax_buf_puts(out, "\n</ul>");
}

/* Rows that say the same thing as row r: same instance, same status and
 * message, not a pass (a pass is evidence per check and stays listed). */
static int same_outcome(const struct ax_result *a, const struct ax_result *b)
{
	return a->status == b->status && a->status != AX_CHECK_PASS && strcmp(a->instance, b->instance) == 0 &&
	       strcmp(a->message ? a->message : "", b->message ? b->message : "") == 0;
}

/* skip is never evidence: an instance's skipped checks are one line with
 * each check's reason, whatever the reasons are. */
static int same_skip(const struct ax_result *a, const struct ax_result *b)
{
	return a->status == AX_CHECK_SKIP && b->status == AX_CHECK_SKIP && strcmp(a->instance, b->instance) == 0;
}

/* When REPEAT_MIN or more checks of one instance ended alike (an instance
 * that could not reach its target errors on every check; skip results
 * share their reason), one line says so and names the checks, instead of
 * one line per check. Marks the rows it wrote in done; 0 when r stands
 * alone. */
#define REPEAT_MIN 3
static int put_skipped(const struct ax_control_state *cs, size_t r, unsigned char *done, struct ax_buf *out)
{
	const struct ax_result *res = cs->rows[r].result;
	size_t n = 0;
	for (size_t k = r; k < cs->nrows; k++)
		n += !done[k] && same_skip(res, cs->rows[k].result);
	if (n < 2)
		return 0;
	ax_buf_printf(out, "\n<li class=\"repeated\" data-count=\"%zu\" data-instance=\"", n);
	ax_html_escape(out, res->instance);
	ax_buf_puts(out, "\"><span class=\"status s-skip\">skip</span> <code>");
	ax_html_escape(out, res->instance);
	ax_buf_printf(out, "</code>: %zu checks skipped (not evidence): ", n);
	size_t shown = 0;
	for (size_t k = r; k < cs->nrows; k++) {
		const struct ax_result *o = cs->rows[k].result;
		if (done[k] || !same_skip(res, o))
			continue;
		done[k] = 1;
		ax_buf_puts(out, shown++ ? "; <code>" : "<code>");
		ax_html_escape(out, o->check);
		ax_buf_puts(out, "</code> ");
		ax_html_escape(out, o->message && *o->message ? o->message : "(no reason)");
	}
	ax_buf_puts(out, "</li>");
	return 1;
}
static int put_repeated(const struct ax_control_state *cs, size_t r, unsigned char *done, struct ax_buf *out)
{
	const struct ax_result *res = cs->rows[r].result;
	size_t n = 0;
	for (size_t k = r; k < cs->nrows; k++)
		n += !done[k] && same_outcome(res, cs->rows[k].result);
	if (n < REPEAT_MIN)
		return put_skipped(cs, r, done, out);
	const char *st = ax_check_status_name(res->status);
	ax_buf_printf(out, "\n<li class=\"repeated\" data-count=\"%zu\" data-instance=\"", n);
	ax_html_escape(out, res->instance);
	ax_buf_printf(out, "\"><span class=\"status s-%s\">%s</span> <code>", st, st);
	ax_html_escape(out, res->instance);
	ax_buf_printf(out, "</code>: %zu checks %s: ", n, st);
	ax_html_escape(out, res->message && *res->message ? res->message : "(no message)");
	ax_buf_puts(out, " <span class=\"when\">collected ");
	put_time(out, res->collected_at);
	ax_buf_puts(out, "; checks: ");
	size_t shown = 0;
	for (size_t k = r; k < cs->nrows; k++) {
		if (done[k] || !same_outcome(res, cs->rows[k].result))
			continue;
		done[k] = 1;
		ax_buf_puts(out, shown++ ? ", <code>" : "<code>");
		ax_html_escape(out, cs->rows[k].result->check);
		ax_buf_puts(out, cs->rows[k].stale ? "</code> (stale)" : "</code>");
	}
	ax_buf_puts(out, "</span></li>");
	return 1;
}

static void put_checks(const struct ax_export_data *d, const struct ax_report_index *ix,
		       const struct ax_control_state *cs, struct ax_buf *out)
{
	if (cs->status == AX_CTL_NOT_APPLICABLE) {
		ax_buf_puts(out, "<p class=\"note\">Not applicable: ");
		ax_html_escape(out, cs->justification && *cs->justification ? cs->justification
									      : "(no justification given)");
		ax_buf_puts(out, "</p>");
		put_manual(d, cs, out); /* still shown: it was attached */
		return;
	}
	if (cs->inherited_from) {
		ax_buf_puts(out, "<p class=\"note\">Inherited from ");
		ax_html_escape(out, cs->inherited_from);
		ax_buf_puts(out, ": ");
		ax_html_escape(out, cs->inherited_reference ? cs->inherited_reference : "");
		ax_buf_puts(out, "</p>");
	}
	if (cs->nrows == 0) {
		if (cs->nmanual == 0 && cs->status == AX_CTL_MANUAL)
			ax_buf_puts(out, "<p class=\"note\">No automated check at this site: needs attached evidence.</p>");
		else if (cs->nmanual == 0 || count_mapped(d, cs->control->id)) {
			ax_buf_puts(out, "<p class=\"note\">Mapped checks have not reported yet.");
			put_mapped(d, cs->control->id, out);
			ax_buf_puts(out, "</p>");
		}
		put_manual(d, cs, out);
		return;
	}
	unsigned char *done = ax_calloc(cs->nrows, 1);
	ax_buf_puts(out, "<ul class=\"checks\">");
	for (size_t r = 0; r < cs->nrows; r++) {
		if (done[r])
			continue;
		if (put_repeated(cs, r, done, out))
			continue;
		const struct ax_result *res = cs->rows[r].result;
		const char *st = ax_check_status_name(res->status);
		ax_buf_printf(out, "\n<li class=\"r-%s\" data-instance=\"", st);
		ax_html_escape(out, res->instance);
		ax_buf_printf(out, "\"><span class=\"status s-%s\">%s%s</span> <code>", st, st,
			      cs->rows[r].stale ? " (stale)" : "");
		ax_html_escape(out, res->instance);
		ax_buf_puts(out, "</code> <code>");
		ax_html_escape(out, res->check);
		ax_buf_puts(out, "</code><span class=\"msg\">: ");
		ax_html_escape(out, res->message && *res->message ? res->message : "(no message)");
		ax_buf_puts(out, "</span>");
		/* what to do about it, for a failing check */
		const char *fix = res->status == AX_CHECK_FAIL ? ax_probe_fix(res->check) : NULL;
		if (fix) {
			ax_buf_puts(out, " <span class=\"fix\">Fix: ");
			ax_html_escape(out, fix);
			ax_buf_puts(out, "</span>");
		}
		ax_buf_puts(out, " <span class=\"when\">collected ");
		put_time(out, res->collected_at);
		ax_buf_puts(out, "</span>");
		/* skip and info are shown, never offered as the evidence of a pass */
		if (ax_check_status_is_evidence(res->status))
			put_evidence(d, ix, ax_report_latest_index(d, res), out);
		else
			ax_buf_puts(out, " <span class=\"when\">(not evidence)</span>");
		ax_buf_puts(out, "</li>");
	}
	free(done);
	ax_buf_puts(out, "\n</ul>");
	put_coverage(d, cs, (size_t)(cs - d->status->controls), out);
	put_manual(d, cs, out);
}

/* A span of time for people: minutes under two hours, hours under two
 * days, days beyond (one decimal, truncated; no locale). */
static void put_span(struct ax_buf *out, int64_t secs)
{
	if (secs < 7200)
		ax_buf_printf(out, "%lld min", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		ax_buf_printf(out, "%lld.%lld h", (long long)(secs / 3600), (long long)(secs % 3600 / 360));
	else
		ax_buf_printf(out, "%lld.%lld days", (long long)(secs / 86400), (long long)(secs % 86400 / 8640));
}

/* Fill of a strip slice (export.h: strip), the status colours darkened so
 * they read on paper too. */
static const char *strip_fill(int v)
{
	switch (v - 1) {
	case AX_CTL_PASS: return "#3a9a3a";
	case AX_CTL_STALE: return "#d4b000";
	case AX_CTL_ERROR: return "#e08a00";
	case AX_CTL_FAIL: return "#c0392b";
	default: return "#ddd";
	}
}

/* The control's state over the period: one small rectangle per slice,
 * drawn by annexa as inline SVG (no script, no external file); its title
 * says the same in words for screen readers and tooltips. */
static void put_slices(const struct ax_export_data *d, size_t i, struct ax_buf *out)
{
	const struct ax_export_period_stat *p = d->period ? &d->period[i] : NULL;
	int slices[AX_CTL__COUNT + 1] = {0}, any = 0;
	for (size_t k = 0; p && k < AX_STRIP; k++) {
		slices[p->strip[k] <= AX_CTL__COUNT ? p->strip[k] : 0]++;
		any |= p->strip[k] != 0;
	}
	if (!any)
		return;
	ax_buf_printf(out, "<br><svg class=\"strip\" width=\"%d\" height=\"10\" viewBox=\"0 0 %d 10\" role=\"img\">"
			   "<title>state over the period, %d slices oldest first:",
		      AX_STRIP * 4, AX_STRIP * 4, AX_STRIP);
	for (int s = 1; s <= AX_CTL__COUNT; s++)
		if (slices[s])
			ax_buf_printf(out, " %s %d", ax_control_status_name((enum ax_control_status)(s - 1)), slices[s]);
	if (slices[0])
		ax_buf_printf(out, " not evaluated %d", slices[0]);
	ax_buf_puts(out, "</title>");
	for (size_t k = 0; k < AX_STRIP; k++)
		ax_buf_printf(out, "<rect x=\"%zu\" width=\"3\" height=\"10\" fill=\"%s\"/>", k * 4, strip_fill(p->strip[k]));
	ax_buf_puts(out, "</svg>");
}

#define CALENDAR_MIN_DAYS 7

/* The control's run calendar (period.c): one small rectangle per day of
 * the period, coloured by the worst state a run with its evidence left it
 * in that day; a day without evidence is a thin grey line, and the gaps
 * of the instances that evidence it (runs due that did not happen) are
 * red marks below. Inline SVG (no script, no external file), scaled to at
 * most 480 px; its title says the same in words for screen readers and
 * tooltips. Periods of a week or more; a shorter one is drawn in
 * slices (put_slices). */
static void put_calendar(const struct ax_export_data *d, size_t i, struct ax_buf *out)
{
	const struct ax_export_period_stat *p = d->period ? &d->period[i] : NULL;
	int counts[AX_CTL__COUNT + 1] = {0}, ngaps = 0;
	int64_t span = (int64_t)d->ndays * 86400;
	if (!p || !p->days || (!p->days_with_evidence && !p->runs_evaluated))
		return;
	for (int k = 0; k < d->ndays; k++)
		counts[p->days[k] <= AX_CTL__COUNT ? p->days[k] : 0]++;
	for (size_t n = 0; d->calendar && n < d->calendar->ninst; n++)
		ngaps += d->calendar->inst[n].controls[i] ? (int)d->calendar->inst[n].ngaps : 0;
	ax_buf_printf(out, "<br><svg class=\"strip\" width=\"%d\" height=\"14\" viewBox=\"0 0 %d 14\" "
			   "preserveAspectRatio=\"none\" role=\"img\"><title>run calendar, %d days oldest first:",
		      d->ndays * 4 < 480 ? d->ndays * 4 : 480, d->ndays * 4, d->ndays);
	for (int s = 1; s <= AX_CTL__COUNT; s++)
		if (counts[s])
			ax_buf_printf(out, " %s %d", ax_control_status_name((enum ax_control_status)(s - 1)), counts[s]);
	if (counts[0])
		ax_buf_printf(out, " no evidence %d", counts[0]);
	if (ngaps)
		ax_buf_printf(out, "; %d gap%s in the runs", ngaps, ngaps == 1 ? "" : "s");
	ax_buf_puts(out, "</title>");
	for (int k = 0; k < d->ndays; k++) {
		if (p->days[k])
			ax_buf_printf(out, "<rect x=\"%d\" width=\"3\" height=\"10\" fill=\"%s\"/>", k * 4,
				      strip_fill(p->days[k]));
		else
			ax_buf_printf(out, "<rect x=\"%d\" y=\"4\" width=\"3\" height=\"2\" fill=\"#bbb\"/>", k * 4);
	}
	for (size_t n = 0; d->calendar && span > 0 && n < d->calendar->ninst; n++) {
		const struct ax_period_instance *in = &d->calendar->inst[n];
		for (size_t g = 0; in->controls[i] && g < in->ngaps; g++) {
			int64_t a = in->gaps[g].from - d->period_start, b = in->gaps[g].to - d->period_start;
			double x = (double)(a < 0 ? 0 : a) * d->ndays * 4 / (double)span;
			double w = (double)(b - (a < 0 ? 0 : a)) * d->ndays * 4 / (double)span;
			ax_buf_printf(out, "<rect x=\"%.1f\" y=\"11\" width=\"%.1f\" height=\"3\" fill=\"#c0392b\"/>", x,
				      w < 1 ? 1 : w);
		}
	}
	ax_buf_printf(out, "</svg> <span class=\"calendar\">%d of %d day%s with evidence</span>", p->days_with_evidence,
		      d->ndays, d->ndays == 1 ? "" : "s");
}

static void put_strip(const struct ax_export_data *d, size_t i, struct ax_buf *out)
{
	if (d->ndays >= CALENDAR_MIN_DAYS)
		put_calendar(d, i, out);
	else
		put_slices(d, i, out);
}

/* Per theme, the share of its evaluated controls that passed in each slice
 * of the period: bars of 0 to 100%, drawn as inline SVG. Themes with no
 * evaluated control are left out; no chart when none was evaluated. */
static void put_chart(const struct ax_export_data *d, struct ax_buf *out)
{
	enum { BAR = 12, GAP = 2, H = 40 };
	int shown = 0;
	if (!d->period)
		return;
	for (size_t t = 0; t <= NTHEMES; t++) {
		int pass[AX_STRIP] = {0}, evald[AX_STRIP] = {0}, any = 0;
		const char *name = t < NTHEMES ? themes[t] : "Other";
		for (size_t i = 0; i < d->status->ncontrols; i++) {
			if ((size_t)theme_index(d->status->controls[i].control->theme) != t)
				continue;
			for (size_t k = 0; k < AX_STRIP; k++) {
				int v = d->period[i].strip[k];
				evald[k] += v != 0;
				pass[k] += v == AX_CTL_PASS + 1;
				any |= v != 0;
			}
		}
		if (!any)
			continue;
		if (!shown++)
			ax_buf_puts(out, "<figure class=\"chart\"><figcaption>Share of evaluated controls passing over the "
					 "period, per theme (oldest left)</figcaption>\n");
		ax_buf_printf(out, "<div class=\"theme-chart\"><span>%s</span><svg width=\"%d\" height=\"%d\" "
				   "viewBox=\"0 0 %d %d\" role=\"img\"><title>%s: share passing per slice:",
			      name, AX_STRIP * (BAR + GAP), H, AX_STRIP * (BAR + GAP), H, name);
		for (size_t k = 0; k < AX_STRIP; k++)
			if (evald[k])
				ax_buf_printf(out, " %d%%", pass[k] * 100 / evald[k]);
			else
				ax_buf_puts(out, " -");
		ax_buf_printf(out, "</title><rect width=\"%d\" height=\"%d\" fill=\"#f3f3f3\"/>", AX_STRIP * (BAR + GAP), H);
		for (size_t k = 0; k < AX_STRIP; k++) {
			if (!evald[k])
				continue;
			int h = pass[k] * H / evald[k];
			ax_buf_printf(out, "<rect x=\"%zu\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#3a9a3a\"/>"
					   "<rect x=\"%zu\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#e8b4ae\"/>",
				      k * (BAR + GAP), H - h, BAR, h, k * (BAR + GAP), BAR, H - h);
		}
		int last = 0, lpass = 0;
		for (size_t k = AX_STRIP; k-- > 0;)
			if (evald[k]) {
				last = evald[k];
				lpass = pass[k];
				break;
			}
		ax_buf_printf(out, "</svg><span class=\"when\">%d of %d passing at the end</span></div>\n", lpass, last);
	}
	if (shown)
		ax_buf_puts(out, "</figure>\n");
}

static void put_share(const struct ax_export_data *d, size_t i, struct ax_buf *out)
{
	const struct ax_export_period_stat *p = d->period ? &d->period[i] : NULL;
	if (!p || p->runs_evaluated <= 0) {
		ax_buf_puts(out, "n/a<br><span class=\"when\">no run evaluated it</span>");
		return;
	}
	/* Floor, so "100%" always means all the evaluated time. */
	long long pct = p->seconds_evaluated > 0 ? (long long)(p->seconds_passed * 100 / p->seconds_evaluated)
						 : (long long)p->runs_passed * 100 / p->runs_evaluated;
	ax_buf_printf(out, "%lld%%<br><span class=\"when\">passing ", pct);
	put_span(out, p->seconds_passed);
	ax_buf_puts(out, " of ");
	put_span(out, p->seconds_evaluated);
	ax_buf_printf(out, "; %d run%s, %d change%s</span>", p->runs_evaluated, p->runs_evaluated == 1 ? "" : "s",
		      p->changes, p->changes == 1 ? "" : "s");
	if (p->window && p->windows_evaluated * 10 < p->windows * 9)
		ax_buf_printf(out, "<br><span class=\"period-gap\">evaluated in %d of %d freshness windows</span>",
			      p->windows_evaluated, p->windows);
	if (p->unresolved)
		ax_buf_printf(out, "<br><span class=\"period-gap\">%d check%s failed without a later pass</span>",
			      p->unresolved, p->unresolved == 1 ? "" : "s");
	put_strip(d, i, out);
}

/* A manual control with nothing behind it (no check, no attached item, no
 * provider): on paper these are one list per theme, not one row each. */
static int is_bare(const struct ax_control_state *cs)
{
	return cs->status == AX_CTL_MANUAL && cs->nrows == 0 && cs->nmanual == 0 && !cs->inherited_from;
}

static void put_control(const struct ax_export_data *d, const struct ax_report_index *ix, size_t i,
			struct ax_buf *out)
{
	const struct ax_control_state *cs = &d->status->controls[i];
	const char *st = ax_control_status_name(cs->status);
	ax_buf_puts(out, "<tr class=\"control\" id=\"");
	ax_html_escape(out, cs->control->id);
	ax_buf_printf(out, "\" data-status=\"%s\"%s>\n<th scope=\"row\" class=\"ctl\"><b>", st,
		      is_bare(cs) ? " data-bare=\"\"" : "");
	ax_html_escape(out, cs->control->id);
	ax_buf_puts(out, "</b>");
	ax_html_escape(out, cs->control->title);
	if (cs->owner) {
		ax_buf_puts(out, "<span class=\"owner\">owner: ");
		ax_html_escape(out, cs->owner);
		ax_buf_puts(out, "</span>");
	}
	ax_buf_printf(out, "</th>\n<td class=\"st\"><span class=\"status s-%s\">%s</span></td>\n<td>", st, st);
	/* What passes or waits for attached evidence is read on demand; what
	 * fails, errors or is partial stays open. */
	int fold = cs->status == AX_CTL_PASS || cs->status == AX_CTL_MANUAL || cs->status == AX_CTL_NOT_APPLICABLE;
	if (fold) {
		ax_buf_puts(out, "<details><summary>");
		if (cs->nrows)
			ax_buf_printf(out, "%zu check%s", cs->nrows, cs->nrows == 1 ? "" : "s");
		else
			ax_buf_puts(out, "no automated check");
		if (cs->nmanual)
			ax_buf_printf(out, ", %zu manual item%s", cs->nmanual, cs->nmanual == 1 ? "" : "s");
		ax_buf_puts(out, "</summary>");
	}
	put_checks(d, ix, cs, out);
	if (fold)
		ax_buf_puts(out, "</details>");
	ax_buf_puts(out, "</td>\n<td class=\"share\">");
	put_share(d, i, out);
	ax_buf_puts(out, "</td>\n</tr>\n");
}

static void put_theme(const struct ax_export_data *d, const struct ax_report_index *ix, size_t t,
		      struct ax_buf *out)
{
	const char *name = t < NTHEMES ? themes[t] : "Other";
	size_t n = 0;
	for (size_t i = 0; i < d->status->ncontrols; i++)
		n += (size_t)theme_index(d->status->controls[i].control->theme) == t;
	if (n == 0)
		return;
	ax_buf_printf(out,
		      "<section id=\"theme-%s\">\n<h2>%s controls (%zu)</h2>\n<table class=\"controls\">\n"
		      "<caption>%s controls: status, the checks behind each one with their last result, "
		      "and the share of the period's runs in which it passed</caption>\n"
		      "<thead><tr><th scope=\"col\">Control</th><th scope=\"col\">Status</th>"
		      "<th scope=\"col\">Checks and last results</th><th scope=\"col\">Passed in period</th></tr>"
		      "</thead>\n<tbody>\n",
		      name, name, n, name);
	size_t bare = 0;
	for (size_t i = 0; i < d->status->ncontrols; i++) {
		const struct ax_control_state *cs = &d->status->controls[i];
		if ((size_t)theme_index(cs->control->theme) != t || !is_bare(cs))
			continue;
		if (bare++ == 0)
			ax_buf_puts(out, "<tr class=\"bare-list\"><td colspan=\"4\"><b>manual, no evidence attached:</b> ");
		else
			ax_buf_puts(out, "; ");
		ax_buf_puts(out, "<b>");
		ax_html_escape(out, cs->control->id);
		ax_buf_puts(out, "</b> ");
		ax_html_escape(out, cs->control->title);
	}
	if (bare)
		ax_buf_puts(out, "</td></tr>\n");
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if ((size_t)theme_index(d->status->controls[i].control->theme) == t)
			put_control(d, ix, i, out);
	ax_buf_puts(out, "</tbody>\n</table>\n</section>\n");
}

/* The one line that says why a control fails: its first check whose
 * status decides the control's ("instance check: message"), and how many
 * more checks ended alike. */
static void put_reason(const struct ax_control_state *cs, struct ax_buf *out)
{
	enum ax_check_status want = cs->status == AX_CTL_FAIL ? AX_CHECK_FAIL : AX_CHECK_ERROR;
	const struct ax_result *first = NULL;
	size_t more = 0;
	for (size_t r = 0; r < cs->nrows; r++) {
		const struct ax_result *res = cs->rows[r].result;
		int counts = cs->status == AX_CTL_STALE ? cs->rows[r].stale : res->status == want;
		if (!counts)
			continue;
		if (first)
			more++;
		else
			first = res;
	}
	if (!first) {
		ax_buf_puts(out, cs->status == AX_CTL_STALE ? "attached evidence expired" : "(no check named)");
		return;
	}
	if (cs->status == AX_CTL_STALE)
		ax_buf_puts(out, "no fresh result: ");
	ax_buf_puts(out, "<code>");
	ax_html_escape(out, first->instance);
	ax_buf_puts(out, "</code> <code>");
	ax_html_escape(out, first->check);
	ax_buf_puts(out, "</code>: ");
	ax_html_escape(out, first->message && *first->message ? first->message : "(no message)");
	if (more)
		ax_buf_printf(out, " <span class=\"when\">(and %zu more)</span>", more);
}

/* The change of each count since the end of the previous period of the
 * same length (export_data.c build_previous). */
static void put_change(const struct ax_export_data *d, struct ax_buf *out)
{
	static const struct {
		enum ax_control_status st;
		const char *label;
	} shown[] = {{AX_CTL_PASS, "passing"}, {AX_CTL_PARTIAL, "partial"}, {AX_CTL_FAIL, "failing"},
		     {AX_CTL_ERROR, "erroring"}, {AX_CTL_STALE, "stale"},     {AX_CTL_MANUAL, "manual"},
		     {AX_CTL_NOT_APPLICABLE, "excluded"}, {AX_CTL_NOT_COVERED, "not covered"}};
	if (!d->since)
		return; /* an unbounded period has no previous one */
	ax_buf_puts(out, "<p class=\"change\">");
	if (!d->have_previous) {
		ax_buf_puts(out, "No collection run in the previous period (");
		put_time(out, d->previous_since);
		ax_buf_puts(out, " to ");
		put_time(out, d->since);
		ax_buf_puts(out, ") to compare with.</p>\n");
		return;
	}
	ax_buf_puts(out, "Since the previous period (");
	put_time(out, d->previous_since);
	ax_buf_puts(out, " to ");
	put_time(out, d->since);
	ax_buf_puts(out, "): ");
	size_t changed = 0;
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		int delta = d->status->counts[shown[i].st] - d->previous_counts[shown[i].st];
		if (delta)
			ax_buf_printf(out, "%s<span class=\"delta\" data-status=\"%s\">%s %+d</span>", changed++ ? ", " : "",
				      ax_control_status_name(shown[i].st), shown[i].label, delta);
	}
	ax_buf_puts(out, changed ? ".</p>\n" : "no change in any count.</p>\n");
}

/* The first screen: the overall figure, then every failing, erroring or
 * stale control with its reason and owner, before any passing row. */
static void put_overview(const struct ax_export_data *d, struct ax_buf *out)
{
	const int *c = d->status->counts;
	size_t n = 0;
	ax_buf_printf(out,
		      "<section id=\"overview\">\n<p class=\"figure\"><b>%zu controls:</b> "
		      "<span class=\"status s-pass\">%d passing</span> <span class=\"status s-partial\">%d partial</span> "
		      "<span class=\"status s-fail\">%d failing</span> <span class=\"status s-error\">%d erroring</span> "
		      "<span class=\"status s-stale\">%d stale</span> <span class=\"status s-manual\">%d manual</span> "
		      "<span class=\"status s-not_applicable\">%d excluded</span>",
		      d->status->ncontrols, c[AX_CTL_PASS], c[AX_CTL_PARTIAL], c[AX_CTL_FAIL], c[AX_CTL_ERROR],
		      c[AX_CTL_STALE], c[AX_CTL_MANUAL], c[AX_CTL_NOT_APPLICABLE]);
	if (c[AX_CTL_NOT_COVERED])
		ax_buf_printf(out, " <span class=\"status s-not_covered\">%d not covered</span>", c[AX_CTL_NOT_COVERED]);
	ax_buf_puts(out, "</p>\n");
	put_change(d, out);
	for (size_t i = 0; i < d->status->ncontrols; i++)
		n += ax_status_needs_attention(d->status->controls[i].status);
	put_chart(d, out);
	if (n == 0) {
		ax_buf_puts(out, "<p class=\"note\">No control fails, errors or is stale.</p>\n</section>\n");
		return;
	}
	ax_buf_printf(out, "<table class=\"attention\">\n<caption>Needs attention: %zu control%s failing, erroring or "
			   "stale</caption>\n<thead><tr><th scope=\"col\">Control</th><th scope=\"col\">Status</th>"
			   "<th scope=\"col\">Reason</th><th scope=\"col\">Owner</th></tr></thead>\n<tbody>\n",
		      n, n == 1 ? "" : "s");
	/* fail, then error, then stale: the order in which they are worst */
	static const enum ax_control_status order[] = {AX_CTL_FAIL, AX_CTL_ERROR, AX_CTL_STALE};
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		for (size_t i = 0; i < d->status->ncontrols; i++) {
			const struct ax_control_state *cs = &d->status->controls[i];
			if (cs->status != order[o])
				continue;
			const char *st = ax_control_status_name(cs->status);
			ax_buf_printf(out, "<tr class=\"attention-item\" data-status=\"%s\"><td><a href=\"#", st);
			ax_html_escape(out, cs->control->id);
			ax_buf_puts(out, "\">");
			ax_html_escape(out, cs->control->id);
			ax_buf_puts(out, "</a> ");
			ax_html_escape(out, cs->control->title);
			ax_buf_printf(out, "</td><td><span class=\"status s-%s\">%s</span></td><td>", st, st);
			put_reason(cs, out);
			ax_buf_puts(out, "</td><td>");
			ax_html_escape(out, cs->owner ? cs->owner : "-");
			ax_buf_puts(out, "</td></tr>\n");
		}
	}
	ax_buf_puts(out, "</tbody>\n</table>\n</section>\n");
}

/* Table of contents: per theme its size and how many of its controls
 * need attention. */
static void put_toc(const struct ax_export_data *d, struct ax_buf *out)
{
	ax_buf_puts(out, "<nav id=\"toc\">\n<h2>Contents</h2>\n<ul>\n<li><a href=\"#overview\">Needs attention</a></li>\n"
			 "<li><a href=\"#summary\">Summary</a></li>\n");
	for (size_t t = 0; t <= NTHEMES; t++) {
		const char *name = t < NTHEMES ? themes[t] : "Other";
		size_t n = 0, bad = 0, pass = 0;
		for (size_t i = 0; i < d->status->ncontrols; i++) {
			const struct ax_control_state *cs = &d->status->controls[i];
			if ((size_t)theme_index(cs->control->theme) != t)
				continue;
			n++;
			bad += ax_status_needs_attention(cs->status);
			pass += cs->status == AX_CTL_PASS;
		}
		if (n == 0)
			continue;
		ax_buf_printf(out, "<li><a href=\"#theme-%s\">%s controls</a> (%zu: %zu passing, %zu needing attention)</li>\n",
			      name, name, n, pass, bad);
	}
	ax_buf_puts(out, "</ul>\n</nav>\n");
}

/* The filter: a form the script shows (hidden without it, so the page
 * reads the same with scripts off) that hides control rows and whole
 * themes by status, theme and probe instance. It only reads the page's own
 * attributes (data-status, data-instance, the theme sections) and sets
 * `hidden`; it loads nothing and writes no markup. */
static const char filter_form[] =
	"<form id=\"filter\" hidden>Show <select id=\"f-status\"><option value=\"\">every status</option>"
	"<option value=\"attention\">failing, erroring, stale</option><option>pass</option><option>partial</option>"
	"<option>fail</option><option>error</option><option>stale</option><option>manual</option>"
	"<option>not_applicable</option><option>not_covered</option></select> "
	"<select id=\"f-theme\"><option value=\"\">every theme</option></select> "
	"<select id=\"f-instance\"><option value=\"\">every probe instance</option></select> "
	"<output id=\"f-count\"></output></form>\n";
static const char filter_script[] =
	"<script>(function(){var f=document.getElementById('filter'),S=f.querySelector('#f-status'),"
	"T=f.querySelector('#f-theme'),I=f.querySelector('#f-instance'),rows=document.querySelectorAll('tr.control'),"
	"secs=document.querySelectorAll('section[id^=theme-]'),seen={};"
	"function opt(s,v){var o=document.createElement('option');o.value=o.textContent=v;s.appendChild(o);}"
	"secs.forEach(function(x){opt(T,x.id.slice(6));});"
	"document.querySelectorAll('[data-instance]').forEach(function(x){var v=x.getAttribute('data-instance');"
	"if(!seen[v]){seen[v]=1;}});Object.keys(seen).sort().forEach(function(v){opt(I,v);});"
	"function run(){var n=0;rows.forEach(function(r){var s=r.getAttribute('data-status'),"
	"ok=(!S.value||(S.value=='attention'?/^(fail|error|stale)$/.test(s):s==S.value))&&"
	"(!T.value||r.closest('section').id=='theme-'+T.value)&&"
	"(!I.value||Array.prototype.some.call(r.querySelectorAll('[data-instance]'),"
	"function(x){return x.getAttribute('data-instance')==I.value;}));r.hidden=!ok;n+=ok;});"
	"secs.forEach(function(x){x.hidden=!x.querySelector('tr.control:not([hidden])');});"
	"f.querySelector('#f-count').textContent=n+' of '+rows.length+' controls';}"
	"[S,T,I].forEach(function(x){x.addEventListener('change',run);});f.hidden=false;run();})();</script>\n";

static const char legend[] =
	"<footer>\n<p>Statuses: <b>pass</b> every counted check passed, every need of the control's coverage "
	"statement is answered and the checks held throughout the period; <b>partial</b> the checks pass but "
	"needs are still open (listed under the control) or the checks did not hold throughout the period; "
	"<b>fail</b> a check failed; "
	"<b>error</b> a check could not be evaluated; <b>stale</b> the newest evidence is older than its "
	"freshness limit; <b>manual</b> no automated check at this site, needs attached evidence; "
	"<b>not_applicable</b> excluded in the Statement of Applicability; <b>not_covered</b> mapped checks "
	"have not reported yet. <i>Passed in period</i>: share of the time the control was evaluated "
	"in which the newest result of every check mapped to it passed (runs of other probe instances do not "
	"hide a failing check); a control must also have been evaluated in at least 90% of its freshness "
	"windows, and every failed check must have passed later, or it is partial.</p>\n"
	"<p>Manual evidence counts while approved (or <b>accepted</b>: attached when no approval was required) "
	"and within its validity (effective to expires), and answers its control's open needs; "
	"<b>pending</b> waits for approval by a second person, <b>expired</b> makes its control stale, "
	"<b>revoked</b> never counts again and is shown for the record.</p>\n"
	"<p>Evidence links are relative paths: inside the signed bundle this report belongs to "
	"(<code>manifest.json</code> lists the SHA-256 of every file), or, for a report written by "
	"<code>annexa report -o FILE</code>, the folder <code>FILE.evidence/</code> beside it.</p>\n</footer>\n";

int ax_report_html(const struct ax_export_data *d, struct ax_buf *out)
{
	struct ax_report_index ix;
	int err;

	if (!d || !d->status || !out)
		return ax_error_code(AX_EINVALID, "report.html: no status to report");
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (!d->status->controls[i].control)
			return ax_error_code(AX_EINVALID, "report.html: control %zu has no catalog entry", i);
	if ((err = ax_report_index_build(d, &ix)) < 0)
		return err;
	put_header(d, out);
	ax_buf_puts(out, "<main>\n");
	put_overview(d, out);
	put_toc(d, out);
	put_summary(d, out);
	put_expiring(d, out);
	put_confinement(d, out);
	put_runs(d, out);
	ax_buf_puts(out, filter_form);
	for (size_t t = 0; t <= NTHEMES; t++)
		put_theme(d, &ix, t, out);
	ax_buf_printf(out, "</main>\n%s%s</body>\n</html>\n", legend, filter_script);
	ax_report_index_free(&ix);
	return 0;
}
