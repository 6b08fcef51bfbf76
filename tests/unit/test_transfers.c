/* test_transfers.c - the transfers probe end to end in-process: registers
 * that pass and fail every check (including a US relay on Safe Harbor and
 * an Excel-saved register), endpoint collection from Postfix, annexa.conf
 * and restic env files, the country table and its replacement. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "countries.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "transfers_endpoints.h"
#include "transfers_register.h"
#include "util.h"

extern const struct probe probe_transfers;

static int64_t day(const char *d)
{
	int64_t t = 0;
	if (ax_time_parse(d, &t) < 0)
		abort();
	return t;
}

static int run(struct ax_kv *opts, size_t nopts, int64_t now, struct ax_evidence *ev)
{
	struct ax_probe_instance inst = {.name = (char *)"transfers", .type = &probe_transfers, .opts = opts, .nopts = nopts};
	ax_evidence_clear(ev);
	return ax_probe_run_inline(&inst, NULL, 0, NULL, now, ev);
}

#define STATUS(ev, check) (t_result(ev, check) ? ax_check_status_name(t_result(ev, check)->status) : "(missing)")
#define MESSAGE(ev, check) (t_result(ev, check) ? t_result(ev, check)->message : "(missing)")

static void test_host_of(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{"[smtp.eu.mailgun.org]:587", "smtp.eu.mailgun.org"},
		{"relay.example.com", "relay.example.com"},
		{"Relay.Example.COM.:25", "relay.example.com"},
		{"postgresql://annexa:secret@db.example.net:5432/leads?sslmode=require", "db.example.net"},
		{"postgresql://u@h1.example:5432,h2.example/db", "h1.example"},
		{"postgresql:///leads?host=/var/run/postgresql", NULL},
		{"mysql://annexa:secret@mariadb.example.net:3306/phplist", "mariadb.example.net"},
		{"mysql:///mautic?socket=/run/mysqld/mysqld.sock", NULL},
		{"host=pg.example.org dbname=leads user=x", "pg.example.org"},
		{"sqlite:/var/lib/leads.db", NULL},
		{"s3:s3.eu-central-1.amazonaws.com/bucket/restic", "s3.eu-central-1.amazonaws.com"},
		{"s3:https://minio.example.io:9000/bucket", "minio.example.io"},
		{"sftp:backup@storage.hetzner.example:/restic", "storage.hetzner.example"},
		{"sftp://u@box.example:23//restic", "box.example"},
		{"rest:https://user:pw@rest.example.com:8000/repo", "rest.example.com"},
		{"b2:bucket:/restic", "api.backblazeb2.com"},
		{"/srv/restic", NULL},
		{"git@github.com:org/config.git", "github.com"},
		{"[2001:db8::1]:25", "2001:db8::1"},
		{"inet:lmtp.example:24", "lmtp.example"},
		{"unix:private/dovecot-lmtp", NULL},
		{"bad host!", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *h = ax_endpoint_host_of(cases[i].in);
		if (cases[i].want)
			T_EQ_STR(h, cases[i].want);
		else
			T_OK(h == NULL);
		free(h);
	}
	T_OK(ax_host_pattern_matches("*.mailgun.org", "smtp.eu.mailgun.org"));
	T_OK(!ax_host_pattern_matches("*.mailgun.org", "mailgun.org"));
	T_OK(!ax_host_pattern_matches("*.mailgun.org", "evilmailgun.org"));
	T_OK(ax_host_pattern_matches("db.example.net", "db.example.net"));
}

static void test_countries(void)
{
	struct ax_country_table *t = NULL;
	T_EQ_INT(ax_country_table_builtin(&t), 0);
	T_EQ_STR(t->as_of, "2025-09-30");
	T_CONTAINS(t->source, "European Commission");
	T_EQ_INT(ax_country_find(t, "de")->basis, AX_COUNTRY_EU);
	T_EQ_INT(ax_country_find(t, "NO")->basis, AX_COUNTRY_EEA);
	T_EQ_INT(ax_country_find(t, "UK")->basis, AX_COUNTRY_ADEQUATE);
	T_EQ_INT(ax_country_find(t, "EL")->basis, AX_COUNTRY_EU);
	T_EQ_INT(ax_country_find(t, "US")->basis, AX_COUNTRY_ADEQUATE_DPF);
	T_OK(ax_country_find(t, "IN") == NULL);
	T_OK(ax_country_find(t, "USA") == NULL);
	size_t eu = 0, eea = 0;
	for (size_t i = 0; i < t->ncountries; i++)
		eu += t->countries[i].basis == AX_COUNTRY_EU, eea += t->countries[i].basis == AX_COUNTRY_EEA;
	T_EQ_INT(eu, 27);
	T_EQ_INT(eea, 3);
	ax_country_table_free(t);

	t = NULL;
	const char *good = t_write_kept("countries.csv", "# as-of: 2026-07-01\n# source: own review of EUR-Lex\n"
						   "code;name;basis;reference;scope;valid_until\n"
						   "DE;Germany;eu;;;\nGB;United Kingdom;adequacy;2025/xxxx;;2031-12-27\n"
						   "BR;Brazil;adequacy;2026/yyy;;\n");
	T_EQ_INT(ax_country_table_load(&t, good), 0);
	if (t) {
		T_EQ_STR(t->as_of, "2026-07-01");
		T_EQ_INT(t->ncountries, 3);
		T_EQ_INT(ax_country_find(t, "BR")->basis, AX_COUNTRY_ADEQUATE);
	}
	ax_country_table_free(t);
	t = NULL;
	const char *bad = t_write_kept("badcountries.csv", "# as-of: 2026-07-01\n# source: x\ncode,name,basis\nDE,Germany,eu\nXX1,?,adequacy\n");
	T_EQ_INT(ax_country_table_load(&t, bad), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "badcountries.csv:5:");
	const char *undated = t_write_kept("undated.csv", "code,name,basis\nDE,Germany,eu\n");
	T_EQ_INT(ax_country_table_load(&t, undated), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "as-of");
}

static void test_all_pass(struct ax_evidence *ev)
{
	char *pf = ax_asprintf("%s/postfix", t_tmpdir());
	mkdir(pf, 0755);
	char *main_cf = ax_asprintf("%s/main.cf", pf), *transport = ax_asprintf("%s/transport", pf);
	t_write_kept("postfix/main.cf", "# outbound goes through Mailgun EU\nrelayhost = [smtp.eu.mailgun.org]:587\n"
				   "transport_maps =\n    hash:$config_directory/transport\n"
				   "smtp_tls_security_level = encrypt\n");
	t_write_kept("postfix/transport", "# per-domain routes\nnewsletter.example  smtp:[smtp-relay.brevo.com]:587\n"
				     "local.example local:\nbounces.example error:5.1.1 gone\n");
	const char *conf = t_write_kept("annexa.conf", "[annexa]\n\torganization = X\n"
						  "[probe \"leads\"]\n\ttype = consent\n\tdatabase = postgresql://annexa:s3cret@db.infomaniak.ch:5432/leads\n"
						  "[probe \"backup\"]\n\ttype = restic\n\trepository = b2:mybucket:/restic\n"
						  "[probe \"mx\"]\n\ttype = tls\n\ttarget = 127.0.0.1:25\n");
	const char *reg = t_write_kept("register.csv",
				  "recipient,service,endpoints,country,role,mechanism,dpf_checked,tia_date,next_review\n"
				  "Brevo,newsletter,smtp-relay.brevo.com *.sendinblue.com,FR,processor,eu,,,2027-06-01\n"
				  "Mailgun,relay,*.mailgun.org,US,processor,dpf,2026-10-01,,2027-01-15\n"
				  "Backblaze,backup,api.backblazeb2.com,US,processor,scc,,2026-03-01,2027-03-01\n"
				  "Infomaniak,lead database,db.infomaniak.ch,CH,processor,adequacy,,,2027-01-01\n");
	struct ax_kv opts[] = {
		{"register", (char *)reg}, {"postfix-config-dir", pf}, {"scan-config", (char *)conf},
	};
	T_EQ_INT(run(opts, 3, day("2026-11-29"), ev), 0);
	T_EQ_INT(ev->nresults, 5);
	T_EQ_STR(STATUS(ev, "transfer.unregistered_endpoint"), "pass");
	T_EQ_STR(MESSAGE(ev, "transfer.unregistered_endpoint"), "all 4 endpoints are covered by the register");
	T_EQ_STR(STATUS(ev, "transfer.invalid_mechanism"), "pass");
	T_EQ_STR(STATUS(ev, "transfer.dpf_unchecked"), "pass");
	T_EQ_STR(STATUS(ev, "transfer.tia_missing"), "pass");
	T_EQ_STR(STATUS(ev, "transfer.review_overdue"), "pass");
	const struct ax_result *r = t_result(ev, "transfer.unregistered_endpoint");
	T_CONTAINS(r ? r->observed : NULL, "postfix main.cf:2 relayhost");
	T_CONTAINS(r ? r->observed : NULL, "postfix transport:2 transport_maps");
	T_CONTAINS(r ? r->observed : NULL, "\"skipped_internal\":1");
	T_CONTAINS(r ? r->observed : NULL, "\"country_table_as_of\":\"2025-09-30\"");
	/* the database password never becomes evidence */
	T_EQ_INT(ev->nartifacts, 1);
	T_OK(ev->nartifacts && !strstr(ev->artifacts[0].data.ptr, "s3cret"));
	for (size_t i = 0; i < ev->nresults; i++)
		T_OK(!strstr(ev->results[i].observed, "s3cret"));

	/* a year later the DPF check and reviews have aged */
	T_EQ_INT(run(opts, 3, day("2027-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.dpf_unchecked"), "fail");
	T_CONTAINS(MESSAGE(ev, "transfer.dpf_unchecked"), "register.csv:3 Mailgun: DPF certification last checked 2026-10-01");
	T_EQ_STR(STATUS(ev, "transfer.review_overdue"), "fail");
	T_CONTAINS(MESSAGE(ev, "transfer.review_overdue"), "register.csv:2 Brevo: review was due on 2027-06-01");
	free(pf), free(main_cf), free(transport);
}

