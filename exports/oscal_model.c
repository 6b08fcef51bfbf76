/* oscal_model.c - the OSCAL document model (oscal_model.h) and what the
 * three documents of a bundle share: name-based UUIDs, control and
 * objective ids, the finding state of each control status, metadata and
 * the reviewed controls.
 *
 * Guarantees: every string is cleaned on entry (ax_text_clean), so no
 * probe text can break either rendition or the schemas' string patterns;
 * the model holds no clock or randomness, so the same data gives the same
 * documents. */
#include "oscal_model.h"

#include <stdlib.h>
#include <string.h>

#include "report_gen.h"
#include "util.h"

/* RFC 4122 appendix C: the URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
static const unsigned char url_ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
					 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

static void adopt(struct ax_oscal_node *parent, struct ax_oscal_node *n)
{
	parent->kids = ax_realloc(parent->kids, (parent->nkids + 1) * sizeof(*parent->kids));
	parent->kids[parent->nkids++] = n;
}

static struct ax_oscal_node *node_new(struct ax_oscal_node *parent, const char *name, enum ax_oscal_kind kind)
{
	struct ax_oscal_node *n = ax_calloc(1, sizeof(*n));
	n->name = name;
	n->kind = kind;
	if (parent)
		adopt(parent, n);
	return n;
}

struct ax_oscal_node *ax_oscal_add(struct ax_oscal_node *parent, const char *name)
{
	return node_new(parent, name, AX_OSCAL_ASSEMBLY);
}

/* StringDatatype wants one line, no leading or trailing blank, not empty. */
static char *one_line(const char *s)
{
	struct ax_buf clean = AX_BUF_INIT, out = AX_BUF_INIT;
	size_t a = 0, b;
	ax_text_clean(&clean, s, 1);
	while (a < clean.size && clean.ptr[a] == ' ')
		a++;
	b = clean.size;
	while (b > a && clean.ptr[b - 1] == ' ')
		b--;
	if (b > a)
		ax_buf_put(&out, clean.ptr + a, b - a);
	else
		ax_buf_putc(&out, '-');
	ax_buf_free(&clean);
	return ax_buf_detach(&out);
}

struct ax_oscal_node *ax_oscal_text(struct ax_oscal_node *parent, const char *name, enum ax_oscal_kind kind,
				    const char *text)
{
	struct ax_oscal_node *n = node_new(parent, name, kind);
	if (kind == AX_OSCAL_MULTILINE) {
		struct ax_buf clean = AX_BUF_INIT;
		ax_text_clean(&clean, text, 0);
		n->text = ax_buf_detach(&clean);
	} else {
		n->text = one_line(text);
	}
	return n;
}

void ax_oscal_time(struct ax_oscal_node *parent, const char *name, int64_t t)
{
	char ts[32];
	ax_time_format(t, ts);
	ax_oscal_text(parent, name, AX_OSCAL_FIELD, ts);
}

void ax_oscal_flag(struct ax_oscal_node *n, const char *name, const char *value)
{
	n->flags = ax_realloc(n->flags, (n->nflags + 1) * sizeof(*n->flags));
	n->flags[n->nflags].name = name;
	n->flags[n->nflags].value = one_line(value);
	n->nflags++;
}

void ax_oscal_prop(struct ax_oscal_node *parent, const char *name, const char *value, int annexa)
{
	struct ax_oscal_node *p = ax_oscal_add(parent, "prop");
	ax_oscal_flag(p, "name", name);
	if (annexa)
		ax_oscal_flag(p, "ns", AX_OSCAL_ANNEXA_NS);
	ax_oscal_flag(p, "value", value);
}

void ax_oscal_free(struct ax_oscal_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		ax_oscal_free(n->kids[i]);
	for (size_t i = 0; i < n->nflags; i++)
		free(n->flags[i].value);
	free(n->kids);
	free(n->flags);
	free(n->text);
	free(n);
}

void ax_oscal_uuid(const char *kind, const char *fields, char out[37])
{
	struct ax_buf name = AX_BUF_INIT;
	ax_buf_printf(&name, "urn:annexa:oscal:%s\n%s", kind, fields);
	ax_uuid5(url_ns, name.ptr, name.size, out);
	ax_buf_free(&name);
}

void ax_oscal_control_id(const char *id, struct ax_buf *out)
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

void ax_oscal_objective_id(const char *id, struct ax_buf *out)
{
	ax_oscal_control_id(id, out);
	ax_buf_puts(out, "_obj");
}

