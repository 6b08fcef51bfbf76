#!/bin/bash
# report_chromium.sh - report.html as a browser sees it. The demo is
# collected with the real binary, `annexa report -o` and `annexa export`
# write the report; headless Chromium renders each to a PNG (exit 0, a real
# PNG, clearly more than a blank page) and dumps its DOM, which must hold
# one control row per Annex A control (93). The report inside the bundle
# must link only to files the bundle holds. The committed golden report
# (hostile probe strings) must render with no script element in its DOM.
# The bundle's oscal/assessment-results.xml must validate with xmllint.
# The demo's report puts the failing controls on the first 1366x768 screen,
# collapses one instance's repeated errors into one line, shows owners and
# prints on at most 8 A4 pages (pdfinfo from poppler-utils counts them); its
# filter hides what it should.
# Needs the Debian package `chromium`; skips (77) with a message without it.
. "$ANNEXA_SRC/tests/lib/common.sh"

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "SKIP: chromium is not installed (apt-get install -y chromium)"
	exit 77
fi
export HOME="$T/home" # chromium writes caches under $HOME
mkdir -p "$HOME"

# chrome ARGS...: one headless Chromium with its own profile, no network
# services, bounded in time; stderr (D-Bus noise on servers) to $T/chrome.err.
chrome() {
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$T/profile-XXXXXX")" "$@" 2>"$T/chrome.err"
}

