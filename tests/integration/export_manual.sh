#!/bin/bash
# Manual evidence in signed bundles, with the real binary: attached files
# land once under evidence/manual/<id>-<name> (however many controls),
# byte-identical and listed in the manifest; results.jsonl carries their
# metadata ("kind": "manual"); the OSCAL file has EXAMINE observations and
# validates against the NIST schema; report.html lists them per control
# with the expiring list; the bundle's control status equals `annexa
# status`; `annexa verify` passes, catches a changed manual record and
# still accepts the old per-control layout; a 100 MB file on two controls
# is in the bundle once and exports in bounded memory (peak RSS < 128 MB, measured when
# /usr/bin/time is there).
. "$ANNEXA_SRC/tests/lib/common.sh"
export ANNEXA_CONTROLS="${ANNEXA_CONTROLS:-$ANNEXA_SRC/controls}"
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
XSD="$ANNEXA_SRC/tests/data/oscal/oscal_assessment-results_schema-1.0.6.xsd"
C="$T/annexa.conf"
cat >"$C" <<'CONF'
[annexa]
	organization = Manual Test GmbH
	store = state/annexa.db
	state-dir = state
	expiry-warning = 30d
[probe "host"]
	type = file
	path = /etc/hostname
CONF
cd "$T" || exit 1
export ANNEXA_NOW=2026-06-01T00:00:00Z
echo "%PDF-1.4 information security policy v3" >"$T/policy.pdf"
printf 'screening record\n' >"$T/screening record (v2).txt"
echo "old supplier agreement" >"$T/supplier.pdf"
echo "last year's awareness plan" >"$T/awareness.pdf"
expect_rc 0 "$ANNEXA" -c "$C" keygen
expect_rc 0 "$ANNEXA" -c "$C" collect
# M-1: A.5.1 (expires within 30 days of ANNEXA_NOW: "expiring soon")
expect_rc 0 "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" --effective 2026-01-01 --expires 2026-06-20 \
	--owner "ISMS owner"
# M-2: two controls, two files, one name that needs sanitising
expect_rc 0 "$ANNEXA" -c "$C" attach A.6.1,A.6.2 "$T/policy.pdf" "$T/screening record (v2).txt" --valid 365d \
	--owner "HR" --note "screening v2"
# M-3: revoked; M-4: expired (dates in the past)
expect_rc 0 "$ANNEXA" -c "$C" attach A.5.20 "$T/supplier.pdf" --valid 365d --answers agreements
expect_rc 0 "$ANNEXA" -c "$C" attach --revoke M-3 --reason "replaced by the 2026 agreement"
expect_rc 0 "$ANNEXA" -c "$C" attach A.6.3 "$T/awareness.pdf" --effective 2025-01-01 --expires 2026-01-01
expect_rc 0 "$ANNEXA" -c "$C" collect

expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b.zip"
expect_rc 0 "$ANNEXA" verify "$T/b.zip"
expect_out "valid"
mkdir "$T/x" && (cd "$T/x" && unzip -q "$T/b.zip") || fail "unzip failed"

# files: once each (M-2's two controls share one copy), byte-identical,
# sanitised names, listed
same() { # bundle path, original
	CHECKS=$((CHECKS + 1))
	[ -f "$T/x/$1" ] || { fail "bundle lacks $1"; return; }
	cmp -s "$T/x/$1" "$2" || fail "$1 differs from $2"
	grep -qF "\"path\": \"$1\"" "$T/x/manifest.json" || fail "manifest.json does not list $1"
}
same evidence/manual/M-1-policy.pdf "$T/policy.pdf"
same evidence/manual/M-2-policy.pdf "$T/policy.pdf"
same "evidence/manual/M-2-screening_record__v2_.txt" "$T/screening record (v2).txt"
same evidence/manual/M-3-supplier.pdf "$T/supplier.pdf"
same evidence/manual/M-4-awareness.pdf "$T/awareness.pdf"
ok; [ "$(unzip -Z1 "$T/b.zip" | grep -c '^evidence/manual/')" = 5 ] ||
	fail "evidence/manual holds $(unzip -Z1 "$T/b.zip" | grep -c '^evidence/manual/') entries, want 5: $(unzip -Z1 "$T/b.zip" | grep '^evidence/manual/')"
