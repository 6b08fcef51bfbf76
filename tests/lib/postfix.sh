# postfix.sh - a private Postfix on loopback for tests and benches (the
# recipe of shared/docs/real-servers.md). Sourced; needs root.
#   pf_init DIR PORT     folders under DIR, Debian's master.cf without chroot
#                        and with the smtp listener on 127.0.0.1:PORT
#   pf_cert BITS DAYS    a self-signed certificate for localhost/127.0.0.1
#   pf_main PROTOCOLS [EXTRA]   main.cf (smtpd_tls_protocols and the
#                        mandatory ones = PROTOCOLS; EXTRA lines appended)
#   pf_start / pf_stop   start (waits for the port; returns 1 on failure), stop
# Sets PF_DIR (the config folder), PF_BASE and PF_PORT.
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

pf_init() {
	PF_BASE=$1 PF_PORT=$2 PF_DIR=$1/pf/etc
	mkdir -p "$PF_BASE/tls" "$PF_DIR" "$PF_BASE/pf/spool"
	sed -e 's/^\(smtp \+inet.*\)$/#\1/' -e 's/^\([a-z0-9-]\+ \+[a-z-]\+ \+[-ny] \+[-ny] \+\)[-ny]/\1n/' \
		/etc/postfix/master.cf > "$PF_DIR/master.cf"
	echo "$PF_PORT inet n - n - - smtpd" >> "$PF_DIR/master.cf"
	grep -q '^postlog' "$PF_DIR/master.cf" || echo "postlog unix-dgram n - n - 1 postlogd" >> "$PF_DIR/master.cf"
}

pf_cert() {
	openssl req -x509 -newkey "rsa:$1" -nodes -days "$2" -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$PF_BASE/tls/key.pem" -out "$PF_BASE/tls/cert.pem" 2>/dev/null
	chmod 600 "$PF_BASE/tls/key.pem"
}

pf_main() {
	cat > "$PF_DIR/main.cf" <<END_OF_MAIN_CF
compatibility_level = 3.6
queue_directory = $PF_BASE/pf/spool
data_directory = $PF_BASE/pf/data
maillog_file = $PF_BASE/pf/maillog
maillog_file_prefixes = $PF_BASE
myhostname = mx.test.local
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_tls_cert_file = $PF_BASE/tls/cert.pem
smtpd_tls_key_file = $PF_BASE/tls/key.pem
smtpd_tls_security_level = may
smtp_tls_security_level = may
smtpd_tls_protocols = $1
smtpd_tls_mandatory_protocols = $1
smtpd_tls_auth_only = yes
${2:-}
END_OF_MAIN_CF
}

pf_start() {
	postfix -c "$PF_DIR" check >/dev/null 2>&1
	postfix -c "$PF_DIR" start >/dev/null 2>&1 || return 1
	wait_for 60 port_open "$PF_PORT"
}

pf_stop() {
	postfix -c "$PF_DIR" stop >/dev/null 2>&1 || true
}
