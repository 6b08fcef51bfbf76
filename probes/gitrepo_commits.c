/* gitrepo_commits.c - walks a branch's window of commits and judges their
 * signatures and reviews (see gitrepo_commits.h).
 *
 * Bounded: at most max_commits commits, at most MERGED_MAX merged commits
 * looked at per merge, one ssh-keygen per SSH-signed commit with a
 * deadline. Temporary signature files live in a private folder that is
 * removed before returning. */
#include "gitrepo_commits.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "probe.h"
#include "subprocess.h"
#include "util.h"

#define MERGED_MAX 2000

static const char *const sig_names[] = {"none", "ssh-verified", "ssh-bad", "ssh-unverified", "gpg-unverified",
					"x509-unverified", "other-unverified", "gpg-verified", "gpg-bad"};

const char *ax_sig_state_name(enum ax_sig_state s)
{
	return (unsigned)s < sizeof(sig_names) / sizeof(sig_names[0]) ? sig_names[s] : "?";
}

struct walk_state {
	git_repository *repo;
	const struct ax_commit_walk_opts *o;
	char tmpdir[PATH_MAX]; /* "" until first needed */
};

static void remove_tmpdir(struct walk_state *w)
{
	if (!w->tmpdir[0])
		return;
	static const char *const names[] = {"sig", "payload"};
	for (size_t i = 0; i < 2; i++) {
		char *p = ax_asprintf("%s/%s", w->tmpdir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(w->tmpdir);
}

/* First line of text with the committer's address replaced (evidence must
 * not carry it in clear). */
static char *first_line(const char *text, const char *email)
{
	size_t n = strcspn(text, "\r\n");
	char *line = ax_strndup(text, n > 300 ? 300 : n);
	char *hit = email && *email ? strstr(line, email) : NULL;
	if (hit) {
		char *out = ax_asprintf("%.*s<committer>%s", (int)(hit - line), line, hit + strlen(email));
		free(line);
		line = out;
	}
	return line;
}

/* Writes the signature and payload to the private folder: paths[0..1]. */
static int write_sig_files(struct walk_state *w, const git_buf *sig, const git_buf *payload, char *paths[2])
{
	if (!w->tmpdir[0]) {
		snprintf(w->tmpdir, sizeof(w->tmpdir), "%s/annexa-gitsig-XXXXXX", ax_probe_tmp());
		if (!mkdtemp(w->tmpdir)) {
			w->tmpdir[0] = '\0';
			return ax_error_set("cannot create a temporary folder for signature files");
		}
	}
	paths[0] = ax_asprintf("%s/sig", w->tmpdir);
	paths[1] = ax_asprintf("%s/payload", w->tmpdir);
	if (ax_file_write_atomic(paths[0], sig->ptr, sig->size, 0600) < 0 ||
	    ax_file_write_atomic(paths[1], payload->ptr, payload->size, 0600) < 0)
		return AX_ERROR;
	return 0;
}

static enum ax_sig_state verify_gpg(struct walk_state *w, const char **paths, char **why)
{
	struct ax_subprocess res;
	enum ax_sig_state st = AX_SIG_GPG_BAD;
	memset(&res, 0, sizeof(res));
	const char *argv[] = {"gpg", "--homedir", w->o->gpg_home, "--batch", "--no-tty", "--status-fd", "1",
			      "--verify", paths[0], paths[1], NULL};
	int rc = ax_subprocess_run(argv, NULL, w->o->verify_timeout_ms, 65536, &res);
	const char *out = ax_buf_cstr(&res.out);
	if (rc < 0 && rc != AX_ETIMEOUT) {
		*why = ax_strdup(ax_error_last());
	} else if (res.timed_out) {
		*why = ax_strdup("gpg --verify timed out");
	} else if (res.exit_code == 0 && strstr(out, "[GNUPG:] GOODSIG ") && strstr(out, "[GNUPG:] VALIDSIG ")) {
		st = AX_SIG_GPG_VERIFIED;
		*why = ax_strdup("gpg --verify: good signature by a key in gpg-home");
	} else {
		const char *status = strstr(out, "[GNUPG:] ERRSIG") ? "no such key in gpg-home (ERRSIG)"
				     : strstr(out, "[GNUPG:] BADSIG") ? "bad signature (BADSIG)"
				     : strstr(out, "[GNUPG:] EXPKEYSIG") ? "expired key (EXPKEYSIG)"
				     : strstr(out, "[GNUPG:] REVKEYSIG") ? "revoked key (REVKEYSIG)"
									: "rejected";
		*why = ax_asprintf("gpg --verify: %s", status);
	}
	ax_subprocess_free(&res);
	return st;
}

static enum ax_sig_state verify_ssh(struct walk_state *w, const git_buf *sig, const git_buf *payload,
				    const char *email, char **why)
{
	struct ax_subprocess res;
	char *sigpath = NULL, *payloadpath = NULL;
	enum ax_sig_state st = AX_SIG_SSH_BAD;
	memset(&res, 0, sizeof(res));
	char *paths[2] = {NULL, NULL};
	int written = write_sig_files(w, sig, payload, paths);
	sigpath = paths[0];
	payloadpath = paths[1];
	if (written < 0) {
		*why = ax_strdup(ax_error_last());
		goto cleanup;
	}
	/* ssh-keygen reads the message on stdin; the shell only redirects it,
	 * every value is a positional parameter, never part of the script */
	const char *argv[] = {"/bin/sh", "-c", "exec \"$0\" -Y verify -f \"$1\" -I \"$2\" -n git -s \"$3\" < \"$4\"",
			      w->o->ssh_keygen, w->o->allowed_signers, email, sigpath, payloadpath, NULL};
	int rc = ax_subprocess_run(argv, NULL, w->o->verify_timeout_ms, 8192, &res);
	if (rc < 0 && rc != AX_ETIMEOUT) {
		*why = ax_strdup(ax_error_last());
	} else if (res.timed_out) {
		*why = ax_strdup("ssh-keygen -Y verify timed out");
	} else if (res.exit_code == 0) {
		st = AX_SIG_SSH_VERIFIED;
		*why = ax_strdup("ssh-keygen -Y verify: good signature by a key listed for the committer");
	} else if (res.exit_code == 127) {
		*why = ax_asprintf("%s not found", w->o->ssh_keygen);
	} else {
		char *line = first_line(res.err.size ? ax_buf_cstr(&res.err) : ax_buf_cstr(&res.out), email);
		*why = ax_asprintf("ssh-keygen -Y verify rejected it: %s", *line ? line : "no reason given");
		free(line);
	}
cleanup:
	ax_subprocess_free(&res);
	free(sigpath);
	free(payloadpath);
	return st;
}

static void classify_signature(struct walk_state *w, const git_oid *oid, struct ax_commit_info *ci)
{
	git_buf sig = GIT_BUF_INIT_CONST(NULL, 0), payload = GIT_BUF_INIT_CONST(NULL, 0);
	if (git_commit_extract_signature(&sig, &payload, w->repo, (git_oid *)oid, NULL) < 0) {
		ci->sig = AX_SIG_NONE;
		ci->sig_why = ax_strdup("no signature");
		goto cleanup;
	}
	if (strncmp(sig.ptr, "-----BEGIN SSH SIGNATURE-----", 29) == 0) {
		if (w->o->allowed_signers) {
			ci->sig = verify_ssh(w, &sig, &payload, ci->committer_email, &ci->sig_why);
		} else {
			ci->sig = AX_SIG_SSH_UNVERIFIED;
			ci->sig_why = ax_strdup("SSH signature present, not verified: no allowed-signers configured");
		}
	} else if (strncmp(sig.ptr, "-----BEGIN PGP SIGNATURE-----", 29) == 0) {
		char *paths[2] = {NULL, NULL};
		if (!w->o->gpg_home) {
			ci->sig = AX_SIG_GPG_UNVERIFIED;
			ci->sig_why = ax_strdup("gpgsig present, not verified: gpg not configured (set gpg-home)");
		} else if (write_sig_files(w, &sig, &payload, paths) < 0) {
			ci->sig = AX_SIG_GPG_BAD;
			ci->sig_why = ax_strdup(ax_error_last());
		} else {
			ci->sig = verify_gpg(w, (const char **)paths, &ci->sig_why);
		}
		free(paths[0]);
		free(paths[1]);
	} else if (strncmp(sig.ptr, "-----BEGIN SIGNED MESSAGE-----", 30) == 0) {
		ci->sig = AX_SIG_X509_UNVERIFIED;
		ci->sig_why = ax_strdup("X.509 signature present, not verified");
	} else {
		ci->sig = AX_SIG_OTHER;
		ci->sig_why = ax_strdup("signature of unknown format, not verified");
	}
cleanup:
	git_buf_dispose(&sig);
	git_buf_dispose(&payload);
}

/* "Bob <bob@example.com>" -> "bob@example.com"; no brackets: the value. */
static char *trailer_identity(const char *value)
{
	const char *lt = strchr(value, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		return ax_strndup(lt + 1, (size_t)(gt - lt - 1));
	while (isspace((unsigned char)*value))
		value++;
	size_t n = strlen(value);
	while (n && isspace((unsigned char)value[n - 1]))
		n--;
	return ax_strndup(value, n);
}

/* A Reviewed-by/Approved-by trailer naming someone other than author. */
static char *independent_reviewer(const git_commit *c, const char *author)
{
	git_message_trailer_array trailers;
	char *who = NULL;
	if (git_message_trailers(&trailers, git_commit_message(c)) < 0)
		return NULL;
	for (size_t i = 0; i < trailers.count && !who; i++) {
		if (strcasecmp(trailers.trailers[i].key, "Reviewed-by") != 0 &&
		    strcasecmp(trailers.trailers[i].key, "Approved-by") != 0)
			continue;
		char *id = trailer_identity(trailers.trailers[i].value);
		if (*id && strcasecmp(id, author) != 0)
			who = id;
		else
			free(id);
	}
	git_message_trailer_array_free(&trailers);
	return who;
}

/* Does the merge bring in a commit authored by its own merger? */
static int merge_is_self_merge(struct walk_state *w, const git_commit *merge, const char *merger)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int self = 0;
	size_t seen = 0;
	if (git_revwalk_new(&walk, w->repo) < 0)
		return 1;
	for (unsigned i = 1; i < git_commit_parentcount(merge); i++)
		git_revwalk_push(walk, git_commit_parent_id(merge, i));
	git_revwalk_hide(walk, git_commit_parent_id(merge, 0));
	while (!self && seen++ < MERGED_MAX && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, w->repo, &oid) < 0)
			continue;
		self = strcasecmp(git_commit_author(c)->email, merger) == 0;
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	return self;
}

static void judge_review(struct walk_state *w, const git_commit *c, struct ax_commit_info *ci)
{
	ci->reviewer_email = independent_reviewer(c, ci->author_email);
	if (ci->reviewer_email) {
		ci->reviewed = 1;
		ci->review_why = ax_strdup("trailer");
	} else if (ci->merge) {
		ci->reviewed = !merge_is_self_merge(w, c, ci->author_email);
		ci->review_why = ax_strdup(ci->reviewed ? "merge" : "self-merge");
		if (ci->reviewed)
			ci->reviewer_email = ax_strdup(ci->author_email); /* the merger reviewed it */
	} else {
		ci->review_why = ax_strdup("no review");
	}
}

static int cmp_info_id(const void *a, const void *b)
{
	return strcmp(((const struct ax_commit_info *)a)->id, ((const struct ax_commit_info *)b)->id);
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return ax_error_set("%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

int ax_commits_walk(git_repository *repo, const git_oid *tip, const struct ax_commit_walk_opts *o,
		    struct ax_commit_list *out)
{
	struct walk_state w = {repo, o, ""};
	git_revwalk *walk = NULL;
	git_oid oid;
	int err = 0;
	memset(out, 0, sizeof(*out));
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_sorting(walk, GIT_SORT_TIME) < 0 ||
	    git_revwalk_push(walk, tip) < 0) {
		err = git_fail("revwalk");
		goto cleanup;
	}
	/* time order: the first commit older than the window ends it */
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &oid) < 0) {
			err = git_fail("commit lookup");
			goto cleanup;
		}
		int64_t t = (int64_t)git_commit_time(c);
		if (t < o->since || out->n >= o->max_commits) {
			out->truncated = t >= o->since;
			git_commit_free(c);
			break;
		}
		out->items = ax_realloc(out->items, (out->n + 1) * sizeof(*out->items));
		struct ax_commit_info *ci = &out->items[out->n++];
		memset(ci, 0, sizeof(*ci));
		git_oid_tostr(ci->id, sizeof(ci->id), &oid);
		ci->author_email = ax_strdup(git_commit_author(c)->email);
		ci->committer_email = ax_strdup(git_commit_committer(c)->email);
		ci->time = t;
		ci->merge = git_commit_parentcount(c) > 1;
		classify_signature(&w, &oid, ci);
		git_commit_free(c);
	}
	qsort(out->items, out->n, sizeof(*out->items), cmp_info_id);

	git_revwalk_free(walk);
	walk = NULL;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_simplify_first_parent(walk) < 0 ||
	    git_revwalk_push(walk, tip) < 0) {
		err = git_fail("first-parent revwalk");
		goto cleanup;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		struct ax_commit_info key;
		git_oid_tostr(key.id, sizeof(key.id), &oid);
		struct ax_commit_info *ci = bsearch(&key, out->items, out->n, sizeof(*out->items), cmp_info_id);
		if (!ci)
			break; /* older than the window (or beyond max_commits) */
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &oid) < 0) {
			err = git_fail("commit lookup");
			goto cleanup;
		}
		ci->first_parent = 1;
		judge_review(&w, c, ci);
		git_commit_free(c);
	}
cleanup:
	git_revwalk_free(walk);
	remove_tmpdir(&w);
	return err;
}

void ax_commit_list_free(struct ax_commit_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].author_email);
		free(l->items[i].committer_email);
		free(l->items[i].reviewer_email);
		free(l->items[i].review_why);
		free(l->items[i].sig_why);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
