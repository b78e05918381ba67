/* test_key_output.c: nothing srtpfwd or srtpfwd-ctl prints carries a key.
 *
 * The srtpfwd binary runs in the namespace lab (tests/netns_lab.c, tag
 * "sko", IPv4) with telemetry on (its socket under a RUNTIME_DIRECTORY in
 * the lab's temporary directory), `--metrics 127.0.0.1:0` (the loopback of
 * its namespace, which this test brings up and reaches with setns) and
 * every srtpfwd log type at debug level. While keys are installed, this
 * test collects everything srtpfwd and its clients say, per source:
 *
 *   log        srtpfwd's stdout and stderr, read once it exited (SIGTERM, 0);
 *   cli        srtpfwd-ctl (argv[2]) stdout and stderr: hello, list, get of
 *              each session, stats (global and per session), plain and
 *              --json; events (plain and --json) while a latch and a burst
 *              of authentication failures happen;
 *   cli_refused  srtpfwd-ctl -f scripts (mode 0600) and one argv command,
 *              each with real keys in it, refused by srtpfwd (port out of
 *              range, next hop off link, keys on an RTP leg, no such slot)
 *              or by srtpfwd-ctl itself (key||salt of the wrong length, a
 *              bad MKI), and a script that stops at its refused line;
 *   lib_refused  srtpfwd_ctl_error() after each refused libsrtpfwd-ctl
 *              request carrying keys: bad key or salt length, unknown
 *              suite, port out of range or in use, off link, SRTP with
 *              passthrough, keys on an RTP leg, no such slot;
 *   raw_replies  whole responses, bytes and ERROR_TEXT, to hand-built
 *              requests: an MKI or a MASTER_KEY given twice, a 17-byte
 *              MKI, a foreign attribute inside a key;
 *   telemetry  the welcome, then every command "/" lists, bare and with
 *              ",0", /srtpfwd/sessions,<slot> of each session and
 *              /srtpfwd/workers,0;
 *   metrics    GET /metrics and GET /nope, headers and body.
 *
 * The keys: three sessions between every suite, with MKIs, random bytes;
 * one call carries SRTP both ways between libsrtp2 peers (every packet
 * checked), is re-keyed on both legs, in and out, and stays in the
 * re-key overlap (old and new inbound keys live) until the end, when an
 * old-key packet is still accepted. Every key and salt ever sent (installed
 * or refused) is searched in each source (tests/key_scan.h): hex in any
 * case, bare or with ' ' or ':', base64 of key, salt and key||salt at each
 * alignment, raw bytes, and any 8-byte run of them in hex with anything
 * between the digits. None may be found. Every source must have said
 * something (at least the size each is asserted to reach), and the scanner
 * must find a key planted in each form into each source, so the check
 * cannot pass on an empty or unscanned capture.
 *
 * Needs root and iproute2; without them exits 77 (skipped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ctl_counters.h"
#include "../key_scan.h"
#include "../netns_lab.h"
#include "../ref.h"
#include "../test.h"
#include "control/srtpfwd_ctl.h"

#define WAIT_MS 2000 /* for one datagram or one reply */
#define WATCHDOG_S 150
#define PAYLOAD 160
#define SEQ0 1000
#define CLI_TIMEOUT_MS 20000
#define N_TAMPERED 12 /* at least CTL_AUTH_BURST: an AUTH_FAILURES event */
#define CAP_MAX (16u << 20)

static const char *EXE, *CTL_EXE; /* srtpfwd, srtpfwd-ctl */
static struct srtpfwd_ctl *CTL;
static char TEL_PATH[256];
static uint16_t METRICS_PORT;

#define ARG(s) ((char *)(uintptr_t)(s)) /* execv's argv is char *const[] */

static void
sleep_ms(unsigned int ms)
{
	usleep(ms * 1000u);
}

/* ---- what was said, per source ---- */

enum {
	SRC_LOG,
	SRC_CLI,
	SRC_CLI_REFUSED,
	SRC_LIB_REFUSED,
	SRC_RAW,
	SRC_TELEMETRY,
	SRC_METRICS,
	SRC_N
};
static const char *const SRC_NAME[SRC_N] = {
	"log", "cli", "cli_refused", "lib_refused", "raw_replies", "telemetry", "metrics"};
/* What each source must at least amount to (bytes): about half of what
 * this test makes it say, so that a source gone silent fails. */
static const size_t SRC_MIN[SRC_N] = {1500, 15000, 800, 500, 300, 15000, 10000};

static struct {
	char *buf;
	size_t len, cap;
	unsigned int pieces;
} CAP[SRC_N];

static void
cap_add(unsigned int src, const void *p, size_t n)
{
	if (CAP[src].len + n + 1 > CAP[src].cap) {
		size_t c = CAP[src].cap ? CAP[src].cap : 1 << 16;

		while (c < CAP[src].len + n + 1)
			c *= 2;
		if (c > CAP_MAX || (CAP[src].buf = realloc(CAP[src].buf, c)) == NULL) {
			fprintf(stderr, "capture %s: %zu bytes: too much\n", SRC_NAME[src], c);
			abort();
		}
		CAP[src].cap = c;
	}
	memcpy(CAP[src].buf + CAP[src].len, p, n);
	CAP[src].len += n;
	CAP[src].buf[CAP[src].len++] = '\n';
	CAP[src].pieces++;
}

static void
cap_str(unsigned int src, const char *s)
{
	cap_add(src, s, strlen(s));
}

/* ---- keys ---- */

#define KEYS_MAX 256
static struct srtpfwd_ctl_key KEYS[KEYS_MAX]; /* every key sent to srtpfwd */
static unsigned int N_KEYS;

/* A fresh random key of PROTO suite @p id (an unknown one: 16 + 14
 * bytes), with an MKI of @p mki_len bytes from @p mki0 up. */
static struct srtpfwd_ctl_key
new_key(uint8_t id, uint8_t mki_len, uint8_t mki0)
{
	struct srtpfwd_ctl_key k;
	int known = id >= 1 && id <= SUITE_MAX;

	memset(&k, 0, sizeof(k));
	k.suite = id;
	k.key_len = known ? suites[id - 1].key_len : 16;
	k.salt_len = known ? suites[id - 1].salt_len : 14;
	k.mki_len = mki_len;
	for (unsigned int i = 0; i < mki_len && i < sizeof(k.mki); i++)
		k.mki[i] = (uint8_t)(mki0 + i);
	if (getrandom(k.key, k.key_len, 0) != k.key_len ||
	    getrandom(k.salt, k.salt_len, 0) != k.salt_len)
		abort();
	if (N_KEYS == KEYS_MAX)
		abort();
	KEYS[N_KEYS++] = k;
	return k;
}

/* srtpfwd-ctl's KEY: SUITE:inline:BASE64(key||salt)[|MKI_HEX]. @p cut
 * bytes of key||salt left out, @p extra random bytes added. */
