/* net.c - a TCP connection with a deadline (net.h), shared by the mail
 * probes and the RFC 3161 client. */
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

int ax_ms_left(int64_t deadline_ms)
{
	int64_t left = deadline_ms - ax_monotonic_ms();
	return left < 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

int ax_net_connect(const char *host, const char *port, int64_t deadline_ms, int *fd)
{
	struct addrinfo hints, *res = NULL;
	int rc = AX_ERROR, gai, last_errno = 0, timed_out = 0;

	*fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		rc = ax_error_code(AX_ENOTFOUND, "%s:%s: cannot resolve: %s", host, port, gai_strerror(gai));
		goto cleanup;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			last_errno = errno;
			continue;
		}
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
			*fd = s;
			rc = 0;
			goto cleanup;
		}
		if (errno == EINPROGRESS) {
			struct pollfd p = {.fd = s, .events = POLLOUT};
			int n;
			do
				n = poll(&p, 1, ax_ms_left(deadline_ms));
			while (n < 0 && errno == EINTR);
			if (n == 0) {
				timed_out = 1;
				close(s);
				break;
			}
			int err = 0;
			socklen_t len = sizeof(err);
			if (n > 0 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
				*fd = s;
				rc = 0;
				goto cleanup;
			}
			last_errno = err ? err : errno;
		} else {
			last_errno = errno;
		}
		close(s);
	}
	if (timed_out)
		rc = ax_error_code(AX_ETIMEOUT, "%s:%s: connect timed out", host, port);
	else
		rc = ax_error_set("%s:%s: cannot connect: %s", host, port, strerror(last_errno ? last_errno : ECONNREFUSED));
cleanup:
	if (res)
		freeaddrinfo(res);
	return rc;
}
