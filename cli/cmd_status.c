/* cmd_status.c - the reading commands: status, controls, soa, check-config. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "collect.h"
#include "config.h"
#include "daemon_lock.h"
#include "controls.h"
#include "probe.h"
#include "sandbox.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

/* Parses the flags the reading commands share. */
struct read_flags {
	int json, csv, failing;
	char sep; /* soa --csv: the field separator */
	const char *control, *xlsx;
};

static int parse_flags(const char *cmd, int argc, char **argv, struct read_flags *f, int allow_csv, int allow_control)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"csv", no_argument, NULL, 'C'},
		{"control", required_argument, NULL, 'k'},
		{"sep", required_argument, NULL, 'S'},
		{"failing", no_argument, NULL, 'F'},
		{"xlsx", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	memset(f, 0, sizeof(*f));
	f->sep = ',';
	optind = 0;
	/* options before or after operands alike: there are none to stop at */
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': f->json = 1; break;
		case 'C':
			if (!allow_csv)
				goto usage;
			f->csv = 1;
			break;
		case 'k':
			if (!allow_control)
				goto usage;
			f->control = optarg;
			break;
		case 'S':
			/* one character that cannot be part of a quoted field's syntax */
			if (!allow_csv || strlen(optarg) != 1 || strchr("\"\r\n", optarg[0])) {
				fprintf(stderr, "annexa %s: --sep takes one character, e.g. ';'\n", cmd);
				return AX_EXIT_USAGE;
			}
			f->sep = optarg[0];
			break;
		case 'F':
			if (!allow_control)
				goto usage;
			f->failing = 1;
			break;
		case 'X':
			if (!allow_csv)
				goto usage;
			f->xlsx = optarg;
			break;
		case 'h': ax_cli_usage(ax_command_find(cmd), stdout, 0); return -1;
		default: goto usage;
		}
	}
	if (optind < argc || f->json + f->csv + (f->xlsx != NULL) > 1)
		goto usage;
	return 0;
usage:
	return ax_cli_usage(ax_command_find(cmd), stderr, AX_EXIT_USAGE);
}

static void dump_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(j);
}

/* What the daemon's schedule says about the instances behind a control:
 * when its evidence is due next, and whether an instance is backed off. */
static void annotate_schedule(json_t *control, const struct ax_control_state *cs, const struct ax_schedule *sched,
			      int64_t now)
{
	int64_t next = 0;
	int backed_off = 0;
	char ts[32];
	for (size_t r = 0; sched && r < cs->nrows; r++) {
		const struct ax_sched_entry *e = ax_schedule_find(sched, cs->rows[r].result->instance);
		if (!e)
			continue;
		if (!next || e->next_due < next)
			next = e->next_due;
		backed_off |= e->consecutive_failures > 1;
	}
	if (cs->newest) {
		ax_time_format(cs->newest, ts);
		json_object_set_new(control, "newest_evidence_at", json_string(ts));
		json_object_set_new(control, "evidence_age_seconds", json_integer(now - cs->newest));
	}
	if (next) {
		ax_time_format(next, ts);
		json_object_set_new(control, "next_collection_due", json_string(ts));
		json_object_set_new(control, "backed_off", json_boolean(backed_off));
	}
}

/* Newest result of an instance in the store: its last run, daemon or not. */
static int64_t last_collected(const struct ax_evidence *latest, const char *instance)
{
	int64_t t = 0;
	for (size_t i = 0; latest && i < latest->nresults; i++)
		if (strcmp(latest->results[i].instance, instance) == 0 && latest->results[i].collected_at > t)
			t = latest->results[i].collected_at;
	return t;
}

/* "2026-12-07 14:32": RFC 3339's date and time to the minute, UTC. */
static void minute(int64_t t, char out[32])
{
	char ts[32];
	ax_time_format(t, ts);
	snprintf(out, 32, "%.10s %.5s", ts, ts + 11);
}

/* The confinement an instance's newest run recorded (its sandbox.txt:
 * "landlock-v7+seccomp user=annexa-probe", "seccomp", "none"), first line
 * only; "" when no kept run has one (never run, or runs from before it). */
