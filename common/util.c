/* util.c - time, durations, hashing and atomic file writes. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "annexa-build.h"

int64_t ax_now(void)
{
	const char *fake = getenv("ANNEXA_NOW");
	if (fake && *fake) {
#if ANNEXA_TEST_CLOCK
		char *end;
		int64_t t;
		long long v = strtoll(fake, &end, 10);
		if (*end == '\0')
			return (int64_t)v;
		if (ax_time_parse(fake, &t) == 0)
			return t;
#else
		/* A release build keeps the real clock: a variable must not be
		 * able to date evidence. Said once per process. */
		static int warned;
		if (!warned) {
			warned = 1;
			fputs("annexa: ANNEXA_NOW ignored: this build has no test clock\n", stderr);
		}
#endif
	}
	return (int64_t)time(NULL);
}

int64_t ax_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ax_time_format(int64_t t, char out[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, 32, "invalid");
		return;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int ax_time_parse(const char *s, int64_t *out)
{
	const char *p = s;
	int Y, M, D, h = 0, m = 0, sec = 0, off = 0;
	if (!s)
		return ax_error_code(AX_EINVALID, "empty time");
	if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
	    digits(&p, 2, &D))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m))
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				goto bad;
		}
		if (*p == '.' || *p == ',') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (digits(&p, 2, &oh))
				goto bad;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om))
				goto bad;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	/* timegm would carry 2027-02-29 into March: a period bound the user
	 * mistyped must be refused, not moved */
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = Y % 4 == 0 && (Y % 100 != 0 || Y % 400 == 0);
	if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) || h > 23 ||
	    m > 59 || sec > 60)
		goto bad;
	struct tm tm = {0};
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) - off;
	return 0;
bad:
	return ax_error_code(AX_EINVALID, "invalid time '%s' (expected RFC 3339, e.g. 2026-11-29T10:00:00Z, or YYYY-MM-DD)", s);
}

