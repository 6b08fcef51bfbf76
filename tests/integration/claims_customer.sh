#!/bin/bash
# The README's existing-customer claims at their boundaries (SQLite, no
# server): an order exactly at the collection counts as "at or before" it,
# one a second later does not; a notice exactly at the collection is "not
# later than" it, a second later is; a last order exactly at the
# customer-max-age cutoff is current, a second older is stale; a declared
# similarity works one way only (bought bikes may be advertised bike
# parts, bought bike parts may not be advertised bikes); maillog-consent
# counts a delivery exactly at the collection as consented and one a
# second before it as not (the delivery's time is the smtp line's).
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z # customer-max-age 730d: cutoff 2024-11-29 00:00:00
for f in generic-schema generic-customer; do sqlite3 "$T/leads.db" <"$FX/$f.sql" || fail "loading $f"; done
sqlite3 "$T/leads.db" <<'SQL' || fail "loading the boundary rows"
INSERT INTO lists VALUES (10, 'shop', 'single', 1), (11, 'parts-shop', 'single', 1);
INSERT INTO list_categories VALUES (10, 'bikes'), (10, 'bike-parts'), (11, 'bikes');
INSERT INTO leads VALUES
  (201, 'edge@example.com', '2026-05-01 10:00:00'), (202, 'late-sale@example.com', '2026-05-01 10:00:00'),
  (203, 'late-notice@example.com', '2026-05-01 10:00:00'), (204, 'cutoff@example.com', '2024-01-01 10:00:00'),
  (205, 'stale@example.com', '2024-01-01 10:00:00'), (206, 'parts@example.com', '2026-05-01 10:00:00');
INSERT INTO orders VALUES
  (1, 201, '2026-06-01 10:00:00', 'bikes'),      -- exactly at the collection
  (2, 202, '2026-06-01 10:00:01', 'bikes'),      -- a second after it
  (3, 203, '2026-05-01 10:00:00', 'bikes'),
  (4, 204, '2024-05-01 10:00:00', 'bikes'), (5, 204, '2024-11-29 00:00:00', 'bikes'), -- last: exactly the cutoff
  (6, 205, '2024-05-01 10:00:00', 'bikes'), (7, 205, '2024-11-28 23:59:59', 'bikes'), -- last: a second older
  (8, 206, '2026-05-01 10:00:00', 'bike-parts');
INSERT INTO subscriptions (lead_id, list_id, status, signup_at, confirmed_at, legal_basis, objection_notice_at) VALUES
  (201, 10, 'confirmed', '2026-06-01 10:00:00', '2026-06-01 10:00:00', 'existing_customer', '2026-06-01 10:00:00'),
  (202, 10, 'confirmed', '2026-06-01 10:00:00', '2026-06-01 10:00:00', 'existing_customer', '2026-06-01 10:00:00'),
  (203, 10, 'confirmed', '2026-06-01 10:00:00', '2026-06-01 10:00:00', 'existing_customer', '2026-06-01 10:00:01'),
  (204, 10, 'confirmed', '2024-06-01 10:00:00', '2024-06-01 10:00:00', 'existing_customer', '2024-06-01 10:00:00'),
  (205, 10, 'confirmed', '2024-06-01 10:00:00', '2024-06-01 10:00:00', 'existing_customer', '2024-06-01 10:00:00'),
  (206, 11, 'confirmed', '2026-06-01 10:00:00', '2026-06-01 10:00:00', 'existing_customer', '2026-06-01 10:00:00');
