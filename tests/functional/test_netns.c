/* test_netns.c: the srtpfwd daemon forwarding real packets between Linux
 * network namespaces.
 *
 *   ns A (peer of leg 0)              root namespace            ns B (peer of leg 1)
 *   10.201.0.2, .3 (spoofer)   veth   srtpfwd: net_af_packet0   10.202.0.2
 *   fd01::2                    ====   10.201.0.1, fd01::1       fd02::2
 *                                     net_af_packet1 ====veth== 10.202.0.1, fd02::1
 *
 * One process: the EAL and the daemon (control/daemon.c: one worker lcore,
 * the main lcore is the control thread and runs daemon_poll() whenever the
 * test waits), and the peers, which are kernel UDP sockets opened inside
 * the namespaces (setns, socket, setns back: a socket keeps its namespace).
 * SRTP peers use libsrtp2. The kernel in each namespace resolves srtpfwd's
 * addresses with real ARP and neighbour discovery, and srtpfwd resolves the
 * peers the same way, holding the first frames of a call until it does.
 * The spoofer is a second address in namespace A: same link, another
 * source address and port.
 *
 * Every case creates its sessions with the sessions API, sends a bounded
 * number of packets, waits at most WAIT_MS for each, checks the bytes that
 * arrive and the exact counters, and deletes its sessions. Needs root and
 * iproute2; without them it exits 77 (skipped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include "../engine.h"
#include "../ref.h"
#include "../test.h"
#include "control/daemon.h"

#define WAIT_MS 2000
#define PORT_MIN 20000
#define PORT_MAX 29999

enum { ADDR_A4, ADDR_A6, ADDR_B4, ADDR_B6 };

static char NS_A[32], NS_B[32], VETH_A[16], VETH_B[16];
static struct daemon *D;
static struct sessions *SS;
static int NET_ROOT = -1;

static const uint8_t A_PEER4[4] = {10, 201, 0, 2}, A_SPOOF4[4] = {10, 201, 0, 3};
static const uint8_t B_PEER4[4] = {10, 202, 0, 2};
static const uint8_t A_PEER6[16] = {0xfd, 0x01, [15] = 2}, B_PEER6[16] = {0xfd, 0x02, [15] = 2};
static const uint8_t A_LOCAL4[4] = {10, 201, 0, 1}, B_LOCAL4[4] = {10, 202, 0, 1};
static const uint8_t A_LOCAL6[16] = {0xfd, 0x01, [15] = 1}, B_LOCAL6[16] = {0xfd, 0x02, [15] = 1};

/* ---- namespaces ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
lab_down(void)
{
	if (NS_A[0] == '\0')
		return;
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; ip link del %s 2>/dev/null; "
	   "ip link del %s 2>/dev/null",
	   NS_A, NS_B, VETH_A, VETH_B);
	NS_A[0] = '\0';
}

static void
on_signal(int sig)
{
	lab_down();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
lab_up(void)
{
	unsigned int id = (unsigned int)getpid() % 100000;

	snprintf(NS_A, sizeof(NS_A), "sfnA%u", id);
	snprintf(NS_B, sizeof(NS_B), "sfnB%u", id);
	snprintf(VETH_A, sizeof(VETH_A), "sfa%u", id);
	snprintf(VETH_B, sizeof(VETH_B), "sfb%u", id);
	atexit(lab_down);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* srtpfwd's side: up, no address, no IPv6, so the root namespace's
	 * kernel answers nothing on it; the peer side goes into its namespace. */
	return sh(
		"set -e; exec >/dev/null 2>&1; "
		"ip netns add %1$s; ip netns add %2$s; "
		"ip link add %3$s type veth peer name %3$sp; ip link add %4$s type veth peer name "
		"%4$sp; "
		"sysctl -qw net.ipv6.conf.%3$s.disable_ipv6=1 net.ipv6.conf.%4$s.disable_ipv6=1; "
		"ip link set %3$sp netns %1$s; ip link set %4$sp netns %2$s; "
		"ip link set %3$s up; ip link set %4$s up; "
		"ip -n %1$s link set lo up; ip -n %1$s link set %3$sp up; "
		"ip -n %1$s addr add 10.201.0.2/24 dev %3$sp; "
		"ip -n %1$s addr add 10.201.0.3/24 dev %3$sp; "
		"ip -n %1$s -6 addr add fd01::2/64 dev %3$sp nodad; "
		"ip -n %2$s link set lo up; ip -n %2$s link set %4$sp up; "
		"ip -n %2$s addr add 10.202.0.2/24 dev %4$sp; "
		"ip -n %2$s -6 addr add fd02::2/64 dev %4$sp nodad; "
		/* the peers' kernels leave UDP checksums to an offload a veth never
		 * performs (CHECKSUM_PARTIAL): make them real, as on a wire */
		"ip netns exec %1$s ethtool -K %3$sp tx off; "
		"ip netns exec %2$s ethtool -K %4$sp tx off",
		NS_A, NS_B, VETH_A, VETH_B);
}

