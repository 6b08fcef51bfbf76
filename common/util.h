/* util.h - small shared helpers: time, durations, hashing, files.
 *
 * Everything here is pure or touches only the paths it is given. Files are
 * written atomically (temp file, fsync, rename, fsync of the folder), so a
 * crash leaves either the old or the new content, never a torn one. */
#ifndef AX_UTIL_H
#define AX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"

/* Seconds since the epoch, UTC. Only in a test build (meson -Dtest_clock=true,
 * `annexa --version` says "test clock") does ANNEXA_NOW (RFC 3339 or epoch
 * seconds) override the clock, for tests of expiry and freshness; a release
 * build ignores it (with a warning on stderr). */
int64_t ax_now(void);

/* "2026-11-29T10:00:00Z" into out (at least 21 bytes). */
void ax_time_format(int64_t t, char out[static 32]);
/* The width every human table and text of the command line fits in. */
#define AX_TERM_WIDTH 80
/* Writes text from column *col on, wrapped at word boundaries before
 * AX_TERM_WIDTH (a longer word is cut), continuation lines indent columns
 * in; control characters become '?'. Updates *col; writes no final
 * newline. */
void ax_wrap(FILE *out, size_t *col, const char *text, size_t indent);
/* Writes a help text of several lines, each wrapped (ax_wrap): an option
 * or command line ("  --json        JSON") continues under its
 * description, an indented line 4 columns further in. */
void ax_wrap_help(FILE *out, const char *text);
/* Accepts RFC 3339 (with Z or ±hh:mm, optional fraction), "YYYY-MM-DD"
 * (midnight UTC) and "YYYY-MM-DD HH:MM:SS" (UTC). */
int ax_time_parse(const char *s, int64_t *out);

/* Durations "30s", "15m", "26h", "30d", "52w" (and a bare number of
 * seconds) into seconds. Rejects negatives, overflow and trailing junk. */
int ax_duration_parse(const char *s, int64_t *out);
/* Shortest exact form: 900 -> "15m", 93600 -> "26h". */
void ax_duration_format(int64_t secs, char out[static 32]);

/* Lowercase hex SHA-256 of data, into out (65 bytes). */
void ax_sha256_hex(const void *data, size_t len, char out[static 65]);
void ax_hex(const unsigned char *bin, size_t len, char *out);
/* The len bytes the first 2*len hex digits of hex spell; -1 at a
 * character that is not a hex digit (the string's end included). */
int ax_unhex(const char *hex, unsigned char *out, size_t len);

/* Reads at most max bytes of a regular file; AX_EINVALID when larger or
 * not a regular file (a FIFO is refused, never waited on), AX_ENOTFOUND
 * when missing. Messages name the path. */
int ax_file_read(const char *path, size_t max, struct ax_buf *out);
/* The first max bytes of a regular file (a longer file is no error). */
int ax_file_read_head(const char *path, size_t max, struct ax_buf *out);
/* Writes all len bytes, again after EINTR and short writes; -1 with errno
 * set (no message: the caller names what it wrote to). */
int ax_write_all(int fd, const void *data, size_t len);
/* Atomically replaces path with data; mode is narrowed by the umask. The
 * temp file has a random name next to path and is created with
 * O_EXCL|O_NOFOLLOW: a symlink planted there redirects nothing. */
int ax_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* Like ax_file_write_atomic() but never replaces: AX_EEXISTS when path
 * exists (link(2) of the complete temp file, so readers never see a
 * partial one). */
int ax_file_write_new(const char *path, const void *data, size_t len, unsigned mode);
/* The temp file of ax_file_write_atomic() for callers that stream: a new
 * file PATH.tmp.RANDOM (mode narrowed by the umask), its name in *tmp_out
 * (caller frees) and fd; ax_file_temp_commit() fsyncs, closes and renames
 * it over path, or unlinks it on error. */
int ax_file_temp(const char *path, unsigned mode, char **tmp_out, int *fd_out);
int ax_file_temp_commit(char *tmp, int fd, const char *path);
/* Appends one record to path (created 0600, never through a symlink) and
 * fsyncs it: an append-only log line. Messages say `what` and errno. */
int ax_file_append(const char *path, const void *data, size_t len, const char *what);
/* fsync of the folder that holds path. */
int ax_fsync_parent(const char *path);

/* Joins base's folder with rel when rel is relative (config-relative
 * paths); returns a new string. */
char *ax_path_resolve(const char *base_file, const char *rel);

/* True when s matches ^[A-Za-z0-9][A-Za-z0-9._-]*$ and is at most max long:
 * the shape of every id that crosses a process boundary. */
int ax_id_valid(const char *s, size_t max);

/* Milliseconds from a monotonic clock. */
int64_t ax_monotonic_ms(void);

/* Strict UTF-8 of len bytes: no NUL, no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF. The one validator of text that
 * becomes evidence (frames, config values, the store, CSV input). */
int ax_utf8_valid(const char *s, size_t len);

/* Decodes base64 (blanks, CR and LF skipped; padding required) into a new
 * *out; the byte count, or -1 (and *out NULL) when it is not base64 or
 * longer than 64 KiB. */
long ax_base64_decode(const char *v, size_t len, unsigned char **out);

#endif
