/* anchors.h - ledger anchors: (run id, hash) pairs of the store's ledger
 * held somewhere else than the store, to find what a hash chain alone
 * cannot: runs cut off the end, or a chain rewritten and rehashed.
 *
 * annexa records one anchor for every exported bundle (its store head) and
 * for every evidence-locker commit (its run) in STATE-DIR/anchors.jsonl,
 * append-only, one JSON object a line:
 *   {"kind": "bundle"|"locker", "run": ID, "hash": HEX64, "time": RFC3339,
 *    "bundle": PATH | "commit": OID, "branch": NAME}
 * `annexa ledger verify --anchors` checks the store against that file, a
 * bundle (its signed ledger.json store head, after `verify`) or a locker
 * repository (run.json of every commit of the collector's branch). An
 * anchor only proves what the place it is kept in proves: anchors.jsonl
 * lives on the collector, a bundle in the auditor's hands, a pushed locker
 * on another host. */
#ifndef AX_ANCHORS_H
#define AX_ANCHORS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

struct ax_config;

struct ax_anchor {
	char kind[16]; /* "bundle" or "locker" */
	int64_t run;
	char hash[65];
	int64_t time;     /* when the anchor was made (bundle: generated_at) */
	int64_t tsa_time; /* a bundle's RFC 3161 time stamp, 0: none */
	char *source;     /* bundle path, or locker commit id */
};

struct ax_anchors {
	struct ax_anchor *a;
	size_t n, alloc;
};

/* STATE-DIR/anchors.jsonl of cfg (caller frees). */
char *ax_anchors_file(const struct ax_config *cfg);

/* Appends one anchor line (O_APPEND, fsync; the file is created 0600, its
 * folder 0700 when missing). */
int ax_anchor_append(const char *file, const struct ax_anchor *a);

/* Adds the anchors of an anchors file (a torn last line, from a crash
 * during an append, is skipped) or of a locker repository's branch (the
 * collector's, collectors/NAME). Bundles: ax_anchors_load() (export.h). */
int ax_anchors_load_file(const char *path, struct ax_anchors *out);
int ax_anchors_load_locker(const char *path, const char *branch, struct ax_anchors *out);
/* Adds the anchor of {"kind", "run", "hash", "time", "tsa_time", "bundle"
 * or "commit"}; -1, adding nothing, when j is not one (or NULL). */
int ax_anchors_add_json(struct ax_anchors *out, json_t *j);
void ax_anchors_free(struct ax_anchors *a);
/* The anchors of an anchors file's text (name for messages), as
 * ax_anchors_load_file reads a file: AX_EINVALID naming the first line that is
 * not an anchor; a last line without its newline is skipped. */
int ax_anchors_parse(const char *text, size_t len, const char *name, struct ax_anchors *out);

/* One line naming an anchor, for messages: "bundle X.zip (2026-...)". */
void ax_anchor_describe(const struct ax_anchor *a, struct ax_buf *out);

/* Compares the store with every anchor: a store that ends before an
 * anchored run, or whose run at an anchored id has another hash, is
 * AX_EINVALID with a message naming the anchor. *newest (may be NULL)
 * receives the index of the anchor with the highest run id (or n). */
int ax_anchors_check(struct ax_store *s, const struct ax_anchors *a, size_t *newest);

#endif
