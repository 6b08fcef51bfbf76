/* dpkg_log.c - the events of dpkg's log lines (dpkg_log.h). */
#include "dpkg_log.h"

#include <string.h>

static const struct {
	const char *word;
	enum dpkg_log_action action;
} actions[] = {
	{"install", DPKG_LOG_INSTALL}, {"upgrade", DPKG_LOG_UPGRADE}, {"remove", DPKG_LOG_REMOVE},
	{"purge", DPKG_LOG_PURGE},     {"status", DPKG_LOG_STATUS},
};

/* The next space-separated word of [*p, end) (empty at the end). */
static struct dpkg_slice word(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
	struct dpkg_slice s = {*p, 0};
	while (*p < end && **p != ' ')
		(*p)++;
	s.n = (size_t)(*p - s.p);
	return s;
}

static int is(struct dpkg_slice s, const char *w)
{
	return s.n == strlen(w) && memcmp(s.p, w, s.n) == 0;
}

static void version(struct dpkg_slice *v)
{
	if (is(*v, "<none>"))
		v->n = 0;
}

int dpkg_log_parse(const struct ax_logclock *clock, const char *line, size_t len, struct dpkg_log_ev *ev)
{
	size_t used;
	memset(ev, 0, sizeof(*ev));
	/* "YYYY-MM-DD HH:MM:SS" exactly: the stamp parser also takes other forms */
	if (len < 20 || line[4] != '-' || line[10] != ' ' || line[19] != ' ' ||
	    ax_logtime_parse(clock, line, 19, &ev->when, &used) < 0 || used != 19)
		return 0;
	const char *p = line + 20, *end = line + len;
	struct dpkg_slice act = word(&p, end);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (is(act, actions[i].word))
			ev->action = actions[i].action;
	if (!ev->action)
		return 0;
	struct dpkg_slice a = word(&p, end), b = word(&p, end), c = word(&p, end);
	if (!c.n || word(&p, end).n)
		return 0;
	if (ev->action == DPKG_LOG_STATUS) {
		ev->from = a;
		ev->pkg = b;
		ev->to = c;
	} else {
		ev->pkg = a;
		ev->from = b;
		ev->to = c;
		version(&ev->from);
		version(&ev->to);
	}
	const char *colon = memchr(ev->pkg.p, ':', ev->pkg.n);
	if (colon) {
		ev->arch.p = colon + 1;
		ev->arch.n = (size_t)(ev->pkg.p + ev->pkg.n - colon - 1);
		ev->pkg.n = (size_t)(colon - ev->pkg.p);
	}
	return ev->pkg.n ? 1 : 0;
}
