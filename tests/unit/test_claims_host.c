/* test_claims_host.c - the `packages` probe's claims under tricky inputs:
 * version order against the real `dpkg --compare-versions` (when dpkg is
 * installed), a security fix hidden behind a newer non-security
 * candidate, a source package only partly upgraded past a tracker fix,
 * multi-arch installs, held and config-files packages, a package moved
 * from Architecture: all to the native one; ClamAV headers with
 * a build time in the future or a number past 64 bits; nftables rulesets
 * loaded by the real `nft` in a user and network namespace (verdict maps,
 * an accept-all before policy drop, 0.0.0.0/0, ip6-only tables), and a
 * socket on ::ffff:0.0.0.0 (IPv4 traffic) behind an ip6-only firewall;
 * the capacity trend over more samples than it keeps. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "clamav_cvd.h"
#include "dpkg_status.h"
#include "error.h"
#include "nft_ruleset.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_packages;
extern const struct probe probe_malware;
extern const struct probe probe_exposure;
extern const struct probe probe_capacity;

static const char *message_of(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_result(ev, check);
	return r && r->message ? r->message : "";
}

static const char *status_of(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_result(ev, check);
	return r ? ax_check_status_name(r->status) : "missing";
}

/* The real dpkg's answer for a < b: -1, 0, 1; 2 when dpkg is not there. */
static int real_dpkg_cmp(const char *a, const char *b)
{
	static const char *const ops[] = {"lt", "eq", "gt"};
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execlp("dpkg", "dpkg", "--compare-versions", a, ops[i], b, (char *)NULL);
			_exit(127);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 1)
			return 2;
		if (WEXITSTATUS(st) == 0)
			return i - 1;
	}
	return 2;
}

/* The real `nft -j list ruleset` of rules loaded by `nft -f` in a fresh
 * user and network namespace; NULL when nft or namespaces are missing. */
static char *nft_json(const char *rules)
{
	free(t_write("rules.nft", rules));
	char *cmd = ax_asprintf("unshare -rn sh -c 'nft -f %s/rules.nft && nft -j list ruleset' 2>/dev/null", t_tmpdir());
	FILE *f = popen(cmd, "r");
	struct ax_buf out = AX_BUF_INIT;
	char chunk[4096];
	size_t n;
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ax_buf_put(&out, chunk, n);
	int rc = f ? pclose(f) : -1;
	free(cmd);
	if (rc != 0 || !out.size) {
		ax_buf_free(&out);
		return NULL;
	}
	char *s = ax_strdup(ax_buf_cstr(&out));
	ax_buf_free(&out);
	return s;
}

/* The probe type in-process with opts, as the collector would run it. */
static int run_probe(const struct probe *type, struct ax_kv *opts, size_t n, const char *state, int64_t now,
		     struct ax_evidence *ev)
{
	struct ax_probe_instance inst = {.name = (char *)"p", .type = type, .opts = opts, .nopts = n};
	return ax_probe_run_inline(&inst, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32, state, now, ev);
}

