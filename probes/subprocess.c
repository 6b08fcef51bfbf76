/* subprocess.c - fork/exec with captured, bounded output and a deadline
 * (see subprocess.h). An exec failure travels back over a close-on-exec
 * pipe, so "not installed" is told apart from "exited 127". */
#include "subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#define SUBPROCESS_STACK (2 * 1024 * 1024)

static const char *const default_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};

static void child(const char *const argv[], const char *const env[], int out, int err, int report)
{
	int devnull = open("/dev/null", O_RDONLY);
	setpgid(0, 0);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	for (int fd = 3; fd < 1024; fd++)
		if (fd != report)
			close(fd);
	signal(SIGPIPE, SIG_DFL);
	/* Under the runner's address-space limit every thread reserves
	 * RLIMIT_STACK of it: multi-threaded tools (restic, any Go program)
	 * fail to start with the usual 8 MiB. 2 MiB is plenty for a tool. */
	struct rlimit as, stack;
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY && getrlimit(RLIMIT_STACK, &stack) == 0 &&
	    (stack.rlim_cur == RLIM_INFINITY || stack.rlim_cur > SUBPROCESS_STACK)) {
		stack.rlim_cur = SUBPROCESS_STACK;
		setrlimit(RLIMIT_STACK, &stack);
	}
	execvpe(argv[0], (char *const *)argv, (char *const *)(env ? env : default_env));
fail:;
	int e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void drain(int *fd, struct ax_buf *b, size_t max, int *truncated)
{
	char chunk[16384];
	ssize_t n = read(*fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	size_t keep = b->size < max ? max - b->size : 0;
	if ((size_t)n > keep)
		*truncated = 1;
	ax_buf_put(b, chunk, (size_t)n < keep ? (size_t)n : keep);
}

int ax_subprocess_run(const char *const argv[], const char *const env[], int64_t timeout_ms, size_t max_output,
		      struct ax_subprocess *res)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
	int rc = 0, status = 0, exec_errno = 0;
	pid_t pid = -1;
	int64_t deadline = timeout_ms > 0 ? ax_monotonic_ms() + timeout_ms : 0;

	res->exit_code = -1;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		rc = ax_error_set("%s: pipe: %s", argv[0], strerror(errno));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		rc = ax_error_set("%s: fork: %s", argv[0], strerror(errno));
		goto cleanup;
	}
	if (pid == 0)
		child(argv, env, outp[1], errp[1], rep[1]);
	setpgid(pid, pid); /* also in the parent: no race with an early kill */
	close(outp[1]);
	close(errp[1]);
	close(rep[1]);
	outp[1] = errp[1] = rep[1] = -1;
	if (read(rep[0], &exec_errno, sizeof(exec_errno)) == (ssize_t)sizeof(exec_errno)) {
		waitpid(pid, &status, 0);
		pid = -1;
		rc = ax_error_code(AX_ENOTFOUND, "%s: cannot execute: %s", argv[0], strerror(exec_errno));
		goto cleanup;
	}
	while (outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd fds[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
		int wait_ms = -1;
		if (deadline) {
			int64_t left = deadline - ax_monotonic_ms();
			if (left <= 0) {
				kill(-pid, SIGKILL);
				res->timed_out = 1;
				break;
			}
			wait_ms = left > 1000 ? 1000 : (int)left;
		}
		if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) {
			kill(-pid, SIGKILL);
			break;
		}
		if (fds[0].revents)
			drain(&outp[0], &res->out, max_output, &res->out_truncated);
		if (fds[1].revents)
			drain(&errp[0], &res->err, max_output, &res->err_truncated);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	if (res->timed_out)
		rc = ax_error_code(AX_ETIMEOUT, "%s: killed after %lld ms (deadline)", argv[0], (long long)timeout_ms);
cleanup:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	return rc;
}

void ax_subprocess_free(struct ax_subprocess *res)
{
	if (!res)
		return;
	ax_buf_free(&res->out);
	ax_buf_free(&res->err);
}
