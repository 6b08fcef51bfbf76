/* test_redact.c - every secret form the redactor must remove, and the
 * settings it must leave readable for the auditor. */
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "t.h"

/* in: the text; secret: what must not survive; keep: what must. */
static const struct {
	const char *in, *secret, *keep;
} cases[] = {
	{"password = hunter2", "hunter2", "password = [REDACTED]"},
	{"password=hunter2", "hunter2", "password=[REDACTED]"},
	{"password: my long phrase", "phrase", "password: [REDACTED]"},
	{"password X9secret", "X9secret", "password [REDACTED]"},
	{"  requirepass Rk7redis", "Rk7redis", "requirepass [REDACTED]"},
	{"masterauth Mk7redis", "Mk7redis", "masterauth [REDACTED]"},
	{"bindpw Ld4pw", "Ld4pw", "bindpw [REDACTED]"},
	{"rootpw {SSHA}abcdef", "abcdef", "rootpw [REDACTED]"},
	{"smtp_pass=Sm7tp", "Sm7tp", "smtp_pass=[REDACTED]"},
	{"DB_PWD=Pw9d", "Pw9d", "DB_PWD=[REDACTED]"},
	{"basic_auth: Ba5ic", "Ba5ic", "basic_auth: [REDACTED]"},
	{"Authorization: Bearer eyJhbGciOi.tok", "eyJhbGciOi", "Authorization: [REDACTED]"},
	{"Proxy-Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Proxy-Authorization: [REDACTED]"},
	{"curl -H \"Authorization: Bearer Ab12cd\" https://x", "Ab12cd", "\" https://x"},
	{"got Bearer Zz99token from client", "Zz99token", "Bearer [REDACTED]"},
	{"X-Api-Key: Ak47key", "Ak47key", "X-Api-Key: [REDACTED]"},
	{"api_key=Ak1&user=bob", "Ak1", "&user=bob"},
	{"Cookie: session=Co0kie", "Co0kie", "Cookie: [REDACTED]"},
	{"client_secret = \"Cs3\\\"x\"", "Cs3", "client_secret = \"[REDACTED]\""},
	{"{\"password\": \"Js0n\", \"user\": \"bob\"}", "Js0n", "\"user\": \"bob\""},
	{"<password>Xm1</password>", "Xm1", "<password>[REDACTED]</password>"},
	{"user=bob password=Pq1 host=db", "Pq1", "host=db"},
	{"db.example.com:5432:*:app:Pg9pass", "Pg9pass", "db.example.com:5432:*:app:[REDACTED]"},
	{"*:*:*:postgres:Pg\\:colon", "colon", "*:*:*:postgres:[REDACTED]"},
	{"machine example.com login bob password Nr8c", "Nr8c", "login bob password [REDACTED]"},
	{"postgresql://app:Ur1pass@db/app", "Ur1pass", "postgresql://app:[REDACTED]@db/app"},
	{"mysql://app:My5pass@db:3306/app?socket=/s", "My5pass", "mysql://app:[REDACTED]@db:3306/app"},
	{"[client]\nuser = ro\npassword = Cnf7\n", "Cnf7", "user = ro"},
	{"see https://u:p/a@ss@h.example/x", "p/a@ss", "https://u:[REDACTED]@h.example/x"},
	{"PGPASSWORD=Env0 psql", "Env0", "PGPASSWORD=[REDACTED]"},
	{"--password=Cli1", "Cli1", "--password=[REDACTED]"},
	{"\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n\"", "MIIEvQ", "[REDACTED]"},
	{"ssl_key_passphrase = Ph1", "Ph1", "[REDACTED]"},
	/* settings stay readable */
	{"PasswordAuthentication no", NULL, "PasswordAuthentication no"},
	{"smtpd_sasl_auth_enable = yes", NULL, "smtpd_sasl_auth_enable = yes"},
	{"auth_mechanisms = plain login", NULL, "auth_mechanisms = plain login"},
	{"password   required   pam_unix.so sha512", NULL, "password   required   pam_unix.so sha512"},
	{"auth [success=1 default=ignore] pam_unix.so", NULL, "auth [success=1 default=ignore] pam_unix.so"},
	{"dovecot: auth: Error: unknown user", NULL, "dovecot: auth: Error: unknown user"},
	{"sshd[1]: Failed password for bob from 192.0.2.1", NULL, "Failed password for bob from 192.0.2.1"},
	{"smtp_sasl_password_maps = $default_maps", NULL, "= $default_maps"},
	{"http://example.com:8080/path", NULL, "http://example.com:8080/path"},
	{"12:30:45 started", NULL, "12:30:45 started"},
};