# render NAME HTML: screenshot and DOM of HTML; the DOM lands in $T/NAME.dom.
render() {
	name=$1 html=$2
	chrome --screenshot="$T/$name.png" --window-size=1280,4000 "file://$html" >/dev/null
	rc=$?
	ok
	[ "$rc" = 0 ] || { fail "$name: chromium --screenshot exited $rc"; tail -5 "$T/chrome.err" >&2; }
	ok
	[ "$(head -c 8 "$T/$name.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		fail "$name: $T/$name.png is not a PNG"
	size=$(stat -c %s "$T/$name.png" 2>/dev/null || echo 0)
	ok
	[ "$size" -gt $((2 * blank_size)) ] || fail "$name: PNG of $size bytes, a blank page is $blank_size"
	chrome --dump-dom "file://$html" >"$T/$name.dom"
	ok
	grep -q '</html>' "$T/$name.dom" || fail "$name: chromium --dump-dom gave no document"
}

# first_screen HTML: in a 1366x768 window the first failing control of the
# "Needs attention" table is fully visible without scrolling, above any
# control row of the themes. A copy of the report with a probe script (the
# report itself has none) writes what the layout measured into the DOM;
# the PNG of that viewport is kept for the developer to look at.
first_screen() {
	probe="$T/first-screen.html"
	sed 's|</body>|<script>var a=document.querySelector("tr.attention-item[data-status=fail]"),c=document.querySelector("tr.control");document.body.setAttribute("data-probe",(a?Math.ceil(a.getBoundingClientRect().bottom):-1)+" "+Math.floor(c.getBoundingClientRect().top)+" "+window.innerHeight);</script></body>|' "$1" >"$probe"
	chrome --window-size=1366,768 --dump-dom "file://$probe" >"$T/first-screen.dom"
	chrome --window-size=1366,768 --screenshot="$T/first-screen.png" "file://$1" >/dev/null
	read -r bottom ctl height < <(grep -o 'data-probe="[^"]*"' "$T/first-screen.dom" | sed 's/^data-probe="//; s/"$//')
	ok
	[ -n "$bottom" ] && [ "$bottom" -gt 0 ] && [ "$bottom" -le "${height:-0}" ] ||
		fail "the first failing control is not on the first screen (bottom ${bottom:-?} px, viewport ${height:-?} px)"
	ok
	[ -n "$ctl" ] && [ "$ctl" -ge "${bottom:-0}" ] || fail "a theme's control row comes before the failing controls"
	echo "first screen: first failing control ends at $bottom px of $height; PNG $T/first-screen.png"
	[ -z "${ANNEXA_KEEP_PNG:-}" ] || cp "$T/first-screen.png" "$ANNEXA_KEEP_PNG"
}

# filtered HTML: the report's own filter, driven as a reader would: the
# form is shown (it is hidden without the script), "failing, erroring,
# stale" leaves exactly the rows of those statuses visible, the theme
# "Physical" only Physical rows, the instance "postfix" only rows with a
# postfix check; themes with nothing left are hidden.
filtered() {
	probe="$T/filter-probe.html"
	sed 's|</body>|<script>function vis(){return Array.prototype.filter.call(document.querySelectorAll("tr.control"),function(r){return !r.hidden;});}function pick(id,v){var s=document.getElementById(id);s.value=v;s.dispatchEvent(new Event("change"));}var out=[document.getElementById("filter").hidden?"hidden":"shown"];pick("f-status","attention");var v=vis();out.push(v.length,v.filter(function(r){return !/^(fail\|error\|stale)$/.test(r.dataset.status);}).length);pick("f-status","");pick("f-theme","Physical");v=vis();out.push(v.length,v.filter(function(r){return r.closest("section").id!="theme-Physical";}).length,document.getElementById("theme-Technological").hidden);pick("f-theme","");pick("f-instance","postfix");v=vis();out.push(v.length,v.filter(function(r){return !r.querySelector("[data-instance=postfix]");}).length);document.body.setAttribute("data-filter",out.join(" "));</script></body>|' "$1" >"$probe"
	chrome --dump-dom "file://$probe" >"$T/filter.dom"
	want_att=$(grep -Eo '<tr class="control" id="[^"]*" data-status="(fail|error|stale)"' "$T/report.dom" | wc -l)
	want_phys=$(sed -n '/<section id="theme-Physical">/,/<\/section>/p' "$T/report.dom" | grep -c '<tr class="control"')
	read -r form att att_bad phys phys_bad tech_hidden pf pf_bad < <(grep -o 'data-filter="[^"]*"' "$T/filter.dom" | sed 's/^data-filter="//; s/"$//')
	echo "filter: form $form; attention $att rows (want $want_att); Physical $phys (want $want_phys); postfix $pf rows"
	ok; [ "$form" = shown ] || fail "the filter form is not shown with scripts on"
	ok; [ "$att" = "$want_att" ] && [ "$att_bad" = 0 ] || fail "status filter shows $att rows ($att_bad others), want $want_att"
	ok; [ "$phys" = "$want_phys" ] && [ "$phys_bad" = 0 ] && [ "$tech_hidden" = true ] ||
		fail "theme filter shows $phys rows ($phys_bad of other themes, Technological hidden: $tech_hidden), want $want_phys"
	ok; [ "${pf:-0}" -ge 1 ] && [ "$pf_bad" = 0 ] || fail "instance filter shows $pf rows, $pf_bad without a postfix check"
	# without scripts the form stays hidden and every row is there
	ok; grep -q '<form id="filter" hidden' "$T/report.html" || fail "the filter form is not hidden without the script"
}

# printed HTML: Chromium prints it to PDF (A4 from the print stylesheet);
# the demo must fit on at most 8 pages (pdfinfo, from poppler-utils).
printed() {
	chrome --no-pdf-header-footer --print-to-pdf="$T/report.pdf" "file://$1" >/dev/null
	ok
	[ "$(head -c 5 "$T/report.pdf" 2>/dev/null)" = "%PDF-" ] || fail "chromium --print-to-pdf wrote no PDF"
	if ! command -v pdfinfo >/dev/null; then
		echo "NOTE: pdfinfo (poppler-utils) is missing: pages not counted"
		return
	fi
	pages=$(pdfinfo "$T/report.pdf" | awk '/^Pages:/ {print $2}')
	size=$(pdfinfo "$T/report.pdf" | awk '/^Page size:/ {print $3 "x" $5}')
	echo "printed report: ${pages:-?} pages of $size pt"
	ok
	[ -n "$pages" ] && [ "$pages" -le 8 ] || fail "the demo's report prints on ${pages:-?} pages, want at most 8"
	ok
	case "$size" in 595* | 594* | 596*) ;; *) fail "the report prints on $size pt, not A4 (595x842)" ;; esac
	[ -z "${ANNEXA_KEEP_PDF:-}" ] || cp "$T/report.pdf" "$ANNEXA_KEEP_PDF"
}

