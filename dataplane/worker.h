/* worker.h: a worker lcore's private state.
 *
 * Owned and written by one worker; the control thread reads stats (plain
 * loads, values may be a burst stale) and sets up the struct before the
 * worker starts. Nothing here is shared between workers.
 */
#ifndef SRTPFWD_WORKER_H
#define SRTPFWD_WORKER_H

#include "crypto.h"
#include "stats.h"

struct worker {
	unsigned int id;
	/* Coarse wall clock in milliseconds, set by the worker loop once per
	 * iteration (wraps after 49 days; compared modulo 2^32). SSRC slots
	 * use it to tell an idle stream from a live one. */
	uint32_t now_ms;
	struct worker_stats stats;
	struct crypto_worker crypto;
};

#endif
