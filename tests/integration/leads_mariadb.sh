#!/bin/bash
# The `consent` probe against a private MariaDB server holding phpList 3's
# and Mautic's tables (one server for every case; its start time is
# printed), each with generated subscribers and planted violations: exact
# counts through the real binary, the skips with their reasons (Mautic
# without a DOI plugin has nothing to check), the password from a file or
# a my.cnf-style file (or, discouraged, the URI), never in the evidence, a read-only session, and no
# address anywhere annexa writes. The confirmations populations (phpList's
# history rows, the Mautic DOI plugin's audit rows; none without it) and
# `annexa sample` on them. Then `maillog-consent` on both with generated
# Postfix logs of planted deliveries. The server runs in UTC+1, as a
# phpList server may: phpList writes its local time, Mautic UTC.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/mariadb.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
N=20000
PW='s3cret-Ma1ia'

MY_OPTS=--default-time-zone=+01:00 my_start || { fail "could not start MariaDB"; done_tests; exit 1; }
echo "mariadb: installed and started in ${MY_START_S}s"
for db in phplist mautic mauticcore; do my_createdb $db annexa "$PW" || fail "creating $db"; done
{ echo "SET @n = $N;"; cat "$FX/phplist-schema.sql" "$FX/phplist-generate.sql"; } | my_sql phplist >/dev/null || fail "loading phpList"
{ echo "SET @n = $N, @doi = 1;"; cat "$FX/mautic-schema.sql" "$FX/mautic-generate.sql"; } | my_sql mautic >/dev/null || fail "loading Mautic"
{ echo "SET @n = 100, @doi = 0;"; cat "$FX/mautic-schema.sql" "$FX/mautic-generate.sql"; } | my_sql mauticcore >/dev/null || fail "loading Mautic core"
ok

# The secrets are the probe user's to read, as on a real host (the probe
# child runs as annexa-probe when that account exists).
printf '%s\n' "$PW" > "$T/db.pw"
printf '[client]\nuser = annexa\npassword = %s\n' "$PW" > "$T/my.cnf"
chmod 0600 "$T/db.pw" "$T/my.cnf"
chmod 0711 "$T"
! id annexa-probe >/dev/null 2>&1 || chown annexa-probe "$T/db.pw" "$T/my.cnf"
leads_conf "$T/annexa.conf"
cat >> "$T/annexa.conf" <<CONF
[probe "phplist"]
	type = consent
	database = mysql://annexa@/phplist?socket=$MY_SOCK
	password-file = $T/db.pw
	schema = phplist
[probe "mautic"]
	type = consent
	database = mysql:///mautic?socket=$MY_SOCK
	defaults-file = $T/my.cnf
	schema = mautic
[probe "inuri"]
	type = consent
	database = mysql://annexa:$PW@/phplist?socket=$MY_SOCK
	schema = phplist
[probe "mauticcore"]
	type = consent
	database = mariadb://annexa@/mauticcore?socket=$MY_SOCK
	password-file = $T/db.pw
	schema = mautic
CONF
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
"$ANNEXA" -c "$T/annexa.conf" collect >"$T/collect.out" 2>"$T/collect.err"
rc=$?
CHECKS=$((CHECKS + 1))
[ $rc = 1 ] || { fail "collect exit $rc (want 1)"; cat "$T/collect.err" >&2; }
want() { leads_want "$@"; }
want phplist consent.doi.proof "fail 18 confirmed double-opt-in subscription(s)"
want inuri consent.doi.proof "fail 18 confirmed double-opt-in subscription(s)"
want phplist consent.unconfirmed.expired "fail 6 unconfirmed sign-up(s)"
want phplist consent.inactive.retention "fail 3 contact(s)"
want phplist consent.unsubscribed.mailable "fail 4 unsubscribed or blocklisted address(es)"
want phplist consent.doi.ip_recording "skip not applicable to schema phplist: phpList has no such setting"
want phplist consent.doi.single_optin_lists "skip not applicable to schema phplist: phpList 3 lists have no opt-in mode"
want phplist consent.erasure.overdue "skip not applicable to schema phplist: phpList keeps no erasure"
want mautic consent.doi.proof "fail 10 confirmed double-opt-in subscription(s)"
want mautic consent.unconfirmed.expired "fail 4 unconfirmed sign-up(s)"
want mautic consent.inactive.retention "fail 3 contact(s)"
want mautic consent.unsubscribed.mailable "skip not applicable to schema mautic: Mautic sends no email"
want mautic consent.erasure.overdue "skip not applicable to schema mautic: Mautic keeps no erasure"
want mauticcore consent.doi.proof "skip not applicable to schema mautic: Mautic core has no double opt-in"
want mauticcore consent.unconfirmed.expired "skip not applicable to schema mautic: Mautic core has no double opt-in"
want mauticcore consent.inactive.retention "fail 3 contact(s)"
CHECKS=$((CHECKS + 1))
sqlite3 "$T/annexa.db" "select observed from results where instance = 'phplist' and check_id = 'consent.doi.proof' order by rowid desc limit 1" |
	grep -q '"detail":"no_confirmation_record"' || fail "phpList samples lack their reason"
