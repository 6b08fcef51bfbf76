/* oscal_xml.c - oscal/assessment-results.xml: the period's automated and
 * manual control evidence as NIST OSCAL 1.0.6 assessment results (XML, namespace
 * http://csrc.nist.gov/ns/oscal/1.0), valid against
 * oscal_assessment-results_schema-1.0.6.xsd (tests/data/oscal/).
 *
 * Mapping (README "Report and OSCAL"):
 *  - one <result> spanning the period (start = since or the first run,
 *    end = until or the export time); reviewed-controls = include-all
 *    minus exclude-control for every not_applicable control;
 *  - one <observation> (method TEST) per newest result of every (instance,
 *    check) in the period, skip results left out; collected = its RFC 3339
 *    time, description = its message, relevant-evidence = the artifacts the
 *    producing run carried for the instance, by bundle path;
 *  - one <observation> (method EXAMINE) per manual evidence item of the
 *    period and control: collected = attached, expires = end of validity,
 *    relevant-evidence = its files' bundle paths under that control,
 *    props with the item id, state at the end of the period and owner;
 *  - one <finding> per control with an assessed status (pass, fail,
 *    error, stale: from checks, manual evidence or both, as `annexa
 *    status` combines them): target type objective-id, target-id = the
 *    control id lowercased ("A.5.1" -> "a.5.1", ISO 27001 has no official
 *    OSCAL catalog), status satisfied (pass) or not-satisfied (reason fail
 *    or other), related-observation for each row and each manual item of
 *    the control; manual and not_covered controls get none (nothing was
 *    assessed).
 *  - UUIDs are RFC 4122 version 5 over the URL namespace with names
 *    "urn:annexa:oscal:KIND" followed by newline-separated fields (see
 *    uuid_of callers), so the same data gives the same document.
 *
 * Guarantees: all text goes through ax_text_clean and xmlTextWriter, so
 * nothing a probe sends can break the XML or the schema's string
 * patterns; output is byte-identical for identical input. */
#include "report_gen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "controls.h"
#include "util.h"

#define OSCAL_NS "http://csrc.nist.gov/ns/oscal/1.0"
/* Namespace of annexa's own props (OSCAL wants `ns` on non-OSCAL names). */
#define ANNEXA_NS "urn:annexa:oscal"

/* RFC 4122 appendix C: the URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
static const unsigned char url_ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
					 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

struct writer {
	xmlTextWriterPtr w;
	int bad; /* set by the first failing libxml2 call */
};

static void ok(struct writer *x, int rc)
{
	if (rc < 0)
		x->bad = 1;
}

static void start(struct writer *x, const char *name)
{
	ok(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
}

static void end(struct writer *x)
{
	ok(x, xmlTextWriterEndElement(x->w));
}

static void attr(struct writer *x, const char *name, const char *value)
{
	struct ax_buf clean = AX_BUF_INIT;
	ax_text_clean(&clean, value, 1);
	ok(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST ax_buf_cstr(&clean)));
	ax_buf_free(&clean);
}

static void text(struct writer *x, const char *s)
{
	struct ax_buf clean = AX_BUF_INIT;
	ax_text_clean(&clean, s, 0);
	ok(x, xmlTextWriterWriteString(x->w, BAD_CAST ax_buf_cstr(&clean)));
	ax_buf_free(&clean);
}

/* StringDatatype wants one line, no leading or trailing blank, not empty.
 * Appends to out. */
static void string_value(struct ax_buf *out, const char *s)
{
	struct ax_buf clean = AX_BUF_INIT;
	size_t a = 0, b;
	ax_text_clean(&clean, s, 1);
	while (a < clean.size && clean.ptr[a] == ' ')
		a++;
	b = clean.size;
	while (b > a && clean.ptr[b - 1] == ' ')
		b--;
	if (b > a)
		ax_buf_put(out, clean.ptr + a, b - a);
	else
		ax_buf_putc(out, '-');
	ax_buf_free(&clean);
}

