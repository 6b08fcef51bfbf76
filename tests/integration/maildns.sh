#!/bin/bash
# maildns.sh - the `maildns` probe against a real authoritative server: NSD
# on 127.0.0.1:12853 and an HTTPS server for the MTA-STS policies on
# 127.0.0.1:12843 (python3's http.server in ssl, certificate from a test
# CA the probe is told to trust), serving zones signed with ldns-signzone (good.example with
# every record right, weak.example with each record wrong, bogus.example whose SPF
# record was changed after signing) and one unsigned zone (plain.example). The
# probe forwards every query to that server and starts validation at the
# zones' own DS records: nothing leaves the machine. DANE: every MX host is
# reached at a private Postfix on 127.0.0.1:12825 (tests/lib/postfix.sh),
# whose real certificate good.example's signed TLSA record matches and
# bogus.example's does not. Asserts each check's status and that the DNSSEC
# verdict (secure, insecure, bogus) is recorded.
. "$ANNEXA_SRC/tests/lib/common.sh"
PORT=12853
for p in nsd ldns-keygen ldns-signzone openssl sqlite3; do
	command -v $p >/dev/null || [ -x /usr/sbin/$p ] || { echo "SKIP: $p not installed"; exit 77; }
done
command -v postfix >/dev/null || { echo "SKIP: postfix not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run postfix"; exit 77; }
NSD=$(command -v nsd || echo /usr/sbin/nsd)
D="$T/dns"
mkdir -p "$D"

# A test CA: it signs the MTA-STS policy server's certificate and the MX's
W="$T/www"
mkdir -p "$W"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=annexa-test-ca -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
# ca_sign NAME KEY CERT SAN: a certificate for NAME from the test CA
ca_sign() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$2" -out "$W/req.pem" 2>/dev/null
	printf 'subjectAltName=%s\n' "$4" > "$W/ext"
	openssl x509 -req -in "$W/req.pem" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 30 -extfile "$W/ext" -out "$3" 2>/dev/null
}

