/* test_tls.c - the parts of the `tls` probe that need no server: target
 * parsing, the STARTTLS exchanges against scripted peers (socket pairs),
 * with the exact errors a user sees, and the policy profiles. The live
 * handshakes are tested against real Postfix and Dovecot in
 * tests/integration/mail_*.sh. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "error.h"
#include "mailproto.h"
#include "t.h"
#include "tls_policy.h"
#include "util.h"

static int script(enum mp_starttls proto, const char *server, int *offered)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -99;
	if (write(sv[1], server, strlen(server)) < 0)
		return -99;
	shutdown(sv[1], SHUT_WR);
	struct mp_conn c;
	mp_conn_init(&c, sv[0], "peer:25", ax_monotonic_ms() + 2000);
	int rc = mp_starttls(&c, proto, offered);
	mp_conn_release(&c);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

int main(void)
{
	char *h, *p;
	T_EQ_INT(mp_target_split("mx.example:25", &h, &p), 0);
	T_EQ_STR(h, "mx.example");
	T_EQ_STR(p, "25");
	free(h), free(p);
	T_EQ_INT(mp_target_split("[::1]:993", &h, &p), 0);
	T_EQ_STR(h, "::1");
	free(h), free(p);
	T_EQ_INT(mp_target_split("mx.example", &h, &p), AX_EINVALID);
	T_EQ_INT(mp_starttls_parse("imap"), MP_STARTTLS_IMAP);
	T_EQ_INT(mp_starttls_parse("ftp"), -1);

	int off = -1;
	T_EQ_INT(script(MP_STARTTLS_SMTP, "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 go\r\n", &off), 0);
	T_EQ_INT(off, 1);
	T_EQ_INT(script(MP_STARTTLS_SMTP, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n", &off), AX_ENOTFOUND);
	T_EQ_INT(off, 0);
	T_CONTAINS(ax_error_last(), "peer:25: the server does not offer STARTTLS");
	T_EQ_INT(script(MP_STARTTLS_SMTP, "220 mx\r\n250 STARTTLS\r\n454 4.7.0 no\r\n", &off), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "STARTTLS refused with 454");
	T_EQ_INT(script(MP_STARTTLS_SMTP, "220 mx\r\n250 STARTTLS\r\n220 go\r\nQUIT\r\n", &off), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "data after the STARTTLS go-ahead");
	T_EQ_INT(script(MP_STARTTLS_SMTP, "HTTP/1.1 400 Bad\r\n", &off), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "not an SMTP reply");
	T_EQ_INT(script(MP_STARTTLS_SMTP, "", &off), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "peer:25: connection closed by the server");
	char big[6000];
	memset(big, '2', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ_INT(script(MP_STARTTLS_SMTP, big, &off), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "line longer than 4096 bytes");
	T_EQ_INT(script(MP_STARTTLS_IMAP, "* OK hi\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK\r\na2 OK go\r\n", &off), 0);
	T_EQ_INT(script(MP_STARTTLS_IMAP, "* OK hi\r\n* CAPABILITY IMAP4rev1\r\na1 OK\r\n", &off), AX_ENOTFOUND);
	T_EQ_INT(script(MP_STARTTLS_IMAP, "* OK hi\r\n* CAPABILITY STARTTLS\r\na1 OK\r\na2 NO later\r\n", &off), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "STARTTLS refused");
	T_EQ_INT(script(MP_STARTTLS_POP3, "+OK pop\r\n+OK\r\nSTLS\r\nUSER\r\n.\r\n+OK go\r\n", &off), 0);
	T_EQ_INT(script(MP_STARTTLS_POP3, "+OK pop\r\n+OK\r\nUSER\r\n.\r\n", &off), AX_ENOTFOUND);

	/* a silent peer: the deadline ends it */
	int sv[2];
	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct mp_conn c;
	mp_conn_init(&c, sv[0], "silent:25", ax_monotonic_ms() + 200);
	T_EQ_INT(mp_starttls(&c, MP_STARTTLS_SMTP, NULL), AX_ETIMEOUT);
	T_CONTAINS(ax_error_last(), "silent:25: no answer before the deadline");
	mp_conn_release(&c);
	close(sv[0]), close(sv[1]);

	const struct tls_policy *moz = tls_policy_find("mozilla-intermediate"), *bsi = tls_policy_find("bsi-tr-02102-2");
	T_OK(moz && bsi && !tls_policy_find("nope"));
	T_EQ_INT(moz->min_rsa_bits, 2048);
	T_EQ_INT(bsi->min_rsa_bits, 3000);
	T_OK(tls_policy_suite_ok(moz, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"));
	T_OK(!tls_policy_suite_ok(moz, TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA256"));
	T_OK(tls_policy_suite_ok(bsi, TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA256"));
	T_OK(!tls_policy_suite_ok(moz, TLS1_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"));
	T_OK(tls_policy_suite_ok(moz, TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"));
	T_OK(!tls_policy_suite_ok(bsi, TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"));
	T_OK(!tls_policy_suite_ok(moz, TLS1_2_VERSION, "AECDH-AES256-SHA"));
	T_OK(tls_policy_group_ok(moz, "X25519"));
	T_OK(!tls_policy_group_ok(moz, "RSA"));
	T_OK(tls_policy_group_ok(moz, "DH-2048") && !tls_policy_group_ok(bsi, "DH-2048"));
	return t_done();
}
