/* test_netns.c: the srtpfwd daemon forwarding real packets between Linux
 * network namespaces.
 *
 *   ns A (peer of leg 0)              the test's own ns         ns B (peer of leg 1)
 *   10.201.0.2, .3 (spoofer)   veth   srtpfwd: net_af_packet0   10.202.0.2
 *   fd01::2                    ====   10.201.0.1, fd01::1       fd02::2
 *                                     net_af_packet1 ====veth== 10.202.0.1, fd02::1
 *
 * The process first moves into a network namespace of its own (unshare),
 * where srtpfwd's ends of the veths live: nothing is added to the root
 * namespace, its kernel never sees the links, and af_packet's fanout
 * groups, which DPDK numbers (pid ^ ifindex) & 0xffff per namespace, cannot
 * collide with another run's (in a shared namespace they do, and the
 * later port fails to probe with EINVAL).
 *
 * One process: the EAL and the daemon (control/daemon.c: one worker lcore,
 * the main lcore is the control thread and runs daemon_poll() whenever the
 * test waits), and the peers, which are kernel UDP sockets opened inside
 * the namespaces (setns, socket, setns back: a socket keeps its namespace).
 * SRTP peers use libsrtp2. The kernel in each namespace resolves srtpfwd's
 * addresses with real ARP and neighbour discovery, and srtpfwd resolves the
 * peers the same way (no static next-hop MAC anywhere), holding the first
 * frames of a call until it does. The peers' kernels check every IP and UDP
 * checksum srtpfwd writes, and the receiving sockets report the source
 * address, TTL/hop limit and TOS/traffic class each datagram came with.
 *
 * The spoofer is a second address in namespace A (10.201.0.3) with its own
 * socket: same link and same MAC as the real peer, another source address
 * and port. That is the attacker latching must resist (an on-path host
 * that can send anything but cannot forge an SRTP tag), without a bridge
 * between srtpfwd and the namespaces.
 *
 * Every case creates its sessions with the sessions API, sends a bounded
 * number of packets, waits at most WAIT_MS for each, checks the bytes that
 * arrive, the per-leg and SRTP counters and the worker's drop counters
 * exactly (every reason the case does not expect must stay at zero), then
 * deletes its sessions and checks that every mbuf is back in the pool.
 *
 * Faults under a call (the last cases): the punt ring filled by an ARP
 * flood while the control thread stalls, the mbuf pool emptied for a
 * moment, and a port's link taken down and up from the peer's side. Each
 * checks that the call goes on (or resumes), that every frame is answered
 * or counted, and that srtpfwd counted the episode once and logged it
 * once as it began and once as it ended (control/fault_watch.h).
 *
 * The lab is tests/netns_lab.c (lab_up_here(), tag "sfn"): srtpfwd's ends
 * are sfna and sfnb, the peers' sfnap and sfnbp.
 *
 * Needs root and iproute2 ("ip netns"); without them it exits 77 (skipped).
 * The peers' namespaces are named after the pid (sfnA<pid>, sfnB<pid>) and
 * removed, with EAL's runtime directory, at exit and on a fatal signal (a
 * watchdog SIGALRM says so first); those of a killed run (SIGKILL) by the
 * next run once that pid is gone. The test's own namespace, and srtpfwd's
 * ends of the veths in it, go with the process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "../csum.h"
#include "../engine.h"
#include "../netns_lab.h"
#include "../ref.h"
#include "../test.h"
#include "control/daemon.h"
#include "control/fault_watch.h"

#define WAIT_MS 2000 /* for one datagram to arrive */
#define QUIET_MS 300 /* watched to say that nothing arrives */
#define PORT_MIN 20000
#define PORT_MAX 29999
#define RTP_LEN (12 + 160) /* build_rtp() with 160 bytes of payload */
#define RTCP_LEN (8 + 20) /* build_rtcp() with a 20-byte body */
#define TAG80 10 /* HMAC-SHA1-80 */
#define SRTCP_TRAILER 4 /* E flag and SRTCP index */
#define WATCHDOG_S 150 /* under meson's 180 s: fail with a message, not a kill */

/* The daemon's addresses; each has a peer on the same link. */
enum { ADDR_A4, ADDR_A6, ADDR_B4, ADDR_B6, N_ADDR };
enum { SIDE_A, SIDE_B };

static const struct {
	uint8_t ip6;
	uint8_t side; /* SIDE_A: leg 0's link, port 0; SIDE_B: leg 1's, port 1 */
	uint8_t local[16]; /* srtpfwd's */
	uint8_t peer[16]; /* the kernel's in that namespace */
	const char *local_str;
} AD[N_ADDR] = {
	[ADDR_A4] = {0, SIDE_A, {10, 201, 0, 1}, {10, 201, 0, 2}, "10.201.0.1"},
	[ADDR_A6] = {1, SIDE_A, {0xfd, 0x01, [15] = 1}, {0xfd, 0x01, [15] = 2}, "fd01::1"},
	[ADDR_B4] = {0, SIDE_B, {10, 202, 0, 1}, {10, 202, 0, 2}, "10.202.0.1"},
	[ADDR_B6] = {1, SIDE_B, {0xfd, 0x02, [15] = 1}, {0xfd, 0x02, [15] = 2}, "fd02::1"},
};
static const uint8_t A_SPOOF4[4] = {10, 201, 0, 3};

static struct daemon *D;
static struct sessions *SS;
static struct rte_mempool *POOL;

/* The lab's namespace of side @p side's peer (netns_lab.h). */
static unsigned int
peer_ns(unsigned int side)
{
	return side == SIDE_A ? LAB_A : LAB_B;
}

static void
sockaddr_of(struct sockaddr_storage *ss, socklen_t *sl, int ip6, const uint8_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (ip6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, addr, 16);
		*sl = sizeof(*s);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, addr, 4);
		*sl = sizeof(*s);
	}
}

/* A non-blocking UDP socket bound to addr:port inside namespace @p side,
 * reporting each datagram's TTL and TOS (hop limit and traffic class). */
static int
peer_socket(unsigned int side, int ip6, const uint8_t *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, big = 4 << 20;

	lab_enter(peer_ns(side));
	fd = socket(ip6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("socket");
		abort();
	}
	/* the 1000-session case keeps up to a group of datagrams queued */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (ip6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	}
	sockaddr_of(&ss, &sl, ip6, addr, port);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		perror("bind");
		abort();
	}
	lab_leave();
	return fd;
}

static int
send_to(int fd, int ip6, const uint8_t *addr, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t r;

	sockaddr_of(&ss, &sl, ip6, addr, port);
	r = sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl);
	if (r != (ssize_t)len) {
		fprintf(stderr, "sendto: %zd (%s)\n", r, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run the control thread for @p ms. */
static void
pump(unsigned int ms)
{
	uint64_t end = lab_now_ms() + ms;

	while (lab_now_ms() < end)
		if (daemon_poll(D) == 0)
			usleep(200);
}

/* What a datagram arrived with. */
struct rx_info {
	uint8_t addr[16]; /* source */
	uint16_t port;
	int ttl; /* TTL or hop limit; -1: not reported */
	int tos; /* TOS or traffic class; -1: not reported */
};

/* One datagram, if one is queued: @return its length, or -1. */
static int
recv_now(int fd, uint8_t *buf, size_t cap, struct rx_info *ri)
{
	struct sockaddr_storage ss;
	union {
		struct cmsghdr align;
		uint8_t b[256];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_name = &ss,
			    .msg_namelen = sizeof(ss),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);

	if (r < 0)
		return -1;
	if (ri == NULL)
		return (int)r;
	memset(ri, 0, sizeof(*ri));
	ri->ttl = ri->tos = -1;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ss;

		memcpy(ri->addr, &s->sin6_addr, 16);
		ri->port = ntohs(s->sin6_port);
	} else {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;

		memcpy(ri->addr, &s->sin_addr, 4);
		ri->port = ntohs(s->sin_port);
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		int v;

		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			ri->tos = *(const uint8_t *)CMSG_DATA(c);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			ri->ttl = v;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			ri->tos = v;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			ri->ttl = v;
		}
	}
	return (int)r;
}

/* Receive one datagram on @p fd within WAIT_MS, running the control thread
 * meanwhile. @return its length, or -1. */
static int
recv_one(int fd, uint8_t *buf, size_t cap, struct rx_info *ri)
{
	uint64_t end = lab_now_ms() + WAIT_MS;

	while (lab_now_ms() < end) {
		int r = recv_now(fd, buf, cap, ri);

		if (r >= 0)
			return r;
		if (daemon_poll(D) == 0)
			usleep(100);
	}
	return -1;
}

/* @return how many datagrams reached @p fd in QUIET_MS (0 expected). */
static unsigned int
arrivals(int fd)
{
	uint8_t buf[2048];
	unsigned int n = 0;

	pump(QUIET_MS);
	while (recv_now(fd, buf, sizeof(buf), NULL) >= 0)
		n++;
	return n;
}

/* ---- counters ---- */

static struct daemon_stats
snap(void)
{
	struct daemon_stats st;

	daemon_stats(D, &st);
	return st;
}

/* Every drop reason moved since @p before by exactly what the (reason,
 * count) pairs say, and every other one not at all. */
#define CHECK_DROPS(before, ...) check_drops(__LINE__, before, ##__VA_ARGS__, DROP_NONE)

static void
check_drops(int line, const struct daemon_stats *before, ...)
{
	uint64_t want[DROP_MAX] = {0}, end = lab_now_ms() + WAIT_MS;
	struct daemon_stats now;
	va_list ap;
	int r;

	va_start(ap, before);
	while ((r = va_arg(ap, int)) != DROP_NONE)
		want[r] = va_arg(ap, unsigned int);
	va_end(ap);
	/* a loaded machine may not have run the worker over the last frame
	 * yet: wait (bounded) while some count is still short of its want */
	for (;;) {
		int short_of = 0;

		now = snap();
		for (r = 1; r < DROP_MAX; r++)
			short_of |= now.total.drop[r] - before->total.drop[r] < want[r];
		if (!short_of || lab_now_ms() >= end)
			break;
		pump(5);
	}
	for (r = 1; r < DROP_MAX; r++) {
		uint64_t got = now.total.drop[r] - before->total.drop[r];

		test_checks++;
		if (got != want[r]) {
			test_failed_checks++;
			fprintf(stderr, "%s:%d: drop %s moved by %" PRIu64 ", want %" PRIu64 "\n",
				__FILE__, line, drop_reason_name((enum drop_reason)r), got,
				want[r]);
		}
	}
}

/* A leg's counters on its RTP port (0) or RTCP port (1). */
#define CHECK_RX(slot, l, p, pk, by, dr)                                                           \
	do {                                                                                       \
		const struct leg_counters *_c = &sessions_get(SS, slot)->leg[l].rx[p];             \
		CHECK_EQ(_c->packets, pk);                                                         \
		CHECK_EQ(_c->bytes, by);                                                           \
		CHECK_EQ(_c->dropped, dr);                                                         \
	} while (0)

/* Once traffic is over, every mbuf goes back to the pool: af_packet copies
 * frames in and out of its rings, so none stays in a port. Waits a little
 * for the last ones (tx buffers, the inject ring). @return those in use. */
static unsigned int
mbufs_in_use(void)
{
	uint64_t end = lab_now_ms() + 1000;
	unsigned int n;

	while ((n = rte_mempool_in_use_count(POOL)) != 0 && lab_now_ms() < end)
		pump(5);
	return n;
}

/* The end of every case: nothing left behind. */
static void
case_end(void)
{
	CHECK_EQ(sessions_count(SS), 0);
	CHECK_EQ(mbufs_in_use(), 0);
}

/* ---- sessions ---- */

