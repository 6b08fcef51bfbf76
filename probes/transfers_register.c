/* transfers_register.c - reads the transfer register CSV (see
 * transfers_register.h). Structural problems (broken quoting, missing
 * columns, surplus fields) are errors naming file and line; content
 * problems are left to the probe. */
#include "transfers_register.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"

enum column { COL_RECIPIENT, COL_SERVICE, COL_ENDPOINTS, COL_COUNTRY, COL_ROLE, COL_MECHANISM,
	      COL_DPF_CHECKED, COL_TIA_DATE, COL_NEXT_REVIEW, COL__COUNT };

static const char *const column_names[COL__COUNT] = {
	"recipient", "service", "endpoints", "country", "role", "mechanism", "dpf_checked", "tia_date", "next_review",
};
static const int column_required[COL__COUNT] = {1, 0, 1, 1, 0, 1, 0, 0, 0};

char *ax_host_canonical(char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

int ax_host_pattern_matches(const char *pattern, const char *host)
{
	if (strncmp(pattern, "*.", 2) != 0)
		return strcmp(pattern, host) == 0;
	size_t plen = strlen(pattern) - 1, hlen = strlen(host); /* plen counts ".domain" */
	return hlen > plen && strcmp(host + hlen - plen, pattern + 1) == 0 && host[hlen - plen - 1] != '.';
}

/* "Next Review" -> "next_review" */
static char *header_name(const char *raw)
{
	struct ax_buf b = AX_BUF_INIT;
	while (isspace((unsigned char)*raw))
		raw++;
	for (; *raw; raw++) {
		unsigned char c = (unsigned char)*raw;
		ax_buf_putc(&b, c == ' ' || c == '-' ? '_' : (char)tolower(c));
	}
	while (b.size && b.ptr[b.size - 1] == '_')
		ax_buf_truncate(&b, b.size - 1);
	return ax_buf_detach(&b);
}

static char *trimmed(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return ax_strndup(s, n);
}

/* Host names separated by spaces, commas or line breaks (Alt+Enter in a cell). */
static void split_endpoints(struct ax_transfer_entry *e, const char *cell)
{
	const char *p = cell;
	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',')
			p++;
		e->endpoints = ax_realloc(e->endpoints, (e->nendpoints + 1) * sizeof(*e->endpoints));
		e->endpoints[e->nendpoints++] = ax_host_canonical(ax_strndup(start, (size_t)(p - start)));
	}
}

static void entry_free(struct ax_transfer_entry *e)
{
	free(e->recipient), free(e->service), free(e->country), free(e->role), free(e->mechanism);
	free(e->dpf_checked), free(e->tia_date), free(e->next_review);
	for (size_t i = 0; i < e->nendpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
}

static int map_header(const struct ax_csv_record *rec, const char *name, int col[COL__COUNT])
{
	for (int k = 0; k < COL__COUNT; k++)
		col[k] = -1;
	for (size_t i = 0; i < rec->nfields; i++) {
		char *h = header_name(rec->fields[i]);
		for (int k = 0; k < COL__COUNT; k++)
			if (col[k] < 0 && strcmp(h, column_names[k]) == 0)
				col[k] = (int)i;
		free(h);
	}
	for (int k = 0; k < COL__COUNT; k++)
		if (col[k] < 0 && column_required[k])
			return ax_error_code(AX_EINVALID, "%s:%zu: header lacks column '%s' (expected %s,%s,%s,%s,%s,%s,%s,%s,%s)",
					     name, rec->line, column_names[k], column_names[0], column_names[1],
					     column_names[2], column_names[3], column_names[4], column_names[5],
					     column_names[6], column_names[7], column_names[8]);
	return 0;
}

int ax_transfer_register_parse(struct ax_transfer_register **out, const void *data, size_t len, const char *name)
{
	struct ax_csv *csv = NULL;
	struct ax_transfer_register *reg = ax_calloc(1, sizeof(*reg));
	const struct ax_csv_record *rec;
	int col[COL__COUNT], got, err;
	size_t header_fields;
	*out = NULL;
	if ((err = ax_csv_open(&csv, data, len, name, 0)) < 0)
		goto cleanup;
	reg->separator = ax_csv_separator(csv);
	reg->encoding = ax_csv_encoding(csv);
	if ((got = ax_csv_next(csv, &rec)) <= 0) {
		err = got < 0 ? got : ax_error_code(AX_EINVALID, "%s: empty: no header line", name);
		goto cleanup;
	}
	if ((err = map_header(rec, name, col)) < 0)
		goto cleanup;
	header_fields = rec->nfields;
	while ((got = ax_csv_next(csv, &rec)) > 0) {
		for (size_t i = header_fields; i < rec->nfields; i++)
			if (rec->fields[i][0]) {
				err = ax_error_code(AX_EINVALID, "%s:%zu: %zu fields but the header has %zu (a separator inside an unquoted value?)",
						    name, rec->line, rec->nfields, header_fields);
				goto cleanup;
			}
		char *v[COL__COUNT];
		for (int k = 0; k < COL__COUNT; k++)
			v[k] = trimmed(col[k] >= 0 && (size_t)col[k] < rec->nfields ? rec->fields[col[k]] : "");
		reg->entries = ax_realloc(reg->entries, (reg->nentries + 1) * sizeof(*reg->entries));
		struct ax_transfer_entry *e = &reg->entries[reg->nentries++];
		memset(e, 0, sizeof(*e));
		e->line = rec->line;
		e->recipient = v[COL_RECIPIENT], e->service = v[COL_SERVICE], e->country = v[COL_COUNTRY];
		e->role = v[COL_ROLE], e->mechanism = v[COL_MECHANISM], e->dpf_checked = v[COL_DPF_CHECKED];
		e->tia_date = v[COL_TIA_DATE], e->next_review = v[COL_NEXT_REVIEW];
		split_endpoints(e, v[COL_ENDPOINTS]);
		free(v[COL_ENDPOINTS]);
	}
	if (got < 0) {
		err = got;
		goto cleanup;
	}
	*out = reg;
	reg = NULL;
cleanup:
	ax_csv_free(csv);
	ax_transfer_register_free(reg);
	return err;
}

void ax_transfer_register_free(struct ax_transfer_register *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->nentries; i++)
		entry_free(&reg->entries[i]);
	free(reg->entries);
	free(reg);
}