static void sandbox_of(struct ax_store *store, const char *instance, char out[64])
{
	struct ax_buf b = AX_BUF_INIT;
	out[0] = '\0';
	if (store && ax_store_latest_artifact(store, instance, "sandbox.txt", &b) == 0)
		snprintf(out, 64, "%.*s", (int)strcspn(ax_buf_cstr(&b), "\r\n"), ax_buf_cstr(&b));
	ax_buf_free(&b);
}

static void print_instances(const struct ax_config *cfg, struct ax_store *store, const struct ax_schedule *sched,
			    const struct ax_evidence *latest, int64_t now)
{
	if (!cfg->nprobes)
		return;
	/* the daemon as its schedule shows it: a schedule more than a minute
	 * overdue means no daemon runs it (or one is stuck) */
	int64_t d_last = 0, d_next = 0;
	for (size_t i = 0; sched && i < sched->n; i++) {
		const struct ax_sched_entry *e = &sched->entries[i];
		d_last = e->last_run > d_last ? e->last_run : d_last;
		if (e->next_due && (!d_next || e->next_due < d_next))
			d_next = e->next_due;
	}
	char tl[32] = "-", tn[32] = "-";
	if (d_last)
		minute(d_last, tl);
	if (d_next)
		minute(d_next, tn);
	pid_t pid = 0;
	int running = ax_daemon_running(ax_config_get(cfg, "annexa", "store"), &pid);
	char who[32] = "";
	if (pid > 0)
		snprintf(who, sizeof(who), " (pid %ld)", (long)pid);
	if (running == 1 && (!d_next || d_next >= now - 60))
		printf("\ndaemon: running%s; last run %s, next due %s (UTC)\n", who, tl, tn);
	else if (running == 1)
		printf("\ndaemon: running%s but overdue since %s (UTC): stuck?; last run %s\n", who, tn, tl);
	else if (running == 0)
		printf("\ndaemon: not running%s%s%s\n", d_last ? "; last run " : " (no schedule: it has not run here)",
		       d_last ? tl : "", d_last ? " (UTC)" : "");
	else if (!sched || !d_next) /* cannot read the lock table: the schedule is all there is */
		printf("\ndaemon: has not run here (no schedule)\n");
	else if (d_next >= now - 60)
		printf("\ndaemon: on schedule; last run %s, next due %s (UTC)\n", tl, tn);
	else
		printf("\ndaemon: overdue since %s (UTC): not running, or stuck; last run %s\n", tn, tl);
	/* names as wide as the longest (up to 20, longer ones push the row),
	 * times to the minute in UTC: the row fits 80 columns, the state wraps */
	int wn = 5, wt = 4, legend = 0, bare = 0;
	for (size_t i = 0; i < cfg->nprobes; i++) {
		wn = (int)strlen(cfg->probes[i].name) > wn ? (int)strlen(cfg->probes[i].name) : wn;
		wt = (int)strlen(cfg->probes[i].type->name) > wt ? (int)strlen(cfg->probes[i].type->name) : wt;
	}
	wn = wn > 20 ? 20 : wn;
	wt = wt > 12 ? 12 : wt;
	char (*sandboxes)[64] = ax_calloc(cfg->nprobes, sizeof(*sandboxes));
	printf("\n%-*s %-*s %-16s %-16s %s\n", wn, "PROBE", wt, "TYPE", "LAST RUN (UTC)", "NEXT DUE (UTC)", "STATE");
	for (size_t i = 0; i < cfg->nprobes; i++) {
		const struct ax_sched_entry *e = ax_schedule_find(sched, cfg->probes[i].name);
		char last[32] = "-", next[32] = "-";
		int64_t seen = last_collected(latest, cfg->probes[i].name);
		if (e && e->last_run > seen)
			seen = e->last_run;
		if (seen)
			minute(seen, last);
		if (e && e->next_due)
			minute(e->next_due, next);
		char state[96];
		snprintf(state, sizeof(state), "%s",
			 !e ? (seen ? "collect only" : "never run")
			 : e->consecutive_failures > 1 ? "backed off"
			 : e->next_due && e->next_due < now ? "overdue" : "ok");
		if (e && e->consecutive_failures > 1)
			snprintf(state + strlen(state), sizeof(state) - strlen(state), " after %d failed runs",
				 e->consecutive_failures);
		char *sandbox = sandboxes[i];
		sandbox_of(store, cfg->probes[i].name, sandbox);
		/* only an unconfined run is told in the row; the confinements are
		 * listed once below the table */
		if (ax_sandbox_unconfined(sandbox))
			snprintf(state + strlen(state), sizeof(state) - strlen(state), ", UNCONFINED (sandbox %s)", sandbox);
		bare |= ax_sandbox_unconfined(sandbox);
		legend |= !e && seen;
		int n = printf("%-*s %-*s %-16s %-16s", wn, cfg->probes[i].name, wt, cfg->probes[i].type->name, last, next);
		size_t col = n > 0 ? (size_t)n : 0;
		ax_wrap(stdout, &col, state, (size_t)(wn + wt + 2 + 34));
		putchar('\n');
	}
	if (legend)
		printf("collect only: collected by `annexa collect`; the daemon has not scheduled it\n");
	/* one line per distinct confinement of the newest runs, its instances
	 * wrapped under it: "sandbox landlock-v7+seccomp: mx-tls, postfix" */
	for (size_t i = 0; i < cfg->nprobes; i++) {
		if (!sandboxes[i][0])
			continue;
		struct ax_buf names = AX_BUF_INIT;
		for (size_t j = i; j < cfg->nprobes; j++)
			if (strcmp(sandboxes[j], sandboxes[i]) == 0 && (j == i || sandboxes[j][0])) {
				ax_buf_printf(&names, "%s%s", names.size ? ", " : "", cfg->probes[j].name);
				if (j != i)
					sandboxes[j][0] = '\0';
			}
		size_t col = (size_t)printf("sandbox %s:", sandboxes[i]);
		ax_wrap(stdout, &col, ax_buf_cstr(&names), 4);
		putchar('\n');
		ax_buf_free(&names);
	}
	free(sandboxes);
	if (bare)
		printf("warning: UNCONFINED: a probe's last run had neither Landlock nor seccomp (see README \"Probe confinement\")\n");
}

