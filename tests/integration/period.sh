#!/bin/bash
# The run calendar (`annexa period`, a bundle's period.json): a control
# with evidence only on the last day of a 30-day period has 1 of 30 days,
# a control failing in every run passed 0 % of the period, and a real
# daemon stopped for a measured while and restarted shows exactly that gap
# (daemon stopped), with the expected and observed runs the ledger implies.
. "$ANNEXA_SRC/tests/lib/common.sh"
mkdir -p "$T/a" "$T/d"
# run as root, the probes drop to the annexa user when it exists: they
# must be able to reach the files they look at
chmod 0755 "$T" "$T/a" "$T/d"
echo data >"$T/a/a.txt"
chmod 0644 "$T/a/a.txt"
cat >"$T/a/annexa.conf" <<'EOF2'
[annexa]
	store = annexa.db
	organization = Example
[signing]
	key = signing.key
	certificate = signing.crt
[probe "good"]
	type = file
	path = a.txt
	mode-max = 0644
	controls = A.8.13
	interval = 1h
[probe "bad"]
	type = file
	path = a.txt
	mode-max = 0600
	controls = A.8.15
	interval = 1h
EOF2
# evidence only on the last day of November: three hourly runs
for t in 10:00 11:00 12:00; do
	ANNEXA_NOW=2026-11-30T${t}:00Z "$ANNEXA" -c "$T/a/annexa.conf" collect >/dev/null 2>&1
done
now=2026-12-05T00:00:00Z
ANNEXA_NOW=$now expect_rc 0 "$ANNEXA" -c "$T/a/annexa.conf" period --since 2026-11-01 --until 2026-11-30 --json
cp "$T/out" "$T/period.json"
ctl() { jsonq "$T/period.json" "[(c['days_with_evidence'], c['days'], c['calendar'], c['pass_share'], c['state'], c['runs_evaluated'], c['runs_passed']) for c in d['controls'] if c['control'] == '$1']"; }
ok; [ "$(ctl A.8.13)" = "[(1, 30, '$(printf -- '-%.0s' $(seq 29))p', 0.2857, 'stale', 3, 3)]" ] ||
	fail "A.8.13 (evidence on the last day only): $(ctl A.8.13)"
ok; [ "$(ctl A.8.15)" = "[(1, 30, '$(printf -- '-%.0s' $(seq 29))f', 0.0, 'fail', 3, 0)]" ] ||
	fail "A.8.15 (failing in every run): $(ctl A.8.15)"
# (A.8.13 passed until its evidence went stale 2 h after the last run:
# 4 h of the 14 h evaluated.) Per instance: first run 10:00, hourly, until
# 23:59:59: 14 runs due (10:00 .. 23:00), 3 ran; after the last run the
# 23:00 one has an interval of grace, 13:00 .. 22:00 were missed.
inst() { jsonq "$T/period.json" "[(i['interval'], i['interval_source'], i['first_run'], i['expected'], i['observed'], i['failed'], i['missed'], [(g['from'], g['to'], g['missed'], g['why']) for g in i['gaps']]) for i in d['instances'] if i['instance'] == '$1']"; }
ok; [ "$(inst good)" = "[(3600, 'config', '2026-11-30T10:00:00Z', 14, 3, 0, 10, [('2026-11-30T13:00:00Z', '2026-11-30T23:59:59Z', 10, None)])]" ] ||
	fail "instance good: $(inst good)"
ok; [ "$(jsonq "$T/period.json" "(d['since'], d['until'], d['days'], d['daemon'])")" = \
	"('2026-11-01T00:00:00Z', '2026-11-30T23:59:59Z', 30, [])" ] || fail "period bounds: $(head -c 300 "$T/period.json")"
# the text form: 80 columns, the same numbers
ANNEXA_NOW=$now expect_rc 0 "$ANNEXA" -c "$T/a/annexa.conf" period --control A.8.15 --since 2026-11-01 --until 2026-11-30
expect_out "A.8.15     fail           1/30      0 %      3/14"
expect_out "  -----------------------------f"
expect_out "  gap 2026-11-30T13:00:00Z .. 2026-11-30T23:59:59Z, 10 missed: reason unknown"
expect_no_out "good"
ok; [ "$(awk '{ if (length($0) > 80) n++ } END { print n + 0 }' "$T/out")" = 0 ] || fail "period prints lines over 80 columns"
expect_rc 2 "$ANNEXA" -c "$T/a/annexa.conf" period --control A.99.1
expect_out "no such Annex A control"
# the bundle carries the same calendar, signed, and verify checks it
ANNEXA_NOW=$now expect_rc 0 "$ANNEXA" -c "$T/a/annexa.conf" keygen
ANNEXA_NOW=$now expect_rc 0 "$ANNEXA" -c "$T/a/annexa.conf" export --since 2026-11-01 --until 2026-11-30 -o "$T/a.zip"
expect_rc 0 "$ANNEXA" verify "$T/a.zip"
mkdir -p "$T/x" && (cd "$T/x" && unzip -q "$T/a.zip")
ok; python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a != b)' \
	"$T/x/period.json" "$T/period.json" || fail "the bundle's period.json differs from period --json"
ok; grep -q '"path":"period.json"' "$T/x/manifest.json" || grep -q '"path": "period.json"' "$T/x/manifest.json" ||
	fail "manifest.json does not list period.json"
ok; grep -q '1 of 30 days with evidence' "$T/x/report.html" || fail "the report does not show the calendar figure (1 of 30 days)"
ok; grep -q '<title>run calendar, 30 days oldest first: fail 1 no evidence 29; 1 gap in the runs</title>' "$T/x/report.html" ||
	fail "the report's calendar of A.8.15 does not show its days and gap"
