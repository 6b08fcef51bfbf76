/* mailbox.c - the e-mail address recogniser (see mailbox.h). */
#include "mailbox.h"

#include <string.h>

static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int is_label(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
}

/* End of the domain or address literal at d, 0 when there is none. */
static size_t domain_end(const char *s, size_t len, size_t d)
{
	if (d < len && s[d] == '[') {
		for (size_t e = d + 1; e < len; e++) {
			unsigned char c = (unsigned char)s[e];
			if (c == ']')
				return e > d + 1 ? e + 1 : 0;
			if (c <= ' ' || c == '[' || c == '\\' || c == 0x7f)
				return 0;
		}
		return 0;
	}
	size_t e = d, last = 0;
	for (;;) {
		size_t l = e;
		while (l < len && is_label((unsigned char)s[l]))
			l++;
		if (l == e)
			break;
		last = l;
		if (l + 1 < len && s[l] == '.')
			e = l + 1;
		else
			break;
	}
	return last;
}

/* The closing quote of the quoted string opening at q, 0 when it does not
 * close on printable text (qtextSMTP and quoted pairs). */
static size_t quote_end(const char *s, size_t len, size_t q)
{
	for (size_t e = q + 1; e < len; e++) {
		unsigned char c = (unsigned char)s[e];
		if (c == '"')
			return e;
		if (c < ' ' || c == 0x7f)
			return 0;
		if (c == '\\' && ++e >= len)
			return 0;
	}
	return 0;
}

int ax_mailbox_find(const char *s, size_t len, size_t from, size_t *start, size_t *end)
{
	for (size_t i = from; i < len; i++) {
		if (s[i] == '"') {
			size_t q = quote_end(s, len, i), e;
			if (q && q + 1 < len && s[q + 1] == '@' && (e = domain_end(s, len, q + 2))) {
				*start = i;
				*end = e;
				return 1;
			}
			continue;
		}
		if (s[i] != '@')
			continue;
		size_t b = i;
		while (b > from && (is_atext((unsigned char)s[b - 1]) || s[b - 1] == '.'))
			b--;
		while (b < i && s[b] == '.')
			b++; /* a sentence's dot, not the address's */
		size_t e = b < i ? domain_end(s, len, i + 1) : 0;
		if (e) {
			*start = b;
			*end = e;
			return 1;
		}
	}
	return 0;
}
