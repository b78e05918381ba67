/* session.h: sessions, their legs, and the table that maps a packet's
 * (local address, UDP port) to a session. The dataplane defines this memory;
 * the control thread is its only writer, except for the fields marked
 * "worker".
 *
 * Publication (DESIGN.md): control fills a session slot completely in the
 * pool, then makes it reachable by storing its table entries with a release
 * store; workers load entries with an acquire load (lookup.c). Deletion
 * clears the entries (release store), waits an RCU grace period (workers
 * report quiescence once per loop), then zeroes the slot and destroys its
 * key objects. A re-key swaps only a direction's key object (srtp.h), so
 * stream state is never copied while live.
 *
 * Table entry: 0 = no session; else (slot << 2) | (leg << 1) | rtcp_port,
 * slot >= 1. Ownership tags: "control: w" written only by control before
 * publication or through a release store; "worker: rw" written only by the
 * worker that owns the stream (RSS on destination address and port).
 */
#ifndef SRTPFWD_SESSION_H
#define SRTPFWD_SESSION_H

#include <stdint.h>

#include "srtp.h"

#define LOCAL_ADDR_MAX 16

/* An address srtpfwd owns and answers for. Configured; read-only once the
 * workers run. */
struct local_addr {
	uint8_t ip6;
	uint8_t reserved;
	uint16_t port_id; /* DPDK port it is reached on */
	uint16_t vlan; /* 802.1Q id; 0 untagged */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
};

/* A peer's UDP endpoint. */
struct endpoint {
	uint8_t ip6;
	uint8_t reserved;
	uint16_t port; /* host order */
	uint8_t addr[16];
};

enum leg_flag {
	LEG_RTCP_MUX = 1 << 0, /* RTCP on the RTP port (RFC 5761); else on port + 1 */
	LEG_LATCH = 1 << 1, /* learn the remote endpoint from verified traffic */
	LEG_SRTP = 1 << 2, /* SRTP with keys on this leg (in: unprotect, out: protect) */
	LEG_PASSTHROUGH = 1 << 3, /* end-to-end SRTP without keys: RTP/RTCP, STUN, DTLS and
				     ZRTP forwarded untouched */
};

struct leg {
	uint8_t local_addr; /* control: w. Index in the local address table */
	uint8_t flags; /* control: w. enum leg_flag */
	uint8_t dscp; /* control: w */
	uint8_t reserved;
	uint16_t local_port; /* control: w. RTP port (RTCP: +1 unless LEG_RTCP_MUX) */
	uint16_t reserved2;
	struct endpoint remote; /* control: w; with LEG_LATCH, rewritten by the dataplane */
	struct srtp_dir in; /* what arrives on this leg: worker receiving it: rw */
	struct srtp_dir out; /* what leaves on this leg: worker sending it: rw */
};

struct session {
	struct leg leg[2];
	uint64_t id; /* control: w. The controller's handle */
} __attribute__((aligned(64)));

/* The (local address, port) table and the session pool. Sized from the
 * configuration at start; never resized while workers run. */
struct session_table {
	uint16_t port_min; /* the media port range, inclusive */
	uint16_t port_max;
	uint8_t n_addrs;
	struct local_addr addrs[LOCAL_ADDR_MAX];
	uint32_t *entries; /* n_addrs * (port_max - port_min + 1), control: w (release) */
	struct session *pool; /* slot 0 unused */
	uint32_t pool_size; /* slots, including slot 0 */
};

static inline uint32_t
session_entry(uint32_t slot, unsigned int leg, unsigned int rtcp_port)
{
	return slot << 2 | (uint32_t)leg << 1 | (uint32_t)rtcp_port;
}

static inline uint32_t *
session_entry_at(const struct session_table *t, unsigned int addr, uint16_t port)
{
	return &t->entries[(size_t)addr * (t->port_max - t->port_min + 1u) +
			   (unsigned int)(port - t->port_min)];
}

#endif
