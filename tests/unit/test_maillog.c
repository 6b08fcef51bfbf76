/* test_maillog.c - the Postfix line parser (syslog and RFC 3339 stamps,
 * from/to/removed, lines to ignore) and the bounded queue-id table
 * (lookup, removal, eviction of the oldest). */
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	int64_t now;
	ax_time_parse("2026-11-29T00:00:00Z", &now);
	ax_logclock_init(&clock_, now);
	test_parse();
	test_queue();
	return t_done();
}
