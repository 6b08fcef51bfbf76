/* cmd_doc.c - `annexa _doc commands|conf|probes [CONTROLS-DIR]`, a hidden
 * command the build runs to write the generated parts of the man pages
 * (man/NAME.scd.in, tools/gen-man.sh) in scdoc syntax.
 *
 * Everything it prints comes from the tables the program itself uses:
 * ax_commands[] (synopsis, summary, option help), the config's key tables
 * (ax_config_section_name/ax_config_section_options, ax_common_options),
 * the probe registry (options, checks, fix lines) and the mapping files of
 * the catalog. A new command, key, probe or mapping therefore appears in
 * the man pages without editing them, and the pages cannot drift from the
 * code. Text from the tables is escaped, so no table can inject scdoc
 * markup. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "controls.h"
#include "probe.h"

/* scdoc's inline markup (*bold*, _underline_, \escape, a leading ` of a
 * literal block) taken literally;
 * newlines become spaces (roff refills paragraphs). */
static void esc(struct ax_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		char c = s[i];
		if (c == '*' || c == '_' || c == '\\' || c == '`')
			ax_buf_putc(b, '\\');
		ax_buf_putc(b, c == '\n' || c == '\t' ? ' ' : c);
	}
}

static void esc_s(struct ax_buf *b, const char *s)
{
	esc(b, s, strlen(s));
}

/* 3600 -> "1h": the largest unit that divides the value, as a config
 * file would write it. */
static void put_duration(struct ax_buf *b, int64_t s)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s >= units[i].secs && s % units[i].secs == 0) {
			ax_buf_printf(b, "%lld%c", (long long)(s / units[i].secs), units[i].unit);
			return;
		}
	ax_buf_printf(b, "%llds", (long long)s);
}

static void put_size(struct ax_buf *b, int64_t n)
{
	static const char units[] = "kMGT";
	int u = -1;
	while (u < 3 && n >= 1024 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	ax_buf_printf(b, "%lld", (long long)n);
	if (u >= 0)
		ax_buf_putc(b, units[u]);
}

static void put_bound(struct ax_buf *b, const struct ax_option *o, int64_t v)
{
	if (o->type == AX_OPT_DURATION)
		put_duration(b, v);
	else if (o->type == AX_OPT_SIZE)
		put_size(b, v);
	else
		ax_buf_printf(b, "%lld", (long long)v);
}

static const char *type_name(enum ax_opt_type t)
{
	switch (t) {
	case AX_OPT_STRING:
		return "text";
	case AX_OPT_PATH:
		return "path";
	case AX_OPT_INT:
		return "integer";
	case AX_OPT_DURATION:
		return "duration";
	case AX_OPT_BOOL:
		return "boolean";
	case AX_OPT_ENUM:
		return "one of";
	case AX_OPT_SIZE:
		return "size";
	case AX_OPT_DBURI:
		return "database URI";
	case AX_OPT_REGEX:
		return "regular expression";
	}
	return "value";
}

/* One key: "*key* = _type_" and, indented by depth+1 tabs, its help, the
 * choices or bounds, the default and the flags. */
static void put_option(struct ax_buf *b, const struct ax_option *o, int depth)
{
	for (int i = 0; i < depth; i++)
		ax_buf_putc(b, '\t');
	ax_buf_puts(b, "*");
	esc_s(b, o->key);
	ax_buf_printf(b, "* = _%s_", type_name(o->type));
	if (o->type == AX_OPT_ENUM && o->choices) {
		ax_buf_puts(b, " ");
		for (const char *c = o->choices; *c; c++) {
			if (*c == '|')
				ax_buf_puts(b, ", ");
			else
				esc(b, c, 1);
		}
	}
	ax_buf_puts(b, "\n");
	for (int i = 0; i <= depth; i++)
		ax_buf_putc(b, '\t');
	if (o->help && *o->help) {
		esc_s(b, o->help);
		ax_buf_puts(b, ".");
	}
	if (o->min < o->max && (o->type == AX_OPT_INT || o->type == AX_OPT_DURATION || o->type == AX_OPT_SIZE)) {
		ax_buf_puts(b, " From ");
		put_bound(b, o, o->min);
		ax_buf_puts(b, " to ");
		put_bound(b, o, o->max);
		ax_buf_puts(b, ".");
	}
	if (o->def) {
		ax_buf_puts(b, " Default: ");
		esc_s(b, o->def);
		ax_buf_puts(b, ".");
	}
	if (o->flags & AX_OPT_REQUIRED)
		ax_buf_puts(b, " Required.");
	if (o->flags & AX_OPT_MULTI)
		ax_buf_puts(b, " May be repeated.");
	if (o->flags & AX_OPT_SECRET)
		ax_buf_puts(b, " Secret: never printed nor stored as evidence.");
	ax_buf_puts(b, "\n\n");
}

static void put_options(struct ax_buf *b, const struct ax_option *table, int depth)
{
	for (size_t i = 0; table && table[i].key; i++)
		put_option(b, &table[i], depth);
}

/* --- annexa(8): the commands --- */

/* The column where a command's option descriptions start: the most common
 * position after a run of two spaces on its option lines (a line like
 * "  --since T, --until T the period" has none and uses it). */
static size_t help_column(const char *help)
{
	size_t votes[128] = {0}, best = 0;
	for (const char *l = help; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len > 3 && l[0] == ' ' && l[1] == ' ' && l[2] == '-') {
			const char *gap = strstr(l + 3, "  ");
			if (gap && gap < l + len) {
				size_t col = (size_t)(gap - l);
				while (col < len && l[col] == ' ')
					col++;
				if (col < 128)
					votes[col]++;
			}
		}
		l += len + (end ? 1 : 0);
	}
	for (size_t c = 1; c < 128; c++)
		if (votes[c] > votes[best])
			best = c;
	return best;
}

