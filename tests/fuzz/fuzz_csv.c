/* fuzz_csv.c - arbitrary bytes into the CSV reader, the transfer register
 * parser and the endpoint host extraction. Must never crash or leak; every
 * field handed out must be valid UTF-8 (checked through jansson), record
 * line numbers never go backwards, and an error always carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "csv.h"
#include "error.h"
#include "transfers_endpoints.h"
#include "transfers_register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_csv *csv = NULL;
	const struct ax_csv_record *rec;
	size_t last_line = 0;
	int got;
	ax_error_clear();
	if (ax_csv_open(&csv, data, size, "fuzz.csv", 0) == 0) {
		while ((got = ax_csv_next(csv, &rec)) > 0) {
			if (rec->line < last_line || rec->nfields == 0 || rec->nfields > AX_CSV_MAX_FIELDS)
				abort();
			last_line = rec->line;
			for (size_t i = 0; i < rec->nfields; i++) {
				json_t *s = json_string(rec->fields[i]);
				if (!s)
					abort(); /* not valid UTF-8 */
				json_decref(s);
				free(ax_endpoint_host_of(rec->fields[i]));
			}
		}
		if (got < 0 && !*ax_error_last())
			abort();
		ax_csv_free(csv);
	}
	struct ax_transfer_register *reg = NULL;
	int rc = ax_transfer_register_parse(&reg, data, size, "fuzz.csv");
	if ((rc == 0) != (reg != NULL))
		abort();
	for (size_t i = 0; reg && i < reg->nentries; i++)
		for (size_t k = 0; k < reg->entries[i].nendpoints; k++)
			(void)ax_host_pattern_matches(reg->entries[i].endpoints[k], "smtp.example.com");
	ax_transfer_register_free(reg);
	return 0;
}
