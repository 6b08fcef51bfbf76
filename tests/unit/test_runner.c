/* test_runner.c - the child runner against misbehaving probes.
 *
 * The probes are defined here, not registered: each breaks the contract in
 * one way (crash, hang with a grandchild, garbage on the pipe, flood,
 * memory, CPU, early exit) and all run in ONE ax_runner_run call, so the
 * test also shows that the well-behaved instances next to them still pass.
 * Raw pipe bytes are written to AX_MSG_FD, the fixed descriptor the result
 * pipe has in every child. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "config.h"
#include "msg.h"
#include "probe.h"
#include "runner.h"
#include "sandbox.h"
#include "t.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif

#define NOW 1700000000

static const struct ax_check_def checks[] = {
	{"test.a", "first"},
	{"test.b", "second"},
	{"test.item.*", "per item"},
	{NULL},
};

/* --- the probes --- */

static int run_pass(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "test.a", AX_CHECK_PASS, json_pack("{s:i}", "n", 1), "all good");
	ax_probe_result(ctx, "test.b", AX_CHECK_FAIL, NULL, "found %d problems", 2);
	ax_probe_result(ctx, "test.item.x1", AX_CHECK_SKIP, NULL, "skipped");
	ax_probe_artifact(ctx, "out/hello.txt", "text/plain", "hello\n", 6);
	return 0;
}

static void problem(struct ax_buf *b, const char *what)
{
	ax_buf_printf(b, "%s%s", b->size ? ", " : "", what);
}

static int run_sandbox(struct ax_probe_ctx *ctx)
{
	struct ax_buf bad = AX_BUF_INIT;
	struct rlimit rl;
	struct stat st;
	const char *state = ax_probe_state_dir(ctx);
	const char *home = getenv("HOME"), *path = getenv("PATH"), *keep = getenv("ANNEXA_TEST_KEEP");
	if (!state || !home || strcmp(home, state) != 0)
		problem(&bad, "HOME");
	if (!path || strcmp(path, "/usr/sbin:/usr/bin:/sbin:/bin") != 0)
		problem(&bad, "PATH");
	if (!getenv("LANG") || strcmp(getenv("LANG"), "C.UTF-8") != 0 || !getenv("TZ") || strcmp(getenv("TZ"), "UTC"))
		problem(&bad, "LANG/TZ");
	if (!keep || strcmp(keep, "yes") != 0)
		problem(&bad, "ANNEXA_TEST_KEEP lost");
	if (getenv("SECRET_TOKEN"))
		problem(&bad, "SECRET_TOKEN leaked");
	for (int fd = AX_MSG_FD + 1; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			problem(&bad, "inherited descriptor");
	if (fcntl(0, F_GETFD) < 0 || fcntl(AX_MSG_FD, F_GETFD) < 0)
		problem(&bad, "fd 0 or 3 missing");
	if (getpgid(0) != getpid())
		problem(&bad, "process group");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		problem(&bad, "no_new_privs");
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0)
		problem(&bad, "RLIMIT_CORE");
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur != (rlim_t)256 << 20)
		problem(&bad, "RLIMIT_FSIZE");
	if (getrlimit(RLIMIT_CPU, &rl) < 0 || rl.rlim_cur != 5) /* = timeout */
		problem(&bad, "RLIMIT_CPU");
#ifndef SANITIZED
	if (getrlimit(RLIMIT_AS, &rl) < 0 || rl.rlim_cur != (rlim_t)1 << 30)
		problem(&bad, "RLIMIT_AS");
#endif
	if (!state || stat(state, &st) < 0 || (st.st_mode & 0777) != 0700)
		problem(&bad, "state folder");
	ax_probe_result(ctx, "test.a", bad.size ? AX_CHECK_FAIL : AX_CHECK_PASS, NULL, "%s",
			bad.size ? ax_buf_cstr(&bad) : "sandbox ok");
	ax_probe_result(ctx, "test.b", AX_CHECK_PASS, NULL, "ok");
	ax_buf_free(&bad);
	return 0;
}

