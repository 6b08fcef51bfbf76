/* test_population.c - the population writer (probes/population.c), its
 * streamed storing (ax_store_commit_run_files), the population CSV reader
 * and the sampler (exports/sample.c). The expected samples were computed
 * by Python's hashlib, not by annexa. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "consent_population.h"
#include "population.h"
#include "probe.h"
#include "probe_inline.h"
#include "sample.h"
#include "store.h"
#include "t.h"
#include "util.h"

#define CSV "item,v\na,1\nb,2\nc,3\nd,4\ne,5\n\"x,y\",6\n\"q\"\"r\",7\n"
#define CSV_SHA "ff608573e5a146427b6e7a15179ca80a28d3d255e1c60266723bf122e8608582"

static const char *pop_name = "things";

static int pop_run(struct ax_probe_ctx *ctx)
{
	static const char *const cols[] = {"v", NULL};
	static const char *const ids[] = {"a", "b", "c", "d", "e", "x,y", "q\"r"};
	struct ax_population *p = ax_population_open(ctx, pop_name, cols);
	for (size_t i = 0; i < 7; i++) {
		char v[4];
		snprintf(v, sizeof(v), "%zu", i + 1);
		const char *vals[] = {v};
		ax_population_row(p, ids[i], vals);
	}
	ax_population_close(p, "file /x", "every line", json_pack("{s:s}", "k", "v"), AX_FREQ_DAILY);
	/* a source naming a URI with a password: redacted */
	ax_population_close(ax_population_open(ctx, "empty", NULL), "rest:https://u:hunter2@h/r", "none", NULL,
			    AX_FREQ_ANNUAL);
	return 0;
}

static const struct ax_check_def no_checks[] = {{NULL, NULL}};
static const struct probe pop_probe = {.name = "poptest", .summary = "", .checks = no_checks, .run = pop_run};

static const struct ax_artifact *find(const struct ax_evidence *ev, const char *name)
{
	for (size_t i = 0; i < ev->nartifacts; i++)
		if (strcmp(ev->artifacts[i].name, name) == 0)
			return &ev->artifacts[i];
	return NULL;
}

static void check_artifacts(const struct ax_evidence *ev)
{
	const struct ax_artifact *csv = find(ev, "populations/things.csv");
	const struct ax_artifact *prov = find(ev, "populations/things.provenance.json");
	T_OK(csv && prov);
	if (!csv || !prov)
		return;
	T_EQ_INT(csv->data.size, strlen(CSV));
	T_OK(memcmp(csv->data.ptr, CSV, strlen(CSV)) == 0);
	T_EQ_STR(csv->sha256, CSV_SHA);
	json_t *j = json_loadb(prov->data.ptr, prov->data.size, 0, NULL);
	T_EQ_STR(json_string_value(json_object_get(j, "sha256")), CSV_SHA);
	T_EQ_INT(json_integer_value(json_object_get(j, "rows")), 7);
	T_EQ_STR(json_string_value(json_object_get(j, "frequency")), "daily");
	T_EQ_STR(json_string_value(json_object_get(j, "source")), "file /x");
	T_EQ_STR(json_string_value(json_object_get(json_object_get(j, "parameters"), "k")), "v");
	T_EQ_STR(json_string_value(json_object_get(j, "collected_at")), "2027-01-15T08:00:00Z");
	json_decref(j);
}

static void test_writer(void)
{
	struct ax_probe_instance inst = {.name = (char *)"inst", .type = &pop_probe};
	struct ax_evidence ev = {0};
	/* no state folder: in memory */
	T_EQ_INT(ax_probe_run_inline(&inst, (const unsigned char *)"k", 1, NULL, 1800000000, &ev), 0);
	check_artifacts(&ev);
	const struct ax_artifact *e = find(&ev, "populations/empty.provenance.json");
	T_OK(e && !strstr(ax_buf_cstr(&e->data), "hunter2"));
	T_CONTAINS(e ? ax_buf_cstr(&e->data) : NULL, "\"rows\": 0");
	e = find(&ev, "populations/empty.csv");
	T_EQ_STR(e ? ax_buf_cstr(&e->data) : NULL, "item\n");
	ax_evidence_free(&ev);
	/* a state folder: the file the collector takes, read back and removed */
	char *state = ax_asprintf("%s/state", t_tmpdir()), *file = ax_asprintf("%s/populations/things.csv", state);
	mkdir(state, 0700);
	memset(&ev, 0, sizeof(ev));
	T_EQ_INT(ax_probe_run_inline(&inst, (const unsigned char *)"k", 1, state, 1800000000, &ev), 0);
	check_artifacts(&ev);
	T_OK(access(file, F_OK) < 0);
	ax_evidence_free(&ev);
	/* a name that cannot be a file name fails the run */
	pop_name = "../x";
	memset(&ev, 0, sizeof(ev));
	T_OK(ax_probe_run_inline(&inst, (const unsigned char *)"k", 1, state, 1800000000, &ev) < 0);
	T_OK(!find(&ev, "populations/../x.provenance.json"));
	ax_evidence_free(&ev);
	pop_name = "things";
	/* a link planted where the file would be is not followed */
	T_OK(symlink("/etc/passwd", file) == 0);
	int fd = -1;
	T_OK(ax_population_file_open(state, "populations/things.provenance.json", &fd) < 0 && fd < 0);
	unlink(file);
	free(file);
	free(state);
}

