/* test_lookup.c: lookup_burst() and lookup_local_addr() (dataplane/lookup.c)
 * on frames that first go through the real parse_burst(), against a
 * session table built here in plain memory: no EAL, no crypto.
 *
 *   - the table: ports 10000..10099; local addresses 192.0.2.1 on port 0
 *     untagged, 192.0.2.1 on port 1 VLAN 100, 2001:db8::1 on port 0,
 *     198.51.100.7 on port 0; a pool of 8 slots (slot 0 unused). The
 *     entries and the pool end at a guard page, so an entry indexed out
 *     of range or a slot past the pool is a crash, not a silent read;
 *   - accepted packets: the exact session, leg, unprotect and protect
 *     pointers for v4 and v6 on each leg, on both DPDK ports, at the ends
 *     of the port range, and for every SRTP combination of the two legs
 *     (docs/architecture.md's table);
 *   - every drop lookup makes, asserted by name: DROP_NOT_LOCAL (address,
 *     DPDK port, VLAN, family), DROP_NO_SESSION (range, empty, corrupt and
 *     unpublished entries), DROP_WRONG_PORT (RTP on an RTCP port, RTCP
 *     without rtcp-mux);
 *   - STUN, ZRTP and DTLS: forwarded on passthrough legs, punted otherwise;
 *   - what parse dropped or punted is left as it was;
 *   - mixed bursts of 32 in many orders: own verdict each, the return
 *     value, packet bytes and mbufs untouched, slots past n untouched.
 */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../csum.h"
#include "../test.h"
#include "../pkt.h"

#include "dataplane/lookup.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"

#define FRAME_MAX 256

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP 0x0806
#define ETH_VLAN 0x8100

#define P_ICMP 1
#define P_UDP 17
#define P_ICMP6 58

#define PORT_MIN 10000
#define PORT_MAX 10099
#define N_PORTS (PORT_MAX - PORT_MIN + 1)
#define N_ADDRS 4
#define POOL 8

/* The local address indexes of the table. */
#define A_V4 0 /* 192.0.2.1, port 0, untagged */
#define A_V4_VLAN 1 /* 192.0.2.1, port 1, VLAN 100 */
#define A_V6 2 /* 2001:db8::1, port 0, untagged */
#define A_V4_B 3 /* 198.51.100.7, port 0, untagged */

static const uint8_t ip4_a[4] = {192, 0, 2, 1};
static const uint8_t ip4_b[4] = {198, 51, 100, 7};
static const uint8_t ip4_other[4] = {192, 0, 2, 99};
static const uint8_t ip4_peer[4] = {198, 51, 100, 2};
/* The first 4 bytes of 2001:db8::1, as an IPv4 address (32.1.13.184). */
static const uint8_t ip4_like_v6[4] = {0x20, 0x01, 0x0d, 0xb8};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t ip6_other[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				      0,    0,	  0,	0,    0, 0, 0, 0x99};
static const uint8_t ip6_peer[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
/* c000:0201:: : 192.0.2.1 followed by zeros, as an IPv6 address. */
static const uint8_t ip6_like_v4[16] = {192, 0, 2, 1};

/* Payloads: an RTP packet, an RTCP SR, an 8-byte RTP head (too short), or
 * below 256 a datagram with that first byte (STUN, ZRTP, DTLS, other). */
#define PL_RTP 256
#define PL_RTCP 257
#define PL_RTP_SHORT 258

/* ---- memory with a guard page after it ---- */

struct guarded {
	void *map;
	size_t len;
};

/* @p size zeroed bytes ending at an inaccessible page; 64-byte aligned
 * when @p size is a multiple of 64. */
static void *
guarded_alloc(struct guarded *g, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *a;

	g->len = (size + pg - 1) / pg * pg + pg;
	g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED || mprotect((uint8_t *)g->map + g->len - pg, pg, PROT_NONE) != 0) {
		perror("mmap/mprotect");
		exit(1);
	}
	a = g->map;
	return a + g->len - pg - size;
}

static void
guarded_free(struct guarded *g)
{
	munmap(g->map, g->len);
	g->map = NULL;
}

static void
on_segv(int sig)
{
	static const char msg[] = "\nSIGSEGV/SIGBUS: lookup read past the entries or the pool "
				  "(guard page)\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(2);
}

/* ---- the session table ---- */

static struct session_table T;
static struct guarded G_entries, G_pool;

static void
set_addr(unsigned int a, int ip6, uint16_t port_id, uint16_t vlan, const uint8_t *addr)
{
	memset(&T.addrs[a], 0, sizeof(T.addrs[a]));
	T.addrs[a].ip6 = (uint8_t)ip6;
	T.addrs[a].port_id = port_id;
	T.addrs[a].vlan = vlan;
	memcpy(T.addrs[a].addr, addr, ip6 ? 16 : 4);
}

static void
table_setup(void)
{
	static int handler;

	if (!handler) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_segv;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		handler = 1;
	}
	memset(&T, 0, sizeof(T));
	T.port_min = PORT_MIN;
	T.port_max = PORT_MAX;
	T.n_addrs = N_ADDRS;
	set_addr(A_V4, 0, 0, 0, ip4_a);
	set_addr(A_V4_VLAN, 0, 1, 100, ip4_a);
	set_addr(A_V6, 1, 0, 0, ip6_a);
	set_addr(A_V4_B, 0, 0, 0, ip4_b);
	T.entries = guarded_alloc(&G_entries, N_ADDRS * N_PORTS * sizeof(uint32_t));
	T.pool = guarded_alloc(&G_pool, POOL * sizeof(struct session));
	T.pool_size = POOL;
}

static void
table_teardown(void)
{
	guarded_free(&G_entries);
	guarded_free(&G_pool);
	memset(&T, 0, sizeof(T));
}

static void
entry_store(unsigned int addr, uint16_t port, uint32_t e)
{
	__atomic_store_n(session_entry_at(&T, addr, port), e, __ATOMIC_RELEASE);
}

struct leg_cfg {
	uint8_t addr;
	uint16_t port;
	uint8_t flags;
};

/* Fill slot @p slot, then publish its entries: each leg's port, and
 * port + 1 as its RTCP port unless the leg has rtcp-mux. */
static struct session *
sess_add(uint32_t slot, struct leg_cfg l0, struct leg_cfg l1)
{
	struct session *s = &T.pool[slot];
	const struct leg_cfg *c[2] = {&l0, &l1};

	memset(s, 0, sizeof(*s));
	s->id = 1000 + slot;
	for (unsigned int l = 0; l < 2; l++) {
		s->leg[l].local_addr = c[l]->addr;
		s->leg[l].local_port = c[l]->port;
		s->leg[l].flags = c[l]->flags;
	}
	for (unsigned int l = 0; l < 2; l++) {
		entry_store(c[l]->addr, c[l]->port, session_entry(slot, l, 0));
		if (!(c[l]->flags & LEG_RTCP_MUX))
			entry_store(c[l]->addr, (uint16_t)(c[l]->port + 1),
				    session_entry(slot, l, 1));
	}
	return s;
}

/* ---- bytes and checksums (RFC 1071) ---- */

/* ---- frames ---- */

struct frame {
	uint8_t b[FRAME_MAX];
	unsigned int len;
};

static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};

/* Ethernet [802.1Q, tci >= 0] / IPv4 or IPv6 from the peer to @p dst /
 * @p proto (UDP to @p dport: checksummed) / @p pl. Checksums correct. */
