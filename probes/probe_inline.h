/* probe_inline.h - a probe run in the calling process, for tests and
 * tools: no child, no confinement, results straight into an evidence set. */
#ifndef AX_PROBE_INLINE_H
#define AX_PROBE_INLINE_H

#include "probe.h"

/* Runs inst's probe with an in-memory sink, appending to ev; returns the
 * probe's own return code. Results are stamped with instance, type, time. */
int ax_probe_run_inline(const struct ax_probe_instance *inst, const unsigned char *key, size_t keylen,
			const char *state_dir, int64_t now, struct ax_evidence *ev);

#endif
