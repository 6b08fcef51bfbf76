/* period.c - how long the period of a bundle takes to compute (export
 * data: the state of every control after every run, the pass share over
 * time and the period test) on a daemon-style store: INSTANCES file
 * instances of CHECKS checks, each committing its own run every 15
 * minutes. Usage: period STORE CONTROLS_DIR [DAYS] (default 90; 0: reuse
 * the store a previous call built, and its days from its runs). Also
 * times the run calendar (period.c) and period.json alone. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "controls.h"
#include "export.h"
#include "store.h"
#include "util.h"

#define INSTANCES 6
#define CHECKS 8
#define STEP 900

int main(int argc, char **argv)
{
	static const char *checks[CHECKS] = {"file.mode", "file.owner", "file.group", "file.content.present",
					     "file.content.absent", "file.exists", "file.age", "file.size"};
	if (argc < 3) {
		fprintf(stderr, "usage: %s STORE CONTROLS_DIR [DAYS]\n", argv[0]);
		return 2;
	}
	int days = argc > 3 ? atoi(argv[3]) : 90;
	char *conf = ax_asprintf("%s.conf", argv[1]);
	FILE *f = fopen(conf, "w");
	if (!f)
		return 3;
	fprintf(f, "[annexa]\n\tinterval = 15m\n");
	for (int i = 0; i < INSTANCES; i++)
		fprintf(f, "[probe \"p%d\"]\n\ttype = file\n\tpath = /x\n", i);
	fclose(f);
	struct ax_config *cfg = NULL;
	struct ax_catalog *cat = NULL;
	struct ax_store *s = NULL;
	struct ax_export_data *d = NULL;
	if (days)
		unlink(argv[1]);
	if (ax_config_load(&cfg, conf) < 0 || ax_catalog_load(&cat, argv[2]) < 0 || ax_store_open(&s, argv[1]) < 0) {
		fprintf(stderr, "%s\n", ax_error_last());
		return 3;
	}
	int64_t t0 = 1767225600, runs = (int64_t)days * 86400 / STEP;
	if (!days) { /* reuse: the export ends where the stored runs end */
		struct ax_run_info head;
		if (ax_store_head(s, &head) < 0)
			return 3;
		runs = (head.finished_at - t0) / STEP + 1;
	}
	for (int64_t r = 0; days && r < runs; r++)
		for (int i = 0; i < INSTANCES; i++) {
			struct ax_evidence ev = {0};
			char inst[16];
			int64_t now = t0 + r * STEP + i * 60;
			snprintf(inst, sizeof(inst), "p%d", i);
			for (int c = 0; c < CHECKS; c++)
				ax_evidence_add_result(&ev, inst, "file", checks[c],
						       (c == 0 && i == 0) ? AX_CHECK_FAIL : AX_CHECK_PASS, "as configured",
						       NULL, now);
			if (ax_store_commit_run(s, "collect", now, now + 5, &ev, NULL) < 0) {
				fprintf(stderr, "%s\n", ax_error_last());
				return 3;
			}
			ax_evidence_free(&ev);
		}
	int64_t started = ax_monotonic_ms();
	if (ax_export_data_load(cfg, s, cat, 0, 0, t0 + runs * STEP, &d) < 0) {
		fprintf(stderr, "%s\n", ax_error_last());
		return 3;
	}
	printf("%d days, %zu runs, %zu results: export data in %.2f s\n", days, d->nruns, d->evidence.nresults,
	       (double)(ax_monotonic_ms() - started) / 1000.0);
	/* the run calendar alone (period.c; part of the load above) and its
	 * period.json */
	struct ax_buf json = AX_BUF_INIT;
	started = ax_monotonic_ms();
	ax_export_calendar_build(d, NULL, 0);
	if (ax_export_period_json(d, &json) < 0)
		return 3;
	printf("run calendar and period.json (%zu bytes) in %.3f s\n", json.size,
	       (double)(ax_monotonic_ms() - started) / 1000.0);
	ax_buf_free(&json);
	ax_export_data_free(d);
	ax_store_free(s);
	ax_catalog_free(cat);
	ax_config_free(cfg);
	free(conf);
	return 0;
}
