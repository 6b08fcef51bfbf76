/* test_accesslog.c - the accesslog probe over log fixtures in the exact
 * formats sshd, Postfix, Dovecot and nginx write (tests/fixtures/logs/):
 * check statuses and counts as a user reads them, rotations (one gzipped)
 * dated by their first line, user names only as pseudonyms in evidence,
 * permissions, missing and corrupt files. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <zlib.h>

#include "config.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_accesslog;
static int64_t now;

static char *fixture_copy(const char *name, const char *as, const char *mtime, int gzip, unsigned mode)
{
	struct ax_buf b = AX_BUF_INIT;
	char *src = ax_asprintf("%s/tests/fixtures/logs/%s", getenv("ANNEXA_SRC"), name);
	char *dst = ax_asprintf("%s/%s", t_tmpdir(), as);
	if (ax_file_read(src, 1 << 20, &b) < 0) {
		fprintf(stderr, "%s\n", ax_error_last());
		exit(99);
	}
	if (gzip) {
		gzFile gz = gzopen(dst, "wb");
		gzwrite(gz, b.ptr, (unsigned)b.size);
		gzclose(gz);
	} else {
		ax_file_write_atomic(dst, b.ptr, b.size, 0600);
	}
	chmod(dst, mode);
	int64_t t;
	ax_time_parse(mtime, &t);
	struct timeval tv[2] = {{(time_t)t, 0}, {(time_t)t, 0}};
	utimes(dst, tv);
	ax_buf_free(&b);
	free(src);
	return dst;
}

/* Runs the probe with opts ("key", "value", ..., NULL). */
static void run(struct ax_evidence *ev, ...)
{
	struct ax_kv kv[32];
	size_t n = 0;
	va_list ap;
	va_start(ap, ev);
	const char *k;
	while ((k = va_arg(ap, const char *)) && n < 32) {
		kv[n].key = (char *)k;
		kv[n++].value = va_arg(ap, char *);
	}
	va_end(ap);
	struct ax_probe_instance inst = {.name = "auth", .type = &probe_accesslog, .opts = kv, .nopts = n};
	ax_evidence_clear(ev);
	T_EQ_INT(ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef", 16, NULL, now, ev), 0);
}

static int has(const struct ax_evidence *ev, const char *check)
{
	for (size_t i = 0; i < ev->nresults; i++)
		if (strcmp(ev->results[i].check, check) == 0)
			return 1;
	return 0;
}

#define T_STATUS(ev, check, want) do { const struct ax_result *_r = t_need_result(ev, check); t_checks++; \
	if (_r && _r->status != (want)) t_fail(__FILE__, __LINE__, "%s is %s (%s), expected %s", check, \
		ax_check_status_name(_r->status), _r->message, ax_check_status_name(want)); } while (0)
#define T_OBS(ev, check, text) T_CONTAINS(t_need_result(ev, check) ? t_need_result(ev, check)->observed : NULL, text)

static const char *excerpt(const struct ax_evidence *ev)
{
	for (size_t i = 0; i < ev->nartifacts; i++)
		if (strcmp(ev->artifacts[i].name, "excerpt.txt") == 0)
			return ax_buf_cstr(&ev->artifacts[i].data);
	return "";
}

