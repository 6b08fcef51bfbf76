/* fuzz_msg.c - arbitrary pipe bytes through the frame reader and decoder,
 * fed in uneven pieces as a pipe would deliver them. Whatever decodes must
 * re-encode to a frame that decodes to the same message: the decoder
 * accepts nothing the encoder could not have produced. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void roundtrip(const struct ax_msg *m)
{
	struct ax_buf b = AX_BUF_INIT;
	struct ax_msg m2;
	int rc = 0;
	switch (m->type) {
	case AX_MSG_RESULT:
		rc = ax_msg_encode_result(&b, m->check, m->status, m->message, m->observed);
		break;
	case AX_MSG_ARTIFACT:
		rc = ax_msg_encode_artifact(&b, m->name, m->media_type, m->data, m->size);
		break;
	case AX_MSG_DONE:
		ax_msg_encode_done(&b);
		break;
	case AX_MSG_FAIL:
		ax_msg_encode_fail(&b, m->code, m->error);
		break;
	}
	if (rc < 0 || b.size < 4)
		abort();
	if (ax_msg_decode((const unsigned char *)b.ptr + 4, b.size - 4, &m2) < 0)
		abort();
	if (m2.type != m->type || !same(m2.check, m->check) || m2.status != m->status ||
	    !same(m2.message, m->message) || !same(m2.observed, m->observed) || !same(m2.name, m->name) ||
	    !same(m2.media_type, m->media_type) || m2.size != m->size ||
	    (m->size && memcmp(m2.data, m->data, m->size) != 0) || m2.code != m->code ||
	    (m->type == AX_MSG_FAIL && *m->error && !same(m2.error, m->error)))
		abort();
	ax_msg_clear(&m2);
	ax_buf_free(&b);
}

static void decode(const unsigned char *p, size_t n)
{
	struct ax_msg m;
	if (ax_msg_decode(p, n, &m) == 0)
		roundtrip(&m);
	ax_msg_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_msg_reader r;
	size_t off = 0, step = 1;
	/* the whole input as one payload */
	decode(data, size);
	/* and as a stream of frames; a small max exercises the refusal */
	ax_msg_reader_init(&r, 1 << 20);
	while (off < size) {
		size_t len = size - off < step ? size - off : step, used = 0, flen = 0;
		unsigned char *frame = NULL;
		int rc = ax_msg_reader_feed(&r, data + off, len, &used, &frame, &flen);
		if (used > len)
			abort();
		off += used;
		if (rc < 0)
			break;
		if (rc == 1) {
			decode(frame, flen);
			free(frame);
		} else if (used != len) {
			abort();
		}
		step = step * 3 % 1021 + 1;
	}
	ax_msg_reader_free(&r);
	return 0;
}
