/* test_ctl_e2e.c: the srtpfwd binary driven end to end through its control
 * protocol (libsrtpfwd-ctl) while real media flows between network
 * namespaces.
 *
 *   ns A (leg 0's peer)          ns D: srtpfwd, a child process           ns B (leg 1's peer)
 *   10.201.0.2  sfeap ==veth== sfea: net_af_packet0, 10.201.0.1
 *                              sfeb: net_af_packet1, 10.202.0.1 ==veth== sfebp  10.202.0.2
 *
 * The lab (namespaces, veths, the daemon's start, stop and output, and
 * their cleanup) is tests/netns_lab.c, tag "sfe", IPv4 only; the key
 * scanner is tests/key_scan.h.
 *
 * srtpfwd is started as an operator would start it (argv[1] is its path):
 * EAL arguments, --port, --addr, --ctl-unix on a path in a temporary
 * directory, --ctl-max-clients; it runs in namespace D, where its veth ends
 * are, so the test's kernel never sees them and af_packet's fanout group
 * numbers cannot collide with another run's. This process is the
 * controller and both peers: every session change and every counter read
 * goes over the control socket (a unix socket is a file: namespaces are no
 * obstacle), nothing reaches into the daemon otherwise. The peers are
 * kernel UDP sockets opened inside A and B (setns); SRTP peers use
 * libsrtp2. While a case controls, a traffic thread sends paced RTP both
 * ways and checks every datagram that arrives: source address and port,
 * bytes (after unprotect), which key decrypted it, which socket it reached.
 *
 * Cases: a call and its counters; a leg's remote moved, and the session
 * deleted, under traffic; a re-key of both directions under traffic with
 * nothing lost or rejected; 1000 hostile control clients while a call
 * runs; the controller SIGKILLed mid-call; a connect to a stopped srtpfwd
 * whose listen backlog is full gives up after its timeout. At the end
 * srtpfwd must exit 0 on SIGTERM, and nothing it printed may contain a key
 * or salt that was installed, in hex or base64.
 *
 * Needs root and iproute2; without them exits 77 (skipped). Namespaces are
 * named after the pid (sfeD<pid>, sfeA<pid>, sfeB<pid>) and removed, and
 * the daemon and any child controller killed, at exit and on a fatal
 * signal (a watchdog SIGALRM says so first); a run killed outright leaves
 * its namespaces, EAL runtime directory and temporary directory to the
 * next run, and takes srtpfwd and its children with it (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ctl_counters.h"
#include "../key_scan.h"
#include "../netns_lab.h"
#include "../ref.h"
#include "../test.h"
#include "control/srtpfwd_ctl.h"

#define WAIT_MS 2000 /* for one datagram, or one state to be reached */
#define QUIET_MS 300 /* watched to say that nothing more arrives */
#define PACE_MS 5 /* traffic thread: one packet per flow this often */
#define FLOW_MAX 4096 /* packets per flow and run: 20 s at PACE_MS */
#define SEQ0 1000 /* first RTP sequence number: no wrap within FLOW_MAX */
#define PAYLOAD 160
#define RTP_LEN (12 + PAYLOAD)
#define TAG80 10
#define SUITE_ID_AES_CM_80 1 /* PROTO SUITE AES_CM_128_HMAC_SHA1_80 */
#define MAX_CLIENTS 32 /* --ctl-max-clients */
#define N_HOSTILE 1000
#define WAVE 100 /* hostile connections opened before any is closed */
#define WATCHDOG_S 150 /* under meson's 180 s: fail with a message, not a kill */

static const char *EXE; /* the srtpfwd binary */
static struct srtpfwd_ctl *CTL; /* the controller's main connection */

static void
sleep_ms(unsigned int ms)
{
	usleep(ms * 1000u);
}

/* A forked process of ours (a controller) dies with this one; the lab is
 * not its to clean up (lab_down() does nothing outside the lab's owner). */
static void
child_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* ---- the daemon ---- */

static int
daemon_start(void)
{
	char prefix[64], max_clients[16], port[2][48], addr[2][32], *argv[40];
	const char *a[] = {EXE, "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m",
			   "512", "-l", "0,1", prefix,
			   /* everything srtpfwd logs, so the key check sees it all */
			   "--log-level=srtpfwd*:debug", "--", "--port", port[0], "--port", port[1],
			   "--addr", addr[0], "--addr", addr[1], "--ports", "20000-29999",
			   "--sessions", "64", "--stats", "1", "--ctl-unix", LAB.sock,
			   "--ctl-max-clients", max_clients, NULL};
	unsigned int n = 0;

	snprintf(max_clients, sizeof(max_clients), "%d", MAX_CLIENTS);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", LAB.file_prefix);
	for (unsigned int p = 0; p < 2; p++) {
		const uint8_t *l = LAB_LOCAL4[p];

		snprintf(port[p], sizeof(port[p]), "net_af_packet%u,iface=%s", p, LAB.dev[p]);
		snprintf(addr[p], sizeof(addr[p]), "%u:%u.%u.%u.%u/24", p, l[0], l[1], l[2], l[3]);
	}
	for (; a[n] != NULL; n++)
		argv[n] = (char *)(uintptr_t)a[n];
	argv[n] = NULL;
	return lab_daemon_start(argv);
}

static struct srtpfwd_ctl *
ctl_open(int quiet)
{
	char err[256];
	struct srtpfwd_ctl *c = srtpfwd_ctl_connect(LAB.sock, NULL, 5000, err, sizeof(err));

	if (c == NULL && !quiet)
		fprintf(stderr, "connect %s: %s\n", LAB.sock, err);
	return c;
}

/* srtpfwd is ready once its control socket answers HELLO. */
static int
daemon_wait_ready(void)
{
	uint64_t end = lab_now_ms() + 30000;

	while (lab_now_ms() < end) {
		int st = 0;

		if (!lab_daemon_running(&st)) {
			fprintf(stderr, "srtpfwd exited (status 0x%x) before it was ready\n", st);
			return -1;
		}
		if (access(LAB.sock, F_OK) == 0 && (CTL = ctl_open(1)) != NULL)
			return 0;
		sleep_ms(50);
	}
	fprintf(stderr, "srtpfwd not ready after 30 s\n");
	return -1;
}

/* ---- keys ---- */

#define KEYS_MAX 32
static struct srtpfwd_ctl_key KEYS[KEYS_MAX]; /* every key handed to srtpfwd */
static unsigned int N_KEYS;

/* A fresh random AES_CM_128_HMAC_SHA1_80 key, remembered for the check
 * that srtpfwd never prints one. */
static struct srtpfwd_ctl_key
new_key(void)
{
	struct srtpfwd_ctl_key k;

	memset(&k, 0, sizeof(k));
	k.suite = SUITE_ID_AES_CM_80;
	k.key_len = 16;
	k.salt_len = 14;
	if (getrandom(k.key, 16, 0) != 16 || getrandom(k.salt, 14, 0) != 14)
		abort();
	if (N_KEYS < KEYS_MAX)
		KEYS[N_KEYS++] = k;
	return k;
}

/* libsrtp2 playing a peer: protect with what srtpfwd unprotects (KEY_IN),
 * unprotect what it protects (KEY_OUT). */