int main(void)
{
	/* version order: each pair as the real dpkg orders it */
	char longa[700], longb[700];
	memset(longa, '0', sizeof(longa));
	memcpy(longa, "1.", 2);
	memcpy(longb, longa, sizeof(longb));
	longa[sizeof(longa) - 2] = '1';
	longb[sizeof(longb) - 2] = '2';
	longa[sizeof(longa) - 1] = longb[sizeof(longb) - 1] = '\0';
	const struct {
		const char *a, *b;
		int sign;
	} vers[] = {
		{"1:2.3", "2.4", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"2:1", "10:0", -1},
		{"1.0+dfsg-1", "1.0-1", 1},
		{"1.0.0", "1.0", 1},
		{"1.0-1", "1.0-1.1", -1},
		{"1.0a", "1.0+", -1},
		{"1.0-1~bpo12+1", "1.0-1", -1},
		{"3.0.11-1~deb12u2", "3.0.11-1~deb12u10", -1},
		{"1-2-3", "1-2", 1},
		{"0.0001", "0.1", 0},
		{"1.0.a", "1.0.1", 1},
		{"1:0", "0:99", 1},
		{"1.2~~a", "1.2~", -1},
		{"2.36-9+deb12u9", "2.36-9+deb12u10", -1},
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
		{"1.0-1+b1", "1.0-1", 1},
		{"1.0-1+b1", "1.0-1.1", -1},
		/* a version longer than dpkg_version_cmp's old 512-byte buffers */
		{longa, longb, -1},
	};
	int have_dpkg = real_dpkg_cmp("1", "2") == -1;
	if (!have_dpkg)
		printf("dpkg not installed: the table is checked against its recorded answers only\n");
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		int c = dpkg_version_cmp(vers[i].a, vers[i].b);
		int sign = c < 0 ? -1 : c > 0;
		int want = have_dpkg ? real_dpkg_cmp(vers[i].a, vers[i].b) : vers[i].sign;
		if (want != vers[i].sign)
			t_fail(__FILE__, __LINE__, "table row %zu disagrees with dpkg (%d)", i, want);
		if (sign != want)
			t_fail(__FILE__, __LINE__, "%.40s vs %.40s: %d, dpkg says %d", vers[i].a, vers[i].b, sign, want);
		T_OK(1);
	}

	/* a machine: libc6 for two architectures (only i386 behind), a held
	 * package, a removed one with its configuration kept, and the two
	 * binaries of openssl where only libssl3 got the fix */
	const char *dir = t_tmpdir();
	char *state = ax_asprintf("%s/state", dir), *path;
	mkdir(state, 0700);
	free(t_write("status",
		     "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u10\n\n"
		     "Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9+deb12u9\n\n"
		     "Package: curl\nStatus: hold ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n\n"
		     "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0-1\n\n"
		     "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\n"
		     "Source: openssl\nVersion: 3.0.11-1~deb12u2\n\n"
		     "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\n\n"
		     "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n\n"
		     "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n"
		     "Package: movedarch\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\n\n"
		     "Package: otherarch\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\n"));
	path = ax_asprintf("%s/lists", dir);
	mkdir(path, 0755);
	free(path);
	/* the point release (main suite) carries a newer zlib1g than the security
	 * suite's fix: the installed one still lacks a security fix */
	free(t_write("lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
		     "Package: libc6\nArchitecture: amd64\nVersion: 2.36-9+deb12u10\n\n"
		     "Package: libc6\nArchitecture: i386\nVersion: 2.36-9+deb12u10\n\n"
		     "Package: curl\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u12\n\n"
		     "Package: gone\nArchitecture: amd64\nVersion: 1.0-1+deb12u1\n\n"
		     "Package: zlib1g\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1+deb12u1\n\n"
		     /* Architecture: all before, amd64 (native: dpkg's) now: apt upgrades it */
		     "Package: movedarch\nArchitecture: amd64\nVersion: 1.0-1+deb12u1\n\n"
		     /* a foreign architecture's build is not the upgrade of an all package */
		     "Package: otherarch\nArchitecture: i386\nVersion: 1.0-1+deb12u1\n"));
	free(t_write("lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
		     "Package: zlib1g\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1+deb12u2\n\n"
		     "Package: libc6\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\n"));
	free(t_write("tracker.json",
		     "{\"openssl\": {\"CVE-2099-0010\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\","
		     " \"fixed_version\": \"3.0.11-1~deb12u2\"}}}}}"));
	char *tracker = ax_asprintf("%s/tracker.json", dir);

	char *status = ax_asprintf("%s/status", dir), *lists = ax_asprintf("%s/lists", dir),
	     *log = ax_asprintf("%s/dpkg.log", dir), *conf = ax_asprintf("%s/apt", dir);
	struct ax_kv popts[] = {{(char *)"status-file", status}, {(char *)"lists", lists}, {(char *)"log", log},
				{(char *)"apt-conf", conf}, {(char *)"unattended-log", conf},
				{(char *)"release", (char *)"bookworm"}, {(char *)"vulnerabilities-file", tracker}};
	int64_t t1 = ax_now() + 3600;
	struct ax_evidence ev = {0};
	T_EQ_INT(run_probe(&probe_packages, popts, 7, state, t1, &ev), 0);
	const char *pending = message_of(&ev, "packages.security_pending");
	/* libc6:i386, curl (held: still pending), zlib1g, movedarch; not
	 * libc6:amd64, gone or otherarch */
	T_CONTAINS(pending, "4 update(s) pending, 4 from a security suite");
	ax_evidence_free(&ev);

	/* ten days later the three security updates have waited too long */
	struct ax_evidence ev2 = {0};
	T_EQ_INT(run_probe(&probe_packages, popts, 7, state, t1 + 10 * 86400, &ev2), 0);
	T_EQ_STR(status_of(&ev2, "packages.security_pending"), "fail");
	pending = message_of(&ev2, "packages.security_pending");
	T_CONTAINS(pending, "zlib1g 1:1.2.13.dfsg-1+deb12u2 pending since");
	T_CONTAINS(pending, "libc6 2.36-9+deb12u10 pending since");
	T_CONTAINS(pending, "curl 7.88.1-10+deb12u12 pending since");
	T_CONTAINS(pending, "movedarch 1.0-1+deb12u1 pending since");
	T_OK(strstr(pending, "gone") == NULL);
	T_OK(strstr(pending, "otherarch") == NULL);
	/* openssl the binary still lacks the fix libssl3 (listed first) has */
	T_EQ_STR(status_of(&ev2, "packages.vulnerabilities"), "fail");
	T_CONTAINS(message_of(&ev2, "packages.vulnerabilities"), "openssl 3.0.11-1~deb12u1 lacks the fix of CVE-2099-0010");
	ax_evidence_free(&ev2);
	free(status);
	free(lists);
	free(log);
	free(conf);

	/* ClamAV: a version of 2^64 + 1 wrapped to 1 and was accepted */
	static const char wrap[] = "ClamAV-VDB:07 Dec 2026 17-14 +0000:18446744073709551617:1:216:x:X:b:1796663640";
	struct cvd_head h;
	T_EQ_INT(cvd_parse(wrap, sizeof(wrap) - 1, &h), AX_EINVALID);

	/* a daily.cvd whose build time is a year ahead of the clock is not
	 * "fresh": either the header or the clock is wrong */
	path = ax_asprintf("%s/clamav", dir);
	mkdir(path, 0755);
	free(path);
	char head[513];
	snprintf(head, sizeof(head), "ClamAV-VDB:07 Dec 2026 17-14 +0000:27500:1:216:x:X:b:%lld%*s",
		 (long long)(t1 + 365 * 86400), 400, "");
	free(t_write("clamav/daily.cvd", head));
	char *db = ax_asprintf("%s/clamav", dir), *nopf = ax_asprintf("%s/no-postfix", dir);
	struct ax_kv mopts[] = {{(char *)"database-dir", db}, {(char *)"postfix-config-dir", nopf}};
	struct ax_evidence ev3 = {0};
	T_EQ_INT(run_probe(&probe_malware, mopts, 2, state, t1, &ev3), 0);
	T_EQ_STR(status_of(&ev3, "malware.signatures_fresh"), "fail");
	T_CONTAINS(message_of(&ev3, "malware.signatures_fresh"), "in the future");
	ax_evidence_free(&ev3);
	free(db);
	free(nopf);

	/* nftables: what each ruleset lets in, and whether it drops by default;
	 * DROP_IN(R): an inet input chain with policy drop holding rules R */
