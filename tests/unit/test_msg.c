/* test_msg.c - frame encoding and decoding: round trips, the limits, and
 * the seed corpus (files named bad-* must be refused by the reader or the
 * decoder, every other one must decode completely). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "t.h"
#include "util.h"

/* Feeds data through a reader; returns the number of frames decoded, or -1
 * on the first refusal (reader or decoder), -2 for a truncated tail. */
static int decode_all(const unsigned char *data, size_t len, struct ax_msg *last)
{
	struct ax_msg_reader r;
	int frames = 0, rc = 0;
	size_t off = 0;
	ax_msg_reader_init(&r, 0);
	while (off < len && rc >= 0) {
		unsigned char *frame;
		size_t used, flen;
		rc = ax_msg_reader_feed(&r, data + off, len - off, &used, &frame, &flen);
		off += used;
		if (rc == 1) {
			if (last->type == AX_MSG_ARTIFACT)
				free((void *)last->data);
			ax_msg_clear(last);
			if (ax_msg_decode(frame, flen, last) < 0)
				rc = -1;
			else
				frames++;
			/* artifacts point into frame: keep a copy of data for the caller */
			if (rc >= 0 && last->type == AX_MSG_ARTIFACT) {
				/* bytes, not a string: may hold NULs */
				unsigned char *copy = ax_malloc(last->size + 1);
				memcpy(copy, last->data, last->size);
				last->data = copy;
			}
			free(frame);
		}
	}
	if (rc >= 0 && ax_msg_reader_pending(&r))
		rc = -2;
	ax_msg_reader_free(&r);
	return rc < 0 ? rc : frames;
}

static void test_roundtrip(void)
{
	struct ax_buf b = AX_BUF_INIT;
	struct ax_msg m = {0};
	T_EQ_INT(ax_msg_encode_result(&b, "tls.protocol.tls1_0", AX_CHECK_FAIL, "server accepts TLS 1.0",
				      "{\"z\":1,\"a\":[true,null]}"), 0);
	T_EQ_INT(decode_all((unsigned char *)b.ptr, b.size, &m), 1);
	T_EQ_INT(m.type, AX_MSG_RESULT);
	T_EQ_STR(m.check, "tls.protocol.tls1_0");
	T_EQ_INT(m.status, AX_CHECK_FAIL);
	T_EQ_STR(m.message, "server accepts TLS 1.0");
	T_EQ_STR(m.observed, "{\"a\":[true,null],\"z\":1}");
	ax_msg_clear(&m);

	/* info: a check that cannot fail in its mode; the validator accepts it */
	ax_buf_clear(&b);
	T_EQ_INT(ax_msg_encode_result(&b, "log.privileged_logins", AX_CHECK_INFO, "1 listed for review", NULL), 0);
	T_CONTAINS(ax_buf_cstr(&b) + 5, "\"status\":\"info\"");
	T_EQ_INT(decode_all((unsigned char *)b.ptr, b.size, &m), 1);
	T_EQ_INT(m.status, AX_CHECK_INFO);
	ax_msg_clear(&m);

	ax_buf_clear(&b);
	T_EQ_INT(ax_msg_encode_artifact(&b, "certs/chain.pem", "application/x-pem-file", "a\0b", 3), 0);
	T_EQ_INT(decode_all((unsigned char *)b.ptr, b.size, &m), 1);
	T_EQ_STR(m.name, "certs/chain.pem");
	T_EQ_STR(m.media_type, "application/x-pem-file");
	T_EQ_INT(m.size, 3);
	T_OK(memcmp(m.data, "a\0b", 3) == 0);
	free((void *)m.data);
	ax_msg_clear(&m);

	/* a whole session in one buffer, then a done and a fail */
	ax_buf_clear(&b);
	ax_msg_encode_result(&b, "a", AX_CHECK_PASS, NULL, NULL);
	ax_msg_encode_fail(&b, AX_EINVALID, "bad \xff input");
	T_EQ_INT(decode_all((unsigned char *)b.ptr, b.size, &m), 2);
	T_EQ_INT(m.type, AX_MSG_FAIL);
	T_EQ_INT(m.code, AX_EINVALID);
	T_EQ_STR(m.error, "bad ? input"); /* invalid UTF-8 replaced */
	ax_msg_clear(&m);
	ax_buf_clear(&b);
	ax_msg_encode_done(&b);
	T_EQ_INT(b.size, 5);
	T_EQ_INT(decode_all((unsigned char *)b.ptr, b.size, &m), 1);
	T_EQ_INT(m.type, AX_MSG_DONE);
	ax_msg_clear(&m);
	ax_buf_free(&b);
}

