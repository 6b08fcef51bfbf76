/* logread.c - streaming line reader over plain and gzip log files, and
 * log timestamp parsing (see logread.h for the contract).
 *
 * Memory: one buffer of max(256 KiB, 2 x max_line) per reader, whatever the
 * file holds. Only regular files are opened, so a FIFO or device named by a
 * glob can't block a probe. */
#include "logread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"
#include "error.h"

#define LOGREAD_DEFAULT_LINE 8192
#define LOGREAD_MAX_LINE (1024 * 1024)
#define LOGREAD_MIN_BUF (256 * 1024)

struct ax_logread {
	char *path;
	gzFile gz;
	int is_gzip;
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	size_t max_line;
	size_t lineno;
	int eof;
	int skipping; /* inside the tail of an over-long line */
};

int ax_logread_open(struct ax_logread **out, const char *path, size_t max_line)
{
	struct ax_logread *r = NULL;
	struct stat st;
	unsigned char magic[2];
	int fd = -1, rc = 0;

	*out = NULL;
	if (max_line == 0)
		max_line = LOGREAD_DEFAULT_LINE;
	if (max_line > LOGREAD_MAX_LINE)
		max_line = LOGREAD_MAX_LINE;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_ERROR, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = ax_error_code(AX_EINVALID, "%s: not a regular file", path);
		goto cleanup;
	}
	r = ax_calloc(1, sizeof(*r));
	r->path = ax_strdup(path);
	r->max_line = max_line;
	r->cap = 2 * max_line > LOGREAD_MIN_BUF ? 2 * max_line : LOGREAD_MIN_BUF;
	r->buf = ax_malloc(r->cap);
	r->is_gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	r->gz = gzdopen(fd, "rb");
	if (!r->gz) {
		rc = ax_error_set("%s: cannot open", path);
		goto cleanup;
	}
	fd = -1; /* owned by gz now */
	gzbuffer(r->gz, 128 * 1024);
	*out = r;
	r = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	ax_logread_free(r);
	return rc;
}

/* Reads more bytes after compacting; 0 at the end, negative on error. */
static int fill(struct ax_logread *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->eof || r->end == r->cap)
		return 0;
	int n = gzread(r->gz, r->buf + r->end, (unsigned)(r->cap - r->end));
	int errnum = Z_OK;
	const char *msg = gzerror(r->gz, &errnum);
	if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END && !(errnum == Z_BUF_ERROR && n > 0))) {
		if (errnum == Z_BUF_ERROR)
			msg = "truncated compressed data (unexpected end of file)";
		return ax_error_code(AX_EINVALID, "%s:%zu: %s", r->path, r->lineno + 1,
				     errnum == Z_ERRNO ? strerror(errno) : msg);
	}
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return n;
}

int ax_logread_next(struct ax_logread *r, struct ax_logline *line)
{
	for (;;) {
		char *p = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = avail ? memchr(p, '\n', avail) : NULL;
		if (r->skipping) {
			if (nl) {
				r->start += (size_t)(nl - p) + 1;
				r->skipping = 0;
				continue;
			}
			r->start = r->end;
		} else if (nl || avail >= r->max_line || (r->eof && avail)) {
			size_t len = nl ? (size_t)(nl - p) : avail;
			line->truncated = 0;
			if (len > r->max_line) {
				len = r->max_line;
				line->truncated = 1;
			}
			if (!nl && avail >= r->max_line) {
				len = r->max_line;
				line->truncated = 1;
				r->skipping = 1;
				r->start += len;
			} else {
				r->start += (nl ? (size_t)(nl - p) + 1 : avail);
			}
			if (len && p[len - 1] == '\r')
				len--;
			line->ptr = p;
			line->len = len;
			line->lineno = ++r->lineno;
			return 1;
		} else if (r->eof) {
			return 0;
		}
		int rc = fill(r);
		if (rc < 0)
			return rc;
		if (rc == 0 && r->eof && r->start == r->end)
			return 0;
	}
}

int ax_logread_is_gzip(const struct ax_logread *r)
{
	return r->is_gzip;
}

void ax_logread_free(struct ax_logread *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	free(r->buf);
	free(r->path);
	free(r);
}

/* --- timestamps --- */

int64_t ax_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void ax_logclock_init(struct ax_logclock *c, int64_t ref)
{
	time_t t = (time_t)ref;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	localtime_r(&t, &tm);
	c->ref = ref;
	c->utc_offset = tm.tm_gmtoff;
	c->ref_year = tm.tm_year + 1900;
}

