/* consent_ask.h - what the parts of the `consent` probe share: asking the
 * lead database one question and reporting the answer as one check
 * (consent_ask.c).
 *
 * consent.c asks the consent questions, consent_customer.c those of the
 * existing-customer exemption; both go through ax_consent_ask(), so every
 * check logs its SQL the same way, counts in the database and emits only
 * pseudonymous samples. */
#ifndef AX_CONSENT_ASK_H
#define AX_CONSENT_ASK_H

#include <jansson.h>

#include "buf.h"
#include "leaddb.h"
#include "probe.h"

struct ax_consent_ask {
	const char *check;            /* the check reported */
	const char *option;           /* its override key */
	const char *sql;              /* what runs: the override or a default */
	int overridden;               /* sql is the option's value */
	const char *schema;           /* named in the SQL log for a default */
	const char *const *params;    /* bound to $1..$nparams */
	size_t nparams;
	int first_is_address;         /* column 1 is pseudonymised */
	json_t *extra;                /* stolen, may be NULL: merged into observed (cutoff, declarations) */
	const char *pass_msg;
	const char *fail_fmt;         /* at most one %lld: the count */
	const char *time_problem;     /* consent_times.h: set, a default query that compares times is error */
};

/* Runs a->sql (appending it and its parameters to sql_log) and reports
 * a->check: fail with the count when rows come back, pass otherwise,
 * error naming the query when it fails, or error with a->time_problem
 * (without running it) when a default query reads times not in form. Returns 0 (a failed query is a
 * result, not a failed run). */
int ax_consent_ask(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const struct ax_consent_ask *a,
		   struct ax_buf *sql_log);

/* 'YYYY-MM-DD HH:MM:SS' UTC: the format of the generic schema's times and
 * one PostgreSQL reads as timestamptz in a UTC session. */
void ax_consent_sql_time(int64_t t, char out[static 32]);

#endif
