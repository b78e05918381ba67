/* test_rewrite.c: the egress stage (dataplane/rewrite.c) without EAL.
 *
 *   - frames built here (Ethernet, optional 802.1Q, IPv4 or IPv6, UDP with
 *     correct checksums, an RTP or RTCP message) go through the real
 *     parse_burst() + lookup_burst() against a table made by
 *     control/sessions.c, then rewrite_burst();
 *   - the output frame is parsed here, byte by byte, independently of
 *     parse.c, and every field is checked: MACs, the VLAN tag iff the
 *     outgoing local address has one, IPv4 (0x45, DSCP, length, DF, TTL,
 *     protocol, header checksum) or IPv6 (version, traffic class, payload
 *     length, next header, hop limit), addresses, UDP ports (+1 for RTCP on
 *     a leg without rtcp-mux), length and checksum (RFC 1071 of our own,
 *     never 0 on the wire), the message bytes, the mbuf lengths and the
 *     burst's fields;
 *   - v4->v4, v6->v6, v4<->v6 bridging, VLAN on either side, RTCP on
 *     port + 1 and muxed, DSCP, Ethernet padding, SRTP legs;
 *   - drops by name: no remote, no next hop, no headroom; what rewrite
 *     must leave alone;
 *   - latching: only verified RTP arriving on the latching leg moves where
 *     its media goes; an update of the remote restarts it;
 *   - sessions_create refusing a remote of the other family.
 */
#include <errno.h>

#include "../csum.h"
#include "../engine.h"
#include "../pkt.h"
#include "../test.h"

#include "control/sessions.h"
#include "dataplane/lookup.h"
#include "dataplane/parse.h"
#include "dataplane/rewrite.h"
#include "dataplane/stats.h"

#define PORT_MIN 20000
#define PORT_MAX 20999
#define MAX_SESS 64

/* Local addresses. */
#define A4 0 /* 192.0.2.10, port 0, untagged */
#define A6 1 /* 2001:db8::10, port 0, untagged */
#define A4V 2 /* 192.0.2.20, port 1, VLAN 100 */
#define A6V 3 /* 2001:db8:1::20, port 1, VLAN 4094 */
#define A4P 4 /* 203.0.113.5, port 2, untagged */
#define A6P 5 /* 2001:db8:2::5, port 3, VLAN 7 */
#define N_ADDRS 6

static struct worker *W;
static char err[256];

static const struct {
	uint8_t ip6;
	uint16_t port_id, vlan;
	uint8_t addr[16];
	uint8_t mac[6];
} ADDRS[N_ADDRS] = {
	[A4] = {0, 0, 0, {192, 0, 2, 10}, {0x02, 0, 0, 0, 0, 0x0a}},
	[A6] = {1,
		0,
		0,
		{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10},
		{0x02, 0, 0, 0, 0, 0x0a}},
	[A4V] = {0, 1, 100, {192, 0, 2, 20}, {0x02, 0, 0, 0, 1, 0x0a}},
	[A6V] = {1,
		 1,
		 4094,
		 {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20},
		 {0x02, 0, 0, 0, 1, 0x0a}},
	[A4P] = {0, 2, 0, {203, 0, 113, 5}, {0x02, 0, 0, 0, 2, 0x0a}},
	[A6P] = {1,
		 3,
		 7,
		 {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05},
		 {0x02, 0, 0, 0, 3, 0x0a}},
};

/* The peers of leg 0 and leg 1, by family. */
static const uint8_t peer4[2][4] = {{198, 51, 100, 2}, {198, 51, 100, 3}};
static const uint8_t peer6[2][16] = {
	{0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02},
	{0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03}};
static const uint8_t peer_mac[6] = {0x0e, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t mac98[6] = {0x0e, 0x98, 0x98, 0x98, 0x98, 0x98};
/* Source MAC of the frames built (the peer, or the router in front of it):
 * a latched remote is sent to the MAC its verified packet came from. */
static const uint8_t *frame_src_mac = peer_mac;

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- setup ---- */

static struct sessions *
new_ss(void)
{
	struct sessions_config c;
	struct sessions *ss;

	memset(&c, 0, sizeof(c));
	c.port_min = PORT_MIN;
	c.port_max = PORT_MAX;
	c.n_addrs = N_ADDRS;
	for (unsigned int a = 0; a < N_ADDRS; a++) {
		c.addrs[a].ip6 = ADDRS[a].ip6;
		c.addrs[a].port_id = ADDRS[a].port_id;
		c.addrs[a].vlan = ADDRS[a].vlan;
		memcpy(c.addrs[a].addr, ADDRS[a].addr, 16);
		memcpy(c.addrs[a].mac, ADDRS[a].mac, 6);
	}
	c.max_sessions = MAX_SESS;
	ss = sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err));
	if (ss == NULL) {
		fprintf(stderr, "sessions_new: %s\n", err);
		abort();
	}
	return ss;
}

/* Leg @p leg on local address @p addr: its peer is peer4/peer6[leg], port
 * 30000 + 10 * leg, next hop 0a:00:00:00:addr:leg+1. */
static void
leg_set(struct leg_params *l, unsigned int leg, unsigned int addr, uint8_t flags, uint8_t dscp)
{
	int ip6 = ADDRS[addr].ip6;

	memset(l, 0, sizeof(*l));
	l->local_addr = (uint8_t)addr;
	l->flags = flags;
	l->dscp = dscp;
	l->remote.ip6 = (uint8_t)ip6;
	l->remote.port = (uint16_t)(30000 + 10 * leg);
	memcpy(l->remote.addr, ip6 ? peer6[leg] : peer4[leg], ip6 ? 16 : 4);
	l->nh_mac[0] = 0x0a;
	l->nh_mac[4] = (uint8_t)addr;
	l->nh_mac[5] = (uint8_t)(leg + 1);
}

static void
dkeys(struct dir_keys *k, enum suite suite, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->present = 1;
	k->suite = (uint8_t)suite;
	k->key_len = suites[suite].key_len;
	k->salt_len = suites[suite].salt_len;
	engine_fill_key(suite, k->key, k->salt, seed);
}

static const struct session *
create(struct sessions *ss, const struct session_params *p)
{
	uint32_t slot = 0;
	int r;

	memset(err, 0, sizeof(err));
	r = sessions_create(ss, p, &slot, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "create: %d %s\n", r, err);
		return NULL;
	}
	return sessions_get(ss, slot);
}

