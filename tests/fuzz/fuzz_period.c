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
	struct ax_run_seen r1 = {1793491200, 1793491201, 0, 1, 1, {1}}, r2 = {1793494800, 1793494801, 1, 1, 2, {0, 0, 1}};
	struct ax_period_bounds b = {.since = 1793491200, .has_since = 1, .generated_at = 1793664000, .has_generated_at = 1};
	ax_run_counts_add(&c, "a", &r1);
	ax_run_counts_add(&c, "a", &r2);
	ax_error_clear();
	int err = ax_verify_period((const char *)data, size, &c, &b);
	if (err < 0 && !*ax_error_last())
		abort();
	if (err == 0 && !memmem(data, size, "\"a\"", 3))
		abort();
	ax_run_counts_free(&c);
	return 0;
}
