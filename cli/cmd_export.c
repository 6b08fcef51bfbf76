/* cmd_export.c - the commands `export`, `verify`, `keygen` and `report`.
 *
 * Exit codes (DESIGN.md): 0 success; verify: 1 invalid bundle, with the
 * first problem named on stderr; 2 usage or configuration error; 3 runtime
 * error. `verify` needs no configuration: an auditor runs it on a bundle
 * alone. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchors.h"
#include "cli.h"
#include "config.h"
#include "controls.h"
#include "export.h"
#include "report_gen.h"
#include "util.h"

/* [signing] key / certificate, else <state-dir>/signing.key|crt. */
static char *signing_path(const struct ax_config *cfg, const char *key, const char *file)
{
	const char *v = ax_config_get(cfg, "signing", key);
	if (v && *v)
		return ax_strdup(v);
	const char *dir = ax_config_get(cfg, "annexa", "state-dir");
	return ax_asprintf("%s/%s", dir && *dir ? dir : ".", file);
}

struct export_args {
	const char *out, *since_s, *until_s, *tsa_request, *tsa_reply, *tsa_ca, *locker;
	int64_t since, until;
};

static int parse_export_args(const char *cmd, int argc, char **argv, struct export_args *a, int allow_tsa)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},   {"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},    {"tsa-request", required_argument, NULL, 'q'},
		{"tsa-reply", required_argument, NULL, 'r'}, {"tsa-ca", required_argument, NULL, 'C'},
		{"locker", required_argument, NULL, 'L'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct ax_command *c = ax_command_find(cmd);
	int ch;
	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->out = optarg; break;
		case 's': a->since_s = optarg; break;
		case 'u': a->until_s = optarg; break;
		case 'q': a->tsa_request = optarg; break;
		case 'r': a->tsa_reply = optarg; break;
		case 'C': a->tsa_ca = optarg; break;
		case 'L': a->locker = optarg; break;
		case 'h': return c ? ax_cli_usage(c, stdout, 0), -1 : -1;
		default: goto usage;
		}
	}
	if (optind < argc || !a->out)
		goto usage;
	if (!allow_tsa && (a->tsa_request || a->tsa_reply || a->tsa_ca || a->locker))
		goto usage;
	if (a->locker && a->tsa_reply)
		goto usage; /* --tsa-reply stamps an existing bundle */
	if (a->since_s && ax_cli_parse_time(a->since_s, 0, &a->since) < 0) {
		fprintf(stderr, "annexa %s: --since '%s': want RFC 3339 or YYYY-MM-DD\n", cmd, a->since_s);
		return AX_EXIT_USAGE;
	}
	if (a->until_s && ax_cli_parse_time(a->until_s, 1, &a->until) < 0) {
		fprintf(stderr, "annexa %s: --until '%s': want RFC 3339 or YYYY-MM-DD\n", cmd, a->until_s);
		return AX_EXIT_USAGE;
	}
	return 0;
usage:
	return c ? ax_cli_usage(c, stderr, AX_EXIT_USAGE) : AX_EXIT_USAGE;
}

/* The period's data from the configured store, or, with --locker, from
 * the temporary store the locker was replayed into (*locker, freed by the
 * caller; the configured store is then never opened). */
static int load_data(struct ax_cli *cli, const struct export_args *a, struct ax_export_locker **locker,
		     struct ax_export_data **d)
{
	struct ax_store *store;
	int rc, err;
	if ((rc = ax_cli_catalog(cli)) != 0)
		return rc;
	if (a->locker) {
		if ((err = ax_export_locker_open(a->locker, locker)) < 0)
			return ax_cli_fail(err == AX_EINVALID ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, "export");
		store = (*locker)->store;
	} else {
		if ((rc = ax_cli_store(cli)) != 0)
			return rc;
		store = cli->store;
	}
	err = ax_export_data_load(cli->cfg, store, cli->cat, a->since, a->until, ax_now(), d);
	if (err == 0 && locker && *locker) {
		(*d)->locker = *locker;
		/* this machine's daemon log says nothing of the collectors' */
		ax_export_calendar_build(*d, NULL, 0);
	}
	if (err < 0)
		return ax_cli_fail(err == AX_EINVALID ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, NULL);
	return 0;
}

/* A bundle signs what the store holds: a store whose ledger does not
 * verify, or that no longer matches an anchor, is refused (exit 1). */