(cd "$T/x" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c SHA256SUMS failed"
ok

# results.jsonl: one manual record per item with its metadata
cat >"$T/manual.py" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
m = {r["id"]: r for r in recs if r.get("kind") == "manual"}
print(sorted(m))
print(m["M-1"]["owner"], m["M-1"]["effective_at"], m["M-1"]["expires_at"], m["M-1"]["state_at_end"])
print(m["M-2"]["controls"], [f["name"] for f in m["M-2"]["files"]], m["M-2"]["note"])
print(sorted((e["control"], e["path"]) for e in m["M-2"]["evidence"]))
print(m["M-3"]["state"], m["M-3"]["revoke_reason"], m["M-4"]["state_at_end"])
print("answers", m["M-3"].get("answers"), m["M-1"].get("answers"))
# the attach/approve/revoke runs' own rows are there too, as check rows
print(sorted({r["check"] for r in recs if r.get("instance") == "manual"}))
PY
python3 "$T/manual.py" "$T/x/results.jsonl" >"$T/out" 2>&1 || fail "results.jsonl: $(cat "$T/out")"
expect_out "['M-1', 'M-2', 'M-3', 'M-4']"
expect_out "ISMS owner 2026-01-01T00:00:00Z 2026-06-20T00:00:00Z accepted" # no approval required: never "approved"
expect_out "['A.6.1', 'A.6.2'] ['policy.pdf', 'screening_record__v2_.txt'] screening v2"
expect_out "[('A.6.1', 'evidence/manual/M-2-policy.pdf'), ('A.6.1', 'evidence/manual/M-2-screening_record__v2_.txt'), ('A.6.2', 'evidence/manual/M-2-policy.pdf'), ('A.6.2', 'evidence/manual/M-2-screening_record__v2_.txt')]"
expect_out "revoked replaced by the 2026 agreement expired"
expect_out "answers ['A.5.20:agreements'] None" # the needs an item answers; none: no field
expect_out "['manual.A.5.1', 'manual.A.5.20', 'manual.A.6.1', 'manual.A.6.2', 'manual.A.6.3']"

# the bundle's control status is `annexa status`'s
"$ANNEXA" -c "$C" status --json >"$T/st.json"
for c in A.5.1 A.6.1 A.6.2 A.5.20 A.6.3 A.5.2; do
	CHECKS=$((CHECKS + 1))
	want=$(jsonq "$T/st.json" "[x['status'] for x in d['controls'] if x['id']=='$c'][0]")
	got=$(jsonq "$T/x/controls.json" "[x['status'] for x in d['controls'] if x['id']=='$c'][0]")
	[ "$got" = "$want" ] || fail "$c: bundle says $got, annexa status says $want"
done
ok; [ "$(jsonq "$T/x/controls.json" "[x['status'] for x in d['controls'] if x['id']=='A.5.1'][0]")" = pass ] || fail "A.5.1 not pass"
ok; [ "$(jsonq "$T/x/controls.json" "[x['status'] for x in d['controls'] if x['id']=='A.6.3'][0]")" = stale ] || fail "A.6.3 not stale"
ok; [ "$(jsonq "$T/x/controls.json" "[(e['id'], e['control']) for e in d['expiring']]")" = "[('M-1', 'A.5.1')]" ] ||
	fail "controls.json expiring: $(jsonq "$T/x/controls.json" "d.get('expiring')")"

# OSCAL: one EXAMINE observation per item and control, valid
X="$T/x/oscal/assessment-results.xml"
xmllint --noout --schema "$XSD" "$X" >"$T/out" 2>&1 || fail "OSCAL does not validate: $(tail -3 "$T/out")"
ok
oscal() { python3 - "$X" "$1" <<'PY'
import sys, xml.etree.ElementTree as E
ns = {"o": "http://csrc.nist.gov/ns/oscal/1.0"}
r = E.parse(sys.argv[1]).getroot()
print(eval(sys.argv[2]))
PY
}
ok; [ "$(oscal "len([o for o in r.iter('{%s}observation' % ns['o']) if o.find('o:method', ns).text == 'EXAMINE' and any(p.get('name') == 'manual-evidence' for p in o.findall('o:prop', ns))])")" = 5 ] ||
	fail "OSCAL: want 5 EXAMINE observations (one per item and control: M-1, M-2 x2, M-3, M-4)"
ok; [ "$(oscal "sorted(e.get('href') for o in r.iter('{%s}observation' % ns['o']) if any(p.get('name') == 'control' and p.get('value') == 'A.6.2' for p in o.findall('o:prop', ns)) for e in o.findall('o:relevant-evidence', ns) if 'manual/' in e.get('href', ''))")" = \
	"['../evidence/manual/M-2-policy.pdf', '../evidence/manual/M-2-screening_record__v2_.txt']" ] ||
	fail "OSCAL: A.6.2's relevant evidence"
# every manual href resolves to a file of the bundle (relative to oscal/)
ok; [ "$(oscal "[h for h in (e.get('href') for e in r.iter('{%s}relevant-evidence' % ns['o'])) if 'manual/' in h and not __import__('os').path.isfile(__import__('os').path.join(sys.argv[1].rsplit('/', 1)[0], h))]")" = "[]" ] ||
	fail "OSCAL: manual hrefs that name no bundle file"
ok; [ "$(oscal "[f.find('o:target/o:status', ns).get('state') for f in r.iter('{%s}finding' % ns['o']) if f.find('o:target', ns).get('target-id') == 'a.5.1_obj']")" = "['satisfied']" ] ||
	fail "OSCAL: A.5.1 has no satisfied finding"

# report.html: per control, the expiring list
H="$T/x/report.html"
grep -qF '<a href="evidence/manual/M-1-policy.pdf">policy.pdf</a>' "$H" || fail "report lacks M-1's link"
ok
ok; [ "$(grep -c '<tr class="manual-item"' "$H")" = 5 ] || fail "report: want 5 manual rows (M-1, M-2 x2, M-3, M-4)"
ok; grep -q 'data-state="revoked"' "$H" || fail "report lacks the revoked item"
ok; grep -q 'data-state="expired"' "$H" || fail "report lacks the expired item"
ok; [ "$(grep -c '<tr class="expiring-item">' "$H")" = 1 ] || fail "report: expiring list"

# Re-makes DIR's manifest, signs it with the bundle key and zips DIR to OUT
# (what whoever changed a bundle would do: only the verifier's
# cross-checks see the change).
resign() {
	(cd "$1" && python3 - <<'PY'
import json, hashlib, os
m = json.load(open("manifest.json"))
have = {f["path"] for f in m["files"]}
for d, _, fs in os.walk("."):
    for f in fs:
        p = os.path.relpath(os.path.join(d, f), ".")
        if p.startswith("evidence/") and p not in have:
            m["files"].append({"path": p})
m["files"] = [f for f in m["files"] if os.path.exists(f["path"])]
def rehash(f):
    b = open(f["path"], "rb").read()
    f["size"], f["sha256"] = len(b), hashlib.sha256(b).hexdigest()
sums = [f for f in m["files"] if f["path"] == "SHA256SUMS"]
for f in m["files"]:
    if f not in sums:
        rehash(f)
if sums:
    open("SHA256SUMS", "w").write("".join("%s  %s\n" % (f["sha256"], f["path"]) for f in m["files"] if f not in sums))
    rehash(sums[0])
json.dump(m, open("manifest.json", "w"), indent=2, sort_keys=True)
PY
	openssl cms -sign -binary -outform DER -in manifest.json -signer "$T/state/signing.crt" -inkey "$T/state/signing.key" \
		-out manifest.json.sig 2>/dev/null && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for d, _, fs in os.walk("."):
        for f in fs:
            z.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), "."))' "$2") || fail "re-signing failed"
}

