/* srtpgen_gen.c: generator and sink over two DPDK ports (see srtpgen_gen.h).
 *
 * Steps: EAL and ports; sessions created over srtpfwd's control socket
 * (libsrtpfwd-ctl) with random keys; srtpfwd's MAC on side 0 found by ARP
 * or ND; a warm-up (one packet per session, repeated, until each session's
 * media came back: srtpfwd resolves side 1's peer meanwhile); then one
 * case per rate: frames built and protected with libsrtp2 as they are sent
 * (the TSC in the payload), paced by the TSC, received and checked on port
 * 1 between sends, then a drain. Sessions are deleted at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "control/srtpfwd_ctl.h"
#include "srtpgen_gen.h"

#define BURST 32
#define NB_MBUF 8191
#define RX_DESC 1024
#define TX_DESC 1024
#define LAT_MAX (1u << 21) /* latency samples kept per case */
#define DRAIN_MS 500
#define RESOLVE_MS 3000
#define WARM_ROUNDS 5

/* Why a packet that came out did not verify. */
#define FOREACH_BAD(X)                                                                             \
	X(SHORT, "short")                                                                          \
	X(IP, "ip_header")                                                                         \
	X(IP_CKSUM, "ip_checksum")                                                                 \
	X(UDP_CKSUM, "udp_checksum")                                                               \
	X(ADDR, "addresses")                                                                       \
	X(PORT, "ports")                                                                           \
	X(SRTP, "srtp_unprotect")                                                                  \
	X(RTP, "rtp_header")                                                                       \
	X(PAYLOAD, "payload")

enum bad {
#define X(n, s) BAD_##n,
	FOREACH_BAD(X)
#undef X
		BAD_MAX
};

static const char *const bad_name[] = {
#define X(n, s) s,
	FOREACH_BAD(X)
#undef X
};

struct gen {
	struct gen_opts o; /* a copy: the MACs found are filled in */
	const struct gen_run_opts *r;
	struct gen_session *s;
	uint32_t *slot; /* srtpfwd's slot of each session, 0: not created */
	uint32_t *first_k; /* per session: first packet number of the current phase */
	uint8_t *seen; /* warm-up: a packet of this session came back */
	uint16_t port[2]; /* side 0's and side 1's */
	unsigned int dir; /* frames go out of side dir, come back on 1 - dir */
	struct rte_mempool *pool;
	uint64_t hz;
	int fwd_known[2];
	/* the current phase */
	uint64_t offered, refused, received, verified, late, other;
	uint64_t bad[BAD_MAX];
	uint64_t *lat;
	uint32_t n_lat;
	/* --pcap: the frames, one after the other in one buffer */
	uint8_t *pcap_buf;
	uint32_t *pcap_off, *pcap_len, n_pcap, pcap_next;
};

static void
rd_addr(const uint8_t *p, uint8_t *a, int ip6)
{
	memset(a, 0, 16);
	memcpy(a, p, ip6 ? 16 : 4);
}

static int
same_addr(const uint8_t *p, const uint8_t *a, int ip6)
{
	return memcmp(p, a, ip6 ? 16 : 4) == 0;
}

