/* option.c - the parser of config and probe option values (option.h).
 * Every failure is AX_EINVALID with a message that quotes the value; the
 * caller prefixes where it was written. */
#include "option.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "util.h"

const struct ax_option *ax_option_find(const struct ax_option *table, const char *key)
{
	for (size_t i = 0; table && table[i].key; i++)
		if (strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

int ax_size_parse(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t v = 0, mul = 1;
	if (!s || !isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		if (v > (INT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (*p++ - '0');
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mul = 1LL << 10; p++; break;
	case 'm': case 'M': mul = 1LL << 20; p++; break;
	case 'g': case 'G': mul = 1LL << 30; p++; break;
	case 't': case 'T': mul = 1LL << 40; p++; break;
	default: goto bad;
	}
	if (*p != '\0' || v > INT64_MAX / mul)
		goto bad;
	*out = v * mul;
	return 0;
bad:
	return ax_error_code(AX_EINVALID, "invalid size '%s' (expected e.g. 512, 10k, 64M, 2G)", s ? s : "");
}

static void size_format(int64_t v, char out[static 32])
{
	static const char units[] = "TGMk";
	for (int i = 0; i < 4; i++) {
		int64_t mul = 1LL << (10 * (4 - i));
		if (v > 0 && v % mul == 0) {
			snprintf(out, 32, "%lld%c", (long long)(v / mul), units[i]);
			return;
		}
	}
	snprintf(out, 32, "%lld", (long long)v);
}

static int int_parse(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || isspace((unsigned char)*s) || *end || errno == ERANGE)
		return ax_error_code(AX_EINVALID, "invalid integer '%s'", s);
	*out = v;
	return 0;
}

static int bool_parse(const char *s, int64_t *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = 1), 0;
		if (strcasecmp(s, no[i]) == 0)
			return (*out = 0), 0;
	}
	return ax_error_code(AX_EINVALID, "invalid boolean '%s' (expected true or false)", s);
}

static int enum_parse(const char *choices, const char *s, int64_t *out)
{
	const char *p = choices ? choices : "";
	size_t len = strlen(s);
	for (int64_t i = 0; *p; i++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && strncmp(p, s, n) == 0)
			return (*out = i), 0;
		p += n + (bar ? 1 : 0);
	}
	return ax_error_code(AX_EINVALID, "invalid value '%s' (expected one of %s)", s, choices ? choices : "");
}

/* The probes compile with REG_EXTENDED (and ICASE, NEWLINE or NOSUB, which
 * do not change what is valid): an invalid pattern fails here, at load. */
static int regex_check(const char *s)
{
	regex_t re;
	char why[128];
	int rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
	if (rc == 0) {
		regfree(&re);
		return 0;
	}
	regerror(rc, &re, why, sizeof(why));
	return ax_error_code(AX_EINVALID, "invalid regular expression '%s': %s", s, why);
}

static int bounds_check(const struct ax_option *opt, const char *value, int64_t v)
{
	char lo[32], hi[32];
	if (opt->min >= opt->max || (v >= opt->min && v <= opt->max))
		return 0;
	if (opt->type == AX_OPT_DURATION) {
		ax_duration_format(opt->min, lo);
		ax_duration_format(opt->max, hi);
	} else if (opt->type == AX_OPT_SIZE) {
		size_format(opt->min, lo);
		size_format(opt->max, hi);
	} else {
		snprintf(lo, sizeof(lo), "%lld", (long long)opt->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)opt->max);
	}
	return ax_error_code(AX_EINVALID, "'%s' out of range (expected %s..%s)", value, lo, hi);
}

int ax_option_parse(const struct ax_option *opt, const char *value, int64_t *num)
{
	int64_t v = 0;
	int err = 0;
	if (!value)
		return ax_error_code(AX_EINVALID, "missing value (write `%s = ...`)", opt->key);
	switch (opt->type) {
	case AX_OPT_STRING:
		break;
	case AX_OPT_PATH:
		if (!*value)
			err = ax_error_code(AX_EINVALID, "empty path");
		break;
	case AX_OPT_DBURI:
		if (strncmp(value, "sqlite:", 7) != 0 && strncmp(value, "postgresql://", 13) != 0 &&
		    strncmp(value, "postgres://", 11) != 0 && strncmp(value, "mysql://", 8) != 0 &&
		    strncmp(value, "mariadb://", 10) != 0)
			err = ax_error_code(AX_EINVALID,
					    "expected sqlite:PATH, postgresql://... (a libpq URI) or mysql://USER@HOST:PORT/DB");
		else if (strcmp(value, "sqlite:") == 0)
			err = ax_error_code(AX_EINVALID, "empty sqlite path");
		break;
	case AX_OPT_INT:
		if ((err = int_parse(value, &v)) == 0)
			err = bounds_check(opt, value, v);
		break;
	case AX_OPT_DURATION:
		if ((err = ax_duration_parse(value, &v)) == 0)
			err = bounds_check(opt, value, v);
		break;
	case AX_OPT_SIZE:
		if ((err = ax_size_parse(value, &v)) == 0)
			err = bounds_check(opt, value, v);
		break;
	case AX_OPT_BOOL:
		err = bool_parse(value, &v);
		break;
	case AX_OPT_REGEX:
		err = regex_check(value);
		break;
	case AX_OPT_ENUM:
		err = enum_parse(opt->choices, value, &v);
		break;
	default:
		err = ax_error_code(AX_EINVALID, "unknown option type %d", (int)opt->type);
	}
	if (err == 0 && num)
		*num = v;
	return err;
}
