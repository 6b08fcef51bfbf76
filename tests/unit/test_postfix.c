/* test_postfix.c - the Postfix configuration parser (continuations,
 * comments, expansion, master.cf overrides, errors with file and line),
 * the pure rules (protocol lists, relay lists, networks) and the `postfix`
 * probe run in-process over strong and weak configurations. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "evidence.h"
#include "postfix_conf.h"
#include "postfix_rules.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"

extern const struct probe probe_postfix;

static char *expand(const struct pf_main *m, const struct pf_service *s, const char *name)
{
	struct ax_buf b = AX_BUF_INIT;
	if (pf_expand(m, s, name, &b) < 0) {
		ax_buf_free(&b);
		return ax_strdup("ERR");
	}
	return ax_buf_detach(&b);
}

static void test_main_parse(void)
{
	const char *text = "# comment\n"
			   "myhostname = mx.example\n"
			   "smtpd_tls_protocols = !SSLv2,\n"
			   "    # a comment inside a continuation\n"
			   "    !SSLv3, !TLSv1\n"
			   "\n"
			   "relayhost=\n"
			   "a = ${b} and $(c) $$ x\n"
			   "b = B\n"
			   "c = C${d?yes}${e:empty}\n"
			   "d = 1\n"
			   "loop1 = $loop2\n"
			   "loop2 = $loop1\n"
			   "myhostname = mx2.example\n";
	struct pf_main *m = NULL;
	T_EQ_INT(pf_main_parse(&m, text, strlen(text), "main.cf"), 0);
	T_OK(m != NULL);
	if (!m)
		return;
	T_EQ_STR(pf_main_find(m, "myhostname")->value, "mx2.example");
	T_EQ_STR(pf_main_find(m, "smtpd_tls_protocols")->value, "!SSLv2, !SSLv3, !TLSv1");
	T_EQ_INT(pf_main_find(m, "smtpd_tls_protocols")->line, 3);
	T_EQ_STR(pf_main_find(m, "relayhost")->value, "");
	char *a = expand(m, NULL, "a");
	T_EQ_STR(a, "B and Cyesempty $ x");
	free(a);
	char *l = expand(m, NULL, "loop1");
	T_EQ_STR(l, "ERR");
	T_CONTAINS(ax_error_last(), "deeper");
	free(l);
	/* a default when main.cf does not set it, and its own expansion */
	T_EQ_STR(pf_raw(m, NULL, "smtpd_tls_mandatory_protocols"), ">=TLSv1");
	pf_main_free(m);
}

