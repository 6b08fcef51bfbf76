#!/bin/bash
# A SQLite lead database whose answers outgrow SQLite's page cache: the
# probe's `count(*) OVER ()` buffers every row of an answer in a temporary
# b-tree, which spills past its 2 MB cache to a temporary file, and the
# confined child may create one only in its private temporary folder
# (STATE/INSTANCE/.tmp). SQLite reads TMPDIR once, in the collector before
# the fork, so the child must name that folder to SQLite itself; before it
# did, every check whose query spilled ended `error` "unable to open
# database file" (1 M subscribers in bench/consent.sh). Long addresses
# (~230 bytes) make 20 000 leads spill as a million short ones do.
# Then the same database in WAL mode with no writer open (no -wal file), in
# a folder the child may only read: a read-only connection would have to
# create the -wal and -shm there ("attempt to write a readonly database");
# it is read as immutable instead. With a writer open (the -wal and -shm
# exist), what only its WAL holds is seen.
. "$ANNEXA_SRC/tests/lib/common.sh"
. "$ANNEXA_SRC/tests/lib/leads.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads"
export ANNEXA_NOW=2026-11-29T00:00:00Z
N=20000

sqlite3 "$T/leads.db" < "$FX/generic-schema.sql" || fail "loading the schema"
sqlite3 "$T/leads.db" <<SQL || fail "loading $N leads"
INSERT INTO lists VALUES (1, 'newsletter', 'double', 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO leads SELECT i, 'user' || i || '.' || replace(hex(zeroblob(100)), '0', 'x') || '@example.com',
       datetime('2026-11-29', '-' || (i % 3000) || ' days') FROM n;
INSERT INTO subscriptions SELECT id, 1, 'confirmed', created_at, '192.0.2.1', datetime(created_at, '+5 minutes'),
       '192.0.2.1', NULL FROM leads;
SQL
ok

leads_conf "$T/annexa.conf"
mkdir "$T/wal"
sqlite3 "$T/leads.db" ".backup $T/wal/leads.db" && sqlite3 "$T/wal/leads.db" "PRAGMA journal_mode = WAL" >/dev/null ||
	fail "making the WAL copy"
ok; [ ! -e "$T/wal/leads.db-wal" ] || fail "the WAL copy kept its -wal"
chmod -R a+rX "$T" # where the collector runs as root, its children read as the probe user
cat >> "$T/annexa.conf" <<CONF
[probe "leads"]
	type = consent
	database = sqlite:$T/leads.db
[probe "wal"]
	type = consent
	database = sqlite:$T/wal/leads.db
CONF
"$ANNEXA" -c "$T/annexa.conf" collect > "$T/out" 2>&1
# created_at spreads over 3000 days: those older than inactive-max-age (730 d)
want=$(sqlite3 "$T/leads.db" "select count(*) from leads where created_at < datetime('2026-11-29', '-730 days')")
leads_want leads consent.inactive.retention "fail $want contact(s) without consent activity"
errors=$(sqlite3 "$T/annexa.db" "select check_id || ': ' || message from results where instance = 'leads' and status = 'error'")
ok; [ -z "$errors" ] || fail "checks ended error: $errors"
# the spill went to the private folder and was removed there
ok; [ -d "$T/state/leads/.tmp" ] || fail "no private temporary folder"
ok; [ -z "$(ls -A "$T/state/leads/.tmp" 2>/dev/null)" ] || fail "temporary files left: $(ls -A "$T/state/leads/.tmp")"
leads_want wal consent.inactive.retention "fail $want contact(s) without consent activity"
ok; [ -z "$(ls "$T/wal" | grep -v '^leads.db$')" ] || fail "the probe wrote beside the WAL database: $(ls "$T/wal")"

# a writer holds the database open: its -wal has a lead the file lacks
mkfifo "$T/writer"
sqlite3 "$T/wal/leads.db" < "$T/writer" > /dev/null &
writer=$!
exec 7> "$T/writer"
stop_writer() { exec 7>&- 2>/dev/null; wait "$writer" 2>/dev/null; }
add_cleanup stop_writer
echo "PRAGMA wal_autocheckpoint = 0; INSERT INTO leads VALUES ($((N + 1)), 'late@example.com', '2020-01-01 00:00:00');
      SELECT 'ready';" >&7
deadline=$((SECONDS + 30))
until [ -s "$T/wal/leads.db-wal" ] && [ -e "$T/wal/leads.db-shm" ]; do
	[ $SECONDS -lt $deadline ] || { fail "the writer did not start"; break; }
	sleep 0.05
done
"$ANNEXA" -c "$T/annexa.conf" collect > "$T/out" 2>&1
leads_want wal consent.inactive.retention "fail $((want + 1)) contact(s) without consent activity"
stop_writer
done_tests
