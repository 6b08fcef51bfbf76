#!/bin/bash
# bench/accesslog.sh - the accesslog probe against ripgrep (`rg -c`) over
# the same ~1 GiB of mixed sshd/Postfix/Dovecot syslog lines, same run.
# Prints both times (median of 3, runs alternating), throughput, the ratio,
# peak RSS (GNU time -v), and whether the counts agree.
# Usage: bench/accesslog.sh [SIZE_MIB] (default 1024). Needs: ripgrep.
# ANNEXA: the binary (default build/annexa).
set -eu
. "$(dirname "$0")/lib.sh"
bench_annexa
MIB=${1:-1024}
command -v rg >/dev/null || { echo "ripgrep missing: apt-get install ripgrep" >&2; exit 2; }
W=$(bench_dir accesslog)
trap 'rm -rf "$W"' EXIT

# 16 MiB of realistic lines dated today, then repeated up to the size.
python3 - "$W/block.log" <<'PY'
import random, sys, time
random.seed(7)
mon = time.strftime('%b'); day = int(time.strftime('%d'))
out = open(sys.argv[1], 'w'); size = 0
users = ['alice', 'bob', 'carol', 'root', 'deploy', 'admin']
while size < 16 << 20:
    t = f"{mon} {day:2d} {random.randrange(0, int(time.strftime('%H')) + 1):02d}:{random.randrange(60):02d}:{random.randrange(60):02d}"
    ip = f"203.0.113.{random.randrange(256)}"; u = random.choice(users); pid = random.randrange(1000, 99999)
    r = random.random()
    if r < 0.10: l = f"{t} mx sshd[{pid}]: Failed password for {u} from {ip} port {random.randrange(1024, 65535)} ssh2"
    elif r < 0.15: l = f"{t} mx sshd[{pid}]: Accepted publickey for {u} from {ip} port {random.randrange(1024, 65535)} ssh2: ED25519 SHA256:Qm8ZcqyQd3kJ0Xz6pS3"
    elif r < 0.25: l = f"{t} mx sshd[{pid}]: Connection closed by {ip} port {random.randrange(1024, 65535)} [preauth]"
    elif r < 0.55: l = f"{t} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]"
    elif r < 0.75: l = f"{t} mx postfix/qmgr[{pid}]: 4N3Kx20tG1z9rxL: from=<newsletter@example.com>, size={random.randrange(2000, 90000)}, nrcpt=1 (queue active)"
    else: l = f"{t} mx dovecot: imap-login: Login: user=<{u}>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid={pid}, TLS, session=<GZNy5mdhLOV/AAAB>"
    out.write(l + "\n"); size += len(l) + 1
PY
: > "$W/auth.log"
for _ in $(seq 1 $((MIB / 16))); do cat "$W/block.log" >> "$W/auth.log"; done
rm -f "$W/block.log"
BYTES=$(stat -c %s "$W/auth.log")
cat > "$W/annexa.conf" <<CONF
[annexa]
	store = annexa.db
[probe "auth"]
	type = accesslog
	format = sshd
	path = auth.log
	lookback = 52w
	timeout = 30m
	max-silence = 52w
	max-failures = 1000000
CONF
cat "$W/auth.log" > /dev/null # same page cache for both

TIMEV=""
[ -x /usr/bin/time ] && TIMEV="/usr/bin/time -v -o"
measure() { # NAME OUTFILE CMD...
	local name=$1 out=$2; shift 2
	local t0 t1
	t0=$(date +%s.%N)
	if [ -n "$TIMEV" ]; then $TIMEV "$W/$name.time" "$@" > "$out" 2>&1 || true; else "$@" > "$out" 2>&1 || true; fi
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}
rss() { [ -f "$W/$1.time" ] && awk -F': ' '/Maximum resident/ {printf "%d MiB", $2 / 1024}' "$W/$1.time" || echo "n/a"; }

# median of 3 for each, the two tools alternating (the machine may be shared)
best() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
RG_TIMES=() AX_TIMES=()
for _ in 1 2 3; do
	RG_TIMES+=("$(measure rg "$W/rg.out" rg -c 'sshd\[[0-9]+\]: (Accepted|Failed) ' "$W/auth.log")")
	AX_TIMES+=("$(measure annexa "$W/annexa.out" "$ANNEXA" -c "$W/annexa.conf" collect --json)")
done
T_RG=$(best "${RG_TIMES[@]}")
T_AX=$(best "${AX_TIMES[@]}")
# the collector's fixed cost (store, ledger, fork) on a one-line log, same run
head -1 "$W/auth.log" > "$W/one.log"
sed 's/^\tpath = auth.log/\tpath = one.log/; s/annexa.db/fixed.db/' "$W/annexa.conf" > "$W/fixed.conf"
T_FIXED=$(best "$(measure fixed "$W/fixed.out" "$ANNEXA" -c "$W/fixed.conf" collect)" \
	"$(measure fixed "$W/fixed.out" "$ANNEXA" -c "$W/fixed.conf" collect)" \
	"$(measure fixed "$W/fixed.out" "$ANNEXA" -c "$W/fixed.conf" collect)")
grep -q '"log.auth_failures"' "$W/annexa.out" || { echo "annexa run failed:"; head -20 "$W/annexa.out"; exit 1; }
counts() { python3 -c "
import json, re, sys
r = {x['check']: x['message'] for x in json.load(open(sys.argv[1]))['results']}
print(re.match(r'(\d+)', r['log.auth_failures']).group(1), re.search(r'of (\d+) login', r['log.privileged_logins']).group(1))" "$1" 2>/dev/null || echo "? ?"; }
read -r AX_FAILS AX_LOGINS <<< "$(counts "$W/annexa.out")"
printf 'input: %d MiB of mixed syslog lines\n' $((BYTES >> 20))
printf 'ripgrep  rg -c:       %6ss  %7.0f MiB/s  peak RSS %s  (matching lines: %s)\n' "$T_RG" \
	"$(echo "$BYTES $T_RG" | awk '{print $1 / 1048576 / $2}')" "$(rss rg)" "$(cat "$W/rg.out")"
printf 'annexa   accesslog:   %6ss  %7.0f MiB/s  peak RSS %s  (failures %s + logins %s)\n' "$T_AX" \
	"$(echo "$BYTES $T_AX" | awk '{print $1 / 1048576 / $2}')" "$(rss annexa)" "$AX_FAILS" "$AX_LOGINS"
echo "runs: ripgrep ${RG_TIMES[*]} s; annexa ${AX_TIMES[*]} s (median shown)"
[ "$AX_FAILS" = "?" ] || [ "$(cat "$W/rg.out")" = "$((AX_FAILS + AX_LOGINS))" ] || echo "COUNTS DIFFER: ripgrep $(cat "$W/rg.out") lines, annexa $AX_FAILS + $AX_LOGINS"
printf 'ratio annexa/ripgrep: %.2fx (goal: within 1.5x)\n' "$(echo "$T_AX $T_RG" | awk '{print $1 / $2}')"
printf 'collector fixed cost (one-line log): %ss; probe alone vs ripgrep: %.2fx\n' "$T_FIXED" \
	"$(echo "$T_AX $T_FIXED $T_RG" | awk '{print ($1 - $2) / $3}')"
