/* catalog.c - loads the control catalog (annex-a.xml), the check -> control
 * mappings (mapping/NAME.xml), the numbering crosswalks (crosswalk/NAME.xml)
 * and the coverage statements (coverage/NAME.xml).
 *
 * Guarantees: every file is validated against controls.xsd before a value
 * is read from it; every mapping and crosswalk names a control that exists
 * in the catalog and the catalog's framework; a control has at most one
 * coverage statement across all files; mapping files are read in
 * byte-wise name order, so the result does not depend on the locale or the
 * file system. Every error names the file, and the line when there is one.
 * On error nothing is returned: *out stays NULL. */
#include "controls.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "annexa-build.h"
#include "buf.h"
#include "config.h"
#include "error.h"
#include "util.h"

#define AX_CONTROLS_NS "urn:annexa:controls:1"

/* libxml2 2.12 made the structured error const; Debian 12 ships 2.9. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *ax_xml_error_ptr;
#else
typedef xmlErrorPtr ax_xml_error_ptr;
#endif

/* The first error libxml2 reports while one file is parsed or validated:
 * later ones are usually consequences of it. */
struct xml_errors {
	struct ax_buf msg;
	long line;
	int have;
};

static void on_xml_error(void *arg, ax_xml_error_ptr e)
{
	struct xml_errors *x = arg;
	if (x->have || !e || e->level < XML_ERR_ERROR)
		return;
	x->have = 1;
	x->line = e->line;
	if (x->line <= 0 && e->node)
		x->line = xmlGetLineNo((const xmlNode *)e->node);
	ax_buf_puts(&x->msg, e->message ? e->message : "malformed XML");
	while (x->msg.size && (x->msg.ptr[x->msg.size - 1] == '\n' || x->msg.ptr[x->msg.size - 1] == ' '))
		ax_buf_truncate(&x->msg, x->msg.size - 1);
}

static int xml_fail(int code, const char *path, const struct xml_errors *x, const char *fallback)
{
	const char *msg = x->have ? ax_buf_cstr(&x->msg) : fallback;
	if (x->line > 0)
		return ax_error_code(code, "%s:%ld: %s", path, x->line, msg);
	return ax_error_code(code, "%s: %s", path, msg);
}

static int check_readable(const char *path)
{
	if (access(path, R_OK) == 0)
		return 0;
	return ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_ERROR, "%s: %s", path, strerror(errno));
}

static int load_schema(const char *path, xmlSchemaPtr *out)
{
	struct xml_errors x = {AX_BUF_INIT, 0, 0};
	xmlSchemaParserCtxtPtr pctx = NULL;
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	int error = 0;

	*out = NULL;
	if ((error = check_readable(path)) < 0)
		goto cleanup;
	pctx = xmlSchemaNewParserCtxt(path);
	if (!pctx) {
		error = ax_error_set("%s: cannot create a schema parser", path);
		goto cleanup;
	}
	xmlSchemaSetParserStructuredErrors(pctx, on_xml_error, &x);
	/* The schema parser reads the file with the generic parser, whose
	 * errors go to the global handler, not the schema context's. */
	xmlSetStructuredErrorFunc(&x, on_xml_error);
	*out = xmlSchemaParse(pctx);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	if (!*out)
		error = xml_fail(AX_EINVALID, path, &x, "invalid schema");

cleanup:
	xmlSchemaFreeParserCtxt(pctx);
	ax_buf_free(&x.msg);
	return error;
}

/* Parses path (no network, no entity substitution), validates it against
 * schema and checks that its root is <root> in our namespace. */
