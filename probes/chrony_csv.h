/* chrony_csv.h - the machine-readable output of `chronyc -c tracking` and
 * `chronyc -c sources` (chrony 4.x, client.c: one comma-separated record
 * per line, the fields of the text report in order, numbers in seconds).
 *
 * tracking: ref id (hex), name, stratum, ref time (epoch), system time
 * (seconds; negative: the clock is ahead of NTP time), last offset, RMS
 * offset, frequency, residual frequency, skew (ppm), root delay, root
 * dispersion (seconds), update interval, leap status ("Normal", "Insert
 * second", "Delete second", "Not synchronised"): exactly 14 fields.
 * sources: mode (^ server, = peer, # reference clock), state (* selected,
 * + combined, - not combined, ? unreachable, x falseticker, ~ too
 * variable), name, stratum, poll, reach (octal), last rx, offset, measured
 * offset, error: 10 fields. Anything else is AX_EINVALID naming the line;
 * names are cut to 255 bytes. */
#ifndef AX_CHRONY_CSV_H
#define AX_CHRONY_CSV_H

#include <stddef.h>

#define CHRONY_SOURCES_MAX 256

struct chrony_tracking {
	char refid[16];
	char name[256];
	int stratum;
	double ref_time, system_time, last_offset, rms_offset, root_delay, root_dispersion;
	char leap[32];
};

struct chrony_source {
	char mode, state;
	char name[256];
	int stratum;
	unsigned reach;
	double offset, error;
};

int chrony_tracking_parse(const char *text, size_t len, struct chrony_tracking *out);
/* Fills up to max sources, *n the number read (more lines are AX_EINVALID). */
int chrony_sources_parse(const char *text, size_t len, struct chrony_source *out, size_t max, size_t *n);
/* chrony's bound on the clock error: |system time| + root dispersion + root delay / 2 (seconds). */
double chrony_error_bound(const struct chrony_tracking *t);

#endif
