/* test_jsonsplit.c - the streaming JSON object splitter, table-driven:
 * which texts it accepts (elements and members seen, whatever the chunk
 * size), and the problem it names for the others; the density rule. */
#include <stdlib.h>
#include <string.h>

#include "t.h"

#include "buf.h"
#include "error.h"
#include "jsonsplit.h"

struct seen {
	struct ax_buf log;
};

static int on_element(void *arg, const char *text, size_t len)
{
	struct seen *s = arg;
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (!j)
		return ax_error_code(AX_EINVALID, "element is no JSON");
	char *d = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	ax_buf_printf(&s->log, "E%s;", d);
	free(d);
	json_decref(j);
	return 0;
}

static int on_member(void *arg, const char *key, json_t *value)
{
	struct seen *s = arg;
	char *d = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	ax_buf_printf(&s->log, "M%s=%s;", key, d);
	free(d);
	return 0;
}

/* Feeds text in chunks of `chunk` bytes; returns the result and the log. */
static int split(const char *text, size_t chunk, struct ax_buf *log)
{
	struct seen s = {AX_BUF_INIT};
	struct ax_jsplit_cb cb = {.what = "x.json", .list_key = "runs", .element_max = 64, .value_max = 64,
				  .element = on_element, .member = on_member, .arg = &s};
	struct ax_jsplit *sp = ax_jsplit_new(&cb);
	size_t len = strlen(text);
	int err = 0;
	for (size_t i = 0; i < len && !err; i += chunk)
		err = ax_jsplit_feed(sp, text + i, len - i < chunk ? len - i : chunk);
	if (!err)
		err = ax_jsplit_end(sp);
	ax_jsplit_free(sp);
	ax_buf_clear(log);
	ax_buf_puts(log, ax_buf_cstr(&s.log));
	ax_buf_free(&s.log);
	return err;
}

int main(void)
{
	static const struct {
		const char *text, *want; /* want: the log, or the error */
		int ok;
	} cases[] = {
		{"{\"runs\":[]}", "", 1},
		{" {\"a\":1, \"runs\": [ {\"id\":1} , 2,\"s]\" ,[3]] ,\"b\":{\"c\":\"}\"}}\n", "Ma=1;E{\"id\":1};E2;E\"s]\";E[3];Mb={\"c\":\"}\"};", 1},
		{"{\"runs\":[1],\"z\":null,\"t\":true,\"n\":-1.5e3}", "E1;Mz=null;Mt=true;Mn=-1500.0;", 1},
		{"{\"k\\u0041\":\"\\\"\",\"runs\":[\"\\\\\"]}", "MkA=\"\\\"\";E\"\\\\\";", 1},
		{"", "x.json is malformed JSON", 0},
		{"[]", "x.json is malformed JSON", 0},
		{"{}", "x.json has no \"runs\" list", 0},
		{"{\"runs\":{}}", "\"runs\" is not a list", 0},
		{"{\"runs\":[],\"runs\":[]}", "names \"runs\" twice", 0},
		{"{\"runs\":[]}{}", "x.json is malformed JSON", 0},
		{"{\"runs\":[],}", "x.json is malformed JSON", 0},
		{"{\"runs\":[1,]}", "element is no JSON", 0},
		{"{\"runs\":[1 2]}", "x.json is malformed JSON", 0},
		{"{\"runs\":[]", "x.json is malformed JSON", 0},
		{"{\"a\":tru,\"runs\":[]}", "x.json is malformed JSON", 0},
		{"{\"a\" 1,\"runs\":[]}", "x.json is malformed JSON", 0},
		{"{\"a\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],\"runs\":[]}", "larger than annexa", 0},
		{"{\"runs\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}", "element 1 of \"runs\" is larger", 0},
	};
	struct ax_buf log = AX_BUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static const size_t chunks[] = {1, 3, 4096};
		for (size_t c = 0; c < 3; c++) {
			int err = split(cases[i].text, chunks[c], &log);
			t_checks++;
			if ((err == 0) != cases[i].ok)
				t_fail(__FILE__, __LINE__, "case %zu chunk %zu: %s (%s)", i, chunks[c], err ? "refused" : "accepted",
				       err ? ax_error_last() : ax_buf_cstr(&log));
			else if (cases[i].ok)
				T_EQ_STR(ax_buf_cstr(&log), cases[i].want);
			else
				T_CONTAINS(ax_error_last(), cases[i].want);
		}
	}
	T_OK(!ax_json_dense("[1,2,3]", 7, 4));
	T_OK(ax_json_dense("[1,2,3]", 7, 2));
	T_OK(!ax_json_dense("\"[,,,,\"", 7, 0));
	T_OK(!ax_json_dense("\"\\\"[,,\"", 7, 0));
	ax_buf_free(&log);
	return t_done();
}
