/* controls.h - the Annex A catalog, the check -> control mappings, and the
 * status engine.
 *
 * The catalog (controls/annex-a.xml) and every mapping file
 * (every .xml file in controls/mapping/) are data, validated at load against
 * controls/controls.xsd with libxml2. Probes never name controls. */
#ifndef AX_CONTROLS_H
#define AX_CONTROLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "evidence.h"
#include "manual.h"

struct ax_config;

struct ax_control {
	char *id;    /* "A.5.1" */
	char *theme; /* Organizational | People | Physical | Technological */
	char *title;
};

struct ax_mapping {
	char *check;     /* exact id, or a prefix ending in ".*" */
	char *control;   /* "A.8.24" */
	char *file;      /* the mapping file it came from */
	/* Required by controls.xsd, so set for every loaded rule; NULL only in
	 * hand-built catalogs (tests). */
	char *strength;  /* "primary" | "supporting" */
	char *rationale; /* one line: the 27002:2022 purpose it evidences */
};

/* Another numbering of the same controls (crosswalk/NAME.xml), e.g. the 2013
 * Annex A: informational, for `annexa controls`. */
struct ax_crosswalk {
	char *framework;    /* "iso27001-2013" */
	char *from;         /* "A.9.4.1" */
	char *to;           /* catalog control id, "A.8.3" */
	char *relationship; /* equal | subset | superset | intersect */
};

/* Coverage statements (coverage/NAME.xml): per control, what the automated
 * checks of each probe type establish and what an auditor still needs. */
enum ax_aspect { AX_ASPECT_DESIGN, AX_ASPECT_IMPLEMENTATION, AX_ASPECT_OPERATING };
const char *ax_aspect_name(enum ax_aspect a);

struct ax_cov_item {
	char *probe;  /* covered: the probe type; need: NULL */
	char *id;     /* need: "policy" (shown as "A.8.15:policy"); covered: NULL */
	enum ax_aspect aspect;
	char *text;
	char **checks; /* need: check patterns whose fresh pass answers it */
	size_t nchecks;
};

struct ax_coverage {
	char *control; /* "A.8.15" */
	char *purpose; /* ISO/IEC 27002:2022's purpose, in brief */
	struct ax_cov_item *covered;
	size_t ncovered;
	struct ax_cov_item *needs;
	size_t nneeds;
	char *file; /* "coverage/technological.xml" */
};

struct ax_catalog {
	struct ax_control *controls; /* in catalog order A.5.1 .. A.8.34 */
	size_t ncontrols;
	struct ax_mapping *maps;
	size_t nmaps;
	char *framework; /* the catalog's framework attribute, "iso27001-2022" */
	struct ax_crosswalk *xwalk; /* in file and line order */
	size_t nxwalk;
	struct ax_coverage *coverage; /* in file and document order; a control at most once */
	size_t ncoverage;
};

/* Loads dir/annex-a.xml and every dir/mapping/NAME.xml, validating each against
 * dir/controls.xsd; errors name the file and line. */
int ax_catalog_load(struct ax_catalog **out, const char *dir);
void ax_catalog_free(struct ax_catalog *cat);
const struct ax_control *ax_catalog_find(const struct ax_catalog *cat, const char *id);
/* The control's coverage statement, or NULL when it has none. */
const struct ax_coverage *ax_catalog_coverage(const struct ax_catalog *cat, const char *id);
/* Where the catalog lives: [annexa] controls, $ANNEXA_CONTROLS, the
 * installed data folder, the source tree. */
const char *ax_catalog_default_dir(const struct ax_config *cfg);
/* Cross-checks a loaded config against the catalog: every probe instance's
 * `controls =` id and every [control "ID"] section must name a catalog
 * control (the config loader cannot know the catalog). AX_EINVALID names
 * the config file, the section and the id. For check-config and startup. */
int ax_catalog_check_config(const struct ax_catalog *cat, const struct ax_config *cfg);

enum ax_control_status {
	AX_CTL_PASS,
	AX_CTL_PARTIAL, /* the checks pass, but the coverage statement names needs nothing answers */
	AX_CTL_FAIL,
	AX_CTL_ERROR,
	AX_CTL_STALE,
	AX_CTL_MANUAL,
	AX_CTL_NOT_APPLICABLE,
	AX_CTL_NOT_COVERED, /* automated checks map to it but none has reported yet */
	AX_CTL__COUNT
};
const char *ax_control_status_name(enum ax_control_status s);

struct ax_check_row {
	const struct ax_result *result; /* points into the evidence given */
	int stale;                      /* older than its instance's freshness */
};

/* How a coverage need was answered (struct ax_control_state.answered). */
enum ax_answer { AX_ANSWER_OPEN, AX_ANSWER_CHECK, AX_ANSWER_MANUAL };

