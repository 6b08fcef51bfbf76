#!/bin/bash
# maillog.sh [MiB] - the `maillog-consent` correlation over a generated
# Postfix log of MiB MiB (default 1024) with a 100 000-lead SQLite
# database, against one ripgrep pass counting `status=sent` over the same
# file. Prints both times, the ratio, the probe's throughput and its peak
# memory (max RSS of the collector process tree, GNU time).
# Needs: a built annexa (ANNEXA, default ./build/annexa), python3, sqlite3, rg.
set -eu
. "$(dirname "$0")/lib.sh"
bench_annexa
MB=${1:-1024}
D=$(bench_dir maillog)
trap 'rm -rf "$D"' EXIT
echo "generating a ${MB} MiB log..."
python3 "$SRC/tests/fixtures/leads/gen-maillog.py" bench "$D" "$MB"
sqlite3 "$D/leads.db" < "$SRC/tests/fixtures/leads/generic-schema.sql"
sqlite3 "$D/leads.db" < "$D/leads.sql"
head -c 32 /dev/urandom > "$D/key"
chmod 0600 "$D/key"
cat > "$D/annexa.conf" <<CONF
[annexa]
	store = $D/annexa.db
	state-dir = $D/state
[privacy]
	pseudonym-key-file = $D/key
[probe "campaigns"]
	type = maillog-consent
	log = $D/mail.log
	campaign-sender = news@example.com
	database = sqlite:$D/leads.db
	timeout = 3600s
	memory-limit = 4G
CONF
bytes=$(stat -c %s "$D/mail.log")
sync
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$D/rss" "$ANNEXA" -c "$D/annexa.conf" collect >/dev/null 2>&1 || true
t1=$(date +%s.%N)
rg -c 'status=sent' "$D/mail.log" >/dev/null
t2=$(date +%s.%N)
sqlite3 "$D/annexa.db" "select check_id, message from results" | sed 's/^/  /'
python3 - "$t0" "$t1" "$t2" "$bytes" "$(tail -1 "$D/rss")" <<'PY'
import sys
t0, t1, t2, size, rss = map(float, sys.argv[1:])
probe, rg = t1 - t0, t2 - t1
print("log %.0f MiB: annexa maillog-consent %.2f s (%.0f MiB/s, peak RSS %.0f MiB), ripgrep %.2f s, ratio %.1fx"
      % (size / 2**20, probe, size / 2**20 / probe, rss / 1024, rg, probe / rg))
PY
