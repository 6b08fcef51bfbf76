# leads.sh - what the lead-database tests share. Sourced after common.sh.
#   leads_conf FILE   writes the sections every leads test starts with:
#                     [annexa] (store, state and the controls under $T),
#                     [privacy] with a fresh pseudonym key (0600), [signing]; the
#                     test appends its [probe] sections.

leads_conf() {
	head -c 32 /dev/urandom > "$T/pseudonym.key"
	chmod 0600 "$T/pseudonym.key" # privacy.pseudonym_key fails on a key others can read
	cat > "$1" <<CONF
[annexa]
	store = $T/annexa.db
	state-dir = $T/state
	controls = $ANNEXA_CONTROLS
[privacy]
	pseudonym-key-file = $T/pseudonym.key
[signing]
	key = $T/sign.key
	certificate = $T/sign.crt
CONF
}

#   leads_result INSTANCE CHECK   "STATUS MESSAGE" of the newest result
#   leads_want INSTANCE CHECK PREFIX   fails unless that result starts so
leads_result() {
	sqlite3 "$T/annexa.db" "select status || ' ' || message from results where instance = '$1' and check_id = '$2' order by rowid desc limit 1"
}
leads_want() {
	local got
	got=$(leads_result "$1" "$2")
	CHECKS=$((CHECKS + 1))
	case "$got" in "$3"*) ;; *) fail "$1 $2: got '$got', want '$3...'" ;; esac
}

#   leads_private PATTERN   signs a bundle and fails when PATTERN (an
#                 extended regex: the planted addresses, a password) is in
#                 it or in the store, its WAL, the state folder or any
#                 $T/*.out / *.err the test wrote; pseudonymous samples must
#                 be in the store and the bundle.
leads_private() {
	expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" keygen --key "$T/sign.key" --cert "$T/sign.crt"
	"$ANNEXA" -c "$T/annexa.conf" export -o "$T/bundle.zip" >"$T/export.out" 2>&1
	CHECKS=$((CHECKS + 1))
	[ -s "$T/bundle.zip" ] || { fail "export wrote no bundle"; cat "$T/export.out" >&2; }
	local f where
	for f in $(unzip -Z1 "$T/bundle.zip"); do
		CHECKS=$((CHECKS + 1))
		! unzip -p "$T/bundle.zip" "$f" | grep -aqiE "$1" || fail "an address or secret reached the bundle's $f"
	done
	for where in "$T/annexa.db" "$T/annexa.db-wal" "$T/state" "$T"/*.out "$T"/*.err "$T/out"; do
		[ -e "$where" ] || continue
		CHECKS=$((CHECKS + 1))
		! grep -raqiE "$1" "$where" || fail "an address or secret reached $where"
	done
	CHECKS=$((CHECKS + 1))
	sqlite3 "$T/annexa.db" "select observed from results" | grep -q '"lead":"p:' || fail "no pseudonymous samples stored"
	CHECKS=$((CHECKS + 1))
	unzip -p "$T/bundle.zip" results.jsonl | grep -q '"lead":"p:' || fail "bundle lacks the pseudonymous samples"
}
