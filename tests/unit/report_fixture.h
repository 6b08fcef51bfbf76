/* report_fixture.h - a fixed struct ax_export_data built by hand for the
 * report.html and OSCAL tests (test_report.c, test_oscal.c), so their
 * output depends on nothing but this file: a small catalog over all four
 * themes and one control of every status, probe strings that try to break
 * HTML and XML, two runs, three artifacts (one with a bundle path that
 * must never become a link), period statistics, and manual evidence (an
 * approved item that expires soon, a revoked one under two controls).
 *
 * Also a real-catalog build: the 93 controls of controls/annex-a.xml with a
 * config that excludes A.7.4, through the real status engine. */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "annexa-build.h"
#include "config.h"
#include "controls.h"
#include "export.h"
#include "report_gen.h"
#include "t.h"

#define FX_NOW 1795000000 /* 2026-11-18T11:06:40Z */

/* The results whose text must not break the documents. */
#define FX_HOSTILE "mode 0644 > 0640 <script>alert(1)</script> & \"q\" 'a' ]]> \x01\x1b[31m \xff\xfe end"

static struct ax_control fx_controls[] = {
	{"A.5.1", "Organizational", "Policies for information security"},
	{"A.5.15", "Organizational", "Access control"},
	{"A.6.3", "People", "Information security awareness, education and training"},
	{"A.7.4", "Physical", "Physical security monitoring"},
	{"A.8.9", "Technological", "Configuration management"},
	{"A.8.15", "Technological", "Logging"},
	{"A.8.20", "Technological", "Networks security"},
	{"A.8.24", "Technological", "Use of cryptography"},
	{"A.5.10", "Organizational", "Acceptable use of information and other associated assets"},
};
#define FX_NCONTROLS (sizeof(fx_controls) / sizeof(fx_controls[0]))
static struct ax_mapping fx_maps[] = {
	{"net.firewall.*", "A.8.20", "mapping/net.xml", "primary", "test rule"},
	{"net.<segment>", "A.8.20", "mapping/net.xml", "primary", "test rule"},
	{"file.mode", "A.8.15", "mapping/file.xml", "primary", "test rule"},
};
static struct ax_catalog fx_catalog = {fx_controls, FX_NCONTROLS, fx_maps, 3, "iso27001-2022", NULL, 0, NULL, 0};

struct fx {
	struct ax_export_data d;
	struct ax_status st;
	struct ax_control_state cs[FX_NCONTROLS];
	struct ax_check_row rows[8];
	struct ax_run_info runs[2];
	int64_t result_run[8];
	struct ax_export_artifact arts[3];
	struct ax_export_link links[3];
	struct ax_export_period_stat period[FX_NCONTROLS];
	struct ax_manual manual[2];
	const struct ax_manual *cs_manual[3];
	struct ax_export_manual_file mfiles[4];
	struct ax_manual_expiring expiring[1];
};

/* Manual evidence: M-1 (approved, two files, expires within the 30-day
 * warning) for A.5.10, which it alone makes pass; M-2 (revoked) for A.5.10
 * and A.8.24, shown but never counted. */
