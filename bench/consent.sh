#!/bin/bash
# consent.sh [N] - the `consent` probe over N subscribers (default
# 1 000 000) in PostgreSQL (listmonk schema, temporary socket-only cluster),
# in SQLite (generic schema) and in MariaDB (phpList schema, private
# socket-only server), against the very same queries run by psql / sqlite3
# / mariadb (taken from the probe's consent-queries.sql artifact,
# parameters substituted, wrapped in the same count + LIMIT). One run
# each; prints both times and the ratio; then a second collect with the
# confirmations population (population-window 3650d: every confirmation):
# its size, the collect's time and peak resident memory (/usr/bin/time). ENGINES="pg sqlite
# mariadb" (the default) picks which.
# Needs: root (the cluster runs as `postgres`, mariadbd as root), a built
# annexa, GNU time (/usr/bin/time, package time).
set -eu
. "$(dirname "$0")/lib.sh"
bench_annexa
N=${1:-1000000}
T=$(bench_dir consent)
cleanup_hooks=""
add_cleanup() { cleanup_hooks="$1 $cleanup_hooks"; }
trap 'for h in $cleanup_hooks; do $h || true; done; rm -rf "$T"' EXIT
. "$SRC/tests/fixtures/leads/pg.sh"
. "$SRC/tests/fixtures/leads/mariadb.sh"
ENGINES=${ENGINES:-pg sqlite mariadb}
wait_for() { # as tests/lib/common.sh's
	local until=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$until" ] || return 1
		sleep 0.1
	done
}
export ANNEXA_NOW=2026-11-29T00:00:00Z
head -c 32 /dev/urandom > "$T/key"
chmod 0600 "$T/key"

# peer.py ARTIFACT: the probe's queries with $N replaced by their values,
# wrapped like the probe wraps them.
cat > "$T/peer.py" <<'PY'
import re, sys
out, params, sql = [], {}, []
for line in open(sys.argv[1]):
    m = re.match(r"-- \$(\d+) = '(.*)'$", line.rstrip("\n"))
    if m:
        params[m.group(1)] = m.group(2)
    elif line.startswith("--"):
        continue
    elif line.strip() == "" and sql:
        q = "".join(sql).rstrip().rstrip(";")
        q = re.sub(r"\$(\d+)", lambda m: "'" + params[m.group(1)].replace("'", "''") + "'", q)
        out.append("SELECT q.*, count(*) OVER () FROM (%s\n) AS q LIMIT 5;" % q)
        sql, params = [], {}
    else:
        sql.append(line)
print("\n".join(out))
PY

conf() { # conf NAME DATABASE SCHEMA WINDOW
	cat > "$T/$1.conf" <<CONF
[annexa]
	store = $T/$1.db
	state-dir = $T/state-$1
[privacy]
	pseudonym-key-file = $T/key
[probe "$1"]
	type = consent
	database = $2
	schema = $3
	timeout = 3600s
	query-timeout = 3000s
	population-window = $4
CONF
}