static void test_csv_field(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {{"plain", "plain"}, {"a,b", "\"a,b\""}, {"q\"q", "\"q\"\"q\""}, {"l\nl", "\"l\nl\""}, {"", ""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_buf b = AX_BUF_INIT;
		ax_csv_field(&b, cases[i].in);
		T_EQ_STR(ax_buf_cstr(&b), cases[i].out);
		ax_buf_free(&b);
	}
}

static int count_rec(void *arg, size_t n, char *const *f)
{
	struct ax_buf *b = arg;
	ax_buf_printf(b, "%zu:%s|", n, f[0]);
	return 0;
}

static void test_reader(void)
{
	static const struct {
		const char *in;
		int ok;
		const char *got; /* records as "NFIELDS:ITEM|" */
	} cases[] = {
		{"item,v\na,1\n", 1, "2:a|"},
		{"item,v\r\na,1\r\n", 1, "2:a|"},
		{"item,v\n\"a,b\",1\n\"c\"\"\",\"\"\n", 1, "2:a,b|2:c\"|"},
		{"item\n\"multi\nline\"\n", 1, "1:multi\nline|"},
		{"item,v\n", 1, ""},
		{"", 0, ""},                    /* no header */
		{"id,v\na,1\n", 0, ""},         /* first column not item */
		{"item,v\na\n", 0, ""},         /* field count */
		{"item,v\na,1", 0, ""},        /* no final newline */
		{"item,v\na\"b,1\n", 0, ""},    /* quote inside a field */
		{"item,v\n\"a\"b,1\n", 0, ""},  /* text after a closing quote */
		{"item,v\n\"a,1\n", 0, ""},     /* unterminated quote */
		{"item,v\na\rb,1\n", 0, ""},    /* bare CR */
		{"item,v\n\xff,1\n", 0, ""},    /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_buf got = AX_BUF_INIT;
		struct ax_popcsv r;
		ax_popcsv_init(&r, count_rec, &got);
		/* byte by byte: the chunk borders of a stream fall anywhere */
		int err = 0;
		for (size_t k = 0; err == 0 && cases[i].in[k]; k++)
			err = ax_popcsv_feed(&r, cases[i].in + k, 1);
		if (err == 0)
			err = ax_popcsv_finish(&r);
		if ((err == 0) != cases[i].ok)
			t_fail(__FILE__, __LINE__, "case %zu: err %d (%s)", i, err, ax_error_last());
		T_EQ_STR(ax_buf_cstr(&got), cases[i].got);
		ax_popcsv_free(&r);
		ax_buf_free(&got);
	}
}

static void test_frequency(void)
{
	T_EQ_INT(ax_pop_frequency_of_interval(3600), AX_FREQ_MANY_DAILY);
	T_EQ_INT(ax_pop_frequency_of_interval(86400), AX_FREQ_DAILY);
	T_EQ_INT(ax_pop_frequency_of_interval(7 * 86400), AX_FREQ_WEEKLY);
	T_EQ_INT(ax_pop_frequency_of_interval(30 * 86400), AX_FREQ_MONTHLY);
	T_EQ_INT(ax_pop_frequency_of_interval(91 * 86400), AX_FREQ_QUARTERLY);
	T_EQ_INT(ax_pop_frequency_of_interval(365 * 86400), AX_FREQ_ANNUAL);
	static const int want[AX_FREQ_COUNT] = {1, 2, 5, 15, 40, 60};
	for (int f = 0; f < AX_FREQ_COUNT; f++)
		T_EQ_INT(ax_sample_default_n((enum ax_pop_frequency)f, NULL), want[f]);
}

static void test_sample(void)
{
	struct ax_probe_instance inst = {.name = (char *)"inst", .type = &pop_probe};
	struct ax_evidence ev = {0};
	struct ax_store *st = NULL;
	char *path = ax_asprintf("%s/s.db", t_tmpdir());
	struct ax_sample s;
	T_EQ_INT(ax_store_open(&st, path), 0);
	T_EQ_INT(ax_probe_run_inline(&inst, (const unsigned char *)"k", 1, NULL, 1800000000, &ev), 0);
	T_EQ_INT(ax_store_commit_run(st, "collect", 1800000000, 1800000000, &ev, NULL), 0);
	ax_evidence_free(&ev);
	struct ax_sample_source src = {.store = st};
	/* Python: sorted(ids, key=lambda i: sha256(("s:" + i).encode()).hexdigest()) */
	T_EQ_INT(ax_sample_draw(&src, "inst/things", "s", 3, &s), 0);
	T_EQ_INT(s.rows, 7);
	T_EQ_INT(s.nitems, 3);
	if (s.nitems == 3) {
		T_EQ_STR(s.items[0].fields[0], "c");
		T_EQ_STR(s.items[1].fields[0], "d");
		T_EQ_STR(s.items[2].fields[0], "e");
		T_EQ_STR(s.items[2].fields[1], "5");
	}
	ax_sample_free(&s);
	/* default n of a daily control: 40, so all 7 */
	T_EQ_INT(ax_sample_draw(&src, "inst/things", "s", 0, &s), 0);
	T_EQ_INT(s.nitems, 7);
	T_CONTAINS(s.n_from, "daily (20-40)");
	if (s.nitems == 7) {
		T_EQ_STR(s.items[3].fields[0], "x,y");
		T_EQ_STR(s.items[4].fields[0], "q\"r");
		T_EQ_STR(s.items[6].fields[0], "a");
	}
	ax_sample_free(&s);
	T_EQ_INT(ax_sample_draw(&src, "inst/nothing", "s", 3, &s), AX_ENOTFOUND);
	ax_sample_free(&s);
	T_EQ_INT(ax_sample_draw(&src, "no-slash", "s", 3, &s), AX_EINVALID);
	ax_sample_free(&s);

	/* a list that is not the one its provenance records is refused */
	ax_evidence_add_artifact(&ev, "inst", "populations/things.csv", "text/csv", "item,v\na,1\n", 11);
	T_EQ_INT(ax_store_commit_run(st, "collect", 1800000001, 1800000001, &ev, NULL), 0);
	ax_evidence_free(&ev);
	T_EQ_INT(ax_sample_draw(&src, "inst/things", "s", 3, &s), 0); /* it still reads the recorded list */
	ax_sample_free(&s);
	memset(&ev, 0, sizeof(ev));
	const char *prov = "{\"sha256\":\"" CSV_SHA "\",\"rows\":6,\"frequency\":\"daily\"}";
	ax_evidence_add_artifact(&ev, "inst", "populations/things.provenance.json", "application/json", prov,
				 strlen(prov));
	T_EQ_INT(ax_store_commit_run(st, "collect", 1800000002, 1800000002, &ev, NULL), 0);
	ax_evidence_free(&ev);
	T_EQ_INT(ax_sample_draw(&src, "inst/things", "s", 3, &s), AX_EINVALID);
	T_CONTAINS(ax_error_last(), "is not the one its provenance records");
	ax_sample_free(&s);

	/* a streamed file: stored when it hashes as said, left out when not */
	char *fpath = t_write("list.csv", CSV);
	struct ax_store_file files[2] = {
		{.instance = "inst", .name = "populations/a.csv", .media_type = "text/csv", .path = fpath},
		{.instance = "inst", .name = "populations/b.csv", .media_type = "text/csv", .path = fpath},
	};
	files[0].fd = open(fpath, O_RDONLY);
	files[1].fd = open(fpath, O_RDONLY);
	memcpy(files[0].sha256, CSV_SHA, 65);
	memcpy(files[1].sha256, CSV_SHA, 65);
	files[1].sha256[0] = '0'; /* not what the file holds */
	memset(&ev, 0, sizeof(ev));
	ax_evidence_add_result(&ev, "inst", "poptest", "x.y", AX_CHECK_PASS, "ok", NULL, 1800000003);
	T_EQ_INT(ax_store_commit_run_files(st, "collect", 1800000003, 1800000003, &ev, files, 2, NULL), 0);
	T_EQ_INT(files[0].stored, 1);
	T_EQ_INT(files[1].stored, 0);
	T_EQ_INT(ev.nartifacts, 1);
	struct ax_buf got = AX_BUF_INIT;
	T_EQ_INT(ax_store_latest_artifact(st, "inst", "populations/a.csv", &got), 0);
	T_EQ_STR(ax_buf_cstr(&got), CSV);
	int64_t bad = 0;
	T_EQ_INT(ax_store_ledger_verify(st, &bad), 0);
	ax_buf_free(&got);
	close(files[0].fd);
	close(files[1].fd);
	ax_evidence_free(&ev);
	free(fpath);
	ax_store_free(st);
	free(path);
}

/* The source an auditor reads never carries credentials. */
static void test_db_source(void)
{
	static const struct {
		const char *uri, *want;
	} cases[] = {
		{"sqlite:/var/lib/leads.db", "sqlite:/var/lib/leads.db"},
		{"postgresql://annexa:s3cret@db.example.net:5432/leads?sslmode=require&password=x",
		 "postgresql://db.example.net:5432/leads"},
		{"postgresql://db.example.net/leads", "postgresql://db.example.net/leads"},
		{"postgresql:///leads?host=/run/postgresql&password=x", "postgresql:///leads"},
		{"postgres://u:p@h", "postgres://h"},
		{"host=db password=s3cret dbname=leads", "database (a key=value connection string, not recorded: it may hold credentials)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_buf b = AX_BUF_INIT;
		ax_consent_db_source(cases[i].uri, &b);
		T_EQ_STR(ax_buf_cstr(&b), cases[i].want);
		ax_buf_free(&b);
	}
}

int main(void)
{
	test_db_source();
	test_writer();
	test_csv_field();
	test_reader();
	test_frequency();
	test_sample();
	return t_done();
}
