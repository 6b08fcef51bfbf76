#!/bin/bash
# Evidence integrity (issue 12), each attack built with the sqlite3 CLI on
# a real store: hiding runs by pruning them, dating a run back in time,
# cutting runs off the end and rewriting a run with the whole chain
# rehashed, exporting a broken store; and the daemon on a fresh site.
# `ledger verify` finds what a hash chain can; `ledger verify --anchors`
# (bundles, locker commits, the state folder's anchors.jsonl) the rest.
OWN_CLOCK_CHECK=1 # only the time section needs the test clock
. "$ANNEXA_SRC/tests/lib/common.sh"
cd "$T" || exit 1
mkdir -p etc
echo ok > etc/app.conf
cat > annexa.conf <<EOF
[annexa]
	store = db/annexa.db
	state-dir = state
	interval = 1h
[locker]
	path = locker.git
	name = site1
[probe "app"]
	type = file
	path = etc/app.conf
	contains = ^ok
	attach = true
EOF
C="$T/annexa.conf"

# --- the daemon on a fresh site: the store folder does not exist yet
NOTIFY_SOCKET= start_daemon "$C"
for _ in $(seq 1 300); do # up to 30 s: "started" is logged once it handles signals
	grep -q "started:" daemon.log && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
ok; kill -0 "$pid" 2>/dev/null || { fail "daemon died on a fresh site"; sed 's/^/    | /' daemon.log >&2; }
ok; [ "$(stat -c %a db)" = 700 ] || fail "store folder mode $(stat -c %a db), want 700"
kill -TERM "$pid"; wait "$pid"; rc=$?
ok; [ "$rc" = 0 ] || fail "daemon exit $rc after SIGTERM"
ok; ! grep -q "No such file or directory" daemon.log || fail "daemon: $(cat daemon.log)"

# --- a history: two passing runs, then a failing one
expect_rc 0 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" collect
echo bad > etc/app.conf
expect_rc 1 "$ANNEXA" -c "$C" collect
expect_rc 1 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" ledger verify
expect_out "ledger OK: 4 runs chained, 4 content hashes recomputed"
expect_rc 0 "$ANNEXA" -c "$C" keygen
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b4.zip"
# a test build marks what it signs
ok; unzip -p b4.zip manifest.json | grep -q "\"version\": \"[0-9.]*$([ "$TEST_CLOCK" = 1 ] && echo '+test-clock')\"" ||
	fail "manifest version: $(unzip -p b4.zip manifest.json | grep '"version"')"
# every locker commit and the bundle are anchors of the state folder
ok; [ "$(grep -c '"kind":"locker"' state/anchors.jsonl)" = 4 ] || fail "want 4 locker anchors: $(cat state/anchors.jsonl)"
ok; grep -q "\"bundle\":\"$T/b4.zip\".*\"run\":4" state/anchors.jsonl || fail "no bundle anchor of run 4"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify --anchors
expect_out "anchors OK: 5 anchors match the store; newest: run 4"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify --anchors "$T/b4.zip" --anchors locker.git --json
expect_out '"anchors":5'
cp db/annexa.db pristine.db
restore() { cp pristine.db db/annexa.db && rm -f db/annexa.db-wal db/annexa.db-shm; }

# --- hiding by pruning: the failing runs marked pruned, their rows deleted
# (the triggers allow it); the status would go back to pass
expect_rc 0 sqlite3 db/annexa.db "UPDATE runs SET pruned = 1 WHERE id >= 3;
	DELETE FROM result_rows WHERE run_id >= 3; DELETE FROM artifact_links WHERE run_id >= 3;"
expect_rc 1 "$ANNEXA" -c "$C" ledger verify
expect_out "ledger broken at run 3: it is pruned, but no prune run lists it"
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --json
expect_out '"first_broken_run": 3'
# --- export of a broken store is refused, naming the first broken run
expect_rc 1 "$ANNEXA" -c "$C" export -o "$T/hidden.zip"
expect_out "refused"
expect_out "run 3"
ok; [ ! -e "$T/hidden.zip" ] || fail "a bundle of a broken store was written"

# --- time: a clock nine months back does not date a run (test clock build)
restore
echo ok > etc/app.conf
if [ "$TEST_CLOCK" = 1 ]; then
	ANNEXA_NOW=$(($(date +%s) - 270 * 86400)) expect_rc 3 "$ANNEXA" -c "$C" collect
	expect_out "the clock went back"
else # a release build ignores the variable: the run is dated now
	ANNEXA_NOW=$(($(date +%s) - 270 * 86400)) expect_rc 0 "$ANNEXA" -c "$C" collect
	expect_out "ANNEXA_NOW ignored"
fi
expect_rc 0 "$ANNEXA" -c "$C" ledger verify
# ... and a run dated back with the chain rehashed is found by the walk
cp db/annexa.db back.db
python3 "$ANNEXA_SRC/tests/lib/rehash.py" back.db "UPDATE runs SET started_at = started_at - 23328000,
	finished_at = finished_at - 23328000 WHERE id = 4" >/dev/null || fail "rehash.py"
