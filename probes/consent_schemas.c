/* consent_schemas.c - the default SQL of the `consent` probe for lead
 * systems that keep their own tables: phpList 3 and Mautic (MariaDB/MySQL)
 * and Keila (PostgreSQL).
 *
 * Each query was written from the system's published table definitions
 * and from the code path that records a confirmation or an unsubscribe
 * (cited beside each schema); where a system keeps no data for a
 * question, the skip text says so instead of a query. Times go in as
 * parameters ('YYYY-MM-DD HH:MM:SS' UTC; the MariaDB session runs in
 * UTC, and these systems write UTC when their server does). */
#include "consent_queries.h"

/* --- phpList 3 (MariaDB/MySQL), default table prefixes phplist_ and
 * phplist_user_ ---
 * Layout: public_html/lists/admin/structure.php (user, user_history,
 * list, listuser, user_blacklist). Confirmation: public_html/lists/
 * index.php confirmPage() sets user.confirmed = 1 and, the first time,
 * calls addUserHistory(email, 'Confirmation', "Lists: ...")
 * (admin/inc/userlib.php), which inserts a user_history row with
 * ip = getClientIP(), date = now() and systeminfo holding the user agent.
 * user.entered is the sign-up. Unsubscribing (unsubscribePage) keeps the
 * list memberships on purpose (phpList bug 17753) and blacklists instead:
 * user.blacklisted = 1 plus a user_blacklist row (addUserToBlackList);
 * the sender skips blacklisted users. So membership is no violation, but
 * a user_blacklist row beside blacklisted = 0 is an unsubscribe one of
 * the two records has lost. Subscribers an admin adds or imports are
 * confirmed without a history row: no proof.
 * Time zone: phpList writes user_history.date and user_blacklist.added
 * with the SQL now() of its session, which runs in the server's
 * time_zone unless config.php defines SYSTEM_TIMEZONE (admin/connect.php
 * then sets that); they are DATETIMEs, so the consent state converts them
 * from @@global.time_zone to UTC (kept as they are where the server has no
 * time zone tables for a named zone). user.modified is a TIMESTAMP and
 * needs no conversion. */
#define PHPLIST_UTC(col) "unix_timestamp(COALESCE(CONVERT_TZ(" col ", @@global.time_zone, '+00:00'), " col "))"
/* The MariaDB/MySQL form of "$1 is NULL or a JSON array holding col":
 * the array's (lowercase) addresses compared byte for byte, in an explicit
 * collation, as the tables' collations (Mautic: utf8mb4_unicode_ci) and
 * JSON_TABLE's differ. */
#define MY_ADDRESS_IN(col)                                                              \
	"($1 IS NULL OR CONVERT(" col " USING utf8mb4) COLLATE utf8mb4_bin IN\n"          \
	"       (SELECT j.a FROM JSON_TABLE($1, '$[*]' COLUMNS (a varchar(320) PATH '$')) j))"

