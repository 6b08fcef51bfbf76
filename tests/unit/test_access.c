/* test_access.c - the parsers of the access probes: sudoers grants as sudo
 * reads them (aliases, tags, runas, includes, continuations, comments vs
 * UIDs), password field classification (never keeping the hash), passwd
 * and group parsing, and the joiners/leavers diff. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "authkeys_parse.h"
#include "etcfiles.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "access_changes.h"
#include "sudoers_parse.h"
#include "t.h"

/* "who>runas:command[flags]" per grant, ';'-joined; flags N nopasswd, F full, R as root. */
static char *grants_of(const char *text, size_t *bad, size_t *nincludes)
{
	struct ax_sudoers s = {0};
	struct ax_buf b = AX_BUF_INIT;
	ax_sudoers_parse(&s, "/etc/sudoers", text, strlen(text));
	ax_sudoers_resolve(&s);
	for (size_t i = 0; i < s.ngrants; i++) {
		const struct ax_sudo_grant *g = &s.grants[i];
		ax_buf_printf(&b, "%s%s>%s:%s[%s%s%s]", i ? ";" : "", g->who, g->runas, g->command, g->nopasswd ? "N" : "",
			      g->full ? "F" : "", g->as_root ? "R" : "");
	}
	*bad = s.bad_lines;
	*nincludes = s.nincludes;
	ax_sudoers_free(&s);
	ax_buf_putc(&b, '\0');
	return ax_buf_detach(&b);
}

static void test_sudoers(void)
{
	static const struct {
		const char *in, *want;
		size_t bad, includes;
	} cases[] = {
		{"root ALL=(ALL:ALL) ALL\n", "root>ALL:ALL[FR]", 0, 0},
		{"%sudo\tALL=(ALL:ALL) ALL\n", "%sudo>ALL:ALL[FR]", 0, 0},
		{"alice ALL = NOPASSWD: ALL\n", "alice>root:ALL[NFR]", 0, 0},
		/* tags are inherited by the commands that follow; PASSWD: ends NOPASSWD: */
		{"bob ALL = NOPASSWD: /usr/bin/ls, /bin/bash, PASSWD: /bin/sh\n",
		 "bob>root:/usr/bin/ls[NR];bob>root:/bin/bash[NFR];bob>root:/bin/sh[FR]", 0, 0},
		/* aliases, nested, with a continuation line */
		{"User_Alias ADMINS = alice, \\\n\tOPS\nUser_Alias OPS = carol\nCmnd_Alias SHELLS = /bin/bash\n"
		 "Runas_Alias OP = root, operator\nADMINS ALL = (OP) NOPASSWD: SHELLS\n",
		 "alice>root,operator:/bin/bash[NFR];carol>root,operator:/bin/bash[NFR]", 0, 0},
		/* a UID is not a comment; a comment after a command is */
		{"#1001 ALL=(www-data) NOPASSWD: ALL # not root\n", "#1001>www-data:ALL[NF]", 0, 0},
		{"# just a comment\n#alice ALL=ALL\n", "", 0, 0},
		/* options and several tags before the command */
		{"carol ALL=(ALL) CWD=/tmp NOPASSWD:SETENV: ALL\n", "carol>ALL:ALL[NFR]", 0, 0},
		{"carol ALL=(ALL) TIMEOUT=5m ROLE=\"unconfined_r\" ALL\n", "carol>ALL:ALL[FR]", 0, 0},
		/* only a group: the command runs as the user, not root */
		{"dave ALL=(:adm) NOPASSWD: ALL\n", "dave>(:adm):ALL[NF]", 0, 0},
		/* digests, several host sections */
		{"erin host1,host2 = sha256:abc+/= /usr/bin/id : host3 = (root) ALL\n",
		 "erin>root:/usr/bin/id[R];erin>root:ALL[FR]", 0, 0},
		/* Defaults of every kind are ignored */
		{"Defaults env_reset\nDefaults:alice !requiretty\nDefaults>root !set_logname\nDefaults!/bin/ls noexec\n"
		 "Defaults@host1 log_output\n",
		 "", 0, 0},
		/* includes are handed back */
		{"#includedir /etc/sudoers.d\n@include extra\n#include /etc/sudoers.local\n", "", 0, 3},
		/* negations are not subtracted: the user list errs towards more */
		{"ALL, !guest ALL = /usr/bin/id, !/bin/sh\n", "ALL>root:/usr/bin/id[R]", 0, 0},
		{"%:nonunix ALL=(ALL) ALL\n+netgrp ALL=(ALL) ALL\n", "%:nonunix>ALL:ALL[FR];+netgrp>ALL:ALL[FR]", 0, 0},
		/* broken lines are counted, good ones still read */
		{"alice ALL\nbob ALL = (root ALL\nUser_Alias lower = x\ncarol ALL=ALL\n", "carol>root:ALL[FR]", 3, 0},
		{"su_user ALL = /bin/su -\n", "su_user>root:/bin/su -[FR]", 0, 0},
		{"\"quoted user\" ALL = /bin/true\n", "quoted user>root:/bin/true[R]", 0, 0},
		{"x ALL = /bin/echo a\\,b\\:c\n", "x>root:/bin/echo a,b:c[R]", 0, 0},
		/* a glob or a folder ("/usr/bin/": all its files) holds a shell too */
		{"gail ALL=(ALL) NOPASSWD: /bin/*\n", "gail>ALL:/bin/*[NFR]", 0, 0},
		{"gail ALL=(root) /usr/bin/, /bin/?ash, /bin/s[hu] -\n",
		 "gail>root:/usr/bin/[FR];gail>root:/bin/?ash[FR];gail>root:/bin/s[hu] -[FR]", 0, 0},
		{"gail ALL=(root) /usr/bin/apt-*, /usr/sbin/*ctl\n", "gail>root:/usr/bin/apt-*[R];gail>root:/usr/sbin/*ctl[R]", 0, 0},
		/* a '#' right after a word starts a comment too (cvtsudoers -f json of sudo 1.9.13 reads
		 * "ALL#x" as ALL and "/bin/sh#x" as /bin/sh): it must not hide a grant */
		{"hank ALL=(ALL) NOPASSWD: ALL#x\n", "hank>ALL:ALL[NFR]", 0, 0},
		{"hank ALL=(ALL) NOPASSWD: /bin/sh#x\n", "hank>ALL:/bin/sh[NFR]", 0, 0},
		{"User_Alias H=hank#c\nH ALL = ALL#comment\n", "hank>root:ALL[FR]", 0, 0},
		{"hank ALL = /bin/echo a#b, /bin/echo c\\#d\n", "hank>root:/bin/echo a[R]", 0, 0},
		{"", "", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t bad = 99, inc = 99;
		char *got = grants_of(cases[i].in, &bad, &inc);
		T_EQ_STR(got, cases[i].want);
		T_EQ_INT(bad, cases[i].bad);
		T_EQ_INT(inc, cases[i].includes);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "  case %zu: %s", i, cases[i].in);
		free(got);
	}
	/* aliases of aliases do not explode */
	struct ax_buf big = AX_BUF_INIT;
	for (int i = 0; i < 16; i++)
		ax_buf_printf(&big, "User_Alias A%d = A%d, A%d, A%d, A%d\n", i, i + 1, i + 1, i + 1, i + 1);
	ax_buf_puts(&big, "User_Alias A16 = x\nA0 ALL = ALL\n");
	size_t bad, inc;
	char *got = grants_of(ax_buf_cstr(&big), &bad, &inc);
	T_OK(strlen(got) < 100000 * 32);
	free(got);
	ax_buf_free(&big);
}

