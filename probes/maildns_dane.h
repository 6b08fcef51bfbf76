/* maildns_dane.h - matching an MX host's TLSA records against the
 * certificate chain it presents, as RFC 7672 defines DANE for SMTP. */
#ifndef AX_MAILDNS_DANE_H
#define AX_MAILDNS_DANE_H

#include <stddef.h>

#include <openssl/x509.h>

/* tlsa: records as "U S M HEX" (maildns_dns.h). Only DANE-TA(2) and
 * DANE-EE(3) with selector 0/1 and matching type 0/1/2 are usable (RFC
 * 7672 3.1.3); *usable gets their count. DANE-EE matches the leaf's
 * certificate or public key whatever its names and dates; DANE-TA a
 * certificate of the chain that the leaf validates to, the leaf naming
 * host. Returns 1 when a usable record matches, else 0. */
int md_dane_match(char *const *tlsa, size_t n, STACK_OF(X509) *chain, const char *host, size_t *usable);

#endif
