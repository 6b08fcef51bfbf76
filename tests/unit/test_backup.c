/* test_backup.c - backup file kinds from their first bytes: every
 * encryption format the backup-files probe accepts, every plaintext dump it
 * must refuse, and bytes that are neither. */
#include <string.h>

#include "backup_detect.h"
#include "t.h"

struct row {
	const char *head;
	size_t len;
	const char *inner;
	enum bk_kind want;
};

int main(void)
{
	static char tar[512];
	memcpy(tar + 257, "ustar", 5);
	static const struct row rows[] = {
		{"age-encryption.org/v1\n-> X25519 abc\n", 37, NULL, BK_AGE},
		{"-----BEGIN AGE ENCRYPTED FILE-----\n", 35, NULL, BK_AGE},
		{"-----BEGIN PGP MESSAGE-----\n", 28, NULL, BK_OPENPGP},
		{"\x8c\x0d\x04\x09\x03\x02", 6, NULL, BK_OPENPGP}, /* gpg --symmetric, old format SKESK */
		{"\xc3\x0d\x04\x09", 4, NULL, BK_OPENPGP},         /* new format SKESK */
		{"\x85\x01\x0c\x03", 4, NULL, BK_OPENPGP},         /* PKESK */
		{"Salted__\x01\x02\x03\x04\x05\x06\x07\x08", 16, NULL, BK_OPENSSL_ENC},
		{"SQLite format 3\0\x10\0", 19, NULL, BK_SQLITE},
		{"PGDMP\x01\x0e\0", 8, NULL, BK_PGDUMP_CUSTOM},
		{"--\n-- PostgreSQL database dump\n", 31, NULL, BK_SQL},
		{"\x1f\x8b\x08\0", 4, "--\n-- PostgreSQL database dump\n", BK_SQL_GZ},
		{"\x1f\x8b\x08\0", 4, "random", BK_COMPRESSED},
		{"BZh91AY", 7, NULL, BK_COMPRESSED},
		{"\x89PNG\r\n", 6, NULL, BK_UNKNOWN},
		{"", 0, NULL, BK_UNKNOWN},
		{"\x80", 1, NULL, BK_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *inner = rows[i].inner;
		enum bk_kind got = bk_detect((const unsigned char *)rows[i].head, rows[i].len, (const unsigned char *)inner,
					     inner ? strlen(inner) : 0);
		if (got != rows[i].want)
			t_fail(__FILE__, __LINE__, "row %zu: %s, expected %s", i, bk_kind_name(got), bk_kind_name(rows[i].want));
		t_checks++;
	}
	T_EQ_INT(bk_detect((const unsigned char *)tar, sizeof(tar), NULL, 0), BK_TAR);
	T_EQ_INT(bk_detect((const unsigned char *)"\x1f\x8b", 2, (const unsigned char *)tar, sizeof(tar)), BK_TAR);
	T_OK(bk_kind_encrypted(BK_AGE) && bk_kind_encrypted(BK_OPENPGP) && bk_kind_encrypted(BK_OPENSSL_ENC));
	T_OK(!bk_kind_encrypted(BK_SQL) && !bk_kind_encrypted(BK_SQLITE) && !bk_kind_encrypted(BK_PGDUMP_CUSTOM));
	return t_done();
}
