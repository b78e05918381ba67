/* lookup.h: the second stage. Maps each parsed packet's destination
 * (local address, UDP port) to its session through the direct-indexed
 * table in session.h (no hashing: O(1), one acquire load), and sets the
 * burst's sess, leg, unprotect and protect for the stages after it.
 * Reads the table and sessions; writes only the burst.
 */
#ifndef SRTPFWD_LOOKUP_H
#define SRTPFWD_LOOKUP_H

#include <stdint.h>

#include "burst.h"
#include "session.h"

/**
 * Look up every V_FWD packet of @p b (parsed: l3_off, ip6, vlan, msg_off,
 * kind set). Packets with no session, for an address we do not own on this
 * port and VLAN, or on the wrong port for their kind are dropped with a
 * reason; STUN, DTLS and ZRTP on a leg that is not passthrough are punted.
 * @return the number of packets still V_FWD.
 */
uint16_t lookup_burst(const struct session_table *t, struct burst *b);

/**
 * The local address index of @p addr (4 or 16 bytes) received on DPDK
 * port @p port_id with VLAN @p vlan, or -1.
 */
int lookup_local_addr(const struct session_table *t, int ip6, const uint8_t *addr, uint16_t port_id,
		      uint16_t vlan);

#endif
