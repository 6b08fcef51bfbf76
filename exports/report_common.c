/* report_common.c - what report.html and the OSCAL document share: turning
 * probe-supplied text into clean UTF-8 and escaped HTML, the lookup from a
 * status row's result to its run and evidence files, and name-based UUIDs.
 *
 * Guarantees: ax_text_clean never emits invalid UTF-8 or a control
 * character other than tab and newline (XML 1.0 and HTML both accept the
 * result); ax_html_escape output cannot open a tag, an entity or leave a
 * quoted attribute. The index is built in O(n log n) over the period's
 * results and links, so a year of hourly runs stays fast. */
#include "report_gen.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length
 * and the code point in *cp, or 0 for an invalid or truncated sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, c &= 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, c &= 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Characters neither XML 1.0 nor a reader should get from a probe. */
static int unwanted(unsigned cp)
{
	return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE ||
	       cp == 0xFFFF;
}

void ax_text_clean(struct ax_buf *out, const char *s, int single_line)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;
	while (n > 0) {
		unsigned cp = 0;
		size_t len = utf8_decode(p, n, &cp);
		if (len == 0) {
			/* Skip one byte and go on: the next valid character survives. */
			ax_buf_puts(out, REPLACEMENT);
			p++, n--;
			continue;
		}
		if (unwanted(cp))
			ax_buf_puts(out, REPLACEMENT);
		else if (single_line && (cp == '\t' || cp == '\n'))
			ax_buf_putc(out, ' ');
		else
			ax_buf_put(out, p, len);
		p += len, n -= len;
	}
}