static int load_doc(xmlSchemaPtr schema, const char *path, const char *root, xmlDocPtr *out)
{
	struct xml_errors x = {AX_BUF_INIT, 0, 0};
	xmlSchemaValidCtxtPtr vctx = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr top;
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	int error = 0, rc;

	*out = NULL;
	if ((error = check_readable(path)) < 0)
		goto cleanup;

	/* Parse errors go to the global (thread-local) handler: borrow it. */
	xmlSetStructuredErrorFunc(&x, on_xml_error);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	if (!doc) {
		error = xml_fail(AX_EINVALID, path, &x, "not well-formed XML");
		goto cleanup;
	}

	vctx = xmlSchemaNewValidCtxt(schema);
	if (!vctx) {
		error = ax_error_set("%s: cannot create a schema validator", path);
		goto cleanup;
	}
	xmlSchemaSetValidStructuredErrors(vctx, on_xml_error, &x);
	rc = xmlSchemaValidateDoc(vctx, doc);
	if (rc != 0) {
		error = xml_fail(rc > 0 ? AX_EINVALID : AX_ERROR, path, &x, "does not match controls.xsd");
		goto cleanup;
	}

	/* The schema admits any of its global elements as the root. */
	top = xmlDocGetRootElement(doc);
	if (!top || !top->ns || strcmp((const char *)top->ns->href, AX_CONTROLS_NS) != 0 ||
	    strcmp((const char *)top->name, root) != 0) {
		error = ax_error_code(AX_EINVALID, "%s:%ld: root element is <%s>, expected <%s>", path,
				      top ? xmlGetLineNo(top) : 0L, top ? (const char *)top->name : "", root);
		goto cleanup;
	}
	*out = doc;
	doc = NULL;

cleanup:
	xmlSchemaFreeValidCtxt(vctx);
	xmlFreeDoc(doc);
	ax_buf_free(&x.msg);
	return error;
}

/* An attribute's value, trimmed (the schema's xs:token types collapse
 * white space when validating, but xmlGetProp returns it raw). */
static char *prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	const char *s = v ? (const char *)v : "";
	size_t len;
	char *r;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	r = ax_strndup(s, len);
	xmlFree(v);
	return r;
}

static int is_element(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int load_catalog(struct ax_catalog *cat, xmlSchemaPtr schema, const char *path)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, n;
	int error;

	if ((error = load_doc(schema, path, "catalog", &doc)) < 0)
		goto cleanup;
	root = xmlDocGetRootElement(doc);
	cat->framework = prop(root, "framework");
	for (n = root->children; n; n = n->next) {
		if (!is_element(n, "control"))
			continue;
		cat->controls = ax_realloc(cat->controls, (cat->ncontrols + 1) * sizeof(*cat->controls));
		struct ax_control *c = &cat->controls[cat->ncontrols++];
		c->id = prop(n, "id");
		c->theme = prop(n, "theme");
		c->title = prop(n, "title");
	}

cleanup:
	xmlFreeDoc(doc);
	return error;
}

/* Control ids are checked against the catalog here because XSD cannot
 * look into another file: a typo must not silently map nothing. */
static int unknown_control(const struct ax_catalog *cat, const char *path, xmlNodePtr n, const char *id)
{
	return ax_error_code(AX_EINVALID, "%s:%ld: unknown control \"%s\" (not in the %s catalog)", path,
			     xmlGetLineNo(n), id, cat->framework);
}

static int load_mapping(struct ax_catalog *cat, xmlSchemaPtr schema, const char *path, const char *rel)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, n;
	char *framework = NULL, *check = NULL, *control = NULL;
	int error;

	if ((error = load_doc(schema, path, "mapping", &doc)) < 0)
		goto cleanup;
	root = xmlDocGetRootElement(doc);
	framework = prop(root, "framework");
	/* Another framework's mapping belongs next to that framework's
	 * catalog; here it would name controls that do not exist. */
	if (strcmp(framework, cat->framework) != 0) {
		error = ax_error_code(AX_EINVALID, "%s:%ld: mapping is for framework \"%s\", the catalog is \"%s\"",
				      path, xmlGetLineNo(root), framework, cat->framework);
		goto cleanup;
	}
	for (n = root->children; n; n = n->next) {
		if (!is_element(n, "map"))
			continue;
		check = prop(n, "check");
		control = prop(n, "control");
		if (!ax_catalog_find(cat, control)) {
			error = unknown_control(cat, path, n, control);
			goto cleanup;
		}
		cat->maps = ax_realloc(cat->maps, (cat->nmaps + 1) * sizeof(*cat->maps));
		struct ax_mapping *m = &cat->maps[cat->nmaps++];
		m->check = check;
		m->control = control;
		m->strength = prop(n, "strength");
		m->rationale = prop(n, "rationale");
		m->file = ax_strdup(rel);
		check = control = NULL;
	}

