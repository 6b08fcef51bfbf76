/* fuzz_mailing.c - arbitrary bytes as a campaign message: GMime, the
 * header checks and libxml2's HTML walk must never crash or leak; the
 * result is 0 or AX_EINVALID. */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "mailing_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static regex_t unsub, sender;
	static int ready;
	if (!ready) {
		regcomp(&unsub, "unsubscribe|abmelden", REG_EXTENDED | REG_ICASE | REG_NOSUB);
		regcomp(&sender, "GmbH", REG_EXTENDED | REG_ICASE | REG_NOSUB);
		ready = 1;
	}
	struct ax_mailing_report r;
	int err = ax_mailing_inspect((const char *)data, size, &unsub, &sender, &r);
	if (err != 0 && err != AX_EINVALID)
		abort();
	return 0;
}
