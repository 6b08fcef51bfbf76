/* privdrop.c - switching the daemon to an unprivileged user (privdrop.h). */
#include "privdrop.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"

static int chown_if_exists(const char *path, uid_t uid, gid_t gid)
{
	if (chown(path, uid, gid) < 0 && errno != ENOENT)
		return ax_error_set("chown %s: %s", path, strerror(errno));
	return 0;
}

static uid_t walk_uid;
static gid_t walk_gid;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, walk_uid, walk_gid) < 0 ? -1 : 0;
}

int ax_privdrop(const struct ax_config *cfg)
{
	const char *user = ax_config_get(cfg, "annexa", "user");
	gid_t groups[64];
	int ngroups = 0, err = 0;
	if (!user || getuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return ax_error_code(AX_EINVALID, "%s: [annexa] user: no such user '%s'", cfg->path, user);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	groups[ngroups++] = gid;
	for (size_t i = 0; i < ax_config_count(cfg, "annexa", "group") && ngroups < 64; i++) {
		const char *name = ax_config_get_at(cfg, "annexa", "group", i);
		struct group *gr = getgrnam(name);
		if (!gr)
			return ax_error_code(AX_EINVALID, "%s: [annexa] group: no such group '%s'", cfg->path, name);
		groups[ngroups++] = gr->gr_gid;
	}
	const char *store = ax_config_get(cfg, "annexa", "store");
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; store && i < 4 && !err; i++) {
		char *p = ax_asprintf("%s%s", store, suffixes[i]);
		err = chown_if_exists(p, uid, gid);
		free(p);
	}
	if (!err && state) {
		mkdir(state, 0700);
		/* Per-instance folders made by earlier runs as root move too. */
		walk_uid = uid;
		walk_gid = gid;
		if (nftw(state, chown_entry, 16, FTW_PHYS) < 0)
			err = ax_error_set("chown %s: %s", state, strerror(errno));
	}
	if (err)
		return err;
	if (setgroups((size_t)ngroups, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return ax_error_set("switching to user %s: %s", user, strerror(errno));
	if (uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		return ax_error_set("switching to user %s: root could be regained", user);
	return 0;
}
