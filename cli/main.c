/* main.c - the `annexa` command line: global options and the subcommand
 * table ax_commands[]. The subcommands are the other files of cli/; what
 * they drive lives in libannexa (the layers below). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annexa-build.h"
#include "annexa-version.h"
#include "cli.h"
#include "export.h"
#include "probe.h"
#include "util.h"

const struct ax_command ax_commands[] = {
	{"collect", ax_cmd_collect, "collect [--probe NAME]... [--json]",
	 "Runs every probe instance (or the named ones) now, commits the results as one run and prints a summary.\n"
	 "Exit 0 when every check passed, 1 when a check failed or erred.",
	 "  --probe NAME  run only this instance (repeatable)\n  --json        machine-readable summary\n"},
	{"daemon", ax_cmd_daemon, "daemon [--foreground]",
	 "Continuous collection: each probe instance on its interval. SIGTERM/SIGINT finish the current run and\n"
	 "exit; SIGHUP re-reads the configuration (an invalid one is refused and the old one kept).",
	 "  --foreground  stay attached to the terminal, log to stderr\n"},
	{"status", ax_cmd_status, "status [--json] [--control ID] [--failing]",
	 "Control status from the latest evidence. Exit 1 when a control fails or errs.",
	 "  --json        JSON (its fields: README, `status --json`)\n  --control ID  one control (A.5.1 ... A.8.34)\n"
	 "  --failing     only the failing, erroring and stale controls\n"},
	{"controls", ax_cmd_controls, "controls [--json]",
	 "The Annex A catalog with the mapping: which checks evidence which control.", "  --json        JSON\n"},
	{"soa", ax_cmd_soa, "soa [--json|--csv [--sep C]|--xlsx FILE]", "Statement of Applicability for all 93 controls.",
	 "  --json        JSON\n  --csv         CSV, UTF-8 with a BOM: control, title, applicable, justification,\n"
	 "                implementation status, evidenced by, owner, last evidence, annexa status\n"
	 "  --sep C       field separator of --csv (';' where the decimal separator is a comma)\n"
	 "  --xlsx FILE   a spreadsheet: header row, frozen panes, filters, status coloured\n"},
	{"check-config", ax_cmd_check_config, "check-config [--json]",
	 "Validates the configuration and the controls catalog, then exits (like sshd -t).", ""},
	{"ledger", ax_cmd_ledger, "ledger verify [--anchors [SRC]]... [--json] | ledger list [--json]",
	 "verify: recomputes every run's hash and the chain, checks that time never goes back and that every pruned\n"
	 "run is listed by a prune run, names the first broken run (exit 1) and counts the pruned runs whose content\n"
	 "nobody can verify. --anchors compares the store with anchors kept outside it (exit 1 when it is shorter or\n"
	 "rehashed). list: the runs with their chained hashes.",
	 "  --anchors [SRC] SRC: an anchors file, a bundle ZIP or an evidence locker repository;\n"
	 "                  default STATE-DIR/anchors.jsonl (every export and locker commit); repeatable\n"
	 "  --json          JSON\n"},
	{"export", ax_cmd_export, "export -o FILE [--since T] [--until T] [--locker REPO] [--tsa-request FILE | --tsa-reply FILE] [--tsa-ca CERT]",
	 "Writes a signed evidence bundle (ZIP) of a period: manifest.json with every file's SHA-256, its detached CMS\n"
	 "signature, signer.pem, report, SoA, OSCAL, results, ledger excerpt and artifacts. T is RFC 3339 or YYYY-MM-DD\n"
	 "(a date as --until means the end of that day). [signing] tsa-url adds an RFC 3161 time stamp.",
	 "  -o FILE              the bundle (with --tsa-reply: the existing bundle to stamp)\n"
	 "  --since T, --until T the period (runs started in it); default everything\n"
	 "  --tsa-request FILE   also write an RFC 3161 request for an offline TSA\n"
	 "  --tsa-reply FILE     add the TSA's reply to the bundle -o FILE\n"
	 "  --tsa-ca CERT        check the TSA reply against this CA (default [signing] tsa-ca)\n"},
	{"verify", ax_cmd_verify, "verify FILE [--ca CERT] [--tsa-ca CERT] [--json] | verify --list FILE",
	 "Verifies a bundle without trusting annexa's store: the ZIP read one way only (no byte outside its structure),\n"
	 "the signature (against the bundled signer.pem, or --ca; an expired signer at the time of its RFC 3161 stamp),\n"
	 "every file's SHA-256, no file missing or extra, the ledger chain and each run's content hash, the time stamp.\n"
	 "Options may follow FILE. Exit 0 valid, 1 invalid (the first problem is named), 2 usage, 3 unreadable.",
	 "  --ca CERT     trust anchor(s), PEM: a real trust decision instead of the bundled certificate\n"
	 "  --tsa-ca CERT CA of the time-stamping authority\n"
	 "  --json        machine-readable result (valid, problems, signer, ledger head, time stamp, counts)\n"
	 "  --list        only the ZIP's entries as verify reads them (structure checked, contents not)\n"},
	{"keygen", ax_cmd_keygen, "keygen [--key FILE] [--cert FILE]",
	 "Creates an ECDSA P-256 signing key (mode 0600, never overwritten) and a self-signed certificate naming the\n"
	 "organization, valid 3 years. Defaults: [signing] key and certificate, else STATE-DIR/signing.key|crt.",
	 "  --key FILE    where the key goes\n  --cert FILE   where the certificate goes\n"},
	{"report", ax_cmd_report, "report -o FILE [--since T] [--until T]",
	 "Writes the HTML control status report (self-contained) for a period.",
	 "  -o FILE              the HTML file\n  --since T, --until T the period; default everything\n"},
	{"period", ax_cmd_period, "period [--control ID] [--instance NAME] [--since T] [--until T] [--locker REPO] [--json]",
	 "The run calendar of a period: per probe instance the runs expected from its interval, the runs observed\n"
	 "and the gaps (from, to, runs missed, why: daemon stopped, back-off after a failed run); per control the\n"
	 "days with evidence out of the days of the period (one letter a day: p pass, s stale, e error, f fail,\n"
	 "- none), the share of the period it passed, its state changes. Default period: the 30 days before --until.",
	 "  --control ID     one control (and the instances that evidence it)\n"
	 "  --instance NAME  one probe instance (and the controls it evidences)\n"
	 "  --since T, --until T the period (RFC 3339 or YYYY-MM-DD; default the last 30 days)\n"
	 "  --locker REPO    the runs of every collector of an evidence locker (as export --locker)\n"
	 "  --json           the calendar as JSON (the shape of a bundle's period.json)\n"},
	{"attach", ax_cmd_attach,
	 "attach CONTROL[,CONTROL...] FILE... [--answers NEED[,NEED...]] [--effective DATE] [--expires DATE|--valid 365d]\n"
	 "       [--owner NAME] [--note TEXT] [--json]\n"
	 "       annexa attach --list [CONTROL] [--json]\n"
	 "       annexa attach --revoke ID --reason TEXT",
	 "Manual evidence for controls no probe can see. Stores the files as artifacts with who attached them, the\n"
	 "effective date and the expiry (default: one year after the effective date), as one ledger run. With\n"
	 "[annexa] manual-approval = true the evidence is pending until another user runs `annexa approve ID`.\n"
	 "Revoked evidence stays in the store and the ledger, marked. Exit 2 for a refused input (nothing stored).",
	 "  --answers NEEDS   the coverage needs the files answer: A.8.15:policy, or policy with one control\n"
	 "                    (without it the item answers no need; status --control lists them)\n"
	 "  --effective DATE  valid from (YYYY-MM-DD or RFC 3339; default now)\n"
	 "  --expires DATE    valid until (exclusive)\n  --valid DURATION  validity from the effective date (365d)\n"
	 "  --owner NAME      who keeps it current\n  --note TEXT       free text\n"
	 "  --list [CONTROL]  the manual evidence (of one control)\n"
	 "  --revoke ID       withdraw evidence; needs --reason TEXT\n  --json            JSON\n"},
	{"approve", ax_cmd_approve, "approve ID [--json]",
	 "Approves pending manual evidence. Refused (exit 2) for the user who attached it: segregation of duties.",
	 "  --json        JSON\n"},
	{"sample", ax_cmd_sample, "sample INSTANCE/POPULATION --seed SEED [--n N] [--json] [--bundle FILE | -o FILE]",
	 "Draws the sample of a population an auditor tests: the items ordered by SHA-256(SEED \":\" ITEM), lowercase\n"
	 "hex, ascending; the first N. Anyone recomputes it from the bundle (its README.txt shows how). The default N\n"
	 "follows how often the control event recurs (annual 1 ... several a day 60), shown with its source. The list\n"
	 "must match its provenance (row count, SHA-256): exit 1 when it does not or when there is no such population.",
	 "  --seed SEED    the auditor's choice (any text)\n  --n N          how many items (default: by frequency)\n"
	 "  --bundle FILE  read the population from a bundle instead of the store\n  --json         JSON\n"
	 "  -o FILE        the sample as a signed bundle: sample.json, the runs from the first to the last selected item, the seed in its OSCAL plan\n"},
	{NULL, NULL, NULL, NULL, NULL},
};

/* Commands for the build and the shell, not for users: not in --help. */
static const struct ax_command hidden_commands[] = {
	{"_doc", ax_cmd_doc, "_doc commands|conf|probes [CONTROLS-DIR]", "man page parts (cmd_doc.c)", ""},
	{"_complete", ax_cmd_complete, "_complete CWORD WORD...", "bash completion (cmd_complete.c)", ""},
	{NULL, NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_printf(&b, "usage: annexa [-c FILE] COMMAND [ARGS]\n\n"
			  "annexa %s - ISO/IEC 27001:2022 Annex A control-evidence collector\n\ncommands:\n",
		      ANNEXA_VERSION);
	for (size_t i = 0; ax_commands[i].name; i++)
		ax_buf_printf(&b, "  %s\n", ax_commands[i].synopsis);
	ax_buf_puts(&b, "\nprobe types:\n");
	for (size_t i = 0; ax_probes[i]; i++)
		ax_buf_printf(&b, "  %-16s %s\n", ax_probes[i]->name, ax_probes[i]->summary);
	ax_buf_puts(&b, "\n`annexa COMMAND --help` describes a command.\n"
			"Exit codes: 0 ok, 1 failing checks/controls or invalid bundle, 2 usage/config error,\n"
			"3 runtime error.\n");
	/* every line within 80 columns, continued under its description */
	ax_wrap_help(out, ax_buf_cstr(&b));
	ax_buf_free(&b);
}

int main(int argc, char **argv)
{
	struct ax_cli cli = {.prog = "annexa"};
	int i = 1, rc;
	/* Global options before the command; -c may also follow it. */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cli.config_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			cli.config_path = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			/* the git describe of a checkout build, when it says more */
			int git = *ANNEXA_GIT_DESCRIBE && strcmp(ANNEXA_GIT_DESCRIBE, ANNEXA_VERSION) != 0 &&
				  strcmp(ANNEXA_GIT_DESCRIBE, "v" ANNEXA_VERSION) != 0;
			printf("annexa %s%s%s%s%s\n", ANNEXA_VERSION, git ? " (git " : "", git ? ANNEXA_GIT_DESCRIBE : "",
			       git ? ")" : "", ANNEXA_TEST_CLOCK ? " (test clock: ANNEXA_NOW sets the time; not for production)" : "");
			return 0;
		} else {
			fprintf(stderr, "annexa: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return AX_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return AX_EXIT_USAGE;
	}
	const struct ax_command *cmd = ax_command_find(argv[i]);
	int hidden = 0;
	for (size_t h = 0; !cmd && hidden_commands[h].name; h++)
		if (strcmp(hidden_commands[h].name, argv[i]) == 0)
			cmd = &hidden_commands[h], hidden = 1;
	if (!cmd) {
		fprintf(stderr, "annexa: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return AX_EXIT_USAGE;
	}
	/* Pull "-c FILE" out of the command's own arguments. */
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int n = 0;
	if (!args)
		return AX_EXIT_RUNTIME;
	/* (not for the hidden commands: _complete reads a command line's -c) */
	for (int j = i; j < argc; j++) {
		if (!hidden && j > i && strcmp(argv[j], "-c") == 0 && j + 1 < argc) {
			cli.config_path = argv[++j];
			continue;
		}
		args[n++] = argv[j];
	}
	rc = cmd->run(&cli, n, args);
	ax_cli_free(&cli);
	free(args);
	return rc;
}
