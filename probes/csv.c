/* csv.c - the RFC 4180 reader for spreadsheet-kept registers (see csv.h).
 *
 * The whole input is normalised once (BOM stripped, Windows-1252 transcoded
 * to UTF-8) and then read record by record; fields are stored NUL-separated
 * in one buffer, so a record costs two allocations that are reused. */
#include "csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

struct ax_csv {
	struct ax_buf text; /* normalised UTF-8 input */
	size_t pos, line;
	char sep;
	char *name;
	const char *encoding;
	struct ax_buf fieldbuf;
	size_t *offsets;
	char **ptrs;
	struct ax_csv_record rec;
};

/* Windows-1252 0x80..0x9F; 0 marks the five undefined bytes (U+FFFD). */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static void put_utf8(struct ax_buf *b, unsigned cp)
{
	if (cp < 0x80) {
		ax_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		ax_buf_putc(b, (char)(0xC0 | (cp >> 6)));
		ax_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		ax_buf_putc(b, (char)(0xE0 | (cp >> 12)));
		ax_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		ax_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int normalise(struct ax_csv *csv, const unsigned char *data, size_t len)
{
	if (len >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF)))
		return ax_error_code(AX_EINVALID, "%s: UTF-16 text is not supported; save it as \"CSV UTF-8\"", csv->name);
	if (memchr(data, '\0', len)) {
		size_t line = 1;
		for (const unsigned char *p = data; *p; p++)
			line += *p == '\n';
		return ax_error_code(AX_EINVALID, "%s:%zu: NUL byte: not a text file", csv->name, line);
	}
	csv->encoding = "utf-8";
	if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
		data += 3, len -= 3;
		csv->encoding = "utf-8 with BOM";
	}
	if (ax_utf8_valid((const char *)data, len)) {
		ax_buf_put(&csv->text, data, len);
		return 0;
	}
	csv->encoding = "windows-1252";
	for (size_t i = 0; i < len; i++) {
		unsigned c = data[i];
		if (c < 0x80)
			ax_buf_putc(&csv->text, (char)c);
		else if (c < 0xA0)
			put_utf8(&csv->text, cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xFFFD);
		else
			put_utf8(&csv->text, c);
	}
	return 0;
}

/* The separator that occurs most often outside quotes on the first line. */
static char detect_separator(const char *s, size_t n)
{
	static const char candidates[] = {',', ';', '\t'};
	size_t count[3] = {0, 0, 0};
	int quoted = 0;
	size_t i = 0;
	while (i < n && (s[i] == '\n' || s[i] == '\r')) /* blank lines before the header */
		i++;
	for (; i < n && (quoted || (s[i] != '\n' && s[i] != '\r')); i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			for (int k = 0; k < 3; k++)
				count[k] += s[i] == candidates[k];
	}
	int best = 0;
	for (int k = 1; k < 3; k++)
		if (count[k] > count[best])
			best = k;
	return candidates[best];
}

int ax_csv_open(struct ax_csv **out, const void *data, size_t len, const char *name, char separator)
{
	struct ax_csv *csv = NULL;
	int err = 0;
	*out = NULL;
	if (len > AX_CSV_MAX_INPUT)
		return ax_error_code(AX_EINVALID, "%s: larger than %u bytes", name ? name : "csv", AX_CSV_MAX_INPUT);
	csv = ax_calloc(1, sizeof(*csv));
	csv->name = ax_strdup(name ? name : "csv");
	csv->line = 1;
	if ((err = normalise(csv, data, len)) < 0)
		goto cleanup;
	const char *s = ax_buf_cstr(&csv->text);
	/* Excel's hint line: "sep=;" alone on the first line. */
	if (csv->text.size >= 5 && strncmp(s, "sep=", 4) == 0 && s[4] != '\r' && s[4] != '\n' &&
	    (csv->text.size == 5 || s[5] == '\r' || s[5] == '\n')) {
		separator = separator ? separator : s[4];
		csv->pos = 5;
		if (csv->pos < csv->text.size && s[csv->pos] == '\r')
			csv->pos++;
		if (csv->pos < csv->text.size && s[csv->pos] == '\n')
			csv->pos++;
		csv->line = 2;
	}
	csv->sep = separator ? separator : detect_separator(s + csv->pos, csv->text.size - csv->pos);
	if (csv->sep == '"' || csv->sep == '\r' || csv->sep == '\n') {
		err = ax_error_code(AX_EINVALID, "%s:1: '%c' cannot be a separator", csv->name, csv->sep);
		goto cleanup;
	}
	csv->offsets = ax_calloc(AX_CSV_MAX_FIELDS + 1, sizeof(*csv->offsets));
	csv->ptrs = ax_calloc(AX_CSV_MAX_FIELDS + 1, sizeof(*csv->ptrs));
	*out = csv;
	csv = NULL;
cleanup:
	ax_csv_free(csv);
	return err;
}