# no_external FILE: nothing in the report can make a request.
no_external() {
	ok
	# one inline script, the filter's own: no attributes, no source
	ok
	[ "$(grep -o '<script' "$1" | wc -l)" = 1 ] || fail "$1 has $(grep -o '<script' "$1" | wc -l) script elements, want the filter's only"
	if grep -Eiq '<script[^>]|<link|<iframe|<object|<embed|src=|url\(|@import|href="(https?:)?//' "$1"; then
		fail "$1 references something outside itself:"
		grep -Eio '.{0,40}(<script[^>]|<link|<iframe|src=|url\(|@import|href="(https?:)?//).{0,40}' "$1" | head -5 >&2
	fi
}

# rows DOM: control rows in a DOM dump.
rows() { grep -Eo '<tr class="control[" ]' "$1" | wc -l; }

# A blank page of the same size, to tell a rendered report from nothing.
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body></body></html>\n' >"$T/blank.html"
chrome --screenshot="$T/blank.png" --window-size=1280,4000 "file://$T/blank.html" >/dev/null ||
	fail "chromium cannot render a blank page: $(tail -3 "$T/chrome.err")"
blank_size=$(stat -c %s "$T/blank.png" 2>/dev/null || echo 0)

# The demo, collected by the real binary.
cp -r "$ANNEXA_SRC/examples/demo" "$T/demo"
rm -rf "$T/demo/state" "$T/demo/out"
chmod 0600 "$T/demo/site/etc/annexa/pseudonym.key"
chmod 0644 "$T/demo/site/var/log/mail.log"
C="$T/demo/annexa.conf"
expect_rc 1 "$ANNEXA" -c "$C" collect

