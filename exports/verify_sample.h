/* verify_sample.h - `annexa verify` of a sample bundle (`annexa sample
 * -o`): its sample.json must be the sample its seed draws from the
 * bundle's own population, and the assessment plan must name that seed.
 * A bundle whose sample was edited (items swapped for easier ones) or
 * whose plan names another seed than the one used is refused, however it
 * was signed. */
#ifndef AX_VERIFY_SAMPLE_H
#define AX_VERIFY_SAMPLE_H

#include <stddef.h>

struct ax_zip;

/* Recomputes the sample sample.json (sample, slen) names from z's
 * population, compares every item and the plan's (plan, plen; NULL: none)
 * sample-seed props with it. *csv_path (caller frees) and csv_sha256 name
 * the population file as read here, for the caller to hold against the
 * manifest; *nitems the items redrawn. AX_EINVALID naming the first mismatch. */
int ax_verify_sample(struct ax_zip *z, const char *sample, size_t slen, const char *plan, size_t plen,
		     char **csv_path, char csv_sha256[65], size_t *nitems);

#endif
