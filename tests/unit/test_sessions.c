/* test_sessions.c: the sessions API (control/sessions.c) without EAL.
 *
 *   - the configuration: ports 20000..20019 (small enough to exhaust),
 *     local addresses 192.0.2.10 and 2001:db8::10 on DPDK port 0, at most
 *     4 sessions; key derivation on an ipsec-mb manager of a test worker;
 *   - validation: every refused request returns -EINVAL, names the leg and
 *     the field in its message, changes neither the count nor a single
 *     table entry nor the slot handed out next;
 *   - no message ever carries key or salt bytes (raw, or as hex);
 *   - creation: even ports in range, distinct per address, entries at
 *     port (and port + 1 with the RTCP bit without rtcp-mux), explicit
 *     ports, ports in use, the session as requested, its key objects;
 *   - the real parse_burst() + lookup_burst() find the session, and stop
 *     finding it once deleted;
 *   - exhaustion of slots and ports, and reuse after delete;
 *   - delete: -ENOENT cases, slot zeroed, entries cleared;
 *   - update_leg and end_overlap: errors, re-key overlap, remote;
 *   - RCU: a worker thread on a QSBR variable in plain memory; delete and
 *     re-key wait for it, and never zero what it may still be reading;
 *   - sessions_free with live sessions (ASan: no leak).
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "../csum.h"
#include "../test.h"
#include "../engine.h"

#include "control/sessions.h"
#include "dataplane/lookup.h"
#include "dataplane/parse.h"
#include "dataplane/stats.h"

#define PORT_MIN 20000
#define PORT_MAX 20019
#define N_PORTS (PORT_MAX - PORT_MIN + 1)
#define N_ADDRS 2
#define N_ENTRIES (N_ADDRS * N_PORTS)
#define MAX_SESS 4

#define A_V4 0
#define A_V6 1

static struct worker *W;

static const uint8_t ip4_local[4] = {192, 0, 2, 10};
static const uint8_t ip6_local[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				      0,    0,	  0,	0,    0, 0, 0, 0x10};
static const uint8_t ip4_peer[4] = {198, 51, 100, 2};
static const uint8_t ip6_peer[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static char err[256];

/* ---- setup ---- */

static void
config(struct sessions_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port_min = PORT_MIN;
	c->port_max = PORT_MAX;
	c->n_addrs = N_ADDRS;
	c->addrs[A_V4].ip6 = 0;
	c->addrs[A_V4].port_id = 0;
	memcpy(c->addrs[A_V4].addr, ip4_local, 4);
	c->addrs[A_V6].ip6 = 1;
	c->addrs[A_V6].port_id = 0;
	memcpy(c->addrs[A_V6].addr, ip6_local, 16);
	c->max_sessions = MAX_SESS;
}

static struct sessions *
new_ss(struct rte_rcu_qsbr *rcu)
{
	struct sessions_config c;
	struct sessions *ss;

	config(&c);
	ss = sessions_new(&c, rcu, W->crypto.mgr, err, sizeof(err));
	if (ss == NULL) {
		fprintf(stderr, "sessions_new: %s\n", err);
		abort();
	}
	return ss;
}

/* A key for @p suite made up from @p seed, with an MKI of @p mki_len. */
static void
dkeys(struct dir_keys *k, enum suite suite, uint8_t seed, uint8_t mki_len)
{
	memset(k, 0, sizeof(*k));
	k->present = 1;
	k->suite = (uint8_t)suite;
	k->key_len = suites[suite].key_len;
	k->salt_len = suites[suite].salt_len;
	k->mki_len = mki_len;
	engine_fill_key(suite, k->key, k->salt, seed);
	for (unsigned int i = 0; i < mki_len && i < SRTP_MKI_MAX; i++)
		k->mki[i] = (uint8_t)(0xa0 + i);
}

static void
leg_plain(struct leg_params *l, uint8_t addr, uint8_t flags)
{
	memset(l, 0, sizeof(*l));
	l->local_addr = addr;
	l->flags = flags;
	l->dscp = 46;
	l->remote.ip6 = addr == A_V6;
	l->remote.port = 30000;
	memcpy(l->remote.addr, addr == A_V6 ? ip6_peer : ip4_peer, addr == A_V6 ? 16 : 4);
}

static void
leg_srtp(struct leg_params *l, uint8_t addr, uint8_t flags, enum suite suite, uint8_t seed)
{
	leg_plain(l, addr, (uint8_t)(flags | LEG_SRTP));
	dkeys(&l->in, suite, seed, 0);
	dkeys(&l->out, suite, (uint8_t)(seed + 1), 0);
}

/* A valid request: leg 0 SRTP on IPv4 without rtcp-mux, leg 1 SRTP on
 * IPv6 with rtcp-mux. */
static void
params_ok(struct session_params *p)
{
	memset(p, 0, sizeof(*p));
	p->id = 77;
	leg_srtp(&p->leg[0], A_V4, 0, SUITE_AES_CM_128_HMAC_SHA1_80, 10);
	leg_srtp(&p->leg[1], A_V6, LEG_RTCP_MUX, SUITE_AEAD_AES_128_GCM, 20);
}

/* ---- error messages carry no key bytes ---- */

static void
hex(char *out, const uint8_t *b, size_t n, int upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *d = upper ? up : lo;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* Does @p msg hold @p b (any 6-byte run of it, or all of it when shorter),
 * raw or as lower/upper-case hex? */
static int
leaks(const char *msg, const uint8_t *b, size_t n)
{
	const size_t w = 6;
	char h[2 * SRTP_KEY_MAX + 1];
	size_t ml = strlen(msg);

	if (n == 0)
		return 0;
	for (size_t o = 0; o + (n < w ? n : w) <= n; o++) {
		size_t len = n < w ? n : w;

		if (memmem(msg, ml, b + o, len) != NULL)
			return 1;
		for (int up = 0; up < 2; up++) {
			hex(h, b + o, len, up);
			if (strstr(msg, h) != NULL)
				return 1;
		}
	}
	return 0;
}

static int
dir_leaks(const char *msg, const struct dir_keys *k)
{
	size_t kl = k->key_len > SRTP_KEY_MAX ? SRTP_KEY_MAX : k->key_len;
	size_t sl = k->salt_len > SRTP_SALT_MAX ? SRTP_SALT_MAX : k->salt_len;

	/* the whole buffers too: a wrong length must not print what is there */
	return leaks(msg, k->key, kl) || leaks(msg, k->salt, sl) ||
	       leaks(msg, k->key, SRTP_KEY_MAX) || leaks(msg, k->salt, SRTP_SALT_MAX);
}

static int
params_leak(const char *msg, const struct session_params *p)
{
	for (unsigned int l = 0; l < 2; l++)
		if (dir_leaks(msg, &p->leg[l].in) || dir_leaks(msg, &p->leg[l].out))
			return 1;
	return 0;
}

/* ---- table snapshots ---- */

static uint32_t snap[N_ENTRIES];

static void
snapshot(const struct sessions *ss)
{
	memcpy(snap, sessions_table(ss)->entries, sizeof(snap));
}

static int
unchanged(const struct sessions *ss)
{
	return memcmp(snap, sessions_table(ss)->entries, sizeof(snap)) == 0;
}

static uint32_t
entry(const struct sessions *ss, unsigned int addr, uint16_t port)
{
	return *session_entry_at(sessions_table(ss), addr, port);
}

static unsigned int
n_nonzero(const struct sessions *ss)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < N_ENTRIES; i++)
		n += sessions_table(ss)->entries[i] != 0;
	return n;
}

