#!/bin/bash
# The demo end to end with the real binary: collect, status (table and
# JSON), controls, soa, ledger; exit codes as in DESIGN.md.
. "$ANNEXA_SRC/tests/lib/common.sh"
cp -r "$ANNEXA_SRC/examples/demo" "$T/demo"
rm -rf "$T/demo/state" "$T/demo/out"
chmod 0600 "$T/demo/site/etc/annexa/pseudonym.key"
chmod 0644 "$T/demo/site/var/log/mail.log"
C="$T/demo/annexa.conf"

expect_rc 0 "$ANNEXA" -c "$C" check-config
expect_out "configuration OK"
expect_rc 1 "$ANNEXA" -c "$C" collect            # the demo has failing checks on purpose
expect_out "fail  postfix-tls-settings file.content.absent"
expect_out "fail  maillog file.mode"
expect_rc 1 "$ANNEXA" -c "$C" status
expect_out "A.8.24"
expect_rc 1 "$ANNEXA" -c "$C" status --json
cp "$T/out" "$T/status.json"
ok
[ "$(jsonq "$T/status.json" 'len(d["controls"])')" = 93 ] || fail "status --json lists $(jsonq "$T/status.json" 'len(d["controls"])') controls, want 93"
[ "$(jsonq "$T/status.json" 'd["summary"]["not_applicable"]')" = 2 ] || fail "want 2 not_applicable controls"
[ "$(jsonq "$T/status.json" '[c["status"] for c in d["controls"] if c["id"]=="A.8.24"][0]')" = fail ] || fail "A.8.24 should fail (TLS 1.0 allowed)"
[ "$(jsonq "$T/status.json" '[c["status"] for c in d["controls"] if c["id"]=="A.5.34"][0]')" = pass ] || fail "A.5.34 should pass (key is 0600)"
[ "$(jsonq "$T/status.json" '[c["status"] for c in d["controls"] if c["id"]=="A.5.1"][0]')" = manual ] || fail "A.5.1 should be manual"
for k in pass fail error stale manual not_applicable not_covered; do
	jsonq "$T/status.json" "d['summary']['$k']" >/dev/null 2>&1 || fail "summary lacks $k"
done
expect_rc 0 "$ANNEXA" -c "$C" status --control A.5.34
expect_out "A.5.34"
expect_rc 2 "$ANNEXA" -c "$C" status --control A.9.9
expect_rc 0 "$ANNEXA" -c "$C" controls --json
expect_rc 0 "$ANNEXA" -c "$C" soa --csv
expect_out "id,title,applicable,justification,implementation_status,evidence_source"
[ "$(grep -c '^"\?A\.' "$T/out")" = 93 ] || fail "soa --csv has $(grep -c '^"\?A\.' "$T/out") control rows, want 93"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify
expect_rc 2 "$ANNEXA" -c "$C" frobnicate
expect_rc 0 "$ANNEXA" --help
for cmd in collect daemon status controls soa check-config ledger; do
	expect_rc 0 "$ANNEXA" "$cmd" --help
	expect_out "usage: annexa"
done
# The secret in main.cf is redacted from the attached evidence.
expect_rc 0 sqlite3 "$T/demo/state/annexa.db" "select data from artifacts"
expect_no_out "demo-secret-not-in-evidence"
expect_out "[REDACTED]"
# Fixing the file makes the control pass at the next run.
chmod 0600 "$T/demo/site/var/log/mail.log"
expect_rc 0 "$ANNEXA" -c "$C" collect --probe maillog
expect_rc 0 "$ANNEXA" -c "$C" status --control A.8.15
expect_rc 2 "$ANNEXA" -c "$C" collect --probe nosuch
expect_out "nosuch"
done_tests
