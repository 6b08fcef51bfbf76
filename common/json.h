/* json.h - jansson output under the one out-of-memory policy (buf.h).
 *
 * json_dumps returns NULL only when memory ran out (for a value built
 * with the checking constructors); ax_json_dumps never returns NULL, so a
 * caller can pass the text on (strlen, a result pipe) unchecked. */
#ifndef AX_JSON_H
#define AX_JSON_H

#include <jansson.h>

/* json_dumps(j, flags), ax_oom() on NULL; the caller frees the text. */
char *ax_json_dumps(const json_t *j, size_t flags);

#endif
