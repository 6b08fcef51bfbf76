/* chrony_csv.c - `chronyc -c` records (chrony_csv.h). */
#include "chrony_csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define FIELDS_MAX 16

/* Splits one line into at most FIELDS_MAX fields (slices of the line). */
static size_t split(const char *p, const char *end, const char **f, size_t *fl)
{
	size_t n = 0;
	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c ? c : end;
		if (n == FIELDS_MAX)
			return FIELDS_MAX + 1;
		f[n] = p;
		fl[n++] = (size_t)(e - p);
		if (!c)
			return n;
		p = c + 1;
	}
}

static int num(const char *s, size_t n, double *out)
{
	char buf[64];
	char *end;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return *end || errno || !isfinite(*out) ? -1 : 0;
}

static void text(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] >= 0x7f)
			dst[i] = '?';
}

/* The first line of text without its newline. */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

int chrony_tracking_parse(const char *t, size_t len, struct chrony_tracking *out)
{
	const char *f[FIELDS_MAX];
	size_t fl[FIELDS_MAX];
	const char *end = line_end(t, t + len);
	size_t n = split(t, end, f, fl);
	double d[13];
	memset(out, 0, sizeof(*out));
	if (n != 14)
		return ax_error_code(AX_EINVALID, "chronyc -c tracking: %zu fields, expected 14", n > FIELDS_MAX ? n - 1 : n);
	for (size_t i = 2; i < 13; i++)
		if (num(f[i], fl[i], &d[i]) < 0)
			return ax_error_code(AX_EINVALID, "chronyc -c tracking: field %zu is not a number", i + 1);
	text(out->refid, sizeof(out->refid), f[0], fl[0]);
	text(out->name, sizeof(out->name), f[1], fl[1]);
	text(out->leap, sizeof(out->leap), f[13], fl[13]);
	if (d[2] < 0 || d[2] > 16)
		return ax_error_code(AX_EINVALID, "chronyc -c tracking: stratum %g", d[2]);
	out->stratum = (int)d[2];
	out->ref_time = d[3];
	out->system_time = d[4];
	out->last_offset = d[5];
	out->rms_offset = d[6];
	out->root_delay = d[10];
	out->root_dispersion = d[11];
	return 0;
}

int chrony_sources_parse(const char *t, size_t len, struct chrony_source *out, size_t max, size_t *count)
{
	const char *p = t, *end = t + len;
	size_t lineno = 0;
	*count = 0;
	while (p < end) {
		const char *le = line_end(p, end), *f[FIELDS_MAX];
		size_t fl[FIELDS_MAX];
		lineno++;
		if (le == p) {
			p = le + 1;
			continue;
		}
		size_t n = split(p, le, f, fl);
		double d[10];
		if (n != 10 || fl[0] != 1 || fl[1] != 1 || !strchr("^=#", f[0][0]) || !strchr("*+-?x~", f[1][0]))
			return ax_error_code(AX_EINVALID, "chronyc -c sources line %zu: not a source record", lineno);
		for (size_t i = 3; i < 10; i++)
			if (i != 6 && num(f[i], fl[i], &d[i]) < 0)
				return ax_error_code(AX_EINVALID, "chronyc -c sources line %zu: field %zu is not a number",
						     lineno, i + 1);
		if (*count == max)
			return ax_error_code(AX_EINVALID, "chronyc -c sources: more than %zu sources", max);
		struct chrony_source *s = &out[(*count)++];
		memset(s, 0, sizeof(*s));
		s->mode = f[0][0];
		s->state = f[1][0];
		text(s->name, sizeof(s->name), f[2], fl[2]);
		s->stratum = d[3] >= 0 && d[3] <= 16 ? (int)d[3] : 16;
		/* reach is printed in octal; read it as such */
		char rb[8];
		text(rb, sizeof(rb), f[5], fl[5]);
		s->reach = (unsigned)(strtoul(rb, NULL, 8) & 0377);
		s->offset = d[7];
		s->error = d[9];
		p = le < end ? le + 1 : end;
	}
	return 0;
}

double chrony_error_bound(const struct chrony_tracking *t)
{
	return fabs(t->system_time) + t->root_dispersion + t->root_delay / 2;
}
