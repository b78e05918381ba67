/* test_pcap_golden.c: pcap in, pcap out, compared byte for byte.
 *
 * Two net_pcap ports (rx_pcap/tx_pcap files in a temporary directory) and
 * the real worker loop (worker_poll, tx_flush) on the main lcore. The input
 * pcaps are written here, deterministically: calls of every shape the
 * relay handles (plain v4, v6, v4->v6, SRTP->RTP, RTP->SRTP with GCM,
 * SRTP->SRTP re-key, SRTCP on port + 1 to muxed RTCP, a VLAN-tagged local
 * address), from both sides, and frames that must not come out, one per
 * drop reason (a replay, a bad UDP checksum, a truncated frame, an unused
 * port, a forged SRTP tag, RTP on a leg's RTCP port, a VLAN address reached
 * untagged). Sessions use static next-hop MACs, so no ARP is needed.
 *
 * What comes out is checked twice:
 *   - independently: every header field of every output frame against the
 *     call's configuration (MACs, 802.1Q tag, addresses, ports, lengths,
 *     TTL, IPv4 and UDP checksums), its message decrypted with libsrtp2 (or
 *     compared) against what was sent, each message out exactly once and in
 *     order; each drop counted by reason, and each leg's counters;
 *   - against tests/functional/golden/out{0,1}.pcap, packet bytes only
 *     (not the pcap timestamps). `test_pcap_golden --regenerate DIR` writes
 *     new golden files (after running every independent check on them).
 *     Review the diff before committing it: the checks above pin every
 *     field but the IPv4 identification and DF bit, and the SRTP bytes only
 *     through libsrtp2's verdict, so a regeneration cannot hide a wrong
 *     header or a frame libsrtp2 would refuse, only a change of those.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>

#include "../engine.h"
#include "../ref.h"
#include "../ring_ports.h"
#include "../test.h"
#include "control/sessions.h"
#include "dataplane/rewrite.h"
#include "dataplane/worker.h"

#define MAX_PKTS 256
#define FRAME_MAX 1600

struct pkt {
	unsigned int len;
	uint8_t b[FRAME_MAX];
};

static struct pkt IN[2][MAX_PKTS], OUT[2][MAX_PKTS];
static unsigned int N_IN[2], N_OUT[2];
static char DIR_[64];
static struct rte_mempool *POOL;
static struct worker *W;
static struct sessions *SS;
static uint16_t PORT[2];

/* Addresses: side 0 (port 0) and side 1 (port 1). */
enum { L0_4, L0_6, L1_4, L1_6, L1_4V, N_ADDRS };
static const uint8_t LOCAL[N_ADDRS][16] = {
	[L0_4] = {10, 0, 0, 1},	 [L0_6] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
	[L1_4] = {10, 1, 0, 1},	 [L1_6] = {0x20, 0x01, 0x0d, 0xb8, 1, [15] = 1},
	[L1_4V] = {10, 2, 0, 1},
};
static const uint8_t PEER0_4[4] = {10, 0, 0, 2}, PEER1_4[4] = {10, 1, 0, 2};
static const uint8_t PEER1_4V[4] = {10, 2, 0, 2};
static const uint8_t PEER0_6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t PEER1_6[16] = {0x20, 0x01, 0x0d, 0xb8, 1, [15] = 2};
static const uint8_t PMAC[2][6] = {{2, 0, 0, 0, 0, 0xa0}, {2, 0, 0, 0, 0, 0xb0}};
static const uint8_t NH[2][6] = {{2, 0, 0, 0, 0, 0xa9}, {2, 0, 0, 0, 0, 0xb9}};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* ---- pcap files (classic format, microsecond timestamps) ---- */

static void
pcap_write(const char *path, const struct pkt *p, unsigned int n)
{
	FILE *f = fopen(path, "wb");
	const uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};

	if (f == NULL)
		perror(path), exit(1);
	fwrite(gh, sizeof(gh), 1, f);
	for (unsigned int i = 0; i < n; i++) {
		const uint32_t rh[4] = {1700000000u + i, 0, p[i].len, p[i].len};

		fwrite(rh, sizeof(rh), 1, f);
		fwrite(p[i].b, p[i].len, 1, f);
	}
	fclose(f);
}

