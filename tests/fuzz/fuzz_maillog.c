/* fuzz_maillog.c - arbitrary bytes as Postfix log lines: the line parser
 * (with and without the remembered stamp, which must agree), the queue
 * table and the consent index must never crash, read out of bounds or
 * return an address outside the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consent_index.h"
#include "maillog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_logclock clock;
	struct ax_maillog_queue *q = ax_maillog_queue_new(128);
	struct ax_consent_index *ix = ax_consent_index_new(64);
	struct ax_maillog_stamps st = {0};
	ax_logclock_init(&clock, 1800000000);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(len + 1); /* exact size: ASan sees any overread */
		memcpy(line, p, len);
		line[len] = '\0';
		struct ax_maillog_rec rec, cached;
		int rc = ax_maillog_parse(&clock, line, len, &rec);
		if (ax_maillog_parse_cached(&st, &clock, line, len, &cached) != rc ||
		    (rc == 0 && (cached.time != rec.time || cached.kind != rec.kind || strcmp(cached.queue_id, rec.queue_id))))
			abort();
		if (rc == 0) {
			if (rec.addr && (rec.addr < line || rec.addr + rec.addr_len > line + len))
				abort();
			struct ax_consent_interval v;
			if (rec.kind == AX_MAILLOG_FROM) {
				ax_maillog_queue_set(q, rec.queue_id, rec.addr_len & 1);
				(void)ax_consent_index_put(ix, rec.addr, rec.addr_len, rec.time, AX_CONSENT_NONE);
			} else if (rec.kind == AX_MAILLOG_SENT) {
				(void)ax_maillog_queue_get(q, rec.queue_id);
				(void)ax_consent_index_get(ix, rec.addr, rec.addr_len, &v);
			}
			else if (rec.kind == AX_MAILLOG_REMOVED)
				ax_maillog_queue_remove(q, rec.queue_id);
		}
		free(line);
		p += len + 1;
	}
	ax_maillog_queue_free(q);
	ax_consent_index_free(ix);
	return 0;
}
