/* accesslog_report.c - accumulates what the accesslog probe reads and turns
 * it into check results (see accesslog_report.h for the bounds). */
#include "accesslog_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "population.h"
#include "probe.h"
#include "redact.h"
#include "util.h"

enum { EX_FAIL, EX_PRIV, EX_CLEAR };
#define EXCERPT_LINE_MAX 512

void al_report_init(struct al_report *rep, struct ax_probe_ctx *ctx, int format)
{
	memset(rep, 0, sizeof(*rep));
	rep->ctx = ctx;
	rep->format = format < 0 ? AL_SSHD : (enum al_format)format;
	ax_logclock_init(&rep->clock, ax_probe_now(ctx));
	rep->since = ax_probe_now(ctx) - ax_probe_opt_int(ctx, "lookback");
	rep->window = ax_probe_opt_int(ctx, "window");
	if (rep->window <= 0)
		rep->window = 600;
	rep->max_failures = (unsigned)ax_probe_opt_int(ctx, "max-failures");
	rep->excerpt_max = (size_t)ax_probe_opt_int(ctx, "excerpt-lines");
	rep->perm_items = json_array();
	for (size_t i = 0; i < ax_probe_opt_count(ctx, "admin-user") && rep->nadmins < AL_MAX_ADMINS; i++)
		rep->admins[rep->nadmins++] = ax_probe_opt_at(ctx, "admin-user", i);
}

void al_report_problem(struct al_report *rep, const char *fmt, ...)
{
	va_list ap;
	if (rep->nproblems++ >= 20)
		return;
	if (rep->problems.size)
		ax_buf_puts(&rep->problems, "; ");
	va_start(ap, fmt);
	ax_buf_vprintf(&rep->problems, fmt, ap);
	va_end(ap);
}

void al_report_permissions(struct al_report *rep, const char *path, const struct stat *st)
{
	char mode[8];
	unsigned perm = st->st_mode & 07777;
	snprintf(mode, sizeof(mode), "%04o", perm);
	int bad = (perm & 0006) != 0;
	rep->perm_bad += bad;
	if (json_array_size(rep->perm_items) < 100)
		json_array_append_new(rep->perm_items, json_pack("{s:s,s:s,s:i,s:i,s:b}", "path", path, "mode", mode,
								 "uid", (int)st->st_uid, "gid", (int)st->st_gid,
								 "ok", !bad));
}

void al_report_entry_time(struct al_report *rep, int64_t t)
{
	if (!rep->oldest || t < rep->oldest)
		rep->oldest = t;
	if (!rep->newest || t > rep->newest)
		rep->newest = t;
}

static void span_cstr(struct al_span s, char *out, size_t cap)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	if (n) /* an absent user is a NULL span; memcpy from NULL is undefined even for 0 bytes */
		memcpy(out, s.ptr, n);
	out[n] = 0;
}

/* One excerpt line: "path:line: text", user replaced by its pseudonym and
 * so is every other e-mail address, non-printable bytes escaped, then
 * redacted like every other evidence. */
