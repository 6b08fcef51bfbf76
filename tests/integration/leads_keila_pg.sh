#!/bin/bash
# The `consent` probe against a real PostgreSQL holding Keila's tables with
# generated contacts and planted violations: exact counts through the real
# binary, the skips with their reasons, Keila keeping no confirmation IP
# (require-ip fails every contact; without it only the missing times
# count), and no planted address in anything annexa writes. The
# confirmations population (every double_opt_in_at of the window) and a
# sample of it; `maillog-consent` with a generated Postfix log of planted
# deliveries.
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
# the confirmations population: the N generated double opt-ins (the
# planted ones are older than the window or have none), pseudonym/contact
leads_population keila "$N"

sed -i 's/^\tschema = keila$/&\n\trequire-ip = false/' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
want consent.doi.proof "fail 6 confirmed double-opt-in subscription(s)"
want consent.doi.ip_recording "skip require-ip is off"

# maillog-consent on Keila's tables: 13 campaign deliveries of a generated
# Postfix log; without consent 4 (1 before the double opt-in, 2 never
# confirmed, 1 not a contact); after the 48h grace 3: unsubscribed
# 2026-11-10 by an unsubscribe event and by a status_change event (both
# contacts edited later, on 11-20: the event's time counts), and status 1
# without an event (updated_at 11-10), mailed 11-13; not: an unreachable
# contact (a bounce is no unsubscribe), the same within the grace, and a
# confirmation mail from another sender.
mkdir -p "$T/kl"
python3 "$FX/gen-maillog.py" spec "$T/kl" <<'LOG'
2026-11-05T10:00:00 news@example.com user1@example.com user2@example.com user3@example.com User4@Example.COM
2026-10-30T10:00:00 news@example.com user10@example.com
2026-11-05T10:00:00 news@example.com planted-nodoi-1@example.com planted-nodoi-2@example.com stranger-1@example.com
2026-11-05T10:00:00 confirm@example.com planted-nodoi-3@example.com
2026-11-13T10:00:00 news@example.com user5@example.com user6@example.com user7@example.com user8@example.com
2026-11-11T00:00:00 news@example.com user6@example.com
LOG
pg_psql -c "
  UPDATE contacts SET status = 1, updated_at = '2026-11-20' WHERE email IN ('user5@example.com', 'user6@example.com');
  INSERT INTO contacts_events (contact_id, type, data, inserted_at)
    SELECT id, 3, '{}'::jsonb, timestamp '2026-11-10' FROM contacts WHERE email = 'user5@example.com'
    UNION ALL SELECT id, 10, '{\"status\": \"unsubscribed\"}'::jsonb, timestamp '2026-11-10' FROM contacts WHERE email = 'user6@example.com';
  UPDATE contacts SET status = 2, updated_at = '2026-11-10' WHERE email = 'user7@example.com';
  UPDATE contacts SET status = 1, updated_at = '2026-11-10' WHERE email = 'user8@example.com';" >/dev/null ||
	fail "planting Keila unsubscribes"
for p in keila-mail:keila wrong-engine:phplist; do
	printf '[probe "%s"]\n\ttype = maillog-consent\n\tlog = %s\n\tcampaign-sender = news@example.com\n\tdatabase = %s\n\tschema = %s\n' \
		"${p%:*}" "$T/kl/mail.log" "$LEADS_PG_URI" "${p#*:}" >> "$T/annexa.conf"
done
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe keila-mail --probe wrong-engine
cp "$T/out" "$T/mail.out"
leads_want keila-mail consent.mailed_without_consent "fail 4 of 13 campaign deliveries"
leads_want keila-mail consent.mailed_after_unsubscribe "fail 3 of 13 campaign deliveries"
leads_want wrong-engine consent.mailed_without_consent "error schema phplist lives in MariaDB/MySQL, but database names PostgreSQL"
leads_observed keila-mail consent.mailed_without_consent '"other_deliveries":1' "the confirmation mail is not other mail"

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