int ax_cmd_status(struct ax_cli *cli, int argc, char **argv)
{
	struct read_flags f;
	struct ax_status *st = NULL;
	int rc = parse_flags("status", argc, argv, &f, 0, 1);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = ax_cli_status(cli, &st)) != 0)
		return rc;
	if (f.control && !ax_catalog_find(cli->cat, f.control)) {
		fprintf(stderr, "annexa status: unknown control '%s' (ids are written A.5.1 ... A.8.34)\n", f.control);
		rc = AX_EXIT_USAGE;
		goto cleanup;
	}
	char *sched_file = ax_schedule_file(cli->cfg);
	struct ax_schedule *sched = NULL;
	ax_schedule_load(&sched, sched_file); /* absent when no daemon ran: fine */
	free(sched_file);
	if (f.json) {
		json_t *j = ax_status_to_json(st);
		json_t *all = json_object_get(j, "controls"), *cj;
		size_t ci;
		json_array_foreach(all, ci, cj)
			if (ci < st->ncontrols)
				annotate_schedule(cj, &st->controls[ci], sched, st->generated_at);
		if (f.failing) {
			json_t *bad = json_array();
			size_t i;
			json_t *c;
			json_array_foreach(all, i, c)
				if (i < st->ncontrols && ax_status_needs_attention(st->controls[i].status))
					json_array_append(bad, c);
			json_object_set_new(j, "controls", bad);
			all = bad;
		}
		if (f.control) {
			json_t *one = json_array();
			size_t i;
			json_t *c;
			json_array_foreach(all, i, c)
				if (strcmp(json_string_value(json_object_get(c, "id")), f.control) == 0)
					json_array_append(one, c);
			json_object_set_new(j, "controls", one);
		}
		json_t *insts = json_array();
		for (size_t i = 0; i < cli->cfg->nprobes; i++) {
			char sandbox[64];
			sandbox_of(cli->store, cli->cfg->probes[i].name, sandbox);
			json_array_append_new(insts, json_pack("{s:s,s:s,s:s?,s:b}", "name", cli->cfg->probes[i].name,
							       "type", cli->cfg->probes[i].type->name, "sandbox",
							       sandbox[0] ? sandbox : NULL, "unconfined", ax_sandbox_unconfined(sandbox)));
		}
		json_object_set_new(j, "instances", insts);
		pid_t pid = 0;
		int running = ax_daemon_running(ax_config_get(cli->cfg, "annexa", "store"), &pid);
		json_object_set_new(j, "daemon",
				    json_pack("{s:o,s:o}", "running", running < 0 ? json_null() : json_boolean(running == 1),
					      "pid", pid > 0 ? json_integer(pid) : json_null()));
		dump_json(j);
	} else {
		ax_status_print(st, stdout, f.control, f.failing);
		if (!f.control)
			print_instances(cli->cfg, cli->store, sched, &cli->latest, st->generated_at);
	}
	ax_schedule_free(sched);
	rc = AX_EXIT_OK;
	for (size_t i = 0; i < st->ncontrols; i++) {
		const struct ax_control_state *c = &st->controls[i];
		if (f.control && strcmp(c->control->id, f.control) != 0)
			continue;
		if (c->status == AX_CTL_FAIL || c->status == AX_CTL_ERROR)
			rc = AX_EXIT_FINDINGS;
	}
