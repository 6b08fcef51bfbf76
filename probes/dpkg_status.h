/* dpkg_status.h - dpkg's status database and apt's Packages indices
 * (deb822 stanzas, deb-control(5)), and Debian version ordering.
 *
 * Both files are one stanza per package: `Field: value` lines, a line
 * starting with a space or tab continues the field before it, an empty
 * line ends the stanza. The parser keeps only the fields the packages
 * probe uses and never allocates per line; what it keeps is bounded by the
 * input. A line that is neither a field nor a continuation is AX_EINVALID
 * with "ORIGIN:LINE: why" (dpkg refuses such a database too). Version
 * comparison is dpkg's (epoch, upstream, revision; '~' before everything,
 * letters before other characters, digit runs numerically). */
#ifndef AX_DPKG_STATUS_H
#define AX_DPKG_STATUS_H

#include <stddef.h>

/* The number of stanzas a file may hold (a Debian archive has ~65 000). */
#define DPKG_STANZAS_MAX 1000000

struct dpkg_pkg {
	char *name, *arch, *version;
	char *source;         /* Source: name (NULL: same as the package) */
	char *source_version; /* Source: name (version) (NULL: the package's) */
	char *status;         /* "install ok installed"; NULL in Packages indices */
};

struct dpkg_db {
	struct dpkg_pkg *pkgs;
	size_t n, alloc;
	size_t stanzas; /* stanzas read, kept or not */
};

/* Appends the stanzas of text to db; keep (may be NULL) chooses which
 * (name, len) to store. Stanzas without Package or Version are skipped. */
int dpkg_db_parse(struct dpkg_db *db, const char *text, size_t len, const char *origin,
		  int (*keep)(void *arg, const char *name, size_t len), void *arg);
void dpkg_db_release(struct dpkg_db *db);
/* "install ok installed" etc.: the third word (the state), "" when none. */
const char *dpkg_status_state(const struct dpkg_pkg *p);
/* Sorts by name then architecture, so dpkg_db_find can search. */
void dpkg_db_sort(struct dpkg_db *db);
/* The first entry named name (any architecture) in a sorted db, or NULL. */
const struct dpkg_pkg *dpkg_db_find(const struct dpkg_db *db, const char *name, size_t len);

/* <0, 0, >0 as a is older than, equal to, newer than b (dpkg --compare-versions). */
int dpkg_version_cmp(const char *a, const char *b);

#endif
