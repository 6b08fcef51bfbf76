# wait.sh - waiting without fixed sleeps, for the integration tests
# (through common.sh) and the benches (through the server helpers, e.g.
# postfix.sh). Sourced; defines functions only.
# wait_for SECONDS CMD...: polls CMD until it succeeds; fails after SECONDS
# (generous: a busy machine may start a server many times slower than an
# idle one, and a deadline only costs time when something is broken).
wait_for() {
	local until=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$until" ] || return 1
		sleep 0.1
	done
}
# wait_until SECONDS 'CONDITION': wait_for on a shell condition evaluated
# afresh on every poll (write it in single quotes: '[ "$(count)" -ge 2 ]').
wait_until() { wait_for "$1" eval "$2"; }
# port_open PORT [HOST]: something accepts connections there.
port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
# gone PID: the process has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }
