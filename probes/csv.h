/* csv.h - an RFC 4180 CSV reader for files people keep in spreadsheets.
 *
 * Accepts what Excel and LibreOffice write: a UTF-8 byte-order mark, an
 * Excel `sep=;` first line, `,` `;` or TAB separators (detected from the
 * header line when not given), CRLF or LF line ends, quoted fields with
 * doubled quotes and embedded line breaks. Input that is not valid UTF-8 is
 * read as Windows-1252 (Excel's "CSV" on Western Windows) and transcoded,
 * so every field handed out is valid UTF-8.
 *
 * Guarantees: bounded work (field length, field count, input size are
 * capped), never crashes on any input, and every error names the source
 * and the line where the broken record starts. */
#ifndef AX_CSV_H
#define AX_CSV_H

#include <stddef.h>

#define AX_CSV_MAX_INPUT (64u * 1024 * 1024)
#define AX_CSV_MAX_FIELD (64u * 1024)
#define AX_CSV_MAX_FIELDS 512

struct ax_csv;

struct ax_csv_record {
	char **fields;  /* nfields NUL-terminated UTF-8 strings, owned by the reader */
	size_t nfields;
	size_t line;    /* 1-based physical line where the record starts */
};

/* Prepares to read data (copied). name is used in error messages (a file
 * name). separator 0 means detect. AX_EINVALID for UTF-16 input, NUL bytes
 * or input larger than AX_CSV_MAX_INPUT. */
int ax_csv_open(struct ax_csv **out, const void *data, size_t len, const char *name, char separator);
/* Reads the next record into *out (valid until the next call): returns 1
 * for a record, 0 at the end, AX_EINVALID for malformed input ("NAME:LINE:
 * why"). Records whose every field is empty are skipped. */
int ax_csv_next(struct ax_csv *csv, const struct ax_csv_record **out);
char ax_csv_separator(const struct ax_csv *csv);
/* "utf-8", "utf-8 with BOM" or "windows-1252". */
const char *ax_csv_encoding(const struct ax_csv *csv);
void ax_csv_free(struct ax_csv *csv);

#endif
