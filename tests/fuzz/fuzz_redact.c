/* fuzz_redact.c - arbitrary bytes as a file that becomes evidence: the
 * redactor must never read out of bounds and must keep the line count
 * (file.c finds a matched line's redacted text by its number). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t lines(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1); /* exact size: ASan sees any overread */
	memcpy(s, data, size);
	struct ax_buf out = AX_BUF_INIT;
	if (ax_redact(s, size, NULL, &out) != 0 || lines(out.ptr ? out.ptr : "", out.size) != lines(s, size))
		abort();
	ax_buf_free(&out);
	free(s);
	return 0;
}
