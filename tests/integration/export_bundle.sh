#!/bin/bash
# Signed evidence bundles end to end with the real binary: keygen, export,
# verification with stock tools only (unzip, openssl cms, sha256sum),
# `annexa verify`, tamper detection (every file changed, deleted, added;
# signature and certificate replaced), no secret in the bundle, and the
# HTML report. The `file` probe with attach = true produces the evidence.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
mkdir -p "$T/site"
# Secrets seeded into collected files: none of them may reach the bundle.
PW1='Pw-Tr0ub4dor-3-horse-9911'
PW2='s3cr3t-api-token-7782abcdef'
PW3='dbpassw0rd-zz81'
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/site/leaked.key" 2>/dev/null
KEYLINE=$(sed -n 2p "$T/site/leaked.key")
cat >"$T/site/app.conf" <<CONF
# application settings
listen = 0.0.0.0:8080
password = $PW1
api_token: $PW2
database = postgresql://app:$PW3@db.internal/app
tls = on
CONF
{ echo "ssl_key_inline = yes"; cat "$T/site/leaked.key"; echo "end = 1"; } >"$T/site/service.conf"
chmod 0600 "$T/site/app.conf" "$T/site/service.conf"
file_site_conf "Bundle Test GmbH" "mode-max = 0640"
cat >>"$C" <<CONF
[probe "service"]
	type = file
	path = site/service.conf
	attach = true
	controls = A.8.24
CONF
cd "$T" || exit 1

# Three runs at known times (ANNEXA_NOW), for the period export below.
ANNEXA_NOW=2026-01-10T10:00:00Z expect_rc 0 "$ANNEXA" -c "$C" collect
ANNEXA_NOW=2026-02-10T10:00:00Z expect_rc 0 "$ANNEXA" -c "$C" collect
sed -i "s/^tls = on/tls = off/" "$T/site/app.conf"
ANNEXA_NOW=2026-03-10T10:00:00Z expect_rc 1 "$ANNEXA" -c "$C" collect

# keygen: 0600 key, refuses to overwrite.
expect_rc 0 "$ANNEXA" -c "$C" keygen
cp "$T/out" "$T/keygen.out"
[ "$(stat -c %a state/signing.key)" = 600 ] || fail "signing key mode $(stat -c %a state/signing.key), want 600"
openssl x509 -in state/signing.crt -noout -subject >"$T/subj" 2>&1
grep -q "Bundle Test GmbH" "$T/subj" || fail "certificate does not name the organization: $(cat "$T/subj")"
grep -q "annexa evidence signing" "$T/subj" || fail "certificate CN: $(cat "$T/subj")"
# the fingerprint keygen prints is openssl's, the one README.txt compares
want=$(openssl x509 -in state/signing.crt -noout -fingerprint -sha256 | sed 's/^.*=//')
ok
[ "$(grep -E '^  ([0-9A-F]{2}:?){16}$' "$T/keygen.out" | tr -d ' ' | paste -sd:)" = "$want" ] ||
	fail "keygen printed no or another fingerprint than openssl's $want: $(cat "$T/keygen.out")"
cp state/signing.key "$T/key.before"
expect_rc 2 "$ANNEXA" -c "$C" keygen
expect_out "refusing to overwrite"
cmp -s state/signing.key "$T/key.before" || fail "keygen overwrote the key"

expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b.zip"
expect_out "signed"
expect_rc 0 "$ANNEXA" verify "$T/b.zip"
expect_out "valid"
expect_out "3 runs chained, 3 content hashes recomputed"
expect_out "bundled signer.pem"
expect_rc 0 "$ANNEXA" verify --ca state/signing.crt "$T/b.zip"
expect_out "chains to --ca"
# A different CA is no trust anchor.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-subj "/CN=other" -days 2 -out "$T/other.crt" 2>/dev/null
expect_rc 1 "$ANNEXA" verify --ca "$T/other.crt" "$T/b.zip"
expect_out "signature does not verify"

# Stock tools only.
mkdir "$T/x" && (cd "$T/x" && unzip -q "$T/b.zip") || fail "unzip failed"
for f in manifest.json manifest.json.sig signer.pem README.txt report.html soa.csv soa.xlsx controls.json \
	results.jsonl ledger.json oscal/assessment-results.xml oscal/assessment-results.json \
	oscal/assessment-plan.xml oscal/catalog.xml SHA256SUMS; do
	[ -f "$T/x/$f" ] || fail "bundle lacks $f"