static void
leg(struct leg_params *l, unsigned int addr, const uint8_t *peer, uint16_t peer_port, uint8_t flags)
{
	memset(l, 0, sizeof(*l));
	l->local_addr = (uint8_t)addr;
	l->flags = flags;
	l->remote.ip6 = AD[addr].ip6;
	l->remote.port = peer_port;
	if (peer != NULL)
		memcpy(l->remote.addr, peer, AD[addr].ip6 ? 16 : 4);
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

/* libsrtp2 playing the peer: it protects with what srtpfwd's leg
 * unprotects (leg.in) and unprotects what the leg protects (leg.out). */
static srtp_t
ref_of(const struct dir_keys *k, int inbound)
{
	return ref_create((enum suite)k->suite, k->key, k->salt, inbound, NULL, 0);
}

static uint32_t
create(const struct session_params *p)
{
	char err[256];
	uint32_t slot = 0;
	int r = sessions_create(SS, p, &slot, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "sessions_create: %d %s\n", r, err);
	return r == 0 ? slot : 0;
}

static uint16_t
lport(uint32_t slot, unsigned int l)
{
	return sessions_get(SS, slot)->leg[l].local_port;
}

/* ---- streams ---- */

/* RTP (or RTCP) from a peer's socket to srtpfwd's @p to : @p to_port, out
 * to the other peer's @p rx_fd, where each datagram must come from
 * srtpfwd's @p from : @p from_port with TTL 64 and TOS @p tos, and carry
 * what was sent (after libsrtp2's unprotect when the receiver is an SRTP
 * peer). Sequence numbers go on from call to call. */
struct stream {
	int tx_fd;
	unsigned int to; /* ADDR_* */
	uint16_t to_port;
	int rx_fd;
	unsigned int from; /* ADDR_* */
	uint16_t from_port;
	uint8_t tos; /* DSCP << 2 of the out leg */
	srtp_t protect; /* the sender's libsrtp2 context, or NULL: plain */
	srtp_t unprotect; /* the receiver's, or NULL: plain */
	int rtcp;
	uint32_t ssrc;
	uint16_t seq; /* next RTP sequence number (RTCP: next fill) */
	int got_len; /* the last datagram as it arrived (before unprotect) */
};

/* @return the number of packets that arrived intact; the first few others
 * are described on stderr. */
static unsigned int
run_stream(struct stream *s, unsigned int n)
{
	unsigned int ok = 0, told = 0;

	for (unsigned int i = 0; i < n; i++, s->seq++) {
		uint8_t plain[256], wire[256], got[2048];
		unsigned int len =
			s->rtcp ? build_rtcp(plain, s->ssrc, 20, s->seq)
				: build_rtp(plain, s->ssrc, s->seq, s->seq * 160u, 160, 0, -1, 0);
		int wl = (int)len, gl;
		struct rx_info ri = {.ttl = -1, .tos = -1};
		const char *why = NULL;

		memcpy(wire, plain, len);
		if (s->protect != NULL &&
		    ref_protect(s->protect, 0, s->rtcp, wire, &wl) != srtp_err_status_ok) {
			fprintf(stderr, "  libsrtp2 protect failed\n");
			continue;
		}
		if (send_to(s->tx_fd, AD[s->to].ip6, AD[s->to].local, s->to_port, wire,
			    (size_t)wl) != 0)
			continue;
		gl = recv_one(s->rx_fd, got, sizeof(got), &ri);
		s->got_len = gl;
		if (gl < 0)
			why = "nothing arrived";
		else if (memcmp(ri.addr, AD[s->from].local, AD[s->from].ip6 ? 16 : 4) != 0 ||
			 ri.port != s->from_port)
			why = "wrong source";
		else if (ri.ttl != 64 || ri.tos != s->tos)
			why = "wrong TTL or TOS";
		else if (s->unprotect != NULL &&
			 ref_unprotect(s->unprotect, 0, s->rtcp, got, &gl) != srtp_err_status_ok)
			why = "libsrtp2 refused it";
		else if ((unsigned int)gl != len || memcmp(got, plain, len) != 0)
			why = "wrong bytes";
		if (why == NULL) {
			ok++;
		} else if (told++ < 5) {
			fprintf(stderr,
				"  %s %u (seq %u): %s: %d bytes from port %u, ttl %d tos %d; "
				"want %u bytes from port %u, tos %u\n",
				s->rtcp ? "RTCP" : "RTP", i, s->seq, why, gl, ri.port, ri.ttl,
				ri.tos, len, s->from_port, s->tos);
		}
	}
	return ok;
}

/* Send @p n packets of @p s that are expected to be dropped, without
 * waiting for each: the caller checks that nothing arrived. */
static void
send_stream(struct stream *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, s->seq++) {
		uint8_t wire[256];
		int wl = (int)build_rtp(wire, s->ssrc, s->seq, s->seq * 160u, 160, 0, -1, 0);

		if (s->protect != NULL &&
		    ref_protect(s->protect, 0, 0, wire, &wl) != srtp_err_status_ok) {
			fprintf(stderr, "  libsrtp2 protect failed\n");
			continue;
		}
		send_to(s->tx_fd, AD[s->to].ip6, AD[s->to].local, s->to_port, wire, (size_t)wl);
	}
}

/* ---- plain calls ---- */

/* A plain call between legs on @p a0 and @p a1, both ways: RTP, then RTCP
 * on port + 1 (or muxed, per leg), with the legs' DSCP on what leaves them.
 * Then RTP sent to a leg-0 RTCP port and RTCP to a leg-0 RTP port it does
 * not belong on: dropped as wrong_port, counted against the leg. */
static void
plain_call(unsigned int a0, unsigned int a1, int mux0, int mux1, uint8_t dscp0, uint8_t dscp1)
{
	const uint8_t *pa = AD[a0].peer, *pb = AD[a1].peer;
	int fa = peer_socket(SIDE_A, AD[a0].ip6, pa, 4000);
	int fa1 = mux0 ? -1 : peer_socket(SIDE_A, AD[a0].ip6, pa, 4001);
	int fb = peer_socket(SIDE_B, AD[a1].ip6, pb, 5000);
	int fb1 = mux1 ? -1 : peer_socket(SIDE_B, AD[a1].ip6, pb, 5001);
	struct daemon_stats st0 = snap();
	struct session_params p;
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], a0, pa, 4000, mux0 ? LEG_RTCP_MUX : 0);
	leg(&p.leg[1], a1, pb, 5000, mux1 ? LEG_RTCP_MUX : 0);
	p.leg[0].dscp = dscp0;
	p.leg[1].dscp = dscp1;
	s = create(&p);
	REQUIRE(s != 0);
	{
		uint16_t p0 = lport(s, 0), p1 = lport(s, 1);
		struct stream ab = {.tx_fd = fa,
				    .to = a0,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = a1,
				    .from_port = p1,
				    .tos = (uint8_t)(dscp1 << 2),
				    .ssrc = 0x1111};
		struct stream ba = {.tx_fd = fb,
				    .to = a1,
				    .to_port = p1,
				    .rx_fd = fa,
				    .from = a0,
				    .from_port = p0,
				    .tos = (uint8_t)(dscp0 << 2),
				    .ssrc = 0x2222};
		struct stream ab_rtcp = ab, ba_rtcp = ba;
		uint8_t pkt[256];

		CHECK_EQ(run_stream(&ab, 50), 50);
		CHECK_EQ(run_stream(&ba, 50), 50);
		ab_rtcp.rtcp = ba_rtcp.rtcp = 1;
		if (!mux0) {
			ab_rtcp.tx_fd = fa1, ab_rtcp.to_port = (uint16_t)(p0 + 1);
			ba_rtcp.rx_fd = fa1, ba_rtcp.from_port = (uint16_t)(p0 + 1);
		}
		if (!mux1) {
			ba_rtcp.tx_fd = fb1, ba_rtcp.to_port = (uint16_t)(p1 + 1);
			ab_rtcp.rx_fd = fb1, ab_rtcp.from_port = (uint16_t)(p1 + 1);
		}
		CHECK_EQ(run_stream(&ab_rtcp, 5), 5);
		CHECK_EQ(run_stream(&ba_rtcp, 5), 5);
		CHECK_RX(s, 0, 0, 50 + (mux0 ? 5 : 0), 50 * RTP_LEN + (mux0 ? 5 * RTCP_LEN : 0), 0);
		CHECK_RX(s, 0, 1, mux0 ? 0 : 5, mux0 ? 0 : 5 * RTCP_LEN, 0);
		CHECK_RX(s, 1, 0, 50 + (mux1 ? 5 : 0), 50 * RTP_LEN + (mux1 ? 5 * RTCP_LEN : 0), 0);
		CHECK_RX(s, 1, 1, mux1 ? 0 : 5, mux1 ? 0 : 5 * RTCP_LEN, 0);
		CHECK_DROPS(&st0);
		if (!mux0) {
			/* each kind on the other's port */
			send_to(fa1, AD[a0].ip6, AD[a0].local, (uint16_t)(p0 + 1), pkt,
				build_rtp(pkt, 0x1111, 1000, 0, 160, 0, -1, 0));
			send_to(fa, AD[a0].ip6, AD[a0].local, p0, pkt,
				build_rtcp(pkt, 0x1111, 20, 0));
			CHECK_EQ(arrivals(fb), 0);
			if (fb1 >= 0)
				CHECK_EQ(arrivals(fb1), 0);
			CHECK_DROPS(&st0, DROP_WRONG_PORT, 2);
			CHECK_RX(s, 0, 0, 50, 50 * RTP_LEN, 1);
			CHECK_RX(s, 0, 1, 5, 5 * RTCP_LEN, 1);
		}
		/* plain legs: no SRTP state moved */
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.packets, 0);
		CHECK_EQ(sessions_get(SS, s)->leg[1].out.rtp.cnt.packets, 0);
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fa);
	close(fb);
	if (fa1 >= 0)
		close(fa1);
	if (fb1 >= 0)
		close(fb1);
}

/* IPv4 both ways; leg 0 has RTCP on port + 1, leg 1 muxes it and marks
 * what it sends EF (DSCP 46). */
TEST(plain_v4)
{
	plain_call(ADDR_A4, ADDR_B4, 0, 1, 0, 46);
	case_end();
}

/* IPv6 both ways; traffic class from each leg's DSCP. */
TEST(plain_v6)
{
	plain_call(ADDR_A6, ADDR_B6, 1, 0, 34, 10);
	case_end();
}

/* v4 <-> v6 both ways: leg 0 IPv4 and leg 1 IPv6, then the reverse. */
TEST(bridge_v4_v6)
{
	plain_call(ADDR_A4, ADDR_B6, 0, 0, 46, 0);
	plain_call(ADDR_A6, ADDR_B4, 1, 1, 0, 46);
	case_end();
}

/* ---- SRTP calls ---- */

/* A call with SRTP on leg 0 (A's side: libsrtp2 in namespace A) and plain
 * RTP or SRTP with its own keys on leg 1. Leg 0 has RTCP on port + 1, so
 * SRTCP goes there; leg 1 muxes. */
struct srtp_call {
	enum suite s0; /* leg 0 */
	int srtp1; /* leg 1 SRTP too, with @p s1 and other keys (re-key) */
	enum suite s1;
	unsigned int rtp_ab, rtcp_ab, rtp_ba, rtcp_ba; /* packets each way */
};

