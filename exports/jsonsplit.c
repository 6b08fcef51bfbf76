/* jsonsplit.c - the streaming splitter of jsonsplit.h.
 *
 * A byte-level scanner follows the top-level object's grammar (keys,
 * colons, commas, brackets) and finds where each member value and each
 * list element ends by tracking strings and nesting; jansson then parses
 * each value completely (so the whole text is checked to be JSON), one
 * at a time. Memory: one value or element at a time, within its limit. */
#include "jsonsplit.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "util.h"

enum { S_START, S_FIRST_KEY, S_KEY, S_COLON, S_VALUE, S_IN_VALUE, S_AFTER, S_NEXT_KEY, S_FIRST_EL, S_IN_EL,
       S_AFTER_EL, S_NEXT_EL, S_END };
enum { C_CONTAINER, C_STRING, C_SCALAR };

struct ax_jsplit {
	struct ax_jsplit_cb cb;
	int state, kind, depth, in_str, esc, list_seen;
	size_t nelements;
	struct ax_buf key, val;
	char seen[32][32];
	size_t nseen;
};

int ax_json_dense(const char *p, size_t len, size_t max)
{
	size_t n = 0;
	int in_str = 0, esc = 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if ((c == '{' || c == '[' || c == ',') && ++n > max) {
			return 1;
		}
	}
	return 0;
}

struct ax_jsplit *ax_jsplit_new(const struct ax_jsplit_cb *cb)
{
	struct ax_jsplit *s = ax_calloc(1, sizeof(*s));
	s->cb = *cb;
	return s;
}

