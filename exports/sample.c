/* sample.c - draws a recomputable sample from a population (sample.h).
 *
 * Guarantees: the selection depends only on the seed and the item ids;
 * memory is bounded by N rows and one record whatever the population's
 * size; a list that does not hash to its provenance is refused, so a
 * sample is never drawn from a population other than the recorded one. */
#include "sample.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"
#include "zipread.h"

const char ax_sample_size_source[] =
	"attribute sampling of tests of controls by frequency of the control (annual 1, quarterly 2, "
	"monthly 2-5, weekly 5-15, daily 20-40, several a day 25-60: the AICPA Audit Guide \"Audit "
	"Sampling\" practice table that ISACA ITAF 2208 attribute sampling follows); annexa takes the upper "
	"end of the range";

const char ax_sample_python[] =
	"import csv, hashlib, sys  # python3 sample.py populations/INSTANCE/NAME.csv SEED N\n"
	"path, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
	"with open(path, newline='', encoding='utf-8') as f:\n"
	"    items = [row['item'] for row in csv.DictReader(f)]\n"
	"key = lambda item: hashlib.sha256((seed + ':' + item).encode()).hexdigest()\n"
	"for item in sorted(items, key=key)[:n]:\n"
	"    print(item)\n";

static const struct {
	int n;
	const char *range;
} sizes[AX_FREQ_COUNT] = {
	[AX_FREQ_ANNUAL] = {1, "1"},	    [AX_FREQ_QUARTERLY] = {2, "2"}, [AX_FREQ_MONTHLY] = {5, "2-5"},
	[AX_FREQ_WEEKLY] = {15, "5-15"},   [AX_FREQ_DAILY] = {40, "20-40"}, [AX_FREQ_MANY_DAILY] = {60, "25-60"},
};

int ax_sample_default_n(enum ax_pop_frequency f, const char **range)
{
	if ((unsigned)f >= AX_FREQ_COUNT)
		f = AX_FREQ_MANY_DAILY;
	if (range)
		*range = sizes[f].range;
	return sizes[f].n;
}

/* ---------------- the CSV reader ---------------- */

void ax_popcsv_init(struct ax_popcsv *r, ax_csv_record_cb cb, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->cb = cb;
	r->arg = arg;
	r->at_start = 1;
}

static void free_fields(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
}

static int end_field(struct ax_popcsv *r)
{
	if (r->nfields >= AX_SAMPLE_MAX_FIELDS)
		return ax_error_code(AX_EINVALID, "population record %lld: more than %d fields",
				     (long long)r->records + 1, AX_SAMPLE_MAX_FIELDS);
	if (!ax_utf8_valid(ax_buf_cstr(&r->field), r->field.size) || memchr(ax_buf_cstr(&r->field), 0, r->field.size))
		return ax_error_code(AX_EINVALID, "population record %lld: not UTF-8 text",
				     (long long)r->records + 1);
	if (r->nfields == r->afields) {
		r->afields = r->afields ? 2 * r->afields : 8;
		r->fields = ax_realloc(r->fields, r->afields * sizeof(*r->fields));
	}
	r->fields[r->nfields++] = ax_strdup(ax_buf_cstr(&r->field));
	ax_buf_clear(&r->field);
	r->quoted = r->quote_seen = 0;
	r->at_start = 1;
	return 0;
}

static int end_record(struct ax_popcsv *r)
{
	int err;
	if ((err = end_field(r)) < 0)
		return err;
	r->records++;
	r->record_bytes = 0;
	if (r->records == 1) {
		if (strcmp(r->fields[0], "item") != 0)
			return ax_error_code(AX_EINVALID, "population: the first column is '%.40s', not 'item'",
					     r->fields[0]);
		r->header = r->fields;
		r->nheader = r->nfields;
		r->fields = NULL;
		r->nfields = r->afields = 0;
		return 0;
	}
	if (r->nfields != r->nheader)
		err = ax_error_code(AX_EINVALID, "population record %lld: %zu fields, the header has %zu",
				    (long long)r->records, r->nfields, r->nheader);
	else if (r->cb)
		err = r->cb(r->arg, r->nfields, r->fields);
	free_fields(r->fields, r->nfields);
	r->nfields = 0;
	return err;
}

