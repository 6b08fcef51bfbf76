/* test_gitrepo.c - the gitrepo probe against repositories built by git
 * itself: SSH-signed commits (listed, unlisted key), unsigned commits, a
 * crafted GPG signature, reviewed/self-reviewed/self-merged changes, a
 * force-pushed branch and a drifted file with a secret in it. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "evidence.h"
#include "probe.h"
#include "probe_inline.h"
#include "t.h"
#include "util.h"

extern const struct probe probe_gitrepo;

/* Builds $1/repo; $1/keys holds alice's, bob's and mallory's keys and an
 * allowed_signers listing alice and bob only. */
static const char build_script[] =
	"set -e\n"
	"D=$1; K=$D/keys; mkdir -p $K; cd $D\n"
	"export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$D\n"
	"for u in alice bob mallory; do ssh-keygen -q -t ed25519 -N '' -C $u -f $K/$u; done\n"
	"for u in alice bob; do echo \"$u@example.com namespaces=\\\"git\\\" $(cat $K/$u.pub)\"; done > $K/allowed_signers\n"
	"git init -q -b main repo; cd repo\n"
	"c() { who=$1; date=$2; key=$3; shift 3; S=; [ $key = - ] || S=-S\n"
	"  GIT_AUTHOR_NAME=$who GIT_AUTHOR_EMAIL=$who@example.com GIT_COMMITTER_NAME=$who GIT_COMMITTER_EMAIL=$who@example.com \\\n"
	"  GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date git -c gpg.format=ssh -c user.signingkey=$K/$key \"$@\" $S; }\n"
	"ci() { echo \"$2 $4\" >> log.txt; git add -A; c \"$1\" \"$2\" \"$3\" commit -q -m \"$4\" ${5:+-m \"$5\"}; }\n"
	"mkdir etc; printf 'relayhost = [smtp.eu.mailgun.org]:587\\nsmtp_tls_security_level = encrypt\\n' > etc/main.cf\n"
	"ci alice 2026-01-01T10:00:00Z - 'initial, outside the window'\n"
	"ci alice 2026-11-01T10:00:00Z alice 'relay via Mailgun' 'Reviewed-by: Bob <bob@example.com>'\n"
	"ci alice 2026-11-02T10:00:00Z alice 'self-reviewed' 'Reviewed-by: Alice <ALICE@example.com>'\n"
	"git checkout -q -b feature; ci carol 2026-11-03T10:00:00Z - 'feature by carol, unsigned'\n"
	"git checkout -q main; c bob 2026-11-04T10:00:00Z bob merge -q --no-ff feature -m 'Merge feature'\n"
	"ci alice 2026-11-05T10:00:00Z - 'direct push, unsigned'\n"
	"git checkout -q -b feature2; ci alice 2026-11-06T09:00:00Z alice 'feature2'\n"
	"git checkout -q main; c alice 2026-11-06T10:00:00Z alice merge -q --no-ff feature2 -m 'Merge feature2'\n"
	"ci mallory 2026-11-07T10:00:00Z mallory 'by an unlisted key' 'Approved-by: bob@example.com'\n"
	/* a commit carrying a (fake) PGP signature, on its own branch */
	"git checkout -q -b gpg main~1\n"
	"git cat-file commit HEAD | sed '/^committer /a gpgsig -----BEGIN PGP SIGNATURE-----\\n \\n iQEzBAABCAAdFiEE\\n -----END PGP SIGNATURE-----' > ../gpg.commit\n"
	"git update-ref refs/heads/gpg $(git hash-object -t commit -w ../gpg.commit); git checkout -q main\n"
	/* a real GPG signature, when gpg is installed */
	"if command -v gpg >/dev/null; then\n"
	"  export GNUPGHOME=$D/gnupg; mkdir -m 700 $GNUPGHOME $D/gnupg-empty\n"
	"  gpg --batch -q --passphrase '' --quick-gen-key 'Dave <dave@example.com>' ed25519 sign never 2>/dev/null\n"
	"  git checkout -q -b gpgreal main~1; echo g >> log.txt; git add -A\n"
	"  GIT_AUTHOR_NAME=dave GIT_AUTHOR_EMAIL=dave@example.com GIT_COMMITTER_NAME=dave GIT_COMMITTER_EMAIL=dave@example.com \\\n"
	"  GIT_AUTHOR_DATE=2026-11-08T10:00:00Z GIT_COMMITTER_DATE=2026-11-08T10:00:00Z git -c user.signingkey=dave@example.com commit -q -S -m 'gpg signed'\n"
	"  git checkout -q main; gpgconf --kill all\n"
	"fi\n";

static int64_t day(const char *d)
{
	int64_t t = 0;
	if (ax_time_parse(d, &t) < 0)
		abort();
	return t;
}

static int run(struct ax_kv *opts, size_t nopts, const char *state, int64_t now, struct ax_evidence *ev)
{
	struct ax_probe_instance inst = {.name = (char *)"config-repo", .type = &probe_gitrepo, .opts = opts, .nopts = nopts};
	ax_evidence_clear(ev);
	return ax_probe_run_inline(&inst, NULL, 0, state, now, ev);
}

