/* capacity.c - the `capacity` probe: room left on the file systems that
 * matter, where their use is heading, and the Postfix queue.
 *
 * File systems through statvfs(3) (no file is opened, so the mount points
 * need no sandbox grant): blocks and inodes against thresholds. The trend
 * is kept in the state folder (one sample per run, at least an hour apart,
 * for `window`): a least-squares line through the used bytes gives the
 * days until full. The mail queue comes from `postqueue -j`
 * (postqueue_json.h): how many messages, how old the oldest; never who
 * sent them or to whom. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "postqueue_json.h"
#include "probe.h"
#include "subprocess.h"
#include "util.h"
#include "verdict.h"

static const struct ax_option capacity_options[] = {
	{"mount", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "a mount point (or any path on it) to watch, repeatable; default /"},
	{"max-used", AX_OPT_INT, "85", 0, NULL, 1, 100, "highest block use in percent (of what unprivileged users may use)"},
	{"max-inodes-used", AX_OPT_INT, "85", 0, NULL, 1, 100, "highest inode use in percent"},
	{"min-days-left", AX_OPT_DURATION, "14d", 0, NULL, 86400, 31449600, "the trend must not fill a file system sooner"},
	{"window", AX_OPT_DURATION, "30d", 0, NULL, 86400, 31449600, "period of the samples the trend is drawn from"},
	{"postqueue", AX_OPT_STRING, "postqueue", 0, NULL, 0, 0, "postqueue program (\"\": do not look at the mail queue)"},
	{"postfix-config-dir", AX_OPT_PATH, "/etc/postfix", 0, NULL, 0, 0, "Postfix configuration (postqueue -c)"},
	{"postfix-meta-dir", AX_OPT_PATH, "/etc/postfix", 0, NULL, 0, 0, "Postfix's meta_directory (dynamicmaps.cf), which postqueue reads too"},
	{"max-queue", AX_OPT_INT, "1000", 0, NULL, 0, 100000000, "most messages the queue may hold"},
	{"max-queue-age", AX_OPT_DURATION, "1d", 0, NULL, 60, 31449600, "oldest a queued message may be"},
	{NULL},
};

static const struct ax_check_def capacity_checks[] = {
	{"capacity.disk", "block use of every watched file system is at most max-used"},
	{"capacity.inodes", "inode use of every watched file system is at most max-inodes-used"},
	{"capacity.trend", "at the growth of the window, no watched file system fills within min-days-left"},
	{"capacity.mail_queue", "the Postfix queue holds at most max-queue messages, none older than max-queue-age"},
	{NULL},
};

/* Days until full from samples [[t, used, avail_total], ...]: <0 when not
 * growing, NAN when the samples cannot tell. */
static double days_left(json_t *samples, double avail)
{
	size_t n = json_array_size(samples), i;
	double st = 0, su = 0, stt = 0, stu = 0;
	json_t *s;
	if (n < 3)
		return NAN;
	double t0 = (double)json_integer_value(json_array_get(json_array_get(samples, 0), 0));
	double t1 = (double)json_integer_value(json_array_get(json_array_get(samples, n - 1), 0));
	if (t1 - t0 < 6 * 3600)
		return NAN;
	json_array_foreach(samples, i, s)
	{
		double t = ((double)json_integer_value(json_array_get(s, 0)) - t0) / 86400;
		double u = (double)json_integer_value(json_array_get(s, 1));
		st += t;
		su += u;
		stt += t * t;
		stu += t * u;
	}
	double den = (double)n * stt - st * st;
	if (den <= 0)
		return NAN;
	double slope = ((double)n * stu - st * su) / den; /* bytes per day */
	return slope <= 0 ? -1 : avail / slope;
}

