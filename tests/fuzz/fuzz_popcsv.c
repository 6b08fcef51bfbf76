/* fuzz_popcsv.c - arbitrary bytes into the streamed population CSV reader
 * (exports/sample.h: a bundle's populations/ files are untrusted). Must
 * never crash or leak; every field handed out is valid UTF-8 (checked
 * through jansson) and the record has the header's field count; the
 * result must not depend on where the stream is cut into chunks (the
 * whole input at once and cut at a place the first byte picks agree on
 * every record and on success); an error always carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int rec(void *arg, size_t n, char *const *fields)
{
	struct ax_buf *b = arg;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_string(fields[i]);
		if (!s)
			abort(); /* not valid UTF-8 */
		json_decref(s);
		ax_buf_printf(b, "%zu:%s\x1f", strlen(fields[i]), fields[i]);
	}
	ax_buf_putc(b, '\x1e');
	return 0;
}

static int run(const uint8_t *data, size_t size, size_t cut, struct ax_buf *out)
{
	struct ax_popcsv r;
	int err;
	ax_error_clear();
	ax_popcsv_init(&r, rec, out);
	if ((err = ax_popcsv_feed(&r, data, cut)) == 0 && (err = ax_popcsv_feed(&r, data + cut, size - cut)) == 0)
		err = ax_popcsv_finish(&r);
	if (err < 0 && !*ax_error_last())
		abort();
	if (err == 0 && (r.nheader == 0 || strcmp(r.header[0], "item") != 0))
		abort();
	ax_popcsv_free(&r);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_buf a = AX_BUF_INIT, b = AX_BUF_INIT;
	size_t cut = size ? data[0] % (size + 1) : 0;
	int ea = run(data, size, size, &a), eb = run(data, size, cut, &b);
	if ((ea == 0) != (eb == 0) || a.size != b.size || (a.size && memcmp(a.ptr, b.ptr, a.size) != 0))
		abort();
	ax_buf_free(&a);
	ax_buf_free(&b);
	return 0;
}
