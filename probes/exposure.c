/* exposure.c - the `exposure` probe: which services listen, which of them
 * the host firewall lets in, and whether it denies by default.
 *
 * Listening sockets come from the kernel's tables (/proc/net/tcp, tcp6,
 * udp, udp6: proc_net.h) of the network namespace the collector runs in;
 * the firewall from nftables' JSON (`nft -j list ruleset`, or a file the
 * admin saves from it), walked by nft_ruleset.h for each listener. A
 * socket bound to a loopback address is not exposed and is listed only.
 * Owning processes are named where /proc lets the child see them (its own
 * user's processes; confined, Landlock hides other processes' fd lists);
 * the owning uid always comes from the kernel's table. */
#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nft_ruleset.h"
#include "probe.h"
#include "proc_net.h"
#include "subprocess.h"
#include "util.h"
#include "verdict.h"

static const struct ax_option exposure_options[] = {
	{"expected", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "a port that may listen beyond loopback: 25/tcp, 993/tcp, 53/udp (repeatable)"},
	{"nft", AX_OPT_STRING, "nft", 0, NULL, 0, 0, "nft program for `nft -j list ruleset` (\"\": do not read the ruleset)"},
	{"ruleset-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "a saved `nft -j list ruleset` to read instead of running nft"},
	{"proc-net", AX_OPT_PATH, "/proc/net", 0, NULL, 0, 0, "the kernel's socket tables"},
	{"max-size", AX_OPT_SIZE, "16M", 0, NULL, 65536, 1073741824, "largest ruleset or socket table read"},
	{NULL},
};

static const struct ax_check_def exposure_checks[] = {
	{"exposure.listeners", "every socket listening beyond loopback is an `expected` port"},
	{"exposure.reachable", "no unexpected listener is reachable through the nftables input chains"},
	{"exposure.firewall_policy", "new inbound IPv4 and IPv6 traffic not explicitly allowed is dropped"},
	{NULL},
};

struct listener {
	struct pn_socket s;
	char *process;
	int expected;
};

static int is_expected(struct ax_probe_ctx *ctx, const struct pn_socket *s)
{
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "expected"); i++) {
		const char *e = ax_probe_opt_at(ctx, "expected", i);
		char *end;
		long port = strtol(e, &end, 10);
		const char *proto = *end == '/' ? end + 1 : "tcp";
		if (port == s->port && strcmp(proto, s->udp ? "udp" : "tcp") == 0)
			return 1;
	}
	return 0;
}

/* inode -> process name, for the sockets in ls, as far as /proc shows. */
static void name_processes(struct listener *ls, size_t n)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	size_t pids = 0;
	while (proc && (e = readdir(proc)) && pids < 65536) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pids++;
		char *fddir = ax_asprintf("/proc/%s/fd", e->d_name);
		DIR *fds = opendir(fddir);
		struct dirent *f;
		while (fds && (f = readdir(fds))) {
			char link[64], *path = ax_asprintf("%s/%s", fddir, f->d_name);
			ssize_t len = readlink(path, link, sizeof(link) - 1);
			free(path);
			if (len <= 0)
				continue;
			link[len] = '\0';
			unsigned long inode;
			if (sscanf(link, "socket:[%lu]", &inode) != 1)
				continue;
			for (size_t i = 0; i < n; i++) {
				if (ls[i].s.inode != inode || ls[i].process)
					continue;
				char *commf = ax_asprintf("/proc/%s/comm", e->d_name);
				struct ax_buf comm = AX_BUF_INIT;
				if (ax_file_read(commf, 256, &comm) == 0) {
					while (comm.size && comm.ptr[comm.size - 1] == '\n')
						ax_buf_truncate(&comm, comm.size - 1);
					ls[i].process = ax_strdup(ax_buf_cstr(&comm));
				}
				ax_buf_free(&comm);
				free(commf);
			}
		}
		if (fds)
			closedir(fds);
		free(fddir);
	}
	if (proc)
		closedir(proc);
}

static int read_sockets(struct ax_probe_ctx *ctx, struct pn_table *t)
{
	static const struct {
		const char *file;
		int udp, family;
	} tables[] = {{"tcp", 0, AF_INET}, {"tcp6", 0, AF_INET6}, {"udp", 1, AF_INET}, {"udp6", 1, AF_INET6}};
	const char *dir = ax_probe_opt(ctx, "proc-net");
	for (size_t i = 0; i < 4; i++) {
		char *path = ax_asprintf("%s/%s", dir, tables[i].file);
		struct ax_buf text = AX_BUF_INIT;
		int err = ax_file_read(path, (size_t)ax_probe_opt_int(ctx, "max-size"), &text);
		if (err == AX_ENOTFOUND && tables[i].family == AF_INET6)
			err = 0; /* a kernel without IPv6 */
		else if (err == 0)
			err = pn_parse(t, ax_buf_cstr(&text), text.size, tables[i].udp, tables[i].family, path);
		ax_buf_free(&text);
		free(path);
		if (err < 0)
			return err;
	}
	return 0;
}

