#!/bin/bash
# install.sh - what `meson install` puts where (README, "Install"; issue
# 18): the binary, the controls data, the unit whose ExecStart names the
# installed binary, sysusers.d and tmpfiles.d, the bash completion, the
# sample config, the man pages. The unit passes `systemd-analyze verify`
# and `security` (exposure recorded in the README); the man pages render
# without warnings and list every command, key and probe type the binary
# has; the completion offers each command's own options, the instance
# names and the control ids of the active config.
. "$ANNEXA_SRC/tests/lib/common.sh"
: "${ANNEXA_BUILD:?set by meson}"
R=$T/root
if ! meson install -C "$ANNEXA_BUILD" --no-rebuild --destdir "$R" >"$T/install.log" 2>&1; then
	fail "meson install"
	tail -20 "$T/install.log" >&2
	done_tests
	exit
fi

# the unit: ExecStart names the binary that was installed
unit=$(find "$R" -name annexa.service -path '*/systemd/system/*')
ok; [ -n "$unit" ] || fail "no annexa.service under systemd/system"
bin=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
ok; [ -x "$R$bin" ] || fail "ExecStart names $bin, not installed ($(find "$R" -name annexa -type f))"
prefix=${bin%/bin/annexa}
for f in "$prefix/share/annexa/controls/annex-a.xml" "$prefix/share/annexa/controls/mapping/tls.xml" \
	"$prefix/share/doc/annexa/annexa.conf.sample"; do
	ok; [ -f "$R$f" ] || fail "not installed: $f"
done
for pat in '*/sysusers.d/annexa.conf' '*/tmpfiles.d/annexa.conf' '*/bash-completion/completions/annexa'; do
	ok; [ -n "$(find "$R" -path "$pat")" ] || fail "not installed: $pat"
done
ok; grep -q '^u *annexa-probe ' "$(find "$R" -path '*/sysusers.d/annexa.conf')" || fail "sysusers.d lacks annexa-probe"
ok; [ "$(grep -cE '^(ReadWritePaths=-/var/lib/prometheus/node-exporter|StateDirectory=annexa)$' "$unit")" = 2 ] ||
	fail "unit lacks the metrics folder or StateDirectory"
ok; ! grep -E '^(ReadOnlyPaths|ReadWritePaths)=' "$unit" | grep -qE '=(.* )?/' || fail "a unit path without '-' stops the unit where it is missing"

# systemd-analyze on the installed unit: the binary and the man pages of
# the destdir (verify runs the Documentation= man: links)
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/unit"
	sed "s|$bin|$R$bin|g" "$unit" >"$T/unit/annexa.service"
	MANPATH=$R$prefix/share/man expect_rc 0 systemd-analyze verify "$T/unit/annexa.service"
	systemd-analyze security --offline=true "$T/unit/annexa.service" >"$T/sec" 2>&1
	score=$(sed -n 's/.*Overall exposure level for annexa.service: \([0-9.]*\).*/\1/p' "$T/sec")
	echo "systemd-analyze security: exposure $score"
	# The README records 2.7 ("OK"); the rest is the price of dropping
	# privileges itself (root, CAP_SETUID) and of reaching the network.
	ok; awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.7) }' || fail "exposure '$score' above 2.7: $(grep '✗' "$T/sec" | head -5)"
else
	echo "SKIP part: systemd-analyze not installed"
fi

# the man pages: clean, and listing what the binary has
man=$R$prefix/share/man
if [ -f "$man/man8/annexa.8" ]; then
	for p in man8/annexa.8 man5/annexa.conf.5 man7/annexa-probes.7; do
		ok; [ -f "$man/$p" ] || { fail "no $p"; continue; }
		MANWIDTH=80 man --warnings -l "$man/$p" >"$T/${p#*/}.txt" 2>"$T/warn"
		ok; [ ! -s "$T/warn" ] || fail "$p: man warnings: $(head -3 "$T/warn")"
	done
	for c in $("$ANNEXA" --help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\).*/\1/p'); do
		ok; grep -q "^   $c\$" "$T/annexa.8.txt" || fail "annexa(8) lacks command $c"
	done
	for k in $(sed -n 's/^\t\([a-z-]*\) = .*/\1/p' "$ANNEXA_SRC/examples/annexa.conf.sample" | sort -u); do
		ok; grep -qE "^ +$k = " "$T/annexa.conf.5.txt" "$T/annexa-probes.7.txt" || fail "no man page lists key $k"
	done
	for sec in $(sed -n 's/^\[\([a-z]*\)\( "\)\{0,1\}.*/\1/p' "$ANNEXA_SRC/examples/annexa.conf.sample" | sort -u); do
		ok; grep -qE "^   \[$sec( \"(NAME|ID)\")?\]\$" "$T/annexa.conf.5.txt" || fail "annexa.conf(5) lacks section [$sec]"
	done
	for type in $("$ANNEXA" --help | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
		ok; grep -q "^   $type\$" "$T/annexa-probes.7.txt" || fail "annexa-probes(7) lacks probe type $type"
	done
	ok; grep -q 'tls.protocol.tls1_0' "$T/annexa-probes.7.txt" && grep -q 'A.8.24 (primary)' "$T/annexa-probes.7.txt" ||
		fail "annexa-probes(7) lacks checks or their controls"
else
	echo "SKIP part: man pages not built (no scdoc)"
fi

# the completion, as bash runs it
comp=$(find "$R" -path '*/bash-completion/completions/annexa')
cat >"$T/annexa.conf" <<EOF
[annexa]
	store = $T/store.db
[probe "web-cert"]
	type = file
	path = /etc/hostname
[probe "mx-tls"]
	type = tls
	target = 127.0.0.1:25
EOF
complete_words() { # COMP_CWORD WORD...: prints COMPREPLY
	local cword=$1
	shift
	bash -c '. "$1"; shift; cw=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$cw; _annexa; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$comp" "$cword" "$@"
}
check_completion() { # WANT-LINE COMP_CWORD WORD...
	local want=$1
	shift
	complete_words "$@" >"$T/comp"
	ok; grep -qxF -- "$want" "$T/comp" || fail "completing '$*': no '$want' in: $(tr '\n' ' ' <"$T/comp" | cut -c1-200)"
}
check_completion ledger 1 "$ANNEXA" le
check_completion verify 2 "$ANNEXA" ledger ""
check_completion list 2 "$ANNEXA" ledger ""
check_completion --probe 2 "$ANNEXA" collect --
check_completion --failing 2 "$ANNEXA" status --
check_completion --revoke 2 "$ANNEXA" attach --
check_completion web-cert 5 "$ANNEXA" -c "$T/annexa.conf" collect --probe ""
check_completion mx-tls 5 "$ANNEXA" collect -c "$T/annexa.conf" --probe m
check_completion A.8.24 5 "$ANNEXA" -c "$T/annexa.conf" status --control A.8.2
check_completion A.5.1 4 "$ANNEXA" -c "$T/annexa.conf" attach A.5.
check_completion "$T/annexa.conf" 2 "$ANNEXA" -c "$T/annexa.c"
complete_words 2 "$ANNEXA" collect -- >"$T/comp"
ok; ! grep -qx -- '--failing' "$T/comp" || fail "collect offers status's --failing"
done_tests