/* The entries a live leg must have. */
static int
leg_published(const struct sessions *ss, uint32_t slot, unsigned int l)
{
	const struct leg *g = &sessions_get(ss, slot)->leg[l];

	if (entry(ss, g->local_addr, g->local_port) != session_entry(slot, l, 0))
		return 0;
	if (g->flags & LEG_RTCP_MUX)
		return 1;
	return g->local_port < PORT_MAX &&
	       entry(ss, g->local_addr, (uint16_t)(g->local_port + 1)) == session_entry(slot, l, 1);
}

/* ---- create expecting a refusal ---- */

/* Create @p p expecting @p rc; the message must hold @p w1 and @p w2 and
 * no key bytes; nothing may change. */
static void
refuse_(int line, struct sessions *ss, const struct session_params *p, int rc, const char *w1,
	const char *w2)
{
	uint32_t slot = 0xdeadbeef, before = sessions_count(ss);
	int r;

	snapshot(ss);
	memset(err, 0, sizeof(err));
	r = sessions_create(ss, p, &slot, err, sizeof(err));
	test_checks += 6;
	if (r != rc) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: create returned %d, expected %d (%s)\n", __FILE__, line, r,
			rc, err);
		if (r == 0)
			sessions_delete(ss, slot);
		return;
	}
	if (slot != 0xdeadbeef) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: slot written on error\n", __FILE__, line);
	}
	if (sessions_count(ss) != before || !unchanged(ss)) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: refused create changed the count or the table\n", __FILE__,
			line);
	}
	if (w1 != NULL && strstr(err, w1) == NULL) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, err, w1);
	}
	if (w2 != NULL && strstr(err, w2) == NULL) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, err, w2);
	}
	if (params_leak(err, p)) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: message \"%s\" carries key bytes\n", __FILE__, line, err);
	}
	if (err[0] == 0) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: empty message\n", __FILE__, line);
	}
}
#define refuse(ss, p, rc, w1, w2) refuse_(__LINE__, ss, p, rc, w1, w2)

static int
create(struct sessions *ss, const struct session_params *p, uint32_t *slot)
{
	int r;

	memset(err, 0, sizeof(err));
	r = sessions_create(ss, p, slot, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "create: %d %s\n", r, err);
	return r;
}

/* ---- sessions_new ---- */

TEST(new_bad_config)
{
	struct sessions_config c;

	config(&c);
	c.port_min = 0;
	CHECK(sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "port range") != NULL);
	config(&c);
	c.port_max = c.port_min;
	CHECK(sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err)) == NULL);
	config(&c);
	c.n_addrs = 0;
	CHECK(sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "local addresses") != NULL);
	config(&c);
	c.n_addrs = LOCAL_ADDR_MAX + 1;
	CHECK(sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err)) == NULL);
	config(&c);
	c.max_sessions = 0;
	CHECK(sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "max sessions") != NULL);
	sessions_free(NULL);
}

TEST(new_empty)
{
	struct sessions *ss = new_ss(NULL);
	const struct session_table *t = sessions_table(ss);

	CHECK_EQ(sessions_count(ss), 0);
	CHECK_EQ(t->port_min, PORT_MIN);
	CHECK_EQ(t->port_max, PORT_MAX);
	CHECK_EQ(t->n_addrs, N_ADDRS);
	CHECK_EQ(t->pool_size, MAX_SESS + 1);
	CHECK_EQ(n_nonzero(ss), 0);
	CHECK(sessions_get(ss, 0) == NULL);
	CHECK(sessions_get(ss, 1) == NULL);
	CHECK(sessions_get(ss, MAX_SESS + 1) == NULL);
	CHECK(sessions_get(ss, UINT32_MAX) == NULL);
	sessions_free(ss);
}

/* ---- validation ---- */

TEST(validation)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s1, s2;

	/* one live session, so "unchanged" covers a non-empty table */
	params_ok(&p);
	REQUIRE(create(ss, &p, &s1) == 0);
	CHECK_EQ(s1, 1);

	params_ok(&p);
	p.leg[1].local_addr = N_ADDRS;
	refuse(ss, &p, -EINVAL, "leg 1", "local address");
	p.leg[1].local_addr = 255;
	refuse(ss, &p, -EINVAL, "leg 1", "local address");

	params_ok(&p);
	p.leg[0].flags |= 0x10;
	refuse(ss, &p, -EINVAL, "leg 0", "flags");
	params_ok(&p);
	p.leg[1].flags |= 0x80;
	refuse(ss, &p, -EINVAL, "leg 1", "flags");

	params_ok(&p);
	p.leg[0].flags |= LEG_PASSTHROUGH;
	refuse(ss, &p, -EINVAL, "leg 0", "passthrough");

	/* passthrough facing SRTP, in either order */
	params_ok(&p);
	leg_plain(&p.leg[1], A_V6, LEG_PASSTHROUGH);
	refuse(ss, &p, -EINVAL, "leg 1", "passthrough");
	params_ok(&p);
	leg_plain(&p.leg[0], A_V4, LEG_PASSTHROUGH);
	refuse(ss, &p, -EINVAL, "leg 0", "passthrough");

	params_ok(&p);
	p.leg[0].dscp = 64;
	refuse(ss, &p, -EINVAL, "leg 0", "DSCP");
	p.leg[0].dscp = 255;
	refuse(ss, &p, -EINVAL, "leg 0", "DSCP");

	params_ok(&p);
	p.leg[1].remote.port = 0;
	refuse(ss, &p, -EINVAL, "leg 1", "remote");
	params_ok(&p);
	p.leg[0].remote.ip6 = 2;
	refuse(ss, &p, -EINVAL, "leg 0", "remote");

	params_ok(&p);
	p.leg[0].local_port = PORT_MIN - 1;
	refuse(ss, &p, -EINVAL, "leg 0", "local port");
	p.leg[0].local_port = PORT_MAX + 1;
	refuse(ss, &p, -EINVAL, "leg 0", "local port");
	p.leg[0].local_port = 1;
	refuse(ss, &p, -EINVAL, "leg 0", "local port");
	/* RTCP would need PORT_MAX + 1 */
	p.leg[0].local_port = PORT_MAX;
	refuse(ss, &p, -EINVAL, "leg 0", "local port");
	CHECK(strstr(err, "RTCP") != NULL);

	/* SRTP without one of its keys */
	params_ok(&p);
	p.leg[0].in.present = 0;
	refuse(ss, &p, -EINVAL, "leg 0", "key");
	params_ok(&p);
	p.leg[1].out.present = 0;
	refuse(ss, &p, -EINVAL, "leg 1", "key");

	/* key length wrong for the suite: 15 for AES_CM_128, 16 for AES_256 */
	params_ok(&p);
	p.leg[0].in.key_len = 15;
	refuse(ss, &p, -EINVAL, "leg 0", "inbound key");
	params_ok(&p);
	p.leg[0].out.suite = SUITE_AES_256_CM_HMAC_SHA1_80;
	refuse(ss, &p, -EINVAL, "leg 0", "outbound key");
	params_ok(&p);
	p.leg[0].out.key_len = 33;
	refuse(ss, &p, -EINVAL, "leg 0", "outbound key");
	/* salt length wrong */
	params_ok(&p);
	p.leg[0].in.salt_len = 12;
	refuse(ss, &p, -EINVAL, "leg 0", "salt");
	/* GCM with a 14-byte salt */
	params_ok(&p);
	p.leg[1].in.salt_len = 14;
	refuse(ss, &p, -EINVAL, "leg 1", "salt");
	CHECK(strstr(err, "inbound") != NULL);
	/* unknown suite */
	params_ok(&p);
	p.leg[1].out.suite = SUITE_MAX;
	refuse(ss, &p, -EINVAL, "leg 1", "suite");
	CHECK(strstr(err, "outbound") != NULL);
	p.leg[1].out.suite = 255;
	refuse(ss, &p, -EINVAL, "leg 1", "suite");
	/* MKI too long */
	params_ok(&p);
	p.leg[0].in.mki_len = SRTP_MKI_MAX + 1;
	refuse(ss, &p, -EINVAL, "leg 0", "MKI");
	/* keys on a leg that is not SRTP */
	params_ok(&p);
	p.leg[1].flags &= (uint8_t)~LEG_SRTP;
	refuse(ss, &p, -EINVAL, "leg 1", "key");
	params_ok(&p);
	leg_plain(&p.leg[0], A_V4, 0);
	dkeys(&p.leg[0].out, SUITE_AES_CM_128_HMAC_SHA1_80, 3, 0);
	refuse(ss, &p, -EINVAL, "leg 0", "key");

	/* remote port 0 is fine with latching; MKI_MAX is fine */
	params_ok(&p);
	p.leg[1].remote.port = 0;
	p.leg[1].flags |= LEG_LATCH;
	p.leg[0].in.mki_len = SRTP_MKI_MAX;
	p.leg[1].local_port = PORT_MAX; /* with rtcp-mux the last port is fine */
	CHECK_EQ(create(ss, &p, &s2), 0);
	CHECK_EQ(sessions_get(ss, s2)->leg[1].local_port, PORT_MAX);
	CHECK_EQ(sessions_get(ss, s2)->leg[0].in.keys->mki_len, SRTP_MKI_MAX);
	CHECK_EQ(s2, 2); /* no slot was consumed by the refusals */
	CHECK_EQ(sessions_count(ss), 2);
	CHECK(leg_published(ss, s2, 0) && leg_published(ss, s2, 1));
	CHECK(leg_published(ss, s1, 0) && leg_published(ss, s1, 1));
	/* leg 0 no mux (2 entries), leg 1 mux (1), two sessions */
	CHECK_EQ(n_nonzero(ss), 6);
	sessions_free(ss);
}

