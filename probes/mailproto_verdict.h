/* mailproto_verdict.h - one check's result accumulated over several items
 * (services, files, handshakes), shared by the mail probes.
 *
 * fail beats error beats pass; the message lists every non-passing item
 * (bounded to AX_MESSAGE_MAX by truncation) and `observed` holds one JSON
 * item per observation. A verdict nobody touched is emitted as `skip`. */
#ifndef AX_MAILPROTO_VERDICT_H
#define AX_MAILPROTO_VERDICT_H

#include <jansson.h>

#include "buf.h"
#include "probe.h"

struct mp_verdict {
	const char *check;
	enum ax_check_status status;
	int touched;
	json_t *items;
	struct ax_buf why;
};

void mp_verdict_init(struct mp_verdict *v, const char *check);
/* item is stolen (may be NULL); the message is recorded unless st is pass. */
void mp_verdict_add(struct mp_verdict *v, enum ax_check_status st, json_t *item, const char *fmt, ...)
	AX_PRINTF(4, 5);
/* Emits the result and releases v. */
int mp_verdict_emit(struct ax_probe_ctx *ctx, struct mp_verdict *v, const char *pass_msg, const char *skip_msg);

#endif