int ax_popcsv_feed(struct ax_popcsv *r, const void *data, size_t len)
{
	const char *p = data;
	int err;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (r->cr && c != '\n')
			return ax_error_code(AX_EINVALID, "population record %lld: a CR without LF",
					     (long long)r->records + 1);
		r->cr = 0;
		if (++r->record_bytes > AX_SAMPLE_MAX_RECORD)
			return ax_error_code(AX_EINVALID, "population record %lld: longer than %u bytes",
					     (long long)r->records + 1, AX_SAMPLE_MAX_RECORD);
		if (r->quoted && !r->quote_seen) {
			if (c == '"')
				r->quote_seen = 1;
			else
				ax_buf_putc(&r->field, c);
			continue;
		}
		if (r->quoted && r->quote_seen) { /* after a quote inside quotes */
			if (c == '"') {
				ax_buf_putc(&r->field, '"');
				r->quote_seen = 0;
				continue;
			}
			if (c != ',' && c != '\n' && c != '\r')
				return ax_error_code(AX_EINVALID, "population record %lld: text after a closing quote",
						     (long long)r->records + 1);
		}
		if (c == '"') {
			if (!r->at_start)
				return ax_error_code(AX_EINVALID, "population record %lld: a quote inside a field",
						     (long long)r->records + 1);
			r->quoted = 1;
			r->at_start = 0;
		} else if (c == ',') {
			if ((err = end_field(r)) < 0)
				return err;
		} else if (c == '\r') {
			r->cr = 1; /* a line end only with the LF that must follow */
		} else if (c == '\n') {
			if ((err = end_record(r)) < 0)
				return err;
		} else {
			if (r->quote_seen)
				return ax_error_code(AX_EINVALID, "population record %lld: text after a closing quote",
						     (long long)r->records + 1);
			ax_buf_putc(&r->field, c);
			r->at_start = 0;
		}
	}
	return 0;
}

int ax_popcsv_finish(struct ax_popcsv *r)
{
	if (r->record_bytes || r->nfields || r->field.size || r->quoted || r->cr)
		return ax_error_code(AX_EINVALID, "population: the last record does not end with a newline");
	if (r->records == 0)
		return ax_error_code(AX_EINVALID, "population: no header");
	return 0;
}

void ax_popcsv_free(struct ax_popcsv *r)
{
	free_fields(r->fields, r->nfields);
	free(r->fields);
	free_fields(r->header, r->nheader);
	free(r->header);
	ax_buf_free(&r->field);
	memset(r, 0, sizeof(*r));
}

/* ---------------- the selection ---------------- */

struct draw {
	struct ax_sample *s;
	struct ax_popcsv csv;
	EVP_MD_CTX *md;
	size_t worst; /* index of the largest key held, once full */
};

static void item_key(const char *seed, const char *item, char out[65])
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_printf(&b, "%s:%s", seed, item);
	ax_sha256_hex(b.ptr, b.size, out);
	ax_buf_free(&b);
}

static int take(void *arg, size_t nfields, char *const *fields)
{
	struct draw *d = arg;
	struct ax_sample *s = d->s;
	struct ax_sample_item *it;
	char key[65];
	s->rows++;
	if (!s->n)
		return 0;
	item_key(s->seed, fields[0], key);
	if (s->nitems < s->n) {
		it = &s->items[s->nitems++];
	} else {
		if (strcmp(key, s->items[d->worst].key) >= 0)
			return 0;
		it = &s->items[d->worst];
		free_fields(it->fields, it->nfields);
		free(it->fields);
	}
	memcpy(it->key, key, 65);
	it->fields = ax_calloc(nfields + 1, sizeof(*it->fields));
	for (size_t i = 0; i < nfields; i++)
		it->fields[i] = ax_strdup(fields[i]);
	it->nfields = nfields;
	if (s->nitems == s->n) {
		d->worst = 0;
		for (size_t i = 1; i < s->nitems; i++)
			if (strcmp(s->items[i].key, s->items[d->worst].key) > 0)
				d->worst = i;
	}
	return 0;
}

static int feed(void *arg, const void *data, size_t len)
{
	struct draw *d = arg;
	EVP_DigestUpdate(d->md, data, len);
	return ax_popcsv_feed(&d->csv, data, len);
}

