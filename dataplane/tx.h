/* tx.h: the single exit of a burst. Every mbuf leaves here exactly once:
 * V_FWD is sent on its tx_port (what the queue refuses is freed and counted
 * DROP_TX_FULL), V_PUNT goes to the control thread's ring (a full ring is
 * DROP_PUNT_FULL), V_DROP is counted under its reason and freed.
 * Writes the worker's counters; owns nothing else.
 */
#ifndef SRTPFWD_TX_H
#define SRTPFWD_TX_H

#include <stdint.h>

#include "burst.h"

struct worker;

/** @return the number of packets sent. */
uint16_t tx_burst(struct worker *w, struct burst *b);

#endif
