/* daemon.c - `annexa daemon`: continuous collection.
 *
 * Each probe instance runs on its own interval; instances due at the same
 * moment run together as one committed run. SIGTERM/SIGINT let the current
 * run finish, then exit 0; SIGHUP re-reads the config after the current
 * run and keeps the old one when the new one is invalid. A failing run is
 * logged and retried at the next due time; the daemon itself never exits
 * because a probe or a target misbehaves. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "config.h"
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

static int64_t instance_interval(const struct ax_config *cfg, const struct ax_probe_instance *p)
{
	if (p->interval > 0)
		return p->interval;
	int64_t v = ax_config_get_int(cfg, "annexa", "interval");
	return v > 0 ? v : 3600;
}

/* Next due time per instance, by index; recomputed after a reload. */
static int64_t *schedule_new(const struct ax_config *cfg, int64_t now)
{
	int64_t *due = ax_calloc(cfg->nprobes + 1, sizeof(*due));
	for (size_t i = 0; i < cfg->nprobes; i++)
		due[i] = now;
	return due;
}

static void run_due(struct ax_config *cfg, struct ax_store *store, int64_t *due)
{
	int64_t now = ax_now();
	const char **names = ax_calloc(cfg->nprobes + 1, sizeof(*names));
	size_t n = 0;
	for (size_t i = 0; i < cfg->nprobes; i++) {
		if (due[i] <= now) {
			names[n++] = cfg->probes[i].name;
			/* Missed runs (suspend, downtime) run once, not in a burst. */
			int64_t iv = instance_interval(cfg, &cfg->probes[i]);
			while (due[i] <= now)
				due[i] += iv;
		}
	}
	if (n) {
		struct ax_evidence ev = {0};
		struct ax_run_info info;
		int64_t t0 = ax_monotonic_ms();
		if (ax_collect(cfg, store, names, n, &ev, &info) < 0) {
			dlog(LOG_ERR, "run failed: %s", ax_error_last());
		} else {
			int fails = 0, errors = 0;
			for (size_t i = 0; i < ev.nresults; i++) {
				fails += ev.results[i].status == AX_CHECK_FAIL;
				errors += ev.results[i].status == AX_CHECK_ERROR;
				if (ev.results[i].status == AX_CHECK_ERROR)
					dlog(LOG_WARNING, "probe %s: %s: %s", ev.results[i].instance, ev.results[i].check,
					     ev.results[i].message);
			}
			dlog(LOG_INFO, "run %lld: %zu probes, %zu results (%d fail, %d error) in %lld ms, ledger %.16s",
			     (long long)info.id, n, ev.nresults, fails, errors,
			     (long long)(ax_monotonic_ms() - t0), info.hash);
		}
		ax_evidence_free(&ev);
	}
	free(names);
}

static int64_t next_wakeup(const struct ax_config *cfg, const int64_t *due)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < cfg->nprobes; i++)
		if (due[i] < next)
			next = due[i];
	return next;
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

int ax_cmd_daemon(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int foreground = 0, c, rc;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': foreground = 1; break;
		case 'h': return ax_cli_usage(ax_command_find("daemon"), stdout, 0);
		default: return ax_cli_usage(ax_command_find("daemon"), stderr, AX_EXIT_USAGE);
		}
	}
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	const char *logto = ax_config_get(cli->cfg, "annexa", "log");
	if (logto && strcmp(logto, "syslog") == 0)
		use_syslog = 1;
	if (use_syslog)
		openlog("annexa", LOG_PID, LOG_DAEMON);
	if (!foreground && detach() < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, "daemon");

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int64_t *due = schedule_new(cli->cfg, ax_now());
	dlog(LOG_INFO, "started: %s, %zu probe instances", cli->cfg->path, cli->cfg->nprobes);
	while (!stop_requested) {
		if (reload_requested) {
			reload_requested = 0;
			struct ax_config *fresh = NULL;
			if (ax_config_load(&fresh, cli->cfg->path) < 0) {
				dlog(LOG_ERR, "reload refused, keeping the running configuration: %s", ax_error_last());
			} else {
				ax_config_free(cli->cfg);
				cli->cfg = fresh;
				free(due);
				due = schedule_new(cli->cfg, ax_now());
				dlog(LOG_INFO, "reloaded: %zu probe instances", cli->cfg->nprobes);
			}
		}
		run_due(cli->cfg, cli->store, due);
		int64_t wait = next_wakeup(cli->cfg, due) - ax_now();
		if (cli->cfg->nprobes == 0)
			wait = 3600;
		/* Sleep in short steps so a signal is acted on promptly. */
		for (int64_t slept = 0; slept < wait && !stop_requested && !reload_requested; slept++)
			sleep(1);
	}
	dlog(LOG_INFO, "stopping on signal");
	free(due);
	if (use_syslog)
		closelog();
	return AX_EXIT_OK;
}
