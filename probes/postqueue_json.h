/* postqueue_json.h - Postfix's queue listing in JSON (`postqueue -j`,
 * showq_json in postfix/src/postqueue: one object per line with
 * queue_name, queue_id, arrival_time, message_size, forced_expire,
 * sender, recipients[] {address, delay_reason}).
 *
 * Only the counts, sizes and times are kept: senders, recipients and
 * delay reasons are personal data and never leave the parser. A line that
 * is not such an object is AX_EINVALID naming the line. */
#ifndef AX_POSTQUEUE_JSON_H
#define AX_POSTQUEUE_JSON_H

#include <stddef.h>
#include <stdint.h>

#define PQ_QUEUES 5 /* maildrop, hold, incoming, active, deferred */

struct pq_summary {
	size_t messages, recipients;
	uint64_t bytes;
	int64_t oldest;                 /* arrival_time of the oldest message, 0 when none */
	size_t per_queue[PQ_QUEUES + 1]; /* the last counts queue names Postfix may add */
};

const char *pq_queue_name(size_t i);
int pq_parse(const char *text, size_t len, struct pq_summary *out);

#endif
