/* cmd_sample.c - `annexa sample POPULATION --seed SEED [--n N] [--json]
 * [--bundle FILE]`: the items an auditor tests, recomputable from the
 * bundle alone (exports/sample.h holds the rule). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "sample.h"

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
	struct ax_sample_source src = {NULL, bundle};
	if (!bundle) {
		if ((rc = ax_cli_store(cli)) != 0)
			return rc;
		src.store = cli->store;
	}
	int err = ax_sample_draw(&src, population, seed, (size_t)n, &s);
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
