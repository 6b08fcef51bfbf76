/* fuzz_nft_ruleset.c - arbitrary bytes as `nft -j list ruleset` output:
 * loading and walking it for a few connections must never crash, leak or
 * loop (jumps are bounded), whatever the JSON holds. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "nft_ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_ruleset *rs = NULL;
	if (nft_ruleset_load(&rs, (const char *)data, size) == 0) {
		static const uint16_t ports[] = {22, 25, 53, 2222, 8080};
		char why[160];
		for (int fam = 0; fam < 2; fam++)
			for (int udp = 0; udp < 2; udp++)
				for (size_t i = 0; i < 5; i++) {
					enum nft_reach r = nft_reachable(rs, fam ? AF_INET6 : AF_INET, udp, ports[i], why);
					if ((unsigned)r > NFT_REACH_UNKNOWN)
						abort();
				}
		(void)nft_default_drop(rs, AF_INET);
		(void)nft_input_chains(rs, AF_INET6);
	}
	nft_ruleset_free(rs);
	return 0;
}