/* The slot of @p s in @p ss (for sessions_update_leg). */
static uint32_t
slot_of(const struct sessions *ss, const struct session *s)
{
	return (uint32_t)(s - sessions_table(ss)->pool);
}

/* The MAC of the next hop a leg's egress names in the neighbour table. */
static const uint8_t *
nh_of(const struct sessions *ss, const struct leg *l)
{
	static uint8_t mac[8][6];
	static unsigned int k;
	uint8_t *m = mac[k++ % 8];

	if (!neigh_mac(sessions_table(ss)->neigh, l->cfg.neigh, m))
		memset(m, 0, 6);
	return m;
}

/* ---- frames ---- */

/* The UDP checksum sum (RFC 768 / RFC 8200 §8.1) of a datagram as it
 * stands: pseudo header from the IP header at @p l3, then @p len bytes of
 * UDP header and payload. 0xffff when a checksum in it verifies. */
static uint16_t
udp_sum(int ip6, const uint8_t *l3, const uint8_t *udp, unsigned int len)
{
	uint32_t s = ocsum_add(0, l3 + (ip6 ? 8 : 12), ip6 ? 32 : 8);

	s += 17 + len;
	s = ocsum_add(s, udp, len);
	return ocsum_fold(s);
}

/* An RTP message (or RTCP with @p rtcp) made from @p seed. @return its
 * length (odd for some seeds). */
static unsigned int
msg_make(uint8_t *m, int rtcp, unsigned int seed)
{
	if (rtcp)
		return build_rtcp(m, 0x10000 + seed, 20 + 4 * (seed % 3), seed);
	return build_rtp(m, 0x20000 + seed, (uint16_t)seed, seed * 160, 40 + seed % 7, 0, -1, 0);
}

/* Put into @p tm, at @p data_off, the frame a peer sends from @p src
 * (@p sport) to local address @p addr, UDP port @p dport, carrying @p msg,
 * padded with zeros to @p min_frame bytes. The buffer around it is 0xa5. */
static void
frame_put(struct test_mbuf *tm, uint16_t data_off, unsigned int addr, const uint8_t *src,
	  uint16_t sport, uint16_t dport, const uint8_t *msg, unsigned int len,
	  unsigned int min_frame)
{
	int ip6 = ADDRS[addr].ip6;
	uint16_t vlan = ADDRS[addr].vlan;
	uint8_t *f;
	unsigned int o = 12, l3, c;

	memset(&tm->m, 0, sizeof(tm->m));
	memset(tm->buf, 0xa5, sizeof(tm->buf));
	tm->m.buf_addr = tm->buf;
	tm->m.buf_len = TEST_BUF_LEN;
	tm->m.data_off = data_off;
	tm->m.nb_segs = 1;
	rte_mbuf_refcnt_set(&tm->m, 1);
	f = tm->buf + data_off;
	memcpy(f, ADDRS[addr].mac, 6);
	memcpy(f + 6, frame_src_mac, 6);
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, vlan);
		o = 16;
	}
	put16(f + o, ip6 ? 0x86dd : 0x0800);
	o += 2;
	l3 = o;
	if (!ip6) {
		f[o] = 0x45;
		f[o + 1] = 0x04;
		put16(f + o + 2, 28 + len);
		put16(f + o + 4, 0x1234);
		put16(f + o + 6, 0x4000);
		f[o + 8] = 57;
		f[o + 9] = 17;
		put16(f + o + 10, 0);
		memcpy(f + o + 12, src, 4);
		memcpy(f + o + 16, ADDRS[addr].addr, 4);
		put16(f + o + 10, (uint16_t)~ocsum_fold(ocsum_add(0, f + o, 20)));
		o += 20;
	} else {
		f[o] = 0x60;
		f[o + 1] = 0x0a; /* some flow label: not to be copied */
		f[o + 2] = 0xbc;
		f[o + 3] = 0xde;
		put16(f + o + 4, 8 + len);
		f[o + 6] = 17;
		f[o + 7] = 50;
		memcpy(f + o + 8, src, 16);
		memcpy(f + o + 24, ADDRS[addr].addr, 16);
		o += 40;
	}
	put16(f + o, sport);
	put16(f + o + 2, dport);
	put16(f + o + 4, 8 + len);
	put16(f + o + 6, 0);
	memcpy(f + o + 8, msg, len);
	c = (uint16_t)~udp_sum(ip6, f + l3, f + o, 8 + len);
	put16(f + o + 6, c == 0 ? 0xffff : c);
	o += 8 + len;
	if (o < min_frame) {
		memset(f + o, 0, min_frame - o);
		o = min_frame;
	}
	tm->m.data_len = (uint16_t)o;
	tm->m.pkt_len = o;
}

/* parse_burst + lookup_burst on the @p n packets of @p b, received on DPDK
 * port @p rx_port. @return the number still V_FWD. */
static uint16_t
ingress(const struct sessions *ss, struct burst *b, unsigned int n, uint16_t rx_port)
{
	static const struct parse_opts o = {.verify_udp_csum = 1};

	b->n = (uint16_t)n;
	b->port = rx_port;
	for (unsigned int i = 0; i < n; i++)
		b->verdict[i] = V_FWD;
	parse_burst(&o, b);
	return lookup_burst(sessions_table(ss), b);
}

/* The UDP port a leg receives @p rtcp on. */
static uint16_t
rx_port_of(const struct leg *l, int rtcp)
{
	return (uint16_t)(l->local_port + (rtcp && !(l->flags & LEG_RTCP_MUX)));
}

/* ---- the output, parsed here ---- */

/* Check packet @p i of @p b as it leaves on @p out towards @p to (its
 * RTP port; +1 with @p plus1) through next hop @p nh, carrying @p msg. */
