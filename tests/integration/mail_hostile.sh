#!/bin/bash
# mail_hostile.sh - the `tls` probe against peers that misbehave: one that
# closes at once, one that never answers (the handshake deadline must end
# it, not the run's timeout), one that sends garbage instead of a greeting,
# one that sends a 10 MB line, one that does not offer STARTTLS and one that
# refuses it. Every run must end with clear results naming the peer, never
# a crash or a hang.
. "$ANNEXA_SRC/tests/lib/common.sh"
BASE=12550

cat > "$T/peers.py" <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[2])
from peers import serve_all
def close_now(c): pass
def silent(c): time.sleep(30)
def garbage(c): c.sendall(b"\x16\x03\x01\x00\xff garbage \x00\x01\x02\r\n"); time.sleep(1)
def huge(c):
    chunk = b"2" * 65536
    for _ in range(160): c.sendall(chunk)
def read_line(c):
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(1)
        if not d: break
        buf += d
    return buf
def no_starttls(c):
    c.sendall(b"220 mx ESMTP\r\n"); read_line(c); c.sendall(b"250-mx\r\n250 PIPELINING\r\n"); read_line(c)
def refused(c):
    c.sendall(b"220 mx ESMTP\r\n"); read_line(c); c.sendall(b"250-mx\r\n250 STARTTLS\r\n"); read_line(c)
    c.sendall(b"454 4.7.0 TLS not available\r\n"); read_line(c)
serve_all(int(sys.argv[1]), [close_now, silent, garbage, huge, no_starttls, refused])
EOF
python3 -B "$T/peers.py" $BASE "$ANNEXA_SRC/tests/lib" > "$T/peers.out" 2>&1 &
PEERS=$!
stop_peers() { kill "$PEERS" 2>/dev/null; wait "$PEERS" 2>/dev/null; }
add_cleanup stop_peers
wait_for 60 grep -q ready "$T/peers.out" || fail "scripted peers did not start"

{
	echo "[annexa]"
	echo "	store = annexa.db"
	i=0
	for name in close silent garbage huge nostarttls refused; do
		echo "[probe \"$name\"]"
		echo "	type = tls"
		echo "	target = 127.0.0.1:$((BASE + i))"
		echo "	starttls = smtp"
		# a short deadline only where the deadline is what is tested: on a
		# busy machine a 2 s deadline also cut short the peers that answer
		[ $name = silent ] && echo "	handshake-timeout = 2s" || echo "	handshake-timeout = 60s"
		echo "	timeout = 120s"
		i=$((i + 1))
	done
} > "$T/annexa.conf"

expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
# result PROBE CHECK -> "status|message"
result() {
	jsonq "$T/status.json" "next((c['status'] + '|' + c['message'] for ctl in d['controls'] for c in ctl['checks'] if c['check'] == '$2' and c.get('probe', c.get('instance')) == '$1'), 'missing|')"
}
expect_result() {
	got=$(result "$1" "$2")
	ok
	case "$got" in
	"$3|"*"$4"*) ;;
	*) fail "$1 $2: got '$got', want $3 containing '$4'" ;;
	esac
}
expect_result close tls.starttls.offered error "127.0.0.1:$BASE: connection closed by the server"
expect_result close tls.cert.chain error "connection closed by the server"
expect_result silent tls.starttls.offered error "127.0.0.1:$((BASE + 1)): no answer before the deadline"
expect_result silent tls.protocol.tls1_0 error "no answer before the deadline"
expect_result garbage tls.starttls.offered error "not an SMTP reply"
expect_result huge tls.starttls.offered error "line longer than 4096 bytes"
expect_result nostarttls tls.starttls.offered fail "does not offer STARTTLS"
expect_result nostarttls tls.cipher.weak error "does not offer STARTTLS"
expect_result refused tls.starttls.offered fail "STARTTLS refused with 454"
expect_result refused tls.cert.expiry error "STARTTLS refused with 454"
done_tests
