/* call_demo.c: srtpfwd's main job, end to end, in network namespaces.
 *
 * Builds the lab of tests/netns_lab.h (srtpfwd's namespace D between peer
 * namespaces A and B, net_af_packet on veths, --no-huge), starts the real
 * srtpfwd binary on a built-in YAML configuration (--print-config shows
 * it), and plays the SIP server: a demo controller that sets up calls over
 * the control socket with libsrtpfwd-ctl, in the shapes carriers run:
 *
 *   gateway   SRTP (AES_CM_128_HMAC_SHA1_80) <-> plain RTP, G.711, RTCP on
 *             port + 1, the SRTP side latched (a phone behind NAT)
 *   domains   SRTP <-> SRTP re-encrypted into another suite (AES_CM_128 ->
 *             AEAD_AES_128_GCM), Opus, rtcp-mux, re-keyed in mid-call on
 *             both legs (overlap, then END_OVERLAP)
 *   v4-v6     IPv4 SRTP (AES_256_CM) <-> IPv6 SRTP (AES_CM_128_HMAC_SHA1_32)
 *   v6-v4     IPv6 plain RTP <-> IPv4 SRTP (AEAD_AES_256_GCM), G.711, port + 1
 *   webrtc    IPv6 AEAD_AES_128_GCM with rtcp-mux, latched <-> IPv4
 *             AES_CM_128_HMAC_SHA1_80 on port + 1, Opus
 *
 * Opus-sized packets are 100 bytes of RTP (88 B payload), G.711 172 B.
 * The peers are kernel UDP sockets in A and B; libsrtp2 protects what they
 * send and unprotects what they receive. Every stream sends one RTP packet
 * every 20 ms and an RTCP sender report every second, both ways, for
 * --duration seconds with a live progress line. Every datagram that
 * arrives is checked: source address and port, then decrypted by libsrtp2
 * with the key the controller gave srtpfwd for that leg, then compared
 * byte for byte with what the other peer sent. srtpfwd's own per-session
 * counters (read over the control socket) give what it relayed.
 *
 * PASS needs every stream to arrive complete, verified, with no
 * authentication failure, replay or stray datagram; srtpfwd to exit 0 on
 * SIGTERM; and none of the keys handed to it in its output. The last line
 * is "demo: PASS <calls> calls, <packets> packets relayed, all payloads
 * verified" or "demo: FAIL <reason>"; exit code 0 only on PASS (77 with
 * --skip-if-unable when namespaces cannot be made, for the test suite).
 * Everything the lab made is removed at exit, on Ctrl-C and on SIGTERM.
 *
 * The same program is the soak test (docs/testing.md): --churn N creates
 * and deletes N sessions a second on a second control connection
 * (pipelined) beside the calls, and at the end no session may be left but
 * the calls' and srtpfwd's resident memory is shown; --rekey-every S
 * re-keys every SRTP leg of every call every S seconds (each stream must
 * still lose nothing); --hostile N sends N datagrams a second from peer A's
 * namespace, of four kinds each aimed at one drop reason (forged SRTP,
 * replay, no session, not media), and srtpfwd must count each exactly.
 * Below UDP, from the same namespace through an AF_PACKET socket:
 * --hostile-frames N sends N malformed Ethernet frames a second, each kind
 * aimed at one parse drop reason (bench/hostile_frames.h: bad Ethertype,
 * IP version, IPv4 lengths, options, header checksum, protocol, IPv6
 * length, UDP lengths, empty UDP and UDP checksums; random garbage,
 * truncated, oversized and near-MTU frames), each counted exactly; --neigh-flood N sends N ARP and
 * neighbour solicitation frames a second from as many senders (for srtpfwd's address, for others,
 * gratuitous, malformed), each landing in its neigh. counter or drop.punt_full, and every reply
 * srtpfwd counted must come back to its sender. --kill-controller S SIGKILLs the churn controller
 * (a child process) every S seconds with requests in flight and a message half sent, and closes the
 * main control connection as abruptly and reconnects: every call's session must be as it was, the
 * calls go on through the new connection, and the sessions the killed controllers left (created
 * with a short inactivity timeout) must all expire.
 *
 * Usage: call_demo [--srtpfwd PATH] [--duration S] [--per-shape N]
 *                  [--skip-if-unable] [--print-config]
 *                  [--churn N] [--rekey-every S] [--hostile N]
 *                  [--hostile-frames N] [--neigh-flood N] [--kill-controller S]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/hostile_frames.h"
#include "control/srtpfwd_ctl.h"
#include "tests/key_scan.h"
#include "tests/netns_lab.h"
#include "tests/ref.h"

#define PTIME_MS 20
#define RTCP_EVERY 50 /* RTP packets per RTCP report: one a second */
#define SR_LEN 28 /* an RTCP sender report without report blocks */
#define DRAIN_MS 500 /* after the last packet, for what is in flight */
#define OVERLAP_MS 1000 /* re-key: old inbound keys accepted this long */
#define PLAIN 0 /* a leg without SRTP */
#define MAX_CALLS 500

/* ---- call shapes ---- */

struct leg_shape {
	uint8_t ip6;
	uint8_t suite; /* enum suite + 1 (the PROTO id), or PLAIN */
	uint8_t mux; /* RTCP on the RTP port */
	uint8_t latch; /* remote learnt from the first verified packet */
};

struct call_shape {
	const char *name;
	const char *what;
	const char *codec;
	uint8_t pt; /* RTP payload type */
	unsigned int payload; /* RTP payload bytes */
	struct leg_shape leg[2]; /* [0]: side A, [1]: side B */
	int rekey; /* both legs re-keyed in mid-call */
};

#define S(x) (SUITE_##x + 1)
static const struct call_shape SHAPES[] = {
	{"gateway",
	 "SRTP <-> RTP gateway",
	 "G.711",
	 0,
	 160,
	 {{0, S(AES_CM_128_HMAC_SHA1_80), 0, 1}, {0, PLAIN, 0, 0}},
	 0},
	{"domains",
	 "SRTP <-> SRTP, two key domains, re-keyed",
	 "Opus",
	 111,
	 88,
	 {{0, S(AES_CM_128_HMAC_SHA1_80), 1, 0}, {0, S(AEAD_AES_128_GCM), 1, 0}},
	 1},
	{"v4-v6",
	 "IPv4 SRTP <-> IPv6 SRTP",
	 "Opus",
	 111,
	 88,
	 {{0, S(AES_256_CM_HMAC_SHA1_80), 1, 0}, {1, S(AES_CM_128_HMAC_SHA1_32), 1, 0}},
	 0},
	{"v6-v4",
	 "IPv6 RTP <-> IPv4 SRTP gateway",
	 "G.711",
	 8,
	 160,
	 {{1, PLAIN, 0, 0}, {0, S(AEAD_AES_256_GCM), 0, 0}},
	 0},
	{"webrtc",
	 "IPv6 GCM rtcp-mux <-> IPv4 SRTP port+1",
	 "Opus",
	 111,
	 88,
	 {{1, S(AEAD_AES_128_GCM), 1, 1}, {0, S(AES_CM_128_HMAC_SHA1_80), 0, 0}},
	 0},
};
#undef S
#define N_SHAPES (sizeof(SHAPES) / sizeof(SHAPES[0]))

/* ---- state ---- */

/* One direction of a call: what peer @p from sends to the other. */
struct stream {
	unsigned int from; /* 0: A, 1: B */
	uint32_t ssrc;
	uint16_t seq0; /* no wrap within a run: fresh libsrtp receivers start at ROC 0 */
	uint8_t tx_suite, rx_suite; /* PROTO ids, PLAIN */
	srtp_t tx; /* the sender's libsrtp2; NULL: plain */
	srtp_t rx[2]; /* the receiver's: [0] first key, [1] after the re-key */
	int rx_pref; /* the context tried first */
	unsigned int sent, rtcp_sent;
	unsigned int ok, rtcp_ok, by_key[2];
	unsigned int auth_fail, replays, bad, told;
	unsigned int fail_first, fail_last; /* RTP indices of the first and last failures */
	int fail_err; /* libsrtp2's status for the last one */
	uint8_t *seen; /* per RTP packet: arrived */
	uint8_t *rtcp_seen;
};

struct call {
	const struct call_shape *shape;
	unsigned int n;
	uint32_t slot;
	uint16_t local_port[2]; /* srtpfwd's RTP port on each leg */
	uint16_t peer_port[2];
	int fd[2][2]; /* [side][rtcp]: the peer's sockets; [1] -1 with mux */
	struct srtpfwd_ctl_key in[2], out[2]; /* current keys per leg */
	struct stream st[2]; /* st[s]: from side s */
	uint64_t relayed[2], dropped[2]; /* srtpfwd's counters per arrival leg */
	unsigned int rekeys;
	uint64_t hostile_dropped; /* --hostile datagrams aimed at leg A */
	uint8_t last_tx[2][512]; /* each side's last protected RTP packet: replayed */
	int last_len[2];
};

static struct call CALLS[MAX_CALLS];
static unsigned int N_CALLS, MAX_PKTS, MAX_RTCP;
static struct srtpfwd_ctl *CTL;
static struct srtpfwd_ctl_key KEYS[4 * MAX_CALLS + 8 * MAX_CALLS]; /* every key given */
static unsigned int N_KEYS;
static int TTY;
static int IN_CHILD; /* this is a churn controller (--kill-controller) */

static void fail_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
fail_exit(const char *fmt, ...)
{
	va_list ap;

	if (IN_CHILD) { /* the demo's verdict is the parent's */
		fprintf(stderr, "churn controller: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
		_exit(1);
	}
	if (TTY)
		fputc('\n', stdout);
	fflush(stdout);
	if (LAB.dir[0] != '\0') {
		fprintf(stderr, "srtpfwd's last lines:\n");
		lab_daemon_log_tail(15);
	}
	printf("demo: FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16), wr16(p + 2, v);
}

static uint32_t
random32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		abort();
	return v;
}

/* ---- the built-in configuration ---- */

static void
config_write(FILE *f)
{
	fprintf(f,
		"# call_demo's built-in configuration: srtpfwd in namespace %s\n"
		"# between the demo's peer namespaces %s and %s.\n"
		"eal: [--no-huge, --no-pci, --no-shconf, --no-telemetry, -m, \"512\", -l, "
		"\"0,1\",\n"
		"      --file-prefix, %s,\n"
		"      --vdev, "
		"\"net_af_packet0,iface=%s,blocksz=4096,framesz=2048,framecnt=2048\",\n"
		"      --vdev, "
		"\"net_af_packet1,iface=%s,blocksz=4096,framesz=2048,framecnt=2048\"]\n"
		"ports:\n"
		"  - {name: a, dev: net_af_packet0}\n"
		"  - {name: b, dev: net_af_packet1}\n"
		"addresses:            # LOCAL_ADDR 0..3 in the controller's requests\n"
		"  - {port: a, ip: 10.201.0.1/24}\n"
		"  - {port: a, ip: \"fd01::1/64\"}\n"
		"  - {port: b, ip: 10.202.0.1/24}\n"
		"  - {port: b, ip: \"fd02::1/64\"}\n"
		"media_ports: 20000-29999\n"
		"limits: {sessions: 4096}\n"
		"stats_interval_s: 5\n"
		"control: {unix: %s}\n",
		LAB.ns[LAB_D], LAB.ns[LAB_A], LAB.ns[LAB_B], LAB.file_prefix, LAB.dev[0],
		LAB.dev[1], LAB.sock);
}

static void
start_srtpfwd(const char *exe)
{
	char path[160], err[256];
	char opt[] = "--config";
	char *argv[] = {(char *)(uintptr_t)exe, opt, path, NULL};
	uint64_t end = lab_now_ms() + 30000;
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "%s/srtpfwd.yaml", LAB.dir);
	f = fopen(path, "w");
	if (f == NULL)
		fail_exit("cannot write %s: %s", path, strerror(errno));
	config_write(f);
	fclose(f);
	if (lab_daemon_start(argv) != 0)
		fail_exit("cannot start %s: %s", exe, strerror(errno));
	while (lab_now_ms() < end) {
		if (!lab_daemon_running(&st))
			fail_exit("srtpfwd exited before it was ready (status 0x%x)", st);
		if (access(LAB.sock, F_OK) == 0 &&
		    (CTL = srtpfwd_ctl_connect(LAB.sock, NULL, 2000, err, sizeof(err))) != NULL)
			return;
		usleep(50000);
	}
	fail_exit("srtpfwd's control socket did not answer within 30 s");
}