static void
cli_key(char *out, size_t cap, const struct srtpfwd_ctl_key *k, int cut, int extra)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t ks[96];
	size_t n = (size_t)(k->key_len + k->salt_len - cut + extra), o;

	memcpy(ks, k->key, k->key_len);
	memcpy(ks + k->key_len, k->salt, k->salt_len);
	if (extra > 0 && getrandom(ks + k->key_len + k->salt_len, (size_t)extra, 0) != extra)
		abort();
	o = (size_t)snprintf(out, cap, "%s:inline:", suites[k->suite - 1].name);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)ks[i] << 16 | (i + 1 < n ? (uint32_t)ks[i + 1] << 8 : 0) |
			     (i + 2 < n ? ks[i + 2] : 0);

		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	if (k->mki_len > 0) {
		out[o++] = '|';
		for (unsigned int i = 0; i < k->mki_len; i++)
			o += (size_t)snprintf(out + o, cap - o, "%02x", k->mki[i]);
	}
	out[o] = '\0';
	explicit_bzero(ks, sizeof(ks));
}

/* ---- the daemon ---- */

static int
daemon_start(void)
{
	char prefix[64], port[2][48], addr[2][32], *argv[40];
	const char *a[] = {EXE,		  "--no-huge",
			   "--no-pci",	  "--no-shconf",
			   "-m",	  "512",
			   "-l",	  "0,1",
			   prefix,	  "--log-level=srtpfwd*:debug",
			   "--",	  "--port",
			   port[0],	  "--port",
			   port[1],	  "--addr",
			   addr[0],	  "--addr",
			   addr[1],	  "--ports",
			   "20000-29999", "--sessions",
			   "64",	  "--stats",
			   "1",		  "--ctl-unix",
			   LAB.sock,	  "--metrics",
			   "127.0.0.1:0", NULL};
	unsigned int n = 0;

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

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return n;
}

/* Ready: the control socket answers HELLO, the metrics port is in the log,
 * the telemetry socket exists. */
static int
daemon_wait_ready(void)
{
	static char log[1 << 16];
	uint64_t end = lab_now_ms() + 30000;
	char err[256];

	while (lab_now_ms() < end) {
		const char *m;
		int st = 0;

		if (!lab_daemon_running(&st)) {
			fprintf(stderr, "srtpfwd exited (status 0x%x) before it was ready\n", st);
			return -1;
		}
		read_file(LAB.log, log, sizeof(log));
		m = strstr(log, "metrics on http://127.0.0.1:0/metrics (port ");
		if (m != NULL)
			METRICS_PORT = (uint16_t)atoi(m + strlen("metrics on http://127.0.0.1:0/"
								 "metrics (port "));
		if (METRICS_PORT != 0 && access(TEL_PATH, F_OK) == 0 &&
		    access(LAB.sock, F_OK) == 0 &&
		    (CTL = srtpfwd_ctl_connect(LAB.sock, NULL, 5000, err, sizeof(err))) != NULL)
			return 0;
		sleep_ms(50);
	}
	fprintf(stderr, "srtpfwd not ready after 30 s (metrics port %u, %s: %s)\n", METRICS_PORT,
		TEL_PATH, access(TEL_PATH, F_OK) == 0 ? "there" : "missing");
	return -1;
}

/* ---- srtpfwd-ctl ---- */

static char CLI_OUT[1 << 17], CLI_ERR[1 << 14];
static size_t CLI_OUT_LEN, CLI_ERR_LEN;

static pid_t
cli_spawn(char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();

	if (pid == 0) {
		int i = open("/dev/null", O_RDONLY | O_CLOEXEC),
		    o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600),
		    e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(CTL_EXE, argv);
		_exit(127);
	}
	return pid;
}

/* Wait up to @p ms for @p pid. @return its exit code, or -1 (killed). */
static int
cli_reap(pid_t pid, unsigned int ms)
{
	uint64_t end = lab_now_ms() + ms;
	int st = 0;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (lab_now_ms() >= end) {
			fprintf(stderr, "  srtpfwd-ctl still running after %u ms: killed\n", ms);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		sleep_ms(5);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The output files of a srtpfwd-ctl run into CLI_OUT / CLI_ERR and source
 * @p src. */
static void
cli_collect(unsigned int src, const char *out, const char *err)
{
	CLI_OUT_LEN = read_file(out, CLI_OUT, sizeof(CLI_OUT));
	CLI_ERR_LEN = read_file(err, CLI_ERR, sizeof(CLI_ERR));
	cap_add(src, CLI_OUT, CLI_OUT_LEN);
	cap_add(src, CLI_ERR, CLI_ERR_LEN);
}

/* Run srtpfwd-ctl -s SOCK --timeout 5000 [--json] ARGS... (NULL-ended),
 * output to source @p src. @return its exit code, or -1. */
static int
cli(unsigned int src, int json, ...)
{
	char out[128], err[128], *argv[32];
	unsigned int n = 0;
	va_list ap;
	const char *a;
	pid_t pid;
	int rc;

	argv[n++] = ARG(CTL_EXE);
	argv[n++] = ARG("-s");
	argv[n++] = LAB.sock;
	argv[n++] = ARG("--timeout");
	argv[n++] = ARG("5000");
	if (json)
		argv[n++] = ARG("--json");
	va_start(ap, json);
	while ((a = va_arg(ap, const char *)) != NULL && n < 31)
		argv[n++] = ARG(a);
	va_end(ap);
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/cli.out", LAB.dir);
	snprintf(err, sizeof(err), "%s/cli.err", LAB.dir);
	pid = cli_spawn(argv, out, err);
	if (pid < 0)
		return -1;
	rc = cli_reap(pid, CLI_TIMEOUT_MS);
	cli_collect(src, out, err);
	return rc;
}

/* srtpfwd-ctl -f FILE, FILE of mode 0600 holding @p script. */
static int
cli_script(const char *script)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/script.txt", LAB.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script)) {
		perror(path);
		abort();
	}
	close(fd);
	rc = cli(SRC_CLI_REFUSED, 0, "-f", path, NULL);
	unlink(path);
	return rc;
}

/* ---- peers ---- */

static int
peer_socket(unsigned int ns, const uint8_t *addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd;

	lab_enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memcpy(&sa.sin_addr, addr, 4);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("peer socket");
		abort();
	}
	lab_leave();
	return fd;
}

static unsigned int
rtp_packet(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	p[0] = 0x80, p[1] = 111;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	memset(p + 4, 0, 4);
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	for (unsigned int k = 0; k < PAYLOAD; k++)
		p[12 + k] = (uint8_t)(seq * 7 + k * 13 + ssrc);
	return 12 + PAYLOAD;
}

/* One side of the call: a peer's socket, its SSRC and next sequence
 * number, and libsrtp2 contexts per key (protect what it sends, unprotect
 * what it gets). */
struct peer {
	int fd;
	const uint8_t *addr;
	uint16_t port;
	uint32_t ssrc;
	uint16_t seq;
	srtp_t tx[2], rx[2]; /* [0] before the re-key, [1] after */
	unsigned int tx_mki[2], rx_mki[2];
};

