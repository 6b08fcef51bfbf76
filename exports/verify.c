/* verify.c - `annexa verify`: checks a bundle the way an auditor would,
 * and names the first problem.
 *
 * Order: the ZIP is read once (libarchive, every entry hashed as it
 * streams, sizes and entry counts bounded, unsafe names refused); then the
 * CMS signature over manifest.json (against signer.pem with "purpose any"
 * semantics, or against --ca for a real trust decision); then every file
 * against the manifest (missing, changed, extra); then the ledger chain of
 * ledger.json and each run's content hash recomputed from results.jsonl
 * (whose manual evidence lines are checked against the files they name);
 * then the optional RFC 3161 time stamp. Malformed input of any kind is an
 * invalid bundle (AX_EINVALID), never a crash. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util.h"

#define SMALL_MAX (1 << 20)          /* signature, certificates, time stamp */
#define META_MAX (512LL << 20)       /* manifest, ledger.json, results.jsonl */

struct entry {
	char *path;
	int64_t size;
	char sha256[65];
	int listed;
};

struct vctx {
	const struct ax_verify_opts *o;
	struct ax_verify_report *rep;
	struct entry *e;
	size_t n, a;
	struct ax_buf manifest, sig, signer, tsr, ledger, results;
	int has_manifest, has_sig, has_signer, has_tsr, has_ledger, has_results;
};

static int invalid(const char *fmt, const char *a, const char *b)
{
	return ax_error_code(AX_EINVALID, fmt, a, b);
}

int ax_bundle_path_valid(const char *path)
{
	size_t len = strlen(path);
	if (len == 0 || len > 1024 || path[0] == '/')
		return 0;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '\\')
			return 0;
	for (const char *c = path; c;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c = end ? end + 1 : NULL;
	}
	return 1;
}

/* The buffer an entry's bytes are kept in, with its limit, or NULL. */
static struct ax_buf *keep_for(struct vctx *v, const char *name, int64_t *max, int **flag)
{
	static const struct {
		const char *name;
		size_t buf, flag;
		int64_t max;
	} k[] = {
		{"manifest.json", offsetof(struct vctx, manifest), offsetof(struct vctx, has_manifest), META_MAX},
		{"manifest.json.sig", offsetof(struct vctx, sig), offsetof(struct vctx, has_sig), SMALL_MAX},
		{"signer.pem", offsetof(struct vctx, signer), offsetof(struct vctx, has_signer), SMALL_MAX},
		{"manifest.json.sig.tsr", offsetof(struct vctx, tsr), offsetof(struct vctx, has_tsr), SMALL_MAX},
		{"ledger.json", offsetof(struct vctx, ledger), offsetof(struct vctx, has_ledger), META_MAX},
		{"results.jsonl", offsetof(struct vctx, results), offsetof(struct vctx, has_results), META_MAX},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (strcmp(name, k[i].name) == 0) {
			*max = k[i].max;
			*flag = (int *)((char *)v + k[i].flag);
			return (struct ax_buf *)((char *)v + k[i].buf);
		}
	}
	return NULL;
}

