/* test_pipeline.c: the whole worker path with a real EAL (--no-huge,
 * in-memory) over two ethdev ports made of rings: frames are enqueued as if
 * received, one worker_poll() runs parse -> lookup -> unprotect -> protect
 * -> rewrite -> tx, and what the ports transmitted is checked byte by byte.
 * Sessions come from the sessions API. No NIC, no namespaces; the
 * af_packet/namespace tests build on this.
 */

#include "../engine.h"
#include "../ref.h"
#include "../ring_ports.h"
#include "../test.h"
#include "control/sessions.h"
#include "dataplane/worker.h"

/* Set-up in main: stop at once if the EAL side cannot be built. */
#define REQUIRE_MAIN(c)                                                                            \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "set-up failed: %s\n", #c);                                \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static struct rte_mempool *POOL;
static struct rte_ring *RX[2], *TX[2]; /* per port: what it receives / sent */
static uint16_t PORT[2];
static struct rte_ether_addr PMAC[2];
static struct worker *W;
static struct sessions *SS;

static const uint8_t A0[4] = {10, 0, 0, 1}, PEER0[4] = {10, 0, 0, 2};
static const uint8_t A1_6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t PEER1_6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t NH0[6] = {2, 0, 0, 0, 0, 0xa0}, NH1[6] = {2, 0, 0, 0, 0, 0xb1};

/* An Ethernet/IPv4/UDP frame from PEER0:sport to A0:dport carrying msg. */
static unsigned int
frame4(uint8_t *f, uint16_t sport, uint16_t dport, const uint8_t *msg, unsigned int len)
{
	return udp_frame(f, PMAC[0].addr_bytes, NH0, 0, PEER0, A0, sport, dport, msg, len);
}

static void
inject(unsigned int port, const uint8_t *f, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(POOL);

	memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
	if (rte_ring_enqueue(RX[port], m) != 0)
		abort();
}

static struct rte_mbuf *
sent_on(unsigned int port)
{
	void *m = NULL;

	if (rte_ring_dequeue(TX[port], &m) != 0)
		return NULL;
	return m;
}

static uint32_t
make_session(uint8_t flags0, const struct dir_keys *in0, uint16_t *p0, uint16_t *p1)
{
	struct session_params p;
	char err[256];
	uint32_t slot = 0;

	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.leg[0].local_addr = 0;
	p.leg[0].flags = flags0 | LEG_RTCP_MUX;
	p.leg[0].remote.port = 30000;
	memcpy(p.leg[0].remote.addr, PEER0, 4);
	memcpy(p.leg[0].nh_mac, NH0, 6);
	if (in0 != NULL) {
		p.leg[0].in = *in0;
		p.leg[0].out = *in0;
	}
	p.leg[1].local_addr = 1;
	p.leg[1].flags = LEG_RTCP_MUX;
	p.leg[1].remote.ip6 = 1;
	p.leg[1].remote.port = 40000;
	memcpy(p.leg[1].remote.addr, PEER1_6, 16);
	memcpy(p.leg[1].nh_mac, NH1, 6);
	if (sessions_create(SS, &p, &slot, err, sizeof(err)) != 0) {
		fprintf(stderr, "sessions_create: %s\n", err);
		abort();
	}
	*p0 = sessions_get(SS, slot)->leg[0].local_port;
	*p1 = sessions_get(SS, slot)->leg[1].local_port;
	return slot;
}

/* Check an IPv6 frame sent to PEER1_6:40000 from A1_6:p1 carrying msg. */
static void
check_v6_out(struct rte_mbuf *m, uint16_t p1, const uint8_t *msg, unsigned int len)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *), *ip = f + 14, *udp = ip + 40;
	uint32_t s;

	CHECK_EQ(rte_pktmbuf_data_len(m), 14 + 40 + 8 + len);
	CHECK_MEM(f, NH1, 6);
	CHECK_MEM(f + 6, PMAC[1].addr_bytes, 6);
	CHECK_EQ(f[12] << 8 | f[13], 0x86dd);
	CHECK_EQ(ip[0] >> 4, 6);
	CHECK_EQ(ip[4] << 8 | ip[5], 8 + len);
	CHECK_EQ(ip[6], 17);
	CHECK_MEM(ip + 8, A1_6, 16);
	CHECK_MEM(ip + 24, PEER1_6, 16);
	CHECK_EQ(udp[0] << 8 | udp[1], p1);
	CHECK_EQ(udp[2] << 8 | udp[3], 40000);
	s = ocsum_add(0, ip + 8, 32) + 17 + 8 + len;
	CHECK_EQ(ocsum_fold(ocsum_add(s, udp, 8 + len)), 0xffff);
	CHECK_MEM(udp + 8, msg, len);
}

/* Plain RTP from an IPv4 leg to an IPv6 leg: bridged, headers rebuilt. */
TEST(plain_v4_to_v6)
{
	uint8_t rtp[256], f[512];
	uint16_t p0, p1;
	unsigned int n = build_rtp(rtp, 0x1234, 7, 160, 160, 0, -1, 0), in_use;
	uint32_t slot = make_session(0, NULL, &p0, &p1);
	struct rte_mbuf *m;

	in_use = rte_mempool_in_use_count(POOL);
	inject(0, f, frame4(f, 30000, p0, rtp, n));
	CHECK_EQ(worker_poll(W), 1);
	m = sent_on(1);
	REQUIRE(m != NULL);
	check_v6_out(m, p1, rtp, n);
	rte_pktmbuf_free(m);
	CHECK(sent_on(0) == NULL);
	CHECK_EQ(rte_mempool_in_use_count(POOL), in_use);
	CHECK_EQ(sessions_delete(SS, slot), 0);
}

