/* runner.h - runs probe instances in child processes.
 *
 * Each instance runs in a forked child: its own process group, a deadline
 * (the instance's timeout), resource limits (memory, CPU seconds, file
 * size, no core dumps), PR_SET_NO_NEW_PRIVS, a scrubbed environment and no
 * inherited descriptors but the result pipe, and the kernel confinement
 * its probe type declares (sandbox.h). The child sends framed
 * messages (msg.h); the parent validates every one. A child that crashes,
 * hangs (its whole process group is killed at the deadline), exceeds a
 * limit or sends a malformed message yields `error` results for every
 * declared check it did not report; the other instances are unaffected.
 *
 * In the child the result pipe is descriptor AX_MSG_FD (3), stdin is
 * /dev/null, stdout goes to stderr and no other descriptor is open.
 * Results are stamped by the parent (instance, probe type, opts->now);
 * a check id the probe does not declare, a check or artifact reported
 * twice, or anything after "done" is a malformed run. */
#ifndef AX_RUNNER_H
#define AX_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"

struct ax_config;
struct ax_probe_instance;
struct ax_probe_key_facts;

struct ax_runner_opts {
	const unsigned char *pseudonym_key; /* [privacy] pseudonym-key-file contents */
	size_t keylen;
	const struct ax_probe_key_facts *key_facts; /* the key file as read; may be NULL */
	const char *state_root; /* per-instance state folders are made below it; may be NULL */
	int64_t now;            /* collection time given to every probe */
	int parallel;           /* children at once (>= 1) */
	size_t max_output;      /* bytes one child may send; 0 = AX_RUNNER_OUTPUT_MAX */
	/* confinement (sandbox.h): paths no child may reach (store, WAL,
	 * signing key, config file), NULL-terminated; a run that cannot get
	 * Landlock fails when require_sandbox is set; probe_user: the account
	 * children switch to when the collector runs as root (NULL: none) */
	const char *const *protect;
	int require_sandbox;
	const char *probe_user;
	int show_user_names;    /* [privacy] show-user-names (ax_probe_user_name) */
	int landlock_off, seccomp_off; /* test builds: ANNEXA_TEST_SANDBOX (collect.c) */
	int pidfd_off; /* tests: learn of exits by SIGCHLD, as without pidfd_open (runner.c) */
};

/* Each run records the confinement its child got as this artifact of the
 * instance ("landlock-v7+seccomp", "seccomp", "none"; user=NAME when it
 * switched user). */
#define AX_RUNNER_SANDBOX_ARTIFACT "sandbox.txt"

#define AX_RUNNER_OUTPUT_MAX ((size_t)256 << 20)
#define AX_RUNNER_RESULTS_MAX 65536 /* results one child may send */
#define AX_RUNNER_FSIZE_MAX ((int64_t)256 << 20)

/* Runs the n instances and appends every result and artifact to out.
 * Returns 0 even when probes failed (their failures are results); a
 * negative code only when the runner itself could not work (fork, pipe). */
int ax_runner_run(const struct ax_probe_instance *const *insts, size_t n,
		  const struct ax_runner_opts *opts, struct ax_evidence *out);

#endif