static int read_entry(struct vctx *v, struct archive *ar, struct archive_entry *ae, int64_t *total)
{
	const char *name = archive_entry_pathname(ae);
	int64_t max_entry = v->o->max_entry_size ? v->o->max_entry_size : (4LL << 30);
	int64_t max_total = v->o->max_total_size ? v->o->max_total_size : (64LL << 30);
	int64_t keep_max = 0, size = 0;
	int *flag = NULL;
	unsigned char md[32], chunk[65536];
	la_ssize_t n;

	if (!name || !ax_bundle_path_valid(name))
		return invalid("bundle entry '%.200s' has an unsafe name%s", name ? name : "(none)", "");
	if (archive_entry_filetype(ae) == AE_IFDIR)
		return 0;
	if (archive_entry_filetype(ae) != AE_IFREG)
		return invalid("bundle entry %s is not a regular file%s", name, "");
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->e[i].path, name) == 0)
			return invalid("bundle entry %s appears twice%s", name, "");
	struct ax_buf *keep = keep_for(v, name, &keep_max, &flag);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		size += n;
		*total += n;
		if (size > max_entry || *total > max_total || (keep && size > keep_max)) {
			EVP_MD_CTX_free(ctx);
			return invalid("bundle entry %s is larger than the verifier's limit%s", name, "");
		}
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		if (keep)
			ax_buf_put(keep, chunk, (size_t)n);
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	if (n < 0)
		return invalid("bundle entry %s cannot be read: %s", name, archive_error_string(ar));
	if (keep)
		*flag = 1;
	if (v->n == v->a) {
		v->a = v->a ? 2 * v->a : 64;
		v->e = ax_realloc(v->e, v->a * sizeof(*v->e));
	}
	struct entry *e = &v->e[v->n++];
	memset(e, 0, sizeof(*e));
	e->path = ax_strdup(name);
	e->size = size;
	ax_hex(md, 32, e->sha256);
	return 0;
}

static int read_zip(struct vctx *v, struct archive *ar)
{
	struct archive_entry *ae;
	int64_t total = 0, max_entries = v->o->max_entries ? v->o->max_entries : 1000000;
	int r, err;
	while ((r = archive_read_next_header(ar, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if ((int64_t)v->n >= max_entries)
			return invalid("bundle has more entries than the verifier's limit%s%s", "", "");
		if ((err = read_entry(v, ar, ae, &total)) < 0)
			return err;
	}
	if (r != ARCHIVE_EOF)
		return invalid("bundle is not a readable ZIP: %s%s", archive_error_string(ar), "");
	return 0;
}

static const char *ssl_err(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();
	if (!e)
		return "no detail";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static STACK_OF(X509) *pem_certs(const char *data, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	ERR_clear_error();
	BIO_free(bio);
	return sk;
}

static void describe(X509 *x, struct ax_buf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	X509_digest(x, EVP_sha256(), md, &mdlen);
	ax_hex(md, mdlen, hex);
	ax_buf_clear(out);
	ax_buf_printf(out, "%s (SHA-256 fingerprint %s)", subject ? subject : "?", hex);
	OPENSSL_free(subject);
}

static int check_signature(struct vctx *v)
{
	STACK_OF(X509) *bundled = pem_certs(v->signer.ptr, v->signer.size), *anchors = NULL, *signers = NULL;
	X509_STORE *store = X509_STORE_new();
	const unsigned char *p = (const unsigned char *)v->sig.ptr;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)v->sig.size);
	BIO *content = BIO_new_mem_buf(v->manifest.ptr, (int)v->manifest.size);
	int err = 0;

	if (sk_X509_num(bundled) == 0) {
		err = invalid("signer.pem holds no PEM certificate%s%s", "", "");
		goto cleanup;
	}
	if (!cms) {
		err = invalid("manifest.json.sig is not a DER CMS signature: %s%s", ssl_err(), "");
		goto cleanup;
	}
	if (v->o->ca_path) {
		struct ax_buf ca = AX_BUF_INIT;
		if ((err = ax_file_read(v->o->ca_path, SMALL_MAX, &ca)) < 0)
			goto cleanup;
		anchors = pem_certs(ca.ptr, ca.size);
		ax_buf_free(&ca);
		if (sk_X509_num(anchors) == 0) {
			err = ax_error_code(AX_ENOTFOUND, "--ca %s holds no PEM certificate", v->o->ca_path);
			goto cleanup;
		}
	}
	STACK_OF(X509) *trust = anchors ? anchors : bundled;
	for (int i = 0; i < sk_X509_num(trust); i++)
		X509_STORE_add_cert(store, sk_X509_value(trust, i));
	/* `openssl cms -verify -purpose any`: the certificate's intended use
	 * is not checked, its chain and the signature are. */
	X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
	if (CMS_verify(cms, bundled, store, content, NULL, CMS_BINARY) != 1) {
		err = invalid("manifest.json.sig: signature does not verify against %s: %s",
			      anchors ? v->o->ca_path : "the bundled signer.pem", ssl_err());
		goto cleanup;
	}
	v->rep->trusted_ca = anchors != NULL;
	/* The certificates inside the signature are outside what it signs:
	 * they must be exactly those of signer.pem, or a changed byte in them
	 * would go unnoticed. */
	STACK_OF(X509) *inner = CMS_get1_certs(cms);
	for (int i = 0; i < sk_X509_num(inner) && !err; i++) {
		int same = 0;
		for (int k = 0; k < sk_X509_num(bundled) && !same; k++)
			same = X509_cmp(sk_X509_value(inner, i), sk_X509_value(bundled, k)) == 0;
		if (!same)
			err = invalid("manifest.json.sig carries a certificate that is not in signer.pem%s%s", "", "");
	}
	sk_X509_pop_free(inner, X509_free);
	if (err)
		goto cleanup;
	signers = CMS_get0_signers(cms);
	if (signers && sk_X509_num(signers) > 0)
		describe(sk_X509_value(signers, 0), &v->rep->signer);
cleanup:
	sk_X509_free(signers);
	sk_X509_pop_free(bundled, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	return err;
}

static struct entry *find_entry(struct vctx *v, const char *path)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->e[i].path, path) == 0)
			return &v->e[i];
	return NULL;
}

