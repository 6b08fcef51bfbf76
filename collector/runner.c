/* runner.c - runs probe instances in sandboxed children (runner.h).
 *
 * Guarantees: every child is reaped before ax_runner_run returns (no
 * zombies), its whole process group is killed at its deadline, on a
 * protocol error and once it has exited (no leftover grandchildren), and
 * nothing a child sends is stored before msg.c has decoded it and this file
 * has checked it against the probe's declared checks. Instance, probe type
 * and time of every result come from the parent, never from the child.
 *
 * A child's exit wakes the parent at once: each child's pidfd
 * (pidfd_open) is polled with the result pipes. On a kernel without
 * pidfd_open a SIGCHLD handler writes to a self-pipe instead, installed
 * only for the run and the caller's disposition restored after it (the
 * daemon owns its signal handling). A short tick remains for the
 * resident-set watchdog and catches an exit both missed. */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "msg.h"
#include "probe.h"
#include "sandbox.h"
#include "util.h"

#define WATCH_MS 50          /* resident-set watchdog period */
#define READ_BURST (1 << 20) /* bytes read from one child before serving others */

struct child {
	const struct ax_probe_instance *inst;
	pid_t pid; /* 0 when not running */
	int fd;    /* read end, -1 once closed */
	int pidfd; /* readable once the child has exited; -1 without pidfd_open */
	int64_t deadline_ms, watch_ms;
	struct ax_msg_reader rd;
	size_t total, nresults;
	int done, timed_out, killed;
	int probe_failed; /* ended with its own "fail": earlier results stand */
	struct ax_buf error; /* why the run failed; empty when it did not */
	struct ax_evidence ev;
};

/* ---------------- the child ---------------- */

struct child_sink {
	int fd;
	struct ax_buf frame;
};

static int sink_send(struct child_sink *s)
{
	int err = ax_msg_write(s->fd, s->frame.ptr, s->frame.size);
	ax_buf_clear(&s->frame);
	return err;
}

static int sink_result(void *arg, const struct ax_result *r)
{
	struct child_sink *s = arg;
	int err = ax_msg_encode_result(&s->frame, r->check, r->status, r->message, r->observed);
	return err < 0 ? err : sink_send(s);
}

static int sink_artifact(void *arg, const struct ax_artifact *a)
{
	struct child_sink *s = arg;
	int err = ax_msg_encode_artifact(&s->frame, a->name, a->media_type, a->data.ptr, a->data.size);
	return err < 0 ? err : sink_send(s);
}

/* Lowers a limit; never tries to raise a hard limit the parent lacks. */
static int limit(int resource, int64_t soft, int64_t hard)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0)
		return -1;
	if (rl.rlim_max == RLIM_INFINITY || (rlim_t)hard < rl.rlim_max)
		rl.rlim_max = (rlim_t)hard;
	rl.rlim_cur = (rlim_t)soft < rl.rlim_max ? (rlim_t)soft : rl.rlim_max;
	return setrlimit(resource, &rl);
}

static int set_limits(const struct ax_probe_instance *inst)
{
	int64_t timeout = inst->timeout > 0 ? inst->timeout : AX_DEFAULT_TIMEOUT;
	int64_t cpu = inst->cpu_limit > 0 ? inst->cpu_limit : timeout;
	if (limit(RLIMIT_CORE, 0, 0) < 0 || limit(RLIMIT_FSIZE, AX_RUNNER_FSIZE_MAX, AX_RUNNER_FSIZE_MAX) < 0 ||
	    /* soft: SIGXCPU (a crash with a name); hard one second later: SIGKILL */
	    limit(RLIMIT_CPU, cpu, cpu + 1) < 0)
		return ax_error_set("setrlimit: %s", strerror(errno));
#ifndef AX_SANITIZED
	/* sanitizers reserve terabytes of address space: no RLIMIT_AS there */
	int64_t mem = inst->memory_limit > 0 ? inst->memory_limit : AX_DEFAULT_MEMORY_LIMIT;
	if (limit(RLIMIT_AS, mem, mem) < 0)
		return ax_error_set("setrlimit(RLIMIT_AS): %s", strerror(errno));
#endif
	return 0;
}

