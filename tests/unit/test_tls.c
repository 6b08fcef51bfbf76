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

/* --- the profiles against their cited tables --- */

/* Mozilla guidelines 6.0 (2026-04), intermediate: ciphers.openssl,
 * ciphersuites, tls_curves. */
static const char *const moz12[] = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
				    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
				    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", NULL};
static const char *const moz13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", NULL};
/* BSI TR-02102-2 2024-01 Table 2 (IANA names translated by OpenSSL itself
 * below) and Table 12 */
static const char *const bsi12_iana[] = {
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_CCM", "TLS_DHE_RSA_WITH_AES_256_CCM", NULL};
static const char *const bsi13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256", NULL};

static int in(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* Every suite this OpenSSL knows passes a profile at TLS 1.2 exactly when
 * the table lists it: what the table omits (CBC-SHA1, static RSA, 3DES,
 * DHE in Mozilla 6.0, ChaCha20 in BSI) fails, and the table holds no name
 * the document lacks. 1.3 suites likewise, and nothing below TLS 1.2. */
static void check_suites(const struct tls_policy *p, const char *const *want12, const char *const *want13)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	T_OK(ctx && SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1);
	/* all five TLS 1.3 suites, CCM ones included (not on by default) */
	T_OK(ctx && SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
						 "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:"
						 "TLS_AES_128_CCM_8_SHA256") == 1);
	STACK_OF(SSL_CIPHER) *all = ctx ? SSL_CTX_get_ciphers(ctx) : NULL;
	size_t n12 = 0, n13 = 0;
	for (int i = 0; all && i < sk_SSL_CIPHER_num(all); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
		const char *name = SSL_CIPHER_get_name(c);
		int v13 = strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0;
		int want = in(v13 ? want13 : want12, name);
		n12 += !v13 && want, n13 += v13 && want;
		if (tls_policy_suite_ok(p, v13 ? TLS1_3_VERSION : TLS1_2_VERSION, name) != want)
			t_fail(__FILE__, __LINE__, "%s: %s is %s the profile, the table says %s", p->name, name,
			       want ? "outside" : "inside", want ? "inside" : "outside");
		t_checks++;
		if (tls_policy_suite_ok(p, TLS1_1_VERSION, name) || tls_policy_suite_ok(p, TLS1_VERSION, name))
			t_fail(__FILE__, __LINE__, "%s: %s passes below TLS 1.2", p->name, name);
	}
	/* every table entry is a suite this OpenSSL can negotiate, so none went unchecked */
	size_t w12 = 0, w13 = 0;
	while (want12[w12])
		w12++;
	while (want13[w13])
		w13++;
	T_EQ_INT(n12, w12);
	T_EQ_INT(n13, w13);
	SSL_CTX_free(ctx);
}

static void check_profiles(void)
{
	const struct tls_policy *moz = tls_policy_find("mozilla-intermediate"), *bsi = tls_policy_find("bsi-tr-02102-2");
	T_OK(moz && bsi && !tls_policy_find("nope") && !tls_policy_find(NULL));
	if (!moz || !bsi)
		return;
	T_EQ_INT(moz->min_version, TLS1_2_VERSION);
	T_EQ_INT(bsi->min_version, TLS1_2_VERSION);
	/* Mozilla rsa_key_size 2048, ecdh_param_size 256; BSI Table 13 */
	T_EQ_INT(moz->min_rsa_bits, 2048);
	T_EQ_INT(moz->min_ec_bits, 256);
	T_EQ_INT(bsi->min_rsa_bits, 3000);
	T_EQ_INT(bsi->min_ec_bits, 250);
	T_EQ_INT(bsi->min_dh_bits, 3000);

	check_suites(moz, moz12, moz13);
	const char *bsi12[32] = {NULL};
	size_t nb = 0;
	/* IANA names -> OpenSSL's, through OpenSSL's own table */
	for (size_t i = 0; bsi12_iana[i] && nb < 31; i++) {
		const char *name = OPENSSL_cipher_name(bsi12_iana[i]);
		T_OK(strcmp(name, "(NONE)") != 0);
		bsi12[nb++] = name;
	}
	check_suites(bsi, bsi12, bsi13);

	static const struct {
		const char *group;
		int moz, bsi;
	} groups[] = {
		{"X25519MLKEM768", 1, 0}, {"X25519", 1, 0}, {"prime256v1", 1, 1}, {"secp384r1", 1, 1},
		{"secp521r1", 0, 1}, {"X448", 0, 0}, {"brainpoolP256r1", 0, 1}, {"brainpoolP384r1", 0, 1},
		{"brainpoolP512r1", 0, 1}, {"brainpoolP256r1tls13", 0, 1}, {"ffdhe3072", 0, 1}, {"ffdhe4096", 0, 1},
		{"ffdhe2048", 0, 0}, {"ffdhe6144", 0, 0}, {"ffdhe8192", 0, 0}, {"secp224r1", 0, 0},
		{"DH-1024", 0, 0}, {"DH-2048", 0, 0}, {"DH-3072", 0, 1}, {"DH-4096", 0, 1}, {"RSA", 0, 0},
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (tls_policy_group_ok(moz, groups[i].group) != groups[i].moz)
			t_fail(__FILE__, __LINE__, "mozilla-intermediate: group %s should %s", groups[i].group,
			       groups[i].moz ? "pass" : "fail");
		if (tls_policy_group_ok(bsi, groups[i].group) != groups[i].bsi)
			t_fail(__FILE__, __LINE__, "bsi-tr-02102-2: group %s should %s", groups[i].group,
			       groups[i].bsi ? "pass" : "fail");
		t_checks += 2;
	}
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

	check_profiles();
	return t_done();
}
