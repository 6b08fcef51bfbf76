/* logread_block.c - lines out of a block handed over by ax_logread_scan(),
 * newline counting and the multi-phrase search (see logread.h).
 *
 * Line semantics are ax_logread_next()'s: a line ends at '\n', is cut to
 * max_line (truncated set), then loses one trailing '\r'. Line numbers are
 * counted only up to the lines a caller asks for (the scan counts the rest
 * of a block once at its end), with 16-byte vector steps (GCC/clang vector
 * extensions: SSE2 on x86-64, NEON on arm64, plain code elsewhere). */
#include <stdint.h>
#include <string.h>

#include "logread.h"

typedef unsigned char v16 __attribute__((vector_size(16)));

static v16 load16(const char *p)
{
	v16 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static v16 splat16(unsigned char c)
{
	v16 v;
	memset(&v, c, sizeof(v));
	return v;
}

/* Sum of the 8 bytes of x (each at most 255: the sum fits 16 bits). */
static size_t byte_sum(uint64_t x)
{
	x = (x & 0x00ff00ff00ff00ffULL) + ((x >> 8) & 0x00ff00ff00ff00ffULL);
	return (size_t)((x * 0x0001000100010001ULL) >> 48);
}

size_t ax_count_newlines(const char *p, const char *end)
{
	size_t n = 0;
	const v16 nl = splat16('\n');
	while (end - p >= 16) {
		size_t steps = (size_t)(end - p) / 16;
		if (steps > 255) /* a byte lane counts to 255 at most */
			steps = 255;
		v16 acc = splat16(0);
		for (size_t i = 0; i < steps; i++, p += 16)
			acc -= (v16)(load16(p) == nl); /* a match is -1 */
		uint64_t half[2];
		memcpy(half, &acc, sizeof(half));
		n += byte_sum(half[0]) + byte_sum(half[1]);
	}
	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

/* The line starting at s (a line start in the block), handed out. */
static void take(struct ax_logblock *b, const char *s, struct ax_logline *line)
{
	const char *nl = memchr(s, '\n', (size_t)(b->end - s));
	const char *e = nl ? nl : b->end;
	size_t len = (size_t)(e - s);
	line->lineno = b->cursor_lineno + ax_count_newlines(b->cursor, s);
	line->truncated = b->cut;
	if (len > b->max_line) {
		len = b->max_line;
		line->truncated = 1;
	}
	if (len && s[len - 1] == '\r')
		len--;
	line->ptr = s;
	line->len = len;
	b->cursor = nl ? nl + 1 : b->end;
	b->cursor_lineno = line->lineno + 1;
}

int ax_logblock_next(struct ax_logblock *b, struct ax_logline *line)
{
	if (b->cursor >= b->end)
		return 0;
	take(b, b->cursor, line);
	return 1;
}

void ax_logblock_line_at(struct ax_logblock *b, const char *p, struct ax_logline *line)
{
	const char *nl = p > b->cursor ? memrchr(b->cursor, '\n', (size_t)(p - b->cursor)) : NULL;
	take(b, nl ? nl + 1 : b->cursor, line);
}

const char *ax_logblock_rest(const struct ax_logblock *b)
{
	return b->cursor;
}

void ax_logblock_last(const struct ax_logblock *b, struct ax_logline *line)
{
	struct ax_logblock copy = *b;
	const char *e = b->end;
	if (e > b->ptr && e[-1] == '\n')
		e--;
	const char *nl = e > b->ptr ? memrchr(b->ptr, '\n', (size_t)(e - b->ptr)) : NULL;
	copy.cursor = copy.ptr = nl ? nl + 1 : b->ptr;
	copy.cursor_lineno = 0;
	take(&copy, copy.cursor, line);
	line->lineno = 0;
}

void ax_needles_init(struct ax_needles *nd, const char *const *texts, size_t n)
{
	memset(nd, 0, sizeof(*nd));
	for (size_t i = 0; i < n && i < AX_NEEDLES_MAX; i++) {
		size_t len = strlen(texts[i]);
		if (len < 2 || len > 64)
			continue;
		nd->text[nd->n] = texts[i];
		nd->len[nd->n++] = len;
	}
}

static const char *confirm(const struct ax_needles *nd, const char *q, const char *end)
{
	for (size_t j = 0; j < nd->n; j++)
		if ((size_t)(end - q) >= nd->len[j] && memcmp(q, nd->text[j], nd->len[j]) == 0)
			return q;
	return NULL;
}

const char *ax_needles_find(const struct ax_needles *nd, const char *p, const char *end)
{
	v16 first[AX_NEEDLES_MAX], last[AX_NEEDLES_MAX];
	size_t longest = 0;
	if (!nd->n || p >= end)
		return NULL;
	for (size_t j = 0; j < nd->n; j++) {
		first[j] = splat16((unsigned char)nd->text[j][0]);
		last[j] = splat16((unsigned char)nd->text[j][nd->len[j] - 1]);
		if (nd->len[j] > longest)
			longest = nd->len[j];
	}
	/* every load of a step stays inside [p, end); two 16-byte steps share
	 * one test (hits are rare: the test is what a step costs most) */
	while ((size_t)(end - p) >= 32 + longest - 1) {
		v16 hit0 = splat16(0), hit1 = splat16(0);
		v16 head0 = load16(p), head1 = load16(p + 16);
		for (size_t j = 0; j < nd->n; j++) {
			hit0 |= (v16)((head0 == first[j]) & (load16(p + nd->len[j] - 1) == last[j]));
			hit1 |= (v16)((head1 == first[j]) & (load16(p + 16 + nd->len[j] - 1) == last[j]));
		}
		v16 any = hit0 | hit1;
		uint64_t half[2];
		memcpy(half, &any, sizeof(half));
		if (half[0] | half[1]) {
			unsigned char lane[32];
			memcpy(lane, &hit0, 16);
			memcpy(lane + 16, &hit1, 16);
			for (int k = 0; k < 32; k++)
				if (lane[k] && confirm(nd, p + k, end))
					return p + k;
		}
		p += 32;
	}
	for (; p < end; p++)
		if (confirm(nd, p, end))
			return p;
	return NULL;
}