static int cmp_item(const void *pa, const void *pb)
{
	return strcmp(((const struct ax_sample_item *)pa)->key, ((const struct ax_sample_item *)pb)->key);
}

static int put_buf(void *arg, const void *data, size_t len)
{
	ax_buf_put(arg, data, len);
	return 0;
}

/* The provenance's bytes, from either source. */
static int read_provenance(const struct ax_sample_source *src, struct ax_zip *z, const char *instance,
			   const char *name, struct ax_buf *out)
{
	struct ax_buf path = AX_BUF_INIT;
	int err;
	if (src->provenance) {
		ax_buf_puts(out, src->provenance);
		err = 0;
	} else if (src->store) {
		ax_buf_printf(&path, AX_POP_PREFIX "%s" AX_POP_PROVENANCE_SUFFIX, name);
		err = ax_store_latest_artifact(src->store, instance, path.ptr, out);
	} else {
		ax_buf_printf(&path, AX_POP_PREFIX "%s/%s" AX_POP_PROVENANCE_SUFFIX, instance, name);
		long i = ax_zip_find(z, path.ptr);
		if (i < 0)
			err = ax_error_code(AX_ENOTFOUND, "%s: no %s", src->bundle, path.ptr);
		else if (ax_zip_get(z, (size_t)i)->usize > (1u << 20))
			err = ax_error_code(AX_EINVALID, "%s: %s is too large", src->bundle, path.ptr);
		else
			err = ax_zip_read(z, (size_t)i, put_buf, out);
	}
	if (err == AX_ENOTFOUND)
		ax_error_code(AX_ENOTFOUND, "no population %s/%s%s%s", instance, name, src->bundle ? " in " : "",
			      src->bundle ? src->bundle : "");
	ax_buf_free(&path);
	return err;
}

int ax_sample_draw(const struct ax_sample_source *src, const char *population, const char *seed, size_t n,
		   struct ax_sample *out)
{
	struct draw d = {out, {0}, NULL, 0};
	struct ax_buf prov = AX_BUF_INIT, path = AX_BUF_INIT;
	struct ax_zip *z = NULL;
	char *instance = NULL;
	const char *name;
	int fd = -1, err = 0;

