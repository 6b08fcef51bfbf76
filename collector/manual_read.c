/* manual_read.c - reading manual evidence back (list, status, bundles) and
 * its JSON form; the writing side is manual.c.
 *
 * Reads run in one read transaction, so an item, its controls and its
 * files always come from the same snapshot. */
#include "manual.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "store-int.h"
#include "util.h"

static const char *const state_names[] = {"pending", "approved", "revoked"};

const char *ax_manual_state_name(enum ax_manual_state s)
{
	return (unsigned)s <= AX_MANUAL_REVOKED ? state_names[s] : "revoked";
}

const char *ax_manual_state_label(const struct ax_manual *m)
{
	if (m->state == AX_MANUAL_APPROVED && !m->approved_by)
		return "accepted";
	return ax_manual_state_name(m->state);
}

int ax_manual_answers(const struct ax_manual *m, const char *control, const char *need)
{
	size_t cl = strlen(control);
	for (size_t i = 0; i < m->nanswers; i++)
		if (strncmp(m->answers[i], control, cl) == 0 && m->answers[i][cl] == ':' &&
		    strcmp(m->answers[i] + cl + 1, need) == 0)
			return 1;
	return 0;
}

int ax_manual_valid_at(const struct ax_manual *m, int64_t now)
{
	return m->state == AX_MANUAL_APPROVED && m->effective_at <= now && now < m->expires_at;
}

static void item_free(struct ax_manual *m)
{
	for (size_t i = 0; i < m->ncontrols; i++)
		free(m->controls[i]);
	free(m->controls);
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].media_type);
	}
	free(m->files);
	for (size_t i = 0; i < m->nanswers; i++)
		free(m->answers[i]);
	free(m->answers);
	free(m->id);
	free(m->attached_by);
	free(m->owner);
	free(m->note);
	free(m->approved_by);
	free(m->revoked_by);
	free(m->revoke_reason);
}

void ax_manual_list_free(struct ax_manual_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		item_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

void ax_manual_user(struct ax_buf *out)
{
	uid_t uid = geteuid();
	struct passwd *pw = getpwuid(uid);
	ax_buf_clear(out);
	if (pw && pw->pw_name && *pw->pw_name)
		ax_buf_puts(out, pw->pw_name);
	else
		ax_buf_printf(out, "uid:%lu", (unsigned long)uid);
}

static char *opt_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : ax_strdup(axs_text(st, i));
}

#define ITEM_COLS                                                                                              \
	"id, attached_by, attached_at, effective_at, expires_at, owner, note, state, approval_required,"      \
	" approved_by, approved_at, revoked_by, revoked_at, revoke_reason, attach_run, approve_run, revoke_run"

static void read_item(sqlite3_stmt *st, struct ax_manual *m)
{
	const char *state = axs_text(st, 7);
	memset(m, 0, sizeof(*m));
	m->id = ax_strdup(axs_text(st, 0));
	m->attached_by = ax_strdup(axs_text(st, 1));
	m->attached_at = sqlite3_column_int64(st, 2);
	m->effective_at = sqlite3_column_int64(st, 3);
	m->expires_at = sqlite3_column_int64(st, 4);
	m->owner = ax_strdup(axs_text(st, 5));
	m->note = ax_strdup(axs_text(st, 6));
	m->state = strcmp(state, "pending") == 0    ? AX_MANUAL_PENDING
		   : strcmp(state, "approved") == 0 ? AX_MANUAL_APPROVED
						    : AX_MANUAL_REVOKED;
	m->approval_required = sqlite3_column_int(st, 8);
	m->approved_by = opt_text(st, 9);
	m->approved_at = sqlite3_column_int64(st, 10);
	m->revoked_by = opt_text(st, 11);
	m->revoked_at = sqlite3_column_int64(st, 12);
	m->revoke_reason = opt_text(st, 13);
	m->attach_run = sqlite3_column_int64(st, 14);
	m->approve_run = sqlite3_column_int64(st, 15);
	m->revoke_run = sqlite3_column_int64(st, 16);
}

