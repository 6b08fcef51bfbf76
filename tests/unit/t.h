/* t.h - a tiny test harness: table-driven checks, one failure message per
 * broken expectation, exit status = number of failures (capped). */
#ifndef AX_T_H
#define AX_T_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int t_failures, t_checks;
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int t_done(void);
/* The per-test temp folder (made on first use). */
const char *t_tmpdir(void);
/* Writes content to the file name in t_tmpdir(), replacing it; returns its
 * path, which the caller frees. Exits 99 when the file cannot be written. */
char *t_write(const char *name, const char *content);
/* t_write, the path kept until the test exits (for tables of paths). */
const char *t_write_kept(const char *name, const char *content);

/* The first result of check (of instance, for t_result_in) in ev, NULL
 * when there is none; t_need_result also counts that as a failure. */
struct ax_evidence;
const struct ax_result *t_result(const struct ax_evidence *ev, const char *check);
const struct ax_result *t_result_in(const struct ax_evidence *ev, const char *instance, const char *check);
const struct ax_result *t_need_result(const struct ax_evidence *ev, const char *check);

/* The site most export tests start from: conf (annexa.conf text) written
 * to t_tmpdir() and loaded into *cfg, the catalog under test
 * ($ANNEXA_CONTROLS, else the source tree's) into *cat, the store at db
 * opened into *st, each a counted check. 0 when all three are there; the
 * caller frees them. */
struct ax_config;
struct ax_catalog;
struct ax_store;
int t_site_open(const char *conf, const char *db, struct ax_config **cfg, struct ax_catalog **cat,
		struct ax_store **st);
/* Frees what t_site_open opened (each may be NULL). */
void t_site_close(struct ax_config *cfg, struct ax_catalog *cat, struct ax_store *st);

/* SQL on a store file behind the store's back (tampering, counting):
 * t_sql runs statements and returns sqlite3_exec's code; t_sql_int returns
 * the first column of the first row, -999 when there is none. */
int t_sql(const char *path, const char *sql);
int64_t t_sql_int(const char *path, const char *sql);

#define T_OK(cond) do { t_checks++; if (!(cond)) t_fail(__FILE__, __LINE__, "expected: %s", #cond); } while (0)
#define T_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); t_checks++; \
	if (_a != _b) t_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, _a, _b); } while (0)
#define T_EQ_STR(a, b) do { const char *_a = (a), *_b = (b); t_checks++; \
	if (!_a || !_b || strcmp(_a, _b) != 0) t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define T_CONTAINS(hay, needle) do { const char *_h = (hay), *_n = (needle); t_checks++; \
	if (!_h || !strstr(_h, _n)) t_fail(__FILE__, __LINE__, "%s == \"%s\" lacks \"%s\"", #hay, _h ? _h : "(null)", _n); } while (0)

#endif