static void
check_out_(int line, const struct sessions *ss, const struct burst *b, unsigned int i,
	   const struct leg *out, const struct endpoint *to, const uint8_t *nh, int plus1,
	   const uint8_t *msg, unsigned int len)
{
	const struct session_table *t = sessions_table(ss);
	const struct local_addr *a = &t->addrs[out->local_addr];
	const struct rte_mbuf *m = b->pkts[i];
	const uint8_t *d = (const uint8_t *)m->buf_addr + m->data_off, *ip, *udp;
	unsigned int l2 = a->vlan ? 18u : 14u, l3len = a->ip6 ? 40u : 20u;
	unsigned int hdr = l2 + l3len + 8u, ulen = 8u + len;
	int before = test_failed_checks;

	test_checks++;
	if (b->verdict[i] != V_FWD) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: packet %u not forwarded: verdict %u reason %s\n", __FILE__,
			line, i, b->verdict[i], drop_reason_name((enum drop_reason)b->reason[i]));
		return;
	}
	/* the configuration itself, as the test meant it */
	CHECK_EQ(a->ip6, to->ip6);
	/* mbuf and burst */
	CHECK_EQ(m->data_len, hdr + len);
	CHECK_EQ(m->pkt_len, hdr + len);
	CHECK(m->data_off + hdr + len <= m->buf_len);
	CHECK_EQ(b->msg_off[i], hdr);
	CHECK_EQ(b->msg_len[i], len);
	CHECK_EQ(b->l3_off[i], l2);
	CHECK_EQ(b->ip6[i], a->ip6);
	CHECK_EQ(b->vlan[i], a->vlan);
	CHECK_EQ(b->tx_port[i], a->port_id);
	/* Ethernet */
	CHECK_MEM(d, nh, 6);
	CHECK_MEM(d + 6, a->mac, 6);
	if (a->vlan) {
		CHECK_EQ(get16(d + 12), 0x8100);
		CHECK_EQ(get16(d + 14), a->vlan); /* PCP 0, DEI 0 */
	}
	CHECK_EQ(get16(d + l2 - 2), a->ip6 ? 0x86dd : 0x0800);
	ip = d + l2;
	udp = ip + l3len;
	if (!a->ip6) {
		CHECK_EQ(ip[0], 0x45);
		CHECK_EQ(ip[1], out->dscp << 2);
		CHECK_EQ(get16(ip + 2), 20 + ulen);
		CHECK_EQ(get16(ip + 6), 0x4000); /* DF, no MF, offset 0 */
		CHECK_EQ(ip[8], 64);
		CHECK_EQ(ip[9], 17);
		CHECK_EQ(ocsum_fold(ocsum_add(0, ip, 20)), 0xffff);
		CHECK_MEM(ip + 12, a->addr, 4);
		CHECK_MEM(ip + 16, to->addr, 4);
	} else {
		uint32_t v = get32(ip);

		CHECK_EQ(v >> 28, 6);
		CHECK_EQ((v >> 20) & 0xff, out->dscp << 2);
		CHECK_EQ(v & 0xfffff, 0);
		CHECK_EQ(get16(ip + 4), ulen);
		CHECK_EQ(ip[6], 17);
		CHECK_EQ(ip[7], 64);
		CHECK_MEM(ip + 8, a->addr, 16);
		CHECK_MEM(ip + 24, to->addr, 16);
	}
	CHECK_EQ(get16(udp), out->local_port + plus1);
	CHECK_EQ(get16(udp + 2), to->port + plus1);
	CHECK_EQ(get16(udp + 4), ulen);
	CHECK(get16(udp + 6) != 0);
	CHECK_EQ(udp_sum(a->ip6, ip, udp, ulen), 0xffff);
	CHECK_MEM(udp + 8, msg, len);
	if (test_failed_checks != before)
		fprintf(stderr, "  (the packet checked at line %d)\n", line);
}
#define check_out(ss, b, i, out, to, nh, plus1, msg, len)                                          \
	check_out_(__LINE__, ss, b, i, out, to, nh, plus1, msg, len)

/* ---- forwarding one packet each way ---- */

static struct test_mbuf TM[4];
static struct burst B;
static uint8_t MSG[4][600];

/* A session with leg 0 on @p a0 and leg 1 on @p a1; one packet (RTP, or
 * RTCP with @p rtcp) each way, checked on the way out. */
static void
fwd_case_(int line, unsigned int a0, unsigned int a1, uint8_t f0, uint8_t f1, uint8_t dscp0,
	  uint8_t dscp1, int rtcp)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;
	int before = test_failed_checks;

	memset(&p, 0, sizeof(p));
	p.id = 1;
	leg_set(&p.leg[0], 0, a0, f0, dscp0);
	leg_set(&p.leg[1], 1, a1, f1, dscp1);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	for (unsigned int from = 0; from < 2; from++) {
		const struct leg *in = &s->leg[from], *out = &s->leg[from ^ 1];
		unsigned int ia = in->local_addr, len = msg_make(MSG[0], rtcp, 5 + from);
		const uint8_t *msg_at;
		uint16_t d_off = TEST_HEADROOM;

		frame_put(&TM[0], d_off, ia, ADDRS[ia].ip6 ? peer6[from] : peer4[from],
			  (uint16_t)(in->cfg.remote.port + (rtcp && !(in->flags & LEG_RTCP_MUX))),
			  rx_port_of(in, rtcp), MSG[0], len, 0);
		memset(&B, 0, sizeof(B));
		B.pkts[0] = &TM[0].m;
		REQUIRE(ingress(ss, &B, 1, ADDRS[ia].port_id) == 1);
		REQUIRE(B.sess[0] == s && B.leg[0] == from);
		CHECK_EQ(B.kind[0], rtcp ? MSG_RTCP : MSG_RTP);
		msg_at = TM[0].buf + d_off + B.msg_off[0];
		CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
		check_out(ss, &B, 0, out, &out->cfg.remote, nh_of(ss, out),
			  rtcp && !(out->flags & LEG_RTCP_MUX), MSG[0], len);
		/* the message did not move: the headers did, around it */
		CHECK(TM[0].buf + TM[0].m.data_off + B.msg_off[0] == msg_at);
		CHECK_EQ(B.verdict[0], V_FWD);
	}
	sessions_free(ss);
	if (test_failed_checks != before)
		fprintf(stderr, "  (case at line %d)\n", line);
}
#define fwd_case(a0, a1, f0, f1, d0, d1, rtcp) fwd_case_(__LINE__, a0, a1, f0, f1, d0, d1, rtcp)

TEST(v4_to_v4)
{
	fwd_case(A4, A4, 0, 0, 0, 0, 0);
	fwd_case(A4, A4P, 0, 0, 10, 0, 0); /* another port: tx_port 2 */
	fwd_case(A4, A4P, LEG_RTCP_MUX, LEG_RTCP_MUX, 0, 34, 0);
}

