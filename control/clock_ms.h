/* clock_ms.h: the monotonic clock in milliseconds, for the control side's
 * deadlines and timers (control server, metrics, telemetry, the control
 * loop, the client library and CLI). Header only; any thread. */
#ifndef SRTPFWD_CLOCK_MS_H
#define SRTPFWD_CLOCK_MS_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
