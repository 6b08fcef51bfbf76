/* json.c - jansson output that cannot come back NULL (json.h). */
#include "json.h"

#include "buf.h"

char *ax_json_dumps(const json_t *j, size_t flags)
{
	char *text = json_dumps(j, flags);
	if (!text)
		ax_oom();
	return text;
}
