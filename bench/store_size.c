/* store_size.c - how big the store grows on a year of 15-minute runs, and
 * that [annexa] keep bounds it.
 *
 * Simulates a site with INSTANCES probe instances of CHECKS checks each,
 * every instance reporting every 15 minutes (one run per 15 minutes), two
 * small artifacts per instance that change once a day. Prints the size of
 * the store after each simulated month, for YEARS years, pruning daily with
 * keep = 400d as the daemon does. Usage: store_size STORE [YEARS] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"
#include "store.h"
#include "util.h"

#define INSTANCES 6
#define CHECKS 8
#define STEP 900
#define KEEP (400 * 86400)

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s STORE [YEARS]\n", argv[0]);
		return 2;
	}
	int years = argc > 2 ? atoi(argv[2]) : 1;
	struct ax_store *s = NULL;
	unlink(argv[1]);
	if (ax_store_open(&s, argv[1]) < 0) {
		fprintf(stderr, "%s\n", ax_error_last());
		return 3;
	}
	int64_t t0 = 1767225600; /* 2026-01-01 */
	int64_t runs = (int64_t)years * 365 * 86400 / STEP;
	int64_t started = ax_monotonic_ms();
	printf("month  runs  store_MiB  (instances %d x checks %d every 15 min, keep 400d)\n", INSTANCES, CHECKS);
	for (int64_t r = 0; r < runs; r++) {
		int64_t now = t0 + r * STEP;
		struct ax_evidence ev = {0};
		for (int i = 0; i < INSTANCES; i++) {
			char inst[32], check[64], msg[128], art[256];
			snprintf(inst, sizeof(inst), "probe-%d", i);
			for (int c = 0; c < CHECKS; c++) {
				snprintf(check, sizeof(check), "bench.check.c%d", c);
				snprintf(msg, sizeof(msg), "check %d of %s: everything as configured", c, inst);
				ax_evidence_add_result(&ev, inst, "bench", check, c == 7 ? AX_CHECK_FAIL : AX_CHECK_PASS, msg,
						       "{\"count\":42,\"sample\":[\"p:0123456789abcdef\"]}", now);
			}
			for (int a = 0; a < 2; a++) {
				int n = snprintf(art, sizeof(art), "day %lld: config snapshot %d of %s\n",
						 (long long)(now / 86400), a, inst);
				char name[32];
				snprintf(name, sizeof(name), "snapshot-%d.txt", a);
				ax_evidence_add_artifact(&ev, inst, name, "text/plain", art, (size_t)n);
			}
		}
		if (ax_store_commit_run(s, "collect", now, now + 5, &ev, NULL) < 0) {
			fprintf(stderr, "run %lld: %s\n", (long long)r, ax_error_last());
			return 3;
		}
		ax_evidence_free(&ev);
		if (r % 96 == 95 && ax_store_prune(s, now - KEEP, now + 5, NULL) < 0) {
			fprintf(stderr, "prune: %s\n", ax_error_last());
			return 3;
		}
		if (r % (96 * 30) == 96 * 30 - 1)
			printf("%5lld %6lld %10.1f\n", (long long)(r / (96 * 30) + 1), (long long)r + 1,
			       (double)(file_size(argv[1]) + file_size(ax_asprintf("%s-wal", argv[1]))) / 1048576.0);
	}
	printf("%lld runs in %.1f s\n", (long long)runs, (double)(ax_monotonic_ms() - started) / 1000.0);
	ax_store_free(s);
	return 0;
}
