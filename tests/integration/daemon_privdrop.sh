#!/bin/bash
# Started as root with [annexa] user = nobody, the daemon and its probes
# run as nobody (the probe reads its own /proc/self/status), the store is
# handed over, and root-only files are out of the probes' reach. The
# store's folder does not exist yet: the daemon creates it (0700) for the
# user it becomes.
. "$ANNEXA_SRC/tests/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 77; fi
chmod 0755 "$T"
echo secret > "$T/root-only.txt"; chmod 0600 "$T/root-only.txt"
cat > "$T/annexa.conf" <<'EOF2'
[annexa]
	store = var/annexa.db
	state-dir = var/state
	user = nobody
	group = adm
[probe "whoami"]
	type = file
	path = /proc/self/status
	contains = ^Uid:[[:space:]]+65534[[:space:]]
	contains = ^Groups:.*[[:space:]]4([[:space:]]|$)
	interval = 1s
[probe "rootfile"]
	type = file
	path = root-only.txt
	contains = secret
	interval = 1s
EOF2
start_daemon "$T/annexa.conf"
q() { sqlite3 "$T/var/annexa.db" "$1" 2>/dev/null; }
# both instances have run once (polled: a busy machine is slower than 2.5 s)
ran() { [ "$(q "select count(distinct instance) from results where check_id='file.content.present'")" = 2 ]; }
ok; wait_for 60 ran || fail "the probes did not run within 60 s"
ok; [ "$(stat -c %u "/proc/$pid")" = 65534 ] || fail "daemon runs as uid $(stat -c %u "/proc/$pid")"
kill -TERM "$pid"; wait "$pid"
cat "$T/daemon.log"
ok; [ "$(q "select status from results where instance='whoami' and check_id='file.content.present' order by rowid desc limit 1")" = pass ] \
	|| fail "probe did not run as nobody with group adm: $(q "select message from results where instance='whoami' and check_id='file.content.present' order by rowid desc limit 1")"
ok; [ "$(q "select status from results where instance='rootfile' and check_id='file.content.present' order by rowid desc limit 1")" = error ] \
	|| fail "probe could read a root-only file"
ok; [ "$(stat -c %U "$T/var/annexa.db")" = nobody ] || fail "store not handed to nobody"
ok; [ "$(stat -c '%U %a' "$T/var")" = "nobody 700" ] || fail "store folder is $(stat -c '%U %a' "$T/var")"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
done_tests
