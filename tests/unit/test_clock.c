/* test_clock.c - `chronyc -c` records as chrony 4.3 prints them (taken
 * from a real chronyd synchronised to a local server) and malformed ones;
 * the clock probe's own run on this machine reports the kernel's state
 * (adjtimex) whatever it is, without chrony (chronyc = ""). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chrony_csv.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"

extern const struct probe probe_clock;

int main(void)
{
	static const char tracking[] = "7F000001,127.0.0.1,2,1796662648.874798575,-0.000001196,0.000000111,"
				       "0.000000371,-0.467,0.068,2.831,0.000006351,0.000001000,0.1,Normal\n";
	struct chrony_tracking t;
	T_EQ_INT(chrony_tracking_parse(tracking, strlen(tracking), &t), 0);
	T_EQ_STR(t.refid, "7F000001");
	T_EQ_STR(t.name, "127.0.0.1");
	T_EQ_INT(t.stratum, 2);
	T_EQ_STR(t.leap, "Normal");
	T_OK(fabs(t.system_time + 0.000001196) < 1e-12);
	T_OK(fabs(chrony_error_bound(&t) - (0.000001196 + 0.000001 + 0.000006351 / 2)) < 1e-12);
	static const char unsynced[] = "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,"
				       "0.000,1.000000000,1.000000000,0.0,Not synchronised\n";
	T_EQ_INT(chrony_tracking_parse(unsynced, strlen(unsynced), &t), 0);
	T_EQ_STR(t.leap, "Not synchronised");
	static const char *const bad_tracking[] = {
		"506 Cannot talk to daemon\n",
		"7F000001,127.0.0.1,2,x,-0.1,0,0,0,0,0,0,0,0,Normal\n",
		"7F000001,127.0.0.1,99,1,-0.1,0,0,0,0,0,0,0,0,Normal\n",
		"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r\n",
		"",
	};
	for (size_t i = 0; i < sizeof(bad_tracking) / sizeof(bad_tracking[0]); i++)
		T_EQ_INT(chrony_tracking_parse(bad_tracking[i], strlen(bad_tracking[i]), &t), AX_EINVALID);

	static const char sources[] = "^,*,127.0.0.1,1,-4,377,0,0.000000121,0.000000232,0.000003211\n"
				      "^,?,192.0.2.1,0,6,0,-,0.000000000,0.000000000,0.000000000\n"
				      "^,+,ntp.example,2,6,17,12,-0.000120000,-0.000119000,0.020000000\n";
	struct chrony_source s[4];
	size_t n = 0;
	T_EQ_INT(chrony_sources_parse(sources, strlen(sources), s, 4, &n), 0);
	T_EQ_INT(n, 3);
	T_EQ_INT(s[0].state, '*');
	T_EQ_INT(s[0].reach, 0377);
	T_EQ_INT(s[1].state, '?');
	T_EQ_INT(s[2].reach, 017);
	T_EQ_STR(s[2].name, "ntp.example");
	T_EQ_INT(chrony_sources_parse(sources, strlen(sources), s, 2, &n), AX_EINVALID);
	static const char *const bad_sources[] = {
		"^,!,127.0.0.1,1,-4,377,0,0,0,0\n",
		"^,*,127.0.0.1,1,-4,377,0,0,0\n",
		"*,^,127.0.0.1,1,-4,377,0,0,0,0\n",
		"^,*,127.0.0.1,one,-4,377,0,0,0,0\n",
	};
	for (size_t i = 0; i < sizeof(bad_sources) / sizeof(bad_sources[0]); i++)
		T_EQ_INT(chrony_sources_parse(bad_sources[i], strlen(bad_sources[i]), s, 4, &n), AX_EINVALID);

	/* the probe in-process (no sandbox): the kernel's view only */
	struct ax_kv opts[] = {{(char *)"chronyc", (char *)""}, {(char *)"timesyncd-dir", (char *)"/nonexistent"}};
	struct ax_probe_instance inst = {.name = (char *)"clk", .type = &probe_clock, .opts = opts, .nopts = 2};
	struct ax_evidence ev = {0};
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 1800000000, &ev), 0);
	const struct ax_result *r = t_need_result(&ev, "clock.synchronised");
	T_OK(r && (r->status == AX_CHECK_PASS || r->status == AX_CHECK_FAIL));
	r = t_need_result(&ev, "clock.sources");
	T_OK(r && r->status == AX_CHECK_SKIP);
	ax_evidence_free(&ev);

	/* systemd-timesyncd: its flag file decides its view */
	const char *dir = t_tmpdir();
	struct ax_kv tsd[] = {{(char *)"chronyc", (char *)""}, {(char *)"timesyncd-dir", (char *)dir}};
	inst.opts = tsd;
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 1800000000, &ev), 0);
	r = t_need_result(&ev, "clock.synchronised");
	T_OK(r && r->status == AX_CHECK_FAIL);
	T_CONTAINS(r ? r->message : "", "systemd-timesyncd has not synchronised");
	ax_evidence_free(&ev);
	free(t_write("synchronized", ""));
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 1800000000, &ev), 0);
	r = t_need_result(&ev, "clock.synchronised");
	T_OK(r && !strstr(r->message ? r->message : "", "timesyncd"));
	ax_evidence_free(&ev);
	return t_done();
}
