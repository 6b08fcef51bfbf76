#!/bin/bash
# mail_dovecot.sh - a real Dovecot (IMAP STARTTLS on 127.0.0.1:12543, IMAPS
# on 12593), once strong (ssl = required, TLSv1.2+, no cleartext auth, key
# 0600) and once weak (ssl = yes, TLSv1 allowed, cleartext auth, key 0644),
# judged by the `dovecot` probe on its config and the `tls` probe over IMAP
# STARTTLS and IMAPS. Asserts exact check statuses and A.8.24 / A.8.5.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v dovecot >/dev/null || { echo "SKIP: dovecot not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run dovecot"; exit 77; }
chmod 755 "$T"
B="$T/b"
. "$ANNEXA_SRC/tests/lib/dovecot.sh"
dc_init "$B" 'alice:{PLAIN}s3cret'

# write_conf SSL MIN_PROTOCOL DISABLE_PLAINTEXT EXTRA
write_conf() {
	dc_conf 127.0.0.1 12543 12593 "ssl = $1
ssl_min_protocol = $2
disable_plaintext_auth = $3
$4"
}
cat > "$T/annexa.conf" <<EOF
[annexa]
	store = annexa.db
[probe "imap-starttls"]
	type = tls
	target = 127.0.0.1:12543
	starttls = imap
	servername = localhost
	ca-file = b/tls/cert.pem
[probe "imaps"]
	type = tls
	target = 127.0.0.1:12593
	servername = localhost
	ca-file = b/tls/cert.pem
[probe "dovecot"]
	type = dovecot
	config = b/dc/dovecot.conf
EOF
# st PROBE CHECK
st() { jsonq "$T/status.json" "next((c['status'] for ctl in d['controls'] for c in ctl['checks'] if c['check'] == '$2' and c.get('probe', c.get('instance')) == '$1'), 'missing')"; }
want() { got=$(st "$1" "$2"); ok; [ "$got" = "$3" ] || fail "$4: $1 $2 is $got, want $3"; }
ctl() { jsonq "$T/status.json" "next(c['status'] for c in d['controls'] if c['id'] == '$1')"; }

chmod 600 "$B/tls/key.pem"
write_conf required TLSv1.2 yes "ssl_cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20"
dc_start
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" collect
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
for p in imap-starttls imaps; do
	for c in tls.protocol.tls1_0 tls.protocol.tls1_1 tls.protocol.tls1_2 tls.cipher.weak tls.cert.expiry \
		tls.cert.key_size tls.cert.chain tls.cert.hostname; do want $p $c pass strong; done
done
want imap-starttls tls.starttls.offered pass strong
for c in dovecot.ssl.required dovecot.ssl.min_protocol dovecot.auth.cleartext dovecot.ssl.key_permissions; do
	want dovecot $c pass strong
done
ok; [ "$(ctl A.8.24)" = partial ] || fail "strong: A.8.24 is $(ctl A.8.24), want partial (checks pass, coverage needs open)"
ok; [ "$(ctl A.8.5)" = partial ] || fail "strong: A.8.5 is $(ctl A.8.5), want partial"

dc_stop
chmod 644 "$B/tls/key.pem"
write_conf yes TLSv1 no "ssl_cipher_list = DEFAULT:@SECLEVEL=0"
dc_start
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
for p in imap-starttls imaps; do
	for c in tls.protocol.tls1_0 tls.protocol.tls1_1 tls.cipher.weak; do want $p $c fail weak; done
	want $p tls.cert.chain pass weak
done
for c in dovecot.ssl.required dovecot.ssl.min_protocol dovecot.auth.cleartext dovecot.ssl.key_permissions; do
	want dovecot $c fail weak
done
ok; [ "$(ctl A.8.24)" = fail ] || fail "weak: A.8.24 is $(ctl A.8.24)"
ok; [ "$(ctl A.8.5)" = fail ] || fail "weak: A.8.5 is $(ctl A.8.5)"
done_tests