/* A PEM body line redacted with the context of the file: the whole block
 * goes, the line count stays. */
static void test_pem(void)
{
	const char *pem = "a=1\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\nQUJDREVG\n"
			  "-----END OPENSSH PRIVATE KEY-----\nb=2\n";
	struct ax_buf out = AX_BUF_INIT;
	T_EQ_INT(ax_redact(pem, strlen(pem), NULL, &out), 0);
	const char *o = ax_buf_cstr(&out);
	T_OK(!strstr(o, "b3BlbnNzaC1rZXk") && !strstr(o, "QUJDREVG"));
	T_CONTAINS(o, "a=1\n[REDACTED] private key\n");
	T_CONTAINS(o, "\nb=2\n");
	size_t lines = 0;
	for (const char *p = o; *p; p++)
		lines += *p == '\n';
	T_EQ_INT(lines, 6);
	ax_buf_free(&out);

	const char *pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBGx\n-----END PGP PRIVATE KEY BLOCK-----\n";
	T_EQ_INT(ax_redact(pgp, strlen(pgp), NULL, &out), 0);
	T_OK(!strstr(ax_buf_cstr(&out), "lQOYBGx"));
	ax_buf_free(&out);
}

static void test_extra_and_keys(void)
{
	struct ax_buf out = AX_BUF_INIT;
	T_EQ_INT(ax_redact("id=AKIA1234 ok", 14, "AKIA[0-9]+", &out), 0);
	T_EQ_STR(ax_buf_cstr(&out), "id=[REDACTED] ok");
	ax_buf_free(&out);
	T_EQ_INT(ax_redact("x", 1, "(", &out), AX_EINVALID);
	ax_buf_free(&out);

	static const struct {
		const char *key;
		int secret;
	} keys[] = {
		{"smtp_sasl_password_maps", 1}, {"requirepass", 1}, {"bindpw", 1}, {"smtp_pass", 1}, {"pw", 1},
		{"pwd", 1}, {"basic_auth", 1}, {"Authorization", 1}, {"bearer", 1}, {"credentials", 1},
		{"apikey", 1}, {"api_key", 1}, {"ssl_private", 1}, {"token", 1}, {"client_secret", 1},
		{"smtpd_sasl_auth_enable", 0}, {"auth_mechanisms", 0}, {"author", 0}, {"passdb", 0},
		{"ssl_key", 0}, {"myhostname", 0},
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (ax_redact_key_is_secret(keys[i].key, strlen(keys[i].key)) != keys[i].secret)
			t_fail(__FILE__, __LINE__, "key '%s': secret should be %d", keys[i].key, keys[i].secret);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_buf out = AX_BUF_INIT;
		t_checks++;
		if (ax_redact(cases[i].in, strlen(cases[i].in), NULL, &out) != 0)
			t_fail(__FILE__, __LINE__, "case %zu: error", i);
		const char *o = ax_buf_cstr(&out);
		if (cases[i].secret && strstr(o, cases[i].secret))
			t_fail(__FILE__, __LINE__, "'%s' -> '%s' still holds '%s'", cases[i].in, o, cases[i].secret);
		if (cases[i].keep && !strstr(o, cases[i].keep))
			t_fail(__FILE__, __LINE__, "'%s' -> '%s' lacks '%s'", cases[i].in, o, cases[i].keep);
		ax_buf_free(&out);
	}
	test_pem();
	test_extra_and_keys();
	return t_done();
}
