/* restic.c - the `restic` probe: evidence that backups happen, are kept,
 * are intact and are encrypted, from the real restic binary.
 *
 * The repository password only ever reaches restic as RESTIC_PASSWORD_FILE
 * in its environment (and the repository location as RESTIC_REPOSITORY, so
 * credentials in a URL stay off the command line); the probe never reads
 * the password file. Every restic call has a deadline and bounded output
 * (subprocess.h); its stderr is redacted before it becomes evidence. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "population.h"
#include "probe.h"
#include "redact.h"
#include "subprocess.h"
#include "util.h"

#define RESTIC_MAX_OUTPUT (16 * 1024 * 1024)

static const struct ax_option restic_options[] = {
	{"repository", AX_OPT_STRING, NULL, AX_OPT_REQUIRED, NULL, 0, 0,
	 "restic repository (absolute path or restic URL); passed in the environment"},
	{"password-file", AX_OPT_PATH, NULL, AX_OPT_REQUIRED, NULL, 0, 0,
	 "file holding the repository password (given to restic, never read by annexa)"},
	{"restic", AX_OPT_STRING, "restic", 0, NULL, 0, 0, "the restic binary"},
	{"path", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "paths the counted snapshots must include (repeatable)"},
	{"host", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "host the counted snapshots must come from"},
	{"max-age", AX_OPT_DURATION, "26h", 0, NULL, 60, 31449600, "newest snapshot must be younger than this"},
	{"min-snapshots", AX_OPT_INT, "7", 0, NULL, 1, 100000, "snapshots that must be kept"},
	{"min-span", AX_OPT_DURATION, "6d", 0, NULL, 0, 315360000, "oldest to newest snapshot must span this"},
	{"check", AX_OPT_ENUM, "structure", 0, "none|structure|read-data", 0, 0,
	 "restic check: structure only, or re-read all pack data"},
	{"read-data-subset", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "re-read only this subset (\"10%\", \"1/7\")"},
	{"max-shrink", AX_OPT_INT, "50", 0, NULL, 1, 100, "percent the newest snapshot may shrink against the previous"},
	{"command-timeout", AX_OPT_DURATION, "10m", 0, NULL, 1, 86400, "deadline of each restic command"},
	{NULL},
};

static const struct ax_check_def restic_checks[] = {
	{"backup.fresh", "the newest matching snapshot is younger than max-age"},
	{"backup.retention", "at least min-snapshots spread over min-span"},
	{"backup.integrity", "restic check finds no error"},
	{"backup.encrypted", "the repository is encrypted: a wrong password is refused"},
	{"backup.size_drop", "the newest snapshot did not shrink by more than max-shrink"},
	{NULL},
};

struct restic {
	struct ax_probe_ctx *ctx;
	char *env[6];
	char *cache_arg; /* --cache-dir=... or --no-cache */
};

static void restic_init(struct restic *r, struct ax_probe_ctx *ctx, const char *password_file)
{
	const char *state = ax_probe_state_dir(ctx);
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->env[0] = ax_strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	r->env[1] = ax_asprintf("HOME=%s", state ? state : "/nonexistent");
	r->env[2] = ax_asprintf("RESTIC_REPOSITORY=%s", ax_probe_opt(ctx, "repository"));
	r->env[3] = ax_asprintf("RESTIC_PASSWORD_FILE=%s", password_file);
	r->env[4] = ax_strdup("RESTIC_PROGRESS_FPS=0.0001");
	r->cache_arg = state ? ax_asprintf("--cache-dir=%s/restic-cache", state) : ax_strdup("--no-cache");
}

static void restic_free(struct restic *r)
{
	for (size_t i = 0; i < 6; i++)
		free(r->env[i]);
	free(r->cache_arg);
}