static char *fx_m1_controls[] = {(char *)"A.5.10"};
static char *fx_m2_controls[] = {(char *)"A.5.10", (char *)"A.8.24"};
static struct ax_manual_file fx_m1_files[] = {
	{(char *)"policy.pdf", (char *)"application/pdf",
	 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", 1000},
	{(char *)"annex+1.txt", (char *)"text/plain",
	 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 20},
};
static struct ax_manual_file fx_m2_files[] = {
	{(char *)"old-policy.pdf", (char *)"application/pdf",
	 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 900},
};

static void fx_manual(struct fx *f)
{
	struct ax_manual *m1 = &f->manual[0], *m2 = &f->manual[1];
	m1->id = (char *)"M-1";
	m1->controls = fx_m1_controls;
	m1->ncontrols = 1;
	m1->files = fx_m1_files;
	m1->nfiles = 2;
	m1->attached_by = (char *)"alice";
	m1->attached_at = FX_NOW - 90 * 86400;
	m1->effective_at = FX_NOW - 100 * 86400;
	m1->expires_at = FX_NOW + 10 * 86400;
	m1->owner = (char *)"ISMS <owner>";
	m1->note = (char *)"v2 of the policy";
	m1->state = AX_MANUAL_APPROVED;
	m1->approval_required = 1;
	m1->approved_by = (char *)"bob";
	m1->approved_at = FX_NOW - 89 * 86400;
	m2->id = (char *)"M-2";
	m2->controls = fx_m2_controls;
	m2->ncontrols = 2;
	m2->files = fx_m2_files;
	m2->nfiles = 1;
	m2->attached_by = (char *)"alice";
	m2->attached_at = FX_NOW - 400 * 86400;
	m2->effective_at = FX_NOW - 400 * 86400;
	m2->expires_at = FX_NOW + 100 * 86400;
	m2->owner = (char *)"";
	m2->note = (char *)"";
	m2->state = AX_MANUAL_REVOKED;
	m2->revoked_by = (char *)"carol";
	m2->revoke_reason = (char *)"superseded by <M-1>";
	m2->revoked_at = FX_NOW - 90 * 86400;
	f->d.manual.items = f->manual;
	f->d.manual.n = 2;
	static const struct {
		size_t item, control, file;
		const char *path;
	} mf[] = {
		{0, 0, 0, "evidence/manual/M-1-policy.pdf"},
		{0, 0, 1, "evidence/manual/M-1-annex_1.txt"},
		{1, 0, 0, "evidence/manual/M-2-old-policy.pdf"},
		{1, 1, 0, "evidence/manual/M-2-old-policy.pdf"},
	};
	for (size_t i = 0; i < 4; i++)
		f->mfiles[i] = (struct ax_export_manual_file){mf[i].item, mf[i].control, mf[i].file, (char *)mf[i].path, 0};
	f->d.mfiles = f->mfiles;
	f->d.nmfiles = 4;
	f->d.status_at = FX_NOW;
	f->cs_manual[0] = m1;
	f->cs_manual[1] = m2;
	f->cs_manual[2] = m2;
	f->cs[8].manual = &f->cs_manual[0];
	f->cs[8].nmanual = 2;
	f->cs[7].manual = &f->cs_manual[2];
	f->cs[7].nmanual = 1;
	f->expiring[0] = (struct ax_manual_expiring){m1, "A.5.10"};
	f->st.manual_applied = 1;
	f->st.expiry_warning = 30 * 86400;
	f->st.expiring = f->expiring;
	f->st.nexpiring = 1;
}

static void fx_result(struct ax_evidence *ev, const char *inst, const char *type, const char *check,
		      enum ax_check_status s, const char *msg, int64_t age)
{
	ax_evidence_add_result(ev, inst, type, check, s, msg, NULL, FX_NOW - age);
}

/* The newest results (d.latest) and the period's results (d.evidence). */
static void fx_results(struct fx *f)
{
	struct ax_evidence *l = &f->d.latest, *e = &f->d.evidence;
	fx_result(l, "files", "file", "file.mode", AX_CHECK_PASS, "mode 0600 within 0640", 100);
	fx_result(l, "maillog", "file", "file.mode", AX_CHECK_FAIL, FX_HOSTILE, 50);
	fx_result(l, "mx-tls", "tls", "tls.protocol.tls1_0", AX_CHECK_PASS, "TLS 1.0 refused", 100000);
	fx_result(l, "cfg", "file", "file.content.present", AX_CHECK_ERROR, "cannot read /etc/x: Permission denied",
		  50);
	fx_result(l, "files", "file", "file.owner", AX_CHECK_SKIP, "", 100);
	/* run 7 (older): mx-tls and an older maillog; run 8: the rest */
	fx_result(e, "maillog", "file", "file.mode", AX_CHECK_PASS, "mode 0640", 100000);
	fx_result(e, "mx-tls", "tls", "tls.protocol.tls1_0", AX_CHECK_PASS, "TLS 1.0 refused", 100000);
	fx_result(e, "cfg", "file", "file.content.present", AX_CHECK_ERROR, "cannot read /etc/x: Permission denied",
		  50);
	fx_result(e, "files", "file", "file.mode", AX_CHECK_PASS, "mode 0600 within 0640", 100);
	fx_result(e, "files", "file", "file.owner", AX_CHECK_SKIP, "", 100);
	fx_result(e, "maillog", "file", "file.mode", AX_CHECK_FAIL, FX_HOSTILE, 50);
	int64_t runs[] = {7, 7, 8, 8, 8, 8};
	memcpy(f->result_run, runs, sizeof(runs));
	f->d.result_run = f->result_run;
}

static void fx_runs(struct fx *f)
{
	for (int i = 0; i < 2; i++) {
		struct ax_run_info *r = &f->runs[i];
		r->id = 7 + i;
		snprintf(r->kind, sizeof(r->kind), "collect");
		r->started_at = FX_NOW - (i ? 60 : 100010);
		r->finished_at = r->started_at + 5;
		memset(r->prev_hash, i ? 'a' : '0', 64);
		memset(r->content_sha256, i ? 'c' : 'b', 64);
		memset(r->hash, i ? 'e' : 'a', 64);
		r->nresults = i ? 4 : 2;
	}
	f->d.runs = f->runs;
	f->d.nruns = 2;
	f->d.store_head = f->runs[1];
	f->d.have_store_head = 1;
}

static void fx_artifact(struct ax_export_artifact *a, const char *inst, const char *name, const char *path,
			char hexc, int64_t run)
{
	a->instance = (char *)inst;
	a->name = (char *)name;
	a->media_type = (char *)"text/plain";
	memset(a->sha256, hexc, 64);
	a->sha256[64] = 0;
	a->size = 42;
	a->bundle_path = (char *)path;
	a->last_run = run;
}

static void fx_artifacts(struct fx *f)
{
	fx_artifact(&f->arts[0], "maillog", "mail.log", "evidence/maillog/mail.log", '1', 8);
	fx_artifact(&f->arts[1], "mx-tls", "handshake <b>.txt", "evidence/mx-tls/handshake__b_.txt", '2', 7);
	fx_artifact(&f->arts[2], "maillog", "evil", "https://evil.example/x.js", '3', 8);
	f->links[0] = (struct ax_export_link){8, 0};
	f->links[1] = (struct ax_export_link){7, 1};
	f->links[2] = (struct ax_export_link){8, 2};
	f->d.artifacts = f->arts;
	f->d.nartifacts = 3;
	f->d.links = f->links;
	f->d.nlinks = 3;
}

static void fx_control(struct fx *f, size_t i, enum ax_control_status s, const char *justification, size_t first_row,
		       size_t nrows)
{
	f->cs[i].control = &fx_controls[i];
	f->cs[i].status = s;
	f->cs[i].justification = justification;
	f->cs[i].rows = nrows ? &f->rows[first_row] : NULL;
	f->cs[i].nrows = nrows;
	f->st.counts[s]++;
}

static size_t fx_failed[] = {2, 5};

/* Builds the fixture; free with fx_free. */
static void fx_build(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->d.organization = "Example Mail <GmbH> & Co";
	f->d.since = FX_NOW - 200000;
	f->d.until = FX_NOW;
	/* the week before: one more control passed, none erred */
	f->d.have_previous = 1;
	f->d.previous_since = FX_NOW - 400000;
	f->d.previous_until = FX_NOW - 200001;
	f->d.previous_counts[AX_CTL_PASS] = 3;
	f->d.previous_counts[AX_CTL_FAIL] = 1;
	f->d.previous_counts[AX_CTL_STALE] = 1;
	f->d.previous_counts[AX_CTL_MANUAL] = 1;
	f->d.previous_counts[AX_CTL_NOT_APPLICABLE] = 2;
	f->d.previous_counts[AX_CTL_NOT_COVERED] = 1;
	f->d.generated_at = FX_NOW + 30;
	f->d.version = "0.1.0";
	f->d.host = (char *)"collector-1";
	f->d.cat = &fx_catalog;
	fx_results(f);
	fx_runs(f);
	fx_artifacts(f);
	const struct ax_result *L = f->d.latest.results;
	/* rows: A.5.15 <- files file.mode + files file.owner (skip); A.8.15 <-
	 * maillog file.mode; A.8.24 <- mx-tls (stale); A.8.9 <- cfg (error) */
	f->rows[0] = (struct ax_check_row){&L[0], 0};
	f->rows[1] = (struct ax_check_row){&L[4], 0};
	f->rows[2] = (struct ax_check_row){&L[1], 0};
	f->rows[3] = (struct ax_check_row){&L[2], 1};
	f->rows[4] = (struct ax_check_row){&L[3], 0};
	fx_control(f, 0, AX_CTL_MANUAL, NULL, 0, 0);
	fx_control(f, 1, AX_CTL_PASS, NULL, 0, 2);
	fx_control(f, 2, AX_CTL_NOT_APPLICABLE, "Staff are <contractors> & trained by \"Acme\"", 0, 0);
	fx_control(f, 3, AX_CTL_NOT_APPLICABLE, "No own premises.", 0, 0);
	fx_control(f, 4, AX_CTL_ERROR, NULL, 4, 1);
	fx_control(f, 5, AX_CTL_FAIL, NULL, 2, 1);
	fx_control(f, 6, AX_CTL_NOT_COVERED, NULL, 0, 0);
	fx_control(f, 7, AX_CTL_STALE, NULL, 3, 1);
	fx_control(f, 8, AX_CTL_PASS, NULL, 0, 0);
	f->cs[5].owner = "Mail <ops>";
	fx_manual(f);
	f->st.generated_at = f->d.generated_at;
	f->st.controls = f->cs;
	f->st.ncontrols = FX_NCONTROLS;
	f->d.status = &f->st;
	/* A.8.9 errored and A.8.15 failed in run 8: the failing rows are
	 * evidence results 2 (cfg) and 5 (maillog) */
	f->period[1] = (struct ax_export_period_stat){.runs_evaluated = 1, .runs_passed = 1, .changes = 1,
						      .seconds_evaluated = 3600, .seconds_passed = 3600};
	f->period[4] = (struct ax_export_period_stat){.runs_evaluated = 1, .runs_failed = 1, .changes = 1,
						      .seconds_evaluated = 3600,
						      .first_failed = FX_NOW - 60, .last_failed = FX_NOW - 60,
						      .failed = &fx_failed[0], .nfailed = 1};
	f->period[5] = (struct ax_export_period_stat){.runs_evaluated = 2, .runs_passed = 1, .runs_failed = 1, .changes = 2,
						      .seconds_evaluated = 7200, .seconds_passed = 3600,
						      .first_failed = FX_NOW - 60, .last_failed = FX_NOW - 60,
						      .failed = &fx_failed[1], .nfailed = 1};
	f->period[7] = (struct ax_export_period_stat){.runs_evaluated = 2, .runs_passed = 2, .changes = 1,
						      .seconds_evaluated = 7200, .seconds_passed = 7200};
	/* A.8.15 failed in the last slices, passed before; A.5.15 passed */
	for (size_t k = 0; k < AX_STRIP; k++) {
		f->period[5].strip[k] = k < 20 ? 0 : k < 22 ? AX_CTL_PASS + 1 : AX_CTL_FAIL + 1;
		f->period[1].strip[k] = k < 20 ? 0 : AX_CTL_PASS + 1;
	}
	f->d.period = f->period;
}

static void fx_free(struct fx *f)
{
	ax_evidence_free(&f->d.latest);
	ax_evidence_free(&f->d.evidence);
}

/* ---- the real catalog ---- */

struct fx_real {
	struct ax_export_data d;
	struct ax_catalog *cat;
	struct ax_config *cfg;
};

static const char *fx_controls_dir(void)
{
	const char *dir = getenv("ANNEXA_CONTROLS");
	return dir ? dir : ANNEXA_SOURCE_DIR "/controls";
}

/* The 93 controls, A.7.4 excluded, a file instance with a failing check
 * (A.8.3 fails) and one that the site attaches to A.8.9 with a passing
 * content check (A.8.9 passes: file.content.* maps to nothing by itself).
 * 0 or the error. */
static int fx_real_build(struct fx_real *r)
{
	int err;
	memset(r, 0, sizeof(*r));
	char *conf = t_write("annexa.conf", "[annexa]\n\torganization = Real & Co\n"
					    "[probe \"files\"]\n\ttype = file\n\tpath = /etc/hostname\n"
					    "[probe \"sshd-config\"]\n\ttype = file\n\tpath = /etc/ssh/sshd_config\n"
					    "\tcontrols = A.8.9\n"
					    "[control \"A.7.4\"]\n\tapplicable = false\n"
					    "\tjustification = No own premises.\n");
	err = ax_catalog_load(&r->cat, fx_controls_dir());
	if (err == 0)
		err = ax_config_load(&r->cfg, conf);
	free(conf);
	if (err < 0)
		return err;
	ax_evidence_add_result(&r->d.latest, "files", "file", "file.mode", AX_CHECK_FAIL, "mode 0666", NULL,
			       FX_NOW - 10);
	ax_evidence_add_result(&r->d.latest, "sshd-config", "file", "file.content.present", AX_CHECK_PASS, "found", NULL,
			       FX_NOW - 10);
	if ((err = ax_status_compute(r->cat, r->cfg, &r->d.latest, FX_NOW, &r->d.status)) < 0)
		return err;
	r->d.organization = "Real & Co";
	r->d.generated_at = FX_NOW;
	r->d.version = "0.1.0";
	r->d.cat = r->cat;
	r->d.cfg = r->cfg;
	return 0;
}

static void fx_real_free(struct fx_real *r)
{
	ax_status_free(r->d.status);
	ax_evidence_free(&r->d.latest);
	ax_config_free(r->cfg);
	ax_catalog_free(r->cat);
}

#endif
