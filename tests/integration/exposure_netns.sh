#!/bin/bash
# The exposure probe in a network namespace made here (unshare -n): a real
# nftables ruleset loaded with nft -f, real sockets opened by python3 in
# that namespace, and annexa collect run there (so the probe's child reads
# that namespace's /proc/net and runs nft confined). Expected ports pass;
# an unexpected one reachable through a jumped-to chain fails
# exposure.reachable, one allowed only from a source network or dropped
# does not; a loopback listener is not an exposure; a policy-accept
# ruleset fails exposure.firewall_policy.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v nft >/dev/null || { echo "SKIP: nft not installed"; exit 77; }
unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace here"; exit 77; }
cat > "$T/drop.nft" <<'NFT'
flush ruleset
table inet filter {
	set admin_ports { type inet_service; elements = { 2222 } }
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iifname "lo" accept
		tcp dport { 25, 587 } accept
		udp dport 53 accept
		ip saddr 192.0.2.0/24 tcp dport @admin_ports accept
		jump extra
	}
	chain extra {
		tcp dport 8080 accept
	}
}
NFT
cat > "$T/accept.nft" <<'NFT'
flush ruleset
table ip filter {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 3306 drop
	}
}
NFT
cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	state-dir = state
[probe "exp"]
	type = exposure
	expected = 25/tcp
	expected = 53/udp
CONF
# inside the namespace: load RULES, open the sockets, collect into OUT
cat > "$T/inside.sh" <<'SH'
set -e
ip link set lo up
nft -f "$1"
python3 - "$T/ready" <<'PY' &
import socket, sys, time
socks = []
for fam, typ, addr, port in [(socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 25),
                             (socket.AF_INET6, socket.SOCK_STREAM, "::", 8080),
                             (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 2222),
                             (socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", 3306),
                             (socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1", 5432),
                             (socket.AF_INET, socket.SOCK_DGRAM, "0.0.0.0", 53)]:
    s = socket.socket(fam, typ)
    s.bind((addr, port))
    if typ == socket.SOCK_STREAM:
        s.listen()
    socks.append(s)
open(sys.argv[1], "w").close()
time.sleep(120)
PY
py=$!
for _ in $(seq 1 600); do [ -e "$T/ready" ] && break; sleep 0.1; done
"$ANNEXA" -c "$T/annexa.conf" collect --json > "$2" 2>&1 || true
kill $py
rm -f "$T/ready"
SH
export T ANNEXA
unshare -n bash "$T/inside.sh" "$T/drop.nft" "$T/drop.json" || fail "namespace run (drop) failed"
unshare -n bash "$T/inside.sh" "$T/accept.nft" "$T/accept.json" || fail "namespace run (accept) failed"
status() { jsonq "$1" "[r['status'] for r in d['results'] if r['check']=='$2'][0]"; }
message() { jsonq "$1" "[r['message'] for r in d['results'] if r['check']=='$2'][0]"; }
want() { # FILE CHECK STATUS [TEXT] [ABSENT]
	local st msg; st=$(status "$1" "$2"); msg=$(message "$1" "$2")
	[ "$st" = "$3" ] && ok || fail "$(basename "$1") $2: $st ($msg), want $3"
	[ -z "${4:-}" ] || case "$msg" in *"$4"*) ok ;; *) fail "$(basename "$1") $2 lacks '$4': $msg" ;; esac
	[ -z "${5:-}" ] || case "$msg" in *"$5"*) fail "$(basename "$1") $2 names '$5': $msg" ;; *) ok ;; esac
}
want "$T/drop.json" exposure.listeners fail "3306/tcp on 0.0.0.0" "5432"
want "$T/drop.json" exposure.listeners fail "8080/tcp on ::"
want "$T/drop.json" exposure.reachable fail "8080/tcp on :: is reachable (inet filter extra" "3306"
want "$T/drop.json" exposure.reachable fail "" "2222"
want "$T/drop.json" exposure.firewall_policy pass
want "$T/accept.json" exposure.reachable fail "2222/tcp on 0.0.0.0 is reachable (ip filter input policy accept)" "3306"
want "$T/accept.json" exposure.firewall_policy fail "new inbound ipv4 traffic is accepted by default (input policy accept)"
want "$T/accept.json" exposure.firewall_policy fail "ipv6 traffic is accepted by default (no input chain)"
# the evidence: the ruleset as nft printed it and the socket list
"$ANNEXA" -c "$T/annexa.conf" status >/dev/null 2>&1
n=$(sqlite3 "$T/annexa.db" "select count(*) from artifacts where media_type='application/json' and cast(data as text) like '%\"nftables\"%admin_ports%'")
[ "$n" -ge 1 ] && ok || fail "ruleset.json not stored"
done_tests
