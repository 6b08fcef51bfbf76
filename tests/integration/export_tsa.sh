#!/bin/bash
# RFC 3161 time stamps of bundles against a local TSA made with `openssl ts`:
# online ([signing] tsa-url, a loopback HTTP responder on 127.0.0.1:127xx)
# and offline (--tsa-request, then --tsa-reply); `annexa verify --tsa-ca`
# and stock `openssl ts -verify` accept the stamp; a reply for other data,
# https URLs and a dead TSA are refused.
. "$ANNEXA_SRC/tests/lib/common.sh"
PORT=$((12700 + $$ % 100))
D="$T/tsa"
mkdir -p "$D" "$T/site"
cd "$T" || exit 1
# The TSA: a CA and a signing certificate with critical EKU timeStamping.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/ca.key" -subj "/CN=Test TSA CA" \
	-days 5 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out "$D/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/tsa.key" -subj "/CN=Test TSA" \
	-out "$D/tsa.csr" 2>/dev/null
printf 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n' >"$D/ext"
openssl x509 -req -in "$D/tsa.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days 5 -extfile "$D/ext" \
	-out "$D/tsa.crt" 2>/dev/null || fail "TSA certificate"
echo 01 >"$D/serial"
cat >"$D/ts.cnf" <<CNF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = $D
serial = \$dir/serial
crypto_device = builtin
signer_cert = \$dir/tsa.crt
certs = \$dir/ca.crt
signer_key = \$dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
python3 "$ANNEXA_SRC/tests/lib/tsa_responder.py" "$PORT" "$D/ts.cnf" &
TSA_PID=$!
stop_tsa() { kill "$TSA_PID" 2>/dev/null; wait "$TSA_PID" 2>/dev/null; }
add_cleanup stop_tsa
wait_for 60 port_open "$PORT" || fail "the TSA did not start"

echo "tls = on" >site/app.conf
write_conf() {
	cat >"$T/annexa.conf" <<CONF
[annexa]
	organization = TSA Test AG
	store = state/annexa.db
	state-dir = state
[signing]
	tsa-url = $1
[probe "appconf"]
	type = file
	path = site/app.conf
	contains = ^tls *= *on
	attach = true
CONF
}
write_conf "http://127.0.0.1:$PORT/tsa"
C="$T/annexa.conf"
expect_rc 0 "$ANNEXA" -c "$C" collect
expect_rc 0 "$ANNEXA" -c "$C" keygen

# Online.
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/b.zip" --tsa-ca "$D/ca.crt"
expect_rc 0 "$ANNEXA" verify --tsa-ca "$D/ca.crt" "$T/b.zip"
expect_out "TSA signature verified"
expect_rc 0 "$ANNEXA" verify "$T/b.zip"
expect_out "TSA signature not checked"
# the bundle is an anchor of the store, with its time stamp's time
ok; grep -q "\"bundle\":\"$T/b.zip\".*\"tsa_time\":\"20" state/anchors.jsonl ||
	fail "no time-stamped anchor of b.zip: $(cat state/anchors.jsonl)"
expect_rc 0 "$ANNEXA" -c "$C" ledger verify --anchors "$T/b.zip"
expect_out ", time-stamped 20"
mkdir x && (cd x && unzip -q "$T/b.zip")
[ -f x/manifest.json.sig.tsr ] || fail "bundle lacks manifest.json.sig.tsr"
(cd x && openssl ts -verify -in manifest.json.sig.tsr -data manifest.json.sig -CAfile "$D/ca.crt") >"$T/out" 2>&1 ||
	fail "openssl ts -verify: $(cat "$T/out")"
ok
# A TSA CA that did not issue the TSA's certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o.key" -subj "/CN=Other CA" \
	-days 2 -out "$T/o.crt" 2>/dev/null
expect_rc 1 "$ANNEXA" verify --tsa-ca "$T/o.crt" "$T/b.zip"
expect_out "manifest.json.sig.tsr"
expect_rc 3 "$ANNEXA" -c "$C" export -o "$T/c.zip" --tsa-ca "$T/o.crt"
expect_out "does not verify against TSA CA"
[ ! -e "$T/c.zip" ] || fail "export with a refused time stamp left a bundle"

# Offline: request file, reply by hand, added to the bundle.
write_conf "http://127.0.0.1:1/unused"
sed -i '/tsa-url/d' "$C"
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/off.zip" --tsa-request "$T/req.tsq"
expect_out "--tsa-reply"
openssl ts -reply -config "$D/ts.cnf" -queryfile "$T/req.tsq" -out "$T/rep.tsr" 2>/dev/null || fail "openssl ts -reply"
# A reply for the other bundle's request does not stamp this one.
expect_rc 2 "$ANNEXA" -c "$C" export -o "$T/off.zip" --tsa-reply x/manifest.json.sig.tsr --tsa-ca "$D/ca.crt"
expect_out "does not stamp this bundle"
expect_rc 0 "$ANNEXA" -c "$C" export -o "$T/off.zip" --tsa-reply "$T/rep.tsr" --tsa-ca "$D/ca.crt"
ok; grep -q "\"bundle\":\"$T/off.zip\".*\"tsa_time\":\"20" state/anchors.jsonl ||
	fail "no time-stamped anchor of off.zip: $(cat state/anchors.jsonl)"
expect_rc 0 "$ANNEXA" verify --tsa-ca "$D/ca.crt" "$T/off.zip"
expect_out "TSA signature verified"

# https is refused by name; a dead TSA fails the export (exit 3).
write_conf "https://127.0.0.1:$PORT/"
expect_rc 2 "$ANNEXA" -c "$C" export -o "$T/h.zip"
expect_out "https is not supported"
stop_tsa
write_conf "http://127.0.0.1:$PORT/tsa"
expect_rc 3 "$ANNEXA" -c "$C" export -o "$T/d.zip"
expect_out "tsa 127.0.0.1"
done_tests
