/* x509.h - the OpenSSL pieces that signing, time stamps and verification
 * share: one way to name an OpenSSL failure and one PEM certificate reader. */
#ifndef AX_X509_H
#define AX_X509_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

/* The newest OpenSSL error as text, "no detail" when the queue is empty;
 * clears the queue. Static storage, valid until the next call. */
const char *ax_ssl_err(void);
/* Appends every PEM certificate readable from bio to into (which owns
 * them) and returns how many; what follows the last one is ignored. */
size_t ax_pem_certs_read(BIO *bio, STACK_OF(X509) *into);

#endif
