#!/bin/bash
# report_change.sh - the report's overall figure says what changed since
# the previous period (the one of the same length that ends where the
# reported one starts): a `file` check that fails in the previous week and
# passes in this one moves one control from failing to partial (its
# coverage statement names needs no check answers); a period
# with no run before it says there is nothing to compare with; an
# unbounded period shows no comparison. The clock is set with ANNEXA_NOW.
. "$ANNEXA_SRC/tests/lib/common.sh"
mkdir -p "$T/site"
echo "tls = off" > "$T/site/app.conf"
cat >"$T/annexa.conf" <<CONF
[annexa]
	store = $T/annexa.db
	state-dir = $T/state
[probe "appconf"]
	type = file
	path = $T/site/app.conf
	contains = ^tls *= *on
	controls = A.8.9
CONF
ANNEXA_NOW=2026-11-29T23:00:00Z expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
echo "tls = on" > "$T/site/app.conf"
ANNEXA_NOW=2026-12-06T23:00:00Z expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" collect

# this week: A.8.9 passes; the week before it failed
ANNEXA_NOW=2026-12-07T00:00:00Z expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" report -o "$T/week.html" \
	--since 2026-11-30T00:00:00Z --until 2026-12-07T00:00:00Z
# change_line FILE: the comparison as text (tags removed)
change_line() { grep -o '<p class="change">.*</p>' "$1" | sed 's/<[^>]*>//g'; }
got=$(change_line "$T/week.html")
ok; [ "$got" = "Since the previous period (2026-11-23T00:00:00Z to 2026-11-30T00:00:00Z): partial +1, failing -1." ] ||
	fail "the change since the previous week: '$got'"
ok; grep -q '<span class="delta" data-status="partial">partial +1</span>' "$T/week.html" || fail "the delta is not marked up by status"

# the previous week itself: no run in the week before it
ANNEXA_NOW=2026-12-07T00:00:00Z expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" report -o "$T/prev.html" \
	--since 2026-11-23T00:00:00Z --until 2026-11-30T00:00:00Z
got=$(change_line "$T/prev.html")
ok; [ "$got" = "No collection run in the previous period (2026-11-16T00:00:00Z to 2026-11-23T00:00:00Z) to compare with." ] ||
	fail "a period without a previous one: '$got'"

# everything: no previous period
ANNEXA_NOW=2026-12-07T00:00:00Z expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" report -o "$T/all.html"
ok; ! grep -q 'class="change"' "$T/all.html" || fail "an unbounded period shows a comparison"
done_tests
