/* fuzz_path.c: libFuzzer target for the worker's packet path as
 * process_burst() runs it (dataplane/worker.c): parse_burst ->
 * lookup_burst -> srtp_unprotect_burst -> srtp_protect_burst ->
 * rewrite_burst, on bursts built from the input, against a real session
 * table made through control/sessions.h, without EAL. It stops before
 * tx_burst (which needs a DPDK port): the checks below take its place, and
 * the test mbufs are static, reused by the next burst.
 *
 * Sessions (made once, then snapshotted; every input starts from the
 * snapshot, so an input's result depends on it alone):
 *   S0 plain v4 <-> v4 (second leg behind a gateway, DSCP 46)
 *   S1 v4 (VLAN 100, rtcp-mux, DSCP 10) <-> v6, RTCP on port + 1
 *   S2 SRTP AES_CM_128_HMAC_SHA1_80 in, latching, remote moved (epoch 1)
 *      -> RTP out, rtcp-mux
 *   S3 RTP in, latching with no remote yet -> SRTP AEAD_AES_128_GCM out
 *      (VLAN 4094, rtcp-mux, DSCP 46)
 *   S4 SRTP -> SRTP, AES_CM_128_HMAC_SHA1_80 re-keyed with overlap <->
 *      AES_256_CM_HMAC_SHA1_32 with MKI, re-keyed with overlap (new MKI)
 *   S5 SRTP -> SRTP, AEAD_AES_256_GCM with MKI re-keyed with overlap
 *      (VLAN 4094, rtcp-mux) <-> AEAD_AES_128_GCM via an unresolved next
 *      hop (frames held: V_PUNT, DROP_NO_NEXTHOP)
 *   S6 passthrough v6 (rtcp-mux, remote port 65535) <-> v4 VLAN, latching
 *   S7 plain v6, latching with no remote <-> v6 via the unresolved hop
 *   S8 SRTP AES_256_CM_HMAC_SHA1_80, latching, no remote, rtcp-mux <-> v6
 *   S9 SRTP NULL_HMAC_SHA1_80 <-> SRTP AES_CM_128_HMAC_SHA1_32 on the last
 *      port of the range (rtcp-mux, remote port 65535), overlap ended
 *
 * Input: byte 0 = mode (bits 0-1) and options (bit 2: parse does not verify
 * UDP checksums; bit 3: mbufs say the NIC verified the checksums); byte 1
 * and 2 = the clock: burst k runs at 10^6 + 16 * (byte1 + k * byte2) ms.
 * Then records: a 2-byte big-endian word (bit 15: a new burst starts here,
 * the clock moves on; bits 11-13: the DPDK port a raw frame arrives on;
 * bits 0-10: length) and that many bytes. Packets for one DPDK port in a
 * row share a burst (BURST_MAX at most), as worker_poll() reads them.
 *   mode 0: each record is a raw frame.
 *   mode 1: a 6-byte descriptor, then an RTP/RTCP (or any) message, wrapped
 *           in a valid Ethernet/IP/UDP frame aimed at a local address and
 *           port chosen by the descriptor (a session leg's RTP or RTCP port,
 *           or no session).
 *   mode 2: as 1, but the message is first protected with the leg's real
 *           inbound key (the peer's), then mutated as the descriptor says.
 *   mode 3: each record's first byte picks 0, 1 or 2 for that record.
 * Descriptor: target, flags (see FL_*), var, mut (bits 0-1: flip a bit,
 * truncate; bits 2-4: which bit; bit 5: the previous key of a re-keyed leg;
 * bits 6-7: the sender's ROC), pos (where), idx (SRTCP index, high byte).
 *
 * Invariants (abort on violation), stage by stage:
 *   - every packet has a verdict, a dropped one a known reason that its
 *     stage may give; a packet that stopped stays stopped; each stage
 *     returns what it let through; the worker's drop counters are tx's;
 *   - lookup agrees with an independent scan of the sessions made here;
 *     SRTP legs always get their contexts;
 *   - unprotect/protect counters (worker and per SSRC half) add up to the
 *     verdicts; a message this harness protected decrypts to its plaintext;
 *     a mutated one never verifies (tags of 80 bits or more);
 *   - a forwarded (or held) frame has its tx port, lies inside its mbuf and
 *     has a well-formed egress header: lengths consistent with the mbuf,
 *     IPv4 header checksum and UDP checksum (RFC 1071, tests/csum.h) right,
 *     addresses, ports, VLAN, DSCP and MACs those of its legs; an untouched
 *     message leaves byte for byte as it came;
 *   - latching: a latching leg's remote is the source of the last RTP
 *     packet that reached rewrite on it, else unchanged; on an SRTP leg only
 *     packets whose tag verified get there.
 * Leaks: libFuzzer's leak detection (nothing is allocated per input).
 *
 * Seeds: tests/fuzz/make_corpus_path.py. Build: meson setup build-fuzz
 * -Dfuzz=true (CC=clang); run: build-fuzz/tests/fuzz/fuzz_path DIR
 * tests/fuzz/corpus_path. With FUZZ_PATH_RAW=dir set, every input of modes
 * 1-3 also writes the mode-0 input of the frames it built (seeds);
 * FUZZ_PATH_TRACE prints every packet's outcome, FUZZ_PATH_STATS how many
 * of each outcome a run had, at exit (which stages it reached).
 */
#include <stdio.h>
#include <stdlib.h>

#include "control/sessions.h"
#include "dataplane/lookup.h"
#include "dataplane/parse.h"
#include "dataplane/rewrite.h"
#include "dataplane/stats.h"
#include "tests/csum.h"
#include "tests/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(c)                                                                                    \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_path.c:%d: invariant broken: %s\n", __LINE__, #c);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The harness's own code is left out of coverage: its loops (checks over
 * every SSRC half, checksums byte by byte) only made features for libFuzzer
 * to weigh (70% of the time in its entropic scheduler, 1,300 exec/s). */
#define HARNESS __attribute__((no_sanitize("coverage")))

#define PORT_MIN 20000
#define PORT_MAX 20999
#define N_SESS 10
#define DESC_LEN 6
#define MAX_PKTS 256 /* per input */
#define MAX_BURSTS 32 /* per input */
#define MSG_MAX 1700 /* a message mode 2 protects: room left for any header and tag */
#define T_BASE 1000000u

enum { A4, A6, A4V, A6V, A4P, A6P, N_ADDRS };

/* Descriptor flags (byte 1). */
#define FL_SPOOF 0x01 /* source: another address than the leg's peer */
#define FL_SPORT 0x02 /* source port 65535 - var */
#define FL_ROUTER_MAC 0x04 /* source MAC: a router's, not the peer's */
#define FL_WRONG_PORT 0x08 /* arrives on the next DPDK port */
#define FL_CSUM_ZERO 0x10 /* no UDP checksum */
#define FL_CSUM_BAD 0x20 /* a wrong UDP checksum */
#define FL_HEADROOM 0x40 /* frame at data_off = var % 64, rounded down to even */
#define FL_SHARED 0x80 /* refcnt 2: not writable in place */

/* Descriptor mut (byte 3). */
#define MUT_FLIP 0x01
#define MUT_CUT 0x02
#define MUT_OLD_KEY 0x20

