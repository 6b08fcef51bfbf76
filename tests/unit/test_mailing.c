/* test_mailing.c - the `mailing` probe and its message inspection over the
 * .eml fixtures in tests/fixtures/leads/eml: each flag per message, then
 * the probe's statuses and counts over the folder (with a broken message
 * giving `error` that names the file), and malformed inputs that must not
 * crash. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evidence.h"
#include "mailing_msg.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_mailing;
static regex_t unsub_re, sender_re;

static int inspect(const char *name, struct ax_mailing_report *r)
{
	struct ax_buf data = AX_BUF_INIT;
	char *path = ax_asprintf("%s/tests/fixtures/leads/eml/%s", getenv("ANNEXA_SRC"), name);
	int err = ax_file_read(path, 1 << 20, &data);
	T_EQ_INT(err, 0);
	if (err == 0)
		err = ax_mailing_inspect(data.ptr, data.size, &unsub_re, &sender_re, r);
	ax_buf_free(&data);
	free(path);
	return err;
}

static void test_messages(void)
{
	struct ax_mailing_report r;
	T_EQ_INT(inspect("good.eml", &r), 0);
	T_EQ_INT(r.list_unsubscribe, 1);
	T_EQ_INT(r.unsubscribe_https, 1);
	T_EQ_INT(r.one_click, 1);
	T_EQ_INT(r.dkim_signed, 1);
	T_EQ_INT(r.dkim_covers, 1);
	T_EQ_INT(r.has_html, 1);
	T_EQ_INT(r.unsubscribe_link, 1);
	T_EQ_INT(r.sender_identified, 1);

	T_EQ_INT(inspect("hidden-link.eml", &r), 0);
	T_EQ_INT(r.list_unsubscribe, 0);
	T_EQ_INT(r.one_click, 0);
	T_EQ_INT(r.dkim_signed, 1);
	T_EQ_INT(r.dkim_covers, 0);
	T_EQ_INT(r.unsubscribe_link, 0);
	T_EQ_INT(r.sender_identified, 0);

	T_EQ_INT(inspect("http-only.eml", &r), 0);
	T_EQ_INT(r.list_unsubscribe, 0);
	T_EQ_INT(r.one_click, 1);
	T_EQ_INT(r.unsubscribe_https, 0);
	T_EQ_INT(r.dkim_covers, 0); /* List-Unsubscribe-Post is not signed */
	T_EQ_INT(r.has_html, 0);
	T_EQ_INT(r.unsubscribe_link, 1);
	T_EQ_INT(r.sender_identified, 1);

	T_EQ_INT(inspect("mailto-only.eml", &r), 0);
	T_EQ_INT(r.list_unsubscribe, 1);
	T_EQ_INT(r.unsubscribe_https, 0);
	T_EQ_INT(r.dkim_covers, 1);
	T_EQ_INT(r.unsubscribe_link, 1);

	T_EQ_INT(inspect("broken.eml", &r), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "not a MIME message");
}

static void test_malformed(void)
{
	static const char *const inputs[] = {
		"",
		"Subject: x\n",
		"Content-Type: multipart/mixed; boundary=\"z\"\n\n--z\nContent-Type: text/html\n\n<a href=<<<<\n--z",
		"Content-Type: text/html\nContent-Transfer-Encoding: base64\n\n!!!!not base64!!!!\n",
		"DKIM-Signature: h=\nList-Unsubscribe: <\nList-Unsubscribe-Post:\nContent-Type: text/html\n\n<a>",
		"Content-Type: text/html; charset=no-such-charset\n\n<html><a href=\"https://x/unsubscribe\">u</a>",
	};
	struct ax_mailing_report r;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		int err = ax_mailing_inspect(inputs[i], strlen(inputs[i]), &unsub_re, NULL, &r);
		T_OK(err == 0 || err == AX_EINVALID);
		T_EQ_INT(r.sender_identified, err == 0 ? -1 : 0);
	}
	/* deep nesting is bounded */
	struct ax_buf deep = AX_BUF_INIT;
	ax_buf_puts(&deep, "From: news@example.com\nContent-Type: text/html\n\n");
	for (int i = 0; i < 5000; i++)
		ax_buf_puts(&deep, "<div>");
	ax_buf_puts(&deep, "<a href=\"https://x/unsubscribe\">unsubscribe</a>");
	T_EQ_INT(ax_mailing_inspect(deep.ptr, deep.size, &unsub_re, NULL, &r), 0);
	ax_buf_free(&deep);
}

/* HTML libxml2 recovers from is judged and flagged; HTML it can make no
 * document of is an error with its reason, not a silent "no link". */
