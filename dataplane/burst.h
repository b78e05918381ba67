/* burst.h: one burst of packets travelling through the worker's stages.
 *
 * Parallel arrays in the manner of DPDK ipsec-secgw's struct traffic_type:
 * each stage reads them, fills what it owns and skips entries whose verdict
 * is no longer V_FWD. Owned by the worker that holds it on its stack or in
 * struct worker; never shared. DPDK-free: mbufs are opaque here.
 */
#ifndef SRTPFWD_BURST_H
#define SRTPFWD_BURST_H

#include <stdint.h>

#ifndef BURST_MAX
#define BURST_MAX 64
#endif

struct rte_mbuf;
struct srtp_dir;
struct session;

enum verdict {
	V_FWD = 0, /* keep going; sent by tx */
	V_PUNT, /* hand to the control thread */
	V_DROP, /* counted under reason[] and freed by tx */
};

/* What a UDP datagram carries, by its first byte (RFC 7983 §7) and, for
 * RTP/RTCP, its second (RFC 5761 §4). */
enum msg_kind {
	MSG_RTP = 0,
	MSG_RTCP,
	MSG_OTHER, /* never touched by SRTP; parse sets it for what follows */
	MSG_STUN, /* 0..3: STUN (ICE) */
	MSG_ZRTP, /* 16..19 */
	MSG_DTLS, /* 20..63: DTLS (DTLS-SRTP key exchange) */
};

struct burst {
	uint16_t n;
	uint16_t port; /* the port the burst was received on */
	struct rte_mbuf *pkts[BURST_MAX];
	/* Filled by parse: where the IP header is, which version, the VLAN
	 * the frame came on (0: untagged). */
	uint16_t l3_off[BURST_MAX];
	uint8_t ip6[BURST_MAX];
	uint16_t vlan[BURST_MAX];
	/* Where the RTP/RTCP message (the UDP payload) sits in the mbuf's
	 * data, and how long it is. The SRTP stages update msg_len and the
	 * mbuf's lengths when they add or strip a tag. */
	uint16_t msg_off[BURST_MAX];
	uint16_t msg_len[BURST_MAX];
	uint16_t rx_len[BURST_MAX]; /* msg_len as received: per-leg byte counters */
	uint8_t kind[BURST_MAX]; /* enum msg_kind */
	/* 0x10000 | the ones' complement sum of the message as received, when
	 * parse verified the UDP checksum in software; else 0. Lets rewrite
	 * checksum an unchanged message without reading it again. */
	uint32_t msg_sum[BURST_MAX];
	/* Filled by lookup: the session and the leg the packet arrived on. */
	struct session *sess[BURST_MAX];
	uint8_t leg[BURST_MAX];
	uint8_t rtcp_port[BURST_MAX]; /* 1: arrived on the leg's RTCP port (port + 1) */
	uint16_t tx_port[BURST_MAX]; /* filled by rewrite: the DPDK port it leaves on */
	struct srtp_dir *unprotect[BURST_MAX]; /* inbound context, or NULL: no SRTP in */
	struct srtp_dir *protect[BURST_MAX]; /* outbound context, or NULL: no SRTP out */
	uint8_t verdict[BURST_MAX]; /* enum verdict */
	uint8_t reason[BURST_MAX]; /* enum drop_reason when V_DROP */
};

/* What a punted mbuf carries in m->hash.usr for the control thread:
 * DROP_NONE for control traffic (ARP, ND, ICMP, STUN/DTLS on keyed legs), or
 * DROP_NO_NEXTHOP with the neighbour entry for a complete egress frame
 * waiting for its next hop's MAC (m->port is then the egress port). */
static inline uint32_t
punt_info(unsigned int reason, unsigned int neigh)
{
	return (uint32_t)reason | (uint32_t)neigh << 8;
}

static inline void
burst_drop(struct burst *b, unsigned int i, unsigned int reason)
{
	b->verdict[i] = V_DROP;
	b->reason[i] = (uint8_t)reason;
}

#endif