static const struct {
	uint8_t ip6;
	uint16_t port_id, vlan;
	uint8_t addr[16];
	uint8_t mac[6];
} ADDRS[N_ADDRS] = {
	[A4] = {0, 0, 0, {192, 0, 2, 10}, {0x02, 0, 0, 0, 0, 0x0a}},
	[A6] = {1, 0, 0, {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10}, {0x02, 0, 0, 0, 0, 0x0a}},
	[A4V] = {0, 1, 100, {192, 0, 2, 20}, {0x02, 0, 0, 0, 1, 0x0a}},
	[A6V] = {1, 1, 4094, {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x20}, {0x02, 0, 0, 0, 1, 0x0a}},
	[A4P] = {0, 2, 0, {203, 0, 113, 5}, {0x02, 0, 0, 0, 2, 0x0a}},
	[A6P] = {1, 3, 7, {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x05}, {0x02, 0, 0, 0, 3, 0x0a}},
};
static const uint8_t GW4[4] = {203, 0, 113, 1};
static const uint8_t GW6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x01};
static const uint8_t PEER_MAC[6] = {0x0e, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t ROUTER_MAC[6] = {0x0e, 0x98, 0x98, 0x98, 0x98, 0x98};
static const uint8_t NOT_LOCAL4[4] = {192, 0, 2, 99};

/* ---- the sessions ---- */

struct leg_def {
	uint8_t addr, flags, dscp;
	uint16_t local_port; /* 0: allocated */
	uint16_t remote_port; /* 0: none yet (latching) */
	uint8_t resolve; /* next hop left to resolve (never answered here) */
	int8_t suite; /* SRTP: both directions' suite; -1: no keys */
	uint8_t mki_len;
	uint8_t rekey; /* 1: both keys re-keyed, inbound overlap kept; 2: overlap ended */
	uint8_t move; /* sessions_update_leg moves the remote (epoch 1) */
};

#define SRTP LEG_SRTP
#define MUX LEG_RTCP_MUX
#define LATCH LEG_LATCH
#define PASS LEG_PASSTHROUGH

static const struct leg_def DEFS[N_SESS][2] = {
	{{A4, 0, 0, 0, 30000, 0, -1, 0, 0, 0}, {A4P, 0, 46, 0, 30002, 0, -1, 0, 0, 0}},
	{{A4V, MUX, 10, 0, 30010, 0, -1, 0, 0, 0}, {A6, 0, 0, 0, 30012, 0, -1, 0, 0, 0}},
	{{A6, SRTP | LATCH, 0, 0, 30020, 0, SUITE_AES_CM_128_HMAC_SHA1_80, 0, 0, 1},
	 {A4, MUX, 0, 0, 30022, 0, -1, 0, 0, 0}},
	{{A4, LATCH, 0, 0, 0, 0, -1, 0, 0, 0},
	 {A6V, SRTP | MUX, 46, 0, 30032, 0, SUITE_AEAD_AES_128_GCM, 0, 0, 0}},
	{{A4, SRTP, 0, 0, 30040, 0, SUITE_AES_CM_128_HMAC_SHA1_80, 0, 1, 0},
	 {A4P, SRTP, 0, 0, 30042, 0, SUITE_AES_256_CM_HMAC_SHA1_32, 4, 1, 0}},
	{{A6V, SRTP | MUX, 0, 0, 30050, 0, SUITE_AEAD_AES_256_GCM, 4, 1, 0},
	 {A6P, SRTP, 0, 0, 30052, 1, SUITE_AEAD_AES_128_GCM, 0, 0, 0}},
	{{A6, PASS | MUX, 0, 0, 65535, 0, -1, 0, 0, 0},
	 {A4V, PASS | LATCH, 0, 0, 30062, 0, -1, 0, 0, 0}},
	{{A6V, LATCH, 0, 0, 0, 0, -1, 0, 0, 0}, {A6P, 0, 12, 0, 30072, 1, -1, 0, 0, 0}},
	{{A4V, SRTP | LATCH | MUX, 0, 0, 0, 0, SUITE_AES_256_CM_HMAC_SHA1_80, 0, 0, 0},
	 {A6, 0, 0, 0, 30082, 0, -1, 0, 0, 0}},
	{{A4, SRTP, 0, 0, 30090, 0, SUITE_NULL_HMAC_SHA1_80, 0, 0, 0},
	 {A6, SRTP | MUX, 0, PORT_MAX, 65535, 0, SUITE_AES_CM_128_HMAC_SHA1_32, 0, 2, 0}},
};

/* What this harness knows of a leg. */
struct leg_info {
	uint32_t slot;
	struct srtp_keys *peer[2]; /* what the peer sends with: [0] now, [1] before a re-key */
	struct endpoint peer_src; /* the peer's address (its port when none is configured) */
};

/* Where a frame may be aimed. */
struct target {
	uint8_t ip6;
	uint16_t port_id, vlan;
	uint8_t addr[16];
	uint16_t port;
	int8_t sess, leg; /* -1: no session there */
	uint8_t rtcp_port;
};

static struct worker *W, *WP; /* the worker, and the peers' protect engine */
static struct sessions *SS;
static const struct session_table *T; /* the table the worker reads */
static struct leg_info LI[N_SESS][2];
static struct target TG[64];
static unsigned int N_TG;
static uint32_t SLOT_LO, SLOT_HI;
static struct session *SNAP;
static struct srtp_dir *PD; /* the peer's sending context, fresh for each message */

/* ---- per input ---- */

static struct test_mbuf *MB; /* BURST_MAX frames */
static struct test_mbuf *PM; /* the message being protected by the peer */

/* What the harness knows of each packet of the burst. */
struct pinfo {
	int8_t authentic; /* 1: protected here, unmutated; 0: protected, then mutated; -1: unknown
			   */
	int8_t built; /* 1: a well-formed frame built here (no checksum/headroom tricks) */
	uint16_t plain_len;
	const uint8_t *plain; /* the plaintext, when authentic */
};

static struct pinfo PI[BURST_MAX];
static uint8_t RXMSG[BURST_MAX][TEST_BUF_LEN]; /* messages as received (after parse) */
static uint16_t PRE_PROTECT_LEN[BURST_MAX];
static struct parse_opts OPTS;
static uint64_t OL_FLAGS;

/* FUZZ_PATH_TRACE: every packet's outcome; FUZZ_PATH_STATS: how many of
 * each outcome over the run, at exit (which stages a run reaches). */
static int TRACE;
static uint64_t *OUTCOMES; /* [3 + DROP_MAX]: fwd, punt, hold, drops by reason */

/* Raw-mode copy of what was built (FUZZ_PATH_RAW). */
static const char *RAW_DIR;
static uint8_t RAW[1 << 17];
static size_t RAW_LEN;

/* ---- setup ---- */

HARNESS static void
dkeys(struct dir_keys *k, enum suite s, unsigned int seed, unsigned int mki_len)
{
	memset(k, 0, sizeof(*k));
	k->present = 1;
	k->suite = (uint8_t)s;
	k->key_len = suites[s].key_len;
	k->salt_len = suites[s].salt_len;
	engine_fill_key(s, k->key, k->salt, (uint8_t)seed);
	k->mki_len = (uint8_t)mki_len;
	for (unsigned int i = 0; i < mki_len; i++)
		k->mki[i] = (uint8_t)(seed * 3 + i);
}

HARNESS static struct srtp_keys *
peer_keys(const struct dir_keys *k)
{
	return engine_keys(WP, (enum suite)k->suite, k->key, k->salt, k->mki, k->mki_len);
}

HARNESS static void
peer_addr(struct endpoint *e, unsigned int addr, unsigned int s, unsigned int l)
{
	memset(e, 0, sizeof(*e));
	e->ip6 = ADDRS[addr].ip6;
	if (!e->ip6) {
		e->addr[0] = 198, e->addr[1] = 51, e->addr[2] = 100;
		e->addr[3] = (uint8_t)(2 + s * 2 + l);
	} else {
		memcpy(e->addr, (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 0xff}, 6);
		e->addr[15] = (uint8_t)(2 + s * 2 + l);
	}
}

HARNESS static void
add_target(unsigned int addr, uint16_t port, int s, int l, int rtcp_port)
{
	struct target *t = &TG[N_TG++];

	t->ip6 = ADDRS[addr].ip6;
	t->port_id = ADDRS[addr].port_id;
	t->vlan = ADDRS[addr].vlan;
	memcpy(t->addr, ADDRS[addr].addr, 16);
	t->port = port;
	t->sess = (int8_t)s;
	t->leg = (int8_t)l;
	t->rtcp_port = (uint8_t)rtcp_port;
}

static void outcomes_print(void);

HARNESS static void
setup(void)
{
	struct sessions_config c;
	char err[256];

	W = engine_worker();
	WP = engine_worker();
	MB = aligned_alloc(64, sizeof(*MB) * BURST_MAX);
	PM = aligned_alloc(64, sizeof(*PM));
	if (posix_memalign((void **)&PD, 64, sizeof(*PD)) != 0 || MB == NULL || PM == NULL)
		abort();
	RAW_DIR = getenv("FUZZ_PATH_RAW");
	TRACE = getenv("FUZZ_PATH_TRACE") != NULL;
	if (getenv("FUZZ_PATH_STATS") != NULL) {
		OUTCOMES = calloc(3 + DROP_MAX, sizeof(*OUTCOMES));
		if (OUTCOMES == NULL)
			abort();
		atexit(outcomes_print);
	}
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
	/* the peers of A4P and A6P are off link, behind a gateway */
	c.routes[A4P].prefix_len = 24;
	c.routes[A4P].has_gw = 1;
	memcpy(c.routes[A4P].gw, GW4, 4);
	c.routes[A6P].prefix_len = 64;
	c.routes[A6P].has_gw = 1;
	memcpy(c.routes[A6P].gw, GW6, 16);
	c.max_sessions = 16;
	c.max_neighbours = 64;
	SS = sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err));
	if (SS == NULL) {
		fprintf(stderr, "sessions_new: %s\n", err);
		abort();
	}
	T = sessions_table(SS);

	for (unsigned int s = 0; s < N_SESS; s++) {
		struct session_params p;

		memset(&p, 0, sizeof(p));
		p.id = 100 + s;
		for (unsigned int l = 0; l < 2; l++) {
			const struct leg_def *d = &DEFS[s][l];
			struct leg_params *g = &p.leg[l];

			g->local_addr = d->addr;
			g->flags = d->flags;
			g->dscp = d->dscp;
			g->local_port = d->local_port;
			peer_addr(&g->remote, d->addr, s, l);
			LI[s][l].peer_src = g->remote;
			LI[s][l].peer_src.port = 31000 + (uint16_t)(s * 2 + l);
			g->remote.port = d->remote_port;
			if (d->remote_port == 0)
				memset(&g->remote, 0, sizeof(g->remote));
			else
				LI[s][l].peer_src.port = d->remote_port;
			if (!d->resolve) {
				memcpy(g->nh_mac, (const uint8_t[]){0x0a, 0, 0, 0, 0, 0}, 6);
				g->nh_mac[4] = (uint8_t)s;
				g->nh_mac[5] = (uint8_t)(l + 1);
			}
			if (d->suite >= 0) {
				dkeys(&g->in, (enum suite)d->suite, s * 16 + l * 4, d->mki_len);
				dkeys(&g->out, (enum suite)d->suite, s * 16 + l * 4 + 1,
				      d->mki_len);
				LI[s][l].peer[0] = peer_keys(&g->in);
			}
		}
		if (sessions_create(SS, &p, &LI[s][0].slot, err, sizeof(err)) != 0) {
			fprintf(stderr, "session %u: %s\n", s, err);
			abort();
		}
		LI[s][1].slot = LI[s][0].slot;
		for (unsigned int l = 0; l < 2; l++) {
			const struct leg_def *d = &DEFS[s][l];
			struct leg_update u;

			memset(&u, 0, sizeof(u));
			if (d->rekey) {
				dkeys(&u.in, (enum suite)d->suite, s * 16 + l * 4 + 2, d->mki_len);
				dkeys(&u.out, (enum suite)d->suite, s * 16 + l * 4 + 3, d->mki_len);
				LI[s][l].peer[1] = d->rekey == 1 ? LI[s][l].peer[0] : NULL;
				if (d->rekey == 2)
					keys_destroy(LI[s][l].peer[0]);
				LI[s][l].peer[0] = peer_keys(&u.in);
			}
			if (d->move) {
				u.has_remote = 1;
				peer_addr(&u.remote, d->addr, s + 20, l);
				u.remote.port = 30900;
				memcpy(u.nh_mac, (const uint8_t[]){0x0a, 0, 0, 0, 0x99, 1}, 6);
				LI[s][l].peer_src = u.remote;
			}
			if ((d->rekey || d->move) &&
			    sessions_update_leg(SS, LI[s][l].slot, l, &u, err, sizeof(err)) != 0) {
				fprintf(stderr, "session %u leg %u: %s\n", s, l, err);
				abort();
			}
			if (d->rekey == 2)
				sessions_end_overlap(SS, LI[s][l].slot, l);
			explicit_bzero(&u, sizeof(u));
		}
		explicit_bzero(&p, sizeof(p));
	}

	/* Targets: every leg's RTP port and RTCP port, then places with no
	 * session: a free port, the ports just outside the range, an address
	 * we do not own. */
	SLOT_LO = UINT32_MAX;
	SLOT_HI = 0;
	for (unsigned int s = 0; s < N_SESS; s++) {
		const struct session *x = sessions_get(SS, LI[s][0].slot);

		for (unsigned int l = 0; l < 2; l++) {
			add_target(x->leg[l].local_addr, x->leg[l].local_port, (int)s, (int)l, 0);
			if (!(x->leg[l].flags & LEG_RTCP_MUX))
				add_target(x->leg[l].local_addr,
					   (uint16_t)(x->leg[l].local_port + 1), (int)s, (int)l, 1);
		}
		SLOT_LO = LI[s][0].slot < SLOT_LO ? LI[s][0].slot : SLOT_LO;
		SLOT_HI = LI[s][0].slot > SLOT_HI ? LI[s][0].slot : SLOT_HI;
	}
	add_target(A4, PORT_MAX - 10, -1, -1, 0);
	add_target(A6V, PORT_MIN + 500, -1, -1, 0);
	add_target(A4, PORT_MIN - 1, -1, -1, 0);
	add_target(A6, PORT_MAX + 1, -1, -1, 0);
	add_target(A4, PORT_MIN + 2, -1, -1, 0);
	memcpy(TG[N_TG - 1].addr, NOT_LOCAL4, 4);

	SNAP = aligned_alloc(64, sizeof(struct session) * (SLOT_HI - SLOT_LO + 1));
	if (SNAP == NULL)
		abort();
	memcpy(SNAP, &T->pool[SLOT_LO], sizeof(struct session) * (SLOT_HI - SLOT_LO + 1));
}

