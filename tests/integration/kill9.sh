#!/bin/bash
# kill -9 of `annexa collect` at random moments never leaves a half-written
# run: the store passes PRAGMA integrity_check, the ledger verifies, and
# every run the ledger lists has all of its results.
. "$ANNEXA_SRC/tests/lib/common.sh"
mkdir -p "$T/files"
for i in $(seq 1 200); do echo "line $i password=hunter$i" > "$T/files/f$i.conf"; done
{
	echo "[annexa]"
	echo "	store = annexa.db"
	for p in 1 2 3 4; do
		echo "[probe \"p$p\"]"
		echo "	type = file"
		for i in $(seq 1 200); do echo "	path = files/f$i.conf"; done
		echo "	contains = ^line"
		echo "	attach = true"
	done
} > "$T/annexa.conf"
C="$T/annexa.conf"
expect_rc 0 "$ANNEXA" -c "$C" collect
per_run=$(sqlite3 "$T/annexa.db" "select count(*) from results")
killed=0
for i in $(seq 1 40); do
	"$ANNEXA" -c "$C" collect >/dev/null 2>&1 &
	pid=$!
	# 0 to ~120 ms: before, during and after the commit.
	sleep "0.$(printf '%03d' $((RANDOM % 120)))"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
done
echo "killed $killed of 40 runs"
expect_rc 0 sqlite3 "$T/annexa.db" "pragma integrity_check"
expect_out "ok"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify
runs=$(sqlite3 "$T/annexa.db" "select count(*) from runs")
partial=$(sqlite3 "$T/annexa.db" "select count(*) from (select run_id, count(*) n from results group by run_id) where n != $per_run")
ok; [ "$partial" = 0 ] || fail "$partial runs have a partial result set"
orphans=$(sqlite3 "$T/annexa.db" "select count(*) from results where run_id not in (select id from runs)")
ok; [ "$orphans" = 0 ] || fail "$orphans results without a run"
echo "$runs runs committed, $per_run results each"
# Collection still works afterwards and extends the chain.
expect_rc 0 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" ledger verify
done_tests