static void
frame_build(struct frame *f, int tci, int ip6, const uint8_t *dst, uint8_t proto, uint16_t dport,
	    const uint8_t *pl, unsigned int plen)
{
	uint8_t *d = f->b, *ip, *u;
	unsigned int o = 12, l4len = (proto == P_UDP ? 8 : 0) + plen;

	memset(f, 0, sizeof(*f));
	memcpy(d, macs, 12);
	if (tci >= 0) {
		put16(d + 12, ETH_VLAN);
		put16(d + 14, (unsigned int)tci);
		o = 16;
	}
	put16(d + o, ip6 ? ETH_IPV6 : ETH_IPV4);
	ip = d + o + 2;
	if (ip6) {
		ip[0] = 0x60;
		put16(ip + 4, l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, ip6_peer, 16);
		memcpy(ip + 24, dst, 16);
		u = ip + 40;
	} else {
		ip[0] = 0x45;
		ip[1] = 0xb8;
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, ip4_peer, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, (uint16_t)~ocsum_fold(ocsum_add(0, ip, 20)));
		u = ip + 20;
	}
	f->len = (unsigned int)(u - d) + l4len;
	if (proto != P_UDP) {
		memcpy(u, pl, plen);
		return;
	}
	put16(u, 40000);
	put16(u + 2, dport);
	put16(u + 4, 8 + plen);
	memcpy(u + 8, pl, plen);
	{
		uint32_t s = ip6 ? ocsum_add(0, ip + 8, 32) : ocsum_add(0, ip + 12, 8);
		uint16_t c;

		s += P_UDP + 8 + plen;
		c = (uint16_t)~ocsum_fold(ocsum_add(s, u, 8 + plen));
		put16(u + 6, c ? c : 0xffff);
	}
}

/* An ARP request for 192.0.2.1: parse punts it. */
static void
frame_arp(struct frame *f)
{
	static const uint8_t arp[28] = {0,   1,	 8,   0, 6, 4, 0, 1, 0x02, 0, 0,   0, 0, 0x02,
					198, 51, 100, 2, 0, 0, 0, 0, 0,	   0, 192, 0, 2, 1};

	memset(f, 0, sizeof(*f));
	memcpy(f->b, macs, 12);
	put16(f->b + 12, ETH_ARP);
	memcpy(f->b + 14, arp, sizeof(arp));
	f->len = 14 + sizeof(arp);
}

static unsigned int
payload(uint8_t *p, int pl)
{
	if (pl == PL_RTP)
		return build_rtp(p, 0x11223344, 1000, 160000, 40, 0, -1, 0);
	if (pl == PL_RTCP)
		return build_rtcp(p, 0x11223344, 20, 7);
	if (pl == PL_RTP_SHORT) {
		build_rtp(p, 0x11223344, 1000, 160000, 0, 0, -1, 0);
		return 8;
	}
	for (unsigned int k = 0; k < 24; k++)
		p[k] = (uint8_t)(0x5c + k);
	p[0] = (uint8_t)pl;
	return 24;
}

/* ---- the burst under test ---- */

static struct frame F[BURST_MAX];
static unsigned int NF;
static struct test_mbuf TM[BURST_MAX];
static struct burst B; /* after lookup */
static struct burst P; /* after parse, before lookup */
static uint16_t lookup_ret;

static void
burst_start(void)
{
	NF = 0;
}

/* A UDP frame with payload @p pl to @p dst port @p dport. @return its index. */
static unsigned int
add(int tci, int ip6, const uint8_t *dst, uint16_t dport, int pl)
{
	uint8_t p[FRAME_MAX];
	unsigned int n = payload(p, pl);

	frame_build(&F[NF], tci, ip6, dst, P_UDP, dport, p, n);
	return NF++;
}

static unsigned int
add_frame(const struct frame *f)
{
	F[NF] = *f;
	return NF++;
}

static int
same_slot(const struct burst *x, const struct burst *y, unsigned int i, int with_sess)
{
	return x->pkts[i] == y->pkts[i] && x->l3_off[i] == y->l3_off[i] && x->ip6[i] == y->ip6[i] &&
	       x->vlan[i] == y->vlan[i] && x->msg_off[i] == y->msg_off[i] &&
	       x->msg_len[i] == y->msg_len[i] && x->kind[i] == y->kind[i] &&
	       x->leg[i] == y->leg[i] && x->unprotect[i] == y->unprotect[i] &&
	       x->protect[i] == y->protect[i] && x->verdict[i] == y->verdict[i] &&
	       x->reason[i] == y->reason[i] && (!with_sess || x->sess[i] == y->sess[i]);
}

/* Parse the frames added since burst_start() as one burst received on DPDK
 * port @p port (poisoned first), then look it up. Checks what holds for
 * every burst: lookup writes neither packets nor mbufs, leaves parse's
 * fields, leaves what parse did not forward as it was (sess NULL), leaves
 * slots past n alone, and returns the number of V_FWD. */
static void
run_(int line, uint16_t port)
{
	struct parse_opts o = {.verify_udp_csum = 1};
	static struct rte_mbuf mb[BURST_MAX];
	unsigned int fwd = 0;

	memset(&B, 0x5a, sizeof(B));
	B.n = (uint16_t)NF;
	B.port = port;
	for (unsigned int i = 0; i < NF; i++) {
		B.pkts[i] = test_mbuf_set(&TM[i], F[i].b, F[i].len);
		B.verdict[i] = V_FWD;
	}
	parse_burst(&o, &B);
	P = B;
	for (unsigned int i = 0; i < NF; i++)
		memcpy(&mb[i], &TM[i].m, sizeof(mb[i]));
	lookup_ret = lookup_burst(&T, &B);

	test_checks++;
	for (unsigned int i = 0; i < BURST_MAX; i++) {
		const char *bad = NULL;

		if (i >= NF) {
			if (!same_slot(&B, &P, i, 1))
				bad = "slot past n written";
		} else if (memcmp(test_mbuf_data(&TM[i]), F[i].b, F[i].len) != 0 ||
			   memcmp(&TM[i].m, &mb[i], sizeof(mb[i])) != 0) {
			bad = "packet bytes or mbuf written";
		} else if (P.verdict[i] != V_FWD) {
			if (!same_slot(&B, &P, i, 0) || B.sess[i] != NULL)
				bad = "not forwarded by parse, yet changed (or sess not NULL)";
		} else if (B.pkts[i] != P.pkts[i] || B.l3_off[i] != P.l3_off[i] ||
			   B.ip6[i] != P.ip6[i] || B.vlan[i] != P.vlan[i] ||
			   B.msg_off[i] != P.msg_off[i] || B.msg_len[i] != P.msg_len[i] ||
			   B.kind[i] != P.kind[i]) {
			bad = "parse's fields changed";
		}
		if (bad != NULL) {
			test_failed_checks++;
			fprintf(stderr, "%s:%d: packet %u: %s\n", __FILE__, line, i, bad);
			return;
		}
		fwd += i < NF && B.verdict[i] == V_FWD;
	}
	if (B.n != NF || B.port != port || lookup_ret != fwd) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: n %u port %u, lookup_burst returned %u for %u V_FWD\n",
			__FILE__, line, B.n, B.port, lookup_ret, fwd);
	}
}

#define RUN(port) run_(__LINE__, (port))

/* ---- expectations ---- */

static const char *
verdict_name(unsigned int v)
{
	return v == V_FWD ? "FWD" : v == V_PUNT ? "PUNT" : v == V_DROP ? "DROP" : "?";
}

