/* test_neigh.c: control/neigh.c on frames built here, checked byte by byte.
 *
 * A real EAL (no hugepages) only for a real mbuf pool, so frees work and the
 * pool's in-use count proves nothing leaks. Local addresses: 192.0.2.1/24
 * untagged and 198.51.100.1/24 on VLAN 7 (port 0), 2001:db8::1/64 (port 0),
 * gateway 192.0.2.254. Sent frames are collected by the io callback.
 *
 *   - ARP request for a local address: the exact reply (VLAN kept); for a
 *     foreign address: ignored; truncated or non-Ethernet/IPv4: malformed;
 *   - ICMP echo: reply with valid checksums, same id/seq/payload; bad ICMP
 *     checksum: malformed; to a foreign address: ignored;
 *   - NS for a local address: NA with S|O, target, TLLA, hop limit 255,
 *     valid checksum; DAD (from ::): NA to ff02::1 with O only; hop limit
 *     64: malformed; a zero-length option: no crash, no learning;
 *     ICMPv6 echo: reply;
 *   - next hops: neigh_ref sends ARP / NS to the solicited-node group;
 *     off link without gateway refused, with a gateway the entry is the
 *     gateway; held frames (at most NEIGH_HOLD) go out with the MAC once an
 *     ARP reply / NA resolves it; retransmission and give-up on the timer;
 *     unsolicited ARP creates nothing; a static MAC is never overwritten;
 *     the last unref frees the entry.
 */
#include <errno.h>

#include <rte_mbuf.h>

#include "../csum.h"
#include "../ring_ports.h"
#include "../test.h"
#include "control/neigh.h"
#include "dataplane/stats.h"

static struct rte_mempool *POOL;
static struct session_table T;
static struct neigh *NB;
static struct rte_mbuf *SENT[64];
static unsigned int N_SENT;

static const uint8_t OUR_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x0e, 0, 0, 0, 0, 0x22};
static const uint8_t L4[4] = {192, 0, 2, 1}, L4V[4] = {198, 51, 100, 1};
static const uint8_t L6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t PEER4[4] = {192, 0, 2, 9}, GW4[4] = {192, 0, 2, 254};
static const uint8_t PEER6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};

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

/* A received frame (m->port 0, punted as control traffic). */
static struct rte_mbuf *
rx(const uint8_t *f, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(POOL);

	memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
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

static unsigned int
arp(uint8_t *f, uint16_t vlan, uint16_t op, const uint8_t *sha, const uint8_t *spa,
    const uint8_t *tpa)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	unsigned int o = eth(f, bcast, sha, vlan, 0x0806);

	put16(f + o, 1);
	put16(f + o + 2, 0x0800);
	f[o + 4] = 6;
	f[o + 5] = 4;
	put16(f + o + 6, op);
	memcpy(f + o + 8, sha, 6);
	memcpy(f + o + 14, spa, 4);
	memset(f + o + 18, 0, 6);
	memcpy(f + o + 24, tpa, 4);
	return o + 28;
}

/* ICMPv6 checksum over the pseudo header (RFC 8200 §8.1). */
static uint16_t
icmp6_sum(const uint8_t *ip, const uint8_t *icmp, unsigned int len)
{
	uint32_t s = ocsum_add(0, ip + 8, 32) + len + 58;

	return ocsum_fold(ocsum_add(s, icmp, len));
}