/* Fills the answers of every item in out from index first on (schema 5). */
static int read_answers(struct ax_store *s, struct ax_manual_list *out, size_t first)
{
	sqlite3_stmt *st = NULL;
	int err, rc = SQLITE_DONE;
	if ((err = axs_prepare(s, &st, "SELECT need FROM manual_answers WHERE evidence_id = ? ORDER BY need")) < 0)
		return err;
	for (size_t i = first; i < out->n && rc == SQLITE_DONE; i++) {
		struct ax_manual *m = &out->items[i];
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			m->answers = ax_realloc(m->answers, (m->nanswers + 1) * sizeof(*m->answers));
			m->answers[m->nanswers++] = ax_strdup(axs_text(st, 0));
		}
		sqlite3_reset(st);
	}
	if (rc != SQLITE_DONE)
		err = axs_fail(s, "reading manual evidence answers");
	sqlite3_finalize(st);
	return err;
}

/* Fills the controls, files and answers of every item in out from index
 * first on. */
static int read_parts(struct ax_store *s, struct ax_manual_list *out, size_t first)
{
	sqlite3_stmt *ctl = NULL, *fil = NULL;
	int err, rc;
	if ((err = axs_prepare(s, &ctl, "SELECT control FROM manual_controls WHERE evidence_id = ? ORDER BY control")) <
		    0 ||
	    (err = axs_prepare(s, &fil, "SELECT name, media_type, sha256, size FROM manual_files"
					" WHERE evidence_id = ? ORDER BY position")) < 0)
		goto cleanup;
	for (size_t i = first; i < out->n; i++) {
		struct ax_manual *m = &out->items[i];
		sqlite3_bind_text(ctl, 1, m->id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(ctl)) == SQLITE_ROW) {
			m->controls = ax_realloc(m->controls, (m->ncontrols + 1) * sizeof(*m->controls));
			m->controls[m->ncontrols++] = ax_strdup(axs_text(ctl, 0));
		}
		sqlite3_reset(ctl);
		if (rc != SQLITE_DONE) {
			err = axs_fail(s, "reading manual evidence controls");
			goto cleanup;
		}
		sqlite3_bind_text(fil, 1, m->id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(fil)) == SQLITE_ROW) {
			m->files = ax_realloc(m->files, (m->nfiles + 1) * sizeof(*m->files));
			struct ax_manual_file *f = &m->files[m->nfiles++];
			f->name = ax_strdup(axs_text(fil, 0));
			f->media_type = ax_strdup(axs_text(fil, 1));
			axs_copy(f->sha256, sizeof(f->sha256), axs_text(fil, 2));
			f->size = sqlite3_column_int64(fil, 3);
		}
		sqlite3_reset(fil);
		if (rc != SQLITE_DONE) {
			err = axs_fail(s, "reading manual evidence files");
			goto cleanup;
		}
	}
	err = read_answers(s, out, first);
cleanup:
	sqlite3_finalize(ctl);
	sqlite3_finalize(fil);
	return err;
}

/* Runs sql (items, with up to two int64 and one text parameter) and
 * appends the items with their parts. */
