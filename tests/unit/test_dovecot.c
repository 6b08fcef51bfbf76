/* test_dovecot.c - dovecot.conf parsing (sections, includes, comments,
 * errors with file and line) and the `dovecot` probe over 2.3 and 2.4
 * style configurations. */
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "dovecot_conf.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"

extern const struct probe probe_dovecot;

static const char *status_of(const struct ax_evidence *ev, const char *check)
{
	for (size_t i = 0; i < ev->nresults; i++)
		if (strcmp(ev->results[i].check, check) == 0)
			return ax_check_status_name(ev->results[i].status);
	return "missing";
}

static int run(const char *conf, struct ax_evidence *ev)
{
	struct ax_kv opts[] = {{(char *)"config", (char *)conf}};
	struct ax_probe_instance inst = {.name = (char *)"dc", .type = &probe_dovecot, .opts = opts, .nopts = 1};
	return ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef", 16, NULL, 1800000000, ev);
}

int main(void)
{
	char *key = t_write("key.pem", "k\n");
	chmod(key, 0600);
	free(t_write("ssl.conf", "ssl = required # trailing comment\nssl_min_protocol = TLSv1.2\n"));
	char *text = ax_asprintf("protocols = imap\n!include ssl.conf\n!include_try nothing/*.conf\nssl_key = <%s\n"
				 "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN /x/users\n}\n"
				 "service imap-login {\n  inet_listener imaps {\n    ssl = yes\n  }\n}\n", key);
	char *conf = t_write("dovecot.conf", text);
	struct dc_conf c;
	memset(&c, 0, sizeof(c));
	T_EQ_INT(dc_parse_file(&c, conf, 0, 1), 0);
	T_EQ_STR(dc_get(&c, "ssl"), "required");
	T_EQ_STR(dc_get(&c, "service imap-login/inet_listener imaps/ssl"), "yes");
	T_EQ_STR(dc_get(&c, "passdb/driver"), "passwd-file");
	dc_conf_release(&c);

	struct ax_evidence ev = {0};
	T_EQ_INT(run(conf, &ev), 0);
	T_EQ_STR(status_of(&ev, "dovecot.ssl.required"), "pass");
	T_EQ_STR(status_of(&ev, "dovecot.ssl.min_protocol"), "pass");
	T_EQ_STR(status_of(&ev, "dovecot.auth.cleartext"), "pass");
	T_EQ_STR(status_of(&ev, "dovecot.ssl.key_permissions"), "pass");
	ax_evidence_free(&ev);

	chmod(key, 0644);
	char *weak_text = ax_asprintf("dovecot_config_version = 2.4.0\nssl = yes\nssl_min_protocol = TLSv1\n"
				      "auth_allow_cleartext = yes\nssl_server_key_file = %s\n", key);
	char *weak = t_write("weak.conf", weak_text);
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(run(weak, &ev), 0);
	T_EQ_STR(status_of(&ev, "dovecot.ssl.required"), "fail");
	T_EQ_STR(status_of(&ev, "dovecot.ssl.min_protocol"), "fail");
	T_EQ_STR(status_of(&ev, "dovecot.auth.cleartext"), "fail");
	T_EQ_STR(status_of(&ev, "dovecot.ssl.key_permissions"), "fail");
	ax_evidence_free(&ev);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{"a = 1\n}\n", "bad1.conf:2: '}' without an open section"},
		{"a {\n", "section 'a' not closed"},
		{"just words\n", "bad3.conf:1: expected 'key = value'"},
		{"!include /nonexistent/x.conf\n", "bad4.conf:1: !include /nonexistent/x.conf: no such file"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "bad%zu.conf", i + 1);
		char *path = t_write(name, bad[i].text);
		memset(&c, 0, sizeof(c));
		T_OK(dc_parse_file(&c, path, 0, 1) == AX_EINVALID);
		T_CONTAINS(ax_error_last(), bad[i].want);
		dc_conf_release(&c);
		free(path);
	}
	char *loop = t_write("loop.conf", "!include loop.conf\n");
	memset(&c, 0, sizeof(c));
	T_OK(dc_parse_file(&c, loop, 0, 1) == AX_EINVALID);
	dc_conf_release(&c);
	free(loop);
	free(weak);
	free(weak_text);
	free(conf);
	free(text);
	free(key);
	return t_done();
}