CHECKS=$((CHECKS + 1))
sqlite3 "$T/annexa.db" "select data from artifacts" | grep -q "^-- written from phpList 3: admin/structure.php" ||
	fail "the SQL that ran is not attached with its source"

# The confirmations populations: every confirmation of the last 365 days
# (phpList: N + 18 planted history rows; Mautic: N + 5 DOI rows; Mautic
# core keeps none), pseudonymous items, and a sample drawn from them.
leads_population phplist $((N + 18))
leads_population mautic $((N + 5))
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" sample mauticcore/confirmations --seed x

# require-ip = false drops the confirmations without IP (5 phpList, 2 Mautic)
sed -i 's/^\tschema = \(phplist\|mautic\)$/&\n\trequire-ip = false/' "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe phplist
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe mautic
want phplist consent.doi.proof "fail 13 confirmed"
want mautic consent.doi.proof "fail 8 confirmed"

# The session is read-only and UTC (a list-name query shows the session's
# own settings as its sample).
cat >> "$T/annexa.conf" <<CONF
	query-single-optin = SELECT IF(@@session.tx_read_only = 1 AND @@session.time_zone = '+00:00', 'ro-utc', 'other'), 'x'
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe mauticcore
CHECKS=$((CHECKS + 1))
sqlite3 "$T/annexa.db" "select status || message || observed from results where instance = 'mauticcore' and check_id = 'consent.doi.single_optin_lists' order by rowid desc limit 1" |
	tee "$T/ro.txt" | grep -q '"name":"ro-utc"' || { fail "the session is not read-only in UTC"; cat "$T/ro.txt" >&2; }

# The query deadline holds: the server stops a statement past query-timeout.
sed -i 's/^\tquery-single-optin = .*/\tquery-single-optin = SELECT SLEEP(30), 1\n\tquery-timeout = 1s/' "$T/annexa.conf"
t0=$SECONDS
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe mauticcore
CHECKS=$((CHECKS + 1))
[ $((SECONDS - t0)) -lt 25 ] || fail "a 1 s query deadline took $((SECONDS - t0)) s"
want mauticcore consent.doi.single_optin_lists "error query-single-optin query failed: mariadb: query took longer than 1000 ms"

# A wrong password is refused with libmariadb's message, without the password.
printf 'wrong-pw\n' > "$T/db.pw" # keeps its owner
"$ANNEXA" -c "$T/annexa.conf" collect --probe phplist >"$T/out" 2>&1
CHECKS=$((CHECKS + 1))
sqlite3 "$T/annexa.db" "select message from results where instance = 'phplist' order by rowid desc limit 1" |
	grep -q "Access denied for user 'annexa'" || fail "a refused login is not reported"

printf '%s\n' "$PW" > "$T/db.pw"

