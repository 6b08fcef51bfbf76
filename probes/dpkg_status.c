/* dpkg_status.c - deb822 stanzas of dpkg's status file and apt's Packages
 * indices, and dpkg's version order (dpkg_status.h). */
#include "dpkg_status.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"

struct stanza {
	const char *f[5];
	size_t len[5];
};

static const char *const wanted[] = {"Package", "Architecture", "Version", "Source", "Status"};

static char *dup_trim(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	char *s = ax_malloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void stanza_end(struct dpkg_db *db, struct stanza *st, int (*keep)(void *, const char *, size_t), void *arg)
{
	/* the name without the blanks around it, for keep() */
	while (st->f[0] && st->len[0] && (*st->f[0] == ' ' || *st->f[0] == '\t'))
		st->f[0]++, st->len[0]--;
	while (st->f[0] && st->len[0] && strchr(" \t\r", st->f[0][st->len[0] - 1]))
		st->len[0]--;
	if (st->f[0] && st->f[2] && st->len[0] && (!keep || keep(arg, st->f[0], st->len[0]))) {
		if (db->n == db->alloc) {
			db->alloc = db->alloc ? db->alloc * 2 : 256;
			db->pkgs = ax_realloc(db->pkgs, db->alloc * sizeof(*db->pkgs));
		}
		struct dpkg_pkg *p = &db->pkgs[db->n++];
		memset(p, 0, sizeof(*p));
		p->name = dup_trim(st->f[0], st->len[0]);
		p->arch = dup_trim(st->f[1] ? st->f[1] : "", st->len[1]);
		p->version = dup_trim(st->f[2], st->len[2]);
		if (st->f[4])
			p->status = dup_trim(st->f[4], st->len[4]);
		if (st->f[3]) {
			/* "Source: name (version)" */
			char *src = dup_trim(st->f[3], st->len[3]);
			char *paren = strchr(src, '(');
			if (paren) {
				char *close = strchr(paren, ')');
				p->source_version = close ? ax_strndup(paren + 1, (size_t)(close - paren - 1)) : NULL;
				while (paren > src && paren[-1] == ' ')
					paren--;
				*paren = '\0';
			}
			p->source = src;
		}
	}
	if (st->f[0] || st->f[2])
		db->stanzas++;
	memset(st, 0, sizeof(*st));
}

int dpkg_db_parse(struct dpkg_db *db, const char *text, size_t len, const char *origin,
		  int (*keep)(void *arg, const char *name, size_t len), void *arg)
{
	struct stanza st;
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int infield = 0;
	memset(&st, 0, sizeof(st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			stanza_end(db, &st, keep, arg);
			infield = 0;
		} else if (p[0] == ' ' || p[0] == '\t') {
			if (!infield)
				return ax_error_code(AX_EINVALID, "%s:%zu: continuation line outside a field", origin, lineno);
		} else if (p[0] == '#') {
			/* comment (deb822 allows them outside fields' values) */
		} else {
			const char *colon = memchr(p, ':', n);
			if (!colon || colon == p || p[0] == '-')
				return ax_error_code(AX_EINVALID, "%s:%zu: expected 'Field: value'", origin, lineno);
			size_t flen = (size_t)(colon - p);
			if (memchr(p, ' ', flen) || memchr(p, '\t', flen))
				return ax_error_code(AX_EINVALID, "%s:%zu: field name with a blank", origin, lineno);
			for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
				if (strlen(wanted[i]) == flen && strncasecmp(wanted[i], p, flen) == 0) {
					st.f[i] = colon + 1;
					st.len[i] = (size_t)(p + n - colon - 1);
				}
			infield = 1;
		}
		if (db->stanzas >= DPKG_STANZAS_MAX)
			return ax_error_code(AX_EINVALID, "%s: more than %d stanzas", origin, DPKG_STANZAS_MAX);
		p = nl ? nl + 1 : end;
	}
	stanza_end(db, &st, keep, arg);
	return 0;
}

void dpkg_db_release(struct dpkg_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++) {
		free(db->pkgs[i].name);
		free(db->pkgs[i].arch);
		free(db->pkgs[i].version);
		free(db->pkgs[i].source);
		free(db->pkgs[i].source_version);
		free(db->pkgs[i].status);
	}
	free(db->pkgs);
	memset(db, 0, sizeof(*db));
}

const char *dpkg_status_state(const struct dpkg_pkg *p)
{
	const char *s = p->status ? p->status : "";
	for (int word = 0; word < 2 && s; word++) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	return s ? s : "";
}

static int pkg_cmp(const void *a, const void *b)
{
	const struct dpkg_pkg *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->arch, y->arch);
}

void dpkg_db_sort(struct dpkg_db *db)
{
	if (db->n)
		qsort(db->pkgs, db->n, sizeof(*db->pkgs), pkg_cmp);
}

const struct dpkg_pkg *dpkg_db_find(const struct dpkg_db *db, const char *name, size_t len)
{
	size_t lo = 0, hi = db->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(db->pkgs[mid].name, name, len);
		if (c == 0 && db->pkgs[mid].name[len] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < db->n && strncmp(db->pkgs[lo].name, name, len) == 0 && db->pkgs[lo].name[len] == '\0'
		       ? &db->pkgs[lo]
		       : NULL;
}

/* dpkg's lib/dpkg/version.c order of one character. */
static int order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;
		while ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b))) {
			int ac = order((unsigned char)*a), bc = order((unsigned char)*b);
			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return 1;
		if (isdigit((unsigned char)*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

/* Splits "epoch:upstream-revision" into its parts (in *buf, which the
 * caller frees). The copy is as long as the version: fixed buffers cut
 * long versions, and two that differed past the cut compared equal. */
static void split(const char *v, long *epoch, char **up, char **rev, char **buf)
{
	const char *colon = strchr(v, ':');
	*epoch = 0;
	if (colon) {
		*epoch = strtol(v, NULL, 10);
		v = colon + 1;
	}
	*buf = ax_strdup(v);
	*up = *buf;
	char *dash = strrchr(*buf, '-');
	if (dash) {
		*dash = '\0';
		*rev = dash + 1;
	} else {
		*rev = *buf + strlen(*buf);
	}
}

int dpkg_version_cmp(const char *a, const char *b)
{
	char *ba, *bb;
	long ea, eb;
	char *ua, *ra, *ub, *rb;
	split(a, &ea, &ua, &ra, &ba);
	split(b, &eb, &ub, &rb, &bb);
	int c = ea != eb ? (ea < eb ? -1 : 1) : verrevcmp(ua, ub);
	if (!c)
		c = verrevcmp(ra, rb);
	free(ba);
	free(bb);
	return c;
}