/* A UDP socket bound to addr:port inside namespace @p ns, non-blocking. */
static int
ns_socket(const char *ns, int ip6, const uint8_t *addr, uint16_t port)
{
	char path[64];
	int nsfd, fd = -1, big = 4 << 20;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	nsfd = open(path, O_RDONLY);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
		perror(path);
		abort();
	}
	fd = socket(ip6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (ip6) {
		struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(port)};

		memcpy(&s.sin6_addr, addr, 16);
		if (bind(fd, (struct sockaddr *)&s, sizeof(s)) != 0)
			perror("bind6"), abort();
	} else {
		struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};

		memcpy(&s.sin_addr, addr, 4);
		if (bind(fd, (struct sockaddr *)&s, sizeof(s)) != 0)
			perror("bind4"), abort();
	}
	if (setns(NET_ROOT, CLONE_NEWNET) != 0)
		perror("setns back"), abort();
	close(nsfd);
	return fd;
}

static void
send_to(int fd, int ip6, const uint8_t *addr, uint16_t port, const void *buf, size_t len)
{
	ssize_t r;

	if (ip6) {
		struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(port)};

		memcpy(&s.sin6_addr, addr, 16);
		r = sendto(fd, buf, len, 0, (struct sockaddr *)&s, sizeof(s));
	} else {
		struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};

		memcpy(&s.sin_addr, addr, 4);
		r = sendto(fd, buf, len, 0, (struct sockaddr *)&s, sizeof(s));
	}
	if (r != (ssize_t)len)
		fprintf(stderr, "sendto: %zd (%s)\n", r, strerror(errno));
}

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Run the control thread for @p ms. */
static void
pump(unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		if (daemon_poll(D) == 0)
			usleep(200);
}

/* Receive one datagram on @p fd within WAIT_MS, running the control thread
 * meanwhile. @return its length, or -1; @p from_port gets its source port. */
static int
recv_one(int fd, uint8_t *buf, size_t cap, uint16_t *from_port)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t r = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &sl);

		if (r >= 0) {
			if (from_port != NULL)
				*from_port = ntohs(ss.ss_family == AF_INET6
							   ? ((struct sockaddr_in6 *)&ss)->sin6_port
							   : ((struct sockaddr_in *)&ss)->sin_port);
			return (int)r;
		}
		if (daemon_poll(D) == 0)
			usleep(100);
	}
	return -1;
}

/* Nothing arrives on @p fd for @p ms. */
static int
silent(int fd, unsigned int ms)
{
	uint8_t buf[2048];

	pump(ms);
	return recv(fd, buf, sizeof(buf), 0) < 0;
}

static struct worker_stats
wstats(void)
{
	struct daemon_stats st;

	daemon_stats(D, &st);
	return st.total;
}

/* ---- sessions ---- */

static void
leg(struct leg_params *l, unsigned int addr, const uint8_t *peer, uint16_t peer_port, uint8_t flags)
{
	int ip6 = addr == ADDR_A6 || addr == ADDR_B6;

	memset(l, 0, sizeof(*l));
	l->local_addr = (uint8_t)addr;
	l->flags = flags;
	l->remote.ip6 = (uint8_t)ip6;
	l->remote.port = peer_port;
	if (peer != NULL)
		memcpy(l->remote.addr, peer, ip6 ? 16 : 4);
}

