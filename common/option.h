/* option.h - the typed key tables of the config file and of every probe
 * type, and the one parser of their values.
 *
 * A table is an array of struct ax_option terminated by { NULL }. A value
 * that ax_option_parse() accepts has the option's type and lies within its
 * bounds; defaults are resolved by the config (collector/config.h), never
 * here. */
#ifndef AX_OPTION_H
#define AX_OPTION_H

#include <stdint.h>

enum ax_opt_type {
	AX_OPT_STRING,
	AX_OPT_PATH,     /* resolved against the config file's folder */
	AX_OPT_INT,      /* bounds: min..max when min < max */
	AX_OPT_DURATION, /* 30s 15m 26h 30d 52w; read back in seconds */
	AX_OPT_BOOL,     /* true/false/yes/no/on/off/1/0 */
	AX_OPT_ENUM,     /* one of the '|'-separated choices */
	AX_OPT_SIZE,     /* 512, 10k, 64M, 2G (bytes) */
	AX_OPT_DBURI,    /* sqlite:PATH (PATH resolved like AX_OPT_PATH), postgresql://... or mysql://... */
	AX_OPT_REGEX,    /* POSIX extended regular expression, compiled when the config loads */
};

enum {
	AX_OPT_REQUIRED = 1 << 0,
	AX_OPT_MULTI = 1 << 1,  /* key may repeat; read with ax_probe_opt_at() */
	AX_OPT_SECRET = 1 << 2, /* value never printed or stored as evidence */
};

struct ax_option {
	const char *key;
	enum ax_opt_type type;
	const char *def;     /* default as written in a config file, or NULL */
	unsigned flags;
	const char *choices; /* AX_OPT_ENUM: "smtp|imap|pop3" */
	int64_t min, max;    /* AX_OPT_INT / DURATION / SIZE bounds, when min < max */
	const char *help;
};

/* The defaults of the settings every probe instance has. config.c resolves
 * them into struct ax_probe_instance; the runner, the schedule and the
 * status engine fall back on the same constants for an instance built
 * without a config. The key tables write them as text ("60s", "1h", "1G",
 * "4"); test_config checks that each text parses to its constant. */
#define AX_DEFAULT_TIMEOUT 60                      /* seconds: `timeout` */
#define AX_DEFAULT_INTERVAL 3600                   /* seconds: [annexa] interval */
#define AX_DEFAULT_MEMORY_LIMIT ((int64_t)1 << 30) /* bytes: `memory-limit` */
#define AX_DEFAULT_PARALLEL 4                      /* [annexa] parallel */

/* The entry of table named key, NULL when none (table may be NULL). */
const struct ax_option *ax_option_find(const struct ax_option *table, const char *key);
/* Parses a value of the given option type (for the table and for probes):
 * returns 0 and the numeric value, or AX_EINVALID with a message. */
int ax_option_parse(const struct ax_option *opt, const char *value, int64_t *num);
/* "512", "10k", "64M", "2G", "1T" (binary multiples) into bytes. */
int ax_size_parse(const char *s, int64_t *out);

#endif
