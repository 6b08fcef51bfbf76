/* transfers_endpoints.h - the hosts the mail and lead systems actually talk
 * to, collected from their configuration: Postfix relayhost and transport
 * maps, restic repository URLs, database hosts and targets in annexa's own
 * probe configs, and extra names given by hand.
 *
 * Only host names leave these parsers (never user names or passwords of
 * URIs). Loopback and private addresses are own infrastructure, not
 * transfers: they are counted as skipped. Everything read is bounded. */
#ifndef AX_TRANSFERS_ENDPOINTS_H
#define AX_TRANSFERS_ENDPOINTS_H

#include <stddef.h>

struct ax_endpoint {
	char *host;   /* canonical: lower case, no trailing dot, no port */
	char *source; /* where it was seen: "main.cf:12 relayhost"; several joined by "; " */
};

struct ax_endpoint_list {
	struct ax_endpoint *items;
	size_t n;
	size_t skipped_internal; /* loopback, private, unix sockets, local paths */
	char **notes;            /* what could not be read (a map type we cannot open...) */
	size_t nnotes;
};

/* Adds host (deduplicated; internal hosts only counted). */
void ax_endpoint_add(struct ax_endpoint_list *l, const char *host, const char *source);
/* The host of a URI or location written in one of the forms the collectors
 * see: "[host]:port", "host:port", "scheme://user:pw@host:port/path",
 * restic "s3:host/bucket", "sftp:user@host:/path", libpq "host=h ...".
 * Returns a new string, or NULL when it names no remote host (local path,
 * unix socket, sqlite:). */
char *ax_endpoint_host_of(const char *location);

/* main.cf in dir: relayhost, transport_maps, sender_dependent_relayhost_maps
 * (reading the source text of file-based maps). AX_ENOTFOUND without main.cf. */
int ax_endpoints_from_postfix(struct ax_endpoint_list *l, const char *dir);
/* database, repository and target values of every [probe] section of an
 * annexa.conf (libgit2 config API). */
int ax_endpoints_from_annexa_config(struct ax_endpoint_list *l, const char *path);
/* RESTIC_REPOSITORY=... lines of a shell environment file. */
int ax_endpoints_from_restic_env(struct ax_endpoint_list *l, const char *path);
void ax_endpoint_list_free(struct ax_endpoint_list *l); /* the contents */

#endif
