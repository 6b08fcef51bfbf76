/* verify.c - `annexa verify`: checks a bundle the way an auditor would,
 * and names the first problem.
 *
 * Order: the ZIP structure (zipread.c: one reading, the one every ZIP tool
 * shares, or the file is refused); every entry name; every entry streamed
 * once and hashed (only the small signed files are kept); the CMS
 * signature over manifest.json (against signer.pem with "purpose any"
 * semantics, or against --ca for a real trust decision; an expired signer
 * is judged at the time of a checked RFC 3161 stamp, or named); every file
 * against the manifest (missing, changed, extra); then ledger.json and
 * results.jsonl, streamed again side by side: the chain, and each run's
 * content hash recomputed from its results (manual evidence lines are
 * checked against the files they name); then the time stamp.
 *
 * Memory stays bounded whatever the bundle declares: manifest.json is
 * capped by what annexa writes for that many entries and read one file
 * entry at a time (jsonsplit.c), ledger.json one run at a time,
 * results.jsonl one line at a time, and JSON whose structure is denser
 * than annexa's is refused before it is parsed.
 * Malformed input of any kind is an invalid bundle (AX_EINVALID), never a
 * crash. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "jsonsplit.h"
#include "ledger.h"
#include "progress.h"
#include "verify_period.h"
#include "verify_sample.h"
#include "util.h"
#include "x509.h"
#include "zipread.h"

#define SMALL_MAX (1 << 20)       /* signature, certificates, time stamp */
#define RUN_MAX (8 << 20)         /* one run of ledger.json (~24 000 artifacts) */
#define LINE_MAX_ (2 << 20)       /* one line of results.jsonl */
#define RUN_RESULTS_MAX (32 << 20) /* the results of one run */
#define PERIOD_MAX (64 << 20)     /* period.json: years of days for every control */

struct entry {
	char sha256[65];
	int listed;
};

struct vctx {
	const struct ax_verify_opts *o;
	struct ax_verify_report *rep;
	struct ax_zip *z;
	struct entry *e; /* parallel to the ZIP's entries */
	struct ax_buf manifest, sig, signer, tsr, period, sample, plan;
	int has_manifest, has_sig, has_signer, has_tsr, has_period, has_sample, has_plan;
	long ledger, results; /* entry indices, or -1 */
	int tsr_checked;      /* ax_tsa_check ran already */
	char last_hash[65];   /* manifest.json's ledger.last_hash, "" when none */
	char store_head[65];  /* manifest.json's ledger.store_head, "" when none */
	struct ax_period_bounds bounds; /* manifest.json's period and time, the first run: for period.json */
};

static int invalid(const char *fmt, const char *a, const char *b)
{
	return ax_error_code(AX_EINVALID, fmt, a, b);
}

/* ---- pass 1: every entry once, hashed ---- */

struct hashing {
	EVP_MD_CTX *md;
	struct ax_progress *p;
	struct ax_buf *keep;
	size_t keep_max;
	const char *name;
};

static int hash_chunk(void *arg, const void *data, size_t len)
{
	struct hashing *h = arg;
	EVP_DigestUpdate(h->md, data, len);
	ax_progress_bytes(h->p, len);
	if (h->keep) {
		if (h->keep->size + len > h->keep_max)
			return ax_error_code(AX_EINVALID, "bundle entry %s is larger than annexa writes it (%zu bytes at "
					     "most here)", h->name, h->keep_max);
		ax_buf_put(h->keep, data, len);
	}
	return 0;
}

/* The buffer an entry's bytes are kept in, with its limit, or NULL. */
static struct ax_buf *keep_for(struct vctx *v, const char *name, size_t manifest_max, size_t *max, int **flag)
{
	struct {
		const char *name;
		struct ax_buf *buf;
		int *flag;
		size_t max;
	} k[] = {
		{"manifest.json", &v->manifest, &v->has_manifest, manifest_max},
		{"manifest.json.sig", &v->sig, &v->has_sig, SMALL_MAX},
		{"signer.pem", &v->signer, &v->has_signer, SMALL_MAX},
		{"manifest.json.sig.tsr", &v->tsr, &v->has_tsr, SMALL_MAX},
		{"period.json", &v->period, &v->has_period, PERIOD_MAX},
		{"sample.json", &v->sample, &v->has_sample, PERIOD_MAX},
		{"oscal/assessment-plan.xml", &v->plan, &v->has_plan, PERIOD_MAX},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (strcmp(name, k[i].name) == 0) {
			*max = k[i].max;
			*flag = k[i].flag;
			return k[i].buf;
		}
	}
	return NULL;
}

/* manifest.json lists every file with path, size and SHA-256 in about
 * 140 bytes plus the path (escaped: twice at most): more is not annexa's. */
static size_t manifest_limit(const struct ax_zip *z)
{
	size_t max = 1 << 20;
	for (size_t i = 0; i < ax_zip_count(z); i++)
		max += 256 + 2 * strlen(ax_zip_get(z, i)->name);
	return max;
}

