#!/bin/bash
# The README's claims about the run calendar, attacked: runs exactly at
# --since and --until count, a leap day is a day and an impossible date is
# refused (not moved into March); and `verify` checks a bundle's
# period.json against its signed ledger, so a calendar forged to hide
# missed runs, to invent a day with evidence or to shrink the period is
# refused even when the bundle was signed again with its own key. Signed
# with another key, the forgery needs another signer.pem, which only a
# trust decision (--ca) tells from the genuine one.
. "$ANNEXA_SRC/tests/lib/common.sh"
FORGE="$ANNEXA_SRC/tests/lib/zipforge.py"
file_site_conf "Calendar Claims" "interval = 1h"
printf '[signing]\n\tkey = state/signing.key\n\tcertificate = state/signing.crt\n' >>"$C"
cd "$T" || exit 1
# hourly runs across the leap day: 23:00 on the 28th, 00:00 and 01:00,
# a gap to 06:00, 07:00, then one at midnight of 1 March
for t in 2028-02-28T23:00:00Z 2028-02-29T00:00:00Z 2028-02-29T01:00:00Z 2028-02-29T06:00:00Z \
	2028-02-29T07:00:00Z 2028-03-01T00:00:00Z 2028-03-01T00:00:01Z; do
	ANNEXA_NOW=$t "$ANNEXA" -c "$C" collect >/dev/null 2>&1 || fail "collect at $t"
done
export ANNEXA_NOW=2028-03-02T00:00:00Z
expect_rc 0 "$ANNEXA" -c "$C" keygen

# a run exactly at --since and one exactly at --until count; the one a
# second after --until does not
expect_rc 0 "$ANNEXA" -c "$C" period --since 2028-02-28T23:00:00Z --until 2028-03-01T00:00:00Z --json
cp "$T/out" "$T/bounds.json"
inst() { jsonq "$1" "[(i['first_run'], i['last_run'], i['expected'], i['observed'], i['missed'], [(g['from'], g['to'], g['missed']) for g in i['gaps']]) for i in d['instances']]"; }
ok; [ "$(inst "$T/bounds.json")" = "[('2028-02-28T23:00:00Z', '2028-03-01T00:00:00Z', 26, 6, 20, [('2028-02-29T02:00:00Z', '2028-02-29T06:00:00Z', 4), ('2028-02-29T08:00:00Z', '2028-03-01T00:00:00Z', 16)])]" ] ||
	fail "runs at the bounds: $(inst "$T/bounds.json")"
# the leap day is one day of 24 runs due; 2027 has no 29 February
expect_rc 0 "$ANNEXA" -c "$C" period --since 2028-02-29 --until 2028-02-29 --json
cp "$T/out" "$T/leap.json"
ok; [ "$(jsonq "$T/leap.json" "(d['since'], d['until'], d['days'], [(i['expected'], i['observed']) for i in d['instances']])")" = \
	"('2028-02-29T00:00:00Z', '2028-02-29T23:59:59Z', 1, [(24, 4)])" ] || fail "the leap day: $(head -c 400 "$T/leap.json")"
for bad in 2027-02-29 2100-02-29 2028-02-30 2028-04-31 2028-02-29T24:00:00Z; do
	expect_rc 2 "$ANNEXA" -c "$C" period --until "$bad"
	expect_rc 2 "$ANNEXA" -c "$C" export -o "$T/never.zip" --since "$bad"
done
ok; [ ! -e "$T/never.zip" ] || fail "a bundle was written for an impossible date"

# the bundle: four days, the first (27 February) without any run
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b.zip" --since 2028-02-27 --until 2028-03-01
expect_rc 0 "$ANNEXA" verify "$T/b.zip"
expect_out "calendar:  period.json agrees with the ledger (1 probe instances"
expect_out "runs:      1 populations/*/runs.csv rebuilt from the ledger"
mkdir "$T/x" && (cd "$T/x" && unzip -q "$T/b.zip") || fail "unzip"
ok; [ "$(jsonq x/period.json "(d['days'], [c['calendar'] for c in d['controls'] if c['control'] == 'A.8.9'], [i['missed'] for i in d['instances']])")" = \
	"(4, ['-ppp'], [42])" ] || fail "the bundle's calendar: $(head -c 600 x/period.json)"