static int run_abort(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "test.a", AX_CHECK_PASS, NULL, "reported before the crash");
	abort();
}

static int run_segv(struct ax_probe_ctx *ctx)
{
	raise(SIGSEGV);
	return 0;
}

static int run_hang(struct ax_probe_ctx *ctx)
{
	pid_t g = fork();
	if (g == 0) {
		for (;;)
			pause();
	}
	ax_probe_result(ctx, "test.item.grandchild", AX_CHECK_PASS, json_pack("{s:i}", "pid", (int)g), "forked");
	for (;;)
		pause();
	return 0;
}

static int run_garbage(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "test.a", AX_CHECK_PASS, NULL, "ok");
	ax_msg_write(AX_MSG_FD, "garbage!garbage!", 16);
	return 0;
}

static int run_badjson(struct ax_probe_ctx *ctx)
{
	static const unsigned char frame[] = {0, 0, 0, 5, 'R', '{', '"', 'x', ':'};
	ax_msg_write(AX_MSG_FD, frame, sizeof(frame));
	return 0;
}

static int run_undeclared(struct ax_probe_ctx *ctx)
{
	/* ax_probe_result() refuses undeclared ids, so forge the frame */
	struct ax_buf b = AX_BUF_INIT;
	ax_msg_encode_result(&b, "other.check", AX_CHECK_PASS, "sneaky", NULL);
	ax_msg_write(AX_MSG_FD, b.ptr, b.size);
	ax_buf_free(&b);
	return 0;
}

static int run_twice(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "test.a", AX_CHECK_PASS, NULL, "first");
	ax_probe_result(ctx, "test.a", AX_CHECK_FAIL, NULL, "second");
	return 0;
}

static int run_flood(struct ax_probe_ctx *ctx)
{
	char msg[2048];
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	for (long i = 0;; i++) {
		char id[64];
		snprintf(id, sizeof(id), "test.item.n%ld", i);
		ax_probe_result(ctx, id, AX_CHECK_PASS, NULL, "%s", msg);
		if (ax_probe_ctx_error(ctx) < 0)
			return AX_ERROR;
	}
}

static int run_memory(struct ax_probe_ctx *ctx)
{
	size_t total = 0;
	for (int i = 0; i < 256; i++) {
		char *p = malloc(16 << 20); /* leaked on purpose: the process dies */
		if (!p)
			return ax_error_set("allocation failed after %zu MiB", total >> 20);
		memset(p, 1, 16 << 20);
		total += 16 << 20;
	}
	return 0;
}

static int run_cpu(struct ax_probe_ctx *ctx)
{
	volatile unsigned long x = 0;
	for (;;)
		x++;
	return 0;
}

static int run_exit(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "test.b", AX_CHECK_PASS, NULL, "ok");
	_exit(3);
}

static int run_fail(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "test.item.first", AX_CHECK_PASS, NULL, "ok");
	return ax_error_set("cannot connect to 127.0.0.1:25: Connection refused");
}

/* An emit that fails (here: an undeclared id) fails the run even though
 * run() ignores it and returns 0; later emits still go through. */
static int run_emitfail(struct ax_probe_ctx *ctx)
{
	ax_probe_result(ctx, "other.check", AX_CHECK_PASS, NULL, "sneaky");
	ax_probe_result(ctx, "test.item.first", AX_CHECK_PASS, NULL, "ok");
	return 0;
}

#define PROBE(n) static const struct probe probe_test_##n = {"test-" #n, "test", NULL, checks, run_##n, NULL}
PROBE(pass);
PROBE(sandbox);
PROBE(abort);
PROBE(segv);
PROBE(hang);
PROBE(garbage);
PROBE(badjson);
PROBE(undeclared);
PROBE(twice);
PROBE(flood);
PROBE(memory);
PROBE(cpu);
PROBE(exit);
PROBE(fail);
PROBE(emitfail);

/* --- helpers --- */

