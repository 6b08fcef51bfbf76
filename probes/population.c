/* population.c - a probe's population as a streamed CSV plus provenance
 * (population.h).
 *
 * Memory stays bounded whatever the number of rows: a row is formatted
 * into a 64 KiB buffer that is hashed and written out when full. */
#include "population.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "redact.h"
#include "util.h"

#define FLUSH_AT (64 * 1024)

struct ax_population {
	struct ax_probe_ctx *ctx;
	char *name;
	json_t *columns;
	char *path;       /* file being written; NULL: in memory */
	int fd;
	struct ax_buf buf; /* pending bytes (file) or the whole list (memory) */
	EVP_MD_CTX *md;
	int64_t rows, size;
	int failed;
};

static const char *const freq_names[AX_FREQ_COUNT] = {"annual", "quarterly", "monthly",
						       "weekly", "daily",     "several-a-day"};

const char *ax_pop_frequency_name(enum ax_pop_frequency f)
{
	return (unsigned)f < AX_FREQ_COUNT ? freq_names[f] : "several-a-day";
}

int ax_pop_frequency_parse(const char *s, enum ax_pop_frequency *out)
{
	for (int i = 0; s && i < AX_FREQ_COUNT; i++)
		if (strcmp(s, freq_names[i]) == 0) {
			*out = (enum ax_pop_frequency)i;
			return 0;
		}
	return ax_error_code(AX_EINVALID, "unknown frequency '%s' (annual, quarterly, monthly, weekly, daily, "
					  "several-a-day)", s ? s : "(null)");
}

enum ax_pop_frequency ax_pop_frequency_of_interval(int64_t interval)
{
	const int64_t day = 86400;
	if (interval < day)
		return AX_FREQ_MANY_DAILY;
	if (interval < 7 * day)
		return AX_FREQ_DAILY;
	if (interval < 28 * day)
		return AX_FREQ_WEEKLY;
	if (interval < 90 * day)
		return AX_FREQ_MONTHLY;
	if (interval < 365 * day)
		return AX_FREQ_QUARTERLY;
	return AX_FREQ_ANNUAL;
}

enum ax_pop_frequency ax_pop_frequency_of_count(int64_t n, int64_t span)
{
	return n > 0 ? ax_pop_frequency_of_interval(span / n) : AX_FREQ_ANNUAL;
}

json_t *ax_population_provenance(const char *name, const char *instance, json_t *columns, const char *source,
				 const char *selection, json_t *params, enum ax_pop_frequency freq, int64_t rows,
				 int64_t size, const char *sha256, int64_t collected_at)
{
	char at[32], *file = ax_asprintf("%s.csv", name);
	ax_time_format(collected_at, at);
	json_t *prov = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:s,s:s,s:o,s:s,s:I,s:I,s:s,s:s}", "format",
				 "annexa-population/1", "population", name, "instance", instance, "file", file,
				 "item_column", "item", "columns", columns, "source", source ? source : "", "selection",
				 selection ? selection : "", "frequency", ax_pop_frequency_name(freq), "parameters",
				 params ? params : json_object(), "media_type", "text/csv", "rows", (json_int_t)rows,
				 "size", (json_int_t)size, "sha256", sha256, "collected_at", at);
	free(file);
	return prov;
}

void ax_csv_field(struct ax_buf *out, const char *s)
{
	struct ax_buf fixed = AX_BUF_INIT;
	if (!s)
		return;
	/* A field that is not UTF-8 (a file name in another encoding) gets
	 * each byte outside a valid sequence as the text \xHH: a population
	 * must stay UTF-8 text, or neither `annexa sample` nor the README's
	 * Python could read it, and one such name made the whole list
	 * unsampleable. */
	if (!ax_utf8_valid(s, strlen(s))) {
		for (const char *p = s; *p;) {
			size_t k = 1, avail = strnlen(p, 4);
			if ((unsigned char)*p >= 0x80)
				for (k = 2; k <= avail && !ax_utf8_valid(p, k); k++)
					;
			if ((unsigned char)*p >= 0x80 && k > avail) {
				ax_buf_printf(&fixed, "\\x%02X", (unsigned char)*p++);
				continue;
			}
			ax_buf_put(&fixed, p, k);
			p += k;
		}
		s = ax_buf_cstr(&fixed);
	}
	if (!strpbrk(s, ",\"\r\n")) {
		ax_buf_puts(out, s);
	} else {
		ax_buf_putc(out, '"');
		for (; *s; s++) {
			if (*s == '"')
				ax_buf_putc(out, '"');
			ax_buf_putc(out, *s);
		}
		ax_buf_putc(out, '"');
	}
	ax_buf_free(&fixed);
}