static void
srtp_call(const struct srtp_call *c)
{
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4000);
	int fa1 = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4001);
	int fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5000);
	const struct suite_info *i0 = &suites[c->s0], *i1 = &suites[c->s1];
	struct daemon_stats st0 = snap(), st1;
	struct session_params p;
	srtp_t a_tx, a_rx, b_tx = NULL, b_rx = NULL;
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4000, LEG_SRTP);
	keys(&p.leg[0].in, c->s0, 1);
	keys(&p.leg[0].out, c->s0, 2);
	leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5000,
	    (uint8_t)(LEG_RTCP_MUX | (c->srtp1 ? LEG_SRTP : 0)));
	if (c->srtp1) {
		keys(&p.leg[1].in, c->s1, 3);
		keys(&p.leg[1].out, c->s1, 4);
		b_tx = ref_of(&p.leg[1].in, 0);
		b_rx = ref_of(&p.leg[1].out, 1);
	}
	a_tx = ref_of(&p.leg[0].in, 0);
	a_rx = ref_of(&p.leg[0].out, 1);
	s = create(&p);
	REQUIRE(s != 0);
	{
		uint16_t p0 = lport(s, 0), p1 = lport(s, 1);
		struct stream ab = {.tx_fd = fa,
				    .to = ADDR_A4,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = ADDR_B4,
				    .from_port = p1,
				    .protect = a_tx,
				    .unprotect = b_rx,
				    .ssrc = 0xa0a0a0a0,
				    .seq = 65500}; /* the ROC moves during the call */
		struct stream ba = {.tx_fd = fb,
				    .to = ADDR_B4,
				    .to_port = p1,
				    .rx_fd = fa,
				    .from = ADDR_A4,
				    .from_port = p0,
				    .protect = b_tx,
				    .unprotect = a_rx,
				    .ssrc = 0xb0b0b0b0,
				    .seq = 1};
		struct stream ab_rtcp = ab, ba_rtcp = ba;
		unsigned int tag0 = i0->rtp_tag_len, ctag0 = SRTCP_TRAILER + i0->rtcp_tag_len;
		unsigned int tag1 = c->srtp1 ? i1->rtp_tag_len : 0;
		unsigned int ctag1 = c->srtp1 ? SRTCP_TRAILER + i1->rtcp_tag_len : 0;
		const struct session *x;

		ab_rtcp.rtcp = ba_rtcp.rtcp = 1;
		ab_rtcp.tx_fd = fa1, ab_rtcp.to_port = (uint16_t)(p0 + 1);
		ba_rtcp.rx_fd = fa1, ba_rtcp.from_port = (uint16_t)(p0 + 1);
		CHECK_EQ(run_stream(&ab, c->rtp_ab), c->rtp_ab);
		if (c->rtp_ab > 0) /* what B got: plain, or SRTP with leg 1's tag */
			CHECK_EQ(ab.got_len, RTP_LEN + tag1);
		CHECK_EQ(run_stream(&ba, c->rtp_ba), c->rtp_ba);
		if (c->rtp_ba > 0)
			CHECK_EQ(ba.got_len, RTP_LEN + tag0);
		CHECK_EQ(run_stream(&ab_rtcp, c->rtcp_ab), c->rtcp_ab);
		if (c->rtcp_ab > 0)
			CHECK_EQ(ab_rtcp.got_len, RTCP_LEN + ctag1);
		CHECK_EQ(run_stream(&ba_rtcp, c->rtcp_ba), c->rtcp_ba);
		if (c->rtcp_ba > 0)
			CHECK_EQ(ba_rtcp.got_len, RTCP_LEN + ctag0);
		CHECK_EQ(arrivals(fa) + arrivals(fa1) + arrivals(fb), 0);

		/* what each leg received, as received */
		CHECK_RX(s, 0, 0, c->rtp_ab, c->rtp_ab * (RTP_LEN + tag0), 0);
		CHECK_RX(s, 0, 1, c->rtcp_ab, c->rtcp_ab * (RTCP_LEN + ctag0), 0);
		CHECK_RX(s, 1, 0, c->rtp_ba + c->rtcp_ba,
			 c->rtp_ba * (RTP_LEN + tag1) + c->rtcp_ba * (RTCP_LEN + ctag1), 0);
		/* SRTP counters: what was unprotected and protected, plain sizes */
		x = sessions_get(SS, s);
		CHECK_EQ(x->leg[0].in.rtp.cnt.packets, c->rtp_ab);
		CHECK_EQ(x->leg[0].in.rtp.cnt.bytes, c->rtp_ab * RTP_LEN);
		CHECK_EQ(x->leg[0].in.rtcp.cnt.packets, c->rtcp_ab);
		CHECK_EQ(x->leg[0].in.rtcp.cnt.bytes, c->rtcp_ab * RTCP_LEN);
		CHECK_EQ(x->leg[0].out.rtp.cnt.packets, c->rtp_ba);
		CHECK_EQ(x->leg[0].out.rtp.cnt.bytes, c->rtp_ba * RTP_LEN);
		CHECK_EQ(x->leg[0].out.rtcp.cnt.packets, c->rtcp_ba);
		CHECK_EQ(x->leg[0].out.rtcp.cnt.bytes, c->rtcp_ba * RTCP_LEN);
		CHECK_EQ(x->leg[1].in.rtp.cnt.packets, c->srtp1 ? c->rtp_ba : 0);
		CHECK_EQ(x->leg[1].in.rtcp.cnt.packets, c->srtp1 ? c->rtcp_ba : 0);
		CHECK_EQ(x->leg[1].out.rtp.cnt.packets, c->srtp1 ? c->rtp_ab : 0);
		CHECK_EQ(x->leg[1].out.rtcp.cnt.packets, c->srtp1 ? c->rtcp_ab : 0);
		for (unsigned int l = 0; l < 2; l++) {
			CHECK_EQ(x->leg[l].in.rtp.cnt.auth_fail + x->leg[l].in.rtp.cnt.replay +
					 x->leg[l].in.rtp.cnt.dropped,
				 0);
			CHECK_EQ(x->leg[l].in.rtcp.cnt.auth_fail + x->leg[l].in.rtcp.cnt.replay +
					 x->leg[l].in.rtcp.cnt.dropped,
				 0);
		}
		st1 = snap();
		CHECK_EQ(st1.total.srtp_unprotected - st0.total.srtp_unprotected,
			 c->rtp_ab + c->rtcp_ab + (c->srtp1 ? c->rtp_ba + c->rtcp_ba : 0));
		CHECK_EQ(st1.total.srtp_protected - st0.total.srtp_protected,
			 c->rtp_ba + c->rtcp_ba + (c->srtp1 ? c->rtp_ab + c->rtcp_ab : 0));
		CHECK_DROPS(&st0);
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	srtp_dealloc(a_rx);
	if (b_tx != NULL) {
		srtp_dealloc(b_tx);
		srtp_dealloc(b_rx);
	}
	close(fa);
	close(fa1);
	close(fb);
}

/* A sends SRTP and SRTCP (on port + 1), B receives exactly the plaintext. */
TEST(srtp_to_rtp)
{
	srtp_call(&(struct srtp_call){
		.s0 = SUITE_AES_CM_128_HMAC_SHA1_80, .rtp_ab = 100, .rtcp_ab = 10});
	srtp_call(&(struct srtp_call){.s0 = SUITE_AEAD_AES_256_GCM, .rtp_ab = 20, .rtcp_ab = 5});
	case_end();
}

/* B sends plain RTP and muxed RTCP, A's libsrtp2 decrypts what arrives
 * (SRTP, and SRTCP on port + 1) to exactly what B sent. */
TEST(rtp_to_srtp)
{
	srtp_call(&(struct srtp_call){
		.s0 = SUITE_AES_CM_128_HMAC_SHA1_80, .rtp_ba = 100, .rtcp_ba = 10});
	srtp_call(&(struct srtp_call){
		.s0 = SUITE_AES_256_CM_HMAC_SHA1_32, .rtp_ba = 20, .rtcp_ba = 5});
	case_end();
}

/* SRTP on both legs with different keys and suites: each side decrypts
 * with its own leg's keys, both ways, RTCP too. */
TEST(srtp_rekey)
{
	srtp_call(&(struct srtp_call){.s0 = SUITE_AES_CM_128_HMAC_SHA1_80,
				      .srtp1 = 1,
				      .s1 = SUITE_AEAD_AES_128_GCM,
				      .rtp_ab = 100,
				      .rtcp_ab = 10,
				      .rtp_ba = 100,
				      .rtcp_ba = 10});
	srtp_call(&(struct srtp_call){.s0 = SUITE_AEAD_AES_256_GCM,
				      .srtp1 = 1,
				      .s1 = SUITE_AES_CM_128_HMAC_SHA1_32,
				      .rtp_ab = 20,
				      .rtcp_ab = 5,
				      .rtp_ba = 20,
				      .rtcp_ba = 5});
	case_end();
}

/* ---- passthrough ---- */

/* One datagram from a peer to srtpfwd, which must reach the other peer's
 * @p rx_fd byte for byte, from srtpfwd's @p from : @p from_port. */
static int
forwarded_untouched(int tx_fd, unsigned int to, uint16_t to_port, int rx_fd, unsigned int from,
		    uint16_t from_port, const uint8_t *msg, unsigned int len)
{
	uint8_t got[2048];
	struct rx_info ri;
	int n;

	send_to(tx_fd, AD[to].ip6, AD[to].local, to_port, msg, len);
	n = recv_one(rx_fd, got, sizeof(got), &ri);
	if (n != (int)len || memcmp(got, msg, len) != 0 ||
	    memcmp(ri.addr, AD[from].local, AD[from].ip6 ? 16 : 4) != 0 || ri.port != from_port) {
		fprintf(stderr,
			"  first byte %u, %u bytes to port %u: got %d bytes from port %u, want "
			"them from port %u\n",
			msg[0], len, to_port, n, n >= 0 ? ri.port : 0, from_port);
		return 0;
	}
	return 1;
}

/* Passthrough legs (end-to-end SRTP, DTLS-SRTP or ZRTP keying between the
 * endpoints), v4 on leg 0 and v6 on leg 1: SRTP, SRTCP, STUN, DTLS and
 * ZRTP cross untouched both ways; nothing is decrypted or encrypted. With
 * @p mux everything uses the RTP ports. Without, each ICE component and
 * its DTLS association keeps its own port pair: what arrives on a leg's
 * RTCP port (SRTCP, and STUN and DTLS of component 2) leaves from the
 * other leg's RTCP port to the peer's port + 1. */
static void
passthrough_call(int mux)
{
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4000);
	int fa1 = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4001);
	int fb = peer_socket(SIDE_B, 1, AD[ADDR_B6].peer, 5000);
	int fb1 = peer_socket(SIDE_B, 1, AD[ADDR_B6].peer, 5001);
	struct daemon_stats st0 = snap();
	struct session_params p;
	/* [0] SRTP, [1] STUN, [2] DTLS, [3] ZRTP; [4] SRTCP, [5] STUN, [6] DTLS
	 * (the last three on the RTCP ports without mux) */
	static const unsigned int len[7] = {182, 28, 90, 84, 42, 28, 90};
	uint8_t msg[7][200];
	unsigned int ok[2][7] = {{0}}, bytes[2] = {0};
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4000, LEG_PASSTHROUGH | (mux ? LEG_RTCP_MUX : 0));
	leg(&p.leg[1], ADDR_B6, AD[ADDR_B6].peer, 5000, LEG_PASSTHROUGH | (mux ? LEG_RTCP_MUX : 0));
	s = create(&p);
	REQUIRE(s != 0);
	test_seed(7);
	for (unsigned int k = 0; k < 7; k++)
		for (unsigned int i = 0; i < len[k]; i++)
			msg[k][i] = (uint8_t)test_rand();
	build_rtp(msg[0], 0x5555, 1, 160, 160, 0, -1, 0); /* + a random "tag" */
	msg[1][0] = 0x00, msg[1][1] = 0x01, msg[1][2] = 0, msg[1][3] = 8; /* STUN binding */
	memcpy(&msg[1][4], "\x21\x12\xa4\x42", 4); /* magic cookie */
	msg[5][0] = 0x01, msg[5][1] = 0x01, msg[5][2] = 0, msg[5][3] = 8; /* binding response */
	memcpy(&msg[5][4], "\x21\x12\xa4\x42", 4);
	msg[2][0] = msg[6][0] = 22, msg[2][1] = msg[6][1] = 0xfe; /* DTLS 1.2 handshake */
	msg[2][2] = msg[6][2] = 0xfd;
	msg[3][0] = 0x10, msg[3][1] = 0; /* ZRTP: magic cookie at 4 */
	memcpy(&msg[3][4], "ZRTP", 4);
	build_rtcp(msg[4], 0x5555, 20, 9); /* SR + E|index + random tag */
	for (unsigned int dir = 0; dir < 2; dir++) {
		uint16_t p0 = lport(s, 0), p1 = lport(s, 1);

		for (unsigned int k = 0; k < 7; k++) {
			int c2 = !mux && k >= 4; /* the RTCP ports */

			if (dir == 0)
				ok[dir][k] = (unsigned int)forwarded_untouched(
					c2 ? fa1 : fa, ADDR_A4, (uint16_t)(p0 + c2), c2 ? fb1 : fb,
					ADDR_B6, (uint16_t)(p1 + c2), msg[k], len[k]);
			else
				ok[dir][k] = (unsigned int)forwarded_untouched(
					c2 ? fb1 : fb, ADDR_B6, (uint16_t)(p1 + c2), c2 ? fa1 : fa,
					ADDR_A4, (uint16_t)(p0 + c2), msg[k], len[k]);
			bytes[c2] += len[k];
		}
		for (unsigned int k = 0; k < 7; k++)
			CHECK_EQ(ok[dir][k], 1);
	}
	CHECK_EQ(arrivals(fa) + arrivals(fa1) + arrivals(fb) + arrivals(fb1), 0);
	for (unsigned int l = 0; l < 2; l++) {
		CHECK_RX(s, l, 0, mux ? 7 : 4, bytes[0] / 2, 0);
		CHECK_RX(s, l, 1, mux ? 0 : 3, bytes[1] / 2, 0);
	}
	CHECK_EQ(snap().total.srtp_unprotected - st0.total.srtp_unprotected, 0);
	CHECK_EQ(snap().total.srtp_protected - st0.total.srtp_protected, 0);
	CHECK_DROPS(&st0);
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fa);
	close(fa1);
	close(fb);
	close(fb1);
}

TEST(passthrough)
{
	passthrough_call(1);
	case_end();
}

/* Fails until dataplane/rewrite.c sends STUN and DTLS that arrived on an
 * RTCP port out of the RTCP port: it picks the egress port from the
 * message kind alone (RTCP or not), so component 2's connectivity checks
 * and DTLS handshake end up on the peer's component 1. */
TEST(passthrough_rtcp_port)
{
	passthrough_call(0);
	case_end();
}

/* ---- latching, replay, tampering ---- */

/* SRTP that looks right but was not made with the key: a valid RTP header
 * and a random tag. */
static unsigned int
forged_srtp(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	unsigned int n = build_rtp(p, ssrc, seq, seq * 160u, 160, 0, -1, 0);

	for (unsigned int k = 12; k < n + TAG80; k++)
		p[k] = (uint8_t)test_rand();
	return n + TAG80;
}

