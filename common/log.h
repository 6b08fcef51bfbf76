/* log.h - the library's one way to say something that is not an error:
 * a warning the user should read, on stderr, prefixed "annexa: warning: ",
 * or a progress line the caller asked for.
 * Errors are returned (error.h), never printed by the library. */
#ifndef AX_LOG_H
#define AX_LOG_H

#include "error.h"

void ax_warn(const char *fmt, ...) AX_PRINTF(1, 2);
/* A progress line for the user, written to stderr as given (no prefix, no
 * newline added: "\r" redraws it), with one call. */
void ax_progress(const char *fmt, ...) AX_PRINTF(1, 2);

#endif
