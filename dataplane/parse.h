/* parse.h: the first stage of the packet path. Reads Ethernet (one 802.1Q
 * tag), IPv4 or IPv6, UDP, and classifies the UDP payload by its first byte
 * (RFC 7983) and, for RTP/RTCP, its payload type (RFC 5761). Writes the
 * burst's l3_off, ip6, vlan, msg_off, msg_len and kind, and the verdict:
 * V_FWD (go on to lookup), V_PUNT (ARP, ICMP, ICMPv6, IPv6 extension
 * headers: the control thread's business), or V_DROP with a reason.
 * Reads packet bytes only; never writes them. No EAL needed to test.
 */
#ifndef SRTPFWD_PARSE_H
#define SRTPFWD_PARSE_H

#include <stdint.h>

#include "burst.h"

#define PREFETCH_AHEAD 3

/* Per-port parse options, from the port's configuration. */
struct parse_opts {
	uint8_t verify_udp_csum; /* verify UDP checksums the NIC has not (default on) */
};

/**
 * Parse every packet of @p b (b->n packets, verdicts V_FWD on entry).
 * @return the number of packets still V_FWD.
 */
uint16_t parse_burst(const struct parse_opts *o, struct burst *b);

/**
 * The UDP checksum of a datagram as it stands, over the IPv4 or IPv6 pseudo
 * header and @p udp_len bytes of UDP header and payload: 0xffff when a
 * received checksum verifies. Shared with rewrite, which writes checksums.
 * @param l3 the IPv4 or IPv6 header; @param udp its UDP header.
 */
uint16_t udp_cksum_sum(const void *l3, int ip6, const void *udp, uint16_t udp_len);

/** The same sum over the pseudo header and the 8-byte UDP header only. */
uint16_t udp_cksum_hdr_sum(const void *l3, int ip6, const void *udp, uint16_t udp_len);

#endif
