/* proc_net.c - parsing the kernel's socket tables (proc_net.h). */
#include "proc_net.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "error.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* n hex digits at p into *v; 0 or -1. */
static int hex(const char *p, const char *end, size_t n, uint32_t *v)
{
	*v = 0;
	if ((size_t)(end - p) < n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		*v = *v << 4 | (uint32_t)h;
	}
	return 0;
}

/* "ADDR:PORT" with 8 (IPv4) or 32 (IPv6) address digits. */
static int endpoint(const char **pp, const char *end, int family, unsigned char addr[16], uint16_t *port)
{
	const char *p = *pp;
	size_t words = family == AF_INET6 ? 4 : 1;
	memset(addr, 0, 16);
	for (size_t w = 0; w < words; w++) {
		uint32_t v;
		if (hex(p, end, 8, &v) < 0)
			return -1;
		/* the kernel printed a network-order word as a native integer */
		memcpy(addr + 4 * w, &v, 4);
		p += 8;
	}
	uint32_t pv;
	if (p >= end || *p != ':' || hex(p + 1, end, 4, &pv) < 0)
		return -1;
	*port = (uint16_t)pv;
	*pp = p + 5;
	return 0;
}

static void skip_blank(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* A decimal or hex field (base) followed by a blank. */
static int field(const char **p, const char *end, int base, unsigned long *v)
{
	char buf[24];
	size_t n = 0;
	skip_blank(p, end);
	while (*p < end && **p != ' ' && **p != '\t' && n < sizeof(buf) - 1)
		buf[n++] = *(*p)++;
	buf[n] = '\0';
	char *stop;
	if (!n)
		return -1;
	*v = strtoul(buf, &stop, base);
	return *stop ? -1 : 0;
}

int pn_parse(struct pn_table *t, const char *text, size_t len, int udp, int family, const char *origin)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p;
		lineno++;
		p = nl ? nl + 1 : end;
		skip_blank(&q, le);
		if (lineno == 1 || q == le)
			continue; /* the header */
		struct pn_socket s;
		unsigned long st, dummy, uid, inode;
		memset(&s, 0, sizeof(s));
		s.udp = udp;
		s.family = family;
		const char *colon = memchr(q, ':', (size_t)(le - q));
		if (!colon)
			goto bad;
		q = colon + 1;
		skip_blank(&q, le);
		if (endpoint(&q, le, family, s.addr, &s.port) < 0)
			goto bad;
		skip_blank(&q, le);
		if (endpoint(&q, le, family, s.raddr, &s.rport) < 0)
			goto bad;
		/* st, tx:rx, tr:when, retrnsmt, uid, timeout, inode */
		if (field(&q, le, 16, &st) < 0)
			goto bad;
		for (int i = 0; i < 3; i++) {
			skip_blank(&q, le);
			while (q < le && *q != ' ')
				q++;
		}
		if (field(&q, le, 10, &uid) < 0 || field(&q, le, 10, &dummy) < 0 || field(&q, le, 10, &inode) < 0)
			goto bad;
		s.state = (unsigned)st;
		s.uid = (unsigned)uid;
		s.inode = inode;
		if (t->n == PN_SOCKETS_MAX)
			return ax_error_code(AX_EINVALID, "%s: more than %d sockets", origin, PN_SOCKETS_MAX);
		if (t->n == t->alloc) {
			t->alloc = t->alloc ? t->alloc * 2 : 64;
			t->s = ax_realloc(t->s, t->alloc * sizeof(*t->s));
		}
		t->s[t->n++] = s;
		continue;
bad:
		return ax_error_code(AX_EINVALID, "%s:%zu: not a socket line", origin, lineno);
	}
	return 0;
}

void pn_release(struct pn_table *t)
{
	if (!t)
		return;
	free(t->s);
	memset(t, 0, sizeof(*t));
}

int pn_listening(const struct pn_socket *s)
{
	return s->udp ? s->state == PN_TCP_CLOSE && s->rport == 0 : s->state == PN_TCP_LISTEN;
}

int pn_v4_mapped(const struct pn_socket *s)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return s->family == AF_INET6 && memcmp(s->addr, mapped, 12) == 0;
}

int pn_loopback(const struct pn_socket *s)
{
	static const unsigned char v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (s->family == AF_INET)
		return s->addr[0] == 127;
	return memcmp(s->addr, v6lo, 16) == 0 || (pn_v4_mapped(s) && s->addr[12] == 127);
}

void pn_addr_text(const struct pn_socket *s, char out[static 48])
{
	if (!inet_ntop(s->family, s->addr, out, 48))
		memcpy(out, "?", 2);
}
