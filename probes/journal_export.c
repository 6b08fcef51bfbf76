/* journal_export.c - streaming reader of `journalctl -o export` files (see
 * journal_export.h for the format and the bounds).
 *
 * One buffer per reader; a value is copied only when its field is one the
 * caller wants, and only up to AX_JOURNAL_VALUE_MAX bytes; binary values
 * of any announced length are skipped as they stream past. */
#include "journal_export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"

#define JOURNAL_BUF (256 * 1024)
#define JOURNAL_NAME_MAX 256

struct ax_journal {
	int fd;
	char *path;
	char *buf;
	size_t start, end; /* unread bytes are buf[start..end) */
	int eof;
	size_t record;
};

int ax_journal_open(struct ax_journal **out, const char *path)
{
	struct ax_journal *j = NULL;
	struct stat st;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_ERROR, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = ax_error_code(AX_EINVALID, "%s: not a regular file", path);
		goto cleanup;
	}
	j = ax_calloc(1, sizeof(*j));
	j->fd = fd;
	fd = -1;
	j->path = ax_strdup(path);
	j->buf = ax_malloc(JOURNAL_BUF);
	j->record = 1;
	*out = j;
cleanup:
	if (fd >= 0)
		close(fd);
	return rc;
}

void ax_journal_free(struct ax_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	free(j->path);
	free(j);
}

static int bad(struct ax_journal *j, const char *what)
{
	return ax_error_code(AX_EINVALID, "%s: record %zu: %s", j->path, j->record, what);
}

/* Compacts and reads more: bytes read, 0 at the end, negative on error. */
static int fill(struct ax_journal *j)
{
	if (j->start > 0) {
		memmove(j->buf, j->buf + j->start, j->end - j->start);
		j->end -= j->start;
		j->start = 0;
	}
	if (j->eof || j->end == JOURNAL_BUF)
		return 0;
	ssize_t n;
	do
		n = read(j->fd, j->buf + j->end, JOURNAL_BUF - j->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ax_error_set("%s: %s", j->path, strerror(errno));
	if (n == 0)
		j->eof = 1;
	j->end += (size_t)n;
	return (int)(n > 0);
}

/* Makes at least n bytes available; 0 when they are, 1 when the file ends first. */
static int need(struct ax_journal *j, size_t n, int *err)
{
	while (j->end - j->start < n) {
		int rc = fill(j);
		if (rc < 0) {
			*err = rc;
			return 1;
		}
		if (rc == 0 && (j->eof || j->end == JOURNAL_BUF))
			return 1;
	}
	return 0;
}

static int name_valid(const char *p, size_t len)
{
	if (!len || len > JOURNAL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (c >= 'a' && c <= 'z')))
			return 0;
	}
	return 1;
}

static struct ax_journal_value *slot_of(struct ax_journal_entry *e, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} kept[] = {
		{"MESSAGE", offsetof(struct ax_journal_entry, message)},
		{"_SYSTEMD_UNIT", offsetof(struct ax_journal_entry, systemd_unit)},
		{"UNIT", offsetof(struct ax_journal_entry, unit)},
		{"USER_UNIT", offsetof(struct ax_journal_entry, user_unit)},
		{"EXIT_STATUS", offsetof(struct ax_journal_entry, exit_status)},
		{"EXIT_CODE", offsetof(struct ax_journal_entry, exit_code)},
		{"JOB_RESULT", offsetof(struct ax_journal_entry, job_result)},
		{"JOB_TYPE", offsetof(struct ax_journal_entry, job_type)},
		{"UNIT_RESULT", offsetof(struct ax_journal_entry, unit_result)},
		{"SYSLOG_IDENTIFIER", offsetof(struct ax_journal_entry, identifier)},
	};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (strlen(kept[i].name) == len && memcmp(kept[i].name, name, len) == 0)
			return (struct ax_journal_value *)((char *)e + kept[i].off);
	return NULL;
}

static void keep(struct ax_journal_value *v, const char *p, size_t len, int binary, int cut)
{
	size_t n = len < AX_JOURNAL_VALUE_MAX ? len : AX_JOURNAL_VALUE_MAX;
	memcpy(v->text, p, n);
	v->text[n] = 0;
	v->len = n;
	v->present = 1;
	v->binary = binary;
	v->cut = cut || n < len;
}

