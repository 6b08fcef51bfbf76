/* test_capacity.c - `postqueue -j` lines as Postfix 3.7 prints them
 * (summarised without senders or recipients) and malformed ones; the
 * capacity probe's trend over samples kept in its state folder: a file
 * system growing by a fifth of its free space a day fails min-days-left,
 * one that stays flat passes. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "evidence.h"
#include "postqueue_json.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_capacity;

static const char *run(const char *state, int64_t now, struct ax_evidence *ev)
{
	struct ax_kv opts[] = {{(char *)"mount", (char *)"/"}, {(char *)"postqueue", (char *)""}};
	struct ax_probe_instance inst = {.name = (char *)"cap", .type = &probe_capacity, .opts = opts, .nopts = 2};
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, state, now, ev), 0);
	const struct ax_result *r = t_result(ev, "capacity.trend");
	return r ? ax_check_status_name(r->status) : "missing";
}

int main(void)
{
	static const char q[] =
		"{\"queue_name\": \"deferred\", \"queue_id\": \"4F2C11A0B2\", \"arrival_time\": 1796600000, "
		"\"message_size\": 312, \"forced_expire\": false, \"sender\": \"a@example.org\", \"recipients\": "
		"[{\"address\": \"b@example.net\", \"delay_reason\": \"delivery temporarily suspended\"}]}\n"
		"{\"queue_name\": \"hold\", \"queue_id\": \"5A\", \"arrival_time\": 1796500000, \"message_size\": 100, "
		"\"sender\": \"\", \"recipients\": [{\"address\": \"c@example.net\"}, {\"address\": \"d@example.net\"}]}\n"
		"{\"queue_name\": \"corrupt\", \"queue_id\": \"6B\", \"arrival_time\": 1796700000}\n";
	struct pq_summary s;
	T_EQ_INT(pq_parse(q, strlen(q), &s), 0);
	T_EQ_INT(s.messages, 3);
	T_EQ_INT(s.recipients, 3);
	T_EQ_INT(s.bytes, 412);
	T_EQ_INT(s.oldest, 1796500000);
	T_EQ_INT(s.per_queue[4], 1); /* deferred */
	T_EQ_INT(s.per_queue[1], 1); /* hold */
	T_EQ_INT(s.per_queue[PQ_QUEUES], 1);
	T_EQ_INT(pq_parse("", 0, &s), 0);
	T_EQ_INT(s.messages, 0);
	static const char *const bad[] = {"{\"queue_name\": \"active\"}\n", "not json\n", "[1]\n",
					  "{\"queue_name\": 1, \"arrival_time\": 2}\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(pq_parse(bad[i], strlen(bad[i]), &s), AX_EINVALID);
		T_CONTAINS(ax_error_last(), "postqueue -j line 1");
	}

	/* the trend: samples written as an earlier run would have */
	struct statvfs sv;
	T_EQ_INT(statvfs("/", &sv), 0);
	double avail = (double)sv.f_bavail * (double)(sv.f_frsize ? sv.f_frsize : sv.f_bsize);
	double used = (double)(sv.f_blocks - sv.f_bfree) * (double)(sv.f_frsize ? sv.f_frsize : sv.f_bsize);
	int64_t now = ax_now();
	const char *dir = t_tmpdir();
	char *state = ax_asprintf("%s/grow", dir), *flat = ax_asprintf("%s/flat", dir);
	T_EQ_INT(mkdir(state, 0700), 0);
	T_EQ_INT(mkdir(flat, 0700), 0);
	char *text = ax_asprintf("{\"samples\": {\"/\": [[%lld, %.0f], [%lld, %.0f], [%lld, %.0f]]}}", (long long)(now - 2 * 86400),
				 used - 0.4 * avail, (long long)(now - 86400), used - 0.2 * avail, (long long)(now - 3600), used);
	char *path = ax_asprintf("%s/capacity-state.json", state);
	T_EQ_INT(ax_file_write_atomic(path, text, strlen(text), 0600), 0);
	struct ax_evidence ev = {0};
	T_EQ_STR(run(state, now, &ev), "fail");
	T_CONTAINS(t_result(&ev, "capacity.trend") ? t_result(&ev, "capacity.trend")->message : "", "/ fills in ");
	T_EQ_STR(ax_check_status_name(t_result(&ev, "capacity.mail_queue")->status), "skip");
	ax_evidence_free(&ev);
	free(text);
	free(path);
	text = ax_asprintf("{\"samples\": {\"/\": [[%lld, %.0f], [%lld, %.0f], [%lld, %.0f]]}}", (long long)(now - 2 * 86400), used,
			   (long long)(now - 86400), used, (long long)(now - 3600), used);
	path = ax_asprintf("%s/capacity-state.json", flat);
	T_EQ_INT(ax_file_write_atomic(path, text, strlen(text), 0600), 0);
	memset(&ev, 0, sizeof(ev));
	T_EQ_STR(run(flat, now, &ev), "pass");
	ax_evidence_free(&ev);
	/* a fresh state: one sample, too few */
	memset(&ev, 0, sizeof(ev));
	T_EQ_STR(run(dir, now, &ev), "skip");
	ax_evidence_free(&ev);
	free(text);
	free(path);
	free(state);
	free(flat);
	return t_done();
}
