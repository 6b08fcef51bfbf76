/* gitrepo.c - the `gitrepo` probe: change management evidence from the git
 * repository that holds the mail and lead systems' configuration.
 *
 * Are the changes of the window signed (by listed keys), reviewed by
 * someone other than their author, is the branch's history intact since
 * the last run (no force-push), and do the deployed files equal the
 * reviewed ones? People appear only as keyed pseudonyms; drift diffs are
 * redacted before they become evidence. Reads the repository through
 * libgit2 only (never writes to it); the last tip seen is kept in the
 * instance's state folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "gitrepo_commits.h"
#include "gitrepo_drift.h"
#include "population.h"
#include "probe.h"
#include "util.h"

static const struct ax_option gitrepo_options[] = {
	{"repository", AX_OPT_PATH, NULL, AX_OPT_REQUIRED, NULL, 0, 0, "a local clone or bare repository of the configuration"},
	{"branch", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "the branch changes must reach (default: what HEAD points to)"},
	{"window", AX_OPT_DURATION, "90d", 0, NULL, 3600, 157680000, "how far back commits are judged"},
	{"allowed-signers", AX_OPT_PATH, NULL, 0, NULL, 0, 0,
	 "ssh allowed_signers file: SSH signatures must verify for the committer's address"},
	{"ssh-keygen", AX_OPT_STRING, "ssh-keygen", 0, NULL, 0, 0, "the ssh-keygen program used to verify"},
	{"gpg-home", AX_OPT_PATH, NULL, 0, NULL, 0, 0,
	 "GnuPG home holding the trusted keys: GPG signatures must verify against it (else: presence only)"},
	{"deployed", AX_OPT_STRING, NULL, AX_OPT_MULTI, NULL, 0, 0,
	 "LIVE_PATH:REPO_PATH: a live file that must equal the blob at the branch tip (repeatable)"},
	{"redact", AX_OPT_REGEX, NULL, 0, NULL, 0, 0, "extra regex whose matches are redacted from drift diffs"},
	{"max-commits", AX_OPT_INT, "5000", 0, NULL, 1, 1000000, "most commits judged per run"},
	{"max-size", AX_OPT_SIZE, "16M", 0, NULL, 1, 1073741824, "largest deployed file compared"},
	{NULL},
};

static const struct ax_check_def gitrepo_checks[] = {
	{"change.signed", "every commit of the window is signed (by a listed key when allowed-signers is set)"},
	{"change.reviewed", "every change reached the branch through a merge or a Reviewed-by/Approved-by by someone else"},
	{"change.history_rewritten", "the branch tip descends from the tip seen on the previous run"},
	{"change.drift", "every deployed file equals its blob at the branch tip"},
	{NULL},
};

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return ax_error_set("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* branch NULL: HEAD; else refs/heads/BRANCH, then any revision spelling. */
static int resolve_tip(git_repository *repo, const char *branch, git_oid *tip, char **refname)
{
	git_object *obj = NULL;
	git_reference *ref = NULL;
	int err = 0;
	if (!branch) {
		if (git_repository_head(&ref, repo) < 0) {
			err = git_fail("HEAD");
			goto cleanup;
		}
		*refname = ax_strdup(git_reference_shorthand(ref));
		git_oid_cpy(tip, git_reference_target(ref));
		goto cleanup;
	}
	char *full = ax_asprintf("refs/heads/%s", branch);
	int rc = git_revparse_single(&obj, repo, full);
	free(full);
	if (rc < 0 && git_revparse_single(&obj, repo, branch) < 0) {
		err = ax_error_code(AX_ENOTFOUND, "branch '%s' not found", branch);
		goto cleanup;
	}
	git_object *commit = NULL;
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		err = git_fail(branch);
		goto cleanup;
	}
	git_oid_cpy(tip, git_object_id(commit));
	git_object_free(commit);
	*refname = ax_strdup(branch);
cleanup:
	git_object_free(obj);
	git_reference_free(ref);
	return err;
}

static int cmp_time_desc(const void *a, const void *b)
{
	const struct ax_commit_info *x = a, *y = b;
	return x->time < y->time ? 1 : x->time > y->time ? -1 : strcmp(x->id, y->id);
}

static void short_id(const char *id, char out[13])
{
	memcpy(out, id, 12);
	out[12] = '\0';
}

static int sig_good(const struct ax_commit_info *ci, int with_signers)
{
	return ci->sig == AX_SIG_SSH_VERIFIED || ci->sig == AX_SIG_GPG_VERIFIED ||
	       (!with_signers && ci->sig != AX_SIG_NONE && ci->sig != AX_SIG_SSH_BAD && ci->sig != AX_SIG_GPG_BAD);
}

