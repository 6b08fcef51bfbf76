/* metrics.h - Prometheus text-format metrics for node_exporter's textfile
 * collector, written atomically after each run so a scrape never sees a
 * half-written file. */
#ifndef AX_METRICS_H
#define AX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

struct ax_status;

int ax_metrics_write(const char *path, const struct ax_status *st, const struct ax_probe_stats *stats, size_t n,
		     int64_t now);

#endif