static void el_string(struct writer *x, const char *name, const char *s)
{
	struct ax_buf v = AX_BUF_INIT;
	string_value(&v, s);
	start(x, name);
	ok(x, xmlTextWriterWriteString(x->w, BAD_CAST ax_buf_cstr(&v)));
	end(x);
	ax_buf_free(&v);
}

static void el_time(struct writer *x, const char *name, int64_t t)
{
	char ts[32];
	ax_time_format(t, ts);
	start(x, name);
	ok(x, xmlTextWriterWriteString(x->w, BAD_CAST ts));
	end(x);
}

/* <name><p>s</p></name>: the markup-multiline fields. */
static void el_para(struct writer *x, const char *name, const char *s)
{
	start(x, name);
	start(x, "p");
	text(x, s);
	end(x);
	end(x);
}

static void prop(struct writer *x, const char *name, const char *value, int annexa)
{
	struct ax_buf v = AX_BUF_INIT;
	string_value(&v, value);
	start(x, "prop");
	attr(x, "name", name);
	if (annexa)
		attr(x, "ns", ANNEXA_NS);
	ok(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST "value", BAD_CAST ax_buf_cstr(&v)));
	end(x);
	ax_buf_free(&v);
}

static void uuid_of(const char *kind, const char *fields, char out[37])
{
	struct ax_buf name = AX_BUF_INIT;
	ax_buf_printf(&name, "urn:annexa:oscal:%s\n%s", kind, fields);
	ax_uuid5(url_ns, name.ptr, name.size, out);
	ax_buf_free(&name);
}

/* "A.5.1" -> "a.5.1"; anything outside a token's characters becomes '_'. */
static void control_token(const char *id, struct ax_buf *out)
{
	if (!id || !((*id >= 'A' && *id <= 'Z') || (*id >= 'a' && *id <= 'z')))
		ax_buf_putc(out, '_');
	for (const char *p = id ? id : ""; *p; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			c = '_';
		ax_buf_putc(out, c);
	}
}

static void observation_uuid(const struct ax_result *r, char out[37])
{
	char *f = ax_asprintf("%s\n%s\n%" PRId64, r->instance ? r->instance : "", r->check ? r->check : "",
			      r->collected_at);
	uuid_of("observation", f, out);
	free(f);
}

static void put_metadata(struct writer *x, const struct ax_export_data *d)
{
	const char *org = d->organization ? d->organization : "";
	struct ax_buf title = AX_BUF_INIT;
	ax_buf_puts(&title, "ISO/IEC 27001:2022 Annex A automated control evidence");
	if (*org)
		ax_buf_printf(&title, ": %s", org);
	start(x, "metadata");
	start(x, "title");
	text(x, title.ptr);
	end(x);
	el_time(x, "last-modified", d->generated_at);
	el_string(x, "version", d->version);
	el_string(x, "oscal-version", "1.0.6");
	prop(x, "framework", d->cat && d->cat->framework ? d->cat->framework : "iso27001-2022", 1);
	if (d->nruns)
		prop(x, "ledger-head", d->runs[d->nruns - 1].hash, 1);
	if (d->host && *d->host)
		prop(x, "host", d->host, 1);
	if (*org) {
		char uuid[37];
		uuid_of("party", org, uuid);
		start(x, "party");
		attr(x, "uuid", uuid);
		attr(x, "type", "organization");
		el_string(x, "name", org);
		end(x);
	}
	end(x);
	ax_buf_free(&title);
}

