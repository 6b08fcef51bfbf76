#!/bin/bash
# bench/tls.sh - the `tls` probe's full enumeration of a loopback Postfix
# (STARTTLS on 127.0.0.1:12525, weak config: TLS 1.0-1.3, every suite its
# OpenSSL allows) against sslscan --starttls-smtp and testssl.sh --starttls
# smtp, in one run on the same server. Prints wall times, ratios and the
# findings side by side (versions, suite count, key size, expiry).
# Usage: bench/tls.sh [BUILD_DIR]   (as root; default BUILD_DIR: build)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
ANNEXA=$BUILD/annexa
PORT=12525
[ -x "$ANNEXA" ] || { echo "no $ANNEXA (build first)"; exit 2; }
T=$(mktemp -d /tmp/annexa-bench-XXXXXX)
chmod 755 "$T"
B=$T/b PF=$T/b/pf/etc
mkdir -p "$B/tls" "$PF" "$B/pf/spool"
trap 'postfix -c "$PF" stop >/dev/null 2>&1; rm -rf "$T"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$B/tls/key.pem" -out "$B/tls/cert.pem" 2>/dev/null
chmod 600 "$B/tls/key.pem"
cat > "$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $B/pf/spool
data_directory = $B/pf/data
maillog_file = $B/pf/maillog
maillog_file_prefixes = $B
myhostname = mx.test.local
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_tls_cert_file = $B/tls/cert.pem
smtpd_tls_key_file = $B/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1
tls_medium_cipherlist = ALL:@SECLEVEL=0
EOF
sed -e 's/^\(smtp \+inet.*\)$/#\1/' -e 's/^\([a-z0-9-]\+ \+[a-z-]\+ \+[-ny] \+[-ny] \+\)[-ny]/\1n/' \
	/etc/postfix/master.cf > "$PF/master.cf"
echo "$PORT inet n - n - - smtpd" >> "$PF/master.cf"
grep -q '^postlog' "$PF/master.cf" || echo "postlog unix-dgram n - n - 1 postlogd" >> "$PF/master.cf"
postfix -c "$PF" check >/dev/null 2>&1
postfix -c "$PF" start >/dev/null 2>&1 || { echo "postfix did not start"; exit 1; }
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

cat > "$T/annexa.conf" <<EOF
[annexa]
	store = annexa.db
[probe "mx"]
	type = tls
	target = 127.0.0.1:$PORT
	starttls = smtp
	servername = localhost
EOF

now() { date +%s.%N; }
t0=$(now); "$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1; t1=$(now)
annexa_s=$(echo "$t1 - $t0" | bc)
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
sqlite3 "$T/annexa.db" "select data from artifacts where name = 'tls-scan.json'" > "$T/scan.json" 2>/dev/null
echo "annexa tls:  ${annexa_s}s"

t0=$(now); sslscan --no-colour --starttls-smtp 127.0.0.1:$PORT > "$T/sslscan.txt" 2>&1; t1=$(now)
sslscan_s=$(echo "$t1 - $t0" | bc)
echo "sslscan:     ${sslscan_s}s   ratio sslscan/annexa = $(echo "scale=2; $sslscan_s / $annexa_s" | bc)"

TESTSSL=$(command -v testssl || command -v testssl.sh || true)
if [ -n "$TESTSSL" ]; then
	t0=$(now)
	"$TESTSSL" --quiet --color 0 --warnings off --nodns none -t smtp --jsonfile "$T/testssl.json" \
		127.0.0.1:$PORT > "$T/testssl.txt" 2>&1
	t1=$(now)
	testssl_s=$(echo "$t1 - $t0" | bc)
	echo "testssl.sh:  ${testssl_s}s   ratio testssl/annexa = $(echo "scale=2; $testssl_s / $annexa_s" | bc)"
else
	echo "testssl.sh:  not installed (apt-get install testssl.sh)"
fi

echo "--- findings ---"
python3 - "$T" <<'EOF'
import json, re, sys, os
t = sys.argv[1]
st = json.load(open(t + "/status.json"))
res = {c["check"]: (c["status"], c["message"]) for ctl in st["controls"] for c in ctl["checks"]}
ours = {}
try:
    scan = json.load(open(t + "/scan.json"))
    ours = {v: len(x["ciphers"]) for v, x in scan["versions"].items() if x["accepted"]}
except Exception:
    pass
print("annexa:  versions/suites", ours or "(see store)", "|", res.get("tls.cert.key_size", ("?", ""))[1], "|", res.get("tls.cert.expiry", ("?", ""))[1])
txt = open(t + "/sslscan.txt").read()
acc = re.findall(r"^(?:Preferred|Accepted)\s+(\S+)", txt, re.M)
counts = {}
for v in acc: counts[v] = counts.get(v, 0) + 1
key = re.search(r"RSA Key Strength:\s+(\d+)", txt)
na = re.search(r"Not valid after:\s+(.*)", txt)
print("sslscan: versions/suites", counts, "| RSA", key.group(1) if key else "?", "| not after", na.group(1).strip() if na else "?")
if os.path.exists(t + "/testssl.json"):
    tj = json.load(open(t + "/testssl.json"))
    offered = [f["id"] for f in tj if f["id"] in ("SSLv3","TLS1","TLS1_1","TLS1_2","TLS1_3") and f["finding"].startswith("offered")]
    ciphers = [f for f in tj if f["id"].startswith("cipher-")]
    print("testssl: versions", offered, "| cipher findings", len(ciphers))
EOF
