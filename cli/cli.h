/* cli.h - what every subcommand shares: exit codes, lazily loaded config,
 * store and catalog, and error printing.
 *
 * Exit codes (DESIGN.md): 0 success; 1 the command worked and found failing
 * checks or controls (or an invalid bundle); 2 usage or configuration
 * error; 3 runtime error (store, I/O). */
#ifndef AX_CLI_H
#define AX_CLI_H

#include <stdio.h>

#include "evidence.h"
#include "manual.h"

enum {
	AX_EXIT_OK = 0,
	AX_EXIT_FINDINGS = 1,
	AX_EXIT_USAGE = 2,
	AX_EXIT_RUNTIME = 3,
};

struct ax_config;
struct ax_store;
struct ax_catalog;
struct ax_status;

struct ax_cli {
	const char *prog;
	const char *config_path; /* -c FILE, or NULL for the default */
	struct ax_config *cfg;
	struct ax_store *store;
	struct ax_catalog *cat;
	struct ax_evidence latest;
	struct ax_manual_list manual; /* manual evidence the status points into */
};

/* Each returns 0 or the exit code to return (message already printed). */
int ax_cli_config(struct ax_cli *cli);
int ax_cli_store(struct ax_cli *cli);
int ax_cli_catalog(struct ax_cli *cli);
/* Current status from the latest results (loads config, store, catalog). */
int ax_cli_status(struct ax_cli *cli, struct ax_status **out);
void ax_cli_free(struct ax_cli *cli);

/* "annexa: MESSAGE\n" on stderr from ax_error_last(); returns code. */
int ax_cli_fail(int code, const char *what);
/* Maps a library error code to an exit code: AX_EINVALID -> 2, else 3. */
int ax_cli_exit_for(int err);

/* --since/--until: RFC 3339 or YYYY-MM-DD; a bare date as the end of a
 * period (end_of_day) means the end of that day. -1 when unparsable. */
int ax_cli_parse_time(const char *s, int end_of_day, int64_t *out);
/* Prints the usage text of a command; used for --help and usage errors. */
struct ax_command {
	const char *name;
	int (*run)(struct ax_cli *cli, int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *help; /* option descriptions */
};
int ax_cli_usage(const struct ax_command *cmd, FILE *out, int code);
/* Parses "-h/--help" only; returns -1 when help was printed. */

/* The subcommands (one file each). */
int ax_cmd_collect(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_daemon(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_status(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_controls(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_soa(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_check_config(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_ledger(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_attach(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_approve(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_sample(struct ax_cli *cli, int argc, char **argv);
/* cmd_export.c, for `sample -o`: a signed bundle of the runs started in
 * [since, until] with sample.json and the seed in its assessment plan. */
struct ax_buf;
int ax_cli_export_sample(struct ax_cli *cli, int64_t since, int64_t until, const char *out, const char *seed,
			 const struct ax_buf *sample_json);
/* cmd_export.c */
int ax_cmd_export(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_verify(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_keygen(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_report(struct ax_cli *cli, int argc, char **argv);
/* hidden: man page parts for the build, the bash completion's engine */
int ax_cmd_doc(struct ax_cli *cli, int argc, char **argv);
int ax_cmd_complete(struct ax_cli *cli, int argc, char **argv);
/* cmd_period.c */
int ax_cmd_period(struct ax_cli *cli, int argc, char **argv);

extern const struct ax_command ax_commands[];
const struct ax_command *ax_command_find(const char *name);

#endif
