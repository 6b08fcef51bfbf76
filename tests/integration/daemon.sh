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
# A stand-in for systemd's notify socket (Type=notify): records datagrams.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "w") as out:
    while True:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(m.replace("\n", " ") + "\n")
        out.flush()
        if "STOPPING=1" in m:
            break
' "$T/notify.sock" "$T/notify.log" &
npid=$!
stop_listener() { kill "$npid" 2>/dev/null; }
add_cleanup stop_listener
wait_for 30 test -S "$T/notify.sock" || fail "the notify listener did not start"
NOTIFY_SOCKET="$T/notify.sock" start_daemon "$T/annexa.conf"
# Conditions are polled with generous deadlines, never slept for: a busy
# machine may take many times longer than an idle one.
runs() { sqlite3 "$T/annexa.db" "select count(*) from runs" 2>/dev/null || echo 0; }
ok; wait_until 60 '[ "$(runs)" -ge 2 ]' || fail "daemon made $(runs) runs in 60 s at a 1 s interval"
# status says in words that the daemon runs (the kernel's lock table names
# its process) and keeps its schedule (a 1 s interval: the next run is due
# within the minute of grace)
"$ANNEXA" -c "$T/annexa.conf" status >"$T/out" 2>&1
expect_out "daemon: running (pid $pid); last run 20"
"$ANNEXA" -c "$T/annexa.conf" status --json >"$T/status.json" 2>&1
ok; [ "$(jsonq "$T/status.json" "(d['daemon']['running'], d['daemon']['pid'])")" = "(True, $pid)" ] ||
	fail "status --json does not say the daemon runs: $(jsonq "$T/status.json" "d.get('daemon')")"
cp "$T/annexa.conf" "$T/good.conf"
printf '[probe "b"]\n\ttype = nosuch\n' >> "$T/annexa.conf"
kill -HUP "$pid"
ok; wait_for 60 grep -q "reload refused" "$T/daemon.log" || fail "no 'reload refused' in the log"
ok; kill -0 "$pid" 2>/dev/null || fail "daemon died on a broken config"
before=$(runs)
ok; wait_until 60 '[ "$(runs)" -gt "$before" ]' || fail "daemon stopped collecting after a refused reload"
cp "$T/good.conf" "$T/annexa.conf"
printf '[probe "b"]\n\ttype = file\n\tpath = a.txt\n\tinterval = 1s\n' >> "$T/annexa.conf"
kill -HUP "$pid"
ok; wait_for 60 grep -q "reloaded: 2 probe instances" "$T/daemon.log" || fail "good config not applied"
nb() { sqlite3 "$T/annexa.db" "select count(*) from results where instance = 'b'" 2>/dev/null || echo 0; }
ok; wait_until 60 '[ "$(nb)" -ge 1 ]' || fail "instance b never ran after the reload"
t0=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok; [ "$rc" = 0 ] || fail "daemon exit code $rc after SIGTERM"
ok; [ "$ms" -lt 20000 ] || fail "daemon took $ms ms to stop"
echo "stopped in $ms ms"
# systemd saw READY at start, RELOADING/READY around each reload, STOPPING at the end.
wait "$npid" 2>/dev/null
cat "$T/notify.log"
ok; [ "$(head -1 "$T/notify.log")" = "READY=1 STATUS=collecting" ] || fail "first notification is not READY=1"
ok; grep -q "^RELOADING=1" "$T/notify.log" || fail "no RELOADING=1 on SIGHUP"
ok; grep -q "STATUS=reload refused" "$T/notify.log" || fail "the refused reload was not reported"
ok; [ "$(tail -1 "$T/notify.log")" = "STOPPING=1" ] || fail "last notification is not STOPPING=1"
# One log line per instance run, with its counts; no line per check.
ok; grep -Eq 'run [0-9]+: probe a, [0-9]+ results \([0-9]+ pass, [0-9]+ fail, [0-9]+ error, [0-9]+ skip\) in [0-9]+ ms' \
	"$T/daemon.log" || fail "no per-run line with counts: $(head -5 "$T/daemon.log")"
ok; ! grep -Eq 'probe [ab]: file\.' "$T/daemon.log" || fail "the daemon logs single checks: $(grep -m2 'probe [ab]: file\.' "$T/daemon.log")"
# stopped: status says it does not run, whatever the schedule says
"$ANNEXA" -c "$T/annexa.conf" status >"$T/out" 2>&1
expect_out "daemon: not running; last run 20"
"$ANNEXA" -c "$T/annexa.conf" status --json >"$T/status.json" 2>&1
ok; [ "$(jsonq "$T/status.json" "(d['daemon']['running'], d['daemon']['pid'])")" = "(False, None)" ] ||
	fail "status --json says a stopped daemon runs: $(jsonq "$T/status.json" "d.get('daemon')")"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
expect_rc 0 sqlite3 "$T/annexa.db" "pragma integrity_check"
expect_out ok

# A symbolic link planted at the lock path is refused, and what it names
# is neither created nor touched; so is a FIFO. (timeout: annexa before
# this check took the lock through the link and ran on.)
rm -f "$T/annexa.db.lock"
ln -s "$T/victim" "$T/annexa.db.lock"
expect_rc 3 timeout 30 "$ANNEXA" -c "$T/annexa.conf" daemon --foreground
expect_out "annexa.db.lock: is a symbolic link; refusing it"
ok; [ ! -e "$T/victim" ] || fail "the daemon created the file the planted link names"
echo keep >"$T/victim"
expect_rc 3 timeout 30 "$ANNEXA" -c "$T/annexa.conf" daemon --foreground
ok; [ "$(cat "$T/victim")" = keep ] || fail "the daemon changed the file the planted link names"
rm -f "$T/annexa.db.lock" && mkfifo "$T/annexa.db.lock"
expect_rc 3 timeout 30 "$ANNEXA" -c "$T/annexa.conf" daemon --foreground
expect_out "not a regular file"
done_tests