/* ---- create ---- */

TEST(create_ports)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s;
	const struct session *x;

	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	x = sessions_get(ss, s);
	REQUIRE(x != NULL);
	CHECK(x == &sessions_table(ss)->pool[s]);
	for (unsigned int l = 0; l < 2; l++) {
		uint16_t port = x->leg[l].local_port;

		CHECK(port >= PORT_MIN && port <= PORT_MAX);
		CHECK_EQ(port & 1, 0);
		CHECK(leg_published(ss, s, l));
	}
	/* decode: leg 0 without mux has RTP and RTCP, leg 1 with mux one entry */
	{
		uint16_t p0 = x->leg[0].local_port, p1 = x->leg[1].local_port;
		uint32_t e = entry(ss, A_V4, p0);

		CHECK_EQ(e >> 2, s);
		CHECK_EQ((e >> 1) & 1, 0);
		CHECK_EQ(e & 1, 0);
		e = entry(ss, A_V4, (uint16_t)(p0 + 1));
		CHECK_EQ(e >> 2, s);
		CHECK_EQ((e >> 1) & 1, 0);
		CHECK_EQ(e & 1, 1);
		e = entry(ss, A_V6, p1);
		CHECK_EQ(e >> 2, s);
		CHECK_EQ((e >> 1) & 1, 1);
		CHECK_EQ(e & 1, 0);
		if (p1 < PORT_MAX)
			CHECK_EQ(entry(ss, A_V6, (uint16_t)(p1 + 1)), 0);
		CHECK_EQ(n_nonzero(ss), 3);
	}
	/* the session as requested */
	CHECK_EQ(x->id, 77);
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg *g = &x->leg[l];
		const struct leg_params *q = &p.leg[l];

		CHECK_EQ(g->local_addr, q->local_addr);
		CHECK_EQ(g->flags, q->flags);
		CHECK_EQ(g->dscp, q->dscp);
		CHECK_MEM(&g->cfg.remote, &q->remote, sizeof(g->cfg.remote));
		REQUIRE(g->in.keys != NULL && g->out.keys != NULL);
		CHECK(g->in.keys != g->out.keys);
		CHECK_EQ(g->in.keys->suite, q->in.suite);
		CHECK_EQ(g->out.keys->suite, q->out.suite);
		CHECK_EQ(g->in.keys->mki_len, 0);
		CHECK(g->in.prev_keys == NULL && g->out.prev_keys == NULL);
	}
	sessions_free(ss);
}

TEST(create_keys_mki_and_plain_legs)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s;
	const struct session *x;

	memset(&p, 0, sizeof(p));
	leg_srtp(&p.leg[0], A_V4, LEG_RTCP_MUX, SUITE_AES_256_CM_HMAC_SHA1_32, 5);
	dkeys(&p.leg[0].in, SUITE_AES_256_CM_HMAC_SHA1_32, 5, 4);
	dkeys(&p.leg[0].out, SUITE_AEAD_AES_256_GCM, 6, 2); /* suites may differ per direction */
	leg_plain(&p.leg[1], A_V4, LEG_LATCH);
	REQUIRE(create(ss, &p, &s) == 0);
	x = sessions_get(ss, s);
	REQUIRE(x != NULL);
	REQUIRE(x->leg[0].in.keys != NULL && x->leg[0].out.keys != NULL);
	CHECK_EQ(x->leg[0].in.keys->suite, SUITE_AES_256_CM_HMAC_SHA1_32);
	CHECK_EQ(x->leg[0].in.keys->mki_len, 4);
	CHECK_MEM(x->leg[0].in.keys->mki, p.leg[0].in.mki, 4);
	CHECK_EQ(x->leg[0].out.keys->suite, SUITE_AEAD_AES_256_GCM);
	CHECK_EQ(x->leg[0].out.keys->mki_len, 2);
	CHECK(x->leg[1].in.keys == NULL && x->leg[1].out.keys == NULL);
	CHECK_EQ(x->leg[1].flags, LEG_LATCH);
	/* both legs on one address: no overlap */
	{
		unsigned int a = x->leg[0].local_port, b = x->leg[1].local_port;

		/* leg 0 (mux) holds a; leg 1 (no mux) holds b and b + 1 */
		CHECK(a != b && a != b + 1);
		CHECK(leg_published(ss, s, 0) && leg_published(ss, s, 1));
	}
	/* passthrough on both legs is fine */
	memset(&p, 0, sizeof(p));
	leg_plain(&p.leg[0], A_V4, LEG_PASSTHROUGH);
	leg_plain(&p.leg[1], A_V6, LEG_PASSTHROUGH | LEG_RTCP_MUX);
	CHECK_EQ(create(ss, &p, &s), 0);
	sessions_free(ss);
}

