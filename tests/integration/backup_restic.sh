#!/bin/bash
# The restic probe against the real restic binary: a repository made here,
# snapshots with faked times (restic backup --time), a shrunken backup, a
# stale repository, a pack file with one flipped byte (found only by
# check --read-data), a missing repository; and the password never appears
# in the store, the output or the evidence.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v restic >/dev/null || { echo "restic not installed (TEST_PKGS)"; exit 1; }
PW="annexa-test-pw-$RANDOM$RANDOM-unguessable"
printf '%s\n' "$PW" > "$T/pw"
chmod 600 "$T/pw"
export RESTIC_PASSWORD_FILE="$T/pw" RESTIC_CACHE_DIR="$T/cache"
ago() { date -u -d "@$(( $(date +%s) - $1 ))" '+%Y-%m-%d %H:%M:%S'; }
mkdir -p "$T/data/big"
head -c 2000000 /dev/urandom > "$T/data/big/blob"
echo "lead export" > "$T/data/leads.csv"

# each restic command opens the key with the scrypt cost restic init
# calibrated (half a second of CPU): re-wrapped cheaply, the data untouched
# (the two repositories made at once: init calibrates for seconds)
newrepo() {
	RESTIC_REPOSITORY="$1" restic init -q >/dev/null &&
		python3 "$ANNEXA_SRC/tests/lib/restic_testkey.py" "$1" "$T/pw"
}
newrepo "$T/repo" & r1=$!
newrepo "$T/stale" & r2=$!
wait "$r1" || fail "restic init (repo)"
wait "$r2" || fail "restic init (stale)"
RESTIC_REPOSITORY="$T/repo" restic backup -q --host mx1 --time "$(ago 180000)" "$T/data" >/dev/null || fail "backup 1"
RESTIC_REPOSITORY="$T/repo" restic backup -q --host mx1 --time "$(ago 7200)" "$T/data" >/dev/null || fail "backup 2"
RESTIC_REPOSITORY="$T/stale" restic backup -q --host mx1 --time "$(ago 200000)" "$T/data" >/dev/null

cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	state-dir = state
[probe "backups"]
	type = restic
	repository = $T/repo
	password-file = pw
	host = mx1
	path = $T/data
	min-snapshots = 2
	min-span = 1d
	check = read-data
[probe "stale"]
	type = restic
	repository = $T/stale
	password-file = pw
	check = structure
	min-snapshots = 2
[probe "missing"]
	type = restic
	repository = $T/nosuch
	password-file = pw
CONF
C="$T/annexa.conf"

expect_rc 1 "$ANNEXA" -c "$C" collect
for c in backup.fresh backup.retention backup.integrity backup.encrypted backup.size_drop; do
	expect_status backups $c pass
done
expect_status stale backup.fresh fail
expect_status stale backup.retention fail
expect_status stale backup.integrity pass
expect_status stale backup.size_drop skip
for c in backup.fresh backup.integrity backup.encrypted; do expect_status missing $c error; done
ok; newest_message backups backup.encrypted | grep -q "is encrypted: a wrong password is refused" || fail "encrypted message"

# A backup that silently stopped covering the data.
rm -rf "$T/data/big"
RESTIC_REPOSITORY="$T/repo" restic backup -q --host mx1 --time "$(ago 3600)" "$T/data" >/dev/null || fail "backup 3"
expect_rc 1 "$ANNEXA" -c "$C" collect --probe backups
expect_status backups backup.size_drop fail
expect_status backups backup.fresh pass

# One flipped byte in the largest pack: only --read-data notices.
pack=$(find "$T/repo/data" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
python3 - "$pack" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0xff
open(p, 'wb').write(bytes(b))
PY
expect_rc 1 "$ANNEXA" -c "$C" collect --probe backups
expect_status backups backup.integrity fail
ok; newest_message backups backup.integrity | grep -q "Pack ID does not match\|repository contains errors" \
	|| fail "integrity message does not name the problem: $(newest_message backups backup.integrity)"

# The password is nowhere: store (results, artifacts), output, state folder.
"$ANNEXA" -c "$C" status --json > "$T/status.json" 2>&1
"$ANNEXA" -c "$C" collect --json > "$T/collect.json" 2>&1
for f in "$T/annexa.db" "$T/status.json" "$T/collect.json"; do
	ok; ! grep -qaF "$PW" "$f" || fail "password found in $f"
done
ok; ! grep -rqaF "$PW" "$T/state" || fail "password found in the state folder"
ok; [ -z "$(sqlite3 "$T/annexa.db" "select 1 from artifacts where instr(cast(data as text), '$PW') > 0")" ] || fail "password in an artifact"
# the snapshots population: every snapshot with this run's repository check
population_csv "$T/annexa.db" backups snapshots > "$T/snaps.csv"
ok; [ "$(head -1 "$T/snaps.csv")" = "item,time,host,matches,repository_check" ] || fail "snapshots header: $(head -1 "$T/snaps.csv")"
ok; [ "$(tail -n +2 "$T/snaps.csv" | wc -l)" -ge 1 ] || fail "snapshots population is empty"
done_tests
