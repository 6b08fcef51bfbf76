/* fuzz_bundle.c - any bytes fed to the bundle verifier as a ZIP: it must
 * answer valid, invalid or unreadable, within small limits, and never
 * crash, hang or leak. The corpus holds a real signed bundle, tampered
 * ones and broken ZIPs. */
#include <stddef.h>
#include <stdint.h>

#include "export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_verify_opts o = {
		.max_entry_size = 1 << 20,
		.max_total_size = 8 << 20,
		.max_entries = 256,
	};
	struct ax_verify_report rep;
	(void)ax_bundle_verify_mem(data, size, &o, &rep);
	ax_verify_report_free(&rep);
	return 0;
}
