/* cli.c - shared plumbing of the subcommands (see cli.h). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "controls.h"
#include "store.h"
#include "util.h"

int ax_cli_fail(int code, const char *what)
{
	if (what)
		fprintf(stderr, "annexa: %s: %s\n", what, ax_error_last());
	else
		fprintf(stderr, "annexa: %s\n", ax_error_last());
	return code;
}

int ax_cli_exit_for(int err)
{
	return err == AX_EINVALID || err == AX_ENOTFOUND ? AX_EXIT_USAGE : AX_EXIT_RUNTIME;
}

int ax_cli_config(struct ax_cli *cli)
{
	if (cli->cfg)
		return 0;
	const char *path = cli->config_path ? cli->config_path : ax_config_default_path();
	int err = ax_config_load(&cli->cfg, path);
	if (err < 0)
		return ax_cli_fail(AX_EXIT_USAGE, NULL);
	return 0;
}

int ax_cli_store(struct ax_cli *cli)
{
	int rc;
	if (cli->store)
		return 0;
	if ((rc = ax_cli_config(cli)) != 0)
		return rc;
	if (ax_store_open(&cli->store, ax_config_get(cli->cfg, "annexa", "store")) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, NULL);
	return 0;
}

int ax_cli_catalog(struct ax_cli *cli)
{
	int rc;
	if (cli->cat)
		return 0;
	if ((rc = ax_cli_config(cli)) != 0)
		return rc;
	if (ax_catalog_load(&cli->cat, ax_catalog_default_dir(cli->cfg)) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, "controls catalog");
	return 0;
}

int ax_cli_status(struct ax_cli *cli, struct ax_status **out)
{
	int rc;
	if ((rc = ax_cli_catalog(cli)) != 0 || (rc = ax_cli_store(cli)) != 0)
		return rc;
	ax_evidence_free(&cli->latest);
	if (ax_store_latest(cli->store, &cli->latest) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, NULL);
	int64_t now = ax_now();
	if (ax_status_compute(cli->cat, cli->cfg, &cli->latest, now, out) < 0)
		return ax_cli_fail(AX_EXIT_RUNTIME, NULL);
	/* manual evidence (manual.h) combines into the same status */
	ax_manual_list_free(&cli->manual);
	if (ax_manual_load(cli->store, NULL, &cli->manual) < 0) {
		ax_status_free(*out);
		*out = NULL;
		return ax_cli_fail(AX_EXIT_RUNTIME, NULL);
	}
	ax_status_apply_manual(*out, cli->manual.items, cli->manual.n, now,
			       ax_config_get_int(cli->cfg, "annexa", "expiry-warning"));
	return 0;
}

void ax_cli_free(struct ax_cli *cli)
{
	ax_evidence_free(&cli->latest);
	ax_manual_list_free(&cli->manual);
	ax_catalog_free(cli->cat);
	ax_store_free(cli->store);
	ax_config_free(cli->cfg);
	cli->cat = NULL;
	cli->store = NULL;
	cli->cfg = NULL;
}

int ax_cli_usage(const struct ax_command *cmd, FILE *out, int code)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_printf(&b, "usage: annexa [-c FILE] %s\n\n%s\n", cmd->synopsis, cmd->summary);
	if (cmd->help && *cmd->help)
		ax_buf_printf(&b, "\n%s", cmd->help);
	ax_buf_puts(&b, "\n  -c FILE      configuration (default ./annexa.conf, then\n"
			"               /etc/annexa/annexa.conf)\n"
			"  -h, --help   this help\n");
	ax_wrap_help(out, ax_buf_cstr(&b));
	ax_buf_free(&b);
	return code;
}

const struct ax_command *ax_command_find(const char *name)
{
	for (size_t i = 0; ax_commands[i].name; i++)
		if (strcmp(ax_commands[i].name, name) == 0)
			return &ax_commands[i];
	return NULL;
}

int ax_cli_parse_time(const char *s, int end_of_day, int64_t *out)
{
	if (ax_time_parse(s, out) < 0)
		return -1;
	if (end_of_day && strlen(s) == 10)
		*out += 86399;
	return 0;
}
