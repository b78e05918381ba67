/* parse.c: Ethernet / 802.1Q / IPv4 / IPv6 / UDP / RFC 7983 (see parse.h). */
#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "cksum.h"
#include "parse.h"
#include "stats.h"

#define IPPROTO_ICMP_ 1
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58

/* Pseudo header: addresses, zero|protocol, UDP length (RFC 768 and
 * RFC 8200 §8.1), summed as the network-order words they are. */
static inline uint64_t
pseudo_sum(const void *l3, int ip6, uint16_t udp_len)
{
	uint64_t sum;

	if (ip6)
		sum = cksum_add(((const struct rte_ipv6_hdr *)l3)->src_addr, 32, 0);
	else
		sum = cksum_add(&((const struct rte_ipv4_hdr *)l3)->src_addr, 8, 0);
	return sum + rte_cpu_to_be_16(IPPROTO_UDP_) + rte_cpu_to_be_16(udp_len);
}

uint16_t
udp_cksum_sum(const void *l3, int ip6, const void *udp, uint16_t udp_len)
{
	return cksum_fold(cksum_add(udp, udp_len, pseudo_sum(l3, ip6, udp_len)));
}

uint16_t
udp_cksum_hdr_sum(const void *l3, int ip6, const void *udp, uint16_t udp_len)
{
	return cksum_fold(cksum_add(udp, 8, pseudo_sum(l3, ip6, udp_len)));
}

/* RFC 7983 §7: the first byte of a UDP payload says what it is. */
static inline enum msg_kind
classify(const uint8_t *p, unsigned int len)
{
	uint8_t b = p[0];

	if (b >= 128 && b <= 191) {
		/* RFC 5761 §4: RTCP packet types 192..223 have the second byte
		 * in 64..95 once the marker bit is masked. */
		if (len >= 2 && (p[1] & 0x7f) >= 64 && (p[1] & 0x7f) <= 95)
			return MSG_RTCP;
		return MSG_RTP;
	}
	if (b <= 3)
		return MSG_STUN;
	if (b >= 16 && b <= 19)
		return MSG_ZRTP;
	if (b >= 20 && b <= 63)
		return MSG_DTLS;
	return MSG_OTHER; /* TURN channels (64..79) and the rest: not media */
}

/* Length checks a relay applies even to plain RTP/RTCP it does not decrypt,
 * so a malformed datagram is never forwarded as media. */
static inline enum drop_reason
check_media(const uint8_t *p, unsigned int len, enum msg_kind k)
{
	/* No version check: first bytes 128..191 are exactly version 2. */
	if (k == MSG_RTP) {
		if (len < 12)
			return DROP_SRTP_TOO_SHORT;
		/* CSRCs and extension, checked again by SRTP against the
		 * length without the tag. */
		unsigned int h = 12 + 4u * (p[0] & 0x0f);

		if (p[0] & 0x10) {
			if (h + 4 > len)
				return DROP_RTP_HEADER_LEN;
			h += 4 + 4u * ((unsigned int)p[h + 2] << 8 | p[h + 3]);
		}
		return h <= len ? DROP_NONE : DROP_RTP_HEADER_LEN;
	}
	if (k == MSG_RTCP) {
		if (len < 8)
			return DROP_SRTP_TOO_SHORT;
		/* The first packet of a compound must fit (RFC 3550 §6.4.1);
		 * the SRTCP trailer follows the last one. */
		if (4u * (((unsigned int)p[2] << 8 | p[3]) + 1) > len)
			return DROP_RTCP_LEN;
	}
	return DROP_NONE;
}

/* One packet. @return DROP_NONE with the burst fields filled, or a reason;
 * *punt is set for traffic the control thread handles. */
