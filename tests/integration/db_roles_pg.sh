#!/bin/bash
# The `db-roles` probe against a real PostgreSQL (the leads recipe:
# private cluster on a socket in its own folder) with planted findings: a
# second superuser, trust authentication (initdb -A trust), an MD5
# password, write grants on the consent tables given directly and through
# a group role. Asserts each verdict with show-user-names on, what a
# non-superuser can and cannot see (skip with the reason), revocations as
# changes between runs, and that no password hash and no role name (by
# default) reaches the store.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/lib/db_roles.sh"
LEADS_PG_PORT=12901
. "$ANNEXA_SRC/tests/fixtures/leads/pg.sh"

pg_start || { fail "could not start PostgreSQL"; done_tests; exit 1; }
pg_psql <<'SQL' >/dev/null || fail "planting roles"
CREATE TABLE subscribers (id serial PRIMARY KEY, email text);
CREATE TABLE subscriber_lists (subscriber_id int, list_id int);
CREATE ROLE zqevil SUPERUSER LOGIN;
SET password_encryption = 'scram-sha-256';
CREATE ROLE zqapp LOGIN PASSWORD 'app-pw-1';
SET password_encryption = 'md5';
CREATE ROLE zqlegacy LOGIN PASSWORD 'legacy-pw-2';
CREATE ROLE zqintern LOGIN;
CREATE ROLE zqeditors NOLOGIN;
CREATE ROLE zqintern2 LOGIN IN ROLE zqeditors;
GRANT INSERT, UPDATE ON subscribers TO zqapp;
GRANT INSERT ON subscribers TO zqintern;
GRANT DELETE ON subscriber_lists TO zqeditors;
GRANT SELECT ON subscribers TO zqlegacy;
SQL
MD5HASH=$(pg_psql -At -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'zqlegacy'")
SCRAM=$(pg_psql -At -c "SELECT substr(rolpassword, 30, 20) FROM pg_authid WHERE rolname = 'zqapp'")
ok; case "$MD5HASH" in md5*) ;; *) fail "the md5 role was not planted: $MD5HASH" ;; esac

write_conf() {
	db_roles_conf "$T/annexa.conf"
	cat >> "$T/annexa.conf" <<CONF
[probe "roles"]
	type = db-roles
	database = $LEADS_PG_URI
	consent-writers = zqapp
[probe "roles-app"]
	type = db-roles
	database = $(pg_uri leads | sed 's/user=postgres/user=zqapp/')
CONF
}
collect() { "$ANNEXA" -c "$T/annexa.conf" collect --json > "$T/run.json" 2> "$T/collect.err"; }
st() { jsonq "$T/run.json" "[r['status'] + ' ' + r['message'] for r in d['results'] if r['probe'] == '$1' and r['check'] == '$2'][0]" 2>/dev/null || echo missing; }
want() {
	got=$(st "$1" "$2")
	ok
	case "$got" in $3) ;; *) fail "$1 $2: got '$got', want '$3'" ;; esac
}

SHOW=1 write_conf
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
collect
want roles db.superusers 'fail zqevil is superuser and can log in'
want roles db.no_password 'fail pg_hba.conf line *trust*'
want roles db.password_hash 'fail zqlegacy: md5 password hash'
want roles db.consent_write 'fail *zqintern can INSERT on subscribers*'
want roles db.consent_write '*zqintern2 can DELETE on subscriber_lists*'
want roles db.consent_write '*zqeditors can DELETE on subscriber_lists*'
ok; case "$(st roles db.consent_write)" in *"zqapp can"*|*zqlegacy*) fail "an allowed or read-only role counted: $(st roles db.consent_write)" ;; esac
want roles db.changes 'info first run: baseline*'
# a non-superuser sees roles and grants, not pg_authid or pg_hba_file_rules
want roles-app db.superusers 'fail zqevil is superuser*'
want roles-app db.no_password 'skip authentication rules not visible to this role*'
want roles-app db.password_hash 'skip password state not visible to this role (pg_authid needs superuser*'
want roles-app db.consent_write 'info 4 write grant(s) on 2 consent table(s); set consent-writers*'

# --- revocations are leavers of the next run: the grant, and zqintern2 with
# its role, membership and inherited grant ---
pg_psql -c "REVOKE INSERT ON subscribers FROM zqintern; DROP ROLE zqintern2;" >/dev/null
collect
want roles db.changes 'info * 0 added, 4 removed since the previous run'

# --- default privacy: pseudonyms, and never a hash ---
write_conf
collect
want roles db.superusers 'fail p:* is superuser and can log in'
db_roles_private zqevil "$MD5HASH" "${MD5HASH#md5}" "$SCRAM" app-pw-1 legacy-pw-2
done_tests
