/* consent_times.c - the time-form check of consent_times.h. One scan per
 * table, every time column of it in the same pass. */
#include "consent_times.h"

#include <stdlib.h>
#include <string.h>

#include "consent_customer.h"
#include "error.h"
#include "util.h"

struct time_columns {
	const char *table;
	const char *columns[5]; /* NULL-terminated */
	unsigned needs;         /* AX_CUSTOMER_* bits the table or a column needs, 0: always */
};

static const struct time_columns core[] = {
	{"leads", {"created_at", NULL}, 0},
	{"subscriptions", {"signup_at", "confirmed_at", "unsubscribed_at", NULL}, 0},
	{"consent_events", {"occurred_at", NULL}, 0},
	{"erasure_requests", {"received_at", "completed_at", NULL}, 0},
	{"subscriptions", {"objection_notice_at", NULL}, AX_CUSTOMER_NOTICE},
	{"orders", {"ordered_at", NULL}, AX_CUSTOMER_ORDERS},
};

/* NOT (the value is NULL or datetime() gives it back unchanged) */
static void bad_count(struct ax_buf *sql, const char *col)
{
	ax_buf_printf(sql, "sum(%s IS NOT NULL AND (typeof(%s) <> 'text' OR datetime(%s) IS NOT %s))", col, col, col, col);
}

struct tally {
	const struct time_columns *t;
	struct ax_buf *why;
};

static int tally_row(void *arg, size_t ncols, const char *const *cells)
{
	struct tally *ty = arg;
	for (size_t i = 0; i < ncols && ty->t->columns[i]; i++) {
		long long n = cells[i] ? strtoll(cells[i], NULL, 10) : 0;
		if (n > 0)
			ax_buf_printf(ty->why, "%s%s.%s %lld row(s)", ty->why->size ? ", " : "", ty->t->table,
				      ty->t->columns[i], n);
	}
	return 0;
}

void ax_consent_time_form(struct ax_leaddb *db, const char *schema, unsigned caps, struct ax_buf *sql_log,
			  char **problem)
{
	struct ax_buf why = AX_BUF_INIT;
	*problem = NULL;
	if (!schema || strcmp(schema, "generic") != 0 || ax_leaddb_engine(db) != AX_LEADDB_SQLITE)
		return;
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
		const struct time_columns *t = &core[i];
		struct ax_buf sql = AX_BUF_INIT;
		struct tally ty = {t, &why};
		if (t->needs && !(caps & t->needs))
			continue;
		ax_buf_puts(&sql, "SELECT ");
		for (size_t c = 0; t->columns[c]; c++) {
			if (c)
				ax_buf_puts(&sql, ", ");
			bad_count(&sql, t->columns[c]);
		}
		ax_buf_printf(&sql, " FROM %s", t->table);
		ax_buf_printf(sql_log, "-- time form of %s (README, \"The generic lead schema\")\n%s;\n\n", t->table,
			      ax_buf_cstr(&sql));
		if (ax_leaddb_each(db, ax_buf_cstr(&sql), NULL, 0, tally_row, &ty) < 0)
			ax_buf_printf(&why, "%s%s: the time-form query failed: %s", why.size ? ", " : "", t->table,
				      ax_error_last());
		ax_buf_free(&sql);
	}
	if (why.size)
		*problem = ax_asprintf("times not in the form YYYY-MM-DD HH:MM:SS (UTC, as SQLite's datetime() writes "
				       "them), which the default queries compare as text: %s",
				       ax_buf_cstr(&why));
	ax_buf_free(&why);
}
