/* fuzz_anchors.c - arbitrary bytes as an anchors file (anchors.jsonl).
 * Must never crash or leak; every anchor handed out has a run id >= 1, a
 * 64-hex-digit hash and a kind of bundle or locker, and an error always
 * carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_anchors a = {0};
	ax_error_clear();
	int err = ax_anchors_parse((const char *)data, size, "fuzz.jsonl", &a);
	if (err < 0 && !*ax_error_last())
		abort();
	for (size_t i = 0; i < a.n; i++) {
		if (a.a[i].run < 1 || strlen(a.a[i].hash) != 64 ||
		    (strcmp(a.a[i].kind, "bundle") != 0 && strcmp(a.a[i].kind, "locker") != 0))
			abort();
	}
	ax_anchors_free(&a);
	return 0;
}
