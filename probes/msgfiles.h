/* msgfiles.h - the message files a probe reads from a `path` option: a
 * file, the regular files of a folder (sorted, hidden ones skipped), or a
 * Maildir's cur/ and new/, and the decoded content of their MIME parts.
 * Shared by `mailing` and `mailreports`. */
#ifndef AX_MSGFILES_H
#define AX_MSGFILES_H

#include <stddef.h>

/* Appends up to max - *n paths (caller frees each) to files (room for
 * max). AX_ENOTFOUND when path does not exist, AX_ERROR when it cannot be
 * read (the message names it); what was appended before stays. */
int ax_msgfiles_collect(const char *path, size_t max, char **files, size_t *n);

struct _GMimeObject;
struct ax_buf;
/* The decoded bytes (transfer encoding undone) of a leaf MIME part,
 * appended to out; 0 on success, -1 when the part has no content or it
 * cannot be decoded (out unchanged). */
int ax_msgfiles_part_content(struct _GMimeObject *part, struct ax_buf *out);

#endif
