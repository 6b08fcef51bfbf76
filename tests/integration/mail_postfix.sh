#!/bin/bash
# mail_postfix.sh - a real Postfix (private config, STARTTLS on
# 127.0.0.1:12525), once strong and once weak (TLSv1 allowed, a 1024-bit
# certificate expiring in 5 days, a world-readable key, VRFY on), judged by
# the `tls` probe over the wire and the `postfix` probe on its config.
# Asserts the exact check statuses and the status of A.8.24.
. "$ANNEXA_SRC/tests/lib/common.sh"
PORT=12525
command -v postfix >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run postfix"; exit 77; }

chmod 755 "$T" # postfix's own users must reach their data folder
. "$ANNEXA_SRC/tests/lib/postfix.sh"
B="$T/b"
pf_init "$B" "$PORT"
PF=$PF_DIR
add_cleanup pf_stop
start_postfix() {
	pf_start || { fail "postfix did not start on $PORT"; tail -5 "$B/pf/maillog" >&2; }
}

cat > "$T/annexa.conf" <<EOF
[annexa]
	store = annexa.db
[probe "mx-tls"]
	type = tls
	target = 127.0.0.1:$PORT
	starttls = smtp
	servername = localhost
	ca-file = b/tls/cert.pem
	timeout = 60s
[probe "mx-config"]
	type = postfix
	config-dir = b/pf/etc
EOF

# status_of CHECK: the status of the newest result of CHECK in status --json
status_of() {
	jsonq "$T/status.json" "next((c['status'] for ctl in d['controls'] for c in ctl['checks'] if c['check'] == '$1'), 'missing')"
}
control_of() {
	jsonq "$T/status.json" "next(c['status'] for c in d['controls'] if c['id'] == '$1')"
}
expect_status() {
	got=$(status_of "$1")
	ok; [ "$got" = "$2" ] || fail "$3: $1 is $got, want $2"
}

# --- strong ---
pf_cert 2048 365
pf_main ">=TLSv1.2" "disable_vrfy_command = yes
smtpd_tls_exclude_ciphers = aNULL, eNULL, CBC, SHA1, RSA, CAMELLIA, ARIA, AESCCM8, DHE, PSK, SRP"
start_postfix
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" collect
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
expect_status tls.protocol.tls1_3 info strong # recommended, not required: it cannot fail
for c in tls.starttls.offered tls.protocol.tls1_0 tls.protocol.tls1_1 tls.protocol.tls1_2 \
	tls.cipher.weak tls.cipher.order tls.kex.group tls.cert.expiry tls.cert.key_size tls.cert.signature \
	tls.cert.chain tls.cert.hostname \
	postfix.smtpd.tls_security_level postfix.smtp.tls_security_level postfix.smtpd.tls_auth_only \
	postfix.smtpd.tls_protocols postfix.smtpd.tls_mandatory_protocols postfix.smtpd.tls_mandatory_ciphers \
	postfix.tls.cert_files postfix.tls.key_permissions postfix.relay.restrictions postfix.relay.mynetworks \
	postfix.smtpd.disable_vrfy; do
	expect_status "$c" pass strong
done
ok; [ "$(control_of A.8.24)" = partial ] || fail "strong: A.8.24 is $(control_of A.8.24), want partial (checks pass, coverage needs open)"
ok; [ "$(control_of A.5.14)" = partial ] || fail "strong: A.5.14 is $(control_of A.5.14), want partial"

# --- weak: TLSv1 allowed, 1024-bit certificate expiring in 5 days, key 0644, VRFY on ---
pf_stop
pf_cert 1024 5
chmod 644 "$B/tls/key.pem"
pf_main ">=TLSv1" "tls_medium_cipherlist = DEFAULT:@SECLEVEL=0
tls_high_cipherlist = DEFAULT:@SECLEVEL=0"
start_postfix
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
for c in tls.protocol.tls1_0 tls.protocol.tls1_1 tls.cipher.weak tls.cert.expiry tls.cert.key_size \
	postfix.smtpd.tls_protocols postfix.smtpd.tls_mandatory_protocols postfix.tls.key_permissions \
	postfix.smtpd.disable_vrfy; do
	expect_status "$c" fail weak
done
for c in tls.starttls.offered tls.protocol.tls1_2 tls.cert.chain tls.cert.hostname postfix.smtpd.tls_security_level \
	postfix.relay.restrictions postfix.relay.mynetworks postfix.tls.cert_files; do
	expect_status "$c" pass weak
done
ok; [ "$(control_of A.8.24)" = fail ] || fail "weak: A.8.24 is $(control_of A.8.24), want fail"
msg=$(jsonq "$T/status.json" "next(c['message'] for ctl in d['controls'] for c in ctl['checks'] if c['check'] == 'tls.cert.key_size')")
ok; case "$msg" in *"RSA key of 1024 bits (minimum 2048)"*) ;; *) fail "key size message: $msg" ;; esac

# --- evidence: transcripts and the chain were stored, no key material ---
ok; n=$(sqlite3 "$T/annexa.db" "select count(distinct r.name) from run_artifacts r join artifacts a using (sha256)
	where r.name in ('handshakes.txt','chain.pem','tls-scan.json','postfix-effective.json') and a.size > 0")
[ "$n" = 4 ] || fail "stored evidence: $n of handshakes.txt, chain.pem, tls-scan.json, postfix-effective.json"
ok; sqlite3 "$T/annexa.db" "select a.data from run_artifacts r join artifacts a using (sha256)
	where r.name = 'handshakes.txt' order by r.run_id desc limit 1" | grep -q "^C: STARTTLS" ||
	fail "handshakes.txt lacks the STARTTLS exchange"
ok; ! grep -rq "PRIVATE KEY" "$T"/*.db 2>/dev/null || fail "a private key reached the store"

# --- the log this real Postfix wrote, read by the accesslog probe ---
cat > "$T/logs.conf" <<EOF
[annexa]
	store = logs.db
[probe "mx-log"]
	type = accesslog
	format = postfix
	path = b/pf/maillog
	min-retention = 1s
	max-silence = 1h
EOF
ok; grep -q "postfix/smtpd\[[0-9]*\]: connect from localhost" "$B/pf/maillog" || fail "the real maillog has no smtpd lines"
"$ANNEXA" -c "$T/logs.conf" collect > "$T/logs.out" 2>&1
"$ANNEXA" -c "$T/logs.conf" status --json > "$T/status.json"
expect_status log.present pass real-maillog
expect_status log.fresh pass real-maillog
expect_status log.retention pass real-maillog
expect_status log.auth_failures pass real-maillog
done_tests
