/* export.h - what leaves annexa: the data of a report, the signed ZIP
 * bundle, its verification, CMS signing, RFC 3161 time stamps, and the
 * commands `export`, `verify`, `keygen`, `report`.
 *
 * One struct ax_export_data carries everything a report needs; the bundle
 * writer builds it once and hands it to every generator (report.html,
 * OSCAL, controls.json, results.jsonl, ledger.json). Generators only read
 * it and append to a struct ax_buf. */
#ifndef AX_EXPORT_H
#define AX_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "controls.h"
#include "daemonlog.h"
#include "evidence.h"
#include "manual.h"
#include "store.h"

/* Mode of the files exports hand to people (bundle, report, time-stamp
 * request): the umask decides, 0644 under 022, 0640 under the systemd
 * unit's UMask=0027. */
#define AX_EXPORT_FILE_MODE 0666

struct ax_config;
struct ax_catalog;
struct ax_status;

/* One artifact of the period, stored once per distinct (instance, name,
 * sha256) however many runs carried it. */
struct ax_export_artifact {
	char *instance;
	char *name;        /* as the probe named it (may hold any UTF-8) */
	char *media_type;
	char sha256[65];
	int64_t size;      /* bytes; -1 until the bundle writer has read them */
	char *bundle_path; /* "evidence/<instance>/<name>", sanitised, unique in the bundle */
	int64_t last_run;  /* newest run of the period that carried it */
};

/* Which artifacts each run carried (ledger.json lists them per run). */
struct ax_export_link {
	int64_t run_id;
	size_t artifact; /* index into ax_export_data.artifacts */
};

/* One manual evidence file as a control of its item names it: file
 * `file` of item `item` (index into ax_export_data.manual.items) for its
 * control `control` (index into the item's controls). Every control's
 * entry of a file has the same bundle_path: the bundle holds the file
 * once, written for the stored entry (ax_export_manual_stored). */
struct ax_export_manual_file {
	size_t item, control, file;
	char *bundle_path; /* "evidence/manual/<id>-<name>", sanitised, unique per file */
	int from_run;      /* an attach run of the period carries these bytes under the same path */
};

/* True for the one entry per file whose bytes a bundle or a report's
 * evidence folder writes (the item's first control). */
int ax_export_manual_stored(const struct ax_export_manual_file *mf);

/* Per control, over the period (export_data.c). The control's state at a
 * time is the newest result, as of that time, of every check mapped to it
 * (runs of other instances do not hide it: the daemon commits one run per
 * instance). After each collection run the state is pass, fail, error or
 * stale (evaluated) or has no counting result yet; it holds until the next
 * run, the last one until the end of the period.
 * - seconds_evaluated / seconds_passed: time in an evaluated / in the pass
 *   state; share = passed / evaluated (report as n/a when 0).
 * - runs_evaluated / runs_passed: collection runs after which the state
 *   was evaluated / pass; changes: runs after which it differed from before.
 * - runs_failed, first_failed, last_failed: runs after which the state was
 *   fail or error; the OSCAL findings tell a control that failed and
 *   recovered within the period.
 * - The period test, which a passing control must meet or be reported
 *   partial: its checks reported in nearly every (>= 90 %) freshness window
 *   of the period (window = the smallest freshness of its instances, from
 *   --since or the first run to the end), and every fail or error of a
 *   check in the period was followed by a pass of the same check. */
#define AX_STRIP 24
struct ax_export_period_stat {
	int64_t seconds_evaluated, seconds_passed;
	int runs_evaluated, runs_passed, changes;
	int runs_failed;
	int64_t first_failed, last_failed; /* started_at of those runs, 0 when none */
	/* Indices into evidence.results: the failing results of the first run
	 * of every streak of failed runs (bounded by the changes, not by the
	 * number of runs). */
	size_t *failed;
	size_t nfailed;
	int64_t window;                  /* seconds; 0 when no check maps to the control */
	int windows, windows_evaluated;
	int unresolved;                  /* checks whose last fail/error no pass followed */
	int period_ok;                   /* the period test holds */
	int demoted;                     /* pass at the end, reported partial because the test fails */
	/* The period in AX_STRIP equal slices, oldest first: per slice the
	 * worst state a collection run left the control in (1 + enum
	 * ax_control_status: pass < stale < error < fail), 0 when no run
	 * evaluated it in that slice. Drawn as the report's strips and theme
	 * chart. */
	unsigned char strip[AX_STRIP];
	/* The run calendar (period.c): per day of the period (24-hour steps
	 * from its start, ax_export_data.ndays of them) the worst state a
	 * collection run left the control in after a mapped check reported
	 * pass, fail or error that day (1 + enum ax_control_status as in
	 * strip), 0 on a day without such evidence. */
	unsigned char *days;
	int days_with_evidence;
	/* Every change of the state, oldest first: after the collection run
	 * finished at `at` the control was in `state` (enum ax_control_status,
	 * -1: no counting result yet). Bounded by changes, not by runs. */
	struct ax_export_state_change {
		int64_t at;
		int state;
	} *timeline;
	size_t ntimeline;
};

