#!/bin/bash
# The README's claims about populations and samples, attacked. Items with
# a comma, a quote, a newline, CR and CRLF, a leading space, a colon,
# non-ASCII and a name that is not UTF-8 (backup-files' dump paths): the Python rule
# a bundle's README.txt prints, run as it stands, draws what `annexa
# sample` draws, for N up to beyond the population. A sample bundle whose
# sample.json was edited, or whose plan names another seed, is refused by
# `verify` even when signed again with its own key; a population edited
# consistently with its provenance breaks the ledger, not only the
# manifest.
. "$ANNEXA_SRC/tests/lib/common.sh"
FORGE="$ANNEXA_SRC/tests/lib/zipforge.py"
mkdir -p "$T/d"
dump() { printf -- '--\n-- PostgreSQL database dump\n--\n\n--\n-- PostgreSQL database dump complete\n--\n\n' >"$T/d/$1"; }
for n in 'a,b.sql' 'q"uote.sql' $'new\nline.sql' 'ü-unicode.sql' 'plain.sql' ' lead space.sql' \
	$'\xff-latin1.sql' 'x:y.sql' $'cr\rlf\r\n.sql'; do
	dump "$n"
done
# run as root, the probe drops to the annexa user when it exists
chmod 0755 "$T" "$T/d" && chmod 0644 "$T"/d/*
cat >"$T/annexa.conf" <<'EOF2'
[annexa]
	organization = Sample Claims
	store = state/annexa.db
	state-dir = state
[signing]
	key = state/signing.key
	certificate = state/signing.crt
[probe "dumps"]
	type = backup-files
	path = d
	encryption = optional
EOF2
C="$T/annexa.conf"
cd "$T" || exit 1
expect_rc 0 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" keygen
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b.zip"
expect_rc 0 "$ANNEXA" verify "$T/b.zip"
mkdir x && (cd x && unzip -q "$T/b.zip") || fail "unzip"

# the population is UTF-8 text with every dump, the one whose name is not
# UTF-8 included (its byte as \xFF), so it can be sampled at all
ok; [ "$(jsonq x/populations/dumps/dumps.provenance.json 'd["rows"]')" = 9 ] ||
	fail "population rows: $(cat x/populations/dumps/dumps.provenance.json)"
ok; grep -qF "$T/d/\\xFF-latin1.sql" x/populations/dumps/dumps.csv || fail "the non-UTF-8 name is not in the population as \\xFF"
ok; python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' x/populations/dumps/dumps.csv 2>/dev/null ||
	fail "the population is not UTF-8"

# the rule exactly as README.txt prints it
python3 - x/README.txt "$T/rule.py" <<'PY' || fail "README.txt has no sampling rule to run"
import sys, textwrap
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
start = next(i for i, l in enumerate(lines) if 'import csv, hashlib, sys' in l)
end = next(i for i in range(start, len(lines)) if 'print(item)' in lines[i])
open(sys.argv[2], 'w').write(textwrap.dedent('\n'.join(lines[start:end + 1])) + '\n')
PY
items() { python3 -c 'import json,sys; [print(i["item"]) for i in json.load(open(sys.argv[1]))["items"]]' "$1"; }
for seed in 'audit:2026 ü' ':' '"quoted", seed'; do
	for n in 1 4 100; do
		python3 "$T/rule.py" x/populations/dumps/dumps.csv "$seed" $n >"$T/py" || fail "the README.txt rule failed"
		expect_rc 0 "$ANNEXA" sample dumps/dumps --seed "$seed" --n $n --json --bundle "$T/b.zip"
		items "$T/out" >"$T/ax"
		ok; cmp -s "$T/py" "$T/ax" || fail "seed '$seed' n=$n: README.txt's rule and annexa sample differ: $(diff "$T/py" "$T/ax")"
		expect_rc 0 "$ANNEXA" -c "$C" sample dumps/dumps --seed "$seed" --n $n --json
		items "$T/out" >"$T/st"
		ok; cmp -s "$T/ax" "$T/st" || fail "seed '$seed' n=$n: the store's sample differs from the bundle's"
	done
done
# N beyond the population: all of it, and the output says how many
ok; [ "$(python3 "$T/rule.py" x/populations/dumps/dumps.csv s 100 | python3 -c 'import sys; print(len([l for l in sys.stdin.read().split(".sql") if l.strip()]))')" = 9 ] ||
	fail "the README.txt rule does not take the whole population for N > rows"
expect_rc 0 "$ANNEXA" -c "$C" sample dumps/dumps --seed s --n 100
expect_out "9 of them (--n)"

# a seed that is not UTF-8 has no key the README's rule computes: refused
# (before: --json printed nothing and -o signed an empty sample.json)
expect_rc 2 "$ANNEXA" -c "$C" sample dumps/dumps --seed $'\xff' --json
expect_out "--seed must be UTF-8 text"
expect_rc 2 "$ANNEXA" -c "$C" sample dumps/dumps --seed $'\xff' -o "$T/never.zip"
ok; [ ! -e "$T/never.zip" ] || fail "a sample bundle was written for a seed that is not UTF-8"

# the sample as a signed bundle; verify recomputes it
seed='audit:2026 ü'
expect_rc 0 "$ANNEXA" -c "$C" sample dumps/dumps --seed "$seed" --n 3 -o "$T/s.zip"
expect_rc 0 "$ANNEXA" verify "$T/s.zip"
expect_out "sample:    sample.json's 3 items redrawn from its population and seed"
expect_rc 0 "$ANNEXA" verify --json "$T/s.zip"
ok; [ "$(jsonq "$T/out" 'd["derived"]')" = "{'period_instances': 1, 'period_json': True, 'runs_populations': 1, 'sample_items': 3}" ] ||
	fail "verify --json derived: $(jsonq "$T/out" 'd.get("derived")')"
mkdir s && (cd s && unzip -q "$T/s.zip") || fail "unzip sample"
python3 "$T/rule.py" s/populations/dumps/dumps.csv "$seed" 3 >"$T/py3"
items s/sample.json >"$T/ax3"
ok; cmp -s "$T/py3" "$T/ax3" || fail "sample.json is not what README.txt's rule draws"
# forge NAME PYTHON [NAME=FILE...]: PYTHON edits s (sample.json) and p
# (the plan's text), the bundle is signed again with its own key
forge() {
	local name=$1 code=$2
	shift 2
	python3 - s/sample.json s/oscal/assessment-plan.xml "$T/$name" "$code" <<'PY' || fail "editing $name"
import hashlib, json, sys
s = json.load(open(sys.argv[1], encoding='utf-8'))
p = open(sys.argv[2], encoding='utf-8').read()
exec(sys.argv[4])
open(sys.argv[3] + '.json', 'w', encoding='utf-8').write(json.dumps(s, indent=2, sort_keys=True) + '\n')
open(sys.argv[3] + '.xml', 'w', encoding='utf-8').write(p)
PY
	python3 "$FORGE" "$T/s.zip" --resign "$T/$name.zip" state/signing.key state/signing.crt \
		sample.json="$T/$name.json" oscal/assessment-plan.xml="$T/$name.xml" "$@" || fail "zipforge $name"
}
# an easier item in place of the first one drawn (with its true key)
other=$(python3 "$T/rule.py" s/populations/dumps/dumps.csv "$seed" 9 | tail -1)
OTHER=$other forge swapped '
import os
o = os.environ["OTHER"]
s["items"][0]["item"] = s["items"][0]["row"]["item"] = o
s["items"][0]["key"] = hashlib.sha256((s["seed"] + ":" + o).encode()).hexdigest()'
expect_rc 1 "$ANNEXA" verify "$T/swapped.zip"
expect_out "sample.json: item 1 is not the one seed 'audit:2026 ü' draws from dumps/dumps"
# one item dropped
forge dropped 's["items"] = s["items"][:2]'
expect_rc 1 "$ANNEXA" verify "$T/dropped.zip"
expect_out "sample.json: 2 items of a population of 9 rows; seed 'audit:2026 ü' draws 3 of dumps/dumps's 9"
# the plan names another seed than the one the sample was drawn with
forge plan-seed 'p = p.replace("value=\"audit:2026 ü\"", "value=\"the auditor chose this\"")'
expect_rc 1 "$ANNEXA" verify "$T/plan-seed.zip"
expect_out "oscal/assessment-plan.xml: its sample-seed is not sample.json's seed 'audit:2026 ü'"
# what no signature can tell: another seed used consistently everywhere
# (the auditor compares it with the seed they chose)
forge reseeded '
s["seed"] = "friendly"
keyed = sorted((hashlib.sha256(("friendly:" + r["item"]).encode()).hexdigest(), r) for r in [i["row"] for i in s["items"]])
import csv
rows = list(csv.DictReader(open("s/populations/dumps/dumps.csv", newline="", encoding="utf-8")))
best = sorted(rows, key=lambda r: hashlib.sha256(("friendly:" + r["item"]).encode()).hexdigest())[:3]
s["items"] = [{"rank": k + 1, "key": hashlib.sha256(("friendly:" + r["item"]).encode()).hexdigest(), "item": r["item"], "row": r}
              for k, r in enumerate(best)]
p = p.replace("audit:2026 ü", "friendly")'
expect_rc 0 "$ANNEXA" verify "$T/reseeded.zip"

# cut_row CSV PROVENANCE OUT: OUT.csv, the list without its first item,
# and OUT.json, its provenance made to agree (rows, size, sha256)
cut_row() {
	python3 - "$@" <<'PY' || fail "cutting a row of $1"
import csv, hashlib, io, json, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
out = io.StringIO()
csv.writer(out, lineterminator='\n').writerows(rows[:1] + rows[2:])
data = out.getvalue().encode()
p = json.load(open(sys.argv[2]))
p['rows'] = len(rows) - 2; p['sha256'] = hashlib.sha256(data).hexdigest(); p['size'] = len(data)
open(sys.argv[3] + '.csv', 'wb').write(data)
open(sys.argv[3] + '.json', 'w').write(json.dumps(p, indent=2, sort_keys=True))
PY
}
# the population edited (a row removed) and its provenance with it: the
# manifest alone, or manifest and signature, still leave the ledger
cut_row s/populations/dumps/dumps.csv s/populations/dumps/dumps.provenance.json "$T/cut"
python3 - "$T/s.zip" "$T/cut-unsigned.zip" "$T/cut" <<'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED)
for i in src.infolist():
    data = src.read(i)
    if i.filename == 'populations/dumps/dumps.csv': data = open(sys.argv[3] + '.csv', 'rb').read()
    if i.filename == 'populations/dumps/dumps.provenance.json': data = open(sys.argv[3] + '.json', 'rb').read()
    dst.writestr(i.filename, data)
dst.close()
PY
expect_rc 1 "$ANNEXA" verify "$T/cut-unsigned.zip"
expect_out "populations/dumps/dumps.csv has been changed"
python3 "$FORGE" "$T/s.zip" --resign "$T/cut-signed.zip" state/signing.key state/signing.crt \
	populations/dumps/dumps.csv="$T/cut.csv" populations/dumps/dumps.provenance.json="$T/cut.json"
expect_rc 1 "$ANNEXA" verify "$T/cut-signed.zip"
expect_out "does not match the bundle's file"
# a provenance that claims another row count than its list has
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["rows"] += 5; open(sys.argv[2], "w").write(json.dumps(p))' \
	s/populations/dumps/dumps.provenance.json "$T/rows.json"
python3 "$FORGE" "$T/s.zip" --resign "$T/rows.zip" state/signing.key state/signing.crt \
	populations/dumps/dumps.provenance.json="$T/rows.json"
expect_rc 1 "$ANNEXA" verify "$T/rows.zip"
expect_out "artifact populations/dumps/dumps.provenance.json does not match the bundle's file"
expect_rc 1 "$ANNEXA" sample dumps/dumps --seed s --bundle "$T/rows.zip"
expect_out "the list (9 items"
# the runs population is built at export, outside the chain: a run left
# out of it (and its provenance made to agree) or an instance that never
# ran is refused; a sample of runs carries its excerpt's runs, which
# recompute the same sample
cut_row x/populations/dumps/runs.csv x/populations/dumps/runs.provenance.json "$T/runs"
python3 "$FORGE" "$T/b.zip" --resign "$T/runs-cut.zip" state/signing.key state/signing.crt \
	populations/dumps/runs.csv="$T/runs.csv" populations/dumps/runs.provenance.json="$T/runs.json"
expect_rc 0 "$ANNEXA" sample dumps/runs --seed s --bundle "$T/runs-cut.zip"
expect_rc 1 "$ANNEXA" verify "$T/runs-cut.zip"
expect_out "populations/dumps/runs.csv is not the runs of its instance in ledger.json"
python3 "$FORGE" "$T/b.zip" --resign "$T/ghost.zip" state/signing.key state/signing.crt \
	populations/ghost/runs.csv=x/populations/dumps/runs.csv
expect_rc 1 "$ANNEXA" verify "$T/ghost.zip"
expect_out "populations/ghost/runs.csv: its instance has no collection run in ledger.json"
expect_rc 0 "$ANNEXA" -c "$C" sample dumps/runs --seed s --n 1 -o "$T/runs-sample.zip"
expect_rc 0 "$ANNEXA" verify "$T/runs-sample.zip"
mkdir r && (cd r && unzip -q "$T/runs-sample.zip") || fail "unzip runs sample"
ok; [ "$(python3 "$T/rule.py" r/populations/dumps/runs.csv s 1)" = "$(items r/sample.json)" ] ||
	fail "README.txt's rule on the runs sample bundle draws another run than sample.json"
done_tests
