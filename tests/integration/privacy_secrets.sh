#!/bin/bash
# Secrets and addresses planted where probes read them never reach any
# output: stdout, stderr, `status --json`, the store, the state folder,
# report.html and every file of the unzipped bundle. The `file` probe reads
# files with secrets in the common forms (Redis, LDAP, space-separated,
# smtp_pass=, Bearer header, .pgpass, .netrc, URL with password, a private
# key whose body line a pattern matches), with attach, contains/absent and
# evidence-lines; the retention-job probe reads a log with quoted, ', ~ and
# non-ASCII addresses. Also: the pseudonym key (generated once, 0600, never
# a constant; a bad configured key is a configuration error, a FIFO does
# not hang) and the mode of bundles and reports under a umask.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
command -v strings >/dev/null || { echo "strings missing (apt-get install binutils)"; exit 1; }
mkdir -p "$T/site"
cd "$T" || exit 1

# --- the secrets, each unique so that a hit names the leak ---
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out site/leaked.key 2>/dev/null
KEYLINE=$(sed -n 2p site/leaked.key)
KEYTAIL=$(sed -n 3p site/leaked.key)
printf 'bind 127.0.0.1\nrequirepass RedisSecret1x\nmaxmemory 64mb\n' > site/redis.conf
cat > site/app.conf <<'EOF'
password SpacePw2x
bindpw LdapPw3x
smtp_pass=SmtpPw4x
Authorization: Bearer BearerTok5x
dsn = "postgresql://app:UrlPw8x@db.internal/app"
curl -H 'Authorization: Basic QmFzaWNQdzl4' https://api.example/
tls = on
EOF
printf 'db.internal:5432:*:app:PgpassPw6x\n' > site/.pgpass
printf 'machine mail.example.com login bob password NetrcPw7x\n' > site/.netrc
cp site/leaked.key site/service.pem
chmod 0600 site/*.conf site/.pgpass site/.netrc site/service.pem

# --- a retention job's log with addresses in the forms that leaked ---
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
	echo "$now lead-retention: ERROR: cannot delete \"john doe\"@example.com"
	echo "$now lead-retention: ERROR: cannot delete zed'quux@example.com and pre~fix@example.org"
	printf '%s lead-retention: ERROR: cannot delete qqzz\xc3\xa4@b\xc3\xbccher.example\n' "$now"
	echo "$now lead-retention: ERROR: cannot delete plain.lead@example.com"
	echo "$now lead-retention: finished OK"
} > site/retention.log

# controls = A.8.9: the mapping leaves file.content.* to the instance, and
# the checks must reach status, report and bundle to be searched there.
cat > annexa.conf <<'CONF'
[annexa]
	organization = Privacy Test
	store = state/annexa.db
	state-dir = state
[probe "redis"]
	type = file
	controls = A.8.9
	path = site/redis.conf
	absent = ^requirepass
	attach = true
[probe "app"]
	type = file
	controls = A.8.9
	path = site/app.conf
	path = site/.pgpass
	path = site/.netrc
	contains = password
	contains = ^tls = on
	absent = Bearer
	absent = smtp_pass
	absent = bindpw
	absent = :5432:
	absent = postgresql://
	attach = true
[probe "app-lines"]
	type = file
	controls = A.8.9
	path = site/app.conf
	path = site/.pgpass
	path = site/.netrc
	absent = Bearer
	absent = smtp_pass
	absent = bindpw
	absent = :5432:
	absent = postgresql://
	absent = password
	evidence-lines = true
[probe "pem"]
	type = file
	controls = A.8.9
	path = site/service.pem
	absent = ^[A-Za-z0-9+/]{40,}
	evidence-lines = true
	attach = true
[probe "pem-plain"]
	type = file
	controls = A.8.9
	path = site/service.pem
	contains = ^[A-Za-z0-9+/]{40,}
[probe "retention"]
	type = retention-job
	log = site/retention.log
	last-success-pattern = finished OK
	failure-pattern = ERROR
	excerpt-lines = 20
CONF
C="$T/annexa.conf"
SECRETS="RedisSecret1x SpacePw2x LdapPw3x SmtpPw4x BearerTok5x PgpassPw6x NetrcPw7x UrlPw8x QmFzaWNQdzl4
$KEYLINE $KEYTAIL zed' pre~ qqzz plain.lead@example.com quux@example.com fix@example.org"

# leaks FILE...: every planted secret or address found in FILE(s)
leaks() {
	for s in $SECRETS "john doe"; do
		grep -aqF -- "$s" "$@" 2>/dev/null && echo "$s"
	done
}
expect_clean() {
	what=$1; shift
	found=$(leaks "$@" | tr '\n' ' ')
	ok; [ -z "$found" ] || fail "$what holds: $found"
}

# --- collect, and every output ---
expect_rc 0 "$ANNEXA" -c "$C" check-config
expect_out "pseudonym key: $T/state/pseudonym.key (generated on the first collect"
"$ANNEXA" -c "$C" collect > "$T/collect.out" 2> "$T/collect.err"
ok; [ $? -le 1 ] || fail "collect failed: $(head -5 "$T/collect.err")"
expect_clean "collect stdout" "$T/collect.out"
expect_clean "collect stderr" "$T/collect.err"
"$ANNEXA" -c "$C" status --json > "$T/status.json" 2>&1
expect_clean "status --json" "$T/status.json"
"$ANNEXA" -c "$C" status > "$T/status.txt" 2>&1
expect_clean "status" "$T/status.txt"
for f in state/annexa.db state/annexa.db-wal; do
	[ -e "$f" ] || continue
	strings -a "$f" > "$T/strings.txt"
	expect_clean "$f (strings)" "$T/strings.txt" "$f"
done
expect_clean "the state folder" -r state

# the checks still say what they found: line numbers and patterns
observed() { sqlite3 state/annexa.db "select observed from results where instance = '$1' and check_id = '$2' order by rowid desc limit 1"; }
ok; observed redis file.content.absent | grep -qF '"line":2,"matched":true' || fail "no line number: $(observed redis file.content.absent)"
ok; grep -qF 'redis.conf line 2 matches' "$T/status.json" || fail "the absent check does not name the line"
ok; ! observed app file.content.absent | grep -qF '"text"' || fail "matched lines recorded without evidence-lines"
# evidence-lines: the text is there, redacted with the context of the file
for want in 'bindpw [REDACTED]' 'smtp_pass=[REDACTED]' 'db.internal:5432:*:app:[REDACTED]' 'password [REDACTED]' \
	'postgresql://app:[REDACTED]@db.internal/app' 'Authorization: [REDACTED]'; do
	ok; observed app-lines file.content.absent | grep -qF "$want" || fail "evidence-lines lacks '$want'"
done
ok; observed pem file.content.absent | grep -qF '"line":2,"matched":true' || fail "PEM body line not found: $(observed pem file.content.absent)"
# the addresses became pseudonyms, with a key that is not the old constant
ok; [ "$(grep -aoc 'delete p:[0-9a-f]\{16\}' "$T/strings.txt")" -ge 4 ] || fail "addresses not pseudonymised: $(grep -a 'cannot delete' "$T/strings.txt")"
OLD=$(python3 -c 'import hmac,hashlib; print(hmac.new(b"annexa-default-pseudonym-key", b"plain.lead@example.com", hashlib.sha256).hexdigest()[:16])')
ok; ! grep -qF "p:$OLD" "$T/strings.txt" || fail "pseudonyms are keyed with the constant in the source"

# --- the pseudonym key: made once, 0600, 32 bytes, never replaced ---
ok; [ "$(stat -c %a state/pseudonym.key 2>/dev/null)" = 600 ] || fail "state/pseudonym.key missing or not 0600"
ok; [ "$(stat -c %s state/pseudonym.key 2>/dev/null)" = 32 ] || fail "state/pseudonym.key is not 32 bytes"
before=$(sha256sum < state/pseudonym.key)
"$ANNEXA" -c "$C" collect > /dev/null 2>&1
ok; [ "$(sha256sum < state/pseudonym.key)" = "$before" ] || fail "the generated key changed"
expect_rc 0 "$ANNEXA" -c "$C" check-config
expect_out "pseudonym key: $T/state/pseudonym.key (generated"

# a configured key that is missing, short, a folder or a FIFO: exit 2, no hang
head -c 8 /dev/urandom > short.key
mkfifo fifo.key
mkdir dir.key
for k in missing.key short.key dir.key fifo.key; do
	sed "s|^\[annexa\]|[privacy]\n\tpseudonym-key-file = $T/$k\n[annexa]|" annexa.conf > "bad-$k.conf"
	expect_rc 2 timeout 60 "$ANNEXA" -c "$T/bad-$k.conf" check-config
	expect_out "pseudonym-key-file"
	expect_rc 2 timeout 60 "$ANNEXA" -c "$T/bad-$k.conf" collect -p redis
done

# --- report and bundle: clean, and their mode follows the umask ---
expect_rc 0 "$ANNEXA" -c "$C" keygen
(umask 027 && "$ANNEXA" -c "$C" report -o "$T/report.html") > "$T/report.out" 2>&1 || fail "report: $(cat "$T/report.out")"
(umask 027 && "$ANNEXA" -c "$C" export -o "$T/bundle.zip") > "$T/export.out" 2>&1 || fail "export: $(cat "$T/export.out")"
expect_clean "report.html" "$T/report.html"
expect_clean "report/export output" "$T/report.out" "$T/export.out"
ok; [ "$(stat -c %a "$T/report.html")" = 640 ] || fail "report.html is $(stat -c %a "$T/report.html") under umask 027, want 640"
ok; [ "$(stat -c %a "$T/bundle.zip")" = 640 ] || fail "bundle.zip is $(stat -c %a "$T/bundle.zip") under umask 027, want 640"
mkdir -p "$T/x" && unzip -q -o "$T/bundle.zip" -d "$T/x" || fail "bundle does not unzip"
ok; [ "$(find "$T/x" -type f | wc -l)" -gt 5 ] || fail "bundle has too few files"
expect_clean "the unzipped bundle" -r "$T/x"
(umask 022 && "$ANNEXA" -c "$C" export -o "$T/bundle2.zip") > /dev/null 2>&1
ok; [ "$(stat -c %a "$T/bundle2.zip")" = 644 ] || fail "bundle2.zip is $(stat -c %a "$T/bundle2.zip") under umask 022, want 644"
ok; ! ls "$T"/*.tmp.* > /dev/null 2>&1 || fail "temporary files left behind"
done_tests
