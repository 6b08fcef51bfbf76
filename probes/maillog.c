/* maillog.c - Postfix queue lines and a bounded queue-id table.
 *
 * Accepted prefixes: classic syslog ("Nov 29 10:00:01 host ..."), RFC 3339
 * ("2026-11-29T10:00:01.123+01:00 host ...") and Postfix's own
 * maillog_file, through logread's timestamp parser. The program tag must
 * contain "postfix" (postfix/qmgr, postfix-out/smtp, ...). */
#include "maillog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "error.h"

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

static const char *next_space(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	return sp ? sp : end;
}

static int is_qid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* lit (n >= 2 bytes) in [p, end): memchr for its first byte, which is
 * rare in these lines, beats a general search on short haystacks. */
static const char *find(const char *p, const char *end, const char *lit, size_t n)
{
	while ((size_t)(end - p) >= n && (p = memchr(p, lit[0], (size_t)(end - p) - n + 1))) {
		if (memcmp(p + 1, lit + 1, n - 1) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* " status=sent" in [p, end): logread's vector search (a delivery line
 * is long and its search is most of its parsing). */
static int sent_status(const char *p, const char *end)
{
	static const char *const phrase[] = {" status=sent"};
	static struct ax_needles nd;
	if (!nd.n)
		ax_needles_init(&nd, phrase, 1);
	return ax_needles_find(&nd, p, end) != NULL;
}

static int starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* "<addr>" at p: the address between the brackets. */
static int bracketed(const char *p, const char *end, const char **addr, size_t *len)
{
	if (p >= end || *p != '<')
		return -1;
	const char *close = memchr(p + 1, '>', (size_t)(end - p - 1));
	if (!close)
		return -1;
	*addr = p + 1;
	*len = (size_t)(close - p - 1);
	return 0;
}

/* The stamp's value depends only on the bytes the parser consumed and the
 * one after them (where it stopped): a line that repeats those bytes
 * repeats the value. */
static int stamp(struct ax_maillog_stamps *st, const struct ax_logclock *clock, const char *line, size_t len,
		 int64_t *time, size_t *used)
{
	if (st && st->k && (st->ended ? len == st->k : len >= st->k) && memcmp(line, st->prefix, st->k) == 0) {
		*time = st->time;
		*used = st->used;
		return 0;
	}
	if (ax_logtime_parse(clock, line, len, time, used) < 0)
		return AX_EINVALID;
	if (st) {
		size_t k = *used < len ? *used + 1 : len;
		st->k = k <= sizeof(st->prefix) ? k : 0;
		memcpy(st->prefix, line, st->k);
		st->ended = *used >= len;
		st->time = *time;
		st->used = *used;
	}
	return 0;
}

int ax_maillog_parse(const struct ax_logclock *clock, const char *line, size_t len, struct ax_maillog_rec *out)
{
	return ax_maillog_parse_cached(NULL, clock, line, len, out);
}

int ax_maillog_parse_cached(struct ax_maillog_stamps *st, const struct ax_logclock *clock, const char *line,
			    size_t len, struct ax_maillog_rec *out)
{
	const char *end = line + len, *p;
	size_t used = 0;
	out->kind = AX_MAILLOG_OTHER;
	out->queue_id[0] = '\0';
	out->addr = NULL;
	out->addr_len = 0;
	if (stamp(st, clock, line, len, &out->time, &used) < 0)
		return AX_EINVALID;
	p = skip_spaces(line + used, end);
	p = skip_spaces(next_space(p, end), end); /* host */
	const char *tag = p;
	p = next_space(p, end);
	if (p - tag < 8 || p[-1] != ':' || (memcmp(tag, "postfix", 7) != 0 && !find(tag, p, "postfix", 7)))
		return 0;
	p = skip_spaces(p, end);
	const char *qid = p;
	while (p < end && is_qid_char(*p))
		p++;
	size_t qlen = (size_t)(p - qid);
	if (qlen < 5 || qlen >= sizeof(out->queue_id) || p >= end || *p != ':')
		return 0;
	memcpy(out->queue_id, qid, qlen);
	out->queue_id[qlen] = '\0';
	p = skip_spaces(p + 1, end);
	if (starts(p, end, "from=")) {
		if (bracketed(p + 5, end, &out->addr, &out->addr_len) == 0)
			out->kind = AX_MAILLOG_FROM;
	} else if (starts(p, end, "to=")) {
		if (bracketed(p + 3, end, &out->addr, &out->addr_len) == 0 &&
		    sent_status(out->addr + out->addr_len, end)) /* after the address */
			out->kind = AX_MAILLOG_SENT;
	} else if ((size_t)(end - p) == 7 && memcmp(p, "removed", 7) == 0) {
		out->kind = AX_MAILLOG_REMOVED;
	}
	return 0;
}

/* --- the queue table: a chained hash over a ring of nodes. A new entry
 * takes the next ring slot, evicting what was there: the oldest. Few
 * queue ids are live at once (a message's are removed when it is done),
 * so the buckets are a quarter of the ring: small enough to stay in the
 * cache, and chains of about four when every slot is live. --- */
struct node {
	char qid[33];
	signed char campaign; /* -1: slot free */
	uint32_t hash;        /* of qid: a chain is walked without string compares */
	uint32_t next;        /* chain, UINT32_MAX = end */
};

struct ax_maillog_queue {
	struct node *nodes;
	uint32_t *buckets;
	size_t max, nbuckets, ring;
	uint64_t evicted;
	/* the node last looked up: a message's lines tend to follow each
	 * other (from, its deliveries, removed); checked against the node */
	uint32_t last;
};

static uint32_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (uint32_t)(h ^ (h >> 32));
}

struct ax_maillog_queue *ax_maillog_queue_new(size_t max)
{
	struct ax_maillog_queue *q = ax_calloc(1, sizeof(*q));
	q->max = max ? max : 1;
	q->nbuckets = 16;
	while (q->nbuckets < q->max / 4)
		q->nbuckets *= 2;
	q->nodes = ax_calloc(q->max, sizeof(*q->nodes));
	q->buckets = ax_malloc(q->nbuckets * sizeof(*q->buckets));
	for (size_t i = 0; i < q->nbuckets; i++)
		q->buckets[i] = UINT32_MAX;
	for (size_t i = 0; i < q->max; i++)
		q->nodes[i].campaign = -1;
	return q;
}

static uint32_t *find_link(const struct ax_maillog_queue *q, const char *qid, uint32_t h)
{
	uint32_t *link = &q->buckets[h & (q->nbuckets - 1)];
	while (*link != UINT32_MAX && (q->nodes[*link].hash != h || strcmp(q->nodes[*link].qid, qid) != 0))
		link = &q->nodes[*link].next;
	return link;
}

static void unlink_node(struct ax_maillog_queue *q, uint32_t idx)
{
	uint32_t *link = find_link(q, q->nodes[idx].qid, q->nodes[idx].hash);
	if (*link == idx)
		*link = q->nodes[idx].next;
	q->nodes[idx].campaign = -1;
}

void ax_maillog_queue_set(struct ax_maillog_queue *q, const char *qid, int campaign)
{
	uint32_t h = hash(qid);
	uint32_t *link = find_link(q, qid, h);
	if (*link != UINT32_MAX) {
		q->nodes[*link].campaign = (signed char)(campaign != 0);
		return;
	}
	uint32_t idx = (uint32_t)q->ring;
	q->ring = (q->ring + 1) % q->max;
	if (q->nodes[idx].campaign >= 0) {
		unlink_node(q, idx);
		q->evicted++;
	}
	struct node *n = &q->nodes[idx];
	snprintf(n->qid, sizeof(n->qid), "%s", qid);
	n->campaign = (signed char)(campaign != 0);
	n->hash = h;
	link = find_link(q, n->qid, h); /* the unlink may have moved the chain end */
	n->next = UINT32_MAX;
	*link = idx;
	q->last = idx; /* its deliveries follow */
}

int ax_maillog_queue_get(struct ax_maillog_queue *q, const char *qid)
{
	const struct node *n = &q->nodes[q->last];
	if (n->campaign >= 0 && strcmp(n->qid, qid) == 0)
		return n->campaign;
	uint32_t *link = find_link(q, qid, hash(qid));
	if (*link == UINT32_MAX)
		return -1;
	q->last = *link;
	return q->nodes[*link].campaign;
}

void ax_maillog_queue_remove(struct ax_maillog_queue *q, const char *qid)
{
	uint32_t *link = find_link(q, qid, hash(qid));
	if (*link != UINT32_MAX) {
		uint32_t idx = *link;
		*link = q->nodes[idx].next;
		q->nodes[idx].campaign = -1;
	}
}

uint64_t ax_maillog_queue_evicted(const struct ax_maillog_queue *q)
{
	return q->evicted;
}

void ax_maillog_queue_free(struct ax_maillog_queue *q)
{
	if (!q)
		return;
	free(q->nodes);
	free(q->buckets);
	free(q);
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ax_maillog_files(char ***out, const char *base, unsigned max_rotated)
{
	char **list = ax_calloc((size_t)max_rotated * 2 + 2, sizeof(char *));
	size_t n = 0;
	*out = NULL;
	for (unsigned gen = max_rotated; gen >= 1; gen--) {
		char *gz = ax_asprintf("%s.%u.gz", base, gen), *plain = ax_asprintf("%s.%u", base, gen);
		if (is_file(gz))
			list[n++] = gz, gz = NULL;
		if (is_file(plain))
			list[n++] = plain, plain = NULL;
		free(gz);
		free(plain);
	}
	if (is_file(base))
		list[n++] = ax_strdup(base);
	if (n == 0) {
		free(list);
		return ax_error_code(AX_ENOTFOUND, "%s: no such log file (nor rotated generations)", base);
	}
	*out = list;
	return 0;
}

void ax_maillog_files_free(char **files)
{
	for (size_t i = 0; files && files[i]; i++)
		free(files[i]);
	free(files);
}