/* ---- frames ---- */

HARNESS static void
mbuf_reset(struct test_mbuf *t, uint16_t data_off, unsigned int len)
{
	memset(&t->m, 0, sizeof(t->m));
	t->m.buf_addr = t->buf;
	t->m.buf_len = TEST_BUF_LEN;
	t->m.data_off = data_off;
	t->m.data_len = (uint16_t)len;
	t->m.pkt_len = len;
	t->m.nb_segs = 1;
	t->m.ol_flags = OL_FLAGS;
	rte_mbuf_refcnt_set(&t->m, 1);
}

HARNESS static uint16_t
udp_sum(int ip6, const uint8_t *l3, const uint8_t *udp, unsigned int len)
{
	uint32_t s = ocsum_add(0, l3 + (ip6 ? 8 : 12), ip6 ? 32 : 8);

	s += 17 + len;
	return ocsum_fold(ocsum_add(s, udp, len));
}

/* Build in @p t the frame a peer sends to target @p tg carrying @p msg.
 * @return the DPDK port it arrives on. */
HARNESS static uint16_t
frame_build(struct test_mbuf *t, const struct target *tg, const uint8_t *desc, const uint8_t *msg,
	    unsigned int len)
{
	uint8_t flags = desc[1], var = desc[2];
	/* even: DPDK keeps Ethernet headers 2-byte aligned (rte_ether_hdr) */
	uint16_t data_off = flags & FL_HEADROOM ? var % 64 & ~1u : TEST_HEADROOM;
	unsigned int hdr = (tg->vlan ? 18u : 14u) + (tg->ip6 ? 40u : 20u) + 8u, o = 12, l3, c;
	struct endpoint src;
	uint8_t *f;

	if (len > TEST_BUF_LEN - data_off - hdr)
		len = TEST_BUF_LEN - data_off - hdr;
	if (tg->sess >= 0) {
		src = LI[tg->sess][tg->leg].peer_src;
		src.port = (uint16_t)(src.port + tg->rtcp_port);
	} else {
		peer_addr(&src, tg->ip6 ? A6 : A4, 40, 0);
		src.port = 31999;
	}
	if (flags & FL_SPOOF)
		src.addr[tg->ip6 ? 15 : 3] = 0x66;
	if (flags & FL_SPORT)
		src.port = (uint16_t)(0xffff - var);

	mbuf_reset(t, data_off, hdr + len);
	f = t->buf + data_off;
	memcpy(f,
	       tg->sess >= 0 ? T->addrs[T->pool[LI[tg->sess][0].slot].leg[tg->leg].local_addr].mac
			     : ADDRS[A4].mac,
	       6);
	memcpy(f + 6, flags & FL_ROUTER_MAC ? ROUTER_MAC : PEER_MAC, 6);
	if (tg->vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, tg->vlan);
		o = 16;
	}
	put16(f + o, tg->ip6 ? 0x86dd : 0x0800);
	o += 2;
	l3 = o;
	if (!tg->ip6) {
		f[o] = 0x45;
		f[o + 1] = 0;
		put16(f + o + 2, 28 + len);
		put16(f + o + 4, var);
		put16(f + o + 6, 0x4000);
		f[o + 8] = 60;
		f[o + 9] = 17;
		put16(f + o + 10, 0);
		memcpy(f + o + 12, src.addr, 4);
		memcpy(f + o + 16, tg->addr, 4);
		put16(f + o + 10, (uint16_t)~ocsum_fold(ocsum_add(0, f + o, 20)));
		o += 20;
	} else {
		put16(f + o, 0x6000);
		put16(f + o + 2, var);
		put16(f + o + 4, 8 + len);
		f[o + 6] = 17;
		f[o + 7] = 60;
		memcpy(f + o + 8, src.addr, 16);
		memcpy(f + o + 24, tg->addr, 16);
		o += 40;
	}
	put16(f + o, src.port);
	put16(f + o + 2, tg->port);
	put16(f + o + 4, 8 + len);
	put16(f + o + 6, 0);
	memcpy(f + o + 8, msg, len);
	c = (uint16_t)~udp_sum(tg->ip6, f + l3, f + o, 8 + len);
	if (c == 0)
		c = 0xffff;
	if (flags & FL_CSUM_ZERO)
		c = 0;
	else if (flags & FL_CSUM_BAD)
		c = c == 0xfffe ? 1 : c + 1;
	put16(f + o + 6, c);
	if (flags & FL_SHARED)
		rte_mbuf_refcnt_set(&t->m, 2);
	return (uint16_t)(tg->port_id ^ (flags & FL_WRONG_PORT ? 1 : 0));
}

