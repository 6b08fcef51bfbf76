/* test_schedule.c - when instances run next: the first-run splay, missed
 * runs collapsing into one, exponential backoff of failing instances and
 * its cap, a retry that counts no failure, a shorter interval taking
 * effect at once, the state surviving a save and a load, and the result
 * counts seeded from the store after a restart. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "schedule.h"
#include "t.h"
#include "util.h"

static struct ax_config *load(const char *interval_a)
{
	struct ax_buf text = AX_BUF_INIT;
	ax_buf_printf(&text,
		      "[annexa]\n\torganization = X\n\tstate-dir = %s/state\n"
		      "[probe \"a\"]\n\ttype = selftest\n\tinterval = %s\n"
		      "[probe \"b\"]\n\ttype = selftest\n\tinterval = 2h\n",
		      t_tmpdir(), interval_a);
	char *path = t_write("annexa.conf", ax_buf_cstr(&text)), *state = ax_asprintf("%s/state", t_tmpdir());
	mkdir(state, 0700);
	free(state);
	struct ax_config *cfg = NULL;
	T_EQ_INT(ax_config_load(&cfg, path), 0);
	ax_buf_free(&text);
	free(path);
	return cfg;
}

/* One run of instance a in which every result had status st (none when
 * st < 0). */
static void run_a(struct ax_schedule *s, int st, int64_t started)
{
	struct ax_evidence ev = {0};
	const char *names[] = {"a"};
	if (st >= 0)
		ax_evidence_add_result(&ev, "a", "selftest", "selftest.run", (enum ax_check_status)st, "", "{}", started);
	ax_schedule_done(s, names, 1, &ev, started, 5);
	ax_evidence_free(&ev);
}

static void test_first_run_and_due(void)
{
	struct ax_config *cfg = load("10m");
	int64_t now = ax_now();
	struct ax_schedule *s = ax_schedule_new(cfg, NULL, NULL, now);
	T_EQ_INT(s->n, 2);
	const struct ax_sched_entry *a = ax_schedule_find(s, "a"), *b = ax_schedule_find(s, "b");
	T_OK(a && b);
	/* splay: a quarter of the interval, at most 5 minutes */
	T_OK(a->next_due >= now && a->next_due <= now + 150);
	T_OK(b->next_due >= now && b->next_due <= now + 300);
	T_EQ_INT(ax_schedule_next(s), a->next_due < b->next_due ? a->next_due : b->next_due);
	size_t n = 0;
	const char **due = ax_schedule_due(s, now + 300, &n);
	T_EQ_INT(n, 2);
	free(due);
	due = ax_schedule_due(s, now - 1, &n);
	T_EQ_INT(n, 0);
	free(due);
	ax_schedule_free(s);
	ax_config_free(cfg);
}

static void test_backoff(void)
{
	struct ax_config *cfg = load("10m");
	int64_t now = ax_now();
	struct ax_schedule *s = ax_schedule_new(cfg, NULL, NULL, now);
	const struct ax_sched_entry *a = ax_schedule_find(s, "a");
	/* all errors (or nothing at all) is a failed run: waits 1, 2, 4 ...
	 * intervals, capped at 24 h */
	static const struct {
		int status;
		int failures;
		int64_t wait;
	} rows[] = {
		{AX_CHECK_ERROR, 1, 600},  {AX_CHECK_ERROR, 2, 1200}, {-1, 3, 2400},
		{AX_CHECK_ERROR, 4, 4800}, {AX_CHECK_ERROR, 5, 9600}, {AX_CHECK_ERROR, 6, 19200},
		{AX_CHECK_ERROR, 7, 38400}, {AX_CHECK_ERROR, 8, 76800}, {AX_CHECK_ERROR, 9, 86400},
		{AX_CHECK_ERROR, 10, 86400}, {AX_CHECK_FAIL, 0, 600},   {AX_CHECK_PASS, 0, 600},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run_a(s, rows[i].status, now);
		T_EQ_INT(a->consecutive_failures, rows[i].failures);
		T_EQ_INT(a->next_due - now, rows[i].wait);
	}
	T_EQ_INT(a->results[AX_CHECK_PASS], 1);
	T_EQ_INT(a->last_run, now);
	/* a run that could not be committed retries after an interval and
	 * counts no failure */
	ax_schedule_retry(s, "a", now + 7);
	T_EQ_INT(a->next_due, now + 7 + 600);
	T_EQ_INT(a->consecutive_failures, 0);
	ax_schedule_free(s);
	ax_config_free(cfg);
}

static void test_missed_runs_collapse(void)
{
	struct ax_config *cfg = load("10m");
	int64_t now = ax_now();
	struct ax_schedule *s = ax_schedule_new(cfg, NULL, NULL, now);
	/* the machine slept for ten intervals: one run, then the next is an
	 * interval from now, not ten due at once */
	run_a(s, AX_CHECK_PASS, now - 6000);
	const struct ax_sched_entry *a = ax_schedule_find(s, "a");
	T_OK(a->next_due > now && a->next_due <= ax_now() + 600);
	ax_schedule_free(s);
	ax_config_free(cfg);
}