static srtp_t
ref_of(const struct srtpfwd_ctl_key *k, int inbound)
{
	return ref_create(SUITE_AES_CM_128_HMAC_SHA1_80, k->key, k->salt, inbound, NULL, 0);
}

/* ---- control helpers ---- */

static void
leg_v4(struct srtpfwd_ctl_leg *l, uint8_t local_addr, const uint8_t *peer, uint16_t port,
       uint32_t flags)
{
	memset(l, 0, sizeof(*l));
	l->local_addr = local_addr;
	memcpy(l->remote_addr, peer, 4);
	l->remote_port = port;
	l->flags = flags;
}

/* STATS (slot 0: global) into @p cs. @return the library's result. */
static int
stats(struct srtpfwd_ctl *c, uint32_t slot, struct counters *cs)
{
	int r;

	cs->n = 0;
	r = srtpfwd_ctl_stats(c, slot, counters_add, cs);
	if (r != 0)
		fprintf(stderr, "  STATS %u: %d %s\n", slot, r, srtpfwd_ctl_error(c));
	return r;
}

/* ---- peers ---- */

static int
peer_socket(unsigned int ns, const uint8_t *addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, big = 1 << 20;

	lab_enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		abort();
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	memcpy(&sa.sin_addr, addr, 4);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("bind");
		abort();
	}
	lab_leave();
	return fd;
}

/* RTP packet @p i of a stream: the payload depends on the SSRC and the
 * sequence number, so a packet of another flow or position never passes. */
static unsigned int
rtp_packet(uint8_t *p, uint32_t ssrc, unsigned int i)
{
	uint16_t seq = (uint16_t)(SEQ0 + i);
	uint32_t ts = i * PAYLOAD;

	p[0] = 0x80;
	p[1] = 111;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24), p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8), p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	for (unsigned int k = 0; k < PAYLOAD; k++)
		p[12 + k] = (uint8_t)(seq * 7 + k * 13 + ssrc);
	return RTP_LEN;
}

/* ---- flows: one direction of a call, sent and checked ---- */

enum { TX_OLD, TX_MIXED, TX_NEW }; /* key 0, alternate (odd: key 1), key 1 */

struct flow {
	const char *name;
	int tx_fd[2]; /* the peer's socket, and the one it moves to */
	int tx_sel; /* which (atomic: the controller switches it) */
	uint8_t to[4]; /* srtpfwd's address and port */
	uint16_t to_port;
	int rx_fd[2]; /* the other peer's sockets; -1: none */
	uint8_t from[4]; /* where each datagram must come from */
	uint16_t from_port;
	srtp_t tx_ctx[2]; /* the sender's libsrtp2 per key; NULL: plain RTP */
	int tx_mode; /* TX_* (atomic) */
	srtp_t rx_ctx[2]; /* the receiver's; NULL: plain */
	int rx_pref; /* the context tried first (atomic) */
	uint32_t ssrc;
	unsigned int sent; /* packets 0..sent-1 have gone (atomic) */
	unsigned int got; /* arrived intact (atomic) */
	unsigned int bad, dup, told;
	int wire_len; /* the last datagram's length as it arrived */
	uint8_t at[FLOW_MAX]; /* 0: not arrived; else 1 + the rx_fd it reached */
	uint8_t tx_key[FLOW_MAX]; /* the key each packet was sent under */
	uint8_t rx_key[FLOW_MAX]; /* the context that decrypted it */
};

static struct flow AB, BA;

static void
flow_init(struct flow *f, const char *name, uint32_t ssrc, int tx_fd, const uint8_t *to,
	  uint16_t to_port, int rx_fd, const uint8_t *from, uint16_t from_port)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->ssrc = ssrc;
	f->tx_fd[0] = f->tx_fd[1] = tx_fd;
	memcpy(f->to, to, 4);
	f->to_port = to_port;
	f->rx_fd[0] = rx_fd;
	f->rx_fd[1] = -1;
	memcpy(f->from, from, 4);
	f->from_port = from_port;
}

static void
flow_free(struct flow *f)
{
	for (unsigned int k = 0; k < 2; k++) {
		if (f->tx_ctx[k] != NULL)
			srtp_dealloc(f->tx_ctx[k]);
		if (f->rx_ctx[k] != NULL)
			srtp_dealloc(f->rx_ctx[k]);
		f->tx_ctx[k] = f->rx_ctx[k] = NULL;
	}
}

