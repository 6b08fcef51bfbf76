/* mailbox.h - finding e-mail addresses in untrusted free text (log lines),
 * so that every probe that pseudonymises replaces the same addresses,
 * whole.
 *
 * The syntax is RFC 5321's Mailbox with RFC 6531's UTF-8: a dot-string of
 * atext (letters, digits and !#$%&'*+-/=?^_`{|}~, any byte >= 0x80) or a
 * quoted string ("john doe", backslash pairs), '@', then a domain of
 * labels (letters, digits, '-', bytes >= 0x80) or an address literal in
 * brackets. A dot-string is taken as long as it runs, so that no part of
 * an address stays outside the match (`to=bob@x` matches whole: a
 * pseudonym too many rather than a local part leaked). */
#ifndef AX_MAILBOX_H
#define AX_MAILBOX_H

#include <stddef.h>

/* Finds the first mailbox in s[from, len) that starts at or after from:
 * returns 1 with [*start, *end) delimiting it, 0 when there is none. */
int ax_mailbox_find(const char *s, size_t len, size_t from, size_t *start, size_t *end);

#endif