# maillog-consent: a Postfix log of planted deliveries per system (the
# generated bulk userN confirmed 2026-11-01 10:05 server time, so 09:05 UTC
# for phpList, 10:05 UTC for Mautic).
mkdir -p "$T/pl" "$T/mt"
# phpList: 26 campaign deliveries; without consent 7 (2 before the
# confirmation, 3 never confirmed, 2 not in the database); after the 48h
# grace 4: blacklist rows of 2026-11-10 00:00 server time (23:00 UTC the
# day before) mailed 11-13, and at 23:30 UTC on 11-11 (within the grace if
# read as UTC), and a user blacklisted without a row (modified 11-10 00:00
# UTC, a TIMESTAMP) mailed 11-12 12:00; within it 3. planted-early-1
# confirmed 2026-11-01 23:00 server time is mailed at 22:30 UTC: after it.
python3 "$FX/gen-maillog.py" spec "$T/pl" <<'LOG'
2026-11-05T10:00:00 news@example.com user1@example.com user2@example.com user3@example.com user4@example.com user5@example.com
2026-11-05T10:00:00 news@example.com user6@example.com user7@example.com user8@example.com user9@example.com user10@example.com User13@Example.COM
2026-11-01T22:30:00 news@example.com planted-early-1@example.com
2026-10-30T10:00:00 news@example.com user11@example.com user12@example.com
2026-11-05T10:00:00 news@example.com planted-import-1@example.com planted-import-2@example.com planted-stale-1@example.com
2026-11-05T10:00:00 news@example.com stranger-1@example.com stranger-2@example.com
2026-11-05T10:00:00 billing@example.com planted-import-3@example.com
2026-11-13T10:00:00 news@example.com planted-unsub-1@example.com unsubscribed-1@example.com
2026-11-11T23:30:00 news@example.com planted-unsub-3@example.com
2026-11-12T12:00:00 news@example.com planted-bounced-1@example.com
2026-11-11T00:00:00 news@example.com planted-unsub-2@example.com unsubscribed-2@example.com
2026-11-11T22:30:00 news@example.com planted-unsub-4@example.com
LOG
# Mautic: 14 campaign deliveries; with the DOI plugin without consent 6
# (2 before the confirmation, 3 never confirmed, 1 not in the database),
# after the grace 2 (email do-not-contact reason 1 and 3 on 11-10, mailed
# 11-13; not: the same within the grace, a bounce (reason 2)); Mautic
# core proves no consent (skip) but its unsubscribes count: 3 (also the
# never-confirmed unsubscribed-1).
python3 "$FX/gen-maillog.py" spec "$T/mt" <<'LOG'
2026-11-05T10:00:00 news@example.com user1@example.com user2@example.com user3@example.com User4@Example.COM
2026-10-30T10:00:00 news@example.com user8@example.com
2026-11-01T12:00:00 news@example.com planted-early-1@example.com
2026-11-05T10:00:00 news@example.com planted-noconfirm-1@example.com planted-noconfirm-2@example.com stranger-1@example.com
2026-11-13T10:00:00 news@example.com user5@example.com user6@example.com user7@example.com unsubscribed-1@example.com
2026-11-11T00:00:00 news@example.com user5@example.com
LOG
my_sql phplist <<'SQL' || fail "planting the phpList bounce"
SET time_zone = '+00:00';
INSERT INTO phplist_user_user (id, email, confirmed, blacklisted, optedin, entered, modified) VALUES
  (2000081, 'planted-bounced-1@example.com', 1, 1, 1, '2026-11-02 00:00:00', '2026-11-10 00:00:00');
INSERT INTO phplist_user_user_history (userid, ip, date, summary) VALUES (2000081, '192.0.2.1', '2026-11-02 00:05:00', 'Confirmation');
SQL
for db in mautic mauticcore; do
	my_sql $db -e "INSERT INTO lead_donotcontact (lead_id, date_added, reason, channel) VALUES
	  (5, '2026-11-10 00:00:00', 1, 'email'), (6, '2026-11-10 00:00:00', 3, 'email'), (7, '2026-11-10 00:00:00', 2, 'email')" ||
		fail "planting do-not-contact rows in $db"
