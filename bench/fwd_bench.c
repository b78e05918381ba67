/* fwd_bench.c: forwarding throughput of the real worker path on one core.
 *
 * A real EAL (--no-huge) with two ethdev ports made of rings. For each case
 * (action x IP version x session count) sessions are created through the
 * sessions API, a round of packets (one per session, up to ROUND packets,
 * spread over every session) is built outside the timing - SRTP packets
 * are protected by the engine itself with the sending peer's key - then
 * enqueued on port 0's receive ring, and only worker_poll() is timed until
 * the ring is empty. Every packet must come out on port 1 (checked), so
 * nothing is timed that did not forward. Bounded: ROUNDS rounds a case.
 *
 * Output: a table, then one line per case:
 *   fwd action=<plain|decrypt|encrypt|rekey> ip=<4|6|46> sessions=<n>
 *       size=<bytes> workers=1 mpps_per_core=<x.xx> cycles_per_pkt=<n>
 *
 * Usage: fwd_bench [--quick]
 */
#include <getopt.h>
#include <time.h>

#include <rte_cycles.h>

#include "control/sessions.h"
#include "dataplane/worker.h"
#include "tests/ring_ports.h"
#include "tests/engine.h"

#define ROUND 8192 /* packets per timed round */
#define RING_SIZE 16384
#define SIZE 172 /* RTP packet: G.711 20 ms */

static int ROUNDS = 20;
static struct rte_mempool *POOL;
static struct rte_ring *RX[2], *TX[2];
static uint16_t PORT[2];
static struct rte_ether_addr PMAC[2];
static struct worker *W;

enum action { ACT_PLAIN, ACT_DECRYPT, ACT_ENCRYPT, ACT_REKEY, ACT_MAX };
static const char *const action_name[] = {"plain", "decrypt", "encrypt", "rekey"};

static void
die(const char *what)
{
	fprintf(stderr, "fwd_bench: %s\n", what);
	exit(1);
}

/* Local addresses: 4 IPv4 then 4 IPv6 on port 0 (leg 0), the same on port 1
 * (leg 1): 8 x ~64k ports of rtcp-mux legs hold 100k sessions. */
#define ADDRS_PER_SIDE 4
static void
addr_of(unsigned int side, unsigned int ip6, unsigned int k, uint8_t *a)
{
	memset(a, 0, 16);
	if (ip6) {
		a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
		a[14] = (uint8_t)(side + 1);
		a[15] = (uint8_t)(k + 1);
	} else {
		a[0] = 10, a[1] = (uint8_t)side, a[2] = 0, a[3] = (uint8_t)(k + 1);
	}
}

static unsigned int
addr_index(unsigned int side, unsigned int ip6, unsigned int k)
{
	return side * 2 * ADDRS_PER_SIDE + ip6 * ADDRS_PER_SIDE + k;
}

struct bench_session {
	uint32_t slot;
	uint16_t port0; /* leg 0 local port */
	uint8_t ip6; /* leg 0 family */
	uint8_t addr_k; /* which leg-0 local address */
	uint32_t ssrc;
	uint16_t seq;
};

static struct sessions *
table_new(uint32_t max_sessions)
{
	struct sessions_config cfg;
	char err[256];
	struct sessions *ss;

	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 1024;
	cfg.port_max = 65534;
	cfg.max_sessions = max_sessions;
	cfg.n_addrs = 4 * ADDRS_PER_SIDE;
	for (unsigned int side = 0; side < 2; side++)
		for (unsigned int ip6 = 0; ip6 < 2; ip6++)
			for (unsigned int k = 0; k < ADDRS_PER_SIDE; k++) {
				struct local_addr *a = &cfg.addrs[addr_index(side, ip6, k)];

				a->ip6 = (uint8_t)ip6;
				a->port_id = PORT[side];
				addr_of(side, ip6, k, a->addr);
				memcpy(a->mac, PMAC[side].addr_bytes, 6);
			}
	ss = sessions_new(&cfg, NULL, W->crypto.mgr, err, sizeof(err));
	if (ss == NULL)
		die(err);
	return ss;
}

static void
keys_of(struct dir_keys *k, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->present = 1;
	k->suite = SUITE_AES_CM_128_HMAC_SHA1_80;
	k->key_len = 16;
	k->salt_len = 14;
	engine_fill_key(SUITE_AES_CM_128_HMAC_SHA1_80, k->key, k->salt, seed);
}

