/* daemon_lock.c - asking the kernel's lock table who holds a store's
 * daemon lock (see daemon_lock.h). Read-only: the lock itself is never
 * taken, so a daemon starting at the same moment cannot be refused by it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "buf.h"
#include "daemon_lock.h"
#include "error.h"
#include "util.h"

char *ax_daemon_lock_path(const char *store)
{
	return ax_asprintf("%s.lock", store);
}

int ax_proc_locks_holder(const char *text, size_t len, unsigned major, unsigned minor, unsigned long ino, pid_t *pid)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256], kind[16], mode[16];
		long holder;
		unsigned maj, min;
		unsigned long inode;
		/* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; a blocked
		 * waiter's line starts "1: -> FLOCK" and does not hold it */
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (sscanf(line, "%*d: %15s %*15s %15s %ld %x:%x:%lu", kind, mode, &holder, &maj, &min, &inode) == 6 &&
			    strcmp(kind, "FLOCK") == 0 && strcmp(mode, "WRITE") == 0 && maj == major && min == minor &&
			    inode == ino) {
				*pid = holder > 0 ? (pid_t)holder : 0;
				return 1;
			}
		}
		p += n + 1;
	}
	return 0;
}

int ax_daemon_running(const char *store, pid_t *pid)
{
	char *path = ax_daemon_lock_path(store);
	struct ax_buf locks = AX_BUF_INIT;
	struct stat st;
	int rc = 0;
	*pid = 0;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			rc = ax_error_set("%s: %s", path, strerror(errno));
		goto cleanup;
	}
	/* /proc files report size 0: read in chunks, looking at whole lines.
	 * The whole table is read (a bound cut it and answered "not running"
	 * for a lock listed past it), and a read error means "cannot be
	 * told", never "not running". */
	FILE *f = fopen("/proc/locks", "re");
	if (!f) {
		rc = ax_error_set("/proc/locks: %s", strerror(errno));
		goto cleanup;
	}
	char chunk[65536];
	size_t got;
	while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		ax_buf_put(&locks, chunk, got);
		const char *nl = memrchr(locks.ptr, '\n', locks.size);
		if (!nl)
			continue; /* a line longer than a chunk: no lock line is */
		size_t whole = (size_t)(nl - locks.ptr) + 1;
		rc = ax_proc_locks_holder(locks.ptr, whole, major(st.st_dev), minor(st.st_dev),
					  (unsigned long)st.st_ino, pid);
		memmove(locks.ptr, locks.ptr + whole, locks.size - whole);
		ax_buf_truncate(&locks, locks.size - whole);
	}
	if (rc == 0 && ferror(f))
		rc = ax_error_set("/proc/locks: %s", strerror(errno ? errno : EIO));
	else if (rc == 0 && locks.size)
		rc = ax_proc_locks_holder(locks.ptr, locks.size, major(st.st_dev), minor(st.st_dev),
					  (unsigned long)st.st_ino, pid);
	fclose(f);
cleanup:
	ax_buf_free(&locks);
	free(path);
	return rc;
}