cleanup:
	free(framework);
	free(check);
	free(control);
	xmlFreeDoc(doc);
	return error;
}

static int load_crosswalk(struct ax_catalog *cat, xmlSchemaPtr schema, const char *path, const char *rel)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, n;
	char *from_fw = NULL, *to_fw = NULL, *to = NULL;
	int error;

	if ((error = load_doc(schema, path, "crosswalk", &doc)) < 0)
		goto cleanup;
	root = xmlDocGetRootElement(doc);
	from_fw = prop(root, "from");
	to_fw = prop(root, "to");
	if (strcmp(to_fw, cat->framework) != 0) {
		error = ax_error_code(AX_EINVALID, "%s:%ld: crosswalk is to framework \"%s\", the catalog is \"%s\"",
				      path, xmlGetLineNo(root), to_fw, cat->framework);
		goto cleanup;
	}
	for (n = root->children; n; n = n->next) {
		if (!is_element(n, "map"))
			continue;
		to = prop(n, "to");
		if (!ax_catalog_find(cat, to)) {
			error = unknown_control(cat, path, n, to);
			goto cleanup;
		}
		cat->xwalk = ax_realloc(cat->xwalk, (cat->nxwalk + 1) * sizeof(*cat->xwalk));
		struct ax_crosswalk *w = &cat->xwalk[cat->nxwalk++];
		w->framework = ax_strdup(from_fw);
		w->from = prop(n, "from");
		w->to = to;
		w->relationship = prop(n, "relationship");
		to = NULL;
	}

cleanup:
	free(from_fw);
	free(to_fw);
	free(to);
	xmlFreeDoc(doc);
	return error;
}

static enum ax_aspect aspect_of(const char *s)
{
	return strcmp(s, "design") == 0 ? AX_ASPECT_DESIGN
	       : strcmp(s, "implementation") == 0 ? AX_ASPECT_IMPLEMENTATION
						  : AX_ASPECT_OPERATING;
}

const char *ax_aspect_name(enum ax_aspect a)
{
	return a == AX_ASPECT_DESIGN ? "design" : a == AX_ASPECT_IMPLEMENTATION ? "implementation" : "operating";
}

/* Element text with white space runs (the files' line wrapping) folded
 * to one space and the ends trimmed. */
static char *text_of(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	struct ax_buf b = AX_BUF_INIT;
	int space = 0;
	for (const char *p = v ? (const char *)v : ""; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			space = b.size > 0;
			continue;
		}
		if (space)
			ax_buf_putc(&b, ' ');
		space = 0;
		ax_buf_putc(&b, *p);
	}
	xmlFree(v);
	return ax_buf_detach(&b);
}

static void cov_item(struct ax_cov_item *it, xmlNodePtr n, int need)
{
	char *aspect = prop(n, "aspect");
	it->aspect = aspect_of(aspect);
	free(aspect);
	it->text = text_of(n);
	if (!need) {
		it->probe = prop(n, "probe");
		return;
	}
	it->id = prop(n, "id");
	char *checks = prop(n, "checks"), *save = NULL;
	for (char *tok = strtok_r(checks, " \t\n\r", &save); tok; tok = strtok_r(NULL, " \t\n\r", &save)) {
		it->checks = ax_realloc(it->checks, (it->nchecks + 1) * sizeof(*it->checks));
		it->checks[it->nchecks++] = ax_strdup(tok);
	}
	free(checks);
}