static void put_reviewed(struct writer *x, const struct ax_export_data *d)
{
	start(x, "reviewed-controls");
	start(x, "control-selection");
	el_para(x, "description", "Every Annex A control of the catalog but those excluded in the Statement of "
				  "Applicability.");
	start(x, "include-all");
	end(x);
	for (size_t i = 0; i < d->status->ncontrols; i++) {
		const struct ax_control_state *cs = &d->status->controls[i];
		struct ax_buf id = AX_BUF_INIT;
		if (cs->status != AX_CTL_NOT_APPLICABLE)
			continue;
		control_token(cs->control->id, &id);
		start(x, "exclude-control");
		attr(x, "control-id", id.ptr);
		end(x);
		ax_buf_free(&id);
	}
	end(x);
	end(x);
}

static void put_observation(struct writer *x, const struct ax_export_data *d, const struct ax_report_index *ix,
			    size_t li)
{
	const struct ax_result *r = &d->latest.results[li];
	char uuid[37], *title = ax_asprintf("%s on %s", r->check ? r->check : "", r->instance ? r->instance : "");
	observation_uuid(r, uuid);
	start(x, "observation");
	attr(x, "uuid", uuid);
	start(x, "title");
	text(x, title);
	end(x);
	el_para(x, "description", r->message && *r->message ? r->message : "(no message)");
	prop(x, "instance", r->instance, 1);
	prop(x, "probe-type", r->probe_type, 1);
	prop(x, "check", r->check, 1);
	prop(x, "result", ax_check_status_name(r->status), 1);
	el_string(x, "method", "TEST");
	for (size_t k = 0; k < ix->nartifacts[li]; k++) {
		const struct ax_export_artifact *a = &d->artifacts[ix->artifacts[li][k]];
		char *desc = ax_asprintf("%s (%s, SHA-256 %s)", a->name ? a->name : "",
					 a->media_type ? a->media_type : "application/octet-stream", a->sha256);
		start(x, "relevant-evidence");
		if (ax_report_local_href(a->bundle_path))
			attr(x, "href", a->bundle_path);
		el_para(x, "description", desc);
		end(x);
		free(desc);
	}
	el_time(x, "collected", r->collected_at);
	end(x);
	free(title);
}

static void manual_observation_uuid(const struct ax_manual *m, const char *control, char out[37])
{
	char *f = ax_asprintf("%s\n%s", m->id, control);
	uuid_of("manual-observation", f, out);
	free(f);
}

/* Manual evidence item m as examined for one control: method EXAMINE,
 * collected = attached, expires = end of validity, one relevant-evidence
 * per file at its bundle path under that control. */
static void put_manual_observation(struct writer *x, const struct ax_export_data *d, const struct ax_manual *m,
				   const char *control)
{
	char uuid[37], ts[32];
	struct ax_buf b = AX_BUF_INIT;
	manual_observation_uuid(m, control, uuid);
	start(x, "observation");
	attr(x, "uuid", uuid);
	ax_buf_printf(&b, "Manual evidence %s for %s", m->id, control);
	start(x, "title");
	text(x, b.ptr);
	end(x);
	ax_buf_clear(&b);
	ax_time_format(m->effective_at, ts);
	ax_buf_printf(&b, "%zu file%s attached by %s, effective %s; %s at the end of the period.", m->nfiles,
		      m->nfiles == 1 ? "" : "s", m->attached_by ? m->attached_by : "?", ts,
		      ax_export_manual_state(m, d->status_at));
	if (m->approved_by)
		ax_buf_printf(&b, " Approved by %s.", m->approved_by);
	if (m->revoked_by)
		ax_buf_printf(&b, " Revoked by %s: %s", m->revoked_by, m->revoke_reason ? m->revoke_reason : "");
	if (m->note && *m->note)
		ax_buf_printf(&b, " Note: %s", m->note);
	el_para(x, "description", b.ptr);
	prop(x, "manual-evidence", m->id, 1);
	prop(x, "control", control, 1);
	prop(x, "state", ax_export_manual_state(m, d->status_at), 1);
	if (m->owner && *m->owner)
		prop(x, "owner", m->owner, 1);
	el_string(x, "method", "EXAMINE");
	for (size_t f = 0; f < m->nfiles; f++) {
		const char *path = ax_export_manual_path(d, m, control, f);
		char *desc = ax_asprintf("%s (%s, SHA-256 %s, %lld bytes)", m->files[f].name, m->files[f].media_type,
					 m->files[f].sha256, (long long)m->files[f].size);
		start(x, "relevant-evidence");
		if (path && ax_report_local_href(path))
			attr(x, "href", path);
		el_para(x, "description", desc);
		end(x);
		free(desc);
	}
	el_time(x, "collected", m->attached_at);
	el_time(x, "expires", m->expires_at);
	end(x);
	ax_buf_free(&b);
}

