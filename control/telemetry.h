/* telemetry.h: srtpfwd's DPDK telemetry commands (rte_telemetry.h, the
 * dpdk_telemetry.v2 socket in the EAL runtime directory):
 *
 *   /srtpfwd/stats     the process counters (ctl_stats.h) but ports and workers
 *   /srtpfwd/ports     per port: name, DPDK port id, counters
 *   /srtpfwd/workers   per worker: counters and non-zero drops; ,N: worker N, every drop
 *   /srtpfwd/sessions  the session count and the first TELEMETRY_SESSIONS_MAX
 *                      sessions (slot, id, legs); ,SLOT: that one session
 *
 * Never a key: sessions show suite names only.
 *
 * Threads: DPDK runs the callbacks on its telemetry threads (one per
 * connected client), while the counters and sessions belong to the control
 * thread. A callback does not read them: it posts a request and waits (at
 * most TELEMETRY_WAIT_MS) for the control thread, which copies what was
 * asked into a snapshot under a mutex in telemetry_poll(). The callback
 * formats that copy. The control thread never waits: it only try-locks,
 * and answers on a later turn if the lock is busy. If it does not answer
 * in time (stopped in a debugger, a long operation), the callback answers
 * from the last snapshot and counts it (telemetry.stale).
 */
#ifndef SRTPFWD_TELEMETRY_H
#define SRTPFWD_TELEMETRY_H

#include <stdint.h>

#define TELEMETRY_SESSIONS_MAX 16 /* the reply of one command is at most 16 KiB */
#define TELEMETRY_WORKERS_MAX 32 /* listed without a parameter */
#define TELEMETRY_WAIT_MS 500

/* Written by the telemetry threads (atomics), read by the control thread. */
struct telemetry_stats {
	uint64_t requests;
	uint64_t stale;
	uint64_t bad_params;
};

struct telemetry;
struct ctl_stats_src;

/**
 * Register the /srtpfwd/ commands (once per process; EAL must be up).
 * @p src must outlive the result. @return it, or NULL with @p err set.
 */
struct telemetry *telemetry_new(const struct ctl_stats_src *src, char *err, size_t err_len);

/** Answer a pending request, if any. Control thread, every loop turn; never
 * blocks. */
void telemetry_poll(struct telemetry *t);

void telemetry_stats(const struct telemetry *t, struct telemetry_stats *st);

/** Detach the commands (they answer an error from now on) and free. */
void telemetry_free(struct telemetry *t);

#endif