static void test_main_errors(void)
{
	static const struct {
		const char *text, *want;
	} rows[] = {
		{"a = 1\nnot an assignment\n", "main.cf:2: missing '='"},
		{"  leading = continuation\n", "main.cf:1: continuation line without"},
		{"a = 1\n\n\nbad name = 1\n", "main.cf:4: invalid parameter name 'bad name'"},
		{"= value\n", "main.cf:1: invalid parameter name"},
		{"a = x\0y\n", "main.cf:1: NUL byte"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pf_main *m = NULL;
		size_t len = strlen(rows[i].text);
		if (i == 4)
			len = 8;
		T_EQ_INT(pf_main_parse(&m, rows[i].text, len, "main.cf"), AX_EINVALID);
		T_OK(m == NULL);
		T_CONTAINS(ax_error_last(), rows[i].want);
	}
}

static void test_master_parse(void)
{
	const char *text = "smtp      inet  n       -       y       -       -       smtpd\n"
			   "submission inet n       -       y       -       -       smtpd\n"
			   "  -o syslog_name=postfix/submission\n"
			   "  -o smtpd_tls_security_level=encrypt\n"
			   "  -o { smtpd_relay_restrictions = permit_sasl_authenticated, reject }\n"
			   "#smtps     inet  n       -       y       -       -       smtpd\n"
			   "pickup    unix  n       -       y       60      1       pickup\n";
	struct pf_master *ms = NULL;
	T_EQ_INT(pf_master_parse(&ms, text, strlen(text), "master.cf"), 0);
	if (!ms)
		return;
	T_EQ_INT(ms->nservices, 3);
	T_EQ_STR(ms->services[1].name, "submission");
	T_EQ_STR(ms->services[1].command, "smtpd");
	T_EQ_INT(ms->services[1].noverrides, 3);
	T_EQ_STR(ms->services[1].overrides[2].name, "smtpd_relay_restrictions");
	T_EQ_STR(ms->services[1].overrides[2].value, "permit_sasl_authenticated, reject");
	T_EQ_STR(pf_raw(NULL, &ms->services[1], "smtpd_tls_security_level"), "encrypt");
	T_EQ_STR(pf_raw(NULL, &ms->services[0], "smtpd_tls_security_level"), "");
	T_EQ_STR(ms->services[2].command, "pickup");
	pf_master_free(ms);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{"smtp inet n - y - - smtpd\nshort inet n\n", "master.cf:2: service 'short' has 3 fields"},
		{"smtp inet n - y - - smtpd -o\n", "master.cf:1: service 'smtp': -o without a setting"},
		{"smtp inet n - y - - smtpd -o { a = b\n", "unclosed '{'"},
		{"smtp inet n - y - - smtpd -o novalue\n", "master.cf:1: missing '='"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pf_master *m2 = NULL;
		T_EQ_INT(pf_master_parse(&m2, bad[i].text, strlen(bad[i].text), "master.cf"), AX_EINVALID);
		T_CONTAINS(ax_error_last(), bad[i].want);
		T_OK(m2 == NULL);
	}
}

static void test_rules(void)
{
	static const struct {
		const char *spec;
		unsigned want;
	} protos[] = {
		{"", PF_PROTO_ALL},
		{">=TLSv1", PF_PROTO_TLSV1 | PF_PROTO_TLSV1_1 | PF_PROTO_TLSV1_2 | PF_PROTO_TLSV1_3},
		{">=TLSv1.2", PF_PROTO_TLSV1_2 | PF_PROTO_TLSV1_3},
		{"!SSLv2, !SSLv3", PF_PROTO_TLSV1 | PF_PROTO_TLSV1_1 | PF_PROTO_TLSV1_2 | PF_PROTO_TLSV1_3},
		{"!SSLv2:!SSLv3:!TLSv1:!TLSv1.1", PF_PROTO_TLSV1_2 | PF_PROTO_TLSV1_3},
		{"TLSv1.2 TLSv1.3", PF_PROTO_TLSV1_2 | PF_PROTO_TLSV1_3},
		{">=TLSv1 <=TLSv1.2", PF_PROTO_TLSV1 | PF_PROTO_TLSV1_1 | PF_PROTO_TLSV1_2},
	};
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		unsigned got = 0;
		T_EQ_INT(pf_protocols_parse(protos[i].spec, &got), 0);
		T_EQ_INT(got, protos[i].want);
	}
	unsigned got;
	T_EQ_INT(pf_protocols_parse(">=TLSv9", &got), AX_EINVALID);

	struct ax_buf why = AX_BUF_INIT;
	T_EQ_INT(pf_relay_list_safe("permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", &why), 1);
	T_EQ_INT(pf_relay_list_safe("permit_mynetworks permit", &why), 0);
	T_EQ_STR(ax_buf_cstr(&why), "permit");
	T_EQ_INT(pf_relay_list_safe("permit_mynetworks", &why), 0);
	T_EQ_INT(pf_relay_list_safe("", &why), 0);
	T_EQ_INT(pf_relay_list_safe("permit_sasl_authenticated,reject", &why), 1);

	T_EQ_INT(pf_networks_within("127.0.0.0/8 [::1]/128", "127.0.0.0/8 [::1]/128", &why), 1);
	T_EQ_INT(pf_networks_within("127.0.0.1, 10.1.2.0/24", "127.0.0.0/8 10.0.0.0/8", &why), 1);
	T_EQ_INT(pf_networks_within("127.0.0.0/8 0.0.0.0/0", "127.0.0.0/8", &why), 0);
	T_EQ_STR(ax_buf_cstr(&why), "0.0.0.0/0");
	T_EQ_INT(pf_networks_within("[2001:db8::]/32", "[::1]/128", &why), 0);
	T_EQ_INT(pf_networks_within("hash:/etc/postfix/network_table", "127.0.0.0/8", &why), AX_EINVALID);
	T_EQ_STR(ax_buf_cstr(&why), "hash:/etc/postfix/network_table");
	T_EQ_INT(pf_networks_within("10.0.0.0/99", "127.0.0.0/8", &why), AX_EINVALID);
	ax_buf_free(&why);
}

static enum ax_check_status status_of(const struct ax_evidence *ev, const char *check)
{
	for (size_t i = 0; i < ev->nresults; i++)
		if (strcmp(ev->results[i].check, check) == 0)
			return ev->results[i].status;
	t_fail(__FILE__, __LINE__, "no result for %s", check);
	return (enum ax_check_status)99;
}

static const char *message_of(const struct ax_evidence *ev, const char *check)
{
	for (size_t i = 0; i < ev->nresults; i++)
		if (strcmp(ev->results[i].check, check) == 0)
			return ev->results[i].message;
	return "";
}

static int run_probe(const char *dir, struct ax_evidence *ev)
{
	struct ax_kv opts[] = {{(char *)"config-dir", (char *)dir}};
	struct ax_probe_instance inst = {.name = (char *)"pf", .type = &probe_postfix, .opts = opts, .nopts = 1};
	return ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef", 16, NULL, 1800000000, ev);
}

