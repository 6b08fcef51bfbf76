/* collect.c - one collection run, committed whole or not at all. */
#include "collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <pwd.h>

#include "annexa-build.h"
#include "config.h"
#include "log.h"
#include "population.h"
#include "probe.h"
#include "runner.h"
#include "util.h"

#define KEY_MIN 16
#define KEY_NEW 32

int ax_collect_load_pseudonym_key(const struct ax_config *cfg, int create, struct ax_buf *out, char **path_out)
{
	const char *conf = ax_config_get(cfg, "privacy", "pseudonym-key-file");
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	char *path = conf ? ax_strdup(conf) : ax_asprintf("%s/pseudonym.key", state ? state : ".");
	int err = 0;
	if (!conf && create) {
		/* Never a constant key: anyone could test a guessed address
		 * against its pseudonym. A random one, made once. */
		unsigned char key[KEY_NEW];
		if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
			err = ax_error_set("pseudonym key: no random bytes: %s", strerror(errno));
			goto cleanup;
		}
		err = ax_file_write_new(path, key, sizeof(key), 0600);
		OPENSSL_cleanse(key, sizeof(key));
		if (err == AX_EEXISTS)
			err = 0;
		else if (err < 0)
			goto cleanup;
	}
	err = ax_file_read(path, 1024, out);
	if (err == AX_ENOTFOUND && !conf && !create) {
		err = 0;
	} else if (err < 0) {
		ax_error_prefix("%s", conf ? "[privacy] pseudonym-key-file" : "pseudonym key");
		err = AX_EINVALID;
	} else if (out->size < KEY_MIN) {
		err = ax_error_code(AX_EINVALID, "%s %s: shorter than %d bytes",
				    conf ? "[privacy] pseudonym-key-file" : "pseudonym key", path, KEY_MIN);
	}
cleanup:
	if (err < 0 || !path_out)
		free(path);
	else
		*path_out = path;
	return err;
}

/* What no probe child may reach (runner.h): the store and its journal
 * files, the keys and the config itself. */
static char **protected_paths(const struct ax_config *cfg)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	const char *store = ax_config_get(cfg, "annexa", "store");
	const char *more[] = {ax_config_get(cfg, "signing", "key"), ax_config_get(cfg, "privacy", "pseudonym-key-file"),
			      ax_config_get(cfg, "locker", "path"), cfg->path};
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	char **out = ax_calloc(16, sizeof(*out));
	size_t n = 0;
	for (size_t i = 0; store && i < 4; i++)
		out[n++] = ax_asprintf("%s%s", store, sfx[i]);
	for (size_t i = 0; i < 4; i++)
		if (more[i])
			out[n++] = ax_strdup(more[i]);
	/* the keys' default places (README, [privacy] and [signing]) */
	if (state) {
		out[n++] = ax_asprintf("%s/pseudonym.key", state);
		out[n++] = ax_asprintf("%s/signing.key", state);
	}
	return out;
}

