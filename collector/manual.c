/* manual.c - attaching, approving and revoking manual evidence (manual.h);
 * reading it back is manual_read.c.
 *
 * Guarantees: every input is checked (files opened, regular, readable and
 * hashed) before the write lock is taken; the state change, the artifacts
 * and the ledger run are one BEGIN IMMEDIATE transaction, so any failure
 * leaves the store exactly as it was. Files are read in 64 KiB chunks,
 * twice (hash, then write-and-rehash): a file that changes in between is
 * refused rather than stored under a hash that is not its own. */
#include "manual.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"
#include "json.h"
#include "store-int.h"
#include "util.h"

#define NAME_MAX_BYTES 100

static int text_ok(const char *s, size_t max)
{
	json_t *j;
	if (!s)
		return 1;
	if (strlen(s) > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\t')
			return 0; /* no newlines or escapes: it is printed in tables */
	j = json_string(s);
	json_decref(j);
	return j != NULL;
}

/* The file's base name reduced to [A-Za-z0-9._+-] (other bytes become
 * '_'), at most NAME_MAX_BYTES: safe as a bundle path component and in
 * every output. */
static char *safe_name(const char *path)
{
	const char *base = strrchr(path, '/');
	struct ax_buf b = AX_BUF_INIT;
	base = base ? base + 1 : path;
	for (const char *p = base; *p && b.size < NAME_MAX_BYTES; p++) {
		char c = *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '_' || c == '+' || c == '-';
		ax_buf_putc(&b, keep ? c : '_');
	}
	if (b.size == 0 || b.ptr[0] == '.')
		ax_buf_puts(&b, "_file"); /* never empty, never a hidden or ".." name */
	return ax_buf_detach(&b);
}

static const char *media_type_of(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".pdf", "application/pdf"},   {".txt", "text/plain"},      {".md", "text/markdown"},
		{".csv", "text/csv"},          {".json", "application/json"}, {".xml", "application/xml"},
		{".html", "text/html"},        {".png", "image/png"},         {".jpg", "image/jpeg"},
		{".jpeg", "image/jpeg"},       {".zip", "application/zip"},
		{".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{".odt", "application/vnd.oasis.opendocument.text"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

struct open_file {
	int fd;
	const char *path;
	char *name;
	char sha256[65];
	int64_t size;
};

/* Opens, checks and hashes one file; messages name it. */
static int open_and_hash(const char *path, struct open_file *f)
{
	struct stat sb;
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0)
		return ax_error_code(errno == ENOENT ? AX_ENOTFOUND : AX_EINVALID, "%s: %s", path,
				     errno == ENOENT ? "no such file" : strerror(errno));
	if (fstat(f->fd, &sb) < 0)
		return ax_error_code(AX_EINVALID, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return ax_error_code(AX_EINVALID, "%s: is a directory (attach the files in it)", path);
	if (!S_ISREG(sb.st_mode))
		return ax_error_code(AX_EINVALID, "%s: not a regular file", path);
	f->path = path;
	f->name = safe_name(path);
	if (axs_hash_fd(f->fd, path, f->sha256, &f->size) < 0)
		return AX_EINVALID;
	/* An empty file evidences nothing, yet it would make its controls pass. */
	if (f->size == 0)
		return ax_error_code(AX_EINVALID, "%s: empty file (0 bytes): attach the document itself", path);
	return 0;
}

/* Appends the event rows (one per control) describing m after event. */
static void event_rows(struct ax_evidence *ev, const struct ax_manual *m, const char *event, int64_t at)
{
	struct ax_buf check = AX_BUF_INIT, msg = AX_BUF_INIT;
	json_t *obs = ax_manual_to_json(m);
	char *observed, eff[32], exp[32];
	int counts = m->state == AX_MANUAL_APPROVED;

	json_object_set_new(obs, "event", json_string(event));
	observed = ax_json_dumps(obs, JSON_COMPACT | JSON_SORT_KEYS);
	ax_time_format(m->effective_at, eff);
	ax_time_format(m->expires_at, exp);
	if (strcmp(event, "attach") == 0)
		ax_buf_printf(&msg, "%s attached by %s (%zu file%s), effective %s, expires %s%s", m->id,
			      m->attached_by, m->nfiles, m->nfiles == 1 ? "" : "s", eff, exp,
			      counts ? ", accepted (no approval required)" : ", pending approval");
	else if (strcmp(event, "approve") == 0)
		ax_buf_printf(&msg, "%s approved by %s (attached by %s)", m->id, m->approved_by, m->attached_by);
	else
		ax_buf_printf(&msg, "%s revoked by %s: %s", m->id, m->revoked_by, m->revoke_reason);
	for (size_t i = 0; i < m->ncontrols; i++) {
		ax_buf_clear(&check);
		ax_buf_printf(&check, "manual.%s", m->controls[i]);
		ax_evidence_add_result(ev, "manual", "manual", check.ptr, counts ? AX_CHECK_PASS : AX_CHECK_SKIP,
				       msg.ptr, observed, at);
	}
	free(observed);
	json_decref(obs);
	ax_buf_free(&check);
	ax_buf_free(&msg);
}

static int next_seq(struct ax_store *s, int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	int err = axs_prepare(s, &st, "SELECT coalesce(max(seq), 0) + 1 FROM manual_evidence");
	if (err == 0 && sqlite3_step(st) != SQLITE_ROW)
		err = axs_fail(s, "numbering manual evidence");
	if (err == 0)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return err;
}

static int validate_request(const struct ax_manual_attach *req)
{
	if (req->ncontrols == 0)
		return ax_error_code(AX_EINVALID, "attach: no control given");
	if (req->npaths == 0)
		return ax_error_code(AX_EINVALID, "attach: no file given");
	if (req->npaths > AX_MANUAL_FILES_MAX)
		return ax_error_code(AX_EINVALID, "attach: at most %d files per item", AX_MANUAL_FILES_MAX);
	for (size_t i = 0; i < req->ncontrols; i++)
		if (!ax_id_valid(req->controls[i], 32))
			return ax_error_code(AX_EINVALID, "attach: invalid control id '%.40s'", req->controls[i]);
	if (req->expires_at <= req->effective_at)
		return ax_error_code(AX_EINVALID, "attach: the expiry must come after the effective date");
	if (req->expires_at - req->effective_at > AX_MANUAL_VALIDITY_MAX)
		return ax_error_code(AX_EINVALID, "attach: valid for at most 3650 days (10 years) after the effective date");
	if (!text_ok(req->owner, AX_MANUAL_OWNER_MAX))
		return ax_error_code(AX_EINVALID, "attach: owner too long (max %d bytes), not UTF-8, or has control characters",
				     AX_MANUAL_OWNER_MAX);
	if (!text_ok(req->note, AX_MANUAL_NOTE_MAX))
		return ax_error_code(AX_EINVALID, "attach: note too long (max %d bytes), not UTF-8, or has control characters",
				     AX_MANUAL_NOTE_MAX);
	if (!req->user || !text_ok(req->user, AX_MANUAL_OWNER_MAX))
		return ax_error_code(AX_EINVALID, "attach: invalid user name");
	if (req->nanswers > AX_MANUAL_ANSWERS_MAX)
		return ax_error_code(AX_EINVALID, "attach: at most %d answers per item", AX_MANUAL_ANSWERS_MAX);
	for (size_t i = 0; i < req->nanswers; i++) {
		const char *a = req->answers[i], *colon = strchr(a, ':');
		int known = 0;
		for (size_t c = 0; colon && c < req->ncontrols; c++)
			known |= strlen(req->controls[c]) == (size_t)(colon - a) &&
				 strncmp(req->controls[c], a, (size_t)(colon - a)) == 0;
		if (!known || !ax_id_valid(colon + 1, 64))
			return ax_error_code(AX_EINVALID, "attach: answer '%.80s' is not CONTROL:NEED for a control of the item",
					     a);
	}
	return 0;
}

/* One (evidence_id, value) row of sql per value: the item's controls, its answers. */
static int insert_values(struct ax_store *s, const char *sql, const char *id, char *const *v, size_t n,
			 const char *what)
{
	sqlite3_stmt *st = NULL;
	int err = axs_prepare(s, &st, sql);
	for (size_t i = 0; err == 0 && i < n; i++) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v[i], -1, SQLITE_STATIC);
		err = axs_step_done(s, st, what);
	}
	sqlite3_finalize(st);
	return err;
}

