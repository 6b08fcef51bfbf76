/* test_schedule.c - what the daemon's schedule knows after a restart: the
 * per-status counts of each instance's last results come from the store
 * (ax_schedule_seed), so the metrics it writes are not zeros; counts of a
 * run this daemon made are kept. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "schedule.h"
#include "t.h"
#include "util.h"

#define NOW 1767225600

int main(void)
{
	struct ax_config *cfg = NULL;
	struct ax_evidence latest = {0}, run = {0};
	char *conf = t_write("annexa.conf", "[probe \"mx\"]\n\ttype = file\n\tpath = /x\n"
					    "[probe \"web\"]\n\ttype = file\n\tpath = /y\n"
					    "[probe \"new\"]\n\ttype = file\n\tpath = /z\n");
	char *missing = ax_asprintf("%s/no-schedule.json", t_tmpdir());
	T_EQ_INT(ax_config_load(&cfg, conf), 0);
	if (!cfg)
		return t_done();
	struct ax_schedule *s = ax_schedule_new(cfg, NULL, missing, NOW);
	T_OK(s != NULL);
	/* the store: mx's last run had 2 errors and a skip, web's a pass and a fail */
	ax_evidence_add_result(&latest, "mx", "tls", "tls.version", AX_CHECK_ERROR, "refused", NULL, NOW - 100);
	ax_evidence_add_result(&latest, "mx", "tls", "tls.cipher", AX_CHECK_ERROR, "refused", NULL, NOW - 100);
	ax_evidence_add_result(&latest, "mx", "tls", "tls.ocsp", AX_CHECK_SKIP, "off", NULL, NOW - 90);
	ax_evidence_add_result(&latest, "web", "file", "file.mode", AX_CHECK_PASS, "", NULL, NOW - 50);
	ax_evidence_add_result(&latest, "web", "file", "file.owner", AX_CHECK_FAIL, "", NULL, NOW - 50);
	/* web ran in this daemon already: its own counts stay */
	ax_evidence_add_result(&run, "web", "file", "file.mode", AX_CHECK_PASS, "", NULL, NOW - 5);
	const char *web[] = {"web"};
	ax_schedule_done(s, web, 1, &run, NOW - 5, 10);
	ax_schedule_seed(s, &latest);
	const struct ax_sched_entry *mx = ax_schedule_find(s, "mx"), *w = ax_schedule_find(s, "web"),
				    *n = ax_schedule_find(s, "new");
	T_OK(mx && w && n);
	if (mx && w && n) {
		T_EQ_INT(mx->results[AX_CHECK_ERROR], 2);
		T_EQ_INT(mx->results[AX_CHECK_SKIP], 1);
		T_EQ_INT(mx->results[AX_CHECK_PASS], 0);
		T_EQ_INT(mx->last_run, NOW - 90);
		T_EQ_INT(w->results[AX_CHECK_PASS], 1);
		T_EQ_INT(w->results[AX_CHECK_FAIL], 0); /* the store's older fail is not this run's */
		T_EQ_INT(n->results[AX_CHECK_PASS] + n->results[AX_CHECK_ERROR], 0);
		T_EQ_INT(n->last_run, 0);
	}
	ax_schedule_seed(s, NULL); /* nothing to seed from: no change */
	ax_schedule_free(s);
	ax_evidence_free(&latest);
	ax_evidence_free(&run);
	ax_config_free(cfg);
	free(missing);
	free(conf);
	return t_done();
}
