/* test_logread.c - the shared log reader: lines, CRLF, over-long lines cut
 * with the rest skipped, gzip read transparently, a truncated .gz reported
 * with file and line, binary bytes passed through; and every timestamp
 * format, including the year inference of classic syslog stamps. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	test_stamps();
	return t_done();
}
