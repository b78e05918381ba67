/* test_parse.c: parse_burst() (dataplane/parse.c) on hand-built frames in
 * test mbufs: no EAL, no crypto.
 *
 *   - accepted frames (RTP, RTCP, STUN, ZRTP, DTLS over IPv4/IPv6, with and
 *     without 802.1Q) with every field parse fills: l3_off, ip6, vlan,
 *     msg_off, msg_len, kind; RFC 7983 first byte over all 256 values and
 *     RFC 5761 RTP/RTCP over all 256 second bytes;
 *   - punted frames (ARP, ICMP, ICMPv6, IPv6 extension headers);
 *   - every drop reason parse produces, asserted by name, at its boundaries;
 *   - checksum rules: the NIC's ol_flags, verify_udp_csum off, zero and
 *     0xffff UDP checksums, Ethernet padding kept out of every length and
 *     checksum;
 *   - a mixed burst of 32 in many orders (own verdict each, return value,
 *     packet bytes and mbuf untouched, slots past n untouched);
 *   - 200k random frames in read-only pages ending at a guard page (an
 *     over-read or a write crashes), each compared with a plain reference
 *     parser written here.
 *
 * Frames are built with this file's own builder and its own RFC 1071 /
 * pseudo-header checksums, independent of parse.c and DPDK's cksum helpers.
 */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../csum.h"
#include "../test.h"
#include "../pkt.h"

#include "dataplane/parse.h"
#include "dataplane/stats.h"

#define FRAME_MAX 512

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP 0x0806
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8

#define P_HOPOPT 0
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ICMP6 58

#define OL_IP_GOOD RTE_MBUF_F_RX_IP_CKSUM_GOOD
#define OL_IP_BAD RTE_MBUF_F_RX_IP_CKSUM_BAD
#define OL_IP_NONE RTE_MBUF_F_RX_IP_CKSUM_NONE
#define OL_L4_GOOD RTE_MBUF_F_RX_L4_CKSUM_GOOD
#define OL_L4_BAD RTE_MBUF_F_RX_L4_CKSUM_BAD
#define OL_L4_NONE RTE_MBUF_F_RX_L4_CKSUM_NONE

static struct test_mbuf TM[BURST_MAX];
static struct burst B;
static uint16_t last_ret; /* parse_burst's return for the last parse_frame */
static char CTX[200]; /* what the current loop is on, for messages */

#define SET_CTX(...) snprintf(CTX, sizeof(CTX), __VA_ARGS__)

/* ---- bytes and checksums (RFC 1071, written here byte by byte) ---- */

static unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The folded sum over the IPv4 header as it stands: 0xffff when valid. */
static uint16_t
ip4_verify_sum(const uint8_t *ip, unsigned int hlen)
{
	return ocsum_fold(ocsum_add(0, ip, hlen));
}

/* The folded sum over the pseudo header (RFC 768 / RFC 8200 §8.1) and the
 * datagram as it stands: 0xffff when the checksum verifies. */
static uint16_t
udp_verify_sum(const uint8_t *l3, int ip6, const uint8_t *udp, unsigned int udp_len)
{
	uint32_t s;

	if (ip6)
		s = ocsum_add(0, l3 + 8, 32); /* source and destination */
	else
		s = ocsum_add(0, l3 + 12, 8);
	s += P_UDP;
	s += udp_len & 0xffff; /* the upper 16 bits of the v6 length are 0 */
	return ocsum_fold(ocsum_add(s, udp, udp_len));
}

/* ---- the frame builder ---- */

struct frame {
	uint8_t b[FRAME_MAX];
	unsigned int len; /* frame length: the mbuf's data_len */
	unsigned int l3; /* IP header offset (14 or 18) */
	unsigned int l4; /* UDP (or other L4) header offset */
	unsigned int msg; /* UDP payload offset */
	unsigned int msg_len; /* UDP payload length */
	int ip6;
	unsigned int vlan; /* the VLAN id parse must report (0 untagged) */
};

static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
static const uint8_t addr4[8] = {192, 0, 2, 1, 198, 51, 100, 2};
static const uint8_t addr6[32] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
				  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static void
frame_set_ip4_csum(struct frame *f)
{
	uint8_t *ip = f->b + f->l3;
	unsigned int hlen = (ip[0] & 0x0f) * 4u;

	if (hlen < 20)
		hlen = 20;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ip4_verify_sum(ip, hlen));
}

/* Checksum over the UDP length the header states (not the frame's). */
static void
frame_set_udp_csum(struct frame *f)
{
	uint8_t *u = f->b + f->l4;
	unsigned int ulen = get16(u + 4);
	uint16_t c;

	put16(u + 6, 0);
	c = (uint16_t)~udp_verify_sum(f->b + f->l3, f->ip6, u, ulen);
	put16(u + 6, c ? c : 0xffff); /* RFC 768: computed zero is sent as ones */
}

/* Recompute what the frame carries: the IPv4 header checksum, and the UDP
 * checksum if the datagram is UDP and fits the frame. */
static void
frame_fix(struct frame *f)
{
	uint8_t proto = f->ip6 ? f->b[f->l3 + 6] : f->b[f->l3 + 9];

	if (!f->ip6)
		frame_set_ip4_csum(f);
	if (proto == P_UDP && f->l4 + 8 <= f->len && f->l4 + get16(f->b + f->l4 + 4) <= f->len)
		frame_set_udp_csum(f);
}

/* Ethernet [802.1Q tci] / IPv4 (with opt_words NOP option words) or IPv6 /
 * UDP when proto is 17 / @p pl. tci < 0: untagged. Checksums correct. */
static void
frame_build_x(struct frame *f, int tci, int ip6, uint8_t proto, unsigned int opt_words,
	      const uint8_t *pl, unsigned int plen)
{
	uint8_t *d = f->b;
	unsigned int o = 12, iph, l4len = (proto == P_UDP ? 8 : 0) + plen;

	memset(f, 0, sizeof(*f));
	memcpy(d, macs, 12);
	if (tci >= 0) {
		put16(d + 12, ETH_VLAN);
		put16(d + 14, (unsigned int)tci);
		f->vlan = (unsigned int)tci & 0x0fff;
		o = 16;
	}
	put16(d + o, ip6 ? ETH_IPV6 : ETH_IPV4);
	o += 2;
	f->l3 = o;
	f->ip6 = ip6;
	if (ip6) {
		iph = 40;
		d[o] = 0x60; /* version 6, traffic class 0xb8 (EF), flow label 0x12345 */
		d[o + 1] = 0x0b | 0x80;
		d[o + 2] = 0x23;
		d[o + 3] = 0x45;
		put16(d + o + 4, l4len);
		d[o + 6] = proto;
		d[o + 7] = 64;
		memcpy(d + o + 8, addr6, 32);
	} else {
		iph = 20 + 4 * opt_words;
		d[o] = (uint8_t)(0x40 | iph / 4);
		d[o + 1] = 0xb8;
		put16(d + o + 2, iph + l4len);
		put16(d + o + 4, 0x1234);
		put16(d + o + 6, 0x4000); /* DF: not a fragment */
		d[o + 8] = 64;
		d[o + 9] = proto;
		memcpy(d + o + 12, addr4, 8);
		memset(d + o + 20, 0x01, 4 * opt_words); /* NOP options */
	}
	o += iph;
	f->l4 = o;
	if (proto == P_UDP) {
		put16(d + o, 40000);
		put16(d + o + 2, 50000);
		put16(d + o + 4, 8 + plen);
		o += 8;
	}
	f->msg = o;
	f->msg_len = plen;
	if (plen > 0) /* pl may be NULL */
		memcpy(d + o, pl, plen);
	f->len = o + plen;
	frame_fix(f);
}

static void
frame_build(struct frame *f, int tci, int ip6, uint8_t proto, const uint8_t *pl, unsigned int plen)
{
	frame_build_x(f, tci, ip6, proto, 0, pl, plen);
}

/* A UDP frame carrying an RTP packet with @p payload_len bytes of payload. */
static void
frame_rtp(struct frame *f, int tci, int ip6, unsigned int payload_len)
{
	uint8_t p[FRAME_MAX];
	unsigned int n = build_rtp(p, 0x11223344, 1000, 160000, payload_len, 0, -1, 0);

	frame_build(f, tci, ip6, P_UDP, p, n);
}

/* Ethernet trailer after the IP datagram: in the frame, not the packet. */
static void
frame_pad(struct frame *f, unsigned int n, uint8_t fill)
{
	memset(f->b + f->len, fill, n);
	f->len += n;
}

/* @p n bytes after the UDP datagram but inside the IP datagram. */
static void
frame_ip_extra(struct frame *f, unsigned int n)
{
	uint8_t *ip = f->b + f->l3;

	memset(f->b + f->len, 0x80, n);
	f->len += n;
	if (f->ip6) {
		put16(ip + 4, get16(ip + 4) + n);
	} else {
		put16(ip + 2, get16(ip + 2) + n);
		frame_set_ip4_csum(f);
	}
}

/* Make the UDP checksum wrong: flip the last payload byte, checksum kept. */
static void
frame_break_udp(struct frame *f)
{
	f->b[f->msg + f->msg_len - 1] ^= 0x01;
}

/* Make the IPv4 header checksum wrong: flip the TTL, checksum kept. */
static void
frame_break_ip4(struct frame *f)
{
	f->b[f->l3 + 8] ^= 0x01;
}

/* ---- parsing and expectations ---- */

static const char *
verdict_name(unsigned int v)
{
	return v == V_FWD ? "FWD" : v == V_PUNT ? "PUNT" : v == V_DROP ? "DROP" : "?";
}

static const char *
kind_name(unsigned int k)
{
	static const char *const n[] = {"RTP", "RTCP", "OTHER", "STUN", "ZRTP", "DTLS"};

	return k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

/* Guarded slots: a page holding a frame at its very end, read-only while
 * parse runs, followed by an inaccessible page. Reading past data_len or
 * writing the packet is a SIGSEGV, which on_segv reports with the case. */
struct guarded {
	uint8_t *page;
	struct rte_mbuf m;
};
static struct guarded G[BURST_MAX];
static size_t PG;

static void
on_segv(int sig)
{
	static const char msg[] = "\nSIGSEGV/SIGBUS: parse read past data_len or wrote the "
				  "packet; case: ";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, CTX, strnlen(CTX, sizeof(CTX)));
	(void)!write(2, "\n", 1);
	_exit(2);
}

