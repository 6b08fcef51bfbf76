/* msg.c - encoding and strict decoding of child-to-parent frames (msg.h).
 *
 * The decoder is pure and is the trust boundary: every byte a probe's
 * process writes passes through it, so it checks lengths before it looks
 * at content, accepts only the documented keys and types, and never
 * returns a partially filled message. */
#include "msg.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "json.h"
#include "util.h"

/* --- shapes --- */

int ax_msg_artifact_name_valid(const char *s)
{
	if (!s || strlen(s) > AX_ID_MAX)
		return 0;
	/* every '/'-separated segment is an id, so no "..", no leading '/',
	 * no empty segment: the name can become a path inside a bundle */
	char *copy = ax_strdup(s), *save = NULL, *seg;
	int ok = copy[0] != '\0' && copy[0] != '/' && copy[strlen(copy) - 1] != '/' && !strstr(copy, "//");
	for (seg = strtok_r(copy, "/", &save); ok && seg; seg = strtok_r(NULL, "/", &save))
		ok = ax_id_valid(seg, AX_ID_MAX);
	free(copy);
	return ok;
}

static int is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$&^_.+-", c));
}

static size_t token_len(const char *s)
{
	size_t n = 0;
	while (is_token_char(s[n]))
		n++;
	return n;
}

