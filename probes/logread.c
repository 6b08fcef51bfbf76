/* logread.c - streaming line reader over plain and gzip log files, and
 * log timestamp parsing (see logread.h for the contract).
 *
 * Memory: line by line, one buffer of max(256 KiB, 2 x max_line) per
 * reader; in bulk, a plain file is mapped one window at a time (16 MiB, or
 * less at its end), so resident memory is flat whatever the file holds.
 * Only regular files are opened, so a FIFO or device named by a glob can't
 * block a probe.
 *
 * A mapped file that shrinks (logrotate copytruncate) would raise SIGBUS on
 * the pages past its new end. Each window is mapped only up to the size
 * fstat gives just before, and a process-wide SIGBUS handler, installed on
 * the first scan, turns a fault inside the current thread's window into a
 * siglongjmp back to the scan, which reports "file shrank while reading".
 * Faults anywhere else go to the previous disposition. */
#include "logread.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"
#include "error.h"

#define LOGREAD_DEFAULT_LINE 8192
#define LOGREAD_MAX_LINE (1024 * 1024)
#define LOGREAD_MIN_BUF (256 * 1024)
#define LOGREAD_WINDOW (16 * 1024 * 1024)

struct ax_logread {
	char *path;
	int fd; /* until gz takes it over */
	gzFile gz;
	int is_gzip;
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	size_t max_line;
	size_t lineno;
	int eof;
	int skipping; /* inside the tail of an over-long line */
	size_t window;  /* bulk: bytes mapped at a time */
	char *map;      /* bulk: the current window */
	size_t map_len;
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
	r->is_gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	r->fd = fd;
	fd = -1;
	ax_logread_set_window(r, LOGREAD_WINDOW);
	*out = r;
	r = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	ax_logread_free(r);
	return rc;
}

void ax_logread_set_window(struct ax_logread *r, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	/* a partial line at a window's end (< max_line) must leave room to move on */
	if (bytes < r->max_line + 2 * page)
		bytes = r->max_line + 2 * page;
	r->window = (bytes + page - 1) / page * page;
}

/* zlib reads plain files transparently: the line-by-line path and .gz. */
static int gz_start(struct ax_logread *r)
{
	if (r->gz)
		return 0;
	r->gz = gzdopen(r->fd, "rb");
	if (!r->gz)
		return ax_error_set("%s: cannot open", r->path);
	r->fd = -1; /* owned by gz now */
	gzbuffer(r->gz, 128 * 1024);
	r->cap = 2 * r->max_line > LOGREAD_MIN_BUF ? 2 * r->max_line : LOGREAD_MIN_BUF;
	r->buf = ax_malloc(r->cap);
	return 0;
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
	if (!r->gz && gz_start(r) < 0)
		return AX_ERROR;
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

/* --- bulk reading --- */

/* Hands [p, p + avail) to fn as far as it holds whole lines. *used: bytes
 * consumed (0: a longer region is needed). final: nothing follows p + avail. */
static int deliver(struct ax_logread *r, const char *p, size_t avail, int final, size_t *used, ax_logblock_fn fn,
		   void *arg)
{
	struct ax_logblock b;
	const char *nl;
	size_t len;
	*used = 0;
	if (!avail)
		return 0;
	if (r->skipping) { /* the rest of a cut line */
		nl = memchr(p, '\n', avail);
		*used = nl ? (size_t)(nl - p) + 1 : avail;
		r->skipping = !nl;
		return 0;
	}
	memset(&b, 0, sizeof(b));
	nl = memrchr(p, '\n', avail);
	if (nl) {
		len = (size_t)(nl - p) + 1;
	} else if (avail >= r->max_line) {
		len = r->max_line;
		b.cut = 1;
		r->skipping = 1;
	} else if (final) {
		len = avail;
	} else {
		return 0;
	}
	b.ptr = b.cursor = p;
	b.end = p + len;
	b.cursor_lineno = r->lineno + 1;
	b.max_line = r->max_line;
	*used = len;
	int rc = fn(arg, &b);
	/* lines the callback did not ask for are counted once, here */
	r->lineno = b.cursor_lineno - 1 + ax_count_newlines(b.cursor, b.end) + (b.cursor < b.end && b.end[-1] != '\n');
	return rc;
}

static int scan_buffered(struct ax_logread *r, ax_logblock_fn fn, void *arg)
{
	if (gz_start(r) < 0)
		return AX_ERROR;
	for (;;) {
		size_t used;
		int rc = deliver(r, r->buf + r->start, r->end - r->start, r->eof, &used, fn, arg);
		if (rc)
			return rc < 0 ? rc : 0;
		r->start += used;
		if (used)
			continue;
		if (r->eof)
			return 0;
		if ((rc = fill(r)) < 0)
			return rc;
	}
}

struct map_guard {
	sigjmp_buf env;
	const char *volatile lo, *volatile hi; /* the window mapped now */
};

static _Thread_local struct map_guard *volatile active_guard;
static struct sigaction previous_sigbus;

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	struct map_guard *g = active_guard;
	const char *at = si ? (const char *)si->si_addr : NULL;
	if (g && at >= g->lo && at < g->hi)
		siglongjmp(g->env, 1);
	/* not a log window: the previous disposition takes the repeated fault */
	sigaction(sig, &previous_sigbus, NULL);
}