static void excerpt_add(struct al_report *rep, int which, const char *path, const struct ax_logline *line,
			struct al_span user)
{
	if (rep->nexcerpt[which] >= rep->excerpt_max)
		return;
	rep->nexcerpt[which]++;
	struct ax_buf raw = AX_BUF_INIT, tmp = AX_BUF_INIT;
	char pseudo[20], name[256];
	span_cstr(user, name, sizeof(name));
	ax_probe_pseudonym(rep->ctx, name, pseudo);
	if (user.len && user.ptr >= line->ptr && user.ptr + user.len <= line->ptr + line->len) {
		ax_buf_put(&raw, line->ptr, (size_t)(user.ptr - line->ptr));
		ax_buf_puts(&raw, pseudo);
		ax_buf_put(&raw, user.ptr + user.len, line->len - (size_t)(user.ptr - line->ptr) - user.len);
	} else {
		ax_buf_put(&raw, line->ptr, line->len);
	}
	ax_buf_printf(&tmp, "%s:%zu: ", path, line->lineno);
	ax_probe_safe_text(rep->ctx, raw.ptr ? raw.ptr : "", raw.size, EXCERPT_LINE_MAX, &tmp);
	if (line->truncated && !strstr(ax_buf_cstr(&tmp), " [cut]"))
		ax_buf_puts(&tmp, " [cut]");
	if (ax_redact(tmp.ptr, tmp.size, NULL, &rep->excerpt[which]) < 0)
		ax_buf_puts(&rep->excerpt[which], AX_REDACTED);
	ax_buf_putc(&rep->excerpt[which], '\n');
	ax_buf_free(&raw);
	ax_buf_free(&tmp);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct al_source *source_slot(struct al_report *rep, struct al_span src)
{
	char key[64];
	span_cstr(src, key, sizeof(key));
	if (!key[0])
		memcpy(key, "unknown", 8);
	if (rep->nsources * 2 >= rep->asources) {
		if (rep->asources >= 2 * AL_MAX_SOURCES) {
			/* full: only sources already known are counted */
		} else {
			size_t old_n = rep->asources;
			struct al_source *old = rep->sources;
			rep->asources = old_n ? 2 * old_n : 64;
			rep->sources = ax_calloc(rep->asources, sizeof(*rep->sources));
			rep->nsources = 0;
			for (size_t i = 0; i < old_n; i++) {
				if (!old[i].key[0])
					continue;
				size_t h = (size_t)fnv1a(old[i].key) & (rep->asources - 1);
				while (rep->sources[h].key[0])
					h = (h + 1) & (rep->asources - 1);
				rep->sources[h] = old[i];
				rep->nsources++;
			}
			free(old);
		}
	}
	size_t h = (size_t)fnv1a(key) & (rep->asources - 1);
	while (rep->sources[h].key[0]) {
		if (strcmp(rep->sources[h].key, key) == 0)
			return &rep->sources[h];
		h = (h + 1) & (rep->asources - 1);
	}
	if (rep->nsources * 2 >= rep->asources)
		return NULL;
	memcpy(rep->sources[h].key, key, sizeof(key));
	rep->sources[h].last_slot = -1;
	rep->nsources++;
	return &rep->sources[h];
}

static void user_count(struct al_user *users, size_t *n, const char *pseudo, int64_t t)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(users[i].pseudonym, pseudo) == 0) {
			users[i].count++;
			if (t < users[i].first)
				users[i].first = t;
			if (t > users[i].last)
				users[i].last = t;
			return;
		}
	if (*n == AL_MAX_USERS)
		return;
	memcpy(users[*n].pseudonym, pseudo, 20);
	users[*n].count = 1;
	users[*n].first = users[*n].last = t;
	(*n)++;
}

/* ax_probe_pseudonym() of a user name, cached (the same few admin names
 * log in all day; an HMAC per line would dominate a large log's scan). */
static void pseudonym_of(struct al_report *rep, struct al_span user, char pseudo[20])
{
	char name[256];
	span_cstr(user, name, sizeof(name));
	size_t n = strlen(name);
	if (n >= sizeof(rep->pseudo[0].name)) {
		ax_probe_pseudonym(rep->ctx, name, pseudo);
		return;
	}
	for (size_t i = 0; i < AL_PSEUDO_CACHE; i++)
		if (rep->pseudo[i].name[0] && strcmp(rep->pseudo[i].name, name) == 0) {
			memcpy(pseudo, rep->pseudo[i].pseudonym, 20);
			return;
		}
	ax_probe_pseudonym(rep->ctx, name, pseudo);
	struct al_pseudo_cache *slot = &rep->pseudo[rep->pseudo_next++ % AL_PSEUDO_CACHE];
	memcpy(slot->name, name, n + 1);
	memcpy(slot->pseudonym, pseudo, 20);
}

static int is_admin(struct al_report *rep, struct al_span user)
{
	for (size_t i = 0; i < rep->nadmins; i++)
		if (strlen(rep->admins[i]) == user.len && memcmp(rep->admins[i], user.ptr, user.len) == 0)
			return 1;
	return 0;
}

