/* selftest.c - the `selftest` probe: misbehaves on purpose, so that the
 * isolation of the collector can be shown to work on the machine it runs
 * on (and is tested in CI): a probe that crashes, hangs with its
 * grandchildren, exhausts its memory or CPU limit, or floods its pipe must
 * cost an `error` result and nothing else. `behave = pass` is a heartbeat:
 * collection itself runs. It reports `info` (it cannot fail), and no
 * control is mapped to it: the collector's health is not monitoring. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "probe.h"

static const struct ax_option selftest_options[] = {
	{"behave", AX_OPT_ENUM, "pass", 0, "pass|fail|crash|hang|memory|cpu|flood|slow", 0, 0,
	 "what to do: pass, fail, crash (SIGSEGV), hang (with a grandchild), memory (allocate until the limit), "
	 "cpu (spin until the CPU limit), flood (endless artifacts), slow (sleep `delay`, then pass)"},
	{"delay", AX_OPT_DURATION, "1s", 0, NULL, 1, 3600, "how long `slow` sleeps"},
	{NULL},
};

static const struct ax_check_def selftest_checks[] = {
	{"selftest.ok", "the collector ran this probe and received its result"},
	{NULL},
};

static int selftest_run(struct ax_probe_ctx *ctx)
{
	const char *how = ax_probe_opt(ctx, "behave");
	if (strcmp(how, "fail") == 0)
		return ax_probe_result(ctx, "selftest.ok", AX_CHECK_FAIL, NULL, "failing on purpose (behave = fail)");
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
			if (ax_probe_artifact(ctx, name, "application/octet-stream", block, sizeof(block)) < 0)
				return AX_ERROR;
		}
	} else if (strcmp(how, "slow") == 0) {
		sleep((unsigned)ax_probe_opt_int(ctx, "delay"));
	}
	/* Cannot fail in these modes: info, never a pass (it evidences no
	 * control, see mapping/selftest.xml). */
	return ax_probe_result(ctx, "selftest.ok", AX_CHECK_INFO, json_pack("{s:i}", "pid", (int)getpid()),
			       "collector ran the probe (behave = %s)", how);
}

const struct probe probe_selftest = {
	.name = "selftest",
	.summary = "misbehaves on purpose to show the collector's isolation works (crash, hang, memory, cpu, flood)",
	.options = selftest_options,
	.checks = selftest_checks,
	.run = selftest_run,
};
