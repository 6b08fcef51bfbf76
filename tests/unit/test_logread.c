/* test_logread.c - the shared log reader: lines, CRLF, over-long lines cut
 * with the rest skipped, gzip read transparently, a truncated .gz reported
 * with file and line, binary bytes passed through; the bulk path giving
 * the same lines and numbers through small mapping windows (lines across
 * window ends), the phrase search, a file truncated between windows and
 * while mapped (an error, not a SIGBUS); and every timestamp format,
 * including the year inference of classic syslog stamps. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"
#include "logread.h"
#include "t.h"
#include "util.h"

static char *write_gz(const char *name, const char *content, size_t cut)
{
	char *path = ax_asprintf("%s/%s", t_tmpdir(), name);
	gzFile gz = gzopen(path, "wb");
	gzwrite(gz, content, (unsigned)strlen(content));
	gzclose(gz);
	if (cut) {
		struct ax_buf b = AX_BUF_INIT;
		T_EQ_INT(ax_file_read(path, 1 << 20, &b), 0);
		FILE *f = fopen(path, "wb");
		fwrite(b.ptr, 1, b.size > cut ? b.size - cut : 1, f);
		fclose(f);
		ax_buf_free(&b);
	}
	return path;
}

/* Reads every line into "len:text|" form. */
static int read_all(const char *path, size_t max_line, struct ax_buf *out)
{
	struct ax_logread *r;
	struct ax_logline l;
	int rc = ax_logread_open(&r, path, max_line);
	if (rc < 0)
		return rc;
	while ((rc = ax_logread_next(r, &l)) > 0) {
		ax_buf_printf(out, "%zu%s:", l.lineno, l.truncated ? "T" : "");
		ax_buf_put(out, l.ptr, l.len);
		ax_buf_putc(out, '|');
	}
	ax_logread_free(r);
	return rc;
}

static void test_lines(void)
{
	struct ax_buf b = AX_BUF_INIT;
	char *p = t_write("plain.log", "one\r\ntwo\n\nlast-without-newline");
	T_EQ_INT(read_all(p, 0, &b), 0);
	T_EQ_STR(ax_buf_cstr(&b), "1:one|2:two|3:|4:last-without-newline|");
	free(p);

	/* a 1 MB line without newline among short ones: cut, rest skipped */
	struct ax_buf big = AX_BUF_INIT;
	ax_buf_puts(&big, "a\n");
	for (int i = 0; i < 1000000; i++)
		ax_buf_putc(&big, 'x');
	ax_buf_puts(&big, "\nb\n");
	p = t_write("long.log", ax_buf_cstr(&big));
	ax_buf_clear(&b);
	T_EQ_INT(read_all(p, 256, &b), 0);
	T_OK(strncmp(ax_buf_cstr(&b), "1:a|2T:xxxx", 11) == 0);
	T_CONTAINS(ax_buf_cstr(&b), "x|3:b|");
	T_EQ_INT(b.size, strlen("1:a|2T:|3:b|") + 256);
	free(p);

	/* gzip is recognised by content; truncation names file and line */
	p = write_gz("z.log.1.gz", ax_buf_cstr(&big), 0);
	ax_buf_clear(&b);
	T_EQ_INT(read_all(p, 256, &b), 0);
	T_CONTAINS(ax_buf_cstr(&b), "x|3:b|");
	free(p);
	p = write_gz("cut.log.2.gz", "l1\nl2\nl3\nl4\n", 6);
	ax_buf_clear(&b);
	T_EQ_INT(read_all(p, 0, &b), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "cut.log.2.gz:");
	T_CONTAINS(ax_error_last(), "truncated");
	free(p);

	/* binary and invalid UTF-8 come through as bytes */
	p = t_write("bin.log", "\xff\xfe\x01ok\x80\n");
	ax_buf_clear(&b);
	T_EQ_INT(read_all(p, 0, &b), 0);
	T_EQ_INT(b.size, strlen("1:|") + 6);
	free(p);

	/* missing file, folder */
	T_EQ_INT(read_all("/nonexistent/x.log", 0, &b), AX_ENOTFOUND);
	T_CONTAINS(ax_error_last(), "/nonexistent/x.log");
	T_EQ_INT(read_all(t_tmpdir(), 0, &b), AX_EINVALID);
	ax_buf_free(&b);
	ax_buf_free(&big);
}

struct bulk {
	struct ax_buf out;
	const struct ax_needles *needles; /* NULL: every line */
	int blocks;
	const char *truncate_path; /* truncate the file in the first block */
	int touch_after;           /* then read the block's last byte */
	char last[64];
};