/* @return the number of packets read (record bytes only), or -1. */
static int
pcap_read(const char *path, struct pkt *p, unsigned int max)
{
	FILE *f = fopen(path, "rb");
	uint32_t gh[6], rh[4];
	unsigned int n = 0;

	if (f == NULL)
		return -1;
	/* microsecond or (net_pcap's) nanosecond timestamps */
	if (fread(gh, sizeof(gh), 1, f) != 1 || (gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d)) {
		fclose(f);
		return -1;
	}
	while (n < max && fread(rh, sizeof(rh), 1, f) == 1) {
		if (rh[2] > FRAME_MAX || fread(p[n].b, rh[2], 1, f) != 1)
			break;
		p[n++].len = rh[2];
	}
	fclose(f);
	return (int)n;
}

/* ---- the calls ---- */

enum kind { PLAIN, SRTP_CM, SRTP_GCM };

struct call {
	const char *name;
	unsigned int addr[2]; /* local address of each leg */
	const uint8_t *peer[2];
	enum kind k[2]; /* what each leg speaks */
	uint8_t mux[2];
	uint32_t slot;
	struct session_params p;
	srtp_t tx[2], rx[2]; /* the peers' libsrtp2 contexts: send, receive */
};

static struct call CALLS[] = {
	{"plain v4", {L0_4, L1_4}, {PEER0_4, PEER1_4}, {PLAIN, PLAIN}, {1, 1}},
	{"plain v6", {L0_6, L1_6}, {PEER0_6, PEER1_6}, {PLAIN, PLAIN}, {1, 1}},
	{"plain v4->v6", {L0_4, L1_6}, {PEER0_4, PEER1_6}, {PLAIN, PLAIN}, {1, 1}},
	{"srtp<->rtp", {L0_4, L1_4}, {PEER0_4, PEER1_4}, {SRTP_CM, PLAIN}, {0, 1}},
	{"rtp<->srtp gcm", {L0_6, L1_4}, {PEER0_6, PEER1_4}, {PLAIN, SRTP_GCM}, {1, 1}},
	{"srtp re-key", {L0_4, L1_6}, {PEER0_4, PEER1_6}, {SRTP_CM, SRTP_GCM}, {1, 0}},
	{"vlan", {L0_4, L1_4V}, {PEER0_4, PEER1_4V}, {PLAIN, SRTP_CM}, {1, 1}},
};
#define N_CALLS (sizeof(CALLS) / sizeof(CALLS[0]))

static int
is_ip6(unsigned int a)
{
	return a == L0_6 || a == L1_6;
}

