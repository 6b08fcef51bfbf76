/* config.c - loads annexa.conf with libgit2's config API and validates it.
 *
 * libgit2 does the parsing (so syntax errors carry its file:line message);
 * this file only checks the entries it yields against one table of known
 * keys per section and per probe type. A config returned by
 * ax_config_load() has only known keys, values that parse and lie within
 * their bounds, every required key, and paths resolved against the
 * config file's folder. Every other failure is AX_EINVALID with a message
 * naming the file, the section and the key. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "msg.h"
#include "probe.h"
#include "util.h"

#define WEEK52 31449600

static const struct ax_option annexa_options[] = {
	{"organization", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "organization named in reports and bundles"},
	{"store", AX_OPT_PATH, "annexa.db", 0, NULL, 0, 0, "the evidence store (SQLite)"},
	/* the same bounds as a probe's own interval (probe.c) */
	{"interval", AX_OPT_DURATION, "1h", 0, NULL, 1, WEEK52, "default interval of every probe instance"},
	{"controls", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "catalog and mapping folder (default: installed data)"},
	{"user", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "user the daemon switches to"},
	{"group", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0, "groups the daemon keeps (repeatable)"},
	{"keep", AX_OPT_DURATION, NULL, 0, NULL, 0, 0, "how long evidence is kept (default: forever)"},
	{"metrics", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "Prometheus textfile the daemon writes"},
	{"manual-approval", AX_OPT_BOOL, "false", 0, NULL, 0, 0, "manual evidence needs an approver"},
	{"expiry-warning", AX_OPT_DURATION, "30d", 0, NULL, 0, 0, "warn this long before evidence expires"},
	{"parallel", AX_OPT_INT, "4", 0, NULL, 1, 64, "probe instances run at once"},
	{"state-dir", AX_OPT_PATH, "state", 0, NULL, 0, 0, "per-instance state folders"},
	{"log", AX_OPT_ENUM, "stderr", 0, "stderr|syslog", 0, 0, "where the daemon logs"},
	{"probe-user", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "user probes run as when the collector is root (default: annexa-probe when that account exists)"},
	{"require-sandbox", AX_OPT_BOOL, "false", 0, NULL, 0, 0, "refuse to run a probe the kernel cannot confine (Landlock)"},
	/* the SoA's justification for inclusion of a control without [control] reason */
	{"soa-reason-organizational", AX_OPT_STRING, "business requirement", 0, NULL, 0, 0,
	 "SoA inclusion reason of Organizational controls"},
	{"soa-reason-people", AX_OPT_STRING, "business requirement", 0, NULL, 0, 0,
	 "SoA inclusion reason of People controls"},
	{"soa-reason-physical", AX_OPT_STRING, "best practice", 0, NULL, 0, 0, "SoA inclusion reason of Physical controls"},
	{"soa-reason-technological", AX_OPT_STRING, "best practice", 0, NULL, 0, 0,
	 "SoA inclusion reason of Technological controls"},
	{NULL},
};

static const struct ax_option signing_options[] = {
	{"key", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "PEM private key that signs exports"},
	{"certificate", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "its certificate"},
	{"chain", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "intermediate certificates"},
	{"tsa-url", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "RFC 3161 time-stamping authority (http://)"},
	{"tsa-ca", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "CA certificate(s) that check the TSA's replies"},
	{NULL},
};

static const struct ax_option privacy_options[] = {
	{"pseudonym-key-file", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "key of the pseudonyms of personal data"},
	{"show-user-names", AX_OPT_BOOL, "false", 0, NULL, 0, 0,
	 "local account names appear as they are in the accounts, privileges and ssh-access evidence"},
	{NULL},
};

static const struct ax_option locker_options[] = {
	{"path", AX_OPT_PATH, NULL, 0, NULL, 0, 0, "evidence locker folder"},
	{"remote", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "remote the locker pushes to"},
	{"name", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "this collector's branch: collectors/NAME (default: host name)"},
	{NULL},
};