static void put_line(struct ax_buf *out, const struct ax_logline *l)
{
	ax_buf_printf(out, "%zu%s:", l->lineno, l->truncated ? "T" : "");
	ax_buf_put(out, l->ptr, l->len);
	ax_buf_putc(out, '|');
}

static int on_block(void *arg, struct ax_logblock *b)
{
	struct bulk *k = arg;
	struct ax_logline l;
	if (k->blocks++ == 0 && k->truncate_path) {
		T_EQ_INT(truncate(k->truncate_path, 0), 0);
		if (k->touch_after) {
			volatile char c = b->end[-1]; /* past the new end: SIGBUS */
			(void)c;
			t_fail(__FILE__, __LINE__, "read past a truncated mapping without a fault");
		}
		return 0;
	}
	if (k->needles) {
		const char *hit;
		while ((hit = ax_needles_find(k->needles, ax_logblock_rest(b), b->end))) {
			ax_logblock_line_at(b, hit, &l);
			/* a phrase past max_line finds the line, whose cut text lacks it */
			if (memmem(l.ptr, l.len, "Accepted ", 9) || memmem(l.ptr, l.len, "Failed ", 7))
				put_line(&k->out, &l);
		}
	} else {
		while (ax_logblock_next(b, &l))
			put_line(&k->out, &l);
	}
	ax_logblock_last(b, &l);
	snprintf(k->last, sizeof(k->last), "%.*s", (int)(l.len < 60 ? l.len : 60), l.ptr);
	return 0;
}

static int scan_all(const char *path, size_t max_line, size_t window, struct bulk *k)
{
	struct ax_logread *r;
	int rc = ax_logread_open(&r, path, max_line);
	if (rc < 0)
		return rc;
	if (window)
		ax_logread_set_window(r, window);
	rc = ax_logread_scan(r, on_block, k);
	ax_logread_free(r);
	return rc;
}

/* Lines of every length around max_line (256) and the window (3 pages):
 * the bulk path must give what the line reader gives, line for line. */
static void test_bulk(void)
{
	struct ax_buf text = AX_BUF_INIT, want = AX_BUF_INIT, hits = AX_BUF_INIT;
	unsigned seed = 7;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 1103515245 + 12345;
		size_t len = (seed >> 16) % 700;
		if (i % 7 == 0)
			ax_buf_puts(&text, "Nov 29 10:00:01 mx sshd[9]: Failed password for x from 192.0.2.1 port 2 ssh2");
		for (size_t j = 0; j < len; j++)
			ax_buf_putc(&text, (char)('a' + (j + i) % 26));
		if (i % 11 == 0)
			ax_buf_puts(&text, " Accepted ");
		if (i % 13 == 0)
			ax_buf_putc(&text, '\r');
		ax_buf_putc(&text, '\n');
	}
	ax_buf_puts(&text, "tail without newline");
	char *p = t_write("bulk.log", ax_buf_cstr(&text));
	T_EQ_INT(read_all(p, 256, &want), 0);

	struct bulk k;
	memset(&k, 0, sizeof(k));
	T_EQ_INT(scan_all(p, 256, 1, &k), 0); /* smallest window: max_line + 2 pages */
	T_OK(k.blocks > 30);
	T_EQ_INT(k.out.size, want.size);
	T_EQ_STR(ax_buf_cstr(&k.out), ax_buf_cstr(&want));
	T_EQ_STR(k.last, "tail without newline");
	ax_buf_free(&k.out);
	memset(&k, 0, sizeof(k));
	T_EQ_INT(scan_all(p, 256, 0, &k), 0); /* one window: the lines, then the unterminated one */
	T_EQ_INT(k.blocks, 2);
	T_EQ_STR(ax_buf_cstr(&k.out), ax_buf_cstr(&want));
	ax_buf_free(&k.out);

	/* the phrase search finds exactly the lines holding a phrase */
	static const char *const phrases[] = {"Accepted ", "Failed "};
	struct ax_needles nd;
	ax_needles_init(&nd, phrases, 2);
	struct ax_logread *r;
	struct ax_logline l;
	T_EQ_INT(ax_logread_open(&r, p, 256), 0);
	while (ax_logread_next(r, &l) > 0)
		if (memmem(l.ptr, l.len, "Accepted ", 9) || memmem(l.ptr, l.len, "Failed ", 7))
			put_line(&hits, &l);
	ax_logread_free(r);
	memset(&k, 0, sizeof(k));
	k.needles = &nd;
	T_EQ_INT(scan_all(p, 256, 1, &k), 0);
	T_OK(hits.size > 1000);
	T_EQ_STR(ax_buf_cstr(&k.out), ax_buf_cstr(&hits));
	ax_buf_free(&k.out);
	free(p);

	/* gzip goes through the same blocks */
	p = write_gz("bulk.log.gz", ax_buf_cstr(&text), 0);
	memset(&k, 0, sizeof(k));
	T_EQ_INT(scan_all(p, 256, 0, &k), 0);
	T_EQ_STR(ax_buf_cstr(&k.out), ax_buf_cstr(&want));
	ax_buf_free(&k.out);
	free(p);

	/* truncated (logrotate copytruncate) between two windows: an error */
	p = t_write("shrink.log", ax_buf_cstr(&text));
	memset(&k, 0, sizeof(k));
	k.truncate_path = p;
	T_EQ_INT(scan_all(p, 256, 1, &k), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "shrink.log:");
	T_CONTAINS(ax_error_last(), "file shrank while reading");
	ax_buf_free(&k.out);
	free(p);
	/* ... and while mapped: the SIGBUS on the vanished pages is that error too */
	p = t_write("shrink2.log", ax_buf_cstr(&text));
	memset(&k, 0, sizeof(k));
	k.truncate_path = p;
	k.touch_after = 1;
	T_EQ_INT(scan_all(p, 256, 1, &k), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "shrink2.log:");
	T_CONTAINS(ax_error_last(), "file shrank while reading");
	ax_buf_free(&k.out);
	free(p);
	/* the reader works again afterwards (the guard is not left armed) */
	p = t_write("after.log", "one\ntwo\n");
	memset(&k, 0, sizeof(k));
	T_EQ_INT(scan_all(p, 0, 0, &k), 0);
	T_EQ_STR(ax_buf_cstr(&k.out), "1:one|2:two|");
	ax_buf_free(&k.out);
	free(p);

	/* counting newlines: vector steps and the scalar tail */
	T_EQ_INT(ax_count_newlines(text.ptr, text.ptr + text.size), 3000);
	T_EQ_INT(ax_count_newlines(text.ptr, text.ptr), 0);
	ax_buf_free(&text);
	ax_buf_free(&want);
	ax_buf_free(&hits);
}

