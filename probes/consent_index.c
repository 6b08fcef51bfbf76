/* consent_index.c - the table of consent_index.h.
 *
 * The hash reads the address once, lowercasing ASCII as it goes (the lead
 * database stores addresses lowercased, the log keeps the sender's case),
 * eight bytes a step (multiply and fold), starts from the run's seed and
 * ends in a strong 64-bit mix; slots are picked by multiply-shift over any table size, so the
 * table is sized to the bound, not to a power of two. */
#include "consent_index.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"
#include "util.h"

/* A key and its times in one 16-byte slot: a hit costs one cache miss
 * (the table is far larger than the caches; the miss is the lookup's cost). */
struct slot {
	uint64_t key;          /* 0: free */
	uint32_t since, unsub; /* NONE32: NULL */
};

struct ax_consent_index {
	struct slot *slots;
	size_t nslots, count;
	uint64_t seed;
};

#define NONE32 UINT32_MAX

static uint32_t pack(int64_t t)
{
	return t == AX_CONSENT_NONE ? NONE32 : t <= 0 ? 0 : t >= (int64_t)NONE32 ? NONE32 - 1 : (uint32_t)t;
}

static int64_t unpack(uint32_t t)
{
	return t == NONE32 ? AX_CONSENT_NONE : (int64_t)t;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Lowercase of 8 ASCII bytes at once: 0x20 added to the bytes in 'A'..'Z'. */
static uint64_t lower8(uint64_t w)
{
	uint64_t heptets = w & 0x7f7f7f7f7f7f7f7fULL;
	uint64_t ge_a = heptets + 0x3f3f3f3f3f3f3f3fULL; /* bit 7 set where byte >= 'A' */
	uint64_t gt_z = heptets + 0x2525252525252525ULL; /* bit 7 set where byte > 'Z' */
	uint64_t upper = ge_a & ~gt_z & ~w & 0x8080808080808080ULL;
	return w | (upper >> 2);
}

static uint64_t hash(uint64_t seed, const char *s, size_t len)
{
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	while (len >= 8) { /* a cheap step a word; mix() at the end spreads it */
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ lower8(w)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		s += 8;
		len -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, len);
	h = mix(h ^ lower8(w) ^ 0xff);
	return h ? h : 1; /* 0 marks a free slot */
}

struct ax_consent_index *ax_consent_index_new(size_t max_entries)
{
	struct ax_consent_index *ix = ax_calloc(1, sizeof(*ix));
	ix->nslots = max_entries + max_entries / 3 + 16;
	ix->slots = ax_calloc(ix->nslots, sizeof(*ix->slots));
	if (getrandom(&ix->seed, sizeof(ix->seed), 0) != (ssize_t)sizeof(ix->seed))
		ix->seed = (uint64_t)(uintptr_t)ix ^ 0x5bd1e995ULL; /* never a secret: only spreads the keys */
	return ix;
}

static size_t slot_of(const struct ax_consent_index *ix, uint64_t key)
{
	return (size_t)(((unsigned __int128)key * ix->nslots) >> 64);
}

int ax_consent_index_put(struct ax_consent_index *ix, const char *addr, size_t len, int64_t since, int64_t unsub)
{
	uint64_t key = hash(ix->seed, addr, len);
	if (ix->count + 1 >= ix->nslots)
		return ax_error_code(AX_ERROR, "consent index full (%zu addresses)", ix->count);
	for (size_t i = slot_of(ix, key);; i = i + 1 == ix->nslots ? 0 : i + 1) {
		struct slot *sl = &ix->slots[i];
		if (sl->key == key)
			return 0;
		if (!sl->key) {
			*sl = (struct slot){key, pack(since), pack(unsub)};
			ix->count++;
			return 0;
		}
	}
}

uint64_t ax_consent_index_key(const struct ax_consent_index *ix, const char *addr, size_t len)
{
	uint64_t key = hash(ix->seed, addr, len);
	__builtin_prefetch(&ix->slots[slot_of(ix, key)]);
	return key;
}

int ax_consent_index_find(const struct ax_consent_index *ix, uint64_t key, struct ax_consent_interval *out)
{
	for (size_t i = slot_of(ix, key);; i = i + 1 == ix->nslots ? 0 : i + 1) {
		const struct slot *sl = &ix->slots[i];
		if (sl->key == key) {
			out->since = unpack(sl->since);
			out->unsub = unpack(sl->unsub);
			return 1;
		}
		if (!sl->key)
			return 0;
	}
}

int ax_consent_index_get(const struct ax_consent_index *ix, const char *addr, size_t len,
			 struct ax_consent_interval *out)
{
	return ax_consent_index_find(ix, hash(ix->seed, addr, len), out);
}

size_t ax_consent_index_count(const struct ax_consent_index *ix)
{
	return ix->count;
}

size_t ax_consent_index_bytes(const struct ax_consent_index *ix)
{
	return ix->nslots * sizeof(*ix->slots);
}

void ax_consent_index_free(struct ax_consent_index *ix)
{
	if (!ix)
		return;
	free(ix->slots);
	free(ix);
}
