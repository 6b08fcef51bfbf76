#!/bin/bash
# The `db-roles` probe against a private MariaDB server (the leads recipe:
# Unix socket in its own folder) with planted accounts: an extra ALL
# PRIVILEGES account, SUPER through a nested role, a password-less
# account, a locked one, one authenticated by unix_socket, UPDATE on a
# consent table, DELETE on the database through a role, INSERT on one
# column, a clean read-only account. Asserts each verdict exactly with
# show-user-names on, what a non-admin account sees (skip with the
# reason), revocations as changes between runs, and that no password hash,
# no password and (by default) no account name reaches anything annexa
# writes.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
. "$ANNEXA_SRC/tests/lib/db_roles.sh"
. "$ANNEXA_SRC/tests/fixtures/leads/mariadb.sh"
PW='adm-Pw-9x'

my_start || { fail "could not start MariaDB"; done_tests; exit 1; }
my_sql <<SQL >/dev/null || fail "planting accounts"
INSTALL SONAME 'auth_ed25519';
CREATE DATABASE leads;
CREATE TABLE leads.subscribers (id int PRIMARY KEY, email text);
CREATE TABLE leads.lists (id int PRIMARY KEY, name text);
CREATE TABLE leads.other (id int);
-- the probe's own account: reads the grant tables, writes nothing
CREATE USER zqaudit@localhost IDENTIFIED VIA ed25519 USING PASSWORD('$PW');
GRANT SELECT ON mysql.* TO zqaudit@localhost;
GRANT SELECT ON leads.* TO zqaudit@localhost;
CREATE USER zqall@'%' IDENTIFIED BY 'all-pw-1';
GRANT ALL PRIVILEGES ON *.* TO zqall@'%';
CREATE ROLE zqboss; GRANT SUPER ON *.* TO zqboss;
CREATE ROLE zqeditors; GRANT DELETE ON leads.* TO zqeditors; GRANT zqboss TO zqeditors;
CREATE USER zqed@localhost IDENTIFIED BY 'ed-pw-2'; GRANT zqeditors TO zqed@localhost;
CREATE USER zqnopw@localhost; GRANT SELECT ON leads.* TO zqnopw@localhost;
CREATE USER zqlocked@localhost ACCOUNT LOCK;
CREATE USER zqsock@localhost IDENTIFIED VIA unix_socket;
CREATE USER zqapp@localhost IDENTIFIED VIA ed25519 USING PASSWORD('app-pw-3');
GRANT SELECT, INSERT, UPDATE ON leads.subscribers TO zqapp@localhost;
CREATE USER zqupd@localhost IDENTIFIED BY 'upd-pw-4'; GRANT SELECT, UPDATE ON leads.subscribers TO zqupd@localhost;
CREATE USER zqcol@localhost IDENTIFIED VIA ed25519 USING PASSWORD('col-pw-5'); GRANT INSERT (name) ON leads.lists TO zqcol@localhost;
CREATE USER zqother@localhost IDENTIFIED VIA ed25519 USING PASSWORD('oth-pw-6'); GRANT UPDATE ON leads.other TO zqother@localhost;
CREATE USER zqro@localhost IDENTIFIED VIA ed25519 USING PASSWORD('ro-pw-7'); GRANT SELECT ON leads.* TO zqro@localhost;
SQL
# root of this private server logs in without a password (the recipe's
# --auth-root-authentication-method=normal): a real finding, kept
HASH=$(my_sql -N -e "SELECT json_value(Priv, '\$.authentication_string') FROM mysql.global_priv WHERE User = 'zqupd'")
ok; case "$HASH" in '*'????????????????????????????????????????) ;; *) fail "the native hash was not planted: $HASH" ;; esac
printf '%s\n' "$PW" > "$T/db.pw"
printf '[client]\npassword = %s\n' ro-pw-7 > "$T/ro.cnf"
chmod 0600 "$T/db.pw" "$T/ro.cnf"
chmod 0711 "$T"
! id annexa-probe >/dev/null 2>&1 || chown annexa-probe "$T/db.pw" "$T/ro.cnf"