static void
keys(struct dir_keys *k, enum suite s, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->present = 1;
	k->suite = (uint8_t)s;
	k->key_len = suites[s].key_len;
	k->salt_len = suites[s].salt_len;
	engine_fill_key(s, k->key, k->salt, seed);
}

static srtp_t
ref_of(const struct dir_keys *k, int inbound)
{
	return ref_create((enum suite)k->suite, k->key, k->salt, inbound, NULL, 0);
}

static uint32_t
create(struct session_params *p)
{
	char err[256];
	uint32_t slot = 0;
	int r = sessions_create(SS, p, &slot, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "sessions_create: %d %s\n", r, err);
	return slot;
}

static uint16_t
lport(uint32_t slot, unsigned int l)
{
	return sessions_get(SS, slot)->leg[l].local_port;
}

/* One stream of @p n RTP packets from @p tx to srtpfwd's @p dst:dport, out
 * on @p rx: each arrives from @p sport_want with the bytes @p expect
 * computes. Transform hooks make SRTP peers. */
struct stream {
	int tx_fd, tx_ip6;
	const uint8_t *dst;
	uint16_t dport;
	int rx_fd;
	uint16_t sport_want;
	srtp_t protect; /* sender's libsrtp context, or NULL: plain */
	srtp_t unprotect; /* receiver's, or NULL: plain */
	int rtcp;
	uint32_t ssrc;
};

/* @return the number of packets that arrived intact. */
static unsigned int
run_stream(const struct stream *s, unsigned int n)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t plain[256], wire[256], got[2048];
		unsigned int len = s->rtcp ? build_rtcp(plain, s->ssrc, 20, i)
					   : build_rtp(plain, s->ssrc, (uint16_t)(100 + i), i * 160,
						       160, 0, -1, 0);
		int wl = (int)len, gl;
		uint16_t from = 0;

		memcpy(wire, plain, len);
		if (s->protect != NULL && ref_protect(s->protect, 0, s->rtcp, wire, &wl) != 0) {
			fprintf(stderr, "libsrtp protect failed\n");
			continue;
		}
		send_to(s->tx_fd, s->tx_ip6, s->dst, s->dport, wire, (size_t)wl);
		gl = recv_one(s->rx_fd, got, sizeof(got), &from);
		if (gl < 0) {
			fprintf(stderr, "  packet %u: nothing arrived\n", i);
			continue;
		}
		if (s->unprotect != NULL &&
		    ref_unprotect(s->unprotect, 0, s->rtcp, got, &gl) != srtp_err_status_ok) {
			fprintf(stderr, "  packet %u: libsrtp2 refused what arrived\n", i);
			continue;
		}
		if ((unsigned int)gl != len || memcmp(got, plain, len) != 0 ||
		    from != s->sport_want) {
			fprintf(stderr, "  packet %u: %d bytes from port %u, want %u from %u\n", i,
				gl, from, len, s->sport_want);
			continue;
		}
		ok++;
	}
	return ok;
}

/* ---- cases ---- */

/* A plain call between legs on @p a0 and @p a1, both ways. */
static void
plain_call(unsigned int a0, unsigned int a1)
{
	int ip6a = a0 == ADDR_A6, ip6b = a1 == ADDR_B6;
	const uint8_t *pa = ip6a ? A_PEER6 : A_PEER4, *pb = ip6b ? B_PEER6 : B_PEER4;
	int fa = ns_socket(NS_A, ip6a, pa, 4000), fb = ns_socket(NS_B, ip6b, pb, 5000);
	struct session_params p;
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], a0, pa, 4000, LEG_RTCP_MUX);
	leg(&p.leg[1], a1, pb, 5000, LEG_RTCP_MUX);
	s = create(&p);
	REQUIRE(s != 0);
	{
		struct stream ab = {fa,		 ip6a, ip6a ? A_LOCAL6 : A_LOCAL4,
				    lport(s, 0), fb,   lport(s, 1),
				    NULL,	 NULL, 0,
				    0x1111};
		struct stream ba = {fb,		 ip6b, ip6b ? B_LOCAL6 : B_LOCAL4,
				    lport(s, 1), fa,   lport(s, 0),
				    NULL,	 NULL, 0,
				    0x2222};

		CHECK_EQ(run_stream(&ab, 50), 50);
		CHECK_EQ(run_stream(&ba, 50), 50);
		ab.rtcp = ba.rtcp = 1; /* muxed RTCP, plain */
		CHECK_EQ(run_stream(&ab, 5), 5);
		CHECK_EQ(run_stream(&ba, 5), 5);
	}
	CHECK_EQ(sessions_get(SS, s)->leg[0].rx[0].packets, 55);
	CHECK_EQ(sessions_get(SS, s)->leg[1].rx[0].packets, 55);
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fa);
	close(fb);
}

