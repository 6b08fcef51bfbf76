/* cmd_sample.c - `annexa sample POPULATION --seed SEED [--n N] [--json]
 * [--bundle FILE]`: the items an auditor tests, recomputable from the
 * bundle alone (exports/sample.h holds the rule). */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include <jansson.h>

#include "cli.h"
#include "export.h"
#include "sample.h"

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

static int is_built(const char *population)
{
	const char *slash = strchr(population, '/');
	return slash && (strcmp(slash + 1, "runs") == 0 || strcmp(population, "manual/items") == 0);
}

int ax_cmd_sample(struct ax_cli *cli, int argc, char **argv)
{
	const struct ax_command *cmd = ax_command_find("sample");
	const char *population = NULL, *seed = NULL, *bundle = NULL;
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
	if (!population || !seed || !*seed)
		return ax_cli_usage(cmd, stderr, AX_EXIT_USAGE);
	struct ax_sample_source src = {.bundle = bundle};
	struct built b = {population, AX_BUF_INIT, NULL};
	if (!bundle) {
		if ((rc = ax_cli_store(cli)) != 0)
			return rc;
		src.store = cli->store;
	}
	if (!bundle && is_built(population)) {
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
	if (json) {
		json_t *j = ax_sample_json(&s);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		json_t *p = s.provenance;
		printf("population %s: %lld items, SHA-256 %s\n", s.population, (long long)s.rows, s.sha256);
		printf("  source     %s\n  collected  %s\n", json_string_value(json_object_get(p, "source")),
		       json_string_value(json_object_get(p, "collected_at")));
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