/* __REALTIME_TIMESTAMP: decimal microseconds. */
static int64_t usec_of(const char *p, size_t len)
{
	int64_t v = 0;
	if (!len || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static void field_done(struct ax_journal_entry *e, const char *name, size_t nlen, const char *val, size_t vlen,
		       int binary, int cut)
{
	e->nfields++;
	if (nlen == 20 && memcmp(name, "__REALTIME_TIMESTAMP", 20) == 0) {
		e->realtime_usec = cut ? -1 : usec_of(val, vlen);
		return;
	}
	struct ax_journal_value *v = slot_of(e, name, nlen);
	if (v)
		keep(v, val, vlen, binary, cut);
}

/* A binary field whose name line was just consumed: 64-bit LE length,
 * the value (kept up to the limit, the rest skipped), then "\n". */
static int binary_field(struct ax_journal *j, struct ax_journal_entry *e, const char *name, size_t nlen)
{
	char kept_name[JOURNAL_NAME_MAX];
	char *val = NULL;
	size_t have = 0;
	int err = 0, rc = 0;
	uint64_t len = 0;

	memcpy(kept_name, name, nlen); /* name points into the buffer, which moves */
	if (need(j, 8, &err))
		return err ? err : bad(j, "binary field cut short (no length)");
	for (int i = 7; i >= 0; i--)
		len = (len << 8) | (unsigned char)j->buf[j->start + (size_t)i];
	j->start += 8;
	int wanted = slot_of(e, kept_name, nlen) != NULL || (nlen == 20 && memcmp(kept_name, "__REALTIME_TIMESTAMP", 20) == 0);
	if (wanted)
		val = ax_malloc(AX_JOURNAL_VALUE_MAX);
	for (uint64_t left = len; left > 0;) {
		if (j->start == j->end && need(j, 1, &err)) {
			rc = err ? err : bad(j, "binary field cut short");
			goto cleanup;
		}
		size_t avail = j->end - j->start;
		size_t take = left < avail ? (size_t)left : avail;
		if (val && have < AX_JOURNAL_VALUE_MAX) {
			size_t c = AX_JOURNAL_VALUE_MAX - have < take ? AX_JOURNAL_VALUE_MAX - have : take;
			memcpy(val + have, j->buf + j->start, c);
			have += c;
		}
		j->start += take;
		left -= take;
	}
	if (need(j, 1, &err) || j->buf[j->start] != '\n') {
		rc = err ? err : bad(j, "binary field not followed by a newline");
		goto cleanup;
	}
	j->start++;
	field_done(e, kept_name, nlen, val ? val : "", have, 1, len > have);
cleanup:
	free(val);
	return rc;
}

/* A text line longer than the buffer: keep the start of its value, skip the rest. */
static int overlong_text(struct ax_journal *j, struct ax_journal_entry *e)
{
	char *p = j->buf + j->start;
	char *eq = memchr(p, '=', JOURNAL_NAME_MAX + 1 < j->end - j->start ? JOURNAL_NAME_MAX + 1 : j->end - j->start);
	if (!eq || !name_valid(p, (size_t)(eq - p)))
		return bad(j, "line too long and not a field");
	field_done(e, p, (size_t)(eq - p), eq + 1, (size_t)(j->buf + j->end - eq - 1), 0, 1);
	for (;;) {
		j->start = j->end;
		int rc = fill(j);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return 0; /* the file ends inside the line */
		char *nl = memchr(j->buf, '\n', j->end);
		if (nl) {
			j->start = (size_t)(nl - j->buf) + 1;
			return 0;
		}
	}
}

static void entry_reset(struct ax_journal_entry *e, size_t record)
{
	struct ax_journal_value *vals[] = {&e->message, &e->systemd_unit, &e->unit, &e->user_unit, &e->exit_status,
					   &e->exit_code, &e->job_result, &e->job_type, &e->unit_result, &e->identifier};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		vals[i]->text[0] = 0;
		vals[i]->len = 0;
		vals[i]->present = vals[i]->binary = vals[i]->cut = 0;
	}
	e->realtime_usec = -1;
	e->record = record;
	e->nfields = 0;
}

int ax_journal_next(struct ax_journal *j, struct ax_journal_entry *e)
{
	entry_reset(e, j->record);
	for (;;) {
		char *p = j->buf + j->start;
		size_t avail = j->end - j->start;
		char *nl = avail ? memchr(p, '\n', avail) : NULL;
		if (!nl) {
			if (avail == JOURNAL_BUF) {
				int rc = overlong_text(j, e);
				if (rc < 0)
					return rc;
				continue;
			}
			if (!j->eof) {
				int rc = fill(j);
				if (rc < 0)
					return rc;
				continue;
			}
			if (avail) {
				/* last line without newline: a complete text field or garbage */
				char *eq = memchr(p, '=', avail);
				if (!eq || !name_valid(p, (size_t)(eq - p)))
					return bad(j, "file ends inside a field");
				field_done(e, p, (size_t)(eq - p), eq + 1, avail - (size_t)(eq - p) - 1, 0, 0);
				j->start = j->end;
			}
			if (e->nfields) {
				j->record++;
				return 1;
			}
			return 0;
		}
		size_t len = (size_t)(nl - p);
		if (len == 0) {
			j->start++;
			if (e->nfields) {
				j->record++;
				return 1;
			}
			continue; /* blank lines between records */
		}
		char *eq = memchr(p, '=', len);
		if (eq) {
			if (!name_valid(p, (size_t)(eq - p)))
				return bad(j, "invalid field name");
			j->start += len + 1;
			field_done(e, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1, 0, 0);
			continue;
		}
		if (!name_valid(p, len))
			return bad(j, "invalid field name");
		j->start += len + 1;
		int rc = binary_field(j, e, p, len);
		if (rc < 0)
			return rc;
	}
}