/* Keys made with ssh-keygen; fingerprints as ssh-keygen -l prints them. */
static void test_authkeys(void)
{
	static const struct {
		const char *line, *type, *fp, *options, *from;
		int bits, restricted;
	} cases[] = {
		{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB alice@laptop", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", NULL, NULL, 256, 0},
		{"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBHYxhad26yKf7svLQUw4Ll87p6SO8Vg1AV7qk9rIg+8fvVg4vZFWc9g1YJVg4MC2RkWsEhh8pzFgUSIIxm5OAljhIoCi80EKxGjZOWtki2Bmqkn6g4Up2aFwAwvSYkznvA==", "ecdsa-sha2-nistp384", "SHA256:SnTQqwnEgswrTEjd0BaaIjHD4Hr0Fio3ETNWiuopP/c", NULL, NULL, 384, 0},
		{"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQD7RNojhLcShbfQ/LeWiTr96fTZ2EXKNfW9QlD9u1uAh0imdtxjTB7eef4qajIQtA11m4T8fVXjH2imlMixERgtJD/K+ofBf+c3oHN6XAGbDeRx/iOjCh1Ck+GbXWr8pKsxGCg4+sdTG5IvXA7zZ+0SylpMLIpXDlGDxfHjLImGKjMkNccHwlYBz2Xbm1/9FANtsTMuw3lKst9Kylj5O+rLrUfAT8IGkd1Mf54el8I/kU97cXs+G+dQAeUjlOZfbIcJ1XQSPra67fMXVsKTBTZyDckTav8jnzMdhZCrNSj2T6OGWmx6XHGsbyzB49wSyOslhrcG/ek5NByT34wXiIQ3zi9nkfVY6/ROEPK2jWq05Gp5hqfx4B3XxZOSn8cSC4tvFo6aWUK3pk86liq+IZH03QriPh+ChozSDCq/yFo7xOBpIpDAKVdCCVL4aODUaAPZ9FkoX/FgGEAuqjCOri4iwy+WlI740KpBvs7GfDiY/mhHfiwDAU5Ayozmc2T1BoE= y", "ssh-rsa", "SHA256:LFS7T7aO6IcGSmFhQXzbYxvRNZmjorb4T/SP9X7n7bI", NULL, NULL, 3072, 0},
		{"from=\"10.0.0.0/8,!10.1.0.0/16\",command=\"/bin/backup --token=\\\"S3CRET\\\"\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB c",
		 "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", "from,command,no-pty", "10.0.0.0/8,!10.1.0.0/16", 256, 1},
		{"restrict  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", "restrict", NULL, 256, 1},
		/* a key type inside a quoted option is not the key */
		{"command=\"echo ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxx x\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB c", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", "command,no-pty", NULL, 256, 1},
		{"environment=\"A=b c\",from=\"*.example.com\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", "environment,from", "*.example.com", 256, 1},
		{"cert-authority,principals=\"x,y\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", "cert-authority,principals", NULL, 256, 0},
		/* blanks sshd skips: leading ones, tabs between fields, a CRLF ending */
		{"  \tssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB\tc\r", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", NULL, NULL, 256, 0},
		{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB\r", "ssh-ed25519", "SHA256:deSB20t6LTQchQxLVUQScp6+vUQe8bvg5bk+wwVIQws", NULL, NULL, 256, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_authkeys k = {0};
		ax_authkeys_parse(&k, cases[i].line, strlen(cases[i].line));
		T_EQ_INT(k.n, 1);
		T_EQ_INT(k.bad_lines, 0);
		if (k.n != 1)
			continue;
		T_EQ_STR(k.keys[0].type, cases[i].type);
		T_EQ_STR(k.keys[0].fingerprint, cases[i].fp);
		T_EQ_INT(k.keys[0].bits, cases[i].bits);
		T_EQ_INT(k.keys[0].restricted, cases[i].restricted);
		if (cases[i].options)
			T_EQ_STR(k.keys[0].options, cases[i].options);
		else
			T_OK(k.keys[0].options == NULL);
		if (cases[i].from)
			T_EQ_STR(k.keys[0].from, cases[i].from);
		ax_authkeys_free(&k);
	}
	/* comments, blanks and broken lines: counted, never fatal */
	const char *junk = "# c\n\n   \nssh-ed25519 AAAA\nssh-rsa !!!!\nnot-a-key AAAAC3Nz\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFCxxBehiFnkR6eimQqAyh3Mtpwr3DAkzO0x7qkNUkyB\n";
	struct ax_authkeys k = {0};
	ax_authkeys_parse(&k, junk, strlen(junk));
	T_EQ_INT(k.n, 1);
	T_EQ_INT(k.bad_lines, 3);
	ax_authkeys_free(&k);
}

static void test_pw_classify(void)
{
	static const struct {
		const char *field;
		enum ax_pw_state state;
		const char *scheme;
		int weak;
	} cases[] = {
		{"", AX_PW_NONE, NULL, 0},
		{"!", AX_PW_LOCKED, NULL, 0},
		{"*", AX_PW_LOCKED, NULL, 0},
		{"!$6$salt$hash", AX_PW_LOCKED, NULL, 0},
		{"x", AX_PW_SHADOW, NULL, 0},
		{"$y$j9T$salt$hash", AX_PW_HASH, "yescrypt", 0},
		{"$6$salt$hash", AX_PW_HASH, "sha512", 0},
		{"$5$salt$hash", AX_PW_HASH, "sha256", 1},
		{"$1$salt$hash", AX_PW_HASH, "md5", 1},
		{"$2b$12$hash", AX_PW_HASH, "bcrypt", 0},
		{"abCD./0123456", AX_PW_HASH, "des", 1},
		{"not-a-hash", AX_PW_LOCKED, "invalid", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_pw_class c;
		ax_pw_classify(cases[i].field, strlen(cases[i].field), &c);
		T_EQ_INT(c.state, cases[i].state);
		T_EQ_INT(c.weak, cases[i].weak);
		if (cases[i].scheme)
			T_EQ_STR(c.scheme, cases[i].scheme);
	}
}

static void test_etc(void)
{
	struct ax_etc_db db = {0};
	const char *passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
			     "svc:x:999:999::/var/lib/svc:/usr/sbin/nologin\nbroken:x:abc:1::/:/bin/sh\n+::::::\n";
	const char *shadow = "root:$y$j9T$s$h:19000:0:99999:7:::\nalice:!:20000:0:90:7::20500:\nghost:$1$x$y:1::::::\n";
	const char *group = "sudo:x:27:alice,bob\nalice:x:1000:\n";
	ax_etc_parse(&db, "passwd", passwd, strlen(passwd));
	ax_etc_parse(&db, "shadow", shadow, strlen(shadow));
	ax_etc_parse(&db, "group", group, strlen(group));
	T_EQ_INT(db.nusers, 3);
	T_EQ_INT(db.bad_lines, 1);
	const struct ax_etc_user *a = ax_etc_user_find(&db, "alice");
	T_OK(a && a->pw.state == AX_PW_LOCKED && a->maxdays == 90 && a->expire == 20500 && a->lastchg == 20000);
	T_OK(ax_etc_user_find(&db, "ghost") == NULL);
	const struct ax_etc_group *g = ax_etc_group_find(&db, "sudo");
	T_OK(g && g->nmembers == 2 && ax_etc_in_group(&db, g, "alice") && !ax_etc_in_group(&db, g, "root"));
	T_OK(ax_etc_in_group(&db, ax_etc_group_find(&db, "alice"), "alice")); /* primary group */
	T_OK(ax_etc_interactive("/bin/bash") && ax_etc_interactive("") && !ax_etc_interactive("/usr/sbin/nologin") &&
	     !ax_etc_interactive("/bin/false"));
	ax_etc_db_free(&db);
}

static void test_population_diff(void)
{
	json_t *old = json_pack("[s,s,s]", "a", "b", "c"), *cur = json_pack("[s,s,s,s]", "d", "b", "a", "b");
	json_t *added, *removed;
	ax_access_changes_diff(old, cur, &added, &removed);
	T_EQ_INT(json_array_size(added), 1);
	T_EQ_STR(json_string_value(json_array_get(added, 0)), "d");
	T_EQ_INT(json_array_size(removed), 1);
	T_EQ_STR(json_string_value(json_array_get(removed, 0)), "c");
	json_decref(old);
	json_decref(cur);
	json_decref(added);
	json_decref(removed);
}

extern const struct probe probe_db_roles;

static int keep_result(void *arg, const struct ax_result *r)
{
	char **obs = arg;
	free(*obs);
	*obs = ax_strdup(r->observed);
	return 0;
}

/* Two runs over a state folder: a baseline, then 3000 joiners whose
 * evidence stays within the observed limit with the true count. */
static void test_population_report(void)
{
	char *dir = ax_asprintf("%s/popstate", t_tmpdir());
	T_OK(mkdir(dir, 0700) == 0);
	struct ax_probe_instance inst = {.name = "p", .type = &probe_db_roles};
	char *obs = NULL;
	struct ax_probe_sink sink = {keep_result, NULL, &obs};
	json_t *items = json_pack("[s]", "a");
	for (int run = 0; run < 2; run++) {
		struct ax_probe_ctx *ctx = ax_probe_ctx_new(&inst, NULL, 0, dir, 0, &sink);
		ax_access_changes_report(ctx, "db.changes", "things", items);
		T_EQ_INT(ax_probe_ctx_error(ctx), 0);
		ax_probe_ctx_free(ctx);
		for (int i = 0; run == 0 && i < 3000; i++)
			json_array_append_new(items, json_sprintf("joiner %04d SHA256:%0100d", i, i)); /* 300 KB of joiners */
	}
	T_CONTAINS(obs, "\"added_count\":3000");
	T_OK(obs && strlen(obs) < AX_OBSERVED_MAX && !strstr(obs, "truncated"));
	json_decref(items);
	free(obs);
	free(dir);
}


/* SQLite has no roles: every db-roles check is skip, none an error. */
static void test_db_roles_sqlite(void)
{
	char *path = t_write("leads.db", "");
	char *uri = ax_asprintf("sqlite:%s", path);
	struct ax_kv opt = {"database", uri};
	struct ax_probe_instance inst = {.name = "roles", .type = &probe_db_roles, .opts = &opt, .nopts = 1};
	struct ax_evidence ev = {0};
	T_EQ_INT(ax_probe_run_inline(&inst, NULL, 0, NULL, 0, &ev), 0);
	static const char *const checks[] = {"db.superusers", "db.no_password", "db.password_hash", "db.consent_write",
					     "db.changes"};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const struct ax_result *r = t_need_result(&ev, checks[i]);
		T_OK(r && r->status == AX_CHECK_SKIP);
	}
	ax_evidence_free(&ev);
	free(uri);
	free(path);
}

int main(void)
{
	test_sudoers();
	test_authkeys();
	test_pw_classify();
	test_etc();
	test_population_diff();
	test_db_roles_sqlite();
	test_population_report();
	return t_done();
}
