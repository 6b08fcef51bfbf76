/* bundle.c - writes the signed evidence bundle (ZIP, libarchive).
 *
 * Layout (DESIGN.md): evidence/<instance>/<name> artifacts, report.html,
 * soa.csv, controls.json, results.jsonl, ledger.json,
 * oscal/assessment-results.xml and .json, oscal/assessment-plan.xml,
 * oscal/catalog.xml, README.txt, signer.pem, SHA256SUMS, then
 * manifest.json (metadata and every other file's path, size, SHA-256,
 * sorted by path), manifest.json.sig (detached CMS, DER) and optionally
 * manifest.json.sig.tsr (RFC 3161 reply).
 *
 * Manual evidence files go to evidence/manual/<id>-<name>, once however
 * many controls their item names (export_manual.c names the paths).
 *
 * Guarantees: the bundle appears under its name complete or not at all
 * (temp file in the same folder, fsync, rename, fsync of the folder);
 * artifact bytes stream from the store into the ZIP in 64 KiB chunks
 * (memory stays bounded whatever their size; entries of unknown size use
 * Zip64 data descriptors) and are re-hashed as they are copied, so a store
 * whose bytes no longer match their hash fails the export instead of being
 * signed; the output is deterministic for the same data and time. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "log.h"
#include "progress.h"
#include "sample.h"
#include "util.h"

struct mfile {
	char *path;
	int64_t size;
	char sha256[65];
};

struct writer {
	struct archive *zip;
	int64_t mtime;
	struct mfile *files;
	size_t nfiles, afiles;
};

/* Records a written file for manifest.json and SHA256SUMS. */
static void list_file(struct writer *w, const char *path, int64_t size, const char *sha256)
{
	if (w->nfiles == w->afiles) {
		w->afiles = w->afiles ? 2 * w->afiles : 32;
		w->files = ax_realloc(w->files, w->afiles * sizeof(*w->files));
	}
	struct mfile *f = &w->files[w->nfiles++];
	f->path = ax_strdup(path);
	f->size = size;
	memcpy(f->sha256, sha256, sizeof(f->sha256));
}

/* A ZIP entry header; size < 0: unknown (libarchive then writes the sizes
 * after the data, Zip64). */
static int zip_header(struct writer *w, const char *path, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	int err = 0;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (size >= 0)
		archive_entry_set_size(e, (la_int64_t)size);
	else
		archive_entry_unset_size(e);
	archive_entry_set_mtime(e, (time_t)w->mtime, 0);
	if (archive_write_header(w->zip, e) != ARCHIVE_OK)
		err = ax_error_set("bundle: cannot write %s: %s", path, archive_error_string(w->zip));
	archive_entry_free(e);
	return err;
}

/* Ends the archive, then fsyncs and renames its temp file into place (*fd
 * is consumed either way once the archive closed). */
static int zip_finish(struct writer *w, char *tmp, int *fd, const char *path)
{
	if (archive_write_close(w->zip) != ARCHIVE_OK)
		return ax_error_set("bundle: %s: %s", path, archive_error_string(w->zip));
	int err = ax_file_temp_commit(tmp, *fd, path);
	*fd = -1;
	return err;
}

static int zip_put(struct writer *w, const char *path, const void *data, size_t len, int listed)
{
	int err = zip_header(w, path, (int64_t)len);
	if (err == 0 && len && archive_write_data(w->zip, data, len) != (la_ssize_t)len)
		err = ax_error_set("bundle: cannot write %s: %s", path, archive_error_string(w->zip));
	if (err == 0 && listed) {
		char sha[65];
		ax_sha256_hex(data, len, sha);
		list_file(w, path, (int64_t)len, sha);
	}
	return err;
}

static int cmp_mfile(const void *a, const void *b)
{
	return strcmp(((const struct mfile *)a)->path, ((const struct mfile *)b)->path);
}

/* Streams artifact bytes into the open entry, in the store's chunks. */
struct stream {
	struct writer *w;
	const char *path;
	int64_t bytes, limit; /* limit < 0: none */
	struct ax_progress *p;
};

