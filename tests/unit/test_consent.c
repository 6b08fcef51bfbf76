/* test_consent.c - the `consent` probe against a real SQLite file in the
 * generic schema with planted violations: exact counts per check, the
 * require-ip switch, query overrides (and a broken one giving `error`),
 * listmonk's erasure skip, and that no planted address leaves the probe. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "consent_queries.h"
#include "evidence.h"
#include "leaddb.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_consent;

static long long count_of(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_need_result(ev, check);
	if (!r)
		return -1;
	json_t *o = json_loads(r->observed, 0, NULL);
	long long n = o ? (long long)json_integer_value(json_object_get(o, "count")) : -1;
	json_decref(o);
	return n;
}

static int status_of(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_need_result(ev, check);
	return r ? (int)r->status : -1;
}

static char *make_db(void)
{
	char *path = ax_asprintf("%s/leads.db", t_tmpdir());
	char *cmd = ax_asprintf("rm -f '%s' && sqlite3 '%s' < '%s/tests/fixtures/leads/generic-schema.sql' && "
				"sqlite3 '%s' < '%s/tests/fixtures/leads/generic-planted.sql'",
				path, path, getenv("ANNEXA_SRC"), path, getenv("ANNEXA_SRC"));
	T_OK(system(cmd) == 0);
	free(cmd);
	return path;
}

static int run(struct ax_kv *opts, size_t nopts, struct ax_evidence *ev)
{
	int64_t now;
	ax_time_parse("2026-11-29T00:00:00Z", &now);
	struct ax_probe_instance inst = {.name = (char *)"leads", .type = &probe_consent, .opts = opts, .nopts = nopts};
	return ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef", 16, NULL, now, ev);
}

static void assert_no_address(const struct ax_evidence *ev)
{
	for (size_t i = 0; i < ev->nresults; i++) {
		T_OK(!strstr(ev->results[i].observed, "@example.org"));
		T_OK(!strstr(ev->results[i].message, "@example.org"));
	}
	for (size_t i = 0; i < ev->nartifacts; i++)
		T_OK(!strstr(ax_buf_cstr(&ev->artifacts[i].data), "@example.org"));
}

static void test_generic_sqlite(const char *uri)
{
	struct ax_evidence ev = {0};
	struct ax_kv opts[] = {{(char *)"database", (char *)uri}};
	T_EQ_INT(run(opts, 1, &ev), 0);
	T_EQ_INT(ev.nresults, 11);
	/* an existing user's database: no legal_basis, the exemption's checks skip */
	T_EQ_INT(status_of(&ev, "consent.customer.no_sale"), AX_CHECK_SKIP);
	T_CONTAINS(t_need_result(&ev, "consent.customer.stale_sale") ? t_need_result(&ev, "consent.customer.stale_sale")->message : NULL,
		   "no subscriptions.legal_basis");
	T_EQ_INT(status_of(&ev, "consent.doi.proof"), AX_CHECK_FAIL);
	/* the IP-recording setting is listmonk's: the generic schema has none */
	T_EQ_INT(status_of(&ev, "consent.doi.ip_recording"), AX_CHECK_SKIP);
	T_CONTAINS(t_need_result(&ev, "consent.doi.ip_recording") ? t_need_result(&ev, "consent.doi.ip_recording")->message : NULL,
		   "not applicable to schema generic");
	T_EQ_INT(count_of(&ev, "consent.doi.proof"), 3);
	T_EQ_INT(count_of(&ev, "consent.doi.single_optin_lists"), 1);
	T_EQ_INT(count_of(&ev, "consent.unconfirmed.expired"), 1);
	T_EQ_INT(count_of(&ev, "consent.erasure.overdue"), 2);
	T_EQ_INT(count_of(&ev, "consent.inactive.retention"), 1);
	/* the planted unsubscribes were applied: status unsubscribed */
	T_EQ_INT(status_of(&ev, "consent.unsubscribed.mailable"), AX_CHECK_PASS);
	const struct ax_result *r = t_need_result(&ev, "consent.doi.single_optin_lists");
	T_CONTAINS(r ? r->observed : NULL, "\"name\":\"promo\"");
	r = t_need_result(&ev, "consent.doi.proof");
	T_CONTAINS(r ? r->observed : NULL, "\"lead\":\"p:");
	T_CONTAINS(r ? r->observed : NULL, "confirmation_not_after_signup");
	T_CONTAINS(r ? r->message : NULL, "3 confirmed double-opt-in");
	r = t_need_result(&ev, "consent.erasure.overdue");
	T_CONTAINS(r ? r->observed : NULL, "\"cutoff\":\"2026-10-30 00:00:00\"");
	/* the queries, then the confirmations population and its provenance */
	T_EQ_INT(ev.nartifacts, 3);
	T_CONTAINS(ev.nartifacts ? ax_buf_cstr(&ev.artifacts[0].data) : NULL, "FROM erasure_requests");
	if (ev.nartifacts == 3) {
		T_EQ_STR(ev.artifacts[1].name, "populations/confirmations.csv");
		T_CONTAINS(ax_buf_cstr(&ev.artifacts[1].data), "item,list,signed_up_at,confirmed_at,confirm_ip_recorded\np:");
		T_CONTAINS(ax_buf_cstr(&ev.artifacts[2].data), ev.artifacts[1].sha256);
	}
	assert_no_address(&ev);
	ax_evidence_free(&ev);
}

