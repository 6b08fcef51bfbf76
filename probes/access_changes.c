/* access_changes.c - what changed in a probe's access population since its
 * previous run (access_changes.h). The state file holds only what the
 * evidence may hold, so a state folder leaks nothing the store would not. */
#include "access_changes.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define POPULATION_FILE_MAX ((size_t)64 << 20)
#define POPULATION_SHOWN 1000

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The strings of arr, sorted, duplicates dropped (pointers into arr). */
static const char **sorted(const json_t *arr, size_t *n)
{
	size_t cap = json_is_array(arr) ? json_array_size(arr) : 0, k = 0;
	const char **v = ax_calloc(cap + 1, sizeof(*v));
	for (size_t i = 0; i < cap; i++)
		if (json_is_string(json_array_get(arr, i)))
			v[k++] = json_string_value(json_array_get(arr, i));
	qsort(v, k, sizeof(*v), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	*n = u;
	return v;
}

void ax_access_changes_diff(const json_t *old, const json_t *cur, json_t **added, json_t **removed)
{
	size_t no, nc, i = 0, j = 0;
	const char **o = sorted(old, &no), **c = sorted(cur, &nc);
	*added = json_array();
	*removed = json_array();
	while (i < no || j < nc) {
		int d = i == no ? 1 : j == nc ? -1 : strcmp(o[i], c[j]);
		if (d < 0)
			json_array_append_new(*removed, json_string(o[i++]));
		else if (d > 0)
			json_array_append_new(*added, json_string(c[j++]));
		else
			i++, j++;
	}
	free(o);
	free(c);
}

void ax_access_changes_report(struct ax_probe_ctx *ctx, const char *check, const char *kind, const json_t *items)
{
	const char *dir = ax_probe_state_dir(ctx);
	if (!dir) {
		ax_probe_result(ctx, check, AX_CHECK_SKIP, NULL, "no state folder: changes in %s are not tracked", kind);
		return;
	}
	char *path = ax_asprintf("%s/%s.json", dir, kind);
	struct ax_buf text = AX_BUF_INIT;
	json_t *old = NULL, *added = NULL, *removed = NULL;
	size_t n;
	int rc = ax_file_read(path, POPULATION_FILE_MAX, &text), first = rc == AX_ENOTFOUND;
	if (rc == 0)
		old = json_loadb(text.ptr ? text.ptr : "", text.size, 0, NULL);
	if (!first && !json_is_array(old)) {
		/* an unreadable baseline is replaced: the next run compares again */
		ax_probe_result(ctx, check, AX_CHECK_ERROR, NULL, "previous %s in %s unreadable; baseline recorded anew",
				kind, path);
		first = -1;
	}
	const char **cur = sorted(items, &n);
	json_t *save = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(save, json_string(cur[i]));
	free(cur);
	char *dump = json_dumps(save, JSON_INDENT(1));
	if (!dump || ax_file_write_atomic(path, dump, strlen(dump), 0600) < 0) {
		ax_probe_result(ctx, check, AX_CHECK_ERROR, NULL, "cannot save %s to %s: %s", kind, path,
				dump ? ax_error_last() : "out of memory");
	} else if (first > 0) {
		ax_probe_result(ctx, check, AX_CHECK_INFO, json_pack("{s:I,s:b}", "count", (json_int_t)n, "baseline", 1),
				"first run: baseline of %zu %s recorded", n, kind);
	} else if (first == 0) {
		ax_access_changes_diff(old, save, &added, &removed);
		size_t na = json_array_size(added), nr = json_array_size(removed);
		/* observed is bounded (AX_OBSERVED_MAX): the first POPULATION_SHOWN
		 * of each list and both counts */
		while (json_array_size(added) > POPULATION_SHOWN)
			json_array_remove(added, json_array_size(added) - 1);
		while (json_array_size(removed) > POPULATION_SHOWN)
			json_array_remove(removed, json_array_size(removed) - 1);
		json_t *obs = json_pack("{s:I,s:O,s:O,s:I,s:I}", "count", (json_int_t)n, "added", added, "removed", removed,
					"added_count", (json_int_t)na, "removed_count", (json_int_t)nr);
		if (na || nr)
			ax_probe_result(ctx, check, AX_CHECK_INFO, obs, "%zu %s: %zu added, %zu removed since the previous run",
					n, kind, na, nr);
		else
			ax_probe_result(ctx, check, AX_CHECK_INFO, obs, "%zu %s: no change since the previous run", n, kind);
	}
	free(dump);
	json_decref(save);
	json_decref(old);
	json_decref(added);
	json_decref(removed);
	ax_buf_free(&text);
	free(path);
}