/* RFC 5761 §4 (as parse classifies): RTCP or RTP, or neither. */
HARNESS static int
msg_kind_of(const uint8_t *m, unsigned int len)
{
	if (len < 1 || m[0] < 128 || m[0] > 191)
		return -1;
	return len >= 2 && (m[1] & 0x7f) >= 64 && (m[1] & 0x7f) <= 95 ? MSG_RTCP : MSG_RTP;
}

/* Mode 2: protect @p msg as the peer of the target's leg would, then
 * mutate it. @return the bytes to send (in PM), with *len and *pi set; or
 * @p msg itself when the leg has no key or the peer refused. */
HARNESS static const uint8_t *
peer_protect(const struct target *tg, const uint8_t *desc, const uint8_t *msg, unsigned int *len,
	     struct pinfo *pi)
{
	const struct srtp_keys *k, *retire[2];
	uint8_t mut = desc[3], pos = desc[4], idx = desc[5];
	int kind = msg_kind_of(msg, *len);
	struct burst pb;
	uint8_t *p;
	unsigned int l;

	if (tg->sess < 0 || LI[tg->sess][tg->leg].peer[0] == NULL || kind < 0)
		return msg;
	k = LI[tg->sess][tg->leg].peer[(mut & MUT_OLD_KEY) && LI[tg->sess][tg->leg].peer[1]];
	if (*len > MSG_MAX)
		*len = MSG_MAX;
	srtp_dir_init(PD);
	srtp_dir_set_keys(PD, k, false, retire);
	if (kind == MSG_RTP && (mut >> 6) != 0 && *len >= 12) {
		/* a sender some wraps into the call: ROC 1..3 */
		uint64_t seq = (uint64_t)(msg[2] << 8 | msg[3]);

		PD->rtp.streams[0].ssrc = (uint32_t)msg[8] << 24 | (uint32_t)msg[9] << 16 |
					  (uint32_t)msg[10] << 8 | msg[11];
		PD->rtp.streams[0].last_used = 1;
		PD->rtp.streams[0].top = ((uint64_t)(mut >> 6) << 16 | seq) - 1;
	}
	PD->rtcp.rtcp_index = (uint32_t)idx << 8;
	test_mbuf_set(PM, msg, *len);
	test_burst_one(&pb, PM, *len, kind == MSG_RTCP, NULL, PD);
	WP->now_ms = W->now_ms;
	srtp_protect_burst(WP, &pb);
	if (pb.verdict[0] != V_FWD)
		return msg;
	pi->authentic = 1;
	pi->plain = msg;
	pi->plain_len = (uint16_t)*len;
	p = test_mbuf_data(PM);
	l = pb.msg_len[0];
	if (mut & MUT_FLIP) {
		p[pos % l] ^= (uint8_t)(1u << ((mut >> 2) & 7));
		pi->authentic = 0;
	}
	if ((mut & MUT_CUT) && l > 1) {
		l -= 1 + pos % (l - 1 < 32 ? l - 1 : 32);
		pi->authentic = 0;
	}
	*len = l;
	return p;
}

/* ---- the checks ---- */

enum stage { ST_PARSE, ST_LOOKUP, ST_UNPROTECT, ST_PROTECT, ST_REWRITE };

