/* log.c - warnings on stderr (log.h): one line, written with one call so
 * concurrent writers do not interleave within it. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "buf.h"

void ax_warn(const char *fmt, ...)
{
	struct ax_buf b = AX_BUF_INIT;
	va_list ap;
	ax_buf_puts(&b, "annexa: warning: ");
	va_start(ap, fmt);
	ax_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ax_buf_putc(&b, '\n');
	fputs(ax_buf_cstr(&b), stderr);
	ax_buf_free(&b);
}

void ax_progress(const char *fmt, ...)
{
	struct ax_buf b = AX_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ax_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	fputs(ax_buf_cstr(&b), stderr);
	ax_buf_free(&b);
}
