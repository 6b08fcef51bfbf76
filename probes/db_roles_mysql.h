/* db_roles_mysql.h - the MariaDB/MySQL half of the `db-roles` probe. */
#ifndef AX_DB_ROLES_MYSQL_H
#define AX_DB_ROLES_MYSQL_H

#include "db_roles_shared.h"

/* The MariaDB/MySQL checks (db_roles_mysql.c); the population is filled
 * for db.changes. Returns 0 when the grant tables were readable (the
 * population is complete), 1 when db.changes must be skipped. */
int ax_db_roles_mysql(struct ax_probe_ctx *ctx, struct ax_leaddb *db, json_t *pop, struct ax_buf *name);

#endif
