/* sandbox.c - Landlock and seccomp confinement of a probe child (sandbox.h).
 *
 * Landlock: every file system right the kernel's ABI knows is handled, so
 * what no rule grants is denied; TCP bind is handled with no rule (never
 * allowed) and TCP connect only to the plan's ports (ABI >= 4); abstract
 * Unix sockets and signals are scoped to the child's own domain (ABI >= 6).
 * Landlock also denies ptrace of, and /proc access to, any process outside
 * the domain (the parent collector). Pathname Unix sockets (a local
 * PostgreSQL) are not restricted by Landlock ABI <= 7.
 *
 * seccomp: a deny list (EPERM) of calls no probe needs and an escape would
 * want; clone3 answers ENOSYS so the C library falls back to clone, whose
 * namespace flags can be checked. linux/landlock.h from an older
 * linux-libc-dev lacks the newer ABIs: their constants are defined here. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#define AX_LANDLOCK_RULE_NET_PORT 2 /* enum landlock_rule_type, ABI 4 */
#define AX_LANDLOCK_ABI_MAX 7       /* the newest ABI this file knows */

/* The kernel's structures as of ABI 6 (older headers lack fields). */
struct ax_ll_ruleset_attr {
	uint64_t handled_access_fs, handled_access_net, scoped;
};
struct ax_ll_net_port_attr {
	uint64_t allowed_access, port;
};

#define FS_FILE_RIGHTS                                                                                             \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |               \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

void ax_sandbox_add_path(struct ax_sandbox *sb, const char *path, unsigned access)
{
	if (!path || !*path)
		return;
	if (sb->npaths == sb->apaths) {
		sb->apaths = sb->apaths ? 2 * sb->apaths : 32;
		sb->paths = ax_realloc(sb->paths, sb->apaths * sizeof(*sb->paths));
	}
	sb->paths[sb->npaths].path = ax_strdup(path);
	sb->paths[sb->npaths++].access = access;
}

void ax_sandbox_add_port(struct ax_sandbox *sb, uint16_t port)
{
	for (size_t i = 0; i < sb->nports; i++)
		if (sb->ports[i] == port)
			return;
	if (sb->nports == sb->aports) {
		sb->aports = sb->aports ? 2 * sb->aports : 4;
		sb->ports = ax_realloc(sb->ports, sb->aports * sizeof(*sb->ports));
	}
	sb->ports[sb->nports++] = port;
}

void ax_sandbox_add_system(struct ax_sandbox *sb, int exec)
{
	/* programs and libraries: read, and execute for probes that run tools */
	static const char *const code[] = {"/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", NULL};
	/* what the C library, OpenSSL, libpq, git and the tools read in /etc;
	 * never /etc as a whole (shadow, the collector's own folder) */
	static const char *const etc[] = {
		"/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/ld.so.cache", "/etc/ld.so.conf",
		"/etc/ld.so.conf.d", "/etc/localtime", "/etc/timezone", "/etc/passwd", "/etc/group",
		"/etc/nsswitch.conf", "/etc/hosts", "/etc/host.conf", "/etc/resolv.conf", "/etc/gai.conf",
		"/etc/services", "/etc/protocols", "/etc/mime.types", "/etc/gitconfig", "/etc/postgresql-common",
		"/etc/alternatives", "/etc/gnutls", "/etc/crypto-policies", "/etc/mailname", NULL};
	for (size_t i = 0; code[i]; i++)
		ax_sandbox_add_path(sb, code[i], AX_SB_READ | (exec ? AX_SB_EXEC : 0));
	for (size_t i = 0; etc[i]; i++)
		ax_sandbox_add_path(sb, etc[i], AX_SB_READ);
	/* /proc of processes outside the domain stays closed (Landlock's
	 * ptrace rule); the C library and Go read their own entries */
	ax_sandbox_add_path(sb, "/proc", AX_SB_READ);
	ax_sandbox_add_path(sb, "/sys/devices/system/cpu", AX_SB_READ);
	ax_sandbox_add_path(sb, "/sys/kernel/mm/transparent_hugepage", AX_SB_READ);
	ax_sandbox_add_path(sb, "/dev/null", AX_SB_READ | AX_SB_WRITE);
	ax_sandbox_add_path(sb, "/dev/zero", AX_SB_READ);
	ax_sandbox_add_path(sb, "/dev/urandom", AX_SB_READ);
	ax_sandbox_add_path(sb, "/dev/random", AX_SB_READ);
}

void ax_sandbox_free(struct ax_sandbox *sb)
{
	if (!sb)
		return;
	for (size_t i = 0; i < sb->npaths; i++)
		free(sb->paths[i].path);
	free(sb->paths);
	free(sb->ports);
	memset(sb, 0, sizeof(*sb));
}