static const char *const phplist_q[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] =
		"SELECT u.email AS address,\n"
		"       CASE WHEN u.entered IS NULL THEN 'no_signup_time'\n"
		"            WHEN c.n IS NULL THEN 'no_confirmation_record'\n"
		"            WHEN c.last_at IS NULL OR c.last_at < u.entered THEN 'confirmation_not_after_signup'\n"
		"            ELSE 'no_confirmation_ip' END AS problem\n"
		"  FROM phplist_user_user u\n"
		"  LEFT JOIN (SELECT h.userid, count(*) AS n, max(h.date) AS last_at,\n"
		"                    max(CASE WHEN COALESCE(h.ip, '') <> '' THEN 1 ELSE 0 END) AS has_ip\n"
		"               FROM phplist_user_user_history h WHERE h.summary = 'Confirmation'\n"
		"              GROUP BY h.userid) c ON c.userid = u.id\n"
		" WHERE u.confirmed = 1 AND u.blacklisted = 0\n"
		"   AND (u.entered IS NULL OR c.n IS NULL OR c.last_at IS NULL OR c.last_at < u.entered\n"
		"        OR ($1 = '1' AND c.has_ip = 0))",
	[AX_Q_UNCONFIRMED_EXPIRED] =
		"SELECT u.email AS address,\n"
		"       COALESCE((SELECT min(l.name) FROM phplist_listuser lu JOIN phplist_list l ON l.id = lu.listid\n"
		"                  WHERE lu.userid = u.id), '(no list)') AS list\n"
		"  FROM phplist_user_user u\n"
		" WHERE u.confirmed = 0 AND u.blacklisted = 0 AND u.entered < $1",
	[AX_Q_INACTIVE] =
		"SELECT u.email AS address, 'no_consent_activity' AS detail\n"
		"  FROM phplist_user_user u\n"
		" WHERE COALESCE(u.modified, u.entered) < $1\n"
		"   AND NOT EXISTS (SELECT 1 FROM phplist_user_user_history h WHERE h.userid = u.id AND h.date >= $1)",
	[AX_Q_UNSUB_MAILABLE] =
		"SELECT u.email AS address, 'blacklisted_but_mailable' AS detail\n"
		"  FROM phplist_user_user u\n"
		"  JOIN phplist_user_blacklist b ON b.email = u.email\n"
		" WHERE u.blacklisted = 0 AND u.confirmed = 1\n"
		"   AND EXISTS (SELECT 1 FROM phplist_listuser lu JOIN phplist_list l ON l.id = lu.listid\n"
		"                WHERE lu.userid = u.id AND l.active = 1)",
	/* Consent from the first Confirmation row while user.confirmed = 1
	 * (an imported or admin-confirmed user has none); unsubscribed at
	 * the user_blacklist row's time, or, blacklisted without a row (a
	 * bounce rule that marks the user only), its last modification. The
	 * email column is unique under a case-insensitive collation: one row
	 * per address. */
	[AX_Q_CONSENT_STATE] =
		"SELECT lower(u.email) AS address,\n"
		"       CASE WHEN u.confirmed = 1 THEN\n"
		"            (SELECT " PHPLIST_UTC("min(h.date)") " FROM phplist_user_user_history h\n"
		"              WHERE h.userid = u.id AND h.summary = 'Confirmation') END AS consent_since,\n"
		"       CASE WHEN b.email IS NOT NULL THEN " PHPLIST_UTC("b.added") "\n"
		"            WHEN u.blacklisted = 1 THEN unix_timestamp(u.modified) END AS unsubscribed_at\n"
		"  FROM phplist_user_user u\n"
		"  LEFT JOIN phplist_user_blacklist b ON b.email = u.email\n"
		" WHERE " MY_ADDRESS_IN("lower(u.email)"),
};

static const char *const phplist_skip[AX_Q_COUNT] = {
	[AX_Q_IP_RECORDING] = "phpList has no such setting: it always stores the client IP of a confirmation in "
			      "user_history.ip (consent.doi.proof checks the IPs themselves)",
	[AX_Q_SINGLE_OPTIN] = "phpList 3 lists have no opt-in mode: its subscribe pages always ask for "
			      "confirmation; subscribers added by an admin or an import have no confirmation "
			      "record and count in consent.doi.proof",
	[AX_Q_ERASURE_OVERDUE] = "phpList keeps no erasure or objection requests (deleting a subscriber removes "
				 "its rows at once; an unsubscribe is a blacklist entry)",
};

const struct ax_consent_schema ax_consent_phplist = {
	.name = "phplist",
	.engine = AX_LEADDB_MYSQL,
	.source = "phpList 3: admin/structure.php, lists/index.php confirmPage, admin/inc/userlib.php, "
		  "admin/connect.php",
	.queries = phplist_q,
	.skip = phplist_skip,
	.count = "SELECT count(*) FROM phplist_user_user",
};

