/* export_manual.c - manual evidence (collector/manual.h) in a bundle: the
 * items of the period, the one bundle path of each of their files, and
 * their records in results.jsonl.
 *
 * Guarantees: paths are "evidence/manual/<id>-<name>" with every component
 * sanitised (ax_export_safe_name), unique in the bundle (two files of one
 * item that sanitise to the same name get their position added); a file
 * is stored once however many controls its item names (every control's
 * entry carries the same path, only the first control's is written), and
 * an attach run's artifacts ("manual" / "<id>/<name>") point at that same
 * path, so the ledger excerpt and the manual evidence name one copy.
 * Nothing here reads artifact bytes. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"

const char *ax_export_manual_state(const struct ax_manual *m, int64_t at)
{
	if (m->state == AX_MANUAL_REVOKED)
		return "revoked";
	if (m->state == AX_MANUAL_PENDING)
		return "pending";
	if (at >= m->expires_at)
		return "expired";
	if (at < m->effective_at)
		return "not yet effective";
	return ax_manual_state_label(m);
}

/* True when another file of m sanitises to the same name as file i. */
static int name_clash(const struct ax_manual *m, size_t i)
{
	struct ax_buf a = AX_BUF_INIT, b = AX_BUF_INIT;
	int clash = 0;
	ax_export_safe_name(m->files[i].name, &a);
	for (size_t k = 0; k < m->nfiles && !clash; k++) {
		if (k == i)
			continue;
		ax_buf_clear(&b);
		ax_export_safe_name(m->files[k].name, &b);
		clash = a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0;
	}
	ax_buf_free(&a);
	ax_buf_free(&b);
	return clash;
}

static char *manual_path(const struct ax_manual *m, size_t f)
{
	struct ax_buf b = AX_BUF_INIT;
	ax_buf_puts(&b, "evidence/manual/");
	ax_export_safe_name(m->id, &b);
	if (name_clash(m, f))
		ax_buf_printf(&b, "-%zu", f + 1);
	ax_buf_putc(&b, '-');
	ax_export_safe_name(m->files[f].name, &b);
	return ax_buf_detach(&b);
}

int ax_export_manual_stored(const struct ax_export_manual_file *mf)
{
	return mf->control == 0;
}

static int cmp_mfile_path(const void *a, const void *b)
{
	return strcmp((*(const struct ax_export_manual_file *const *)a)->bundle_path,
		      (*(const struct ax_export_manual_file *const *)b)->bundle_path);
}

/* Sanitising could in theory map two items' files to one path (ids are
 * "M-<n>", so it does not today): refuse rather than overwrite. */
static int check_unique(const struct ax_export_data *d)
{
	const struct ax_export_manual_file **v = ax_calloc(d->nmfiles + 1, sizeof(*v));
	size_t n = 0;
	int err = 0;
	for (size_t i = 0; i < d->nmfiles; i++)
		if (ax_export_manual_stored(&d->mfiles[i]))
			v[n++] = &d->mfiles[i];
	qsort(v, n, sizeof(*v), cmp_mfile_path);
	for (size_t i = 1; i < n && !err; i++)
		if (strcmp(v[i]->bundle_path, v[i - 1]->bundle_path) == 0)
			err = ax_error_set("export: two manual evidence files share the bundle path %s",
					   v[i]->bundle_path);
	free(v);
	return err;
}

int ax_export_manual_load(struct ax_export_data *d, int64_t since, int64_t until)
{
	int err = ax_manual_period(d->store, since, until, &d->manual);
	if (err < 0)
		return err;
	size_t n = 0;
	for (size_t i = 0; i < d->manual.n; i++)
		n += d->manual.items[i].ncontrols * d->manual.items[i].nfiles;
	d->mfiles = ax_calloc(n + 1, sizeof(*d->mfiles));
	for (size_t i = 0; i < d->manual.n; i++) {
		const struct ax_manual *m = &d->manual.items[i];
		for (size_t c = 0; c < m->ncontrols; c++)
			for (size_t f = 0; f < m->nfiles; f++) {
				struct ax_export_manual_file *mf = &d->mfiles[d->nmfiles++];
				mf->item = i;
				mf->control = c;
				mf->file = f;
				mf->bundle_path = manual_path(m, f);
			}
	}
	return check_unique(d);
}

/* The stored entry of the file that artifact a ("<id>/<name>", same
 * bytes) of an attach run stands for, or NULL. */
static struct ax_export_manual_file *entry_of_artifact(struct ax_export_data *d, const struct ax_export_artifact *a)
{
	const char *slash = strchr(a->name, '/');
	if (strcmp(a->instance, "manual") != 0 || !slash)
		return NULL;
	size_t idlen = (size_t)(slash - a->name);
	for (size_t i = 0; i < d->nmfiles; i++) {
		struct ax_export_manual_file *mf = &d->mfiles[i];
		const struct ax_manual *m = &d->manual.items[mf->item];
		const struct ax_manual_file *f = &m->files[mf->file];
		if (ax_export_manual_stored(mf) && strlen(m->id) == idlen && memcmp(m->id, a->name, idlen) == 0 &&
		    strcmp(f->name, slash + 1) == 0 && strcmp(f->sha256, a->sha256) == 0)
			return mf;
	}
	return NULL;
}

void ax_export_manual_remap(struct ax_export_data *d)
{
	for (size_t i = 0; i < d->nartifacts; i++) {
		struct ax_export_artifact *a = &d->artifacts[i];
		struct ax_export_manual_file *mf = entry_of_artifact(d, a);
		if (!mf)
			continue;
		free(a->bundle_path);
		a->bundle_path = ax_strdup(mf->bundle_path);
		mf->from_run = 1;
	}
}

const char *ax_export_manual_path(const struct ax_export_data *d, const struct ax_manual *m, const char *control,
				  size_t file)
{
	for (size_t i = 0; i < d->nmfiles; i++) {
		const struct ax_export_manual_file *mf = &d->mfiles[i];
		const struct ax_manual *item = &d->manual.items[mf->item];
		if (item == m && mf->file == file && strcmp(item->controls[mf->control], control) == 0)
			return mf->bundle_path;
	}
	return NULL;
}

int ax_export_manual_jsonl(const struct ax_export_data *d, struct ax_buf *out)
{
	for (size_t i = 0; i < d->manual.n; i++) {
		const struct ax_manual *m = &d->manual.items[i];
		json_t *j = ax_manual_to_json(m), *ev = json_array();
		for (size_t k = 0; k < d->nmfiles; k++) {
			const struct ax_export_manual_file *mf = &d->mfiles[k];
			if (mf->item != i)
				continue;
			const struct ax_manual_file *f = &m->files[mf->file];
			json_array_append_new(ev, json_pack("{s:s,s:s,s:s,s:I}", "control", m->controls[mf->control],
							    "path", mf->bundle_path, "sha256", f->sha256, "size",
							    (json_int_t)f->size));
		}
		json_object_set_new(j, "kind", json_string("manual"));
		json_object_set_new(j, "state_at_end", json_string(ax_export_manual_state(m, d->status_at)));
		json_object_set_new(j, "evidence", ev);
		char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
		if (!text)
			return ax_error_set("export: manual evidence %s cannot be encoded", m->id);
		ax_buf_puts(out, text);
		ax_buf_putc(out, '\n');
		free(text);
	}
	return 0;
}