/* The ruleset's JSON text (into text), from ruleset-file or nft; 0 with
 * nothing read when neither is configured. */
static int read_ruleset(struct ax_probe_ctx *ctx, struct ax_buf *text, const char **source)
{
	const char *file = ax_probe_opt(ctx, "ruleset-file"), *nft = ax_probe_opt(ctx, "nft");
	if (file) {
		*source = file;
		return ax_file_read(file, (size_t)ax_probe_opt_int(ctx, "max-size"), text);
	}
	if (!nft || !*nft)
		return 0;
	*source = "nft -j list ruleset";
	const char *argv[] = {nft, "-j", "list", "ruleset", NULL};
	struct ax_subprocess res;
	memset(&res, 0, sizeof(res));
	int err = ax_subprocess_run(argv, NULL, 20000, (size_t)ax_probe_opt_int(ctx, "max-size"), &res);
	if (err == 0 && (res.exit_code != 0 || res.out_truncated))
		err = ax_error_code(AX_ERROR, "%s %s: %.200s", nft, res.out_truncated ? "printed more than max-size" : "failed",
				    ax_buf_cstr(&res.err));
	if (err == 0)
		ax_buf_put(text, res.out.ptr ? res.out.ptr : "", res.out.size);
	ax_subprocess_free(&res);
	return err;
}

static int any_address(const struct pn_socket *s)
{
	static const unsigned char zero[16];
	return memcmp(s->addr, zero, s->family == AF_INET ? 4 : 16) == 0;
}

