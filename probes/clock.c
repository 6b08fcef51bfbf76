/* clock.c - the `clock` probe: is the system clock synchronised, and how
 * far off can it be.
 *
 * The kernel's view comes from adjtimex(2) with modes = 0 (read only; the
 * child may make that call because its type declares AX_ACCESS_CLOCK, and
 * it has no CAP_SYS_TIME, so it cannot adjust): STA_UNSYNC, the maximum
 * and estimated error. The NTP client's view comes from chrony
 * (`chronyc -c tracking` and `sources`, chrony_csv.h) or from
 * systemd-timesyncd's flag file, whichever is present. The kernel flag is
 * what decides "synchronised": a daemon that talks to servers but does not
 * discipline the clock (chronyd -x) leaves it unset, and that fails. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>

#include "chrony_csv.h"
#include "probe.h"
#include "subprocess.h"
#include "util.h"
#include "verdict.h"

static const struct ax_option clock_options[] = {
	{"max-offset", AX_OPT_STRING, "250ms", 0, NULL, 0, 0, "largest tolerated clock error (e.g. 100ms, 1s)"},
	{"min-sources", AX_OPT_INT, "1", 0, NULL, 0, 64, "chrony: reachable sources it must combine (3 or more tolerate a falseticker)"},
	{"chronyc", AX_OPT_STRING, "chronyc", 0, NULL, 0, 0, "chronyc program (\"\": do not ask chrony)"},
	{"chrony-host", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "chronyd's command address (chronyc -h); default chronyc's: its socket, then 127.0.0.1, ::1"},
	{"chrony-port", AX_OPT_INT, NULL, 0, NULL, 1, 65535, "chronyd's command port (chronyc -p); default 323"},
	{"timesyncd-dir", AX_OPT_PATH, "/run/systemd/timesync", 0, NULL, 0, 0, "systemd-timesyncd's state folder"},
	{NULL},
};

static const struct ax_check_def clock_checks[] = {
	{"clock.synchronised", "the kernel's clock is synchronised (no STA_UNSYNC) and the NTP client agrees"},
	{"clock.offset", "the clock's error bound lies within max-offset"},
	{"clock.sources", "chrony has at least min-sources usable sources and has selected one"},
	{NULL},
};

/* "250ms", "1s", "500us", "0.2s" into seconds; -1 when malformed. */
static double offset_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		return v / 1e3;
	if (strcmp(end, "us") == 0)
		return v / 1e6;
	if (strcmp(end, "s") == 0 || *end == '\0')
		return v;
	return -1;
}

static int chronyc(struct ax_probe_ctx *ctx, const char *what, struct ax_subprocess *res)
{
	const char *prog = ax_probe_opt(ctx, "chronyc"), *host = ax_probe_opt(ctx, "chrony-host");
	const char *argv[] = {prog, "-n", "-c", NULL, NULL, NULL, NULL, NULL, NULL};
	char port[16];
	size_t i = 3;
	if (host) {
		argv[i++] = "-h";
		argv[i++] = host;
	}
	if (ax_probe_opt(ctx, "chrony-port")) {
		snprintf(port, sizeof(port), "%lld", (long long)ax_probe_opt_int(ctx, "chrony-port"));
		argv[i++] = "-p";
		argv[i++] = port;
	}
	argv[i] = what;
	memset(res, 0, sizeof(*res));
	int err = ax_subprocess_run(argv, NULL, 10000, 1 << 20, res);
	if (err == 0 && res->exit_code != 0)
		err = ax_error_code(AX_ERROR, "chronyc %s exited %d: %.200s", what, res->exit_code,
				    res->err.size ? ax_buf_cstr(&res->err) : ax_buf_cstr(&res->out));
	return err;
}

static json_t *flags_json(int status)
{
	static const struct {
		int bit;
		const char *name;
	} flags[] = {{STA_PLL, "PLL"}, {STA_PPSFREQ, "PPSFREQ"}, {STA_PPSTIME, "PPSTIME"}, {STA_FLL, "FLL"},
		     {STA_INS, "INS"}, {STA_DEL, "DEL"}, {STA_UNSYNC, "UNSYNC"}, {STA_FREQHOLD, "FREQHOLD"},
		     {STA_NANO, "NANO"}, {STA_MODE, "MODE"}, {STA_CLK, "CLK"}};
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (status & flags[i].bit)
			json_array_append_new(a, json_string(flags[i].name));
	return a;
}

