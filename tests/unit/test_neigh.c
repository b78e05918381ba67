/* test_neigh.c: control/neigh.c on frames built here, checked byte by byte.
 *
 * A real EAL (no hugepages) only for a real mbuf pool, so frees work and the
 * pool's in-use count proves nothing leaks. Local addresses: 192.0.2.1/24
 * untagged with gateway 192.0.2.254, 198.51.100.1/24 on VLAN 7 without one,
 * 2001:db8::1/64 without one, all on port 0. Sent frames are collected by
 * the io callback. Every expected frame is built here from the RFCs (ARP:
 * RFC 826, ND: RFC 4861, echo: RFC 792 / 4443) with the checksums of
 * csum.h, never with neigh.c's helpers, and compared whole.
 *
 *   - ARP request for a local address: the exact reply (VLAN kept); for a
 *     foreign address or on the wrong VLAN: ignored; truncated or not
 *     Ethernet/IPv4: malformed; unsolicited ARP creates no entry;
 *   - ICMP echo: the exact reply (TTL 64, checksums, id/seq/payload kept,
 *     VLAN kept); bad ICMP or IPv4 checksum: malformed; foreign: ignored;
 *   - NS for a local address: the exact NA (S|O, TLLA, hop limit 255);
 *     DAD (from ::): NA to ff02::1 with O only; hop limit 64: malformed;
 *     a zero-length option, or an SLLA option in a DAD NS: discarded as
 *     RFC 4861 §7.1.1 says; ICMPv6 echo: the exact reply;
 *   - next hops: neigh_ref sends the exact ARP request / NS (solicited-node
 *     group); off link without gateway refused, with one the entry is the
 *     gateway's; held frames (at most NEIGH_HOLD) go out with the MAC once
 *     an ARP reply / NA from the right link resolves it; retransmission
 *     every NEIGH_RETRY_MS, give-up after NEIGH_TRIES, refresh of resolved
 *     entries; static MACs never overwritten; shared references; a full
 *     table refused; the last unref frees the entry.
 */
#include <errno.h>

#include <rte_mbuf.h>

#include "../csum.h"
#include "../ring_ports.h"
#include "../test.h"
#include "control/neigh.h"
#include "dataplane/stats.h"

#define NEIGH_SIZE 64 /* entries including the unused entry 0 */

static struct rte_mempool *POOL;
static struct session_table T;
static struct neigh *NB;
static struct rte_mbuf *SENT[64];
static unsigned int N_SENT;

enum { A4, A4V, A6 }; /* local address indexes */
static const uint8_t OUR_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x0e, 0, 0, 0, 0, 0x22};
static const uint8_t PEER_MAC2[6] = {0x0e, 0, 0, 0, 0, 0x33};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO[16];
static const uint8_t L4[4] = {192, 0, 2, 1}, L4V[4] = {198, 51, 100, 1};
static const uint8_t L6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t PEER4[4] = {192, 0, 2, 9}, GW4[4] = {192, 0, 2, 254};
static const uint8_t PEER6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
/* ff02::1:ff00:1 and its MAC: where a DAD probe for L6 goes (RFC 4291 §2.7.1) */
static const uint8_t L6_SNM[16] = {0xff, 0x02, [11] = 1, 0xff, 0, 0, 1};
static const uint8_t L6_SNM_MAC[6] = {0x33, 0x33, 0xff, 0, 0, 1};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct rte_mbuf *
io_alloc(void *ctx)
{
	(void)ctx;
	return rte_pktmbuf_alloc(POOL);
}

static void
io_send(void *ctx, struct rte_mbuf *m)
{
	(void)ctx;
	if (N_SENT < RTE_DIM(SENT))
		SENT[N_SENT++] = m;
	else
		rte_pktmbuf_free(m);
}

static void
sent_clear(void)
{
	for (unsigned int i = 0; i < N_SENT; i++)
		rte_pktmbuf_free(SENT[i]);
	N_SENT = 0;
}

static const uint8_t *
sent(unsigned int i)
{
	return rte_pktmbuf_mtod(SENT[i], const uint8_t *);
}

/* Sent frame @p i is exactly @p want (length included), from port 0. */
static int
sent_is(unsigned int i, const uint8_t *want, unsigned int len)
{
	return i < N_SENT && SENT[i]->port == 0 && SENT[i]->nb_segs == 1 &&
	       SENT[i]->data_len == len && SENT[i]->pkt_len == len &&
	       memcmp(sent(i), want, len) == 0;
}

