/* buf.h - the one length-tracked string/byte buffer type.
 *
 * A buffer is always NUL-terminated (ptr[size] == 0) so it can be used as a
 * C string, but may hold NUL bytes too. Allocation failure aborts the
 * process: there is no sensible recovery, and it keeps callers simple. */
#ifndef AX_BUF_H
#define AX_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

struct ax_buf {
	char *ptr;
	size_t size;  /* bytes used, not counting the terminating NUL */
	size_t asize; /* bytes allocated */
};

#define AX_BUF_INIT { NULL, 0, 0 }

void ax_buf_grow(struct ax_buf *b, size_t additional);
void ax_buf_put(struct ax_buf *b, const void *data, size_t len);
void ax_buf_puts(struct ax_buf *b, const char *s);
void ax_buf_putc(struct ax_buf *b, char c);
void ax_buf_printf(struct ax_buf *b, const char *fmt, ...) AX_PRINTF(2, 3);
void ax_buf_vprintf(struct ax_buf *b, const char *fmt, va_list ap);
void ax_buf_clear(struct ax_buf *b);
void ax_buf_truncate(struct ax_buf *b, size_t len);
/* Returns the content ("" for an empty buffer); never NULL. */
const char *ax_buf_cstr(const struct ax_buf *b);
/* Hands the allocation to the caller (never NULL) and resets the buffer. */
char *ax_buf_detach(struct ax_buf *b);
void ax_buf_free(struct ax_buf *b);

/* Exit status of a process whose allocation failed (see ax_malloc). */
#define AX_EXIT_OUT_OF_MEMORY 121

/* The one out-of-memory policy: a line on stderr, then exit with
 * AX_EXIT_OUT_OF_MEMORY. For allocations made by other libraries
 * (json_dumps, EVP_MD_CTX_new) whose NULL means only that. */
void ax_oom(void) __attribute__((noreturn));
/* Allocation helpers; on failure ax_oom(). */
void *ax_malloc(size_t n);
void *ax_calloc(size_t n, size_t size);
void *ax_realloc(void *p, size_t n);
char *ax_strdup(const char *s);
/* Like POSIX strndup: at most n bytes, stopping at a NUL (not for bytes). */
char *ax_strndup(const char *s, size_t n);
char *ax_asprintf(const char *fmt, ...) AX_PRINTF(1, 2);

#endif