static const struct ax_option control_options[] = {
	{"applicable", AX_OPT_BOOL, "true", 0, NULL, 0, 0, "whether the control applies (SoA)"},
	{"justification", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "why (required when applicable = false)"},
	{"inherited", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "provider that implements the control (not an exclusion)"},
	{"reference", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "the provider's attestation (required with inherited)"},
	{"owner", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "who answers for the control (report, SoA, status)"},
	{"reason", AX_OPT_STRING, NULL, 0, NULL, 0, 0,
	 "justification for inclusion (SoA): risk treatment REF, legal, regulatory, contractual, business "
	 "requirement, best practice"},
	{NULL},
};

static const struct {
	const char *name;
	const struct ax_option *options;
} plain_sections[] = {
	{"annexa", annexa_options},
	{"signing", signing_options},
	{"privacy", privacy_options},
	{"locker", locker_options},
};
#define NPLAIN (sizeof(plain_sections) / sizeof(plain_sections[0]))

/* The loaded config plus what ax_config_get() hands out for path
 * defaults (resolved, so owned here). Only ax_config_load() allocates. */
struct config_impl {
	struct ax_config pub;
	struct ax_kv *defaults;
	size_t ndefaults;
};

/* One libgit2 entry, split: name "probe.mx-tls.timeout" -> probe, mx-tls, timeout. */
struct entry {
	char *section, *sub, *key;
	char *value; /* NULL: `key` written without `=` (git's "true") */
};

struct loader {
	const char *file; /* as the caller named it, for messages */
	struct ax_config *cfg;
	struct entry *e;
	size_t n;
};

const char *ax_config_section_name(size_t i)
{
	if (i < NPLAIN)
		return plain_sections[i].name;
	return i == NPLAIN ? "control" : NULL;
}

const struct ax_option *ax_config_section_options(const char *section)
{
	for (size_t i = 0; section && i < NPLAIN; i++)
		if (strcmp(plain_sections[i].name, section) == 0)
			return plain_sections[i].options;
	if (section && strcmp(section, "control") == 0)
		return control_options;
	return NULL;
}

/* "A.5.1" .. "A.8.34" by shape; the catalog decides whether it exists. */
int ax_control_id_valid(const char *s)
{
	if (!s || s[0] != 'A' || s[1] != '.' || s[2] < '5' || s[2] > '8' || s[3] != '.')
		return 0;
	s += 4;
	if (s[0] < '1' || s[0] > '9')
		return 0;
	return s[1] == '\0' || (isdigit((unsigned char)s[1]) && s[2] == '\0');
}

int ax_control_reason_valid(const char *s)
{
	static const char *const kinds[] = {"legal/regulatory", "legal",		"regulatory",
					    "contractual",	 "business requirement", "best practice"};
	if (!s)
		return 0;
	/* A risk treatment names the treatment plan or risk it answers. */
	if (strncasecmp(s, "risk treatment", 14) == 0) {
		const char *ref = s + 14;
		while (*ref == ' ' || *ref == ':' || *ref == ',')
			ref++;
		return *ref != '\0' && ref > s + 14;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);
		if (strncasecmp(s, kinds[i], n) == 0 && (s[n] == '\0' || s[n] == ':' || s[n] == ' ' || s[n] == ','))
			return 1;
	}
	return 0;
}

/* --- messages --- */

static void where(struct ax_buf *b, const char *file, const char *section, const char *sub, const char *key)
{
	ax_buf_printf(b, "%s: [%s", file, section);
	if (sub)
		ax_buf_printf(b, " \"%s\"", sub);
	ax_buf_puts(b, "]");
	if (key)
		ax_buf_printf(b, " %s", key);
	ax_buf_puts(b, ": ");
}

static int fail_at(const struct loader *ld, const char *section, const char *sub, const char *key,
		   const char *fmt, ...) AX_PRINTF(5, 6);
static int fail_at(const struct loader *ld, const char *section, const char *sub, const char *key,
		   const char *fmt, ...)
{
	struct ax_buf b = AX_BUF_INIT;
	va_list ap;
	where(&b, ld->file, section, sub, key);
	va_start(ap, fmt);
	ax_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ax_error_code(AX_EINVALID, "%s", ax_buf_cstr(&b));
	ax_buf_free(&b);
	return AX_EINVALID;
}

