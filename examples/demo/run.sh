#!/bin/sh
# run.sh ANNEXA - the demo: builds the parts of the demo site that must be
# fresh (the lead database, the mail log, a database dump), collects from
# it, prints the control status, writes a signed bundle and the HTML
# report, and says where everything is. Runs from any folder.
set -u
annexa=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 1
here=$(pwd)
# git does not keep permissions: set the ones the demo's checks look at.
chmod 0600 site/etc/annexa/pseudonym.key
chmod 0644 site/var/log/mail.log
mkdir -p out state/log state/backups
chmod 0700 state

# The lead database, with times relative to today.
rm -f state/leads.db
sqlite3 state/leads.db < ../../tests/fixtures/leads/generic-schema.sql
sqlite3 state/leads.db < site/leads.sql
# the optional existing-customer part of the schema, and the customers
sqlite3 state/leads.db < ../../tests/fixtures/leads/generic-customer.sql
sqlite3 state/leads.db < site/customers.sql

# A mail log covering 100 days, written up to now, with a burst of failed
# SASL logins from one address (brute force that was not blocked).
stamp() { date -u -d "$1" '+%Y-%m-%dT%H:%M:%S.000000+00:00'; }
{
	echo "$(stamp '100 days ago') mx postfix/smtpd[100]: connect from mail.example.net[192.0.2.10]"
	echo "$(stamp '100 days ago') mx postfix/smtpd[100]: disconnect from mail.example.net[192.0.2.10] ehlo=2 starttls=1 quit=1 commands=4"
	i=0
	while [ $i -lt 25 ]; do
		echo "$(stamp "$((300 - i * 10)) seconds ago") mx postfix/smtpd[200]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
		i=$((i + 1))
	done
	echo "$(stamp '2 minutes ago') mx postfix/smtpd[300]: 4N3Kx20tG1z9rxL: client=office.example.com[198.51.100.5], sasl_method=PLAIN, sasl_username=anna"
	echo "$(stamp '1 minute ago') mx postfix/smtpd[300]: disconnect from office.example.com[198.51.100.5] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8"
} > state/log/mail.log
chmod 0640 state/log/mail.log

# Last night's dump of the lead database: restorable, but not encrypted.
rm -f state/backups/*
sqlite3 state/leads.db ".backup state/backups/leads-$(date -u +%Y%m%d).sqlite"

echo "== annexa collect (examples/demo/annexa.conf)"
"$annexa" -c annexa.conf collect
echo
echo "== annexa status"
"$annexa" -c annexa.conf status
rc=$?
echo
[ -f state/signing.key ] || "$annexa" -c annexa.conf keygen >/dev/null
"$annexa" -c annexa.conf export -o out/evidence.zip >/dev/null && echo "signed bundle: $here/out/evidence.zip"
"$annexa" -c annexa.conf verify out/evidence.zip >/dev/null && echo "               (verified: annexa verify out/evidence.zip; by hand: see README.txt inside)"
"$annexa" -c annexa.conf report -o out/report.html && echo "HTML report:   $here/out/report.html"
echo "status JSON:   $annexa -c $here/annexa.conf status --json"
echo "store:         $here/state/annexa.db"
# A demo that shows failing controls has done its job (exit 1 = findings).
[ "$rc" -le 1 ]