TEST(v6_to_v6)
{
	fwd_case(A6, A6, 0, 0, 0, 0, 0);
	fwd_case(A6, A6P, 0, 0, 18, 0, 0); /* tagged out of port 3 */
	fwd_case(A6V, A6P, LEG_RTCP_MUX, 0, 63, 1, 0);
}

TEST(v4_v6_bridging)
{
	fwd_case(A4, A6, 0, 0, 0, 0, 0);
	fwd_case(A6, A4, 0, 0, 0, 0, 0);
	fwd_case(A4P, A6P, 0, 0, 12, 40, 0);
	fwd_case(A6, A4P, LEG_RTCP_MUX, 0, 0, 0, 1);
}

TEST(vlan)
{
	fwd_case(A4, A4V, 0, 0, 0, 0, 0); /* egress only (leg 0 -> 1), ingress only (1 -> 0) */
	fwd_case(A4V, A4, 0, 0, 0, 0, 0);
	fwd_case(A4V, A6V, 0, 0, 0, 0, 0); /* both, VLAN 100 <-> 4094, and bridging */
	fwd_case(A6V, A6V, 0, 0, 0, 0, 0);
	fwd_case(A4V, A6P, 0, 0, 0, 0, 1);
}

TEST(rtcp)
{
	fwd_case(A4, A4P, 0, 0, 0, 0, 1); /* port + 1 both sides */
	fwd_case(A4, A4P, LEG_RTCP_MUX, LEG_RTCP_MUX, 0, 0, 1); /* muxed both */
	fwd_case(A4, A6, LEG_RTCP_MUX, 0, 0, 0, 1); /* in on the RTP port, out on + 1 and back */
	fwd_case(A6V, A4V, 0, LEG_RTCP_MUX, 0, 0, 1);
}

TEST(dscp)
{
	fwd_case(A4, A4P, 0, 0, 46, 46, 0); /* EF: TOS 0xb8 */
	fwd_case(A6, A6P, 0, 0, 46, 46, 0); /* traffic class 0xb8 */
	fwd_case(A4, A6, 0, 0, 46, 0, 0); /* EF one way, best effort the other */
	fwd_case(A4, A6, 0, 0, 0, 46, 1);
	{
		/* and the EF byte itself, not only dscp << 2 of the leg */
		struct sessions *ss = new_ss();
		struct session_params p;
		const struct session *s;
		unsigned int len = msg_make(MSG[0], 0, 3);

		memset(&p, 0, sizeof(p));
		leg_set(&p.leg[0], 0, A4, 0, 0);
		leg_set(&p.leg[1], 1, A6, 0, 46);
		s = create(ss, &p);
		REQUIRE(s != NULL);
		CHECK_EQ(s->leg[1].dscp, 46);
		frame_put(&TM[0], TEST_HEADROOM, A4, peer4[0], 30000, s->leg[0].local_port, MSG[0],
			  len, 0);
		memset(&B, 0, sizeof(B));
		B.pkts[0] = &TM[0].m;
		REQUIRE(ingress(ss, &B, 1, 0) == 1);
		CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
		CHECK_EQ(get32(TEST_HEADROOM - 20 + TM[0].buf + 14), 0x6b800000);
		sessions_free(ss);
	}
}

/* Ethernet padding after a short datagram is not forwarded. */
TEST(eth_padding_dropped)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;
	unsigned int len = build_rtp(MSG[0], 7, 1, 2, 3, 0, -1, 0); /* 15 bytes */

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A4P, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	frame_put(&TM[0], TEST_HEADROOM, A4, peer4[0], 30000, s->leg[0].local_port, MSG[0], len,
		  60);
	REQUIRE(TM[0].m.data_len == 60);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	REQUIRE(ingress(ss, &B, 1, 0) == 1);
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
	check_out(ss, &B, 0, &s->leg[1], &s->leg[1].cfg.remote, nh_of(ss, &s->leg[1]), 0, MSG[0],
		  len);
	sessions_free(ss);
}

/* A payload chosen so that the UDP checksum computes to 0: it goes on
 * the wire as 0xffff (0 means "no checksum" on IPv4, is invalid on IPv6). */
TEST(udp_cksum_never_zero)
{
	for (unsigned int a1 = 0; a1 < 2; a1++) {
		unsigned int out_addr = a1 ? A6 : A4P;
		struct sessions *ss = new_ss();
		struct session_params p;
		const struct session *s;
		const struct leg *o;
		uint8_t ph[40 + 8];
		unsigned int len = build_rtp(MSG[0], 9, 9, 9, 40, 0, -1, 0), n;
		uint16_t s0, x;
		const uint8_t *udp;

		memset(&p, 0, sizeof(p));
		leg_set(&p.leg[0], 0, A4, 0, 0);
		leg_set(&p.leg[1], 1, out_addr, 0, 0);
		s = create(ss, &p);
		REQUIRE(s != NULL);
		o = &s->leg[1];
		/* the egress pseudo header and UDP header, checksum 0 */
		n = ADDRS[out_addr].ip6 ? 16 : 4;
		memcpy(ph, ADDRS[out_addr].addr, n);
		memcpy(ph + n, o->cfg.remote.addr, n);
		put16(ph + 2 * n, o->local_port);
		put16(ph + 2 * n + 2, o->cfg.remote.port);
		put16(ph + 2 * n + 4, 8 + len);
		put16(ph + 2 * n + 6, 0);
		MSG[0][12] = MSG[0][13] = 0;
		s0 = ocsum_fold(ocsum_add(17u + 8u + len, ph, 2 * n + 8) +
				ocsum_add(0, MSG[0], len));
		x = (uint16_t)(0xffff - s0);
		put16(MSG[0] + 12, x);
		frame_put(&TM[0], TEST_HEADROOM, A4, peer4[0], 30000, s->leg[0].local_port, MSG[0],
			  len, 0);
		memset(&B, 0, sizeof(B));
		B.pkts[0] = &TM[0].m;
		REQUIRE(ingress(ss, &B, 1, 0) == 1);
		CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
		check_out(ss, &B, 0, o, &o->cfg.remote, nh_of(ss, o), 0, MSG[0], len);
		udp = TM[0].buf + TM[0].m.data_off + B.msg_off[0] - 8;
		CHECK_EQ(get16(udp + 6), 0xffff);
		sessions_free(ss);
	}
}

