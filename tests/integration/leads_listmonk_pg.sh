#!/bin/bash
# The `consent` probe against a real PostgreSQL holding listmonk's tables
# with 100 000 generated subscribers and planted violations of every
# check: exact counts through the real binary (collect, status --json),
# erasure `skip` for listmonk, and no planted address in the store. The
# confirmation IP is where listmonk writes it (meta optin_ip, a hop list
# from X-Forwarded-For is proof) and the setting privacy.record_optin_ip
# (off by default) is its own check.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/pg.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z

pg_start_test
pg_load_listmonk "$FX/listmonk-generate.sql" -v n=100000 || fail "loading listmonk data"
ok

leads_conf "$T/annexa.conf"
cat >> "$T/annexa.conf" <<CONF
[probe "listmonk"]
	type = consent
	database = $LEADS_PG_URI
	schema = listmonk
CONF
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
"$ANNEXA" -c "$T/annexa.conf" collect >"$T/collect.out" 2>"$T/collect.err"
rc=$?
CHECKS=$((CHECKS + 1))
[ $rc = 1 ] || fail "collect exit $rc (want 1)"
cp "$T/collect.out" "$T/out"
expect_out "fail  listmonk consent.doi.proof"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
# check id -> (status, message) over all controls
msg() { jsonq "$T/status.json" "[k['status'] + ' ' + k['message'] for c in d['controls'] for k in c['checks'] if k['check']=='$1'][0]"; }
want() {
	got=$(msg "$1")
	CHECKS=$((CHECKS + 1))
	case "$got" in "$2"*) ;; *) fail "$1: got '$got', want '$2...'" ;; esac
}
want consent.doi.proof "fail 53 confirmed double-opt-in subscription(s)"
want consent.doi.ip_recording "fail the confirmation IP is not being recorded (privacy.record_optin_ip is off"
want consent.doi.single_optin_lists "fail 1 marketing list(s)"
want consent.unconfirmed.expired "fail 100 unconfirmed sign-up(s)"
want consent.inactive.retention "fail 20 contact(s)"
want consent.erasure.overdue "skip not applicable to schema listmonk"
want consent.unsubscribed.mailable "pass"
[ "$(jsonq "$T/status.json" "[c['status'] for c in d['controls'] if c['id']=='A.8.10'][0]")" = fail ] || fail "A.8.10 should fail"
ok

# The setting turned on (as listmonk's admin stores it: JSONB true) passes.
# With the 37 empty and 13 early confirmations given a proper IP and time,
# only the 3 "[" are left: the hop lists are proof.
pg_psql -c "UPDATE settings SET value = 'true' WHERE key = 'privacy.record_optin_ip';
  UPDATE subscriber_lists SET meta = meta || '{\"optin_ip\": \"198.51.100.7\"}',
         updated_at = created_at + interval '1 minute' WHERE list_id = 1 AND subscriber_id <= 50;" >/dev/null
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe listmonk
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
want consent.doi.ip_recording "pass the confirmation IP is being recorded"
want consent.doi.proof "fail 3 confirmed double-opt-in subscription(s)"
CHECKS=$((CHECKS + 1))
sqlite3 "$T/annexa.db" "select observed from results where check_id = 'consent.doi.proof' order by rowid desc limit 1" |
	grep -q '"detail":"confirmation_ip_not_an_address"' || fail "the '[' samples lack their reason"
pg_psql -c "UPDATE subscriber_lists SET meta = '{}' WHERE list_id = 1 AND subscriber_id <= 37;
  UPDATE subscriber_lists SET updated_at = created_at WHERE list_id = 1 AND subscriber_id BETWEEN 38 AND 50;" >/dev/null

# require-ip = false drops the 37 confirmations without IP and the 3 "[";
# a query override replaces one question.
cat >> "$T/annexa.conf" <<CONF
	require-ip = false
	query-inactive = SELECT email, 'x' FROM subscribers WHERE id IN (1, 2, 3)
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
want consent.doi.proof "fail 13 confirmed double-opt-in subscription(s)"
want consent.doi.ip_recording "skip require-ip is off"
want consent.inactive.retention "fail 3 contact(s)"

# Fixing the data makes the checks pass.
pg_psql -c "
  UPDATE subscriber_lists SET updated_at = created_at + interval '1 minute' WHERE updated_at <= created_at;
  DELETE FROM subscriber_lists WHERE status = 'unconfirmed' AND list_id = 2 AND created_at < '2026-10-30';
  DELETE FROM subscriber_lists WHERE list_id = 3 AND status = 'unconfirmed';
  UPDATE lists SET optin = 'double' WHERE id = 3;" >/dev/null
sed -i 's/^\tquery-inactive.*/\tquery-inactive = SELECT email, 1 FROM subscribers WHERE false/' "$T/annexa.conf"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" collect --probe listmonk
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
want consent.doi.proof "pass"
want consent.unconfirmed.expired "pass"
want consent.doi.single_optin_lists "pass"

# Blocklisting unsubscribes every list in listmonk; two subscribers
# blocklisted behind its back keep their subscriptions: still mailable.
pg_psql -c "UPDATE subscribers SET status = 'blocklisted' WHERE id IN (1, 2)" >/dev/null
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe listmonk
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
want consent.unsubscribed.mailable "fail 2 unsubscribed or blocklisted address(es)"

# Privacy: no planted address in the store (results, artifacts), the
# collector's stdout and stderr, the state folder or an exported bundle.
leads_private "user[0-9]+@example\.com"
CHECKS=$((CHECKS + 1))
pg_psql -Atc "select email from subscribers where id = 1" | grep -qiE "user[0-9]+@example\.com" ||
	fail "the address pattern matches nothing in the database"
# the confirmations population (PostgreSQL rows one at a time): every
# confirmed double-opt-in subscription of the window, pseudonymous
population_csv "$T/annexa.db" listmonk confirmations > "$T/conf.csv"
want=$(pg_psql -Atc "select count(*) from subscriber_lists sl join lists l on l.id = sl.list_id
	where l.optin = 'double' and sl.status = 'confirmed' and sl.updated_at >= timestamptz '$ANNEXA_NOW' - interval '365 days'")
CHECKS=$((CHECKS + 1))
[ "$(tail -n +2 "$T/conf.csv" | wc -l)" = "$want" ] || fail "confirmations population: $(tail -n +2 "$T/conf.csv" | wc -l) rows, want $want"
CHECKS=$((CHECKS + 1))
[ "$want" -gt 0 ] && [ -z "$(tail -n +2 "$T/conf.csv" | grep -vE '^p:[0-9a-f]{16}/[0-9]+,')" ] || fail "confirmations items are not pseudonyms"
done_tests
