/* fwd_bench.c: forwarding throughput of the real worker path.
 *
 * A real EAL (--no-huge) with two ethdev ports made of rings, each with one
 * queue per worker. For each worker count, action, IP version and session
 * count, sessions are created once through the sessions API, then run at
 * each packet size (their streams carry on). Each round of packets (spread
 * over every session; a session's packets always go to the same worker's
 * queue, as RSS on destination address and port does) is built outside the
 * timing - SRTP inputs are protected by the engine with the sending peer's
 * key - then enqueued on port 0's receive rings, and only the workers'
 * loops are timed until their rings are empty and their tx buffers flushed.
 * With two workers the second runs on lcore 1 while the main lcore runs the
 * first; both start once lcore 1 is awake, and the round lasts from the
 * first start to the last end. Every packet must come out on port 1, on its
 * worker's queue (checked), so nothing is timed that did not forward.
 * Bounded: ROUNDS rounds a case.
 *
 * Then an overload case: a generator on lcore 1 offers pre-built frames
 * for 1000 sessions faster than one worker forwards them; the excess is
 * refused at rx (ring full, what a NIC counts as imissed), everything the
 * ring took must come out on port 1, and every session must have frames
 * among them (told apart by RTP SSRC).
 *
 * Output: a table, then one line per case:
 *   fwd action=<plain|decrypt|encrypt|rekey> ip=<4|6|46> sessions=<n>
 *       size=<bytes> workers=<n> mpps_per_core=<x.xx> cycles_per_pkt=<n>
 *   (the table also gives the total, and the share of each worker's queue)
 *   fwd overload action=plain ip=4 sessions=1000 size=172 workers=1
 *       offered_mpps=<x.xx> forwarded_mpps=<x.xx> sessions_forwarding=<n>/<n>
 *       dropped_at_rx=<n>
 *
 * Usage: fwd_bench [--quick]
 */
#include <getopt.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_memcpy.h>
#include <rte_thash.h>

#include "control/sessions.h"
#include "dataplane/worker.h"
#include "dataplane/tx.h"
#include "tests/ring_ports.h"
#include "tests/engine.h"

#define ROUND 8192 /* packets per timed round, all workers together */
#define RING_SIZE 16384
#define SIZE_MAX_ 1200
#define WORKERS_MAX 2

static int ROUNDS = 20;
static struct rte_mempool *POOL;
static struct rte_ring *RX[2][WORKERS_MAX], *TX[2][WORKERS_MAX]; /* [port][queue] */
static uint16_t PORT[2];
static struct rte_ether_addr PMAC[2];
static struct worker *W, *WK[WORKERS_MAX];

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
	uint32_t rss; /* RSS hash of its leg-0 destination: rss_of() */
};

/* The RSS hash a NIC computes for the daemon's RSS_DST_ONLY (destination
 * address and UDP port): Toeplitz with the usual 40-byte default key (the
 * one testpmd and many PMDs use). With a round-robin redirection table the
 * packet goes to queue hash % queues. */
