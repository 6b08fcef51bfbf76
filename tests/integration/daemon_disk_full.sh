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
"$ANNEXA" -c "$T/annexa.conf" daemon --foreground 2>"$T/daemon.log" &
pid=$!
stop_daemon() { kill -9 "$pid" 2>/dev/null; }
add_cleanup stop_daemon
# Each run stores a new 400 KB artifact (the file changes every second),
# so the 2 MB file system fills within a few runs.
for i in $(seq 1 12); do
	head -c 300k /dev/urandom | base64 > "$T/big.txt"
	sleep 1
done
ok; kill -0 "$pid" 2>/dev/null || fail "daemon died when the disk filled up"
ok; grep -q "nothing committed" "$T/daemon.log" || fail "no failed run logged"
grep -m1 "nothing committed" "$T/daemon.log"
expect_rc 0 sqlite3 "$T/small/annexa.db" "pragma integrity_check"
expect_out ok
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
before=$(sqlite3 "$T/small/annexa.db" "select count(*) from runs")
# Space returns: the file system grows.
mount -o remount,size=64m "$T/small"
sleep 6
after=$(sqlite3 "$T/small/annexa.db" "select count(*) from runs")
echo "runs: $before while full, $after after space returned"
ok; [ "$after" -gt "$before" ] || fail "daemon did not recover when space returned"
kill -TERM "$pid"; wait "$pid"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
done_tests
