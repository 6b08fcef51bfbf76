/* mailreports_parse.c - DMARC aggregate and TLS-RPT report parsing (see
 * mailreports_parse.h). gzip and zip go through libarchive from memory;
 * the XML through libxml2 without entity substitution, DTD loading or
 * network; the JSON through jansson. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "error.h"
#include "mailreports_parse.h"
#include "util.h"

int mr_looks_like_report(const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len && isspace(*p))
		p++, len--;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return 1;
	if (len >= 4 && memcmp(p, "PK\3\4", 4) == 0)
		return 1;
	return len >= 1 && (p[0] == '<' || p[0] == '{');
}

static int unpack(const void *data, size_t len, size_t max, struct ax_buf *out)
{
	const unsigned char *p = data;
	int gz = len >= 2 && p[0] == 0x1f && p[1] == 0x8b, zip = len >= 4 && memcmp(p, "PK\3\4", 4) == 0;
	if (!gz && !zip) {
		if (len > max)
			return ax_error_code(AX_EINVALID, "report larger than %zu bytes", max);
		ax_buf_put(out, data, len);
		return 0;
	}
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int err = 0;
	if (gz) {
		archive_read_support_filter_gzip(a);
		archive_read_support_format_raw(a);
	} else {
		archive_read_support_format_zip(a);
	}
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		err = ax_error_code(AX_EINVALID, "unreadable %s archive: %s", gz ? "gzip" : "zip", archive_error_string(a));
		goto cleanup;
	}
	/* zip: the first regular file (reporters send one report per archive) */
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK && !gz && archive_entry_filetype(e) != AE_IFREG)
		;
	if (r != ARCHIVE_OK) {
		err = ax_error_code(AX_EINVALID, "unreadable %s archive: %s", gz ? "gzip" : "zip",
				    r == ARCHIVE_EOF ? "no file in it" : archive_error_string(a));
		goto cleanup;
	}
	char chunk[16384];
	la_ssize_t n;
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (out->size + (size_t)n > max) {
			err = ax_error_code(AX_EINVALID, "report larger than %zu bytes once decompressed", max);
			goto cleanup;
		}
		ax_buf_put(out, chunk, (size_t)n);
	}
	if (n < 0)
		err = ax_error_code(AX_EINVALID, "corrupt %s archive: %s", gz ? "gzip" : "zip", archive_error_string(a));
cleanup:
	archive_read_free(a);
	if (err < 0)
		ax_buf_clear(out);
	return err;
}