/* ---- the controller ---- */

static struct srtpfwd_ctl_key
new_key(uint8_t proto_suite)
{
	const struct suite_info *si = &suites[proto_suite - 1];
	struct srtpfwd_ctl_key k;

	memset(&k, 0, sizeof(k));
	k.suite = proto_suite;
	k.key_len = si->key_len;
	k.salt_len = si->salt_len;
	if (getrandom(k.key, k.key_len, 0) != k.key_len ||
	    getrandom(k.salt, k.salt_len, 0) != k.salt_len)
		abort();
	if (N_KEYS < sizeof(KEYS) / sizeof(KEYS[0]))
		KEYS[N_KEYS++] = k;
	return k;
}

static srtp_t
ref_of(const struct srtpfwd_ctl_key *k, int inbound)
{
	return ref_create((enum suite)(k->suite - 1), k->key, k->salt, inbound, NULL, 0);
}

static const uint8_t *
peer_addr(unsigned int side, int ip6)
{
	return ip6 ? LAB_PEER6[side] : LAB_PEER4[side];
}

static const uint8_t *
local_addr(unsigned int side, int ip6)
{
	return ip6 ? LAB_LOCAL6[side] : LAB_LOCAL4[side];
}

static socklen_t
sockaddr_of(int ip6, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, addr, 4);
	return sizeof(*s4);
}

static int
peer_socket(unsigned int side, int ip6, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(ip6, peer_addr(side, ip6), port, &ss);
	int fd, big = 1 << 20;

	lab_enter(side == 0 ? LAB_A : LAB_B);
	fd = socket(ip6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_exit("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0)
		fail_exit("bind peer %c port %u: %s", "AB"[side], port, strerror(errno));
	lab_leave();
	return fd;
}

static void
call_create(struct call *c, const struct call_shape *sh, unsigned int n)
{
	struct srtpfwd_ctl_session s;

	memset(c, 0, sizeof(*c));
	c->shape = sh;
	c->n = n;
	memset(&s, 0, sizeof(s));
	s.id = 1000 + n;
	s.timeout_ms = 60000;
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg_shape *ls = &sh->leg[l];
		struct srtpfwd_ctl_leg *g = &s.leg[l];

		c->peer_port[l] = (uint16_t)((l == 0 ? 30000 : 40000) + 4 * n);
		g->local_addr = (uint8_t)(2 * l + ls->ip6);
		g->remote_ip6 = ls->ip6;
		if (!ls->latch) {
			memcpy(g->remote_addr, peer_addr(l, ls->ip6), ls->ip6 ? 16 : 4);
			g->remote_port = c->peer_port[l];
		}
		g->flags = (ls->mux ? PROTO_LEG_RTCP_MUX : 0) | (ls->latch ? PROTO_LEG_LATCH : 0);
		if (ls->suite != PLAIN) {
			g->flags |= PROTO_LEG_SRTP;
			c->in[l] = g->in = new_key(ls->suite);
			c->out[l] = g->out = new_key(ls->suite);
		}
	}
	if (srtpfwd_ctl_create(CTL, &s, &c->slot, c->local_port) != 0)
		fail_exit("call %u (%s): CREATE refused: %s", n + 1, sh->name,
			  srtpfwd_ctl_error(CTL));
	memset(&s, 0, sizeof(s)); /* keys */
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg_shape *ls = &sh->leg[l];

		c->fd[l][0] = peer_socket(l, ls->ip6, c->peer_port[l]);
		c->fd[l][1] = ls->mux ? -1 : peer_socket(l, ls->ip6, c->peer_port[l] + 1);
	}
	for (unsigned int s_ = 0; s_ < 2; s_++) {
		struct stream *st = &c->st[s_];
		unsigned int r = 1 - s_;

		st->from = s_;
		st->ssrc = random32();
		st->seq0 = (uint16_t)(random32() % (65536 - MAX_PKTS));
		st->tx_suite = sh->leg[s_].suite;
		st->rx_suite = sh->leg[r].suite;
		/* the sender protects with what srtpfwd takes in on its leg;
		 * the receiver unprotects what srtpfwd sends out on the other */
		if (st->tx_suite != PLAIN)
			st->tx = ref_of(&c->in[s_], 0);
		if (st->rx_suite != PLAIN)
			st->rx[0] = ref_of(&c->out[r], 1);
		st->seen = calloc(MAX_PKTS, 1);
		st->rtcp_seen = calloc(MAX_RTCP, 1);
		if (st->seen == NULL || st->rtcp_seen == NULL)
			fail_exit("out of memory");
	}
}

/* Mid-call re-key of both legs, as a SIP re-INVITE with new a=crypto
 * lines does it: each receiver (peer or srtpfwd) accepts the new key
 * before its sender switches to it. */
static void
call_rekey(struct call *c)
{
	c->rekeys++;
	for (unsigned int l = 0; l < 2; l++) {
		struct srtpfwd_ctl_update u;
		struct stream *to_peer = &c->st[1 - l], *from_peer = &c->st[l];
		srtp_policy_t p;
		uint8_t keysalt[64];

		if (c->shape->leg[l].suite == PLAIN)
			continue;
		memset(&u, 0, sizeof(u));
		c->in[l] = u.in = new_key(c->shape->leg[l].suite);
		c->out[l] = u.out = new_key(c->shape->leg[l].suite);
		/* the peer first accepts what srtpfwd will send it (and,
		 * re-keyed before, forgets the key before the last) */
		if (to_peer->rx[1] != NULL) {
			srtp_dealloc(to_peer->rx[0]);
			to_peer->rx[0] = to_peer->rx[1];
			to_peer->by_key[0] += to_peer->by_key[1];
			to_peer->by_key[1] = 0;
		}
		to_peer->rx[1] = ref_of(&c->out[l], 1);
		to_peer->rx_pref = 1;
		/* srtpfwd: the new inbound key with the old one still
		 * accepted, the new outbound key at once */
		if (srtpfwd_ctl_update(CTL, c->slot, l, &u) != 0)
			fail_exit("call %u: re-key UPDATE refused: %s", c->n + 1,
				  srtpfwd_ctl_error(CTL));
		memset(&u, 0, sizeof(u));
		/* then the peer sends with its new key: srtp_update keeps the
		 * stream's ROC and SRTCP index, as a re-key does */
		memset(&p, 0, sizeof(p));
		ref_crypto_policy((enum suite)(c->in[l].suite - 1), &p.rtp, &p.rtcp);
		memcpy(keysalt, c->in[l].key, c->in[l].key_len);
		memcpy(keysalt + c->in[l].key_len, c->in[l].salt, c->in[l].salt_len);
		p.key = keysalt;
		p.ssrc.type = ssrc_any_outbound;
		p.window_size = 128;
		if (srtp_update(from_peer->tx, &p) != srtp_err_status_ok)
			fail_exit("call %u: libsrtp2 srtp_update failed", c->n + 1);
		memset(keysalt, 0, sizeof(keysalt));
	}
}

static void
call_end_overlap(struct call *c)
{
	for (unsigned int l = 0; l < 2; l++) {
		struct srtpfwd_ctl_update u;

		if (c->shape->leg[l].suite == PLAIN)
			continue;
		memset(&u, 0, sizeof(u));
		u.end_overlap = 1;
		if (srtpfwd_ctl_update(CTL, c->slot, l, &u) != 0)
			fail_exit("call %u: END_OVERLAP refused: %s", c->n + 1,
				  srtpfwd_ctl_error(CTL));
	}
}

/* ---- the peers ---- */

/* RTP packet @p i of stream @p st: the payload depends on the SSRC and the
 * index, so a packet of another stream or position never passes. */
static unsigned int
rtp_packet(uint8_t *p, const struct call *c, const struct stream *st, unsigned int i)
{
	unsigned int len = 12 + c->shape->payload;
	uint16_t seq = (uint16_t)(st->seq0 + i);

	p[0] = 0x80;
	p[1] = c->shape->pt;
	wr16(p + 2, seq);
	wr32(p + 4, i * (c->shape->payload == 160 ? 160 : 960));
	wr32(p + 8, st->ssrc);
	for (unsigned int k = 0; k < c->shape->payload; k++)
		p[12 + k] = (uint8_t)(seq * 7 + k * 13 + st->ssrc);
	return len;
}

/* RTCP sender report @p j: an NTP time that encodes @p j, the counts so far. */
static unsigned int
rtcp_packet(uint8_t *p, const struct call *c, const struct stream *st, unsigned int j)
{
	p[0] = 0x80;
	p[1] = 200;
	wr16(p + 2, SR_LEN / 4 - 1);
	wr32(p + 4, st->ssrc);
	wr32(p + 8, 0x83aa7e80u + j); /* NTP seconds: 1970 + j */
	wr32(p + 12, j * 0x9e3779b9u); /* fraction */
	wr32(p + 16, j * RTCP_EVERY * (c->shape->payload == 160 ? 160 : 960));
	wr32(p + 20, j * RTCP_EVERY);
	wr32(p + 24, j * RTCP_EVERY * c->shape->payload);
	return SR_LEN;
}

static void
stream_send(struct call *c, struct stream *st, int rtcp)
{
	const struct leg_shape *ls = &c->shape->leg[st->from];
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pkt[512];
	int len, fd;

	if (rtcp) {
		if (st->rtcp_sent >= MAX_RTCP)
			return;
		len = (int)rtcp_packet(pkt, c, st, st->rtcp_sent);
	} else {
		if (st->sent >= MAX_PKTS)
			return;
		len = (int)rtp_packet(pkt, c, st, st->sent);
	}
	if (st->tx != NULL && ref_protect(st->tx, 0, rtcp, pkt, &len) != srtp_err_status_ok)
		fail_exit("call %u: libsrtp2 protect failed", c->n + 1);
	if (!rtcp && st->tx != NULL) {
		memcpy(c->last_tx[st->from], pkt, (size_t)len);
		c->last_len[st->from] = len;
	}
	sl = sockaddr_of(ls->ip6, local_addr(st->from, ls->ip6),
			 (uint16_t)(c->local_port[st->from] + (rtcp && !ls->mux)), &ss);
	fd = c->fd[st->from][rtcp && !ls->mux];
	if (sendto(fd, pkt, (size_t)len, 0, (struct sockaddr *)&ss, sl) != len)
		fail_exit("call %u: sendto: %s", c->n + 1, strerror(errno));
	if (rtcp)
		st->rtcp_sent++;
	else
		st->sent++;
}

static void
stream_bad(struct call *c, struct stream *st, const char *why, int len)
{
	st->bad++;
	if (st->told++ < 3) {
		if (TTY)
			fputc('\n', stderr);
		fprintf(stderr, "  call %u %c->%c: %s (%d bytes)\n", c->n + 1, "AB"[st->from],
			"AB"[1 - st->from], why, len);
	}
}

