/* report.c - report.html: PLACEHOLDER until the report engineer's version
 * lands. A valid, self-contained HTML page (inline CSS, no external
 * requests) with one row per control: id, theme, title, status and the
 * share of the period's runs in which it passed. All text is escaped. */
#include "export.h"

#include "controls.h"
#include "util.h"

static void esc(struct ax_buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': ax_buf_puts(out, "&lt;"); break;
		case '>': ax_buf_puts(out, "&gt;"); break;
		case '&': ax_buf_puts(out, "&amp;"); break;
		case '"': ax_buf_puts(out, "&quot;"); break;
		case '\'': ax_buf_puts(out, "&#39;"); break;
		default: ax_buf_putc(out, *s);
		}
	}
}

int ax_report_html(const struct ax_export_data *d, struct ax_buf *out)
{
	char gen[32];
	ax_time_format(d->generated_at, gen);
	ax_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Annex A control status - ");
	esc(out, d->organization);
	ax_buf_puts(out, "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
			 "td,th{border:1px solid #999;padding:2px 6px}.pass{background:#cfc}.fail{background:#fcc}"
			 ".error{background:#fdb}</style></head><body>\n<h1>Annex A control status: ");
	esc(out, d->organization);
	ax_buf_printf(out, "</h1>\n<p>Generated %s, %zu runs in the period.</p>\n<table id=\"controls\">\n"
			   "<tr><th>Control</th><th>Theme</th><th>Title</th><th>Status</th><th>Passed in period</th></tr>\n",
		      gen, d->nruns);
	for (size_t i = 0; i < d->status->ncontrols; i++) {
		const struct ax_control_state *c = &d->status->controls[i];
		const char *st = ax_control_status_name(c->status);
		double share = ax_export_pass_share(d, i);
		ax_buf_printf(out, "<tr class=\"control %s\" id=\"%s\"><td>", st, c->control->id);
		esc(out, c->control->id);
		ax_buf_puts(out, "</td><td>");
		esc(out, c->control->theme);
		ax_buf_puts(out, "</td><td>");
		esc(out, c->control->title);
		ax_buf_printf(out, "</td><td>%s</td><td>", st);
		if (share < 0)
			ax_buf_puts(out, "n/a");
		else
			ax_buf_printf(out, "%.0f%% of %d runs", share * 100, d->period[i].runs_evaluated);
		ax_buf_puts(out, "</td></tr>\n");
	}
	ax_buf_puts(out, "</table>\n</body></html>\n");
	return 0;
}
