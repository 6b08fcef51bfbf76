/* json.c - jansson output that cannot come back NULL (json.h). */
#include "json.h"

#include "buf.h"
#include "util.h"

char *ax_json_dumps(const json_t *j, size_t flags)
{
	char *text = json_dumps(j, flags);
	if (!text)
		ax_oom();
	return text;
}

json_t *ax_json_time(int64_t t)
{
	char ts[32];
	ax_time_format(t, ts);
	return json_string(ts);
}

json_t *ax_json_time_or_null(int64_t t)
{
	return t ? ax_json_time(t) : json_null();
}
