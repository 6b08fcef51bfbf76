/* fuzz_dovecot_conf.c - arbitrary bytes as dovecot.conf text: the parser
 * must never crash or leak, and (includes aside, which resolve against a
 * folder that does not exist) must give settings or an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dovecot_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_conf c;
	memset(&c, 0, sizeof(c));
	int rc = dc_parse_text(&c, (const char *)data, size, "/nonexistent-annexa-fuzz/dovecot.conf", 0);
	if (rc == 0)
		for (size_t i = 0; i < c.nsettings; i++)
			if (!c.settings[i].path || !c.settings[i].value)
				abort();
	(void)dc_get(&c, "ssl");
	dc_conf_release(&c);
	return 0;
}