static uint32_t
rss_of(const struct bench_session *s)
{
	static const uint8_t key[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
					0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
					0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
					0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
	uint32_t tuple[5];
	unsigned int n = 0;
	uint8_t a[16];

	addr_of(0, s->ip6, s->addr_k, a);
	for (unsigned int i = 0; i < (s->ip6 ? 16u : 4u); i += 4)
		tuple[n++] = (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
			     (uint32_t)a[i + 2] << 8 | a[i + 3];
	tuple[n++] = (uint32_t)s->port0 << 16; /* the port, then the hash input ends */
	return rte_softrss(tuple, n, key);
}

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

/* Why worker @p k dropped what it dropped, on stderr. */
static void
print_drops(unsigned int k)
{
	for (unsigned int d = 0; d < DROP_MAX; d++)
		if (WK[k]->stats.drop[d])
			fprintf(stderr, "  worker %u %s %lu\n", k,
				drop_reason_name((enum drop_reason)d),
				(unsigned long)WK[k]->stats.drop[d]);
}

struct result {
	double mpps_total, mpps, cycles;
	unsigned int q0_pct; /* the round's share on worker 0's queue, % */
};

/* One worker's part of a timed round. */
struct lane {
	struct worker *w;
	uint64_t c0, c1;
};
static struct lane LANE[WORKERS_MAX];
static unsigned int N_LANES, ARRIVED; /* workers this round, at the start line */

/* Worker k's share of a timed round: wait until every worker is running
 * (lcore 1 wakes from rte_eal_remote_launch's pipe, a cost no running
 * worker pays), poll until its rx ring is empty, then send what its tx
 * buffers hold. Bounded: while the ring holds packets a poll takes one.
 * @return -1 if the other worker never came. */
static int
drain(void *arg)
{
	struct lane *l = arg;
	/* 10 s: on a loaded 2-vCPU VM the other lcore's thread once took
	 * more than a second to be scheduled (CI) */
	uint64_t limit = rte_rdtsc() + 10 * rte_get_tsc_hz();
	unsigned int polls = 0;
	int late = 0;

	__atomic_add_fetch(&ARRIVED, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&ARRIVED, __ATOMIC_ACQUIRE) < N_LANES && !late) {
		rte_pause();
		late = rte_rdtsc() > limit;
	}
	l->c0 = rte_rdtsc();
	while (rte_ring_count(RX[0][l->w->rxq]) > 0 && polls++ < ROUND)
		worker_poll(l->w);
	tx_flush(l->w);
	l->c1 = rte_rdtsc();
	return late ? -1 : 0;
}

/* One case's sessions and the peers sending to them, set up once and run
 * at every size: building 100k sessions costs more than timing them. */
struct bench_case {
	enum action act;
	unsigned int ipmode;
	uint32_t n_sess;
	uint32_t next; /* session of the next round's first packet */
	struct sessions *ss;
	struct bench_session *bs;
	/* The leg-0 peers' senders (one per session: a direction holds only
	 * a few SSRCs), for SRTP inputs. */
	struct srtp_dir *peer_tx;
	struct srtp_keys *peer_key;
};

static void
case_setup(struct bench_case *c, enum action act, unsigned int ipmode, uint32_t n_sess)
{
	struct dir_keys k0, k1;
	const struct srtp_keys *ret[2];

	memset(c, 0, sizeof(*c));
	c->act = act;
	c->ipmode = ipmode;
	c->n_sess = n_sess;
	c->ss = table_new(n_sess);
	c->bs = calloc(n_sess, sizeof(*c->bs));
	c->peer_tx = aligned_alloc(64, sizeof(struct srtp_dir) * n_sess);
	if (c->bs == NULL || c->peer_tx == NULL)
		die("out of memory");
	keys_of(&k0, 1);
	keys_of(&k1, 2);
	c->peer_key = engine_keys(W, SUITE_AES_CM_128_HMAC_SHA1_80, k0.key, k0.salt, NULL, 0);
	for (uint32_t i = 0; i < n_sess; i++) {
		srtp_dir_init(&c->peer_tx[i]);
		srtp_dir_set_keys(&c->peer_tx[i], c->peer_key, false, ret);
	}
	for (uint32_t i = 0; i < n_sess; i++) {
		struct bench_session *b = &c->bs[i];
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
		if (sessions_create(c->ss, &p, &b->slot, err, sizeof(err)) != 0)
			die(err);
		b->port0 = sessions_get(c->ss, b->slot)->leg[0].local_port;
		b->ip6 = (uint8_t)ip0;
		b->addr_k = (uint8_t)(i % ADDRS_PER_SIDE);
		b->ssrc = 0x10000000u + i;
		b->seq = 1;
		b->rss = rss_of(b);
	}
	for (unsigned int k = 0; k < WORKERS_MAX; k++)
		WK[k]->table = sessions_table(c->ss);
}

static void
case_free(struct bench_case *c)
{
	sessions_free(c->ss);
	free(c->bs);
	free(c->peer_tx);
	keys_destroy(c->peer_key);
}

/* ROUNDS timed rounds of @p size-byte RTP packets on @p n_workers workers;
 * the sessions' streams go on where the last run left them. */
static struct result
case_run(struct bench_case *c, unsigned int size, unsigned int n_workers)
{
	uint64_t best = UINT64_MAX, fed[WORKERS_MAX] = {0}, pkts[WORKERS_MAX] = {0};
	const unsigned int per_round = ROUND;
	unsigned int q0 = 0;

	for (int r = 0; r < ROUNDS; r++) {
		static struct rte_mbuf *m[ROUND], *q[WORKERS_MAX][ROUND];
		unsigned int nq[WORKERS_MAX] = {0};
		uint64_t c0, c1;
		unsigned int out = 0;
		int late;

		/* Build the round: packet j for session (next + j) % n_sess, on
		 * the queue of the worker that owns the session. */
		if (rte_pktmbuf_alloc_bulk(POOL, m, per_round) != 0)
			die("mbuf pool empty");
		for (unsigned int j = 0; j < per_round; j++) {
			uint32_t si = (c->next + j) % c->n_sess;
			struct bench_session *s = &c->bs[si];
			uint8_t rtp[SIZE_MAX_ + 64], f[SIZE_MAX_ + 200];
			unsigned int n = build_rtp(rtp, s->ssrc, s->seq++, 0, size - 12, 0, -1, 0);

			if (c->act == ACT_DECRYPT || c->act == ACT_REKEY) {
				if (engine_one(W, &c->peer_tx[si], 1, 0, rtp, &n) != 0)
					die("could not protect an input packet");
			}
			n = frame(f, s, rtp, n);
			memcpy(rte_pktmbuf_append(m[j], (uint16_t)n), f, n);
			q[s->rss % n_workers][nq[s->rss % n_workers]++] = m[j];
		}
		c->next = (c->next + per_round) % c->n_sess;
		for (unsigned int k = 0; k < n_workers; k++) {
			if (rte_ring_enqueue_bulk(RX[0][k], (void **)q[k], nq[k], NULL) != nq[k])
				die("rx ring full");
			fed[k] += nq[k];
		}
		q0 = nq[0];

		/* The round takes from the first worker's start to the last
		 * one's end: a worker with fewer packets idles, as it would. */
		N_LANES = n_workers;
		ARRIVED = 0;
		for (unsigned int k = 1; k < n_workers; k++)
			if (rte_eal_remote_launch(drain, &LANE[k], k) != 0)
				die("lcore busy");
		late = drain(&LANE[0]);
		c0 = LANE[0].c0;
		c1 = LANE[0].c1;
		for (unsigned int k = 1; k < n_workers; k++) {
			late |= rte_eal_wait_lcore(k);
			c0 = RTE_MIN(c0, LANE[k].c0);
			c1 = RTE_MAX(c1, LANE[k].c1);
		}
		if (late != 0)
			die("a worker lcore did not start within 10 s");

		/* Everything must have come out on port 1, on the queue of the
		 * worker it was given to. */
		for (unsigned int k = 0; k < n_workers; k++)
			while ((out = rte_ring_dequeue_burst(TX[1][k], (void **)m, ROUND, NULL)) >
			       0) {
				pkts[k] += out;
				rte_pktmbuf_free_bulk(m, out);
			}
		if (c1 - c0 < best)
			best = c1 - c0;
	}
	for (unsigned int k = 0; k < n_workers; k++) {
		if (pkts[k] == fed[k])
			continue;
		fprintf(stderr,
			"fwd_bench: %s ip=%u sessions=%u size=%u workers=%u: worker %u forwarded "
			"%lu of %lu\n",
			action_name[c->act], c->ipmode, c->n_sess, size, n_workers, k,
			(unsigned long)pkts[k], (unsigned long)fed[k]);
		print_drops(k);
		exit(1);
	}
	/* per core: the round's packets over the wall time, per worker */
	return (struct result){per_round * (double)rte_get_tsc_hz() / (double)best / 1e6,
			       per_round * (double)rte_get_tsc_hz() / (double)best / 1e6 /
				       n_workers,
			       (double)best * n_workers / per_round, 100 * q0 / per_round};
}

/* Run a case, print its table row and its key=value line into @p line. */
static void
case_report(struct bench_case *c, unsigned int size, unsigned int n_workers, char *line,
	    size_t line_len)
{
	struct result r = case_run(c, size, n_workers);

	printf("%-8s %3u %9u %5u %7u %10.2f %10.2f %10.0f %5u/%-3u\n", action_name[c->act],
	       c->ipmode, c->n_sess, size, n_workers, r.mpps_total, r.mpps, r.cycles, r.q0_pct,
	       100 - r.q0_pct);
	fflush(stdout);
	snprintf(line, line_len,
		 "fwd action=%s ip=%u sessions=%u size=%u workers=%u mpps_per_core=%.2f "
		 "cycles_per_pkt=%.0f",
		 action_name[c->act], c->ipmode, c->n_sess, size, n_workers, r.mpps, r.cycles);
}

#define LINES_MAX (ACT_MAX * 3 * 3 * 3 * WORKERS_MAX + 1)
#define LINE_LEN 240

/* Every case on @p n_workers workers; key=value lines appended to @p lines. */
static void
run_pass(unsigned int n_workers, char (*lines)[LINE_LEN], unsigned int *nl)
{
	static const uint32_t counts[] = {1, 1000, 100000};
	static const unsigned int ipmodes[] = {4, 6, 46};
	static const unsigned int sizes[] = {100, 172, 1200}; /* all for rekey, 172 for the rest */

	for (unsigned int a = 0; a < ACT_MAX; a++)
		for (unsigned int i = 0; i < RTE_DIM(ipmodes); i++)
			for (unsigned int c = 0; c < RTE_DIM(counts); c++) {
				struct bench_case bc;

				case_setup(&bc, (enum action)a, ipmodes[i], counts[c]);
				for (unsigned int z = 0; z < RTE_DIM(sizes); z++)
					if (a == ACT_REKEY || sizes[z] == 172)
						case_report(&bc, sizes[z], n_workers,
							    lines[(*nl)++], LINE_LEN);
				case_free(&bc);
			}
}

/* Ports 0 and 1, each of WORKERS_MAX queues made of rings. */
static void
ports_open(void)
{
	for (unsigned int p = 0; p < 2; p++) {
		struct rte_eth_conf conf;
		char name[32];
		int id;

		for (unsigned int q = 0; q < WORKERS_MAX; q++) {
			snprintf(name, sizeof(name), "rx%u_%u", p, q);
			RX[p][q] =
				rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "tx%u_%u", p, q);
			TX[p][q] =
				rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (RX[p][q] == NULL || TX[p][q] == NULL)
				die("rings");
		}
		snprintf(name, sizeof(name), "ring%u", p);
		id = rte_eth_from_rings(name, RX[p], WORKERS_MAX, TX[p], WORKERS_MAX, 0);
		if (id < 0)
			die("ring port");
		PORT[p] = (uint16_t)id;
		memset(&conf, 0, sizeof(conf));
		if (rte_eth_dev_configure(PORT[p], WORKERS_MAX, WORKERS_MAX, &conf) != 0)
			die("port configure");
		for (uint16_t q = 0; q < WORKERS_MAX; q++)
			if (rte_eth_rx_queue_setup(PORT[p], q, 256, 0, NULL, POOL) != 0 ||
			    rte_eth_tx_queue_setup(PORT[p], q, 256, 0, NULL) != 0)
				die("queue set-up");
		if (rte_eth_dev_start(PORT[p]) != 0)
			die("port start");
		rte_eth_macaddr_get(PORT[p], &PMAC[p]);
	}
}

