/* fuzz_greeting.c - arbitrary bytes as what a server says before TLS: the
 * SMTP, IMAP and POP3 STARTTLS exchanges read them from a socket pair and
 * must end with 0 or a clear error, never a crash, a hang or an overread.
 * The first byte picks the protocol. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailproto.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	enum mp_starttls proto = (enum mp_starttls)(1 + data[0] % 3);
	/* the whole "server side" is written up front, then closed: reads see
	 * it followed by EOF (bounded by the socket buffer: larger inputs are
	 * cut, which the line limit makes irrelevant) */
	size_t off = 1;
	while (off < size) {
		ssize_t n = write(sv[1], data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	struct mp_conn c;
	mp_conn_init(&c, sv[0], "fuzz-peer", ax_monotonic_ms() + 2000);
	int offered = 0;
	int rc = mp_starttls(&c, proto, &offered);
	if (rc > 0)
		abort();
	mp_conn_release(&c);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
