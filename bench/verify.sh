#!/bin/bash
# bench/verify.sh [ANNEXA] - `annexa verify` time and peak memory (GNU time
# -v) on: a genuine bundle re-signed with N extra listed files (default
# 20 000: a valid bundle of that many entries), the same with its
# manifest's files in one list (entries/second), and a 1.5 MB bundle
# declaring three 512 MiB metadata entries (refused by the ratio limit
# before anything is inflated). Not a test: numbers depend on the machine.
set -eu
. "$(dirname "$0")/lib.sh"
bench_annexa "${1:-}"
N=${N:-20000}
W=$(bench_dir verify)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkdir site
echo "tls = on" >site/app.conf
printf '[annexa]\n\torganization = Bench\n\tstore = state/annexa.db\n\tstate-dir = state\n[probe "c"]\n\ttype = file\n\tpath = site/app.conf\n\tattach = true\n' >annexa.conf
"$ANNEXA" -c annexa.conf collect >/dev/null
"$ANNEXA" -c annexa.conf keygen >/dev/null
"$ANNEXA" -c annexa.conf export -o b.zip >/dev/null

# Re-sign with N more files listed in manifest.json (signer: the same key).
python3 "$SRC/tests/lib/zipforge.py" b.zip --resign many.zip state/signing.key state/signing.crt --bulk="$N"
python3 - bomb.zip <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name in ("manifest.json", "ledger.json", "results.jsonl"):
        with z.open(name, "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(512):
                f.write(chunk)
PY
run() {
	label=$1; shift
	/usr/bin/time -v -o time.txt "$ANNEXA" verify "$@" >out.txt 2>&1 || true
	printf '%-34s %6.2f s  %6d MiB peak  %s\n' "$label" \
		"$(awk -F': ' '/Elapsed/ {split($2, t, ":"); print t[1] * 60 + t[2]}' time.txt)" \
		"$(( $(awk -F': ' '/Maximum resident/ {print $2}' time.txt) / 1024 ))" "$(head -c 90 out.txt | head -1)"
}
run "genuine bundle ($(du -h b.zip | cut -f1))" b.zip
run "$N extra entries ($(du -h many.zip | cut -f1))" many.zip
run "3 x 512 MiB declared ($(du -h bomb.zip | cut -f1))" bomb.zip
