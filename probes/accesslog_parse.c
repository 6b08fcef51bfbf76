/* accesslog_parse.c - authentication events in Postfix, Dovecot, sshd and
 * nginx log lines (see accesslog_parse.h).
 *
 * Each format is matched on the literal phrases its daemon writes (see
 * tests/fixtures/logs/ for real lines). Anything else is AL_NONE: a parser
 * that guesses would turn noise into evidence. */
#include "accesslog_parse.h"

#include <string.h>

struct cur {
	const char *p, *end;
};

static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	if (!p || p >= end || (size_t)(end - p) < n)
		return NULL;
	return memmem(p, (size_t)(end - p), needle, n);
}

static int starts(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* Span from p up to the first byte in stops (or end). */
static struct al_span until(const char *p, const char *end, const char *stops)
{
	const char *q = p;
	if (p >= end)
		return (struct al_span){p, 0};
	if (!stops[1]) { /* one stop byte (the common case): memchr, not a strchr per byte */
		q = memchr(p, stops[0], (size_t)(end - p));
		return (struct al_span){p, q ? (size_t)(q - p) : (size_t)(end - p)};
	}
	while (q < end && !strchr(stops, *q))
		q++;
	return (struct al_span){p, (size_t)(q - p)};
}

/* The last occurrence of needle in [p, end): scans back from the end,
 * where sshd puts " from " (a user name may itself contain it). */
static const char *find_last(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	if (p >= end || (size_t)(end - p) < n)
		return NULL;
	size_t room = (size_t)(end - p) - n + 1; /* candidate starts: p[0 .. room) */
	while (room) {
		const char *q = memrchr(p, needle[0], room);
		if (!q)
			return NULL;
		if (memcmp(q, needle, n) == 0)
			return q;
		room = (size_t)(q - p);
	}
	return NULL;
}

static unsigned number(const char *p, const char *end, const char **after)
{
	unsigned v = 0;
	while (p < end && *p >= '0' && *p <= '9' && v < 100000000)
		v = v * 10 + (unsigned)(*p++ - '0');
	if (after)
		*after = p;
	return v;
}

/* The syslog header "... TAG[PID]: message": the first ']' of the line
 * (within its first 256 bytes) closes the process id, so one memchr finds
 * the tag; far cheaper than searching the whole line for each format. */
static int syslog_tag(const char *p, const char *end, struct al_span *tag, unsigned *pid, const char **msg)
{
	size_t win = (size_t)(end - p) < 256 ? (size_t)(end - p) : 256;
	const char *rb = memchr(p, ']', win);
	if (!rb || !starts(rb, end, "]: "))
		return -1;
	const char *q = rb;
	while (q > p && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (q == rb || q == p || q[-1] != '[')
		return -1;
	*pid = number(q, rb, NULL);
	const char *t = q - 1;
	while (t > p && t[-1] != ' ')
		t--;
	*tag = (struct al_span){t, (size_t)(q - 1 - t)};
	*msg = rb + 3;
	return 0;
}

static int span_is(struct al_span s, const char *text)
{
	return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static int span_ends(struct al_span s, const char *text)
{
	size_t n = strlen(text);
	return s.len >= n && memcmp(s.ptr + s.len - n, text, n) == 0;
}

int al_format_parse(const char *name)
{
	static const char *const names[] = {"postfix", "dovecot", "sshd", "nginx"};
	for (int i = 0; i < 4; i++)
		if (name && strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

size_t al_format_needles(enum al_format format, const char *const **out)
{
	/* sshd: the message starts with one of these (after "message repeated
	 * N times: [ " too); Dovecot: find(.., "-login: ") comes first; Postfix:
	 * only smtpd lines count, and their tag ends "/smtpd" before "[PID]" */
	static const char *const sshd[] = {"Accepted ", "Failed "};
	static const char *const dovecot[] = {"-login: "};
	static const char *const postfix[] = {"/smtpd["};
	switch (format) {
	case AL_SSHD:
		*out = sshd;
		return 2;
	case AL_DOVECOT:
		*out = dovecot;
		return 1;
	case AL_POSTFIX:
		*out = postfix;
		return 1;
	case AL_NGINX:
		break;
	}
	*out = NULL;
	return 0;
}

void al_state_init(struct al_state *st, enum al_format format)
{
	memset(st, 0, sizeof(*st));
	st->format = format;
}

/* sshd: Accepted/Failed METHOD for [invalid user ]USER from IP port N ssh2 */
static void parse_sshd(const char *p, const char *end, struct al_event *ev)
{
	struct al_span tag;
	unsigned pid;
	const char *m;
	if (syslog_tag(p, end, &tag, &pid, &m) < 0 || !(span_is(tag, "sshd") || span_is(tag, "sshd-session")))
		return;
	unsigned repeat = 1;
	if (starts(m, end, "message repeated ")) {
		repeat = number(m + 17, end, NULL);
		m = find(m, end, "[ ");
		if (!m || repeat == 0)
			return;
		m += 2;
	}
	enum al_kind kind;
	if (starts(m, end, "Accepted "))
		kind = AL_LOGIN;
	else if (starts(m, end, "Failed "))
		kind = AL_FAILURE;
	else
		return;
	const char *u = find(m, end, " for ");
	if (!u)
		return;
	u += 5;
	if (starts(u, end, "invalid user "))
		u += 13;
	/* the user name may contain spaces; the last " from " ends it */
	const char *from = find_last(u, end, " from ");
	if (!from)
		return;
	ev->kind = kind;
	ev->user = (struct al_span){u, (size_t)(from - u)};
	ev->source = until(from + 6, end, " ");
	ev->tls = -1;
	ev->attempts = kind == AL_FAILURE ? repeat : 0;
}

/* Dovecot: "imap-login: Info: Login: user=<alice>, method=PLAIN, rip=..., TLS"
 * and "... (auth failed, 3 attempts in 6 secs): user=<alice>, ..., rip=...". */
static void parse_dovecot(const char *p, const char *end, struct al_event *ev)
{
	const char *m = find(p, end, "-login: ");
	if (!m)
		return;
	const char *fail = find(m, end, "(auth failed, ");
	if (fail) {
		ev->kind = AL_FAILURE;
		ev->attempts = number(fail + 14, end, NULL);
		if (ev->attempts == 0)
			ev->attempts = 1;
	} else if (find(m, end, "Login: user=<")) {
		ev->kind = AL_LOGIN;
	} else {
		return;
	}
	const char *u = find(m, end, "user=<");
	if (u)
		ev->user = until(u + 6, end, ">");
	const char *rip = find(m, end, "rip=");
	if (rip)
		ev->source = until(rip + 4, end, ", ");
	ev->tls = find(m, end, ", TLS") || find(m, end, ", secured") ? 1 : 0;
}

static unsigned smtpd_pid(const char *p, const char *end, const char **msg)
{
	struct al_span tag;
	unsigned pid;
	if (syslog_tag(p, end, &tag, &pid, msg) < 0 || !span_ends(tag, "/smtpd"))
		return 0;
	return pid;
}

/* Postfix smtpd: TLS per process, SASL logins and failures. */
static void parse_postfix(struct al_state *st, const char *p, const char *end, struct al_event *ev)
{
	const char *m;
	unsigned pid = smtpd_pid(p, end, &m);
	if (!pid)
		return;
	unsigned slot = pid % AL_PID_SLOTS;
	if (starts(m, end, "connect from ")) {
		st->pid[slot] = pid;
		st->tls[slot] = 0;
		return;
	}
	if (find(m, end, "TLS connection established from ")) {
		st->pid[slot] = pid;
		st->tls[slot] = 1;
		return;
	}
	const char *sasl_user = find(m, end, "sasl_username=");
	if (starts(m, end, "warning: ") && find(m, end, " authentication failed")) {
		const char *lb = find(m, end, "[");
		if (!lb || !find(m, end, "]: SASL "))
			return;
		ev->kind = AL_FAILURE;
		ev->attempts = 1;
		ev->source = until(lb + 1, end, "]");
		if (sasl_user)
			ev->user = until(sasl_user + 14, end, ", ");
		ev->tls = -1;
		return;
	}
	const char *client = find(m, end, "client=");
	if (client && sasl_user && find(m, end, "sasl_method=")) {
		const char *lb = find(client, end, "[");
		ev->kind = AL_LOGIN;
		ev->user = until(sasl_user + 14, end, ", ");
		if (lb)
			ev->source = until(lb + 1, end, "]");
		ev->tls = st->pid[slot] == pid ? st->tls[slot] : -1;
	}
}

/* nginx access (combined): IP - USER [time] "request" STATUS ...
 * nginx error: ... user "alice": password mismatch, client: IP, ...
 *              ... user "bob" was not found in "...", client: IP, ... */
static void parse_nginx(const char *p, const char *end, struct al_event *ev)
{
	const char *e = find(p, end - p > 40 ? p + 40 : end, " [error] ");
	if (e) {
		const char *u = find(e, end, " user \"");
		if (!u)
			return;
		struct al_span user = until(u + 7, end, "\"");
		const char *rest = user.ptr + user.len;
		if (!find(rest, end, "password mismatch") && !find(rest, end, "was not found in"))
			return;
		const char *c = find(rest, end, ", client: ");
		ev->kind = AL_FAILURE;
		ev->attempts = 1;
		ev->user = user;
		if (c)
			ev->source = until(c + 10, end, ", ");
		ev->tls = -1;
		return;
	}
	struct al_span ip = until(p, end, " ");
	const char *q = ip.ptr + ip.len;
	if (!ip.len || !starts(q, end, " - "))
		return;
	struct al_span user = until(q + 3, end, " ");
	q = user.ptr + user.len;
	if (!starts(q, end, " [") || (user.len == 1 && user.ptr[0] == '-'))
		return;
	const char *req = find(q, end, "\"");
	if (!req)
		return;
	const char *req_end = find(req + 1, end, "\" ");
	if (!req_end || (size_t)(end - req_end) < 5)
		return;
	const char *after;
	unsigned status = number(req_end + 2, end, &after);
	if (after != req_end + 5)
		return;
	ev->kind = status == 401 ? AL_FAILURE : AL_LOGIN;
	ev->attempts = status == 401;
	ev->user = user;
	ev->source = ip;
	ev->tls = -1;
}

void al_parse_line(struct al_state *st, const char *line, size_t len, struct al_event *ev)
{
	const char *end = line + len;
	memset(ev, 0, sizeof(*ev));
	ev->tls = -1;
	switch (st->format) {
	case AL_SSHD:
		parse_sshd(line, end, ev);
		break;
	case AL_DOVECOT:
		parse_dovecot(line, end, ev);
		break;
	case AL_POSTFIX:
		parse_postfix(st, line, end, ev);
		break;
	case AL_NGINX:
		parse_nginx(line, end, ev);
		break;
	}
}
