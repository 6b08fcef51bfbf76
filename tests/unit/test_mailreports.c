/* test_mailreports.c - the report parsers on the RFC 8460 example and a
 * report in RFC 7489 appendix C's schema, the same reports gzipped and
 * zipped, malformed, truncated and oversized inputs (errors, never
 * crashes), then the `mailreports` probe over a Maildir of report messages
 * built here: duplicates counted once, thresholds, an unreadable report
 * named. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "evidence.h"
#include "mailreports_parse.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_mailreports;

static void slurp(const char *rel, struct ax_buf *out)
{
	char *path = ax_asprintf("%s/tests/%s", getenv("ANNEXA_SRC"), rel);
	ax_buf_clear(out);
	T_EQ_INT(ax_file_read(path, 1 << 20, out), 0);
	free(path);
}

static uint64_t count_of(const struct mr_report *r, const char *key)
{
	for (size_t i = 0; i < r->ncounts; i++)
		if (strcmp(r->counts[i].key, key) == 0)
			return r->counts[i].count;
	return 0;
}

static void test_parse(void)
{
	struct ax_buf b = AX_BUF_INIT;
	struct mr_report r;
	static const char *const tls[] = {"fixtures/mailreports/tlsrpt-rfc8460.json", "fuzz/corpus/mailreports/tlsrpt.json.gz"};
	for (size_t i = 0; i < 2; i++) {
		slurp(tls[i], &b);
		T_OK(mr_looks_like_report(b.ptr, b.size));
		T_EQ_INT(mr_report_parse(b.ptr, b.size, 1 << 20, &r), 0);
		T_EQ_INT(r.kind, MR_TLSRPT);
		T_EQ_STR(r.org, "Company-X");
		T_EQ_STR(r.domain, "company-y.example");
		T_EQ_INT(r.begin, 1459468800);
		T_EQ_INT(r.end, 1459468800 + 86399);
		T_EQ_INT(r.pass, 5326);
		T_EQ_INT(r.fail, 303);
		T_EQ_INT(count_of(&r, "certificate-expired"), 100);
		T_EQ_INT(count_of(&r, "starttls-not-supported"), 200);
		T_EQ_INT(count_of(&r, "validation-failure"), 3);
		mr_report_free(&r);
	}
	static const char *const dmarc[] = {"fixtures/mailreports/dmarc-rfc7489.xml", "fuzz/corpus/mailreports/dmarc.xml.gz",
					    "fuzz/corpus/mailreports/dmarc.zip"};
	for (size_t i = 0; i < 3; i++) {
		slurp(dmarc[i], &b);
		T_EQ_INT(mr_report_parse(b.ptr, b.size, 1 << 20, &r), 0);
		T_EQ_INT(r.kind, MR_DMARC);
		T_EQ_STR(r.org, "receiver.example");
		T_EQ_STR(r.report_id, "9391651994964116463");
		T_EQ_STR(r.domain, "company-y.example");
		T_EQ_INT(r.begin, 1335571200);
		T_EQ_INT(r.end, 1335657599);
		T_EQ_INT(r.pass, 42); /* DKIM or SPF aligned and passing */
		T_EQ_INT(r.fail, 3);
		T_EQ_INT(r.ncounts, 1);
		T_EQ_INT(count_of(&r, "203.0.113.99"), 3);
		mr_report_free(&r);
	}
	/* oversized once decompressed: an error, not a truncated parse */
	slurp("fuzz/corpus/mailreports/dmarc.xml.gz", &b);
	T_EQ_INT(mr_report_parse(b.ptr, b.size, 200, &r), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "larger than 200 bytes");
	slurp("fuzz/corpus/mailreports/dmarc.zip", &b);
	T_EQ_INT(mr_report_parse(b.ptr, b.size, 200, &r), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "larger than 200 bytes");
	slurp("fuzz/corpus/mailreports/truncated.gz", &b);
	T_EQ_INT(mr_report_parse(b.ptr, b.size, 1 << 20, &r), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "gzip");
	ax_buf_free(&b);

	static const struct {
		const char *in, *err;
	} bad[] = {
		{"", "neither"},
		{"hello", "neither"},
		{"<html/>", "no <feedback> root"},
		{"<feedback><report_metadata><org_name>x</org_name></report_metadata></feedback>", "date_range"},
		{"<feedback><report_metadata><org_name>x</org_name><date_range><begin>5</begin><end>4</end></date_range>"
		 "</report_metadata><policy_published><domain>d</domain></policy_published></feedback>", "date_range"},
		{"<feedback><report_metadata><org_name>x</org_name><date_range><begin>1</begin><end>4</end></date_range>"
		 "</report_metadata><policy_published><domain>d</domain></policy_published>"
		 "<record><row><count>-3</count></row></record></feedback>", "count is not a number"},
		{"<feedback><report_metadata><org_name>x</org_name><date_range><begin>1</begin><end>4</end></date_range>"
		 "</report_metadata><policy_published><domain>d</domain></policy_published>"
		 "<record><row><count>18446744073709551615</count></row></record>"
		 "<record><row><count>1</count></row></record></feedback>", "overflow"},
		{"<feedback><unclosed>", "no <feedback> root"},
		{"{", "not a TLS report"},
		{"{\"organization-name\":\"x\"}", "missing"},
		{"{\"organization-name\":\"x\",\"date-range\":{\"start-datetime\":\"yesterday\",\"end-datetime\":\"2016-04-01T00:00:00Z\"},"
		 "\"policies\":[]}", "date-range"},
		{"{\"organization-name\":\"x\",\"date-range\":{\"start-datetime\":\"2016-04-01T00:00:00Z\",\"end-datetime\":"
		 "\"2016-04-01T00:00:00Z\"},\"policies\":[{\"policy\":{\"policy-domain\":\"a\"},\"summary\":"
		 "{\"total-failure-session-count\":-1}}]}", "not a count"},
		{"{\"organization-name\":\"x\",\"date-range\":{\"start-datetime\":\"2016-04-01T00:00:00Z\",\"end-datetime\":"
		 "\"2016-04-01T00:00:00Z\"},\"policies\":[{\"summary\":{}}]}", "policy-domain"},
		{"PK\3\4garbage", "zip"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(mr_report_parse(bad[i].in, strlen(bad[i].in), 1 << 20, &r), AX_EINVALID);
		T_CONTAINS(ax_error_last(), bad[i].err);
		T_OK(r.org == NULL && r.ncounts == 0);
	}
}

