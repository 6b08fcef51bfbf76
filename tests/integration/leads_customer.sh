#!/bin/bash
# The existing-customer exemption through the real binary, on SQLite and
# on a real PostgreSQL (temporary cluster, Unix socket only): the same
# planted database (generic-planted.sql, the migration
# generic-customer.sql, customer-planted.sql) gives the same exact counts
# for the four consent.customer.* checks and for the consent checks that
# must leave existing customers out; `maillog-consent` counts a delivery to
# an existing customer as consented only while an order precedes the
# collection and before the unsubscribe. Then: the declaration
# `similar-categories` decides and is recorded; a database without the
# optional parts gives `skip` with the reason; the cleaned database passes;
# no planted address anywhere annexa writes.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/pg.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
PLANTED='cust-[a-z]+@example\.com|(planted-[a-z]+|good-[0-9]+)@example\.org'
LAYERS="generic-schema generic-planted generic-customer customer-planted"

for f in $LAYERS; do sqlite3 "$T/leads.db" < "$FX/$f.sql" || fail "sqlite: loading $f"; done
pg_start || { fail "could not start PostgreSQL"; done_tests; exit 1; }
pg_createdb customer
for f in $LAYERS; do PGDB=customer pg_sql "$FX/$f.sql" || fail "postgresql: loading $f"; done
ok

# Campaign mail (news@): to the clean customer after and before the
# collection, to the one who never ordered, the one who ordered only
# after the collection, the unsubscribed one within and after the 48h
# grace, the wine list's (a condition maillog-consent does not judge), and
# a double opt-in subscriber, and an unknown address.
n=0
deliver() { # DATE RCPT
	n=$((n + 1))
	local q=$(printf 'C%04dQID' $n)
	echo "$1T10:00:00.000000+00:00 mx postfix/qmgr[103]: $q: from=<news@example.com>, size=1, nrcpt=1 (queue active)"
	echo "$1T10:00:01.000000+00:00 mx postfix/smtp[104]: $q: to=<$2>, relay=mx.example.com[192.0.2.25]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)"
	echo "$1T10:00:02.000000+00:00 mx postfix/qmgr[103]: $q: removed"
}
{
	deliver 2026-11-10 cust-ok@example.com
	deliver 2026-04-01 cust-ok@example.com     # before the sale: without
	deliver 2026-11-10 cust-nosale@example.com # without
	deliver 2026-11-10 cust-late@example.com   # without
	deliver 2026-10-02 cust-unsub@example.com  # within the grace
	deliver 2026-11-10 cust-unsub@example.com  # after
	deliver 2026-11-10 cust-wine@example.com
	deliver 2026-11-10 good-1@example.org
	deliver 2026-11-10 "$(printf 'x%.0s' $(seq 300))@example.net" # unknown, longer than the lookahead keeps
} > "$T/mail.log"

leads_conf "$T/annexa.conf"
for e in sqlite pg; do
	[ $e = sqlite ] && db="sqlite:$T/leads.db" || db=$(pg_uri customer)
	cat >> "$T/annexa.conf" <<CONF
[probe "leads-$e"]
	type = consent
	database = $db
	similar-categories = bikes: bike-parts, helmets
[probe "mail-$e"]
	type = maillog-consent
	log = $T/mail.log
	campaign-sender = news@example.com
	database = $db
CONF
done
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
"$ANNEXA" -c "$T/annexa.conf" collect >"$T/collect.out" 2>"$T/collect.err"
rc=$?
CHECKS=$((CHECKS + 1))
[ $rc = 1 ] || { fail "collect exit $rc (want 1)"; sed 's/^/    | /' "$T/collect.out" "$T/collect.err" | head -30 >&2; }
cat "$T/collect.out" "$T/collect.err" > "$T/out"
for e in sqlite pg; do
	expect_out "fail  leads-$e consent.customer.no_sale: 2 existing-customer subscription(s) without an order"
	expect_out "fail  leads-$e consent.customer.dissimilar: 2 existing-customer subscription(s)"
	expect_out "fail  leads-$e consent.customer.no_notice: 2 existing-customer subscription(s)"
	expect_out "fail  leads-$e consent.customer.stale_sale: 1 existing-customer subscription(s)"
	# existing customers need no double opt-in proof, and a list of only
	# existing customers runs no single opt-in; objections are counted
	expect_out "fail  leads-$e consent.doi.proof: 3 confirmed"
	expect_out "fail  leads-$e consent.doi.single_optin_lists: 1 marketing list(s)"
	expect_out "fail  leads-$e consent.erasure.overdue: 3 erasure/objection request(s)"
	expect_out "fail  leads-$e consent.inactive.retention: 2 contact(s)"
	expect_out "fail  mail-$e consent.mailed_without_consent: 4 of 9 campaign deliveries"
	expect_out "fail  mail-$e consent.mailed_after_unsubscribe: 1 of 9 campaign deliveries"
