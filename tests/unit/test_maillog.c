/* test_maillog.c - the Postfix line parser (syslog and RFC 3339 stamps,
 * from/to/removed, lines to ignore) and the bounded queue-id table
 * (lookup, removal, eviction of the oldest). */
#include <stdlib.h>
#include <string.h>

#include "consent_index.h"
#include "maillog.h"
#include "t.h"
#include "util.h"

static struct ax_logclock clock_;

static int parse(const char *line, struct ax_maillog_rec *r)
{
	return ax_maillog_parse(&clock_, line, strlen(line), r);
}

static void test_parse(void)
{
	struct ax_maillog_rec r;
	int64_t t;
	T_EQ_INT(parse("Nov 25 10:00:00 mx1 postfix/qmgr[103]: 1A2B3C: from=<News@Example.com>, size=1, nrcpt=2 (queue active)", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_FROM);
	T_EQ_STR(r.queue_id, "1A2B3C");
	T_EQ_INT(r.addr_len, 16);
	T_OK(strncmp(r.addr, "News@Example.com", 16) == 0);
	ax_time_parse("2026-11-25T10:00:00Z", &t);
	T_EQ_INT(r.time, t);

	T_EQ_INT(parse("2026-11-10T10:00:00.000123+01:00 mx1 postfix-out/smtp[104]: 4Xyz12AbCdEf: to=<a@b.example>, "
		       "relay=x[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_SENT);
	T_EQ_STR(r.queue_id, "4Xyz12AbCdEf");
	ax_time_parse("2026-11-10T09:00:00Z", &t);
	T_EQ_INT(r.time, t);

	T_EQ_INT(parse("Nov 25 10:00:00 mx1 postfix/smtp[104]: 1A2B3C: to=<a@b>, relay=x, status=deferred (timeout)", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_OTHER);
	T_EQ_INT(parse("Nov 25 10:00:00 mx1 postfix/qmgr[103]: 1A2B3C: removed", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_REMOVED);
	T_EQ_INT(parse("Nov 25 10:00:00 mx1 postfix/pickup[1]: 1A2B3C: uid=0 from=<root>", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_OTHER);
	T_EQ_INT(parse("Nov 25 10:00:00 mx1 dovecot: 1A2B3C: from=<x@y>", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_OTHER);
	T_EQ_INT(parse("Nov 25 10:00:00 mx1 postfix/smtpd[9]: connect from unknown[198.51.100.7]", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_OTHER);
	T_EQ_INT(parse("Nov 25 10:00:00 mx1 postfix/qmgr[1]: 1A2B3C: from=<unterminated", &r), 0);
	T_EQ_INT(r.kind, AX_MAILLOG_OTHER);
	T_EQ_INT(parse("no timestamp here", &r), AX_EINVALID);
	T_EQ_INT(parse("", &r), AX_EINVALID);
}

static void test_queue(void)
{
	struct ax_maillog_queue *q = ax_maillog_queue_new(100);
	char id[16];
	for (int i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "Q%05d", i);
		ax_maillog_queue_set(q, id, i % 2);
	}
	T_EQ_INT(ax_maillog_queue_evicted(q), 50);
	T_EQ_INT(ax_maillog_queue_get(q, "Q00000"), -1); /* oldest evicted */
	T_EQ_INT(ax_maillog_queue_get(q, "Q00049"), -1);
	T_EQ_INT(ax_maillog_queue_get(q, "Q00050"), 0);
	T_EQ_INT(ax_maillog_queue_get(q, "Q00149"), 1);
	ax_maillog_queue_remove(q, "Q00149");
	T_EQ_INT(ax_maillog_queue_get(q, "Q00149"), -1);
	ax_maillog_queue_set(q, "Q00050", 1); /* update in place */
	T_EQ_INT(ax_maillog_queue_get(q, "Q00050"), 1);
	T_EQ_INT(ax_maillog_queue_evicted(q), 50);
	ax_maillog_queue_free(q);
	ax_maillog_queue_free(NULL);
}

/* The remembered stamp gives what a fresh parse gives, line after line,
 * also where two stamps share their first bytes but not the one after. */
static void test_stamp_cache(void)
{
	static const char *const lines[] = {
		"2026-11-10T10:00:00 mx1 postfix/qmgr[1]: 1A2B3C: removed",
		"2026-11-10T10:00:00Z mx1 postfix/qmgr[1]: 1A2B3C: removed",
		"2026-11-10T10:00:00.5+01:00 mx1 postfix/qmgr[1]: 1A2B3C: removed",
		"2026-11-10T10:00:00.5+01:00 mx1 postfix/qmgr[1]: 1A2B3D: removed",
		"2026-11-10T10:00:00.5-01:00 mx1 postfix/qmgr[1]: 1A2B3D: removed",
		"Nov 25 10:00:00 mx1 postfix/qmgr[103]: 1A2B3C: removed",
		"Nov 25 10:00:00 mx1 postfix/qmgr[103]: 1A2B3D: removed",
		"Nov 25 10:00:01 mx1 postfix/qmgr[103]: 1A2B3D: removed",
		"Nov 25 10:00:01",
		"Nov 25 10:00:01 x",
		"garbage",
		"Nov 25 10:00:01 mx1 postfix/qmgr[103]: 1A2B3D: removed",
	};
	struct ax_maillog_stamps st = {0};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct ax_maillog_rec a, b;
		int ra = ax_maillog_parse(&clock_, lines[i], strlen(lines[i]), &a);
		int rb = ax_maillog_parse_cached(&st, &clock_, lines[i], strlen(lines[i]), &b);
		T_EQ_INT(rb, ra);
		if (ra == 0) {
			T_EQ_INT(b.time, a.time);
			T_EQ_INT(b.kind, a.kind);
			T_EQ_STR(b.queue_id, a.queue_id);
		}
	}
}

/* The consent index: case-insensitive hits, misses, the first row kept,
 * refusal past its bound. */
static void test_consent_index(void)
{
	struct ax_consent_index *ix = ax_consent_index_new(3);
	T_EQ_INT(ax_consent_index_put(ix, "a@example.org", 13, 100, AX_CONSENT_NONE), 0);
	T_EQ_INT(ax_consent_index_put(ix, "Long.Address.Over.Eight@Example.ORG", 35, AX_CONSENT_NONE, 7), 0);
	T_EQ_INT(ax_consent_index_put(ix, "a@example.org", 13, 999, 999), 0); /* a duplicate keeps the first */
	struct ax_consent_interval v = {0, 0};
	T_EQ_INT(ax_consent_index_get(ix, "A@Example.Org", 13, &v), 1);
	T_OK(v.since == 100 && v.unsub == AX_CONSENT_NONE);
	T_EQ_INT(ax_consent_index_get(ix, "long.address.over.eight@example.org", 35, &v), 1);
	T_OK(v.since == AX_CONSENT_NONE && v.unsub == 7);
	T_EQ_INT(ax_consent_index_get(ix, "b@example.org", 13, &v), 0);
	T_EQ_INT(ax_consent_index_get(ix, "a@example.or", 12, &v), 0);
	T_EQ_INT(ax_consent_index_get(ix, "", 0, &v), 0);
	T_EQ_INT(ax_consent_index_count(ix), 2);
	char addr[32];
	int err = 0;
	for (int i = 0; i < 40 && err == 0; i++) {
		snprintf(addr, sizeof(addr), "x%d@example.org", i);
		err = ax_consent_index_put(ix, addr, strlen(addr), i, i);
	}
	T_EQ_INT(err, AX_ERROR);
	T_EQ_INT(ax_consent_index_get(ix, "x0@example.org", 14, &v), 1);
	T_OK(v.since == 0 && v.unsub == 0);
	/* times: exact within 1970..2106, NULL kept apart from every time */
	struct ax_consent_index *t = ax_consent_index_new(4);
	T_EQ_INT(ax_consent_index_put(t, "t@x", 3, 4294967294LL, 1796083200LL), 0);
	T_EQ_INT(ax_consent_index_get(t, "t@x", 3, &v), 1);
	T_OK(v.since == 4294967294LL && v.unsub == 1796083200LL);
	ax_consent_index_free(t);
	ax_consent_index_free(ix);
	ax_consent_index_free(NULL);
}

int main(void)
{
	int64_t now;
	ax_time_parse("2026-11-29T00:00:00Z", &now);
	ax_logclock_init(&clock_, now);
	test_parse();
	test_queue();
	test_stamp_cache();
	test_consent_index();
	return t_done();
}