/* A datagram that reached side @p side's socket @p on_rtcp_port of call @p c. */
static void
peer_receive(struct call *c, unsigned int side, int on_rtcp_port, const uint8_t *buf, int len,
	     const struct sockaddr_storage *src)
{
	const struct leg_shape *ls = &c->shape->leg[side];
	struct stream *st = &c->st[1 - side];
	struct sockaddr_storage want;
	uint8_t plain[2048], exp[512];
	int n = len, key = 0, rtcp, elen;
	unsigned int i;
	srtp_err_status_t err = srtp_err_status_ok;

	sockaddr_of(ls->ip6, local_addr(side, ls->ip6),
		    (uint16_t)(c->local_port[side] + on_rtcp_port), &want);
	if (src->ss_family != want.ss_family ||
	    (ls->ip6 ? memcmp(src, &want, sizeof(struct sockaddr_in6)) != 0
		     : memcmp(&((const struct sockaddr_in *)src)->sin_addr,
			      &((struct sockaddr_in *)&want)->sin_addr, 4) != 0 ||
			       ((const struct sockaddr_in *)src)->sin_port !=
				       ((struct sockaddr_in *)&want)->sin_port)) {
		stream_bad(c, st, "from the wrong address or port", len);
		return;
	}
	if (len < 12 || len > (int)sizeof(plain)) {
		stream_bad(c, st, "wrong length", len);
		return;
	}
	/* RFC 5761: RTCP packet types 192..223 in the second byte */
	rtcp = on_rtcp_port || (buf[1] >= 192 && buf[1] <= 223);
	if (on_rtcp_port && !rtcp) {
		stream_bad(c, st, "RTP on the RTCP port", len);
		return;
	}
	if (st->rx[0] != NULL) {
		/* the preferred context, then the other: a peer told of a new
		 * key still takes what was in flight under the old one */
		key = -1;
		for (int t = 0; t < 2 && key < 0; t++) {
			int k = t == 0 ? st->rx_pref : 1 - st->rx_pref;

			if (st->rx[k] == NULL)
				continue;
			n = len;
			memcpy(plain, buf, (size_t)len);
			err = ref_unprotect(st->rx[k], 0, rtcp, plain, &n);
			if (err == srtp_err_status_ok)
				key = k;
		}
		if (key < 0) {
			if (err == srtp_err_status_replay_fail ||
			    err == srtp_err_status_replay_old) {
				st->replays++;
			} else {
				i = (uint16_t)(rd16(buf + 2) - st->seq0);
				if (st->auth_fail++ == 0 || i < st->fail_first)
					st->fail_first = i;
				if (i > st->fail_last)
					st->fail_last = i;
				st->fail_err = (int)err;
			}
			return;
		}
	} else {
		memcpy(plain, buf, (size_t)len);
	}
	if (rtcp) {
		i = rd16(plain + 10) - 0x7e80u; /* low half of NTP seconds */
		elen = i < st->rtcp_sent ? (int)rtcp_packet(exp, c, st, i) : -1;
		if (elen != n || memcmp(plain, exp, (size_t)n) != 0) {
			stream_bad(c, st, "RTCP that was never sent", n);
			return;
		}
		if (st->rtcp_seen[i]++ != 0)
			st->replays++;
		else
			st->rtcp_ok++;
	} else {
		i = (uint16_t)(rd16(plain + 2) - st->seq0);
		elen = i < st->sent ? (int)rtp_packet(exp, c, st, i) : -1;
		if (elen != n || memcmp(plain, exp, (size_t)n) != 0) {
			stream_bad(c, st, "RTP that was never sent", n);
			return;
		}
		if (st->seen[i]++ != 0) {
			st->replays++;
			return;
		}
		st->ok++;
	}
	st->by_key[key < 0 ? 0 : key]++;
}

#define FDS_MAX (4 * MAX_CALLS)
static struct pollfd PFD[FDS_MAX];
static struct {
	struct call *c;
	unsigned int side;
	int rtcp;
} PFD_OF[FDS_MAX];
static unsigned int N_PFD;

static void
poll_setup(void)
{
	for (unsigned int k = 0; k < N_CALLS; k++)
		for (unsigned int s = 0; s < 2; s++)
			for (int r = 0; r < 2; r++)
				if (CALLS[k].fd[s][r] >= 0) {
					PFD[N_PFD] = (struct pollfd){.fd = CALLS[k].fd[s][r],
								     .events = POLLIN};
					PFD_OF[N_PFD].c = &CALLS[k];
					PFD_OF[N_PFD].side = s;
					PFD_OF[N_PFD++].rtcp = r;
				}
}

/* Take everything that arrives until @p until_ms. */
static void
peers_receive_until(uint64_t until_ms)
{
	/* at least one pass even when the loop runs late (a loaded machine):
	 * a receiver that falls behind would meet packets under keys it has
	 * since forgotten */
	for (int first = 1;; first = 0) {
		uint64_t now = lab_now_ms();

		if (now >= until_ms && !first)
			return;
		if (poll(PFD, N_PFD, now >= until_ms ? 0 : (int)(until_ms - now)) <= 0)
			continue;
		for (unsigned int k = 0; k < N_PFD; k++)
			for (unsigned int m = 0; m < 64 && (PFD[k].revents & POLLIN); m++) {
				uint8_t buf[2048];
				struct sockaddr_storage src;
				socklen_t sl = sizeof(src);
				ssize_t r = recvfrom(PFD[k].fd, buf, sizeof(buf), 0,
						     (struct sockaddr *)&src, &sl);

				if (r < 0)
					break;
				peer_receive(PFD_OF[k].c, PFD_OF[k].side, PFD_OF[k].rtcp, buf,
					     (int)r, &src);
			}
	}
}

/* A latching leg's peer speaks first; the other side starts once srtpfwd
 * reports the peer latched (GET), as a controller that waits for the
 * PEER_LATCHED event would: media toward an unlatched leg is dropped
 * (no_remote), by design. */
static void
wait_latched(void)
{
	uint64_t end = lab_now_ms() + 5000;

	for (unsigned int k = 0; k < N_CALLS; k++)
		for (unsigned int l = 0; l < 2; l++) {
			struct srtpfwd_ctl_info info;

			if (!CALLS[k].shape->leg[l].latch)
				continue;
			for (;;) {
				if (srtpfwd_ctl_get(CTL, CALLS[k].slot, &info, NULL, NULL) != 0)
					fail_exit("call %u: GET: %s", k + 1,
						  srtpfwd_ctl_error(CTL));
				if (info.leg[l].remote_port != 0)
					break;
				if (lab_now_ms() > end)
					fail_exit("call %u: srtpfwd did not latch leg %c in 5 s",
						  k + 1, "AB"[l]);
				peers_receive_until(lab_now_ms() + 2);
			}
		}
}

/* ---- load and faults (--churn, --rekey-every, --hostile) ---- */

/* Session churn on a second control connection: every tick, CREATEs for
 * a tick's share of the rate and DELETEs of what the previous tick
 * created, all pipelined, then every response. The sessions carry no
 * media; the calls beside them must not notice. */
#define CHURN_MAX_TICK 1024 /* creates a tick: 51,200 a second */
/* --kill-controller S: the churn sessions' inactivity timeout is S seconds
 * within these bounds; a live one is deleted a tick after it was created,
 * unless its controller stalls that long (the slowest tick is shown). */
#define ORPHAN_TIMEOUT_MIN_MS 2000
#define ORPHAN_TIMEOUT_MAX_MS 5000

/* What the churn did, as its controller saw the responses. In shared
 * memory with --kill-controller, where each controller is a child. */
struct churn_counts {
	uint64_t created, deleted, refused;
	uint64_t t_first, t_last; /* ms */
	uint64_t slowest_ms; /* the longest tick: first request sent to last response */
	uint64_t pending_at_kill; /* created, not yet deleted, when the last kill came */
	uint64_t pending_killed; /* the same, summed over every kill */
};

static struct churn_counts CHURN_COUNTS;
static struct {
	struct srtpfwd_ctl *c;
	unsigned int rate; /* creates (and deletes) a second; 0: off */
	uint32_t timeout_ms; /* of the sessions it creates */
	uint32_t pending[CHURN_MAX_TICK]; /* created, to delete next tick */
	unsigned int n_pending;
	uint32_t next_id;
	struct churn_counts *n;
} CHURN = {.n = &CHURN_COUNTS};

static void
churn_open(void)
{
	char err[256];

	CHURN.c = srtpfwd_ctl_connect(LAB.sock, NULL, 2000, err, sizeof(err));
	if (CHURN.c == NULL)
		fail_exit("churn: connect: %s", err);
}

static void
churn_send(const uint8_t *msg, long len)
{
	if (len <= 0 || srtpfwd_ctl_send(CHURN.c, msg, (size_t)len) != 0)
		fail_exit("churn: send: %s", srtpfwd_ctl_error(CHURN.c));
}

/* A churn session: plain, both legs toward the peers' discard port. */
static void
churn_session(struct srtpfwd_ctl_session *s)
{
	memset(s, 0, sizeof(*s));
	s->id = 0x10000000u + CHURN.next_id;
	s->timeout_ms = CHURN.timeout_ms;
	for (unsigned int l = 0; l < 2; l++) {
		s->leg[l].local_addr = (uint8_t)(2 * l);
		memcpy(s->leg[l].remote_addr, LAB_PEER4[l], 4);
		s->leg[l].remote_port = 9; /* discard: nothing is sent to it */
	}
}

/* CREATEs, then DELETEs of what the previous tick created, all sent
 * before any response is read. */
static unsigned int
churn_pipeline(unsigned int creates)
{
	static uint8_t buf[PROTO_MSG_MAX];
	unsigned int deletes = CHURN.n_pending;
	struct srtpfwd_ctl_session s;

	for (unsigned int k = 0; k < creates; k++) {
		churn_session(&s);
		churn_send(buf, srtpfwd_ctl_build_create(buf, sizeof(buf), CHURN.next_id++, &s));
	}
	for (unsigned int k = 0; k < deletes; k++)
		churn_send(buf, srtpfwd_ctl_build_delete(buf, sizeof(buf), 0x80000000u + k,
							 CHURN.pending[k]));
	CHURN.n_pending = 0;
	return creates + deletes;
}

/* One tick: @p creates CREATEs (0 at the end: only the DELETEs). */
static void
churn_tick(unsigned int creates)
{
	static uint8_t buf[PROTO_MSG_MAX];
	uint64_t t0 = lab_now_ms();
	struct proto_hdr h;
	unsigned int want;

	if (CHURN.n->t_first == 0)
		CHURN.n->t_first = t0;
	want = churn_pipeline(creates);
	for (unsigned int k = 0; k < want; k++) {
		long n = srtpfwd_ctl_recv(CHURN.c, buf, sizeof(buf), &h, 5000);

		if (n <= 0)
			fail_exit("churn: no response within 5 s (%u of %u)", k, want);
		if (h.type == PROTO_MSG_SESSION_DELETE) {
			if (h.status != PROTO_ST_OK)
				fail_exit("churn: DELETE refused (%s)%s",
					  proto_status_name(h.status),
					  CHURN.timeout_ms && h.status == PROTO_ST_NO_SESSION
						  ? ": expired first? this controller stalled "
						    "longer than the sessions' timeout"
						  : "");
			CHURN.n->deleted++;
		} else if (h.status == PROTO_ST_OK) {
			CHURN.pending[CHURN.n_pending++] = srtpfwd_ctl_response_slot(buf, &h);
			CHURN.n->created++;
		} else {
			CHURN.n->refused++;
		}
	}
	if (lab_now_ms() - t0 > CHURN.n->slowest_ms)
		CHURN.n->slowest_ms = lab_now_ms() - t0;
	if (creates > 0)
		CHURN.n->t_last = lab_now_ms();
}

/* srtpfwd's resident memory, from /proc (kB), or 0. */
static unsigned long
srtpfwd_rss_kb(void)
{
	char path[64], line[256];
	unsigned long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)LAB.daemon);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Hostile datagrams from peer A's namespace, each kind aimed at one drop
 * reason, mixed into the calls: forged SRTP for a live stream (its SSRC,
 * a sequence number ahead, a random tag), a replay of the stream's last
 * packet from the peer's own socket, a datagram to a media port no session
 * has, and bytes that are no media (RFC 7983) on a live port. */
