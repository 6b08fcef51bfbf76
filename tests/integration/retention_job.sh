#!/bin/bash
# The retention-job probe through the real binary: a small retention job
# (sqlite3 + shell) really deletes leads past their retention date and
# writes its log, a status file and a job_runs row; annexa collects from
# all three, then the job breaks (table locked away) and the failure shows.
# A journal export (the fixture, clock set by ANNEXA_NOW) covers the
# systemd path. No e-mail address or secret reaches the store.
. "$ANNEXA_SRC/tests/lib/common.sh"
DB="$T/leads.db"
sqlite3 "$DB" "create table leads(id integer primary key, email text, retain_until text);
create table job_runs(job text, finished_at text, status text);
insert into leads(email, retain_until) values ('alice@example.com', date('now', '-3 days')),
  ('bob@example.org', date('now', '-1 day')), ('carol@example.net', date('now', '+200 days'));"

# the job under test: deletes overdue leads, logs, writes status and a run row
cat > "$T/retention-job.sh" <<'JOB'
#!/bin/sh
db=$1; log=$2; status=$3
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
echo "$(stamp) lead-retention[$$]: starting, connecting with password=hunter2" >> "$log"
if n=$(sqlite3 "$db" "delete from leads where retain_until < date('now'); select changes();" 2>&1); then
	echo "$(stamp) lead-retention[$$]: deleted $n leads past retention" >> "$log"
	echo "$(stamp) lead-retention[$$]: finished OK" >> "$log"
	echo "$(stamp) ok deleted=$n" > "$status"
	sqlite3 "$db" "insert into job_runs values ('lead-retention', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'ok')"
else
	echo "$(stamp) lead-retention[$$]: ERROR: $n" >> "$log"
	echo "$(stamp) FAILED" > "$status"
	sqlite3 "$db" "insert into job_runs values ('lead-retention', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'failed')" 2>/dev/null
	exit 1
fi
JOB
chmod +x "$T/retention-job.sh"

cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
[probe "ret-log"]
	type = retention-job
	log = retention.log
	last-success-pattern = finished OK
	failure-pattern = ERROR
[probe "ret-status"]
	type = retention-job
	status-file = retention.status
	last-success-pattern = " ok "
	failure-pattern = FAILED
[probe "ret-db"]
	type = retention-job
	database = sqlite:$T/leads.db
	query-last-success = SELECT max(finished_at) FROM job_runs WHERE status = 'ok'
	query-last-run = SELECT max(finished_at) FROM job_runs
	query-overdue = SELECT count(*) FROM leads WHERE retain_until < date('now')
CONF
C="$T/annexa.conf"
# the latest result of INSTANCE CHECK as `status --json` shows it: "STATUS\tMESSAGE"
result_of() {
	"$ANNEXA" -c "${CONF:-$C}" status --json > "$T/status.json" 2>/dev/null
	jsonq "$T/status.json" "next((c['status'] + chr(9) + c['message'] for k in d['controls'] for c in k['checks'] if c['probe'] == '$1' and c['check'] == '$2'), '')"
}
expect_status() {
	got=$(result_of "$1" "$2"); ok
	[ "${got%%	*}" = "$3" ] || fail "$1 $2 is '$got', expected $3"
}
expect_message() { ok; result_of "$1" "$2" | grep -qF -- "$3" || fail "$1 $2 message lacks '$3': $(result_of "$1" "$2")"; }

# 1. before the job ever ran: nothing ran, two leads are overdue
expect_rc 1 "$ANNEXA" -c "$C" collect
expect_status ret-db retention.job.ran fail
expect_status ret-db retention.rows_overdue fail
expect_message ret-db retention.rows_overdue "2 record(s) kept past their retention date"
expect_status ret-log retention.job.ran error
expect_message ret-log retention.job.ran "retention.log: no such file"

# 2. the job runs: everything passes, and A.8.10 is evidenced
"$T/retention-job.sh" "$DB" "$T/retention.log" "$T/retention.status" || fail "the job failed"
ok; [ "$(sqlite3 "$DB" 'select count(*) from leads')" = 1 ] || fail "the job did not delete"
expect_rc 0 "$ANNEXA" -c "$C" collect
for p in ret-log ret-status ret-db; do
	expect_status $p retention.job.ran pass
	expect_status $p retention.job.succeeded pass
done
expect_status ret-db retention.rows_overdue pass
expect_status ret-log retention.rows_overdue skip
expect_rc 0 "$ANNEXA" -c "$C" status --json --control A.8.10
expect_out '"id": "A.8.10"'
# the checks pass; the deletion rules, copies and media needs stay open
ok; jsonq "$T/out" "[c['status'] for c in d['controls'] if c['id'] == 'A.8.10'][0]" | grep -qx partial ||
	fail "A.8.10 is not partial: $(head -c 400 "$T/out")"

# 3. the job breaks: the next run fails, log and status file say so
sleep 1.1 # the log has whole seconds: the failure must come after the success
sqlite3 "$DB" "alter table leads rename to leads_old; insert into leads_old(email, retain_until) values ('dave@example.com', date('now', '-1 day'));"
"$T/retention-job.sh" "$DB" "$T/retention.log" "$T/retention.status" && fail "the broken job succeeded"
sqlite3 "$DB" "alter table leads_old rename to leads"
expect_rc 1 "$ANNEXA" -c "$C" collect
expect_status ret-log retention.job.ran pass
expect_status ret-log retention.job.succeeded pass
expect_message ret-log retention.job.succeeded "but failed since, at"
expect_status ret-status retention.job.succeeded fail
expect_status ret-db retention.rows_overdue fail
expect_message ret-db retention.rows_overdue "1 record(s)"

# 4. a systemd unit's journal export (fixture), the clock set to the day after
cat > "$T/journal.conf" <<CONF
[annexa]
	store = journal.db
[probe "ret-journal"]
	type = retention-job
	journal-export = $ANNEXA_SRC/tests/fixtures/retention/journal.export
	unit = lead-retention
	max-age = 48h
CONF
ANNEXA_NOW=2026-11-28T12:00:00Z expect_rc 0 "$ANNEXA" -c "$T/journal.conf" collect
CONF="$T/journal.conf" ANNEXA_NOW=2026-11-28T12:00:00Z expect_status ret-journal retention.job.succeeded pass
CONF="$T/journal.conf" ANNEXA_NOW=2026-11-28T12:00:00Z expect_message ret-journal retention.job.succeeded \
	"last success at 2026-11-27T03:00:05Z (within 2d); but failed since, at 2026-11-28T03:00:02Z"
ANNEXA_NOW=2026-12-01T12:00:00Z expect_rc 1 "$ANNEXA" -c "$T/journal.conf" collect
CONF="$T/journal.conf" ANNEXA_NOW=2026-12-01T12:00:00Z expect_status ret-journal retention.job.ran fail

# nothing personal or secret in the stores (results and artifacts)
for db in annexa.db journal.db; do
	for s in alice@example.com bob@example.org dave@example.com hunter2; do
		ok; ! grep -qaF "$s" "$T/$db" "$T/$db-wal" 2>/dev/null || fail "$s in $db"
	done
done
# the job-runs population of the log source: one row per run in the window
population_csv "$T/annexa.db" ret-log job-runs > "$T/runs.csv"
ok; [ "$(head -1 "$T/runs.csv")" = "item,time,outcome" ] || fail "job-runs header: $(head -1 "$T/runs.csv")"
ok; [ "$(tail -n +2 "$T/runs.csv" | wc -l)" -ge 1 ] || fail "job-runs population is empty"
done_tests