/* Runs restic with up to 6 arguments (NULL-terminated). */
static int restic_run(struct restic *r, struct ax_subprocess *res, const char *a1, const char *a2, const char *a3,
		      const char *a4)
{
	const char *argv[8] = {ax_probe_opt(r->ctx, "restic"), "--no-lock", r->cache_arg, a1, a2, a3, a4, NULL};
	/* `check` must lock; everything else reads without a lock */
	if (a1 && strcmp(a1, "check") == 0)
		argv[1] = "-q";
	memset(res, 0, sizeof(*res));
	return ax_subprocess_run(argv, (const char *const *)r->env, ax_probe_opt_int(r->ctx, "command-timeout") * 1000,
				 RESTIC_MAX_OUTPUT, res);
}

/* restic's complaint, redacted and cut to a few lines. */
static char *complaint(const struct ax_subprocess *res)
{
	struct ax_buf red = AX_BUF_INIT, out = AX_BUF_INIT;
	const struct ax_buf *src = res->err.size ? &res->err : &res->out;
	ax_redact(ax_buf_cstr(src), src->size, NULL, &red);
	size_t lines = 0;
	for (const char *p = ax_buf_cstr(&red); *p && lines < 6; p++) {
		if (*p == '\n') {
			if (++lines < 6)
				ax_buf_puts(&out, "; ");
			continue;
		}
		ax_buf_putc(&out, *p);
	}
	ax_buf_free(&red);
	if (!out.size)
		ax_buf_printf(&out, "exit status %d", res->exit_code);
	return ax_buf_detach(&out);
}

struct snap {
	int64_t time;
	const char *id;
};

static int by_time(const void *a, const void *b)
{
	const struct snap *x = a, *y = b;
	return x->time < y->time ? -1 : x->time > y->time;
}

