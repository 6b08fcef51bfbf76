/* backup_detect.c - backup file kinds from magic bytes (see backup_detect.h).
 * OpenPGP binary messages start with a public-key or symmetric-key
 * encrypted session key packet (tags 1 and 3), in old or new packet format. */
#include "backup_detect.h"

#include <string.h>

static int has(const unsigned char *p, size_t len, size_t at, const char *magic, size_t n)
{
	return len >= at + n && memcmp(p + at, magic, n) == 0;
}

static int is_tar(const unsigned char *p, size_t len)
{
	return has(p, len, 257, "ustar", 5);
}

static int is_sql(const unsigned char *p, size_t len)
{
	static const char *const starts[] = {"--", "SET ", "CREATE ", "BEGIN;", "PRAGMA ", "INSERT "};
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (has(p, len, 0, starts[i], strlen(starts[i])))
			return 1;
	return 0;
}

enum bk_kind bk_detect(const unsigned char *head, size_t len, const unsigned char *inner, size_t inner_len)
{
	if (has(head, len, 0, "age-encryption.org/v1", 21) || has(head, len, 0, "-----BEGIN AGE ENCRYPTED FILE-----", 34))
		return BK_AGE;
	if (has(head, len, 0, "-----BEGIN PGP MESSAGE-----", 27))
		return BK_OPENPGP;
	if (has(head, len, 0, "Salted__", 8))
		return BK_OPENSSL_ENC;
	if (has(head, len, 0, "SQLite format 3", 16))
		return BK_SQLITE;
	if (has(head, len, 0, "PGDMP", 5))
		return BK_PGDUMP_CUSTOM;
	if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		if (inner && is_tar(inner, inner_len))
			return BK_TAR;
		if (inner && has(inner, inner_len, 0, "PGDMP", 5))
			return BK_COMPRESSED;
		if (inner && is_sql(inner, inner_len))
			return BK_SQL_GZ;
		return BK_COMPRESSED;
	}
	if (has(head, len, 0, "BZh", 3) || has(head, len, 0, "\xfd" "7zXZ", 5) || has(head, len, 0, "\x28\xb5\x2f\xfd", 4))
		return BK_COMPRESSED; /* libarchive reads it at restore time */
	if (is_tar(head, len))
		return BK_TAR;
	if (is_sql(head, len))
		return BK_SQL;
	if (len >= 2 && (head[0] & 0x80)) {
		unsigned tag = (head[0] & 0x40) ? head[0] & 0x3f : (head[0] >> 2) & 0x0f;
		if (tag == 1 || tag == 3)
			return BK_OPENPGP;
	}
	return BK_UNKNOWN;
}

const char *bk_kind_name(enum bk_kind k)
{
	static const char *const names[] = {"unknown", "age", "openpgp", "openssl-enc", "sqlite", "pg_dump-custom",
					    "sql", "sql-gzip", "tar", "compressed"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

int bk_kind_encrypted(enum bk_kind k)
{
	return k == BK_AGE || k == BK_OPENPGP || k == BK_OPENSSL_ENC;
}
