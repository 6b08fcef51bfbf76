#!/bin/bash
# `maillog-consent` through the real binary: a generated Postfix log
# (classic syslog, RFC 3339, rotated .1 and .2.gz, a queue id spanning a
# rotation, confirmation mails, a deferred delivery, noise) against a
# generic-schema SQLite lead database. Exact counts; then the privacy
# check: no planted address in the store, the logs or an exported bundle.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
mkdir -p "$T/log"
python3 "$FX/gen-maillog.py" fixture "$T/log"
sqlite3 "$T/leads.db" < "$FX/generic-schema.sql" && sqlite3 "$T/leads.db" < "$T/log/leads.sql" || fail "loading leads"
sqlite3 "$T/leads.db" < "$FX/generic-planted.sql" 2>/dev/null # ids collide on purpose; lists table already set
leads_conf "$T/annexa.conf"
cat >> "$T/annexa.conf" <<CONF
[probe "campaigns"]
	type = maillog-consent
	log = $T/log/mail.log
	campaign-sender = news@example.com
	campaign-sender = bounce+*@example.com
	database = sqlite:$T/leads.db
	batch-size = 7
[probe "leads"]
	type = consent
	database = sqlite:$T/leads.db
CONF
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
cp "$T/out" "$T/collect.out"
expect_out "fail  campaigns consent.mailed_without_consent: 12 of 286 campaign deliveries"
expect_out "fail  campaigns consent.mailed_after_unsubscribe: 4 of 286 campaign deliveries"
# A.8.11: the key of the pseudonyms in this evidence is private (both probes say so)
for p in campaigns leads; do
	got=$(sqlite3 "$T/annexa.db" "select status || ' ' || message from results where instance = '$p' and check_id = 'privacy.pseudonym_key'")
	CHECKS=$((CHECKS + 1))
	[ "$got" = "pass pseudonym key $T/pseudonym.key: 32 bytes, mode 0600 (owner only), configured" ] || fail "$p privacy.pseudonym_key: '$got'"
done
# the observed values: reasons of the samples, unparsed lines, files read
obs=$(sqlite3 "$T/annexa.db" "select observed from results where check_id = 'consent.mailed_without_consent'")
CHECKS=$((CHECKS + 1))
case "$obs" in *'"files":3'*'"unparsed_lines":1'*) ;; *) fail "observed lacks files/unparsed counts: $obs" ;; esac
CHECKS=$((CHECKS + 1))
case "$obs" in *'"reason":"before_confirmation"'*) ;; *) fail "first samples should be the October deliveries: $obs" ;; esac

# The consent state loaded once (the default) and asked per batch (the
# same query as an override, the path before the index): the same counts
# and samples, one query against many.
cat >> "$T/annexa.conf" <<'CONF'
[probe "campaigns-batched"]
	type = maillog-consent
	campaign-sender = news@example.com
	campaign-sender = bounce+*@example.com
	batch-size = 7
	query-consent-state = SELECT l.email AS address, MIN(unixepoch(s.confirmed_at)) AS consent_since, CASE WHEN MAX(s.status = 'confirmed') = 1 THEN NULL ELSE MAX(unixepoch(s.unsubscribed_at)) END AS unsubscribed_at FROM leads l JOIN subscriptions s ON s.lead_id = l.id WHERE l.email IN (SELECT value FROM json_each($1)) GROUP BY l.email
CONF
printf '\tlog = %s\n\tdatabase = sqlite:%s\n' "$T/log/mail.log" "$T/leads.db" >> "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe campaigns --probe campaigns-batched
expect_out "fail  campaigns-batched consent.mailed_without_consent: 12 of 286 campaign deliveries"
for c in consent.mailed_without_consent consent.mailed_after_unsubscribe; do
	same=$(for p in campaigns campaigns-batched; do
		sqlite3 "$T/annexa.db" "select json_remove(observed, '\$.queries') from results where instance = '$p' and check_id = '$c' order by rowid desc limit 1"
	done | uniq | wc -l)
	CHECKS=$((CHECKS + 1))
	[ "$same" = 1 ] || fail "$c: the index and the batched queries disagree"