static void
setup_call(struct call *c, unsigned int n)
{
	char err[256];

	memset(&c->p, 0, sizeof(c->p));
	c->p.id = n;
	for (unsigned int l = 0; l < 2; l++) {
		struct leg_params *g = &c->p.leg[l];

		g->local_addr = (uint8_t)c->addr[l];
		g->flags = c->mux[l] ? LEG_RTCP_MUX : 0;
		g->remote.ip6 = (uint8_t)is_ip6(c->addr[l]);
		g->remote.port = (uint16_t)(30000 + 10 * n + l);
		memcpy(g->remote.addr, c->peer[l], is_ip6(c->addr[l]) ? 16 : 4);
		memcpy(g->nh_mac, NH[l], 6);
		c->tx[l] = c->rx[l] = NULL;
		if (c->k[l] != PLAIN) {
			enum suite s = c->k[l] == SRTP_CM ? SUITE_AES_CM_128_HMAC_SHA1_80
							  : SUITE_AEAD_AES_128_GCM;

			g->flags |= LEG_SRTP;
			for (unsigned int d = 0; d < 2; d++) {
				struct dir_keys *k = d ? &g->out : &g->in;

				k->present = 1;
				k->suite = (uint8_t)s;
				k->key_len = suites[s].key_len;
				k->salt_len = suites[s].salt_len;
				engine_fill_key(s, k->key, k->salt, (uint8_t)(10 * n + 2 * l + d));
			}
			c->tx[l] = ref_create(s, g->in.key, g->in.salt, 0, NULL, 0);
			c->rx[l] = ref_create(s, g->out.key, g->out.salt, 1, NULL, 0);
		}
	}
	if (sessions_create(SS, &c->p, &c->slot, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", c->name, err);
		exit(1);
	}
}

/* What one call's peer on leg @p l sends: the message before SRTP. */
static unsigned int
message(uint8_t *m, unsigned int call, unsigned int l, unsigned int i, int rtcp)
{
	uint32_t ssrc = 0x1000u * (call + 1) + l;

	if (rtcp)
		return build_rtcp(m, ssrc, 24, call * 100 + i);
	return build_rtp(m, ssrc, (uint16_t)(1000 + i), i * 160, 20 + 37 * (call + i) % 160, 0, -1,
			 0);
}

/* Append a frame from leg @p l's peer to its local endpoint to IN[l]. */
static unsigned int
add_frame(const struct call *c, unsigned int l, const uint8_t *msg, unsigned int len, int rtcp_port)
{
	const struct session *s = sessions_get(SS, c->slot);
	struct pkt *p = &IN[l][N_IN[l]++];

	p->len = udp_frame(p->b, PMAC[l], NH[l], is_ip6(c->addr[l]), c->peer[l], LOCAL[c->addr[l]],
			   (uint16_t)(c->p.leg[l].remote.port + rtcp_port),
			   (uint16_t)(s->leg[l].local_port + rtcp_port), msg, len);
	if (c->addr[l] == L1_4V) { /* the peer is on VLAN 42 too: tag it */
		memmove(p->b + 16, p->b + 12, p->len - 12);
		p->b[12] = 0x81, p->b[13] = 0x00, p->b[14] = 0x00, p->b[15] = 42;
		p->len += 4;
	}
	return N_IN[l] - 1;
}

#define PER_CALL 4
static unsigned int expect_out[2];
/* What each leg's counters must say, [call][leg][RTCP port] (session.h:
 * packets and UDP payload bytes as received, drops once the session is
 * known). */
static uint64_t WANT_PKTS[N_CALLS][2][2], WANT_BYTES[N_CALLS][2][2], WANT_DROP[N_CALLS][2][2];
/* Messages seen on the output, [call][leg it left on], bit i for message i. */
static uint32_t SEEN[N_CALLS][2];

/* Frames that must not come out, each for its own reason: */
enum hostile {
	H_REPLAY, /* call 3's first leg-0 SRTP frame again */
	H_UDP_CSUM, /* call 0's first frame with one payload byte changed */
	H_TRUNCATED, /* call 0's first frame cut inside the IPv4 header */
	H_NO_SESSION, /* to a port of the range no session holds */
	H_AUTH, /* call 3 leg 0: SRTP with a ciphertext bit flipped (UDP checksum valid) */
	H_WRONG_PORT, /* call 5 leg 1: SRTP RTP to the RTCP port of a leg without mux */
	H_NOT_LOCAL, /* call 6 leg 1's VLAN address reached untagged */
	N_HOSTILE
};

static void
build_inputs(void)
{
	struct pkt *p;

	for (unsigned int n = 0; n < N_CALLS; n++) {
		struct call *c = &CALLS[n];

		for (unsigned int i = 0; i < PER_CALL; i++)
			for (unsigned int l = 0; l < 2; l++) {
				int rtcp = i == PER_CALL - 1; /* the last one is RTCP */
				unsigned int rp = rtcp && !c->mux[l];
				uint8_t m[400];
				int len = (int)message(m, n, l, i, rtcp);

				if (c->tx[l] != NULL &&
				    ref_protect(c->tx[l], 0, rtcp, m, &len) != 0)
					exit(1);
				add_frame(c, l, m, (unsigned int)len, (int)rp);
				expect_out[l ^ 1]++;
				WANT_PKTS[n][l][rp]++;
				WANT_BYTES[n][l][rp] += (unsigned int)len;
			}
	}
	/* After every good frame, so none of them can change what a good
	 * frame does (a forged index first would not move the replay window,
	 * but order keeps it obvious). Frames go in call order, PER_CALL from
	 * leg 0 each, so call 3's first leg-0 frame is IN[0][3 * PER_CALL]. */
	IN[0][N_IN[0]++] = IN[0][3 * PER_CALL]; /* H_REPLAY */
	WANT_DROP[3][0][0]++;
	p = &IN[0][N_IN[0]++]; /* H_UDP_CSUM */
	*p = IN[0][0];
	p->b[p->len - 1] ^= 0x55;
	p = &IN[0][N_IN[0]++]; /* H_TRUNCATED */
	*p = IN[0][0];
	p->len = 30;
	{ /* H_NO_SESSION */
		uint8_t m[200];
		unsigned int len = message(m, 0, 0, 9, 0);

		p = &IN[0][N_IN[0]++];
		p->len = udp_frame(p->b, PMAC[0], NH[0], 0, PEER0_4, LOCAL[L0_4], 4000, 29998, m,
				   len);
	}
	{ /* H_AUTH: a new index (10), so it is the tag, not the replay
	   * window, that refuses it */
		uint8_t m[400];
		int len = (int)message(m, 3, 0, 10, 0);

		if (ref_protect(CALLS[3].tx[0], 0, 0, m, &len) != 0)
			exit(1);
		m[14] ^= 0x01; /* first payload byte, under the cipher */
		add_frame(&CALLS[3], 0, m, (unsigned int)len, 0);
		WANT_DROP[3][0][0]++;
	}
	{ /* H_WRONG_PORT */
		uint8_t m[400];
		int len = (int)message(m, 5, 1, 11, 0);

		if (ref_protect(CALLS[5].tx[1], 0, 0, m, &len) != 0)
			exit(1);
		add_frame(&CALLS[5], 1, m, (unsigned int)len, 1);
		WANT_DROP[5][1][1]++;
	}
	{ /* H_NOT_LOCAL: the VLAN address, untagged on the same port */
		uint8_t m[200];
		const struct session *s = sessions_get(SS, CALLS[6].slot);
		unsigned int len = message(m, 6, 1, 12, 0);

		p = &IN[1][N_IN[1]++];
		p->len = udp_frame(p->b, PMAC[1], NH[1], 0, PEER1_4V, LOCAL[L1_4V],
				   CALLS[6].p.leg[1].remote.port, s->leg[1].local_port, m, len);
	}
}

/* Output frame @p f, number @p idx on port @p side: every header field
 * checked against what its call's leg says (not against rewrite.c), and the
 * message it carries, decrypted by the receiving peer's libsrtp2 when its
 * leg is SRTP, must be one that was sent, the first time it comes out, after
 * the ones sent before it on the same leg, on the port RFC 3550/5761 say
 * (RTCP on port + 1 unless the leg muxes it).
 * @return NULL, or what is wrong. */
static const char *
check_output(unsigned int side, const struct pkt *f)
{
	unsigned int l2 = f->len >= 14 && get16(f->b + 12) == 0x8100 ? 18 : 14;
	const uint8_t *ip = f->b + l2, *udp;
	unsigned int ip6, off, rtcp_port;
	uint16_t sport, dport;
	const struct call *c = NULL;
	const struct session *s;
	const struct leg_params *g;
	unsigned int n, a;
	uint32_t sum;

	if (f->len < l2 + 20 + 8 + 12)
		return "shorter than Ethernet + IPv4 + UDP + RTP headers";
	ip6 = get16(ip - 2) == 0x86dd;
	off = l2 + (ip6 ? 40u : 20u) + 8;
	udp = f->b + off - 8;
	sport = get16(udp);
	dport = get16(udp + 2);
	for (n = 0; n < N_CALLS; n++) {
		g = &CALLS[n].p.leg[side];
		if (dport == g->remote.port || dport == g->remote.port + 1) {
			c = &CALLS[n];
			break;
		}
	}
	if (c == NULL)
		return "destination port is no call's remote (RTP or RTCP) port";
	s = sessions_get(SS, c->slot);
	a = c->addr[side];
	rtcp_port = dport != g->remote.port;
	/* Ethernet: the static next hop, from the port's MAC, tagged iff the
	 * local address is on a VLAN */
	if (memcmp(f->b, NH[side], 6) != 0)
		return "destination MAC is not the leg's static next hop";
	if (memcmp(f->b + 6, PMAC[side], 6) != 0)
		return "source MAC is not the local address's";
	if ((l2 == 18) != (a == L1_4V))
		return "802.1Q tag present iff the local address has a VLAN: no";
	if (l2 == 18 && get16(f->b + 14) != 42) /* PCP 0, DEI 0, VID 42 */
		return "802.1Q TCI is not VLAN 42";
	if (ip6 != (unsigned int)is_ip6(a) || get16(ip - 2) != (ip6 ? 0x86dd : 0x0800))
		return "Ethertype is not the leg's address family";
	if (!ip6) {
		if (ip[0] != 0x45 || ip[1] != g->dscp << 2)
			return "IPv4 version/IHL or DSCP";
		if (get16(ip + 2) != f->len - l2)
			return "IPv4 total length is not the frame's";
		if ((get16(ip + 6) & 0x3fff) != 0)
			return "IPv4 fragment (MF or offset)";
		if (ip[8] != EGRESS_TTL || ip[9] != 17)
			return "IPv4 TTL or protocol";
		if (ocsum_fold(ocsum_add(0, ip, 20)) != 0xffff)
			return "IPv4 header checksum";
		if (memcmp(ip + 12, LOCAL[a], 4) != 0 || memcmp(ip + 16, g->remote.addr, 4) != 0)
			return "IPv4 source is not the local address or destination not the peer";
	} else {
		if (get32(ip) != (6u << 28 | (uint32_t)(g->dscp << 2) << 20))
			return "IPv6 version, traffic class or flow label";
		if (get16(ip + 4) != f->len - l2 - 40)
			return "IPv6 payload length is not the frame's";
		if (ip[6] != 17 || ip[7] != EGRESS_TTL)
			return "IPv6 next header or hop limit";
		if (memcmp(ip + 8, LOCAL[a], 16) != 0 || memcmp(ip + 24, g->remote.addr, 16) != 0)
			return "IPv6 source is not the local address or destination not the peer";
	}
	if (sport != s->leg[side].local_port + rtcp_port)
		return "UDP source port is not the leg's local (RTP or RTCP) port";
	if (get16(udp + 4) != f->len - off + 8)
		return "UDP length is not the frame's";
	/* always filled in (mandatory on IPv6, and verified by peers on IPv4) */
	sum = ocsum_add(0, ip + (ip6 ? 8 : 12), ip6 ? 32 : 8) + 17 + get16(udp + 4);
	if (get16(udp + 6) == 0 || ocsum_fold(ocsum_add(sum, udp, f->len - off + 8)) != 0xffff)
		return "UDP checksum";

	for (unsigned int i = 0; i < PER_CALL; i++) {
		int rtcp = i == PER_CALL - 1;
		uint8_t want[400], got[FRAME_MAX];
		unsigned int wl = message(want, n, side ^ 1, i, rtcp);
		int gl = (int)(f->len - off);

		memcpy(got, f->b + off, (size_t)gl);
		if (c->rx[side] != NULL) {
			/* a fresh context each try: libsrtp2 would call a second
			 * try a replay */
			const struct dir_keys *k = &g->out;
			srtp_t rx = ref_create((enum suite)k->suite, k->key, k->salt, 1, NULL, 0);
			int ok = ref_unprotect(rx, 0, rtcp, got, &gl) == srtp_err_status_ok;

			srtp_dealloc(rx);
			if (!ok)
				continue;
		}
		if ((unsigned int)gl != wl || memcmp(got, want, wl) != 0)
			continue;
		if (rtcp_port != (unsigned int)(rtcp && !c->mux[side]))
			return rtcp ? "RTCP not on the leg's RTCP port (port + 1 unless muxed)"
				    : "RTP on the RTCP port";
		if (SEEN[n][side] >> i & 1)
			return "message forwarded twice";
		if (SEEN[n][side] >> i != 0)
			return "message forwarded after a later one of the same leg";
		SEEN[n][side] |= 1u << i;
		return NULL;
	}
	return "matches no message sent on the call (or does not authenticate)";
}

static int
ports_open(const char *in0, const char *in1, const char *out0, const char *out1)
{
	const char *in[2] = {in0, in1}, *out[2] = {out0, out1};

	for (unsigned int p = 0; p < 2; p++) {
		char name[16], args[256];
		struct rte_eth_conf conf;

		snprintf(name, sizeof(name), "net_pcap%u", p);
		snprintf(args, sizeof(args), "rx_pcap=%s,tx_pcap=%s", in[p], out[p]);
		if (rte_vdev_init(name, args) != 0 || rte_eth_dev_get_port_by_name(name, &PORT[p]))
			return -1;
		memset(&conf, 0, sizeof(conf));
		if (rte_eth_dev_configure(PORT[p], 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup(PORT[p], 0, 256, 0, NULL, POOL) != 0 ||
		    rte_eth_tx_queue_setup(PORT[p], 0, 256, 0, NULL) != 0)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *regen = argc == 3 && strcmp(argv[1], "--regenerate") == 0 ? argv[2] : NULL;
	const char *golden = getenv("SRTPFWD_GOLDEN");
	char in[2][96], out[2][96], path[256], err[256];
	struct sessions_config cfg;
	struct pkt *gold = calloc(MAX_PKTS, sizeof(*gold));
	unsigned int idle = 0, frame_faults = 0;
	uint64_t drops;

	snprintf(DIR_, sizeof(DIR_), "/tmp/srtpfwd_pcap.XXXXXX");
	if (gold == NULL || mkdtemp(DIR_) == NULL)
		return 1;
	for (unsigned int p = 0; p < 2; p++) {
		snprintf(in[p], sizeof(in[p]), "%s/in%u.pcap", DIR_, p);
		snprintf(out[p], sizeof(out[p]), "%s/out%u.pcap", DIR_, p);
	}
	if (ring_eal_init("test_pcap_golden", "256") < 0)
		return 1;
	POOL = rte_pktmbuf_pool_create("pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	W = engine_worker();
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 20000;
	cfg.port_max = 29999;
	cfg.max_sessions = 16;
	cfg.n_addrs = N_ADDRS;
	for (unsigned int a = 0; a < N_ADDRS; a++) {
		unsigned int side = a >= L1_4;

		cfg.addrs[a].ip6 = (uint8_t)is_ip6(a);
		cfg.addrs[a].port_id = (uint16_t)side; /* the pcap ports are 0 and 1 */
		cfg.addrs[a].vlan = a == L1_4V ? 42 : 0;
		memcpy(cfg.addrs[a].addr, LOCAL[a], 16);
		memcpy(cfg.addrs[a].mac, PMAC[side], 6);
	}
	SS = sessions_new(&cfg, NULL, W->crypto.mgr, err, sizeof(err));
	if (POOL == NULL || SS == NULL)
		return 1;
	for (unsigned int n = 0; n < N_CALLS; n++)
		setup_call(&CALLS[n], n);
	build_inputs();
	pcap_write(in[0], IN[0], N_IN[0]);
	pcap_write(in[1], IN[1], N_IN[1]);
	if (ports_open(in[0], in[1], out[0], out[1]) != 0) {
		fprintf(stderr, "net_pcap ports\n");
		return 1;
	}
	CHECK_EQ(PORT[0], 0);
	CHECK_EQ(PORT[1], 1);
	W->n_ports = 2;
	W->ports[0] = PORT[0];
	W->ports[1] = PORT[1];
	W->table = sessions_table(SS);
	W->parse.verify_udp_csum = 1;
	/* Start port 1 first: both read their files on their first polls. */
	if (rte_eth_dev_start(PORT[1]) != 0 || rte_eth_dev_start(PORT[0]) != 0)
		return 1;
	for (unsigned int loops = 0; idle < 100 && loops < 100000; loops++)
		idle = worker_poll(W) == 0 ? idle + 1 : 0;
	tx_flush(W);
	for (unsigned int p = 0; p < 2; p++) { /* flushes and closes the tx pcaps */
		rte_eth_dev_stop(PORT[p]);
		rte_eth_dev_close(PORT[p]);
	}

	/* Independent checks: every frame out is right and every message
	 * sent came out exactly once. */
	for (unsigned int p = 0; p < 2; p++) {
		int n = pcap_read(out[p], OUT[p], MAX_PKTS);

		CHECK_EQ(n, (int)expect_out[p]);
		N_OUT[p] = n < 0 ? 0 : (unsigned int)n;
		for (unsigned int i = 0; i < N_OUT[p]; i++) {
			const char *why = check_output(p, &OUT[p][i]);

			test_checks++;
			if (why != NULL) {
				fprintf(stderr, "port %u packet %u: %s\n", p, i, why);
				test_failed_checks++;
				frame_faults++;
			}
		}
	}
	for (unsigned int n = 0; n < N_CALLS; n++)
		for (unsigned int l = 0; l < 2; l++) {
			test_checks++;
			if (SEEN[n][l] != (1u << PER_CALL) - 1) {
				fprintf(stderr, "%s: leg %u got messages %#x of %#x\n",
					CALLS[n].name, l, SEEN[n][l], (1u << PER_CALL) - 1);
				test_failed_checks++;
				frame_faults++;
			}
		}
	/* Per-leg counters, where the arrival leg is known. */
	for (unsigned int n = 0; n < N_CALLS; n++) {
		const struct session *s = sessions_get(SS, CALLS[n].slot);

		for (unsigned int l = 0; l < 2; l++)
			for (unsigned int rp = 0; rp < 2; rp++) {
				const struct leg_counters *k = &s->leg[l].rx[rp];

				CHECK_EQ(k->packets, WANT_PKTS[n][l][rp]);
				CHECK_EQ(k->bytes, WANT_BYTES[n][l][rp]);
				CHECK_EQ(k->dropped, WANT_DROP[n][l][rp]);
				if (k->packets != WANT_PKTS[n][l][rp] ||
				    k->bytes != WANT_BYTES[n][l][rp] ||
				    k->dropped != WANT_DROP[n][l][rp])
					fprintf(stderr, "  (%s, leg %u, rtcp port %u)\n",
						CALLS[n].name, l, rp);
			}
	}
	CHECK_EQ(W->stats.rx, N_IN[0] + N_IN[1]);
	CHECK_EQ(W->stats.rx, expect_out[0] + expect_out[1] + N_HOSTILE);
	CHECK_EQ(W->stats.tx, expect_out[0] + expect_out[1]);
	/* each hostile frame under its own reason, and nothing else dropped */
	CHECK_EQ(W->stats.drop[DROP_SRTP_REPLAY], 1);
	CHECK_EQ(W->stats.drop[DROP_UDP_CSUM], 1);
	CHECK_EQ(W->stats.drop[DROP_IPV4_HDR_LEN], 1);
	CHECK_EQ(W->stats.drop[DROP_NO_SESSION], 1);
	CHECK_EQ(W->stats.drop[DROP_SRTP_AUTH], 1);
	CHECK_EQ(W->stats.drop[DROP_WRONG_PORT], 1);
	CHECK_EQ(W->stats.drop[DROP_NOT_LOCAL], 1);
	drops = 0;
	for (unsigned int r = 0; r < DROP_MAX; r++)
		drops += W->stats.drop[r];
	CHECK_EQ(drops, N_HOSTILE);
	CHECK_EQ(W->stats.punted, 0);
	for (unsigned int r = 0; r < DROP_MAX; r++)
		if (W->stats.drop[r] != 0)
			printf("drop %s %lu\n", drop_reason_name((enum drop_reason)r),
			       (unsigned long)W->stats.drop[r]);

	/* Golden files: bytes of every packet, in order. */
	for (unsigned int p = 0; p < 2; p++) {
		int n;

		if (regen != NULL) {
			/* a golden file is only ever what passed the checks */
			if (frame_faults != 0 || N_OUT[p] != expect_out[p]) {
				fprintf(stderr, "not writing golden files: the output failed "
						"its independent checks\n");
				test_failed_checks++;
				break;
			}
			snprintf(path, sizeof(path), "%s/out%u.pcap", regen, p);
			pcap_write(path, OUT[p], N_OUT[p]);
			printf("wrote %s (%u packets)\n", path, N_OUT[p]);
			continue;
		}
		if (golden == NULL) {
			fprintf(stderr, "SRTPFWD_GOLDEN not set\n");
			test_failed_checks++;
			break;
		}
		snprintf(path, sizeof(path), "%s/out%u.pcap", golden, p);
		n = pcap_read(path, gold, MAX_PKTS);
		CHECK_EQ(n, (int)N_OUT[p]);
		for (unsigned int i = 0; n > 0 && i < N_OUT[p] && i < (unsigned int)n; i++) {
			CHECK_EQ(gold[i].len, OUT[p][i].len);
			if (gold[i].len == OUT[p][i].len &&
			    memcmp(gold[i].b, OUT[p][i].b, gold[i].len) != 0) {
				fprintf(stderr, "port %u packet %u differs from the golden file\n",
					p, i);
				test_failed_checks++;
			}
		}
	}
	for (unsigned int p = 0; p < 2; p++) {
		unlink(in[p]);
		unlink(out[p]);
	}
	rmdir(DIR_);
	printf("pcap golden: %u + %u frames in, %u + %u out, %lu checks, %d failed\n", N_IN[0],
	       N_IN[1], N_OUT[0], N_OUT[1], test_checks, test_failed_checks);
	sessions_free(SS);
	engine_worker_free(W);
	free(gold);
	rte_eal_cleanup();
	return test_failed_checks ? 1 : 0;
}