/* An ICMPv6 message in IPv6 from @p src to @p dst with hop limit @p hl. */
static unsigned int
icmp6(uint8_t *f, const uint8_t *dmac, const uint8_t *src, const uint8_t *dst, uint8_t hl,
      const uint8_t *body, unsigned int len)
{
	unsigned int o = eth(f, dmac, PEER_MAC, 0, 0x86dd);
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

static unsigned int
ns(uint8_t *f, const uint8_t *src, const uint8_t *target, uint8_t hl, int opt_len8)
{
	uint8_t b[32] = {135, 0};

	memcpy(b + 8, target, 16);
	b[24] = 1; /* source link-layer address */
	b[25] = (uint8_t)opt_len8;
	memcpy(b + 26, PEER_MAC, 6);
	return icmp6(f, OUR_MAC, src, L6, hl, b, 32);
}

static int
is_zero(const uint8_t *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* ---- answers for local addresses ---- */

TEST(arp_reply)
{
	uint8_t f[128];
	const uint8_t *r;

	neigh_input(NB, rx(f, arp(f, 0, 1, PEER_MAC, PEER4, L4)), 0);
	REQUIRE(N_SENT == 1);
	r = sent(0);
	CHECK_EQ(SENT[0]->port, 0);
	CHECK_MEM(r, PEER_MAC, 6);
	CHECK_MEM(r + 6, OUR_MAC, 6);
	CHECK_EQ(get16(r + 12), 0x0806);
	CHECK_EQ(get16(r + 20), 2);
	CHECK_MEM(r + 22, OUR_MAC, 6);
	CHECK_MEM(r + 28, L4, 4);
	CHECK_MEM(r + 32, PEER_MAC, 6);
	CHECK_MEM(r + 38, PEER4, 4);
	CHECK(SENT[0]->data_len >= 60); /* padded to the Ethernet minimum */
	sent_clear();
	/* on VLAN 7, for the address that lives there: tag kept */
	neigh_input(NB, rx(f, arp(f, 7, 1, PEER_MAC, PEER4, L4V)), 0);
	REQUIRE(N_SENT == 1);
	r = sent(0);
	CHECK_EQ(get16(r + 12), 0x8100);
	CHECK_EQ(get16(r + 14) & 0xfff, 7);
	CHECK_EQ(get16(r + 16), 0x0806);
	CHECK_MEM(r + 18 + 14, L4V, 4);
	sent_clear();
	/* the same address untagged, or another VLAN's: not ours there */
	neigh_input(NB, rx(f, arp(f, 0, 1, PEER_MAC, PEER4, L4V)), 0);
	neigh_input(NB, rx(f, arp(f, 8, 1, PEER_MAC, PEER4, L4V)), 0);
	CHECK_EQ(N_SENT, 0);
}

TEST(arp_hostile)
{
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed, ign = st->ignored;
	uint8_t f[128];
	unsigned int n = arp(f, 0, 1, PEER_MAC, PEER4, L4);

	neigh_input(NB, rx(f, n - 1), 0); /* truncated */
	f[14 + 4] = 8; /* hlen 8 */
	neigh_input(NB, rx(f, n), 0);
	n = arp(f, 0, 1, PEER_MAC, PEER4, (const uint8_t[4]){192, 0, 2, 77}); /* foreign */
	neigh_input(NB, rx(f, n), 0);
	n = arp(f, 0, 9, PEER_MAC, PEER4, L4); /* unknown opcode */
	neigh_input(NB, rx(f, n), 0);
	neigh_input(NB, rx(f, 10), 0); /* shorter than Ethernet */
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->malformed - mal, 3);
	CHECK_EQ(st->ignored - ign, 2);
	/* unsolicited ARP from a host with no entry creates none */
	CHECK_EQ(neigh_count(NB), 0);
}

static unsigned int
echo4(uint8_t *f, const uint8_t *dst, unsigned int payload)
{
	unsigned int o = eth(f, OUR_MAC, PEER_MAC, 0, 0x0800);
	uint8_t *ip = f + o, *ic = ip + 20;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + payload));
	ip[8] = 64;
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