static void
guard_init(void)
{
	struct sigaction sa;

	if (PG != 0)
		return;
	PG = (size_t)sysconf(_SC_PAGESIZE);
	if (PG < 4096 || PG > 32768) { /* buf_len and data_off are 16-bit */
		fprintf(stderr, "page size %zu not supported by this test\n", PG);
		exit(1);
	}
	for (unsigned int i = 0; i < BURST_MAX; i++) {
		void *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (a == MAP_FAILED || mprotect((uint8_t *)a + PG, PG, PROT_NONE) != 0) {
			perror("mmap/mprotect");
			exit(1);
		}
		G[i].page = a;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Put @p len bytes at the end of slot @p i's page, read-only from now on
 * (until the slot is loaded again), in a fresh mbuf. */
static struct rte_mbuf *
guard_load(unsigned int i, const uint8_t *data, unsigned int len, uint64_t ol)
{
	struct guarded *g = &G[i];

	if (mprotect(g->page, PG, PROT_READ | PROT_WRITE) != 0)
		abort();
	if (len > 0)
		memcpy(g->page + PG - len, data, len);
	if (mprotect(g->page, PG, PROT_READ) != 0)
		abort();
	memset(&g->m, 0, sizeof(g->m));
	g->m.buf_addr = g->page;
	g->m.buf_len = (uint16_t)PG;
	g->m.data_off = (uint16_t)(PG - len);
	g->m.data_len = (uint16_t)len;
	g->m.pkt_len = len;
	g->m.nb_segs = 1;
	g->m.ol_flags = ol;
	return &g->m;
}

/* Parse @p f alone in a poisoned burst, with the NIC's @p ol flags: in a
 * test mbuf (the result returned in B), and again in a guarded slot, which
 * must give the same answer. */
static const struct burst *
parse_frame(const struct frame *f, uint64_t ol, int verify)
{
	struct parse_opts o = {.verify_udp_csum = (uint8_t)verify};
	struct rte_mbuf before;
	static struct burst g;
	uint16_t gret;

	guard_init();
	memset(&g, 0x5a, sizeof(g));
	g.n = 1;
	g.port = 0;
	g.pkts[0] = guard_load(0, f->b, f->len, ol);
	g.verdict[0] = V_FWD;
	gret = parse_burst(&o, &g);

	memset(&B, 0x5a, sizeof(B));
	B.n = 1;
	B.port = 0;
	B.pkts[0] = test_mbuf_set(&TM[0], f->b, f->len);
	TM[0].m.ol_flags = ol;
	B.verdict[0] = V_FWD;
	before = TM[0].m;
	last_ret = parse_burst(&o, &B);
	CHECK_MEM(test_mbuf_data(&TM[0]), f->b, f->len);
	CHECK_MEM(&TM[0].m, &before, sizeof(before));
	/* Both bursts were poisoned alike: every field of slot 0 agrees. */
	CHECK(gret == last_ret && g.verdict[0] == B.verdict[0] && g.reason[0] == B.reason[0] &&
	      g.l3_off[0] == B.l3_off[0] && g.ip6[0] == B.ip6[0] && g.vlan[0] == B.vlan[0] &&
	      g.msg_off[0] == B.msg_off[0] && g.msg_len[0] == B.msg_len[0] &&
	      g.kind[0] == B.kind[0] && g.unprotect[0] == B.unprotect[0] &&
	      g.protect[0] == B.protect[0]);
	return &B;
}

/* Parse and compare the verdict, the reason (V_DROP) or every field parse
 * fills (V_FWD) with what the builder recorded in @p f. */
static void
expect_(int line, const struct frame *f, uint64_t ol, int verify, unsigned int verdict,
	unsigned int reason, unsigned int kind)
{
	const struct burst *b = parse_frame(f, ol, verify);
	int ok = b->verdict[0] == verdict && last_ret == (verdict == V_FWD);

	if (verdict == V_DROP)
		ok = ok && b->reason[0] == reason;
	if (verdict == V_FWD)
		ok = ok && b->kind[0] == kind && b->l3_off[0] == f->l3 && b->ip6[0] == f->ip6 &&
		     b->vlan[0] == f->vlan && b->msg_off[0] == f->msg &&
		     b->msg_len[0] == f->msg_len;
	test_checks++;
	if (ok)
		return;
	test_failed_checks++;
	fprintf(stderr,
		"%s:%d: [%s] frame of %u bytes:\n"
		"    want %s %s kind %s l3_off %u ip6 %d vlan %u msg_off %u msg_len %u\n"
		"    got  %s %s kind %s l3_off %u ip6 %u vlan %u msg_off %u msg_len %u (ret %u)\n",
		__FILE__, line, CTX, f->len, verdict_name(verdict),
		verdict == V_DROP ? drop_reason_name((enum drop_reason)reason) : "",
		kind_name(kind), f->l3, f->ip6, f->vlan, f->msg, f->msg_len,
		verdict_name(b->verdict[0]),
		b->verdict[0] == V_DROP ? drop_reason_name((enum drop_reason)b->reason[0]) : "",
		kind_name(b->kind[0]), b->l3_off[0], b->ip6[0], b->vlan[0], b->msg_off[0],
		b->msg_len[0], last_ret);
}

#define FWD(f, kind) expect_(__LINE__, (f), 0, 1, V_FWD, DROP_NONE, (kind))
#define FWD_OL(f, ol, verify, kind) expect_(__LINE__, (f), (ol), (verify), V_FWD, DROP_NONE, (kind))
#define PUNT(f) expect_(__LINE__, (f), 0, 1, V_PUNT, DROP_NONE, 0)
#define DROP(f, r) expect_(__LINE__, (f), 0, 1, V_DROP, (r), 0)
#define DROP_OL(f, ol, verify, r) expect_(__LINE__, (f), (ol), (verify), V_DROP, (r), 0)

static const int tcis[] = {-1, 100, 0xa000 | 100, 0x1000 | 4095, 0};

/* ---- accepted ---- */

TEST(accept_rtp_ipv4_ipv6_vlan)
{
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		for (size_t t = 0; t < sizeof(tcis) / sizeof(tcis[0]); t++) {
			unsigned int l3 = tcis[t] < 0 ? 14 : 18;

			SET_CTX("ip6 %d tci %#x", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 160);
			FWD(&f, MSG_RTP);
			/* The builder's offsets, independently of it. */
			CHECK_EQ(B.l3_off[0], l3);
			CHECK_EQ(B.msg_off[0], l3 + (ip6 ? 40 : 20) + 8);
			CHECK_EQ(B.msg_len[0], 172);
			CHECK_EQ(B.vlan[0], tcis[t] < 0 ? 0 : tcis[t] & 0x0fff);
			CHECK_EQ(B.ip6[0], ip6);
			CHECK_EQ(last_ret, 1);
		}
	}
	/* PCP and DEI bits are not part of the id. */
	frame_rtp(&f, 0xe000 | 0x1000 | 42, 0, 20);
	SET_CTX("PCP 7 DEI 1 VID 42");
	FWD(&f, MSG_RTP);
	CHECK_EQ(B.vlan[0], 42);
	/* Odd-length datagrams: the checksum's odd last byte. */
	for (unsigned int n = 0; n < 8; n++) {
		SET_CTX("odd payload %u", 151 + 2 * n);
		frame_rtp(&f, -1, 0, 151 + 2 * n);
		FWD(&f, MSG_RTP);
		frame_rtp(&f, 7, 1, 151 + 2 * n);
		FWD(&f, MSG_RTP);
	}
}

/* RFC 5761 §4: RTCP iff the second byte, marker masked, is 64..95 (packet
 * types 192..223); everything else in 128..191 is RTP. */
TEST(accept_rtcp_by_second_byte_rfc5761)
{
	static const uint8_t firsts[] = {0x80, 0x81, 0x8f, 0x90, 0x9f, 0xa0, 0xbf};
	uint8_t p[100];
	struct frame f;

	for (size_t i = 0; i < sizeof(firsts); i++) {
		for (unsigned int sb = 0; sb < 256; sb++) {
			unsigned int m = sb & 0x7f;

			/* Zeros: RTCP length 0 (4 bytes), RTP extension length 0,
			 * CSRCs up to 15: every header fits in 100 bytes. */
			memset(p, 0, sizeof(p));
			p[0] = firsts[i];
			p[1] = (uint8_t)sb;
			SET_CTX("first %#x second %u", firsts[i], sb);
			frame_build(&f, (int)(sb & 1) ? 5 : -1, (int)(sb >> 1 & 1), P_UDP, p,
				    sizeof(p));
			FWD(&f, m >= 64 && m <= 95 ? MSG_RTCP : MSG_RTP);
		}
	}

	/* The named cases, on real-looking packets. */
	static const struct {
		uint8_t second;
		unsigned int kind;
		const char *why;
	} named[] = {
		{200, MSG_RTCP, "SR"},
		{201, MSG_RTCP, "RR"},
		{202, MSG_RTCP, "SDES"},
		{192, MSG_RTCP, "PT 192, the first RTCP type"},
		{223, MSG_RTCP, "PT 223, the last"},
		{191, MSG_RTP, "191: marker + PT 63"},
		{224, MSG_RTP, "224: marker + PT 96"},
		{0x80, MSG_RTP, "marker + PT 0"},
		{0x80 | 96, MSG_RTP, "marker + PT 96"},
		{0x80 | 111, MSG_RTP, "marker + PT 111"},
		{0, MSG_RTP, "PT 0"},
		{96, MSG_RTP, "PT 96"},
		{63, MSG_RTP, "PT 63"},
		{64, MSG_RTCP, "PT 64 unmarked: reads as RTCP 192"},
		{95, MSG_RTCP, "PT 95 unmarked: reads as RTCP 223"},
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		unsigned int n = build_rtcp(p, 0xcafef00d, 20, 7);

		p[1] = named[i].second;
		for (int ip6 = 0; ip6 <= 1; ip6++) {
			SET_CTX("%s, ip6 %d", named[i].why, ip6);
			frame_build(&f, -1, ip6, P_UDP, p, n);
			FWD(&f, named[i].kind);
		}
	}
	/* An RR with one report block: 8 + 24 bytes, length 7. */
	{
		unsigned int n = build_rtcp(p, 0x01020304, 24, 3);

		p[0] = 0x81;
		p[1] = 201;
		CHECK_EQ(get16(p + 2), 7);
		SET_CTX("RR with one report block");
		frame_build(&f, 9, 1, P_UDP, p, n);
		FWD(&f, MSG_RTCP);
		CHECK_EQ(B.msg_len[0], 32);
	}
}

/* The kind of each first byte (RFC 7983 §7) and whether parse keeps it. */
static unsigned int
kind_of_first_byte(unsigned int b, int *media)
{
	*media = 1;
	if (b <= 3)
		return MSG_STUN;
	if (b >= 16 && b <= 19)
		return MSG_ZRTP;
	if (b >= 20 && b <= 63)
		return MSG_DTLS;
	if (b >= 128 && b <= 191)
		return MSG_RTP; /* with a second byte of 0 */
	*media = 0;
	return MSG_OTHER;
}

TEST(first_byte_rfc7983_all_256)
{
	uint8_t p[200];
	struct frame f;

	for (unsigned int fb = 0; fb < 256; fb++) {
		int media;
		unsigned int kind = kind_of_first_byte(fb, &media);

		memset(p, 0, sizeof(p));
		p[0] = (uint8_t)fb;
		for (int ip6 = 0; ip6 <= 1; ip6++) {
			SET_CTX("first byte %u ip6 %d", fb, ip6);
			frame_build(&f, ip6 ? 3 : -1, ip6, P_UDP, p, sizeof(p));
			if (media)
				FWD(&f, kind);
			else
				DROP(&f, DROP_NOT_MEDIA);
		}
	}
}

TEST(accept_stun_zrtp_dtls)
{
	/* A STUN binding request: type 0x0001, length 0, magic cookie, id. */
	static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
					 3,    4,    5,	   6,	 7,    8,    9,	   10,	 11, 12};
	/* A DTLS 1.2 ClientHello record head (content type 22). */
	static const uint8_t dtls[25] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12,
					 1,  0,	   0,	 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* ZRTP: 0x10, then a sequence number, the magic cookie "ZRTP". */
	static const uint8_t zrtp[16] = {0x10, 0, 0, 1, 'Z', 'R', 'T', 'P', 1, 2, 3, 4, 0, 0, 0, 0};
	uint8_t p[32];
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		SET_CTX("STUN binding request ip6 %d", ip6);
		frame_build(&f, -1, ip6, P_UDP, stun, sizeof(stun));
		FWD(&f, MSG_STUN);
		CHECK_EQ(B.msg_len[0], 20);
		SET_CTX("DTLS ClientHello ip6 %d", ip6);
		frame_build(&f, 300, ip6, P_UDP, dtls, sizeof(dtls));
		FWD(&f, MSG_DTLS);
		SET_CTX("ZRTP ip6 %d", ip6);
		frame_build(&f, -1, ip6, P_UDP, zrtp, sizeof(zrtp));
		FWD(&f, MSG_ZRTP);
	}
	/* Every first byte of each range; no minimum length is imposed on
	 * them (the control thread reads them), so one byte is enough. */
	for (unsigned int fb = 0; fb <= 63; fb++) {
		int media;
		unsigned int kind = kind_of_first_byte(fb, &media);

		if (!media)
			continue;
		for (unsigned int len = 1; len <= 32; len += 31) {
			memset(p, 0x5c, sizeof(p));
			p[0] = (uint8_t)fb;
			SET_CTX("first byte %u, %u bytes", fb, len);
			frame_build(&f, -1, 0, P_UDP, p, len);
			FWD(&f, kind);
		}
	}
}