# Two collects: the checks alone (the confirmations population limited to
# the last second, so nearly empty) timed against the peer running the very
# same queries; then with every confirmation as a population (window
# 3650d), its size, time and the collect's peak resident memory.
run() { # run NAME DATABASE SCHEMA PEER-CMD...
	name=$1 db=$2 schema=$3; shift 3
	conf "$name" "$db" "$schema" 1s
	conf "$name-pop" "$db" "$schema" 3650d
	t0=$(date +%s.%N)
	"$ANNEXA" -c "$T/$name.conf" collect >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	sqlite3 "$T/$name.db" "select a.data from run_artifacts r join artifacts a using (sha256)
		where r.name = 'consent-queries.sql' order by r.run_id desc limit 1" > "$T/$name.sql"
	python3 "$T/peer.py" "$T/$name.sql" > "$T/$name.peer.sql"
	t2=$(date +%s.%N)
	"$@" < "$T/$name.peer.sql" >/dev/null
	t3=$(date +%s.%N)
	sqlite3 "$T/$name.db" "select check_id, status, message from results" | sed 's/^/  /'
	python3 -c "import sys; a,b,c,d=map(float,sys.argv[1:]); print('%s: annexa consent %.2f s, peer %.2f s, ratio %.2fx' % ('$name', b-a, d-c, (b-a)/(d-c)))" "$t0" "$t1" "$t2" "$t3"
	# the collect's peak resident memory (the collector and its largest
	# child: wait4 reports the maximum over the process tree it reaped)
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$T/$name.rss" "$ANNEXA" -c "$T/$name-pop.conf" collect >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	rows=$(sqlite3 "$T/$name-pop.db" "select json_extract(cast(a.data as text), '$.rows') from artifacts a join artifact_refs r
	      on r.sha256 = a.sha256 where r.name = 'populations/confirmations.provenance.json'")
	bytes=$(sqlite3 "$T/$name-pop.db" "select a.size from artifacts a join artifact_refs r
	      on r.sha256 = a.sha256 where r.name = 'populations/confirmations.csv'")
	python3 -c "import sys; a,b=map(float,sys.argv[1:]); print('  with the confirmations population: $rows rows, $bytes bytes; collect %.2f s, peak RSS $(($(tail -n 1 "$T/$name.rss") / 1024)) MiB' % (b-a))" "$t0" "$t1"
}

if [[ " $ENGINES " == *" pg "* ]]; then
echo "PostgreSQL: loading $N listmonk subscribers..."
pg_start
pg_load_listmonk "$SRC/tests/fixtures/leads/listmonk-generate.sql" -v n="$N"
run listmonk-pg "$LEADS_PG_URI" listmonk psql -q -X -h "$PGDIR" -p "$PG_PORT" -U postgres -d leads
fi

if [[ " $ENGINES " == *" sqlite "* ]]; then
echo "SQLite: loading $N generic leads..."
sqlite3 "$T/leads.sqlite" < "$SRC/tests/fixtures/leads/generic-schema.sql"
sqlite3 "$T/leads.sqlite" <<SQL
INSERT INTO lists VALUES (1, 'newsletter', 'double', 1), (2, 'promo', 'single', 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO leads SELECT i, 'user' || i || '@example.com', datetime('2026-11-29', '-' || (i % 900) || ' days') FROM n;
INSERT INTO subscriptions SELECT id, 1, CASE WHEN id % 100 = 0 THEN 'unconfirmed' ELSE 'confirmed' END,
       created_at, '192.0.2.1', CASE WHEN id % 100 = 0 THEN NULL ELSE datetime(created_at, '+5 minutes') END,
       CASE WHEN id % 1000 = 1 THEN NULL ELSE '192.0.2.1' END, NULL FROM leads;
INSERT INTO erasure_requests SELECT id, email, 'erasure', datetime('2026-11-29', '-' || (id % 60) || ' days'), NULL
  FROM leads WHERE id % 5000 = 0;
ANALYZE;
SQL
run generic-sqlite "sqlite:$T/leads.sqlite" generic sqlite3 "$T/leads.sqlite"
fi

if [[ " $ENGINES " == *" mariadb "* ]]; then
echo "MariaDB: loading $N phpList subscribers..."
MY_POOL=512M my_start
echo "  mariadb-install-db + mariadbd start: ${MY_START_S}s"
echo "CREATE DATABASE leads CHARACTER SET utf8mb4;" | my_sql
{ echo "SET @n = $N;"; cat "$SRC/tests/fixtures/leads/phplist-schema.sql" "$SRC/tests/fixtures/leads/phplist-generate.sql"; } |
	my_sql leads >/dev/null
run phplist-mariadb "mysql://root@/leads?socket=$MY_SOCK" phplist my_sql -N leads
fi
