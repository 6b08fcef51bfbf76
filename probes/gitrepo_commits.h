/* gitrepo_commits.h - the commits of a branch within a time window, with
 * how each was signed and how each change reached the branch.
 *
 * Signatures: git_commit_extract_signature() gives the signature and the
 * signed payload; SSH signatures are verified with
 *   ssh-keygen -Y verify -f ALLOWED_SIGNERS -I COMMITTER_EMAIL -n git -s SIG < PAYLOAD
 * (the key must be listed for the committer's own address), run with a
 * deadline. GPG signatures are verified with `gpg --verify` against the
 * keyring in gpg_home when one is given, else recorded as present but not
 * verified; X.509 signatures are recognised, not verified.
 * Review: a first-parent change is reviewed when it is a merge by someone
 * other than the merged commits' authors, or carries a Reviewed-by: or
 * Approved-by: trailer naming someone other than its author. */
#ifndef AX_GITREPO_COMMITS_H
#define AX_GITREPO_COMMITS_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

enum ax_sig_state {
	AX_SIG_NONE,
	AX_SIG_SSH_VERIFIED,   /* ssh-keygen accepted it for the committer */
	AX_SIG_SSH_BAD,        /* ssh-keygen rejected it (message in why) */
	AX_SIG_SSH_UNVERIFIED, /* present; no allowed-signers given */
	AX_SIG_GPG_UNVERIFIED,
	AX_SIG_X509_UNVERIFIED,
	AX_SIG_OTHER,
	AX_SIG_GPG_VERIFIED,   /* gpg --verify with gpg-home: GOODSIG and VALIDSIG */
	AX_SIG_GPG_BAD,
};

struct ax_commit_info {
	char id[GIT_OID_HEXSZ + 1];
	char *author_email, *committer_email; /* raw: pseudonymise before evidence */
	char *reviewer_email;                 /* raw; NULL when none */
	int64_t time;                         /* committer time */
	int first_parent;                     /* on the branch's first-parent chain */
	int merge;                            /* two or more parents */
	int reviewed;                         /* only meaningful on first-parent commits */
	char *review_why;                     /* "merge", "trailer", "self-merge", "no review" */
	enum ax_sig_state sig;
	char *sig_why;                        /* verifier's message, first line */
};

struct ax_commit_list {
	struct ax_commit_info *items;
	size_t n;
	int truncated; /* max_commits reached */
};

struct ax_commit_walk_opts {
	int64_t since;               /* committer time lower bound */
	size_t max_commits;
	const char *allowed_signers; /* NULL: presence only */
	const char *ssh_keygen;      /* program */
	const char *gpg_home;        /* GnuPG home with the trusted keys; NULL: not verified */
	int64_t verify_timeout_ms;
};

int ax_commits_walk(git_repository *repo, const git_oid *tip, const struct ax_commit_walk_opts *o,
		    struct ax_commit_list *out);
void ax_commit_list_free(struct ax_commit_list *l); /* the contents */
const char *ax_sig_state_name(enum ax_sig_state s);

#endif