/* ---- overload ---- */

#define OVL_SESSIONS 1000
#define OVL_SSRC 0x20000000u /* + session: how the sink tells them apart */

static bool GEN_STOP; /* main: w, lcore 1: r */
static uint64_t GEN_OFFERED, GEN_REFUSED; /* lcore 1: w; main reads after it stopped */
static struct rte_mbuf *GEN_FRAMES[OVL_SESSIONS];

/* lcore 1: offer copies of the pre-built frames, round robin over the
 * sessions, as fast as it can; what the rx ring refuses is counted.
 * Bounded by *arg, a TSC deadline, should the stop never come. */
static int
generate(void *arg)
{
	const uint64_t deadline = *(const uint64_t *)arg;

	for (unsigned int i = 0;
	     !__atomic_load_n(&GEN_STOP, __ATOMIC_RELAXED) && rte_rdtsc() < deadline;
	     i = (i + 32) % OVL_SESSIONS) {
		struct rte_mbuf *m[32];
		unsigned int k;

		if (rte_pktmbuf_alloc_bulk(POOL, m, 32) != 0)
			continue; /* the pool is full of queued packets: also overload */
		for (k = 0; k < 32; k++) {
			const struct rte_mbuf *t = GEN_FRAMES[(i + k) % OVL_SESSIONS];

			rte_memcpy(rte_pktmbuf_append(m[k], t->data_len),
				   rte_pktmbuf_mtod(t, const void *), t->data_len);
		}
		k = rte_ring_enqueue_burst(RX[0][0], (void **)m, 32, NULL);
		GEN_OFFERED += 32;
		GEN_REFUSED += 32 - k;
		if (k < 32)
			rte_pktmbuf_free_bulk(m + k, 32 - k);
	}
	return 0;
}

