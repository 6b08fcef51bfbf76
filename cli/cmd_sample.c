/* cmd_sample.c - `annexa sample POPULATION --seed SEED [--n N] [--json]
 * [--bundle FILE | -o FILE]`: the items an auditor tests, recomputable
 * from the bundle alone (exports/sample.h holds the rule); -o writes them
 * with their runs' evidence as a signed bundle. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "export.h"
#include "population.h"
#include "sample.h"
#include "util.h"

/* A population built at export (runs, manual items), caught by name. */
struct built {
	const char *population; /* INSTANCE/NAME */
	struct ax_buf csv;
	char *provenance;
};

static int catch_built(void *arg, const char *instance, const char *name, const struct ax_buf *csv,
		       const char *provenance)
{
	struct built *b = arg;
	size_t il = strlen(instance);
	if (strncmp(b->population, instance, il) != 0 || b->population[il] != '/' ||
	    strcmp(b->population + il + 1, name) != 0)
		return 0;
	ax_buf_put(&b->csv, csv->ptr ? csv->ptr : "", csv->size);
	b->provenance = strdup(provenance);
	return 1; /* found: stop */
}

static const struct ax_run_info *run_by_id(const struct ax_export_data *d, int64_t id)
{
	for (size_t i = 0; i < d->nruns; i++)
		if (d->runs[i].id == id)
			return &d->runs[i];
	return NULL;
}

/* The runs whose evidence the selected items are: a run of the runs
 * population, the attach run of a manual item, else the newest run that
 * carried the probe's population. *since and *until span their start
 * times. */
static int sample_period(const struct ax_export_data *d, const struct ax_sample *s, int64_t *since, int64_t *until)
{
	const char *slash = strchr(s->population, '/');
	size_t il = (size_t)(slash - s->population);
	*since = INT64_MAX;
	*until = 0;
	for (size_t i = 0; i < s->nitems; i++) {
		const char *item = s->items[i].fields[0];
		const struct ax_run_info *run = NULL;
		if (strcmp(slash + 1, "runs") == 0 && strncmp(item, "run-", 4) == 0) {
			run = run_by_id(d, strtoll(item + 4, NULL, 10));
		} else if (strcmp(s->population, "manual/items") == 0) {
			for (size_t k = 0; k < d->manual.n; k++)
				if (strcmp(d->manual.items[k].id, item) == 0)
					run = run_by_id(d, d->manual.items[k].attach_run);
		} else {
			char *name = ax_asprintf(AX_POP_PREFIX "%s" AX_POP_PROVENANCE_SUFFIX, slash + 1);
			int64_t newest = 0;
			for (size_t k = 0; k < d->nartifacts; k++)
				if (strlen(d->artifacts[k].instance) == il &&
				    strncmp(d->artifacts[k].instance, s->population, il) == 0 &&
				    strcmp(d->artifacts[k].name, name) == 0 && d->artifacts[k].last_run > newest)
					newest = d->artifacts[k].last_run;
			free(name);
			run = run_by_id(d, newest);
		}
		if (!run)
			return ax_error_code(AX_ENOTFOUND, "sample: no run of the store holds item %s", item);
		*since = run->started_at < *since ? run->started_at : *since;
		*until = run->started_at > *until ? run->started_at : *until;
	}
	if (!s->nitems)
		return ax_error_code(AX_EINVALID, "sample: the population is empty");
	return 0;
}

/* sample.json and the evidence of the selected items' runs, signed. */
static int write_sample_bundle(struct ax_cli *cli, const struct ax_sample *s, const char *out)
{
	struct ax_export_data *d = NULL;
	int64_t since = 0, until = 0;
	int rc;
	if ((rc = ax_cli_catalog(cli)) != 0)
		return rc;
	int err = ax_export_data_load(cli->cfg, cli->store, cli->cat, 0, 0, ax_now(), &d);
	if (err == 0)
		err = sample_period(d, s, &since, &until);
	ax_export_data_free(d);
	if (err < 0)
		return ax_cli_fail(err == AX_ENOTFOUND || err == AX_EINVALID ? AX_EXIT_FINDINGS : AX_EXIT_RUNTIME,
				   "sample");
	json_t *j = ax_sample_json(s);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_puts(&b, text ? text : "{}");
	ax_buf_putc(&b, '\n');
	rc = ax_cli_export_sample(cli, since, until, out, s->seed, &b);
	ax_buf_free(&b);
	free(text);
	json_decref(j);
	return rc;
}

