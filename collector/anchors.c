/* anchors.c - recording ledger anchors and checking a store against them
 * (anchors.h).
 *
 * Guarantees: an append is one write(2) of a whole line to a file opened
 * O_APPEND, then fsync, so concurrent appenders never interleave and a
 * crash leaves at most a torn last line (skipped when read). Bundles are
 * read as anchors by exports/anchors_load.c, after `verify` accepted them. */
#include "anchors.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "config.h"
#include "util.h"

#define ANCHORS_MAX (1LL << 30)     /* an anchors file read whole */

char *ax_anchors_file(const struct ax_config *cfg)
{
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	return ax_asprintf("%s/anchors.jsonl", state && *state ? state : ".");
}

static int hex64(const char *s)
{
	size_t n = 0;
	for (; s && s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

int ax_anchor_append(const char *file, const struct ax_anchor *a)
{
	char when[32], tsa[32];
	char *copy = ax_strdup(file);
	int err = 0;
	ax_time_format(a->time, when);
	json_t *j = json_pack("{s:s,s:I,s:s,s:s}", "kind", a->kind, "run", (json_int_t)a->run, "hash", a->hash,
			      "time", when);
	if (j && a->source)
		json_object_set_new(j, strcmp(a->kind, "bundle") == 0 ? "bundle" : "commit", json_string(a->source));
	if (j && a->tsa_time) {
		ax_time_format(a->tsa_time, tsa);
		json_object_set_new(j, "tsa_time", json_string(tsa));
	}
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text) {
		err = ax_error_set("anchors %s: the anchor cannot be encoded (a path that is not UTF-8?)", file);
		goto cleanup;
	}
	struct ax_buf line = AX_BUF_INIT;
	ax_buf_printf(&line, "%s\n", text);
	if (mkdir(dirname(copy), 0700) < 0 && errno != EEXIST)
		err = ax_error_set("anchors %s: creating its folder: %s", file, strerror(errno));
	else
		err = ax_file_append(file, line.ptr, line.size, "anchors");
	ax_buf_free(&line);
cleanup:
	free(text);
	free(copy);
	json_decref(j);
	return err;
}

static struct ax_anchor *push(struct ax_anchors *out)
{
	if (out->n == out->alloc) {
		out->alloc = out->alloc ? 2 * out->alloc : 16;
		out->a = ax_realloc(out->a, out->alloc * sizeof(*out->a));
	}
	struct ax_anchor *a = &out->a[out->n++];
	memset(a, 0, sizeof(*a));
	return a;
}

static int64_t jtime(json_t *v)
{
	int64_t t = 0;
	if (json_is_string(v) && ax_time_parse(json_string_value(v), &t) == 0)
		return t;
	return 0;
}

/* Fills a from {"kind", "run", "hash", ...}; 0 when it is an anchor. */
static int parse_anchor(json_t *j, struct ax_anchor *a)
{
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *hash = json_string_value(json_object_get(j, "hash"));
	json_t *run = json_object_get(j, "run");
	if (!kind || (strcmp(kind, "bundle") != 0 && strcmp(kind, "locker") != 0) || !json_is_integer(run) ||
	    json_integer_value(run) < 1 || !hex64(hash))
		return -1;
	snprintf(a->kind, sizeof(a->kind), "%s", kind);
	a->run = json_integer_value(run);
	memcpy(a->hash, hash, 65);
	a->time = jtime(json_object_get(j, "time"));
	a->tsa_time = jtime(json_object_get(j, "tsa_time"));
	const char *src = json_string_value(json_object_get(j, strcmp(kind, "bundle") == 0 ? "bundle" : "commit"));
	a->source = src ? ax_strdup(src) : NULL;
	return 0;
}

int ax_anchors_add_json(struct ax_anchors *out, json_t *j)
{
	struct ax_anchor *a = push(out);
	if (!j || parse_anchor(j, a) < 0) {
		out->n--;
		return -1;
	}
	return 0;
}

int ax_anchors_parse(const char *text, size_t len, const char *name, struct ax_anchors *out)
{
	size_t lineno = 0;
	int err = 0;
	for (size_t off = 0; err == 0 && off < len; lineno++) {
		const char *nl = memchr(text + off, '\n', len - off);
		if (!nl)
			break; /* a torn last line: an append that did not finish */
		size_t n = (size_t)(nl - (text + off));
		json_t *j = json_loadb(text + off, n, JSON_REJECT_DUPLICATES, NULL);
		if (ax_anchors_add_json(out, j) < 0)
			err = ax_error_code(AX_EINVALID, "anchors %s line %zu: not an anchor", name, lineno + 1);
		json_decref(j);
		off += n + 1;
	}
	return err;
}

int ax_anchors_load_file(const char *path, struct ax_anchors *out)
{
	struct ax_buf text = AX_BUF_INIT;
	int err = ax_file_read(path, ANCHORS_MAX, &text);
	if (err == 0)
		err = ax_anchors_parse(text.ptr ? text.ptr : "", text.size, path, out);
	ax_buf_free(&text);
	return err;
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return ax_error_set("locker %s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

int ax_anchors_load_locker(const char *path, const char *branch, struct ax_anchors *out)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	char *ref = ax_asprintf("refs/heads/%s", branch ? branch : "");
	git_oid oid;
	int err = 0;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		err = ax_error_code(AX_EINVALID, "%s: neither a bundle, an anchors file nor a git repository", path);
		goto cleanup;
	}
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push_ref(walk, ref) < 0) {
		err = ax_error_code(AX_EINVALID, "locker %s: no branch %s", path, branch ? branch : "");
		goto cleanup;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		git_tree_entry *te = NULL;
		git_blob *b = NULL;
		json_t *j = NULL;
		char id[GIT_OID_HEXSZ + 1];
		if (git_commit_lookup(&c, repo, &oid) < 0 || git_commit_tree(&t, c) < 0 ||
		    git_tree_entry_bypath(&te, t, "run.json") < 0 || git_blob_lookup(&b, repo, git_tree_entry_id(te)) < 0)
			err = git_fail(path);
		else
			j = json_loadb(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), 0, NULL);
		git_oid_tostr(id, sizeof(id), &oid);
		if (err == 0) {
			json_t *h = json_pack("{s:s,s:O,s:O}", "kind", "locker", "run", json_object_get(j, "run"),
					      "hash", json_object_get(j, "hash"));
			struct ax_anchor *a = push(out);
			if (!h || parse_anchor(h, a) < 0) {
				out->n--;
				err = ax_error_code(AX_EINVALID, "locker %s: commit %s has no valid run.json", path, id);
			} else {
				a->time = (int64_t)git_commit_time(c);
				a->source = ax_strdup(id);
			}
			json_decref(h);
		}
		json_decref(j);
		git_blob_free(b);
		git_tree_entry_free(te);
		git_tree_free(t);
		git_commit_free(c);
		if (err < 0)
			break;
	}
