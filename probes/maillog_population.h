/* maillog_population.h - the `maillog-consent` probe's populations:
 * campaign deliveries as counts per day ("deliveries-per-day": a million
 * deliveries are a few hundred rows) and every violating delivery
 * ("violations": the lead's pseudonym, the time, the reason), written as
 * they are found (population.h). */
#ifndef AX_MAILLOG_POPULATION_H
#define AX_MAILLOG_POPULATION_H

#include <stdint.h>

#include "probe.h"

struct ax_mlc_pop;

struct ax_mlc_pop *ax_mlc_pop_open(struct ax_probe_ctx *ctx);
/* One campaign delivery at time t. Accepts NULL. */
void ax_mlc_pop_delivery(struct ax_mlc_pop *p, int64_t t);
/* One violating delivery (addr: raw, pseudonymised here). Accepts NULL. */
void ax_mlc_pop_violation(struct ax_mlc_pop *p, const char *addr, int64_t t, const char *reason);
/* Emits both (complete: 1) or drops both, and frees p. Accepts NULL. */
void ax_mlc_pop_close(struct ax_mlc_pop *p, int complete);

#endif