int ax_cmd_sample(struct ax_cli *cli, int argc, char **argv)
{
	const struct ax_command *cmd = ax_command_find("sample");
	const char *population = NULL, *seed = NULL, *bundle = NULL, *out = NULL;
	struct ax_sample s;
	long long n = 0;
	int json = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return ax_cli_usage(cmd, stdout, 0);
		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
			seed = argv[++i];
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(a, "--bundle") == 0 && i + 1 < argc) {
			bundle = argv[++i];
		} else if (strcmp(a, "--n") == 0 && i + 1 < argc) {
			char *end;
			n = strtoll(argv[++i], &end, 10);
			if (*end || n < 1 || n > AX_SAMPLE_MAX_N) {
				fprintf(stderr, "annexa: sample: --n wants 1 to %d\n", AX_SAMPLE_MAX_N);
				return AX_EXIT_USAGE;
			}
		} else if (a[0] != '-' && !population) {
			population = a;
		} else {
			return ax_cli_usage(cmd, stderr, AX_EXIT_USAGE);
		}
	}
	if (!population || !seed || !*seed || (out && bundle))
		return ax_cli_usage(cmd, stderr, AX_EXIT_USAGE);
	/* the key is SHA-256 of the seed's UTF-8 (README.txt's Python encodes
	 * it so); other bytes made --json print nothing and -o sign a bundle
	 * with an empty sample.json */
	if (!ax_utf8_valid(seed, strlen(seed))) {
		fprintf(stderr, "annexa: sample: --seed must be UTF-8 text\n");
		return AX_EXIT_USAGE;
	}
	struct ax_sample_source src = {.bundle = bundle};
	struct built b = {population, AX_BUF_INIT, NULL};
	if (!bundle) {
		if ((rc = ax_cli_store(cli)) != 0)
			return rc;
		src.store = cli->store;
	}
	if (!bundle && ax_sample_population_built(population)) {
		/* the store's whole history, as an export without --since/--until builds it */
		struct ax_export_data *d = NULL;
		if ((rc = ax_cli_catalog(cli)) != 0)
			return rc;
		int e = ax_export_data_load(cli->cfg, cli->store, cli->cat, 0, 0, ax_now(), &d);
		if (e == 0)
			e = ax_export_populations(d, catch_built, &b);
		ax_export_data_free(d);
		if (e < 0) {
			ax_buf_free(&b.csv);
			return ax_cli_fail(AX_EXIT_RUNTIME, "sample");
		}
		if (b.provenance) {
			src.csv = &b.csv;
			src.provenance = b.provenance;
		}
	}
	int err = ax_sample_draw(&src, population, seed, (size_t)n, &s);
	ax_buf_free(&b.csv);
	free(b.provenance);
	if (err < 0) {
		ax_sample_free(&s);
		return ax_cli_fail(err == AX_ENOTFOUND || err == AX_EINVALID ? AX_EXIT_FINDINGS : AX_EXIT_RUNTIME,
				   "sample");
	}
	if (out) {
		rc = write_sample_bundle(cli, &s, out);
		ax_sample_free(&s);
		return rc;
	}
	if (json) {
		json_t *j = ax_sample_json(&s);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		json_t *p = s.provenance;
		printf("population %s: %lld items, SHA-256 %s\n", s.population, (long long)s.rows, s.sha256);
		const char *source = json_string_value(json_object_get(p, "source"));
		const char *at = json_string_value(json_object_get(p, "collected_at"));
		printf("  source     %s\n  collected  %s\n", source ? source : "-", at ? at : "-");
		printf("seed %s, %zu of them (%s%s%s)\n", s.seed, s.nitems, s.n_from,
		       strcmp(s.n_from, "--n") ? ": " : "", strcmp(s.n_from, "--n") ? ax_sample_size_source : "");
		printf("rule: order by SHA-256(seed \":\" item), lowercase hex, ascending; take the first N\n");
		for (size_t i = 0; i < s.nitems; i++) {
			printf("%4zu  %.16s  %s", i + 1, s.items[i].key, s.items[i].fields[0]);
			for (size_t c = 1; c < s.items[i].nfields && c < s.nheader; c++)
				printf("  %s=%s", s.header[c], s.items[i].fields[c]);
			fputc('\n', stdout);
		}
	}
	ax_sample_free(&s);
	return 0;
}
