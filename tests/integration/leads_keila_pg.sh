#!/bin/bash
# The `consent` probe against a real PostgreSQL holding Keila's tables with
# generated contacts and planted violations: exact counts through the real
# binary, the skips with their reasons, Keila keeping no confirmation IP
# (require-ip fails every contact; without it only the missing times
# count), and no planted address in anything annexa writes.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/pg.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
N=20000

pg_start || { fail "could not start PostgreSQL"; done_tests; exit 1; }
pg_sql "$FX/keila-schema.sql" && pg_sql "$FX/keila-generate.sql" -v n=$N || fail "loading Keila data"
ok

leads_conf "$T/annexa.conf"
cat >> "$T/annexa.conf" <<CONF
[probe "keila"]
	type = consent
	database = $LEADS_PG_URI
	schema = keila
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
want() { leads_want keila "$@"; }
want consent.doi.proof "fail $((N + 10)) confirmed double-opt-in subscription(s)"
want consent.doi.ip_recording "skip not applicable to schema keila: Keila keeps no confirmation IP at all"
want consent.doi.single_optin_lists "fail 2 marketing list(s)"
want consent.unconfirmed.expired "fail 5 unconfirmed sign-up(s)"
want consent.inactive.retention "fail 3 contact(s)"
want consent.erasure.overdue "skip not applicable to schema keila: Keila keeps no erasure"
want consent.unsubscribed.mailable "skip not applicable to schema keila: Keila has no lists"
CHECKS=$((CHECKS + 1))
sqlite3 "$T/annexa.db" "select observed from results where check_id = 'consent.doi.proof' order by rowid desc limit 1" |
	grep -q '"detail":"no_confirmation_ip_kept_by_keila"' || fail "the samples do not say Keila keeps no IP"

sed -i 's/^\tschema = keila$/&\n\trequire-ip = false/' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
want consent.doi.proof "fail 6 confirmed double-opt-in subscription(s)"
want consent.doi.ip_recording "skip require-ip is off"

# Fixed data passes.
pg_psql -c "UPDATE contacts SET double_opt_in_at = inserted_at WHERE double_opt_in_at IS NULL;
  DELETE FROM contacts_form_params; UPDATE contacts_forms SET settings = '{\"double_opt_in_required\": true}';" >/dev/null
"$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1
want consent.doi.proof "pass"
want consent.unconfirmed.expired "pass"
want consent.doi.single_optin_lists "pass"

# Privacy: no planted address in anything annexa writes.
leads_private "[a-z0-9-]+@example\.com"
CHECKS=$((CHECKS + 1))
pg_psql -Atc "select email from contacts where id = 1" | grep -qiE "[a-z0-9-]+@example\.com" ||
	fail "the address pattern matches nothing in the database"
done_tests