static int check_store(struct ax_cli *cli)
{
	struct ax_ledger_report rep;
	struct ax_anchors anchors = {0};
	char *file = NULL;
	int rc, err;
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	if ((err = ax_store_ledger_check(cli->store, &rep)) == 0) {
		file = ax_anchors_file(cli->cfg);
		err = ax_anchors_load(file, NULL, &anchors);
		if (err == AX_ENOTFOUND)
			err = 0;
		else if (err == 0)
			err = ax_anchors_check(cli->store, &anchors, NULL);
	}
	if (err == AX_EINVALID) {
		fprintf(stderr, "annexa: export: refused: %s\n", ax_error_last());
		rc = AX_EXIT_FINDINGS;
	} else if (err < 0) {
		rc = ax_cli_fail(AX_EXIT_RUNTIME, "export");
	}
	ax_anchors_free(&anchors);
	free(file);
	return rc;
}

/* The bundle's store head becomes an anchor of the state folder; failing
 * to record it does not undo the bundle. A time-stamped bundle is read
 * back (verified) so the anchor carries the TSA's time; d may then be
 * NULL (--tsa-reply stamps a bundle of an earlier export). */
static void record_anchor(struct ax_cli *cli, const struct ax_export_data *d, const char *out, int stamped)
{
	struct ax_anchors from_bundle = {0};
	struct ax_anchor an = {.kind = "bundle"};
	char *file = ax_anchors_file(cli->cfg), *abs = realpath(out, NULL);
	int err = 0;
	if (stamped) {
		if ((err = ax_anchors_load(out, NULL, &from_bundle)) == 0 && from_bundle.n == 1)
			an = from_bundle.a[0];
	} else if (d && d->have_store_head) {
		an.run = d->store_head.id;
		an.time = d->generated_at;
		memcpy(an.hash, d->store_head.hash, sizeof(an.hash));
	}
	an.source = abs ? abs : (char *)out;
	if (err == 0 && an.run > 0)
		err = ax_anchor_append(file, &an);
	if (err < 0)
		fprintf(stderr, "annexa: export: warning: no anchor recorded: %s\n", ax_error_last());
	ax_anchors_free(&from_bundle);
	free(abs);
	free(file);
}

int ax_cmd_export(struct ax_cli *cli, int argc, char **argv)
{
	struct export_args a;
	struct ax_export_data *d = NULL;
	struct ax_export_locker *locker = NULL;
	struct ax_signer *signer = NULL;
	struct ax_buf reply = AX_BUF_INIT;
	char *key = NULL, *cert = NULL;
	size_t nfiles = 0;
	int rc = parse_export_args("export", argc, argv, &a, 1), err;
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = ax_cli_config(cli)) != 0)
		return rc;
	const char *tsa_ca = a.tsa_ca ? a.tsa_ca : ax_config_get(cli->cfg, "signing", "tsa-ca");
	if (a.tsa_reply) {
		/* offline workflow, second half: stamp an existing bundle */
		if ((err = ax_file_read(a.tsa_reply, 1 << 20, &reply)) < 0 ||
		    (err = ax_bundle_add_tsr(a.out, reply.ptr, reply.size, tsa_ca)) < 0) {
			rc = ax_cli_fail(err == AX_EINVALID || err == AX_ENOTFOUND ? AX_EXIT_USAGE : AX_EXIT_RUNTIME,
					 "export");
			goto cleanup;
		}
		printf("%s: time stamp added (manifest.json.sig.tsr)\n", a.out);
		record_anchor(cli, NULL, a.out, 1);
		goto cleanup;
	}
	key = signing_path(cli->cfg, "key", "signing.key");
	cert = signing_path(cli->cfg, "certificate", "signing.crt");
	if ((err = ax_signer_load(&signer, key, cert, ax_config_get(cli->cfg, "signing", "chain"))) < 0) {
		fprintf(stderr, "annexa: export: %s\n(create a key with `annexa keygen`, or set [signing] key and "
				"certificate)\n", ax_error_last());
		rc = err == AX_ERROR ? AX_EXIT_RUNTIME : AX_EXIT_USAGE;
		goto cleanup;
	}
	if (!a.locker && (rc = check_store(cli)) != 0)
		goto cleanup;
	if ((rc = load_data(cli, &a, &locker, &d)) != 0)
		goto cleanup;
	struct ax_bundle_opts o = {
		.signer = signer,
		.tsa_url = ax_config_get(cli->cfg, "signing", "tsa-url"),
		.tsa_ca = tsa_ca,
		.tsa_request = a.tsa_request,
		.progress = isatty(2) && d->nartifacts > 20,
	};
	if ((err = ax_bundle_write(d, &o, a.out, &nfiles)) < 0) {
		rc = ax_cli_fail(err == AX_EINVALID ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, "export");
		goto cleanup;
	}
	printf("%s: %zu files, %zu runs, %zu results, %zu artifacts, signed\n", a.out, nfiles, d->nruns,
	       d->evidence.nresults, d->nartifacts);
	if (!locker)
		record_anchor(cli, d, a.out, o.tsa_url && *o.tsa_url);
	if (locker)
		printf("locker %s: %zu collectors, %zu commits replayed\n", a.locker, locker->ncollectors,
		       locker->commits);
	if (a.tsa_request)
		printf("time-stamp request written to %s: send it to your TSA, then run\n"
		       "  annexa export -o %s --tsa-reply REPLY.tsr\n", a.tsa_request, a.out);
