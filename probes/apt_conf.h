/* apt_conf.h - apt's configuration syntax (apt.conf(5)), enough to read
 * one setting the way apt does.
 *
 * `A::B::C "value";` and the scoped form `A { B { C "value"; }; };` are
 * the same key; names compare case-insensitively; the last assignment
 * wins (files are read in apt's order by the caller: /etc/apt/apt.conf.d/
 * in lexical order, then /etc/apt/apt.conf). `//`, `/ * * /` and `#`
 * comments are skipped; `#clear NAME;` forgets NAME and what is below it;
 * `#include` is not followed (reported through *unsupported). Bounded:
 * scopes nest at most APT_CONF_DEPTH deep, keys are at most 1 KiB. A
 * string without its closing quote or an unbalanced `}` is AX_EINVALID
 * with "ORIGIN:LINE: why". */
#ifndef AX_APT_CONF_H
#define AX_APT_CONF_H

#include <stddef.h>

#include "buf.h"

#define APT_CONF_DEPTH 16

/* Applies text to *value and *found for key (found stays as it was when text
 * does not assign key, so call it once per file in order). *line is the
 * line of the assignment that won in this text (untouched otherwise). */
int apt_conf_get(const char *text, size_t len, const char *origin, const char *key, struct ax_buf *value,
		 int *found, unsigned *line, int *unsupported);

#endif
