/* manual.h - manual evidence: files attached by a person to the controls no
 * probe can see (policies, screening records, supplier agreements), with an
 * effective date, an expiry, optional approval by a second person, and
 * revocation.
 *
 * Guarantees:
 * - Every attach, approve and revoke is ONE ledger run (kind "attach",
 *   "approve", "revoke") committed in the same transaction as the state
 *   change: the hash chain covers manual evidence, and a failure stores
 *   nothing.
 * - Files are content-addressed artifacts, streamed in and out in 64 KiB
 *   chunks: memory stays bounded whatever the file size.
 * - Nothing is ever deleted: revoked evidence stays, marked, with who, when
 *   and why.
 *
 * Ledger rows of a manual run: one result per control, instance "manual",
 * probe type "manual", check "manual.<control>" ("manual.A.5.1"), status
 * "pass" when the event leaves the evidence counting (an attach without
 * required approval, an approve) and "skip" otherwise (attach pending
 * approval, revoke); message: a one-line description; observed: the item
 * as ax_manual_to_json plus "event". The run's artifacts are the item's
 * files, instance "manual", name "<ID>/<file name>". */
#ifndef AX_MANUAL_H
#define AX_MANUAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct ax_store;

/* Default validity of attached evidence (Auditree's external evidence TTL). */
#define AX_MANUAL_DEFAULT_VALIDITY (365 * 86400)
/* Longest validity an item may have (10 years): evidence that never
 * expires is never reviewed again. */
#define AX_MANUAL_VALIDITY_MAX (3650LL * 86400)
#define AX_MANUAL_OWNER_MAX 128
#define AX_MANUAL_NOTE_MAX 2000
#define AX_MANUAL_FILES_MAX 64
#define AX_MANUAL_ANSWERS_MAX 64

enum ax_manual_state {
	AX_MANUAL_PENDING,  /* waits for `annexa approve` by another user */
	AX_MANUAL_APPROVED, /* counts (approved, or attached when no approval was required) */
	AX_MANUAL_REVOKED,  /* never counts again; kept with who, when and why */
};
const char *ax_manual_state_name(enum ax_manual_state s);
struct ax_manual;
/* The state as people and JSON read it: "pending", "revoked", "approved"
 * (approved by a second person with `annexa approve`) or "accepted" (it
 * counts because [annexa] manual-approval was off when it was attached:
 * nobody approved it, so it is never called approved). */
const char *ax_manual_state_label(const struct ax_manual *m);

struct ax_manual_file {
	char *name;       /* base name as attached, sanitised: [A-Za-z0-9._+-], at most 100 bytes */
	char *media_type; /* from the extension: application/pdf, text/plain, ... */
	char sha256[65];  /* the artifact (ax_store_artifact_stream) */
	int64_t size;
};

struct ax_manual {
	char *id; /* "M-1", "M-2", ... */
	char **controls;
	size_t ncontrols;
	struct ax_manual_file *files;
	size_t nfiles;
	char *attached_by; /* local user name (getpwuid(geteuid())) */
	int64_t attached_at;
	int64_t effective_at; /* valid from (inclusive) */
	int64_t expires_at;   /* valid until (exclusive) */
	char *owner, *note;   /* "" when not given */
	/* The coverage needs this item answers, "A.8.15:policy", sorted, each
	 * control among controls (attach --answers). None: the item answers
	 * no need (it still gives its controls a verdict). */
	char **answers;
	size_t nanswers;
	enum ax_manual_state state;
	int approval_required; /* [annexa] manual-approval when it was attached */
	char *approved_by;     /* NULL unless approved by `annexa approve` */
	int64_t approved_at;
	char *revoked_by, *revoke_reason; /* NULL unless revoked */
	int64_t revoked_at;
	int64_t attach_run, approve_run, revoke_run; /* ledger run ids, 0 = none */
};

struct ax_manual_list {
	struct ax_manual *items; /* in attach order */
	size_t n;
};
void ax_manual_list_free(struct ax_manual_list *list); /* frees the contents, not list */

/* True when m counts at now: approved (or attached without required
 * approval), not revoked, and effective_at <= now < expires_at. */
int ax_manual_valid_at(const struct ax_manual *m, int64_t now);

struct ax_manual_attach {
	const char *const *controls; /* catalog ids, checked by the caller */
	size_t ncontrols;
	const char *const *paths; /* regular files */
	size_t npaths;
	const char *user;
	int64_t now, effective_at, expires_at;
	const char *owner, *note; /* may be NULL */
	int approval_required;
	/* Needs answered, "A.8.15:policy" (checked against the catalog's
	 * coverage by the caller; here only that the control is one of the
	 * item's and the need id is well formed). May be none. */
	const char *const *answers;
	size_t nanswers;
};

/* True when m answers need (an id of the control's coverage statement,
 * "policy") of control. */
int ax_manual_answers(const struct ax_manual *m, const char *control, const char *need);

/* Attaches the files as one new item; *id_out (owned by the caller) gets
 * its id. A missing, unreadable, empty or non-regular file, a bad control id,
 * an answer whose control is not the item's or given twice,
 * expires_at <= effective_at, or an over-long or non-UTF-8 owner or note
 * give AX_EINVALID (AX_ENOTFOUND for a missing file) with a message naming
 * it, and store nothing. */
int ax_manual_attach(struct ax_store *s, const struct ax_manual_attach *req, char **id_out);

/* Approves a pending item. AX_ENOTFOUND for an unknown id; AX_EINVALID
 * when it is not pending, or when user attached it (segregation of
 * duties: the message says so). */
int ax_manual_approve(struct ax_store *s, const char *id, const char *user, int64_t now);

/* Revokes a pending or approved item; reason is required. AX_ENOTFOUND for
 * an unknown id, AX_EINVALID when already revoked or reason is empty. */
int ax_manual_revoke(struct ax_store *s, const char *id, const char *user, const char *reason, int64_t now);

/* Every item (control == NULL) or the items naming control, appended to
 * out in attach order. */
int ax_manual_load(struct ax_store *s, const char *control, struct ax_manual_list *out);

/* The item id (one entry appended to out); AX_ENOTFOUND when unknown.
 * Works inside a caller's transaction too. */
int ax_manual_get(struct ax_store *s, const char *id, struct ax_manual_list *out);

/* For bundles of the period [since, until] (0 = unbounded): every item
 * whose validity [effective_at, expires_at) overlaps the period or whose
 * attach, approve or revoke happened in it, revoked ones included (the
 * bundle shows their state). The bundle writes each file f of item m once,
 * to evidence/manual/<m.id>-<f.name>, with
 * ax_store_artifact_stream(s, f.sha256, ...), and m as ax_manual_to_json
 * in results.jsonl (and an OSCAL observation, method EXAMINE). */
int ax_manual_period(struct ax_store *s, int64_t since, int64_t until, struct ax_manual_list *out);

/* The item as JSON: {"id", "controls": [..], "files": [{"name",
 * "media_type", "sha256", "size"}], "attached_by", "attached_at",
 * "effective_at", "expires_at", "owner", "note", "state",
 * "approval_required", "approved_by", "approved_at", "revoked_by",
 * "revoked_at", "revoke_reason"} with times in RFC 3339 and null for
 * what did not happen, plus "answers": ["A.8.15:policy", ..] when the item
 * answers needs (absent otherwise: the ledger rows of items attached
 * before answers existed keep their form). */
json_t *ax_manual_to_json(const struct ax_manual *m);

/* The local user running annexa: getpwuid(geteuid())'s name, else
 * "uid:N". */
void ax_manual_user(struct ax_buf *out);

#endif