static srtp_t
ctx_of(const struct srtpfwd_ctl_key *k, int inbound)
{
	return ref_create((enum suite)(k->suite - 1), k->key, k->salt, inbound, k->mki, k->mki_len);
}

/* @p from sends RTP under its key @p key to srtpfwd's @p to_port on its
 * side; with @p tamper the last byte (the tag's) flipped. */
static int
peer_send(struct peer *from, unsigned int side, uint16_t to_port, unsigned int key, int tamper)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to_port)};
	uint8_t pkt[512];
	int len = (int)rtp_packet(pkt, from->ssrc, from->seq);

	if (ref_protect(from->tx[key], from->tx_mki[key], 0, pkt, &len) != srtp_err_status_ok)
		return -1;
	if (tamper)
		pkt[len - 1] ^= 0x01;
	memcpy(&sa.sin_addr, LAB_LOCAL4[side], 4);
	from->seq++;
	return sendto(from->fd, pkt, (size_t)len, 0, (struct sockaddr *)&sa, sizeof(sa)) == len
		       ? 0
		       : -1;
}

/* @p to gets, from srtpfwd's @p from_port on its side, the packet @p sender
 * sent last, protected under @p to's key @p key. @return 1 if so within
 * WAIT_MS. */
static int
peer_recv(struct peer *to, unsigned int side, uint16_t from_port, const struct peer *sender,
	  unsigned int key)
{
	uint64_t end = lab_now_ms() + WAIT_MS;
	uint8_t exp[512];
	unsigned int exp_len = rtp_packet(exp, sender->ssrc, (uint16_t)(sender->seq - 1));

	while (lab_now_ms() < end) {
		struct pollfd p = {.fd = to->fd, .events = POLLIN};
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		uint8_t buf[2048];
		ssize_t n;
		int len;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recvfrom(to->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src, &sl);
		if (n <= 0)
			continue;
		len = (int)n;
		if (memcmp(&src.sin_addr, LAB_LOCAL4[side], 4) != 0 ||
		    ntohs(src.sin_port) != from_port) {
			fprintf(stderr, "  datagram from an unexpected source\n");
			return 0;
		}
		if (ref_unprotect(to->rx[key], to->rx_mki[key], 0, buf, &len) !=
			    srtp_err_status_ok ||
		    (unsigned int)len != exp_len || memcmp(buf, exp, exp_len) != 0) {
			fprintf(stderr, "  a datagram that is not what was sent (%zd bytes)\n", n);
			return 0;
		}
		return 1;
	}
	return 0;
}

/* Nothing more arrives on @p fd within @p ms. */
static int
peer_quiet(int fd, unsigned int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, (int)ms) == 0;
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

static int
stats(uint32_t slot, struct counters *cs)
{
	cs->n = 0;
	return srtpfwd_ctl_stats(CTL, slot, counters_add, cs);
}

/* ---- the sessions ---- */

/* S[0]: the call, SRTP both legs with MKIs (AES_CM_128_HMAC_SHA1_80 on leg
 * 0 towards A, AEAD_AES_128_GCM on leg 1 towards B), leg 0 latching.
 * S[1]: AES_CM_128_HMAC_SHA1_32 in / AES_256_CM_HMAC_SHA1_80 out on leg 0,
 * AEAD_AES_256_GCM both ways on leg 1. S[2]: AES_256_CM_HMAC_SHA1_32 in /
 * NULL_HMAC_SHA1_80 out on leg 0, plain RTP on leg 1. */
static uint32_t S[3];
static uint16_t S_PORT[3][2];
static struct peer PA, PB;
static char SLOT_ARG[3][24];

static int
create(uint64_t id, struct srtpfwd_ctl_session *s, unsigned int i)
{
	int r;

	s->id = id;
	r = srtpfwd_ctl_create(CTL, s, &S[i], S_PORT[i]);
	if (r != 0)
		fprintf(stderr, "  CREATE %" PRIu64 ": %d %s\n", id, r, srtpfwd_ctl_error(CTL));
	snprintf(SLOT_ARG[i], sizeof(SLOT_ARG[i]), "slot=%u", S[i]);
	return r;
}

/* A's packet reaches B (leg 0 in -> leg 1 out), and B's reaches A. */
static int
exchange(unsigned int a_key, unsigned int b_rx, unsigned int b_key, unsigned int a_rx)
{
	int ok = 1;

	ok &= peer_send(&PA, 0, S_PORT[0][0], a_key, 0) == 0;
	ok &= peer_recv(&PB, 1, S_PORT[0][1], &PA, b_rx);
	ok &= peer_send(&PB, 1, S_PORT[0][1], b_key, 0) == 0;
	ok &= peer_recv(&PA, 0, S_PORT[0][0], &PB, a_rx);
	return ok;
}

/* Requests srtpfwd answered since @p base, not counting this test's own
 * @p mine STATS (a STATS is counted once answered). */
static uint64_t
requests_since(uint64_t base, unsigned int mine)
{
	struct counters cs;

	if (stats(0, &cs) != 0)
		return 0;
	return ctr(&cs, "ctl.requests") - base - mine;
}

static unsigned int EXCHANGED; /* packets each way that arrived, verified */

/* The three sessions; the call's traffic under its first keys, then a
 * re-key of both legs in both directions and traffic under the old and
 * the new inbound keys (the overlap stays open); a latch and a burst of
 * forged packets, which two `srtpfwd-ctl events` (plain, --json) see. */