static int load_where(struct ax_store *s, const char *where, const char *text, int64_t a, int64_t b,
		      struct ax_manual_list *out)
{
	sqlite3_stmt *st = NULL;
	struct ax_buf sql = AX_BUF_INIT;
	size_t first = out->n;
	/* Inside a caller's (write) transaction, read in it; else in our own. */
	int own = sqlite3_get_autocommit(s->db), err = 0, rc;
	ax_buf_printf(&sql, "SELECT " ITEM_COLS " FROM manual_evidence WHERE %s ORDER BY seq", where);
	if ((own && (err = axs_exec(s, "BEGIN", "starting a read")) < 0) || (err = axs_prepare(s, &st, sql.ptr)) < 0)
		goto cleanup;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else {
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->items = ax_realloc(out->items, (out->n + 1) * sizeof(*out->items));
		read_item(st, &out->items[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		err = axs_fail(s, "reading manual evidence");
		goto cleanup;
	}
	err = read_parts(s, out, first);
cleanup:
	sqlite3_finalize(st);
	if (own)
		axs_rollback(s); /* ends our read transaction */
	ax_buf_free(&sql);
	return err;
}

int ax_manual_load(struct ax_store *s, const char *control, struct ax_manual_list *out)
{
	if (control)
		return load_where(s, "id IN (SELECT evidence_id FROM manual_controls WHERE control = ?1)", control, 0,
				  0, out);
	return load_where(s, "1", NULL, 0, 0, out); /* unused bindings are ignored */
}

int ax_manual_get(struct ax_store *s, const char *id, struct ax_manual_list *out)
{
	int err = load_where(s, "id = ?1", id ? id : "", 0, 0, out);
	if (err == 0 && out->n == 0)
		err = ax_error_code(AX_ENOTFOUND, "no manual evidence '%.40s' (annexa attach --list shows the ids)",
				    id ? id : "");
	return err;
}

int ax_manual_period(struct ax_store *s, int64_t since, int64_t until, struct ax_manual_list *out)
{
	const int64_t lo = since, hi = until ? until : INT64_MAX;
	/* validity overlaps [lo, hi], or an event of the item lies in it */
	return load_where(s,
			  "(effective_at <= ?2 AND expires_at > ?1)"
			  " OR (attached_at BETWEEN ?1 AND ?2)"
			  " OR (approved_at IS NOT NULL AND approved_at BETWEEN ?1 AND ?2)"
			  " OR (revoked_at IS NOT NULL AND revoked_at BETWEEN ?1 AND ?2)",
			  NULL, lo, hi, out);
}

static json_t *jtime_or_null(int64_t t, int present)
{
	return present ? ax_json_time(t) : json_null();
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *ax_manual_to_json(const struct ax_manual *m)
{
	json_t *o = json_object(), *controls = json_array(), *files = json_array();
	for (size_t i = 0; i < m->ncontrols; i++)
		json_array_append_new(controls, json_string(m->controls[i]));
	for (size_t i = 0; i < m->nfiles; i++)
		json_array_append_new(files, json_pack("{s:s,s:s,s:s,s:I}", "name", m->files[i].name, "media_type",
						       m->files[i].media_type, "sha256", m->files[i].sha256, "size",
						       (json_int_t)m->files[i].size));
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "controls", controls);
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "attached_by", jstr_or_null(m->attached_by));
	json_object_set_new(o, "attached_at", jtime_or_null(m->attached_at, 1));
	json_object_set_new(o, "effective_at", jtime_or_null(m->effective_at, 1));
	json_object_set_new(o, "expires_at", jtime_or_null(m->expires_at, 1));
	json_object_set_new(o, "owner", jstr_or_null(m->owner ? m->owner : ""));
	json_object_set_new(o, "note", jstr_or_null(m->note ? m->note : ""));
	json_object_set_new(o, "state", json_string(ax_manual_state_label(m)));
	json_object_set_new(o, "approval_required", json_boolean(m->approval_required));
	json_object_set_new(o, "approved_by", jstr_or_null(m->approved_by));
	json_object_set_new(o, "approved_at", jtime_or_null(m->approved_at, m->approved_by != NULL));
	json_object_set_new(o, "revoked_by", jstr_or_null(m->revoked_by));
	json_object_set_new(o, "revoked_at", jtime_or_null(m->revoked_at, m->revoked_by != NULL));
	json_object_set_new(o, "revoke_reason", jstr_or_null(m->revoke_reason));
	if (m->nanswers) {
		json_t *answers = json_array();
		for (size_t i = 0; i < m->nanswers; i++)
			json_array_append_new(answers, json_string(m->answers[i]));
		json_object_set_new(o, "answers", answers);
	}
	return o;
}