TEST(plain_v4)
{
	plain_call(ADDR_A4, ADDR_B4);
}

TEST(plain_v6)
{
	plain_call(ADDR_A6, ADDR_B6);
}

TEST(bridge_v4_v6)
{
	plain_call(ADDR_A4, ADDR_B6);
	plain_call(ADDR_A6, ADDR_B4);
}

/* Leg 0 SRTP (A's keys), leg 1 as given: SRTP->RTP / RTP->SRTP when leg 1
 * is plain, SRTP->SRTP with other keys when it is SRTP. RTCP on port + 1 on
 * leg 0 (SRTCP), muxed on leg 1. */
static void
srtp_call(enum suite sa, int leg1_srtp, enum suite sb)
{
	int fa = ns_socket(NS_A, 0, A_PEER4, 4000), fa_rtcp = ns_socket(NS_A, 0, A_PEER4, 4001);
	int fb = ns_socket(NS_B, 0, B_PEER4, 5000);
	struct session_params p;
	srtp_t a_tx, a_rx, b_tx = NULL, b_rx = NULL;
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, A_PEER4, 4000, LEG_SRTP);
	keys(&p.leg[0].in, sa, 1);
	keys(&p.leg[0].out, sa, 2);
	leg(&p.leg[1], ADDR_B4, B_PEER4, 5000,
	    (uint8_t)(LEG_RTCP_MUX | (leg1_srtp ? LEG_SRTP : 0)));
	if (leg1_srtp) {
		keys(&p.leg[1].in, sb, 3);
		keys(&p.leg[1].out, sb, 4);
		b_tx = ref_of(&p.leg[1].in, 0);
		b_rx = ref_of(&p.leg[1].out, 1);
	}
	a_tx = ref_of(&p.leg[0].in, 0);
	a_rx = ref_of(&p.leg[0].out, 1);
	s = create(&p);
	REQUIRE(s != 0);
	{
		struct stream ab = {fa,		 0,    A_LOCAL4, lport(s, 0), fb,
				    lport(s, 1), a_tx, b_rx,	 0,	      0xa0a0};
		struct stream ba = {fb,		 0,    B_LOCAL4, lport(s, 1), fa,
				    lport(s, 0), b_tx, a_rx,	 0,	      0xb0b0};
		struct stream ab_rtcp = {
			fa_rtcp, 0, A_LOCAL4, (uint16_t)(lport(s, 0) + 1), fb, lport(s, 1), a_tx,
			b_rx,	 1, 0xa0a0};
		struct stream ba_rtcp = {
			fb,   0,    B_LOCAL4, lport(s, 1), fa_rtcp, (uint16_t)(lport(s, 0) + 1),
			b_tx, a_rx, 1,	      0xb0b0};

		CHECK_EQ(run_stream(&ab, 100), 100);
		CHECK_EQ(run_stream(&ba, 100), 100);
		CHECK_EQ(run_stream(&ab_rtcp, 10), 10);
		CHECK_EQ(run_stream(&ba_rtcp, 10), 10);
	}
	{
		const struct session *x = sessions_get(SS, s);

		CHECK_EQ(x->leg[0].in.rtp.cnt.packets, 100);
		CHECK_EQ(x->leg[0].in.rtcp.cnt.packets, 10);
		CHECK_EQ(x->leg[0].out.rtp.cnt.packets, 100);
		CHECK_EQ(x->leg[0].in.rtp.cnt.auth_fail, 0);
		CHECK_EQ(x->leg[0].rx[1].packets, 10); /* RTCP on port + 1 */
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	srtp_dealloc(a_rx);
	if (b_tx != NULL) {
		srtp_dealloc(b_tx);
		srtp_dealloc(b_rx);
	}
	close(fa);
	close(fa_rtcp);
	close(fb);
}

