/* etcfiles.h - the local account databases of a system root: passwd,
 * group and shadow, as the accounts, privileges and ssh-access probes read
 * them.
 *
 * Guarantees: of shadow's password field only its classification is kept
 * (none, locked, or the hash scheme), never the hash; the buffer that held
 * the file is wiped before it is freed. Lines that do not parse are
 * counted, not fatal. Files are read below a root folder ("/" or a copy of
 * a system), so tests never touch the machine's own accounts. */
#ifndef AX_ETCFILES_H
#define AX_ETCFILES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum ax_pw_state {
	AX_PW_NONE,    /* empty field: no password at all */
	AX_PW_LOCKED,  /* '!' or '*' first: no password login */
	AX_PW_HASH,    /* a crypt(3) hash */
	AX_PW_SHADOW,  /* passwd's "x": the state is in shadow */
};

struct ax_pw_class {
	enum ax_pw_state state;
	const char *scheme; /* AX_PW_HASH: "yescrypt", "sha512", "md5", "des", ... (static) */
	int weak;           /* the scheme is not one of yescrypt, gost-yescrypt, scrypt, bcrypt, sha512 */
};

/* Classifies a passwd/shadow password field (never kept). */
void ax_pw_classify(const char *field, size_t len, struct ax_pw_class *out);

struct ax_etc_user {
	char *name, *home, *shell;
	long uid, gid;
	struct ax_pw_class pw;  /* from shadow when it has the account, else from passwd */
	int in_shadow;
	long lastchg, maxdays, inactive, expire; /* shadow days since 1970; -1 when empty */
};

struct ax_etc_group {
	char *name;
	long gid;
	char **members;
	size_t nmembers;
};

struct ax_etc_db {
	struct ax_etc_user *users;
	size_t nusers;
	struct ax_etc_group *groups;
	size_t ngroups;
	size_t bad_lines;     /* lines of any file that did not parse */
	int shadow_read;      /* shadow was read (else shadow_error says why) */
	char *shadow_error;
};

/* Parses one file's text into db: kind "passwd", "group" or "shadow"
 * (shadow entries update the passwd users of the same name). */
void ax_etc_parse(struct ax_etc_db *db, const char *kind, const char *text, size_t len);
/* Reads ROOT/etc/passwd and ROOT/etc/group (an error when passwd cannot be
 * read), and ROOT/etc/shadow when want_shadow (its failure is kept in
 * shadow_error, not returned). */
int ax_etc_load(struct ax_etc_db *db, const char *root, int want_shadow);
void ax_etc_db_free(struct ax_etc_db *db);

const struct ax_etc_user *ax_etc_user_find(const struct ax_etc_db *db, const char *name);
const struct ax_etc_group *ax_etc_group_find(const struct ax_etc_db *db, const char *name);
/* True when name is a member of group: listed, or the group is its primary one. */
int ax_etc_in_group(const struct ax_etc_db *db, const struct ax_etc_group *g, const char *name);
/* True for a shell a person can log in with (not nologin, false, sync, ...). */
int ax_etc_interactive(const char *shell);
/* ROOT + path ("/" root: path itself); a new string. */
char *ax_etc_path(const char *root, const char *path);

#endif
