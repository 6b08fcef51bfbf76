/* fuzz_zipread.c - any bytes fed to the strict ZIP reader: it must accept
 * or refuse the structure, then stream every entry (CRC and sizes
 * checked), within small limits, and never crash, hang or leak. The
 * corpus holds a real bundle and the layouts of tests/lib/zipforge.py. */
#include <stddef.h>
#include <stdint.h>

#include "zipread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *arg, const void *chunk, size_t len)
{
	(void)arg;
	(void)chunk;
	(void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_zip_limits l = {.max_entries = 1024, .max_entry_size = 1 << 20, .max_total_size = 8 << 20};
	struct ax_zip *z = NULL;
	if (ax_zip_open_mem(data, size, &l, &z) == 0) {
		for (size_t i = 0; i < ax_zip_count(z); i++) {
			(void)ax_zip_read(z, i, sink, NULL);
			(void)ax_zip_find(z, ax_zip_get(z, i)->name);
		}
	}
	ax_zip_free(z);
	return 0;
}
