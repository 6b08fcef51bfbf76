/* postfix_conf.c - parser of main.cf / master.cf and Postfix's `$name`
 * expansion (see postfix_conf.h for the rules and bounds).
 *
 * Guarantees: never reads past len, never recurses more than
 * PF_EXPAND_DEPTH, every error names the origin and the line. */
#include "postfix_conf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Postfix 3.7 defaults (compatibility_level >= 3.6) of what the probes read. */
static const struct {
	const char *name, *value;
} pf_defaults[] = {
	{"smtpd_tls_security_level", ""},
	{"smtp_tls_security_level", ""},
	{"smtpd_use_tls", "no"},
	{"smtpd_enforce_tls", "no"},
	{"smtp_use_tls", "no"},
	{"smtp_enforce_tls", "no"},
	{"smtpd_tls_auth_only", "no"},
	{"smtpd_tls_wrappermode", "no"},
	{"smtpd_tls_protocols", ">=TLSv1"},
	{"smtpd_tls_mandatory_protocols", ">=TLSv1"},
	{"smtp_tls_protocols", ">=TLSv1"},
	{"smtp_tls_mandatory_protocols", ">=TLSv1"},
	{"smtpd_tls_ciphers", "medium"},
	{"smtpd_tls_mandatory_ciphers", "medium"},
	{"smtpd_tls_cert_file", ""},
	{"smtpd_tls_key_file", "$smtpd_tls_cert_file"},
	{"smtpd_tls_chain_files", ""},
	{"smtpd_tls_eccert_file", ""},
	{"smtpd_tls_eckey_file", "$smtpd_tls_eccert_file"},
	{"smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"},
	{"smtpd_recipient_restrictions", ""},
	{"mynetworks_style", "host"},
	{"disable_vrfy_command", "no"},
	{"smtpd_sasl_auth_enable", "no"},
	{"smtp_sasl_password_maps", ""},
	{"config_directory", "/etc/postfix"},
	{"compatibility_level", "0"},
};

const char *pf_default(const char *name)
{
	for (size_t i = 0; i < sizeof(pf_defaults) / sizeof(pf_defaults[0]); i++)
		if (strcmp(pf_defaults[i].name, name) == 0)
			return pf_defaults[i].value;
	return NULL;
}

/* Reads the next logical line from text[*pos..len) into line (cleared).
 * Returns 1 with *first_line set, 0 at the end, AX_EINVALID when too long. */
static int next_logical_line(const char *text, size_t len, size_t *pos, unsigned *lineno, struct ax_buf *line,
			     unsigned *first_line, const char *origin)
{
	ax_buf_clear(line);
	*first_line = 0;
	while (*pos < len) {
		size_t s = *pos, e = s;
		while (e < len && text[e] != '\n')
			e++;
		*pos = e < len ? e + 1 : e;
		(*lineno)++;
		size_t ws = s;
		while (ws < e && (text[ws] == ' ' || text[ws] == '\t' || text[ws] == '\r'))
			ws++;
		if (ws == e || text[ws] == '#')
			continue; /* blank or comment: ignored, even inside a continuation */
		int continues = ws > s;
		if (!continues && line->size) {
			/* a new logical line starts: give it back for the next call */
			*pos = s;
			(*lineno)--;
			return 1;
		}
		if (continues && !line->size)
			return ax_error_code(AX_EINVALID, "%s:%u: continuation line without a preceding line", origin,
					     *lineno);
		if (!line->size)
			*first_line = *lineno;
		else
			ax_buf_putc(line, ' ');
		size_t end = e;
		while (end > ws && isspace((unsigned char)text[end - 1]))
			end--;
		if (line->size + (end - ws) > PF_LINE_MAX)
			return ax_error_code(AX_EINVALID, "%s:%u: logical line longer than %d bytes", origin, *lineno,
					     PF_LINE_MAX);
		for (size_t i = ws; i < end; i++)
			if (text[i] == '\0')
				return ax_error_code(AX_EINVALID, "%s:%u: NUL byte", origin, *lineno);
		ax_buf_put(line, text + ws, end - ws);
	}
	return line->size ? 1 : 0;
}

