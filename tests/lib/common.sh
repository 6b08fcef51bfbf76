# common.sh - sourced by the integration tests: a temp folder, assertions
# that name what failed, and the annexa binary under test ($ANNEXA).
set -u
: "${ANNEXA:?set by meson}"
: "${ANNEXA_SRC:?set by meson}"
# A test that fakes the clock (ANNEXA_NOW) needs a test build (meson
# -Dtest_clock=true, as `make check` sets up): a release build ignores the
# variable. Elsewhere it is skipped (77), not failed, unless it checks
# $TEST_CLOCK itself (OWN_CLOCK_CHECK=1 before sourcing this file).
TEST_CLOCK=0
"$ANNEXA" --version | grep -q "test clock" && TEST_CLOCK=1
if [ -z "${OWN_CLOCK_CHECK:-}" ] && [ "$TEST_CLOCK" = 0 ] && grep -q 'ANNEXA_NOW=' "$0" 2>/dev/null; then
	echo "SKIP: $0 sets ANNEXA_NOW: needs a build with meson -Dtest_clock=true"
	exit 77
fi
T=$(mktemp -d /tmp/annexa-it-XXXXXX)
FAILS=0
CHECKS=0
cleanup_hooks=""
on_exit() {
	rc=$?
	for h in $cleanup_hooks; do "$h" || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
	# Something on this machine once replaced /dev/null with a file; catch
	# the test that does it, and repair it so the tests after it still run.
	if [ ! -c /dev/null ]; then
		echo "FAIL: /dev/null is no longer a character device after this test" >&2
		rm -f /dev/null && mknod -m 666 /dev/null c 1 3
		exit 1
	fi
	exit $rc
}
trap on_exit EXIT
add_cleanup() { cleanup_hooks="$1 $cleanup_hooks"; }

fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }
ok() { CHECKS=$((CHECKS + 1)); }
# expect_rc WANT CMD...: runs CMD, stdout+stderr into $T/out, asserts its exit code.
expect_rc() {
	want=$1; shift
	"$@" >"$T/out" 2>&1
	got=$?
	CHECKS=$((CHECKS + 1))
	if [ "$got" != "$want" ]; then
		fail "exit $got (want $want): $*"
		sed 's/^/    | /' "$T/out" | head -20 >&2
	fi
}
# expect_out TEXT: the last expect_rc output contains TEXT (fixed string).
expect_out() {
	CHECKS=$((CHECKS + 1))
	grep -qF -- "$1" "$T/out" || { fail "output lacks '$1'"; sed 's/^/    | /' "$T/out" | head -20 >&2; }
}
expect_no_out() {
	CHECKS=$((CHECKS + 1))
	! grep -qF -- "$1" "$T/out" || fail "output contains '$1'"
}
# wait_for SECONDS CMD...: polls CMD until it succeeds; fails after SECONDS
# (generous: a busy machine may start a server many times slower than an
# idle one, and a deadline only costs time when something is broken).
wait_for() {
	local until=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$until" ] || return 1
		sleep 0.1
	done
}
# wait_until SECONDS 'CONDITION': wait_for on a shell condition evaluated
# afresh on every poll (write it in single quotes: '[ "$(count)" -ge 2 ]').
wait_until() { wait_for "$1" eval "$2"; }
# port_open PORT [HOST]: something accepts connections there.
port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
# gone PID: the process has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }
# jq-free JSON queries through python3.
jsonq() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
done_tests() {
	echo "$CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
# population_csv DB INSTANCE NAME: the newest stored population NAME of
# INSTANCE (its CSV), after checking it against its provenance's rows and
# SHA-256; empty output when there is none.
population_csv() {
	local q="select a.data from artifacts a join artifact_refs r on r.sha256 = a.sha256
		join artifact_links l on l.ref_id = r.id where r.instance = '$2' and r.name = 'populations/$3"
	sqlite3 "$1" "$q.csv' order by l.run_id desc limit 1" > "$T/pop.csv"
	sqlite3 "$1" "$q.provenance.json' order by l.run_id desc limit 1" > "$T/pop.json"
	[ -s "$T/pop.json" ] || return 0
	CHECKS=$((CHECKS + 1))
	python3 - "$T/pop.csv" "$T/pop.json" <<'PY' || fail "population $2/$3 does not match its provenance"
import hashlib, json, sys
data = open(sys.argv[1], 'rb').read()[:-1]  # sqlite3 adds a newline
p = json.load(open(sys.argv[2]))
assert hashlib.sha256(data).hexdigest() == p['sha256'], 'sha256'
assert data.count(b'\n') - 1 == p['rows'], 'rows'
PY
	head -c -1 "$T/pop.csv"
}
