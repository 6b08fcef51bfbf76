#!/bin/bash
# bench/sandbox.sh - the cost of probe confinement (issue 15): `collect` of
# the demo site with confinement (Landlock + seccomp) against the same with
# none (ANNEXA_TEST_SANDBOX=off, test builds only), runs alternating.
# Prints the median and the minimum of N runs each and their ratios; the
# target is <= 1.10. The runner wakes on each child's exit (pidfd), so the
# median is the figure; the minimum shows the confinement's own cost.
# Usage: bench/sandbox.sh [N] (default 7). ANNEXA: a -Dtest_clock=true build.
set -eu
. "$(dirname "$0")/lib.sh"
bench_annexa
N=${1:-7}
"$ANNEXA" --version | grep -q "test clock" || { echo "needs a -Dtest_clock=true build (set ANNEXA=)" >&2; exit 2; }
W=$(bench_dir sandbox)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/src/examples" "$W/src/tests/fixtures"
cp -r "$SRC/examples/demo" "$W/src/examples/demo"
cp -r "$SRC/tests/fixtures/leads" "$W/src/tests/fixtures/leads"
rm -rf "$W/src/examples/demo/state" "$W/src/examples/demo/out"
C="$W/src/examples/demo/annexa.conf"
"$ANNEXA" -c "$C" collect >/dev/null 2>&1 || true # store, state, keys made once
one() { # prints milliseconds of one collect
	local t0 t1
	t0=$(date +%s%N)
	env ${1:+ANNEXA_TEST_SANDBOX=$1} "$ANNEXA" -c "$C" collect >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
on=() off=()
for i in $(seq 1 "$N"); do
	on+=("$(one)")
	off+=("$(one off)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
m_on=$(median "${on[@]}") m_off=$(median "${off[@]}")
n_on=$(printf '%s\n' "${on[@]}" | sort -n | head -1) n_off=$(printf '%s\n' "${off[@]}" | sort -n | head -1)
echo "collect of the demo, $N runs each: confined median ${m_on} ms, min ${n_on} ms; unconfined median ${m_off} ms, min ${n_off} ms"
python3 -c "print(f'ratio of medians {$m_on/$m_off:.3f}, of minimums {$n_on/$n_off:.3f} (target <= 1.10)')"
