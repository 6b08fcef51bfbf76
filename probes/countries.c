/* countries.c - the built-in, dated country table for transfer checks, and
 * the loader of a site's replacement table (see countries.h).
 *
 * DATA, as of 2025-09-30. Source: European Commission, "Adequacy
 * decisions" (https://commission.europa.eu/law/law-topic/data-protection/
 * international-dimension-data-protection/adequacy-decisions_en), the
 * decisions cited per row (EUR-Lex), and the EU/EEA membership lists.
 * Notes at that date: the first review of the 11 older decisions
 * (COM(2024) 7, 15 Jan 2024) kept all of them; the UK decision 2021/1772
 * had a sunset of 27 Jun 2025, extended by six months to 27 Dec 2025 while
 * its renewal was prepared; the EU-US Data Privacy Framework (2023/1795)
 * covers only certified recipients and was upheld by the General Court on
 * 3 Sep 2025 (T-553/23, Latombe). Safe Harbor (2000/520/EC, invalidated
 * 6 Oct 2015, C-362/14) and Privacy Shield (2016/1250, invalidated 16 Jul
 * 2020, C-311/18) are not transfer mechanisms. When the Commission adopts,
 * renews or repeals a decision, update this table (and its date) or point
 * `country-table =` at a CSV in the format of ax_country_table_load(). */
#include "countries.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "util.h"

#define BUILTIN_AS_OF "2025-09-30"
#define BUILTIN_SOURCE                                                                                          \
	"European Commission, Adequacy decisions, https://commission.europa.eu/law/law-topic/data-protection/"      \
	"international-dimension-data-protection/adequacy-decisions_en (EU/EEA: member state lists)"

struct builtin_row {
	const char *code, *name;
	enum ax_country_basis basis;
	const char *reference, *scope, *valid_until;
};

static const struct builtin_row builtin[] = {
	/* EU member states */
	{"AT", "Austria", AX_COUNTRY_EU, "", "", ""},
	{"BE", "Belgium", AX_COUNTRY_EU, "", "", ""},
	{"BG", "Bulgaria", AX_COUNTRY_EU, "", "", ""},
	{"HR", "Croatia", AX_COUNTRY_EU, "", "", ""},
	{"CY", "Cyprus", AX_COUNTRY_EU, "", "", ""},
	{"CZ", "Czechia", AX_COUNTRY_EU, "", "", ""},
	{"DK", "Denmark", AX_COUNTRY_EU, "", "", ""},
	{"EE", "Estonia", AX_COUNTRY_EU, "", "", ""},
	{"FI", "Finland", AX_COUNTRY_EU, "", "", ""},
	{"FR", "France", AX_COUNTRY_EU, "", "", ""},
	{"DE", "Germany", AX_COUNTRY_EU, "", "", ""},
	{"GR", "Greece", AX_COUNTRY_EU, "", "", ""},
	{"HU", "Hungary", AX_COUNTRY_EU, "", "", ""},
	{"IE", "Ireland", AX_COUNTRY_EU, "", "", ""},
	{"IT", "Italy", AX_COUNTRY_EU, "", "", ""},
	{"LV", "Latvia", AX_COUNTRY_EU, "", "", ""},
	{"LT", "Lithuania", AX_COUNTRY_EU, "", "", ""},
	{"LU", "Luxembourg", AX_COUNTRY_EU, "", "", ""},
	{"MT", "Malta", AX_COUNTRY_EU, "", "", ""},
	{"NL", "Netherlands", AX_COUNTRY_EU, "", "", ""},
	{"PL", "Poland", AX_COUNTRY_EU, "", "", ""},
	{"PT", "Portugal", AX_COUNTRY_EU, "", "", ""},
	{"RO", "Romania", AX_COUNTRY_EU, "", "", ""},
	{"SK", "Slovakia", AX_COUNTRY_EU, "", "", ""},
	{"SI", "Slovenia", AX_COUNTRY_EU, "", "", ""},
	{"ES", "Spain", AX_COUNTRY_EU, "", "", ""},
	{"SE", "Sweden", AX_COUNTRY_EU, "", "", ""},
	/* EEA (EEA Agreement, GDPR incorporated by Decision 154/2018) */
	{"IS", "Iceland", AX_COUNTRY_EEA, "", "", ""},
	{"LI", "Liechtenstein", AX_COUNTRY_EEA, "", "", ""},
	{"NO", "Norway", AX_COUNTRY_EEA, "", "", ""},
	/* adequacy decisions (Art. 45 GDPR; older ones under Art. 25(6) Directive 95/46/EC) */
	{"AD", "Andorra", AX_COUNTRY_ADEQUATE, "Commission Decision 2010/625/EU", "", ""},
	{"AR", "Argentina", AX_COUNTRY_ADEQUATE, "Commission Decision 2003/490/EC", "", ""},
	{"CA", "Canada", AX_COUNTRY_ADEQUATE, "Commission Decision 2002/2/EC",
	 "commercial organisations subject to PIPEDA only", ""},
	{"FO", "Faroe Islands", AX_COUNTRY_ADEQUATE, "Commission Decision 2010/146/EU", "", ""},
	{"GG", "Guernsey", AX_COUNTRY_ADEQUATE, "Commission Decision 2003/821/EC", "", ""},
	{"IL", "Israel", AX_COUNTRY_ADEQUATE, "Commission Decision 2011/61/EU", "", ""},
	{"IM", "Isle of Man", AX_COUNTRY_ADEQUATE, "Commission Decision 2004/411/EC", "", ""},
	{"JP", "Japan", AX_COUNTRY_ADEQUATE, "Commission Implementing Decision (EU) 2019/419",
	 "private-sector organisations subject to the APPI", ""},
	{"JE", "Jersey", AX_COUNTRY_ADEQUATE, "Commission Decision 2008/393/EC", "", ""},
	{"NZ", "New Zealand", AX_COUNTRY_ADEQUATE, "Commission Implementing Decision 2013/65/EU", "", ""},
	{"KR", "Republic of Korea", AX_COUNTRY_ADEQUATE, "Commission Implementing Decision (EU) 2022/254", "", ""},
	{"CH", "Switzerland", AX_COUNTRY_ADEQUATE, "Commission Decision 2000/518/EC", "", ""},
	{"GB", "United Kingdom", AX_COUNTRY_ADEQUATE, "Commission Implementing Decision (EU) 2021/1772",
	 "sunset extended from 2025-06-27 to 2025-12-27 pending renewal", "2025-12-27"},
	{"UY", "Uruguay", AX_COUNTRY_ADEQUATE, "Commission Implementing Decision 2012/484/EU", "", ""},
	{"US", "United States", AX_COUNTRY_ADEQUATE_DPF, "Commission Implementing Decision (EU) 2023/1795",
	 "only recipients certified under the EU-U.S. Data Privacy Framework", ""},
};

