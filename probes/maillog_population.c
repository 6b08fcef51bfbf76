/* maillog_population.c - the populations of `maillog-consent`
 * (maillog_population.h).
 *
 * Days are kept in a sorted array: a log spans days, not millions of
 * them, so the per-day counts stay small whatever the volume. */
#include "maillog_population.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "population.h"
#include "util.h"

struct day {
	int64_t day; /* days since the epoch */
	uint64_t deliveries, violations;
};

struct ax_mlc_pop {
	struct ax_probe_ctx *ctx;
	struct ax_population *violations;
	struct day *days;
	size_t ndays, adays;
	size_t last; /* the day last counted: a log's lines come in time order */
	/* the last violation's time, formatted: a busy log has many a second */
	int64_t at_time;
	char at[32];
};

struct ax_mlc_pop *ax_mlc_pop_open(struct ax_probe_ctx *ctx)
{
	static const char *const cols[] = {"delivered_at", "reason", NULL};
	struct ax_mlc_pop *p = ax_calloc(1, sizeof(*p));
	p->ctx = ctx;
	p->violations = ax_population_open(ctx, "violations", cols);
	p->at_time = INT64_MIN;
	return p;
}

static struct day *day_of(struct ax_mlc_pop *p, int64_t t)
{
	int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	if (p->last < p->ndays && p->days[p->last].day == d)
		return &p->days[p->last];
	size_t lo = 0, hi = p->ndays;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->days[mid].day < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	p->last = lo;
	if (lo < p->ndays && p->days[lo].day == d)
		return &p->days[lo];
	if (p->ndays == p->adays) {
		p->adays = p->adays ? 2 * p->adays : 64;
		p->days = ax_realloc(p->days, p->adays * sizeof(*p->days));
	}
	memmove(&p->days[lo + 1], &p->days[lo], (p->ndays - lo) * sizeof(*p->days));
	p->ndays++;
	p->days[lo] = (struct day){d, 0, 0};
	return &p->days[lo];
}

void ax_mlc_pop_delivery(struct ax_mlc_pop *p, int64_t t)
{
	if (p)
		day_of(p, t)->deliveries++;
}

void ax_mlc_pop_violation(struct ax_mlc_pop *p, const char *addr, int64_t t, const char *reason)
{
	char pseudo[20], item[20 + 32];
	if (!p)
		return;
	day_of(p, t)->violations++;
	if (t != p->at_time) {
		ax_time_format(t, p->at);
		p->at_time = t;
	}
	ax_probe_pseudonym(p->ctx, addr, pseudo);
	/* "p:<16 hex>/<time>": no format string per row */
	size_t n = strnlen(pseudo, 18), m = strlen(p->at);
	memcpy(item, pseudo, n);
	item[n] = '/';
	memcpy(item + n + 1, p->at, m + 1);
	const char *vals[] = {p->at, reason};
	ax_population_row(p->violations, item, vals);
}

void ax_mlc_pop_close(struct ax_mlc_pop *p, int complete)
{
	static const char *const cols[] = {"deliveries", "violations", NULL};
	if (!p)
		return;
	struct ax_buf src = AX_BUF_INIT;
	ax_buf_printf(&src, "mail log %s", ax_probe_opt(p->ctx, "log"));
	if (!complete) {
		ax_population_abandon(p->violations);
	} else {
		ax_population_close(p->violations, ax_buf_cstr(&src),
				    "every campaign delivery (status=sent from a campaign-sender) to an address without "
				    "confirmed consent at that time, or later than its unsubscribe plus unsubscribe-grace",
				    json_pack("{s:I}", "unsubscribe_grace_seconds",
					      (json_int_t)ax_probe_opt_int(p->ctx, "unsubscribe-grace")),
				    AX_FREQ_MANY_DAILY);
		struct ax_population *days = ax_population_open(p->ctx, "deliveries-per-day", cols);
		for (size_t i = 0; i < p->ndays; i++) {
			char at[32], n[24], v[24];
			ax_time_format(p->days[i].day * 86400, at);
			at[10] = '\0'; /* YYYY-MM-DD */
			snprintf(n, sizeof(n), "%llu", (unsigned long long)p->days[i].deliveries);
			snprintf(v, sizeof(v), "%llu", (unsigned long long)p->days[i].violations);
			const char *vals[] = {n, v};
			ax_population_row(days, at, vals);
		}
		ax_population_close(days, ax_buf_cstr(&src),
				    "campaign deliveries (status=sent from a campaign-sender) counted per UTC day of "
				    "their log time, with the violating ones among them",
				    NULL, AX_FREQ_DAILY);
	}
	ax_buf_free(&src);
	free(p->days);
	free(p);
}