static const struct ax_artifact *artifact(const struct ax_evidence *ev, const char *name)
{
	for (size_t i = 0; i < ev->nartifacts; i++)
		if (strcmp(ev->artifacts[i].name, name) == 0)
			return &ev->artifacts[i];
	return NULL;
}

#define STATUS(ev, check) (t_result(ev, check) ? ax_check_status_name(t_result(ev, check)->status) : "(missing)")
#define MESSAGE(ev, check) (t_result(ev, check) ? t_result(ev, check)->message : "(missing)")
#define OBSERVED(ev, check) (t_result(ev, check) ? t_result(ev, check)->observed : "(missing)")

static int sh(const char *fmt, const char *arg)
{
	char *cmd = ax_asprintf(fmt, arg, arg, arg);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

int main(void)
{
	struct ax_evidence ev = {0};
	const char *dir = t_tmpdir();
	const char *script = t_write_kept("build.sh", build_script);
	char *build = ax_asprintf("sh -x %s %s >%s/build.log 2>&1 || { cat %s/build.log; exit 1; }", script, dir, dir, dir);
	int built = system(build);
	free(build);
	if (built != 0) {
		fprintf(stderr, "could not build the test repository\n");
		return 1;
	}
	char *repo = ax_asprintf("%s/repo", dir), *signers = ax_asprintf("%s/keys/allowed_signers", dir);
	char *state = ax_asprintf("%s/state", dir);
	mkdir(state, 0700);
	int64_t now = day("2026-11-29");

	/* the whole window, keys verified */
	struct ax_kv opts[] = {{"repository", repo}, {"allowed-signers", signers}, {"branch", (char *)"main"}};
	T_EQ_INT(run(opts, 3, NULL, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.signed"), "fail");
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "3 of 8 commits on main not signed by a listed key");
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "ssh-keygen -Y verify rejected it");
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "no signature");
	T_CONTAINS(OBSERVED(&ev, "change.signed"), "SSH with ssh-keygen -Y verify against allowed-signers");
	T_EQ_STR(STATUS(&ev, "change.reviewed"), "fail");
	T_CONTAINS(MESSAGE(&ev, "change.reviewed"), "3 of 6 changes on main without independent review");
	T_CONTAINS(MESSAGE(&ev, "change.reviewed"), "self-merge");
	T_CONTAINS(MESSAGE(&ev, "change.reviewed"), "no review");
	T_EQ_STR(STATUS(&ev, "change.history_rewritten"), "skip");
	T_EQ_STR(STATUS(&ev, "change.drift"), "skip");
	const struct ax_artifact *a = artifact(&ev, "commits.json");
	T_OK(a != NULL);
	if (a) {
		T_OK(!strstr(a->data.ptr, "example.com")); /* people only as pseudonyms */
		T_CONTAINS(a->data.ptr, "\"signed\": \"ssh-verified\"");
		T_CONTAINS(a->data.ptr, "\"signed\": \"ssh-bad\"");
		T_CONTAINS(a->data.ptr, "\"review\": \"trailer\"");
		T_CONTAINS(a->data.ptr, "\"review\": \"merge\"");
	}
	for (size_t i = 0; i < ev.nresults; i++)
		T_OK(!strstr(ev.results[i].message, "example.com") && !strstr(ev.results[i].observed, "example.com"));

	/* one day window at main~5: only the signed, reviewed commit of 2026-11-01 */
	struct ax_kv early[] = {{"repository", repo}, {"allowed-signers", signers}, {"branch", (char *)"main~5"}, {"window", (char *)"1d"}};
	T_EQ_INT(run(early, 4, NULL, day("2026-11-01T12:00:00Z"), &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.signed"), "pass");
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "all 1 commits on main~5 signed (verified: SSH with ssh-keygen");
	T_EQ_STR(STATUS(&ev, "change.reviewed"), "pass");

	/* without allowed-signers only presence counts: mallory's key passes */
	struct ax_kv presence[] = {{"repository", repo}, {"window", (char *)"2d"}};
	T_EQ_INT(run(presence, 2, NULL, day("2026-11-07T12:00:00Z"), &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.signed"), "pass"); /* feature2, its merge, mallory's; 11-05 is out */
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "presence only");

	/* a PGP signature is recognised, but cannot satisfy allowed-signers */
	struct ax_kv gpg[] = {{"repository", repo}, {"branch", (char *)"gpg"}, {"window", (char *)"1d"}, {"allowed-signers", signers}};
	T_EQ_INT(run(gpg, 3, NULL, day("2026-11-06T12:00:00Z"), &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.signed"), "pass");
	T_EQ_INT(run(gpg, 4, NULL, day("2026-11-06T12:00:00Z"), &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.signed"), "fail");
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "gpgsig present, not verified: gpg not configured");

	/* a real GPG signature verifies against gpg-home, not against another keyring */
	if (system("command -v gpg >/dev/null") == 0) {
		char *home = ax_asprintf("%s/gnupg", dir), *empty = ax_asprintf("%s/gnupg-empty", dir);
		struct ax_kv g[] = {{"repository", repo}, {"branch", (char *)"gpgreal"}, {"window", (char *)"1d"}, {"gpg-home", home}};
		T_EQ_INT(run(g, 4, NULL, day("2026-11-08T12:00:00Z"), &ev), 0);
		T_EQ_STR(STATUS(&ev, "change.signed"), "pass");
		T_CONTAINS(artifact(&ev, "commits.json") ? artifact(&ev, "commits.json")->data.ptr : NULL, "gpg-verified");
		g[3].value = empty;
		T_EQ_INT(run(g, 4, NULL, day("2026-11-08T12:00:00Z"), &ev), 0);
		T_EQ_STR(STATUS(&ev, "change.signed"), "fail");
		T_CONTAINS(MESSAGE(&ev, "change.signed"), "gpg --verify: no such key in gpg-home (ERRSIG)");
		free(home), free(empty);
	}

	/* history: first run records, a fast-forward passes, a force-push fails once */
	struct ax_kv hist[] = {{"repository", repo}};
	T_EQ_INT(run(hist, 1, state, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.history_rewritten"), "info"); /* nothing compared yet */
	T_CONTAINS(MESSAGE(&ev, "change.history_rewritten"), "first run on main");
	T_EQ_INT(sh("cd %s/repo && echo x >> log.txt && GIT_CONFIG_GLOBAL=/dev/null git -c user.name=a -c user.email=a@example.com commit -qam ff", dir), 0);
	T_EQ_INT(run(hist, 1, state, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.history_rewritten"), "pass");
	T_CONTAINS(MESSAGE(&ev, "change.history_rewritten"), "descends from the previous tip");
	T_EQ_INT(sh("cd %s/repo && GIT_CONFIG_GLOBAL=/dev/null git -c user.name=a -c user.email=a@example.com commit -q --amend -m rewritten", dir), 0);
	T_EQ_INT(run(hist, 1, state, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.history_rewritten"), "fail");
	T_CONTAINS(MESSAGE(&ev, "change.history_rewritten"), "main was rewritten (force-push)");
	T_EQ_INT(run(hist, 1, state, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.history_rewritten"), "pass");

	/* drift: equal, then edited by hand on the server with a secret added */
	char *live = ax_asprintf("%s/live-main.cf", dir);
	T_EQ_INT(sh("cp %s/repo/etc/main.cf %s/live-main.cf", dir), 0);
	char *pair = ax_asprintf("%s:etc/main.cf", live), *missing = ax_asprintf("%s:etc/nope.cf", live);
	struct ax_kv drift[] = {{"repository", repo}, {"deployed", pair}};
	T_EQ_INT(run(drift, 2, NULL, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.drift"), "pass");
	T_EQ_STR(MESSAGE(&ev, "change.drift"), "all 1 deployed files equal their blobs at the tip of main");
	T_EQ_INT(sh("printf 'relayhost = [relay.cheap-esp.example]:25\\nsmtp_tls_security_level = encrypt\\nsmtp_sasl_password = s3cret-pw\\n' > %s/live-main.cf", dir), 0);
	T_EQ_INT(run(drift, 2, NULL, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.drift"), "fail");
	T_CONTAINS(MESSAGE(&ev, "change.drift"), "differs from etc/main.cf at the tip (+2 -1 lines, diff in drift/fetc_main.cf.diff)");
	a = artifact(&ev, "drift/fetc_main.cf.diff");
	T_OK(a != NULL);
	if (a) {
		T_CONTAINS(a->data.ptr, "+relayhost = [relay.cheap-esp.example]:25");
		T_CONTAINS(a->data.ptr, "-relayhost = [smtp.eu.mailgun.org]:587");
		T_CONTAINS(a->data.ptr, "[REDACTED]");
		T_OK(!strstr(a->data.ptr, "s3cret-pw"));
	}
	drift[1].value = missing;
	T_EQ_INT(run(drift, 2, NULL, now, &ev), 0);
	T_EQ_STR(STATUS(&ev, "change.drift"), "fail");
	T_CONTAINS(MESSAGE(&ev, "change.drift"), "etc/nope.cf is not a file in the repository");

	/* not a repository: every check is an error naming it */
	struct ax_kv none[] = {{"repository", (char *)"/nonexistent/repo"}};
	T_EQ_INT(run(none, 1, NULL, now, &ev), 0);
	T_EQ_INT(ev.nresults, 4);
	T_EQ_STR(STATUS(&ev, "change.drift"), "error");
	T_CONTAINS(MESSAGE(&ev, "change.signed"), "/nonexistent/repo");
	struct ax_kv nobranch[] = {{"repository", repo}, {"branch", (char *)"release"}};
	T_EQ_INT(run(nobranch, 2, NULL, now, &ev), 0);
	T_CONTAINS(MESSAGE(&ev, "change.reviewed"), "branch 'release' not found");

	free(repo), free(signers), free(state), free(live), free(pair), free(missing);
	ax_evidence_free(&ev);
	return t_done();
}