static void test_excel_register_fails(struct ax_evidence *ev)
{
	/* Excel, German locale: BOM, ';', CRLF, quoted fields */
	const char *reg = t_write_kept("excel.csv",
				  "\xEF\xBB\xBFRecipient;Service;Endpoints;Country;Role;Mechanism;DPF checked;TIA date;Next review\r\n"
				  "\"OldRelay Inc.\";\"relay; outbound\";relay.oldrelay.com;US;processor;safe-harbor;;;2027-01-01\r\n"
				  "\"Shield \"\"CRM\"\" Corp\";crm;api.shield.example;US;processor;Privacy Shield;;;2027-01-01\r\n"
				  "NoMech Ltd;analytics;\"a.nomech.example\r\nb.nomech.example\";IN;processor;;;;2027-01-01\r\n"
				  "DPF Old;mail;mx.dpfold.example;US;processor;dpf;2025-01-10;;2027-01-01\r\n"
				  "Scc NoTia;support;help.scc.example;IN;processor;scc;;;2026-01-01\r\n"
				  "Wrong DPF;cdn;cdn.example.jp;JP;processor;dpf;2026-11-01;;2027-01-01\r\n"
				  "US adequacy;ads;ads.example.com;US;processor;adequacy;;;31.12.2027\r\n"
				  ";;;;;;;;\r\n");
	const char *pf = t_write_kept("pf2-main.cf", "");
	(void)pf;
	char *dir = ax_asprintf("%s/pf2", t_tmpdir());
	mkdir(dir, 0755);
	t_write_kept("pf2/main.cf", "relayhost = [relay.oldrelay.com]:25\n");
	const char *env = t_write_kept("restic.env", "export RESTIC_REPOSITORY=\"s3:s3.us-east-1.amazonaws.com/bucket\"\n");
	struct ax_kv opts[] = {
		{"register", (char *)reg}, {"postfix-config-dir", dir}, {"endpoint", (char *)"mx.unknown-esp.com"},
		{"endpoint", (char *)"b.nomech.example"}, {"restic-env", (char *)env},
	};
	T_EQ_INT(run(opts, 5, day("2026-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.invalid_mechanism"), "fail");
	const char *m = MESSAGE(ev, "transfer.invalid_mechanism");
	T_CONTAINS(m, "excel.csv:2 OldRelay Inc.: rests on Safe Harbor, invalidated on 2015-10-06 (CJEU C-362/14)");
	T_CONTAINS(m, "excel.csv:3 Shield \"CRM\" Corp: rests on Privacy Shield, invalidated on 2020-07-16 (CJEU C-311/18)");
	T_CONTAINS(m, "excel.csv:4 NoMech Ltd: transfer to IN without a mechanism");
	T_CONTAINS(m, "excel.csv:8 Wrong DPF: the Data Privacy Framework covers only US recipients");
	T_CONTAINS(m, "excel.csv:9 US adequacy: the US adequacy decision");
	T_CONTAINS(t_result(ev, "transfer.invalid_mechanism")->observed, "\"failed\":5");
	T_EQ_STR(STATUS(ev, "transfer.dpf_unchecked"), "fail");
	T_CONTAINS(MESSAGE(ev, "transfer.dpf_unchecked"), "excel.csv:6 DPF Old");
	T_OK(!strstr(MESSAGE(ev, "transfer.dpf_unchecked"), "Wrong DPF"));
	T_EQ_STR(STATUS(ev, "transfer.tia_missing"), "fail");
	T_EQ_STR(MESSAGE(ev, "transfer.tia_missing"),
		 "excel.csv:7 Scc NoTia: SCC transfer to IN without a transfer impact assessment (tia_date empty)");
	T_EQ_STR(STATUS(ev, "transfer.review_overdue"), "fail");
	T_CONTAINS(MESSAGE(ev, "transfer.review_overdue"), "excel.csv:7 Scc NoTia: review was due on 2026-01-01");
	T_CONTAINS(MESSAGE(ev, "transfer.review_overdue"), "excel.csv:9 US adequacy: next_review '31.12.2027' is not an ISO 8601 date");
	T_EQ_STR(STATUS(ev, "transfer.unregistered_endpoint"), "fail");
	m = MESSAGE(ev, "transfer.unregistered_endpoint");
	T_CONTAINS(m, "mx.unknown-esp.com (endpoint option) is in no register entry");
	T_CONTAINS(m, "s3.us-east-1.amazonaws.com (restic restic.env:1 RESTIC_REPOSITORY)");
	T_OK(!strstr(m, "relay.oldrelay.com"));
	T_OK(!strstr(m, "b.nomech.example")); /* the second line of a multi-line cell */
	T_CONTAINS(t_result(ev, "transfer.unregistered_endpoint")->observed, "\"register_separator\":\";\"");
	T_CONTAINS(t_result(ev, "transfer.unregistered_endpoint")->observed, "\"register_encoding\":\"utf-8 with BOM\"");
	free(dir);
}

static void test_broken_inputs(struct ax_evidence *ev)
{
	const char *reg = t_write_kept("bad.csv", "recipient,endpoints,country,mechanism\nA,a.example,DE,eu\n\"B,b.example,US,dpf\n");
	struct ax_kv opts[] = {{"register", (char *)reg}};
	T_EQ_INT(run(opts, 1, day("2026-11-29"), ev), 0);
	T_EQ_INT(ev->nresults, 5);
	for (size_t i = 0; i < ev->nresults; i++) {
		T_EQ_STR(ax_check_status_name(ev->results[i].status), "error");
		T_CONTAINS(ev->results[i].message, "bad.csv:3: quoted field opened here is never closed");
	}
	const char *nohdr = t_write_kept("nohdr.csv", "name,endpoints,country,mechanism\nA,a.example,DE,eu\n");
	opts[0].value = (char *)nohdr;
	T_EQ_INT(run(opts, 1, day("2026-11-29"), ev), 0);
	T_CONTAINS(MESSAGE(ev, "transfer.invalid_mechanism"), "nohdr.csv:1: header lacks column 'recipient'");
	const char *extra = t_write_kept("extra.csv", "recipient,endpoints,country,mechanism\nA,a.example,DE,eu,oops\n");
	opts[0].value = (char *)extra;
	T_EQ_INT(run(opts, 1, day("2026-11-29"), ev), 0);
	T_CONTAINS(MESSAGE(ev, "transfer.review_overdue"), "extra.csv:2: 5 fields but the header has 4");
	opts[0].value = (char *)"/nonexistent/register.csv";
	T_EQ_INT(run(opts, 1, day("2026-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.tia_missing"), "error");
	T_CONTAINS(MESSAGE(ev, "transfer.tia_missing"), "/nonexistent/register.csv");

	/* a good register but an unreadable endpoint source: error, not pass */
	const char *good = t_write_kept("good.csv", "recipient,endpoints,country,mechanism,next_review\nA,a.example,DE,eu,2030-01-01\n");
	struct ax_kv opts2[] = {{"register", (char *)good}, {"postfix-config-dir", (char *)"/nonexistent/postfix"}};
	T_EQ_INT(run(opts2, 2, day("2026-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.unregistered_endpoint"), "error");
	T_CONTAINS(MESSAGE(ev, "transfer.unregistered_endpoint"), "/nonexistent/postfix/main.cf");
	T_EQ_STR(STATUS(ev, "transfer.invalid_mechanism"), "pass");
	T_EQ_STR(STATUS(ev, "transfer.dpf_unchecked"), "skip");
	/* no endpoint source at all: skip */
	T_EQ_INT(run(opts2, 1, day("2026-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.unregistered_endpoint"), "skip");
}

static void test_uk_sunset(struct ax_evidence *ev)
{
	const char *reg = t_write_kept("uk.csv", "recipient,endpoints,country,mechanism,next_review\nUK Host,mx.uk.example,GB,adequacy,2030-01-01\n");
	struct ax_kv opts[] = {{"register", (char *)reg}, {"country-table", NULL}};
	T_EQ_INT(run(opts, 1, day("2025-10-01"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.invalid_mechanism"), "pass");
	T_EQ_INT(run(opts, 1, day("2026-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.invalid_mechanism"), "fail");
	T_CONTAINS(MESSAGE(ev, "transfer.invalid_mechanism"), "check for a renewal and update country-table");
	/* the site's newer table settles it */
	opts[1].key = (char *)"country-table";
	opts[1].value = (char *)t_write_kept("uk-countries.csv", "# as-of: 2026-01-15\n# source: EUR-Lex\ncode,name,basis,valid_until\n"
						    "GB,United Kingdom,adequacy,2031-12-27\n");
	T_EQ_INT(run(opts, 2, day("2026-11-29"), ev), 0);
	T_EQ_STR(STATUS(ev, "transfer.invalid_mechanism"), "pass");
	T_CONTAINS(t_result(ev, "transfer.unregistered_endpoint")->observed, "2026-01-15");
}

int main(void)
{
	struct ax_evidence ev = {0};
	test_host_of();
	test_countries();
	test_all_pass(&ev);
	test_excel_register_fails(&ev);
	test_broken_inputs(&ev);
	test_uk_sunset(&ev);
	ax_evidence_free(&ev);
	return t_done();
}
