/* clamav_cvd.c - ClamAV database headers (clamav_cvd.h). */
#include "clamav_cvd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "logread.h"

#define FIELDS 10

static int number(const char *s, size_t n, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	/* 19 digits stay below 2^64; a 20th could wrap v to a small, valid-looking number */
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static void text(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	dst[n] = '\0';
}

/* "07 Dec 2026 08-25 +0000" into epoch seconds; -1 when malformed. */
static int64_t parse_time(const char *s, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[64];
	text(buf, sizeof(buf), s, n);
	char mon[4] = "";
	int d, y, h, mi, off;
	char sign;
	if (sscanf(buf, "%d %3s %d %d-%d %c%4d", &d, mon, &y, &h, &mi, &sign, &off) != 7 || (sign != '+' && sign != '-'))
		return -1;
	const char *m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
	if (!m || (m - months) % 3 || d < 1 || d > 31 || y < 1990 || y > 9999 || h > 23 || mi > 59 || h < 0 || mi < 0)
		return -1;
	int64_t t = ax_days_from_civil(y, (unsigned)((m - months) / 3 + 1), (unsigned)d) * 86400 + h * 3600 + mi * 60;
	int64_t o = (off / 100) * 3600 + (off % 100) * 60;
	return sign == '+' ? t - o : t + o;
}

int cvd_parse(const char *head, size_t len, struct cvd_head *out)
{
	const char *f[FIELDS];
	size_t fl[FIELDS], n = 0;
	memset(out, 0, sizeof(*out));
	if (len > CVD_HEAD_LEN)
		len = CVD_HEAD_LEN;
	if (len < 11 || memcmp(head, "ClamAV-VDB:", 11) != 0)
		return ax_error_code(AX_EINVALID, "not a ClamAV database header");
	/* the header ends at the padding (blanks) or a NUL */
	size_t end = len;
	while (end && (head[end - 1] == ' ' || head[end - 1] == '\0'))
		end--;
	const char *p = head, *stop = head + end;
	while (p <= stop && n < FIELDS) {
		const char *c = memchr(p, ':', (size_t)(stop - p));
		f[n] = p;
		fl[n++] = (size_t)((c ? c : stop) - p);
		if (!c)
			break;
		p = c + 1;
	}
	unsigned long long v;
	if (n < 8)
		return ax_error_code(AX_EINVALID, "ClamAV database header with %zu fields, expected 8 or 9", n);
	text(out->time, sizeof(out->time), f[1], fl[1]);
	text(out->builder, sizeof(out->builder), f[7], fl[7]);
	if (number(f[2], fl[2], 0xffffffffu, &v) < 0)
		return ax_error_code(AX_EINVALID, "ClamAV database header: version is not a number");
	out->version = (unsigned)v;
	if (number(f[3], fl[3], 0xffffffffu, &v) < 0)
		return ax_error_code(AX_EINVALID, "ClamAV database header: signature count is not a number");
	out->sigs = (unsigned)v;
	if (number(f[4], fl[4], 0xffffffffu, &v) < 0)
		return ax_error_code(AX_EINVALID, "ClamAV database header: functionality level is not a number");
	out->flevel = (unsigned)v;
	if (n >= 9 && number(f[8], fl[8], (unsigned long long)1 << 40, &v) == 0 && v > 0)
		out->built = (int64_t)v;
	else if ((out->built = parse_time(f[1], fl[1])) < 0)
		return ax_error_code(AX_EINVALID, "ClamAV database header: no build time");
	return 0;
}