/* SRTP legs: lookup sets the contexts; rewrite ignores them (the SRTP
 * stages are skipped here) and builds the same headers. */
TEST(srtp_legs)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;
	unsigned int len = msg_make(MSG[0], 0, 11);

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A6V, LEG_SRTP, 46);
	leg_set(&p.leg[1], 1, A4, LEG_SRTP | LEG_RTCP_MUX, 46);
	dkeys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, 1);
	dkeys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 2);
	dkeys(&p.leg[1].in, SUITE_AEAD_AES_128_GCM, 3);
	dkeys(&p.leg[1].out, SUITE_AEAD_AES_128_GCM, 4);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	frame_put(&TM[0], TEST_HEADROOM, A6V, peer6[0], 30000, s->leg[0].local_port, MSG[0], len,
		  0);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	REQUIRE(ingress(ss, &B, 1, 1) == 1);
	CHECK((const void *)B.unprotect[0] == (const void *)&s->leg[0].in);
	CHECK((const void *)B.protect[0] == (const void *)&s->leg[1].out);
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
	check_out(ss, &B, 0, &s->leg[1], &s->leg[1].cfg.remote, nh_of(ss, &s->leg[1]), 0, MSG[0],
		  len);
	CHECK((const void *)B.unprotect[0] == (const void *)&s->leg[0].in);
	CHECK((const void *)B.protect[0] == (const void *)&s->leg[1].out);
	sessions_free(ss);
}

/* A burst mixing sessions and directions: each packet on its own. */
TEST(mixed_burst)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s1, *s2;
	unsigned int len[4];

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A6P, 0, 46);
	s1 = create(ss, &p);
	leg_set(&p.leg[0], 0, A4, LEG_RTCP_MUX, 0);
	leg_set(&p.leg[1], 1, A4V, 0, 8);
	s2 = create(ss, &p);
	REQUIRE(s1 != NULL && s2 != NULL);
	len[0] = msg_make(MSG[0], 0, 20);
	len[1] = msg_make(MSG[1], 1, 21);
	len[2] = msg_make(MSG[2], 1, 22);
	len[3] = msg_make(MSG[3], 0, 23);
	frame_put(&TM[0], TEST_HEADROOM, A4, peer4[0], 30000, s1->leg[0].local_port, MSG[0], len[0],
		  0);
	frame_put(&TM[1], TEST_HEADROOM, A4, peer4[0], 30001, rx_port_of(&s1->leg[0], 1), MSG[1],
		  len[1], 0);
	frame_put(&TM[2], TEST_HEADROOM, A4, peer4[0], 30000, s2->leg[0].local_port, MSG[2], len[2],
		  0);
	frame_put(&TM[3], 64, A4, peer4[0], 30000, s2->leg[0].local_port, MSG[3], len[3], 0);
	memset(&B, 0, sizeof(B));
	for (unsigned int i = 0; i < 4; i++)
		B.pkts[i] = &TM[i].m;
	REQUIRE(ingress(ss, &B, 4, 0) == 4);
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 4);
	check_out(ss, &B, 0, &s1->leg[1], &s1->leg[1].cfg.remote, nh_of(ss, &s1->leg[1]), 0, MSG[0],
		  len[0]);
	check_out(ss, &B, 1, &s1->leg[1], &s1->leg[1].cfg.remote, nh_of(ss, &s1->leg[1]), 1, MSG[1],
		  len[1]);
	check_out(ss, &B, 2, &s2->leg[1], &s2->leg[1].cfg.remote, nh_of(ss, &s2->leg[1]), 1, MSG[2],
		  len[2]);
	check_out(ss, &B, 3, &s2->leg[1], &s2->leg[1].cfg.remote, nh_of(ss, &s2->leg[1]), 0, MSG[3],
		  len[3]);
	CHECK_EQ(TM[3].m.data_off, 64 - 4);
	sessions_free(ss);
}

/* ---- drops ---- */

static uint8_t SNAP[TEST_BUF_LEN];

/* One RTP packet leg 0 -> leg 1 of @p s at @p data_off; rewrite; it
 * must be dropped for @p want with the frame and mbuf untouched. */
static void
drop_case_(int line, const struct sessions *ss, const struct session *s, uint16_t data_off,
	   enum drop_reason want)
{
	unsigned int len = msg_make(MSG[0], 0, 30), ia = s->leg[0].local_addr;
	struct rte_mbuf before;
	uint16_t msg_off;
	int fb = test_failed_checks;

	frame_put(&TM[0], data_off, ia, ADDRS[ia].ip6 ? peer6[0] : peer4[0], 30000,
		  s->leg[0].local_port, MSG[0], len, 0);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	REQUIRE(ingress(ss, &B, 1, ADDRS[ia].port_id) == 1);
	memcpy(SNAP, TM[0].buf, sizeof(SNAP));
	before = TM[0].m;
	msg_off = B.msg_off[0];
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 0);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], want);
	CHECK_MEM(SNAP, TM[0].buf, sizeof(SNAP));
	CHECK_MEM(&before, &TM[0].m, sizeof(before));
	CHECK_EQ(B.msg_off[0], msg_off);
	if (test_failed_checks != fb)
		fprintf(stderr, "  (drop case at line %d: want %s, got %s)\n", line,
			drop_reason_name(want), drop_reason_name((enum drop_reason)B.reason[0]));
}
#define drop_case(ss, s, data_off, want) drop_case_(__LINE__, ss, s, data_off, want)

TEST(drop_no_remote)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A6, LEG_LATCH, 0);
	p.leg[1].remote.port = 0;
	memset(p.leg[1].remote.addr, 0, 16);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	drop_case(ss, s, TEST_HEADROOM, DROP_NO_REMOTE);
	CHECK_EQ(s->leg[1].latch_seq, 0);
	sessions_free(ss);
}