/* The population of changes: every commit of the window, with what an
 * auditor tests of each (signature, review); authors as pseudonyms. */
static void commits_population(struct ax_probe_ctx *ctx, const struct ax_commit_list *l, const char *path,
			       const char *branch, int64_t since, int with_signers)
{
	static const char *const cols[] = {"date", "author", "first_parent", "merge", "signature", "signature_ok",
					   "review", "reviewer", "reviewed", NULL};
	struct ax_population *p = ax_population_open(ctx, "commits", cols);
	struct ax_buf src = AX_BUF_INIT, rule = AX_BUF_INIT;
	char from[32];
	for (size_t i = 0; i < l->n; i++) {
		const struct ax_commit_info *ci = &l->items[i];
		char author[20], reviewer[20] = "", date[32];
		ax_probe_pseudonym(ctx, ci->author_email, author);
		if (ci->reviewer_email)
			ax_probe_pseudonym(ctx, ci->reviewer_email, reviewer);
		ax_time_format(ci->time, date);
		const char *vals[] = {date,
				      author,
				      ci->first_parent ? "yes" : "no",
				      ci->merge ? "yes" : "no",
				      ax_sig_state_name(ci->sig),
				      sig_good(ci, with_signers) ? "yes" : "no",
				      ci->first_parent && ci->review_why ? ci->review_why : "",
				      reviewer,
				      !ci->first_parent ? "" : ci->reviewed ? "yes" : "no"};
		ax_population_row(p, ci->id, vals);
	}
	ax_time_format(since, from);
	ax_buf_printf(&src, "git repository %s, branch %s", path, branch);
	ax_buf_printf(&rule, "every commit reachable from the tip of %s with a committer time at or after %s%s", branch,
		      from, l->truncated ? " (cut at max-commits: the list is incomplete)" : "");
	ax_population_close(p, ax_buf_cstr(&src), ax_buf_cstr(&rule),
			    json_pack("{s:s,s:s,s:I,s:b}", "branch", branch, "since", from, "max_commits",
				      (json_int_t)ax_probe_opt_int(ctx, "max-commits"), "truncated", l->truncated),
			    ax_pop_frequency_of_count((int64_t)l->n, ax_probe_now(ctx) - since));
	ax_buf_free(&src);
	ax_buf_free(&rule);
}