static void test_save_load_and_interval_change(void)
{
	struct ax_config *cfg = load("2h");
	int64_t now = ax_now();
	char *file = ax_schedule_file(cfg);
	struct ax_schedule *s = ax_schedule_new(cfg, NULL, file, now);
	run_a(s, AX_CHECK_ERROR, now);
	run_a(s, AX_CHECK_PASS, now);
	T_EQ_INT(ax_schedule_find(s, "a")->next_due, now + 7200);
	T_EQ_INT(ax_schedule_save(s, file), 0);
	ax_schedule_free(s);

	struct ax_schedule *back = NULL;
	T_EQ_INT(ax_schedule_load(&back, file), 0);
	const struct ax_sched_entry *a = back ? ax_schedule_find(back, "a") : NULL;
	T_OK(a != NULL);
	if (a) {
		T_EQ_INT(a->next_due, now + 7200);
		T_EQ_INT(a->last_run, now);
		T_EQ_INT(a->consecutive_failures, 0);
		T_EQ_INT(a->interval, 7200);
	}
	ax_schedule_free(back);

	/* a new config with a shorter interval: the state is read from the
	 * file and the shorter interval takes effect at once */
	struct ax_config *shorter = load("10m");
	s = ax_schedule_new(shorter, NULL, file, now + 1);
	a = ax_schedule_find(s, "a");
	T_EQ_INT(a->interval, 600);
	T_EQ_INT(a->next_due, now + 600);
	T_EQ_INT(a->last_run, now);
	ax_schedule_free(s);
	ax_config_free(shorter);

	struct ax_schedule *none = NULL;
	T_EQ_INT(ax_schedule_load(&none, "/nonexistent/schedule.json"), AX_ENOTFOUND);
	free(file);
	ax_config_free(cfg);
}

#define SEED_NOW 1767225600

/* After a restart the per-status counts of each instance's last results
 * come from the store (ax_schedule_seed), so the metrics it writes are not
 * zeros; counts of a run this daemon made are kept. */
static void test_seed_after_restart(void)
{
	struct ax_config *cfg = NULL;
	struct ax_evidence latest = {0}, run = {0};
	char *conf = t_write("annexa.conf", "[probe \"mx\"]\n\ttype = file\n\tpath = /x\n"
					    "[probe \"web\"]\n\ttype = file\n\tpath = /y\n"
					    "[probe \"new\"]\n\ttype = file\n\tpath = /z\n");
	char *missing = ax_asprintf("%s/no-schedule.json", t_tmpdir());
	T_EQ_INT(ax_config_load(&cfg, conf), 0);
	if (!cfg)
		return;
	struct ax_schedule *s = ax_schedule_new(cfg, NULL, missing, SEED_NOW);
	T_OK(s != NULL);
	/* the store: mx's last run had 2 errors and a skip, web's a pass and a fail */
	ax_evidence_add_result(&latest, "mx", "tls", "tls.version", AX_CHECK_ERROR, "refused", NULL, SEED_NOW - 100);
	ax_evidence_add_result(&latest, "mx", "tls", "tls.cipher", AX_CHECK_ERROR, "refused", NULL, SEED_NOW - 100);
	ax_evidence_add_result(&latest, "mx", "tls", "tls.ocsp", AX_CHECK_SKIP, "off", NULL, SEED_NOW - 90);
	ax_evidence_add_result(&latest, "web", "file", "file.mode", AX_CHECK_PASS, "", NULL, SEED_NOW - 50);
	ax_evidence_add_result(&latest, "web", "file", "file.owner", AX_CHECK_FAIL, "", NULL, SEED_NOW - 50);
	/* web ran in this daemon already: its own counts stay */
	ax_evidence_add_result(&run, "web", "file", "file.mode", AX_CHECK_PASS, "", NULL, SEED_NOW - 5);
	const char *web[] = {"web"};
	ax_schedule_done(s, web, 1, &run, SEED_NOW - 5, 10);
	ax_schedule_seed(s, &latest);
	const struct ax_sched_entry *mx = ax_schedule_find(s, "mx"), *w = ax_schedule_find(s, "web"),
				    *n = ax_schedule_find(s, "new");
	T_OK(mx && w && n);
	if (mx && w && n) {
		T_EQ_INT(mx->results[AX_CHECK_ERROR], 2);
		T_EQ_INT(mx->results[AX_CHECK_SKIP], 1);
		T_EQ_INT(mx->results[AX_CHECK_PASS], 0);
		T_EQ_INT(mx->last_run, SEED_NOW - 90);
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
}

int main(void)
{
	test_first_run_and_due();
	test_backoff();
	test_missed_runs_collapse();
	test_save_load_and_interval_change();
	test_seed_after_restart();
	return t_done();
}
