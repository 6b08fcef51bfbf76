/* consent_times.h - the generic schema's times, checked before they are
 * compared (SQLite only).
 *
 * SQLite has no time type: the generic schema's contract is TEXT exactly
 * 'YYYY-MM-DD HH:MM:SS' UTC, and the default queries compare those
 * strings as text. A time in another form ('2026-06-01T10:00:00Z', an
 * epoch number, '2026-02-30 10:00:00') sorts wrongly against the others
 * and would give a verdict nobody can trust, a pass included. So the
 * columns are checked first, and a default query that compares times is
 * reported as `error` naming the columns instead of being believed. */
#ifndef AX_CONSENT_TIMES_H
#define AX_CONSENT_TIMES_H

#include "buf.h"
#include "leaddb.h"

/* For schema generic on SQLite (nothing to do otherwise: *problem NULL):
 * counts the values of every time column (the customer columns where caps
 * has them) that datetime() would not give back unchanged, appends the
 * query to sql_log, and sets *problem (caller frees) to a message naming
 * each such column and its count, or NULL when every time is in form.
 * A failed query is a problem too, never an error of the run. */
void ax_consent_time_form(struct ax_leaddb *db, const char *schema, unsigned caps, struct ax_buf *sql_log,
			  char **problem);

#endif
