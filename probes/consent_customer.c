/* consent_customer.c - the existing-customer exemption in the generic lead
 * schema (README "Existing customers").
 *
 * Mail without opt-in is lawful to an existing customer only while four
 * conditions hold (UWG §7(3), ePrivacy Directive Art. 13(2)): the address
 * came with a sale (consent.customer.no_sale), only own similar products
 * are advertised (consent.customer.dissimilar, against the company's own
 * declaration `similar-categories`), the customer was told at collection
 * that they may object (consent.customer.no_notice; "in every mail" is the
 * `mailing` probe's), and the address is not used after an objection
 * (unsubscribes and objection requests: the checks every subscription
 * has). consent.customer.stale_sale adds the courts' reading that the
 * relationship must be current. Each check is one set-based query like
 * the consent checks, run through ax_consent_ask(): the same SQL log,
 * counts in the database, pseudonymous samples only.
 *
 * The columns and tables are optional (an existing database has none of
 * them): which exist is read from the catalogue once per run, and a check
 * whose parts are missing is `skip` with the reason. Times are compared
 * as the other generic queries compare them (text in SQLite, timestamps
 * in PostgreSQL). */
#include "consent_customer.h"

#include <stdlib.h>
#include <string.h>

#include "consent_ask.h"
#include "util.h"

/* --- which optional parts exist --- */

/* Both list (table, column) of the three tables; a missing table lists
 * nothing. PostgreSQL resolves the names through search_path, as the
 * questions do. */
static const char caps_sqlite[] =
	"SELECT 'subscriptions', name FROM pragma_table_info('subscriptions')\n"
	"UNION ALL SELECT 'orders', name FROM pragma_table_info('orders')\n"
	"UNION ALL SELECT 'list_categories', name FROM pragma_table_info('list_categories')";

static const char caps_pg[] =
	"SELECT c.relname::text, a.attname::text\n"
	"  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid\n"
	" WHERE c.oid IN (to_regclass('subscriptions'), to_regclass('orders'), to_regclass('list_categories'))\n"
	"   AND a.attnum > 0 AND NOT a.attisdropped";

struct caps_seen {
	unsigned basis, notice, orders, categories; /* columns seen, as bits */
};

static int caps_row(void *arg, size_t ncols, const char *const *cells)
{
	struct caps_seen *seen = arg;
	if (ncols < 2 || !cells[0] || !cells[1])
		return 0;
	const char *t = cells[0], *c = cells[1];
	if (strcmp(t, "subscriptions") == 0) {
		seen->basis |= strcmp(c, "legal_basis") == 0;
		seen->notice |= strcmp(c, "objection_notice_at") == 0;
	} else if (strcmp(t, "orders") == 0) {
		seen->orders |= strcmp(c, "lead_id") == 0 ? 1u : strcmp(c, "ordered_at") == 0 ? 2u
							      : strcmp(c, "product_category") == 0 ? 4u : 0u;
	} else if (strcmp(t, "list_categories") == 0) {
		seen->categories |= strcmp(c, "list_id") == 0 ? 1u : strcmp(c, "product_category") == 0 ? 2u : 0u;
	}
	return 0;
}

int ax_consent_customer_caps(struct ax_leaddb *db, const char *schema, unsigned *caps)
{
	struct caps_seen seen = {0};
	const char *sql;
	*caps = 0;
	if (!schema || strcmp(schema, "generic") != 0)
		return 0;
	switch (ax_leaddb_engine(db)) {
	case AX_LEADDB_SQLITE:
		sql = caps_sqlite;
		break;
	case AX_LEADDB_POSTGRES:
		sql = caps_pg;
		break;
	default:
		return 0;
	}
	int err = ax_leaddb_each(db, sql, NULL, 0, caps_row, &seen);
	if (err < 0) {
		ax_error_prefix("reading the lead database's columns");
		return err;
	}
	if (seen.basis)
		*caps |= AX_CUSTOMER_BASIS;
	if (seen.notice)
		*caps |= AX_CUSTOMER_NOTICE;
	if (seen.orders == 7)
		*caps |= AX_CUSTOMER_ORDERS;
	if (seen.categories == 3)
		*caps |= AX_CUSTOMER_CATEGORIES;
	return 0;
}

/* --- the consent questions, with legal_basis --- */

#define CONSENT_BASED "COALESCE(s.legal_basis, 'consent') <> 'existing_customer'"
#define CUSTOMER_IN_FORCE "s.legal_basis = 'existing_customer' AND s.status = 'confirmed'"
/* condition 1: an order of the lead at or before the collection */
#define SALE_BEFORE "EXISTS (SELECT 1 FROM orders o WHERE o.lead_id = s.lead_id AND o.ordered_at <= s.signup_at)"