/* --- Mautic (MariaDB/MySQL, no table prefix) ---
 * Layout: leads, lead_lists (segments, is_published), lead_lists_leads
 * (manually_removed), lead_donotcontact (reason 1 unsubscribed, 2
 * bounced, 3 manual; channel 'email'), audit_log, as Mautic's own
 * tests/_data/dump.sql creates them. Mautic core has no double opt-in and
 * records no confirmation. The DOI plugin (content-optimizer-gmbh/
 * mautic-doi-plugin, JotaworksDoiBundle Controller/DoiController.php)
 * writes, when a contact clicks the confirmation link, an audit_log row
 * bundle 'lead', object 'doi', action 'confirm_doi', object_id = the
 * contact, ip_address = the request's IP, then adds the contact to the
 * form's segments and removes its email do-not-contact. Without such rows
 * the DOI questions are skipped: there is nothing to check. Mautic never
 * mails a contact with an email do-not-contact row whatever its segments,
 * so an unsubscribe cannot stay unhonoured in its data. An unsubscribe is
 * such a row with reason 1 (the contact unsubscribed) or 3 (a user
 * unsubscribed it by hand; 2 is a bounce): LeadBundle/Entity/
 * DoNotContact.php; its date_added is when. Mautic stores every DATETIME
 * in UTC (CoreBundle/Doctrine/Type/UTCDateTimeType.php), as the session
 * reads them. */
#define MAUTIC_DOI "bundle = 'lead' AND object = 'doi' AND action = 'confirm_doi'"
#define MAUTIC_UNSUB_AT                                                                \
	"(SELECT max(d.date_added) FROM lead_donotcontact d\n"                       \
	"                  WHERE d.lead_id = l.id AND d.channel = 'email' AND d.reason IN (1, 3))"
#define MAUTIC_IN_SEGMENT                                                                          \
	"EXISTS (SELECT 1 FROM lead_lists_leads ll JOIN lead_lists s ON s.id = ll.leadlist_id\n" \
	"                 WHERE ll.lead_id = l.id AND ll.manually_removed = 0 AND s.is_published = 1)"

static const char *const mautic_q[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] =
		"SELECT l.email AS address,\n"
		"       CASE WHEN a.n IS NULL THEN 'no_confirmation_record'\n"
		"            WHEN a.last_at < l.date_added THEN 'confirmation_not_after_signup'\n"
		"            ELSE 'no_confirmation_ip' END AS problem\n"
		"  FROM leads l\n"
		"  LEFT JOIN (SELECT object_id, count(*) AS n, max(date_added) AS last_at,\n"
		"                    max(CASE WHEN COALESCE(ip_address, '') <> '' THEN 1 ELSE 0 END) AS has_ip\n"
		"               FROM audit_log WHERE " MAUTIC_DOI " GROUP BY object_id) a ON a.object_id = l.id\n"
		" WHERE COALESCE(l.email, '') <> ''\n"
		"   AND " MAUTIC_IN_SEGMENT "\n"
		"   AND NOT EXISTS (SELECT 1 FROM lead_donotcontact d WHERE d.lead_id = l.id AND d.channel = 'email')\n"
		"   AND (a.n IS NULL OR a.last_at < l.date_added OR ($1 = '1' AND a.has_ip = 0))",
	[AX_Q_UNCONFIRMED_EXPIRED] =
		"SELECT l.email AS address, 'no_doi_confirmation' AS list\n"
		"  FROM leads l\n"
		" WHERE COALESCE(l.email, '') <> '' AND l.date_added < $1\n"
		"   AND NOT " MAUTIC_IN_SEGMENT "\n"
		"   AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE " MAUTIC_DOI " AND a.object_id = l.id)",
	[AX_Q_INACTIVE] =
		"SELECT l.email AS address, 'no_activity' AS detail\n"
		"  FROM leads l\n"
		" WHERE COALESCE(l.email, '') <> ''\n"
		"   AND COALESCE(l.last_active, l.date_added) < $1\n"
		"   AND COALESCE(l.date_modified, l.date_added) < $1",
	/* Consent from the contact's first DOI confirmation (NULL without
	 * the plugin: mailed_without_consent is skipped then, see needs);
	 * unsubscribed while every contact of the address has an email
	 * do-not-contact row of reason 1 or 3 (the plugin deletes it on a
	 * new confirmation). Addresses are not unique in leads: grouped in
	 * the column's own case-insensitive collation, as Mautic matches
	 * them, which walks the email index instead of sorting (1 M contacts:
	 * 4.6 s against 25 s for joins of grouped audit and do-not-contact
	 * rows, grouped by lower(email)). */
	[AX_Q_CONSENT_STATE] =
		"SELECT lower(l.email) AS address,\n"
		"       unix_timestamp(min((SELECT min(a.date_added) FROM audit_log a\n"
		"                            WHERE " MAUTIC_DOI " AND a.object_id = l.id))) AS consent_since,\n"
		"       CASE WHEN count(" MAUTIC_UNSUB_AT ") < count(*) THEN NULL\n"
		"            ELSE unix_timestamp(max(" MAUTIC_UNSUB_AT ")) END AS unsubscribed_at\n"
		"  FROM leads l\n"
		" WHERE COALESCE(l.email, '') <> '' AND " MY_ADDRESS_IN("lower(l.email)") "\n"
		" GROUP BY l.email",
};

