/* fuzz_sudoers.c - arbitrary bytes into the sudoers parser and its alias
 * expansion, and into the passwd/group/shadow parsers. Must never crash or
 * leak; grants stay bounded, every grant names a user, a command and a
 * file, and a shadow password field never survives the parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcfiles.h"
#include "sudoers_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_sudoers s = {0};
	ax_sudoers_parse(&s, "/etc/sudoers", (const char *)data, size);
	/* a second file shares the aliases of the first, as includes do */
	ax_sudoers_parse(&s, "/etc/sudoers.d/x", (const char *)data, size / 2);
	ax_sudoers_resolve(&s);
	if (s.ngrants > AX_SUDOERS_GRANTS_MAX)
		abort();
	for (size_t i = 0; i < s.ngrants; i++)
		if (!s.grants[i].who || !s.grants[i].command || !s.grants[i].runas || !s.grants[i].file ||
		    (s.grants[i].full && !*s.grants[i].command))
			abort();
	for (size_t i = 0; i < s.nincludes; i++)
		if (!s.includes[i].path || !*s.includes[i].path)
			abort();
	ax_sudoers_free(&s);

	struct ax_etc_db db = {0};
	ax_etc_parse(&db, "passwd", (const char *)data, size);
	ax_etc_parse(&db, "group", (const char *)data, size);
	ax_etc_parse(&db, "shadow", (const char *)data, size);
	for (size_t i = 0; i < db.nusers; i++)
		if (!db.users[i].name || !*db.users[i].name || (db.users[i].pw.state == AX_PW_HASH && !db.users[i].pw.scheme))
			abort();
	ax_etc_db_free(&db);
	return 0;
}
