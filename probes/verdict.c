/* verdict.c - accumulating one check over several items (see
 * verdict.h). */
#include "verdict.h"

#include <stdarg.h>
#include <string.h>

#include "evidence.h"

void ax_verdict_init(struct ax_verdict *v, const char *check, const char *items_key)
{
	memset(v, 0, sizeof(*v));
	v->check = check;
	v->items_key = items_key ? items_key : "items";
	v->status = AX_CHECK_PASS;
	v->items = json_array();
}

void ax_verdict_add(struct ax_verdict *v, enum ax_check_status st, json_t *item, const char *fmt, ...)
{
	v->touched = 1;
	if (st == AX_CHECK_FAIL || (st == AX_CHECK_ERROR && v->status == AX_CHECK_PASS))
		v->status = st;
	if (item)
		json_array_append_new(v->items, item);
	if (st == AX_CHECK_PASS || st == AX_CHECK_SKIP || v->why.size > AX_MESSAGE_MAX / 2)
		return;
	va_list ap;
	if (v->why.size)
		ax_buf_puts(&v->why, "; ");
	va_start(ap, fmt);
	ax_buf_vprintf(&v->why, fmt, ap);
	va_end(ap);
	if (v->why.size > AX_MESSAGE_MAX / 2) {
		ax_buf_truncate(&v->why, AX_MESSAGE_MAX / 2);
		ax_buf_puts(&v->why, " ...");
	}
}

void ax_verdict_emit(struct ax_probe_ctx *ctx, struct ax_verdict *v, const char *pass_msg, const char *skip_msg)
{
	if (!v->touched)
		ax_probe_result(ctx, v->check, AX_CHECK_SKIP, NULL, "%s", skip_msg);
	else
		ax_probe_result(ctx, v->check, v->status, json_pack("{s:O}", v->items_key, v->items), "%s",
				     v->status == AX_CHECK_PASS ? pass_msg : ax_buf_cstr(&v->why));
	json_decref(v->items);
	ax_buf_free(&v->why);
}