# an old bundle (each file once per control, under evidence/manual/<control>/)
# still verifies: verify checks the files the manual lines name
cp -a "$T/x" "$T/old"
python3 - "$T/old" <<'PY'
import json, os, shutil, sys
os.chdir(sys.argv[1])
moved, first = {}, {}
out = []
for l in open("results.jsonl").read().splitlines():
    j = json.loads(l)
    if j.get("kind") == "manual":
        for e in j["evidence"]:
            new = "evidence/manual/%s/%s" % (e["control"], os.path.basename(e["path"]))
            os.makedirs(os.path.dirname(new), exist_ok=True)
            shutil.copyfile(e["path"], new)
            moved[e["path"]] = 1
            first.setdefault(e["path"], new)
            e["path"] = new
    out.append(json.dumps(j, sort_keys=True, separators=(",", ":")))
open("results.jsonl", "w").write("\n".join(out) + "\n")
for p in moved:
    os.remove(p)
t = open("ledger.json").read()
for a, b in first.items():
    t = t.replace('"%s"' % a, '"%s"' % b)
open("ledger.json", "w").write(t)
PY
resign "$T/old" "$T/old.zip"
ok; [ "$(unzip -Z1 "$T/old.zip" | grep -c '^evidence/manual/A\.6\.[12]/M-2-')" = 4 ] || fail "old layout not made"
expect_rc 0 "$ANNEXA" verify "$T/old.zip"
expect_out "valid"