static int stream_chunk(void *arg, const void *data, size_t len)
{
	struct stream *st = arg;
	if (st->limit >= 0 && st->bytes + (int64_t)len > st->limit)
		return ax_error_set("bundle: %s: the store holds more bytes than recorded (%lld)", st->path,
				    (long long)st->limit);
	if (archive_write_data(st->w->zip, data, len) != (la_ssize_t)len)
		return ax_error_set("bundle: cannot write %s: %s", st->path, archive_error_string(st->w->zip));
	st->bytes += (int64_t)len;
	ax_progress_bytes(st->p, len);
	return 0;
}

/* Writes artifact sha256 to path, streamed (never loaded whole); size is
 * its recorded size or -1 when unknown. The store re-hashes the bytes as
 * they stream and fails when they no longer match: the bundle is then
 * never committed. *written gets the byte count. */
static int zip_stream(struct writer *w, struct ax_store *store, const char *path, const char *sha256, int64_t size,
		      struct ax_progress *p, int64_t *written)
{
	struct stream st = {.w = w, .path = path, .limit = size, .p = p};
	int err = zip_header(w, path, size);
	if (err < 0)
		return err;
	if ((err = ax_store_artifact_stream(store, sha256, stream_chunk, &st)) < 0)
		return err;
	if (size >= 0 && st.bytes != size)
		return ax_error_set("bundle: %s: the store holds %lld bytes, %lld recorded", path, (long long)st.bytes,
				    (long long)size);
	list_file(w, path, st.bytes, sha256);
	*written = st.bytes;
	return 0;
}

static int cmp_artifact_path(const void *pa, const void *pb, void *arg)
{
	const struct ax_export_artifact *arts = arg;
	return strcmp(arts[*(const size_t *)pa].bundle_path, arts[*(const size_t *)pb].bundle_path);
}

/* Streams every distinct artifact path once (equal paths hold equal
 * bytes: export_data.c guarantees it) and sets every artifact's size. */
static int put_artifacts(struct writer *w, struct ax_export_data *d, struct ax_progress *p)
{
	size_t *idx = ax_calloc(d->nartifacts + 1, sizeof(*idx));
	int err = 0;
	for (size_t i = 0; i < d->nartifacts; i++)
		idx[i] = i;
	qsort_r(idx, d->nartifacts, sizeof(*idx), cmp_artifact_path, d->artifacts);
	for (size_t i = 0; i < d->nartifacts; i++) {
		struct ax_export_artifact *a = &d->artifacts[idx[i]];
		const struct ax_export_artifact *prev = i ? &d->artifacts[idx[i - 1]] : NULL;
		if (prev && strcmp(prev->bundle_path, a->bundle_path) == 0) {
			a->size = prev->size;
			p->done++;
			continue;
		}
		if ((err = zip_stream(w, d->store, a->bundle_path, a->sha256, -1, p, &a->size)) < 0) {
			ax_error_prefix("bundle: artifact %s of %s", a->name, a->instance);
			goto cleanup;
		}
		p->done++;
		ax_progress_show(p, 0);
	}
cleanup:
	free(idx);
	return err;
}

/* Each manual evidence file once, streamed with its recorded size (an attach run of the period may have written it
 * already under the same path). */
static int put_manual(struct writer *w, struct ax_export_data *d, struct ax_progress *p)
{
	for (size_t i = 0; i < d->nmfiles; i++) {
		const struct ax_export_manual_file *mf = &d->mfiles[i];
		const struct ax_manual *m = &d->manual.items[mf->item];
		const struct ax_manual_file *f = &m->files[mf->file];
		int64_t written;
		if (mf->from_run || !ax_export_manual_stored(mf))
			continue;
		int err = zip_stream(w, d->store, mf->bundle_path, f->sha256, f->size, p, &written);
		if (err < 0) {
			ax_error_prefix("bundle: manual evidence %s, file %s", m->id, f->name);
			return err;
		}
		p->done++;
		ax_progress_show(p, 0);
	}
	return 0;
}

