#!/bin/bash
# The `mailing` probe through the real binary over a folder of .eml
# fixtures (tests/fixtures/leads/mailing: one passing every check, one
# failing each check, one with HTML that needs libxml2's recovery) and a
# Maildir: exact check statuses and failing files, the control statuses
# from `status --json`, malformed MIME and unreadable HTML giving an
# `error` that names the file (no crash), and no recipient address in the
# store, the output, the state folder or an exported bundle.
. "$ANNEXA_SRC/tests/lib/common.sh"
FX="$ANNEXA_SRC/tests/fixtures/leads/mailing"
export ANNEXA_NOW=2026-11-29T00:00:00Z
PLANTED='reader@example\.net'
head -c 32 /dev/urandom > "$T/pseudonym.key"

# conf NAME PATH...: a config with its own store and one `mailing` probe
conf() {
	name=$1; shift
	{
		printf '[annexa]\n\tstore = %s\n\tstate-dir = %s\n\tcontrols = %s\n' "$T/$name.db" "$T/state" "$ANNEXA_CONTROLS"
		printf '[privacy]\n\tpseudonym-key-file = %s\n' "$T/pseudonym.key"
		printf '[signing]\n\tkey = %s\n\tcertificate = %s\n' "$T/sign.key" "$T/sign.crt"
		printf '[probe "news"]\n\ttype = mailing\n\tsender-pattern = Example Mail GmbH, [^,]+, [0-9]{5} \n'
		for p in "$@"; do printf '\tpath = %s\n' "$p"; done
	} > "$T/$name.conf"
}
# collect NAME WANT_RC: collect, stdout and stderr kept apart for the privacy checks
collect() {
	"$ANNEXA" -c "$T/$1.conf" collect >"$T/$1.collect.out" 2>"$T/$1.collect.err"
	rc=$?
	CHECKS=$((CHECKS + 1))
	[ $rc = "$2" ] || { fail "$1: collect exit $rc (want $2)"; sed 's/^/    | /' "$T/$1.collect.out" "$T/$1.collect.err" | head -20 >&2; }
	CHECKS=$((CHECKS + 1))
	! grep -qiE "sanitizer|runtime error|signal|core dumped|killed" "$T/$1.collect.out" "$T/$1.collect.err" ||
		fail "$1: the probe crashed"
	"$ANNEXA" -c "$T/$1.conf" status --json >"$T/$1.status.json" 2>"$T/$1.status.err"
}
# check NAME CHECK "STATUS MESSAGE-PREFIX"
check() {
	got=$(jsonq "$T/$1.status.json" "[k['status'] + ' ' + k['message'] for c in d['controls'] for k in c['checks'] if k['check']=='$2'][0]")
	CHECKS=$((CHECKS + 1))
	case "$got" in "$3"*) ;; *) fail "$1 $2: got '$got', want '$3...'" ;; esac
}
# failing NAME CHECK FILES: the observed failing files (base names, sorted)
failing() {
	got=$(sqlite3 "$T/$1.db" "select observed from results where check_id = '$2' order by rowid desc limit 1" |
	      python3 -c "import json,sys,os; print(' '.join(sorted(os.path.basename(f) for f in json.load(sys.stdin)['failing_files'])))")
	CHECKS=$((CHECKS + 1))
	[ "$got" = "$3" ] || fail "$1 $2: failing files '$got', want '$3'"
}
control() {
	got=$(jsonq "$T/$1.status.json" "[c['status'] for c in d['controls'] if c['id']=='$2'][0]")
	CHECKS=$((CHECKS + 1))
	[ "$got" = "$3" ] || fail "$1: control $2 is $got, want $3"
}

# 1. The fixture folder: each check fails for exactly its message.
conf folder "$FX"
expect_rc 0 "$ANNEXA" -c "$T/folder.conf" check-config
expect_rc 0 "$ANNEXA" -c "$T/folder.conf" keygen --key "$T/sign.key" --cert "$T/sign.crt"
collect folder 1
check folder mailing.list_unsubscribe "fail 1 of 7 message(s) lack a List-Unsubscribe header"
check folder mailing.one_click "fail 2 of 7 message(s) lack RFC 8058 one-click"
check folder mailing.dkim_covers_unsubscribe "fail 1 of 7 message(s) lack a DKIM signature covering"
check folder mailing.unsubscribe_link "fail 1 of 7 message(s) lack a visible unsubscribe link (1 with malformed HTML"
check folder mailing.sender_identification "fail 1 of 7 message(s) lack the sender identification (1 with malformed HTML"
failing folder mailing.list_unsubscribe "02-no-list-unsubscribe.eml"
failing folder mailing.one_click "02-no-list-unsubscribe.eml 03-no-one-click.eml"
failing folder mailing.dkim_covers_unsubscribe "04-dkim-not-covering.eml"
failing folder mailing.unsubscribe_link "05-hidden-link.eml"
failing folder mailing.sender_identification "06-no-imprint.eml"
control folder A.5.31 fail
control folder A.5.34 fail

