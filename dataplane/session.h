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

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "neigh.h"
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
	uint8_t mac[6]; /* the port's MAC: source of what leaves from here */
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

/* Where media leaving a leg goes, as control configures it. The epoch
 * travels with the data so one sequence-counter read gets both. */
struct egress {
	uint32_t epoch; /* bumped by each update */
	struct endpoint remote;
	uint16_t neigh; /* next hop (the peer, or the gateway): neigh.h entry; 0 none */
	uint16_t reserved;
};

/* What latching learned, and under which configuration epoch. The next hop
 * towards a latched peer is the MAC its verified packet came from: the peer
 * on the link, or the router (NAT) in front of it. */
struct latch {
	uint32_t epoch;
	struct endpoint remote;
	uint8_t nh_mac[6];
	uint16_t reserved;
};

/* What arrived on a leg, per local port of the leg (RTP port, RTCP port):
 * RSS may put the two on different workers, and each has one writer. */
struct leg_counters {
	uint64_t packets; /* forwarded */
	uint64_t bytes; /* of the UDP payload as received */
	uint64_t dropped; /* after the session was found: every reason */
};

/* Two single-writer copies of the leg's destination, each under its own
 * sequence counter (docs/architecture.md, "Egress and latching"): the
 * configured one (control) and the latched one (the worker receiving the
 * leg's RTP). Readers use the latched one when the leg latches and it was
 * latched under the current configuration epoch. */
struct leg {
	uint8_t local_addr; /* control: w. Index in the local address table */
	uint8_t flags; /* control: w. enum leg_flag */
	uint8_t dscp; /* control: w */
	uint8_t reserved;
	uint16_t local_port; /* control: w. RTP port (RTCP: +1 unless LEG_RTCP_MUX) */
	uint16_t reserved2;
	uint32_t cfg_seq; /* control: w */
	struct egress cfg; /* control: w */
	uint32_t latch_seq; /* worker receiving this leg: w */
	struct latch latch; /* worker receiving this leg: w */
	struct srtp_dir in; /* what arrives on this leg: worker receiving it: rw */
	struct srtp_dir out; /* what leaves on this leg: worker sending it: rw */
	struct leg_counters rx[2]; /* worker receiving on [rtcp port]: w */
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
	struct neigh_entry *neigh; /* next hops (neigh.h), control: w (release) */
	uint32_t neigh_size; /* entries, including entry 0 */
};

/* Sequence-counter publication with one writer (a seqlock without the
 * lock). The writer brackets its plain stores with begin/end; a reader
 * copies and retries while the counter is odd or moved. */
static inline void
seq_write_begin(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
seq_write_end(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

/* @return 1 with a consistent copy in @p dst, or 0 if the writer kept it
 * busy for every try: writes are a few stores, so only a writer
 * descheduled inside one makes a reader give up. A write in progress is
 * waited for with pause, up to 1024 times (some microseconds): 16 bare
 * tries (tens of ns) were shorter than an ASan-instrumented write, and a
 * packet was dropped as no_remote under an UPDATE (test_ctl_e2e, CI). */
static inline int
seq_read(const uint32_t *seq, void *dst, const void *src, size_t n)
{
	for (unsigned int tries = 0; tries < 1024; tries++) {
		uint32_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

		if (s1 & 1) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			continue;
		}
		memcpy(dst, src, n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s1)
			return 1;
	}
	return 0;
}

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
