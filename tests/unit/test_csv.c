/* test_csv.c - the CSV reader on what spreadsheets write (BOM, sep=, ';',
 * CRLF, quoted fields with line breaks, Windows-1252) and on broken input
 * (errors name file and line). */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "error.h"
#include "t.h"

/* Reads everything; returns the number of records or the error code, and
 * the records joined as "a|b|c@LINE\n" into out. */
static int read_all(const char *data, size_t len, char sep, char *out, size_t outlen, char *used_sep)
{
	struct ax_csv *csv = NULL;
	const struct ax_csv_record *rec;
	int n = 0, got;
	out[0] = '\0';
	if ((got = ax_csv_open(&csv, data, len, "x.csv", sep)) < 0)
		return got;
	if (used_sep)
		*used_sep = ax_csv_separator(csv);
	while ((got = ax_csv_next(csv, &rec)) > 0) {
		n++;
		for (size_t i = 0; i < rec->nfields; i++) {
			strncat(out, rec->fields[i], outlen - strlen(out) - 1);
			strncat(out, i + 1 < rec->nfields ? "|" : "", outlen - strlen(out) - 1);
		}
		char at[32];
		snprintf(at, sizeof(at), "@%zu\n", rec->line);
		strncat(out, at, outlen - strlen(out) - 1);
	}
	ax_csv_free(csv);
	return got < 0 ? got : n;
}

#define READ(s, sep) read_all(s, sizeof(s) - 1, sep, out, sizeof(out), &used)

int main(void)
{
	char out[4096], used = 0;

	/* plain RFC 4180 */
	T_EQ_INT(READ("a,b,c\n1,2,3\n", 0), 2);
	T_EQ_STR(out, "a|b|c@1\n1|2|3@2\n");
	T_EQ_INT(used, ',');

	/* Excel (German locale): BOM, sep= line, ';', CRLF, quotes, "" escapes,
	 * a line break inside a cell; line numbers stay physical */
	T_EQ_INT(READ("\xEF\xBB\xBFsep=;\r\nname;note\r\n\"ACME; GmbH\";\"say \"\"hi\"\"\"\r\n\"multi\r\nline\";x\r\nlast;y\r\n", 0), 4);
	T_EQ_STR(out, "name|note@2\nACME; GmbH|say \"hi\"@3\nmulti\r\nline|x@4\nlast|y@6\n");
	T_EQ_INT(used, ';');

	/* LibreOffice with ';' and no hint line: detected from the header */
	T_EQ_INT(READ("recipient;country;mechanism\nA, Inc.;US;dpf\n", 0), 2);
	T_EQ_STR(out, "recipient|country|mechanism@1\nA, Inc.|US|dpf@2\n");
	T_EQ_INT(used, ';');

	/* tabs, empty rows skipped, lone CR line ends, missing final newline */
	T_EQ_INT(READ("a\tb\r\t\r\n\r\n1\t2", 0), 2);
	T_EQ_STR(out, "a|b@1\n1|2@4\n");
	T_EQ_INT(used, '\t');

	/* an explicit separator wins over detection */
	T_EQ_INT(READ("a;b,c\n", ','), 1);
	T_EQ_STR(out, "a;b|c@1\n");

	/* empty fields and a trailing separator */
	T_EQ_INT(READ("a,,\n", 0), 1);
	T_EQ_STR(out, "a||@1\n");

	/* Windows-1252 (Excel "CSV" on Western Windows) becomes UTF-8 */
	{
		struct ax_csv *csv = NULL;
		const struct ax_csv_record *rec;
		static const char cp[] = "name\nM\xFCller \x80\n";
		T_EQ_INT(ax_csv_open(&csv, cp, sizeof(cp) - 1, "x.csv", 0), 0);
		T_EQ_STR(ax_csv_encoding(csv), "windows-1252");
		T_EQ_INT(ax_csv_next(csv, &rec), 1);
		T_EQ_INT(ax_csv_next(csv, &rec), 1);
		T_EQ_STR(rec->fields[0], "M\xC3\xBCller \xE2\x82\xAC");
		ax_csv_free(csv);
		static const char u8[] = "\xEF\xBB\xBFname\n";
		T_EQ_INT(ax_csv_open(&csv, u8, sizeof(u8) - 1, "x.csv", 0), 0);
		T_EQ_STR(ax_csv_encoding(csv), "utf-8 with BOM");
		ax_csv_free(csv);
	}

	/* broken input: errors name the file and the line */
	T_EQ_INT(READ("a,b\n1,2\n\"open,3\n4,5\n", 0), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "x.csv:3:");
	T_CONTAINS(ax_error_last(), "never closed");
	T_EQ_INT(READ("a,b\n\"x\"y,2\n", 0), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "x.csv:2: unexpected 'y' after a closing quote");
	T_EQ_INT(READ("\xFF\xFEh\0i\0", 0), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "UTF-16");
	T_EQ_INT(READ("a\nb\0c\n", 0), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "x.csv:2: NUL byte");
	{
		/* more fields than the cap */
		size_t n = 3 * AX_CSV_MAX_FIELDS;
		char *wide = malloc(n + 2);
		memset(wide, ',', n);
		wide[n] = '\n';
		wide[n + 1] = '\0';
		T_EQ_INT(read_all(wide, n + 1, 0, out, sizeof(out), NULL), AX_EINVALID);
		T_CONTAINS(ax_error_last(), "x.csv:1: more than");
		free(wide);
	}
	/* nothing at all is no records, not an error */
	T_EQ_INT(READ("", 0), 0);
	T_EQ_INT(READ("\r\n\r\n", 0), 0);
	return t_done();
}
