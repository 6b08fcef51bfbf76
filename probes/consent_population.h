/* consent_population.h - the `consent` probe's population: every
 * double-opt-in confirmation of the last population-window, one row per
 * (subscriber, list), pseudonymous (population.h). */
#ifndef AX_CONSENT_POPULATION_H
#define AX_CONSENT_POPULATION_H

#include "leaddb.h"
#include "probe.h"

/* Emits population "confirmations" of db (every schema; Mautic only
 * where the DOI plugin's confirmations exist). A query that fails leaves no
 * population and a warning on stderr: the checks stand on their own. */
void ax_consent_population(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const char *schema);

/* The database URI as an auditor may see it: no user, no password, no
 * query string (postgresql://HOST:PORT/DB, sqlite:PATH). Appended to out. */
void ax_consent_db_source(const char *uri, struct ax_buf *out);

#endif
