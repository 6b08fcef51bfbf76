/* fuzz_clamav_cvd.c - arbitrary bytes as a ClamAV database header: the
 * parser must never read past the input or CVD_HEAD_LEN bytes, and what
 * it accepts has printable, terminated text fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clamav_cvd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvd_head h;
	if (cvd_parse((const char *)data, size, &h) == 0 &&
	    (!memchr(h.time, '\0', sizeof(h.time)) || !memchr(h.builder, '\0', sizeof(h.builder))))
		abort();
	return 0;
}