int ax_sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static uint64_t fs_handled(int abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

static uint64_t fs_rights(unsigned access, uint64_t handled)
{
	uint64_t r = 0;
	if (access & AX_SB_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (access & AX_SB_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (access & AX_SB_WRITE)
		/* everything but devices and execute: a scratch folder */
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		     LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |
		     LANDLOCK_ACCESS_FS_TRUNCATE;
	return r & handled;
}

static int landlock_apply(const struct ax_sandbox *sb, int abi)
{
	struct ax_ll_ruleset_attr attr = {.handled_access_fs = fs_handled(abi)};
	int rs = -1, err = 0;
	if (abi >= 4)
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return ax_error_set("landlock_create_ruleset: %s", strerror(errno));
	for (size_t i = 0; i < sb->npaths; i++) {
		struct stat st;
		int fd = open(sb->paths[i].path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue; /* not on this machine: nothing to grant */
		struct landlock_path_beneath_attr pb = {.parent_fd = fd,
							.allowed_access = fs_rights(sb->paths[i].access,
										    attr.handled_access_fs)};
		if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= FS_FILE_RIGHTS;
		if (pb.allowed_access &&
		    syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			err = ax_error_set("landlock rule for %s: %s", sb->paths[i].path, strerror(errno));
			close(fd);
			goto cleanup;
		}
		close(fd);
	}
	for (size_t i = 0; abi >= 4 && i < sb->nports; i++) {
		struct ax_ll_net_port_attr np = {LANDLOCK_ACCESS_NET_CONNECT_TCP, sb->ports[i]};
		if (syscall(SYS_landlock_add_rule, rs, AX_LANDLOCK_RULE_NET_PORT, &np, 0) < 0) {
			err = ax_error_set("landlock rule for port %u: %s", sb->ports[i], strerror(errno));
			goto cleanup;
		}
	}
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		err = ax_error_set("landlock_restrict_self: %s", strerror(errno));
cleanup:
	close(rs);
	return err;
}

/* A filter cannot read the struct timex adjtimex(2) and clock_adjtime(2)
 * take, so it cannot allow only their read-only form (modes = 0). A child
 * that reads the clock state gets both calls and loses CAP_SYS_TIME
 * instead, from its bounding set (programs it runs cannot regain it) and
 * its own sets: the kernel then refuses every mode that adjusts. */
static int drop_sys_time(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0) < 0 && errno != EPERM && errno != EINVAL)
		return ax_error_set("dropping CAP_SYS_TIME from the bounding set: %s", strerror(errno));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return ax_error_set("capget: %s", strerror(errno));
	unsigned bit = 1u << (CAP_SYS_TIME % 32);
	data[CAP_SYS_TIME / 32].effective &= ~bit;
	data[CAP_SYS_TIME / 32].permitted &= ~bit;
	data[CAP_SYS_TIME / 32].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return ax_error_set("capset: %s", strerror(errno));
	return 0;
}

static int seccomp_apply(const struct ax_sandbox *sb)
{
	static const char *const deny[] = {
#ifndef AX_SANITIZED
		"ptrace", /* LeakSanitizer stops the world with it */
#endif
		"process_vm_readv", "process_vm_writev", "mount", "umount", "umount2", "pivot_root", "chroot",
		"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "kexec_load",
		"kexec_file_load", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "init_module",
		"finit_module", "delete_module", "setns", "unshare", "open_by_handle_at", "name_to_handle_at",
		"userfaultfd", "swapon", "swapoff", "reboot", "acct", "quotactl", "lookup_dcookie", "syslog",
		"iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", NULL};
	static const uint64_t newns[] = {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
					 CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET};
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int rc = 0;
	if (!f)
		return ax_error_set("seccomp_init failed");
	if (sb->clock_read && drop_sys_time() < 0) {
		seccomp_release(f);
		return AX_ERROR;
	}
	for (size_t i = 0; deny[i] && rc == 0; i++) {
		if (sb->clock_read && (strcmp(deny[i], "adjtimex") == 0 || strcmp(deny[i], "clock_adjtime") == 0))
			continue;
		int nr = seccomp_syscall_resolve_name(deny[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* clone3 takes its flags in memory a filter cannot read */
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; rc == 0 && i < sizeof(newns) / sizeof(newns[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, newns[i], newns[i]));
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc == 0 ? 0 : ax_error_set("seccomp: %s", strerror(-rc));
}

int ax_sandbox_apply(const struct ax_sandbox *sb, struct ax_buf *applied)
{
	int abi = sb->landlock_off ? 0 : ax_sandbox_landlock_abi(), err;
	if (abi > AX_LANDLOCK_ABI_MAX)
		abi = AX_LANDLOCK_ABI_MAX; /* newer rights are not handled: nothing denied by surprise */
	if (abi > 0) {
		if ((err = landlock_apply(sb, abi)) < 0)
			return err;
		ax_buf_printf(applied, "landlock-v%d", abi);
	}
	if (!sb->seccomp_off) {
		if ((err = seccomp_apply(sb)) < 0)
			return err;
		ax_buf_printf(applied, "%sseccomp", applied->size ? "+" : "");
	}
	if (!applied->size)
		ax_buf_puts(applied, "none");
	return 0;
}

int ax_sandbox_unconfined(const char *applied)
{
	return applied && strncmp(applied, "none", 4) == 0 &&
	       (applied[4] == '\0' || applied[4] == ' ' || applied[4] == '\n');
}