static void test_sshd(void)
{
	struct ax_evidence ev = {0};
	free(fixture_copy("sshd-auth.log.2", "auth.log.2.gz", "2026-08-15T06:30:00Z", 1, 0640));
	free(fixture_copy("sshd-auth.log.1", "auth.log.1", "2026-11-20T08:01:00Z", 0, 0640));
	char *cur = fixture_copy("sshd-auth.log", "auth.log", "2026-11-29T11:59:00Z", 0, 0640);
	char *glob = ax_asprintf("%s/auth.log*", t_tmpdir());
	char pseudo_root[20];

	run(&ev, "path", glob, "format", "sshd", NULL);
	T_EQ_INT(ev.nresults, 7);
	T_STATUS(&ev, "log.present", AX_CHECK_PASS);
	T_OBS(&ev, "log.present", "\"files\":3");
	T_STATUS(&ev, "log.fresh", AX_CHECK_PASS);
	T_OBS(&ev, "log.fresh", "\"newest\":\"2026-11-29T11:59:00Z\"");
	T_STATUS(&ev, "log.retention", AX_CHECK_PASS);
	T_OBS(&ev, "log.retention", "\"oldest\":\"2026-08-15T06:25:01Z\"");
	T_STATUS(&ev, "log.permissions", AX_CHECK_PASS);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_FAIL);
	T_OBS(&ev, "log.auth_failures", "\"failures\":31");
	T_OBS(&ev, "log.auth_failures", "{\"max_in_window\":25,\"source\":\"203.0.113.5\"");
	T_CONTAINS(t_need_result(&ev, "log.auth_failures")->message, "worst: 203.0.113.5 with 25");
	/* review mode lists and cannot fail: info, never pass (no A.8.2 evidence) */
	T_STATUS(&ev, "log.privileged_logins", AX_CHECK_INFO);
	T_OBS(&ev, "log.privileged_logins", "\"logins\":2,\"mode\":\"review\",\"privileged\":1");
	T_OK(!has(&ev, "log.privileged_logins.forbidden"));
	T_STATUS(&ev, "log.cleartext_auth", AX_CHECK_SKIP);
	/* evidence: pseudonyms, never the names */
	struct ax_probe_instance dummy = {.name = "x", .type = &probe_accesslog};
	struct ax_probe_sink sink = {0};
	struct ax_probe_ctx *ctx = ax_probe_ctx_new(&dummy, (const unsigned char *)"0123456789abcdef", 16, NULL, now, &sink);
	ax_probe_pseudonym(ctx, "root", pseudo_root);
	ax_probe_ctx_free(ctx);
	T_OBS(&ev, "log.privileged_logins", pseudo_root);
	T_CONTAINS(excerpt(&ev), pseudo_root);
	T_CONTAINS(excerpt(&ev), "auth.log:1: Nov 29 09:00:01 mx sshd[1201]: Accepted publickey for p:");
	T_OK(strstr(excerpt(&ev), "for root") == NULL);
	T_OK(strstr(excerpt(&ev), "invalid user admin") == NULL);
	for (size_t i = 0; i < ev.nresults; i++)
		T_OK(strstr(ev.results[i].observed, "\"root\"") == NULL);

	/* stricter limits and policies turn the same logs into failures */
	run(&ev, "path", glob, "format", "sshd", "max-failures", "30", "privileged-login", "forbid",
	    "min-retention", "200d", "max-silence", "30s", NULL);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_PASS);
	/* forbid mode tests, under its own id (the one mapped to A.8.2) */
	T_STATUS(&ev, "log.privileged_logins.forbidden", AX_CHECK_FAIL);
	T_OK(!has(&ev, "log.privileged_logins"));
	T_STATUS(&ev, "log.retention", AX_CHECK_FAIL);
	T_STATUS(&ev, "log.fresh", AX_CHECK_FAIL);
	/* a longer lookback reads the older rotations in full: their logins count too */
	run(&ev, "path", glob, "format", "sshd", "lookback", "200d", NULL);
	T_OBS(&ev, "log.privileged_logins", "\"logins\":4,\"mode\":\"review\",\"privileged\":2");

	/* world-readable log */
	chmod(cur, 0644);
	run(&ev, "path", glob, "format", "sshd", NULL);
	T_STATUS(&ev, "log.permissions", AX_CHECK_FAIL);
	T_CONTAINS(t_need_result(&ev, "log.permissions")->message, "1 log file(s) readable or writable by others");
	chmod(cur, 0640);

	/* a truncated rotation: the file is named, the rest still counts */
	struct ax_buf gz = AX_BUF_INIT;
	char *gzpath = ax_asprintf("%s/auth.log.2.gz", t_tmpdir());
	ax_file_read(gzpath, 1 << 20, &gz);
	ax_file_write_atomic(gzpath, gz.ptr, gz.size - 12, 0640);
	struct timeval tv[2] = {{1786775400, 0}, {1786775400, 0}};
	utimes(gzpath, tv);
	run(&ev, "path", glob, "format", "sshd", "lookback", "200d", NULL);
	T_STATUS(&ev, "log.present", AX_CHECK_FAIL);
	T_CONTAINS(t_need_result(&ev, "log.present")->message, "auth.log.2.gz:");
	T_STATUS(&ev, "log.fresh", AX_CHECK_PASS);
	ax_buf_free(&gz);
	free(gzpath);

	/* nothing there */
	run(&ev, "path", "/nonexistent/auth.log*", "format", "sshd", NULL);
	T_STATUS(&ev, "log.present", AX_CHECK_FAIL);
	T_STATUS(&ev, "log.fresh", AX_CHECK_SKIP);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_SKIP);
	ax_evidence_free(&ev);
	free(glob);
	free(cur);
}