struct stamp {
	const char *text;
	const char *want; /* RFC 3339 UTC, or NULL: not a stamp */
	size_t used;
};

static void test_stamps(void)
{
	static const struct stamp rows[] = {
		{"Nov 29 10:00:01 mx sshd[1]: x", "2026-11-29T10:00:01Z", 15},
		{"Nov  2 03:04:05 mx", "2026-11-02T03:04:05Z", 15},
		{"Nov 30 11:00:00 x", "2026-11-30T11:00:00Z", 15}, /* within a day of now */
		{"Dec 24 18:00:00 x", "2025-12-24T18:00:00Z", 15}, /* would be future: last year */
		{"Feb 29 00:00:00 x", "2026-03-01T00:00:00Z", 15},  /* not checked against the calendar */
		{"2026-11-29T10:00:01.123456+01:00 mx", "2026-11-29T09:00:01Z", 32},
		{"2026-11-29T10:00:01Z", "2026-11-29T10:00:01Z", 20},
		{"2026-11-29 10:00:01 x", "2026-11-29T10:00:01Z", 19},
		{"2026/11/29 10:00:01 [error]", "2026-11-29T10:00:01Z", 19},
		{"[29/Nov/2026:10:00:01 -0230] \"GET", "2026-11-29T12:30:01Z", 28},
		{"29/Nov/2026:10:00:01 +0000", "2026-11-29T10:00:01Z", 26},
		{"Nov 29 25:00:01 x", NULL, 0},
		{"Foo 29 10:00:01 x", NULL, 0},
		{"Nov 29 10:00", NULL, 0},
		{"2026-13-01T00:00:00Z", NULL, 0},
		{"[29/Nov/2026:10:00:01]", NULL, 0},
		{"", NULL, 0},
		{"\xff\xfe", NULL, 0},
	};
	struct ax_logclock c;
	int64_t now;
	T_EQ_INT(ax_time_parse("2026-11-29T12:00:00Z", &now), 0);
	ax_logclock_init(&c, now);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t t = 0;
		size_t used = 0;
		int rc = ax_logtime_parse(&c, rows[i].text, strlen(rows[i].text), &t, &used);
		if (!rows[i].want) {
			if (rc == 0)
				t_fail(__FILE__, __LINE__, "'%s' parsed as a stamp", rows[i].text);
			t_checks++;
			continue;
		}
		char got[32];
		ax_time_format(t, got);
		T_EQ_INT(rc, 0);
		T_EQ_STR(got, rows[i].want);
		T_EQ_INT(used, rows[i].used);
	}
	T_EQ_INT(ax_days_from_civil(1970, 1, 1), 0);
	T_EQ_INT(ax_days_from_civil(2000, 3, 1), 11017);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_lines();
	test_bulk();
	test_stamps();
	return t_done();
}