# the MX host every domain points at: a real Postfix with STARTTLS, its
# certificate from the test CA naming mx.plain.example (and localhost)
SMTP_PORT=12825
chmod 755 "$T" # postfix's own users must reach their data folder
. "$ANNEXA_SRC/tests/lib/postfix.sh"
pf_init "$T/b" "$SMTP_PORT"
add_cleanup pf_stop
ca_sign mx.plain.example "$T/b/tls/key.pem" "$T/b/tls/cert.pem" "DNS:mx.plain.example,DNS:mx2.plain.example,DNS:localhost,IP:127.0.0.1"
chmod 600 "$T/b/tls/key.pem"
pf_main ">=TLSv1.2"
pf_start || { fail "postfix did not start on $SMTP_PORT"; tail -5 "$T/b/pf/maillog" >&2; exit 1; }
SPKI=$(openssl x509 -in "$T/b/tls/cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
WRONG=$(printf 'not the key' | sha256sum | cut -d' ' -f1)

# dkim_txt BITS|ed25519: the p= value of a fresh key
dkim_p() {
	if [ "$1" = ed25519 ]; then
		openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0
	else
		openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:"$1" 2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0
	fi
}
# txt STRING: a TXT RDATA in zone syntax, cut into character-strings of 200
txt() { printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '; }

zone_head() {
	cat <<EOF
\$ORIGIN $1.
\$TTL 300
@ IN SOA ns.$1. hostmaster.$1. 1 3600 600 86400 300
@ IN NS ns.$1.
ns IN A 127.0.0.1
EOF
}
good_records() { # DOMAIN TLSA-SHA256: the records of a domain that does everything right
	cat <<EOF
@ IN MX 10 mx.$1.
mx IN A 127.0.0.1
mta-sts IN A 127.0.0.1
@ IN TXT "v=spf1 mx include:_spf.$1 -all"
@ IN TXT "google-site-verification=abc"
_spf IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@$1; adkim=s"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@$1"
sel1._domainkey IN TXT $(txt "v=DKIM1; k=rsa; p=$(dkim_p 2048)")
ed._domainkey IN TXT "v=DKIM1; k=ed25519; p=$(dkim_p ed25519)"
_mta-sts IN TXT "v=STSv1; id=20261207T1"
_25._tcp.mx IN TLSA 3 1 1 $2
_25._tcp.mx IN TLSA 0 0 1 $WRONG
EOF
}
{ zone_head good.example; good_records good.example "$SPKI"; } > "$D/good.example"
# plain.example has a second MX host in another network (redundancy)
{ zone_head plain.example; good_records plain.example "$SPKI"; printf '@ IN MX 20 mx2.plain.example.\nmx2 IN A 127.0.1.1\n'; } > "$D/plain.example"
{ zone_head bogus.example; good_records bogus.example "$WRONG"; } > "$D/bogus.example"
{
	zone_head weak.example
	incs=""
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		incs="$incs include:i$i.weak.example"
		echo "i$i IN TXT \"v=spf1 -all\""
	done
	cat <<EOF
@ IN MX 10 nowhere.weak.example.
@ IN TXT $(txt "v=spf1$incs -all")
_dmarc IN TXT "v=DMARC1; p=none"
sel1._domainkey IN TXT $(txt "v=DKIM1; p=$(dkim_p 1024)")
old._domainkey IN TXT "v=DKIM1; p="
open-incl IN TXT "v=spf1 mx include:_spf-open.weak.example -all"
open-ip IN TXT "v=spf1 mx ip4:0.0.0.0/0 -all"
guarded IN TXT "v=spf1 -include:_spf-open.weak.example -all"
_spf-open IN TXT "v=spf1 +all"
split IN MX 10 mx.split.weak.example.
mx.split IN CNAME mx.plain.example.
_25._tcp.mx.split IN TLSA 3 1 1 $SPKI
EOF
} > "$D/weak.example"

: > "$D/ta.ds"
for z in good.example weak.example bogus.example; do
	(cd "$D" && k=$(ldns-keygen -a ECDSAP256SHA256 -k $z) && ldns-signzone $z "$k" && cat "$k.ds" >> ta.ds) ||
		{ fail "cannot sign $z"; exit 1; }
done
# A record changed after signing: its RRSIG no longer matches.
sed -i 's/include:_spf.bogus.example -all/+all/' "$D/bogus.example.signed"
grep -q '+all' "$D/bogus.example.signed" || fail "bogus.example was not tampered with"
# and the policy host's address: an attacker's answer for mta-sts.
sed -i 's/^\(mta-sts\.bogus\.example\.[[:space:]].*[[:space:]]A[[:space:]]\+\)127\.0\.0\.1/\1127.0.0.2/' "$D/bogus.example.signed"
grep -q '127\.0\.0\.2' "$D/bogus.example.signed" || fail "mta-sts.bogus.example was not tampered with"

# MTA-STS: one policy per Host, served over HTTPS with a test CA's certificate
HTTPS_PORT=12843
mkdir -p "$W/mta-sts.good.example/.well-known" "$W/mta-sts.plain.example/.well-known"
printf 'version: STSv1\r\nmode: enforce\r\nmx: *.good.example\r\nmax_age: 604800\r\n' > "$W/mta-sts.good.example/.well-known/mta-sts.txt"
printf 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.example\nmax_age: 604800\n' > "$W/mta-sts.plain.example/.well-known/mta-sts.txt"
ca_sign mta-sts.good.example "$W/key.pem" "$W/cert.pem" "DNS:mta-sts.good.example,DNS:mta-sts.plain.example,DNS:mta-sts.bogus.example"
cat > "$W/serve.py" <<'PY'
import http.server, os, ssl, sys
root, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
class H(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        host = (self.headers.get("Host") or "").split(":")[0]
        return os.path.join(root, os.path.basename(host), path.lstrip("/").replace("..", ""))
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
python3 "$W/serve.py" "$W" $HTTPS_PORT "$W/cert.pem" "$W/key.pem" >"$W/serve.out" 2>&1 &
HTTPS_PID=$!
stop_https() { kill "$HTTPS_PID" 2>/dev/null; wait "$HTTPS_PID" 2>/dev/null; }
add_cleanup stop_https

cat > "$D/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$PORT
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$D"
	pidfile: "$D/nsd.pid"
	database: ""
	zonelistfile: "$D/zone.list"
	xfrdfile: "$D/xfrd.state"
	xfrdir: "$D"
	logfile: "$D/nsd.log"
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: good.example
	zonefile: good.example.signed
zone:
	name: weak.example
	zonefile: weak.example.signed
zone:
	name: bogus.example
	zonefile: bogus.example.signed
zone:
	name: plain.example
	zonefile: plain.example
EOF
"$NSD" -d -c "$D/nsd.conf" >"$D/nsd.out" 2>&1 &
NSD_PID=$!
stop_nsd() { kill "$NSD_PID" 2>/dev/null; wait "$NSD_PID" 2>/dev/null; }
add_cleanup stop_nsd
wait_for 60 port_open $PORT || { fail "nsd did not start on $PORT"; cat "$D/nsd.out" "$D/nsd.log" >&2; exit 1; }
wait_for 60 port_open $HTTPS_PORT || { fail "the HTTPS server did not start on $HTTPS_PORT"; cat "$W/serve.out" >&2; exit 1; }

# signed mail as a seed mailbox receives it: the selectors in use
mkdir -p "$T/mail"
printf 'DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=Good.Example;\r\n\ts=ed; h=from:to:subject; bh=AAAA; b=BBBB\r\nFrom: a@good.example\r\n\r\nbody\r\n' > "$T/mail/1.eml"
printf 'From: news@weak.example\nDKIM-Signature: v=1; a=rsa-sha256; d=weak.example; s=gone;\n h=from; bh=AAAA; b=BBBB\nDKIM-Signature: v=1; d=esp.example; s=other; h=from; bh=A; b=B\n\nbody\nDKIM-Signature: v=1; d=weak.example; s=inbody; h=from; bh=A; b=B\n' > "$T/mail/2.eml"

inst() { # NAME DOMAIN [extra option lines]
	cat <<EOF
[probe "$1"]
	type = maildns
	domain = $2
	resolver = 127.0.0.1@$PORT
	trust-anchor = dns/ta.ds
	dkim-selector = sel1
	mta-sts-connect-to = ${STS_TO:-127.0.0.1:$HTTPS_PORT}
	dane-connect-to = 127.0.0.1:$SMTP_PORT
	timeout = 120s
${3:-}
EOF
}
{
	printf '[annexa]\n\tstore = annexa.db\n'
	# good: the policy host's address from the validating resolver
	STS_TO=":$HTTPS_PORT" inst good good.example "	dkim-messages = mail
	dkim-selector = ed
	dmarc-policy = reject
	spf-all = fail
	mta-sts-ca-file = www/ca.pem"
	inst good-unreadable good.example "	dkim-messages = mail
	dkim-messages = no-such-mail"
	inst weak weak.example "	dkim-messages = mail
	dkim-selector = old
	dkim-selector = missing"
	inst weak-sts-optional weak.example "	require-mta-sts = false
	require-mx-cert = false"
	STS_TO=":$HTTPS_PORT" inst bogus bogus.example "	mta-sts-ca-file = www/ca.pem"
	inst plain plain.example "	mta-sts-ca-file = www/ca.pem
	mx-ca-file = www/ca.pem"
	inst plain-ok plain.example "	require-dnssec = false"
	inst good-redundant good.example "	min-mx-hosts = 2"
	inst plain-redundant plain.example "	min-mx-hosts = 2"
	# subdomains without a DMARC record of their own (RFC 7489 6.6.3)
	inst news-good news.good.example
	inst news-weak news.weak.example
	# SPF as open as +all through an include: or ip4:/0 (RFC 7208 5.2)
	inst open-incl open-incl.weak.example
	inst open-ip open-ip.weak.example
	inst guarded guarded.weak.example
	# DANE: signed MX and TLSA records, but the MX host is a CNAME into the
	# unsigned plain.example: its address is insecure, senders ignore the
	# TLSA records (RFC 7672 2.2.2) although the certificate matches them
	inst split split.weak.example
} > "$T/annexa.conf"

expect_rc 1 "$ANNEXA" -c "$T/annexa.conf" collect

for c in mx spf dkim dmarc tlsrpt mta_sts dane mx_tls; do expect_status good maildns.$c pass; done
expect_status good maildns.dane pass "all 1 MX host(s) present a certificate their signed TLSA records match"
expect_status good maildns.mta_sts pass "MTA-STS enforce, max_age 604800 s, covering all 1 MX host(s)"
expect_status good maildns.dnssec pass "answers validate (secure)"
expect_status good maildns.spf pass "2 DNS lookup(s), ending in -all"
expect_status good maildns.dkim pass "2 selector(s)"

expect_status weak maildns.dnssec pass
expect_status weak maildns.mx fail "nowhere.weak.example"
expect_status weak maildns.spf fail "more than 10 DNS lookups"
expect_status open-incl maildns.spf fail "an include: whose target does"
expect_status open-ip maildns.spf fail "anyone may send in the domain's name, as with +all"
expect_status guarded maildns.spf pass "ending in -all"
expect_status weak maildns.dmarc fail "p=none is weaker than quarantine"
expect_status weak maildns.tlsrpt fail "no TLS-RPT record"
expect_status weak maildns.mta_sts fail "_mta-sts.weak.example publishes no MTA-STS record"
expect_status weak-sts-optional maildns.mta_sts info "no MTA-STS record"
expect_status weak maildns.dkim fail "sel1: RSA key of 1024 bits (minimum 2048)"
expect_status weak maildns.dkim fail "old: key revoked"
expect_status weak maildns.dkim fail "missing: no key published"
expect_status weak maildns.dkim fail "gone: no key published (selector seen in signed mail)"
n=$(sqlite3 "$T/annexa.db" "select count(*) from results where instance='weak' and check_id='maildns.dkim' and (message like '%other%' or message like '%inbody%')")
ok; [ "$n" = 0 ] || fail "a selector of another domain or from a message body was checked"

expect_status bogus maildns.dnssec fail "bogus.example/TXT"
expect_status bogus maildns.spf fail "DNSSEC validation failed"
expect_status bogus maildns.dmarc pass # the other records are intact
expect_status bogus maildns.dane fail "mx.bogus.example: no TLSA record matches the certificate it presents"
expect_status weak maildns.dane info "nowhere.weak.example: no TLSA record"

for c in mx spf dkim dmarc tlsrpt; do expect_status plain maildns.$c pass; done
expect_status plain maildns.dane info "TLSA records in an unsigned zone"
expect_status split maildns.dane info "mx.split.weak.example: its address records are not signed, so senders ignore its TLSA records"
expect_status plain maildns.mta_sts fail "not covered by the MTA-STS policy: mx.plain.example"
# the system store does not trust the test CA: the policy is not fetched
expect_status plain-ok maildns.mta_sts fail "cannot be fetched"
expect_status plain maildns.dnssec fail "not signed (insecure)"
expect_status plain-ok maildns.dnssec info "not signed (insecure)"

# MX TLS: a sender authenticates the MX by DANE (good, whose certificate
# no public CA signed) or by a certificate that validates and names it
# (plain, told to trust the test CA); otherwise it cannot.
expect_status good maildns.mx_tls pass "offer STARTTLS with a certificate senders can authenticate"
expect_status plain maildns.mx_tls pass "offer STARTTLS with a certificate senders can authenticate"
expect_status plain-ok maildns.mx_tls fail "mx.plain.example: its certificate (CN=mx.plain.example) does not validate"
expect_status bogus maildns.mx_tls fail "mx.bogus.example: its certificate (CN=mx.plain.example) does not name the host and does not validate"
expect_status weak maildns.mx_tls fail "nowhere.weak.example: its certificate"
expect_status weak-sts-optional maildns.mx_tls info "nowhere.weak.example"
ok; sqlite3 "$T/annexa.db" "select observed from results where instance='plain' and check_id='maildns.mx_tls' order by run_id desc limit 1" |
	grep -q '"validates": *true' || fail "plain's MX TLS evidence lacks the validation result"

# MX redundancy (A.8.14): counted, judged only against a declared need
expect_status good maildns.mx_redundancy info "1 MX host(s) on 1 address(es) in 1 network(s)"
expect_status good-redundant maildns.mx_redundancy fail "the MX hosts sit in 1 distinct network(s), 2 required"
expect_status plain-redundant maildns.mx_redundancy pass "2 MX host(s) in 2 distinct networks (2 required)"
expect_status plain maildns.mx pass "2 MX host(s), each with an address"

# MTA-STS: the policy host is resolved by the validating resolver (good);
# a forged address for it is refused before any connection (bogus).
expect_status bogus maildns.mta_sts fail "the MTA-STS policy host: the answer for mta-sts.bogus.example is bogus"
n=$(sqlite3 "$T/annexa.db" "select count(*) from results where instance='good' and check_id='maildns.dnssec' and observed like '%mta-sts.good.example/A%secure%'")
ok; [ "$n" = 1 ] || fail "the policy host's address was not looked up through the validating resolver"

# DMARC: a subdomain without a record of its own falls under the
# organizational domain's (its sp=, else p=)
expect_status news-good maildns.dmarc pass "the organizational domain's applies (_dmarc.good.example)"
expect_status news-weak maildns.dmarc fail "its policy for subdomains p=none is weaker than quarantine"

# DKIM: a dkim-messages path that cannot be read is no silent pass
expect_status good-unreadable maildns.dkim error "dkim-messages: 1 path(s) or file(s) cannot be read"
expect_status good-unreadable maildns.dkim error "no-such-mail"

# Evidence: the records as published, with the report addresses pseudonymised.
n=$(sqlite3 "$T/annexa.db" "select count(*) from results where instance='good' and observed like '%dmarc-reports@%'")
ok; [ "$n" = 0 ] || fail "an e-mail address of a DMARC record reached the evidence"
ok; sqlite3 "$T/annexa.db" "select observed from results where instance='good' and check_id='maildns.dmarc' order by run_id desc limit 1" |
	grep -q '"rua": *"mailto:p:[0-9a-f]\{16\}"' || fail "rua is not pseudonymised in the evidence"
done_tests
