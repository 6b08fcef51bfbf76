/* collect.c - one collection run, committed whole or not at all. */
#include "collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "config.h"
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

int ax_collect(const struct ax_config *cfg, struct ax_store *store, const char *const *only, size_t nonly,
	       struct ax_evidence *ev, struct ax_run_info *info)
{
	const struct ax_probe_instance **sel = ax_calloc(cfg->nprobes + 1, sizeof(*sel));
	struct ax_buf key = AX_BUF_INIT;
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
	if ((err = ax_collect_load_pseudonym_key(cfg, 1, &key, NULL)) < 0)
		goto cleanup;
	int64_t parallel = ax_config_get_int(cfg, "annexa", "parallel");
	struct ax_runner_opts opts = {
		.pseudonym_key = (const unsigned char *)key.ptr,
		.keylen = key.size,
		.state_root = state,
		.now = ax_now(),
		.parallel = parallel > 0 ? (int)parallel : AX_DEFAULT_PARALLEL,
	};
	if ((err = ax_runner_run(sel, n, &opts, ev)) < 0)
		goto cleanup;
	err = ax_store_commit_run(store, "collect", opts.now, ax_now(), ev, info);
cleanup:
	if (key.ptr)
		memset(key.ptr, 0, key.size);
	ax_buf_free(&key);
	free(sel);
	return err;
}