TEST(sessions_traffic_rekey_events)
{
	struct srtpfwd_ctl_key a_in0 = new_key(1, 4, 0x10), a_out0 = new_key(1, 4, 0x20);
	struct srtpfwd_ctl_key b_in0 = new_key(5, 2, 0x30), b_out0 = new_key(5, 2, 0x40);
	struct srtpfwd_ctl_key a_in1 = new_key(1, 4, 0x11), a_out1 = new_key(1, 4, 0x21);
	struct srtpfwd_ctl_key b_in1 = new_key(5, 2, 0x31), b_out1 = new_key(5, 2, 0x41);
	struct srtpfwd_ctl_session s;
	struct srtpfwd_ctl_update u;
	struct counters cs;
	char out[2][128], err[2][128], *argv[2][16];
	uint64_t base;
	pid_t ev[2];
	unsigned int mine = 0, ok = 0;

	memset(&s, 0, sizeof(s));
	leg_v4(&s.leg[0], 0, LAB_PEER4[0], 4100,
	       PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX | PROTO_LEG_LATCH);
	s.leg[0].in = a_in0, s.leg[0].out = a_out0;
	leg_v4(&s.leg[1], 1, LAB_PEER4[1], 5100, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	s.leg[1].in = b_in0, s.leg[1].out = b_out0;
	REQUIRE(create(7001, &s, 0) == 0);
	memset(&s, 0, sizeof(s));
	leg_v4(&s.leg[0], 0, LAB_PEER4[0], 4200, PROTO_LEG_SRTP);
	s.leg[0].in = new_key(2, 0, 0), s.leg[0].out = new_key(3, 1, 0x50);
	leg_v4(&s.leg[1], 1, LAB_PEER4[1], 5200, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	s.leg[1].in = new_key(6, 16, 0x60), s.leg[1].out = new_key(6, 0, 0);
	REQUIRE(create(7002, &s, 1) == 0);
	memset(&s, 0, sizeof(s));
	leg_v4(&s.leg[0], 0, LAB_PEER4[0], 4300, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	s.leg[0].in = new_key(4, 3, 0x70), s.leg[0].out = new_key(7, 0, 0);
	leg_v4(&s.leg[1], 1, LAB_PEER4[1], 5300, PROTO_LEG_RTCP_MUX);
	REQUIRE(create(7003, &s, 2) == 0);
	explicit_bzero(&s, sizeof(s));

	/* the peers: A protects with leg 0's in key, unprotects with its out
	 * key; B likewise with leg 1's */
	PA = (struct peer){
		.fd = peer_socket(LAB_A, LAB_PEER4[0], 4100), .ssrc = 0xa1a1a1a1, .seq = SEQ0};
	PB = (struct peer){
		.fd = peer_socket(LAB_B, LAB_PEER4[1], 5100), .ssrc = 0xb2b2b2b2, .seq = SEQ0};
	PA.tx[0] = ctx_of(&a_in0, 0), PA.tx[1] = ctx_of(&a_in1, 0);
	PA.rx[0] = ctx_of(&a_out0, 1), PA.rx[1] = ctx_of(&a_out1, 1);
	PB.tx[0] = ctx_of(&b_in0, 0), PB.tx[1] = ctx_of(&b_in1, 0);
	PB.rx[0] = ctx_of(&b_out0, 1), PB.rx[1] = ctx_of(&b_out1, 1);
	PA.tx_mki[0] = PA.tx_mki[1] = PA.rx_mki[0] = PA.rx_mki[1] = 4;
	PB.tx_mki[0] = PB.tx_mki[1] = PB.rx_mki[0] = PB.rx_mki[1] = 2;

	/* two event watchers, subscribed before anything happens */
	REQUIRE(stats(0, &cs) == 0);
	base = ctr(&cs, "ctl.requests");
	mine = 1;
	for (unsigned int j = 0; j < 2; j++) {
		unsigned int n = 0;

		argv[j][n++] = ARG(CTL_EXE);
		argv[j][n++] = ARG("-s");
		argv[j][n++] = LAB.sock;
		if (j == 1)
			argv[j][n++] = ARG("--json");
		argv[j][n++] = ARG("events");
		argv[j][n++] = ARG("mask=all");
		argv[j][n++] = ARG("count=2");
		argv[j][n++] = ARG("wait=15");
		argv[j][n] = NULL;
		snprintf(out[j], sizeof(out[j]), "%s/events%u.out", LAB.dir, j);
		snprintf(err[j], sizeof(err[j]), "%s/events%u.err", LAB.dir, j);
		ev[j] = cli_spawn(argv[j], out[j], err[j]);
		REQUIRE(ev[j] > 0);
	}
	for (uint64_t end = lab_now_ms() + 5000; lab_now_ms() < end; sleep_ms(20))
		if (requests_since(base, mine++) >= 4) /* HELLO and SUBSCRIBE each */
			break;
	CHECK(requests_since(base, mine++) >= 4);

	/* under the first keys */
	for (unsigned int k = 0; k < 5; k++)
		ok += (unsigned int)exchange(0, 0, 0, 0);
	CHECK_EQ(ok, 5);
	/* re-key: leg 0 and leg 1, in (overlap) and out (at once) */
	memset(&u, 0, sizeof(u));
	u.in = a_in1, u.out = a_out1;
	CHECK_EQ(srtpfwd_ctl_update(CTL, S[0], 0, &u), 0);
	u.in = b_in1, u.out = b_out1;
	CHECK_EQ(srtpfwd_ctl_update(CTL, S[0], 1, &u), 0);
	memset(&u, 0, sizeof(u));
	u.in = new_key(2, 2, 0x80); /* S[1] leg 0: in overlap too */
	CHECK_EQ(srtpfwd_ctl_update(CTL, S[1], 0, &u), 0);
	u.in = new_key(4, 0, 0); /* S[2] leg 0 */
	u.out = new_key(7, 1, 0x90);
	CHECK_EQ(srtpfwd_ctl_update(CTL, S[2], 0, &u), 0);
	explicit_bzero(&u, sizeof(u));
	/* both inbound keys accepted, the new outbound keys used */
	for (unsigned int k = 0; k < 10; k++)
		ok += (unsigned int)exchange(k & 1, 1, k & 1, 1);
	CHECK_EQ(ok, 15);
	/* forged: refused, counted, nothing forwarded */
	for (unsigned int k = 0; k < N_TAMPERED; k++)
		CHECK_EQ(peer_send(&PA, 0, S_PORT[0][0], 1, 1), 0);
	CHECK(peer_quiet(PB.fd, 300));
	ok += (unsigned int)exchange(1, 1, 1, 1);
	CHECK_EQ(ok, 16);
	EXCHANGED = ok;

	/* the watchers saw the latch and the failures */
	for (unsigned int j = 0; j < 2; j++) {
		CHECK_EQ(cli_reap(ev[j], 20000), 0);
		cli_collect(SRC_CLI, out[j], err[j]);
		CHECK(strstr(CLI_OUT, j ? "\"event\":\"latched\"" : "latched slot=") != NULL);
		CHECK(strstr(CLI_OUT, j ? "\"event\":\"auth\"" : "auth slot=") != NULL);
		CHECK_EQ(CLI_ERR_LEN, 0);
		if (strstr(CLI_OUT, "auth") == NULL || strstr(CLI_OUT, "latched") == NULL)
			fprintf(stderr, "  events: %s\n", CLI_OUT);
	}
	REQUIRE(stats(S[0], &cs) == 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.packets"), 16);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.auth_fail"), N_TAMPERED);
	CHECK_EQ(ctr(&cs, "leg1.srtp_in.packets"), 16);
	CHECK_EQ(ctr(&cs, "leg1.srtp_in.auth_fail"), 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_out.packets"), 16);
	CHECK_EQ(ctr(&cs, "leg1.srtp_out.packets"), 16);
}

/* ---- refused requests ---- */

/* A refused request through libsrtpfwd-ctl: its status, and its error
 * text into lib_refused (and checked to say @p want). */
static void
lib_refused(int r, int want_status, const char *want)
{
	const char *e = srtpfwd_ctl_error(CTL);

	CHECK_EQ(r, want_status);
	if (strstr(e, want) == NULL) {
		fprintf(stderr, "  error \"%s\" does not say \"%s\"\n", e, want);
		CHECK(0);
	}
	cap_str(SRC_LIB_REFUSED, e);
}

/* A CREATE like S[0]'s, both legs SRTP with fresh keys, for @p patch to
 * break. */
static void
good_create(struct srtpfwd_ctl_session *s)
{
	memset(s, 0, sizeof(*s));
	s->id = 7100;
	leg_v4(&s->leg[0], 0, LAB_PEER4[0], 4400, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	s->leg[0].in = new_key(1, 4, 0xa0), s->leg[0].out = new_key(3, 0, 0);
	leg_v4(&s->leg[1], 1, LAB_PEER4[1], 5400, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
	s->leg[1].in = new_key(5, 1, 0xb0), s->leg[1].out = new_key(6, 16, 0xc0);
}

/* A hand-built request on CTL's connection: the whole reply goes to
 * raw_replies, raw, and so does its ERROR_TEXT. @return the status. */
static int
raw_request(const uint8_t *req, long len, const char *want)
{
	static uint8_t rsp[PROTO_MSG_MAX];
	struct proto_hdr h;
	struct proto_iter it;
	struct proto_attr_view a;
	char text[256] = "";
	long n;

	if (len <= 0 || srtpfwd_ctl_send(CTL, req, (size_t)len) != 0)
		return -1;
	n = srtpfwd_ctl_recv(CTL, rsp, sizeof(rsp), &h, 5000);
	if (n <= 0)
		return -1;
	cap_add(SRC_RAW, rsp, (size_t)n);
	proto_iter_init(&it, rsp + PROTO_HDR_LEN, (size_t)n - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1)
		if (a.type == PROTO_A_ERROR_TEXT && a.len < sizeof(text)) {
			memcpy(text, a.val, a.len);
			text[a.len] = '\0';
		}
	cap_str(SRC_RAW, text);
	if (strstr(text, want) == NULL) {
		fprintf(stderr, "  error \"%s\" does not say \"%s\"\n", text, want);
		CHECK(0);
	}
	return h.status;
}

/* A KEY_IN / KEY_OUT of @p k, its MKI or MASTER_KEY given @p twice, or a
 * @p foreign attribute inside. */
static void
raw_key(struct proto_writer *w, uint16_t which, const struct srtpfwd_ctl_key *k, int mki_twice,
	int key_twice, int foreign)
{
	proto_nest_begin(w, which);
	proto_put_u8(w, PROTO_A_SUITE, k->suite);
	proto_put(w, PROTO_A_MASTER_KEY, k->key, k->key_len);
	if (key_twice)
		proto_put(w, PROTO_A_MASTER_KEY, k->key, k->key_len);
	proto_put(w, PROTO_A_MASTER_SALT, k->salt, k->salt_len);
	proto_put(w, PROTO_A_MKI, k->mki, k->mki_len);
	if (mki_twice)
		proto_put(w, PROTO_A_MKI, k->mki, k->mki_len);
	if (foreign)
		proto_put_u16(w, PROTO_A_REMOTE_PORT, 4000);
	proto_nest_end(w);
}

static long
raw_create(uint8_t *buf, size_t cap, int mki_twice, int long_mki)
{
	struct srtpfwd_ctl_key in = new_key(1, 4, 0xd0), out = new_key(5, 2, 0xd8);
	struct proto_writer w;
	long n;

	if (long_mki) {
		uint8_t mki[17];

		memset(mki, 0xee, sizeof(mki));
		proto_begin(&w, buf, cap, PROTO_MSG_SESSION_CREATE, 0, 0x7701, 0);
		proto_put_u64(&w, PROTO_A_SESSION_ID, 7200);
		proto_nest_begin(&w, PROTO_A_LEG);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, 0);
		proto_put_u8(&w, PROTO_A_LOCAL_ADDR, 0);
		proto_put_u32(&w, PROTO_A_LEG_FLAGS, PROTO_LEG_SRTP);
		proto_nest_begin(&w, PROTO_A_KEY_IN);
		proto_put_u8(&w, PROTO_A_SUITE, in.suite);
		proto_put(&w, PROTO_A_MASTER_KEY, in.key, in.key_len);
		proto_put(&w, PROTO_A_MASTER_SALT, in.salt, in.salt_len);
		proto_put(&w, PROTO_A_MKI, mki, sizeof(mki));
		proto_nest_end(&w);
		proto_nest_end(&w);
	} else {
		proto_begin(&w, buf, cap, PROTO_MSG_SESSION_CREATE, 0, 0x7702, 0);
		proto_put_u64(&w, PROTO_A_SESSION_ID, 7201);
		for (unsigned int l = 0; l < 2; l++) {
			proto_nest_begin(&w, PROTO_A_LEG);
			proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
			proto_put_u8(&w, PROTO_A_LOCAL_ADDR, (uint8_t)l);
			proto_put(&w, PROTO_A_REMOTE_ADDR, LAB_PEER4[l], 4);
			proto_put_u16(&w, PROTO_A_REMOTE_PORT, (uint16_t)(4500 + 1000 * l));
			proto_put_u32(&w, PROTO_A_LEG_FLAGS, PROTO_LEG_SRTP);
			raw_key(&w, PROTO_A_KEY_IN, &in, 0, 0, 0);
			raw_key(&w, PROTO_A_KEY_OUT, &out, mki_twice && l == 1, 0, 0);
			proto_nest_end(&w);
		}
	}
	n = proto_finish(&w);
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	return n;
}

static long
raw_update(uint8_t *buf, size_t cap, uint32_t slot, int key_twice, int foreign)
{
	struct srtpfwd_ctl_key k = new_key(1, 4, 0xe0);
	struct proto_writer w;

	proto_begin(&w, buf, cap, PROTO_MSG_SESSION_UPDATE, 0, 0x7703, 0);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 0);
	raw_key(&w, PROTO_A_KEY_IN, &k, 0, key_twice, foreign);
	proto_nest_end(&w);
	explicit_bzero(&k, sizeof(k));
	return proto_finish(&w);
}

/* Requests carrying keys that srtpfwd refuses, through libsrtpfwd-ctl and
 * by hand: each refusal says what is wrong and changes nothing. */
TEST(refused_with_keys_library)
{
	static uint8_t req[4096];
	struct srtpfwd_ctl_session s;
	struct srtpfwd_ctl_update u;
	struct counters cs;
	uint32_t slot = 0;
	uint16_t ports[2];

	good_create(&s);
	s.leg[0].in.key_len = 15;
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_BAD_ATTRIBUTE,
		    "leg 0: KEY_IN: AES_CM_128_HMAC_SHA1_80 needs a 16-byte key and a 14-byte "
		    "salt, got 15 and 14");
	good_create(&s);
	s.leg[1].out.suite = 99;
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_BAD_ATTRIBUTE,
		    "leg 1: KEY_OUT: SUITE 99 unknown");
	good_create(&s);
	s.leg[1].in.salt_len = 14; /* GCM: 12 */
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_BAD_ATTRIBUTE,
		    "got 16 and 14");
	good_create(&s);
	s.leg[0].local_port = 40000;
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_BAD_ATTRIBUTE,
		    "leg 0: local port 40000 outside the range 20000-29999");
	good_create(&s);
	s.leg[1].local_port = S_PORT[0][1];
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_ADDRESS_IN_USE,
		    "is in use");
	good_create(&s);
	s.leg[1].remote_addr[0] = 10, s.leg[1].remote_addr[1] = 99;
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_NO_ROUTE, "off link");
	good_create(&s);
	s.leg[0].flags |= PROTO_LEG_PASSTHROUGH;
	lib_refused(srtpfwd_ctl_create(CTL, &s, &slot, ports), PROTO_ST_BAD_ATTRIBUTE,
		    "SRTP with keys and passthrough exclude each other");
	explicit_bzero(&s, sizeof(s));

	memset(&u, 0, sizeof(u));
	u.in = new_key(3, 2, 0xf0);
	lib_refused(srtpfwd_ctl_update(CTL, S[2], 1, &u), PROTO_ST_BAD_ATTRIBUTE,
		    "leg 1: keys given but the leg is not SRTP");
	lib_refused(srtpfwd_ctl_update(CTL, 60, 0, &u), PROTO_ST_NO_SESSION,
		    "no session in slot 60");
	u.in.key_len = 31;
	lib_refused(srtpfwd_ctl_update(CTL, S[1], 0, &u), PROTO_ST_BAD_ATTRIBUTE,
		    "needs a 32-byte key and a 14-byte salt, got 31 and 14");
	explicit_bzero(&u, sizeof(u));

	CHECK_EQ(raw_request(req, raw_create(req, sizeof(req), 1, 0),
			     "leg 1: KEY_OUT: MKI given twice"),
		 PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(raw_request(req, raw_create(req, sizeof(req), 0, 1), "MKI: 17 bytes, need 1..16"),
		 PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(raw_request(req, raw_update(req, sizeof(req), S[0], 1, 0),
			     "leg 0: KEY_IN: MASTER_KEY given twice"),
		 PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(raw_request(req, raw_update(req, sizeof(req), S[0], 0, 1),
			     "does not belong in a key"),
		 PROTO_ST_BAD_ATTRIBUTE);
	explicit_bzero(req, sizeof(req));

	REQUIRE(stats(0, &cs) == 0);
	CHECK_EQ(ctr(&cs, "sessions"), 3);
}

/* Script @p c of refused_with_keys_cli, with keys @p k, into @p out;
 * @p rc and @p says: the exit code and what stderr must say. */
static void
refused_script(unsigned int c, char k[4][160], char *out, size_t cap, int *rc, const char **says)
{
	switch (c) {
	case 0:
		snprintf(out, cap,
			 "create id=9001 leg0.addr=0 leg0.remote=10.201.0.2:4600 leg0.port=40000 "
			 "leg0.in=%s leg0.out=%s leg1.addr=1 leg1.remote=10.202.0.2:5600 "
			 "leg1.in=%s leg1.out=%s\n",
			 k[0], k[1], k[2], k[3]);
		*rc = 1;
		*says = "BAD_ATTRIBUTE: leg 0: local port 40000 outside the range 20000-29999";
		break;
	case 1:
		snprintf(out, cap,
			 "create id=9002 leg0.addr=0 leg0.remote=10.201.0.2:4600 leg0.in=%s "
			 "leg0.out=%s leg1.addr=1 leg1.remote=10.99.0.2:5600 leg1.in=%s "
			 "leg1.out=%s\n",
			 k[0], k[1], k[2], k[3]);
		*rc = 1;
		*says = "NO_ROUTE: leg 1: remote is off link";
		break;
	case 2:
		snprintf(out, cap, "update slot=%u leg=1 in=%s out=%s\n", S[2], k[0], k[1]);
		*rc = 1;
		*says = "BAD_ATTRIBUTE: leg 1: keys given but the leg is not SRTP";
		break;
	case 3: /* stops at line 2: line 3 is never run */
		snprintf(out, cap, "list\nupdate slot=60 leg=0 in=%s\ndelete slot=%u\n", k[2],
			 S[0]);
		*rc = 1;
		*says = "script.txt:2: NO_SESSION: no session in slot 60";
		break;
	default:
		snprintf(out, cap, "update slot=%u leg=0 in=%s end-overlap mux\n", S[0], k[0]);
		*rc = 2;
		*says = "update: unknown argument 'mux'";
		break;
	}
}

/* srtpfwd-ctl with keys in -f scripts (and once in argv), refused by
 * srtpfwd (exit 1) or by srtpfwd-ctl (exit 2), stderr saying why. */
TEST(refused_with_keys_cli)
{
	char k[4][160], script[1024];
	struct counters cs;

	for (unsigned int c = 0; c < 5; c++) {
		struct srtpfwd_ctl_key kk[4] = {new_key(1, 4, 0x01), new_key(3, 0, 0),
						new_key(5, 2, 0x02), new_key(6, 16, 0x03)};
		const char *says;
		int rc;

		for (unsigned int j = 0; j < 4; j++)
			cli_key(k[j], sizeof(k[j]), &kk[j], 0, 0);
		explicit_bzero(kk, sizeof(kk));
		refused_script(c, k, script, sizeof(script), &rc, &says);
		CHECK_EQ(cli_script(script), rc);
		if (strstr(CLI_ERR, says) == NULL) {
			fprintf(stderr, "  case %u: stderr \"%s\" does not say \"%s\"\n", c,
				CLI_ERR, says);
			CHECK(0);
		}
	}
	/* refused by srtpfwd-ctl itself: key||salt 16 bytes too long, 2 short
	 * of a GCM key's; an MKI that is not hex */
	{
		struct srtpfwd_ctl_key a = new_key(1, 0, 0), b = new_key(5, 0, 0),
				       c = new_key(3, 2, 1);

		cli_key(k[0], sizeof(k[0]), &a, 0, 16);
		snprintf(script, sizeof(script), "update slot=%u leg=0 in=%s\n", S[0], k[0]);
		CHECK_EQ(cli_script(script), 2);
		CHECK(strstr(CLI_ERR, "in: AES_CM_128_HMAC_SHA1_80 needs 30 bytes of key||salt "
				      "(16+14), got 46") != NULL);
		cli_key(k[0], sizeof(k[0]), &b, 2, 0);
		snprintf(script, sizeof(script), "update slot=%u leg=1 out=%s\n", S[0], k[0]);
		CHECK_EQ(cli_script(script), 2);
		CHECK(strstr(CLI_ERR, "out: AEAD_AES_128_GCM needs 28 bytes of key||salt (16+12), "
				      "got 26") != NULL);
		cli_key(k[0], sizeof(k[0]), &c, 0, 0);
		strcat(k[0], "zz");
		snprintf(script, sizeof(script), "update slot=%u leg=0 out=%s\n", S[1], k[0]);
		CHECK_EQ(cli_script(script), 2);
		CHECK(strstr(CLI_ERR, "out: MKI: not hex digits") != NULL);
		explicit_bzero(&a, sizeof(a));
		explicit_bzero(&b, sizeof(b));
		explicit_bzero(&c, sizeof(c));
	}
	/* keys in argv (with a warning), refused by srtpfwd */
	{
		struct srtpfwd_ctl_key a = new_key(2, 1, 9);
		char arg[200];

		cli_key(k[0], sizeof(k[0]), &a, 0, 0);
		snprintf(arg, sizeof(arg), "in=%s", k[0]);
		CHECK_EQ(cli(SRC_CLI_REFUSED, 0, "update", "slot=61", "leg=0", arg, NULL), 1);
		CHECK(strstr(CLI_ERR, "warning: keys on the command line are visible") != NULL);
		CHECK(strstr(CLI_ERR, "NO_SESSION: no session in slot 61") != NULL);
		explicit_bzero(arg, sizeof(arg));
		explicit_bzero(&a, sizeof(a));
	}
	explicit_bzero(k, sizeof(k));
	explicit_bzero(script, sizeof(script));
	REQUIRE(stats(0, &cs) == 0);
	CHECK_EQ(ctr(&cs, "sessions"), 3);
}

/* Every reading command of srtpfwd-ctl, plain and --json. */
TEST(cli_reads)
{
	for (int json = 0; json < 2; json++) {
		size_t before = CAP[SRC_CLI].len;

		CHECK_EQ(cli(SRC_CLI, json, "hello", NULL), 0);
		CHECK_EQ(cli(SRC_CLI, json, "list", NULL), 0);
		CHECK_EQ(cli(SRC_CLI, json, "stats", NULL), 0);
		CHECK(strstr(CLI_OUT, "srtp_unprotected") != NULL);
		for (unsigned int i = 0; i < 3; i++) {
			CHECK_EQ(cli(SRC_CLI, json, "get", SLOT_ARG[i], NULL), 0);
			CHECK(strstr(CLI_OUT, i == 2 ? "NULL_HMAC_SHA1_80" : "_GCM") != NULL);
			CHECK_EQ(cli(SRC_CLI, json, "stats", SLOT_ARG[i], NULL), 0);
			CHECK(strstr(CLI_OUT, "leg0.rtp.packets") != NULL);
		}
		CHECK_EQ(cli(SRC_CLI, json, "events", "mask=all", "wait=0", NULL), 0);
		printf("  srtpfwd-ctl%s: %zu bytes\n", json ? " --json" : "",
		       CAP[SRC_CLI].len - before);
	}
}

/* ---- telemetry ---- */

static int
tel_open(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[4096];
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (strlen(TEL_PATH) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: too long for a unix socket\n", TEL_PATH);
		close(fd);
		return -1;
	}
	memcpy(sa.sun_path, TEL_PATH, strlen(TEL_PATH) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    poll(&p, 1, 5000) != 1 || (n = recv(fd, buf, sizeof(buf), 0)) <= 0) {
		perror(TEL_PATH);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cap_add(SRC_TELEMETRY, buf, (size_t)n);
	return fd;
}

/* One command; its reply (NUL-terminated) in @p out and in the capture.
 * @return the reply's length, 0 if none came. */
static size_t
tel_ask(int fd, const char *cmd, char *out, size_t cap)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	out[0] = '\0';
	if (send(fd, cmd, strlen(cmd), 0) != (ssize_t)strlen(cmd) || poll(&p, 1, 5000) != 1 ||
	    (n = recv(fd, out, cap - 1, 0)) <= 0)
		return 0;
	out[n] = '\0';
	cap_str(SRC_TELEMETRY, cmd);
	cap_add(SRC_TELEMETRY, out, (size_t)n);
	return (size_t)n;
}

/* Every telemetry command "/" lists, bare and with ",0"; each session by
 * slot; worker 0. */
TEST(telemetry_all_commands)
{
	static char list[1 << 16], reply[1 << 17];
	char cmds[128][64], cmd[96];
	unsigned int n = 0, srtpfwd = 0, answered = 0;
	int fd = tel_open();

	REQUIRE(fd >= 0);
	REQUIRE(tel_ask(fd, "/", list, sizeof(list)) > 0);
	/* {"/": ["/", "/eal/app_params", ...]} */
	for (const char *p = strchr(list, '['); p != NULL && n < 128;) {
		const char *q = strchr(p, '"'), *e;

		if (q == NULL || (e = strchr(q + 1, '"')) == NULL)
			break;
		if (q[1] == '/' && (size_t)(e - q - 1) < sizeof(cmds[0])) {
			snprintf(cmds[n], sizeof(cmds[0]), "%.*s", (int)(e - q - 1), q + 1);
			srtpfwd += strncmp(cmds[n], "/srtpfwd/", 9) == 0;
			n++;
		}
		p = e + 1;
	}
	CHECK_EQ(srtpfwd, 4);
	CHECK(n > 20);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int v = 0; v < 2; v++) {
			snprintf(cmd, sizeof(cmd), "%.63s%s", cmds[i], v ? ",0" : "");
			answered += tel_ask(fd, cmd, reply, sizeof(reply)) > 0;
		}
	CHECK_EQ(answered, 2 * n);
	for (unsigned int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "/srtpfwd/sessions,%u", S[i]);
		CHECK(tel_ask(fd, cmd, reply, sizeof(reply)) > 0);
		CHECK(strstr(reply, "\"shown\":1") != NULL);
		CHECK(strstr(reply, i == 1 ? "AEAD_AES_256_GCM" : "\"leg0_mode\":\"srtp\"") !=
		      NULL);
	}
	CHECK(tel_ask(fd, "/srtpfwd/sessions", reply, sizeof(reply)) > 0);
	CHECK(strstr(reply, "\"count\":3") != NULL);
	CHECK(tel_ask(fd, "/srtpfwd/workers,0", reply, sizeof(reply)) > 0);
	close(fd);
	printf("  telemetry: %u commands listed, %zu bytes\n", n, CAP[SRC_TELEMETRY].len);
}

