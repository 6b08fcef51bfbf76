/* selftest.c - the `selftest` probe: misbehaves on purpose, so that the
 * isolation of the collector can be shown to work on the machine it runs
 * on (and is tested in CI): a probe that crashes, hangs with its
 * grandchildren, exhausts its memory or CPU limit, or floods its pipe must
 * cost an `error` result and nothing else. `behave = pass` is a heartbeat:
 * collection itself runs. It reports `info` (it cannot fail), and no
 * control is mapped to it: the collector's health is not monitoring. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "probe.h"
#include "subprocess.h"

static const struct ax_option selftest_options[] = {
	{"behave", AX_OPT_ENUM, "pass", 0, "pass|fail|crash|hang|memory|cpu|flood|slow|escape", 0, 0,
	 "what to do: pass, fail, crash (SIGSEGV), hang (with a grandchild), memory (allocate until the limit), "
	 "cpu (spin until the CPU limit), flood (endless artifacts), slow (sleep `delay`, then pass), "
	 "escape (try to leave the sandbox: see escape-*)"},
	{"delay", AX_OPT_DURATION, "1s", 0, NULL, 1, 3600, "how long `slow` sleeps"},
	/* plain strings, not paths: a path option would be granted (probe.h) */
	{"escape-open", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "escape: files to open read-write (the store)"},
	{"escape-read", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0,
	 "escape: files to read (the signing key, /etc/shadow)"},
	{"escape-write", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "escape: a file to create outside the state folder"},
	{"escape-port", AX_OPT_INT, "0", 0, NULL, 0, 65535, "escape: a loopback TCP port to connect to (0: none)"},
	{NULL},
};

static const struct ax_check_def selftest_checks[] = {
	{"selftest.ok", "the collector ran this probe and received its result"},
	{NULL},
};

/* One escape attempt: ok is whether it got through. */
static void attempt(json_t *denied, json_t *escaped, const char *what, int ok, int err)
{
	json_array_append_new(ok ? escaped : denied,
			      json_pack("{s:s,s:s}", "attempt", what, "error", ok ? "" : strerror(err)));
}

static void try_open(json_t *denied, json_t *escaped, const char *verb, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);
	int err = errno;
	char *what = ax_asprintf("%s %s", verb, path);
	attempt(denied, escaped, what, fd >= 0, err);
	free(what);
	if (fd >= 0)
		close(fd);
}

/* The same attempts from a shell the probe executes: a program it runs
 * inherits the confinement (exit status: the number of successes). */
static void try_shell(struct ax_probe_ctx *ctx, json_t *denied, json_t *escaped)
{
	struct ax_buf script = AX_BUF_INIT;
	struct ax_subprocess res = {0};
	ax_buf_puts(&script, "n=0\n");
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "escape-open"); i++)
		ax_buf_printf(&script, "(exec 3<>'%s') 2>/dev/null && n=$((n+1))\n", ax_probe_opt_at(ctx, "escape-open", i));
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "escape-read"); i++)
		ax_buf_printf(&script, "(exec 3<'%s') 2>/dev/null && n=$((n+1))\n", ax_probe_opt_at(ctx, "escape-read", i));
	if (ax_probe_opt(ctx, "escape-write"))
		ax_buf_printf(&script, "(exec 3>'%s.sh') 2>/dev/null && n=$((n+1))\n", ax_probe_opt(ctx, "escape-write"));
	ax_buf_puts(&script, "exit $n\n");
	const char *argv[] = {"/bin/sh", "-c", ax_buf_cstr(&script), NULL};
	int rc = ax_subprocess_run(argv, NULL, 10000, 4096, &res);
	attempt(denied, escaped, "exec /bin/sh and repeat the file attempts", rc == 0 && res.exit_code != 0,
		rc == 0 ? EACCES : ENOEXEC);
	ax_subprocess_free(&res);
	ax_buf_free(&script);
}