static unsigned int
ld(const unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static int
ldi(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Send the flow's next packet, under the key its mode says. */
static void
flow_send(struct flow *f)
{
	unsigned int i = f->sent, key;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(f->to_port)};
	uint8_t pkt[256];
	int len, mode = ldi(&f->tx_mode);

	if (i >= FLOW_MAX)
		return;
	len = (int)rtp_packet(pkt, f->ssrc, i);
	key = mode == TX_NEW || (mode == TX_MIXED && (i & 1));
	if (f->tx_ctx[key] != NULL && ref_protect(f->tx_ctx[key], 0, 0, pkt, &len) != 0) {
		fprintf(stderr, "  %s: libsrtp2 protect failed\n", f->name);
		return;
	}
	memcpy(&sa.sin_addr, f->to, 4);
	if (sendto(f->tx_fd[ldi(&f->tx_sel)], pkt, (size_t)len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != len) {
		fprintf(stderr, "  %s: sendto: %s\n", f->name, strerror(errno));
		return;
	}
	f->tx_key[i] = (uint8_t)key;
	__atomic_store_n(&f->sent, i + 1, __ATOMIC_RELEASE);
}

static void
flow_bad(struct flow *f, const char *why, int len)
{
	f->bad++;
	if (f->told++ < 5)
		fprintf(stderr, "  %s: %s (%d bytes)\n", f->name, why, len);
}

/* One datagram that reached the flow's rx_fd[@p j]. */
static void
flow_rx(struct flow *f, unsigned int j, const uint8_t *buf, int len, const struct sockaddr_in *src)
{
	uint8_t plain[2048], exp[256];
	int n = len, pref = ldi(&f->rx_pref), key = 0;
	unsigned int i;

	f->wire_len = len;
	if (memcmp(&src->sin_addr, f->from, 4) != 0 || ntohs(src->sin_port) != f->from_port) {
		flow_bad(f, "wrong source", len);
		return;
	}
	if (len < 12 || len > (int)sizeof(plain)) {
		flow_bad(f, "wrong length", len);
		return;
	}
	memcpy(plain, buf, (size_t)len);
	if (f->rx_ctx[0] != NULL) {
		/* The preferred context, then the other: how a peer that was
		 * told of a new key takes what is still in flight. */
		key = -1;
		for (int t = 0; t < 2 && key < 0; t++) {
			int k = t == 0 ? pref : 1 - pref;

			if (f->rx_ctx[k] == NULL)
				continue;
			n = len;
			memcpy(plain, buf, (size_t)len);
			if (ref_unprotect(f->rx_ctx[k], 0, 0, plain, &n) == srtp_err_status_ok)
				key = k;
		}
		if (key < 0) {
			flow_bad(f, "libsrtp2 refused it", len);
			return;
		}
	}
	i = (uint16_t)(((unsigned int)plain[2] << 8 | plain[3]) - SEQ0);
	if (i >= f->sent || (unsigned int)n != rtp_packet(exp, f->ssrc, i) ||
	    memcmp(plain, exp, RTP_LEN) != 0) {
		flow_bad(f, "not a packet sent", n);
		return;
	}
	if (f->at[i] != 0) {
		f->dup++;
		return;
	}
	f->rx_key[i] = (uint8_t)key;
	__atomic_store_n(&f->at[i], (uint8_t)(1 + j), __ATOMIC_RELEASE);
	__atomic_store_n(&f->got, f->got + 1, __ATOMIC_RELEASE);
}

/* Wait up to @p ms for datagrams on the flows' sockets, then take all
 * that are there. */
static void
flows_poll(struct flow *const *fs, unsigned int nf, int ms)
{
	struct pollfd p[8];
	struct flow *owner[8];
	unsigned int which[8], n = 0;

	for (unsigned int k = 0; k < nf; k++)
		for (unsigned int j = 0; j < 2; j++)
			if (fs[k]->rx_fd[j] >= 0 && n < 8) {
				p[n] = (struct pollfd){.fd = fs[k]->rx_fd[j], .events = POLLIN};
				owner[n] = fs[k];
				which[n++] = j;
			}
	if (poll(p, n, ms) <= 0)
		return;
	for (unsigned int k = 0; k < n; k++)
		for (unsigned int m = 0; m < 256 && (p[k].revents & POLLIN); m++) {
			uint8_t buf[2048];
			struct sockaddr_in src;
			socklen_t sl = sizeof(src);
			ssize_t r = recvfrom(p[k].fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&src, &sl);

			if (r < 0)
				break;
			flow_rx(owner[k], which[k], buf, (int)r, &src);
		}
}

/* Send one packet and wait for it (no traffic thread). @return 1 if it
 * arrived within WAIT_MS. */
static int
flow_step(struct flow *f)
{
	unsigned int i = f->sent;
	uint64_t end = lab_now_ms() + WAIT_MS;

	flow_send(f);
	if (f->sent != i + 1)
		return 0;
	while (!f->at[i] && lab_now_ms() < end)
		flows_poll(&f, 1, 10);
	return f->at[i] != 0;
}

/* @return 1 once packets 0..@p upto-1 have all arrived, 0 after WAIT_MS. */
static int
flow_wait_upto(const struct flow *f, unsigned int upto)
{
	uint64_t end = lab_now_ms() + WAIT_MS;
	unsigned int i = 0;

	while (lab_now_ms() < end) {
		while (i < upto && i < FLOW_MAX && __atomic_load_n(&f->at[i], __ATOMIC_ACQUIRE))
			i++;
		if (i >= upto)
			return 1;
		sleep_ms(5);
	}
	return 0;
}

/* ---- the traffic thread: paced flows, checked as they arrive ---- */

static struct {
	struct flow *f[2];
	unsigned int n;
	int sending, running;
	int idle; /* the thread saw sending cleared: no send is under way */
	pthread_t th;
} TR;

static void *
traffic_main(void *arg)
{
	uint64_t next = lab_now_ms();

	(void)arg;
	while (ldi(&TR.running)) {
		uint64_t t = lab_now_ms();
		int wait = PACE_MS;

		if (ldi(&TR.sending)) {
			if (t >= next) {
				for (unsigned int k = 0; k < TR.n; k++)
					flow_send(TR.f[k]);
				next = t + PACE_MS; /* no catching up in bursts */
			}
			wait = (int)(next > lab_now_ms() ? next - lab_now_ms() : 0);
		} else {
			__atomic_store_n(&TR.idle, 1, __ATOMIC_RELEASE);
		}
		flows_poll(TR.f, TR.n, wait);
	}
	return NULL;
}

static void
traffic_start(struct flow *a, struct flow *b)
{
	TR.f[0] = a;
	TR.f[1] = b;
	TR.n = 2;
	TR.sending = TR.running = 1;
	TR.idle = 0;
	if (pthread_create(&TR.th, NULL, traffic_main, NULL) != 0)
		abort();
}

/* Stop sending; wait until everything sent arrived (@p all) or for
 * QUIET_MS (the rest is expected to be dropped), then stop the thread. */
static void
traffic_stop(int all)
{
	uint64_t end = lab_now_ms() + (all ? WAIT_MS : QUIET_MS);

	__atomic_store_n(&TR.sending, 0, __ATOMIC_RELEASE);
	while (!ldi(&TR.idle) && lab_now_ms() < end) /* a packet may be on its way */
		sleep_ms(1);
	while (lab_now_ms() < end) {
		unsigned int k = 0;

		while (all && k < TR.n && ld(&TR.f[k]->got) + TR.f[k]->bad >= ld(&TR.f[k]->sent))
			k++;
		if (all && k == TR.n)
			break;
		sleep_ms(5);
	}
	__atomic_store_n(&TR.running, 0, __ATOMIC_RELEASE);
	pthread_join(TR.th, NULL);
}

/* A call's two flows: A sends SRTP under leg 0's KEY_IN to srtpfwd's
 * leg-0 port and B receives plain RTP from leg 1's port; B sends plain RTP
 * to leg 1's port and A unprotects with leg 0's KEY_OUT. */
static void
call_flows(int fa, int fb, const uint16_t ports[2], const struct srtpfwd_ctl_key *in,
	   const struct srtpfwd_ctl_key *out)
{
	flow_init(&AB, "A->B", 0xa0a0a0a0, fa, LAB_LOCAL4[0], ports[0], fb, LAB_LOCAL4[1],
		  ports[1]);
	flow_init(&BA, "B->A", 0xb0b0b0b0, fb, LAB_LOCAL4[1], ports[1], fa, LAB_LOCAL4[0],
		  ports[0]);
	AB.tx_ctx[0] = ref_of(in, 0);
	BA.rx_ctx[0] = ref_of(out, 1);
}

/* Every packet sent arrived, once, as sent. */
static void
check_all_arrived(const struct flow *f)
{
	CHECK_EQ(f->got, f->sent);
	CHECK_EQ(f->bad, 0);
	CHECK_EQ(f->dup, 0);
}

static int
create_call(struct srtpfwd_ctl *c, uint64_t id, uint16_t pa, uint16_t pb,
	    const struct srtpfwd_ctl_key *in, const struct srtpfwd_ctl_key *out, uint32_t *slot,
	    uint16_t ports[2])
{
	struct srtpfwd_ctl_session s;
	int r;

	memset(&s, 0, sizeof(s));
	s.id = id;
	leg_v4(&s.leg[0], 0, LAB_PEER4[0], pa, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	s.leg[0].in = *in;
	s.leg[0].out = *out;
	leg_v4(&s.leg[1], 1, LAB_PEER4[1], pb, PROTO_LEG_RTCP_MUX);
	r = srtpfwd_ctl_create(c, &s, slot, ports);
	if (r != 0)
		fprintf(stderr, "  CREATE: %d %s\n", r, srtpfwd_ctl_error(c));
	return r;
}

/* ---- cases ---- */

/* SRTP (AES_CM_128_HMAC_SHA1_80) on leg 0, plain RTP on leg 1, created
 * over the control socket; both ways, every payload compared; GET shows
 * the legs as created and counters that match what was sent. */
TEST(call_srtp_rtp)
{
	int fa = peer_socket(LAB_A, LAB_PEER4[0], 4000),
	    fb = peer_socket(LAB_B, LAB_PEER4[1], 5000);
	struct srtpfwd_ctl_key in = new_key(), out = new_key();
	struct srtpfwd_ctl_info info;
	struct counters g0, g1, cs;
	uint16_t ports[2] = {0, 0};
	uint32_t slot = 0;
	unsigned int ok_ab = 0, ok_ba = 0;

	REQUIRE(stats(CTL, 0, &g0) == 0);
	REQUIRE(create_call(CTL, 1001, 4000, 5000, &in, &out, &slot, ports) == 0);
	CHECK(slot != 0);
	CHECK(ports[0] >= 20000 && ports[0] <= 29999 && ports[0] % 2 == 0);
	CHECK(ports[1] >= 20000 && ports[1] <= 29999 && ports[1] % 2 == 0);
	call_flows(fa, fb, ports, &in, &out);
	for (unsigned int k = 0; k < 50; k++)
		ok_ab += (unsigned int)flow_step(&AB);
	CHECK_EQ(AB.wire_len, RTP_LEN); /* B got plain RTP */
	for (unsigned int k = 0; k < 50; k++)
		ok_ba += (unsigned int)flow_step(&BA);
	CHECK_EQ(BA.wire_len, RTP_LEN + TAG80); /* A got SRTP */
	CHECK_EQ(ok_ab, 50);
	CHECK_EQ(ok_ba, 50);
	check_all_arrived(&AB);
	check_all_arrived(&BA);

	memset(&info, 0, sizeof(info));
	cs.n = 0;
	REQUIRE(srtpfwd_ctl_get(CTL, slot, &info, counters_add, &cs) == 0);
	CHECK_EQ(info.slot, slot);
	CHECK_EQ(info.id, 1001);
	CHECK_EQ(info.timeout_ms, 0);
	CHECK_EQ(info.leg[0].local_addr, 0);
	CHECK_EQ(info.leg[0].local_port, ports[0]);
	CHECK_MEM(info.leg[0].remote_addr, LAB_PEER4[0], 4);
	CHECK_EQ(info.leg[0].remote_port, 4000);
	CHECK_EQ(info.leg[0].flags, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	CHECK_EQ(info.leg[0].suite_in, SUITE_ID_AES_CM_80);
	CHECK_EQ(info.leg[0].suite_out, SUITE_ID_AES_CM_80);
	CHECK_EQ(info.leg[1].local_addr, 1);
	CHECK_EQ(info.leg[1].local_port, ports[1]);
	CHECK_MEM(info.leg[1].remote_addr, LAB_PEER4[1], 4);
	CHECK_EQ(info.leg[1].remote_port, 5000);
	CHECK_EQ(info.leg[1].flags, PROTO_LEG_RTCP_MUX);
	CHECK_EQ(info.leg[1].suite_in + info.leg[1].suite_out, 0);
	/* as received: leg 0 SRTP with its tag, leg 1 plain */
	CHECK_EQ(ctr(&cs, "leg0.rtp.packets"), 50);
	CHECK_EQ(ctr(&cs, "leg0.rtp.bytes"), 50 * (RTP_LEN + TAG80));
	CHECK_EQ(ctr(&cs, "leg0.rtp.dropped"), 0);
	CHECK_EQ(ctr(&cs, "leg0.rtcp.packets"), 0);
	CHECK_EQ(ctr(&cs, "leg1.rtp.packets"), 50);
	CHECK_EQ(ctr(&cs, "leg1.rtp.bytes"), 50 * RTP_LEN);
	CHECK_EQ(ctr(&cs, "leg1.rtp.dropped"), 0);
	CHECK_EQ(ctr(&cs, "leg1.rtcp.packets"), 0);
	/* SRTP: plain sizes, nothing refused */
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.packets"), 50);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.bytes"), 50 * RTP_LEN);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.auth_fail"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.replay"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.dropped"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_out.packets"), 50);
	CHECK_EQ(ctr(&cs, "leg0.srtp_out.bytes"), 50 * RTP_LEN);
	{
		uint64_t v;

		CHECK(!counter_find(&cs, "leg1.srtp_in.packets", &v)); /* a plain leg */
	}
	REQUIRE(stats(CTL, 0, &g1) == 0);
	CHECK_EQ(ctr(&g1, "sessions"), 1);
	CHECK_EQ(ctr(&g1, "srtp_unprotected") - ctr(&g0, "srtp_unprotected"), 50);
	CHECK_EQ(ctr(&g1, "srtp_protected") - ctr(&g0, "srtp_protected"), 50);
	CHECK_EQ(ctr(&g1, "drop.srtp_auth") - ctr(&g0, "drop.srtp_auth"), 0);

	CHECK_EQ(srtpfwd_ctl_delete(CTL, slot), 0);
	CHECK_EQ(srtpfwd_ctl_get(CTL, slot, &info, NULL, NULL), PROTO_ST_NO_SESSION);
	CHECK_EQ(srtpfwd_ctl_delete(CTL, slot), PROTO_ST_NO_SESSION);
	flow_free(&AB);
	flow_free(&BA);
	close(fa);
	close(fb);
}

