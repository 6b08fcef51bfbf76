#!/bin/bash
# package.sh - the Debian package (issue 18): `dpkg-buildpackage -b`
# builds annexa_VERSION_amd64.deb from a copy of the source, lintian finds
# no error, `dpkg -i` installs it into this machine with the files where
# README "Install" says, the accounts and the state folder, the installed
# unit passes systemd-analyze verify, the binary runs check-config on the
# shipped sample with the installed controls data, and `dpkg --purge`
# leaves nothing behind (the accounts stay, as Debian policy says).
# Installs into the machine: one run at a time (flock), purged on exit.
# Skipped (77) without root, dpkg-buildpackage, debhelper or lintian, in a
# sanitizer build tree, or when an annexa package is already installed
# (not ours to replace).
if [ -z "${ANNEXA_PKG_LOCKED:-}" ]; then
	ANNEXA_PKG_LOCKED=1 exec flock /tmp/annexa-pkg.lock "$0" "$@"
fi
. "$ANNEXA_SRC/tests/lib/common.sh"
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
# The package is built from the source, not from this build tree: once is
# enough (make check runs the normal tree and the ASan one).
if python3 -c 'import json,sys; o={x["name"]: x["value"] for x in json.load(open(sys.argv[1]))}; sys.exit(o.get("b_sanitize", "none") == "none")' \
	"$ANNEXA_BUILD/meson-info/intro-buildoptions.json" 2>/dev/null; then
	skip "a sanitizer build: the package test runs in the normal build"
fi
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null || skip "$tool not installed (make deps-test installs debhelper, lintian)"
done
if dpkg-query -W -f='${Status}' annexa 2>/dev/null | grep -q 'installed'; then
	skip "an annexa package is already installed on this machine"
fi

# dpkg takes a lock that apt-get elsewhere on the machine may hold for a while
dpkg_locked() { # CMD...: retried while dpkg's lock is busy (5 min)
	local i rc
	for i in $(seq 1 150); do
		"$@" >"$T/dpkg.out" 2>&1
		rc=$?
		grep -q 'lock' "$T/dpkg.out" && [ "$rc" != 0 ] || return $rc
		sleep 2
	done
	return $rc
}
purge() { dpkg_locked dpkg --purge annexa || true; }
# The accounts outlive the purge (policy); the test removes those it made,
# since an annexa-probe account changes how every later test's probes run
# as root (collect.c: probe-user defaults to it when it exists).
made_accounts=""
for u in annexa-probe annexa; do
	getent passwd "$u" >/dev/null || made_accounts="$made_accounts $u"
done
remove_accounts() {
	for u in $made_accounts; do
		userdel "$u" 2>/dev/null
		groupdel "$u" 2>/dev/null
	done
	return 0
}
add_cleanup remove_accounts
add_cleanup purge

# the source as checked out (tracked and new files, not build folders)
mkdir -p "$T/src/annexa"
if (cd "$ANNEXA_SRC" && git ls-files -co --exclude-standard -z >"$T/files" 2>/dev/null); then
	(cd "$ANNEXA_SRC" && xargs -0 cp --parents -t "$T/src/annexa" <"$T/files")
else
	tar -C "$ANNEXA_SRC" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$T/src/annexa" -xf -
