#!/bin/bash
# bench/export.sh [ANNEXA] [MIB] - `annexa export` of a store holding MIB
# MiB (default 1024) of artifacts, against the plain pipeline on the same
# files: zip + sha256sum + openssl cms -sign. Prints both times and the
# ratio (and peak memory when /usr/bin/time is there). Not a test:
# numbers depend on the machine.
#
# Setup limits that matter: one probe child may send at most
# AX_RUNNER_OUTPUT_MAX (256 MiB, collector/runner.h) per run, one artifact
# at most 64 MiB, and holds a file's content and its redacted copy within
# memory-limit (1G default). The files here are ~16.2 MiB each (12 MiB of
# random bytes in base64 with line breaks), so 16 per instance (~259 MiB)
# exceeded the output limit and every instance erred: 8 per instance
# (~130 MiB) stays well within all three.
set -eu
. "$(dirname "$0")/lib.sh"
bench_annexa "${1:-}"
MIB=${2:-1024}
W=$(bench_dir export)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkdir site
# 16 MiB text files (base64 of random bytes: as compressible as logs are not).
n=$(( (MIB + 15) / 16 ))
for i in $(seq 1 "$n"); do head -c $((12 << 20)) /dev/urandom | base64 -w 100 >"site/log$i.txt"; done
{
	printf '[annexa]\n\torganization = Bench\n\tstore = state/annexa.db\n\tstate-dir = state\n'
	# one instance per 8 files (~130 MiB of output per child, see above)
	for i in $(seq 1 "$n"); do
		[ $(( (i - 1) % 8 )) = 0 ] && printf '[probe "logs%s"]\n\ttype = file\n\tmax-size = 32M\n\tattach = true\n\ttimeout = 10m\n' "$i"
		printf '\tpath = site/log%s.txt\n' "$i"
	done
} >annexa.conf
# one run per instance, as the daemon would collect them
for i in $(seq 1 8 "$n"); do
	"$ANNEXA" -c annexa.conf collect --probe "logs$i" >collect.out 2>&1 || true
	grep -q ' 0 error' collect.out || { echo "collect logs$i failed:"; cat collect.out; exit 1; }
done
"$ANNEXA" -c annexa.conf keygen >/dev/null
stored=$(sqlite3 state/annexa.db 'select count(*)||" artifacts, "||(sum(size)>>20)||" MiB" from artifacts' 2>/dev/null || echo "?")
echo "site: $(du -sh site | cut -f1) in $n files; store: $stored"
TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %M -o rss.txt"

t0=$(date +%s.%N)
$TIME "$ANNEXA" -c annexa.conf export -o annexa.zip >/dev/null
t1=$(date +%s.%N)
zip -q -r peer.zip site
sha256sum site/* >SHA256SUMS
openssl cms -sign -binary -outform DER -in SHA256SUMS -signer state/signing.crt -inkey state/signing.key -out SHA256SUMS.sig
t2=$(date +%s.%N)
a=$(echo "$t1 - $t0" | bc); p=$(echo "$t2 - $t1" | bc)
printf 'annexa export:                       %6.2f s  (%s)\n' "$a" "$(du -h annexa.zip | cut -f1)"
printf 'zip + sha256sum + openssl cms -sign: %6.2f s  (%s)\n' "$p" "$(du -h peer.zip | cut -f1)"
printf 'ratio annexa/peer:                   %6.2f\n' "$(echo "$a / $p" | bc -l)"
[ -n "$TIME" ] && printf 'annexa export peak RSS:              %6d MiB\n' "$(( $(cat rss.txt) / 1024 ))"
t3=$(date +%s.%N)
$TIME "$ANNEXA" verify annexa.zip >/dev/null
t4=$(date +%s.%N)
printf 'annexa verify:                       %6.2f s\n' "$(echo "$t4 - $t3" | bc)"
[ -n "$TIME" ] && printf 'annexa verify peak RSS:              %6d MiB\n' "$(( $(cat rss.txt) / 1024 ))"
true