static void put_finding(struct writer *x, const struct ax_export_data *d, const char *doc_uuid, size_t i)
{
	const struct ax_control_state *cs = &d->status->controls[i];
	const char *st = ax_control_status_name(cs->status);
	struct ax_buf id = AX_BUF_INIT, desc = AX_BUF_INIT, f = AX_BUF_INIT;
	char uuid[37];

	control_token(cs->control->id, &id);
	ax_buf_printf(&f, "%s\n%s", doc_uuid, cs->control->id);
	uuid_of("finding", f.ptr, uuid);
	ax_buf_printf(&desc, "annexa status %s from %zu automated check result%s", st, cs->nrows,
		      cs->nrows == 1 ? "" : "s");
	if (cs->nmanual)
		ax_buf_printf(&desc, " and %zu manual evidence item%s", cs->nmanual, cs->nmanual == 1 ? "" : "s");
	ax_buf_puts(&desc, " at the end of the period.");
	start(x, "finding");
	attr(x, "uuid", uuid);
	start(x, "title");
	text(x, cs->control->id);
	text(x, " ");
	text(x, cs->control->title);
	end(x);
	el_para(x, "description", desc.ptr);
	prop(x, "status", st, 1);
	if (d->period && d->period[i].runs_evaluated > 0) {
		char share[64];
		snprintf(share, sizeof(share), "%d/%d", d->period[i].runs_passed, d->period[i].runs_evaluated);
		prop(x, "runs-passed", share, 1);
	}
	start(x, "target");
	attr(x, "type", "objective-id");
	attr(x, "target-id", id.ptr);
	prop(x, "label", cs->control->id, 0);
	start(x, "status");
	attr(x, "state", cs->status == AX_CTL_PASS ? "satisfied" : "not-satisfied");
	attr(x, "reason", cs->status == AX_CTL_PASS ? "pass" : cs->status == AX_CTL_FAIL ? "fail" : "other");
	if (cs->status == AX_CTL_ERROR || cs->status == AX_CTL_STALE)
		el_para(x, "remarks", cs->status == AX_CTL_ERROR ? "A check behind the control could not be evaluated."
								  : "The newest evidence is older than its freshness limit, "
								    "or its manual evidence has expired.");
	end(x);
	end(x);
	for (size_t r = 0; r < cs->nrows; r++) {
		const struct ax_result *res = cs->rows[r].result;
		if (!res || res->status == AX_CHECK_SKIP)
			continue;
		observation_uuid(res, uuid);
		start(x, "related-observation");
		attr(x, "observation-uuid", uuid);
		end(x);
	}
	for (size_t k = 0; k < cs->nmanual; k++) {
		manual_observation_uuid(cs->manual[k], cs->control->id, uuid);
		start(x, "related-observation");
		attr(x, "observation-uuid", uuid);
		end(x);
	}
	end(x);
	ax_buf_free(&id);
	ax_buf_free(&desc);
	ax_buf_free(&f);
}

static int automated(enum ax_control_status s)
{
	return s == AX_CTL_PASS || s == AX_CTL_FAIL || s == AX_CTL_ERROR || s == AX_CTL_STALE;
}