SQL
# campaign mail to the edge customer: a second before the collection, at
# it, and queued before it but delivered at it
n=0
deliver() { # QUEUED DELIVERED RCPT
	n=$((n + 1))
	local q
	q=$(printf 'C%04dQID' $n)
	echo "$1.000000+00:00 mx postfix/qmgr[103]: $q: from=<news@example.com>, size=1, nrcpt=1 (queue active)"
	echo "$2.000000+00:00 mx postfix/smtp[104]: $q: to=<$3>, relay=mx.example.com[192.0.2.25]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)"
	echo "$2.000000+00:00 mx postfix/qmgr[103]: $q: removed"
}
{
	deliver 2026-06-01T09:59:59 2026-06-01T09:59:59 edge@example.com
	deliver 2026-06-01T10:00:00 2026-06-01T10:00:00 edge@example.com
	deliver 2026-06-01T09:59:58 2026-06-01T10:00:00 edge@example.com
} >"$T/mail.log"
chmod 0755 "$T" && chmod 0644 "$T/leads.db" "$T/mail.log"
leads_conf "$T/annexa.conf"
cat >>"$T/annexa.conf" <<CONF
[probe "leads"]
	type = consent
	database = sqlite:$T/leads.db
	similar-categories = bikes: bike-parts, helmets
[probe "mail"]
	type = maillog-consent
	log = $T/mail.log
	campaign-sender = news@example.com
	database = sqlite:$T/leads.db
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
# each check: its count and the detail of every sample (one each)
got() {
	sqlite3 "$T/annexa.db" "select observed from results where instance = '$1' and check_id = '$2' order by rowid desc limit 1" |
		python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["count"], sorted(s.get("detail") or s.get("delivered_at") for s in d["samples"]))'
}
for want in \
	"consent.customer.no_sale|1 ['orders_only_after_collection']" \
	"consent.customer.no_notice|1 ['notice_after_collection']" \
	"consent.customer.stale_sale|1 ['last_order_before_cutoff']" \
	"consent.customer.dissimilar|1 ['parts-shop: bikes']"; do
	ok; [ "$(got leads "${want%%|*}")" = "${want#*|}" ] || fail "${want%%|*}: $(got leads "${want%%|*}"), want ${want#*|}"
done
ok; [ "$(got mail consent.mailed_without_consent)" = "1 ['2026-06-01T09:59:59Z']" ] ||
	fail "maillog-consent at the collection: $(got mail consent.mailed_without_consent)"

# A time not in the schema's form sorts wrongly as text: the late sale's
# collection stored as '2026-06-01T10:00:00Z' sorts after its order at
# '2026-06-01 10:00:01', so no_sale would pass it. The default queries
# that compare times are not believed then: error naming the column and
# its count; the one that reads no time (single opt-in lists) still runs,
# and an override is the user's own SQL and runs as written.
sqlite3 "$T/leads.db" "UPDATE subscriptions SET signup_at = '2026-06-01T10:00:00Z' WHERE lead_id = 202;
UPDATE orders SET ordered_at = 1780000000 WHERE id = 8" || fail "planting malformed times"
sed -i "/type = consent/a\\	query-inactive = SELECT email, 'x' FROM leads WHERE 0" "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
status_msg() { # CHECK: status|message of its newest result
	sqlite3 "$T/annexa.db" "select status || '|' || message from results where instance = 'leads' and check_id = '$1' order by rowid desc limit 1"
}
for c in consent.customer.no_sale consent.customer.stale_sale consent.doi.proof consent.unconfirmed.expired; do
	ok; case "$(status_msg $c)" in
	"error|not asked: the lead database has times not in the form YYYY-MM-DD HH:MM:SS"*"subscriptions.signup_at 1 row(s)"*"orders.ordered_at 1 row(s)"*) ;;
	*) fail "$c with malformed times: $(status_msg $c)" ;;
	esac
done
ok; case "$(status_msg consent.doi.single_optin_lists)" in error\|* | "") fail "single opt-in lists read no time: $(status_msg consent.doi.single_optin_lists)" ;; esac
ok; case "$(status_msg consent.inactive.retention)" in pass\|*) ;; *) fail "an override runs as written: $(status_msg consent.inactive.retention)" ;; esac
# the time-form queries are in the SQL artifact, where the auditor (and
# bench/consent.sh's peer run) finds every query that ran
ok; sqlite3 "$T/annexa.db" "select a.data from artifacts a join artifact_refs r on r.sha256 = a.sha256
	join artifact_links l on l.ref_id = r.id where r.instance = 'leads' and r.name = 'consent-queries.sql'
	order by l.run_id desc limit 1" | grep -q "^-- time form of orders" || fail "the time-form queries are not in consent-queries.sql"
done_tests