/* ---- Prometheus ---- */

/* GET @p path from the metrics listener, in srtpfwd's namespace. */
static size_t
http_get(const char *path, char *out, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(METRICS_PORT)};
	char req[128];
	size_t n = 0;
	uint64_t end = lab_now_ms() + 5000;
	int fd;

	lab_enter(LAB_D);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	lab_leave();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %.64s HTTP/1.1\r\nHost: srtpfwd\r\n\r\n", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		perror("metrics");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (n + 1 < cap && lab_now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recv(fd, out + n, cap - 1 - n, 0);
		if (r <= 0)
			break; /* Connection: close */
		n += (size_t)r;
	}
	close(fd);
	out[n] = '\0';
	cap_add(SRC_METRICS, out, n);
	return n;
}

TEST(prometheus)
{
	static char body[1 << 20];

	CHECK(http_get("/metrics", body, sizeof(body)) > 0);
	CHECK(strncmp(body, "HTTP/1.1 200 ", 13) == 0);
	CHECK(strstr(body, "\nsrtpfwd_sessions 3\n") != NULL);
	CHECK(http_get("/nope", body, sizeof(body)) > 0);
	CHECK(strncmp(body, "HTTP/1.1 404 ", 13) == 0);
	printf("  metrics: %zu bytes\n", CAP[SRC_METRICS].len);
}

