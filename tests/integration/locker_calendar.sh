#!/bin/bash
# Central exports keep every run: two collectors record 150 collections
# each, every one with the results of the one before, in one evidence
# locker; `export --locker` replays all 300 as runs (an older annexa kept
# only the 2 that changed something), and the central run calendar of
# each site counts 150 observed of 150 expected runs, no gap.
. "$ANNEXA_SRC/tests/lib/common.sh"
export LSAN_OPTIONS="suppressions=$ANNEXA_SRC/tests/data/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
command -v git >/dev/null || { echo "git missing (apt-get install git)"; exit 1; }
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
N=150
chmod 0755 "$T" # the probes may run as the annexa user (see period.sh)
git init -q --bare "$T/central.git"
start=$(date -u -d 2026-11-01 +%s)
for site in berlin paris; do
	mkdir -p "$T/$site"
	chmod 0755 "$T/$site"
	echo "smtpd_tls_security_level = may" >"$T/$site/main.cf"
	chmod 0644 "$T/$site/main.cf"
	cat >"$T/$site/annexa.conf" <<EOF2
[annexa]
	store = annexa.db
[locker]
	path = $T/central.git
	name = $site
[probe "mx-config"]
	type = file
	path = main.cf
	mode-max = 0644
	interval = 10m
EOF2
	# one collection every 10 minutes, paris 5 minutes after berlin
	off=0
	[ "$site" = paris ] && off=300
	for i in $(seq 0 $((N - 1))); do
		ANNEXA_NOW=$((start + off + i * 600)) "$ANNEXA" -c "$T/$site/annexa.conf" collect >/dev/null 2>&1 ||
			fail "$site collection $i"
	done
done
commits() { git --git-dir="$T/central.git" rev-list --count "collectors/$1" 2>/dev/null || echo 0; }
ok; [ "$(commits berlin) $(commits paris)" = "$N $N" ] || fail "locker commits: $(commits berlin) $(commits paris)"
# a commit as an older annexa wrote it (run.json names no instances) that
# changed nothing: still a run of berlin's, though no instance's
G="git --git-dir=$T/central.git"
tip=$($G rev-parse collectors/berlin)
$G show "$tip:run.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); del d["instances"]; d["started_at"] = d["finished_at"] = "2026-11-02T00:56:00Z"; print(json.dumps(d))' >"$T/run.json"
blob=$($G hash-object -w "$T/run.json")
tree=$($G ls-tree "$tip" | sed "s/[0-9a-f]\{40\}\trun.json\$/$blob\trun.json/" | $G mktree)
$G update-ref refs/heads/collectors/berlin "$(echo legacy | $G commit-tree "$tree" -p "$tip")"
central_conf
until=$((start + 300 + (N - 1) * 600 + 120))
ANNEXA_NOW=$until expect_rc 0 "$ANNEXA" -c "$T/central.conf" export --locker "$T/central.git" -o "$T/all.zip"
expect_out "2 collectors, $((2 * N + 1)) commits replayed"
expect_rc 0 "$ANNEXA" verify "$T/all.zip"
expect_out "$((2 * N + 1)) runs chained"
mkdir -p "$T/x" && (cd "$T/x" && unzip -q "$T/all.zip")
ok; [ "$(jsonq "$T/x/manifest.json" "[(c['name'], c['runs']) for c in d['locker']['collectors']]")" = \
	"[('berlin', $((N + 1))), ('paris', $N)]" ] || fail "manifest locker: $(jsonq "$T/x/manifest.json" "d.get('locker')")"
# the calendar: the central configuration does not know the sites'
# intervals, so they come from the runs' spacing; every collection counts
cal() { jsonq "$T/x/period.json" "[(i['instance'], i['interval'], i['interval_source'], i['expected'], i['observed'], i['missed'], i['gaps']) for i in d['instances']]"; }
ok; [ "$(cal)" = "[('berlin--mx-config', 600, 'observed', $N, $N, 0, []), ('paris--mx-config', 600, 'observed', $N, $N, 0, [])]" ] ||
	fail "central calendar: $(cal)"
ok; [ "$(jsonq "$T/x/period.json" "[(c['control'], c['runs_observed'], c['runs_evaluated'], c['runs_passed']) for c in d['controls'] if c['control'] == 'A.8.3']")" = \
	"[('A.8.3', $((2 * N)), $((2 * N)), $((2 * N)))]" ] ||
	fail "A.8.3 centrally: $(jsonq "$T/x/period.json" "[c for c in d['controls'] if c['control'] == 'A.8.3']")"
# `period --locker` reads the same calendar without a bundle
ANNEXA_NOW=$until expect_rc 0 "$ANNEXA" -c "$T/central.conf" period --locker "$T/central.git" --since 2026-11-01 --json
cp "$T/out" "$T/central-period.json"
ok; [ "$(jsonq "$T/central-period.json" "[(i['instance'], i['observed'], i['missed']) for i in d['instances']]")" = \
	"[('berlin--mx-config', $N, 0), ('paris--mx-config', $N, 0)]" ] || fail "period --locker: $(head -c 400 "$T/central-period.json")"
ok; [ ! -e "$T/central.db" ] || fail "period --locker opened the configured store"
# every run's results are in the bundle, unchanged ones too
ok; [ "$(grep -c '"berlin--mx-config"' "$T/x/results.jsonl")" -ge "$N" ] || fail "results.jsonl lacks berlin's runs"
done_tests