static const char *
sess_name(const struct session *s, char *buf, size_t n)
{
	if (s == NULL)
		return "NULL";
	for (uint32_t k = 0; k < T.pool_size; k++)
		if (s == &T.pool[k]) {
			snprintf(buf, n, "slot %u", k);
			return buf;
		}
	snprintf(buf, n, "%p", (const void *)s);
	return buf;
}

static const char *
dir_name(const struct srtp_dir *d, char *buf, size_t n)
{
	if (d == NULL)
		return "NULL";
	for (uint32_t k = 0; k < T.pool_size; k++)
		for (unsigned int l = 0; l < 2; l++) {
			if (d == &T.pool[k].leg[l].in) {
				snprintf(buf, n, "slot %u leg %u in", k, l);
				return buf;
			}
			if (d == &T.pool[k].leg[l].out) {
				snprintf(buf, n, "slot %u leg %u out", k, l);
				return buf;
			}
		}
	snprintf(buf, n, "%p", (const void *)d);
	return buf;
}

/* Packet @p i, forwarded by parse, has verdict @p v after lookup, and:
 * V_DROP: @p reason, sess NULL; V_FWD: session @p s, leg @p leg and the
 * contexts @p in and @p out exactly; V_PUNT: no contexts. */
static void
expect_(int line, unsigned int i, unsigned int v, unsigned int reason, const struct session *s,
	unsigned int leg, const struct srtp_dir *in, const struct srtp_dir *out)
{
	char b[3][48];
	int ok;

	if (i >= NF || P.verdict[i] != V_FWD) {
		test_checks++;
		test_failed_checks++;
		fprintf(stderr, "%s:%d: packet %u: parse did not forward it (%s %s)\n", __FILE__,
			line, i, verdict_name(P.verdict[i]),
			drop_reason_name((enum drop_reason)P.reason[i]));
		return;
	}
	ok = B.verdict[i] == v;
	if (v == V_DROP)
		/* a packet on the wrong port of a live session counts against
		 * its leg (tx.c), so lookup names the session */
		ok = ok && B.reason[i] == reason &&
		     (reason == DROP_WRONG_PORT ? B.sess[i] != NULL : B.sess[i] == NULL);
	if (v == V_FWD)
		ok = ok && B.sess[i] == s && B.leg[i] == leg && B.unprotect[i] == in &&
		     B.protect[i] == out;
	if (v == V_PUNT)
		ok = ok && B.unprotect[i] == NULL && B.protect[i] == NULL;
	test_checks++;
	if (ok)
		return;
	test_failed_checks++;
	fprintf(stderr, "%s:%d: packet %u:\n    want %s %s", __FILE__, line, i, verdict_name(v),
		v == V_DROP ? drop_reason_name((enum drop_reason)reason) : "");
	if (v == V_FWD)
		fprintf(stderr, "sess %s leg %u unprotect %s protect %s", sess_name(s, b[0], 48),
			leg, dir_name(in, b[1], 48), dir_name(out, b[2], 48));
	fprintf(stderr, "\n    got  %s %s sess %s leg %u unprotect %s protect %s\n",
		verdict_name(B.verdict[i]),
		B.verdict[i] == V_DROP ? drop_reason_name((enum drop_reason)B.reason[i]) : "",
		sess_name(B.sess[i], b[0], 48), B.leg[i], dir_name(B.unprotect[i], b[1], 48),
		dir_name(B.protect[i], b[2], 48));
}

#define FWD(i, s, leg, in, out) expect_(__LINE__, (i), V_FWD, DROP_NONE, (s), (leg), (in), (out))
/* Forwarded with no SRTP context: plain or passthrough. */
#define FWD_PLAIN(i, s, leg) FWD((i), (s), (leg), NULL, NULL)
#define DROPPED(i, r) expect_(__LINE__, (i), V_DROP, (r), NULL, 0, NULL, NULL)
#define PUNTED(i) expect_(__LINE__, (i), V_PUNT, DROP_NONE, NULL, 0, NULL, NULL)

/* ---- lookup_local_addr ---- */

TEST(local_addr_direct)
{
	uint8_t v4[4], v6[16], v4_in_16[16] = {0};
	struct session_table t16;

	table_setup();
	memcpy(v4, ip4_a, 4);
	memcpy(v6, ip6_a, 16);
	memcpy(v4_in_16, ip4_a, 4);
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 0, 0), A_V4);
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 1, 100), A_V4_VLAN);
	CHECK_EQ(lookup_local_addr(&T, 1, v6, 0, 0), A_V6);
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_b, 0, 0), A_V4_B);
	/* Wrong DPDK port, VLAN, or both. */
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 1, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 0, 100), -1);
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 1, 101), -1);
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 2, 100), -1);
	CHECK_EQ(lookup_local_addr(&T, 1, v6, 1, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 1, v6, 0, 100), -1);
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_b, 1, 100), -1);
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_b, 0, 4095), -1);
	/* Unknown addresses. */
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_other, 0, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_peer, 0, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 1, ip6_other, 0, 0), -1);
	/* The family must match: v4 bytes that begin a v6 local address, and
	 * a v6 address whose first 4 bytes (then zeros) are a v4 one. */
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_like_v6, 0, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 1, v4_in_16, 0, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 1, ip6_like_v4, 0, 0), -1);
	/* Every address byte counts. */
	for (unsigned int k = 0; k < 16; k++) {
		v6[k] ^= 0x01;
		CHECK_EQ(lookup_local_addr(&T, 1, v6, 0, 0), -1);
		v6[k] ^= 0x01;
		if (k < 4) {
			v4[k] ^= 0x80;
			CHECK_EQ(lookup_local_addr(&T, 0, v4, 0, 0), -1);
			CHECK_EQ(lookup_local_addr(&T, 0, v4, 1, 100), -1);
			v4[k] ^= 0x80;
		}
	}
	CHECK_EQ(lookup_local_addr(&T, 1, v6, 0, 0), A_V6);
	/* Only the first n_addrs entries are configured. */
	set_addr(N_ADDRS, 0, 0, 0, ip4_other);
	CHECK_EQ(lookup_local_addr(&T, 0, ip4_other, 0, 0), -1);
	T.n_addrs = 0;
	CHECK_EQ(lookup_local_addr(&T, 0, v4, 0, 0), -1);
	CHECK_EQ(lookup_local_addr(&T, 1, v6, 0, 0), -1);
	table_teardown();

	/* A full list: the last of LOCAL_ADDR_MAX is found. */
	memset(&t16, 0, sizeof(t16));
	t16.n_addrs = LOCAL_ADDR_MAX;
	for (unsigned int a = 0; a < LOCAL_ADDR_MAX; a++) {
		t16.addrs[a].ip6 = (uint8_t)(a & 1);
		t16.addrs[a].port_id = (uint16_t)(a % 3);
		t16.addrs[a].vlan = (uint16_t)(a * 10);
		memcpy(t16.addrs[a].addr, a & 1 ? ip6_a : ip4_a, a & 1 ? 16 : 4);
		t16.addrs[a].addr[3] = (uint8_t)(0x40 + a);
	}
	for (unsigned int a = 0; a < LOCAL_ADDR_MAX; a++) {
		CHECK_EQ(lookup_local_addr(&t16, (int)(a & 1), t16.addrs[a].addr, (uint16_t)(a % 3),
					   (uint16_t)(a * 10)),
			 (int)a);
		CHECK_EQ(lookup_local_addr(&t16, (int)!(a & 1), t16.addrs[a].addr,
					   (uint16_t)(a % 3), (uint16_t)(a * 10)),
			 -1);
	}
}