static int param_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

/* Splits "name = value" (value may be empty) into a new param. */
static int split_assignment(const char *s, size_t n, unsigned line, const char *origin, struct pf_param *out)
{
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return ax_error_code(AX_EINVALID, "%s:%u: missing '=' after parameter name", origin, line);
	size_t ne = (size_t)(eq - s);
	while (ne > 0 && isspace((unsigned char)s[ne - 1]))
		ne--;
	if (!param_name_valid(s, ne))
		return ax_error_code(AX_EINVALID, "%s:%u: invalid parameter name '%.*s'", origin, line,
				     (int)(ne > 64 ? 64 : ne), s);
	const char *v = eq + 1, *end = s + n;
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	out->name = ax_strndup(s, ne);
	out->value = ax_strndup(v, (size_t)(end - v));
	out->line = line;
	return 0;
}

static void params_free(struct pf_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

void pf_main_free(struct pf_main *m)
{
	if (!m)
		return;
	params_free(m->params, m->nparams);
	free(m);
}

int pf_main_parse(struct pf_main **out, const char *text, size_t len, const char *origin)
{
	struct pf_main *m = ax_calloc(1, sizeof(*m));
	struct ax_buf line = AX_BUF_INIT;
	size_t pos = 0, alloc = 0;
	unsigned lineno = 0, first;
	int rc;

	*out = NULL;
	while ((rc = next_logical_line(text, len, &pos, &lineno, &line, &first, origin)) == 1) {
		struct pf_param p;
		if ((rc = split_assignment(line.ptr, line.size, first, origin, &p)) < 0)
			goto cleanup;
		/* the last definition wins: replace in place */
		size_t i;
		for (i = 0; i < m->nparams; i++)
			if (strcmp(m->params[i].name, p.name) == 0)
				break;
		if (i < m->nparams) {
			free(m->params[i].name);
			free(m->params[i].value);
			m->params[i] = p;
			continue;
		}
		if (m->nparams >= PF_PARAMS_MAX) {
			free(p.name);
			free(p.value);
			rc = ax_error_code(AX_EINVALID, "%s:%u: more than %d parameters", origin, first, PF_PARAMS_MAX);
			goto cleanup;
		}
		if (m->nparams == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			m->params = ax_realloc(m->params, alloc * sizeof(*m->params));
		}
		m->params[m->nparams++] = p;
	}
	if (rc == 0) {
		*out = m;
		m = NULL;
	}
cleanup:
	ax_buf_free(&line);
	pf_main_free(m);
	return rc;
}

void pf_master_free(struct pf_master *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nservices; i++) {
		struct pf_service *s = &m->services[i];
		free(s->name);
		free(s->type);
		free(s->chroot);
		free(s->command);
		params_free(s->overrides, s->noverrides);
	}
	free(m->services);
	free(m);
}

/* Next token of a master.cf line: a word, or a `{ ... }` group (returned
 * without the braces, trimmed). Returns 0 at the end, 1 with the token, or
 * AX_EINVALID for an unclosed brace. */
static int next_token(const char *s, size_t n, size_t *pos, const char **tok, size_t *toklen, int *braced)
{
	size_t i = *pos;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i >= n)
		return 0;
	*braced = s[i] == '{';
	if (*braced) {
		size_t j = i + 1;
		while (j < n && s[j] != '}')
			j++;
		if (j >= n)
			return AX_EINVALID;
		size_t a = i + 1, b = j;
		while (a < b && isspace((unsigned char)s[a]))
			a++;
		while (b > a && isspace((unsigned char)s[b - 1]))
			b--;
		*tok = s + a;
		*toklen = b - a;
		*pos = j + 1;
		return 1;
	}
	size_t j = i;
	while (j < n && !isspace((unsigned char)s[j]))
		j++;
	*tok = s + i;
	*toklen = j - i;
	*pos = j;
	return 1;
}