sed 's|store = db/annexa.db|store = back.db|' annexa.conf > back.conf
expect_rc 1 "$ANNEXA" -c "$T/back.conf" ledger verify
expect_out "ledger broken at run 4: it finished before the run before it"

# --- tail truncation: the last runs deleted (trigger dropped first)
restore
expect_rc 0 sqlite3 db/annexa.db "DROP TRIGGER runs_no_delete; DROP TRIGGER result_rows_delete_pruned_only;
	DROP TRIGGER artifact_links_delete_pruned_only; DELETE FROM result_rows WHERE run_id >= 3; DELETE FROM artifact_links WHERE run_id >= 3;
	DELETE FROM runs WHERE id >= 3;"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify # a chain alone cannot see it
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors
expect_out "the store ends at run 2, but"
expect_out "runs were cut off the end"
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors "$T/b4.zip"
expect_out "bundle $T/b4.zip"
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors locker.git
expect_out "locker commit"
expect_rc 1 "$ANNEXA" -c "$C" export -o "$T/short.zip"
expect_out "runs were cut off the end"
# the daemon's own check at start names the anchor
NOTIFY_SOCKET= start_daemon "$C" "$T/daemon2.log"
for _ in $(seq 1 300); do grep -q "anchors check" daemon2.log && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid"
ok; grep -q "ledger anchors check FAILED: the store ends at run 2" daemon2.log ||
	{ fail "daemon did not report the cut-off runs"; sed 's/^/    | /' daemon2.log >&2; }

# --- rewriting: run 3's failing result made a pass, the chain rehashed
restore
python3 "$ANNEXA_SRC/tests/lib/rehash.py" db/annexa.db "UPDATE result_values SET status = 'pass'
	WHERE status = 'fail' AND id IN (SELECT value_id FROM result_rows WHERE run_id = 3)" >/dev/null || fail "rehash.py"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify # consistent: only anchors see it
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors
expect_out "run 3 has hash"
expect_out "the ledger was rewritten"
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors "$T/b4.zip"
expect_out "bundle $T/b4.zip"

# --- an anchors file that is not one, a forged bundle: refused
restore
echo "not json" > bogus.jsonl
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors bogus.jsonl
expect_out "line 1: not an anchor"
# a bundle whose ledger.json names another head: its signature no longer holds
python3 - <<'PY' || fail "forging the bundle"
import zipfile
with zipfile.ZipFile("b4.zip") as src, zipfile.ZipFile("forged.zip", "w") as dst:
    for i in src.infolist():
        data = src.read(i.filename)
        if i.filename == "ledger.json":
            data = data.replace(b'"id": 4', b'"id": 2')
        dst.writestr(i, data)
PY
expect_rc 1 "$ANNEXA" -c "$C" ledger verify --anchors forged.zip
expect_out "ledger.json has been changed"

# --- a legitimate prune: the daemon with keep = 1s records prune runs that
# list what they pruned; ledger verify and verify report those runs as a
# finding (content unverifiable), and the bundle verifies
cat > keep.conf <<EOF
[annexa]
	store = k/annexa.db
	state-dir = kstate
	keep = 1s
[probe "app"]
	type = file
	path = etc/app.conf
	interval = 1s
EOF
NOTIFY_SOCKET= start_daemon "$T/keep.conf" "$T/daemon3.log"
for _ in $(seq 1 600); do # up to 60 s
	[ "$(sqlite3 k/annexa.db "SELECT count(*) FROM runs WHERE kind = 'prune'" 2>/dev/null)" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
kill -TERM "$pid"; wait "$pid"
prunes=$(sqlite3 k/annexa.db "SELECT count(*) FROM runs WHERE kind = 'prune'")
ok; [ "$prunes" -ge 2 ] || { fail "want 2 prune runs, got $prunes"; sed 's/^/    | /' daemon3.log >&2; }
ok; grep -q "pruned the results of" daemon3.log || fail "daemon did not log its prune"
expect_rc 0 "$ANNEXA" -c "$T/keep.conf" ledger verify
expect_out "finding: "
expect_out "listed by prune runs"
expect_rc 0 sqlite3 k/annexa.db "SELECT observed FROM results WHERE check_id = 'ledger.prune' LIMIT 1"
expect_out '{"before":'
expect_rc 0 "$ANNEXA" -c "$T/keep.conf" keygen
expect_rc 0 "$ANNEXA" -c "$T/keep.conf" export -o "$T/k.zip"
expect_rc 0 "$ANNEXA" verify "$T/k.zip"
expect_out "listed by a prune run of the"
# the newest collect run pruned by hand: no prune run lists it
last=$(sqlite3 k/annexa.db "SELECT max(id) FROM runs WHERE kind = 'collect'")
expect_rc 0 sqlite3 k/annexa.db "UPDATE runs SET pruned = 1 WHERE id = $last;
	DELETE FROM result_rows WHERE run_id = $last; DELETE FROM artifact_links WHERE run_id = $last;"
expect_rc 1 "$ANNEXA" -c "$T/keep.conf" ledger verify
expect_out "ledger broken at run $last: it is pruned, but no prune run lists it"

done_tests