static int hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static int check_files(struct vctx *v, json_t *man)
{
	json_t *files = json_object_get(man, "files"), *f;
	size_t i;
	if (!json_is_array(files))
		return invalid("manifest.json has no \"files\" list%s%s", "", "");
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_t *size = json_object_get(f, "size");
		if (!path || !hex64(sha) || !json_is_integer(size) || !ax_bundle_path_valid(path))
			return invalid("manifest.json: file entry %s is malformed%s", path ? path : "(no path)", "");
		if (strcmp(path, "manifest.json") == 0 || strcmp(path, "manifest.json.sig") == 0)
			return invalid("manifest.json lists %s, which it cannot cover%s", path, "");
		struct entry *e = find_entry(v, path);
		if (!e)
			return invalid("%s is listed in manifest.json but missing from the bundle%s", path, "");
		if (e->listed)
			return invalid("manifest.json lists %s twice%s", path, "");
		e->listed = 1;
		if (e->size != json_integer_value(size) || strcmp(e->sha256, sha) != 0)
			return invalid("%s has been changed: its SHA-256 or size differs from manifest.json%s", path,
				       "");
		v->rep->files++;
	}
	for (size_t k = 0; k < v->n; k++) {
		const char *p = v->e[k].path;
		if (!v->e[k].listed && strcmp(p, "manifest.json") && strcmp(p, "manifest.json.sig") &&
		    strcmp(p, "manifest.json.sig.tsr"))
			return invalid("%s is in the bundle but not listed in manifest.json (file added)%s", p, "");
	}
	return 0;
}

/* results.jsonl parsed: all results, and the run of each. */
struct parsed_results {
	struct ax_evidence ev;
	int64_t *run;
	size_t *order; /* indices sorted by run */
};

