/* msgfiles.h - the message files a probe reads from a `path` option: a
 * file, the regular files of a folder (sorted, hidden ones skipped), or a
 * Maildir's cur/ and new/. Shared by `mailing` and `mailreports`. */
#ifndef AX_MSGFILES_H
#define AX_MSGFILES_H

#include <stddef.h>

/* Appends up to max - *n paths (caller frees each) to files (room for max). */
void ax_msgfiles_collect(const char *path, size_t max, char **files, size_t *n);

#endif