/* Prefixes the message ax_option_parse() set with file, section and key. */
static int prefix_at(const struct loader *ld, const struct entry *e)
{
	char *msg = ax_strdup(ax_error_last());
	fail_at(ld, e->section, e->sub, e->key, "%s", msg);
	free(msg);
	return AX_EINVALID;
}

/* --- reading with libgit2 --- */

static void entry_split(struct entry *out, const char *name, const char *value)
{
	const char *first = strchr(name, '.'), *last = strrchr(name, '.');
	/* libgit2 only yields names of the form section[.sub].key */
	if (!first) {
		out->section = ax_strdup(name);
		out->key = ax_strdup("");
	} else {
		out->section = ax_strndup(name, (size_t)(first - name));
		out->key = ax_strdup(last + 1);
		if (last > first)
			out->sub = ax_strndup(first + 1, (size_t)(last - first - 1));
	}
	out->value = value ? ax_strdup(value) : NULL;
}

static int read_entries(struct loader *ld, const char *abspath)
{
	git_config *gc = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *ge;
	size_t alloc = 0;
	int err = 0, rc;

	if (git_config_new(&gc) < 0 || git_config_add_file_ondisk(gc, abspath, GIT_CONFIG_LEVEL_LOCAL, NULL, 0) < 0 ||
	    git_config_iterator_new(&it, gc) < 0)
		goto git_error;
	while ((rc = git_config_next(&ge, it)) == 0) {
		if (ld->n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			ld->e = ax_realloc(ld->e, alloc * sizeof(*ld->e));
		}
		memset(&ld->e[ld->n], 0, sizeof(ld->e[0]));
		entry_split(&ld->e[ld->n++], ge->name, ge->value);
	}
	if (rc != GIT_ITEROVER)
		goto git_error;
	goto cleanup;
git_error: {
	/* libgit2's message names the file and the line of a syntax error */
	const git_error *ge2 = git_error_last();
	err = ax_error_code(AX_EINVALID, "%s", ge2 && ge2->message ? ge2->message : "cannot read config");
	if (!strstr(ax_error_last(), abspath))
		ax_error_prefix("%s", ld->file);
}
cleanup:
	git_config_iterator_free(it);
	git_config_free(gc);
	return err;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Validates e against opt: multi-use, value; returns the stored value. */
static int check_entry(struct loader *ld, size_t idx, const struct ax_option *opt, char **stored, int64_t *num)
{
	const struct entry *e = &ld->e[idx];
	const char *value = e->value;
	int64_t v = 0;
	if (!(opt->flags & AX_OPT_MULTI)) {
		for (size_t j = 0; j < idx; j++) {
			const struct entry *p = &ld->e[j];
			if (same(p->section, e->section) && same(p->sub, e->sub) && strcmp(p->key, e->key) == 0)
				return fail_at(ld, e->section, e->sub, e->key, "given more than once (only one value allowed)");
		}
	}
	if (!value && opt->type == AX_OPT_BOOL)
		value = "true"; /* git's bare `key` means true */
	if (ax_option_parse(opt, value, &v) < 0)
		return prefix_at(ld, e);
	/* text ends up in JSON evidence, reports and certificates, all UTF-8 */
	if ((opt->type == AX_OPT_STRING || opt->type == AX_OPT_REGEX) && !ax_utf8_valid(value, strlen(value)))
		return fail_at(ld, e->section, e->sub, e->key, "not valid UTF-8 (save the file as UTF-8)");
	/* [control] reason and its per-theme defaults take the SoA's kinds */
	if ((strcmp(opt->key, "reason") == 0 || strncmp(opt->key, "soa-reason-", 11) == 0) &&
	    !ax_control_reason_valid(value))
		return fail_at(ld, e->section, e->sub, e->key,
			       "'%s' is not a justification for inclusion (risk treatment REF, legal, regulatory, "
			       "contractual, business requirement, best practice)",
			       value);
	if (opt->type == AX_OPT_PATH) {
		*stored = ax_path_resolve(ld->cfg->path, value);
	} else if (opt->type == AX_OPT_DBURI && strncmp(value, "sqlite:", 7) == 0) {
		/* sqlite:relative/path is relative to the config file, like any path */
		char *path = ax_path_resolve(ld->cfg->path, value + 7);
		*stored = ax_asprintf("sqlite:%s", path);
		free(path);
	} else {
		*stored = ax_strdup(value);
	}
	if (num)
		*num = v;
	return 0;
}

static void kv_add(struct ax_kv **arr, size_t *n, char *key, char *value)
{
	/* the arrays stay small; growing by one keeps ownership simple */
	*arr = ax_realloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[*n].key = key;
	(*arr)[(*n)++].value = value;
}

static int has_key(const struct loader *ld, const char *section, const char *sub, const char *key)
{
	for (size_t i = 0; i < ld->n; i++)
		if (strcmp(ld->e[i].section, section) == 0 && same(ld->e[i].sub, sub) && strcmp(ld->e[i].key, key) == 0)
			return 1;
	return 0;
}

static int check_required(const struct loader *ld, const struct ax_option *table, const char *section, const char *sub)
{
	for (size_t i = 0; table && table[i].key; i++)
		if ((table[i].flags & AX_OPT_REQUIRED) && !has_key(ld, section, sub, table[i].key))
			return fail_at(ld, section, sub, table[i].key, "missing (required)");
	return 0;
}

/* --- sections --- */

static int load_plain(struct loader *ld)
{
	struct ax_config *cfg = ld->cfg;
	for (size_t i = 0; i < ld->n; i++) {
		const struct entry *e = &ld->e[i];
		if (e->sub)
			continue;
		const struct ax_option *table = NULL, *opt;
		for (size_t s = 0; s < NPLAIN; s++)
			if (strcmp(plain_sections[s].name, e->section) == 0)
				table = plain_sections[s].options;
		if (!table)
			return fail_at(ld, e->section, NULL, NULL, "unknown section (known: annexa, signing, privacy, "
				       "locker, probe \"NAME\", control \"A.x.y\")");
		if (!(opt = ax_option_find(table, e->key)))
			return fail_at(ld, e->section, NULL, e->key, "unknown key");
		char *value;
		if (check_entry(ld, i, opt, &value, NULL) < 0)
			return AX_EINVALID;
		kv_add(&cfg->values, &cfg->nvalues, ax_asprintf("%s.%s", e->section, e->key), value);
	}
	for (size_t s = 0; s < NPLAIN; s++)
		if (check_required(ld, plain_sections[s].options, plain_sections[s].name, NULL) < 0)
			return AX_EINVALID;
	return 0;
}

static int add_controls(struct loader *ld, struct ax_probe_instance *inst, const struct entry *e)
{
	const char *p = e->value;
	while (*p) {
		size_t n;
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		for (n = 0; p[n] && !isspace((unsigned char)p[n]) && p[n] != ','; n++)
			;
		if (n == 0)
			break;
		char *id = ax_strndup(p, n);
		if (!ax_control_id_valid(id)) {
			fail_at(ld, e->section, e->sub, e->key, "invalid control id '%s' (expected A.5.1 .. A.8.34)", id);
			free(id);
			return AX_EINVALID;
		}
		inst->controls = ax_realloc(inst->controls, (inst->ncontrols + 1) * sizeof(char *));
		inst->controls[inst->ncontrols++] = id;
		p += n;
	}
	return 0;
}

/* interval, timeout, memory-limit...: as written, else the table default. */
static int64_t common_value(const struct ax_probe_instance *inst, const char *key, int64_t fallback)
{
	const struct ax_option *opt = ax_option_find(ax_common_options, key);
	const char *v = NULL;
	int64_t num = fallback;
	for (size_t i = 0; i < inst->nopts && !v; i++)
		if (strcmp(inst->opts[i].key, key) == 0)
			v = inst->opts[i].value;
	if (!v && opt)
		v = opt->def;
	if (v && opt && ax_option_parse(opt, v, &num) < 0)
		num = fallback; /* written values were checked already; a bad table default is a bug */
	return num;
}

static int load_probe(struct loader *ld, struct ax_probe_instance *inst)
{
	const char *name = inst->name;
	const char *type = NULL;
	for (size_t i = 0; i < ld->n; i++) {
		const struct entry *e = &ld->e[i];
		if (strcmp(e->section, "probe") == 0 && same(e->sub, name) && strcmp(e->key, "type") == 0) {
			if (type)
				return fail_at(ld, "probe", name, "type", "given more than once (only one value allowed)");
			type = e->value;
		}
	}
	if (!ax_id_valid(name, AX_ID_MAX))
		return fail_at(ld, "probe", name, NULL, "invalid instance name (letters, digits, '.', '_', '-'; "
			       "at most %d characters)", AX_ID_MAX);
	if (!type)
		return fail_at(ld, "probe", name, "type", "missing (required)");
	if (!(inst->type = ax_probe_find(type))) {
		struct ax_buf known = AX_BUF_INIT;
		for (size_t i = 0; ax_probes[i]; i++)
			ax_buf_printf(&known, "%s%s", i ? ", " : "", ax_probes[i]->name);
		fail_at(ld, "probe", name, "type", "unknown probe type '%s' (known: %s)", type, ax_buf_cstr(&known));
		ax_buf_free(&known);
		return AX_EINVALID;
	}
	for (size_t i = 0; i < ld->n; i++) {
		const struct entry *e = &ld->e[i];
		if (strcmp(e->section, "probe") != 0 || !same(e->sub, name))
			continue;
		const struct ax_option *opt = ax_probe_option(inst->type, e->key);
		char *value;
		if (!opt)
			return fail_at(ld, "probe", name, e->key, "unknown key for probe type '%s'", type);
		if (check_entry(ld, i, opt, &value, NULL) < 0)
			return AX_EINVALID;
		kv_add(&inst->opts, &inst->nopts, ax_strdup(e->key), value);
		if (strcmp(e->key, "controls") == 0 && add_controls(ld, inst, e) < 0)
			return AX_EINVALID;
	}
	if (check_required(ld, ax_common_options, "probe", name) < 0 ||
	    check_required(ld, inst->type->options, "probe", name) < 0)
		return AX_EINVALID;
	inst->interval = common_value(inst, "interval", ax_config_get_int(ld->cfg, "annexa", "interval"));
	inst->timeout = common_value(inst, "timeout", AX_DEFAULT_TIMEOUT);
	inst->freshness = common_value(inst, "freshness", 2 * inst->interval);
	inst->memory_limit = common_value(inst, "memory-limit", AX_DEFAULT_MEMORY_LIMIT);
	inst->cpu_limit = common_value(inst, "cpu-limit", 0);
	return 0;
}

static int load_control(struct loader *ld, struct ax_control_cfg *c)
{
	int64_t applicable = 1;
	if (!ax_control_id_valid(c->id))
		return fail_at(ld, "control", c->id, NULL, "invalid control id (expected A.5.1 .. A.8.34)");
	for (size_t i = 0; i < ld->n; i++) {
		const struct entry *e = &ld->e[i];
		if (strcmp(e->section, "control") != 0 || !same(e->sub, c->id))
			continue;
		const struct ax_option *opt = ax_option_find(control_options, e->key);
		char *value;
		int64_t num = 0;
		if (!opt)
			return fail_at(ld, "control", c->id, e->key,
				       "unknown key (known: applicable, justification, inherited, reference, owner, "
				       "reason)");
		if (check_entry(ld, i, opt, &value, &num) < 0)
			return AX_EINVALID;
		char **slot = strcmp(e->key, "justification") == 0 ? &c->justification
			      : strcmp(e->key, "inherited") == 0   ? &c->inherited
			      : strcmp(e->key, "reference") == 0   ? &c->reference
			      : strcmp(e->key, "owner") == 0       ? &c->owner
			      : strcmp(e->key, "reason") == 0      ? &c->reason
								      : NULL;
		if (opt->type == AX_OPT_BOOL)
			applicable = num;
		if (slot) {
			free(*slot);
			*slot = value;
		} else {
			free(value);
		}
	}
	c->applicable = (int)applicable;
	if (!c->applicable && (!c->justification || !*c->justification))
		return fail_at(ld, "control", c->id, "justification", "required when applicable = false");
	/* A provider's coverage is not an exclusion: saying both would leave
	 * the SoA contradicting itself. */
	if (c->inherited && !c->applicable)
		return fail_at(ld, "control", c->id, "inherited",
			       "an inherited control is applicable (remove applicable = false)");
	if (c->inherited && (!*c->inherited || !c->reference || !*c->reference))
		return fail_at(ld, "control", c->id, "reference",
			       "required with inherited: the provider's certificate or report");
	if (c->reference && !c->inherited)
		return fail_at(ld, "control", c->id, "reference", "only with inherited = PROVIDER");
	return 0;
}

/* Probe and control sections in the order they first appear. */
static int load_subsections(struct loader *ld)
{
	struct ax_config *cfg = ld->cfg;
	for (size_t i = 0; i < ld->n; i++) {
		const struct entry *e = &ld->e[i];
		if (!e->sub)
			continue;
		if (strcmp(e->section, "probe") == 0) {
			if (ax_config_probe(cfg, e->sub))
				continue;
			cfg->probes = ax_realloc(cfg->probes, (cfg->nprobes + 1) * sizeof(*cfg->probes));
			memset(&cfg->probes[cfg->nprobes], 0, sizeof(*cfg->probes));
			cfg->probes[cfg->nprobes].name = ax_strdup(e->sub);
			if (load_probe(ld, &cfg->probes[cfg->nprobes++]) < 0)
				return AX_EINVALID;
		} else if (strcmp(e->section, "control") == 0) {
			if (ax_config_control(cfg, e->sub))
				continue;
			cfg->controls = ax_realloc(cfg->controls, (cfg->ncontrols + 1) * sizeof(*cfg->controls));
			memset(&cfg->controls[cfg->ncontrols], 0, sizeof(*cfg->controls));
			cfg->controls[cfg->ncontrols].id = ax_strdup(e->sub);
			if (load_control(ld, &cfg->controls[cfg->ncontrols++]) < 0)
				return AX_EINVALID;
		} else {
			return fail_at(ld, e->section, e->sub, NULL, "unknown section (only probe \"NAME\" and "
				       "control \"A.x.y\" take a name)");
		}
	}
	return 0;
}

/* Path defaults ("annexa.db") resolved once, so ax_config_get can hand them out. */
static void resolve_defaults(struct config_impl *impl)
{
	for (size_t s = 0; s < NPLAIN; s++)
		for (const struct ax_option *o = plain_sections[s].options; o->key; o++)
			if (o->type == AX_OPT_PATH && o->def)
				kv_add(&impl->defaults, &impl->ndefaults,
				       ax_asprintf("%s.%s", plain_sections[s].name, o->key),
				       ax_path_resolve(impl->pub.path, o->def));
}

int ax_config_load(struct ax_config **out, const char *path)
{
	struct config_impl *impl = ax_calloc(1, sizeof(*impl));
	struct loader ld = {path, &impl->pub, NULL, 0};
	char *abspath = NULL;
	struct stat st;
	int err = 0;

	*out = NULL;
	git_libgit2_init();
	if (!path || !(abspath = realpath(path, NULL))) {
		err = errno == ENOENT ? ax_error_code(AX_ENOTFOUND, "%s: no such file", path ? path : "(null)")
				      : ax_error_set("%s: %s", path ? path : "(null)", strerror(errno));
		goto cleanup;
	}
	if (stat(abspath, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = ax_error_code(AX_EINVALID, "%s: not a regular file", path);
		goto cleanup;
	}
	impl->pub.path = ax_strdup(abspath);
	if ((err = read_entries(&ld, abspath)) < 0 || (err = load_plain(&ld)) < 0 ||
	    (err = load_subsections(&ld)) < 0)
		goto cleanup;
	resolve_defaults(impl);
	*out = &impl->pub;
	impl = NULL;
cleanup:
	for (size_t i = 0; i < ld.n; i++) {
		free(ld.e[i].section);
		free(ld.e[i].sub);
		free(ld.e[i].key);
		free(ld.e[i].value);
	}
	free(ld.e);
	free(abspath);
	if (impl)
		ax_config_free(&impl->pub);
	git_libgit2_shutdown();
	return err;
}

const char *ax_config_default_path(void)
{
	return access("annexa.conf", F_OK) == 0 ? "annexa.conf" : "/etc/annexa/annexa.conf";
}

static void kv_free(struct ax_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void ax_config_free(struct ax_config *cfg)
{
	if (!cfg)
		return;
	struct config_impl *impl = (struct config_impl *)cfg;
	for (size_t i = 0; i < cfg->nprobes; i++) {
		struct ax_probe_instance *p = &cfg->probes[i];
		free(p->name);
		kv_free(p->opts, p->nopts);
		for (size_t j = 0; j < p->ncontrols; j++)
			free(p->controls[j]);
		free(p->controls);
	}
	free(cfg->probes);
	for (size_t i = 0; i < cfg->ncontrols; i++) {
		free(cfg->controls[i].id);
		free(cfg->controls[i].justification);
		free(cfg->controls[i].inherited);
		free(cfg->controls[i].reference);
		free(cfg->controls[i].owner);
		free(cfg->controls[i].reason);
	}
	free(cfg->controls);
	kv_free(cfg->values, cfg->nvalues);
	kv_free(impl->defaults, impl->ndefaults);
	free(cfg->path);
	free(impl);
}

/* --- lookups --- */

static int kv_is(const struct ax_kv *kv, const char *section, const char *key)
{
	size_t n = strlen(section);
	return strncmp(kv->key, section, n) == 0 && kv->key[n] == '.' && strcmp(kv->key + n + 1, key) == 0;
}

static const char *default_of(const struct ax_config *cfg, const char *section, const char *key)
{
	const struct config_impl *impl = (const struct config_impl *)cfg;
	const struct ax_option *opt = ax_option_find(ax_config_section_options(section), key);
	if (!opt || !opt->def)
		return NULL;
	for (size_t i = 0; opt->type == AX_OPT_PATH && i < impl->ndefaults; i++)
		if (kv_is(&impl->defaults[i], section, key))
			return impl->defaults[i].value;
	return opt->def;
}

const char *ax_config_get_at(const struct ax_config *cfg, const char *section, const char *key, size_t idx)
{
	size_t n = 0;
	if (!cfg || !section || !key)
		return NULL;
	for (size_t i = 0; i < cfg->nvalues; i++)
		if (kv_is(&cfg->values[i], section, key) && n++ == idx)
			return cfg->values[i].value;
	return n == 0 && idx == 0 ? default_of(cfg, section, key) : NULL;
}

const char *ax_config_get(const struct ax_config *cfg, const char *section, const char *key)
{
	return ax_config_get_at(cfg, section, key, 0);
}

size_t ax_config_count(const struct ax_config *cfg, const char *section, const char *key)
{
	size_t n = 0;
	if (!cfg || !section || !key)
		return 0;
	for (size_t i = 0; i < cfg->nvalues; i++)
		if (kv_is(&cfg->values[i], section, key))
			n++;
	return n ? n : default_of(cfg, section, key) != NULL;
}

int64_t ax_config_get_int(const struct ax_config *cfg, const char *section, const char *key)
{
	const struct ax_option *opt = ax_option_find(ax_config_section_options(section), key);
	const char *v = ax_config_get(cfg, section, key);
	int64_t num = 0;
	if (!opt || !v || ax_option_parse(opt, v, &num) < 0)
		return 0;
	return num;
}

const struct ax_probe_instance *ax_config_probe(const struct ax_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->nprobes; i++)
		if (strcmp(cfg->probes[i].name, name) == 0)
			return &cfg->probes[i];
	return NULL;
}

const struct ax_control_cfg *ax_config_control(const struct ax_config *cfg, const char *id)
{
	for (size_t i = 0; cfg && id && i < cfg->ncontrols; i++)
		if (strcmp(cfg->controls[i].id, id) == 0)
			return &cfg->controls[i];
	return NULL;
}