TEST(drop_no_nexthop)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;
	unsigned int len;

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A4V, 0, 0);
	memset(p.leg[1].nh_mac, 0, 6);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	REQUIRE(s->leg[1].cfg.neigh != 0);
	/* not resolved yet: the frame is built but for its destination MAC and
	 * handed to control to hold, naming the entry it waits for */
	len = msg_make(MSG[0], 0, 32);
	frame_put(&TM[0], TEST_HEADROOM, A4, peer4[0], 30000, s->leg[0].local_port, MSG[0], len, 0);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	REQUIRE(ingress(ss, &B, 1, 0) == 1);
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 0);
	CHECK_EQ(B.verdict[0], V_PUNT);
	CHECK_EQ(B.reason[0], DROP_NO_NEXTHOP);
	CHECK_EQ(TM[0].m.hash.usr, punt_info(DROP_NO_NEXTHOP, s->leg[1].cfg.neigh));
	CHECK_EQ(TM[0].m.port, ADDRS[A4V].port_id);
	{
		static const uint8_t zero[6];
		struct burst saved = B;

		CHECK_MEM(rte_pktmbuf_mtod(&TM[0].m, uint8_t *), zero, 6);
		/* the rest of the frame is what a resolved next hop would get */
		B.verdict[0] = V_FWD;
		memcpy(rte_pktmbuf_mtod(&TM[0].m, uint8_t *), peer_mac, 6);
		check_out(ss, &B, 0, &s->leg[1], &s->leg[1].cfg.remote, peer_mac, 0, MSG[0], len);
		B = saved;
	}
	/* a next hop MAC with only its last byte set is a MAC */
	{
		struct leg_update u;

		memset(&u, 0, sizeof(u));
		u.has_remote = 1;
		u.remote = s->leg[1].cfg.remote;
		u.nh_mac[5] = 1;
		REQUIRE(sessions_update_leg(ss, slot_of(ss, s), 1, &u, err, sizeof(err)) == 0);
		len = msg_make(MSG[0], 0, 33);
		frame_put(&TM[0], TEST_HEADROOM, A4, peer4[0], 30000, s->leg[0].local_port, MSG[0],
			  len, 0);
		memset(&B, 0, sizeof(B));
		B.pkts[0] = &TM[0].m;
		REQUIRE(ingress(ss, &B, 1, 0) == 1);
		CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
		check_out(ss, &B, 0, &s->leg[1], &u.remote, u.nh_mac, 0, MSG[0], len);
	}
	sessions_free(ss);
}

TEST(drop_no_headroom)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;
	unsigned int len = msg_make(MSG[0], 0, 31);

	/* v4 untagged in (42 bytes of headers) -> v6 untagged out (62) */
	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A6, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	drop_case(ss, s, 0, DROP_NO_HEADROOM);
	drop_case(ss, s, 19, DROP_NO_HEADROOM);
	/* 20 bytes of headroom: exactly fits, data_off 0 after */
	len = msg_make(MSG[0], 0, 30);
	frame_put(&TM[0], 20, A4, peer4[0], 30000, s->leg[0].local_port, MSG[0], len, 0);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	REQUIRE(ingress(ss, &B, 1, 0) == 1);
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
	check_out(ss, &B, 0, &s->leg[1], &s->leg[1].cfg.remote, nh_of(ss, &s->leg[1]), 0, MSG[0],
		  len);
	CHECK_EQ(TM[0].m.data_off, 0);
	/* v6 -> v4 shrinks: no headroom needed at all */
	len = msg_make(MSG[0], 0, 32);
	frame_put(&TM[0], 0, A6, peer6[1], 30010, s->leg[1].local_port, MSG[0], len, 0);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	REQUIRE(ingress(ss, &B, 1, 0) == 1);
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
	check_out(ss, &B, 0, &s->leg[0], &s->leg[0].cfg.remote, nh_of(ss, &s->leg[0]), 0, MSG[0],
		  len);
	CHECK_EQ(TM[0].m.data_off, 20);
	sessions_free(ss);

	/* v4 untagged -> v6 tagged (+24): 23 is too little */
	ss = new_ss();
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A6V, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	drop_case(ss, s, 23, DROP_NO_HEADROOM);
	sessions_free(ss);
}

/* Packets rewrite must leave alone: not V_FWD, or no session. */
TEST(untouched)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	const struct session *s;
	static uint8_t snap[4][TEST_BUF_LEN];
	struct rte_mbuf mb[4];
	struct burst before;
	unsigned int len[4];

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A6, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	for (unsigned int i = 0; i < 4; i++) {
		len[i] = msg_make(MSG[i], 0, 40 + i);
		frame_put(&TM[i], TEST_HEADROOM, A4, peer4[0], 30000, s->leg[0].local_port, MSG[i],
			  len[i], 0);
	}
	memset(&B, 0, sizeof(B));
	for (unsigned int i = 0; i < 4; i++)
		B.pkts[i] = &TM[i].m;
	REQUIRE(ingress(ss, &B, 4, 0) == 4);
	burst_drop(&B, 1, DROP_SRTP_AUTH);
	B.verdict[2] = V_PUNT;
	B.sess[3] = NULL; /* V_FWD without a session */
	for (unsigned int i = 0; i < 4; i++) {
		memcpy(snap[i], TM[i].buf, TEST_BUF_LEN);
		mb[i] = TM[i].m;
	}
	before = B;
	CHECK_EQ(rewrite_burst(sessions_table(ss), &B), 1);
	check_out(ss, &B, 0, &s->leg[1], &s->leg[1].cfg.remote, nh_of(ss, &s->leg[1]), 0, MSG[0],
		  len[0]);
	for (unsigned int i = 1; i < 4; i++) {
		CHECK_MEM(snap[i], TM[i].buf, TEST_BUF_LEN);
		CHECK_MEM(&mb[i], &TM[i].m, sizeof(mb[i]));
		CHECK_EQ(B.verdict[i], before.verdict[i]);
		CHECK_EQ(B.reason[i], before.reason[i]);
		CHECK_EQ(B.msg_off[i], before.msg_off[i]);
		CHECK_EQ(B.l3_off[i], before.l3_off[i]);
		CHECK_EQ(B.ip6[i], before.ip6[i]);
		CHECK_EQ(B.tx_port[i], before.tx_port[i]);
	}
	CHECK_EQ(s->leg[0].latch_seq, 0);
	sessions_free(ss);
}

/* ---- latching ---- */

static const uint8_t src99[4] = {192, 0, 2, 99}, src98[4] = {192, 0, 2, 98};

/* One packet arriving on leg @p from of @p s from @p src:@p sport; the
 * burst is left after ingress (not rewritten). */