int ax_oscal_finding_state(enum ax_control_status s, const char **state, const char **reason)
{
	/* One line per status: a new control status must say here whether
	 * it is a finding and which. */
	switch (s) {
	case AX_CTL_PASS: *state = "satisfied", *reason = "pass"; return 1;
	case AX_CTL_FAIL: *state = "not-satisfied", *reason = "fail"; return 1;
	case AX_CTL_ERROR: *state = "not-satisfied", *reason = "other"; return 1;
	case AX_CTL_STALE: *state = "not-satisfied", *reason = "other"; return 1;
	/* the checks pass, but needs of its coverage statement are open (or
	 * the period test failed): assessed, and not yet satisfied */
	case AX_CTL_PARTIAL: *state = "not-satisfied", *reason = "other"; return 1;
	case AX_CTL_MANUAL: /* nothing assessed it */
	case AX_CTL_NOT_APPLICABLE:
	case AX_CTL_NOT_COVERED:
	case AX_CTL__COUNT: break;
	}
	return 0;
}

struct ax_oscal_node *ax_oscal_metadata(struct ax_oscal_node *parent, const struct ax_export_data *d,
					const char *title, int link_catalog)
{
	const char *org = d->organization ? d->organization : "";
	struct ax_oscal_node *m = ax_oscal_add(parent, "metadata"), *n;
	struct ax_buf t = AX_BUF_INIT;
	ax_buf_puts(&t, title);
	if (*org)
		ax_buf_printf(&t, ": %s", org);
	ax_oscal_text(m, "title", AX_OSCAL_LINE, t.ptr);
	ax_oscal_time(m, "last-modified", d->generated_at);
	ax_oscal_text(m, "version", AX_OSCAL_FIELD, d->version);
	ax_oscal_text(m, "oscal-version", AX_OSCAL_FIELD, AX_OSCAL_VERSION);
	ax_oscal_prop(m, "framework", d->cat && d->cat->framework ? d->cat->framework : "iso27001-2022", 1);
	if (d->nruns)
		ax_oscal_prop(m, "ledger-head", d->runs[d->nruns - 1].hash, 1);
	if (d->host && *d->host)
		ax_oscal_prop(m, "host", d->host, 1);
	if (link_catalog) {
		n = ax_oscal_add(m, "link");
		ax_oscal_flag(n, "href", "catalog.xml");
		ax_oscal_flag(n, "rel", "reference");
		ax_oscal_flag(n, "media-type", "application/oscal.catalog+xml");
		ax_oscal_text(n, "text", AX_OSCAL_LINE, "The Annex A controls (ids and titles)");
	}
	if (*org) {
		char uuid[37];
		ax_oscal_uuid("party", org, uuid);
		n = ax_oscal_add(m, "party");
		ax_oscal_flag(n, "uuid", uuid);
		ax_oscal_flag(n, "type", "organization");
		ax_oscal_text(n, "name", AX_OSCAL_FIELD, org);
	}
	ax_buf_free(&t);
	return m;
}

void ax_oscal_reviewed(struct ax_oscal_node *parent, const struct ax_export_data *d, const char *description)
{
	struct ax_oscal_node *rc = ax_oscal_add(parent, "reviewed-controls");
	struct ax_oscal_node *cs = ax_oscal_add(rc, "control-selection");
	struct ax_oscal_node *os = ax_oscal_add(NULL, "control-objective-selection");
	struct ax_buf id = AX_BUF_INIT;
	const char *state, *reason;

	ax_oscal_text(cs, "description", AX_OSCAL_MULTILINE, description);
	for (size_t i = 0; i < d->status->ncontrols; i++) {
		const struct ax_control_state *c = &d->status->controls[i];
		if (!ax_oscal_finding_state(c->status, &state, &reason))
			continue;
		ax_buf_clear(&id);
		ax_oscal_control_id(c->control->id, &id);
		ax_oscal_flag(ax_oscal_add(cs, "include-control"), "control-id", id.ptr);
		ax_buf_clear(&id);
		ax_oscal_objective_id(c->control->id, &id);
		ax_oscal_flag(ax_oscal_add(os, "include-objective"), "objective-id", id.ptr);
	}
	if (os->nkids) {
		adopt(rc, os);
	} else {
		/* The schema wants a selection; nothing was assessed, so every
		 * control is excluded. */
		ax_oscal_add(cs, "include-all");
		for (size_t i = 0; i < d->status->ncontrols; i++) {
			ax_buf_clear(&id);
			ax_oscal_control_id(d->status->controls[i].control->id, &id);
			ax_oscal_flag(ax_oscal_add(cs, "exclude-control"), "control-id", id.ptr);
		}
		ax_oscal_free(os);
	}
	ax_buf_free(&id);
}

void ax_oscal_plan_uuid(const struct ax_export_data *d, char out[37])
{
	ax_oscal_uuid("assessment-plan", d->organization ? d->organization : "", out);
}

int ax_oscal_render(const struct ax_export_data *d, ax_oscal_build_fn build, ax_oscal_write_fn write,
		    struct ax_buf *out)
{
	struct ax_oscal_node *root = NULL;
	int err = build(d, &root);
	if (err == 0)
		err = write(root, out);
	ax_oscal_free(root);
	return err;
}