void al_report_event(struct al_report *rep, const struct al_event *ev, int64_t t, const char *path,
		     const struct ax_logline *line)
{
	if (t < rep->since)
		return;
	if (ev->kind == AL_FAILURE) {
		rep->failures += ev->attempts;
		struct al_source *s = source_slot(rep, ev->source);
		if (!s) {
			rep->untracked += ev->attempts;
			return;
		}
		int64_t width = rep->window / AL_SLOTS > 0 ? rep->window / AL_SLOTS : 1;
		int64_t slot = t / width;
		if (s->last_slot < 0 || slot - s->last_slot >= AL_SLOTS) {
			memset(s->ring, 0, sizeof(s->ring));
			s->count = 0;
			s->last_slot = slot;
		} else {
			/* sub-windows that slid out of the window since the last failure */
			for (int64_t k = s->last_slot + 1; k <= slot; k++) {
				s->count -= s->ring[k % AL_SLOTS];
				s->ring[k % AL_SLOTS] = 0;
			}
			if (slot > s->last_slot)
				s->last_slot = slot;
		}
		/* a line older than the window (logs out of order) counts in totals only */
		unsigned before = s->count;
		if (s->last_slot - slot < AL_SLOTS) {
			s->ring[slot % AL_SLOTS] += ev->attempts;
			s->count += ev->attempts;
		}
		s->total += ev->attempts;
		if (s->count > s->max) {
			s->max = s->count;
			s->max_end = (s->last_slot + 1) * width;
		}
		if (before <= rep->max_failures && s->count > rep->max_failures) {
			rep->offending_windows++;
			excerpt_add(rep, EX_FAIL, path, line, ev->user);
		}
		return;
	}
	char pseudo[20];
	int admin = is_admin(rep, ev->user);
	rep->logins++;
	if (ev->tls < 0)
		rep->tls_unknown++;
	if (!admin && ev->tls != 0)
		return;
	/* only what becomes evidence is pseudonymised (an HMAC per line is slow) */
	pseudonym_of(rep, ev->user, pseudo);
	if (admin) {
		rep->privileged++;
		user_count(rep->priv, &rep->npriv, pseudo, t);
		excerpt_add(rep, EX_PRIV, path, line, ev->user);
	}
	if (ev->tls == 0) {
		rep->cleartext++;
		user_count(rep->clear, &rep->nclear, pseudo, t);
		excerpt_add(rep, EX_CLEAR, path, line, ev->user);
	}
}

static json_t *users_json(const struct al_user *users, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		char f[32], l[32];
		ax_time_format(users[i].first, f);
		ax_time_format(users[i].last, l);
		json_array_append_new(a, json_pack("{s:s,s:I,s:s,s:s}", "user", users[i].pseudonym, "count",
						   (json_int_t)users[i].count, "first", f, "last", l));
	}
	return a;
}

static int by_max_desc(const void *a, const void *b)
{
	const struct al_source *x = a, *y = b;
	return x->max < y->max ? 1 : x->max > y->max ? -1 : strcmp(x->key, y->key);
}

static void emit_failures(struct al_report *rep)
{
	char win[32];
	ax_duration_format(rep->window, win);
	struct al_source *off = ax_calloc(rep->nsources + 1, sizeof(*off));
	size_t noff = 0;
	for (size_t i = 0; i < rep->asources; i++)
		if (rep->sources[i].key[0] && rep->sources[i].max > rep->max_failures)
			off[noff++] = rep->sources[i];
	qsort(off, noff, sizeof(*off), by_max_desc);
	json_t *list = json_array();
	for (size_t i = 0; i < noff && i < 20; i++) {
		char ws[32];
		ax_time_format(off[i].max_end - rep->window, ws);
		json_array_append_new(list, json_pack("{s:s,s:i,s:I,s:s}", "source", off[i].key, "max_in_window",
						      (int)off[i].max, "total", (json_int_t)off[i].total,
						      "window_start", ws));
	}
	/* every burst, not the 20 the result lists: the population */
	static const char *const cols[] = {"window_start", "max_in_window", "total_failures", NULL};
	struct ax_population *pop = ax_population_open(rep->ctx, "failure-bursts", cols);
	for (size_t i = 0; i < noff; i++) {
		char ws[32], mx[16], tot[24];
		ax_time_format(off[i].max_end - rep->window, ws);
		snprintf(mx, sizeof(mx), "%u", off[i].max);
		snprintf(tot, sizeof(tot), "%llu", (unsigned long long)off[i].total);
		const char *vals[] = {ws, mx, tot};
		ax_population_row(pop, off[i].key, vals);
	}
	struct ax_buf src = AX_BUF_INIT;
	ax_buf_puts(&src, "log files");
	for (size_t i = 0; i < ax_probe_opt_count(rep->ctx, "path"); i++)
		ax_buf_printf(&src, " %s", ax_probe_opt_at(rep->ctx, "path", i));
	ax_population_close(pop, ax_buf_cstr(&src),
			    "every failure source (the item) whose failed logins within one sliding window exceeded "
			    "max-failures; the window with the most failures is given",
			    json_pack("{s:s,s:i}", "window", win, "max_failures", (int)rep->max_failures),
			    ax_pop_frequency_of_count((int64_t)noff, rep->newest - rep->oldest));
	ax_buf_free(&src);
	json_t *obs = json_pack("{s:s,s:i,s:I,s:i,s:I,s:o}", "window", win, "max_failures", (int)rep->max_failures,
				"failures", (json_int_t)rep->failures, "sources", (int)rep->nsources, "untracked",
				(json_int_t)rep->untracked, "offending", list);
	if (noff)
		ax_probe_result(rep->ctx, "log.auth_failures", AX_CHECK_FAIL, obs,
				     "%zu source(s) exceeded %u failed logins in %s (worst: %s with %u)", noff,
				     rep->max_failures, win, off[0].key, off[0].max);
	else
		ax_probe_result(rep->ctx, "log.auth_failures", AX_CHECK_PASS, obs,
				     "%llu failed login(s) from %zu source(s), none above %u in %s",
				     (unsigned long long)rep->failures, rep->nsources, rep->max_failures, win);
	free(off);
}

