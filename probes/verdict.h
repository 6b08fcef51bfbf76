/* verdict.h - one check's result accumulated over several items
 * (services, files, handshakes), for probes that judge many things at once.
 *
 * fail beats error beats pass; the message lists every non-passing item
 * (bounded to AX_MESSAGE_MAX by truncation) and `observed` holds one JSON
 * item per observation. A verdict nobody touched is emitted as `skip`. */
#ifndef AX_VERDICT_H
#define AX_VERDICT_H

#include <jansson.h>

#include "buf.h"
#include "probe.h"

struct ax_verdict {
	const char *check;
	const char *items_key; /* name of the observed array: "items", "paths" */
	enum ax_check_status status;
	int touched;
	json_t *items;
	struct ax_buf why;
};

/* items_key names the observed array (NULL: "items"). */
void ax_verdict_init(struct ax_verdict *v, const char *check, const char *items_key);
/* item is stolen (may be NULL); the message is recorded unless st is pass. */
void ax_verdict_add(struct ax_verdict *v, enum ax_check_status st, json_t *item, const char *fmt, ...)
	AX_PRINTF(4, 5);
/* Emits the result and releases v. */
void ax_verdict_emit(struct ax_probe_ctx *ctx, struct ax_verdict *v, const char *pass_msg, const char *skip_msg);

#endif
