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
. "$ANNEXA_SRC/tests/lib/dovecot.sh"
dc_init "$B" "$(printf 'alice:{PLAIN}s3cret\nroot:{PLAIN}t0psecret')"
dc_conf "127.0.0.1, 127.0.0.2" 12643 12693 "auth_verbose = yes
auth_failure_delay = 0
# no auth penalty (anvil's socket closed, as Dovecot's documentation shows):
# it would hold each further attempt from 127.0.0.1 for 2, 4, 8 s
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
ssl = yes
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no"
dc_start || { done_tests; exit 1; }

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
