/* fuzz_journal_export.c - arbitrary bytes as a `journalctl -o export` file
 * through the streaming journal reader. Nothing may crash, read out of
 * bounds or hand back a value longer than its bound; every error names the
 * file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "journal_export.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const struct ax_journal_value *v)
{
	if (v->len > AX_JOURNAL_VALUE_MAX || (v->present && v->text[v->len] != 0) || (!v->present && v->len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ax_journal_entry e;
	const char *path = fuzz_write_file("journal.export", data, size);

	struct ax_journal *j = NULL;
	if (ax_journal_open(&j, path) == 0) {
		int rc;
		size_t records = 0;
		while ((rc = ax_journal_next(j, &e)) > 0) {
			if (e.nfields == 0 || e.record != ++records)
				abort();
			check_value(&e.message);
			check_value(&e.systemd_unit);
			check_value(&e.unit);
			check_value(&e.exit_status);
			check_value(&e.job_result);
			check_value(&e.unit_result);
		}
		if (rc < 0 && !strstr(ax_error_last(), path))
			abort();
		ax_journal_free(j);
	}
	unlink(path);
	return 0;
}