/* Frame from the leg-0 peer to session s's leg-0 local endpoint. */
static unsigned int
frame(uint8_t *f, const struct bench_session *s, const uint8_t *msg, unsigned int len)
{
	static const uint8_t peer_mac[6] = {2, 2, 2, 2, 2, 2};
	uint8_t local[16], peer[16];

	addr_of(0, s->ip6, s->addr_k, local);
	memcpy(peer, local, 16);
	peer[s->ip6 ? 13 : 2] = 9; /* the peer: same prefix, another host */
	return udp_frame(f, PMAC[0].addr_bytes, peer_mac, s->ip6, peer, local, 30000, s->port0, msg,
			 len);
}

struct result {
	double mpps, cycles;
};

static struct result
run_case(enum action act, unsigned int ipmode, uint32_t n_sess)
{
	struct sessions *ss = table_new(n_sess);
	struct bench_session *bs = calloc(n_sess, sizeof(*bs));
	struct dir_keys k0, k1;
	/* The leg-0 peers' senders (one per session: a direction holds only
	 * a few SSRCs), for SRTP inputs. */
	struct srtp_dir *peer_tx = aligned_alloc(64, sizeof(struct srtp_dir) * n_sess);
	const struct srtp_keys *ret[2];
	struct srtp_keys *peer_key;
	uint64_t best = UINT64_MAX, pkts = 0;
	const unsigned int per_round = ROUND;
	uint32_t next = 0;

	if (bs == NULL || peer_tx == NULL)
		die("out of memory");
	keys_of(&k0, 1);
	keys_of(&k1, 2);
	peer_key = engine_keys(W, SUITE_AES_CM_128_HMAC_SHA1_80, k0.key, k0.salt, NULL, 0);
	for (uint32_t i = 0; i < n_sess; i++) {
		srtp_dir_init(&peer_tx[i]);
		srtp_dir_set_keys(&peer_tx[i], peer_key, false, ret);
	}
	for (uint32_t i = 0; i < n_sess; i++) {
		struct session_params p;
		char err[256];
		unsigned int ip0 = ipmode == 6, ip1 = ipmode != 4;

		memset(&p, 0, sizeof(p));
		p.id = i;
		p.leg[0].local_addr = (uint8_t)addr_index(0, ip0, i % ADDRS_PER_SIDE);
		p.leg[0].flags = LEG_RTCP_MUX;
		p.leg[0].remote.ip6 = (uint8_t)ip0;
		p.leg[0].remote.port = 30000;
		addr_of(0, ip0, i % ADDRS_PER_SIDE, p.leg[0].remote.addr);
		p.leg[0].remote.addr[ip0 ? 13 : 2] = 9;
		memset(p.leg[0].nh_mac, 0x02, 6);
		p.leg[1].local_addr = (uint8_t)addr_index(1, ip1, i % ADDRS_PER_SIDE);
		p.leg[1].flags = LEG_RTCP_MUX;
		p.leg[1].remote.ip6 = (uint8_t)ip1;
		p.leg[1].remote.port = 40000;
		addr_of(1, ip1, i % ADDRS_PER_SIDE, p.leg[1].remote.addr);
		p.leg[1].remote.addr[ip1 ? 13 : 2] = 9;
		memset(p.leg[1].nh_mac, 0x04, 6);
		if (act == ACT_DECRYPT || act == ACT_REKEY) {
			p.leg[0].flags |= LEG_SRTP;
			p.leg[0].in = k0;
			p.leg[0].out = k0;
		}
		if (act == ACT_ENCRYPT || act == ACT_REKEY) {
			p.leg[1].flags |= LEG_SRTP;
			p.leg[1].in = k1;
			p.leg[1].out = k1;
		}
		if (sessions_create(ss, &p, &bs[i].slot, err, sizeof(err)) != 0)
			die(err);
		bs[i].port0 = sessions_get(ss, bs[i].slot)->leg[0].local_port;
		bs[i].ip6 = (uint8_t)ip0;
		bs[i].addr_k = (uint8_t)(i % ADDRS_PER_SIDE);
		bs[i].ssrc = 0x10000000u + i;
		bs[i].seq = 1;
	}
	W->table = sessions_table(ss);

	for (int r = 0; r < ROUNDS; r++) {
		static struct rte_mbuf *m[ROUND];
		uint64_t c0, c1;
		unsigned int out = 0;

		/* Build the round: packet j for session (next + j) % n_sess. */
		if (rte_pktmbuf_alloc_bulk(POOL, m, per_round) != 0)
			die("mbuf pool empty");
		for (unsigned int j = 0; j < per_round; j++) {
			uint32_t si = (next + j) % n_sess;
			struct bench_session *s = &bs[si];
			uint8_t rtp[SIZE + 64], f[SIZE + 200];
			unsigned int n = build_rtp(rtp, s->ssrc, s->seq++, 0, SIZE - 12, 0, -1, 0);

			if (act == ACT_DECRYPT || act == ACT_REKEY) {
				if (engine_one(W, &peer_tx[si], 1, 0, rtp, &n) != 0)
					die("could not protect an input packet");
			}
			n = frame(f, s, rtp, n);
			memcpy(rte_pktmbuf_append(m[j], (uint16_t)n), f, n);
		}
		next = (next + per_round) % n_sess;
		if (rte_ring_enqueue_bulk(RX[0], (void **)m, per_round, NULL) != per_round)
			die("rx ring full");

		c0 = rte_rdtsc();
		while (rte_ring_count(RX[0]) > 0)
			worker_poll(W);
		c1 = rte_rdtsc();

		/* Everything must have come out on port 1. */
		while ((out = rte_ring_dequeue_burst(TX[1], (void **)m, ROUND, NULL)) > 0) {
			pkts += out;
			rte_pktmbuf_free_bulk(m, out);
		}
		if (c1 - c0 < best)
			best = c1 - c0;
	}
	if (pkts != (uint64_t)ROUNDS * per_round) {
		fprintf(stderr, "fwd_bench: %s ip=%u sessions=%u: %lu of %lu forwarded\n",
			action_name[act], ipmode, n_sess, (unsigned long)pkts,
			(unsigned long)ROUNDS * per_round);
		for (unsigned int d = 0; d < DROP_MAX; d++)
			if (W->stats.drop[d])
				fprintf(stderr, "  %s %lu\n", drop_reason_name((enum drop_reason)d),
					(unsigned long)W->stats.drop[d]);
		exit(1);
	}
	sessions_free(ss);
	free(bs);
	free(peer_tx);
	keys_destroy(peer_key);
	return (struct result){per_round * (double)rte_get_tsc_hz() / (double)best / 1e6,
			       (double)best / per_round};
}