static int load_coverage(struct ax_catalog *cat, xmlSchemaPtr schema, const char *path, const char *rel)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, n, k;
	char *framework = NULL, *id = NULL;
	int error;

	if ((error = load_doc(schema, path, "coverage", &doc)) < 0)
		goto cleanup;
	root = xmlDocGetRootElement(doc);
	framework = prop(root, "framework");
	if (strcmp(framework, cat->framework) != 0) {
		error = ax_error_code(AX_EINVALID, "%s:%ld: coverage is for framework \"%s\", the catalog is \"%s\"",
				      path, xmlGetLineNo(root), framework, cat->framework);
		goto cleanup;
	}
	for (n = root->children; n; n = n->next) {
		if (!is_element(n, "control"))
			continue;
		id = prop(n, "id");
		if (!ax_catalog_find(cat, id)) {
			error = unknown_control(cat, path, n, id);
			goto cleanup;
		}
		/* Two statements for one control would let one hide the other's needs. */
		const struct ax_coverage *dup = ax_catalog_coverage(cat, id);
		if (dup) {
			error = ax_error_code(AX_EINVALID, "%s:%ld: second coverage statement for %s (the first is in %s)",
					      path, xmlGetLineNo(n), id, dup->file);
			goto cleanup;
		}
		cat->coverage = ax_realloc(cat->coverage, (cat->ncoverage + 1) * sizeof(*cat->coverage));
		struct ax_coverage *c = &cat->coverage[cat->ncoverage++];
		memset(c, 0, sizeof(*c));
		c->control = id;
		c->file = ax_strdup(rel);
		id = NULL;
		for (k = n->children; k; k = k->next) {
			if (is_element(k, "purpose")) {
				c->purpose = text_of(k);
			} else if (is_element(k, "covered")) {
				c->covered = ax_realloc(c->covered, (c->ncovered + 1) * sizeof(*c->covered));
				memset(&c->covered[c->ncovered], 0, sizeof(*c->covered));
				cov_item(&c->covered[c->ncovered++], k, 0);
			} else if (is_element(k, "need")) {
				c->needs = ax_realloc(c->needs, (c->nneeds + 1) * sizeof(*c->needs));
				memset(&c->needs[c->nneeds], 0, sizeof(*c->needs));
				cov_item(&c->needs[c->nneeds++], k, 1);
			}
		}
	}

cleanup:
	free(framework);
	free(id);
	xmlFreeDoc(doc);
	return error;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef int (*load_fn)(struct ax_catalog *cat, xmlSchemaPtr schema, const char *path, const char *rel);

/* Loads every dir/SUB/NAME.xml in byte-wise name order; a missing sub folder
 * is an empty one. readdir rather than glob(3): dir may hold glob
 * metacharacters, and glob sorts by the locale. */
static int load_each(struct ax_catalog *cat, xmlSchemaPtr schema, const char *dir, const char *sub, load_fn fn)
{
	char *folder = ax_asprintf("%s/%s", dir, sub), *path = NULL, *rel = NULL;
	char **names = NULL;
	size_t nnames = 0, i;
	DIR *d = NULL;
	struct dirent *de;
	int error = 0;

	d = opendir(folder);
	if (!d) {
		if (errno != ENOENT)
			error = ax_error_set("%s: %s", folder, strerror(errno));
		goto cleanup;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		names = ax_realloc(names, (nnames + 1) * sizeof(*names));
		names[nnames++] = ax_strdup(de->d_name);
	}
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_str);
	for (i = 0; i < nnames; i++) {
		free(path);
		free(rel);
		path = ax_asprintf("%s/%s", folder, names[i]);
		rel = ax_asprintf("%s/%s", sub, names[i]);
		if ((error = fn(cat, schema, path, rel)) < 0)
			goto cleanup;
	}

cleanup:
	if (d)
		closedir(d);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(path);
	free(rel);
	free(folder);
	return error;
}

int ax_catalog_load(struct ax_catalog **out, const char *dir)
{
	struct ax_catalog *cat = NULL;
	xmlSchemaPtr schema = NULL;
	char *path = NULL;
	int error;

	*out = NULL;
	if (!dir || !*dir)
		return ax_error_code(AX_EINVALID, "no controls folder given");
	cat = ax_calloc(1, sizeof(*cat));

	path = ax_asprintf("%s/controls.xsd", dir);
	if ((error = load_schema(path, &schema)) < 0)
		goto cleanup;
	free(path);
	path = ax_asprintf("%s/annex-a.xml", dir);
	if ((error = load_catalog(cat, schema, path)) < 0)
		goto cleanup;
	if ((error = load_each(cat, schema, dir, "mapping", load_mapping)) < 0)
		goto cleanup;
	if ((error = load_each(cat, schema, dir, "crosswalk", load_crosswalk)) < 0)
		goto cleanup;
	if ((error = load_each(cat, schema, dir, "coverage", load_coverage)) < 0)
		goto cleanup;
	*out = cat;
	cat = NULL;

cleanup:
	xmlSchemaFree(schema);
	free(path);
	ax_catalog_free(cat);
	return error;
}

