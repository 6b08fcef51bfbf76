/* oscal_model.h - one in-memory model of an OSCAL document, written as XML
 * (oscal_xml.c) or JSON (oscal_json.c), so the renditions of a bundle's
 * assessment results cannot drift apart: the builders (oscal_ar.c for the
 * assessment results, oscal_plan.c for the assessment plan and the
 * catalog) decide content and order once.
 *
 * A node is an OSCAL assembly (flags and child nodes) or a field (text).
 * Children are added in the XSD's order; the JSON writer groups repeated
 * names into the arrays the OSCAL JSON schema names. Every value is
 * cleaned when it enters the model (valid UTF-8, no control character;
 * fields and flags on one line and never blank), so the writers escape
 * but never have to judge text. */
#ifndef AX_OSCAL_MODEL_H
#define AX_OSCAL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "controls.h"
#include "export.h"

#define AX_OSCAL_NS "http://csrc.nist.gov/ns/oscal/1.0"
#define AX_OSCAL_VERSION "1.0.6"
/* Namespace of annexa's own props (OSCAL wants `ns` on non-OSCAL names). */
#define AX_OSCAL_ANNEXA_NS "urn:annexa:oscal"

enum ax_oscal_kind {
	AX_OSCAL_ASSEMBLY,  /* flags and children */
	AX_OSCAL_FIELD,     /* a one-line string: token, date, StringDatatype */
	AX_OSCAL_LINE,      /* markup-line (XML: mixed text; JSON: Markdown) */
	AX_OSCAL_MULTILINE, /* markup-multiline, one paragraph (XML: <p>) */
};

struct ax_oscal_flag {
	const char *name; /* a literal */
	char *value;
};

struct ax_oscal_node {
	const char *name; /* a literal: the XML element name */
	enum ax_oscal_kind kind;
	char *text; /* fields */
	struct ax_oscal_flag *flags;
	size_t nflags;
	struct ax_oscal_node **kids;
	size_t nkids;
};

/* A new assembly named name, appended to parent (may be NULL: a root). */
struct ax_oscal_node *ax_oscal_add(struct ax_oscal_node *parent, const char *name);
/* A field of kind (not AX_OSCAL_ASSEMBLY) holding text (cleaned; a blank
 * one-line value becomes "-", as the schemas' string patterns want). */
struct ax_oscal_node *ax_oscal_text(struct ax_oscal_node *parent, const char *name, enum ax_oscal_kind kind,
				    const char *text);
/* A field holding an RFC 3339 UTC time. */
void ax_oscal_time(struct ax_oscal_node *parent, const char *name, int64_t t);
void ax_oscal_flag(struct ax_oscal_node *n, const char *name, const char *value);
/* <prop name= value= [ns=annexa]>. */
void ax_oscal_prop(struct ax_oscal_node *parent, const char *name, const char *value, int annexa);
void ax_oscal_free(struct ax_oscal_node *n);

/* Writers: append the document whose root is n. */
int ax_oscal_write_xml(const struct ax_oscal_node *root, struct ax_buf *out);
int ax_oscal_write_json(const struct ax_oscal_node *root, struct ax_buf *out);

/* ---- shared by the builders ---- */

/* RFC 4122 version 5 over the URL namespace, name
 * "urn:annexa:oscal:KIND\nFIELDS". */
void ax_oscal_uuid(const char *kind, const char *fields, char out[37]);
/* "A.5.1" -> "a.5.1" (NIST's lowercase id style); anything outside a
 * token's characters becomes '_'. Appends. */
void ax_oscal_control_id(const char *id, struct ax_buf *out);
/* The catalog's assessment objective of a control: "a.5.1_obj". */
void ax_oscal_objective_id(const char *id, struct ax_buf *out);
/* True for the control statuses that have a finding (something assessed
 * it); *state and *reason receive the finding's target status. */
int ax_oscal_finding_state(enum ax_control_status s, const char **state, const char **reason);
/* <metadata> of every document: title, last-modified = export time,
 * version, oscal-version, props, a link to the catalog (but in the
 * catalog), the organization as a party. */
struct ax_oscal_node *ax_oscal_metadata(struct ax_oscal_node *parent, const struct ax_export_data *d,
					const char *title, int link_catalog);
/* <reviewed-controls>: exactly the controls with a finding (and their
 * objectives); when none, every control excluded. */
void ax_oscal_reviewed(struct ax_oscal_node *parent, const struct ax_export_data *d, const char *description);
/* The assessment plan's UUID (the results' import-ap names it). */
void ax_oscal_plan_uuid(const struct ax_export_data *d, char out[37]);

/* Builders (the caller frees *out with ax_oscal_free). */
int ax_oscal_results_build(const struct ax_export_data *d, struct ax_oscal_node **out);
int ax_oscal_plan_build(const struct ax_export_data *d, struct ax_oscal_node **out);
int ax_oscal_catalog_build(const struct ax_export_data *d, struct ax_oscal_node **out);

typedef int (*ax_oscal_build_fn)(const struct ax_export_data *, struct ax_oscal_node **);
typedef int (*ax_oscal_write_fn)(const struct ax_oscal_node *, struct ax_buf *);
/* Builds a model of d and appends it as write renders it. */
int ax_oscal_render(const struct ax_export_data *d, ax_oscal_build_fn build, ax_oscal_write_fn write,
		    struct ax_buf *out);

#endif
