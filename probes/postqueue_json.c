/* postqueue_json.c - summarising `postqueue -j` (postqueue_json.h). */
#include "postqueue_json.h"

#include <jansson.h>
#include <string.h>

#include "error.h"

static const char *const queues[PQ_QUEUES + 1] = {"maildrop", "hold", "incoming", "active", "deferred", "other"};

const char *pq_queue_name(size_t i)
{
	return i <= PQ_QUEUES ? queues[i] : "other";
}

int pq_parse(const char *text, size_t len, struct pq_summary *out)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		if (le > p) {
			json_error_t je;
			json_t *m = json_loadb(p, (size_t)(le - p), 0, &je);
			json_t *q = json_object_get(m, "queue_name"), *at = json_object_get(m, "arrival_time");
			if (!json_is_object(m) || !json_is_string(q) || !json_is_integer(at)) {
				json_decref(m);
				return ax_error_code(AX_EINVALID, "postqueue -j line %zu: not a queue entry", lineno);
			}
			size_t k = 0;
			while (k < PQ_QUEUES && strcmp(queues[k], json_string_value(q)) != 0)
				k++;
			out->per_queue[k]++;
			out->messages++;
			json_int_t size = json_integer_value(json_object_get(m, "message_size"));
			out->bytes += size > 0 ? (uint64_t)size : 0;
			out->recipients += json_array_size(json_object_get(m, "recipients"));
			int64_t t = (int64_t)json_integer_value(at);
			if (t > 0 && (!out->oldest || t < out->oldest))
				out->oldest = t;
			json_decref(m);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
