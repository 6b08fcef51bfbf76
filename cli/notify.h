/* notify.h - the systemd readiness protocol (Type=notify) without
 * libsystemd: one datagram per state change to $NOTIFY_SOCKET. A no-op
 * when the variable is unset; failures are ignored (systemd then times the
 * start out, which is the right outcome). */
#ifndef AX_NOTIFY_H
#define AX_NOTIFY_H

/* Sends state, e.g. "READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...". */
void ax_notify(const char *state);

#endif