static int parse_service(const char *s, size_t n, unsigned line, const char *origin, struct pf_service *svc)
{
	const char *tok;
	size_t pos = 0, tl, alloc = 0;
	int braced, col = 0, r;

	memset(svc, 0, sizeof(*svc));
	svc->line = line;
	while ((r = next_token(s, n, &pos, &tok, &tl, &braced)) == 1) {
		if (col < 8) {
			char *word = ax_strndup(tok, tl);
			if (col == 0)
				svc->name = word;
			else if (col == 1)
				svc->type = word;
			else if (col == 4)
				svc->chroot = word;
			else if (col == 7)
				svc->command = word;
			else
				free(word);
			col++;
			continue;
		}
		if (braced || tl < 2 || tok[0] != '-' || tok[1] != 'o')
			continue; /* other daemon arguments (-v, -n name, ...) */
		const char *assign = tok + 2;
		size_t alen = tl - 2;
		if (alen == 0) {
			/* "-o name=value" or "-o { name = value }" as the next token */
			if ((r = next_token(s, n, &pos, &tok, &tl, &braced)) != 1)
				return ax_error_code(AX_EINVALID, "%s:%u: service '%s': -o without a setting%s", origin,
						     line, svc->name, r < 0 ? " (unclosed '{')" : "");
			assign = tok;
			alen = tl;
		}
		struct pf_param p;
		if (split_assignment(assign, alen, line, origin, &p) < 0) {
			ax_error_prefix("service '%s' -o", svc->name);
			return AX_EINVALID;
		}
		if (svc->noverrides == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			svc->overrides = ax_realloc(svc->overrides, alloc * sizeof(*svc->overrides));
		}
		svc->overrides[svc->noverrides++] = p;
	}
	if (r < 0)
		return ax_error_code(AX_EINVALID, "%s:%u: unclosed '{'", origin, line);
	if (col < 8)
		return ax_error_code(AX_EINVALID, "%s:%u: service '%s' has %d fields, expected at least 8", origin, line,
				     svc->name ? svc->name : "", col);
	return 0;
}

int pf_master_parse(struct pf_master **out, const char *text, size_t len, const char *origin)
{
	struct pf_master *m = ax_calloc(1, sizeof(*m));
	struct ax_buf line = AX_BUF_INIT;
	size_t pos = 0, alloc = 0;
	unsigned lineno = 0, first;
	int rc;

	*out = NULL;
	while ((rc = next_logical_line(text, len, &pos, &lineno, &line, &first, origin)) == 1) {
		if (m->nservices >= PF_PARAMS_MAX) {
			rc = ax_error_code(AX_EINVALID, "%s:%u: too many services", origin, first);
			goto cleanup;
		}
		if (m->nservices == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			m->services = ax_realloc(m->services, alloc * sizeof(*m->services));
		}
		rc = parse_service(line.ptr, line.size, first, origin, &m->services[m->nservices]);
		m->nservices++; /* counted even on error so that free releases it */
		if (rc < 0)
			goto cleanup;
	}
	if (rc == 0) {
		*out = m;
		m = NULL;
	}
cleanup:
	ax_buf_free(&line);
	pf_master_free(m);
	return rc;
}