/* Only what a probe needs; ANNEXA_NOW and ANNEXA_TEST_* survive for tests. */
static void scrub_env(const char *home, const char *tmp)
{
	struct ax_buf keep = AX_BUF_INIT; /* NUL-separated NAME=VALUE entries */
	extern char **environ;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "ANNEXA_NOW=", 11) == 0 || strncmp(*e, "ANNEXA_TEST_", 12) == 0)
			ax_buf_put(&keep, *e, strlen(*e) + 1);
	clearenv();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("LANG", "C.UTF-8", 1);
	setenv("TZ", "UTC", 1);
	setenv("HOME", home, 1);
	if (tmp)
		setenv("TMPDIR", tmp, 1);
	for (size_t off = 0; off < keep.size; off += strlen(keep.ptr + off) + 1) {
		char *eq = strchr(keep.ptr + off, '=');
		if (eq) {
			*eq = '\0';
			setenv(keep.ptr + off, eq + 1, 1);
		}
	}
	ax_buf_free(&keep);
	tzset();
}

/* stdin /dev/null, stdout to stderr, the pipe on AX_MSG_FD, nothing else. */
static int setup_fds(int wfd)
{
	int high = fcntl(wfd, F_DUPFD, 10), nul = open("/dev/null", O_RDWR);
	if (high < 0 || nul < 0)
		return ax_error_set("setting up descriptors: %s", strerror(errno));
	if (dup2(nul, 0) < 0 || (fcntl(2, F_GETFD) < 0 && dup2(nul, 2) < 0) || dup2(2, 1) < 0 ||
	    dup2(high, AX_MSG_FD) < 0)
		return ax_error_set("setting up descriptors: %s", strerror(errno));
	if (close_range(AX_MSG_FD + 1, ~0U, 0) < 0) {
		/* kernels before 5.9 */
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = AX_MSG_FD + 1; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
	}
	return 0;
}

static int make_state_dir(const char *root, const char *name, char **out)
{
	*out = NULL;
	if (!root)
		return 0;
	if (!ax_id_valid(name, AX_ID_MAX)) /* it becomes a path component */
		return ax_error_code(AX_EINVALID, "invalid instance name '%s'", name);
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return ax_error_set("state folder %s: %s", root, strerror(errno));
	*out = ax_asprintf("%s/%s", root, name);
	if (mkdir(*out, 0700) < 0 && errno != EEXIST)
		return ax_error_set("state folder %s: %s", *out, strerror(errno));
	return 0;
}

static void reset_signals(void)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
}

/* The account a child switches to when the collector is root: its type's
 * groups only, never root's. Looked up before confinement (NSS). */
struct probe_user {
	uid_t uid;
	gid_t gid, groups[8];
	int ngroups;
	const char *name;
};

static int find_probe_user(const struct ax_probe_instance *inst, const struct ax_runner_opts *opts,
			   struct probe_user *pu)
{
	const struct ax_probe_access *acc = inst->type->access;
	pu->name = NULL;
	if (geteuid() != 0 || !opts->probe_user || (acc && (acc->flags & AX_ACCESS_ROOT)))
		return 0;
	struct passwd *pw = getpwnam(opts->probe_user);
	if (!pw)
		return ax_error_code(AX_ENOTFOUND, "[annexa] probe-user %s: no such user", opts->probe_user);
	if (pw->pw_uid == 0)
		return ax_error_code(AX_EINVALID, "[annexa] probe-user %s is root", opts->probe_user);
	pu->uid = pw->pw_uid;
	pu->gid = pw->pw_gid;
	pu->ngroups = 0;
	pu->name = opts->probe_user;
	for (const char *g = acc ? acc->groups : NULL; g && *g && pu->ngroups < 8;) {
		size_t n = strcspn(g, " ");
		char *name = ax_asprintf("%.*s", (int)n, g);
		struct group *gr = getgrnam(name);
		if (gr) /* a group this machine lacks grants nothing */
			pu->groups[pu->ngroups++] = gr->gr_gid;
		free(name);
		g += n + strspn(g + n, " ");
	}
	return 0;
}

