/* fuzz_maillog.c - arbitrary bytes as Postfix log lines: the line parser
 * and the queue table must never crash, read out of bounds or return an
 * address outside the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maillog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_logclock clock;
	struct ax_maillog_queue *q = ax_maillog_queue_new(128);
	ax_logclock_init(&clock, 1800000000);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(len + 1); /* exact size: ASan sees any overread */
		memcpy(line, p, len);
		line[len] = '\0';
		struct ax_maillog_rec rec;
		if (ax_maillog_parse(&clock, line, len, &rec) == 0) {
			if (rec.addr && (rec.addr < line || rec.addr + rec.addr_len > line + len))
				abort();
			if (rec.kind == AX_MAILLOG_FROM)
				ax_maillog_queue_set(q, rec.queue_id, rec.addr_len & 1);
			else if (rec.kind == AX_MAILLOG_SENT)
				(void)ax_maillog_queue_get(q, rec.queue_id);
			else if (rec.kind == AX_MAILLOG_REMOVED)
				ax_maillog_queue_remove(q, rec.queue_id);
		}
		free(line);
		p += len + 1;
	}
	ax_maillog_queue_free(q);
	return 0;
}
