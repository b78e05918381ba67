/* fault_watch.c: episodes from counter samples (see fault_watch.h). */
#include "fault_watch.h"

static const char *const NAMES[FAULT_MAX] = {
#define X(name, lower, count, quiet, text) #lower,
	FOREACH_FAULT(X)
#undef X
};
static const char *const TEXTS[FAULT_MAX] = {
#define X(name, lower, count, quiet, text) text,
	FOREACH_FAULT(X)
#undef X
};
static const char *const COUNTERS[FAULT_MAX] = {
#define X(name, lower, count, quiet, text) count,
	FOREACH_FAULT(X)
#undef X
};

const char *
fault_name(enum fault_kind k)
{
	return (unsigned int)k < FAULT_MAX ? NAMES[k] : "?";
}

static const uint64_t QUIET[FAULT_MAX] = {
#define X(name, lower, count, quiet, text) quiet,
	FOREACH_FAULT(X)
#undef X
};

uint64_t
fault_quiet_ms(enum fault_kind k)
{
	return (unsigned int)k < FAULT_MAX ? QUIET[k] : 0;
}

const char *
fault_text(enum fault_kind k)
{
	return (unsigned int)k < FAULT_MAX ? TEXTS[k] : "?";
}

const char *
fault_counter(enum fault_kind k)
{
	return (unsigned int)k < FAULT_MAX ? COUNTERS[k] : "?";
}

void
fault_watch_update(struct fault_watch *w, const uint64_t count[FAULT_MAX], uint64_t now_ms,
		   fault_report_fn report, void *ctx)
{
	for (unsigned int k = 0; k < FAULT_MAX; k++) {
		uint64_t c = count[k];

		if (!w->primed) {
			w->f[k].last = c;
			continue;
		}
		/* a counter that went backwards (a port reset its stats) is a
		 * new baseline, not an episode */
		if (c < w->f[k].last) {
			w->f[k].last = c;
			if (w->f[k].active)
				w->f[k].at_start = c;
			continue;
		}
		if (c > w->f[k].last) {
			if (!w->f[k].active) {
				w->f[k].active = 1;
				w->f[k].at_start = w->f[k].last;
				w->f[k].start_ms = now_ms;
				w->episodes[k]++;
				report(ctx, (enum fault_kind)k, 0, c - w->f[k].last, 0);
			}
			w->f[k].grew_ms = now_ms;
			w->f[k].last = c;
		} else if (w->f[k].active && now_ms - w->f[k].grew_ms >= QUIET[k]) {
			w->f[k].active = 0;
			report(ctx, (enum fault_kind)k, 1, c - w->f[k].at_start,
			       w->f[k].grew_ms - w->f[k].start_ms);
		}
	}
	w->primed = 1;
}
