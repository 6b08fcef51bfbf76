/* test_sandbox.c - the confinement plan and its enforcement: the port of
 * each kind of connect option, a folder holding the store narrowed to its
 * other entries, and (on a kernel with Landlock) a child that can read
 * what the plan grants and nothing else, and cannot connect or ptrace. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "probe.h"
#include "sandbox.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_file;

static void test_ports(void)
{
	static const struct {
		const char *value;
		int port;
	} cases[] = {
		{"mail.example.org:465", 465},
		{"[2001:db8::1]:993", 993},
		{"[2001:db8::1]", 0},
		{"postgresql://u:pw@db.example:6543/leads", 6543},
		{"postgresql://u@db.example/leads", 5432},
		{"postgres://u@[::1]:5433/x", 5433},
		{"postgresql:///leads?host=/run/postgresql&port=55432", 55432},
		{"sqlite:/var/lib/leads.db", 0},
		{"localhost", 0},
		{"host:99999", 0},
		{"127.0.0.1@12853", 12853},
		{"::1@53", 53},
		{"10.0.0.1@x", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_EQ_INT(ax_sandbox_port_of(cases[i].value), cases[i].port);
}

static int granted(const struct ax_sandbox *sb, const char *path)
{
	for (size_t i = 0; i < sb->npaths; i++)
		if (strcmp(sb->paths[i].path, path) == 0)
			return 1;
	return 0;
}

static int try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : errno;
}

/* In a child: what got through, as a bit mask. */
static int confined_child(const struct ax_sandbox *sb, const char *readme, const char *store)
{
	struct ax_buf applied = AX_BUF_INIT;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ax_sandbox_apply(sb, &applied) < 0)
		return 0x80;
	int bad = 0;
	if (try_open(readme) != 0)
		bad |= 1; /* granted, must work */
	if (try_open(store) != EACCES)
		bad |= 2;
	if (try_open("/etc/shadow") != EACCES)
		bad |= 4;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(12798)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EACCES)
		bad |= 8;
	if (ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == 0)
		bad |= 16;
	return bad;
}

static void test_plan_and_apply(void)
{
	char dir[] = "/tmp/annexa-test-sandbox-XXXXXX";
	T_OK(mkdtemp(dir) != NULL);
	char *readme = ax_asprintf("%s/README", dir), *store = ax_asprintf("%s/annexa.db", dir);
	char *sub = ax_asprintf("%s/sub", dir);
	T_OK(ax_file_write_new(readme, "hi\n", 3, 0644) == 0);
	T_OK(ax_file_write_new(store, "db", 2, 0600) == 0);
	T_OK(mkdir(sub, 0700) == 0);
	struct ax_kv opt = {"path", dir};
	struct ax_probe_instance inst = {.name = "f", .type = &probe_file, .opts = &opt, .nopts = 1};
	const char *protect[] = {store, NULL};
	struct ax_sandbox sb = {0};
	ax_sandbox_plan(&sb, &inst, NULL, protect);
	/* the folder holds the store: only its other entries are granted */
	T_OK(!granted(&sb, dir));
	T_OK(granted(&sb, readme));
	T_OK(granted(&sb, sub));
	T_OK(!granted(&sb, store));
	T_OK(granted(&sb, "/usr"));
	T_EQ_INT(sb.nports, 0);
	if (ax_sandbox_landlock_abi() < 4) {
		printf("kernel Landlock ABI %d: enforcement not tested here\n", ax_sandbox_landlock_abi());
	} else {
		pid_t pid = fork();
		if (pid == 0)
			_exit(confined_child(&sb, readme, store));
		int st = 0;
		waitpid(pid, &st, 0);
		T_OK(WIFEXITED(st));
		T_EQ_INT(WEXITSTATUS(st), 0);
	}
	ax_sandbox_free(&sb);
	unlink(readme);
	unlink(store);
	rmdir(sub);
	rmdir(dir);
	free(readme);
	free(store);
	free(sub);
}

/* declared ports and connect options both reach the plan, once each */
static void test_declared_ports(void)
{
	static const struct ax_option opts[] = {{"target", AX_OPT_STRING, NULL, 0, NULL, 0, 0, "host:port"}, {NULL}};
	static const struct ax_check_def checks[] = {{"x.y", "x"}, {NULL}};
	static const uint16_t fixed[] = {53, 0};
	static const char *const connect[] = {"target", NULL};
	static const struct ax_probe_access acc = {.connect = connect, .ports = fixed};
	const struct probe p = {"t", "t", opts, checks, NULL, &acc};
	struct ax_kv kv[] = {{"target", "mx.example:25"}, {"target", "mx2.example:25"}};
	struct ax_probe_instance inst = {.name = "t", .type = &p, .opts = kv, .nopts = 2};
	struct ax_sandbox sb = {0};
	ax_sandbox_plan(&sb, &inst, NULL, NULL);
	T_EQ_INT(sb.nports, 2);
	T_EQ_INT(sb.ports[0], 53);
	T_EQ_INT(sb.ports[1], 25);
	ax_sandbox_free(&sb);
}

