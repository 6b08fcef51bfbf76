#!/bin/bash
# Configuration errors: every message names the file, the section and the
# key (or the line, for syntax errors), and the exit code is 2.
. "$ANNEXA_SRC/tests/lib/common.sh"
check() { # NAME EXPECTED-SUBSTRING... < config text
	cat > "$T/$1.conf"
	name=$1; shift
	expect_rc 2 "$ANNEXA" -c "$T/$name.conf" check-config
	expect_out "$name.conf"
	for s in "$@"; do expect_out "$s"; done
}
check unknown-key '[annexa]' 'colour' <<'EOF2'
[annexa]
	colour = blue
EOF2
check bad-duration '[probe "x"]' 'timeout' '5x' <<'EOF2'
[probe "x"]
	type = file
	path = /etc/hostname
	timeout = 5x
EOF2
check missing-type '[probe "x"]' 'type' <<'EOF2'
[probe "x"]
	path = /etc/hostname
EOF2
check unknown-type '[probe "x"]' 'type' 'nosuchprobe' <<'EOF2'
[probe "x"]
	type = nosuchprobe
EOF2
check missing-required '[probe "x"]' 'path' <<'EOF2'
[probe "x"]
	type = file
EOF2
check probe-unknown-key '[probe "x"]' 'frobnicate' <<'EOF2'
[probe "x"]
	type = file
	path = /etc/hostname
	frobnicate = yes
EOF2
check bad-bool '[probe "x"]' 'exists' <<'EOF2'
[probe "x"]
	type = file
	path = /etc/hostname
	exists = maybe
EOF2
check no-justification '[control "A.7.4"]' 'justification' <<'EOF2'
[control "A.7.4"]
	applicable = false
EOF2
check unknown-section '[frobnicator]' <<'EOF2'
[frobnicator]
	x = 1
EOF2
check syntax 'syntax.conf:1' <<'EOF2'
[annexa
	store = x
EOF2
check unknown-control 'A.9.99' <<'EOF2'
[control "A.9.99"]
	applicable = false
	justification = nope
EOF2
check bad-regex '[probe "x"]' 'contains' "invalid regular expression '(unclosed'" <<'EOF2'
[probe "x"]
	type = file
	path = /etc/hostname
	contains = (unclosed
EOF2
# Text that is not UTF-8 is refused at load: keygen would put it into a
# certificate (exit 3 before), collect into JSON evidence.
printf '[annexa]\n\torganization = Caf\351 GmbH\n' > "$T/latin1.conf"
expect_rc 2 "$ANNEXA" -c "$T/latin1.conf" check-config
expect_out "latin1.conf: [annexa] organization: not valid UTF-8"
expect_rc 2 "$ANNEXA" -c "$T/latin1.conf" keygen --key "$T/k.pem" --cert "$T/c.pem"
expect_out "latin1.conf: [annexa] organization: not valid UTF-8"
# A missing config file is a configuration error too.
expect_rc 2 "$ANNEXA" -c "$T/nonexistent.conf" status
expect_out "nonexistent.conf"
# Valid config: relative paths resolve against the config's folder.
mkdir -p "$T/sub"
echo hello > "$T/sub/data.txt"
cat > "$T/sub/ok.conf" <<'EOF2'
[annexa]
	store = annexa.db
[probe "rel"]
	type = file
	path = data.txt
	contains = hello
	controls = A.8.9
EOF2
expect_rc 0 "$ANNEXA" -c "$T/sub/ok.conf" check-config
(cd / && "$ANNEXA" -c "$T/sub/ok.conf" collect >"$T/out" 2>&1); ok
[ -f "$T/sub/annexa.db" ] || fail "store not created next to the config"
expect_rc 0 "$ANNEXA" -c "$T/sub/ok.conf" status --control A.8.9 --json
done_tests
