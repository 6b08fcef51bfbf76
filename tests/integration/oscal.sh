#!/bin/bash
# The bundle's OSCAL as a tool follows it, with the real binary: three runs
# (pass, fail, pass again) exported twice at different times; in the
# unpacked bundle assessment-results.xml, assessment-plan.xml and
# catalog.xml validate against NIST's XSDs (xmllint) and
# assessment-results.json against NIST's JSON schema (python3-jsonschema);
# every href resolves inside the bundle from the document's folder (files
# exist and match their SHA-256 prop, #uuid fragments name an element of
# the document or of the plan or catalog), every control and objective
# reference resolves in the catalog, the recovered control says so, the
# JSON carries the XML's UUIDs, and the second export has the same
# observation, finding and result UUIDs.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
command -v xmllint >/dev/null || { echo "xmllint missing (apt-get install libxml2-utils)"; exit 1; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "python3-jsonschema missing (apt-get install python3-jsonschema)"; exit 1; }
S="$ANNEXA_SRC/tests/data/oscal"
file_site_conf "OSCAL Test GmbH"
cd "$T" || exit 1
ANNEXA_NOW=2026-03-10T10:00:00Z expect_rc 0 "$ANNEXA" -c "$C" collect
printf 'tls = off\n' >"$T/site/app.conf"
ANNEXA_NOW=2026-03-10T10:20:00Z expect_rc 1 "$ANNEXA" -c "$C" collect
printf 'tls = on\n' >"$T/site/app.conf"
ANNEXA_NOW=2026-03-10T10:40:00Z expect_rc 0 "$ANNEXA" -c "$C" collect
# Checks alone never make a control with a coverage statement pass: the
# baseline document answers A.8.9's needs (--answers), so it can be satisfied.
printf 'configuration baseline: tls on everywhere\n' >"$T/baseline.txt"
ANNEXA_NOW=2026-03-10T10:45:00Z expect_rc 0 "$ANNEXA" -c "$C" attach A.8.9 "$T/baseline.txt" --answers baselines,scope
expect_rc 0 "$ANNEXA" -c "$C" keygen
ANNEXA_NOW=2026-03-10T10:50:00Z expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b1.zip"
ANNEXA_NOW=2026-03-10T11:05:00Z expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b2.zip"
# The new files go through the manifest like every other.
expect_rc 0 "$ANNEXA" verify "$T/b1.zip"
expect_out "valid"
for b in b1 b2; do
	mkdir "$T/$b" && (cd "$T/$b" && unzip -q "$T/$b.zip") || fail "unzip $b failed"
done
O="$T/b1/oscal"
for f in assessment-results.xml assessment-results.json assessment-plan.xml catalog.xml; do
	[ -f "$O/$f" ] || fail "bundle lacks oscal/$f"
	grep -q "\"path\": \"oscal/$f\"" "$T/b1/manifest.json" || fail "manifest.json does not list oscal/$f"
done

# Schemas: NIST's XSDs and JSON schema.
expect_rc 0 xmllint --noout --nonet --schema "$S/oscal_assessment-results_schema-1.0.6.xsd" "$O/assessment-results.xml"
expect_rc 0 xmllint --noout --nonet --schema "$S/oscal_assessment-plan_schema-1.0.6.xsd" "$O/assessment-plan.xml"
expect_rc 0 xmllint --noout --nonet --schema "$S/oscal_catalog_schema-1.0.6.xsd" "$O/catalog.xml"
expect_rc 0 python3 "$ANNEXA_SRC/tests/lib/oscal_json_validate.py" "$S/oscal_assessment-results_schema-1.0.6.json" \
	"$O/assessment-results.json"
# The validator is live: a document without methods is refused.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["assessment-results"]["results"][0]["observations"][0]["methods"]; json.dump(d, open(sys.argv[2], "w"))' \
	"$O/assessment-results.json" "$T/bad.json"
expect_rc 1 python3 "$ANNEXA_SRC/tests/lib/oscal_json_validate.py" "$S/oscal_assessment-results_schema-1.0.6.json" "$T/bad.json"
expect_out "'methods' is a required property"

# Every href, every reference, as a tool would follow them.
cat >"$T/follow.py" <<'PY'
import hashlib, json, os, sys
import xml.etree.ElementTree as ET
root = os.path.realpath(sys.argv[1])
odir = os.path.join(root, "oscal")
NS = "{http://csrc.nist.gov/ns/oscal/1.0}"
docs = {n: ET.parse(os.path.join(odir, n)).getroot()
        for n in ("assessment-results.xml", "assessment-plan.xml", "catalog.xml")}