static void free_paths(char **paths)
{
	for (size_t i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

/* [annexa] probe-user, else annexa-probe where the package made it. */
static const char *probe_user(const struct ax_config *cfg)
{
	const char *user = ax_config_get(cfg, "annexa", "probe-user");
	if (user)
		return user;
	return getpwnam("annexa-probe") ? "annexa-probe" : NULL;
}

/* The population files the runs left in their state folders
 * (population.h), one for each provenance artifact of ev; the provenance
 * names the hash the file must have. */
static size_t population_files(const char *state, const struct ax_evidence *ev, struct ax_store_file **out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = 0; state && i < ev->nartifacts; i++) {
		const struct ax_artifact *a = &ev->artifacts[i];
		char *name = ax_population_name_of(a->name);
		json_t *prov = name ? json_loadb(a->data.ptr, a->data.size, 0, NULL) : NULL;
		const char *sha = json_string_value(json_object_get(prov, "sha256"));
		char *dir = ax_asprintf("%s/%s", state, a->instance);
		int fd = -1;
		if (sha && strlen(sha) == 64 && ax_population_file_open(dir, a->name, &fd) == 0) {
			*out = ax_realloc(*out, (n + 1) * sizeof(**out));
			struct ax_store_file *f = &(*out)[n++];
			memset(f, 0, sizeof(*f));
			f->instance = a->instance;
			f->name = ax_asprintf(AX_POP_PREFIX "%s.csv", name);
			f->media_type = "text/csv";
			f->path = ax_asprintf("%s/" AX_POP_DIR "/%s.csv", dir, name);
			f->fd = fd;
			memcpy(f->sha256, sha, 65);
		} else if (name) {
			ax_warn("%s: population %s: its list is missing from %s: %s", a->instance, name, dir,
				ax_error_last());
		}
		json_decref(prov);
		free(dir);
		free(name);
	}
	return n;
}

/* What a run that died left in an instance's populations folder: a
 * partial list nobody will store, removed so it does not hold the disk. */
static void population_leftovers(const char *state, const struct ax_probe_instance *const *sel, size_t n)
{
	for (size_t i = 0; state && i < n; i++) {
		char *dir = ax_asprintf("%s/%s", state, sel[i]->name);
		/* the folder is the child's: a link planted as populations/ must
		 * not make the parent (perhaps root) delete elsewhere */
		int sfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int pfd = sfd < 0 ? -1 : openat(sfd, AX_POP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = pfd < 0 ? NULL : fdopendir(pfd);
		struct dirent *e;
		if (!d && pfd >= 0)
			close(pfd);
		if (sfd >= 0)
			close(sfd);
		while (d && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		if (d)
			closedir(d);
		free(dir);
	}
}

static void population_files_free(struct ax_store_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		close(files[i].fd);
		/* stored or not, it is of this run only */
		unlink(files[i].path);
		free((char *)files[i].name);
		free((char *)files[i].path);
	}
	free(files);
}

int ax_collect(const struct ax_config *cfg, struct ax_store *store, const char *const *only, size_t nonly,
	       struct ax_evidence *ev, struct ax_run_info *info)
{
	const struct ax_probe_instance **sel = ax_calloc(cfg->nprobes + 1, sizeof(*sel));
	struct ax_buf key = AX_BUF_INIT;
	struct ax_probe_key_facts facts = {0};
	struct stat kst;
	char *key_path = NULL;
	char **protect = NULL;
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < nonly; i++) {
		if (!ax_config_probe(cfg, only[i])) {
			err = ax_error_code(AX_ENOTFOUND, "%s: no probe instance named '%s'", cfg->path, only[i]);
			goto cleanup;
		}
	}
	for (size_t i = 0; i < cfg->nprobes; i++) {
		int want = nonly == 0;
		for (size_t j = 0; j < nonly && !want; j++)
			want = strcmp(only[j], cfg->probes[i].name) == 0;
		if (want)
			sel[n++] = &cfg->probes[i];
	}
	const char *state = ax_config_get(cfg, "annexa", "state-dir");
	if (state && mkdir(state, 0700) < 0 && errno != EEXIST) {
		err = ax_error_set("[annexa] state-dir %s: %s", state, strerror(errno));
		goto cleanup;
	}
	if ((err = ax_collect_load_pseudonym_key(cfg, 1, &key, &key_path)) < 0)
		goto cleanup;
	/* what the probes that pseudonymise report on (privacy.pseudonym_key) */
	if (stat(key_path, &kst) == 0) {
		facts.path = key_path;
		facts.mode = (unsigned)kst.st_mode & 07777u;
		facts.size = (int64_t)kst.st_size;
		facts.generated = ax_config_get(cfg, "privacy", "pseudonym-key-file") == NULL;
	}
	int64_t parallel = ax_config_get_int(cfg, "annexa", "parallel");
	protect = protected_paths(cfg);
	struct ax_runner_opts opts = {
		.pseudonym_key = (const unsigned char *)key.ptr,
		.keylen = key.size,
		.key_facts = &facts,
		.state_root = state,
		.now = ax_now(),
		.parallel = parallel > 0 ? (int)parallel : AX_DEFAULT_PARALLEL,
		.protect = (const char *const *)protect,
		.require_sandbox = ax_config_get_int(cfg, "annexa", "require-sandbox") == 1,
		.probe_user = probe_user(cfg),
		.show_user_names = ax_config_get_int(cfg, "privacy", "show-user-names") == 1,
	};
#if ANNEXA_TEST_CLOCK
	/* test builds only: a kernel without Landlock, or no confinement at
	 * all (bench/sandbox.sh) */
	const char *test_sb = getenv("ANNEXA_TEST_SANDBOX");
	opts.landlock_off = test_sb && (strcmp(test_sb, "no-landlock") == 0 || strcmp(test_sb, "off") == 0);
	opts.seccomp_off = test_sb && strcmp(test_sb, "off") == 0;
#endif
	if ((err = ax_runner_run(sel, n, &opts, ev)) < 0)
		goto cleanup;
	struct ax_store_file *files = NULL;
	size_t nfiles = population_files(state, ev, &files);
	err = ax_store_commit_run_files(store, "collect", opts.now, ax_now(), ev, files, nfiles, info);
	population_files_free(files, nfiles);
	population_leftovers(state, sel, n);
cleanup:
	if (key.ptr)
		memset(key.ptr, 0, key.size);
	ax_buf_free(&key);
	free(key_path);
	free_paths(protect);
	free(sel);
	return err;
}
