#!/bin/bash
# The clock probe against real chronyd instances started here on loopback
# (NTP on port 12921, commands over UDP 12923/12924 - the way a confined
# chronyc reaches chronyd, see clock.c; -x: they never
# touch the machine's clock): a client synchronised to a local stratum-1
# server passes clock.sources with that server selected; a client whose
# server does not answer fails clock.sources and says chrony is not
# synchronised. The kernel's own state (adjtimex) is whatever this machine
# has; the test checks that the probe reports it as adjtimex says.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v chronyd >/dev/null || { echo "SKIP: chronyd not installed"; exit 77; }
D=$T/chrony
mkdir -p "$D"; chmod 0770 "$D"   # chronyd refuses a socket folder others can enter
cat > "$D/server.conf" <<CONF
port 12921
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 1
cmdport 0
bindcmdaddress /nonexistent/server.sock
pidfile $D/server.pid
CONF
cat > "$D/client.conf" <<CONF
server 127.0.0.1 port 12921 iburst minpoll -4 maxpoll -4
port 0
cmdport 12923
bindcmdaddress 127.0.0.1
pidfile $D/client.pid
CONF
cat > "$D/lost.conf" <<CONF
server 127.0.0.1 port 12922 iburst minpoll -4 maxpoll -4
port 0
cmdport 12924
bindcmdaddress 127.0.0.1
pidfile $D/lost.pid
CONF
stop_chrony() { for n in server client lost; do [ -f "$D/$n.pid" ] && kill "$(cat "$D/$n.pid")" 2>/dev/null; done; return 0; }
add_cleanup stop_chrony
for n in server client lost; do chronyd -x -u root -f "$D/$n.conf" -l "$D/$n.log" || fail "chronyd $n did not start"; done
synced() { chronyc -h 127.0.0.1 -p 12923 -c tracking | grep -q ',Normal$'; }
wait_for 60 synced || { fail "the private chronyd did not synchronise"; cat "$D/client.log" >&2; }

cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	state-dir = state
[probe "clk"]
	type = clock
	chrony-host = 127.0.0.1
	chrony-port = 12923
	max-offset = 1s
[probe "lost"]
	type = clock
	chrony-host = 127.0.0.1
	chrony-port = 12924
CONF
collect_json 1 "$T/run.json"
message() { json_result "$T/run.json" "$1" "$2" message; }
expect_json_status "$T/run.json" clk clock.sources pass
expect_json_status "$T/run.json" lost clock.sources fail
case "$(message lost clock.synchronised)" in *"chrony is not synchronised"*) ok ;; *) fail "lost: $(message lost clock.synchronised)" ;; esac
case "$(message clk clock.synchronised)" in *"chrony is not synchronised"*) fail "clk: chrony reported unsynchronised" ;; *) ok ;; esac
# the kernel's state as adjtimex reports it (python: the same read-only call)
kunsync=$(python3 -c 'import ctypes
class T(ctypes.Structure): _fields_=[("modes",ctypes.c_uint),("pad",ctypes.c_byte*204)]
t=T(); r=ctypes.CDLL(None).adjtimex(ctypes.byref(t)); st=int.from_bytes(bytes(t.pad)[4*11-4:4*11],"little")
print(1 if r==5 else 0)')
if [ "$kunsync" = 1 ]; then
	case "$(message clk clock.synchronised)" in *"kernel's clock is not synchronised"*) ok ;; *) fail "kernel unsynchronised here, probe says: $(message clk clock.synchronised)" ;; esac
	expect_json_status "$T/run.json" clk clock.offset fail # the kernel is not synchronised
else
	expect_json_status "$T/run.json" clk clock.synchronised pass
fi
# the probe ran confined and still read the clock (adjtimex allowed, read only)
"$ANNEXA" -c "$T/annexa.conf" status > "$T/out" 2>&1 # exit 1 when A.8.17 fails here
expect_out "sandbox "
expect_no_out "UNCONFINED"
done_tests
