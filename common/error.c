/* error.c - the last-error message (thread-local, bounded, never NULL). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[2048];

static void vset(const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
}

int ax_error_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	return AX_ERROR;
}

int ax_error_code(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	return code;
}

void ax_error_prefix(const char *fmt, ...)
{
	char prefix[512], old[sizeof(last_error)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_error, sizeof(old));
	/* Truncation is fine: the message stays NUL-terminated and bounded. */
	size_t n = strlen(prefix);
	if (n > sizeof(last_error) - 3)
		n = sizeof(last_error) - 3;
	memcpy(last_error, prefix, n);
	memcpy(last_error + n, ": ", 2);
	size_t room = sizeof(last_error) - n - 3;
	size_t m = strnlen(old, room);
	memcpy(last_error + n + 2, old, m);
	last_error[n + 2 + m] = '\0';
}

const char *ax_error_last(void)
{
	return last_error[0] ? last_error : "unknown error";
}

void ax_error_clear(void)
{
	last_error[0] = '\0';
}
