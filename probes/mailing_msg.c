/* mailing_msg.c - inspecting one campaign message with GMime and libxml2.
 *
 * Everything is read from memory the caller bounded; HTML is parsed with
 * HTML_PARSE_NONET | NOERROR | NOWARNING and never fetches anything. A
 * link counts as visible unless it or an ancestor is `hidden` or styled
 * display:none / visibility:hidden, or it has no text. HTML that libxml2
 * recovers from (unclosed tags, stray '<') is read as a browser would and
 * flagged; an HTML part with content that yields no document at all is an
 * error with libxml2's reason and line, not a silent "no link". */
#include "mailing_msg.h"

#include <ctype.h>
#include <string.h>

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "error.h"
#include "msgfiles.h"

struct walk {
	const regex_t *unsub_re;
	struct ax_buf text; /* visible-ish text of all parts, for the sender pattern */
	int has_html, link;
	int plain_link;     /* unsubscribe URL in a text/plain part */
	int html_recovered;
	struct ax_buf html_error; /* first unreadable HTML part */
};

static int pattern_hits(const regex_t *re, const char *s)
{
	return re && s && regexec(re, s, 0, NULL, 0) == 0;
}

/* Lowercased without whitespace: "Display: None" -> "display:none". */
static int style_hides(const char *style)
{
	struct ax_buf b = AX_BUF_INIT;
	for (const char *p = style; p && *p; p++)
		if (!isspace((unsigned char)*p))
			ax_buf_putc(&b, (char)tolower((unsigned char)*p));
	const char *s = ax_buf_cstr(&b);
	int hidden = strstr(s, "display:none") || strstr(s, "visibility:hidden") || strstr(s, "font-size:0") ||
		     strstr(s, "opacity:0;") || (strlen(s) >= 9 && strcmp(s + strlen(s) - 9, "opacity:0") == 0);
	ax_buf_free(&b);
	return hidden != 0;
}

static int node_hidden(xmlNode *n)
{
	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
		if (xmlHasProp(n, BAD_CAST "hidden"))
			return 1;
		xmlChar *style = xmlGetProp(n, BAD_CAST "style");
		int h = style && style_hides((const char *)style);
		xmlFree(style);
		if (h)
			return 1;
	}
	return 0;
}

static int text_is_blank_n(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static int text_is_blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static void walk_html(struct walk *w, xmlNode *n, int depth)
{
	for (; n && depth < 256; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && n->name && xmlStrcasecmp(n->name, BAD_CAST "a") == 0) {
			xmlChar *href = xmlGetProp(n, BAD_CAST "href");
			xmlChar *txt = xmlNodeGetContent(n);
			if (href && (pattern_hits(w->unsub_re, (const char *)href) || pattern_hits(w->unsub_re, (const char *)txt)) &&
			    !text_is_blank((const char *)txt) && !node_hidden(n))
				w->link = 1;
			xmlFree(href);
			xmlFree(txt);
		}
		if (n->type == XML_ELEMENT_NODE && n->name &&
		    (xmlStrcasecmp(n->name, BAD_CAST "script") == 0 || xmlStrcasecmp(n->name, BAD_CAST "style") == 0))
			continue;
		if (n->type == XML_TEXT_NODE && n->content && !node_hidden(n->parent)) {
			ax_buf_puts(&w->text, (const char *)n->content);
			ax_buf_putc(&w->text, ' ');
		}
		if (n->children)
			walk_html(w, n->children, depth + 1);
	}
}

static void inspect_html(struct walk *w, const char *html, size_t len, const char *charset)
{
	htmlParserCtxtPtr ctxt = NULL;
	htmlDocPtr doc = NULL;
	if (text_is_blank_n(html, len))
		return; /* an empty part shows nothing; not an error */
	if (len > INT32_MAX) {
		ax_buf_puts(&w->html_error, "HTML part larger than 2 GiB");
		return;
	}
	ctxt = htmlNewParserCtxt();
	if (ctxt)
		doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, charset,
					 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (!doc || !xmlDocGetRootElement(doc)) {
		if (!w->html_error.size) {
			const xmlError *e = ctxt ? &ctxt->lastError : NULL;
			struct ax_buf why = AX_BUF_INIT;
			ax_buf_puts(&why, e && e->message ? e->message : "no document");
			while (why.size && isspace((unsigned char)why.ptr[why.size - 1]))
				ax_buf_truncate(&why, why.size - 1);
			ax_buf_printf(&w->html_error, "HTML part is not readable HTML (libxml2, line %d: %s)",
				      e ? e->line : 0, ax_buf_cstr(&why));
			ax_buf_free(&why);
		}
		goto cleanup;
	}
	w->has_html = 1;
	if (!ctxt->wellFormed)
		w->html_recovered = 1;
	walk_html(w, xmlDocGetRootElement(doc), 0);
cleanup:
	if (doc)
		xmlFreeDoc(doc);
	if (ctxt)
		htmlFreeParserCtxt(ctxt);
}

