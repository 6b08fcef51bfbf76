/* fuzz_authkeys.c - arbitrary bytes into the authorized_keys parser. Must
 * never crash or leak; every key has a SHA256 fingerprint of 43 base64
 * characters, a printable type and a size that fits its type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authkeys_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_authkeys k = {0};
	ax_authkeys_parse(&k, (const char *)data, size);
	for (size_t i = 0; i < k.n; i++) {
		const struct ax_authkey *key = &k.keys[i];
		if (strncmp(key->fingerprint, "SHA256:", 7) != 0 || strlen(key->fingerprint) != 7 + 43)
			abort();
		for (const char *c = key->type; *c; c++)
			if (*c < 0x21 || *c > 0x7e)
				abort();
		if (key->bits < 0 || key->bits > 65536 * 8)
			abort();
		if (key->from && !key->options)
			abort();
	}
	ax_authkeys_free(&k);
	return 0;
}