TEST(accept_rtp_csrc_and_extension)
{
	uint8_t p[FRAME_MAX];
	struct frame f;
	unsigned int n;

	n = build_rtp(p, 1, 2, 3, 40, 2, 3, 0);
	CHECK_EQ(n, 12 + 8 + 4 + 12 + 40);
	for (int ip6 = 0; ip6 <= 1; ip6++) {
		SET_CTX("2 CSRCs, 3-word extension, ip6 %d", ip6);
		frame_build(&f, 77, ip6, P_UDP, p, n);
		FWD(&f, MSG_RTP);
		CHECK_EQ(B.msg_len[0], 76);
	}
	/* Exact fits: the header is the whole datagram. */
	for (unsigned int cc = 0; cc <= 15; cc++) {
		SET_CTX("%u CSRCs, no payload", cc);
		n = build_rtp(p, 1, 2, 3, 0, cc, -1, 0);
		frame_build(&f, -1, 0, P_UDP, p, n);
		FWD(&f, MSG_RTP);
		for (int w = 0; w <= 3; w++) {
			SET_CTX("%u CSRCs, %d-word extension, no payload", cc, w);
			n = build_rtp(p, 1, 2, 3, 0, cc, w, 0);
			frame_build(&f, -1, 1, P_UDP, p, n);
			FWD(&f, MSG_RTP);
		}
	}
	/* With RTP padding (P bit): parse does not look at it. */
	SET_CTX("P bit, 4 bytes of padding");
	n = build_rtp(p, 1, 2, 3, 20, 1, 1, 4);
	frame_build(&f, -1, 0, P_UDP, p, n);
	FWD(&f, MSG_RTP);
}

TEST(accept_ipv4_udp_csum_zero)
{
	struct frame f;

	for (size_t t = 0; t < sizeof(tcis) / sizeof(tcis[0]); t++) {
		SET_CTX("tci %#x", tcis[t]);
		frame_rtp(&f, tcis[t], 0, 33);
		put16(f.b + f.l4 + 6, 0);
		FWD(&f, MSG_RTP);
		/* Zero means "not computed", whatever the data. */
		frame_break_udp(&f);
		FWD(&f, MSG_RTP);
	}
}

/* A datagram whose computed checksum is 0 carries 0xffff (RFC 768); it
 * must verify, as must one whose sum needs the end-around carry. */
TEST(accept_udp_csum_ffff)
{
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		uint8_t *tweak;
		uint16_t s;

		frame_rtp(&f, -1, ip6, 40);
		tweak = f.b + f.msg + 12; /* two payload bytes */
		put16(tweak, 0);
		put16(f.b + f.l4 + 6, 0);
		s = udp_verify_sum(f.b + f.l3, ip6, f.b + f.l4, 8 + f.msg_len);
		put16(tweak, (uint16_t)~s);
		frame_set_udp_csum(&f);
		SET_CTX("computed checksum 0, sent as 0xffff, ip6 %d", ip6);
		CHECK_EQ(get16(f.b + f.l4 + 6), 0xffff);
		CHECK_EQ(udp_cksum_sum(f.b + f.l3, ip6, f.b + f.l4, (uint16_t)(8 + f.msg_len)),
			 0xffff);
		FWD(&f, MSG_RTP);
	}
}

/* Ethernet padding after the IP datagram, and bytes after the UDP datagram
 * inside the IP one: neither is part of the message, its checks or its
 * checksum. */
