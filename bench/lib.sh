# lib.sh - sourced by the bench scripts: the source tree ($SRC), the
# binary under test and a scratch folder.
SRC=$(cd "$(dirname "$0")/.." && pwd)
# bench_annexa [PATH]: sets ANNEXA, absolute: PATH, else $ANNEXA, else the
# build in the source tree; exits 2 when there is none.
bench_annexa() {
	ANNEXA=${1:-${ANNEXA:-$SRC/build/annexa}}
	[ -x "$ANNEXA" ] || { echo "no annexa binary at $ANNEXA (build first, or set ANNEXA=)" >&2; exit 2; }
	ANNEXA=$(cd "$(dirname "$ANNEXA")" && pwd)/$(basename "$ANNEXA")
}
# bench_dir NAME: prints a new scratch folder /tmp/annexa-bench-NAME-XXXXXX,
# mode 0755: run as root where the package's annexa-probe account exists,
# the probes read the files in it as that user.
bench_dir() {
	local d
	d=$(mktemp -d "/tmp/annexa-bench-$1-XXXXXX") && chmod 0755 "$d" && echo "$d"
}