cleanup:
	git_revwalk_free(walk);
	git_repository_free(repo);
	free(ref);
	return err;
}

void ax_anchors_free(struct ax_anchors *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->a[i].source);
	free(a->a);
	memset(a, 0, sizeof(*a));
}

void ax_anchor_describe(const struct ax_anchor *a, struct ax_buf *out)
{
	char when[32];
	ax_time_format(a->time, when);
	ax_buf_printf(out, "%s %s (%s", strcmp(a->kind, "bundle") == 0 ? "bundle" : "locker commit",
		      a->source ? a->source : "?", when);
	if (a->tsa_time) {
		ax_time_format(a->tsa_time, when);
		ax_buf_printf(out, ", time-stamped %s", when);
	}
	ax_buf_putc(out, ')');
}

int ax_anchors_check(struct ax_store *s, const struct ax_anchors *a, size_t *newest)
{
	struct ax_run_info head = {0}, run;
	struct ax_buf name = AX_BUF_INIT;
	size_t best = a->n;
	int err = ax_store_head(s, &head);
	if (err < 0 && err != AX_ENOTFOUND)
		goto cleanup;
	err = 0;
	for (size_t i = 0; i < a->n && err == 0; i++) {
		const struct ax_anchor *x = &a->a[i];
		ax_buf_clear(&name);
		ax_anchor_describe(x, &name);
		if (x->run > head.id) {
			err = ax_error_code(AX_EINVALID,
					    "the store ends at run %lld, but %s anchors run %lld: runs were cut off the end",
					    (long long)head.id, ax_buf_cstr(&name), (long long)x->run);
		} else if ((err = ax_store_run_info(s, x->run, &run)) < 0) {
			if (err == AX_ENOTFOUND)
				err = ax_error_code(AX_EINVALID, "the store has no run %lld, which %s anchors",
						    (long long)x->run, ax_buf_cstr(&name));
		} else if (strcmp(run.hash, x->hash) != 0) {
			err = ax_error_code(AX_EINVALID,
					    "run %lld has hash %.16s..., but %s anchors it at %.16s...: the ledger was "
					    "rewritten",
					    (long long)x->run, run.hash, ax_buf_cstr(&name), x->hash);
		}
		if (best == a->n || x->run > a->a[best].run)
			best = i;
	}
cleanup:
	if (newest)
		*newest = best;
	ax_buf_free(&name);
	return err;
}
