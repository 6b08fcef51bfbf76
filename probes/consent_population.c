/* consent_population.c - the `consent` probe's population of
 * confirmations (consent_population.h).
 *
 * The rows stream from the database cursor to the population file: the
 * probe never holds the list (1 M subscribers fit in the memory limit).
 * The item id is the subscriber's keyed pseudonym and the id of the list
 * (generic, listmonk) or of the system's confirmation record (phpList:
 * user_history row, Mautic: audit_log row, Keila: the contact), so the
 * same confirmation keeps its id from run to run and no address leaves.
 * The confirmations are the records consent.doi.proof judges, cited in
 * consent_schemas.c. */
#include "consent_population.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "consent_queries.h"
#include "log.h"
#include "population.h"

/* $1: the window's start, 'YYYY-MM-DD HH:MM:SS' UTC; $2 (listmonk): the
 * key of the confirmation IP in subscriber_lists.meta. Columns: address,
 * list id, list name, signed up, confirmed, confirmation IP recorded. */
static const char generic_sql[] =
	"SELECT l.email, li.id, li.name, s.signup_at, s.confirmed_at,\n"
	"       CASE WHEN COALESCE(s.confirm_ip, '') = '' THEN 'no' ELSE 'yes' END\n"
	"  FROM subscriptions s\n"
	"  JOIN lists li ON li.id = s.list_id\n"
	"  JOIN leads l ON l.id = s.lead_id\n"
	" WHERE li.optin = 'double' AND s.status IN ('confirmed', 'unsubscribed') AND s.confirmed_at >= $1";
static const char listmonk_sql[] =
	"SELECT s.email, l.id, l.name, sl.created_at, sl.updated_at,\n"
	"       CASE WHEN COALESCE(sl.meta->>$2, '') = '' THEN 'no' ELSE 'yes' END\n"
	"  FROM subscriber_lists sl\n"
	"  JOIN lists l ON l.id = sl.list_id\n"
	"  JOIN subscribers s ON s.id = sl.subscriber_id\n"
	" WHERE l.optin = 'double' AND sl.status = 'confirmed' AND sl.updated_at >= $1";
/* phpList confirms a subscriber (not a list): the lists are those it is
 * on now. Times as phpList wrote them (its server's time zone). */
static const char phplist_sql[] =
	"SELECT u.email, h.id,\n"
	"       COALESCE((SELECT GROUP_CONCAT(l.name ORDER BY l.name SEPARATOR '; ')\n"
	"                   FROM phplist_listuser lu JOIN phplist_list l ON l.id = lu.listid WHERE lu.userid = u.id),\n"
	"                '(no list)'),\n"
	"       u.entered, h.date, CASE WHEN COALESCE(h.ip, '') = '' THEN 'no' ELSE 'yes' END\n"
	"  FROM phplist_user_user_history h JOIN phplist_user_user u ON u.id = h.userid\n"
	" WHERE h.summary = 'Confirmation' AND h.date >= $1";
/* The DOI plugin's confirmations (consent_schemas.c); the segments are
 * the contact's published ones now. */
static const char mautic_sql[] =
	"SELECT l.email, a.id,\n"
	"       COALESCE((SELECT GROUP_CONCAT(s.name ORDER BY s.name SEPARATOR '; ')\n"
	"                   FROM lead_lists_leads ll JOIN lead_lists s ON s.id = ll.leadlist_id\n"
	"                  WHERE ll.lead_id = l.id AND ll.manually_removed = 0 AND s.is_published = 1),\n"
	"                '(no segment)'),\n"
	"       l.date_added, a.date_added, CASE WHEN COALESCE(a.ip_address, '') = '' THEN 'no' ELSE 'yes' END\n"
	"  FROM audit_log a JOIN leads l ON l.id = a.object_id\n"
	" WHERE a.bundle = 'lead' AND a.object = 'doi' AND a.action = 'confirm_doi' AND a.date_added >= $1\n"
	"   AND COALESCE(l.email, '') <> ''";
/* Keila keeps neither the sign-up time nor an IP (consent_schemas.c): the
 * list is the contact's project. */
