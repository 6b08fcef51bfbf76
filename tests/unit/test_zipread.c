/* test_zipread.c - the strict ZIP reader: a real bundle reads entry by
 * entry with its CRCs and sizes checked and names found in O(log n); every
 * forged layout of tests/lib/zipforge.py (kept in the bundle fuzz corpus)
 * is refused by `verify` with its problem named; every truncation of a
 * real bundle is refused; the entry limit holds before anything is read. */
#include <stdlib.h>
#include <string.h>

#include "t.h"

#include "export.h"
#include "util.h"
#include "zipread.h"

static char *corpus(const char *name)
{
	const char *src = getenv("ANNEXA_SRC");
	return ax_asprintf("%s/tests/fuzz/corpus/bundle/%s", src ? src : ".", name);
}

static int count_bytes(void *arg, const void *data, size_t len)
{
	(void)data;
	*(uint64_t *)arg += len;
	return 0;
}

static void test_genuine(const struct ax_buf *b)
{
	struct ax_zip *z = NULL;
	T_EQ_INT(ax_zip_open_mem(b->ptr, b->size, NULL, &z), 0);
	if (!z)
		return;
	T_OK(ax_zip_count(z) >= 12);
	for (size_t i = 0; i < ax_zip_count(z); i++) {
		const struct ax_zip_entry *e = ax_zip_get(z, i);
		uint64_t n = 0;
		T_EQ_INT(ax_zip_read(z, i, count_bytes, &n), 0);
		T_EQ_INT(n, e->usize);
		T_EQ_INT(ax_zip_find(z, e->name), i);
	}
	T_EQ_INT(ax_zip_find(z, "nonexistent"), -1);
	T_EQ_INT(ax_zip_find(z, ""), -1);
	ax_zip_free(z);
	struct ax_zip_limits few = {.max_entries = 3};
	T_EQ_INT(ax_zip_open_mem(b->ptr, b->size, &few, &z), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "more than the verifier's limit of 3");
	T_OK(z == NULL);
	struct ax_zip_limits small = {.max_entry_size = 100};
	T_EQ_INT(ax_zip_open_mem(b->ptr, b->size, &small, &z), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "more than the verifier's limit of 100");
	/* an empty ZIP is a ZIP (and no bundle) */
	static const unsigned char empty[22] = {'P', 'K', 5, 6};
	T_EQ_INT(ax_zip_open_mem(empty, sizeof(empty), NULL, &z), 0);
	T_EQ_INT(z ? ax_zip_count(z) : 99, 0);
	ax_zip_free(z);
}

int main(void)
{
	static const struct {
		const char *file, *want;
	} layouts[] = {
		{"layout-stopper.zip", "ZIP comment"},
		{"layout-comment.zip", "ZIP comment"},
		{"layout-trailing.zip", "bytes follow its end-of-central-directory record"},
		{"layout-prefix.zip", "100 bytes before the first entry"},
		{"layout-gap.zip", "16 bytes outside any entry"},
		{"layout-second-cd.zip", "a second central directory"},
		{"layout-overlap.zip", "report.html overlaps the entry before it"},
		{"layout-truncated.zip", "no end-of-central-directory record at its end"},
		{"layout-lh-name.zip", "local header names Report.html"},
		{"layout-lh-size.zip", "local header of report.html disagrees with the central directory (CRC or sizes)"},
		{"layout-lh-crc.zip", "local header of report.html disagrees with the central directory (CRC or sizes)"},
		{"layout-lh-method.zip", "local header of report.html disagrees with the central directory (version"},
		{"layout-upath.zip", "README.txt: extra field 0x7075 is not accepted"},
		{"layout-symlink.zip", "report.html is not a regular file"},
		{"layout-zip64.zip", "end record and Zip64 end record disagree"},
		{"layout-stored-descriptor.zip", "README.txt is stored with a data descriptor"},
		{"layout-dup.zip", "bundle entry report.html appears twice"},
	};
	struct ax_verify_report rep;
	struct ax_buf genuine = AX_BUF_INIT;
	char *path = corpus("manual.zip");
	T_EQ_INT(ax_file_read(path, 1 << 24, &genuine), 0);
	free(path);
	T_EQ_INT(ax_bundle_verify_mem(genuine.ptr, genuine.size, NULL, &rep), 0);
	T_OK(rep.entries >= 12 && rep.runs > 0);
	ax_verify_report_free(&rep);
	test_genuine(&genuine);

	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		struct ax_buf b = AX_BUF_INIT;
		path = corpus(layouts[i].file);
		T_EQ_INT(ax_file_read(path, 1 << 24, &b), 0);
		T_EQ_INT(ax_bundle_verify(path, NULL, &rep), AX_EINVALID);
		T_CONTAINS(ax_error_last(), layouts[i].want);
		ax_verify_report_free(&rep);
		T_EQ_INT(ax_bundle_verify_mem(b.ptr, b.size, NULL, &rep), AX_EINVALID);
		T_CONTAINS(ax_error_last(), layouts[i].want);
		ax_verify_report_free(&rep);
		ax_buf_free(&b);
		free(path);
	}

	/* no truncation of a real bundle verifies (or crashes) */
	size_t step = genuine.size / 300 + 1, refused = 0, n = 0;
	for (size_t len = 0; len < genuine.size; len += step, n++) {
		refused += ax_bundle_verify_mem(genuine.ptr, len, NULL, &rep) == AX_EINVALID;
		ax_verify_report_free(&rep);
	}
	T_EQ_INT(refused, n);
	ax_buf_free(&genuine);
	return t_done();
}