int ax_msg_media_type_valid(const char *s)
{
	size_t n;
	if (!s || strlen(s) > AX_ID_MAX)
		return 0;
	if (!(n = token_len(s)) || s[n] != '/')
		return 0;
	s += n + 1;
	if (!(n = token_len(s)))
		return 0;
	s += n;
	while (*s == ';') {
		s++;
		while (*s == ' ')
			s++;
		if (!(n = token_len(s)) || s[n] != '=')
			return 0;
		s += n + 1;
		if (!(n = token_len(s)))
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* --- encoding --- */

static void put_u32(struct ax_buf *b, uint32_t v)
{
	unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			       (unsigned char)v};
	ax_buf_put(b, be, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Valid UTF-8 of at most max bytes: invalid bytes become '?', the cut
 * falls on a character boundary. Probe messages quote tool output. */
static void clean_text(struct ax_buf *out, const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;
	for (size_t i = 0; i < len;) {
		size_t n = 1;
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
			if (n > len - i || !ax_utf8_valid(s + i, n) || n == 1)
				n = 0;
		}
		if (out->size + (n ? n : 1) > max)
			break;
		if (n)
			ax_buf_put(out, s + i, n);
		else
			ax_buf_putc(out, '?');
		i += n ? n : 1;
	}
}

static void frame_json(struct ax_buf *out, char type, json_t *obj)
{
	char *text = ax_json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	size_t n = strlen(text);
	put_u32(out, (uint32_t)(1 + n));
	ax_buf_putc(out, type);
	ax_buf_put(out, text, n);
	free(text);
}

int ax_msg_encode_result(struct ax_buf *out, const char *check, enum ax_check_status status,
			 const char *message, const char *observed)
{
	struct ax_buf msg = AX_BUF_INIT;
	json_t *obs = NULL, *obj = NULL;
	char *canon = NULL;
	int err = 0;
	if (!check || !ax_id_valid(check, AX_ID_MAX)) {
		err = ax_error_code(AX_EINVALID, "invalid check id '%s'", check ? check : "(null)");
		goto cleanup;
	}
	if ((unsigned)status > AX_CHECK_INFO) {
		err = ax_error_code(AX_EINVALID, "%s: invalid status %d", check, (int)status);
		goto cleanup;
	}
	obs = observed && *observed ? json_loads(observed, JSON_REJECT_DUPLICATES, NULL) : json_object();
	if (!json_is_object(obs)) {
		err = ax_error_code(AX_EINVALID, "%s: observed values are not a JSON object", check);
		goto cleanup;
	}
	canon = json_dumps(obs, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon || strlen(canon) > AX_OBSERVED_MAX) {
		err = ax_error_code(AX_EINVALID, "%s: observed values larger than %d bytes", check, AX_OBSERVED_MAX);
		goto cleanup;
	}
	clean_text(&msg, message, AX_MESSAGE_MAX);
	obj = json_pack("{s:s, s:s, s:s#, s:O}", "check", check, "status", ax_check_status_name(status),
			"message", ax_buf_cstr(&msg), (int)msg.size, "observed", obs);
	if (!obj)
		ax_oom();
	frame_json(out, AX_MSG_RESULT, obj);
cleanup:
	json_decref(obj);
	json_decref(obs);
	free(canon);
	ax_buf_free(&msg);
	return err;
}

int ax_msg_encode_artifact(struct ax_buf *out, const char *name, const char *media_type,
			   const void *data, size_t len)
{
	json_t *hdr = NULL;
	char *text = NULL;
	int err = 0;
	if (!media_type)
		media_type = "application/octet-stream";
	if (!ax_msg_artifact_name_valid(name)) {
		err = ax_error_code(AX_EINVALID, "invalid artifact name '%s'", name ? name : "(null)");
		goto cleanup;
	}
	if (!ax_msg_media_type_valid(media_type)) {
		err = ax_error_code(AX_EINVALID, "%s: invalid media type '%s'", name, media_type);
		goto cleanup;
	}
	if (len > AX_MSG_ARTIFACT_MAX) {
		err = ax_error_code(AX_EINVALID, "%s: artifact larger than %u bytes", name, AX_MSG_ARTIFACT_MAX);
		goto cleanup;
	}
	hdr = json_pack("{s:s, s:s, s:I}", "name", name, "media_type", media_type, "size", (json_int_t)len);
	if (!hdr || !(text = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS)))
		ax_oom();
	size_t hlen = strlen(text);
	put_u32(out, (uint32_t)(1 + 4 + hlen + len));
	ax_buf_putc(out, AX_MSG_ARTIFACT);
	put_u32(out, (uint32_t)hlen);
	ax_buf_put(out, text, hlen);
	ax_buf_put(out, data, len);
cleanup:
	free(text);
	json_decref(hdr);
	return err;
}

void ax_msg_encode_done(struct ax_buf *out)
{
	put_u32(out, 1);
	ax_buf_putc(out, AX_MSG_DONE);
}

void ax_msg_encode_fail(struct ax_buf *out, int code, const char *error)
{
	struct ax_buf msg = AX_BUF_INIT;
	clean_text(&msg, error && *error ? error : "probe failed", AX_MESSAGE_MAX);
	json_t *obj = json_pack("{s:i, s:s#}", "code", code < 0 ? code : AX_ERROR, "error", ax_buf_cstr(&msg),
				(int)msg.size);
	if (!obj)
		ax_oom();
	frame_json(out, AX_MSG_FAIL, obj);
	json_decref(obj);
	ax_buf_free(&msg);
}

int ax_msg_write(int fd, const void *data, size_t len)
{
	if (ax_write_all(fd, data, len) < 0)
		return ax_error_set("writing to the result pipe: %s", strerror(errno));
	return 0;
}

/* --- decoding --- */

void ax_msg_clear(struct ax_msg *m)
{
	if (!m)
		return;
	free(m->check);
	free(m->message);
	free(m->observed);
	free(m->name);
	free(m->media_type);
	free(m->error);
	memset(m, 0, sizeof(*m));
}

/* An object with exactly the given keys (NULL-terminated). */
static int exact_keys(json_t *obj, const char *const *keys)
{
	size_t n = 0;
	if (!json_is_object(obj))
		return 0;
	for (; keys[n]; n++)
		if (!json_object_get(obj, keys[n]))
			return 0;
	return json_object_size(obj) == n;
}

static int text_field(json_t *obj, const char *key, size_t max, char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return ax_error_code(AX_EINVALID, "%s is not a string", key);
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n > max)
		return ax_error_code(AX_EINVALID, "%s longer than %zu bytes", key, max);
	if (!ax_utf8_valid(s, n))
		return ax_error_code(AX_EINVALID, "%s is not valid UTF-8", key);
	*out = ax_strndup(s, n);
	return 0;
}

