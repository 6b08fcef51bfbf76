#!/bin/bash
# tls_hostile.sh - the `tls` probe against peers that accept the connection
# but are no TLS server: silent, resetting, sending garbage, sending half a
# ServerHello then closing, trickling bytes past the handshake deadline, and
# closing at once. None of them can be measured, so every check is `error`
# with the reason: never a "refused TLS 1.0" pass, a "no TLS 1.2" fail or a
# cipher-order pass. A peer that answers every offer with a real TLS alert
# is the control: it does refuse, so its verdicts are pass/fail.
. "$ANNEXA_SRC/tests/lib/common.sh"
BASE=12560

cat > "$T/peers.py" <<'PY'
import socket, struct, sys, time
sys.path.insert(0, sys.argv[2])
from peers import serve_all
def after_hello(h):  # each handler first reads the ClientHello
    return lambda c: (c.recv(16384), h(c))
# a ServerHello's first bytes: record header, handshake header, version, part of the random
HALF_HELLO = b"\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03" + bytes(range(12))
def silent(c): time.sleep(60)
def reset(c): c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
def garbage(c): c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"); time.sleep(0.5)
def half_hello(c): c.sendall(HALF_HELLO); time.sleep(0.5)
def trickle(c):
    for b in HALF_HELLO * 4:
        c.sendall(bytes([b])); time.sleep(0.4)
def close_now(c): pass
def alert(c): c.sendall(b"\x15\x03\x01\x00\x02\x02\x46"); time.sleep(0.5)  # fatal protocol_version
serve_all(int(sys.argv[1]), [after_hello(h) for h in [silent, reset, garbage, half_hello, trickle, close_now, alert]])
PY
python3 -B "$T/peers.py" $BASE "$ANNEXA_SRC/tests/lib" > "$T/peers.out" 2>&1 &
PEERS=$!
stop_peers() { kill "$PEERS" 2>/dev/null; wait "$PEERS" 2>/dev/null; }
add_cleanup stop_peers
wait_for 60 grep -q ready "$T/peers.out" || { fail "scripted peers did not start"; done_tests; exit 1; }

NAMES="silent reset garbage halfhello trickle closenow alert"
{
	echo "[annexa]"
	echo "	store = annexa.db"
	i=0
	for name in $NAMES; do
		echo "[probe \"$name\"]"
		echo "	type = tls"
		echo "	target = 127.0.0.1:$((BASE + i))"
		# a short deadline only where the deadline is what is tested (silent,
		# trickle): the others must be judged on what they sent, however
		# slowly a busy machine lets them send it
		case $name in silent | trickle) echo "	handshake-timeout = 2s" ;; *) echo "	handshake-timeout = 60s" ;; esac
		echo "	timeout = 300s"
		i=$((i + 1))
	done
} > "$T/annexa.conf"

expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
# verdicts PROBE -> "check=status" lines, one per check
verdicts() {
	jsonq "$T/status.json" "'\n'.join(sorted({c['check'] + '=' + c['status'] for ctl in d['controls'] for c in ctl['checks'] if c.get('probe', c.get('instance')) == '$1'}))"
}
message() {
	jsonq "$T/status.json" "next((c['message'] for ctl in d['controls'] for c in ctl['checks'] if c['check'] == '$2' and c.get('probe', c.get('instance')) == '$1'), '')"
}
expect_verdict() { # PROBE CHECK STATUS [MESSAGE-PART]
	got=$(verdicts "$1" | grep "^$2=" | cut -d= -f2)
	ok
	[ "$got" = "$3" ] || fail "$1 $2: got '$got', want $3 ($(message "$1" "$2"))"
	if [ $# -ge 4 ]; then
		ok
		case "$(message "$1" "$2")" in *"$4"*) ;; *) fail "$1 $2: message '$(message "$1" "$2")' lacks '$4'" ;; esac
	fi
}

i=0
for name in silent reset garbage halfhello trickle closenow; do
	port=$((BASE + i))
	i=$((i + 1))
	ok
	[ -n "$(verdicts "$name")" ] || { fail "$name: no results"; continue; }
	# every check the probe could not measure is error: none passes or fails
	bad=$(verdicts "$name" | grep -v "^tls.starttls.offered=" | grep -v "=error$")
	[ -z "$bad" ] || fail "$name: checks that are not error: $(echo $bad)"
	expect_verdict "$name" tls.starttls.offered skip
	expect_verdict "$name" tls.protocol.tls1_0 error "127.0.0.1:$port"
done
expect_verdict silent tls.protocol.tls1_2 error "handshake timed out"
expect_verdict trickle tls.cipher.order error "handshake timed out"
expect_verdict reset tls.protocol.tls1_1 error "reset the connection without a TLS answer"
expect_verdict garbage tls.protocol.tls1_2 error "no valid TLS answer"
expect_verdict halfhello tls.cert.chain error "no valid TLS answer"
expect_verdict closenow tls.protocol.tls1_0 error "closed the connection without a TLS answer"

# the control: a real TLS refusal of every offer is measured
expect_verdict alert tls.protocol.tls1_0 pass
expect_verdict alert tls.protocol.tls1_1 pass
expect_verdict alert tls.protocol.tls1_2 fail "refuses both TLS 1.2 and TLS 1.3"
expect_verdict alert tls.cipher.weak error "no cipher suite could be negotiated"
expect_verdict alert tls.cipher.order error
done_tests