int
main(int argc, char **argv)
{
	static const uint32_t counts[] = {1, 1000, 100000};
	static const unsigned int ipmodes[] = {4, 6, 46};
	char lines[ACT_MAX * 3 * 3][200];
	unsigned int nl = 0;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			ROUNDS = 2;
		} else {
			fprintf(stderr, "usage: fwd_bench [--quick]\n");
			return 2;
		}
	}
	if (ring_eal_init("fwd_bench", "1024") < 0)
		die("EAL init failed");
	POOL = rte_pktmbuf_pool_create("pool", 2 * ROUND + 1023, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       0);
	if (POOL == NULL)
		die("mbuf pool");
	if (ring_ports_open(POOL, 2, RING_SIZE, RX, TX, PORT, PMAC) != 0)
		die("ring ports");
	W = engine_worker();
	W->n_ports = 1; /* only port 0 receives in this benchmark */
	W->ports[0] = PORT[0];
	W->parse.verify_udp_csum = 1;

	printf("srtpfwd fwd_bench: one worker core, %d B RTP (AES_CM_128_HMAC_SHA1_80 where "
	       "SRTP), rounds of %d packets spread over every session, best of %d; ring "
	       "ports (no NIC), ipsec-mb %s\n\n",
	       SIZE, ROUND, ROUNDS, W->crypto.arch);
	printf("%-8s %3s %9s %10s %12s\n", "action", "ip", "sessions", "Mpps/core", "cycles/pkt");
	for (unsigned int a = 0; a < ACT_MAX; a++)
		for (unsigned int i = 0; i < RTE_DIM(ipmodes); i++)
			for (unsigned int c = 0; c < RTE_DIM(counts); c++) {
				struct result r = run_case((enum action)a, ipmodes[i], counts[c]);

				printf("%-8s %3u %9u %10.2f %12.0f\n", action_name[a], ipmodes[i],
				       counts[c], r.mpps, r.cycles);
				fflush(stdout);
				snprintf(lines[nl++], sizeof(lines[0]),
					 "fwd action=%s ip=%u sessions=%u size=%d workers=1 "
					 "mpps_per_core=%.2f cycles_per_pkt=%.0f",
					 action_name[a], ipmodes[i], counts[c], SIZE, r.mpps,
					 r.cycles);
			}
	printf("\n");
	for (unsigned int k = 0; k < nl; k++)
		printf("%s\n", lines[k]);
	engine_worker_free(W);
	rte_eal_cleanup();
	return 0;
}
