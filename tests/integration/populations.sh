#!/bin/bash
# Populations and samples through the real binary: the consent probe's
# confirmations population from a generic-schema SQLite lead database,
# collected twice (the list changes in between), exported, verified; the
# sample `annexa sample` draws from the store and from the bundle equals
# what a tiny independent Python script (hashlib + csv) draws from the
# bundle's files; a changed population file breaks `verify` and the sample.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
sqlite3 "$T/leads.db" < "$FX/generic-schema.sql" && sqlite3 "$T/leads.db" < "$FX/generic-planted.sql" || fail "loading leads"
leads_conf "$T/annexa.conf"
cat >> "$T/annexa.conf" <<CONF
[probe "leads"]
	type = consent
	database = sqlite:$T/leads.db
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
# 100 more confirmations, 20 of them before the window: 80 join the list
sqlite3 "$T/leads.db" <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO leads SELECT 5000 + i, 'bulk' || i || '@example.net', '2025-01-01 00:00:00' FROM n;
INSERT INTO subscriptions (lead_id, list_id, status, signup_at, signup_ip, confirmed_at, confirm_ip)
SELECT id, 1, 'confirmed', '2026-06-01 10:00:00', '192.0.2.1',
       CASE WHEN id <= 5020 THEN '2025-06-01 10:00:00' ELSE '2026-06-01 10:05:00' END, '192.0.2.1'
  FROM leads WHERE id > 5000;
SQL
export ANNEXA_NOW=2026-11-30T00:00:00Z
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
# the file left in the state folder went into the store
CHECKS=$((CHECKS + 1))
[ -z "$(ls -A "$T/state/leads/populations" 2>/dev/null)" ] || fail "population files left in the state folder"
# a partial list a dead run left is removed; a link planted as the
# populations folder is followed by nobody (the parent may be root)
mkdir -p "$T/victim" && echo keep > "$T/victim/keep.csv"
echo partial > "$T/state/leads/populations/old.csv"
ANNEXA_NOW=2026-11-30T01:00:00Z "$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1
CHECKS=$((CHECKS + 1))
[ ! -e "$T/state/leads/populations/old.csv" ] || fail "a partial population file was left"
rm -rf "$T/state/leads/populations" && ln -s "$T/victim" "$T/state/leads/populations"
ANNEXA_NOW=2026-11-30T02:00:00Z expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
expect_out "population confirmations not emitted"
CHECKS=$((CHECKS + 1))
[ -e "$T/victim/keep.csv" ] || fail "the collector deleted through a planted link"
rm "$T/state/leads/populations"
export ANNEXA_NOW=2026-11-30T03:00:00Z
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
rows=$(sqlite3 "$T/leads.db" "select count(*) from subscriptions s join lists l on l.id = s.list_id where l.optin = 'double' and s.status in ('confirmed','unsubscribed') and s.confirmed_at >= '2025-11-30 03:00:00'")
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" sample leads/confirmations --seed audit-2026 --json
cp "$T/out" "$T/store.json"
CHECKS=$((CHECKS + 1))
[ "$(jsonq "$T/store.json" 'd["rows"]')" = "$rows" ] || fail "population rows $(jsonq "$T/store.json" 'd["rows"]'), want $rows"
CHECKS=$((CHECKS + 1))
[ "$(jsonq "$T/store.json" 'len(d["items"])')" = 60 ] || fail "default n of a several-a-day population is not 60"
CHECKS=$((CHECKS + 1))
case "$(jsonq "$T/store.json" 'd["n_source"]')" in "default for a control event several-a-day (25-60)") ;;
*) fail "n_source: $(jsonq "$T/store.json" 'd["n_source"]')" ;; esac
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" sample leads/confirmations --seed audit-2026
expect_out "AICPA Audit Guide"
expect_rc 2 "$ANNEXA" -c "$T/annexa.conf" sample leads/confirmations
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" sample leads/nosuch --seed x
expect_out "no population leads/nosuch"