static const char keila_sql[] =
	"SELECT c.email, c.id, COALESCE(p.name, 'project ' || c.project_id), NULL, c.double_opt_in_at, 'no'\n"
	"  FROM contacts c LEFT JOIN projects p ON p.id = c.project_id\n"
	" WHERE c.double_opt_in_at >= $1::timestamp";

static const struct {
	const char *schema, *sql;
	size_t nparams; /* 2: $2 is listmonk-ip-key */
} pop_sql[] = {
	{"generic", generic_sql, 1}, {"listmonk", listmonk_sql, 2}, {"phplist", phplist_sql, 1},
	{"mautic", mautic_sql, 1},   {"keila", keila_sql, 1},
};

struct pop_rows {
	struct ax_probe_ctx *ctx;
	struct ax_population *pop;
	struct ax_buf item;
};

static int row(void *arg, size_t ncols, const char *const *cells)
{
	struct pop_rows *r = arg;
	char pseudo[20];
	if (ncols < 6)
		return 0;
	ax_probe_pseudonym(r->ctx, cells[0], pseudo);
	ax_buf_clear(&r->item);
	ax_buf_printf(&r->item, "%.18s/%s", pseudo, cells[1] ? cells[1] : "");
	const char *vals[] = {cells[2], cells[3], cells[4], cells[5]};
	ax_population_row(r->pop, ax_buf_cstr(&r->item), vals);
	return ax_probe_ctx_error(r->ctx) < 0; /* a failed write ends the walk */
}

void ax_consent_db_source(const char *uri, struct ax_buf *out)
{
	const char *p = strstr(uri, "://");
	if (strncmp(uri, "sqlite:", 7) == 0) {
		ax_buf_puts(out, uri);
		return;
	}
	if (!p) {
		ax_buf_puts(out, "database (a key=value connection string, not recorded: it may hold credentials)");
		return;
	}
	p += 3;
	size_t host_end = strcspn(p, "/?");
	const char *at = memchr(p, '@', host_end);
	const char *host = at ? at + 1 : p;
	ax_buf_put(out, uri, (size_t)(p - uri));
	ax_buf_put(out, host, strcspn(host, "?"));
}

void ax_consent_population(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const char *schema)
{
	static const char *const cols[] = {"list", "signed_up_at", "confirmed_at", "confirm_ip_recorded", NULL};
	const char *sql = NULL;
	size_t nparams = 0;
	struct pop_rows r = {ctx, NULL, AX_BUF_INIT};
	struct ax_buf source = AX_BUF_INIT;
	char since[32];
	for (size_t i = 0; i < sizeof(pop_sql) / sizeof(pop_sql[0]); i++)
		if (strcmp(pop_sql[i].schema, schema) == 0) {
			sql = pop_sql[i].sql;
			nparams = pop_sql[i].nparams;
		}
	/* Mautic without the DOI plugin keeps no confirmation at all */
	if (!sql || !ax_consent_needs_met(db, schema, AX_Q_DOI_PROOF))
		return;
	time_t t = (time_t)(ax_probe_now(ctx) - ax_probe_opt_int(ctx, "population-window"));
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
	const char *params[] = {since, ax_probe_opt(ctx, "listmonk-ip-key")};
	r.pop = ax_population_open(ctx, "confirmations", cols);
	if (ax_leaddb_each(db, sql, params, nparams, row, &r) < 0 || ax_probe_ctx_error(ctx) < 0) {
		ax_warn("population confirmations not emitted: %s", ax_error_last());
		ax_population_abandon(r.pop);
	} else {
		ax_consent_db_source(ax_probe_opt(ctx, "database"), &source);
		json_t *p = json_pack("{s:s}", "$1", since);
		if (nparams > 1)
			json_object_set_new(p, "$2", json_string(params[1]));
		ax_population_close(r.pop, ax_buf_cstr(&source), sql, p, AX_FREQ_MANY_DAILY);
	}
	ax_buf_free(&r.item);
	ax_buf_free(&source);
}