static void fail(struct ax_population *p, int err)
{
	if (!p->failed)
		ax_probe_note_error(p->ctx, err);
	p->failed = 1;
}

/* File mode: hashes and writes what is pending. Memory mode keeps the
 * whole list in buf and hashes it when closed. */
static void flush(struct ax_population *p)
{
	if (p->failed || !p->path || !p->buf.size)
		return;
	EVP_DigestUpdate(p->md, p->buf.ptr, p->buf.size);
	p->size += (int64_t)p->buf.size;
	if (ax_write_all(p->fd, p->buf.ptr, p->buf.size) < 0)
		fail(p, ax_error_set("population %s: writing %s: %s", p->name, p->path, strerror(errno)));
	ax_buf_clear(&p->buf);
}

static void put_row(struct ax_population *p, const char *item, const char *const *values, size_t n)
{
	ax_csv_field(&p->buf, item);
	for (size_t i = 0; i < n; i++) {
		ax_buf_putc(&p->buf, ',');
		ax_csv_field(&p->buf, values[i]);
	}
	ax_buf_putc(&p->buf, '\n');
	if (p->buf.size >= FLUSH_AT)
		flush(p);
}

struct ax_population *ax_population_open(struct ax_probe_ctx *ctx, const char *name, const char *const *columns)
{
	struct ax_population *p = ax_calloc(1, sizeof(*p));
	const char *state = ax_probe_state_dir(ctx);
	p->ctx = ctx;
	p->name = ax_strdup(name ? name : "");
	p->fd = -1;
	p->columns = json_array();
	p->md = EVP_MD_CTX_new();
	if (!p->md || EVP_DigestInit_ex(p->md, EVP_sha256(), NULL) != 1)
		ax_oom();
	/* "runs" is the population of an instance's runs, built at export */
	if (!ax_id_valid(p->name, AX_ID_MAX - 40) || strcmp(p->name, "runs") == 0) {
		fail(p, ax_error_code(AX_EINVALID, "invalid population name '%s'", p->name));
		return p;
	}
	if (state) {
		char *dir = ax_asprintf("%s/" AX_POP_DIR, state);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			fail(p, ax_error_set("population %s: %s: %s", p->name, dir, strerror(errno)));
		p->path = ax_asprintf("%s/%s.csv", dir, p->name);
		free(dir);
		/* a file left by a run that died is replaced, never appended to */
		if (!p->failed &&
		    (p->fd = open(p->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
			fail(p, ax_error_set("population %s: %s: %s", p->name, p->path, strerror(errno)));
	}
	size_t n = 0;
	while (columns && columns[n])
		json_array_append_new(p->columns, json_string(columns[n++]));
	put_row(p, "item", columns, n);
	p->rows = 0; /* the header is no item */
	return p;
}

void ax_population_row(struct ax_population *p, const char *item, const char *const *values)
{
	if (!p || p->failed)
		return;
	put_row(p, item ? item : "", values, json_array_size(p->columns));
	p->rows++;
}

void ax_population_abandon(struct ax_population *p)
{
	if (!p)
		return;
	if (p->fd >= 0) {
		close(p->fd);
		unlink(p->path);
	}
	json_decref(p->columns);
	EVP_MD_CTX_free(p->md);
	ax_buf_free(&p->buf);
	free(p->path);
	free(p->name);
	free(p);
}

void ax_population_close(struct ax_population *p, const char *source, const char *selection, json_t *params,
			 enum ax_pop_frequency freq)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char sha[65];
	if (!p) {
		json_decref(params);
		return;
	}
	flush(p);
	if (!p->path) {
		EVP_DigestUpdate(p->md, p->buf.ptr ? p->buf.ptr : "", p->buf.size);
		p->size = (int64_t)p->buf.size;
	}
	/* No fsync: the file is a hand-over, not a record. The collector
	 * stores it in the same collection (SQLite's commit is the durable
	 * point), checks it against the SHA-256 computed here and unlinks it;
	 * a crash before that leaves a file population_leftovers() removes.
	 * (Syncing the 38 MB violations list of a 1 GiB bench log took 0.03 s
	 * on this VM's disk; on a spinning one it is the whole flush.) */
	if (p->failed) {
		json_decref(params);
		ax_population_abandon(p);
		return;
	}
	/* whatever the caller passed, no URI password reaches the evidence */
	struct ax_buf src = AX_BUF_INIT;
	ax_redact(source ? source : "", strlen(source ? source : ""), NULL, &src);
	EVP_DigestFinal_ex(p->md, md, &mdlen);
	ax_hex(md, 32, sha);
	json_t *prov = ax_population_provenance(p->name, ax_probe_instance(p->ctx), p->columns, ax_buf_cstr(&src),
						selection, params, freq, p->rows, p->size, sha, ax_probe_now(p->ctx));
	char *file = ax_asprintf("%s.csv", p->name);
	char *text = prov ? json_dumps(prov, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	char *pname = ax_asprintf(AX_POP_PREFIX "%s" AX_POP_PROVENANCE_SUFFIX, p->name);
	if (!text) {
		fail(p, ax_error_code(AX_EINVALID, "population %s: provenance cannot be encoded (UTF-8?)", p->name));
	} else {
		if (!p->path) {
			char *cname = ax_asprintf(AX_POP_PREFIX "%s", file);
			ax_probe_artifact(p->ctx, cname, "text/csv", p->buf.ptr, p->buf.size);
			free(cname);
		}
		ax_probe_artifact(p->ctx, pname, "application/json", text, strlen(text));
		if (p->fd >= 0)
			close(p->fd), p->fd = -1; /* kept for the collector */
	}
	free(pname);
	free(text);
	free(file);
	ax_buf_free(&src);
	json_decref(prov);
	ax_population_abandon(p);
}

char *ax_population_name_of(const char *artifact_name)
{
	size_t pl = strlen(AX_POP_PREFIX), sl = strlen(AX_POP_PROVENANCE_SUFFIX), n;
	if (!artifact_name || strncmp(artifact_name, AX_POP_PREFIX, pl) != 0)
		return NULL;
	n = strlen(artifact_name);
	if (n <= pl + sl || strcmp(artifact_name + n - sl, AX_POP_PROVENANCE_SUFFIX) != 0)
		return NULL;
	char *name = ax_strndup(artifact_name + pl, n - pl - sl);
	if (!ax_id_valid(name, AX_ID_MAX)) {
		free(name);
		return NULL;
	}
	return name;
}

int ax_population_file_open(const char *state_dir, const char *provenance_artifact, int *fd_out)
{
	char *name = ax_population_name_of(provenance_artifact), *file = NULL;
	int dfd = -1, sfd = -1, fd = -1, err = 0;
	struct stat st;
	*fd_out = -1;
	if (!name)
		return ax_error_code(AX_EINVALID, "'%s' is not a population's provenance", provenance_artifact);
	file = ax_asprintf("%s.csv", name);
	if ((sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (dfd = openat(sfd, AX_POP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		err = ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_ERROR, "population %s in %s: %s", name,
				    state_dir, strerror(errno));
		goto cleanup;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = ax_error_code(AX_EINVALID, "population %s in %s: not a regular file", name, state_dir);
		goto cleanup;
	}
	*fd_out = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (sfd >= 0)
		close(sfd);
	free(file);
	free(name);
	return err;
}
