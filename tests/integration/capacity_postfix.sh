#!/bin/bash
# The capacity probe against a real Postfix queue: a private Postfix
# (tests/lib/postfix.sh, smtpd on 127.0.0.1:12925, remote delivery deferred
# by defer_transports) receives three messages through sendmail; the probe
# reads `postqueue -j` confined and reports counts and age (never senders
# or recipients). max-queue 2 fails, 10 passes; two days later (test
# clock) the oldest message fails max-queue-age. Also the file-system
# checks on real mounts. Run under flock /tmp/annexa-servers.lock.
. "$ANNEXA_SRC/tests/lib/common.sh"
PORT=12925
command -v postfix >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run postfix"; exit 77; }
chmod 755 "$T"
. "$ANNEXA_SRC/tests/lib/postfix.sh"
B="$T/b"
pf_init "$B" "$PORT"
pf_main ">=TLSv1.2" "defer_transports = smtp
relayhost = [192.0.2.1]:25"
add_cleanup pf_stop
pf_start || { fail "postfix did not start on $PORT"; tail -5 "$B/pf/maillog" >&2; done_tests; exit 1; }
for i in 1 2 3; do
	printf 'Subject: queued %s\n\nbody\n' "$i" | sendmail -C "$PF_DIR" -f sender@example.org "rcpt$i@example.net" ||
		fail "sendmail $i"
done
queued() { [ "$(postqueue -c "$PF_DIR" -j | grep -c '"queue_name": *"deferred"')" -ge 3 ]; }
wait_for 60 queued || { fail "the messages did not reach the deferred queue"; postqueue -c "$PF_DIR" -p >&2; }

cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	state-dir = state
[probe "small"]
	type = capacity
	postfix-config-dir = b/pf/etc
	max-queue = 2
	mount = /
	mount = $T
	max-used = 100
	max-inodes-used = 100
[probe "big"]
	type = capacity
	postfix-config-dir = b/pf/etc
	max-queue = 10
	max-used = 1
CONF
collect_json 1 "$T/now.json"
expect_json_status "$T/now.json" small capacity.mail_queue fail "3 messages queued (max-queue 2)"
expect_json_status "$T/now.json" big capacity.mail_queue pass
expect_json_status "$T/now.json" small capacity.disk pass
expect_json_status "$T/now.json" big capacity.disk fail # max-used 1
expect_json_status "$T/now.json" small capacity.trend skip # after one sample
# nothing personal in the evidence: no address reaches the store
n=$(sqlite3 "$T/annexa.db" "select count(*) from result_values where cast(value as text) like '%example.net%'" 2>/dev/null || echo 0)
m=$(sqlite3 "$T/annexa.db" ".dump" | grep -c 'example\.net\|sender@example' || true)
[ "$m" = 0 ] && ok || fail "an address of the queue reached the store"
# two days later the oldest message is too old
ANNEXA_NOW=$(( $(date +%s) + 2 * 86400 )) collect_json 1 "$T/later.json"
later=$(json_result "$T/later.json" big capacity.mail_queue message)
case "$later" in *"the oldest queued message is 4"[0-9]" hours old"*) ok ;; *) fail "later: $later" ;; esac
done_tests
