/* test_report.c - report.html: the escaper (markup, quotes, ampersands,
 * invalid UTF-8, control characters), a golden file of a fixed export
 * (tests/golden/report.html; ANNEXA_UPDATE_GOLDEN=1 rewrites it), what a
 * reader checks in it (statuses, justification, evidence links, pass
 * shares, manual evidence and the expiring list), no external URL or script, and a DOM count of the 93 control
 * rows of a real-catalog build (libxml2's HTML parser). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "report_fixture.h"
#include "util.h"

static void test_escape(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"<script>alert(\"x\")</script>", "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"},
		{"a & b 'c' &amp;", "a &amp; b &#39;c&#39; &amp;amp;"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"},
		{"\xff\xfe ok", "\xef\xbf\xbd\xef\xbf\xbd ok"},
		{"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
		{"surrogate \xed\xa0\x80!", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!"},
		{"truncated \xe2\x82", "truncated \xef\xbf\xbd\xef\xbf\xbd"},
		{"beyond \xf4\x90\x80\x80", "beyond \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"ctl \x01\x1b[31m\x7f \xc2\x85", "ctl \xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd \xef\xbf\xbd"},
		{"line\nbreak\ttab", "line\nbreak\ttab"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_buf b = AX_BUF_INIT;
		ax_html_escape(&b, cases[i].in);
		T_EQ_STR(ax_buf_cstr(&b), cases[i].want);
		ax_buf_free(&b);
	}
	struct ax_buf b = AX_BUF_INIT;
	ax_html_escape(&b, NULL);
	T_EQ_INT(b.size, 0);
	ax_text_clean(&b, "a\tb\nc\r", 1);
	T_EQ_STR(ax_buf_cstr(&b), "a b c\xef\xbf\xbd");
	ax_buf_free(&b);
	T_OK(ax_report_local_href("evidence/a/b.txt"));
	T_OK(!ax_report_local_href("https://evil.example/x"));
	T_OK(!ax_report_local_href("evidence/../../etc/passwd"));
	T_OK(!ax_report_local_href("evidence/a b"));
	T_OK(!ax_report_local_href("evidence/javascript:x"));
	T_OK(!ax_report_local_href(NULL));
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* What must never be in a self-contained report. */
static void assert_no_external(const char *html)
{
	static const char *bad[] = {"<script ", "<script src", "src=", "url(", "@import", "href=\"http", "href=\"//",
				    "href='http", "<link", "<iframe", "<object", "<embed", "javascript:"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_checks++;
		if (strstr(html, bad[i]))
			t_fail(__FILE__, __LINE__, "report contains \"%s\"", bad[i]);
	}
	/* one script, the filter's own, at the end: it loads nothing */
	T_EQ_INT(count(html, "<script"), 1);
	T_CONTAINS(html, "f.hidden=false;run();})();</script>\n</body>");
	T_CONTAINS(html, "<form id=\"filter\" hidden>");
}