static int cmp_by_run(const void *a, const void *b, void *arg)
{
	const int64_t *run = arg;
	int64_t x = run[*(const size_t *)a], y = run[*(const size_t *)b];
	if (x != y)
		return x < y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* A manual evidence line of results.jsonl (export_manual.c): belongs to
 * no run; every file it names must be a listed bundle file with the
 * SHA-256 and size it records. */
static int check_manual_line(struct vctx *v, json_t *j, size_t lineno)
{
	const char *id = json_string_value(json_object_get(j, "id"));
	json_t *ev = json_object_get(j, "evidence"), *f;
	size_t i;
	if (!id || !json_is_array(ev) || !json_is_array(json_object_get(j, "controls")))
		return ax_error_code(AX_EINVALID, "results.jsonl line %zu: malformed manual evidence", lineno);
	json_array_foreach(ev, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_t *size = json_object_get(f, "size");
		if (!path || !hex64(sha) || !json_is_integer(size))
			return ax_error_code(AX_EINVALID, "results.jsonl line %zu: manual evidence %.40s: malformed file",
					     lineno, id);
		struct entry *e = find_entry(v, path);
		if (!e || !e->listed || strcmp(e->sha256, sha) != 0 || e->size != json_integer_value(size))
			return ax_error_code(AX_EINVALID,
					     "results.jsonl line %zu: manual evidence %.40s: %s does not match the bundle's file",
					     lineno, id, path);
	}
	return 0;
}

static int parse_results(struct vctx *v, struct parsed_results *pr)
{
	char *line = v->results.ptr, *end = v->results.ptr + v->results.size;
	size_t lineno = 0;
	while (line && line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		json_error_t jerr;
		lineno++;
		json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		line = nl ? nl + 1 : NULL;
		json_t *kind = json_object_get(j, "kind");
		if (kind) {
			int err = json_is_string(kind) && strcmp(json_string_value(kind), "manual") == 0
					  ? check_manual_line(v, j, lineno)
					  : ax_error_code(AX_EINVALID, "results.jsonl line %zu: unknown kind", lineno);
			json_decref(j);
			if (err < 0)
				return err;
			continue;
		}
		json_t *obs = json_object_get(j, "observed"), *run = json_object_get(j, "run");
		const char *inst = json_string_value(json_object_get(j, "instance"));
		const char *type = json_string_value(json_object_get(j, "probe_type"));
		const char *check = json_string_value(json_object_get(j, "check"));
		const char *status = json_string_value(json_object_get(j, "status"));
		const char *msg = json_string_value(json_object_get(j, "message"));
		const char *at = json_string_value(json_object_get(j, "collected_at"));
		enum ax_check_status st;
		int64_t t = 0;
		char *obs_text = NULL;
		if (!j || !json_is_integer(run) || !inst || !type || !check || !msg || !at || !obs ||
		    ax_check_status_parse(status ? status : "", &st) < 0 || ax_time_parse(at, &t) < 0) {
			json_decref(j);
			return ax_error_code(AX_EINVALID, "results.jsonl line %zu is malformed", lineno);
		}
		if (json_is_object(obs))
			obs_text = json_dumps(obs, JSON_COMPACT | JSON_SORT_KEYS);
		else if (json_is_string(obs))
			obs_text = strdup(json_string_value(obs));
		if (!obs_text) {
			json_decref(j);
			return ax_error_code(AX_EINVALID, "results.jsonl line %zu: bad \"observed\"", lineno);
		}
		ax_evidence_add_result(&pr->ev, inst, type, check, st, msg, obs_text, t);
		free(obs_text);
		pr->run = ax_realloc(pr->run, pr->ev.nresults * sizeof(*pr->run));
		pr->run[pr->ev.nresults - 1] = (int64_t)json_integer_value(run);
		json_decref(j);
	}
	pr->order = ax_calloc(pr->ev.nresults + 1, sizeof(*pr->order));
	for (size_t i = 0; i < pr->ev.nresults; i++)
		pr->order[i] = i;
	qsort_r(pr->order, pr->ev.nresults, sizeof(*pr->order), cmp_by_run, pr->run);
	return 0;
}

/* Recomputes one run's content hash from results.jsonl and its artifact
 * list, checking each artifact is the bundle file of the same hash. */
static int run_content(struct vctx *v, json_t *run, int64_t id, const struct parsed_results *pr, size_t *next,
		       char out[65], struct ax_evidence *ev_out)
{
	struct ax_evidence ev = {0};
	json_t *arts = json_object_get(run, "artifacts"), *a;
	int64_t *sizes = NULL, started = 0, finished = 0;
	const char *kind = json_string_value(json_object_get(run, "kind"));
	const char *s_at = json_string_value(json_object_get(run, "started_at"));
	const char *f_at = json_string_value(json_object_get(run, "finished_at"));
	struct ax_buf json = AX_BUF_INIT;
	size_t i;
	int err = 0;
	char idtxt[32];
	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)id);

	if (!kind || !s_at || !f_at || ax_time_parse(s_at, &started) < 0 || ax_time_parse(f_at, &finished) < 0 ||
	    !json_is_array(arts)) {
		err = invalid("ledger.json: run %s is malformed%s", idtxt, "");
		goto cleanup;
	}
	/* this run's results: the sorted range starting at *next */
	while (*next < pr->ev.nresults && pr->run[pr->order[*next]] < id)
		(*next)++;
	for (; *next < pr->ev.nresults && pr->run[pr->order[*next]] == id; (*next)++) {
		const struct ax_result *r = &pr->ev.results[pr->order[*next]];
		ax_evidence_add_result(&ev, r->instance, r->probe_type, r->check, r->status, r->message, r->observed,
				       r->collected_at);
	}
	sizes = ax_calloc(json_array_size(arts) + 1, sizeof(*sizes));
	json_array_foreach(arts, i, a) {
		const char *inst = json_string_value(json_object_get(a, "instance"));
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *mt = json_string_value(json_object_get(a, "media_type"));
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		const char *path = json_string_value(json_object_get(a, "path"));
		json_t *size = json_object_get(a, "size");
		struct entry *e = path ? find_entry(v, path) : NULL;
		if (!inst || !name || !mt || !hex64(sha) || !json_is_integer(size) || !path) {
			err = invalid("ledger.json: run %s: an artifact entry is malformed%s", idtxt, "");
			goto cleanup;
		}
		if (!e || !e->listed || strcmp(e->sha256, sha) != 0 || e->size != json_integer_value(size)) {
			err = invalid("ledger.json: run %s: artifact %s does not match the bundle's file", idtxt, path);
			goto cleanup;
		}
		/* descriptor only: the hash covers the size, not the bytes */
		ax_evidence_add_artifact(&ev, inst, name, mt, "", 0);
		memcpy(ev.artifacts[ev.nartifacts - 1].sha256, sha, 65);
		sizes[i] = json_integer_value(size);
	}
	ax_ledger_content_json(id, kind, started, finished, &ev, sizes, &json);
	ax_sha256_hex(json.ptr, json.size, out);
	*ev_out = ev; /* the caller's now (its prune records) */
	memset(&ev, 0, sizeof(ev));