static void
arrive(const struct sessions *ss, const struct session *s, unsigned int from, const uint8_t *src,
       uint16_t sport, int rtcp, unsigned int seed, unsigned int *len)
{
	const struct leg *in = &s->leg[from];

	*len = msg_make(MSG[0], rtcp, seed);
	frame_put(&TM[0], TEST_HEADROOM, in->local_addr, src, sport, rx_port_of(in, rtcp), MSG[0],
		  *len, 0);
	memset(&B, 0, sizeof(B));
	B.pkts[0] = &TM[0].m;
	test_checks++;
	if (ingress(ss, &B, 1, ADDRS[in->local_addr].port_id) != 1 || B.sess[0] != s ||
	    B.leg[0] != from) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: ingress failed: %s\n", __FILE__, __LINE__,
			drop_reason_name((enum drop_reason)B.reason[0]));
	}
}

static struct endpoint
ep4(const uint8_t *a, uint16_t port)
{
	struct endpoint e;

	memset(&e, 0, sizeof(e));
	memcpy(e.addr, a, 4);
	e.port = port;
	return e;
}

TEST(latching)
{
	struct sessions *ss = new_ss();
	const struct session_table *t = sessions_table(ss);
	struct session_params p;
	const struct session *s;
	const struct leg *l0, *l1;
	struct endpoint e99 = ep4(src99, 5555), e98 = ep4(src98, 6666), enew;
	struct leg_update u;
	unsigned int len;

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, LEG_LATCH, 46);
	p.leg[0].remote.port = 0;
	memset(p.leg[0].remote.addr, 0, 16);
	leg_set(&p.leg[1], 1, A4P, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	l0 = &s->leg[0];
	l1 = &s->leg[1];
	CHECK_EQ(l0->latch_seq, 0);

	/* (a) leg 1 -> leg 0 before leg 0 ever sent: nowhere to go */
	arrive(ss, s, 1, peer4[1], 30010, 0, 1, &len);
	CHECK_EQ(rewrite_burst(t, &B), 0);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], DROP_NO_REMOTE);
	arrive(ss, s, 1, peer4[1], 30011, 1, 1, &len);
	CHECK_EQ(rewrite_burst(t, &B), 0);
	CHECK_EQ(B.reason[0], DROP_NO_REMOTE);
	CHECK_EQ(l0->latch_seq, 0);
	CHECK_EQ(l1->latch_seq, 0); /* leg 1 does not latch */

	/* (b) RTP on leg 0 from 192.0.2.99:5555 latches; it is forwarded */
	arrive(ss, s, 0, src99, 5555, 0, 2, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l1, &l1->cfg.remote, nh_of(ss, l1), 0, MSG[0], len);
	CHECK_EQ(l0->latch_seq, 2);
	CHECK_MEM(&l0->latch.remote, &e99, sizeof(e99));
	CHECK_EQ(l0->latch.epoch, l0->cfg.epoch);
	arrive(ss, s, 1, peer4[1], 30010, 0, 3, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &e99, peer_mac, 0, MSG[0], len);
	/* the same source again: no write */
	arrive(ss, s, 0, src99, 5555, 0, 4, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(l0->latch_seq, 2);

	/* (c) RTCP on leg 0 (port + 1, from port 5556, and from elsewhere)
	 * does not latch; RTCP back goes to the latched port + 1 */
	arrive(ss, s, 0, src99, 5556, 1, 5, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l1, &l1->cfg.remote, nh_of(ss, l1), 1, MSG[0], len);
	arrive(ss, s, 0, src98, 7777, 1, 6, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(l0->latch_seq, 2);
	CHECK_MEM(&l0->latch.remote, &e99, sizeof(e99));
	arrive(ss, s, 1, peer4[1], 30011, 1, 7, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &e99, peer_mac, 1, MSG[0], len);

	/* (d) RTP from a new source (behind another MAC) that failed a check
	 * before rewrite (an SRTP auth failure): no latching, not even of
	 * its MAC */
	frame_src_mac = mac98;
	arrive(ss, s, 0, src98, 6666, 0, 8, &len);
	burst_drop(&B, 0, DROP_SRTP_AUTH);
	CHECK_EQ(rewrite_burst(t, &B), 0);
	CHECK_EQ(B.reason[0], DROP_SRTP_AUTH);
	CHECK_EQ(l0->latch_seq, 2);
	CHECK_MEM(&l0->latch.remote, &e99, sizeof(e99));
	arrive(ss, s, 1, peer4[1], 30010, 0, 9, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &e99, peer_mac, 0, MSG[0], len);
	/* the same source verified: it moves (NAT rebinding) */
	arrive(ss, s, 0, src98, 6666, 0, 10, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(l0->latch_seq, 4);
	CHECK_MEM(&l0->latch.remote, &e98, sizeof(e98));
	arrive(ss, s, 1, peer4[1], 30010, 0, 11, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &e98, mac98, 0, MSG[0], len);

	/* (e) control sets a remote: it is used (new epoch) until leg 0 sends
	 * again, which re-latches under the new epoch */
	memset(&u, 0, sizeof(u));
	u.has_remote = 1;
	u.remote = ep4(peer4[0], 7000);
	u.remote.addr[3] = 50;
	memcpy(u.nh_mac, (const uint8_t[6]){0x0a, 0xbb, 0, 0, 0, 0x50}, 6);
	enew = u.remote;
	REQUIRE(sessions_update_leg(ss, slot_of(ss, s), 0, &u, err, sizeof(err)) == 0);
	CHECK_EQ(l0->cfg.epoch, 1);
	CHECK_EQ(l0->latch_seq, 4);
	arrive(ss, s, 1, peer4[1], 30010, 0, 12, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &enew, u.nh_mac, 0, MSG[0], len);
	arrive(ss, s, 1, peer4[1], 30011, 1, 13, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &enew, u.nh_mac, 1, MSG[0], len);
	/* the source latched before, now under the new epoch */
	arrive(ss, s, 0, src98, 6666, 0, 14, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(l0->latch_seq, 6);
	CHECK_EQ(l0->latch.epoch, 1);
	CHECK_MEM(&l0->latch.remote, &e98, sizeof(e98));
	arrive(ss, s, 1, peer4[1], 30010, 0, 15, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, l0, &e98, mac98, 0, MSG[0], len);
	arrive(ss, s, 0, src98, 6666, 0, 16, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(l0->latch_seq, 6);
	CHECK_EQ(l0->latch_seq & 1, 0);
	CHECK_EQ(l1->latch_seq, 0);
	frame_src_mac = peer_mac;
	sessions_free(ss);
}

/* Latching on IPv6, and a leg without LEG_LATCH never latches. */
TEST(latching_v6)
{
	static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xee, 0, 0,
					 0,    0,    0,	   0,	 0, 0,	  0, 0x99};
	struct sessions *ss = new_ss();
	const struct session_table *t = sessions_table(ss);
	struct session_params p;
	const struct session *s;
	struct endpoint e;
	unsigned int len;

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A6V, LEG_LATCH | LEG_RTCP_MUX, 0);
	leg_set(&p.leg[1], 1, A4, 0, 0); /* configured remote, no latching */
	s = create(ss, &p);
	REQUIRE(s != NULL);
	/* a configured remote on a latching leg is used until it latches */
	arrive(ss, s, 1, peer4[1], 30010, 0, 1, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, &s->leg[0], &s->leg[0].cfg.remote, nh_of(ss, &s->leg[0]), 0, MSG[0],
		  len);
	arrive(ss, s, 0, src6, 40001, 0, 2, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(s->leg[0].latch_seq, 2);
	memset(&e, 0, sizeof(e));
	e.ip6 = 1;
	e.port = 40001;
	memcpy(e.addr, src6, 16);
	CHECK_MEM(&s->leg[0].latch.remote, &e, sizeof(e));
	/* muxed RTCP back: to the latched port itself */
	arrive(ss, s, 1, peer4[1], 30011, 1, 3, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, &s->leg[0], &e, peer_mac, 0, MSG[0], len);
	/* muxed RTCP on the latching leg from elsewhere: no latching */
	arrive(ss, s, 0, src6, 40003, 1, 4, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(s->leg[0].latch_seq, 2);
	/* leg 1 does not latch: a new source there changes nothing */
	arrive(ss, s, 1, src99, 5555, 0, 5, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(s->leg[1].latch_seq, 0);
	arrive(ss, s, 0, src6, 40001, 0, 6, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	check_out(ss, &B, 0, &s->leg[1], &s->leg[1].cfg.remote, nh_of(ss, &s->leg[1]), 0, MSG[0],
		  len);
	sessions_free(ss);
}

/* RTCP without mux goes to the RTP port + 1: never to UDP port 0, which
 * is what + 1 gives for a peer whose RTP port is 65535 (latched). */
TEST(rtcp_port_never_zero)
{
	struct sessions *ss = new_ss();
	const struct session_table *t = sessions_table(ss);
	struct session_params p;
	const struct session *s;
	unsigned int len;
	const uint8_t *udp;

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, LEG_LATCH, 0);
	p.leg[0].remote.port = 0;
	leg_set(&p.leg[1], 1, A4P, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	arrive(ss, s, 0, src99, 65535, 0, 1, &len);
	CHECK_EQ(rewrite_burst(t, &B), 1);
	CHECK_EQ(s->leg[0].latch.remote.port, 65535);
	arrive(ss, s, 1, peer4[1], 30011, 1, 2, &len);
	rewrite_burst(t, &B);
	udp = TM[0].buf + TM[0].m.data_off + B.msg_off[0] - 8;
	test_checks++;
	if (B.verdict[0] == V_FWD && get16(udp + 2) == 0) {
		test_failed_checks++;
		fprintf(stderr,
			"%s:%d: RTCP (no mux) towards latched 192.0.2.99:65535 forwarded to UDP "
			"port 0 (expected a drop)\n",
			__FILE__, __LINE__);
	}
	/* the same with a configured remote port 65535 on a leg without mux:
	 * refused by control, or its RTCP dropped */
	leg_set(&p.leg[0], 0, A4, 0, 0);
	p.leg[0].remote.port = 65535;
	{
		uint32_t slot = 0;
		int r = sessions_create(ss, &p, &slot, err, sizeof(err));

		CHECK(r == 0 || r == -EINVAL);
		if (r == 0) {
			s = sessions_get(ss, slot);
			arrive(ss, s, 1, peer4[1], 30011, 1, 3, &len);
			rewrite_burst(t, &B);
			udp = TM[0].buf + TM[0].m.data_off + B.msg_off[0] - 8;
			test_checks++;
			if (B.verdict[0] == V_FWD && get16(udp + 2) == 0) {
				test_failed_checks++;
				fprintf(stderr,
					"%s:%d: RTCP (no mux) towards configured "
					"198.51.100.2:65535 "
					"forwarded to UDP port 0 (expected a drop, or create to "
					"refuse the remote)\n",
					__FILE__, __LINE__);
			}
		}
	}
	sessions_free(ss);
}

/* ---- control: a remote's family is its local address's ---- */

TEST(create_family_mismatch)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	uint32_t slot = 0xdeadbeef;
	struct leg_update u;
	const struct session *s;

	memset(&p, 0, sizeof(p));
	leg_set(&p.leg[0], 0, A4, 0, 0);
	leg_set(&p.leg[1], 1, A6, 0, 0);
	p.leg[0].remote.ip6 = 1; /* IPv6 remote on an IPv4 local address */
	memcpy(p.leg[0].remote.addr, peer6[0], 16);
	CHECK_EQ(sessions_create(ss, &p, &slot, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "leg 0") != NULL);
	CHECK_EQ(slot, 0xdeadbeef);
	CHECK_EQ(sessions_count(ss), 0);

	leg_set(&p.leg[0], 0, A4, 0, 0);
	p.leg[1].remote.ip6 = 0; /* IPv4 remote on an IPv6 local address */
	memcpy(p.leg[1].remote.addr, peer4[1], 4);
	CHECK_EQ(sessions_create(ss, &p, &slot, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "leg 1") != NULL);
	CHECK_EQ(sessions_count(ss), 0);

	/* and an update to the other family */
	leg_set(&p.leg[1], 1, A6, 0, 0);
	s = create(ss, &p);
	REQUIRE(s != NULL);
	memset(&u, 0, sizeof(u));
	u.has_remote = 1;
	u.remote = ep4(peer4[1], 40000);
	u.nh_mac[0] = 1;
	CHECK_EQ(sessions_update_leg(ss, slot_of(ss, s), 1, &u, err, sizeof(err)), -EINVAL);
	CHECK_EQ(s->leg[1].cfg.remote.ip6, 1);
	CHECK_EQ(s->leg[1].cfg.epoch, 0);
	sessions_free(ss);
}

ENGINE_TEST_MAIN(W, "")
