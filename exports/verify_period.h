/* verify_period.h - `annexa verify` recomputes what a bundle's period.json
 * can be checked against: the runs of each probe instance in the signed
 * ledger excerpt (verify.c counts them while it walks ledger.json and
 * results.jsonl), and the calendar's own arithmetic. */
#ifndef AX_VERIFY_PERIOD_H
#define AX_VERIFY_PERIOD_H

#include <stddef.h>

/* Collection runs per instance, as the ledger walk finds them. */
struct ax_run_counts {
	char **names;
	int *n;
	size_t len;
};
/* Counts one run of instance (once per run: the caller dedupes). */
void ax_run_counts_add(struct ax_run_counts *c, const char *instance);
void ax_run_counts_free(struct ax_run_counts *c);
/* 0 when period.json (text, len) is what annexa writes for these runs:
 * every instance with runs is listed with exactly that many observed and
 * no other; every control's calendar has one letter per day and as many
 * days with evidence as it says. AX_EINVALID naming the first mismatch. */
int ax_verify_period(const char *text, size_t len, const struct ax_run_counts *c);

#endif
