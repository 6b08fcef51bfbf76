/* cmd_complete.c - `annexa _complete CWORD WORD...`, the engine of the bash
 * completion (contrib/annexa.bash-completion passes COMP_CWORD and
 * COMP_WORDS). Prints the candidates for word CWORD, one per line, or the
 * single line "@files" when a file name is wanted; the shell filters them.
 *
 * What a command takes is read from its row in ax_commands[]: options are
 * the "-x"/"--xy" words of its synopsis and option help, an option takes a
 * value when an upper-case placeholder follows it ("--probe NAME"),
 * subcommands are the lower-case words right after the command name
 * ("ledger verify ... | ledger list"), positional arguments are the
 * placeholders of the synopsis' first form ("attach CONTROL FILE...").
 * A placeholder FILE, CERT, REPO or SRC completes file names, CONTROL (or
 * the value of an option named after controls) the control ids of the
 * catalog, the value of an option named after probes the instance names of
 * the active config (-c FILE or the default). A new command or option thus
 * completes without touching the script. An unreadable config or catalog
 * offers nothing (never an error: this runs on every TAB). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "controls.h"

enum kind { K_NONE, K_FILE, K_CONTROL, K_INSTANCE };

struct opt {
	char name[48];
	enum kind kind;
	int takes; /* a value follows */
};

struct spec {
	struct opt opts[64];
	size_t nopts;
	char subs[8][32]; /* subcommands */
	size_t nsubs;
	enum kind pos[8]; /* positional arguments of the first form */
	size_t npos;
	int pos_repeat;   /* the last one repeats ("FILE...") */
};