static void test_options(const char *uri)
{
	struct ax_evidence ev = {0};
	struct ax_kv opts[] = {
		{(char *)"database", (char *)uri},
		{(char *)"require-ip", (char *)"false"},
		{(char *)"unconfirmed-max-age", (char *)"5d"},
		{(char *)"query-inactive", (char *)"SELECT email, 'x' FROM leads WHERE email LIKE 'good-%';"},
		{(char *)"query-erasure-overdue", (char *)"SELECT nosuchcolumn FROM erasure_requests"},
	};
	T_EQ_INT(run(opts, 5, &ev), 0);
	T_EQ_INT(count_of(&ev, "consent.doi.proof"), 2);
	T_EQ_INT(count_of(&ev, "consent.unconfirmed.expired"), 2);
	T_EQ_INT(count_of(&ev, "consent.inactive.retention"), 10);
	const struct ax_result *r = t_need_result(&ev, "consent.inactive.retention");
	T_CONTAINS(r ? r->observed : NULL, "\"query\":\"query-inactive\"");
	/* samples are bounded */
	json_t *o = r ? json_loads(r->observed, 0, NULL) : NULL;
	T_EQ_INT(json_array_size(json_object_get(o, "samples")), 5);
	json_decref(o);
	T_EQ_INT(status_of(&ev, "consent.erasure.overdue"), AX_CHECK_ERROR);
	r = t_need_result(&ev, "consent.erasure.overdue");
	T_CONTAINS(r ? r->message : NULL, "query-erasure-overdue query failed");
	T_CONTAINS(r ? r->message : NULL, "nosuchcolumn");
	assert_no_address(&ev);
	ax_evidence_free(&ev);
}

static void test_listmonk_skip_and_missing_db(void)
{
	struct ax_evidence ev = {0};
	/* listmonk tables do not exist in this SQLite file: the questions
	 * error, the erasure question is skip with the reason. */
	char *uri = ax_asprintf("sqlite:%s/leads.db", t_tmpdir());
	struct ax_kv opts[] = {{(char *)"database", uri}, {(char *)"schema", (char *)"listmonk"}};
	T_EQ_INT(run(opts, 2, &ev), 0);
	T_EQ_INT(status_of(&ev, "consent.erasure.overdue"), AX_CHECK_SKIP);
	const struct ax_result *r = t_need_result(&ev, "consent.erasure.overdue");
	T_CONTAINS(r ? r->message : NULL, "listmonk keeps no erasure");
	T_EQ_INT(status_of(&ev, "consent.doi.proof"), AX_CHECK_ERROR);
	ax_evidence_free(&ev);
	free(uri);

	struct ax_kv missing[] = {{(char *)"database", (char *)"sqlite:/nonexistent/leads.db"}};
	T_OK(run(missing, 1, &ev) < 0);
	T_CONTAINS(ax_error_last(), "/nonexistent/leads.db");
	ax_evidence_free(&ev);
	struct ax_kv bad[] = {{(char *)"database", (char *)"mysql://x"}};
	T_EQ_INT(run(bad, 1, &ev), AX_EINVALID);
	ax_evidence_free(&ev);
}

/* The existing-customer layers on top of the planted database: exact
 * counts, and `similar-categories` values good and malformed. */
