/* fixes.c - one short "how to fix" line per check id, shown under a failing
 * check in report.html and `annexa status --control`. Kept apart from the
 * probes' check tables so a probe file stays about what it measures; a
 * check with no line here simply shows none. Every id here is one a probe
 * declares (test_probe_fix). */
#include "probe.h"

#include <string.h>

static const struct {
	const char *check, *fix;
} fixes[] = {
	{"postfix.smtpd.tls_security_level", "set smtpd_tls_security_level = may (or encrypt) in main.cf and on each smtpd listener in master.cf"},
	{"postfix.smtp.tls_security_level", "set smtp_tls_security_level = may (or dane/encrypt) in main.cf"},
	{"postfix.smtpd.tls_auth_only", "set smtpd_tls_auth_only = yes"},
	{"postfix.smtpd.tls_protocols", "set smtpd_tls_protocols = >=TLSv1.2 (or !SSLv2, !SSLv3, !TLSv1, !TLSv1.1), then postfix reload"},
	{"postfix.smtpd.tls_mandatory_protocols", "set smtpd_tls_mandatory_protocols = >=TLSv1.2, then postfix reload"},
	{"postfix.smtpd.tls_mandatory_ciphers", "set smtpd_tls_mandatory_ciphers = high (or medium)"},
	{"postfix.tls.cert_files", "point smtpd_tls_cert_file and smtpd_tls_key_file (or smtpd_tls_chain_files) at existing files"},
	{"postfix.tls.key_permissions", "chmod 600 (or 640 root:postfix) the private key files"},
	{"postfix.relay.restrictions", "put reject_unauth_destination in smtpd_relay_restrictions"},
	{"postfix.relay.mynetworks", "narrow mynetworks to the hosts that may relay"},
	{"postfix.smtpd.disable_vrfy", "set disable_vrfy_command = yes"},
	{"file.exists", "create the file or correct `path` (exists = false if it must not exist)"},
	{"file.age", "refresh the file (the job that writes it) or adjust max-age / min-age"},
	{"file.mode", "chmod the file to mode-max or narrower (e.g. chmod 0640 PATH)"},
	{"file.owner", "chown the file to the required user"},
	{"file.group", "chgrp the file to the required group"},
	{"file.content.present", "add the required setting (the `contains` pattern) to the file"},
	{"file.content.absent", "remove or change the line the `absent` pattern matches"},
	{"tls.starttls.offered", "enable STARTTLS on the server"},
	{"tls.protocol.ssl3", "disable SSLv3 in the server's TLS protocol settings"},
	{"tls.protocol.tls1_0", "disable TLS 1.0 (allow TLS 1.2 and newer only)"},
	{"tls.protocol.tls1_1", "disable TLS 1.1 (allow TLS 1.2 and newer only)"},
	{"tls.protocol.tls1_2", "enable TLS 1.2 on the server"},
	{"tls.cipher.weak", "remove the weak suites from the server's cipher list"},
	{"tls.cipher.order", "make the server prefer its own suite order, or offer no weak suite"},
	{"tls.kex.group", "restrict the key exchange groups to X25519, P-256 or stronger"},
	{"tls.cert.expiry", "renew the certificate (automate it, e.g. with an ACME client)"},
	{"tls.cert.key_size", "issue a certificate with an RSA 2048+ or ECDSA P-256+ key"},
	{"tls.cert.signature", "reissue the certificate signed with SHA-256 or better"},
	{"tls.cert.chain", "install the full intermediate chain on the server (or set ca-file for a private CA)"},
	{"tls.cert.hostname", "issue a certificate that names the server's host name"},
};

const char *ax_probe_fix(const char *check)
{
	for (size_t i = 0; check && i < sizeof(fixes) / sizeof(fixes[0]); i++)
		if (strcmp(fixes[i].check, check) == 0)
			return fixes[i].fix;
	return NULL;
}

size_t ax_probe_fix_count(void)
{
	return sizeof(fixes) / sizeof(fixes[0]);
}

const char *ax_probe_fix_id(size_t i)
{
	return i < sizeof(fixes) / sizeof(fixes[0]) ? fixes[i].check : NULL;
}
