#!/bin/bash
# `annexa verify` judges the bytes every ZIP tool extracts (issue 12): a
# real bundle, then every layout tests/lib/zipforge.py forges from it
# (the end record behind a comment with a streaming-reader stopper, data
# before, between and after the entries, overlaps, a second directory,
# local headers that disagree, Unicode path fields, symbolic links, Zip64
# records that disagree, a truncated file, duplicate names) is refused with
# the first problem named; the genuine bundle, and the same bytes rewritten
# by Python's zipfile, still verify; the entries annexa reads are those
# unzip -Z1 and Python's zipfile list. Also: options after FILE, --json,
# and limits (entries, declared sizes, compression ratio) that hold in
# time and memory.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
FORGE="$ANNEXA_SRC/tests/lib/zipforge.py"
mkdir -p "$T/f"
file_site_conf "Zip Test GmbH"
cd "$T" || exit 1
expect_rc 0 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" keygen
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b.zip"

# The genuine bundle, options after the file as the README writes them.
expect_rc 0 "$ANNEXA" verify "$T/b.zip" --ca state/signing.crt
expect_out "chains to --ca"
expect_rc 0 "$ANNEXA" verify --json "$T/b.zip"
cp "$T/out" "$T/ok.json"
[ "$(jsonq "$T/ok.json" 'd["valid"]')" = True ] || fail "--json: valid"
[ "$(jsonq "$T/ok.json" 'd["counts"]["runs"]')" = 1 ] || fail "--json: runs"
[ "$(jsonq "$T/ok.json" 'len(d["signer"]["fingerprint_sha256"])')" = 64 ] || fail "--json: fingerprint"
[ "$(jsonq "$T/ok.json" 'd["problems"]')" = "[]" ] || fail "--json: problems of a valid bundle"
mkdir "$T/x" && (cd "$T/x" && unzip -q "$T/b.zip")
[ "$(jsonq "$T/ok.json" 'd["ledger_head"]')" = "$(jsonq "$T/x/manifest.json" 'd["ledger"]["last_hash"]')" ] ||
	fail "--json: ledger head is not the manifest's"

# One list of entries: annexa's, unzip's and Python's are the same.
expect_rc 0 "$ANNEXA" verify --list "$T/b.zip"
cp "$T/out" "$T/annexa.list"
unzip -Z1 "$T/b.zip" >"$T/unzip.list"
python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$T/b.zip" >"$T/py.list"
cmp -s "$T/annexa.list" "$T/unzip.list" || fail "annexa and unzip -Z1 list different entries: $(diff "$T/annexa.list" "$T/unzip.list")"
cmp -s "$T/annexa.list" "$T/py.list" || fail "annexa and zipfile list different entries"
[ "$(wc -l <"$T/annexa.list")" -ge 10 ] || fail "too few entries listed"

# The same bytes rewritten by Python (sizes in the local headers, no
# descriptors; deflated, then stored) are still the same bundle.
for m in ZIP_DEFLATED ZIP_STORED; do
	python3 - "$T/b.zip" "$T/py.zip" "$m" <<'PY'
import sys, zipfile
src, dst, m = sys.argv[1:]
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
    for i in zi.infolist():
        data = zi.read(i)
        i.compress_type = getattr(zipfile, m)
        zo.writestr(i, data)
PY
	expect_rc 0 "$ANNEXA" verify "$T/py.zip" --ca state/signing.crt
done

# The differential of the issue: unzip and Python extract the forged
# report.html from this file; annexa before the fix called it valid.
python3 "$FORGE" "$T/b.zip" stopper "$T/f/stopper.zip"
(cd "$T/f" && unzip -qo stopper.zip report.html) 2>/dev/null
grep -q "All 93 controls pass" "$T/f/report.html" || fail "the forge no longer fools unzip: the test proves nothing"
expect_rc 1 "$ANNEXA" verify "$T/f/stopper.zip" --ca state/signing.crt
expect_out "INVALID"
expect_out "ZIP comment"
expect_no_out ": valid"
expect_rc 1 "$ANNEXA" verify --json "$T/f/stopper.zip"
[ "$(jsonq "$T/out" 'd["valid"]')" = False ] || fail "--json of a forged bundle: valid is not false"
jsonq "$T/out" 'd["problems"][0]' | grep -q "ZIP comment" || fail "--json: the problem is not named"
expect_rc 1 "$ANNEXA" verify --list "$T/f/stopper.zip"

# Every layout: refused, with the first problem named.
for layout in $(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import zipforge; print(" ".join(zipforge.LAYOUTS))' "$ANNEXA_SRC/tests/lib"); do
	python3 "$FORGE" "$T/b.zip" "$layout" "$T/f/$layout.zip" || { fail "zipforge $layout"; continue; }
	expect_rc 1 "$ANNEXA" verify "$T/f/$layout.zip" --ca state/signing.crt
	expect_out "$(python3 "$FORGE" - --expect "$layout")"
done

# ledger.json is read one run at a time: the same JSON without
# indentation still verifies; a second "runs", a run out of order, bytes
# after the object, are refused (each bundle re-signed by the same key).
resign() { out=$1; shift; python3 "$FORGE" "$T/b.zip" --resign "$T/f/$out" state/signing.key state/signing.crt "$@"; }
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' x/ledger.json >"$T/compact.json"
resign compact.zip ledger.json="$T/compact.json"
expect_rc 0 "$ANNEXA" verify "$T/f/compact.zip" --ca state/signing.crt
expect_out "1 runs chained, 1 content hashes recomputed"
sed '0,/"runs": \[/s//"runs": [], "runs": [/' x/ledger.json >"$T/dupkey.json"
resign dupkey.zip ledger.json="$T/dupkey.json"
expect_rc 1 "$ANNEXA" verify "$T/f/dupkey.zip" --ca state/signing.crt
expect_out 'ledger.json names "runs" twice'
{ cat x/ledger.json; echo '{}'; } >"$T/trail.json"
resign trail.zip ledger.json="$T/trail.json"
expect_rc 1 "$ANNEXA" verify "$T/f/trail.zip" --ca state/signing.crt
expect_out "ledger.json is malformed JSON"
{ cat x/results.jsonl; head -1 x/results.jsonl | sed 's/"run":1,/"run":7,/'; } >"$T/orphan.jsonl"
resign orphan.zip results.jsonl="$T/orphan.jsonl"
expect_rc 1 "$ANNEXA" verify "$T/f/orphan.zip" --ca state/signing.crt
expect_out "results.jsonl holds a result of a run that ledger.json lacks"
python3 -c 'print("{\"organization\": [" + "0," * 400000 + "0]}")' >"$T/dense.json"
resign dense.zip manifest.json="$T/dense.json"
expect_rc 1 "$ANNEXA" verify "$T/f/dense.zip" --ca state/signing.crt
expect_out 'manifest.json: "organization" is denser than annexa writes it'

# Limits hold before work is spent: entries, declared sizes, the ratio.
python3 - "$T/many.zip" "$T/bomb.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for i in range(20000):
        z.writestr("evidence/x/%05d" % i, b"")
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("results.jsonl", b"\0" * (300 << 20))
PY
start=$(date +%s%N)
expect_rc 1 "$ANNEXA" verify "$T/many.zip"
expect_out "manifest.json is missing"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "20000 entries took $ms ms"
expect_rc 1 "$ANNEXA" verify "$T/bomb.zip"
expect_out "times (the verifier's limit)"
done_tests
