/* accesslog_parse.h - recognising authentication events in one log line of
 * Postfix, Dovecot, sshd or nginx (access log in `combined` format and the
 * error log's basic-auth failures).
 *
 * Pure and bounded: the parser looks at the bytes it is given and at a
 * fixed-size table of Postfix smtpd processes (to know whether a SASL login
 * came over TLS); it never allocates, and any input (binary, invalid UTF-8,
 * truncated lines) yields either an event or AL_NONE. Spans point into the
 * line. */
#ifndef AX_ACCESSLOG_PARSE_H
#define AX_ACCESSLOG_PARSE_H

#include <stddef.h>

enum al_format { AL_POSTFIX, AL_DOVECOT, AL_SSHD, AL_NGINX };

enum al_kind {
	AL_NONE = 0,
	AL_LOGIN,   /* a successful authentication */
	AL_FAILURE, /* failed authentication attempts (count in `attempts`) */
};

struct al_span {
	const char *ptr;
	size_t len;
};

struct al_event {
	enum al_kind kind;
	struct al_span user;   /* may be empty (unknown) */
	struct al_span source; /* client address; may be empty */
	int tls;               /* 1 over TLS, 0 cleartext, -1 the format doesn't tell */
	unsigned attempts;     /* AL_FAILURE: failed attempts this line reports */
};

#define AL_PID_SLOTS 1024

/* Per-file state (Postfix: which smtpd processes negotiated TLS). */
struct al_state {
	enum al_format format;
	unsigned pid[AL_PID_SLOTS];
	unsigned char tls[AL_PID_SLOTS];
};

void al_state_init(struct al_state *st, enum al_format format);
/* Parses one line (the whole line, timestamp included). */
void al_parse_line(struct al_state *st, const char *line, size_t len, struct al_event *ev);
/* Phrases of which a line must hold one for al_parse_line() to see an
 * event or change the state (a prefilter: the probe parses only such
 * lines); 0 and *out NULL when every line has to be parsed (nginx). */
size_t al_format_needles(enum al_format format, const char *const **out);
/* "postfix" -> AL_POSTFIX; -1 when unknown. */
int al_format_parse(const char *name);

#endif
