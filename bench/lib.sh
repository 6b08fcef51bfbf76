# lib.sh - sourced by the bench scripts.
# bench_dir NAME: prints a new scratch folder /tmp/annexa-bench-NAME-XXXXXX,
# mode 0755: run as root where the package's annexa-probe account exists,
# the probes read the files in it as that user.
bench_dir() {
	local d
	d=$(mktemp -d "/tmp/annexa-bench-$1-XXXXXX") && chmod 0755 "$d" && echo "$d"
}