done
ls "$T/x/evidence/appconf/" >/dev/null 2>&1 || fail "bundle lacks evidence/appconf/"
(cd "$T/x" && openssl cms -verify -binary -inform DER -in manifest.json.sig -content manifest.json \
	-CAfile signer.pem -purpose any -out /dev/null) >"$T/out" 2>&1 || fail "openssl cms -verify failed: $(cat "$T/out")"
ok
grep -qF "openssl cms -verify -binary -inform DER -in manifest.json.sig -content manifest.json -CAfile signer.pem -purpose any" \
	"$T/x/README.txt" || fail "README.txt lacks the openssl command"
(cd "$T/x" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c SHA256SUMS failed"
ok
# Every file against the manifest with sha256sum, and no file unlisted.
(cd "$T/x" && python3 -c 'import json; [print(f["sha256"]+"  "+f["path"]) for f in json.load(open("manifest.json"))["files"]]' \
	>"$T/man.sums" && sha256sum -c --quiet "$T/man.sums") || fail "files differ from manifest.json"
ok
(cd "$T/x" && find . -type f | sed 's|^\./||' | sort) >"$T/present"
(cut -c67- "$T/man.sums"; printf '%s\n' manifest.json manifest.json.sig) | sort >"$T/listed"
cmp -s "$T/present" "$T/listed" || fail "files present differ from files listed: $(diff "$T/listed" "$T/present")"
[ "$(jsonq "$T/x/controls.json" 'len(d["controls"])')" = 93 ] || fail "controls.json lacks 93 controls"
# soa.xlsx as a spreadsheet program reads it (the Office Open XML inside):
# the header row, 93 control rows like soa.csv's, panes frozen, a filter,
# the implementation status coloured.
ok
python3 - "$T/x/soa.xlsx" "$T/x/soa.csv" >"$T/out" 2>&1 <<'PY' || fail "soa.xlsx: $(cat "$T/out")"
import csv, re, sys, zipfile
from xml.etree import ElementTree as ET
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
z = zipfile.ZipFile(sys.argv[1])
strings = ["".join(t.text or "" for t in si.iter("{%s}t" % ns["m"]))
           for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
rows = []
for r in sheet.find("m:sheetData", ns).findall("m:row", ns):
    row = {}
    for c in r.findall("m:c", ns):
        col = re.match(r"[A-Z]+", c.get("r")).group(0)
        v = c.find("m:v", ns)
        row[col] = (strings[int(v.text)] if c.get("t") == "s" else v.text) if v is not None else ""
        row[col + "_s"] = c.get("s")
    rows.append(row)
with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
    want = list(csv.reader(f))
assert [rows[0][k] for k in "ABCDEFGHI"] == want[0], ("header", rows[0], want[0])
assert len(rows) == 94 == len(want), len(rows)
for got, w in zip(rows[1:], want[1:]):
    assert [got.get(k, "") for k in "ABCDEFGHI"] == w, (got, w)
assert sheet.find("m:sheetViews/m:sheetView/m:pane", ns).get("state") == "frozen"
assert sheet.find("m:autoFilter", ns).get("ref") == "A1:I94"
# every implementation status has its own fill, different from the text cells
styles = {}
for got in rows[1:]:
    styles.setdefault(got["E"], set()).add(got["E_s"])
assert all(len(v) == 1 for v in styles.values()), styles
assert len({next(iter(v)) for v in styles.values()}) == len(styles), styles
fills = ET.fromstring(z.read("xl/styles.xml")).find("m:fills", ns)
assert int(fills.get("count")) >= 2 + len(styles), fills.get("count")
print("soa.xlsx:", len(rows) - 1, "rows,", sorted(styles))
PY
cat "$T/out"
[ "$(jsonq "$T/x/manifest.json" 'd["organization"]')" = "Bundle Test GmbH" ] || fail "manifest organization"
[ "$(jsonq "$T/x/ledger.json" 'len(d["runs"])')" = 3 ] || fail "ledger.json should hold 3 runs"
[ "$(jsonq "$T/x/controls.json" '[c["period"]["runs_passed"] for c in d["controls"] if c["id"]=="A.8.9"][0]')" = 2 ] ||
	fail "A.8.9 passed in 2 of the 3 runs"

# No secret anywhere: not in the ZIP bytes, not in the extracted files.
for s in "$PW1" "$PW2" "$PW3" "$KEYLINE"; do
	CHECKS=$((CHECKS + 1))
	grep -qaF -- "$s" "$T/b.zip" && fail "secret '${s:0:12}...' found in the ZIP"
	grep -raqF -- "$s" "$T/x" && fail "secret '${s:0:12}...' found in the extracted bundle"
done
grep -rqF "[REDACTED]" "$T/x/evidence" || fail "evidence shows no redaction"

# Tampering: one byte of every file, deleting every file, adding one,
# replacing the signature and the certificate: verify exits 1, names it.
cat >"$T/tamper.py" <<'PY'
import sys, zipfile
src, dst, mode, name = sys.argv[1:5]
extra = sys.argv[5] if len(sys.argv) > 5 else None
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
    for i in zi.infolist():
        data = zi.read(i.filename)
        if i.filename == name:
            if mode == "delete":
                continue
            if mode == "flip":
                pos = len(data) // 2
                data = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
            if mode == "replace":
                data = open(extra, "rb").read()
        zo.writestr(i, data)
    if mode == "add":
        zo.writestr(name, b"added later\n")
PY
while read -r f; do
	python3 "$T/tamper.py" "$T/b.zip" "$T/t.zip" flip "$f"
	expect_rc 1 "$ANNEXA" verify "$T/t.zip"
	expect_out "$f"
	python3 "$T/tamper.py" "$T/b.zip" "$T/t.zip" delete "$f"
	expect_rc 1 "$ANNEXA" verify "$T/t.zip"
	expect_out "$f"
done <"$T/present"
python3 "$T/tamper.py" "$T/b.zip" "$T/t.zip" add "evidence/appconf/extra.txt"
expect_rc 1 "$ANNEXA" verify "$T/t.zip"
expect_out "evidence/appconf/extra.txt is in the bundle but not listed"
# Signature by another key over the same manifest.
openssl cms -sign -binary -outform DER -in "$T/x/manifest.json" -signer "$T/other.crt" -inkey "$T/other.key" \
	-out "$T/other.sig" 2>/dev/null
python3 "$T/tamper.py" "$T/b.zip" "$T/t.zip" replace manifest.json.sig "$T/other.sig"
expect_rc 1 "$ANNEXA" verify "$T/t.zip"
expect_out "manifest.json.sig: signature does not verify"
# Certificate replaced (the attacker's own).
python3 "$T/tamper.py" "$T/b.zip" "$T/t.zip" replace signer.pem "$T/other.crt"
expect_rc 1 "$ANNEXA" verify "$T/t.zip"
expect_out "signature does not verify"
# Both replaced and the manifest re-signed by the attacker: the files still
# match, so only the trust decision (--ca) or the fingerprint catches it.
expect_rc 2 "$ANNEXA" verify
expect_rc 3 "$ANNEXA" verify "$T/nonexistent.zip"
printf 'not a zip' >"$T/junk.zip"
expect_rc 1 "$ANNEXA" verify "$T/junk.zip"

# Period export: only February's run; its excerpt still verifies and its
# first prev_hash is January's run hash.
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/feb.zip" --since 2026-02-01 --until 2026-02-28
expect_rc 0 "$ANNEXA" verify "$T/feb.zip"
expect_out "1 runs chained, 1 content hashes recomputed"
mkdir "$T/f" && (cd "$T/f" && unzip -q "$T/feb.zip")
expect_rc 0 "$ANNEXA" -c "$C" ledger --json list
cp "$T/out" "$T/ledger.all"
jan=$(jsonq "$T/ledger.all" 'd[0]["hash"]')
[ "$(jsonq "$T/f/ledger.json" 'd["runs"][0]["prev_hash"]')" = "$jan" ] || fail "February's excerpt does not chain to January"
[ "$(jsonq "$T/f/ledger.json" 'd["runs"][0]["started_at"]')" = 2026-02-10T10:00:00Z ] || fail "wrong run in the period"
[ "$(jsonq "$T/f/manifest.json" 'd["period"]["until"]')" = 2026-02-28T23:59:59Z ] || fail "--until date is the end of the day"
[ "$(python3 -c 'import json,sys; print(len({json.loads(l)["run"] for l in open(sys.argv[1])}))' "$T/f/results.jsonl")" = 1 ] ||
	fail "results.jsonl of the period holds other runs"
expect_rc 2 "$ANNEXA" -c "$C" export -o "$T/bad.zip" --since 2026-03-01 --until 2026-02-01
expect_rc 2 "$ANNEXA" -c "$C" export -o "$T/bad.zip" --since yesterday
[ ! -e "$T/bad.zip" ] || fail "a failed export left a file"

# The report outside a bundle.
expect_rc 0 "$ANNEXA" -c "$C" report -o "$T/r.html"
[ "$(grep -c '<tr class="control' "$T/r.html")" = 93 ] || fail "report.html lacks one row per control"
for cmd in export verify keygen report; do
	expect_rc 0 "$ANNEXA" "$cmd" --help
	expect_out "usage: annexa"
done
ls "$T"/*.tmp.* >/dev/null 2>&1 && fail "temporary files left behind"
done_tests