static void guard_install(void)
{
	static int installed; /* process-wide; probes run one per process */
	struct sigaction sa;
	if (installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous_sigbus) == 0)
		installed = 1;
}

static void unmap(struct ax_logread *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	r->map = NULL;
	r->map_len = 0;
}

static int shrank(struct ax_logread *r)
{
	return ax_error_code(AX_EINVALID, "%s:%zu: file shrank while reading (truncated by log rotation?)", r->path,
			     r->lineno + 1);
}

/* Window after window: each mapped from the page holding the first unread
 * byte (a partial line at a window's end is mapped again with the next). */
static int scan_windows(struct ax_logread *r, struct map_guard *g, ax_logblock_fn fn, void *arg)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	off_t pos = 0;
	for (;;) {
		struct stat st;
		if (fstat(r->fd, &st) < 0)
			return ax_error_set("%s: %s", r->path, strerror(errno));
		if (st.st_size < pos)
			return shrank(r);
		if (st.st_size == pos)
			return 0;
		off_t map_off = pos - pos % (off_t)page;
		size_t len = (size_t)(st.st_size - map_off) < r->window ? (size_t)(st.st_size - map_off) : r->window;
		int final = map_off + (off_t)len == st.st_size;
		unmap(r);
		g->lo = g->hi = NULL;
		r->map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, r->fd, map_off);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			return ax_error_set("%s: mmap: %s", r->path, strerror(errno));
		}
		r->map_len = len;
		madvise(r->map, len, MADV_SEQUENTIAL);
		g->lo = r->map;
		g->hi = r->map + len;
		const char *p = r->map + (pos - map_off);
		size_t avail = len - (size_t)(pos - map_off), used;
		off_t window_start = pos;
		do {
			int rc = deliver(r, p, avail, final, &used, fn, arg);
			if (rc)
				return rc < 0 ? rc : 0;
			p += used;
			avail -= used;
			pos += (off_t)used;
		} while (used && avail);
		if (pos == window_start) /* cannot happen: a window holds max_line past any start */
			return ax_error_set("%s: mapping window too small", r->path);
	}
}

int ax_logread_scan(struct ax_logread *r, ax_logblock_fn fn, void *arg)
{
	struct map_guard guard;
	struct map_guard *volatile outer = active_guard;
	int rc;
	if (r->is_gzip || r->gz)
		return scan_buffered(r, fn, arg);
	guard_install();
	guard.lo = guard.hi = NULL;
	if (sigsetjmp(guard.env, 1) == 0) {
		active_guard = &guard;
		rc = scan_windows(r, &guard, fn, arg);
	} else {
		rc = shrank(r);
	}
	active_guard = outer;
	unmap(r);
	return rc;
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
	if (r->fd >= 0)
		close(r->fd);
	if (r->map)
		munmap(r->map, r->map_len);
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
