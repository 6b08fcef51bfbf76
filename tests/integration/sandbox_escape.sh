#!/bin/bash
# Probe confinement (issue 15): a probe that tries to leave its sandbox
# (store read-write, signing key, config, /etc/shadow, a file outside its
# state folder, an unconfigured TCP port, ptrace of the collector, the same
# from /bin/sh) is denied every time, the run records the confinement the
# kernel applied, and the store and ledger stay intact. The degrade path
# (a kernel without Landlock, simulated in test builds) is recorded as
# such, and require-sandbox refuses it.
. "$ANNEXA_SRC/tests/lib/common.sh"
abi=$(python3 -c 'import ctypes; l=ctypes.CDLL(None, use_errno=True); print(max(0, l.syscall(444, None, 0, 1)))')
echo "kernel Landlock ABI: $abi"
echo "not a real key" > "$T/signing.key"
head -c 32 /dev/urandom > "$T/pseudonym.key"
write_conf() {
	cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	$1
[privacy]
	pseudonym-key-file = pseudonym.key
[signing]
	key = signing.key
[probe "escape"]
	type = selftest
	behave = escape
	escape-open = $T/annexa.db
	escape-open = $T/annexa.db-wal
	escape-read = $T/signing.key
	escape-read = $T/annexa.conf
	escape-read = /etc/shadow
	escape-write = $T/escaped
	escape-port = 12799
CONF
}
sandbox_of() { sqlite3 "$T/annexa.db" "select cast(a.data as text) from run_artifacts r join artifacts a on a.sha256 = r.sha256 where r.name = 'sandbox.txt' and r.run_id = (select max(id) from runs)"; }
# status's instance table, its wrapped STATE column joined again
status_text() { "$ANNEXA" -c "$T/annexa.conf" status 2>&1 | sed 's/^ \{20,\}/ /' | tr '\n' '\r' | sed 's/\r / /g' | tr '\r' '\n' >"$T/out"; }
result_of() { sqlite3 "$T/annexa.db" "select status || ' ' || message from results where check_id = 'selftest.ok' and run_id = (select max(id) from runs)"; }

write_conf ""
"$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1 # creates the store (escape result fails the exit code)
expect_rc 0 sqlite3 "$T/annexa.db" "select count(*) from runs"
if [ "$abi" -ge 1 ]; then
	r=$(result_of); echo "$r"
	ok; case "$r" in "info 9 of 9 escape attempts denied") ;; *) fail "escape not fully denied: $r";; esac
	obs=$(sqlite3 "$T/annexa.db" "select observed from results where check_id = 'selftest.ok' and run_id = (select max(id) from runs)")
	echo "$obs"
	ok; [ "$(echo "$obs" | jq '.escaped | length')" = 0 ] || fail "something escaped: $obs"
	ok; echo "$obs" | jq -e '[.denied[] | select(.attempt | startswith("connect")) | .error] == ["Permission denied"]' >/dev/null ||
		fail "the connect was not denied by the sandbox"
	s=$(sandbox_of)
	# no probe-user and no annexa-probe account: even as root the child keeps
	# the collector's user (no nobody fallback, README "Probe confinement")
	ok; [ "$s" = "landlock-v$abi+seccomp" ] || fail "sandbox recorded as '$s', want landlock-v$abi+seccomp"
	# status and the report show the confinement the newest run applied
	status_text
	expect_out "sandbox landlock-v$abi+seccomp: escape"
	expect_no_out "UNCONFINED"
	ok; [ "$("$ANNEXA" -c "$T/annexa.conf" status --json | jq -r '.instances[] | select(.name == "escape") | "\(.sandbox) \(.unconfined)"')" = "landlock-v$abi+seccomp false" ] ||
		fail "status --json: $("$ANNEXA" -c "$T/annexa.conf" status --json | jq -c .instances)"
	"$ANNEXA" -c "$T/annexa.conf" report -o "$T/r.html" >/dev/null 2>&1
	ok; grep -qF "<tr class=\"sandbox-item\" data-sandbox=\"confined\"><td>escape</td><td><code>landlock-v$abi+seccomp</code>" "$T/r.html" ||
		fail "report.html lacks the sandbox of escape: $(grep -o '<section id="confinement">.*' "$T/r.html" | head -c 400)"
