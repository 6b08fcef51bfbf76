/* evidence.c - owning containers for check results and artifacts. */
#include "evidence.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Indexed by enum ax_check_status. */
static const char *const status_names[] = {"pass", "fail", "error", "skip", "info"};

const char *ax_check_status_name(enum ax_check_status s)
{
	if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[s];
	return "error";
}

int ax_check_status_is_evidence(enum ax_check_status s)
{
	return s == AX_CHECK_PASS || s == AX_CHECK_FAIL || s == AX_CHECK_ERROR;
}

int ax_check_status_parse(const char *s, enum ax_check_status *out)
{
	for (size_t i = 0; s && i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum ax_check_status)i;
			return 0;
		}
	}
	return ax_error_code(AX_EINVALID, "invalid check status '%s'", s ? s : "(null)");
}

void ax_evidence_add_result(struct ax_evidence *ev, const char *instance, const char *probe_type,
			    const char *check, enum ax_check_status status, const char *message,
			    const char *observed, int64_t collected_at)
{
	if (ev->nresults == ev->aresults) {
		ev->aresults = ev->aresults ? ev->aresults * 2 : 16;
		ev->results = ax_realloc(ev->results, ev->aresults * sizeof(*ev->results));
	}
	struct ax_result *r = &ev->results[ev->nresults++];
	r->instance = ax_strdup(instance ? instance : "");
	r->probe_type = ax_strdup(probe_type ? probe_type : "");
	r->check = ax_strdup(check);
	r->status = status;
	r->message = ax_strdup(message ? message : "");
	r->observed = ax_strdup(observed && *observed ? observed : "{}");
	r->collected_at = collected_at;
}

void ax_evidence_add_artifact(struct ax_evidence *ev, const char *instance, const char *name,
			      const char *media_type, const void *data, size_t len)
{
	if (ev->nartifacts == ev->aartifacts) {
		ev->aartifacts = ev->aartifacts ? ev->aartifacts * 2 : 8;
		ev->artifacts = ax_realloc(ev->artifacts, ev->aartifacts * sizeof(*ev->artifacts));
	}
	struct ax_artifact *a = &ev->artifacts[ev->nartifacts++];
	memset(a, 0, sizeof(*a));
	a->instance = ax_strdup(instance ? instance : "");
	a->name = ax_strdup(name);
	a->media_type = ax_strdup(media_type ? media_type : "application/octet-stream");
	ax_buf_put(&a->data, data, len);
	ax_sha256_hex(data, len, a->sha256);
}

void ax_evidence_move(struct ax_evidence *dst, struct ax_evidence *src)
{
	for (size_t i = 0; i < src->nresults; i++) {
		if (dst->nresults == dst->aresults) {
			dst->aresults = dst->aresults ? dst->aresults * 2 : 16;
			dst->results = ax_realloc(dst->results, dst->aresults * sizeof(*dst->results));
		}
		dst->results[dst->nresults++] = src->results[i];
	}
	for (size_t i = 0; i < src->nartifacts; i++) {
		if (dst->nartifacts == dst->aartifacts) {
			dst->aartifacts = dst->aartifacts ? dst->aartifacts * 2 : 8;
			dst->artifacts = ax_realloc(dst->artifacts, dst->aartifacts * sizeof(*dst->artifacts));
		}
		dst->artifacts[dst->nartifacts++] = src->artifacts[i];
	}
	src->nresults = src->nartifacts = 0;
}

void ax_evidence_clear(struct ax_evidence *ev)
{
	for (size_t i = 0; i < ev->nresults; i++) {
		struct ax_result *r = &ev->results[i];
		free(r->instance);
		free(r->probe_type);
		free(r->check);
		free(r->message);
		free(r->observed);
	}
	for (size_t i = 0; i < ev->nartifacts; i++) {
		struct ax_artifact *a = &ev->artifacts[i];
		free(a->instance);
		free(a->name);
		free(a->media_type);
		ax_buf_free(&a->data);
	}
	ev->nresults = ev->nartifacts = 0;
}

void ax_evidence_free(struct ax_evidence *ev)
{
	if (!ev)
		return;
	ax_evidence_clear(ev);
	free(ev->results);
	free(ev->artifacts);
	ev->results = NULL;
	ev->artifacts = NULL;
	ev->aresults = ev->aartifacts = 0;
}

size_t ax_check_id_wildcard(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	return n >= 2 && id[n - 2] == '.' && id[n - 1] == '*' ? n - 1 : 0;
}

int ax_check_pattern_matches(const char *pattern, const char *check)
{
	if (!pattern || !check)
		return 0;
	size_t k = ax_check_id_wildcard(pattern);
	/* "tls.*" keeps its dot, so it matches "tls.x" but not "tlsx" or "tls". */
	if (k)
		return strncmp(check, pattern, k) == 0 && check[k] != '\0';
	return strcmp(pattern, check) == 0;
}