static json_t *load_object(const unsigned char *p, size_t n, size_t max)
{
	if (n > max) {
		ax_error_code(AX_EINVALID, "JSON body of %zu bytes (at most %zu)", n, max);
		return NULL;
	}
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		ax_error_code(AX_EINVALID, "bad JSON: %s", jerr.text);
	else if (!json_is_object(obj))
		ax_error_code(AX_EINVALID, "JSON body is not an object");
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

static int decode_result(const unsigned char *p, size_t n, struct ax_msg *m)
{
	static const char *const keys[] = {"check", "status", "message", "observed", NULL};
	json_t *obj = load_object(p, n, AX_MSG_JSON_MAX);
	char *status = NULL;
	int err = 0;
	if (!obj)
		return AX_EINVALID;
	if (!exact_keys(obj, keys)) {
		err = ax_error_code(AX_EINVALID, "result needs exactly check, status, message, observed");
		goto cleanup;
	}
	if ((err = text_field(obj, "check", AX_ID_MAX, &m->check)) < 0 ||
	    (err = text_field(obj, "status", 16, &status)) < 0 ||
	    (err = text_field(obj, "message", AX_MESSAGE_MAX, &m->message)) < 0)
		goto cleanup;
	if (!ax_id_valid(m->check, AX_ID_MAX)) {
		err = ax_error_code(AX_EINVALID, "invalid check id '%s'", m->check);
		goto cleanup;
	}
	if ((err = ax_check_status_parse(status, &m->status)) < 0)
		goto cleanup;
	json_t *obs = json_object_get(obj, "observed");
	if (!json_is_object(obs)) {
		err = ax_error_code(AX_EINVALID, "observed is not an object");
		goto cleanup;
	}
	m->observed = json_dumps(obs, JSON_COMPACT | JSON_SORT_KEYS);
	if (!m->observed || strlen(m->observed) > AX_OBSERVED_MAX)
		err = ax_error_code(AX_EINVALID, "observed larger than %d bytes", AX_OBSERVED_MAX);
cleanup:
	free(status);
	json_decref(obj);
	return err;
}

static int decode_artifact(const unsigned char *p, size_t n, struct ax_msg *m)
{
	static const char *const keys[] = {"name", "media_type", "size", NULL};
	json_t *hdr = NULL;
	int err = 0;
	if (n < 4)
		return ax_error_code(AX_EINVALID, "artifact frame too short");
	uint32_t hlen = get_u32(p);
	if (hlen == 0 || hlen > AX_MSG_HEADER_MAX || hlen > n - 4)
		return ax_error_code(AX_EINVALID, "artifact header length %u out of range", hlen);
	if (!(hdr = load_object(p + 4, hlen, AX_MSG_HEADER_MAX)))
		return AX_EINVALID;
	size_t dlen = n - 4 - hlen;
	json_t *size = json_object_get(hdr, "size");
	if (!exact_keys(hdr, keys)) {
		err = ax_error_code(AX_EINVALID, "artifact header needs exactly name, media_type, size");
		goto cleanup;
	}
	if ((err = text_field(hdr, "name", AX_ID_MAX, &m->name)) < 0 ||
	    (err = text_field(hdr, "media_type", AX_ID_MAX, &m->media_type)) < 0)
		goto cleanup;
	if (!ax_msg_artifact_name_valid(m->name)) {
		err = ax_error_code(AX_EINVALID, "invalid artifact name '%s'", m->name);
		goto cleanup;
	}
	if (!ax_msg_media_type_valid(m->media_type)) {
		err = ax_error_code(AX_EINVALID, "invalid media type '%s'", m->media_type);
		goto cleanup;
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) != (uint64_t)dlen || dlen > AX_MSG_ARTIFACT_MAX) {
		err = ax_error_code(AX_EINVALID, "artifact size does not match its %zu data bytes (at most %u)", dlen,
				    AX_MSG_ARTIFACT_MAX);
		goto cleanup;
	}
	m->data = p + 4 + hlen;
	m->size = dlen;
cleanup:
	json_decref(hdr);
	return err;
}