struct ax_control_state {
	const struct ax_control *control;
	enum ax_control_status status;
	enum ax_control_status checks_status; /* from the checks alone */
	const char *justification; /* not_applicable: from the config */
	const char *inherited_from, *inherited_reference; /* [control] inherited, reference */
	const char *owner, *reason;                        /* [control] owner, reason; NULL when unset */
	const struct ax_coverage *coverage; /* NULL when the control has no statement */
	enum ax_answer *answered;           /* per coverage need */
	/* per coverage need answered by manual evidence: the valid items that
	 * answer it (attach --answers), in attach order */
	struct ax_need_items {
		const struct ax_manual **items;
		size_t n;
	} *answered_items;
	size_t open_needs;                  /* needs nothing answers */
	struct ax_check_row *rows;
	size_t nrows;
	int64_t newest; /* newest collected_at among rows, 0 when none */
	/* Manual evidence (ax_status_apply_manual): every item naming this
	 * control, revoked ones included (they are shown, never counted),
	 * pointing into the items given. */
	const struct ax_manual **manual;
	size_t nmanual;
	size_t manual_pending; /* items waiting for approval */
};

/* An item of manual evidence that expires within the warning period. */
struct ax_manual_expiring {
	const struct ax_manual *item;
	const char *control;
};

struct ax_status {
	int64_t generated_at;
	struct ax_control_state *controls; /* same order as the catalog */
	size_t ncontrols;
	int counts[AX_CTL__COUNT];
	int manual_applied; /* ax_status_apply_manual ran: JSON carries "expiring" */
	int64_t expiry_warning;
	struct ax_manual_expiring *expiring; /* by expiry, then id, then control */
	size_t nexpiring;
};

/* Status of every catalog control from the latest results: per control the
 * newest result of every mapped check (mapping files plus the instance's
 * `controls =` list); fail > error > stale > partial > pass; no mapped
 * check -> manual; [control] applicable = false -> not_applicable. A
 * control whose checks pass is partial while its coverage statement names
 * a need that no fresh passing check of the need's `checks` answers (and,
 * after ax_status_apply_manual, no manual evidence). latest must outlive
 * the status. */
int ax_status_compute(const struct ax_catalog *cat, const struct ax_config *cfg,
		      const struct ax_evidence *latest, int64_t now, struct ax_status **out);
void ax_status_free(struct ax_status *st);
/* How long a result of instance stays fresh, in seconds: its `freshness`,
 * else twice its interval, else twice [annexa] interval (an hour when
 * unset or without a config). */
int64_t ax_status_freshness(const struct ax_config *cfg, const char *instance);
/* Combines manual evidence into st (after ax_status_compute; items must
 * outlive st). Per control, the non-revoked approved items (attached
 * without required approval counts as approved) give: pass when one is
 * valid (effective_at <= now < expires_at), stale when all have expired,
 * nothing when none is approved or none is effective yet (pending-only
 * evidence leaves a manual control manual). Items whose files are all
 * empty never count. That verdict replaces manual and not_covered, and
 * combines with a probe status: fail > error > stale > partial > pass;
 * not_applicable stays. A valid item answers the open coverage needs it
 * names (attach --answers; annexa cannot read documents: the auditor
 * checks each file against the need it claims to answer); an item that
 * names none answers none, so a control with needs stays partial until
 * each need has its document or check. Approved, valid items expiring
 * within expiry_warning (and not already renewed by another item of the
 * control valid beyond the warning) are listed in st->expiring. */
void ax_status_apply_manual(struct ax_status *st, const struct ax_manual *items, size_t n, int64_t now,
			    int64_t expiry_warning);
/* Marks hit[k] (catalog index) for every control the result of check from
 * instance evidences: mapping rules plus the instance's `controls =`.
 * hit has cat->ncontrols entries and is not cleared first. */
void ax_status_hits(const struct ax_catalog *cat, const struct ax_config *cfg, const char *instance,
		    const char *check, unsigned char *hit);
/* How old an instance's result may be before it is stale (freshness, else
 * 2 x interval, else 2 x [annexa] interval, else 2 h). */
int64_t ax_status_freshness(const struct ax_config *cfg, const char *instance);
/* True when the coverage item is about a probe type whose results are
 * among the control's rows (what the site's checks actually cover). */
int ax_status_covers(const struct ax_control_state *cs, const struct ax_cov_item *item);
/* The JSON of DESIGN.md ("generated_at", "summary", "controls"). */
json_t *ax_status_to_json(const struct ax_status *st);
/* The human table; control_id filters to one control when not NULL;
 * failing_only keeps the controls that need attention (fail, error,
 * stale). Lines fit AX_TERM_WIDTH columns. */
void ax_status_print(const struct ax_status *st, FILE *out, const char *control_id, int failing_only);
/* fail, error or stale: what a reader must act on. */
int ax_status_needs_attention(enum ax_control_status s);


/* Statement of Applicability (all controls): a UTF-8 BOM, then CSV with
 * the header Control, Title, Applicable, Justification, Implementation
 * status (implemented, partially implemented, not implemented, planned,
 * excluded), Evidenced by, Owner, Last evidence, annexa status; fields
 * separated by sep (',' or ';'). The JSON carries the same values. */
int ax_soa_write_csv(const struct ax_status *st, const struct ax_config *cfg, char sep, FILE *out);
json_t *ax_soa_to_json(const struct ax_status *st, const struct ax_config *cfg);
/* The same SoA as a spreadsheet (Office Open XML, libxlsxwriter) at path:
 * a header row, panes frozen below it and right of the control id, an
 * autofilter over every column, the implementation status cells
 * coloured. Its creation time is st->generated_at. */
int ax_soa_write_xlsx(const struct ax_status *st, const struct ax_config *cfg, const char *organization,
		      const char *path);

#endif