static void put_result(struct writer *x, const struct ax_export_data *d, const struct ax_report_index *ix,
		       const char *doc_uuid)
{
	int64_t first = d->since ? d->since : d->nruns ? d->runs[0].started_at : d->generated_at;
	int64_t last = d->until ? d->until : d->generated_at;
	char uuid[37], *runs = ax_asprintf("%zu", d->nruns);

	uuid_of("result", doc_uuid, uuid);
	start(x, "result");
	attr(x, "uuid", uuid);
	start(x, "title");
	text(x, "Automated control evidence of the period");
	end(x);
	el_para(x, "description", "Results of the automated checks annexa ran in the period, mapped to Annex A "
				  "controls. Evidence paths are relative to the signed bundle.");
	el_time(x, "start", first);
	el_time(x, "end", last < first ? first : last);
	prop(x, "runs", runs, 1);
	put_reviewed(x, d);
	for (size_t i = 0; i < d->latest.nresults; i++)
		if (d->latest.results[i].status != AX_CHECK_SKIP)
			put_observation(x, d, ix, i);
	for (size_t i = 0; i < d->manual.n; i++)
		for (size_t c = 0; c < d->manual.items[i].ncontrols; c++)
			put_manual_observation(x, d, &d->manual.items[i], d->manual.items[i].controls[c]);
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (automated(d->status->controls[i].status))
			put_finding(x, d, doc_uuid, i);
	end(x);
	free(runs);
}

int ax_oscal_xml(const struct ax_export_data *d, struct ax_buf *out)
{
	struct writer x = {0};
	struct ax_report_index ix = {0};
	xmlBufferPtr buf = NULL;
	struct ax_buf f = AX_BUF_INIT;
	char doc_uuid[37];
	int err = 0;

	if (!d || !d->status || !out)
		return ax_error_code(AX_EINVALID, "OSCAL: no status to write");
	for (size_t i = 0; i < d->status->ncontrols; i++)
		if (!d->status->controls[i].control)
			return ax_error_code(AX_EINVALID, "OSCAL: control %zu has no catalog entry", i);
	if ((err = ax_report_index_build(d, &ix)) < 0)
		goto cleanup;
	if (!(buf = xmlBufferCreate()) || !(x.w = xmlNewTextWriterMemory(buf, 0))) {
		err = ax_error_set("OSCAL: cannot create an XML writer");
		goto cleanup;
	}
	ax_buf_printf(&f, "%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%s", d->organization ? d->organization : "",
		      d->since, d->until, d->generated_at, d->nruns ? d->runs[d->nruns - 1].hash : "");
	uuid_of("assessment-results", f.ptr, doc_uuid);
	ok(&x, xmlTextWriterSetIndent(x.w, 1));
	ok(&x, xmlTextWriterSetIndentString(x.w, BAD_CAST " "));
	ok(&x, xmlTextWriterStartDocument(x.w, NULL, "UTF-8", NULL));
	ok(&x, xmlTextWriterStartElementNS(x.w, NULL, BAD_CAST "assessment-results", BAD_CAST OSCAL_NS));
	attr(&x, "uuid", doc_uuid);
	put_metadata(&x, d);
	start(&x, "import-ap");
	attr(&x, "href", "#");
	el_para(&x, "remarks", "annexa collects evidence continuously without a separate assessment plan; "
			       "the reviewed controls are listed in the result.");
	end(&x);
	put_result(&x, d, &ix, doc_uuid);
	end(&x);
	ok(&x, xmlTextWriterEndDocument(x.w));
	xmlFreeTextWriter(x.w); /* flushes into buf */
	x.w = NULL;
	if (x.bad) {
		err = ax_error_set("OSCAL: libxml2 could not write the document");
		goto cleanup;
	}
	ax_buf_put(out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
cleanup:
	if (x.w)
		xmlFreeTextWriter(x.w);
	if (buf)
		xmlBufferFree(buf);
	ax_buf_free(&f);
	ax_report_index_free(&ix);
	return err;
}
