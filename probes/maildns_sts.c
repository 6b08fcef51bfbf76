/* maildns_sts.c - MTA-STS policy fetch (libcurl) and parsing (see
 * maildns_sts.h). RFC 8461 3.3: HTTPS with a valid certificate for
 * mta-sts.DOMAIN, no redirects, a 2xx answer. The Content-Type (text/plain
 * in RFC 8461 3.2) is not checked: a body that is no policy fails the
 * parse anyway. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "error.h"
#include "maildns_sts.h"

int md_sts_record_parse(const char *rec, char **id_out)
{
	*id_out = NULL;
	if (strncmp(rec, "v=STSv1", 7) != 0 || (rec[7] != ';' && rec[7] != ' ' && rec[7] != '\0'))
		return ax_error_code(AX_EINVALID, "not an MTA-STS record (v=STSv1)");
	/* RFC 8461 3.1: id= is a field of its own, after a ';' and optional
	 * WSP; "xid=" (an extension) is not it. */
	const char *id = NULL;
	for (const char *f = strchr(rec, ';'); f && !id; f = strchr(f, ';')) {
		f += strspn(f + 1, " \t") + 1;
		if (strncmp(f, "id=", 3) == 0)
			id = f;
	}
	if (!id)
		return ax_error_code(AX_EINVALID, "the MTA-STS record has no id=");
	id += 3;
	size_t n = 0;
	while (isalnum((unsigned char)id[n]))
		n++;
	const char *rest = id + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (n == 0 || n > 32 || (*rest && *rest != ';'))
		return ax_error_code(AX_EINVALID, "the MTA-STS id= is not 1-32 letters and digits");
	*id_out = ax_strndup(id, n);
	return 0;
}

void md_sts_free(struct md_sts *s)
{
	if (!s)
		return;
	free(s->mode);
	for (size_t i = 0; i < s->nmx; i++)
		free(s->mx[i]);
	free(s->mx);
	memset(s, 0, sizeof(*s));
}

int md_sts_parse(const char *body, size_t len, struct md_sts *out)
{
	int version = 0, err = 0;
	size_t i = 0;
	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	while (i < len && !err) {
		const char *line = body + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		const char *colon = memchr(line, ':', n);
		if (!colon) {
			err = ax_error_code(AX_EINVALID, "policy line without ':'");
			break;
		}
		size_t klen = (size_t)(colon - line);
		const char *v = colon + 1;
		size_t vlen = n - klen - 1;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		char *val = ax_strndup(v, vlen);
		for (char *c = val; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				err = ax_error_code(AX_EINVALID, "policy value with a control or non-ASCII byte");
#define KEY(k) (klen == strlen(k) && strncmp(line, k, klen) == 0)
		if (err) {
		} else if (KEY("version")) {
			if (strcmp(val, "STSv1") != 0)
				err = ax_error_code(AX_EINVALID, "policy version is not STSv1");
			version = 1;
		} else if (KEY("mode")) {
			if (out->mode || (strcmp(val, "enforce") && strcmp(val, "testing") && strcmp(val, "none")))
				err = ax_error_code(AX_EINVALID, "policy mode is repeated or not enforce/testing/none");
			else
				out->mode = ax_strdup(val);
		} else if (KEY("max_age")) {
			char *end;
			long long a = strtoll(val, &end, 10);
			if (!isdigit((unsigned char)val[0]) || *end || a > 31557600 || out->max_age >= 0)
				err = ax_error_code(AX_EINVALID, "policy max_age is repeated or not 0..31557600");
			else
				out->max_age = a;
		} else if (KEY("mx")) {
			for (char *c = val; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (!val[0] || out->nmx >= 256) {
				err = ax_error_code(AX_EINVALID, "policy mx pattern empty or too many");
			} else {
				out->mx = ax_realloc(out->mx, (out->nmx + 1) * sizeof(char *));
				out->mx[out->nmx++] = val;
				val = NULL;
			}
		} /* other keys: extensions, ignored (RFC 8461 3.2) */
#undef KEY
		free(val);
	}
	if (!err && (!version || !out->mode || out->max_age < 0 || (strcmp(out->mode, "none") != 0 && !out->nmx)))
		err = ax_error_code(AX_EINVALID, "policy lacks version, mode, max_age or mx");
	if (err)
		md_sts_free(out);
	return err;
}

int md_sts_mx_match(const char *pattern, const char *host)
{
	if (strncmp(pattern, "*.", 2) != 0)
		return strcasecmp(pattern, host) == 0;
	const char *dot = strchr(host, '.');
	return dot && dot != host && strcasecmp(dot + 1, pattern + 2) == 0;
}

struct sink {
	struct ax_buf *b;
	size_t max;
	int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	if (s->b->size + size * n > s->max) {
		s->over = 1;
		return 0;
	}
	ax_buf_put(s->b, p, size * n);
	return size * n;
}

int md_sts_fetch(const char *domain, const char *const *addrs, size_t naddrs, const char *ca_file, const char *connect_to,
		 long timeout, size_t max, struct ax_buf *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *to = NULL, *resolve = NULL;
	struct sink s = {body, max, 0};
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = ax_asprintf("https://mta-sts.%s/.well-known/mta-sts.txt", domain);
	int err = 0;
	if (!c) {
		free(url);
		return ax_error_set("libcurl: cannot start");
	}
	const char *port = "443";
	if (connect_to) {
		char *entry = ax_asprintf("mta-sts.%s:443:%s", domain, connect_to);
		to = curl_slist_append(NULL, entry);
		free(entry);
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, to);
		if (connect_to[0] == ':')
			port = connect_to + 1;
	}
	if (!connect_to || connect_to[0] == ':') {
		/* the addresses the validating resolver returned, never the
		 * system resolver's */
		struct ax_buf entry = AX_BUF_INIT;
		ax_buf_printf(&entry, "mta-sts.%s:%s:", domain, port);
		for (size_t i = 0; i < naddrs; i++)
			ax_buf_printf(&entry, strchr(addrs[i], ':') ? "%s[%s]" : "%s%s", i ? "," : "", addrs[i]);
		if (!naddrs) {
			ax_buf_free(&entry);
			err = ax_error_code(AX_ENOTFOUND, "mta-sts.%s has no address", domain);
			goto cleanup;
		}
		resolve = curl_slist_append(NULL, ax_buf_cstr(&entry));
		ax_buf_free(&entry);
		curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* the policy is fetched from the domain itself */
	curl_easy_setopt(c, CURLOPT_USERAGENT, "annexa-maildns");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s.over)
		err = ax_error_code(AX_EINVALID, "%s: policy larger than %zu bytes", url, max);
	else if (rc != CURLE_OK)
		err = ax_error_code(AX_ENOTFOUND, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		err = ax_error_code(AX_ENOTFOUND, "%s: HTTP status %ld%s", url, status,
				    status >= 300 && status < 400 ? " (redirects are not followed, RFC 8461 3.3)" : "");
cleanup:
	curl_easy_cleanup(c);
	curl_slist_free_all(to);
	curl_slist_free_all(resolve);
	free(url);
	return err;
}
