/* test_atomic_write.c - the atomic writer: a symlink planted at a
 * predictable temp name redirects nothing, the umask decides the mode,
 * ax_file_write_new never replaces, no temp file is left behind. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "util.h"

static char *slurp(const char *path)
{
	struct ax_buf b = AX_BUF_INIT;
	if (ax_file_read(path, 1 << 20, &b) < 0) {
		ax_buf_free(&b);
		return NULL;
	}
	ax_buf_cstr(&b);
	return ax_buf_detach(&b);
}

static size_t count_temps(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_symlink_planted(void)
{
	const char *dir = t_tmpdir();
	char *victim = t_write("victim", "precious\n");
	char *path = ax_asprintf("%s/report.html", dir);
	/* the names the old writer used (PATH.tmp.PID) and a few neighbours */
	for (long pid = (long)getpid() - 2; pid <= (long)getpid() + 2; pid++) {
		char *tmp = ax_asprintf("%s.tmp.%ld", path, pid);
		T_EQ_INT(symlink(victim, tmp), 0);
		free(tmp);
	}
	T_EQ_INT(ax_file_write_atomic(path, "new\n", 4, 0644), 0);
	char *v = slurp(victim), *p = slurp(path);
	T_EQ_STR(v, "precious\n");
	T_EQ_STR(p, "new\n");
	struct stat st;
	T_EQ_INT(lstat(path, &st), 0);
	T_OK(S_ISREG(st.st_mode));
	T_EQ_INT(count_temps(dir), 5); /* only the planted links */
	free(v);
	free(p);
	free(path);
	free(victim);
}

static void test_umask(void)
{
	char *path = ax_asprintf("%s/bundle.zip", t_tmpdir());
	mode_t old = umask(027);
	T_EQ_INT(ax_file_write_atomic(path, "x", 1, 0666), 0);
	struct stat st;
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0640);
	umask(022);
	T_EQ_INT(ax_file_write_atomic(path, "y", 1, 0666), 0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0644);
	umask(old);
	free(path);
}

static void test_write_new(void)
{
	char *path = ax_asprintf("%s/key", t_tmpdir());
	T_EQ_INT(ax_file_write_new(path, "first", 5, 0600), 0);
	T_EQ_INT(ax_file_write_new(path, "second", 6, 0600), AX_EEXISTS);
	char *p = slurp(path);
	T_EQ_STR(p, "first");
	struct stat st;
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0077, 0);
	free(p);
	free(path);
}

int main(void)
{
	test_symlink_planted();
	test_umask();
	test_write_new();
	return t_done();
}