cleanup:
	ax_buf_free(&reply);
	ax_signer_free(signer);
	ax_export_data_free(d);
	ax_export_locker_free(locker); /* removes the temporary store */
	free(key);
	free(cert);
	return rc;
}

int ax_cli_export_sample(struct ax_cli *cli, int64_t since, int64_t until, const char *out, const char *seed,
			 const struct ax_buf *sample_json)
{
	struct export_args a = {.out = out, .since = since, .until = until};
	struct ax_export_data *d = NULL;
	struct ax_signer *signer = NULL;
	char *key = NULL, *cert = NULL;
	size_t nfiles = 0;
	int rc, err;
	key = signing_path(cli->cfg, "key", "signing.key");
	cert = signing_path(cli->cfg, "certificate", "signing.crt");
	if ((err = ax_signer_load(&signer, key, cert, ax_config_get(cli->cfg, "signing", "chain"))) < 0) {
		fprintf(stderr, "annexa: sample: %s\n(create a key with `annexa keygen`)\n", ax_error_last());
		rc = err == AX_ERROR ? AX_EXIT_RUNTIME : AX_EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = check_store(cli)) != 0 || (rc = load_data(cli, &a, NULL, &d)) != 0)
		goto cleanup;
	d->sample_seed = seed;
	struct ax_bundle_opts o = {.signer = signer, .extra_path = "sample.json", .extra = sample_json};
	if ((err = ax_bundle_write(d, &o, out, &nfiles)) < 0) {
		rc = ax_cli_fail(err == AX_EINVALID ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, "sample");
		goto cleanup;
	}
	printf("%s: %zu files, %zu runs, %zu results, %zu artifacts, signed\n", out, nfiles, d->nruns,
	       d->evidence.nresults, d->nartifacts);
	record_anchor(cli, d, out, 0);
cleanup:
	ax_signer_free(signer);
	ax_export_data_free(d);
	free(key);
	free(cert);
	return rc;
}

/* mkdir -p of path's folders (0700 where made). */
static int make_parents(const char *path)
{
	char *dir = ax_strdup(path);
	int err = 0;
	for (char *p = dir + 1; *p && !err; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			err = ax_error_set("%s: %s", dir, strerror(errno));
		*p = '/';
	}
	free(dir);
	return err;
}

/* One file the report links, copied from the store to FOLDER/rest-of-path
 * (the bundle path without "evidence/"). Paths that could leave the
 * folder are never written (the report does not link them either). */
static int write_linked(struct ax_store *store, const char *folder, const char *bundle_path, const char *sha256,
			size_t *written)
{
	if (!bundle_path || !ax_report_local_href(bundle_path))
		return 0;
	char *path = ax_asprintf("%s/%s", folder, bundle_path + strlen("evidence/"));
	struct ax_buf b = AX_BUF_INIT;
	int err = make_parents(path);
	if (err == 0 && (err = ax_store_artifact(store, sha256, &b)) == 0 &&
	    (err = ax_file_write_atomic(path, b.ptr, b.size, AX_EXPORT_FILE_MODE)) == 0)
		(*written)++;
	ax_buf_free(&b);
	free(path);
	return err;
}