# 1. annexa report -o FILE
if "$ANNEXA" --help 2>&1 | grep -q '^ *report '; then
	expect_rc 0 "$ANNEXA" -c "$C" report -o "$T/report.html"
	no_external "$T/report.html"
	render report "$T/report.html"
	ok
	[ "$(rows "$T/report.dom")" = 93 ] || fail "report.html DOM has $(rows "$T/report.dom") control rows, want 93"
	# the demo's instances ran under one confinement: one row lists them all
	ok; [ "$(grep -c 'class="sandbox-item"' "$T/report.html")" = 1 ] && grep -q 'class="sandbox-item" data-sandbox="confined"><td>[^<]*, [^<]*, ' "$T/report.html" ||
		fail "report.html does not group the instances of one confinement: $(grep -o '<tr class="sandbox-item"[^\n]*' "$T/report.html" | head -c 300)"
	if grep -q 'data-status=' "$T/report.dom"; then
		for want in 'id="A.8.24" data-status="fail"' 'id="A.7.4" data-status="manual"' \
			'id="A.8.21" data-status="partial"' 'id="A.5.1" data-status="manual"'; do
			ok
			grep -qF "<tr class=\"control\" $want" "$T/report.dom" || fail "report.html DOM lacks the row $want"
		done
		ok
		grep -qF 'Inherited from Example Hosting AG: ISO/IEC 27001:2022 certificate' "$T/report.dom" ||
			fail "report.html does not show A.7.4 as inherited"
		ok
		grep -qF '<li class="need" data-need="A.8.21:requirements">' "$T/report.dom" ||
			fail "report.html does not name A.8.21's open needs"
		# its evidence links lead to the copies written beside it
		links=0
		for href in $(grep -o 'href="[^"#][^"]*"' "$T/report.html" | sed 's/^href="//; s/"$//' | sort -u); do
			links=$((links + 1))
			ok
			case "$href" in
			report.html.evidence/*) [ -f "$T/$href" ] || fail "report -o links $href, which is not beside it" ;;
			*) fail "report -o links $href, outside report.html.evidence/" ;;
			esac
		done
		ok
		[ "$links" -ge 1 ] || fail "report -o links no evidence (the demo attaches main.cf)"
		filtered "$T/report.html"
		first_screen "$T/report.html"
		printed "$T/report.html"
		ok
		grep -qF 'owner: Mail operations (M. Keller)' "$T/report.dom" || fail "report.html does not show A.8.24's owner"
		# the demo's postfix-tls-settings skips 4 checks: one line with their reasons
		ok
		grep -Eq '<li class="repeated" data-count="4" data-instance="postfix-tls-settings"><span class="status s-skip">skip</span> <code>postfix-tls-settings</code>: 4 checks skipped \(not evidence\): <code>file.age</code> no max-age/min-age configured; ' "$T/report.dom" ||
			fail "report.html does not collapse postfix-tls-settings's skipped checks into one line"
		ok
		n=$(grep -c '<li class="r-skip" data-instance="postfix-tls-settings">' "$T/report.dom")
		[ "$n" = 0 ] || fail "report.html still lists $n single skip rows of postfix-tls-settings"
	else
		echo "NOTE: annexa report still writes the placeholder report (no data-status); rows counted only"
	fi
else
	echo "NOTE: this annexa has no 'report' command; only the bundle and golden reports are rendered"
fi

# 2. report.html inside a signed bundle: its evidence links resolve there.
expect_rc 0 "$ANNEXA" -c "$C" keygen
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/bundle.zip"
mkdir -p "$T/bundle"
expect_rc 0 unzip -q "$T/bundle.zip" -d "$T/bundle"
no_external "$T/bundle/report.html"
render bundle "$T/bundle/report.html"
ok
[ "$(rows "$T/bundle.dom")" = 93 ] || fail "bundle report.html DOM has $(rows "$T/bundle.dom") control rows, want 93"
links=0
for href in $(grep -o 'href="[^"]*"' "$T/bundle/report.html" | sed 's/^href="//; s/"$//' | sort -u); do
	links=$((links + 1))
	ok
	case "$href" in
	evidence/*) [ -f "$T/bundle/$href" ] || fail "bundle report links $href, which the bundle lacks" ;;
	\#*) grep -qF "id=\"${href#\#}\"" "$T/bundle/report.html" || fail "bundle report links $href, an id it lacks" ;;
	*) fail "bundle report links $href, outside evidence/" ;;
	esac
done
if grep -q 'data-status=' "$T/bundle/report.html"; then
	ok
	[ "$links" -ge 1 ] || fail "bundle report links no evidence (the demo attaches main.cf)"
fi

# The bundle's OSCAL document validates against the NIST schema (stock xmllint).
XSD="$ANNEXA_SRC/tests/data/oscal/oscal_assessment-results_schema-1.0.6.xsd"
expect_rc 0 xmllint --noout --nonet --schema "$XSD" "$T/bundle/oscal/assessment-results.xml"
expect_out "validates"

# 3. The golden report: hostile probe text stays text in the browser.
render golden "$ANNEXA_SRC/tests/golden/report.html"
ok
[ "$(rows "$T/golden.dom")" = 9 ] || fail "golden report DOM has $(rows "$T/golden.dom") control rows, want 9"
ok
[ "$(grep -oi '<script' "$T/golden.dom" | wc -l)" = 1 ] || fail "a probe string became a script element"
ok
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/golden.dom" || fail "the hostile message is not shown as text"

done_tests
