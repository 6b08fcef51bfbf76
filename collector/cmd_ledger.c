/* cmd_ledger.c - `annexa ledger verify|list`: the hash chain of the store. */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "store.h"
#include "util.h"

static int list_run(void *arg, const struct ax_run_info *run)
{
	json_t *arr = arg;
	char ts[32];
	ax_time_format(run->started_at, ts);
	if (arr)
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)run->id, "kind",
						     run->kind, "started_at", ts, "prev_hash", run->prev_hash,
						     "content_sha256", run->content_sha256, "hash", run->hash));
	else
		printf("%6lld  %-8s %s  %.16s\n", (long long)run->id, run->kind, ts, run->hash);
	return 0;
}

int ax_cmd_ledger(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int json = 0, c, rc;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return ax_cli_usage(ax_command_find("ledger"), stdout, 0);
		default: return ax_cli_usage(ax_command_find("ledger"), stderr, AX_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "verify") != 0 && strcmp(argv[optind], "list") != 0))
		return ax_cli_usage(ax_command_find("ledger"), stderr, AX_EXIT_USAGE);
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	if (strcmp(argv[optind], "list") == 0) {
		json_t *arr = json ? json_array() : NULL;
		if (ax_store_runs(cli->store, 0, 0, list_run, arr) < 0)
			return ax_cli_fail(AX_EXIT_RUNTIME, "ledger");
		if (arr) {
			json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(arr);
		}
		return 0;
	}
	int64_t bad = 0;
	int err = ax_store_ledger_verify(cli->store, &bad);
	if (err == AX_EINVALID) {
		if (json)
			printf("{\"valid\": false, \"first_broken_run\": %lld}\n", (long long)bad);
		fprintf(stderr, "annexa: ledger: %s\n", ax_error_last());
		return AX_EXIT_FINDINGS;
	}
	if (err < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, "ledger");
	if (json)
		printf("{\"valid\": true}\n");
	else
		printf("ledger OK\n");
	return 0;
}
