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
