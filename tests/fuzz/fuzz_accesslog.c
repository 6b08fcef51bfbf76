/* fuzz_accesslog.c - arbitrary bytes as a log file (plain, or gzip when
 * they start with its magic) through the shared line reader, the timestamp
 * parser and the four access-log format parsers. Nothing may crash, read
 * out of bounds or return spans outside the line; the bulk path (small
 * mapping windows) must give the very lines the line reader gives, and a
 * line with an event must hold one of its format's prefilter phrases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog_parse.h"
#include "logread.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(struct al_span s, const char *line, size_t len)
{
	if (s.len && (s.ptr < line || s.ptr + s.len > line + len))
		abort();
}

struct lines {
	char *text;
	size_t len, cap;
};

static void add_line(struct lines *o, const struct ax_logline *l)
{
	char head[48];
	int n = snprintf(head, sizeof(head), "%zu/%d/%zu:", l->lineno, l->truncated, l->len);
	if (o->len + (size_t)n + l->len > o->cap) {
		o->cap = 2 * (o->len + (size_t)n + l->len);
		o->text = realloc(o->text, o->cap);
		if (!o->text)
			abort();
	}
	memcpy(o->text + o->len, head, (size_t)n);
	memcpy(o->text + o->len + n, l->ptr, l->len);
	o->len += (size_t)n + l->len;
}

static int on_block(void *arg, struct ax_logblock *b)
{
	struct ax_logline l;
	while (ax_logblock_next(b, &l))
		add_line(arg, &l);
	return 0;
}

static int has_phrase(enum al_format fmt, const char *p, size_t len)
{
	const char *const *phrases;
	size_t n = al_format_needles(fmt, &phrases);
	if (!n)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (memmem(p, len, phrases[i], strlen(phrases[i])))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lines by_line = {0}, by_block = {0};
	static struct al_state states[4];
	struct ax_logclock clock;
	const char *path = fuzz_write_file("access.log", data, size);
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
			add_line(&by_line, &line);
			int64_t t;
			size_t used;
			if (ax_logtime_parse(&clock, line.ptr, line.len, &t, &used) == 0 && used > line.len)
				abort();
			for (int fmt = 0; fmt < 4; fmt++) {
				struct al_event ev;
				al_parse_line(&states[fmt], line.ptr, line.len, &ev);
				check_span(ev.user, line.ptr, line.len);
				if (ev.kind != AL_NONE && !has_phrase((enum al_format)fmt, line.ptr, line.len))
					abort(); /* the probe's prefilter would miss it */
				check_span(ev.source, line.ptr, line.len);
			}
		}
		ax_logread_free(r);
		/* the same file in bulk, windows as small as they go */
		if (rc == 0 && ax_logread_open(&r, path, 256) == 0) {
			ax_logread_set_window(r, 1);
			if (ax_logread_scan(r, on_block, &by_block) != 0 || by_block.len != by_line.len ||
			    (by_line.len && memcmp(by_block.text, by_line.text, by_line.len) != 0))
				abort();
			ax_logread_free(r);
		}
	}
	free(by_line.text);
	free(by_block.text);
	unlink(path);
	return 0;
}
