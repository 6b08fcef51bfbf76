/* sample.h - a population's sample that anyone can recompute.
 *
 * The rule (README "Samples"): for every item of the population compute
 * SHA-256 of the bytes SEED ":" ITEM-ID, lowercase hex; order the items by
 * that key, ascending; the sample is the first N. No state, no random
 * generator: the seed the auditor chose and the population file decide.
 *
 * The population CSV (population.h) is read as a stream: memory holds the
 * N selected rows, never the list. */
#ifndef AX_SAMPLE_H
#define AX_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "population.h"
#include "store.h"

struct ax_zip;

#define AX_SAMPLE_MAX_N 10000
#define AX_SAMPLE_MAX_RECORD (1u << 20) /* bytes of one CSV record */
#define AX_SAMPLE_MAX_FIELDS 256

/* Where the default sample sizes come from (shown with them). */
extern const char ax_sample_size_source[];
/* The default N for a control event of that frequency (the upper end of
 * the guidance's range) and the range as text ("20-40"). */
int ax_sample_default_n(enum ax_pop_frequency f, const char **range);

/* --- the streamed reader of a population CSV (untrusted: a bundle's) --- */
/* Called for every record after the header; fields are NUL-terminated,
 * valid UTF-8. A non-zero return stops the read and is returned. */
typedef int (*ax_csv_record_cb)(void *arg, size_t nfields, char *const *fields);
struct ax_popcsv {
	ax_csv_record_cb cb;
	void *arg;
	struct ax_buf field;
	char **fields;
	size_t nfields, afields;
	int quoted, quote_seen, at_start, cr;
	int64_t records; /* header included */
	size_t record_bytes;
	char **header; /* the first record's fields */
	size_t nheader;
};
void ax_popcsv_init(struct ax_popcsv *r, ax_csv_record_cb cb, void *arg);
/* Consumes bytes; AX_EINVALID for a malformed file (record too long, too
 * many fields, a stray quote, a header whose first column is not `item`,
 * a record whose field count differs from the header's, bytes that are
 * not UTF-8). */
int ax_popcsv_feed(struct ax_popcsv *r, const void *data, size_t len);
/* The end of the input: a last record without a newline is refused too
 * (the writer ends every record with one). */
int ax_popcsv_finish(struct ax_popcsv *r);
void ax_popcsv_free(struct ax_popcsv *r);

/* --- the sample --- */
struct ax_sample_item {
	char key[65];
	char **fields; /* the row, header order */
	size_t nfields;
};

struct ax_sample {
	char *seed;
	size_t n;           /* wanted */
	char n_from[160];   /* "--n", or "default for ... FREQUENCY (RANGE)" */
	json_t *provenance; /* the population's, as read */
	char *population;   /* INSTANCE/NAME */
	int64_t rows;       /* items read */
	char sha256[65];    /* of the bytes read: equals the provenance's */
	char **header;
	size_t nheader;
	struct ax_sample_item *items; /* sorted by key once done */
	size_t nitems;
};

/* Where a population's bytes come from. */
struct ax_sample_source {
	struct ax_store *store; /* the newest stored version, or */
	const char *bundle;     /* a bundle file (named so in messages; with zip: that bundle, already open), or */
	struct ax_zip *zip;
	const struct ax_buf *csv; /* a population in memory (built at export) */
	const char *provenance;
};

/* Draws the sample of population "INSTANCE/NAME" with seed; n 0 takes the
 * default of the provenance's frequency. The list must hash to the
 * provenance's sha256 and hold its row count (AX_EINVALID when not).
 * AX_ENOTFOUND when there is no such population. */
int ax_sample_draw(const struct ax_sample_source *src, const char *population, const char *seed, size_t n,
		   struct ax_sample *out);
/* {"population","seed","n","n_source","rows","sha256","algorithm","items":[{"rank","key","item",
 *  "row":{COLUMN: VALUE}}]} */
json_t *ax_sample_json(const struct ax_sample *s);
void ax_sample_free(struct ax_sample *s);

/* True for a population built at export (INSTANCE/runs, manual/items)
 * rather than emitted by a probe. */
int ax_sample_population_built(const char *population);

/* The algorithm as a few lines of Python (bundles' README.txt). */
extern const char ax_sample_python[];

#endif