/* Consumes a line end at pos if there is one (CRLF, LF or a lone CR). */
static int eat_newline(struct ax_csv *csv)
{
	const char *s = csv->text.ptr;
	if (csv->pos >= csv->text.size)
		return 0;
	if (s[csv->pos] == '\r') {
		csv->pos++;
		if (csv->pos < csv->text.size && s[csv->pos] == '\n')
			csv->pos++;
	} else if (s[csv->pos] == '\n') {
		csv->pos++;
	} else {
		return 0;
	}
	csv->line++;
	return 1;
}

/* Reads one field at pos into fieldbuf (NUL-terminated). */
static int read_field(struct ax_csv *csv, size_t record_line)
{
	const char *s = csv->text.ptr;
	size_t n = csv->text.size, start_len = csv->fieldbuf.size;
	if (csv->pos < n && s[csv->pos] == '"') {
		size_t open_line = csv->line;
		csv->pos++;
		for (;;) {
			/* copy the run up to the next quote or line break in one go */
			size_t run = strcspn(s + csv->pos, "\"\r\n");
			ax_buf_put(&csv->fieldbuf, s + csv->pos, run);
			csv->pos += run;
			if (csv->fieldbuf.size - start_len > AX_CSV_MAX_FIELD)
				return ax_error_code(AX_EINVALID, "%s:%zu: field longer than %u bytes", csv->name,
						     record_line, AX_CSV_MAX_FIELD);
			if (csv->pos >= n)
				return ax_error_code(AX_EINVALID, "%s:%zu: quoted field opened here is never closed",
						     csv->name, open_line);
			char c = s[csv->pos++];
			if (c == '"') {
				if (csv->pos < n && s[csv->pos] == '"') {
					csv->pos++;
				} else {
					break;
				}
			} else if (c == '\n' || (c == '\r' && !(csv->pos < n && s[csv->pos] == '\n'))) {
				csv->line++;
			}
			ax_buf_putc(&csv->fieldbuf, c);
		}
		/* Spreadsheets never write this, people editing by hand do. */
		while (csv->pos < n && s[csv->pos] == ' ' && csv->sep != ' ')
			csv->pos++;
		if (csv->pos < n && s[csv->pos] != csv->sep && s[csv->pos] != '\r' && s[csv->pos] != '\n')
			return ax_error_code(AX_EINVALID, "%s:%zu: unexpected '%c' after a closing quote (write \"\" for a quote inside a quoted field)",
					     csv->name, csv->line, s[csv->pos]);
	} else {
		size_t run = 0;
		while (csv->pos + run < n && s[csv->pos + run] != csv->sep && s[csv->pos + run] != '\r' &&
		       s[csv->pos + run] != '\n')
			run++;
		if (run > AX_CSV_MAX_FIELD)
			return ax_error_code(AX_EINVALID, "%s:%zu: field longer than %u bytes", csv->name, record_line,
					     AX_CSV_MAX_FIELD);
		ax_buf_put(&csv->fieldbuf, s + csv->pos, run);
		csv->pos += run;
	}
	ax_buf_putc(&csv->fieldbuf, '\0');
	return 0;
}

static int read_record(struct ax_csv *csv)
{
	size_t nfields = 0;
	ax_buf_clear(&csv->fieldbuf);
	csv->rec.line = csv->line;
	for (;;) {
		if (nfields == AX_CSV_MAX_FIELDS)
			return ax_error_code(AX_EINVALID, "%s:%zu: more than %d fields", csv->name, csv->rec.line,
					     AX_CSV_MAX_FIELDS);
		csv->offsets[nfields++] = csv->fieldbuf.size;
		int err = read_field(csv, csv->rec.line);
		if (err < 0)
			return err;
		if (csv->pos < csv->text.size && csv->text.ptr[csv->pos] == csv->sep) {
			csv->pos++;
			continue;
		}
		eat_newline(csv);
		break;
	}
	for (size_t i = 0; i < nfields; i++)
		csv->ptrs[i] = csv->fieldbuf.ptr + csv->offsets[i];
	csv->rec.fields = csv->ptrs;
	csv->rec.nfields = nfields;
	return 0;
}

int ax_csv_next(struct ax_csv *csv, const struct ax_csv_record **out)
{
	*out = NULL;
	while (csv->pos < csv->text.size) {
		int err = read_record(csv);
		if (err < 0)
			return err;
		int empty = 1;
		for (size_t i = 0; i < csv->rec.nfields && empty; i++)
			empty = csv->rec.fields[i][0] == '\0';
		if (!empty) {
			*out = &csv->rec;
			return 1;
		}
	}
	return 0;
}

char ax_csv_separator(const struct ax_csv *csv)
{
	return csv->sep;
}

const char *ax_csv_encoding(const struct ax_csv *csv)
{
	return csv->encoding;
}

void ax_csv_free(struct ax_csv *csv)
{
	if (!csv)
		return;
	ax_buf_free(&csv->text);
	ax_buf_free(&csv->fieldbuf);
	free(csv->offsets);
	free(csv->ptrs);
	free(csv->name);
	free(csv);
}