/* The overlap held throughout: an old-key packet is still accepted, then
 * the sessions go. */
TEST(overlap_held_then_delete)
{
	struct counters cs;

	CHECK(exchange(0, 1, 0, 1));
	REQUIRE(stats(S[0], &cs) == 0);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.packets"), EXCHANGED + 1);
	CHECK_EQ(ctr(&cs, "leg0.srtp_in.auth_fail"), N_TAMPERED);
	CHECK_EQ(ctr(&cs, "leg1.srtp_in.auth_fail"), 0);
	for (unsigned int i = 0; i < 3; i++)
		CHECK_EQ(srtpfwd_ctl_delete(CTL, S[i]), 0);
	REQUIRE(stats(0, &cs) == 0);
	CHECK_EQ(ctr(&cs, "sessions"), 0);
	for (unsigned int k = 0; k < 2; k++) {
		srtp_dealloc(PA.tx[k]), srtp_dealloc(PA.rx[k]);
		srtp_dealloc(PB.tx[k]), srtp_dealloc(PB.rx[k]);
	}
	close(PA.fd);
	close(PB.fd);
}

/* ---- the scan ---- */

/* Forms of key @p k found in @p text: whole (key_scan) and 8-byte runs of
 * the key and of the salt (key_scan_runs). */
static unsigned int
leaks(const char *text, size_t len, const struct srtpfwd_ctl_key *k, char *scratch)
{
	return key_scan(text, len, k->key, k->key_len, k->salt, k->salt_len) +
	       key_scan_runs(text, len, k->key, k->key_len, scratch) +
	       key_scan_runs(text, len, k->salt, k->salt_len, scratch);
}

