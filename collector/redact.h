/* redact.h - removing secrets from text before it becomes evidence.
 *
 * The rules are deliberately broad: a false positive costs an auditor one
 * "[REDACTED]", a false negative leaks a password into a signed bundle
 * that is kept for years. */
#ifndef AX_REDACT_H
#define AX_REDACT_H

#include <stddef.h>

#include "buf.h"

#define AX_REDACTED "[REDACTED]"

/* Appends text to out with:
 *  - PEM private key blocks (-----BEGIN ... PRIVATE KEY----- .. END) replaced;
 *  - the value after a secret-looking key replaced, for `key = v`, `key: v`,
 *    `key=v`, `"key": "v"` forms, where the key contains password, passwd,
 *    pwd, secret, token, api_key/apikey, private_key, credential, auth_key
 *    (case-insensitive);
 *  - the password of `scheme://user:password@host` URIs replaced;
 *  - every match of the POSIX extended regex extra (may be NULL) replaced.
 * Returns AX_EINVALID when extra does not compile. */
int ax_redact(const char *text, size_t len, const char *extra, struct ax_buf *out);

/* True when the key name looks secret (the rule above). */
int ax_redact_key_is_secret(const char *key, size_t len);

#endif