enum { H_FORGED, H_REPLAY, H_NO_SESSION, H_NOT_MEDIA, H_KINDS };
static const char *const HOSTILE_REASON[H_KINDS] = {"srtp_auth", "srtp_replay", "no_session",
						    "not_media"};
static struct {
	unsigned int rate; /* a second; 0: off */
	int fd; /* an unrelated socket of peer A */
	uint64_t sent[H_KINDS];
	uint64_t before[H_KINDS], after[H_KINDS]; /* srtpfwd's drop counters */
} HOSTILE = {.fd = -1};

static void
drop_counters(void *ctx, const char *name, uint64_t v)
{
	uint64_t *out = ctx;

	if (strncmp(name, "drop.", 5) == 0)
		for (unsigned int k = 0; k < H_KINDS; k++)
			if (strcmp(name + 5, HOSTILE_REASON[k]) == 0)
				out[k] = v;
}

static void
hostile_counters(uint64_t out[H_KINDS])
{
	memset(out, 0, H_KINDS * sizeof(out[0]));
	if (srtpfwd_ctl_stats(CTL, 0, drop_counters, out) != 0)
		fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
}

/* The first call whose side A speaks SRTP over IPv4 and has sent. */
static struct call *
hostile_target(void)
{
	for (unsigned int k = 0; k < N_CALLS; k++)
		if (CALLS[k].shape->leg[0].suite != PLAIN && !CALLS[k].shape->leg[0].ip6 &&
		    CALLS[k].last_len[0] > 0)
			return &CALLS[k];
	return NULL;
}

static void
hostile_send(unsigned int n)
{
	struct call *c = hostile_target();

	if (HOSTILE.fd < 0) {
		lab_enter(LAB_A);
		HOSTILE.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		lab_leave();
		if (HOSTILE.fd < 0)
			fail_exit("hostile: socket: %s", strerror(errno));
	}
	if (c == NULL)
		return;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int kind = (unsigned int)((HOSTILE.sent[0] + HOSTILE.sent[1] +
						    HOSTILE.sent[2] + HOSTILE.sent[3]) %
						   H_KINDS);
		const struct stream *st = &c->st[0];
		struct sockaddr_storage ss;
		socklen_t sl;
		uint8_t pkt[256];
		int len = 12 + (int)c->shape->payload + 10, fd = HOSTILE.fd;
		uint16_t port = c->local_port[0];

		if (getrandom(pkt, sizeof(pkt), 0) != sizeof(pkt))
			abort();
		switch (kind) {
		case H_FORGED:
			pkt[0] = 0x80;
			pkt[1] = c->shape->pt;
			wr16(pkt + 2, (uint16_t)(st->seq0 + st->sent + 50));
			wr32(pkt + 8, st->ssrc);
			break;
		case H_REPLAY:
			len = c->last_len[0];
			memcpy(pkt, c->last_tx[0], (size_t)len);
			fd = c->fd[0][0]; /* the peer's own socket: behind the original */
			break;
		case H_NO_SESSION:
			pkt[0] = 0x80;
			pkt[1] = 0; /* RTP (PCMU), not RTCP */
			port = 19999; /* below the media range: churn cycles through it all */
			break;
		case H_NOT_MEDIA: pkt[0] = (uint8_t)(64 + pkt[0] % 64); break;
		}
		sl = sockaddr_of(0, LAB_LOCAL4[0], port, &ss);
		if (sendto(fd, pkt, (size_t)len, 0, (struct sockaddr *)&ss, sl) == len) {
			HOSTILE.sent[kind]++;
			/* these reach the session: its leg counts them dropped */
			c->hostile_dropped += kind == H_FORGED || kind == H_REPLAY;
		}
	}
}

/* A few counters by name from STATS: @p ctx is an array ending with a NULL name. */
struct named_counter {
	const char *name;
	uint64_t v;
};

static void
named_counter(void *ctx, const char *name, uint64_t v)
{
	for (struct named_counter *c = ctx; c->name != NULL; c++)
		if (strcmp(name, c->name) == 0)
			c->v = v;
}

static void
read_named(struct named_counter *c)
{
	if (srtpfwd_ctl_stats(CTL, 0, named_counter, c) != 0)
		fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
}

/* ---- frames below UDP (--hostile-frames) and ARP/ND floods (--neigh-flood) ---- */

/* Both leave peer A's namespace through an AF_PACKET socket bound to its
 * veth, mixed into the calls (bench/hostile_frames.h builds them). A
 * monitor socket on each peer's veth keeps ARP and IP that is not UDP,
 * both ways (a BPF filter): srtpfwd's answers to the flood, and whatever
 * the peers' kernels send that srtpfwd would count as well, so that every
 * count is exact. The kernels are made quiet first: srtpfwd's addresses
 * become permanent neighbours (no ARP or NS of their own, which srtpfwd
 * would answer and count) and they stop soliciting routers. */
struct raw_counters {
	uint64_t bad[BF_KINDS]; /* drop.<reason> */
	uint64_t arp_replied, nd_replied, echo_replied, ignored, malformed; /* neigh. */
	uint64_t punt_full, inject_full;
};

static struct {
	unsigned int frames_rate, flood_rate; /* a second; 0: off */
	int tx; /* peer A's AF_PACKET socket */
	int mon[2]; /* monitors on peer A's and peer B's veths */
	struct frame_side side[2];
	uint64_t bad_seq, bad_sent[BF_KINDS];
	uint32_t flood_seq;
	uint64_t flood_sent[NF_KINDS];
	int counting; /* between the two snapshots */
	uint64_t caught[CAUGHT_KINDS];
	uint64_t kernel_dropped[BF_KINDS]; /* parse drops of the kernels' own frames */
	uint64_t mon_lost; /* frames the monitors' buffers dropped */
	struct raw_counters before, after;
} RAW = {.tx = -1, .mon = {-1, -1}};

static void
raw_counter(void *ctx, const char *name, uint64_t v)
{
	struct raw_counters *rc = ctx;

	if (strncmp(name, "drop.", 5) == 0) {
		for (unsigned int k = 0; k < BF_KINDS; k++)
			if (strcmp(name + 5, BAD_FRAME_REASON[k]) == 0)
				rc->bad[k] = v;
		if (strcmp(name + 5, "punt_full") == 0)
			rc->punt_full = v;
	} else if (strcmp(name, "neigh.arp_replied") == 0) {
		rc->arp_replied = v;
	} else if (strcmp(name, "neigh.nd_replied") == 0) {
		rc->nd_replied = v;
	} else if (strcmp(name, "neigh.echo_replied") == 0) {
		rc->echo_replied = v;
	} else if (strcmp(name, "neigh.ignored") == 0) {
		rc->ignored = v;
	} else if (strcmp(name, "neigh.malformed") == 0) {
		rc->malformed = v;
	} else if (strcmp(name, "inject_full") == 0) {
		rc->inject_full = v;
	}
}

static void
raw_counters(struct raw_counters *rc)
{
	memset(rc, 0, sizeof(*rc));
	if (srtpfwd_ctl_stats(CTL, 0, raw_counter, rc) != 0)
		fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
}

