/* consent_ask.c - one consent question asked of the lead database and
 * reported as one check (consent_ask.h): the SQL and its parameters are
 * logged for the artifact, the database counts the rows and returns at
 * most `samples` of them, and an address column is pseudonymised before
 * it goes anywhere. */
#include <string.h>
#include <time.h>

#include "consent_ask.h"
#include "consent_queries.h"
#include "util.h"

void ax_consent_sql_time(int64_t t, char out[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static json_t *sample_json(struct ax_probe_ctx *ctx, int first_is_address, const struct ax_leaddb_sample *s)
{
	json_t *arr = json_array();
	for (size_t r = 0; r < s->nrows; r++) {
		char **row = s->cells + r * s->ncols;
		json_t *item = json_object();
		const char *first = row[0] ? row[0] : "";
		if (first_is_address) {
			char pseudo[20];
			ax_probe_pseudonym(ctx, first, pseudo);
			json_object_set_new(item, "lead", json_stringn(pseudo, 18));
		} else {
			json_object_set_new(item, "name", json_string(first));
		}
		/* Further columns are details (reason codes, list names); capped. */
		if (s->ncols > 1 && row[1])
			json_object_set_new(item, "detail", json_stringn(row[1], strnlen(row[1], 200)));
		json_array_append_new(arr, item);
	}
	return arr;
}

/* True when sql (a default query) compares or reads a time column: every
 * time column of the generic schema ends in "_at" (consent_times.h). */
static int uses_times(const char *sql)
{
	return sql && strstr(sql, "_at") != NULL;
}

int ax_consent_ask(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const struct ax_consent_ask *a,
		   struct ax_buf *sql_log)
{
	const char *source = a->overridden ? a->option : "default";
	struct ax_leaddb_sample s;

	ax_buf_printf(sql_log, "-- %s (%s%s)\n", a->check, a->overridden ? "from option " : "default for schema ",
		      a->overridden ? a->option : a->schema);
	if (!a->overridden && a->schema && ax_consent_schema_find(a->schema))
		ax_buf_printf(sql_log, "-- written from %s\n", ax_consent_schema_find(a->schema)->source);
	for (size_t i = 0; i < a->nparams; i++)
		ax_buf_printf(sql_log, "-- $%zu = '%s'\n", i + 1, a->params[i] ? a->params[i] : "NULL");
	ax_buf_printf(sql_log, "%s;\n\n", a->sql);

	if (!a->overridden && a->time_problem && uses_times(a->sql)) {
		json_decref(a->extra);
		ax_probe_result(ctx, a->check, AX_CHECK_ERROR, json_pack("{s:s}", "query", source),
				"not asked: the lead database has %s", a->time_problem);
		return 0;
	}
	if (ax_leaddb_count_sample(db, a->sql, a->params, a->nparams, (size_t)ax_probe_opt_int(ctx, "samples"), &s) < 0) {
		json_decref(a->extra);
		ax_probe_result(ctx, a->check, AX_CHECK_ERROR, NULL, "%s query failed: %s", source, ax_error_last());
		return 0;
	}
	json_t *observed = json_pack("{s:I,s:o,s:s}", "count", (json_int_t)s.total, "samples",
				     sample_json(ctx, a->first_is_address, &s), "query", source);
	if (a->extra)
		json_object_update(observed, a->extra);
	json_decref(a->extra);
	if (s.total > 0)
		ax_probe_result(ctx, a->check, AX_CHECK_FAIL, observed, a->fail_fmt, (long long)s.total);
	else
		ax_probe_result(ctx, a->check, AX_CHECK_PASS, observed, "%s", a->pass_msg);
	ax_leaddb_sample_free(&s);
	return 0;
}