void ax_jsplit_free(struct ax_jsplit *s)
{
	if (!s)
		return;
	ax_buf_free(&s->key);
	ax_buf_free(&s->val);
	free(s);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int syntax(const struct ax_jsplit *s)
{
	return ax_error_code(AX_EINVALID, "%s is malformed JSON", s->cb.what);
}

static void capture_start(struct ax_jsplit *s, char c)
{
	ax_buf_clear(&s->val);
	ax_buf_putc(&s->val, c);
	s->kind = c == '{' || c == '[' ? C_CONTAINER : c == '"' ? C_STRING : C_SCALAR;
	s->depth = 1;
	s->in_str = 0;
	s->esc = 0;
}

/* Feeds c to the value being captured: 1 complete with c, 2 complete
 * before c (a scalar's end), 0 not yet. */
static int capture(struct ax_jsplit *s, char c)
{
	if (s->kind == C_SCALAR) {
		if (c == ',' || c == '}' || c == ']' || is_ws(c))
			return 2;
		ax_buf_putc(&s->val, c);
		return 0;
	}
	ax_buf_putc(&s->val, c);
	if (s->in_str || s->kind == C_STRING) {
		if (s->esc)
			s->esc = 0;
		else if (c == '\\')
			s->esc = 1;
		else if (c == '"') {
			if (s->kind == C_STRING)
				return 1;
			s->in_str = 0;
		}
		return 0;
	}
	if (c == '"')
		s->in_str = 1;
	else if (c == '{' || c == '[')
		s->depth++;
	else if ((c == '}' || c == ']') && --s->depth == 0)
		return 1;
	return 0;
}

/* A complete member value other than the list. */
static int member_value(struct ax_jsplit *s)
{
	json_error_t jerr;
	const char *key = ax_buf_cstr(&s->key);
	if (ax_json_dense(s->val.ptr, s->val.size, s->val.size / 8 + 64))
		return ax_error_code(AX_EINVALID, "%s: \"%s\" is denser than annexa writes it", s->cb.what, key);
	json_t *j = json_loadb(s->val.ptr, s->val.size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	int err = !j ? syntax(s) : s->cb.member ? s->cb.member(s->cb.arg, key, j) : 0;
	json_decref(j);
	return err;
}

static int key_done(struct ax_jsplit *s)
{
	json_error_t jerr;
	json_t *k = json_loadb(s->val.ptr, s->val.size, JSON_DECODE_ANY, &jerr);
	const char *t = json_string_value(k);
	int err = 0;
	if (!t || strlen(t) >= sizeof(s->seen[0]) || s->nseen == sizeof(s->seen) / sizeof(s->seen[0])) {
		err = syntax(s);
	} else {
		for (size_t i = 0; i < s->nseen && !err; i++)
			if (strcmp(s->seen[i], t) == 0)
				err = ax_error_code(AX_EINVALID, "%s names \"%s\" twice", s->cb.what, t);
		if (!err) {
			snprintf(s->seen[s->nseen++], sizeof(s->seen[0]), "%s", t);
			ax_buf_clear(&s->key);
			ax_buf_puts(&s->key, t);
		}
	}
	json_decref(k);
	return err;
}

/* After a value: ',' to the next, or the closing bracket. */
static int separator(struct ax_jsplit *s, char c, char close, int next, int closed)
{
	if (is_ws(c))
		return 0;
	if (c == ',')
		s->state = next;
	else if (c == close)
		s->state = closed;
	else
		return syntax(s);
	return 0;
}

static int split_byte(struct ax_jsplit *s, char c)
{
	int r, err;
	switch (s->state) {
	case S_START:
		if (is_ws(c))
			return 0;
		if (c != '{')
			return syntax(s);
		s->state = S_FIRST_KEY;
		return 0;
	case S_FIRST_KEY:
	case S_NEXT_KEY:
		if (is_ws(c))
			return 0;
		if (c == '}' && s->state == S_FIRST_KEY) {
			s->state = S_END;
			return 0;
		}
		if (c != '"')
			return syntax(s);
		capture_start(s, c);
		s->state = S_KEY;
		return 0;
	case S_KEY:
		if (s->val.size > 64)
			return syntax(s);
		if (capture(s, c) == 1) {
			if ((err = key_done(s)) < 0)
				return err;
			s->state = S_COLON;
		}
		return 0;
	case S_COLON:
		if (is_ws(c))
			return 0;
		if (c != ':')
			return syntax(s);
		s->state = S_VALUE;
		return 0;
	case S_VALUE:
		if (is_ws(c))
			return 0;
		if (strcmp(ax_buf_cstr(&s->key), s->cb.list_key) == 0) {
			if (c != '[')
				return ax_error_code(AX_EINVALID, "%s: \"%s\" is not a list", s->cb.what, s->cb.list_key);
			s->list_seen = 1;
			s->state = S_FIRST_EL;
			return 0;
		}
		capture_start(s, c);
		s->state = S_IN_VALUE;
		return 0;
	case S_IN_VALUE:
		r = capture(s, c);
		if (s->val.size > s->cb.value_max)
			return ax_error_code(AX_EINVALID, "%s: \"%s\" is larger than annexa writes it", s->cb.what,
					     ax_buf_cstr(&s->key));
		if (!r)
			return 0;
		if ((err = member_value(s)) < 0)
			return err;
		s->state = S_AFTER;
		return r == 2 ? split_byte(s, c) : 0;
	case S_AFTER:
		return separator(s, c, '}', S_NEXT_KEY, S_END);
	case S_FIRST_EL:
	case S_NEXT_EL:
		if (is_ws(c))
			return 0;
		if (c == ']' && s->state == S_FIRST_EL) {
			s->state = S_AFTER;
			return 0;
		}
		capture_start(s, c);
		s->state = S_IN_EL;
		return 0;
	case S_IN_EL:
		r = capture(s, c);
		if (s->val.size > s->cb.element_max)
			return ax_error_code(AX_EINVALID, "%s: element %zu of \"%s\" is larger than the verifier's limit",
					     s->cb.what, s->nelements + 1, s->cb.list_key);
		if (!r)
			return 0;
		s->nelements++;
		if ((err = s->cb.element(s->cb.arg, s->val.ptr, s->val.size)) < 0)
			return err;
		s->state = S_AFTER_EL;
		return r == 2 ? split_byte(s, c) : 0;
	case S_AFTER_EL:
		return separator(s, c, ']', S_NEXT_EL, S_AFTER);
	default: /* S_END */
		return is_ws(c) ? 0 : syntax(s);
	}
}

int ax_jsplit_feed(struct ax_jsplit *s, const char *data, size_t len)
{
	int err = 0;
	for (size_t i = 0; i < len && !err; i++)
		err = split_byte(s, data[i]);
	return err;
}

int ax_jsplit_end(struct ax_jsplit *s)
{
	if (s->state != S_END)
		return syntax(s);
	if (!s->list_seen)
		return ax_error_code(AX_EINVALID, "%s has no \"%s\" list", s->cb.what, s->cb.list_key);
	return 0;
}
