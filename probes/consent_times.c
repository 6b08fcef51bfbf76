/* consent_times.c - the time-form check of consent_times.h. One scan per
 * table, every time column of it in the same pass. */
#include "consent_times.h"

#include <stdlib.h>
#include <string.h>

#include "consent_customer.h"
#include "error.h"
#include "util.h"

struct time_column {
	const char *name;
	unsigned needs; /* AX_CUSTOMER_* bit the column needs, 0: always there */
};

struct time_columns {
	const char *table;
	struct time_column columns[5]; /* up to the first NULL name */
	unsigned needs;                /* AX_CUSTOMER_* bit the table needs, 0: always there */
};

static const struct time_columns core[] = {
	{"leads", {{"created_at", 0}}, 0},
	{"subscriptions",
	 {{"signup_at", 0}, {"confirmed_at", 0}, {"unsubscribed_at", 0}, {"objection_notice_at", AX_CUSTOMER_NOTICE}},
	 0},
	{"consent_events", {{"occurred_at", 0}}, 0},
	{"erasure_requests", {{"received_at", 0}, {"completed_at", 0}}, 0},
	{"orders", {{"ordered_at", 0}}, AX_CUSTOMER_ORDERS},
};

/* NOT (the value is NULL or datetime() gives it back unchanged) */
static void bad_count(struct ax_buf *sql, const char *col)
{
	ax_buf_printf(sql, "sum(%s IS NOT NULL AND (typeof(%s) <> 'text' OR datetime(%s) IS NOT %s))", col, col, col, col);
}

struct tally {
	const char *table;
	const char *const *asked; /* the columns of the query, in its order */
	struct ax_buf *why;
};

static int tally_row(void *arg, size_t ncols, const char *const *cells)
{
	struct tally *ty = arg;
	for (size_t i = 0; i < ncols && ty->asked[i]; i++) {
		long long n = cells[i] ? strtoll(cells[i], NULL, 10) : 0;
		if (n > 0)
			ax_buf_printf(ty->why, "%s%s.%s %lld row(s)", ty->why->size ? ", " : "", ty->table, ty->asked[i],
				      n);
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
		const char *asked[6] = {NULL};
		struct tally ty = {t->table, asked, &why};
		size_t n = 0;
		if (t->needs && !(caps & t->needs))
			continue;
		ax_buf_puts(&sql, "SELECT ");
		for (size_t c = 0; c < 5 && t->columns[c].name; c++) {
			if (t->columns[c].needs && !(caps & t->columns[c].needs))
				continue;
			if (n)
				ax_buf_puts(&sql, ", ");
			bad_count(&sql, t->columns[c].name);
			asked[n++] = t->columns[c].name;
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
