/* fuzz_mysql_uri.c - arbitrary bytes as a mysql:// lead database URI.
 * Must never crash or leak; a parsed URI always has a database, a port in
 * range and not both a host and a socket; a refusal always carries a
 * message, and the sandbox's port extraction agrees with the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "leaddb_mysql.h"
#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 9);
	if (!s)
		return 0;
	/* half the inputs get the scheme, so the parser gets past it */
	size_t off = size && (data[0] & 1) ? 8 : 0;
	memcpy(s, "mysql://", off);
	memcpy(s + off, data, size);
	s[off + size] = '\0';
	struct ax_mysql_uri u;
	ax_error_clear();
	if (ax_mysql_uri_parse(s, &u) == 0) {
		if (!u.db || !*u.db || u.port > 65535 || (u.host && u.socket))
			abort();
		uint16_t port = ax_sandbox_port_of(s);
		if (port != (u.host ? (u.port ? u.port : 3306) : 0))
			abort();
		ax_mysql_uri_free(&u);
	} else if (!*ax_error_last()) {
		abort();
	}
	free(s);
	return 0;
}
