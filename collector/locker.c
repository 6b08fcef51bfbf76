/* locker.c - the git evidence locker (see locker.h).
 *
 * Trees are built in memory with treebuilders on a bare repository, so no
 * working tree can be half-written; the branch moves only when the commit
 * object exists. Every commit is also recorded as an anchor of its run
 * (anchors.h). Each instance's folder is replaced whole at every run in
 * which the instance reported; other folders are carried over. */
#include "locker.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "anchors.h"
#include "config.h"
#include "json.h"
#include "util.h"

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return ax_error_set("locker: %s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

char *ax_locker_branch(const struct ax_config *cfg)
{
	const char *name = ax_config_get(cfg, "locker", "name");
	char host[256];
	if (!name || !*name) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		name = host;
	}
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_puts(&b, "collectors/");
	for (const char *p = name; *p; p++)
		ax_buf_putc(&b, (isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_') ? *p : '_');
	return ax_buf_detach(&b);
}

/* Artifact names become single path components: '/' and leading dots are
 * replaced so a name can never climb out of its folder. */
static char *safe_component(const char *name)
{
	struct ax_buf b = AX_BUF_INIT;
	for (const char *p = name; *p; p++)
		ax_buf_putc(&b, (*p == '/' || (p == name && *p == '.')) ? '_' : *p);
	if (!b.size)
		ax_buf_putc(&b, '_');
	return ax_buf_detach(&b);
}

static int add_blob(git_repository *repo, git_treebuilder *tb, const char *name, const void *data, size_t len)
{
	git_oid oid;
	if (git_blob_create_from_buffer(&oid, repo, data, len) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_BLOB) < 0)
		return git_fail(name);
	return 0;
}

static json_t *instance_results(const struct ax_evidence *ev, const char *instance)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < ev->nresults; i++) {
		const struct ax_result *r = &ev->results[i];
		if (strcmp(r->instance, instance) != 0)
			continue;
		json_t *obs = json_loads(r->observed, 0, NULL);
		/* No timestamps here: run.json carries the time, so a diff
		 * between two runs shows only evidence that changed. */
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:o}", "check", r->check, "probe_type",
						     r->probe_type, "status", ax_check_status_name(r->status),
						     "message", r->message, "observed", obs ? obs : json_object()));
	}
	return arr;
}

/* The instances that reported in the run (run.json "instances"): a
 * central replay counts their run even when their folder did not change. */
static json_t *run_instances(const struct ax_evidence *ev)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < ev->nresults; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(ev->results[j].instance, ev->results[i].instance) == 0;
		if (!seen)
			json_array_append_new(arr, json_string(ev->results[i].instance));
	}
	return arr;
}

static int instance_tree(git_repository *repo, const struct ax_evidence *ev, const char *instance, git_oid *out)
{
	git_treebuilder *tb = NULL;
	json_t *results = instance_results(ev, instance);
	char *text = ax_json_dumps(results, JSON_INDENT(2) | JSON_SORT_KEYS);
	int err = 0;
	if (git_treebuilder_new(&tb, repo, NULL) < 0) {
		err = git_fail("treebuilder");
		goto cleanup;
	}
	if ((err = add_blob(repo, tb, "results.json", text, strlen(text))) < 0)
		goto cleanup;
	for (size_t i = 0; i < ev->nartifacts; i++) {
		const struct ax_artifact *a = &ev->artifacts[i];
		if (strcmp(a->instance, instance) != 0)
			continue;
		char *name = safe_component(a->name);
		if (strcmp(name, "results.json") == 0) {
			free(name);
			name = ax_strdup("artifact-results.json");
		}
		err = add_blob(repo, tb, name, a->data.ptr ? a->data.ptr : "", a->data.size);
		free(name);
		if (err < 0)
			goto cleanup;
	}
	if (git_treebuilder_write(out, tb) < 0)
		err = git_fail("write tree");
cleanup:
	git_treebuilder_free(tb);
	free(text);
	json_decref(results);
	return err;
}

static int open_repo(const char *path, git_repository **out)
{
	if (git_repository_open_bare(out, path) == 0)
		return 0;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return ax_error_set("locker: %s: %s", path, strerror(errno));
	if (git_repository_init(out, path, 1) < 0)
		return git_fail(path);
	return 0;
}

static int push(git_repository *repo, const char *remote_url, const char *refname)
{
	git_remote *remote = NULL;
	git_push_options opts;
	char *spec = ax_asprintf("%s:%s", refname, refname);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	int err = 0;
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	if (git_remote_create_anonymous(&remote, repo, remote_url) < 0 ||
	    git_remote_push(remote, &refspecs, &opts) < 0)
		err = git_fail(remote_url);
	git_remote_free(remote);
	free(spec);
	return err;
}