/* The far end of port 1's queue 0: take what it holds, count each frame
 * against the session its RTP SSRC names (anything else in *stray), free
 * them. Bounded: only the caller's worker fills the ring. @return frames. */
static uint64_t
sink(uint32_t *got, uint64_t *stray)
{
	struct rte_mbuf *m[64];
	uint64_t total = 0;
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(TX[1][0], (void **)m, 64, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			/* untagged Ethernet, IPv4 without options, UDP, RTP */
			const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);
			uint32_t ssrc;

			memcpy(&ssrc, f + 14 + 20 + 8 + 8, 4);
			ssrc = rte_be_to_cpu_32(ssrc) - OVL_SSRC;
			if (m[i]->data_len >= 14 + 20 + 8 + 12 && f[12] == 0x08 && f[13] == 0 &&
			    f[14] == 0x45 && ssrc < OVL_SESSIONS)
				got[ssrc]++;
			else
				(*stray)++;
		}
		total += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	return total;
}

static void
overload(unsigned int ms, char *line, size_t line_len)
{
	const uint32_t n_sess = OVL_SESSIONS;
	struct sessions *ss = table_new(n_sess);
	static uint32_t got[OVL_SESSIONS];
	unsigned int forwarding = 0;
	uint64_t fwd = 0, after = 0, stray = 0, t0, t1, end, deadline;
	double sec;

	for (uint32_t i = 0; i < n_sess; i++) {
		struct session_params p;
		struct bench_session bs;
		uint8_t rtp[256], f[400];
		char err[256];
		unsigned int n;

		memset(&p, 0, sizeof(p));
		p.leg[0].local_addr = (uint8_t)addr_index(0, 0, i % ADDRS_PER_SIDE);
		p.leg[0].flags = LEG_RTCP_MUX;
		p.leg[0].remote.port = 30000;
		addr_of(0, 0, i % ADDRS_PER_SIDE, p.leg[0].remote.addr);
		p.leg[0].remote.addr[2] = 9;
		memset(p.leg[0].nh_mac, 0x02, 6);
		p.leg[1].local_addr = (uint8_t)addr_index(1, 0, i % ADDRS_PER_SIDE);
		p.leg[1].flags = LEG_RTCP_MUX;
		p.leg[1].remote.port = 40000;
		addr_of(1, 0, i % ADDRS_PER_SIDE, p.leg[1].remote.addr);
		p.leg[1].remote.addr[2] = 9;
		memset(p.leg[1].nh_mac, 0x04, 6);
		if (sessions_create(ss, &p, &bs.slot, err, sizeof(err)) != 0)
			die(err);
		bs.port0 = sessions_get(ss, bs.slot)->leg[0].local_port;
		bs.ip6 = 0;
		bs.addr_k = (uint8_t)(i % ADDRS_PER_SIDE);
		n = build_rtp(rtp, OVL_SSRC + i, 1, 0, 160, 0, -1, 0);
		n = frame(f, &bs, rtp, n);
		GEN_FRAMES[i] = rte_pktmbuf_alloc(POOL);
		if (GEN_FRAMES[i] == NULL)
			die("mbuf pool empty");
		memcpy(rte_pktmbuf_append(GEN_FRAMES[i], (uint16_t)n), f, n);
	}
	WK[0]->table = sessions_table(ss);
	__atomic_store_n(&GEN_STOP, false, __ATOMIC_RELAXED);
	GEN_OFFERED = GEN_REFUSED = 0;
	t0 = rte_rdtsc();
	end = t0 + rte_get_tsc_hz() / 1000 * ms;
	deadline = end + rte_get_tsc_hz();
	if (rte_eal_remote_launch(generate, &deadline, 1) != 0)
		die("lcore busy");
	while (rte_rdtsc() < end) {
		worker_poll(WK[0]);
		fwd += sink(got, &stray); /* the sink: part of the worker's cost here */
	}
	t1 = rte_rdtsc();
	__atomic_store_n(&GEN_STOP, true, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(1);
	/* What the ring took still forwards. Bounded: a poll takes one while
	 * any is queued. */
	for (unsigned int polls = 0; rte_ring_count(RX[0][0]) > 0 && polls < RING_SIZE; polls++)
		worker_poll(WK[0]);
	tx_flush(WK[0]);
	after = sink(got, &stray);
	for (uint32_t i = 0; i < n_sess; i++) {
		forwarding += got[i] > 0;
		rte_pktmbuf_free(GEN_FRAMES[i]);
	}
	sessions_free(ss);

	sec = (double)(t1 - t0) / (double)rte_get_tsc_hz();
	printf("overload: offered %.2f Mpps, forwarded %.2f Mpps, %lu refused at rx, "
	       "%u of %u sessions forwarding\n",
	       (double)GEN_OFFERED / sec / 1e6, (double)fwd / sec / 1e6, (unsigned long)GEN_REFUSED,
	       forwarding, n_sess);
	snprintf(line, line_len,
		 "fwd overload action=plain ip=4 sessions=%u size=172 workers=1 "
		 "offered_mpps=%.2f forwarded_mpps=%.2f sessions_forwarding=%u/%u "
		 "dropped_at_rx=%lu",
		 n_sess, (double)GEN_OFFERED / sec / 1e6, (double)fwd / sec / 1e6, forwarding,
		 n_sess, (unsigned long)GEN_REFUSED);
	/* The excess must be lost at rx and only there: whatever the ring
	 * took came out, and every session had some of it. */
	if (forwarding != n_sess || GEN_REFUSED == 0 || stray != 0 ||
	    fwd + after != GEN_OFFERED - GEN_REFUSED) {
		fprintf(stderr,
			"fwd_bench: overload: %u of %u sessions forwarded, %lu refused at rx, "
			"%lu of the %lu taken came out, %lu strays\n",
			forwarding, n_sess, (unsigned long)GEN_REFUSED,
			(unsigned long)(fwd + after), (unsigned long)(GEN_OFFERED - GEN_REFUSED),
			(unsigned long)stray);
		print_drops(0);
		exit(1);
	}
}

static int
eal_init(void)
{
	static char args[12][48];
	static const char *const a[] = {"fwd_bench",
					"--no-huge",
					"--no-pci",
					"--no-shconf",
					"-m",
					"1024",
					"-l",
					"0,1",
					"--log-level",
					"*:warning",
					"--file-prefix=srtpfwd_fwd_bench"};
	char *argv[12];

	for (unsigned int i = 0; i < RTE_DIM(a); i++) {
		snprintf(args[i], sizeof(args[i]), "%s", a[i]);
		argv[i] = args[i];
	}
	return rte_eal_init((int)RTE_DIM(a), argv);
}

int
main(int argc, char **argv)
{
	static char lines[LINES_MAX][LINE_LEN];
	unsigned int nl = 0, n_workers_max;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			ROUNDS = 2;
		} else {
			fprintf(stderr, "usage: fwd_bench [--quick]\n");
			return 2;
		}
	}
	if (eal_init() < 0)
		die("EAL init failed (needs two lcores: -l 0,1)");
	n_workers_max = RTE_MIN(rte_lcore_count(), (unsigned int)WORKERS_MAX);
	POOL = rte_pktmbuf_pool_create("pool", 4 * ROUND + 2047, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       0);
	if (POOL == NULL)
		die("mbuf pool");
	ports_open();
	for (unsigned int k = 0; k < WORKERS_MAX; k++) {
		WK[k] = engine_worker();
		WK[k]->id = k;
		WK[k]->n_ports = 1; /* only port 0 receives in this benchmark */
		WK[k]->ports[0] = PORT[0];
		WK[k]->rxq = WK[k]->txq = (uint16_t)k;
		WK[k]->parse.verify_udp_csum = 1;
		WK[k]->tsc_per_ms = rte_get_timer_hz() / 1000;
		WK[k]->tx_drain_tsc = rte_get_timer_hz() / 1000000 * TX_DRAIN_US;
		LANE[k].w = WK[k];
	}
	W = WK[0];

	printf("srtpfwd fwd_bench: the worker path over ring ports (no NIC), "
	       "AES_CM_128_HMAC_SHA1_80 "
	       "where SRTP, rounds of %d packets spread over every session, best of %d, "
	       "ipsec-mb %s\n\n",
	       ROUND, ROUNDS, W->crypto.arch);
	printf("%-8s %3s %9s %5s %7s %10s %10s %10s %9s\n", "action", "ip", "sessions", "size",
	       "workers", "Mpps total", "Mpps/core", "cycles/pkt", "q0/q1 %");
	/* Every one-worker case before lcore 1 is first launched: in A/B runs
	 * on this VM, one-worker figures taken after lcore 1 had been launched
	 * (even with a function that does nothing) came out up to 40 % lower,
	 * for a cause not found. */
	for (unsigned int nw = 1; nw <= n_workers_max; nw++)
		run_pass(nw, lines, &nl);
	if (n_workers_max > 1)
		overload(ROUNDS > 2 ? 2000 : 300, lines[nl++], LINE_LEN);
	printf("\n");
	for (unsigned int k = 0; k < nl; k++)
		printf("%s\n", lines[k]);
	for (unsigned int k = 0; k < WORKERS_MAX; k++)
		engine_worker_free(WK[k]);
	rte_eal_cleanup();
	return 0;
}