static int snapshot_matches(struct ax_probe_ctx *ctx, json_t *s)
{
	const char *host = ax_probe_opt(ctx, "host");
	if (host && strcmp(host, json_string_value(json_object_get(s, "hostname")) ?: "") != 0)
		return 0;
	json_t *paths = json_object_get(s, "paths");
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "path"); i++) {
		const char *want = ax_probe_opt_at(ctx, "path", i);
		int found = 0;
		size_t k;
		json_t *p;
		json_array_foreach(paths, k, p) found |= json_is_string(p) && strcmp(json_string_value(p), want) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

/* Restore size of one snapshot in bytes, or -1. */
static int64_t snapshot_size(struct restic *r, const char *id)
{
	struct ax_subprocess res;
	int64_t size = -1;
	if (restic_run(r, &res, "stats", "--json", "--mode=restore-size", id) == 0 && res.exit_code == 0) {
		json_t *j = json_loadb(res.out.ptr, res.out.size, 0, NULL);
		if (json_is_integer(json_object_get(j, "total_size")))
			size = json_integer_value(json_object_get(j, "total_size"));
		json_decref(j);
	}
	ax_subprocess_free(&res);
	return size;
}

static void check_snapshots(struct restic *r, json_t *list)
{
	struct ax_probe_ctx *ctx = r->ctx;
	size_t n = 0, i;
	json_t *s;
	struct snap *snaps = ax_calloc(json_array_size(list) + 1, sizeof(*snaps));
	json_array_foreach(list, i, s) {
		int64_t t;
		const char *when = json_string_value(json_object_get(s, "time"));
		const char *id = json_string_value(json_object_get(s, "short_id"));
		if (!when || !id || ax_time_parse(when, &t) < 0 || !snapshot_matches(ctx, s))
			continue;
		snaps[n].time = t;
		snaps[n++].id = id;
	}
	qsort(snaps, n, sizeof(*snaps), by_time);
	int64_t now = ax_probe_now(ctx), max_age = ax_probe_opt_int(ctx, "max-age");
	char newest[32] = "", oldest[32] = "", lim[32];
	if (n) {
		ax_time_format(snaps[n - 1].time, newest);
		ax_time_format(snaps[0].time, oldest);
	}
	ax_duration_format(max_age, lim);
	if (!n)
		ax_probe_result(ctx, "backup.fresh", AX_CHECK_FAIL, json_pack("{s:i,s:i}", "snapshots", 0, "all", (int)json_array_size(list)),
				      "no snapshot matches the required host and paths");
	else
		ax_probe_result(ctx, "backup.fresh", now - snaps[n - 1].time > max_age ? AX_CHECK_FAIL : AX_CHECK_PASS,
				      json_pack("{s:s,s:s,s:I,s:s}", "newest", newest, "id", snaps[n - 1].id,
						"age_seconds", (json_int_t)(now - snaps[n - 1].time), "max_age", lim),
				      now - snaps[n - 1].time > max_age ? "newest snapshot %s (%s) is older than %s"
									 : "newest snapshot %s (%s)",
				      newest, snaps[n - 1].id, lim);

	int64_t min_n = ax_probe_opt_int(ctx, "min-snapshots"), min_span = ax_probe_opt_int(ctx, "min-span");
	int64_t span = n ? snaps[n - 1].time - snaps[0].time : 0;
	char span_s[32], min_span_s[32];
	ax_duration_format(span, span_s);
	ax_duration_format(min_span, min_span_s);
	int ok = (int64_t)n >= min_n && span >= min_span;
	ax_probe_result(ctx, "backup.retention", ok ? AX_CHECK_PASS : AX_CHECK_FAIL,
			      json_pack("{s:i,s:I,s:s,s:s,s:I,s:I}", "snapshots", (int)n, "min_snapshots", (json_int_t)min_n,
					"oldest", oldest, "newest", newest, "span_seconds", (json_int_t)span,
					"min_span_seconds", (json_int_t)min_span),
			      "%zu snapshot(s) spanning %s (required: %lld over %s)", n, span_s, (long long)min_n,
			      min_span_s);

	if (n < 2) {
		ax_probe_result(ctx, "backup.size_drop", AX_CHECK_SKIP, NULL, "fewer than two snapshots to compare");
	} else {
		int64_t cur = snapshot_size(r, snaps[n - 1].id), prev = snapshot_size(r, snaps[n - 2].id);
		int64_t max_shrink = ax_probe_opt_int(ctx, "max-shrink");
		if (cur < 0 || prev < 0) {
			ax_probe_result(ctx, "backup.size_drop", AX_CHECK_ERROR, NULL, "restic stats failed");
		} else {
			int64_t shrink = prev > 0 && cur < prev ? (prev - cur) * 100 / prev : 0;
			json_t *obs = json_pack("{s:s,s:I,s:s,s:I,s:I,s:I}", "newest", snaps[n - 1].id, "newest_bytes",
						(json_int_t)cur, "previous", snaps[n - 2].id, "previous_bytes",
						(json_int_t)prev, "shrink_percent", (json_int_t)shrink, "max_shrink_percent",
						(json_int_t)max_shrink);
			ax_probe_result(ctx, "backup.size_drop", shrink > max_shrink ? AX_CHECK_FAIL : AX_CHECK_PASS,
					      obs, "newest snapshot %s has %lld bytes, previous %s %lld (%lld%% smaller)",
					      snaps[n - 1].id, (long long)cur, snaps[n - 2].id, (long long)prev,
					      (long long)shrink);
		}
	}
	free(snaps);
}

/* Returns the status it reported. */
static enum ax_check_status check_integrity(struct restic *r)
{
	struct ax_probe_ctx *ctx = r->ctx;
	const char *mode = ax_probe_opt(ctx, "check"), *subset = ax_probe_opt(ctx, "read-data-subset");
	struct ax_subprocess res;
	enum ax_check_status st = AX_CHECK_ERROR;
	char *subset_arg = NULL;
	if (strcmp(mode, "none") == 0 && !subset) {
		ax_probe_result(ctx, "backup.integrity", AX_CHECK_SKIP, NULL, "check = none");
		return AX_CHECK_SKIP;
	}
	if (subset)
		subset_arg = ax_asprintf("--read-data-subset=%s", subset);
	const char *how = subset_arg ? subset_arg : strcmp(mode, "read-data") == 0 ? "--read-data" : NULL;
	int run = restic_run(r, &res, "check", how, NULL, NULL);
	json_t *obs = json_pack("{s:s,s:i}", "mode", how ? how : "structure", "exit_code", res.exit_code);
	if (run < 0 && run != AX_ETIMEOUT) {
		ax_probe_result(ctx, "backup.integrity", AX_CHECK_ERROR, obs, "%s", ax_error_last());
	} else if (res.timed_out) {
		ax_probe_result(ctx, "backup.integrity", AX_CHECK_ERROR, obs, "restic check did not finish in time");
	} else if (res.exit_code != 0) {
		char *why = complaint(&res);
		st = AX_CHECK_FAIL;
		ax_probe_result(ctx, "backup.integrity", AX_CHECK_FAIL, obs, "restic check found errors: %s", why);
		struct ax_buf red = AX_BUF_INIT;
		ax_redact(ax_buf_cstr(&res.err), res.err.size, NULL, &red);
		ax_probe_artifact(ctx, "restic-check.txt", "text/plain", red.ptr, red.size);
		ax_buf_free(&red);
		free(why);
	} else {
		st = AX_CHECK_PASS;
		ax_probe_result(ctx, "backup.integrity", AX_CHECK_PASS, obs, "restic check (%s): no errors",
				     how ? how : "structure");
	}
	ax_subprocess_free(&res);
	free(subset_arg);
	return st;
}

/* Every snapshot as a population item, with this run's repository check
 * (restic checks the repository, not one snapshot). */
static void snapshots_population(struct ax_probe_ctx *ctx, json_t *list, enum ax_check_status check)
{
	static const char *const cols[] = {"time", "host", "matches", "repository_check", NULL};
	struct ax_population *p = ax_population_open(ctx, "snapshots", cols);
	struct ax_buf src = AX_BUF_INIT;
	int64_t first = 0, last = 0, t;
	size_t i, n = 0;
	json_t *s;
	json_array_foreach(list, i, s) {
		const char *id = json_string_value(json_object_get(s, "id"));
		const char *when = json_string_value(json_object_get(s, "time"));
		char at[32] = "";
		if (!id)
			continue;
		if (when && ax_time_parse(when, &t) == 0) {
			ax_time_format(t, at);
			first = n && first < t ? first : t;
			last = last > t ? last : t;
		}
		const char *vals[] = {at, json_string_value(json_object_get(s, "hostname")),
				      snapshot_matches(ctx, s) ? "yes" : "no", ax_check_status_name(check)};
		ax_population_row(p, id, vals);
		n++;
	}
	ax_buf_printf(&src, "restic repository %s", ax_probe_opt(ctx, "repository"));
	ax_population_close(p, ax_buf_cstr(&src),
			    "every snapshot `restic snapshots --json` lists; matches: from the required host with "
			    "every required path",
			    json_pack("{s:s?,s:i}", "host", ax_probe_opt(ctx, "host"), "required_paths",
				      (int)ax_probe_opt_count(ctx, "path")),
			    ax_pop_frequency_of_count((int64_t)n, last - first + 86400));
	ax_buf_free(&src);
}

/* The repository version, and proof that a wrong password is refused. */
static void check_encrypted(struct restic *r, int64_t version)
{
	struct ax_probe_ctx *ctx = r->ctx;
	unsigned char rnd[16];
	char wrong[33], *path = ax_asprintf("%s/annexa-restic-wrong-XXXXXX", ax_probe_tmp());
	struct ax_subprocess res;
	int fd;
	RAND_bytes(rnd, sizeof(rnd));
	ax_hex(rnd, sizeof(rnd), wrong);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, wrong, 32) != 32) {
		if (fd >= 0)
			close(fd), unlink(path);
		free(path);
		ax_probe_result(ctx, "backup.encrypted", AX_CHECK_ERROR, NULL, "cannot write a scratch file");
		return;
	}
	close(fd);
	char *saved = r->env[3];
	r->env[3] = ax_asprintf("RESTIC_PASSWORD_FILE=%s", path);
	restic_run(r, &res, "cat", "config", NULL, NULL);
	free(r->env[3]);
	r->env[3] = saved;
	unlink(path);
	free(path);
	int refused = res.exit_code != 0 && !res.timed_out;
	int said_wrong = strstr(ax_buf_cstr(&res.err), "wrong password") != NULL;
	json_t *obs = json_pack("{s:I,s:b,s:i}", "repository_version", (json_int_t)version, "wrong_password_refused",
				refused, "wrong_password_exit_code", res.exit_code);
	if (refused && said_wrong)
		ax_probe_result(ctx, "backup.encrypted", AX_CHECK_PASS, obs,
				     "repository (format version %lld) is encrypted: a wrong password is refused",
				     (long long)version);
	else if (refused)
		ax_probe_result(ctx, "backup.encrypted", AX_CHECK_ERROR, obs,
				     "restic failed with a wrong password, but not for the password");
	else
		ax_probe_result(ctx, "backup.encrypted", AX_CHECK_FAIL, obs, "repository opened with a wrong password");
	ax_subprocess_free(&res);
}

