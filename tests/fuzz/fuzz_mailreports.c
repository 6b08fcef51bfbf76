/* fuzz_mailreports.c - arbitrary bytes as a received report (plain XML or
 * JSON, gzip, zip) through the `mailreports` parser with a small
 * decompression limit. Nothing may crash or leak; a parsed report has a
 * kind, a reporter and a period that does not end before it begins. */
#include <stdint.h>
#include <stdlib.h>

#include "mailreports_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mr_report r;
	if (mr_report_parse(data, size, 1 << 20, &r) == 0) {
		if ((r.kind != MR_DMARC && r.kind != MR_TLSRPT) || !r.org || r.begin > r.end)
			abort();
		for (size_t i = 0; i < r.ncounts; i++)
			if (!r.counts[i].key)
				abort();
	}
	mr_report_free(&r);
	return 0;
}
