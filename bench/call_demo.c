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
 *
 * Usage: call_demo [--srtpfwd PATH] [--duration S] [--per-shape N]
 *                  [--skip-if-unable] [--print-config]
 *                  [--churn N] [--rekey-every S] [--hostile N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void fail_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
fail_exit(const char *fmt, ...)
{
	va_list ap;

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
static struct {
	struct srtpfwd_ctl *c;
	unsigned int rate; /* creates (and deletes) a second; 0: off */
	uint32_t pending[CHURN_MAX_TICK]; /* created, to delete next tick */
	unsigned int n_pending;
	uint32_t next_id;
	uint64_t created, deleted, refused;
	uint64_t t_first, t_last; /* ms */
} CHURN;

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

/* One tick: @p creates CREATEs (0 at the end: only the DELETEs). */
static void
churn_tick(unsigned int creates)
{
	static uint8_t buf[PROTO_MSG_MAX];
	unsigned int deletes = CHURN.n_pending, want = creates + deletes;
	struct srtpfwd_ctl_session s;
	struct proto_hdr h;

	memset(&s, 0, sizeof(s));
	for (unsigned int l = 0; l < 2; l++) {
		s.leg[l].local_addr = (uint8_t)(2 * l);
		memcpy(s.leg[l].remote_addr, LAB_PEER4[l], 4);
		s.leg[l].remote_port = 9; /* discard: nothing is sent to it */
	}
	if (CHURN.t_first == 0)
		CHURN.t_first = lab_now_ms();
	for (unsigned int k = 0; k < creates; k++) {
		s.id = 0x10000000u + CHURN.next_id;
		churn_send(buf, srtpfwd_ctl_build_create(buf, sizeof(buf), CHURN.next_id++, &s));
	}
	for (unsigned int k = 0; k < deletes; k++)
		churn_send(buf, srtpfwd_ctl_build_delete(buf, sizeof(buf), 0x80000000u + k,
							 CHURN.pending[k]));
	CHURN.n_pending = 0;
	for (unsigned int k = 0; k < want; k++) {
		long n = srtpfwd_ctl_recv(CHURN.c, buf, sizeof(buf), &h, 5000);

		if (n <= 0)
			fail_exit("churn: no response within 5 s (%u of %u)", k, want);
		if (h.type == PROTO_MSG_SESSION_DELETE) {
			if (h.status != PROTO_ST_OK)
				fail_exit("churn: DELETE refused (%s)",
					  proto_status_name(h.status));
			CHURN.deleted++;
		} else if (h.status == PROTO_ST_OK) {
			CHURN.pending[CHURN.n_pending++] = srtpfwd_ctl_response_slot(buf, &h);
			CHURN.created++;
		} else {
			CHURN.refused++;
		}
	}
	if (creates > 0)
		CHURN.t_last = lab_now_ms();
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
	uint64_t rx, tx, unprotected, protected_, dropped;
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
	else if (strncmp(name, "drop.", 5) == 0 && v != 0) {
		g->dropped += v;
		snprintf(g->reasons + len, sizeof(g->reasons) - len, "%s%s %llu", len ? ", " : "",
			 name + 5, (unsigned long long)v);
	}
}

/* What srtpfwd counted as a whole: the peers' kernels add their own
 * chatter (IPv6 router solicitations, MLD reports), dropped and named. */
static void
print_global_counters(void)
{
	struct global_counters g;

	memset(&g, 0, sizeof(g));
	if (srtpfwd_ctl_stats(CTL, 0, global_counter, &g) != 0)
		fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
	printf("\nsrtpfwd counters: rx %llu, tx %llu, SRTP/SRTCP decrypted %llu, encrypted %llu, "
	       "dropped %llu%s%s%s\n",
	       (unsigned long long)g.rx, (unsigned long long)g.tx,
	       (unsigned long long)g.unprotected, (unsigned long long)g.protected_,
	       (unsigned long long)g.dropped, g.dropped ? " (" : "", g.reasons,
	       g.dropped ? ")" : "");
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

/* The soak options' results. @return the number of checks that failed. */
static unsigned int
load_results(unsigned long rss_start, unsigned long rss_end, uint64_t *sessions)
{
	unsigned int failed = 0;

	if (srtpfwd_ctl_stats(CTL, 0, count_sessions, sessions) != 0)
		fail_exit("STATS: %s", srtpfwd_ctl_error(CTL));
	if (CHURN.rate) {
		double s = (double)(CHURN.t_last - CHURN.t_first) / 1000;
		int ok = CHURN.created == CHURN.deleted && CHURN.refused == 0 &&
			 *sessions == N_CALLS;

		printf("churn: %llu sessions created and %llu deleted in %.1f s (%.0f/s each), "
		       "%llu refused; sessions left %llu (the %u calls)  %s\n",
		       (unsigned long long)CHURN.created, (unsigned long long)CHURN.deleted, s,
		       s > 0 ? (double)CHURN.created / s : 0.0, (unsigned long long)CHURN.refused,
		       (unsigned long long)*sessions, N_CALLS, ok ? "ok" : "FAIL");
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
		"                     session, not media)\n",
		prog);
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char exe[600];
	unsigned int duration = 20, per_shape = 1, ticks, rekey_tick, overlap_ticks;
	unsigned int rekey_every = 0, churn_per_tick = 0, hostile_per_tick = 0;
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
		case 'x': {
			static const char *const name[] = {"duration", "per-shape", "churn",
							   "rekey-every", "hostile"};
			static const unsigned long lo[] = {1, 1, 1, 2, 1};
			static const unsigned long hi[] = {86400, 100, 50000, 3600, 100000};
			unsigned int w = (unsigned int)(strchr("dncrx", o) - "dncrx");

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
			else
				HOSTILE.rate = (unsigned int)v;
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
	churn_per_tick = (CHURN.rate * PTIME_MS + 999) / 1000;
	if (churn_per_tick > CHURN_MAX_TICK)
		churn_per_tick = CHURN_MAX_TICK;
	hostile_per_tick = (HOSTILE.rate * PTIME_MS + 999) / 1000;

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
	if (CHURN.rate)
		churn_open();
	if (HOSTILE.rate)
		hostile_counters(HOSTILE.before);
	if (CHURN.rate || HOSTILE.rate || rekey_every)
		printf("load: churn %u sessions/s created and deleted, re-key every %u s, hostile "
		       "%u datagrams/s\n",
		       churn_per_tick * (1000 / PTIME_MS), rekey_every,
		       hostile_per_tick * (1000 / PTIME_MS));

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
		if (CHURN.rate && t < ticks)
			churn_tick(churn_per_tick);
		if (HOSTILE.rate && t > 0 && t < ticks)
			hostile_send(hostile_per_tick);
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
	if (CHURN.rate) {
		churn_tick(0); /* delete what the last tick created */
		srtpfwd_ctl_close(CHURN.c);
	}
	read_session_counters();
	failed = results_table(&relayed);
	print_global_counters();
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
		fail_exit("%u checks failed: streams incomplete or not verified, churn or hostile "
			  "counts (above)",
			  failed);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_exit("srtpfwd did not exit cleanly on SIGTERM");
	if (leaks)
		fail_exit("srtpfwd printed a key (%u forms found)", leaks);
	printf("demo: PASS %u calls, %llu packets relayed, all payloads verified\n", N_CALLS,
	       (unsigned long long)relayed);
	return 0;
}
