/* cmd_period.c - `annexa period`: the run calendar of a period from the
 * store (exports/period.c computes it; this file only prints it). The text
 * is printed from the same JSON object `--json` and period.json carry, so
 * the three never disagree; it fits 80 columns.
 *
 * Default period: the 30 days before --until (default now). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "controls.h"
#include "export.h"
#include "util.h"

#define DEFAULT_DAYS 30
#define NAME_W 22
#define CAL_W 72

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int jint(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static void print_instances(const json_t *insts)
{
	size_t i, g;
	json_t *in, *gap;
	if (!json_array_size(insts)) {
		puts("no probe instance ran in the period");
		return;
	}
	printf("%-*s %9s %9s %9s %7s %7s\n", NAME_W, "INSTANCE", "INTERVAL", "EXPECTED", "OBSERVED", "FAILED",
	       "MISSED");
	json_array_foreach(insts, i, in) {
		char iv[32];
		const char *name = jstr(in, "instance");
		ax_duration_format(json_integer_value(json_object_get(in, "interval")), iv);
		if (strlen(name) > NAME_W)
			printf("%s\n%-*s", name, NAME_W, "");
		else
			printf("%-*s", NAME_W, name);
		printf(" %8s%s %9d %9d %7d %7d\n", iv, strcmp(jstr(in, "interval_source"), "observed") ? " " : "*",
		       jint(in, "expected"), jint(in, "observed"), jint(in, "failed"), jint(in, "missed"));
		json_array_foreach(json_object_get(in, "gaps"), g, gap) {
			const json_t *why = json_object_get(gap, "why");
			struct ax_buf line = AX_BUF_INIT;
			size_t col = 2;
			fputs("  ", stdout);
			ax_buf_printf(&line, "gap %s .. %s, %d missed: %s", jstr(gap, "from"), jstr(gap, "to"),
				      jint(gap, "missed"), json_is_string(why) ? json_string_value(why) : "reason unknown");
			ax_wrap(stdout, &col, ax_buf_cstr(&line), 6);
			putchar('\n');
			ax_buf_free(&line);
		}
	}
}

static void print_controls(const json_t *ctls)
{
	size_t i, k;
	json_t *c, *ch;
	if (!json_array_size(ctls))
		return;
	printf("\n%-10s %-14s %-9s %-8s %s\n", "CONTROL", "STATE", "DAYS", "PASSING", "RUNS (observed/expected)");
	json_array_foreach(ctls, i, c) {
		char days[32], share[16] = "n/a";
		const json_t *ps = json_object_get(c, "pass_share");
		snprintf(days, sizeof(days), "%d/%d", jint(c, "days_with_evidence"), jint(c, "days"));
		if (json_is_number(ps))
			snprintf(share, sizeof(share), "%.0f %%", json_number_value(ps) * 100);
		printf("%-10s %-14s %-9s %-8s %d/%d\n", jstr(c, "control"), jstr(c, "state"), days, share,
		       jint(c, "runs_observed"), jint(c, "runs_expected"));
		const char *cal = jstr(c, "calendar");
		for (size_t off = 0, n = strlen(cal); off < n; off += CAL_W)
			printf("  %.*s\n", CAL_W, cal + off);
		const json_t *tl = json_object_get(c, "timeline");
		size_t nt = json_array_size(tl);
		/* the newest changes; --json has them all */
		size_t from = nt > 3 ? nt - 3 : 0;
		for (k = from; k < nt; k++) {
			ch = json_array_get(tl, k);
			printf("  %s %s %s\n", k == from ? "state at" : "        ", jstr(ch, "at"), jstr(ch, "state"));
		}
	}
}

int ax_cmd_period(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"control", required_argument, NULL, 'k'}, {"instance", required_argument, NULL, 'i'},
		{"since", required_argument, NULL, 's'},   {"until", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, 'j'},          {"locker", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct ax_command *cmd = ax_command_find("period");
	const char *control = NULL, *instance = NULL, *since_s = NULL, *until_s = NULL, *locker_path = NULL;
	struct ax_export_locker *locker = NULL;
	struct ax_store *store;
	int json = 0, ch, rc, err;
	int64_t since = 0, until = 0, now = ax_now();
	struct ax_export_data *d = NULL;
	json_t *j = NULL;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': control = optarg; break;
		case 'i': instance = optarg; break;
		case 's': since_s = optarg; break;
		case 'u': until_s = optarg; break;
		case 'j': json = 1; break;
		case 'L': locker_path = optarg; break;
		case 'h': return ax_cli_usage(cmd, stdout, 0);
		default: return ax_cli_usage(cmd, stderr, AX_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return ax_cli_usage(cmd, stderr, AX_EXIT_USAGE);
	if ((since_s && ax_cli_parse_time(since_s, 0, &since) < 0) ||
	    (until_s && ax_cli_parse_time(until_s, 1, &until) < 0)) {
		fprintf(stderr, "annexa period: --since/--until: want RFC 3339 or YYYY-MM-DD\n");
		return AX_EXIT_USAGE;
	}
	if (!since_s)
		since = (until && until < now ? until : now) - DEFAULT_DAYS * 86400;
	if ((rc = ax_cli_catalog(cli)) != 0)
		return rc;
	if (control && !ax_catalog_find(cli->cat, control)) {
		fprintf(stderr, "annexa period: --control %s: no such Annex A control\n", control);
		return AX_EXIT_USAGE;
	}
	/* --locker: the collectors' runs, replayed as `export --locker` does */
	if (locker_path) {
		if ((err = ax_export_locker_open(locker_path, &locker)) < 0)
			return ax_cli_fail(err == AX_EINVALID ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, "period");
		store = locker->store;
	} else if ((rc = ax_cli_store(cli)) != 0) {
		return rc;
	} else {
		store = cli->store;
	}
	if ((err = ax_export_data_load(cli->cfg, store, cli->cat, since, until, now, &d)) < 0) {
		ax_export_locker_free(locker);
		return ax_cli_fail(ax_cli_exit_for(err), "period");
	}
	if (locker)
		ax_export_calendar_build(d, NULL, 0); /* this machine's daemon log is not the sites' */
	j = ax_period_json(d, control, instance);
	if (json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
	} else {
		printf("Run calendar %s .. %s (%d days)\n", jstr(j, "since"), jstr(j, "until"), jint(j, "days"));
		size_t starts = 0, nev = json_array_size(json_object_get(j, "daemon"));
		for (size_t i = 0; i < nev; i++)
			starts += strcmp(jstr(json_array_get(json_object_get(j, "daemon"), i), "event"), "start") == 0;
		printf("daemon: %zu start%s, %zu clean stop%s in the period\n\n", starts, starts == 1 ? "" : "s",
		       nev - starts, nev - starts == 1 ? "" : "s");
		print_instances(json_object_get(j, "instances"));
		print_controls(json_object_get(j, "controls"));
	}
	json_decref(j);
	ax_export_data_free(d);
	ax_export_locker_free(locker);
	return 0;
}