TEST(srtp_to_rtp_and_back)
{
	srtp_call(SUITE_AES_CM_128_HMAC_SHA1_80, 0, 0);
}

TEST(srtp_rekey)
{
	srtp_call(SUITE_AES_CM_128_HMAC_SHA1_80, 1, SUITE_AEAD_AES_128_GCM);
}

/* Passthrough: SRTP, STUN and DTLS bytes cross untouched. */
TEST(passthrough)
{
	int fa = ns_socket(NS_A, 0, A_PEER4, 4000), fb = ns_socket(NS_B, 1, B_PEER6, 5000);
	struct session_params p;
	uint8_t msg[3][200], got[2048];
	unsigned int len[3] = {120, 28, 90};
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, A_PEER4, 4000, LEG_PASSTHROUGH | LEG_RTCP_MUX);
	leg(&p.leg[1], ADDR_B6, B_PEER6, 5000, LEG_PASSTHROUGH | LEG_RTCP_MUX);
	s = create(&p);
	REQUIRE(s != 0);
	test_seed(7);
	for (unsigned int k = 0; k < 3; k++)
		for (unsigned int i = 0; i < len[k]; i++)
			msg[k][i] = (uint8_t)test_rand();
	build_rtp(msg[0], 0x5555, 1, 160, 100, 0, -1, 0); /* SRTP: header + "cipher" + tag */
	msg[0][110] ^= 0x5a;
	msg[1][0] = 0x00, msg[1][1] = 0x01; /* STUN binding request */
	msg[2][0] = 22; /* DTLS handshake */
	for (unsigned int k = 0; k < 3; k++) {
		int n;
		uint16_t from = 0;

		send_to(fa, 0, A_LOCAL4, lport(s, 0), msg[k], len[k]);
		n = recv_one(fb, got, sizeof(got), &from);
		CHECK_EQ(n, (int)len[k]);
		CHECK(n == (int)len[k] && memcmp(got, msg[k], len[k]) == 0);
		CHECK_EQ(from, lport(s, 1));
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fa);
	close(fb);
}

/* Latching only after authentication: forged SRTP from a spoofer on A's
 * link neither moves the stream nor receives anything. */
TEST(latch_after_auth)
{
	int fa = ns_socket(NS_A, 0, A_PEER4, 4100), fs = ns_socket(NS_A, 0, A_SPOOF4, 4444);
	int fb = ns_socket(NS_B, 0, B_PEER4, 5000);
	struct session_params p;
	struct worker_stats w0, w1;
	srtp_t a_tx, a_rx;
	uint8_t forged[200], got[2048];
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, NULL, 0, LEG_SRTP | LEG_LATCH | LEG_RTCP_MUX); /* no remote */
	keys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, 11);
	keys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 12);
	leg(&p.leg[1], ADDR_B4, B_PEER4, 5000, LEG_RTCP_MUX);
	a_tx = ref_of(&p.leg[0].in, 0);
	a_rx = ref_of(&p.leg[0].out, 1);
	s = create(&p);
	REQUIRE(s != 0);
	w0 = wstats();
	/* 1. the spoofer's forged SRTP: valid header, random tag */
	for (unsigned int i = 0; i < 5; i++) {
		unsigned int n = build_rtp(forged, 0xdead, (uint16_t)i, 0, 160, 0, -1, 0);

		for (unsigned int k = n; k < n + 10; k++)
			forged[k] = (uint8_t)(0x31 * (i + 1) + k);
		send_to(fs, 0, A_LOCAL4, lport(s, 0), forged, n + 10);
	}
	CHECK(silent(fb, 300));
	/* 2. B speaks: there is nowhere to send it yet */
	build_rtp(forged, 0xb0b0, 1, 0, 160, 0, -1, 0);
	send_to(fb, 0, B_LOCAL4, lport(s, 1), forged, 172);
	CHECK(silent(fs, 300));
	w1 = wstats();
	CHECK_EQ(w1.drop[DROP_SRTP_AUTH] - w0.drop[DROP_SRTP_AUTH], 5);
	CHECK_EQ(w1.drop[DROP_NO_REMOTE] - w0.drop[DROP_NO_REMOTE], 1);
	CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.auth_fail, 5);
	CHECK_EQ(sessions_get(SS, s)->leg[0].latch.remote.port, 0);
	/* 3. the real peer: verified, latched; B's media reaches it */
	{
		struct stream ab = {fa,		 0,    A_LOCAL4, lport(s, 0), fb,
				    lport(s, 1), a_tx, NULL,	 0,	      0xa1a1};
		struct stream ba = {fb,		 0,    B_LOCAL4, lport(s, 1), fa,
				    lport(s, 0), NULL, a_rx,	 0,	      0xb1b1};

		CHECK_EQ(run_stream(&ab, 20), 20);
		CHECK_EQ(sessions_get(SS, s)->leg[0].latch.remote.port, 4100);
		CHECK_EQ(run_stream(&ba, 20), 20);
		/* 4. the spoofer again: still refused; media stays with A */
		for (unsigned int i = 0; i < 5; i++)
			send_to(fs, 0, A_LOCAL4, lport(s, 0), forged, 182);
		pump(200);
		ba.ssrc = 0xb2b2; /* run_stream restarts at SEQ 100: srtpfwd would refuse
				     to encrypt an index twice (srtp_index_reuse) */
		CHECK_EQ(run_stream(&ba, 10), 10);
		CHECK(recv(fs, got, sizeof(got), 0) < 0);
		CHECK_EQ(sessions_get(SS, s)->leg[0].latch.remote.port, 4100);
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	srtp_dealloc(a_rx);
	close(fa);
	close(fs);
	close(fb);
}