struct ax_export_data {
	const char *organization; /* [annexa] organization, or "" */
	int64_t since, until;     /* period bounds (run started_at), 0 = unbounded */
	int64_t generated_at;
	const char *version;      /* collector version */
	char *host;               /* host name of the exporting machine */
	const struct ax_config *cfg;
	const struct ax_catalog *cat;
	struct ax_store *store; /* not owned: where artifact bytes come from */
	/* Control status at the end of the period: computed from the newest
	 * result of every (instance, check) in the period, at min(until, now);
	 * without --until that is the current status. */
	struct ax_status *status;
	struct ax_evidence latest; /* what status points into */
	/* The runs of the period (ledger order, oldest first). */
	struct ax_run_info *runs;
	size_t nruns;
	struct ax_run_info store_head; /* newest run of the whole store */
	int have_store_head;
	/* Every result of the period, oldest run first; result_run[i] is the
	 * run of evidence.results[i]. evidence.artifacts stays empty. */
	struct ax_evidence evidence;
	int64_t *result_run;
	struct ax_export_artifact *artifacts;
	size_t nartifacts;
	struct ax_export_link *links;
	size_t nlinks;
	/* Same order and length as status->controls. */
	struct ax_export_period_stat *period;
	/* The counts of the previous period of the same length, ending where
	 * this one starts (export_data.c build_previous); have_previous is 0
	 * for an unbounded period or one with no collection run before it. */
	int have_previous;
	int64_t previous_since, previous_until;
	int previous_counts[AX_CTL__COUNT];
	/* Manual evidence of the period (ax_manual_period), combined into
	 * status and the per-run statuses with ax_status_apply_manual at
	 * status_at; mfiles in item order, then control, then file. */
	struct ax_manual_list manual;
	struct ax_export_manual_file *mfiles;
	size_t nmfiles;
	int64_t status_at; /* the time status describes: min(until, now) */
	/* The period as the calendar counts it: from --since, else the first
	 * run, to status_at; ndays = its days, the last one possibly short. */
	int64_t period_start;
	int ndays;
	/* `report -o FILE`: where the report's evidence links lead instead of
	 * the bundle's "evidence/" ("FILE.evidence/", beside the report);
	 * NULL inside a bundle. */
	const char *evidence_href;
	/* The seed of the sample a bundle carries (`annexa sample -o`): the
	 * assessment plan names it; NULL otherwise. */
	const char *sample_seed;
	/* Set for `export --locker`: manifest.json names the collectors. */
	const struct ax_export_locker *locker;
	/* The run calendar of the period (period.c). */
	struct ax_period *calendar;
};

/* ---- the run calendar (period.c) ----
 * Per probe instance of the period: the runs expected from its interval
 * (configured, else the median spacing of its runs), the runs observed,
 * and the gaps between them with the reason when it is known from the
 * daemon's own log (daemonlog.h) or the run before the gap. */
struct ax_period_gap {
	int64_t from;    /* when the first missed run was due (the run before + interval) */
	int64_t to;      /* the next run, or the end of the period */
	int missed;      /* runs due in it that did not happen */
	const char *why; /* "daemon stopped", "daemon restarted (no clean stop recorded)",
			    "back-off after a failed run", NULL: not known */
};
struct ax_period_instance {
	char *name;
	int64_t interval;
	int interval_observed;   /* not configured: the median spacing of its runs */
	int64_t first, last;     /* started_at of its first and last run in the period */
	int expected, observed;  /* expected = 1 + (end - first) / interval */
	int failed;              /* observed runs in which it reported nothing but errors */
	int missed;              /* sum over the gaps */
	struct ax_period_gap *gaps;
	size_t ngaps;
	unsigned char *controls; /* per status->controls: 1 when a check of it maps there */
};
struct ax_period {
	struct ax_daemon_event *events; /* the daemon's starts and stops in the period */
	size_t nevents;
	struct ax_period_instance *inst; /* by name */
	size_t ninst;
};
/* (Re)builds d->calendar from d's runs; the daemon events given (none for
 * a locker's replayed store: the exporting machine's daemon is not the
 * collectors'). ax_export_data_load builds it with the configured log. */
