/* hostile_frames.c: see hostile_frames.h.
 *
 * Each variant below reaches exactly one drop reason because it passes
 * every check parse_one() makes before that one (dataplane/parse.c, in
 * order: Ethernet length, Ethertype, IPv4 header length, version, IHL and
 * total length, options, fragment, header checksum, protocol; IPv6 header
 * length, version, payload length, next header; UDP length, empty, checksum)
 * and is not punted (no ARP, ICMP, ICMPv6 or IPv6 extension header).
 *
 * Not deliverable through a veth, so not sent: frames shorter than 14
 * bytes (AF_PACKET refuses them: EINVAL, dev_validate_header), and 802.1Q
 * frames too short for their tag (the receiving kernel drops them in
 * skb_vlan_untag() before any packet socket, the af_packet PMD's included,
 * sees them): both drop.eth_short. And IPv4 fragments (drop.ipv4_fragment):
 * the af_packet PMD joins a PACKET_FANOUT group with
 * PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles fragments before
 * srtpfwd sees them, and a lone fragment waits in its reassembly queue
 * until it expires. tests/unit/test_parse.c covers both reasons.
 * A well-formed tag is stripped by the kernel and may or may not be put
 * back by the PMD: the stacked-tag variant ends in an unknown Ethertype so
 * that it is drop.ethertype either way.
 */
#include <string.h>

#include "hostile_frames.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP 0x0806
#define ETH_VLAN 0x8100
#define ETH_LOCAL 0x88b5 /* IEEE 802 local experimental Ethertype */
#define PROTO_ICMPV6 58
#define PROTO_UDP 17
#define NS 135
#define NA 136

/* The source MAC of malformed frames; the flood's are 02:fd:<seq>. Neither
 * is the peer's own, which is how a monitor tells its kernel's frames. */
static const uint8_t BAD_SRC[6] = {0x02, 0xfe, 0, 0, 0, 1};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

const char *const BAD_FRAME_REASON[BF_KINDS] = {
#define X(name, reason) #reason,
	FOREACH_BAD_FRAME(X)
#undef X
};

const char *const NEIGH_FRAME_NAME[NF_KINDS] = {
	"ARP for srtpfwd", "ARP for others", "gratuitous ARP",
	"NS for srtpfwd",  "NS for others",  "malformed",
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16), wr16(p + 2, v & 0xffff);
}