static void test_probe_strong_and_weak(void)
{
	const char *tmp = t_tmpdir();
	char *cert = t_write("cert.pem", "cert\n"), *key = t_write("key.pem", "key\n");
	chmod(key, 0600);
	char *strong_main = ax_asprintf("smtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n"
					"smtpd_tls_security_level = may\nsmtp_tls_security_level = may\n"
					"smtpd_tls_protocols = >=TLSv1.2\nsmtpd_tls_mandatory_protocols = !SSLv2 !SSLv3 !TLSv1 !TLSv1.1\n"
					"smtpd_tls_auth_only = yes\nsmtpd_sasl_auth_enable = yes\n"
					"mynetworks = 127.0.0.0/8\ndisable_vrfy_command = yes\n"
					"smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\nsmtp_sasl_password = hunter2\n",
					cert, key);
	char *strong_dir = ax_asprintf("%s/strong", tmp);
	mkdir(strong_dir, 0700);
	free(t_write("strong/main.cf", strong_main));
	free(t_write("strong/master.cf", "smtp inet n - y - - smtpd\n"
				    "submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n"
				    "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
				    "pickup unix n - y 60 1 pickup\n"));
	struct ax_evidence ev = {0};
	T_EQ_INT(run_probe(strong_dir, &ev), 0);
	static const char *const all[] = {"postfix.smtpd.tls_security_level", "postfix.smtp.tls_security_level",
		"postfix.smtpd.tls_auth_only", "postfix.smtpd.tls_protocols", "postfix.smtpd.tls_mandatory_protocols",
		"postfix.smtpd.tls_mandatory_ciphers", "postfix.tls.cert_files", "postfix.tls.key_permissions",
		"postfix.relay.restrictions", "postfix.relay.mynetworks", "postfix.smtpd.disable_vrfy"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		t_checks++;
		if (status_of(&ev, all[i]) != AX_CHECK_PASS)
			t_fail(__FILE__, __LINE__, "strong: %s is %d: %s", all[i], status_of(&ev, all[i]), message_of(&ev, all[i]));
	}
	/* evidence: effective settings, secrets redacted, table contents never read */
	int found = 0;
	for (size_t i = 0; i < ev.nartifacts; i++)
		if (strcmp(ev.artifacts[i].name, "postfix-effective.json") == 0) {
			found = 1;
			T_CONTAINS(ax_buf_cstr(&ev.artifacts[i].data), "\"smtp_sasl_password\": \"[REDACTED]\"");
			T_CONTAINS(ax_buf_cstr(&ev.artifacts[i].data), "\"smtpd_tls_security_level\": \"encrypt\"");
		}
	T_OK(found);
	for (size_t i = 0; i < ev.nartifacts; i++)
		T_OK(strstr(ax_buf_cstr(&ev.artifacts[i].data), "hunter2") == NULL);
	ax_evidence_free(&ev);

	/* weak: defaults (no TLS out, TLSv1 allowed), world-readable key, open relay on a listener, VRFY on */
	chmod(key, 0644);
	char *weak_main = ax_asprintf("smtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\nsmtpd_tls_security_level = may\n"
				      "smtpd_tls_mandatory_ciphers = low\nsmtpd_sasl_auth_enable = yes\nmynetworks = 127.0.0.0/8 10.0.0.0/8\n",
				      cert, key);
	char *weak_dir = ax_asprintf("%s/weak", tmp);
	mkdir(weak_dir, 0700);
	free(t_write("weak/main.cf", weak_main));
	free(t_write("weak/master.cf", "smtp inet n - y - - smtpd\n"
				  "2525 inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_relay_restrictions=permit_mynetworks,permit\n"));
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(run_probe(weak_dir, &ev), 0);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		enum ax_check_status want = strcmp(all[i], "postfix.tls.cert_files") == 0 ? AX_CHECK_PASS : AX_CHECK_FAIL;
		t_checks++;
		if (status_of(&ev, all[i]) != want)
			t_fail(__FILE__, __LINE__, "weak: %s is %d: %s", all[i], status_of(&ev, all[i]), message_of(&ev, all[i]));
	}
	T_CONTAINS(message_of(&ev, "postfix.smtpd.tls_security_level"), "2525: smtpd_tls_security_level = none");
	T_CONTAINS(message_of(&ev, "postfix.smtpd.tls_protocols"), "allows TLSv1, TLSv1.1");
	T_CONTAINS(message_of(&ev, "postfix.relay.restrictions"), "2525: open relay");
	T_CONTAINS(message_of(&ev, "postfix.relay.mynetworks"), "10.0.0.0/8");
	T_CONTAINS(message_of(&ev, "postfix.tls.key_permissions"), "mode 0644");
	ax_evidence_free(&ev);

	/* a broken main.cf: the run fails with file and line */
	char *broken_dir = ax_asprintf("%s/broken", tmp), *none_dir = ax_asprintf("%s/none", tmp);
	mkdir(broken_dir, 0700);
	free(t_write("broken/main.cf", "ok = 1\nbroken line\n"));
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(run_probe(broken_dir, &ev), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "broken/main.cf:2: missing '='");
	ax_evidence_free(&ev);
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(run_probe(none_dir, &ev), AX_ENOTFOUND);
	ax_evidence_free(&ev);
	free(strong_dir);
	free(weak_dir);
	free(broken_dir);
	free(none_dir);
	free(strong_main);
	free(weak_main);
	free(cert);
	free(key);
}

int main(void)
{
	test_main_parse();
	test_main_errors();
	test_master_parse();
	test_rules();
	test_probe_strong_and_weak();
	return t_done();
}
