#!/bin/bash
# The README's access claims tried with hostile sudoers through the real
# binary (the privileges probe on a system root made by the test): a grant
# of a glob or a folder is a shell like /bin/sh, a relative @include is
# read from the including file's folder, files of an includedir whose name
# ends in '~' or holds a '.' are skipped and so is a subfolder, an include
# outside /etc/sudoers{,.d} (which the confined probe cannot read) is an
# error naming it, not a silent gap, and no user name (the grantee,
# the runas user) reaches the store, the report or the bundle unless
# [privacy] show-user-names is on. And the ssh-access claims with a real
# `sshd -T -C user=NAME` (never started): AuthorizedKeysFile with several
# files and %u, a Match User block replacing it (the account's own file is
# then not read) and naming the account in a path, which the evidence
# must not repeat.
. "$ANNEXA_SRC/tests/lib/common.sh"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { echo "sshd missing (apt-get install openssh-server)"; exit 1; }
command -v ssh-keygen >/dev/null || { echo "ssh-keygen missing (apt-get install openssh-client)"; exit 1; }
need_run_sshd
command -v unzip >/dev/null || { echo "unzip missing (apt-get install unzip)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing (apt-get install sqlite3)"; exit 1; }
R=$T/root
chmod 0711 "$T"
mkdir -p "$R/etc/sudoers.d"
cd "$T" || exit 1
printf 'root:x:0:0:root:/root:/bin/bash\nzqdave:x:1000:1000::/home/zqdave:/bin/bash\nzqerin:x:1001:1001::/home/zqerin:/bin/bash\nzqsvc:x:998:998::/nonexistent:/usr/sbin/nologin\n' > "$R/etc/passwd"
printf 'root:x:0:\nwheel:x:10:zqdave\n' > "$R/etc/group"
cat > "$R/etc/sudoers" <<'EOF2'
Defaults	env_reset
root	ALL=(ALL:ALL) ALL
# the runas user is a person too
zqdave	ALL=(zqerin) /usr/bin/id
@includedir sudoers.d
EOF2
# a folder ending in '/' is every program in it; the relative include is
# read from sudoers.d, and its folder is not read as a file of sudoers.d
mkdir -p "$R/etc/sudoers.d/sub"
printf '%%wheel ALL = (root) NOPASSWD: /usr/bin/\n@include sub/glob\n' > "$R/etc/sudoers.d/wheel"
# a glob of /bin holds /bin/sh: root's whole power without a password
printf 'zqdave ALL=(ALL) NOPASSWD: /bin/*\n' > "$R/etc/sudoers.d/sub/glob"
# sudo skips these two: their grants must not count
printf 'zqmallory ALL=NOPASSWD: ALL\n' > "$R/etc/sudoers.d/wheel~"
printf 'zqmallory ALL=NOPASSWD: ALL\n' > "$R/etc/sudoers.d/old.bak"

mkdir -p "$R/etc/ssh/keys" "$R/etc/ssh/per-user" "$R/home/zqerin/.ssh"
for k in dave erin erin_home svc host; do ssh-keygen -q -t ed25519 -N '' -C "zq$k@pc" -f "$T/k_$k"; done
fp() { ssh-keygen -lf "$T/k_$1.pub" | cut -d' ' -f2; }
cp "$T/k_dave.pub" "$R/etc/ssh/keys/zqdave"
# nologin stops a shell, not a key (ssh -N tunnels): its key counts
cp "$T/k_svc.pub" "$R/etc/ssh/keys/zqsvc"
cp "$T/k_erin.pub" "$R/etc/ssh/per-user/zqerin.keys"
cp "$T/k_erin_home.pub" "$R/home/zqerin/.ssh/authorized_keys"
cat > "$R/etc/ssh/sshd_config" <<EOF2
AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/keys/%u
PasswordAuthentication no
KbdInteractiveAuthentication no
Match User zqerin
	AuthorizedKeysFile /etc/ssh/per-user/zqerin.keys
	PasswordAuthentication yes