void ax_export_calendar_build(struct ax_export_data *d, const struct ax_daemon_event *events, size_t nevents);
/* One instance's calendar from its runs' start times (oldest first, n > 0)
 * and failed flags (nothing but errors), its interval (0: the median
 * spacing of the runs) and the period's end; p's daemon events (p may be
 * NULL) give the gaps' reasons. The same arithmetic lets verify recompute
 * a bundle's period.json from its ledger (verify_period.c). */
void ax_period_instance_fill(struct ax_period_instance *in, const int64_t *at, const unsigned char *failed, size_t n,
			     int64_t interval, int64_t end, struct ax_period *p);
void ax_period_free(struct ax_period *p);
/* period.json: the calendar of every instance and every control with a
 * mapped check (README: period.json); control / instance (may be NULL)
 * narrow it to one. */
json_t *ax_period_json(const struct ax_export_data *d, const char *control, const char *instance);
int ax_export_period_json(const struct ax_export_data *d, struct ax_buf *out);
/* One character per day of the control's calendar: p pass, s stale,
 * e error, f fail, '-' no evidence that day (a NUL-terminated string). */
char *ax_period_days(const struct ax_export_data *d, size_t control_index);

/* ---- central export of an evidence locker (export_locker.c) ---- */
struct ax_export_locker {
	char *repository;  /* as given */
	char **collectors; /* collectors/NAME branches, sorted */
	size_t ncollectors;
	size_t nbranches, commits; /* from ax_locker_import */
	char *dir;                 /* the temporary folder (mkdtemp) */
	struct ax_store *store;    /* the temporary store holding the replayed runs */
};
/* Replays the locker at repo_path into a new temporary store. AX_EINVALID
 * (message names the path) for a folder that is missing, no git
 * repository, or holds no collectors/ branch. */
int ax_export_locker_open(const char *repo_path, struct ax_export_locker **out);
/* Closes the temporary store and removes its folder. */
void ax_export_locker_free(struct ax_export_locker *l);
/* manifest.json's "locker": {"repository", "collectors": [{"name",
 * "runs"}], "runs", "commits_replayed"}; runs per collector counts the
 * bundle's runs (the period's), not the branch's commits. */
json_t *ax_export_locker_json(const struct ax_export_data *d);

/* Loads the period's data from the store. since/until are 0 for
 * unbounded; now is the export time. AX_EINVALID for until < since. */
int ax_export_data_load(const struct ax_config *cfg, struct ax_store *store, const struct ax_catalog *cat,
			int64_t since, int64_t until, int64_t now, struct ax_export_data **out);
void ax_export_data_free(struct ax_export_data *d);
/* The artifacts a run carried for one instance (indices into d->artifacts);
 * returns how many were found, writing at most max. */
size_t ax_export_run_artifacts(const struct ax_export_data *d, int64_t run_id, const char *instance,
			       size_t *idx, size_t max);
/* The bundle path of file `file` of item m under control, or NULL. */
const char *ax_export_manual_path(const struct ax_export_data *d, const struct ax_manual *m, const char *control,
				  size_t file);
/* (export_manual.c, for export_data.c and export_files.c) Loads the
 * period's manual items into d->manual and their bundle paths into
 * d->mfiles; d->store must be set. */
int ax_export_manual_load(struct ax_export_data *d, int64_t since, int64_t until);
/* Points the attach runs' artifacts at the manual files' bundle paths. */
void ax_export_manual_remap(struct ax_export_data *d);
/* One results.jsonl line per item: ax_manual_to_json plus "kind":
 * "manual", "state_at_end" and "evidence": [{control, path, sha256, size}]. */
int ax_export_manual_jsonl(const struct ax_export_data *d, struct ax_buf *out);
/* What an item is at time at, for people: "revoked", "pending",
 * "expired", "not yet effective" or "approved". */
const char *ax_export_manual_state(const struct ax_manual *m, int64_t at);
/* (period.c) Share of the evaluated time of the period in which control i passed,
 * 0..1; -1 when it was never evaluated. */
double ax_export_pass_share(const struct ax_export_data *d, size_t control_index);

