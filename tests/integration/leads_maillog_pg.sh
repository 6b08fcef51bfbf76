#!/bin/bash
# The lead probes on a real PostgreSQL (temporary cluster, Unix socket
# only): `maillog-consent` with listmonk's tables and a generated Postfix
# log (campaign mail to confirmed, unconfirmed, unsubscribed and unknown
# addresses, before and after the unsubscribe grace, confirmation mails,
# deferred/bounced/other-sender noise), then with the generic schema on
# PostgreSQL (the same fixture the SQLite test uses, same counts), and the
# `consent` probe on the generic schema in PostgreSQL. Exact counts and
# control statuses through the real binary; then no planted address in
# the store, the output, the state folder or an exported bundle.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/pg.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
PLANTED='(conf|unconf|unsub|single|mixed|stranger|lead|pending)[0-9]+@example\.(org|net)|planted-[a-z]+@example\.org|good-[0-9]+@example\.org'

pg_start_test
mkdir -p "$T/lm" "$T/gen"
python3 "$FX/gen-maillog.py" listmonk "$T/lm"
python3 "$FX/gen-maillog.py" fixture "$T/gen"
pg_load_listmonk "$T/lm/listmonk.sql" || fail "loading listmonk data"
# the generic schema in two more databases: the maillog fixture's leads,
# and the planted `consent` violations
for db in genlog generic; do pg_createdb $db; PGDB=$db pg_sql "$FX/generic-schema.sql" || fail "generic schema in $db"; done
PGDB=genlog pg_sql "$T/gen/leads.sql" || fail "loading generic leads"
PGDB=generic pg_sql "$FX/generic-planted.sql" || fail "loading generic planted data"
ok

leads_conf "$T/annexa.conf"
cat >> "$T/annexa.conf" <<CONF
[probe "lm-campaigns"]
	type = maillog-consent
	log = $T/lm/mail.log
	campaign-sender = news@example.com
	campaign-sender = bounce+*@example.com
	database = $LEADS_PG_URI
	schema = listmonk
	batch-size = 11
[probe "gen-campaigns"]
	type = maillog-consent
	log = $T/gen/mail.log
	campaign-sender = news@example.com
	campaign-sender = bounce+*@example.com
	database = $(pg_uri genlog)
	schema = generic
[probe "gen-leads"]
	type = consent
	database = $(pg_uri generic)
	schema = generic
CONF
# listmonk's default consent-state query as an override: asked per batch
# (the path before the index), it must give the index's counts
cat >> "$T/annexa.conf" <<'CONF'
[probe "lm-batched"]
	type = maillog-consent
	campaign-sender = news@example.com
	campaign-sender = bounce+*@example.com
	schema = listmonk
	batch-size = 13
	query-consent-state = SELECT lower(s.email) AS address, extract(epoch FROM min(CASE WHEN l.optin = 'double' AND sl.status = 'confirmed' THEN sl.updated_at WHEN l.optin = 'double' AND sl.status = 'unconfirmed' THEN NULL ELSE sl.created_at END))::bigint AS consent_since, CASE WHEN bool_or(sl.status = 'confirmed' OR (l.optin = 'single' AND sl.status = 'unconfirmed')) THEN NULL ELSE extract(epoch FROM max(CASE WHEN sl.status = 'unsubscribed' THEN sl.updated_at END))::bigint END AS unsubscribed_at FROM subscribers s JOIN subscriber_lists sl ON sl.subscriber_id = s.id JOIN lists l ON l.id = sl.list_id WHERE lower(s.email) IN (SELECT jsonb_array_elements_text($1::jsonb)) GROUP BY lower(s.email)
CONF
printf '\tlog = %s\n\tdatabase = %s\n' "$T/lm/mail.log" "$LEADS_PG_URI" >> "$T/annexa.conf"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
"$ANNEXA" -c "$T/annexa.conf" collect >"$T/collect.out" 2>"$T/collect.err"
rc=$?
CHECKS=$((CHECKS + 1))
[ $rc = 1 ] || { fail "collect exit $rc (want 1)"; sed 's/^/    | /' "$T/collect.out" "$T/collect.err" | head -30 >&2; }
cat "$T/collect.out" "$T/collect.err" > "$T/out"
# listmonk: 13 without consent (6 unconfirmed, 2 unknown, 4 before the
# confirmation, 1 before a single-opt-in sign-up), 6 after the 48h grace
expect_out "fail  lm-campaigns consent.mailed_without_consent: 13 of 247 campaign deliveries"
expect_out "fail  lm-campaigns consent.mailed_after_unsubscribe: 6 of 247 campaign deliveries"
expect_out "fail  lm-batched consent.mailed_without_consent: 13 of 247 campaign deliveries"
expect_out "fail  lm-batched consent.mailed_after_unsubscribe: 6 of 247 campaign deliveries"
leads_same_verdicts lm-campaigns lm-batched
# generic schema on PostgreSQL: the counts the SQLite test asserts
expect_out "fail  gen-campaigns consent.mailed_without_consent: 12 of 286 campaign deliveries"
expect_out "fail  gen-campaigns consent.mailed_after_unsubscribe: 4 of 286 campaign deliveries"

expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
# probe/check -> "status message"
msg() { jsonq "$T/status.json" "sorted(set(k['status'] + ' ' + k['message'] for c in d['controls'] for k in c['checks'] if k['probe']=='$1' and k['check']=='$2'))"; }
want() {
	got=$(msg "$1" "$2")
	CHECKS=$((CHECKS + 1))
	case "$got" in "['$3"*) ;; *) fail "$1 $2: got $got, want '$3...'" ;; esac
}
want lm-campaigns consent.mailed_without_consent "fail 13 of 247"
want lm-campaigns consent.mailed_after_unsubscribe "fail 6 of 247"
want gen-leads consent.doi.proof "fail 3 confirmed double-opt-in subscription(s)"
want gen-leads consent.doi.single_optin_lists "fail 1 marketing list(s)"
want gen-leads consent.unconfirmed.expired "fail 1 unconfirmed sign-up(s)"
want gen-leads consent.erasure.overdue "fail 2 erasure/objection request(s)"
want gen-leads consent.inactive.retention "fail 1 contact(s)"
for c in A.5.31 A.5.34; do
	CHECKS=$((CHECKS + 1))
	[ "$(jsonq "$T/status.json" "[c['status'] for c in d['controls'] if c['id']=='$c'][0]")" = fail ] || fail "$c should fail"
done
# the observed values of the listmonk run: every sample reason, the
# deliveries that are not campaign mail, the files read
obs=$(sqlite3 "$T/annexa.db" "select observed from results where instance = 'lm-campaigns' and check_id = 'consent.mailed_without_consent'")
CHECKS=$((CHECKS + 1))
case "$obs" in *'"files":2'*'"other_deliveries":15'*'"unparsed_lines":0'*) ;; *) fail "observed lacks other deliveries/files: $obs" ;; esac

# A 6-day grace covers the late deliveries (the latest is 5d10h after)
# and changes nothing else.
sed -i '/^\tbatch-size = 11/a\	unsubscribe-grace = 6d' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe lm-campaigns
expect_out "2 pass, 1 fail" # and privacy.pseudonym_key
expect_no_out "consent.mailed_after_unsubscribe"
expect_out "fail  lm-campaigns consent.mailed_without_consent: 13 of 247 campaign deliveries"

expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
want lm-campaigns consent.mailed_after_unsubscribe "pass none of 247"

# Fixing the data: confirming the unconfirmed and adding the strangers at
# the right times, the without-consent count drops to the 5 deliveries
# before the sign-ups/confirmations.
pg_psql -c "
  UPDATE subscriber_lists SET status = 'confirmed', created_at = '2026-11-01 09:00:00', updated_at = '2026-11-01 09:05:00'
   WHERE status = 'unconfirmed' AND list_id = 1;
  INSERT INTO subscribers (id, uuid, email, name, created_at) VALUES
   (1001, md5('x1')::uuid, 'stranger1@example.org', 'x', '2026-11-01'), (1002, md5('x2')::uuid, 'stranger2@example.org', 'x', '2026-11-01');
  INSERT INTO subscriber_lists VALUES (1001, 1, '{}', 'confirmed', '2026-11-01 09:00:00', '2026-11-01 09:05:00'),
   (1002, 1, '{}', 'confirmed', '2026-11-01 09:00:00', '2026-11-01 09:05:00');" >/dev/null || fail "fixing data"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe lm-campaigns
expect_out "fail  lm-campaigns consent.mailed_without_consent: 5 of 247 campaign deliveries"

# A broken query override is an error naming the query, not a crash.
sed -i '/^\tunsubscribe-grace = 6d/a\	query-consent-state = SELECT nosuchcolumn FROM subscribers WHERE $1 IS NOT NULL' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe lm-campaigns
expect_out "error"
expect_out "consent-state query"
expect_no_out "postgresql:///"

# Privacy: no planted address in the store, the collector's output and
# stderr, the state folder or the exported bundle; the samples are there
# as pseudonyms.
leads_privacy "$PLANTED" "$T/collect.out" "$T/collect.err"
# the planted pattern does match the inputs: the privacy greps can fail
CHECKS=$((CHECKS + 1))
grep -aqiE "$PLANTED" "$T/lm/mail.log" && pg_psql -Atc "select email from subscribers limit 1" | grep -aqiE "$PLANTED" ||
	fail "the planted-address pattern matches nothing in the inputs"
done_tests