/* Replayed and tampered SRTP: dropped, counted by reason, never forwarded. */
TEST(replay_and_tamper)
{
	int fa = ns_socket(NS_A, 0, A_PEER4, 4200), fb = ns_socket(NS_B, 0, B_PEER4, 5000);
	struct session_params p;
	struct worker_stats w0, w1;
	uint8_t pkt[256], bad[256], got[2048];
	int len;
	srtp_t a_tx;
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, A_PEER4, 4200, LEG_SRTP | LEG_RTCP_MUX);
	keys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, 21);
	keys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 22);
	leg(&p.leg[1], ADDR_B4, B_PEER4, 5000, LEG_RTCP_MUX);
	a_tx = ref_of(&p.leg[0].in, 0);
	s = create(&p);
	REQUIRE(s != 0);
	len = (int)build_rtp(pkt, 0xc0c0, 7, 0, 160, 0, -1, 0);
	REQUIRE(ref_protect(a_tx, 0, 0, pkt, &len) == srtp_err_status_ok);
	w0 = wstats();
	send_to(fa, 0, A_LOCAL4, lport(s, 0), pkt, (size_t)len);
	CHECK(recv_one(fb, got, sizeof(got), NULL) == len - 10);
	for (unsigned int i = 0; i < 3; i++) /* the same packet again */
		send_to(fa, 0, A_LOCAL4, lport(s, 0), pkt, (size_t)len);
	memcpy(bad, pkt, (size_t)len);
	bad[40] ^= 1; /* one payload bit */
	bad[2] = 0, bad[3] = 8; /* a fresh sequence number, so it is not a replay */
	send_to(fa, 0, A_LOCAL4, lport(s, 0), bad, (size_t)len);
	CHECK(silent(fb, 300));
	w1 = wstats();
	CHECK_EQ(w1.drop[DROP_SRTP_REPLAY] - w0.drop[DROP_SRTP_REPLAY], 3);
	CHECK_EQ(w1.drop[DROP_SRTP_AUTH] - w0.drop[DROP_SRTP_AUTH], 1);
	CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.replay, 3);
	CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.auth_fail, 1);
	CHECK_EQ(sessions_get(SS, s)->leg[0].rx[0].packets, 1);
	CHECK_EQ(sessions_get(SS, s)->leg[0].rx[0].dropped, 4);
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	close(fa);
	close(fb);
}

/* ping and ping -6 from a namespace: ARP/ND resolve srtpfwd's addresses and
 * it answers the echoes. The control thread runs while ping does. */
