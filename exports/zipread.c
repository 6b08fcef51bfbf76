/* zipread.c - the strict ZIP reader of zipread.h.
 *
 * The family accepted is what annexa's writer (libarchive, bundle.c)
 * produces, plus what a plain rewrite by Python's zipfile produces:
 * stored or deflated entries, sizes in the local header or in a data
 * descriptor (with its signature; 8-byte sizes when the local header
 * carries a Zip64 field), Zip64 fields and end records exactly where
 * APPNOTE 4.3.14-4.3.16 and 4.5.3 put them. Extra fields are allowed only
 * when no common tool reads a different name, type or size from them
 * (Unicode path fields 0x7075 are refused: unzip and 7-Zip extract under
 * that name). Everything is checked from the declared sizes before any
 * byte is inflated, so limits hold before work is spent. */
#include "zipread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "error.h"
#include "util.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_DESC 0x08074b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define MAX_NAME 1024
#define MAX_EXTRA 512
#define CHUNK 65536
#define U32MAX 0xffffffffu

struct ax_zip {
	int fd;
	const unsigned char *mem;
	uint64_t size;
	struct ax_zip_entry *e;
	size_t n;
	size_t *byname;
};

static int bad(const char *fmt, ...) AX_PRINTF(1, 2);
static int bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ax_error_code(AX_EINVALID, "bundle is not a ZIP this verifier accepts: %s", msg);
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Exactly len bytes at off, or AX_EINVALID naming what was cut off. */
static int read_at(const struct ax_zip *z, uint64_t off, size_t len, void *dst, const char *what)
{
	if (off > z->size || len > z->size - off)
		return bad("%s at offset %llu runs past the end of the file (truncated?)", what, (unsigned long long)off);
	if (z->mem) {
		memcpy(dst, z->mem + off, len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(z->fd, (char *)dst + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ax_error_set("bundle: read error: %s", strerror(errno));
		if (r == 0)
			return bad("%s at offset %llu: the file ended early", what, (unsigned long long)off);
		done += (size_t)r;
	}
	return 0;
}

/* Names bytes that belong to no structure, from pos to end. */
static int gap_error(const struct ax_zip *z, uint64_t pos, uint64_t end, const char *before)
{
	unsigned char sig[4] = {0};
	unsigned long long n = (unsigned long long)(end - pos);
	if (end - pos >= 4 && read_at(z, pos, 4, sig, "gap") == 0 &&
	    (le32(sig) == SIG_CENTRAL || le32(sig) == SIG_END || le32(sig) == SIG_END64))
		return bad("a second central directory or end record at offset %llu (%llu bytes outside the one "
			   "read)", (unsigned long long)pos, n);
	if (pos == 0)
		return bad("%llu bytes before the first entry (data in front of the ZIP)", n);
	return bad("%llu bytes outside any entry at offset %llu, before %.200s", n, (unsigned long long)pos,
		   before);
}

/* Zip64 values of an extra field: which fixed fields were 0xffffffff,
 * and the 8-byte values that replace them, in APPNOTE's order. */
struct z64 {
	uint64_t *field[3];
	size_t nfield;
	int present;
};

/* Walks an extra field: well formed, only known ids, none twice; fills
 * the Zip64 values into the fields that asked for them. */
static int parse_extra(const unsigned char *x, size_t len, struct z64 *z, const char *where, const char *name)
{
	uint16_t seen[32];
	size_t nseen = 0;
	while (len > 0) {
		if (len < 4)
			return bad("%s of %.200s: extra field is cut short", where, name);
		uint16_t id = le16(x), sz = le16(x + 2);
		if (sz > len - 4)
			return bad("%s of %.200s: extra field 0x%04x runs past its end", where, name, id);
		for (size_t i = 0; i < nseen; i++)
			if (seen[i] == id)
				return bad("%s of %.200s: extra field 0x%04x appears twice", where, name, id);
		if (nseen == sizeof(seen) / sizeof(seen[0]))
			return bad("%s of %.200s: too many extra fields", where, name);
		seen[nseen++] = id;
		switch (id) {
		case 0x0001: /* Zip64 */
			if (sz != 8 * z->nfield)
				return bad("%s of %.200s: Zip64 field holds %u bytes, the header asks for %zu values", where,
					   name, sz, z->nfield);
			for (size_t i = 0; i < z->nfield; i++)
				*z->field[i] = le64(x + 4 + 8 * i);
			z->present = 1;
			break;
		case 0x5455: /* extended timestamp */
		case 0x7875: /* Unix UID/GID */
		case 0x5855: /* old Unix times/ids */
		case 0x000a: /* NTFS times */
			break;
		default:
			return bad("%s of %.200s: extra field 0x%04x is not accepted (other ZIP tools may read another "
				   "name or type from it)", where, name, id);
		}
		x += 4 + sz;
		len -= 4 + (size_t)sz;
	}
	if (z->nfield && !z->present)
		return bad("%s of %.200s: sizes say Zip64 but there is no Zip64 field", where, name);
	return 0;
}

/* A local header's CRC or size where the data descriptor carries the
 * real one: 0 or the real value are what writers put there. */
static int lh_value_ok(uint64_t lh, uint64_t real, int descriptor)
{
	return lh == real || (descriptor && lh == 0);
}

/* Checks the local header (and data descriptor) of e against the central
 * directory's view, from offset *pos; advances *pos past the entry. */
static int check_local(struct ax_zip *z, struct ax_zip_entry *e, uint16_t flags, uint16_t vneed, uint64_t limit,
		       uint64_t *pos)
{
	unsigned char h[30], *rest = NULL;
	int err;
	if (e->offset < *pos)
		return bad("entry %.200s overlaps the entry before it", e->name);
	if (e->offset > *pos)
		return gap_error(z, *pos, e->offset, e->name);
	if ((err = read_at(z, e->offset, 30, h, "local header")) < 0)
		return err;
	uint16_t nlen = le16(h + 26), xlen = le16(h + 28);
	if (le32(h) != SIG_LOCAL)
		return bad("no local header where the central directory puts %.200s", e->name);
	if (le16(h + 4) != vneed || le16(h + 6) != flags || le16(h + 8) != e->method)
		return bad("local header of %.200s disagrees with the central directory (version, flags or method)",
			   e->name);
	if (nlen != strlen(e->name) || xlen > MAX_EXTRA)
		return bad("local header of %.200s: name or extra field length disagrees", e->name);
	rest = ax_malloc((size_t)nlen + xlen + 1);
	if ((err = read_at(z, e->offset + 30, (size_t)nlen + xlen, rest, "local header")) < 0)
		goto cleanup;
	if (memcmp(rest, e->name, nlen) != 0) {
		err = bad("local header names %.*s, the central directory %.200s", (int)(nlen > 200 ? 200 : nlen),
			  (const char *)rest, e->name);
		goto cleanup;
	}
	uint64_t crc = le32(h + 14), csz = le32(h + 18), usz = le32(h + 22);
	struct z64 x = {0};
	if (usz == U32MAX)
		x.field[x.nfield++] = &usz;
	if (csz == U32MAX)
		x.field[x.nfield++] = &csz;
	if ((err = parse_extra(rest + nlen, xlen, &x, "local header", e->name)) < 0)
		goto cleanup;
	int desc = (flags & 0x08) != 0;
	if (!lh_value_ok(crc, e->crc, desc) || !lh_value_ok(csz, e->csize, desc) || !lh_value_ok(usz, e->usize, desc)) {
		err = bad("local header of %.200s disagrees with the central directory (CRC or sizes)", e->name);
		goto cleanup;
	}
	e->data = e->offset + 30 + nlen + xlen;
	if (e->data > limit || e->csize > limit - e->data) {
		err = bad("data of %.200s runs into the central directory", e->name);
		goto cleanup;
	}
	*pos = e->data + e->csize;
	if (desc) {
		unsigned char d[24];
		size_t dlen = x.present ? 24 : 16;
		if (dlen > limit - *pos) {
			err = bad("data descriptor of %.200s runs into the central directory", e->name);
			goto cleanup;
		}
		if ((err = read_at(z, *pos, dlen, d, "data descriptor")) < 0)
			goto cleanup;
		uint64_t dc = x.present ? le64(d + 8) : le32(d + 8), du = x.present ? le64(d + 16) : le32(d + 12);
		if (le32(d) != SIG_DESC || le32(d + 4) != e->crc || dc != e->csize || du != e->usize) {
			err = bad("data descriptor of %.200s disagrees with the central directory", e->name);
			goto cleanup;
		}
		*pos += dlen;
	}
cleanup:
	free(rest);
	return err;
}

struct endrec {
	uint64_t entries, cd_size, cd_off, cd_end;
};

/* The end record as the last 22 bytes; Zip64 records right before it when
 * the locator is there. Names a comment or trailing bytes. */
static int find_end(struct ax_zip *z, struct endrec *r)
{
	unsigned char e[22], loc[20], e64[56];
	int err;
	if (z->size < 22)
		return bad("the file is %llu bytes, too short for a ZIP", (unsigned long long)z->size);
	if ((err = read_at(z, z->size - 22, 22, e, "end record")) < 0)
		return err;
	if (le32(e) != SIG_END || le16(e + 20) != 0) {
		/* say why: a comment, bytes after the end, or no end at all */
		size_t tail = z->size < 65557 ? (size_t)z->size : 65557;
		unsigned char *t = ax_malloc(tail);
		const char *why = "no end-of-central-directory record at its end (truncated, or not a ZIP)";
		if (read_at(z, z->size - tail, tail, t, "end record") == 0) {
			for (size_t i = tail - 22 + 1; i-- > 0;) {
				if (le32(t + i) != SIG_END)
					continue;
				why = (size_t)le16(t + i + 20) == tail - i - 22
					      ? "it carries a ZIP comment (annexa writes none; ZIP tools disagree on where "
						"such a file ends)"
					      : "bytes follow its end-of-central-directory record";
				break;
			}
		}
		free(t);
		return bad("%s", why);
	}
	if (le16(e + 4) != 0 || le16(e + 6) != 0 || le16(e + 8) != le16(e + 10))
		return bad("end record describes a multi-disk archive");
	r->entries = le16(e + 10);
	r->cd_size = le32(e + 12);
	r->cd_off = le32(e + 16);
	r->cd_end = z->size - 22;
	if (z->size >= 22 + 20 + 56) {
		if ((err = read_at(z, z->size - 42, 20, loc, "Zip64 locator")) < 0)
			return err;
		if (le32(loc) == SIG_LOC64) {
			uint64_t at = le64(loc + 8);
			if (le32(loc + 4) != 0 || le32(loc + 16) != 1 || at != z->size - 42 - 56)
				return bad("Zip64 end locator does not point right before itself");
			if ((err = read_at(z, at, 56, e64, "Zip64 end record")) < 0)
				return err;
			if (le32(e64) != SIG_END64 || le64(e64 + 4) != 44 || le16(e64 + 14) > 45 || le32(e64 + 16) != 0 ||
			    le32(e64 + 20) != 0 || le64(e64 + 24) != le64(e64 + 32))
				return bad("Zip64 end record is malformed or has extensible data");
			uint64_t n = le64(e64 + 32), sz = le64(e64 + 40), off = le64(e64 + 48);
			/* each 32-bit field is the true value or says "see Zip64" */
			if ((r->entries != n && r->entries != 0xffff) || (r->cd_size != sz && r->cd_size != U32MAX) ||
			    (r->cd_off != off && r->cd_off != U32MAX))
				return bad("end record and Zip64 end record disagree");
			r->entries = n;
			r->cd_size = sz;
			r->cd_off = off;
			r->cd_end = at;
		}
	}
	if (r->cd_off > r->cd_end || r->cd_size != r->cd_end - r->cd_off)
		return bad("central directory does not end where the end records begin (%llu bytes at offset %llu)",
			   (unsigned long long)r->cd_size, (unsigned long long)r->cd_off);
	return 0;
}

/* One central directory entry at cd[*p]; checks it and its local entry. */
static int central_entry(struct ax_zip *z, const unsigned char *cd, size_t cdlen, size_t *p, uint64_t cd_off,
			 uint64_t *pos, struct ax_zip_entry *e)
{
	const unsigned char *h = cd + *p;
	if (cdlen - *p < 46 || le32(h) != SIG_CENTRAL)
		return bad("central directory entry %zu is malformed", z->n + 1);
	uint16_t vneed = le16(h + 6), flags = le16(h + 8), method = le16(h + 10);
	uint16_t nlen = le16(h + 28), xlen = le16(h + 30), clen = le16(h + 32), disk = le16(h + 34);
	uint32_t ext = le32(h + 38);
	if (nlen == 0 || nlen > MAX_NAME || xlen > MAX_EXTRA || (size_t)nlen + xlen + clen > cdlen - *p - 46)
		return bad("central directory entry %zu: bad name or extra field length", z->n + 1);
	e->name = ax_strndup((const char *)h + 46, nlen);
	if (strlen(e->name) != nlen)
		return bad("central directory entry %zu: name holds a NUL byte", z->n + 1);
	if (clen)
		return bad("%.200s has a file comment (annexa writes none)", e->name);
	if (vneed > 45)
		return bad("%.200s needs ZIP version %u.%u features", e->name, vneed / 10, vneed % 10);
	if (flags & ~0x080eu)
		return bad("%.200s uses general purpose flags 0x%04x (encryption or other features)", e->name, flags);
	if (method != 0 && method != 8)
		return bad("%.200s uses compression method %u (only stored and deflate)", e->name, method);
	if (method == 0 && (flags & 0x08))
		return bad("%.200s is stored with a data descriptor (its end cannot be found without the directory)",
			   e->name);
	unsigned mode = ext >> 16;
	/* Unix type bits, whatever host wrote them: unzip may honour them */
	if ((ext & 0x10) || ((mode & 0170000) && (mode & 0170000) != 0100000))
		return bad("%.200s is not a regular file (Unix mode %o)", e->name, mode);
	e->method = method;
	e->crc = le32(h + 16);
	e->csize = le32(h + 20);
	e->usize = le32(h + 24);
	e->offset = le32(h + 42);
	struct z64 x = {0};
	if (e->usize == U32MAX)
		x.field[x.nfield++] = &e->usize;
	if (e->csize == U32MAX)
		x.field[x.nfield++] = &e->csize;
	if (e->offset == U32MAX)
		x.field[x.nfield++] = &e->offset;
	if (disk == 0xffff)
		return bad("%.200s: Zip64 disk numbers are not accepted", e->name);
	int err = parse_extra(h + 46 + nlen, xlen, &x, "central directory entry", e->name);
	if (err < 0)
		return err;
	if (disk != 0)
		return bad("%.200s starts on another disk", e->name);
	if (method == 0 && e->csize != e->usize)
		return bad("%.200s is stored but its sizes differ", e->name);
	*p += 46 + (size_t)nlen + xlen;
	return check_local(z, e, flags, vneed, cd_off, pos);
}

static int limits_check(const struct ax_zip_limits *l, const struct ax_zip_entry *e, uint64_t *total)
{
	uint64_t max_entry = l && l->max_entry_size ? l->max_entry_size : (4ULL << 30);
	uint64_t max_total = l && l->max_total_size ? l->max_total_size : (64ULL << 30);
	uint64_t ratio = l && l->max_ratio ? l->max_ratio : 256;
	if (e->usize > max_entry)
		return ax_error_code(AX_EINVALID, "bundle entry %.200s declares %llu bytes, more than the verifier's "
				     "limit of %llu", e->name, (unsigned long long)e->usize, (unsigned long long)max_entry);
	if (e->usize > (1u << 20) && e->usize / ratio > e->csize)
		return ax_error_code(AX_EINVALID, "bundle entry %.200s would inflate %llu bytes to %llu, more than "
				     "%llu times (the verifier's limit)", e->name, (unsigned long long)e->csize,
				     (unsigned long long)e->usize, (unsigned long long)ratio);
	*total += e->usize;
	if (*total > max_total)
		return ax_error_code(AX_EINVALID, "bundle entries declare more than the verifier's limit of %llu bytes "
				     "in all", (unsigned long long)max_total);
	return 0;
}

static int cmp_name(const void *a, const void *b, void *arg)
{
	const struct ax_zip_entry *e = arg;
	return strcmp(e[*(const size_t *)a].name, e[*(const size_t *)b].name);
}

static int open_common(struct ax_zip *z, const struct ax_zip_limits *l, struct ax_zip **out)
{
	struct endrec r = {0};
	unsigned char *cd = NULL;
	uint64_t max_entries = l && l->max_entries ? l->max_entries : 200000, pos = 0, total = 0;
	size_t p = 0;
	int err;
	*out = NULL;
	if ((err = find_end(z, &r)) < 0)
		goto cleanup;
	if (r.entries > max_entries) {
		err = ax_error_code(AX_EINVALID, "bundle has %llu entries, more than the verifier's limit of %llu",
				    (unsigned long long)r.entries, (unsigned long long)max_entries);
		goto cleanup;
	}
	if (r.cd_size > r.entries * (46 + MAX_NAME + MAX_EXTRA) || r.cd_size < r.entries * 46) {
		err = bad("central directory of %llu bytes cannot hold %llu entries", (unsigned long long)r.cd_size,
			  (unsigned long long)r.entries);
		goto cleanup;
	}
	cd = ax_malloc((size_t)r.cd_size + 1);
	if ((err = read_at(z, r.cd_off, (size_t)r.cd_size, cd, "central directory")) < 0)
		goto cleanup;
	z->e = ax_calloc((size_t)r.entries + 1, sizeof(*z->e));
	for (uint64_t i = 0; i < r.entries; i++) {
		struct ax_zip_entry *e = &z->e[z->n];
		err = central_entry(z, cd, (size_t)r.cd_size, &p, r.cd_off, &pos, e);
		z->n++; /* owned from here, even half-filled */
		if (err < 0 || (err = limits_check(l, e, &total)) < 0)
			goto cleanup;
	}
	if (p != r.cd_size) {
		err = bad("%llu bytes in the central directory after its last entry",
			  (unsigned long long)(r.cd_size - p));
		goto cleanup;
	}
	if (pos != r.cd_off) {
		err = gap_error(z, pos, r.cd_off, "the central directory");
		goto cleanup;
	}
	z->byname = ax_calloc(z->n + 1, sizeof(*z->byname));
	for (size_t i = 0; i < z->n; i++)
		z->byname[i] = i;
	qsort_r(z->byname, z->n, sizeof(*z->byname), cmp_name, z->e);
	for (size_t i = 1; i < z->n; i++)
		if (strcmp(z->e[z->byname[i]].name, z->e[z->byname[i - 1]].name) == 0) {
			err = ax_error_code(AX_EINVALID, "bundle entry %.200s appears twice", z->e[z->byname[i]].name);
			goto cleanup;
		}
	*out = z;
	z = NULL;
cleanup:
	free(cd);
	ax_zip_free(z);
	return err;
}

int ax_zip_open_fd(int fd, const struct ax_zip_limits *lim, struct ax_zip **out)
{
	struct ax_zip *z = ax_calloc(1, sizeof(*z));
	off_t end = lseek(fd, 0, SEEK_END);
	z->fd = fd;
	if (end < 0) {
		int e = errno;
		free(z);
		*out = NULL;
		return ax_error_set("bundle: cannot seek: %s", strerror(e));
	}
	z->size = (uint64_t)end;
	return open_common(z, lim, out);
}

int ax_zip_open_mem(const void *data, size_t len, const struct ax_zip_limits *lim, struct ax_zip **out)
{
	struct ax_zip *z = ax_calloc(1, sizeof(*z));
	z->fd = -1;
	z->mem = data ? data : (const unsigned char *)"";
	z->size = len;
	return open_common(z, lim, out);
}

void ax_zip_free(struct ax_zip *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++)
		free(z->e[i].name);
	free(z->e);
	free(z->byname);
	free(z);
}

size_t ax_zip_count(const struct ax_zip *z)
{
	return z->n;
}

const struct ax_zip_entry *ax_zip_get(const struct ax_zip *z, size_t i)
{
	return i < z->n ? &z->e[i] : NULL;
}

long ax_zip_find(const struct ax_zip *z, const char *name)
{
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(z->e[z->byname[mid]].name, name);
		if (c == 0)
			return (long)z->byname[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct ax_zip_stream {
	struct ax_zip *z;
	const struct ax_zip_entry *e;
	unsigned char *in, *out;
	uint64_t left, produced;
	uLong crc;
	z_stream zs;
	int inflating, ended, done;
};

int ax_zip_stream_open(struct ax_zip *z, size_t i, struct ax_zip_stream **out)
{
	struct ax_zip_stream *s;
	*out = NULL;
	if (i >= z->n)
		return ax_error_set("zip: no entry %zu", i);
	s = ax_calloc(1, sizeof(*s));
	s->z = z;
	s->e = &z->e[i];
	s->in = ax_malloc(CHUNK);
	s->out = ax_malloc(CHUNK);
	s->left = s->e->csize;
	s->crc = crc32(0L, Z_NULL, 0);
	if (s->e->method == 8) {
		if (inflateInit2(&s->zs, -15) != Z_OK) {
			ax_zip_stream_free(s);
			return ax_error_set("zip: zlib cannot start");
		}
		s->inflating = 1;
	}
	*out = s;
	return 0;
}

void ax_zip_stream_free(struct ax_zip_stream *s)
{
	if (!s)
		return;
	if (s->inflating)
		inflateEnd(&s->zs);
	free(s->in);
	free(s->out);
	free(s);
}

static int stream_fail(struct ax_zip_stream *s, int err)
{
	s->done = 1;
	return err;
}

/* Reads the next compressed chunk into s->in. */
static int refill(struct ax_zip_stream *s, size_t *n)
{
	*n = s->left < CHUNK ? (size_t)s->left : CHUNK;
	int err = read_at(s->z, s->e->data + (s->e->csize - s->left), *n, s->in, "entry data");
	s->left -= *n;
	return err;
}

int ax_zip_stream_next(struct ax_zip_stream *s, const void **data, size_t *len)
{
	const struct ax_zip_entry *e = s->e;
	size_t n;
	int err;
	*len = 0;
	if (s->done)
		return 0;
	if (!s->inflating && s->left > 0) {
		if ((err = refill(s, &n)) < 0)
			return stream_fail(s, err);
		s->produced += n;
		s->crc = crc32(s->crc, s->in, (uInt)n);
		*data = s->in;
		*len = n;
		return 0;
	}
	while (s->inflating && !s->ended) {
		if (s->zs.avail_in == 0 && s->left > 0) {
			if ((err = refill(s, &n)) < 0)
				return stream_fail(s, err);
			s->zs.next_in = s->in;
			s->zs.avail_in = (uInt)n;
		}
		s->zs.next_out = s->out;
		s->zs.avail_out = CHUNK;
		int zr = inflate(&s->zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			s->ended = 1;
			if (s->zs.avail_in > 0 || s->left > 0)
				return stream_fail(s, bad("deflate stream of %.200s ends before its compressed size", e->name));
		} else if (zr == Z_BUF_ERROR) {
			return stream_fail(s, bad("deflate data of %.200s ends before its stream does", e->name));
		} else if (zr != Z_OK) {
			return stream_fail(s, bad("deflate data of %.200s is corrupt (%s)", e->name,
						  s->zs.msg ? s->zs.msg : "zlib"));
		}
		size_t got = CHUNK - s->zs.avail_out;
		if (got > e->usize - s->produced)
			return stream_fail(s, bad("%.200s inflates to more than its declared %llu bytes", e->name,
						  (unsigned long long)e->usize));
		s->produced += got;
		s->crc = crc32(s->crc, s->out, (uInt)got);
		if (got) {
			*data = s->out;
			*len = got;
			return 0;
		}
		if (!s->ended && s->zs.avail_in == 0 && s->left == 0)
			return stream_fail(s, bad("deflate data of %.200s ends before its stream does", e->name));
	}
	s->done = 1;
	if (s->produced != e->usize || (uint32_t)s->crc != e->crc)
		return bad("%.200s does not inflate to its declared size and CRC", e->name);
	return 0;
}

int ax_zip_read(struct ax_zip *z, size_t i, ax_bytes_cb cb, void *arg)
{
	struct ax_zip_stream *s = NULL;
	const void *data = NULL;
	size_t len;
	int err = ax_zip_stream_open(z, i, &s);
	while (err == 0) {
		if ((err = ax_zip_stream_next(s, &data, &len)) < 0 || len == 0)
			break;
		err = cb(arg, data, len);
	}
	ax_zip_stream_free(s);
	return err;
}
