/* test_mailbox.c - the address recogniser on the forms that leaked (quoted
 * local parts, ', ~, non-ASCII, a cut line) and on text that holds none. */
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "probe.h"
#include "t.h"

/* text, then every address it holds, exactly as matched ("|"-separated). */
static const struct {
	const char *text, *want;
} cases[] = {
	{"deleted john@example.com", "john@example.com"},
	{"deleted \"john doe\"@example.com today", "\"john doe\"@example.com"},
	{"x \"john\\\"q\"@example.com", "\"john\\\"q\"@example.com"},
	{"\"john@doe\"@example.com", "\"john@doe\"@example.com"},
	{"lead o'brien@example.com gone", "o'brien@example.com"},
	{"lead ~tilde@example.com gone", "~tilde@example.com"},
	{"lead j\xc3\xb6rg.m\xc3\xbcller@b\xc3\xbc" "cher.de gone", "j\xc3\xb6rg.m\xc3\xbcller@b\xc3\xbc" "cher.de"},
	{"user@localhost", "user@localhost"},
	{"a@[192.0.2.1] b", "a@[192.0.2.1]"},
	{"to=<bob@example.org>, from=<alice+tag@example.net>", "bob@example.org|alice+tag@example.net"},
	{"mail bob@example.org.", "bob@example.org"},
	{"(bob@example.org)", "bob@example.org"},
	{"email=bob@example.org", "email=bob@example.org"},
	{"no address @ here, a@ nor @b", ""},
	{"\"unclosed@example.com", "unclosed@example.com"},
	{"", ""},
};

static void test_find(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].text;
		size_t len = strlen(s), pos = 0, a, b;
		struct ax_buf got = AX_BUF_INIT;
		while (ax_mailbox_find(s, len, pos, &a, &b)) {
			if (a < pos || b <= a || b > len) {
				t_fail(__FILE__, __LINE__, "'%s': bad span %zu..%zu", s, a, b);
				break;
			}
			if (got.size)
				ax_buf_putc(&got, '|');
			ax_buf_put(&got, s + a, b - a);
			pos = b;
		}
		T_EQ_STR(ax_buf_cstr(&got), cases[i].want);
		ax_buf_free(&got);
	}
}

static int no_result(void *arg, const struct ax_result *r)
{
	(void)arg;
	(void)r;
	return 0;
}

/* No byte of the address survives, however the line is cut or escaped. */
static void test_safe_text(void)
{
	struct ax_probe_sink sink = {no_result, NULL, NULL};
	struct ax_probe_ctx *ctx = ax_probe_ctx_new(NULL, (const unsigned char *)"0123456789abcdef", 16, NULL, 0, &sink);
	const char *line = "purged j\xc3\xb6rg@example.com and \"john doe\"@example.com\x01";
	struct ax_buf out = AX_BUF_INIT;
	ax_probe_safe_text(ctx, line, strlen(line), 300, &out);
	const char *o = ax_buf_cstr(&out);
	T_OK(!strstr(o, "rg@") && !strstr(o, "john") && !strstr(o, "\\xc3") && !strstr(o, "example"));
	T_CONTAINS(o, "purged p:");
	T_CONTAINS(o, "\\x01");
	ax_buf_free(&out);
	/* cut inside the local part: the whole address went first */
	ax_probe_safe_text(ctx, line, strlen(line), 10, &out);
	T_EQ_INT(strncmp(ax_buf_cstr(&out), "purged p:", 9), 0);
	T_CONTAINS(ax_buf_cstr(&out), " [cut]");
	T_OK(!strstr(ax_buf_cstr(&out), "j\\xc3"));
	ax_buf_free(&out);
	/* the same address, the same pseudonym */
	char p1[20];
	ax_probe_pseudonym(ctx, "J\xc3\xb6rg@Example.com", p1);
	ax_probe_safe_text(ctx, line, strlen(line), 300, &out);
	T_CONTAINS(ax_buf_cstr(&out), p1);
	ax_buf_free(&out);
	ax_probe_ctx_free(ctx);
}

/* Pseudonyms are HMAC-SHA-256 of the trimmed, lowercased value, the first
 * 8 bytes in hex: known answers from Python's hmac module, for a short
 * key, a full-block key, a value longer than the stack buffer, and "". */
static void test_pseudonym(void)
{
	static const struct {
		int full_key;
		const char *value, *want;
	} vectors[] = {
		{0, "  Lead@Example.COM \t", "p:d7f1b50a11c17b2a"},
		{1, "lead@example.com", "p:0f428aa44f83e5af"},
		{0, NULL, "p:8354adb347ed5473"}, /* 300 x 'X' */
		{0, "", "p:496dc93fa2d26eae"},
	};
	struct ax_probe_sink sink = {no_result, NULL, NULL};
	unsigned char block[64];
	char longv[301], out[20];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (unsigned char)i;
	memset(longv, 'X', 300);
	longv[300] = '\0';
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct ax_probe_ctx *ctx = vectors[i].full_key
			? ax_probe_ctx_new(NULL, block, sizeof(block), NULL, 0, &sink)
			: ax_probe_ctx_new(NULL, (const unsigned char *)"0123456789abcdef", 16, NULL, 0, &sink);
		ax_probe_pseudonym(ctx, vectors[i].value ? vectors[i].value : longv, out);
		T_EQ_STR(out, vectors[i].want);
		ax_probe_pseudonym(ctx, vectors[i].value ? vectors[i].value : longv, out); /* the state is reused */
		T_EQ_STR(out, vectors[i].want);
		ax_probe_ctx_free(ctx);
	}
}

int main(void)
{
	test_find();
	test_safe_text();
	test_pseudonym();
	return t_done();
}