static void readme(const struct ax_export_data *d, struct ax_buf *out)
{
	char gen[32];
	ax_time_format(d->generated_at, gen);
	ax_buf_printf(out,
		      "annexa evidence bundle\n"
		      "======================\n\n"
		      "Organization: %s\nGenerated:    %s (UTC)\nCollector:    annexa %s on %s\nRuns:         %zu\n\n",
		      d->organization, gen, d->version, d->host, d->nruns);
	if (d->locker) {
		ax_buf_puts(out, "Collectors:   ");
		for (size_t i = 0; i < d->locker->ncollectors; i++)
			ax_buf_printf(out, "%s%s", i ? ", " : "", d->locker->collectors[i]);
		ax_buf_printf(out, "\n              (replayed from the evidence locker %s; manifest.json's\n"
				   "              \"locker\" gives each collector's runs, and each run's\n"
				   "              locker-run.json its collector's own ledger hash)\n\n",
			      d->locker->repository);
	}
	ax_buf_puts(out,
		    "This bundle can be verified without annexa, with stock OpenSSL and\n"
		    "coreutils. Unpack it into an empty folder (unzip BUNDLE.zip), then:\n\n"
		    "1. The signature over manifest.json:\n\n"
		    "   openssl cms -verify -binary -inform DER -in manifest.json.sig -content manifest.json -CAfile signer.pem -purpose any -out /dev/null\n\n"
		    "   This proves manifest.json was signed by the key of signer.pem. It does\n"
		    "   not prove WHO holds that key: compare the certificate's fingerprint\n"
		    "   (openssl x509 -in signer.pem -noout -subject -fingerprint -sha256)\n"
		    "   with the one the organization gave you, or, when the certificate was\n"
		    "   issued by the organization's CA, use -CAfile THAT_CA.pem instead.\n\n"
		    "2. Every file against the signed manifest. SHA256SUMS lists the same\n"
		    "   hashes as manifest.json in sha256sum's format; first check SHA256SUMS\n"
		    "   itself against manifest.json, then everything else:\n\n"
		    "   sha256sum SHA256SUMS; grep -A1 '\"path\": \"SHA256SUMS\"' manifest.json\n"
		    "   sha256sum -c SHA256SUMS\n\n"
		    "   No file may be present that manifest.json does not list (besides\n"
		    "   manifest.json, manifest.json.sig and manifest.json.sig.tsr).\n\n"
		    "3. Optional RFC 3161 time stamp (when manifest.json.sig.tsr exists):\n\n"
		    "   openssl ts -verify -in manifest.json.sig.tsr -data manifest.json.sig -CAfile TSA_CA.pem\n\n"
		    "4. ledger.json holds the hash-chained runs of the period: for each run\n"
		    "   hash = SHA-256(prev_hash \":\" content_sha256), and each run's prev_hash\n"
		    "   is the hash of the run before it. Check one by hand with:\n\n"
		    "   printf '%s:%s' PREV_HASH CONTENT_SHA256 | sha256sum\n\n"
		    "   `annexa verify BUNDLE.zip` does all of this, recomputes every run's\n"
		    "   content hash from results.jsonl, checks period.json, each\n"
		    "   populations/<instance>/runs.csv and a sample's sample.json against\n"
		    "   them, and names the first problem.\n\n"
		    "Files: report.html (control status report), soa.csv and soa.xlsx\n"
		    "(Statement of Applicability), controls.json (status per control, pass share over the\n"
		    "period), period.json (the run calendar: runs expected and observed per probe\n"
		    "instance, the gaps and why, days with evidence and state over time per control),\n"
		    "results.jsonl (every check result of the period),\n"
		    "ledger.json, oscal/ (NIST OSCAL 1.0.6: assessment-results.xml and\n"
		    ".json, the assessment-plan.xml they import and the catalog.xml of the\n"
		    "Annex A control ids and titles their control references resolve in), evidence/\n"
		    "(redacted artifacts, by probe instance; manual evidence, as attached,\n"
		    "under evidence/manual/<id>-<name>, once however many controls it\n"
		    "serves; results.jsonl names its controls), populations/.\n\n"
		    "Populations and samples: populations/<instance>/<name>.csv lists every\n"
		    "item of a population (one row each; the column `item` is its stable id,\n"
		    "a keyed pseudonym where it concerns a person) and <name>.provenance.json\n"
		    "where it came from: source, the selection (query and parameters), row\n"
		    "count, the list's SHA-256, collection time, how often the control event\n"
		    "recurs. A sample with a SEED you choose is the items ordered by the\n"
		    "lowercase hex SHA-256 of SEED \":\" ITEM, ascending, the first N; this\n"
		    "gives the same items as `annexa sample INSTANCE/NAME --seed SEED --n N\n"
		    "--bundle BUNDLE.zip`:\n\n");
	for (const char *l = ax_sample_python; *l;) {
		size_t n = strcspn(l, "\n");
		ax_buf_printf(out, "   %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
}

static int put_population(void *arg, const char *instance, const char *name, const struct ax_buf *csv,
			  const char *provenance)
{
	struct writer *w = arg;
	char *path = ax_asprintf(AX_POP_PREFIX "%s/%s.csv", instance, name);
	int err = zip_put(w, path, csv->ptr ? csv->ptr : "", csv->size, 1);
	free(path);
	path = ax_asprintf(AX_POP_PREFIX "%s/%s" AX_POP_PROVENANCE_SUFFIX, instance, name);
	if (err == 0)
		err = zip_put(w, path, provenance, strlen(provenance), 1);
	free(path);
	return err;
}

static int manifest(const struct writer *w, const struct ax_export_data *d, struct ax_buf *out)
{
	char gen[32], since[32], until[32];
	json_t *files = json_array();
	ax_time_format(d->generated_at, gen);
	ax_time_format(d->since, since);
	ax_time_format(d->until, until);
	for (size_t i = 0; i < w->nfiles; i++)
		json_array_append_new(files, json_pack("{s:s,s:I,s:s}", "path", w->files[i].path, "size",
						       (json_int_t)w->files[i].size, "sha256", w->files[i].sha256));
	json_t *ledger = json_pack("{s:I,s:o,s:o,s:o}", "runs", (json_int_t)d->nruns, "first_prev_hash",
				   d->nruns ? json_string(d->runs[0].prev_hash) : json_null(), "last_hash",
				   d->nruns ? json_string(d->runs[d->nruns - 1].hash) : json_null(), "store_head",
				   d->have_store_head ? json_string(d->store_head.hash) : json_null());
	json_t *root = json_pack("{s:s,s:s,s:{s:o,s:o},s:s,s:{s:s,s:s},s:s,s:o,s:o}", "format", "annexa-bundle/1",
				 "organization", d->organization, "period", "since",
				 d->since ? json_string(since) : json_null(), "until",
				 d->until ? json_string(until) : json_null(), "generated_at", gen, "collector", "name",
				 "annexa", "version", d->version, "host", d->host, "ledger", ledger, "files", files);
	if (root && d->locker) {
		json_t *l = ax_export_locker_json(d);
		if (!l) {
			json_decref(root);
			return ax_error_set("bundle: the locker's description cannot be encoded (valid UTF-8 path?)");
		}
		json_object_set_new(root, "locker", l);
	}
	if (!root)
		return ax_error_set("bundle: manifest cannot be encoded (is the organization valid UTF-8?)");
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		return ax_error_set("bundle: manifest cannot be encoded");
	ax_buf_puts(out, text);
	ax_buf_putc(out, '\n');
	free(text);
	return 0;
}

typedef int (*gen_fn)(const struct ax_export_data *, struct ax_buf *);

static int put_generated(struct writer *w, struct ax_export_data *d, const char *path, gen_fn fn)
{
	struct ax_buf b = AX_BUF_INIT;
	int err = fn(d, &b);
	if (err == 0)
		err = zip_put(w, path, b.ptr, b.size, 1);
	else
		ax_error_prefix("bundle: %s", path);
	ax_buf_free(&b);
	return err;
}

/* The online or offline time stamp of sig. */
static int time_stamp(struct writer *w, const struct ax_bundle_opts *o, const struct ax_buf *sig)
{
	struct ax_buf req = AX_BUF_INIT, reply = AX_BUF_INIT;
	int err = 0, checked = 0;
	if (!o->tsa_url && !o->tsa_request)
		return 0;
	if ((err = ax_tsa_request(sig->ptr, sig->size, &req)) < 0)
		goto cleanup;
	if (o->tsa_request && (err = ax_file_write_atomic(o->tsa_request, req.ptr, req.size, AX_EXPORT_FILE_MODE)) < 0)
		goto cleanup;
	if (!o->tsa_url)
		goto cleanup;
	if ((err = ax_tsa_fetch(o->tsa_url, &req, 30000, &reply)) < 0)
		goto cleanup;
	if ((err = ax_tsa_check(reply.ptr, reply.size, sig->ptr, sig->size, &req, o->tsa_ca, NULL, &checked)) < 0) {
		/* a refused reply is the TSA's failure, not a usage error */
		err = err == AX_EINVALID ? AX_ERROR : err;
		goto cleanup;
	}
	if (!checked)
		ax_warn("time stamp not checked against a TSA CA ([signing] tsa-ca unset)");
	err = zip_put(w, "manifest.json.sig.tsr", reply.ptr, reply.size, 0);
cleanup:
	ax_buf_free(&req);
	ax_buf_free(&reply);
	return err;
}

static struct archive *zip_open(int fd)
{
	struct archive *zip = archive_write_new();
	if (archive_write_set_format_zip(zip) != ARCHIVE_OK || archive_write_open_fd(zip, fd) != ARCHIVE_OK) {
		archive_write_free(zip);
		return NULL;
	}
	return zip;
}

int ax_bundle_write(struct ax_export_data *d, const struct ax_bundle_opts *opts, const char *path, size_t *nfiles)
{
	struct writer w = {.mtime = d->generated_at};
	struct ax_buf b = AX_BUF_INIT, man = AX_BUF_INIT, sig = AX_BUF_INIT;
	char *tmp = NULL;
	int fd = -1, err;

	if ((err = ax_file_temp(path, AX_EXPORT_FILE_MODE, &tmp, &fd)) < 0)
		goto cleanup;
	if (!(w.zip = zip_open(fd))) {
		err = ax_error_set("bundle: libarchive cannot write ZIP");
		goto cleanup;
	}
	struct ax_progress p;
	ax_progress_start(&p, "export", "evidence files", opts->progress, d->nartifacts);
	for (size_t i = 0; i < d->nmfiles; i++)
		p.total += !d->mfiles[i].from_run && ax_export_manual_stored(&d->mfiles[i]);
	if ((err = put_artifacts(&w, d, &p)) < 0 || (err = put_manual(&w, d, &p)) < 0)
		goto cleanup;
	ax_progress_show(&p, 1);
	if ((err = put_generated(&w, d, "report.html", ax_report_html)) < 0 ||
	    (err = put_generated(&w, d, "soa.csv", ax_export_soa_csv)) < 0 ||
	    (err = put_generated(&w, d, "soa.xlsx", ax_export_soa_xlsx)) < 0 ||
	    (err = put_generated(&w, d, "controls.json", ax_export_controls_json)) < 0 ||
	    (err = put_generated(&w, d, "period.json", ax_export_period_json)) < 0 ||
	    (err = put_generated(&w, d, "results.jsonl", ax_export_results_jsonl)) < 0 ||
	    (err = put_generated(&w, d, "ledger.json", ax_export_ledger_json)) < 0 ||
	    (err = put_generated(&w, d, "oscal/assessment-results.xml", ax_oscal_xml)) < 0 ||
	    (err = put_generated(&w, d, "oscal/assessment-results.json", ax_oscal_json)) < 0 ||
	    (err = put_generated(&w, d, "oscal/assessment-plan.xml", ax_oscal_plan_xml)) < 0 ||
	    (err = put_generated(&w, d, "oscal/catalog.xml", ax_oscal_catalog_xml)) < 0)
		goto cleanup;
	if ((err = ax_export_populations(d, put_population, &w)) < 0 ||
	    (opts->extra_path && (err = zip_put(&w, opts->extra_path, opts->extra->ptr ? opts->extra->ptr : "",
						opts->extra->size, 1)) < 0))
		goto cleanup;
	readme(d, &b);
	if ((err = zip_put(&w, "README.txt", b.ptr, b.size, 1)) < 0)
		goto cleanup;
	ax_buf_clear(&b);
	ax_signer_chain_pem(opts->signer, &b);
	if ((err = zip_put(&w, "signer.pem", b.ptr, b.size, 1)) < 0)
		goto cleanup;
	qsort(w.files, w.nfiles, sizeof(*w.files), cmp_mfile);
	ax_buf_clear(&b);
	for (size_t i = 0; i < w.nfiles; i++)
		ax_buf_printf(&b, "%s  %s\n", w.files[i].sha256, w.files[i].path);
	if ((err = zip_put(&w, "SHA256SUMS", b.ptr, b.size, 1)) < 0)
		goto cleanup;
	qsort(w.files, w.nfiles, sizeof(*w.files), cmp_mfile);
	if ((err = manifest(&w, d, &man)) < 0 || (err = zip_put(&w, "manifest.json", man.ptr, man.size, 0)) < 0 ||
	    (err = ax_signer_sign(opts->signer, man.ptr, man.size, &sig)) < 0 ||
	    (err = zip_put(&w, "manifest.json.sig", sig.ptr, sig.size, 0)) < 0 ||
	    (err = time_stamp(&w, opts, &sig)) < 0)
		goto cleanup;
	err = zip_finish(&w, tmp, &fd, path);
	if (err == 0 && nfiles)
		*nfiles = w.nfiles + 2;
cleanup:
	if (w.zip)
		archive_write_free(w.zip);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	for (size_t i = 0; i < w.nfiles; i++)
		free(w.files[i].path);
	free(w.files);
	free(tmp);
	ax_buf_free(&b);
	ax_buf_free(&man);
	ax_buf_free(&sig);
	return err;
}

/* ---- offline time stamp: add a reply to an existing bundle ---- */

/* Copies every entry but an old time stamp, streaming (an entry is never
 * held whole: a bundle may carry large evidence); keeps the signature. */
static int copy_entries(struct archive *in, struct writer *w, struct ax_buf *sig)
{
	struct archive_entry *e;
	char *chunk = ax_malloc(65536);
	int r, err = 0;
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		int is_sig = name && strcmp(name, "manifest.json.sig") == 0;
		la_ssize_t n;
		if (!name || strcmp(name, "manifest.json.sig.tsr") == 0)
			continue; /* replaced */
		w->mtime = archive_entry_mtime(e);
		if ((err = zip_header(w, name, archive_entry_size_is_set(e) ? archive_entry_size(e) : -1)) < 0)
			goto cleanup;
		if (is_sig)
			ax_buf_clear(sig);
		while ((n = archive_read_data(in, chunk, 65536)) > 0) {
			if (is_sig && sig->size + (size_t)n > (1 << 20)) {
				err = ax_error_code(AX_EINVALID, "bundle: manifest.json.sig is larger than 1 MiB");
				goto cleanup;
			}
			if (is_sig)
				ax_buf_put(sig, chunk, (size_t)n);
			if (archive_write_data(w->zip, chunk, (size_t)n) != n) {
				err = ax_error_set("bundle: cannot write %s: %s", name, archive_error_string(w->zip));
				goto cleanup;
			}
		}
		if (n < 0) {
			err = ax_error_code(AX_EINVALID, "bundle: %s: %s", name, archive_error_string(in));
			goto cleanup;
		}
	}
	if (r != ARCHIVE_EOF)
		err = ax_error_code(AX_EINVALID, "bundle: not a readable ZIP: %s", archive_error_string(in));
cleanup:
	free(chunk);
	return err;
}

int ax_bundle_add_tsr(const char *path, const void *reply, size_t len, const char *tsa_ca)
{
	struct archive *in = archive_read_new();
	struct writer w = {0};
	struct ax_buf sig = AX_BUF_INIT;
	char *tmp = NULL;
	int fd = -1, err, checked = 0;

	archive_read_support_format_zip(in);
	if (archive_read_open_filename(in, path, 65536) != ARCHIVE_OK) {
		err = ax_error_code(AX_ENOTFOUND, "bundle %s: %s", path, archive_error_string(in));
		goto cleanup;
	}
	if ((err = ax_file_temp(path, AX_EXPORT_FILE_MODE, &tmp, &fd)) < 0)
		goto cleanup;
	if (!(w.zip = zip_open(fd))) {
		err = ax_error_set("bundle: libarchive cannot write ZIP");
		goto cleanup;
	}
	if ((err = copy_entries(in, &w, &sig)) < 0)
		goto cleanup;
	if (!sig.size) {
		err = ax_error_code(AX_EINVALID, "bundle %s has no manifest.json.sig", path);
		goto cleanup;
	}
	if ((err = ax_tsa_check(reply, len, sig.ptr, sig.size, NULL, tsa_ca, NULL, &checked)) < 0)
		goto cleanup;
	if (!checked)
		ax_warn("time stamp not checked against a TSA CA (give --tsa-ca)");
	if ((err = zip_put(&w, "manifest.json.sig.tsr", reply, len, 0)) < 0)
		goto cleanup;
	err = zip_finish(&w, tmp, &fd, path);
cleanup:
	archive_read_free(in);
	if (w.zip)
		archive_write_free(w.zip);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	ax_buf_free(&sig);
	return err;
}
