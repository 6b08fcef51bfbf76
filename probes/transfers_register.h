/* transfers_register.h - the register of processors and transfers that a
 * privacy officer keeps in a spreadsheet, and host-pattern matching.
 *
 * Header (case, spaces and '-' in names do not matter, extra columns are
 * ignored): recipient,service,endpoints,country,role,mechanism,dpf_checked,
 * tia_date,next_review. recipient, endpoints, country and mechanism are
 * required. Values are kept as written (trimmed); judging them is the
 * probe's job so that each problem lands in its own check. */
#ifndef AX_TRANSFERS_REGISTER_H
#define AX_TRANSFERS_REGISTER_H

#include <stddef.h>

struct ax_transfer_entry {
	size_t line; /* where the row starts in the file */
	char *recipient, *service, *country, *role, *mechanism;
	char *dpf_checked, *tia_date, *next_review;
	char **endpoints; /* lower-cased host names and "*.domain" patterns */
	size_t nendpoints;
};

struct ax_transfer_register {
	struct ax_transfer_entry *entries;
	size_t nentries;
	char separator;
	const char *encoding; /* static string, see ax_csv_encoding() */
};

/* Parses a register file's content; name is used in errors, which name the
 * line ("register.csv:7: ..."). */
int ax_transfer_register_parse(struct ax_transfer_register **out, const void *data, size_t len, const char *name);
void ax_transfer_register_free(struct ax_transfer_register *reg);

/* True when host (already canonical: lower case, no trailing dot) matches
 * pattern: equal, or pattern "*.d" and host ends in ".d" with a non-empty
 * label before it. */
int ax_host_pattern_matches(const char *pattern, const char *host);
/* Lower-cases and strips one trailing dot, in place; returns s. */
char *ax_host_canonical(char *s);

#endif
