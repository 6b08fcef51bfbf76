/* oscal_plan.c - the models of oscal/assessment-plan.xml and
 * oscal/catalog.xml, the two documents the assessment results point at,
 * so a tool can follow import-ap and resolve every control-id and
 * objective-id.
 *
 * The plan is as small as NIST's assessment-plan schema allows: metadata,
 * the controls assessed (the same selection as the results'), and
 * import-ssp pointing at a back-matter resource that says there is no
 * system security plan (the schema requires the import; annexa has no
 * SSP). The catalog holds the Annex A controls of controls/annex-a.xml,
 * ids and titles only (ISO's text is copyrighted), grouped by theme, each
 * with an empty assessment-objective part the findings target.
 *
 * Guarantees: valid against oscal_assessment-plan_schema-1.0.6.xsd and
 * oscal_catalog_schema-1.0.6.xsd (tests/data/oscal/); UUIDs depend on the
 * organization and the framework only, never the export time. */
#include "report_gen.h"

#include <stdlib.h>
#include <string.h>

#include "controls.h"
#include "oscal_model.h"
#include "util.h"

int ax_oscal_plan_build(const struct ax_export_data *d, struct ax_oscal_node **out)
{
	struct ax_oscal_node *root, *n, *bm;
	char uuid[37], res_uuid[37], *href;

	*out = NULL;
	if (!d || !d->status)
		return ax_error_code(AX_EINVALID, "OSCAL: no status to write");
	ax_oscal_plan_uuid(d, uuid);
	ax_oscal_uuid("no-ssp", d->organization ? d->organization : "", res_uuid);
	root = ax_oscal_add(NULL, "assessment-plan");
	ax_oscal_flag(root, "uuid", uuid);
	ax_oscal_metadata(root, d, "ISO/IEC 27001:2022 Annex A continuous evidence collection plan", 1);
	n = ax_oscal_add(root, "import-ssp");
	href = ax_asprintf("#%s", res_uuid);
	ax_oscal_flag(n, "href", href);
	free(href);
	ax_oscal_text(n, "remarks", AX_OSCAL_MULTILINE,
		      "There is no OSCAL system security plan: the system is what annexa's probe instances look at "
		      "(the results' inventory items).");
	ax_oscal_reviewed(root, d, "The Annex A controls assessed in the period: those the results have a finding for.");
	bm = ax_oscal_add(root, "back-matter");
	n = ax_oscal_add(bm, "resource");
	ax_oscal_flag(n, "uuid", res_uuid);
	ax_oscal_text(n, "title", AX_OSCAL_LINE, "No system security plan");
	ax_oscal_text(n, "description", AX_OSCAL_MULTILINE,
		      "annexa collects control evidence continuously from its configured probe instances; the "
		      "organization's ISMS documentation takes the place of a system security plan.");
	*out = root;
	return 0;
}

int ax_oscal_catalog_build(const struct ax_export_data *d, struct ax_oscal_node **out)
{
	const struct ax_catalog *cat = d ? d->cat : NULL;
	struct ax_oscal_node *root, *m, *group = NULL, *c;
	struct ax_buf id = AX_BUF_INIT;
	const char *framework;
	char uuid[37];

	*out = NULL;
	if (!cat)
		return ax_error_code(AX_EINVALID, "OSCAL: no catalog to write");
	framework = cat->framework ? cat->framework : "iso27001-2022";
	ax_oscal_uuid("catalog", framework, uuid);
	root = ax_oscal_add(NULL, "catalog");
	ax_oscal_flag(root, "uuid", uuid);
	m = ax_oscal_add(root, "metadata");
	ax_oscal_text(m, "title", AX_OSCAL_LINE, "ISO/IEC 27001:2022 Annex A controls (ids and titles)");
	ax_oscal_time(m, "last-modified", d->generated_at);
	ax_oscal_text(m, "version", AX_OSCAL_FIELD, framework);
	ax_oscal_text(m, "oscal-version", AX_OSCAL_FIELD, AX_OSCAL_VERSION);
	ax_oscal_prop(m, "framework", framework, 1);
	ax_oscal_text(m, "remarks", AX_OSCAL_MULTILINE,
		      "ISO/IEC 27001 has no official OSCAL catalog and its text is copyrighted: this one carries the "
		      "Annex A control ids (lowercased, the original as the label prop) and titles, so the "
		      "assessment results' control-id and objective-id references resolve.");
	for (size_t i = 0; i < cat->ncontrols; i++) {
		const struct ax_control *ctl = &cat->controls[i];
		if (!group || (i > 0 && strcmp(cat->controls[i - 1].theme ? cat->controls[i - 1].theme : "",
					       ctl->theme ? ctl->theme : "") != 0)) {
			struct ax_buf t = AX_BUF_INIT;
			ax_buf_clear(&id);
			ax_oscal_control_id(ctl->theme ? ctl->theme : "other", &id); /* "organizational" */
			group = ax_oscal_add(root, "group");
			ax_oscal_flag(group, "id", id.ptr);
			ax_oscal_flag(group, "class", "theme");
			ax_buf_printf(&t, "%s controls", ctl->theme ? ctl->theme : "Other");
			ax_oscal_text(group, "title", AX_OSCAL_LINE, t.ptr);
			ax_buf_free(&t);
		}
		c = ax_oscal_add(group, "control");
		ax_buf_clear(&id);
		ax_oscal_control_id(ctl->id, &id);
		ax_oscal_flag(c, "id", id.ptr);
		ax_oscal_flag(c, "class", "annex-a");
		ax_oscal_text(c, "title", AX_OSCAL_LINE, ctl->title);
		ax_oscal_prop(c, "label", ctl->id, 0);
		ax_buf_clear(&id);
		ax_oscal_objective_id(ctl->id, &id);
		c = ax_oscal_add(c, "part");
		ax_oscal_flag(c, "id", id.ptr);
		ax_oscal_flag(c, "name", "assessment-objective");
	}
	ax_buf_free(&id);
	*out = root;
	return 0;
}
