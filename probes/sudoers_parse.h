/* sudoers_parse.h - the grants of a sudoers policy, as sudoers(5) and
 * sudo's own grammar (plugins/sudoers/gram.y, toke.l) define them: user
 * specifications with host, runas and command lists, tags (NOPASSWD: and
 * the others, inherited by the commands that follow), options (ROLE=,
 * CWD=, TIMEOUT= ...), digests, User_/Runas_/Host_/Cmnd_Alias (expanded,
 * nested), line continuations and quoting; Defaults lines are skipped;
 * #include / @include / #includedir / @includedir are returned for the
 * caller to follow (it knows the file system).
 *
 * Limits, on purpose: host lists are not evaluated (a grant counts on
 * every host), negated items ("!bob", "!/bin/sh") are not subtracted (the
 * listing errs towards showing more people), netgroups are not resolved.
 * A line that does not parse is counted and skipped, as visudo would
 * refuse the file. Input is untrusted: bounded expansion, no recursion
 * beyond AX_SUDOERS_DEPTH. */
#ifndef AX_SUDOERS_PARSE_H
#define AX_SUDOERS_PARSE_H

#include <stddef.h>

#define AX_SUDOERS_DEPTH 16
#define AX_SUDOERS_GRANTS_MAX 100000

struct ax_sudo_grant {
	char *who;     /* a user item: "alice", "%sudo", "%:grp", "#1000", "+netgroup", "ALL" */
	char *runas;   /* as written after alias expansion ("root" when none was given) */
	char *command; /* "ALL" or the command line */
	int as_root;   /* runs as root: no runas list, or one naming ALL, root or #0 */
	int full;      /* the command is ALL, a shell or su: whatever root can do */
	int nopasswd;  /* NOPASSWD: applies */
	char *file;
	int line;
};

struct ax_sudo_include {
	char *path; /* as written (relative ones are relative to the including file's folder) */
	int dir;    /* includedir */
	char *file;
	int line;
};

struct ax_sudo_raw;
struct ax_sudo_alias;

struct ax_sudoers {
	struct ax_sudo_grant *grants; /* after ax_sudoers_resolve() */
	size_t ngrants;
	struct ax_sudo_include *includes; /* in the order they appear */
	size_t nincludes;
	size_t bad_lines;
	char *first_error; /* "FILE:LINE: what" of the first bad line */
	/* internal: specifications and aliases before expansion */
	struct ax_sudo_raw *raw;
	size_t nraw;
	struct ax_sudo_alias *aliases;
	size_t naliases;
};

/* Parses one file's text (file names it in grants and errors). */
void ax_sudoers_parse(struct ax_sudoers *s, const char *file, const char *text, size_t len);
/* Expands the aliases of every file parsed so far into grants. */
void ax_sudoers_resolve(struct ax_sudoers *s);
void ax_sudoers_free(struct ax_sudoers *s);

#endif
