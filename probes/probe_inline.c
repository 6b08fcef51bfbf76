/* probe_inline.c - ax_probe_run_inline (probe_inline.h): the probe runs
 * here, with an in-memory sink, and the population files it wrote are
 * picked up as artifacts the way the collector stores them (collect.c),
 * so a unit test sees what a confined run would commit. */
#include "probe_inline.h"

#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "population.h"
#include "util.h"

struct inline_sink {
	struct ax_evidence *ev;
	const struct ax_probe_instance *inst;
};

static int inline_result(void *arg, const struct ax_result *r)
{
	struct inline_sink *s = arg;
	ax_evidence_add_result(s->ev, s->inst->name, s->inst->type->name, r->check, r->status, r->message,
			       r->observed, r->collected_at);
	return 0;
}

static int inline_artifact(void *arg, const struct ax_artifact *a)
{
	struct inline_sink *s = arg;
	ax_evidence_add_artifact(s->ev, s->inst->name, a->name, a->media_type, a->data.ptr, a->data.size);
	return 0;
}

int ax_probe_run_inline(const struct ax_probe_instance *inst, const unsigned char *key, size_t keylen,
			const char *state_dir, int64_t now, struct ax_evidence *ev)
{
	struct inline_sink s = {ev, inst};
	struct ax_probe_sink sink = {inline_result, inline_artifact, &s};
	struct ax_probe_ctx *ctx = ax_probe_ctx_new(inst, key, keylen, state_dir, now, &sink);
	size_t first = ev->nartifacts;
	int rc = inst->type->run(ctx);
	if (rc >= 0)
		rc = ax_probe_ctx_error(ctx);
	ax_probe_ctx_free(ctx);
	/* the population files the collector would have stored (collect.c) */
	for (size_t i = first, n = ev->nartifacts; state_dir && i < n; i++) {
		char *name = ax_population_name_of(ev->artifacts[i].name);
		struct ax_buf data = AX_BUF_INIT;
		int fd = -1;
		char *path = name ? ax_asprintf("%s/" AX_POP_DIR "/%s.csv", state_dir, name) : NULL;
		if (name && ax_population_file_open(state_dir, ev->artifacts[i].name, &fd) == 0 &&
		    ax_file_read(path, (size_t)256 << 20, &data) == 0) {
			char *csv = ax_asprintf(AX_POP_PREFIX "%s.csv", name);
			ax_evidence_add_artifact(ev, inst->name, csv, "text/csv", data.ptr, data.size);
			unlink(path);
			free(csv);
		}
		free(path);
		if (fd >= 0)
			close(fd);
		ax_buf_free(&data);
		free(name);
	}
	return rc;
}