static int read_entries(struct vctx *v)
{
	size_t n = ax_zip_count(v->z), manifest_max = manifest_limit(v->z);
	unsigned char md[32];
	struct ax_progress p;
	int err = 0;
	v->e = ax_calloc(n + 1, sizeof(*v->e));
	for (size_t i = 0; i < n; i++) {
		const char *name = ax_zip_get(v->z, i)->name;
		if (!ax_bundle_path_valid(name))
			return invalid("bundle entry '%.200s' has an unsafe name%s", name, "");
	}
	/* a line only where hashing takes a while: small bundles stay quiet */
	int64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += (int64_t)ax_zip_get(v->z, i)->usize;
	ax_progress_start(&p, "verify", "files hashed", v->o && v->o->progress && bytes >= (64 << 20), n);
	for (size_t i = 0; i < n && !err; i++) {
		const char *name = ax_zip_get(v->z, i)->name;
		int *flag = NULL;
		struct hashing h = {.md = EVP_MD_CTX_new(), .p = &p, .name = name};
		h.keep = keep_for(v, name, manifest_max, &h.keep_max, &flag);
		EVP_DigestInit_ex(h.md, EVP_sha256(), NULL);
		err = ax_zip_read(v->z, i, hash_chunk, &h);
		EVP_DigestFinal_ex(h.md, md, NULL);
		EVP_MD_CTX_free(h.md);
		ax_hex(md, 32, v->e[i].sha256);
		if (!err && flag)
			*flag = 1;
		p.done++;
	}
	ax_progress_show(&p, 1);
	v->ledger = ax_zip_find(v->z, "ledger.json");
	v->results = ax_zip_find(v->z, "results.jsonl");
	v->rep->entries = n;
	return err;
}

/* ---- signature ---- */

static STACK_OF(X509) *pem_certs(const char *data, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	ax_pem_certs_read(bio, sk);
	BIO_free(bio);
	return sk;
}

static void describe(X509 *x, struct ax_verify_report *rep)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	X509_digest(x, EVP_sha256(), md, &mdlen);
	ax_hex(md, mdlen < 32 ? mdlen : 32, rep->fingerprint);
	ax_buf_clear(&rep->subject);
	ax_buf_puts(&rep->subject, subject ? subject : "?");
	ax_buf_clear(&rep->signer);
	ax_buf_printf(&rep->signer, "%s (SHA-256 fingerprint %s)", subject ? subject : "?", rep->fingerprint);
	OPENSSL_free(subject);
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;
	return t && ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

/* The earliest end of validity among certs that has passed at now, or 0. */
static int64_t expired_since(STACK_OF(X509) *certs, int64_t now)
{
	int64_t first = 0;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		int64_t end = asn1_time(X509_get0_notAfter(sk_X509_value(certs, i)));
		if (end && end < now && (!first || end < first))
			first = end;
	}
	return first;
}

/* The time stamp, checked now rather than last: its time is when an
 * expired signer has to be judged. */
static int stamp_time(struct vctx *v, int64_t *at)
{
	int err = ax_tsa_check(v->tsr.ptr, v->tsr.size, v->sig.ptr, v->sig.size, NULL, v->o->tsa_ca_path,
			       &v->rep->tsr_time, &v->rep->tsr_ca_checked);
	v->tsr_checked = 1;
	v->rep->has_tsr = 1;
	if (err == AX_ERROR || err == AX_EINVALID) {
		ax_error_prefix("manifest.json.sig.tsr");
		return AX_EINVALID;
	}
	*at = v->rep->tsr_time;
	return err;
}

/* When the certificates are checked: now, or, for a signer that has
 * expired since, the time of a stamp that proves the signature older. The
 * stamp's time counts when its TSA signature was checked (--tsa-ca), or
 * when no --ca is given: then the signer is the bundle's own claim anyway
 * and only integrity is checked. */
static int check_time(struct vctx *v, STACK_OF(X509) *bundled, STACK_OF(X509) *anchors, int64_t *at)
{
	int64_t now = ax_now(), exp = expired_since(bundled, now);
	int64_t exp_ca = anchors ? expired_since(anchors, now) : 0;
	char when[32];
	int err;
	if (exp_ca && (!exp || exp_ca < exp))
		exp = exp_ca;
	*at = now; /* annexa's clock (ANNEXA_NOW in tests), not OpenSSL's own */
	if (!exp)
		return 0;
	v->rep->signer_expired_at = exp;
	ax_time_format(exp, when);
	if (!v->has_tsr)
		return invalid("manifest.json.sig: the signer's certificate expired on %s and the bundle carries no "
			       "RFC 3161 time stamp proving it was signed before then%s", when, "");
	if ((err = stamp_time(v, at)) < 0)
		return err;
	if (v->o->ca_path && !v->rep->tsr_ca_checked)
		return invalid("manifest.json.sig: the signer's certificate expired on %s; the bundle's time stamp "
			       "would prove it was signed before then, but its TSA is not checked (give --tsa-ca)%s",
			       when, "");
	v->rep->checked_at = *at;
	return 0;
}