# forge: FORGERY NAME PYTHON edits d (period.json) and writes the bundle
# re-signed with KEY/CERT (default: the bundle's own key)
forge() {
	local name=$1 code=$2 key=${3:-state/signing.key} crt=${4:-state/signing.crt}
	shift 2
	[ $# -ge 2 ] && shift 2
	python3 - x/period.json "$T/$name.json" "$code" <<'PY' || fail "editing period.json for $name"
import json, sys
d = json.load(open(sys.argv[1]))
A = [c for c in d['controls'] if c['control'] == 'A.8.9'][0]
I = d['instances'][0]
exec(sys.argv[3])
open(sys.argv[2], 'w').write(json.dumps(d, indent=1, sort_keys=True) + '\n')
PY
	python3 "$FORGE" "$T/b.zip" --resign "$T/$name.zip" "$key" "$crt" period.json="$T/$name.json" "$@" ||
		fail "zipforge $name"
}
# no missed runs: every control that sums the instance follows suit
hide='
I["expected"] = I["observed"]; I["missed"] = 0; I["gaps"] = []
for c in d["controls"]:
    c["runs_expected"], c["runs_missed"] = I["expected"], 0
'
forge no-missed "$hide"
expect_rc 1 "$ANNEXA" verify "$T/no-missed.zip"
expect_out "period.json: instance appconf: 7 runs expected, its runs in the ledger and its interval of 3600 s give 49"
# the gap made shorter, the runs missed moved into a gap that was shorter
forge short-gap 'I["gaps"][0]["to"] = "2028-02-29T03:00:00Z"; I["gaps"][0]["seconds"] = 3600'
expect_rc 1 "$ANNEXA" verify "$T/short-gap.zip"
expect_out "gap 1 is not the one its runs in the ledger leave (2028-02-29T02:00:00Z .. 2028-02-29T06:00:00Z, 4 missed)"
# a longer interval that would excuse the gaps: taken "from the runs" it
# must be their median spacing
forge interval 'I["interval"] = 86400; I["interval_source"] = "observed"; I["expected"] = 4; I["missed"] = 0; I["gaps"] = []
for c in d["controls"]:
    c["runs_expected"], c["runs_missed"] = 4, 0'
expect_rc 1 "$ANNEXA" verify "$T/interval.zip"
expect_out "interval 86400, the median spacing of its runs is 3600"
# a day with evidence on which nothing ran (counts and calendar agree)
forge invented-day 'A["calendar"] = "p" + A["calendar"][1:]; A["days_with_evidence"] += 1'
expect_rc 1 "$ANNEXA" verify "$T/invented-day.zip"
expect_out "period.json: control A.8.9: day 1 has evidence, but none of its instances reported that day in the ledger"
# the empty first day cut off: a shorter period with all days covered
shrink='
d["since"] = "2028-02-28T00:00:00Z"; d["days"] = 3
for c in d["controls"]:
    c["days"] = 3; c["calendar"] = c["calendar"][1:]
'
forge shrunk "$shrink"
expect_rc 1 "$ANNEXA" verify "$T/shrunk.zip"
expect_out "period.json: the period 2028-02-28T00:00:00Z .. 2028-03-01T23:59:59Z is not the one manifest.json and the ledger give"
# days alone: one letter a day of the period, not of what "days" says
forge days 'd["days"] = 3
for c in d["controls"]:
    c["days"] = 3; c["calendar"] = c["calendar"][1:]'
expect_rc 1 "$ANNEXA" verify "$T/days.zip"
expect_out "period.json: 3 days, its period 2028-02-27T00:00:00Z .. 2028-03-01T23:59:59Z has 4"
# what verify cannot check, and says so: the reason of a gap
forge why 'I["gaps"][0]["why"] = "daemon stopped"'
expect_rc 0 "$ANNEXA" verify "$T/why.zip"

# another key: the genuine signer.pem does not match its signature; with
# the forger's own signer.pem the signature holds, but the calendar check
# does not depend on who signed, and --ca with the genuine certificate
# tells the forger's bundle from the site's
expect_rc 0 "$ANNEXA" -c "$C" keygen --key "$T/other.key" --cert "$T/other.crt"
forge other-key "$hide" "$T/other.key" "$T/other.crt"
expect_rc 1 "$ANNEXA" verify "$T/other-key.zip"
expect_out "signer.pem"
forge other-signer "$hide" "$T/other.key" "$T/other.crt" signer.pem="$T/other.crt"
expect_rc 1 "$ANNEXA" verify "$T/other-signer.zip"
expect_out "period.json: instance appconf: 7 runs expected"
forge why-other "" "$T/other.key" "$T/other.crt" signer.pem="$T/other.crt"
expect_rc 0 "$ANNEXA" verify "$T/why-other.zip"
expect_rc 1 "$ANNEXA" verify --ca state/signing.crt "$T/why-other.zip"
done_tests