static int digits(const char *s, size_t len, size_t at, size_t n, int *out)
{
	int v = 0;
	if (at + n > len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[at + i];
		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	*out = v;
	return 0;
}

static int month_of(const char *s, size_t len, size_t at)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (at + 3 > len)
		return 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + at, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

static int valid_clock(int mo, int d, int h, int mi, int sec)
{
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60;
}

static int64_t epoch_of(int y, int mo, int d, int h, int mi, int sec)
{
	return ax_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
}

/* "HH:MM:SS" at s+at. */
static int clock_at(const char *s, size_t len, size_t at, int *h, int *mi, int *sec)
{
	if (at + 8 > len || digits(s, len, at, 2, h) || s[at + 2] != ':' || digits(s, len, at + 3, 2, mi) ||
	    s[at + 5] != ':' || digits(s, len, at + 6, 2, sec))
		return -1;
	return 0;
}

static int parse_classic(const struct ax_logclock *c, const char *s, size_t len, int64_t *out, size_t *used)
{
	int mo = month_of(s, len, 0), d, h, mi, sec;
	if (!mo || len < 15 || s[3] != ' ')
		return AX_EINVALID;
	if (s[4] == ' ') {
		if (digits(s, len, 5, 1, &d))
			return AX_EINVALID;
	} else if (digits(s, len, 4, 2, &d)) {
		return AX_EINVALID;
	}
	if (s[6] != ' ' || clock_at(s, len, 7, &h, &mi, &sec) || !valid_clock(mo, d, h, mi, sec))
		return AX_EINVALID;
	int64_t t = epoch_of(c->ref_year, mo, d, h, mi, sec) - c->utc_offset;
	if (t > c->ref + 86400)
		t = epoch_of(c->ref_year - 1, mo, d, h, mi, sec) - c->utc_offset;
	*out = t;
	*used = 15;
	return 0;
}

/* YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±hh:mm|±hhmm] or YYYY/MM/DD HH:MM:SS. */
static int parse_iso(const struct ax_logclock *c, const char *s, size_t len, int64_t *out, size_t *used)
{
	int y, mo, d, h, mi, sec;
	if (len < 19 || digits(s, len, 0, 4, &y) || (s[4] != '-' && s[4] != '/') || s[7] != s[4] ||
	    digits(s, len, 5, 2, &mo) || digits(s, len, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    clock_at(s, len, 11, &h, &mi, &sec) || !valid_clock(mo, d, h, mi, sec))
		return AX_EINVALID;
	size_t at = 19;
	if (at < len && (s[at] == '.' || s[at] == ',')) {
		at++;
		while (at < len && s[at] >= '0' && s[at] <= '9')
			at++;
	}
	long off = c->utc_offset;
	if (at < len && (s[at] == 'Z' || s[at] == 'z')) {
		off = 0;
		at++;
	} else if (at < len && (s[at] == '+' || s[at] == '-')) {
		int oh, om;
		size_t mm = at + 3 < len && s[at + 3] == ':' ? at + 4 : at + 3;
		if (digits(s, len, at + 1, 2, &oh) || digits(s, len, mm, 2, &om) || oh > 23 || om > 59)
			return AX_EINVALID;
		off = (s[at] == '-' ? -1 : 1) * (long)(oh * 3600 + om * 60);
		at = mm + 2;
	}
	*out = epoch_of(y, mo, d, h, mi, sec) - off;
	*used = at;
	return 0;
}

/* [29/Nov/2026:10:00:01 +0000] */
static int parse_clf(const char *s, size_t len, int64_t *out, size_t *used)
{
	size_t b = len && s[0] == '[' ? 1 : 0;
	int d, mo, y, h, mi, sec, oh, om;
	if (len < b + 26 || digits(s, len, b, 2, &d) || s[b + 2] != '/' || !(mo = month_of(s, len, b + 3)) ||
	    s[b + 6] != '/' || digits(s, len, b + 7, 4, &y) || s[b + 11] != ':' ||
	    clock_at(s, len, b + 12, &h, &mi, &sec) || s[b + 20] != ' ' || (s[b + 21] != '+' && s[b + 21] != '-') ||
	    digits(s, len, b + 22, 2, &oh) || digits(s, len, b + 24, 2, &om) || !valid_clock(mo, d, h, mi, sec))
		return AX_EINVALID;
	long off = (s[b + 21] == '-' ? -1 : 1) * (long)(oh * 3600 + om * 60);
	*out = epoch_of(y, mo, d, h, mi, sec) - off;
	*used = b + 26 + (b && len > b + 26 && s[b + 26] == ']');
	return 0;
}

int ax_logtime_parse(const struct ax_logclock *c, const char *s, size_t len, int64_t *out, size_t *used)
{
	if (!len)
		return AX_EINVALID;
	if (s[0] >= 'A' && s[0] <= 'Z')
		return parse_classic(c, s, len, out, used);
	if (len > 4 && (s[4] == '-' || s[4] == '/'))
		return parse_iso(c, s, len, out, used);
	return parse_clf(s, len, out, used);
}