static int decode_fail(const unsigned char *p, size_t n, struct ax_msg *m)
{
	static const char *const keys[] = {"code", "error", NULL};
	json_t *obj = load_object(p, n, AX_MSG_JSON_MAX);
	int err = 0;
	if (!obj)
		return AX_EINVALID;
	json_t *code = json_object_get(obj, "code");
	if (!exact_keys(obj, keys) || !json_is_integer(code) || json_integer_value(code) >= 0 ||
	    json_integer_value(code) < INT_MIN) {
		err = ax_error_code(AX_EINVALID, "fail needs exactly a negative integer code and an error");
		goto cleanup;
	}
	m->code = (int)json_integer_value(code);
	err = text_field(obj, "error", AX_MESSAGE_MAX, &m->error);
cleanup:
	json_decref(obj);
	return err;
}

int ax_msg_decode(const unsigned char *buf, size_t len, struct ax_msg *out)
{
	int err;
	memset(out, 0, sizeof(*out));
	if (!buf || len == 0)
		return ax_error_code(AX_EINVALID, "empty frame");
	if (len > AX_MSG_FRAME_MAX)
		return ax_error_code(AX_EINVALID, "frame of %zu bytes (at most %u)", len, AX_MSG_FRAME_MAX);
	out->type = (enum ax_msg_type)buf[0];
	switch (buf[0]) {
	case AX_MSG_RESULT:
		err = decode_result(buf + 1, len - 1, out);
		break;
	case AX_MSG_ARTIFACT:
		err = decode_artifact(buf + 1, len - 1, out);
		break;
	case AX_MSG_DONE:
		err = len == 1 ? 0 : ax_error_code(AX_EINVALID, "done frame with %zu extra bytes", len - 1);
		break;
	case AX_MSG_FAIL:
		err = decode_fail(buf + 1, len - 1, out);
		break;
	default:
		err = ax_error_code(AX_EINVALID, "unknown frame type 0x%02x", buf[0]);
	}
	if (err < 0) {
		ax_error_prefix("malformed message");
		ax_msg_clear(out);
	}
	return err;
}

/* --- incremental reading --- */

void ax_msg_reader_init(struct ax_msg_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max ? max : AX_MSG_FRAME_MAX;
}

int ax_msg_reader_feed(struct ax_msg_reader *r, const void *data, size_t len, size_t *used,
		       unsigned char **frame, size_t *framelen)
{
	const unsigned char *p = data;
	size_t off = 0;
	*frame = NULL;
	*framelen = 0;
	while (off < len) {
		if (!r->frame) {
			while (r->nhdr < 4 && off < len)
				r->hdr[r->nhdr++] = p[off++];
			if (r->nhdr < 4)
				break;
			uint32_t n = get_u32(r->hdr);
			if (n == 0 || n > r->max) {
				*used = off;
				return ax_error_code(AX_EINVALID, "malformed message: frame length %u (at most %zu)", n,
						     r->max);
			}
			r->need = n;
			r->have = 0;
			r->frame = ax_malloc(n);
		}
		size_t take = len - off < r->need - r->have ? len - off : r->need - r->have;
		memcpy(r->frame + r->have, p + off, take);
		r->have += take;
		off += take;
		if (r->have == r->need) {
			*frame = r->frame;
			*framelen = r->need;
			r->frame = NULL;
			r->nhdr = r->need = r->have = 0;
			*used = off;
			return 1;
		}
	}
	*used = off;
	return 0;
}

int ax_msg_reader_pending(const struct ax_msg_reader *r)
{
	return r->nhdr > 0 || r->frame != NULL;
}

void ax_msg_reader_free(struct ax_msg_reader *r)
{
	if (!r)
		return;
	free(r->frame);
	ax_msg_reader_init(r, r->max);
}
