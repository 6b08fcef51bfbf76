#!/bin/bash
# The packages probe, confined, on this machine's real dpkg database, apt
# lists and dpkg.log (read-only): the installed count is dpkg-query's, the
# pending updates and those from a security suite are what
# `apt list --upgradable` reports from the same lists (no network).
. "$ANNEXA_SRC/tests/lib/common.sh"
[ -r /var/lib/dpkg/status ] && command -v dpkg-query >/dev/null && command -v apt >/dev/null ||
	{ echo "SKIP: not a Debian system"; exit 77; }
cat > "$T/annexa.conf" <<CONF
[annexa]
	store = annexa.db
	state-dir = state
[probe "host"]
	type = packages
CONF
"$ANNEXA" -c "$T/annexa.conf" collect --json > "$T/run.json" 2>"$T/err" || true
r() { jsonq "$T/run.json" "[r['$2'] for r in d['results'] if r['check']=='$1'][0]"; }
installed=$(dpkg-query -W -f='${db:Status-Status}\n' | grep -vc '^not-installed$\|^config-files$')
msg=$(r packages.installed_ok message)
# (a failing installed_ok lists the broken packages instead of the count)
[ "$(r packages.installed_ok status)" = fail ] || case "$msg" in "$installed packages installed"*) ok ;; *) fail "dpkg-query counts $installed installed, the probe: $msg" ;; esac
apt list --upgradable 2>/dev/null | grep -v '^Listing' > "$T/upg" || true
pending=$(wc -l < "$T/upg")
security=$(grep -c -- '-security' "$T/upg" || true)
case "$(r packages.security_pending message)" in
	*"$pending update(s) pending, $security from a security suite"*) ok ;;
	*"no Packages index"*|*"No such file"*) [ "$pending" = 0 ] && ok || fail "no lists read, apt lists $pending" ;;
	*) fail "apt: $pending pending, $security security; probe: $(r packages.security_pending message)" ;;
esac
[ "$(r packages.changes status)" = pass ] && ok || fail "changes: $(r packages.changes message)"
grep -q "sandbox\|UNCONFINED" "$T/err" && fail "confinement warning: $(cat "$T/err")" || ok
done_tests