const struct pf_param *pf_main_find(const struct pf_main *m, const char *name)
{
	for (size_t i = 0; m && i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return &m->params[i];
	return NULL;
}

const char *pf_raw(const struct pf_main *m, const struct pf_service *svc, const char *name)
{
	for (size_t i = svc ? svc->noverrides : 0; i > 0; i--)
		if (strcmp(svc->overrides[i - 1].name, name) == 0)
			return svc->overrides[i - 1].value;
	const struct pf_param *p = pf_main_find(m, name);
	return p ? p->value : pf_default(name);
}

static int expand_into(const struct pf_main *m, const struct pf_service *svc, const char *raw, int depth,
		       struct ax_buf *out);

/* One `$...` reference at raw (pointing after '$'); advances *consumed. */
static int expand_ref(const struct pf_main *m, const struct pf_service *svc, const char *raw, size_t *consumed,
		      int depth, struct ax_buf *out)
{
	char close = 0;
	size_t i = 0;
	if (raw[0] == '{')
		close = '}';
	else if (raw[0] == '(')
		close = ')';
	if (close)
		i = 1;
	size_t ns = i;
	while (raw[i] && (isalnum((unsigned char)raw[i]) || raw[i] == '_' || raw[i] == '-' || raw[i] == '.'))
		i++;
	size_t nlen = i - ns;
	if (nlen == 0 || nlen > 128) {
		ax_buf_putc(out, '$'); /* a lone '$' stays literal */
		*consumed = 0;
		return 0;
	}
	char *name = ax_strndup(raw + ns, nlen);
	const char *val = pf_raw(m, svc, name);
	int rc = 0;
	free(name);
	if (close && (raw[i] == '?' || raw[i] == ':')) {
		/* ${name?text}: text when name is non-empty; ${name:text}: when empty */
		int want_set = raw[i] == '?';
		size_t ts = i + 1, nest = 0, te = ts;
		while (raw[te] && (raw[te] != close || nest)) {
			if (raw[te] == '{' || raw[te] == '(')
				nest++;
			else if ((raw[te] == '}' || raw[te] == ')') && nest)
				nest--;
			te++;
		}
		if (!raw[te])
			return ax_error_code(AX_EINVALID, "unclosed '%c' in $%c...%c", close == '}' ? '{' : '(',
					     raw[0], close);
		int is_set = val && *val;
		if (is_set == want_set) {
			char *text = ax_strndup(raw + ts, te - ts);
			rc = expand_into(m, svc, text, depth + 1, out);
			free(text);
		}
		*consumed = te + 1;
		return rc;
	}
	if (close) {
		if (raw[i] != close)
			return ax_error_code(AX_EINVALID, "unclosed '%c' in parameter reference", raw[0]);
		i++;
	}
	*consumed = i;
	return val ? expand_into(m, svc, val, depth + 1, out) : 0;
}

static int expand_into(const struct pf_main *m, const struct pf_service *svc, const char *raw, int depth,
		       struct ax_buf *out)
{
	if (depth > PF_EXPAND_DEPTH)
		return ax_error_code(AX_EINVALID, "parameter expansion nested deeper than %d (a loop?)", PF_EXPAND_DEPTH);
	for (const char *p = raw; *p;) {
		if (out->size > PF_EXPAND_MAX)
			return ax_error_code(AX_EINVALID, "expanded value longer than %d bytes", PF_EXPAND_MAX);
		if (*p != '$') {
			const char *d = strchr(p, '$');
			size_t n = d ? (size_t)(d - p) : strlen(p);
			ax_buf_put(out, p, n);
			p += n;
			continue;
		}
		if (p[1] == '$') { /* "$$" is a literal '$' */
			ax_buf_putc(out, '$');
			p += 2;
			continue;
		}
		size_t used = 0;
		int rc = expand_ref(m, svc, p + 1, &used, depth, out);
		if (rc < 0)
			return rc;
		p += 1 + used;
	}
	if (out->size > PF_EXPAND_MAX)
		return ax_error_code(AX_EINVALID, "expanded value longer than %d bytes", PF_EXPAND_MAX);
	return 0;
}

int pf_expand(const struct pf_main *m, const struct pf_service *svc, const char *name, struct ax_buf *out)
{
	ax_buf_clear(out);
	const char *raw = pf_raw(m, svc, name);
	if (!raw)
		return 0;
	int rc = expand_into(m, svc, raw, 0, out);
	if (rc < 0)
		ax_error_prefix("%s", name);
	return rc;
}

size_t pf_list_each(const char *value, void (*fn)(const char *word, size_t len, void *arg), void *arg)
{
	size_t count = 0;
	const char *p = value;
	while (p && *p) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		const char *s = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',')
			p++;
		if (p > s) {
			if (fn)
				fn(s, (size_t)(p - s), arg);
			count++;
		}
	}
	return count;
}
