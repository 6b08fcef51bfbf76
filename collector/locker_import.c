/* locker_import.c - reads the collectors' branches of an evidence locker
 * back into a store, so one export can cover many sites.
 *
 * Every commit of every `collectors/NAME` branch becomes one run of the
 * target store, in the order the collectors finished them (run.json's
 * finished_at), even when nothing changed: every collection is a control
 * execution the central run calendar counts. The instances run.json names
 * are replayed whether their folder changed or not (unchanged results cost
 * the store a row of four integers each); a commit of an older annexa,
 * whose run.json names none, replays the folders it changed, and when it
 * changed none still becomes a run (carrying only locker-run.json).
 * Instances are renamed NAME--INSTANCE so two sites' "mx-tls" stay apart.
 * The target store's ledger is new; each collector's own ledger hash of
 * the run is kept as the artifact "locker-run.json". */
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "locker.h"
#include "util.h"

struct replay {
	char *collector;
	git_oid commit;
	int64_t started, finished;
};

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return ax_error_set("locker: %s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

static int blob_text(git_repository *repo, const git_tree *tree, const char *path, struct ax_buf *out)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int err = 0;
	if (git_tree_entry_bypath(&te, tree, path) < 0) {
		err = ax_error_code(AX_ENOTFOUND, "locker: no %s", path);
		goto cleanup;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
		err = git_fail(path);
		goto cleanup;
	}
	ax_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(te);
	return err;
}

static int read_run_times(git_repository *repo, const git_tree *tree, int64_t *started, int64_t *finished)
{
	struct ax_buf b = AX_BUF_INIT;
	json_t *j = NULL;
	int err = blob_text(repo, tree, "run.json", &b);
	if (err < 0)
		goto cleanup;
	j = json_loads(ax_buf_cstr(&b), 0, NULL);
	if (!j || ax_time_parse(json_string_value(json_object_get(j, "started_at")), started) < 0 ||
	    ax_time_parse(json_string_value(json_object_get(j, "finished_at")), finished) < 0)
		err = ax_error_code(AX_EINVALID, "locker: run.json is not what annexa writes");
cleanup:
	json_decref(j);
	ax_buf_free(&b);
	return err;
}

struct collect_ctx {
	git_repository *repo;
	struct replay *items;
	size_t n, a;
	int err;
};

static int add_branch(struct collect_ctx *cx, const char *refname)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int err = 0;
	const char *name = refname + strlen("refs/heads/collectors/");
	if (git_revwalk_new(&walk, cx->repo) < 0 || git_revwalk_push_ref(walk, refname) < 0)
		return git_fail(refname);
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		struct replay r = {0};
		if (git_commit_lookup(&c, cx->repo, &oid) < 0 || git_commit_tree(&t, c) < 0) {
			err = git_fail(name);
		} else if ((err = read_run_times(cx->repo, t, &r.started, &r.finished)) == 0) {
			r.collector = ax_strdup(name);
			r.commit = oid;
			if (cx->n == cx->a) {
				cx->a = cx->a ? cx->a * 2 : 64;
				cx->items = ax_realloc(cx->items, cx->a * sizeof(*cx->items));
			}
			cx->items[cx->n++] = r;
		}
		git_tree_free(t);
		git_commit_free(c);
		if (err < 0)
			break;
	}
	git_revwalk_free(walk);
	return err;
}

/* In the order the runs finished (then started): the target ledger's time
 * must not go back (ax_store_commit_run). */
static int cmp_replay(const void *a, const void *b)
{
	const struct replay *x = a, *y = b;
	if (x->finished != y->finished)
		return x->finished < y->finished ? -1 : 1;
	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return strcmp(x->collector, y->collector);
}

/* One instance folder of a commit into ev. */
static int add_instance(git_repository *repo, const char *collector, const char *inst, const git_tree *dir,
			int64_t when, struct ax_evidence *ev)
{
	struct ax_buf text = AX_BUF_INIT;
	json_t *arr = NULL, *r;
	size_t i;
	char *name = ax_asprintf("%s--%s", collector, inst);
	int err = blob_text(repo, dir, "results.json", &text);
	if (err < 0)
		goto cleanup;
	arr = json_loads(ax_buf_cstr(&text), 0, NULL);
	if (!json_is_array(arr)) {
		err = ax_error_code(AX_EINVALID, "locker: %s/%s/results.json is not a JSON array", collector, inst);
		goto cleanup;
	}
	json_array_foreach(arr, i, r) {
		enum ax_check_status st;
		const char *check = json_string_value(json_object_get(r, "check"));
		if (!check || ax_check_status_parse(json_string_value(json_object_get(r, "status")), &st) < 0) {
			err = ax_error_code(AX_EINVALID, "locker: %s/%s/results.json: entry %zu is malformed",
					    collector, inst, i);
			goto cleanup;
		}
		char *obs = json_dumps(json_object_get(r, "observed"), JSON_COMPACT | JSON_SORT_KEYS);
		ax_evidence_add_result(ev, name, json_string_value(json_object_get(r, "probe_type")), check, st,
				       json_string_value(json_object_get(r, "message")), obs, when);
		free(obs);
	}
	for (size_t k = 0; k < git_tree_entrycount(dir); k++) {
		const git_tree_entry *te = git_tree_entry_byindex(dir, k);
		const char *fname = git_tree_entry_name(te);
		git_blob *blob = NULL;
		if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || strcmp(fname, "results.json") == 0)
			continue;
		if (git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
			err = git_fail(fname);
			goto cleanup;
		}
		ax_evidence_add_artifact(ev, name, fname, "application/octet-stream", git_blob_rawcontent(blob),
					 (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
	}
cleanup:
	json_decref(arr);
	ax_buf_free(&text);
	free(name);
	return err;
}

static int names(const json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return 1;
	}
	return 0;
}