static void check_mounts(struct ax_probe_ctx *ctx, json_t *state, json_t *new_state)
{
	struct ax_verdict disk, inodes, trend;
	ax_verdict_init(&disk, "capacity.disk", "mounts");
	ax_verdict_init(&inodes, "capacity.inodes", "mounts");
	ax_verdict_init(&trend, "capacity.trend", "mounts");
	int64_t now = ax_probe_now(ctx), window = ax_probe_opt_int(ctx, "window");
	int64_t max_used = ax_probe_opt_int(ctx, "max-used"), max_inodes = ax_probe_opt_int(ctx, "max-inodes-used");
	double min_days = (double)ax_probe_opt_int(ctx, "min-days-left") / 86400;
	size_t nm = ax_probe_opt_count(ctx, "mount");
	json_t *prev = json_object_get(state, "samples"), *next = json_object();
	json_object_set_new(new_state, "samples", next);
	for (size_t i = 0; i < (nm ? nm : 1); i++) {
		const char *m = nm ? ax_probe_opt_at(ctx, "mount", i) : "/";
		struct statvfs sv;
		if (statvfs(m, &sv) < 0) {
			ax_verdict_add(&disk, AX_CHECK_ERROR, NULL, "%s: %s", m, strerror(errno));
			continue;
		}
		/* as df computes it: used / (used + available to unprivileged users) */
		uint64_t bs = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
		uint64_t used = (uint64_t)(sv.f_blocks - sv.f_bfree) * bs, avail = (uint64_t)sv.f_bavail * bs;
		double pct = used + avail ? 100.0 * (double)used / (double)(used + avail) : 0;
		json_t *item = json_pack("{s:s,s:I,s:I,s:f}", "mount", m, "used_bytes", (json_int_t)used, "available_bytes",
					 (json_int_t)avail, "used_percent", pct);
		if (pct > (double)max_used)
			ax_verdict_add(&disk, AX_CHECK_FAIL, item, "%s is %.1f%% full (max-used %lld%%)", m, pct, (long long)max_used);
		else
			ax_verdict_add(&disk, AX_CHECK_PASS, item, "%s", m);
		if (sv.f_files > 0) {
			uint64_t iused = sv.f_files - sv.f_ffree;
			double ipct = 100.0 * (double)iused / (double)(iused + sv.f_favail);
			json_t *ii = json_pack("{s:s,s:I,s:I,s:f}", "mount", m, "inodes_used", (json_int_t)iused, "inodes_available",
					       (json_int_t)sv.f_favail, "used_percent", ipct);
			if (ipct > (double)max_inodes)
				ax_verdict_add(&inodes, AX_CHECK_FAIL, ii, "%s uses %.1f%% of its inodes", m, ipct);
			else
				ax_verdict_add(&inodes, AX_CHECK_PASS, ii, "%s", m);
		}
		/* the samples: the previous ones inside the window, this one when an hour has passed */
		json_t *old = json_object_get(prev, m), *keep = json_array(), *s;
		size_t k;
		int64_t last = 0;
		json_array_foreach(old, k, s)
		{
			int64_t t = (int64_t)json_integer_value(json_array_get(s, 0));
			if (t >= now - window && t <= now) {
				json_array_append(keep, s);
				last = t;
			}
		}
		if (!last || now - last >= 3600)
			json_array_append_new(keep, json_pack("[I,I]", (json_int_t)now, (json_int_t)used));
		/* at most 2000 samples: the oldest go (keeping the first 2000 instead, a
		 * window past ~83 days of hourly runs dropped every newer sample) */
		while (json_array_size(keep) > 2000)
			json_array_remove(keep, 0);
		json_object_set_new(next, m, keep);
		double d = days_left(keep, (double)avail);
		json_t *ti = json_pack("{s:s,s:I}", "mount", m, "samples", (json_int_t)json_array_size(keep));
		if (isnan(d)) {
			json_decref(ti);
			continue; /* too few samples yet */
		}
		json_object_set_new(ti, "days_left", d < 0 ? json_null() : json_real(d));
		if (d >= 0 && d < min_days)
			ax_verdict_add(&trend, AX_CHECK_FAIL, ti, "%s fills in %.1f days at the growth of the window", m, d);
		else
			ax_verdict_add(&trend, AX_CHECK_PASS, ti, "%s", m);
	}
	ax_verdict_emit(ctx, &disk, "every watched file system has room", "");
	ax_verdict_emit(ctx, &inodes, "every watched file system has inodes left", "no inode counts");
	ax_verdict_emit(ctx, &trend, "no watched file system fills within min-days-left",
			"too few samples yet (three, over six hours at least)");
}