static void test_html_errors(void)
{
	static const char head[] = "From: news@example.com\nContent-Type: text/html\n\n";
	struct ax_mailing_report r;
	struct ax_buf m = AX_BUF_INIT;
	ax_buf_puts(&m, head);
	ax_buf_puts(&m, "<html><body><table><td>5 < 6 &nosuch; <b><i>x</b></i><a href=https://x/u>Unsubscribe</a></span>");
	T_EQ_INT(ax_mailing_inspect(m.ptr, m.size, &unsub_re, NULL, &r), 0);
	T_EQ_INT(r.html_recovered, 1);
	T_EQ_INT(r.unsubscribe_link, 1);
	ax_buf_clear(&m);
	ax_buf_puts(&m, head);
	ax_buf_puts(&m, "<html><body><p><a href=\"https://x/u\">Unsubscribe</a></p></body></html>");
	T_EQ_INT(ax_mailing_inspect(m.ptr, m.size, &unsub_re, NULL, &r), 0);
	T_EQ_INT(r.html_recovered, 0);
	ax_buf_clear(&m);
	ax_buf_puts(&m, head);
	for (int i = 0; i < 64; i++)
		ax_buf_putc(&m, '\0');
	T_EQ_INT(ax_mailing_inspect(m.ptr, m.size, &unsub_re, NULL, &r), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "HTML part is not readable HTML");
	/* an empty HTML part shows nothing, and is no error */
	ax_buf_clear(&m);
	ax_buf_puts(&m, head);
	ax_buf_puts(&m, "  \n");
	T_EQ_INT(ax_mailing_inspect(m.ptr, m.size, &unsub_re, NULL, &r), 0);
	T_EQ_INT(r.has_html, 0);
	ax_buf_free(&m);
}

static void test_probe(void)
{
	char *dir = ax_asprintf("%s/tests/fixtures/leads/eml", getenv("ANNEXA_SRC"));
	char *good = ax_asprintf("%s/good.eml", dir);
	struct ax_evidence ev = {0};
	struct ax_kv opts[] = {{(char *)"path", good}, {(char *)"sender-pattern", (char *)"Example Mail GmbH"}};
	struct ax_probe_instance inst = {.name = (char *)"mails", .type = &probe_mailing, .opts = opts, .nopts = 2};
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 1800000000, &ev), 0);
	T_EQ_INT(ev.nresults, 5);
	for (size_t i = 0; i < ev.nresults; i++)
		T_EQ_INT(ev.results[i].status, AX_CHECK_PASS);
	ax_evidence_free(&ev);

	/* the whole folder: broken.eml makes every check `error`, naming it */
	opts[0].value = dir;
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 1800000000, &ev), 0);
	const struct ax_result *r = t_need_result(&ev, "mailing.list_unsubscribe");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_ERROR);
	T_CONTAINS(r ? r->message : NULL, "broken.eml: not a MIME message");
	ax_evidence_free(&ev);

	/* without the broken one (max-messages after sorting: broken.eml is first) */
	struct ax_kv opts2[] = {{(char *)"path", ax_asprintf("%s/hidden-link.eml", dir)},
				{(char *)"path", ax_asprintf("%s/http-only.eml", dir)},
				{(char *)"path", ax_asprintf("%s/mailto-only.eml", dir)},
				{(char *)"path", good}};
	struct ax_probe_instance inst2 = {.name = (char *)"mails", .type = &probe_mailing, .opts = opts2, .nopts = 4};
	T_EQ_INT(ax_probe_run_inline(&inst2, NULL, 0, NULL, 1800000000, &ev), 0);
	r = t_need_result(&ev, "mailing.list_unsubscribe");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_FAIL);
	T_CONTAINS(r ? r->message : NULL, "2 of 4 message(s)");
	T_CONTAINS(r ? r->observed : NULL, "hidden-link.eml");
	r = t_need_result(&ev, "mailing.one_click");
	T_CONTAINS(r ? r->message : NULL, "3 of 4 message(s)");
	r = t_need_result(&ev, "mailing.dkim_covers_unsubscribe");
	T_CONTAINS(r ? r->message : NULL, "2 of 4 message(s)");
	r = t_need_result(&ev, "mailing.unsubscribe_link");
	T_CONTAINS(r ? r->message : NULL, "1 of 4 message(s)");
	r = t_need_result(&ev, "mailing.sender_identification");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_SKIP);
	ax_evidence_free(&ev);
	for (int i = 0; i < 3; i++)
		free(opts2[i].value);
	free(good);
	free(dir);
}

int main(void)
{
	regcomp(&unsub_re, "unsubscribe|abmelden|abbestellen|opt-?out", REG_EXTENDED | REG_ICASE | REG_NOSUB);
	regcomp(&sender_re, "Example Mail GmbH", REG_EXTENDED | REG_ICASE | REG_NOSUB);
	test_messages();
	test_malformed();
	test_html_errors();
	test_probe();
	regfree(&unsub_re);
	regfree(&sender_re);
	return t_done();
}