/* A list that holds only existing-customer subscriptions collects no
 * consent, so it runs no single opt-in; an empty or mixed one does. */
static const char single_optin[] =
	"SELECT li.name AS list, 'single_opt_in' AS detail FROM lists li\n"
	" WHERE li.optin = 'single' AND li.marketing <> 0\n"
	"   AND (NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.list_id = li.id AND s.legal_basis = 'existing_customer')\n"
	"        OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.list_id = li.id AND " CONSENT_BASED "))\n"
	" ORDER BY li.id";

/* The consent state: an existing-customer subscription counts from its
 * collection while an order precedes it (condition 1; without an orders
 * table never), and like any subscription until it is unsubscribed
 * (condition 4). */
#define STATE(OPEN, CLOSE, EC_SINCE, ACTIVE, UNSUB, WHICH) \
	"SELECT l.email AS address,\n" \
	"       " OPEN "CASE WHEN " CONSENT_BASED " THEN s.confirmed_at\n" \
	"            ELSE " EC_SINCE " END" CLOSE " AS consent_since,\n" \
	"       CASE WHEN " ACTIVE " THEN NULL ELSE " UNSUB " END AS unsubscribed_at\n" \
	"  FROM leads l JOIN subscriptions s ON s.lead_id = l.id\n" \
	" WHERE (" WHICH ")\n" \
	" GROUP BY l.email"
#define STATE_SQLITE(EC_SINCE) \
	STATE("MIN(unixepoch(", "))", EC_SINCE, "MAX(s.status = 'confirmed') = 1", \
	      "MAX(unixepoch(s.unsubscribed_at))", "$1 IS NULL OR l.email IN (SELECT value FROM json_each($1))")
#define STATE_PG(EC_SINCE) \
	STATE("extract(epoch FROM min(", "))::bigint", EC_SINCE, "bool_or(s.status = 'confirmed')", \
	      "extract(epoch FROM max(s.unsubscribed_at))::bigint", \
	      "$1::jsonb IS NULL OR l.email IN (SELECT jsonb_array_elements_text($1::jsonb))")

static const char state_sqlite_orders[] = STATE_SQLITE("CASE WHEN " SALE_BEFORE " THEN s.signup_at END");
static const char state_sqlite_no_orders[] = STATE_SQLITE("NULL");
static const char state_pg_orders[] = STATE_PG("CASE WHEN " SALE_BEFORE " THEN s.signup_at END");
static const char state_pg_no_orders[] = STATE_PG("NULL");

/* Existing-customer subscriptions have no double opt-in to prove: the
 * generic question, whose WHERE clause is its last, with one more
 * condition (made again only when the engine's question differs). */
static const char *doi_proof(enum ax_leaddb_engine engine)
{
	static const char *made_from;
	static char *sql;
	const char *base = ax_consent_default_query("generic", engine, AX_Q_DOI_PROOF);
	if (base && base != made_from) {
		free(sql);
		sql = ax_asprintf("%s\n   AND " CONSENT_BASED, base);
		made_from = base;
	}
	return base ? sql : NULL;
}

const char *ax_consent_customer_query(unsigned caps, enum ax_leaddb_engine engine, enum ax_consent_question q)
{
	if (!(caps & AX_CUSTOMER_BASIS))
		return NULL;
	switch (q) {
	case AX_Q_DOI_PROOF:
		return doi_proof(engine);
	case AX_Q_SINGLE_OPTIN:
		return single_optin;
	case AX_Q_CONSENT_STATE:
		if (engine == AX_LEADDB_SQLITE)
			return caps & AX_CUSTOMER_ORDERS ? state_sqlite_orders : state_sqlite_no_orders;
		if (engine == AX_LEADDB_POSTGRES)
			return caps & AX_CUSTOMER_ORDERS ? state_pg_orders : state_pg_no_orders;
		return NULL;
	default:
		return NULL;
	}
}

/* --- the four checks --- */

static const char no_sale[] =
	"SELECT l.email AS address,\n"
	"       CASE WHEN s.signup_at IS NULL THEN 'no_collection_time'\n"
	"            WHEN EXISTS (SELECT 1 FROM orders o WHERE o.lead_id = s.lead_id) THEN 'orders_only_after_collection'\n"
	"            ELSE 'no_order' END AS detail\n"
	"  FROM subscriptions s\n"
	"  JOIN leads l ON l.id = s.lead_id\n"
	" WHERE " CUSTOMER_IN_FORCE " AND NOT " SALE_BEFORE;

/* One row per subscription: its list and the first advertised category
 * that no order of the customer matches, directly or through a declared
 * [bought, advertised] pair in $1. A list that declares no category
 * advertises nothing that could be shown similar. Customers without any
 * order are no_sale's. */