static int
latched_to(uint32_t slot, const uint8_t *addr, uint16_t port)
{
	const struct latch *l = &sessions_get(SS, slot)->leg[0].latch;

	return l->remote.port == port && l->remote.ip6 == 0 && memcmp(l->remote.addr, addr, 4) == 0;
}

/* Latching only after authentication. Leg 0 is SRTP, latches, and has no
 * remote yet. A spoofer on A's link (same MAC, another address) sends
 * forged SRTP first: dropped as srtp_auth, nothing latched, and B's media
 * has nowhere to go (no_remote), so the spoofer gets none of it. Then the
 * real A speaks: verified, latched, B's media reaches A. Forged packets and
 * a replay of A's own packet from the spoofer's address after that change
 * nothing. A verified packet from a new port of A (a NAT rebinding) moves
 * the media there. */
TEST(latch_after_auth)
{
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4100);
	int fa2 = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4102);
	int fs = peer_socket(SIDE_A, 0, A_SPOOF4, 4444);
	int fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5000);
	struct daemon_stats st0 = snap();
	struct session_params p;
	srtp_t a_tx, a_rx;
	uint8_t pkt[256];
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, NULL, 0, LEG_SRTP | LEG_LATCH | LEG_RTCP_MUX); /* no remote */
	keys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, 11);
	keys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 12);
	leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5000, LEG_RTCP_MUX);
	a_tx = ref_of(&p.leg[0].in, 0);
	a_rx = ref_of(&p.leg[0].out, 1);
	s = create(&p);
	REQUIRE(s != 0);
	test_seed(99);
	{
		uint16_t p0 = lport(s, 0), p1 = lport(s, 1);
		struct stream ab = {.tx_fd = fa,
				    .to = ADDR_A4,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = ADDR_B4,
				    .from_port = p1,
				    .protect = a_tx,
				    .ssrc = 0xa1a1a1a1,
				    .seq = 100};
		struct stream ba = {.tx_fd = fb,
				    .to = ADDR_B4,
				    .to_port = p1,
				    .rx_fd = fa,
				    .from = ADDR_A4,
				    .from_port = p0,
				    .unprotect = a_rx,
				    .ssrc = 0xb1b1b1b1,
				    .seq = 100};
		uint8_t last[256];
		int last_len;

		/* 1. the spoofer's forged SRTP, with A's SSRC and the next
		 * sequence numbers: refused, nothing latched or forwarded */
		for (unsigned int i = 0; i < 5; i++)
			send_to(fs, 0, AD[ADDR_A4].local, p0, pkt,
				forged_srtp(pkt, 0xa1a1a1a1, (uint16_t)(100 + i)));
		CHECK_EQ(arrivals(fb), 0);
		CHECK(latched_to(s, (const uint8_t[4]){0}, 0));
		/* 2. B speaks: there is nowhere to send it yet */
		send_to(fb, 0, AD[ADDR_B4].local, p1, pkt,
			build_rtp(pkt, 0xb1b1b1b1, 99, 0, 160, 0, -1, 0));
		CHECK_EQ(arrivals(fs), 0);
		CHECK_EQ(arrivals(fa), 0);
		CHECK_DROPS(&st0, DROP_SRTP_AUTH, 5, DROP_NO_REMOTE, 1);
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.auth_fail, 5);
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.packets, 0);
		CHECK_RX(s, 0, 0, 0, 0, 5);
		CHECK_RX(s, 1, 0, 0, 0, 1);

		/* 3. the real peer, with the sequence numbers the forgeries
		 * used: they left no trace in the replay window */
		CHECK_EQ(run_stream(&ab, 20), 20);
		CHECK(latched_to(s, AD[ADDR_A4].peer, 4100));
		CHECK_EQ(run_stream(&ba, 20), 20);
		CHECK_EQ(arrivals(fs), 0);

		/* 4. the spoofer again: forged packets, then A's last packet
		 * replayed from its own address; media stays with A */
		last_len = (int)build_rtp(last, 0xa1a1a1a1, (uint16_t)(ab.seq - 1),
					  (uint16_t)(ab.seq - 1) * 160u, 160, 0, -1, 0);
		{
			/* the same bytes A sent: libsrtp2's output is
			 * deterministic for a key, SSRC and index, so a second
			 * context gives them without touching A's */
			srtp_t again = ref_of(&p.leg[0].in, 0);

			REQUIRE(ref_protect(again, 0, 0, last, &last_len) == srtp_err_status_ok);
			srtp_dealloc(again);
		}
		for (unsigned int i = 0; i < 5; i++)
			send_to(fs, 0, AD[ADDR_A4].local, p0, pkt,
				forged_srtp(pkt, 0xa1a1a1a1, (uint16_t)(ab.seq + i)));
		send_to(fs, 0, AD[ADDR_A4].local, p0, last, (size_t)last_len);
		CHECK_EQ(arrivals(fb), 0);
		CHECK(latched_to(s, AD[ADDR_A4].peer, 4100));
		CHECK_EQ(run_stream(&ba, 10), 10);
		CHECK_EQ(arrivals(fs), 0);
		CHECK_DROPS(&st0, DROP_SRTP_AUTH, 10, DROP_NO_REMOTE, 1, DROP_SRTP_REPLAY, 1);
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.auth_fail, 10);
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.replay, 1);

		/* 5. A's NAT rebinds it to port 4102: verified, so followed */
		ab.tx_fd = fa2;
		CHECK_EQ(run_stream(&ab, 5), 5);
		CHECK(latched_to(s, AD[ADDR_A4].peer, 4102));
		ba.rx_fd = fa2;
		CHECK_EQ(run_stream(&ba, 5), 5);
		CHECK_EQ(arrivals(fa) + arrivals(fs), 0);
		CHECK_RX(s, 0, 0, 25, 25 * (RTP_LEN + TAG80), 11);
		CHECK_RX(s, 1, 0, 35, 35 * RTP_LEN, 1);
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.packets, 25);
		/* 35 sent to A, and B's packet of step 2: protect runs before
		 * rewrite finds there is no remote, so it was encrypted too */
		CHECK_EQ(sessions_get(SS, s)->leg[0].out.rtp.cnt.packets, 35 + 1);
	}
	CHECK_DROPS(&st0, DROP_SRTP_AUTH, 10, DROP_NO_REMOTE, 1, DROP_SRTP_REPLAY, 1);
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	srtp_dealloc(a_rx);
	close(fa);
	close(fa2);
	close(fs);
	close(fb);
	case_end();
}

/* Replayed, too old, tampered and truncated SRTP and SRTCP: dropped,
 * counted by reason in the worker and in the leg's SRTP counters, never
 * forwarded; and a tampered copy that came first does not stop the genuine
 * packet (nothing is committed before the tag verifies). */
TEST(replay_and_tamper)
{
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4200);
	int fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5000);
	struct daemon_stats st0 = snap();
	struct session_params p;
	uint8_t pkt[256], bad[256], got[2048], first[256], ctl[256];
	int len, first_len, ctl_len;
	srtp_t a_tx;
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4200, LEG_SRTP | LEG_RTCP_MUX);
	keys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, 21);
	keys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 22);
	leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5000, LEG_RTCP_MUX);
	a_tx = ref_of(&p.leg[0].in, 0);
	s = create(&p);
	REQUIRE(s != 0);
	{
		uint16_t p0 = lport(s, 0);
		struct stream ab = {.tx_fd = fa,
				    .to = ADDR_A4,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = ADDR_B4,
				    .from_port = lport(s, 1),
				    .protect = a_tx,
				    .ssrc = 0xc0c0c0c0,
				    .seq = 7};
		const struct srtp_counters *rtp = &sessions_get(SS, s)->leg[0].in.rtp.cnt;
		const struct srtp_counters *rtcp = &sessions_get(SS, s)->leg[0].in.rtcp.cnt;

		/* the first packet, kept to be replayed once it is old */
		first_len = (int)build_rtp(first, 0xc0c0c0c0, 7, 7 * 160, 160, 0, -1, 0);
		REQUIRE(ref_protect(a_tx, 0, 0, first, &first_len) == srtp_err_status_ok);
		send_to(fa, 0, AD[ADDR_A4].local, p0, first, (size_t)first_len);
		CHECK_EQ(recv_one(fb, got, sizeof(got), NULL), RTP_LEN);
		ab.seq = 8;
		/* 1. replays of the newest packet: 3 times */
		len = (int)build_rtp(pkt, 0xc0c0c0c0, 8, 8 * 160, 160, 0, -1, 0);
		REQUIRE(ref_protect(a_tx, 0, 0, pkt, &len) == srtp_err_status_ok);
		send_to(fa, 0, AD[ADDR_A4].local, p0, pkt, (size_t)len);
		CHECK_EQ(recv_one(fb, got, sizeof(got), NULL), RTP_LEN);
		for (unsigned int i = 0; i < 3; i++)
			send_to(fa, 0, AD[ADDR_A4].local, p0, pkt, (size_t)len);
		CHECK_EQ(arrivals(fb), 0);
		/* 2. the next packet tampered first (a payload bit, then a tag
		 * bit, then the SSRC), then as sent: forwarded */
		len = (int)build_rtp(pkt, 0xc0c0c0c0, 9, 9 * 160, 160, 0, -1, 0);
		REQUIRE(ref_protect(a_tx, 0, 0, pkt, &len) == srtp_err_status_ok);
		memcpy(bad, pkt, (size_t)len);
		bad[40] ^= 1;
		send_to(fa, 0, AD[ADDR_A4].local, p0, bad, (size_t)len);
		memcpy(bad, pkt, (size_t)len);
		bad[len - 1] ^= 0x80;
		send_to(fa, 0, AD[ADDR_A4].local, p0, bad, (size_t)len);
		memcpy(bad, pkt, (size_t)len);
		bad[11] ^= 1;
		send_to(fa, 0, AD[ADDR_A4].local, p0, bad, (size_t)len);
		/* 3. shorter than a header and a tag */
		send_to(fa, 0, AD[ADDR_A4].local, p0, pkt, 12 + TAG80 - 1);
		CHECK_EQ(arrivals(fb), 0);
		send_to(fa, 0, AD[ADDR_A4].local, p0, pkt, (size_t)len);
		CHECK_EQ(recv_one(fb, got, sizeof(got), NULL), RTP_LEN);
		/* 4. 200 more, then the first one again: older than the window */
		ab.seq = 10;
		CHECK_EQ(run_stream(&ab, 200), 200);
		send_to(fa, 0, AD[ADDR_A4].local, p0, first, (size_t)first_len);
		/* 5. SRTCP (muxed): once, then replayed twice, then tampered */
		ctl_len = (int)build_rtcp(ctl, 0xc0c0c0c0, 20, 1);
		REQUIRE(ref_protect(a_tx, 0, 1, ctl, &ctl_len) == srtp_err_status_ok);
		send_to(fa, 0, AD[ADDR_A4].local, p0, ctl, (size_t)ctl_len);
		CHECK_EQ(recv_one(fb, got, sizeof(got), NULL), RTCP_LEN);
		send_to(fa, 0, AD[ADDR_A4].local, p0, ctl, (size_t)ctl_len);
		send_to(fa, 0, AD[ADDR_A4].local, p0, ctl, (size_t)ctl_len);
		ctl_len = (int)build_rtcp(ctl, 0xc0c0c0c0, 20, 2);
		REQUIRE(ref_protect(a_tx, 0, 1, ctl, &ctl_len) == srtp_err_status_ok);
		ctl[10] ^= 4;
		send_to(fa, 0, AD[ADDR_A4].local, p0, ctl, (size_t)ctl_len);
		CHECK_EQ(arrivals(fb), 0);

		CHECK_DROPS(&st0, DROP_SRTP_REPLAY, 3 + 2, DROP_SRTP_REPLAY_OLD, 1, DROP_SRTP_AUTH,
			    3 + 1, DROP_SRTP_TOO_SHORT, 1);
		CHECK_EQ(rtp->packets, 203);
		CHECK_EQ(rtp->replay, 4); /* replayed, and older than the window */
		CHECK_EQ(rtp->auth_fail, 3);
		CHECK_EQ(rtcp->packets, 1);
		CHECK_EQ(rtcp->replay, 2);
		CHECK_EQ(rtcp->auth_fail, 1);
		/* every drop after the session was found counts against the leg */
		CHECK_RX(s, 0, 0, 204, 203 * (RTP_LEN + TAG80) + RTCP_LEN + SRTCP_TRAILER + TAG80,
			 3 + 1 + 3 + 1 + 2 + 1);
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	close(fa);
	close(fb);
	case_end();
}

/* ---- ARP, ND, echo ---- */

