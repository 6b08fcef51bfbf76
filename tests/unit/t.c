/* t.c - the test harness behind t.h. */
#include "t.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "annexa-build.h"
#include "buf.h"
#include "config.h"
#include "controls.h"
#include "evidence.h"
#include "store.h"

int t_failures, t_checks;
static char tmpdir[256];

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	t_failures++;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void cleanup_tmp(void)
{
	if (tmpdir[0] && !getenv("T_KEEP")) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

const char *t_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/annexa-test-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(99);
		}
		atexit(cleanup_tmp);
	}
	return tmpdir;
}

char *t_write(const char *name, const char *content)
{
	char *path = ax_asprintf("%s/%s", t_tmpdir(), name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(99);
	}
	fputs(content, f);
	fclose(f);
	return path;
}

static char *kept[256];
static size_t nkept;

static void free_kept(void)
{
	for (size_t i = 0; i < nkept; i++)
		free(kept[i]);
}

const char *t_write_kept(const char *name, const char *content)
{
	char *p = t_write(name, content);
	if (nkept == 0)
		atexit(free_kept);
	if (nkept == sizeof(kept) / sizeof(kept[0])) {
		fprintf(stderr, "t_write_kept: more than %zu files\n", nkept);
		exit(99);
	}
	kept[nkept++] = p;
	return p;
}

int t_done(void)
{
	printf("%d checks, %d failed\n", t_checks, t_failures);
	return t_failures > 100 ? 100 : t_failures;
}

const struct ax_result *t_result_in(const struct ax_evidence *ev, const char *instance, const char *check)
{
	for (size_t i = 0; ev && i < ev->nresults; i++)
		if ((!instance || strcmp(ev->results[i].instance, instance) == 0) &&
		    strcmp(ev->results[i].check, check) == 0)
			return &ev->results[i];
	return NULL;
}

const struct ax_result *t_result(const struct ax_evidence *ev, const char *check)
{
	return t_result_in(ev, NULL, check);
}

const struct ax_result *t_need_result(const struct ax_evidence *ev, const char *check)
{
	const struct ax_result *r = t_result_in(ev, NULL, check);
	if (!r)
		t_fail(__FILE__, __LINE__, "no result for %s", check);
	return r;
}

int t_site_open(const char *conf, const char *db, struct ax_config **cfg, struct ax_catalog **cat,
		struct ax_store **st)
{
	const char *controls = getenv("ANNEXA_CONTROLS");
	char *path = t_write("annexa.conf", conf);
	T_EQ_INT(ax_config_load(cfg, path), 0);
	T_EQ_INT(ax_catalog_load(cat, controls ? controls : ANNEXA_SOURCE_DIR "/controls"), 0);
	T_EQ_INT(ax_store_open(st, db), 0);
	free(path);
	return *cfg && *cat && *st ? 0 : -1;
}

void t_site_close(struct ax_config *cfg, struct ax_catalog *cat, struct ax_store *st)
{
	ax_store_free(st);
	ax_catalog_free(cat);
	ax_config_free(cfg);
}

int t_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

int64_t t_sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -999;
	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}
