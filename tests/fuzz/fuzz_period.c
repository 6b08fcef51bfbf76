/* fuzz_period.c - arbitrary bytes as a bundle's period.json, checked
 * against a ledger with two runs of instance "a" (ax_verify_period). Must
 * never crash or leak; a refusal always carries a message, and an accepted
 * calendar lists exactly the instance "a". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "verify_period.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_run_counts c = {0};
	ax_run_counts_add(&c, "a");
	ax_run_counts_add(&c, "a");
	ax_error_clear();
	int err = ax_verify_period((const char *)data, size, &c);
	if (err < 0 && !*ax_error_last())
		abort();
	if (err == 0 && !memmem(data, size, "\"a\"", 3))
		abort();
	ax_run_counts_free(&c);
	return 0;
}