static int exposure_run(struct ax_probe_ctx *ctx)
{
	struct pn_table t = {0};
	struct ax_buf rtext = AX_BUF_INIT;
	struct nft_ruleset *rs = NULL;
	struct ax_verdict lst, reach, pol;
	const char *rsource = NULL;
	int err = read_sockets(ctx, &t);
	if (err < 0) {
		pn_release(&t);
		return err;
	}
	ax_verdict_init(&lst, "exposure.listeners", "sockets");
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "expected"); i++) {
		const char *e = ax_probe_opt_at(ctx, "expected", i);
		char *end;
		long port = strtol(e, &end, 10);
		if (port < 1 || port > 65535 || (*end && strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0))
			ax_verdict_add(&lst, AX_CHECK_ERROR, NULL, "expected '%s' is not PORT/tcp or PORT/udp", e);
	}
	ax_verdict_init(&reach, "exposure.reachable", "sockets");
	ax_verdict_init(&pol, "exposure.firewall_policy", "families");
	int rerr = read_ruleset(ctx, &rtext, &rsource);
	if (rerr == 0 && rsource) {
		if ((rerr = nft_ruleset_load(&rs, ax_buf_cstr(&rtext), rtext.size)) == 0)
			ax_probe_artifact(ctx, "ruleset.json", "application/json", rtext.ptr, rtext.size);
	}
	if (rerr < 0) {
		ax_verdict_add(&reach, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		ax_verdict_add(&pol, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
	}

	/* listening sockets, one entry per (proto, address, port) */
	struct listener *ls = ax_calloc(t.n ? t.n : 1, sizeof(*ls));
	size_t n = 0;
	for (size_t i = 0; i < t.n; i++) {
		if (!pn_listening(&t.s[i]))
			continue;
		int dup = 0;
		for (size_t k = 0; k < n && !dup; k++)
			dup = ls[k].s.udp == t.s[i].udp && ls[k].s.port == t.s[i].port && ls[k].s.family == t.s[i].family &&
			      memcmp(ls[k].s.addr, t.s[i].addr, 16) == 0;
		if (!dup)
			ls[n++].s = t.s[i];
	}
	name_processes(ls, n);
	json_t *all = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct pn_socket *s = &ls[i].s;
		char addr[48], port[16], why[160] = "";
		pn_addr_text(s, addr);
		snprintf(port, sizeof(port), "%u/%s", s->port, s->udp ? "udp" : "tcp");
		struct passwd *pw = getpwuid((uid_t)s->uid);
		int loop = pn_loopback(s);
		ls[i].expected = is_expected(ctx, s);
		json_t *item = json_pack("{s:s,s:s,s:I,s:s?,s:s?,s:b,s:b}", "port", port, "address", addr, "uid",
					 (json_int_t)s->uid, "user", pw ? pw->pw_name : NULL, "process", ls[i].process,
					 "loopback", loop, "expected", ls[i].expected);
		enum nft_reach r = NFT_REACH_OPEN;
		if (rs && !loop) {
			/* a socket on a v4-mapped address (::ffff:a.b.c.d) takes IPv4 traffic
			 * only, which the ip/inet chains filter, not the ip6 ones */
			int fam = pn_v4_mapped(s) ? AF_INET : s->family;
			r = nft_reachable(rs, fam, s->udp, s->port, why);
			/* a socket on :: may take IPv4 too (unless IPV6_V6ONLY, which /proc does not show) */
			if (s->family == AF_INET6 && any_address(s)) {
				char why4[160];
				enum nft_reach r4 = nft_reachable(rs, AF_INET, s->udp, s->port, why4);
				if (r4 == NFT_REACH_OPEN || (r4 == NFT_REACH_UNKNOWN && r != NFT_REACH_OPEN) ||
				    (r == NFT_REACH_CLOSED && r4 != NFT_REACH_CLOSED)) {
					r = r4;
					memcpy(why, why4, sizeof(why));
				}
			}
			json_object_set_new(item, "reach", json_string(nft_reach_name(r)));
			json_object_set_new(item, "decided_by", json_string(why));
		}
		json_array_append(all, item);
		if (loop) {
			json_decref(item);
			continue;
		}
		if (ls[i].expected)
			ax_verdict_add(&lst, AX_CHECK_PASS, json_incref(item), "%s", port);
		else
			ax_verdict_add(&lst, AX_CHECK_FAIL, json_incref(item), "%s on %s (%s) is not expected", port, addr,
				       ls[i].process ? ls[i].process : pw ? pw->pw_name : "?");
		if (rs && !ls[i].expected) {
			if (r == NFT_REACH_OPEN || r == NFT_REACH_UNKNOWN)
				ax_verdict_add(&reach, AX_CHECK_FAIL, json_incref(item), "%s on %s is %s (%s)", port, addr,
					       r == NFT_REACH_OPEN ? "reachable" : "possibly reachable", why);
			else
				ax_verdict_add(&reach, AX_CHECK_PASS, json_incref(item), "%s", port);
		}
		json_decref(item);
	}
	if (!lst.touched)
		ax_verdict_add(&lst, AX_CHECK_PASS, NULL, "none");
	if (rs && !reach.touched)
		ax_verdict_add(&reach, AX_CHECK_PASS, NULL, "none");
	if (rs) {
		static const int fams[] = {AF_INET, AF_INET6};
		for (size_t f = 0; f < 2; f++) {
			const char *fam = fams[f] == AF_INET ? "ipv4" : "ipv6";
			int drop = nft_default_drop(rs, fams[f]);
			json_t *item = json_pack("{s:s,s:I,s:b}", "family", fam, "input_chains",
						 (json_int_t)nft_input_chains(rs, fams[f]), "default_drop", drop);
			if (drop)
				ax_verdict_add(&pol, AX_CHECK_PASS, item, "%s", fam);
			else
				ax_verdict_add(&pol, AX_CHECK_FAIL, item, "new inbound %s traffic is accepted by default (%s)", fam,
					       nft_input_chains(rs, fams[f]) ? "input policy accept" : "no input chain");
		}
	}
	ax_probe_artifact_json_take(ctx, "sockets.json", json_pack("{s:o,s:s?}", "listening", all, "ruleset_source", rsource));
	ax_verdict_emit(ctx, &lst, "only expected ports listen beyond loopback", "");
	ax_verdict_emit(ctx, &reach, "no unexpected listener is reachable through the firewall", "ruleset not read (nft = \"\")");
	ax_verdict_emit(ctx, &pol, "new inbound traffic is dropped unless allowed (IPv4 and IPv6)", "ruleset not read (nft = \"\")");
	for (size_t i = 0; i < n; i++)
		free(ls[i].process);
	free(ls);
	nft_ruleset_free(rs);
	ax_buf_free(&rtext);
	pn_release(&t);
	return 0;
}

static const struct ax_probe_access exposure_access = {.flags = AX_ACCESS_EXEC};

const struct probe probe_exposure = {
	.name = "exposure",
	.summary = "network exposure: listening sockets against an expected list, nftables input policy and reachability",
	.options = exposure_options,
	.checks = exposure_checks,
	.run = exposure_run,
	.access = &exposure_access,
};
