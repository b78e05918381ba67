/* fault_watch.h: notices when something that normally never happens starts
 * happening (the punt ring full, a tx queue refusing, the mbuf pool empty,
 * frames missed at rx), so that each such episode is counted once and
 * logged once when it starts and once when it clears, however many packets
 * it costs. Per-packet drops stay in their own counters (dataplane/stats.h);
 * this module turns their growth into events.
 *
 * Pure logic, no DPDK: the daemon (daemon.c) samples the counters on the
 * control thread and calls fault_watch_update(); the state is the control
 * thread's alone.
 */
#ifndef SRTPFWD_FAULT_WATCH_H
#define SRTPFWD_FAULT_WATCH_H

#include <stdint.h>

/* X(ENUM_SUFFIX, name, what the count that grows is, quiet ms, what it
 * means). A fault clears once its count has not grown for its quiet time:
 * a second for the daemon's own counters, three for those read from the
 * PMDs, which are read once a second and which some firmware refreshes
 * about as often (a steady fault must not look like one episode every
 * two seconds). */
#define FOREACH_FAULT(X)                                                                           \
	X(PUNT_FULL, punt_full, "drop.punt_full", 1000,                                            \
	  "punt ring to the control thread full: ARP, ND and ICMP frames dropped")                 \
	X(INJECT_FULL, inject_full, "inject_full", 1000,                                           \
	  "inject ring to the workers full: ARP/ND replies and requests dropped")                  \
	X(TX_FULL, tx_full, "drop.tx_full", 1000,                                                  \
	  "a port's tx queue refused packets (link down?)")                                        \
	X(MBUF_EXHAUSTED, mbuf_exhausted, "rx_nombuf + neigh.no_mbuf + 10 ms ticks found empty",   \
	  3000, "mbuf pool empty: frames neither received nor built")                              \
	X(RX_MISSED, rx_missed, "port imissed", 3000,                                              \
	  "a port dropped frames at rx: its queue was full")

enum fault_kind {
#define X(name, lower, count, quiet, text) FAULT_##name,
	FOREACH_FAULT(X)
#undef X
		FAULT_MAX
};

struct fault_watch {
	struct {
		uint64_t last; /* the count at the previous sample */
		uint64_t at_start; /* the count before the episode began */
		uint64_t start_ms, grew_ms;
		uint8_t active;
	} f[FAULT_MAX];
	uint64_t episodes[FAULT_MAX]; /* episodes begun, for the counters */
	uint8_t primed; /* the first sample only sets the baseline */
};

/* Told of each episode's start (@p cleared 0) and end (@p cleared 1; @p lost
 * is how much the count grew during it, @p ms how long it lasted). */
typedef void (*fault_report_fn)(void *ctx, enum fault_kind kind, int cleared, uint64_t lost,
				uint64_t ms);

/** Compare @p count (one monotonic counter per fault) with the previous
 * sample: a count that grows starts an episode (reported once), one quiet
 * for its fault_quiet_ms() ends it (reported once). */
void fault_watch_update(struct fault_watch *w, const uint64_t count[FAULT_MAX], uint64_t now_ms,
			fault_report_fn report, void *ctx);

const char *fault_name(enum fault_kind k);
const char *fault_text(enum fault_kind k);
const char *fault_counter(enum fault_kind k);
uint64_t fault_quiet_ms(enum fault_kind k);

#endif
