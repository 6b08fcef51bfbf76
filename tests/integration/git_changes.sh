#!/bin/bash
# gitrepo probe with the real binary: a config repository with an
# SSH-signed, reviewed commit and an unsigned direct push; then a
# force-push between two runs, and a hand edit of a deployed file.
# Asserts check and control statuses as `status --json` reports them.
. "$ANNEXA_SRC/tests/lib/common.sh"
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 77; }
command -v ssh-keygen >/dev/null || { echo "SKIP: ssh-keygen not installed"; exit 77; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$T"
K="$T/keys"; mkdir -p "$K"
ssh-keygen -q -t ed25519 -N '' -C alice -f "$K/alice"
echo "alice@example.com namespaces=\"git\" $(cat "$K/alice.pub")" > "$K/allowed_signers"
as() { who=$1; shift; GIT_AUTHOR_NAME=$who GIT_AUTHOR_EMAIL=$who@example.com GIT_COMMITTER_NAME=$who \
	GIT_COMMITTER_EMAIL=$who@example.com git -c gpg.format=ssh -c user.signingkey="$K/alice" "$@"; }
git init -q -b main "$T/repo"
cd "$T/repo" || exit 1
mkdir etc
printf 'relayhost = [smtp.eu.mailgun.org]:587\nsmtp_tls_security_level = encrypt\n' > etc/main.cf
git add -A && as alice commit -q -S -m "relay via Mailgun EU" -m "Reviewed-by: Bob <bob@example.com>"
cd "$T" || exit 1
mkdir -p "$T/live"
cp "$T/repo/etc/main.cf" "$T/live/main.cf"

cat > "$T/annexa.conf" <<CONF
[annexa]
	store = state/annexa.db
	state-dir = state
[probe "config-repo"]
	type = gitrepo
	repository = repo
	branch = main
	window = 30d
	allowed-signers = keys/allowed_signers
	deployed = $T/live/main.cf:etc/main.cf
CONF
C="$T/annexa.conf"
check_status() { # check_status CHECK WANT
	ok
	got=$(jsonq "$T/status.json" "[k['status'] for c in d['controls'] for k in c['checks'] if k['check']=='$1'][0]" 2>/dev/null)
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2'"
}
control_status() {
	ok
	got=$(jsonq "$T/status.json" "[c['status'] for c in d['controls'] if c['id']=='$1'][0]")
	[ "$got" = "$2" ] || fail "control $1 is '$got', want '$2'"
}
status_json() { "$ANNEXA" -c "$C" status --json > "$T/status.json" 2>"$T/status.err"; }

expect_rc 0 "$ANNEXA" -c "$C" check-config
# 1. all good: signed by a listed key, reviewed, first tip recorded, no drift
expect_rc 0 "$ANNEXA" -c "$C" collect
status_json
check_status change.signed pass
check_status change.reviewed pass
check_status change.history_rewritten info # nothing to compare with yet: not a pass
check_status change.drift pass
control_status A.8.32 partial # checks pass; coverage needs open
control_status A.5.3 partial # checks pass; coverage needs open
control_status A.8.9 partial # checks pass; coverage needs open
control_status A.5.33 not_covered # the baseline (info) is no evidence
control_status A.8.4 manual # a configuration repository is not source code

# 2. an unsigned direct push by the same person, and a hand edit on the server
cd "$T/repo" && echo "# direct" >> etc/main.cf && git add -A && as alice commit -q -m "quick fix" && cd "$T" || exit 1
printf 'relayhost = [relay.cheap-esp.example]:25\nsmtp_sasl_password = s3cret-pw\n' > "$T/live/main.cf"
expect_rc 1 "$ANNEXA" -c "$C" collect
expect_out "change.signed"
status_json
check_status change.signed fail
check_status change.reviewed fail
check_status change.history_rewritten pass
check_status change.drift fail
control_status A.8.32 fail
control_status A.5.3 fail
control_status A.8.9 fail
expect_rc 0 sqlite3 "$T/state/annexa.db" "select data from artifacts"
expect_out "+relayhost = [relay.cheap-esp.example]:25"
expect_out "[REDACTED]"
expect_no_out "s3cret-pw"
expect_no_out "alice@example.com"

# 3. force-push: the tip no longer descends from the one seen last run
cd "$T/repo" && git reset -q --hard HEAD~1 && printf 'relayhost = [relay.cheap-esp.example]:25\nsmtp_sasl_password = s3cret-pw\n' > etc/main.cf \
	&& git add -A && as alice commit -q -S -m "rewritten" -m "Reviewed-by: Bob <bob@example.com>" && git reflog expire --expire=now --all && git gc -q --prune=now && cd "$T" || exit 1
expect_rc 1 "$ANNEXA" -c "$C" collect
status_json
check_status change.history_rewritten fail
check_status change.drift pass
check_status change.signed pass
control_status A.5.33 fail # the change record was falsified
ok; grep -q "no longer in the repository" "$T/status.json" || fail "history message does not say the old tip is gone"
# 4. the next run judges the next change: the rewrite stays in the record
expect_rc 0 "$ANNEXA" -c "$C" collect
status_json
check_status change.history_rewritten pass
control_status A.5.33 partial # the check passes again; coverage needs open
# the commits population: every commit of the window, authors pseudonymous
population_csv "$T/state/annexa.db" config-repo commits > "$T/commits.csv"
ok; [ "$(head -1 "$T/commits.csv")" = "item,date,author,first_parent,merge,signature,signature_ok,review,reviewer,reviewed" ] ||
	fail "commits population header: $(head -1 "$T/commits.csv")"
ok; [ "$(tail -n +2 "$T/commits.csv" | wc -l)" -gt 0 ] || fail "commits population is empty"
ok; [ -z "$(tail -n +2 "$T/commits.csv" | grep -vE '^[0-9a-f]{40},[^,]+,p:[0-9a-f]{16},')" ] || fail "a commits row without id or pseudonym"
done_tests
