/* sandbox.h - the kernel confinement of a probe child: Landlock (file
 * system, TCP connect, scopes) and a seccomp deny list (libseccomp).
 *
 * A struct ax_sandbox is a plan: the paths the child may read, execute or
 * write, and the TCP ports it may connect to. ax_sandbox_apply() turns it
 * into a Landlock domain with the highest ABI the running kernel offers
 * (up to 7) and loads the seccomp filter; both are inherited by every
 * program the child executes and cannot be lifted. What was applied is
 * described in one word list ("landlock-v7+seccomp", "seccomp", "none")
 * that the run records as evidence. A kernel without Landlock degrades to
 * seccomp only, never to an error; callers that must not run unconfined
 * check the description. */
#ifndef AX_SANDBOX_H
#define AX_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ASan/LSan need ptrace (leak checking stops the world with it) and large
 * mappings: sanitizer builds allow them (see sandbox.c), never others. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define AX_SANITIZED 1
#endif
#endif

enum {
	AX_SB_READ = 1 << 0,  /* read files, list folders (beneath the path) */
	AX_SB_EXEC = 1 << 1,  /* execute programs beneath the path */
	AX_SB_WRITE = 1 << 2, /* create, write, remove beneath the path */
};

struct ax_sandbox_path {
	char *path;
	unsigned access;
};

struct ax_sandbox {
	struct ax_sandbox_path *paths;
	size_t npaths, apaths;
	uint16_t *ports; /* TCP ports the child may connect to */
	size_t nports, aports;
	int clock_read;   /* adjtimex/clock_adjtime allowed, CAP_SYS_TIME dropped (AX_ACCESS_CLOCK) */
	int landlock_off; /* tests and benchmarks: no Landlock even when the kernel has it */
	int seccomp_off;
};

/* Adds a rule; a path that does not exist is skipped when applied. */
void ax_sandbox_add_path(struct ax_sandbox *sb, const char *path, unsigned access);
void ax_sandbox_add_port(struct ax_sandbox *sb, uint16_t port);
/* The paths every child needs: libraries, programs, CA store, name
 * service files, /proc, /dev/null and the random devices. */
void ax_sandbox_add_system(struct ax_sandbox *sb, int exec);
void ax_sandbox_free(struct ax_sandbox *sb);

/* The plan of one probe instance: the system paths, its state folder
 * (read-write), what its options name as its type's access declaration
 * says (probe.h), and its connect ports. A grant that would reach one of
 * the protect paths (store, WAL, signing key, config file) is narrowed to
 * the named file, or dropped when that is protected itself. */
struct ax_probe_instance;
void ax_sandbox_plan(struct ax_sandbox *sb, const struct ax_probe_instance *inst, const char *state_dir,
		     const char *const *protect);
/* The TCP port of "host:port", "[v6]:port", a postgresql:// URI (5432
 * when it names none) or a mysql:// URI with a host (3306 when it names
 * none), 0 when there is none (a Unix socket, sqlite:). */
uint16_t ax_sandbox_port_of(const char *value);

/* The Landlock ABI of the running kernel, 0 when it has none. */
int ax_sandbox_landlock_abi(void);

/* Confines the calling process (PR_SET_NO_NEW_PRIVS must be set) and
 * appends what was applied to applied. Returns 0, or a negative code with
 * a message when a step the kernel offers failed (the process may then be
 * partly confined: the caller must not run the probe). */
int ax_sandbox_apply(const struct ax_sandbox *sb, struct ax_buf *applied);

/* True when a recorded description (a sandbox.txt line: "none" or
 * "none user=NAME") says the child had neither Landlock nor seccomp. */
int ax_sandbox_unconfined(const char *applied);

#endif
