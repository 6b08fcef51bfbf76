#!/bin/bash
# The `consent` probe against a private MariaDB server holding phpList 3's
# and Mautic's tables (one server for every case; its start time is
# printed), each with generated subscribers and planted violations: exact
# counts through the real binary, the skips with their reasons (Mautic
# without a DOI plugin has nothing to check), the password from a file or
# a my.cnf-style file (or, discouraged, the URI), never in the evidence, a read-only session, and no
# address anywhere annexa writes.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/mariadb.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
N=20000
PW='s3cret-Ma1ia'

my_start || { fail "could not start MariaDB"; done_tests; exit 1; }
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

# Privacy: no address and no password anywhere annexa writes.
leads_private "[a-z0-9-]+@example\.com|$PW"
CHECKS=$((CHECKS + 1))
my_sql phplist -N -e "select email from phplist_user_user where id = 1" | grep -qiE "[a-z0-9-]+@example\.com" ||
	fail "the address pattern matches nothing in the database"
done_tests
