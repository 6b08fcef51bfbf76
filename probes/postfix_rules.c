/* postfix_rules.c - protocol lists, relay restrictions and network
 * containment as Postfix interprets them (see postfix_rules.h). */
#include "postfix_rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

static const struct {
	const char *name;
	unsigned bit;
} proto_names[] = {
	{"SSLv2", PF_PROTO_SSLV2},     {"SSLv3", PF_PROTO_SSLV3},     {"TLSv1", PF_PROTO_TLSV1},
	{"TLSv1.1", PF_PROTO_TLSV1_1}, {"TLSv1.2", PF_PROTO_TLSV1_2}, {"TLSv1.3", PF_PROTO_TLSV1_3},
};
#define NPROTO (sizeof(proto_names) / sizeof(proto_names[0]))

/* The next word of a Postfix list (white space and commas separate) from
 * *p on; its length in *n, 0 at the end; *p moves past it. */
static const char *list_word(const char **p, size_t *n)
{
	while (**p && (isspace((unsigned char)**p) || **p == ','))
		(*p)++;
	const char *s = *p;
	while (**p && !isspace((unsigned char)**p) && **p != ',')
		(*p)++;
	*n = (size_t)(*p - s);
	return s;
}

static int proto_index(const char *s, size_t n)
{
	for (size_t i = 0; i < NPROTO; i++)
		if (strlen(proto_names[i].name) == n && strncasecmp(proto_names[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

int pf_protocols_parse(const char *value, unsigned *allowed)
{
	unsigned include = 0, exclude = 0;
	int lo = 0, hi = (int)NPROTO - 1;
	const char *p = value ? value : "";

	while (*p) {
		while (*p && (isspace((unsigned char)*p) || *p == ',' || *p == ':'))
			p++;
		const char *s = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',' && *p != ':')
			p++;
		size_t n = (size_t)(p - s);
		if (!n)
			continue;
		int neg = 0, ge = 0, le = 0;
		if (s[0] == '!')
			neg = 1, s++, n--;
		else if (n >= 2 && s[0] == '>' && s[1] == '=')
			ge = 1, s += 2, n -= 2;
		else if (n >= 2 && s[0] == '<' && s[1] == '=')
			le = 1, s += 2, n -= 2;
		int idx = proto_index(s, n);
		if (idx < 0)
			return ax_error_code(AX_EINVALID, "unknown TLS protocol '%.*s'", (int)(n > 32 ? 32 : n), s);
		if (neg)
			exclude |= proto_names[idx].bit;
		else if (ge)
			lo = idx > lo ? idx : lo;
		else if (le)
			hi = idx < hi ? idx : hi;
		else
			include |= proto_names[idx].bit;
	}
	unsigned mask = 0;
	for (int i = lo; i <= hi; i++)
		mask |= proto_names[i].bit;
	if (include)
		mask &= include;
	*allowed = mask & ~exclude;
	return 0;
}

void pf_protocols_format(unsigned mask, struct ax_buf *out)
{
	ax_buf_clear(out);
	for (size_t i = 0; i < NPROTO; i++)
		if (mask & proto_names[i].bit) {
			if (out->size)
				ax_buf_puts(out, ", ");
			ax_buf_puts(out, proto_names[i].name);
		}
	if (!out->size)
		ax_buf_puts(out, "none");
}

static int word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

int pf_relay_list_safe(const char *list, struct ax_buf *why)
{
	const char *p = list ? list : "";
	ax_buf_clear(why);
	while (*p) {
		size_t n;
		const char *s = list_word(&p, &n);
		if (!n)
			continue;
		if (word_is(s, n, "reject_unauth_destination") || word_is(s, n, "defer_unauth_destination") ||
		    word_is(s, n, "reject") || word_is(s, n, "defer")) {
			ax_buf_put(why, s, n);
			return 1;
		}
		if (word_is(s, n, "permit")) {
			ax_buf_puts(why, "permit");
			return 0;
		}
	}
	ax_buf_puts(why, "end of list (implicit permit)");
	return 0;
}

struct net {
	unsigned char addr[16];
	int bits; /* over the 128-bit (v4-mapped) address */
};

/* Parses 10.0.0.0/8, 192.0.2.1, [2001:db8::]/32, [::1], 2001:db8::/32. */
static int net_parse(const char *s, size_t n, struct net *out)
{
	char text[80];
	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	char *host = text, *slash = strrchr(text, '/');
	int bits = -1;
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end || b < 0 || b > 128)
			return -1;
		bits = (int)b;
		*slash = '\0';
	}
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		host++;
	}
	memset(out, 0, sizeof(*out));
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if (bits > 32)
			return -1;
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, &a4, 4);
		out->bits = (bits < 0 ? 32 : bits) + 96;
		return 0;
	}
	if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->bits = bits < 0 ? 128 : bits;
		return 0;
	}
	return -1;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)bytes) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		return (a[bytes] & mask) == (b[bytes] & mask);
	}
	return 1;
}

/* inner lies within outer */
static int net_within(const struct net *inner, const struct net *outer)
{
	return inner->bits >= outer->bits && prefix_equal(inner->addr, outer->addr, outer->bits);
}

int pf_networks_within(const char *mynetworks, const char *allowed, struct ax_buf *why)
{
	struct net nets[64];
	size_t nnets = 0;
	ax_buf_clear(why);
	for (const char *p = allowed ? allowed : ""; *p;) {
		size_t n;
		const char *s = list_word(&p, &n);
		if (!n)
			continue;
		if (nnets == sizeof(nets) / sizeof(nets[0]) || net_parse(s, n, &nets[nnets]) < 0) {
			ax_buf_printf(why, "allowed network '%.*s'", (int)(n > 64 ? 64 : n), s);
			return AX_EINVALID;
		}
		nnets++;
	}
	for (const char *p = mynetworks ? mynetworks : ""; *p;) {
		size_t n;
		const char *s = list_word(&p, &n);
		if (!n)
			continue;
		struct net entry;
		if (n && (s[0] == '!' || net_parse(s, n, &entry) < 0)) {
			/* tables (hash:/..., cidr:/...), files and negations cannot be
			 * judged without reading the table: say so rather than guess */
			ax_buf_printf(why, "%.*s", (int)(n > 128 ? 128 : n), s);
			return AX_EINVALID;
		}
		int inside = 0;
		for (size_t i = 0; i < nnets && !inside; i++)
			inside = net_within(&entry, &nets[i]);
		if (!inside) {
			ax_buf_printf(why, "%.*s", (int)n, s);
			return 0;
		}
	}
	return 1;
}
