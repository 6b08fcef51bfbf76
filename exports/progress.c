/* progress.c - see progress.h. */
#include "progress.h"

#include <stdio.h>

#include "util.h"

void ax_progress_start(struct ax_progress *p, const char *what, const char *unit, int on, size_t total)
{
	*p = (struct ax_progress){.what = what, .unit = unit, .on = on, .total = total, .t0_ms = ax_monotonic_ms()};
}

void ax_progress_show(struct ax_progress *p, int final)
{
	if (!p->on)
		return;
	int64_t ms = ax_monotonic_ms() - p->t0_ms;
	/* the rate once there is a second to average over; padded so a
	 * shorter line overwrites a longer one */
	fprintf(stderr, "\r%s: %zu/%zu %s, %lld MiB", p->what, p->done, p->total, p->unit,
		(long long)(p->bytes >> 20));
	if (ms >= 1000)
		fprintf(stderr, ", %lld MiB/s   ", (long long)(p->bytes * 1000 / ms >> 20));
	p->shown = p->bytes;
	if (final)
		fputc('\n', stderr);
}

void ax_progress_bytes(struct ax_progress *p, size_t len)
{
	p->bytes += (int64_t)len;
	if (p->bytes - p->shown >= (64 << 20))
		ax_progress_show(p, 0);
}