/* A received frame (m->port 0, punted as control traffic). */
static struct rte_mbuf *
rx(const uint8_t *f, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(POOL);
	void *d = m == NULL ? NULL : rte_pktmbuf_append(m, (uint16_t)len);

	if (d == NULL) /* the pool is sized for every test: cannot happen */
		abort();
	memcpy(d, f, len);
	m->port = 0;
	m->hash.usr = punt_info(DROP_NONE, 0);
	return m;
}

static unsigned int
eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t vlan, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, vlan);
		put16(f + 16, type);
		return 18;
	}
	put16(f + 12, type);
	return 14;
}

/* Zeros up to the 60-byte Ethernet minimum (without FCS). */
static unsigned int
pad(uint8_t *f, unsigned int len)
{
	if (len < 60) {
		memset(f + len, 0, 60 - len);
		len = 60;
	}
	return len;
}

/* An ARP frame from @p src_mac, unpadded. */
static unsigned int
arp_frame(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint16_t vlan, uint16_t op,
	  const uint8_t *sha, const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	unsigned int o = eth(f, dst_mac, src_mac, vlan, 0x0806);

	put16(f + o, 1); /* Ethernet */
	put16(f + o + 2, 0x0800);
	f[o + 4] = 6;
	f[o + 5] = 4;
	put16(f + o + 6, op);
	memcpy(f + o + 8, sha, 6);
	memcpy(f + o + 14, spa, 4);
	memcpy(f + o + 18, tha, 6);
	memcpy(f + o + 24, tpa, 4);
	return o + 28;
}

/* A broadcast ARP (request, or a reply with op 2) from the peer's MAC. */
static unsigned int
arp(uint8_t *f, uint16_t vlan, uint16_t op, const uint8_t *sha, const uint8_t *spa,
    const uint8_t *tpa)
{
	return arp_frame(f, BCAST, sha, vlan, op, sha, spa, ZERO, tpa);
}

/* ICMPv6 checksum over the pseudo header (RFC 8200 §8.1), folded. */
static uint16_t
icmp6_sum(const uint8_t *ip, const uint8_t *icmp, unsigned int len)
{
	uint32_t s = ocsum_add(0, ip + 8, 32) + len + 58;

	return ocsum_fold(ocsum_add(s, icmp, len));
}

/* An ICMPv6 message in IPv6 with a valid checksum. */
static unsigned int
icmp6(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src, const uint8_t *dst,
      uint8_t hl, const uint8_t *body, unsigned int len)
{
	unsigned int o = eth(f, dmac, smac, 0, 0x86dd);
	uint8_t *ip = f + o;

	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, len);
	ip[6] = 58;
	ip[7] = hl;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + 40, body, len);
	ip[42] = ip[43] = 0;
	put16(ip + 42, (uint16_t)~icmp6_sum(ip, ip + 40, len));
	return o + 40 + len;
}

/* An NS or NA body for @p target with one link-layer address option of
 * type @p opt (0: none) and length @p opt_len8 (in 8 bytes). @return its
 * length. */
static unsigned int
nd_body(uint8_t *b, uint8_t type, uint8_t flags, const uint8_t *target, uint8_t opt,
	uint8_t opt_len8, const uint8_t *mac)
{
	memset(b, 0, 32);
	b[0] = type;
	b[4] = flags;
	memcpy(b + 8, target, 16);
	if (opt == 0)
		return 24;
	b[24] = opt;
	b[25] = opt_len8;
	memcpy(b + 26, mac, 6);
	return 32;
}

/* An NS from the peer for @p target, to @p dst (unicast or solicited-node). */
static unsigned int
ns(uint8_t *f, const uint8_t *src, const uint8_t *dst, const uint8_t *dmac, const uint8_t *target,
   uint8_t hl, uint8_t opt, uint8_t opt_len8)
{
	uint8_t b[32];
	unsigned int n = nd_body(b, 135, 0, target, opt, opt_len8, PEER_MAC);

	return icmp6(f, dmac, PEER_MAC, src, dst, hl, b, n);
}

/* An NA from the peer for @p target with TLLA @p mac. */
static unsigned int
na(uint8_t *f, const uint8_t *target, const uint8_t *mac, uint8_t hl)
{
	uint8_t b[32];
	unsigned int n = nd_body(b, 136, 0x60, target, 2, 1, mac);

	return icmp6(f, OUR_MAC, PEER_MAC, target, L6, hl, b, n);
}

static uint64_t
in_use(void)
{
	return rte_mempool_in_use_count(POOL);
}

/* ---- answers for local addresses ---- */