bad, checked = [], 0
def uuids(el):
    return {e.get("uuid") for e in el.iter() if e.get("uuid")}
def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
def follow(doc, href, where, sha256=None):
    global checked
    checked += 1
    if href.startswith("#"):
        frag = href[1:]
        if not any(frag in uuids(d) for d in (doc, docs["assessment-plan.xml"], docs["catalog.xml"])):
            bad.append(f"{where}: {href} names no element")
        return
    if "://" in href or href.startswith("/"):
        bad.append(f"{where}: {href} leaves the bundle")
        return
    path = os.path.realpath(os.path.join(odir, href.split("#")[0]))
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        bad.append(f"{where}: {href} does not resolve inside the bundle")
    elif sha256 and sha(path) != sha256:
        bad.append(f"{where}: {href} does not match its sha256 prop")
# XML: every attribute named href
for name, doc in docs.items():
    for el in doc.iter():
        if el.get("href") is None:
            continue
        sha256 = None
        for p in el.findall(NS + "prop"):
            if p.get("name") == "sha256":
                sha256 = p.get("value")
        if el.tag == NS + "relevant-evidence" and not sha256:
            bad.append(f"{name}: relevant-evidence {el.get('href')} without sha256 prop")
        follow(doc, el.get("href"), name, sha256)
# JSON: every "href" member
def walk(o, doc):
    if isinstance(o, dict):
        if "href" in o:
            sha256 = next((p["value"] for p in o.get("props", []) if p.get("name") == "sha256"), None)
            follow(doc, o["href"], "assessment-results.json", sha256)
        for v in o.values():
            walk(v, doc)
    elif isinstance(o, list):
        for v in o:
            walk(v, doc)
walk(json.load(open(os.path.join(odir, "assessment-results.json"))), docs["assessment-results.xml"])
# control and objective references resolve in the catalog
cat = docs["catalog.xml"]
controls = {c.get("id") for c in cat.iter(NS + "control")}
objectives = {p.get("id") for p in cat.iter(NS + "part") if p.get("id")}
for name in ("assessment-results.xml", "assessment-plan.xml"):
    for el in docs[name].iter():
        for attr, ids in (("control-id", controls), ("objective-id", objectives)):
            if el.get(attr) is not None:
                checked += 1
                if el.get(attr) not in ids:
                    bad.append(f"{name}: {attr}={el.get(attr)} is not in catalog.xml")
        if el.tag == NS + "target":
            checked += 1
            if el.get("target-id") not in objectives:
                bad.append(f"{name}: target-id={el.get('target-id')} is not an objective of catalog.xml")
# subjects and actors resolve in the document
ar = docs["assessment-results.xml"]
for el in ar.iter():
    for attr in ("subject-uuid", "actor-uuid", "observation-uuid", "component-uuid"):
        if el.get(attr) is not None:
            checked += 1
            if el.get(attr) not in uuids(ar):
                bad.append(f"assessment-results.xml: {attr}={el.get(attr)} names no element")
for b in bad:
    print(b)
print(f"{checked} references followed")
sys.exit(1 if bad or checked < 10 else 0)
PY
expect_rc 0 python3 "$T/follow.py" "$T/b1"
cat "$T/out"
# and the checker is live: a relevant-evidence href into oscal/evidence
# (where the old documents pointed) does not resolve
cp -r "$T/b1" "$T/broken"
sed -i 's|href="../evidence/|href="evidence/|' "$T/broken/oscal/assessment-results.xml"
expect_rc 1 python3 "$T/follow.py" "$T/broken"
expect_out "does not resolve inside the bundle"

# What an auditor's tool reads.
q() { python3 - "$O/assessment-results.xml" "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
ns = {"o": "http://csrc.nist.gov/ns/oscal/1.0"}
print(eval(sys.argv[2]))
PY
}
F="[f for f in r.iter('{%s}finding' % ns['o']) if f.find('o:target', ns).get('target-id') == 'a.8.9_obj'][0]"
ok; [ "$(q "r.find('o:import-ap', ns).get('href')")" = assessment-plan.xml ] || fail "import-ap does not name the plan"
ok; [ "$(q "[c.get('control-id') for c in r.iter('{%s}include-control' % ns['o'])]")" = "['a.8.9']" ] ||
	fail "reviewed-controls do not list exactly the assessed control: $(q "[c.get('control-id') for c in r.iter('{%s}include-control' % ns['o'])]")"
