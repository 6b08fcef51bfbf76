/* daemonlog.c - the daemon's start/stop log (daemonlog.h). */
#include "daemonlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "util.h"

/* A log far larger than years of restarts is not ours to parse whole. */
#define LOG_MAX (16u << 20)

char *ax_daemon_log_file(const struct ax_config *cfg)
{
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	return ax_asprintf("%s/daemon.jsonl", state && *state ? state : ".");
}

int ax_daemon_log_append(const struct ax_config *cfg, int start, int64_t at)
{
	char when[32], *file = ax_daemon_log_file(cfg);
	struct ax_buf line = AX_BUF_INIT;
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	/* a fresh site: the daemon starts before anything made its state folder */
	if (state && *state && mkdir(state, 0700) < 0 && errno != EEXIST) {
		int err = ax_error_set("daemon log: creating %s: %s", state, strerror(errno));
		free(file);
		return err;
	}
	ax_time_format(at, when);
	ax_buf_printf(&line, "{\"at\":\"%s\",\"event\":\"%s\",\"pid\":%ld}\n", when, start ? "start" : "stop",
		      (long)getpid());
	int err = ax_file_append(file, line.ptr, line.size, "daemon log");
	ax_buf_free(&line);
	free(file);
	return err;
}

int ax_daemon_log_load(const struct ax_config *cfg, int64_t since, int64_t until, struct ax_daemon_event **out,
		       size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!cfg)
		return 0; /* no configuration, no state folder */
	char *file = ax_daemon_log_file(cfg);
	struct ax_buf text = AX_BUF_INIT;
	int err = ax_file_read(file, LOG_MAX, &text);
	if (err == AX_ENOTFOUND) {
		err = 0;
		goto cleanup;
	}
	if (err < 0)
		goto cleanup;
	for (char *line = text.ptr, *nl; line && line < text.ptr + text.size; line = nl ? nl + 1 : NULL) {
		nl = memchr(line, '\n', (size_t)(text.ptr + text.size - line));
		if (!nl)
			break; /* torn last line */
		json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
		const char *ev = json_string_value(json_object_get(j, "event"));
		int64_t at;
		if (ev && (strcmp(ev, "start") == 0 || strcmp(ev, "stop") == 0) &&
		    ax_time_parse(json_string_value(json_object_get(j, "at")), &at) == 0 && (!since || at >= since) &&
		    (!until || at <= until)) {
			*out = ax_realloc(*out, (*n + 1) * sizeof(**out));
			(*out)[*n].at = at;
			(*out)[(*n)++].start = ev[2] == 'a';
		}
		json_decref(j);
	}
cleanup:
	ax_buf_free(&text);
	free(file);
	return err;
}