static int restic_probe_run(struct ax_probe_ctx *ctx)
{
	struct restic r;
	struct ax_subprocess res;
	json_t *list = NULL, *config = NULL;
	const char *pwfile = ax_probe_opt(ctx, "password-file");
	static const char *const all[] = {"backup.fresh", "backup.retention", "backup.integrity", "backup.encrypted",
					  "backup.size_drop"};

	if (access(pwfile, R_OK) < 0) {
		for (size_t i = 0; i < 5; i++)
			ax_probe_result(ctx, all[i], AX_CHECK_ERROR, NULL, "password-file %s is not readable", pwfile);
		return 0;
	}
	restic_init(&r, ctx, pwfile);
	int run = restic_run(&r, &res, "cat", "config", NULL, NULL);
	if (run < 0 || res.exit_code != 0) {
		char *why = run < 0 ? ax_strdup(ax_error_last()) : complaint(&res);
		for (size_t i = 0; i < 5; i++)
			ax_probe_result(ctx, all[i], AX_CHECK_ERROR, NULL, "cannot open the repository: %s", why);
		free(why);
		ax_subprocess_free(&res);
		goto cleanup;
	}
	config = json_loadb(res.out.ptr, res.out.size, 0, NULL);
	int64_t version = json_integer_value(json_object_get(config, "version"));
	ax_subprocess_free(&res);

	run = restic_run(&r, &res, "snapshots", "--json", NULL, NULL);
	list = run == 0 && res.exit_code == 0 ? json_loadb(res.out.ptr, res.out.size, 0, NULL) : NULL;
	if (!json_is_array(list)) {
		char *why = run < 0 ? ax_strdup(ax_error_last()) : complaint(&res);
		ax_probe_result(ctx, "backup.fresh", AX_CHECK_ERROR, NULL, "restic snapshots failed: %s", why);
		ax_probe_result(ctx, "backup.retention", AX_CHECK_ERROR, NULL, "restic snapshots failed");
		ax_probe_result(ctx, "backup.size_drop", AX_CHECK_ERROR, NULL, "restic snapshots failed");
		free(why);
	} else {
		check_snapshots(&r, list);
		json_t *art = json_array();
		size_t i;
		json_t *s;
		json_array_foreach(list, i, s) json_array_append_new(
			art, json_pack("{s:O*,s:O*,s:O*,s:O*}", "id", json_object_get(s, "short_id"), "time",
				       json_object_get(s, "time"), "hostname", json_object_get(s, "hostname"), "paths",
				       json_object_get(s, "paths")));
		ax_probe_artifact_json(ctx, "snapshots.json", art, JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(art);
	}
	ax_subprocess_free(&res);
	enum ax_check_status integrity = check_integrity(&r);
	if (json_is_array(list))
		snapshots_population(ctx, list, integrity);
	check_encrypted(&r, version);
cleanup:
	json_decref(list);
	json_decref(config);
	restic_free(&r);
	return 0;
}

/* a local repository (and its locks/: `check` must lock) and the password file; restic runs confined */
static const struct ax_probe_access restic_access = {.flags = AX_ACCESS_EXEC,
						     .paths = (const char *const[]){"repository", NULL},
						     .locks = (const char *const[]){"repository", NULL}};

const struct probe probe_restic = {
	.name = "restic",
	.summary = "restic backups: freshness, retention, integrity (restic check), encryption, size drops",
	.options = restic_options,
	.checks = restic_checks,
	.access = &restic_access,
	.run = restic_probe_run,
};
