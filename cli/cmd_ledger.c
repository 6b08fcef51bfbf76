/* cmd_ledger.c - `annexa ledger verify|list`: the hash chain of the store,
 * and with --anchors, the store against anchors kept outside it.
 *
 * verify prints what it could and could not check: runs whose content was
 * recomputed, and pruned runs, whose content nobody can check any more. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "anchors.h"
#include "cli.h"
#include "config.h"
#include "export.h"
#include "locker.h"
#include "store.h"
#include "util.h"

static int list_run(void *arg, const struct ax_run_info *run)
{
	json_t *arr = arg;
	char ts[32];
	ax_time_format(run->started_at, ts);
	if (arr)
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b}", "id", (json_int_t)run->id, "kind",
						     run->kind, "started_at", ts, "prev_hash", run->prev_hash,
						     "content_sha256", run->content_sha256, "hash", run->hash, "pruned",
						     run->pruned));
	else
		printf("%6lld  %-8s %s  %.16s%s\n", (long long)run->id, run->kind, ts, run->hash,
		       run->pruned ? "  (pruned)" : "");
	return 0;
}

struct ledger_args {
	int json, list, nanchors;
	const char *anchors[16]; /* NULL entry: the state folder's anchors.jsonl */
};

/* verify|list, --json, --anchors [SRC] (repeatable; SRC optional). */
static int parse_args(int argc, char **argv, struct ledger_args *a)
{
	int verb = 0;
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "verify") == 0 || strcmp(s, "list") == 0) {
			if (verb++)
				return -1;
			a->list = s[0] == 'l';
		} else if (strcmp(s, "--json") == 0 || strcmp(s, "-j") == 0) {
			a->json = 1;
		} else if (strcmp(s, "--anchors") == 0 || strncmp(s, "--anchors=", 10) == 0) {
			const char *src = s[9] == '=' ? s + 10 : NULL;
			if (!src && i + 1 < argc && argv[i + 1][0] != '-' && strcmp(argv[i + 1], "verify") != 0 &&
			    strcmp(argv[i + 1], "list") != 0)
				src = argv[++i];
			if (a->nanchors == (int)(sizeof(a->anchors) / sizeof(a->anchors[0])))
				return -1;
			a->anchors[a->nanchors++] = src;
		} else {
			return -1;
		}
	}
	return verb == 1 && !(a->list && a->nanchors) ? 0 : -1;
}

/* Loads every --anchors source; the default one may be missing (no bundle
 * exported, no locker yet) and then anchors nothing. */
static int load_anchors(struct ax_cli *cli, const struct ledger_args *a, struct ax_anchors *out)
{
	char *branch = ax_locker_branch(cli->cfg);
	int err = 0;
	for (int i = 0; i < a->nanchors && err == 0; i++) {
		char *def = a->anchors[i] ? NULL : ax_anchors_file(cli->cfg);
		err = ax_anchors_load(a->anchors[i] ? a->anchors[i] : def, branch, out);
		if (err == AX_ENOTFOUND && def)
			err = 0;
		free(def);
	}
	free(branch);
	return err;
}

int ax_cmd_ledger(struct ax_cli *cli, int argc, char **argv)
{
	struct ledger_args a;
	struct ax_ledger_report rep;
	struct ax_anchors anchors = {0};
	int rc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return ax_cli_usage(ax_command_find("ledger"), stdout, 0);
	if (parse_args(argc, argv, &a) < 0)
		return ax_cli_usage(ax_command_find("ledger"), stderr, AX_EXIT_USAGE);
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	if (a.list) {
		json_t *arr = a.json ? json_array() : NULL;
		if (ax_store_runs(cli->store, 0, 0, list_run, arr) < 0)
			return ax_cli_fail(AX_EXIT_RUNTIME, "ledger");
		if (arr) {
			json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(arr);
		}
		return 0;
	}
	int err = ax_store_ledger_check(cli->store, &rep);
	if (err == AX_EINVALID) {
		if (a.json)
			printf("{\"valid\": false, \"first_broken_run\": %lld}\n", (long long)rep.bad_run);
		fprintf(stderr, "annexa: ledger: %s\n", ax_error_last());
		return AX_EXIT_FINDINGS;
	}
	if (err < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, "ledger");
	size_t newest = 0;
	if (a.nanchors) {
		if ((err = load_anchors(cli, &a, &anchors)) < 0) {
			rc = ax_cli_fail(err == AX_EINVALID ? AX_EXIT_FINDINGS : AX_EXIT_RUNTIME, "ledger --anchors");
			goto cleanup;
		}
		if ((err = ax_anchors_check(cli->store, &anchors, &newest)) < 0) {
			if (a.json)
				printf("{\"valid\": false, \"anchors\": false}\n");
			rc = ax_cli_fail(err == AX_EINVALID ? AX_EXIT_FINDINGS : AX_EXIT_RUNTIME, "ledger: anchors");
			goto cleanup;
		}
	}
	size_t unverified = rep.pruned_covered + rep.pruned_legacy;
	if (a.json) {
		json_t *j = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I}", "valid", 1, "runs", (json_int_t)rep.runs,
				      "content_verified", (json_int_t)rep.content_verified, "content_unverified",
				      (json_int_t)unverified, "pruned_covered", (json_int_t)rep.pruned_covered,
				      "pruned_legacy", (json_int_t)rep.pruned_legacy);
		if (a.nanchors)
			json_object_set_new(j, "anchors", json_integer((json_int_t)anchors.n));
		json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(j);
		goto cleanup;
	}
	printf("ledger OK: %zu runs chained, %zu content hashes recomputed\n", rep.runs, rep.content_verified);
	if (unverified) {
		printf("  finding: %zu pruned runs: their results are deleted, their content cannot be verified\n",
		       unverified);
		if (rep.pruned_covered)
			printf("           %zu listed by prune runs, each finished before that prune's cutoff\n",
			       rep.pruned_covered);
		if (rep.pruned_legacy)
			printf("           %zu pruned before annexa recorded prunes (the oldest collect runs)\n",
			       rep.pruned_legacy);
	}
	if (a.nanchors && anchors.n) {
		struct ax_buf name = AX_BUF_INIT;
		ax_anchor_describe(&anchors.a[newest], &name);
		printf("anchors OK: %zu anchors match the store; newest: run %lld, %s\n", anchors.n,
		       (long long)anchors.a[newest].run, ax_buf_cstr(&name));
		ax_buf_free(&name);
	} else if (a.nanchors) {
		printf("anchors: none recorded yet: nothing shows whether runs were cut off the end or rehashed\n");
	}
cleanup:
	ax_anchors_free(&anchors);
	return rc;
}