static size_t count(const struct ax_evidence *ev, const char *inst)
{
	size_t n = 0;
	for (size_t i = 0; i < ev->nresults; i++)
		n += strcmp(ev->results[i].instance, inst) == 0;
	return n;
}

/* check has status and a message containing want */
static void expect(const struct ax_evidence *ev, const char *inst, const char *check, enum ax_check_status st,
		   const char *want, int line)
{
	const struct ax_result *r = t_result_in(ev, inst, check);
	t_checks++;
	if (!r) {
		t_fail(__FILE__, line, "%s: no result for %s", inst, check);
		return;
	}
	if (r->status != st || (want && !strstr(r->message, want)))
		t_fail(__FILE__, line, "%s %s: %s \"%s\", expected %s \"%s\"", inst, check,
		       ax_check_status_name(r->status), r->message, ax_check_status_name(st), want ? want : "");
}
#define EXPECT(inst, check, st, want) expect(&ev, inst, check, st, want, __LINE__)

static struct ax_probe_instance mk(const char *name, const struct probe *p, int64_t timeout)
{
	struct ax_probe_instance i;
	memset(&i, 0, sizeof(i));
	i.name = (char *)name;
	i.type = p;
	i.timeout = timeout;
	i.interval = 3600;
	i.freshness = 7200;
	return i;
}

/* pidfd_off: the same run learning of exits by SIGCHLD, as on a kernel
 * without pidfd_open */