/* Where the first datagram not arrived is; every later one must be
 * missing too (a delete loses the tail of a flow, never a middle). */
static unsigned int
first_missing(const struct flow *f)
{
	unsigned int m = 0;

	while (m < f->sent && f->at[m])
		m++;
	for (unsigned int i = m; i < f->sent; i++)
		if (f->at[i]) {
			fprintf(stderr, "  %s: packet %u missing but %u arrived\n", f->name, m, i);
			CHECK(0);
			break;
		}
	return m;
}

/* Under traffic both ways: UPDATE moves leg 1's remote to another port
 * (the peer moved: it sends from the new socket too) and what A sends after
 * the response reaches the new socket only; then DELETE, after which
 * nothing arrives and every packet that did not arrive is a no_session
 * drop. */
TEST(update_and_delete_under_traffic)
{
	int fa = peer_socket(LAB_A, LAB_PEER4[0], 4010),
	    fb = peer_socket(LAB_B, LAB_PEER4[1], 5010);
	int fb2 = peer_socket(LAB_B, LAB_PEER4[1], 5012);
	struct srtpfwd_ctl_key in = new_key(), out = new_key();
	struct srtpfwd_ctl_update u;
	struct srtpfwd_ctl_info info;
	struct counters s0, s1;
	uint16_t ports[2] = {0, 0};
	uint32_t slot = 0;
	unsigned int moved, del_ab, del_ba, old_sock = 0, new_sock = 0, late = 0;

	REQUIRE(create_call(CTL, 1002, 4010, 5010, &in, &out, &slot, ports) == 0);
	call_flows(fa, fb, ports, &in, &out);
	AB.rx_fd[1] = fb2;
	BA.tx_fd[1] = fb2;
	traffic_start(&AB, &BA);
	sleep_ms(300);

	memset(&u, 0, sizeof(u));
	u.has_remote = 1;
	memcpy(u.remote_addr, LAB_PEER4[1], 4);
	u.remote_port = 5012;
	CHECK_EQ(srtpfwd_ctl_update(CTL, slot, 1, &u), 0);
	/* packets after this one were sent after the response */
	moved = ld(&AB.sent);
	__atomic_store_n(&BA.tx_sel, 1, __ATOMIC_RELEASE);
	sleep_ms(300);
	CHECK(flow_wait_upto(&AB, ld(&AB.sent)));
	CHECK(flow_wait_upto(&BA, ld(&BA.sent)));
	CHECK_EQ(srtpfwd_ctl_get(CTL, slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.leg[1].remote_port, 5012);
	CHECK_EQ(info.leg[0].remote_port, 4010);

	CHECK_EQ(stats(CTL, 0, &s0), 0);
	CHECK_EQ(srtpfwd_ctl_delete(CTL, slot), 0);
	del_ab = ld(&AB.sent);
	del_ba = ld(&BA.sent);
	sleep_ms(200);
	traffic_stop(0);
	REQUIRE(stats(CTL, 0, &s1) == 0);

	CHECK_EQ(AB.bad + BA.bad + AB.dup + BA.dup, 0);
	for (unsigned int i = 0; i < AB.sent; i++) {
		old_sock += AB.at[i] == 1;
		new_sock += AB.at[i] == 2;
		if (AB.at[i] == 1 && i > moved && late++ < 3)
			fprintf(stderr, "  A->B %u sent after the update reached the old socket\n",
				i);
	}
	CHECK(old_sock > 0);
	CHECK(new_sock > 0);
	CHECK_EQ(late, 0);
	/* the tail lost at the delete began after the update and no later
	 * than the first packet sent after the delete response */
	{
		unsigned int m_ab = first_missing(&AB), m_ba = first_missing(&BA);

		CHECK(m_ab > moved + 1);
		CHECK(m_ab <= del_ab + 1);
		CHECK(m_ba <= del_ba + 1);
		CHECK(AB.sent > del_ab + 10); /* traffic did go on after the delete */
		CHECK(BA.sent > del_ba + 10);
		printf("  update: A->B moved after packet %u; delete: lost from %u (sent %u) and "
		       "%u (sent %u)\n",
		       moved, m_ab, AB.sent, m_ba, BA.sent);
	}
	CHECK_EQ(ctr(&s1, "drop.no_session") - ctr(&s0, "drop.no_session"),
		 (AB.sent - AB.got) + (BA.sent - BA.got));
	CHECK_EQ(ctr(&s1, "sessions"), 0);
	CHECK_EQ(srtpfwd_ctl_get(CTL, slot, &info, NULL, NULL), PROTO_ST_NO_SESSION);
	flow_free(&AB);
	flow_free(&BA);
	close(fa);
	close(fb);
	close(fb2);
}

/* Re-key under traffic, nothing lost or rejected. A sends continuously;
 * the controller installs a new KEY_IN on leg 0 (the old one still
 * accepted), A then sends under both keys alternately (as if its packets
 * were in flight under both), then under the new one only; once all the
 * old-key packets are in, UPDATE end_overlap. Then a new KEY_OUT, and A's
 * receiving libsrtp2 prefers the new key once the response is in: what B
 * sent after that must come under the new key. Then an old-key packet is
 * refused (auth_fail 1): end_overlap did end the overlap. */
TEST(rekey_under_traffic)
{
	int fa = peer_socket(LAB_A, LAB_PEER4[0], 4020),
	    fb = peer_socket(LAB_B, LAB_PEER4[1], 5020);
	struct srtpfwd_ctl_key in0 = new_key(), out0 = new_key(), in1 = new_key(), out1 = new_key();
	struct srtpfwd_ctl_update u;
	struct srtpfwd_ctl_info info;
	struct counters cs;
	uint16_t ports[2] = {0, 0};
	uint32_t slot = 0;
	unsigned int mixed_from, new_from, out_from, n_old = 0, n_new = 0, n_mixed_old = 0;
	unsigned int rx_old = 0, rx_new = 0, late_old = 0;

	REQUIRE(create_call(CTL, 1003, 4020, 5020, &in0, &out0, &slot, ports) == 0);
	call_flows(fa, fb, ports, &in0, &out0);
	AB.tx_ctx[1] = ref_of(&in1, 0);
	BA.rx_ctx[1] = ref_of(&out1, 1);
	traffic_start(&AB, &BA);
	sleep_ms(200);

	memset(&u, 0, sizeof(u));
	u.in = in1;
	CHECK_EQ(srtpfwd_ctl_update(CTL, slot, 0, &u), 0);
	mixed_from = ld(&AB.sent) + 1;
	__atomic_store_n(&AB.tx_mode, TX_MIXED, __ATOMIC_RELEASE);
	sleep_ms(200);
	__atomic_store_n(&AB.tx_mode, TX_NEW, __ATOMIC_RELEASE);
	new_from = ld(&AB.sent) + 1;
	CHECK(flow_wait_upto(&AB, new_from)); /* every old-key packet is in */
	memset(&u, 0, sizeof(u));
	u.end_overlap = 1;
	CHECK_EQ(srtpfwd_ctl_update(CTL, slot, 0, &u), 0);
	sleep_ms(100);

	memset(&u, 0, sizeof(u));
	u.out = out1;
	CHECK_EQ(srtpfwd_ctl_update(CTL, slot, 0, &u), 0);
	out_from = ld(&BA.sent) + 1;
	__atomic_store_n(&BA.rx_pref, 1, __ATOMIC_RELEASE);
	sleep_ms(300);
	traffic_stop(1);

	check_all_arrived(&AB);
	check_all_arrived(&BA);
	for (unsigned int i = 0; i < AB.sent; i++) {
		n_old += AB.tx_key[i] == 0;
		n_new += AB.tx_key[i] == 1;
		n_mixed_old += AB.tx_key[i] == 0 && i >= mixed_from;
	}
	CHECK(n_mixed_old > 5); /* old-key packets after the new key was installed */
	CHECK(n_new > 20);
	for (unsigned int i = 0; i < BA.sent; i++) {
		rx_old += BA.at[i] && BA.rx_key[i] == 0;
		rx_new += BA.at[i] && BA.rx_key[i] == 1;
		late_old += i >= out_from && BA.rx_key[i] == 0;
	}
	CHECK(rx_old > 20);
	CHECK(rx_new > 20);
	CHECK_EQ(late_old, 0); /* sent after the response: the new key */
	printf("  A->B %u packets: %u under the old key (%u of them in the overlap), %u under "
	       "the new; B->A %u: %u old, %u new\n",
	       AB.sent, n_old, n_mixed_old, n_new, BA.sent, rx_old, rx_new);

	REQUIRE(stats(CTL, slot, &cs) == 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.packets"), AB.sent);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.auth_fail"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.replay"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.dropped"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_out.packets"), BA.sent);
	CHECK_EQ(ctr(&cs, "leg0.srtp_out.dropped"), 0);
	CHECK_EQ(ctr(&cs, "leg0.rtp.packets"), AB.sent);
	CHECK_EQ(ctr(&cs, "leg0.rtp.dropped"), 0);
	CHECK_EQ(ctr(&cs, "leg1.rtp.packets"), BA.sent);

	/* the overlap is over: an old-key packet is refused, a new one is not */
	{
		unsigned int i = AB.sent;
		uint64_t end = lab_now_ms() + QUIET_MS;

		AB.tx_mode = TX_OLD;
		flow_send(&AB);
		while (lab_now_ms() < end)
			flows_poll((struct flow *const[]){&AB}, 1, 10);
		CHECK_EQ(AB.sent, i + 1);
		CHECK_EQ(AB.at[i], 0);
		AB.tx_mode = TX_NEW;
		CHECK_EQ(flow_step(&AB), 1);
		REQUIRE(stats(CTL, slot, &cs) == 0);
		CHECK_EQ(ctr(&cs, "leg0.srtp_in.auth_fail"), 1);
		CHECK_EQ(ctr(&cs, "leg0.srtp_in.packets"), i + 1);
	}
	CHECK_EQ(srtpfwd_ctl_get(CTL, slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.leg[0].suite_in, SUITE_ID_AES_CM_80);
	CHECK_EQ(info.leg[0].suite_out, SUITE_ID_AES_CM_80);
	CHECK_EQ(srtpfwd_ctl_delete(CTL, slot), 0);
	flow_free(&AB);
	flow_free(&BA);
	close(fa);
	close(fb);
}

/* ---- hostile clients ---- */

enum { H_SILENT, H_PARTIAL, H_GARBAGE, H_OVERSIZE, H_KINDS };

struct hostile_result {
	unsigned int made; /* connect() succeeded */
	unsigned int attempts;
	unsigned int again; /* the listen backlog was full: not made */
	unsigned int answered; /* garbage or oversize: a BAD_MESSAGE reply came */
	unsigned int unanswered; /* ...: closed without a word (refused) */
	unsigned int odd; /* ...: anything else */
	unsigned int waves;
};

/* The hostile client process: N_HOSTILE connections in waves of WAVE,
 * each of one kind in turn: says nothing, sends half a message, sends
 * garbage, sends a header declaring a message far over the limit. The
 * last of each wave is a talker (garbage or oversize): once each talker
 * has its answer or its close, srtpfwd has taken every connection of the
 * wave (accept order is connect order) while the silent and partial ones
 * were still open. Then the wave is closed. No allocation: forked from a
 * process with threads. */
static void
hostile(int out_fd)
{
	static int fds[WAVE];
	static uint8_t kind[WAVE];
	struct hostile_result r;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t end = lab_now_ms() + 30000;

	memset(&r, 0, sizeof(r));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", LAB.sock);
	while (r.made < N_HOSTILE && lab_now_ms() < end) {
		unsigned int n = 0;
		uint64_t wave_end;

		while (n < WAVE && r.made < N_HOSTILE && lab_now_ms() < end) {
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			uint8_t m[64];

			r.attempts++;
			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
				r.again += fd >= 0 && errno == EAGAIN;
				if (fd >= 0)
					close(fd);
				usleep(500);
				continue;
			}
			r.made++;
			kind[n] = (uint8_t)(n % H_KINDS);
			memset(m, 0, sizeof(m));
			switch (kind[n]) {
			case H_PARTIAL: /* a HELLO header declaring 100 bytes; 24 come */
				m[0] = PROTO_VERSION, m[1] = PROTO_MSG_HELLO, m[7] = 100;
				send(fd, m, 24, MSG_NOSIGNAL | MSG_DONTWAIT);
				break;
			case H_GARBAGE:
				for (unsigned int k = 0; k < sizeof(m); k++)
					m[k] = (uint8_t)(0xff - k * 29);
				send(fd, m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
				break;
			case H_OVERSIZE: /* STATS of 1 MiB */
				m[0] = PROTO_VERSION, m[1] = PROTO_MSG_STATS, m[5] = 0x10;
				send(fd, m, PROTO_HDR_LEN, MSG_NOSIGNAL | MSG_DONTWAIT);
				break;
			default: break;
			}
			fds[n++] = fd;
		}
		/* each talker's fate: a reply then the close, or just the close */
		wave_end = lab_now_ms() + WAIT_MS;
		for (unsigned int k = 0; k < n; k++) {
			uint8_t b[512];
			size_t got = 0;

			if (kind[k] != H_GARBAGE && kind[k] != H_OVERSIZE)
				continue;
			for (;;) {
				struct pollfd p = {.fd = fds[k], .events = POLLIN};
				int64_t left = (int64_t)wave_end - (int64_t)lab_now_ms();
				ssize_t x;

				if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
					r.odd++; /* no close in time */
					break;
				}
				x = recv(fds[k], b + got, sizeof(b) - got, MSG_DONTWAIT);
				if (x > 0 && got + (size_t)x < sizeof(b)) {
					got += (size_t)x;
					continue;
				}
				if (x < 0 && errno == EAGAIN)
					continue;
				/* closed (0) or reset: classify */
				if (got == 0)
					r.unanswered++;
				else if (got >= PROTO_HDR_LEN && b[0] == PROTO_VERSION &&
					 (b[3] & PROTO_F_RESPONSE) &&
					 proto_rd16(b + 12) == PROTO_ST_BAD_MESSAGE &&
					 proto_rd32(b + 4) == got)
					r.answered++;
				else
					r.odd++;
				break;
			}
		}
		usleep(150 * 1000); /* the silent and partial ones hold their slots */
		for (unsigned int k = 0; k < n; k++)
			close(fds[k]);
		r.waves++;
	}
	if (write(out_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	_exit(0);
}

/* 1000 hostile connections while a call runs: the call loses nothing, the
 * controller's connection is answered throughout, fresh controller
 * connections get in (retrying while the table is full), and the ctl.*
 * counters account for every connection and request exactly. */
TEST(hostile_clients)
{
	int fa = peer_socket(LAB_A, LAB_PEER4[0], 4030),
	    fb = peer_socket(LAB_B, LAB_PEER4[1], 5030);
	struct srtpfwd_ctl_key in = new_key(), out = new_key();
	struct hostile_result hr;
	struct counters s0, s1;
	uint16_t ports[2] = {0, 0};
	uint32_t slot = 0;
	unsigned int requests = 0, gets = 0, get_fail = 0, rounds = 0, rounds_ok = 0;
	unsigned int fresh = 0, fresh_ok = 0, clients = 0;
	int pfd[2], go[2], st = 0;
	pid_t pid;
	uint64_t end, next_fresh;
	char c = 'g';

	REQUIRE(create_call(CTL, 1004, 4030, 5030, &in, &out, &slot, ports) == 0);
	call_flows(fa, fb, ports, &in, &out);
	REQUIRE(pipe(pfd) == 0 && pipe(go) == 0);
	pid = fork(); /* before the traffic thread: the child starts single-threaded */
	REQUIRE(pid >= 0);
	if (pid == 0) {
		child_init();
		close(pfd[0]);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		hostile(pfd[1]);
	}
	LAB.child = pid;
	close(pfd[1]);
	close(go[0]);
	traffic_start(&AB, &BA);
	sleep_ms(100);
	CHECK_EQ(stats(CTL, 0, &s0), 0);
	requests = 1; /* that STATS: counted once answered */
	CHECK_EQ(write(go[1], &c, 1), 1);
	close(go[1]);

	end = lab_now_ms() + 40000;
	next_fresh = lab_now_ms();
	while (lab_now_ms() < end && waitpid(pid, &st, WNOHANG) == 0) {
		struct srtpfwd_ctl_info info;
		int r = srtpfwd_ctl_get(CTL, slot, &info, NULL, NULL);

		if (r < 0) { /* the controller's connection is never lost */
			CHECK(0);
			break;
		}
		gets++;
		requests++;
		get_fail += r != 0 || info.id != 1004;
		if (lab_now_ms() >= next_fresh) {
			/* a new controller: refused while the table is full */
			rounds++;
			for (unsigned int k = 0; k < 200; k++) {
				struct srtpfwd_ctl *x = ctl_open(1);
				uint32_t slots[64], n = 0, next = 1;

				fresh++;
				if (x == NULL) {
					sleep_ms(10);
					continue;
				}
				fresh_ok++;
				requests += 2; /* HELLO, LIST */
				CHECK_EQ(srtpfwd_ctl_list(x, 0, 64, slots, &n, &next), 0);
				CHECK(n == 1 && slots[0] == slot && next == 0);
				srtpfwd_ctl_close(x);
				rounds_ok++;
				break;
			}
			next_fresh = lab_now_ms() + 100;
		}
		sleep_ms(20);
	}
	if (LAB.child != 0 && waitpid(pid, &st, WNOHANG) == 0) {
		fprintf(stderr, "  hostile client still running after 40 s: killed\n");
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	LAB.child = 0;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	memset(&hr, 0, sizeof(hr));
	CHECK_EQ(read(pfd[0], &hr, sizeof(hr)), (long)sizeof(hr));
	close(pfd[0]);
	/* srtpfwd sees every hostile close: only the controller stays */
	for (uint64_t t = lab_now_ms() + WAIT_MS; lab_now_ms() < t;) {
		if (stats(CTL, 0, &s1) != 0)
			break;
		requests++;
		if ((clients = (unsigned int)ctr(&s1, "ctl.clients")) == 1)
			break;
		sleep_ms(20);
	}
	CHECK_EQ(clients, 1);
	traffic_stop(1);
	REQUIRE(stats(CTL, 0, &s1) == 0);

	printf("  hostile: %u connections in %u waves (%u attempts, %u backlog full), %u "
	       "talkers answered, %u refused; controller: %u GETs, %u of %u fresh connections "
	       "in (%u rounds); ctl: accepted %" PRIu64 " refused_full %" PRIu64
	       " bad_messages %" PRIu64 "; call: %u + %u packets\n",
	       hr.made, hr.waves, hr.attempts, hr.again, hr.answered, hr.unanswered, gets, fresh_ok,
	       fresh, rounds, ctr(&s1, "ctl.accepted") - ctr(&s0, "ctl.accepted"),
	       ctr(&s1, "ctl.refused_full") - ctr(&s0, "ctl.refused_full"),
	       ctr(&s1, "ctl.bad_messages") - ctr(&s0, "ctl.bad_messages"), AB.sent, BA.sent);
	CHECK_EQ(hr.made, N_HOSTILE);
	CHECK_EQ(hr.odd, 0);
	CHECK_EQ(hr.answered + hr.unanswered, N_HOSTILE / H_KINDS * 2);
	CHECK_EQ(get_fail, 0);
	CHECK(rounds > 0);
	CHECK_EQ(rounds_ok, rounds);
	/* every connection made was accepted or refused for the limit */
	CHECK_EQ((ctr(&s1, "ctl.accepted") - ctr(&s0, "ctl.accepted")) +
			 (ctr(&s1, "ctl.refused_full") - ctr(&s0, "ctl.refused_full")),
		 hr.made + fresh);
	/* each wave's silent and partial ones were all open at once: at most
	 * MAX_CLIENTS - 1 of them fit beside the controller */
	CHECK(ctr(&s1, "ctl.refused_full") - ctr(&s0, "ctl.refused_full") >=
	      (uint64_t)hr.waves * (WAVE / 2 - (MAX_CLIENTS - 1)));
	/* a talker answered is a talker accepted and cut off for its framing */
	CHECK_EQ(ctr(&s1, "ctl.bad_messages") - ctr(&s0, "ctl.bad_messages"), hr.answered);
	CHECK_EQ(ctr(&s1, "ctl.requests") - ctr(&s0, "ctl.requests"), requests);
	CHECK_EQ(ctr(&s1, "ctl.cut_slow") - ctr(&s0, "ctl.cut_slow"), 0);
	CHECK_EQ(ctr(&s1, "ctl.cut_idle") - ctr(&s0, "ctl.cut_idle"), 0);
	CHECK_EQ(ctr(&s1, "ctl.cut_stalled") - ctr(&s0, "ctl.cut_stalled"), 0);
	CHECK_EQ(ctr(&s1, "ctl.tls_failed") - ctr(&s0, "ctl.tls_failed"), 0);
	/* the call, untouched */
	check_all_arrived(&AB);
	check_all_arrived(&BA);
	CHECK(AB.sent > 100);
	CHECK_EQ(srtpfwd_ctl_delete(CTL, slot), 0);
	flow_free(&AB);
	flow_free(&BA);
	close(fa);
	close(fb);
}

/* The controller that created a call is SIGKILLed mid-call: the call
 * flows on (2 s after the kill, nothing lost), srtpfwd drops the dead
 * connection, and a new controller finds the session with LIST and
 * deletes it. */
TEST(controller_killed)
{
	int fa = peer_socket(LAB_A, LAB_PEER4[0], 4040),
	    fb = peer_socket(LAB_B, LAB_PEER4[1], 5040);
	struct srtpfwd_ctl_key in = new_key(), out = new_key();
	struct {
		int r;
		uint32_t slot;
		uint16_t ports[2];
	} made;
	struct srtpfwd_ctl_info info;
	struct srtpfwd_ctl *c2;
	struct counters cs;
	uint32_t slots[64], n = 0, next = 1;
	unsigned int kill_ab, kill_ba, clients = 0;
	struct pollfd p;
	int pfd[2], st = 0;
	pid_t pid;

	REQUIRE(pipe(pfd) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct srtpfwd_ctl *c;

		child_init();
		close(pfd[0]);
		memset(&made, 0, sizeof(made));
		c = ctl_open(0);
		made.r = c == NULL ? -1
				   : create_call(c, 5005, 4040, 5040, &in, &out, &made.slot,
						 made.ports);
		if (write(pfd[1], &made, sizeof(made)) != (ssize_t)sizeof(made))
			_exit(1);
		for (unsigned int k = 0; k < 300; k++) /* until killed */
			usleep(100 * 1000);
		_exit(1);
	}
	LAB.child = pid;
	close(pfd[1]);
	p = (struct pollfd){.fd = pfd[0], .events = POLLIN};
	memset(&made, 0, sizeof(made));
	made.r = -1;
	if (poll(&p, 1, 10000) == 1 && read(pfd[0], &made, sizeof(made)) != (ssize_t)sizeof(made))
		made.r = -1;
	close(pfd[0]);
	REQUIRE(made.r == 0);
	call_flows(fa, fb, made.ports, &in, &out);
	traffic_start(&AB, &BA);
	sleep_ms(300);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	LAB.child = 0;
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	kill_ab = ld(&AB.sent);
	kill_ba = ld(&BA.sent);
	sleep_ms(2000);
	traffic_stop(1);
	check_all_arrived(&AB);
	check_all_arrived(&BA);
	/* 2 s at one packet per PACE_MS, allowing for a loaded machine */
	CHECK(AB.sent - kill_ab >= 2000 / PACE_MS / 4);
	CHECK(BA.sent - kill_ba >= 2000 / PACE_MS / 4);
	printf("  after the kill: %u + %u packets, all arrived\n", AB.sent - kill_ab,
	       BA.sent - kill_ba);

	/* the dead controller's connection is gone */
	for (uint64_t t = lab_now_ms() + WAIT_MS; lab_now_ms() < t;) {
		REQUIRE(stats(CTL, 0, &cs) == 0);
		if ((clients = (unsigned int)ctr(&cs, "ctl.clients")) == 1)
			break;
		sleep_ms(20);
	}
	CHECK_EQ(clients, 1);
	CHECK_EQ(ctr(&cs, "sessions"), 1);

	c2 = ctl_open(0);
	REQUIRE(c2 != NULL);
	CHECK_EQ(srtpfwd_ctl_list(c2, 0, 64, slots, &n, &next), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(next, 0);
	CHECK_EQ(slots[0], made.slot);
	CHECK_EQ(srtpfwd_ctl_get(c2, made.slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.id, 5005);
	CHECK_EQ(info.leg[0].local_port, made.ports[0]);
	CHECK_EQ(info.leg[1].local_port, made.ports[1]);
	CHECK_EQ(srtpfwd_ctl_delete(c2, made.slot), 0);
	CHECK_EQ(srtpfwd_ctl_list(c2, 0, 64, slots, &n, &next), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(srtpfwd_ctl_get(c2, made.slot, &info, NULL, NULL), PROTO_ST_NO_SESSION);
	srtpfwd_ctl_close(c2);
	flow_free(&AB);
	flow_free(&BA);
	close(fa);
	close(fb);
}

/* srtpfwd stopped (SIGSTOP: hung) with its listen backlog full: a new
 * controller's connect gives up after its timeout instead of waiting for
 * an accept that never comes; once srtpfwd runs again, the controller's
 * own connection is answered as before. */
TEST(connect_times_out_when_not_accepted)
{
	static int fds[1024];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct counters cs;
	struct pollfd p;
	struct {
		int refused; /* srtpfwd_ctl_connect returned NULL */
		uint64_t ms;
	} res = {0, 0};
	unsigned int n = 0;
	int pfd[2], got = 0;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", LAB.sock);
	REQUIRE(pipe(pfd) == 0);
	REQUIRE(kill(LAB.daemon, SIGSTOP) == 0);
	while (n < 1024) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd); /* EAGAIN: the backlog is full */
			break;
		}
		fds[n++] = fd;
	}
	/* in a child, so that a connect that never returns fails the check
	 * instead of hanging the test */
	pid = fork();
	if (pid == 0) {
		char err[256];
		uint64_t t0 = lab_now_ms();
		struct srtpfwd_ctl *c;

		child_init();
		c = srtpfwd_ctl_connect(LAB.sock, NULL, 500, err, sizeof(err));
		res.ms = lab_now_ms() - t0;
		res.refused = c == NULL;
		_exit(write(pfd[1], &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 1);
	}
	LAB.child = pid;
	close(pfd[1]);
	p = (struct pollfd){.fd = pfd[0], .events = POLLIN};
	if (pid > 0 && poll(&p, 1, 5000) == 1)
		got = read(pfd[0], &res, sizeof(res)) == (ssize_t)sizeof(res);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	LAB.child = 0;
	close(pfd[0]);
	for (unsigned int k = 0; k < n; k++)
		close(fds[k]);
	kill(LAB.daemon, SIGCONT);
	printf("  backlog full after %u connections; connect gave up after %" PRIu64 " ms\n", n,
	       res.ms);
	CHECK(n > 0 && n < 1024);
	CHECK(got); /* else: still blocked after 5 s */
	CHECK(res.refused);
	CHECK(res.ms >= 450 && res.ms < 2000);
	CHECK_EQ(stats(CTL, 0, &cs), 0);
	CHECK_EQ(ctr(&cs, "sessions"), 0);
}

/* ---- nothing printed carries a key ---- */

/* How many forms of @p k (key_scan.h: hex, base64, key||salt) @p text holds. */
static unsigned int
leaks(const char *text, size_t len, const struct srtpfwd_ctl_key *k)
{
	return key_scan(text, len, k->key, k->key_len, k->salt, k->salt_len);
}

static void
check_no_key_printed(void)
{
	static char text[8 << 20];
	int fd = open(LAB.log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	unsigned int found = 0;

	if (fd >= 0)
		close(fd);
	REQUIRE(n > 0);
	text[n] = '\0';
	CHECK(strstr(text, "srtpfwd: control on unix:") != NULL); /* it is srtpfwd's output */
	CHECK(N_KEYS > 0 || getenv("TEST_ONLY") != NULL); /* a full run installs some */
	for (unsigned int k = 0; k < N_KEYS; k++)
		found += leaks(text, (size_t)n, &KEYS[k]);
	CHECK_EQ(found, 0);
	/* the scanner itself: it finds a key planted in each form */
	if (N_KEYS > 0) {
		char s[256], t[320];
		const struct srtpfwd_ctl_key *k = &KEYS[0];
		uint8_t b[31] = {0};

		key_scan_hex(k->salt, k->salt_len, 1, ':', s);
		snprintf(t, sizeof(t), "salt=%s;", s);
		CHECK(leaks(t, strlen(t), k) >= 1);
		/* SDES inline base64 of key||salt, one byte before it */
		memcpy(b + 1, k->key, 16);
		memcpy(b + 17, k->salt, 14);
		key_scan_b64_groups(b, 30, s);
		snprintf(t, sizeof(t), "inline:%s", s);
		CHECK(leaks(t, strlen(t), k) >= 1);
	}
	printf("  %zd bytes of srtpfwd output, none holds any of the %u keys\n", n, N_KEYS);
}

int
main(int argc, char **argv)
{
	struct counters cs;
	int bad, st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: %s path/to/srtpfwd\n", argv[0]);
		return 2;
	}
	EXE = argv[1];
	if (lab_skip_if_unable() != 0)
		return 77;
	if (access(EXE, X_OK) != 0) {
		fprintf(stderr, "%s: %s\n", EXE, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* IPv4 only: no router solicitations or MLD reports on the links,
	 * only what the cases send */
	switch (lab_up("sfe", 0)) {
	case 0: break;
	case 77:
		printf("skipped: cannot create network namespaces (\"ip netns add\")\n");
		return 77;
	default: fprintf(stderr, "could not build the namespaces and veths\n"); return 1;
	}
	lab_watchdog("test_ctl_e2e", WATCHDOG_S);
	if (daemon_start() != 0 || daemon_wait_ready() != 0) {
		lab_daemon_log_tail(30);
		return 1;
	}
	bad = test_run_all();

	/* nothing left behind, then srtpfwd stops cleanly */
	if (stats(CTL, 0, &cs) == 0)
		CHECK_EQ(ctr(&cs, "sessions"), 0);
	else
		CHECK(0);
	srtpfwd_ctl_close(CTL);
	st = lab_daemon_stop(10000);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check_no_key_printed();
	explicit_bzero(KEYS, sizeof(KEYS));
	if (bad || test_failed_checks) {
		fprintf(stderr, "srtpfwd's output ended with:\n");
		lab_daemon_log_tail(40);
	}
	lab_down();
	if (test_failed_checks != 0 && bad == 0)
		printf("FAIL (checks after the tests)\n");
	return bad || test_failed_checks ? 1 : 0;
}
