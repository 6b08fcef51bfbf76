/* fuzz_postqueue_json.c - arbitrary bytes as `postqueue -j` output: the
 * summary must never crash or leak, and its counts must add up. */
#include <stdint.h>
#include <stdlib.h>

#include "postqueue_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pq_summary s;
	if (pq_parse((const char *)data, size, &s) == 0) {
		size_t sum = 0;
		for (size_t i = 0; i <= PQ_QUEUES; i++)
			sum += s.per_queue[i];
		if (sum != s.messages)
			abort();
	}
	return 0;
}