cleanup:
	ax_buf_free(&json);
	ax_evidence_free(&ev);
	free(sizes);
	return err;
}

/* The fields of a ledger.json run the ledger walk checks (time, prunes). */
static int run_info(json_t *run, int64_t id, struct ax_run_info *info)
{
	const char *kind = json_string_value(json_object_get(run, "kind"));
	const char *s_at = json_string_value(json_object_get(run, "started_at"));
	const char *f_at = json_string_value(json_object_get(run, "finished_at"));
	memset(info, 0, sizeof(*info));
	info->id = id;
	info->pruned = json_is_true(json_object_get(run, "pruned"));
	if (!kind || strlen(kind) >= sizeof(info->kind) || !s_at || !f_at || ax_time_parse(s_at, &info->started_at) < 0 ||
	    ax_time_parse(f_at, &info->finished_at) < 0)
		return -1;
	memcpy(info->kind, kind, strlen(kind) + 1);
	return 0;
}

static int check_ledger(struct vctx *v, json_t *man)
{
	json_error_t jerr;
	json_t *led = json_loadb(v->ledger.ptr, v->ledger.size, JSON_REJECT_DUPLICATES, &jerr), *runs, *run;
	struct parsed_results pr = {0};
	struct ax_ledger_walk *walk = ax_ledger_walk_new();
	const char *prev = NULL;
	int64_t last_id = 0;
	size_t i, next = 0;
	int err = 0;

	runs = json_object_get(led, "runs");
	if (!json_is_array(runs)) {
		err = invalid("ledger.json is not a ledger excerpt (line %s)%s", "?", "");
		goto cleanup;
	}
	if ((err = parse_results(v, &pr)) < 0)
		goto cleanup;
	json_array_foreach(runs, i, run) {
		json_t *jid = json_object_get(run, "id");
		const char *p = json_string_value(json_object_get(run, "prev_hash"));
		const char *c = json_string_value(json_object_get(run, "content_sha256"));
		const char *h = json_string_value(json_object_get(run, "hash"));
		char idtxt[32], want[65], content[65];
		int64_t id = json_integer_value(jid);
		snprintf(idtxt, sizeof(idtxt), "%lld", (long long)id);
		if (!json_is_integer(jid) || !hex64(p) || !hex64(c) || !hex64(h) || (i > 0 && id <= last_id)) {
			err = invalid("ledger.json: run %s is malformed or out of order%s", idtxt, "");
			goto cleanup;
		}
		if (prev && strcmp(prev, p) != 0) {
			err = invalid("ledger.json: run %s: prev_hash is not the hash of the run before it%s", idtxt, "");
			goto cleanup;
		}
		ax_ledger_chain_hash(p, c, want);
		if (strcmp(want, h) != 0) {
			err = invalid("ledger.json: run %s: hash does not match SHA-256(prev_hash:content_sha256)%s",
				      idtxt, "");
			goto cleanup;
		}
		struct ax_evidence ev = {0};
		struct ax_run_info info;
		if (run_info(run, id, &info) < 0) {
			err = invalid("ledger.json: run %s is malformed%s", idtxt, "");
			goto cleanup;
		}
		if (!info.pruned) {
			if ((err = run_content(v, run, id, &pr, &next, content, &ev)) < 0)
				goto cleanup;
			if (strcmp(content, c) != 0) {
				ax_evidence_free(&ev);
				err = invalid("ledger.json: run %s: content_sha256 does not match its results in "
					      "results.jsonl and its artifacts%s", idtxt, "");
				goto cleanup;
			}
			v->rep->runs_content++;
		}
		const char *why = ax_ledger_walk_run(walk, &info, info.pruned ? NULL : &ev);
		ax_evidence_free(&ev);
		if (why) {
			err = invalid("ledger.json: run %s: %s", idtxt, why);
			goto cleanup;
		}
		prev = h;
		last_id = id;
		v->rep->runs++;
	}
	/* every result belongs to a run of the excerpt */
	for (size_t k = 0; k < pr.ev.nresults; k++) {
		int found = 0;
		json_array_foreach(runs, i, run)
			if (json_integer_value(json_object_get(run, "id")) == pr.run[k]) {
				found = 1;
				break;
			}
		if (!found) {
			err = invalid("results.jsonl holds a result of a run that ledger.json lacks%s%s", "", "");
			goto cleanup;
		}
	}
	/* the signed manifest names the excerpt's ends */
	json_t *ml = json_object_get(man, "ledger");
	const char *last = json_string_value(json_object_get(ml, "last_hash"));
	if ((prev || last) && (!prev || !last || strcmp(prev, last) != 0)) {
		err = invalid("ledger.json does not end at the ledger hash manifest.json names%s%s", "", "");
		goto cleanup;
	}
	/* pruned runs: listed by a prune run of the excerpt, or (when the
	 * excerpt ends before the store's head) perhaps by a later one */
	const char *head = json_string_value(json_object_get(ml, "store_head"));
	struct ax_ledger_report lrep = {0};
	int64_t bad = 0;
	const char *why = ax_ledger_walk_end(walk, !prev || (head && strcmp(prev, head) == 0), &lrep, &bad);
	if (why) {
		char badtxt[32];
		snprintf(badtxt, sizeof(badtxt), "%lld", (long long)bad);
		err = invalid("ledger.json: run %s: %s", badtxt, why);
		goto cleanup;
	}
	v->rep->runs_pruned_covered = lrep.pruned_covered;
	v->rep->runs_pruned_legacy = lrep.pruned_legacy;
	v->rep->runs_pruned_unknown = lrep.pruned_unknown;
cleanup:
	ax_ledger_walk_free(walk);
	ax_evidence_free(&pr.ev);
	free(pr.run);
	free(pr.order);
	json_decref(led);
	return err;
}