static void test_fixture_content(const char *html)
{
	T_EQ_INT(count(html, "<tr class=\"control\""), FX_NCONTROLS);
	T_CONTAINS(html, "<tr class=\"control\" id=\"A.8.15\" data-status=\"fail\">");
	T_CONTAINS(html, "<tr class=\"control\" id=\"A.5.15\" data-status=\"pass\">");
	T_CONTAINS(html, "<tr class=\"control\" id=\"A.8.24\" data-status=\"stale\">");
	T_CONTAINS(html, "<tr class=\"control\" id=\"A.8.20\" data-status=\"not_covered\">");
	T_CONTAINS(html, "<section id=\"theme-People\">");
	T_CONTAINS(html, "<section id=\"theme-Physical\">");
	/* the change since the previous period: counts that moved, signed */
	T_CONTAINS(html, "<p class=\"change\">Since the previous period (");
	T_CONTAINS(html, "<span class=\"delta\" data-status=\"pass\">passing -1</span>, <span class=\"delta\" "
			 "data-status=\"error\">erroring +1</span>.</p>");
	/* status as text, not only colour */
	T_CONTAINS(html, "<span class=\"status s-fail\">fail</span>");
	T_CONTAINS(html, "<span class=\"status s-pass\">pass (stale)</span>");
	/* hostile probe text arrives escaped */
	T_EQ_INT(count(html, "<script>"), 1); /* the filter's; probe text stays text */
	T_OK(!strstr(html, "<b>.txt"));
	T_CONTAINS(html, "mode 0644 &gt; 0640 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;");
	T_CONTAINS(html, "\xef\xbf\xbd\xef\xbf\xbd end");
	T_CONTAINS(html, "Not applicable: Staff are &lt;contractors&gt; &amp; trained by &quot;Acme&quot;");
	T_CONTAINS(html, "Example Mail &lt;GmbH&gt; &amp; Co");
	/* evidence links are relative, and a non-local path is never linked */
	T_CONTAINS(html, "<a href=\"evidence/maillog/mail.log\">mail.log</a>");
	T_CONTAINS(html, "<a href=\"evidence/mx-tls/handshake__b_.txt\">handshake &lt;b&gt;.txt</a>");
	T_OK(!strstr(html, "href=\"https://evil"));
	/* period shares: A.8.15 1 of 2, A.8.24 2 of 2, A.8.9 0 of 1, manual n/a */
	T_CONTAINS(html, "50%<br><span class=\"when\">passing 60 min of 2.0 h; 2 runs, 2 changes</span>");
	T_CONTAINS(html, "100%<br><span class=\"when\">passing 2.0 h of 2.0 h; 2 runs, 1 change</span>");
	T_CONTAINS(html, "0%<br><span class=\"when\">passing 0 min of 60 min; 1 run, 1 change</span>");
	T_CONTAINS(html, "n/a<br><span class=\"when\">no run evaluated it</span>");
	T_CONTAINS(html, "No automated check at this site");
	T_CONTAINS(html, "Mapped checks have not reported yet. Mapped: <code>net.firewall.*</code>, "
			 "<code>net.&lt;segment&gt;</code></p>");
	/* header: period, generated_at, ledger head */
	T_CONTAINS(html, "<time datetime=\"2026-11-16T03:33:20Z\">");
	T_CONTAINS(html, "run #8, hash <code>eeeeeeee");
	T_CONTAINS(html, "collected <time datetime=\"2026-11-18T11:05:50Z\">");
	T_CONTAINS(html, "@media print");
	assert_no_external(html);
	/* manual evidence: per control, files linked under that control */
	T_CONTAINS(html, "<tr class=\"control\" id=\"A.5.10\" data-status=\"pass\">");
	T_EQ_INT(count(html, "<tr class=\"manual-item\""), 3); /* M-1, M-2 under A.5.10; M-2 under A.8.24 */
	T_CONTAINS(html, "<tr class=\"manual-item\" data-state=\"approved\"><td><code>M-1</code></td><td>"
			 "<a href=\"evidence/manual/M-1-policy.pdf\">policy.pdf</a>, "
			 "<a href=\"evidence/manual/M-1-annex_1.txt\">annex+1.txt</a></td>");
	T_CONTAINS(html, "<a href=\"evidence/manual/M-2-old-policy.pdf\">old-policy.pdf</a>");
	T_CONTAINS(html, "<td>ISMS &lt;owner&gt;</td>");
	T_CONTAINS(html, "<span class=\"status s-revoked\">revoked</span>");
	T_CONTAINS(html, "revoked by carol: superseded by &lt;M-1&gt;");
	T_CONTAINS(html, "attached by alice, approved by bob");
	T_CONTAINS(html, "<td><time datetime=\"2026-11-28T11:06:40Z\">"); /* M-1 expires FX_NOW + 10d */
	/* the expiring list: M-1 within 30 days */
	T_CONTAINS(html, "<section id=\"expiring\">");
	T_EQ_INT(count(html, "<tr class=\"expiring-item\">"), 1);
	T_CONTAINS(html, "<a href=\"#A.5.10\">A.5.10</a></td><td><code>M-1</code>");
	/* first screen: the figure, then fail, error, stale with reason and
	 * owner, before any control row */
	T_CONTAINS(html, "<b>9 controls:</b> <span class=\"status s-pass\">2 passing</span>");
	T_CONTAINS(html, "<span class=\"status s-not_applicable\">2 excluded</span>");
	const char *fail = strstr(html, "<tr class=\"attention-item\" data-status=\"fail\"><td><a href=\"#A.8.15\">");
	const char *err = strstr(html, "<tr class=\"attention-item\" data-status=\"error\"><td><a href=\"#A.8.9\">");
	const char *stale = strstr(html, "<tr class=\"attention-item\" data-status=\"stale\"><td><a href=\"#A.8.24\">");
	const char *row = strstr(html, "<tr class=\"control\"");
	T_OK(fail && err && stale && row && fail < err && err < stale && stale < row);
	T_EQ_INT(count(html, "<tr class=\"attention-item\""), 3);
	T_CONTAINS(html, "<td>Mail &lt;ops&gt;</td></tr>");         /* A.8.15's owner in the attention table */
	T_CONTAINS(html, "<span class=\"owner\">owner: Mail &lt;ops&gt;</span>"); /* and in its row */
	T_CONTAINS(html, "<nav id=\"toc\">");
	T_CONTAINS(html, "<a href=\"#theme-Technological\">Technological controls</a> (4: 0 passing, 3 needing attention)");
	/* passing and manual controls fold their checks; failing ones do not */
	T_CONTAINS(html, "<td class=\"st\"><span class=\"status s-pass\">pass</span></td>\n<td><details><summary>2 checks</summary>");
	T_CONTAINS(html, "<td class=\"st\"><span class=\"status s-fail\">fail</span></td>\n<td><ul class=\"checks\">");
	T_CONTAINS(html, "@page{size:A4");
	/* a failing check says how to fix it */
	T_CONTAINS(html, "<span class=\"fix\">Fix: chmod the file to mode-max or narrower (e.g. chmod 0640 PATH)</span>");
	/* the period drawn: A.8.15's strip (2 pass, 2 fail slices) and the
	 * Technological theme's share passing per slice (A.8.15 alone) */
	T_CONTAINS(html, "<svg class=\"strip\" width=\"96\" height=\"10\" viewBox=\"0 0 96 10\" role=\"img\">"
			 "<title>state over the period, 24 slices oldest first: pass 2 fail 2 not evaluated 20</title>");
	T_CONTAINS(html, "<rect x=\"92\" width=\"3\" height=\"10\" fill=\"#c0392b\"/></svg>");
	T_CONTAINS(html, "<title>Technological: share passing per slice: - - - - - - - - - - - - - - - - - - - - 100% "
			 "100% 0% 0%</title>");
	T_CONTAINS(html, "<span class=\"when\">0 of 1 passing at the end</span>");
	T_CONTAINS(html, "<title>Organizational: share passing per slice:");
	T_OK(strstr(html, "<title>People:") == NULL); /* nothing evaluated there */
}

