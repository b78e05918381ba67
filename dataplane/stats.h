/* stats.h: the dataplane's counters and drop reasons.
 *
 * One X-macro list produces the enum, the names printed by tools and
 * docs/counters.md. struct worker_stats is written only by its worker
 * (plain increments, no atomics); the control thread sums copies on read.
 * DPDK-free so unit tests and the control library can use the names.
 */
#ifndef SRTPFWD_STATS_H
#define SRTPFWD_STATS_H

#include <stdint.h>

/* Why a packet was dropped. Named for what happened, not where.
 * X(ENUM_SUFFIX, counter_name, description) */
#define FOREACH_DROP(X)                                                                            \
	X(ETH_SHORT, eth_short, "frame shorter than its Ethernet/802.1Q header")                   \
	X(ETHERTYPE, ethertype, "neither IPv4, IPv6 nor ARP (or stacked VLAN tags)")               \
	X(IP_VERSION, ip_version, "IP version field disagrees with the Ethertype")                 \
	X(IPV4_HDR_LEN, ipv4_hdr_len, "IPv4 header or total length inconsistent with the frame")   \
	X(IPV4_OPTIONS, ipv4_options, "IPv4 options present (never on media)")                     \
	X(IPV4_FRAGMENT, ipv4_fragment, "IPv4 fragment (RTP is never fragmented)")                 \
	X(IPV4_CSUM, ipv4_csum, "IPv4 header checksum wrong")                                      \
	X(IPV6_LEN, ipv6_len, "IPv6 payload length inconsistent with the frame")                   \
	X(IP_PROTO, ip_proto, "IP protocol neither UDP nor ICMP/ICMPv6")                           \
	X(UDP_LEN, udp_len, "UDP length shorter than its header or longer than the IP payload")    \
	X(UDP_EMPTY, udp_empty, "UDP datagram with no payload")                                    \
	X(UDP_CSUM, udp_csum, "UDP checksum wrong (or zero on IPv6)")                              \
	X(NOT_MEDIA, not_media, "first byte is none of RTP/RTCP, STUN, DTLS, ZRTP (RFC 7983)")     \
	X(RTCP_LEN, rtcp_len, "RTCP length field runs past the datagram")                          \
	X(RTP_VERSION, rtp_version, "RTP/RTCP version is not 2")                                   \
	X(RTP_HEADER_LEN, rtp_header_len,                                                          \
	  "RTP CSRC list or header extension runs past the packet")                                \
	X(SRTP_TOO_SHORT, srtp_too_short,                                                          \
	  "too short to hold the header, tag, MKI and SRTCP index")                                \
	X(NOT_LOCAL, not_local, "destination is none of our addresses on this port and VLAN")      \
	X(NO_SESSION, no_session, "no session on this local address and port")                     \
	X(WRONG_PORT, wrong_port, "RTP on an RTCP port, or RTCP on a leg without rtcp-mux")        \
	X(NO_REMOTE, no_remote, "no remote endpoint yet (latching leg before its first packet)")   \
	X(NO_NEXTHOP, no_nexthop, "next hop not resolved (no MAC address for it yet)")             \
	X(NO_HEADROOM, no_headroom, "not enough headroom for the egress headers")                  \
	X(TX_FULL, tx_full, "the port's tx queue refused the packet")                              \
	X(PUNT_FULL, punt_full, "the punt ring to the control thread was full")                    \
	X(SRTP_NO_KEY, srtp_no_key, "the direction has no key installed")                          \
	X(SRTP_MKI, srtp_mki, "MKI matches no installed key")                                      \
	X(SRTP_AUTH, srtp_auth, "authentication tag did not verify")                               \
	X(SRTP_REPLAY, srtp_replay, "index already received (replay)")                             \
	X(SRTP_REPLAY_OLD, srtp_replay_old, "index older than the replay window")                  \
	X(SRTP_INDEX_REUSE, srtp_index_reuse,                                                      \
	  "protect refused: index already sent under this key")                                    \
	X(SRTP_KEY_EXHAUSTED, srtp_key_exhausted,                                                  \
	  "key lifetime reached (2^48 SRTP / 2^31 SRTCP packets)")                                 \
	X(SRTP_SSRC_FULL, srtp_ssrc_full,                                                          \
	  "new SSRC refused: every slot is live and no tombstone is free")                         \
	X(NO_TAILROOM, no_tailroom, "no room in the buffer for the tag and MKI")                   \
	X(MBUF_NOT_WRITABLE, mbuf_not_writable,                                                    \
	  "mbuf shared, indirect or chained: SRTP works in place")

enum drop_reason {
	DROP_NONE = 0,
#define X(name, lower, text) DROP_##name,
	FOREACH_DROP(X)
#undef X
		DROP_MAX
};

/** @return the counter name of a drop reason ("srtp_auth"), or "none". */
const char *drop_reason_name(enum drop_reason r);
/** @return a one-line description of a drop reason. */
const char *drop_reason_text(enum drop_reason r);

/* Per-worker totals. Written by the owning worker only. */
struct worker_stats {
	uint64_t drop[DROP_MAX];
	uint64_t rx; /* packets received */
	uint64_t tx; /* packets sent */
	uint64_t punted; /* packets handed to the control thread */
	uint64_t injected; /* frames control handed to this worker to send */
	uint64_t loops; /* worker loop iterations */
	uint64_t srtp_unprotected; /* packets whose tag verified and were decrypted */
	uint64_t srtp_protected;
	uint64_t ssrc_evicted; /* an SSRC slot was reused for a new SSRC */
} __attribute__((aligned(64)));

#endif
