/* nft_ruleset.c - walking an nftables JSON ruleset for one new inbound
 * connection (nft_ruleset.h). */
#include "nft_ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "error.h"

struct chain {
	const char *family, *table, *name;
	const char *hook, *policy; /* NULL for a regular chain */
	json_t **rules;            /* the rules' "expr" arrays, in order */
	json_int_t *handles;
	size_t nrules;
};

struct nft_ruleset {
	json_t *root;
	struct chain *chains;
	size_t nchains;
	json_t *sets; /* the "set" objects, for @name lookups */
};

/* the packet: a new connection from an unknown source */
struct pkt {
	int family, udp;
	uint16_t port;
};

enum match { M_YES, M_NO, M_PARTIAL, M_UNKNOWN };

/* what a chain decided */
enum verdict { V_NONE, V_ACCEPT, V_DROP };

struct walk {
	const struct nft_ruleset *rs;
	struct pkt pkt;
	int restricted, unknown;
	size_t steps;
	char *why;
};

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static struct chain *find_chain(const struct nft_ruleset *rs, const char *family, const char *table, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++) {
		struct chain *c = &rs->chains[i];
		if (strcmp(c->family, family) == 0 && strcmp(c->table, table) == 0 && strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

int nft_ruleset_load(struct nft_ruleset **out, const char *text, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	json_t *items = json_object_get(root, "nftables");
	*out = NULL;
	if (!json_is_array(items)) {
		int err = ax_error_code(AX_EINVALID, "not an nft JSON ruleset: %s", root ? "no \"nftables\" array" : je.text);
		json_decref(root);
		return err;
	}
	struct nft_ruleset *rs = ax_calloc(1, sizeof(*rs));
	rs->root = root;
	rs->sets = json_array();
	size_t i, nrules = 0;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		json_t *c = json_object_get(it, "chain"), *s = json_object_get(it, "set");
		if (json_is_object(s))
			json_array_append(rs->sets, s);
		if (!json_is_object(c) || !str(c, "family") || !str(c, "table") || !str(c, "name") ||
		    find_chain(rs, str(c, "family"), str(c, "table"), str(c, "name")))
			continue;
		rs->chains = ax_realloc(rs->chains, (rs->nchains + 1) * sizeof(*rs->chains));
		struct chain *ch = &rs->chains[rs->nchains++];
		memset(ch, 0, sizeof(*ch));
		ch->family = str(c, "family");
		ch->table = str(c, "table");
		ch->name = str(c, "name");
		ch->hook = str(c, "hook");
		ch->policy = str(c, "policy");
	}
	json_array_foreach(items, i, it)
	{
		json_t *r = json_object_get(it, "rule");
		if (!json_is_object(r) || !str(r, "family") || !str(r, "table") || !str(r, "chain") ||
		    !json_is_array(json_object_get(r, "expr")) || nrules >= NFT_RULES_MAX)
			continue;
		struct chain *ch = find_chain(rs, str(r, "family"), str(r, "table"), str(r, "chain"));
		if (!ch)
			continue;
		ch->rules = ax_realloc(ch->rules, (ch->nrules + 1) * sizeof(*ch->rules));
		ch->handles = ax_realloc(ch->handles, (ch->nrules + 1) * sizeof(*ch->handles));
		ch->rules[ch->nrules] = json_object_get(r, "expr");
		ch->handles[ch->nrules++] = json_integer_value(json_object_get(r, "handle"));
		nrules++;
	}
	*out = rs;
	return 0;
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nchains; i++) {
		free(rs->chains[i].rules);
		free(rs->chains[i].handles);
	}
	free(rs->chains);
	json_decref(rs->sets);
	json_decref(rs->root);
	free(rs);
}

static int sees(const char *table_family, int family)
{
	return strcmp(table_family, "inet") == 0 || (family == AF_INET && strcmp(table_family, "ip") == 0) ||
	       (family == AF_INET6 && strcmp(table_family, "ip6") == 0);
}

static int is_input_base(const struct chain *c, int family)
{
	return c->hook && strcmp(c->hook, "input") == 0 && sees(c->family, family);
}

size_t nft_input_chains(const struct nft_ruleset *rs, int family)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->nchains; i++)
		n += is_input_base(&rs->chains[i], family);
	return n;
}

/* --- matching one value against the right-hand side --- */