/* Three or more checks of one instance that ended alike are one line;
 * two stay two. */
static void test_repeated(void)
{
	struct fx f;
	struct ax_evidence e = {0};
	struct ax_buf out = AX_BUF_INIT;
	fx_build(&f);
	const char *checks[] = {"tls.version", "tls.cipher", "tls.cert.expiry", "tls.cert.chain", "tls.ocsp"};
	for (size_t i = 0; i < 5; i++)
		ax_evidence_add_result(&e, i < 3 ? "mx-smtp-tls" : "imap-tls", "tls", checks[i], AX_CHECK_ERROR,
				       "cannot connect to 127.0.0.1:25: Connection refused", NULL, FX_NOW - 10);
	struct ax_check_row rows[5];
	for (size_t i = 0; i < 5; i++)
		rows[i] = (struct ax_check_row){&e.results[i], 0};
	f.cs[4].rows = rows;
	f.cs[4].nrows = 5;
	T_EQ_INT(ax_report_html(&f.d, &out), 0);
	const char *html = ax_buf_cstr(&out);
	T_CONTAINS(html, "<li class=\"repeated\" data-count=\"3\" data-instance=\"mx-smtp-tls\"><span class=\"status "
			 "s-error\">error</span> "
			 "<code>mx-smtp-tls</code>: 3 checks error: cannot connect to 127.0.0.1:25: Connection refused");
	T_CONTAINS(html, "checks: <code>tls.version</code>, <code>tls.cipher</code>, <code>tls.cert.expiry</code>");
	T_EQ_INT(count(html, "<li class=\"repeated\""), 1);
	T_EQ_INT(count(html, "<code>imap-tls</code> <code>tls."), 2);
	/* the attention line names the first erroring check and the rest */
	T_CONTAINS(html, "<code>mx-smtp-tls</code> <code>tls.version</code>: cannot connect to 127.0.0.1:25: Connection "
			 "refused <span class=\"when\">(and 4 more)</span>");
	ax_buf_free(&out);
	ax_evidence_free(&e);
	fx_free(&f);

	/* outside a bundle (report -o FILE) links lead beside the report;
	 * a path that could leave it is still never linked */
	fx_build(&f);
	f.d.evidence_href = "my%20report.html.evidence/";
	T_EQ_INT(ax_report_html(&f.d, &out), 0);
	html = ax_buf_cstr(&out);
	T_CONTAINS(html, "<a href=\"my%20report.html.evidence/maillog/mail.log\">mail.log</a>");
	T_CONTAINS(html, "<a href=\"my%20report.html.evidence/manual/M-1-policy.pdf\">policy.pdf</a>");
	T_OK(!strstr(html, "href=\"evidence/"));
	T_OK(!strstr(html, "href=\"https://evil"));
	ax_buf_free(&out);
	fx_free(&f);
}

