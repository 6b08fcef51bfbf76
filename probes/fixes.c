/* fixes.c - one short "how to fix" line per check id, shown under a failing
 * check in report.html and `annexa status --control`. Kept apart from the
 * probes' check tables so a probe file stays about what it measures; a
 * check with no line here simply shows none. Every id here is one a probe
 * declares, and every declared check has one (test_status, test_fixes). */
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
	{"tls.protocol.tls1_3", "enable TLS 1.3 on the server (recommended; OpenSSL 1.1.1 or newer)"},
	{"tls.cipher.weak", "remove the weak suites from the server's cipher list"},
	{"tls.cipher.order", "make the server prefer its own suite order, or offer no weak suite"},
	{"tls.kex.group", "restrict the key exchange groups to X25519, P-256 or stronger"},
	{"tls.cert.expiry", "renew the certificate (automate it, e.g. with an ACME client)"},
	{"tls.cert.key_size", "issue a certificate with an RSA 2048+ or ECDSA P-256+ key"},
	{"tls.cert.signature", "reissue the certificate signed with SHA-256 or better"},
	{"tls.cert.chain", "install the full intermediate chain on the server (or set ca-file for a private CA)"},
	{"tls.cert.hostname", "issue a certificate that names the server's host name"},
	{"log.present", "point `log` at the files the service writes and let the probe user read them (group adm)"},
	{"log.fresh", "restart the logging service (rsyslog or journald forwarding) and check the service still writes its log"},
	{"log.retention", "keep rotations for min-retention or longer (logrotate: raise `rotate` / `maxage`)"},
	{"log.permissions", "chmod o-rwx the log files and set `create 0640 root adm` in their logrotate stanza"},
	{"log.auth_failures", "block the sources listed (fail2ban or a firewall rule) and check the accounts they tried"},
	{"log.privileged_logins", "review the listed root and admin logins; use personal accounts and sudo instead"},
	{"log.privileged_logins.forbidden", "disable direct root/admin login (sshd: PermitRootLogin no) and use personal accounts with sudo"},
	{"log.cleartext_auth", "require TLS before login on the service (e.g. Dovecot ssl = required, Postfix smtpd_tls_auth_only = yes)"},
	{"backup.fresh", "check the backup job (timer/cron, its log) and run it so a new backup exists within max-age"},
	{"backup.size_drop", "compare the newest backup with the one before it and fix what went missing (paths, excludes, errors)"},
	{"backup.encrypted", "encrypt the backups (e.g. pipe the dump through age or gpg; restic repositories need a password)"},
	{"backup.restore_test", "repair the dump job: the newest dump must restore cleanly (run the restore by hand to see why not)"},
	{"backup.retention", "keep more snapshots (restic forget --keep-daily 7 or more) so min-snapshots span min-span"},
	{"backup.integrity", "run restic check and repair the repository (restic repair index / snapshots), then back up again"},
	{"consent.doi.proof", "store the sign-up and confirmation times (and the confirmation IP) of every double opt-in"},
	{"consent.doi.ip_recording", "turn on recording of the confirmation IP (listmonk: Settings > Privacy > Record opt-in IP)"},
	{"consent.doi.single_optin_lists", "switch the listed marketing lists to double opt-in"},
	{"consent.unconfirmed.expired", "delete unconfirmed sign-ups older than unconfirmed-max-age (a scheduled cleanup job)"},
	{"consent.erasure.overdue", "carry out the open erasure or objection requests and close them"},
	{"consent.inactive.retention", "delete or anonymise contacts inactive longer than inactive-max-age, or ask them to re-consent"},
	{"consent.customer.no_sale", "ask these customers for consent (double opt-in) or end the subscriptions: no sale came with the address"},
	{"consent.customer.dissimilar", "take these customers off lists for products unlike what they bought, or declare the categories similar if they are"},
	{"consent.customer.no_notice", "show the right to object at checkout and record when (objection_notice_at); ask the listed customers for consent"},
	{"consent.customer.stale_sale", "end existing-customer subscriptions whose last order is older than customer-max-age, or ask for consent"},
	{"consent.mailed_without_consent", "send campaigns only to confirmed subscribers: filter the recipient list on confirmed consent"},
	{"consent.mailed_after_unsubscribe", "remove unsubscribed addresses from every list before a send (sync unsubscribes promptly)"},
	{"privacy.pseudonym_key", "chmod 0600 the pseudonym key file; if shorter than 32 bytes, replace it (head -c 32 /dev/urandom)"},
	{"dovecot.ssl.required", "set ssl = required in the Dovecot configuration, then doveadm reload"},
	{"dovecot.ssl.min_protocol", "set ssl_min_protocol = TLSv1.2 in the Dovecot configuration"},
	{"dovecot.auth.cleartext", "set disable_plaintext_auth = yes (auth_allow_cleartext = no in Dovecot 2.4)"},
	{"dovecot.ssl.key_permissions", "chmod 600 (root-owned) the file ssl_key (2.4: ssl_server_key_file) names"},
	{"change.signed", "sign commits (git config commit.gpgsign true) with a key listed in allowed-signers"},
	{"change.reviewed", "protect the branch: changes only by merge request, or with a Reviewed-by from someone else"},
	{"change.history_rewritten", "find out who force-pushed the branch and why; forbid force pushes on it"},
	{"change.drift", "deploy the listed files from the branch (or commit the change made in place)"},
	{"maildns.dnssec", "sign the zone with DNSSEC and publish its DS record at the parent; fix the bogus answers"},
	{"maildns.mx", "publish MX records whose hosts have A/AAAA records"},
	{"maildns.spf", "publish one TXT v=spf1 record with at most 10 lookups ending in -all (or ~all)"},
	{"maildns.dkim", "publish a 2048-bit DKIM key (SELECTOR._domainkey TXT) for every selector the server signs with"},
	{"maildns.dmarc", "publish _dmarc TXT v=DMARC1 with the required p=, pct=100 and a rua= address"},
	{"maildns.mta_sts", "publish _mta-sts TXT and https://mta-sts.DOMAIN/.well-known/mta-sts.txt in mode: enforce covering every MX"},
	{"maildns.dane", "publish TLSA records (3 1 1) for each MX host's certificate in a signed zone; update them before a key change"},
	{"maildns.tlsrpt", "publish _smtp._tls TXT v=TLSRPTv1; rua=mailto:ADDRESS"},
	{"mailreports.received", "check the DMARC rua= address still receives mail and the probe reads that mailbox"},
	{"mailreports.dmarc", "find the failing sources in the reports: add them to SPF/DKIM or stop them sending as the domain"},
	{"mailreports.tlsrpt", "read the failure types in the TLS reports and fix the MX certificates or MTA-STS/DANE records"},
	{"mailreports.readable", "look at the named report files; remove malformed ones or raise the size limit if they are genuine"},
	{"mailing.list_unsubscribe", "add a List-Unsubscribe header with an https (and mailto) URI to every campaign"},
	{"mailing.one_click", "add List-Unsubscribe-Post: List-Unsubscribe=One-Click and an https List-Unsubscribe URI"},
	{"mailing.dkim_covers_unsubscribe", "add List-Unsubscribe and List-Unsubscribe-Post to the DKIM signer's signed headers"},
	{"mailing.unsubscribe_link", "put a visible unsubscribe link in every campaign's body (template footer)"},
	{"mailing.sender_identification", "name the sender (company, address) in every campaign's footer"},
	{"retention.job.ran", "check why the retention job did not run (timer/cron enabled, its log) and run it"},
	{"retention.job.succeeded", "read the job's last failure in its log, fix it and run the job again"},
	{"retention.rows_overdue", "delete or anonymise the records past their retention date (run the retention job)"},
	{"selftest.ok", "read the collector's log for this run: the probe child failed to start or to report"},
	{"transfer.unregistered_endpoint", "add a register entry (recipient, country, mechanism) covering the endpoint, or stop using it"},
	{"transfer.invalid_mechanism", "set a valid mechanism for the country (adequacy, dpf, scc, bcr or art49) in the register entry"},
	{"transfer.dpf_unchecked", "check the recipient's Data Privacy Framework listing and update dpf_checked"},
	{"transfer.tia_missing", "carry out a transfer impact assessment and record its date in tia_date"},
	{"transfer.review_overdue", "review the entry and set a future next_review date"},
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
