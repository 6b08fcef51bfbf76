/* fuzz_dpkg_log.c - arbitrary bytes as dpkg.log lines: the line parser
 * must never read outside the line, and an event's slices lie inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpkg_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct dpkg_slice *s, const char *line, size_t len)
{
	if (s->n && (s->p < line || s->p + s->n > line + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_logclock clock;
	ax_logclock_init(&clock, 1800000000);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		/* a copy of exactly the line, so reading past it is caught */
		char *line = malloc(len ? len : 1);
		memcpy(line, p, len);
		struct dpkg_log_ev ev;
		if (dpkg_log_parse(&clock, line, len, &ev)) {
			inside(&ev.pkg, line, len);
			inside(&ev.arch, line, len);
			inside(&ev.from, line, len);
			inside(&ev.to, line, len);
			if (!ev.pkg.n)
				abort();
		}
		free(line);
		p = nl ? nl + 1 : end;
	}
	return 0;
}
