/* rewrite.h: the egress stage. For each V_FWD packet with a session, first
 * latches the arrival leg's remote endpoint (LEG_LATCH, RTP only, and only
 * packets that passed every check: SRTP ones have verified by now), then
 * builds Ethernet (+802.1Q), IPv4 or IPv6 and UDP headers for the leg it
 * leaves on, in front of its message: v4<->v6 bridging is a different
 * header size. Reads the table, the legs' egress (under their sequence
 * counters, see session.h); writes the packet, its mbuf lengths and the
 * burst's l3_off, ip6, vlan, msg_off and tx_port, and the arrival leg's
 * latched endpoint (single writer: the worker receiving that leg).
 * A packet whose next hop is known but not yet resolved leaves complete but
 * for its destination MAC, as V_PUNT with punt_info(DROP_NO_NEXTHOP, entry)
 * so that control holds it and sends it once the neighbour answers.
 */
#ifndef SRTPFWD_REWRITE_H
#define SRTPFWD_REWRITE_H

#include <stdint.h>

#include "burst.h"
#include "session.h"

#define EGRESS_TTL 64

/** @return the number of packets still V_FWD. */
uint16_t rewrite_burst(const struct session_table *t, struct burst *b);

#endif