/* The MAC address (and index) of interface @p ifname in namespace @p ns. */
static void
if_mac(unsigned int ns, const char *ifname, uint8_t *mac, int *ifindex)
{
	struct ifreq ifr;
	int fd, r;

	lab_enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	lab_leave();
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (r == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (r == 0 && ifindex != NULL) {
		r = ioctl(fd, SIOCGIFINDEX, &ifr);
		*ifindex = ifr.ifr_ifindex;
	}
	if (r != 0)
		fail_exit("%s: SIOCGIFHWADDR/SIOCGIFINDEX: %s", ifname, strerror(errno));
	close(fd);
}

static void
mac_str(const uint8_t *m, char out[20])
{
	snprintf(out, 20, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* A packet socket in @p ns on interface @p ifindex that keeps ARP and IP
 * that is not UDP, except the frames this process sends (outgoing with a
 * source MAC other than @p mac, the peer's own). */
static int
monitor_open(unsigned int ns, int ifindex, const uint8_t *mac)
{
	uint32_t hi =
		(uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
	uint32_t lo = (uint32_t)mac[4] << 8 | mac[5];
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 6, 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),
		/* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 10, 3),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 9),
		/* 6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 7, 0),
		/* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 4),
		/* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 6),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 3),
		/* 12 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 10),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, 1),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),
		/* 15 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
	int fd, big = 4 << 20;
	uint8_t junk[2048];

	lab_enter(ns);
	/* protocol 0 until the filter is on: nothing queued unfiltered */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	lab_leave();
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		fail_exit("monitor socket: %s", strerror(errno));
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	return fd;
}

static void
raw_setup(void)
{
	char ip4[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN], mac[20];
	int ifindex[2];

	for (unsigned int s = 0; s < 2; s++) {
		struct frame_side *fs = &RAW.side[s];
		unsigned int ns = s == 0 ? LAB_A : LAB_B;

		if_mac(LAB_D, LAB.dev[s], fs->fwd_mac, NULL);
		if_mac(ns, LAB.ifname[ns], fs->peer_mac, &ifindex[s]);
		memcpy(fs->fwd4, LAB_LOCAL4[s], 4);
		memcpy(fs->peer4, LAB_PEER4[s], 4);
		memcpy(fs->fwd6, LAB_LOCAL6[s], 16);
		memcpy(fs->peer6, LAB_PEER6[s], 16);
		for (unsigned int k = N_CALLS; k-- > 0;)
			if (CALLS[k].shape->leg[s].ip6)
				fs->port6 = CALLS[k].local_port[s];
			else
				fs->port4 = CALLS[k].local_port[s];
		/* quiet kernels: srtpfwd's MAC for good, no router solicitations */
		inet_ntop(AF_INET, fs->fwd4, ip4, sizeof(ip4));
		inet_ntop(AF_INET6, fs->fwd6, ip6, sizeof(ip6));
		mac_str(fs->fwd_mac, mac);
		if (lab_sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent && "
			   "ip -n %s neigh replace %s lladdr %s dev %s nud permanent && "
			   "ip netns exec %s sysctl -qw net.ipv6.conf.%s.router_solicitations=0",
			   LAB.ns[ns], ip4, mac, LAB.ifname[ns], LAB.ns[ns], ip6, mac,
			   LAB.ifname[ns], LAB.ns[ns], LAB.ifname[ns]) != 0)
			fail_exit("cannot make peer %c's kernel quiet (ip neigh, sysctl)", "AB"[s]);
		RAW.mon[s] = monitor_open(ns, ifindex[s], fs->peer_mac);
	}
	{
		struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex[0]};

		lab_enter(LAB_A);
		RAW.tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* sends only */
		lab_leave();
		if (RAW.tx < 0 || bind(RAW.tx, (struct sockaddr *)&sll, sizeof(sll)) != 0)
			fail_exit("AF_PACKET socket on %s: %s", LAB.ifname[LAB_A], strerror(errno));
	}
}

static void
raw_send(const uint8_t *f, unsigned int len)
{
	ssize_t n = send(RAW.tx, f, len, 0);

	if (n != (ssize_t)len)
		fail_exit("AF_PACKET send of a %u-byte frame: %s", len,
			  n < 0 ? strerror(errno) : "short");
}

static void
frames_send(unsigned int n)
{
	uint8_t f[FRAME_MAX];

	for (unsigned int i = 0; i < n; i++, RAW.bad_seq++) {
		enum bad_frame k = (enum bad_frame)(RAW.bad_seq % BF_KINDS);

		raw_send(f, bad_frame_build(f, k, (unsigned int)(RAW.bad_seq / BF_KINDS),
					    random32(), &RAW.side[0]));
		RAW.bad_sent[k]++;
	}
}

static void
flood_send(unsigned int n)
{
	uint8_t f[FRAME_MAX];

	for (unsigned int i = 0; i < n; i++, RAW.flood_seq++) {
		enum neigh_frame k = (enum neigh_frame)(RAW.flood_seq % NF_KINDS);

		raw_send(f, neigh_frame_build(f, k, RAW.flood_seq, &RAW.side[0]));
		RAW.flood_sent[k]++;
	}
}

/* Everything the monitors kept since the last call.
 * @return how many of those frames the peers' kernels sent. */
static unsigned int
monitors_read(void)
{
	unsigned int kernel = 0;

	for (unsigned int s = 0; s < 2; s++) {
		struct tpacket_stats ts;
		socklen_t tl = sizeof(ts);

		for (unsigned int m = 0; m < 100000; m++) {
			uint8_t f[2048];
			struct sockaddr_ll sll;
			socklen_t sl = sizeof(sll);
			ssize_t n = recvfrom(RAW.mon[s], f, sizeof(f), MSG_DONTWAIT,
					     (struct sockaddr *)&sll, &sl);
			enum bad_frame why = BF_KINDS;
			enum caught c;

			if (n < 0)
				break;
			c = frame_caught(f, (unsigned int)n, sll.sll_pkttype == PACKET_OUTGOING,
					 &RAW.side[s], &why);
			kernel += c >= CAUGHT_KERNEL_ARP_US;
			if (!RAW.counting)
				continue;
			RAW.caught[c]++;
			if (c == CAUGHT_KERNEL_DROPPED && why < BF_KINDS)
				RAW.kernel_dropped[why]++;
		}
		if (getsockopt(RAW.mon[s], SOL_PACKET, PACKET_STATISTICS, &ts, &tl) == 0)
			RAW.mon_lost += ts.tp_drops;
	}
	return kernel;
}

/* srtpfwd's counters at a moment when no frame of the peers' kernels is
 * near (none caught 50 ms either side; srtpfwd counts a punted frame well
 * within that), so that each such frame is both in the monitors' count
 * and in srtpfwd's, or in neither. At the start (@p after 0) counting
 * begins with the snapshot; at the end it stops. */
static void
raw_snapshot(struct raw_counters *rc, int after)
{
	for (unsigned int tries = 0; tries < 100; tries++) {
		usleep(50000);
		if (monitors_read() != 0)
			continue;
		if (!after) {
			memset(RAW.caught, 0, sizeof(RAW.caught));
			memset(RAW.kernel_dropped, 0, sizeof(RAW.kernel_dropped));
			RAW.counting = 1;
		}
		raw_counters(rc);
		usleep(50000);
		if (monitors_read() == 0)
			break;
		/* one came right after: counted by the monitors, maybe not by
		 * srtpfwd yet; at the start, begin again; at the end, a later
		 * snapshot has it */
		RAW.counting = after;
	}
	if (after)
		RAW.counting = 0;
}

/* ---- the controller killed (--kill-controller) ---- */

/* With --kill-controller the churn runs in a child process, a controller
 * of its own on its own connection. Every S seconds it is told to put
 * requests in flight (a tick's CREATEs, the DELETEs of the last tick's
 * sessions, no response read, then half of one more CREATE) and is
 * SIGKILLed. Its sessions are orphans: they carry a short inactivity
 * timeout and must all expire. Then the main connection is closed as
 * abruptly (a GET and a STATS unanswered, half an UPDATE with new keys for
 * a call) and reconnected: every call's session must be as it was, and
 * the calls go on re-keying through the new connection. A new churn
 * controller takes over. At the end the last one is stopped cleanly. */
#define KILL_CHURN_DEFAULT 500 /* sessions a second when --churn is not given */

static struct {
	unsigned int every; /* seconds; 0: off */
	pid_t pid; /* the churn controller */
	int cmd, ready; /* pipes: commands to it, "in flight" from it */
	unsigned int gen;
	unsigned int kills, reconnects, checked, changed, bad_orphans;
	uint64_t in_flight; /* requests sent to srtpfwd and never answered */
	uint64_t orphans, expired0, expired;
} KILL = {.cmd = -1, .ready = -1};

static void churn_doom(unsigned int per_tick, int ready) __attribute__((noreturn));
static void churn_child(unsigned int per_tick, int cmd, int ready) __attribute__((noreturn));

/* Requests in flight when the kill comes, then "ready" to the parent. */
static void
churn_doom(unsigned int per_tick, int ready)
{
	static uint8_t buf[PROTO_MSG_MAX];
	struct srtpfwd_ctl_session s;
	long len;

	CHURN.n->pending_at_kill = CHURN.n_pending;
	CHURN.n->pending_killed += CHURN.n_pending;
	churn_pipeline(per_tick);
	churn_session(&s);
	len = srtpfwd_ctl_build_create(buf, sizeof(buf), CHURN.next_id++, &s);
	churn_send(buf, len / 2 + 1); /* the other half never comes */
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static void
churn_child(unsigned int per_tick, int cmd, int ready)
{
	uint64_t next = lab_now_ms();

	IN_CHILD = 1;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the parent's connection: when it closes it, srtpfwd must see it */
	close(srtpfwd_ctl_fd(CTL));
	CHURN.next_id = KILL.gen << 20;
	churn_open();
	for (;;) {
		struct pollfd p = {.fd = cmd, .events = POLLIN};
		uint64_t now;
		char c = 's';

		churn_tick(per_tick);
		next += PTIME_MS;
		now = lab_now_ms();
		if (poll(&p, 1, next > now ? (int)(next - now) : 0) <= 0)
			continue;
		if (read(cmd, &c, 1) == 1 && c == 'k')
			churn_doom(per_tick, ready);
		churn_tick(0); /* stopped (or the parent is gone): delete what it made */
		srtpfwd_ctl_close(CHURN.c);
		_exit(0);
	}
}

static void
churn_child_start(unsigned int per_tick)
{
	int cmd[2], ready[2];
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0)
		fail_exit("pipe: %s", strerror(errno));
	KILL.gen++;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fail_exit("fork: %s", strerror(errno));
	if (pid == 0) {
		close(cmd[1]);
		close(ready[0]);
		churn_child(per_tick, cmd[0], ready[1]);
	}
	close(cmd[0]);
	close(ready[1]);
	KILL.pid = LAB.child = pid;
	KILL.cmd = cmd[1];
	KILL.ready = ready[0];
}

static void
churn_child_reaped(void)
{
	LAB.child = 0;
	KILL.pid = 0;
	close(KILL.cmd);
	close(KILL.ready);
	KILL.cmd = KILL.ready = -1;
}

/* The last churn controller stops and deletes what it made. */
static void
churn_child_stop(void)
{
	uint64_t end = lab_now_ms() + 10000;
	int st = -1;

	if (write(KILL.cmd, "s", 1) != 1)
		fail_exit("churn controller: %s", strerror(errno));
	while (waitpid(KILL.pid, &st, WNOHANG) == 0 && lab_now_ms() < end)
		usleep(10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_exit("churn controller %u did not stop cleanly (status 0x%x)", KILL.gen, st);
	churn_child_reaped();
}

/* A request without attributes but a SLOT (0: none), written by hand: the
 * library only builds CREATE, UPDATE and DELETE for pipelining. */
static unsigned int
bare_request(uint8_t *m, uint8_t type, uint32_t id, uint32_t slot)
{
	unsigned int len = slot != 0 ? 24 : 16;

	memset(m, 0, len);
	m[0] = PROTO_VERSION;
	m[1] = type;
	wr32(m + 4, len);
	wr32(m + 8, id);
	if (slot != 0) {
		wr16(m + 16, PROTO_A_SLOT);
		wr16(m + 18, 4);
		wr32(m + 20, slot);
	}
	return len;
}

static int
info_same(const struct srtpfwd_ctl_info *a, const struct srtpfwd_ctl_info *b)
{
	if (a->slot != b->slot || a->id != b->id || a->timeout_ms != b->timeout_ms)
		return 0;
	for (unsigned int l = 0; l < 2; l++) {
		const struct srtpfwd_ctl_leg_info *x = &a->leg[l], *y = &b->leg[l];

		if (x->local_addr != y->local_addr || x->local_port != y->local_port ||
		    x->remote_ip6 != y->remote_ip6 ||
		    memcmp(x->remote_addr, y->remote_addr, 16) != 0 ||
		    x->remote_port != y->remote_port || x->flags != y->flags ||
		    x->dscp != y->dscp || x->suite_in != y->suite_in ||
		    x->suite_out != y->suite_out)
			return 0;
	}
	return 1;
}

/* Wait until srtpfwd has closed every control connection but one. */
static void
wait_one_client(void)
{
	uint64_t end = lab_now_ms() + 5000;
	struct named_counter c[] = {{"ctl.clients", 0}, {NULL, 0}};

	for (;;) {
		read_named(c);
		if (c[0].v == 1)
			return;
		if (lab_now_ms() > end)
			fail_exit("srtpfwd still has %llu control connections 5 s after the kills",
				  (unsigned long long)c[0].v);
		usleep(2000);
	}
}

/* The main connection closed abruptly, reconnected, every call checked. */
static void
main_reconnect(void)
{
	static struct srtpfwd_ctl_info before[MAX_CALLS];
	static uint8_t msg[PROTO_MSG_MAX];
	struct srtpfwd_ctl_update u;
	struct call *c = &CALLS[0];
	char err[256];
	long len;

	for (unsigned int k = 0; k < N_CALLS; k++) {
		if (srtpfwd_ctl_get(CTL, CALLS[k].slot, &before[k], NULL, NULL) != 0)
			fail_exit("call %u: GET: %s", k + 1, srtpfwd_ctl_error(CTL));
		if (CALLS[k].shape->leg[0].suite != PLAIN && c->shape->leg[0].suite == PLAIN)
			c = &CALLS[k];
	}
	if (srtpfwd_ctl_send(CTL, msg,
			     bare_request(msg, PROTO_MSG_SESSION_GET, 0x7f000001, c->slot)) != 0 ||
	    srtpfwd_ctl_send(CTL, msg, bare_request(msg, PROTO_MSG_STATS, 0x7f000002, 0)) != 0)
		fail_exit("send: %s", srtpfwd_ctl_error(CTL));
	/* half an UPDATE with new keys: had srtpfwd taken it, that call's
	 * peers would no longer decrypt what it sends them */
	memset(&u, 0, sizeof(u));
	if (c->shape->leg[0].suite != PLAIN) {
		u.in = new_key(c->shape->leg[0].suite);
		u.out = new_key(c->shape->leg[0].suite);
	}
	len = srtpfwd_ctl_build_update(msg, sizeof(msg), 0x7f000003, c->slot, 0, &u);
	memset(&u, 0, sizeof(u));
	if (len <= 0 || srtpfwd_ctl_send(CTL, msg, (size_t)len / 2 + 1) != 0)
		fail_exit("send: %s", srtpfwd_ctl_error(CTL));
	memset(msg, 0, (size_t)len);
	srtpfwd_ctl_close(CTL);
	CTL = srtpfwd_ctl_connect(LAB.sock, NULL, 2000, err, sizeof(err));
	if (CTL == NULL)
		fail_exit("reconnect: %s", err);
	KILL.reconnects++;
	wait_one_client();
	for (unsigned int k = 0; k < N_CALLS; k++) {
		struct srtpfwd_ctl_info after;

		if (srtpfwd_ctl_get(CTL, CALLS[k].slot, &after, NULL, NULL) != 0)
			fail_exit("call %u: GET after reconnecting: %s", k + 1,
				  srtpfwd_ctl_error(CTL));
		KILL.checked++;
		if (!info_same(&before[k], &after) && KILL.changed++ < 3)
			fprintf(stderr, "\n  call %u: session changed across a reconnect\n", k + 1);
	}
}

/* The sessions the killed controller left: srtpfwd's count less the calls
 * and the earlier orphans that have not expired yet. A tick's CREATEs and
 * DELETEs were in flight, so it is at least min(pending, per tick) and at
 * most their sum. */
static void
orphans_count(uint64_t pending, unsigned int per_tick)
{
	struct named_counter c[] = {{"sessions", 0}, {"expired", 0}, {NULL, 0}};
	uint64_t alive, made, lo = pending < per_tick ? pending : per_tick;

	read_named(c);
	alive = KILL.orphans - (c[1].v - KILL.expired0);
	made = c[0].v - N_CALLS - alive;
	if ((made < lo || made > pending + per_tick) && KILL.bad_orphans++ < 3)
		fprintf(stderr, "\n  kill %u: %lld sessions orphaned, expected %llu..%llu\n",
			KILL.kills, (long long)made, (unsigned long long)lo,
			(unsigned long long)(pending + per_tick));
	KILL.orphans += made;
}

static void
controller_kill(unsigned int per_tick)
{
	struct pollfd p = {.fd = KILL.ready, .events = POLLIN};
	uint64_t pending;
	char c;
	int st;

	if (write(KILL.cmd, "k", 1) != 1 || poll(&p, 1, 5000) != 1 || read(KILL.ready, &c, 1) != 1)
		fail_exit("churn controller %u did not put its requests in flight", KILL.gen);
	kill(KILL.pid, SIGKILL);
	if (waitpid(KILL.pid, &st, 0) != KILL.pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		fail_exit("churn controller %u: not killed (status 0x%x)", KILL.gen, st);
	churn_child_reaped();
	KILL.kills++;
	pending = CHURN.n->pending_at_kill;
	KILL.in_flight += per_tick + pending;
	main_reconnect(); /* returns once srtpfwd closed both connections */
	orphans_count(pending, per_tick);
	churn_child_start(per_tick);
}

/* After the last controller stopped: every orphan expires. */
static void
orphans_wait(void)
{
	uint64_t end = lab_now_ms() + CHURN.timeout_ms + 3000;
	struct named_counter c[] = {{"sessions", 0}, {"expired", 0}, {NULL, 0}};

	for (;;) {
		read_named(c);
		if (c[0].v == N_CALLS || lab_now_ms() > end)
			break;
		usleep(100000);
	}
	KILL.expired = c[1].v - KILL.expired0;
}

/* ---- progress and results ---- */

struct totals {
	uint64_t sent, ok, auth_fail, replays, bad;
};

static struct totals
totals(void)
{
	struct totals t = {0};

	for (unsigned int k = 0; k < N_CALLS; k++)
		for (unsigned int s = 0; s < 2; s++) {
			const struct stream *st = &CALLS[k].st[s];

			t.sent += st->sent + st->rtcp_sent;
			t.ok += st->ok + st->rtcp_ok;
			t.auth_fail += st->auth_fail;
			t.replays += st->replays;
			t.bad += st->bad;
		}
	return t;
}

static void
progress(double t, unsigned int duration, const char *note)
{
	struct totals tt = totals();

	printf("%s  %5.1f s / %u s   sent %-7llu verified %-7llu auth failures %llu   replays "
	       "%llu   stray %llu%s%s",
	       TTY ? "\r" : "", t, duration, (unsigned long long)tt.sent, (unsigned long long)tt.ok,
	       (unsigned long long)tt.auth_fail, (unsigned long long)tt.replays,
	       (unsigned long long)tt.bad, note[0] ? "   " : "", note);
	if (!TTY)
		printf("\n");
	fflush(stdout);
}

struct session_counters {
	uint64_t v[2][2][2]; /* [leg][rtcp][packets, dropped] */
};

static void
session_counter(void *ctx, const char *name, uint64_t v)
{
	struct session_counters *sc = ctx;
	unsigned int leg;
	char what[16], kind[16];
	int n = 0;

	if (sscanf(name, "leg%u.%15[a-z].%15[a-z]%n", &leg, what, kind, &n) != 3 ||
	    name[n] != '\0' || leg > 1)
		return;
	if (strcmp(what, "rtp") != 0 && strcmp(what, "rtcp") != 0)
		return;
	if (strcmp(kind, "packets") == 0)
		sc->v[leg][what[2] == 'c'][0] = v;
	else if (strcmp(kind, "dropped") == 0)
		sc->v[leg][what[2] == 'c'][1] = v;
}

static void
read_session_counters(void)
{
	for (unsigned int k = 0; k < N_CALLS; k++) {
		struct call *c = &CALLS[k];
		struct srtpfwd_ctl_info info;
		struct session_counters sc;

		memset(&sc, 0, sizeof(sc));
		if (srtpfwd_ctl_get(CTL, c->slot, &info, session_counter, &sc) != 0)
			fail_exit("call %u: GET: %s", k + 1, srtpfwd_ctl_error(CTL));
		for (unsigned int l = 0; l < 2; l++) {
			c->relayed[l] = sc.v[l][0][0] + sc.v[l][1][0];
			c->dropped[l] = sc.v[l][0][1] + sc.v[l][1][1];
		}
	}
}

static const char *
suite_short(uint8_t proto_suite)
{
	static const char *const name[] = {"RTP",	"AES128_80", "AES128_32", "AES256_80",
					   "AES256_32", "GCM128",    "GCM256",	  "NULL_80"};

	return proto_suite < 8 ? name[proto_suite] : "?";
}

/* @return the number of streams that failed. */
static unsigned int
results_table(uint64_t *relayed_total)
{
	unsigned int failed = 0;

	printf("\n%-4s %-8s %-5s %-23s %7s %8s %8s %8s %6s %7s %5s  %s\n", "call", "shape", "dir",
	       "suites (in -> out)", "sent", "relayed", "received", "verified", "auth", "replays",
	       "loss", "verdict");
	*relayed_total = 0;
	for (unsigned int k = 0; k < N_CALLS; k++) {
		const struct call *c = &CALLS[k];

		for (unsigned int s = 0; s < 2; s++) {
			const struct stream *st = &c->st[s];
			const struct leg_shape *from = &c->shape->leg[s],
					       *to = &c->shape->leg[1 - s];
			unsigned int sent = st->sent + st->rtcp_sent, ok = st->ok + st->rtcp_ok;
			unsigned int got = ok + st->auth_fail + st->replays + st->bad;
			int good = ok == sent && st->auth_fail == 0 && st->replays == 0 &&
				   st->bad == 0 && c->relayed[s] == sent &&
				   c->dropped[s] == (s == 0 ? c->hostile_dropped : 0);
			char suites_[40], dir[8];

			snprintf(suites_, sizeof(suites_), "%s/v%c -> %s/v%c",
				 suite_short(from->suite), from->ip6 ? '6' : '4',
				 suite_short(to->suite), to->ip6 ? '6' : '4');
			snprintf(dir, sizeof(dir), "%c->%c", "AB"[s], "AB"[1 - s]);
			printf("%-4u %-8s %-5s %-28s %7u %8llu %8u %8u %6u %7u %5u  %s", k + 1,
			       s == 0 ? c->shape->name : "", dir, suites_, sent,
			       (unsigned long long)c->relayed[s], got, ok, st->auth_fail,
			       st->replays, sent - (ok < sent ? ok : sent), good ? "ok" : "FAIL");
			if (c->rekeys == 1 && st->rx[1] != NULL)
				printf("  (re-keyed: %u old key, %u new)", st->by_key[0],
				       st->by_key[1]);
			else if (c->rekeys > 1 && st->rx[1] != NULL)
				printf("  (re-keyed %u times)", c->rekeys);
			if (st->auth_fail)
				printf("  (libsrtp2 status %d, RTP %u..%u of %u)", st->fail_err,
				       st->fail_first, st->fail_last, st->sent);
			printf("\n");
			*relayed_total += c->relayed[s];
			failed += !good;
		}
	}
	return failed;
}

struct global_counters {
	uint64_t rx, tx, unprotected, protected_, dropped, mbufs, mbufs_free;
	char reasons[512];
};

static void
global_counter(void *ctx, const char *name, uint64_t v)
{
	struct global_counters *g = ctx;
	size_t len = strlen(g->reasons);

	if (strcmp(name, "rx") == 0)
		g->rx = v;
	else if (strcmp(name, "tx") == 0)
		g->tx = v;
	else if (strcmp(name, "srtp_unprotected") == 0)
		g->unprotected = v;
	else if (strcmp(name, "srtp_protected") == 0)
		g->protected_ = v;
	else if (strcmp(name, "mbufs") == 0)
		g->mbufs = v;
	else if (strcmp(name, "mbufs_free") == 0)
		g->mbufs_free = v;
	else if (strncmp(name, "drop.", 5) == 0 && v != 0) {
		g->dropped += v;
		snprintf(g->reasons + len, sizeof(g->reasons) - len, "%s%s %llu", len ? ", " : "",
			 name + 5, (unsigned long long)v);
	}
}

/* What srtpfwd counted as a whole: the peers' kernels add their own
 * chatter (IPv6 router solicitations, MLD reports), dropped and named.
 * And its mbuf pool, with the traffic over: net_af_packet holds no mbuf
 * in its rings, so every one must be free again (a moment allowed for the
 * last frames in flight). @return 1 if some are not. */
static unsigned int
print_global_counters(void)
{
	struct global_counters g;
	uint64_t end = lab_now_ms() + 1000;

	for (;;) {
		memset(&g, 0, sizeof(g));
		if (srtpfwd_ctl_stats(CTL, 0, global_counter, &g) != 0)
			fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
		if (g.mbufs_free == g.mbufs || lab_now_ms() > end)
			break;
		usleep(20000);
	}
	printf("\nsrtpfwd counters: rx %llu, tx %llu, SRTP/SRTCP decrypted %llu, encrypted %llu, "
	       "dropped %llu%s%s%s\n",
	       (unsigned long long)g.rx, (unsigned long long)g.tx,
	       (unsigned long long)g.unprotected, (unsigned long long)g.protected_,
	       (unsigned long long)g.dropped, g.dropped ? " (" : "", g.reasons,
	       g.dropped ? ")" : "");
	printf("srtpfwd mbuf pool: %llu of %llu free with the traffic over  %s\n",
	       (unsigned long long)g.mbufs_free, (unsigned long long)g.mbufs,
	       g.mbufs != 0 && g.mbufs_free == g.mbufs ? "ok" : "FAIL");
	return !(g.mbufs != 0 && g.mbufs_free == g.mbufs);
}

/* srtpfwd's output must hold none of the keys it was given. */
static unsigned int
keys_in_output(size_t *bytes)
{
	static char text[8 << 20];
	FILE *f = fopen(LAB.log, "r");
	size_t n = f == NULL ? 0 : fread(text, 1, sizeof(text) - 1, f);
	unsigned int found = 0;

	if (f != NULL)
		fclose(f);
	text[n] = '\0';
	*bytes = n;
	for (unsigned int k = 0; k < N_KEYS; k++)
		found += key_scan(text, n, KEYS[k].key, KEYS[k].key_len, KEYS[k].salt,
				  KEYS[k].salt_len);
	return found;
}

static void
count_sessions(void *ctx, const char *name, uint64_t v)
{
	if (strcmp(name, "sessions") == 0)
		*(uint64_t *)ctx = v;
}

/* --hostile-frames: each reason counted exactly what was sent for it
 * (and what the peers' kernels sent that srtpfwd drops there, if any). */
static unsigned int
frames_results(void)
{
	unsigned int failed = 0;

	printf("frames:");
	for (unsigned int k = 0; k < BF_KINDS; k++) {
		uint64_t counted = RAW.after.bad[k] - RAW.before.bad[k];
		int ok = counted == RAW.bad_sent[k] + RAW.kernel_dropped[k] && RAW.bad_sent[k] > 0;

		printf(" %s sent %llu counted %llu", BAD_FRAME_REASON[k],
		       (unsigned long long)RAW.bad_sent[k], (unsigned long long)counted);
		if (RAW.kernel_dropped[k])
			printf(" (%llu from a peer's kernel)",
			       (unsigned long long)RAW.kernel_dropped[k]);
		printf("%s;", ok ? "" : " FAIL");
		failed += !ok;
	}
	printf(" (eth_short, ipv4_fragment: not deliverable over net_af_packet, see "
	       "bench/hostile_frames.c)\n");
	return failed;
}

/* --neigh-flood: every frame punted lands in one neigh. counter, or in
 * drop.punt_full when the ring to the control thread was full; every reply
 * srtpfwd counted reaches its sender, right in every field. The peers'
 * kernels' own frames, if any, are counted in as srtpfwd counts them. */
static unsigned int
flood_results(void)
{
	const struct raw_counters *b = &RAW.before, *a = &RAW.after;
	uint64_t arp = a->arp_replied - b->arp_replied, nd = a->nd_replied - b->nd_replied;
	uint64_t ign = a->ignored - b->ignored, mal = a->malformed - b->malformed;
	uint64_t echo = a->echo_replied - b->echo_replied, full = a->punt_full - b->punt_full;
	uint64_t inj = a->inject_full - b->inject_full, sent = 0, total;
	const uint64_t *f = RAW.flood_sent, *c = RAW.caught;
	uint64_t want_arp = f[NF_ARP_US] + c[CAUGHT_KERNEL_ARP_US];
	uint64_t want_nd = f[NF_NS_US] + c[CAUGHT_KERNEL_NS_US];
	uint64_t want_ign =
		f[NF_ARP_OTHER] + f[NF_GARP] + f[NF_NS_OTHER] + c[CAUGHT_KERNEL_IGNORED];
	uint64_t kernel =
		c[CAUGHT_KERNEL_ARP_US] + c[CAUGHT_KERNEL_NS_US] + c[CAUGHT_KERNEL_IGNORED];
	int ok, exact, back;

	for (unsigned int k = 0; k < NF_KINDS; k++)
		sent += f[k];
	/* each counter exactly when the ring never overflowed, the sum always */
	exact = full == 0 ? arp == want_arp && nd == want_nd && ign == want_ign &&
				    mal == f[NF_MALFORMED] && echo == 0
			  : arp <= want_arp && nd <= want_nd && ign <= want_ign &&
				    mal <= f[NF_MALFORMED];
	/* replies: all of them, unless a ring or the monitor lost some */
	back = c[CAUGHT_BAD_REPLY] == 0 &&
	       (inj == 0 && RAW.mon_lost == 0
			? c[CAUGHT_ARP_REPLY] == arp - c[CAUGHT_KERNEL_ARP_US] &&
				  c[CAUGHT_NA] == nd - c[CAUGHT_KERNEL_NS_US]
			: c[CAUGHT_ARP_REPLY] <= arp && c[CAUGHT_NA] <= nd);
	/* a full ring may also have dropped kernel frames srtpfwd counts nowhere */
	total = arp + nd + ign + mal + echo + full;
	ok = exact && back && sent > 0 &&
	     (full == 0 ? total == sent + kernel
			: total >= sent + kernel &&
				  total <= sent + kernel + c[CAUGHT_KERNEL_UNCOUNTED]);
	printf("neigh: sent %llu (", (unsigned long long)sent);
	for (unsigned int k = 0; k < NF_KINDS; k++)
		printf("%s%s %llu", k ? ", " : "", NEIGH_FRAME_NAME[k], (unsigned long long)f[k]);
	printf("); counted arp_replied %llu, nd_replied %llu, ignored %llu, malformed %llu, "
	       "punt_full %llu; replies back %llu ARP + %llu NA%s, inject_full %llu; peer "
	       "kernels' frames counted %llu  %s\n",
	       (unsigned long long)arp, (unsigned long long)nd, (unsigned long long)ign,
	       (unsigned long long)mal, (unsigned long long)full,
	       (unsigned long long)c[CAUGHT_ARP_REPLY], (unsigned long long)c[CAUGHT_NA],
	       c[CAUGHT_BAD_REPLY] ? " (and some WRONG)" : "", (unsigned long long)inj,
	       (unsigned long long)kernel, ok ? "ok" : "FAIL");
	return !ok;
}

/* The soak options' results. @return the number of checks that failed. */
static unsigned int
load_results(unsigned long rss_start, unsigned long rss_end, uint64_t *sessions)
{
	const struct churn_counts *n = CHURN.n;
	unsigned int failed = 0;

	if (srtpfwd_ctl_stats(CTL, 0, count_sessions, sessions) != 0)
		fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
	if (CHURN.rate) {
		double s = (double)(n->t_last - n->t_first) / 1000;
		/* created and not deleted: only what the killed controllers left */
		int ok = n->created == n->deleted + n->pending_killed && n->refused == 0 &&
			 *sessions == N_CALLS;

		printf("churn: %llu sessions created and %llu deleted in %.1f s (%.0f/s each, "
		       "slowest tick %llu ms), %llu refused; sessions left %llu (the %u calls)  "
		       "%s\n",
		       (unsigned long long)n->created, (unsigned long long)n->deleted, s,
		       s > 0 ? (double)n->created / s : 0.0, (unsigned long long)n->slowest_ms,
		       (unsigned long long)n->refused, (unsigned long long)*sessions, N_CALLS,
		       ok ? "ok" : "FAIL");
		failed += !ok;
	}
	if (HOSTILE.rate) {
		hostile_counters(HOSTILE.after);
		printf("hostile:");
		for (unsigned int k = 0; k < H_KINDS; k++) {
			uint64_t counted = HOSTILE.after[k] - HOSTILE.before[k];
			int ok = counted == HOSTILE.sent[k] && HOSTILE.sent[k] > 0;

			printf(" %s sent %llu counted %llu%s%s", HOSTILE_REASON[k],
			       (unsigned long long)HOSTILE.sent[k], (unsigned long long)counted,
			       ok ? "" : " FAIL", k + 1 < H_KINDS ? ";" : "\n");
			failed += !ok;
		}
	}
	if (RAW.tx >= 0)
		raw_snapshot(&RAW.after, 1);
	if (RAW.frames_rate)
		failed += frames_results();
	if (RAW.flood_rate)
		failed += flood_results();
	if (KILL.every) {
		int ok = KILL.kills > 0 && KILL.changed == 0 && KILL.bad_orphans == 0 &&
			 KILL.expired == KILL.orphans && *sessions == N_CALLS;

		printf("controller: %u churn controllers SIGKILLed mid-stream (%llu requests in "
		       "flight and half a message, in all), %u reconnects of the main connection "
		       "(a GET, a STATS and half an UPDATE unanswered each time), %u GETs of the "
		       "calls' sessions after them, %u changed; %llu sessions orphaned, %llu "
		       "expired (timeout %u ms), sessions left %llu (the %u calls)  %s\n",
		       KILL.kills, (unsigned long long)KILL.in_flight, KILL.reconnects,
		       KILL.checked, KILL.changed, (unsigned long long)KILL.orphans,
		       (unsigned long long)KILL.expired, CHURN.timeout_ms,
		       (unsigned long long)*sessions, N_CALLS, ok ? "ok" : "FAIL");
		failed += !ok;
	}
	if (rss_start != 0 && rss_end != 0)
		printf("srtpfwd memory: %lu kB resident after 1 s, %lu kB at the end (%+ld kB)\n",
		       rss_start, rss_end, (long)rss_end - (long)rss_start);
	return failed;
}

/* ---- main ---- */

/* Ctrl-C or SIGTERM: say so, then the lab's own handler cleans up. */
static void
on_interrupt(int sig)
{
	static const char msg[] = "\ndemo: FAIL interrupted\n";

	if (write(1, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do about it */
	}
	lab_down();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--srtpfwd PATH] [--duration SECONDS] [--per-shape N]\n"
		"          [--skip-if-unable] [--print-config]\n"
		"          [--churn N] [--rekey-every S] [--hostile N]\n"
		"          [--hostile-frames N] [--neigh-flood N] [--kill-controller S]\n"
		"  --srtpfwd PATH     the srtpfwd binary (default: ../control/srtpfwd beside this "
		"one)\n"
		"  --duration S       seconds of media (1..86400, default 20)\n"
		"  --per-shape N      calls of each shape (1..100, default 1)\n"
		"  --skip-if-unable   exit 77 when namespaces cannot be made (test suites)\n"
		"  --print-config     print the built-in srtpfwd configuration and exit\n"
		"load and faults (the soak form; every check above still applies):\n"
		"  --churn N          create and delete N sessions a second beside the calls\n"
		"  --rekey-every S    re-key every SRTP leg of every call every S seconds\n"
		"  --hostile N        N hostile datagrams a second from peer A, each counted\n"
		"                     under its own drop reason (forged SRTP, replay, no\n"
		"                     session, not media)\n"
		"  --hostile-frames N N malformed Ethernet frames a second from peer A, each\n"
		"                     counted under its own parse drop reason\n"
		"  --neigh-flood N    N ARP and neighbour solicitations a second from peer A,\n"
		"                     from as many senders, each counted; replies checked\n"
		"  --kill-controller S  every S seconds SIGKILL the churn controller (a child)\n"
		"                     mid-stream and reconnect the main connection; the\n"
		"                     killed controllers' sessions must expire (timeout S s,\n"
		"                     2 to 5; churn %u/s unless --churn says)\n",
		prog, KILL_CHURN_DEFAULT);
}

static void
default_exe(const char *argv0, char *out, size_t len)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	(void)argv0;
	if (n <= 0) {
		snprintf(out, len, "srtpfwd");
		return;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(out, len, "%s/../control/srtpfwd", self);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"srtpfwd", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"per-shape", required_argument, NULL, 'n'},
		{"skip-if-unable", no_argument, NULL, 'k'},
		{"print-config", no_argument, NULL, 'p'},
		{"churn", required_argument, NULL, 'c'},
		{"rekey-every", required_argument, NULL, 'r'},
		{"hostile", required_argument, NULL, 'x'},
		{"hostile-frames", required_argument, NULL, 'f'},
		{"neigh-flood", required_argument, NULL, 'a'},
		{"kill-controller", required_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char exe[600];
	unsigned int duration = 20, per_shape = 1, ticks, rekey_tick, overlap_ticks;
	unsigned int rekey_every = 0, churn_per_tick = 0, hostile_per_tick = 0;
	unsigned int frames_per_tick = 0, flood_per_tick = 0, kill_ticks = 0;
	unsigned long rss_start = 0, rss_end;
	uint64_t sessions_end = 0;
	int skip = 0, print_config = 0, o, st;
	uint64_t t0, relayed = 0;
	const char *note = "";
	size_t out_bytes;
	unsigned int failed, leaks;

	default_exe(argv[0], exe, sizeof(exe));
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (o) {
		case 's': snprintf(exe, sizeof(exe), "%s", optarg); break;
		case 'd':
		case 'n':
		case 'c':
		case 'r':
		case 'x':
		case 'f':
		case 'a':
		case 'K': {
			static const char *const name[] = {
				"duration", "per-shape",      "churn",	     "rekey-every",
				"hostile",  "hostile-frames", "neigh-flood", "kill-controller"};
			static const unsigned long lo[] = {1, 1, 1, 2, 1, 1, 1, 1};
			static const unsigned long hi[] = {86400,  100,	   50000,  3600,
							   100000, 100000, 100000, 3600};
			unsigned int w = (unsigned int)(strchr("dncrxfaK", o) - "dncrxfaK");

			v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v < lo[w] || v > hi[w]) {
				fprintf(stderr, "%s: --%s %s: out of range (%lu..%lu)\n", argv[0],
					name[w], optarg, lo[w], hi[w]);
				return 2;
			}
			if (o == 'd')
				duration = (unsigned int)v;
			else if (o == 'n')
				per_shape = (unsigned int)v;
			else if (o == 'c')
				CHURN.rate = (unsigned int)v;
			else if (o == 'r')
				rekey_every = (unsigned int)v;
			else if (o == 'x')
				HOSTILE.rate = (unsigned int)v;
			else if (o == 'f')
				RAW.frames_rate = (unsigned int)v;
			else if (o == 'a')
				RAW.flood_rate = (unsigned int)v;
			else
				KILL.every = (unsigned int)v;
			break;
		}
		case 'k': skip = 1; break;
		case 'p': print_config = 1; break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (optind != argc) {
		usage(argv[0]);
		return 2;
	}
	TTY = isatty(1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (print_config) {
		snprintf(LAB.ns[LAB_D], sizeof(LAB.ns[0]), "sfdD<pid>");
		snprintf(LAB.ns[LAB_A], sizeof(LAB.ns[0]), "sfdA<pid>");
		snprintf(LAB.ns[LAB_B], sizeof(LAB.ns[0]), "sfdB<pid>");
		snprintf(LAB.file_prefix, sizeof(LAB.file_prefix), "srtpfwd_sfd<pid>");
		snprintf(LAB.dev[0], sizeof(LAB.dev[0]), "sfda");
		snprintf(LAB.dev[1], sizeof(LAB.dev[1]), "sfdb");
		snprintf(LAB.sock, sizeof(LAB.sock), "/tmp/srtpfwd_sfd<pid>.XXXXXX/ctl.sock");
		config_write(stdout);
		return 0;
	}
	if (access(exe, X_OK) != 0) {
		printf("demo: FAIL no srtpfwd binary at %s (--srtpfwd PATH)\n", exe);
		return 1;
	}
	ticks = duration * 1000 / PTIME_MS;
	MAX_PKTS = ticks;
	MAX_RTCP = ticks / RTCP_EVERY + 1;
	rekey_tick = ticks / 2;
	overlap_ticks = OVERLAP_MS / PTIME_MS;
	hostile_per_tick = (HOSTILE.rate * PTIME_MS + 999) / 1000;
	frames_per_tick = (RAW.frames_rate * PTIME_MS + 999) / 1000;
	flood_per_tick = (RAW.flood_rate * PTIME_MS + 999) / 1000;
	kill_ticks = KILL.every * (1000 / PTIME_MS);
	if (KILL.every) {
		/* the churn runs in the controllers that get killed */
		if (CHURN.rate == 0)
			CHURN.rate = KILL_CHURN_DEFAULT;
		CHURN.timeout_ms = KILL.every * 1000 < ORPHAN_TIMEOUT_MIN_MS ? ORPHAN_TIMEOUT_MIN_MS
				   : KILL.every * 1000 > ORPHAN_TIMEOUT_MAX_MS
					   ? ORPHAN_TIMEOUT_MAX_MS
					   : KILL.every * 1000;
		CHURN.n = mmap(NULL, sizeof(*CHURN.n), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (CHURN.n == MAP_FAILED) {
			printf("demo: FAIL mmap: %s\n", strerror(errno));
			return 1;
		}
	}
	churn_per_tick = (CHURN.rate * PTIME_MS + 999) / 1000;
	if (churn_per_tick > CHURN_MAX_TICK)
		churn_per_tick = CHURN_MAX_TICK;

	printf("== srtpfwd call demo: %zu call shapes x %u, %u s of media each way\n", N_SHAPES,
	       per_shape, duration);
	o = lab_up("sfd", 1);
	if (o != 0) {
		if (o == 77 && skip) {
			printf("demo: SKIP cannot create network namespaces (needs root and "
			       "iproute2)\n");
			return 77;
		}
		printf("demo: FAIL cannot create network namespaces (needs root and iproute2)\n");
		return 1;
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	printf("lab: namespaces %s (srtpfwd), %s (peers A: 10.201.0.2, fd01::2), %s (peers B: "
	       "10.202.0.2, fd02::2)\n",
	       LAB.ns[LAB_D], LAB.ns[LAB_A], LAB.ns[LAB_B]);
	start_srtpfwd(exe);
	printf("srtpfwd: running (pid %d) on net_af_packet %s and %s, --no-huge; control %s\n",
	       (int)LAB.daemon, LAB.dev[0], LAB.dev[1], LAB.sock);

	/* the controller sets up the calls */
	printf("\n%-4s %-8s %-40s %-6s %-31s %s\n", "call", "shape", "what", "codec",
	       "leg A (peer A <-> srtpfwd)", "leg B (srtpfwd <-> peer B)");
	for (unsigned int k = 0; k < N_SHAPES * per_shape; k++) {
		const struct call_shape *sh = &SHAPES[k % N_SHAPES];
		struct call *c = &CALLS[N_CALLS++];
		char legs[2][48];

		call_create(c, sh, k);
		for (unsigned int l = 0; l < 2; l++)
			snprintf(legs[l], sizeof(legs[l]), "%s v%c :%u %s%s",
				 suite_short(sh->leg[l].suite), sh->leg[l].ip6 ? '6' : '4',
				 c->local_port[l], sh->leg[l].mux ? "mux" : "rtcp+1",
				 sh->leg[l].latch ? " latch" : "");
		printf("%-4u %-8s %-40s %-6s %-31s %s\n", k + 1, sh->name, sh->what, sh->codec,
		       legs[0], legs[1]);
	}
	poll_setup();
	printf("\n");
	if (RAW.frames_rate || RAW.flood_rate)
		raw_setup();
	if (KILL.every) {
		struct named_counter c[] = {{"expired", 0}, {NULL, 0}};

		read_named(c);
		KILL.expired0 = c[0].v;
		churn_child_start(churn_per_tick);
	} else if (CHURN.rate) {
		churn_open();
	}
	if (HOSTILE.rate)
		hostile_counters(HOSTILE.before);
	if (RAW.tx >= 0) {
		monitors_read(); /* what came before does not count */
		raw_snapshot(&RAW.before, 0);
	}
	if (CHURN.rate || HOSTILE.rate || rekey_every || RAW.tx >= 0)
		printf("load: churn %u sessions/s created and deleted%s, re-key every %u s, "
		       "hostile "
		       "%u datagrams/s, %u malformed frames/s, %u ARP/NS frames/s\n",
		       churn_per_tick * (1000 / PTIME_MS),
		       KILL.every ? " (by controllers killed and replaced)" : "", rekey_every,
		       hostile_per_tick * (1000 / PTIME_MS), frames_per_tick * (1000 / PTIME_MS),
		       flood_per_tick * (1000 / PTIME_MS));
	if (KILL.every)
		printf("faults: every %u s the churn controller SIGKILLed and the main control "
		       "connection closed and reconnected\n",
		       KILL.every);

	/* media: every stream one packet a ptime; latching legs' peers speak
	 * first (a NATed phone's first packet opens the way back) */
	t0 = lab_now_ms();
	for (unsigned int t = 0; t < ticks + 1; t++) {
		for (unsigned int k = 0; k < N_CALLS; k++)
			for (unsigned int s = 0; s < 2; s++) {
				struct call *c = &CALLS[k];
				struct stream *str = &c->st[s];
				int waits = c->shape->leg[1 - s].latch;

				if (t == ticks && !waits)
					continue;
				if (t == 0 && waits)
					continue;
				stream_send(c, str, 0);
				if (str->sent % RTCP_EVERY == 1)
					stream_send(c, str, 1);
			}
		if (t == 0)
			wait_latched();
		if (rekey_every == 0 && (t == rekey_tick || t == rekey_tick + overlap_ticks)) {
			for (unsigned int k = 0; k < N_CALLS; k++)
				if (CALLS[k].shape->rekey) {
					if (t == rekey_tick)
						call_rekey(&CALLS[k]);
					else
						call_end_overlap(&CALLS[k]);
				}
			note = t == rekey_tick ? "re-keying" : "re-keyed";
		}
		if (rekey_every != 0 && t > 0 && t < ticks - overlap_ticks) {
			unsigned int period = rekey_every * (1000 / PTIME_MS);

			for (unsigned int k = 0; k < N_CALLS; k++) {
				if (t % period == 0)
					call_rekey(&CALLS[k]);
				else if (t % period == overlap_ticks && t > period)
					call_end_overlap(&CALLS[k]);
			}
		}
		if (CHURN.rate && !KILL.every && t < ticks)
			churn_tick(churn_per_tick);
		if (KILL.every && t > 0 && t < ticks && t % kill_ticks == 0)
			controller_kill(churn_per_tick);
		if (HOSTILE.rate && t > 0 && t < ticks)
			hostile_send(hostile_per_tick);
		if (RAW.frames_rate && t > 0 && t < ticks)
			frames_send(frames_per_tick);
		if (RAW.flood_rate && t > 0 && t < ticks)
			flood_send(flood_per_tick);
		if (RAW.tx >= 0)
			monitors_read();
		if (t == 1000 / PTIME_MS)
			rss_start = srtpfwd_rss_kb();
		if (t % (TTY ? 5 : 250) == 0 && t > 0)
			progress((double)(lab_now_ms() - t0) / 1000, duration, note);
		if (!lab_daemon_running(&st))
			fail_exit("srtpfwd exited during the calls (status 0x%x)", st);
		peers_receive_until(t0 + (uint64_t)(t + 1) * PTIME_MS);
	}
	peers_receive_until(lab_now_ms() + DRAIN_MS);
	progress((double)(lab_now_ms() - t0) / 1000, duration, "done");
	if (TTY)
		printf("\n");

	rss_end = srtpfwd_rss_kb();
	if (KILL.every) {
		churn_child_stop(); /* it deletes what it created */
		orphans_wait();
	} else if (CHURN.rate) {
		churn_tick(0); /* delete what the last tick created */
		srtpfwd_ctl_close(CHURN.c);
	}
	read_session_counters();
	failed = results_table(&relayed);
	failed += print_global_counters();
	failed += load_results(rss_start, rss_end, &sessions_end);
	for (unsigned int k = 0; k < N_CALLS; k++)
		if (srtpfwd_ctl_delete(CTL, CALLS[k].slot) != 0)
			fail_exit("call %u: DELETE: %s", k + 1, srtpfwd_ctl_error(CTL));
	srtpfwd_ctl_close(CTL);
	CTL = NULL;
	st = lab_daemon_stop(10000);
	leaks = keys_in_output(&out_bytes);
	printf("srtpfwd: stopped, exit status %d; %zu bytes of its output hold none of the %u "
	       "keys it was given%s\n",
	       st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, out_bytes, N_KEYS,
	       leaks ? ": NOT SO" : "");
	for (unsigned int k = 0; k < N_CALLS; k++)
		for (unsigned int s = 0; s < 2; s++) {
			struct stream *str = &CALLS[k].st[s];

			if (str->tx != NULL)
				srtp_dealloc(str->tx);
			for (unsigned int r = 0; r < 2; r++)
				if (str->rx[r] != NULL)
					srtp_dealloc(str->rx[r]);
			free(str->seen);
			free(str->rtcp_seen);
		}
	memset(KEYS, 0, sizeof(KEYS));
	for (unsigned int k = 0; k < N_CALLS; k++) {
		memset(CALLS[k].in, 0, sizeof(CALLS[k].in));
		memset(CALLS[k].out, 0, sizeof(CALLS[k].out));
	}
	lab_down();

	if (failed)
		fail_exit("%u checks failed: streams incomplete or not verified, or the load and "
			  "fault checks (above)",
			  failed);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_exit("srtpfwd did not exit cleanly on SIGTERM");
	if (leaks)
		fail_exit("srtpfwd printed a key (%u forms found)", leaks);
	printf("demo: PASS %u calls, %llu packets relayed, all payloads verified\n", N_CALLS,
	       (unsigned long long)relayed);
	return 0;
}
