/* metrics.h - Prometheus text-format metrics for node_exporter's textfile
 * collector, written atomically after each run so a scrape never sees a
 * half-written file. */
#ifndef AX_METRICS_H
#define AX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

struct ax_status;

/* store_bytes: the store's size (its growth is capacity evidence the
 * confined probes cannot see), -1 to leave it out. */
int ax_metrics_write(const char *path, const struct ax_status *st, const struct ax_probe_stats *stats, size_t n,
		     int64_t store_bytes, int64_t now);

#endif