static const char *const basis_names[] = {"third-country", "eu", "eea", "adequacy", "adequacy-dpf"};

const char *ax_country_basis_name(enum ax_country_basis b)
{
	return (unsigned)b < sizeof(basis_names) / sizeof(basis_names[0]) ? basis_names[b] : "?";
}

int ax_country_code_valid(const char *code)
{
	return code && isalpha((unsigned char)code[0]) && isalpha((unsigned char)code[1]) && code[2] == '\0';
}

static void table_add(struct ax_country_table *t, const char *code, const char *name, enum ax_country_basis basis,
		      const char *reference, const char *scope, int64_t valid_until)
{
	t->countries = ax_realloc(t->countries, (t->ncountries + 1) * sizeof(*t->countries));
	struct ax_country *c = &t->countries[t->ncountries++];
	c->code = ax_strdup(code);
	for (char *p = c->code; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	c->name = ax_strdup(name);
	c->basis = basis;
	c->reference = ax_strdup(reference);
	c->scope = ax_strdup(scope);
	c->valid_until = valid_until;
}

int ax_country_table_builtin(struct ax_country_table **out)
{
	struct ax_country_table *t = ax_calloc(1, sizeof(*t));
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		int64_t until = 0;
		if (builtin[i].valid_until[0])
			(void)ax_time_parse(builtin[i].valid_until, &until);
		table_add(t, builtin[i].code, builtin[i].name, builtin[i].basis, builtin[i].reference, builtin[i].scope,
			  until);
	}
	t->as_of = ax_strdup(BUILTIN_AS_OF);
	t->source = ax_strdup(BUILTIN_SOURCE);
	t->origin = ax_strdup("built-in");
	*out = t;
	return 0;
}

/* Reads "# key: value" lines at the top into as_of/source and replaces
 * them by bare line breaks, so that CSV line numbers stay true. */