ok; [ "$(q "len(list(r.iter('{%s}include-all' % ns['o'])))")" = 0 ] || fail "reviewed-controls use include-all"
ok; [ "$(q "$F.find('o:target/o:status', ns).get('state')")" = satisfied ] || fail "A.8.9 not satisfied at the end"
ok; [ "$(q "[p.get('value') for p in $F.findall('o:prop', ns) if p.get('name') == 'period-status']")" = "['recovered']" ] ||
	fail "A.8.9 does not say it recovered"
ok; [ "$(q "[p.get('value') for p in $F.findall('o:prop', ns) if p.get('name') == 'runs-failed']")" = "['1/3']" ] ||
	fail "A.8.9 runs-failed: $(q "[p.get('value') for p in $F.findall('o:prop', ns) if p.get('name') == 'runs-failed']")"
# the failed run's observation is related and says it failed, with its evidence
HIST="[o for o in r.iter('{%s}observation' % ns['o']) if o.findtext('o:type', None, ns) == 'historic']"
ok; [ "$(q "sorted(p.get('value') for o in $HIST for p in o.findall('o:prop', ns) if p.get('name') == 'result')")" = "['fail']" ] ||
	fail "no historic observation of the failed run: $(q "[o.findtext('o:title', None, ns) for o in $HIST]")"
ok; [ "$(q "[o.findtext('o:collected', None, ns) for o in $HIST]")" = "['2026-03-10T10:20:00Z']" ] ||
	fail "historic observation time: $(q "[o.findtext('o:collected', None, ns) for o in $HIST]")"
ok; [ "$(q "set(o.get('uuid') for o in $HIST) <= set(x.get('observation-uuid') for x in $F.findall('o:related-observation', ns))")" = True ] ||
	fail "A.8.9's finding does not relate the failed run's observation"
ok; [ "$(q "len([e for o in $HIST for e in o.findall('o:relevant-evidence', ns)])")" -ge 1 ] ||
	fail "the failed run's observation carries no evidence"
ok; [ "$(q "sorted(set(o.findtext('o:method', None, ns) for o in r.iter('{%s}observation' % ns['o'])))")" = "['EXAMINE']" ] ||
	fail "file probe observations should be EXAMINE"
AUTO="[o for o in r.iter('{%s}observation' % ns['o']) if any(p.get('name') == 'check' for p in o.findall('o:prop', ns))]"
ok; [ "$(q "len($AUTO) > 0 and all(o.find('o:expires', ns) is not None and o.find('o:subject', ns) is not None and o.find('o:origin/o:actor', ns).get('type') == 'tool' for o in $AUTO)")" = True ] ||
	fail "an automated observation lacks expires, subject or tool origin"
ok; [ "$(q "[p.get('value') for p in r.iter('{%s}prop' % ns['o']) if p.get('name') == 'target']")" = "['$T/site/app.conf']" ] ||
	fail "the inventory item does not name the file: $(q "[p.get('value') for p in r.iter('{%s}prop' % ns['o']) if p.get('name') == 'target']")"

# UUIDs: the JSON carries the XML's; a later export of the same runs keeps them.
uuids_xml() { python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://csrc.nist.gov/ns/oscal/1.0}"
r = ET.parse(sys.argv[1]).getroot()
for t in ("result", "observation", "finding"):
    for e in r.iter(ns + t):
        print(t, e.get("uuid"))' "$1" | sort; }
uuids_json() { python3 -c '
import sys, json
for res in json.load(open(sys.argv[1]))["assessment-results"]["results"]:
    print("result", res["uuid"])
    for t in ("observation", "finding"):
        for e in res.get(t + "s", []):
            print(t, e["uuid"])' "$1" | sort; }
uuids_xml "$O/assessment-results.xml" >"$T/u1"
uuids_xml "$T/b2/oscal/assessment-results.xml" >"$T/u2"
uuids_json "$O/assessment-results.json" >"$T/u1j"
ok; [ "$(wc -l <"$T/u1")" -ge 5 ] || fail "too few UUIDs: $(cat "$T/u1")"
ok; cmp -s "$T/u1" "$T/u2" || fail "UUIDs differ between two exports of the same runs: $(diff "$T/u1" "$T/u2")"
ok; cmp -s "$T/u1" "$T/u1j" || fail "the JSON's UUIDs differ from the XML's: $(diff "$T/u1" "$T/u1j")"
ok; cmp -s "$O/assessment-results.xml" "$T/b2/oscal/assessment-results.xml" &&
	fail "the second export should differ (its last-modified and end)"
done_tests
