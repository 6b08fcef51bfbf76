/* consent_queries.h - the default SQL of the lead probes, per lead schema
 * (`listmonk`, `generic`; `phplist`, `mautic`, `keila` in
 * consent_schemas.c) and database engine.
 *
 * Every query is one set-based SELECT answering one question; the probes
 * run it through ax_leaddb (count + LIMITed sample) and a user may replace
 * any of them with `query-NAME = SELECT ...`. The contract of each query
 * (its parameters and columns) is documented in README.md and here. */
#ifndef AX_CONSENT_QUERIES_H
#define AX_CONSENT_QUERIES_H

#include "leaddb.h"

enum ax_consent_question {
	/* $1 require-ip ('1'/'0'), $2 (listmonk) key of the confirmation IP in
	 * subscriber_lists.meta. Rows: address, problem. */
	AX_Q_DOI_PROOF,
	/* no parameters. Rows: the setting that keeps confirmation IPs from
	 * being recorded (listmonk: privacy.record_optin_ip), its value. */
	AX_Q_IP_RECORDING,
	/* no parameters. Rows: list name, detail. */
	AX_Q_SINGLE_OPTIN,
	/* $1 cutoff time. Rows: address, list name. */
	AX_Q_UNCONFIRMED_EXPIRED,
	/* $1 cutoff time. Rows: address, request kind. */
	AX_Q_ERASURE_OVERDUE,
	/* $1 cutoff time. Rows: address, detail. */
	AX_Q_INACTIVE,
	/* no parameters. Rows: address, detail: an unsubscribed or blocklisted
	 * address the system would still mail on an active list. */
	AX_Q_UNSUB_MAILABLE,
	/* $1 JSON array of lowercase addresses, or NULL: every address. Rows: address (lowercase),
	 * consent since (Unix seconds or NULL), unsubscribed at (Unix seconds,
	 * NULL while any subscription is active). */
	AX_Q_CONSENT_STATE,
	AX_Q_COUNT
};

/* The default query, or NULL when the schema cannot answer the question
 * (listmonk has no erasure requests; the generic schema no IP setting). */
const char *ax_consent_default_query(const char *schema, enum ax_leaddb_engine engine, enum ax_consent_question q);

/* A lead system's own schema (consent_schemas.c): its engine, its queries
 * and, per question it cannot answer, why not. */
struct ax_consent_schema {
	const char *name;
	enum ax_leaddb_engine engine;
	const char *source;                 /* where the layout was read */
	const char *const *queries;         /* [AX_Q_COUNT], NULL: cannot answer */
	const char *const *skip;            /* [AX_Q_COUNT], why not (or why not when needs finds nothing) */
	const char *const *needs;           /* [AX_Q_COUNT] or NULL: a query that must return a row first */
	const char *count;                  /* at least the rows AX_Q_CONSENT_STATE returns, NULL: unknown */
};
extern const struct ax_consent_schema ax_consent_phplist, ax_consent_mautic, ax_consent_keila;

/* The system schema of that name, NULL for listmonk and generic. */
const struct ax_consent_schema *ax_consent_schema_find(const char *schema);
/* 0, or an error when the schema is not kept in that engine's database. */
int ax_consent_schema_engine_check(const char *schema, enum ax_leaddb_engine engine);
/* A query whose one cell bounds the rows of the default AX_Q_CONSENT_STATE
 * query (the address count, to size an index once), NULL: unknown. */
const char *ax_consent_count_query(const char *schema);
/* 0 when the schema's precondition for question q (its `needs` query:
 * Mautic's DOI plugin confirmations exist) finds no row, else 1; a
 * precondition that fails to run counts as met, so the question itself
 * runs and reports the error. */
int ax_consent_needs_met(struct ax_leaddb *db, const char *schema, enum ax_consent_question q);

#endif
