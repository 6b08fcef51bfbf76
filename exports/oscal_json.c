/* oscal_json.c - the JSON rendition of an OSCAL model (oscal_model.h):
 * oscal/assessment-results.json, valid against NIST's
 * oscal_assessment-results_schema-1.0.6.json (copy in tests/data/oscal/).
 *
 * OSCAL's XML-to-JSON mapping: an assembly is an object, its flags are
 * string members, a child that may repeat is an array under its group
 * name ("prop" -> "props"), any other child a member under its own name;
 * markup is Markdown, so text has Markdown's punctuation escaped and
 * reads back as the same characters.
 *
 * Guarantees: members in the model's order (jansson keeps insertion
 * order), so the output is byte-identical for identical input; a child
 * the table below does not know as repeatable appearing twice is an
 * error, never a silently dropped value. */
#include "report_gen.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oscal_model.h"

/* Element name -> JSON array name, for every element that may repeat. */
static const char *const groups[][2] = {
	{"prop", "props"},
	{"link", "links"},
	{"party", "parties"},
	{"result", "results"},
	{"observation", "observations"},
	{"finding", "findings"},
	{"relevant-evidence", "relevant-evidence"},
	{"related-observation", "related-observations"},
	{"method", "methods"},
	{"type", "types"},
	{"origin", "origins"},
	{"actor", "actors"},
	{"subject", "subjects"},
	{"control-selection", "control-selections"},
	{"control-objective-selection", "control-objective-selections"},
	{"include-control", "include-controls"},
	{"exclude-control", "exclude-controls"},
	{"include-objective", "include-objectives"},
	{"component", "components"},
	{"inventory-item", "inventory-items"},
	{"assessment-platform", "assessment-platforms"},
	{"uses-component", "uses-components"},
	{"resource", "resources"},
};

static const char *group_of(const char *name)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(groups[i][0], name) == 0)
			return groups[i][1];
	return NULL;
}

/* CommonMark: a backslash makes any ASCII punctuation literal. */
static json_t *markdown(const char *s)
{
	struct ax_buf b = AX_BUF_INIT;
	for (const char *p = s; *p; p++) {
		if (strchr("\\`*_[]<>#|&~!", *p))
			ax_buf_putc(&b, '\\');
		ax_buf_putc(&b, *p);
	}
	json_t *j = json_string(ax_buf_cstr(&b));
	ax_buf_free(&b);
	return j;
}

static json_t *to_json(const struct ax_oscal_node *n)
{
	json_t *o;
	switch (n->kind) {
	case AX_OSCAL_FIELD: return json_string(n->text);
	case AX_OSCAL_LINE:
	case AX_OSCAL_MULTILINE: return markdown(n->text);
	case AX_OSCAL_ASSEMBLY: break;
	}
	o = json_object();
	for (size_t i = 0; i < n->nflags; i++)
		json_object_set_new(o, n->flags[i].name, json_string(n->flags[i].value));
	for (size_t i = 0; i < n->nkids; i++) {
		const struct ax_oscal_node *k = n->kids[i];
		const char *group = group_of(k->name);
		json_t *v = to_json(k);
		if (!v)
			goto fail;
		if (!group) {
			if (json_object_get(o, k->name)) {
				json_decref(v);
				ax_error_set("OSCAL JSON: %s repeats in %s but has no group name", k->name, n->name);
				goto fail;
			}
			json_object_set_new(o, k->name, v);
			continue;
		}
		json_t *arr = json_object_get(o, group);
		if (!arr) {
			arr = json_array();
			json_object_set_new(o, group, arr);
		}
		json_array_append_new(arr, v);
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int ax_oscal_write_json(const struct ax_oscal_node *root, struct ax_buf *out)
{
	json_t *body = to_json(root), *doc;
	char *text;
	if (!body)
		return AX_ERROR;
	doc = json_object();
	json_object_set_new(doc, root->name, body);
	text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return ax_error_set("OSCAL JSON: the document cannot be encoded");
	ax_buf_puts(out, text);
	ax_buf_putc(out, '\n');
	free(text);
	return 0;
}

int ax_oscal_json(const struct ax_export_data *d, struct ax_buf *out)
{
	return ax_oscal_render(d, ax_oscal_results_build, ax_oscal_write_json, out);
}
