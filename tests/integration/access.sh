#!/bin/bash
# The accounts, privileges and ssh-access probes on a system root made by
# the test (the machine's own accounts are never read): passwd, shadow with
# real crypt hashes, group, lastlog, sudoers with aliases and an
# includedir, home folders with authorized_keys made by ssh-keygen, and a
# real `sshd -T -f CONFIG -C user=NAME` (Debian's openssh-server; the system
# sshd is never started). Asserts each check's verdict, that fingerprints
# are ssh-keygen's, that a second run reports joiners and leavers, and that
# no password hash, private key, key comment, command= secret or raw user
# name reaches the store, the state folder, the report or the bundle unless
# [privacy] show-user-names is on.
. "$ANNEXA_SRC/tests/lib/common.sh"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { echo "sshd missing (apt-get install openssh-server)"; exit 1; }
command -v ssh-keygen >/dev/null || { echo "ssh-keygen missing (apt-get install openssh-client)"; exit 1; }
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing (apt-get install sqlite3)"; exit 1; }
need_run_sshd

R=$T/root
# Run as root, the accounts probe switches to probe-user (nobody here, so
# the switch happens whatever accounts this machine has) with group
# shadow, while privileges and ssh-access keep root: the private root must
# be reachable like /etc is.
chmod 0711 "$T"
mkdir -p "$R/etc/sudoers.d" "$R/etc/ssh" "$R/var/log" "$R/root/.ssh" "$R/home/zqalice/.ssh" "$R/home/zqbob/.ssh"
cd "$T" || exit 1

# --- accounts: unique names and real hashes, so a leak names itself ---
H_ALICE=$(openssl passwd -6 -salt AliceSalt1 'pw-alice')
H_BOB=$(openssl passwd -1 -salt BobSalt2 'pw-bob')
H_ROOT=$(openssl passwd -6 -salt RootSalt3 'pw-root')
write_passwd() {
	{
		echo "root:x:0:0:root:/root:/bin/bash"
		echo "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin"
		echo "zqalice:x:1000:1000:Alice:/home/zqalice:/bin/bash"
		[ -n "${NO_BOB:-}" ] || echo "zqbob:x:1001:1001::/home/zqbob:/bin/bash"
		[ -z "${WITH_CAROL:-}" ] || echo "zqcarol:x:1002:1002::/home/zqcarol:/bin/bash"
		echo "zqtoor:x:0:0::/nonexistent:/bin/sh"
		echo "zqsvc::999:999::/var/lib/svc:/bin/sh"
	} > "$R/etc/passwd"
	{
		echo "root:$H_ROOT:19000:0:99999:7:::"
		echo "daemon:*:19000:0:99999:7:::"
		echo "zqalice:$H_ALICE:20000:0:90:7:::"
		[ -n "${NO_BOB:-}" ] || echo "zqbob:$H_BOB:19000:0:99999:7:::"
		[ -z "${WITH_CAROL:-}" ] || echo "zqcarol:!:20400:0:99999:7:::"
		echo "zqtoor:!:19000:0:99999:7:::"
	} > "$R/etc/shadow"
	chmod 0640 "$R/etc/shadow"
	chgrp shadow "$R/etc/shadow" 2>/dev/null || true
	printf 'root:x:0:\nsudo:x:27:zqalice\ndocker:x:998:zqbob\nzqalice:x:1000:\nzqbob:x:1001:\n' > "$R/etc/group"
}
write_passwd
# lastlog (292-byte records indexed by UID): zqbob logged in 200 days
# ago; wtmpdb (its own schema, logins in microseconds, Type 3 a login):
# zqalice an hour ago, so her login is only found there
NOW=$(date +%s)
python3 - "$R/var/log/lastlog" "$NOW" <<'PY'
import struct, sys
path, now = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    for uid, t in ((1001, now - 200 * 86400),):
        f.seek(uid * 292)
        f.write(struct.pack("<i32s256s", t, b"pts/0", b"192.0.2.7"))
PY
mkdir -p "$R/var/lib/wtmpdb"
sqlite3 "$R/var/lib/wtmpdb/wtmp.db" "CREATE TABLE IF NOT EXISTS wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;
INSERT INTO wtmp (Type,User,Login,TTY,RemoteHost,Service) VALUES (1,'reboot',$(( (NOW - 7200) * 1000000 )),'~',NULL,NULL), (3,'zqalice',$(( (NOW - 3600) * 1000000 )),'pts/0','192.0.2.7','sshd');" || fail "making wtmp.db"