# a changed manual record is caught
python3 - "$T/x/results.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
out = []
for l in lines:
    j = json.loads(l)
    if j.get("kind") == "manual" and j["id"] == "M-1":
        j["evidence"][0]["sha256"] = "0" * 64
    out.append(json.dumps(j, sort_keys=True, separators=(",", ":")))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
resign "$T/x" "$T/t.zip"
expect_rc 1 "$ANNEXA" verify "$T/t.zip"
expect_out "manual evidence M-1"

# 100 MB attached file: export and verify in bounded memory
head -c 100M /dev/urandom >"$T/scan.pdf"
expect_rc 0 "$ANNEXA" -c "$C" attach A.7.10,A.8.10 "$T/scan.pdf"
if [ -x /usr/bin/time ]; then
	expect_rc 0 /usr/bin/time -v "$ANNEXA" -c "$C" export -o "$T/big.zip"
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/out")
	echo "100 MB export: peak RSS ${rss} kB"
	ok; [ -n "$rss" ] && [ "$rss" -lt 131072 ] || fail "export peak RSS ${rss} kB >= 128 MB"
	expect_rc 0 /usr/bin/time -v "$ANNEXA" verify "$T/big.zip"
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/out")
	echo "100 MB verify: peak RSS ${rss} kB"
	ok; [ -n "$rss" ] && [ "$rss" -lt 131072 ] || fail "verify peak RSS ${rss} kB >= 128 MB"
else
	echo "NOTE: /usr/bin/time missing (apt-get install time): memory not measured"
	expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/big.zip"
	expect_rc 0 "$ANNEXA" verify "$T/big.zip"
fi
# verify of a large bundle: a progress line on a TTY only (script(1) gives one)
"$ANNEXA" verify "$T/big.zip" >"$T/out" 2>&1
ok; ! grep -q 'files hashed' "$T/out" || fail "verify printed progress without a TTY"
if command -v script >/dev/null; then
	script -qec "'$ANNEXA' verify '$T/big.zip'" /dev/null >"$T/out" 2>&1 || fail "verify on a TTY failed: $(tail -2 "$T/out")"
	ok; grep -qE 'verify: [0-9]+/[0-9]+ files hashed, [0-9]+ MiB' "$T/out" || fail "verify on a TTY: no progress line: $(head -c 400 "$T/out")"
fi
unzip -p "$T/big.zip" evidence/manual/M-5-scan.pdf | cmp -s - "$T/scan.pdf" || fail "100 MB file differs in the bundle"
ok
# on two controls, stored once: one entry, and the bundle about 1x the file
ok; [ "$(unzip -Z1 "$T/big.zip" | grep -c 'M-5-scan\.pdf$')" = 1 ] || fail "the 100 MB file is in the bundle more than once"
size=$(stat -c %s "$T/big.zip")
echo "100 MB file on two controls: bundle ${size} bytes"
ok; [ "$size" -lt $((130 * 1024 * 1024)) ] || fail "bundle is ${size} bytes for one 100 MB file (stored twice?)"
rm -f "$T/scan.pdf" "$T/big.zip"
done_tests
