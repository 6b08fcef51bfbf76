/* consent_queries.c - default SQL of the lead probes.
 *
 * Times go in as parameters computed by the probe ('YYYY-MM-DD HH:MM:SS',
 * UTC; sessions run with TimeZone UTC), never as now() in SQL, so a run is
 * reproducible with ANNEXA_NOW. The generic schema's queries are written
 * in the SQL both SQLite and PostgreSQL accept, except the consent-state
 * lookup, whose address list needs each engine's JSON function. */
#include "consent_queries.h"

#include <string.h>

#include "error.h"

/* --- listmonk (PostgreSQL) ---
 * Double opt-in: lists.optin = 'double', subscriber_lists.status moves
 * unconfirmed -> confirmed. listmonk keeps no confirmation time: the
 * subscription's updated_at (set when the status changed) stands for it,
 * and created_at for the sign-up. The confirmation IP: listmonk (v2.5+)
 * merges {"optin_ip": ...} into subscriber_lists.meta when it confirms,
 * only while the JSONB setting privacy.record_optin_ip is true (false by
 * default), and stores X-Forwarded-For verbatim, so the value may be a hop
 * list "client, proxy, ..."; without that header it keeps the text before
 * the first ':' of the peer address, which for an IPv6 peer is "[". Proof
 * is a first hop that is an IPv4 or IPv6 address (a port allowed). Single
 * opt-in lists keep their subscriptions 'unconfirmed' and mail them: for
 * those, sign-up is consent. */
#define LISTMONK_IP "btrim(split_part(sl.meta->>$2, ',', 1))"
#define IP_SHAPE "'^(\\[?[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\\]?|[0-9]{1,3}(\\.[0-9]{1,3}){3})(:[0-9]+)?$'"

static const char *const listmonk[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] =
		"SELECT s.email AS address,\n"
		"       CASE WHEN sl.created_at IS NULL THEN 'no_signup_time'\n"
		"            WHEN sl.updated_at IS NULL OR sl.updated_at <= sl.created_at THEN 'no_confirmation_after_signup'\n"
		"            WHEN COALESCE(sl.meta->>$2, '') = '' THEN 'no_confirmation_ip'\n"
		"            ELSE 'confirmation_ip_not_an_address' END AS problem\n"
		"  FROM subscriber_lists sl\n"
		"  JOIN lists l ON l.id = sl.list_id\n"
		"  JOIN subscribers s ON s.id = sl.subscriber_id\n"
		" WHERE l.optin = 'double' AND sl.status = 'confirmed'\n"
		"   AND (sl.created_at IS NULL OR sl.updated_at IS NULL OR sl.updated_at <= sl.created_at\n"
		"        OR ($1 = '1' AND COALESCE(" LISTMONK_IP ", '') !~ " IP_SHAPE "))",
	[AX_Q_IP_RECORDING] =
		"SELECT 'privacy.record_optin_ip' AS setting,\n"
		"       COALESCE((SELECT value::text FROM settings WHERE key = 'privacy.record_optin_ip'),\n"
		"                'absent (listmonk before v2.5)') AS detail\n"
		" WHERE NOT EXISTS (SELECT 1 FROM settings\n"
		"                    WHERE key = 'privacy.record_optin_ip' AND value #>> '{}' = 'true')",
	[AX_Q_SINGLE_OPTIN] =
		"SELECT l.name AS list, l.type::text AS detail FROM lists l WHERE l.optin = 'single' ORDER BY l.id",
	[AX_Q_UNCONFIRMED_EXPIRED] =
		"SELECT s.email AS address, l.name AS list\n"
		"  FROM subscriber_lists sl\n"
		"  JOIN lists l ON l.id = sl.list_id\n"
		"  JOIN subscribers s ON s.id = sl.subscriber_id\n"
		" WHERE l.optin = 'double' AND sl.status = 'unconfirmed' AND sl.created_at < $1",
	[AX_Q_ERASURE_OVERDUE] = NULL,
	[AX_Q_INACTIVE] =
		"SELECT s.email AS address, 'no_consent_activity' AS detail\n"
		"  FROM subscribers s\n"
		" WHERE s.updated_at < $1\n"
		"   AND NOT EXISTS (SELECT 1 FROM subscriber_lists sl\n"
		"                    WHERE sl.subscriber_id = s.id AND (sl.updated_at >= $1 OR sl.created_at >= $1))",
	/* Blocklisting sets every subscription to 'unsubscribed'
	 * (queries.sql blocklist-subscribers); one left active disagrees. */
	[AX_Q_UNSUB_MAILABLE] =
		"SELECT s.email AS address, 'blocklisted_but_subscribed' AS detail\n"
		"  FROM subscribers s\n"
		" WHERE s.status = 'blocklisted'\n"
		"   AND EXISTS (SELECT 1 FROM subscriber_lists sl WHERE sl.subscriber_id = s.id AND sl.status <> 'unsubscribed')",
	[AX_Q_CONSENT_STATE] =
		"SELECT lower(s.email) AS address,\n"
		"       extract(epoch FROM min(CASE WHEN l.optin = 'double' AND sl.status = 'confirmed' THEN sl.updated_at\n"
		"                                   WHEN l.optin = 'double' AND sl.status = 'unconfirmed' THEN NULL\n"
		"                                   ELSE sl.created_at END))::bigint AS consent_since,\n"
		"       CASE WHEN bool_or(sl.status = 'confirmed' OR (l.optin = 'single' AND sl.status = 'unconfirmed'))\n"
		"            THEN NULL\n"
		"            ELSE extract(epoch FROM max(CASE WHEN sl.status = 'unsubscribed' THEN sl.updated_at END))::bigint\n"
		"       END AS unsubscribed_at\n"
		"  FROM subscribers s\n"
		"  JOIN subscriber_lists sl ON sl.subscriber_id = s.id\n"
		"  JOIN lists l ON l.id = sl.list_id\n"
		" WHERE ($1::jsonb IS NULL OR lower(s.email) IN (SELECT jsonb_array_elements_text($1::jsonb)))\n"
		" GROUP BY lower(s.email)",
};

