/* soa.c - the Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d):
 * every catalog control, whether it applies, the justification for its
 * inclusion or exclusion, its implementation status, what evidences it,
 * its owner and the date of its newest evidence.
 *
 * The CSV is RFC 4180 (CRLF line ends, fields with the separator, a
 * quote, CR or LF quoted, quotes doubled) behind a UTF-8 BOM, with a
 * chosen separator (';' for spreadsheets in locales whose decimal
 * separator is the comma), so spreadsheets read titles such as
 * "Information security in project management, \"x\"" intact. The CSV and
 * the JSON are built from the same per-control values (soa_row). */
#include "controls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "util.h"

/* The theme's default justification for inclusion ([annexa]
 * soa-reason-THEME, defaults in config.c). */
static const char *default_reason(const struct ax_control_state *cs, const struct ax_config *cfg)
{
	static const char *const keys[][2] = {{"Organizational", "soa-reason-organizational"},
					      {"People", "soa-reason-people"},
					      {"Physical", "soa-reason-physical"},
					      {"Technological", "soa-reason-technological"}};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!cs->control->theme || strcmp(cs->control->theme, keys[i][0]) != 0)
			continue;
		const char *v = cfg ? ax_config_get(cfg, "annexa", keys[i][1]) : NULL;
		return v ? v : i < 2 ? "business requirement" : "best practice";
	}
	return "best practice";
}

/* Justification for inclusion ([control] reason, else the theme's
 * default, then any justification written for it) or for exclusion. */
static void justification(const struct ax_control_state *cs, const struct ax_config *cfg, struct ax_buf *out)
{
	const struct ax_control_cfg *cc = cfg ? ax_config_control(cfg, cs->control->id) : NULL;
	ax_buf_clear(out);
	if (cs->status == AX_CTL_NOT_APPLICABLE) {
		ax_buf_puts(out, cs->justification ? cs->justification : "");
		return;
	}
	ax_buf_puts(out, cs->reason ? cs->reason : default_reason(cs, cfg));
	if (cc && cc->justification && *cc->justification)
		ax_buf_printf(out, "; %s", cc->justification);
}

/* ISO/IEC 27001:2022 6.1.3 d) asks whether the necessary controls are
 * implemented. A failing, erroring or stale control is not shown to be
 * implemented now (its annexa status, in the next column, says which);
 * manual and not_covered ones have no evidence yet: planned. */
static const char *implementation(enum ax_control_status s)
{
	switch (s) {
	case AX_CTL_PASS: return "implemented";
	case AX_CTL_PARTIAL: return "partially implemented";
	case AX_CTL_FAIL:
	case AX_CTL_ERROR:
	case AX_CTL_STALE: return "not implemented";
	case AX_CTL_NOT_APPLICABLE: return "excluded";
	default: return "planned";
	}
}

static int manual_counts(const struct ax_manual *m)
{
	return !m->revoked_by && (m->approved_by || !m->approval_required);
}

/* "mx-tls: tls.protocol.tls1_0, tls.cert.expiry; postfix: postfix.smtpd_tls;
 * manual: M-1, M-3 (pending)" (rows come sorted by instance, then check;
 * skip and info rows are no evidence and left out; revoked items too);
 * "manual evidence needed" when nothing evidences the control; "-" when
 * excluded; an inherited control names its provider and the provider's
 * attestation first (it is applicable: the provider implements it). */
static void evidence_source(const struct ax_control_state *cs, struct ax_buf *out)
{
	const char *prev = NULL;
	size_t nman = 0;

	ax_buf_clear(out);
	if (cs->status == AX_CTL_NOT_APPLICABLE) {
		ax_buf_puts(out, "-");
		return;
	}
	if (cs->inherited_from)
		ax_buf_printf(out, "inherited from %s (%s)", cs->inherited_from,
			      cs->inherited_reference ? cs->inherited_reference : "");
	for (size_t i = 0; i < cs->nrows; i++) {
		const struct ax_result *r = cs->rows[i].result;
		if (!ax_check_status_is_evidence(r->status))
			continue;
		if (prev && strcmp(prev, r->instance) == 0) {
			ax_buf_printf(out, ", %s", r->check);
		} else {
			ax_buf_printf(out, "%s%s: %s", out->size ? "; " : "", r->instance, r->check);
			prev = r->instance;
		}
	}
	for (size_t k = 0; k < cs->nmanual; k++) {
		const struct ax_manual *m = cs->manual[k];
		if (m->revoked_by)
			continue;
		ax_buf_printf(out, "%s%s%s", nman++ ? ", " : out->size ? "; manual: " : "manual: ", m->id,
			      manual_counts(m) ? "" : " (pending)");
	}
	if (out->size)
		return;
	ax_buf_puts(out, cs->status == AX_CTL_MANUAL ? "manual evidence needed"
						     : "no results yet (automated checks mapped)");
}

/* Newest evidence: a pass, fail or error result, or the start of a
 * counted manual item; skip and info are not evidence. 0 when none. */