static void check_queue(struct ax_probe_ctx *ctx)
{
	struct ax_verdict q;
	const char *prog = ax_probe_opt(ctx, "postqueue");
	ax_verdict_init(&q, "capacity.mail_queue", "queue");
	if (!prog || !*prog) {
		ax_verdict_emit(ctx, &q, "", "postqueue = \"\"");
		return;
	}
	const char *conf = ax_probe_opt(ctx, "postfix-config-dir");
	char *main_cf = ax_asprintf("%s/main.cf", conf);
	int configured = access(main_cf, F_OK) == 0;
	free(main_cf);
	if (!configured) {
		ax_verdict_emit(ctx, &q, "", "no Postfix configuration (main.cf) in postfix-config-dir");
		return;
	}
	const char *argv[] = {prog, "-c", conf, "-j", NULL};
	struct ax_subprocess res;
	struct pq_summary sum;
	memset(&res, 0, sizeof(res));
	int err = ax_subprocess_run(argv, NULL, 30000, (size_t)256 << 20, &res);
	if (err == AX_ENOTFOUND) {
		ax_subprocess_free(&res);
		ax_verdict_emit(ctx, &q, "", "postqueue not found (no Postfix here)");
		return;
	}
	if (err == 0 && res.exit_code != 0)
		err = ax_error_code(AX_ERROR, "postqueue -j exited %d: %.200s", res.exit_code, ax_buf_cstr(&res.err));
	if (err == 0 && res.out_truncated)
		err = ax_error_code(AX_ERROR, "postqueue -j printed more than 256 MiB");
	if (err == 0)
		err = pq_parse(ax_buf_cstr(&res.out), res.out.size, &sum);
	if (err < 0) {
		ax_verdict_add(&q, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
	} else {
		int64_t age = sum.oldest ? ax_probe_now(ctx) - sum.oldest : 0;
		int64_t max = ax_probe_opt_int(ctx, "max-queue"), max_age = ax_probe_opt_int(ctx, "max-queue-age");
		json_t *per = json_object();
		for (size_t i = 0; i <= PQ_QUEUES; i++)
			if (sum.per_queue[i])
				json_object_set_new(per, pq_queue_name(i), json_integer((json_int_t)sum.per_queue[i]));
		json_t *item = json_pack("{s:I,s:I,s:I,s:o,s:I}", "messages", (json_int_t)sum.messages, "recipients",
					 (json_int_t)sum.recipients, "bytes", (json_int_t)sum.bytes, "per_queue", per,
					 "oldest_age_seconds", (json_int_t)age);
		if ((int64_t)sum.messages > max)
			ax_verdict_add(&q, AX_CHECK_FAIL, json_incref(item), "%zu messages queued (max-queue %lld)", sum.messages,
				       (long long)max);
		if (age > max_age)
			ax_verdict_add(&q, AX_CHECK_FAIL, json_incref(item), "the oldest queued message is %lld hours old",
				       (long long)(age / 3600));
		if (!q.touched)
			ax_verdict_add(&q, AX_CHECK_PASS, json_incref(item), "queue");
		json_decref(item);
	}
	ax_subprocess_free(&res);
	char msg[96];
	snprintf(msg, sizeof(msg), "the mail queue is within max-queue and max-queue-age");
	ax_verdict_emit(ctx, &q, msg, "");
}

static int capacity_run(struct ax_probe_ctx *ctx)
{
	json_t *state = ax_probe_state_load(ctx, "capacity-state.json"), *new_state = json_object();
	check_mounts(ctx, state, new_state);
	check_queue(ctx);
	ax_probe_state_save(ctx, "capacity-state.json", new_state);
	json_decref(state);
	json_decref(new_state);
	return 0;
}

static const struct ax_probe_access capacity_access = {.flags = AX_ACCESS_EXEC};

const struct probe probe_capacity = {
	.name = "capacity",
	.summary = "capacity: file-system blocks and inodes with a trend, the Postfix queue's size and age",
	.options = capacity_options,
	.checks = capacity_checks,
	.run = capacity_run,
	.access = &capacity_access,
};
