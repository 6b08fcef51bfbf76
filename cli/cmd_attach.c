/* cmd_attach.c - `annexa attach` (attach, --list, --revoke) and `annexa
 * approve`: manual evidence from the command line (store side: manual.c).
 *
 * Every input (control ids against the catalog, dates, files) is checked
 * before the store is opened, so a mistake never creates or changes a
 * store. Refusals (unknown control, bad file, same-user approval, wrong
 * state) exit 2; store and I/O failures exit 3. The acting user is the
 * real effective uid's name: there is no option to claim another. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "controls.h"
#include "manual.h"
#include "store.h"
#include "util.h"

static void dump_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(j);
}

static int usage_error(const char *cmd, const char *why)
{
	if (why)
		fprintf(stderr, "annexa %s: %s\n", cmd, why);
	return ax_cli_usage(ax_command_find(cmd), stderr, AX_EXIT_USAGE);
}

/* Every path must be a readable regular file; checked before the store is
 * opened (manual.c checks again when it reads them). */
static int precheck_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "annexa attach: %s: %s; nothing attached\n", path,
			errno == ENOENT ? "no such file" : strerror(errno));
		return AX_EXIT_USAGE;
	}
	int bad = fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0;
	close(fd);
	if (bad) {
		fprintf(stderr, "annexa attach: %s: %s; nothing attached\n", path,
			S_ISDIR(sb.st_mode)   ? "is a directory (attach the files in it)"
			: !S_ISREG(sb.st_mode) ? "not a regular file"
					       : "empty file (0 bytes): attach the document itself");
		return AX_EXIT_USAGE;
	}
	return 0;
}

/* Splits "A.5.1,A.5.2" into catalog ids; unknown ones are refused. */
static int parse_controls(struct ax_cli *cli, const char *arg, char ***out, size_t *n)
{
	char *copy = ax_strdup(arg), *save = NULL;
	int rc = 0;
	*out = NULL;
	*n = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!ax_catalog_find(cli->cat, tok)) {
			fprintf(stderr, "annexa attach: unknown control '%.40s' (ids are written A.5.1 ... A.8.34); "
					"nothing attached\n", tok);
			rc = AX_EXIT_USAGE;
			break;
		}
		*out = ax_realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = ax_strdup(tok);
	}
	if (rc == 0 && *n == 0) {
		fprintf(stderr, "annexa attach: no control given\n");
		rc = AX_EXIT_USAGE;
	}
	free(copy);
	return rc;
}

/* The needs of the control's coverage statement, "policy, review", for
 * messages. */
static void list_needs(const struct ax_coverage *cov, struct ax_buf *out)
{
	for (size_t n = 0; cov && n < cov->nneeds; n++)
		ax_buf_printf(out, "%s%s:%s", n ? ", " : "", cov->control, cov->needs[n].id);
	if (!cov || !cov->nneeds)
		ax_buf_puts(out, "none");
}

/* Splits --answers "policy,A.8.15:review" into qualified need ids, each a
 * need of a given control's coverage statement; a bare need id is allowed
 * when one control is given. Refusals name the valid ones. */
static int parse_answers(struct ax_cli *cli, const char *arg, char **controls, size_t ncontrols, char ***out,
			 size_t *n)
{
	char *copy = ax_strdup(arg), *save = NULL;
	struct ax_buf valid = AX_BUF_INIT;
	int rc = 0;
	*out = NULL;
	*n = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		const char *control = colon ? tok : controls[0], *need = colon ? colon + 1 : tok;
		if (colon)
			*colon = '\0';
		else if (ncontrols > 1) {
			fprintf(stderr, "annexa attach: --answers '%.64s': name the control (A.x.y:%.64s) when several "
					"are given; nothing attached\n", tok, tok);
			rc = AX_EXIT_USAGE;
			break;
		}
		int mine = 0;
		for (size_t c = 0; c < ncontrols; c++)
			mine |= strcmp(controls[c], control) == 0;
		const struct ax_coverage *cov = mine ? ax_catalog_coverage(cli->cat, control) : NULL;
		int known = 0;
		for (size_t k = 0; cov && k < cov->nneeds; k++)
			known |= strcmp(cov->needs[k].id, need) == 0;
		if (!known) {
			ax_buf_clear(&valid);
			for (size_t c = 0; c < ncontrols; c++) {
				ax_buf_puts(&valid, c ? "; " : "");
				list_needs(ax_catalog_coverage(cli->cat, controls[c]), &valid);
			}
			fprintf(stderr, "annexa attach: --answers: %.40s has no need '%.64s'%s (its needs: %s); "
					"nothing attached\n", control, need, mine ? "" : " among the controls given",
				valid.ptr);
			rc = AX_EXIT_USAGE;
			break;
		}
		*out = ax_realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = ax_asprintf("%s:%s", control, need);
	}
	if (rc == 0 && *n == 0) {
		fprintf(stderr, "annexa attach: --answers: no need given\n");
		rc = AX_EXIT_USAGE;
	}
	free(copy);
	ax_buf_free(&valid);
	return rc;
}

