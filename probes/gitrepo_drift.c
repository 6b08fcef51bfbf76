/* gitrepo_drift.c - configuration drift between a repository and the live
 * system (see gitrepo_drift.h). Reads at most max-size bytes of a live
 * file; diffs are made by libgit2 and never leave unredacted. */
#include "gitrepo_drift.h"

#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "redact.h"
#include "util.h"

/* "drift/etc_postfix_main.cf.diff": one safe artifact name per repo path */
static char *artifact_name(const char *repo_path)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_puts(&b, "drift/f");
	for (const char *p = repo_path; *p && b.size < 100; p++)
		ax_buf_putc(&b, (strchr("._-", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				 (*p >= '0' && *p <= '9')) ? *p : '_');
	ax_buf_puts(&b, ".diff");
	return ax_buf_detach(&b);
}

/* One pair; returns 1 when equal, 0 when drifted or missing, <0 when it
 * could not be judged. *why says what was found. */
static int compare_pair(struct ax_probe_ctx *ctx, git_tree *tree, const char *live, const char *repo_path,
			json_t *item, char **why)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	git_patch *patch = NULL;
	git_buf diff = GIT_BUF_INIT_CONST(NULL, 0);
	struct ax_buf content = AX_BUF_INIT, red = AX_BUF_INIT;
	char hash[65];
	int result = 0, rc;
	if (git_tree_entry_bypath(&entry, tree, repo_path) < 0 || git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, git_tree_owner(tree), git_tree_entry_id(entry)) < 0) {
		*why = ax_asprintf("%s is not a file in the repository", repo_path);
		goto cleanup;
	}
	const void *want = git_blob_rawcontent(blob);
	size_t wantlen = (size_t)git_blob_rawsize(blob);
	ax_sha256_hex(want, wantlen, hash);
	json_object_set_new(item, "repo_sha256", json_string(hash));
	if ((rc = ax_file_read(live, (size_t)ax_probe_opt_int(ctx, "max-size"), &content)) < 0) {
		*why = ax_strdup(ax_error_last());
		result = rc == AX_ENOTFOUND ? 0 : rc;
		goto cleanup;
	}
	ax_sha256_hex(content.ptr, content.size, hash);
	json_object_set_new(item, "live_sha256", json_string(hash));
	if (content.size == wantlen && (wantlen == 0 || memcmp(content.ptr, want, wantlen) == 0)) {
		result = 1;
		goto cleanup;
	}
	git_diff_options opts;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.context_lines = 2;
	if (git_patch_from_buffers(&patch, want, wantlen, repo_path, content.ptr, content.size, live, &opts) < 0 ||
	    git_patch_to_buf(&diff, patch) < 0) {
		*why = ax_asprintf("%s differs from %s (no diff: %s)", live, repo_path,
				   git_error_last() ? git_error_last()->message : "libgit2");
		goto cleanup;
	}
	size_t adds = 0, dels = 0, ctxl = 0;
	git_patch_line_stats(&ctxl, &adds, &dels, patch);
	json_object_set_new(item, "lines_added", json_integer((json_int_t)adds));
	json_object_set_new(item, "lines_removed", json_integer((json_int_t)dels));
	if (ax_redact(diff.ptr ? diff.ptr : "", diff.size, ax_probe_opt(ctx, "redact"), &red) < 0) {
		*why = ax_asprintf("%s differs from %s; diff withheld: %s", live, repo_path, ax_error_last());
		goto cleanup;
	}
	char *name = artifact_name(repo_path);
	json_object_set_new(item, "diff", json_string(name));
	(void)ax_probe_artifact(ctx, name, "text/x-diff", red.ptr ? red.ptr : "", red.size);
	*why = ax_asprintf("%s differs from %s at the tip (+%zu -%zu lines, diff in %s)", live, repo_path, adds, dels, name);
	free(name);
cleanup:
	git_buf_dispose(&diff);
	git_patch_free(patch);
	git_blob_free(blob);
	git_tree_entry_free(entry);
	ax_buf_free(&content);
	ax_buf_free(&red);
	return result;
}

void ax_gitrepo_judge_drift(struct ax_probe_ctx *ctx, git_repository *repo, const git_oid *tip, const char *branch)
{
	size_t npairs = ax_probe_opt_count(ctx, "deployed"), ndrift = 0, nerror = 0;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	struct ax_buf why = AX_BUF_INIT;
	json_t *items = json_array();
	if (npairs == 0) {
		ax_probe_result(ctx, "change.drift", AX_CHECK_SKIP, NULL, "no deployed = LIVE:REPO pair configured");
		goto cleanup;
	}
	if (git_commit_lookup(&commit, repo, tip) < 0 || git_commit_tree(&tree, commit) < 0) {
		ax_probe_result(ctx, "change.drift", AX_CHECK_ERROR, NULL, "tip tree of %s: %s", branch,
				     git_error_last() ? git_error_last()->message : "libgit2");
		goto cleanup;
	}
	for (size_t i = 0; i < npairs; i++) {
		const char *spec = ax_probe_opt_at(ctx, "deployed", i), *colon = strchr(spec, ':');
		char *msg = NULL;
		if (!colon || colon == spec || !colon[1]) {
			nerror++;
			ax_buf_printf(&why, "%sdeployed '%s' is not LIVE_PATH:REPO_PATH", why.size ? "; " : "", spec);
			continue;
		}
		char *live = ax_strndup(spec, (size_t)(colon - spec));
		const char *repo_path = colon + 1;
		json_t *item = json_pack("{s:s,s:s}", "live", live, "repo_path", repo_path);
		int equal = compare_pair(ctx, tree, live, repo_path, item, &msg);
		json_object_set_new(item, "equal", json_boolean(equal == 1));
		json_array_append_new(items, item);
		if (equal == 0)
			ndrift++;
		else if (equal < 0)
			nerror++;
		if (equal != 1)
			ax_buf_printf(&why, "%s%s", why.size ? "; " : "", msg ? msg : "?");
		free(msg);
		free(live);
	}
	json_t *obs = json_pack("{s:s,s:O,s:I}", "branch", branch, "files", items, "drifted", (json_int_t)ndrift);
	if (ndrift)
		ax_probe_result(ctx, "change.drift", AX_CHECK_FAIL, obs, "%s", ax_buf_cstr(&why));
	else if (nerror)
		ax_probe_result(ctx, "change.drift", AX_CHECK_ERROR, obs, "%s", ax_buf_cstr(&why));
	else
		ax_probe_result(ctx, "change.drift", AX_CHECK_PASS, obs,
				     "all %zu deployed files equal their blobs at the tip of %s", npairs, branch);
cleanup:
	json_decref(items);
	ax_buf_free(&why);
	git_tree_free(tree);
	git_commit_free(commit);
}
