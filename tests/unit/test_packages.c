/* test_packages.c - dpkg's version order, the deb822 parser (status and
 * Packages), dpkg.log lines, apt.conf settings, and the `packages` probe
 * over a status database, apt lists (plain and gzip), dpkg.log rotations
 * and a tracker JSON built here, across two runs sharing a state folder;
 * and this machine's real /var/lib/dpkg/status, read-only. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "apt_conf.h"
#include "dpkg_log.h"
#include "dpkg_status.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_packages;

static const char *status_of(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_result(ev, check);
	return r ? ax_check_status_name(r->status) : "missing";
}

static const char *message_of(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_result(ev, check);
	return r && r->message ? r->message : "";
}

static void write_gz(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");
	gzwrite(gz, text, (unsigned)strlen(text));
	gzclose(gz);
}

static int run(const char *dir, const char *state, int64_t now, const char *vulns, struct ax_evidence *ev)
{
	char *status = ax_asprintf("%s/status", dir), *lists = ax_asprintf("%s/lists", dir),
	     *log = ax_asprintf("%s/log/dpkg.log", dir), *conf = ax_asprintf("%s/apt", dir),
	     *ulog = ax_asprintf("%s/u-u", dir);
	struct ax_kv opts[] = {{(char *)"status-file", status}, {(char *)"lists", lists}, {(char *)"log", log},
			       {(char *)"apt-conf", conf},      {(char *)"unattended-log", ulog},
			       {(char *)"release", (char *)"bookworm"}, {(char *)"vulnerabilities-file", (char *)vulns}};
	struct ax_probe_instance inst = {.name = (char *)"pk", .type = &probe_packages, .opts = opts,
					 .nopts = vulns ? 7 : 6};
	int rc = ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32, state, now, ev);
	free(status);
	free(lists);
	free(log);
	free(conf);
	free(ulog);
	return rc;
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();

	/* dpkg --compare-versions, cases from dpkg's own tests (t-version.c) */
	static const struct {
		const char *a, *b;
		int sign;
	} vers[] = {
		{"1.0", "1.0", 0},           {"1.0", "1.0-0", 0},          {"1:1.0", "2.0", 1},
		{"1.0~rc1", "1.0", -1},      {"1.0", "1.0a", -1},          {"1.0-1", "1.0-1+deb12u1", -1},
		{"2.36-9+deb12u9", "2.36-9+deb12u10", -1}, {"1.10", "1.9", 1}, {"1.0~~", "1.0~", -1},
		{"0:1.2", "1.2", 0},         {"1.2-3", "1.2-3~bpo1", 1},   {"a", "+", -1},
	};
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		int c = dpkg_version_cmp(vers[i].a, vers[i].b);
		int sign = c < 0 ? -1 : c > 0;
		if (sign != vers[i].sign)
			t_fail(__FILE__, __LINE__, "%s vs %s: %d, want %d", vers[i].a, vers[i].b, sign, vers[i].sign);
		T_OK(1);
	}

	/* deb822 */
	static const char status_text[] =
		"Package: libssl3\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n"
		"Source: openssl (3.0.11-1~deb12u1)\nVersion: 3.0.11-1~deb12u1\nDescription: SSL\n"
		" long text\n .\n more\n\n"
		"Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\n\n"
		"Package: broken\nStatus: install reinstreq half-configured\nArchitecture: all\nVersion: 1.0\n\n"
		"Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 2.0\n\n"
		"Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n"
		"Conffiles:\n /etc/timezone abc\n";
	struct dpkg_db db = {0};
	T_EQ_INT(dpkg_db_parse(&db, status_text, strlen(status_text), "status", NULL, NULL), 0);
	T_EQ_INT(db.n, 5);
	dpkg_db_sort(&db);
	const struct dpkg_pkg *p = dpkg_db_find(&db, "libssl3", 7);
	T_OK(p != NULL);
	T_EQ_STR(p ? p->source : "", "openssl");
	T_EQ_STR(p ? p->source_version : "", "3.0.11-1~deb12u1");
	T_EQ_STR(p ? dpkg_status_state(p) : "", "installed");
	T_OK(dpkg_db_find(&db, "libssl", 6) == NULL);
	dpkg_db_release(&db);
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"Package: a\nno colon here\n", "st:2: expected 'Field: value'"},
		{" continuation\n", "st:1: continuation line outside a field"},
		{"Package: a\nBad Name: x\n", "st:2: field name with a blank"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&db, 0, sizeof(db));
		T_EQ_INT(dpkg_db_parse(&db, bad[i].text, strlen(bad[i].text), "st", NULL, NULL), AX_EINVALID);
		T_CONTAINS(ax_error_last(), bad[i].want);
		dpkg_db_release(&db);
	}

	/* dpkg.log lines */
	struct ax_logclock clock;
	ax_logclock_init(&clock, 1800000000);
	struct dpkg_log_ev ev;
	static const struct {
		const char *line;
		int ok, action;
		const char *pkg, *arch, *from, *to;
	} lines[] = {
		{"2026-11-29 10:00:01 upgrade libssl3:amd64 3.0.11-1~deb12u1 3.0.11-1~deb12u2", 1, DPKG_LOG_UPGRADE,
		 "libssl3", "amd64", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2"},
		{"2026-11-29 10:00:01 install tmux:amd64 <none> 3.3a-3", 1, DPKG_LOG_INSTALL, "tmux", "amd64", "", "3.3a-3"},
		{"2026-11-29 10:00:01 remove tmux:amd64 3.3a-3 <none>", 1, DPKG_LOG_REMOVE, "tmux", "amd64", "3.3a-3", ""},
		{"2026-11-29 10:00:01 status installed tmux:amd64 3.3a-3", 1, DPKG_LOG_STATUS, "tmux", "amd64", "installed", "3.3a-3"},
		{"2026-11-29 10:00:01 startup archives unpack", 0, 0, "", "", "", ""},
		{"2026-11-29 10:00:01 upgrade libssl3:amd64 1", 0, 0, "", "", "", ""},
		{"Nov 29 10:00:01 upgrade a:b 1 2", 0, 0, "", "", "", ""},
		{"2026-11-29 10:00:01 upgrade a:b 1 2 extra", 0, 0, "", "", "", ""},
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int ok = dpkg_log_parse(&clock, lines[i].line, strlen(lines[i].line), &ev);
		T_EQ_INT(ok, lines[i].ok);
		if (!ok)
			continue;
		T_EQ_INT(ev.action, lines[i].action);
		T_EQ_INT(ev.when, 1795946401);
		char *s = ax_strndup(ev.pkg.p, ev.pkg.n);
		T_EQ_STR(s, lines[i].pkg);
		free(s);
		s = ax_strndup(ev.arch.p, ev.arch.n);
		T_EQ_STR(s, lines[i].arch);
		free(s);
		s = ax_strndup(ev.from.p, ev.from.n);
		T_EQ_STR(s, lines[i].from);
		free(s);
		s = ax_strndup(ev.to.p, ev.to.n);
		T_EQ_STR(s, lines[i].to);
		free(s);
	}

	/* apt.conf */
	static const struct {
		const char *text;
		int found;
		const char *value;
	} confs[] = {
		{"APT::Periodic::Unattended-Upgrade \"1\";\n", 1, "1"},
		{"APT { Periodic { Unattended-Upgrade \"2\"; }; };\n", 1, "2"},
		{"apt::periodic::unattended-upgrade \"1\";\n// APT::Periodic::Unattended-Upgrade \"0\";\n", 1, "1"},
		{"APT::Periodic::Unattended-Upgrade \"1\";\n/* APT::Periodic::Unattended-Upgrade \"0\"; */\n"
		 "APT::Periodic::Unattended-Upgrade \"0\";\n", 1, "0"},
		{"APT::Periodic::Unattended-Upgrade \"1\";\n#clear APT::Periodic;\n", 0, ""},
		{"# comment\nAPT::Periodic { Update-Package-Lists \"1\"; };\n", 0, ""},
		{"DPkg::Pre-Invoke { \"echo a\"; \"echo b\"; };\nAPT::Periodic::Unattended-Upgrade \"always\";\n", 1, "always"},
	};
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		struct ax_buf v = AX_BUF_INIT;
		int found = 0, unsup = 0;
		unsigned line = 0;
		T_EQ_INT(apt_conf_get(confs[i].text, strlen(confs[i].text), "c", "APT::Periodic::Unattended-Upgrade", &v,
				      &found, &line, &unsup),
			 0);
		T_EQ_INT(found, confs[i].found);
		if (found)
			T_EQ_STR(ax_buf_cstr(&v), confs[i].value);
		ax_buf_free(&v);
	}
	static const char *const bad_conf[] = {"APT::X \"unterminated;\n", "};\n", "A { B \"1\";\n"};
	for (size_t i = 0; i < 3; i++) {
		struct ax_buf v = AX_BUF_INIT;
		int found = 0, unsup = 0;
		unsigned line = 0;
		T_EQ_INT(apt_conf_get(bad_conf[i], strlen(bad_conf[i]), "c", "A::B", &v, &found, &line, &unsup), AX_EINVALID);
		ax_buf_free(&v);
	}

	/* the probe over a machine built here */
	const char *dir = t_tmpdir();
	char *state = ax_asprintf("%s/state", dir), *path;
	mkdir(state, 0700);
	free(t_write("status", status_text));
	path = ax_asprintf("%s/lists", dir);
	mkdir(path, 0755);
	free(path);
	free(t_write("lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
		     "Package: openssl\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\n\n"
		     "Package: tzdata\nArchitecture: all\nVersion: 2024a-0+deb12u1\n\n"
		     "Package: not-installed-here\nArchitecture: amd64\nVersion: 9\n"));
	path = ax_asprintf("%s/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.gz", dir);
	write_gz(path, "Package: libssl3\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\nSource: openssl\n\n"
		       "Package: openssl\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\n");
	free(path);
	free(t_write("lists/deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages",
		     "Package: tzdata\nArchitecture: all\nVersion: 2024b-0+deb12u1\n"));
	/* backports: apt does not upgrade to them by default, so neither counts them */
	free(t_write("lists/deb.debian.org_debian_dists_bookworm-backports_main_binary-amd64_Packages",
		     "Package: openssl\nArchitecture: amd64\nVersion: 3.2.0-1~bpo12+1\n"));
	path = ax_asprintf("%s/log", dir);
	mkdir(path, 0755);
	free(path);
	free(t_write("log/dpkg.log", "2027-01-15 09:00:00 install tmux:amd64 <none> 3.3a-3\n"));
	path = ax_asprintf("%s/log/dpkg.log.2.gz", dir);
	write_gz(path, "2027-01-01 09:00:00 remove nano:amd64 7.2-1 <none>\n"
		       "2020-01-01 09:00:00 remove old:amd64 1 <none>\n");
	free(path);
	path = ax_asprintf("%s/apt", dir);
	mkdir(path, 0755);
	free(path);
	path = ax_asprintf("%s/apt/apt.conf.d", dir);
	mkdir(path, 0755);
	free(path);
	free(t_write("apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Update-Package-Lists \"1\";\n"
						       "APT::Periodic::Unattended-Upgrade \"1\";\n"));
	free(t_write("apt/apt.conf.d/99off.dpkg-old", "APT::Periodic::Unattended-Upgrade \"0\";\n"));

	/* lists are "fresh" relative to the file times: now = their mtime + 1h */
	int64_t t1 = ax_now() + 3600;
	struct ax_evidence ev1 = {0};
	T_EQ_INT(run(dir, state, t1, NULL, &ev1), 0);
	T_EQ_STR(status_of(&ev1, "packages.installed_ok"), "fail");
	T_CONTAINS(message_of(&ev1, "packages.installed_ok"), "broken:all is install reinstreq half-configured");
	T_EQ_STR(status_of(&ev1, "packages.lists_fresh"), "pass");
	T_EQ_STR(status_of(&ev1, "packages.security_pending"), "pass");
	T_CONTAINS(message_of(&ev1, "packages.security_pending"), "3 update(s) pending, 2 from a security suite");
	T_EQ_STR(status_of(&ev1, "packages.unattended"), "pass");
	T_EQ_STR(status_of(&ev1, "packages.changes"), "pass");
	T_CONTAINS(message_of(&ev1, "packages.changes"), "first run");
	T_EQ_STR(status_of(&ev1, "packages.security_latency"), "skip");
	T_EQ_STR(status_of(&ev1, "packages.vulnerabilities"), "skip");
	ax_evidence_free(&ev1);

	/* ten days later: still pending -> fail; the lists are stale now */
	struct ax_evidence ev2 = {0};
	T_EQ_INT(run(dir, state, t1 + 10 * 86400, NULL, &ev2), 0);
	T_EQ_STR(status_of(&ev2, "packages.security_pending"), "fail");
	T_CONTAINS(message_of(&ev2, "packages.security_pending"), "libssl3 3.0.11-1~deb12u2 pending since");
	T_EQ_STR(status_of(&ev2, "packages.lists_fresh"), "fail");
	ax_evidence_free(&ev2);

	/* then the update is installed (status and log), two days after that */
	char *stamp = ax_asprintf("%s", "");
	{
		time_t when = (time_t)(t1 + 12 * 86400);
		struct tm tm;
		gmtime_r(&when, &tm);
		char ts[32];
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		free(stamp);
		stamp = ax_asprintf("2027-01-15 09:00:00 install tmux:amd64 <none> 3.3a-3\n"
				    "%s upgrade libssl3:amd64 3.0.11-1~deb12u1 3.0.11-1~deb12u2\n"
				    "%s status installed libssl3:amd64 3.0.11-1~deb12u2\n", ts, ts);
	}
	free(t_write("log/dpkg.log", stamp));
	free(stamp);
	char *upgraded = ax_strdup(status_text);
	char *at = strstr(upgraded, "Version: 3.0.11-1~deb12u1\nDescription");
	at[24] = '2'; /* libssl3 now at ~deb12u2 */
	free(t_write("status", upgraded));
	free(upgraded);
	free(t_write("tracker.json",
		     "{\"openssl\": {\"CVE-2099-0001\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
		     " \"fixed_version\": \"3.0.11-1~deb12u3\", \"urgency\": \"high\"}}},"
		     " \"CVE-2099-0002\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\", \"fixed_version\": \"3.0.9-1\"}}}},"
		     " \"tzdata\": {\"CVE-2099-0003\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}}"));
	char *tracker = ax_asprintf("%s/tracker.json", dir);
	struct ax_evidence ev3 = {0};
	T_EQ_INT(run(dir, state, t1 + 12 * 86400 + 60, tracker, &ev3), 0);
	T_EQ_STR(status_of(&ev3, "packages.security_latency"), "fail");
	T_CONTAINS(message_of(&ev3, "packages.security_latency"), "libssl3:amd64 3.0.11-1~deb12u2 waited 12 days");
	T_EQ_STR(status_of(&ev3, "packages.changes"), "pass");
	T_CONTAINS(message_of(&ev3, "packages.changes"), "1 change(s) since the last run");
	T_EQ_STR(status_of(&ev3, "packages.vulnerabilities"), "fail");
	T_CONTAINS(message_of(&ev3, "packages.vulnerabilities"), "openssl 3.0.11-1~deb12u1 lacks the fix of CVE-2099-0001");
	T_OK(strstr(message_of(&ev3, "packages.vulnerabilities"), "CVE-2099-0002") == NULL);
	ax_evidence_free(&ev3);

	/* a newer fix for openssl supersedes the pending one: the wait still counts from the first run */
	path = ax_asprintf("%s/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.gz", dir);
	write_gz(path, "Package: libssl3\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\nSource: openssl\n\n"
		       "Package: openssl\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u3\n");
	free(path);
	char first_seen[32], *want_since;
	ax_time_format(t1, first_seen);
	want_since = ax_asprintf("openssl 3.0.11-1~deb12u3 pending since %s", first_seen);

	/* the next run still shows the applied update (kept in the state for the window) */
	struct ax_evidence ev4 = {0};
	T_EQ_INT(run(dir, state, t1 + 13 * 86400, NULL, &ev4), 0);
	T_EQ_STR(status_of(&ev4, "packages.security_latency"), "fail");
	/* openssl (the other binary of the source) is still not upgraded */
	T_EQ_STR(status_of(&ev4, "packages.security_pending"), "fail");
	T_CONTAINS(message_of(&ev4, "packages.security_pending"), want_since);
	free(want_since);
	T_OK(strstr(message_of(&ev4, "packages.security_pending"), "libssl3") == NULL);
	ax_evidence_free(&ev4);

	/* this machine's real status database, read-only */
	struct ax_buf real = AX_BUF_INIT;
	if (ax_file_read("/var/lib/dpkg/status", (size_t)1 << 30, &real) == 0) {
		memset(&db, 0, sizeof(db));
		int64_t t0 = ax_monotonic_ms();
		T_EQ_INT(dpkg_db_parse(&db, ax_buf_cstr(&real), real.size, "/var/lib/dpkg/status", NULL, NULL), 0);
		printf("real /var/lib/dpkg/status: %zu bytes, %zu packages parsed in %lld ms\n", real.size, db.n,
		       (long long)(ax_monotonic_ms() - t0));
		dpkg_db_sort(&db);
		T_OK(db.n > 50);
		T_OK(dpkg_db_find(&db, "dpkg", 4) != NULL);
		dpkg_db_release(&db);
	}
	ax_buf_free(&real);
	free(tracker);
	free(state);
	return t_done();
}
