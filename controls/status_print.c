/* status_print.c - the human form of a control status: an aligned table of
 * every control, then the failing checks behind each failing or erroring
 * control, then a one-line summary; for one control (--control) its
 * checks, what they cover and what is still needed, and its manual
 * evidence. Every line fits AX_TERM_WIDTH (80) columns: long text wraps at
 * word boundaries, indented under its column (ax_wrap).
 *
 * Probe messages may quote remote servers (SMTP banners, certificate
 * subjects), so control characters are replaced before they reach a
 * terminal: the output can never move the cursor or change colours. */
#include "controls.h"

#include <string.h>

#include "buf.h"
#include "probe.h"
#include "util.h"

static void put_clean(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

/* The rest of a line started at column col, wrapped at word boundaries,
 * continued indent columns in, then the newline. */
static void wrap_line(FILE *out, size_t col, const char *text, size_t indent)
{
	ax_wrap(out, &col, text, indent);
	fputc('\n', out);
}

static int show_rows_of(const struct ax_control_state *cs, int all)
{
	return all || cs->status == AX_CTL_FAIL || cs->status == AX_CTL_ERROR;
}

/* With all, every row (the --control view); otherwise the rows that made
 * the control fail or error. */
static void print_rows(const struct ax_control_state *cs, FILE *out, int all)
{
	int wi = 0, wc = 0;
	size_t i;

	for (i = 0; i < cs->nrows; i++) {
		const struct ax_result *r = cs->rows[i].result;
		if (!all && r->status != AX_CHECK_FAIL && r->status != AX_CHECK_ERROR)
			continue;
		if ((int)strlen(r->instance) > wi)
			wi = (int)strlen(r->instance);
		if ((int)strlen(r->check) > wc)
			wc = (int)strlen(r->check);
	}
	/* aligned while the columns fit the line, else wrapped like text */
	int aligned = 4 + 6 + wi + 2 + wc + 2 + 20 <= AX_TERM_WIDTH;
	for (i = 0; i < cs->nrows; i++) {
		const struct ax_check_row *row = &cs->rows[i];
		const struct ax_result *r = row->result;
		char ts[32];
		size_t col = 4;
		if (!all && r->status != AX_CHECK_FAIL && r->status != AX_CHECK_ERROR)
			continue;
		ax_time_format(r->collected_at, ts);
		if (aligned) {
			int n = fprintf(out, "    %-5s %-*s  %-*s  %s%s", ax_check_status_name(r->status), wi, r->instance,
					wc, r->check, ts, row->stale ? " (stale)" : "");
			col = n > 0 ? (size_t)n : 0;
		} else {
			struct ax_buf head = AX_BUF_INIT;
			ax_buf_printf(&head, "%-5s %s %s %s%s", ax_check_status_name(r->status), r->instance, r->check, ts,
				      row->stale ? " (stale)" : "");
			fputs("    ", out);
			ax_wrap(out, &col, ax_buf_cstr(&head), 10);
			ax_buf_free(&head);
		}
		wrap_line(out, col, r->message, 10);
		const char *fix = r->status == AX_CHECK_FAIL ? ax_probe_fix(r->check) : NULL;
		if (fix) {
			int n = fprintf(out, "          fix: ");
			wrap_line(out, n > 0 ? (size_t)n : 0, fix, 15);
		}
	}
}

/* One line per manual evidence item of the control (the --control view). */
static void print_manual(const struct ax_control_state *cs, FILE *out)
{
	for (size_t i = 0; i < cs->nmanual; i++) {
		const struct ax_manual *m = cs->manual[i];
		char eff[32], exp[32];
		ax_time_format(m->effective_at, eff);
		ax_time_format(m->expires_at, exp);
		fprintf(out, "    %-8s %-6s %s .. %s  attached by ", ax_manual_state_label(m), m->id, eff, exp);
		put_clean(out, m->attached_by);
		if (m->approved_by) {
			fprintf(out, ", approved by ");
			put_clean(out, m->approved_by);
		}
		if (m->state == AX_MANUAL_APPROVED && !m->approved_by)
			fprintf(out, " (no approval required)");
		if (m->revoked_by) {
			fprintf(out, ", revoked by ");
			put_clean(out, m->revoked_by);
			fprintf(out, ": ");
			put_clean(out, m->revoke_reason);
		}
		for (size_t f = 0; f < m->nfiles; f++) {
			fputs(f ? ", " : "  files: ", out);
			put_clean(out, m->files[f].name);
		}
		fputc('\n', out);
	}
}

/* The coverage statement: what the site's checks cover, then the needs
 * still open, then the answered ones and how. */
static void print_coverage(const struct ax_control_state *cs, FILE *out)
{
	const struct ax_coverage *cov = cs->coverage;
	size_t i, shown = 0;
	fprintf(out, "\n  purpose:");
	wrap_line(out, 10, cov->purpose, 4);
	fprintf(out, "  covered by the checks here:\n");
	for (i = 0; i < cov->ncovered; i++) {
		if (!ax_status_covers(cs, &cov->covered[i]))
			continue;
		int n = fprintf(out, "    %-14s [%s]", cov->covered[i].probe, ax_aspect_name(cov->covered[i].aspect));
		wrap_line(out, n > 0 ? (size_t)n : 0, cov->covered[i].text, 6);
		shown++;
	}
	if (!shown)
		fprintf(out, "    (nothing: no mapped check has reported)\n");
	fprintf(out, "  still needed (%zu):\n", cs->open_needs);
	for (i = 0; i < cov->nneeds; i++) {
		if (cs->answered[i] != AX_ANSWER_OPEN)
			continue;
		int n = fprintf(out, "    %s:%s [%s]", cov->control, cov->needs[i].id, ax_aspect_name(cov->needs[i].aspect));
		wrap_line(out, n > 0 ? (size_t)n : 0, cov->needs[i].text, 6);
	}
	if (!cs->open_needs)
		fprintf(out, "    (none)\n");
	if (cs->open_needs < cov->nneeds) {
		fprintf(out, "  answered:\n");
		for (i = 0; i < cov->nneeds; i++) {
			if (cs->answered[i] == AX_ANSWER_OPEN)
				continue;
			fprintf(out, "    %s:%s by ", cov->control, cov->needs[i].id);
			if (cs->answered[i] == AX_ANSWER_CHECK)
				fputs("a fresh passing check", out);
			for (size_t k = 0; cs->answered[i] == AX_ANSWER_MANUAL && cs->answered_items &&
					   k < cs->answered_items[i].n;
			     k++) {
				const struct ax_manual *m = cs->answered_items[i].items[k];
				fprintf(out, "%s%s (", k ? ", " : "", m->id);
				for (size_t f = 0; f < m->nfiles; f++) {
					fputs(f ? ", " : "", out);
					put_clean(out, m->files[f].name);
				}
				fputc(')', out);
			}
			fputc('\n', out);
		}
	}
}

static void print_expiring(const struct ax_status *st, FILE *out)
{
	char warn[32], exp[32];
	if (!st->nexpiring)
		return;
	ax_duration_format(st->expiry_warning, warn);
	fprintf(out, "\nManual evidence expiring within %s:\n", warn);
	for (size_t i = 0; i < st->nexpiring; i++) {
		const struct ax_manual *m = st->expiring[i].item;
		ax_time_format(m->expires_at, exp);
		fprintf(out, "  %-7s %-6s expires %s", st->expiring[i].control, m->id, exp);
		if (m->owner && *m->owner) {
			fprintf(out, "  owner ");
			put_clean(out, m->owner);
		}
		fputc('\n', out);
	}
}

int ax_status_needs_attention(enum ax_control_status s)
{
	return s == AX_CTL_FAIL || s == AX_CTL_ERROR || s == AX_CTL_STALE;
}

void ax_status_print(const struct ax_status *st, FILE *out, const char *control_id, int failing_only)
{
	const struct ax_control_state *one = NULL;
	size_t i;
	int details = 0;

	if (!st)
		return;
	if (control_id) {
		for (i = 0; i < st->ncontrols && !one; i++)
			if (strcmp(st->controls[i].control->id, control_id) == 0)
				one = &st->controls[i];
		if (!one) {
			fprintf(out, "no control \"");
			put_clean(out, control_id);
			fprintf(out, "\" in the catalog\n");
			return;
		}
	}

	fprintf(out, "%-7s  %-14s  %6s  %s\n", "CONTROL", "STATUS", "CHECKS", "TITLE");
	for (i = 0; i < st->ncontrols; i++) {
		const struct ax_control_state *cs = &st->controls[i];
		if ((one && cs != one) || (failing_only && !ax_status_needs_attention(cs->status)))
			continue;
		struct ax_buf title = AX_BUF_INIT;
		ax_buf_printf(&title, "%s%s", cs->control->title,
			      cs->manual_pending ? " [manual evidence pending approval]" : "");
		if (cs->status == AX_CTL_PARTIAL)
			ax_buf_printf(&title, " [%zu need%s open]", cs->open_needs, cs->open_needs == 1 ? "" : "s");
		if (cs->inherited_from)
			ax_buf_printf(&title, " [inherited: %s]", cs->inherited_from);
		if (cs->owner && !one)
			ax_buf_printf(&title, " [owner: %s]", cs->owner);
		fprintf(out, "%-7s  %-14s  %6zu  ", cs->control->id, ax_control_status_name(cs->status), cs->nrows);
		wrap_line(out, 33, ax_buf_cstr(&title), 33);
		ax_buf_free(&title);
		if (show_rows_of(cs, one != NULL))
			details = 1;
	}

	if (one) {
		if (one->owner) {
			fprintf(out, "\n  owner: ");
			put_clean(out, one->owner);
			fputc('\n', out);
		}
		if (one->status == AX_CTL_NOT_APPLICABLE) {
			fprintf(out, "\n  not applicable: ");
			put_clean(out, one->justification ? one->justification : "(no justification given)");
			fputc('\n', out);
		}
		if (one->inherited_from) {
			fprintf(out, "\n  inherited from ");
			put_clean(out, one->inherited_from);
			fprintf(out, ": ");
			put_clean(out, one->inherited_reference);
			fputc('\n', out);
		}
		if (one->nrows) {
			fputc('\n', out);
			print_rows(one, out, 1);
		}
		if (one->coverage && one->status != AX_CTL_NOT_APPLICABLE)
			print_coverage(one, out);
		if (one->nmanual) {
			fprintf(out, "\n  manual evidence:\n");
			print_manual(one, out);
		}
		return;
	}

	if (details) {
		fprintf(out, "\nFailing checks:\n");
		for (i = 0; i < st->ncontrols; i++) {
			const struct ax_control_state *cs = &st->controls[i];
			if (!show_rows_of(cs, 0))
				continue;
			int n = fprintf(out, "  %s", cs->control->id);
			struct ax_buf head = AX_BUF_INIT;
			ax_buf_printf(&head, "%s: %s", cs->control->title, ax_control_status_name(cs->status));
			wrap_line(out, n > 0 ? (size_t)n : 0, ax_buf_cstr(&head), 4);
			ax_buf_free(&head);
			print_rows(cs, out, 0);
		}
	}

	print_expiring(st, out);
	struct ax_buf sum = AX_BUF_INIT;
	for (int s = 0; s < AX_CTL__COUNT; s++)
		ax_buf_printf(&sum, " %d %s%s", st->counts[s], ax_control_status_name((enum ax_control_status)s),
			      s + 1 < AX_CTL__COUNT ? "," : "");
	int n = fprintf(out, "\n%zu controls:", st->ncontrols);
	wrap_line(out, n > 1 ? (size_t)n - 1 : 0, ax_buf_cstr(&sum), 2);
	ax_buf_free(&sum);
}
