/* consent.c - the `consent` probe: can the controller demonstrate consent,
 * and does the lead database keep only what it may?
 *
 * Each check is one set-based SQL query (per lead schema, overridable in
 * the config) that returns the offending rows; the database counts them
 * and returns at most `samples` of them, so the probe never holds the
 * table. The first column of an address query is pseudonymised with
 * ax_probe_pseudonym() before it goes anywhere: raw addresses never reach
 * results, artifacts or messages. The SQL that ran is attached as an
 * artifact, so an auditor sees how each number was obtained. */
#include <stdlib.h>
#include <string.h>

#include "consent_ask.h"
#include "consent_customer.h"
#include "consent_population.h"
#include "consent_queries.h"
#include "consent_times.h"
#include "leaddb.h"
#include "probe.h"
#include "util.h"

static const struct ax_option consent_options[] = {
	{"database", AX_OPT_DBURI, NULL, AX_OPT_REQUIRED | AX_OPT_SECRET, NULL, 0, 0,
	 "lead database: sqlite:/ABSOLUTE/PATH, postgresql://user@host/db?... or mysql://user@host:port/db"},
	{"schema", AX_OPT_ENUM, "generic", 0, "generic|listmonk|phplist|mautic|keila", 0, 0, "table layout of the lead database"},
	{"password-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "mysql://: file whose first line is the password"},
	{"defaults-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "mysql://: my.cnf-style file; its [client] group gives the password"},
	{"require-ip", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "double opt-in proof needs the confirmation IP"},
	{"listmonk-ip-key", AX_OPT_STRING, "optin_ip", 0, NULL, 0, 0,
	 "listmonk: key in subscriber_lists.meta holding the confirmation IP (listmonk writes optin_ip)"},
	{"unconfirmed-max-age", AX_OPT_DURATION, "30d", 0, NULL, 1, 315360000, "longest time an unconfirmed sign-up may stay"},
	{"erasure-max-age", AX_OPT_DURATION, "30d", 0, NULL, 1, 315360000, "longest time an erasure/objection request may stay open"},
	{"inactive-max-age", AX_OPT_DURATION, "730d", 0, NULL, 1, 315360000, "longest time a contact may stay without consent activity"},
	{"samples", AX_OPT_INT, "5", 0, NULL, 0, 50, "pseudonymous sample rows per check"},
	{"population-window", AX_OPT_DURATION, "365d", 0, NULL, 1, 315360000,
	 "the confirmations population covers confirmations this far back"},
	{"query-timeout", AX_OPT_DURATION, "50s", 0, NULL, 1, 86400, "deadline of each query"},
	{"query-doi-proof", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; $1 require-ip, $2 ip key -> address, problem"},
	{"query-ip-recording", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; no parameters -> setting, value"},
	{"query-single-optin", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; no parameters -> list, detail"},
	{"query-unconfirmed-expired", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; $1 cutoff -> address, list"},
	{"query-erasure-overdue", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; $1 cutoff -> address, kind"},
	{"query-inactive", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; $1 cutoff -> address, detail"},
	{"query-unsubscribed-mailable", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "SQL replacing the default; no parameters -> address, detail"},
	AX_CONSENT_CUSTOMER_OPTIONS,
	{NULL},
};

static const struct ax_check_def consent_checks[] = {
	{"consent.doi.proof", "every confirmed double-opt-in subscription has sign-up time, later confirmation time (and IP)"},
	{"consent.doi.ip_recording", "the confirmation IP is being recorded (listmonk: privacy.record_optin_ip on; with require-ip)"},
	{"consent.doi.single_optin_lists", "no marketing list runs single opt-in"},
	{"consent.unconfirmed.expired", "no unconfirmed sign-up older than unconfirmed-max-age is kept"},
	{"consent.erasure.overdue", "no erasure or objection request open longer than erasure-max-age"},
	{"consent.inactive.retention", "no contact without consent activity for longer than inactive-max-age"},
	{"consent.unsubscribed.mailable", "no unsubscribed or blocklisted address is still mailable on an active list"},
	AX_CONSENT_CUSTOMER_CHECKS,
	AX_PROBE_KEY_CHECK, /* its samples are keyed pseudonyms */
	{NULL},
};

struct question {
	enum ax_consent_question q;
	const char *check;
	const char *option;      /* the override key */
	int first_is_address;    /* pseudonymise column 1 */
	const char *pass_msg;
	const char *fail_fmt;    /* at most one %lld: the count */
	const char *na_fmt;      /* skip when the schema has no default: %s schema, %s option */
};

static const struct question questions[] = {
	{AX_Q_DOI_PROOF, "consent.doi.proof", "query-doi-proof", 1,
	 "every confirmed double-opt-in subscription has its proof",
	 "%lld confirmed double-opt-in subscription(s) lack sign-up time, later confirmation time or confirmation IP", NULL},
	{AX_Q_IP_RECORDING, "consent.doi.ip_recording", "query-ip-recording", 0,
	 "the confirmation IP is being recorded (privacy.record_optin_ip is on)",
	 "the confirmation IP is not being recorded (privacy.record_optin_ip is off or absent): "
	 "confirmations from now on carry no IP proof",
	 "not applicable to schema %s: it has no setting that records confirmation IPs (consent.doi.proof "
	 "checks the IPs themselves); set %s to ask your own"},
	{AX_Q_SINGLE_OPTIN, "consent.doi.single_optin_lists", "query-single-optin", 0,
	 "no marketing list runs single opt-in", "%lld marketing list(s) run single opt-in", NULL},
	{AX_Q_UNCONFIRMED_EXPIRED, "consent.unconfirmed.expired", "query-unconfirmed-expired", 1,
	 "no expired unconfirmed sign-up is kept", "%lld unconfirmed sign-up(s) older than unconfirmed-max-age still stored", NULL},
	{AX_Q_ERASURE_OVERDUE, "consent.erasure.overdue", "query-erasure-overdue", 1,
	 "no erasure or objection request is overdue", "%lld erasure/objection request(s) open longer than erasure-max-age",
	 "not applicable to schema %s: listmonk keeps no erasure or objection requests (its wipe deletes the "
	 "subscriber at once); set %s to ask your request log"},
	{AX_Q_INACTIVE, "consent.inactive.retention", "query-inactive", 1,
	 "no contact is kept beyond inactive-max-age without consent activity",
	 "%lld contact(s) without consent activity for longer than inactive-max-age", NULL},
	{AX_Q_UNSUB_MAILABLE, "consent.unsubscribed.mailable", "query-unsubscribed-mailable", 1,
	 "no unsubscribed or blocklisted address is still mailable",
	 "%lld unsubscribed or blocklisted address(es) still mailable on an active list", NULL},
};

static int ask(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const struct question *qu, const char *schema,
	       unsigned caps, const char *time_problem, struct ax_buf *sql_log)
{
	const char *override = ax_probe_opt(ctx, qu->option);
	const char *sql = override ? override : ax_consent_customer_query(caps, ax_leaddb_engine(db), qu->q);
	char cutoff[32];
	const char *params[2] = {NULL, NULL};
	struct ax_consent_ask a = {.check = qu->check, .option = qu->option, .overridden = override != NULL,
				   .schema = schema, .params = params, .first_is_address = qu->first_is_address,
				   .pass_msg = qu->pass_msg, .fail_fmt = qu->fail_fmt, .time_problem = time_problem};

	if (!sql)
		sql = ax_consent_default_query(schema, ax_leaddb_engine(db), qu->q);
	if (qu->q == AX_Q_IP_RECORDING && !ax_probe_opt_bool(ctx, "require-ip")) {
		ax_probe_result(ctx, qu->check, AX_CHECK_SKIP, NULL, "require-ip is off: no confirmation IP is needed");
		return 0;
	}
	if (!sql || (!override && !ax_consent_needs_met(db, schema, qu->q))) {
		const struct ax_consent_schema *sys = ax_consent_schema_find(schema);
		if (sys && sys->skip[qu->q])
			ax_probe_result(ctx, qu->check, AX_CHECK_SKIP, NULL, "not applicable to schema %s: %s (set %s to ask your own)",
					schema, sys->skip[qu->q], qu->option);
		else
			ax_probe_result(ctx, qu->check, AX_CHECK_SKIP, NULL,
					qu->na_fmt ? qu->na_fmt : "not applicable to schema %s (set %s)", schema, qu->option);
		return 0;
	}
	switch (qu->q) {
	case AX_Q_DOI_PROOF:
		params[0] = ax_probe_opt_bool(ctx, "require-ip") ? "1" : "0";
		params[1] = ax_probe_opt(ctx, "listmonk-ip-key");
		a.nparams = 2;
		break;
	case AX_Q_UNCONFIRMED_EXPIRED:
	case AX_Q_ERASURE_OVERDUE:
	case AX_Q_INACTIVE: {
		const char *key = qu->q == AX_Q_UNCONFIRMED_EXPIRED ? "unconfirmed-max-age"
				  : qu->q == AX_Q_ERASURE_OVERDUE  ? "erasure-max-age"
								   : "inactive-max-age";
		ax_consent_sql_time(ax_probe_now(ctx) - ax_probe_opt_int(ctx, key), cutoff);
		params[0] = cutoff;
		a.nparams = 1;
		a.extra = json_pack("{s:s}", "cutoff", cutoff);
		break;
	}
	default:
		break;
	}
	a.sql = sql;
	return ax_consent_ask(ctx, db, &a, sql_log);
}

static int consent_run(struct ax_probe_ctx *ctx)
{
	struct ax_leaddb *db = NULL;
	struct ax_buf sql_log = AX_BUF_INIT;
	const char *schema = ax_probe_opt(ctx, "schema");
	unsigned caps = 0;
	char *time_problem = NULL;
	int err = 0;

	struct ax_leaddb_auth auth = {ax_probe_opt(ctx, "password-file"), ax_probe_opt(ctx, "defaults-file")};
	ax_probe_report_key(ctx);
	if ((err = ax_leaddb_open_auth(&db, ax_probe_opt(ctx, "database"), ax_probe_opt_int(ctx, "query-timeout") * 1000,
				       &auth)) < 0 ||
	    (err = ax_consent_schema_engine_check(schema, ax_leaddb_engine(db))) < 0)
		goto cleanup;
	if ((err = ax_consent_customer_caps(db, schema, &caps)) < 0)
		goto cleanup;
	ax_consent_time_form(db, schema, caps, &sql_log, &time_problem);
	for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++)
		if ((err = ask(ctx, db, &questions[i], schema, caps, time_problem, &sql_log)) < 0)
			goto cleanup;
	if ((err = ax_consent_customer_run(ctx, db, schema, caps, time_problem, &sql_log)) < 0)
		goto cleanup;
	ax_probe_artifact(ctx, "consent-queries.sql", "application/sql", sql_log.ptr, sql_log.size);
	ax_consent_population(ctx, db, schema);
cleanup:
	free(time_problem);
	ax_leaddb_free(db);
	ax_buf_free(&sql_log);
	return err;
}

/* the lead database: its sqlite file, or TCP to its PostgreSQL/MariaDB port
 * (password-file and defaults-file are paths: read access) */
static const struct ax_probe_access consent_access = {.connect = (const char *const[]){"database", NULL}};

const struct probe probe_consent = {
	.name = "consent",
	.summary = "lead database: double opt-in proof, single opt-in lists, expired sign-ups, erasure, retention, unsubscribes, existing customers",
	.options = consent_options,
	.checks = consent_checks,
	.access = &consent_access,
	.run = consent_run,
};
