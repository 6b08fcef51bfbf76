/* anchors_load.c - reads anchors from wherever they were recorded: an
 * anchors file, a locker repository or a signed bundle (ax_anchors_load in
 * export.h). A bundle is an anchor only once `verify` accepted it, which is
 * why this sits above the collector's anchors.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "anchors.h"
#include "export.h"
#include "util.h"

#define BUNDLE_LEDGER_MAX (512 << 20) /* a bundle's ledger.json, as verify.c */

/* The bundle's ledger.json (its store head is the anchor) and its
 * generated_at, read after ax_bundle_verify accepted the file. */
static int load_bundle(const char *path, struct ax_anchors *out)
{
	struct ax_verify_report rep;
	struct archive *ar = NULL;
	struct archive_entry *ae;
	struct ax_buf ledger = AX_BUF_INIT, manifest = AX_BUF_INIT;
	json_t *led = NULL, *man = NULL;
	char chunk[65536];
	int err = ax_bundle_verify(path, NULL, &rep);
	if (err < 0) {
		ax_error_prefix("%s", path);
		goto cleanup;
	}
	ar = archive_read_new();
	archive_read_support_format_zip(ar);
	if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
		err = ax_error_set("%s: %s", path, archive_error_string(ar));
		goto cleanup;
	}
	while (archive_read_next_header(ar, &ae) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		struct ax_buf *into = !name ? NULL
				    : strcmp(name, "ledger.json") == 0   ? &ledger
				    : strcmp(name, "manifest.json") == 0 ? &manifest
									 : NULL;
		la_ssize_t n;
		while (into && (n = archive_read_data(ar, chunk, sizeof(chunk))) > 0 &&
		       into->size + (size_t)n <= BUNDLE_LEDGER_MAX)
			ax_buf_put(into, chunk, (size_t)n);
	}
	led = json_loadb(ledger.ptr ? ledger.ptr : "", ledger.size, 0, NULL);
	man = json_loadb(manifest.ptr ? manifest.ptr : "", manifest.size, 0, NULL);
	json_t *head = json_object_get(led, "store_head");
	if (json_is_null(head)) {
		err = 0; /* a bundle of an empty store anchors nothing */
		goto cleanup;
	}
	json_t *h = json_pack("{s:s,s:O,s:O,s:O?}", "kind", "bundle", "run", json_object_get(head, "id"), "hash",
			      json_object_get(head, "hash"), "time", json_object_get(man, "generated_at"));
	int bad = ax_anchors_add_json(out, h);
	json_decref(h);
	if (bad < 0) {
		err = ax_error_code(AX_EINVALID, "%s: ledger.json names no store head", path);
		goto cleanup;
	}
	struct ax_anchor *a = &out->a[out->n - 1];
	a->tsa_time = rep.has_tsr ? rep.tsr_time : 0;
	free(a->source);
	a->source = ax_strdup(path);
cleanup:
	ax_verify_report_free(&rep);
	archive_read_free(ar);
	json_decref(led);
	json_decref(man);
	ax_buf_free(&ledger);
	ax_buf_free(&manifest);
	return err;
}

int ax_anchors_load(const char *src, const char *branch, struct ax_anchors *out)
{
	struct stat st;
	char magic[4] = {0};
	if (stat(src, &st) < 0)
		return ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_ERROR, "anchors %s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return ax_anchors_load_locker(src, branch, out);
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ax_error_set("anchors %s: %s", src, strerror(errno));
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n == 4 && memcmp(magic, "PK\003\004", 4) == 0)
		return load_bundle(src, out);
	return ax_anchors_load_file(src, out);
}