/* change.signed and change.reviewed, and the commit list as evidence. */
static void judge_commits(struct ax_probe_ctx *ctx, struct ax_commit_list *l, const char *branch, int with_signers)
{
	json_t *commits = json_array(), *unsigned_ids = json_array(), *unreviewed = json_array();
	struct ax_buf sig_why = AX_BUF_INIT, rev_why = AX_BUF_INIT;
	size_t nsigned_bad = 0, nchanges = 0, nunreviewed = 0;
	qsort(l->items, l->n, sizeof(*l->items), cmp_time_desc);
	for (size_t i = 0; i < l->n; i++) {
		const struct ax_commit_info *ci = &l->items[i];
		char author[20], reviewer[20], date[32], sid[13];
		ax_probe_pseudonym(ctx, ci->author_email, author);
		ax_time_format(ci->time, date);
		short_id(ci->id, sid);
		json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "id", ci->id, "author", author, "date", date,
					 "signed", ax_sig_state_name(ci->sig), "signature", ci->sig_why ? ci->sig_why : "",
					 "first_parent", ci->first_parent, "merge", ci->merge);
		if (ci->first_parent) {
			nchanges++;
			json_object_set_new(item, "review", json_string(ci->review_why ? ci->review_why : ""));
			if (ci->reviewer_email) {
				ax_probe_pseudonym(ctx, ci->reviewer_email, reviewer);
				json_object_set_new(item, "reviewer", json_string(reviewer));
			}
			if (!ci->reviewed) {
				if (nunreviewed++ < 5)
					ax_buf_printf(&rev_why, "%s%s by %s: %s", rev_why.size ? "; " : "", sid, author,
						      ci->review_why);
				json_array_append_new(unreviewed, json_string(ci->id));
			}
		}
		if (!sig_good(ci, with_signers)) {
			if (nsigned_bad++ < 5)
				ax_buf_printf(&sig_why, "%s%s by %s: %s", sig_why.size ? "; " : "", sid, author, ci->sig_why);
			json_array_append_new(unsigned_ids, json_string(ci->id));
		}
		json_array_append_new(commits, item);
	}
	const char *how = with_signers ? "verified: SSH with ssh-keygen -Y verify against allowed-signers, GPG with gpg --verify against gpg-home"
				       : "signature presence only (no allowed-signers configured: not verified)";
	if (l->n == 0) {
		ax_probe_result(ctx, "change.signed", AX_CHECK_PASS, json_pack("{s:i,s:s}", "commits", 0, "branch", branch),
				      "no commits on %s in the window", branch);
		ax_probe_result(ctx, "change.reviewed", AX_CHECK_PASS, json_pack("{s:i,s:s}", "changes", 0, "branch", branch),
				      "no changes on %s in the window", branch);
	} else {
		struct ax_buf sig_msg = AX_BUF_INIT, rev_msg = AX_BUF_INIT;
		if (nsigned_bad > 5)
			ax_buf_printf(&sig_why, "; and %zu more", nsigned_bad - 5);
		if (nunreviewed > 5)
			ax_buf_printf(&rev_why, "; and %zu more", nunreviewed - 5);
		if (nsigned_bad)
			ax_buf_printf(&sig_msg, "%zu of %zu commits on %s not %s: %s", nsigned_bad, l->n, branch,
				      with_signers ? "signed by a listed key" : "signed", ax_buf_cstr(&sig_why));
		else
			ax_buf_printf(&sig_msg, "all %zu commits on %s signed (%s)", l->n, branch, how);
		if (nunreviewed)
			ax_buf_printf(&rev_msg, "%zu of %zu changes on %s without independent review: %s", nunreviewed,
				      nchanges, branch, ax_buf_cstr(&rev_why));
		else
			ax_buf_printf(&rev_msg, "all %zu changes on %s were merged or approved by someone other than the author",
				      nchanges, branch);
		ax_probe_result(ctx, "change.signed", nsigned_bad ? AX_CHECK_FAIL : AX_CHECK_PASS,
				      json_pack("{s:s,s:I,s:I,s:O,s:s,s:b}", "branch", branch, "commits", (json_int_t)l->n,
						"failed", (json_int_t)nsigned_bad, "failed_ids", unsigned_ids, "verification",
						how, "truncated", l->truncated),
				      "%s", ax_buf_cstr(&sig_msg));
		ax_probe_result(ctx, "change.reviewed", nunreviewed ? AX_CHECK_FAIL : AX_CHECK_PASS,
				      json_pack("{s:s,s:I,s:I,s:O}", "branch", branch, "changes", (json_int_t)nchanges,
						"unreviewed", (json_int_t)nunreviewed, "unreviewed_ids", unreviewed),
				      "%s", ax_buf_cstr(&rev_msg));
		ax_buf_free(&sig_msg);
		ax_buf_free(&rev_msg);
	}
	ax_probe_artifact_json(ctx, "commits.json", commits, JSON_INDENT(1));
	json_decref(commits);
	json_decref(unsigned_ids);
	json_decref(unreviewed);
	ax_buf_free(&sig_why);
	ax_buf_free(&rev_why);
}

/* The state file name for a branch: "tip-" + the name with anything but
 * [A-Za-z0-9._-] replaced, so that any branch spelling is one safe file. */
static char *tip_state_path(const char *dir, const char *branch)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_printf(&b, "%s/tip-", dir);
	for (const char *p = branch; *p && p - branch < 100; p++)
		ax_buf_putc(&b, (strchr("._-", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				 (*p >= '0' && *p <= '9')) ? *p : '_');
	return ax_buf_detach(&b);
}