# 2. A Maildir (cur/ and new/, Maildir file names) with passing messages
# only: every check passes, so do both controls; then one failing message
# arrives in new/.
mkdir -p "$T/Maildir/cur" "$T/Maildir/new" "$T/Maildir/tmp"
cp "$FX/01-pass.eml" "$T/Maildir/cur/1764403200.M1P100.mx1:2,S"
cp "$FX/07-malformed-html.eml" "$T/Maildir/cur/1764403201.M2P100.mx1:2,S"
cp "$FX/01-pass.eml" "$T/Maildir/new/1764403202.M3P100.mx1"
cp "$FX/05-hidden-link.eml" "$T/Maildir/tmp/1764403203.M4P100.mx1" # being delivered: not read
conf maildir "$T/Maildir"
collect maildir 0
for c in list_unsubscribe one_click dkim_covers_unsubscribe unsubscribe_link sender_identification; do
	check maildir mailing.$c "pass all 3 message(s) have"
done
check maildir mailing.unsubscribe_link "pass all 3 message(s) have a visible unsubscribe link (1 with malformed HTML, read as a browser would)"
control maildir A.5.31 partial # checks pass; coverage needs open
control maildir A.5.34 partial
cp "$FX/04-dkim-not-covering.eml" "$T/Maildir/new/1764403204.M5P100.mx1"
collect maildir 1
check maildir mailing.dkim_covers_unsubscribe "fail 1 of 4 message(s)"
check maildir mailing.list_unsubscribe "pass all 4 message(s)"
failing maildir mailing.dkim_covers_unsubscribe "1764403204.M5P100.mx1"
control maildir A.5.31 fail
control maildir A.5.34 partial

# A path that is gone (a moved seed mailbox) is no pass: every check is
# `error` naming it; the messages of the other paths are still counted.
conf gone "$T/Maildir" "$T/no-such-maildir"
collect gone 1
check gone mailing.list_unsubscribe "error 1 message(s) could not be read: $T/no-such-maildir: No such file or directory"
got=$(sqlite3 "$T/gone.db" "select observed from results where check_id = 'mailing.list_unsubscribe' order by rowid desc limit 1" |
      python3 -c "import json,sys; print(json.load(sys.stdin)['messages'])")
CHECKS=$((CHECKS + 1))
[ "$got" = 4 ] || fail "the other path's messages were not counted: $got"

# 3. Malformed input: a file that is no MIME message and one whose HTML
# part libxml2 can make no document of. Each gives `error` for every
# check, naming the file and the reason; nothing crashes.
mkdir -p "$T/bad-mime" "$T/bad-html"
cp "$FX/01-pass.eml" "$T/bad-mime/01-pass.eml"
printf 'this is not a message\nno header block, no body\n' > "$T/bad-mime/02-not-mime.eml"
head -c 4096 /dev/urandom | tr -d '\n:' > "$T/bad-mime/03-binary.eml"
{ printf 'From: news@example.com\nTo: reader@example.net\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n'
  head -c 512 /dev/zero; } > "$T/bad-html/nul-html.eml"
conf badmime "$T/bad-mime"
collect badmime 1
for c in list_unsubscribe one_click dkim_covers_unsubscribe unsubscribe_link sender_identification; do
	check badmime mailing.$c "error 2 message(s) could not be read: $T/bad-mime/02-not-mime.eml: not a MIME message"
done
control badmime A.5.31 error
conf badhtml "$T/bad-html"
collect badhtml 1
check badhtml mailing.unsubscribe_link "error 1 message(s) could not be read: $T/bad-html/nul-html.eml: HTML part is not readable HTML (libxml2, line 1: Document is empty)"
check badhtml mailing.list_unsubscribe "error 1 message(s) could not be read: $T/bad-html/nul-html.eml"
# an empty folder is an error too, not a pass
mkdir -p "$T/empty"
conf empty "$T/empty"
collect empty 1
check empty mailing.list_unsubscribe "error no message found in path"

# 4. Privacy: the recipient address in the messages' To: is nowhere.
"$ANNEXA" -c "$T/folder.conf" export -o "$T/bundle.zip" >"$T/export.out" 2>&1
CHECKS=$((CHECKS + 1))
[ -s "$T/bundle.zip" ] || { fail "export wrote no bundle"; cat "$T/export.out" >&2; }
for f in $(unzip -Z1 "$T/bundle.zip"); do
	CHECKS=$((CHECKS + 1))
	! unzip -p "$T/bundle.zip" "$f" | grep -aqiE "$PLANTED" || fail "the recipient address reached the bundle's $f"
done
CHECKS=$((CHECKS + 1))
unzip -p "$T/bundle.zip" results.jsonl | grep -aq 'mailing.dkim_covers_unsubscribe' || fail "bundle lacks the mailing results"
for where in "$T"/*.db "$T"/*.db-wal "$T"/*.collect.out "$T"/*.collect.err "$T/export.out" "$T/state"; do
	[ -e "$where" ] || continue
	CHECKS=$((CHECKS + 1))
	! grep -raqiE "$PLANTED" "$where" || fail "the recipient address reached $where"
done
CHECKS=$((CHECKS + 1))
grep -qiE "$PLANTED" "$FX/01-pass.eml" || fail "the fixtures no longer hold the address the privacy checks look for"
done_tests