static int verify_archive(struct vctx *v, struct archive *ar)
{
	json_error_t jerr;
	json_t *man = NULL;
	int err;
	if ((err = read_zip(v, ar)) < 0)
		goto cleanup;
	if (!v->has_manifest || !v->has_sig || !v->has_signer) {
		err = invalid("%s is missing from the bundle%s",
			      !v->has_manifest ? "manifest.json" : !v->has_sig ? "manifest.json.sig" : "signer.pem", "");
		goto cleanup;
	}
	if ((err = check_signature(v)) < 0)
		goto cleanup;
	if (!(man = json_loadb(v->manifest.ptr, v->manifest.size, JSON_REJECT_DUPLICATES, &jerr))) {
		err = invalid("manifest.json is not JSON: %s%s", jerr.text, "");
		goto cleanup;
	}
	if ((err = check_files(v, man)) < 0)
		goto cleanup;
	if (!v->has_ledger || !v->has_results) {
		err = invalid("%s is missing from the bundle%s", v->has_ledger ? "results.jsonl" : "ledger.json", "");
		goto cleanup;
	}
	if ((err = check_ledger(v, man)) < 0)
		goto cleanup;
	if (v->has_tsr) {
		v->rep->has_tsr = 1;
		err = ax_tsa_check(v->tsr.ptr, v->tsr.size, v->sig.ptr, v->sig.size, NULL, v->o->tsa_ca_path,
				   &v->rep->tsr_time, &v->rep->tsr_ca_checked);
		if (err == AX_ERROR || err == AX_EINVALID) {
			ax_error_prefix("manifest.json.sig.tsr");
			err = AX_EINVALID;
		}
	}
cleanup:
	json_decref(man);
	return err;
}

