/* fuzz_dpkg_status.c - arbitrary bytes as dpkg's status file or an apt
 * Packages index: the parser must never crash or leak, every kept package
 * has a name and a version, and comparing any two versions is
 * antisymmetric (dpkg's order is a total order). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpkg_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpkg_db db = {0};
	if (dpkg_db_parse(&db, (const char *)data, size, "fuzz", NULL, NULL) == 0) {
		dpkg_db_sort(&db);
		for (size_t i = 0; i < db.n; i++) {
			if (!db.pkgs[i].name || !db.pkgs[i].version)
				abort();
			(void)dpkg_status_state(&db.pkgs[i]);
			if (dpkg_db_find(&db, db.pkgs[i].name, strlen(db.pkgs[i].name)) == NULL)
				abort();
			if (i) {
				int a = dpkg_version_cmp(db.pkgs[i - 1].version, db.pkgs[i].version);
				int b = dpkg_version_cmp(db.pkgs[i].version, db.pkgs[i - 1].version);
				if ((a < 0) != (b > 0) || (a == 0) != (b == 0))
					abort();
			}
		}
	}
	dpkg_db_release(&db);
	return 0;
}
