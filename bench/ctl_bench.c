/* ctl_bench.c: control-plane throughput and latency, with the dataplane up.
 *
 * One process, as srtpfwd runs: a real EAL (--no-huge, lcores 0 and 1) with
 * two ethdev ports made of rings, daemon_start() with its worker on lcore 1,
 * and the main lcore as the control thread running daemon_poll() and
 * ctl_server_poll() in a loop, as control/main.c does (events scanned once a
 * second). The server listens on a unix socket and on TLS 1.3 at
 * 127.0.0.1 (certificates made at start with the openssl command in a
 * temporary directory: a CA, the server's with DNS:srtpfwd.bench, a client's
 * with DNS:client.bench, the only name allowed).
 *
 * The client is a pthread using libsrtpfwd-ctl. It keeps STABLE plain
 * sessions forwarding all along: it feeds their RTP into port 0's rx ring at
 * a bounded rate, drains both tx rings and answers the daemon's ARP
 * requests, so the worker forwards (counted per case) while requests run.
 * For each transport and session count it times, with DEPTH requests in
 * flight on one connection:
 *   create  n SESSION_CREATEs: two SRTP legs (AES_CM_128_HMAC_SHA1_80, a
 *           key in and out each: four key derivations), RTP + RTCP ports,
 *   rekey   n SESSION_UPDATEs, one per session: a new KEY_IN and KEY_OUT
 *           on one leg (legs alternate),
 *   delete  n SESSION_DELETEs.
 * Requests go out in batches (every request the window has room for, in one
 * write); the latency of a request is from the write that carried it to its
 * response being parsed. A request that is not answered OK (or not at all
 * within 30 s) fails the run with exit 1; after create and delete the
 * server's session count must be what it should.
 *
 * Local addresses: 8 per side (10.0.0.1-8 on port 0 for leg 0, 10.1.0.1-8
 * on port 1 for leg 1) in the default media port range 16384-32767: 8 x
 * 8192 RTP/RTCP pairs a side hold the 50,000 sessions.
 *
 * The table also gives the CPU time per request of the control thread and
 * of the client thread (they share lcore 0's CPU: the worker has the
 * other), this process's minor page faults per request, the frames the
 * worker forwarded during the case, and how much of the machine other
 * processes used meanwhile (it is shared; /proc/stat counts in 10 ms ticks,
 * so short cases read coarsely).
 *
 * Then the control thread's work is timed without a socket (keys_create,
 * decoding, sessions_create/delete, an RCU grace period, ctl_dispatch per
 * request), to say where the time goes.
 *
 * Output: the tables, then one line per case:
 *   ctl op=<create|rekey|delete> transport=<unix|tls> sessions=<n>
 *       rate_per_s=<n> p99_us=<n> p50_us=<n> max_us=<n> depth=<n>
 *       srv_cpu_us=<x> cli_cpu_us=<x> faults_per_req=<x> fwd_pkts=<n>
 *       others_cpu_pct=<n>
 *   ctl_direct what=<name> n=<n> us_per_op=<x> cpu_us_per_op=<x>
 *
 * Usage: ctl_bench [--quick] [--depth N]   (--quick: 1000 sessions a case)
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/clock_ms.h"
#include "control/ctl_events.h"
#include "control/ctl_dispatch.h"
#include "control/ctl_server.h"
#include "control/ctl_stats.h"
#include "control/daemon.h"
#include "control/keys.h"
#include "control/proto_session.h"
#include "control/srtpfwd_ctl.h"
#include "tests/pkt.h"
#include "tests/ring_ports.h"

#define STABLE 4 /* plain sessions forwarding throughout */
#define ADDRS_PER_SIDE 8
#define PORT_MIN 16384 /* srtpfwd's default media port range */
#define PORT_MAX 32767
#define DEPTH_MAX 256
#define REQ_MAX 512 /* bytes of one request, at most (a CREATE is ~330) */
#define SAMPLES_MAX 65536 /* latency samples per case */
#define FEED_PER_MS 20 /* frames fed per millisecond: 20 kpps over STABLE sessions */
#define RESP_WAIT_MS 30000 /* long enough under valgrind */
#define RING_SIZE 4096
#define RUN_LIMIT_S 900 /* the control loop gives up after this long */

static const uint8_t PEER_MAC[2][6] = {{2, 0, 0, 0, 0, 0x10}, {2, 0, 0, 0, 0, 0x11}};

static int QUICK;
static unsigned int DEPTH = 32;
static struct daemon *D;
static struct rte_ring *RX[2], *TX[2];
static uint16_t PORT[2];
static struct rte_ether_addr PMAC[2];
static struct rte_mempool *FEED_POOL;
static char UNIX_PATH[108], TLS_TARGET[64], CERT_DIR[64], CERT_FILE[5][128];
static int CLIENT_DONE; /* client thread -> control thread */
static clockid_t CTL_CLOCK; /* the control thread's CPU time */

enum op { OP_CREATE, OP_REKEY, OP_DELETE };
static const char *const op_name[] = {"create", "rekey", "delete"};

