/* test_daemon_lock.c - finding the daemon's flock in the kernel's lock
 * table (/proc/locks lines as Linux prints them, fs/locks.c
 * lock_get_status): only a FLOCK WRITE lock on the same device and inode
 * counts; POSIX locks, read locks, other files and blocked waiters ("->")
 * do not. And against the real kernel: a lock this process takes is seen
 * with its pid, and gone once released. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "daemon_lock.h"
#include "t.h"
#include "util.h"

static void test_table(void)
{
	static const struct {
		const char *text;
		int found;
		pid_t pid;
	} cases[] = {
		{"1: FLOCK  ADVISORY  WRITE 4242 fe:00:1234 0 EOF\n", 1, 4242},
		{"1: POSIX  ADVISORY  WRITE 29852 fe:00:10961043 123 123\n2: FLOCK  ADVISORY  WRITE 77 fe:00:1234 0 EOF\n", 1, 77},
		{"1: POSIX  ADVISORY  WRITE 4242 fe:00:1234 0 EOF\n", 0, 0},   /* an fcntl lock is not the daemon's */
		{"1: FLOCK  ADVISORY  READ 4242 fe:00:1234 0 EOF\n", 0, 0},    /* a shared lock is not */
		{"1: FLOCK  ADVISORY  WRITE 4242 fe:01:1234 0 EOF\n", 0, 0},   /* another device */
		{"1: FLOCK  ADVISORY  WRITE 4242 fe:00:12345 0 EOF\n", 0, 0},  /* another inode */
		{"1: -> FLOCK  ADVISORY  WRITE 99 fe:00:1234 0 EOF\n", 0, 0},  /* a waiter holds nothing */
		{"1: FLOCK  ADVISORY  WRITE 0 fe:00:1234 0 EOF", 1, 0},        /* holder in another pid namespace */
		{"garbage\n\n1: FLOCK\n", 0, 0},
		{"", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = -1;
		int got = ax_proc_locks_holder(cases[i].text, strlen(cases[i].text), 0xfe, 0, 1234, &pid);
		T_EQ_INT(got, cases[i].found);
		if (got)
			T_EQ_INT(pid, cases[i].pid);
	}
}

static void test_real_kernel(void)
{
	char *store = ax_asprintf("%s/annexa.db", t_tmpdir());
	char *lock = ax_daemon_lock_path(store);
	pid_t pid = -1;
	T_EQ_INT(ax_daemon_running(store, &pid), 0); /* no lock file: nobody */
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	T_OK(fd >= 0);
	T_EQ_INT(ax_daemon_running(store, &pid), 0); /* a file nobody locks */
	T_EQ_INT(flock(fd, LOCK_EX | LOCK_NB), 0);
	T_EQ_INT(ax_daemon_running(store, &pid), 1);
	T_EQ_INT(pid, getpid());
	T_EQ_INT(flock(fd, LOCK_UN), 0);
	T_EQ_INT(ax_daemon_running(store, &pid), 0);
	close(fd);
	free(lock);
	free(store);
}

int main(void)
{
	test_table();
	test_real_kernel();
	return t_done();
}
