/* db_roles_shared.h - what the `db-roles` probe's engines share: result rows
 * held as strings, the name matching of the allow-lists and the role name
 * as evidence shows it (a pseudonym unless show-user-names). Defined in
 * db_roles_shared.c; internal to db_roles.c (PostgreSQL) and db_roles_mysql.c
 * (MariaDB/MySQL). */
#ifndef AX_DB_ROLES_SHARED_H
#define AX_DB_ROLES_SHARED_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "leaddb.h"
#include "probe.h"

struct ax_db_rows {
	char **cells; /* nrows * ncols */
	size_t nrows, ncols;
};

/* Runs sql with at most one parameter ($1; NULL: none), every row kept. */
int ax_db_rows_query(struct ax_leaddb *db, const char *sql, const char *param, struct ax_db_rows *out);
const char *ax_db_rows_cell(const struct ax_db_rows *r, size_t row, size_t col);
void ax_db_rows_free(struct ax_db_rows *r);

/* True when name is one of the space-separated words of list (NULL: none). */
int ax_db_in_words(const char *list, const char *name);

/* The role or account name as evidence shows it, into a reused buffer. */
const char *ax_db_role_name(const struct ax_probe_ctx *ctx, const char *name, struct ax_buf *b);

/* "user@host" (an account) or "user" (a role: empty host), the user part
 * as ax_db_role_name shows it, into a reused buffer. */
const char *ax_db_account_name(const struct ax_probe_ctx *ctx, const char *user, const char *host, struct ax_buf *b);
/* True when list allows user (any host) or user@host. */
int ax_db_allowed(const char *list, const char *user, const char *host);
/* A comma-separated list of role names as evidence shows them (caller frees). */
char *ax_db_role_list(const struct ax_probe_ctx *ctx, const char *roles, struct ax_buf *name);

/* How an engine answers db.consent_write: exists gives one cell, "0" when
 * table $1 does not exist; writers gives (user, host or '', privileges
 * comma-separated, roles they come through or '') per grantee of $1. */
struct ax_db_writers_sql {
	const char *exists, *writers;
	const char *who; /* the item's key: "role", "account" */
};
void ax_db_check_writers(struct ax_probe_ctx *ctx, struct ax_leaddb *db, const struct ax_db_writers_sql *q, json_t *pop,
			 struct ax_buf *name);

#endif