TEST(create_explicit_ports)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s1, s2, s3;
	const struct session *x;

	params_ok(&p);
	p.leg[0].local_port = 20010;
	p.leg[1].local_port = 20010;
	REQUIRE(create(ss, &p, &s1) == 0);
	x = sessions_get(ss, s1);
	CHECK_EQ(x->leg[0].local_port, 20010);
	CHECK_EQ(x->leg[1].local_port, 20010);
	CHECK(leg_published(ss, s1, 0) && leg_published(ss, s1, 1));

	/* the same port on the other address is fine; on the same one not */
	params_ok(&p);
	p.leg[0].local_addr = A_V6;
	p.leg[0].remote.ip6 = 1;
	p.leg[0].flags |= LEG_RTCP_MUX;
	p.leg[0].local_port = 20012;
	p.leg[1].local_addr = A_V4;
	p.leg[1].remote.ip6 = 0;
	p.leg[1].flags &= (uint8_t)~LEG_RTCP_MUX;
	p.leg[1].local_port = 20010; /* taken by s1 leg 0 */
	refuse(ss, &p, -EADDRINUSE, "leg 1", "local port");
	p.leg[1].local_port = 20011; /* s1 leg 0's RTCP port */
	refuse(ss, &p, -EADDRINUSE, "leg 1", "local port");
	p.leg[1].local_port = 20009; /* free, but its +1 (20010) is not */
	refuse(ss, &p, -EADDRINUSE, "leg 1", "20009");
	p.leg[1].flags |= LEG_RTCP_MUX; /* with mux 20009 alone is enough */
	CHECK_EQ(create(ss, &p, &s2), 0);
	x = sessions_get(ss, s2);
	CHECK_EQ(x->leg[0].local_port, 20012);
	CHECK_EQ(x->leg[1].local_port, 20009);
	CHECK(leg_published(ss, s2, 0) && leg_published(ss, s2, 1));

	/* leg 0 took its port, leg 1 fails: leg 0's port is given back */
	params_ok(&p);
	p.leg[0].local_port = 20000;
	p.leg[1].local_port = 20012; /* taken on A_V6 */
	refuse(ss, &p, -EADDRINUSE, "leg 1", "local port");
	/* leg 0 refused */
	params_ok(&p);
	p.leg[0].local_port = 20008; /* +1 = 20009 taken */
	refuse(ss, &p, -EADDRINUSE, "leg 0", "local port");
	/* both legs on the same address asking for overlapping ports */
	params_ok(&p);
	p.leg[1].local_addr = A_V4;
	p.leg[1].remote.ip6 = 0;
	p.leg[0].local_port = 20002;
	p.leg[1].local_port = 20003;
	refuse(ss, &p, -EADDRINUSE, "leg 1", "local port");
	p.leg[1].local_port = 20002;
	refuse(ss, &p, -EADDRINUSE, "leg 1", "local port");
	/* 20000..20003 must all be free again */
	p.leg[0].local_port = 20000;
	p.leg[1].local_port = 20002;
	p.leg[1].flags &= (uint8_t)~LEG_RTCP_MUX;
	CHECK_EQ(create(ss, &p, &s3), 0);
	CHECK(leg_published(ss, s3, 0) && leg_published(ss, s3, 1));
	CHECK_EQ(sessions_count(ss), 3);
	/* leg 0 (no mux): 2, leg 1 (mux): 1 for s1; 1 + 1 for s2; 2 + 2 for s3 */
	CHECK_EQ(n_nonzero(ss), 3 + 2 + 4);
	sessions_free(ss);
}

/* Random create/delete on one address, against a model of taken ports. */
TEST(create_random_no_overlap)
{
	struct sessions *ss = new_ss(NULL);
	uint32_t live[MAX_SESS + 1] = {0};
	unsigned int created = 0, refused_ports = 0;

	test_seed(0x5e55);
	for (unsigned int it = 0; it < 3000; it++) {
		uint32_t s = 1 + test_rand() % MAX_SESS;

		if (live[s]) {
			REQUIRE(sessions_delete(ss, s) == 0);
			live[s] = 0;
		} else {
			struct session_params p;
			uint32_t got;
			int r;

			memset(&p, 0, sizeof(p));
			for (unsigned int l = 0; l < 2; l++)
				leg_plain(&p.leg[l], (uint8_t)(test_rand() % 3 == 0 ? A_V6 : A_V4),
					  (uint8_t)(test_rand() % 2 ? LEG_RTCP_MUX : 0));
			r = sessions_create(ss, &p, &got, err, sizeof(err));
			if (r == -EADDRINUSE) {
				refused_ports++;
				continue;
			}
			if (r == -ENOSPC)
				continue;
			REQUIRE(r == 0);
			REQUIRE(got >= 1 && got <= MAX_SESS && !live[got]);
			live[got] = 1;
			created++;
		}
		/* the model: every live leg published, ports even, nothing else set */
		{
			uint8_t used[N_ENTRIES] = {0};
			unsigned int n = 0;

			for (uint32_t t = 1; t <= MAX_SESS; t++) {
				const struct session *x = sessions_get(ss, t);

				if (!live[t]) {
					REQUIRE(x == NULL);
					continue;
				}
				REQUIRE(x != NULL);
				for (unsigned int l = 0; l < 2; l++) {
					const struct leg *g = &x->leg[l];
					unsigned int k = g->local_addr * N_PORTS +
							 (unsigned)(g->local_port - PORT_MIN);

					REQUIRE((g->local_port & 1) == 0);
					REQUIRE(leg_published(ss, t, l));
					REQUIRE(!used[k]);
					used[k] = 1;
					n++;
					if (!(g->flags & LEG_RTCP_MUX)) {
						REQUIRE(!used[k + 1]);
						used[k + 1] = 1;
						n++;
					}
				}
			}
			REQUIRE(n_nonzero(ss) == n);
		}
	}
	CHECK(created > 100);
	sessions_free(ss);
}

/* ---- the dataplane finds it ---- */

/* Ethernet / IPv4 or IPv6 from the peer to @p dst / UDP to @p dport / @p pl,
 * checksums correct. @return the frame length. */
static unsigned int
frame_build(uint8_t *d, int ip6, const uint8_t *dst, uint16_t dport, const uint8_t *pl,
	    unsigned int plen)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
	uint8_t *ip = d + 14, *u;
	unsigned int l4len = 8 + plen;
	uint32_t s;
	uint16_t c;

	memset(d, 0, 256);
	memcpy(d, macs, 12);
	put16(d + 12, ip6 ? 0x86dd : 0x0800);
	if (ip6) {
		ip[0] = 0x60;
		put16(ip + 4, l4len);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, ip6_peer, 16);
		memcpy(ip + 24, dst, 16);
		u = ip + 40;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len);
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, ip4_peer, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, (uint16_t)~ocsum_fold(ocsum_add(0, ip, 20)));
		u = ip + 20;
	}
	put16(u, 30000);
	put16(u + 2, dport);
	put16(u + 4, l4len);
	memcpy(u + 8, pl, plen);
	s = ip6 ? ocsum_add(0, ip + 8, 32) : ocsum_add(0, ip + 12, 8);
	s += 17 + l4len;
	c = (uint16_t)~ocsum_fold(ocsum_add(s, u, l4len));
	put16(u + 6, c ? c : 0xffff);
	return (unsigned int)(u - d) + l4len;
}

