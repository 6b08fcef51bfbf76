/* test_config.c - annexa.conf loading: what is accepted, what is refused
 * (and that every refusal names file, section and key), defaults, relative
 * paths, multi-valued keys. Uses the `file` probe type as the registered
 * probe. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "probe.h"
#include "t.h"
#include "util.h"

struct row {
	const char *text;
	int code;         /* expected return */
	const char *want; /* substring of the error message (or NULL) */
};

static const struct row rows[] = {
	/* accepted */
	{"", 0, NULL},
	{"[annexa]\n\torganization = Example Mail GmbH\n\tinterval = 15m\n", 0, NULL},
	{"[annexa]\n\tparallel = 64\n\tlog = syslog\n\tmanual-approval\n", 0, NULL},
	{"[annexa]\n\tgroup = a\n\tgroup = b\n", 0, NULL},
	{"[signing]\n\tkey = k.pem\n\tcertificate = /etc/c.pem\n\ttsa-url = http://tsa\n", 0, NULL},
	{"[privacy]\n\tpseudonym-key-file = p.key\n[locker]\n\tpath = l\n\tremote = origin\n", 0, NULL},
	{"[probe \"Mx-TLS.1\"]\n\ttype = file\n\tpath = a\n\tpath = b\n\ttimeout = 5s\n", 0, NULL},
	{"[probe \"f\"]\n\ttype = file\n\tpath = a\n\tcontrols = A.8.15 A.5.1\n\tcontrols = A.8.16\n", 0, NULL},
	{"[probe \"f\"]\n\ttype = file\n\tpath = a\n\tmemory-limit = 64M\n\tcpu-limit = 10s\n\tmax-size = 1k\n", 0, NULL},
	{"[control \"A.7.4\"]\n\tapplicable = false\n\tjustification = no premises\n", 0, NULL},
	{"[control \"A.8.34\"]\n\tapplicable = yes\n", 0, NULL},
	{"[control \"A.7.4\"]\n\tinherited = Hoster AG\n\treference = ISO 27001 cert 42, valid to 2027-09-30\n", 0, NULL},
	{"# comment\n; other\n[annexa] ; trailing\n\tinterval = 52w\n", 0, NULL},
	/* syntax errors come from libgit2 with the line */
	{"[annexa\n", AX_EINVALID, "annexa.conf:1"},
	{"[annexa]\n\torganization = x\n\tbad key = 1\n", AX_EINVALID, "annexa.conf:3"},
	/* unknown sections and keys */
	{"[annexx]\n\ta = 1\n", AX_EINVALID, "annexa.conf: [annexx]: unknown section"},
	{"[annexa]\n\tinteval = 1h\n", AX_EINVALID, "annexa.conf: [annexa] inteval: unknown key"},
	{"[annexa \"x\"]\n\tinterval = 1h\n", AX_EINVALID, "[annexa \"x\"]: unknown section"},
	{"[include]\n\tpath = other.conf\n", AX_EINVALID, "[include]: unknown section"},
	{"[signing]\n\tpassword = x\n", AX_EINVALID, "[signing] password: unknown key"},
	/* bad values */
	{"[annexa]\n\tinterval = 5x\n", AX_EINVALID, "annexa.conf: [annexa] interval: invalid duration '5x' (expected"},
	{"[annexa]\n\tinterval = 0\n", AX_EINVALID, "[annexa] interval: '0' out of range (expected 1s..52w)"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tinterval = 0\n", AX_EINVALID, "[probe \"x\"] interval: '0' out of range (expected 1s..52w)"},
	/* one rule for both intervals: 1s..52w */
	{"[annexa]\n\tinterval = 1s\n[probe \"x\"]\n\ttype = file\n\tpath = a\n\tinterval = 1s\n", 0, NULL},
	/* text must be UTF-8 (it goes into JSON, reports, certificates) */
	{"[annexa]\n\torganization = Caf\xe9 GmbH\n", AX_EINVALID, "annexa.conf: [annexa] organization: not valid UTF-8"},
	{"[annexa]\n\torganization = Caf\xc3\xa9 GmbH\n", 0, NULL},
	{"[control \"A.7.4\"]\n\tapplicable = false\n\tjustification = \xff\n", AX_EINVALID, "[control \"A.7.4\"] justification: not valid UTF-8"},
	/* regular expressions are compiled at load, whatever the probe type */
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tcontains = (unclosed\n", AX_EINVALID,
	 "[probe \"x\"] contains: invalid regular expression '(unclosed'"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tcontains = ok\n\tabsent = a{2,1}\n", AX_EINVALID,
	 "[probe \"x\"] absent: invalid regular expression"},
	{"[probe \"m\"]\n\ttype = mailing\n\tpath = a\n\tsender-pattern = [z-a]\n", AX_EINVALID,
	 "[probe \"m\"] sender-pattern: invalid regular expression"},
	{"[probe \"r\"]\n\ttype = retention-job\n\tfailure-pattern = *(\n", AX_EINVALID,
	 "[probe \"r\"] failure-pattern: invalid regular expression"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tcontains = ^[a-z]+ (ok|fine)$\n", 0, NULL},
	{"[probe \"g\"]\n\ttype = gitrepo\n\trepository = r\n\tredact = a(\n", AX_EINVALID, "[probe \"g\"] redact: invalid regular expression"},
	{"[annexa]\n\tinterval = 53w\n", AX_EINVALID, "[annexa] interval: '53w' out of range"},
	{"[annexa]\n\tparallel = 0\n", AX_EINVALID, "[annexa] parallel: '0' out of range (expected 1..64)"},
	{"[annexa]\n\tparallel = 4x\n", AX_EINVALID, "[annexa] parallel: invalid integer '4x'"},
	{"[annexa]\n\tparallel = 99999999999999999999\n", AX_EINVALID, "[annexa] parallel: invalid integer"},
	{"[annexa]\n\tlog = file\n", AX_EINVALID, "[annexa] log: invalid value 'file' (expected one of stderr|syslog)"},
	{"[annexa]\n\tmanual-approval = maybe\n", AX_EINVALID, "[annexa] manual-approval: invalid boolean 'maybe'"},
	{"[annexa]\n\tstore =\n", AX_EINVALID, "[annexa] store: empty path"},
	{"[annexa]\n\tstore\n", AX_EINVALID, "[annexa] store: missing value"},
	{"[annexa]\n\tinterval = 1h\n\tinterval = 2h\n", AX_EINVALID, "[annexa] interval: given more than once"},
	{"[annexa]\n\tinterval = -1h\n", AX_EINVALID, "[annexa] interval: invalid duration '-1h'"},
	/* probes */
	{"[probe \"x\"]\n\tpath = a\n", AX_EINVALID, "annexa.conf: [probe \"x\"] type: missing (required)"},
	{"[probe \"x\"]\n\ttype = nosuch\n", AX_EINVALID, "[probe \"x\"] type: unknown probe type 'nosuch' (known: "},
	{"[probe \"x\"]\n\ttype = file\n", AX_EINVALID, "[probe \"x\"] path: missing (required)"},
	{"[probe \"x\"]\n\ttype = file\n\ttype = file\n\tpath = a\n", AX_EINVALID, "[probe \"x\"] type: given more than once"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\ttarget = b\n", AX_EINVALID, "[probe \"x\"] target: unknown key for probe type 'file'"},
	{"[probe \"mx-tls\"]\n\ttype = file\n\tpath = a\n\ttimeout = 5x\n", AX_EINVALID,
	 "annexa.conf: [probe \"mx-tls\"] timeout: invalid duration '5x' (expected"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\ttimeout = 0\n", AX_EINVALID, "[probe \"x\"] timeout: '0' out of range"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tmemory-limit = 1X\n", AX_EINVALID, "[probe \"x\"] memory-limit: invalid size '1X'"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tmemory-limit = 1k\n", AX_EINVALID, "[probe \"x\"] memory-limit: '1k' out of range (expected 16M..64G)"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\texists = perhaps\n", AX_EINVALID, "[probe \"x\"] exists: invalid boolean"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tattach = yes\n\tattach = no\n", AX_EINVALID, "[probe \"x\"] attach: given more than once"},
	{"[probe \"x\"]\n\ttype = file\n\tpath = a\n\tcontrols = A.8.15 B.1\n", AX_EINVALID, "[probe \"x\"] controls: invalid control id 'B.1'"},
	{"[probe \"bad name\"]\n\ttype = file\n\tpath = a\n", AX_EINVALID, "[probe \"bad name\"]: invalid instance name"},
	{"[probe \"-x\"]\n\ttype = file\n\tpath = a\n", AX_EINVALID, "[probe \"-x\"]: invalid instance name"},
	/* controls */
	{"[control \"A.7.4\"]\n\tapplicable = false\n", AX_EINVALID, "annexa.conf: [control \"A.7.4\"] justification: required when applicable = false"},
	{"[control \"A.9.1\"]\n\tapplicable = true\n", AX_EINVALID, "[control \"A.9.1\"]: invalid control id"},
	{"[control \"A.5.01\"]\n\tapplicable = true\n", AX_EINVALID, "[control \"A.5.01\"]: invalid control id"},
	{"[control \"A.5.1\"]\n\tcolour = red\n", AX_EINVALID, "[control \"A.5.1\"] colour: unknown key"},
	{"[control \"A.5.1\"]\n\towner = ISMS team\n\treason = risk treatment RTP-7\n", 0, NULL},
	{"[control \"A.5.1\"]\n\treason = Legal: GDPR Art. 32\n", 0, NULL},
	{"[control \"A.5.1\"]\n\treason = best practice\n", 0, NULL},
	{"[control \"A.5.1\"]\n\treason = risk treatment\n", AX_EINVALID,
	 "[control \"A.5.1\"] reason: 'risk treatment' is not a justification for inclusion"},
	{"[control \"A.5.1\"]\n\treason = because\n", AX_EINVALID,
	 "[control \"A.5.1\"] reason: 'because' is not a justification for inclusion"},
	{"[control \"A.5.1\"]\n\treason = legalese\n", AX_EINVALID, "reason: 'legalese' is not"},
	{"[annexa]\n\tsoa-reason-physical = Contractual: lease\n", 0, NULL},
	{"[annexa]\n\tsoa-reason-people = whim\n", AX_EINVALID, "[annexa] soa-reason-people: 'whim' is not a justification"},
	{"[control \"A.5.1\"]\n\tapplicable = nope\n", AX_EINVALID, "[control \"A.5.1\"] applicable: invalid boolean 'nope'"},
	{"[control \"A.7.4\"]\n\tinherited = Hoster AG\n", AX_EINVALID, "[control \"A.7.4\"] reference: required with inherited"},
	{"[control \"A.7.4\"]\n\treference = cert 42\n", AX_EINVALID, "[control \"A.7.4\"] reference: only with inherited = PROVIDER"},
	{"[control \"A.7.4\"]\n\tapplicable = false\n\tjustification = x\n\tinherited = H\n\treference = r\n", AX_EINVALID,
	 "[control \"A.7.4\"] inherited: an inherited control is applicable"},
	{"[widget \"x\"]\n\ta = 1\n", AX_EINVALID, "[widget \"x\"]: unknown section"},
};

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *path = t_write("annexa.conf", rows[i].text);
		struct ax_config *cfg = (struct ax_config *)1;
		ax_error_clear();
		int rc = ax_config_load(&cfg, path);
		if (rc != rows[i].code)
			t_fail(__FILE__, __LINE__, "row %zu: rc %d, expected %d (%s)\n%s", i, rc, rows[i].code,
			       ax_error_last(), rows[i].text);
		t_checks++;
		if (rc == 0)
			T_OK(cfg != NULL);
		else
			T_OK(cfg == NULL);
		if (rows[i].want && !strstr(ax_error_last(), rows[i].want))
			t_fail(__FILE__, __LINE__, "row %zu: message \"%s\" lacks \"%s\"", i, ax_error_last(), rows[i].want);
		t_checks++;
		ax_config_free(cfg);
		free(path);
	}
}

static void test_values(void)
{
	char *path = t_write("good.conf",
			     "[annexa]\n"
			     "\torganization = Example Mail GmbH\n"
			     "\tinterval = 30m\n"
			     "\tgroup = adm\n"
			     "\tgroup = ssl-cert\n"
			     "\tmetrics = out/metrics.prom\n"
			     "[signing]\n"
			     "\tkey = /etc/annexa/signing.key\n"
			     "\tcertificate = certs/signing.crt\n"
			     "[probe \"logs\"]\n"
			     "\ttype = file\n"
			     "\tpath = /var/log/mail.log\n"
			     "\tpath = rel/file.txt\n"
			     "\tmax-age = 1d\n"
			     "[probe \"MixedCase\"]\n"
			     "\ttype = file\n"
			     "\tpath = x\n"
			     "\tinterval = 15m\n"
			     "\ttimeout = 2m\n"
			     "\tfreshness = 1h\n"
			     "\tcontrols = A.8.15, A.8.16\n"
			     "\tcontrols = A.5.1\n"
			     "\tmemory-limit = 64M\n"
			     "\tcpu-limit = 30s\n"
			     "[control \"A.7.4\"]\n"
			     "\tapplicable = false\n"
			     "\tjustification = No own premises.\n"
			     "[control \"A.5.1\"]\n"
			     "\tapplicable = true\n"
			     "[control \"A.7.5\"]\n"
			     "\tinherited = Hoster AG\n"
			     "\treference = ISO 27001 certificate 42\n");
	struct ax_config *cfg = NULL;
	int rc = ax_config_load(&cfg, path);
	T_EQ_INT(rc, 0);
	if (rc < 0) {
		fprintf(stderr, "%s\n", ax_error_last());
		free(path);
		return;
	}
	char *dir = ax_strdup(cfg->path);
	*strrchr(dir, '/') = '\0';
	char *want;

	T_OK(cfg->path[0] == '/');
	T_EQ_STR(ax_config_get(cfg, "annexa", "organization"), "Example Mail GmbH");
	T_EQ_INT(ax_config_get_int(cfg, "annexa", "interval"), 1800);
	/* defaults, path defaults resolved against the config's folder */
	want = ax_asprintf("%s/annexa.db", dir);
	T_EQ_STR(ax_config_get(cfg, "annexa", "store"), want);
	free(want);
	want = ax_asprintf("%s/state", dir);
	T_EQ_STR(ax_config_get(cfg, "annexa", "state-dir"), want);
	free(want);
	want = ax_asprintf("%s/out/metrics.prom", dir);
	T_EQ_STR(ax_config_get(cfg, "annexa", "metrics"), want);
	free(want);
	want = ax_asprintf("%s/certs/signing.crt", dir);
	T_EQ_STR(ax_config_get(cfg, "signing", "certificate"), want);
	free(want);
	T_EQ_STR(ax_config_get(cfg, "signing", "key"), "/etc/annexa/signing.key");
	T_EQ_INT(ax_config_get_int(cfg, "annexa", "parallel"), 4);
	T_EQ_INT(ax_config_get_int(cfg, "annexa", "expiry-warning"), 30 * 86400);
	T_EQ_INT(ax_config_get_int(cfg, "annexa", "manual-approval"), 0);
	T_EQ_STR(ax_config_get(cfg, "annexa", "log"), "stderr");
	T_OK(ax_config_get(cfg, "annexa", "keep") == NULL);
	T_OK(ax_config_get(cfg, "privacy", "pseudonym-key-file") == NULL);
	T_OK(ax_config_get(cfg, "nosuch", "key") == NULL);
	T_EQ_INT(ax_config_count(cfg, "annexa", "group"), 2);
	T_EQ_STR(ax_config_get_at(cfg, "annexa", "group", 0), "adm");
	T_EQ_STR(ax_config_get_at(cfg, "annexa", "group", 1), "ssl-cert");
	T_OK(ax_config_get_at(cfg, "annexa", "group", 2) == NULL);
	T_EQ_INT(ax_config_count(cfg, "annexa", "store"), 1);
	T_EQ_INT(ax_config_count(cfg, "annexa", "user"), 0);

	/* probes in file order, subsection case kept */
	T_EQ_INT(cfg->nprobes, 2);
	T_EQ_STR(cfg->probes[0].name, "logs");
	T_EQ_STR(cfg->probes[1].name, "MixedCase");
	const struct ax_probe_instance *p = ax_config_probe(cfg, "logs");
	T_OK(p && p->type == ax_probe_find("file"));
	if (p) {
		T_EQ_INT(p->interval, 1800); /* [annexa] interval */
		T_EQ_INT(p->freshness, 3600); /* 2 x interval */
		T_EQ_INT(p->timeout, 60);
		T_EQ_INT(p->ncontrols, 0);
		size_t npath = 0;
		for (size_t i = 0; i < p->nopts; i++) {
			if (strcmp(p->opts[i].key, "path") != 0)
				continue;
			if (npath++ == 0) {
				T_EQ_STR(p->opts[i].value, "/var/log/mail.log");
			} else {
				want = ax_asprintf("%s/rel/file.txt", dir);
				T_EQ_STR(p->opts[i].value, want);
				free(want);
			}
		}
		T_EQ_INT(npath, 2);
	}
	p = ax_config_probe(cfg, "MixedCase");
	T_OK(p != NULL);
	T_OK(ax_config_probe(cfg, "mixedcase") == NULL);
	if (p) {
		T_EQ_INT(p->interval, 900);
		T_EQ_INT(p->timeout, 120);
		T_EQ_INT(p->freshness, 3600);
		T_EQ_INT(p->memory_limit, 64 << 20);
		T_EQ_INT(p->cpu_limit, 30);
		T_EQ_INT(p->ncontrols, 3);
		if (p->ncontrols == 3) {
			T_EQ_STR(p->controls[0], "A.8.15");
			T_EQ_STR(p->controls[1], "A.8.16");
			T_EQ_STR(p->controls[2], "A.5.1");
		}
	}

	T_EQ_INT(cfg->ncontrols, 3);
	const struct ax_control_cfg *c = ax_config_control(cfg, "A.7.4");
	T_OK(c && c->applicable == 0);
	if (c)
		T_EQ_STR(c->justification, "No own premises.");
	c = ax_config_control(cfg, "A.5.1");
	T_OK(c && c->applicable == 1 && c->justification == NULL);
	T_OK(ax_config_control(cfg, "A.5.2") == NULL);
	c = ax_config_control(cfg, "A.7.5");
	T_OK(c && c->applicable == 1);
	if (c) {
		T_EQ_STR(c->inherited, "Hoster AG");
		T_EQ_STR(c->reference, "ISO 27001 certificate 42");
	}

	free(dir);
	ax_config_free(cfg);
	free(path);
}

static void test_missing_and_free(void)
{
	struct ax_config *cfg = NULL;
	char *path = ax_asprintf("%s/does-not-exist.conf", t_tmpdir());
	T_EQ_INT(ax_config_load(&cfg, path), AX_ENOTFOUND);
	T_CONTAINS(ax_error_last(), "does-not-exist.conf");
	T_OK(cfg == NULL);
	T_EQ_INT(ax_config_load(&cfg, t_tmpdir()), AX_EINVALID);
	ax_config_free(NULL);
	free(path);
}

struct parse_row {
	enum ax_opt_type type;
	const char *choices;
	int64_t min, max;
	const char *value;
	int ok;
	int64_t num;
};

static const struct parse_row parse_rows[] = {
	{AX_OPT_DURATION, NULL, 0, 0, "30s", 1, 30},
	{AX_OPT_DURATION, NULL, 0, 0, "15m", 1, 900},
	{AX_OPT_DURATION, NULL, 0, 0, "26h", 1, 93600},
	{AX_OPT_DURATION, NULL, 0, 0, "30d", 1, 2592000},
	{AX_OPT_DURATION, NULL, 0, 0, "52w", 1, 31449600},
	{AX_OPT_DURATION, NULL, 0, 0, "90", 1, 90},
	{AX_OPT_DURATION, NULL, 0, 0, "1h30m", 0, 0},
	{AX_OPT_DURATION, NULL, 0, 0, "", 0, 0},
	{AX_OPT_DURATION, NULL, 0, 0, " 5s", 0, 0},
	{AX_OPT_DURATION, NULL, 0, 0, "99999999999999999999w", 0, 0},
	{AX_OPT_DURATION, NULL, 60, 120, "2m", 1, 120},
	{AX_OPT_DURATION, NULL, 60, 120, "121", 0, 0},
	{AX_OPT_SIZE, NULL, 0, 0, "512", 1, 512},
	{AX_OPT_SIZE, NULL, 0, 0, "10k", 1, 10240},
	{AX_OPT_SIZE, NULL, 0, 0, "64M", 1, 64 << 20},
	{AX_OPT_SIZE, NULL, 0, 0, "2G", 1, 2LL << 30},
	{AX_OPT_SIZE, NULL, 0, 0, "2GB", 0, 0},
	{AX_OPT_SIZE, NULL, 0, 0, "99999999999T", 0, 0},
	{AX_OPT_INT, NULL, 0, 0, "-5", 1, -5},
	{AX_OPT_INT, NULL, 1, 64, "65", 0, 0},
	{AX_OPT_INT, NULL, 0, 0, "", 0, 0},
	{AX_OPT_BOOL, NULL, 0, 0, "On", 1, 1},
	{AX_OPT_BOOL, NULL, 0, 0, "0", 1, 0},
	{AX_OPT_BOOL, NULL, 0, 0, "2", 0, 0},
	{AX_OPT_ENUM, "smtp|imap|pop3", 0, 0, "imap", 1, 1},
	{AX_OPT_ENUM, "smtp|imap|pop3", 0, 0, "pop3", 1, 2},
	{AX_OPT_ENUM, "smtp|imap|pop3", 0, 0, "pop", 0, 0},
	{AX_OPT_ENUM, "smtp|imap|pop3", 0, 0, "", 0, 0},
	{AX_OPT_STRING, NULL, 0, 0, "", 1, 0},
	{AX_OPT_PATH, NULL, 0, 0, "", 0, 0},
};

static void test_option_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *r = &parse_rows[i];
		struct ax_option opt = {"k", r->type, NULL, 0, r->choices, r->min, r->max, NULL};
		int64_t num = -999;
		int rc = ax_option_parse(&opt, r->value, &num);
		if ((rc == 0) != r->ok || (r->ok && num != r->num))
			t_fail(__FILE__, __LINE__, "row %zu '%s': rc %d num %lld (%s)", i, r->value, rc,
			       (long long)num, ax_error_last());
		t_checks++;
		if (!r->ok)
			T_EQ_INT(rc, AX_EINVALID);
	}
	T_OK(ax_control_id_valid("A.5.1"));
	T_OK(ax_control_id_valid("A.8.34"));
	T_OK(!ax_control_id_valid("A.4.1"));
	T_OK(!ax_control_id_valid("A.5.0"));
	T_OK(!ax_control_id_valid("A.5.100"));
	T_OK(!ax_control_id_valid("A.5."));
	T_OK(!ax_control_id_valid("a.5.1"));
}

/* Every option that takes a regular expression is typed so, so that the
 * loader compiles it: a pattern only the run would reject is a config that
 * check-config passes and collect fails. */
static void test_regex_options_typed(void)
{
	size_t n = 0;
	for (size_t p = 0; ax_probes[p]; p++)
		for (const struct ax_option *o = ax_probes[p]->options; o && o->key; o++) {
			if (!o->help || !strstr(o->help, "regex"))
				continue;
			n++;
			if (o->type != AX_OPT_REGEX)
				t_fail(__FILE__, __LINE__, "%s: option %s takes a regex but is not AX_OPT_REGEX", ax_probes[p]->name,
				       o->key);
			t_checks++;
			struct ax_option bad = *o;
			T_EQ_INT(ax_option_parse(&bad, "(", NULL), AX_EINVALID);
			if (o->def)
				T_EQ_INT(ax_option_parse(o, o->def, NULL), 0);
		}
	T_OK(n >= 10); /* mailing 2, gitrepo 1, file 3, retention-job 4 */
}

/* Each default is one named constant (option.h); the key tables write it
 * as text for --help, and that text must mean the constant. */
static void test_defaults_named(void)
{
	static const struct {
		const struct ax_option *table;
		const char *key;
		int64_t want;
	} defaults[] = {
		{ax_common_options, "timeout", AX_DEFAULT_TIMEOUT},
		{ax_common_options, "memory-limit", AX_DEFAULT_MEMORY_LIMIT},
		{NULL, "interval", AX_DEFAULT_INTERVAL},
		{NULL, "parallel", AX_DEFAULT_PARALLEL},
	};
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		const struct ax_option *o =
			ax_option_find(defaults[i].table ? defaults[i].table : ax_config_section_options("annexa"), defaults[i].key);
		int64_t v = -1;
		T_OK(o && o->def);
		if (o && o->def)
			T_EQ_INT(ax_option_parse(o, o->def, &v), 0);
		T_EQ_INT(v, defaults[i].want);
	}
	/* and a config that does not set them resolves to them */
	char *path = t_write("defaults.conf", "[annexa]\n\torganization = X\n[probe \"p\"]\n\ttype = selftest\n");
	struct ax_config *cfg = NULL;
	T_EQ_INT(ax_config_load(&cfg, path), 0);
	if (cfg) {
		T_EQ_INT(cfg->probes[0].timeout, AX_DEFAULT_TIMEOUT);
		T_EQ_INT(cfg->probes[0].interval, AX_DEFAULT_INTERVAL);
		T_EQ_INT(cfg->probes[0].memory_limit, AX_DEFAULT_MEMORY_LIMIT);
		T_EQ_INT(ax_config_get_int(cfg, "annexa", "parallel"), AX_DEFAULT_PARALLEL);
	}
	ax_config_free(cfg);
	free(path);
}

int main(void)
{
	test_defaults_named();
	test_regex_options_typed();
	test_rows();
	test_values();
	test_missing_and_free();
	test_option_parse();
	return t_done();
}
