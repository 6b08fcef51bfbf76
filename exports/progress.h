/* progress.h - the one-line progress a long export or verify prints on
 * stderr ("\rexport: 3/12 evidence files, 640 MiB, 210 MiB/s"), so a
 * multi-gigabyte bundle is not a silent wait. Callers enable it only when
 * stderr is a TTY; disabled, every call is a no-op. */
#ifndef AX_PROGRESS_H
#define AX_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct ax_progress {
	const char *what; /* "export", "verify": the line's prefix */
	const char *unit; /* "evidence files", "files" */
	int on;
	size_t done, total;
	int64_t bytes, shown; /* shown: bytes at the last line */
	int64_t t0_ms;        /* when streaming began, for the rate */
};

/* Starts p (t0 = now); nothing is printed yet. */
void ax_progress_start(struct ax_progress *p, const char *what, const char *unit, int on, size_t total);
/* Prints the line; final ends it with a newline. */
void ax_progress_show(struct ax_progress *p, int final);
/* Counts len streamed bytes, printing again every 64 MiB. */
void ax_progress_bytes(struct ax_progress *p, size_t len);

#endif
