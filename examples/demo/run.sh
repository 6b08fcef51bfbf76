#!/bin/sh
# run.sh ANNEXA - the demo: collect from this folder's site, print the
# control status, and (when signing is available) write a signed bundle and
# the HTML report. Runs from any folder.
set -u
annexa=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 1
# git does not keep permissions: set the ones the demo's checks look at.
chmod 0600 site/etc/annexa/pseudonym.key
chmod 0644 site/var/log/mail.log
mkdir -p out
echo "== annexa collect (examples/demo/annexa.conf)"
"$annexa" -c annexa.conf collect
echo
echo "== annexa status"
"$annexa" -c annexa.conf status
rc=$?
if "$annexa" --help | grep -q '^  export'; then
	[ -f state/signing.key ] || "$annexa" -c annexa.conf keygen >/dev/null
	"$annexa" -c annexa.conf export -o out/evidence.zip && echo "signed bundle: $(pwd)/out/evidence.zip"
	"$annexa" -c annexa.conf report -o out/report.html && echo "HTML report:   $(pwd)/out/report.html"
fi
echo "status JSON:   $annexa -c $(pwd)/annexa.conf status --json"
echo "store:         $(pwd)/state/annexa.db"
# A demo that shows failing controls has done its job.
[ "$rc" -le 1 ]
