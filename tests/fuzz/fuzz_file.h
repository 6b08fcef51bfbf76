/* fuzz_file.h - for targets whose parser reads a file, not a buffer: the
 * input written to NAME in a per-process temp folder. Aborts when it cannot
 * be written (a harness failure, not a finding). The returned path is valid
 * until the next call; the folder is reused for every input. */
#ifndef AX_FUZZ_FILE_H
#define AX_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	static char dir[64], path[160];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/annexa-fuzz-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size))
		abort();
	fclose(f);
	return path;
}

#endif
