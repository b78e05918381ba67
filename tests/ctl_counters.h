/* ctl_counters.h: a STATS reply as a list of (name, value), for tests that
 * drive srtpfwd over libsrtpfwd-ctl: counters_add() is the
 * srtpfwd_ctl_stats() callback, counter_find() and ctr() read it back.
 * Test code only. */
#ifndef SRTPFWD_TESTS_CTL_COUNTERS_H
#define SRTPFWD_TESTS_CTL_COUNTERS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define COUNTERS_MAX 256
struct counters {
	unsigned int n;
	struct {
		char name[64];
		uint64_t v;
	} c[COUNTERS_MAX];
};

static inline void
counters_add(void *ctx, const char *name, uint64_t v)
{
	struct counters *cs = ctx;

	if (cs->n == COUNTERS_MAX)
		return;
	snprintf(cs->c[cs->n].name, sizeof(cs->c[0].name), "%s", name);
	cs->c[cs->n++].v = v;
}

static inline int
counter_find(const struct counters *cs, const char *name, uint64_t *v)
{
	for (unsigned int i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].name, name) == 0) {
			*v = cs->c[i].v;
			return 1;
		}
	return 0;
}

/* A counter that must be there: a missing one is UINT64_MAX, which fails
 * the check it is in, and is named on stderr. */
static inline uint64_t
ctr(const struct counters *cs, const char *name)
{
	uint64_t v;

	if (counter_find(cs, name, &v))
		return v;
	fprintf(stderr, "  no counter %s\n", name);
	return UINT64_MAX;
}

#endif