TEST(icmp_echo)
{
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed, ign = st->ignored;
	uint8_t f[256];
	unsigned int n = echo4(f, L4, 57);
	const uint8_t *r, *ic;

	neigh_input(NB, rx(f, n), 0);
	REQUIRE(N_SENT == 1);
	r = sent(0);
	ic = r + 34;
	CHECK_MEM(r, PEER_MAC, 6);
	CHECK_MEM(r + 14 + 12, L4, 4);
	CHECK_MEM(r + 14 + 16, PEER4, 4);
	CHECK_EQ(ocsum_fold(ocsum_add(0, r + 14, 20)), 0xffff);
	CHECK_EQ(ic[0], 0);
	CHECK_EQ(get16(ic + 4), 0x1234);
	CHECK_EQ(get16(ic + 6), 7);
	CHECK_MEM(ic + 8, f + 34 + 8, 57);
	CHECK_EQ(ocsum_fold(ocsum_add(0, ic, 8 + 57)), 0xffff);
	sent_clear();
	n = echo4(f, L4, 16);
	f[34 + 8] ^= 1; /* bad ICMP checksum */
	neigh_input(NB, rx(f, n), 0);
	n = echo4(f, (const uint8_t[4]){192, 0, 2, 50}, 16); /* not ours */
	neigh_input(NB, rx(f, n), 0);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->malformed - mal, 1);
	CHECK_EQ(st->ignored - ign, 1);
}

TEST(nd_answers)
{
	static const uint8_t unspec[16];
	const struct neigh_stats *st = neigh_stats(NB);
	uint64_t mal = st->malformed;
	uint8_t f[256];
	const uint8_t *r, *ip, *ic;

	neigh_input(NB, rx(f, ns(f, PEER6, L6, 255, 1)), 0);
	REQUIRE(N_SENT == 1);
	r = sent(0);
	ip = r + 14;
	ic = ip + 40;
	CHECK_MEM(r, PEER_MAC, 6); /* to the soliciting node's link-layer address */
	CHECK_EQ(get16(ip + 4), 32);
	CHECK_EQ(ip[6], 58);
	CHECK_EQ(ip[7], 255);
	CHECK_MEM(ip + 8, L6, 16);
	CHECK_MEM(ip + 24, PEER6, 16);
	CHECK_EQ(ic[0], 136);
	CHECK_EQ(ic[4], 0x60); /* solicited | override */
	CHECK_MEM(ic + 8, L6, 16);
	CHECK_EQ(ic[24], 2);
	CHECK_EQ(ic[25], 1);
	CHECK_MEM(ic + 26, OUR_MAC, 6);
	CHECK_EQ(icmp6_sum(ip, ic, 32), 0xffff);
	sent_clear();
	/* duplicate address detection: from ::, answered to all nodes */
	neigh_input(NB, rx(f, ns(f, unspec, L6, 255, 1)), 0);
	REQUIRE(N_SENT == 1);
	r = sent(0);
	CHECK_MEM(r, ((const uint8_t[6]){0x33, 0x33, 0, 0, 0, 1}), 6);
	CHECK_EQ(r[14 + 24], 0xff);
	CHECK_EQ(r[14 + 39], 1);
	CHECK_EQ(r[14 + 40 + 4], 0x20); /* override only */
	sent_clear();
	/* hop limit 64: not from the link; a zero-length option: invalid */
	neigh_input(NB, rx(f, ns(f, PEER6, L6, 64, 1)), 0);
	CHECK_EQ(st->malformed - mal, 1);
	neigh_input(NB, rx(f, ns(f, PEER6, L6, 255, 0)), 0);
	CHECK_EQ(N_SENT, 1); /* still answered, to the frame's source MAC */
	if (N_SENT == 1)
		CHECK_MEM(sent(0), PEER_MAC, 6);
	sent_clear();
	/* ICMPv6 echo */
	{
		uint8_t b[24] = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};

		neigh_input(NB, rx(f, icmp6(f, OUR_MAC, PEER6, L6, 64, b, 24)), 0);
		REQUIRE(N_SENT == 1);
		r = sent(0);
		CHECK_EQ(r[14 + 40], 129);
		CHECK_MEM(r + 14 + 8, L6, 16);
		CHECK_MEM(r + 14 + 40 + 4, b + 4, 20);
		CHECK_EQ(icmp6_sum(r + 14, r + 54, 24), 0xffff);
		sent_clear();
	}
	CHECK_EQ(neigh_count(NB), 0);
}

/* ---- next hops ---- */

static struct rte_mbuf *
held_frame(uint16_t idx, uint8_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(POOL);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, 64);

	memset(d, tag, 64);
	memset(d, 0, 6); /* no destination MAC yet */
	m->port = 0;
	m->hash.usr = punt_info(DROP_NO_NEXTHOP, idx);
	return m;
}