#define DISSIMILAR(PAIR_MATCH) \
	"SELECT l.email AS address, li.name || ': ' || COALESCE(MIN(c.product_category), 'no category declared') AS detail\n" \
	"  FROM subscriptions s\n" \
	"  JOIN leads l ON l.id = s.lead_id\n" \
	"  JOIN lists li ON li.id = s.list_id\n" \
	"  LEFT JOIN list_categories c ON c.list_id = s.list_id\n" \
	" WHERE " CUSTOMER_IN_FORCE " AND EXISTS (SELECT 1 FROM orders o WHERE o.lead_id = s.lead_id)\n" \
	"   AND (c.product_category IS NULL\n" \
	"        OR NOT EXISTS (SELECT 1 FROM orders o\n" \
	"                        WHERE o.lead_id = s.lead_id\n" \
	"                          AND (o.product_category = c.product_category OR EXISTS (" PAIR_MATCH "))))\n" \
	" GROUP BY s.lead_id, s.list_id, l.email, li.name"

static const char dissimilar_sqlite[] = DISSIMILAR(
	"SELECT 1 FROM json_each($1) p WHERE json_extract(p.value, '$[0]') = o.product_category\n"
	"                               AND json_extract(p.value, '$[1]') = c.product_category");
static const char dissimilar_pg[] = DISSIMILAR(
	"SELECT 1 FROM jsonb_array_elements($1::jsonb) p WHERE p.value->>0 = o.product_category\n"
	"                                                  AND p.value->>1 = c.product_category");

/* Told "at collection": a notice recorded later than the collection (an
 * order confirmation mail after the checkout) is too late. */
static const char no_notice[] =
	"SELECT l.email AS address,\n"
	"       CASE WHEN s.objection_notice_at IS NULL THEN 'no_notice_recorded' ELSE 'notice_after_collection' END AS detail\n"
	"  FROM subscriptions s\n"
	"  JOIN leads l ON l.id = s.lead_id\n"
	" WHERE " CUSTOMER_IN_FORCE "\n"
	"   AND (s.objection_notice_at IS NULL OR s.objection_notice_at > s.signup_at)";

/* Customers without any order are no_sale's. */
static const char stale_sale[] =
	"SELECT l.email AS address, 'last_order_before_cutoff' AS detail\n"
	"  FROM subscriptions s\n"
	"  JOIN leads l ON l.id = s.lead_id\n"
	" WHERE " CUSTOMER_IN_FORCE "\n"
	"   AND EXISTS (SELECT 1 FROM orders o WHERE o.lead_id = s.lead_id)\n"
	"   AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.lead_id = s.lead_id AND o.ordered_at >= $1)";

enum param { P_NONE, P_PAIRS, P_CUTOFF };

struct customer_check {
	const char *check, *option;
	unsigned needs; /* AX_CUSTOMER_* besides BASIS */
	enum param param;
	const char *sql_sqlite, *sql_pg;
	const char *pass_msg, *fail_fmt;
};

static const struct customer_check checks[] = {
	{"consent.customer.no_sale", "query-customer-no-sale", AX_CUSTOMER_ORDERS, P_NONE, no_sale, no_sale,
	 "every existing-customer subscription follows an order of that customer",
	 "%lld existing-customer subscription(s) without an order at or before the address was collected"},
	{"consent.customer.dissimilar", "query-customer-dissimilar", AX_CUSTOMER_ORDERS | AX_CUSTOMER_CATEGORIES, P_PAIRS,
	 dissimilar_sqlite, dissimilar_pg,
	 "existing customers are only advertised categories they bought or that are declared similar",
	 "%lld existing-customer subscription(s) on lists advertising a category the customer never bought "
	 "(nor one declared similar)"},
	{"consent.customer.no_notice", "query-customer-no-notice", AX_CUSTOMER_NOTICE, P_NONE, no_notice, no_notice,
	 "every existing customer was told at collection that they may object",
	 "%lld existing-customer subscription(s) without an objection notice at collection"},
	{"consent.customer.stale_sale", "query-customer-stale-sale", AX_CUSTOMER_ORDERS, P_CUTOFF, stale_sale, stale_sale,
	 "no existing customer's last order is older than customer-max-age",
	 "%lld existing-customer subscription(s) whose last order is older than customer-max-age"},
};