TEST(accept_ethernet_padding)
{
	uint8_t p[64];
	struct frame f;
	unsigned int n;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		for (size_t t = 0; t < 2; t++) {
			SET_CTX("12-byte RTP padded to 60, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 0);
			frame_pad(&f, f.len < 60 ? 60 - f.len : 0, 0);
			FWD(&f, MSG_RTP);
			CHECK_EQ(B.msg_len[0], 12);

			SET_CTX("RTP + 100 bytes of RTP-looking padding, ip6 %d tci %d", ip6,
				tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 160);
			frame_pad(&f, 100, 0x80);
			FWD(&f, MSG_RTP);
			CHECK_EQ(B.msg_len[0], 172);

			/* Odd UDP length, non-zero padding: the checksum's odd
			 * byte is padded with zero, not with the next byte. */
			SET_CTX("odd datagram + 0xff padding, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 7);
			frame_pad(&f, 9, 0xff);
			FWD(&f, MSG_RTP);
			CHECK_EQ(B.msg_len[0], 19);

			SET_CTX("UDP shorter than the IP payload, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 21);
			frame_ip_extra(&f, 12);
			frame_pad(&f, 5, 0xee);
			FWD(&f, MSG_RTP);
			CHECK_EQ(B.msg_len[0], 33);

			/* The header checks measure against the UDP length: what
			 * would fit the frame does not fit the datagram. */
			SET_CTX("11-byte RTP + padding, ip6 %d tci %d", ip6, tcis[t]);
			memset(p, 0, sizeof(p));
			p[0] = 0x80;
			frame_build(&f, tcis[t], ip6, P_UDP, p, 11);
			frame_pad(&f, 40, 0);
			DROP(&f, DROP_SRTP_TOO_SHORT);

			SET_CTX("2 CSRCs past the datagram, in the padding, ip6 %d", ip6);
			n = build_rtp(p, 1, 2, 3, 0, 2, -1, 0);
			frame_build(&f, tcis[t], ip6, P_UDP, p, 12);
			memcpy(f.b + f.len, p + 12, n - 12);
			f.len += n - 12;
			DROP(&f, DROP_RTP_HEADER_LEN);

			SET_CTX("RTCP length past the datagram, in the padding, ip6 %d", ip6);
			n = build_rtcp(p, 5, 8, 1); /* 16 bytes, length 3 */
			CHECK_EQ(n, 16);
			frame_build(&f, tcis[t], ip6, P_UDP, p, 12);
			memcpy(f.b + f.len, p + 12, 4); /* its last word, as padding */
			f.len += 4;
			DROP(&f, DROP_RTCP_LEN);
		}
	}
}

TEST(accept_nic_checksum_flags)
{
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		/* Both checksums wrong, the NIC says both good: believed. */
		SET_CTX("v4 wrong IP+UDP csum, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 0, 50);
		frame_break_ip4(&f);
		frame_break_udp(&f);
		FWD_OL(&f, OL_IP_GOOD | OL_L4_GOOD, 1, MSG_RTP);
		/* Anything short of "good" means parse checks itself. */
		DROP_OL(&f, 0, 1, DROP_IPV4_CSUM);
		DROP_OL(&f, OL_IP_BAD | OL_L4_BAD, 1, DROP_IPV4_CSUM);
		DROP_OL(&f, OL_IP_NONE | OL_L4_GOOD, 1, DROP_IPV4_CSUM);
		DROP_OL(&f, OL_L4_GOOD, 1, DROP_IPV4_CSUM);
		DROP_OL(&f, OL_IP_GOOD, 1, DROP_UDP_CSUM);
		DROP_OL(&f, OL_IP_GOOD | OL_L4_BAD, 1, DROP_UDP_CSUM);
		DROP_OL(&f, OL_IP_GOOD | OL_L4_NONE, 1, DROP_UDP_CSUM);

		SET_CTX("v4 wrong UDP csum only, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 0, 50);
		frame_break_udp(&f);
		FWD_OL(&f, OL_L4_GOOD, 1, MSG_RTP);
		DROP_OL(&f, OL_L4_BAD, 1, DROP_UDP_CSUM);
		DROP_OL(&f, OL_L4_NONE, 1, DROP_UDP_CSUM);
		DROP_OL(&f, OL_IP_GOOD, 1, DROP_UDP_CSUM);
		/* Good flags on a good frame change nothing. */
		frame_rtp(&f, tcis[t], 0, 50);
		FWD_OL(&f, OL_IP_GOOD | OL_L4_GOOD, 1, MSG_RTP);
		FWD_OL(&f, OL_IP_BAD | OL_L4_BAD, 1, MSG_RTP);

		SET_CTX("v6 wrong UDP csum, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 1, 50);
		frame_break_udp(&f);
		FWD_OL(&f, OL_L4_GOOD, 1, MSG_RTP);
		FWD_OL(&f, OL_IP_GOOD | OL_L4_GOOD, 1, MSG_RTP);
		DROP_OL(&f, OL_L4_BAD, 1, DROP_UDP_CSUM);
		DROP_OL(&f, 0, 1, DROP_UDP_CSUM);

		/* A zero checksum on IPv6 is invalid whatever the NIC says. */
		SET_CTX("v6 zero UDP csum, NIC says good, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 1, 50);
		put16(f.b + f.l4 + 6, 0);
		DROP_OL(&f, OL_L4_GOOD, 1, DROP_UDP_CSUM);
	}
}

TEST(accept_verify_udp_csum_off)
{
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		SET_CTX("wrong UDP csum, verify off, ip6 %d", ip6);
		frame_rtp(&f, -1, ip6, 50);
		frame_break_udp(&f);
		FWD_OL(&f, 0, 0, MSG_RTP);
		DROP_OL(&f, 0, 1, DROP_UDP_CSUM);
	}
	/* Still checked with verification off: IPv4 header checksum, and a
	 * zero UDP checksum on IPv6. */
	SET_CTX("wrong IPv4 csum, verify off");
	frame_rtp(&f, -1, 0, 50);
	frame_break_ip4(&f);
	DROP_OL(&f, 0, 0, DROP_IPV4_CSUM);
	SET_CTX("v6 zero UDP csum, verify off");
	frame_rtp(&f, -1, 1, 50);
	put16(f.b + f.l4 + 6, 0);
	DROP_OL(&f, 0, 0, DROP_UDP_CSUM);
}

/* ---- punted ---- */

TEST(punt_arp_icmp_icmpv6)
{
	/* ARP request, Ethernet/IPv4: who has 192.0.2.2, tell 192.0.2.1. */
	static const uint8_t arp[28] = {0,   1, 8, 0, 6, 4, 0, 1, 2, 0, 0,   0, 0, 2,
					192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2};
	static const uint8_t echo[16] = {8, 0, 0xf7, 0xfe, 0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t echo6[16] = {128, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		unsigned int o = tcis[t] < 0 ? 12 : 16;

		SET_CTX("ARP, tci %d", tcis[t]);
		frame_build(&f, tcis[t], 0, P_UDP, arp, 0); /* only for the L2 header */
		put16(f.b + o, ETH_ARP);
		memcpy(f.b + o + 2, arp, sizeof(arp));
		f.len = o + 2 + sizeof(arp);
		PUNT(&f);
		frame_pad(&f, 60 - f.len, 0); /* padded to the minimum */
		PUNT(&f);

		SET_CTX("ICMP echo, tci %d", tcis[t]);
		frame_build(&f, tcis[t], 0, P_ICMP, echo, sizeof(echo));
		PUNT(&f);
		SET_CTX("ICMPv6 echo, tci %d", tcis[t]);
		frame_build(&f, tcis[t], 1, P_ICMP6, echo6, sizeof(echo6));
		PUNT(&f);
		{
			/* Neighbour solicitation (type 135) is ICMPv6 too. */
			uint8_t ns[24] = {135};

			SET_CTX("ICMPv6 NS, tci %d", tcis[t]);
			frame_build(&f, tcis[t], 1, P_ICMP6, ns, sizeof(ns));
			PUNT(&f);
		}
	}
}

TEST(punt_ipv6_extension_headers)
{
	/* Hop-by-hop, routing, fragment, destination options, and the other
	 * IANA IPv6 extension headers parse.c lists: ESP, AH, mobility, HIP,
	 * shim6. */
	static const uint8_t nh[] = {0, 43, 44, 60, 50, 51, 135, 139, 140};
	uint8_t p[48];
	struct frame f;

	memset(p, 0, sizeof(p));
	p[0] = P_UDP; /* the extension header's own next header */
	for (size_t i = 0; i < sizeof(nh); i++) {
		for (size_t t = 0; t < 2; t++) {
			SET_CTX("IPv6 next header %u, tci %d", nh[i], tcis[t]);
			frame_build(&f, tcis[t], 1, nh[i], p, sizeof(p));
			PUNT(&f);
		}
	}
}

/* ---- dropped ---- */

TEST(drop_eth_short)
{
	struct frame f;

	for (unsigned int n = 0; n <= 13; n++) {
		SET_CTX("untagged frame cut to %u", n);
		frame_rtp(&f, -1, 0, 20);
		f.len = n;
		DROP(&f, DROP_ETH_SHORT);
	}
	for (unsigned int n = 14; n <= 17; n++) {
		SET_CTX("VLAN tag cut: frame of %u", n);
		frame_rtp(&f, 100, 0, 20);
		f.len = n;
		DROP(&f, DROP_ETH_SHORT);
	}
	/* The next boundary: a whole L2 header and no IP header. */
	SET_CTX("tagged, 18 bytes");
	frame_rtp(&f, 100, 0, 20);
	f.len = 18;
	DROP(&f, DROP_IPV4_HDR_LEN);
	SET_CTX("untagged v6, 14 bytes");
	frame_rtp(&f, -1, 1, 20);
	f.len = 14;
	DROP(&f, DROP_IPV6_LEN);
}

TEST(drop_ethertype)
{
	static const unsigned int types[] = {0x1234, 0x0000, 0x0040, 0x05dc, 0xffff, 0x9100,
					     0x8847, 0x88cc, 0x88a8, 0x86dc, 0x0801};
	struct frame f;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		SET_CTX("ethertype %#x", types[i]);
		frame_rtp(&f, -1, 0, 20);
		put16(f.b + 12, types[i]);
		DROP(&f, DROP_ETHERTYPE);
		SET_CTX("ethertype %#x inside 802.1Q", types[i]);
		frame_rtp(&f, 10, 0, 20);
		put16(f.b + 16, types[i]);
		DROP(&f, DROP_ETHERTYPE);
	}
	/* 802.1ad QinQ: outer 0x88a8 S-tag, inner 0x8100 C-tag, IPv4. */
	for (int outer = 0; outer < 2; outer++) {
		SET_CTX("stacked tags, outer %#x", outer ? ETH_VLAN : ETH_QINQ);
		frame_rtp(&f, 10, 0, 20);
		memmove(f.b + 16, f.b + 12, f.len - 12);
		f.len += 4;
		put16(f.b + 12, outer ? ETH_VLAN : ETH_QINQ);
		put16(f.b + 14, 20);
		DROP(&f, DROP_ETHERTYPE);
	}
}

TEST(drop_ip_version)
{
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		unsigned int et = tcis[t] < 0 ? 12 : 16;

		SET_CTX("ethertype IPv4, an IPv6 packet, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 1, 20);
		put16(f.b + et, ETH_IPV4);
		DROP(&f, DROP_IP_VERSION);

		SET_CTX("ethertype IPv6, an IPv4 packet, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 0, 40); /* long enough for 40 bytes of IPv6 */
		put16(f.b + et, ETH_IPV6);
		DROP(&f, DROP_IP_VERSION);

		for (unsigned int v = 0; v < 16; v++) {
			if (v == 4)
				continue;
			SET_CTX("IPv4 header with version %u (checksum valid), tci %d", v, tcis[t]);
			frame_rtp(&f, tcis[t], 0, 20);
			f.b[f.l3] = (uint8_t)(v << 4 | 5);
			frame_set_ip4_csum(&f);
			DROP(&f, DROP_IP_VERSION);
		}
		for (unsigned int v = 0; v < 16; v++) {
			if (v == 6)
				continue;
			SET_CTX("IPv6 header with version %u, tci %d", v, tcis[t]);
			frame_rtp(&f, tcis[t], 1, 20);
			f.b[f.l3] = (uint8_t)(v << 4 | (f.b[f.l3] & 0x0f));
			DROP(&f, DROP_IP_VERSION);
		}
	}
}

TEST(drop_ipv4_hdr_len)
{
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		for (unsigned int ihl = 0; ihl < 5; ihl++) {
			SET_CTX("IHL %u, tci %d", ihl, tcis[t]);
			frame_rtp(&f, tcis[t], 0, 20);
			f.b[f.l3] = (uint8_t)(0x40 | ihl);
			frame_set_ip4_csum(&f);
			DROP(&f, DROP_IPV4_HDR_LEN);
		}
		SET_CTX("total length one past the frame, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 0, 20);
		put16(f.b + f.l3 + 2, f.len - f.l3 + 1);
		frame_set_ip4_csum(&f);
		DROP(&f, DROP_IPV4_HDR_LEN);
		SET_CTX("total length 0xffff, tci %d", tcis[t]);
		put16(f.b + f.l3 + 2, 0xffff);
		frame_set_ip4_csum(&f);
		DROP(&f, DROP_IPV4_HDR_LEN);
		/* ...and exactly the frame is fine. */
		SET_CTX("total length = frame, tci %d", tcis[t]);
		put16(f.b + f.l3 + 2, f.len - f.l3);
		frame_set_ip4_csum(&f);
		FWD(&f, MSG_RTP);

		static const unsigned int short_tot[] = {0, 1, 19};
		for (size_t i = 0; i < 3; i++) {
			SET_CTX("total length %u < IHL 20, tci %d", short_tot[i], tcis[t]);
			frame_rtp(&f, tcis[t], 0, 20);
			put16(f.b + f.l3 + 2, short_tot[i]);
			frame_set_ip4_csum(&f);
			DROP(&f, DROP_IPV4_HDR_LEN);
		}
		SET_CTX("IHL 6, total length 23, tci %d", tcis[t]);
		frame_build_x(&f, tcis[t], 0, P_UDP, 1, (const uint8_t *)"\x80\0\0\0", 4);
		put16(f.b + f.l3 + 2, 23);
		frame_set_ip4_csum(&f);
		DROP(&f, DROP_IPV4_HDR_LEN);

		for (unsigned int n = 0; n < 20; n++) {
			SET_CTX("%u bytes of IPv4 header, tci %d", n, tcis[t]);
			frame_rtp(&f, tcis[t], 0, 20);
			f.len = f.l3 + n;
			DROP(&f, DROP_IPV4_HDR_LEN);
		}
	}
}

TEST(drop_ipv4_options)
{
	uint8_t p[64];
	struct frame f;
	unsigned int n = build_rtp(p, 1, 2, 3, 20, 0, -1, 0);

	for (size_t t = 0; t < 2; t++) {
		for (unsigned int w = 1; w <= 10; w++) {
			SET_CTX("IHL %u (valid checksum), tci %d", 5 + w, tcis[t]);
			frame_build_x(&f, tcis[t], 0, P_UDP, w, p, n);
			CHECK_EQ(ip4_verify_sum(f.b + f.l3, 20 + 4 * w), 0xffff);
			DROP(&f, DROP_IPV4_OPTIONS);
		}
	}
}

TEST(drop_ipv4_fragment)
{
	static const unsigned int frag[] = {0x2000, 0x0001, 0x1fff, 0x2100, 0x6000, 0x4001, 0x3fff};
	static const unsigned int whole[] = {0x4000, 0x0000};
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
			SET_CTX("flags/offset %#x, tci %d", frag[i], tcis[t]);
			frame_rtp(&f, tcis[t], 0, 20);
			put16(f.b + f.l3 + 6, frag[i]);
			frame_set_ip4_csum(&f);
			DROP(&f, DROP_IPV4_FRAGMENT);
		}
		for (size_t i = 0; i < 2; i++) {
			SET_CTX("flags/offset %#x (not a fragment), tci %d", whole[i], tcis[t]);
			frame_rtp(&f, tcis[t], 0, 20);
			put16(f.b + f.l3 + 6, whole[i]);
			frame_set_ip4_csum(&f);
			FWD(&f, MSG_RTP);
		}
	}
}

TEST(drop_ipv4_csum)
{
	/* Bytes whose change no earlier check notices: TOS, id, TTL, protocol,
	 * the checksum itself, the addresses. */
	static const unsigned int at[] = {1, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			for (unsigned int bit = 0; bit < 8; bit += 7) {
				SET_CTX("header byte %u bit %u flipped, tci %d", at[i], bit,
					tcis[t]);
				frame_rtp(&f, tcis[t], 0, 20);
				f.b[f.l3 + at[i]] ^= (uint8_t)(1u << bit);
				DROP(&f, DROP_IPV4_CSUM);
			}
		}
		/* TTL decremented with the RFC 1624 incremental update: fine. */
		SET_CTX("TTL - 1 with incremental checksum update, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 0, 20);
		f.b[f.l3 + 8]--;
		put16(f.b + f.l3 + 10, ocsum_fold(get16(f.b + f.l3 + 10) + 0x0100u));
		FWD(&f, MSG_RTP);
	}
}

TEST(drop_ipv6_len)
{
	struct frame f;

	for (size_t t = 0; t < 2; t++) {
		SET_CTX("payload length one past the frame, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 1, 20);
		put16(f.b + f.l3 + 4, f.len - f.l3 - 40 + 1);
		DROP(&f, DROP_IPV6_LEN);
		SET_CTX("payload length 0xffff, tci %d", tcis[t]);
		put16(f.b + f.l3 + 4, 0xffff);
		DROP(&f, DROP_IPV6_LEN);
		for (unsigned int n = 0; n < 40; n++) {
			SET_CTX("%u bytes of IPv6 header, tci %d", n, tcis[t]);
			frame_rtp(&f, tcis[t], 1, 20);
			f.len = f.l3 + n;
			DROP(&f, DROP_IPV6_LEN);
		}
		SET_CTX("frame cut one byte short of the payload, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 1, 20);
		f.len--;
		DROP(&f, DROP_IPV6_LEN);
	}
}

TEST(drop_ip_proto)
{
	static const uint8_t v4[] = {P_TCP, 0, 2, 4, 41, 47, 50, 58, 132, 136, 255};
	static const uint8_t v6[] = {P_TCP, 1, 4, 41, 47, 59, 132, 136, 255};
	uint8_t tcp[20] = {0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff};
	struct frame f;

	for (size_t i = 0; i < sizeof(v4); i++) {
		SET_CTX("IPv4 protocol %u", v4[i]);
		frame_build(&f, -1, 0, v4[i], tcp, sizeof(tcp));
		DROP(&f, DROP_IP_PROTO);
	}
	for (size_t i = 0; i < sizeof(v6); i++) {
		SET_CTX("IPv6 next header %u", v6[i]);
		frame_build(&f, 33, 1, v6[i], tcp, sizeof(tcp));
		DROP(&f, DROP_IP_PROTO);
	}
}

TEST(drop_udp_len)
{
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		for (size_t t = 0; t < 2; t++) {
			for (unsigned int k = 0; k < 8; k++) {
				SET_CTX("IP payload %u bytes, ip6 %d tci %d", k, ip6, tcis[t]);
				frame_rtp(&f, tcis[t], ip6, 20);
				put16(f.b + f.l3 + (ip6 ? 4 : 2), k + (ip6 ? 0 : 20));
				frame_fix(&f);
				DROP(&f, DROP_UDP_LEN);
				f.len = f.l4 + k; /* and with the frame cut there too */
				DROP(&f, DROP_UDP_LEN);

				SET_CTX("UDP length %u, ip6 %d tci %d", k, ip6, tcis[t]);
				frame_rtp(&f, tcis[t], ip6, 20);
				put16(f.b + f.l4 + 4, k);
				DROP(&f, DROP_UDP_LEN);
			}
			SET_CTX("UDP length one past the IP payload, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 20);
			frame_pad(&f, 8, 0); /* the frame has the byte; IP does not */
			put16(f.b + f.l4 + 4, 8 + 20 + 12 + 1);
			frame_set_udp_csum(&f);
			DROP(&f, DROP_UDP_LEN);
			SET_CTX("UDP length 0xffff, ip6 %d tci %d", ip6, tcis[t]);
			put16(f.b + f.l4 + 4, 0xffff);
			DROP(&f, DROP_UDP_LEN);
		}
	}
}

TEST(drop_udp_empty)
{
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		for (size_t t = 0; t < 2; t++) {
			SET_CTX("UDP length 8, ip6 %d tci %d", ip6, tcis[t]);
			frame_build(&f, tcis[t], ip6, P_UDP, NULL, 0);
			DROP(&f, DROP_UDP_EMPTY);
			frame_pad(&f, 30, 0x80);
			DROP(&f, DROP_UDP_EMPTY);
			SET_CTX("UDP length 8 in a longer IP payload, ip6 %d tci %d", ip6, tcis[t]);
			frame_build(&f, tcis[t], ip6, P_UDP, NULL, 0);
			frame_ip_extra(&f, 20);
			DROP(&f, DROP_UDP_EMPTY);
		}
	}
}

TEST(drop_udp_csum)
{
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		for (size_t t = 0; t < 2; t++) {
			SET_CTX("payload byte flipped, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 31);
			frame_break_udp(&f);
			DROP(&f, DROP_UDP_CSUM);

			SET_CTX("checksum off by one, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 31);
			put16(f.b + f.l4 + 6, get16(f.b + f.l4 + 6) % 0xffff + 1);
			DROP(&f, DROP_UDP_CSUM);

			/* The pseudo header is covered: change an address (and
			 * the IPv4 header checksum, so that IP is fine). */
			SET_CTX("destination address changed, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 31);
			f.b[f.l3 + (ip6 ? 39 : 19)] ^= 0x10;
			if (!ip6)
				frame_set_ip4_csum(&f);
			DROP(&f, DROP_UDP_CSUM);

			SET_CTX("source port changed, ip6 %d tci %d", ip6, tcis[t]);
			frame_rtp(&f, tcis[t], ip6, 31);
			f.b[f.l4 + 1] ^= 0x01;
			DROP(&f, DROP_UDP_CSUM);
		}
	}
	for (size_t t = 0; t < 2; t++) {
		SET_CTX("zero checksum on IPv6, tci %d", tcis[t]);
		frame_rtp(&f, tcis[t], 1, 31);
		put16(f.b + f.l4 + 6, 0);
		DROP(&f, DROP_UDP_CSUM);
	}
}

TEST(drop_not_media)
{
	static const uint8_t firsts[] = {4, 5, 15, 64, 65, 79, 80, 100, 127, 192, 200, 223, 255};
	uint8_t p[40];
	struct frame f;

	for (size_t i = 0; i < sizeof(firsts); i++) {
		for (int ip6 = 0; ip6 <= 1; ip6++) {
			/* TURN ChannelData: channel number, length, data. */
			memset(p, 0x33, sizeof(p));
			p[0] = firsts[i];
			p[1] = 0x01;
			put16(p + 2, 36);
			SET_CTX("first byte %u, ip6 %d", firsts[i], ip6);
			frame_build(&f, 5, ip6, P_UDP, p, sizeof(p));
			DROP(&f, DROP_NOT_MEDIA);
			frame_build(&f, -1, ip6, P_UDP, p, 1);
			DROP(&f, DROP_NOT_MEDIA);
		}
	}
}

TEST(drop_srtp_too_short)
{
	uint8_t p[16];
	struct frame f;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		for (unsigned int n = 1; n <= 11; n++) {
			static const uint8_t seconds[] = {0, 111, 0x80 | 96};

			for (size_t s = 0; s < sizeof(seconds); s++) {
				memset(p, 0, sizeof(p));
				p[0] = 0x80;
				p[1] = seconds[s];
				SET_CTX("RTP of %u bytes, PT byte %u, ip6 %d", n, seconds[s], ip6);
				frame_build(&f, -1, ip6, P_UDP, p, n);
				DROP(&f, DROP_SRTP_TOO_SHORT);
			}
		}
		for (unsigned int n = 2; n <= 7; n++) {
			build_rtcp(p, 0x1234, 0, 0); /* 8 bytes, length 1 */
			SET_CTX("RTCP of %u bytes, ip6 %d", n, ip6);
			frame_build(&f, -1, ip6, P_UDP, p, n);
			DROP(&f, DROP_SRTP_TOO_SHORT);
		}
		/* The boundaries. */
		SET_CTX("RTP of 12 bytes, ip6 %d", ip6);
		memset(p, 0, sizeof(p));
		p[0] = 0x80;
		frame_build(&f, -1, ip6, P_UDP, p, 12);
		FWD(&f, MSG_RTP);
		SET_CTX("RTCP of 8 bytes, ip6 %d", ip6);
		build_rtcp(p, 0x1234, 0, 0);
		frame_build(&f, -1, ip6, P_UDP, p, 8);
		FWD(&f, MSG_RTCP);
	}
}

/* DROP_RTP_VERSION is unreachable from parse: only first bytes 128..191
 * (version 2) are classified RTP/RTCP; the others are STUN/ZRTP/DTLS or
 * not media. Asserted over every first byte, both second-byte classes and
 * every payload length up to 80. */
TEST(rtp_version_drop_unreachable)
{
	uint8_t p[80];
	struct frame f;
	unsigned long n = 0;

	for (unsigned int fb = 0; fb < 256; fb++) {
		for (unsigned int sb = 0; sb < 256; sb += 200) {
			for (unsigned int len = 1; len <= sizeof(p); len++) {
				memset(p, 0, sizeof(p));
				p[0] = (uint8_t)fb;
				p[1] = (uint8_t)sb;
				frame_build(&f, -1, 0, P_UDP, p, len);
				parse_frame(&f, 0, 1);
				if (B.verdict[0] == V_DROP && B.reason[0] == DROP_RTP_VERSION) {
					SET_CTX("first %u second %u len %u", fb, sb, len);
					CHECK(B.reason[0] != DROP_RTP_VERSION);
				}
				n++;
			}
		}
	}
	CHECK_EQ(n, 256 * 2 * sizeof(p));
}

TEST(drop_rtp_header_len)
{
	uint8_t p[FRAME_MAX];
	struct frame f;
	unsigned int n;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		SET_CTX("15 CSRCs in 20 bytes, ip6 %d", ip6);
		memset(p, 0, 20);
		p[0] = 0x8f;
		frame_build(&f, -1, ip6, P_UDP, p, 20);
		DROP(&f, DROP_RTP_HEADER_LEN);

		for (unsigned int cc = 1; cc <= 15; cc++) {
			SET_CTX("%u CSRCs, one byte short, ip6 %d", cc, ip6);
			n = build_rtp(p, 1, 2, 3, 0, cc, -1, 0);
			frame_build(&f, -1, ip6, P_UDP, p, n - 1);
			DROP(&f, DROP_RTP_HEADER_LEN);
		}
		for (unsigned int cc = 0; cc <= 2; cc++) {
			SET_CTX("extension one word past the end, %u CSRCs, ip6 %d", cc, ip6);
			n = build_rtp(p, 1, 2, 3, 0, cc, 3, 0);
			p[12 + 4 * cc + 3] = 4;
			frame_build(&f, -1, ip6, P_UDP, p, n);
			DROP(&f, DROP_RTP_HEADER_LEN);
			SET_CTX("extension length 0xffff, %u CSRCs, ip6 %d", cc, ip6);
			put16(p + 12 + 4 * cc + 2, 0xffff);
			frame_build(&f, -1, ip6, P_UDP, p, n);
			DROP(&f, DROP_RTP_HEADER_LEN);
			SET_CTX("extension one byte short, %u CSRCs, ip6 %d", cc, ip6);
			n = build_rtp(p, 1, 2, 3, 0, cc, 3, 0);
			frame_build(&f, -1, ip6, P_UDP, p, n - 1);
			DROP(&f, DROP_RTP_HEADER_LEN);
			for (unsigned int cut = 0; cut < 4; cut++) {
				SET_CTX("extension header cut to %u bytes, %u CSRCs, ip6 %d", cut,
					cc, ip6);
				n = build_rtp(p, 1, 2, 3, 0, cc, 0, 0);
				frame_build(&f, -1, ip6, P_UDP, p, 12 + 4 * cc + cut);
				DROP(&f, DROP_RTP_HEADER_LEN);
			}
		}
	}
}

TEST(drop_rtcp_len)
{
	uint8_t p[128];
	struct frame f;
	unsigned int n;

	for (int ip6 = 0; ip6 <= 1; ip6++) {
		n = build_rtcp(p, 0xabcdef01, 20, 1); /* SR, 28 bytes, length 6 */
		SET_CTX("SR, exact length, ip6 %d", ip6);
		frame_build(&f, -1, ip6, P_UDP, p, n);
		FWD(&f, MSG_RTCP);
		SET_CTX("SR, length one word too many, ip6 %d", ip6);
		put16(p + 2, 7);
		frame_build(&f, -1, ip6, P_UDP, p, n);
		DROP(&f, DROP_RTCP_LEN);
		SET_CTX("SR, length 0xffff, ip6 %d", ip6);
		put16(p + 2, 0xffff);
		frame_build(&f, -1, ip6, P_UDP, p, n);
		DROP(&f, DROP_RTCP_LEN);
		SET_CTX("8-byte RTCP with length 2, ip6 %d", ip6);
		n = build_rtcp(p, 1, 0, 0);
		put16(p + 2, 2);
		frame_build(&f, -1, ip6, P_UDP, p, n);
		DROP(&f, DROP_RTCP_LEN);

		/* Only the first packet of a compound is measured; what follows
		 * may be the next packet or the SRTCP trailer. */
		SET_CTX("SR + SRTCP trailer, ip6 %d", ip6);
		n = build_rtcp(p, 0xabcdef01, 20, 1);
		memset(p + n, 0xa7, 14);
		frame_build(&f, -1, ip6, P_UDP, p, n + 14);
		FWD(&f, MSG_RTCP);
		SET_CTX("SR + RR compound, ip6 %d", ip6);
		n = build_rtcp(p, 0xabcdef01, 20, 1);
		build_rtcp(p + n, 0xabcdef01, 0, 0);
		p[n + 1] = 201;
		frame_build(&f, -1, ip6, P_UDP, p, n + 8);
		FWD(&f, MSG_RTCP);
	}
}

/* ---- a mixed burst ---- */

struct mcase {
	struct frame f;
	uint64_t ol;
	unsigned int verdict, reason, kind;
	const char *name;
};

#define MIXED_N 32
static struct mcase MC[MIXED_N];

static struct frame *
mc_add(unsigned int *n, const char *name, unsigned int verdict, unsigned int reason,
       unsigned int kind)
{
	struct mcase *c = &MC[(*n)++];

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->verdict = verdict;
	c->reason = reason;
	c->kind = kind;
	return &c->f;
}

static unsigned int
mixed_build(void)
{
	static const uint8_t stun[20] = {0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 9, 9};
	static const uint8_t dtls[13] = {22, 0xfe, 0xfd};
	static const uint8_t zrtp[16] = {0x10, 0, 0, 1, 'Z', 'R', 'T', 'P'};
	static const uint8_t turn[8] = {0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4};
	uint8_t p[128], z[48] = {0};
	struct frame *f;
	unsigned int n = 0, k;

	frame_rtp(mc_add(&n, "v4 RTP", V_FWD, 0, MSG_RTP), -1, 0, 160);
	frame_rtp(mc_add(&n, "v4 VLAN RTP", V_FWD, 0, MSG_RTP), 100, 0, 20);
	frame_rtp(mc_add(&n, "v6 RTP", V_FWD, 0, MSG_RTP), -1, 1, 33);
	k = build_rtcp(p, 7, 20, 1);
	frame_build(mc_add(&n, "v6 VLAN SR", V_FWD, 0, MSG_RTCP), 4000, 1, P_UDP, p, k);
	frame_build(mc_add(&n, "v4 STUN", V_FWD, 0, MSG_STUN), -1, 0, P_UDP, stun, 20);
	frame_build(mc_add(&n, "v4 DTLS", V_FWD, 0, MSG_DTLS), -1, 0, P_UDP, dtls, 13);
	frame_build(mc_add(&n, "v6 ZRTP", V_FWD, 0, MSG_ZRTP), -1, 1, P_UDP, zrtp, 16);
	f = mc_add(&n, "ARP", V_PUNT, 0, 0);
	frame_build(f, -1, 0, P_UDP, z, 28);
	put16(f->b + 12, ETH_ARP);
	frame_build(mc_add(&n, "ICMP", V_PUNT, 0, 0), 2, 0, P_ICMP, z, 16);
	frame_build(mc_add(&n, "ICMPv6", V_PUNT, 0, 0), -1, 1, P_ICMP6, z, 24);
	frame_build(mc_add(&n, "v6 hop-by-hop", V_PUNT, 0, 0), -1, 1, P_HOPOPT, z, 48);
	f = mc_add(&n, "10 bytes", V_DROP, DROP_ETH_SHORT, 0);
	frame_rtp(f, -1, 0, 20);
	f->len = 10;
	f = mc_add(&n, "QinQ", V_DROP, DROP_ETHERTYPE, 0);
	frame_rtp(f, 5, 0, 20);
	put16(f->b + 12, ETH_QINQ);
	f = mc_add(&n, "v6 under 0x0800", V_DROP, DROP_IP_VERSION, 0);
	frame_rtp(f, -1, 1, 20);
	put16(f->b + 12, ETH_IPV4);
	f = mc_add(&n, "IHL 4", V_DROP, DROP_IPV4_HDR_LEN, 0);
	frame_rtp(f, -1, 0, 20);
	f->b[f->l3] = 0x44;
	frame_set_ip4_csum(f);
	frame_build_x(mc_add(&n, "IHL 6", V_DROP, DROP_IPV4_OPTIONS, 0), -1, 0, P_UDP, 1, stun, 20);
	f = mc_add(&n, "MF", V_DROP, DROP_IPV4_FRAGMENT, 0);
	frame_rtp(f, -1, 0, 20);
	put16(f->b + f->l3 + 6, 0x2000);
	frame_set_ip4_csum(f);
	f = mc_add(&n, "IPv4 csum", V_DROP, DROP_IPV4_CSUM, 0);
	frame_rtp(f, -1, 0, 20);
	frame_break_ip4(f);
	f = mc_add(&n, "v6 payload length", V_DROP, DROP_IPV6_LEN, 0);
	frame_rtp(f, -1, 1, 20);
	f->len--;
	frame_build(mc_add(&n, "TCP", V_DROP, DROP_IP_PROTO, 0), -1, 0, P_TCP, z, 20);
	f = mc_add(&n, "UDP length 7", V_DROP, DROP_UDP_LEN, 0);
	frame_rtp(f, -1, 0, 20);
	put16(f->b + f->l4 + 4, 7);
	frame_build(mc_add(&n, "UDP empty", V_DROP, DROP_UDP_EMPTY, 0), 9, 1, P_UDP, NULL, 0);
	f = mc_add(&n, "v6 zero UDP csum", V_DROP, DROP_UDP_CSUM, 0);
	frame_rtp(f, -1, 1, 20);
	put16(f->b + f->l4 + 6, 0);
	frame_build(mc_add(&n, "TURN channel", V_DROP, DROP_NOT_MEDIA, 0), -1, 0, P_UDP, turn, 8);
	memset(p, 0, 11);
	p[0] = 0x80;
	frame_build(mc_add(&n, "RTP 11 bytes", V_DROP, DROP_SRTP_TOO_SHORT, 0), -1, 0, P_UDP, p,
		    11);
	memset(p, 0, 20);
	p[0] = 0x8f;
	frame_build(mc_add(&n, "15 CSRCs in 20", V_DROP, DROP_RTP_HEADER_LEN, 0), -1, 1, P_UDP, p,
		    20);
	k = build_rtcp(p, 7, 20, 1);
	put16(p + 2, 7);
	frame_build(mc_add(&n, "RTCP length", V_DROP, DROP_RTCP_LEN, 0), -1, 0, P_UDP, p, k);
	f = mc_add(&n, "NIC says good", V_FWD, 0, MSG_RTP);
	frame_rtp(f, -1, 0, 50);
	frame_break_ip4(f);
	frame_break_udp(f);
	MC[n - 1].ol = OL_IP_GOOD | OL_L4_GOOD;
	f = mc_add(&n, "padded", V_FWD, 0, MSG_RTP);
	frame_rtp(f, -1, 0, 0);
	frame_pad(f, 6, 0x80);
	f = mc_add(&n, "v4 zero UDP csum", V_FWD, 0, MSG_RTP);
	frame_rtp(f, 1, 0, 20);
	put16(f->b + f->l4 + 6, 0);
	k = build_rtp(p, 1, 2, 3, 40, 2, 3, 0);
	frame_build(mc_add(&n, "CSRC + extension", V_FWD, 0, MSG_RTP), -1, 0, P_UDP, p, k);
	f = mc_add(&n, "v6 wrong UDP csum", V_DROP, DROP_UDP_CSUM, 0);
	frame_rtp(f, -1, 1, 20);
	frame_break_udp(f);
	return n;
}

/* Load @p order's cases into TM/B, parse the first @p n, check each. */
static void
mixed_run(const unsigned int *order, unsigned int n, const char *what)
{
	struct parse_opts o = {.verify_udp_csum = 1};
	struct burst poison;
	struct rte_mbuf before[MIXED_N];
	unsigned int fwd = 0;
	uint16_t ret;

	memset(&B, 0x5a, sizeof(B));
	for (unsigned int i = 0; i < MIXED_N; i++) {
		const struct mcase *c = &MC[order[i]];

		B.pkts[i] = test_mbuf_set(&TM[i], c->f.b, c->f.len);
		TM[i].m.ol_flags = c->ol;
		before[i] = TM[i].m;
		B.verdict[i] = V_FWD;
	}
	B.n = (uint16_t)n;
	poison = B;
	ret = parse_burst(&o, &B);
	for (unsigned int i = 0; i < MIXED_N; i++) {
		const struct mcase *c = &MC[order[i]];

		SET_CTX("%s, n %u, slot %u: %s", what, n, i, c->name);
		CHECK_MEM(test_mbuf_data(&TM[i]), c->f.b, c->f.len);
		CHECK_MEM(&TM[i].m, &before[i], sizeof(before[i]));
		if (i >= n) {
			/* Past n: nothing written. */
			CHECK_EQ(B.verdict[i], poison.verdict[i]);
			CHECK_EQ(B.reason[i], poison.reason[i]);
			CHECK_EQ(B.msg_off[i], poison.msg_off[i]);
			CHECK_EQ(B.msg_len[i], poison.msg_len[i]);
			CHECK_EQ(B.l3_off[i], poison.l3_off[i]);
			CHECK_EQ(B.kind[i], poison.kind[i]);
			continue;
		}
		fwd += B.verdict[i] == V_FWD;
		test_checks++;
		if (B.verdict[i] != c->verdict ||
		    (c->verdict == V_DROP && B.reason[i] != c->reason) ||
		    (c->verdict == V_FWD &&
		     (B.kind[i] != c->kind || B.l3_off[i] != c->f.l3 || B.ip6[i] != c->f.ip6 ||
		      B.vlan[i] != c->f.vlan || B.msg_off[i] != c->f.msg ||
		      B.msg_len[i] != c->f.msg_len))) {
			test_failed_checks++;
			fprintf(stderr, "%s:%d: [%s] want %s %s kind %s, got %s %s kind %s\n",
				__FILE__, __LINE__, CTX, verdict_name(c->verdict),
				c->verdict == V_DROP ? drop_reason_name(c->reason) : "",
				kind_name(c->kind), verdict_name(B.verdict[i]),
				B.verdict[i] == V_DROP ? drop_reason_name(B.reason[i]) : "",
				kind_name(B.kind[i]));
		}
	}
	SET_CTX("%s, n %u", what, n);
	CHECK_EQ(ret, fwd);
}

static uint64_t rng;

static uint64_t
rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned int
rnd_below(unsigned int n)
{
	return (unsigned int)((rnd() >> 32) % n);
}

TEST(burst_mixed_32)
{
	unsigned int order[MIXED_N], n = mixed_build(), want_fwd = 0;
	uint16_t seen[DROP_MAX] = {0};

	CHECK_EQ(n, MIXED_N);
	/* Every reason parse can give is in the burst once at least. */
	for (unsigned int i = 0; i < MIXED_N; i++) {
		want_fwd += MC[i].verdict == V_FWD;
		if (MC[i].verdict == V_DROP)
			seen[MC[i].reason]++;
	}
	for (unsigned int r = DROP_ETH_SHORT; r <= DROP_SRTP_TOO_SHORT; r++)
		if (r != DROP_RTP_VERSION)
			CHECK(seen[r] > 0);
	CHECK_EQ(want_fwd, 11);

	for (unsigned int i = 0; i < MIXED_N; i++)
		order[i] = i;
	mixed_run(order, MIXED_N, "in order");
	/* Every prefix: slots past n untouched, the count of the prefix. */
	for (unsigned int k = 0; k <= MIXED_N; k++)
		mixed_run(order, k, "prefix");
	/* Each packet's verdict is its own, whatever its neighbours. */
	rng = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 200; round++) {
		for (unsigned int i = MIXED_N - 1; i > 0; i--) {
			unsigned int j = rnd_below(i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		mixed_run(order, MIXED_N, "shuffled");
	}
}

/* udp_cksum_sum (shared with rewrite) against the RFC 1071 sum written
 * here: random datagrams of every length parity, at even and odd
 * addresses, verify; any one flipped bit does not. */
TEST(udp_cksum_sum_rfc1071)
{
	static uint8_t buf[FRAME_MAX + 1];

	rng = 12345;
	for (int iter = 0; iter < 3000; iter++) {
		int ip6 = iter & 1;
		unsigned int shift = (unsigned int)(iter >> 1) & 1, l3len = ip6 ? 40 : 20;
		unsigned int ulen = 8 + rnd_below(300);
		uint8_t *l3 = buf + shift, *u = l3 + l3len;
		uint16_t c;

		for (unsigned int i = 0; i < l3len + ulen; i++)
			l3[i] = (uint8_t)rnd();
		put16(u + 4, ulen);
		put16(u + 6, 0);
		c = (uint16_t)~udp_verify_sum(l3, ip6, u, ulen);
		put16(u + 6, c ? c : 0xffff);
		SET_CTX("iter %d ip6 %d ulen %u", iter, ip6, ulen);
		REQUIRE(udp_cksum_sum(l3, ip6, u, (uint16_t)ulen) == 0xffff);
		/* A flipped bit in the addresses or the datagram. */
		unsigned int at = rnd_below(ip6 ? 32 + ulen : 8 + ulen), bit = rnd_below(8);
		uint8_t *p =
			at < (ip6 ? 32u : 8u) ? l3 + (ip6 ? 8 : 12) + at : u + at - (ip6 ? 32 : 8);

		*p ^= (uint8_t)(1u << bit);
		REQUIRE(udp_cksum_sum(l3, ip6, u, (uint16_t)ulen) != 0xffff);
		*p ^= (uint8_t)(1u << bit);
	}
}

/* ---- randomized ---- */

/* The reference: parse's rules read off the RFCs and parse.h, one check
 * after another in the order the named tests above establish. Fills the
 * fields for V_FWD. */
struct model {
	unsigned int verdict, reason;
	unsigned int l3, ip6, vlan, msg, msg_len, kind;
};

static int
model_punt_v6(unsigned int nh)
{
	return nh == P_ICMP6 || nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 50 ||
	       nh == 51 || nh == 135 || nh == 139 || nh == 140;
}

static unsigned int
model_parse(const uint8_t *d, unsigned int len, uint64_t ol, int verify, struct model *m)
{
	unsigned int off = 14, type, ip_pl, l4, ulen, ck, mlen;
	const uint8_t *p;

	memset(m, 0, sizeof(*m));
	m->verdict = V_DROP;
	if (len < 14)
		return m->reason = DROP_ETH_SHORT;
	type = get16(d + 12);
	if (type == ETH_VLAN) {
		if (len < 18)
			return m->reason = DROP_ETH_SHORT;
		m->vlan = get16(d + 14) & 0x0fff;
		type = get16(d + 16);
		off = 18;
	}
	m->l3 = off;
	if (type == ETH_ARP) {
		m->verdict = V_PUNT;
		return 0;
	}
	if (type == ETH_IPV4) {
		const uint8_t *ip = d + off;
		unsigned int ihl, tot;

		if (len - off < 20)
			return m->reason = DROP_IPV4_HDR_LEN;
		if (ip[0] >> 4 != 4)
			return m->reason = DROP_IP_VERSION;
		ihl = (ip[0] & 15) * 4u;
		tot = get16(ip + 2);
		if (ihl < 20 || tot < ihl || tot > len - off)
			return m->reason = DROP_IPV4_HDR_LEN;
		if (ihl > 20)
			return m->reason = DROP_IPV4_OPTIONS;
		if (get16(ip + 6) & 0x3fff)
			return m->reason = DROP_IPV4_FRAGMENT;
		if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) != OL_IP_GOOD &&
		    ip4_verify_sum(ip, 20) != 0xffff)
			return m->reason = DROP_IPV4_CSUM;
		if (ip[9] == P_ICMP) {
			m->verdict = V_PUNT;
			return 0;
		}
		if (ip[9] != P_UDP)
			return m->reason = DROP_IP_PROTO;
		ip_pl = tot - 20;
		l4 = off + 20;
	} else if (type == ETH_IPV6) {
		const uint8_t *ip = d + off;

		if (len - off < 40)
			return m->reason = DROP_IPV6_LEN;
		if (ip[0] >> 4 != 6)
			return m->reason = DROP_IP_VERSION;
		ip_pl = get16(ip + 4);
		if (ip_pl > len - off - 40)
			return m->reason = DROP_IPV6_LEN;
		if (model_punt_v6(ip[6])) {
			m->verdict = V_PUNT;
			return 0;
		}
		if (ip[6] != P_UDP)
			return m->reason = DROP_IP_PROTO;
		m->ip6 = 1;
		l4 = off + 40;
	} else {
		return m->reason = DROP_ETHERTYPE;
	}
	if (ip_pl < 8)
		return m->reason = DROP_UDP_LEN;
	ulen = get16(d + l4 + 4);
	if (ulen < 8 || ulen > ip_pl)
		return m->reason = DROP_UDP_LEN;
	if (ulen == 8)
		return m->reason = DROP_UDP_EMPTY;
	ck = get16(d + l4 + 6);
	if (ck == 0) {
		if (m->ip6)
			return m->reason = DROP_UDP_CSUM;
	} else if (verify && (ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) != OL_L4_GOOD &&
		   udp_verify_sum(d + off, (int)m->ip6, d + l4, ulen) != 0xffff) {
		return m->reason = DROP_UDP_CSUM;
	}
	m->msg = l4 + 8;
	m->msg_len = mlen = ulen - 8;
	p = d + m->msg;
	if (p[0] >= 128 && p[0] <= 191) {
		unsigned int pt = mlen >= 2 ? p[1] & 0x7fu : 0;

		if (pt >= 64 && pt <= 95) {
			m->kind = MSG_RTCP;
			if (mlen < 8)
				return m->reason = DROP_SRTP_TOO_SHORT;
			if (4 * (get16(p + 2) + 1) > mlen)
				return m->reason = DROP_RTCP_LEN;
		} else {
			unsigned int h = 12 + 4 * (p[0] & 15u);

			m->kind = MSG_RTP;
			if (mlen < 12)
				return m->reason = DROP_SRTP_TOO_SHORT;
			if (p[0] & 0x10) {
				if (h + 4 > mlen)
					return m->reason = DROP_RTP_HEADER_LEN;
				h += 4 + 4 * get16(p + h + 2);
			}
			if (h > mlen)
				return m->reason = DROP_RTP_HEADER_LEN;
		}
	} else {
		int media;

		m->kind = kind_of_first_byte(p[0], &media);
		if (!media)
			return m->reason = DROP_NOT_MEDIA;
	}
	m->verdict = V_FWD;
	return 0;
}

/* Random frames: half random bytes (a quarter of those with a real
 * Ethertype), half a valid Ethernet/IP/UDP prefix with media-looking
 * payloads, then cut, bit-flipped, or a length field replaced, with the
 * checksums recomputed after the damage half of the time. */
static unsigned int
random_frame(uint8_t *out)
{
	static const unsigned int types[] = {ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_ARP};
	static const uint8_t firsts[] = {0x80, 0x81, 0x90, 0x8f, 0xbf, 0, 1, 16, 22, 63, 64};
	struct frame f;
	uint8_t p[200];
	unsigned int len, hdr, plen;
	int tci, ip6;

	if (rnd() & 1) {
		len = rnd_below(201);
		for (unsigned int i = 0; i < len; i++)
			out[i] = (uint8_t)rnd();
		if (len >= 14 && rnd_below(4) == 0)
			put16(out + 12, types[rnd_below(4)]);
		if (len >= 18 && get16(out + 12) == ETH_VLAN && rnd_below(2))
			put16(out + 16, types[rnd_below(2)]);
		return len;
	}
	tci = rnd_below(3) == 0 ? (int)rnd_below(0x10000) : -1;
	ip6 = (int)(rnd() & 1);
	hdr = (tci < 0 ? 14 : 18) + (ip6 ? 40 : 20) + 8;
	plen = rnd_below(200 - hdr + 1);
	for (unsigned int i = 0; i < plen; i++)
		p[i] = (uint8_t)rnd();
	if (plen > 0) {
		switch (rnd_below(4)) {
		case 0: /* random */ break;
		case 1: /* RTP-ish: small CSRC count, small extension length */
			p[0] = (uint8_t)(0x80 | (rnd() & 0x10));
			p[0] |= (uint8_t)rnd_below(4);
			if (plen >= 2)
				p[1] = (uint8_t)rnd_below(256);
			if (plen > 30 && (p[0] & 0x10)) {
				unsigned int h = 12 + 4u * (p[0] & 15);

				put16(p + h + 2, rnd_below(8));
			}
			break;
		case 2: /* RTCP-ish: plausible length */
			p[0] = (uint8_t)(0x80 | rnd_below(32));
			if (plen >= 4) {
				p[1] = (uint8_t)(192 + rnd_below(32));
				put16(p + 2, (plen / 4) - 1 + rnd_below(3) - 1);
			}
			break;
		default: p[0] = firsts[rnd_below(sizeof(firsts))];
		}
	}
	frame_build(&f, tci, ip6, P_UDP, p, plen);
	if (rnd_below(8) == 0)
		put16(f.b + f.l4 + 6, 0);
	if (rnd_below(8) == 0) {
		unsigned int pad = rnd_below(200 - f.len + 1);

		frame_pad(&f, pad, (uint8_t)rnd());
	}
	/* Damage. */
	switch (rnd_below(8)) {
	case 0: f.len = rnd_below(f.len + 1); break;
	case 1:
		for (unsigned int k = 1 + rnd_below(3); k > 0; k--)
			if (f.len) {
				unsigned int at = rnd_below(f.len);

				f.b[at] ^= (uint8_t)(1u << rnd_below(8));
			}
		break;
	case 2: /* a length field */
		if (rnd() & 1)
			put16(f.b + f.l4 + 4, rnd_below(f.len + 16));
		else
			put16(f.b + f.l3 + (ip6 ? 4 : 2), rnd_below(f.len + 16));
		break;
	case 3: /* IPv4 IHL, flags or protocol; IPv6 next header */
		if (ip6)
			f.b[f.l3 + 6] = (uint8_t)rnd_below(64);
		else if (rnd() & 1)
			f.b[f.l3] = (uint8_t)(0x40 | rnd_below(16));
		else
			put16(f.b + f.l3 + 6, (unsigned int)rnd() & 0xffff);
		break;
	default: break;
	}
	if (rnd() & 1)
		frame_fix(&f);
	memcpy(out, f.b, f.len);
	return f.len;
}

#define RANDOM_FRAMES 200000

TEST(random_robustness_200k)
{
	static const uint64_t ols[] = {0,
				       OL_IP_GOOD,
				       OL_L4_GOOD,
				       OL_IP_GOOD | OL_L4_GOOD,
				       OL_IP_BAD | OL_L4_BAD,
				       OL_IP_NONE | OL_L4_NONE};
	unsigned long done = 0, fwd_total = 0, punt_total = 0, mismatches = 0;
	unsigned long seen[DROP_MAX] = {0};
	struct model want;

	guard_init();
	rng = 0x5eed0f9a75e5ull;
	while (done < RANDOM_FRAMES) {
		unsigned int n = 1 + rnd_below(32), fwd = 0;
		struct parse_opts o = {.verify_udp_csum = (uint8_t)(rnd_below(8) != 0)};
		uint16_t ret;

		memset(&B, 0x5a, sizeof(B));
		for (unsigned int i = 0; i < n; i++) {
			uint8_t tmp[FRAME_MAX];
			unsigned int len = random_frame(tmp);

			B.pkts[i] = guard_load(i, tmp, len,
					       ols[rnd_below(sizeof(ols) / sizeof(ols[0]))]);
			B.verdict[i] = V_FWD;
		}
		B.n = (uint16_t)n;
		SET_CTX("random frames %lu..%lu", done, done + n - 1);
		ret = parse_burst(&o, &B);
		for (unsigned int i = 0; i < n; i++) {
			const struct rte_mbuf *m = B.pkts[i];
			const uint8_t *d = G[i].page + m->data_off;
			unsigned int v = B.verdict[i];

			REQUIRE(v == V_FWD || v == V_PUNT || v == V_DROP);
			if (v == V_DROP) {
				REQUIRE(B.reason[i] != DROP_NONE && B.reason[i] < DROP_MAX);
				seen[B.reason[i]]++;
			}
			if (v == V_FWD) {
				REQUIRE(B.msg_off[i] + B.msg_len[i] <= m->data_len);
				REQUIRE(B.msg_len[i] > 0);
				fwd++;
			}
			punt_total += v == V_PUNT;
			model_parse(d, m->data_len, m->ol_flags, o.verify_udp_csum, &want);
			if (v != want.verdict || (v == V_DROP && B.reason[i] != want.reason) ||
			    (v == V_FWD &&
			     (B.kind[i] != want.kind || B.l3_off[i] != want.l3 ||
			      B.ip6[i] != want.ip6 || B.vlan[i] != want.vlan ||
			      B.msg_off[i] != want.msg || B.msg_len[i] != want.msg_len))) {
				if (mismatches++ < 10) {
					fprintf(stderr,
						"  frame %lu (%u bytes, ol %#" PRIx64
						", verify %u): parse %s %s kind %s; reference %s "
						"%s kind %s\n   ",
						done + i, m->data_len, m->ol_flags,
						o.verify_udp_csum, verdict_name(v),
						v == V_DROP ? drop_reason_name(B.reason[i]) : "",
						kind_name(B.kind[i]), verdict_name(want.verdict),
						want.verdict == V_DROP
							? drop_reason_name(want.reason)
							: "",
						kind_name(want.kind));
					for (unsigned int k = 0; k < m->data_len; k++)
						fprintf(stderr, "%02x", d[k]);
					fprintf(stderr, "\n");
				}
			}
		}
		REQUIRE(ret == fwd);
		fwd_total += fwd;
		done += n;
	}
	CHECK_EQ(mismatches, 0);
	/* The generator reaches every path (fixed seed: deterministic). */
	CHECK(fwd_total > RANDOM_FRAMES / 20);
	CHECK(punt_total > 0);
	for (unsigned int r = DROP_ETH_SHORT; r <= DROP_SRTP_TOO_SHORT; r++) {
		if (r == DROP_RTP_VERSION)
			continue;
		if (seen[r] == 0)
			fprintf(stderr, "  random frames never reached %s\n",
				drop_reason_name((enum drop_reason)r));
		CHECK(seen[r] > 0);
	}
}

TEST_MAIN()
