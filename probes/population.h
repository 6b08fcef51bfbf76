/* population.h - a probe's population: every item an auditor may sample
 * (each confirmation, commit, snapshot, job run), one CSV row per item,
 * and its provenance.
 *
 * A population is written as it is produced, never held: rows go to
 * STATE/populations/NAME.csv in the instance's state folder (the collector
 * moves that file into the store in chunks, collect.c) or, for a context
 * without a state folder, to an in-memory artifact. Its SHA-256 and row
 * count are taken while writing. Closing emits the provenance as the
 * artifact populations/NAME.provenance.json:
 *
 *   {"format": "annexa-population/1", "population": NAME, "file": "NAME.csv",
 *    "columns": [...], "item_column": "item", "source": ..., "selection": ...,
 *    "parameters": {...}, "frequency": ..., "rows": N, "size": BYTES,
 *    "sha256": HEX, "collected_at": TIME}
 *
 * The first column is `item`: a stable id of the item that holds no
 * personal data (a keyed pseudonym, ax_probe_pseudonym(), or a commit
 * hash, a snapshot id, a time). The caller passes only such values; the
 * source names a database, file or instance, never credentials. */
#ifndef AX_POPULATION_H
#define AX_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "probe.h"

struct ax_population;

/* How often the control event of a population happens; it picks the
 * default sample size (sample.h). */
enum ax_pop_frequency {
	AX_FREQ_ANNUAL,
	AX_FREQ_QUARTERLY,
	AX_FREQ_MONTHLY,
	AX_FREQ_WEEKLY,
	AX_FREQ_DAILY,
	AX_FREQ_MANY_DAILY, /* several a day */
	AX_FREQ_COUNT
};
const char *ax_pop_frequency_name(enum ax_pop_frequency f); /* "annual" ... "several-a-day" */
int ax_pop_frequency_parse(const char *s, enum ax_pop_frequency *out);
/* The frequency of an event that recurs every `interval` seconds. */
enum ax_pop_frequency ax_pop_frequency_of_interval(int64_t interval);
/* The frequency of n events observed over span seconds (none: annual). */
enum ax_pop_frequency ax_pop_frequency_of_count(int64_t n, int64_t span);

/* Where a collector run leaves the file of population NAME of an instance
 * whose state folder is state_dir: STATE/populations/NAME.csv. */
#define AX_POP_DIR "populations"
#define AX_POP_PREFIX "populations/"
#define AX_POP_PROVENANCE_SUFFIX ".provenance.json"

/* Starts population name (an id: [A-Za-z0-9._-]; not "runs", which is
 * the population of the instance's runs built at export) with the given column
 * names after `item` (NULL-terminated). Never fails: a failure to write is
 * kept in ctx like any failed emit, and the population is then dropped. */
struct ax_population *ax_population_open(struct ax_probe_ctx *ctx, const char *name, const char *const *columns);
/* One row: item then one value per column (NULL: empty). */
void ax_population_row(struct ax_population *p, const char *item, const char *const *values);
/* Emits the provenance (params: stolen, may be NULL) and frees p. Accepts
 * NULL. */
void ax_population_close(struct ax_population *p, const char *source, const char *selection, json_t *params,
			 enum ax_pop_frequency freq);
/* Frees p without emitting anything (the probe could not finish the list:
 * an incomplete population is no population). Accepts NULL. */
void ax_population_abandon(struct ax_population *p);

/* The provenance object (the format above); params stolen (NULL: {}),
 * columns borrowed. NULL when a string is not UTF-8. Shared with the
 * populations built at export. */
json_t *ax_population_provenance(const char *name, const char *instance, json_t *columns, const char *source,
				 const char *selection, json_t *params, enum ax_pop_frequency freq, int64_t rows,
				 int64_t size, const char *sha256, int64_t collected_at);

/* Appends s to out as one CSV field (RFC 4180: quoted when it holds a
 * comma, quote, CR or LF). */
void ax_csv_field(struct ax_buf *out, const char *s);

/* Opens STATE/populations/NAME.csv for reading without following links,
 * refusing anything that is not a regular file: the folder is the
 * child's, and the parent may run as root. NAME comes from a provenance
 * artifact name "populations/NAME.provenance.json". AX_ENOTFOUND when there is no such file. */
int ax_population_file_open(const char *state_dir, const char *provenance_artifact, int *fd_out);
/* NAME of an artifact name "populations/NAME.provenance.json" (caller
 * frees), NULL when the name is not one. */
char *ax_population_name_of(const char *artifact_name);

#endif
