/* oscal_plan.c - the models of oscal/assessment-plan.xml and
 * oscal/catalog.xml, the two documents the assessment results point at,
 * so a tool can follow import-ap and resolve every control-id and
 * objective-id.
 *
 * The plan is as small as NIST's assessment-plan schema allows: metadata,
 * the controls assessed (the same selection as the results'), and
 * import-ssp pointing at a back-matter resource that says there is no
 * system security plan (the schema requires the import; annexa has no
 * SSP); plus the sampling method (terms-and-conditions) and one task per
 * population of the bundle (its path, row count, SHA-256, frequency,
 * default sample size, and the seed when the bundle is a sample). The catalog holds the Annex A controls of controls/annex-a.xml,
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
#include "population.h"
#include "sample.h"
#include "util.h"

/* One task per population: what the auditor samples, with the numbers
 * that make the sample checkable (rows, SHA-256 of the list, default N). */
static void population_task(struct ax_oscal_node *root, const struct ax_export_data *d, const char *path,
			    const char *provenance)
{
	json_t *p = json_loads(provenance, 0, NULL);
	const char *inst = json_string_value(json_object_get(p, "instance"));
	const char *name = json_string_value(json_object_get(p, "population"));
	const char *sha = json_string_value(json_object_get(p, "sha256"));
	const char *freq = json_string_value(json_object_get(p, "frequency"));
	enum ax_pop_frequency f;
	if (!inst || !name || !sha || ax_pop_frequency_parse(freq, &f) < 0) {
		json_decref(p);
		return;
	}
	struct ax_buf b = AX_BUF_INIT;
	char uuid[37], num[24];
	const char *range;
	ax_buf_printf(&b, "%s/%s", inst, name);
	ax_oscal_uuid("population-task", b.ptr, uuid);
	struct ax_oscal_node *t = ax_oscal_add(root, "task");
	ax_oscal_flag(t, "uuid", uuid);
	ax_oscal_flag(t, "type", "action");
	ax_buf_clear(&b);
	ax_buf_printf(&b, "Test a sample of population %s/%s", inst, name);
	ax_oscal_text(t, "title", AX_OSCAL_LINE, b.ptr);
	ax_buf_clear(&b);
	ax_buf_printf(&b, "Population %s (its provenance beside it: source, selection, collection time). Selection of "
			  "the sample: `annexa sample %s/%s --seed SEED` or the recipe in the bundle's README.txt.",
		      path, inst, name);
	ax_oscal_text(t, "description", AX_OSCAL_MULTILINE, b.ptr);
	ax_oscal_prop(t, "population", path, 1);
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(p, "rows")));
	ax_oscal_prop(t, "population-rows", num, 1);
	ax_oscal_prop(t, "population-sha256", sha, 1);
	ax_oscal_prop(t, "frequency", freq, 1);
	snprintf(num, sizeof(num), "%d", ax_sample_default_n(f, &range));
	ax_oscal_prop(t, "default-sample-size", num, 1);
	ax_oscal_prop(t, "sampling-method", "sha256-seed-order", 1);
	if (d->sample_seed)
		ax_oscal_prop(t, "sample-seed", d->sample_seed, 1);
	ax_buf_free(&b);
	json_decref(p);
}

static int built_task(void *arg, const char *instance, const char *name, const struct ax_buf *csv,
		      const char *provenance)
{
	void **a = arg;
	char *path = ax_asprintf(AX_POP_PREFIX "%s/%s.csv", instance, name);
	population_task(a[0], a[1], path, provenance);
	free(path);
	return 0;
}

/* The populations of the bundle: the newest version of each one a probe
 * emitted (the one at the plain path), then those built at export. */
static void population_tasks(struct ax_oscal_node *root, const struct ax_export_data *d)
{
	void *arg[2] = {root, (void *)d};
	for (size_t i = 0; d->store && i < d->nartifacts; i++) {
		const struct ax_export_artifact *a = &d->artifacts[i];
		char *name = ax_population_name_of(a->name);
		char *plain = name ? ax_asprintf(AX_POP_PREFIX "%s/%s" AX_POP_PROVENANCE_SUFFIX, a->instance, name) : NULL;
		struct ax_buf prov = AX_BUF_INIT;
		if (plain && a->bundle_path && strcmp(a->bundle_path, plain) == 0 &&
		    ax_store_artifact(d->store, a->sha256, &prov) == 0) {
			char *csv = ax_asprintf(AX_POP_PREFIX "%s/%s.csv", a->instance, name);
			population_task(root, d, csv, ax_buf_cstr(&prov));
			free(csv);
		}
		ax_buf_free(&prov);
		free(plain);
		free(name);
	}
	ax_export_populations(d, built_task, arg);
}

int ax_oscal_plan_build(const struct ax_export_data *d, struct ax_oscal_node **out)
{
	struct ax_oscal_node *root, *n, *bm;
	struct ax_buf seed_text = AX_BUF_INIT;
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
	/* how samples are drawn, once for every population task below */
	n = ax_oscal_add(ax_oscal_add(root, "terms-and-conditions"), "part");
	ax_oscal_flag(n, "name", "sampling-method");
	ax_oscal_text(n, "title", AX_OSCAL_LINE, "Sampling method");
	ax_oscal_text(n, "p", AX_OSCAL_LINE,
		      "Attribute sampling of control events. A sample of a population is its items ordered by the "
		      "lowercase hex SHA-256 of SEED \":\" ITEM (the item id of the population's item column), "
		      "ascending, the first N; the assessor chooses the seed, anyone recomputes the sample from the "
		      "population file.");
	ax_buf_printf(&seed_text, "Default N by the frequency of the control event: %s.", ax_sample_size_source);
	ax_oscal_text(n, "p", AX_OSCAL_LINE, seed_text.ptr);
	if (d->sample_seed) {
		ax_buf_clear(&seed_text);
		ax_buf_printf(&seed_text, "Seed used: %s", d->sample_seed);
		ax_oscal_text(n, "p", AX_OSCAL_LINE, seed_text.ptr);
	}
	ax_buf_free(&seed_text);
	ax_oscal_reviewed(root, d, "The Annex A controls assessed in the period: those the results have a finding for.");
	population_tasks(root, d);
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
