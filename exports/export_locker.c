/* export_locker.c - `annexa export --locker REPO`: one bundle for many
 * sites from the evidence locker's collectors/NAME branches.
 *
 * The locker's runs are replayed (ax_locker_import) into a temporary store
 * in a folder made with mkdtemp under $TMPDIR (or /tmp), which is then
 * exported like any store; the folder is removed whole afterwards,
 * whatever happened. The bundle's manifest names the repository, each
 * collector (branch) and how many of the bundle's runs came from it.
 *
 * Guarantees: the configured store is never opened or changed; the
 * temporary store is private (mode 0700 folder) and never outlives the
 * command (ax_export_locker_free removes it, also after a failed import). */
#include "export.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "locker.h"
#include "log.h"
#include "util.h"

#define BRANCH_PREFIX "refs/heads/collectors/"

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return ax_error_set("locker: %s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The collectors' names: the collectors/NAME branches, sorted. */
static int list_collectors(const char *repo_path, struct ax_export_locker *l)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int err = 0;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_reference_iterator_glob_new(&it, repo, BRANCH_PREFIX "*") < 0) {
		err = git_fail(repo_path);
		goto cleanup;
	}
	while (git_reference_next(&ref, it) == 0) {
		l->collectors = ax_realloc(l->collectors, (l->ncollectors + 1) * sizeof(*l->collectors));
		l->collectors[l->ncollectors++] = ax_strdup(git_reference_name(ref) + strlen(BRANCH_PREFIX));
		git_reference_free(ref);
	}
	if (l->ncollectors)
		qsort(l->collectors, l->ncollectors, sizeof(*l->collectors), cmp_cstr);
cleanup:
	git_reference_iterator_free(it);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return err;
}

static int is_repository(const char *path)
{
	git_libgit2_init();
	int ok = git_repository_open_ext(NULL, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0;
	git_libgit2_shutdown();
	return ok;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int ax_export_locker_open(const char *repo_path, struct ax_export_locker **out)
{
	struct ax_export_locker *l = ax_calloc(1, sizeof(*l));
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int err = 0;

	*out = NULL;
	l->repository = ax_strdup(repo_path);
	if (stat(repo_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err = ax_error_code(AX_EINVALID, "--locker %s: %s", repo_path,
				    errno == ENOENT ? "no such folder" : "not a git repository folder");
		goto cleanup;
	}
	l->dir = ax_asprintf("%s/annexa-locker-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(l->dir)) {
		err = ax_error_set("cannot create a temporary folder %s: %s", l->dir, strerror(errno));
		free(l->dir);
		l->dir = NULL;
		goto cleanup;
	}
	char *db = ax_asprintf("%s/locker.db", l->dir);
	err = ax_store_open(&l->store, db);
	free(db);
	if (err < 0)
		goto cleanup;
	if ((err = ax_locker_import(repo_path, l->store, &l->nbranches, &l->commits)) < 0) {
		/* a folder that is no repository, or holds no collectors/NAME
		 * branch, is the user's mistake, not a runtime failure */
		if (err == AX_ENOTFOUND || !is_repository(repo_path))
			err = AX_EINVALID;
		ax_error_prefix("--locker %s", repo_path);
		goto cleanup;
	}
	err = list_collectors(repo_path, l);
cleanup:
	if (err < 0) {
		ax_export_locker_free(l);
		return err;
	}
	*out = l;
	return 0;
}

void ax_export_locker_free(struct ax_export_locker *l)
{
	if (!l)
		return;
	ax_store_free(l->store);
	if (l->dir && nftw(l->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) < 0)
		ax_warn("could not remove the temporary store %s: %s", l->dir, strerror(errno));
	for (size_t i = 0; i < l->ncollectors; i++)
		free(l->collectors[i]);
	free(l->collectors);
	free(l->repository);
	free(l->dir);
	free(l);
}

/* The collector a replayed run came from: each carries one artifact of
 * instance "NAME--locker" (its locker-run.json, see locker_import.c). */
static const char *run_collector(const struct ax_export_data *d, int64_t run_id, size_t *len)
{
	for (size_t i = 0; i < d->nlinks; i++) {
		const char *inst = d->artifacts[d->links[i].artifact].instance;
		size_t n = strlen(inst);
		if (d->links[i].run_id == run_id && n > 8 && strcmp(inst + n - 8, "--locker") == 0) {
			*len = n - 8;
			return inst;
		}
	}
	return NULL;
}

json_t *ax_export_locker_json(const struct ax_export_data *d)
{
	const struct ax_export_locker *l = d->locker;
	size_t *runs = ax_calloc(l->ncollectors + 1, sizeof(*runs));
	json_t *collectors = json_array();
	for (size_t r = 0; r < d->nruns; r++) {
		size_t len = 0;
		const char *name = run_collector(d, d->runs[r].id, &len);
		for (size_t c = 0; name && c < l->ncollectors; c++)
			if (strlen(l->collectors[c]) == len && strncmp(l->collectors[c], name, len) == 0)
				runs[c]++;
	}
	for (size_t c = 0; c < l->ncollectors; c++)
		json_array_append_new(collectors, json_pack("{s:s,s:I}", "name", l->collectors[c], "runs",
							    (json_int_t)runs[c]));
	free(runs);
	return json_pack("{s:s,s:o,s:I,s:I}", "repository", l->repository, "collectors", collectors, "runs",
			 (json_int_t)d->nruns, "commits_replayed", (json_int_t)l->commits);
}
