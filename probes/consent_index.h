/* consent_index.h - the consent state of every lead address, loaded once,
 * for judging millions of deliveries without a database round trip each.
 *
 * An open-addressing table (linear probing, sized once from an upper bound
 * of the number of addresses, never grown: memory is fixed before the log
 * is read, 16 bytes a slot at a load of at most 3/4, about 21 MiB for
 * 1 M addresses; times are kept as unsigned 32-bit Unix seconds, exact
 * from 1970 to 2106, earlier ones read as 1970). Keys are 64-bit hashes of the lowercased address under
 * a seed drawn per run: the table holds no address, only run-local
 * pseudonyms, and nothing of it is ever emitted. Two addresses sharing a
 * 64-bit hash (odds about n*m/2^64 for n leads and m recipients, 1e-7 at
 * a million of each) would share a verdict. */
#ifndef AX_CONSENT_INDEX_H
#define AX_CONSENT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define AX_CONSENT_NONE INT64_MIN /* a NULL time */

struct ax_consent_interval {
	int64_t since;  /* consent since (AX_CONSENT_NONE: never) */
	int64_t unsub;  /* unsubscribed at (AX_CONSENT_NONE: still subscribed) */
};

struct ax_consent_index;

/* Room for max_entries addresses (more are refused by _put). */
struct ax_consent_index *ax_consent_index_new(size_t max_entries);
/* 0, or AX_ERROR when the table is full (the bound was wrong). A second
 * row for the same address keeps the first. */
int ax_consent_index_put(struct ax_consent_index *ix, const char *addr, size_t len, int64_t since, int64_t unsub);
/* 1 and *out when addr (compared case-insensitively) is in the index, else 0. */
int ax_consent_index_get(const struct ax_consent_index *ix, const char *addr, size_t len,
			 struct ax_consent_interval *out);
/* The same in two steps, for a caller that overlaps many lookups: the
 * key of an address (its slot is fetched into the cache meanwhile), then
 * the lookup. */
uint64_t ax_consent_index_key(const struct ax_consent_index *ix, const char *addr, size_t len);
int ax_consent_index_find(const struct ax_consent_index *ix, uint64_t key, struct ax_consent_interval *out);
size_t ax_consent_index_count(const struct ax_consent_index *ix);
size_t ax_consent_index_bytes(const struct ax_consent_index *ix);
void ax_consent_index_free(struct ax_consent_index *ix);

#endif
