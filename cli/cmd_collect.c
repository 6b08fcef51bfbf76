/* cmd_collect.c - `annexa collect`: one run now, and its summary. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "collect.h"
#include "config.h"
#include "locker.h"
#include "util.h"

static void print_summary(const struct ax_evidence *ev, const struct ax_run_info *info, FILE *out)
{
	int counts[AX_CHECK_NSTATUS] = {0};
	for (size_t i = 0; i < ev->nresults; i++)
		counts[ev->results[i].status]++;
	fprintf(out, "run %lld: %d pass, %d fail, %d error, %d skip, %d info; %zu artifacts; ledger %.16s\n",
		(long long)info->id, counts[AX_CHECK_PASS], counts[AX_CHECK_FAIL], counts[AX_CHECK_ERROR],
		counts[AX_CHECK_SKIP], counts[AX_CHECK_INFO], ev->nartifacts, info->hash);
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		if (r->status == AX_CHECK_FAIL || r->status == AX_CHECK_ERROR)
			fprintf(out, "  %-5s %s %s: %s\n", ax_check_status_name(r->status), r->instance, r->check,
				r->message);
	}
}

static json_t *summary_json(const struct ax_evidence *ev, const struct ax_run_info *info)
{
	char ts[32];
	json_t *results = json_array();
	ax_time_format(info->started_at, ts);
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		json_array_append_new(results, json_pack("{s:s,s:s,s:s,s:s}", "probe", r->instance, "check", r->check,
							 "status", ax_check_status_name(r->status), "message",
							 r->message));
	}
	return json_pack("{s:I,s:s,s:s,s:o}", "run", (json_int_t)info->id, "started_at", ts, "hash", info->hash,
			 "results", results);
}

int ax_cmd_collect(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"probe", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **only = ax_calloc((size_t)argc + 1, sizeof(*only));
	size_t nonly = 0;
	int json = 0, c, rc;
	struct ax_evidence ev = {0};
	struct ax_run_info info;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': only[nonly++] = optarg; break;
		case 'j': json = 1; break;
		case 'h': rc = ax_cli_usage(ax_command_find("collect"), stdout, 0); goto cleanup;
		default: rc = ax_cli_usage(ax_command_find("collect"), stderr, AX_EXIT_USAGE); goto cleanup;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "annexa collect: unexpected argument '%s'\n", argv[optind]);
		rc = AX_EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = ax_cli_config(cli)) != 0)
		goto cleanup;
	/* a bad [privacy] pseudonym-key-file is a configuration error */
	struct ax_buf key = AX_BUF_INIT;
	int key_err = ax_collect_load_pseudonym_key(cli->cfg, 0, &key, NULL);
	OPENSSL_cleanse(key.ptr, key.size);
	ax_buf_free(&key);
	if (key_err < 0) {
		rc = ax_cli_fail(AX_EXIT_USAGE, "collect");
		goto cleanup;
	}
	if ((rc = ax_cli_store(cli)) != 0)
		goto cleanup;
	int err = ax_collect(cli->cfg, cli->store, only, nonly, &ev, &info);
	if (err < 0) {
		rc = ax_cli_fail(err == AX_ENOTFOUND ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, "collect");
		goto cleanup;
	}
	if (ax_config_get(cli->cfg, "locker", "path")) {
		int pushed = 0;
		/* The run is committed: a locker problem is a warning, not a failure. */
		if (ax_locker_record(cli->cfg, &info, &ev, &pushed) < 0)
			fprintf(stderr, "annexa: warning: %s\n", ax_error_last());
	}
	if (json) {
		json_t *j = summary_json(&ev, &info);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		print_summary(&ev, &info, stdout);
	}
	rc = AX_EXIT_OK;
	for (size_t i = 0; i < ev.nresults; i++)
		if (ev.results[i].status == AX_CHECK_FAIL || ev.results[i].status == AX_CHECK_ERROR)
			rc = AX_EXIT_FINDINGS;
cleanup:
	ax_evidence_free(&ev);
	free(only);
	return rc;
}