/* The evidence a `report -o FILE` links, written to FILE.evidence/ so the
 * links work wherever the two are copied together. */
static int write_report_evidence(const struct ax_export_data *d, const char *folder, size_t *written)
{
	int err = 0;
	for (size_t i = 0; i < d->nartifacts && err == 0; i++)
		err = write_linked(d->store, folder, d->artifacts[i].bundle_path, d->artifacts[i].sha256, written);
	for (size_t i = 0; i < d->nmfiles && err == 0; i++) {
		const struct ax_export_manual_file *mf = &d->mfiles[i];
		if (!ax_export_manual_stored(mf))
			continue;
		err = write_linked(d->store, folder, mf->bundle_path,
				   d->manual.items[mf->item].files[mf->file].sha256, written);
	}
	return err;
}

int ax_cmd_report(struct ax_cli *cli, int argc, char **argv)
{
	struct export_args a;
	struct ax_export_data *d = NULL;
	struct ax_buf html = AX_BUF_INIT;
	char *href = NULL, *folder = NULL;
	int rc = parse_export_args("report", argc, argv, &a, 0), err;
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = load_data(cli, &a, NULL, &d)) != 0)
		goto cleanup;
	/* links relative to the report: "NAME.evidence/..." beside it */
	const char *base = strrchr(a.out, '/') ? strrchr(a.out, '/') + 1 : a.out;
	struct ax_buf enc = AX_BUF_INIT;
	for (const unsigned char *c = (const unsigned char *)base; *c; c++) /* a name is not yet a URL */
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("._~-", *c))
			ax_buf_putc(&enc, (char)*c);
		else
			ax_buf_printf(&enc, "%%%02X", *c);
	href = ax_asprintf("%s.evidence/", ax_buf_cstr(&enc));
	ax_buf_free(&enc);
	folder = ax_asprintf("%s.evidence", a.out);
	d->evidence_href = href;
	size_t copied = 0;
	if ((err = ax_report_html(d, &html)) < 0 || (err = write_report_evidence(d, folder, &copied)) < 0 ||
	    (err = ax_file_write_atomic(a.out, html.ptr, html.size, AX_EXPORT_FILE_MODE)) < 0) {
		rc = ax_cli_fail(AX_EXIT_RUNTIME, "report");
		goto cleanup;
	}
	printf("%s: report of %zu controls over %zu runs", a.out, d->status->ncontrols, d->nruns);
	if (copied)
		printf(", %zu evidence file%s in %s/", copied, copied == 1 ? "" : "s", folder);
	putchar('\n');
cleanup:
	free(href);
	free(folder);
	ax_buf_free(&html);
	ax_export_data_free(d);
	return rc;
}

/* `verify --json`: one object, valid or not. */
static void verify_json(const char *path, int err, const struct ax_verify_opts *o,
			const struct ax_verify_report *rep)
{
	char ts[32], exp[32], at[32];
	json_t *problems = json_array();
	if (err < 0)
		json_array_append_new(problems, json_string(ax_error_last()));
	ax_time_format(rep->tsr_time, ts);
	ax_time_format(rep->signer_expired_at, exp);
	ax_time_format(rep->checked_at, at);
	json_t *j = json_pack("{s:s,s:b,s:b,s:o,s:{s:o,s:o,s:b,s:o,s:o,s:o},s:o,s:o,s:{s:I,s:I,s:I,s:I}}",
			      "bundle", path, "valid", err == 0, "readable", err == 0 || err == AX_EINVALID,
			      "problems", problems, "signer", "subject",
			      rep->subject.size ? json_string(ax_buf_cstr(&rep->subject)) : json_null(),
			      "fingerprint_sha256", rep->fingerprint[0] ? json_string(rep->fingerprint) : json_null(),
			      "trusted_ca", rep->trusted_ca, "ca", o->ca_path ? json_string(o->ca_path) : json_null(),
			      "expired_at", rep->signer_expired_at ? json_string(exp) : json_null(),
			      "checked_at", rep->checked_at ? json_string(at) : json_null(), "ledger_head",
			      rep->ledger_head[0] ? json_string(rep->ledger_head) : json_null(), "timestamp",
			      rep->has_tsr && rep->tsr_time
				      ? json_pack("{s:s,s:b}", "time", ts, "tsa_verified", rep->tsr_ca_checked)
				      : json_null(),
			      "counts", "entries", (json_int_t)rep->entries, "files", (json_int_t)rep->files, "runs",
			      (json_int_t)rep->runs, "runs_content", (json_int_t)rep->runs_content);
	if (j)
		json_object_set_new(j, "derived",
				    json_pack("{s:b,s:I,s:I,s:o}", "period_json", rep->period_checked,
					      "period_instances", (json_int_t)rep->period_instances, "runs_populations",
					      (json_int_t)rep->runs_populations, "sample_items",
					      rep->sample_checked ? json_integer((json_int_t)rep->sample_items)
								  : json_null()));
	/* pruned runs are a finding, not a pass: their content is unverified */
	if (j)
		json_object_set_new(j, "pruned_runs",
				    json_pack("{s:I,s:I,s:I}", "covered", (json_int_t)rep->runs_pruned_covered, "legacy",
					      (json_int_t)rep->runs_pruned_legacy, "unknown",
					      (json_int_t)rep->runs_pruned_unknown));
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	printf("%s\n", text ? text : "{\"valid\": false}");
	free(text);
	json_decref(j);
}

