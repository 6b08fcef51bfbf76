/* daemon.c - `annexa daemon`: continuous, unattended collection.
 *
 * Guarantees: one daemon per store (an flock on STORE.lock); started as
 * root it leaves root before touching the store (privdrop.h); each probe
 * instance runs on its own schedule (schedule.h: splay, missed runs once,
 * back-off of broken targets) in its own worker process, so a slow or
 * hanging target delays nobody else, and an instance whose run is still
 * going is never started twice. A worker collects, commits its run (the
 * store serialises commits and the ledger chain) and reports the run id
 * over a pipe; the daemon itself only schedules, and after each committed
 * run updates the locker, the metrics file, the schedule state and prunes
 * past [annexa] keep (at most once an hour: each prune is a ledger run). A
 * failing run is logged and the daemon carries on. At start and once a
 * day it checks the store against the anchors of the state folder
 * (anchors.h) and logs an error naming the anchor when runs were cut off
 * or rehashed. A missing store folder is created (0700), as `collect` does.
 * SIGTERM/SIGINT: no new runs; running ones get STOP_GRACE_S to finish,
 * then their process groups are killed (nothing half-committed: a run is
 * one transaction); exit 0. SIGHUP re-reads the configuration and keeps
 * the old one when the new one is invalid. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "anchors.h"
#include "cli.h"
#include "collect.h"
#include "config.h"
#include "daemon_lock.h"
#include "daemonlog.h"
#include "export.h"
#include "controls.h"
#include "locker.h"
#include "metrics.h"
#include "notify.h"
#include "privdrop.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

static volatile sig_atomic_t stop_requested, reload_requested;
static int use_syslog;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void dlog(int prio, const char *fmt, ...) AX_PRINTF(2, 3);
static void dlog(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		char ts[32];
		ax_time_format((int64_t)time(NULL), ts);
		fprintf(stderr, "%s annexa[%ld]: ", ts, (long)getpid());
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	}
	va_end(ap);
}

#define PRUNE_EVERY_S 3600
#define ANCHOR_CHECK_EVERY_S 86400

/* [annexa] metrics: the control status and each instance's last run. */
static void write_metrics(struct ax_cli *cli, const struct ax_schedule *sched)
{
	const char *metrics = ax_config_get(cli->cfg, "annexa", "metrics");
	if (!metrics)
		return;
	struct ax_status *st = NULL;
	struct ax_probe_stats *stats = ax_schedule_stats(sched);
	const char *store = ax_config_get(cli->cfg, "annexa", "store");
	char *wal = ax_asprintf("%s-wal", store);
	struct stat sst, wst;
	int64_t bytes = stat(store, &sst) == 0 ? (int64_t)sst.st_size + (stat(wal, &wst) == 0 ? (int64_t)wst.st_size : 0) : -1;
	free(wal);
	if (ax_cli_status(cli, &st) != 0 || ax_metrics_write(metrics, st, stats, sched->n, bytes, ax_now()) < 0)
		dlog(LOG_WARNING, "metrics %s: %s", metrics, ax_error_last());
	ax_status_free(st);
	free(stats);
}

/* Everything that follows a committed run; none of it may undo the run. */
static void after_run(struct ax_cli *cli, struct ax_schedule *sched, const struct ax_run_info *info,
		      const struct ax_evidence *ev)
{
	const struct ax_config *cfg = cli->cfg;
	int pushed = 0;
	if (ax_config_get(cfg, "locker", "path")) {
		if (ax_locker_record(cfg, info, ev, &pushed) < 0)
			dlog(LOG_WARNING, "%s (retried after the next run)", ax_error_last());
	}
	int64_t keep = ax_config_get_int(cfg, "annexa", "keep");
	static int64_t next_prune;
	if (keep > 0 && ax_now() >= next_prune) {
		int64_t pruned = 0;
		next_prune = ax_now() + (keep < PRUNE_EVERY_S ? keep : PRUNE_EVERY_S);
		if (ax_store_prune(cli->store, ax_now() - keep, ax_now(), &pruned) < 0)
			dlog(LOG_WARNING, "prune: %s", ax_error_last());
		else if (pruned)
			dlog(LOG_INFO, "pruned the results of %lld runs older than [annexa] keep", (long long)pruned);
	}
	write_metrics(cli, sched);
}

#define STOP_GRACE_S 30

struct worker {
	char *instance;
	pid_t pid;
	int fd; /* read end: the worker writes its run id (int64_t) */
	int64_t started, t0_ms;
};

struct workers {
	struct worker *w;
	size_t n, a;
};

