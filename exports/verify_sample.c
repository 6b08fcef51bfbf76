/* verify_sample.c - a sample bundle's sample.json and plan against the
 * recomputation (verify_sample.h). The sample is drawn again with the
 * same code `annexa sample --bundle` runs, from the ZIP verify has open;
 * the caller ties the population bytes read here to the manifest. */
#include "verify_sample.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "error.h"
#include "sample.h"
#include "util.h"

/* Every <prop name="sample-seed"> under node: 0 when each says seed, the
 * count of them in *n. */
static int plan_seeds(xmlNode *node, const char *seed, size_t *n)
{
	for (xmlNode *c = node; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, BAD_CAST "prop") == 0) {
			xmlChar *name = xmlGetProp(c, BAD_CAST "name"), *value = xmlGetProp(c, BAD_CAST "value");
			int bad = name && xmlStrcmp(name, BAD_CAST "sample-seed") == 0 &&
				  (++*n, !value || strcmp((const char *)value, seed) != 0);
			xmlFree(name);
			xmlFree(value);
			if (bad)
				return -1;
		}
		if (plan_seeds(c->children, seed, n) < 0)
			return -1;
	}
	return 0;
}

static int check_plan(const char *plan, size_t plen, const char *seed)
{
	size_t n = 0;
	int err = 0;
	if (!plan)
		return ax_error_code(AX_EINVALID, "sample.json: the bundle has no oscal/assessment-plan.xml naming its seed");
	xmlDoc *doc = xmlReadMemory(plan, (int)plen, "assessment-plan.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return ax_error_code(AX_EINVALID, "oscal/assessment-plan.xml is not XML");
	if (plan_seeds(xmlDocGetRootElement(doc), seed, &n) < 0 || n == 0)
		err = ax_error_code(AX_EINVALID, "oscal/assessment-plan.xml: its sample-seed is not sample.json's "
				    "seed '%s'", seed);
	xmlFreeDoc(doc);
	return err;
}

int ax_verify_sample(struct ax_zip *z, const char *sample, size_t slen, const char *plan, size_t plen,
		     char **csv_path, char csv_sha256[65], size_t *nitems)
{
	json_error_t jerr;
	json_t *j = json_loadb(sample, slen, JSON_REJECT_DUPLICATES, &jerr), *items = json_object_get(j, "items"), *it;
	const char *pop = json_string_value(json_object_get(j, "population"));
	const char *seed = json_string_value(json_object_get(j, "seed"));
	json_int_t n = json_integer_value(json_object_get(j, "n"));
	struct ax_sample s = {0};
	struct ax_sample_source src = {.bundle = "the bundle", .zip = z};
	size_t i;
	int err;
	*csv_path = NULL;
	if (!pop || !seed || n < 1 || n > AX_SAMPLE_MAX_N || !json_is_array(items)) {
		err = ax_error_code(AX_EINVALID, "sample.json is not a sample annexa writes");
		goto cleanup;
	}
	if ((err = ax_sample_draw(&src, pop, seed, (size_t)n, &s)) < 0) {
		ax_error_prefix("sample.json");
		err = AX_EINVALID;
		goto cleanup;
	}
	*csv_path = ax_asprintf("populations/%s.csv", pop);
	memcpy(csv_sha256, s.sha256, 65);
	/* A population built at export was sampled whole from the store; the
	 * bundle's copy is its excerpt's (from the first selected run to the
	 * last), which holds every selected item, and so the same sample, but
	 * not the rows and hash sample.json names. */
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	int whole = !ax_sample_population_built(pop);
	if ((whole && (json_integer_value(json_object_get(j, "rows")) != s.rows || !sha || strcmp(sha, s.sha256) != 0)) ||
	    json_array_size(items) != s.nitems) {
		err = ax_error_code(AX_EINVALID, "sample.json: %zu items of a population of %lld rows; seed '%s' draws "
				    "%zu of %s's %lld", json_array_size(items),
				    (long long)json_integer_value(json_object_get(j, "rows")), seed, s.nitems, pop,
				    (long long)s.rows);
		goto cleanup;
	}
	json_array_foreach(items, i, it) {
		const char *item = json_string_value(json_object_get(it, "item"));
		const char *key = json_string_value(json_object_get(it, "key"));
		if (!item || !key || strcmp(item, s.items[i].fields[0]) != 0 || strcmp(key, s.items[i].key) != 0) {
			err = ax_error_code(AX_EINVALID, "sample.json: item %zu is not the one seed '%s' draws from %s "
					    "(%.200s)", i + 1, seed, pop, s.items[i].fields[0]);
			goto cleanup;
		}
	}
	err = check_plan(plan, plen, seed);
	*nitems = s.nitems;
cleanup:
	ax_sample_free(&s);
	json_decref(j);
	return err;
}