static void free_items(struct ax_cov_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].probe);
		free(items[i].id);
		free(items[i].text);
		for (size_t k = 0; k < items[i].nchecks; k++)
			free(items[i].checks[k]);
		free(items[i].checks);
	}
	free(items);
}

void ax_catalog_free(struct ax_catalog *cat)
{
	size_t i;
	if (!cat)
		return;
	for (i = 0; i < cat->ncontrols; i++) {
		free(cat->controls[i].id);
		free(cat->controls[i].theme);
		free(cat->controls[i].title);
	}
	for (i = 0; i < cat->nmaps; i++) {
		free(cat->maps[i].check);
		free(cat->maps[i].control);
		free(cat->maps[i].strength);
		free(cat->maps[i].rationale);
		free(cat->maps[i].file);
	}
	for (i = 0; i < cat->nxwalk; i++) {
		free(cat->xwalk[i].framework);
		free(cat->xwalk[i].from);
		free(cat->xwalk[i].to);
		free(cat->xwalk[i].relationship);
	}
	for (i = 0; i < cat->ncoverage; i++) {
		struct ax_coverage *c = &cat->coverage[i];
		free_items(c->covered, c->ncovered);
		free_items(c->needs, c->nneeds);
		free(c->control);
		free(c->purpose);
		free(c->file);
	}
	free(cat->coverage);
	free(cat->controls);
	free(cat->maps);
	free(cat->xwalk);
	free(cat->framework);
	free(cat);
}

const struct ax_control *ax_catalog_find(const struct ax_catalog *cat, const char *id)
{
	/* 93 entries: a linear scan is cheaper than keeping an index. */
	for (size_t i = 0; cat && id && i < cat->ncontrols; i++)
		if (strcmp(cat->controls[i].id, id) == 0)
			return &cat->controls[i];
	return NULL;
}

const struct ax_coverage *ax_catalog_coverage(const struct ax_catalog *cat, const char *id)
{
	for (size_t i = 0; cat && id && i < cat->ncoverage; i++)
		if (strcmp(cat->coverage[i].control, id) == 0)
			return &cat->coverage[i];
	return NULL;
}

int ax_catalog_check_config(const struct ax_catalog *cat, const struct ax_config *cfg)
{
	size_t i, j;
	if (!cat || !cfg)
		return 0;
	for (i = 0; i < cfg->nprobes; i++)
		for (j = 0; j < cfg->probes[i].ncontrols; j++)
			if (!ax_catalog_find(cat, cfg->probes[i].controls[j]))
				return ax_error_code(AX_EINVALID, "%s: [probe \"%s\"] controls: unknown control \"%s\"",
						     cfg->path ? cfg->path : "config", cfg->probes[i].name,
						     cfg->probes[i].controls[j]);
	for (i = 0; i < cfg->ncontrols; i++)
		if (!ax_catalog_find(cat, cfg->controls[i].id))
			return ax_error_code(AX_EINVALID, "%s: [control \"%s\"]: unknown control (not in the %s catalog)",
					     cfg->path ? cfg->path : "config", cfg->controls[i].id, cat->framework);
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *ax_catalog_default_dir(const struct ax_config *cfg)
{
	const char *v;
	if (cfg && (v = ax_config_get(cfg, "annexa", "controls")) && *v)
		return v;
	if ((v = getenv("ANNEXA_CONTROLS")) && *v)
		return v;
	/* Installed data first, so an installed binary never reads a source
	 * tree beside it. */
	if (is_dir(ANNEXA_DATADIR "/controls"))
		return ANNEXA_DATADIR "/controls";
	/* An uninstalled binary in a build folder of the source tree
	 * (build/annexa): the tree's controls/, found from where the binary
	 * is, not from a path compiled into it. */
	static char *beside;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (!beside && n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		char *dir = ax_asprintf("%s/../controls", exe);
		if (is_dir(dir))
			beside = dir;
		else
			free(dir);
	}
	return beside ? beside : ANNEXA_DATADIR "/controls";
}