static int judge_history(struct ax_probe_ctx *ctx, git_repository *repo, const git_oid *tip, const char *branch)
{
	const char *dir = ax_probe_state_dir(ctx);
	char now_hex[GIT_OID_HEXSZ + 1], prev_hex[GIT_OID_HEXSZ + 1];
	struct ax_buf prev = AX_BUF_INIT;
	char *path = NULL;
	int rc = 0;
	git_oid_tostr(now_hex, sizeof(now_hex), tip);
	if (!dir) {
		ax_probe_result(ctx, "change.history_rewritten", AX_CHECK_SKIP, NULL,
				       "no state folder: the previous tip cannot be remembered");
		return 0;
	}
	path = tip_state_path(dir, branch);
	int have = ax_file_read(path, 256, &prev);
	if (have == AX_ENOTFOUND) {
		/* nothing to compare with yet: the baseline informs, it passes nothing */
		ax_probe_result(ctx, "change.history_rewritten", AX_CHECK_INFO,
				     json_pack("{s:s,s:s}", "branch", branch, "tip", now_hex),
				     "first run on %s: tip %.12s recorded", branch, now_hex);
	} else if (have < 0) {
		ax_probe_result(ctx, "change.history_rewritten", AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		goto cleanup;
	} else {
		git_oid prev_oid;
		git_commit *c = NULL;
		snprintf(prev_hex, sizeof(prev_hex), "%.40s", ax_buf_cstr(&prev));
		int known = git_oid_fromstrn(&prev_oid, prev_hex, GIT_OID_HEXSZ) == 0 &&
			    git_commit_lookup(&c, repo, &prev_oid) == 0;
		git_commit_free(c);
		int descends = known && (git_oid_equal(&prev_oid, tip) || git_graph_descendant_of(repo, tip, &prev_oid) == 1);
		json_t *obs = json_pack("{s:s,s:s,s:s,s:b}", "branch", branch, "tip", now_hex, "previous_tip", prev_hex,
					"previous_tip_exists", known);
		if (descends)
			ax_probe_result(ctx, "change.history_rewritten", AX_CHECK_PASS, obs,
					     "%s tip %.12s descends from the previous tip %.12s", branch, now_hex, prev_hex);
		else
			ax_probe_result(ctx, "change.history_rewritten", AX_CHECK_FAIL, obs,
					     "%s was rewritten (force-push): tip %.12s does not descend from the previous tip %.12s%s",
					     branch, now_hex, prev_hex, known ? "" : ", which is no longer in the repository");
	}
	/* remembered either way: the fail above is the evidence of this rewrite,
	 * the next run judges the next change */
	char line[GIT_OID_HEXSZ + 2];
	snprintf(line, sizeof(line), "%s\n", now_hex);
	if (ax_file_write_atomic(path, line, strlen(line), 0600) < 0)
		rc = AX_ERROR;
cleanup:
	ax_buf_free(&prev);
	free(path);
	return rc;
}

static int gitrepo_run(struct ax_probe_ctx *ctx)
{
	const char *path = ax_probe_opt(ctx, "repository"), *signers = ax_probe_opt(ctx, "allowed-signers");
	git_repository *repo = NULL;
	struct ax_commit_list commits = {0};
	char *branch = NULL;
	git_oid tip;
	int rc = 0;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		git_fail(path);
		goto fail_all;
	}
	if (resolve_tip(repo, ax_probe_opt(ctx, "branch"), &tip, &branch) < 0) {
		ax_error_prefix("%s", path);
		goto fail_all;
	}
	struct ax_commit_walk_opts wo = {
		.since = ax_probe_now(ctx) - ax_probe_opt_int(ctx, "window"),
		.max_commits = (size_t)ax_probe_opt_int(ctx, "max-commits"),
		.allowed_signers = signers,
		.ssh_keygen = ax_probe_opt(ctx, "ssh-keygen"),
		.gpg_home = ax_probe_opt(ctx, "gpg-home"),
		.verify_timeout_ms = 10000,
	};
	if (ax_commits_walk(repo, &tip, &wo, &commits) < 0) {
		ax_error_prefix("%s", path);
		ax_probe_result(ctx, "change.signed", AX_CHECK_ERROR, NULL, "%s", ax_error_last());
		ax_probe_result(ctx, "change.reviewed", AX_CHECK_ERROR, NULL, "%s", ax_error_last());
	} else {
		judge_commits(ctx, &commits, branch, signers != NULL || wo.gpg_home != NULL);
		commits_population(ctx, &commits, path, branch, wo.since, signers != NULL || wo.gpg_home != NULL);
	}
	rc = judge_history(ctx, repo, &tip, branch);
	ax_gitrepo_judge_drift(ctx, repo, &tip, branch);
	goto cleanup;
fail_all:
	for (size_t i = 0; gitrepo_checks[i].id; i++)
		ax_probe_result(ctx, gitrepo_checks[i].id, AX_CHECK_ERROR, NULL, "%s", ax_error_last());
cleanup:
	ax_commit_list_free(&commits);
	free(branch);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc ? AX_ERROR : 0;
}

/* the repository, signer files, the live files of `deployed`; ssh-keygen and gpg run confined */
static const struct ax_probe_access gitrepo_access = {.flags = AX_ACCESS_EXEC, .paths = (const char *const[]){"deployed", NULL}};

const struct probe probe_gitrepo = {
	.name = "gitrepo",
	.summary = "configuration repository: signed and reviewed changes, no rewritten history, no drift of deployed files",
	.options = gitrepo_options,
	.checks = gitrepo_checks,
	.access = &gitrepo_access,
	.run = gitrepo_run,
};