static int escape(struct ax_probe_ctx *ctx)
{
	json_t *denied = json_array(), *escaped = json_array();
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "escape-open"); i++)
		try_open(denied, escaped, "open read-write", ax_probe_opt_at(ctx, "escape-open", i), O_RDWR);
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "escape-read"); i++)
		try_open(denied, escaped, "read", ax_probe_opt_at(ctx, "escape-read", i), O_RDONLY);
	if (ax_probe_opt(ctx, "escape-write"))
		try_open(denied, escaped, "create", ax_probe_opt(ctx, "escape-write"), O_WRONLY | O_CREAT | O_EXCL);
	int port = (int)ax_probe_opt_int(ctx, "escape-port");
	if (port > 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0, err = errno;
		char *what = ax_asprintf("connect to 127.0.0.1:%d", port);
		attempt(denied, escaped, what, ok, err);
		free(what);
		if (s >= 0)
			close(s);
	}
	errno = 0;
	int traced = ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == 0, err = errno;
	attempt(denied, escaped, "ptrace the collector", traced, err);
	if (traced) { /* unconfined: let the collector go at once */
		int st;
		waitpid(getppid(), &st, __WALL);
		ptrace(PTRACE_DETACH, getppid(), NULL, NULL);
	}
	try_shell(ctx, denied, escaped);
	size_t nesc = json_array_size(escaped), nden = json_array_size(denied);
	/* fail only when something got through (behave = escape) */
	ax_probe_result(ctx, "selftest.ok", nesc ? AX_CHECK_FAIL : AX_CHECK_INFO,
			       json_pack("{s:o,s:o}", "denied", denied, "escaped", escaped),
			       "%zu of %zu escape attempts denied", nden, nden + nesc);
	return 0;
}

static int selftest_run(struct ax_probe_ctx *ctx)
{
	const char *how = ax_probe_opt(ctx, "behave");
	if (strcmp(how, "fail") == 0) {
		ax_probe_result(ctx, "selftest.ok", AX_CHECK_FAIL, NULL, "failing on purpose (behave = fail)");
		return 0;
	}
	if (strcmp(how, "crash") == 0) {
		raise(SIGSEGV);
	} else if (strcmp(how, "hang") == 0) {
		if (fork() == 0)
			for (;;)
				pause();
		for (;;)
			pause();
	} else if (strcmp(how, "memory") == 0) {
		/* Touch every page so the limit bites, whatever overcommit says. */
		for (size_t mb = 0;; mb++) {
			char *p = ax_malloc(1 << 20);
			memset(p, (int)mb, 1 << 20);
		}
	} else if (strcmp(how, "cpu") == 0) {
		volatile unsigned long spin = 0;
		for (;;)
			spin++;
	} else if (strcmp(how, "flood") == 0) {
		/* Distinct artifacts until the collector's output bound stops it. */
		static char block[65536];
		for (unsigned long i = 0;; i++) {
			char name[32];
			snprintf(name, sizeof(name), "flood-%lu.bin", i);
			ax_probe_artifact(ctx, name, "application/octet-stream", block, sizeof(block));
			if (ax_probe_ctx_error(ctx) < 0)
				return AX_ERROR;
		}
	} else if (strcmp(how, "escape") == 0) {
		return escape(ctx);
	} else if (strcmp(how, "slow") == 0) {
		sleep((unsigned)ax_probe_opt_int(ctx, "delay"));
	}
	/* Cannot fail in these modes: info, never a pass (it evidences no
	 * control, see mapping/selftest.xml). */
	ax_probe_result(ctx, "selftest.ok", AX_CHECK_INFO, json_pack("{s:i}", "pid", (int)getpid()),
			       "collector ran the probe (behave = %s)", how);
	return 0;
}

/* nothing but /bin/sh (behave = escape shows the rest is closed) */
static const struct ax_probe_access selftest_access = {.flags = AX_ACCESS_EXEC};

const struct probe probe_selftest = {
	.name = "selftest",
	.summary = "misbehaves on purpose to show the collector's isolation works (crash, hang, memory, cpu, flood)",
	.options = selftest_options,
	.checks = selftest_checks,
	.access = &selftest_access,
	.run = selftest_run,
};
