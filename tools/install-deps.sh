#!/bin/sh
# install-deps.sh PACKAGE... - installs the Debian packages that are missing.
# As root it runs apt-get itself (once `apt-get update`); otherwise it names
# the command to run and fails.
set -eu
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "annexa: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "annexa: not root; run: sudo apt-get install -y$missing" >&2
	exit 1
fi
# Postfix asks a question at install time; "No configuration" keeps it
# from touching the machine's mail setup. Service starts are not needed.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
# another apt-get (a parallel build, unattended-upgrades) may hold the lock
apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
