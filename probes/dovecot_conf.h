/* dovecot_conf.h - Dovecot's configuration syntax (2.3 and 2.4): `key =
 * value`, nested `name [arg] { ... }` sections, `#` comments, `!include` /
 * `!include_try` (globs, relative to the including file) and `<file`
 * values (kept as written: the probe decides whether to look at the file).
 *
 * Settings are flattened to "section/sub/key" paths; later definitions
 * win. Bounded: DC_FILES_MAX files, DC_DEPTH_MAX include and section depth,
 * DC_LINE_MAX bytes a line. Errors are AX_EINVALID "FILE:LINE: why". */
#ifndef AX_DOVECOT_CONF_H
#define AX_DOVECOT_CONF_H

#include <stddef.h>

#define DC_FILES_MAX 64
#define DC_DEPTH_MAX 16
#define DC_LINE_MAX 8192

struct dc_setting {
	char *path;  /* "ssl", "service imap-login/inet_listener imaps/ssl" */
	char *value;
	char *file;
	unsigned line;
};

struct dc_conf {
	struct dc_setting *settings;
	size_t nsettings, alloc;
	size_t nfiles;
};

/* Parses text as if it were file origin (includes resolve against it). */
int dc_parse_text(struct dc_conf *c, const char *text, size_t len, const char *origin, int depth);
/* Reads and parses path (and its includes). */
int dc_parse_file(struct dc_conf *c, const char *path, int depth, int must_exist);
void dc_conf_release(struct dc_conf *c);
/* Last value of a top-level key, or NULL. */
const char *dc_get(const struct dc_conf *c, const char *path);

#endif
