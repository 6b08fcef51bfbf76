/* countries.h - where a country stands for GDPR transfers (Chapter V).
 *
 * A dated table (probes/countries.c) of the EU and EEA member states and of
 * the countries with an EU adequacy decision (Art. 45 GDPR), with the
 * decision and, where the decision has a sunset clause, its end. A site can
 * replace it with its own CSV (`country-table = FILE` of the transfers
 * probe) when the Commission adopts or renews a decision. */
#ifndef AX_COUNTRIES_H
#define AX_COUNTRIES_H

#include <stddef.h>
#include <stdint.h>

enum ax_country_basis {
	AX_COUNTRY_THIRD = 0,   /* no decision: needs SCC, BCR or an Art. 49 derogation */
	AX_COUNTRY_EU,          /* EU member state */
	AX_COUNTRY_EEA,         /* EEA (Iceland, Liechtenstein, Norway): GDPR applies */
	AX_COUNTRY_ADEQUATE,    /* adequacy decision covering the country (or a sector of it) */
	AX_COUNTRY_ADEQUATE_DPF /* USA: adequacy only for Data Privacy Framework certified recipients */
};

struct ax_country {
	char *code;      /* ISO 3166-1 alpha-2, upper case */
	char *name;
	enum ax_country_basis basis;
	char *reference; /* the decision, e.g. "Commission Decision 2000/518/EC"; "" for EU/EEA */
	char *scope;     /* limits of the decision ("commercial organisations under PIPEDA"), or "" */
	int64_t valid_until; /* 0: no end; else the sunset date as known when the table was dated */
};

struct ax_country_table {
	struct ax_country *countries;
	size_t ncountries;
	char *as_of;  /* YYYY-MM-DD */
	char *source; /* who says so: a URL or a document */
	char *origin; /* "built-in" or the file it was read from */
};

/* The built-in table (a copy the caller frees). */
int ax_country_table_builtin(struct ax_country_table **out);
/* A CSV with header code,name,basis,reference,scope,valid_until where
 * basis is eu|eea|adequacy|adequacy-dpf, preceded by the lines
 * "# as-of: YYYY-MM-DD" and "# source: TEXT". Errors name file and line. */
int ax_country_table_load(struct ax_country_table **out, const char *path);
void ax_country_table_free(struct ax_country_table *t);
/* NULL for a country the table does not list (a third country). code is
 * matched case-insensitively; "UK" and "EL" (EU usage) are accepted too. */
const struct ax_country *ax_country_find(const struct ax_country_table *t, const char *code);
const char *ax_country_basis_name(enum ax_country_basis b);
/* True when code has the shape of an ISO 3166-1 alpha-2 code. */
int ax_country_code_valid(const char *code);

#endif