/* The confinement table: each instance's newest sandbox.txt of the
 * period, read from the store; an unconfined run ("none") is marked, an
 * older one of the same instance is not shown; no store, no table. */
static void test_confinement(void)
{
	static const struct {
		const char *instance, *data;
		int64_t run;
	} sb[] = {
		{"mx-tls", "landlock-v7+seccomp user=annexa-probe\n", 7},
		{"mx-tls", "none\n", 8},
		{"maillog", "seccomp\n", 8},
	};
	struct fx f;
	struct ax_buf out = AX_BUF_INIT;
	struct ax_evidence ev = {0};
	struct ax_export_artifact arts[6];
	char *path = ax_asprintf("%s/confinement.db", t_tmpdir());
	struct ax_store *s = NULL;
	fx_build(&f);
	T_EQ_INT(ax_report_html(&f.d, &out), 0);
	T_OK(!strstr(ax_buf_cstr(&out), "id=\"confinement\""));
	T_EQ_INT(ax_store_open(&s, path), 0);
	memcpy(arts, f.d.artifacts, 3 * sizeof(arts[0]));
	for (size_t i = 0; i < 3; i++) {
		ax_evidence_clear(&ev);
		ax_evidence_add_result(&ev, sb[i].instance, "t", "c", AX_CHECK_PASS, "m", NULL, (int64_t)i + 1);
		ax_evidence_add_artifact(&ev, sb[i].instance, "sandbox.txt", "text/plain", sb[i].data, strlen(sb[i].data));
		T_EQ_INT(ax_store_commit_run(s, "collect", (int64_t)i + 1, (int64_t)i + 1, &ev, NULL), 0);
		arts[3 + i] = (struct ax_export_artifact){(char *)sb[i].instance, (char *)"sandbox.txt", (char *)"text/plain",
							  "", 0, (char *)"evidence/x/sandbox.txt", sb[i].run};
		memcpy(arts[3 + i].sha256, ev.artifacts[0].sha256, 65);
	}
	f.d.artifacts = arts;
	f.d.nartifacts = 6;
	f.d.store = s;
	ax_buf_clear(&out);
	T_EQ_INT(ax_report_html(&f.d, &out), 0);
	const char *html = ax_buf_cstr(&out);
	T_CONTAINS(html, "<tr class=\"sandbox-item\" data-sandbox=\"none\"><td>mx-tls</td><td><code>none</code> "
			 "<span class=\"status s-fail\">unconfined</span></td></tr>");
	T_CONTAINS(html, "<tr class=\"sandbox-item\" data-sandbox=\"confined\"><td>maillog</td><td><code>seccomp</code>"
			 "</td></tr>");
	T_OK(!strstr(html, "user=annexa-probe"));
	T_EQ_INT(count(html, "class=\"sandbox-item\""), 2);
	ax_store_free(s);
	ax_evidence_free(&ev);
	ax_buf_free(&out);
	free(path);
	fx_free(&f);
}

static void test_golden(void)
{
	struct fx f;
	struct ax_buf a = AX_BUF_INIT, b = AX_BUF_INIT, want = AX_BUF_INIT;
	fx_build(&f);
	T_EQ_INT(ax_report_html(&f.d, &a), 0);
	T_EQ_INT(ax_report_html(&f.d, &b), 0);
	T_OK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0); /* deterministic */
	test_fixture_content(ax_buf_cstr(&a));

	const char *src = getenv("ANNEXA_SRC");
	char *path = ax_asprintf("%s/tests/golden/report.html", src ? src : ANNEXA_SOURCE_DIR);
	const char *upd = getenv("ANNEXA_UPDATE_GOLDEN");
	if (upd && *upd && strcmp(upd, "0") != 0) {
		T_EQ_INT(ax_file_write_atomic(path, a.ptr, a.size, 0644), 0);
		fprintf(stderr, "rewrote %s\n", path);
	}
	int rc = ax_file_read(path, 1 << 24, &want);
	T_EQ_INT(rc, 0);
	t_checks++;
	if (rc == 0 && (want.size != a.size || memcmp(want.ptr, a.ptr, a.size) != 0)) {
		char *got = ax_asprintf("%s/report.html", t_tmpdir());
		ax_file_write_atomic(got, a.ptr, a.size, 0644);
		t_fail(__FILE__, __LINE__, "report differs from %s: diff it with %s (ANNEXA_UPDATE_GOLDEN=1 rewrites)",
		       path, got);
		free(got);
	}
	free(path);
	ax_buf_free(&a);
	ax_buf_free(&b);
	ax_buf_free(&want);
	fx_free(&f);
}

