#!/bin/bash
# The real daemon with short intervals and probes that crash, hang (with a
# grandchild), exhaust memory or CPU, or flood their pipe: the daemon keeps
# the schedule of the healthy instance, records every failure with its
# reason, backs off the broken ones, and the store stays consistent.
. "$ANNEXA_SRC/tests/lib/common.sh"
cat > "$T/annexa.conf" <<'EOF2'
[annexa]
	store = annexa.db
	metrics = metrics.prom
# selftest evidences no control; `controls =` ties two instances to one
# so that `status --control` shows their schedule below.
[probe "heartbeat"]
	type = selftest
	interval = 1s
	controls = A.8.16
[probe "crasher"]
	type = selftest
	behave = crash
	interval = 1s
	controls = A.8.16
[probe "hanger"]
	type = selftest
	behave = hang
	interval = 1s
	timeout = 2s
[probe "hog"]
	type = selftest
	behave = memory
	interval = 1s
	memory-limit = 64M
	timeout = 20s
[probe "spinner"]
	type = selftest
	behave = cpu
	interval = 1s
	cpu-limit = 1s
	timeout = 20s
[probe "flooder"]
	type = selftest
	behave = flood
	interval = 1s
	timeout = 20s
EOF2
start_daemon "$T/annexa.conf"
q() { sqlite3 "$T/annexa.db" "$1" 2>/dev/null; }
# the heartbeat's runs (selftest reports info, see below)
nbeats() { q "select count(*) from results where instance='heartbeat' and status='info'"; }
# Runs until every instance has shown its behaviour (a deadline, not a
# fixed sleep: on a busy machine the hog and the spinner take far longer).
seen_all() {
	local beats crashes
	beats=$(nbeats)
	crashes=$(q "select count(distinct run_id) from results where instance='crasher'")
	[ "${beats:-0}" -ge 3 ] && [ "${crashes:-0}" -lt "${beats:-0}" ] && grep -q "backing off" "$T/daemon.log" || return 1
	for inst in crasher hanger hog spinner flooder; do
		[ "$(q "select count(*) from results where instance='$inst' and status='error'")" -ge 1 ] 2>/dev/null || return 1
	done
}
t0=$SECONDS
ok; wait_for 180 seen_all || fail "not every instance showed its behaviour in 180 s"
# and the healthy instance keeps its schedule after that, with the broken
# ones backed off: three more beats
seen=$(nbeats)
ok; wait_until 60 '[ "$(nbeats)" -ge $((seen + 3)) ]' || fail "the heartbeat stopped after the failures: $(nbeats) runs"
ok; kill -0 "$pid" 2>/dev/null || fail "daemon died"
kill -TERM "$pid"; wait "$pid"; rc=$?
ok; [ "$rc" = 0 ] || fail "daemon exit code $rc"
# selftest.ok cannot fail with behave = pass: it reports info, never pass
beats=$(q "select count(*) from results where instance='heartbeat' and status='info'")
ok; [ "$(q "select count(*) from results where instance='heartbeat' and status='pass'")" = 0 ] ||
	fail "the heartbeat reported pass"
echo "heartbeat ran $beats times in $((SECONDS - t0)) s"
ok; [ "$beats" -ge 3 ] || fail "heartbeat ran only $beats times: the bad probes blocked the schedule"
for inst in crasher hanger hog spinner flooder; do
	n=$(q "select count(*) from results where instance='$inst' and status='error'")
	ok; [ "$n" -ge 1 ] || fail "$inst: no error recorded"
	p=$(q "select count(*) from results where instance='$inst' and status='pass'")
	ok; [ "$p" = 0 ] || fail "$inst: $p pass results"
done
msg() { q "select message from results where instance='$1' order by rowid desc limit 1"; }
echo "crasher: $(msg crasher)"; echo "hanger: $(msg hanger)"; echo "hog: $(msg hog)"
echo "spinner: $(msg spinner)"; echo "flooder: $(msg flooder)"
ok; msg crasher | grep -qi "signal 11\|crash" || fail "crasher's reason does not name the crash"
ok; msg hanger | grep -qi "timed out" || fail "hanger's reason does not name the timeout"
ok; msg hog | grep -qi "memory" || fail "hog's reason does not name the memory limit"
ok; msg spinner | grep -qi "cpu" || fail "spinner's reason does not name the CPU limit"
ok; msg flooder | grep -qi "output\|results\|bytes" || fail "flooder's reason does not name the flood"
# The hanging probe's grandchild is gone.
ok; ! pgrep -f "annexa -c $T/annexa.conf" >/dev/null || fail "leftover annexa processes: $(pgrep -af "annexa -c $T/annexa.conf")"
# Back-off: the broken instances ran fewer times than the heartbeat.
crashes=$(q "select count(distinct run_id) from results where instance='crasher'")
echo "crasher ran $crashes times (backed off)"
ok; [ "$crashes" -lt "$beats" ] || fail "crasher was not backed off ($crashes runs vs $beats heartbeats)"
ok; grep -Eq "backing off until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z" "$T/daemon.log" ||
	fail "no back-off logged with an RFC 3339 time: $(grep -m1 "backing off" "$T/daemon.log")"
# Metrics file in Prometheus text format.
ok; grep -q '^annexa_probe_errors{probe="crasher"} 1' "$T/metrics.prom" || fail "metrics lack crasher errors"
flood_bytes=$(q "select coalesce(sum(size),0) from artifacts"); ok
[ "$flood_bytes" -lt 1000000 ] || fail "the flood reached the store: $flood_bytes bytes of artifacts"
ok; grep -q '^annexa_control_status{control="A.8.16",status="fail"} 0' "$T/metrics.prom" || fail "metrics lack control status"
ok; grep -q '^annexa_control_status{control="A.8.16",status="partial"} [01]$' "$T/metrics.prom" || fail "metrics lack the partial status"
ok; grep -q '^annexa_controls{status="partial"} [0-9]' "$T/metrics.prom" || fail "metrics lack the count of partial controls"
# the store's size, for its growth (no confined probe can see the store)
ok; grep -q '^annexa_store_bytes [1-9][0-9]*$' "$T/metrics.prom" || fail "metrics lack the store's size"
# status shows the back-off and the next collection.
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --control A.8.16 --json
expect_out '"next_collection_due"'
expect_out '"backed_off": true'
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
expect_rc 0 sqlite3 "$T/annexa.db" "pragma integrity_check"
expect_out ok
done_tests