static void test_misbehaving(int pidfd_off)
{
	/* 30 s wall time for the well-behaved: a busy machine must not turn
	 * them into timeouts (only i-hang is meant to hit its deadline) */
	struct ax_probe_instance in[] = {
		mk("i-pass", &probe_test_pass, 30),
		mk("i-sandbox", &probe_test_sandbox, 5), /* its CPU limit (= timeout) is asserted */
		mk("i-abort", &probe_test_abort, 30),
		mk("i-segv", &probe_test_segv, 30),
		mk("i-hang", &probe_test_hang, 2),
		mk("i-garbage", &probe_test_garbage, 30),
		mk("i-badjson", &probe_test_badjson, 30),
		mk("i-undeclared", &probe_test_undeclared, 30),
		mk("i-twice", &probe_test_twice, 30),
		mk("i-flood", &probe_test_flood, 30),
		mk("i-memory", &probe_test_memory, 30),
		mk("i-cpu", &probe_test_cpu, 60), /* CPU seconds, not wall time, end it */
		mk("i-exit", &probe_test_exit, 30),
		mk("i-fail", &probe_test_fail, 30),
		mk("i-emitfail", &probe_test_emitfail, 30),
		mk("i-pass2", &probe_test_pass, 30),
	};
	size_t n = sizeof(in) / sizeof(in[0]);
	const struct ax_probe_instance *ptrs[sizeof(in) / sizeof(in[0])];
	struct ax_evidence ev = {0};
	char *state = ax_asprintf("%s/state", t_tmpdir());
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &in[i];
	in[11].cpu_limit = 1;
	in[10].memory_limit = 64 << 20;
	struct ax_runner_opts opts = {
		.state_root = state,
		.now = NOW,
		.parallel = 4,
		.max_output = 1 << 20,
		.pidfd_off = pidfd_off,
	};
	setenv("ANNEXA_TEST_KEEP", "yes", 1);
	setenv("SECRET_TOKEN", "hunter2", 1);

	int64_t t0 = ax_monotonic_ms();
	T_EQ_INT(ax_runner_run(ptrs, n, &opts, &ev), 0);
	int64_t took = ax_monotonic_ms() - t0;
	T_OK(took < 120000); /* bounded by the deadlines, not by the hanging probe */

	/* well-behaved ones, results stamped by the parent */
	EXPECT("i-pass", "test.a", AX_CHECK_PASS, "all good");
	EXPECT("i-pass", "test.b", AX_CHECK_FAIL, "found 2 problems");
	EXPECT("i-pass", "test.item.x1", AX_CHECK_SKIP, "skipped");
	EXPECT("i-pass2", "test.a", AX_CHECK_PASS, "all good");
	T_EQ_INT(count(&ev, "i-pass"), 3);
	const struct ax_result *r = t_result_in(&ev, "i-pass", "test.a");
	if (r) {
		T_EQ_STR(r->probe_type, "test-pass");
		T_EQ_INT(r->collected_at, NOW);
		T_EQ_STR(r->observed, "{\"n\":1}");
	}
	size_t nart = 0, nconfined = 0;
	for (size_t i = 0; i < ev.nartifacts; i++) {
		const struct ax_artifact *a = &ev.artifacts[i];
		if (strcmp(a->name, AX_RUNNER_SANDBOX_ARTIFACT) == 0) {
			/* every run records the confinement the kernel applied */
			char want[32];
			snprintf(want, sizeof(want), "landlock-v%d+seccomp\n", ax_sandbox_landlock_abi());
			T_EQ_STR(ax_buf_cstr(&a->data), ax_sandbox_landlock_abi() ? want : "seccomp\n");
			nconfined++;
			continue;
		}
		T_OK(strncmp(a->instance, "i-pass", 6) == 0);
		T_EQ_STR(a->name, "out/hello.txt");
		T_EQ_STR(a->media_type, "text/plain");
		T_EQ_INT(a->data.size, 6);
		T_EQ_STR(a->sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
		nart++;
	}
	T_EQ_INT(nart, 2);
	T_OK(nconfined >= 2);
	EXPECT("i-sandbox", "test.a", AX_CHECK_PASS, "sandbox ok");

	/* crashes: the whole instance is error, keeping what it had said */
	EXPECT("i-abort", "test.a", AX_CHECK_ERROR, "probe crashed (signal 6: Aborted) (the probe had reported pass: reported before the crash)");
	EXPECT("i-abort", "test.b", AX_CHECK_ERROR, "probe crashed (signal 6: Aborted)");
	EXPECT("i-segv", "test.a", AX_CHECK_ERROR, "probe crashed (signal 11: Segmentation fault)");
	EXPECT("i-segv", "test.b", AX_CHECK_ERROR, "probe crashed (signal 11");
	T_EQ_INT(count(&ev, "i-segv"), 2); /* no error rows for ".*" checks */

	/* hang: killed at the deadline, grandchild too */
	EXPECT("i-hang", "test.a", AX_CHECK_ERROR, "timed out after 2s");
	EXPECT("i-hang", "test.b", AX_CHECK_ERROR, "timed out after 2s");
	r = t_result_in(&ev, "i-hang", "test.item.grandchild");
	T_OK(r != NULL);
	int gpid = 0;
	if (r && sscanf(r->observed, "{\"pid\":%d}", &gpid) == 1 && gpid > 0) {
		/* we are the subreaper: the grandchild's zombie comes to us */
		int st = 0, got = 0;
		for (int i = 0; i < 3000 && got == 0; i++) { /* up to 30 s */
			got = waitpid(gpid, &st, WNOHANG);
			if (got == 0)
				usleep(10000);
		}
		T_EQ_INT(got, gpid);
		T_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		T_OK(kill(gpid, 0) < 0 && errno == ESRCH);
	} else {
		t_fail(__FILE__, __LINE__, "no grandchild pid in %s", r ? r->observed : "(none)");
	}

	/* protocol violations */
	EXPECT("i-garbage", "test.a", AX_CHECK_ERROR, "(the probe had reported pass: ok)");
	EXPECT("i-garbage", "test.b", AX_CHECK_ERROR, "malformed message: frame length");
	EXPECT("i-badjson", "test.a", AX_CHECK_ERROR, "malformed message");
	EXPECT("i-undeclared", "test.a", AX_CHECK_ERROR, "check 'other.check' is not declared");
	T_OK(t_result_in(&ev, "i-undeclared", "other.check") == NULL);
	EXPECT("i-twice", "test.a", AX_CHECK_ERROR, "reported twice (the probe had reported pass: first)");
	EXPECT("i-twice", "test.b", AX_CHECK_ERROR, "reported twice");
	EXPECT("i-flood", "test.a", AX_CHECK_ERROR, "probe output exceeds 1048576 bytes");
	T_OK(count(&ev, "i-flood") < 600);

	/* limits */
#ifndef SANITIZED
	EXPECT("i-memory", "test.a", AX_CHECK_ERROR, "allocation failed after");
#endif
	EXPECT("i-cpu", "test.a", AX_CHECK_ERROR, "exceeded its CPU limit (1s of CPU time)");

	/* exits */
	EXPECT("i-exit", "test.b", AX_CHECK_ERROR, "without reporting completion (the probe had reported pass: ok)");
	EXPECT("i-exit", "test.a", AX_CHECK_ERROR, "probe exited (status 3) without reporting completion");
	EXPECT("i-fail", "test.item.first", AX_CHECK_PASS, "ok");
	EXPECT("i-fail", "test.a", AX_CHECK_ERROR, "cannot connect to 127.0.0.1:25: Connection refused");
	EXPECT("i-fail", "test.b", AX_CHECK_ERROR, "cannot connect");
	EXPECT("i-emitfail", "test.item.first", AX_CHECK_PASS, "ok");
	EXPECT("i-emitfail", "test.a", AX_CHECK_ERROR, "emitted undeclared check 'other.check'");
	T_OK(t_result_in(&ev, "i-emitfail", "other.check") == NULL);

	/* results come back grouped in instance order */
	for (size_t i = 1; i < ev.nresults; i++) {
		size_t a = 0, b = 0;
		for (size_t k = 0; k < n; k++) {
			if (strcmp(in[k].name, ev.results[i - 1].instance) == 0)
				a = k;
			if (strcmp(in[k].name, ev.results[i].instance) == 0)
				b = k;
		}
		T_OK(a <= b);
	}

	/* every child of the runner was reaped */
	T_OK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	ax_evidence_free(&ev);
	free(state);
}

static int chld_seen;
static void on_chld(int sig)
{
	(void)sig;
	chld_seen = 1;
}

static void test_edge(void)
{
	struct ax_evidence ev = {0};
	struct ax_runner_opts opts = {.now = NOW, .parallel = 0};
	T_EQ_INT(ax_runner_run(NULL, 0, &opts, &ev), 0);
	T_EQ_INT(ev.nresults, 0);

	/* SIGCHLD ignored by the caller must not hide how children end, with
	 * pidfds or the SIGCHLD fallback; the caller's disposition comes back */
	struct ax_probe_instance a = mk("a", &probe_test_abort, 30);
	const struct ax_probe_instance *p = &a;
	for (int off = 0; off < 2; off++) {
		struct sigaction sa;
		opts.pidfd_off = off;
		signal(SIGCHLD, SIG_IGN);
		T_EQ_INT(ax_runner_run(&p, 1, &opts, &ev), 0);
		sigaction(SIGCHLD, NULL, &sa);
		T_OK(sa.sa_handler == SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		EXPECT("a", "test.b", AX_CHECK_ERROR, "probe crashed (signal 6");
		ax_evidence_free(&ev);
	}

	/* a caller's own handler is back after a fallback run */
	struct sigaction mine, back;
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = on_chld;
	sigaction(SIGCHLD, &mine, NULL);
	opts.pidfd_off = 1;
	T_EQ_INT(ax_runner_run(&p, 1, &opts, &ev), 0);
	sigaction(SIGCHLD, NULL, &back);
	T_OK(back.sa_handler == on_chld);
	signal(SIGCHLD, SIG_DFL);
	EXPECT("a", "test.b", AX_CHECK_ERROR, "probe crashed (signal 6");
	ax_evidence_free(&ev);
}

int main(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	test_misbehaving(0);
	test_misbehaving(1);
	test_edge();
	return t_done();
}