static int64_t last_evidence(const struct ax_control_state *cs, int64_t now)
{
	int64_t t = 0;
	for (size_t i = 0; i < cs->nrows; i++)
		if (ax_check_status_is_evidence(cs->rows[i].result->status) && cs->rows[i].result->collected_at > t)
			t = cs->rows[i].result->collected_at;
	for (size_t k = 0; k < cs->nmanual; k++) {
		const struct ax_manual *m = cs->manual[k];
		if (manual_counts(m) && m->effective_at <= now && m->effective_at > t)
			t = m->effective_at;
	}
	return t;
}

/* One SoA row, as both the CSV and the JSON write it. */
struct soa_row {
	const char *applicable, *implementation, *status, *owner;
	struct ax_buf justification, evidence;
	char last[32]; /* "" when nothing evidences it */
};

static void soa_row(const struct ax_status *st, const struct ax_control_state *cs, const struct ax_config *cfg,
		    struct soa_row *r)
{
	r->applicable = cs->status == AX_CTL_NOT_APPLICABLE ? "no" : "yes";
	r->implementation = implementation(cs->status);
	r->status = ax_control_status_name(cs->status);
	r->owner = cs->owner ? cs->owner : "";
	justification(cs, cfg, &r->justification);
	evidence_source(cs, &r->evidence);
	int64_t t = last_evidence(cs, st->generated_at);
	r->last[0] = '\0';
	if (t)
		ax_time_format(t, r->last);
}

static void put_field(FILE *out, const char *s, char sep, int last)
{
	if (strchr(s, sep) || strpbrk(s, "\"\r\n")) {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else {
		fputs(s, out);
	}
	if (last)
		fputs("\r\n", out);
	else
		fputc(sep, out);
}

int ax_soa_write_csv(const struct ax_status *st, const struct ax_config *cfg, char sep, FILE *out)
{
	static const char *const head[] = {"Control",	    "Title",	       "Applicable",
					   "Justification", "Implementation status", "Evidenced by",
					   "Owner",	    "Last evidence",	       "annexa status"};
	struct soa_row r = {.justification = AX_BUF_INIT, .evidence = AX_BUF_INIT};
	int error = 0;

	if (!st || !out || !sep || strchr("\"\r\n", sep)) {
		error = ax_error_code(AX_EINVALID, "soa: no status or stream, or an unusable separator");
		goto cleanup;
	}
	/* The BOM makes spreadsheet programs read the file as UTF-8. */
	fputs("\xef\xbb\xbf", out);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		put_field(out, head[i], sep, i + 1 == sizeof(head) / sizeof(head[0]));
	for (size_t i = 0; i < st->ncontrols; i++) {
		const struct ax_control_state *cs = &st->controls[i];
		soa_row(st, cs, cfg, &r);
		put_field(out, cs->control->id, sep, 0);
		put_field(out, cs->control->title, sep, 0);
		put_field(out, r.applicable, sep, 0);
		put_field(out, ax_buf_cstr(&r.justification), sep, 0);
		put_field(out, r.implementation, sep, 0);
		put_field(out, ax_buf_cstr(&r.evidence), sep, 0);
		put_field(out, r.owner, sep, 0);
		put_field(out, r.last, sep, 0);
		put_field(out, r.status, sep, 1);
	}
	if (fflush(out) != 0 || ferror(out))
		error = ax_error_set("writing the statement of applicability: %s", strerror(errno));

cleanup:
	ax_buf_free(&r.justification);
	ax_buf_free(&r.evidence);
	return error;
}

/* Fill colour of an implementation status cell (the text says it too). */
static lxw_color_t status_colour(const char *impl)
{
	return strcmp(impl, "implemented") == 0		? 0xD7F0D7
	       : strcmp(impl, "partially implemented") == 0 ? 0xE8F0C8
	       : strcmp(impl, "not implemented") == 0	? 0xF6CCCC
	       : strcmp(impl, "planned") == 0		? 0xE3E3F3
								: 0xEEEEEE;
}

int ax_soa_write_xlsx(const struct ax_status *st, const struct ax_config *cfg, const char *organization,
		      const char *path)
{
	static const char *const head[] = {"Control",	    "Title",	       "Applicable",
					   "Justification", "Implementation status", "Evidenced by",
					   "Owner",	    "Last evidence",	       "annexa status"};
	static const double widths[] = {8, 40, 10, 36, 20, 60, 24, 20, 14};
	static const char *const impls[] = {"implemented", "partially implemented", "not implemented", "planned",
					    "excluded"};
	enum { NCOL = sizeof(head) / sizeof(head[0]) };
	struct soa_row r = {.justification = AX_BUF_INIT, .evidence = AX_BUF_INIT};
	lxw_format *fills[sizeof(impls) / sizeof(impls[0])];
	const char *tmp = getenv("TMPDIR");
	lxw_workbook_options opt = {.tmpdir = (char *)(tmp && *tmp ? tmp : "/tmp")};
	int error = 0;

	if (!st || !path)
		return ax_error_code(AX_EINVALID, "soa: no status or file");
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	if (!wb)
		return ax_error_set("%s: cannot create the workbook", path);
	/* the creation time is the status's: the same data gives the same file */
	lxw_doc_properties props = {.title = "Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d)",
				    .company = (char *)(organization ? organization : ""),
				    .comments = "written by annexa",
				    .created = (time_t)st->generated_at};
	workbook_set_properties(wb, &props);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "SoA");
	lxw_format *bold = workbook_add_format(wb), *wrap = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_bg_color(bold, 0xDDDDDD);
	format_set_text_wrap(bold);
	format_set_align(bold, LXW_ALIGN_VERTICAL_TOP);
	format_set_text_wrap(wrap);
	format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
	for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++) {
		fills[k] = workbook_add_format(wb);
		format_set_bg_color(fills[k], status_colour(impls[k]));
		format_set_align(fills[k], LXW_ALIGN_VERTICAL_TOP);
	}
	for (lxw_col_t c = 0; c < NCOL; c++) {
		worksheet_set_column(ws, c, c, widths[c], wrap);
		worksheet_write_string(ws, 0, c, head[c], bold);
	}
	for (size_t i = 0; i < st->ncontrols; i++) {
		const struct ax_control_state *cs = &st->controls[i];
		lxw_row_t row = (lxw_row_t)(i + 1);
		lxw_format *fill = wrap;
		soa_row(st, cs, cfg, &r);
		for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++)
			if (strcmp(r.implementation, impls[k]) == 0)
				fill = fills[k];
		const char *cells[NCOL] = {cs->control->id, cs->control->title, r.applicable,
					   ax_buf_cstr(&r.justification), r.implementation, ax_buf_cstr(&r.evidence),
					   r.owner, r.last, r.status};
		for (lxw_col_t c = 0; c < NCOL; c++)
			worksheet_write_string(ws, row, c, cells[c], c == 4 ? fill : wrap);
	}
	worksheet_freeze_panes(ws, 1, 1);
	worksheet_autofilter(ws, 0, 0, (lxw_row_t)st->ncontrols, NCOL - 1);
	lxw_error le = workbook_close(wb);
	if (le != LXW_NO_ERROR)
		error = ax_error_set("%s: writing the workbook: %s", path, lxw_strerror(le));
	ax_buf_free(&r.justification);
	ax_buf_free(&r.evidence);
	return error;
}

