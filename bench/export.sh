#!/bin/bash
# bench/export.sh [ANNEXA] [MIB] - `annexa export` of a store holding MIB
# MiB (default 1024) of artifacts, against the plain pipeline on the same
# files: zip + sha256sum + openssl cms -sign. Prints both times and the
# ratio. Not a test: numbers depend on the machine.
set -eu
ANNEXA=${1:-build/annexa}
MIB=${2:-1024}
ANNEXA=$(cd "$(dirname "$ANNEXA")" && pwd)/$(basename "$ANNEXA")
W=$(mktemp -d /tmp/annexa-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkdir site
# 16 MiB text files (base64 of random bytes: as compressible as logs are not).
n=$(( (MIB + 15) / 16 ))
for i in $(seq 1 "$n"); do head -c $((12 << 20)) /dev/urandom | base64 -w 100 >"site/log$i.txt"; done
{
	printf '[annexa]\n\torganization = Bench\n\tstore = state/annexa.db\n\tstate-dir = state\n'
	# one instance per 16 files: a probe's memory limit (1G) bounds one run
	for i in $(seq 1 "$n"); do
		[ $(( (i - 1) % 16 )) = 0 ] && printf '[probe "logs%s"]\n\ttype = file\n\tmax-size = 32M\n\tattach = true\n\ttimeout = 10m\n' "$i"
		printf '\tpath = site/log%s.txt\n' "$i"
	done
} >annexa.conf
"$ANNEXA" -c annexa.conf collect | head -1
"$ANNEXA" -c annexa.conf keygen >/dev/null
echo "artifacts: $(du -sh site | cut -f1) in $n files"

t0=$(date +%s.%N)
"$ANNEXA" -c annexa.conf export -o annexa.zip >/dev/null
t1=$(date +%s.%N)
zip -q -r peer.zip site
sha256sum site/* >SHA256SUMS
openssl cms -sign -binary -outform DER -in SHA256SUMS -signer state/signing.crt -inkey state/signing.key -out SHA256SUMS.sig
t2=$(date +%s.%N)
a=$(echo "$t1 - $t0" | bc); p=$(echo "$t2 - $t1" | bc)
printf 'annexa export:                       %6.2f s  (%s)\n' "$a" "$(du -h annexa.zip | cut -f1)"
printf 'zip + sha256sum + openssl cms -sign: %6.2f s  (%s)\n' "$p" "$(du -h peer.zip | cut -f1)"
printf 'ratio annexa/peer:                   %6.2f\n' "$(echo "$a / $p" | bc -l)"
t3=$(date +%s.%N)
"$ANNEXA" verify annexa.zip >/dev/null
t4=$(date +%s.%N)
printf 'annexa verify:                       %6.2f s\n' "$(echo "$t4 - $t3" | bc)"