/* RFC 1071 over big-endian words, not folded. */
static uint32_t
sum16(const uint8_t *p, unsigned int len, uint32_t s)
{
	for (unsigned int i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

/* The checksum field's value for a sum. */
static uint16_t
csum(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* xorshift32: the random bytes of a frame, from its caller's seed. */
static uint32_t
next_rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static unsigned int
eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, unsigned int type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	wr16(f + 12, type);
	return 14;
}

static void
ip4_csum(uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 0x0f) * 4u;

	wr16(ip + 10, 0);
	wr16(ip + 10, csum(sum16(ip, ihl, 0)));
}

/* RFC 768 / RFC 8200 §8.1: pseudo header plus the datagram. */
static void
udp_csum(uint8_t *f, unsigned int l3, int ip6)
{
	unsigned int hl = ip6 ? 40 : (f[l3] & 0x0f) * 4u, u = l3 + hl, ulen = rd16(f + u + 4);
	uint32_t s = ip6 ? sum16(f + l3 + 8, 32, 0) : sum16(f + l3 + 12, 8, 0);
	uint16_t c;

	s += PROTO_UDP + ulen;
	wr16(f + u + 6, 0);
	c = csum(sum16(f + u, ulen, s));
	wr16(f + u + 6, c == 0 ? 0xffff : c);
}

static uint16_t
icmp6_csum(const uint8_t *ip6, const uint8_t *icmp, unsigned int len)
{
	uint32_t s = sum16(ip6 + 8, 32, 0) + len + PROTO_ICMPV6;

	return csum(sum16(icmp, len, s));
}

/* A well-formed UDP datagram from the peer to srtpfwd's media port, with
 * @p opt bytes of IPv4 options (a multiple of 4) and @p payload bytes that
 * look like RTP. @return the frame length. */
static unsigned int
udp_frame(uint8_t *f, int ip6, unsigned int opt, unsigned int payload, const struct frame_side *s)
{
	unsigned int l3 = eth(f, s->fwd_mac, BAD_SRC, ip6 ? ETH_IPV6 : ETH_IPV4);
	unsigned int hl = ip6 ? 40 : 20 + opt, u = l3 + hl, ulen = 8 + payload;
	uint8_t *ip = f + l3;

	memset(ip, 0, hl);
	if (ip6) {
		ip[0] = 0x60;
		wr16(ip + 4, ulen);
		ip[6] = PROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, s->peer6, 16);
		memcpy(ip + 24, s->fwd6, 16);
	} else {
		ip[0] = (uint8_t)(0x40 | hl / 4);
		wr16(ip + 2, hl + ulen);
		wr16(ip + 4, 0x5eed);
		ip[8] = 64;
		ip[9] = PROTO_UDP;
		memcpy(ip + 12, s->peer4, 4);
		memcpy(ip + 16, s->fwd4, 4);
		if (opt > 0) {
			/* RFC 2113 router alert, then no-operations */
			memset(ip + 20, 1, opt);
			ip[20] = 0x94, ip[21] = 4, ip[22] = 0, ip[23] = 0;
		}
		ip4_csum(ip);
	}
	wr16(f + u, 40000);
	wr16(f + u + 2, ip6 ? s->port6 : s->port4);
	wr16(f + u + 4, ulen);
	for (unsigned int k = 0; k < payload; k++)
		f[u + 8 + k] = (uint8_t)(k * 7 + 1);
	if (payload > 0)
		f[u + 8] = 0x80; /* RTP version 2: RFC 7983 says media */
	if (payload > 1)
		f[u + 9] = 0; /* PCMU */
	udp_csum(f, l3, ip6);
	return u + ulen;
}

#define L3 14 /* no VLAN tag in these frames */
#define U4 (L3 + 20)
#define U6 (L3 + 40)

/* A checksum made wrong, never to 0 (no checksum on IPv4) nor to the
 * other form of the right one (one's complement has two zeros). */
static void
break_csum(uint8_t *p)
{
	unsigned int c = rd16(p) ^ 0x0100;

	wr16(p, c == 0 ? 0x0200 : c);
}

/* How many forms each kind takes (all counted under its reason). */
static const unsigned int VARIANTS[BF_KINDS] = {
	[BF_ETHERTYPE] = 4, [BF_IP_VERSION] = 2, [BF_IPV4_HDR_LEN] = 6, [BF_IPV4_OPTIONS] = 2,
	[BF_IPV4_CSUM] = 2, [BF_IPV6_LEN] = 3,	 [BF_IP_PROTO] = 3,	[BF_UDP_LEN] = 4,
	[BF_UDP_EMPTY] = 2, [BF_UDP_CSUM] = 4,
};