TEST(arp_reply)
{
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t replied = st->arp_replied, ign = st->ignored;
	uint8_t f[128], want[128];
	unsigned int n;

	neigh_input(NB, rx(f, arp(f, 0, 1, PEER_MAC, PEER4, L4)), 0);
	/* to the requester, from us, op 2, our addresses as sender, the
	 * requester's as target, padded to the Ethernet minimum */
	n = pad(want, arp_frame(want, PEER_MAC, OUR_MAC, 0, 2, OUR_MAC, L4, PEER_MAC, PEER4));
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	/* on VLAN 7, for the address that lives there: the tag is kept */
	neigh_input(NB, rx(f, arp(f, 7, 1, PEER_MAC, PEER4, L4V)), 0);
	n = pad(want, arp_frame(want, PEER_MAC, OUR_MAC, 7, 2, OUR_MAC, L4V, PEER_MAC, PEER4));
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	CHECK_EQ(st->arp_replied - replied, 2);
	/* the VLAN address untagged, or on another VLAN: not ours there */
	neigh_input(NB, rx(f, arp(f, 0, 1, PEER_MAC, PEER4, L4V)), 0);
	neigh_input(NB, rx(f, arp(f, 8, 1, PEER_MAC, PEER4, L4V)), 0);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->ignored - ign, 2);
	CHECK_EQ(in_use(), 0);
}

TEST(arp_hostile)
{
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed, ign = st->ignored, res = st->resolved;
	uint8_t f[128];
	unsigned int n = arp(f, 0, 1, PEER_MAC, PEER4, L4);

	neigh_input(NB, rx(f, n - 1), 0); /* truncated: no target address */
	f[14 + 4] = 8; /* hardware address length 8 */
	neigh_input(NB, rx(f, n), 0);
	n = arp(f, 0, 1, PEER_MAC, PEER4, L4);
	put16(f + 14 + 2, 0x86dd); /* protocol not IPv4 */
	neigh_input(NB, rx(f, n), 0);
	n = arp(f, 0, 1, PEER_MAC, PEER4, L4);
	put16(f + 14, 6); /* hardware not Ethernet */
	neigh_input(NB, rx(f, n), 0);
	neigh_input(NB, rx(f, 10), 0); /* shorter than Ethernet */
	CHECK_EQ(st->malformed - mal, 5);
	n = arp(f, 0, 1, PEER_MAC, PEER4, (const uint8_t[4]){192, 0, 2, 77}); /* foreign */
	neigh_input(NB, rx(f, n), 0);
	n = arp(f, 0, 9, PEER_MAC, PEER4, L4); /* unknown opcode */
	neigh_input(NB, rx(f, n), 0);
	CHECK_EQ(st->ignored - ign, 2);
	CHECK_EQ(N_SENT, 0);
	/* unsolicited ARP (a reply nobody asked for, a gratuitous request)
	 * from hosts with no entry creates none: a flood cannot fill the table */
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC, PEER4, L4)), 0);
	neigh_input(NB, rx(f, arp(f, 0, 1, PEER_MAC, PEER4, PEER4)), 0);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(st->resolved - res, 0);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(in_use(), 0);
}

/* An ICMP echo request from the peer to @p dst on @p vlan. */
static unsigned int
echo4(uint8_t *f, uint16_t vlan, const uint8_t *dst, unsigned int payload)
{
	unsigned int o = eth(f, OUR_MAC, PEER_MAC, vlan, 0x0800);
	uint8_t *ip = f + o, *ic = ip + 20;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + payload));
	put16(ip + 4, 0x4242); /* identification: kept in the reply */
	ip[8] = 9; /* TTL: the reply starts afresh at 64 */
	ip[9] = 1;
	memcpy(ip + 12, PEER4, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, (uint16_t)~ocsum_fold(ocsum_add(0, ip, 20)));
	ic[0] = 8;
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, 0x1234);
	put16(ic + 6, 7);
	for (unsigned int i = 0; i < payload; i++)
		ic[8 + i] = (uint8_t)(i * 3);
	put16(ic + 2, (uint16_t)~ocsum_fold(ocsum_add(0, ic, 8 + payload)));
	return o + 20 + 8 + payload;
}

/* The echo reply to echo4(@p req): addresses and MACs swapped, TTL 64,
 * type 0, both checksums recomputed, the rest kept. */
static unsigned int
echo4_reply(uint8_t *want, const uint8_t *req, unsigned int len, unsigned int l2)
{
	uint8_t *ip = want + l2, *ic = ip + 20;

	memcpy(want, req, len);
	memcpy(want, PEER_MAC, 6);
	memcpy(want + 6, OUR_MAC, 6);
	memcpy(ip + 12, req + l2 + 16, 4);
	memcpy(ip + 16, PEER4, 4);
	ip[8] = 64;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ocsum_fold(ocsum_add(0, ip, 20)));
	ic[0] = 0;
	put16(ic + 2, 0);
	put16(ic + 2, (uint16_t)~ocsum_fold(ocsum_add(0, ic, len - l2 - 20)));
	return pad(want, len);
}

