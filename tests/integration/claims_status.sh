#!/bin/bash
# The README's claim that `status` asks the kernel's lock table whether
# the daemon runs, attacked with lock tables the kernel could print, put
# in front of the real binary with a bind mount in a private mount
# namespace (/proc/locks of this machine is untouched): a write lock on a
# file with the same inode number on another device is not the daemon's; a
# holder in another PID namespace (pid 0) still means running; the
# daemon's lock listed after 17 MiB of other locks is still found; a table
# that cannot be read is "cannot be told", never "not running".
. "$ANNEXA_SRC/tests/lib/common.sh"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null || ! command -v setpriv >/dev/null; then
	echo "SKIP: needs root, unshare -m (a private /proc/locks) and setpriv"
	exit 77
fi
file_site_conf "Status Claims" "interval = 1h"
cd "$T" || exit 1
expect_rc 0 "$ANNEXA" -c "$C" collect
lock="$T/state/annexa.db.lock"
: >"$lock"
ino=$(stat -c %i "$lock")
dev=$(printf '%02x:%02x' "$(stat -c %Hd "$lock")" "$(stat -c %Ld "$lock")")
other=$(printf '%02x:%02x' $(($(stat -c %Hd "$lock") + 1)) "$(stat -c %Ld "$lock")")
# status_with TABLE [ARGS]: status as seen with TABLE as /proc/locks
status_with() {
	local table=$1
	shift
	unshare -m sh -c 'mount --bind "$1" /proc/locks && shift && exec "$@"' sh "$table" \
		"$ANNEXA" -c "$C" status "$@" >"$T/out" 2>&1
}
daemon_json() { jsonq "$T/out" "(d['daemon']['running'], d['daemon']['pid'])"; }

# the real table first: nobody holds the lock
status_with /proc/locks --json
ok; [ "$(daemon_json)" = "(False, None)" ] || fail "no holder: $(daemon_json)"
# same inode number, another device; a blocked waiter; a POSIX lock
printf '1: FLOCK  ADVISORY  WRITE 4242 %s:%s 0 EOF\n2: -> FLOCK  ADVISORY  WRITE 4343 %s:%s 0 EOF\n3: POSIX  ADVISORY  WRITE 4444 %s:%s 0 EOF\n' \
	"$other" "$ino" "$dev" "$ino" "$dev" "$ino" >"$T/locks.other"
status_with "$T/locks.other" --json
ok; [ "$(daemon_json)" = "(False, None)" ] || fail "another device's inode $ino, a waiter or a POSIX lock taken for the daemon: $(daemon_json)"
status_with "$T/locks.other"
expect_out "daemon: not running (no schedule"
# the daemon's lock held from another PID namespace: running, no pid
printf '1: FLOCK  ADVISORY  WRITE 0 %s:%s 0 EOF\n' "$dev" "$ino" >"$T/locks.ns"
status_with "$T/locks.ns" --json
ok; [ "$(daemon_json)" = "(True, None)" ] || fail "holder in another PID namespace: $(daemon_json)"
status_with "$T/locks.ns"
expect_out "daemon: running; last run"
# a long table: the daemon's line after 17 MiB of other locks
python3 - "$T/locks.long" "$dev" "$ino" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(1, 330000):
        f.write('%d: POSIX  ADVISORY  WRITE %d fd:01:%d 0 EOF\n' % (i, 1000 + i % 30000, 5000000 + i))
    f.write('330000: FLOCK  ADVISORY  WRITE 4545 %s:%s 0 EOF\n' % (sys.argv[2], sys.argv[3]))
PY
ok; [ "$(stat -c %s "$T/locks.long")" -gt $((17 << 20)) ] || fail "the long table is shorter than 17 MiB"
status_with "$T/locks.long" --json
ok; [ "$(daemon_json)" = "(True, 4545)" ] || fail "the daemon's lock after 17 MiB of locks: $(daemon_json)"
# a lock table this process may not read (mode 000, without the
# capabilities that let root read anyway): cannot be told
: >"$T/locks.none" && chmod 000 "$T/locks.none"
unshare -m sh -c 'mount --bind "$1" /proc/locks && shift && exec setpriv --bounding-set=-dac_override,-dac_read_search "$@"' \
	sh "$T/locks.none" "$ANNEXA" -c "$C" status --json >"$T/out" 2>&1
ok; [ "$(daemon_json)" = "(None, None)" ] || fail "an unreadable /proc/locks: $(daemon_json)"
done_tests