static void each_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct walk *w = data;
	(void)parent;
	if (!GMIME_IS_PART(part) || GMIME_IS_MULTIPART(part))
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	if (!ct || !g_mime_content_type_is_type(ct, "text", "*"))
		return;
	if (g_mime_part_is_attachment(GMIME_PART(part)))
		return;
	struct ax_buf bytes = AX_BUF_INIT;
	if (ax_msgfiles_part_content(part, &bytes) == 0) {
		const char *charset = g_mime_content_type_get_parameter(ct, "charset");
		if (g_mime_content_type_is_type(ct, "text", "html")) {
			inspect_html(w, ax_buf_cstr(&bytes), bytes.size, charset);
		} else if (g_mime_content_type_is_type(ct, "text", "plain")) {
			struct ax_buf t = AX_BUF_INIT;
			ax_buf_put(&t, bytes.ptr, bytes.size);
			/* a text line with a URL that matches the pattern */
			char *save = NULL;
			for (char *line = strtok_r(t.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
				if ((strstr(line, "https://") || strstr(line, "http://") || strstr(line, "mailto:")) &&
				    pattern_hits(w->unsub_re, line))
					w->plain_link = 1;
			ax_buf_put(&w->text, bytes.ptr, bytes.size);
			ax_buf_putc(&w->text, ' ');
			ax_buf_free(&t);
		}
	}
	ax_buf_free(&bytes);
}

/* Does one DKIM-Signature value's h= tag list name? */
static int dkim_h_has(const char *sig, const char *name)
{
	const char *p = sig;
	size_t nlen = strlen(name);
	while (p && *p) {
		while (*p == ';' || isspace((unsigned char)*p))
			p++;
		if ((p[0] == 'h' || p[0] == 'H')) {
			const char *q = p + 1;
			while (isspace((unsigned char)*q))
				q++;
			if (*q == '=') {
				q++;
				const char *end = strchr(q, ';');
				if (!end)
					end = q + strlen(q);
				while (q < end) {
					while (q < end && (isspace((unsigned char)*q) || *q == ':'))
						q++;
					const char *s = q;
					while (q < end && *q != ':' && !isspace((unsigned char)*q))
						q++;
					if ((size_t)(q - s) == nlen && strncasecmp(s, name, nlen) == 0)
						return 1;
				}
				return 0;
			}
		}
		p = strchr(p, ';');
	}
	return 0;
}

static void inspect_headers(GMimeObject *msg, struct ax_mailing_report *r)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		if (!name || !raw)
			continue;
		if (strcasecmp(name, "List-Unsubscribe") == 0) {
			/* <https://...>, <mailto:...>: each URI in angle brackets */
			for (const char *p = strchr(raw, '<'); p; p = strchr(p + 1, '<')) {
				if (strncasecmp(p + 1, "https://", 8) == 0)
					r->list_unsubscribe = r->unsubscribe_https = 1;
				else if (strncasecmp(p + 1, "mailto:", 7) == 0)
					r->list_unsubscribe = 1;
			}
		} else if (strcasecmp(name, "List-Unsubscribe-Post") == 0) {
			const char *v = raw;
			while (isspace((unsigned char)*v))
				v++;
			if (strncmp(v, "List-Unsubscribe=One-Click", 26) == 0 && text_is_blank(v + 26))
				r->one_click = 1;
		}
	}
	int need_post = 0;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		if (g_mime_header_get_name(h) && strcasecmp(g_mime_header_get_name(h), "List-Unsubscribe-Post") == 0)
			need_post = 1;
	}
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h), *raw = g_mime_header_get_raw_value(h);
		if (!name || !raw || strcasecmp(name, "DKIM-Signature") != 0)
			continue;
		r->dkim_signed = 1;
		if (dkim_h_has(raw, "List-Unsubscribe") && (!need_post || dkim_h_has(raw, "List-Unsubscribe-Post")))
			r->dkim_covers = 1;
	}
}

int ax_mailing_inspect(const char *data, size_t len, const regex_t *unsub_re, const regex_t *sender_re,
		       struct ax_mailing_report *out)
{
	struct walk w = {.unsub_re = unsub_re};
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	int err = 0;
	memset(out, 0, sizeof(*out));
	g_mime_init();
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg) {
		err = ax_error_code(AX_EINVALID, "not a MIME message (no header block)");
		goto cleanup;
	}
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	if (!hl || g_mime_header_list_get_count(hl) == 0 || !g_mime_message_get_mime_part(msg)) {
		err = ax_error_code(AX_EINVALID, "not a MIME message (no headers or no body)");
		goto cleanup;
	}
	inspect_headers(GMIME_OBJECT(msg), out);
	g_mime_message_foreach(msg, each_part, &w);
	if (w.html_error.size) {
		err = ax_error_code(AX_EINVALID, "%s", ax_buf_cstr(&w.html_error));
		goto cleanup;
	}
	out->has_html = w.has_html;
	out->html_recovered = w.html_recovered;
	out->unsubscribe_link = w.has_html ? w.link : w.plain_link;
	out->sender_identified = sender_re ? pattern_hits(sender_re, ax_buf_cstr(&w.text)) : -1;
cleanup:
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	ax_buf_free(&w.text);
	ax_buf_free(&w.html_error);
	return err;
}
