/* db_roles_shared.c - what the `db-roles` engines share (db_roles_shared.h):
 * rows held as strings, allow-list matching, role names as evidence shows
 * them, and the consent-table writers check both engines answer with their
 * own SQL. */
#include <stdlib.h>
#include <string.h>

#include "db_roles_shared.h"
#include "util.h"
#include "verdict.h"

int ax_db_in_words(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list ? list : ""; *p;) {
		p += strspn(p, " \t,");
		size_t w = strcspn(p, " \t,");
		if (w == n && w && strncmp(p, name, n) == 0)
			return 1;
		p += w;
	}
	return 0;
}

static int collect_row(void *arg, size_t ncols, const char *const *cells)
{
	struct ax_db_rows *r = arg;
	if (r->nrows >= 100000)
		return 1;
	r->ncols = ncols;
	r->cells = ax_realloc(r->cells, (r->nrows + 1) * ncols * sizeof(*r->cells));
	for (size_t i = 0; i < ncols; i++)
		r->cells[r->nrows * ncols + i] = ax_strdup(cells[i] ? cells[i] : "");
	r->nrows++;
	return 0;
}

const char *ax_db_rows_cell(const struct ax_db_rows *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}

void ax_db_rows_free(struct ax_db_rows *r)
{
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

int ax_db_rows_query(struct ax_leaddb *db, const char *sql, const char *param, struct ax_db_rows *out)
{
	const char *params[1] = {param};
	return ax_leaddb_each(db, sql, param ? params : NULL, param ? 1 : 0, collect_row, out);
}

const char *ax_db_role_name(const struct ax_probe_ctx *ctx, const char *name, struct ax_buf *b)
{
	ax_buf_clear(b);
	if (strncmp(name, "pg_", 3) == 0 || strcmp(name, "all") == 0 || name[0] == '+' || name[0] == '@')
		ax_buf_puts(b, name); /* built-in roles and hba keywords are not people */
	else
		ax_probe_user_name(ctx, name, b);
	return ax_buf_cstr(b);
}

const char *ax_db_account_name(const struct ax_probe_ctx *ctx, const char *user, const char *host, struct ax_buf *b)
{
	ax_db_role_name(ctx, user, b);
	if (host[0])
		ax_buf_printf(b, "@%s", host);
	return ax_buf_cstr(b);
}

int ax_db_allowed(const char *list, const char *user, const char *host)
{
	if (ax_db_in_words(list, user))
		return 1;
	char *full = ax_asprintf("%s@%s", user, host);
	int ok = host[0] && ax_db_in_words(list, full);
	free(full);
	return ok;
}

char *ax_db_role_list(const struct ax_probe_ctx *ctx, const char *roles, struct ax_buf *name)
{
	char *copy = ax_strdup(roles), *save = NULL;
	struct ax_buf out = AX_BUF_INIT;
	for (char *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save))
		ax_buf_printf(&out, "%s%s", out.size ? "," : "", ax_db_role_name(ctx, r, name));
	free(copy);
	ax_buf_puts(&out, "");
	return out.ptr;
}

void ax_db_check_writers(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const struct ax_db_writers_sql *q, json_t *pop,
			 struct ax_buf *name)
{
	const char *allowed = ax_probe_opt(ctx, "consent-writers");
	char *tables = ax_strdup(ax_probe_opt(ctx, "tables")), *save = NULL;
	struct ax_verdict v;
	json_t *listing = json_array();
	size_t present = 0;
	ax_verdict_init(&v, "db.consent_write", "grants");
	for (char *t = strtok_r(tables, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		struct ax_db_rows exists = {0}, w = {0};
		if (ax_db_rows_query(db, q->exists, t, &exists) < 0) {
			ax_verdict_add(&v, AX_CHECK_ERROR, NULL, "%s: %s", t, ax_error_last());
			continue;
		}
		int here = exists.nrows && strcmp(ax_db_rows_cell(&exists, 0, 0), "0") != 0;
		ax_db_rows_free(&exists);
		if (!here)
			continue;
		present++;
		if (ax_db_rows_query(db, q->writers, t, &w) < 0) {
			ax_verdict_add(&v, AX_CHECK_ERROR, NULL, "%s: %s", t, ax_error_last());
			continue;
		}
		for (size_t i = 0; i < w.nrows; i++) {
			const char *user = ax_db_rows_cell(&w, i, 0), *host = ax_db_rows_cell(&w, i, 1);
			const char *privs = ax_db_rows_cell(&w, i, 2);
			char *roles = ax_db_role_list(ctx, ax_db_rows_cell(&w, i, 3), name);
			const char *r = ax_db_account_name(ctx, user, host, name);
			json_t *o = json_pack("{s:s,s:s,s:s}", q->who, r, "table", t, "privileges", privs);
			if (roles[0])
				json_object_set_new(o, "through_roles", json_string(roles));
			json_array_append_new(pop, json_sprintf("write %s on %s: %s", r, t, privs));
			if (!allowed)
				json_array_append_new(listing, o);
			else if (ax_db_allowed(allowed, user, host))
				ax_verdict_add(&v, AX_CHECK_PASS, o, "%s", r);
			else
				ax_verdict_add(&v, AX_CHECK_FAIL, o, "%s can %s on %s%s%s", r, privs, t, roles[0] ? " through role " : "",
					       roles);
			free(roles);
		}
		ax_db_rows_free(&w);
	}
	if (!allowed && !v.touched) {
		ax_probe_result(ctx, "db.consent_write", present ? AX_CHECK_INFO : AX_CHECK_SKIP,
				json_pack("{s:O}", "grants", listing), present ? "%zu write grant(s) on %zu consent table(s); set consent-writers to judge them"
										 : "none of the consent tables exists",
				json_array_size(listing), present);
		json_decref(v.items);
		ax_buf_free(&v.why);
	} else {
		ax_verdict_emit(ctx, &v, "only consent-writers can write the consent tables", "no consent table or writer found");
	}
	json_decref(listing);
	free(tables);
}
