#!/bin/bash
# logs_real_servers.sh - the accesslog probe on the log a real Dovecot
# writes (IMAPS on 127.0.0.1:12693, IMAP on 127.0.0.1/127.0.0.2:12643): a TLS login, a
# plaintext login over IMAP without STARTTLS, and failed logins; the probe
# runs through the real binary and must count exactly those.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v dovecot >/dev/null || { echo "SKIP: dovecot not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run dovecot"; exit 77; }
chmod 755 "$T"
B="$T/b"
mkdir -p "$B/tls" "$B/dc/run" "$B/dc/state" "$B/dc/mail"
chown nobody:nogroup "$B/dc/mail"
printf 'alice:{PLAIN}s3cret\nroot:{PLAIN}t0psecret\n' > "$B/dc/users"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$B/tls/key.pem" -out "$B/tls/cert.pem" 2>/dev/null
cat > "$B/dc/dovecot.conf" <<EOC
protocols = imap
listen = 127.0.0.1, 127.0.0.2
base_dir = $B/dc/run
state_dir = $B/dc/state
log_path = $B/dc/dovecot.log
auth_verbose = yes
auth_failure_delay = 0
ssl = yes
ssl_cert = <$B/tls/cert.pem
ssl_key = <$B/tls/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
mail_location = maildir:$B/dc/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN $B/dc/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$B/dc/mail/%u
}
service imap-login {
  inet_listener imap {
    port = 12643
  }
  inet_listener imaps {
    port = 12693
    ssl = yes
  }
}
EOC
dc_stop() {
	local p
	p=$(cat "$B/dc/run/master.pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	wait_for 60 gone "$p" # its ports are free for the next test
}
add_cleanup dc_stop
dovecot -c "$B/dc/dovecot.conf" || { fail "dovecot did not start"; done_tests; exit 1; }
wait_for 60 port_open 12693 || fail "dovecot not listening"

# one login over TLS, one root login over plain IMAP (to 127.0.0.2: Dovecot
# calls a loopback login to the same address "secured"), three failed logins
curl -sS -k -u alice:s3cret imaps://127.0.0.1:12693/ >/dev/null || fail "TLS login failed"
curl -sS -u root:t0psecret imap://127.0.0.2:12643/ >/dev/null || fail "plain login failed"
for _ in 1 2 3; do curl -sS -k -u alice:wrong imaps://127.0.0.1:12693/ >/dev/null 2>&1; done
# imap-login writes its lines as the connections close: wait for all five
logged() { [ "$(grep -c "Login: " "$B/dc/dovecot.log")" -ge 2 ] && [ "$(grep -c "auth failed" "$B/dc/dovecot.log")" -ge 3 ]; }
wait_for 60 logged || fail "dovecot did not log the five logins"

chmod 600 "$B/dc/dovecot.log"

cat > "$T/annexa.conf" <<EOF
[annexa]
	store = annexa.db
[probe "imap-log"]
	type = accesslog
	format = dovecot
	path = $B/dc/dovecot.log
	min-retention = 1s
	max-failures = 2
EOF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --json
cp "$T/out" "$T/collect.json"
result() { jsonq "$T/collect.json" "next(r['status'] + ' ' + r['message'] for r in d['results'] if r['check'] == '$1')"; }
expect_result() {
	got=$(result "$1"); ok
	[ "$got" = "$2" ] || { fail "$1: '$got', expected '$2'"; grep -E 'login|auth' "$B/dc/dovecot.log" | sed 's/^/    | /' | head -20 >&2; }
}
expect_result log.present "pass 1 log file(s) read"
ok; result log.fresh | grep -q '^pass newest entry ' || fail "log.fresh: $(result log.fresh)"
expect_result log.permissions "pass no log file readable or writable by others (of 1)"
expect_result log.auth_failures "fail 1 source(s) exceeded 2 failed logins in 10m (worst: 127.0.0.1 with 3)"
expect_result log.privileged_logins "info 1 privileged login(s) by 1 account(s) of 2 login(s), listed for review"
expect_result log.cleartext_auth "fail 1 of 2 login(s) without TLS"
# the names and passwords never reach the store
for s in alice s3cret t0psecret wrong; do
	ok; ! grep -qaw "$s" "$T/annexa.db" "$T/annexa.db-wal" 2>/dev/null || fail "'$s' in the store"
done
done_tests