done
for p in pl:phplist mt:mautic mtcore:mauticcore; do
	dir=${p%%:*} db=${p#*:}
	cat >> "$T/annexa.conf" <<CONF
[probe "$dir-mail"]
	type = maillog-consent
	log = $T/${dir%core}/mail.log
	campaign-sender = news@example.com
	database = mysql://annexa@/$db?socket=$MY_SOCK
	password-file = $T/db.pw
	schema = ${db%core}
CONF
done
# phpList's default consent-state query as an override: asked per batch of
# 5 addresses (a JSON array), it must give the index's counts
cat >> "$T/annexa.conf" <<'CONF'
[probe "pl-batched"]
	type = maillog-consent
	campaign-sender = news@example.com
	schema = phplist
	batch-size = 5
	query-consent-state = SELECT lower(u.email) AS address, CASE WHEN u.confirmed = 1 THEN (SELECT unix_timestamp(COALESCE(CONVERT_TZ(min(h.date), @@global.time_zone, '+00:00'), min(h.date))) FROM phplist_user_user_history h WHERE h.userid = u.id AND h.summary = 'Confirmation') END AS consent_since, CASE WHEN b.email IS NOT NULL THEN unix_timestamp(COALESCE(CONVERT_TZ(b.added, @@global.time_zone, '+00:00'), b.added)) WHEN u.blacklisted = 1 THEN unix_timestamp(u.modified) END AS unsubscribed_at FROM phplist_user_user u LEFT JOIN phplist_user_blacklist b ON b.email = u.email WHERE ($1 IS NULL OR CONVERT(lower(u.email) USING utf8mb4) COLLATE utf8mb4_bin IN (SELECT j.a FROM JSON_TABLE($1, '$[*]' COLUMNS (a varchar(320) PATH '$')) j))
CONF
printf '\tlog = %s\n\tdatabase = mysql://annexa@/phplist?socket=%s\n\tpassword-file = %s\n' "$T/pl/mail.log" "$MY_SOCK" "$T/db.pw" >> "$T/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe pl-mail --probe mt-mail --probe mtcore-mail --probe pl-batched
cp "$T/out" "$T/mail.out"
leads_same_verdicts pl-mail pl-batched
leads_observed pl-batched consent.mailed_without_consent '"queries":6' "26 deliveries in batches of 5 are not 6 queries"
want pl-mail consent.mailed_without_consent "fail 7 of 26 campaign deliveries"
want pl-mail consent.mailed_after_unsubscribe "fail 4 of 26 campaign deliveries"
want mt-mail consent.mailed_without_consent "fail 6 of 14 campaign deliveries"
want mt-mail consent.mailed_after_unsubscribe "fail 2 of 14 campaign deliveries"
want mtcore-mail consent.mailed_without_consent "skip not applicable to schema mautic: Mautic core has no double opt-in"
want mtcore-mail consent.mailed_after_unsubscribe "fail 3 of 14 campaign deliveries"
leads_observed pl-mail consent.mailed_without_consent '"other_deliveries":1' "the billing delivery is not other mail"
# a schema on another engine's database is refused with the reason
cat >> "$T/annexa.conf" <<CONF
[probe "wrong-engine"]
	type = maillog-consent
	log = $T/pl/mail.log
	campaign-sender = news@example.com
	database = mysql://annexa@/phplist?socket=$MY_SOCK
	password-file = $T/db.pw
	schema = keila
CONF
expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect --probe wrong-engine
cp "$T/out" "$T/wrong.out"
want wrong-engine consent.mailed_without_consent "error schema keila lives in PostgreSQL, but database names MariaDB/MySQL"

# Privacy: no address and no password anywhere annexa writes.
leads_private "[a-z0-9-]+@example\.com|$PW"
CHECKS=$((CHECKS + 1))
my_sql phplist -N -e "select email from phplist_user_user where id = 1" | grep -qiE "[a-z0-9-]+@example\.com" ||
	fail "the address pattern matches nothing in the database"
# the populations in the bundle: the confirmations without an IP (5
# phpList, 2 Mautic) say so, every row has its confirmation time
for p in phplist:5 mautic:2; do
	CHECKS=$((CHECKS + 1))
	got=$(unzip -p "$T/bundle.zip" "populations/${p%:*}/confirmations.csv" |
		python3 -c "import csv,sys; r=list(csv.DictReader(sys.stdin)); print(sum(x['confirm_ip_recorded'] == 'no' for x in r), all(x['confirmed_at'] for x in r))")
	[ "$got" = "${p#*:} True" ] || fail "${p%:*} population: $got, want ${p#*:} rows without IP and every confirmation time"
done
done_tests