/* An option spec "--since T, --until T": options bold, the rest as is. */
static void put_spec(struct ax_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ' ')
			j++;
		if (s[i] == '-') {
			size_t k = i;
			while (k < j && s[k] != ',' && s[k] != '=')
				k++;
			ax_buf_puts(b, "*");
			esc(b, s + i, k - i);
			ax_buf_puts(b, "*");
			esc(b, s + k, j - k);
		} else {
			esc(b, s + i, j - i);
		}
		if (j < n)
			ax_buf_putc(b, ' ');
		i = j + 1;
	}
}

static void put_command_help(struct ax_buf *b, const char *help)
{
	size_t col = help_column(help);
	int open = 0;
	for (const char *l = help; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		size_t lead = 0;
		while (lead < len && l[lead] == ' ')
			lead++;
		if (lead < len && l[lead] == '-' && lead < 4) {
			/* a new option: the spec, then its description indented */
			size_t split = len;
			const char *gap = strstr(l + lead, "  ");
			if (gap && gap < l + len)
				split = (size_t)(gap - l);
			else if (col > lead && col < len && l[col - 1] == ' ')
				split = col - 1;
			if (open)
				ax_buf_puts(b, "\n\n");
			put_spec(b, l + lead, split - lead);
			ax_buf_puts(b, "\n\t");
			size_t d = split;
			while (d < len && l[d] == ' ')
				d++;
			esc(b, l + d, len - d);
			open = 1;
		} else if (lead < len) {
			ax_buf_puts(b, " ");
			esc(b, l + lead, len - lead);
		}
		l += len + (end ? 1 : 0);
	}
	if (open)
		ax_buf_puts(b, "\n\n");
}

/* Each form of a synopsis on its own line: the forms are separated by
 * " | " outside brackets or by a line starting "annexa "; other line
 * breaks only wrapped the text. */
static void put_synopsis(struct ax_buf *b, const char *syn)
{
	int depth = 0;
	ax_buf_puts(b, "*annexa* ");
	for (const char *s = syn; *s;) {
		if (*s == '\n') {
			while (*++s == ' ')
				;
			int form = strncmp(s, "annexa ", 7) == 0;
			s += form ? 7 : 0;
			ax_buf_puts(b, form ? "++\n*annexa* " : " ");
			continue;
		}
		if (depth == 0 && strncmp(s, " | ", 3) == 0) {
			s += 3;
			ax_buf_puts(b, "++\n*annexa* ");
			continue;
		}
		depth += *s == '[' ? 1 : *s == ']' ? -1 : 0;
		esc(b, s++, 1);
	}
	ax_buf_puts(b, "\n\n");
}

static void doc_commands(struct ax_buf *b)
{
	for (size_t i = 0; ax_commands[i].name; i++) {
		const struct ax_command *c = &ax_commands[i];
		ax_buf_printf(b, "## %s\n\n", c->name);
		put_synopsis(b, c->synopsis);
		esc_s(b, c->summary);
		ax_buf_puts(b, "\n\n");
		if (c->help && *c->help)
			put_command_help(b, c->help);
	}
}

/* --- annexa.conf(5): every section and key --- */

/* A double quote in a heading: scdoc copies headings into the roff .SS
 * line as they are, where a bare " would start a quoted argument; roff
 * reads "\\(dq" there as the glyph. */
#define DQ "\\\\(dq"

