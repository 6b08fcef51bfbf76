/* fuzz_config.c - feeds arbitrary bytes to the config loader (through a
 * temp file, since libgit2 reads from disk). It must never crash, leak or
 * return a config together with an error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_file("annexa.conf", data, size);

	struct ax_config *cfg = NULL;
	int rc = ax_config_load(&cfg, path);
	if ((rc == 0) != (cfg != NULL))
		abort();
	if (cfg) {
		/* every lookup must work on whatever was accepted */
		for (size_t i = 0; i < cfg->nprobes; i++)
			if (ax_config_probe(cfg, cfg->probes[i].name) != &cfg->probes[i])
				abort();
		(void)ax_config_get(cfg, "annexa", "store");
		(void)ax_config_get_int(cfg, "annexa", "interval");
	}
	ax_config_free(cfg);
	unlink(path);
	return 0;
}
