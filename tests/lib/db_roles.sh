# db_roles.sh - what the db-roles tests (MariaDB, PostgreSQL) share. Sourced
# after leads.sh.
#   db_roles_conf FILE   leads_conf FILE, and show-user-names = true in its
#                        [privacy] when $SHOW is set; the test appends its
#                        [probe] sections.
db_roles_conf() {
	leads_conf "$1"
	[ -z "${SHOW:-}" ] || sed -i "s|^\[privacy\]|[privacy]\n\tshow-user-names = true|" "$1"
}

#   db_roles_private NAME SECRET...
#                  the privacy check after a collect without show-user-names
#                  that followed one with it: no SECRET (a password, a hash)
#                  in the store, the state folder or the collector's output
#                  ($T/*.out, *.err, *.json), the account NAME not in the
#                  state folder or that output, but stored by the
#                  show-user-names run.
db_roles_private() {
	local name=$1 s f out=()
	shift
	for f in "$T"/*.out "$T"/*.err "$T"/*.json; do [ -e "$f" ] && out+=("$f"); done
	for s in "$@"; do
		ok; ! grep -rqaF -- "$s" "$T/annexa.db" "$T/state" "${out[@]}" || fail "a password hash or password reached annexa's output: $s"
	done
	ok; ! grep -rqaF -- "$name" "$T/state" "${out[@]}" || fail "an account name reached the state folder or output without show-user-names"
	ok; [ "$(sqlite3 "$T/annexa.db" "select count(*) from results where observed like '%$name%'")" -ge 1 ] ||
		fail "the show-user-names run did not store the name"
}