unsigned int
bad_frame_build(uint8_t *f, enum bad_frame k, unsigned int v, uint32_t rnd,
		const struct frame_side *s)
{
	uint32_t x = rnd | 1;
	unsigned int len;

	v %= VARIANTS[k];
	switch (k) {
	case BF_ETHERTYPE:
		if (v == 0) /* nothing but the Ethernet header */
			return eth(f, s->fwd_mac, BAD_SRC, ETH_LOCAL);
		if (v == 1) { /* random garbage under a random unknown type */
			unsigned int type;

			len = 60 + next_rnd(&x) % (FRAME_MAX - 60 + 1);
			for (unsigned int i = 14; i < len; i++)
				f[i] = (uint8_t)next_rnd(&x);
			do
				type = next_rnd(&x) & 0xffff;
			while (type == ETH_IPV4 || type == ETH_IPV6 || type == ETH_ARP ||
			       type == ETH_VLAN || type == 0x88a8);
			eth(f, s->fwd_mac, BAD_SRC, type);
			return len;
		}
		if (v == 2) { /* stacked 802.1Q tags around an unknown type */
			eth(f, s->fwd_mac, BAD_SRC, ETH_VLAN);
			wr16(f + 14, 100);
			wr16(f + 16, ETH_VLAN);
			wr16(f + 18, 101);
			wr16(f + 20, ETH_LOCAL);
			memset(f + 22, 0x5a, 46);
			return 68;
		}
		/* IEEE 802.3: a length where the type goes, then LLC/SNAP */
		eth(f, s->fwd_mac, BAD_SRC, 46);
		memset(f + 14, 0, 46);
		f[14] = 0xaa, f[15] = 0xaa, f[16] = 0x03;
		return 60;
	case BF_IP_VERSION: {
		unsigned int ver = next_rnd(&x) % 15;

		if (v == 0) { /* an IPv4 Ethertype, any other version */
			len = udp_frame(f, 0, 0, 160, s);
			f[L3] = (uint8_t)((ver >= 4 ? ver + 1 : ver) << 4 | 5);
			return len;
		}
		len = udp_frame(f, 1, 0, 160, s);
		f[L3] = (uint8_t)((ver >= 6 ? ver + 1 : ver) << 4);
		return len;
	}
	case BF_IPV4_HDR_LEN:
		switch (v) {
		case 0: /* truncated after the Ethernet header */
			return eth(f, s->fwd_mac, BAD_SRC, ETH_IPV4);
		case 1: /* truncated inside the IPv4 header */
			udp_frame(f, 0, 0, 160, s);
			return L3 + 12;
		case 2: /* IHL 4: shorter than the fixed header */
			len = udp_frame(f, 0, 0, 160, s);
			f[L3] = 0x44;
			ip4_csum(f + L3);
			return len;
		case 3: /* total length claims more than the frame */
			len = udp_frame(f, 0, 0, 60, s);
			wr16(f + L3 + 2, 1500);
			ip4_csum(f + L3);
			return len;
		case 4: /* total length shorter than the header */
			len = udp_frame(f, 0, 0, 160, s);
			wr16(f + L3 + 2, 16);
			ip4_csum(f + L3);
			return len;
		default: /* near the MTU, one byte more claimed than sent */
			len = udp_frame(f, 0, 0, FRAME_MAX - U4 - 8, s);
			wr16(f + L3 + 2, 1501);
			ip4_csum(f + L3);
			return len;
		}
	case BF_IPV4_OPTIONS: /* a router alert (4 bytes), or 40 bytes of options */
		return udp_frame(f, 0, v == 0 ? 4 : 40, 160, s);
	case BF_IPV4_CSUM:
		len = udp_frame(f, 0, 0, 160, s);
		if (v == 0)
			break_csum(f + L3 + 10);
		else
			f[L3 + 8] ^= 1; /* TTL changed after the sum */
		return len;
	case BF_IPV6_LEN:
		if (v == 0) { /* truncated inside the IPv6 header */
			udp_frame(f, 1, 0, 160, s);
			return L3 + 30;
		}
		if (v == 1) { /* near the MTU, one byte more claimed than sent */
			len = udp_frame(f, 1, 0, FRAME_MAX - U6 - 8, s);
			wr16(f + L3 + 4, rd16(f + L3 + 4) + 1);
			return len;
		}
		len = udp_frame(f, 1, 0, 60, s); /* 1000 bytes claimed */
		wr16(f + L3 + 4, 1000);
		return len;
	case BF_IP_PROTO:
		len = udp_frame(f, v == 1, 0, 160, s);
		if (v == 1) {
			f[L3 + 6] = 253; /* RFC 3692 experimental */
		} else {
			f[L3 + 9] = v == 0 ? 253 : 6; /* or TCP */
			ip4_csum(f + L3);
		}
		return len;
	case BF_UDP_LEN:
		switch (v) {
		case 0: /* an IPv4 payload shorter than a UDP header */
			udp_frame(f, 0, 0, 160, s);
			wr16(f + L3 + 2, 24);
			ip4_csum(f + L3);
			return L3 + 24;
		case 1: /* UDP length claims more than the IP payload */
			len = udp_frame(f, 0, 0, 92, s);
			wr16(f + U4 + 4, 1480);
			return len;
		case 2: /* UDP length shorter than its header */
			len = udp_frame(f, 0, 0, 160, s);
			wr16(f + U4 + 4, 4);
			return len;
		default: /* IPv6: UDP length past the payload */
			len = udp_frame(f, 1, 0, 160, s);
			wr16(f + U6 + 4, rd16(f + U6 + 4) + 8);
			return len;
		}
	case BF_UDP_EMPTY: return udp_frame(f, (int)v, 0, 0, s);
	case BF_UDP_CSUM:
		switch (v) {
		case 0:
			len = udp_frame(f, 0, 0, 160, s);
			break_csum(f + U4 + 6);
			return len;
		case 1: /* zero: no checksum, which IPv6 forbids */
			len = udp_frame(f, 1, 0, 160, s);
			wr16(f + U6 + 6, 0);
			return len;
		case 2: /* near the MTU: the whole payload is read */
			len = udp_frame(f, 0, 0, FRAME_MAX - U4 - 8, s);
			break_csum(f + U4 + 6);
			return len;
		default:
			len = udp_frame(f, 1, 0, 88, s);
			break_csum(f + U6 + 6);
			return len;
		}
	default: return 0;
	}
}