static void emit_times(struct al_report *rep, int64_t now)
{
	char o[32] = "", n[32] = "", lim[32];
	if (rep->oldest)
		ax_time_format(rep->oldest, o);
	if (rep->newest)
		ax_time_format(rep->newest, n);
	int64_t silence = ax_probe_opt_int(rep->ctx, "max-silence");
	int64_t retention = ax_probe_opt_int(rep->ctx, "min-retention");
	if (!rep->newest) {
		ax_probe_result(rep->ctx, "log.fresh", AX_CHECK_FAIL, NULL, "no timestamped entry found");
		ax_probe_result(rep->ctx, "log.retention", AX_CHECK_FAIL, NULL, "no timestamped entry found");
		return;
	}
	ax_duration_format(silence, lim);
	json_t *obs = json_pack("{s:s,s:I,s:s}", "newest", n, "age_seconds", (json_int_t)(now - rep->newest),
				"max_silence", lim);
	if (now - rep->newest > silence)
		ax_probe_result(rep->ctx, "log.fresh", AX_CHECK_FAIL, obs,
				      "newest entry %s is older than %s: logging may have stopped", n, lim);
	else
		ax_probe_result(rep->ctx, "log.fresh", AX_CHECK_PASS, obs, "newest entry %s", n);
	ax_duration_format(retention, lim);
	obs = json_pack("{s:s,s:s,s:I,s:s,s:i}", "oldest", o, "newest", n, "covered_seconds",
			(json_int_t)(now - rep->oldest), "min_retention", lim, "files", (int)rep->files);
	if (now - rep->oldest < retention)
		ax_probe_result(rep->ctx, "log.retention", AX_CHECK_FAIL, obs,
				      "oldest entry %s covers less than %s", o, lim);
	else
		ax_probe_result(rep->ctx, "log.retention", AX_CHECK_PASS, obs,
				      "entries from %s to %s cover %s", o, n, lim);
}

/* The id privileged logins are reported under: the mode decides. */
static const char *privileged_check(struct ax_probe_ctx *ctx)
{
	return strcmp(ax_probe_opt(ctx, "privileged-login"), "forbid") == 0 ? "log.privileged_logins.forbidden"
									     : "log.privileged_logins";
}