static int xpath_count(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	int n = -1;
	if (o && o->type == XPATH_NODESET)
		n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	else if (o && o->type == XPATH_NUMBER)
		n = (int)o->floatval;
	xmlXPathFreeObject(o);
	return n;
}

static void test_real_catalog(void)
{
	struct fx_real r;
	struct ax_buf html = AX_BUF_INIT;
	T_EQ_INT(fx_real_build(&r), 0);
	if (!r.d.status) {
		fprintf(stderr, "%s\n", ax_error_last());
		fx_real_free(&r);
		return;
	}
	T_EQ_INT(ax_report_html(&r.d, &html), 0);
	assert_no_external(ax_buf_cstr(&html));
	htmlDocPtr doc = htmlReadMemory(html.ptr, (int)html.size, "report.html", "UTF-8",
					HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	T_OK(doc != NULL);
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	if (ctx) {
		T_EQ_INT(xpath_count(ctx, "//tr[@class='control']"), 93);
		T_EQ_INT(xpath_count(ctx, "//tr[@class='control' and @id='A.5.1']"), 1);
		T_EQ_INT(xpath_count(ctx, "//tr[@class='control' and @id='A.8.34']"), 1);
		T_EQ_INT(xpath_count(ctx, "//tr[@id='A.7.4' and @data-status='not_applicable']"), 1);
		T_EQ_INT(xpath_count(ctx, "//tr[@id='A.8.3' and @data-status='fail']"), 1);
		/* its checks pass, but the coverage statement's needs are open */
		T_EQ_INT(xpath_count(ctx, "//tr[@id='A.8.9' and @data-status='partial']"), 1);
		T_EQ_INT(xpath_count(ctx, "//tr[@id='A.8.9']//li[@class='need' and @data-need='A.8.9:baselines']"), 1);
		T_EQ_INT(xpath_count(ctx, "//tr[@class='control' and @data-status='manual']"),
			 r.d.status->counts[AX_CTL_MANUAL]);
		T_EQ_INT(xpath_count(ctx, "//section[starts-with(@id,'theme-')]"), 4);
		T_EQ_INT(xpath_count(ctx, "//section[@id='theme-Organizational']//tr[@class='control']"), 37);
		T_EQ_INT(xpath_count(ctx, "//section[@id='theme-People']//tr[@class='control']"), 8);
		T_EQ_INT(xpath_count(ctx, "//section[@id='theme-Physical']//tr[@class='control']"), 14);
		T_EQ_INT(xpath_count(ctx, "//section[@id='theme-Technological']//tr[@class='control']"), 34);
		T_EQ_INT(xpath_count(ctx, "//tr[@class='control']/th[@scope='row']"), 93);
		T_EQ_INT(xpath_count(ctx, "//script"), 1); /* the filter, no src */
		T_EQ_INT(xpath_count(ctx, "//*[@src]"), 0);
		T_EQ_INT(xpath_count(ctx, "//a[contains(@href,':')]"), 0);
		xmlXPathFreeContext(ctx);
	}
	if (doc)
		xmlFreeDoc(doc);
	ax_buf_free(&html);
	fx_real_free(&r);
}

static void test_bad_input(void)
{
	struct ax_buf out = AX_BUF_INIT;
	struct ax_export_data d;
	memset(&d, 0, sizeof(d));
	T_EQ_INT(ax_report_html(&d, &out), AX_EINVALID);
	T_EQ_INT(ax_report_html(NULL, &out), AX_EINVALID);
	/* an empty period still gives a complete document */
	struct fx f;
	fx_build(&f);
	f.d.nruns = 0;
	f.d.nlinks = 0;
	f.d.result_run = NULL;
	f.d.period = NULL;
	f.d.since = f.d.until = 0;
	f.d.have_store_head = 0;
	f.d.nmfiles = 0; /* manual files then have no bundle path: shown, not linked */
	f.st.nexpiring = 0;
	T_EQ_INT(ax_report_html(&f.d, &out), 0);
	T_CONTAINS(ax_buf_cstr(&out), "first stored run to export time (0 runs)");
	T_CONTAINS(ax_buf_cstr(&out), "no run in the period");
	T_CONTAINS(ax_buf_cstr(&out), "</html>\n");
	T_OK(!strstr(ax_buf_cstr(&out), "<a href=\"evidence/")); /* nothing to link but the page itself */
	ax_buf_free(&out);
	fx_free(&f);
}

int main(void)
{
	test_escape();
	test_golden();
	test_confinement();
	test_repeated();
	test_real_catalog();
	test_bad_input();
	return t_done();
}