/* ---- accepted ---- */

/* v4 and v6 on each leg, both DPDK ports, the same UDP port on different
 * local addresses, the ends of the port range, the last pool slot. */
TEST(each_leg_v4_v6)
{
	struct session *s1, *s2, *s3, *s4, *s7;
	unsigned int i[16];

	table_setup();
	s1 = sess_add(1, (struct leg_cfg){A_V4, 10000, LEG_RTCP_MUX},
		      (struct leg_cfg){A_V6, 10002, LEG_RTCP_MUX});
	s2 = sess_add(2, (struct leg_cfg){A_V6, 10004, 0}, (struct leg_cfg){A_V4_B, 10006, 0});
	s3 = sess_add(3, (struct leg_cfg){A_V4_VLAN, 10000, LEG_RTCP_MUX},
		      (struct leg_cfg){A_V4_VLAN, PORT_MAX, LEG_RTCP_MUX});
	s4 = sess_add(4, (struct leg_cfg){A_V6, 10000, LEG_RTCP_MUX | LEG_LATCH},
		      (struct leg_cfg){A_V4_VLAN, 10050, 0});
	s7 = sess_add(POOL - 1, (struct leg_cfg){A_V4_B, PORT_MIN, LEG_RTCP_MUX},
		      (struct leg_cfg){A_V4, PORT_MAX, LEG_RTCP_MUX});

	burst_start();
	i[0] = add(-1, 0, ip4_a, 10000, PL_RTP);
	i[1] = add(-1, 1, ip6_a, 10002, PL_RTP);
	i[2] = add(-1, 1, ip6_a, 10004, PL_RTP);
	i[3] = add(-1, 0, ip4_b, 10006, PL_RTP);
	i[4] = add(-1, 1, ip6_a, 10005, PL_RTCP);
	i[5] = add(-1, 0, ip4_b, 10007, PL_RTCP);
	i[6] = add(-1, 0, ip4_b, PORT_MIN, PL_RTP);
	i[7] = add(-1, 0, ip4_a, PORT_MAX, PL_RTP);
	i[8] = add(-1, 1, ip6_a, 10000, PL_RTP);
	i[9] = add(-1, 0, ip4_a, 10000, PL_RTCP);
	i[10] = add(-1, 1, ip6_a, 10002, PL_RTCP);
	RUN(0);
	FWD_PLAIN(i[0], s1, 0);
	FWD_PLAIN(i[1], s1, 1);
	FWD_PLAIN(i[2], s2, 0);
	FWD_PLAIN(i[3], s2, 1);
	FWD_PLAIN(i[4], s2, 0);
	FWD_PLAIN(i[5], s2, 1);
	FWD_PLAIN(i[6], s7, 0);
	FWD_PLAIN(i[7], s7, 1);
	FWD_PLAIN(i[8], s4, 0);
	FWD_PLAIN(i[9], s1, 0);
	FWD_PLAIN(i[10], s1, 1);
	CHECK_EQ(lookup_ret, 11);

	/* Port 1, VLAN 100: the same address and UDP port as s1's leg 0 is
	 * another session there. PCP and DEI bits are not the VLAN id. */
	burst_start();
	i[0] = add(100, 0, ip4_a, 10000, PL_RTP);
	i[1] = add(0xe000 | 0x1000 | 100, 0, ip4_a, PORT_MAX, PL_RTP);
	i[2] = add(100, 0, ip4_a, 10050, PL_RTP);
	i[3] = add(100, 0, ip4_a, 10051, PL_RTCP);
	i[4] = add(100, 0, ip4_a, PORT_MAX, PL_RTCP);
	RUN(1);
	FWD_PLAIN(i[0], s3, 0);
	FWD_PLAIN(i[1], s3, 1);
	FWD_PLAIN(i[2], s4, 1);
	FWD_PLAIN(i[3], s4, 1);
	FWD_PLAIN(i[4], s3, 1);
	CHECK_EQ(lookup_ret, 5);
	table_teardown();
}

/* docs/architecture.md: the action per direction follows from the legs'
 * flags. unprotect is the arrival leg's in, protect the other leg's out. */
TEST(srtp_combinations)
{
	static const struct {
		const char *name;
		uint8_t flags[2];
		uint8_t in[2]; /* unprotect expected for packets arriving on leg l */
		uint8_t out[2]; /* protect expected for packets arriving on leg l */
	} combos[] = {
		{"plain <-> plain", {0, 0}, {0, 0}, {0, 0}},
		{"SRTP leg 0, plain leg 1", {LEG_SRTP, 0}, {1, 0}, {0, 1}},
		{"plain leg 0, SRTP leg 1", {0, LEG_SRTP}, {0, 1}, {1, 0}},
		{"SRTP <-> SRTP (re-key)", {LEG_SRTP, LEG_SRTP}, {1, 1}, {1, 1}},
		{"SRTP with latch", {LEG_SRTP | LEG_LATCH, LEG_LATCH}, {1, 0}, {0, 1}},
		{"passthrough <-> passthrough", {LEG_PASSTHROUGH, LEG_PASSTHROUGH}, {0, 0}, {0, 0}},
	};

	for (size_t c = 0; c < sizeof(combos) / sizeof(combos[0]); c++) {
		struct session *ss[2];
		unsigned int n = 0;

		table_setup();
		/* Two sessions: leg 0 on v4 / leg 1 on v6, and the reverse;
		 * RTCP on port + 1 for the first, rtcp-mux for the second. */
		ss[0] = sess_add(1, (struct leg_cfg){A_V4, 10010, combos[c].flags[0]},
				 (struct leg_cfg){A_V6, 10020, combos[c].flags[1]});
		ss[1] = sess_add(
			2,
			(struct leg_cfg){A_V6, 10030, (uint8_t)(combos[c].flags[0] | LEG_RTCP_MUX)},
			(struct leg_cfg){A_V4, 10040,
					 (uint8_t)(combos[c].flags[1] | LEG_RTCP_MUX)});
		burst_start();
		add(-1, 0, ip4_a, 10010, PL_RTP);
		add(-1, 0, ip4_a, 10011, PL_RTCP);
		add(-1, 1, ip6_a, 10020, PL_RTP);
		add(-1, 1, ip6_a, 10021, PL_RTCP);
		add(-1, 1, ip6_a, 10030, PL_RTP);
		add(-1, 1, ip6_a, 10030, PL_RTCP);
		add(-1, 0, ip4_a, 10040, PL_RTP);
		add(-1, 0, ip4_a, 10040, PL_RTCP);
		RUN(0);
		for (unsigned int k = 0; k < 2; k++) {
			for (unsigned int l = 0; l < 2; l++) {
				struct session *s = ss[k];
				struct srtp_dir *in = combos[c].in[l] ? &s->leg[l].in : NULL;
				struct srtp_dir *out = combos[c].out[l] ? &s->leg[l ^ 1].out : NULL;

				for (unsigned int r = 0; r < 2; r++, n++) {
					int before = test_failed_checks;

					FWD(n, s, l, in, out);
					if (test_failed_checks != before)
						fprintf(stderr, "    (%s, session %u, %s)\n",
							combos[c].name, k + 1, r ? "RTCP" : "RTP");
				}
			}
		}
		CHECK_EQ(lookup_ret, 8);
		table_teardown();
	}
}