/* A report message as receivers send them: text, then the report attached. */
static void write_message(const char *path, const char *type, const char *name, const char *fixture)
{
	struct ax_buf att = AX_BUF_INIT, msg = AX_BUF_INIT;
	slurp(fixture, &att);
	char *b64 = ax_malloc(att.size * 2 + 8);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)att.ptr, (int)att.size);
	ax_buf_printf(&msg,
		      "From: noreply-dmarc@receiver.example\r\nTo: dmarc-reports@company-y.example\r\n"
		      "Subject: Report Domain: company-y.example\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
		      "--b1\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate report.\r\n"
		      "--b1\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
		      "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
		      type, name);
	size_t n = strlen(b64);
	for (size_t i = 0; i < n; i += 76)
		ax_buf_printf(&msg, "%.76s\r\n", b64 + i);
	ax_buf_puts(&msg, "--b1--\r\n");
	T_EQ_INT(ax_file_write_atomic(path, msg.ptr, msg.size, 0644), 0);
	free(b64);
	ax_buf_free(&att);
	ax_buf_free(&msg);
}

static const struct ax_result *result_of(const struct ax_evidence *ev, const char *check)
{
	for (size_t i = 0; i < ev->nresults; i++)
		if (strcmp(ev->results[i].check, check) == 0)
			return &ev->results[i];
	return NULL;
}

