/* json.h - jansson output under the one out-of-memory policy (buf.h).
 *
 * json_dumps returns NULL only when memory ran out (for a value built
 * with the checking constructors); ax_json_dumps never returns NULL, so a
 * caller can pass the text on (strlen, a result pipe) unchecked. Times
 * are written in one form everywhere (ax_json_time). */
#ifndef AX_JSON_H
#define AX_JSON_H

#include <stdint.h>

#include <jansson.h>

/* json_dumps(j, flags), ax_oom() on NULL; the caller frees the text. */
char *ax_json_dumps(const json_t *j, size_t flags);

/* t as the JSON of annexa's outputs carries a time: a UTC string,
 * "2026-11-29T10:00:00Z" (ax_time_format). */
json_t *ax_json_time(int64_t t);
/* The same, or JSON null for 0 (a time never recorded). */
json_t *ax_json_time_or_null(int64_t t);

#endif
