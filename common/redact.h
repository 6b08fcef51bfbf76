/* redact.h - removing secrets from text before it becomes evidence.
 *
 * A heuristic, deliberately broad: a false positive costs an auditor one
 * "[REDACTED]", a false negative leaks a password into a signed bundle
 * that is kept for years. What it does not recognise (a password in prose,
 * a YAML block scalar, a secret under a key with no secret-looking word)
 * stays; the `redact` option of a probe adds patterns. */
#ifndef AX_REDACT_H
#define AX_REDACT_H

#include <stddef.h>

#include "buf.h"

#define AX_REDACTED "[REDACTED]"

/* Appends text to out, line by line (line count preserved), with:
 *  - every line of a PEM private key block (from the -----BEGIN ...
 *    PRIVATE KEY... line to the -----END line) replaced;
 *  - the value after a secret-looking key (ax_redact_key_is_secret())
 *    replaced: `key = v`, `key: v`, `"key": "v"`, `<key>v</key>`, and
 *    `key v` when the key opens the line (Redis requirepass, LDAP bindpw),
 *    the line is a .netrc entry, or the key is Bearer. An unquoted value
 *    runs to the end of the line, or to `,` `;` `&` or the next `name=`;
 *    yes/no/true/false/on/off/none/null and $references are kept;
 *  - the password of .pgpass lines (host:port:db:user:password) replaced;
 *  - the password of `scheme://user:password@host` URIs replaced;
 *  - every match of the POSIX extended regex extra (may be NULL) replaced.
 * Returns AX_EINVALID when extra does not compile. */
int ax_redact(const char *text, size_t len, const char *extra, struct ax_buf *out);

/* True when the key name looks secret: it contains one of password,
 * passwd, passphrase, secret, token, credential, apikey/api_key, bindpw,
 * requirepass, masterauth, privatekey/private_key, privkey, authorization,
 * bearer, cookie, auth_key (case-insensitive), or its last word (split at
 * _ - . and camelCase) is pass, pw, pwd, auth or private. */
int ax_redact_key_is_secret(const char *key, size_t len);

#endif
