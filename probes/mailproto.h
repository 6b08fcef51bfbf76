/* mailproto.h - talking to a mail server before TLS: connecting with a
 * deadline, reading bounded lines, and the SMTP / IMAP / POP3 greeting,
 * capability and STARTTLS exchanges.
 *
 * Guarantees: every wait ends at the caller's deadline (AX_ETIMEOUT), no
 * line longer than MP_LINE_MAX is buffered (AX_EINVALID "line longer than"),
 * no more than MP_REPLY_LINES_MAX lines are read per reply, and every error
 * names the peer. Sockets are non-blocking and close-on-exec. */
#ifndef AX_MAILPROTO_H
#define AX_MAILPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "net.h"

#define MP_LINE_MAX 4096
#define MP_REPLY_LINES_MAX 256

enum mp_starttls {
	MP_STARTTLS_NONE = 0,
	MP_STARTTLS_SMTP,
	MP_STARTTLS_IMAP,
	MP_STARTTLS_POP3,
};

/* "smtp" -> MP_STARTTLS_SMTP; NULL or "" or "none" -> NONE; -1 otherwise. */
int mp_starttls_parse(const char *name);

/* Splits "host:port", "[v6]:port" into host and port (new strings). */
int mp_target_split(const char *target, char **host, char **port);


/* A reader over a non-blocking socket: lines end in "\n" (a trailing "\r"
 * is dropped). */
struct mp_conn {
	int fd;
	const char *peer; /* for messages: "127.0.0.1:25" */
	int64_t deadline_ms;
	char inbuf[MP_LINE_MAX + 1];
	size_t inlen;
	struct ax_buf transcript; /* "S: ..." / "C: ..." lines, bounded */
};

void mp_conn_init(struct mp_conn *c, int fd, const char *peer, int64_t deadline_ms);
void mp_conn_release(struct mp_conn *c); /* frees the transcript, not the fd */
int mp_read_line(struct mp_conn *c, struct ax_buf *line);
int mp_write_all(struct mp_conn *c, const char *data, size_t len);

/* One SMTP reply (multi-line "250-..." until "250 ..."); *code gets the
 * number; the text of each line is appended to caps (may be NULL). */
int mp_smtp_reply(struct mp_conn *c, int *code, struct ax_buf *caps);

/* Speaks the protocol up to the point where the TLS handshake starts.
 * Returns 0 then; AX_ENOTFOUND when the server does not advertise
 * STARTTLS (message says so); AX_EINVALID when it refuses it or speaks
 * something else; AX_ETIMEOUT / AX_ERROR otherwise. *offered (may be NULL)
 * is set to 1 when the capability was advertised. After a successful call
 * nothing unread remains buffered (a server that pipelines junk after its
 * go-ahead is refused: that is the STARTTLS injection pattern). */
int mp_starttls(struct mp_conn *c, enum mp_starttls proto, int *offered);

#endif