/* config text may not be UTF-8: then "" rather than a missing key */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("");
}

json_t *ax_soa_to_json(const struct ax_status *st, const struct ax_config *cfg)
{
	struct soa_row r = {.justification = AX_BUF_INIT, .evidence = AX_BUF_INIT};
	json_t *root, *controls;
	char ts[32];

	if (!st)
		return NULL;
	root = json_object();
	controls = json_array();
	ax_time_format(st->generated_at, ts);
	json_object_set_new(root, "generated_at", json_string(ts));
	for (size_t i = 0; i < st->ncontrols; i++) {
		const struct ax_control_state *cs = &st->controls[i];
		json_t *o = json_object(), *checks = json_array();
		soa_row(st, cs, cfg, &r);
		json_object_set_new(o, "id", json_string(cs->control->id));
		json_object_set_new(o, "title", json_string(cs->control->title));
		json_object_set_new(o, "theme", json_string(cs->control->theme));
		json_object_set_new(o, "applicable", json_boolean(cs->status != AX_CTL_NOT_APPLICABLE));
		json_object_set_new(o, "justification", jstr(ax_buf_cstr(&r.justification)));
		json_object_set_new(o, "implementation_status", json_string(r.implementation));
		json_object_set_new(o, "status", json_string(r.status));
		json_object_set_new(o, "evidence_source", jstr(ax_buf_cstr(&r.evidence)));
		json_object_set_new(o, "owner", cs->owner ? jstr(cs->owner) : json_null());
		json_object_set_new(o, "last_evidence", r.last[0] ? json_string(r.last) : json_null());
		if (cs->inherited_from)
			json_object_set_new(o, "inherited",
					    json_pack("{s:o,s:o}", "provider", jstr(cs->inherited_from), "reference",
						      jstr(cs->inherited_reference)));
		/* The same sources, structured, for tools that consume the JSON. */
		for (size_t k = 0; k < cs->nrows; k++) {
			if (!ax_check_status_is_evidence(cs->rows[k].result->status))
				continue;
			json_t *c = json_object();
			json_object_set_new(c, "probe", json_string(cs->rows[k].result->instance));
			json_object_set_new(c, "check", json_string(cs->rows[k].result->check));
			json_array_append_new(checks, c);
		}
		json_object_set_new(o, "checks", checks);
		json_array_append_new(controls, o);
	}
	json_object_set_new(root, "controls", controls);
	ax_buf_free(&r.justification);
	ax_buf_free(&r.evidence);
	return root;
}