/* 1 when value (a number or a string) equals or lies in elem. */
static int elem_has(json_t *elem, json_int_t num, const char *s)
{
	if (json_is_integer(elem))
		return !s && json_integer_value(elem) == num;
	if (json_is_string(elem))
		return s && strcmp(json_string_value(elem), s) == 0;
	json_t *range = json_object_get(elem, "range");
	if (json_is_array(range) && json_array_size(range) == 2 && !s)
		return json_integer_value(json_array_get(range, 0)) <= num &&
		       num <= json_integer_value(json_array_get(range, 1));
	json_t *e = json_object_get(elem, "elem"); /* {"elem": {"val": 22, "timeout": ...}} */
	if (e)
		return elem_has(json_object_get(e, "val"), num, s);
	return 0;
}

/* The elements right stands for, or NULL when annexa cannot tell. */
static json_t *elements(const struct walk *w, const struct chain *ch, json_t *right, json_t **owned)
{
	*owned = NULL;
	json_t *set = json_object_get(right, "set");
	if (json_is_array(set))
		return set;
	const char *name = json_string_value(right);
	if (name && name[0] == '@') {
		size_t i;
		json_t *s;
		json_array_foreach(w->rs->sets, i, s)
		{
			if (str(s, "name") && strcmp(str(s, "name"), name + 1) == 0 && str(s, "table") &&
			    strcmp(str(s, "table"), ch->table) == 0 && str(s, "family") && strcmp(str(s, "family"), ch->family) == 0) {
				json_t *elem = json_object_get(s, "elem");
				return json_is_array(elem) ? elem : (*owned = json_array());
			}
		}
		return NULL;
	}
	*owned = json_array();
	json_array_append(*owned, right);
	return *owned;
}

/* Whether the packet's value is in right (1), not (0), or unknown (-1). */
static int value_in(const struct walk *w, const struct chain *ch, json_t *right, json_int_t num, const char *s)
{
	json_t *owned, *el = elements(w, ch, right, &owned);
	if (!el)
		return -1;
	int hit = 0;
	size_t i;
	json_t *e;
	json_array_foreach(el, i, e)
	{
		if (elem_has(e, num, s))
			hit = 1;
	}
	json_decref(owned);
	return hit;
}

static enum match apply_op(const char *op, int in)
{
	if (in < 0)
		return M_UNKNOWN;
	int neg = op && strcmp(op, "!=") == 0;
	if (op && strcmp(op, "==") != 0 && strcmp(op, "in") != 0 && !neg)
		return M_UNKNOWN; /* <, >, & ... */
	return (in != neg) ? M_YES : M_NO;
}

static enum match match_one(const struct walk *w, const struct chain *ch, json_t *m)
{
	json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right");
	const char *op = str(m, "op");
	json_t *payload = json_object_get(left, "payload"), *meta = json_object_get(left, "meta"),
	       *ct = json_object_get(left, "ct");
	const struct pkt *p = &w->pkt;
	if (payload) {
		const char *proto = str(payload, "protocol"), *field = str(payload, "field");
		if (!proto || !field)
			return M_UNKNOWN;
		int l4 = strcmp(proto, "tcp") == 0 ? 0 : strcmp(proto, "udp") == 0 ? 1 : strcmp(proto, "th") == 0 ? 2 : -1;
		if (l4 >= 0 && strcmp(field, "dport") == 0) {
			if (l4 != 2 && l4 != p->udp)
				return M_NO; /* a tcp match never matches a udp packet, even negated */
			return apply_op(op, value_in(w, ch, right, p->port, NULL));
		}
		if (l4 >= 0 && l4 != 2 && l4 != p->udp)
			return M_NO;
		int ip = strcmp(proto, "ip") == 0 ? AF_INET : strcmp(proto, "ip6") == 0 ? AF_INET6 : 0;
		if (ip && ip != p->family)
			return M_NO;
		if (ip && strcmp(field, "saddr") == 0) {
			/* "ip saddr 0.0.0.0/0" is every source: not a restriction */
			json_t *len = json_object_get(json_object_get(right, "prefix"), "len");
			if (json_is_integer(len) && json_integer_value(len) == 0)
				return apply_op(op, 1);
			return M_PARTIAL;
		}
		return M_UNKNOWN;
	}
	if (meta) {
		const char *key = str(meta, "key");
		if (!key)
			return M_UNKNOWN;
		if (strcmp(key, "l4proto") == 0)
			return apply_op(op, value_in(w, ch, right, -1, p->udp ? "udp" : "tcp"));
		if (strcmp(key, "nfproto") == 0)
			return apply_op(op, value_in(w, ch, right, -1, p->family == AF_INET ? "ipv4" : "ipv6"));
		if (strcmp(key, "iifname") == 0 || strcmp(key, "iif") == 0) {
			/* from outside: never lo; other interfaces are some of the traffic */
			int lo = value_in(w, ch, right, -1, "lo");
			int neg = op && strcmp(op, "!=") == 0;
			if (lo == 1 && json_is_string(right))
				return neg ? M_YES : M_NO;
			return M_PARTIAL;
		}
		return M_UNKNOWN;
	}
	if (ct && str(ct, "key") && strcmp(str(ct, "key"), "state") == 0) {
		/* a new connection's state is "new"; a bitmask match (op "in" with flags) reads the same */
		return apply_op(op && strcmp(op, "in") == 0 ? "==" : op, value_in(w, ch, right, -1, "new"));
	}
	return M_UNKNOWN;
}

