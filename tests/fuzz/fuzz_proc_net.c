/* fuzz_proc_net.c - arbitrary bytes as a /proc/net/tcp6 (and tcp) table:
 * the parser must never crash or read past the input, and every socket it
 * accepts prints as an address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proc_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int family = 0; family < 2; family++) {
		struct pn_table t = {0};
		if (pn_parse(&t, (const char *)data, size, family, family ? AF_INET6 : AF_INET, "fuzz") == 0)
			for (size_t i = 0; i < t.n; i++) {
				char a[48];
				pn_addr_text(&t.s[i], a);
				if (!memchr(a, '\0', sizeof(a)))
					abort();
				(void)pn_listening(&t.s[i]);
				(void)pn_loopback(&t.s[i]);
			}
		pn_release(&t);
	}
	return 0;
}
