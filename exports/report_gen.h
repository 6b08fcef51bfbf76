/* report_gen.h - the two generated documents of a bundle that people and
 * tools read: report.html (the control status report) and
 * the OSCAL documents (NIST OSCAL 1.0.6), and the small helpers they
 * share.
 *
 * Both generators only read a struct ax_export_data and append to a
 * struct ax_buf; the same data always gives byte-identical output (no
 * clock, no randomness, no host lookups beyond what the data carries), so
 * a bundle can be regenerated and compared and the tests can use golden
 * files. Every string that came from a probe is treated as hostile: it is
 * made valid UTF-8 without control characters (ax_text_clean) before it is
 * escaped for HTML or written through libxml2's xmlTextWriter. */
#ifndef AX_REPORT_GEN_H
#define AX_REPORT_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "export.h"

/* report.html: self-contained (inline CSS, no scripts, no external URLs). */
int ax_report_html(const struct ax_export_data *d, struct ax_buf *out);
/* oscal/assessment-results.xml and .json, oscal/assessment-plan.xml and
 * oscal/catalog.xml, valid against NIST's OSCAL 1.0.6 schemas
 * (oscal_model.h, oscal_ar.c, oscal_plan.c). */
int ax_oscal_xml(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_json(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_plan_xml(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_catalog_xml(const struct ax_export_data *d, struct ax_buf *out);

/* ---- shared helpers (report_common.c) ---- */

/* Appends s as valid UTF-8: invalid sequences (overlong forms,
 * surrogates, beyond U+10FFFF, truncated) and control characters (C0 but
 * tab and newline, DEL, C1, U+FFFE/U+FFFF) become U+FFFD. With
 * single_line, tab and newline become spaces too. NULL appends nothing. */
void ax_text_clean(struct ax_buf *out, const char *s, int single_line);
/* Appends s cleaned (ax_text_clean) and HTML-escaped (& < > " '), safe in
 * text and in quoted attribute values. */
void ax_html_escape(struct ax_buf *out, const char *s);

/* For the newest results (d->latest) that the status rows point at: the
 * run that produced each one and the artifacts that run carried for the
 * result's instance. Built once per document in O(n log n). */
struct ax_report_index {
	size_t nlatest;
	int64_t *run;       /* per latest result: its run id, 0 when unknown */
	size_t **artifacts; /* per latest result: indices into d->artifacts, sorted by bundle path */
	size_t *nartifacts;
};
int ax_report_index_build(const struct ax_export_data *d, struct ax_report_index *ix);
void ax_report_index_free(struct ax_report_index *ix);
/* Index of r in d->latest, or (size_t)-1 when r does not point into it. */
size_t ax_report_latest_index(const struct ax_export_data *d, const struct ax_result *r);

/* True for a link that stays inside the bundle: "evidence/..." with no
 * scheme, no parent step, no backslash, no blank. Anything else is shown
 * as text, never linked. */
int ax_report_local_href(const char *path);

/* A name-based UUID (RFC 4122 version 5: SHA-1 of namespace and name),
 * lowercase, 36 characters plus NUL. */
void ax_uuid5(const unsigned char ns[16], const void *name, size_t len, char out[37]);

#endif
