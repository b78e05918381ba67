/* log_limit.c: see log_limit.h. */
#include <time.h>

#include <rte_log.h>

#include "log_limit.h"

int
log_limit_allow(struct log_limit *l, uint32_t logtype, const char *who)
{
	struct timespec ts;
	int64_t sec;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sec = (int64_t)ts.tv_sec;
	if (sec != l->second) {
		if (l->suppressed != 0)
			rte_log(RTE_LOG_WARNING, logtype,
				"%s: %u more client events not logged in the last second\n", who,
				l->suppressed);
		l->second = sec;
		l->lines = 0;
		l->suppressed = 0;
	}
	if (l->lines < LOG_LIMIT_PER_S) {
		l->lines++;
		return 1;
	}
	l->suppressed++;
	return 0;
}
