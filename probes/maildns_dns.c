/* maildns_dns.c - libunbound lookups with DNSSEC validation for the
 * `maildns` probe (see maildns_dns.h). The RDATA libunbound hands back is
 * uncompressed wire format; it is decoded here with every length checked
 * against the record's. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>
#include <unbound.h>

#include "buf.h"
#include "error.h"
#include "maildns_dns.h"
#include "util.h"

struct md_resolver {
	struct ub_ctx *ub;
};

const char *md_sec_name(enum md_sec s)
{
	return s == MD_SECURE ? "secure" : s == MD_BOGUS ? "bogus" : "insecure";
}

int md_resolver_new(const char *const *resolvers, size_t nresolvers, const char *trust_anchor,
		    struct md_resolver **out)
{
	struct ub_ctx *ub = ub_ctx_create();
	int rc;
	*out = NULL;
	if (!ub)
		return ax_error_set("libunbound: cannot create a context");
	/* a forwarder on loopback is the common case (a local validating
	 * resolver, or the tests' server): unbound refuses those by default */
	if ((rc = ub_ctx_set_option(ub, "do-not-query-localhost:", "no")) != 0)
		goto fail;
	for (size_t i = 0; i < nresolvers; i++)
		if ((rc = ub_ctx_set_fwd(ub, resolvers[i])) != 0) {
			ub_ctx_delete(ub);
			return ax_error_code(AX_EINVALID, "resolver %s: %s", resolvers[i], ub_strerror(rc));
		}
	if (!nresolvers && (rc = ub_ctx_resolvconf(ub, NULL)) != 0)
		goto fail;
	if (trust_anchor && (rc = ub_ctx_add_ta_file(ub, trust_anchor)) != 0) {
		ub_ctx_delete(ub);
		return ax_error_code(AX_EINVALID, "trust anchor %s: %s", trust_anchor, ub_strerror(rc));
	}
	*out = ax_calloc(1, sizeof(**out));
	(*out)->ub = ub;
	return 0;
fail:
	ub_ctx_delete(ub);
	return ax_error_set("libunbound: %s", ub_strerror(rc));
}

void md_resolver_free(struct md_resolver *r)
{
	if (!r)
		return;
	ub_ctx_delete(r->ub);
	free(r);
}

void md_answer_free(struct md_answer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->rr[i]);
	free(a->rr);
	free(a->pref);
	free(a->why_bogus);
	memset(a, 0, sizeof(*a));
}

static void put_text(struct ax_buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ax_buf_putc(b, p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?');
}

/* TXT RDATA: one or more <length><bytes> strings, joined (RFC 7208 3.3). */
static int decode_txt(const unsigned char *p, size_t len, struct ax_buf *b)
{
	size_t i = 0;
	while (i < len) {
		size_t n = p[i++];
		if (n > len - i)
			return -1;
		put_text(b, p + i, n);
		i += n;
	}
	return 0;
}

/* An uncompressed wire name, lowercased, without the trailing dot. */
static int decode_name(const unsigned char *p, size_t len, struct ax_buf *b)
{
	size_t i = 0;
	while (i < len) {
		size_t n = p[i++];
		if (n == 0)
			return i == len ? 0 : -1;
		if (n > 63 || n > len - i)
			return -1;
		if (b->size)
			ax_buf_putc(b, '.');
		for (size_t k = 0; k < n; k++) {
			unsigned char c = p[i + k];
			c = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
			put_text(b, &c, 1);
		}
		i += n;
	}
	return -1;
}

int md_query(struct md_resolver *r, const char *name, int rrtype, struct md_answer *out)
{
	struct ub_result *res = NULL;
	memset(out, 0, sizeof(*out));
	int rc = ub_resolve(r->ub, name, rrtype, 1 /* IN */, &res);
	if (rc != 0)
		return ax_error_set("lookup of %s: %s", name, ub_strerror(rc));
	int err = 0;
	out->sec = res->bogus ? MD_BOGUS : res->secure ? MD_SECURE : MD_INSECURE;
	if (res->bogus) {
		out->why_bogus = ax_strdup(res->why_bogus ? res->why_bogus : "validation failed");
		goto cleanup; /* the data of a bogus answer is not handed out */
	}
	if (res->rcode != 0 && res->rcode != 3) {
		err = ax_error_set("lookup of %s failed (rcode %d)", name, res->rcode);
		goto cleanup;
	}
	out->nxdomain = res->nxdomain;
	for (size_t i = 0; res->havedata && res->data[i]; i++) {
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = (size_t)res->len[i];
		struct ax_buf b = AX_BUF_INIT;
		int pref = 0, bad;
		if (rrtype == MD_TXT) {
			bad = decode_txt(p, len, &b);
		} else if (rrtype == MD_MX) {
			bad = len < 3 ? -1 : decode_name(p + 2, len - 2, &b);
			pref = len < 3 ? 0 : p[0] << 8 | p[1];
		} else if (rrtype == MD_TLSA) {
			bad = len < 4 || len > 4096 ? -1 : 0;
			if (!bad) {
				char *hex = ax_malloc((len - 3) * 2 + 1);
				ax_hex(p + 3, len - 3, hex);
				ax_buf_printf(&b, "%u %u %u %s", p[0], p[1], p[2], hex);
				free(hex);
			}
		} else if (rrtype == MD_A || rrtype == MD_AAAA) {
			char text[INET6_ADDRSTRLEN];
			bad = len != (rrtype == MD_A ? 4u : 16u) ||
			      !inet_ntop(rrtype == MD_A ? AF_INET : AF_INET6, p, text, sizeof(text));
			if (!bad)
				ax_buf_puts(&b, text);
		} else {
			bad = 0;
		}
		if (bad) {
			ax_buf_free(&b);
			err = ax_error_code(AX_EINVALID, "malformed record in the answer for %s", name);
			goto cleanup;
		}
		out->rr = ax_realloc(out->rr, (out->n + 1) * sizeof(char *));
		out->pref = ax_realloc(out->pref, (out->n + 1) * sizeof(int));
		out->rr[out->n] = b.ptr ? ax_buf_detach(&b) : ax_strdup("");
		out->pref[out->n++] = pref;
	}
cleanup:
	ub_resolve_free(res);
	if (err < 0)
		md_answer_free(out);
	return err;
}

void md_network_of(const char *ip, char out[static 64])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned char b[16];
	out[0] = '\0';
	if (inet_pton(AF_INET, ip, b) == 1)
		snprintf(out, 64, "%u.%u.%u.0/24", b[0], b[1], b[2]);
	else if (inet_pton(AF_INET6, ip, b) == 1 && memcmp(b, mapped, 12) == 0)
		snprintf(out, 64, "%u.%u.%u.0/24", b[12], b[13], b[14]);
	else if (inet_pton(AF_INET6, ip, b) == 1)
		snprintf(out, 64, "%02x%02x:%02x%02x:%02x%02x::/48", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* An augmenting path (Kuhn): give host h a network, moving the host that
 * holds it to another of its own when one is free. */
static int give_network(size_t h, const size_t *host, const size_t *netno, char (*net)[64], size_t n, size_t *owner,
			unsigned char *seen)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = netno[i];
		if (host[i] != h || seen[k] || !net[i][0])
			continue;
		seen[k] = 1;
		if (owner[k] == SIZE_MAX || give_network(owner[k], host, netno, net, n, owner, seen)) {
			owner[k] = h;
			return 1;
		}
	}
	return 0;
}

