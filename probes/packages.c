/* packages.c - the `packages` probe: installed software, pending and
 * applied security updates, automatic updates, and what changed.
 *
 * Reads dpkg's status database with annexa's own parser (dpkg_status.h),
 * apt's downloaded Packages indices (any compression libarchive knows:
 * apt keeps them .lz4, .gz or plain) to find newer candidates and which of
 * them come from a security suite, dpkg's log and its rotations
 * (dpkg_log.h) for what was installed when, apt's configuration
 * (apt_conf.h) for unattended-upgrades, and optionally a Debian security
 * tracker JSON the admin downloaded. Nothing is fetched: pending updates
 * are as fresh as the last `apt update`, and the lists' age is evidence.
 *
 * When a security update was first seen pending is kept in the state
 * folder (packages-state.json), so the wait before installation is
 * measured from the first run that saw it: a lower bound of the real wait
 * (the archive may have published it earlier), never an overstatement. */
#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apt_conf.h"
#include "dpkg_log.h"
#include "dpkg_status.h"
#include "probe.h"
#include "util.h"
#include "verdict.h"

static const struct ax_option packages_options[] = {
	{"status-file", AX_OPT_PATH, "/var/lib/dpkg/status", 0, NULL, 0, 0, "dpkg's status database"},
	{"lists", AX_OPT_PATH, "/var/lib/apt/lists", 0, NULL, 0, 0, "apt's downloaded package indices"},
	{"log", AX_OPT_PATH, "/var/log/dpkg.log", 0, NULL, 0, 0, "dpkg's log; its rotations (.1, .2.gz, ...) are read too"},
	{"apt-conf", AX_OPT_PATH, "/etc/apt", 0, NULL, 0, 0, "apt's configuration folder (apt.conf.d/, apt.conf)"},
	{"unattended-log", AX_OPT_PATH, "/var/log/unattended-upgrades", 0, NULL, 0, 0, "unattended-upgrades' log folder"},
	{"vulnerabilities-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0,
	 "Debian security tracker JSON (security-tracker.debian.org/tracker/data/json), downloaded by the admin"},
	{"release", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "release codename for vulnerabilities-file (default: /etc/os-release)"},
	{"max-pending-age", AX_OPT_DURATION, "7d", 0, NULL, 3600, 31449600, "longest a security update may wait"},
	{"max-lists-age", AX_OPT_DURATION, "2d", 0, NULL, 3600, 31449600, "oldest apt lists that still count as current"},
	{"window", AX_OPT_DURATION, "30d", 0, NULL, 86400, 31449600, "period of the log read for installed updates"},
	{"max-size", AX_OPT_SIZE, "512M", 0, NULL, 1048576, 4294967296, "largest file read (decompressed)"},
	{NULL},
};

static const struct ax_check_def packages_checks[] = {
	{"packages.installed_ok", "no package is left half-installed, half-configured or awaiting reinstallation"},
	{"packages.lists_fresh", "apt's package lists were refreshed within max-lists-age"},
	{"packages.security_pending", "no security update has waited longer than max-pending-age"},
	{"packages.security_latency", "security updates installed in the window waited at most max-pending-age"},
	{"packages.unattended", "unattended-upgrades is enabled (APT::Periodic) and runs"},
	{"packages.changes", "software installed, upgraded or removed since the last run and in the window (evidence)"},
	{"packages.vulnerabilities", "no installed source package lacks a fix the security tracker lists for the release"},
	{NULL},
};

/* --- reading any (compressed) file --- */

static int read_any(const char *path, size_t max, struct ax_buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int err = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		err = ax_error_code(AX_EINVALID, "%s: %s", path, archive_error_string(a));
		goto cleanup;
	}
	char chunk[65536];
	la_ssize_t n;
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (out->size + (size_t)n > max) {
			err = ax_error_code(AX_EINVALID, "%s: larger than %zu bytes", path, max);
			goto cleanup;
		}
		ax_buf_put(out, chunk, (size_t)n);
	}
	if (n < 0)
		err = ax_error_code(AX_EINVALID, "%s: %s", path, archive_error_string(a));
cleanup:
	archive_read_free(a);
	return err;
}

/* --- the installed set --- */

struct run {
	struct ax_probe_ctx *ctx;
	struct dpkg_db installed; /* sorted */
	int64_t now, max_pending;
	json_t *state, *new_state; /* previous run's, this run's */
};

