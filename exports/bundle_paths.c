/* bundle_paths.c - what may stand in a bundle entry's path: the writer
 * names entries with ax_export_safe_name, the verifier refuses any path
 * ax_bundle_path_valid rejects (export.h). One file, so the two rules are
 * read side by side: every name the writer makes passes the verifier. */
#include <string.h>

#include "buf.h"
#include "export.h"

void ax_export_safe_name(const char *name, struct ax_buf *out)
{
	size_t start = out->size, n = 0;
	for (const char *p = name ? name : ""; *p && n < 100; p++, n++) {
		char c = *p;
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			 c == '-' || c == '_';
		/* A leading dot would make "..", "." or a hidden file. */
		if (out->size == start && c == '.')
			ok = 0;
		ax_buf_putc(out, ok ? c : '_');
	}
	if (out->size == start)
		ax_buf_puts(out, "artifact");
}

int ax_bundle_path_valid(const char *path)
{
	size_t len = strlen(path);
	if (len == 0 || len > 1024 || path[0] == '/')
		return 0;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '\\')
			return 0;
	for (const char *c = path; c;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c = end ? end + 1 : NULL;
	}
	return 1;
}
