/* mailproto.c - connect with a deadline, bounded line reads, and the
 * SMTP / IMAP / POP3 STARTTLS exchanges (see mailproto.h). */
#include "mailproto.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#define TRANSCRIPT_MAX 65536

int mp_starttls_parse(const char *name)
{
	if (!name || !*name || strcmp(name, "none") == 0)
		return MP_STARTTLS_NONE;
	if (strcmp(name, "smtp") == 0)
		return MP_STARTTLS_SMTP;
	if (strcmp(name, "imap") == 0)
		return MP_STARTTLS_IMAP;
	if (strcmp(name, "pop3") == 0)
		return MP_STARTTLS_POP3;
	return -1;
}

int mp_target_split(const char *target, char **host, char **port)
{
	const char *colon;
	*host = *port = NULL;
	if (!target || !*target)
		return ax_error_code(AX_EINVALID, "empty target");
	if (target[0] == '[') {
		const char *close = strchr(target, ']');
		if (!close || close[1] != ':' || !close[2])
			return ax_error_code(AX_EINVALID, "target '%s': expected [address]:port", target);
		*host = ax_strndup(target + 1, (size_t)(close - target - 1));
		*port = ax_strdup(close + 2);
		return 0;
	}
	colon = strrchr(target, ':');
	if (!colon || colon == target || !colon[1] || strchr(target, ':') != colon)
		return ax_error_code(AX_EINVALID, "target '%s': expected host:port", target);
	*host = ax_strndup(target, (size_t)(colon - target));
	*port = ax_strdup(colon + 1);
	return 0;
}

void mp_conn_init(struct mp_conn *c, int fd, const char *peer, int64_t deadline_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer = peer;
	c->deadline_ms = deadline_ms;
}

void mp_conn_release(struct mp_conn *c)
{
	ax_buf_free(&c->transcript);
}

static void transcribe(struct mp_conn *c, const char *who, const char *text, size_t len)
{
	if (c->transcript.size > TRANSCRIPT_MAX)
		return;
	ax_buf_puts(&c->transcript, who);
	for (size_t i = 0; i < len && i < 512; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\r' || ch == '\n')
			continue;
		ax_buf_putc(&c->transcript, ch >= 0x20 && ch < 0x7f ? (char)ch : '?');
	}
	ax_buf_putc(&c->transcript, '\n');
}

static int wait_fd(struct mp_conn *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int n;
	do
		n = poll(&p, 1, ax_ms_left(c->deadline_ms));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return ax_error_code(AX_ETIMEOUT, "%s: no answer before the deadline", c->peer);
	if (n < 0)
		return ax_error_set("%s: poll: %s", c->peer, strerror(errno));
	return 0;
}

int mp_read_line(struct mp_conn *c, struct ax_buf *line)
{
	ax_buf_clear(line);
	for (;;) {
		char *nl = memchr(c->inbuf, '\n', c->inlen);
		if (nl) {
			size_t n = (size_t)(nl - c->inbuf);
			ax_buf_put(line, c->inbuf, n && c->inbuf[n - 1] == '\r' ? n - 1 : n);
			memmove(c->inbuf, nl + 1, c->inlen - n - 1);
			c->inlen -= n + 1;
			transcribe(c, "S: ", line->ptr ? line->ptr : "", line->size);
			return 0;
		}
		if (c->inlen >= MP_LINE_MAX)
			return ax_error_code(AX_EINVALID, "%s: line longer than %d bytes", c->peer, MP_LINE_MAX);
		int rc = wait_fd(c, POLLIN);
		if (rc < 0)
			return rc;
		ssize_t got = recv(c->fd, c->inbuf + c->inlen, MP_LINE_MAX - c->inlen, 0);
		if (got == 0)
			return ax_error_code(AX_EINVALID, "%s: connection closed by the server", c->peer);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return ax_error_set("%s: read: %s", c->peer, strerror(errno));
		}
		c->inlen += (size_t)got;
	}
}

