/* config.h - annexa.conf, read with libgit2's config API (git-config syntax).
 *
 * Loading validates everything against one table of known keys per section
 * (and per probe type): unknown keys, bad values and missing required keys
 * are AX_EINVALID errors naming the file, the section and the key. Relative
 * paths are resolved against the config file's folder. A loaded config is
 * immutable; reload by loading a new one and swapping. */
#ifndef AX_CONFIG_H
#define AX_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "probe.h"

struct ax_control_cfg {
	char *id;
	int applicable; /* 0 or 1 */
	char *justification;
	/* `inherited = PROVIDER`: the control is applicable and implemented
	 * by a provider (hosting, cloud); reference names its attestation
	 * (certificate, report). Not an exclusion. */
	char *inherited, *reference;
	char *owner;  /* who answers for it: report, SoA, status */
	char *reason; /* SoA justification for inclusion (ax_control_reason_valid); NULL: the theme's default */
};

struct ax_config {
	char *path; /* absolute path of the file loaded */
	/* every plain section's values ([annexa], [signing], [privacy], [locker]...), validated */
	struct ax_kv *values; /* key is "section.key" */
	size_t nvalues;
	struct ax_probe_instance *probes;
	size_t nprobes;
	struct ax_control_cfg *controls;
	size_t ncontrols;
};

/* Loads and validates path. On error *out is NULL and the message names
 * the file (and line for syntax errors, section and key otherwise).
 * AX_ENOTFOUND when the file does not exist, AX_EINVALID when it is wrong.
 * Only ax_config_load() allocates a struct ax_config (it carries private
 * data behind the public fields): never build one by hand for the
 * functions below. */
int ax_config_load(struct ax_config **out, const char *path);
/* The default path: ./annexa.conf, then /etc/annexa/annexa.conf. */
const char *ax_config_default_path(void);
void ax_config_free(struct ax_config *cfg);

/* "annexa", "store" -> value or the table default (NULL when neither). */
const char *ax_config_get(const struct ax_config *cfg, const char *section, const char *key);
/* Durations in seconds, sizes in bytes, bools 0/1, ints. */
int64_t ax_config_get_int(const struct ax_config *cfg, const char *section, const char *key);
/* Multi-valued keys. */
size_t ax_config_count(const struct ax_config *cfg, const char *section, const char *key);
const char *ax_config_get_at(const struct ax_config *cfg, const char *section, const char *key, size_t i);

const struct ax_probe_instance *ax_config_probe(const struct ax_config *cfg, const char *name);
const struct ax_control_cfg *ax_config_control(const struct ax_config *cfg, const char *id);

/* The key table of a plain section ("annexa", "signing", "privacy",
 * "locker") or of [control "..."] ("control"); NULL for others. For docs
 * and `--help`. Terminated by { NULL }. */
const struct ax_option *ax_config_section_options(const char *section);
/* The i-th section ax_config_section_options() knows, in file order, ending
 * with "control"; NULL past the last (the man page lists them all). */
const char *ax_config_section_name(size_t i);
/* True when s has the shape of an Annex A control id (A.5.1 .. A.8.99);
 * whether it exists is the catalog's business. */
int ax_control_id_valid(const char *s);
/* True when s is a justification for inclusion the SoA knows: "risk
 * treatment REF" (a reference is required), "legal", "regulatory",
 * "legal/regulatory", "contractual", "business requirement" or "best
 * practice" (case-insensitive), each optionally followed by ": details". */
int ax_control_reason_valid(const char *s);

#endif