	memset(out, 0, sizeof(*out));
	out->seed = ax_strdup(seed);
	out->population = ax_strdup(population ? population : "");
	const char *slash = strchr(out->population, '/');
	if (!slash || !ax_id_valid(slash + 1, AX_ID_MAX) ||
	    !ax_id_valid((instance = ax_strndup(out->population, (size_t)(slash - out->population))), AX_ID_MAX)) {
		err = ax_error_code(AX_EINVALID, "population '%s': want INSTANCE/NAME (e.g. leads/confirmations)",
				    out->population);
		goto cleanup;
	}
	name = slash + 1;
	if (src->zip) {
		z = src->zip;
	} else if (src->bundle) {
		if ((fd = open(src->bundle, O_RDONLY | O_CLOEXEC)) < 0) {
			err = ax_error_set("%s: cannot open", src->bundle);
			goto cleanup;
		}
		if ((err = ax_zip_open_fd(fd, NULL, &z)) < 0)
			goto cleanup;
	}
	if ((err = read_provenance(src, z, instance, name, &prov)) < 0)
		goto cleanup;
	out->provenance = json_loadb(prov.ptr, prov.size, 0, NULL);
	const char *want_sha = json_string_value(json_object_get(out->provenance, "sha256"));
	json_t *jrows = json_object_get(out->provenance, "rows");
	if (!json_is_object(out->provenance) || !want_sha || strlen(want_sha) != 64 || !json_is_integer(jrows)) {
		err = ax_error_code(AX_EINVALID, "population %s: its provenance is malformed", out->population);
		goto cleanup;
	}
	enum ax_pop_frequency f = AX_FREQ_MANY_DAILY;
	if (n == 0) {
		const char *range;
		if (ax_pop_frequency_parse(json_string_value(json_object_get(out->provenance, "frequency")), &f) < 0) {
			err = ax_error_code(AX_EINVALID, "population %s: %s", out->population, ax_error_last());
			goto cleanup;
		}
		n = (size_t)ax_sample_default_n(f, &range);
		snprintf(out->n_from, sizeof(out->n_from), "default for a control event %s%s (%s)",
			 f == AX_FREQ_MANY_DAILY ? "" : "that recurs ", ax_pop_frequency_name(f), range);
	} else {
		snprintf(out->n_from, sizeof(out->n_from), "--n");
	}
	if (n > AX_SAMPLE_MAX_N) {
		err = ax_error_code(AX_EINVALID, "--n %zu: at most %d items", n, AX_SAMPLE_MAX_N);
		goto cleanup;
	}
	out->n = n;
	out->items = ax_calloc(n + 1, sizeof(*out->items));
	ax_popcsv_init(&d.csv, take, &d);
	d.md = EVP_MD_CTX_new();
	if (!d.md || EVP_DigestInit_ex(d.md, EVP_sha256(), NULL) != 1)
		ax_oom();
	if (src->csv) {
		err = feed(&d, src->csv->ptr ? src->csv->ptr : "", src->csv->size);
	} else if (src->store) {
		err = ax_store_artifact_stream(src->store, want_sha, feed, &d);
		if (err == AX_ENOTFOUND)
			err = ax_error_code(AX_ENOTFOUND, "population %s: its list (%.16s...) is not stored",
					    out->population, want_sha);
	} else {
		ax_buf_printf(&path, AX_POP_PREFIX "%s/%s.csv", instance, name);
		long i = ax_zip_find(z, path.ptr);
		err = i < 0 ? ax_error_code(AX_ENOTFOUND, "%s: no %s", src->bundle, path.ptr)
			    : ax_zip_read(z, (size_t)i, feed, &d);
	}
	if (err < 0 || (err = ax_popcsv_finish(&d.csv)) < 0) {
		ax_error_prefix("population %s", out->population);
		goto cleanup;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(d.md, md, &mdlen);
	ax_hex(md, 32, out->sha256);
	if (strcmp(out->sha256, want_sha) != 0 || out->rows != json_integer_value(jrows)) {
		err = ax_error_code(AX_EINVALID,
				    "population %s: the list (%lld items, SHA-256 %.16s...) is not the one its "
				    "provenance records (%lld items, %.16s...)",
				    out->population, (long long)out->rows, out->sha256,
				    (long long)json_integer_value(jrows), want_sha);
		goto cleanup;
	}
	out->header = d.csv.header;
	out->nheader = d.csv.nheader;
	d.csv.header = NULL;
	d.csv.nheader = 0;
	qsort(out->items, out->nitems, sizeof(*out->items), cmp_item);
cleanup:
	ax_popcsv_free(&d.csv);
	EVP_MD_CTX_free(d.md);
	if (z != src->zip)
		ax_zip_free(z);
	if (fd >= 0)
		close(fd);
	ax_buf_free(&prov);
	ax_buf_free(&path);
	free(instance);
	return err;
}

int ax_sample_population_built(const char *population)
{
	const char *slash = strchr(population, '/');
	return slash && (strcmp(slash + 1, "runs") == 0 || strcmp(population, "manual/items") == 0);
}

json_t *ax_sample_json(const struct ax_sample *s)
{
	json_t *items = json_array();
	for (size_t i = 0; i < s->nitems; i++) {
		json_t *row = json_object();
		for (size_t c = 0; c < s->items[i].nfields && c < s->nheader; c++)
			json_object_set_new(row, s->header[c], json_string(s->items[i].fields[c]));
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:o}", "rank", (json_int_t)i + 1, "key",
							s->items[i].key, "item", s->items[i].fields[0], "row", row));
	}
	return json_pack("{s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:O,s:o}", "population", s->population, "seed", s->seed, "n",
			 (json_int_t)s->n, "n_source", s->n_from, "rows", (json_int_t)s->rows,
			 "sha256", s->sha256, "algorithm",
			 "order the items by lowercase hex SHA-256 of SEED \":\" ITEM, ascending; take the first N",
			 "provenance", s->provenance ? s->provenance : json_null(), "items", items);
}

void ax_sample_free(struct ax_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nitems; i++) {
		free_fields(s->items[i].fields, s->items[i].nfields);
		free(s->items[i].fields);
	}
	free(s->items);
	free_fields(s->header, s->nheader);
	free(s->header);
	json_decref(s->provenance);
	free(s->seed);
	free(s->population);
	memset(s, 0, sizeof(*s));
}
