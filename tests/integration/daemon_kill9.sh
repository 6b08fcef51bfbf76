#!/bin/bash
# kill -9 of the real daemon at random moments, 50 times: after every
# restart the store passes PRAGMA integrity_check, `annexa ledger verify`
# passes, no committed run is missing (run ids stay contiguous, every run
# has its results) and collection resumes.
. "$ANNEXA_SRC/tests/lib/common.sh"
mkdir -p "$T/files"
for i in $(seq 1 50); do echo "setting$i = on" > "$T/files/f$i.conf"; done
{
	echo "[annexa]"
	echo "	store = annexa.db"
	for p in 1 2 3; do
		echo "[probe \"p$p\"]"
		echo "	type = file"
		for i in $(seq 1 50); do echo "	path = files/f$i.conf"; done
		echo "	contains = ^setting"
		echo "	attach = true"
		echo "	interval = 1s"
	done
	echo "[probe \"beat\"]"
	echo "	type = selftest"
	echo "	interval = 1s"
} > "$T/annexa.conf"
q() { sqlite3 "$T/annexa.db" "$1" 2>/dev/null; }
nruns() { q "select count(*) from runs" || echo 0; }
for i in $(seq 1 50); do
	"$ANNEXA" -c "$T/annexa.conf" daemon --foreground 2>>"$T/daemon.log" &
	pid=$!
	if [ $((i % 4)) = 0 ]; then
		# every fourth restart must get a run committed before the kill
		# (polled: a busy machine may need seconds, not the idle 0.2 s)
		before=$(nruns)
		wait_until 60 '[ "$(nruns)" -gt "$before" ]' || fail "restart $i: no run committed in 60 s"
	fi
	# the moment: within the first half second, where the daemon opens
	# its store after the last kill, runs the probes and commits (idle,
	# it waits for the next run, due 1 s after the last)
	sleep "0.$(printf '%03d' $((RANDOM % 500)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# workers die with their parent's group? they are their own groups:
	# kill what a killed daemon left behind, as systemd's KillMode would.
	pkill -9 -f "annexa -c $T/annexa.conf" 2>/dev/null
	wait_until 30 '! pgrep -f "annexa -c $T/annexa.conf" >/dev/null' || fail "restart $i: leftover processes"
done
runs=$(q "select count(*) from runs")
echo "$runs runs committed across 50 kill -9 restarts"
expect_rc 0 sqlite3 "$T/annexa.db" "pragma integrity_check"
expect_out ok
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
ok; [ "$runs" -ge 10 ] || fail "only $runs runs committed: collection does not resume after restarts"
gaps=$(q "select count(*) from runs r where id > 1 and not exists (select 1 from runs p where p.id = r.id - 1)")
ok; [ "$gaps" = 0 ] || fail "$gaps gaps in the run ids"
empty=$(q "select count(*) from runs r where not exists (select 1 from results x where x.run_id = r.id)")
ok; [ "$empty" = 0 ] || fail "$empty committed runs without results"
partial=$(q "select count(*) from (select run_id, instance, count(*) n from results where instance like 'p%' group by run_id, instance) where n != 7")
ok; [ "$partial" = 0 ] || fail "$partial runs with a partial result set"
# And it still runs normally.
"$ANNEXA" -c "$T/annexa.conf" daemon --foreground 2>>"$T/daemon.log" &
pid=$!
ok; wait_until 60 '[ "$(nruns)" -gt "$runs" ]' || fail "no new runs after the last restart"
kill -TERM "$pid"; wait "$pid"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
done_tests
