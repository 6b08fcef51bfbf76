/* status_print.c - the human form of a control status: an aligned table of
 * every control, then the failing checks behind each failing or erroring
 * control, then a one-line summary.
 *
 * Probe messages may quote remote servers (SMTP banners, certificate
 * subjects), so control characters are replaced before they reach a
 * terminal: the output can never move the cursor or change colours. */
#include "controls.h"

#include <string.h>

#include "buf.h"
#include "util.h"

static void put_clean(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
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
	for (i = 0; i < cs->nrows; i++) {
		const struct ax_check_row *row = &cs->rows[i];
		const struct ax_result *r = row->result;
		char ts[32];
		if (!all && r->status != AX_CHECK_FAIL && r->status != AX_CHECK_ERROR)
			continue;
		ax_time_format(r->collected_at, ts);
		fprintf(out, "    %-5s %-*s  %-*s  %s%s  ", ax_check_status_name(r->status), wi, r->instance, wc,
			r->check, ts, row->stale ? " (stale)" : "");
		put_clean(out, r->message);
		fputc('\n', out);
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
		fprintf(out, "    %-8s %-6s %s .. %s  attached by ", ax_manual_state_name(m->state), m->id, eff, exp);
		put_clean(out, m->attached_by);
		if (m->approved_by) {
			fprintf(out, ", approved by ");
			put_clean(out, m->approved_by);
		}
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

void ax_status_print(const struct ax_status *st, FILE *out, const char *control_id)
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
		if (one && cs != one)
			continue;
		fprintf(out, "%-7s  %-14s  %6zu  %s%s\n", cs->control->id, ax_control_status_name(cs->status), cs->nrows,
			cs->control->title, cs->manual_pending ? " [manual evidence pending approval]" : "");
		if (show_rows_of(cs, one != NULL))
			details = 1;
	}

	if (one) {
		if (one->status == AX_CTL_NOT_APPLICABLE) {
			fprintf(out, "\n  not applicable: ");
			put_clean(out, one->justification ? one->justification : "(no justification given)");
			fputc('\n', out);
		}
		if (one->nrows) {
			fputc('\n', out);
			print_rows(one, out, 1);
		}
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
			fprintf(out, "  %s %s: %s\n", cs->control->id, cs->control->title,
				ax_control_status_name(cs->status));
			print_rows(cs, out, 0);
		}
	}

	print_expiring(st, out);
	fprintf(out, "\n%zu controls:", st->ncontrols);
	for (int s = 0; s < AX_CTL__COUNT; s++)
		fprintf(out, " %d %s%s", st->counts[s], ax_control_status_name((enum ax_control_status)s),
			s + 1 < AX_CTL__COUNT ? "," : "\n");
}