static int replay_one(git_repository *repo, const struct replay *r, struct ax_store *store)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	struct ax_evidence ev = {0};
	struct ax_buf runjson = AX_BUF_INIT;
	json_t *runj = NULL, *ran;
	int err = 0;
	if (git_commit_lookup(&c, repo, &r->commit) < 0 || git_commit_tree(&t, c) < 0) {
		err = git_fail(r->collector);
		goto cleanup;
	}
	if (git_commit_parentcount(c) > 0 && (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0)) {
		err = git_fail(r->collector);
		goto cleanup;
	}
	if ((err = blob_text(repo, t, "run.json", &runjson)) < 0)
		goto cleanup;
	runj = json_loads(ax_buf_cstr(&runjson), 0, NULL);
	ran = json_object_get(runj, "instances");
	for (size_t k = 0; k < git_tree_entrycount(t); k++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, k);
		const git_tree_entry *old = pt ? git_tree_entry_byname(pt, git_tree_entry_name(te)) : NULL;
		git_tree *dir = NULL;
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE)
			continue;
		if (json_is_array(ran) ? !names(ran, git_tree_entry_name(te))
				       : old && git_oid_equal(git_tree_entry_id(old), git_tree_entry_id(te)))
			continue; /* not collected in this run */
		if (git_tree_lookup(&dir, repo, git_tree_entry_id(te)) < 0) {
			err = git_fail(git_tree_entry_name(te));
			goto cleanup;
		}
		err = add_instance(repo, r->collector, git_tree_entry_name(te), dir, r->started, &ev);
		git_tree_free(dir);
		if (err < 0)
			goto cleanup;
	}
	char *inst = ax_asprintf("%s--locker", r->collector);
	ax_evidence_add_artifact(&ev, inst, "locker-run.json", "application/json", runjson.ptr, runjson.size);
	free(inst);
	err = ax_store_commit_run(store, "collect", r->started, r->finished, &ev, NULL);
cleanup:
	json_decref(runj);
	ax_buf_free(&runjson);
	ax_evidence_free(&ev);
	git_tree_free(pt);
	git_tree_free(t);
	git_commit_free(parent);
	git_commit_free(c);
	return err;
}

int ax_locker_import(const char *repo_path, struct ax_store *store, size_t *ncollectors, size_t *nruns)
{
	struct collect_ctx cx = {0};
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t branches = 0;
	int err = 0;
	git_libgit2_init();
	if (git_repository_open_ext(&cx.repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		err = git_fail(repo_path);
		goto cleanup;
	}
	if (git_reference_iterator_glob_new(&it, cx.repo, "refs/heads/collectors/*") < 0) {
		err = git_fail(repo_path);
		goto cleanup;
	}
	while (err == 0 && git_reference_next(&ref, it) == 0) {
		err = add_branch(&cx, git_reference_name(ref));
		git_reference_free(ref);
		branches++;
	}
	if (err < 0)
		goto cleanup;
	if (!branches) {
		err = ax_error_code(AX_ENOTFOUND, "%s: no collectors/* branches: nothing was pushed here", repo_path);
		goto cleanup;
	}
	qsort(cx.items, cx.n, sizeof(*cx.items), cmp_replay);
	for (size_t i = 0; i < cx.n && err == 0; i++)
		err = replay_one(cx.repo, &cx.items[i], store);
	if (ncollectors)
		*ncollectors = branches;
	if (nruns)
		*nruns = cx.n;
cleanup:
	for (size_t i = 0; i < cx.n; i++)
		free(cx.items[i].collector);
	free(cx.items);
	git_reference_iterator_free(it);
	git_repository_free(cx.repo);
	git_libgit2_shutdown();
	return err;
}