static struct test_mbuf TM;
static struct burst B;

/* One frame (RTP or RTCP) to @p addr:@p port through parse and lookup. */
static void
run_one(const struct sessions *ss, unsigned int addr, uint16_t port, int rtcp)
{
	struct parse_opts o = {.verify_udp_csum = 1};
	uint8_t pl[128], fr[256];
	unsigned int plen = rtcp ? build_rtcp(pl, 0x11223344, 20, 7)
				 : build_rtp(pl, 0x11223344, 1000, 160000, 40, 0, -1, 0);
	unsigned int flen =
		frame_build(fr, addr == A_V6, addr == A_V6 ? ip6_local : ip4_local, port, pl, plen);

	memset(&B, 0, sizeof(B));
	B.n = 1;
	B.port = 0;
	B.pkts[0] = test_mbuf_set(&TM, fr, flen);
	B.verdict[0] = V_FWD;
	parse_burst(&o, &B);
	lookup_burst(sessions_table(ss), &B);
}

TEST(lookup_end_to_end)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s;
	const struct session *x;
	uint16_t p0, p1;

	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	x = sessions_get(ss, s);
	REQUIRE(x != NULL);
	p0 = x->leg[0].local_port;
	p1 = x->leg[1].local_port;

	/* RTP to leg 0 (IPv4) */
	run_one(ss, A_V4, p0, 0);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK(B.sess[0] == &sessions_table(ss)->pool[s]);
	CHECK((const void *)B.sess[0] == (const void *)x);
	CHECK_EQ(B.leg[0], 0);
	CHECK((const void *)B.unprotect[0] == (const void *)&x->leg[0].in);
	CHECK((const void *)B.protect[0] == (const void *)&x->leg[1].out);
	/* RTCP to leg 0's port + 1 */
	run_one(ss, A_V4, (uint16_t)(p0 + 1), 1);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK((const void *)B.sess[0] == (const void *)x);
	CHECK_EQ(B.leg[0], 0);
	/* RTP on the RTCP port: wrong port */
	run_one(ss, A_V4, (uint16_t)(p0 + 1), 0);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], DROP_WRONG_PORT);
	/* RTP and muxed RTCP to leg 1 (IPv6) */
	run_one(ss, A_V6, p1, 0);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK((const void *)B.sess[0] == (const void *)x);
	CHECK_EQ(B.leg[0], 1);
	CHECK((const void *)B.unprotect[0] == (const void *)&x->leg[1].in);
	CHECK((const void *)B.protect[0] == (const void *)&x->leg[0].out);
	run_one(ss, A_V6, p1, 1);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK_EQ(B.leg[0], 1);
	/* a port of leg 0's, but on the other address: nobody's */
	run_one(ss, A_V6, (uint16_t)(p1 == p0 + 1 ? p0 : p0 + 1), 0);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], DROP_NO_SESSION);

	CHECK_EQ(sessions_delete(ss, s), 0);
	run_one(ss, A_V4, p0, 0);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], DROP_NO_SESSION);
	run_one(ss, A_V4, (uint16_t)(p0 + 1), 1);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], DROP_NO_SESSION);
	run_one(ss, A_V6, p1, 0);
	CHECK_EQ(B.verdict[0], V_DROP);
	CHECK_EQ(B.reason[0], DROP_NO_SESSION);

	/* one SRTP leg facing a plain one: protect NULL */
	memset(&p, 0, sizeof(p));
	leg_srtp(&p.leg[0], A_V4, LEG_RTCP_MUX, SUITE_AES_CM_128_HMAC_SHA1_32, 40);
	leg_plain(&p.leg[1], A_V6, 0);
	REQUIRE(create(ss, &p, &s) == 0);
	x = sessions_get(ss, s);
	run_one(ss, A_V4, x->leg[0].local_port, 0);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK((const void *)B.unprotect[0] == (const void *)&x->leg[0].in);
	CHECK(B.protect[0] == NULL);
	run_one(ss, A_V6, x->leg[1].local_port, 0);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK(B.unprotect[0] == NULL);
	CHECK((const void *)B.protect[0] == (const void *)&x->leg[0].out);
	sessions_free(ss);
}

/* ---- exhaustion ---- */

TEST(exhaust_slots)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s[MAX_SESS], again;

	for (unsigned int i = 0; i < MAX_SESS; i++) {
		params_ok(&p);
		p.id = i;
		REQUIRE(create(ss, &p, &s[i]) == 0);
		CHECK_EQ(s[i], i + 1);
	}
	CHECK_EQ(sessions_count(ss), MAX_SESS);
	params_ok(&p);
	refuse(ss, &p, -ENOSPC, "slot", NULL);
	CHECK_EQ(sessions_delete(ss, s[2]), 0);
	CHECK_EQ(sessions_count(ss), MAX_SESS - 1);
	CHECK_EQ(create(ss, &p, &again), 0);
	CHECK_EQ(again, s[2]);
	CHECK_EQ(sessions_count(ss), MAX_SESS);
	sessions_free(ss);
}

TEST(exhaust_ports)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t a, b, c, d;
	const struct session *x;

	/* Odd explicit ports without mux block every even pair of A_V4:
	 * 20001-2, 20005-6 | 20009-10, 20013-14 | 20017-18, 20019 (mux).
	 * Free even ports remain (20000, 20004, ...) but no even pair. */
	memset(&p, 0, sizeof(p));
	leg_plain(&p.leg[0], A_V4, 0);
	leg_plain(&p.leg[1], A_V4, 0);
	p.leg[0].local_port = 20001;
	p.leg[1].local_port = 20005;
	REQUIRE(create(ss, &p, &a) == 0);
	p.leg[0].local_port = 20009;
	p.leg[1].local_port = 20013;
	REQUIRE(create(ss, &p, &b) == 0);
	p.leg[0].local_port = 20017;
	p.leg[1].local_port = 20019;
	p.leg[1].flags = LEG_RTCP_MUX;
	REQUIRE(create(ss, &p, &c) == 0);
	CHECK_EQ(sessions_count(ss), 3);

	memset(&p, 0, sizeof(p));
	leg_plain(&p.leg[0], A_V6, 0);
	leg_plain(&p.leg[1], A_V4, 0);
	refuse(ss, &p, -EADDRINUSE, "leg 1", "local address 0");
	CHECK(strstr(err, "no free port") != NULL);
	leg_plain(&p.leg[0], A_V4, 0);
	leg_plain(&p.leg[1], A_V6, 0);
	refuse(ss, &p, -EADDRINUSE, "leg 0", "no free port");
	/* a mux leg still finds an even port; leg 1 too (20004 after 20000) */
	leg_plain(&p.leg[0], A_V4, LEG_RTCP_MUX);
	leg_plain(&p.leg[1], A_V4, LEG_RTCP_MUX);
	REQUIRE(create(ss, &p, &d) == 0);
	x = sessions_get(ss, d);
	CHECK_EQ(x->leg[0].local_port & 1, 0);
	CHECK_EQ(x->leg[1].local_port & 1, 0);
	CHECK(x->leg[0].local_port != x->leg[1].local_port);
	CHECK_EQ(sessions_delete(ss, d), 0);

	/* delete a: 20000..20007 become free, and are used again */
	CHECK_EQ(sessions_delete(ss, a), 0);
	leg_plain(&p.leg[0], A_V4, 0);
	leg_plain(&p.leg[1], A_V4, 0);
	REQUIRE(create(ss, &p, &d) == 0);
	x = sessions_get(ss, d);
	for (unsigned int l = 0; l < 2; l++)
		CHECK(x->leg[l].local_port == 20000 || x->leg[l].local_port == 20002 ||
		      x->leg[l].local_port == 20004 || x->leg[l].local_port == 20006);
	CHECK(x->leg[0].local_port != x->leg[1].local_port);
	CHECK(leg_published(ss, d, 0) && leg_published(ss, d, 1));
	CHECK_EQ(sessions_count(ss), 3);
	CHECK_EQ(n_nonzero(ss), 4 + 3 + 4);
	sessions_free(ss);
}

