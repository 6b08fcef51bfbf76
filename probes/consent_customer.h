/* consent_customer.h - the existing-customer exemption (UWG §7(3),
 * ePrivacy Directive Art. 13(2)) in the generic lead schema: which of its
 * optional columns and tables a lead database has, the consent questions
 * that must then leave `existing_customer` subscriptions out (or judge
 * them by their own conditions), and the four checks of the exemption.
 *
 * Everything is optional in the database: without subscriptions.legal_basis
 * every subscription is consent-based and the answers are those of
 * consent_queries.c; a check whose columns are missing is `skip` with the
 * reason. */
#ifndef AX_CONSENT_CUSTOMER_H
#define AX_CONSENT_CUSTOMER_H

#include "buf.h"
#include "consent_queries.h"
#include "leaddb.h"
#include "probe.h"

/* What the generic schema's optional parts the database has. */
enum {
	AX_CUSTOMER_BASIS = 1 << 0,      /* subscriptions.legal_basis */
	AX_CUSTOMER_NOTICE = 1 << 1,     /* subscriptions.objection_notice_at */
	AX_CUSTOMER_ORDERS = 1 << 2,     /* orders (lead_id, ordered_at, product_category) */
	AX_CUSTOMER_CATEGORIES = 1 << 3, /* list_categories (list_id, product_category) */
};

/* The consent probe's options and checks of the exemption, spliced into
 * its tables. */
#define AX_CONSENT_CUSTOMER_OPTIONS \
	{"customer-max-age", AX_OPT_DURATION, "730d", 0, NULL, 1, 315360000, \
	 "existing customers: the last order may be at most this old"}, \
	{"similar-categories", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, \
	 "BOUGHT: CATEGORY, ... - a customer who bought BOUGHT may be advertised these (repeatable)"}, \
	{"query-customer-no-sale", AX_OPT_STRING, NULL, 0, NULL, 0, 0, \
	 "SQL replacing the default; no parameters -> address, detail"}, \
	{"query-customer-dissimilar", AX_OPT_STRING, NULL, 0, NULL, 0, 0, \
	 "SQL replacing the default; $1 JSON [[bought, advertised], ...] -> address, detail"}, \
	{"query-customer-no-notice", AX_OPT_STRING, NULL, 0, NULL, 0, 0, \
	 "SQL replacing the default; no parameters -> address, detail"}, \
	{"query-customer-stale-sale", AX_OPT_STRING, NULL, 0, NULL, 0, 0, \
	 "SQL replacing the default; $1 cutoff -> address, detail"}

#define AX_CONSENT_CUSTOMER_CHECKS \
	{"consent.customer.no_sale", "every existing-customer subscription follows an order of that customer"}, \
	{"consent.customer.dissimilar", "existing customers are only advertised categories they bought or declared similar"}, \
	{"consent.customer.no_notice", "every existing customer was told at collection that they may object at any time"}, \
	{"consent.customer.stale_sale", "no existing-customer subscription outlives customer-max-age since the last order"}

/* The optional parts of a generic-schema database into *caps (0 for other
 * schemas and engines without a catalogue query here). */
int ax_consent_customer_caps(struct ax_leaddb *db, const char *schema, unsigned *caps);

/* The generic schema's query for q when the database has legal_basis
 * (consent questions leave existing_customer subscriptions out; the
 * consent state admits them while an order precedes their collection and
 * they are not unsubscribed), else NULL: ask ax_consent_default_query(). */
const char *ax_consent_customer_query(unsigned caps, enum ax_leaddb_engine engine, enum ax_consent_question q);

/* Asks and reports the four consent.customer.* checks. */
int ax_consent_customer_run(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const char *schema, unsigned caps,
			    const char *time_problem, struct ax_buf *sql_log);

#endif
