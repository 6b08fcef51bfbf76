#!/bin/bash
# The store on a full file system: the run fails cleanly (nothing
# committed, logged), the daemon keeps running, and it recovers when space
# returns. Needs root for the tmpfs mount; skipped (exit 77) otherwise.
. "$ANNEXA_SRC/tests/lib/common.sh"
mkdir -p "$T/small"
if ! mount -t tmpfs -o size=2m tmpfs "$T/small" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs (not root?)"
	exit 77
fi
unmount() { umount -l "$T/small" 2>/dev/null; }
add_cleanup unmount
head -c 300k /dev/urandom | base64 > "$T/big.txt"
cat > "$T/annexa.conf" <<EOF2
[annexa]
	store = small/annexa.db
	state-dir = small/state
[probe "big"]
	type = file
	path = big.txt
	attach = true
	max-size = 1M
	interval = 1s
EOF2
start_daemon "$T/annexa.conf"
# Each run stores a new 400 KB artifact (the file changes every second),
# so the 2 MB file system fills within a few runs.
# Until a run fails for want of space (polled, up to 120 s: a busy machine
# runs fewer than one probe a second).
full() {
	head -c 300k /dev/urandom | base64 > "$T/big.txt" 2>/dev/null
	sleep 1 # the file changes once a second, as the probe's interval
	grep -q "nothing committed" "$T/daemon.log"
}
ok; wait_for 120 full || fail "no failed run logged"
ok; kill -0 "$pid" 2>/dev/null || fail "daemon died when the disk filled up"
grep -m1 "nothing committed" "$T/daemon.log"
expect_rc 0 sqlite3 "$T/small/annexa.db" "pragma integrity_check"
expect_out ok
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
before=$(sqlite3 "$T/small/annexa.db" "select count(*) from runs")
# Space returns: the file system grows.
mount -o remount,size=64m "$T/small"
nruns() { sqlite3 "$T/small/annexa.db" "select count(*) from runs" 2>/dev/null || echo 0; }
ok; wait_until 120 '[ "$(nruns)" -gt "$before" ]' || fail "daemon did not recover when space returned"
echo "runs: $before while full, $(nruns) after space returned"
kill -TERM "$pid"; wait "$pid"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
done_tests