/* --- generic (SQLite or PostgreSQL): see README "The generic lead schema" */
static const char *const generic[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] =
		"SELECT l.email AS address,\n"
		"       CASE WHEN s.signup_at IS NULL THEN 'no_signup_time'\n"
		"            WHEN s.confirmed_at IS NULL THEN 'no_confirmation_time'\n"
		"            WHEN s.confirmed_at <= s.signup_at THEN 'confirmation_not_after_signup'\n"
		"            ELSE 'no_confirmation_ip' END AS problem\n"
		"  FROM subscriptions s\n"
		"  JOIN lists li ON li.id = s.list_id\n"
		"  JOIN leads l ON l.id = s.lead_id\n"
		" WHERE li.optin = 'double' AND s.status = 'confirmed'\n"
		"   AND (s.signup_at IS NULL OR s.confirmed_at IS NULL OR s.confirmed_at <= s.signup_at\n"
		"        OR ($1 = '1' AND COALESCE(s.confirm_ip, '') = ''))",
	[AX_Q_SINGLE_OPTIN] =
		"SELECT li.name AS list, 'single_opt_in' AS detail FROM lists li\n"
		" WHERE li.optin = 'single' AND li.marketing <> 0 ORDER BY li.id",
	[AX_Q_UNCONFIRMED_EXPIRED] =
		"SELECT l.email AS address, li.name AS list\n"
		"  FROM subscriptions s\n"
		"  JOIN lists li ON li.id = s.list_id\n"
		"  JOIN leads l ON l.id = s.lead_id\n"
		" WHERE s.status = 'unconfirmed' AND COALESCE(s.signup_at, l.created_at) < $1",
	[AX_Q_ERASURE_OVERDUE] =
		"SELECT r.email AS address, r.kind AS kind FROM erasure_requests r\n"
		" WHERE r.completed_at IS NULL AND r.received_at < $1",
	[AX_Q_INACTIVE] =
		"SELECT l.email AS address, 'no_consent_activity' AS detail\n"
		"  FROM leads l\n"
		" WHERE l.created_at < $1\n"
		"   AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.lead_id = l.id\n"
		"                      AND (s.signup_at >= $1 OR s.confirmed_at >= $1 OR s.unsubscribed_at >= $1))\n"
		"   AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.lead_id = l.id AND e.occurred_at >= $1)",
	/* confirmed_at is kept after unsubscribing: a later unsubscribe on a
	 * subscription still 'confirmed' was never applied. */
	[AX_Q_UNSUB_MAILABLE] =
		"SELECT l.email AS address, 'unsubscribed_but_confirmed' AS detail\n"
		"  FROM subscriptions s\n"
		"  JOIN leads l ON l.id = s.lead_id\n"
		" WHERE s.status = 'confirmed' AND s.unsubscribed_at IS NOT NULL\n"
		"   AND (s.confirmed_at IS NULL OR s.unsubscribed_at > s.confirmed_at)",
	[AX_Q_CONSENT_STATE] = NULL, /* per engine, below */
};

