/* postfix_conf.h - Postfix's configuration syntax (main.cf, master.cf),
 * parsed the way Postfix itself reads it.
 *
 * main.cf: `name = value` logical lines; a line starting with whitespace
 * continues the previous one; lines whose first non-blank is `#` and blank
 * lines are ignored (also inside a continuation); the last definition wins.
 * master.cf: one service per logical line, eight columns then arguments,
 * `-o name=value` and `-o { name = value }` overrides per service.
 * Values are expanded on demand: `$name`, `${name}`, `$(name)`,
 * `${name?text}`, `${name:text}`, with Postfix's built-in defaults for the
 * parameters the probes look at. Everything is bounded: a logical line is at
 * most PF_LINE_MAX bytes, expansion at most PF_EXPAND_MAX bytes and
 * PF_EXPAND_DEPTH levels deep (so `a = $b`, `b = $a` terminates). A
 * malformed line is AX_EINVALID with "ORIGIN:LINE: why". */
#ifndef AX_POSTFIX_CONF_H
#define AX_POSTFIX_CONF_H

#include <stddef.h>

#include "buf.h"

#define PF_LINE_MAX 65536
#define PF_EXPAND_MAX 65536
#define PF_EXPAND_DEPTH 16
#define PF_PARAMS_MAX 10000

struct pf_param {
	char *name;
	char *value; /* raw, unexpanded */
	unsigned line;
};

struct pf_main {
	struct pf_param *params;
	size_t nparams;
};

struct pf_service {
	char *name;    /* "smtp", "submission", "127.0.0.1:2525" */
	char *type;    /* inet, unix, unix-dgram, fifo, pass */
	char *chroot;  /* column 5 */
	char *command; /* column 8: smtpd, cleanup, ... */
	struct pf_param *overrides; /* -o name=value, in order */
	size_t noverrides;
	unsigned line;
};

struct pf_master {
	struct pf_service *services;
	size_t nservices;
};

/* origin names the file in messages ("/etc/postfix/main.cf"). */
int pf_main_parse(struct pf_main **out, const char *text, size_t len, const char *origin);
void pf_main_free(struct pf_main *m);
int pf_master_parse(struct pf_master **out, const char *text, size_t len, const char *origin);
void pf_master_free(struct pf_master *m);

/* The raw value of name in main.cf, or NULL when not set there. */
const struct pf_param *pf_main_find(const struct pf_main *m, const char *name);
/* The raw value of name for service svc (may be NULL): its last -o
 * override, else main.cf, else Postfix's default (NULL when unknown). */
const char *pf_raw(const struct pf_main *m, const struct pf_service *svc, const char *name);
/* The fully expanded value (as above) into out (cleared first). Returns
 * AX_EINVALID when expansion exceeds its bounds; out then holds what was
 * expanded so far. Unknown names expand to "" like Postfix does. */
int pf_expand(const struct pf_main *m, const struct pf_service *svc, const char *name, struct ax_buf *out);
/* Postfix 3.7's built-in default of name (compatibility_level 3.6), or NULL. */
const char *pf_default(const char *name);

/* Splits a Postfix list value on whitespace and commas into words; calls
 * fn for each (word, len). Returns the count. */
size_t pf_list_each(const char *value, void (*fn)(const char *word, size_t len, void *arg), void *arg);

#endif
