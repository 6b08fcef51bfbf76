/* soa.c - the Statement of Applicability: every catalog control, whether it
 * applies, why not, its implementation status and what evidences it.
 *
 * The CSV is RFC 4180 (CRLF line ends, fields with a comma, quote, CR or LF
 * quoted, quotes doubled), so spreadsheets and csv parsers read titles such
 * as "Information security in project management, \"x\"" intact. The CSV
 * and the JSON are built from the same per-control values. */
#include "controls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "util.h"

/* A justification written for an applicable control is kept too: the SoA
 * asks for the reason of inclusion as well as of exclusion. */
static const char *justification_of(const struct ax_control_state *cs, const struct ax_config *cfg)
{
	const struct ax_control_cfg *cc;
	if (cs->justification)
		return cs->justification;
	cc = cfg ? ax_config_control(cfg, cs->control->id) : NULL;
	return cc && cc->justification ? cc->justification : "";
}

/* "mx-tls: tls.protocol.tls1_0, tls.cert.expiry; postfix: postfix.smtpd_tls"
 * (rows come sorted by instance, then check; skip and info rows are no
 * evidence and left out); "manual" when nothing automated maps to the
 * control; the justification when excluded; an inherited control names
 * its provider and the provider's attestation first (it is applicable:
 * the provider implements it). */
static void evidence_source(const struct ax_control_state *cs, const struct ax_config *cfg, struct ax_buf *out)
{
	const char *prev = NULL;

	ax_buf_clear(out);
	if (cs->inherited_from) {
		ax_buf_printf(out, "inherited from %s (%s)", cs->inherited_from,
			      cs->inherited_reference ? cs->inherited_reference : "");
		if (cs->status == AX_CTL_MANUAL || cs->nrows == 0)
			return;
		ax_buf_puts(out, "; ");
	}
	if (cs->status == AX_CTL_NOT_APPLICABLE) {
		const char *j = justification_of(cs, cfg);
		ax_buf_puts(out, *j ? j : "not applicable");
		return;
	}
	if (cs->status == AX_CTL_MANUAL) {
		ax_buf_puts(out, "manual");
		return;
	}
	for (size_t i = 0; i < cs->nrows; i++) {
		const struct ax_result *r = cs->rows[i].result;
		if (!ax_check_status_is_evidence(r->status))
			continue;
		if (prev && strcmp(prev, r->instance) == 0) {
			ax_buf_printf(out, ", %s", r->check);
		} else {
			ax_buf_printf(out, "%s%s: %s", prev ? "; " : "", r->instance, r->check);
			prev = r->instance;
		}
	}
	if (!prev)
		ax_buf_puts(out, "no results yet (automated checks mapped)");
}

static void put_field(FILE *out, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
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
	fputs(last ? "\r\n" : ",", out);
}

int ax_soa_write_csv(const struct ax_status *st, const struct ax_config *cfg, FILE *out)
{
	struct ax_buf src = AX_BUF_INIT;
	int error = 0;

	if (!st || !out) {
		error = ax_error_code(AX_EINVALID, "soa: no status or stream");
		goto cleanup;
	}
	fputs("id,title,applicable,justification,implementation_status,evidence_source\r\n", out);
	for (size_t i = 0; i < st->ncontrols; i++) {
		const struct ax_control_state *cs = &st->controls[i];
		evidence_source(cs, cfg, &src);
		put_field(out, cs->control->id, 0);
		put_field(out, cs->control->title, 0);
		put_field(out, cs->status == AX_CTL_NOT_APPLICABLE ? "no" : "yes", 0);
		put_field(out, justification_of(cs, cfg), 0);
		put_field(out, ax_control_status_name(cs->status), 0);
		put_field(out, ax_buf_cstr(&src), 1);
	}
	if (fflush(out) != 0 || ferror(out))
		error = ax_error_set("writing the statement of applicability: %s", strerror(errno));

cleanup:
	ax_buf_free(&src);
	return error;
}

json_t *ax_soa_to_json(const struct ax_status *st, const struct ax_config *cfg)
{
	struct ax_buf src = AX_BUF_INIT;
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
		evidence_source(cs, cfg, &src);
		json_object_set_new(o, "id", json_string(cs->control->id));
		json_object_set_new(o, "title", json_string(cs->control->title));
		json_object_set_new(o, "theme", json_string(cs->control->theme));
		json_object_set_new(o, "applicable", json_boolean(cs->status != AX_CTL_NOT_APPLICABLE));
		/* config text may not be UTF-8: then "" rather than a missing key */
		json_t *just = json_string(justification_of(cs, cfg));
		json_object_set_new(o, "justification", just ? just : json_string(""));
		json_object_set_new(o, "implementation_status", json_string(ax_control_status_name(cs->status)));
		json_t *es = json_string(ax_buf_cstr(&src));
		json_object_set_new(o, "evidence_source", es ? es : json_string(""));
		if (cs->inherited_from) {
			json_t *prov = json_string(cs->inherited_from), *ref = json_string(cs->inherited_reference);
			json_object_set_new(o, "inherited",
					    json_pack("{s:o,s:o}", "provider", prov ? prov : json_string(""), "reference",
						      ref ? ref : json_string("")));
		}
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
	ax_buf_free(&src);
	return root;
}