/* What a missing part means, for the skip message. */
static const char *missing(unsigned needs, unsigned caps)
{
	unsigned absent = needs & ~caps;
	if (absent & AX_CUSTOMER_ORDERS)
		return "has no orders table (lead_id, ordered_at, product_category)";
	if (absent & AX_CUSTOMER_CATEGORIES)
		return "has no list_categories table (list_id, product_category)";
	if (absent & AX_CUSTOMER_NOTICE)
		return "has no subscriptions.objection_notice_at column";
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* `similar-categories = BOUGHT: A, B` values into the query's pairs
 * [["BOUGHT","A"],["BOUGHT","B"]] and the declaration as evidence
 * {"BOUGHT": ["A","B"]}. AX_EINVALID naming the value when one is not of
 * that form. */
static int similar_pairs(struct ax_probe_ctx *ctx, json_t **pairs, json_t **declared)
{
	*pairs = json_array();
	*declared = json_object();
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "similar-categories"); i++) {
		const char *value = ax_probe_opt_at(ctx, "similar-categories", i);
		char *copy = ax_strdup(value), *colon = strchr(copy, ':'), *save = NULL;
		int ok = colon != NULL;
		if (ok) {
			*colon = '\0';
			char *bought = trim(copy);
			ok = *bought != '\0';
			json_t *list = json_object_get(*declared, bought);
			if (ok && !list)
				json_object_set_new(*declared, bought, list = json_array());
			for (char *tok = strtok_r(colon + 1, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
				char *adv = trim(tok);
				ok = *adv != '\0';
				if (ok) {
					json_array_append_new(*pairs, json_pack("[ss]", bought, adv));
					json_array_append_new(list, json_string(adv));
				}
			}
			ok = ok && json_array_size(list) > 0;
		}
		free(copy);
		if (!ok) {
			json_decref(*pairs);
			json_decref(*declared);
			*pairs = *declared = NULL;
			return ax_error_code(AX_EINVALID, "similar-categories '%s': want BOUGHT: CATEGORY[, CATEGORY ...]",
					     value);
		}
	}
	return 0;
}

static void ask_customer(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const struct customer_check *c,
			 const char *schema, unsigned caps, const char *time_problem, struct ax_buf *sql_log)
{
	const char *override = ax_probe_opt(ctx, c->option);
	enum ax_leaddb_engine engine = ax_leaddb_engine(db);
	const char *sql = override;
	const char *params[1] = {NULL};
	char cutoff[32];
	char *pairs_text = NULL;
	struct ax_consent_ask a = {.check = c->check, .option = c->option, .overridden = override != NULL,
				   .schema = schema, .params = params, .first_is_address = 1,
				   .pass_msg = c->pass_msg, .fail_fmt = c->fail_fmt, .time_problem = time_problem};

	if (!sql) {
		const char *why = missing(c->needs, caps);
		if (strcmp(schema, "generic") != 0) {
			ax_probe_result(ctx, c->check, AX_CHECK_SKIP, NULL,
					"not applicable to schema %s: it has no existing-customer legal basis; mark one "
					"and set %s (README, \"Existing customers\")", schema, c->option);
			return;
		}
		if (!(caps & AX_CUSTOMER_BASIS)) {
			ax_probe_result(ctx, c->check, AX_CHECK_SKIP, NULL,
					"the lead database has no subscriptions.legal_basis: every subscription is "
					"consent-based, none claims the existing-customer exemption");
			return;
		}
		if (why) {
			ax_probe_result(ctx, c->check, AX_CHECK_SKIP, NULL,
					"the lead database %s: this condition of the existing-customer exemption "
					"cannot be shown (or set %s)", why, c->option);
			return;
		}
		sql = engine == AX_LEADDB_SQLITE ? c->sql_sqlite : engine == AX_LEADDB_POSTGRES ? c->sql_pg : NULL;
		if (!sql) {
			ax_probe_result(ctx, c->check, AX_CHECK_SKIP, NULL, "no default for this database engine (set %s)",
					c->option);
			return;
		}
	}
	if (c->param == P_PAIRS) {
		json_t *pairs, *declared;
		if (similar_pairs(ctx, &pairs, &declared) < 0) {
			ax_probe_result(ctx, c->check, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
			return;
		}
		pairs_text = json_dumps(pairs, JSON_COMPACT);
		json_decref(pairs);
		params[0] = pairs_text;
		a.nparams = 1;
		/* the company's declaration, the one judgement annexa cannot make */
		a.extra = json_pack("{s:o}", "similar_categories", declared);
	} else if (c->param == P_CUTOFF) {
		ax_consent_sql_time(ax_probe_now(ctx) - ax_probe_opt_int(ctx, "customer-max-age"), cutoff);
		params[0] = cutoff;
		a.nparams = 1;
		a.extra = json_pack("{s:s}", "cutoff", cutoff);
	}
	a.sql = sql;
	ax_consent_ask(ctx, db, &a, sql_log);
	free(pairs_text);
}

int ax_consent_customer_run(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const char *schema, unsigned caps,
			    const char *time_problem, struct ax_buf *sql_log)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		ask_customer(ctx, db, &checks[i], schema, caps, time_problem, sql_log);
	return 0;
}