/* A raw ICMP (ICMPv6) socket in namespace @p side. */
static int
raw_socket(unsigned int side, int ip6)
{
	int fd;

	lab_enter(peer_ns(side));
	fd = socket(ip6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK,
		    ip6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	lab_leave();
	if (fd < 0) {
		perror("raw socket");
		abort();
	}
	return fd;
}

/* One echo request of @p size bytes (ICMP header included) from namespace
 * @p side to srtpfwd's address @p a, waiting @p wait_ms for the answer.
 * @return 1 when the reply came back
 * from @p a with the identifier, sequence number and data sent, as an
 * echo reply with a correct checksum (the kernel checks ICMPv6's; ICMP's
 * is checked here, raw sockets get it unchecked). */
static int
echo(int fd, unsigned int a, uint16_t id, uint16_t seq, unsigned int size, unsigned int wait_ms)
{
	uint8_t req[1500], got[2048];
	int ip6 = AD[a].ip6;
	uint64_t end;

	memset(req, 0, 8);
	req[0] = ip6 ? 128 : 8;
	put16(req + 4, id);
	put16(req + 6, seq);
	for (unsigned int k = 8; k < size; k++)
		req[k] = (uint8_t)(k * 7 + seq);
	if (!ip6) /* ICMPv6's is the kernel's: it knows the addresses */
		put16(req + 2, (uint16_t)~ocsum_fold(ocsum_add(0, req, size)));
	if (send_to(fd, ip6, AD[a].local, 0, req, size) != 0)
		return 0;
	for (end = lab_now_ms() + wait_ms; lab_now_ms() < end;) {
		struct rx_info ri;
		int n = recv_now(fd, got, sizeof(got), &ri);
		const uint8_t *m = got;

		if (n < 0) {
			if (daemon_poll(D) == 0)
				usleep(100);
			continue;
		}
		if (!ip6) { /* raw IPv4 sockets see the IP header */
			unsigned int ihl = (got[0] & 15u) * 4;

			if ((unsigned int)n < ihl)
				continue;
			m += ihl;
			n -= (int)ihl;
		}
		if (n < 8 || m[0] != (ip6 ? 129 : 0) || m[4] != req[4] || m[5] != req[5] ||
		    m[6] != req[6] || m[7] != req[7])
			continue; /* NS, NA, other echoes: not this reply */
		return (unsigned int)n == size && m[1] == 0 &&
		       memcmp(m + 8, req + 8, size - 8) == 0 &&
		       memcmp(ri.addr, AD[a].local, ip6 ? 16 : 4) == 0 &&
		       (ip6 || ocsum_fold(ocsum_add(0, m, size)) == 0xffff);
	}
	return 0;
}

/* The MAC namespace @p side's kernel has for @p addr ("ip neigh"), or "". */
static void
kernel_neigh(unsigned int side, const char *addr, char *mac, size_t cap)
{
	char cmd[160], line[256];
	FILE *f;

	mac[0] = '\0';
	snprintf(cmd, sizeof(cmd), "ip -n %s neigh show %s", LAB.ns[peer_ns(side)], addr);
	f = popen(cmd, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *ll = strstr(line, "lladdr ");

		if (ll != NULL)
			snprintf(mac, cap, "%.17s", ll + 7);
	}
	pclose(f);
}

/* ping from namespace @p side, with the control thread running meanwhile.
 * @return ping's exit status, 127 without ping, -1 if it hung. */
static int
ping_from(unsigned int side, const char *addr)
{
	pid_t pid = fork();
	int status = 0;
	uint64_t end = lab_now_ms() + 10000;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		/* -W 3: a reply may be slow on a loaded machine under ASan
		 * (CI once saw none of three within 1 s) */
		execlp("ip", "ip", "netns", "exec", LAB.ns[peer_ns(side)], "ping", "-c", "3", "-i",
		       "0.2", "-W", "3", addr, (char *)NULL);
		_exit(127);
	}
	while (lab_now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		pump(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* The kernels in the namespaces resolve srtpfwd's addresses (ARP for v4,
 * neighbour solicitations for v6: their caches are flushed first, so they
 * must ask), end up with the MAC of the right port, and their echo
 * requests (64 and 1400 bytes) are answered exactly, on both links. ping
 * as well when iputils-ping is installed (tests/deps.sh installs it). */
TEST(arp_nd_ping)
{
	struct daemon_stats st0, st1;
	unsigned int echoes = 0, pings = 0;
	int have_ping = lab_sh("command -v ping >/dev/null 2>&1") == 0;

	lab_sh("ip -n %s neigh flush all; ip -n %s neigh flush all", LAB.ns[LAB_A], LAB.ns[LAB_B]);
	st0 = snap();
	for (unsigned int a = 0; a < N_ADDR; a++) {
		int fd = raw_socket(AD[a].side, AD[a].ip6);
		struct rte_ether_addr mac;
		char want[32], have[32];

		for (uint16_t seq = 1; seq <= 3; seq++) {
			uint16_t id = (uint16_t)(0x5100 + a);

			CHECK_EQ(echo(fd, a, id, seq, 64, WAIT_MS), 1);
			CHECK_EQ(echo(fd, a, id, (uint16_t)(seq + 100), 1400, WAIT_MS), 1);
			echoes += 2;
		}
		close(fd);
		rte_eth_macaddr_get(daemon_port_id(D, AD[a].side), &mac);
		snprintf(want, sizeof(want), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&mac));
		for (char *c = want; *c != '\0'; c++)
			*c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
		kernel_neigh(AD[a].side, AD[a].local_str, have, sizeof(have));
		if (strcmp(want, have) != 0)
			fprintf(stderr, "  %s: the kernel has \"%s\", srtpfwd's port is %s\n",
				AD[a].local_str, have, want);
		CHECK(strcmp(want, have) == 0);
	}
	if (have_ping) {
		CHECK_EQ(ping_from(SIDE_A, AD[ADDR_A4].local_str), 0);
		CHECK_EQ(ping_from(SIDE_B, AD[ADDR_B6].local_str), 0);
		pings = 6;
	} else {
		printf("  (no ping binary: ICMP echo checked with raw sockets only)\n");
	}
	st1 = snap();
	/* ping exits 0 with one reply of its three; under ASan on a loaded
	 * machine CI twice saw fewer than three answered (not explained yet:
	 * docs/testing.md), so the raw-socket echoes are exact, the pings
	 * at least one each */
	CHECK(st1.neigh.echo_replied - st0.neigh.echo_replied >= echoes + (pings ? 2 : 0) &&
	      st1.neigh.echo_replied - st0.neigh.echo_replied <= echoes + pings);
	/* at least one question per namespace and family */
	CHECK(st1.neigh.arp_replied - st0.neigh.arp_replied >= 2);
	CHECK(st1.neigh.nd_replied - st0.neigh.nd_replied >= 2);
	CHECK_EQ(st1.neigh.malformed, 0);
	CHECK_EQ(st1.neigh.no_mbuf, 0);
	/* and srtpfwd resolved its peers for the calls before: it asked,
	 * got answers, and sent everything it held meanwhile */
	CHECK(st1.neigh.requests_sent >= 2);
	CHECK(st1.neigh.resolved >= 2);
	CHECK_EQ(st1.neigh.held_dropped, 0);
	CHECK_DROPS(&st0);
	case_end();
}

/* ---- changes during a call ---- */

/* libsrtp2 for one SSRC, its rollover counter set: a new key goes on with
 * the ROC the stream has (RFC 3711 §3.3.1), and so must libsrtp2. */
static srtp_t
ref_of_ssrc(const struct dir_keys *k, int inbound, uint32_t ssrc, uint32_t roc)
{
	srtp_t ctx = ref_create_ssrc((enum suite)k->suite, k->key, k->salt, inbound, NULL, 0, ssrc);

	if (roc != 0 && srtp_set_stream_roc(ctx, ssrc, roc) != srtp_err_status_ok)
		fprintf(stderr, "srtp_set_stream_roc failed\n");
	return ctx;
}

/* A re-key in the middle of a call, after both streams wrapped their
 * sequence numbers (ROC 1), to new keys of suite @p to:
 * - the new inbound key is accepted at once and the old one still during
 *   the overlap (docs/architecture.md, "Re-key overlap without MKI"),
 *   packet by packet, whichever the peer uses;
 * - what leaves is protected with the new outbound key at once;
 * - both go on with ROC 1 (losing it is the classic one-way-audio bug);
 * - after sessions_end_overlap() the old key is refused (srtp_auth).
 * Without @p overlap the old key is expected refused at once. */
static void
rekey_call(enum suite to, int overlap)
{
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4400);
	int fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5400);
	const uint32_t ssrc_a = 0xd0d0d0d0, ssrc_b = 0xd1d1d1d1;
	struct daemon_stats st0 = snap();
	struct session_params p;
	struct leg_update u;
	srtp_t a_tx, a_rx, a_tx2, a_rx2;
	char err[256];
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4400, LEG_SRTP | LEG_RTCP_MUX);
	keys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, 31);
	keys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 32);
	leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5400, LEG_RTCP_MUX);
	a_tx = ref_of_ssrc(&p.leg[0].in, 0, ssrc_a, 0);
	a_rx = ref_of_ssrc(&p.leg[0].out, 1, ssrc_b, 0);
	memset(&u, 0, sizeof(u));
	keys(&u.in, to, 33);
	keys(&u.out, to, 34);
	a_tx2 = ref_of_ssrc(&u.in, 0, ssrc_a, 1);
	a_rx2 = ref_of_ssrc(&u.out, 1, ssrc_b, 1);
	s = create(&p);
	REQUIRE(s != 0);
	{
		uint16_t p0 = lport(s, 0), p1 = lport(s, 1);
		struct stream ab = {.tx_fd = fa,
				    .to = ADDR_A4,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = ADDR_B4,
				    .from_port = p1,
				    .protect = a_tx,
				    .ssrc = ssrc_a,
				    .seq = 65530};
		struct stream ba = {.tx_fd = fb,
				    .to = ADDR_B4,
				    .to_port = p1,
				    .rx_fd = fa,
				    .from = ADDR_A4,
				    .from_port = p0,
				    .unprotect = a_rx,
				    .ssrc = ssrc_b,
				    .seq = 65530};

		CHECK_EQ(run_stream(&ab, 20), 20); /* through 65535 to 13: ROC 1 */
		CHECK_EQ(run_stream(&ba, 20), 20);
		REQUIRE(sessions_update_leg(SS, s, 0, &u, err, sizeof(err)) == 0);
		/* the peer has not switched yet: the old key still works */
		if (overlap) {
			CHECK_EQ(run_stream(&ab, 5), 5);
		} else {
			send_stream(&ab, 5);
			CHECK_EQ(arrivals(fb), 0);
		}
		/* it switches; a late packet with the old key still passes */
		ab.protect = a_tx2;
		CHECK_EQ(run_stream(&ab, 10), 10);
		ab.protect = a_tx;
		if (overlap) {
			CHECK_EQ(run_stream(&ab, 1), 1);
		} else {
			send_stream(&ab, 1);
			CHECK_EQ(arrivals(fb), 0);
		}
		ab.protect = a_tx2;
		CHECK_EQ(run_stream(&ab, 10), 10);
		CHECK_EQ(ab.got_len, RTP_LEN);
		/* B's media is protected with the new key at once, ROC 1 */
		ba.unprotect = a_rx2;
		CHECK_EQ(run_stream(&ba, 20), 20);
		CHECK_EQ(ba.got_len, RTP_LEN + suites[to].rtp_tag_len);
		/* the overlap ends: the old key is refused */
		CHECK_EQ(sessions_end_overlap(SS, s, 0), 0);
		ab.protect = a_tx;
		send_stream(&ab, 2);
		CHECK_EQ(arrivals(fb), 0);
		ab.protect = a_tx2;
		CHECK_EQ(run_stream(&ab, 5), 5);
		CHECK_DROPS(&st0, DROP_SRTP_AUTH, overlap ? 2 : 2 + 5 + 1);
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.packets,
			 20 + 10 + 10 + 5 + (overlap ? 5 + 1 : 0));
		CHECK_EQ(sessions_get(SS, s)->leg[0].in.rtp.cnt.auth_fail, overlap ? 2 : 2 + 5 + 1);
		CHECK_EQ(sessions_get(SS, s)->leg[0].out.rtp.cnt.packets, 40);
	}
	CHECK_EQ(sessions_delete(SS, s), 0);
	srtp_dealloc(a_tx);
	srtp_dealloc(a_rx);
	srtp_dealloc(a_tx2);
	srtp_dealloc(a_rx2);
	close(fa);
	close(fb);
}

TEST(rekey_mid_call)
{
	rekey_call(SUITE_AES_CM_128_HMAC_SHA1_80, 1);
	case_end();
}