int ax_locker_record(const struct ax_config *cfg, const struct ax_run_info *run, const struct ax_evidence *ev,
		     int *pushed)
{
	const char *path = ax_config_get(cfg, "locker", "path");
	const char *remote = ax_config_get(cfg, "locker", "remote");
	git_repository *repo = NULL;
	git_commit *parent = NULL;
	git_tree *parent_tree = NULL, *tree = NULL;
	git_treebuilder *root = NULL;
	git_signature *sig = NULL;
	char *branch = ax_locker_branch(cfg);
	char *refname = ax_asprintf("refs/heads/%s", branch);
	struct ax_buf msg = AX_BUF_INIT;
	json_t *runj = NULL;
	char *runtext = NULL;
	int err = 0;
	git_oid oid, tree_oid, commit_oid;

	if (pushed)
		*pushed = 0;
	if (!path)
		goto cleanup;
	git_libgit2_init();
	if ((err = open_repo(path, &repo)) < 0)
		goto cleanup;
	if (git_reference_name_to_id(&oid, repo, refname) == 0) {
		if (git_commit_lookup(&parent, repo, &oid) < 0 || git_commit_tree(&parent_tree, parent) < 0) {
			err = git_fail(refname);
			goto cleanup;
		}
	}
	if (git_treebuilder_new(&root, repo, parent_tree) < 0) {
		err = git_fail("treebuilder");
		goto cleanup;
	}
	int counts[4] = {0};
	for (size_t i = 0; i < ev->nresults; i++) {
		const char *inst = ev->results[i].instance;
		counts[ev->results[i].status]++;
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(ev->results[j].instance, inst) == 0;
		if (seen)
			continue;
		char *dir = safe_component(inst);
		git_oid sub;
		if ((err = instance_tree(repo, ev, inst, &sub)) < 0 ||
		    git_treebuilder_insert(NULL, root, dir, &sub, GIT_FILEMODE_TREE) < 0) {
			free(dir);
			err = err < 0 ? err : git_fail(inst);
			goto cleanup;
		}
		free(dir);
	}
	char started[32], finished[32];
	ax_time_format(run->started_at, started);
	ax_time_format(run->finished_at, finished);
	runj = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "run", (json_int_t)run->id, "kind", run->kind, "started_at",
			 started, "finished_at", finished, "hash", run->hash, "prev_hash", run->prev_hash, "instances",
			 run_instances(ev));
	runtext = ax_json_dumps(runj, JSON_INDENT(2) | JSON_SORT_KEYS);
	if ((err = add_blob(repo, root, "run.json", runtext, strlen(runtext))) < 0)
		goto cleanup;
	if (git_treebuilder_write(&tree_oid, root) < 0 || git_tree_lookup(&tree, repo, &tree_oid) < 0) {
		err = git_fail("write tree");
		goto cleanup;
	}
	ax_buf_printf(&msg, "run %lld: %d pass, %d fail, %d error, %d skip\n\nstarted %s\nledger %s\n",
		      (long long)run->id, counts[0], counts[1], counts[2], counts[3], started, run->hash);
	if (git_signature_new(&sig, "annexa", "annexa@localhost", (git_time_t)run->finished_at, 0) < 0) {
		err = git_fail("signature");
		goto cleanup;
	}
	const git_commit *parents[1] = {parent};
	if (git_commit_create(&commit_oid, repo, refname, sig, sig, "UTF-8", ax_buf_cstr(&msg), tree,
			      parent ? 1 : 0, parents) < 0) {
		err = git_fail("commit");
		goto cleanup;
	}
	/* The commit anchors the run outside the store (anchors.h). */
	struct ax_anchor an = {.kind = "locker", .run = run->id, .time = run->finished_at};
	char commit_id[GIT_OID_HEXSZ + 1], *anchors = ax_anchors_file(cfg);
	git_oid_tostr(commit_id, sizeof(commit_id), &commit_oid);
	memcpy(an.hash, run->hash, sizeof(an.hash));
	an.source = commit_id;
	err = ax_anchor_append(anchors, &an);
	free(anchors);
	if (err < 0)
		goto cleanup;
	if (remote && *remote) {
		if ((err = push(repo, remote, refname)) < 0)
			goto cleanup;
		if (pushed)
			*pushed = 1;
	}
cleanup:
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(root);
	git_tree_free(parent_tree);
	git_commit_free(parent);
	git_repository_free(repo);
	json_decref(runj);
	free(runtext);
	ax_buf_free(&msg);
	free(refname);
	free(branch);
	return err;
}