done
expect_no_out "error "
# the newest result of INSTANCE CHECK: its observed value, its status and message
obs() { sqlite3 "$T/annexa.db" "select observed from results where instance = '$1' and check_id = '$2' order by rowid desc limit 1"; }
res() { sqlite3 "$T/annexa.db" "select status || ' ' || message from results where instance = '$1' and check_id = '$2' order by rowid desc limit 1"; }
want() { # INSTANCE CHECK PREFIX
	local got
	got=$(res "$1" "$2")
	CHECKS=$((CHECKS + 1))
	case "$got" in "$3"*) ;; *) fail "$1 $2: got '$got', want '$3...'" ;; esac
}
# the samples name the reason; the declaration is recorded as evidence
for e in sqlite pg; do
	o=$(obs leads-$e consent.customer.dissimilar)
	CHECKS=$((CHECKS + 1))
	case "$o" in *'"detail":"gourmet: wine"'*'"detail":"shop-misc: no category declared"'*'"similar_categories":{"bikes":["bike-parts","helmets"]}'*) ;;
	*) fail "$e dissimilar observed: $o" ;; esac
	o=$(obs leads-$e consent.customer.no_sale)
	CHECKS=$((CHECKS + 1))
	case "$o" in *'"detail":"no_order"'*'"detail":"orders_only_after_collection"'*) ;; *) fail "$e no_sale observed: $o" ;; esac
	o=$(obs leads-$e consent.customer.no_notice)
	CHECKS=$((CHECKS + 1))
	case "$o" in *'"detail":"no_notice_recorded"'*'"detail":"notice_after_collection"'*) ;; *) fail "$e no_notice observed: $o" ;; esac
	o=$(obs leads-$e consent.customer.stale_sale)
	CHECKS=$((CHECKS + 1))
	case "$o" in *'"cutoff":"2024-11-29 00:00:00"'*) ;; *) fail "$e stale_sale observed: $o" ;; esac
	o=$(obs mail-$e consent.mailed_without_consent)
	CHECKS=$((CHECKS + 1))
	case "$o" in *'"reason":"before_confirmation"'*'"reason":"never_confirmed"'*'"reason":"never_confirmed"'*'"reason":"not_in_lead_database"'*) ;;
	*) fail "$e maillog reasons: $o" ;; esac
done
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" status --json
cp "$T/out" "$T/status.json"
for c in A.5.31 A.5.34; do
	CHECKS=$((CHECKS + 1))
	[ "$(jsonq "$T/status.json" "sorted({k['check'] for c in d['controls'] if c['id']=='$c' for k in c['checks'] if k['check'].startswith('consent.customer.')})")" = \
		"['consent.customer.dissimilar', 'consent.customer.no_notice', 'consent.customer.no_sale', 'consent.customer.stale_sale']" ] ||
		fail "$c does not list the four consent.customer checks"
done

# The declaration decides: without it every customer on the bikes and
# bike-parts list is dissimilar too (bike parts were never bought).
# A malformed one is an error naming it.
sed -i '/similar-categories/d' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe leads-sqlite
expect_out "fail  leads-sqlite consent.customer.dissimilar: 8 existing-customer subscription(s)"
sed -i '/^\[probe "leads-sqlite"\]/a\	similar-categories = bikes helmets' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe leads-sqlite
expect_out "error leads-sqlite consent.customer.dissimilar: similar-categories 'bikes helmets': want BOUGHT: CATEGORY"
sed -i '/similar-categories = bikes helmets/d' "$T/annexa.conf"
sed -i '/^\[probe "leads-/a\	similar-categories = bikes: bike-parts, helmets' "$T/annexa.conf"

# A customer-max-age of four years makes the 2024 order current.
sed -i '/^\[probe "leads-pg"\]/a\	customer-max-age = 1461d' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe leads-pg
want leads-pg consent.customer.stale_sale "pass "

# Without the optional parts: the database of an existing user (skip,
# saying why), and one with legal_basis only (the checks needing orders,
# list categories or the notice skip, naming what is missing).
sqlite3 "$T/old.db" < "$FX/generic-schema.sql" && sqlite3 "$T/old.db" < "$FX/generic-planted.sql" || fail "old.db"
cp "$T/old.db" "$T/basis.db"
sqlite3 "$T/basis.db" "ALTER TABLE subscriptions ADD COLUMN legal_basis TEXT NOT NULL DEFAULT 'consent'" || fail "basis.db"
cat >> "$T/annexa.conf" <<CONF
[probe "old"]
	type = consent
	database = sqlite:$T/old.db
