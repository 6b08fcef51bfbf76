#!/bin/bash
# bench/tls.sh - the `tls` probe's full enumeration of a loopback Postfix
# (STARTTLS on 127.0.0.1:12525, weak config: TLS 1.0-1.3, every suite its
# OpenSSL allows) against sslscan --starttls-smtp and testssl.sh --starttls
# smtp -p -E -S (protocols, suites per protocol, certificate), in one run on
# the same server. annexa and sslscan run BENCH_RUNS times (default 5) and
# the medians are compared; testssl.sh (about 45 s) runs once, or not at all
# with BENCH_TESTSSL=0. Prints wall times, ratios, and the findings side by
# side: accepted suites per version (and whether the lists are identical,
# not just their counts), the key size and the certificate's end.
# annexa's figures come from its own store: the tls-scan.json artifact of
# the latest run (table run_artifacts joined to artifacts by sha256).
# Usage: bench/tls.sh [BUILD_DIR]   (as root; default BUILD_DIR: build)
set -u
. "$(dirname "$0")/lib.sh"
bench_annexa "${1:-$SRC/build}/annexa"
PORT=12525
RUNS=${BENCH_RUNS:-5}
command -v sslscan >/dev/null || { echo "sslscan not installed (apt-get install sslscan)"; exit 2; }
T=$(bench_dir tls)
. "$SRC/tests/lib/postfix.sh"
pf_init "$T/b" "$PORT"
trap 'pf_stop; rm -rf "$T"' EXIT
pf_cert 2048 10
pf_main ">=TLSv1" "tls_medium_cipherlist = ALL:@SECLEVEL=0"
pf_start || { echo "postfix did not start (port $PORT in use?)"; exit 1; }

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
elapsed() { echo "$2 - $1" | bc; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# one warm-up connection each, so that neither pays for Postfix's first smtpd
"$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1
sslscan --no-colour --starttls-smtp 127.0.0.1:$PORT >/dev/null 2>&1
: > "$T/annexa.times"
: > "$T/sslscan.times"
for _ in $(seq "$RUNS"); do
	t0=$(now); "$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1; t1=$(now)
	elapsed "$t0" "$t1" >> "$T/annexa.times"
	t0=$(now); sslscan --no-colour --starttls-smtp 127.0.0.1:$PORT > "$T/sslscan.txt" 2>&1; t1=$(now)
	elapsed "$t0" "$t1" >> "$T/sslscan.times"
done
annexa_s=$(median < "$T/annexa.times")
sslscan_s=$(median < "$T/sslscan.times")
"$ANNEXA" -c "$T/annexa.conf" status --json > "$T/status.json"
sqlite3 "$T/annexa.db" "select a.data from run_artifacts r join artifacts a using (sha256)
	where r.instance = 'mx' and r.name = 'tls-scan.json' order by r.run_id desc limit 1" > "$T/scan.json"

printf 'annexa tls:  median %.3fs of %d runs (%s)\n' "$annexa_s" "$RUNS" "$(tr '\n' ' ' < "$T/annexa.times")"
printf 'sslscan:     median %.3fs of %d runs   sslscan/annexa = %.2f\n' "$sslscan_s" "$RUNS" \
	"$(echo "scale=4; $sslscan_s / $annexa_s" | bc)"

TESTSSL=$(command -v testssl || command -v testssl.sh || true)
if [ "${BENCH_TESTSSL:-1}" = 0 ]; then
	echo "testssl.sh:  skipped (BENCH_TESTSSL=0)"
elif [ -n "$TESTSSL" ]; then
	t0=$(now)
	"$TESTSSL" --quiet --color 0 --warnings off --nodns none -t smtp -p -E -S --jsonfile "$T/testssl.json" \
		127.0.0.1:$PORT > "$T/testssl.txt" 2>&1
	t1=$(now)
	testssl_s=$(elapsed "$t0" "$t1")
	printf 'testssl.sh:  %.3fs (one run)   testssl/annexa = %.1f\n' "$testssl_s" "$(echo "scale=4; $testssl_s / $annexa_s" | bc)"
else
	echo "testssl.sh:  not installed (apt-get install testssl.sh)"
fi

echo "--- findings (accepted suites per version; same = identical lists) ---"
python3 - "$T" <<'EOF'
import json, os, re, sys
t = sys.argv[1]
versions = ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

scan = json.load(open(t + "/scan.json"))
ours = {v: set(x["ciphers"]) for v, x in scan["versions"].items() if x["accepted"]}

txt = open(t + "/sslscan.txt").read()
theirs = {}
for v, c in re.findall(r"^(?:Preferred|Accepted)\s+(\S+)\s+\d+ bits\s+(\S+)", txt, re.M):
    theirs.setdefault(v, set()).add(c)

testssl = None
if os.path.exists(t + "/testssl.json"):
    tj = json.load(open(t + "/testssl.json"))
    ids = {"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3", "ssl3": "SSLv3"}
    testssl = {}
    for f in tj:
        m = re.match(r"cipher-(\w+?)_x[0-9a-f]+$", f["id"])
        if m and m.group(1) in ids:
            testssl.setdefault(ids[m.group(1)], set()).add(f["finding"].split()[3])  # "TLS 1.2   xc030   NAME ..."

def cell(d, v):
    return str(len(d.get(v, ()))) if d is not None else "-"
print("%-8s %7s %8s %8s   %s" % ("version", "annexa", "sslscan", "testssl", "same suites"))
for v in versions:
    if not any(v in d for d in (ours, theirs, testssl or {})):
        continue
    same = ours.get(v, set()) == theirs.get(v, set()) and (testssl is None or ours.get(v, set()) == testssl.get(v, set()))
    print("%-8s %7s %8s %8s   %s" % (v, cell(ours, v), cell(theirs, v), cell(testssl, v), "yes" if same else "NO"))
    if not same:
        for name, d in (("sslscan", theirs), ("testssl", testssl)):
            if d is not None and d.get(v, set()) != ours.get(v, set()):
                print("         only annexa: %s; only %s: %s" % (sorted(ours.get(v, set()) - d.get(v, set())), name,
                                                               sorted(d.get(v, set()) - ours.get(v, set()))))
print("annexa handshakes: %d, server order: %s, group: %s" % (scan["handshakes"],
      {1: "enforced", 0: "client's", -1: "unknown"}[scan["server_order"]], scan["group"]))

st = json.load(open(t + "/status.json"))
msg = {c["check"]: c["message"] for ctl in st["controls"] for c in ctl["checks"]}
key = re.search(r"RSA Key Strength:\s+(\d+)", txt)
na = re.search(r"Not valid after:\s+(.*)", txt)
print("certificate: annexa %s; %s" % (msg.get("tls.cert.key_size", "?"), msg.get("tls.cert.expiry", "?")))
print("certificate: sslscan RSA %s; not after %s" % (key.group(1) if key else "?", na.group(1).strip() if na else "?"))
if testssl is not None:
    f = {x["id"]: x["finding"] for x in tj}
    print("certificate: testssl %s; not after %s" % (f.get("cert_keySize", "?"), f.get("cert_notAfter", "?")))
EOF