# the bundle: both versions (the newest at the plain path), in the manifest
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" keygen --key "$T/sign.key" --cert "$T/sign.crt"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" export -o "$T/bundle.zip"
mkdir "$T/u" && (cd "$T/u" && unzip -q "$T/bundle.zip") || fail "unzip"
for f in populations/leads/confirmations.csv populations/leads/confirmations.provenance.json; do
	CHECKS=$((CHECKS + 1))
	grep -q "\"path\": \"$f\"" "$T/u/manifest.json" || fail "$f not in the manifest"
done
CHECKS=$((CHECKS + 1))
[ "$(ls "$T"/u/populations/leads/*/confirmations.csv | wc -l)" -ge 1 ] || fail "the older version is not kept by hash"
CHECKS=$((CHECKS + 1))
[ "$(jsonq "$T/u/populations/leads/confirmations.provenance.json" 'd["rows"]')" = "$rows" ] || fail "provenance rows"
CHECKS=$((CHECKS + 1))
[ "$(jsonq "$T/u/populations/leads/confirmations.provenance.json" 'd["sha256"]')" = "$(sha256sum < "$T/u/populations/leads/confirmations.csv" | cut -d' ' -f1)" ] ||
	fail "provenance sha256 is not the list's"
CHECKS=$((CHECKS + 1))
grep -q "hashlib.sha256((seed + ':' + item)" "$T/u/README.txt" || fail "README.txt lacks the sampling rule"

# the assessment plan names every population and the sampling method, schema-valid
S="$ANNEXA_SRC/tests/data/oscal"
expect_rc 0 xmllint --noout --nonet --schema "$S/oscal_assessment-plan_schema-1.0.6.xsd" "$T/u/oscal/assessment-plan.xml"
for want in 'name="sampling-method"' 'value="populations/leads/confirmations.csv"' 'value="populations/leads/runs.csv"' \
	"value=\"$(jsonq "$T/u/populations/leads/confirmations.provenance.json" 'd["sha256"]')\""; do
	CHECKS=$((CHECKS + 1))
	grep -qF "$want" "$T/u/oscal/assessment-plan.xml" || fail "assessment-plan.xml lacks $want"
done

# the runs of the instance: a population of control executions, built at export
CHECKS=$((CHECKS + 1))
[ "$(tail -n +2 "$T/u/populations/leads/runs.csv" | cut -d, -f1 | tr '\n' ' ')" = "run-1 run-2 run-3 run-4 run-5 " ] ||
	fail "runs population: $(cat "$T/u/populations/leads/runs.csv")"
CHECKS=$((CHECKS + 1))
grep -q '"path": "populations/leads/runs.csv"' "$T/u/manifest.json" || fail "runs.csv not in the manifest"
expect_rc 0 "$ANNEXA" sample leads/runs --seed s --json --bundle "$T/bundle.zip"
cp "$T/out" "$T/runs.json"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" sample leads/runs --seed s --json
CHECKS=$((CHECKS + 1))
cmp -s "$T/out" "$T/runs.json" || fail "the runs sample from the store differs from the bundle's"
CHECKS=$((CHECKS + 1))
[ "$(jsonq "$T/runs.json" 'len(d["items"])')" = 5 ] || fail "runs sample: $(cat "$T/runs.json")"

# an independent recomputation from the bundle's files alone
cat > "$T/recompute.py" <<'PY'
import csv, hashlib, sys
seed, n = sys.argv[2], int(sys.argv[3])
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
assert rows[0][0] == 'item'
ids = [r[0] for r in rows[1:]]
for i in sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())[:n]:
    print(i)
PY
for n in 1 7 60; do
	python3 "$T/recompute.py" "$T/u/populations/leads/confirmations.csv" audit-2026 $n > "$T/py.$n"
	"$ANNEXA" sample leads/confirmations --seed audit-2026 --n $n --json --bundle "$T/bundle.zip" > "$T/bundle.json" ||
		fail "sample --bundle --n $n"
	python3 -c "import json,sys; [print(i['item']) for i in json.load(open(sys.argv[1]))['items']]" "$T/bundle.json" > "$T/ax.$n"
	CHECKS=$((CHECKS + 1))
	cmp -s "$T/py.$n" "$T/ax.$n" || fail "n=$n: annexa sample --bundle differs from the independent script"
	CHECKS=$((CHECKS + 1))
	[ "$(wc -l < "$T/py.$n")" = $n ] || fail "n=$n: script drew $(wc -l < "$T/py.$n")"