HARNESS static int
reason_of_stage(enum stage st, unsigned int r)
{
	switch (st) {
	case ST_PARSE:
		return (r >= DROP_ETH_SHORT && r <= DROP_RTP_HEADER_LEN && r != DROP_RTP_VERSION) ||
		       r == DROP_SRTP_TOO_SHORT;
	case ST_LOOKUP: return r == DROP_NOT_LOCAL || r == DROP_NO_SESSION || r == DROP_WRONG_PORT;
	case ST_UNPROTECT:
		/* RTP_VERSION cannot happen: parse classified 128..191 */
		return r == DROP_SRTP_TOO_SHORT || r == DROP_MBUF_NOT_WRITABLE ||
		       r == DROP_RTP_HEADER_LEN || r == DROP_SRTP_MKI || r == DROP_SRTP_AUTH ||
		       r == DROP_SRTP_REPLAY || r == DROP_SRTP_REPLAY_OLD ||
		       r == DROP_SRTP_SSRC_FULL;
	case ST_PROTECT:
		/* what parse and unprotect let through is never malformed */
		return r == DROP_MBUF_NOT_WRITABLE || r == DROP_NO_TAILROOM ||
		       r == DROP_SRTP_KEY_EXHAUSTED || r == DROP_SRTP_SSRC_FULL ||
		       r == DROP_SRTP_INDEX_REUSE;
	case ST_REWRITE:
		/* every configured remote has a next-hop entry: NO_NEXTHOP is a hold */
		return r == DROP_NO_REMOTE || r == DROP_NO_HEADROOM;
	}
	return 0;
}

struct snap {
	uint8_t verdict[BURST_MAX], reason[BURST_MAX];
	uint16_t msg_len[BURST_MAX];
	struct worker_stats stats;
	struct srtp_counters cnt[N_SESS][2][2][2]; /* [sess][leg][in, out][rtp, rtcp] */
};

/* The index in DEFS of a session of the table. */
HARNESS static unsigned int
sess_index(const struct session *x)
{
	uint32_t slot = (uint32_t)(x - T->pool);

	for (unsigned int s = 0; s < N_SESS; s++)
		if (LI[s][0].slot == slot)
			return s;
	MUST(0);
	return 0;
}

HARNESS static struct srtp_dir *
dir_of(unsigned int s, unsigned int l, unsigned int out)
{
	struct leg *g = &T->pool[LI[s][l].slot].leg[l];

	return out ? &g->out : &g->in;
}

HARNESS static void
take(struct snap *x, const struct burst *b)
{
	memcpy(x->verdict, b->verdict, b->n);
	memcpy(x->reason, b->reason, b->n);
	memcpy(x->msg_len, b->msg_len, b->n * sizeof(b->msg_len[0]));
	x->stats = W->stats;
	for (unsigned int s = 0; s < N_SESS; s++)
		for (unsigned int l = 0; l < 2; l++)
			for (unsigned int o = 0; o < 2; o++) {
				x->cnt[s][l][o][0] = dir_of(s, l, o)->rtp.cnt;
				x->cnt[s][l][o][1] = dir_of(s, l, o)->rtcp.cnt;
			}
}

/* What every stage keeps: verdicts of stopped packets, reasons of its own,
 * its return value, the worker's tx-side counters. */
HARNESS static void
check_stage(enum stage st, const struct snap *pre, const struct burst *b, unsigned int ret)
{
	unsigned int fwd = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		MUST(b->verdict[i] <= V_DROP);
		if (b->verdict[i] == V_DROP)
			MUST(b->reason[i] > DROP_NONE && b->reason[i] < DROP_MAX);
		if (pre->verdict[i] != V_FWD) {
			MUST(b->verdict[i] == pre->verdict[i] && b->reason[i] == pre->reason[i]);
			continue;
		}
		if (b->verdict[i] == V_FWD) {
			MUST(b->reason[i] == DROP_NONE);
			fwd++;
		} else if (b->verdict[i] == V_DROP) {
			MUST(reason_of_stage(st, b->reason[i]));
		} else { /* punt: control traffic (parse, lookup) or a hold (rewrite) */
			MUST(st == ST_PARSE || st == ST_LOOKUP || st == ST_REWRITE);
			MUST(b->reason[i] == (st == ST_REWRITE ? DROP_NO_NEXTHOP : DROP_NONE));
		}
		MUST(b->pkts[i]->data_off + b->pkts[i]->data_len <= b->pkts[i]->buf_len);
	}
	if (st != ST_UNPROTECT && st != ST_PROTECT)
		MUST(ret == fwd);
	/* only tx counts drops, sends and punts */
	MUST(memcmp(W->stats.drop, pre->stats.drop, sizeof(W->stats.drop)) == 0);
	MUST(W->stats.tx == pre->stats.tx && W->stats.punted == pre->stats.punted &&
	     W->stats.rx == pre->stats.rx);
}

/* The session leg (and RTCP port) a frame is for, by the targets made at
 * setup: independent of the table. @return the target, or NULL. */
HARNESS static const struct target *
target_of(const struct burst *b, unsigned int i)
{
	const uint8_t *d = rte_pktmbuf_mtod(b->pkts[i], const uint8_t *);
	const uint8_t *dst = d + b->l3_off[i] + (b->ip6[i] ? 24 : 16);
	const uint8_t *udp = d + b->msg_off[i] - 8;
	uint16_t port = (uint16_t)(udp[2] << 8 | udp[3]);

	for (unsigned int t = 0; t < N_TG; t++)
		if (TG[t].sess >= 0 && TG[t].ip6 == b->ip6[i] && TG[t].port_id == b->port &&
		    TG[t].vlan == b->vlan[i] && TG[t].port == port &&
		    memcmp(TG[t].addr, dst, b->ip6[i] ? 16 : 4) == 0)
			return &TG[t];
	return NULL;
}

HARNESS static int
is_local(const struct burst *b, unsigned int i)
{
	const uint8_t *d = rte_pktmbuf_mtod(b->pkts[i], const uint8_t *);
	const uint8_t *dst = d + b->l3_off[i] + (b->ip6[i] ? 24 : 16);

	for (unsigned int a = 0; a < N_ADDRS; a++)
		if (ADDRS[a].ip6 == b->ip6[i] && ADDRS[a].port_id == b->port &&
		    ADDRS[a].vlan == b->vlan[i] &&
		    memcmp(ADDRS[a].addr, dst, b->ip6[i] ? 16 : 4) == 0)
			return 1;
	return 0;
}

HARNESS static void
check_lookup(const struct snap *pre, const struct burst *b)
{
	for (unsigned int i = 0; i < b->n; i++) {
		const struct target *tg;
		const struct session *s;
		const struct leg *in, *out;
		int srtp_kind, pass;

		if (pre->verdict[i] != V_FWD) {
			MUST(b->sess[i] == NULL);
			continue;
		}
		tg = target_of(b, i);
		if (b->verdict[i] == V_DROP &&
		    (b->reason[i] == DROP_NOT_LOCAL || b->reason[i] == DROP_NO_SESSION)) {
			MUST(tg == NULL);
			MUST(is_local(b, i) == (b->reason[i] == DROP_NO_SESSION));
			continue;
		}
		MUST(tg != NULL);
		s = b->sess[i];
		MUST(s == &T->pool[LI[tg->sess][0].slot] && b->leg[i] == tg->leg &&
		     b->rtcp_port[i] == tg->rtcp_port);
		in = &s->leg[b->leg[i]];
		out = &s->leg[b->leg[i] ^ 1];
		if (b->verdict[i] == V_DROP) { /* WRONG_PORT */
			MUST(b->kind[i] == MSG_RTP ? b->rtcp_port[i] == 1
						   : b->kind[i] == MSG_RTCP && !b->rtcp_port[i] &&
							     !(in->flags & LEG_RTCP_MUX));
			continue;
		}
		srtp_kind = b->kind[i] <= MSG_RTCP;
		pass = (in->flags | out->flags) & LEG_PASSTHROUGH;
		MUST(b->verdict[i] ==
		     (srtp_kind || (in->flags & LEG_PASSTHROUGH) ? V_FWD : V_PUNT));
		/* an SRTP leg never takes or sends media without its keys */
		MUST(b->unprotect[i] ==
		     (srtp_kind && !pass && (in->flags & LEG_SRTP) ? &in->in : NULL));
		MUST(b->protect[i] ==
		     (srtp_kind && !pass && (out->flags & LEG_SRTP) ? &out->out : NULL));
	}
}