static int
ping_from(const char *ns, const char *addr)
{
	pid_t pid = fork();
	int status = 0;
	uint64_t end = now_ms() + 10000;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execlp("ip", "ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2",
		       addr, (char *)NULL);
		_exit(127);
	}
	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		pump(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

TEST(arp_nd_ping)
{
	struct daemon_stats st0, st1;

	/* The peers' kernels learned srtpfwd's MACs from its own requests;
	 * forget them so they must ask. */
	sh("ip -n %s neigh flush all; ip -n %s neigh flush all", NS_A, NS_B);
	daemon_stats(D, &st0);
	CHECK_EQ(ping_from(NS_A, "10.201.0.1"), 0);
	CHECK_EQ(ping_from(NS_B, "fd02::1"), 0);
	daemon_stats(D, &st1);
	CHECK(st1.neigh.echo_replied - st0.neigh.echo_replied >= 6);
	/* the peers asked for srtpfwd's addresses */
	CHECK(st1.neigh.arp_replied - st0.neigh.arp_replied >= 1);
	CHECK(st1.neigh.nd_replied - st0.neigh.nd_replied >= 1);
	/* and srtpfwd resolved its peers: requests went out, answers came */
	CHECK(st1.neigh.requests_sent >= 2);
	CHECK(st1.neigh.held_sent >= 1);
	CHECK_EQ(st1.neigh.malformed, 0);
}

/* 1000 sessions at once: every stream's payload arrives as sent. */
#define N_MANY 1000
#define PER_SESSION 3
TEST(thousand_sessions)
{
	static uint32_t slot[N_MANY];
	static uint8_t seen[N_MANY][PER_SESSION];
	static int by_port[PORT_MAX + 1];
	int fa = ns_socket(NS_A, 0, A_PEER4, 4300), fb = ns_socket(NS_B, 0, B_PEER4, 5300);
	struct session_params p;
	unsigned int got = 0, bad = 0;
	uint8_t buf[2048];

	memset(seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < N_MANY; i++) {
		memset(&p, 0, sizeof(p));
		p.id = 1000 + i;
		leg(&p.leg[0], ADDR_A4, A_PEER4, 4300, LEG_RTCP_MUX);
		leg(&p.leg[1], ADDR_B4, B_PEER4, 5300, LEG_RTCP_MUX);
		slot[i] = create(&p);
		REQUIRE(slot[i] != 0);
		by_port[lport(slot[i], 1)] = (int)i;
	}
	CHECK_EQ(sessions_count(SS), N_MANY);
	/* Flow-controlled in groups of 25: the next group goes only once the
	 * previous one arrived (or WAIT_MS passed), so af_packet's 512-frame
	 * rings never overflow even when the machine is loaded and the worker
	 * is descheduled. Loss is then loss, not the test outrunning a ring. */
	for (unsigned int r = 0; r < PER_SESSION; r++)
		for (unsigned int g = 0; g < N_MANY; g += 25) {
			unsigned int target = r * N_MANY + g + 25;

			for (unsigned int i = g; i < g + 25; i++) {
				unsigned int n = build_rtp(buf, 0x10000 + i, (uint16_t)r, r * 160,
							   100, 0, -1, 0);

				buf[12] = (uint8_t)(i >> 8), buf[13] = (uint8_t)i,
				buf[14] = (uint8_t)r;
				send_to(fa, 0, A_LOCAL4, lport(slot[i], 0), buf, n);
			}
			for (uint64_t end = now_ms() + WAIT_MS; got < target && now_ms() < end;) {
				uint8_t in[2048];
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t n = recvfrom(fb, in, sizeof(in), 0,
						     (struct sockaddr *)&from, &fl);
				unsigned int i, rr;

				if (n < 0) {
					if (daemon_poll(D) == 0)
						usleep(100);
					continue;
				}
				i = (unsigned int)(in[12] << 8 | in[13]);
				rr = in[14];
				if (n != 112 || i >= N_MANY || rr >= PER_SESSION ||
				    by_port[ntohs(from.sin_port)] != (int)i ||
				    rte_be_to_cpu_32(*(uint32_t *)(in + 8)) != 0x10000 + i) {
					bad++;
					continue;
				}
				got += !seen[i][rr];
				seen[i][rr] = 1;
			}
		}
	for (uint64_t end = now_ms() + WAIT_MS; got < N_MANY * PER_SESSION && now_ms() < end;) {
		uint8_t in[2048];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fb, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			pump(1);
			continue;
		}
		if (n == 112 && (unsigned int)(in[12] << 8 | in[13]) < N_MANY &&
		    in[14] < PER_SESSION &&
		    by_port[ntohs(from.sin_port)] == (in[12] << 8 | in[13])) {
			got += !seen[in[12] << 8 | in[13]][in[14]];
			seen[in[12] << 8 | in[13]][in[14]] = 1;
		} else {
			bad++;
		}
	}
	CHECK_EQ(got, N_MANY * PER_SESSION);
	CHECK_EQ(bad, 0);
	for (unsigned int i = 0; i < N_MANY; i++)
		CHECK_EQ(sessions_delete(SS, slot[i]), 0);
	CHECK_EQ(sessions_count(SS), 0);
	close(fa);
	close(fb);
}