EOF2

write_conf() {
	cat > annexa.conf <<EOF2
[annexa]
	organization = Claims Test
	store = state/annexa.db
	state-dir = state
[privacy]
	show-user-names = ${SHOW:-false}
[probe "sudo"]
	type = privileges
	root = $R
[probe "ssh"]
	type = ssh-access
	root = $R
	host-key = $T/k_host
EOF2
}
write_conf
check_helpers
collect
ok; [ -s run.json ] || fail "collect --json wrote nothing: $(head -3 collect.err)"
want privileges.sudoers info
want privileges.nopasswd_all fail
ok; case "$(msg privileges.nopasswd_all)" in *"/bin/* as root without a password (/etc/sudoers.d/sub/glob:1)"*) ;; *) fail "a glob of /bin is not a shell: $(msg privileges.nopasswd_all)" ;; esac
ok; case "$(msg privileges.nopasswd_all)" in *"%wheel may run /usr/bin/ as root without a password (/etc/sudoers.d/wheel:1)"*) ;; *) fail "a folder is not a shell: $(msg privileges.nopasswd_all)" ;; esac
ok; case "$(obs privileges.sudoers)" in *'"files":3'*) ;; *) fail "not exactly sudoers, sudoers.d/wheel and its relative @include read: $(obs privileges.sudoers)" ;; esac

# %u expanded; the Match block's file replaces the list, so erin's own file is not read
key_src() { obs ssh.keys | python3 -c 'import json,sys; print(" ".join(k["source"] for k in json.load(sys.stdin)["keys"] if k["fingerprint"] == sys.argv[1]) or "none")' "$1"; }
ok; [ "$(key_src "$(fp dave)")" = "/etc/ssh/keys/%u" ] || fail "the %u file's key: $(key_src "$(fp dave)")"
ok; [ "$(key_src "$(fp svc)")" = "/etc/ssh/keys/%u" ] || fail "a nologin account's key is not listed: $(key_src "$(fp svc)")"
ok; case "$(key_src "$(fp erin)")" in "/etc/ssh/per-user/p:"*.keys) ;; *) fail "the Match file's key, its source pseudonymised: $(key_src "$(fp erin)")" ;; esac
ok; [ "$(key_src "$(fp erin_home)")" = none ] || fail "a file the Match block replaced was read: $(key_src "$(fp erin_home)")"
want ssh.password_auth fail
ok; case "$(msg ssh.password_auth)" in *"(Match)"*) ;; *) fail "Match User not applied: $(msg ssh.password_auth)" ;; esac

expect_rc 0 "$ANNEXA" -c annexa.conf keygen
"$ANNEXA" -c annexa.conf report -o report.html > /dev/null 2>&1 || fail "report failed"
"$ANNEXA" -c annexa.conf export -o bundle.zip > /dev/null 2>&1 || fail "export failed"
mkdir -p x && unzip -q -o bundle.zip -d x || fail "bundle does not unzip"
for place in state report.html x run.json; do
	for name in zqdave zqerin zqmallory zqsvc; do
		ok; grep -rqaF -- "$name" "$place" && fail "$place holds the user name $name"
	done
done

# an include the confined probe cannot read is an error naming it
echo '@include /etc/sudoers.local' >> "$R/etc/sudoers"
echo 'zqdave ALL=NOPASSWD: ALL' > "$R/etc/sudoers.local"
collect
want privileges.sudoers error
ok; case "$(msg privileges.sudoers)" in *"/etc/sudoers.local:"*) ;; *) fail "the unread include is not named: $(msg privileges.sudoers)" ;; esac

# show-user-names: the runas user appears by name
SHOW=true write_conf
collect
ok; grep -qaF 'zqerin' state/annexa.db || fail "show-user-names: the runas user is not named"
done_tests