/* The scanner finds a key planted in @p src in each form: hex with
 * colons, upper case with spaces, base64 of key||salt one byte into a
 * group (SDES inline), 11 key bytes of a dump line ("0010: 0x4B ..."),
 * the raw salt. */
static void
check_scanner_finds(unsigned int src, const struct srtpfwd_ctl_key *k, char *scratch)
{
	size_t base = CAP[src].len;
	char s[256];
	uint8_t b[64] = {0};

	for (unsigned int form = 0; form < 5; form++) {
		size_t n;

		switch (form) {
		case 0: key_scan_hex(k->key, k->key_len, 0, ':', s); break;
		case 1: key_scan_hex(k->salt, k->salt_len, 1, ' ', s); break;
		case 2:
			memcpy(b + 1, k->key, k->key_len);
			memcpy(b + 1 + k->key_len, k->salt, k->salt_len);
			key_scan_b64_groups(b, 1u + k->key_len + k->salt_len, s);
			break;
		case 3:
			strcpy(s, "0010:");
			for (unsigned int i = 2; i < 13; i++)
				snprintf(s + strlen(s), sizeof(s) - strlen(s), " 0x%02X",
					 k->key[i]);
			break;
		default: break;
		}
		n = form == 4 ? k->salt_len : strlen(s);
		CAP[src].len = base;
		cap_add(src, form == 4 ? (const void *)k->salt : s, n);
		if (leaks(CAP[src].buf, CAP[src].len, k, scratch) == 0) {
			fprintf(stderr, "  %s: a key planted in form %u was not found\n",
				SRC_NAME[src], form);
			CHECK(0);
		}
	}
	CAP[src].len = base;
}