static void test_mail_and_web(void)
{
	struct ax_evidence ev = {0};
	char *p = fixture_copy("postfix-mail.log", "mail.log", "2026-11-29T11:30:00Z", 0, 0640);
	run(&ev, "path", p, "format", "postfix", NULL);
	T_STATUS(&ev, "log.fresh", AX_CHECK_PASS);
	T_STATUS(&ev, "log.retention", AX_CHECK_FAIL);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_PASS);
	T_OBS(&ev, "log.auth_failures", "\"failures\":2");
	T_STATUS(&ev, "log.cleartext_auth", AX_CHECK_FAIL);
	T_OBS(&ev, "log.cleartext_auth", "\"cleartext\":1");
	T_OBS(&ev, "log.cleartext_auth", "\"logins\":2");
	T_OBS(&ev, "log.privileged_logins", "\"privileged\":1");
	T_CONTAINS(excerpt(&ev), "client=unknown[198.51.100.23], sasl_method=LOGIN, sasl_username=p:");
	run(&ev, "path", p, "format", "postfix", "max-failures", "1", NULL);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_FAIL);
	T_OBS(&ev, "log.auth_failures", "\"source\":\"203.0.113.9\"");
	free(p);

	p = fixture_copy("dovecot.log", "dovecot.log", "2026-11-29T11:58:00Z", 0, 0600);
	run(&ev, "path", p, "format", "dovecot", NULL);
	T_STATUS(&ev, "log.cleartext_auth", AX_CHECK_FAIL);
	T_OBS(&ev, "log.cleartext_auth", "\"cleartext\":1");
	T_OBS(&ev, "log.auth_failures", "\"failures\":4");
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_PASS);
	T_OBS(&ev, "log.privileged_logins", "\"logins\":2,\"mode\":\"review\",\"privileged\":1");
	T_OK(strstr(excerpt(&ev), "<root>") == NULL);
	run(&ev, "path", p, "format", "dovecot", "max-failures", "2", NULL);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_FAIL);
	T_OBS(&ev, "log.auth_failures", "\"source\":\"203.0.113.77\"");
	free(p);

	free(fixture_copy("nginx-access.log", "nginx-access.log", "2026-11-29T11:59:00Z", 0, 0640));
	free(fixture_copy("nginx-error.log", "nginx-error.log", "2026-11-29T11:00:00Z", 0, 0640));
	char *glob = ax_asprintf("%s/nginx-*.log", t_tmpdir());
	run(&ev, "path", glob, "format", "nginx", "max-failures", "4", NULL);
	T_STATUS(&ev, "log.present", AX_CHECK_PASS);
	T_STATUS(&ev, "log.fresh", AX_CHECK_PASS);
	T_STATUS(&ev, "log.auth_failures", AX_CHECK_FAIL);
	T_OBS(&ev, "log.auth_failures", "\"failures\":5");
	T_OBS(&ev, "log.privileged_logins", "\"logins\":2,\"mode\":\"review\",\"privileged\":1");
	T_STATUS(&ev, "log.cleartext_auth", AX_CHECK_SKIP);
	T_OK(strstr(excerpt(&ev), "token=abc123") == NULL);
	free(glob);

	p = fixture_copy("rfc3339-sshd.log", "rfc.log", "2026-11-29T11:59:00Z", 0, 0640);
	run(&ev, "path", p, "format", "sshd", NULL);
	T_OBS(&ev, "log.retention", "\"oldest\":\"2026-11-29T08:00:01Z\"");
	T_OBS(&ev, "log.fresh", "\"newest\":\"2026-11-29T11:59:00Z\"");
	free(p);
	ax_evidence_free(&ev);
}

/* A burst that straddles a fixed 10-minute boundary (11:58-12:01, 12 + 13
 * failures) is seen whole by the sliding window; the same number spread
 * over 40 minutes is not a burst. */
static void test_sliding_window(void)
{
	struct ax_evidence ev = {0};
	struct ax_buf log = AX_BUF_INIT;
	for (int spread = 0; spread < 2; spread++) {
		ax_buf_clear(&log);
		for (int i = 0; i < 25; i++) {
			char ts[32];
			ax_time_format(now - 120 - 120 * 60 * spread + i * (spread ? 100 : 7), ts);
			ax_buf_printf(&log, "%s mx sshd[4%02d]: Failed password for root from 203.0.113.77 port 4%03d ssh2\n",
				      ts, i, i);
		}
		char *path = ax_asprintf("%s/burst-%d.log", t_tmpdir(), spread);
		ax_file_write_atomic(path, log.ptr, log.size, 0600);
		run(&ev, "path", path, "format", "sshd", "lookback", "24h", NULL);
		T_STATUS(&ev, "log.auth_failures", spread ? AX_CHECK_PASS : AX_CHECK_FAIL);
		if (!spread)
			T_OBS(&ev, "log.auth_failures", "\"max_in_window\":25");
		free(path);
	}
	ax_buf_free(&log);
	ax_evidence_free(&ev);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	ax_time_parse("2026-11-29T12:00:00Z", &now);
	test_sshd();
	test_mail_and_web();
	test_sliding_window();
	return t_done();
}