/* ---- the ARP and ND flood ---- */

static void
flood_mac(uint8_t *mac, uint32_t seq)
{
	mac[0] = 0x02, mac[1] = 0xfd; /* locally administered, unicast */
	wr32(mac + 2, seq);
}

/* An address on the link for sender @p seq: .10 to .249 (never srtpfwd's
 * .1 nor the peer's .2, whose neighbour entries a sender would update). */
static void
flood_ip4(uint8_t *ip, const struct frame_side *s, uint32_t seq, uint32_t salt)
{
	memcpy(ip, s->fwd4, 3);
	ip[3] = (uint8_t)(10 + ((seq + salt) * 2654435761u >> 8) % 240);
}

static void
flood_ip6(uint8_t *ip, const struct frame_side *s, uint32_t seq, uint8_t tag)
{
	memcpy(ip, s->fwd6, 8);
	ip[8] = 0x02, ip[9] = tag, ip[10] = 0, ip[11] = 0;
	wr32(ip + 12, seq);
}

static unsigned int
arp_frame(uint8_t *f, uint32_t seq, const uint8_t *sip, const uint8_t *tip)
{
	uint8_t mac[6];

	flood_mac(mac, seq);
	eth(f, BCAST, mac, ETH_ARP);
	memset(f + 14, 0, 46); /* 28 bytes of ARP, padded to the 60-byte minimum */
	wr16(f + 14, 1); /* Ethernet */
	wr16(f + 16, ETH_IPV4);
	f[18] = 6, f[19] = 4;
	wr16(f + 20, 1); /* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, sip, 4);
	memcpy(f + 38, tip, 4);
	return 60;
}

/* RFC 4861 §4.3 with a source link-layer address option. */
static unsigned int
ns_frame(uint8_t *f, uint32_t seq, const uint8_t *target, const struct frame_side *s)
{
	uint8_t mac[6], group[6] = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
	uint8_t *ip = f + L3, *icmp = ip + 40;

	flood_mac(mac, seq);
	eth(f, group, mac, ETH_IPV6);
	memset(ip, 0, 40 + 32);
	ip[0] = 0x60;
	wr16(ip + 4, 32);
	ip[6] = PROTO_ICMPV6;
	ip[7] = 255;
	flood_ip6(ip + 8, s, seq, 0xfd);
	ip[24] = 0xff, ip[25] = 0x02, ip[35] = 1, ip[36] = 0xff; /* ff02::1:ffXX:XXXX */
	memcpy(ip + 37, target + 13, 3);
	icmp[0] = NS;
	memcpy(icmp + 8, target, 16);
	icmp[24] = 1; /* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	wr16(icmp + 2, icmp6_csum(ip, icmp, 32));
	return L3 + 40 + 32;
}

unsigned int
neigh_frame_build(uint8_t *f, enum neigh_frame k, uint32_t seq, const struct frame_side *s)
{
	uint8_t sip[4], tip[4], target[16];
	unsigned int len;

	flood_ip4(sip, s, seq, 0);
	switch (k) {
	case NF_ARP_US: return arp_frame(f, seq, sip, s->fwd4);
	case NF_ARP_OTHER: flood_ip4(tip, s, seq, 7); return arp_frame(f, seq, sip, tip);
	case NF_GARP: return arp_frame(f, seq, sip, sip);
	case NF_NS_US: return ns_frame(f, seq, s->fwd6, s);
	case NF_NS_OTHER: flood_ip6(target, s, seq, 0xab); return ns_frame(f, seq, target, s);
	case NF_MALFORMED:
		switch (seq / NF_KINDS % 4) {
		case 0: /* ARP with 8-byte hardware addresses */
			len = arp_frame(f, seq, sip, s->fwd4);
			f[18] = 8;
			return len;
		case 1: /* ARP cut short of its target address */
			arp_frame(f, seq, sip, s->fwd4);
			return 14 + 20;
		case 2: /* NS not from the link: hop limit 64 (RFC 4861 §7.1.1) */
			len = ns_frame(f, seq, s->fwd6, s);
			f[L3 + 7] = 64;
			return len;
		default: /* NS with a wrong ICMPv6 checksum */
			len = ns_frame(f, seq, s->fwd6, s);
			break_csum(f + L3 + 40 + 2);
			return len;
		}
	default: return 0;
	}
}

