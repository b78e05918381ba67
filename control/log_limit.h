/* log_limit.h: a cap on log lines about clients (the control server's,
 * the metrics endpoint's): one line per event, never one per request, at
 * most LOG_LIMIT_PER_S lines a second, then one line with the count of
 * what was not logged. Each limiter belongs to the module (and thread)
 * that logs through it. */
#ifndef SRTPFWD_LOG_LIMIT_H
#define SRTPFWD_LOG_LIMIT_H

#include <stdint.h>

#define LOG_LIMIT_PER_S 10

struct log_limit {
	int64_t second;
	unsigned int lines, suppressed;
};

/** 1 if one more line may be logged now. The first call in a new second
 * first logs (to @p logtype, prefixed "@p who: ") how many lines the
 * previous second held back. */
int log_limit_allow(struct log_limit *l, uint32_t logtype, const char *who);

#endif