/* The same re-key to another suite (AES-CM to AES-256-GCM), as a
 * re-INVITE may bring. This pins what srtpfwd does today, which is NOT
 * what docs/architecture.md describes for the overlap: the previous key is
 * tried only when it has the suite of the new one (srtp.c,
 * unprotect_retry_prepare(): prev->suite != p->keys->suite), so packets
 * the peer still sends under the old key are dropped as srtp_auth from the
 * moment of the update. The outbound switch and the ROC work. */
TEST(rekey_suite_change)
{
	rekey_call(SUITE_AEAD_AES_256_GCM, 0);
	case_end();
}

/* A re-INVITE moves B to another port: media follows at once, nothing
 * more reaches the old one. On a latching leg the update also forgets
 * what was latched (a new configuration epoch): media goes to the new
 * configured remote until a packet from it latches again. */
TEST(reinvite_moves_media)
{
	int fa = peer_socket(SIDE_A, 1, AD[ADDR_A6].peer, 4500);
	int fa2 = peer_socket(SIDE_A, 1, AD[ADDR_A6].peer, 4502);
	int fb = peer_socket(SIDE_B, 1, AD[ADDR_B6].peer, 5500);
	int fb2 = peer_socket(SIDE_B, 1, AD[ADDR_B6].peer, 5502);
	struct daemon_stats st0 = snap();
	struct session_params p;
	struct leg_update u;
	char err[256];
	uint32_t s;

	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A6, AD[ADDR_A6].peer, 4500, LEG_LATCH | LEG_RTCP_MUX);
	leg(&p.leg[1], ADDR_B6, AD[ADDR_B6].peer, 5500, LEG_RTCP_MUX);
	s = create(&p);
	REQUIRE(s != 0);
	{
		uint16_t p0 = lport(s, 0), p1 = lport(s, 1);
		struct stream ab = {.tx_fd = fa2, /* latched onto :4502, not :4500 */
				    .to = ADDR_A6,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = ADDR_B6,
				    .from_port = p1,
				    .ssrc = 0xe0e0e0e0};
		struct stream ba = {.tx_fd = fb,
				    .to = ADDR_B6,
				    .to_port = p1,
				    .rx_fd = fa2,
				    .from = ADDR_A6,
				    .from_port = p0,
				    .ssrc = 0xe1e1e1e1};

		CHECK_EQ(run_stream(&ab, 10), 10);
		CHECK_EQ(run_stream(&ba, 10), 10);
		/* B moves to :5502 */
		memset(&u, 0, sizeof(u));
		u.has_remote = 1;
		u.remote = p.leg[1].remote;
		u.remote.port = 5502;
		REQUIRE(sessions_update_leg(SS, s, 1, &u, err, sizeof(err)) == 0);
		ab.rx_fd = fb2;
		CHECK_EQ(run_stream(&ab, 10), 10);
		CHECK_EQ(arrivals(fb), 0);
		/* A's leg is re-offered with its SDP port: the latch is
		 * forgotten, B's media goes to :4500 until A speaks again */
		u.remote = p.leg[0].remote;
		REQUIRE(sessions_update_leg(SS, s, 0, &u, err, sizeof(err)) == 0);
		ba.rx_fd = fa;
		CHECK_EQ(run_stream(&ba, 5), 5);
		CHECK_EQ(run_stream(&ab, 1), 1); /* from :4502 again */
		ba.rx_fd = fa2;
		CHECK_EQ(run_stream(&ba, 5), 5);
		CHECK_EQ(arrivals(fa), 0);
	}
	CHECK_DROPS(&st0);
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fa);
	close(fa2);
	close(fb);
	close(fb2);
	case_end();
}

static uint64_t expired_id;

static void
on_expired(void *ctx, uint32_t slot, uint64_t id)
{
	(void)ctx;
	(void)slot;
	expired_id = id;
}

/* Inactivity: media every 200 ms keeps a session with a 1 s timeout
 * alive; once it stops, the session is deleted within the timeout plus
 * the daemon's once-a-second scan, the callback names it, and its port
 * takes nothing any more (no_session). */
TEST(inactivity_expiry)
{
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4600);
	int fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5600);
	struct daemon_stats st0 = snap();
	struct session_params p;
	uint64_t t_last = 0, t_gone = 0;
	uint16_t p0;
	uint8_t pkt[256];
	uint32_t s;

	memset(&p, 0, sizeof(p));
	p.id = 0xfeed;
	/* 2 s, not 1: on a loaded machine this thread (the control thread
	 * too) was once descheduled for a second between two packets, and
	 * the session expired mid-stream, rightly (CI under ASan) */
	p.timeout_ms = 2000;
	leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4600, LEG_RTCP_MUX);
	leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5600, LEG_RTCP_MUX);
	daemon_on_expire(D, on_expired, NULL);
	expired_id = 0;
	s = create(&p);
	REQUIRE(s != 0);
	p0 = lport(s, 0);
	{
		struct stream ab = {.tx_fd = fa,
				    .to = ADDR_A4,
				    .to_port = p0,
				    .rx_fd = fb,
				    .from = ADDR_B4,
				    .from_port = lport(s, 1),
				    .ssrc = 0xf0f0f0f0};

		for (unsigned int i = 0; i < 10; i++) {
			CHECK_EQ(run_stream(&ab, 1), 1);
			t_last = lab_now_ms();
			pump(200);
		}
	}
	CHECK(sessions_get(SS, s) != NULL);
	CHECK_EQ(snap().expired - st0.expired, 0);
	while (lab_now_ms() < t_last + 5000 && t_gone == 0) {
		pump(10);
		if (snap().sessions == 0)
			t_gone = lab_now_ms();
	}
	/* The scan once a second notices the last packet up to 1 s after it
	 * and deletes the session 2 s (the timeout) after noticing: never
	 * before 2 s, and by 3 s (4 s: a loaded machine delays the scans,
	 * which run when this thread calls daemon_poll). */
	if (t_gone < t_last + 2000 || t_gone > t_last + 4000)
		fprintf(stderr, "  expired %" PRId64 " ms after the last packet\n",
			(int64_t)(t_gone - t_last));
	CHECK(t_gone >= t_last + 2000 && t_gone <= t_last + 4000);
	CHECK_EQ(snap().expired - st0.expired, 1);
	CHECK_EQ(expired_id, 0xfeed);
	daemon_on_expire(D, NULL, NULL);
	send_to(fa, 0, AD[ADDR_A4].local, p0, pkt,
		build_rtp(pkt, 0xf0f0f0f0, 99, 0, 160, 0, -1, 0));
	CHECK_EQ(arrivals(fb), 0);
	CHECK_DROPS(&st0, DROP_NO_SESSION, 1);
	close(fa);
	close(fb);
	case_end();
}

/* srtpfwd answers for an address on that address's port only: B's kernel,
 * told that 10.201.0.1 and fd01::1 (A's link) are on its own link, asks
 * there and gets no answer, and its echo requests go unanswered. */
TEST(address_on_its_own_link_only)
{
	struct daemon_stats st0, st1;
	int f4 = raw_socket(SIDE_B, 0), f6 = raw_socket(SIDE_B, 1);
	char mac[32];

	lab_sh("ip -n %1$s route add 10.201.0.1/32 dev %2$s; "
	       "ip -n %1$s -6 route add fd01::1/128 dev %2$s",
	       LAB.ns[LAB_B], LAB.ifname[LAB_B]);
	st0 = snap();
	/* a kernel asks again after 1 s: one unanswered round is enough */
	CHECK_EQ(echo(f4, ADDR_A4, 0x5200, 1, 64, 1000), 0);
	CHECK_EQ(echo(f6, ADDR_A6, 0x5200, 1, 64, 1000), 0);
	kernel_neigh(SIDE_B, AD[ADDR_A4].local_str, mac, sizeof(mac));
	CHECK_EQ(mac[0], '\0');
	kernel_neigh(SIDE_B, AD[ADDR_A6].local_str, mac, sizeof(mac));
	CHECK_EQ(mac[0], '\0');
	st1 = snap();
	CHECK_EQ(st1.neigh.arp_replied - st0.neigh.arp_replied, 0);
	CHECK_EQ(st1.neigh.nd_replied - st0.neigh.nd_replied, 0);
	CHECK_EQ(st1.neigh.echo_replied - st0.neigh.echo_replied, 0);
	CHECK(st1.neigh.ignored - st0.neigh.ignored >= 2); /* the questions */
	CHECK_DROPS(&st0);
	lab_sh("ip -n %1$s route del 10.201.0.1/32 dev %2$s; "
	       "ip -n %1$s -6 route del fd01::1/128 dev %2$s",
	       LAB.ns[LAB_B], LAB.ifname[LAB_B]);
	close(f4);
	close(f6);
	case_end();
}

/* ---- 1000 sessions ---- */

#define N_MANY 1000
#define MANY_AB 3 /* SRTP packets per session, A to B */
#define MANY_BA 2 /* RTP packets per session, B to A (SRTP on arrival) */
#define GROUP 25 /* packets in flight: far below af_packet's 512-frame rings */

struct many {
	uint32_t slot;
	srtp_t a_tx, a_rx; /* A's libsrtp2 for this session's keys */
	uint8_t seen[MANY_AB + MANY_BA];
};

/* Session @p i's round-@p r packet: SSRC and sequence number say which,
 * and so does the start of the payload, which build_rtp() fills from the
 * sequence number. */
static unsigned int
many_packet(uint8_t *p, unsigned int i, unsigned int r)
{
	unsigned int n = build_rtp(p, 0x10000 + i, (uint16_t)(r + 1), r * 160, 100, 0, -1, 0);

	p[12] = (uint8_t)(i >> 8), p[13] = (uint8_t)i, p[14] = (uint8_t)r;
	return n;
}

/* Take what arrived on @p fd until @p want packets of the whole run are
 * in or WAIT_MS passed: each must come from the port of the session it
 * names and be, once unprotected when @p srtp, the packet sent. */
static unsigned int
many_collect(struct many *m, const int *by_port, int fd, unsigned int from, int srtp,
	     unsigned int *got, unsigned int want, unsigned int *bad)
{
	for (uint64_t end = lab_now_ms() + WAIT_MS; *got < want && lab_now_ms() < end;) {
		uint8_t in[2048], exp[256];
		struct rx_info ri;
		int n = recv_now(fd, in, sizeof(in), &ri);
		unsigned int i, r;

		if (n < 0) {
			if (daemon_poll(D) == 0)
				usleep(100);
			continue;
		}
		if (memcmp(ri.addr, AD[from].local, 4) != 0 || ri.port < PORT_MIN ||
		    ri.port > PORT_MAX || by_port[ri.port] < 0) {
			(*bad)++;
			continue;
		}
		i = (unsigned int)by_port[ri.port];
		if (srtp && ref_unprotect(m[i].a_rx, 0, 0, in, &n) != srtp_err_status_ok) {
			(*bad)++;
			continue;
		}
		r = n >= 15 ? in[14] : 0xff;
		if (r >= MANY_AB + MANY_BA || (unsigned int)n != many_packet(exp, i, r) ||
		    memcmp(in, exp, (size_t)n) != 0) {
			(*bad)++;
			continue;
		}
		*got += !m[i].seen[r];
		m[i].seen[r] = 1;
	}
	return *got;
}

/* 1000 sessions at once, each with its own port pairs and keys: A sends
 * SRTP to every one and B gets the plaintext, B sends RTP to every one and
 * A's libsrtp2 decrypts it with that session's keys. One socket per side;
 * the receiver tells sessions apart by srtpfwd's source port, and every
 * payload is compared whole. Sent in groups of GROUP, each only once the
 * previous one arrived: a loaded machine may deschedule the worker, and
 * then only the af_packet rings' room decides what is lost; loss here is
 * srtpfwd's. */