static unsigned int
rd16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void
wr16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
send_frame(struct gen *g, unsigned int side, const uint8_t *frame, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);

	if (m == NULL)
		return;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (rte_eth_tx_burst(g->port[side], 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

/* ---- ARP (RFC 826) and IPv6 neighbour discovery (RFC 4861) ---- */

static void
send_arp(struct gen *g, unsigned int side, unsigned int op, const uint8_t *dst_mac,
	 const uint8_t *tha, const uint8_t *tpa)
{
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, g->o.peer_mac[side], 6);
	wr16(f + 12, 0x0806);
	wr16(f + 14, 1); /* Ethernet */
	wr16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	wr16(f + 20, op);
	memcpy(f + 22, g->o.peer_mac[side], 6);
	memcpy(f + 28, g->o.peer[side], 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, tpa, 4);
	send_frame(g, side, f, sizeof(f));
}

/* NS (135) for @p target to its solicited-node group, or NA (136) to
 * @p dst_ip / @p dst_mac, with our link-layer address option. */
static void
send_nd(struct gen *g, unsigned int side, unsigned int type, const uint8_t *dst_mac,
	const uint8_t *dst_ip, const uint8_t *target)
{
	uint8_t f[14 + 40 + 32], *ip = f + 14, *icmp = f + 54;

	memset(f, 0, sizeof(f));
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, g->o.peer_mac[side], 6);
	wr16(f + 12, 0x86dd);
	ip[0] = 0x60;
	wr16(ip + 4, 32);
	ip[6] = 58;
	ip[7] = 255; /* RFC 4861 §7.1.1: hop limit 255 */
	memcpy(ip + 8, g->o.peer[side], 16);
	memcpy(ip + 24, dst_ip, 16);
	icmp[0] = (uint8_t)type;
	if (type == 136)
		icmp[4] = 0x60; /* solicited, override */
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == 135 ? 1 : 2; /* source / target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, g->o.peer_mac[side], 6);
	wr16(icmp + 2, (uint16_t)~gen_l4_sum(1, ip + 8, ip + 24, 58, icmp, 32));
	send_frame(g, side, f, sizeof(f));
}

static void
resolve_ask(struct gen *g, unsigned int side)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {0};
	const uint8_t *t = g->o.local[side];

	if (!g->o.ip6) {
		send_arp(g, side, 1, bcast, zero, t);
	} else {
		uint8_t mac[6] = {0x33, 0x33, 0xff, t[13], t[14], t[15]};
		uint8_t sn[16] = {0xff,		0x02,	      [11] = 1,	   [12] = 0xff,
				  [13] = t[13], [14] = t[14], [15] = t[15]};

		send_nd(g, side, 135, mac, sn, t);
	}
}

/* ARP and ND: answered for our peer address, srtpfwd's MAC learnt from
 * what it sends from its own. @return 1 if the frame was one of them. */
static int
neigh_frame(struct gen *g, unsigned int side, const uint8_t *p, unsigned int len)
{
	unsigned int type = len >= 14 ? rd16(p + 12) : 0;

	if (type == 0x0806 && len >= 42 && rd16(p + 14) == 1 && rd16(p + 16) == 0x0800 &&
	    p[18] == 6 && p[19] == 4) {
		if (!g->o.ip6 && same_addr(p + 28, g->o.local[side], 0) &&
		    !g->r->fwd_mac_given[side]) {
			memcpy(g->o.fwd_mac[side], p + 22, 6);
			g->fwd_known[side] = 1;
		}
		if (rd16(p + 20) == 1 && same_addr(p + 38, g->o.peer[side], 0))
			send_arp(g, side, 2, p + 22, p + 22, p + 28);
		return 1;
	}
	if (type == 0x86dd && len >= 14 + 40 + 24 && p[14 + 6] == 58 && p[14 + 7] == 255 &&
	    (p[54] == 135 || p[54] == 136)) {
		const uint8_t *src = p + 22, *target = p + 54 + 8;
		static const uint8_t unspec[16] = {0};

		if (g->o.ip6 && !g->r->fwd_mac_given[side] &&
		    ((p[54] == 136 && same_addr(target, g->o.local[side], 1)) ||
		     (p[54] == 135 && same_addr(src, g->o.local[side], 1)))) {
			memcpy(g->o.fwd_mac[side], p + 6, 6);
			g->fwd_known[side] = 1;
		}
		if (p[54] == 135 && same_addr(target, g->o.peer[side], 1) &&
		    !same_addr(src, unspec, 1))
			send_nd(g, side, 136, p + 6, src, g->o.peer[side]);
		return 1;
	}
	return 0;
}

/* ---- the sink ---- */

/* Check one frame from port 1 (see srtpgen.h for what was sent). */
static void
sink_frame(struct gen *g, const uint8_t *p, unsigned int len, uint64_t now)
{
	static uint8_t msg[GEN_FRAME_MAX], want[GEN_SIZE_MAX];
	const struct gen_opts *o = &g->o;
	const int ip6 = o->ip6;
	const unsigned int l4 = 14 + (ip6 ? 40 : 20), d = g->dir, rx = 1 - d;
	unsigned int udp_len, type = len >= 14 ? rd16(p + 12) : 0;
	const uint8_t *ip = p + 14, *udp = p + l4, *src, *dst;
	uint32_t i, k;
	uint64_t tsc;
	int mlen;
	enum bad why;

	if (neigh_frame(g, rx, p, len))
		return;
	if (type != (ip6 ? 0x86dd : 0x0800) || len < l4 || ip[ip6 ? 6 : 9] != 17) {
		g->other++;
		return;
	}
	g->received++;
	if (len < l4 + 8) {
		why = BAD_SHORT;
		goto bad;
	}
	udp_len = rd16(udp + 4);
	src = ip + (ip6 ? 8 : 12);
	dst = ip + (ip6 ? 24 : 16);
	if (ip6 ? (ip[0] >> 4 != 6 || rd16(ip + 4) != udp_len)
		: (ip[0] != 0x45 || rd16(ip + 2) != 20 + udp_len || (rd16(ip + 6) & 0x3fff) != 0)) {
		why = BAD_IP;
		goto bad;
	}
	if (udp_len < 8 + 12 || l4 + udp_len > len) {
		why = BAD_SHORT;
		goto bad;
	}
	if (!ip6) {
		uint32_t sum = 0;

		for (unsigned int b = 0; b < 20; b += 2)
			sum += rd16(ip + b);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		if (sum != 0xffff) {
			why = BAD_IP_CKSUM;
			goto bad;
		}
	}
	/* a UDP checksum of 0 (none) is refused too: srtpfwd always writes one */
	if (rd16(udp + 6) == 0 || gen_l4_sum(ip6, src, dst, 17, udp, udp_len) != 0xffff) {
		why = BAD_UDP_CKSUM;
		goto bad;
	}
	if (!same_addr(src, o->local[rx], ip6) || !same_addr(dst, o->peer[rx], ip6)) {
		why = BAD_ADDR;
		goto bad;
	}
	i = (uint32_t)(rd16(udp + 2) - o->peer_port) / 2;
	if (rd16(udp + 2) < o->peer_port || (rd16(udp + 2) - o->peer_port) % 2 != 0 ||
	    i >= o->sessions || rd16(udp) != gen_local_port(o, i)) {
		why = BAD_PORT;
		goto bad;
	}
	mlen = (int)udp_len - 8;
	memcpy(msg, udp + 8, (size_t)mlen);
	if (g->s[i].rx[d] != NULL &&
	    srtp_unprotect(g->s[i].rx[d], msg, &mlen) != srtp_err_status_ok) {
		why = BAD_SRTP;
		goto bad;
	}
	if (mlen != (int)(12 + o->size)) {
		why = BAD_RTP;
		goto bad;
	}
	k = rd32(msg + 12 + 4);
	if (msg[0] != 0x80 || rd32(msg + 8) != gen_ssrc(o, d, i) || rd32(msg + 12) != i ||
	    k >= g->s[i].sent[d] || msg[1] != (o->pt | (k == 0 ? 0x80 : 0)) ||
	    rd16(msg + 2) != (uint16_t)(gen_seq0(d, i) + k) ||
	    rd32(msg + 4) != gen_ts(o, d, i, k)) {
		why = BAD_RTP;
		goto bad;
	}
	tsc = 0;
	for (unsigned int b = 0; b < 8; b++)
		tsc = tsc << 8 | msg[12 + 8 + b];
	gen_payload(want, o->size, i, k, tsc);
	if (memcmp(want, msg + 12, o->size) != 0) {
		why = BAD_PAYLOAD;
		goto bad;
	}
	g->seen[i] = 1;
	if (k < g->first_k[i]) {
		/* sent in an earlier phase: verified, but not this case's */
		g->received--;
		g->late++;
		return;
	}
	g->verified++;
	if (g->n_lat < LAT_MAX && tsc != 0 && now >= tsc)
		g->lat[g->n_lat++] = now - tsc;
	return;
bad:
	g->bad[why]++;
}

static void
poll_rx(struct gen *g)
{
	struct rte_mbuf *m[BURST];

	for (unsigned int side = 0; side < 2; side++) {
		uint16_t n = rte_eth_rx_burst(g->port[side], 0, m, BURST);
		uint64_t now = rte_rdtsc();

		for (uint16_t k = 0; k < n; k++) {
			const uint8_t *p = rte_pktmbuf_mtod(m[k], const uint8_t *);

			/* one segment: frames are under 1600 bytes */
			if (side != g->dir)
				sink_frame(g, p, m[k]->data_len, now);
			else
				neigh_frame(g, side, p, m[k]->data_len);
		}
		if (n > 0)
			rte_pktmbuf_free_bulk(m, n);
	}
}

/* Send the next packet of sessions *next, *next + 1, ... (@p n of them). */
static unsigned int
send_some(struct gen *g, unsigned int n, uint32_t *next)
{
	struct rte_mbuf *m[BURST];
	char err[256];
	uint16_t sent;

	if (n > BURST)
		n = BURST;
	if (g->pcap_buf != NULL) {
		if (n > g->n_pcap - g->pcap_next)
			n = g->n_pcap - g->pcap_next;
		if (n == 0 || rte_pktmbuf_alloc_bulk(g->pool, m, n) != 0)
			return n;
		for (unsigned int k = 0; k < n; k++, g->pcap_next++) {
			uint32_t len = g->pcap_len[g->pcap_next];

			memcpy(rte_pktmbuf_mtod(m[k], uint8_t *),
			       g->pcap_buf + g->pcap_off[g->pcap_next], len);
			m[k]->data_len = (uint16_t)len;
			m[k]->pkt_len = len;
		}
		goto send;
	}
	if (rte_pktmbuf_alloc_bulk(g->pool, m, n) != 0)
		return 0;
	for (unsigned int k = 0; k < n; k++) {
		uint32_t i = *next;
		unsigned int len = gen_frame(&g->o, &g->s[i], g->dir, rte_rdtsc(),
					     rte_pktmbuf_mtod(m[k], uint8_t *), err, sizeof(err));

		if (len == 0) {
			fprintf(stderr, "srtpgen: %s\n", err);
			exit(1);
		}
		m[k]->data_len = (uint16_t)len;
		m[k]->pkt_len = len;
		*next = i + 1 == g->o.sessions ? 0 : i + 1;
	}
send:
	sent = rte_eth_tx_burst(g->port[g->dir], 0, m, (uint16_t)n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	g->offered += sent;
	g->refused += n - sent;
	return n;
}

static void
phase_reset(struct gen *g)
{
	g->offered = g->refused = g->received = g->verified = g->late = g->other = 0;
	memset(g->bad, 0, sizeof(g->bad));
	g->n_lat = 0;
	for (uint32_t i = 0; i < g->o.sessions; i++)
		g->first_k[i] = g->pcap_buf != NULL ? 0 : g->s[i].sent[g->dir];
}

static uint64_t
ms_tsc(const struct gen *g, uint64_t ms)
{
	return g->hz / 1000 * ms;
}

/* ---- set-up ---- */

static int
port_init(struct gen *g, unsigned int side)
{
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	uint16_t p = g->port[side];
	int rc;

	memset(&conf, 0, sizeof(conf));
	if ((rc = rte_eth_dev_configure(p, 1, 1, &conf)) != 0 ||
	    (rc = rte_eth_rx_queue_setup(p, 0, RX_DESC, (unsigned int)rte_eth_dev_socket_id(p),
					 NULL, g->pool)) != 0 ||
	    (rc = rte_eth_tx_queue_setup(p, 0, TX_DESC, (unsigned int)rte_eth_dev_socket_id(p),
					 NULL)) != 0 ||
	    (rc = rte_eth_dev_start(p)) != 0) {
		fprintf(stderr, "srtpgen: port %u: set-up failed: %s\n", p, rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(p); /* not every vdev has it: not an error */
	if (!g->r->peer_mac_given[side] && rte_eth_macaddr_get(p, &mac) == 0)
		memcpy(g->o.peer_mac[side], mac.addr_bytes, 6);
	return 0;
}

static void
ctl_key(struct srtpfwd_ctl_key *k, int suite, const struct gen_key *gk)
{
	k->suite = (uint8_t)(suite + 1); /* PROTO suite ids are enum suite + 1 */
	k->key_len = suites[suite].key_len;
	k->salt_len = suites[suite].salt_len;
	memcpy(k->key, gk->key, k->key_len);
	memcpy(k->salt, gk->salt, k->salt_len);
}

static int
sessions_create(struct gen *g)
{
	const struct gen_opts *o = &g->o;
	struct srtpfwd_ctl_session cs;
	char err[256];
	struct srtpfwd_ctl *c = srtpfwd_ctl_connect(g->r->ctl, NULL, 5000, err, sizeof(err));
	int rc = 0;

	if (c == NULL) {
		fprintf(stderr, "srtpgen: %s: %s\n", g->r->ctl, err);
		return -1;
	}
	for (uint32_t i = 0; i < o->sessions && rc == 0; i++) {
		uint16_t ports[2];

		memset(&cs, 0, sizeof(cs));
		cs.id = o->id + i;
		cs.timeout_ms = o->timeout_ms;
		for (unsigned int l = 0; l < 2; l++) {
			struct srtpfwd_ctl_leg *lg = &cs.leg[l];

			lg->local_addr = (uint8_t)o->addr_index[l];
			lg->local_port = gen_local_port(o, i);
			lg->remote_ip6 = (uint8_t)o->ip6;
			rd_addr(o->peer[l], lg->remote_addr, o->ip6);
			lg->remote_port = gen_peer_port(o, i);
			if (o->suite[l] != GEN_PLAIN) {
				lg->flags |= PROTO_LEG_SRTP;
				ctl_key(&lg->in, o->suite[l], &g->s[i].in[l]);
				ctl_key(&lg->out, o->suite[l], &g->s[i].out[l]);
			}
		}
		rc = srtpfwd_ctl_create(c, &cs, &g->slot[i], ports);
		if (rc != 0)
			fprintf(stderr, "srtpgen: create session %u (id %" PRIu64 "): %s\n", i,
				cs.id, srtpfwd_ctl_error(c));
	}
	explicit_bzero(&cs, sizeof(cs));
	srtpfwd_ctl_close(c);
	return rc == 0 ? 0 : -1;
}

static void
sessions_delete(struct gen *g)
{
	char err[256];
	struct srtpfwd_ctl *c = srtpfwd_ctl_connect(g->r->ctl, NULL, 5000, err, sizeof(err));
	unsigned int failed = 0;

	if (c == NULL) {
		fprintf(stderr, "srtpgen: delete: %s: %s\n", g->r->ctl, err);
		return;
	}
	for (uint32_t i = 0; i < g->o.sessions; i++)
		if (g->slot[i] != 0 && srtpfwd_ctl_delete(c, g->slot[i]) != 0)
			failed++;
	if (failed != 0)
		fprintf(stderr, "srtpgen: %u sessions could not be deleted\n", failed);
	srtpfwd_ctl_close(c);
}

/* srtpfwd's MAC on each side, unless given. Asking also tells srtpfwd
 * ours (it learns from ARP requests and from NS with a source link-layer
 * address), so the next hops of the sessions just created resolve before
 * any media: a pcap replay then loses nothing to the hold queue. Only the
 * sending side's MAC is needed. */
static int
resolve(struct gen *g)
{
	uint64_t end = rte_rdtsc() + ms_tsc(g, RESOLVE_MS), next = 0;
	unsigned int tx = g->dir, asked[2] = {0, 0};

	for (unsigned int side = 0; side < 2; side++)
		g->fwd_known[side] = g->r->fwd_mac_given[side];
	while ((!g->fwd_known[0] || !g->fwd_known[1] || asked[0] == 0 || asked[1] == 0) &&
	       rte_rdtsc() < end) {
		if (rte_rdtsc() >= next) {
			for (unsigned int side = 0; side < 2; side++)
				if (!g->fwd_known[side] || asked[side] == 0) {
					resolve_ask(g, side);
					asked[side]++;
				}
			next = rte_rdtsc() + ms_tsc(g, 200);
		}
		poll_rx(g);
	}
	/* what srtpfwd says back to the last ask, before media starts */
	end = rte_rdtsc() + ms_tsc(g, 50);
	while (rte_rdtsc() < end)
		poll_rx(g);
	if (!g->fwd_known[tx]) {
		fprintf(stderr, "srtpgen: no %s answer from srtpfwd's side-%u address in %d ms\n",
			g->o.ip6 ? "ND" : "ARP", tx, RESOLVE_MS);
		return -1;
	}
	if (!g->fwd_known[1 - tx])
		fprintf(stderr, "srtpgen: warning: no %s answer on side %u\n",
			g->o.ip6 ? "ND" : "ARP", 1 - tx);
	return 0;
}

/* The frames of a pcap srtpgen wrote (classic format, Ethernet), each
 * counted to its session by its UDP destination port. */
static int
pcap_load(struct gen *g, const char *path)
{
	uint32_t h[6], r[4], cap = 0;
	size_t used = 0, size = 0;
	FILE *f = fopen(path, "rb");
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "srtpgen: --pcap %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fread(h, sizeof(h), 1, f) != 1 || h[0] != 0xa1b2c3d4 || h[5] != 1) {
		fprintf(stderr,
			"srtpgen: --pcap %s: not a pcap of Ethernet frames in this "
			"host's byte order (as srtpgen writes them)\n",
			path);
		goto out;
	}
	for (;;) {
		uint8_t *p;
		unsigned int l4, port;
		uint32_t i;

		if (fread(r, sizeof(r), 1, f) != 1)
			break;
		if (r[2] != r[3] || r[2] < 14 + 40 + 8 || r[2] > GEN_FRAME_MAX ||
		    g->n_pcap == 10000000) {
			fprintf(stderr, "srtpgen: --pcap %s: frame %u: length %u (or too many)\n",
				path, g->n_pcap, r[2]);
			goto out;
		}
		if (g->n_pcap == cap) {
			cap = cap ? 2 * cap : 1024;
			g->pcap_off = realloc(g->pcap_off, cap * sizeof(uint32_t));
			g->pcap_len = realloc(g->pcap_len, cap * sizeof(uint32_t));
		}
		if (used + r[2] > size) {
			size = size ? 2 * size : 1 << 20;
			g->pcap_buf = realloc(g->pcap_buf, size);
		}
		if (g->pcap_off == NULL || g->pcap_len == NULL || g->pcap_buf == NULL) {
			fprintf(stderr, "srtpgen: --pcap: out of memory\n");
			goto out;
		}
		p = g->pcap_buf + used;
		if (fread(p, r[2], 1, f) != 1) {
			fprintf(stderr, "srtpgen: --pcap %s: truncated\n", path);
			goto out;
		}
		l4 = 14 + (p[12] == 0x86 && p[13] == 0xdd ? 40 : (p[14] & 15u) * 4);
		port = (unsigned int)p[l4 + 2] << 8 | p[l4 + 3];
		i = (uint32_t)(port - g->o.local_port) / 2;
		if (l4 + 8 > r[2] || port < g->o.local_port || i >= g->o.sessions) {
			fprintf(stderr,
				"srtpgen: --pcap %s: frame %u is not to a session of the script\n",
				path, g->n_pcap);
			goto out;
		}
		g->s[i].sent[g->dir]++;
		g->pcap_off[g->n_pcap] = (uint32_t)used;
		g->pcap_len[g->n_pcap++] = r[2];
		used += r[2];
	}
	rc = g->n_pcap > 0 ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "srtpgen: --pcap %s: no frames\n", path);
out:
	fclose(f);
	return rc;
}

/* One packet per session, again for those whose media has not come back,
 * until all have or the time is up. @return sessions that came back. */
static uint32_t
warm_up(struct gen *g)
{
	uint64_t end = rte_rdtsc() + ms_tsc(g, g->r->warmup_ms);
	uint32_t back = 0;

	for (unsigned int round = 0; round < WARM_ROUNDS && rte_rdtsc() < end; round++) {
		uint64_t round_end = rte_rdtsc() + ms_tsc(g, g->r->warmup_ms / WARM_ROUNDS);

		for (uint32_t i = 0; i < g->o.sessions; i++) {
			uint32_t next = i;

			if (!g->seen[i])
				send_some(g, 1, &next);
			if (i % BURST == BURST - 1)
				poll_rx(g);
		}
		while (rte_rdtsc() < round_end) {
			poll_rx(g);
			back = 0;
			for (uint32_t i = 0; i < g->o.sessions; i++)
				back += g->seen[i];
			if (back == g->o.sessions)
				return back;
		}
	}
	return back;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	uint32_t rate;
	double offered_pps, received_pps, p50_us, p99_us;
	uint64_t offered, refused, received, verified, late, other, loss;
	uint64_t bad[BAD_MAX];
};

static void
run_case(struct gen *g, uint32_t rate, struct result *res)
{
	const uint64_t t0 = rte_rdtsc(), dur = ms_tsc(g, g->r->duration_ms);
	uint64_t attempts = 0, now, drain_end;
	uint32_t next = 0;
	double sec = (double)g->r->duration_ms / 1000.0;

	phase_reset(g);
	while ((now = rte_rdtsc()) < t0 + dur) {
		/* packets due by now at @p rate, from the start of the case */
		uint64_t due = (uint64_t)((double)(now - t0) * rate / (double)g->hz);

		if (due > attempts)
			attempts += send_some(g, (unsigned int)(due - attempts), &next);
		poll_rx(g);
	}
	drain_end = rte_rdtsc() + ms_tsc(g, DRAIN_MS);
	while (rte_rdtsc() < drain_end && g->received < g->offered)
		poll_rx(g);
	/* and a little more: anything extra (duplicates) would show */
	drain_end = rte_rdtsc() + ms_tsc(g, 20);
	while (rte_rdtsc() < drain_end)
		poll_rx(g);
	memset(res, 0, sizeof(*res));
	res->rate = rate;
	res->offered = g->offered;
	res->refused = g->refused;
	res->received = g->received;
	res->verified = g->verified;
	res->late = g->late;
	res->other = g->other;
	res->loss = g->offered > g->received ? g->offered - g->received : 0;
	memcpy(res->bad, g->bad, sizeof(res->bad));
	res->offered_pps = (double)g->offered / sec;
	res->received_pps = (double)g->received / sec;
	if (g->n_lat > 0) {
		qsort(g->lat, g->n_lat, sizeof(g->lat[0]), cmp_u64);
		res->p50_us = (double)g->lat[(g->n_lat - 1) / 2] * 1e6 / (double)g->hz;
		res->p99_us =
			(double)g->lat[(uint64_t)(g->n_lat - 1) * 99 / 100] * 1e6 / (double)g->hz;
	}
}

static const char *
suite_field(const struct gen_opts *o, char *buf, size_t len)
{
	if (o->suite[0] == o->suite[1])
		snprintf(buf, len, "%s", gen_suite_name(o->suite[0]));
	else
		snprintf(buf, len, "%s/%s", gen_suite_name(o->suite[0]),
			 gen_suite_name(o->suite[1]));
	return buf;
}

static void
report(const struct gen *g, const struct result *res, unsigned int n)
{
	char suite[96];
	int any_bad = 0;

	printf("\n%-9s %12s %12s %9s %9s %9s %21s %9s %6s %7s\n", "rate pps", "offered pps",
	       "received pps", "loss", "p50 us", "p99 us", "verified/received", "tx full", "late",
	       "other");
	for (unsigned int c = 0; c < n; c++) {
		char v[48];

		snprintf(v, sizeof(v), "%" PRIu64 "/%" PRIu64, res[c].verified, res[c].received);
		printf("%-9u %12.0f %12.0f %9" PRIu64 " %9.1f %9.1f %21s %9" PRIu64 " %6" PRIu64
		       " %7" PRIu64 "\n",
		       res[c].rate, res[c].offered_pps, res[c].received_pps, res[c].loss,
		       res[c].p50_us, res[c].p99_us, v, res[c].refused, res[c].late, res[c].other);
		for (unsigned int b = 0; b < BAD_MAX; b++)
			any_bad |= res[c].bad[b] != 0;
	}
	if (any_bad) {
		printf("\nnot verified, by reason:\n");
		for (unsigned int c = 0; c < n; c++)
			for (unsigned int b = 0; b < BAD_MAX; b++)
				if (res[c].bad[b] != 0)
					printf("  rate %u: %s %" PRIu64 "\n", res[c].rate,
					       bad_name[b], res[c].bad[b]);
	}
	printf("\n");
	for (unsigned int c = 0; c < n; c++)
		printf("srtpgen mode=gen suite=%s ip=%d sessions=%u size=%u offered_pps=%.0f "
		       "received_pps=%.0f loss=%" PRIu64
		       " p50_us=%.1f p99_us=%.1f verified=%" PRIu64 "/%" PRIu64 "\n",
		       suite_field(&g->o, suite, sizeof(suite)), g->o.ip6 ? 6 : 4, g->o.sessions,
		       g->o.size, res[c].offered_pps, res[c].received_pps, res[c].loss,
		       res[c].p50_us, res[c].p99_us, res[c].verified, res[c].received);
}

int
gen_run(const struct gen_opts *o, const struct gen_run_opts *r, int eal_argc, char **eal_argv)
{
	static struct gen g;
	static struct result res[GEN_RATES_MAX];
	char err[256], suite[96];
	uint32_t back;
	int rc = 1, created = 0;

	if (r->ctl == NULL && r->script == NULL) {
		fprintf(stderr,
			"srtpgen gen: --ctl SOCKET is required (srtpfwd's control socket)\n");
		return 2;
	}
	if (r->duration_ms == 0) {
		fprintf(stderr, "srtpgen gen: --duration must be at least 1 s\n");
		return 2;
	}
	g.o = *o;
	g.r = r;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "srtpgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	g.hz = rte_get_tsc_hz();
	if (rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "srtpgen gen: needs two ports (side 0 and side 1), found %u\n",
			rte_eth_dev_count_avail());
		goto out_eal;
	}
	g.port[0] = 0;
	g.port[1] = 1;
	g.pool = rte_pktmbuf_pool_create("srtpgen", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	g.lat = malloc(LAT_MAX * sizeof(*g.lat));
	if (g.pool == NULL || g.lat == NULL) {
		fprintf(stderr, "srtpgen: out of memory\n");
		goto out_eal;
	}
	if (port_init(&g, 0) != 0 || port_init(&g, 1) != 0)
		goto out_eal;
	g.dir = r->dir;
	if (r->script != NULL)
		g.s = gen_read_script(r->script, &g.o, err, sizeof(err));
	else
		g.s = gen_sessions_new(&g.o, err, sizeof(err));
	if (g.s == NULL) {
		fprintf(stderr, "srtpgen: %s\n", err);
		goto out_eal;
	}
	if (r->pcap != NULL && pcap_load(&g, r->pcap) != 0)
		goto out;
	g.slot = calloc(g.o.sessions, sizeof(*g.slot));
	g.first_k = calloc(g.o.sessions, sizeof(*g.first_k));
	g.seen = calloc(g.o.sessions, 1);
	if (g.slot == NULL || g.first_k == NULL || g.seen == NULL) {
		fprintf(stderr, "srtpgen: out of memory\n");
		goto out;
	}
	printf("srtpgen gen: %u sessions, %s, IPv%d, %u B payload, port %u -> srtpfwd -> port "
	       "%u, %s, %u ms a rate\n",
	       g.o.sessions, suite_field(&g.o, suite, sizeof(suite)), g.o.ip6 ? 6 : 4, g.o.size,
	       g.port[g.dir], g.port[1 - g.dir], r->pcap != NULL ? r->pcap : "frames built",
	       r->duration_ms);
	if (r->script == NULL) {
		created = 1;
		if (sessions_create(&g) != 0)
			goto out;
	}
	if (resolve(&g) != 0)
		goto out;
	phase_reset(&g);
	if (r->pcap == NULL) {
		back = warm_up(&g);
		printf("warm-up: %u of %u sessions forwarding\n", back, g.o.sessions);
	}
	for (unsigned int c = 0; c < r->n_rates; c++)
		run_case(&g, r->rates[c], &res[c]);
	report(&g, res, r->n_rates);
	rc = 0;
	for (unsigned int c = 0; c < r->n_rates; c++)
		if (res[c].received == 0 || res[c].verified != res[c].received)
			rc = 1;
out:
	if (created && !r->keep)
		sessions_delete(&g);
	gen_sessions_free(&g.o, g.s);
out_eal:
	for (unsigned int side = 0; side < 2; side++)
		if (side < rte_eth_dev_count_avail())
			rte_eth_dev_stop(g.port[side]);
	free(g.slot);
	free(g.first_k);
	free(g.seen);
	free(g.lat);
	free(g.pcap_buf);
	free(g.pcap_off);
	free(g.pcap_len);
	rte_eal_cleanup();
	return rc;
}
