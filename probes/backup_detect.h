/* backup_detect.h - what a backup file is, from its first bytes: encrypted
 * (age, OpenPGP, OpenSSL enc) or which plaintext dump (pg_dump custom or
 * SQL, SQLite, tar, compressed). Pure; looks at most at the bytes given. */
#ifndef AX_BACKUP_DETECT_H
#define AX_BACKUP_DETECT_H

#include <stddef.h>

enum bk_kind {
	BK_UNKNOWN,
	BK_AGE,
	BK_OPENPGP,
	BK_OPENSSL_ENC,
	BK_SQLITE,
	BK_PGDUMP_CUSTOM,
	BK_SQL,      /* plain SQL dump */
	BK_SQL_GZ,   /* gzip-compressed plain SQL dump */
	BK_TAR,      /* tar, possibly compressed (gzip, bzip2, xz, zstd) */
	BK_COMPRESSED, /* compressed, content not recognised */
};

/* head: the file's first bytes; inner: the first bytes after gzip
 * decompression (NULL/0 when not gzip). */
enum bk_kind bk_detect(const unsigned char *head, size_t len, const unsigned char *inner, size_t inner_len);
const char *bk_kind_name(enum bk_kind k);
int bk_kind_encrypted(enum bk_kind k);

#endif
