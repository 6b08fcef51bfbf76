/* fuzz_accesslog.c - arbitrary bytes as a log file (plain, or gzip when
 * they start with its magic) through the shared line reader, the timestamp
 * parser and the four access-log format parsers. Nothing may crash, read
 * out of bounds or return spans outside the line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog_parse.h"
#include "logread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(struct al_span s, const char *line, size_t len)
{
	if (s.len && (s.ptr < line || s.ptr + s.len > line + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static struct al_state states[4];
	struct ax_logclock clock;
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/annexa-fuzz-log-%d", (int)getpid());
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	ax_logclock_init(&clock, 1795953600); /* 2026-11-29T12:00:00Z */
	for (int fmt = 0; fmt < 4; fmt++)
		al_state_init(&states[fmt], (enum al_format)fmt);

	struct ax_logread *r = NULL;
	struct ax_logline line;
	if (ax_logread_open(&r, path, 256) == 0) {
		int rc;
		while ((rc = ax_logread_next(r, &line)) > 0) {
			if (line.len > 256)
				abort();
			int64_t t;
			size_t used;
			if (ax_logtime_parse(&clock, line.ptr, line.len, &t, &used) == 0 && used > line.len)
				abort();
			for (int fmt = 0; fmt < 4; fmt++) {
				struct al_event ev;
				al_parse_line(&states[fmt], line.ptr, line.len, &ev);
				check_span(ev.user, line.ptr, line.len);
				check_span(ev.source, line.ptr, line.len);
			}
		}
		ax_logread_free(r);
	}
	unlink(path);
	return 0;
}
