/* net.h - TCP with a deadline on the ax_monotonic_ms() clock: every wait
 * ends by the caller's deadline, with AX_ETIMEOUT. */
#ifndef AX_NET_H
#define AX_NET_H

#include <stdint.h>

/* Milliseconds until deadline_ms as a poll(2) timeout: 0 once it passed,
 * at most an hour. */
int ax_ms_left(int64_t deadline_ms);
/* Connects to host:port (the first address that answers) before
 * deadline_ms. *fd is non-blocking (-1 on error). AX_ENOTFOUND when the
 * name does not resolve, AX_ETIMEOUT when the deadline passed. */
int ax_net_connect(const char *host, const char *port, int64_t deadline_ms, int *fd);

#endif