/* docs/architecture.md: "passthrough | any | forward untouched". A packet
 * arriving on a passthrough leg is end-to-end SRTP: it must not be
 * protected again for the other leg, whatever that leg's flags. */
TEST(passthrough_arrival_leg_untouched)
{
	struct session *s;
	unsigned int r, c;

	table_setup();
	s = sess_add(1, (struct leg_cfg){A_V4, 10010, LEG_PASSTHROUGH | LEG_RTCP_MUX},
		     (struct leg_cfg){A_V6, 10020, LEG_SRTP | LEG_RTCP_MUX});
	burst_start();
	r = add(-1, 0, ip4_a, 10010, PL_RTP);
	c = add(-1, 0, ip4_a, 10010, PL_RTCP);
	RUN(0);
	FWD_PLAIN(r, s, 0);
	FWD_PLAIN(c, s, 0);
	table_teardown();
}

/* ---- DROP_NOT_LOCAL ---- */

TEST(not_local)
{
	struct session *s1, *s2;
	unsigned int i[16];

	table_setup();
	/* Sessions on the port every probe below uses: only the address,
	 * the DPDK port or the VLAN can make them fail. */
	s1 = sess_add(1, (struct leg_cfg){A_V4, 10010, LEG_RTCP_MUX},
		      (struct leg_cfg){A_V6, 10010, LEG_RTCP_MUX});
	s2 = sess_add(2, (struct leg_cfg){A_V4_VLAN, 10010, LEG_RTCP_MUX},
		      (struct leg_cfg){A_V4_B, 10010, LEG_RTCP_MUX});

	/* On port 0. */
	burst_start();
	i[0] = add(-1, 0, ip4_other, 10010, PL_RTP); /* unknown v4 */
	i[1] = add(-1, 1, ip6_other, 10010, PL_RTP); /* unknown v6 */
	i[2] = add(-1, 0, ip4_peer, 10010, PL_RTP);
	i[3] = add(100, 0, ip4_a, 10010, PL_RTP); /* tagged to an untagged address */
	i[4] = add(100, 1, ip6_a, 10010, PL_RTP);
	i[5] = add(7, 0, ip4_b, 10010, PL_RTCP);
	i[6] = add(-1, 0, ip4_like_v6, 10010, PL_RTP); /* family must match */
	i[7] = add(-1, 1, ip6_like_v4, 10010, PL_RTP);
	i[8] = add(-1, 0, ip4_a, 10010, PL_RTP); /* controls: accepted */
	i[9] = add(-1, 1, ip6_a, 10010, PL_RTP);
	i[10] = add(-1, 0, ip4_b, 10010, PL_RTP);
	i[11] = add(-1, 0, ip4_other, 10010, 0); /* STUN to an unknown address */
	RUN(0);
	for (unsigned int k = 0; k < 8; k++)
		DROPPED(i[k], DROP_NOT_LOCAL);
	FWD_PLAIN(i[8], s1, 0);
	FWD_PLAIN(i[9], s1, 1);
	FWD_PLAIN(i[10], s2, 1);
	DROPPED(i[11], DROP_NOT_LOCAL);
	CHECK_EQ(lookup_ret, 3);

	/* On port 1: only 192.0.2.1 in VLAN 100 is ours. */
	burst_start();
	i[0] = add(-1, 0, ip4_a, 10010, PL_RTP); /* untagged to a tagged address */
	i[1] = add(101, 0, ip4_a, 10010, PL_RTP); /* another VLAN */
	i[2] = add(0, 0, ip4_a, 10010, PL_RTP); /* priority tag: VLAN 0 */
	i[3] = add(-1, 1, ip6_a, 10010, PL_RTP); /* port 0's addresses */
	i[4] = add(-1, 0, ip4_b, 10010, PL_RTP);
	i[5] = add(100, 1, ip6_a, 10010, PL_RTP);
	i[6] = add(100, 0, ip4_b, 10010, PL_RTP);
	i[7] = add(100, 0, ip4_a, 10010, PL_RTP); /* control: accepted */
	RUN(1);
	for (unsigned int k = 0; k < 7; k++)
		DROPPED(i[k], DROP_NOT_LOCAL);
	FWD_PLAIN(i[7], s2, 0);
	CHECK_EQ(lookup_ret, 1);

	/* A port with no address at all, and the VLAN-100 frame on port 0. */
	burst_start();
	i[0] = add(100, 0, ip4_a, 10010, PL_RTP);
	i[1] = add(-1, 0, ip4_a, 10010, PL_RTP);
	i[2] = add(-1, 1, ip6_a, 10010, PL_RTP);
	RUN(2);
	for (unsigned int k = 0; k < 3; k++)
		DROPPED(i[k], DROP_NOT_LOCAL);
	CHECK_EQ(lookup_ret, 0);
	table_teardown();
}

/* ---- DROP_NO_SESSION ---- */

TEST(no_session_range_and_empty)
{
	static const uint16_t outside[] = {0,	  1,	PORT_MIN - 1, PORT_MAX + 1, PORT_MAX + 2,
					   40000, 65535};
	struct session *s;
	unsigned int i[4];

	table_setup();
	/* Sessions at both ends of the range on the last address: a port
	 * just outside would index just outside the entries. */
	s = sess_add(1, (struct leg_cfg){A_V4_B, PORT_MIN, LEG_RTCP_MUX},
		     (struct leg_cfg){A_V4_B, PORT_MAX, LEG_RTCP_MUX});
	for (size_t k = 0; k < sizeof(outside) / sizeof(outside[0]); k++) {
		burst_start();
		for (int ip6 = 0; ip6 <= 1; ip6++) {
			add(-1, ip6, ip6 ? ip6_a : ip4_a, outside[k], PL_RTP);
			add(-1, ip6, ip6 ? ip6_a : ip4_b, outside[k], PL_RTCP);
		}
		add(100, 0, ip4_a, outside[k], PL_RTP);
		RUN(1);
		DROPPED(4, DROP_NO_SESSION);
		RUN(0);
		for (unsigned int n = 0; n < 4; n++)
			DROPPED(n, DROP_NO_SESSION);
		DROPPED(4, DROP_NOT_LOCAL);
		CHECK_EQ(lookup_ret, 0);
	}
	/* In range, entry 0: next to live entries, and on every address. */
	burst_start();
	i[0] = add(-1, 0, ip4_b, PORT_MIN + 1, PL_RTP);
	i[1] = add(-1, 0, ip4_b, PORT_MAX - 1, PL_RTP);
	i[2] = add(-1, 0, ip4_a, PORT_MIN, PL_RTP); /* s's port, another address */
	i[3] = add(-1, 1, ip6_a, PORT_MAX, PL_RTCP);
	add(-1, 0, ip4_b, PORT_MIN, PL_RTP);
	add(-1, 0, ip4_b, PORT_MAX, PL_RTCP);
	RUN(0);
	for (unsigned int n = 0; n < 4; n++)
		DROPPED(i[n], DROP_NO_SESSION);
	FWD_PLAIN(4, s, 0);
	FWD_PLAIN(5, s, 1);
	burst_start();
	add(100, 0, ip4_a, PORT_MIN, PL_RTP);
	add(100, 0, ip4_a, 10050, 0x00);
	RUN(1);
	DROPPED(0, DROP_NO_SESSION);
	DROPPED(1, DROP_NO_SESSION);
	table_teardown();
}