TEST(icmp_echo)
{
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed, ign = st->ignored, echo = st->echo_replied;
	uint8_t f[256], want[256];
	unsigned int n = echo4(f, 0, L4, 57), wl;

	neigh_input(NB, rx(f, n), 0);
	wl = echo4_reply(want, f, n, 14);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, wl));
	/* and, read on its own: valid checksums, the same id, seq, payload */
	if (N_SENT == 1) {
		const uint8_t *r = sent(0), *ic = r + 34;

		CHECK_EQ(ocsum_fold(ocsum_add(0, r + 14, 20)), 0xffff);
		CHECK_EQ(ocsum_fold(ocsum_add(0, ic, 8 + 57)), 0xffff);
		CHECK_EQ(get16(ic + 4), 0x1234);
		CHECK_EQ(get16(ic + 6), 7);
		CHECK_MEM(ic + 8, f + 34 + 8, 57);
	}
	sent_clear();
	/* the VLAN address, tagged; a short ping is padded */
	n = echo4(f, 7, L4V, 4);
	neigh_input(NB, rx(f, n), 0);
	wl = echo4_reply(want, f, n, 18);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, wl));
	sent_clear();
	CHECK_EQ(st->echo_replied - echo, 2);
	n = echo4(f, 0, L4, 16);
	f[34 + 8] ^= 1; /* bad ICMP checksum */
	neigh_input(NB, rx(f, n), 0);
	n = echo4(f, 0, L4, 16);
	f[14 + 8] ^= 1; /* bad IPv4 header checksum */
	neigh_input(NB, rx(f, n), 0);
	n = echo4(f, 0, L4, 16);
	put16(f + 14 + 2, 20 + 8 + 17); /* total length past the frame... */
	put16(f + 14 + 10, 0); /* ...with a header checksum that agrees */
	put16(f + 14 + 10, (uint16_t)~ocsum_fold(ocsum_add(0, f + 14, 20)));
	neigh_input(NB, rx(f, n), 0);
	CHECK_EQ(st->malformed - mal, 3);
	n = echo4(f, 0, (const uint8_t[4]){192, 0, 2, 50}, 16); /* not ours */
	neigh_input(NB, rx(f, n), 0);
	CHECK_EQ(st->ignored - ign, 1);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(in_use(), 0);
}

TEST(nd_answers)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed, nd = st->nd_replied;
	uint8_t f[256], want[256], b[64];
	unsigned int n;

	/* from a unicast source with its SLLA, to our address: the NA goes to
	 * the SLLA, Solicited | Override, our MAC as TLLA, hop limit 255 */
	neigh_input(NB, rx(f, ns(f, PEER6, L6, OUR_MAC, L6, 255, 1, 1)), 0);
	n = nd_body(b, 136, 0x60, L6, 2, 1, OUR_MAC);
	n = icmp6(want, PEER_MAC, OUR_MAC, L6, PEER6, 255, b, n);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	if (N_SENT == 1)
		CHECK_EQ(icmp6_sum(sent(0) + 14, sent(0) + 54, 32), 0xffff);
	sent_clear();
	/* to the solicited-node group, the usual way: the same answer */
	neigh_input(NB, rx(f, ns(f, PEER6, L6_SNM, L6_SNM_MAC, L6, 255, 1, 1)), 0);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	/* duplicate address detection (RFC 4862 §5.4.2: from ::, to the
	 * solicited-node group, no SLLA): answered to all nodes, Override
	 * only (RFC 4861 §7.2.4) */
	neigh_input(NB, rx(f, ns(f, ZERO, L6_SNM, L6_SNM_MAC, L6, 255, 0, 0)), 0);
	n = nd_body(b, 136, 0x20, L6, 2, 1, OUR_MAC);
	n = icmp6(want, all_nodes_mac, OUR_MAC, L6, all_nodes, 255, b, n);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	CHECK_EQ(st->nd_replied - nd, 3);
	/* hop limit 64: routed, not from the link (§7.1.1) */
	neigh_input(NB, rx(f, ns(f, PEER6, L6, OUR_MAC, L6, 64, 1, 1)), 0);
	CHECK_EQ(st->malformed - mal, 1);
	CHECK_EQ(N_SENT, 0);
	/* ICMPv6 echo: the reply, hop limit 64, id/seq/data kept */
	{
		uint8_t e[24] = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};

		neigh_input(NB, rx(f, icmp6(f, OUR_MAC, PEER_MAC, PEER6, L6, 64, e, 24)), 0);
		e[0] = 129;
		n = icmp6(want, PEER_MAC, OUR_MAC, L6, PEER6, 64, e, 24);
		CHECK_EQ(N_SENT, 1);
		CHECK(sent_is(0, want, n));
		sent_clear();
	}
	/* an SLLA in a solicitation learns nothing new: entries are only
	 * made by neigh_ref */
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(in_use(), 0);
}

