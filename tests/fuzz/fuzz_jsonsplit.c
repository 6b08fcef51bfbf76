/* fuzz_jsonsplit.c - any bytes fed to the streaming JSON splitter, whole
 * and in small chunks: it must accept or name a problem, never crash,
 * hang or leak, and the two feedings must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "jsonsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int element(void *arg, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	(void)arg;
	json_decref(j);
	return j ? 0 : -2;
}

static int run(const uint8_t *data, size_t size, size_t chunk)
{
	struct ax_jsplit_cb cb = {.what = "f.json", .list_key = "runs", .element_max = 4096, .value_max = 4096,
				  .element = element};
	struct ax_jsplit *s = ax_jsplit_new(&cb);
	int err = 0;
	for (size_t i = 0; i < size && !err; i += chunk)
		err = ax_jsplit_feed(s, (const char *)data + i, size - i < chunk ? size - i : chunk);
	if (!err)
		err = ax_jsplit_end(s);
	ax_jsplit_free(s);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if ((run(data, size, size ? size : 1) == 0) != (run(data, size, 7) == 0))
		abort();
	return 0;
}