ok; grep -q '<tr class="run-calendar" data-missed="10"><td>good</td><td>1h</td><td>14</td><td>3</td><td>10</td><td><time datetime="2026-11-30T13:00:00Z">2026-11-30T13:00:00Z</time> to <time datetime="2026-11-30T23:59:59Z">2026-11-30T23:59:59Z</time>, 10 missed: reason unknown</td></tr>' "$T/x/report.html" ||
	fail "the report's run calendar table lacks instance good: $(grep -o '<tr class="run-calendar".*' "$T/x/report.html" | head -2)"
# OSCAL: each instance's calendar is an observation, schema-valid
S="$ANNEXA_SRC/tests/data/oscal"
O="$T/x/oscal"
if command -v xmllint >/dev/null && python3 -c 'import jsonschema' 2>/dev/null; then
	expect_rc 0 xmllint --noout --nonet --schema "$S/oscal_assessment-results_schema-1.0.6.xsd" "$O/assessment-results.xml"
	expect_rc 0 python3 "$ANNEXA_SRC/tests/lib/oscal_json_validate.py" "$S/oscal_assessment-results_schema-1.0.6.json" \
		"$O/assessment-results.json"
fi
obs() { jsonq "$O/assessment-results.json" "[(o['title'], {p['name']: p['value'] for p in o['props']}) for o in d['assessment-results']['results'][0]['observations'] if o['title'].startswith('Run calendar')]"; }
ok; [ "$(obs)" = "[('Run calendar of bad', {'instance': 'bad', 'interval-seconds': '3600', 'runs-expected': '14', 'runs-observed': '3', 'runs-missed': '10', 'gaps': '1'}), ('Run calendar of good', {'instance': 'good', 'interval-seconds': '3600', 'runs-expected': '14', 'runs-observed': '3', 'runs-missed': '10', 'gaps': '1'})]" ] ||
	fail "OSCAL calendar observations: $(obs)"
ok; [ "$(jsonq "$O/assessment-results.json" "[p['value'] for f in d['assessment-results']['results'][0]['findings'] if f['title'].startswith('A.8.15 ') for p in f['props'] if p['name'] == 'days-with-evidence']")" = "['1/30']" ] ||
	fail "the A.8.15 finding lacks days-with-evidence 1/30"

# The real daemon, 1 s interval: a few runs, stopped for a measured 3 s
# (the gap under test, not a synchronisation: three intervals, so at least
# two runs are missed), restarted, a few more runs.
IV=1 STOP=3
echo data >"$T/d/d.txt"
chmod 0644 "$T/d/d.txt"
cat >"$T/d/annexa.conf" <<EOF2
[annexa]
	store = annexa.db
[probe "d"]
	type = file
	path = d.txt
	mode-max = 0644
	interval = ${IV}s
EOF2
runs() { sqlite3 "$T/d/annexa.db" "select count(*) from runs where kind = 'collect'" 2>/dev/null || echo 0; }
start_daemon() {
	"$ANNEXA" -c "$T/d/annexa.conf" daemon --foreground 2>>"$T/d/daemon.log" &
	pid=$!
}
stop_daemon() { kill -9 "$pid" 2>/dev/null; }
add_cleanup stop_daemon
start_daemon
ok; wait_until 120 '[ "$(runs)" -ge 3 ]' || fail "daemon made $(runs) runs at a $IV s interval"
kill -TERM "$pid"
wait "$pid"
stopped=$(date +%s)
before=$(runs)
sleep "$STOP"
start_daemon
ok; wait_until 120 '[ "$(runs)" -ge $((before + 3)) ]' || fail "restarted daemon made $(( $(runs) - before )) runs"
kill -TERM "$pid"
wait "$pid"
# what the ledger says, computed independently of annexa's calendar
sqlite3 "$T/d/annexa.db" "select started_at from runs where kind = 'collect' order by id" >"$T/d/times"
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
first=$(head -1 "$T/d/times")
last=$(tail -1 "$T/d/times")
expect_rc 0 "$ANNEXA" -c "$T/d/annexa.conf" period --since "$(iso "$first")" --until "$(iso "$last")" --json
cp "$T/out" "$T/d/period.json"
python3 - "$T/d/times" "$T/d/period.json" "$stopped" "$before" "$IV" "$STOP" <<'EOF2' || fail "daemon calendar: see above"
import datetime, json, sys
t = [int(x) for x in open(sys.argv[1]).read().split()]
p = json.load(open(sys.argv[2]))
stopped, before, iv, stop = (int(x) for x in sys.argv[3:7])
iso = lambda s: datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
(i,) = [i for i in p["instances"] if i["instance"] == "d"]
want = {"expected": 1 + (t[-1] - t[0]) // iv, "observed": len(t),
        "gaps": [(iso(a + iv), iso(b), (b - a - 1) // iv) for a, b in zip(t, t[1:]) if b - a >= 2 * iv]}
got = {"expected": i["expected"], "observed": i["observed"],
       "gaps": [(g["from"], g["to"], g["missed"]) for g in i["gaps"]]}
bad = got != want
# the stop: the runs before and after it, and the daemon's own record
a, b = t[before - 1], t[before]
stop_gaps = [g for g in i["gaps"] if g["why"] == "daemon stopped"]
if [(g["from"], g["to"]) for g in stop_gaps] != [(iso(a + iv), iso(b))] or not (a <= stopped <= b) or b - a < stop:
    bad = True
    print("stop gap:", stop_gaps, "runs around the stop:", a, b, "stopped at", stopped)
if [e["event"] for e in p["daemon"] if iso(t[0]) < e["at"] < iso(t[-1])] != ["stop", "start"]:
    bad = True
    print("daemon events:", p["daemon"])
if bad:
    print("want", want, "\ngot ", got)
sys.exit(bad)
EOF2
done_tests