static int parse_time_arg(const char *opt, const char *arg, int64_t *out)
{
	if (ax_time_parse(arg, out) < 0) {
		fprintf(stderr, "annexa attach: %s '%s': not a date (YYYY-MM-DD or RFC 3339)\n", opt, arg);
		return AX_EXIT_USAGE;
	}
	return 0;
}

/* Column widths of the list: the widest control list (up to 24; a longer
 * one pushes its row), the widest user name and answer list. */
struct list_widths {
	int id, controls, by, answers;
};

static int answers_width(const struct ax_manual *m)
{
	int w = m->nanswers ? 0 : 1; /* "-" */
	for (size_t a = 0; a < m->nanswers; a++)
		w += (a ? 1 : 0) + (int)strlen(m->answers[a]);
	return w;
}

static int controls_width(const struct ax_manual *m)
{
	int w = 0;
	for (size_t c = 0; c < m->ncontrols; c++)
		w += (c ? 1 : 0) + (int)strlen(m->controls[c]);
	return w;
}

static void print_item_line(const struct ax_manual *m, int64_t now, const struct list_widths *w)
{
	char eff[32], exp[32];
	ax_time_format(m->effective_at, eff);
	ax_time_format(m->expires_at, exp);
	const char *validity = m->state == AX_MANUAL_REVOKED ? "revoked"
			       : m->state == AX_MANUAL_PENDING ? "pending"
			       : ax_manual_valid_at(m, now)    ? "valid"
			       : now < m->effective_at         ? "not yet"
								: "expired";
	int n = printf("%-*s %-8s %-8s %.10s  %.10s  ", w->id, m->id, ax_manual_state_label(m), validity, eff, exp);
	for (size_t c = 0; c < m->ncontrols; c++)
		n += printf("%s%s", c ? "," : "", m->controls[c]);
	int pad = w->controls - controls_width(m);
	n += printf("%*s  %-*s  ", pad > 0 ? pad : 0, "", w->by, m->attached_by ? m->attached_by : "");
	int aw = 0;
	for (size_t a = 0; a < m->nanswers; a++)
		aw += printf("%s%s", a ? "," : "", m->answers[a]);
	if (!m->nanswers)
		aw += printf("-");
	n += aw + printf("%*s", w->answers - aw > 0 ? w->answers - aw : 0, "");
	struct ax_buf files = AX_BUF_INIT;
	for (size_t f = 0; f < m->nfiles; f++)
		ax_buf_printf(&files, "%s%s", f ? ", " : "", m->files[f].name);
	size_t col = n > 0 ? (size_t)n : 0;
	fputs("  ", stdout);
	col += 2;
	ax_wrap(stdout, &col, ax_buf_cstr(&files), col);
	ax_buf_free(&files);
	putchar('\n');
}

static int list_items(struct ax_cli *cli, const char *control, int json)
{
	struct ax_manual_list list = {0};
	int64_t now = ax_now();
	int rc;
	if (control) {
		if ((rc = ax_cli_catalog(cli)) != 0)
			return rc;
		if (!ax_catalog_find(cli->cat, control)) {
			fprintf(stderr, "annexa attach: unknown control '%.40s' (ids are written A.5.1 ... A.8.34)\n",
				control);
			return AX_EXIT_USAGE;
		}
	}
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	if (ax_manual_load(cli->store, control, &list) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, "attach --list");
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < list.n; i++) {
			json_t *o = ax_manual_to_json(&list.items[i]);
			json_object_set_new(o, "valid_now", json_boolean(ax_manual_valid_at(&list.items[i], now)));
			json_array_append_new(arr, o);
		}
		dump_json(arr);
	} else if (list.n == 0) {
		printf("no manual evidence%s%s\n", control ? " for " : "", control ? control : "");
	} else {
		struct list_widths w = {6, 8, 11, 7};
		for (size_t i = 0; i < list.n; i++) {
			const struct ax_manual *m = &list.items[i];
			int cw = controls_width(m), bw = m->attached_by ? (int)strlen(m->attached_by) : 0;
			w.id = (int)strlen(m->id) > w.id ? (int)strlen(m->id) : w.id;
			w.controls = cw > w.controls ? (cw > 24 ? 24 : cw) : w.controls;
			w.by = bw > w.by ? bw : w.by;
			w.answers = answers_width(m) > w.answers ? answers_width(m) : w.answers;
		}
		printf("%-*s %-8s %-8s %-10s  %-10s  %-*s  %-*s  %-*s  %s\n", w.id, "ID", "STATE", "NOW", "EFFECTIVE",
		       "EXPIRES", w.controls, "CONTROLS", w.by, "ATTACHED BY", w.answers, "ANSWERS", "FILES");
		for (size_t i = 0; i < list.n; i++)
			print_item_line(&list.items[i], now, &w);
	}
	ax_manual_list_free(&list);
	return 0;
}

