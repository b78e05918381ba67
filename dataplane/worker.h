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
	struct worker_stats stats;
	struct crypto_worker crypto;
};

#endif