static void
check_nothing_printed(void)
{
	char *scratch;
	unsigned int total = 0;

	REQUIRE(N_KEYS > 40 || getenv("TEST_ONLY") != NULL);
	for (unsigned int src = 0; src < SRC_N; src++) {
		unsigned int found = 0;

		scratch = malloc(CAP[src].len + 1024);
		REQUIRE(scratch != NULL);
		printf("  %-12s %8zu bytes in %3u pieces", SRC_NAME[src], CAP[src].len,
		       CAP[src].pieces);
		if (CAP[src].len < SRC_MIN[src] && getenv("TEST_ONLY") == NULL) {
			fprintf(stderr, "  %s: %zu bytes, expected at least %zu\n", SRC_NAME[src],
				CAP[src].len, SRC_MIN[src]);
			CHECK(0);
		}
		for (unsigned int k = 0; k < N_KEYS; k++) {
			unsigned int f =
				CAP[src].len ? leaks(CAP[src].buf, CAP[src].len, &KEYS[k], scratch)
					     : 0;

			if (f != 0)
				fprintf(stderr, "  %s: key %u (suite %u) found in %u forms\n",
					SRC_NAME[src], k, KEYS[k].suite, f);
			found += f;
		}
		printf(", %u key forms found\n", found);
		CHECK_EQ(found, 0);
		total += found;
		if (CAP[src].len > 0 && N_KEYS > 0) { /* the first key and the last */
			check_scanner_finds(src, &KEYS[0], scratch);
			check_scanner_finds(src, &KEYS[N_KEYS - 1], scratch);
		}
		free(scratch);
	}
	printf("  %u keys and salts searched in %u sources: %u found\n", N_KEYS, SRC_N, total);
}

int
main(int argc, char **argv)
{
	int bad, st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: %s path/to/srtpfwd path/to/srtpfwd-ctl\n", argv[0]);
		return 2;
	}
	EXE = argv[1];
	CTL_EXE = argv[2];
	if (lab_skip_if_unable() != 0)
		return 77;
	if (access(EXE, X_OK) != 0 || access(CTL_EXE, X_OK) != 0) {
		fprintf(stderr, "%s, %s: not both executable\n", EXE, CTL_EXE);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	switch (lab_up("sko", 0)) {
	case 0: break;
	case 77:
		printf("skipped: cannot create network namespaces (\"ip netns add\")\n");
		return 77;
	default: fprintf(stderr, "could not build the namespaces and veths\n"); return 1;
	}
	lab_watchdog("test_key_output", WATCHDOG_S);
	/* the telemetry socket under the lab's directory; the metrics
	 * listener on the loopback of srtpfwd's namespace */
	setenv("RUNTIME_DIRECTORY", LAB.dir, 1);
	snprintf(TEL_PATH, sizeof(TEL_PATH), "%s/dpdk/%s/dpdk_telemetry.v2", LAB.dir,
		 LAB.file_prefix);
	if (lab_sh("ip -n %s link set lo up", LAB.ns[LAB_D]) != 0 || daemon_start() != 0 ||
	    daemon_wait_ready() != 0) {
		lab_daemon_log_tail(30);
		return 1;
	}
	bad = test_run_all();

	srtpfwd_ctl_close(CTL);
	st = lab_daemon_stop(10000);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	{
		static char log[8 << 20];
		size_t n = read_file(LAB.log, log, sizeof(log));

		cap_add(SRC_LOG, log, n);
		CHECK(strstr(log, "metrics on http://127.0.0.1:0/metrics") != NULL);
	}
	check_nothing_printed();
	explicit_bzero(KEYS, sizeof(KEYS));
	if (bad || test_failed_checks) {
		fprintf(stderr, "srtpfwd's output ended with:\n");
		lab_daemon_log_tail(40);
	}
	for (unsigned int src = 0; src < SRC_N; src++)
		free(CAP[src].buf);
	lab_down();
	if (test_failed_checks != 0 && bad == 0)
		printf("FAIL (checks after the tests)\n");
	return bad || test_failed_checks ? 1 : 0;
}
