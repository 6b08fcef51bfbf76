/* buf.c - length-tracked buffers and aborting allocators. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ax_oom(void)
{
	/* A named exit status, so the runner can tell a probe that hit its
	 * memory limit from one that crashed. */
	static const char msg[] = "annexa: out of memory\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(AX_EXIT_OUT_OF_MEMORY);
}

void *ax_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ax_oom();
	return p;
}

void *ax_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		ax_oom();
	return p;
}

void *ax_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		ax_oom();
	return q;
}

char *ax_strdup(const char *s)
{
	return ax_strndup(s, strlen(s));
}

char *ax_strndup(const char *s, size_t n)
{
	n = strnlen(s, n); /* never read past a shorter string's end */
	char *p = ax_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ax_asprintf(const char *fmt, ...)
{
	struct ax_buf b = AX_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ax_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return ax_buf_detach(&b);
}

void ax_buf_grow(struct ax_buf *b, size_t additional)
{
	size_t need = b->size + additional + 1;
	if (need < b->size)
		ax_oom();
	if (need <= b->asize)
		return;
	size_t n = b->asize ? b->asize : 64;
	while (n < need) {
		if (n > ((size_t)-1) / 2) {
			n = need;
			break;
		}
		n *= 2;
	}
	b->ptr = ax_realloc(b->ptr, n);
	b->asize = n;
}

void ax_buf_put(struct ax_buf *b, const void *data, size_t len)
{
	ax_buf_grow(b, len);
	if (len)
		memcpy(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
}

void ax_buf_puts(struct ax_buf *b, const char *s)
{
	ax_buf_put(b, s, strlen(s));
}

void ax_buf_putc(struct ax_buf *b, char c)
{
	ax_buf_put(b, &c, 1);
}

void ax_buf_vprintf(struct ax_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	va_copy(cp, ap);
	/* Most messages fit: format once into the stack, copy. */
	int n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		ax_buf_put(b, small, (size_t)n);
		return;
	}
	ax_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
}

void ax_buf_printf(struct ax_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ax_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void ax_buf_clear(struct ax_buf *b)
{
	ax_buf_truncate(b, 0);
}

void ax_buf_truncate(struct ax_buf *b, size_t len)
{
	if (len < b->size) {
		b->size = len;
		b->ptr[len] = '\0';
	}
}

const char *ax_buf_cstr(const struct ax_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *ax_buf_detach(struct ax_buf *b)
{
	char *p = b->ptr ? b->ptr : ax_strdup("");
	b->ptr = NULL;
	b->size = b->asize = 0;
	return p;
}

void ax_buf_free(struct ax_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->size = b->asize = 0;
}
