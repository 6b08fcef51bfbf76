#!/bin/bash
# The demo end to end with the real binary: collect, status (table and
# JSON), controls, soa, ledger; exit codes as in DESIGN.md.
. "$ANNEXA_SRC/tests/lib/common.sh"

# narrow WHAT: the last command's output fits 80 columns.
narrow() {
	ok
	long=$(awk 'length($0) > 80' "$T/out" | head -3)
	[ -z "$long" ] || fail "$1 has lines over 80 columns: $long"
}
# The demo as `make demo` runs it: run.sh builds the fresh parts of the
# site (lead database, mail log, dump), collects, exports and reports.
mkdir -p "$T/src/examples" "$T/src/tests/fixtures"
cp -r "$ANNEXA_SRC/examples/demo" "$T/src/examples/demo"
cp -r "$ANNEXA_SRC/tests/fixtures/leads" "$T/src/tests/fixtures/leads"
rm -rf "$T/src/examples/demo/state" "$T/src/examples/demo/out"
D="$T/src/examples/demo"
C="$D/annexa.conf"
expect_rc 0 sh "$D/run.sh" "$ANNEXA"
expect_out "signed bundle: $D/out/evidence.zip"
expect_out "HTML report:   $D/out/report.html"
expect_out "93 controls:"
ok; [ -s "$D/out/evidence.zip" ] && [ -s "$D/out/report.html" ] || fail "run.sh wrote no bundle or report"
expect_rc 0 "$ANNEXA" verify "$D/out/evidence.zip"

expect_rc 0 "$ANNEXA" -c "$C" check-config
expect_out "configuration OK"
expect_rc 1 "$ANNEXA" -c "$C" collect            # the demo has failing checks on purpose
expect_out "fail  postfix-tls-settings file.content.absent"
expect_out "fail  maillog file.mode"
expect_out "fail  leads consent.unconfirmed.expired"
# the shop's existing customers: one misuse of each condition of the exemption
for c in no_sale dissimilar no_notice stale_sale; do expect_out "fail  leads consent.customer.$c: 1 existing-customer"; done
expect_out "fail  transfers transfer.invalid_mechanism"
expect_out "fail  maillog-access log.auth_failures"
expect_no_out "error "
expect_rc 1 "$ANNEXA" -c "$C" status
expect_out "A.8.24"
expect_rc 1 "$ANNEXA" -c "$C" status --json
cp "$T/out" "$T/status.json"
st() { jsonq "$T/status.json" "[c['status'] for c in d['controls'] if c['id']=='$1'][0]"; }
ok; [ "$(jsonq "$T/status.json" 'len(d["controls"])')" = 93 ] || fail "status --json lists $(jsonq "$T/status.json" 'len(d["controls"])') controls, want 93"
# A.7.4/A.7.5 are inherited from the hosting provider, not excluded.
ok; [ "$(jsonq "$T/status.json" 'd["summary"]["not_applicable"]')" = 0 ] || fail "want no not_applicable control"
ok; [ "$(jsonq "$T/status.json" '[c["inherited"]["provider"] for c in d["controls"] if c["id"]=="A.7.4"][0]')" = "Example Hosting AG" ] ||
	fail "A.7.4 is not shown as inherited from Example Hosting AG"
ok; [ "$(st A.8.24)" = fail ] || fail "A.8.24 should fail (TLS 1.0 allowed), is $(st A.8.24)"
# Every endpoint is registered, but a register proves no supplier process:
# partial, with the needs named.
ok; [ "$(st A.5.19)" = partial ] || fail "A.5.19 should be partial (every endpoint registered), is $(st A.5.19)"
ok; [ "$(jsonq "$T/status.json" '[n["id"] for c in d["controls"] if c["id"]=="A.5.19" for n in c["coverage"]["needs"] if n["answered_by"] is None]')" = "['A.5.19:process', 'A.5.19:assessments']" ] ||
	fail "A.5.19's open needs are not named"
ok; [ "$(st A.8.13)" = fail ] || fail "A.8.13 should fail (plaintext dump), is $(st A.8.13)"
ok; [ "$(st A.5.1)" = manual ] || fail "A.5.1 should be manual, is $(st A.5.1)"
# Automated checks alone never make a control pass: the demo attaches nothing.
ok; [ "$(jsonq "$T/status.json" 'd["summary"]["pass"]')" = 0 ] || fail "a control passes on automated checks alone"
ok; [ "$(jsonq "$T/status.json" 'd["summary"]["partial"]')" -ge 1 ] || fail "no partial control in the demo"
for k in pass partial fail error stale manual not_applicable not_covered; do
	jsonq "$T/status.json" "d['summary']['$k']" >/dev/null 2>&1 || fail "summary lacks $k"
done
expect_rc 0 "$ANNEXA" -c "$C" status --control A.5.19
expect_out "A.5.19"
expect_out "still needed (2):"
expect_out "A.5.19:process [design]"
expect_rc 2 "$ANNEXA" -c "$C" status --control A.9.9
expect_rc 0 "$ANNEXA" -c "$C" controls --json
cp "$T/out" "$T/controls.json"
# every rule carries its strength and a rationale naming the 27002 clause
ok; [ "$(jsonq "$T/controls.json" "sorted({m.get('strength', 'none') for c in d for m in c['mappings'] if not m['source'].startswith('config')})")" = "['primary', 'supporting']" ] ||
	fail "controls --json: rules without strength"