/* RFC 4861 §7.1.1: "A node MUST silently discard any received Neighbor
 * Solicitation messages that do not satisfy all of the following validity
 * checks: ... All included options have a length that is greater than zero.
 * ... If the IP source address is the unspecified address, ... there is no
 * source link-layer address option." */
TEST(nd_invalid_discarded)
{
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed, nd = st->nd_replied;
	uint8_t f[256];

	/* a zero-length option (no crash either: the parser must not loop) */
	neigh_input(NB, rx(f, ns(f, PEER6, L6, OUR_MAC, L6, 255, 1, 0)), 0);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->malformed - mal, 1);
	sent_clear();
	/* a DAD probe (from ::) carrying a source link-layer address */
	neigh_input(NB, rx(f, ns(f, ZERO, L6_SNM, L6_SNM_MAC, L6, 255, 1, 1)), 0);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->malformed - mal, 2);
	sent_clear();
	CHECK_EQ(st->nd_replied - nd, 0);
	/* an NA with a zero-length option teaches nothing, even about a next
	 * hop being asked for */
	{
		struct endpoint peer = {.ip6 = 1, .port = 4000};
		uint8_t body[32], mac[6];
		unsigned int n = nd_body(body, 136, 0x60, PEER6, 2, 0, PEER_MAC);
		uint16_t idx;
		char err[160];

		memcpy(peer.addr, PEER6, 16);
		REQUIRE(neigh_ref(NB, A6, &peer, NULL, &idx, err, sizeof(err)) == 0);
		sent_clear(); /* its solicitation */
		neigh_input(NB, rx(f, icmp6(f, OUR_MAC, PEER_MAC, PEER6, L6, 255, body, n)), 0);
		CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
		CHECK_EQ(N_SENT, 0);
		neigh_unref(NB, idx);
	}
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(in_use(), 0);
}

/* ---- next hops ---- */

/* A complete egress frame the worker punted for entry @p idx: everything
 * but the destination MAC, which control fills in. */
static struct rte_mbuf *
held_frame(uint16_t idx, uint8_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(POOL);
	uint8_t *d = m == NULL ? NULL : (uint8_t *)rte_pktmbuf_append(m, 64);

	if (d == NULL) /* the pool is sized for every test: cannot happen */
		abort();
	memset(d, tag, 64);
	memset(d, 0, 6);
	memcpy(d + 6, OUR_MAC, 6);
	m->port = 0;
	m->hash.usr = punt_info(DROP_NO_NEXTHOP, idx);
	return m;
}

/* Held frame @p k (of tag @p tag) sent with destination @p mac, otherwise
 * untouched. */
static int
held_sent_is(unsigned int k, const uint8_t *mac, uint8_t tag)
{
	uint8_t want[64];

	memset(want, tag, 64);
	memcpy(want, mac, 6);
	memcpy(want + 6, OUR_MAC, 6);
	return sent_is(k, want, 64);
}

/* The exact broadcast ARP request from local address 0 for @p ip. */
static unsigned int
arp_request(uint8_t *want, const uint8_t *ip)
{
	return pad(want, arp_frame(want, BCAST, OUR_MAC, 0, 1, OUR_MAC, L4, ZERO, ip));
}

static struct endpoint
ep4(const uint8_t *ip)
{
	struct endpoint e = {.ip6 = 0, .port = 4000};

	memcpy(e.addr, ip, 4);
	return e;
}

