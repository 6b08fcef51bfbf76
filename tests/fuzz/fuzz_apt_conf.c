/* fuzz_apt_conf.c - arbitrary bytes as an apt.conf file: reading a
 * setting must never crash, leak or loop, and gives a value or an error. */
#include <stdint.h>
#include <stdlib.h>

#include "apt_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_buf v = AX_BUF_INIT;
	int found = 0, unsupported = 0;
	unsigned line = 0;
	if (apt_conf_get((const char *)data, size, "fuzz", "APT::Periodic::Unattended-Upgrade", &v, &found, &line,
			 &unsupported) == 0 && found && !v.ptr && v.size)
		abort();
	ax_buf_free(&v);
	return 0;
}