fi
version=$(cd "$T/src/annexa" && dpkg-parsechangelog -S Version)
meson_version=$(sed -n "s/^  version: '\(.*\)',/\1/p" "$ANNEXA_SRC/meson.build")
ok; [ "$version" = "$meson_version" ] || fail "debian/changelog says $version, meson.build $meson_version"
start=$(date +%s)
(cd "$T/src/annexa" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" dpkg-buildpackage -b -us -uc) >"$T/build.log" 2>&1
rc=$?
echo "dpkg-buildpackage: exit $rc after $(($(date +%s) - start)) s"
deb=$T/src/annexa_${version}_$(dpkg --print-architecture).deb
ok; [ "$rc" = 0 ] && [ -f "$deb" ] || { fail "dpkg-buildpackage did not build $deb"; tail -30 "$T/build.log" >&2; done_tests; exit; }

lintian --fail-on error "$deb" >"$T/lintian" 2>&1
rc=$?
echo "lintian: exit $rc, $(grep -c '^E:' "$T/lintian") errors, $(grep -c '^W:' "$T/lintian") warnings"
ok; [ "$rc" = 0 ] || { fail "lintian errors"; grep '^E:' "$T/lintian" >&2; }

expect_rc 0 dpkg_locked dpkg -i "$deb"
dpkg -L annexa >"$T/files" 2>&1
for f in /usr/bin/annexa /lib/systemd/system/annexa.service /usr/lib/sysusers.d/annexa.conf \
	/usr/lib/tmpfiles.d/annexa.conf /usr/share/bash-completion/completions/annexa \
	/usr/share/man/man8/annexa.8.gz /usr/share/man/man5/annexa.conf.5.gz /usr/share/man/man7/annexa-probes.7.gz \
	/usr/share/doc/annexa/annexa.conf.sample /usr/share/doc/annexa/README.md /usr/share/annexa/controls/annex-a.xml \
	/usr/share/annexa/controls/mapping/tls.xml; do
	ok; grep -qx "$f" "$T/files" && [ -e "$f" ] || fail "dpkg -L lacks $f"
done
# what the package owns besides shared folders, for the purge check
while read -r f; do [ -d "$f" ] || echo "$f"; done <"$T/files" >"$T/owned"
for u in annexa annexa-probe; do
	ok; getent passwd "$u" >/dev/null || fail "postinst did not create the account $u"
done
ok; [ "$(stat -c '%U:%G %a' /var/lib/annexa 2>&1)" = "annexa:annexa 750" ] ||
	fail "/var/lib/annexa: $(stat -c '%U:%G %a' /var/lib/annexa 2>&1), want annexa:annexa 750"

# the installed binary with the installed data (not the source tree's)
expect_rc 0 env -u ANNEXA_CONTROLS /usr/bin/annexa --version
expect_out "annexa $version"
expect_no_out "test clock"
expect_rc 0 env -u ANNEXA_CONTROLS /usr/bin/annexa -c /usr/share/doc/annexa/annexa.conf.sample check-config
expect_out "configuration OK"
if command -v systemd-analyze >/dev/null; then
	expect_rc 0 systemd-analyze verify /lib/systemd/system/annexa.service
	# verify formats the Documentation= man pages; man-db caches them in
	# /var/cache/man, a cache of this check, not a file of the package
	rm -f /var/cache/man/cat8/annexa.8.gz /var/cache/man/cat5/annexa.conf.5.gz /var/cache/man/cat7/annexa-probes.7.gz
	systemd-analyze security --offline=true /lib/systemd/system/annexa.service 2>&1 | grep 'Overall exposure'
fi
# (rendered from a copy: man -l on /usr/share/man would cache a cat page
# in /var/cache/man that the purge cannot know)
for p in man8/annexa.8.gz man5/annexa.conf.5.gz man7/annexa-probes.7.gz; do
	cp "/usr/share/man/$p" "$T/page.gz"
	MANWIDTH=80 man --warnings -l "$T/page.gz" 2>"$T/warn" >/dev/null
	ok; [ ! -s "$T/warn" ] || fail "$p: $(head -3 "$T/warn")"
done

expect_rc 0 dpkg_locked dpkg --purge annexa
ok; ! dpkg -L annexa >/dev/null 2>&1 || fail "dpkg -L still lists files after purge"
for u in $made_accounts; do
	ok; getent passwd "$u" >/dev/null || fail "purge removed the account $u (Debian policy: it stays)"
done
for f in $(cat "$T/owned") /var/lib/annexa /etc/annexa /usr/share/annexa /usr/share/doc/annexa \
	/etc/systemd/system/multi-user.target.wants/annexa.service /var/lib/systemd/deb-systemd-helper-enabled/annexa.service.dsh-also; do
	ok; [ ! -e "$f" ] && [ ! -L "$f" ] || fail "left after purge: $f"
done
done_tests
