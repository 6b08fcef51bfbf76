/* evidence.h - check results and artifacts as they travel from a probe to
 * the store and the exports.
 *
 * An ax_evidence owns everything it points to; ax_evidence_free() accepts
 * NULL. */
#ifndef AX_EVIDENCE_H
#define AX_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* skip: the check does not apply to this target. info: an observation
 * from a check that cannot fail in its configured mode (e.g. privileged
 * logins listed for review). Neither is evidence either way: the status
 * engine counts both for nothing. */
enum ax_check_status {
	AX_CHECK_PASS = 0,
	AX_CHECK_FAIL = 1,
	AX_CHECK_ERROR = 2,
	AX_CHECK_SKIP = 3,
	AX_CHECK_INFO = 4,
};
#define AX_CHECK_NSTATUS 5

const char *ax_check_status_name(enum ax_check_status s);
/* pass, fail and error are evidence about a control; skip and info are
 * shown but never evidence (neither for a pass nor against it). */
int ax_check_status_is_evidence(enum ax_check_status s);
int ax_check_status_parse(const char *s, enum ax_check_status *out);

#define AX_ID_MAX 128          /* probe instance, check id, artifact name */
#define AX_MESSAGE_MAX 4096    /* one result's message */
#define AX_OBSERVED_MAX 262144 /* one result's observed JSON */

struct ax_result {
	char *instance;   /* probe instance name ([probe "NAME"]) */
	char *probe_type; /* its type */
	char *check;      /* check id, e.g. tls.protocol.tls1_0 */
	enum ax_check_status status;
	char *message;
	char *observed;   /* compact JSON object text, sorted keys; "{}" when none */
	int64_t collected_at;
};

struct ax_artifact {
	char *instance;
	char *name;
	char *media_type;
	char sha256[65];
	struct ax_buf data;
};

struct ax_evidence {
	struct ax_result *results;
	size_t nresults, aresults;
	struct ax_artifact *artifacts;
	size_t nartifacts, aartifacts;
};

/* Copies every string; observed may be NULL ("{}"). */
void ax_evidence_add_result(struct ax_evidence *ev, const char *instance, const char *probe_type,
			    const char *check, enum ax_check_status status, const char *message,
			    const char *observed, int64_t collected_at);
/* Copies data and computes its SHA-256. */
void ax_evidence_add_artifact(struct ax_evidence *ev, const char *instance, const char *name,
			      const char *media_type, const void *data, size_t len);
/* Moves src's entries to the end of dst and empties src. */
void ax_evidence_move(struct ax_evidence *dst, struct ax_evidence *src);
void ax_evidence_clear(struct ax_evidence *ev);
void ax_evidence_free(struct ax_evidence *ev); /* frees the contents, not ev */

/* The one wildcard rule of check ids (probe declarations, mapping rules,
 * coverage needs): an id ending in ".*" stands for every id that starts
 * with the part before the '*' (dot included) and is longer than it.
 * ax_check_id_wildcard returns the length of that prefix ("tls.*": 4), 0
 * for a plain id. */
size_t ax_check_id_wildcard(const char *id);
/* True when check is pattern, or pattern is "prefix.*" and check is
 * "prefix." followed by at least one character. */
int ax_check_pattern_matches(const char *pattern, const char *check);

#endif