static int take_header_comments(struct ax_country_table *t, struct ax_buf *text, const char *path)
{
	const char *s = ax_buf_cstr(text);
	size_t pos = 0, line = 1;
	if (text->size >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < text->size && s[pos] == '#') {
		size_t end = pos;
		while (end < text->size && s[end] != '\n')
			end++;
		char *content = ax_strndup(s + pos + 1, end - pos - 1);
		size_t n = strlen(content);
		while (n && (content[n - 1] == '\r' || content[n - 1] == ' '))
			content[--n] = '\0';
		char *v = strchr(content, ':');
		if (v) {
			*v++ = '\0';
			while (*v == ' ')
				v++;
			char *k = content;
			while (*k == ' ')
				k++;
			if (strcmp(k, "as-of") == 0 && !t->as_of) {
				int64_t when;
				if (ax_time_parse(v, &when) < 0) {
					free(content);
					return ax_error_code(AX_EINVALID, "%s:%zu: as-of '%s' is not a date", path, line, v);
				}
				t->as_of = ax_strdup(v);
			} else if (strcmp(k, "source") == 0 && !t->source) {
				t->source = ax_strdup(v);
			}
		}
		free(content);
		pos = end < text->size ? end + 1 : end;
		line++;
	}
	struct ax_buf rest = AX_BUF_INIT;
	for (size_t i = 1; i < line; i++)
		ax_buf_putc(&rest, '\n');
	ax_buf_put(&rest, s + pos, text->size - pos);
	ax_buf_free(text);
	*text = rest;
	if (!t->as_of || !t->source)
		return ax_error_code(AX_EINVALID, "%s: a country table must start with '# as-of: YYYY-MM-DD' and '# source: ...' lines",
				     path);
	return 0;
}

static int parse_basis(const char *s, enum ax_country_basis *out)
{
	for (size_t i = 1; i < sizeof(basis_names) / sizeof(basis_names[0]); i++)
		if (strcmp(s, basis_names[i]) == 0) {
			*out = (enum ax_country_basis)i;
			return 0;
		}
	return -1;
}

int ax_country_table_load(struct ax_country_table **out, const char *path)
{
	static const char *const columns[] = {"code", "name", "basis", "reference", "scope", "valid_until"};
	struct ax_buf text = AX_BUF_INIT;
	struct ax_csv *csv = NULL;
	struct ax_country_table *t = ax_calloc(1, sizeof(*t));
	const struct ax_csv_record *rec;
	int col[6], err, got;
	*out = NULL;
	t->origin = ax_strdup(path);
	if ((err = ax_file_read(path, 1024 * 1024, &text)) < 0 || (err = take_header_comments(t, &text, path)) < 0 ||
	    (err = ax_csv_open(&csv, text.ptr, text.size, path, 0)) < 0)
		goto cleanup;
	if ((got = ax_csv_next(csv, &rec)) <= 0) {
		err = got < 0 ? got : ax_error_code(AX_EINVALID, "%s: no header line", path);
		goto cleanup;
	}
	for (size_t k = 0; k < 6; k++) {
		col[k] = -1;
		for (size_t i = 0; i < rec->nfields; i++)
			if (strcmp(rec->fields[i], columns[k]) == 0)
				col[k] = (int)i;
		if (col[k] < 0 && k < 3) {
			err = ax_error_code(AX_EINVALID, "%s:%zu: column '%s' missing", path, rec->line, columns[k]);
			goto cleanup;
		}
	}
	while ((got = ax_csv_next(csv, &rec)) > 0) {
		const char *v[6];
		enum ax_country_basis basis;
		int64_t until = 0;
		for (size_t k = 0; k < 6; k++)
			v[k] = col[k] >= 0 && (size_t)col[k] < rec->nfields ? rec->fields[col[k]] : "";
		if (!ax_country_code_valid(v[0]) || parse_basis(v[2], &basis) < 0 ||
		    (v[5][0] && ax_time_parse(v[5], &until) < 0)) {
			err = ax_error_code(AX_EINVALID, "%s:%zu: need an alpha-2 code, basis eu|eea|adequacy|adequacy-dpf and an ISO date or nothing as valid_until",
					    path, rec->line);
			goto cleanup;
		}
		table_add(t, v[0], v[1], basis, v[3], v[4], until);
	}
	if (got < 0) {
		err = got;
		goto cleanup;
	}
	*out = t;
	t = NULL;
cleanup:
	ax_csv_free(csv);
	ax_buf_free(&text);
	ax_country_table_free(t);
	return err;
}

void ax_country_table_free(struct ax_country_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncountries; i++) {
		free(t->countries[i].code);
		free(t->countries[i].name);
		free(t->countries[i].reference);
		free(t->countries[i].scope);
	}
	free(t->countries);
	free(t->as_of);
	free(t->source);
	free(t->origin);
	free(t);
}

const struct ax_country *ax_country_find(const struct ax_country_table *t, const char *code)
{
	char want[3];
	if (!ax_country_code_valid(code))
		return NULL;
	want[0] = (char)toupper((unsigned char)code[0]);
	want[1] = (char)toupper((unsigned char)code[1]);
	want[2] = '\0';
	if (strcmp(want, "UK") == 0)
		memcpy(want, "GB", 3);
	else if (strcmp(want, "EL") == 0)
		memcpy(want, "GR", 3);
	for (size_t i = 0; i < t->ncountries; i++)
		if (strcmp(t->countries[i].code, want) == 0)
			return &t->countries[i];
	return NULL;
}