# --- sudoers: aliases, a NOPASSWD: ALL through an alias, an includedir ---
cat > "$R/etc/sudoers" <<'EOF2'
Defaults	env_reset
Defaults:zqalice	!requiretty
User_Alias	OPS = zqbob
Cmnd_Alias	SHELLS = /bin/bash, /bin/sh
root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
@includedir /etc/sudoers.d
EOF2
printf 'OPS ALL = (root) NOPASSWD: SHELLS\nzqsvc ALL=(www-data) NOPASSWD: ALL\n' > "$R/etc/sudoers.d/ops"
printf 'zqalice ALL = (root) /usr/local/bin/backup --password=SudoPw5x\n' > "$R/etc/sudoers.d/backup"
printf 'zqmallory ALL=NOPASSWD: ALL\n' > "$R/etc/sudoers.d/ops.dpkg-old"

# --- keys: alice's key also opens bob; bob has a 1024-bit RSA key; root's is restricted ---
ssh-keygen -q -t ed25519 -N '' -C zqalice@laptop-secretcomment -f "$T/k_alice"
ssh-keygen -q -t rsa -b 1024 -N '' -C zqbob@pc -f "$T/k_bob"
ssh-keygen -q -t ed25519 -N '' -C admin -f "$T/k_root"
ssh-keygen -q -t ed25519 -N '' -C host -f "$T/hostkey"
FP_ALICE=$(ssh-keygen -lf "$T/k_alice.pub" | cut -d' ' -f2)
FP_BOB=$(ssh-keygen -lf "$T/k_bob.pub" | cut -d' ' -f2)
FP_ROOT=$(ssh-keygen -lf "$T/k_root.pub" | cut -d' ' -f2)
cp "$T/k_alice.pub" "$R/home/zqalice/.ssh/authorized_keys"
cat "$T/k_alice.pub" "$T/k_bob.pub" > "$R/home/zqbob/.ssh/authorized_keys"
(printf 'from="192.0.2.0/24",command="/usr/local/bin/backup --token=CmdTok9x" '; cat "$T/k_root.pub") > "$R/root/.ssh/authorized_keys"
cat "$T/k_alice.pub" "$T/k_root.pub" > "$T/allowed_keys"
ssh-keygen -q -t ed25519 -N '' -C cmdkey -f "$T/k_cmd"
FP_CMD=$(ssh-keygen -lf "$T/k_cmd.pub" | cut -d' ' -f2)
echo "$FP_CMD" >> "$T/allowed_keys"
mkdir -p "$R/etc/ssh/keys" && cp "$T/k_cmd.pub" "$R/etc/ssh/keys/zqalice"
cat > "$R/etc/ssh/sshd_config" <<EOF2
AuthorizedKeysCommand /bin/cat $R/etc/ssh/keys/%u
AuthorizedKeysCommandUser nobody
EOF2
cat >> "$R/etc/ssh/sshd_config" <<'EOF2'
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
PermitRootLogin yes
Ciphers aes256-gcm@openssh.com,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha1
KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha1
Match User zqbob
	PasswordAuthentication yes
EOF2