static void vctx_free(struct vctx *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->e[i].path);
	free(v->e);
	ax_buf_free(&v->manifest);
	ax_buf_free(&v->sig);
	ax_buf_free(&v->signer);
	ax_buf_free(&v->tsr);
	ax_buf_free(&v->ledger);
	ax_buf_free(&v->results);
}

static int verify_with(struct archive *ar, int opened, const char *what, const struct ax_verify_opts *opts,
		       struct ax_verify_report *rep)
{
	static const struct ax_verify_opts defaults = {0};
	struct vctx v = {.o = opts ? opts : &defaults, .rep = rep};
	int err;
	memset(rep, 0, sizeof(*rep));
	if (!opened) {
		err = ax_error_code(AX_ENOTFOUND, "%s: %s", what, archive_error_string(ar));
		goto cleanup;
	}
	err = verify_archive(&v, ar);
cleanup:
	archive_read_free(ar);
	vctx_free(&v);
	ERR_clear_error();
	return err;
}

int ax_bundle_verify(const char *path, const struct ax_verify_opts *opts, struct ax_verify_report *rep)
{
	struct archive *ar = archive_read_new();
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		memset(rep, 0, sizeof(*rep));
		archive_read_free(ar);
		return ax_error_code(AX_ENOTFOUND, "%s: %s", path, strerror(e));
	}
	archive_read_support_format_zip(ar);
	int opened = archive_read_open_filename(ar, path, 65536) == ARCHIVE_OK;
	int err = verify_with(ar, opened, path, opts, rep);
	/* the file exists: if libarchive cannot open it, it is no bundle */
	return err == AX_ENOTFOUND && !opened ? AX_EINVALID : err;
}

int ax_bundle_verify_mem(const void *data, size_t len, const struct ax_verify_opts *opts,
			 struct ax_verify_report *rep)
{
	struct archive *ar = archive_read_new();
	archive_read_support_format_zip(ar);
	int opened = archive_read_open_memory(ar, data, len) == ARCHIVE_OK;
	int err = verify_with(ar, opened, "bundle", opts, rep);
	/* in memory, "cannot open" means "not a ZIP": that is invalid input */
	return err == AX_ENOTFOUND ? AX_EINVALID : err;
}

void ax_verify_report_free(struct ax_verify_report *rep)
{
	if (rep)
		ax_buf_free(&rep->signer);
}
