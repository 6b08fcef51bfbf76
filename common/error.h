/* error.h - one place where the last error message is set and read.
 *
 * Functions return 0 on success, one of the named negative codes below, or
 * AX_ERROR (-1) otherwise, and set a message with ax_error_set() before
 * returning a negative code. Callers print ax_error_last(). */
#ifndef AX_ERROR_H
#define AX_ERROR_H

enum {
	AX_OK = 0,
	AX_ERROR = -1,     /* generic failure (I/O, library, runtime) */
	AX_EINVALID = -2,  /* bad input: configuration, usage, malformed data */
	AX_ENOTFOUND = -3, /* a named thing does not exist */
	AX_EEXISTS = -4,   /* refusing to overwrite */
	AX_ETIMEOUT = -5,  /* a deadline passed */
};

#if defined(__GNUC__)
#define AX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AX_PRINTF(a, b)
#endif

/* Sets the message (printf-style). Always returns AX_ERROR so that
 * `return ax_error_set(...)` reads naturally for the generic case. */
int ax_error_set(const char *fmt, ...) AX_PRINTF(1, 2);
/* Same as ax_error_set but returns the given code. */
int ax_error_code(int code, const char *fmt, ...) AX_PRINTF(2, 3);
/* Prefixes the current message with "PREFIX: ". */
void ax_error_prefix(const char *fmt, ...) AX_PRINTF(1, 2);
const char *ax_error_last(void);
void ax_error_clear(void);

#endif