write_conf() {
	cat > annexa.conf <<EOF2
[annexa]
	organization = Access Test
	store = state/annexa.db
	state-dir = state
	probe-user = nobody
[privacy]
	show-user-names = ${SHOW:-false}
[probe "accounts"]
	type = accounts
	root = $R
	max-idle = 90d
[probe "sudo"]
	type = privileges
	root = $R
[probe "ssh"]
	type = ssh-access
	root = $R
	profile = ${PROFILE:-mozilla}
	host-key = $T/hostkey
	allowed-keys = $T/allowed_keys
EOF2
}
write_conf
expect_rc 0 "$ANNEXA" -c annexa.conf check-config
check_helpers
collect
ok; [ -s run.json ] || fail "collect --json wrote nothing: $(head -3 collect.err)"
want accounts.uid0 fail
want accounts.no_password fail
want accounts.hash fail
want accounts.idle fail
want accounts.interactive info
want accounts.changes info
want privileges.nopasswd_all fail
want privileges.sudoers info
want privileges.groups info
want ssh.config info
want ssh.password_auth fail
want ssh.root_login fail
want ssh.algorithms fail
want ssh.keys fail
want ssh.shared_keys fail
want ssh.allowed_keys fail
want ssh.changes info
ok; case "$(msg accounts.hash)" in *md5*) ;; *) fail "accounts.hash names no md5: $(msg accounts.hash)" ;; esac
ok; [ "$(obs accounts.idle | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["accounts"]))')" = 2 ] || fail "accounts.idle does not judge exactly the 2 personal accounts: $(obs accounts.idle)"
ok; case "$(msg accounts.idle)" in *"; "*) fail "accounts.idle fails more than one account: $(msg accounts.idle)" ;; esac
ok; case "$(msg privileges.nopasswd_all)" in *"/etc/sudoers.d/ops:1"*) ;; *) fail "nopasswd_all does not name the include: $(msg privileges.nopasswd_all)" ;; esac
ok; case "$(msg privileges.nopasswd_all)" in *www-data*|*ops.dpkg-old*) fail "nopasswd_all counts a non-root or skipped file: $(msg privileges.nopasswd_all)" ;; esac
ok; case "$(obs privileges.groups)" in *docker*) ;; *) fail "privileges.groups lacks docker: $(obs privileges.groups)" ;; esac
ok; case "$(msg ssh.algorithms)" in *hmac-sha1*diffie-hellman-group14-sha1*) ;; *) fail "ssh.algorithms: $(msg ssh.algorithms)" ;; esac
# curve25519-sha256 is RFC 8731's name of Mozilla's curve25519-sha256@libssh.org
ok; case "$(msg ssh.algorithms)" in *curve25519*|*aes256-gcm*|*aes128-ctr*) fail "ssh.algorithms rejects a Mozilla algorithm: $(msg ssh.algorithms)" ;; esac
ok; case "$(msg ssh.keys)" in *"1024 bits $FP_BOB"*) ;; *) fail "ssh.keys does not name bob's RSA key: $(msg ssh.keys)" ;; esac
ok; case "$(msg ssh.shared_keys)" in *"$FP_ALICE opens 2 accounts"*) ;; *) fail "ssh.shared_keys: $(msg ssh.shared_keys)" ;; esac
ok; case "$(msg ssh.allowed_keys)" in *"$FP_BOB is not in allowed-keys"*) ;; *) fail "ssh.allowed_keys: $(msg ssh.allowed_keys)" ;; esac
ok; obs ssh.keys | python3 -c 'import json,sys; k=[x for x in json.load(sys.stdin)["keys"] if x["fingerprint"] == sys.argv[1]][0]; sys.exit(not (k["from"] == "192.0.2.0/24" and k["options"] == "from,command"))' "$FP_ROOT" || fail "root's key options missing: $(obs ssh.keys)"
ok; obs ssh.keys | python3 -c 'import json,sys; k=[x for x in json.load(sys.stdin)["keys"] if x["fingerprint"] == sys.argv[1]]; sys.exit(not (len(k) == 1 and k[0]["source"] == "AuthorizedKeysCommand"))' "$FP_CMD" || fail "the AuthorizedKeysCommand key is missing: $(obs ssh.keys)"
ok; case "$(msg ssh.allowed_keys)" in *"$FP_CMD"*) fail "a listed fingerprint counted as unlisted" ;; esac
ok; case "$(msg ssh.password_auth)" in *"(Match)"*) ;; *) fail "Match User not applied: $(msg ssh.password_auth)" ;; esac
ok; case "$(msg accounts.changes)" in *"baseline"*) ;; *) fail "first run is no baseline: $(msg accounts.changes)" ;; esac

"$ANNEXA" -c annexa.conf status > status.txt 2>&1
if [ "$(id -u)" = 0 ]; then
	ok; grep -q "user=nobody: accounts$" status.txt || fail "accounts did not run as probe-user: $(grep sandbox status.txt)"
	ok; grep -q "sandbox [^ ]*: sudo, ssh$" status.txt || fail "privileges/ssh-access did not keep root: $(grep sandbox status.txt)"
fi

