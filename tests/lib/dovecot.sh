# dovecot.sh - a private Dovecot (IMAP) on loopback for tests. Sourced after
# common.sh; needs root.
#   dc_init DIR USERS   folders under DIR, the passwd-file USERS (lines
#                       "user:{PLAIN}password"), a self-signed certificate
#                       for localhost/127.0.0.1 in DIR/tls
#   dc_conf LISTEN IMAP_PORT IMAPS_PORT SETTINGS
#                       dovecot.conf: listening on LISTEN, IMAP (STARTTLS)
#                       on IMAP_PORT, IMAPS on IMAPS_PORT, SETTINGS lines
#                       (ssl, protocols, auth) added; DIR/dc/local.d/*.conf
#                       included when present
#   dc_start / dc_stop  start (waits for the IMAPS port), stop (waits until
#                       it is gone, so its ports are free); dc_stop is a
#                       cleanup hook
# Sets DC_BASE (DIR); the log is DIR/dc/dovecot.log.

dc_init() {
	DC_BASE=$1
	mkdir -p "$DC_BASE/tls" "$DC_BASE/dc/run" "$DC_BASE/dc/state" "$DC_BASE/dc/mail"
	chown nobody:nogroup "$DC_BASE/dc/mail"
	printf '%s\n' "$2" > "$DC_BASE/dc/users"
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$DC_BASE/tls/key.pem" \
		-out "$DC_BASE/tls/cert.pem" 2>/dev/null
	add_cleanup dc_stop
}

dc_conf() {
	DC_IMAPS_PORT=$3
	cat > "$DC_BASE/dc/dovecot.conf" <<EOC
protocols = imap
listen = $1
base_dir = $DC_BASE/dc/run
state_dir = $DC_BASE/dc/state
log_path = $DC_BASE/dc/dovecot.log
ssl_cert = <$DC_BASE/tls/cert.pem
ssl_key = <$DC_BASE/tls/key.pem
$4
mail_location = maildir:$DC_BASE/dc/mail/%u
!include_try $DC_BASE/dc/local.d/*.conf
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DC_BASE/dc/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$DC_BASE/dc/mail/%u
}
service imap-login {
  inet_listener imap {
    port = $2
  }
  inet_listener imaps {
    port = $3
    ssl = yes
  }
}
EOC
}

dc_start() {
	dovecot -c "$DC_BASE/dc/dovecot.conf" || { fail "dovecot did not start"; return 1; }
	wait_for 60 port_open "$DC_IMAPS_PORT" || { fail "dovecot not listening"; return 1; }
}

dc_stop() {
	local p
	p=$(cat "$DC_BASE/dc/run/master.pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	wait_for 60 gone "$p" # its ports are free for the next test
}