static int switch_user(const struct probe_user *pu)
{
	if (!pu->name)
		return 0;
	if (setgroups((size_t)pu->ngroups, pu->groups) < 0 || setgid(pu->gid) < 0 || setuid(pu->uid) < 0)
		return ax_error_set("switching to probe-user %s: %s", pu->name, strerror(errno));
	if (setuid(0) == 0)
		return ax_error_set("probe-user %s: root could be regained", pu->name);
	return 0;
}

/* State folder, its private temporary folder, and the confinement. */
static int confine(const struct ax_probe_instance *inst, const struct ax_runner_opts *opts, const char *state,
		   struct ax_buf *applied)
{
	struct ax_sandbox sb = {0};
	struct probe_user pu;
	char *tmp = state ? ax_asprintf("%s/.tmp", state) : NULL;
	int err;
	if ((err = find_probe_user(inst, opts, &pu)) < 0)
		goto cleanup;
	if (tmp && mkdir(tmp, 0700) < 0 && errno != EEXIST) {
		err = ax_error_set("temporary folder %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (pu.name && state && opts->state_root &&
	    /* the probe user passes through the root, owns only its folder */
	    (chmod(opts->state_root, 0711) < 0 || chown(state, pu.uid, pu.gid) < 0 ||
	     chown(tmp, pu.uid, pu.gid) < 0)) {
		err = ax_error_set("state folder %s for probe-user %s: %s", state, pu.name, strerror(errno));
		goto cleanup;
	}
	scrub_env(state ? state : "/", tmp);
	/* SQLite read SQLITE_TMPDIR/TMPDIR once, when the collector initialised
	 * it before forking: without this, a probe's sort or temporary b-tree
	 * too large for memory (a big lead database) would spill to the
	 * collector's temporary folder or /var/tmp, which the confinement
	 * denies ("unable to open database file"). */
	if (tmp)
		sqlite3_temp_directory = sqlite3_mprintf("%s", tmp);
	sb.landlock_off = opts->landlock_off;
	sb.seccomp_off = opts->seccomp_off;
	ax_sandbox_plan(&sb, inst, state, opts->protect);
	if ((err = ax_sandbox_apply(&sb, applied)) < 0 || (err = switch_user(&pu)) < 0)
		goto cleanup;
	if (pu.name)
		ax_buf_printf(applied, " user=%s", pu.name);
	if (opts->require_sandbox && strncmp(ax_buf_cstr(applied), "landlock", 8) != 0)
		err = ax_error_code(AX_EINVALID, "[annexa] require-sandbox: this kernel offers no Landlock (got: %s)",
				    ax_buf_cstr(applied));
cleanup:
	ax_sandbox_free(&sb);
	free(tmp);
	return err;
}

static void child_main(const struct ax_probe_instance *inst, const struct ax_runner_opts *opts, int wfd,
		       pid_t parent)
{
	struct child_sink sink = {wfd, AX_BUF_INIT}; /* AX_MSG_FD once set up */
	struct ax_probe_sink ps = {sink_result, sink_artifact, &sink};
	struct ax_probe_ctx *ctx = NULL;
	struct ax_buf applied = AX_BUF_INIT;
	char *state = NULL;
	int rc;

	__fpurge(stdout); /* the parent's unwritten output is not ours to write */
	setpgid(0, 0);
	reset_signals();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127); /* the parent is already gone: nobody to report to */
	if ((rc = setup_fds(wfd)) < 0)
		goto out;
	sink.fd = AX_MSG_FD;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = ax_error_set("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		goto out;
	}
	/* limits last: building the confinement allocates */
	if ((rc = make_state_dir(opts->state_root, inst->name, &state)) < 0 ||
	    (rc = confine(inst, opts, state, &applied)) < 0 || (rc = set_limits(inst)) < 0)
		goto out;
	/* what the kernel applied, before any probe code runs */
	ax_buf_putc(&applied, '\n');
	if ((rc = ax_msg_encode_artifact(&sink.frame, AX_RUNNER_SANDBOX_ARTIFACT, "text/plain", applied.ptr,
					 applied.size)) < 0 ||
	    (rc = sink_send(&sink)) < 0)
		goto out;
	ctx = ax_probe_ctx_new(inst, opts->pseudonym_key, opts->keylen, state, opts->now, &ps);
	if (ctx)
		ax_probe_ctx_set_key_facts(ctx, opts->key_facts);
	if (ctx)
		ax_probe_ctx_set_show_names(ctx, opts->show_user_names);
	rc = ctx ? inst->type->run(ctx) : ax_error_set("cannot create the probe context");
	if (rc >= 0 && ctx) /* an emit failed: the run failed as if it had returned that */
		rc = ax_probe_ctx_error(ctx);
out:
	if (rc < 0)
		ax_msg_encode_fail(&sink.frame, rc, ax_error_last());
	else
		ax_msg_encode_done(&sink.frame);
	sink_send(&sink);
	ax_probe_ctx_free(ctx);
	free(state);
	ax_buf_free(&applied);
	ax_buf_free(&sink.frame);
	fflush(NULL);
	_exit(0); /* not exit(): the parent's atexit handlers are not ours */
}