TEST(resolve_and_hold)
{
	const struct neigh_stats *st = neigh_stats(NB);
	struct endpoint peer = ep4(PEER4);
	uint64_t dropped = st->held_dropped, held = st->held, hsent = st->held_sent;
	uint64_t res = st->resolved, req = st->requests_sent, ans = st->answers;
	uint16_t idx, again;
	uint8_t f[128], want[128], mac[6];
	char err[160];
	unsigned int n;

	REQUIRE(neigh_ref(NB, A4, &peer, NULL, &idx, err, sizeof(err)) == 0);
	CHECK(idx != 0);
	CHECK_EQ(neigh_count(NB), 1);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	/* asked at once: broadcast ARP for the peer from our address */
	n = arp_request(want, PEER4);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	CHECK_EQ(st->requests_sent - req, 1);
	sent_clear();
	/* a second reference: the same entry, not asked again */
	REQUIRE(neigh_ref(NB, A4, &peer, NULL, &again, err, sizeof(err)) == 0);
	CHECK_EQ(again, idx);
	CHECK_EQ(neigh_count(NB), 1);
	CHECK_EQ(N_SENT, 0);
	neigh_unref(NB, again);
	CHECK_EQ(neigh_count(NB), 1);
	/* frames wait: NEIGH_HOLD of them, the rest are dropped and counted */
	for (unsigned int k = 0; k < NEIGH_HOLD + 2; k++)
		neigh_input(NB, held_frame(idx, (uint8_t)(0x40 + k)), 10);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->held - held, NEIGH_HOLD);
	CHECK_EQ(st->held_dropped - dropped, 2);
	/* answers that must not resolve it: from the peer's address but on
	 * VLAN 7 (another link), and with a multicast sender MAC */
	neigh_input(NB, rx(f, arp(f, 7, 2, PEER_MAC, PEER4, L4V)), 15);
	neigh_input(NB, rx(f, arp(f, 0, 2, (const uint8_t[6]){0x01, 0, 0x5e, 0, 0, 1}, PEER4, L4)),
		    15);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	CHECK_EQ(N_SENT, 0);
	/* the peer answers: resolved, the held frames go out in order */
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC, PEER4, L4)), 20);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, PEER_MAC, 6);
	CHECK_EQ(st->resolved - res, 1);
	CHECK_EQ(N_SENT, NEIGH_HOLD);
	for (unsigned int k = 0; k < NEIGH_HOLD; k++)
		CHECK(held_sent_is(k, PEER_MAC, (uint8_t)(0x40 + k)));
	CHECK_EQ(st->held_sent - hsent, NEIGH_HOLD);
	sent_clear();
	/* a frame punted after resolution (the worker looked before) goes
	 * straight out */
	neigh_input(NB, held_frame(idx, 0x77), 30);
	CHECK_EQ(N_SENT, 1);
	CHECK(held_sent_is(0, PEER_MAC, 0x77));
	sent_clear();
	/* refreshed while referenced, NEIGH_REFRESH_MS after the answer,
	 * keeping its MAC meanwhile */
	neigh_timer(NB, 20 + NEIGH_REFRESH_MS - 1);
	CHECK_EQ(N_SENT, 0);
	neigh_timer(NB, 20 + NEIGH_REFRESH_MS);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	sent_clear();
	/* the peer moved to another MAC: followed */
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC2, PEER4, L4)), 20 + NEIGH_REFRESH_MS + 5);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, PEER_MAC2, 6);
	CHECK_EQ(st->resolved - res, 2);
	/* every ARP reply taken in is counted, resolving or not (the VLAN 7
	 * and multicast ones too: learned from, for nothing) */
	CHECK_EQ(st->answers - ans, 4);
	/* the last reference frees the entry and clears what workers read */
	neigh_unref(NB, idx);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	/* a frame punted for a freed entry, or for none: dropped, not leaked */
	dropped = st->held_dropped;
	neigh_input(NB, held_frame(idx, 0x78), 40);
	neigh_input(NB, held_frame(0, 0x79), 40);
	CHECK_EQ(st->held_dropped - dropped, 2);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(in_use(), 0);
}

TEST(gateway_retry_give_up)
{
	const struct neigh_stats *st = neigh_stats(NB);
	struct endpoint far = ep4((const uint8_t[4]){203, 0, 113, 5});
	struct endpoint far2 = ep4((const uint8_t[4]){203, 0, 113, 6});
	uint64_t dropped, t0 = 1000;
	uint16_t gw, gw2;
	uint8_t want[128], mac[6];
	char err[160];
	unsigned int n = arp_request(want, GW4);

	/* off link: the entry is the gateway's, shared by every remote
	 * behind it */
	REQUIRE(neigh_ref(NB, A4, &far, NULL, &gw, err, sizeof(err)) == 0);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	REQUIRE(neigh_ref(NB, A4, &far2, NULL, &gw2, err, sizeof(err)) == 0);
	CHECK_EQ(gw2, gw);
	CHECK_EQ(neigh_count(NB), 1);
	CHECK_EQ(N_SENT, 0);
	neigh_unref(NB, gw2);
	neigh_input(NB, held_frame(gw, 0x55), t0);
	/* never answered: asked again every NEIGH_RETRY_MS, NEIGH_TRIES times
	 * in all, the same request each time */
	neigh_timer(NB, t0); /* the first pass arms the retry timer */
	CHECK_EQ(N_SENT, 0);
	for (unsigned int k = 1; k < NEIGH_TRIES; k++) {
		neigh_timer(NB, t0 + k * NEIGH_RETRY_MS - 1);
		CHECK_EQ(N_SENT, k - 1);
		neigh_timer(NB, t0 + k * NEIGH_RETRY_MS);
		CHECK_EQ(N_SENT, k);
		CHECK(sent_is(k - 1, want, n));
	}
	sent_clear();
	/* then what waits is stale: dropped; the entry stays, unresolved */
	dropped = st->held_dropped;
	neigh_timer(NB, t0 + NEIGH_TRIES * NEIGH_RETRY_MS);
	CHECK_EQ(st->held_dropped - dropped, 1);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(neigh_mac(T.neigh, gw, mac), 0);
	CHECK_EQ(neigh_count(NB), 1);
	/* and asked again, more slowly than before, but asked */
	neigh_timer(NB, t0 + (NEIGH_TRIES + 1) * NEIGH_RETRY_MS);
	CHECK_EQ(N_SENT, 0);
	neigh_timer(NB, t0 + NEIGH_TRIES * NEIGH_RETRY_MS + 60000);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	neigh_unref(NB, gw);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(in_use(), 0);
}