static void verify_text(const char *path, const struct ax_verify_opts *o, const struct ax_verify_report *rep)
{
	char ts[32];
	printf("%s: valid\n", path);
	printf("  signature: signed by %s\n", ax_buf_cstr(&rep->signer));
	if (rep->checked_at) {
		char exp[32];
		ax_time_format(rep->checked_at, ts);
		ax_time_format(rep->signer_expired_at, exp);
		printf("  validity:  the signer's certificate expired on %s; checked at the time stamp's time %s\n",
		       exp, ts);
	}
	if (rep->trusted_ca)
		printf("  trust:     the signer chains to --ca %s\n", o->ca_path);
	else
		printf("  trust:     checked against the bundled signer.pem only: this proves integrity, not who signed;\n"
		       "             compare the fingerprint above, or give --ca CERT for a trust decision\n");
	printf("  zip:       %zu entries, read one way only (no byte outside the ZIP structure)\n", rep->entries);
	printf("  files:     %zu files match manifest.json, none missing, none extra\n", rep->files);
	printf("  ledger:    %zu runs chained, %zu content hashes recomputed from results.jsonl\n", rep->runs,
	       rep->runs_content);
	if (rep->period_checked)
		printf("  calendar:  period.json agrees with the ledger (%zu probe instances; the\n"
		       "             configured intervals and gaps' reasons are the site's statement)\n",
		       rep->period_instances);
	if (rep->runs_populations)
		printf("  runs:      %zu populations/*/runs.csv rebuilt from the ledger\n", rep->runs_populations);
	if (rep->sample_checked)
		printf("  sample:    sample.json's %zu items redrawn from its population and seed;\n"
		       "             the plan names that seed (whether you chose it, only you know)\n",
		       rep->sample_items);
	size_t pruned = rep->runs_pruned_covered + rep->runs_pruned_legacy + rep->runs_pruned_unknown;
	if (pruned)
		printf("  finding:   %zu pruned runs, their content cannot be verified (%zu listed by a prune run of the\n"
		       "             bundle, %zu pruned before annexa recorded prunes, %zu whose prune run may come\n"
		       "             after the bundle's end)\n",
		       pruned, rep->runs_pruned_covered, rep->runs_pruned_legacy, rep->runs_pruned_unknown);
	if (rep->has_tsr) {
		ax_time_format(rep->tsr_time, ts);
		printf("  timestamp: %s, %s\n", ts,
		       rep->tsr_ca_checked ? "TSA signature verified against --tsa-ca"
					  : "imprint matches; TSA signature not checked (give --tsa-ca)");
	}
}

/* `verify --list`: the entries as the verifier reads them. */
static int verify_list(const char *path)
{
	char **names = NULL;
	size_t n = 0;
	int err = ax_bundle_list(path, &names, &n);
	for (size_t i = 0; i < n; i++) {
		if (!err)
			printf("%s\n", names[i]);
		free(names[i]);
	}
	free(names);
	if (err == AX_EINVALID)
		fprintf(stderr, "annexa: verify: %s: INVALID: %s\n", path, ax_error_last());
	else if (err < 0)
		fprintf(stderr, "annexa: verify: %s\n", ax_error_last());
	return err == 0 ? 0 : err == AX_EINVALID ? AX_EXIT_FINDINGS : AX_EXIT_RUNTIME;
}

