/* hostile_frames.h: Ethernet frames for call_demo's faults below UDP.
 *
 * Builds malformed frames, each aimed at exactly one of srtpfwd's parse
 * drop reasons (dataplane/parse.c, FOREACH_DROP in dataplane/stats.h), and
 * ARP / IPv6 neighbour-discovery floods, each kind landing in one of the
 * control thread's neigh. counters (docs/counters.md). Classifies what a
 * peer's packet socket catches: srtpfwd's answers to the flood, and the
 * peer kernel's own frames that srtpfwd would count too. Pure functions on
 * byte buffers: call_demo owns the sockets and the counters.
 */
#ifndef SRTPFWD_BENCH_HOSTILE_FRAMES_H
#define SRTPFWD_BENCH_HOSTILE_FRAMES_H

#include <stdint.h>

#define FRAME_MAX 1514 /* a veth's MTU of 1500 plus the Ethernet header */

/* One side of the lab as the frames see it (IPv4 /24, IPv6 /64). */
struct frame_side {
	uint8_t fwd_mac[6]; /* srtpfwd's port on this link */
	uint8_t peer_mac[6]; /* the peer's veth */
	uint8_t fwd4[4], peer4[4];
	uint8_t fwd6[16], peer6[16];
	uint16_t port4, port6; /* srtpfwd media ports the UDP frames are sent to */
};

/* Malformed frames: the kind is the drop reason they must be counted
 * under. Two reasons are missing, undeliverable over net_af_packet on a
 * veth (hostile_frames.c says why): eth_short and ipv4_fragment. */
#define FOREACH_BAD_FRAME(X)                                                                       \
	X(ETHERTYPE, ethertype)                                                                    \
	X(IP_VERSION, ip_version)                                                                  \
	X(IPV4_HDR_LEN, ipv4_hdr_len)                                                              \
	X(IPV4_OPTIONS, ipv4_options)                                                              \
	X(IPV4_CSUM, ipv4_csum)                                                                    \
	X(IPV6_LEN, ipv6_len)                                                                      \
	X(IP_PROTO, ip_proto)                                                                      \
	X(UDP_LEN, udp_len)                                                                        \
	X(UDP_EMPTY, udp_empty)                                                                    \
	X(UDP_CSUM, udp_csum)

enum bad_frame {
#define X(name, reason) BF_##name,
	FOREACH_BAD_FRAME(X)
#undef X
		BF_KINDS
};

/** The drop reason (counter drop.<reason>) of each kind. */
extern const char *const BAD_FRAME_REASON[BF_KINDS];

/**
 * Build variant @p v (modulo the kind's count) of kind @p k into @p f
 * (FRAME_MAX bytes), from the peer of @p s to srtpfwd; @p rnd varies what
 * is random in it. @return the frame's length.
 */
unsigned int bad_frame_build(uint8_t *f, enum bad_frame k, unsigned int v, uint32_t rnd,
			     const struct frame_side *s);

/* ARP and ND flood frames, each from its own sender (MAC 02:fd:<seq>,
 * an address of the link derived from seq). */
enum neigh_frame {
	NF_ARP_US, /* ARP request for srtpfwd's address: neigh.arp_replied */
	NF_ARP_OTHER, /* ARP request for another address: neigh.ignored */
	NF_GARP, /* gratuitous ARP (RFC 5227 announcement): neigh.ignored */
	NF_NS_US, /* neighbour solicitation for srtpfwd's address: neigh.nd_replied */
	NF_NS_OTHER, /* NS for another address: neigh.ignored */
	NF_MALFORMED, /* bad ARP lengths, NS hop limit or checksum: neigh.malformed */
	NF_KINDS
};

extern const char *const NEIGH_FRAME_NAME[NF_KINDS];

/** Build flood frame @p seq of kind @p k into @p f. @return its length. */
unsigned int neigh_frame_build(uint8_t *f, enum neigh_frame k, uint32_t seq,
			       const struct frame_side *s);

/* What a peer's monitor caught (frames it keeps: ARP, and IP that is not
 * UDP, either way; see call_demo.c). */
enum caught {
	CAUGHT_OTHER, /* srtpfwd's own ARP/ND requests, our frames */
	CAUGHT_ARP_REPLY, /* srtpfwd's reply to a flood ARP request, right in every field */
	CAUGHT_NA, /* srtpfwd's advertisement answering a flood NS, likewise */
	CAUGHT_BAD_REPLY, /* to a flood sender, but wrong */
	CAUGHT_KERNEL_ARP_US, /* the peer kernel's ARP request for srtpfwd: arp_replied */
	CAUGHT_KERNEL_NS_US, /* its NS for srtpfwd's address: nd_replied */
	CAUGHT_KERNEL_IGNORED, /* its other ARP, ICMP, ICMPv6, MLD: ignored */
	CAUGHT_KERNEL_UNCOUNTED, /* its ARP replies and NAs with an address: learnt, not counted */
	CAUGHT_KERNEL_DROPPED, /* its IP that is neither UDP nor punted (IGMP): a parse drop */
	CAUGHT_KINDS
};

/** Classify frame @p f caught on side @p s; @p outgoing: the peer sent it.
 * CAUGHT_KERNEL_DROPPED sets @p *dropped to the reason it is counted under. */
enum caught frame_caught(const uint8_t *f, unsigned int len, int outgoing,
			 const struct frame_side *s, enum bad_frame *dropped);

#endif