/* Inserts the item's rows; the run that records it is m->attach_run. */
static int insert_item(struct ax_store *s, const struct ax_manual *m, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	int err;
	if ((err = axs_prepare(s, &st,
			      "INSERT INTO manual_evidence (id, seq, attached_by, attached_at, effective_at, expires_at,"
			      " owner, note, approval_required, state, attach_run) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, m->attached_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, m->attached_at);
	sqlite3_bind_int64(st, 5, m->effective_at);
	sqlite3_bind_int64(st, 6, m->expires_at);
	sqlite3_bind_text(st, 7, m->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, m->note, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, m->approval_required);
	sqlite3_bind_text(st, 10, ax_manual_state_name(m->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, m->attach_run);
	if ((err = axs_step_done(s, st, "storing manual evidence")) < 0)
		goto cleanup;
	if ((err = insert_values(s, "INSERT INTO manual_controls (evidence_id, control) VALUES (?, ?)", m->id,
				 m->controls, m->ncontrols, "storing manual evidence controls")) < 0)
		goto cleanup;
	sqlite3_finalize(st);
	if ((err = axs_prepare(s, &st, "INSERT INTO manual_files (evidence_id, position, name, media_type, size, sha256)"
				       " VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		goto cleanup;
	for (size_t i = 0; i < m->nfiles; i++) {
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, m->files[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, m->files[i].media_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, m->files[i].size);
		sqlite3_bind_text(st, 6, m->files[i].sha256, -1, SQLITE_STATIC);
		if ((err = axs_step_done(s, st, "storing manual evidence files")) < 0)
			goto cleanup;
	}
	if (m->nanswers) /* no row: attach keeps working on stores of schema 4 */
		err = insert_values(s, "INSERT INTO manual_answers (evidence_id, need) VALUES (?, ?)", m->id,
				    m->answers, m->nanswers, "storing manual evidence answers");
cleanup:
	sqlite3_finalize(st);
	return err;
}

/* Controls sorted and without duplicates, as the item stores them. */
static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of v (as the item stores controls and answers); a value
 * given twice sets *err (unless already set) naming it. */
static char **sorted_set(const char *const *v, size_t n, const char *what, int *err)
{
	char **out = ax_calloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = ax_strdup(v[i]);
	qsort(out, n, sizeof(*out), cmp_cstr);
	for (size_t i = 1; i < n && *err == 0; i++)
		if (strcmp(out[i], out[i - 1]) == 0)
			*err = ax_error_code(AX_EINVALID, "attach: %s %s given twice", what, out[i]);
	return out;
}

int ax_manual_attach(struct ax_store *s, const struct ax_manual_attach *req, char **id_out)
{
	struct open_file *files = NULL;
	struct ax_manual m = {0};
	struct ax_manual_list holder = {0};
	struct ax_evidence ev = {0};
	struct ax_run_info run;
	int64_t *sizes = NULL, seq = 0;
	int err;

	*id_out = NULL;
	if ((err = validate_request(req)) < 0)
		goto cleanup;
	files = ax_calloc(req->npaths, sizeof(*files));
	for (size_t i = 0; i < req->npaths; i++)
		files[i].fd = -1;
	for (size_t i = 0; i < req->npaths; i++)
		if ((err = open_and_hash(req->paths[i], &files[i])) < 0)
			goto cleanup;

	/* The item as it will be stored; holder frees it. */
	holder.items = ax_calloc(1, sizeof(*holder.items));
	holder.n = 1;
	m.attached_by = ax_strdup(req->user);
	m.attached_at = req->now;
	m.effective_at = req->effective_at;
	m.expires_at = req->expires_at;
	m.owner = ax_strdup(req->owner ? req->owner : "");
	m.note = ax_strdup(req->note ? req->note : "");
	m.approval_required = req->approval_required != 0;
	m.state = m.approval_required ? AX_MANUAL_PENDING : AX_MANUAL_APPROVED;
	m.controls = sorted_set(req->controls, req->ncontrols, "control", &err);
	m.ncontrols = req->ncontrols;
	m.answers = sorted_set(req->answers, req->nanswers, "answer", &err);
	m.nanswers = req->nanswers;
	if (err < 0) {
		holder.items[0] = m;
		goto cleanup;
	}
	m.files = ax_calloc(req->npaths, sizeof(*m.files));
	m.nfiles = req->npaths;
	for (size_t i = 0; i < req->npaths; i++) {
		m.files[i].name = ax_strdup(files[i].name);
		m.files[i].media_type = ax_strdup(media_type_of(files[i].name));
		axs_copy(m.files[i].sha256, 65, files[i].sha256);
		m.files[i].size = files[i].size;
	}
	holder.items[0] = m;

	if ((err = axs_exec(s, "BEGIN IMMEDIATE", "starting to attach")) < 0 || (err = next_seq(s, &seq)) < 0)
		goto cleanup;
	holder.items[0].id = ax_asprintf("M-%lld", (long long)seq);
	struct ax_manual *item = &holder.items[0];
	sizes = ax_calloc(item->nfiles, sizeof(*sizes));
	for (size_t i = 0; i < item->nfiles; i++) {
		struct ax_buf name = AX_BUF_INIT;
		if ((err = axs_put_artifact_fd(s, files[i].fd, files[i].path, files[i].sha256, files[i].size,
					       item->files[i].media_type)) < 0)
			goto cleanup;
		ax_buf_printf(&name, "%s/%s", item->id, item->files[i].name);
		/* a descriptor: the bytes are stored already */
		ax_evidence_add_artifact(&ev, "manual", name.ptr, item->files[i].media_type, "", 0);
		axs_copy(ev.artifacts[ev.nartifacts - 1].sha256, 65, files[i].sha256);
		sizes[i] = files[i].size;
		ax_buf_free(&name);
	}
	event_rows(&ev, item, "attach", req->now);
	if ((err = axs_append_run(s, "attach", req->now, req->now, &ev, sizes, &run)) < 0)
		goto cleanup;
	item->attach_run = run.id;
	if ((err = insert_item(s, item, seq)) < 0 || (err = axs_exec(s, "COMMIT", "committing the attach")) < 0)
		goto cleanup;
	*id_out = ax_strdup(item->id);
cleanup:
	if (err < 0)
		axs_rollback(s); /* nothing stored */
	for (size_t i = 0; files && i < req->npaths; i++) {
		if (files[i].fd >= 0)
			close(files[i].fd);
		free(files[i].name);
	}
	free(files);
	free(sizes);
	ax_evidence_free(&ev);
	ax_manual_list_free(&holder);
	return err;
}

static int change_state(struct ax_store *s, const char *id, const char *event, const char *user,
			const char *reason, int64_t now)
{
	struct ax_manual_list list = {0};
	struct ax_evidence ev = {0};
	struct ax_run_info run;
	sqlite3_stmt *st = NULL;
	int err, approve = strcmp(event, "approve") == 0;

	if (!user || !text_ok(user, AX_MANUAL_OWNER_MAX))
		return ax_error_code(AX_EINVALID, "%s: invalid user name", event);
	if (!approve && (!reason || !*reason || !text_ok(reason, AX_MANUAL_NOTE_MAX)))
		return ax_error_code(AX_EINVALID, "revoke: a reason is required (at most %d bytes, one line)",
				     AX_MANUAL_NOTE_MAX);
	if ((err = axs_exec(s, "BEGIN IMMEDIATE", "starting a state change")) < 0 ||
	    (err = ax_manual_get(s, id, &list)) < 0)
		goto cleanup;
	struct ax_manual *m = &list.items[0];
	if (approve) {
		if (m->state != AX_MANUAL_PENDING) {
			err = ax_error_code(AX_EINVALID, "approve: %s is %s, not pending approval%s", m->id,
					    ax_manual_state_name(m->state),
					    m->state == AX_MANUAL_APPROVED && !m->approval_required
						    ? " (it was attached without required approval)"
						    : "");
			goto cleanup;
		}
		if (strcmp(m->attached_by, user) == 0) {
			err = ax_error_code(AX_EINVALID,
					    "approve: refused: %s was attached by %s, who cannot approve it "
					    "(segregation of duties: another user must approve)",
					    m->id, user);
			goto cleanup;
		}
		m->state = AX_MANUAL_APPROVED;
		m->approved_by = ax_strdup(user);
		m->approved_at = now;
	} else {
		if (m->state == AX_MANUAL_REVOKED) {
			err = ax_error_code(AX_EINVALID, "revoke: %s is already revoked", m->id);
			goto cleanup;
		}
		m->state = AX_MANUAL_REVOKED;
		m->revoked_by = ax_strdup(user);
		m->revoked_at = now;
		m->revoke_reason = ax_strdup(reason);
	}
	event_rows(&ev, m, event, now);
	if ((err = axs_append_run(s, event, now, now, &ev, NULL, &run)) < 0)
		goto cleanup;
	if ((err = axs_prepare(s, &st,
			      approve ? "UPDATE manual_evidence SET state = 'approved', approved_by = ?2,"
					" approved_at = ?3, approve_run = ?4 WHERE id = ?1"
				      : "UPDATE manual_evidence SET state = 'revoked', revoked_by = ?2,"
					" revoked_at = ?3, revoke_run = ?4, revoke_reason = ?5 WHERE id = ?1")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, run.id);
	if (!approve)
		sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	if ((err = axs_step_done(s, st, "updating manual evidence")) < 0 ||
	    (err = axs_exec(s, "COMMIT", "committing the state change")) < 0)
		goto cleanup;
cleanup:
	sqlite3_finalize(st);
	if (err < 0)
		axs_rollback(s);
	ax_evidence_free(&ev);
	ax_manual_list_free(&list);
	return err;
}

int ax_manual_approve(struct ax_store *s, const char *id, const char *user, int64_t now)
{
	return change_state(s, id, "approve", user, NULL, now);
}

int ax_manual_revoke(struct ax_store *s, const char *id, const char *user, const char *reason, int64_t now)
{
	return change_state(s, id, "revoke", user, reason, now);
}