static void test_limits(void)
{
	struct ax_buf b = AX_BUF_INIT, big = AX_BUF_INIT;
	struct ax_msg m = {0};
	/* messages are cut on a character boundary */
	for (int i = 0; i < AX_MESSAGE_MAX; i++)
		ax_buf_puts(&big, "\xc3\xa4");
	T_EQ_INT(ax_msg_encode_result(&b, "a", AX_CHECK_PASS, big.ptr, NULL), 0);
	T_EQ_INT(decode_all((unsigned char *)b.ptr, b.size, &m), 1);
	T_EQ_INT(strlen(m.message), AX_MESSAGE_MAX);
	ax_msg_clear(&m);

	/* refusals on the encoding side */
	T_EQ_INT(ax_msg_encode_result(&b, "../x", AX_CHECK_PASS, "", NULL), AX_EINVALID);
	T_EQ_INT(ax_msg_encode_result(&b, "a", (enum ax_check_status)9, "", NULL), AX_EINVALID);
	T_EQ_INT(ax_msg_encode_result(&b, "a", (enum ax_check_status)(AX_CHECK_INFO + 1), "", NULL), AX_EINVALID);
	T_EQ_INT(ax_msg_encode_result(&b, "a", AX_CHECK_PASS, "", "[1]"), AX_EINVALID);
	T_EQ_INT(ax_msg_encode_artifact(&b, "/etc/passwd", "text/plain", "", 0), AX_EINVALID);
	T_EQ_INT(ax_msg_encode_artifact(&b, "a/../b", "text/plain", "", 0), AX_EINVALID);
	T_EQ_INT(ax_msg_encode_artifact(&b, "a", "text/plain\nX: y", "", 0), AX_EINVALID);

	/* a length prefix above the maximum is refused before allocation */
	struct ax_msg_reader r;
	unsigned char *frame;
	size_t used, flen;
	ax_msg_reader_init(&r, 0);
	T_EQ_INT(ax_msg_reader_feed(&r, "\x7f\xff\xff\xff", 4, &used, &frame, &flen), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "frame length");
	T_OK(r.frame == NULL);
	ax_msg_reader_free(&r);
	ax_msg_reader_init(&r, 0);
	T_EQ_INT(ax_msg_reader_feed(&r, "\x00\x00\x00\x00", 4, &used, &frame, &flen), AX_EINVALID);
	ax_msg_reader_free(&r);

	T_OK(ax_msg_media_type_valid("text/plain; charset=utf-8"));
	T_OK(!ax_msg_media_type_valid("text/"));
	T_OK(ax_msg_artifact_name_valid("a/b.c/d-e_f"));
	T_OK(!ax_msg_artifact_name_valid("a/"));
	T_OK(!ax_msg_artifact_name_valid("a/.hidden"));
	T_OK(ax_utf8_valid("\xf0\x9f\x98\x80", 4));
	T_OK(!ax_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	T_OK(!ax_utf8_valid("\xc0\x80", 2));     /* overlong NUL */
	ax_buf_free(&b);
	ax_buf_free(&big);
}

static void test_corpus(void)
{
	const char *src = getenv("ANNEXA_SRC");
	char *dir = ax_asprintf("%s/tests/fuzz/corpus/msg", src ? src : ".");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	T_OK(d != NULL);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = ax_asprintf("%s/%s", dir, e->d_name);
		struct ax_buf data = AX_BUF_INIT;
		struct ax_msg m = {0};
		T_EQ_INT(ax_file_read(path, 1 << 20, &data), 0);
		int rc = decode_all((unsigned char *)data.ptr, data.size, &m);
		if (m.type == AX_MSG_ARTIFACT)
			free((void *)m.data);
		ax_msg_clear(&m);
		int bad = strncmp(e->d_name, "bad-", 4) == 0;
		if (bad != (rc < 0))
			t_fail(__FILE__, __LINE__, "%s: decode_all = %d (%s)", e->d_name, rc, ax_error_last());
		t_checks++;
		ax_buf_free(&data);
		free(path);
		n++;
	}
	T_OK(n > 10);
	if (d)
		closedir(d);
	free(dir);
}

int main(void)
{
	test_roundtrip();
	test_limits();
	test_corpus();
	return t_done();
}