TEST(resolve_and_hold)
{
	const struct neigh_stats *st = neigh_stats(NB);
	struct endpoint peer = {.ip6 = 0, .port = 4000}, far = {.ip6 = 0, .port = 4000};
	uint64_t dropped = st->held_dropped;
	uint16_t idx, gw_idx;
	uint8_t f[128], mac[6];
	char err[160];
	const uint8_t *r;

	memcpy(peer.addr, PEER4, 4);
	memcpy(far.addr, (const uint8_t[4]){203, 0, 113, 5}, 4);
	REQUIRE(neigh_ref(NB, 0, &peer, NULL, &idx, err, sizeof(err)) == 0);
	CHECK_EQ(neigh_count(NB), 1);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
	/* the request went out at once: broadcast ARP for the peer */
	REQUIRE(N_SENT == 1);
	r = sent(0);
	CHECK(r[0] == 0xff && r[5] == 0xff);
	CHECK(is_zero(r + 32, 6)); /* target hardware address unknown */
	CHECK_EQ(get16(r + 12), 0x0806);
	CHECK_EQ(get16(r + 20), 1);
	CHECK_MEM(r + 28, L4, 4);
	CHECK_MEM(r + 38, PEER4, 4);
	sent_clear();
	/* off link: the gateway's entry (another one) */
	REQUIRE(neigh_ref(NB, 0, &far, NULL, &gw_idx, err, sizeof(err)) == 0);
	CHECK(gw_idx != idx);
	REQUIRE(N_SENT == 1);
	CHECK_MEM(sent(0) + 38, GW4, 4);
	sent_clear();
	/* frames wait: NEIGH_HOLD of them, the rest are dropped and counted */
	for (unsigned int k = 0; k < NEIGH_HOLD + 2; k++)
		neigh_input(NB, held_frame(idx, (uint8_t)(0x40 + k)), 10);
	CHECK_EQ(N_SENT, 0);
	CHECK_EQ(st->held_dropped - dropped, 2);
	/* the peer answers: the entry resolves, the held frames go out */
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC, PEER4, L4)), 20);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, PEER_MAC, 6);
	REQUIRE(N_SENT == NEIGH_HOLD);
	for (unsigned int k = 0; k < NEIGH_HOLD; k++) {
		CHECK_MEM(sent(k), PEER_MAC, 6);
		CHECK_EQ(sent(k)[10 + 6], 0x40 + k); /* in order */
	}
	sent_clear();
	/* a frame punted after resolution goes straight out */
	neigh_input(NB, held_frame(idx, 0x77), 30);
	CHECK_EQ(N_SENT, 1);
	sent_clear();
	/* the gateway never answers: retried each NEIGH_RETRY_MS, then its held
	 * frames are dropped and it is asked again more slowly */
	neigh_input(NB, held_frame(gw_idx, 0x55), 0);
	neigh_timer(NB, 1000); /* first pass: arms the retry timer */
	CHECK_EQ(N_SENT, 0);
	neigh_timer(NB, 1000 + NEIGH_RETRY_MS);
	neigh_timer(NB, 1000 + 2 * NEIGH_RETRY_MS);
	CHECK_EQ(N_SENT, 2); /* requests 2 and 3 */
	dropped = st->held_dropped;
	neigh_timer(NB, 1000 + 3 * NEIGH_RETRY_MS);
	CHECK_EQ(st->held_dropped - dropped, 1);
	CHECK_EQ(neigh_mac(T.neigh, gw_idx, mac), 0);
	sent_clear();
	/* references: the last unref frees the entry and its MAC */
	neigh_unref(NB, gw_idx);
	neigh_unref(NB, idx);
	CHECK_EQ(neigh_count(NB), 0);
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 0);
}