void ax_html_escape(struct ax_buf *out, const char *s)
{
	struct ax_buf clean = AX_BUF_INIT;
	ax_text_clean(&clean, s, 0);
	for (const char *p = ax_buf_cstr(&clean); *p; p++) {
		switch (*p) {
		case '&': ax_buf_puts(out, "&amp;"); break;
		case '<': ax_buf_puts(out, "&lt;"); break;
		case '>': ax_buf_puts(out, "&gt;"); break;
		case '"': ax_buf_puts(out, "&quot;"); break;
		case '\'': ax_buf_puts(out, "&#39;"); break;
		default: ax_buf_putc(out, *p);
		}
	}
	ax_buf_free(&clean);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int cmp_result_key(const struct ax_result *a, const struct ax_result *b)
{
	int c;
	if ((c = strcmp(nz(a->instance), nz(b->instance))) || (c = strcmp(nz(a->check), nz(b->check))))
		return c;
	return (a->collected_at > b->collected_at) - (a->collected_at < b->collected_at);
}

static int cmp_latest_idx(const void *pa, const void *pb, void *arg)
{
	const struct ax_result *res = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = cmp_result_key(&res[a], &res[b]);
	return c ? c : (a > b) - (a < b);
}

/* (run, latest index) pairs sorted by run, to walk the links once. */
struct run_ref {
	int64_t run;
	size_t latest;
};

static int cmp_run_ref(const void *pa, const void *pb)
{
	const struct run_ref *a = pa, *b = pb;
	if (a->run != b->run)
		return (a->run > b->run) - (a->run < b->run);
	return (a->latest > b->latest) - (a->latest < b->latest);
}

static int cmp_art_path(const void *pa, const void *pb, void *arg)
{
	const struct ax_export_artifact *arts = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = strcmp(nz(arts[a].bundle_path), nz(arts[b].bundle_path));
	return c ? c : (a > b) - (a < b);
}

/* Binary search for the newest-result slot matching r. */
static long find_latest(const struct ax_export_data *d, const size_t *order, const struct ax_result *r)
{
	size_t lo = 0, hi = d->latest.nresults;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_result_key(&d->latest.results[order[mid]], r);
		if (c == 0)
			return (long)order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void add_artifact(struct ax_report_index *ix, size_t latest, size_t art)
{
	size_t n = ix->nartifacts[latest];
	ix->artifacts[latest] = ax_realloc(ix->artifacts[latest], (n + 1) * sizeof(size_t));
	ix->artifacts[latest][n] = art;
	ix->nartifacts[latest] = n + 1;
}

/* Sorts each result's evidence by bundle path and drops repeats. */
static void sort_artifacts(const struct ax_export_data *d, struct ax_report_index *ix)
{
	for (size_t i = 0; i < ix->nlatest; i++) {
		size_t *v = ix->artifacts[i], n = ix->nartifacts[i], kept = 0;
		if (n == 0)
			continue;
		qsort_r(v, n, sizeof(*v), cmp_art_path, d->artifacts);
		for (size_t k = 0; k < n; k++)
			if (kept == 0 || strcmp(nz(d->artifacts[v[kept - 1]].bundle_path),
						nz(d->artifacts[v[k]].bundle_path)) != 0)
				v[kept++] = v[k];
		ix->nartifacts[i] = kept;
	}
}

int ax_report_index_build(const struct ax_export_data *d, struct ax_report_index *ix)
{
	size_t n = d->latest.nresults, nrefs = 0;
	size_t *order = ax_calloc(n + 1, sizeof(*order));
	struct run_ref *refs = ax_calloc(n + 1, sizeof(*refs));

	memset(ix, 0, sizeof(*ix));
	ix->nlatest = n;
	ix->run = ax_calloc(n + 1, sizeof(*ix->run));
	ix->artifacts = ax_calloc(n + 1, sizeof(*ix->artifacts));
	ix->nartifacts = ax_calloc(n + 1, sizeof(*ix->nartifacts));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp_latest_idx, d->latest.results);

	/* Oldest run first: a later run with the same result wins, as in
	 * export_data.c's choice of the newest result. */
	for (size_t i = 0; d->result_run && i < d->evidence.nresults; i++) {
		long j = find_latest(d, order, &d->evidence.results[i]);
		if (j >= 0)
			ix->run[j] = d->result_run[i];
	}
	for (size_t i = 0; i < n; i++)
		if (ix->run[i]) {
			refs[nrefs].run = ix->run[i];
			refs[nrefs].latest = i;
			nrefs++;
		}
	qsort(refs, nrefs, sizeof(*refs), cmp_run_ref);
	for (size_t l = 0; l < d->nlinks; l++) {
		const struct ax_export_link *link = &d->links[l];
		size_t lo = 0, hi = nrefs;
		if (link->artifact >= d->nartifacts)
			continue;
		while (lo < hi) { /* first ref with run >= link->run_id */
			size_t mid = lo + (hi - lo) / 2;
			if (refs[mid].run < link->run_id)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < nrefs && refs[k].run == link->run_id; k++)
			if (strcmp(nz(d->artifacts[link->artifact].instance),
				   nz(d->latest.results[refs[k].latest].instance)) == 0)
				add_artifact(ix, refs[k].latest, link->artifact);
	}
	sort_artifacts(d, ix);
	free(order);
	free(refs);
	return 0;
}

void ax_report_index_free(struct ax_report_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; ix->artifacts && i < ix->nlatest; i++)
		free(ix->artifacts[i]);
	free(ix->artifacts);
	free(ix->nartifacts);
	free(ix->run);
	memset(ix, 0, sizeof(*ix));
}

size_t ax_report_latest_index(const struct ax_export_data *d, const struct ax_result *r)
{
	if (!r || !d->latest.results || r < d->latest.results || r >= d->latest.results + d->latest.nresults)
		return (size_t)-1;
	return (size_t)(r - d->latest.results);
}

int ax_report_local_href(const char *path)
{
	if (!path || strncmp(path, "evidence/", 9) != 0 || strstr(path, ".."))
		return 0;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p >= 0x7F || *p == ':' || *p == '\\' || *p == '"' || *p == '\'' || *p == '<' ||
		    *p == '>' || *p == '#' || *p == '?' || *p == '%')
			return 0;
	return 1;
}

void ax_uuid5(const unsigned char ns[16], const void *name, size_t len, char out[37])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) || !EVP_DigestUpdate(ctx, ns, 16) ||
	    !EVP_DigestUpdate(ctx, name, len) || !EVP_DigestFinal_ex(ctx, md, &mdlen))
		abort(); /* SHA-1 of a few bytes cannot fail short of a broken libcrypto */
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0F) | 0x50); /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
}