/* unprotect / protect: the worker's and every half's counters add up to
 * the verdicts; an unprotected message is the plaintext protected here; a
 * mutated one never verifies. */
HARNESS static void
check_srtp(int protect, const struct snap *pre, const struct burst *b, unsigned int ret)
{
	struct srtp_counters want[N_SESS][2][2][2];
	uint64_t evicted = 0, evicted_want = W->stats.ssrc_evicted - pre->stats.ssrc_evicted;
	unsigned int done = 0, o = protect ? 1 : 0;

	memcpy(want, pre->cnt, sizeof(want));
	for (unsigned int i = 0; i < b->n; i++) {
		struct srtp_dir *d = protect ? b->protect[i] : b->unprotect[i];
		struct srtp_counters *c = NULL;

		if (pre->verdict[i] != V_FWD || d == NULL || b->kind[i] > MSG_RTCP) {
			MUST(b->verdict[i] == pre->verdict[i]);
			continue;
		}
		for (unsigned int s = 0; s < N_SESS && c == NULL; s++)
			for (unsigned int l = 0; l < 2 && c == NULL; l++)
				if (d == dir_of(s, l, o))
					c = &want[s][l][o][b->kind[i] == MSG_RTCP];
		MUST(c != NULL);
		if (b->verdict[i] == V_FWD) {
			done++;
			c->packets++;
			c->bytes += protect ? pre->msg_len[i] : b->msg_len[i];
		} else if (b->reason[i] == DROP_SRTP_AUTH) {
			c->auth_fail++;
		} else if (b->reason[i] == DROP_SRTP_REPLAY ||
			   b->reason[i] == DROP_SRTP_REPLAY_OLD) {
			c->replay++;
		} else {
			c->dropped++;
		}
		if (protect || b->verdict[i] != V_FWD)
			continue;
		/* what verified: never a message mutated after it was protected
		 * (unless its tag is short enough to be guessed: 32 bits), and
		 * what this harness protected decrypts to its plaintext */
		{
			const struct leg_def *ld = &DEFS[sess_index(b->sess[i])][b->leg[i]];
			const struct suite_info *su = &suites[ld->suite];
			const uint8_t *m =
				rte_pktmbuf_mtod_offset(b->pkts[i], uint8_t *, b->msg_off[i]);

			if ((b->kind[i] == MSG_RTCP ? su->rtcp_tag_len : su->rtp_tag_len) >= 10)
				MUST(PI[i].authentic != 0);
			if (PI[i].authentic == 1)
				MUST(b->msg_len[i] == PI[i].plain_len &&
				     memcmp(m, PI[i].plain, PI[i].plain_len) == 0);
		}
	}
	for (unsigned int s = 0; s < N_SESS; s++)
		for (unsigned int l = 0; l < 2; l++)
			for (unsigned int x = 0; x < 2; x++)
				for (unsigned int h = 0; h < 2; h++) {
					const struct srtp_half *hf =
						h ? &dir_of(s, l, x)->rtcp : &dir_of(s, l, x)->rtp;
					const struct srtp_counters *w = &want[s][l][x][h];

					MUST(hf->cnt.packets == w->packets &&
					     hf->cnt.bytes == w->bytes &&
					     hf->cnt.auth_fail == w->auth_fail &&
					     hf->cnt.replay == w->replay &&
					     hf->cnt.dropped == w->dropped);
					evicted += hf->cnt.evicted - pre->cnt[s][l][x][h].evicted;
				}
	MUST(evicted == evicted_want);
	MUST(ret == done);
	if (protect)
		MUST(W->stats.srtp_protected - pre->stats.srtp_protected == done);
	else
		MUST(W->stats.srtp_unprotected - pre->stats.srtp_unprotected == done);
}

/* A frame built here is refused by parse only for what its message is. */
HARNESS static void
check_parse(const struct burst *b)
{
	for (unsigned int i = 0; i < b->n; i++) {
		if (!PI[i].built)
			continue;
		MUST(b->verdict[i] != V_PUNT);
		if (b->verdict[i] == V_DROP)
			MUST(b->reason[i] == DROP_NOT_MEDIA ||
			     b->reason[i] == DROP_SRTP_TOO_SHORT || b->reason[i] == DROP_RTCP_LEN ||
			     b->reason[i] == DROP_RTP_HEADER_LEN || b->reason[i] == DROP_UDP_EMPTY);
	}
}

/* What rewrite needs checked after it: where each latching leg's remote
 * stood before the burst, and each packet's source. */
struct rw_snap {
	struct latch latch[N_SESS][2];
	uint32_t latch_seq[N_SESS][2];
	struct endpoint src[BURST_MAX];
	uint8_t src_mac[BURST_MAX][6];
	uint16_t msg_off[BURST_MAX], data_off[BURST_MAX], msg_len[BURST_MAX];
	int cand[BURST_MAX]; /* a latching candidate: RTP reaching rewrite on a latching leg */
};

HARNESS static void
rw_take(struct rw_snap *r, const struct burst *b)
{
	for (unsigned int s = 0; s < N_SESS; s++)
		for (unsigned int l = 0; l < 2; l++) {
			const struct leg *g = &T->pool[LI[s][l].slot].leg[l];

			r->latch[s][l] = g->latch;
			r->latch_seq[s][l] = g->latch_seq;
		}
	for (unsigned int i = 0; i < b->n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(b->pkts[i], const uint8_t *);

		r->cand[i] = 0;
		r->msg_off[i] = b->msg_off[i];
		r->msg_len[i] = b->msg_len[i];
		r->data_off[i] = b->pkts[i]->data_off;
		if (b->verdict[i] != V_FWD)
			continue;
		memset(&r->src[i], 0, sizeof(r->src[i]));
		r->src[i].ip6 = b->ip6[i];
		r->src[i].port = (uint16_t)(d[b->msg_off[i] - 8] << 8 | d[b->msg_off[i] - 7]);
		memcpy(r->src[i].addr, d + b->l3_off[i] + (b->ip6[i] ? 8 : 12), b->ip6[i] ? 16 : 4);
		memcpy(r->src_mac[i], d + 6, 6);
		r->cand[i] =
			(b->sess[i]->leg[b->leg[i]].flags & LEG_LATCH) && b->kind[i] == MSG_RTP;
	}
}

/* The latch of leg @p l of session @p s as packet @p upto's rewrite saw it:
 * the source of the last candidate before it arriving on that leg. */
HARNESS static struct latch
latch_at(const struct rw_snap *r, const struct burst *b, unsigned int s, unsigned int l,
	 unsigned int upto)
{
	const struct session *x = &T->pool[LI[s][0].slot];
	struct latch v = r->latch[s][l];

	for (unsigned int j = 0; j < upto && j < b->n; j++)
		if (r->cand[j] && b->sess[j] == x && b->leg[j] == l) {
			memset(&v, 0, sizeof(v));
			v.remote = r->src[j];
			memcpy(v.nh_mac, r->src_mac[j], 6);
			v.epoch = x->leg[l].cfg.epoch;
		}
	return v;
}

/* How many latching candidates arrived on leg @p l of session @p s. */
HARNESS static unsigned int
n_cand(const struct rw_snap *r, const struct burst *b, unsigned int s, unsigned int l)
{
	const struct session *x = &T->pool[LI[s][0].slot];
	unsigned int n = 0;

	for (unsigned int j = 0; j < b->n; j++)
		n += r->cand[j] && b->sess[j] == x && b->leg[j] == l;
	return n;
}

