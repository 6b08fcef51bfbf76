/* metrics.h - Prometheus text-format metrics for node_exporter's textfile
 * collector, written atomically after each run so a scrape never sees a
 * half-written file. */
#ifndef AX_METRICS_H
#define AX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"

struct ax_status;

struct ax_probe_stats {
	const char *instance;
	const char *probe_type;
	int64_t last_run;     /* epoch seconds of its last run, 0 = never */
	int64_t duration_ms;  /* wall time of that run */
	int results[AX_CHECK_NSTATUS]; /* per enum ax_check_status in that run */
	int consecutive_failures;
	int64_t next_due;
};

int ax_metrics_write(const char *path, const struct ax_status *st, const struct ax_probe_stats *stats, size_t n,
		     int64_t now);

#endif