/* The address as 16 bytes, an IPv4 one IPv4-mapped; -1 for no address. */
static int addr_bytes(const char *ip, unsigned char b[16])
{
	memset(b, 0, 16);
	b[10] = b[11] = 0xff;
	if (inet_pton(AF_INET, ip, b + 12) == 1)
		return 0;
	return inet_pton(AF_INET6, ip, b) == 1 ? 0 : -1;
}

size_t md_hosts_apart(const char *const *addr, const size_t *host, size_t n)
{
	size_t sz = n ? n : 1;
	size_t *netno = ax_malloc(sz * sizeof(size_t)), *owner = ax_malloc(sz * sizeof(size_t));
	size_t *machine = ax_malloc(sz * sizeof(size_t));
	unsigned char (*bytes)[16] = ax_malloc(sz * 16), *seen = ax_malloc(sz);
	char (*net)[64] = ax_malloc(sz * 64);
	size_t nnets = 0, nhosts = 0, apart = 0;
	for (size_t i = 0; i < n; i++) {
		md_network_of(addr[i], net[i]);
		if (addr_bytes(addr[i], bytes[i]) < 0)
			net[i][0] = '\0';
		machine[i] = host[i];
		if (host[i] + 1 > nhosts)
			nhosts = host[i] + 1;
	}
	/* hosts that share an address are one machine: relabel to the lowest
	 * host number until stable (n is small: the MX hosts' addresses) */
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++) {
				int same = machine[j] != machine[i] && (host[j] == host[i] || memcmp(bytes[i], bytes[j], 16) == 0);
				if (net[i][0] && net[j][0] && same && machine[j] < machine[i])
					machine[i] = machine[j], changed = 1;
			}
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < i && strcmp(net[j], net[i]) != 0)
			j++;
		netno[i] = j < i ? netno[j] : nnets++;
	}
	for (size_t k = 0; k < nnets; k++)
		owner[k] = SIZE_MAX;
	for (size_t h = 0; h < nhosts; h++) {
		memset(seen, 0, nnets ? nnets : 1);
		for (size_t i = 0; i < n; i++) /* skip empty and merged-away hosts */
			if (net[i][0] && machine[i] == h) {
				apart += (size_t)give_network(h, machine, netno, net, n, owner, seen);
				break;
			}
	}
	free(netno);
	free(owner);
	free(machine);
	free(bytes);
	free(seen);
	free(net);
	return apart;
}

char *md_org_domain(const char *name)
{
	psl_ctx_t *psl = psl_latest(NULL);
	const char *reg = NULL;
	char *out = NULL;
	if (!psl)
		psl = (psl_ctx_t *)psl_builtin();
	if (psl && (reg = psl_registrable_domain(psl, name)))
		out = ax_strdup(reg);
	if (psl && psl != psl_builtin())
		psl_free(psl);
	return out;
}