/* In a child: adjtimex(2) read-only and an adjusting mode (ADJ_MAXERROR
 * set to the value just read: harmless should it ever get through). */
static int clock_child(int clock_read)
{
	struct ax_sandbox sb = {.clock_read = clock_read, .landlock_off = 1};
	struct ax_buf applied = AX_BUF_INIT;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ax_sandbox_apply(&sb, &applied) < 0)
		return 0x80;
	struct timex tx;
	memset(&tx, 0, sizeof(tx));
	int bad = 0, read_ok = adjtimex(&tx) >= 0;
	if (read_ok != clock_read)
		bad |= 1;
	tx.modes = ADJ_MAXERROR;
	if (adjtimex(&tx) >= 0 || errno != EPERM)
		bad |= 2;
	return bad;
}

/* A clock-reading child may call adjtimex to read, never to adjust; others
 * may not call it at all. */
static void test_clock_read(void)
{
	for (int clock_read = 0; clock_read < 2; clock_read++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(clock_child(clock_read));
		int st = 0;
		waitpid(pid, &st, 0);
		T_OK(WIFEXITED(st));
		T_EQ_INT(WEXITSTATUS(st), 0);
	}
}

/* Fixed files below a root option (accounts, privileges, ssh-access): the
 * root's copies are granted, never / or the machine's own /etc/shadow. */
static void test_under_root(void)
{
	static const struct ax_option opts[] = {{"root", AX_OPT_STRING, "/", 0, NULL, 0, 0, "root"}, {NULL}};
	static const struct ax_check_def checks[] = {{"x.y", "x"}, {NULL}};
	static const char *const files[] = {"/etc/passwd", "/etc/shadow", NULL};
	static const struct ax_probe_access acc = {.root = "root", .under_root = files};
	const struct probe p = {"t", "t", opts, checks, NULL, &acc};
	char dir[] = "/tmp/annexa-test-root-XXXXXX";
	T_OK(mkdtemp(dir) != NULL);
	char *etc = ax_asprintf("%s/etc", dir), *shadow = ax_asprintf("%s/etc/shadow", dir);
	T_OK(mkdir(etc, 0755) == 0);
	T_OK(ax_file_write_new(shadow, "x", 1, 0600) == 0);
	struct ax_kv kv = {"root", dir};
	struct ax_probe_instance inst = {.name = "t", .type = &p, .opts = &kv, .nopts = 1};
	struct ax_sandbox sb = {0};
	ax_sandbox_plan(&sb, &inst, NULL, NULL);
	T_OK(granted(&sb, shadow));
	T_OK(!granted(&sb, "/etc/shadow"));
	T_OK(!granted(&sb, "/"));
	ax_sandbox_free(&sb);
	/* no value: the option's default root, the system's own files */
	struct ax_probe_instance def = {.name = "t", .type = &p, .opts = NULL, .nopts = 0};
	struct ax_sandbox sb2 = {0};
	ax_sandbox_plan(&sb2, &def, NULL, NULL);
	T_OK(granted(&sb2, "/etc/passwd"));
	ax_sandbox_free(&sb2);
	unlink(shadow);
	rmdir(etc);
	rmdir(dir);
	free(etc);
	free(shadow);
}

/* What status and the report mark as unconfined: only "none", with or
 * without the user, never a description that merely starts alike. */
static void test_unconfined(void)
{
	static const struct {
		const char *applied;
		int want;
	} cases[] = {
		{"none", 1}, {"none user=nobody", 1}, {"none\n", 1}, {"seccomp", 0}, {"landlock-v7+seccomp", 0},
		{"landlock-v7+seccomp user=annexa-probe", 0}, {"nonesuch", 0}, {"", 0}, {NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_EQ_INT(ax_sandbox_unconfined(cases[i].applied), cases[i].want);
}

int main(void)
{
	test_ports();
	test_declared_ports();
	test_plan_and_apply();
	test_unconfined();
	test_clock_read();
	test_under_root();
	return t_done();
}