int mp_write_all(struct mp_conn *c, const char *data, size_t len)
{
	transcribe(c, "C: ", data, len);
	while (len) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				int rc = wait_fd(c, POLLOUT);
				if (rc < 0)
					return rc;
				continue;
			}
			return ax_error_set("%s: write: %s", c->peer, strerror(errno));
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int mp_smtp_reply(struct mp_conn *c, int *code, struct ax_buf *caps)
{
	struct ax_buf line = AX_BUF_INIT;
	int rc = 0;
	for (int n = 0;; n++) {
		if (n >= MP_REPLY_LINES_MAX) {
			rc = ax_error_code(AX_EINVALID, "%s: SMTP reply longer than %d lines", c->peer, MP_REPLY_LINES_MAX);
			break;
		}
		if ((rc = mp_read_line(c, &line)) < 0)
			break;
		const char *s = ax_buf_cstr(&line);
		if (line.size < 3 || s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' ||
		    (line.size > 3 && s[3] != ' ' && s[3] != '-')) {
			rc = ax_error_code(AX_EINVALID, "%s: not an SMTP reply: '%.80s'", c->peer, s);
			break;
		}
		int this_code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
		if (n > 0 && this_code != *code) {
			rc = ax_error_code(AX_EINVALID, "%s: SMTP reply code changes within a reply", c->peer);
			break;
		}
		*code = this_code;
		if (caps && line.size > 4) {
			ax_buf_puts(caps, s + 4);
			ax_buf_putc(caps, '\n');
		}
		if (line.size == 3 || s[3] == ' ')
			break;
	}
	ax_buf_free(&line);
	return rc;
}

