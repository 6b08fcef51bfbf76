/* privdrop.h - leaving root: the daemon opens what needs root, hands the
 * state folder and store to [annexa] user, then switches to that user
 * with only the configured supplementary groups. Irreversible by design. */
#ifndef AX_PRIVDROP_H
#define AX_PRIVDROP_H

struct ax_config;

/* No-op (0) when not root or when [annexa] user is unset. Chowns the
 * store (and its -wal/-shm files) and the state folder to the user, then
 * setgroups/setgid/setuid and verifies that root cannot be regained. */
int ax_privdrop(const struct ax_config *cfg);

#endif