/* ---- delete ---- */

TEST(delete)
{
	static const struct session zero;
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s, s2;

	CHECK_EQ(sessions_delete(ss, 0), -ENOENT);
	CHECK_EQ(sessions_delete(ss, 1), -ENOENT); /* never created */
	CHECK_EQ(sessions_delete(ss, MAX_SESS + 1), -ENOENT);
	CHECK_EQ(sessions_delete(ss, UINT32_MAX), -ENOENT);

	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	params_ok(&p);
	REQUIRE(create(ss, &p, &s2) == 0);
	snapshot(ss);
	CHECK_EQ(sessions_delete(ss, s), 0);
	CHECK_EQ(sessions_count(ss), 1);
	CHECK(sessions_get(ss, s) == NULL);
	CHECK_MEM(&sessions_table(ss)->pool[s], &zero, sizeof(zero));
	/* exactly s's entries cleared, s2's kept */
	for (unsigned int i = 0; i < N_ENTRIES; i++) {
		uint32_t e = sessions_table(ss)->entries[i];

		CHECK_EQ(e, (snap[i] >> 2) == s ? 0 : snap[i]);
	}
	CHECK(leg_published(ss, s2, 0) && leg_published(ss, s2, 1));
	CHECK_EQ(n_nonzero(ss), 3);
	CHECK_EQ(sessions_delete(ss, s), -ENOENT);
	CHECK_EQ(sessions_count(ss), 1);
	CHECK_EQ(sessions_delete(ss, s2), 0);
	CHECK_MEM(&sessions_table(ss)->pool[s2], &zero, sizeof(zero));
	CHECK_EQ(n_nonzero(ss), 0);
	CHECK_EQ(sessions_count(ss), 0);
	/* a session mid re-key (prev_keys set) is deleted clean too */
	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	{
		struct leg_update u;

		memset(&u, 0, sizeof(u));
		dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 99, 1);
		CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
		CHECK(sessions_get(ss, s)->leg[0].in.prev_keys != NULL);
	}
	CHECK_EQ(sessions_delete(ss, s), 0);
	CHECK_MEM(&sessions_table(ss)->pool[s], &zero, sizeof(zero));
	sessions_free(ss);
}

/* ---- update ---- */

TEST(update_leg)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	struct leg_update u;
	uint32_t s, sp;
	const struct session *x;
	const struct srtp_keys *k0, *k1, *k2, *o0;

	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	x = sessions_get(ss, s);
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 50, 0);

	CHECK_EQ(sessions_update_leg(ss, 0, 0, &u, err, sizeof(err)), -ENOENT);
	CHECK_EQ(sessions_update_leg(ss, s + 1, 0, &u, err, sizeof(err)), -ENOENT);
	CHECK_EQ(sessions_update_leg(ss, MAX_SESS + 1, 0, &u, err, sizeof(err)), -ENOENT);
	CHECK_EQ(sessions_update_leg(ss, s, 2, &u, err, sizeof(err)), -ENOENT);
	CHECK(!dir_leaks(err, &u.in));
	CHECK_EQ(sessions_end_overlap(ss, 0, 0), -ENOENT);
	CHECK_EQ(sessions_end_overlap(ss, s, 2), -ENOENT);
	CHECK_EQ(sessions_end_overlap(ss, s + 1, 0), -ENOENT);

	/* keys on a plain leg */
	memset(&p, 0, sizeof(p));
	leg_plain(&p.leg[0], A_V4, 0);
	leg_plain(&p.leg[1], A_V6, 0);
	REQUIRE(create(ss, &p, &sp) == 0);
	CHECK_EQ(sessions_update_leg(ss, sp, 1, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "leg 1") != NULL && strstr(err, "key") != NULL);
	CHECK(!dir_leaks(err, &u.in));
	CHECK(sessions_get(ss, sp)->leg[1].in.keys == NULL);

	/* a bad key changes nothing */
	k0 = x->leg[0].in.keys;
	o0 = x->leg[0].out.keys;
	u.in.key_len = 15;
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "leg 0") != NULL && strstr(err, "inbound") != NULL);
	CHECK(!dir_leaks(err, &u.in));
	u.in.key_len = 16;
	u.in.salt_len = 12;
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "salt") != NULL);
	CHECK(!dir_leaks(err, &u.in));
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 50, 0);
	u.in.suite = SUITE_MAX;
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "suite") != NULL);
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 50, SRTP_MKI_MAX + 1);
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "MKI") != NULL);
	/* a good inbound key with a bad outbound one: neither is installed */
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 50, 0);
	dkeys(&u.out, SUITE_AEAD_AES_128_GCM, 51, 0);
	u.out.salt_len = 14;
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "outbound") != NULL);
	CHECK(!dir_leaks(err, &u.in) && !dir_leaks(err, &u.out));
	/* a bad remote with a good key: nothing installed either */
	memset(&u.out, 0, sizeof(u.out));
	u.has_remote = 1;
	u.remote.port = 0;
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "leg 0") != NULL && strstr(err, "remote") != NULL);
	CHECK(x->leg[0].in.keys == k0 && x->leg[0].in.prev_keys == NULL);
	CHECK(x->leg[0].out.keys == o0 && x->leg[0].out.prev_keys == NULL);
	CHECK_EQ(x->leg[0].cfg.remote.port, 30000);

	/* new inbound key: overlap with the old one */
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AEAD_AES_128_GCM, 52, 3);
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	k1 = x->leg[0].in.keys;
	CHECK(k1 != NULL && k1 != k0);
	CHECK(x->leg[0].in.prev_keys == k0);
	CHECK_EQ(k1->suite, SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(k1->mki_len, 3);
	CHECK(x->leg[0].out.keys == o0);
	/* again during the overlap: the newest two are accepted */
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 53, 0);
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	k2 = x->leg[0].in.keys;
	CHECK(k2 != NULL && k2 != k1);
	CHECK(x->leg[0].in.prev_keys == k1);
	CHECK_EQ(sessions_end_overlap(ss, s, 0), 0);
	CHECK(x->leg[0].in.keys == k2);
	CHECK(x->leg[0].in.prev_keys == NULL);
	CHECK_EQ(sessions_end_overlap(ss, s, 0), 0); /* nothing to end: fine */
	CHECK_EQ(sessions_end_overlap(ss, sp, 1), 0);

	/* new outbound key: at once, no previous */
	memset(&u, 0, sizeof(u));
	dkeys(&u.out, SUITE_AES_256_CM_HMAC_SHA1_80, 54, 0);
	CHECK_EQ(sessions_update_leg(ss, s, 1, &u, err, sizeof(err)), 0);
	CHECK(x->leg[1].out.keys != NULL);
	CHECK_EQ(x->leg[1].out.keys->suite, SUITE_AES_256_CM_HMAC_SHA1_80);
	CHECK(x->leg[1].out.prev_keys == NULL);

	/* remote */
	memset(&u, 0, sizeof(u));
	u.has_remote = 1;
	u.remote.ip6 = 0;
	u.remote.port = 40002;
	memcpy(u.remote.addr, ip4_peer, 4);
	u.remote.addr[3] = 77;
	CHECK_EQ(sessions_update_leg(ss, sp, 0, &u, err, sizeof(err)), 0);
	CHECK_MEM(&sessions_get(ss, sp)->leg[0].cfg.remote, &u.remote, sizeof(u.remote));
	CHECK_EQ(sessions_get(ss, sp)->leg[0].cfg.epoch, 1);
	CHECK_EQ(sessions_get(ss, sp)->leg[0].cfg_seq, 2);
	u.remote.ip6 = 2;
	CHECK_EQ(sessions_update_leg(ss, sp, 0, &u, err, sizeof(err)), -EINVAL);
	CHECK_EQ(sessions_get(ss, sp)->leg[0].cfg.remote.ip6, 0);
	/* an empty update is fine and changes nothing */
	memset(&u, 0, sizeof(u));
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	CHECK(x->leg[0].in.keys == k2);
	/* the lookup still works after all that */
	run_one(ss, A_V4, x->leg[0].local_port, 0);
	CHECK_EQ(B.verdict[0], V_FWD);
	CHECK((const void *)B.unprotect[0] == (const void *)&x->leg[0].in);
	sessions_free(ss);
}