static inline enum drop_reason
parse_one(const struct parse_opts *o, struct burst *b, unsigned int i, int *punt)
{
	struct rte_mbuf *m = b->pkts[i];
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned int len = m->data_len, off = RTE_ETHER_HDR_LEN, ip_len, udp_len;
	uint16_t type;
	const struct rte_udp_hdr *udp;
	const void *l3;
	int ip6;

	if (unlikely(len < RTE_ETHER_HDR_LEN))
		return DROP_ETH_SHORT;
	type = (uint16_t)(d[12] << 8 | d[13]);
	b->vlan[i] = 0;
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (unlikely(len < RTE_ETHER_HDR_LEN + 4))
			return DROP_ETH_SHORT;
		b->vlan[i] = (uint16_t)((d[14] << 8 | d[15]) & 0x0fff);
		type = (uint16_t)(d[16] << 8 | d[17]);
		off += 4;
	}
	b->l3_off[i] = (uint16_t)off;
	l3 = d + off;

	if (likely(type == RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = l3;
		unsigned int ihl;

		if (unlikely(len < off + sizeof(*ip)))
			return DROP_IPV4_HDR_LEN;
		if (unlikely((ip->version_ihl >> 4) != 4))
			return DROP_IP_VERSION;
		ihl = (ip->version_ihl & 0x0f) * 4u;
		ip_len = rte_be_to_cpu_16(ip->total_length);
		if (unlikely(ihl < sizeof(*ip) || ip_len < ihl || off + ip_len > len))
			return DROP_IPV4_HDR_LEN;
		if (unlikely(ihl != sizeof(*ip)))
			return DROP_IPV4_OPTIONS;
		/* MF set or a fragment offset: RTP is never fragmented. */
		if (unlikely(ip->fragment_offset & rte_cpu_to_be_16(0x3fff)))
			return DROP_IPV4_FRAGMENT;
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		    unlikely(cksum_fold(cksum_add(ip, sizeof(*ip), 0)) != 0xffff))
			return DROP_IPV4_CSUM;
		if (ip->next_proto_id != IPPROTO_UDP_) {
			if (ip->next_proto_id == IPPROTO_ICMP_) {
				*punt = 1;
				return DROP_NONE;
			}
			return DROP_IP_PROTO;
		}
		off += sizeof(*ip);
		ip_len -= sizeof(*ip);
		ip6 = 0;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = l3;

		if (unlikely(len < off + sizeof(*ip)))
			return DROP_IPV6_LEN;
		if (unlikely((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6))
			return DROP_IP_VERSION;
		ip_len = rte_be_to_cpu_16(ip->payload_len);
		if (unlikely(off + sizeof(*ip) + ip_len > len))
			return DROP_IPV6_LEN;
		if (ip->proto != IPPROTO_UDP_) {
			/* ICMPv6 (ND, echo) and extension headers: control. */
			if (ip->proto == IPPROTO_ICMPV6_ || ip->proto == 0 || ip->proto == 43 ||
			    ip->proto == 44 || ip->proto == 60 || ip->proto == 51 ||
			    ip->proto == 50 || ip->proto == 135 || ip->proto == 139 ||
			    ip->proto == 140) {
				*punt = 1;
				return DROP_NONE;
			}
			return DROP_IP_PROTO;
		}
		off += sizeof(*ip);
		ip6 = 1;
	} else if (type == RTE_ETHER_TYPE_ARP) {
		*punt = 1;
		return DROP_NONE;
	} else {
		return DROP_ETHERTYPE;
	}
	b->ip6[i] = (uint8_t)ip6;

	if (unlikely(ip_len < sizeof(*udp)))
		return DROP_UDP_LEN;
	udp = (const struct rte_udp_hdr *)(d + off);
	udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(udp_len < sizeof(*udp) || udp_len > ip_len))
		return DROP_UDP_LEN;
	if (unlikely(udp_len == sizeof(*udp)))
		return DROP_UDP_EMPTY;
	b->msg_sum[i] = 0;
	if (udp->dgram_cksum == 0) {
		if (unlikely(ip6)) /* RFC 8200 §8.1: mandatory on IPv6 */
			return DROP_UDP_CSUM;
	} else if (o->verify_udp_csum &&
		   (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		/* The message's sum is kept for rewrite: plain forwarding then
		 * reads the payload once (callgrind, fwd_bench plain v4: the
		 * second pass was 190 of 970 instructions a packet). */
		uint16_t msum = cksum_fold(cksum_add((const uint8_t *)udp + 8, udp_len - 8, 0));
		uint32_t all = (uint32_t)udp_cksum_hdr_sum(l3, ip6, udp, (uint16_t)udp_len) + msum;

		if (unlikely(cksum_fold(all) != 0xffff))
			return DROP_UDP_CSUM;
		b->msg_sum[i] = 0x10000u | msum;
	}

	off += sizeof(*udp);
	udp_len -= sizeof(*udp);
	b->msg_off[i] = (uint16_t)off;
	b->msg_len[i] = (uint16_t)udp_len;
	b->rx_len[i] = (uint16_t)udp_len;
	b->kind[i] = (uint8_t)classify(d + off, udp_len);
	if (b->kind[i] == MSG_OTHER)
		return DROP_NOT_MEDIA;
	return check_media(d + off, udp_len, (enum msg_kind)b->kind[i]);
}

uint16_t
parse_burst(const struct parse_opts *o, struct burst *b)
{
	uint16_t fwd = 0;

	for (unsigned int i = 0; i < b->n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i], void *));
	for (unsigned int i = 0; i < b->n; i++) {
		enum drop_reason r;
		int punt = 0;

		if (i + PREFETCH_AHEAD < b->n)
			rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i + PREFETCH_AHEAD], void *));
		b->unprotect[i] = NULL;
		b->protect[i] = NULL;
		r = parse_one(o, b, i, &punt);
		if (unlikely(r != DROP_NONE)) {
			burst_drop(b, i, r);
		} else if (unlikely(punt)) {
			b->verdict[i] = V_PUNT;
		} else {
			b->verdict[i] = V_FWD;
			fwd++;
		}
	}
	return fwd;
}