void mr_report_free(struct mr_report *r)
{
	if (!r)
		return;
	free(r->org);
	free(r->report_id);
	free(r->domain);
	for (size_t i = 0; i < r->ncounts; i++)
		free(r->counts[i].key);
	free(r->counts);
	memset(r, 0, sizeof(*r));
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	while (s && isspace((unsigned char)*s))
		s++;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int add_u64(uint64_t *acc, uint64_t v)
{
	if (*acc > UINT64_MAX - v)
		return ax_error_code(AX_EINVALID, "counts overflow");
	*acc += v;
	return 0;
}

static int count_add(struct mr_report *r, const char *key, uint64_t v)
{
	for (size_t i = 0; i < r->ncounts; i++)
		if (strcmp(r->counts[i].key, key) == 0)
			return add_u64(&r->counts[i].count, v);
	r->counts = ax_realloc(r->counts, (r->ncounts + 1) * sizeof(*r->counts));
	r->counts[r->ncounts].key = ax_strdup(key);
	r->counts[r->ncounts++].count = v;
	return 0;
}

/* --- DMARC (RFC 7489 appendix C) --- */

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The text of the element at a path of child names, or NULL; caller frees. */
static char *text_at(xmlNode *n, const char *a, const char *b, const char *c)
{
	n = child(n, a);
	if (b)
		n = child(n, b);
	if (c)
		n = child(n, c);
	if (!n)
		return NULL;
	xmlChar *t = xmlNodeGetContent(n);
	char *s = t ? ax_strdup((const char *)t) : NULL;
	xmlFree(t);
	if (s) { /* trim */
		size_t len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
		size_t lead = strspn(s, " \t\r\n");
		memmove(s, s + lead, len - lead + 1);
	}
	return s;
}

static int is_pass(const char *s)
{
	return s && strcmp(s, "pass") == 0;
}

static int parse_dmarc(const char *xml, size_t len, struct mr_report *r)
{
	if (len > INT32_MAX)
		return ax_error_code(AX_EINVALID, "report too large");
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "report.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	char *s = NULL;
	int err = 0;
	if (!root || strcmp((const char *)root->name, "feedback") != 0) {
		err = ax_error_code(AX_EINVALID, "not a DMARC aggregate report (no <feedback> root)");
		goto cleanup;
	}
	r->kind = MR_DMARC;
	r->org = text_at(root, "report_metadata", "org_name", NULL);
	r->report_id = text_at(root, "report_metadata", "report_id", NULL);
	r->domain = text_at(root, "policy_published", "domain", NULL);
	uint64_t b, e;
	char *bs = text_at(root, "report_metadata", "date_range", "begin"), *es = text_at(root, "report_metadata", "date_range", "end");
	int bad = parse_u64(bs, &b) < 0 || parse_u64(es, &e) < 0 || b > INT64_MAX || e > INT64_MAX || b > e;
	free(bs);
	free(es);
	if (bad || !r->org || !r->domain) {
		err = ax_error_code(AX_EINVALID, "DMARC report without org_name, domain or a valid date_range");
		goto cleanup;
	}
	r->begin = (int64_t)b;
	r->end = (int64_t)e;
	for (xmlNode *rec = root->children; rec; rec = rec->next) {
		if (rec->type != XML_ELEMENT_NODE || strcmp((const char *)rec->name, "record") != 0)
			continue;
		uint64_t n;
		s = text_at(rec, "row", "count", NULL);
		if (parse_u64(s, &n) < 0) {
			err = ax_error_code(AX_EINVALID, "a record's count is not a number");
			goto cleanup;
		}
		free(s);
		char *dkim = text_at(rec, "row", "policy_evaluated", "dkim"), *spf = text_at(rec, "row", "policy_evaluated", "spf");
		int pass = is_pass(dkim) || is_pass(spf);
		free(dkim);
		free(spf);
		if (pass) {
			err = add_u64(&r->pass, n);
		} else {
			s = text_at(rec, "row", "source_ip", NULL);
			err = add_u64(&r->fail, n);
			if (!err)
				err = count_add(r, s && *s && strlen(s) < 64 ? s : "unknown", n);
			free(s);
		}
		s = NULL;
		if (err < 0)
			goto cleanup;
	}
cleanup:
	free(s);
	xmlFreeDoc(doc);
	return err;
}

/* --- TLS-RPT (RFC 8460 4) --- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int jcount(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ax_error_code(AX_EINVALID, "%s is not a count", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_tlsrpt(const char *text, size_t len, struct mr_report *r)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	int err = 0;
	json_t *range = json_object_get(root, "date-range"), *pols = json_object_get(root, "policies");
	const char *org = jstr(root, "organization-name"), *id = jstr(root, "report-id");
	if (!root || !org || !range || !json_is_array(pols)) {
		err = ax_error_code(AX_EINVALID, "not a TLS report (RFC 8460): %s", root ? "organization-name, date-range or policies missing" : je.text);
		goto cleanup;
	}
	r->kind = MR_TLSRPT;
	r->org = ax_strdup(org);
	r->report_id = id ? ax_strdup(id) : NULL;
	const char *bs = jstr(range, "start-datetime"), *es = jstr(range, "end-datetime");
	if (!bs || !es || ax_time_parse(bs, &r->begin) < 0 || ax_time_parse(es, &r->end) < 0 || r->begin > r->end) {
		err = ax_error_code(AX_EINVALID, "TLS report without a valid date-range");
		goto cleanup;
	}
	size_t i;
	json_t *p;
	json_array_foreach(pols, i, p) {
		json_t *sum = json_object_get(p, "summary"), *details = json_object_get(p, "failure-details");
		const char *dom = jstr(json_object_get(p, "policy"), "policy-domain");
		uint64_t ok, failed;
		if (!json_is_object(sum) || !dom) {
			err = ax_error_code(AX_EINVALID, "a policy without summary or policy-domain");
			goto cleanup;
		}
		if (!r->domain)
			r->domain = ax_strdup(dom);
		if ((err = jcount(sum, "total-successful-session-count", &ok)) < 0 ||
		    (err = jcount(sum, "total-failure-session-count", &failed)) < 0 || (err = add_u64(&r->pass, ok)) < 0 ||
		    (err = add_u64(&r->fail, failed)) < 0)
			goto cleanup;
		size_t k;
		json_t *d;
		json_array_foreach(details, k, d) {
			const char *type = jstr(d, "result-type");
			uint64_t n;
			if (!type || strlen(type) > 64 || (err = jcount(d, "failed-session-count", &n)) < 0) {
				err = ax_error_code(AX_EINVALID, "a failure-details entry without result-type or count");
				goto cleanup;
			}
			if ((err = count_add(r, type, n)) < 0)
				goto cleanup;
		}
	}
cleanup:
	json_decref(root);
	return err;
}

int mr_report_parse(const void *data, size_t len, size_t max, struct mr_report *out)
{
	struct ax_buf text = AX_BUF_INIT;
	memset(out, 0, sizeof(*out));
	int err = unpack(data, len, max, &text);
	if (err < 0)
		return err;
	const char *p = ax_buf_cstr(&text);
	size_t skip = 0;
	while (skip < text.size && isspace((unsigned char)p[skip]))
		skip++;
	if (skip < text.size && p[skip] == '<')
		err = parse_dmarc(p, text.size, out);
	else if (skip < text.size && p[skip] == '{')
		err = parse_tlsrpt(p, text.size, out);
	else
		err = ax_error_code(AX_EINVALID, "neither a DMARC (XML) nor a TLS (JSON) report");
	ax_buf_free(&text);
	if (err < 0)
		mr_report_free(out);
	return err;
}