/* ---- RCU ---- */

static struct rte_rcu_qsbr *RCU;
static int rcu_stop, rcu_hold, rcu_holding;
static const volatile uint64_t *rcu_watch; /* what the worker reads while holding */
static uint64_t rcu_watch_want;
static int rcu_watch_ok = -1;
static unsigned long rcu_reports;

static void
sleep_us(long us)
{
	struct timespec t = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	nanosleep(&t, NULL);
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A worker: reports quiescence every ~100 us. Asked to hold, it stays in
 * its read-side section ~50 ms, reading the watched word throughout. */
static void *
rcu_worker(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < 100000 && !__atomic_load_n(&rcu_stop, __ATOMIC_ACQUIRE); i++) {
		if (__atomic_load_n(&rcu_hold, __ATOMIC_ACQUIRE)) {
			int ok = 1;

			__atomic_store_n(&rcu_holding, 1, __ATOMIC_RELEASE);
			for (int k = 0; k < 500; k++) {
				if (*rcu_watch != rcu_watch_want)
					ok = 0;
				sleep_us(100);
			}
			rcu_watch_ok = ok;
			__atomic_store_n(&rcu_hold, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&rcu_holding, 0, __ATOMIC_RELEASE);
		}
		rte_rcu_qsbr_quiescent(RCU, 0);
		__atomic_fetch_add(&rcu_reports, 1, __ATOMIC_RELAXED);
		sleep_us(100);
	}
	return NULL;
}

/* Ask the worker to hold on @p w (== @p want) and wait until it does. */
static int
hold_on(const volatile uint64_t *w, uint64_t want)
{
	rcu_watch = w;
	rcu_watch_want = want;
	rcu_watch_ok = -1;
	__atomic_store_n(&rcu_hold, 1, __ATOMIC_RELEASE);
	for (int k = 0; k < 20000; k++) {
		if (__atomic_load_n(&rcu_holding, __ATOMIC_ACQUIRE))
			return 1;
		sleep_us(50);
	}
	return 0;
}

TEST(rcu)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct sessions *ss;
	struct session_params p;
	struct leg_update u;
	pthread_t th;
	uint32_t s, s2;
	const struct session *x;
	double t0;

	REQUIRE(sz > 0 && sz < (1u << 20));
	RCU = aligned_alloc(64, (sz + 63) / 64 * 64);
	REQUIRE(RCU != NULL);
	memset(RCU, 0, sz);
	REQUIRE(rte_rcu_qsbr_init(RCU, 1) == 0);
	REQUIRE(rte_rcu_qsbr_thread_register(RCU, 0) == 0);
	rte_rcu_qsbr_thread_online(RCU, 0);
	rcu_stop = 0;
	REQUIRE(pthread_create(&th, NULL, rcu_worker, NULL) == 0);
	alarm(20); /* a hang is a failure, not a stuck test run */

	ss = new_ss(RCU);
	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	params_ok(&p);
	REQUIRE(create(ss, &p, &s2) == 0);
	x = sessions_get(ss, s);

	/* plain delete and update with the worker reporting */
	CHECK_EQ(sessions_delete(ss, s2), 0);
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 60, 0);
	dkeys(&u.out, SUITE_AES_CM_128_HMAC_SHA1_80, 61, 0);
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	CHECK_EQ(sessions_end_overlap(ss, s, 0), 0);

	/* a re-key retiring a key waits for the worker holding it: the old
	 * outbound key's bytes stay intact while the worker reads them */
	{
		const struct srtp_keys *old = x->leg[0].out.keys;
		const void *word = old->rtp.k.aes_enc; /* the AES key schedule */
		uint64_t w;

		memcpy(&w, word, sizeof(w));
		REQUIRE(w != 0);
		REQUIRE(hold_on((const volatile uint64_t *)word, w));
		t0 = now_ms();
		dkeys(&u.out, SUITE_AES_CM_128_HMAC_SHA1_80, 62, 0);
		memset(&u.in, 0, sizeof(u.in));
		CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
		CHECK(now_ms() - t0 >= 20.0);
		CHECK(!__atomic_load_n(&rcu_holding, __ATOMIC_ACQUIRE));
		CHECK_EQ(rcu_watch_ok, 1);
	}
	/* delete waits too: the slot is not zeroed under the worker */
	{
		REQUIRE(hold_on((const volatile uint64_t *)&x->id, 77));
		t0 = now_ms();
		CHECK_EQ(sessions_delete(ss, s), 0);
		CHECK(now_ms() - t0 >= 20.0);
		CHECK(!__atomic_load_n(&rcu_holding, __ATOMIC_ACQUIRE));
		CHECK_EQ(rcu_watch_ok, 1);
		CHECK_EQ(x->id, 0);
	}
	/* free with live sessions, worker running */
	for (unsigned int i = 0; i < MAX_SESS; i++) {
		params_ok(&p);
		REQUIRE(create(ss, &p, &s) == 0);
	}
	sessions_free(ss);
	CHECK(__atomic_load_n(&rcu_reports, __ATOMIC_RELAXED) > 0);

	__atomic_store_n(&rcu_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	alarm(0);
	rte_rcu_qsbr_thread_offline(RCU, 0);
	rte_rcu_qsbr_thread_unregister(RCU, 0);
	free(RCU);
	RCU = NULL;
}

/* ---- inactivity timeouts and next hops ---- */

static unsigned int n_expired;
static uint64_t expired_id;

static void
on_expired(void *ctx, uint32_t slot, uint64_t id)
{
	CHECK(ctx == &n_expired);
	CHECK(slot != 0);
	n_expired++;
	expired_id = id;
}

/* A session with a timeout expires only after that long with no packet
 * forwarded on either leg; one packet restarts the clock; timeout 0 never
 * expires; the callback sees the id before the slot is gone. */
