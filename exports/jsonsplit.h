/* jsonsplit.h - reads a large JSON object without building one tree of
 * it (jsonsplit.c): the elements of one array member are handed over one
 * at a time as text, every other member parsed. For ledger.json and
 * manifest.json in `verify`, whose size grows with the bundle while
 * memory must not. */
#ifndef AX_JSONSPLIT_H
#define AX_JSONSPLIT_H

#include <stddef.h>

#include <jansson.h>

struct ax_jsplit_cb {
	const char *what;      /* the file's name, for messages */
	const char *list_key;  /* the member whose elements go to element() */
	size_t element_max;    /* bytes of one element */
	size_t value_max;      /* bytes of any other member's value */
	/* One element's text, unparsed (the callee parses it); a negative
	 * return stops the walk and is returned. */
	int (*element)(void *arg, const char *text, size_t len);
	/* Any other member, parsed (borrowed); may be NULL. */
	int (*member)(void *arg, const char *key, json_t *value);
	void *arg;
};

struct ax_jsplit;
struct ax_jsplit *ax_jsplit_new(const struct ax_jsplit_cb *cb);
/* Feeds the next bytes; AX_EINVALID names malformed JSON, a duplicate
 * key, a value over its limit or one denser than ax_json_dense allows. */
int ax_jsplit_feed(struct ax_jsplit *s, const char *data, size_t len);
/* The text ended: AX_EINVALID unless the object is complete and had the
 * list member. */
int ax_jsplit_end(struct ax_jsplit *s);
void ax_jsplit_free(struct ax_jsplit *s);

/* True when text has more than max '{', '[' or ',' outside strings: a
 * parsed JSON value costs ~40-100 bytes however short its text, so dense
 * text ("[0,0,0,...]") multiplies memory; refuse it before parsing. */
int ax_json_dense(const char *text, size_t len, size_t max);

#endif