write_conf() {
	db_roles_conf "$T/annexa.conf"
	cat >> "$T/annexa.conf" <<CONF
[probe "roles"]
	type = db-roles
	database = mysql://zqaudit@/leads?socket=$MY_SOCK
	password-file = $T/db.pw
	consent-writers = zqapp
[probe "roles-list"]
	type = db-roles
	database = mysql://zqaudit@/leads?socket=$MY_SOCK
	password-file = $T/db.pw
[probe "roles-ro"]
	type = db-roles
	database = mysql://zqro@/leads?socket=$MY_SOCK
	defaults-file = $T/ro.cnf
CONF
}
collect() {
	"$ANNEXA" -c "$T/annexa.conf" collect >"$T/collect.out" 2>"$T/collect.err"
	CHECKS=$((CHECKS + 1)) # an ASan/UBSan build reports here
	! grep -qE "Sanitizer|runtime error" "$T/collect.err" || { fail "sanitizer report"; cat "$T/collect.err" >&2; }
}
want() { leads_want "$@"; }
wantnot() {
	CHECKS=$((CHECKS + 1))
	case "$(leads_result "$1" "$2")" in *"$3"*) fail "$1 $2 mentions $3: $(leads_result "$1" "$2")" ;; esac
}

SHOW=1 write_conf
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" check-config
collect
want roles db.superusers "fail zqall@% holds SUPER (granted on *.*); zqed@localhost holds SUPER through role zqboss"
wantnot roles db.superusers "root"
want roles db.no_password "fail root@127.0.0.1 can log in without a password (mysql_native_password, empty); root@::1 can log in"
for a in zqnopw@localhost; do
	CHECKS=$((CHECKS + 1)); leads_result roles db.no_password | grep -qF "$a can log in without a password" || fail "$a not reported"
done
for a in mariadb.sys zqlocked zqsock zqapp zqupd zqro zqaudit; do wantnot roles db.no_password "$a@localhost can"; done
want roles db.password_hash "fail zqall@%: mysql_native_password hash (unsalted double SHA-1); zqed@localhost: mysql_native_password hash"
for a in zqupd@localhost; do
	CHECKS=$((CHECKS + 1)); leads_result roles db.password_hash | grep -qF "$a: mysql_native_password" || fail "$a not reported"
done
for a in zqnopw zqapp zqsock zqro; do wantnot roles db.password_hash "$a@"; done
want roles db.consent_write "fail zqcol@localhost can INSERT on lists; zqed@localhost can DELETE on lists through role zqeditors; zqeditors can DELETE on lists; zqed@localhost can DELETE on subscribers through role zqeditors; zqeditors can DELETE on subscribers; zqupd@localhost can UPDATE on subscribers"
for a in zqapp zqro zqnopw zqother zqall zqaudit root; do wantnot roles db.consent_write "$a"; done
want roles-list db.consent_write "info 7 write grant(s) on 2 consent table(s); set consent-writers"
want roles db.changes "info first run: baseline"
# an account without SELECT on mysql.* sees only its own grants: skip, and why
for c in db.superusers db.no_password db.password_hash db.consent_write db.changes; do
	want roles-ro $c "skip grants of other accounts not visible to this account (MariaDB shows an account only its own; the mysql grant tables need SELECT on mysql.*: mariadb: SELECT command denied to user 'zqro'@'localhost'"
done

# --- revocations are leavers of the next run: the column grant, and zqed
# with its account, membership and inherited grants ---
my_sql -e "REVOKE INSERT (name) ON leads.lists FROM zqcol@localhost; DROP USER zqed@localhost;" || fail "revoking"
collect
CHECKS=$((CHECKS + 1))
case "$(leads_result roles db.changes)" in "info "*" database accounts, roles and grants: 0 added, 5 removed since the previous run"*) ;;
*) fail "roles db.changes: $(leads_result roles db.changes)" ;; esac

# --- default privacy: pseudonyms, and never a hash or a password ---
write_conf
collect
want roles db.superusers "fail p:"
db_roles_private zqall "$HASH" "${HASH#\*}" "$PW" all-pw-1 ed-pw-2 app-pw-3 upd-pw-4 ro-pw-7
done_tests