static const char mautic_no_doi[] =
	"Mautic core has no double opt-in and records no confirmation: no DOI plugin confirmation "
	"(audit_log bundle 'lead', object 'doi', action 'confirm_doi') exists in this database";

static const char *const mautic_skip[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] = mautic_no_doi,
	[AX_Q_UNCONFIRMED_EXPIRED] = mautic_no_doi,
	[AX_Q_IP_RECORDING] = "Mautic has no such setting: the DOI plugin stores the request IP in "
			      "audit_log.ip_address on every confirmation (consent.doi.proof checks them)",
	[AX_Q_SINGLE_OPTIN] = "Mautic segments have no opt-in mode: with the DOI plugin every segment member "
			      "needs its confirmation, which consent.doi.proof checks",
	[AX_Q_ERASURE_OVERDUE] = "Mautic keeps no erasure or objection requests (deleting a contact removes it at once)",
	[AX_Q_UNSUB_MAILABLE] = "Mautic sends no email to a contact with an email do-not-contact row, whatever "
				"its segments: an unsubscribe cannot stay unhonoured in its data",
	[AX_Q_CONSENT_STATE] = mautic_no_doi,
};

static const char mautic_has_doi[] = "SELECT 1 AS doi FROM audit_log WHERE " MAUTIC_DOI " LIMIT 1";

static const char *const mautic_needs[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] = mautic_has_doi,
	[AX_Q_UNCONFIRMED_EXPIRED] = mautic_has_doi,
	[AX_Q_CONSENT_STATE] = mautic_has_doi, /* the consent half only: unsubscribes are core data */
};

const struct ax_consent_schema ax_consent_mautic = {
	.name = "mautic",
	.engine = AX_LEADDB_MYSQL,
	.source = "Mautic tests/_data/dump.sql, LeadBundle/Entity/DoNotContact.php; mautic-doi-plugin "
		  "Controller/DoiController.php",
	.queries = mautic_q,
	.skip = mautic_skip,
	.needs = mautic_needs,
	.count = "SELECT count(*) FROM leads",
};

/* --- Keila (PostgreSQL) ---
 * Layout: priv/repo/migrations (contacts, contacts_forms,
 * contacts_form_params, contacts_events). contacts.status is a smallint
 * (lib/keila/contacts/schemas/contact.ex: 0 active, 1 unsubscribed,
 * 2 unreachable). A form with settings.double_opt_in_required (false by
 * default, form_settings.ex) keeps the submission in contacts_form_params
 * until the link is clicked, then creates the contact with
 * double_opt_in_at = now and deletes the params row: the sign-up time
 * does not survive, and no IP is kept anywhere, so with require-ip every
 * confirmation lacks it. Changing a contact's e-mail clears
 * double_opt_in_at (maybe_remove_double_opt_in_at). Keila has no lists:
 * the status alone excludes a contact from every campaign. An unsubscribe
 * (lib/keila/mailings/message_actions/unsubscription.ex, complaint.ex)
 * sets status 1 and logs a contacts_events row (lib/keila/tracking/
 * schemas/event.ex: type 3 unsubscribe, 9 complaint); an edit of the
 * status logs type 10 status_change with data.status (contacts.ex). The
 * consent state takes the newest such event, else the contact's
 * updated_at (the status update's own time unless edited since). A
 * contact without double_opt_in_at (imported, added by hand, or from a
 * form without double opt-in: Keila keeps no record of which) has no
 * proof of consent. Times are :utc_datetime, timestamp(0) in UTC. */
