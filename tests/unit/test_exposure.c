/* test_exposure.c - /proc/net socket lines as the kernel prints them
 * (IPv4 and IPv6, TCP and UDP) and malformed ones; the nftables walk over
 * rulesets in nft's JSON (a real `nft -j list ruleset` of the integration
 * test's ruleset, and hand-made ones for each match kind). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "evidence.h"
#include "nft_ruleset.h"
#include "probe.h"
#include "probe_inline.h"
#include "proc_net.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_exposure;

/* The probe in-process over socket tables written here, without a ruleset. */
static const struct ax_result *listeners(const char *proc, const char *const *expected, size_t n, struct ax_evidence *ev)
{
	struct ax_kv opts[8] = {{(char *)"proc-net", (char *)proc}, {(char *)"nft", (char *)""}};
	for (size_t i = 0; i < n; i++)
		opts[2 + i] = (struct ax_kv){(char *)"expected", (char *)expected[i]};
	struct ax_probe_instance inst = {.name = (char *)"exp", .type = &probe_exposure, .opts = opts, .nopts = 2 + n};
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 1800000000, ev), 0);
	return t_need_result(ev, "exposure.listeners");
}

static const char *reach(const struct nft_ruleset *rs, int family, int udp, int port)
{
	char why[160];
	return nft_reach_name(nft_reachable(rs, family, udp, (uint16_t)port, why));
}