HARNESS static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

HARNESS static void
check_rewrite(const struct snap *pre, const struct rw_snap *r, const struct burst *b)
{
	for (unsigned int i = 0; i < b->n; i++) {
		const struct rte_mbuf *m = b->pkts[i];
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *), *ip, *udp;
		const struct session *s = b->sess[i];
		const struct leg *in, *out;
		const struct local_addr *a;
		unsigned int si, l2, hdr, len = b->msg_len[i];
		int rtcp_port, hold = b->verdict[i] == V_PUNT && b->reason[i] == DROP_NO_NEXTHOP;
		int latched;
		struct latch lt;
		struct endpoint to;
		uint8_t nh[6] = {0};

		if (pre->verdict[i] != V_FWD || s == NULL) {
			MUST(b->tx_port[i] == UINT16_MAX);
			continue;
		}
		si = sess_index(s);
		in = &s->leg[b->leg[i]];
		out = &s->leg[b->leg[i] ^ 1];
		a = &T->addrs[out->local_addr];
		l2 = a->vlan ? 18u : 14u;
		hdr = l2 + (a->ip6 ? 40u : 20u) + 8u;
		rtcp_port = !(out->flags & LEG_RTCP_MUX) &&
			    (b->kind[i] == MSG_RTCP || (b->kind[i] > MSG_RTCP && b->rtcp_port[i]));
		/* on an SRTP leg, only what verified latches */
		if (r->cand[i] && (in->flags & LEG_SRTP))
			MUST(b->unprotect[i] == &in->in && PI[i].authentic != 0);
		/* where it goes: the remote latched when it got here, or the configured one */
		lt = latch_at(r, b, si, b->leg[i] ^ 1u, i);
		latched = (out->flags & LEG_LATCH) && lt.epoch == out->cfg.epoch &&
			  lt.remote.port != 0;
		to = latched ? lt.remote : out->cfg.remote;
		if (b->verdict[i] == V_DROP) {
			MUST(b->tx_port[i] == UINT16_MAX);
			if (b->reason[i] == DROP_NO_REMOTE)
				MUST(to.port == 0 || (rtcp_port && to.port == UINT16_MAX));
			else
				MUST((int)r->data_off[i] + r->msg_off[i] < (int)hdr);
			continue;
		}
		if (latched)
			memcpy(nh, lt.nh_mac, 6);
		MUST(!(hold && latched));
		if (hold)
			MUST(!neigh_mac(T->neigh, out->cfg.neigh, nh) && out->cfg.neigh != 0 &&
			     m->hash.usr == punt_info(DROP_NO_NEXTHOP, out->cfg.neigh) &&
			     m->port == a->port_id);
		else if (!latched)
			MUST(neigh_mac(T->neigh, out->cfg.neigh, nh));
		/* the frame and the burst */
		MUST(a->port_id < WORKER_PORTS_MAX && b->tx_port[i] == a->port_id);
		MUST(m->nb_segs == 1 && m->pkt_len == m->data_len);
		MUST(m->data_off + m->data_len <= m->buf_len);
		MUST(b->msg_off[i] == hdr && m->data_len == hdr + len && len == r->msg_len[i]);
		MUST(m->data_off + hdr == r->data_off[i] + r->msg_off[i]); /* the message stays */
		MUST(b->l3_off[i] == l2 && b->ip6[i] == a->ip6 && b->vlan[i] == a->vlan);
		/* Ethernet */
		MUST(memcmp(d, nh, 6) == 0 && memcmp(d + 6, a->mac, 6) == 0);
		if (a->vlan)
			MUST(get16(d + 12) == 0x8100 && get16(d + 14) == a->vlan);
		MUST(get16(d + l2 - 2) == (a->ip6 ? 0x86dd : 0x0800));
		/* IP */
		ip = d + l2;
		udp = ip + (a->ip6 ? 40 : 20);
		MUST(to.ip6 == a->ip6 && to.port != 0);
		if (!a->ip6) {
			MUST(ip[0] == 0x45 && ip[1] == out->dscp << 2);
			MUST(get16(ip + 2) == m->data_len - l2);
			MUST((get16(ip + 6) & 0x3fff) == 0 && ip[8] == EGRESS_TTL && ip[9] == 17);
			MUST(ocsum_fold(ocsum_add(0, ip, 20)) == 0xffff);
			MUST(memcmp(ip + 12, a->addr, 4) == 0 && memcmp(ip + 16, to.addr, 4) == 0);
		} else {
			MUST(ip[0] >> 4 == 6 && ((get16(ip) >> 4) & 0xff) == out->dscp << 2);
			MUST(get16(ip + 4) == m->data_len - l2 - 40);
			MUST(ip[6] == 17 && ip[7] == EGRESS_TTL);
			MUST(memcmp(ip + 8, a->addr, 16) == 0 && memcmp(ip + 24, to.addr, 16) == 0);
		}
		/* UDP */
		MUST(get16(udp) == out->local_port + rtcp_port);
		MUST(get16(udp + 2) == to.port + rtcp_port);
		MUST(get16(udp + 4) == 8 + len);
		MUST(get16(udp + 6) != 0 && udp_sum(a->ip6, ip, udp, 8 + len) == 0xffff);
		/* the message */
		if (b->unprotect[i] == NULL && b->protect[i] == NULL) {
			MUST(len == b->rx_len[i] && memcmp(udp + 8, RXMSG[i], len) == 0);
		} else if (b->protect[i] != NULL) {
			const struct srtp_keys *k = out->out.keys;
			const struct suite_info *su = &suites[k->suite];

			MUST(b->protect[i] == &out->out);
			MUST(len == PRE_PROTECT_LEN[i] + k->mki_len +
					    (b->kind[i] == MSG_RTCP ? 4u + su->rtcp_tag_len
								    : su->rtp_tag_len));
		} else if (PI[i].authentic == 1) {
			MUST(len == PI[i].plain_len && memcmp(udp + 8, PI[i].plain, len) == 0);
		}
	}
	/* the latches: the last candidate's source, else as they were */
	for (unsigned int s = 0; s < N_SESS; s++)
		for (unsigned int l = 0; l < 2; l++) {
			const struct leg *g = &T->pool[LI[s][l].slot].leg[l];
			struct latch want = latch_at(r, b, s, l, b->n);

			MUST((g->latch_seq & 1) == 0);
			MUST(g->latch.epoch == want.epoch &&
			     memcmp(&g->latch.remote, &want.remote, sizeof(want.remote)) == 0 &&
			     memcmp(g->latch.nh_mac, want.nh_mac, 6) == 0);
			/* one write at most per candidate (a peer's packets may come
			 * through two routers in turn: A, B, A), none without one */
			MUST(g->latch_seq - r->latch_seq[s][l] <= 2 * n_cand(r, b, s, l));
		}
}

/* ---- the path ---- */

static struct burst B;
static struct snap PRE;
static struct rw_snap RW;

HARNESS static void
trace(const struct burst *b)
{
	for (unsigned int i = 0; i < b->n; i++) {
		unsigned int o = b->verdict[i] == V_DROP   ? 3u + b->reason[i]
				 : b->verdict[i] == V_PUNT ? (b->reason[i] ? 2u : 1u)
							   : 0u;

		if (OUTCOMES != NULL)
			OUTCOMES[o]++;
		if (TRACE)
			fprintf(stderr, "t=%u port %u #%u: %s%s sess %d leg %u kind %u%s%s\n",
				W->now_ms, b->port, i,
				o == 0	 ? "fwd"
				: o == 1 ? "punt"
				: o == 2 ? "hold "
					 : "drop ",
				o >= 2 ? drop_reason_name((enum drop_reason)b->reason[i]) : "",
				b->sess[i] != NULL ? (int)sess_index(b->sess[i]) : -1, b->leg[i],
				b->kind[i], b->unprotect[i] ? " unprotect" : "",
				b->protect[i] ? " protect" : "");
	}
}