TEST(thousand_sessions)
{
	static struct many m[N_MANY];
	/* leg 0's ports are on ADDR_A4 and leg 1's on ADDR_B4: a port number
	 * may belong to one session on A's side and another on B's */
	static int by_port[2][PORT_MAX + 1];
	int fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4300);
	int fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5300);
	struct daemon_stats st0 = snap();
	unsigned int got_ab = 0, got_ba = 0, bad_ab = 0, bad_ba = 0, lost = 0;
	uint64_t t0 = lab_now_ms();

	memset(m, 0, sizeof(m));
	for (unsigned int k = 0; k <= PORT_MAX; k++)
		by_port[0][k] = by_port[1][k] = -1;
	for (unsigned int i = 0; i < N_MANY; i++) {
		struct session_params p;

		memset(&p, 0, sizeof(p));
		p.id = 1000 + i;
		leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4300, LEG_SRTP | LEG_RTCP_MUX);
		keys(&p.leg[0].in, SUITE_AES_CM_128_HMAC_SHA1_80, (uint8_t)i);
		keys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, (uint8_t)(i + 128));
		p.leg[0].in.key[15] = p.leg[0].out.key[15] = (uint8_t)(i >> 8); /* all differ */
		leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5300, LEG_RTCP_MUX);
		m[i].a_tx = ref_of(&p.leg[0].in, 0);
		m[i].a_rx = ref_of(&p.leg[0].out, 1);
		m[i].slot = create(&p);
		REQUIRE(m[i].slot != 0);
		by_port[0][lport(m[i].slot, 0)] = (int)i; /* B to A: from leg 0's port */
		by_port[1][lport(m[i].slot, 1)] = (int)i; /* A to B: from leg 1's port */
	}
	CHECK_EQ(sessions_count(SS), N_MANY);
	printf("  %u sessions created in %" PRIu64 " ms\n", N_MANY, lab_now_ms() - t0);
	for (unsigned int r = 0; r < MANY_AB + MANY_BA; r++) {
		int ab = r < MANY_AB;

		for (unsigned int g = 0; g < N_MANY; g += GROUP) {
			for (unsigned int i = g; i < g + GROUP; i++) {
				uint8_t pkt[256];
				int len = (int)many_packet(pkt, i, r);

				if (ab) {
					REQUIRE(ref_protect(m[i].a_tx, 0, 0, pkt, &len) ==
						srtp_err_status_ok);
					send_to(fa, 0, AD[ADDR_A4].local, lport(m[i].slot, 0), pkt,
						(size_t)len);
				} else {
					send_to(fb, 0, AD[ADDR_B4].local, lport(m[i].slot, 1), pkt,
						(size_t)len);
				}
			}
			if (ab)
				many_collect(m, by_port[1], fb, ADDR_B4, 0, &got_ab,
					     (r * N_MANY) + g + GROUP, &bad_ab);
			else
				many_collect(m, by_port[0], fa, ADDR_A4, 1, &got_ba,
					     (r - MANY_AB) * N_MANY + g + GROUP, &bad_ba);
		}
	}
	CHECK_EQ(got_ab, N_MANY * MANY_AB);
	CHECK_EQ(got_ba, N_MANY * MANY_BA);
	CHECK_EQ(bad_ab, 0);
	CHECK_EQ(bad_ba, 0);
	for (unsigned int i = 0; i < N_MANY; i++)
		for (unsigned int r = 0; r < MANY_AB + MANY_BA; r++)
			if (!m[i].seen[r] && lost++ < 10)
				fprintf(stderr, "  session %u: packet %u lost\n", i, r);
	CHECK_EQ(lost, 0);
	{
		struct daemon_stats st1 = snap();

		CHECK_EQ(st1.total.srtp_unprotected - st0.total.srtp_unprotected, N_MANY * MANY_AB);
		CHECK_EQ(st1.total.srtp_protected - st0.total.srtp_protected, N_MANY * MANY_BA);
		for (unsigned int p = 0; p < 2; p++)
			CHECK_EQ(st1.port[p].imissed - st0.port[p].imissed, 0);
	}
	for (unsigned int i = 0; i < N_MANY; i++) {
		const struct session *x = sessions_get(SS, m[i].slot);

		if (x->leg[0].rx[0].packets != MANY_AB || x->leg[1].rx[0].packets != MANY_BA ||
		    x->leg[0].in.rtp.cnt.packets != MANY_AB ||
		    x->leg[0].out.rtp.cnt.packets != MANY_BA) {
			fprintf(stderr, "  session %u: counters %" PRIu64 " %" PRIu64 "\n", i,
				x->leg[0].rx[0].packets, x->leg[1].rx[0].packets);
			CHECK(0);
		}
	}
	CHECK_DROPS(&st0);
	t0 = lab_now_ms();
	for (unsigned int i = 0; i < N_MANY; i++) {
		CHECK_EQ(sessions_delete(SS, m[i].slot), 0);
		srtp_dealloc(m[i].a_tx);
		srtp_dealloc(m[i].a_rx);
	}
	printf("  %u sessions deleted in %" PRIu64 " ms\n", N_MANY, lab_now_ms() - t0);
	close(fa);
	close(fb);
	case_end();
}

/* ---- faults under traffic ---- */

/* How many times each fault case runs: 1 in the test command; the long
 * form (docs/testing.md) sets SRTPFWD_FAULT_ROUNDS. */
static unsigned int
fault_rounds(void)
{
	const char *e = getenv("SRTPFWD_FAULT_ROUNDS");
	unsigned long n = e != NULL ? strtoul(e, NULL, 10) : 1;

	return n >= 1 && n <= 10000 ? (unsigned int)n : 1;
}

/* srtpfwd's log while a fault case runs, to count what it said. */
static FILE *LOG_CAPTURE;
static char *LOG_TEXT;
static size_t LOG_LEN;

static void
log_capture_begin(void)
{
	LOG_CAPTURE = open_memstream(&LOG_TEXT, &LOG_LEN);
	REQUIRE(LOG_CAPTURE != NULL);
	rte_openlog_stream(LOG_CAPTURE);
	/* "cleared" and "link up" are NOTICE; the test runs at warning */
	rte_log_set_level_pattern("srtpfwd.daemon", RTE_LOG_NOTICE);
}

/* @return the captured text (free() it); the log goes back to stderr. */
static char *
log_capture_end(void)
{
	char *t;

	rte_openlog_stream(NULL);
	rte_log_set_level_pattern("srtpfwd.daemon", RTE_LOG_WARNING);
	fclose(LOG_CAPTURE);
	t = LOG_TEXT;
	LOG_TEXT = NULL;
	fputs(t, stdout); /* in the test's output too */
	return t;
}

static unsigned int
occurrences(const char *text, const char *what)
{
	unsigned int n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* A packet socket on the peer's end of side @p side's link. */
static int
frame_socket(unsigned int side)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(0x0806)};
	int fd;

	int rcvbuf = 16 << 20; /* every reply to a flood, unread until the end */

	lab_enter(peer_ns(side));
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(0x0806));
	sll.sll_ifindex = (int)if_nametoindex(LAB.ifname[side == SIDE_A ? LAB_A : LAB_B]);
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0 ||
			bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)) {
		close(fd);
		fd = -1;
	}
	lab_leave();
	if (fd < 0) {
		perror("packet socket");
		abort();
	}
	return fd;
}

/* @p n ARP requests for srtpfwd's address on side A, from made-up senders
 * on its subnet (10.201.0.100-199, MAC 02:00:5e:00:00:xx), in groups of
 * @p group. With @p paced, each group waits until the port has taken the
 * one before out of af_packet's ring (512 frames), so that the kernel
 * never drops one however late the worker runs: what happens to them is
 * srtpfwd's doing. Does not run the control thread. @return frames sent. */
static unsigned int
arp_flood(int fd, unsigned int n, unsigned int group, int paced)
{
	struct rte_ether_addr mac;
	struct rte_eth_stats e;
	unsigned int sent = 0;
	uint64_t rx0;

	rte_eth_macaddr_get(daemon_port_id(D, 0), &mac);
	rte_eth_stats_get(daemon_port_id(D, 0), &e);
	rx0 = e.ipackets;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t f[42] = {0};
		uint8_t who = (uint8_t)(100 + i % 100);

		memcpy(f, mac.addr_bytes, 6);
		memcpy(f + 6, (const uint8_t[]){0x02, 0x00, 0x5e, 0x00, 0x00, who}, 6);
		f[12] = 0x08, f[13] = 0x06; /* ARP */
		f[15] = 1, f[16] = 0x08, f[18] = 6, f[19] = 4,
		f[21] = 1; /* Ethernet/IPv4 request */
		memcpy(f + 22, f + 6, 6);
		memcpy(f + 28, (const uint8_t[]){10, 201, 0, who}, 4);
		memcpy(f + 38, AD[ADDR_A4].local, 4);
		sent += send(fd, f, sizeof(f), 0) == (ssize_t)sizeof(f);
		if ((i + 1) % group != 0)
			continue;
		if (!paced) {
			usleep(2000);
			continue;
		}
		for (uint64_t end = lab_now_ms() + WAIT_MS; lab_now_ms() < end; usleep(200))
			if (rte_eth_stats_get(daemon_port_id(D, 0), &e) == 0 &&
			    e.ipackets - rx0 >= sent)
				break;
	}
	return sent;
}

/* ARP replies from srtpfwd to arp_flood()'s senders that reached @p fd
 * (the socket sees what the link carries, whoever it is for); and in
 * @p kernel_asked (if not NULL), the ARP requests A's own kernel sent
 * meanwhile, which srtpfwd answers or drops as well. */
static unsigned int
arp_replies(int fd, unsigned int *kernel_asked)
{
	struct rte_ether_addr mac;
	unsigned int n = 0;
	uint8_t f[128];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t r;

	if (kernel_asked != NULL)
		*kernel_asked = 0;
	rte_eth_macaddr_get(daemon_port_id(D, 0), &mac);
	while ((r = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl)) >= 0) {
		fl = sizeof(from);
		if (r < 42)
			continue;
		if (from.sll_pkttype == PACKET_OUTGOING) {
			/* arp_flood()'s own frames are outgoing too: 02:00:5e:.. */
			if (kernel_asked != NULL && f[21] == 1 &&
			    !(f[6] == 0x02 && f[7] == 0x00 && f[8] == 0x5e))
				(*kernel_asked)++;
			continue;
		}
		if (memcmp(f + 6, mac.addr_bytes, 6) == 0 && f[21] == 2 /* reply */ &&
		    memcmp(f + 28, AD[ADDR_A4].local, 4) == 0 && f[38] == 10 && f[39] == 201 &&
		    f[40] == 0 && f[41] >= 100 && f[41] < 200 && f[32] == 0x02 && f[33] == 0x00 &&
		    f[34] == 0x5e && f[37] == f[41])
			n++;
	}
	return n;
}

/* A plain IPv4 call for the fault cases: A (4000) <-> B (5000), its
 * streams in @p ab and @p ba. @return the slot. */
static uint32_t
fault_call(int *fa, int *fb, struct stream *ab, struct stream *ba, uint32_t ssrc)
{
	struct session_params p;
	uint32_t s;

	*fa = peer_socket(SIDE_A, 0, AD[ADDR_A4].peer, 4000);
	*fb = peer_socket(SIDE_B, 0, AD[ADDR_B4].peer, 5000);
	memset(&p, 0, sizeof(p));
	leg(&p.leg[0], ADDR_A4, AD[ADDR_A4].peer, 4000, LEG_RTCP_MUX);
	leg(&p.leg[1], ADDR_B4, AD[ADDR_B4].peer, 5000, LEG_RTCP_MUX);
	s = create(&p);
	*ab = (struct stream){.tx_fd = *fa,
			      .to = ADDR_A4,
			      .to_port = lport(s, 0),
			      .rx_fd = *fb,
			      .from = ADDR_B4,
			      .from_port = lport(s, 1),
			      .ssrc = ssrc};
	*ba = (struct stream){.tx_fd = *fb,
			      .to = ADDR_B4,
			      .to_port = lport(s, 1),
			      .rx_fd = *fa,
			      .from = ADDR_A4,
			      .from_port = lport(s, 0),
			      .ssrc = ssrc + 1};
	return s;
}

/* Count what reaches @p fd within @p ms without running the control
 * thread (the workers forward on their own). */
static unsigned int
arrivals_unpumped(int fd, unsigned int want, unsigned int ms)
{
	uint8_t buf[2048];
	uint64_t end = lab_now_ms() + ms;
	unsigned int n = 0;

	while (n < want && lab_now_ms() < end)
		if (recv_now(fd, buf, sizeof(buf), NULL) >= 0)
			n++;
		else
			usleep(200);
	return n;
}

/* Run the control thread long enough for an episode of @p kind to clear:
 * it does after fault_quiet_ms() without growth. */
static void
pump_until_cleared(enum fault_kind kind)
{
	pump((unsigned int)fault_quiet_ms(kind) + 300);
}

/* The control thread stalls (the test does not run it) while ARP floods
 * the punt ring: past its 1023 frames they are dropped as punt_full; the
 * call keeps flowing meanwhile, because the workers never wait for the
 * control thread. When it runs again it answers every ARP it got: replied
 * + punt_full is exactly what was sent. The episode is counted once and
 * logged once as it starts and once as it clears. */
