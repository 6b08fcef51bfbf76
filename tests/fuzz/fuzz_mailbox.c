/* fuzz_mailbox.c - arbitrary bytes as a log line: the address recogniser
 * must never read out of bounds, return a span outside the text or before
 * where it was asked to start, nor a span without an '@'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1); /* exact size: ASan sees any overread */
	memcpy(s, data, size);
	size_t pos = 0, a, b;
	while (ax_mailbox_find(s, size, pos, &a, &b)) {
		if (a < pos || b <= a || b > size || !memchr(s + a, '@', b - a))
			abort();
		pos = b;
	}
	free(s);
	return 0;
}