else
	echo "this kernel has no Landlock: only the degrade path below is tested"
fi
ok; [ ! -e "$T/escaped" ] && [ ! -e "$T/escaped.sh" ] || fail "the probe wrote outside its state folder"
expect_rc 0 sqlite3 "$T/annexa.db" "pragma integrity_check"
expect_out "ok"
expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify

# a kernel without Landlock: the probe still runs, the run says so
ANNEXA_TEST_SANDBOX=no-landlock "$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1
s=$(sandbox_of)
ok; [ "$s" = "seccomp" ] || fail "degraded sandbox recorded as '$s', want seccomp"
r=$(result_of); echo "unconfined by Landlock: $r"
ok; case "$r" in fail*) ;; *) fail "without Landlock root's escape should get through somewhere: $r";; esac
ok; [ ! -e "$T/escaped" ] || rm -f "$T/escaped" "$T/escaped.sh"
ANNEXA_TEST_SANDBOX=off "$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1
s=$(sandbox_of)
ok; [ "$s" = "none" ] || fail "no confinement recorded as '$s', want none"
status_text
expect_out "UNCONFINED (sandbox none)"
expect_out "warning: UNCONFINED"
ok; [ "$("$ANNEXA" -c "$T/annexa.conf" status --json | jq -r '.instances[0] | "\(.sandbox) \(.unconfined)"')" = "none true" ] ||
	fail "status --json of an unconfined run: $("$ANNEXA" -c "$T/annexa.conf" status --json | jq -c .instances)"
"$ANNEXA" -c "$T/annexa.conf" report -o "$T/r.html" >/dev/null 2>&1
ok; grep -qF '<tr class="sandbox-item" data-sandbox="none"><td>escape</td><td><code>none</code> <span class="status s-fail">unconfined</span>' "$T/r.html" ||
	fail "report.html does not mark the unconfined run"
rm -f "$T/escaped" "$T/escaped.sh"

# require-sandbox refuses to run unconfined
write_conf "require-sandbox = true"
ANNEXA_TEST_SANDBOX=no-landlock expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect
expect_out "require-sandbox: this kernel offers no Landlock"
ok; [ ! -e "$T/escaped" ] || fail "a refused probe ran"

# as root, probe-user: the child switches user (and stays confined)
if [ "$(id -u)" = 0 ] && [ "$abi" -ge 1 ]; then
	write_conf "probe-user = nobody"
	chmod 0711 "$T"
	"$ANNEXA" -c "$T/annexa.conf" collect >/dev/null 2>&1
	s=$(sandbox_of)
	ok; [ "$s" = "landlock-v$abi+seccomp user=nobody" ] || fail "probe-user run recorded as '$s'"
	r=$(result_of)
	ok; case "$r" in "info 9 of 9 escape attempts denied") ;; *) fail "as nobody: $r";; esac
	expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" ledger verify
fi

# the same escape from a collector run by an unprivileged user
if [ "$(id -u)" = 0 ] && [ "$abi" -ge 1 ] && command -v setpriv >/dev/null; then
	U="$T/unpriv"; mkdir "$U"
	sed -e "s|$T/|$U/|g" -e '/probe-user/d' -e '/signing.key\|pseudonym/d' -e '/^\[signing\]\|^\[privacy\]/d' "$T/annexa.conf" > "$U/annexa.conf"
	chown -R nobody "$U"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$ANNEXA" -c "$U/annexa.conf" "$@"; }
	as_nobody collect >/dev/null 2>&1
	r=$(sqlite3 "$U/annexa.db" "select status || ' ' || message from results where check_id = 'selftest.ok'")
	echo "as nobody: $r"
	ok; case "$r" in "info "*" escape attempts denied") n=${r#info }; [ "${n%% of*}" = "$(echo "$n" | sed 's/.* of \([0-9]*\).*/\1/')" ] || fail "as nobody: $r";; *) fail "as nobody: $r";; esac
	ok; [ ! -e "$U/escaped" ] || fail "as nobody the probe wrote outside its state folder"
	as_nobody ledger verify >/dev/null || fail "ledger after the unprivileged escape"
fi
done_tests