int ax_duration_parse(const char *s, int64_t *out)
{
	if (!s || !*s)
		return ax_error_code(AX_EINVALID, "empty duration");
	const char *p = s;
	int64_t v = 0;
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		if (v > (INT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (*p++ - '0');
	}
	int64_t mul = 1;
	switch (*p) {
	case '\0': mul = 1; break;
	case 's': mul = 1; p++; break;
	case 'm': mul = 60; p++; break;
	case 'h': mul = 3600; p++; break;
	case 'd': mul = 86400; p++; break;
	case 'w': mul = 604800; p++; break;
	default: goto bad;
	}
	if (*p != '\0' || v > INT64_MAX / mul)
		goto bad;
	*out = v * mul;
	return 0;
bad:
	return ax_error_code(AX_EINVALID, "invalid duration '%s' (expected e.g. 30s, 15m, 26h, 30d, 52w)", s);
}

void ax_duration_format(int64_t secs, char out[static 32])
{
	static const struct { int64_t mul; char unit; } units[] = {
		{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs > 0 && secs % units[i].mul == 0) {
			snprintf(out, 32, "%lld%c", (long long)(secs / units[i].mul), units[i].unit);
			return;
		}
	}
	snprintf(out, 32, "%llds", (long long)secs);
}

void ax_hex(const unsigned char *bin, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[bin[i] >> 4];
		out[2 * i + 1] = hx[bin[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int ax_unhex(const char *hex, unsigned char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void ax_sha256_hex(const void *data, size_t len, char out[static 65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	ax_hex(md, 32, out);
}

static int file_read(const char *path, size_t max, int head_only, struct ax_buf *out)
{
	/* O_NONBLOCK: opening a FIFO planted at path must not hang */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	int err = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return ax_error_code(AX_ENOTFOUND, "%s: no such file", path);
		return ax_error_set("%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		err = ax_error_set("%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err = ax_error_code(AX_EINVALID, "%s: is a directory", path);
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = ax_error_code(AX_EINVALID, "%s: not a regular file", path);
		goto cleanup;
	}
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = ax_error_set("%s: read: %s", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		if (out->size + (size_t)n > max) {
			if (head_only) {
				ax_buf_put(out, chunk, max - out->size);
				break;
			}
			err = ax_error_code(AX_EINVALID, "%s: larger than %zu bytes", path, max);
			goto cleanup;
		}
		ax_buf_put(out, chunk, (size_t)n);
	}
cleanup:
	close(fd);
	return err;
}

int ax_file_read(const char *path, size_t max, struct ax_buf *out)
{
	return file_read(path, max, 0, out);
}

int ax_file_read_head(const char *path, size_t max, struct ax_buf *out)
{
	return file_read(path, max, 1, out);
}

int ax_fsync_parent(const char *path)
{
	char *dir = ax_strdup(path);
	char *slash = strrchr(dir, '/');
	int err = 0;
	if (!slash) {
		free(dir);
		dir = ax_strdup(".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = ax_error_set("%s: %s", dir, strerror(errno));
	} else {
		if (fsync(fd) < 0 && errno != EINVAL)
			err = ax_error_set("%s: fsync: %s", dir, strerror(errno));
		close(fd);
	}
	free(dir);
	return err;
}

int ax_file_temp(const char *path, unsigned mode, char **tmp_out, int *fd_out)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		unsigned char rnd[8];
		char hex[17];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return ax_error_set("%s: no random bytes for a temporary name: %s", path, strerror(errno));
		ax_hex(rnd, sizeof(rnd), hex);
		char *tmp = ax_asprintf("%s.tmp.%s", path, hex);
		/* O_EXCL|O_NOFOLLOW: a file or symlink planted at the name is an
		 * error, never a target; the kernel applies the umask to mode */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
		if (fd >= 0) {
			*tmp_out = tmp;
			*fd_out = fd;
			return 0;
		}
		int e = errno;
		free(tmp);
		if (e != EEXIST)
			return ax_error_set("%s: cannot create a temporary file next to it: %s", path, strerror(e));
	}
	return ax_error_set("%s: cannot create a temporary file next to it: every name taken", path);
}

int ax_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync and close fd; then link (never replacing) or rename tmp to path. */
static int temp_finish(char *tmp, int fd, const char *path, int replace)
{
	int err = 0;
	if (fsync(fd) < 0)
		err = ax_error_set("%s: fsync: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !err)
		err = ax_error_set("%s: close: %s", tmp, strerror(errno));
	if (!err && replace && rename(tmp, path) < 0)
		err = ax_error_set("%s: cannot rename into place: %s", path, strerror(errno));
	if (!err && !replace && link(tmp, path) < 0)
		err = errno == EEXIST ? ax_error_code(AX_EEXISTS, "%s exists: refusing to overwrite it", path)
				      : ax_error_set("%s: cannot create: %s", path, strerror(errno));
	if (err || !replace)
		unlink(tmp);
	if (!err)
		err = ax_fsync_parent(path);
	return err;
}

int ax_file_temp_commit(char *tmp, int fd, const char *path)
{
	return temp_finish(tmp, fd, path, 1);
}

static int write_via_temp(const char *path, const void *data, size_t len, unsigned mode, int replace)
{
	char *tmp = NULL;
	int fd, err = ax_file_temp(path, mode, &tmp, &fd);
	if (err < 0)
		return err;
	if (ax_write_all(fd, data, len) < 0) {
		err = ax_error_set("%s: write: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
	} else {
		err = temp_finish(tmp, fd, path, replace);
	}
	free(tmp);
	return err;
}

int ax_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	return write_via_temp(path, data, len, mode, 1);
}

int ax_file_write_new(const char *path, const void *data, size_t len, unsigned mode)
{
	return write_via_temp(path, data, len, mode, 0);
}

int ax_file_append(const char *path, const void *data, size_t len, const char *what)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600), err = 0;
	if (fd < 0)
		return ax_error_set("%s %s: %s", what, path, strerror(errno));
	if (ax_write_all(fd, data, len) < 0 || fsync(fd) < 0)
		err = ax_error_set("%s %s: writing: %s", what, path, strerror(errno));
	close(fd);
	return err;
}

char *ax_path_resolve(const char *base_file, const char *rel)
{
	if (!rel)
		return NULL;
	if (rel[0] == '/' || !base_file)
		return ax_strdup(rel);
	const char *slash = strrchr(base_file, '/');
	if (!slash)
		return ax_strdup(rel);
	return ax_asprintf("%.*s/%s", (int)(slash - base_file), base_file, rel);
}

int ax_id_valid(const char *s, size_t max)
{
	size_t n = 0;
	if (!s || !isalnum((unsigned char)s[0]))
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n <= max;
}

/* Columns a UTF-8 string takes (continuation bytes take none). */
static size_t columns(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

void ax_wrap(FILE *out, size_t *col, const char *text, size_t indent)
{
	const char *p = text ? text : "";
	int first = 1, at_start = 0;
	while (*p) {
		size_t blanks = 0, n = 0;
		while (p[blanks] == ' ')
			blanks++;
		p += blanks;
		while (p[n] && p[n] != ' ')
			n++;
		if (!n)
			break;
		/* one space between words, none at the start of a line; before
		 * the first word only when the caller's text ends left of it */
		size_t w = columns(p, n), lead = at_start ? 0 : first ? *col > indent : 1;
		first = 0;
		if (*col + lead + w > AX_TERM_WIDTH && *col > indent) {
			fprintf(out, "\n%*s", (int)indent, "");
			*col = indent;
			lead = 0;
		}
		at_start = 0;
		if (lead) {
			fputc(' ', out);
			(*col)++;
		}
		/* a word wider than the line (a path, a hash) is cut where the line ends */
		while (*col + w > AX_TERM_WIDTH && AX_TERM_WIDTH > indent + 8) {
			size_t room = AX_TERM_WIDTH - *col, k = 0, c = 0;
			while (k < n && c < room) {
				k++;
				while (k < n && ((unsigned char)p[k] & 0xc0) == 0x80)
					k++;
				c++;
			}
			for (size_t i = 0; i < k; i++)
				fputc((unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i], out);
			fprintf(out, "\n%*s", (int)indent, "");
			*col = indent;
			p += k;
			n -= k;
			w = columns(p, n);
			at_start = 1;
		}
		for (size_t i = 0; i < n; i++)
			fputc((unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i], out);
		*col += w;
		p += n;
	}
}

void ax_wrap_help(FILE *out, const char *text)
{
	struct ax_buf line = AX_BUF_INIT;
	for (const char *p = text ? text : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p), lead = 0, desc = 0;
		/* lines of a paragraph (not indented) are one text, wrapped anew */
		if (n && p[0] != ' ' && strncmp(p, "usage: ", 7) != 0) {
			ax_buf_clear(&line);
			while (n && p[0] != ' ') {
				ax_buf_printf(&line, "%s%.*s", line.size ? " " : "", (int)n, p);
				p += n + (nl != NULL);
				if (!nl)
					break;
				nl = strchr(p, '\n');
				n = nl ? (size_t)(nl - p) : strlen(p);
			}
			size_t col = 0;
			ax_wrap(out, &col, ax_buf_cstr(&line), 0);
			fputc('\n', out);
			continue;
		}
		while (lead < n && p[lead] == ' ')
			lead++;
		/* the description starts after the first gap of two blanks */
		for (size_t i = lead; i + 2 < n; i++) {
			if (p[i] == ' ' && p[i + 1] == ' ') {
				desc = i;
				while (desc < n && p[desc] == ' ')
					desc++;
				break;
			}
		}
		if (desc >= n || desc > AX_TERM_WIDTH / 2)
			desc = 0;
		size_t head = desc ? desc : lead, col = head;
		fwrite(p, 1, head, out);
		ax_buf_clear(&line);
		ax_buf_put(&line, p + head, n - head);
		ax_wrap(out, &col, ax_buf_cstr(&line), desc ? desc : lead ? lead + 4 : n && p[0] == 'u' ? 7 : 0);
		if (nl)
			fputc('\n', out);
		p += n + (nl != NULL);
	}
	ax_buf_free(&line);
}

int ax_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp, min;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, UTF-16 surrogates and beyond U+10FFFF */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

long ax_base64_decode(const char *v, size_t len, unsigned char **out)
{
	struct ax_buf clean = AX_BUF_INIT;
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", v[i]) || !v[i])
			ax_buf_putc(&clean, v[i]);
	long n = -1;
	*out = NULL;
	if (clean.size % 4 == 0 && clean.size > 0 && clean.size < 1 << 16 && !memchr(clean.ptr, '\0', clean.size)) {
		*out = ax_malloc(clean.size / 4 * 3 + 1);
		int r = EVP_DecodeBlock(*out, (const unsigned char *)clean.ptr, (int)clean.size);
		if (r >= 0) {
			n = r;
			/* EVP_DecodeBlock counts the padding as zero bytes */
			for (size_t i = clean.size; i > 0 && clean.ptr[i - 1] == '='; i--)
				n--;
		}
	}
	ax_buf_free(&clean);
	if (n < 0) {
		free(*out);
		*out = NULL;
	}
	return n;
}