#define LINES_MAX 24
#define LINE_LEN 240
static char LINES[LINES_MAX][LINE_LEN];
static unsigned int N_LINES;

static void certs_remove(void);
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ctl_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	certs_remove(); /* and the unix socket in the same directory */
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
local_ip(unsigned int side, unsigned int k, uint8_t *a)
{
	memset(a, 0, 16);
	a[0] = 10, a[1] = (uint8_t)side, a[2] = 0, a[3] = (uint8_t)(k + 1);
}

static void
peer_ip(unsigned int side, uint8_t *a)
{
	local_ip(side, 99, a); /* 10.<side>.0.100 */
}

/* ---- certificates ---- */

static void
certs_make(void)
{
	static const char *const names[] = {"ca.pem", "server.pem", "server.key", "client.pem",
					    "client.key"};
	char cmd[2048];

	snprintf(CERT_DIR, sizeof(CERT_DIR), "/tmp/srtpfwd-ctl-bench.XXXXXX");
	if (mkdtemp(CERT_DIR) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'; "
		 "openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 "
		 "-subj /CN=srtpfwd-bench-ca; "
		 "for n in server:srtpfwd.bench client:client.bench; do r=${n%%%%:*}; "
		 "d=${n#*:}; openssl req $ec -keyout $r.key -out $r.csr -subj /CN=$d; "
		 "printf 'subjectAltName=DNS:%%s\\n' $d > $r.ext; "
		 "openssl x509 -req -in $r.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "-out $r.pem -days 2 -extfile $r.ext; done",
		 CERT_DIR);
	/* openssl's chatter to /dev/null; its errors say why in the exit code */
	if (snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " >/dev/null 2>&1") < 0 ||
	    system(cmd) != 0)
		die("making certificates with the openssl command in %s failed", CERT_DIR);
	for (unsigned int i = 0; i < RTE_DIM(names); i++)
		snprintf(CERT_FILE[i], sizeof(CERT_FILE[i]), "%s/%s", CERT_DIR, names[i]);
}

