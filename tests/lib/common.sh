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
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"
# file_site_conf ORG [LINE...]: the one-file site the export tests start
# from: $T/site/app.conf ("tls = on", 0600, unless the test wrote its own)
# watched by the file probe "appconf" (attached, A.8.9) in $T/annexa.conf
# for organization ORG, each LINE added to that probe; sets C. More
# sections are appended to "$C".
file_site_conf() {
	local org=$1 line
	shift
	mkdir -p "$T/site"
	if [ ! -e "$T/site/app.conf" ]; then
		printf 'tls = on\n' >"$T/site/app.conf"
		chmod 0600 "$T/site/app.conf"
	fi
	{
		printf '[annexa]\n\torganization = %s\n\tstore = state/annexa.db\n\tstate-dir = state\n' "$org"
		printf '[probe "appconf"]\n\ttype = file\n\tpath = site/app.conf\n\tcontains = ^tls *= *on\n'
		for line in "$@"; do printf '\t%s\n' "$line"; done
		printf '\tattach = true\n\tcontrols = A.8.9\n'
	} >"$T/annexa.conf"
	C="$T/annexa.conf"
}

# central_conf: $T/central.conf, the central side of an evidence locker
# (its own store and a signing key, made here), for `export --locker`.
central_conf() {
	cat >"$T/central.conf" <<'EOF2'
[annexa]
	organization = Example Mail Group
	store = central.db
[signing]
	key = signing.key
	certificate = signing.crt
EOF2
	expect_rc 0 "$ANNEXA" -c "$T/central.conf" keygen
}
# start_daemon CONF [LOG]: `annexa -c CONF daemon --foreground` in the
# background, stderr to LOG ($T/daemon.log), its pid in $pid, killed (-9)
# when the test ends. Environment given before the call reaches it.
start_daemon() {
	"$ANNEXA" -c "$1" daemon --foreground 2>"${2:-$T/daemon.log}" &
	pid=$!
	add_cleanup stop_daemon
}
stop_daemon() { kill -9 "$pid" 2>/dev/null; }
# newest_status INSTANCE CHECK, newest_message INSTANCE CHECK: the newest
# result's in the store $T/annexa.db; expect_status INSTANCE CHECK WANT
# [MESSAGE PART] asserts the status (and a part of the message).
newest_status() { sqlite3 "$T/annexa.db" "select status from results where instance='$1' and check_id='$2' order by run_id desc limit 1"; }
newest_message() { sqlite3 "$T/annexa.db" "select message from results where instance='$1' and check_id='$2' order by run_id desc limit 1"; }
expect_status() { result_is "$1 $2" "$(newest_status "$1" "$2")" "$(newest_message "$1" "$2")" "$3" "${4:-}"; }
# result_is WHAT STATUS MESSAGE WANT [PART]: the assertion of expect_status
# and expect_json_status on a result already read.
result_is() {
	ok; [ "$2" = "$4" ] || fail "$1 is '$2' ($3), expected $4"
	[ -z "${5:-}" ] && return
	ok; printf '%s\n' "$3" | grep -qF -- "$5" || fail "$1 message lacks '$5': $3"
}
# jq-free JSON queries through python3.
jsonq() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# collect_json RC FILE: `collect --json` on $T/annexa.conf must exit RC; its
# output (stdout and stderr, as expect_rc keeps them) is copied to FILE.
# Environment given before the call (ANNEXA_NOW=...) reaches annexa.
collect_json() {
	expect_rc "$1" "$ANNEXA" -c "$T/annexa.conf" collect --json
	cp "$T/out" "$2"
}
# json_result FILE PROBE CHECK FIELD: FIELD (status, message, ...) of that
# result in FILE, a `collect --json` output; expect_json_status FILE PROBE
# CHECK WANT [MESSAGE PART] asserts its status (and a part of its message),
# as expect_status does for the store.
json_result() { jsonq "$1" "[r['$4'] for r in d['results'] if r['probe']=='$2' and r['check']=='$3'][0]"; }
expect_json_status() {
	result_is "$2 $3" "$(json_result "$1" "$2" "$3" status)" "$(json_result "$1" "$2" "$3" message)" "$4" "${5:-}"
}
# check_helpers: defines, for scripts that run `collect --json` on
# ./annexa.conf in the current folder (store state/annexa.db): collect,
# st CHECK / msg CHECK (status / message in run.json), obs CHECK (the
# observed JSON the store holds) and want CHECK STATUS (asserts it).
check_helpers() {
	collect() { "$ANNEXA" -c annexa.conf collect --json > run.json 2> collect.err; }
	st() { jsonq run.json "[r['status'] for r in d['results'] if r['check'] == '$1'][0]" 2>/dev/null || echo missing; }
	msg() { jsonq run.json "[r['message'] for r in d['results'] if r['check'] == '$1'][0]" 2>/dev/null; }
	obs() { sqlite3 state/annexa.db "select observed from results where check_id = '$1' order by rowid desc limit 1"; }
	want() { ok; got=$(st "$1"); [ "$got" = "$2" ] || fail "$1 is $got, want $2: $(msg "$1")"; }
}
# need_run_sshd: sshd -T refuses to run without its privilege separation
# folder; made (and removed at exit) only when missing: it is where a
# started sshd would make it, and nothing is started. Exits 77 (skip)
# when it cannot be made (not root).
need_run_sshd() {
	[ -d /run/sshd ] && return
	mkdir -m 0755 /run/sshd 2>/dev/null || {
		echo "SKIP: /run/sshd missing and not creatable (sshd -T needs it; run as root)"
		exit 77
	}
	rm_run_sshd() { rmdir /run/sshd 2>/dev/null; }
	add_cleanup rm_run_sshd
}
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