static enum match match_rule(const struct walk *w, const struct chain *ch, json_t *expr)
{
	enum match all = M_YES;
	size_t i;
	json_t *st;
	json_array_foreach(expr, i, st)
	{
		json_t *m = json_object_get(st, "match");
		if (!m)
			continue; /* counter, log, limit, verdicts */
		enum match r = match_one(w, ch, m);
		if (r == M_NO)
			return M_NO;
		if (r == M_UNKNOWN || (r == M_PARTIAL && all == M_YES))
			all = r == M_UNKNOWN ? M_UNKNOWN : M_PARTIAL;
	}
	return all;
}

/* The rule's verdict statement: "accept", "drop", "reject", "return",
 * "jump", "goto", or NULL; target for the last two. */
static const char *rule_verdict(json_t *expr, const char **target)
{
	static const char *const verdicts[] = {"accept", "drop", "reject", "return", "jump", "goto"};
	size_t i;
	json_t *st;
	*target = NULL;
	json_array_foreach(expr, i, st)
	{
		for (size_t k = 0; k < sizeof(verdicts) / sizeof(verdicts[0]); k++) {
			json_t *v = json_object_get(st, verdicts[k]); /* {"accept": null} holds a JSON null, not NULL */
			if (!v)
				continue;
			*target = str(v, "target");
			return verdicts[k];
		}
	}
	return NULL;
}

/* A verdict map ("tcp dport vmap { 22 : accept, 80 : drop }"): each key
 * is matched as "KEY == ELEMENT" would be; the first sure match gives the
 * rule's verdict (*m = M_YES). An entry that may match and would accept or
 * jump makes the rule an "accept" of that certainty, since the map was
 * otherwise skipped and its accepts reported as closed; a named map is not
 * read: "accept", M_UNKNOWN. NULL: no vmap, or no entry can match. */
static const char *vmap_verdict(const struct walk *w, const struct chain *ch, json_t *expr, const char **target,
				enum match *m)
{
	size_t i, k;
	json_t *st, *pair;
	*target = NULL;
	json_array_foreach(expr, i, st)
	{
		json_t *vm = json_object_get(st, "vmap");
		if (!vm)
			continue;
		json_t *key = json_object_get(vm, "key"), *set = json_object_get(json_object_get(vm, "data"), "set");
		*m = M_UNKNOWN;
		if (!json_is_array(set))
			return "accept";
		enum match maybe = M_NO;
		json_array_foreach(set, k, pair)
		{
			const char *t, *v = json_is_array(pair) ? rule_verdict(pair, &t) : NULL;
			json_t *probe = key ? json_pack("{s:s,s:O,s:O?}", "op", "==", "left", key, "right",
						     json_array_get(pair, 0))
					    : NULL;
			enum match r = probe ? match_one(w, ch, probe) : M_UNKNOWN;
			json_decref(probe);
			if (r == M_YES && v) {
				*target = t;
				*m = M_YES;
				return v;
			}
			if (r != M_NO && v && strcmp(v, "drop") != 0 && strcmp(v, "reject") != 0 && strcmp(v, "return") != 0)
				maybe = maybe == M_UNKNOWN || r == M_UNKNOWN ? M_UNKNOWN : M_PARTIAL;
		}
		*m = maybe;
		return maybe == M_NO ? NULL : "accept";
	}
	return NULL;
}

static void note(struct walk *w, const struct chain *ch, json_int_t handle, const char *what)
{
	snprintf(w->why, 160, "%s %s %s handle %lld: %s", ch->family, ch->table, ch->name, (long long)handle, what);
}

