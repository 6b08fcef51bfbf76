/* msg.h - the framing between a probe's child process and the parent.
 *
 * The child writes frames to AX_MSG_FD; the parent reads them with an
 * ax_msg_reader and trusts nothing it has not checked with ax_msg_decode.
 *
 * A frame is a 4-byte big-endian payload length followed by the payload:
 *
 *   'R' JSON     a result: {"check","status","message","observed"}, all four
 *                keys, no others; observed is an object
 *   'A' u32 JSON DATA
 *                an artifact: u32 big-endian length of the JSON header
 *                {"name","media_type","size"}, the header, then exactly
 *                size raw bytes
 *   'D'          done: the probe's run function returned 0 (nothing follows)
 *   'F' JSON     fail: {"code": negative int, "error": "message"}
 *
 * Limits (evidence.h): check ids and artifact names AX_ID_MAX, messages
 * AX_MESSAGE_MAX bytes of UTF-8, observed AX_OBSERVED_MAX bytes as compact
 * JSON, artifacts AX_MSG_ARTIFACT_MAX bytes. */
#ifndef AX_MSG_H
#define AX_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "evidence.h"

/* The descriptor the result pipe has in the child: fixed, so that a probe
 * (or a test) can write raw bytes to it. */
#define AX_MSG_FD 3

#define AX_MSG_ARTIFACT_MAX (64u << 20)
#define AX_MSG_HEADER_MAX 4096u /* an artifact's JSON header */
/* A result or fail body: observed plus a message whose every byte may be
 * escaped as \uXXXX, plus the keys. */
#define AX_MSG_JSON_MAX ((size_t)AX_OBSERVED_MAX + 6u * AX_MESSAGE_MAX + 4096u)
#define AX_MSG_FRAME_MAX (1u + 4u + AX_MSG_HEADER_MAX + AX_MSG_ARTIFACT_MAX)

enum ax_msg_type {
	AX_MSG_RESULT = 'R',
	AX_MSG_ARTIFACT = 'A',
	AX_MSG_DONE = 'D',
	AX_MSG_FAIL = 'F',
};

struct ax_msg {
	enum ax_msg_type type;
	/* AX_MSG_RESULT */
	char *check;
	enum ax_check_status status;
	char *message;
	char *observed; /* compact JSON, sorted keys */
	/* AX_MSG_ARTIFACT; data points into the decoded buffer (no copy of
	 * up to 64 MiB): valid as long as that buffer is */
	char *name;
	char *media_type;
	const unsigned char *data;
	size_t size;
	/* AX_MSG_FAIL */
	int code;
	char *error;
};

/* Decodes one frame's payload (without the length prefix). Validates
 * everything; on error returns AX_EINVALID with the reason and leaves out
 * cleared. Release with ax_msg_clear(). */
int ax_msg_decode(const unsigned char *buf, size_t len, struct ax_msg *out);
void ax_msg_clear(struct ax_msg *m);

/* Encoders append one whole frame (length prefix included) to out. The
 * message is made valid UTF-8 and cut to AX_MESSAGE_MAX; a bad check id,
 * status, observed text, artifact name or size is AX_EINVALID. */
int ax_msg_encode_result(struct ax_buf *out, const char *check, enum ax_check_status status,
			 const char *message, const char *observed);
int ax_msg_encode_artifact(struct ax_buf *out, const char *name, const char *media_type,
			   const void *data, size_t len);
void ax_msg_encode_done(struct ax_buf *out);
void ax_msg_encode_fail(struct ax_buf *out, int code, const char *error);
/* Writes all of data to fd (retrying on EINTR and short writes). */
int ax_msg_write(int fd, const void *data, size_t len);

/* Shape checks shared with the runner. */
int ax_msg_artifact_name_valid(const char *s); /* ids joined by '/' */
int ax_msg_media_type_valid(const char *s);    /* type/subtype[; k=v]... */

/* Accumulates pipe bytes and yields whole frames. A length prefix of 0 or
 * above max is refused before anything is allocated for it. */
struct ax_msg_reader {
	unsigned char hdr[4];
	size_t nhdr;
	unsigned char *frame; /* payload being filled */
	size_t need, have;
	size_t max;
};

/* max 0 means AX_MSG_FRAME_MAX. */
void ax_msg_reader_init(struct ax_msg_reader *r, size_t max);
/* Consumes bytes from data until a frame is complete. Returns 1 with the
 * payload in *frame (caller frees) and its length in *framelen, 0 when all
 * len bytes were consumed without completing one, AX_EINVALID for a bad
 * length prefix. *used is set to the bytes consumed in every case. */
int ax_msg_reader_feed(struct ax_msg_reader *r, const void *data, size_t len, size_t *used,
		       unsigned char **frame, size_t *framelen);
/* True when part of a frame has been read (a truncated frame at EOF). */
int ax_msg_reader_pending(const struct ax_msg_reader *r);
void ax_msg_reader_free(struct ax_msg_reader *r);

#endif