static int show_item(struct ax_cli *cli, const char *id, const char *verb, int json)
{
	struct ax_manual_list list = {0};
	if (ax_manual_get(cli->store, id, &list) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, verb);
	const struct ax_manual *m = &list.items[0];
	if (json) {
		dump_json(ax_manual_to_json(m));
	} else {
		char eff[32], exp[32];
		ax_time_format(m->effective_at, eff);
		ax_time_format(m->expires_at, exp);
		printf("%s %s (", verb, m->id);
		for (size_t c = 0; c < m->ncontrols; c++)
			printf("%s%s", c ? ", " : "", m->controls[c]);
		printf(")%s", m->nanswers ? " answering " : "");
		for (size_t a = 0; a < m->nanswers; a++)
			printf("%s%s", a ? ", " : "", m->answers[a]);
		printf(": effective %s, expires %s, %s", eff, exp,
		       strcmp(ax_manual_state_label(m), "accepted") == 0 ? "accepted (no approval required)"
									   : ax_manual_state_label(m));
		if (m->state == AX_MANUAL_PENDING)
			printf(" (another user approves with: annexa approve %s)", m->id);
		putchar('\n');
		for (size_t f = 0; f < m->nfiles; f++)
			printf("  %s  %lld bytes  sha256 %s\n", m->files[f].name, (long long)m->files[f].size,
			       m->files[f].sha256);
	}
	ax_manual_list_free(&list);
	return 0;
}

struct attach_args {
	const char *effective, *expires, *valid, *owner, *note, *revoke, *reason, *answers;
	int json, list;
};

static int do_attach(struct ax_cli *cli, const struct attach_args *a, int argc, char **argv)
{
	struct ax_buf user = AX_BUF_INIT;
	struct ax_manual_attach req = {0};
	char **controls = NULL, **answers = NULL, *id = NULL;
	size_t ncontrols = 0, nanswers = 0;
	int64_t now = ax_now(), validity = AX_MANUAL_DEFAULT_VALIDITY;
	int rc, err;

	if (argc < 2) {
		rc = usage_error("attach", "a control and at least one file are needed");
		goto cleanup;
	}
	if (a->expires && a->valid) {
		rc = usage_error("attach", "--expires and --valid exclude each other");
		goto cleanup;
	}
	if ((rc = ax_cli_catalog(cli)) != 0 || (rc = parse_controls(cli, argv[0], &controls, &ncontrols)) != 0)
		goto cleanup;
	if (a->answers && (rc = parse_answers(cli, a->answers, controls, ncontrols, &answers, &nanswers)) != 0)
		goto cleanup;
	req.effective_at = now;
	if (a->effective && (rc = parse_time_arg("--effective", a->effective, &req.effective_at)) != 0)
		goto cleanup;
	if (a->valid && (ax_duration_parse(a->valid, &validity) < 0 || validity <= 0)) {
		fprintf(stderr, "annexa attach: --valid '%s': not a duration (365d, 52w, ...)\n", a->valid);
		rc = AX_EXIT_USAGE;
		goto cleanup;
	}
	if (validity > AX_MANUAL_VALIDITY_MAX) {
		fprintf(stderr, "annexa attach: --valid '%s': at most 3650d (10 years); nothing attached\n", a->valid);
		rc = AX_EXIT_USAGE;
		goto cleanup;
	}
	req.expires_at = req.effective_at + validity;
	if (a->expires && (rc = parse_time_arg("--expires", a->expires, &req.expires_at)) != 0)
		goto cleanup;
	if (req.expires_at <= req.effective_at) {
		fprintf(stderr, "annexa attach: the expiry must come after the effective date; nothing attached\n");
		rc = AX_EXIT_USAGE;
		goto cleanup;
	}
	for (int i = 1; i < argc; i++)
		if ((rc = precheck_file(argv[i])) != 0)
			goto cleanup;
	if ((rc = ax_cli_store(cli)) != 0)
		goto cleanup;
	ax_manual_user(&user);
	req.controls = (const char *const *)controls;
	req.ncontrols = ncontrols;
	req.paths = (const char *const *)(argv + 1);
	req.npaths = (size_t)argc - 1;
	req.user = user.ptr;
	req.now = now;
	req.owner = a->owner;
	req.note = a->note;
	req.approval_required = ax_config_get_int(cli->cfg, "annexa", "manual-approval") != 0;
	req.answers = (const char *const *)answers;
	req.nanswers = nanswers;
	if ((err = ax_manual_attach(cli->store, &req, &id)) < 0) {
		rc = ax_cli_fail(ax_cli_exit_for(err), "attach: nothing attached");
		goto cleanup;
	}
	rc = show_item(cli, id, "attached", a->json);
cleanup:
	for (size_t i = 0; i < ncontrols; i++)
		free(controls[i]);
	free(controls);
	for (size_t i = 0; i < nanswers; i++)
		free(answers[i]);
	free(answers);
	free(id);
	ax_buf_free(&user);
	return rc;
}

