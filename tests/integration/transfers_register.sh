#!/bin/bash
# transfers probe with the real binary: an Excel-saved register (BOM, ';',
# CRLF, quoted fields), a Postfix relayhost in the USA still registered on
# Safe Harbor, a lead database host found in another annexa.conf and not
# registered; then the privacy officer's fixed register; then a broken one.
. "$ANNEXA_SRC/tests/lib/common.sh"
export ANNEXA_NOW=2026-11-29T10:00:00Z
mkdir -p "$T/postfix"
cat > "$T/postfix/main.cf" <<'CF'
# outbound mail goes through the US relay
relayhost = [smtp.oldrelay.example.com]:587
transport_maps = hash:$config_directory/transport
CF
printf 'newsletter.example.org  smtp:[smtp-relay.brevo.com]:587\n' > "$T/postfix/transport"
cat > "$T/prod.conf" <<'CONF'
[probe "leads"]
	type = consent
	database = postgresql://annexa:s3cret@pg.leads-hosting.example:5432/leads
[probe "mx"]
	type = tls
	target = 127.0.0.1:25
CONF
printf '\xef\xbb\xbfRecipient;Service;Endpoints;Country;Role;Mechanism;DPF checked;TIA date;Next review\r\n' > "$T/register.csv"
printf '"OldRelay, Inc.";"outbound relay";smtp.oldrelay.example.com;US;processor;safe-harbor;;;2027-03-01\r\n' >> "$T/register.csv"
printf 'Brevo;"newsletters; DOI mails";"smtp-relay.brevo.com *.sendinblue.com";FR;processor;eu;;;2027-06-01\r\n' >> "$T/register.csv"
cat > "$T/annexa.conf" <<CONF
[annexa]
	store = state/annexa.db
	state-dir = state
[probe "transfers"]
	type = transfers
	register = register.csv
	postfix-config-dir = postfix
	scan-config = prod.conf
	endpoint = api.crm-cloud.example
CONF
C="$T/annexa.conf"
check() { # check CHECK WANT [TEXT]
	ok
	got=$(jsonq "$T/status.json" "[k['status'] for c in d['controls'] for k in c['checks'] if k['check']=='$1'][0]" 2>/dev/null)
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2'"
	if [ -n "${3:-}" ]; then
		msg=$(jsonq "$T/status.json" "[k['message'] for c in d['controls'] for k in c['checks'] if k['check']=='$1'][0]")
		case "$msg" in *"$3"*) ok ;; *) fail "$1 message '$msg' lacks '$3'" ;; esac
	fi
}
control() {
	ok
	got=$(jsonq "$T/status.json" "[c['status'] for c in d['controls'] if c['id']=='$1'][0]")
	[ "$got" = "$2" ] || fail "control $1 is '$got', want '$2'"
}

expect_rc 0 "$ANNEXA" -c "$C" check-config
expect_rc 1 "$ANNEXA" -c "$C" collect
"$ANNEXA" -c "$C" status --json > "$T/status.json"
check transfer.invalid_mechanism fail "register.csv:2 OldRelay, Inc.: rests on Safe Harbor, invalidated on 2015-10-06"
check transfer.unregistered_endpoint fail "pg.leads-hosting.example (annexa config [probe \"leads\"] database) is in no register entry"
check transfer.unregistered_endpoint fail "api.crm-cloud.example (endpoint option)"
check transfer.review_overdue pass
check transfer.dpf_unchecked skip
check transfer.tia_missing skip
control A.5.14 fail
control A.5.34 fail
control A.5.22 partial # checks pass; supplier review records still needed
expect_rc 0 sqlite3 "$T/state/annexa.db" "select data from artifacts"
expect_out "smtp-relay.brevo.com"
expect_no_out "s3cret"

# the privacy officer fixes the register (LibreOffice, ',' and LF this time)
cat > "$T/register.csv" <<'CSV'
recipient,service,endpoints,country,role,mechanism,dpf_checked,tia_date,next_review
"OldRelay, Inc.",outbound relay,smtp.oldrelay.example.com,US,processor,dpf,2026-09-15,,2027-03-01
Brevo,"newsletters, DOI mails",smtp-relay.brevo.com *.sendinblue.com,FR,processor,eu,,,2027-06-01
Leads Hosting,lead database,pg.leads-hosting.example,CH,processor,adequacy,,,2027-01-31
CRM Cloud,crm,*.crm-cloud.example,IN,processor,scc,,2026-05-02,2027-05-01
CSV
expect_rc 0 "$ANNEXA" -c "$C" collect
"$ANNEXA" -c "$C" status --json > "$T/status.json"
check transfer.invalid_mechanism pass
check transfer.unregistered_endpoint pass "all 4 endpoints are covered by the register"
check transfer.dpf_unchecked pass
check transfer.tia_missing pass
check transfer.review_overdue pass
control A.5.14 partial # checks pass; coverage needs open
control A.5.34 partial

# a hand-edited register with a broken quote: error naming file and line
printf 'recipient,endpoints,country,mechanism\nA,a.example,DE,eu\n"B,b.example,US,dpf\n' > "$T/register.csv"
expect_rc 1 "$ANNEXA" -c "$C" collect
"$ANNEXA" -c "$C" status --json > "$T/status.json"
check transfer.invalid_mechanism error "register.csv:3: quoted field opened here is never closed"
control A.5.14 error
done_tests
