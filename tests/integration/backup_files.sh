#!/bin/bash
# The backup-files probe on dumps made by the real tools: sqlite3 .backup,
# tar czf, pg_dump -Fc (against a PostgreSQL started here on a Unix socket
# only), openssl enc and gpg --symmetric. Restore tests pass on good dumps
# and fail on torn ones; a plaintext SQL dump fails backup.encrypted; a
# shrunken or stale dump fails its check.
. "$ANNEXA_SRC/tests/lib/common.sh"
ago() { touch -d "@$(( $(date +%s) - $1 ))" "$2"; }
mkdir -p "$T/sqlite" "$T/tar" "$T/enc" "$T/sql" "$T/pg" "$T/stale"

sqlite3 "$T/leads.db" "create table leads(id integer primary key, email text); insert into leads(email) values ('a@example.com'), ('b@example.com');"
sqlite3 "$T/leads.db" ".backup '$T/sqlite/leads-1.sqlite'"
sqlite3 "$T/leads.db" ".backup '$T/sqlite/leads-2.sqlite'"
ago 90000 "$T/sqlite/leads-1.sqlite"; ago 600 "$T/sqlite/leads-2.sqlite"

mkdir -p "$T/data"; head -c 300000 /dev/urandom > "$T/data/blob"; echo hi > "$T/data/small"
tar czf "$T/tar/site-1.tar.gz" -C "$T" data
tar czf "$T/tar/site-2.tar.gz" -C "$T/data" small
ago 90000 "$T/tar/site-1.tar.gz"; ago 600 "$T/tar/site-2.tar.gz"

echo "secret-passphrase" > "$T/pass"
openssl enc -aes-256-cbc -pbkdf2 -salt -pass "file:$T/pass" -in "$T/leads.db" -out "$T/enc/leads.db.enc"
gpg --batch --quiet --homedir "$T/gnupg" --passphrase-file "$T/pass" --pinentry-mode loopback --symmetric \
	-o "$T/enc/leads.db.gpg" "$T/leads.db" 2>/dev/null
ago 700 "$T/enc/leads.db.enc"; ago 2000 "$T/enc/leads.db.gpg"
printf -- '--\n-- PostgreSQL database dump\n--\nCREATE TABLE public.leads (id integer, email text);\nCOPY public.leads (id, email) FROM stdin;\n1\ta@example.com\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n' > "$T/sql/leads.sql"
cp "$T/sqlite/leads-2.sqlite" "$T/stale/old.sqlite"; ago 400000 "$T/stale/old.sqlite"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
have_pg=0
if [ -n "$PGBIN" ] && id postgres >/dev/null 2>&1; then
	PGD=$(mktemp -d /tmp/annexa-pg-XXXXXX); chown postgres "$PGD"
	stop_pg() { su postgres -c "$PGBIN/pg_ctl -D $PGD/data -m fast stop" >/dev/null 2>&1; rm -rf "$PGD"; }
	add_cleanup stop_pg
	if su postgres -c "$PGBIN/initdb -D $PGD/data -A trust -U postgres" >/dev/null 2>&1 &&
	   su postgres -c "$PGBIN/pg_ctl -D $PGD/data -o \"-k $PGD -c listen_addresses=''\" -w -l $PGD/log start" >/dev/null 2>&1; then
		psql -q -h "$PGD" -U postgres -c "create table leads(id int, email text); insert into leads values (1, 'a@example.com');" >/dev/null
		pg_dump -h "$PGD" -U postgres -Fc -f "$T/pg/leads.dump" postgres && have_pg=1
	fi
fi
[ $have_pg = 1 ] && ago 60 "$T/pg/leads.dump"
ago 60 "$T/sql/leads.sql"
[ $have_pg = 1 ] || echo "note: no PostgreSQL server; pg_dump custom-format part skipped"

conf() {
	cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	state-dir = state
[probe "sqlite"]
	type = backup-files
	path = sqlite
	pattern = *.sqlite
[probe "tar"]
	type = backup-files
	path = tar
	encryption = optional
[probe "enc"]
	type = backup-files
	path = enc
[probe "sql"]
	type = backup-files
	path = sql
[probe "stale"]
	type = backup-files
	path = stale
[probe "pg"]
	type = backup-files
	path = pg
	encryption = optional
CONF
}
conf
C="$T/annexa.conf"
expect_message() { ok; newest_message "$1" "$2" | grep -qF -- "$3" || fail "$1 $2 message lacks '$3': $(newest_message "$1" "$2")"; }

expect_rc 1 "$ANNEXA" -c "$C" collect
expect_status sqlite backup.fresh pass
expect_status sqlite backup.size_drop pass
expect_status sqlite backup.encrypted fail
expect_message sqlite backup.encrypted "is not encrypted (sqlite)"
expect_status sqlite backup.restore_test pass
expect_message sqlite backup.restore_test "passes integrity_check, 1 table(s)"
expect_status tar backup.size_drop fail
expect_status tar backup.encrypted pass
expect_status tar backup.restore_test pass
expect_message tar backup.restore_test "archive reads to the end: 1 entries"
expect_status enc backup.encrypted pass
expect_message enc backup.encrypted "(openssl-enc)"
expect_status enc backup.restore_test skip
expect_status sql backup.encrypted fail
expect_message sql backup.encrypted "(sql)"
expect_status sql backup.restore_test pass
expect_status stale backup.fresh fail
if [ $have_pg = 1 ]; then
	expect_status pg backup.restore_test pass
	expect_message pg backup.restore_test "pg_restore --list:"
fi

# gpg output is recognised as OpenPGP
ago 100 "$T/enc/leads.db.gpg"
expect_rc 1 "$ANNEXA" -c "$C" collect --probe enc
expect_message enc backup.encrypted "(openpgp)"

# Torn dumps fail their restore tests.
head -c 3000 "$T/sqlite/leads-2.sqlite" > "$T/sqlite/leads-3.sqlite"
head -c 200 "$T/tar/site-1.tar.gz" > "$T/tar/site-3.tar.gz"
head -n 6 "$T/sql/leads.sql" > "$T/sql/leads-2.sql"
[ $have_pg = 1 ] && head -c 300 "$T/pg/leads.dump" > "$T/pg/leads-2.dump"
expect_rc 1 "$ANNEXA" -c "$C" collect
expect_status sqlite backup.restore_test fail
expect_status tar backup.restore_test fail
expect_status sql backup.restore_test fail
expect_message sql backup.restore_test "dump complete"
[ $have_pg = 1 ] && expect_status pg backup.restore_test fail
# no scratch copies left behind
ok; [ -z "$(find "$T/state" -name 'annexa-restore-*' 2>/dev/null)" ] || fail "scratch folder left behind"
# the dumps population: every dump, the newest with this run's restore test
population_csv "$T/annexa.db" sqlite dumps > "$T/dumps.csv"
ok; [ "$(tail -n +2 "$T/dumps.csv" | wc -l)" -ge 1 ] || fail "dumps population is empty"
ok; [ "$(tail -1 "$T/dumps.csv" | awk -F, '{print $NF}')" = "$(newest_status sqlite backup.restore_test)" ] ||
	fail "the newest dump lacks its restore test: $(tail -1 "$T/dumps.csv")"
ok; [ -z "$(tail -n +2 "$T/dumps.csv" | sed '$d' | grep -v ',not tested$')" ] || fail "an older dump claims a restore test"
done_tests