/* Entries whose slot is 0 or past the pool: the pool ends at a guard page,
 * so dereferencing pool[pool_size] would crash this test. */
TEST(no_session_corrupt_entries)
{
	static const uint32_t bad[] = {
		1,
		2,
		3, /* slot 0 with leg / rtcp bits */
		POOL << 2, /* slot == pool_size */
		POOL << 2 | 3,
		(POOL + 1) << 2,
		0xffffffffu,
		0x80000000u,
		0x40000000u,
	};
	struct session *s;

	table_setup();
	s = sess_add(POOL - 1, (struct leg_cfg){A_V4, 10010, LEG_RTCP_MUX},
		     (struct leg_cfg){A_V6, 10020, LEG_RTCP_MUX});
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		burst_start();
		entry_store(A_V4, 10030, bad[k]);
		entry_store(A_V6, PORT_MAX, bad[k]);
		add(-1, 0, ip4_a, 10030, PL_RTP);
		add(-1, 0, ip4_a, 10030, PL_RTCP);
		add(-1, 0, ip4_a, 10030, 0x16); /* DTLS */
		add(-1, 1, ip6_a, PORT_MAX, PL_RTP);
		add(-1, 0, ip4_a, 10010, PL_RTP); /* the last valid slot */
		RUN(0);
		for (unsigned int n = 0; n < 4; n++) {
			int before = test_failed_checks;

			DROPPED(n, DROP_NO_SESSION);
			if (test_failed_checks != before)
				fprintf(stderr, "    (entry %#x)\n", bad[k]);
		}
		FWD_PLAIN(4, s, 0);
	}
	table_teardown();
}

/* Deleting a session clears its entries (release store): the next burst
 * finds nothing there. Re-publishing the port sends it to the new slot. */
TEST(no_session_after_unpublish)
{
	struct session *s, *s2;

	table_setup();
	s = sess_add(3, (struct leg_cfg){A_V4, 10010, LEG_SRTP},
		     (struct leg_cfg){A_V6, 10020, LEG_SRTP | LEG_RTCP_MUX});
	burst_start();
	add(-1, 0, ip4_a, 10010, PL_RTP);
	add(-1, 0, ip4_a, 10011, PL_RTCP);
	add(-1, 1, ip6_a, 10020, PL_RTP);
	add(-1, 1, ip6_a, 10020, PL_RTCP);
	RUN(0);
	FWD(0, s, 0, &s->leg[0].in, &s->leg[1].out);
	FWD(1, s, 0, &s->leg[0].in, &s->leg[1].out);
	FWD(2, s, 1, &s->leg[1].in, &s->leg[0].out);
	FWD(3, s, 1, &s->leg[1].in, &s->leg[0].out);
	CHECK_EQ(lookup_ret, 4);

	/* Leg 0's RTP entry only: its RTCP port still works. */
	entry_store(A_V4, 10010, 0);
	RUN(0);
	DROPPED(0, DROP_NO_SESSION);
	FWD(1, s, 0, &s->leg[0].in, &s->leg[1].out);
	FWD(2, s, 1, &s->leg[1].in, &s->leg[0].out);
	CHECK_EQ(lookup_ret, 3);

	/* All of them (the slot itself still filled, as during the grace
	 * period). */
	entry_store(A_V4, 10011, 0);
	entry_store(A_V6, 10020, 0);
	RUN(0);
	for (unsigned int n = 0; n < 4; n++)
		DROPPED(n, DROP_NO_SESSION);
	CHECK_EQ(lookup_ret, 0);

	/* The ports reused by a new session in another slot, legs swapped. */
	s2 = sess_add(5, (struct leg_cfg){A_V6, 10020, LEG_RTCP_MUX},
		      (struct leg_cfg){A_V4, 10010, 0});
	RUN(0);
	FWD_PLAIN(0, s2, 1);
	FWD_PLAIN(1, s2, 1);
	FWD_PLAIN(2, s2, 0);
	FWD_PLAIN(3, s2, 0);
	CHECK_EQ(lookup_ret, 4);
	table_teardown();
}

/* ---- DROP_WRONG_PORT ---- */

TEST(wrong_port)
{
	struct session *s, *s6;
	unsigned int i[16];

	table_setup();
	/* Leg 0 without rtcp-mux (RTCP on 10011), leg 1 with it. */
	s = sess_add(1, (struct leg_cfg){A_V4, 10010, LEG_SRTP},
		     (struct leg_cfg){A_V4_B, 10020, LEG_SRTP | LEG_RTCP_MUX});
	/* The same on IPv6, SRTP on leg 1 only. */
	s6 = sess_add(2, (struct leg_cfg){A_V6, 10030, 0},
		      (struct leg_cfg){A_V6, 10040, LEG_SRTP | LEG_RTCP_MUX});
	burst_start();
	i[0] = add(-1, 0, ip4_a, 10010, PL_RTP); /* accepted */
	i[1] = add(-1, 0, ip4_a, 10011, PL_RTCP); /* RTCP on the RTCP port */
	i[2] = add(-1, 0, ip4_a, 10011, PL_RTP); /* RTP on the RTCP port */
	i[3] = add(-1, 0, ip4_a, 10010, PL_RTCP); /* RTCP on RTP, no mux */
	i[4] = add(-1, 0, ip4_b, 10020, PL_RTCP); /* RTCP on RTP, mux */
	i[5] = add(-1, 0, ip4_b, 10020, PL_RTP);
	i[6] = add(-1, 0, ip4_b, 10021, PL_RTCP); /* mux: nothing on port + 1 */
	i[7] = add(-1, 1, ip6_a, 10030, PL_RTP);
	i[8] = add(-1, 1, ip6_a, 10031, PL_RTCP);
	i[9] = add(-1, 1, ip6_a, 10031, PL_RTP);
	i[10] = add(-1, 1, ip6_a, 10030, PL_RTCP);
	i[11] = add(-1, 1, ip6_a, 10040, PL_RTCP);
	i[12] = add(-1, 1, ip6_a, 10041, PL_RTP);
	RUN(0);
	FWD(i[0], s, 0, &s->leg[0].in, &s->leg[1].out);
	FWD(i[1], s, 0, &s->leg[0].in, &s->leg[1].out);
	DROPPED(i[2], DROP_WRONG_PORT);
	DROPPED(i[3], DROP_WRONG_PORT);
	FWD(i[4], s, 1, &s->leg[1].in, &s->leg[0].out);
	FWD(i[5], s, 1, &s->leg[1].in, &s->leg[0].out);
	DROPPED(i[6], DROP_NO_SESSION);
	FWD(i[7], s6, 0, NULL, &s6->leg[1].out);
	FWD(i[8], s6, 0, NULL, &s6->leg[1].out);
	DROPPED(i[9], DROP_WRONG_PORT);
	DROPPED(i[10], DROP_WRONG_PORT);
	FWD(i[11], s6, 1, &s6->leg[1].in, NULL);
	DROPPED(i[12], DROP_NO_SESSION);
	CHECK_EQ(lookup_ret, 7);
	table_teardown();
}

/* ---- STUN, ZRTP, DTLS ---- */

