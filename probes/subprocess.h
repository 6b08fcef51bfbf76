/* subprocess.h - running an external program from a probe: fork/exec with
 * a given environment, stdout and stderr captured up to a limit, and the
 * child's whole process group killed at a deadline.
 *
 * Guarantees: nothing goes through a shell; the child gets stdin from
 * /dev/null, its own process group, no descriptors but 0-2, and exactly the
 * environment given (secrets such as RESTIC_PASSWORD_FILE belong there,
 * never in argv). Output beyond max_output is read and dropped (so the
 * child never blocks on a full pipe) and flagged. Under an address-space
 * limit the child's stack limit is lowered to 2 MiB (threads reserve it). At the deadline the
 * process group gets SIGKILL. Reusable by any probe that runs a tool. */
#ifndef AX_SUBPROCESS_H
#define AX_SUBPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ax_subprocess {
	int exit_code;       /* 0..255 when it exited, -1 otherwise */
	int signal;          /* terminating signal, 0 when it exited */
	int timed_out;       /* killed at the deadline */
	struct ax_buf out, err;
	int out_truncated, err_truncated;
};

/* Runs argv[0] (looked up in PATH when it has no '/'), env: NULL-terminated
 * "KEY=value" strings (NULL: an empty environment but PATH). timeout_ms: 0
 * means none. Returns 0 when the program ran (whatever its exit status;
 * see res), AX_ENOTFOUND when it could not be executed (message names it),
 * AX_ETIMEOUT when it was killed at the deadline (res filled), AX_ERROR
 * when fork or pipe failed. res must be zeroed; free it with
 * ax_subprocess_free(). */
int ax_subprocess_run(const char *const argv[], const char *const env[], int64_t timeout_ms, size_t max_output,
		      struct ax_subprocess *res);
void ax_subprocess_free(struct ax_subprocess *res);

#endif