HARNESS static void
outcomes_print(void)
{
	fprintf(stderr, "fuzz_path outcomes: fwd %llu, punt %llu, hold %llu",
		(unsigned long long)OUTCOMES[0], (unsigned long long)OUTCOMES[1],
		(unsigned long long)OUTCOMES[2]);
	for (unsigned int r = 1; r < DROP_MAX; r++)
		if (OUTCOMES[3 + r] != 0)
			fprintf(stderr, ", %s %llu", drop_reason_name((enum drop_reason)r),
				(unsigned long long)OUTCOMES[3 + r]);
	fprintf(stderr, "\n");
}

HARNESS static void
run_burst(struct burst *b)
{
	unsigned int ret;

	take(&PRE, b);
	ret = parse_burst(&OPTS, b);
	check_stage(ST_PARSE, &PRE, b, ret);
	check_parse(b);
	for (unsigned int i = 0; i < b->n; i++)
		if (b->verdict[i] == V_FWD)
			memcpy(RXMSG[i],
			       rte_pktmbuf_mtod_offset(b->pkts[i], uint8_t *, b->msg_off[i]),
			       b->msg_len[i]);

	take(&PRE, b);
	ret = lookup_burst(T, b);
	check_stage(ST_LOOKUP, &PRE, b, ret);
	check_lookup(&PRE, b);

	take(&PRE, b);
	ret = srtp_unprotect_burst(W, b);
	check_stage(ST_UNPROTECT, &PRE, b, ret);
	check_srtp(0, &PRE, b, ret);

	take(&PRE, b);
	memcpy(PRE_PROTECT_LEN, b->msg_len, sizeof(PRE_PROTECT_LEN));
	ret = srtp_protect_burst(W, b);
	check_stage(ST_PROTECT, &PRE, b, ret);
	check_srtp(1, &PRE, b, ret);

	take(&PRE, b);
	rw_take(&RW, b);
	ret = rewrite_burst(T, b);
	check_stage(ST_REWRITE, &PRE, b, ret);
	check_rewrite(&PRE, &RW, b);
	/* tx_burst would send, punt or free each one here: the test mbufs
	 * are static and reused by the next burst */
	if (TRACE || OUTCOMES != NULL)
		trace(b);
	b->n = 0;
}

/* ---- the input ---- */

HARNESS static void
burst_add(struct burst *b, uint16_t port)
{
	unsigned int i = b->n;

	if (i == 0) {
		memset(b, 0xa5, sizeof(*b)); /* the worker's burst lives on its stack */
		b->n = 0;
		b->port = port;
	}
	b->pkts[i] = &MB[i].m;
	b->verdict[i] = V_FWD;
	b->reason[i] = DROP_NONE;
	b->tx_port[i] = UINT16_MAX;
	b->n++;
}

HARNESS static void
raw_add(int new_burst, uint16_t port, const struct test_mbuf *t)
{
	unsigned int len = t->m.data_len;

	if (RAW_DIR == NULL || RAW_LEN + 2 + len > sizeof(RAW) || len > 0x7ff)
		return;
	put16(RAW + RAW_LEN, (new_burst ? 0x8000u : 0) | (unsigned int)(port & 7) << 11 | len);
	memcpy(RAW + RAW_LEN + 2, t->buf + t->m.data_off, len);
	RAW_LEN += 2 + len;
}

HARNESS static void
run_input(const uint8_t *data, size_t size)
{
	struct burst *b = &B;
	unsigned int mode, n_pkts = 0, k = 0;
	size_t off = 3;
	int new_burst = 0;

	mode = data[0] & 3;
	OPTS.verify_udp_csum = !(data[0] & 4);
	OL_FLAGS = data[0] & 8 ? RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0;
	memcpy(&T->pool[SLOT_LO], SNAP, sizeof(struct session) * (SLOT_HI - SLOT_LO + 1));
	W->now_ms = T_BASE + 16u * data[1];
	b->n = 0;
	RAW_LEN = 3;
	RAW[0] = data[0] & 0x0c;
	RAW[1] = data[1];
	RAW[2] = data[2];

	while (off + 2 <= size && n_pkts < MAX_PKTS) {
		unsigned int w = (unsigned int)data[off] << 8 | data[off + 1];
		unsigned int len = w & 0x7ff, pmode = mode;
		const uint8_t *rec = data + off + 2;
		uint8_t desc[DESC_LEN] = {0};
		const struct target *tg = NULL;
		uint16_t port;

		off += 2;
		if (len > size - off)
			len = (unsigned int)(size - off);
		off += len;
		if (w & 0x8000) { /* the next poll, some time later */
			if (b->n > 0)
				run_burst(b);
			if (++k >= MAX_BURSTS)
				break;
			W->now_ms = T_BASE + 16u * (data[1] + k * data[2]);
			new_burst = 1;
		}
		if (mode == 3 && len > 0) {
			pmode = rec[0] % 3;
			rec++;
			len--;
		}
		if (pmode == 0) {
			port = (uint16_t)((w >> 11) & 7);
		} else {
			memcpy(desc, rec, len < DESC_LEN ? len : DESC_LEN);
			rec += len < DESC_LEN ? len : DESC_LEN;
			len -= len < DESC_LEN ? len : DESC_LEN;
			tg = &TG[desc[0] % N_TG];
			port = (uint16_t)(tg->port_id ^ (desc[1] & FL_WRONG_PORT ? 1 : 0));
		}
		if (b->n > 0 && (b->port != port || b->n == BURST_MAX))
			run_burst(b);
		memset(&PI[b->n], 0, sizeof(PI[0]));
		PI[b->n].authentic = -1;
		if (pmode == 0) {
			if (len > TEST_BUF_LEN - TEST_HEADROOM)
				len = TEST_BUF_LEN - TEST_HEADROOM;
			mbuf_reset(&MB[b->n], TEST_HEADROOM, len);
			memcpy(MB[b->n].buf + TEST_HEADROOM, rec, len);
		} else {
			if (pmode == 2)
				rec = peer_protect(tg, desc, rec, &len, &PI[b->n]);
			frame_build(&MB[b->n], tg, desc, rec, len);
			PI[b->n].built =
				!(desc[1] & FL_CSUM_BAD) && !((desc[1] & FL_CSUM_ZERO) && tg->ip6);
			raw_add(new_burst, port, &MB[b->n]);
		}
		new_burst = 0;
		burst_add(b, port);
		n_pkts++;
	}
	if (b->n > 0)
		run_burst(b);
}

/* FUZZ_PATH_RAW: the frames an input of modes 1-3 built, as a mode 0 input. */
HARNESS static void
raw_write(void)
{
	uint64_t h = 14695981039346656037ull;
	char name[4096];
	FILE *f;

	for (size_t i = 0; i < RAW_LEN; i++)
		h = (h ^ RAW[i]) * 1099511628211ull;
	snprintf(name, sizeof(name), "%s/raw-%016llx", RAW_DIR, (unsigned long long)h);
	f = fopen(name, "wb");
	if (f == NULL || fwrite(RAW, 1, RAW_LEN, f) != RAW_LEN)
		abort();
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (W == NULL)
		setup();
	if (size < 3)
		return 0;
	run_input(data, size);
	if (RAW_DIR != NULL && (data[0] & 3) != 0 && RAW_LEN > 3)
		raw_write();
	return 0;
}