static int is_installed(const struct dpkg_pkg *p)
{
	const char *s = dpkg_status_state(p);
	return strcmp(s, "not-installed") != 0 && strcmp(s, "config-files") != 0 && *s;
}

static int keep_installed(void *arg, const char *name, size_t len)
{
	return dpkg_db_find(arg, name, len) != NULL;
}

static char *pkg_key(const char *name, const char *arch)
{
	return ax_asprintf("%s:%s", name, arch);
}

static void check_installed(struct run *r)
{
	struct ax_verdict v;
	size_t n = 0;
	ax_verdict_init(&v, "packages.installed_ok", "packages");
	for (size_t i = 0; i < r->installed.n; i++) {
		const struct dpkg_pkg *p = &r->installed.pkgs[i];
		const char *st = dpkg_status_state(p);
		int reinst = p->status && strstr(p->status, " reinstreq ") != NULL;
		if (is_installed(p))
			n++;
		if (!reinst && (!*st || strcmp(st, "installed") == 0 || strcmp(st, "not-installed") == 0 ||
				strcmp(st, "config-files") == 0 || strcmp(st, "triggers-pending") == 0))
			continue;
		ax_verdict_add(&v, AX_CHECK_FAIL,
			       json_pack("{s:s,s:s,s:s,s:s}", "package", p->name, "architecture", p->arch, "version",
					 p->version, "status", p->status ? p->status : ""),
			       "%s:%s is %s", p->name, p->arch, p->status ? p->status : "?");
	}
	if (!v.touched)
		ax_verdict_add(&v, AX_CHECK_PASS, NULL, "ok");
	char msg[96];
	snprintf(msg, sizeof(msg), "%zu packages installed, none left half-installed", n);
	ax_verdict_emit(r->ctx, &v, msg, "no status database");
}

/* --- apt lists: newer candidates --- */

/* "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4":
 * the suite is the part after "_dists_" (into suite, "" when none). */
static void list_suite(const char *name, char suite[static 64])
{
	const char *d = strstr(name, "_dists_");
	size_t n = 0;
	if (d) {
		const char *s = d + 7, *us = strchr(s, '_');
		n = us ? (size_t)(us - s) : strlen(s);
		if (n > 63)
			n = 63;
		memcpy(suite, s, n);
	}
	suite[n] = '\0';
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* A security suite ends in "-security" (Debian 11+, Ubuntu) or is
 * "SUITE/updates" (Debian <= 10, "SUITE_updates" in the file name). */
static int list_is_security(const char *name)
{
	char suite[64];
	list_suite(name, suite);
	if (!*suite)
		return strstr(name, "security") != NULL;
	const char *d = strstr(name, "_dists_");
	return ends_with(suite, "-security") || strncmp(d + 7 + strlen(suite), "_updates_", 9) == 0;
}

/* Suites apt does not upgrade from by default (NotAutomatic: a pin of
 * 1 or 100): backports and experimental; only packages already from
 * backports (~bpo) follow them. */
static int list_is_opt_in(const char *name)
{
	char suite[64];
	list_suite(name, suite);
	return ends_with(suite, "-backports") || ends_with(suite, "-backports-sloppy") || strcmp(suite, "experimental") == 0;
}

struct candidate {
	const struct dpkg_pkg *inst;
	char *version;
	int security;
};

static int candidate_cmp(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int c = strcmp(x->inst->name, y->inst->name);
	return c ? c : strcmp(x->inst->arch, y->inst->arch);
}

/* The candidates newer than what is installed, over every Packages index
 * (the newest version wins; security when a security suite offers any
 * version newer than the installed one). */
static int read_lists(struct run *r, const char *dir, struct candidate **out, size_t *nout, int64_t *lists_time,
		      json_t *lists)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t max = (size_t)ax_probe_opt_int(r->ctx, "max-size");
	if (!d)
		return ax_error_code(AX_ENOTFOUND, "%s: %s", dir, strerror(errno));
	int err = 0;
	const struct dpkg_pkg *dpkg = dpkg_db_find(&r->installed, "dpkg", 4);
	const char *native = dpkg ? dpkg->arch : NULL;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, "_Packages"))
			continue;
		char *path = ax_asprintf("%s/%s", dir, e->d_name);
		struct ax_buf text = AX_BUF_INIT;
		struct dpkg_db db = {0};
		struct stat st;
		int sec = list_is_security(e->d_name), opt_in = list_is_opt_in(e->d_name);
		if (stat(path, &st) == 0 && (int64_t)st.st_mtime > *lists_time)
			*lists_time = (int64_t)st.st_mtime;
		if ((err = read_any(path, max, &text)) < 0 ||
		    (err = dpkg_db_parse(&db, ax_buf_cstr(&text), text.size, path, keep_installed, &r->installed)) < 0) {
			free(path);
			ax_buf_free(&text);
			dpkg_db_release(&db);
			break;
		}
		json_array_append_new(lists, json_pack("{s:s,s:b,s:I}", "list", e->d_name, "security", sec,
						       "packages_matched", (json_int_t)db.n));
		for (size_t i = 0; i < db.n; i++) {
			const struct dpkg_pkg *cand = &db.pkgs[i];
			const struct dpkg_pkg *inst = dpkg_db_find(&r->installed, cand->name, strlen(cand->name));
			/* every architecture of the name (multi-arch): the sorted run from inst */
			for (; inst && inst < r->installed.pkgs + r->installed.n && strcmp(inst->name, cand->name) == 0; inst++) {
				/* apt files an Architecture: all package under the native
				 * architecture (dpkg's own), so a package that moved from all to
				 * any is upgraded to the native build: its candidates count too */
				int same_arch = strcmp(inst->arch, cand->arch) == 0 || strcmp(cand->arch, "all") == 0 ||
						(strcmp(inst->arch, "all") == 0 && native && strcmp(cand->arch, native) == 0);
				if (!is_installed(inst) || !same_arch)
					continue;
				if (dpkg_version_cmp(cand->version, inst->version) <= 0 ||
				    (opt_in && !strstr(inst->version, "~bpo")))
					continue;
				struct candidate *c = NULL;
				for (size_t k = 0; k < *nout; k++)
					if ((*out)[k].inst == inst)
						c = &(*out)[k];
				if (!c) {
					*out = ax_realloc(*out, (*nout + 1) * sizeof(**out));
					c = &(*out)[(*nout)++];
					c->inst = inst;
					c->version = ax_strdup(cand->version);
					c->security = 0;
				} else if (dpkg_version_cmp(cand->version, c->version) > 0) {
					free(c->version);
					c->version = ax_strdup(cand->version);
				}
				/* any security suite's version newer than the installed one is a
				 * pending security fix, even when a newer non-security version
				 * (a point release) is the candidate: that one carries the fix too */
				c->security |= sec;
			}
		}
		free(path);
		ax_buf_free(&text);
		dpkg_db_release(&db);
	}
	closedir(d);
	if (*nout)
		qsort(*out, *nout, sizeof(**out), candidate_cmp);
	return err;
}