/* The populations built at export (export_populations.c): "runs" of every
 * probe instance that reported in the period (one row per collection run:
 * a control execution) and "items" of instance "manual" (manual evidence
 * with its approvals). cb gets each CSV and provenance JSON text; a
 * non-zero return stops and is returned. */
typedef int (*ax_export_pop_cb)(void *arg, const char *instance, const char *name, const struct ax_buf *csv,
				const char *provenance);
int ax_export_populations(const struct ax_export_data *d, ax_export_pop_cb cb, void *arg);
/* The header and one row of an instance's runs population (counts by
 * status, index AX_CHECK_*): verify rebuilds the population from the
 * ledger with them (verify_period.c). */
void ax_export_runs_header(struct ax_buf *csv);
void ax_export_runs_row(struct ax_buf *csv, int64_t id, int64_t started, int64_t finished,
			const unsigned n[AX_CHECK_NSTATUS]);

/* The generated files of a bundle (each appends to out). */
int ax_report_html(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_xml(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_json(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_plan_xml(const struct ax_export_data *d, struct ax_buf *out);
int ax_oscal_catalog_xml(const struct ax_export_data *d, struct ax_buf *out);
int ax_export_controls_json(const struct ax_export_data *d, struct ax_buf *out);
int ax_export_results_jsonl(const struct ax_export_data *d, struct ax_buf *out);
int ax_export_ledger_json(const struct ax_export_data *d, struct ax_buf *out);
int ax_export_soa_csv(const struct ax_export_data *d, struct ax_buf *out);
/* soa.xlsx: the same SoA as a spreadsheet (ax_soa_write_xlsx through a
 * private temporary file under $TMPDIR, removed before returning). */
int ax_export_soa_xlsx(const struct ax_export_data *d, struct ax_buf *out);

/* ---- signing (sign.c) ---- */
struct ax_signer;
/* Loads a PEM private key, its PEM certificate and optional PEM chain;
 * refuses a key that does not match the certificate. */
int ax_signer_load(struct ax_signer **out, const char *key_path, const char *cert_path, const char *chain_path);
void ax_signer_free(struct ax_signer *s);
/* Detached CMS (PKCS#7 SignedData), DER, over data (CMS_DETACHED|CMS_BINARY),
 * carrying the certificate and chain. Appends to der. */
int ax_signer_sign(const struct ax_signer *s, const void *data, size_t len, struct ax_buf *der);
/* signer.pem: the certificate, then the chain, PEM. */
void ax_signer_chain_pem(const struct ax_signer *s, struct ax_buf *out);
/* One line naming the signer: subject and SHA-256 fingerprint. */
void ax_signer_describe(const struct ax_signer *s, struct ax_buf *out);
/* The certificate's SHA-256 fingerprint as openssl prints it
 * (`openssl x509 -noout -fingerprint -sha256`): AB:CD:..., 95 characters. */
void ax_signer_fingerprint(const struct ax_signer *s, char out[96]);

/* A new ECDSA P-256 key (PEM PKCS#8, mode 0600, created with O_EXCL: an
 * existing file is AX_EEXISTS) and a self-signed certificate naming the
 * organization (O=organization, CN=annexa evidence signing, keyUsage
 * digitalSignature, valid 3 years from now). */
int ax_keygen(const char *key_path, const char *cert_path, const char *organization, int64_t now);

/* ---- RFC 3161 time stamps (tsa.c) ---- */
/* A TimeStampReq (DER) over SHA-256(signature), asking for the TSA's
 * certificate; nonce random. Appends to out. */
int ax_tsa_request(const void *signature, size_t len, struct ax_buf *out);
/* POSTs request to an http:// URL (https is not supported: say so) and
 * reads the reply, within timeout_ms and 1 MiB. */
int ax_tsa_fetch(const char *url, const struct ax_buf *request, int timeout_ms, struct ax_buf *reply);
/* Checks reply (a DER TimeStampResp) is granted and stamps SHA-256 of
 * signature; with request, also its nonce; with ca_path, the TSA's
 * signature and certificate chain (TS_RESP_verify_response). *gen_time
 * receives the stamp's time (may be NULL). ca_checked tells whether the
 * TSA signature was checked. */
int ax_tsa_check(const void *reply, size_t reply_len, const void *signature, size_t sig_len,
		 const struct ax_buf *request, const char *ca_path, int64_t *gen_time, int *ca_checked);

/* ---- bundles (bundle.c, verify.c) ---- */
struct ax_bundle_opts {
	const struct ax_signer *signer;
	const char *tsa_url;      /* NULL: no online time stamp */
	const char *tsa_ca;       /* CA of the TSA, to check its reply */
	const char *tsa_request;  /* write a TimeStampReq here (offline TSA workflow) */
	int progress;             /* print progress on stderr */
	/* one more file in the bundle (`annexa sample -o`: sample.json), or NULL */
	const char *extra_path;
	const struct ax_buf *extra;
};
/* Writes the bundle of d to path atomically (temp file, fsync, rename,
 * fsync of the folder); *files (may be NULL) receives the file count. */
int ax_bundle_write(struct ax_export_data *d, const struct ax_bundle_opts *opts, const char *path, size_t *files);
/* Adds a TimeStampResp to an existing bundle (offline workflow): checks it
 * stamps the bundle's signature, then rewrites the bundle atomically with
 * manifest.json.sig.tsr. */
int ax_bundle_add_tsr(const char *path, const void *reply, size_t len, const char *tsa_ca);

struct ax_verify_opts {
	const char *ca_path;     /* trust anchor(s); NULL: the bundled signer.pem */
	const char *tsa_ca_path; /* CA of the TSA; NULL: check the imprint only */
	int64_t max_entry_size;  /* 0: defaults (4 GiB per file) */
	int64_t max_total_size;  /* 0: 64 GiB in all */
	int64_t max_entries;     /* 0: 200,000 */
	int progress;            /* print progress on stderr while hashing (bundles of 64 MiB or more) */
};
struct ax_verify_report {
	size_t entries;          /* ZIP entries */
	size_t files;            /* files checked against the manifest */
	size_t runs;             /* ledger runs checked */
	size_t runs_content;     /* of which the content hash was recomputed */
	/* pruned runs (content unverifiable), see struct ax_ledger_report */
	size_t runs_pruned_covered, runs_pruned_legacy, runs_pruned_unknown;
	int trusted_ca;          /* signature checked against --ca */
	int has_tsr, tsr_ca_checked;
	int64_t tsr_time;
	int64_t signer_expired_at; /* 0, or when a certificate of the signature expired */
	int64_t checked_at;        /* 0: certificates checked now; else at this (stamp) time */
	struct ax_buf signer;    /* subject and fingerprint of the signer */
	struct ax_buf subject;   /* the signer's subject alone */
	char fingerprint[65];    /* SHA-256 of the signer's certificate, hex */
	char ledger_head[65];    /* manifest.json's ledger last_hash, "" when none */
	/* derived files checked against the ledger (0 when the bundle has none) */
	int period_checked;      /* period.json */
	size_t period_instances; /* its instances */
	size_t runs_populations; /* populations/INSTANCE/runs.csv rebuilt */
	size_t sample_items;     /* a sample bundle's sample.json items redrawn */
	int sample_checked;
};
/* Verifies a bundle. 0: valid. AX_EINVALID: invalid, the message names the
 * first problem. AX_ERROR / AX_ENOTFOUND: could not be read at all. The ZIP
 * is read by zipread.c, which refuses any layout other ZIP tools could
 * read differently. */
int ax_bundle_verify(const char *path, const struct ax_verify_opts *opts, struct ax_verify_report *rep);
int ax_bundle_verify_mem(const void *data, size_t len, const struct ax_verify_opts *opts,
			 struct ax_verify_report *rep);
/* The entry names of a bundle as the verifier reads them (structure
 * checked, contents not); *names NULL-terminated, caller frees each. */
int ax_bundle_list(const char *path, char ***names, size_t *n);
void ax_verify_report_free(struct ax_verify_report *rep);

/* Turns an artifact name into a safe relative path component: only
 * [A-Za-z0-9._-], no leading dot, at most 100 bytes, never empty. */
void ax_export_safe_name(const char *name, struct ax_buf *out);
/* True when a bundle entry path is acceptable: relative, no "..", no
 * empty, "." or backslash components, printable ASCII. */
int ax_bundle_path_valid(const char *path);

/* ---- ledger anchors (anchors_load.c) ---- */
struct ax_anchors;
/* Adds the anchors of src: an anchors file (a torn last line, from a crash
 * during an append, is skipped), a bundle ZIP (verified first: an invalid
 * bundle is AX_EINVALID) or a locker repository (branch: the collector's
 * branch, collectors/NAME). AX_ENOTFOUND when src does not exist. */
int ax_anchors_load(const char *src, const char *branch, struct ax_anchors *out);

#endif