static const char *const keila_q[AX_Q_COUNT] = {
	[AX_Q_DOI_PROOF] =
		"SELECT c.email AS address,\n"
		"       CASE WHEN c.double_opt_in_at IS NULL THEN 'no_confirmation_time'\n"
		"            ELSE 'no_confirmation_ip_kept_by_keila' END AS problem\n"
		"  FROM contacts c\n"
		" WHERE c.status = 0 AND (c.double_opt_in_at IS NULL OR $1 = '1')",
	[AX_Q_SINGLE_OPTIN] =
		"SELECT f.name AS list, 'double_opt_in_required is off' AS detail\n"
		"  FROM contacts_forms f\n"
		" WHERE COALESCE((f.settings->>'double_opt_in_required')::boolean, false) = false ORDER BY f.id",
	[AX_Q_UNCONFIRMED_EXPIRED] =
		"SELECT p.params->>'email' AS address, COALESCE(f.name, '(deleted form)') AS list\n"
		"  FROM contacts_form_params p LEFT JOIN contacts_forms f ON f.id = p.form_id\n"
		" WHERE p.inserted_at < $1",
	[AX_Q_INACTIVE] =
		"SELECT c.email AS address, 'no_consent_activity' AS detail\n"
		"  FROM contacts c\n"
		" WHERE c.updated_at < $1\n"
		"   AND NOT EXISTS (SELECT 1 FROM contacts_events e WHERE e.contact_id = c.id AND e.inserted_at >= $1)",
	/* One address may be a contact in several projects: consenting when
	 * any is, unsubscribed only when every one is (as for listmonk's
	 * lists). Status 2 (unreachable: bounces) is no unsubscribe. */
	[AX_Q_CONSENT_STATE] =
		"SELECT lower(c.email) AS address,\n"
		"       extract(epoch FROM min(c.double_opt_in_at))::bigint AS consent_since,\n"
		"       CASE WHEN bool_or(c.status <> 1) THEN NULL\n"
		"            ELSE extract(epoch FROM max(c.unsub_at))::bigint END AS unsubscribed_at\n"
		"  FROM (SELECT c.email, c.status, c.double_opt_in_at,\n"
		"               CASE WHEN c.status = 1 THEN\n"
		"                    COALESCE((SELECT max(e.inserted_at) FROM contacts_events e\n"
		"                               WHERE e.contact_id = c.id AND (e.type IN (3, 9)\n"
		"                                     OR (e.type = 10 AND e.data->>'status' = 'unsubscribed'))),\n"
		"                             c.updated_at) END AS unsub_at\n"
		"          FROM contacts c) c\n"
		" WHERE $1::jsonb IS NULL OR lower(c.email) IN (SELECT jsonb_array_elements_text($1::jsonb))\n"
		" GROUP BY lower(c.email)",
};

static const char *const keila_skip[AX_Q_COUNT] = {
	[AX_Q_IP_RECORDING] = "Keila keeps no confirmation IP at all (contacts has only double_opt_in_at), so no "
			      "setting can turn it on; with require-ip every confirmed contact fails "
			      "consent.doi.proof (no_confirmation_ip_kept_by_keila)",
	[AX_Q_ERASURE_OVERDUE] = "Keila keeps no erasure or objection requests (deleting a contact removes it at once)",
	[AX_Q_UNSUB_MAILABLE] = "Keila has no lists: an unsubscribed or unreachable contact's status excludes it "
				"from every campaign",
};

const struct ax_consent_schema ax_consent_keila = {
	.name = "keila",
	.engine = AX_LEADDB_POSTGRES,
	.source = "Keila: priv/repo/migrations, lib/keila/contacts/schemas/contact.ex, form_settings.ex, "
		  "lib/keila/tracking/schemas/event.ex",
	.queries = keila_q,
	.skip = keila_skip,
	.count = "SELECT count(*) FROM contacts",
};