static int clock_run(struct ax_probe_ctx *ctx)
{
	struct ax_verdict sync, off, src;
	double max = offset_seconds(ax_probe_opt(ctx, "max-offset"));
	ax_verdict_init(&sync, "clock.synchronised", "views");
	ax_verdict_init(&off, "clock.offset", "views");
	ax_verdict_init(&src, "clock.sources", "sources");
	json_t *evidence = json_object();

	/* the kernel */
	struct timex tx;
	memset(&tx, 0, sizeof(tx)); /* modes = 0: read only */
	int state = adjtimex(&tx);
	int kernel_sync = 0;
	double kernel_bound = -1;
	if (state < 0) {
		ax_verdict_add(&sync, AX_CHECK_ERROR, NULL, "adjtimex: %s", strerror(errno));
	} else {
		kernel_sync = !(tx.status & STA_UNSYNC) && state != TIME_ERROR;
		double offset = (double)tx.offset / ((tx.status & STA_NANO) ? 1e9 : 1e6);
		kernel_bound = (double)tx.esterror / 1e6 + fabs(offset);
		json_t *k = json_pack("{s:s,s:b,s:o,s:I,s:I,s:f,s:i}", "source", "kernel", "synchronised", kernel_sync,
				      "status", flags_json(tx.status), "maxerror_us", (json_int_t)tx.maxerror,
				      "esterror_us", (json_int_t)tx.esterror, "offset_s", offset, "state", state);
		json_object_set(evidence, "kernel", k);
		if (kernel_sync)
			ax_verdict_add(&sync, AX_CHECK_PASS, k, "kernel");
		else
			ax_verdict_add(&sync, AX_CHECK_FAIL, k,
				       "the kernel's clock is not synchronised (STA_UNSYNC%s): no NTP client disciplines it",
				       state == TIME_ERROR ? ", TIME_ERROR" : "");
	}

	/* chrony */
	struct chrony_tracking tr;
	struct ax_subprocess res;
	int have_chrony = 0;
	const char *prog = ax_probe_opt(ctx, "chronyc"), *host = ax_probe_opt(ctx, "chrony-host");
	if (prog && *prog) {
		int err = chronyc(ctx, "tracking", &res);
		if (err == AX_ENOTFOUND ||
		    (err < 0 && !host && strstr(ax_buf_cstr(&res.out), "Cannot talk to daemon"))) {
			/* chrony not installed, or installed but chronyd not running: another client may serve.
			 * Confined, chronyc cannot bind its client socket beside chronyd's Unix socket
			 * (Landlock) and falls back to UDP 127.0.0.1:323, which chronyd answers by default. */
			json_object_set_new(evidence, "chrony", json_string(err == AX_ENOTFOUND ? "chronyc not found"
												: "chronyd not running"));
		} else if (err < 0) {
			ax_verdict_add(&sync, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		} else if (chrony_tracking_parse(ax_buf_cstr(&res.out), res.out.size, &tr) < 0) {
			ax_verdict_add(&sync, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		} else {
			have_chrony = 1;
			int ok = strcmp(tr.leap, "Not synchronised") != 0 && tr.stratum > 0 && tr.stratum < 16;
			json_t *c = json_pack("{s:s,s:s,s:s,s:i,s:f,s:f,s:f,s:f,s:s,s:f}", "source", "chrony", "reference_id",
					      tr.refid, "reference", tr.name, "stratum", tr.stratum, "system_time_s",
					      tr.system_time, "root_delay_s", tr.root_delay, "root_dispersion_s",
					      tr.root_dispersion, "ref_time", tr.ref_time, "leap", tr.leap, "error_bound_s",
					      chrony_error_bound(&tr));
			json_object_set(evidence, "chrony", c);
			if (ok)
				ax_verdict_add(&sync, AX_CHECK_PASS, c, "chrony");
			else
				ax_verdict_add(&sync, AX_CHECK_FAIL, c, "chrony is not synchronised (leap status %s, stratum %d)",
					       tr.leap, tr.stratum);
		}
		ax_subprocess_free(&res);
		if (have_chrony) {
			struct chrony_source *s = ax_calloc(CHRONY_SOURCES_MAX, sizeof(*s));
			size_t n = 0, usable = 0, selected = 0;
			if ((err = chronyc(ctx, "sources", &res)) < 0 ||
			    chrony_sources_parse(ax_buf_cstr(&res.out), res.out.size, s, CHRONY_SOURCES_MAX, &n) < 0) {
				ax_verdict_add(&src, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
			} else {
				json_t *list = json_array();
				for (size_t i = 0; i < n; i++) {
					usable += s[i].state == '*' || s[i].state == '+';
					selected += s[i].state == '*';
					char st[2] = {s[i].state, 0}, mode[2] = {s[i].mode, 0};
					json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:i,s:i,s:f,s:f}", "name", s[i].name,
									      "mode", mode, "state", st, "stratum",
									      s[i].stratum, "reach", (int)s[i].reach,
									      "offset_s", s[i].offset, "error_s", s[i].error));
				}
				int64_t min = ax_probe_opt_int(ctx, "min-sources");
				json_t *item = json_pack("{s:o,s:I,s:I,s:I}", "sources", list, "usable", (json_int_t)usable,
							 "selected", (json_int_t)selected, "min_sources", (json_int_t)min);
				json_object_set(evidence, "chrony_sources", json_object_get(item, "sources"));
				if (!selected)
					ax_verdict_add(&src, AX_CHECK_FAIL, item, "chrony has selected no source (%zu listed)", n);
				else if ((int64_t)usable < min)
					ax_verdict_add(&src, AX_CHECK_FAIL, item, "%zu usable source(s), fewer than min-sources %lld",
						       usable, (long long)min);
				else
					ax_verdict_add(&src, AX_CHECK_PASS, item, "sources");
			}
			ax_subprocess_free(&res);
			free(s);
		}
	}

	/* systemd-timesyncd: it touches `synchronized` once the kernel is synchronised */
	const char *tsd = ax_probe_opt(ctx, "timesyncd-dir");
	struct stat st;
	if (!have_chrony && tsd && stat(tsd, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *flag = ax_asprintf("%s/synchronized", tsd);
		int synced = stat(flag, &st) == 0;
		json_t *t = json_pack("{s:s,s:s,s:b}", "source", "systemd-timesyncd", "flag", flag, "synchronised", synced);
		json_object_set(evidence, "timesyncd", t);
		if (synced)
			ax_verdict_add(&sync, AX_CHECK_PASS, t, "timesyncd");
		else
			ax_verdict_add(&sync, AX_CHECK_FAIL, t, "systemd-timesyncd has not synchronised (no %s)", flag);
		free(flag);
	} else if (!have_chrony && state >= 0) {
		json_object_set_new(evidence, "ntp_client", json_string("none found (chrony, systemd-timesyncd)"));
	}

	/* the error bound: chrony's when it runs, else the kernel's estimate */
	if (max < 0) {
		ax_verdict_add(&off, AX_CHECK_ERROR, NULL, "max-offset '%s' is not a duration like 250ms or 1s",
			       ax_probe_opt(ctx, "max-offset"));
	} else if (have_chrony) {
		double b = chrony_error_bound(&tr);
		json_t *item = json_pack("{s:s,s:f,s:f}", "source", "chrony", "error_bound_s", b, "max_offset_s", max);
		if (b > max)
			ax_verdict_add(&off, AX_CHECK_FAIL, item, "chrony's error bound %.6fs exceeds max-offset", b);
		else if (!kernel_sync)
			ax_verdict_add(&off, AX_CHECK_FAIL, item,
				       "chrony's estimate (%.6fs) does not reach the clock: the kernel is unsynchronised", b);
		else
			ax_verdict_add(&off, AX_CHECK_PASS, item, "chrony");
	} else if (state >= 0) {
		json_t *item = json_pack("{s:s,s:f,s:f}", "source", "kernel", "error_bound_s", kernel_bound, "max_offset_s", max);
		if (!kernel_sync)
			ax_verdict_add(&off, AX_CHECK_FAIL, item, "unsynchronised: the kernel's maximum error is %.3fs",
				       (double)tx.maxerror / 1e6);
		else if (kernel_bound > max)
			ax_verdict_add(&off, AX_CHECK_FAIL, item, "the kernel's estimated error %.6fs exceeds max-offset",
				       kernel_bound);
		else
			ax_verdict_add(&off, AX_CHECK_PASS, item, "kernel");
	}

	ax_probe_artifact_json_take(ctx, "clock.json", evidence);
	ax_verdict_emit(ctx, &sync, "the clock is synchronised", "");
	ax_verdict_emit(ctx, &off, "the clock's error lies within max-offset", "");
	ax_verdict_emit(ctx, &src, "chrony uses enough sources", "chrony not found or chronyd not running");
	return 0;
}

static const struct ax_probe_access clock_access = {.flags = AX_ACCESS_EXEC | AX_ACCESS_CLOCK};

const struct probe probe_clock = {
	.name = "clock",
	.summary = "clock synchronisation: kernel state (adjtimex), chrony or systemd-timesyncd, error bound",
	.options = clock_options,
	.checks = clock_checks,
	.run = clock_run,
	.access = &clock_access,
};