static void check_pending(struct run *r, const char *lists_dir)
{
	struct candidate *cands = NULL;
	size_t ncands = 0;
	int64_t lists_time = 0;
	json_t *lists = json_array();
	struct ax_verdict pend, fresh;
	ax_verdict_init(&pend, "packages.security_pending", "updates");
	ax_verdict_init(&fresh, "packages.lists_fresh", "lists");
	int err = read_lists(r, lists_dir, &cands, &ncands, &lists_time, lists);
	if (err < 0) {
		ax_verdict_add(&pend, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		ax_verdict_add(&fresh, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		goto emit;
	}
	int64_t max_lists = ax_probe_opt_int(r->ctx, "max-lists-age");
	char when[32];
	ax_time_format(lists_time, when);
	if (!json_array_size(lists))
		ax_verdict_add(&fresh, AX_CHECK_FAIL, NULL, "no Packages index in %s (apt update never ran?)", lists_dir);
	else
		ax_verdict_add(&fresh, r->now - lists_time > max_lists ? AX_CHECK_FAIL : AX_CHECK_PASS,
			       json_pack("{s:s,s:s,s:I}", "folder", lists_dir, "newest", when, "age_seconds",
					 (json_int_t)(r->now - lists_time)),
			       "apt lists last refreshed %s, older than max-lists-age", when);

	json_t *prev_pending = json_object_get(r->state, "pending");
	json_t *pending = json_object_get(r->new_state, "pending");
	json_t *all = json_array();
	size_t nsec = 0;
	for (size_t i = 0; i < ncands; i++) {
		const struct candidate *c = &cands[i];
		json_array_append_new(all, json_pack("{s:s,s:s,s:s,s:s,s:b}", "package", c->inst->name, "architecture",
						     c->inst->arch, "installed", c->inst->version, "candidate",
						     c->version, "security", c->security));
		if (!c->security)
			continue;
		nsec++;
		/* keyed by package, not version: a newer fix superseding a pending one
		 * does not restart the wait */
		char *key = pkg_key(c->inst->name, c->inst->arch);
		json_t *since = json_object_get(json_object_get(prev_pending, key), "since");
		int64_t first = json_is_integer(since) ? (int64_t)json_integer_value(since) : r->now;
		json_object_set_new(pending, key, json_pack("{s:I,s:s}", "since", (json_int_t)first, "candidate", c->version));
		char fs[32];
		ax_time_format(first, fs);
		json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "package", c->inst->name, "architecture",
					 c->inst->arch, "installed", c->inst->version, "candidate", c->version,
					 "first_seen", fs, "waiting_seconds", (json_int_t)(r->now - first));
		if (r->now - first > r->max_pending)
			ax_verdict_add(&pend, AX_CHECK_FAIL, item, "%s %s pending since %s", c->inst->name, c->version, fs);
		else
			ax_verdict_add(&pend, AX_CHECK_PASS, item, "%s", c->inst->name);
		free(key);
	}
	if (!pend.touched)
		ax_verdict_add(&pend, AX_CHECK_PASS, NULL, "none pending");
	ax_probe_artifact_json_take(r->ctx, "pending-updates.json",
			       json_pack("{s:o,s:o}", "lists", json_incref(lists), "updates", all));
	char msg[128];
	snprintf(msg, sizeof(msg), "%zu update(s) pending, %zu from a security suite, none older than max-pending-age",
		 ncands, nsec);
	ax_verdict_emit(r->ctx, &pend, msg, "no lists");
	ax_verdict_emit(r->ctx, &fresh, "apt lists are current", "no lists");
	for (size_t i = 0; i < ncands; i++)
		free(cands[i].version);
	free(cands);
	json_decref(lists);
	return;
emit:
	ax_verdict_emit(r->ctx, &pend, "", "no lists");
	ax_verdict_emit(r->ctx, &fresh, "", "no lists");
	json_decref(lists);
}

/* --- dpkg's log: what changed in the window, and security latency --- */

static long rotation_of(const char *path, size_t baselen)
{
	/* "", ".1", ".2.gz": 0, 1, 2 */
	if (!path[baselen])
		return 0;
	return path[baselen] == '.' ? strtol(path + baselen + 1, NULL, 10) : 0;
}

struct logfile {
	char *path;
	long rot;
};

static int logfile_cmp(const void *a, const void *b)
{
	const struct logfile *x = a, *y = b;
	return x->rot < y->rot ? 1 : x->rot > y->rot ? -1 : 0;
}

/* An upgrade of a package an earlier run saw a security update pending
 * for, to that candidate or a newer one, is recorded in the state as
 * applied with how long it waited (from the first run that saw any
 * security update pending for the package); applied records stay for the
 * window, so later runs still show them. */
static void note_applied(struct run *r, const struct dpkg_log_ev *ev, const char *when)
{
	char *key = ax_asprintf("%.*s:%.*s", (int)ev->pkg.n, ev->pkg.p, (int)ev->arch.n, ev->arch.p);
	char *to = ax_strndup(ev->to.p, ev->to.n);
	json_t *was = json_object_get(json_object_get(r->state, "pending"), key);
	json_t *since = json_object_get(was, "since");
	const char *cand = json_string_value(json_object_get(was, "candidate"));
	if (json_is_integer(since) && cand && dpkg_version_cmp(cand, to) <= 0 && ev->when >= json_integer_value(since)) {
		int64_t first = (int64_t)json_integer_value(since);
		char fs[32], *akey = ax_asprintf("%s %s", key, to);
		ax_time_format(first, fs);
		json_object_set_new(json_object_get(r->new_state, "applied"), akey,
				    json_pack("{s:s,s:s,s:I,s:I,s:s}", "first_seen", fs, "installed", when, "installed_at",
					      (json_int_t)ev->when, "waited_seconds", (json_int_t)(ev->when - first),
					      "installed_version", to));
		free(akey);
	}
	free(key);
	free(to);
}

static void judge_applied(struct run *r, struct ax_verdict *lat, int64_t since)
{
	json_t *applied = json_object_get(r->new_state, "applied");
	const char *key;
	json_t *val;
	json_object_foreach(json_object_get(r->state, "applied"), key, val)
	{
		json_t *at = json_object_get(val, "installed_at");
		if (json_is_integer(at) && json_integer_value(at) >= since && !json_object_get(applied, key))
			json_object_set(applied, key, val);
	}
	json_object_foreach(applied, key, val)
	{
		int64_t waited = (int64_t)json_integer_value(json_object_get(val, "waited_seconds"));
		json_t *item = json_deep_copy(val);
		json_object_set_new(item, "update", json_string(key));
		if (waited > r->max_pending)
			ax_verdict_add(lat, AX_CHECK_FAIL, item, "%s waited %lld days", key, (long long)(waited / 86400));
		else
			ax_verdict_add(lat, AX_CHECK_PASS, item, "%s", key);
	}
}

static void check_log(struct run *r, const char *log)
{
	struct ax_verdict lat, chg;
	ax_verdict_init(&lat, "packages.security_latency", "updates");
	ax_verdict_init(&chg, "packages.changes", "changes");
	int64_t since = r->now - ax_probe_opt_int(r->ctx, "window");
	char *pat = ax_asprintf("%s*", log);
	glob_t g;
	struct logfile *files = NULL;
	size_t nfiles = 0, baselen = strlen(log);
	if (glob(pat, 0, NULL, &g) == 0) {
		files = ax_calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof(*files));
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *rest = g.gl_pathv[i] + baselen;
			if (*rest && *rest != '.')
				continue; /* dpkg.log-other */
			files[nfiles].path = ax_strdup(g.gl_pathv[i]);
			files[nfiles++].rot = rotation_of(g.gl_pathv[i], baselen);
		}
		qsort(files, nfiles, sizeof(*files), logfile_cmp);
	}
	globfree(&g);
	free(pat);

	json_t *events = json_array();
	struct ax_logclock clock;
	ax_logclock_init(&clock, r->now);
	size_t ninst = 0, nup = 0, nrm = 0;
	int64_t oldest = 0;
	for (size_t f = 0; f < nfiles; f++) {
		struct ax_logread *rd;
		struct ax_logline l;
		struct dpkg_log_ev ev;
		int rc;
		if (ax_logread_open(&rd, files[f].path, 4096) < 0) {
			ax_verdict_add(&chg, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
			continue;
		}
		while ((rc = ax_logread_next(rd, &l)) > 0) {
			if (!dpkg_log_parse(&clock, l.ptr, l.len, &ev))
				continue;
			if (!oldest || ev.when < oldest)
				oldest = ev.when;
			if (ev.when < since || ev.action == DPKG_LOG_STATUS)
				continue;
			static const char *const names[] = {"", "install", "upgrade", "remove", "purge", "status"};
			char when[32];
			ax_time_format(ev.when, when);
			json_t *item = json_pack("{s:s,s:s,s:s%,s:s%,s:s%,s:s%}", "time", when, "action", names[ev.action],
						 "package", ev.pkg.p, ev.pkg.n, "architecture", ev.arch.p, ev.arch.n,
						 "from", ev.from.p, ev.from.n, "to", ev.to.p, ev.to.n);
			if (!item)
				continue; /* not UTF-8 */
			ninst += ev.action == DPKG_LOG_INSTALL;
			nup += ev.action == DPKG_LOG_UPGRADE;
			nrm += ev.action == DPKG_LOG_REMOVE || ev.action == DPKG_LOG_PURGE;
			if (ev.action == DPKG_LOG_UPGRADE)
				note_applied(r, &ev, when);
			json_array_append_new(events, item);
			if (json_array_size(events) > 100000)
				break;
		}
		if (rc < 0)
			ax_verdict_add(&chg, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		ax_logread_free(rd);
	}
	judge_applied(r, &lat, since);
	/* the installed set against the previous run's */
	json_t *prev = json_object_get(r->state, "installed"), *cur = json_object_get(r->new_state, "installed");
	json_t *diff = json_array(), *val;
	const char *key;
	if (prev) {
		json_object_foreach(cur, key, val)
		{
			json_t *old = json_object_get(prev, key);
			if (!old)
				json_array_append_new(diff, json_pack("{s:s,s:s,s:O}", "change", "installed", "package", key,
								      "version", val));
			else if (!json_equal(old, val))
				json_array_append_new(diff, json_pack("{s:s,s:s,s:O,s:O}", "change", "changed", "package", key,
								      "from", old, "to", val));
		}
		json_object_foreach(prev, key, val)
		{
			if (!json_object_get(cur, key))
				json_array_append_new(diff, json_pack("{s:s,s:s,s:O}", "change", "removed", "package", key,
								      "version", val));
		}
	}
	json_t *prev_time = json_object_get(r->state, "time");
	char since_s[32], prev_s[32], oldest_s[32];
	ax_time_format(since, since_s);
	ax_time_format(json_is_integer(prev_time) ? (int64_t)json_integer_value(prev_time) : 0, prev_s);
	ax_time_format(oldest, oldest_s);
	json_t *doc = json_pack("{s:s,s:s?,s:O,s:o,s:s?}", "window_start", since_s, "previous_run",
				prev ? prev_s : NULL, "since_previous_run", diff, "log_events", events,
				"log_oldest", oldest ? oldest_s : NULL);
	ax_probe_artifact_json_take(r->ctx, "changes.json", doc);
	ax_verdict_add(&chg, AX_CHECK_PASS,
		       json_pack("{s:I,s:I,s:I,s:I,s:b,s:I}", "installed", (json_int_t)ninst, "upgraded", (json_int_t)nup,
				 "removed", (json_int_t)nrm, "since_previous_run", (json_int_t)json_array_size(diff),
				 "baseline", prev == NULL, "log_files", (json_int_t)nfiles),
		       "ok");
	char msg[200];
	if (prev)
		snprintf(msg, sizeof(msg), "%zu change(s) since the last run; in the window: %zu installed, %zu upgraded, %zu removed",
			 json_array_size(diff), ninst, nup, nrm);
	else
		snprintf(msg, sizeof(msg), "first run: baseline of the installed set recorded; in the window: %zu installed, %zu upgraded, %zu removed",
			 ninst, nup, nrm);
	json_decref(diff);
	ax_verdict_emit(r->ctx, &chg, msg, "no log");
	snprintf(msg, sizeof(msg), "%zu security update(s) installed in the window, none waited longer than max-pending-age",
		 json_object_size(json_object_get(r->new_state, "applied")));
	ax_verdict_emit(r->ctx, &lat, msg, "no security update seen pending by an earlier run was installed in the window");
	for (size_t f = 0; f < nfiles; f++)
		free(files[f].path);
	free(files);
}

/* --- unattended-upgrades --- */

static int read_setting(const char *dir, const char *key, struct ax_buf *value, char **where, unsigned *line,
			int *unsupported)
{
	char *confd = ax_asprintf("%s/apt.conf.d", dir), *main_conf = ax_asprintf("%s/apt.conf", dir);
	struct dirent **names = NULL;
	int n = scandir(confd, &names, NULL, alphasort), found = 0, err = 0;
	for (int i = 0; i <= (n > 0 ? n : 0) && err == 0; i++) {
		char *path;
		if (i < n) {
			const char *nm = names[i]->d_name;
			/* apt's Dir::Ignore-Files-Silently: backups and package leftovers */
			if (nm[0] == '.' || strstr(nm, ".dpkg-") || strchr(nm, '~') || strstr(nm, ".bak") ||
			    strstr(nm, ".save") || strstr(nm, ".orig") || strstr(nm, ".ucf-"))
				continue;
			path = ax_asprintf("%s/%s", confd, nm);
		} else {
			path = ax_strdup(main_conf);
		}
		struct ax_buf text = AX_BUF_INIT;
		int was = found;
		unsigned ln = 0;
		if (ax_file_read(path, 1 << 20, &text) == 0) {
			err = apt_conf_get(ax_buf_cstr(&text), text.size, path, key, value, &found, &ln, unsupported);
			if (found && (!was || ln)) {
				free(*where);
				*where = ax_strdup(path);
				*line = ln;
			}
		}
		ax_buf_free(&text);
		free(path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(confd);
	free(main_conf);
	return err < 0 ? err : found;
}

static void check_unattended(struct run *r, const char *dir, const char *ulog)
{
	struct ax_verdict v;
	ax_verdict_init(&v, "packages.unattended", "settings");
	static const char *const keys[] = {"APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade"};
	for (size_t i = 0; i < 2; i++) {
		struct ax_buf val = AX_BUF_INIT;
		char *where = NULL;
		unsigned line = 0;
		int unsupported = 0;
		int found = read_setting(dir, keys[i], &val, &where, &line, &unsupported);
		if (found < 0) {
			ax_verdict_add(&v, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		} else {
			/* APT::Periodic values: "0" off, "1" daily, "Nd" every N days, "always" */
			const char *s = ax_buf_cstr(&val);
			int on = found && *s && strcmp(s, "0") != 0 && strcmp(s, "false") != 0;
			json_t *item = json_pack("{s:s,s:s?,s:s?,s:I,s:b}", "setting", keys[i], "value", found ? s : NULL,
						 "file", where, "line", (json_int_t)line, "include_not_followed",
						 unsupported);
			if (on)
				ax_verdict_add(&v, AX_CHECK_PASS, item, "%s", keys[i]);
			else
				ax_verdict_add(&v, AX_CHECK_FAIL, item, "%s is %s", keys[i],
					       found ? s : "not set (off)");
		}
		ax_buf_free(&val);
		free(where);
	}
	/* when unattended-upgrades last wrote its log: evidence it runs */
	char *logf = ax_asprintf("%s/unattended-upgrades.log", ulog);
	struct stat st;
	if (stat(logf, &st) == 0) {
		char mt[32];
		ax_time_format((int64_t)st.st_mtime, mt);
		int64_t age = r->now - (int64_t)st.st_mtime;
		json_t *item = json_pack("{s:s,s:s,s:I}", "log", logf, "modified", mt, "age_seconds", (json_int_t)age);
		if (age > 2 * 86400 + 3600)
			ax_verdict_add(&v, AX_CHECK_FAIL, item, "unattended-upgrades last logged %s (more than two days ago)", mt);
		else
			ax_verdict_add(&v, AX_CHECK_PASS, item, "log");
	} else {
		ax_verdict_add(&v, AX_CHECK_PASS, json_pack("{s:s,s:b}", "log", logf, "present", 0), "log");
	}
	free(logf);
	ax_verdict_emit(r->ctx, &v, "unattended-upgrades is enabled", "no apt configuration");
}

/* --- known vulnerabilities (tracker JSON) --- */

static char *os_codename(void)
{
	struct ax_buf t = AX_BUF_INIT;
	char *out = NULL;
	if (ax_file_read("/etc/os-release", 65536, &t) == 0) {
		const char *p = strstr(ax_buf_cstr(&t), "VERSION_CODENAME=");
		if (p) {
			p += 17;
			out = ax_strndup(p, strcspn(p, "\n\"'"));
		}
	}
	ax_buf_free(&t);
	return out;
}

static void check_vulnerabilities(struct run *r)
{
	const char *file = ax_probe_opt(r->ctx, "vulnerabilities-file");
	struct ax_verdict v;
	ax_verdict_init(&v, "packages.vulnerabilities", "vulnerabilities");
	if (!file) {
		ax_verdict_emit(r->ctx, &v, "", "no vulnerabilities-file configured");
		return;
	}
	char *rel = ax_probe_opt(r->ctx, "release") ? ax_strdup(ax_probe_opt(r->ctx, "release")) : os_codename();
	json_error_t je;
	json_t *root = json_load_file(file, 0, &je);
	struct stat st;
	if (!rel) {
		ax_verdict_add(&v, AX_CHECK_ERROR, NULL, "no `release` set and none in /etc/os-release");
		goto emit;
	}
	if (!root || !json_is_object(root)) {
		ax_verdict_add(&v, AX_CHECK_ERROR, NULL, "%s: %s (line %d)", file, root ? "not a JSON object" : je.text,
			       je.line);
		goto emit;
	}
	/* source package -> installed source version */
	size_t open_unfixed = 0, checked = 0;
	for (size_t i = 0; i < r->installed.n; i++) {
		const struct dpkg_pkg *p = &r->installed.pkgs[i];
		if (!is_installed(p))
			continue;
		const char *src = p->source ? p->source : p->name;
		const char *ver = p->source_version ? p->source_version : p->version;
		/* one verdict per installed version of a source package: binaries of
		 * one source may differ after a partial upgrade (libssl3 upgraded,
		 * openssl not), and judging only the first let the older one pass */
		int dup = 0, seen_src = 0; /* seen_src: counted once per source */
		for (size_t k = 0; k < i && !dup; k++) {
			const struct dpkg_pkg *q = &r->installed.pkgs[k];
			int same = is_installed(q) && strcmp(q->source ? q->source : q->name, src) == 0;
			seen_src |= same;
			dup = same && strcmp(q->source_version ? q->source_version : q->version, ver) == 0;
		}
		json_t *cves = dup ? NULL : json_object_get(root, src);
		const char *cve;
		json_t *info;
		if (!json_is_object(cves))
			continue;
		checked += !seen_src;
		json_object_foreach(cves, cve, info)
		{
			json_t *relinfo = json_object_get(json_object_get(info, "releases"), rel);
			const char *status = json_string_value(json_object_get(relinfo, "status"));
			const char *fixed = json_string_value(json_object_get(relinfo, "fixed_version"));
			const char *urgency = json_string_value(json_object_get(relinfo, "urgency"));
			if (!status)
				continue;
			if (strcmp(status, "open") == 0) {
				open_unfixed += !seen_src;
				continue;
			}
			if (strcmp(status, "resolved") != 0 || !fixed || strcmp(fixed, "0") == 0 ||
			    dpkg_version_cmp(ver, fixed) >= 0)
				continue;
			ax_verdict_add(&v, AX_CHECK_FAIL,
				       json_pack("{s:s,s:s,s:s,s:s,s:s?}", "source", src, "cve", cve, "installed", ver,
						 "fixed_version", fixed, "urgency", urgency),
				       "%s %s lacks the fix of %s (%s)", src, ver, cve, fixed);
			if (ax_probe_ctx_error(r->ctx))
				break;
		}
	}
	char mt[32];
	ax_time_format(stat(file, &st) == 0 ? (int64_t)st.st_mtime : 0, mt);
	ax_verdict_add(&v, AX_CHECK_PASS,
		       json_pack("{s:s,s:s,s:s,s:I,s:I}", "file", file, "file_modified", mt, "release", rel,
				 "source_packages_listed", (json_int_t)checked, "open_without_fix", (json_int_t)open_unfixed),
		       "tracker");
emit:
	ax_verdict_emit(r->ctx, &v, "every fix the tracker lists for the release is installed", "");
	json_decref(root);
	free(rel);
}

static int packages_run(struct ax_probe_ctx *ctx)
{
	struct run r = {.ctx = ctx, .now = ax_probe_now(ctx), .max_pending = ax_probe_opt_int(ctx, "max-pending-age")};
	const char *status = ax_probe_opt(ctx, "status-file");
	struct ax_buf text = AX_BUF_INIT;
	int err = ax_file_read(status, (size_t)ax_probe_opt_int(ctx, "max-size"), &text);
	int64_t t0 = ax_monotonic_ms();
	if (err == 0)
		err = dpkg_db_parse(&r.installed, ax_buf_cstr(&text), text.size, status, NULL, NULL);
	ax_buf_free(&text);
	if (err < 0) {
		dpkg_db_release(&r.installed);
		return err; /* every check is an error: nothing to judge without the database */
	}
	dpkg_db_sort(&r.installed);
	int64_t parse_ms = ax_monotonic_ms() - t0;
	r.state = ax_probe_state_load(ctx, "packages-state.json");
	r.new_state = json_pack("{s:I,s:{},s:{},s:{}}", "time", (json_int_t)r.now, "installed", "pending", "applied");
	json_t *inst = json_object_get(r.new_state, "installed"), *list = json_array();
	for (size_t i = 0; i < r.installed.n; i++) {
		const struct dpkg_pkg *p = &r.installed.pkgs[i];
		if (!is_installed(p))
			continue;
		char *key = pkg_key(p->name, p->arch);
		json_object_set_new(inst, key, json_string(p->version));
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s?}", "package", p->name, "architecture", p->arch,
						      "version", p->version, "source", p->source));
		free(key);
	}
	json_t *doc = json_pack("{s:s,s:I,s:I,s:o}", "status_file", status, "stanzas", (json_int_t)r.installed.stanzas,
				"parse_ms", (json_int_t)parse_ms, "packages", list);
	ax_probe_artifact_json_take(ctx, "installed.json", doc);

	check_installed(&r);
	check_pending(&r, ax_probe_opt(ctx, "lists"));
	check_log(&r, ax_probe_opt(ctx, "log"));
	check_unattended(&r, ax_probe_opt(ctx, "apt-conf"), ax_probe_opt(ctx, "unattended-log"));
	check_vulnerabilities(&r);
	ax_probe_state_save(ctx, "packages-state.json", r.new_state);
	json_decref(r.state);
	json_decref(r.new_state);
	dpkg_db_release(&r.installed);
	return 0;
}

static const struct ax_probe_access packages_access = {
	.folders = (const char *const[]){"log", NULL},
	.groups = "adm",
};

const struct probe probe_packages = {
	.name = "packages",
	.summary = "installed software (dpkg), pending and applied security updates, unattended-upgrades, changes",
	.options = packages_options,
	.checks = packages_checks,
	.run = packages_run,
	.access = &packages_access,
};
