/* progress.c - see progress.h. Written through the library logger's
 * ax_progress (log.h), the one place the library prints to stderr. */
#include "progress.h"

#include "log.h"
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
	ax_progress("\r%s: %zu/%zu %s, %lld MiB", p->what, p->done, p->total, p->unit, (long long)(p->bytes >> 20));
	if (ms >= 1000)
		ax_progress(", %lld MiB/s   ", (long long)(p->bytes * 1000 / ms >> 20));
	p->shown = p->bytes;
	if (final)
		ax_progress("\n");
}

void ax_progress_bytes(struct ax_progress *p, size_t len)
{
	p->bytes += (int64_t)len;
	if (p->bytes - p->shown >= (64 << 20))
		ax_progress_show(p, 0);
}