static const char generic_state_sqlite[] =
	"SELECT l.email AS address,\n"
	"       MIN(unixepoch(s.confirmed_at)) AS consent_since,\n"
	"       CASE WHEN MAX(s.status = 'confirmed') = 1 THEN NULL\n"
	"            ELSE MAX(unixepoch(s.unsubscribed_at)) END AS unsubscribed_at\n"
	"  FROM leads l JOIN subscriptions s ON s.lead_id = l.id\n"
	" WHERE ($1 IS NULL OR l.email IN (SELECT value FROM json_each($1)))\n"
	" GROUP BY l.email";

static const char generic_state_pg[] =
	"SELECT l.email AS address,\n"
	"       extract(epoch FROM min(s.confirmed_at))::bigint AS consent_since,\n"
	"       CASE WHEN bool_or(s.status = 'confirmed') THEN NULL\n"
	"            ELSE extract(epoch FROM max(s.unsubscribed_at))::bigint END AS unsubscribed_at\n"
	"  FROM leads l JOIN subscriptions s ON s.lead_id = l.id\n"
	" WHERE ($1::jsonb IS NULL OR l.email IN (SELECT jsonb_array_elements_text($1::jsonb)))\n"
	" GROUP BY l.email";

const char *ax_consent_default_query(const char *schema, enum ax_leaddb_engine engine, enum ax_consent_question q)
{
	if ((unsigned)q >= AX_Q_COUNT || !schema)
		return NULL;
	const struct ax_consent_schema *sys = ax_consent_schema_find(schema);
	if (sys)
		return sys->queries[q];
	if (strcmp(schema, "listmonk") == 0)
		return listmonk[q];
	if (q == AX_Q_CONSENT_STATE)
		return engine == AX_LEADDB_SQLITE ? generic_state_sqlite : generic_state_pg;
	return generic[q];
}

const struct ax_consent_schema *ax_consent_schema_find(const char *schema)
{
	static const struct ax_consent_schema *const all[] = {&ax_consent_phplist, &ax_consent_mautic, &ax_consent_keila};
	for (size_t i = 0; schema && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, schema) == 0)
			return all[i];
	return NULL;
}

const char *ax_consent_count_query(const char *schema)
{
	static const struct {
		const char *schema, *sql;
	} own[] = {{"generic", "SELECT count(*) FROM leads"}, {"listmonk", "SELECT count(*) FROM subscribers"}};
	const struct ax_consent_schema *sys = ax_consent_schema_find(schema);
	if (sys)
		return sys->count;
	for (size_t i = 0; schema && i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(own[i].schema, schema) == 0)
			return own[i].sql;
	return NULL;
}

int ax_consent_needs_met(struct ax_leaddb *db, const char *schema, enum ax_consent_question q)
{
	const struct ax_consent_schema *sys = ax_consent_schema_find(schema);
	struct ax_leaddb_sample s;
	if ((unsigned)q >= AX_Q_COUNT || !sys || !sys->needs || !sys->needs[q])
		return 1;
	if (ax_leaddb_count_sample(db, sys->needs[q], NULL, 0, 1, &s) < 0)
		return 1;
	int met = s.total > 0;
	ax_leaddb_sample_free(&s);
	return met;
}

int ax_consent_schema_engine_check(const char *schema, enum ax_leaddb_engine engine)
{
	static const char *const names[] = {"SQLite", "PostgreSQL", "MariaDB/MySQL"};
	const struct ax_consent_schema *sys = ax_consent_schema_find(schema);
	if (sys && engine != sys->engine)
		return ax_error_code(AX_EINVALID, "schema %s lives in %s, but database names %s", schema,
				     names[sys->engine], names[engine]);
	if (!sys && engine == AX_LEADDB_MYSQL)
		return ax_error_code(AX_EINVALID, "schema %s has no MariaDB/MySQL queries (phplist and mautic do)",
				     schema ? schema : "(none)");
	return 0;
}