TEST(static_and_refused)
{
	struct endpoint peer = {.ip6 = 0, .port = 4000}, v6far = {.ip6 = 1, .port = 4000};
	static const uint8_t stat[6] = {0x0a, 1, 2, 3, 4, 5};
	uint16_t idx, i6;
	uint8_t f[128], mac[6];
	char err[160];

	memcpy(peer.addr, PEER4, 4);
	REQUIRE(neigh_ref(NB, 0, &peer, stat, &idx, err, sizeof(err)) == 0);
	CHECK_EQ(N_SENT, 0); /* static: never asked */
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	neigh_input(NB, rx(f, arp(f, 0, 2, PEER_MAC, PEER4, L4)), 0); /* ARP cannot move it */
	CHECK_EQ(neigh_mac(T.neigh, idx, mac), 1);
	CHECK_MEM(mac, stat, 6);
	neigh_unref(NB, idx);
	/* the v6 address has no gateway: off link is refused */
	memcpy(v6far.addr, (const uint8_t[16]){0x20, 0x01, 0x0d, 0xb9, [15] = 1}, 16);
	CHECK_EQ(neigh_ref(NB, 2, &v6far, NULL, &i6, err, sizeof(err)), -EHOSTUNREACH);
	CHECK(strstr(err, "gateway") != NULL);
	/* on link v6: a solicitation to the solicited-node group */
	memcpy(v6far.addr, PEER6, 16);
	REQUIRE(neigh_ref(NB, 2, &v6far, NULL, &i6, err, sizeof(err)) == 0);
	REQUIRE(N_SENT == 1);
	{
		const uint8_t *r = sent(0), *ip = r + 14;

		CHECK_MEM(r, ((const uint8_t[6]){0x33, 0x33, 0xff, 0, 0, 9}), 6);
		CHECK_EQ(ip[7], 255);
		CHECK_MEM(ip + 24, ((const uint8_t[16]){0xff, 0x02, [11] = 1, 0xff, 0, 0, 9}), 16);
		CHECK_EQ(ip[40], 135);
		CHECK_MEM(ip + 48, PEER6, 16);
		CHECK_EQ(icmp6_sum(ip, ip + 40, 32), 0xffff);
	}
	sent_clear();
	/* an NA resolves it */
	{
		uint8_t b[32] = {136, 0, 0, 0, 0x60};

		memcpy(b + 8, PEER6, 16);
		b[24] = 2;
		b[25] = 1;
		memcpy(b + 26, PEER_MAC, 6);
		neigh_input(NB, rx(f, icmp6(f, OUR_MAC, PEER6, L6, 255, b, 32)), 0);
		CHECK_EQ(neigh_mac(T.neigh, i6, mac), 1);
		CHECK_MEM(mac, PEER_MAC, 6);
	}
	neigh_unref(NB, i6);
	CHECK_EQ(neigh_count(NB), 0);
}

int
main(void)
{
	struct addr_route routes[3] = {
		{.prefix_len = 24, .has_gw = 1}, {.prefix_len = 24}, {.prefix_len = 64}};
	struct neigh_io io = {NULL, io_alloc, io_send};
	unsigned int in_use;
	int bad;

	if (ring_eal_init("test_neigh", "128") < 0)
		return 1;
	POOL = rte_pktmbuf_pool_create("pool", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (POOL == NULL)
		return 1;
	memcpy(routes[0].gw, GW4, 4);
	T.n_addrs = 3;
	memcpy(T.addrs[0].addr, L4, 4);
	memcpy(T.addrs[1].addr, L4V, 4);
	T.addrs[1].vlan = 7;
	memcpy(T.addrs[2].addr, L6, 16);
	T.addrs[2].ip6 = 1;
	for (unsigned int a = 0; a < 3; a++)
		memcpy(T.addrs[a].mac, OUR_MAC, 6);
	T.neigh_size = 64;
	NB = neigh_new(&T, routes, &io);
	if (NB == NULL)
		return 1;
	bad = test_run_all();
	sent_clear();
	neigh_free(NB);
	in_use = rte_mempool_in_use_count(POOL);
	if (in_use != 0) {
		fprintf(stderr, "%u mbufs leaked\n", in_use);
		bad = 1;
	}
	rte_eal_cleanup();
	return bad;
}