#define DROP_IN(R) "table inet f { chain in { type filter hook input priority 0; policy drop; " R ";\n}\n}"
#define PORT_MAP "tcp dport vmap { 22 : accept, 80 : drop, 8000-8080 : jump x }; }\n chain x { accept"
#define CT_MAP "ct state vmap { established : accept, related : accept, invalid : drop }; tcp dport 25 accept"
	static const struct {
		const char *rules;
		int family, udp, port;
		const char *reach;
		int default_drop;
	} nft[] = {
		/* an accept-all rule before the policy: nothing is dropped */
		{DROP_IN("accept"), AF_INET, 0, 8080, "open", 0},
		/* verdict maps were skipped: port 22 read "closed" */
		{DROP_IN(PORT_MAP), AF_INET, 0, 22, "open", 1},
		{DROP_IN(PORT_MAP), AF_INET6, 0, 8008, "open", 1},
		{DROP_IN(PORT_MAP), AF_INET, 0, 80, "closed", 1},
		/* the usual stateful map: a new connection is in none of its keys */
		{DROP_IN(CT_MAP), AF_INET, 0, 22, "closed", 1},
		{DROP_IN(CT_MAP), AF_INET, 0, 25, "open", 1},
		/* a map whose keys annexa cannot evaluate may accept */
		{DROP_IN("ip daddr vmap { 192.0.2.1 : accept }"), AF_INET, 0, 22, "unknown", 1},
		/* every source is no restriction */
		{DROP_IN("ip saddr 0.0.0.0/0 tcp dport 22 accept"), AF_INET, 0, 22, "open", 1},
		{DROP_IN("ip saddr 10.0.0.0/8 tcp dport 22 accept"), AF_INET, 0, 22, "restricted", 1},
		/* an ip6 table does not filter IPv4 */
		{"table ip6 f { chain in { type filter hook input priority 0; policy drop;\n}\n}", AF_INET, 0, 22, "open", 0},
		{"table ip6 f { chain in { type filter hook input priority 0; policy drop;\n}\n}", AF_INET6, 0, 22, "closed", 1},
		/* two base chains: a drop in either is final */
		{"table inet a { chain in { type filter hook input priority 0; policy accept; tcp dport 22 drop;\n}\n}\n"
		 "table ip b { chain in { type filter hook input priority 10; policy drop; tcp dport 22 accept;\n}\n}",
		 AF_INET, 0, 22, "closed", 1},
		{DROP_IN("iifname != \"lo\" accept"), AF_INET, 1, 53, "open", 1},
	};
	int have_nft = 1;
	for (size_t i = 0; i < sizeof(nft) / sizeof(nft[0]) && have_nft; i++) {
		char *json = nft_json(nft[i].rules);
		if (!json && i == 0) {
			printf("nft or user namespaces not available: ruleset cases skipped\n");
			have_nft = 0;
			break;
		}
		if (!json) {
			t_fail(__FILE__, __LINE__, "ruleset %zu: nft refused it", i);
			continue;
		}
		struct nft_ruleset *rs = NULL;
		char why[160];
		T_EQ_INT(nft_ruleset_load(&rs, json, strlen(json)), 0);
		if (rs) {
			const char *got = nft_reach_name(nft_reachable(rs, nft[i].family, nft[i].udp, (uint16_t)nft[i].port, why));
			if (strcmp(got, nft[i].reach) != 0)
				t_fail(__FILE__, __LINE__, "ruleset %zu port %d: %s (%s), want %s", i, nft[i].port, got, why,
				       nft[i].reach);
			if (nft_default_drop(rs, nft[i].family) != nft[i].default_drop)
				t_fail(__FILE__, __LINE__, "ruleset %zu: default drop %d, want %d", i,
				       nft_default_drop(rs, nft[i].family), nft[i].default_drop);
			T_OK(1);
		}
		nft_ruleset_free(rs);
		free(json);
	}

	/* a socket on the v4-mapped ::ffff:0.0.0.0 takes IPv4 only: an ip6
	 * table's policy drop does not filter it (it read "closed") */
	static const char hdr[] = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
	path = ax_asprintf("%s/net", dir);
	mkdir(path, 0755);
	free(path);
	free(t_write("net/tcp", hdr));
	free(t_write("net/udp", hdr));
	free(t_write("net/udp6", hdr));
	free(t_write("net/tcp6",
		     "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		     "   0: 0000000000000000FFFF000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4001 1 0000000000000000 100 0 0 10 0\n"));
	free(t_write("ip6only.json", "{\"nftables\":[{\"chain\":{\"family\":\"ip6\",\"table\":\"f\",\"name\":\"in\","
				     "\"hook\":\"input\",\"policy\":\"drop\"}}]}"));
	char *net = ax_asprintf("%s/net", dir), *rsf = ax_asprintf("%s/ip6only.json", dir);
	struct ax_kv eopts[] = {{(char *)"proc-net", net}, {(char *)"nft", (char *)""}, {(char *)"ruleset-file", rsf}};
	struct ax_evidence ev4 = {0};
	T_EQ_INT(run_probe(&probe_exposure, eopts, 3, state, t1, &ev4), 0);
	T_EQ_STR(status_of(&ev4, "exposure.reachable"), "fail");
	T_CONTAINS(message_of(&ev4, "exposure.reachable"), "8080/tcp on ::ffff:0.0.0.0 is reachable");
	ax_evidence_free(&ev4);
	free(net);
	free(rsf);

	/* capacity: 2100 hourly samples (a 200-day window) keep the newest 2000;
	 * the cap kept the oldest and dropped each newer sample */
	struct ax_buf samples = AX_BUF_INIT;
	ax_buf_puts(&samples, "{\"samples\": {\"/\": [");
	for (int k = 2100; k >= 1; k--) {
		char one[64];
		snprintf(one, sizeof(one), "%s[%lld, 1000]", k == 2100 ? "" : ",", (long long)(t1 - k * 3600LL));
		ax_buf_puts(&samples, one);
	}
	ax_buf_puts(&samples, "]}}");
	char *capstate = ax_asprintf("%s/cap", dir), *capfile = ax_asprintf("%s/cap/capacity-state.json", dir);
	mkdir(capstate, 0700);
	T_EQ_INT(ax_file_write_atomic(capfile, samples.ptr, samples.size, 0600), 0);
	struct ax_kv copts[] = {{(char *)"mount", (char *)"/"}, {(char *)"postqueue", (char *)""}, {(char *)"window", (char *)"200d"}};
	struct ax_evidence ev5 = {0};
	T_EQ_INT(run_probe(&probe_capacity, copts, 3, capstate, t1, &ev5), 0);
	ax_evidence_free(&ev5);
	json_t *saved = json_load_file(capfile, 0, NULL);
	json_t *kept = json_object_get(json_object_get(saved, "samples"), "/");
	T_EQ_INT(json_array_size(kept), 2000);
	/* the newest two: the last run's (an hour ago) and this one */
	T_EQ_INT(json_integer_value(json_array_get(json_array_get(kept, 1998), 0)), t1 - 3600);
	T_EQ_INT(json_integer_value(json_array_get(json_array_get(kept, 1999), 0)), t1);
	json_decref(saved);
	ax_buf_free(&samples);
	free(capstate);
	free(capfile);

	free(tracker);
	free(state);
	return t_done();
}