int main(void)
{
	static const char tcp[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1166 1 0000000007966882 100 0 0 10 0\n"
		"   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 2001 1 0000000000000000 100 0 0 10 0\n"
		"   2: 020200C0:C47E 507100CB:0050 06 00000000:00000000 03:00000C69 00000000     0        0 0 3 00000000b8d24bd4\n";
	struct pn_table t = {0};
	T_EQ_INT(pn_parse(&t, tcp, strlen(tcp), 0, AF_INET, "tcp"), 0);
	T_EQ_INT(t.n, 3);
	char a[48];
	pn_addr_text(&t.s[1], a);
	T_EQ_STR(a, "127.0.0.1");
	T_EQ_INT(t.s[0].port, 25);
	T_OK(pn_listening(&t.s[0]) && !pn_loopback(&t.s[0]));
	T_OK(pn_listening(&t.s[1]) && pn_loopback(&t.s[1]));
	T_EQ_INT(t.s[1].uid, 108);
	T_EQ_INT(t.s[1].inode, 2001);
	T_OK(!pn_listening(&t.s[2]));
	pn_addr_text(&t.s[2], a);
	T_EQ_STR(a, "192.0.2.2");
	static const char tcp6[] =
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3001 1 0000000000000000 100 0 0 10 0\n"
		"   1: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3002 2 0000000000000000 0\n";
	T_EQ_INT(pn_parse(&t, tcp6, strlen(tcp6), 1, AF_INET6, "udp6"), 0);
	T_EQ_INT(t.n, 5);
	pn_addr_text(&t.s[3], a);
	T_EQ_STR(a, "::1");
	T_OK(pn_loopback(&t.s[3]));
	pn_addr_text(&t.s[4], a);
	T_EQ_STR(a, "::ffff:127.0.0.1");
	T_OK(pn_loopback(&t.s[4]) && pn_listening(&t.s[4]));
	pn_release(&t);
	static const char *const bad[] = {
		"header\n   0: 0000000G:0019 00000000:0000 0A 0:0 0:0 0 0 0 1\n",
		"header\n   0: 00000000:0019\n",
		"header\nno colon here\n",
		"header\n   0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000 x 0 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&t, 0, sizeof(t));
		T_EQ_INT(pn_parse(&t, bad[i], strlen(bad[i]), 0, AF_INET, "tcp"), AX_EINVALID);
		T_CONTAINS(ax_error_last(), "tcp:2: not a socket line");
		pn_release(&t);
	}

	/* the real nft -j output of tests/integration/exposure_netns.sh's drop ruleset */
	struct ax_buf real = AX_BUF_INIT;
	char *path = ax_asprintf("%s/tests/fuzz/corpus/nft_ruleset/real-drop", getenv("ANNEXA_SRC") ? getenv("ANNEXA_SRC") : ".");
	T_EQ_INT(ax_file_read(path, 1 << 20, &real), 0);
	free(path);
	struct nft_ruleset *rs = NULL;
	T_EQ_INT(nft_ruleset_load(&rs, ax_buf_cstr(&real), real.size), 0);
	T_EQ_STR(reach(rs, AF_INET, 0, 25), "open");
	T_EQ_STR(reach(rs, AF_INET6, 0, 587), "open");
	T_EQ_STR(reach(rs, AF_INET, 1, 53), "open");
	T_EQ_STR(reach(rs, AF_INET, 1, 25), "closed");
	T_EQ_STR(reach(rs, AF_INET, 0, 2222), "restricted");
	T_EQ_STR(reach(rs, AF_INET6, 0, 2222), "closed"); /* ip saddr never matches IPv6 */
	T_EQ_STR(reach(rs, AF_INET, 0, 8080), "open");   /* through the jump */
	T_EQ_STR(reach(rs, AF_INET, 0, 3306), "closed");
	T_EQ_INT(nft_default_drop(rs, AF_INET), 1);
	T_EQ_INT(nft_default_drop(rs, AF_INET6), 1);
	char why[160];
	nft_reachable(rs, AF_INET, 0, 8080, why);
	T_CONTAINS(why, "inet filter extra handle");
	nft_ruleset_free(rs);
	ax_buf_free(&real);

/* policy accept, tcp dport != 22 drop */
#define ONLY_22 \
	"{\"nftables\":[{\"chain\":{\"family\":\"ip\",\"table\":\"f\",\"name\":\"in\",\"hook\":\"input\",\"policy\":\"accept\"}}," \
	"{\"rule\":{\"family\":\"ip\",\"table\":\"f\",\"chain\":\"in\",\"handle\":2,\"expr\":[{\"match\":{\"op\":\"!=\"," \
	"\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":22}},{\"drop\":null}]}}]}"
	static const struct {
		const char *rules;
		int family, udp, port;
		const char *want;
	} cases[] = {
		/* no input chain: open */
		{"{\"nftables\":[]}", AF_INET, 0, 22, "open"},
		{ONLY_22, AF_INET, 0, 22, "open"},
		{ONLY_22, AF_INET, 0, 80, "closed"},
		/* an ip table does not see IPv6 */
		{"{\"nftables\":[{\"chain\":{\"family\":\"ip\",\"table\":\"f\",\"name\":\"in\",\"hook\":\"input\",\"policy\":\"drop\"}}]}",
		 AF_INET6, 0, 80, "open"},
		/* a range, meta l4proto, and a rule annexa cannot read (fib) that accepts */
		{"{\"nftables\":[{\"chain\":{\"family\":\"inet\",\"table\":\"f\",\"name\":\"in\",\"hook\":\"input\",\"policy\":\"drop\"}},"
		 "{\"rule\":{\"family\":\"inet\",\"table\":\"f\",\"chain\":\"in\",\"handle\":3,\"expr\":[{\"match\":{\"op\":\"==\","
		 "\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":\"udp\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":"
		 "{\"protocol\":\"th\",\"field\":\"dport\"}},\"right\":{\"range\":[60000,61000]}}},{\"accept\":null}]}},"
		 "{\"rule\":{\"family\":\"inet\",\"table\":\"f\",\"chain\":\"in\",\"handle\":4,\"expr\":[{\"match\":{\"op\":\"==\","
		 "\"left\":{\"fib\":{\"result\":\"type\",\"flags\":[\"daddr\"]}},\"right\":\"local\"}},{\"accept\":null}]}}]}",
		 AF_INET, 1, 60001, "open"},
		{"{\"nftables\":[{\"chain\":{\"family\":\"inet\",\"table\":\"f\",\"name\":\"in\",\"hook\":\"input\",\"policy\":\"drop\"}},"
		 "{\"rule\":{\"family\":\"inet\",\"table\":\"f\",\"chain\":\"in\",\"handle\":4,\"expr\":[{\"match\":{\"op\":\"==\","
		 "\"left\":{\"fib\":{\"result\":\"type\",\"flags\":[\"daddr\"]}},\"right\":\"local\"}},{\"accept\":null}]}}]}",
		 AF_INET, 0, 25, "unknown"},
		/* a self-jumping chain terminates */
		{"{\"nftables\":[{\"chain\":{\"family\":\"inet\",\"table\":\"f\",\"name\":\"in\",\"hook\":\"input\",\"policy\":\"drop\"}},"
		 "{\"rule\":{\"family\":\"inet\",\"table\":\"f\",\"chain\":\"in\",\"handle\":5,\"expr\":[{\"jump\":{\"target\":\"in\"}}]}}]}",
		 AF_INET, 0, 25, "unknown"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rs = NULL;
		T_EQ_INT(nft_ruleset_load(&rs, cases[i].rules, strlen(cases[i].rules)), 0);
		if (!rs)
			continue;
		const char *got = reach(rs, cases[i].family, cases[i].udp, cases[i].port);
		if (strcmp(got, cases[i].want) != 0)
			t_fail(__FILE__, __LINE__, "case %zu: %s, want %s", i, got, cases[i].want);
		T_OK(1);
		nft_ruleset_free(rs);
	}
#undef ONLY_22
	/* the probe: 25/tcp on 0.0.0.0 and 5432 on loopback, from files in the kernel's format */
	const char *dir = t_tmpdir();
	free(t_write("tcp", tcp));
	free(t_write("tcp6", ""));
	free(t_write("udp", ""));
	free(t_write("udp6", ""));
	static const char *const smtp[] = {"25/tcp"}, *const bad_expected[] = {"25/tcp", "smtp"};
	struct ax_evidence ev = {0};
	const struct ax_result *res = listeners(dir, NULL, 0, &ev);
	T_OK(res && res->status == AX_CHECK_FAIL);
	T_CONTAINS(res ? res->message : "", "25/tcp on 0.0.0.0");
	T_OK(res && !strstr(res->message, "5432"));
	T_OK(t_need_result(&ev, "exposure.reachable") && t_need_result(&ev, "exposure.reachable")->status == AX_CHECK_SKIP);
	ax_evidence_free(&ev);
	memset(&ev, 0, sizeof(ev));
	res = listeners(dir, smtp, 1, &ev);
	T_OK(res && res->status == AX_CHECK_PASS);
	ax_evidence_free(&ev);
	memset(&ev, 0, sizeof(ev));
	res = listeners(dir, bad_expected, 2, &ev);
	T_OK(res && res->status == AX_CHECK_ERROR);
	T_CONTAINS(res ? res->message : "", "expected 'smtp' is not PORT/tcp or PORT/udp");
	ax_evidence_free(&ev);

	T_EQ_INT(nft_ruleset_load(&rs, "[]", 2), AX_EINVALID);
	T_EQ_INT(nft_ruleset_load(&rs, "{", 1), AX_EINVALID);
	return t_done();
}
