/* zipread.h - a strict reader of the ZIP files annexa writes (zipread.c).
 *
 * There is one reading of a bundle: the end record is the last 22 bytes
 * (no comment), the central directory is the only list of entries, and
 * every byte of the file belongs to exactly one structure (local header,
 * data, data descriptor, central directory, Zip64 end records, end
 * record). Anything else - bytes before the first entry, gaps, overlaps,
 * a second directory, a comment, local headers that disagree with the
 * directory, extra fields other ZIP tools read differently, encryption,
 * methods other than stored and deflate, symbolic links - is refused with
 * a named reason (AX_EINVALID) before a single entry is decompressed. So
 * unzip, Python's zipfile, 7-Zip and libarchive list the same entries with
 * the same bytes as this reader, or refuse the file too. */
#ifndef AX_ZIPREAD_H
#define AX_ZIPREAD_H

#include <stddef.h>
#include <stdint.h>

#include "store.h" /* ax_bytes_cb */

struct ax_zip;

struct ax_zip_entry {
	char *name;       /* as stored: checked only for NUL and length here */
	uint64_t offset;  /* of the local header */
	uint64_t data;    /* of the compressed bytes */
	uint64_t csize, usize;
	uint32_t crc;
	uint16_t method;  /* 0 stored, 8 deflate */
};

struct ax_zip_limits {
	uint64_t max_entries;     /* 0: 200,000 */
	uint64_t max_entry_size;  /* uncompressed, 0: 4 GiB */
	uint64_t max_total_size;  /* uncompressed, 0: 64 GiB */
	/* An entry above 1 MiB may inflate at most this many times its
	 * compressed size (0: 256). */
	uint64_t max_ratio;
};

/* Reads and checks the whole structure. The fd variant reads with pread
 * and does not take the descriptor; the memory variant does not copy. */
int ax_zip_open_fd(int fd, const struct ax_zip_limits *lim, struct ax_zip **out);
int ax_zip_open_mem(const void *data, size_t len, const struct ax_zip_limits *lim, struct ax_zip **out);
void ax_zip_free(struct ax_zip *z);

/* Entries in central-directory order (which is file order). */
size_t ax_zip_count(const struct ax_zip *z);
const struct ax_zip_entry *ax_zip_get(const struct ax_zip *z, size_t i);
/* Index of the entry of that name (names are unique), or -1. O(log n). */
long ax_zip_find(const struct ax_zip *z, const char *name);

/* Streams entry i's uncompressed bytes to cb in chunks of at most 64 KiB;
 * AX_EINVALID when the data is not exactly the declared size, CRC and
 * compressed length (a deflate stream must end at its last byte). A
 * negative return of cb stops and is returned. */
int ax_zip_read(struct ax_zip *z, size_t i, ax_bytes_cb cb, void *arg);

/* The same as a pull: each call gives the next chunk (valid until the
 * next call); *len 0 at the end, once size and CRC have been checked. */
struct ax_zip_stream;
int ax_zip_stream_open(struct ax_zip *z, size_t i, struct ax_zip_stream **out);
int ax_zip_stream_next(struct ax_zip_stream *s, const void **data, size_t *len);
void ax_zip_stream_free(struct ax_zip_stream *s);

#endif