ok; [ "$(jsonq "$T/controls.json" "[m['check'] for c in d for m in c['mappings'] if not m['source'].startswith('config') and not m['rationale'].startswith(c['id'][2:] + ' ')]")" = "[]" ] ||
	fail "controls --json: a rationale does not cite its 27002 clause"
ok; [ "$(jsonq "$T/controls.json" "[(m['strength'], m['source']) for c in d if c['id'] == 'A.8.15' for m in c['mappings'] if m['check'] == 'log.permissions']")" = "[('primary', 'mapping/accesslog.xml')]" ] ||
	fail "controls --json: A.8.15 <- log.permissions"
ok; [ "$(jsonq "$T/controls.json" "[x['id'] for c in d if c['id'] == 'A.5.14' for x in c['crosswalk']]")" = "['A.13.2.1', 'A.13.2.2', 'A.13.2.3']" ] ||
	fail "controls --json: A.5.14 crosswalk"
expect_rc 0 "$ANNEXA" -c "$C" controls
expect_out "        <- log.permissions [primary] 8.15 integrity of log information"
expect_out "        <- maillog:* [instance] listed in the probe's \`controls =\`"
expect_out "        =  iso27001-2013 A.12.4.1 (subset)"
expect_no_out "selftest"
# claims the auditor rejected: no automated evidence left for them here
for c in A.8.16 A.5.30 A.5.23 A.8.20 A.8.4; do
	ok; [ "$(st "$c")" = manual ] || fail "$c should be manual (no check evidences it), is $(st "$c")"
done
expect_rc 0 "$ANNEXA" -c "$C" soa --csv
ok
[ "$(head -c 3 "$T/out" | od -An -tx1 | tr -d ' \n')" = efbbbf ] || fail "soa --csv does not start with a UTF-8 BOM"
expect_out "Control,Title,Applicable,Justification,Implementation status,Evidenced by,Owner,Last evidence,annexa status"
expect_out "A.7.4,Physical security monitoring,yes,best practice,planned,\"inherited from Example Hosting AG (ISO/IEC 27001:2022 certificate 0123-ISMS"
expect_out "A.8.24,Use of cryptography,yes,risk treatment RTP-3 (interception of mail in transit),"
expect_out ",Mail operations (M. Keller),20"

[ "$(grep -c '^"\?A\.' "$T/out")" = 93 ] || fail "soa --csv has $(grep -c '^"\?A\.' "$T/out") control rows, want 93"
expect_rc 0 "$ANNEXA" -c "$C" soa --csv --sep ';'
expect_out "Control;Title;Applicable;Justification;Implementation status;"
expect_rc 2 "$ANNEXA" -c "$C" soa --csv --sep ';;'
expect_rc 0 "$ANNEXA" -c "$C" ledger verify
expect_rc 2 "$ANNEXA" -c "$C" frobnicate
expect_rc 0 "$ANNEXA" --help
narrow "annexa --help"
for cmd in collect daemon status controls soa check-config ledger export verify keygen report attach approve; do
	expect_rc 0 "$ANNEXA" "$cmd" --help
	expect_out "usage: annexa"
	narrow "annexa $cmd --help"
done
# status fits a terminal too, its failing checks wrapped under their row
expect_rc 1 "$ANNEXA" -c "$C" status
narrow "annexa status"
expect_out "          /"
expect_rc 1 "$ANNEXA" -c "$C" status --control A.8.24
narrow "annexa status --control A.8.24"
expect_out "  owner: Mail operations (M. Keller)"
expect_rc 1 "$ANNEXA" -c "$C" status --failing
narrow "annexa status --failing"
expect_out "A.8.24   fail "
expect_no_out "A.5.1    manual"
expect_rc 1 "$ANNEXA" -c "$C" status --failing --json
got=$(python3 -c 'import json,sys; print(" ".join(sorted({c["status"] for c in json.load(open(sys.argv[1]))["controls"]} - {"fail", "error", "stale"})))' "$T/out")
ok
[ -z "$got" ] || fail "status --failing --json lists controls that are $got"
# The secret in main.cf is redacted from the attached evidence.
expect_rc 0 sqlite3 "$D/state/annexa.db" "select data from artifacts"
expect_no_out "demo-secret-not-in-evidence"
expect_out "[REDACTED]"
# No lead address reaches the store or the bundle (pseudonyms only).
for addr in anna@example.org ben@example.org chris@example.org former@example.org; do
	ok; ! grep -qaF "$addr" "$D/state/annexa.db" || fail "$addr in the store"
	ok; ! unzip -p "$D/out/evidence.zip" | grep -qaF "$addr" || fail "$addr in the bundle"
done
# Fixing the file makes the control's checks pass at the next run: partial,
# the logging policy, log review and tamper protection still needed.
chmod 0600 "$D/site/var/log/mail.log"
expect_rc 0 "$ANNEXA" -c "$C" collect --probe maillog
expect_rc 0 "$ANNEXA" -c "$C" status --control A.8.15
expect_out "A.8.15   partial"
expect_out "A.8.15:tamper [implementation]"
expect_rc 2 "$ANNEXA" -c "$C" collect --probe nosuch
expect_out "nosuch"
done_tests