cleanup:
	ax_status_free(st);
	return rc;
}

/* One mapping rule of a control: the table prints its strength and
 * rationale after the check, --json carries them as fields. Rules from an
 * instance's `controls =` have neither: the site asserted them. */
static json_t *rule_json(const struct ax_mapping *m)
{
	return json_pack("{s:s,s:s?,s:s?,s:s}", "check", m->check, "strength", m->strength, "rationale", m->rationale,
			 "source", m->file);
}

int ax_cmd_controls(struct ax_cli *cli, int argc, char **argv)
{
	struct read_flags f;
	int rc = parse_flags("controls", argc, argv, &f, 0, 0);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = ax_cli_catalog(cli)) != 0)
		return rc;
	const struct ax_catalog *cat = cli->cat;
	json_t *arr = json_array();
	for (size_t i = 0; i < cat->ncontrols; i++) {
		const struct ax_control *c = &cat->controls[i];
		json_t *checks = json_array(), *rules = json_array(), *legacy = json_array();
		for (size_t m = 0; m < cat->nmaps; m++) {
			if (strcmp(cat->maps[m].control, c->id) != 0)
				continue;
			json_array_append_new(checks, json_string(cat->maps[m].check));
			json_array_append_new(rules, rule_json(&cat->maps[m]));
		}
		for (size_t p = 0; p < cli->cfg->nprobes; p++)
			for (size_t k = 0; k < cli->cfg->probes[p].ncontrols; k++)
				if (strcmp(cli->cfg->probes[p].controls[k], c->id) == 0) {
					json_t *id = json_sprintf("%s:*", cli->cfg->probes[p].name);
					json_array_append(checks, id);
					json_array_append_new(rules, json_pack("{s:o,s:s}", "check", id, "source",
									       "config: controls ="));
				}
		for (size_t w = 0; w < cat->nxwalk; w++)
			if (strcmp(cat->xwalk[w].to, c->id) == 0)
				json_array_append_new(legacy, json_pack("{s:s,s:s,s:s}", "framework", cat->xwalk[w].framework,
									"id", cat->xwalk[w].from, "relationship",
									cat->xwalk[w].relationship));
		if (f.json) {
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "id", c->id, "theme", c->theme,
							     "title", c->title, "checks", checks, "mappings", rules,
							     "crosswalk", legacy));
			continue;
		}
		printf("%-7s %-14s %s\n", c->id, c->theme, c->title);
		size_t j;
		json_t *v;
		json_array_foreach(rules, j, v) {
			const char *strength = json_string_value(json_object_get(v, "strength"));
			const char *why = json_string_value(json_object_get(v, "rationale"));
			printf("        <- %s [%s] %s\n", json_string_value(json_object_get(v, "check")),
			       strength ? strength : "instance",
			       strength ? (why ? why : "") : "listed in the probe's `controls =`");
		}
		json_array_foreach(legacy, j, v)
			printf("        =  %s %s (%s)\n", json_string_value(json_object_get(v, "framework")),
			       json_string_value(json_object_get(v, "id")), json_string_value(json_object_get(v, "relationship")));
		json_decref(checks);
		json_decref(rules);
		json_decref(legacy);
	}
	if (f.json)
		dump_json(arr);
	else
		json_decref(arr);
	return 0;
}