static int worker_running(const struct workers *ws, const char *instance)
{
	for (size_t i = 0; i < ws->n; i++)
		if (strcmp(ws->w[i].instance, instance) == 0)
			return 1;
	return 0;
}

/* The worker: its own store connection (SQLite handles must not cross a
 * fork), one collection of one instance, the run id back to the parent. */
static void worker_main(struct ax_cli *cli, const char *instance, int fd)
{
	struct ax_store *store = NULL;
	struct ax_evidence ev = {0};
	struct ax_run_info info;
	int64_t id = -1;
	const char *only[1] = {instance};
	setpgid(0, 0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	if (ax_store_open(&store, ax_config_get(cli->cfg, "annexa", "store")) < 0 ||
	    ax_collect(cli->cfg, store, only, 1, &ev, &info) < 0)
		dlog(LOG_ERR, "probe %s: run failed, nothing committed: %s", instance, ax_error_last());
	else
		id = info.id;
	if (write(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
		dlog(LOG_ERR, "probe %s: could not report run %lld", instance, (long long)id);
	_exit(id > 0 ? 0 : 3);
}

static void start_due(struct ax_cli *cli, struct ax_schedule *sched, struct workers *ws)
{
	size_t n = 0;
	int64_t now = ax_now();
	const char **names = ax_schedule_due(sched, now, &n);
	for (size_t i = 0; i < n; i++) {
		int fds[2];
		if (worker_running(ws, names[i]))
			continue; /* overran its interval: never twice at once */
		/* An SQLite connection must not cross a fork: close ours first;
		 * it is reopened when the daemon next reads the store. */
		ax_store_free(cli->store);
		cli->store = NULL;
		if (pipe2(fds, O_CLOEXEC) < 0) {
			dlog(LOG_ERR, "pipe: %s", strerror(errno));
			break;
		}
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			dlog(LOG_ERR, "fork: %s", strerror(errno));
			close(fds[0]);
			close(fds[1]);
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			worker_main(cli, names[i], fds[1]);
		}
		close(fds[1]);
		setpgid(pid, pid);
		if (ws->n == ws->a) {
			ws->a = ws->a ? ws->a * 2 : 8;
			ws->w = ax_realloc(ws->w, ws->a * sizeof(*ws->w));
		}
		ws->w[ws->n++] = (struct worker){ax_strdup(names[i]), pid, fds[0], now, ax_monotonic_ms()};
	}
	free(names);
}

static void finish_worker(struct ax_cli *cli, struct ax_schedule *sched, struct worker *w, int status)
{
	int64_t run_id = -1;
	struct ax_evidence ev = {0};
	struct ax_run_info info;
	int64_t ms = ax_monotonic_ms() - w->t0_ms;
	const char *names[1] = {w->instance};
	if (read(w->fd, &run_id, sizeof(run_id)) != (ssize_t)sizeof(run_id))
		run_id = -1;
	if (ax_cli_store(cli) != 0)
		run_id = -1; /* the store is unreadable now: count the run as failed, retry */
	int have = run_id > 0 && ax_store_run_evidence(cli->store, run_id, 1, &ev) == 0 &&
		   ax_store_run_info(cli->store, run_id, &info) == 0;
	if (have)
		ax_schedule_done(sched, names, 1, &ev, w->started, ms);
	else
		ax_schedule_retry(sched, w->instance, ax_now());
	if (!have) {
		dlog(LOG_ERR, "probe %s: run failed (worker status %d), nothing committed", w->instance, status);
	} else {
		/* one line per instance run: the counts, and the first error's
		 * message (an unreachable target errs on every check alike) */
		int counts[AX_CHECK_NSTATUS] = {0};
		const struct ax_result *first_error = NULL;
		for (size_t i = 0; i < ev.nresults; i++) {
			if ((unsigned)ev.results[i].status < AX_CHECK_NSTATUS)
				counts[ev.results[i].status]++;
			if (ev.results[i].status == AX_CHECK_ERROR && !first_error)
				first_error = &ev.results[i];
		}
		dlog(first_error ? LOG_WARNING : LOG_INFO,
		     "run %lld: probe %s, %zu results (%d pass, %d fail, %d error, %d skip) in %lld ms%s%s%s%s",
		     (long long)run_id, w->instance, ev.nresults, counts[AX_CHECK_PASS], counts[AX_CHECK_FAIL],
		     counts[AX_CHECK_ERROR], counts[AX_CHECK_SKIP], (long long)ms, first_error ? "; first error " : "",
		     first_error ? first_error->check : "", first_error ? ": " : "",
		     first_error && first_error->message ? first_error->message : "");
		after_run(cli, sched, &info, &ev);
	}
	const struct ax_sched_entry *e = ax_schedule_find(sched, w->instance);
	if (e && e->consecutive_failures > 1) {
		char until[32];
		ax_time_format(e->next_due, until);
		dlog(LOG_WARNING, "probe %s: %d failed runs in a row, backing off until %s", w->instance,
		     e->consecutive_failures, until);
	}
	char *file = ax_schedule_file(cli->cfg);
	if (ax_schedule_save(sched, file) < 0)
		dlog(LOG_WARNING, "%s", ax_error_last());
	free(file);
	ax_evidence_free(&ev);
}

/* Reaps finished workers; returns how many are still running. */
static size_t reap_workers(struct ax_cli *cli, struct ax_schedule *sched, struct workers *ws)
{
	for (size_t i = 0; i < ws->n;) {
		int status = 0;
		pid_t r = waitpid(ws->w[i].pid, &status, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		finish_worker(cli, sched, &ws->w[i], status);
		close(ws->w[i].fd);
		free(ws->w[i].instance);
		ws->w[i] = ws->w[--ws->n];
	}
	return ws->n;
}

static void stop_workers(struct ax_cli *cli, struct ax_schedule *sched, struct workers *ws)
{
	int64_t until = ax_monotonic_ms() + STOP_GRACE_S * 1000;
	while (reap_workers(cli, sched, ws) && ax_monotonic_ms() < until)
		usleep(100 * 1000);
	for (size_t i = 0; i < ws->n; i++) {
		dlog(LOG_WARNING, "probe %s: abandoned at shutdown, nothing committed", ws->w[i].instance);
		kill(-ws->w[i].pid, SIGKILL);
		waitpid(ws->w[i].pid, NULL, 0);
		close(ws->w[i].fd);
		free(ws->w[i].instance);
	}
	ws->n = 0;
}

static int detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return ax_error_set("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return ax_error_set("setsid: %s", strerror(errno));
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	use_syslog = 1;
	return 0;
}

/* The store against the state folder's anchors; a mismatch is logged as
 * an error (collection goes on: stopping would lose evidence, not save it). */
static void check_anchors(struct ax_cli *cli)
{
	struct ax_anchors anchors = {0};
	char *file = ax_anchors_file(cli->cfg);
	int err = ax_cli_store(cli) != 0 ? AX_ERROR : ax_anchors_load(file, NULL, &anchors);
	if (err == 0)
		err = ax_anchors_check(cli->store, &anchors, NULL);
	if (err == AX_EINVALID)
		dlog(LOG_ERR, "ledger anchors check FAILED: %s", ax_error_last());
	else if (err < 0 && err != AX_ENOTFOUND)
		dlog(LOG_WARNING, "ledger anchors check not done: %s", ax_error_last());
	else if (anchors.n)
		dlog(LOG_INFO, "ledger anchors check: the store matches %zu anchors", anchors.n);
	ax_anchors_free(&anchors);
	free(file);
}

/* One daemon per store: the lock is held for the process's lifetime. The
 * store's folder is created (one level, 0700) as the store itself does. */
static int lock_store(const struct ax_config *cfg, int *fd_out)
{
	char *path = ax_daemon_lock_path(ax_config_get(cfg, "annexa", "store"));
	char *dir = ax_strdup(path);
	int err = 0;
	const char *user = ax_config_get(cfg, "annexa", "user");
	struct passwd *pw = user && getuid() == 0 ? getpwnam(user) : NULL;
	const char *folder = dirname(dir);
	if (mkdir(folder, 0700) == 0) {
		/* made by root for the user the daemon becomes (privdrop.h) */
		if (pw && chown(folder, pw->pw_uid, pw->pw_gid) < 0)
			dlog(LOG_WARNING, "chown %s: %s", folder, strerror(errno));
	} else if (errno != EEXIST) {
		dlog(LOG_WARNING, "creating %s: %s", folder, strerror(errno)); /* open names the path too */
	}
	free(dir);
	/* Never through a symbolic link or onto a device or FIFO planted at
	 * the path: the daemon starts as root, and O_CREAT would create or
	 * open whatever the link names. */
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0) {
		err = ax_error_set("%s: %s", path,
				   errno == ELOOP ? "is a symbolic link; refusing it as the daemon's lock file"
						  : strerror(errno));
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = ax_error_set("%s: not a regular file; refusing it as the daemon's lock file", path);
		close(fd);
		fd = -1;
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = ax_error_set("%s: another annexa daemon is running on this store", path);
		close(fd);
		fd = -1;
	}
	*fd_out = fd;
	free(path);
	return err;
}

static void reload(struct ax_cli *cli, struct ax_schedule **sched)
{
	struct ax_config *fresh = NULL;
	struct ax_catalog *cat = NULL;
	if (ax_config_load(&fresh, cli->cfg->path) < 0 ||
	    ax_catalog_load(&cat, ax_catalog_default_dir(fresh)) < 0 || ax_catalog_check_config(cat, fresh) < 0) {
		dlog(LOG_ERR, "reload refused, keeping the running configuration: %s", ax_error_last());
		ax_notify("READY=1\nSTATUS=reload refused: the running configuration stays");
		ax_config_free(fresh);
		ax_catalog_free(cat);
		return;
	}
	ax_config_free(cli->cfg);
	ax_catalog_free(cli->cat);
	cli->cfg = fresh;
	cli->cat = cat;
	struct ax_schedule *next = ax_schedule_new(cli->cfg, *sched, NULL, ax_now());
	ax_schedule_free(*sched);
	*sched = next;
	dlog(LOG_INFO, "reloaded: %zu probe instances", cli->cfg->nprobes);
	ax_notify("READY=1\nSTATUS=configuration reloaded");
}

int ax_cmd_daemon(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int foreground = 0, c, rc, lockfd = -1;
	struct ax_schedule *sched = NULL;
	struct workers workers = {0};
	optind = 0;
	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': foreground = 1; break;
		case 'h': return ax_cli_usage(ax_command_find("daemon"), stdout, 0);
		default: return ax_cli_usage(ax_command_find("daemon"), stderr, AX_EXIT_USAGE);
		}
	}
	if ((rc = ax_cli_config(cli)) != 0 || (rc = ax_cli_catalog(cli)) != 0)
		return rc;
	if (ax_catalog_check_config(cli->cat, cli->cfg) < 0)
		return ax_cli_fail(AX_EXIT_USAGE, NULL);
	const char *logto = ax_config_get(cli->cfg, "annexa", "log");
	if (logto && strcmp(logto, "syslog") == 0)
		use_syslog = 1;
	if (lock_store(cli->cfg, &lockfd) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, "daemon");
	if (ax_privdrop(cli->cfg) < 0) {
		rc = ax_cli_fail(AX_EXIT_RUNTIME, "daemon");
		goto cleanup;
	}
	if ((rc = ax_cli_store(cli)) != 0)
		goto cleanup;
	if (use_syslog)
		openlog("annexa", LOG_PID, LOG_DAEMON);
	if (!foreground && detach() < 0) {
		rc = ax_cli_fail(AX_EXIT_RUNTIME, "daemon");
		goto cleanup;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	char *file = ax_schedule_file(cli->cfg);
	sched = ax_schedule_new(cli->cfg, NULL, file, ax_now());
	free(file);
	/* after a restart the metrics carry the store's last values at once */
	if (ax_config_get(cli->cfg, "annexa", "metrics") && ax_cli_store(cli) == 0) {
		struct ax_evidence latest = {0};
		if (ax_store_latest(cli->store, &latest) == 0)
			ax_schedule_seed(sched, &latest);
		ax_evidence_free(&latest);
		write_metrics(cli, sched);
	}
	dlog(LOG_INFO, "started: %s, %zu probe instances, uid %ld", cli->cfg->path, cli->cfg->nprobes,
	     (long)getuid());
	/* the run calendar tells the gaps the daemon's absence made (daemonlog.h) */
	if (ax_daemon_log_append(cli->cfg, 1, ax_now()) < 0)
		dlog(LOG_WARNING, "%s", ax_error_last());
	ax_notify("READY=1\nSTATUS=collecting");
	int64_t next_anchor_check = 0;
	while (!stop_requested) {
		if (ax_monotonic_ms() >= next_anchor_check) {
			check_anchors(cli);
			next_anchor_check = ax_monotonic_ms() + ANCHOR_CHECK_EVERY_S * 1000LL;
		}
		if (reload_requested) {
			reload_requested = 0;
			ax_notify("RELOADING=1");
			reload(cli, &sched);
		}
		reap_workers(cli, sched, &workers);
		start_due(cli, sched, &workers);
		/* A short tick: worker exits and due times are noticed within it,
		 * and a signal interrupts the sleep at once. */
		usleep(200 * 1000);
	}
	dlog(LOG_INFO, "stopping on signal: waiting for %zu running probes", workers.n);
	ax_notify("STOPPING=1");
	stop_workers(cli, sched, &workers);
	if (ax_daemon_log_append(cli->cfg, 0, ax_now()) < 0)
		dlog(LOG_WARNING, "%s", ax_error_last());
	rc = AX_EXIT_OK;
cleanup:
	ax_schedule_free(sched);
	free(workers.w);
	if (lockfd >= 0)
		close(lockfd);
	if (use_syslog)
		closelog();
	return rc;
}