int al_report_emit(struct al_report *rep)
{
	struct ax_probe_ctx *ctx = rep->ctx;
	int64_t now = ax_probe_now(ctx);
	int rc = 0;
	static const char *const fmt_names[] = {"postfix", "dovecot", "sshd", "nginx"};
	const char *fmt = fmt_names[rep->format];

	if (!rep->files) {
		const char *why = rep->problems.size ? ax_buf_cstr(&rep->problems) : "no file matched";
		ax_probe_result(ctx, "log.present", AX_CHECK_FAIL, NULL, "no log file: %s", why);
		static const char *const rest[] = {"log.fresh", "log.retention", "log.permissions", "log.auth_failures",
						   "log.cleartext_auth"};
		for (size_t i = 0; i < 5; i++)
			ax_probe_result(ctx, rest[i], AX_CHECK_SKIP, NULL, "no log file");
		ax_probe_result(ctx, privileged_check(ctx), AX_CHECK_SKIP, NULL, "no log file");
		return rc ? AX_ERROR : 0;
	}
	if (rep->nproblems)
		ax_probe_result(ctx, "log.present", AX_CHECK_FAIL,
				      json_pack("{s:i,s:i}", "files", (int)rep->files, "problems", (int)rep->nproblems),
				      "%s", ax_buf_cstr(&rep->problems));
	else
		ax_probe_result(ctx, "log.present", AX_CHECK_PASS, json_pack("{s:i}", "files", (int)rep->files),
				      "%zu log file(s) read", rep->files);
	emit_times(rep, now);
	ax_probe_result(ctx, "log.permissions", rep->perm_bad ? AX_CHECK_FAIL : AX_CHECK_PASS,
			      json_pack("{s:O}", "files", rep->perm_items),
			      rep->perm_bad ? "%d log file(s) readable or writable by others"
					    : "no log file readable or writable by others (of %d)",
			      rep->perm_bad ? rep->perm_bad : (int)rep->files);
	emit_failures(rep);

	/* review lists and cannot fail: info, never a pass that would stand
	 * for A.8.2; forbid tests, under its own id so that only it is mapped
	 * to A.8.2 (mapping/accesslog.xml). */
	int forbid = strcmp(privileged_check(ctx), "log.privileged_logins.forbidden") == 0;
	json_t *obs = json_pack("{s:I,s:I,s:o,s:s}", "logins", (json_int_t)rep->logins, "privileged",
				(json_int_t)rep->privileged, "users", users_json(rep->priv, rep->npriv), "mode",
				forbid ? "forbid" : "review");
	ax_probe_result(ctx, privileged_check(ctx),
			      !forbid ? AX_CHECK_INFO : rep->privileged ? AX_CHECK_FAIL : AX_CHECK_PASS, obs,
			      "%llu privileged login(s) by %zu account(s) of %llu login(s)%s",
			      (unsigned long long)rep->privileged, rep->npriv, (unsigned long long)rep->logins,
			      !forbid ? ", listed for review" : rep->privileged ? ", forbidden" : "");

	if (rep->format == AL_SSHD || rep->format == AL_NGINX) {
		ax_probe_result(ctx, "log.cleartext_auth", AX_CHECK_SKIP, NULL,
				      "the %s log does not tell whether a login used TLS", fmt);
	} else {
		obs = json_pack("{s:I,s:I,s:I,s:o}", "logins", (json_int_t)rep->logins, "cleartext",
				(json_int_t)rep->cleartext, "unknown", (json_int_t)rep->tls_unknown, "users",
				users_json(rep->clear, rep->nclear));
		ax_probe_result(ctx, "log.cleartext_auth", rep->cleartext ? AX_CHECK_FAIL : AX_CHECK_PASS, obs,
				      "%llu of %llu login(s) without TLS", (unsigned long long)rep->cleartext,
				      (unsigned long long)rep->logins);
	}
	struct ax_buf ex = AX_BUF_INIT;
	static const char *const titles[] = {"failed logins above the limit", "privileged logins",
					     "logins without TLS"};
	for (int i = 0; i < 3; i++)
		if (rep->excerpt[i].size)
			ax_buf_printf(&ex, "# %s (user names pseudonymised)\n%s", titles[i], ax_buf_cstr(&rep->excerpt[i]));
	if (ex.size)
		ax_probe_artifact(ctx, "excerpt.txt", "text/plain", ex.ptr, ex.size);
	ax_buf_free(&ex);
	return rc ? AX_ERROR : 0;
}

void al_report_free(struct al_report *rep)
{
	ax_buf_free(&rep->problems);
	json_decref(rep->perm_items);
	free(rep->sources);
	for (int i = 0; i < 3; i++)
		ax_buf_free(&rep->excerpt[i]);
}