/* ---- what the monitors catch ---- */

/* srtpfwd's ARP reply to a flood request: RFC 826 back to the sender. */
static enum caught
arp_reply(const uint8_t *f, unsigned int len, const struct frame_side *s)
{
	uint8_t sip[4];
	uint32_t seq = (uint32_t)rd16(f + 2) << 16 | rd16(f + 4);

	flood_ip4(sip, s, seq, 0);
	if (len < 42 || rd16(f + 14) != 1 || rd16(f + 16) != ETH_IPV4 || f[18] != 6 || f[19] != 4 ||
	    rd16(f + 20) != 2 || memcmp(f + 22, s->fwd_mac, 6) != 0 ||
	    memcmp(f + 28, s->fwd4, 4) != 0 || memcmp(f + 32, f, 6) != 0 ||
	    memcmp(f + 38, sip, 4) != 0)
		return CAUGHT_BAD_REPLY;
	return CAUGHT_ARP_REPLY;
}

/* srtpfwd's solicited advertisement (RFC 4861 §7.2.4) to a flood NS. */
static enum caught
na_reply(const uint8_t *f, unsigned int len, const struct frame_side *s)
{
	const uint8_t *ip = f + L3, *icmp = ip + 40;
	uint32_t seq = (uint32_t)rd16(f + 2) << 16 | rd16(f + 4);
	uint8_t dst[16];

	flood_ip6(dst, s, seq, 0xfd);
	if (len < L3 + 40 + 32 || rd16(ip + 4) != 32 || ip[7] != 255 ||
	    memcmp(ip + 8, s->fwd6, 16) != 0 || memcmp(ip + 24, dst, 16) != 0 || icmp[1] != 0 ||
	    icmp[4] != 0x60 || memcmp(icmp + 8, s->fwd6, 16) != 0 || icmp[24] != 2 ||
	    icmp[25] != 1 || memcmp(icmp + 26, s->fwd_mac, 6) != 0 || icmp6_csum(ip, icmp, 32) != 0)
		return CAUGHT_BAD_REPLY;
	return CAUGHT_NA;
}