[probe "basis"]
	type = consent
	database = sqlite:$T/basis.db
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe old --probe basis
for c in no_sale dissimilar no_notice stale_sale; do
	want old consent.customer.$c "skip the lead database has no subscriptions.legal_basis"
done
want basis consent.customer.no_sale "skip the lead database has no orders table"
want basis consent.customer.no_notice "skip the lead database has no subscriptions.objection_notice_at column"
# the consent checks are those of a database without the exemption
expect_out "fail  old consent.doi.proof: 3 confirmed"
expect_out "fail  basis consent.doi.proof: 3 confirmed"

# The clean case: with the misused subscriptions ended, every condition holds.
CLEAN="DELETE FROM subscriptions WHERE lead_id IN (102, 103, 104, 105, 106, 107, 110);"
sqlite3 "$T/leads.db" "$CLEAN" || fail "cleaning sqlite"
PGDB=customer pg_psql -c "$CLEAN" >/dev/null || fail "cleaning postgresql"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe leads-sqlite --probe leads-pg
for e in sqlite pg; do
	for c in no_sale dissimilar no_notice stale_sale; do want leads-$e consent.customer.$c "pass "; done
done

# listmonk: the README's example overrides, taken from the README, on
# listmonk's tables with a shop_orders table: cust-lm1 bought before the
# subscription, cust-lm2 never, cust-lm3 only in 2023 (stale), cust-lm4
# is a consent subscriber (not judged).
pg_sql "$FX/listmonk-schema.sql" || fail "listmonk schema"
pg_psql -c "
  CREATE TABLE shop_orders (email TEXT, ordered_at TIMESTAMPTZ, product_category TEXT);
  INSERT INTO lists (id, uuid, name, type, optin) VALUES (1, md5('l1')::uuid, 'shop', 'public', 'single');
  INSERT INTO subscribers (id, uuid, email, name, attribs) VALUES
    (1, md5('s1')::uuid, 'cust-lmone@example.com', 'x', '{\"legal_basis\": \"existing_customer\"}'),
    (2, md5('s2')::uuid, 'cust-lmtwo@example.com', 'x', '{\"legal_basis\": \"existing_customer\"}'),
    (3, md5('s3')::uuid, 'cust-lmthree@example.com', 'x', '{\"legal_basis\": \"existing_customer\"}'),
    (4, md5('s4')::uuid, 'cust-lmfour@example.com', 'x', '{}');
  INSERT INTO subscriber_lists (subscriber_id, list_id, status, created_at) VALUES
    (1, 1, 'unconfirmed', '2026-06-01'), (2, 1, 'unconfirmed', '2026-06-01'), (3, 1, 'unconfirmed', '2023-06-01'),
    (4, 1, 'unconfirmed', '2026-06-01');
  INSERT INTO shop_orders VALUES ('CUST-LMONE@example.com', '2026-05-31', 'bikes'), ('cust-lmthree@example.com', '2023-05-31', 'bikes');" \
	>/dev/null || fail "loading listmonk customers"
{
	printf '[probe "lm"]\n\ttype = consent\n\tschema = listmonk\n\tdatabase = %s\n' "$LEADS_PG_URI"
	sed -n '/^\[probe "leads"\]$/,/^```$/p' "$ANNEXA_SRC/README.md" | grep -E '^	query-customer-[a-z-]+ = .*shop_orders'
} >> "$T/annexa.conf"
CHECKS=$((CHECKS + 1))
[ "$(grep -c '^	query-customer-.*shop_orders' "$T/annexa.conf")" = 2 ] || fail "the README's listmonk example was not found"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe lm
want lm consent.customer.no_sale "fail 1 existing-customer"
want lm consent.customer.stale_sale "fail 1 existing-customer"
want lm consent.customer.dissimilar "skip not applicable to schema listmonk"

# Privacy: the samples are pseudonyms, no planted address anywhere.
leads_privacy "$PLANTED" "$T/collect.out" "$T/collect.err" "$T/out"
CHECKS=$((CHECKS + 1))
grep -aqiE "$PLANTED" "$T/mail.log" && sqlite3 "$T/leads.db" "select email from leads" | grep -aqiE "$PLANTED" ||
	fail "the planted-address pattern matches nothing in the inputs"
done_tests