int ax_cmd_soa(struct ax_cli *cli, int argc, char **argv)
{
	struct read_flags f;
	struct ax_status *st = NULL;
	int rc = parse_flags("soa", argc, argv, &f, 1, 0);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = ax_cli_status(cli, &st)) != 0)
		return rc;
	if (f.json) {
		dump_json(ax_soa_to_json(st, cli->cfg));
	} else if (f.csv) {
		if (ax_soa_write_csv(st, cli->cfg, f.sep, stdout) < 0)
			rc = ax_cli_fail(AX_EXIT_RUNTIME, "soa");
	} else if (f.xlsx) {
		if (ax_soa_write_xlsx(st, cli->cfg, ax_config_get(cli->cfg, "annexa", "organization"), f.xlsx) < 0)
			rc = ax_cli_fail(AX_EXIT_RUNTIME, "soa");
		else
			fprintf(stderr, "%s: Statement of Applicability of %zu controls\n", f.xlsx, st->ncontrols);
	} else {
		for (size_t i = 0; i < st->ncontrols; i++) {
			const struct ax_control_state *c = &st->controls[i];
			printf("%-7s %-3s %-14s %s%s%s", c->control->id, c->status == AX_CTL_NOT_APPLICABLE ? "no" : "yes",
			       ax_control_status_name(c->status), c->control->title, c->justification ? " - " : "",
			       c->justification ? c->justification : "");
			if (c->inherited_from)
				printf(" - inherited from %s (%s)", c->inherited_from,
				       c->inherited_reference ? c->inherited_reference : "");
			putchar('\n');
		}
	}
	ax_status_free(st);
	return rc;
}

int ax_cmd_check_config(struct ax_cli *cli, int argc, char **argv)
{
	struct read_flags f;
	int rc = parse_flags("check-config", argc, argv, &f, 0, 0);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = ax_cli_config(cli)) != 0 || (rc = ax_cli_catalog(cli)) != 0)
		return rc == AX_EXIT_RUNTIME ? AX_EXIT_USAGE : rc;
	const struct ax_config *cfg = cli->cfg;
	if (ax_catalog_check_config(cli->cat, cfg) < 0)
		return ax_cli_fail(AX_EXIT_USAGE, NULL);
	/* the key is checked, never made here: check-config runs as root
	 * before the daemon drops privileges */
	struct ax_buf key = AX_BUF_INIT;
	char *key_path = NULL;
	int key_err = ax_collect_load_pseudonym_key(cfg, 0, &key, &key_path);
	const char *key_src = ax_config_get(cfg, "privacy", "pseudonym-key-file") ? "configured"
			      : key.size ? "generated" : "generated on the first collect";
	OPENSSL_cleanse(key.ptr, key.size);
	ax_buf_free(&key);
	if (key_err < 0)
		return ax_cli_fail(AX_EXIT_USAGE, NULL);
	if (f.json) {
		dump_json(json_pack("{s:s,s:b,s:i,s:i,s:{s:s,s:s}}", "config", cfg->path, "valid", 1, "probes",
				    (int)cfg->nprobes, "controls", (int)cli->cat->ncontrols, "pseudonym_key", "path",
				    key_path, "source", key_src));
	} else {
		printf("%s: configuration OK (%zu probe instances, %zu controls, %zu mappings)\n", cfg->path,
		       cfg->nprobes, cli->cat->ncontrols, cli->cat->nmaps);
		printf("pseudonym key: %s (%s%s)\n", key_path, key_src,
		       strcmp(key_src, "configured") ? ": 32 random bytes, 0600, never overwritten; back it up with the store" : "");
	}
	free(key_path);
	return 0;
}