/* SRTP from libsrtp2 on leg 0, decrypted, plain RTP out on leg 1. */
TEST(srtp_decrypt_to_plain)
{
	uint8_t rtp[256], prot[512], f[600];
	struct dir_keys k;
	uint16_t p0, p1;
	uint32_t slot;
	unsigned int n = build_rtp(rtp, 0xabcd, 100, 3200, 160, 0, -1, 0);
	int len = (int)n;
	srtp_t lib;
	struct rte_mbuf *m;

	memset(&k, 0, sizeof(k));
	k.present = 1;
	k.suite = SUITE_AES_CM_128_HMAC_SHA1_80;
	k.key_len = 16;
	k.salt_len = 14;
	engine_fill_key(SUITE_AES_CM_128_HMAC_SHA1_80, k.key, k.salt, 9);
	lib = ref_create(SUITE_AES_CM_128_HMAC_SHA1_80, k.key, k.salt, 0, NULL, 0);
	slot = make_session(LEG_SRTP, &k, &p0, &p1);
	memcpy(prot, rtp, n);
	REQUIRE(srtp_protect(lib, prot, &len) == srtp_err_status_ok);
	inject(0, f, frame4(f, 30000, p0, prot, (unsigned int)len));
	CHECK_EQ(worker_poll(W), 1);
	m = sent_on(1);
	REQUIRE(m != NULL);
	check_v6_out(m, p1, rtp, n);
	rte_pktmbuf_free(m);
	/* The same packet again is a replay: counted, freed, nothing sent. */
	uint64_t replays = W->stats.drop[DROP_SRTP_REPLAY];
	inject(0, f, frame4(f, 30000, p0, prot, (unsigned int)len));
	CHECK_EQ(worker_poll(W), 1);
	CHECK(sent_on(1) == NULL);
	CHECK_EQ(W->stats.drop[DROP_SRTP_REPLAY], replays + 1);
	srtp_dealloc(lib);
	CHECK_EQ(sessions_delete(SS, slot), 0);
}

/* No session, bad checksum, and ARP: counted, freed or punted; no leak. */
TEST(drops_and_punts_leave_nothing_behind)
{
	uint8_t rtp[64], f[256];
	unsigned int n = build_rtp(rtp, 1, 1, 1, 20, 0, -1, 0), len, in_use;
	uint64_t no_sess = W->stats.drop[DROP_NO_SESSION], csum = W->stats.drop[DROP_UDP_CSUM];
	uint64_t punted = W->stats.drop[DROP_PUNT_FULL];

	in_use = rte_mempool_in_use_count(POOL);
	inject(0, f, frame4(f, 30000, 20010, rtp, n)); /* no session there */
	len = frame4(f, 30000, 20010, rtp, n);
	f[len - 1] ^= 1; /* UDP checksum now wrong */
	inject(0, f, len);
	memset(f, 0xff, 6);
	put16(f + 12, 0x0806); /* ARP: punted; no ring in this test, so counted */
	inject(0, f, 60);
	CHECK_EQ(worker_poll(W), 3);
	CHECK(sent_on(0) == NULL && sent_on(1) == NULL);
	CHECK_EQ(W->stats.drop[DROP_NO_SESSION], no_sess + 1);
	CHECK_EQ(W->stats.drop[DROP_UDP_CSUM], csum + 1);
	CHECK_EQ(W->stats.drop[DROP_PUNT_FULL], punted + 1);
	CHECK_EQ(rte_mempool_in_use_count(POOL), in_use);
}

int
main(void)
{
	struct sessions_config cfg;
	char err[256];
	int bad;

	if (ring_eal_init("test_pipeline", "128") < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	POOL = rte_pktmbuf_pool_create("pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	REQUIRE_MAIN(POOL != NULL);
	REQUIRE_MAIN(ring_ports_open(POOL, 2, 256, RX, TX, PORT, PMAC) == 0);
	W = engine_worker();
	W->n_ports = 2;
	W->ports[0] = PORT[0];
	W->ports[1] = PORT[1];
	W->parse.verify_udp_csum = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 20000;
	cfg.port_max = 20099;
	cfg.max_sessions = 8;
	cfg.n_addrs = 2;
	cfg.addrs[0].port_id = PORT[0];
	memcpy(cfg.addrs[0].addr, A0, 4);
	memcpy(cfg.addrs[0].mac, PMAC[0].addr_bytes, 6);
	cfg.addrs[1].ip6 = 1;
	cfg.addrs[1].port_id = PORT[1];
	memcpy(cfg.addrs[1].addr, A1_6, 16);
	memcpy(cfg.addrs[1].mac, PMAC[1].addr_bytes, 6);
	SS = sessions_new(&cfg, NULL, W->crypto.mgr, err, sizeof(err));
	REQUIRE_MAIN(SS != NULL);
	W->table = sessions_table(SS);
	bad = test_run_all();
	sessions_free(SS);
	engine_worker_free(W);
	rte_eal_cleanup();
	return bad;
}