int
main(void)
{
	struct daemon_config cfg;
	char err[256], prefix[64];
	int bad;

	if (geteuid() != 0 || system("ip netns list >/dev/null 2>&1") != 0) {
		printf("skipped: needs root and iproute2\n");
		return 77;
	}
	NET_ROOT = open("/proc/self/ns/net", O_RDONLY);
	if (lab_up() != 0) {
		fprintf(stderr, "could not build the namespaces\n");
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=srtpfwd_netns%d", getpid());
	{
		static const char *const a[] = {
			"test_netns", "--no-huge", "--no-pci", "--no-shconf", "-m",
			"256",	      "-l",	   "0,1",      "--log-level", "*:warning"};
		static char args[11][64];
		char *argv[11];

		for (unsigned int k = 0; k < 10; k++)
			snprintf(args[k], sizeof(args[k]), "%s", a[k]);
		snprintf(args[10], sizeof(args[10]), "%s", prefix);
		for (unsigned int k = 0; k < 11; k++)
			argv[k] = args[k];
		if (rte_eal_init(11, argv) < 0) {
			fprintf(stderr, "EAL init failed\n");
			return 1;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_ports = 2;
	snprintf(cfg.ports[0].dev, DAEMON_DEV_MAX, "net_af_packet0,iface=%s", VETH_A);
	snprintf(cfg.ports[1].dev, DAEMON_DEV_MAX, "net_af_packet1,iface=%s", VETH_B);
	cfg.n_addrs = 4;
	cfg.addrs[ADDR_A4] = (struct daemon_addr){.port = 0, .route.prefix_len = 24};
	memcpy(cfg.addrs[ADDR_A4].addr, A_LOCAL4, 4);
	cfg.addrs[ADDR_A6] = (struct daemon_addr){.port = 0, .ip6 = 1, .route.prefix_len = 64};
	memcpy(cfg.addrs[ADDR_A6].addr, A_LOCAL6, 16);
	cfg.addrs[ADDR_B4] = (struct daemon_addr){.port = 1, .route.prefix_len = 24};
	memcpy(cfg.addrs[ADDR_B4].addr, B_LOCAL4, 4);
	cfg.addrs[ADDR_B6] = (struct daemon_addr){.port = 1, .ip6 = 1, .route.prefix_len = 64};
	memcpy(cfg.addrs[ADDR_B6].addr, B_LOCAL6, 16);
	cfg.port_min = PORT_MIN;
	cfg.port_max = PORT_MAX;
	cfg.max_sessions = 2000;
	D = daemon_start(&cfg, err, sizeof(err));
	if (D == NULL) {
		fprintf(stderr, "daemon_start: %s\n", err);
		return 1;
	}
	SS = daemon_sessions(D);
	pump(200); /* the kernel's router solicitations, MLD: punted, ignored */
	bad = test_run_all();
	{
		struct daemon_stats st;

		daemon_stop_workers(D);
		daemon_stats(D, &st);
		daemon_stats_print(&st, stdout);
		/* every frame received left exactly once: sent, punted or dropped */
		{
			uint64_t drops = 0;

			for (unsigned int r = 0; r < DROP_MAX; r++)
				drops += st.total.drop[r];
			CHECK_EQ(st.total.rx,
				 st.total.tx - st.total.injected + st.total.punted + drops);
		}
	}
	daemon_stop(D);
	rte_eal_cleanup();
	lab_down();
	return bad || test_failed_checks ? 1 : 0;
}