# --- second run: zqbob left, zqcarol joined, bob's keys and sudo grant went ---
NO_BOB=1 WITH_CAROL=1 write_passwd
rm -rf "$R/home/zqbob"
printf 'zqsvc ALL=(www-data) NOPASSWD: ALL\n' > "$R/etc/sudoers.d/ops"
printf 'root:x:0:\nsudo:x:27:zqalice\nzqalice:x:1000:\n' > "$R/etc/group"
collect
ok; case "$(msg accounts.changes)" in *"1 added, 1 removed"*) ;; *) fail "accounts.changes: $(msg accounts.changes)" ;; esac
ok; case "$(msg ssh.changes)" in *"0 added, 2 removed"*) ;; *) fail "ssh.changes: $(msg ssh.changes)" ;; esac
ok; case "$(msg privileges.changes)" in *"0 added, 3 removed"*) ;; *) fail "privileges.changes: $(msg privileges.changes)" ;; esac
want ssh.shared_keys pass

# --- privacy: nothing annexa wrote holds a hash, a key, a comment or a name ---
expect_rc 0 "$ANNEXA" -c annexa.conf keygen
"$ANNEXA" -c annexa.conf report -o report.html > /dev/null 2>&1 || fail "report failed"
"$ANNEXA" -c annexa.conf export -o bundle.zip > /dev/null 2>&1 || fail "export failed"
mkdir -p x && unzip -q -o bundle.zip -d x || fail "bundle does not unzip"
KEYLINE=$(sed -n 2p "$T/k_alice")
SECRETS=("${H_ALICE#\$6\$}" "${H_BOB#\$1\$}" "${H_ROOT#\$6\$}" AliceSalt1 BobSalt2 "$KEYLINE" secretcomment CmdTok9x SudoPw5x
	zqalice zqbob zqcarol zqtoor zqsvc
	"$(cut -d' ' -f2 "$T/k_alice.pub" | cut -c20-60)")
leaks() {
	for s in "${SECRETS[@]}"; do
		grep -rqaF -- "$s" "$@" 2>/dev/null && echo "$s"
	done
}
for place in state report.html x; do
	found=$(leaks "$place" | tr '\n' ' ')
	ok; [ -z "$found" ] || fail "$place holds: $found"
done
"$ANNEXA" -c annexa.conf status > status.txt 2>&1
"$ANNEXA" -c annexa.conf status --json > status.json 2>&1
found=$(leaks status.txt status.json run.json | tr '\n' ' ')
ok; [ -z "$found" ] || fail "status output holds: $found"

# --- the access review is a coverage need answered by manual evidence ---
need() { jsonq status.json "[n['answered_by'] for c in d['controls'] if c['id'] == 'A.5.18' for n in c['coverage']['needs'] if n['id'] == 'A.5.18:review'][0]"; }
ok; [ "$(need)" = None ] || fail "A.5.18:review answered before any review: $(need)"
echo "Q4 access review: accounts, sudo, keys checked by the owner" > review.txt
expect_rc 0 "$ANNEXA" -c annexa.conf attach A.5.18 review.txt --answers A.5.18:review --valid 90d
"$ANNEXA" -c annexa.conf status --json > status.json 2>&1
ok; [ "$(need)" = manual ] || fail "the attached review does not answer A.5.18:review: $(need)"

# --- profile = bsi: Curve25519 is outside it, and the evidence says the BSI lists are unverified ---
PROFILE=bsi write_conf
collect
want ssh.algorithms fail
ok; case "$(msg ssh.algorithms)" in *"kexalgorithms outside bsi"*curve25519-sha256*) ;; *) fail "bsi: ssh.algorithms: $(msg ssh.algorithms)" ;; esac
ok; case "$(obs ssh.config)" in *'"profile_reference":"BSI TR-02102-4: lists not verified'*) ;; *) fail "bsi: ssh.config lacks the reference: $(obs ssh.config)" ;; esac

# --- show-user-names = true: the names appear, still no hash ---
SHOW=true write_conf
collect
ok; case "$(msg accounts.uid0)" in *zqtoor*) ;; *) fail "show-user-names: uid0 lacks the name: $(msg accounts.uid0)" ;; esac
ok; grep -qaF -- "${H_ALICE#\$6\$}" run.json state/annexa.db && fail "a hash reached the store with show-user-names"
done_tests
