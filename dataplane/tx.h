/* tx.h: the single exit of a burst. Every mbuf leaves here exactly once:
 * V_FWD goes into its tx_port's buffer, V_PUNT to the control thread's ring
 * (a full ring is DROP_PUNT_FULL), V_DROP is counted under its reason and
 * freed. Per-leg counters (session.h) are counted here, where the verdict
 * is final.
 *
 * Buffering: a port's buffer is sent when it holds a burst, and at the end
 * of a worker loop when the drain timer ran out or nothing arrived (with
 * nothing arriving, waiting buys nothing). What a queue refuses is freed
 * and counted DROP_TX_FULL. Writes the worker's counters and buffers; owns
 * nothing else.
 */
#ifndef SRTPFWD_TX_H
#define SRTPFWD_TX_H

#include <stdint.h>

#include "burst.h"

#define TX_BURST 32 /* a full buffer is sent at once */
#define TX_DRAIN_US 100 /* longest a packet waits in a buffer (DPDK l3fwd's figure) */

struct worker;
struct rte_mbuf;

/* A port's pending packets; room for a burst on top of a nearly full one. */
struct tx_buffer {
	uint16_t n;
	struct rte_mbuf *pkts[TX_BURST + BURST_MAX];
};

/** Hand every packet of @p b to its exit. @return the number sent now. */
uint16_t tx_burst(struct worker *w, struct burst *b);

/** Queue frames control built (m->port is the egress port) for sending. */
void tx_inject(struct worker *w, struct rte_mbuf **pkts, unsigned int n);

/** Send every buffered packet now. @return the number sent. */
uint16_t tx_flush(struct worker *w);

#endif