static int do_revoke(struct ax_cli *cli, const struct attach_args *a)
{
	struct ax_buf user = AX_BUF_INIT;
	int rc, err;
	if (!a->reason || !*a->reason)
		return usage_error("attach", "--revoke needs --reason TEXT");
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	ax_manual_user(&user);
	err = ax_manual_revoke(cli->store, a->revoke, user.ptr, a->reason, ax_now());
	ax_buf_free(&user);
	if (err < 0)
		return ax_cli_fail(ax_cli_exit_for(err), "attach --revoke");
	return show_item(cli, a->revoke, "revoked", a->json);
}

int ax_cmd_attach(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"effective", required_argument, NULL, 'e'}, {"expires", required_argument, NULL, 'x'},
		{"valid", required_argument, NULL, 'v'},     {"owner", required_argument, NULL, 'o'},
		{"note", required_argument, NULL, 'n'},      {"list", no_argument, NULL, 'l'},
		{"revoke", required_argument, NULL, 'r'},    {"reason", required_argument, NULL, 'R'},
		{"json", no_argument, NULL, 'j'},            {"help", no_argument, NULL, 'h'},
		{"answers", required_argument, NULL, 'A'},   {NULL, 0, NULL, 0},
	};
	struct attach_args a = {0};
	int c;
	optind = 0;
	/* permuting: options may follow the control and the files */
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': a.effective = optarg; break;
		case 'x': a.expires = optarg; break;
		case 'v': a.valid = optarg; break;
		case 'o': a.owner = optarg; break;
		case 'n': a.note = optarg; break;
		case 'l': a.list = 1; break;
		case 'r': a.revoke = optarg; break;
		case 'R': a.reason = optarg; break;
		case 'A': a.answers = optarg; break;
		case 'j': a.json = 1; break;
		case 'h': return ax_cli_usage(ax_command_find("attach"), stdout, 0);
		default: return usage_error("attach", NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (a.list && a.revoke)
		return usage_error("attach", "--list and --revoke exclude each other");
	if (a.answers && (a.list || a.revoke))
		return usage_error("attach", "--answers goes with attaching files");
	if (a.list) {
		if (argc > 1)
			return usage_error("attach", "--list takes at most one control");
		return list_items(cli, argc ? argv[0] : NULL, a.json);
	}
	if (a.revoke) {
		if (argc)
			return usage_error("attach", "--revoke takes no other arguments");
		return do_revoke(cli, &a);
	}
	if (a.reason)
		return usage_error("attach", "--reason goes with --revoke");
	return do_attach(cli, &a, argc, argv);
}

int ax_cmd_approve(struct ax_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ax_buf user = AX_BUF_INIT;
	int json = 0, c, rc, err;
	optind = 0;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return ax_cli_usage(ax_command_find("approve"), stdout, 0);
		default: return usage_error("approve", NULL);
		}
	}
	if (optind + 1 != argc)
		return usage_error("approve", "one evidence id is needed (annexa attach --list shows them)");
	if ((rc = ax_cli_store(cli)) != 0)
		return rc;
	ax_manual_user(&user);
	err = ax_manual_approve(cli->store, argv[optind], user.ptr, ax_now());
	ax_buf_free(&user);
	if (err < 0)
		return ax_cli_fail(ax_cli_exit_for(err), NULL);
	return show_item(cli, argv[optind], "approved", json);
}