static int check_signature(struct vctx *v)
{
	STACK_OF(X509) *bundled = pem_certs(v->signer.ptr, v->signer.size), *anchors = NULL, *signers = NULL;
	X509_STORE *store = X509_STORE_new();
	const unsigned char *p = (const unsigned char *)v->sig.ptr;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)v->sig.size);
	BIO *content = BIO_new_mem_buf(v->manifest.ptr, (int)v->manifest.size);
	int64_t at = 0;
	int err = 0;

	if (sk_X509_num(bundled) == 0) {
		err = invalid("signer.pem holds no PEM certificate%s%s", "", "");
		goto cleanup;
	}
	if (!cms) {
		err = invalid("manifest.json.sig is not a DER CMS signature: %s%s", ax_ssl_err(), "");
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
	if ((err = check_time(v, bundled, anchors, &at)) < 0)
		goto cleanup;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)at);
	if (CMS_verify(cms, bundled, store, content, NULL, CMS_BINARY) != 1) {
		char when[64] = "", ts[32];
		ax_time_format(at, ts);
		if (v->rep->checked_at)
			snprintf(when, sizeof(when), " at the time stamp's time %s", ts);
		err = ax_error_code(AX_EINVALID, "manifest.json.sig: signature does not verify against %s%s: %s",
				    anchors ? v->o->ca_path : "the bundled signer.pem", when, ax_ssl_err());
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
		describe(sk_X509_value(signers, 0), v->rep);
cleanup:
	sk_X509_free(signers);
	sk_X509_pop_free(bundled, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	return err;
}

/* ---- files against the manifest ---- */

static struct entry *find_entry(struct vctx *v, const char *path, int64_t *size)
{
	long i = ax_zip_find(v->z, path);
	if (i < 0)
		return NULL;
	*size = (int64_t)ax_zip_get(v->z, (size_t)i)->usize;
	return &v->e[i];
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

/* One element of manifest.json's "files". */
static int check_file(void *arg, const char *text, size_t len)
{
	struct vctx *v = arg;
	json_error_t jerr;
	json_t *f = ax_json_dense(text, len, len / 8 + 64) ? NULL : json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *path = json_string_value(json_object_get(f, "path"));
	const char *sha = json_string_value(json_object_get(f, "sha256"));
	json_t *size = json_object_get(f, "size");
	int64_t esize;
	struct entry *e = NULL;
	int err = 0;
	if (!path || !hex64(sha) || !json_is_integer(size) || !ax_bundle_path_valid(path))
		err = invalid("manifest.json: file entry %s is malformed%s", path ? path : "(no path)", "");
	else if (strcmp(path, "manifest.json") == 0 || strcmp(path, "manifest.json.sig") == 0)
		err = invalid("manifest.json lists %s, which it cannot cover%s", path, "");
	else if (!(e = find_entry(v, path, &esize)))
		err = invalid("%s is listed in manifest.json but missing from the bundle%s", path, "");
	else if (e->listed)
		err = invalid("manifest.json lists %s twice%s", path, "");
	else if (esize != json_integer_value(size) || strcmp(e->sha256, sha) != 0)
		err = invalid("%s has been changed: its SHA-256 or size differs from manifest.json%s", path, "");
	if (e && !err) {
		e->listed = 1;
		v->rep->files++;
	}
	json_decref(f);
	return err;
}

/* manifest.json's other members: the ledger's end is kept. */
static int manifest_member(void *arg, const char *key, json_t *value)
{
	struct vctx *v = arg;
	const char *last = json_string_value(json_object_get(value, "last_hash"));
	const char *head = json_string_value(json_object_get(value, "store_head"));
	if (strcmp(key, "ledger") == 0 && last)
		snprintf(v->last_hash, sizeof(v->last_hash), "%s", last);
	if (strcmp(key, "ledger") == 0 && head)
		snprintf(v->store_head, sizeof(v->store_head), "%s", head);
	if (strcmp(key, "period") == 0) {
		const char *since = json_string_value(json_object_get(value, "since"));
		const char *until = json_string_value(json_object_get(value, "until"));
		v->bounds.has_since = since && ax_time_parse(since, &v->bounds.since) == 0;
		v->bounds.has_until = until && ax_time_parse(until, &v->bounds.until) == 0;
	}
	if (strcmp(key, "generated_at") == 0 && json_is_string(value))
		v->bounds.has_generated_at = ax_time_parse(json_string_value(value), &v->bounds.generated_at) == 0;
	return 0;
}

/* Every file against the manifest, read one file entry at a time. */
static int check_files(struct vctx *v)
{
	struct ax_jsplit_cb cb = {.what = "manifest.json", .list_key = "files", .element_max = 8192,
				  .value_max = SMALL_MAX, .element = check_file, .member = manifest_member, .arg = v};
	struct ax_jsplit *s = ax_jsplit_new(&cb);
	int err = ax_jsplit_feed(s, v->manifest.ptr, v->manifest.size);
	if (!err)
		err = ax_jsplit_end(s);
	ax_jsplit_free(s);
	if (err < 0)
		return err;
	for (size_t k = 0; k < ax_zip_count(v->z); k++) {
		const char *p = ax_zip_get(v->z, k)->name;
		if (!v->e[k].listed && strcmp(p, "manifest.json") && strcmp(p, "manifest.json.sig") &&
		    strcmp(p, "manifest.json.sig.tsr"))
			return invalid("%s is in the bundle but not listed in manifest.json (file added)%s", p, "");
	}
	return 0;
}

/* ---- pass 2: ledger.json and results.jsonl, side by side ---- */

/* An entry read again, re-hashed: its bytes must be those of pass 1
 * (a file changed under the verifier is no valid bundle). */
struct rereader {
	struct vctx *v;
	size_t idx;
	struct ax_zip_stream *s;
	EVP_MD_CTX *md;
	int eof;
};

static int reread_open(struct rereader *r, struct vctx *v, size_t idx)
{
	r->v = v;
	r->idx = idx;
	r->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
	return ax_zip_stream_open(v->z, idx, &r->s);
}

/* Next chunk; *len 0 at the end, when the hash is compared. */
static int reread_next(struct rereader *r, const void **data, size_t *len)
{
	unsigned char md[32];
	char hex[65];
	int err;
	*len = 0;
	if (r->eof)
		return 0;
	if ((err = ax_zip_stream_next(r->s, data, len)) < 0)
		return err;
	if (*len) {
		EVP_DigestUpdate(r->md, *data, *len);
		return 0;
	}
	r->eof = 1;
	EVP_DigestFinal_ex(r->md, md, NULL);
	ax_hex(md, 32, hex);
	if (strcmp(hex, r->v->e[r->idx].sha256) != 0)
		return invalid("%s changed while it was being verified%s", ax_zip_get(r->v->z, r->idx)->name, "");
	return 0;
}

static void reread_free(struct rereader *r)
{
	ax_zip_stream_free(r->s);
	EVP_MD_CTX_free(r->md);
}

/* results.jsonl one line at a time. */
struct lines {
	struct rereader r;
	struct ax_buf b;
	size_t start, lineno;
};

/* 1 and the line (without its newline), 0 at the end. */
static int lines_next(struct lines *l, const char **line, size_t *len)
{
	for (;;) {
		char *base = l->b.ptr + l->start, *nl = l->b.size > l->start ? memchr(base, '\n', l->b.size - l->start)
									    : NULL;
		if (nl || (l->r.eof && l->b.size > l->start)) {
			*line = base;
			*len = nl ? (size_t)(nl - base) : l->b.size - l->start;
			l->start += *len + (nl != NULL);
			l->lineno++;
			return 1;
		}
		if (l->r.eof)
			return 0;
		if (l->b.size - l->start > LINE_MAX_) {
			char n[32];
			snprintf(n, sizeof(n), "%zu", l->lineno + 1);
			return invalid("results.jsonl line %s is longer than the verifier's limit%s", n, "");
		}
		/* keep the unfinished line, drop the rest */
		if (l->start) {
			memmove(l->b.ptr, base, l->b.size - l->start);
			ax_buf_truncate(&l->b, l->b.size - l->start);
			l->start = 0;
		}
		const void *chunk;
		size_t n;
		int err = reread_next(&l->r, &chunk, &n);
		if (err < 0)
			return err;
		ax_buf_put(&l->b, chunk, n);
	}
}

/* One result line parsed, waiting for its run. */
struct pending {
	int have;
	int64_t run;
	json_t *j;
};

struct ledger_walk {
	struct vctx *v;
	struct ax_ledger_walk *walk; /* time and prune rules, shared with `ledger verify` */
	struct lines res;
	struct pending next;
	char prev[65], last_id_txt[32];
	int have_prev, nruns_seen;
	int64_t last_id;
	struct ax_run_counts counts; /* collection runs per instance, for period.json */
};

static int check_manual_line(struct vctx *v, json_t *j, size_t lineno)
{
	const char *id = json_string_value(json_object_get(j, "id"));
	json_t *ev = json_object_get(j, "evidence"), *f;
	size_t i;
	int64_t esize;
	if (!id || !json_is_array(ev) || !json_is_array(json_object_get(j, "controls")))
		return ax_error_code(AX_EINVALID, "results.jsonl line %zu: malformed manual evidence", lineno);
	json_array_foreach(ev, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_t *size = json_object_get(f, "size");
		if (!path || !hex64(sha) || !json_is_integer(size))
			return ax_error_code(AX_EINVALID, "results.jsonl line %zu: manual evidence %.40s: malformed file",
					     lineno, id);
		struct entry *e = find_entry(v, path, &esize);
		if (!e || !e->listed || strcmp(e->sha256, sha) != 0 || esize != json_integer_value(size))
			return ax_error_code(AX_EINVALID,
					     "results.jsonl line %zu: manual evidence %.40s: %s does not match the bundle's file",
					     lineno, id, path);
	}
	return 0;
}

/* Loads the next run result of results.jsonl into w->next (checking the
 * manual evidence lines on the way); w->next.have 0 at the end. */
static int next_result(struct ledger_walk *w)
{
	const char *line = NULL;
	size_t len = 0;
	int r;
	json_decref(w->next.j);
	memset(&w->next, 0, sizeof(w->next));
	while ((r = lines_next(&w->res, &line, &len)) == 1) {
		json_error_t jerr;
		size_t lineno = w->res.lineno;
		json_t *j = ax_json_dense(line, len, len / 2 + 64)
				    ? NULL
				    : json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		json_t *kind = json_object_get(j, "kind"), *run = json_object_get(j, "run");
		if (kind) {
			int err = json_is_string(kind) && strcmp(json_string_value(kind), "manual") == 0
					  ? check_manual_line(w->v, j, lineno)
					  : ax_error_code(AX_EINVALID, "results.jsonl line %zu: unknown kind", lineno);
			json_decref(j);
			if (err < 0)
				return err;
			continue;
		}
		if (!json_is_integer(run)) {
			json_decref(j);
			return ax_error_code(AX_EINVALID, "results.jsonl line %zu is malformed", lineno);
		}
		w->next.have = 1;
		w->next.run = json_integer_value(run);
		w->next.j = j;
		return 0;
	}
	return r;
}

/* Adds the pending result (a line of run `id`) to ev. */
static int add_result(struct ledger_walk *w, struct ax_evidence *ev, size_t *bytes)
{
	json_t *j = w->next.j, *obs = json_object_get(j, "observed");
	const char *inst = json_string_value(json_object_get(j, "instance"));
	const char *type = json_string_value(json_object_get(j, "probe_type"));
	const char *check = json_string_value(json_object_get(j, "check"));
	const char *status = json_string_value(json_object_get(j, "status"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	const char *at = json_string_value(json_object_get(j, "collected_at"));
	enum ax_check_status st;
	int64_t t = 0;
	char *obs_text = NULL;
	if (!inst || !type || !check || !msg || !at || !obs || ax_check_status_parse(status ? status : "", &st) < 0 ||
	    ax_time_parse(at, &t) < 0)
		return ax_error_code(AX_EINVALID, "results.jsonl line %zu is malformed", w->res.lineno);
	if (json_is_object(obs))
		obs_text = json_dumps(obs, JSON_COMPACT | JSON_SORT_KEYS);
	else if (json_is_string(obs))
		obs_text = ax_strdup(json_string_value(obs));
	if (!obs_text)
		return ax_error_code(AX_EINVALID, "results.jsonl line %zu: bad \"observed\"", w->res.lineno);
	*bytes += strlen(obs_text) + strlen(msg) + strlen(inst) + strlen(check) + 256;
	if (*bytes > RUN_RESULTS_MAX) {
		free(obs_text);
		return ax_error_code(AX_EINVALID, "results.jsonl: the results of run %lld exceed the verifier's limit",
				     (long long)w->next.run);
	}
	ax_evidence_add_result(ev, inst, type, check, st, msg, obs_text, t);
	free(obs_text);
	return 0;
}

/* Recomputes one run's content hash from its results (the pending lines
 * of run id) and its artifact list, checking each artifact is the bundle
 * file of the same hash. */
static int run_content(struct ledger_walk *w, json_t *run, int64_t id, const char *idtxt, char out[65],
		       struct ax_evidence *evp)
{
	struct vctx *v = w->v;
	struct ax_evidence ev = *evp;
	json_t *arts = json_object_get(run, "artifacts"), *a;
	int64_t *sizes = NULL, started = 0, finished = 0, esize;
	const char *kind = json_string_value(json_object_get(run, "kind"));
	const char *s_at = json_string_value(json_object_get(run, "started_at"));
	const char *f_at = json_string_value(json_object_get(run, "finished_at"));
	struct ax_buf json = AX_BUF_INIT;
	size_t i, bytes = 0;
	int err = 0;

	if (!kind || !s_at || !f_at || ax_time_parse(s_at, &started) < 0 || ax_time_parse(f_at, &finished) < 0 ||
	    !json_is_array(arts)) {
		err = invalid("ledger.json: run %s is malformed%s", idtxt, "");
		goto cleanup;
	}
	for (; w->next.have && w->next.run == id; err = next_result(w))
		if (err < 0 || (err = add_result(w, &ev, &bytes)) < 0)
			goto cleanup;
	if (err < 0)
		goto cleanup;
	sizes = ax_calloc(json_array_size(arts) + 1, sizeof(*sizes));
	json_array_foreach(arts, i, a) {
		const char *inst = json_string_value(json_object_get(a, "instance"));
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *mt = json_string_value(json_object_get(a, "media_type"));
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		const char *path = json_string_value(json_object_get(a, "path"));
		json_t *size = json_object_get(a, "size");
		struct entry *e = path ? find_entry(v, path, &esize) : NULL;
		if (!inst || !name || !mt || !hex64(sha) || !json_is_integer(size) || !path) {
			err = invalid("ledger.json: run %s: an artifact entry is malformed%s", idtxt, "");
			goto cleanup;
		}
		if (!e || !e->listed || strcmp(e->sha256, sha) != 0 || esize != json_integer_value(size)) {
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
cleanup:
	*evp = ev; /* the caller's: the ledger walk reads prune records from it */
	ax_buf_free(&json);
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

/* One element of ledger.json's "runs", in order. */
static int check_run(struct ledger_walk *w, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *run = ax_json_dense(text, len, len / 16 + 64) ? NULL : json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *jid = json_object_get(run, "id");
	const char *p = json_string_value(json_object_get(run, "prev_hash"));
	const char *c = json_string_value(json_object_get(run, "content_sha256"));
	const char *h = json_string_value(json_object_get(run, "hash"));
	char idtxt[32], want[65], content[65];
	int64_t id = json_integer_value(jid);
	struct ax_evidence ev = {0};
	struct ax_run_info info;
	const char *why;
	int err = 0;
	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)id);
	if (!json_is_integer(jid) || !hex64(p) || !hex64(c) || !hex64(h) || (w->nruns_seen > 0 && id <= w->last_id)) {
		err = invalid("ledger.json: run %s is malformed or out of order%s", run ? idtxt : "?", "");
		goto cleanup;
	}
	if (w->have_prev && strcmp(w->prev, p) != 0) {
		err = invalid("ledger.json: run %s: prev_hash is not the hash of the run before it%s", idtxt, "");
		goto cleanup;
	}
	ax_ledger_chain_hash(p, c, want);
	if (strcmp(want, h) != 0) {
		err = invalid("ledger.json: run %s: hash does not match SHA-256(prev_hash:content_sha256)%s", idtxt, "");
		goto cleanup;
	}
	/* results must come in run order: one of an earlier run has no run */
	if (w->next.have && w->next.run < id) {
		err = invalid("results.jsonl holds a result of a run that ledger.json lacks (or out of run order)%s%s",
			      "", "");
		goto cleanup;
	}
	if (run_info(run, id, &info) < 0) {
		err = invalid("ledger.json: run %s is malformed%s", idtxt, "");
		goto cleanup;
	}
	if (!info.pruned) {
		if ((err = run_content(w, run, id, idtxt, content, &ev)) < 0)
			goto cleanup;
		if (strcmp(content, c) != 0) {
			err = invalid("ledger.json: run %s: content_sha256 does not match its results in "
				      "results.jsonl and its artifacts%s", idtxt, "");
			goto cleanup;
		}
		w->v->rep->runs_content++;
		/* results come in ledger order, grouped by instance */
		for (size_t i = 0, j; strcmp(info.kind, "collect") == 0 && i < ev.nresults; i = j) {
			struct ax_run_seen seen = {info.started_at, info.finished_at, 1, 0, id, {0}};
			for (j = i; j < ev.nresults && strcmp(ev.results[j].instance, ev.results[i].instance) == 0; j++) {
				enum ax_check_status st = ev.results[j].status;
				seen.n[st]++;
				seen.failed &= st == AX_CHECK_ERROR;
				seen.counting |= st == AX_CHECK_PASS || st == AX_CHECK_FAIL || st == AX_CHECK_ERROR;
			}
			ax_run_counts_add(&w->counts, ev.results[i].instance, &seen);
		}
	} else {
		for (; w->next.have && w->next.run == id;)
			if ((err = next_result(w)) < 0)
				goto cleanup;
	}
	if (w->nruns_seen == 0) {
		w->v->bounds.first_run = info.started_at;
		w->v->bounds.has_first_run = 1;
	}
	if ((why = ax_ledger_walk_run(w->walk, &info, info.pruned ? NULL : &ev))) {
		err = invalid("ledger.json: run %s: %s", idtxt, why);
		goto cleanup;
	}
	memcpy(w->prev, h, 65);
	w->have_prev = 1;
	w->last_id = id;
	w->nruns_seen++;
	w->v->rep->runs++;
cleanup:
	ax_evidence_free(&ev);
	json_decref(run);
	return err;
}

static int run_element(void *arg, const char *text, size_t len)
{
	return check_run(arg, text, len);
}

/* ledger.json one run at a time, side by side with results.jsonl. */
static int walk_ledger(struct ledger_walk *w)
{
	struct ax_jsplit_cb cb = {.what = "ledger.json", .list_key = "runs", .element_max = RUN_MAX,
				  .value_max = SMALL_MAX, .element = run_element, .arg = w};
	struct ax_jsplit *s = ax_jsplit_new(&cb);
	struct rereader r = {0};
	const void *chunk;
	size_t n;
	int err = reread_open(&r, w->v, (size_t)w->v->ledger);
	while (err == 0) {
		if ((err = reread_next(&r, &chunk, &n)) < 0 || n == 0)
			break;
		err = ax_jsplit_feed(s, chunk, n);
	}
	if (!err)
		err = ax_jsplit_end(s);
	reread_free(&r);
	ax_jsplit_free(s);
	return err;
}

/* The runs populations, built at export outside the chain, are the
 * ledger's runs: a bundle with populations has one per instance that
 * reported (bundles from before populations have none). */
static int check_runs_populations(struct vctx *v, const struct ax_run_counts *c)
{
	int has_populations = 0;
	char sha[65];
	for (size_t k = 0; k < ax_zip_count(v->z); k++) {
		const char *p = ax_zip_get(v->z, k)->name, *inst = p + strlen("populations/"), *slash;
		if (strncmp(p, "populations/", strlen("populations/")) != 0)
			continue;
		has_populations = 1;
		slash = strchr(inst, '/');
		if (!slash || strcmp(slash, "/runs.csv") != 0)
			continue;
		size_t i = 0;
		while (i < c->len && (strlen(c->names[i]) != (size_t)(slash - inst) ||
				      strncmp(c->names[i], inst, (size_t)(slash - inst)) != 0))
			i++;
		if (i == c->len)
			return invalid("%s: its instance has no collection run in ledger.json%s", p, "");
	}
	for (size_t i = 0; has_populations && i < c->len; i++) {
		char *path;
		int64_t size;
		if (strcmp(c->names[i], "manual") == 0 || strcmp(c->names[i], "ledger") == 0)
			continue; /* not a probe's control executions: no runs population */
		path = ax_asprintf("populations/%s/runs.csv", c->names[i]);
		struct entry *e = find_entry(v, path, &size);
		ax_run_counts_population_sha(c, i, sha);
		int bad = !e || !e->listed || strcmp(e->sha256, sha) != 0;
		int err = bad ? invalid("%s is not the runs of its instance in ledger.json%s", path, "") : 0;
		free(path);
		if (err < 0)
			return err;
		v->rep->runs_populations++;
	}
	return 0;
}

static int check_ledger(struct vctx *v)
{
	struct ledger_walk w = {.v = v, .walk = ax_ledger_walk_new()};
	struct ax_ledger_report lrep = {0};
	int64_t bad = 0;
	const char *why;
	int err;
	ax_buf_grow(&w.res.b, 65536); /* never a NULL buffer to scan */
	if ((err = reread_open(&w.res.r, v, (size_t)v->results)) < 0 || (err = next_result(&w)) < 0 ||
	    (err = walk_ledger(&w)) < 0)
		goto cleanup;
	/* every result belongs to a run of the excerpt */
	if (w.next.have) {
		err = invalid("results.jsonl holds a result of a run that ledger.json lacks (or out of run order)%s%s",
			      "", "");
		goto cleanup;
	}
	/* the signed manifest names the excerpt's end */
	const char *last = v->last_hash[0] ? v->last_hash : NULL;
	if ((w.have_prev || last) && (!w.have_prev || !last || strcmp(w.prev, last) != 0)) {
		err = invalid("ledger.json does not end at the ledger hash manifest.json names%s%s", "", "");
		goto cleanup;
	}
	if (last)
		snprintf(v->rep->ledger_head, sizeof(v->rep->ledger_head), "%s", last);
	/* pruned runs: listed by a prune run of the excerpt, or (when the
	 * excerpt ends before the store's head) perhaps by a later one */
	why = ax_ledger_walk_end(w.walk, !w.have_prev || (v->store_head[0] && strcmp(w.prev, v->store_head) == 0), &lrep,
				 &bad);
	if (why) {
		char badtxt[32];
		snprintf(badtxt, sizeof(badtxt), "%lld", (long long)bad);
		err = invalid("ledger.json: run %s: %s", badtxt, why);
		goto cleanup;
	}
	/* the run calendar counts the runs the ledger signs */
	if (v->has_period && (err = ax_verify_period(v->period.ptr, v->period.size, &w.counts, &v->bounds)) < 0)
		goto cleanup;
	v->rep->period_checked = v->has_period;
	v->rep->period_instances = v->has_period ? w.counts.len : 0;
	if ((err = check_runs_populations(v, &w.counts)) < 0)
		goto cleanup;
	v->rep->runs_pruned_covered = lrep.pruned_covered;
	v->rep->runs_pruned_legacy = lrep.pruned_legacy;
	v->rep->runs_pruned_unknown = lrep.pruned_unknown;
cleanup:
	ax_run_counts_free(&w.counts);
	ax_ledger_walk_free(w.walk);
	json_decref(w.next.j);
	reread_free(&w.res.r);
	ax_buf_free(&w.res.b);
	return err;
}

/* A sample bundle's sample.json: recomputed from the population the
 * manifest signs (the bytes read again must be those hashed before). */
static int check_sample(struct vctx *v)
{
	char *path = NULL, sha[65];
	int64_t size;
	int err = ax_verify_sample(v->z, v->sample.ptr, v->sample.size, v->has_plan ? v->plan.ptr : NULL,
				   v->plan.size, &path, sha, &v->rep->sample_items);
	struct entry *e = path ? find_entry(v, path, &size) : NULL;
	if (!err && (!e || !e->listed || strcmp(e->sha256, sha) != 0))
		err = invalid("sample.json: %s changed while it was verified%s", path, "");
	v->rep->sample_checked = err == 0;
	free(path);
	return err;
}

static int verify_zip(struct vctx *v)
{
	int64_t at;
	int err;
	if ((err = read_entries(v)) < 0)
		return err;
	if (!v->has_manifest || !v->has_sig || !v->has_signer)
		return invalid("%s is missing from the bundle%s",
			       !v->has_manifest ? "manifest.json" : !v->has_sig ? "manifest.json.sig" : "signer.pem", "");
	if ((err = check_signature(v)) < 0 || (err = check_files(v)) < 0)
		return err;
	if (v->ledger < 0 || v->results < 0)
		return invalid("%s is missing from the bundle%s", v->ledger >= 0 ? "results.jsonl" : "ledger.json", "");
	if ((err = check_ledger(v)) < 0 || (v->has_sample && (err = check_sample(v)) < 0))
		return err;
	return v->has_tsr && !v->tsr_checked ? stamp_time(v, &at) : 0;
}

static void vctx_free(struct vctx *v)
{
	ax_zip_free(v->z);
	free(v->e);
	ax_buf_free(&v->manifest);
	ax_buf_free(&v->sig);
	ax_buf_free(&v->signer);
	ax_buf_free(&v->tsr);
	ax_buf_free(&v->period);
	ax_buf_free(&v->sample);
	ax_buf_free(&v->plan);
}

static struct ax_zip_limits limits(const struct ax_verify_opts *o)
{
	struct ax_zip_limits l = {
		.max_entries = o && o->max_entries > 0 ? (uint64_t)o->max_entries : 0,
		.max_entry_size = o && o->max_entry_size > 0 ? (uint64_t)o->max_entry_size : 0,
		.max_total_size = o && o->max_total_size > 0 ? (uint64_t)o->max_total_size : 0,
	};
	return l;
}

static int verify_opened(struct ax_zip *z, int err, const struct ax_verify_opts *opts,
			 struct ax_verify_report *rep)
{
	static const struct ax_verify_opts defaults = {0};
	struct vctx v = {.o = opts ? opts : &defaults, .rep = rep, .z = z, .ledger = -1, .results = -1};
	if (err == 0)
		err = verify_zip(&v);
	vctx_free(&v);
	ERR_clear_error();
	return err;
}

int ax_bundle_verify(const char *path, const struct ax_verify_opts *opts, struct ax_verify_report *rep)
{
	struct ax_zip_limits l = limits(opts);
	struct ax_zip *z = NULL;
	struct stat st;
	memset(rep, 0, sizeof(*rep));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ax_error_code(AX_ENOTFOUND, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ax_error_code(AX_ENOTFOUND, "%s: not a regular file", path);
	}
	int err = ax_zip_open_fd(fd, &l, &z);
	err = verify_opened(z, err, opts, rep);
	close(fd);
	return err;
}

int ax_bundle_verify_mem(const void *data, size_t len, const struct ax_verify_opts *opts,
			 struct ax_verify_report *rep)
{
	struct ax_zip_limits l = limits(opts);
	struct ax_zip *z = NULL;
	memset(rep, 0, sizeof(*rep));
	int err = ax_zip_open_mem(data, len, &l, &z);
	return verify_opened(z, err, opts, rep);
}

int ax_bundle_list(const char *path, char ***names, size_t *n)
{
	struct ax_zip *z = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	*names = NULL;
	*n = 0;
	if (fd < 0)
		return ax_error_code(AX_ENOTFOUND, "%s: %s", path, strerror(errno));
	if ((err = ax_zip_open_fd(fd, NULL, &z)) == 0) {
		*n = ax_zip_count(z);
		*names = ax_calloc(*n + 1, sizeof(**names));
		for (size_t i = 0; i < *n; i++)
			(*names)[i] = ax_strdup(ax_zip_get(z, i)->name);
	}
	ax_zip_free(z);
	close(fd);
	return err;
}

void ax_verify_report_free(struct ax_verify_report *rep)
{
	if (!rep)
		return;
	ax_buf_free(&rep->signer);
	ax_buf_free(&rep->subject);
}
