#!/bin/bash
# Manual evidence with the real binary: attach with past and future dates,
# expiry through ANNEXA_NOW, approval by another user (nobody, via
# setpriv), same-user approval refused, revoke; status and the ledger after
# each step; refused inputs store nothing; a 100 MB file attaches in
# bounded memory (peak RSS < 64 MB when /usr/bin/time is there).
. "$ANNEXA_SRC/tests/lib/common.sh"
export ANNEXA_CONTROLS="${ANNEXA_CONTROLS:-$ANNEXA_SRC/controls}"
C="$T/annexa.conf"
printf '[annexa]\n\tstore = %s/annexa.db\n\tmanual-approval = true\n\texpiry-warning = 30d\n' "$T" > "$C"
echo "%PDF-1.4 information security policy" > "$T/policy.pdf"
echo "screening procedure" > "$T/screening.txt"
chmod 777 "$T" # nobody creates the store in it
chmod 644 "$C" "$T"/*.pdf "$T"/*.txt
export ANNEXA_NOW=2027-01-15T00:00:00Z

# as_nobody CMD...: runs CMD as uid/gid 65534 (the store is then created
# by and writable for nobody; root can write it too).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "SKIP: needs root and setpriv to act as a second user"; exit 77
fi
status_of() { # control -> status from status --json
	"$ANNEXA" -c "$C" status --json >"$T/st.json" 2>&1
	jsonq "$T/st.json" "[c['status'] for c in d['controls'] if c['id']=='$1'][0]"
}
expect_status() {
	got=$(status_of "$1"); ok
	[ "$got" = "$2" ] || fail "${3:-}: $1 is '$got', want '$2'"
}
ledger_ok() {
	expect_rc 0 "$ANNEXA" -c "$C" ledger verify
	expect_out "ledger OK"
}
state() { "$ANNEXA" -c "$C" attach --list --json >"$T/l.json"; jsonq "$T/l.json" "[i['state'] for i in d if i['id']=='$1'][0]"; }

# nobody creates the store, so both users can write it (root always can)
expect_rc 0 as_nobody "$ANNEXA" -c "$C" status
expect_status A.5.1 manual "before anything"

# 1. nobody attaches (creates the store): pending, so still manual
expect_rc 0 as_nobody "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" --effective 2026-12-01 --valid 60d --owner "ISMS owner" --note "v1"
expect_out "attached M-1"
expect_out "pending"
ledger_ok
expect_status A.5.1 manual "pending"
"$ANNEXA" -c "$C" status >"$T/out" 2>&1
expect_out "pending approval"

# 2. nobody may not approve what nobody attached
expect_rc 2 as_nobody "$ANNEXA" -c "$C" approve M-1
expect_out "segregation of duties"
ok; [ "$(state M-1)" = pending ] || fail "refused approval changed the state"

# 3. root approves: pass while valid, listed as expiring (2027-01-30 is within 30d)
expect_rc 0 "$ANNEXA" -c "$C" approve M-1
expect_out "approved M-1"
ledger_ok
expect_status A.5.1 pass "approved"
"$ANNEXA" -c "$C" status --json >"$T/st.json"
ok; [ "$(jsonq "$T/st.json" "[(e['id'],e['control'],e['expires'],e['owner']) for e in d['expiring']]")" = "[('M-1', 'A.5.1', '2027-01-30T00:00:00Z', 'ISMS owner')]" ] \
	|| fail "expiring list: $(jsonq "$T/st.json" "d['expiring']")"
ok; [ "$(jsonq "$T/st.json" "[(m['attached_by'], m['approved_by']) for c in d['controls'] if c['id']=='A.5.1' for m in c['manual_evidence']]")" = "[('nobody', 'root')]" ] \
	|| fail "attached_by/approved_by not recorded: $(jsonq "$T/st.json" "[c.get('manual_evidence') for c in d['controls'] if c['id']=='A.5.1']")"
"$ANNEXA" -c "$C" status >"$T/out" 2>&1
expect_out "Manual evidence expiring within 30d"
expect_out "M-1"

# 4. expiry: stale after 2027-01-30, manual before it became effective
ANNEXA_NOW=2027-02-01T00:00:00Z expect_status A.5.1 stale "expired"
ANNEXA_NOW=2026-11-01T00:00:00Z expect_status A.5.1 manual "not yet effective"
ANNEXA_NOW=2027-02-01T00:00:00Z "$ANNEXA" -c "$C" status --json >"$T/st.json"
ok; [ "$(jsonq "$T/st.json" "len(d['expiring'])")" = 0 ] || fail "expired evidence still listed as expiring"

# 5. root attaches a renewal (future expiry) to two controls; nobody approves
expect_rc 0 "$ANNEXA" -c "$C" attach A.5.1,A.6.1 "$T/policy.pdf" "$T/screening.txt" --expires 2028-01-01 --json
ok; [ "$(jsonq "$T/out" "d['id']")" = M-2 ] || fail "second item is not M-2"
expect_rc 2 "$ANNEXA" -c "$C" approve M-2
expect_out "segregation of duties"
expect_status A.6.1 manual "renewal pending"
expect_rc 0 as_nobody "$ANNEXA" -c "$C" approve M-2
ledger_ok
expect_status A.6.1 pass "renewal approved"
ANNEXA_NOW=2027-02-01T00:00:00Z expect_status A.5.1 pass "renewed"
"$ANNEXA" -c "$C" status --json >"$T/st.json"
ok; [ "$(jsonq "$T/st.json" "len(d['expiring'])")" = 0 ] || fail "renewed evidence still listed as expiring"

# 6. revoke the renewal: stays listed, marked; A.6.1 back to manual, A.5.1 to stale later
expect_rc 2 "$ANNEXA" -c "$C" attach --revoke M-2
expect_rc 0 "$ANNEXA" -c "$C" attach --revoke M-2 --reason "wrong version"
expect_out "revoked M-2"
ledger_ok
expect_status A.6.1 manual "revoked"
ANNEXA_NOW=2027-02-01T00:00:00Z expect_status A.5.1 stale "renewal revoked"
ok; [ "$(state M-2)" = revoked ] || fail "revoked item not listed as revoked"
expect_rc 0 "$ANNEXA" -c "$C" attach --list A.6.1
expect_out "revoked"
expect_rc 2 "$ANNEXA" -c "$C" attach --revoke M-2 --reason again
expect_rc 0 "$ANNEXA" -c "$C" ledger list
expect_out "attach"
expect_out "approve"
expect_out "revoke"

# 7. refused inputs store nothing
snap() { sqlite3 "$T/annexa.db" "select (select count(*) from runs)||'/'||(select count(*) from artifacts)||'/'||(select count(*) from manual_evidence)"; }
before=$(snap)
ok; [ -n "$before" ] || fail "cannot read the store with sqlite3"
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1 "$T/missing.pdf"
expect_out "missing.pdf: no such file"
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1 "$T"
expect_out "is a directory"
expect_rc 2 "$ANNEXA" -c "$C" attach A.9.99 "$T/policy.pdf"
expect_out "unknown control 'A.9.99'"
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1,A.9.99 "$T/policy.pdf"
expect_out "A.9.99"
echo "secret" > "$T/locked.pdf"; chmod 000 "$T/locked.pdf"
expect_rc 2 as_nobody "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" "$T/locked.pdf"
expect_out "locked.pdf: Permission denied"
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" --effective 2027-01-01 --expires 2026-01-01
expect_out "expiry"
# validity is bounded (10 years): evidence that never expires is never reviewed
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" --valid 99999999999999d
expect_out "at most 3650d (10 years)"
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" --valid 3651d
expect_out "at most 3650d"
expect_rc 2 "$ANNEXA" -c "$C" attach A.5.1 "$T/policy.pdf" --effective 2027-01-01 --expires 9999-12-31
expect_out "at most 3650 days (10 years)"
expect_rc 2 "$ANNEXA" -c "$C" approve M-99
expect_out "M-99"
ok; [ "$(snap)" = "$before" ] || fail "a refused input changed the store ($before -> $(snap))"
ledger_ok

# 8. 100 MB in bounded memory
head -c 100M /dev/urandom > "$T/scan.pdf"
scan_sha=$(sha256sum "$T/scan.pdf" | cut -c1-64)
if [ -x /usr/bin/time ]; then
	expect_rc 0 /usr/bin/time -v "$ANNEXA" -c "$C" attach A.7.10 "$T/scan.pdf"
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/out")
	echo "100 MB attach: peak RSS ${rss} kB"
	ok; [ -n "$rss" ] && [ "$rss" -lt 65536 ] || fail "peak RSS ${rss} kB >= 64 MB"
else
	echo "NOTE: /usr/bin/time missing (apt-get install time): memory not measured"
	expect_rc 0 "$ANNEXA" -c "$C" attach A.7.10 "$T/scan.pdf"
fi
expect_out "$scan_sha"
ok; [ "$(sqlite3 "$T/annexa.db" "select size from artifacts where sha256='$scan_sha'")" = 104857600 ] || fail "100 MB artifact not stored whole"
ledger_ok
rm -f "$T/scan.pdf"
done_tests
