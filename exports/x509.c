/* x509.c - OpenSSL error text and PEM certificate reading (x509.h). */
#include "x509.h"

#include <openssl/err.h>
#include <openssl/pem.h>

const char *ax_ssl_err(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();
	if (!e)
		return "no detail";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

size_t ax_pem_certs_read(BIO *bio, STACK_OF(X509) *into)
{
	X509 *x;
	size_t n = 0;
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		sk_X509_push(into, x);
		n++;
	}
	ERR_clear_error(); /* the read that ended the loop */
	return n;
}
