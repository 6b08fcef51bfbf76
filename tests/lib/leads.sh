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
#   leads_observed INSTANCE CHECK TEXT WHY   fails (saying WHY) unless the
#                 newest result's observed JSON contains TEXT
leads_observed() {
	CHECKS=$((CHECKS + 1))
	sqlite3 "$T/annexa.db" "select observed from results where instance = '$1' and check_id = '$2' order by rowid desc limit 1" |
		grep -qF "$3" || fail "$1 $2: $4"
}
#   leads_same_verdicts INDEXED BATCHED   the two maillog-consent instances'
#                 newest results agree (observed less the query count):
#                 the default query through the index and as a batched override
leads_same_verdicts() {
	local c p same
	for c in consent.mailed_without_consent consent.mailed_after_unsubscribe; do
		same=$(for p in "$1" "$2"; do
			sqlite3 "$T/annexa.db" "select json_remove(observed, '\$.queries') from results where instance = '$p' and check_id = '$c' order by rowid desc limit 1"
		done | uniq | wc -l)
		CHECKS=$((CHECKS + 1))
		[ "$same" = 1 ] || fail "$c: the index ($1) and the batched queries ($2) disagree"
	done
}
leads_want() {
	local got
	got=$(leads_result "$1" "$2")
	CHECKS=$((CHECKS + 1))
	case "$got" in "$3"*) ;; *) fail "$1 $2: got '$got', want '$3...'" ;; esac
}

#   leads_privacy PATTERN [FILE...]
#                     the privacy check: exports a signed bundle and asserts
#                     that no match of PATTERN (an ERE of the planted
#                     addresses) is in any bundle file, the store, the
#                     state folder or the FILEs (collector output), and
#                     that the bundle does carry pseudonymous samples.
#                     Call after a collect, with the config in $T/annexa.conf.
leads_privacy() {
	local planted=$1 f where; shift
	expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" keygen --key "$T/sign.key" --cert "$T/sign.crt"
	"$ANNEXA" -c "$T/annexa.conf" export -o "$T/bundle.zip" >"$T/export.out" 2>&1
	CHECKS=$((CHECKS + 1))
	[ -s "$T/bundle.zip" ] || { fail "export wrote no bundle"; cat "$T/export.out" >&2; }
	CHECKS=$((CHECKS + 1))
	f=$(unzip -Z1 "$T/bundle.zip" | wc -l)
	[ "$f" -gt 5 ] || fail "bundle lists only $f files"
	for f in $(unzip -Z1 "$T/bundle.zip"); do
		CHECKS=$((CHECKS + 1))
		! unzip -p "$T/bundle.zip" "$f" | grep -aqiE "$planted" || fail "a planted address reached the bundle's $f"
	done
	for where in "$T/annexa.db" "$T/annexa.db-wal" "$T/export.out" "$T/state" "$@"; do
		[ -e "$where" ] || continue
		CHECKS=$((CHECKS + 1))
		! grep -raqiE "$planted" "$where" || fail "a planted address reached $where"
	done
	CHECKS=$((CHECKS + 1))
	unzip -p "$T/bundle.zip" results.jsonl | grep -aq '"lead":"p:' || fail "bundle lacks the pseudonymous samples"
}

#   leads_private PATTERN   leads_privacy over every $T/*.out, *.err and
#                 $T/out the test wrote (PATTERN may also name a password),
#                 and the pseudonymous samples must be in the store too.
leads_private() {
	leads_privacy "$1" "$T"/*.out "$T"/*.err "$T/out"
	CHECKS=$((CHECKS + 1))
	sqlite3 "$T/annexa.db" "select observed from results" | grep -q '"lead":"p:' || fail "no pseudonymous samples stored"
}

#   leads_population INSTANCE ROWS   the instance's newest `confirmations`
#                 population has ROWS rows, `annexa sample` draws from it,
#                 and every sampled item is a pseudonym/record id.
leads_population() {
	expect_rc 0 "$ANNEXA" -c "$T/annexa.conf" sample "$1/confirmations" --seed audit-2026 --json
	CHECKS=$((CHECKS + 1))
	[ "$(jsonq "$T/out" 'd["rows"]')" = "$2" ] || fail "$1 confirmations: $(jsonq "$T/out" 'd["rows"]') rows, want $2"
	CHECKS=$((CHECKS + 1))
	[ "$(jsonq "$T/out" 'all(__import__("re").fullmatch(r"p:[0-9a-f]{16}/[0-9]+", i["item"]) for i in d["items"]) and len(d["items"]) > 0')" = True ] ||
		fail "$1 confirmations items are not pseudonym/record: $(head -c 300 "$T/out")"
}