TEST(static_mac)
{
	const struct neigh_stats *st = neigh_stats(NB);
	struct endpoint peer = ep4(PEER4);
	static const uint8_t stat[6] = {0x0a, 1, 2, 3, 4, 5};
	uint64_t out;
	uint16_t idx, idx2;
	uint8_t f[128], mac[6];
	char err[160];

	REQUIRE(neigh_ref(NB, A4, &peer, stat, &idx, err, sizeof(err)) == 0);
	CHECK_EQ(N_SENT, 0); /* static: never asked */
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	/* neither an ARP reply nor the timer moves it */
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC, PEER4, L4)), 0);
	neigh_timer(NB, 0);
	neigh_timer(NB, 10 * NEIGH_REFRESH_MS);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	/* a dynamic reference to it shares it; releasing one keeps it */
	REQUIRE(neigh_ref(NB, A4, &peer, NULL, &idx2, err, sizeof(err)) == 0);
	CHECK_EQ(idx2, idx);
	CHECK_EQ(N_SENT, 0);
	neigh_unref(NB, idx);
	CHECK_EQ(neigh_count(NB), 1);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	neigh_unref(NB, idx2);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	/* a dynamic entry with frames waiting, then given a static MAC: the
	 * MAC is the static one, and no waiting frame leaves without it */
	REQUIRE(neigh_ref(NB, A4, &peer, NULL, &idx, err, sizeof(err)) == 0);
	sent_clear(); /* its ARP request */
	out = st->held_sent + st->held_dropped;
	neigh_input(NB, held_frame(idx, 0x61), 0);
	neigh_input(NB, held_frame(idx, 0x62), 0);
	REQUIRE(neigh_ref(NB, A4, &peer, stat, &idx2, err, sizeof(err)) == 0);
	CHECK_EQ(idx2, idx);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	for (unsigned int k = 0; k < N_SENT; k++)
		CHECK_MEM(sent(k), stat, 6);
	CHECK_EQ(st->held_sent + st->held_dropped - out, 2);
	sent_clear();
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC, PEER4, L4)), 0);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	neigh_unref(NB, idx);
	neigh_unref(NB, idx2);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(in_use(), 0);
}

TEST(refused)
{
	struct endpoint v4far = ep4((const uint8_t[4]){203, 0, 113, 5});
	struct endpoint v6far = {.ip6 = 1, .port = 4000};
	static const uint8_t stat[6] = {0x0a, 1, 2, 3, 4, 5};
	uint16_t idx[NEIGH_SIZE], i;
	char err[160];

	/* off link of an address without gateway: refused, nothing changed */
	memcpy(v6far.addr, (const uint8_t[16]){0x20, 0x01, 0x0d, 0xb9, [15] = 1}, 16);
	err[0] = 0;
	CHECK_EQ(neigh_ref(NB, A6, &v6far, NULL, &i, err, sizeof(err)), -EHOSTUNREACH);
	CHECK(strstr(err, "gateway") != NULL);
	err[0] = 0;
	CHECK_EQ(neigh_ref(NB, A4V, &v4far, NULL, &i, err, sizeof(err)), -EHOSTUNREACH);
	CHECK(strstr(err, "gateway") != NULL);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(N_SENT, 0);
	/* a full table: NEIGH_SIZE - 1 next hops (entry 0 means none), then
	 * -ENOSPC with nothing changed (static ones: no requests to collect) */
	for (unsigned int k = 0; k < NEIGH_SIZE - 1; k++) {
		struct endpoint e = ep4((const uint8_t[4]){198, 51, 100, (uint8_t)(2 + k)});

		REQUIRE(neigh_ref(NB, A4V, &e, stat, &idx[k], err, sizeof(err)) == 0);
	}
	CHECK_EQ(neigh_count(NB), NEIGH_SIZE - 1);
	{
		struct endpoint e = ep4((const uint8_t[4]){198, 51, 100, 200});

		err[0] = 0;
		CHECK_EQ(neigh_ref(NB, A4V, &e, NULL, &i, err, sizeof(err)), -ENOSPC);
		CHECK(strstr(err, "full") != NULL);
	}
	CHECK_EQ(neigh_count(NB), NEIGH_SIZE - 1);
	CHECK_EQ(N_SENT, 0);
	for (unsigned int k = 0; k < NEIGH_SIZE - 1; k++)
		neigh_unref(NB, idx[k]);
	CHECK_EQ(neigh_count(NB), 0);
	neigh_unref(NB, idx[0]); /* once more: ignored, not a double free */
	neigh_unref(NB, 0);
	CHECK_EQ(neigh_count(NB), 0);
}