TEST(expire_inactive)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	uint32_t s_to, s_never;
	struct session *sess;

	params_ok(&p);
	p.id = 0xfeed;
	p.timeout_ms = 1000;
	REQUIRE(create(ss, &p, &s_to) == 0);
	params_ok(&p);
	p.id = 0xbeef;
	p.timeout_ms = 0;
	REQUIRE(create(ss, &p, &s_never) == 0);
	n_expired = 0;
	CHECK_EQ(sessions_expire(ss, 10000, on_expired, &n_expired), 0); /* first look */
	CHECK_EQ(sessions_expire(ss, 10999, on_expired, &n_expired), 0);
	/* a packet forwarded on leg 1's RTCP port (written by a worker) */
	sess = (struct session *)(uintptr_t)sessions_get(ss, s_to);
	sess->leg[1].rx[1].packets++;
	CHECK_EQ(sessions_expire(ss, 10999, on_expired, &n_expired), 0);
	CHECK_EQ(sessions_expire(ss, 11998, on_expired, &n_expired), 0);
	CHECK_EQ(sessions_count(ss), 2);
	CHECK_EQ(sessions_expire(ss, 11999, on_expired, &n_expired), 1);
	CHECK_EQ(n_expired, 1);
	CHECK_EQ(expired_id, 0xfeed);
	CHECK(sessions_get(ss, s_to) == NULL);
	CHECK(sessions_get(ss, s_never) != NULL);
	CHECK_EQ(sessions_expire(ss, 1000000, on_expired, &n_expired), 0);
	CHECK_EQ(sessions_count(ss), 1);
	sessions_free(ss);
}

/* An inbound re-key's overlap is bounded: it ends SESSIONS_OVERLAP_MS after
 * the re-key (on sessions_expire's clock) if the controller never ends it,
 * and a re-key before that clock was first seen starts its bound at the
 * first look. */
TEST(overlap_ends_by_itself)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	struct leg_update u;
	uint32_t s;

	params_ok(&p);
	REQUIRE(create(ss, &p, &s) == 0);
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 99, 1);
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	CHECK(sessions_get(ss, s)->leg[0].in.prev_keys != NULL);
	sessions_expire(ss, 5000, NULL, NULL); /* the clock's first look: the bound starts */
	sessions_expire(ss, 5000 + SESSIONS_OVERLAP_MS - 1, NULL, NULL);
	CHECK(sessions_get(ss, s)->leg[0].in.prev_keys != NULL);
	sessions_expire(ss, 5000 + SESSIONS_OVERLAP_MS, NULL, NULL);
	CHECK(sessions_get(ss, s)->leg[0].in.prev_keys == NULL);
	/* a second re-key, the clock known (last look at 5000 + OVERLAP):
	 * bounded from the re-key on */
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 98, 1);
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	sessions_expire(ss, 5000 + 2 * SESSIONS_OVERLAP_MS - 1, NULL, NULL);
	CHECK(sessions_get(ss, s)->leg[0].in.prev_keys != NULL);
	sessions_expire(ss, 5000 + 2 * SESSIONS_OVERLAP_MS, NULL, NULL);
	CHECK(sessions_get(ss, s)->leg[0].in.prev_keys == NULL);
	/* ended by the controller: nothing left to end */
	CHECK_EQ(sessions_update_leg(ss, s, 0, &u, err, sizeof(err)), 0);
	CHECK_EQ(sessions_end_overlap(ss, s, 0), 0);
	sessions_expire(ss, 10 * SESSIONS_OVERLAP_MS, NULL, NULL);
	CHECK(sessions_get(ss, s)->leg[0].in.prev_keys == NULL);
	CHECK_EQ(sessions_count(ss), 1);
	sessions_free(ss);
}

/* Every leg with a remote holds a next-hop entry (one per distinct next
 * hop); delete and remote updates give them back; a remote off link with
 * no gateway is refused and changes nothing. */
TEST(next_hop_references)
{
	struct sessions_config c;
	struct sessions *ss;
	struct session_params p;
	struct leg_update u;
	uint32_t s1, s2;
	const struct session *x;

	config(&c);
	c.routes[A_V4].prefix_len = 24; /* 192.0.2.0/24 on link, no gateway */
	ss = sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err));
	REQUIRE(ss != NULL);
	params_ok(&p);
	/* leg 0's peer 198.51.100.2 is off link: refused, nothing changes */
	CHECK_EQ(create(ss, &p, &s1), -EHOSTUNREACH);
	CHECK(strstr(err, "leg 0") != NULL && strstr(err, "gateway") != NULL);
	CHECK_EQ(sessions_count(ss), 0);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 0);
	p.leg[0].remote.addr[0] = 192, p.leg[0].remote.addr[1] = 0, p.leg[0].remote.addr[2] = 2;
	REQUIRE(create(ss, &p, &s1) == 0);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 2); /* one v4, one v6 next hop */
	REQUIRE(create(ss, &p, &s2) == 0);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 2); /* shared */
	x = sessions_get(ss, s1);
	CHECK(x->leg[0].cfg.neigh != 0 && x->leg[1].cfg.neigh != 0);
	CHECK_EQ(x->leg[0].cfg.neigh, sessions_get(ss, s2)->leg[0].cfg.neigh);
	/* unresolved: the workers see no MAC yet */
	{
		uint8_t mac[6];

		CHECK_EQ(neigh_mac(sessions_table(ss)->neigh, x->leg[0].cfg.neigh, mac), 0);
	}
	/* a new remote on another on-link host: a third entry */
	memset(&u, 0, sizeof(u));
	u.has_remote = 1;
	u.remote = x->leg[0].cfg.remote;
	u.remote.addr[3] = 77;
	CHECK_EQ(sessions_update_leg(ss, s1, 0, &u, err, sizeof(err)), 0);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 3);
	/* off link: refused, the old remote and its entry stay */
	u.remote.addr[0] = 203;
	CHECK_EQ(sessions_update_leg(ss, s1, 0, &u, err, sizeof(err)), -EHOSTUNREACH);
	CHECK_EQ(x->leg[0].cfg.remote.addr[3], 77);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 3);
	CHECK_EQ(sessions_delete(ss, s1), 0);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 2);
	CHECK_EQ(sessions_delete(ss, s2), 0);
	CHECK_EQ(neigh_count(sessions_neigh(ss)), 0);
	sessions_free(ss);
}

/* ---- free ---- */

TEST(free_with_live_sessions)
{
	struct sessions *ss = new_ss(NULL);
	struct session_params p;
	struct leg_update u;
	uint32_t s;

	for (unsigned int i = 0; i < MAX_SESS; i++) {
		params_ok(&p);
		REQUIRE(create(ss, &p, &s) == 0);
	}
	/* one mid re-key, one with a new outbound key */
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AEAD_AES_256_GCM, 70, 0);
	CHECK_EQ(sessions_update_leg(ss, 1, 1, &u, err, sizeof(err)), 0);
	memset(&u, 0, sizeof(u));
	dkeys(&u.out, SUITE_NULL_HMAC_SHA1_80, 71, 0);
	CHECK_EQ(sessions_update_leg(ss, 2, 0, &u, err, sizeof(err)), 0);
	CHECK_EQ(sessions_delete(ss, 3), 0);
	sessions_free(ss);
}

ENGINE_TEST_MAIN(W, "")
