/* nft_ruleset.h - which listening ports an nftables ruleset lets in,
 * from its JSON form (`nft -j list ruleset`, libnftables-json(5)).
 *
 * A new inbound connection to (family, protocol, port) from an unknown
 * source is walked through every base chain on the `input` hook of the
 * tables that see it (ip or ip6, and inet), rule by rule, following
 * jump/goto into regular chains (at most NFT_DEPTH deep). Matches it
 * understands: tcp/udp/th dport, meta l4proto/nfproto, ct state (a new
 * connection is `new`), iif/iifname (traffic from outside never arrives on
 * `lo`), ip/ip6 saddr (only some sources: "restricted"), with literal
 * values, anonymous and named sets, ranges and `!=`. A rule it does not
 * understand that would accept makes the answer "unknown" (it may let the
 * port in); one that would drop is assumed not to match (so the answer
 * never claims more filtering than it can show). The ruleset is untrusted
 * input: any JSON is accepted without crashing, bounded in time by the
 * depth limit and the rule count. */
#ifndef AX_NFT_RULESET_H
#define AX_NFT_RULESET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define NFT_DEPTH 8
#define NFT_RULES_MAX 100000

enum nft_reach {
	NFT_REACH_OPEN,       /* accepted from anywhere */
	NFT_REACH_RESTRICTED, /* accepted only from some sources or interfaces */
	NFT_REACH_CLOSED,     /* dropped or rejected */
	NFT_REACH_UNKNOWN,    /* a rule annexa cannot evaluate may accept it */
};

struct nft_ruleset;

/* Parses text; AX_EINVALID when it is not an nft JSON document. */
int nft_ruleset_load(struct nft_ruleset **out, const char *text, size_t len);
void nft_ruleset_free(struct nft_ruleset *rs);
/* The number of input base chains a family (AF_INET, AF_INET6) passes. */
size_t nft_input_chains(const struct nft_ruleset *rs, int family);
/* 1 when unmatched new traffic of the family is dropped: some input base
 * chain has policy drop or ends in an unconditional drop/reject. */
int nft_default_drop(const struct nft_ruleset *rs, int family);
/* The verdict for a new connection; why (may be NULL) gets one line: the
 * chain and rule handle that decided ("inet filter input handle 7: accept"). */
enum nft_reach nft_reachable(const struct nft_ruleset *rs, int family, int udp, uint16_t port, char why[static 160]);
const char *nft_reach_name(enum nft_reach r);

#endif