static void
certs_remove(void)
{
	char cmd[256];

	if (CERT_DIR[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/* && rmdir '%s'", CERT_DIR, CERT_DIR);
	if (system(cmd) != 0)
		fprintf(stderr, "ctl_bench: could not remove %s\n", CERT_DIR);
}

/* ---- traffic: the client thread feeds port 0, drains both ports ---- */

struct stable {
	uint8_t frame[256]; /* Ethernet, IPv4, UDP, 172 bytes of RTP */
	unsigned int len;
};
static struct stable ST[STABLE];
static uint64_t FEED_LAST_NS, FWD_PKTS, ARP_ANSWERED;

/* An ARP request from the daemon on port @p p: the peer answers it. */
static void
arp_answer(unsigned int p, const uint8_t *req)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(FEED_POOL);
	uint8_t *f;

	if (m == NULL || (f = (uint8_t *)rte_pktmbuf_append(m, 60)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(f, 0, 60);
	memcpy(f, req + 6, 6); /* to the asker */
	memcpy(f + 6, PEER_MAC[p], 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 2);
	memcpy(f + 22, PEER_MAC[p], 6);
	memcpy(f + 28, req + 38, 4); /* the address asked for is ours */
	memcpy(f + 32, req + 22, 6);
	memcpy(f + 38, req + 28, 4);
	m->port = PORT[p]; /* as a NIC's PMD sets it; net_ring does not */
	if (rte_ring_enqueue(RX[p], m) != 0)
		rte_pktmbuf_free(m);
	else
		ARP_ANSWERED++;
}

/* What the worker sent: media out of port 1 is counted, ARP requests are
 * answered, the rest freed. Bounded by the rings' sizes. */
static void
drain(void)
{
	for (unsigned int p = 0; p < 2; p++) {
		struct rte_mbuf *m[64];
		unsigned int n;

		for (unsigned int round = 0;
		     round < RING_SIZE / 64 &&
		     (n = rte_ring_dequeue_burst(TX[p], (void **)m, 64, NULL)) > 0;
		     round++) {
			for (unsigned int i = 0; i < n; i++) {
				const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);

				if (m[i]->data_len >= 42 && f[12] == 0x08 && f[13] == 0x06 &&
				    f[20] == 0 && f[21] == 1)
					arp_answer(p, f);
				else if (p == 1 && m[i]->data_len >= 42 && f[12] == 0x08 &&
					 f[13] == 0x00 && f[23] == 17)
					FWD_PKTS++;
			}
			rte_pktmbuf_free_bulk(m, n);
		}
	}
}

/* At most FEED_PER_MS frames a millisecond, spread over the stable sessions. */
static void
feed(void)
{
	uint64_t now = now_ns();
	struct rte_mbuf *m[FEED_PER_MS];
	unsigned int n;

	drain();
	if (now - FEED_LAST_NS < 1000000)
		return;
	FEED_LAST_NS = now;
	if (rte_pktmbuf_alloc_bulk(FEED_POOL, m, FEED_PER_MS) != 0)
		return;
	for (unsigned int i = 0; i < FEED_PER_MS; i++) {
		const struct stable *s = &ST[i % STABLE];

		memcpy(rte_pktmbuf_append(m[i], (uint16_t)s->len), s->frame, s->len);
		m[i]->port = PORT[0];
	}
	n = rte_ring_enqueue_burst(RX[0], (void **)m, FEED_PER_MS, NULL);
	if (n < FEED_PER_MS)
		rte_pktmbuf_free_bulk(m + n, FEED_PER_MS - n);
}

/* ---- requests ---- */

static void
key_of(struct srtpfwd_ctl_key *k, uint32_t seed)
{
	memset(k, 0, sizeof(*k));
	k->suite = 1; /* AES_CM_128_HMAC_SHA1_80 */
	k->key_len = 16;
	k->salt_len = 14;
	for (unsigned int b = 0; b < 16; b++)
		k->key[b] = (uint8_t)(seed * 131 + b * 17 + 1);
	for (unsigned int b = 0; b < 14; b++)
		k->salt[b] = (uint8_t)(seed * 29 + b * 5 + 7);
}

static void
bench_session(struct srtpfwd_ctl_session *s, uint32_t i)
{
	memset(s, 0, sizeof(*s));
	s->id = 1000000u + i;
	s->timeout_ms = 0; /* no media on these: they must not expire */
	for (unsigned int l = 0; l < 2; l++) {
		struct srtpfwd_ctl_leg *g = &s->leg[l];

		g->local_addr = (uint8_t)(l * ADDRS_PER_SIDE + i % ADDRS_PER_SIDE);
		peer_ip(l, g->remote_addr);
		g->remote_port = (uint16_t)(30000 + 10000 * l);
		g->flags = PROTO_LEG_SRTP; /* RTP and RTCP ports: 2 per leg */
		key_of(&g->in, i * 4 + l * 2);
		key_of(&g->out, i * 4 + l * 2 + 1);
	}
}

/* Request @p i of a case into @p buf, built by libsrtpfwd-ctl for
 * pipelining. */
static long
build(enum op op, uint32_t i, const uint32_t *slots, uint32_t id, uint8_t *buf, size_t cap)
{
	struct srtpfwd_ctl_session s;
	struct srtpfwd_ctl_update u;
	long n;

	switch (op) {
	case OP_CREATE:
		bench_session(&s, i);
		n = srtpfwd_ctl_build_create(buf, cap, id, &s);
		explicit_bzero(&s, sizeof(s));
		return n;
	case OP_REKEY:
		memset(&u, 0, sizeof(u));
		key_of(&u.in, 0x40000000u + i * 2);
		key_of(&u.out, 0x40000000u + i * 2 + 1);
		n = srtpfwd_ctl_build_update(buf, cap, id, slots[i], i & 1, &u);
		explicit_bzero(&u, sizeof(u));
		return n;
	case OP_DELETE: return srtpfwd_ctl_build_delete(buf, cap, id, slots[i]);
	}
	return -1;
}

/* An error response's text, for the failure message. */
static void
error_text(const uint8_t *msg, const struct proto_hdr *h, char *t, size_t len)
{
	struct proto_iter it;
	struct proto_attr_view a;

	snprintf(t, len, "%s", proto_status_name(h->status));
	proto_iter_init(&it, msg + PROTO_HDR_LEN, h->length - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1)
		if (a.type == PROTO_A_ERROR_TEXT)
			snprintf(t, len, "%s: %.*s", proto_status_name(h->status), (int)a.len,
				 a.val);
}

static void
count_sessions(void *ctx, const char *name, uint64_t value)
{
	if (strcmp(name, "sessions") == 0)
		*(uint64_t *)ctx = value;
}

static uint64_t
server_sessions(struct srtpfwd_ctl *c)
{
	uint64_t n = UINT64_MAX;

	if (srtpfwd_ctl_stats(c, 0, count_sessions, &n) != 0)
		die("STATS: %s", srtpfwd_ctl_error(c));
	return n;
}

struct result {
	double sec;
	uint64_t p50_ns, p99_ns, max_ns, fwd;
	double srv_us, cli_us; /* CPU time per request: control thread, client thread */
	double others_pct; /* CPU other processes took, % of the machine */
	double faults; /* minor page faults of this process, per request */
};

/* CPU time every process took (from /proc/stat) and this process took, in
 * ns: the difference over a case is what other work ran beside it (the
 * machine is shared). */
static void
machine_cpu(uint64_t *all_ns, uint64_t *self_ns, uint64_t *minflt)
{
	unsigned long long v[8] = {0};
	struct rusage ru;
	FILE *f = fopen("/proc/stat", "r");
	uint64_t busy;

	if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				&v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		memset(v, 0, sizeof(v));
	if (f != NULL)
		fclose(f);
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* all but idle and iowait */
	*all_ns = busy * (1000000000u / (uint64_t)sysconf(_SC_CLK_TCK));
	getrusage(RUSAGE_SELF, &ru);
	*minflt = (uint64_t)ru.ru_minflt;
	*self_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
		   ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static uint64_t
cpu_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t NEXT_ID = 1000;

/* n requests of @p op, DEPTH in flight; CREATE fills @p slots. */
static struct result
run_case(struct srtpfwd_ctl *c, enum op op, uint32_t n, uint32_t *slots)
{
	static uint8_t out[DEPTH_MAX * REQ_MAX], rsp[PROTO_MSG_MAX];
	static uint64_t samples[SAMPLES_MAX];
	const uint32_t stride = n / SAMPLES_MAX + 1, base = NEXT_ID;
	const uint8_t type = op == OP_CREATE  ? PROTO_MSG_SESSION_CREATE
			     : op == OP_REKEY ? PROTO_MSG_SESSION_UPDATE
					      : PROTO_MSG_SESSION_DELETE;
	uint64_t *sent = calloc(n, sizeof(*sent)), t0, fwd0 = FWD_PKTS;
	uint64_t srv0 = cpu_ns(CTL_CLOCK), cli0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID), all0, self0,
		 all1, self1, flt0, flt1;
	uint32_t next = 0, done = 0, n_samples = 0;
	struct result r;

	if (sent == NULL)
		die("out of memory");
	NEXT_ID += n;
	machine_cpu(&all0, &self0, &flt0);
	t0 = now_ns();
	while (done < n) {
		size_t off = 0;
		uint32_t first = next;
		uint64_t t;

		/* Every request the window has room for, in one write. */
		while (next - done < DEPTH && next < n) {
			long len = build(op, next, slots, base + next, out + off, REQ_MAX);

			if (len < 0)
				die("%s %u: request does not fit", op_name[op], next);
			off += (size_t)len;
			next++;
		}
		if (off != 0) {
			t = now_ns();
			for (uint32_t i = first; i < next; i++)
				sent[i] = t;
			if (srtpfwd_ctl_send(c, out, off) != 0)
				die("%s: send: %s", op_name[op], srtpfwd_ctl_error(c));
			explicit_bzero(out, off); /* keys */
		}
		/* One response (waiting for it), then whatever else has come. */
		for (int wait = RESP_WAIT_MS; done < n; wait = 0) {
			struct proto_hdr h;
			long len = srtpfwd_ctl_recv(c, rsp, sizeof(rsp), &h, wait);
			uint32_t i = h.request_id - base;
			char why[300];

			if (len < 0)
				die("%s: %s", op_name[op], srtpfwd_ctl_error(c));
			if (len == 0) {
				if (wait != 0)
					die("%s: no response within %d ms (%u of %u answered)",
					    op_name[op], RESP_WAIT_MS, done, n);
				break;
			}
			t = now_ns();
			if (h.type != type || i >= next || sent[i] == 0)
				die("%s: unexpected response (type 0x%02x, id %u)", op_name[op],
				    h.type, h.request_id);
			if (h.status != PROTO_ST_OK) {
				error_text(rsp, &h, why, sizeof(why));
				die("%s %u of %u refused: %s", op_name[op], i, n, why);
			}
			if (op == OP_CREATE && (slots[i] = srtpfwd_ctl_response_slot(rsp, &h)) == 0)
				die("create %u: response without a SLOT", i);
			if (i % stride == 0 && n_samples < SAMPLES_MAX)
				samples[n_samples++] = t - sent[i];
			sent[i] = 0;
			done++;
		}
		feed();
	}
	r.sec = (double)(now_ns() - t0) / 1e9;
	machine_cpu(&all1, &self1, &flt1);
	r.faults = (double)(flt1 - flt0) / n;
	r.others_pct = all1 - all0 > self1 - self0 ? (double)((all1 - all0) - (self1 - self0)) /
							     (r.sec * 1e9 * rte_lcore_count()) * 100
						   : 0;
	r.srv_us = (double)(cpu_ns(CTL_CLOCK) - srv0) / 1e3 / n;
	r.cli_us = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - cli0) / 1e3 / n;
	r.fwd = FWD_PKTS - fwd0;
	free(sent);
	qsort(samples, n_samples, sizeof(samples[0]), cmp_u64);
	r.p50_ns = samples[(n_samples - 1) / 2];
	r.p99_ns = samples[(uint64_t)(n_samples - 1) * 99 / 100];
	r.max_ns = samples[n_samples - 1];
	return r;
}

static void
report(enum op op, const char *transport, uint32_t n, const struct result *r)
{
	unsigned long rate = (unsigned long)((double)n / r->sec + 0.5);

	printf("%-7s %-9s %8u %5u %8.3f %10lu %8.0f %8.0f %8.0f %8.1f %8.1f %7.1f %9lu %7.0f\n",
	       op_name[op], transport, n, DEPTH, r->sec, rate, (double)r->p50_ns / 1e3,
	       (double)r->p99_ns / 1e3, (double)r->max_ns / 1e3, r->srv_us, r->cli_us, r->faults,
	       (unsigned long)r->fwd, r->others_pct);
	fflush(stdout);
	if (N_LINES < LINES_MAX)
		snprintf(LINES[N_LINES++], LINE_LEN,
			 "ctl op=%s transport=%s sessions=%u rate_per_s=%lu p99_us=%.0f "
			 "p50_us=%.0f max_us=%.0f depth=%u srv_cpu_us=%.1f cli_cpu_us=%.1f "
			 "faults_per_req=%.1f fwd_pkts=%lu others_cpu_pct=%.0f",
			 op_name[op], transport, n, rate, (double)r->p99_ns / 1e3,
			 (double)r->p50_ns / 1e3, (double)r->max_ns / 1e3, DEPTH, r->srv_us,
			 r->cli_us, r->faults, (unsigned long)r->fwd, r->others_pct);
}

/* Create, re-key and delete n sessions; the count checked in between. */
static void
run_size(struct srtpfwd_ctl *c, const char *transport, uint32_t n)
{
	uint32_t *slots = calloc(n, sizeof(*slots));
	struct result r;
	uint64_t have;

	if (slots == NULL)
		die("out of memory");
	r = run_case(c, OP_CREATE, n, slots);
	if ((have = server_sessions(c)) != STABLE + n)
		die("after %u creates the server has %lu sessions, not %u", n, (unsigned long)have,
		    STABLE + n);
	report(OP_CREATE, transport, n, &r);
	r = run_case(c, OP_REKEY, n, slots);
	report(OP_REKEY, transport, n, &r);
	r = run_case(c, OP_DELETE, n, slots);
	if ((have = server_sessions(c)) != STABLE)
		die("after %u deletes the server has %lu sessions, not %u", n, (unsigned long)have,
		    STABLE);
	report(OP_DELETE, transport, n, &r);
	free(slots);
}

/* The stable sessions (plain, rtcp-mux, on the first address of each
 * side), their frames, and traffic seen coming out before any case. */
static void
stable_setup(struct srtpfwd_ctl *c)
{
	uint64_t deadline;

	for (unsigned int k = 0; k < STABLE; k++) {
		struct srtpfwd_ctl_session s;
		uint8_t rtp[256], local[16], peer[16];
		uint16_t ports[2] = {0, 0};
		uint32_t slot;
		unsigned int n;

		memset(&s, 0, sizeof(s));
		s.id = k + 1;
		for (unsigned int l = 0; l < 2; l++) {
			s.leg[l].local_addr = (uint8_t)(l * ADDRS_PER_SIDE);
			s.leg[l].flags = PROTO_LEG_RTCP_MUX;
			peer_ip(l, s.leg[l].remote_addr);
			s.leg[l].remote_port = (uint16_t)(30000 + 10000 * l);
		}
		if (srtpfwd_ctl_create(c, &s, &slot, ports) != 0)
			die("stable session %u: %s", k, srtpfwd_ctl_error(c));
		n = build_rtp(rtp, 0x5eed0000u + k, 1, 0, 160, 0, -1, 0);
		local_ip(0, 0, local);
		peer_ip(0, peer);
		ST[k].len = udp_frame(ST[k].frame, PMAC[0].addr_bytes, PEER_MAC[0], 0, peer, local,
				      30000, ports[0], rtp, n);
	}
	/* Until the ARP exchange the first frames are held or dropped. */
	deadline = now_ns() + 30000000000u; /* valgrind is slow */
	while (FWD_PKTS < 100 && now_ns() < deadline) {
		feed();
		usleep(200);
	}
	if (FWD_PKTS < 100) {
		struct daemon_stats st;

		daemon_stats(D, &st);
		daemon_stats_print(&st, stderr);
		die("the stable sessions' media does not come out of port 1 (%lu frames, %lu ARP "
		    "answers)",
		    (unsigned long)FWD_PKTS, (unsigned long)ARP_ANSWERED);
	}
}

static void *
client_main(void *arg)
{
	static const uint32_t unix_full[] = {10000, 50000}, tls_full[] = {10000},
			      unix_quick[] = {1000}, tls_quick[] = {1000};
	const struct srtpfwd_ctl_tls tls = {.ca_file = CERT_FILE[0],
					    .cert_file = CERT_FILE[3],
					    .key_file = CERT_FILE[4],
					    .server_name = "srtpfwd.bench"};
	struct srtpfwd_ctl *c;
	char err[256];

	(void)arg;
	c = srtpfwd_ctl_connect(UNIX_PATH, NULL, RESP_WAIT_MS, err, sizeof(err));
	if (c == NULL)
		die("unix connect: %s", err);
	stable_setup(c);
	for (unsigned int i = 0; i < (QUICK ? RTE_DIM(unix_quick) : RTE_DIM(unix_full)); i++)
		run_size(c, "unix", QUICK ? unix_quick[i] : unix_full[i]);
	srtpfwd_ctl_close(c);

	c = srtpfwd_ctl_connect(TLS_TARGET, &tls, RESP_WAIT_MS, err, sizeof(err));
	if (c == NULL)
		die("TLS connect: %s", err);
	for (unsigned int i = 0; i < (QUICK ? RTE_DIM(tls_quick) : RTE_DIM(tls_full)); i++)
		run_size(c, "tls", QUICK ? tls_quick[i] : tls_full[i]);
	srtpfwd_ctl_close(c);
	__atomic_store_n(&CLIENT_DONE, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- where the control thread's time goes: the same work, no socket ---- */

/* A timed stretch of the control thread: wall time and its own CPU time
 * (the difference is time it was not running: preempted, or page faults
 * the hypervisor served). */
struct span {
	uint64_t wall, cpu;
};

static struct span
span_begin(void)
{
	return (struct span){now_ns(), cpu_ns(CLOCK_THREAD_CPUTIME_ID)};
}

static void
direct_line(const char *what, const char *text, uint32_t n, struct span s)
{
	double wall = (double)(now_ns() - s.wall) / 1e3 / n,
	       cpu = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - s.cpu) / 1e3 / n;

	printf("  %-20s %-44s %8.2f %8.2f\n", what, text, wall, cpu);
	if (N_LINES < LINES_MAX)
		snprintf(LINES[N_LINES++], LINE_LEN,
			 "ctl_direct what=%s n=%u us_per_op=%.2f cpu_us_per_op=%.2f", what, n, wall,
			 cpu);
}

/* Run on the control thread while the worker runs, each step over n items
 * (keys: 4n) timed as a whole: key objects made (the 4 of a session), CREATE
 * messages decoded, sessions made with sessions_create() from them and
 * deleted with sessions_delete(), RCU grace periods alone, then CREATE,
 * UPDATE and DELETE messages through ctl_dispatch() (what the server does
 * between reading a request and queueing its response). */
static void
direct_profile(uint32_t n)
{
	struct sessions *ss = daemon_sessions(D);
	const struct ctl_env env = {.ss = ss};
	struct ctl_conn conn = {.version = PROTO_VERSION, .event_mask = 0};
	uint8_t *msgs = malloc((size_t)n * REQ_MAX), *rsp = malloc(PROTO_MSG_MAX);
	uint32_t *slots = calloc(n, sizeof(*slots));
	struct session_params *sp = calloc(n, sizeof(*sp));
	struct srtpfwd_ctl_key *keys = calloc(4 * (size_t)n, sizeof(*keys));
	struct srtp_keys **made = calloc(4 * (size_t)n, sizeof(*made));
	struct rte_rcu_qsbr *rcu = daemon_worker(D, 0)->rcu;
	IMB_MGR *mgr = alloc_mb_mgr(0);
	struct proto_error e;
	struct span t;
	char err[256];
	int close_after;

	if (msgs == NULL || rsp == NULL || slots == NULL || sp == NULL || keys == NULL ||
	    made == NULL || mgr == NULL)
		die("out of memory");
	init_mb_mgr_auto(mgr, NULL);
	printf("\nthe control thread's work without a socket, worker running:\n");
	printf("  %-20s %-44s %8s %8s\n", "what", "", "wall us", "cpu us");

	for (uint32_t i = 0; i < 4 * n; i++)
		key_of(&keys[i], i);
	t = span_begin();
	for (uint32_t i = 0; i < 4 * n; i++)
		if ((made[i] = keys_create(mgr, SUITE_AES_CM_128_HMAC_SHA1_80, keys[i].key, 16,
					   keys[i].salt, 14, NULL, 0, err, sizeof(err))) == NULL)
			die("keys_create: %s", err);
	direct_line("keys_create", "a key: RFC 3711 KDF, ipsec-mb expansion", 4 * n, t);
	for (uint32_t i = 0; i < 4 * n; i++)
		keys_destroy(made[i]);
	explicit_bzero(keys, 4 * (size_t)n * sizeof(*keys));

	for (uint32_t i = 0; i < n; i++)
		if (build(OP_CREATE, i, NULL, i + 1, msgs + (size_t)i * REQ_MAX, REQ_MAX) < 0)
			die("build");
	t = span_begin();
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *m = msgs + (size_t)i * REQ_MAX;

		if (proto_decode_create(m + PROTO_HDR_LEN, proto_rd32(m + 4) - PROTO_HDR_LEN,
					&sp[i], &e) != 0)
			die("decode: %s", e.text);
	}
	direct_line("proto_decode_create", "CREATE attributes to session_params", n, t);
	t = span_begin();
	for (uint32_t i = 0; i < n; i++)
		if (sessions_create(ss, &sp[i], &slots[i], err, sizeof(err)) != 0)
			die("sessions_create: %s", err);
	direct_line("sessions_create", "4 keys, 4 ports, 2 next-hop refs, publish", n, t);
	explicit_bzero(sp, (size_t)n * sizeof(*sp));
	t = span_begin();
	for (uint32_t i = 0; i < n; i++)
		if (sessions_delete(ss, slots[i]) != 0)
			die("sessions_delete %u", slots[i]);
	direct_line("sessions_delete", "unpublish, RCU wait, zero and free 4 keys", n, t);
	t = span_begin();
	for (uint32_t i = 0; i < n; i++)
		rte_rcu_qsbr_synchronize(rcu, RTE_QSBR_THRID_INVALID);
	direct_line("rcu_synchronize", "a grace period: the worker's next loop", n, t);

	for (unsigned int o = OP_CREATE; o <= OP_DELETE; o++) {
		static const char *const name[] = {"dispatch_create", "dispatch_rekey",
						   "dispatch_delete"};
		static const char *const text[] = {"ctl_dispatch: decode, sessions_create",
						   "ctl_dispatch: 2 keys, RCU wait, 2 freed",
						   "ctl_dispatch: decode, sessions_delete"};
		static long len[1];

		for (uint32_t i = 0; i < n; i++)
			if (build((enum op)o, i, slots, i + 1, msgs + (size_t)i * REQ_MAX,
				  REQ_MAX) < 0)
				die("build");
		t = span_begin();
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *m = msgs + (size_t)i * REQ_MAX;
			uint8_t *out = o == OP_CREATE ? rsp + (size_t)(i % 512) * 128 : rsp;
			struct proto_hdr h;

			/* CREATE responses are kept (512 at a time) for their slots */
			len[0] = ctl_dispatch(&conn, &env, m, proto_rd32(m + 4), out, 128,
					      &close_after);
			if (len[0] < 0 ||
			    proto_hdr_parse(out, (size_t)len[0], &h, err, sizeof(err)) != 0)
				die("%s: no response", name[o]);
			if (h.status != PROTO_ST_OK) {
				error_text(out, &h, err, sizeof(err));
				die("%s %u: %s", name[o], i, err);
			}
			if (o == OP_CREATE)
				slots[i] = srtpfwd_ctl_response_slot(out, &h);
		}
		direct_line(name[o], text[o], n, t);
	}
	if (sessions_count(ss) != STABLE)
		die("direct: %u sessions left, not %u", sessions_count(ss), STABLE);
	explicit_bzero(msgs, (size_t)n * REQ_MAX);
	free_mb_mgr(mgr);
	free(msgs);
	free(rsp);
	free(slots);
	free(sp);
	free(keys);
	free(made);
}

/* ---- set-up ---- */

static int
eal_init(void)
{
	static char args[12][48];
	static const char *const a[] = {"ctl_bench",
					"--no-huge",
					"--no-pci",
					"--no-shconf",
					"-m",
					"512",
					"-l",
					"0,1",
					"--log-level",
					"*:warning",
					"--file-prefix=srtpfwd_ctl_bench"};
	char *argv[12];

	for (unsigned int i = 0; i < RTE_DIM(a); i++) {
		snprintf(args[i], sizeof(args[i]), "%s", a[i]);
		argv[i] = args[i];
	}
	return rte_eal_init((int)RTE_DIM(a), argv);
}

/* Two ring ports, not started: daemon_start() configures and starts them. */
static void
ports_make(struct daemon_config *cfg)
{
	for (unsigned int p = 0; p < 2; p++) {
		char name[32];
		int id;

		snprintf(name, sizeof(name), "ctlrx%u", p);
		RX[p] = rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ctltx%u", p);
		TX[p] = rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (RX[p] == NULL || TX[p] == NULL)
			die("rings");
		snprintf(name, sizeof(name), "ctl%u", p);
		id = rte_eth_from_rings(name, &RX[p], 1, &TX[p], 1, 0);
		if (id < 0)
			die("ring port %s", name);
		PORT[p] = (uint16_t)id;
		if (rte_eth_dev_get_name_by_port(PORT[p], cfg->ports[p].dev) != 0)
			die("ring port %u: no name", PORT[p]);
		rte_eth_macaddr_get(PORT[p], &PMAC[p]);
	}
	cfg->n_ports = 2;
}

int
main(int argc, char **argv)
{
	struct daemon_config cfg;
	struct ctl_server_config sc;
	struct ctl_stats_src stats_src = {0}; /* no metrics or telemetry here */
	struct ctl_server *srv;
	struct ctl_events *events;
	struct ctl_env env;
	struct daemon_stats st;
	pthread_t th;
	char err[256];
	time_t start;
	uint64_t loops0, poll_max = 0, scan_max = 0;
	unsigned int scans = 0, passes = 0;
	int r;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			QUICK = 1;
		} else if (strcmp(argv[a], "--depth") == 0 && a + 1 < argc) {
			DEPTH = (unsigned int)strtoul(argv[++a], NULL, 10);
			if (DEPTH == 0 || DEPTH > DEPTH_MAX)
				die("--depth: 1..%d", DEPTH_MAX);
		} else {
			fprintf(stderr, "usage: ctl_bench [--quick] [--depth N]\n");
			return 2;
		}
	}
	certs_make();
	if (eal_init() < 0)
		die("EAL init failed (needs two lcores: -l 0,1)");
	if (rte_lcore_count() < 2)
		die("needs two lcores: the control thread and a worker");
	FEED_POOL = rte_pktmbuf_pool_create("ctl_feed", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (FEED_POOL == NULL)
		die("mbuf pool");

	memset(&cfg, 0, sizeof(cfg));
	ports_make(&cfg);
	cfg.n_addrs = 2 * ADDRS_PER_SIDE;
	for (unsigned int side = 0; side < 2; side++)
		for (unsigned int k = 0; k < ADDRS_PER_SIDE; k++) {
			struct daemon_addr *a = &cfg.addrs[side * ADDRS_PER_SIDE + k];

			a->port = (uint8_t)side;
			local_ip(side, k, a->addr);
			a->route.prefix_len = 24;
		}
	cfg.port_min = PORT_MIN;
	cfg.port_max = PORT_MAX;
	cfg.max_sessions = STABLE + (QUICK ? 1000 : 50000);
	cfg.max_workers = 1;
	D = daemon_start(&cfg, err, sizeof(err));
	if (D == NULL)
		die("%s", err);

	memset(&sc, 0, sizeof(sc));
	snprintf(UNIX_PATH, sizeof(UNIX_PATH), "%s/ctl.sock", CERT_DIR);
	sc.unix_path = UNIX_PATH;
	sc.tls_listen = "127.0.0.1:0";
	sc.tls.ca_file = CERT_FILE[0];
	sc.tls.cert_file = CERT_FILE[1];
	sc.tls.key_file = CERT_FILE[2];
	sc.tls.allowed_names[0] = "client.bench";
	sc.tls.n_allowed = 1;
	/* The cut-offs are not measured here; under valgrind the defaults
	 * (5-10 s) cut the client off. */
	sc.handshake_ms = sc.message_ms = sc.stall_ms = 60000;
	stats_src.d = D;
	stats_src.srv = NULL;
	env = (struct ctl_env){
		.ss = daemon_sessions(D), .stats = ctl_stats_put, .stats_arg = &stats_src};
	srv = ctl_server_new(&sc, &env, err, sizeof(err));
	if (srv == NULL)
		die("%s", err);
	stats_src.srv = srv;
	events = ctl_events_new(daemon_sessions(D), srv);
	if (events == NULL)
		die("out of memory");
	daemon_on_expire(D, ctl_events_timeout, events);
	snprintf(TLS_TARGET, sizeof(TLS_TARGET), "127.0.0.1:%u", ctl_server_tls_port(srv));

	printf("srtpfwd ctl_bench: one connection, %u requests in flight, one worker on lcore 1 "
	       "forwarding %u plain sessions at %u kpps; sessions with two SRTP legs "
	       "(AES_CM_128_HMAC_SHA1_80), RTP and RTCP ports\n\n",
	       DEPTH, STABLE, FEED_PER_MS);
	printf("(srv cpu, cli cpu: us of CPU per request on the control and client threads; "
	       "faults: minor page faults per request; fwd pkts: frames the worker forwarded "
	       "during the case; others: %% of the machine's CPU other processes used)\n\n");
	printf("%-7s %-9s %8s %5s %8s %10s %8s %8s %8s %8s %8s %7s %9s %7s\n", "op", "transport",
	       "sessions", "depth", "seconds", "rate/s", "p50 us", "p99 us", "max us", "srv cpu",
	       "cli cpu", "faults", "fwd pkts", "others");
	fflush(stdout);
	if (pthread_getcpuclockid(pthread_self(), &CTL_CLOCK) != 0)
		die("no CPU clock for the control thread");
	loops0 = __atomic_load_n(&daemon_worker(D, 0)->stats.loops, __ATOMIC_RELAXED);
	if (pthread_create(&th, NULL, client_main, NULL) != 0)
		die("client thread");

	/* The control thread, as control/main.c runs it. */
	start = time(NULL);
	while (!__atomic_load_n(&CLIENT_DONE, __ATOMIC_ACQUIRE)) {
		uint64_t t = now_ns();
		unsigned int busy = daemon_poll(D);

		/* the periodic work (expiry and events scans) is timed: it
		 * holds every request up while it runs */
		t = now_ns() - t;
		poll_max = RTE_MAX(poll_max, t);
		ctl_server_poll(srv, busy ? 0 : 1);
		/* as control/main.c: a slice of the events scan when due */
		t = now_ns();
		r = ctl_events_poll(events, clock_ms());
		t = now_ns() - t;
		if (r != 0) {
			scan_max = RTE_MAX(scan_max, t);
			scans++;
			passes += r == 2;
		}
		if (time(NULL) - start > RUN_LIMIT_S)
			die("not done after %d s", RUN_LIMIT_S);
	}
	pthread_join(th, NULL);
	if (__atomic_load_n(&daemon_worker(D, 0)->stats.loops, __ATOMIC_RELAXED) == loops0)
		die("the worker loop did not run");
	printf("\ncontrol loop: longest daemon_poll() %.2f ms; ctl_events_poll() slices %u "
	       "(%u whole passes), the longest %.2f ms\n",
	       (double)poll_max / 1e6, scans, passes, (double)scan_max / 1e6);
	direct_profile(QUICK ? 1000 : 10000);
	ctl_events_free(events);
	ctl_server_free(srv);
	daemon_stop_workers(D);
	daemon_stats(D, &st);
	printf("\nworker: %lu loops, rx %lu, tx %lu; %lu frames forwarded to port 1 seen, %lu ARP "
	       "requests answered\n\n",
	       (unsigned long)(st.total.loops - loops0), (unsigned long)st.total.rx,
	       (unsigned long)st.total.tx, (unsigned long)FWD_PKTS, (unsigned long)ARP_ANSWERED);
	for (unsigned int k = 0; k < N_LINES; k++)
		printf("%s\n", LINES[k]);
	daemon_stop(D);
	rte_eal_cleanup();
	certs_remove();
	return 0;
}
