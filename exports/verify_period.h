/* verify_period.h - `annexa verify` recomputes what a bundle's period.json
 * can be checked against: the runs of each probe instance in the signed
 * ledger excerpt (verify.c collects them while it walks ledger.json and
 * results.jsonl), the calendar of each instance those runs and its stated
 * interval imply, and the calendar's own arithmetic. */
#ifndef AX_VERIFY_PERIOD_H
#define AX_VERIFY_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"

/* One collection run of one instance, as the ledger signs it. */
struct ax_run_seen {
	int64_t started_at, finished_at;
	unsigned char failed;   /* the instance reported nothing but errors */
	unsigned char counting; /* it reported a pass, fail or error */
	int64_t id;
	unsigned n[AX_CHECK_NSTATUS]; /* its results by status */
};
/* Collection runs per instance, as the ledger walk finds them. */
struct ax_run_counts {
	char **names;
	struct ax_run_seen **runs;
	int *n;
	size_t len;
};
/* Adds one run of instance (once per run: the caller dedupes). */
void ax_run_counts_add(struct ax_run_counts *c, const char *instance, const struct ax_run_seen *run);
void ax_run_counts_free(struct ax_run_counts *c);
/* What the signed manifest and the ledger say of the period. */
struct ax_period_bounds {
	int64_t since, until, generated_at, first_run;
	int has_since, has_until, has_generated_at, has_first_run;
};
/* 0 when period.json (text, len) is what annexa writes for these runs:
 * its period is manifest.json's (b: its start, else the ledger's first
 * run; its end, else the export's time) and the days are those of it, every instance with runs is
 * listed (and no other) with its first and last run, the runs observed and
 * failed, and the runs expected, missed and the gaps its stated interval
 * gives (a configured interval is taken as stated; one "observed" must be
 * the runs' median spacing); every control's calendar has one letter per
 * day and as many days with evidence as it says, each of them a day on
 * which one of the control's instances reported a pass, fail or error,
 * and its run sums are those of its instances. AX_EINVALID naming the
 * first mismatch. */
int ax_verify_period(const char *text, size_t len, const struct ax_run_counts *c, const struct ax_period_bounds *b);

/* The SHA-256 of the runs population (populations/INSTANCE/runs.csv) the
 * export builds for instance i of c from these runs: it is derived data,
 * outside the chain, and must be exactly the ledger's runs. */
void ax_run_counts_population_sha(const struct ax_run_counts *c, size_t i, char out[65]);

#endif