static void
punt_ring_full_round(void)
{
	int fa, fb, fd = frame_socket(SIDE_A);
	struct stream ab, ba;
	struct daemon_stats st0, st1;
	uint32_t s = fault_call(&fa, &fb, &ab, &ba, 0x7100);
	unsigned int sent;
	char *log;

	REQUIRE(s != 0);
	CHECK_EQ(run_stream(&ab, 10), 10);
	CHECK_EQ(run_stream(&ba, 10), 10);
	pump(100);
	st0 = snap();
	log_capture_begin();
	sent = arp_flood(fd, 2000, 100, 1);
	CHECK_EQ(sent, 2000);
	/* the call during the stall: 50 packets, every one forwarded */
	send_stream(&ab, 50);
	CHECK_EQ(arrivals_unpumped(fb, 50, WAIT_MS), 50);
	st1 = snap();
	CHECK(st1.total.drop[DROP_PUNT_FULL] - st0.total.drop[DROP_PUNT_FULL] >= 2000 - 1023);
	pump_until_cleared(FAULT_PUNT_FULL);
	st1 = snap();
	log = log_capture_end();
	/* every request was answered or counted as punt_full (the kernel in
	 * A may ask on its own too: arp_replied counts those as well) */
	{
		unsigned int kernel, replies = arp_replies(fd, &kernel);
		uint64_t full = st1.total.drop[DROP_PUNT_FULL] - st0.total.drop[DROP_PUNT_FULL];

		/* exact but for A's kernel asking on its own (rare): each of
		 * its requests is answered or dropped too */
		CHECK(replies + full >= sent && replies + full <= sent + kernel);
		CHECK(st1.neigh.arp_replied - st0.neigh.arp_replied >= replies);
		if (kernel != 0)
			printf("  (A's kernel sent %u ARP requests of its own)\n", kernel);
	}
	CHECK_EQ(st1.punt_full_events - st0.punt_full_events, 1);
	CHECK_EQ(occurrences(log, "fault: punt ring to the control thread full"), 1);
	CHECK_EQ(occurrences(log, "fault cleared: punt_full"), 1);
	CHECK_EQ(occurrences(log, "fault"), 2);
	free(log);
	/* and the call goes on */
	CHECK_EQ(run_stream(&ab, 10), 10);
	CHECK_EQ(run_stream(&ba, 10), 10);
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fd);
	close(fa);
	close(fb);
	case_end();
}

TEST(punt_ring_full)
{
	for (unsigned int r = 0; r < fault_rounds() && !test_failed_checks; r++)
		punt_ring_full_round();
}

/* The mbuf pool runs dry for a moment: the test takes every free mbuf,
 * then stalls the control thread under an ARP flood, so the worker's own
 * cache goes into the punt ring too. The port can then take nothing in:
 * the call's packets wait in af_packet's ring, and go through once the
 * mbufs come back. The episode is counted once and logged once each way,
 * and at the end every mbuf is back. */
static void
mbuf_pool_exhausted_round(void)
{
	static struct rte_mbuf *held[1 << 16];
	unsigned int n_held = 0, flood;
	int fa, fb, fd = frame_socket(SIDE_A);
	struct stream ab, ba;
	struct daemon_stats st0, st1;
	uint32_t s = fault_call(&fa, &fb, &ab, &ba, 0x7200);
	char *log;

	REQUIRE(s != 0);
	CHECK_EQ(run_stream(&ab, 10), 10);
	CHECK_EQ(run_stream(&ba, 10), 10);
	pump(100);
	st0 = snap();
	CHECK_EQ(st0.mbufs_free, st0.mbufs);
	log_capture_begin();
	while (n_held < RTE_DIM(held) && (held[n_held] = rte_pktmbuf_alloc(POOL)) != NULL)
		n_held++;
	/* more than the worker's cache can hold (1.5 x 256), so it runs dry
	 * into the punt ring; with the call's 20, fewer than af_packet's ring
	 * holds (512), so none is lost however late the worker runs */
	flood = arp_flood(fd, 450, 50, 0);
	CHECK_EQ(flood, 450);
	usleep(100 * 1000);
	CHECK_EQ(rte_mempool_avail_count(POOL), 0);
	send_stream(&ab, 20);
	CHECK_EQ(arrivals_unpumped(fb, 20, 300), 0); /* nothing gets in */
	pump(50); /* the control thread sees the pool empty, then frees */
	for (unsigned int i = 0; i < n_held; i++)
		rte_pktmbuf_free(held[i]);
	CHECK_EQ(arrivals_unpumped(fb, 20, WAIT_MS), 20); /* they waited */
	pump_until_cleared(FAULT_MBUF_EXHAUSTED);
	st1 = snap();
	log = log_capture_end();
	CHECK_EQ(st1.mbuf_exhausted_events - st0.mbuf_exhausted_events, 1);
	CHECK_EQ(occurrences(log, "fault: mbuf pool empty"), 1);
	CHECK_EQ(occurrences(log, "fault cleared: mbuf_exhausted"), 1);
	CHECK_EQ(occurrences(log, "fault"), 2);
	free(log);
	/* every ARP answered, late or not; nothing dropped */
	CHECK_EQ(arp_replies(fd, NULL), flood);
	CHECK_DROPS(&st0);
	CHECK_EQ(run_stream(&ab, 10), 10);
	CHECK_EQ(run_stream(&ba, 10), 10);
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fd);
	close(fa);
	close(fb);
	case_end();
	st1 = snap();
	CHECK_EQ(st1.mbufs_free, st1.mbufs);
}

TEST(mbuf_pool_exhausted)
{
	for (unsigned int r = 0; r < fault_rounds() && !test_failed_checks; r++)
		mbuf_pool_exhausted_round();
}

/* Side B's link goes down under the call and comes back: srtpfwd notices
 * each change once (port1.link_up, link_changes, one log line each), what
 * it sent meanwhile is lost on the wire, and forwarding resumes by itself
 * once the link is up. */
static void
link_down_up_round(void)
{
	int fa, fb;
	struct stream ab, ba;
	struct daemon_stats st0, st1;
	uint32_t s = fault_call(&fa, &fb, &ab, &ba, 0x7300);
	uint64_t end;
	char *log;

	REQUIRE(s != 0);
	CHECK_EQ(run_stream(&ab, 10), 10);
	CHECK_EQ(run_stream(&ba, 10), 10);
	pump(200);
	st0 = snap();
	CHECK_EQ(st0.port[1].link_up, 1);
	log_capture_begin();
	CHECK_EQ(lab_sh("ip -n %s link set %s down", LAB.ns[LAB_B], LAB.ifname[LAB_B]), 0);
	for (end = lab_now_ms() + WAIT_MS; snap().port[1].link_up != 0 && lab_now_ms() < end;)
		pump(10);
	st1 = snap();
	CHECK_EQ(st1.port[1].link_up, 0);
	CHECK_EQ(st1.port[1].link_changes - st0.port[1].link_changes, 1);
	CHECK_EQ(st1.port[0].link_up, 1);
	send_stream(&ab, 20);
	CHECK_EQ(arrivals(fb), 0);
	CHECK_EQ(lab_sh("ip -n %s link set %s up", LAB.ns[LAB_B], LAB.ifname[LAB_B]), 0);
	for (end = lab_now_ms() + WAIT_MS; snap().port[1].link_up != 1 && lab_now_ms() < end;)
		pump(10);
	st1 = snap();
	CHECK_EQ(st1.port[1].link_up, 1);
	CHECK_EQ(st1.port[1].link_changes - st0.port[1].link_changes, 2);
	/* what srtpfwd sent while the link was down waits in af_packet's tx
	 * ring (the kernel refused it) and leaves with the next frame sent:
	 * one more packet flushes it out, all 21 arrive, then the call goes
	 * on as before */
	send_stream(&ab, 1);
	{
		uint8_t buf[2048];
		unsigned int late = 0;

		for (uint64_t t = lab_now_ms() + WAIT_MS; late < 21 && lab_now_ms() < t;)
			if (recv_now(fb, buf, sizeof(buf), NULL) >= 0)
				late++;
			else
				pump(1);
		pump(QUIET_MS); /* and no more than those */
		while (recv_now(fb, buf, sizeof(buf), NULL) >= 0)
			late++;
		printf("  %u packets arrived after the link came back\n", late);
		CHECK_EQ(late, 21);
	}
	CHECK_EQ(run_stream(&ab, 20), 20);
	CHECK_EQ(run_stream(&ba, 20), 20);
	pump(100);
	log = log_capture_end();
	CHECK_EQ(occurrences(log, "port 1 (net_af_packet1): link down"), 1);
	CHECK_EQ(occurrences(log, "port 1 (net_af_packet1): link up"), 1);
	CHECK_EQ(occurrences(log, "port 0"), 0);
	free(log);
	CHECK_EQ(sessions_delete(SS, s), 0);
	close(fa);
	close(fb);
	case_end();
}

TEST(link_down_up)
{
	for (unsigned int r = 0; r < fault_rounds() && !test_failed_checks; r++)
		link_down_up_round();
}

int
main(void)
{
	struct daemon_config cfg;
	char err[256], prefix[64];
	int bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lab_skip_if_unable() != 0)
		return 77;
	/* before any thread exists: EAL's threads inherit this process's
	 * namespace, where srtpfwd's ends of the veths are */
	switch (lab_up_here("sfn", 1)) {
	case 0: break;
	case 77:
		printf("skipped: cannot create network namespaces (unshare, \"ip netns add\")\n");
		return 77;
	default: fprintf(stderr, "could not build the namespaces and veths\n"); return 1;
	}
	/* the spoofer: a second address on the real peer's link */
	if (lab_sh("ip -n %s addr add %u.%u.%u.%u/24 dev %s", LAB.ns[LAB_A], A_SPOOF4[0],
		   A_SPOOF4[1], A_SPOOF4[2], A_SPOOF4[3], LAB.ifname[LAB_A]) != 0) {
		fprintf(stderr, "could not add the spoofer's address\n");
		return 1;
	}
	lab_watchdog("test_netns", WATCHDOG_S + 10 * (fault_rounds() - 1));
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", LAB.file_prefix);
	{
		static const char *const a[] = {
			"test_netns", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
			"-m",	      "512",	   "-l",       "0,1",	      "--log-level",
			"*:warning"};
		char *argv[RTE_DIM(a) + 1];
		static char args[RTE_DIM(a) + 1][64];

		for (unsigned int k = 0; k < RTE_DIM(a); k++)
			snprintf(args[k], sizeof(args[k]), "%s", a[k]);
		snprintf(args[RTE_DIM(a)], sizeof(args[0]), "%s", prefix);
		for (unsigned int k = 0; k <= RTE_DIM(a); k++)
			argv[k] = args[k];
		if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
			fprintf(stderr, "EAL init failed\n");
			return 1;
		}
	}
	/* the directory the lab removes is EAL's own */
	snprintf(LAB.runtime, sizeof(LAB.runtime), "%s", rte_eal_get_runtime_dir());
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_ports = 2;
	snprintf(cfg.ports[0].dev, DAEMON_DEV_MAX, "net_af_packet0,iface=%s", LAB.dev[0]);
	snprintf(cfg.ports[1].dev, DAEMON_DEV_MAX, "net_af_packet1,iface=%s", LAB.dev[1]);
	cfg.n_addrs = N_ADDR;
	for (unsigned int a = 0; a < N_ADDR; a++) {
		cfg.addrs[a].port = AD[a].side;
		cfg.addrs[a].ip6 = AD[a].ip6;
		memcpy(cfg.addrs[a].addr, AD[a].local, 16);
		cfg.addrs[a].route.prefix_len = AD[a].ip6 ? 64 : 24; /* the peers are on link */
	}
	cfg.port_min = PORT_MIN;
	cfg.port_max = PORT_MAX;
	cfg.max_sessions = 2000;
	D = daemon_start(&cfg, err, sizeof(err));
	if (D == NULL) {
		fprintf(stderr, "daemon_start: %s\n", err);
		return 1;
	}
	SS = daemon_sessions(D);
	POOL = rte_mempool_lookup("srtpfwd_mbufs"); /* control/daemon.c's pool */
	if (POOL == NULL) {
		fprintf(stderr, "no mempool \"srtpfwd_mbufs\": did control/daemon.c rename it?\n");
		return 1;
	}
	pump(200); /* the kernels' router solicitations, MLD: punted, ignored */
	bad = test_run_all();
	{
		struct daemon_stats st;
		uint64_t drops = 0;

		CHECK_EQ(mbufs_in_use(), 0);
		daemon_stop_workers(D);
		st = snap();
		daemon_stats_print(&st, stdout);
		/* every frame received left exactly once: sent, punted or dropped;
		 * and what control sent (injected) went out too */
		for (unsigned int r = 0; r < DROP_MAX; r++)
			drops += st.total.drop[r];
		CHECK_EQ(st.total.rx, st.total.tx - st.total.injected + st.total.punted + drops);
		CHECK_EQ(st.inject_full, 0);
	}
	daemon_stop(D);
	rte_eal_cleanup();
	lab_down();
	if (test_failed_checks != 0 && bad == 0)
		printf("FAIL (checks after the tests)\n");
	return bad || test_failed_checks ? 1 : 0;
}