static enum kind placeholder_kind(const char *ph, size_t n, const char *opt)
{
	static const char *const files[] = {"FILE", "CERT", "REPO", "SRC"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (n == strlen(files[i]) && strncmp(ph, files[i], n) == 0)
			return K_FILE;
	if (n == 7 && strncmp(ph, "CONTROL", 7) == 0)
		return K_CONTROL;
	if (opt && strstr(opt, "control"))
		return K_CONTROL;
	if (opt && strstr(opt, "probe"))
		return K_INSTANCE;
	return K_NONE;
}

static void add_opt(struct spec *sp, const char *name, size_t n, const char *ph, size_t phn)
{
	if (n >= sizeof(sp->opts[0].name) || sp->nopts == sizeof(sp->opts) / sizeof(sp->opts[0]))
		return;
	for (size_t i = 0; i < sp->nopts; i++)
		if (strlen(sp->opts[i].name) == n && strncmp(sp->opts[i].name, name, n) == 0)
			return; /* the first mention (the synopsis) wins */
	struct opt *o = &sp->opts[sp->nopts++];
	memcpy(o->name, name, n);
	o->name[n] = '\0';
	o->takes = phn > 0;
	o->kind = phn ? placeholder_kind(ph, phn, o->name) : K_NONE;
}

/* Every option word of text, with the placeholder after it. */
static void scan_options(struct spec *sp, const char *text)
{
	for (const char *s = text; *s; s++) {
		if (*s != '-' || (s > text && !strchr(" [|\n", s[-1])))
			continue;
		const char *e = s + 1;
		while (*e == '-' || isalnum((unsigned char)*e))
			e++;
		if (e - s < 2 || !isalpha((unsigned char)e[-1]))
			continue;
		const char *ph = e, *phe = e;
		if (*ph == ' ' || *ph == '=')
			ph++;
		if (*ph == '[')
			ph++;
		phe = ph;
		while (isupper((unsigned char)*phe))
			phe++;
		add_opt(sp, s, (size_t)(e - s), ph, (size_t)(phe - ph));
		s = e - 1;
	}
}

/* Subcommands and positional placeholders from the synopsis forms, which
 * '|' or a newline separate outside brackets. */
static void scan_forms(struct spec *sp, const struct ax_command *cmd)
{
	int first = 1;
	for (const char *form = cmd->synopsis; form && *form; first = 0) {
		const char *end = form;
		for (int depth = 0; *end && !((*end == '|' || *end == '\n') && depth == 0); end++)
			depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
		const char *s = form;
		while (*s == ' ')
			s++;
		if (strncmp(s, "annexa ", 7) == 0)
			s += 7;
		size_t cl = strlen(cmd->name);
		if (strncmp(s, cmd->name, cl) == 0 && s[cl] == ' ') {
			s += cl + 1;
			size_t n = 0;
			while (islower((unsigned char)s[n]) || s[n] == '-')
				n++;
			if (n && n < sizeof(sp->subs[0]) && sp->nsubs < 8 && islower((unsigned char)*s)) {
				memcpy(sp->subs[sp->nsubs], s, n);
				sp->subs[sp->nsubs++][n] = '\0';
				s += n;
			}
			/* words at bracket depth 0 that start upper-case and do not
			 * follow an option are positional */
			int depth = 0, after_opt = 0;
			while (first && s < end) {
				while (s < end && *s == ' ')
					s++;
				const char *e = s;
				while (e < end && *e != ' ')
					e++;
				if (e == s)
					break;
				const char *t = s;
				while (t < e && *t == '[')
					t++;
				if (*t == '-') {
					after_opt = 1;
				} else {
					if (depth == 0 && t == s && !after_opt && isupper((unsigned char)*t) && sp->npos < 8) {
						const char *u = t;
						while (u < e && isupper((unsigned char)*u))
							u++;
						sp->pos[sp->npos++] = placeholder_kind(t, (size_t)(u - t), NULL);
						sp->pos_repeat = e - s >= 3 && strncmp(e - 3, "...", 3) == 0;
					}
					after_opt = 0;
				}
				for (const char *c = s; c < e; c++)
					depth += *c == '[' ? 1 : *c == ']' ? -1 : 0;
				s = e;
			}
		}
		form = *end ? end + 1 : NULL;
	}
}

static const struct opt *find_opt(const struct spec *sp, const char *w)
{
	for (size_t i = 0; i < sp->nopts; i++)
		if (strcmp(sp->opts[i].name, w) == 0)
			return &sp->opts[i];
	return NULL;
}

static void print_kind(enum kind k, const char *config_path)
{
	struct ax_config *cfg = NULL;
	struct ax_catalog *cat = NULL;
	const char *path = config_path ? config_path : ax_config_default_path();
	if (k == K_FILE) {
		puts("@files");
		return;
	}
	if (k == K_NONE)
		return;
	if (path)
		ax_config_load(&cfg, path); /* unreadable: no instances, the installed catalog */
	if (k == K_INSTANCE)
		for (size_t i = 0; cfg && i < cfg->nprobes; i++)
			puts(cfg->probes[i].name);
	if (k == K_CONTROL && ax_catalog_load(&cat, ax_catalog_default_dir(cfg)) == 0)
		for (size_t i = 0; i < cat->ncontrols; i++)
			puts(cat->controls[i].id);
	ax_catalog_free(cat);
	ax_config_free(cfg);
}

int ax_cmd_complete(struct ax_cli *cli, int argc, char **argv)
{
	/* argv: "_complete" CWORD WORD0 WORD1 ...; WORD0 is the program */
	if (argc < 3)
		return AX_EXIT_USAGE;
	int cword = atoi(argv[1]);
	char **w = argv + 2;
	int nw = argc - 2;
	const char *cur = cword < nw ? w[cword] : "";
	const char *config = cli->config_path;
	int i = 1;
	while (i < cword && w[i][0] == '-') {
		if (strcmp(w[i], "-c") == 0) {
			if (i + 1 == cword) {
				print_kind(K_FILE, NULL);
				return 0;
			}
			config = w[i + 1];
			i++;
		}
		i++;
	}
	if (i >= cword) {
		if (cur[0] == '-') {
			puts("-c\n--help\n--version");
			return 0;
		}
		for (size_t k = 0; ax_commands[k].name; k++)
			puts(ax_commands[k].name);
		return 0;
	}
	const struct ax_command *cmd = ax_command_find(w[i]);
	if (!cmd)
		return 0;
	struct spec *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return AX_EXIT_RUNTIME;
	scan_options(sp, cmd->synopsis);
	scan_options(sp, cmd->help ? cmd->help : "");
	add_opt(sp, "--help", 6, NULL, 0);
	scan_forms(sp, cmd);
	size_t npos = 0;
	int sub = sp->nsubs == 0;
	for (int j = i + 1; j < cword; j++) {
		const struct opt *o;
		if (strcmp(w[j], "-c") == 0 || ((o = find_opt(sp, w[j])) && o->takes)) {
			if (j + 1 == cword) {
				print_kind(strcmp(w[j], "-c") == 0 ? K_FILE : o->kind, config);
				goto cleanup;
			}
			if (strcmp(w[j], "-c") == 0)
				config = w[j + 1];
			j++;
		} else if (w[j][0] != '-') {
			if (!sub)
				sub = 1;
			else
				npos++;
		}
	}
	if (cur[0] == '-') {
		for (size_t k = 0; k < sp->nopts; k++)
			puts(sp->opts[k].name);
	} else if (!sub) {
		for (size_t k = 0; k < sp->nsubs; k++)
			puts(sp->subs[k]);
	} else if (npos < sp->npos || (sp->npos && sp->pos_repeat)) {
		print_kind(sp->pos[npos < sp->npos ? npos : sp->npos - 1], config);
	} else {
		for (size_t k = 0; k < sp->nopts; k++)
			puts(sp->opts[k].name);
	}
cleanup:
	free(sp);
	return 0;
}