TEST(stun_dtls_zrtp)
{
	/* RFC 7983: STUN 0..3, ZRTP 16..19, DTLS 20..63. */
	static const uint8_t firsts[] = {0, 1, 2, 3, 16, 17, 18, 19, 20, 22, 23, 47, 63};
	struct session *pt, *mix;

	table_setup();
	pt = sess_add(1, (struct leg_cfg){A_V4, 10010, LEG_PASSTHROUGH},
		      (struct leg_cfg){A_V6, 10020, LEG_PASSTHROUGH | LEG_RTCP_MUX});
	sess_add(2, (struct leg_cfg){A_V4, 10030, LEG_SRTP | LEG_RTCP_MUX},
		 (struct leg_cfg){A_V6, 10040, LEG_SRTP});
	sess_add(3, (struct leg_cfg){A_V4_B, 10050, LEG_RTCP_MUX},
		 (struct leg_cfg){A_V4, 10060, LEG_RTCP_MUX | LEG_LATCH});
	mix = sess_add(4, (struct leg_cfg){A_V4_B, 10070, LEG_PASSTHROUGH | LEG_RTCP_MUX},
		       (struct leg_cfg){A_V4_B, 10080, LEG_RTCP_MUX});
	for (size_t k = 0; k < sizeof(firsts); k++) {
		unsigned int want = firsts[k] <= 3    ? MSG_STUN
				    : firsts[k] <= 19 ? MSG_ZRTP
						      : MSG_DTLS;

		burst_start();
		add(-1, 0, ip4_a, 10010, firsts[k]); /* 0: passthrough leg 0 */
		add(-1, 0, ip4_a, 10011, firsts[k]); /* 1: its RTCP port (ICE component 2) */
		add(-1, 1, ip6_a, 10020, firsts[k]); /* 2: passthrough leg 1 */
		add(-1, 0, ip4_b, 10070, firsts[k]); /* 3: passthrough leg of mix */
		add(-1, 0, ip4_a, 10030, firsts[k]); /* 4..: punted */
		add(-1, 1, ip6_a, 10040, firsts[k]);
		add(-1, 1, ip6_a, 10041, firsts[k]);
		add(-1, 0, ip4_b, 10050, firsts[k]);
		add(-1, 0, ip4_a, 10060, firsts[k]);
		add(-1, 0, ip4_b, 10080, firsts[k]);
		add(-1, 0, ip4_a, 10010, PL_RTP); /* 10..: media on the passthrough legs */
		add(-1, 0, ip4_a, 10011, PL_RTCP);
		add(-1, 1, ip6_a, 10020, PL_RTCP);
		RUN(0);
		for (unsigned int n = 0; n < 10; n++)
			CHECK_EQ(P.kind[n], want);
		FWD_PLAIN(0, pt, 0);
		FWD_PLAIN(1, pt, 0);
		FWD_PLAIN(2, pt, 1);
		FWD_PLAIN(3, mix, 0);
		for (unsigned int n = 4; n < 10; n++) {
			int before = test_failed_checks;

			PUNTED(n);
			if (test_failed_checks != before)
				fprintf(stderr, "    (first byte %u)\n", firsts[k]);
		}
		FWD_PLAIN(10, pt, 0);
		FWD_PLAIN(11, pt, 0);
		FWD_PLAIN(12, pt, 1);
		CHECK_EQ(lookup_ret, 7);
	}
	table_teardown();
}

/* ---- what parse decided ---- */

TEST(parse_verdicts_kept)
{
	struct session *s;
	struct frame f;
	uint8_t p[FRAME_MAX];
	unsigned int n, i[12];
	static const struct {
		unsigned int verdict, reason;
	} want[] = {
		{V_PUNT, DROP_NONE},	       {V_PUNT, DROP_NONE},	 {V_PUNT, DROP_NONE},
		{V_DROP, DROP_UDP_CSUM},       {V_DROP, DROP_UDP_CSUM},	 {V_DROP, DROP_NOT_MEDIA},
		{V_DROP, DROP_SRTP_TOO_SHORT}, {V_DROP, DROP_IPV4_CSUM},
	};

	table_setup();
	s = sess_add(1, (struct leg_cfg){A_V4, 10010, LEG_SRTP | LEG_RTCP_MUX},
		     (struct leg_cfg){A_V6, 10020, LEG_PASSTHROUGH | LEG_RTCP_MUX});
	burst_start();
	frame_arp(&f);
	i[0] = add_frame(&f);
	n = payload(p, PL_RTP);
	frame_build(&f, -1, 0, ip4_a, P_ICMP, 0, p, n);
	i[1] = add_frame(&f);
	frame_build(&f, -1, 1, ip6_a, P_ICMP6, 0, p, n);
	i[2] = add_frame(&f);
	/* To live session ports, but broken. */
	i[3] = add(-1, 0, ip4_a, 10010, PL_RTP);
	F[i[3]].b[F[i[3]].len - 1] ^= 1; /* UDP checksum no longer verifies */
	i[4] = add(-1, 1, ip6_a, 10020, 0x00);
	F[i[4]].b[F[i[4]].len - 1] ^= 1;
	i[5] = add(-1, 0, ip4_a, 10010, 64); /* TURN channel: not media */
	i[6] = add(-1, 1, ip6_a, 10020, PL_RTP_SHORT);
	i[7] = add(-1, 0, ip4_a, 10010, PL_RTP);
	F[i[7]].b[14 + 8] ^= 1; /* TTL: the IPv4 header checksum fails */
	/* And two good ones. */
	i[8] = add(-1, 0, ip4_a, 10010, PL_RTP);
	i[9] = add(-1, 1, ip6_a, 10020, 0x00);
	RUN(0);
	for (unsigned int k = 0; k < 8; k++) {
		/* run_() has compared every field of these slots with what parse
		 * left; here the verdicts themselves. */
		CHECK_EQ(P.verdict[i[k]], want[k].verdict);
		CHECK_EQ(B.verdict[i[k]], want[k].verdict);
		if (want[k].verdict == V_DROP)
			CHECK_EQ(B.reason[i[k]], want[k].reason);
		CHECK(B.sess[i[k]] == NULL);
		CHECK(B.unprotect[i[k]] == NULL && B.protect[i[k]] == NULL);
	}
	/* A passthrough leg on either side: no contexts (docs/architecture.md). */
	FWD_PLAIN(i[8], s, 0);
	FWD_PLAIN(i[9], s, 1);
	CHECK_EQ(lookup_ret, 2);
	table_teardown();
}

/* ---- mixed bursts ---- */

enum mangle { M_NONE, M_UDP_CSUM, M_ARP };

struct mcase {
	int tci, ip6;
	const uint8_t *dst;
	uint16_t dport;
	int pl;
	enum mangle mangle;
	unsigned int verdict, reason;
	uint32_t slot; /* V_FWD: the session */
	unsigned int leg, in, out; /* in / out: unprotect / protect expected */
};

