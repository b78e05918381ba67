/* neigh.h: the next-hop MAC addresses workers put on egress frames.
 *
 * A fixed array of entries, allocated with the session table at start.
 * Control (control/neigh.c) is the only writer: it resolves next hops with
 * ARP and IPv6 neighbour discovery and stores each result as one 64-bit
 * word (MAC and a valid bit) with a release store, so a worker's single
 * acquire load always sees a whole MAC, never half of an old and half of a
 * new one. A leg's egress names its entry by index (session.h); entry 0 is
 * never used, so a zeroed egress means "no next hop".
 */
#ifndef SRTPFWD_NEIGH_H
#define SRTPFWD_NEIGH_H

#include <stdint.h>
#include <string.h>

#define NEIGH_VALID (1ull << 63)

struct neigh_entry {
	uint64_t word; /* control: w (release). MAC in bits 0..47, NEIGH_VALID */
};

static inline uint64_t
neigh_word(const uint8_t *mac)
{
	uint64_t w = 0;

	memcpy(&w, mac, 6); /* little-endian: mac[0] in the low byte */
	return w | NEIGH_VALID;
}

/* @return 1 with the MAC of entry @p idx in @p mac, or 0 if unresolved. */
static inline int
neigh_mac(const struct neigh_entry *t, uint16_t idx, uint8_t *mac)
{
	uint64_t w = __atomic_load_n(&t[idx].word, __ATOMIC_ACQUIRE);

	if (!(w & NEIGH_VALID))
		return 0;
	memcpy(mac, &w, 6);
	return 1;
}

#endif
