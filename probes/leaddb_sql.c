/* leaddb_sql.c - the $N parameter scan of leaddb_sql.h: quotes ('', "",
 * ``) and -- comments are skipped, so a $1 inside a string literal is
 * text, never a parameter. */
#include "leaddb_sql.h"

#include <ctype.h>

size_t ax_leaddb_param_count(const char *sql)
{
	return ax_leaddb_param_scan(sql, NULL, NULL);
}

size_t ax_leaddb_param_scan(const char *sql, ax_leaddb_param_fn fn, void *arg)
{
	size_t max = 0;
	char quote = 0;
	for (const char *p = sql; p && *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"' || *p == '`') {
			quote = *p;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
		} else if (*p == '$' && isdigit((unsigned char)p[1]) && (p == sql || !isalnum((unsigned char)p[-1]))) {
			size_t n = 0;
			const char *q = p + 1;
			while (isdigit((unsigned char)*q) && n < 100000)
				n = n * 10 + (size_t)(*q++ - '0');
			if (n > max)
				max = n;
			if (fn)
				fn(arg, (size_t)(p - sql), (size_t)(q - p), n);
			p = q - 1;
		}
	}
	return max;
}