static enum verdict walk_chain(struct walk *w, const struct chain *ch, int depth)
{
	for (size_t i = 0; i < ch->nrules; i++) {
		if (++w->steps > NFT_RULES_MAX * 4)
			break;
		const char *target, *v = rule_verdict(ch->rules[i], &target);
		enum match vm = M_YES;
		if (!v)
			v = vmap_verdict(w, ch, ch->rules[i], &target, &vm);
		if (!v)
			continue;
		enum match m = match_rule(w, ch, ch->rules[i]);
		if (m == M_NO)
			continue;
		if (vm == M_UNKNOWN || (vm == M_PARTIAL && m == M_YES))
			m = vm;
		if (strcmp(v, "accept") == 0) {
			if (m == M_YES) {
				note(w, ch, ch->handles[i], "accept");
				return V_ACCEPT;
			}
			/* accepted for some of the traffic; the rest goes on */
			if (m == M_PARTIAL)
				w->restricted = 1;
			else
				w->unknown = 1;
			note(w, ch, ch->handles[i], m == M_PARTIAL ? "accept (some sources)" : "accept (rule not evaluated)");
		} else if (strcmp(v, "drop") == 0 || strcmp(v, "reject") == 0) {
			if (m == M_YES) {
				if (!w->restricted && !w->unknown)
					note(w, ch, ch->handles[i], v);
				return V_DROP;
			}
		} else if (strcmp(v, "return") == 0) {
			if (m == M_YES)
				return V_NONE;
		} else if (target && depth < NFT_DEPTH) {
			const struct chain *sub = find_chain(w->rs, ch->family, ch->table, target);
			if (!sub) {
				continue;
			}
			if (m != M_YES) {
				/* entered for some traffic only: what it accepts counts as partial */
				struct walk inner = *w;
				if (walk_chain(&inner, sub, depth + 1) == V_ACCEPT || inner.restricted || inner.unknown) {
					if (m == M_PARTIAL)
						w->restricted = 1;
					else
						w->unknown = 1;
				}
				w->steps = inner.steps;
				continue;
			}
			enum verdict r = walk_chain(w, sub, depth + 1);
			if (r != V_NONE)
				return r;
			if (strcmp(v, "goto") == 0)
				return V_NONE;
		} else if (target) {
			w->unknown = 1; /* deeper than annexa follows */
		}
	}
	return V_NONE;
}

enum nft_reach nft_reachable(const struct nft_ruleset *rs, int family, int udp, uint16_t port, char why[static 160])
{
	struct walk w = {.rs = rs, .pkt = {family, udp, port}, .why = why};
	int dropped = 0;
	snprintf(why, 160, "no input chain");
	for (size_t i = 0; i < rs->nchains && !dropped; i++) {
		const struct chain *c = &rs->chains[i];
		if (!is_input_base(c, family))
			continue;
		enum verdict v = walk_chain(&w, c, 0);
		if (v == V_NONE) {
			int drop = c->policy && strcmp(c->policy, "drop") == 0;
			v = drop ? V_DROP : V_ACCEPT;
			if (!w.restricted && !w.unknown)
				snprintf(why, 160, "%s %s %s policy %s", c->family, c->table, c->name, drop ? "drop" : "accept");
		}
		dropped = v == V_DROP;
	}
	if (!dropped)
		return NFT_REACH_OPEN;
	return w.unknown ? NFT_REACH_UNKNOWN : w.restricted ? NFT_REACH_RESTRICTED : NFT_REACH_CLOSED;
}

int nft_default_drop(const struct nft_ruleset *rs, int family)
{
	for (size_t i = 0; i < rs->nchains; i++) {
		const struct chain *c = &rs->chains[i];
		if (!is_input_base(c, family))
			continue;
		/* an unconditional accept (no match, no map) anywhere in the chain
		 * lets everything in: its policy drop is never reached */
		int accepts_all = 0;
		for (size_t r = 0; r < c->nrules && !accepts_all; r++) {
			const char *target, *v = rule_verdict(c->rules[r], &target);
			int cond = 0;
			size_t k;
			json_t *st;
			json_array_foreach(c->rules[r], k, st) cond |= json_object_get(st, "match") || json_object_get(st, "vmap");
			accepts_all = !cond && v && strcmp(v, "accept") == 0;
		}
		if (accepts_all)
			continue;
		if (c->policy && strcmp(c->policy, "drop") == 0)
			return 1;
		if (c->nrules) {
			json_t *last = c->rules[c->nrules - 1];
			const char *target, *v = rule_verdict(last, &target);
			int has_match = 0;
			size_t k;
			json_t *st;
			json_array_foreach(last, k, st) has_match |= json_object_get(st, "match") != NULL;
			if (v && !has_match && (strcmp(v, "drop") == 0 || strcmp(v, "reject") == 0))
				return 1;
		}
	}
	return 0;
}

const char *nft_reach_name(enum nft_reach r)
{
	static const char *const names[] = {"open", "restricted", "closed", "unknown"};
	return (unsigned)r < 4 ? names[r] : "unknown";
}