static void test_customer(void)
{
	char *path = ax_asprintf("%s/customer.db", t_tmpdir());
	char *cmd = ax_asprintf("rm -f '%s' && for f in generic-schema generic-planted generic-customer customer-planted; do "
				"sqlite3 '%s' < '%s/tests/fixtures/leads/'$f.sql || exit 1; done",
				path, path, getenv("ANNEXA_SRC"));
	T_OK(system(cmd) == 0);
	char *uri = ax_asprintf("sqlite:%s", path);
	static const struct {
		const char *similar[2];
		long long dissimilar; /* -1: error */
		const char *declared;
	} cases[] = {
		{{"bikes: bike-parts, helmets", NULL}, 2, "\"similar_categories\":{\"bikes\":[\"bike-parts\",\"helmets\"]}"},
		{{"bikes: helmets", " bikes :bike-parts "}, 2, "{\"bikes\":[\"helmets\",\"bike-parts\"]}"},
		{{"wine: bikes", NULL}, 8, "{\"wine\":[\"bikes\"]}"},
		{{NULL, NULL}, 8, "\"similar_categories\":{}"},
		{{"bikes", NULL}, -1, "similar-categories 'bikes': want BOUGHT: CATEGORY"},
		{{": helmets", NULL}, -1, "similar-categories ': helmets'"},
		{{"bikes:", NULL}, -1, "similar-categories 'bikes:'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_evidence ev = {0};
		struct ax_kv opts[3] = {{(char *)"database", uri}};
		size_t n = 1;
		for (size_t j = 0; j < 2 && cases[i].similar[j]; j++)
			opts[n++] = (struct ax_kv){(char *)"similar-categories", (char *)cases[i].similar[j]};
		T_EQ_INT(run(opts, n, &ev), 0);
		T_EQ_INT(count_of(&ev, "consent.customer.no_sale"), 2);
		T_EQ_INT(count_of(&ev, "consent.customer.no_notice"), 2);
		T_EQ_INT(count_of(&ev, "consent.customer.stale_sale"), 1);
		T_EQ_INT(count_of(&ev, "consent.doi.proof"), 3);
		T_EQ_INT(count_of(&ev, "consent.doi.single_optin_lists"), 1);
		const struct ax_result *r = t_need_result(&ev, "consent.customer.dissimilar");
		if (cases[i].dissimilar < 0) {
			T_EQ_INT(status_of(&ev, "consent.customer.dissimilar"), AX_CHECK_ERROR);
			T_CONTAINS(r ? r->message : NULL, cases[i].declared);
		} else {
			T_EQ_INT(count_of(&ev, "consent.customer.dissimilar"), cases[i].dissimilar);
			T_CONTAINS(r ? r->observed : NULL, cases[i].declared);
		}
		T_CONTAINS(ev.nartifacts ? ax_buf_cstr(&ev.artifacts[0].data) : NULL, "-- consent.customer.stale_sale");
		assert_no_address(&ev);
		for (size_t k = 0; k < ev.nresults; k++)
			T_OK(!strstr(ev.results[k].observed, "@example.com"));
		ax_evidence_free(&ev);
	}
	/* listmonk has no such basis: skip, naming the override */
	struct ax_evidence ev = {0};
	struct ax_kv lm[] = {{(char *)"database", uri}, {(char *)"schema", (char *)"listmonk"}};
	T_EQ_INT(run(lm, 2, &ev), 0);
	T_EQ_INT(status_of(&ev, "consent.customer.no_sale"), AX_CHECK_SKIP);
	const struct ax_result *r = t_need_result(&ev, "consent.customer.no_sale");
	T_CONTAINS(r ? r->message : NULL, "query-customer-no-sale");
	ax_evidence_free(&ev);
	free(uri);
	free(cmd);
	free(path);
}

static void test_param_count(void)
{
	T_EQ_INT(ax_leaddb_param_count("SELECT 1"), 0);
	T_EQ_INT(ax_leaddb_param_count("SELECT $1, $2 WHERE x < $1"), 2);
	T_EQ_INT(ax_leaddb_param_count("SELECT '$3', a$4 -- $5\n, $2"), 2);
	T_EQ_INT(ax_leaddb_param_count("SELECT \"$7\" FROM t WHERE a = $10"), 10);
}

/* Every schema maillog-consent offers has a consent-state query on its
 * engine and an address count to size the index; a schema on another
 * engine is refused before any query. */
static void test_schema_tables(void)
{
	static const struct {
		const char *schema;
		enum ax_leaddb_engine engine;
		int ok_sqlite, ok_pg, ok_mysql;
	} cases[] = {
		/* listmonk on SQLite is not refused up front: its queries fail */
		{"generic", AX_LEADDB_SQLITE, 1, 1, 0}, {"listmonk", AX_LEADDB_POSTGRES, 1, 1, 0},
		{"phplist", AX_LEADDB_MYSQL, 0, 0, 1},  {"mautic", AX_LEADDB_MYSQL, 0, 0, 1},
		{"keila", AX_LEADDB_POSTGRES, 0, 1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_OK(ax_consent_default_query(cases[i].schema, cases[i].engine, AX_Q_CONSENT_STATE) != NULL);
		T_OK(ax_consent_count_query(cases[i].schema) != NULL);
		T_EQ_INT(ax_consent_schema_engine_check(cases[i].schema, AX_LEADDB_SQLITE) == 0, cases[i].ok_sqlite);
		T_EQ_INT(ax_consent_schema_engine_check(cases[i].schema, AX_LEADDB_POSTGRES) == 0, cases[i].ok_pg);
		T_EQ_INT(ax_consent_schema_engine_check(cases[i].schema, AX_LEADDB_MYSQL) == 0, cases[i].ok_mysql);
	}
	T_OK(ax_consent_count_query("nosuch") == NULL);
	/* the Mautic consent half needs the DOI plugin; its skip says why */
	T_OK(ax_consent_mautic.needs[AX_Q_CONSENT_STATE] != NULL);
	T_CONTAINS(ax_consent_mautic.skip[AX_Q_CONSENT_STATE], "Mautic core has no double opt-in");
}

/* privacy.pseudonym_key (A.8.11): from what the collector measured of the
 * key file; never the key itself. */
static int key_result(void *arg, const struct ax_result *r)
{
	struct ax_evidence *ev = arg;
	ax_evidence_add_result(ev, "leads", "consent", r->check, r->status, r->message, r->observed, 0);
	return 0;
}

static void test_key_check(void)
{
	static const struct {
		unsigned mode;
		int64_t size;
		enum ax_check_status want;
		const char *msg;
	} cases[] = {
		{0600, 32, AX_CHECK_PASS, "32 bytes, mode 0600 (owner only), configured"},
		{0400, 1024, AX_CHECK_PASS, "mode 0400"},
		{0644, 32, AX_CHECK_FAIL, "is mode 0644: group or others have access"},
		{0640, 64, AX_CHECK_FAIL, "is mode 0640"},
		{0602, 64, AX_CHECK_FAIL, "is mode 0602"},
		{0600, 31, AX_CHECK_FAIL, "has 31 bytes, fewer than 32"},
	};
	struct ax_probe_instance inst = {.name = (char *)"leads", .type = &probe_consent};
	const unsigned char key[] = "0123456789abcdef0123456789abcdef";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_evidence ev = {0};
		struct ax_probe_sink sink = {key_result, NULL, &ev};
		struct ax_probe_ctx *ctx = ax_probe_ctx_new(&inst, key, 32, NULL, 0, &sink);
		struct ax_probe_key_facts facts = {"/etc/annexa/pseudonym.key", cases[i].mode, cases[i].size, 0};
		ax_probe_ctx_set_key_facts(ctx, &facts);
		ax_probe_report_key(ctx);
		T_EQ_INT(ax_probe_ctx_error(ctx), 0);
		T_EQ_INT(ev.nresults, 1);
		if (ev.nresults == 1) {
			T_EQ_STR(ev.results[0].check, "privacy.pseudonym_key");
			T_EQ_INT(ev.results[0].status, cases[i].want);
			T_CONTAINS(ev.results[0].message, cases[i].msg);
			T_CONTAINS(ev.results[0].observed, "\"path\":\"/etc/annexa/pseudonym.key\"");
			T_OK(!strstr(ev.results[0].observed, "0123456789abcdef"));
		}
		ax_probe_ctx_free(ctx);
		ax_evidence_free(&ev);
	}
	/* facts unknown (in-process runs): nothing reported */
	struct ax_evidence ev = {0};
	struct ax_probe_sink sink = {key_result, NULL, &ev};
	struct ax_probe_ctx *ctx = ax_probe_ctx_new(&inst, key, 32, NULL, 0, &sink);
	ax_probe_report_key(ctx);
	T_EQ_INT(ax_probe_ctx_error(ctx), 0);
	T_EQ_INT(ev.nresults, 0);
	ax_probe_ctx_free(ctx);
	ax_evidence_free(&ev);
}

int main(void)
{
	char *path = make_db();
	char *uri = ax_asprintf("sqlite:%s", path);
	test_generic_sqlite(uri);
	test_options(uri);
	test_listmonk_skip_and_missing_db();
	test_customer();
	test_param_count();
	test_schema_tables();
	test_key_check();
	free(uri);
	free(path);
	return t_done();
}
