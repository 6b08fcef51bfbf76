#!/bin/bash
# The real daemon: runs on schedule, survives a broken config on SIGHUP
# (keeps the old one), applies a good one, exits cleanly on SIGTERM.
. "$ANNEXA_SRC/tests/lib/common.sh"
echo data > "$T/a.txt"
cat > "$T/annexa.conf" <<'EOF2'
[annexa]
	store = annexa.db
[probe "a"]
	type = file
	path = a.txt
	interval = 1s
EOF2
"$ANNEXA" -c "$T/annexa.conf" daemon --foreground 2>"$T/daemon.log" &
pid=$!
stop_daemon() { kill -9 "$pid" 2>/dev/null; }
add_cleanup stop_daemon
sleep 3.5
runs=$(sqlite3 "$T/annexa.db" "select count(*) from runs"); ok
[ "$runs" -ge 2 ] || fail "daemon made $runs runs in 3.5 s at a 1 s interval"
cp "$T/annexa.conf" "$T/good.conf"
printf '[probe "b"]\n\ttype = nosuch\n' >> "$T/annexa.conf"
kill -HUP "$pid"; sleep 1.5
ok; kill -0 "$pid" 2>/dev/null || fail "daemon died on a broken config"
ok; grep -q "reload refused" "$T/daemon.log" || fail "no 'reload refused' in the log"
before=$(sqlite3 "$T/annexa.db" "select count(*) from runs")
sleep 2
after=$(sqlite3 "$T/annexa.db" "select count(*) from runs"); ok
[ "$after" -gt "$before" ] || fail "daemon stopped collecting after a refused reload"
cp "$T/good.conf" "$T/annexa.conf"
printf '[probe "b"]\n\ttype = file\n\tpath = a.txt\n\tinterval = 1s\n' >> "$T/annexa.conf"
kill -HUP "$pid"; sleep 2.5
ok; grep -q "reloaded: 2 probe instances" "$T/daemon.log" || fail "good config not applied"
nb=$(sqlite3 "$T/annexa.db" "select count(*) from results where instance = 'b'"); ok
[ "$nb" -ge 1 ] || fail "instance b never ran after the reload"
t0=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok; [ "$rc" = 0 ] || fail "daemon exit code $rc after SIGTERM"
ok; [ "$ms" -lt 5000 ] || fail "daemon took $ms ms to stop"
echo "stopped in $ms ms"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
expect_rc 0 sqlite3 "$T/annexa.db" "pragma integrity_check"
expect_out ok
done_tests
