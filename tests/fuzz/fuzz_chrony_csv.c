/* fuzz_chrony_csv.c - arbitrary bytes as `chronyc -c tracking` and
 * `sources` output: the parsers must never crash or read past the input,
 * and what they accept has bounded, finite values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chrony_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chrony_tracking t;
	if (chrony_tracking_parse((const char *)data, size, &t) == 0 &&
	    (t.stratum < 0 || t.stratum > 16 || !isfinite(chrony_error_bound(&t)) || strlen(t.leap) >= sizeof(t.leap)))
		abort();
	struct chrony_source s[8];
	size_t n = 0;
	if (chrony_sources_parse((const char *)data, size, s, 8, &n) == 0 && n > 8)
		abort();
	return 0;
}