done
python3 -c "import json,sys; [print(i['item']) for i in json.load(open(sys.argv[1]))['items']]" "$T/store.json" > "$T/ax.store"
CHECKS=$((CHECKS + 1))
cmp -s "$T/py.60" "$T/ax.store" || fail "the sample from the store differs from the bundle's"
# no address, only pseudonyms
CHECKS=$((CHECKS + 1))
! grep -rqE '@|example\.' "$T/u/populations" || fail "an address reached a population file"
CHECKS=$((CHECKS + 1))
[ -z "$(tail -n +2 "$T/u/populations/leads/confirmations.csv" | grep -vE '^p:[0-9a-f]{16}/[0-9]+,')" ] || fail "an item id is not a pseudonym"

# the sample as its own signed bundle: the run that holds the items,
# sample.json, the seed in the plan; verify and the openssl recipe accept it
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" sample leads/confirmations --seed audit-2026 --n 7 -o "$T/sample.zip"
expect_out "1 runs"
expect_rc 0 "$ANNEXA" verify "$T/sample.zip"
mkdir "$T/s" && (cd "$T/s" && unzip -q "$T/sample.zip") || fail "unzip sample"
CHECKS=$((CHECKS + 1))
(cd "$T/s" && openssl cms -verify -binary -inform DER -in manifest.json.sig -content manifest.json -CAfile signer.pem \
	-purpose any -out /dev/null 2>/dev/null && sha256sum -c --quiet SHA256SUMS) || fail "the openssl recipe refuses the sample bundle"
python3 -c "import json,sys; [print(i['item']) for i in json.load(open(sys.argv[1]))['items']]" "$T/s/sample.json" > "$T/ax.sample"
CHECKS=$((CHECKS + 1))
cmp -s "$T/py.7" "$T/ax.sample" || fail "sample.json differs from the independent script"
CHECKS=$((CHECKS + 1))
grep -q 'name="sample-seed" ns="urn:annexa:oscal" value="audit-2026"' "$T/s/oscal/assessment-plan.xml" || fail "the plan does not name the seed"
expect_rc 0 xmllint --noout --nonet --schema "$S/oscal_assessment-plan_schema-1.0.6.xsd" "$T/s/oscal/assessment-plan.xml"
CHECKS=$((CHECKS + 1))
cmp -s "$T/s/populations/leads/confirmations.csv" "$T/u/populations/leads/confirmations.csv" ||
	fail "the sample bundle lacks the sampled population"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" sample leads/runs --seed s --n 1 -o "$T/sample-runs.zip"
expect_out "1 runs"
expect_rc 2 "$ANNEXA" -c "$T/annexa.conf" sample leads/runs --seed s -o "$T/x.zip" --bundle "$T/bundle.zip"

# a changed population file: verify names it, the sample refuses it
expect_rc 0 "$ANNEXA" verify "$T/bundle.zip"
python3 - "$T/bundle.zip" "$T/tampered.zip" <<'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED)
for info in src.infolist():
    data = src.read(info.filename)
    if info.filename == 'populations/leads/confirmations.csv':
        lines = data.split(b'\n')
        data = b'\n'.join(lines[:1] + lines[2:])  # one item dropped
    dst.writestr(info.filename, data)
dst.close()
PY
expect_rc 1 "$ANNEXA" verify "$T/tampered.zip"
expect_out "populations/leads/confirmations.csv"
expect_rc 1 "$ANNEXA" sample leads/confirmations --seed audit-2026 --bundle "$T/tampered.zip"
expect_out "is not the one its provenance records"
done_tests