static int has_word_line(const char *caps, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = caps; p && *p;) {
		if (strncasecmp(p, word, wl) == 0 && (p[wl] == '\n' || p[wl] == ' ' || p[wl] == '\0'))
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static int smtp_starttls(struct mp_conn *c, int *offered)
{
	struct ax_buf caps = AX_BUF_INIT;
	int code = 0, rc;
	if ((rc = mp_smtp_reply(c, &code, NULL)) < 0)
		goto cleanup;
	if (code != 220) {
		rc = ax_error_code(AX_EINVALID, "%s: SMTP greeting is %d, not 220", c->peer, code);
		goto cleanup;
	}
	if ((rc = mp_write_all(c, "EHLO annexa.invalid\r\n", 21)) < 0 || (rc = mp_smtp_reply(c, &code, &caps)) < 0)
		goto cleanup;
	if (code != 250) {
		rc = ax_error_code(AX_EINVALID, "%s: EHLO answered %d", c->peer, code);
		goto cleanup;
	}
	*offered = has_word_line(ax_buf_cstr(&caps), "STARTTLS");
	if (!*offered) {
		rc = ax_error_code(AX_ENOTFOUND, "%s: the server does not offer STARTTLS", c->peer);
		goto cleanup;
	}
	if ((rc = mp_write_all(c, "STARTTLS\r\n", 10)) < 0 || (rc = mp_smtp_reply(c, &code, NULL)) < 0)
		goto cleanup;
	if (code != 220)
		rc = ax_error_code(AX_EINVALID, "%s: STARTTLS refused with %d", c->peer, code);
cleanup:
	ax_buf_free(&caps);
	return rc;
}

/* Reads IMAP lines until the tagged reply of tag; untagged CAPABILITY
 * words go to caps. Returns 0 for OK, AX_EINVALID for NO/BAD. */
static int imap_tagged(struct mp_conn *c, const char *tag, struct ax_buf *caps)
{
	struct ax_buf line = AX_BUF_INIT;
	size_t tl = strlen(tag);
	int rc = 0;
	for (int n = 0;; n++) {
		if (n >= MP_REPLY_LINES_MAX) {
			rc = ax_error_code(AX_EINVALID, "%s: IMAP reply longer than %d lines", c->peer, MP_REPLY_LINES_MAX);
			break;
		}
		if ((rc = mp_read_line(c, &line)) < 0)
			break;
		const char *s = ax_buf_cstr(&line);
		if (caps && strncasecmp(s, "* CAPABILITY ", 13) == 0) {
			ax_buf_puts(caps, s + 12);
			ax_buf_putc(caps, ' ');
		}
		if (strncmp(s, tag, tl) == 0 && s[tl] == ' ') {
			if (strncasecmp(s + tl + 1, "OK", 2) != 0)
				rc = ax_error_code(AX_EINVALID, "%s: '%s' answered '%.80s'", c->peer, tag, s + tl + 1);
			break;
		}
		if (s[0] != '*')
			{
			rc = ax_error_code(AX_EINVALID, "%s: not an IMAP response: '%.80s'", c->peer, s);
			break;
		}
	}
	ax_buf_free(&line);
	return rc;
}

static int imap_starttls(struct mp_conn *c, int *offered)
{
	struct ax_buf line = AX_BUF_INIT, caps = AX_BUF_INIT;
	int rc;
	if ((rc = mp_read_line(c, &line)) < 0)
		goto cleanup;
	if (strncasecmp(ax_buf_cstr(&line), "* OK", 4) != 0) {
		rc = ax_error_code(AX_EINVALID, "%s: not an IMAP greeting: '%.80s'", c->peer, ax_buf_cstr(&line));
		goto cleanup;
	}
	if ((rc = mp_write_all(c, "a1 CAPABILITY\r\n", 15)) < 0 || (rc = imap_tagged(c, "a1", &caps)) < 0)
		goto cleanup;
	*offered = strcasestr(ax_buf_cstr(&caps), " STARTTLS ") != NULL;
	if (!*offered) {
		rc = ax_error_code(AX_ENOTFOUND, "%s: the server does not offer STARTTLS", c->peer);
		goto cleanup;
	}
	if ((rc = mp_write_all(c, "a2 STARTTLS\r\n", 13)) < 0 || (rc = imap_tagged(c, "a2", NULL)) < 0)
		ax_error_prefix("STARTTLS refused");
cleanup:
	ax_buf_free(&line);
	ax_buf_free(&caps);
	return rc;
}

static int pop3_starttls(struct mp_conn *c, int *offered)
{
	struct ax_buf line = AX_BUF_INIT, caps = AX_BUF_INIT;
	int rc;
	if ((rc = mp_read_line(c, &line)) < 0)
		goto cleanup;
	if (strncmp(ax_buf_cstr(&line), "+OK", 3) != 0) {
		rc = ax_error_code(AX_EINVALID, "%s: not a POP3 greeting: '%.80s'", c->peer, ax_buf_cstr(&line));
		goto cleanup;
	}
	if ((rc = mp_write_all(c, "CAPA\r\n", 6)) < 0 || (rc = mp_read_line(c, &line)) < 0)
		goto cleanup;
	if (strncmp(ax_buf_cstr(&line), "+OK", 3) == 0) {
		for (int n = 0;; n++) {
			if (n >= MP_REPLY_LINES_MAX) {
				rc = ax_error_code(AX_EINVALID, "%s: CAPA longer than %d lines", c->peer, MP_REPLY_LINES_MAX);
				goto cleanup;
			}
			if ((rc = mp_read_line(c, &line)) < 0)
				goto cleanup;
			if (strcmp(ax_buf_cstr(&line), ".") == 0)
				break;
			ax_buf_printf(&caps, "%s\n", ax_buf_cstr(&line));
		}
	}
	*offered = has_word_line(ax_buf_cstr(&caps), "STLS");
	if (!*offered) {
		rc = ax_error_code(AX_ENOTFOUND, "%s: the server does not offer STARTTLS (STLS)", c->peer);
		goto cleanup;
	}
	if ((rc = mp_write_all(c, "STLS\r\n", 6)) < 0 || (rc = mp_read_line(c, &line)) < 0)
		goto cleanup;
	if (strncmp(ax_buf_cstr(&line), "+OK", 3) != 0)
		rc = ax_error_code(AX_EINVALID, "%s: STLS refused: '%.80s'", c->peer, ax_buf_cstr(&line));
cleanup:
	ax_buf_free(&line);
	ax_buf_free(&caps);
	return rc;
}

int mp_starttls(struct mp_conn *c, enum mp_starttls proto, int *offered)
{
	int dummy = 0, rc;
	if (!offered)
		offered = &dummy;
	*offered = 0;
	switch (proto) {
	case MP_STARTTLS_SMTP:
		rc = smtp_starttls(c, offered);
		break;
	case MP_STARTTLS_IMAP:
		rc = imap_starttls(c, offered);
		break;
	case MP_STARTTLS_POP3:
		rc = pop3_starttls(c, offered);
		break;
	default:
		return 0;
	}
	if (rc == 0 && c->inlen)
		rc = ax_error_code(AX_EINVALID, "%s: data after the STARTTLS go-ahead (command injection?)", c->peer);
	return rc;
}