static void test_probe(void)
{
	char *md = ax_asprintf("%s/Maildir", t_tmpdir());
	char *sub[3] = {ax_asprintf("%s/cur", md), ax_asprintf("%s/new", md), ax_asprintf("%s/tmp", md)};
	mkdir(md, 0700);
	for (int i = 0; i < 3; i++)
		mkdir(sub[i], 0700);
	char *m1 = ax_asprintf("%s/1.eml", sub[0]), *m2 = ax_asprintf("%s/2.eml", sub[1]), *m3 = ax_asprintf("%s/3.eml", sub[1]);
	write_message(m1, "application/gzip", "receiver.example!company-y.example!1335571200!1335657599.xml.gz",
		      "fuzz/corpus/mailreports/dmarc.xml.gz");
	/* the same report again, zipped: counted once */
	write_message(m2, "application/zip", "receiver.example!company-y.example!1335571200!1335657599.zip",
		      "fuzz/corpus/mailreports/dmarc.zip");
	write_message(m3, "application/tlsrpt+gzip", "company-x.example!company-y.example!1459468800!1459555199.json.gz",
		      "fuzz/corpus/mailreports/tlsrpt.json.gz");
	char *broken = ax_asprintf("%s/tests/fuzz/corpus/mailreports/truncated.gz", getenv("ANNEXA_SRC"));
	struct ax_kv opts[] = {{(char *)"path", md}, {(char *)"window", (char *)"3650d"}, {(char *)"path", broken},
			       {(char *)"tls-max-fail-percent", (char *)"5"}};
	struct ax_probe_instance inst = {.name = (char *)"reports", .type = &probe_mailreports, .opts = opts, .nopts = 3};
	struct ax_evidence ev = {0};
	const int64_t now = 1459600000;
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, now, &ev), 0);
	const struct ax_result *r = result_of(&ev, "mailreports.received");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_PASS);
	T_CONTAINS(r ? r->message : NULL, "1 DMARC report(s) over 1 day(s)");
	r = result_of(&ev, "mailreports.dmarc");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_FAIL); /* 3 of 45 = 6.67% > 5% */
	T_CONTAINS(r ? r->message : NULL, "3 of 45 messages failed (6.67%");
	T_CONTAINS(r ? r->observed : NULL, "203.0.113.99");
	r = result_of(&ev, "mailreports.tlsrpt");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_FAIL); /* 303 of 5629 = 5.38% */
	T_CONTAINS(r ? r->observed : NULL, "starttls-not-supported");
	r = result_of(&ev, "mailreports.readable");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_FAIL);
	T_CONTAINS(r ? r->message : NULL, "truncated.gz");
	T_EQ_INT(ev.nartifacts, 1);
	ax_evidence_free(&ev);

	/* thresholds met, the broken file left out */
	opts[0].value = md;
	opts[2].key = (char *)"dmarc-max-fail-percent";
	opts[2].value = (char *)"7";
	opts[3].value = (char *)"6";
	inst.nopts = 4;
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, now, &ev), 0);
	for (size_t i = 0; i < ev.nresults; i++) {
		T_EQ_INT(ev.results[i].status, AX_CHECK_PASS);
		if (ev.results[i].status != AX_CHECK_PASS)
			fprintf(stderr, "%s: %s\n", ev.results[i].check, ev.results[i].message);
	}
	T_EQ_INT(ev.nresults, 4);
	ax_evidence_free(&ev);

	/* the window: reports from 2012 and 2016 are too old for a year later */
	opts[1].value = (char *)"31d";
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, now + 365 * 86400, &ev), 0);
	r = result_of(&ev, "mailreports.received");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_FAIL);
	r = result_of(&ev, "mailreports.tlsrpt");
	T_EQ_INT(r ? r->status : 99, AX_CHECK_SKIP);
	ax_evidence_free(&ev);

	free(broken);
	free(m1);
	free(m2);
	free(m3);
	for (int i = 0; i < 3; i++)
		free(sub[i]);
	free(md);
}

int main(void)
{
	test_parse();
	test_probe();
	return t_done();
}