TEST(mixed_burst_32)
{
	static const struct mcase cases[] = {
		{-1, 0, ip4_a, 10010, PL_RTP, M_NONE, V_FWD, 0, 1, 0, 1, 0},
		{-1, 0, ip4_a, 10011, PL_RTCP, M_NONE, V_FWD, 0, 1, 0, 1, 0},
		{-1, 1, ip6_a, 10020, PL_RTP, M_NONE, V_FWD, 0, 1, 1, 0, 1},
		{-1, 1, ip6_a, 10020, PL_RTCP, M_NONE, V_FWD, 0, 1, 1, 0, 1},
		{-1, 0, ip4_b, 10030, PL_RTP, M_NONE, V_FWD, 0, 2, 0, 1, 1},
		{-1, 1, ip6_a, 10040, PL_RTP, M_NONE, V_FWD, 0, 2, 1, 1, 1},
		{-1, 1, ip6_a, 10041, PL_RTCP, M_NONE, V_FWD, 0, 2, 1, 1, 1},
		{-1, 0, ip4_a, 10050, PL_RTP, M_NONE, V_FWD, 0, 3, 0, 0, 0},
		{-1, 0, ip4_b, 10060, PL_RTCP, M_NONE, V_FWD, 0, 3, 1, 0, 0},
		{-1, 0, ip4_a, 10070, PL_RTP, M_NONE, V_FWD, 0, 7, 0, 0, 0},
		{-1, 0, ip4_a, 10070, 0x00, M_NONE, V_FWD, 0, 7, 0, 0, 0},
		{-1, 1, ip6_a, 10080, 0x16, M_NONE, V_FWD, 0, 7, 1, 0, 0},
		{-1, 1, ip6_a, 10080, 0x10, M_NONE, V_FWD, 0, 7, 1, 0, 0},
		{-1, 0, ip4_a, 10010, 0x01, M_NONE, V_PUNT, 0, 0, 0, 0, 0},
		{-1, 1, ip6_a, 10020, 0x17, M_NONE, V_PUNT, 0, 0, 0, 0, 0},
		{-1, 0, ip4_b, 10030, 0x13, M_NONE, V_PUNT, 0, 0, 0, 0, 0},
		{-1, 0, ip4_other, 10010, PL_RTP, M_NONE, V_DROP, DROP_NOT_LOCAL, 0, 0, 0, 0},
		{100, 0, ip4_a, 10010, PL_RTP, M_NONE, V_DROP, DROP_NOT_LOCAL, 0, 0, 0, 0},
		{-1, 0, ip4_like_v6, 10020, PL_RTP, M_NONE, V_DROP, DROP_NOT_LOCAL, 0, 0, 0, 0},
		{-1, 1, ip6_like_v4, 10010, PL_RTP, M_NONE, V_DROP, DROP_NOT_LOCAL, 0, 0, 0, 0},
		{-1, 0, ip4_a, PORT_MIN - 1, PL_RTP, M_NONE, V_DROP, DROP_NO_SESSION, 0, 0, 0, 0},
		{-1, 1, ip6_a, PORT_MAX + 1, PL_RTP, M_NONE, V_DROP, DROP_NO_SESSION, 0, 0, 0, 0},
		{-1, 0, ip4_a, 10012, PL_RTP, M_NONE, V_DROP, DROP_NO_SESSION, 0, 0, 0, 0},
		{-1, 0, ip4_b, 10090, PL_RTCP, M_NONE, V_DROP, DROP_NO_SESSION, 0, 0, 0, 0},
		{-1, 0, ip4_a, 10011, PL_RTP, M_NONE, V_DROP, DROP_WRONG_PORT, 0, 0, 0, 0},
		{-1, 1, ip6_a, 10041, PL_RTP, M_NONE, V_DROP, DROP_WRONG_PORT, 0, 0, 0, 0},
		{-1, 1, ip6_a, 10040, PL_RTCP, M_NONE, V_DROP, DROP_WRONG_PORT, 0, 0, 0, 0},
		{-1, 0, ip4_a, 10010, PL_RTP, M_UDP_CSUM, V_DROP, DROP_UDP_CSUM, 0, 0, 0, 0},
		{-1, 1, ip6_a, 10020, PL_RTCP, M_UDP_CSUM, V_DROP, DROP_UDP_CSUM, 0, 0, 0, 0},
		{-1, 0, ip4_a, 10010, 64, M_NONE, V_DROP, DROP_NOT_MEDIA, 0, 0, 0, 0},
		{-1, 0, ip4_a, 0, 0, M_ARP, V_PUNT, 0, 0, 0, 0, 0},
		{-1, 0, ip4_b, 10060, PL_RTP, M_NONE, V_FWD, 0, 3, 1, 0, 0},
	};
	const size_t nc = sizeof(cases) / sizeof(cases[0]);
	unsigned int order[sizeof(cases) / sizeof(cases[0])];

	_Static_assert(sizeof(cases) / sizeof(cases[0]) == 32, "a burst of 32");
	table_setup();
	/* 1: SRTP leg 0 (RTCP on +1) / plain leg 1 (mux). 2: SRTP both,
	 * leg 0 mux, leg 1 RTCP on +1. 3: plain both. 7: passthrough. */
	sess_add(1, (struct leg_cfg){A_V4, 10010, LEG_SRTP},
		 (struct leg_cfg){A_V6, 10020, LEG_RTCP_MUX});
	sess_add(2, (struct leg_cfg){A_V4_B, 10030, LEG_SRTP | LEG_RTCP_MUX},
		 (struct leg_cfg){A_V6, 10040, LEG_SRTP});
	sess_add(3, (struct leg_cfg){A_V4, 10050, LEG_RTCP_MUX},
		 (struct leg_cfg){A_V4_B, 10060, LEG_RTCP_MUX});
	sess_add(7, (struct leg_cfg){A_V4, 10070, LEG_PASSTHROUGH | LEG_RTCP_MUX},
		 (struct leg_cfg){A_V6, 10080, LEG_PASSTHROUGH | LEG_RTCP_MUX});
	for (unsigned int k = 0; k < nc; k++)
		order[k] = k;
	test_seed(0x10c4b0057ull);
	for (unsigned int round = 0; round < 64; round++) {
		unsigned int nfwd = 0;

		if (round > 0) { /* round 0: in table order */
			for (size_t k = nc - 1; k > 0; k--) {
				size_t j = test_rand() % (k + 1);
				unsigned int t = order[k];

				order[k] = order[j];
				order[j] = t;
			}
		}
		burst_start();
		for (unsigned int k = 0; k < nc; k++) {
			const struct mcase *c = &cases[order[k]];

			if (c->mangle == M_ARP) {
				frame_arp(&F[NF++]);
				continue;
			}
			add(c->tci, c->ip6, c->dst, c->dport, c->pl);
			if (c->mangle == M_UDP_CSUM)
				F[NF - 1].b[F[NF - 1].len - 1] ^= 0x40;
		}
		RUN(0);
		for (unsigned int k = 0; k < nc; k++) {
			const struct mcase *c = &cases[order[k]];
			int before = test_failed_checks;

			if (c->mangle != M_NONE || c->pl == 64) {
				/* parse's verdict, kept (run_ checks the slot). */
				CHECK_EQ(B.verdict[k], c->verdict);
				if (c->verdict == V_DROP)
					CHECK_EQ(B.reason[k], c->reason);
				CHECK(B.sess[k] == NULL);
			} else if (c->verdict == V_FWD) {
				const struct session *s = &T.pool[c->slot];

				FWD(k, s, c->leg, c->in ? &T.pool[c->slot].leg[c->leg].in : NULL,
				    c->out ? &T.pool[c->slot].leg[c->leg ^ 1].out : NULL);
			} else if (c->verdict == V_PUNT) {
				PUNTED(k);
			} else {
				DROPPED(k, c->reason);
			}
			nfwd += c->verdict == V_FWD;
			if (test_failed_checks != before) {
				fprintf(stderr, "    (round %u, case %u at %u)\n", round, order[k],
					k);
				table_teardown();
				return;
			}
		}
		CHECK_EQ(lookup_ret, nfwd);
		CHECK_EQ(nfwd, 14);
	}
	table_teardown();
}

TEST_MAIN()
