/* journal_export.h - a streaming reader of systemd's journal export format
 * (`journalctl -o export`), for probes that take evidence from a unit's
 * journal without linking libsystemd.
 *
 * The format: records separated by an empty line; each field is either a
 * text line "KEY=VALUE\n" or, when the value may hold newlines or binary
 * bytes, "KEY\n" + a 64-bit little-endian length + the value + "\n".
 *
 * Guarantees: memory is bounded by one buffer (256 KiB) whatever the file
 * size, field count or field length; values longer than
 * AX_JOURNAL_VALUE_MAX are cut (flagged) and the rest skipped without being
 * held; only the fields below are kept. A malformed file (a binary field
 * cut short, a field name that is not one, a missing newline after a binary
 * value) is an AX_EINVALID error naming the file and the record. Only
 * regular files are opened.
 *
 *     struct ax_journal *j;
 *     struct ax_journal_entry e;
 *     if (ax_journal_open(&j, path) < 0) ...;
 *     while ((rc = ax_journal_next(j, &e)) > 0) use(&e);
 *     ax_journal_free(j);   // rc < 0: error, message names path and record
 */
#ifndef AX_JOURNAL_EXPORT_H
#define AX_JOURNAL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#define AX_JOURNAL_VALUE_MAX 2048

/* A kept text value: bytes as written (may hold NUL for binary fields). */
struct ax_journal_value {
	char text[AX_JOURNAL_VALUE_MAX + 1]; /* NUL-terminated copy */
	size_t len;
	int present, binary, cut;
};

struct ax_journal_entry {
	int64_t realtime_usec; /* __REALTIME_TIMESTAMP; -1 when absent or invalid */
	size_t record;         /* 1-based */
	size_t nfields;
	struct ax_journal_value message, systemd_unit, unit, user_unit, exit_status, exit_code, job_result,
		job_type, unit_result, identifier;
};

struct ax_journal;

int ax_journal_open(struct ax_journal **out, const char *path);
/* 1 and an entry, 0 at the end, or a negative code ("PATH: record N: ..."). */
int ax_journal_next(struct ax_journal *j, struct ax_journal_entry *e);
void ax_journal_free(struct ax_journal *j);

#endif