static void doc_conf(struct ax_buf *b)
{
	const char *name;
	for (size_t i = 0; (name = ax_config_section_name(i)); i++) {
		if (strcmp(name, "control") == 0)
			ax_buf_puts(b, "## [control " DQ "ID" DQ "]\n\nOne section per Annex A control (A.5.1 to A.8.34) "
				       "that needs more than its defaults.\n\n");
		else
			ax_buf_printf(b, "## [%s]\n\n", name);
		put_options(b, ax_config_section_options(name), 0);
	}
	ax_buf_puts(b, "## [probe " DQ "NAME" DQ "]\n\nOne section per probe instance; NAME is the instance's name in "
		       "results and reports. Every instance has the keys below; *type* selects the probe type, "
		       "whose own keys *annexa-probes*(7) lists.\n\n");
	put_options(b, ax_common_options, 0);
	ax_buf_puts(b, "The probe types:\n\n");
	for (size_t i = 0; ax_probes[i]; i++) {
		ax_buf_puts(b, "- *");
		esc_s(b, ax_probes[i]->name);
		ax_buf_puts(b, "*: ");
		esc_s(b, ax_probes[i]->summary);
		ax_buf_puts(b, "\n");
	}
	ax_buf_puts(b, "\n");
}

/* --- annexa-probes(7): each type, its keys, checks and controls --- */

/* A declared check and a mapping rule cover the same ids when either
 * pattern matches the other ("tls.*" rules cover a declared "tls.x"; a
 * declared "retention.*" is covered by a rule for "retention.x"). */
static int covers(const char *rule, const char *check)
{
	return ax_check_pattern_matches(rule, check) || ax_check_pattern_matches(check, rule);
}

static void put_check(struct ax_buf *b, const struct ax_check_def *c, const struct ax_catalog *cat)
{
	ax_buf_puts(b, "\t*");
	esc_s(b, c->id);
	ax_buf_puts(b, "*\n\t\t");
	esc_s(b, c->summary);
	ax_buf_puts(b, ".");
	const char *fix = ax_probe_fix(c->id);
	if (fix) {
		ax_buf_puts(b, " Fix: ");
		esc_s(b, fix);
		if (*fix && fix[strlen(fix) - 1] != '.')
			ax_buf_puts(b, ".");
	}
	size_t n = 0;
	for (size_t i = 0; cat && i < cat->nmaps; i++) {
		const struct ax_mapping *m = &cat->maps[i];
		if (!covers(m->check, c->id))
			continue;
		ax_buf_puts(b, n++ ? ", " : " Controls: ");
		esc_s(b, m->control);
		if (m->strength)
			ax_buf_printf(b, " (%s)", m->strength);
	}
	ax_buf_puts(b, n ? ".\n\n" : " Maps to no control.\n\n");
}

static void doc_probes(struct ax_buf *b, const struct ax_catalog *cat)
{
	for (size_t i = 0; ax_probes[i]; i++) {
		const struct probe *p = ax_probes[i];
		ax_buf_puts(b, "## ");
		esc_s(b, p->name);
		ax_buf_puts(b, "\n\n");
		esc_s(b, p->summary);
		ax_buf_puts(b, ".\n\n");
		ax_buf_puts(b, "Keys (besides those of every instance, *annexa.conf*(5)):\n\n");
		if (p->options && p->options[0].key)
			put_options(b, p->options, 1);
		else
			ax_buf_puts(b, "\tnone\n\n");
		ax_buf_puts(b, "Checks:\n\n");
		for (size_t k = 0; p->checks && p->checks[k].id; k++)
			put_check(b, &p->checks[k], cat);
	}
}

int ax_cmd_doc(struct ax_cli *cli, int argc, char **argv)
{
	struct ax_buf b = AX_BUF_INIT;
	struct ax_catalog *cat = NULL;
	int rc = AX_EXIT_OK;
	(void)cli;
	if (argc >= 2 && strcmp(argv[1], "commands") == 0) {
		doc_commands(&b);
	} else if (argc >= 2 && strcmp(argv[1], "conf") == 0) {
		doc_conf(&b);
	} else if (argc >= 2 && strcmp(argv[1], "probes") == 0) {
		if (ax_catalog_load(&cat, argc >= 3 ? argv[2] : ax_catalog_default_dir(NULL)) < 0) {
			rc = ax_cli_fail(AX_EXIT_RUNTIME, "controls catalog");
			goto cleanup;
		}
		doc_probes(&b, cat);
	} else {
		fprintf(stderr, "usage: annexa _doc commands|conf|probes [CONTROLS-DIR]\n");
		rc = AX_EXIT_USAGE;
		goto cleanup;
	}
	if (fwrite(ax_buf_cstr(&b), 1, b.size, stdout) != b.size || fflush(stdout) != 0)
		rc = AX_EXIT_RUNTIME;
cleanup:
	ax_catalog_free(cat);
	ax_buf_free(&b);
	return rc;
}