TEST(resolve_v6)
{
	const struct neigh_stats *st = neigh_stats(NB);
	struct endpoint peer = {.ip6 = 1, .port = 4000};
	static const uint8_t snm[16] = {0xff, 0x02, [11] = 1, 0xff, 0, 0, 9};
	static const uint8_t snm_mac[6] = {0x33, 0x33, 0xff, 0, 0, 9};
	static const uint8_t other[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x77};
	uint64_t mal = st->malformed;
	uint8_t f[256], want[256], b[64], mac[6];
	char err[160];
	unsigned int n;
	uint16_t idx;

	memcpy(peer.addr, PEER6, 16);
	REQUIRE(neigh_ref(NB, A6, &peer, NULL, &idx, err, sizeof(err)) == 0);
	/* an NS from our address to the peer's solicited-node group, with
	 * our MAC as SLLA */
	n = nd_body(b, 135, 0, PEER6, 1, 1, OUR_MAC);
	n = icmp6(want, snm_mac, OUR_MAC, L6, snm, 255, b, n);
	CHECK_EQ(N_SENT, 1);
	CHECK(sent_is(0, want, n));
	sent_clear();
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	neigh_input(NB, held_frame(idx, 0x66), 0);
	/* an NA with hop limit 64 is not from the link: malformed, ignored */
	neigh_input(NB, rx(f, na(f, PEER6, PEER_MAC, 64)), 0);
	CHECK_EQ(st->malformed - mal, 1);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	/* an NA for another address creates nothing */
	neigh_input(NB, rx(f, na(f, other, PEER_MAC, 255)), 0);
	CHECK_EQ(neigh_count(NB), 1);
	CHECK_EQ(N_SENT, 0);
	/* the peer's NA resolves it; the held frame goes out */
	neigh_input(NB, rx(f, na(f, PEER6, PEER_MAC, 255)), 0);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, PEER_MAC, 6);
	CHECK_EQ(N_SENT, 1);
	CHECK(held_sent_is(0, PEER_MAC, 0x66));
	sent_clear();
	neigh_unref(NB, idx);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(in_use(), 0);
}

int
main(void)
{
	struct addr_route routes[3] = {[A4] = {.prefix_len = 24, .has_gw = 1},
				       [A4V] = {.prefix_len = 24},
				       [A6] = {.prefix_len = 64}};
	struct neigh_io io = {NULL, io_alloc, io_send};
	unsigned int start;
	int bad;

	if (ring_eal_init("test_neigh", "128") < 0)
		return 1;
	POOL = rte_pktmbuf_pool_create("pool", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (POOL == NULL)
		return 1;
	start = rte_mempool_in_use_count(POOL);
	memcpy(routes[A4].gw, GW4, 4);
	T.n_addrs = 3;
	memcpy(T.addrs[A4].addr, L4, 4);
	memcpy(T.addrs[A4V].addr, L4V, 4);
	T.addrs[A4V].vlan = 7;
	memcpy(T.addrs[A6].addr, L6, 16);
	T.addrs[A6].ip6 = 1;
	for (unsigned int a = 0; a < 3; a++)
		memcpy(T.addrs[a].mac, OUR_MAC, 6);
	T.neigh_size = NEIGH_SIZE;
	NB = neigh_new(&T, routes, &io);
	if (NB == NULL)
		return 1;
	bad = test_run_all();
	sent_clear();
	neigh_free(NB);
	if (rte_mempool_in_use_count(POOL) != start) {
		fprintf(stderr, "%u mbufs leaked\n", rte_mempool_in_use_count(POOL) - start);
		bad = 1;
	}
	rte_eal_cleanup();
	return bad;
}