done
q() { sqlite3 "$T/annexa.db" "select json_extract(observed, '\$.queries') from results where instance = '$1' and check_id = 'consent.mailed_without_consent' order by rowid desc limit 1"; }
CHECKS=$((CHECKS + 1))
[ "$(q campaigns)" = 1 ] && [ "$(q campaigns-batched)" = 41 ] || fail "queries: index $(q campaigns), batched $(q campaigns-batched) (want 1 and 41)"

# grace 6 days: the four late deliveries (5 days after) are within it
sed -i 's/^\tbatch-size = 7/\tunsubscribe-grace = 6d/' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe campaigns
expect_out "2 pass, 1 fail"
expect_no_out "consent.mailed_after_unsubscribe"
# a key others can read makes it fail, and A.8.11 with it
chmod 0644 "$T/pseudonym.key"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe campaigns
expect_out "fail  campaigns privacy.pseudonym_key: pseudonym key $T/pseudonym.key is mode 0644: group or others have access"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --control A.8.11
expect_out "A.8.11   fail"
chmod 0600 "$T/pseudonym.key"
# a missing log is an error for both checks, naming the file
sed -i "s#^\tlog = .*#\tlog = $T/nolog/mail.log#" "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe campaigns
expect_out "error"
expect_out "$T/nolog/mail.log"

# Privacy: no planted address in the store, the collector's output
# (stdout and stderr), the state folder or the bundle.
PLANTED='(lead|unsub|pending|stranger)[0-9]+@example\.net|planted-[a-z]+@example\.org'
leads_privacy "$PLANTED" "$T/collect.out"
# every population file: no address at all; the items that are about a
# person (a confirmation, a violating delivery) are pseudonyms
pops=$(unzip -Z1 "$T/bundle.zip" | grep '^populations/.*\.csv$')
for want in leads/confirmations campaigns/violations campaigns/deliveries-per-day; do
	CHECKS=$((CHECKS + 1))
	case "$pops" in *populations/$want.csv*) ;; *) fail "bundle lacks the population $want: $pops" ;; esac
done
for f in $pops; do
	CHECKS=$((CHECKS + 1))
	! unzip -p "$T/bundle.zip" "$f" | grep -aq '@' || fail "an address reached $f"
	case "$f" in */deliveries-per-day.csv | */runs.csv) continue ;; esac
	CHECKS=$((CHECKS + 1))
	[ -z "$(unzip -p "$T/bundle.zip" "$f" | tail -n +2 | grep -avE '^p:[0-9a-f]{16}[/,]')" ] || fail "$f: an item that is not a pseudonym"
done
# the newest violations population (grace 6 days: the 4 late deliveries
# are within it) lists every violation its checks counted, the first
# run's (grace 0) 12 + 4 are kept by hash
CHECKS=$((CHECKS + 1))
[ "$(unzip -p "$T/bundle.zip" populations/campaigns/violations.csv | tail -n +2 | wc -l)" = 12 ] ||
	fail "violations population: $(unzip -p "$T/bundle.zip" populations/campaigns/violations.csv | tail -n +2 | wc -l) rows, want 12"
CHECKS=$((CHECKS + 1))
for f in $(unzip -Z1 "$T/bundle.zip" | grep '^populations/campaigns/[0-9a-f]*/violations.csv$'); do
	unzip -p "$T/bundle.zip" "$f" | tail -n +2 | wc -l
done | grep -qx 16 || fail "the first run's violations population (16 rows) is not in the bundle"
CHECKS=$((CHECKS + 1))
[ "$(unzip -p "$T/bundle.zip" populations/campaigns/deliveries-per-day.csv | tail -n +2 | awk -F, '{n += $2} END {print n}')" = 286 ] ||
	fail "deliveries per day do not add up to the 286 campaign deliveries"
# the pattern matches the inputs, so the greps above can fail
CHECKS=$((CHECKS + 1))
zcat -f "$T/log/mail.log.2.gz" | grep -aqiE "$PLANTED" && sqlite3 "$T/leads.db" "select email from leads" | grep -aqiE "$PLANTED" ||
	fail "the planted-address pattern matches nothing in the inputs"
done_tests