int ax_cmd_verify(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ca", required_argument, NULL, 'c'},
		{"tsa-ca", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"list", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct ax_command *c = ax_command_find("verify");
	struct ax_verify_opts o = {.progress = isatty(2)};
	struct ax_verify_report rep;
	int ch, json = 0, list = 0;
	optind = 0;
	/* options anywhere (getopt permutes): `verify FILE --ca CERT` as the
	 * README writes it */
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.ca_path = optarg; break;
		case 't': o.tsa_ca_path = optarg; break;
		case 'j': json = 1; break;
		case 'l': list = 1; break;
		case 'h': return c ? ax_cli_usage(c, stdout, 0) : 0;
		default: return c ? ax_cli_usage(c, stderr, AX_EXIT_USAGE) : AX_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || (list && (json || o.ca_path || o.tsa_ca_path)))
		return c ? ax_cli_usage(c, stderr, AX_EXIT_USAGE) : AX_EXIT_USAGE;
	const char *path = argv[optind];
	if (list)
		return verify_list(path);
	int err = ax_bundle_verify(path, &o, &rep);
	if (json)
		verify_json(path, err, &o, &rep);
	if (err == AX_EINVALID && !json)
		fprintf(stderr, "annexa: verify: %s: INVALID: %s\n", path, ax_error_last());
	else if (err < 0 && !json)
		fprintf(stderr, "annexa: verify: %s\n", ax_error_last());
	else if (err == 0 && !json)
		verify_text(path, &o, &rep);
	ax_verify_report_free(&rep);
	(void)cli;
	return err == 0 ? 0 : err == AX_EINVALID ? AX_EXIT_FINDINGS : AX_EXIT_RUNTIME;
}

/* Creates the one missing folder level of path with mode 0700. */
static void make_parent(const char *path)
{
	char *dir = ax_strdup(path), *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			(void)0; /* keygen's own error names the path */
	}
	free(dir);
}

int ax_cmd_keygen(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"key", required_argument, NULL, 'k'},
		{"cert", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct ax_command *c = ax_command_find("keygen");
	const char *key_opt = NULL, *cert_opt = NULL;
	char *key = NULL, *cert = NULL;
	int ch, rc, err;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': key_opt = optarg; break;
		case 'c': cert_opt = optarg; break;
		case 'h': return c ? ax_cli_usage(c, stdout, 0) : 0;
		default: return c ? ax_cli_usage(c, stderr, AX_EXIT_USAGE) : AX_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return c ? ax_cli_usage(c, stderr, AX_EXIT_USAGE) : AX_EXIT_USAGE;
	if ((rc = ax_cli_config(cli)) != 0)
		return rc;
	key = key_opt ? ax_strdup(key_opt) : signing_path(cli->cfg, "key", "signing.key");
	cert = cert_opt ? ax_strdup(cert_opt) : signing_path(cli->cfg, "certificate", "signing.crt");
	make_parent(key);
	make_parent(cert);
	const char *org = ax_config_get(cli->cfg, "annexa", "organization");
	if ((err = ax_keygen(key, cert, org ? org : "", ax_now())) < 0) {
		rc = ax_cli_fail(err == AX_EEXISTS ? AX_EXIT_USAGE : AX_EXIT_RUNTIME, "keygen");
		goto cleanup;
	}
	printf("signing key: %s (ECDSA P-256, mode 0600)\ncertificate: %s (self-signed, valid 3 years)\n", key, cert);
	/* what README.txt of every bundle tells the auditor to compare, so
	 * the owner can hand it over on another channel now */
	struct ax_signer *signer = NULL;
	char fp[96];
	if (ax_signer_load(&signer, key, cert, NULL) == 0) {
		ax_signer_fingerprint(signer, fp);
		/* 16 bytes a line: within 80 columns, compared half by half */
		printf("SHA-256 fingerprint of the certificate (give it to the auditor on another\n"
		       "channel; README.txt in every bundle says how to compare it):\n  %.47s\n  %s\n",
		       fp, fp + 48);
	}
	ax_signer_free(signer);
cleanup:
	free(key);
	free(cert);
	return rc;
}