/* ---------------- the parent ---------------- */

static void child_error(struct child *c, const char *fmt, ...) AX_PRINTF(2, 3);
static void child_error(struct child *c, const char *fmt, ...)
{
	va_list ap;
	if (c->error.size)
		return; /* the first reason is the cause; later ones are consequences */
	va_start(ap, fmt);
	ax_buf_vprintf(&c->error, fmt, ap);
	va_end(ap);
}

static void kill_group(struct child *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL); /* in case it left its group */
		c->killed = 1;
	}
}

static void close_pipe(struct child *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int reported(const struct child *c, const char *check)
{
	for (size_t i = 0; i < c->ev.nresults; i++)
		if (strcmp(c->ev.results[i].check, check) == 0)
			return 1;
	return 0;
}

static int artifact_seen(const struct child *c, const char *name)
{
	for (size_t i = 0; i < c->ev.nartifacts; i++)
		if (strcmp(c->ev.artifacts[i].name, name) == 0)
			return 1;
	return 0;
}

/* One decoded, validated frame into the child's evidence. */
static int handle_frame(struct child *c, const struct ax_runner_opts *opts, const unsigned char *buf, size_t len)
{
	const struct ax_probe_instance *inst = c->inst;
	struct ax_msg m;
	int err = 0;
	if (ax_msg_decode(buf, len, &m) < 0) {
		child_error(c, "%s", ax_error_last());
		return AX_EINVALID;
	}
	if (c->done) {
		child_error(c, "malformed message: output after \"done\"");
		err = AX_EINVALID;
		goto cleanup;
	}
	switch (m.type) {
	case AX_MSG_RESULT:
		if (!ax_probe_declares(inst->type, m.check))
			child_error(c, "malformed message: check '%s' is not declared by probe type %s", m.check,
				    inst->type->name);
		else if (reported(c, m.check))
			child_error(c, "malformed message: check '%s' reported twice", m.check);
		else if (++c->nresults > AX_RUNNER_RESULTS_MAX)
			child_error(c, "more than %d results", AX_RUNNER_RESULTS_MAX);
		else
			ax_evidence_add_result(&c->ev, inst->name, inst->type->name, m.check, m.status, m.message,
					       m.observed, opts->now);
		break;
	case AX_MSG_ARTIFACT:
		if (artifact_seen(c, m.name))
			child_error(c, "malformed message: artifact '%s' sent twice", m.name);
		else
			ax_evidence_add_artifact(&c->ev, inst->name, m.name, m.media_type, m.data, m.size);
		break;
	case AX_MSG_DONE:
		c->done = 1;
		break;
	case AX_MSG_FAIL:
		/* the probe itself said it could not finish: what it reported
		 * before is its honest word (probe.h) and stays as reported */
		if (!c->error.size)
			c->probe_failed = 1;
		child_error(c, "%s", m.error);
		c->done = 1; /* a fail is a final word too */
		break;
	}
	if (c->error.size && m.type != AX_MSG_FAIL)
		err = AX_EINVALID;
cleanup:
	ax_msg_clear(&m);
	return err;
}

/* Reads what is available (up to a burst); closes the pipe at EOF and on a
 * protocol error, after which the child is killed. Returns 1 when the
 * pipe is empty for now, 0 otherwise. */
static int read_child(struct child *c, const struct ax_runner_opts *opts, size_t max_output)
{
	unsigned char chunk[65536];
	size_t burst = 0;
	while (c->fd >= 0 && burst < READ_BURST) {
		ssize_t n = read(c->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0) {
			if (n < 0)
				child_error(c, "reading the result pipe: %s", strerror(errno));
			close_pipe(c);
			return 0;
		}
		burst += (size_t)n;
		c->total += (size_t)n;
		if (c->total > max_output) {
			child_error(c, "probe output exceeds %zu bytes", max_output);
			goto protocol_error;
		}
		for (size_t off = 0; off < (size_t)n;) {
			unsigned char *frame;
			size_t used, flen;
			int rc = ax_msg_reader_feed(&c->rd, chunk + off, (size_t)n - off, &used, &frame, &flen);
			off += used;
			if (rc < 0) {
				child_error(c, "%s", ax_error_last());
				goto protocol_error;
			}
			if (rc == 1) {
				rc = handle_frame(c, opts, frame, flen);
				free(frame);
				if (rc < 0)
					goto protocol_error;
			}
		}
	}
	return 0;
protocol_error:
	close_pipe(c);
	kill_group(c);
	return 0;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec by itself */
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static void start_child(struct child *c, const struct ax_runner_opts *opts, int use_pidfd)
{
	int fds[2];
	int64_t timeout = c->inst->timeout > 0 ? c->inst->timeout : AX_DEFAULT_TIMEOUT;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		child_error(c, "cannot start probe: pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_main(c->inst, opts, fds[1], parent);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		child_error(c, "cannot start probe: fork: %s", strerror(errno));
		return;
	}
	setpgid(pid, pid); /* also here: no window where a kill(-pid) misses */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->fd = fds[0];
	/* not reaped before we do, so the pid is still this child's; without
	 * one (descriptors exhausted) its exit is seen on the watchdog tick */
	c->pidfd = use_pidfd ? open_pidfd(pid) : -1;
	c->deadline_ms = ax_monotonic_ms() + timeout * 1000;
	c->watch_ms = ax_monotonic_ms() + WATCH_MS;
}

/* The child has exited (still a zombie, so its pid and group id cannot be
 * reused yet): kill what is left of its group, drain the pipe, reap it. */
static void finish_child(struct child *c, const struct ax_runner_opts *opts, size_t max_output)
{
	int status = 0;
	kill(-c->pid, SIGKILL);
	/* what it wrote before exiting; a writer that escaped the group cannot
	 * keep us here: stop at the first empty read (output is bounded too) */
	while (c->fd >= 0 && read_child(c, opts, max_output) == 0)
		;
	close_pipe(c);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	int64_t timeout = c->inst->timeout > 0 ? c->inst->timeout : AX_DEFAULT_TIMEOUT;
	if (c->timed_out) {
		child_error(c, "timed out after %llds", (long long)timeout);
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
		int64_t cpu = c->inst->cpu_limit > 0 ? c->inst->cpu_limit : timeout;
		child_error(c, "exceeded its CPU limit (%llds of CPU time)", (long long)cpu);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == AX_EXIT_OUT_OF_MEMORY) {
		int64_t mem = c->inst->memory_limit > 0 ? c->inst->memory_limit : AX_DEFAULT_MEMORY_LIMIT;
		child_error(c, "exceeded its memory limit (allocation failed under memory-limit %lld MiB)",
			    (long long)(mem >> 20));
	} else if (WIFSIGNALED(status) && !c->error.size) {
		int sig = WTERMSIG(status);
		child_error(c, "probe crashed (signal %d: %s)", sig, strsignal(sig));
	} else if (ax_msg_reader_pending(&c->rd)) {
		child_error(c, "malformed message: truncated frame at end of output");
	} else if (!c->done) {
		child_error(c, "probe exited (status %d) without reporting completion",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	c->pid = 0;
}

/* A child that crashed, hung, flooded or broke the protocol makes its
 * whole instance `error`: nothing it reported can be trusted as a pass, so
 * its results become errors that keep what they said. A probe that ended
 * with its own "fail" keeps what it reported (probe.h). Either way every
 * declared exact check not reported gets the reason. */
static void fill_errors(struct child *c, const struct ax_runner_opts *opts)
{
	const struct probe *p = c->inst->type;
	if (!c->error.size)
		return;
	if (!c->probe_failed && c->ev.nartifacts) {
		/* nor can its artifacts: a flood must not reach the store */
		struct ax_evidence keep = {0};
		for (size_t i = 0; i < c->ev.nresults; i++) {
			struct ax_result *r = &c->ev.results[i];
			ax_evidence_add_result(&keep, r->instance, r->probe_type, r->check, r->status, r->message,
					       r->observed, r->collected_at);
		}
		for (size_t i = 0; i < c->ev.nartifacts; i++) {
			struct ax_artifact *a = &c->ev.artifacts[i];
			if (strcmp(a->name, AX_RUNNER_SANDBOX_ARTIFACT) == 0) /* how it was confined */
				ax_evidence_add_artifact(&keep, a->instance, a->name, a->media_type, a->data.ptr,
							 a->data.size);
		}
		ax_evidence_free(&c->ev);
		c->ev = keep;
	}
	for (size_t i = 0; !c->probe_failed && i < c->ev.nresults; i++) {
		struct ax_result *r = &c->ev.results[i];
		if (r->status == AX_CHECK_ERROR)
			continue;
		char *msg = ax_asprintf("%s (the probe had reported %s: %.200s)", ax_buf_cstr(&c->error),
					ax_check_status_name(r->status), r->message);
		free(r->message);
		r->message = msg;
		r->status = AX_CHECK_ERROR;
	}
	for (size_t i = 0; p->checks && p->checks[i].id; i++) {
		const char *id = p->checks[i].id;
		if (ax_check_id_wildcard(id) || reported(c, id))
			continue;
		ax_evidence_add_result(&c->ev, c->inst->name, p->name, id, AX_CHECK_ERROR, ax_buf_cstr(&c->error),
				       NULL, opts->now);
	}
}

/* The resident-set watchdog: RLIMIT_AS cannot be used under sanitizers
 * and does not see memory a probe maps and touches in other ways, so the
 * parent also watches the child's RSS every WATCH_MS. */
static int over_memory(struct child *c)
{
	int64_t limit_bytes = c->inst->memory_limit > 0 ? c->inst->memory_limit : AX_DEFAULT_MEMORY_LIMIT;
	char path[64], buf[128];
	long pages_total = 0, pages_rss = 0;
	snprintf(path, sizeof(path), "/proc/%ld/statm", (long)c->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int got = fgets(buf, sizeof(buf), f) != NULL && sscanf(buf, "%ld %ld", &pages_total, &pages_rss) == 2;
	fclose(f);
	int64_t rss = got ? (int64_t)pages_rss * sysconf(_SC_PAGESIZE) : 0;
	if (rss <= limit_bytes)
		return 0;
	child_error(c, "exceeded its memory limit (resident %lld MiB > memory-limit %lld MiB)",
		    (long long)(rss >> 20), (long long)(limit_bytes >> 20));
	return 1;
}

static int exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	/* WNOWAIT: look, but leave the zombie so the group id stays ours */
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;
	return si.si_pid == pid;
}

/* The fallback without pidfd_open: SIGCHLD writes to a self-pipe the
 * loop polls (one run at a time per process: the runner is not
 * re-entered). */
static int chld_pipe[2] = {-1, -1};

static void on_chld(int sig)
{
	int saved = errno;
	ssize_t w = write(chld_pipe[1], "", 1); /* full pipe: a wake-up is pending anyway */
	(void)w;
	(void)sig;
	errno = saved;
}

/* How the run learns of exits; restores the caller's SIGCHLD on close.
 * With SIGCHLD ignored the kernel reaps children itself and waitid could
 * not tell how they ended, so the disposition is the default at least. */
struct exit_watch {
	int use_pidfd, restore;
	struct sigaction old;
};

static void exit_watch_open(struct exit_watch *w, const struct ax_runner_opts *opts)
{
	struct sigaction sa;
	int probe = opts->pidfd_off ? -1 : open_pidfd(getpid());
	w->use_pidfd = probe >= 0;
	if (probe >= 0)
		close(probe);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, NULL, &w->old);
	w->restore = w->old.sa_handler == SIG_IGN || (w->old.sa_flags & SA_NOCLDWAIT);
	sa.sa_handler = SIG_DFL;
	if (!w->use_pidfd && pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		sa.sa_handler = on_chld;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
		w->restore = 1;
	}
	if (w->restore)
		sigaction(SIGCHLD, &sa, NULL);
}

static void exit_watch_close(struct exit_watch *w)
{
	if (w->restore)
		sigaction(SIGCHLD, &w->old, NULL);
	for (int i = 0; i < 2; i++) {
		if (chld_pipe[i] >= 0)
			close(chld_pipe[i]);
		chld_pipe[i] = -1;
	}
}

/* Empties the self-pipe: the exits it announced are looked for next. */
static void exit_watch_drain(void)
{
	char drain[64];
	while (read(chld_pipe[0], drain, sizeof(drain)) > 0)
		;
}

int ax_runner_run(const struct ax_probe_instance *const *insts, size_t n, const struct ax_runner_opts *opts,
		  struct ax_evidence *out)
{
	struct child *kids = ax_calloc(n ? n : 1, sizeof(*kids));
	/* per child its pipe and its pidfd, and the self-pipe */
	struct pollfd *pfd = ax_calloc(2 * n + 1, sizeof(*pfd));
	struct child **polled = ax_calloc(2 * n + 1, sizeof(*polled));
	size_t max_output = opts->max_output ? opts->max_output : AX_RUNNER_OUTPUT_MAX;
	size_t next = 0, running = 0;
	int parallel = opts->parallel > 0 ? opts->parallel : 1;
	struct exit_watch watch;

	exit_watch_open(&watch, opts);
	for (size_t i = 0; i < n; i++) {
		kids[i].inst = insts[i];
		kids[i].fd = -1;
		kids[i].pidfd = -1;
		ax_msg_reader_init(&kids[i].rd, 0);
	}
	while (next < n || running > 0) {
		while (next < n && running < (size_t)parallel) {
			start_child(&kids[next], opts, watch.use_pidfd);
			if (kids[next].pid > 0)
				running++;
			next++;
		}
		int64_t now = ax_monotonic_ms(), wait_ms = WATCH_MS;
		size_t np = 0;
		if (chld_pipe[0] >= 0) {
			pfd[np] = (struct pollfd){.fd = chld_pipe[0], .events = POLLIN};
			polled[np++] = NULL;
		}
		for (size_t i = 0; i < next; i++) {
			struct child *c = &kids[i];
			if (c->pid <= 0)
				continue;
			if (!c->killed && c->deadline_ms - now < wait_ms)
				wait_ms = c->deadline_ms - now > 0 ? c->deadline_ms - now : 0;
			if (c->fd >= 0) {
				pfd[np] = (struct pollfd){.fd = c->fd, .events = POLLIN};
				polled[np++] = c;
			}
			if (c->pidfd >= 0) {
				pfd[np] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
				polled[np++] = NULL; /* every child is looked at below */
			}
		}
		if (poll(pfd, np, (int)wait_ms) < 0 && errno != EINTR) {
			/* cannot happen with valid descriptors; the tick still reaps */
			usleep(WATCH_MS * 1000);
		}
		for (size_t j = 0; j < np; j++) {
			if (!pfd[j].revents)
				continue;
			if (polled[j] && polled[j]->fd == pfd[j].fd)
				read_child(polled[j], opts, max_output);
			else if (pfd[j].fd == chld_pipe[0])
				exit_watch_drain();
		}
		now = ax_monotonic_ms();
		for (size_t i = 0; i < next; i++) {
			struct child *c = &kids[i];
			if (c->pid <= 0)
				continue;
			if (exited(c->pid)) {
				finish_child(c, opts, max_output);
				running--;
			} else if (now >= c->deadline_ms && !c->killed) {
				c->timed_out = 1;
				kill_group(c);
			} else if (!c->killed && now >= c->watch_ms) {
				c->watch_ms = now + WATCH_MS;
				if (over_memory(c))
					kill_group(c);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		fill_errors(&kids[i], opts);
		ax_evidence_move(out, &kids[i].ev);
		ax_evidence_free(&kids[i].ev);
		ax_msg_reader_free(&kids[i].rd);
		ax_buf_free(&kids[i].error);
	}
	exit_watch_close(&watch);
	free(polled);
	free(pfd);
	free(kids);
	return 0;
}
