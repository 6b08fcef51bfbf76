/* msgfiles.c - listing the message files under a path (see msgfiles.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "error.h"
#include "msgfiles.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ax_msgfiles_collect(const char *path, size_t max, char **files, size_t *n)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_ERROR, "%s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		if (*n < max)
			files[(*n)++] = ax_strdup(path);
		return 0;
	}
	char *cur = ax_asprintf("%s/cur", path);
	int maildir = stat(cur, &st) == 0 && S_ISDIR(st.st_mode);
	free(cur);
	if (maildir) {
		/* a Maildir's new/ may not have been made yet */
		for (int k = 0; k < 2; k++) {
			char *sub = ax_asprintf("%s/%s", path, k ? "new" : "cur");
			int rc = ax_msgfiles_collect(sub, max, files, n);
			free(sub);
			if (rc < 0 && rc != AX_ENOTFOUND)
				return rc;
		}
		return 0;
	}
	DIR *d = opendir(path);
	if (!d)
		return ax_error_set("%s: %s", path, strerror(errno));
	size_t start = *n;
	struct dirent *e;
	while ((e = readdir(d)) && *n < max) {
		if (e->d_name[0] == '.')
			continue;
		char *full = ax_asprintf("%s/%s", path, e->d_name);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			files[(*n)++] = full;
		else
			free(full);
	}
	closedir(d);
	qsort(files + start, *n - start, sizeof(char *), cmp_str);
	return 0;
}

int ax_msgfiles_part_content(struct _GMimeObject *part, struct ax_buf *out)
{
	GMimeDataWrapper *content = GMIME_IS_PART(part) ? g_mime_part_get_content(GMIME_PART(part)) : NULL;
	int err = -1;
	if (!content)
		return -1;
	GMimeStream *mem = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(content, mem) >= 0) {
		GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		ax_buf_put(out, bytes->data, bytes->len);
		err = 0;
	}
	g_object_unref(mem);
	return err;
}