/* Does an NA carry a target link-layer address option? */
static int
na_has_tlla(const uint8_t *icmp, unsigned int len)
{
	for (unsigned int o = 24; o + 8 <= len && icmp[o + 1] != 0; o += icmp[o + 1] * 8u)
		if (icmp[o] == 2)
			return 1;
	return 0;
}

enum caught
frame_caught(const uint8_t *f, unsigned int len, int outgoing, const struct frame_side *s,
	     enum bad_frame *dropped)
{
	unsigned int type;

	if (len < 14)
		return CAUGHT_OTHER;
	type = rd16(f + 12);
	if (!outgoing) {
		if (memcmp(f + 6, s->fwd_mac, 6) != 0 || f[0] != 0x02 || f[1] != 0xfd)
			return CAUGHT_OTHER;
		if (type == ETH_ARP)
			return arp_reply(f, len, s);
		if (type == ETH_IPV6 && len >= L3 + 41 && f[L3 + 6] == PROTO_ICMPV6 &&
		    f[L3 + 40] == NA)
			return na_reply(f, len, s);
		return CAUGHT_BAD_REPLY;
	}
	/* the peer's kernel, classified as neigh_input() and parse_one() do */
	if (type == ETH_ARP) {
		if (len < 42)
			return CAUGHT_KERNEL_IGNORED;
		if (rd16(f + 20) == 2)
			return CAUGHT_KERNEL_UNCOUNTED;
		return rd16(f + 20) == 1 && memcmp(f + 38, s->fwd4, 4) == 0 ? CAUGHT_KERNEL_ARP_US
									    : CAUGHT_KERNEL_IGNORED;
	}
	if (type == ETH_IPV4 && len >= L3 + 20) {
		/* a kernel's IPv4 is well formed: options (IGMP's router
		 * alert), then the protocol decide; its fragments would be
		 * reassembled before srtpfwd saw them (above) */
		if (rd16(f + L3 + 6) & 0x3fff)
			return CAUGHT_OTHER;
		if (f[L3] != 0x45)
			*dropped = BF_IPV4_OPTIONS;
		else if (f[L3 + 9] == 1) /* ICMP: punted, not an echo request to us */
			return CAUGHT_KERNEL_IGNORED;
		else
			*dropped = BF_IP_PROTO;
		return CAUGHT_KERNEL_DROPPED;
	}
	if (type == ETH_IPV6 && len >= L3 + 40) {
		unsigned int nh = f[L3 + 6], plen = rd16(f + L3 + 4);
		const uint8_t *icmp = f + L3 + 40;

		if (nh == PROTO_ICMPV6 && plen >= 24 && L3 + 40 + plen <= len) {
			if (icmp[0] == NS && memcmp(icmp + 8, s->fwd6, 16) == 0)
				return CAUGHT_KERNEL_NS_US;
			if (icmp[0] == NA && na_has_tlla(icmp, plen))
				return CAUGHT_KERNEL_UNCOUNTED;
			return CAUGHT_KERNEL_IGNORED;
		}
		/* parse_one() punts ICMPv6 and extension headers */
		if (nh == PROTO_ICMPV6 || nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 ||
		    nh == 50 || nh == 135 || nh == 139 || nh == 140)
			return CAUGHT_KERNEL_IGNORED;
		*dropped = BF_IP_PROTO;
		return CAUGHT_KERNEL_DROPPED;
	}
	return CAUGHT_OTHER;
}
