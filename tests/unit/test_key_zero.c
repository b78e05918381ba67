/* test_key_zero.c: every key object is zeroed before its memory goes back
 * to the allocator, and the control protocol's decoded requests are wiped
 * once dispatched.
 *
 * Linked with -Wl,--wrap for free, keys_create, explicit_bzero,
 * proto_decode_create, proto_decode_update, sessions_create and
 * sessions_update_leg (tests/meson.build): calls between the objects of the
 * static control and dataplane libraries and this program reach the
 * __wrap_ functions below, which watch and call the real ones. Calls
 * inside shared libraries (libc, DPDK, ipsec-mb) are not wrapped and need
 * not be. Works under ASan too: __real_free is then ASan's free.
 *
 *   - every key object keys_create() returns is registered; __wrap_free
 *     checks that each registered object's sizeof(struct srtp_keys) bytes
 *     all read zero when it is freed, and counts it; a case then asserts
 *     exactly which objects were freed (each once) and that the others are
 *     still live and still hold key material;
 *   - cases: delete with SRTP on both legs; an outbound re-key (the old key
 *     goes at once); an inbound re-key ended by END_OVERLAP, by the
 *     overlap's own timeout (sessions_expire), by a second re-key, or not
 *     at all (delete mid-overlap, on both legs); a session expired for
 *     inactivity; a create refused after its keys were derived (next hop
 *     off link); sessions_free with live sessions; keys_destroy directly;
 *   - ctl_dispatch: the struct session_params / struct leg_update a
 *     CREATE / UPDATE was decoded into held the request's master key, and
 *     is wiped whole (explicit_bzero of its full size) after the sessions
 *     API returned and before the response, for accepted and refused
 *     requests alike; proto_decode_create wipes its per-leg copy too.
 */
#include <errno.h>

#include "../engine.h"
#include "../test.h"

#include "control/ctl_dispatch.h"
#include "control/proto_session.h"
#include "control/sessions.h"

static struct worker *W;
static char err[256];

/* ---- the wrapped functions ---- */

void __real_free(void *p);
void __wrap_free(void *p);
struct srtp_keys *__real_keys_create(IMB_MGR *mgr, enum suite suite, const uint8_t *key,
				     size_t key_len, const uint8_t *salt, size_t salt_len,
				     const uint8_t *mki, size_t mki_len, char *e, size_t e_len);
struct srtp_keys *__wrap_keys_create(IMB_MGR *mgr, enum suite suite, const uint8_t *key,
				     size_t key_len, const uint8_t *salt, size_t salt_len,
				     const uint8_t *mki, size_t mki_len, char *e, size_t e_len);
void __real_explicit_bzero(void *s, size_t n);
void __wrap_explicit_bzero(void *s, size_t n);
int __real_proto_decode_create(const uint8_t *attrs, size_t len, struct session_params *p,
			       struct proto_error *e);
int __wrap_proto_decode_create(const uint8_t *attrs, size_t len, struct session_params *p,
			       struct proto_error *e);
int __real_proto_decode_update(const uint8_t *attrs, size_t len, uint32_t *slot, unsigned int *leg,
			       struct leg_update *u, int *end_overlap, struct proto_error *e);
int __wrap_proto_decode_update(const uint8_t *attrs, size_t len, uint32_t *slot, unsigned int *leg,
			       struct leg_update *u, int *end_overlap, struct proto_error *e);
int __real_sessions_create(struct sessions *ss, const struct session_params *p, uint32_t *slot,
			   char *e, size_t e_len);
int __wrap_sessions_create(struct sessions *ss, const struct session_params *p, uint32_t *slot,
			   char *e, size_t e_len);
int __real_sessions_update_leg(struct sessions *ss, uint32_t slot, unsigned int leg,
			       const struct leg_update *u, char *e, size_t e_len);
int __wrap_sessions_update_leg(struct sessions *ss, uint32_t slot, unsigned int leg,
			       const struct leg_update *u, char *e, size_t e_len);

/* Key objects keys_create() handed out since reg_reset(). An address the
 * allocator reuses after a free gets a new entry. */
#define REG_MAX 256
enum { K_LIVE = 1, K_FREED };
static struct {
	const void *p;
	int state;
	int freed_zero; /* every byte read zero when it was freed */
} REG[REG_MAX];
static unsigned int n_reg, n_reg_overflow;
static unsigned long frees_seen; /* every free through the wrapper, key or not */

static void
reg_reset(void)
{
	memset(REG, 0, sizeof(REG));
	n_reg = n_reg_overflow = 0;
}

static int
reg_find(const void *p, int state)
{
	for (unsigned int i = n_reg; i-- > 0;)
		if (REG[i].p == p && REG[i].state == state)
			return (int)i;
	return -1;
}

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

struct srtp_keys *
__wrap_keys_create(IMB_MGR *mgr, enum suite suite, const uint8_t *key, size_t key_len,
		   const uint8_t *salt, size_t salt_len, const uint8_t *mki, size_t mki_len,
		   char *e, size_t e_len)
{
	struct srtp_keys *k = __real_keys_create(mgr, suite, key, key_len, salt, salt_len, mki,
						 mki_len, e, e_len);

	if (k != NULL) {
		if (n_reg < REG_MAX)
			REG[n_reg++] = (typeof(REG[0])){.p = k, .state = K_LIVE};
		else
			n_reg_overflow++;
	}
	return k;
}

/* Called for every free of the static libraries and this program, at any
 * time (also by ASan's runtime): no allocation, no stdio. */
void
__wrap_free(void *p)
{
	int i = p != NULL ? reg_find(p, K_LIVE) : -1;

	frees_seen++;
	if (i >= 0) {
		REG[i].freed_zero = all_zero(p, sizeof(struct srtp_keys));
		REG[i].state = K_FREED;
	}
	__real_free(p);
}

/* What one ctl_dispatch() did with the request it decoded. Sequence
 * numbers order the events. */
static struct {
	const void *decoded; /* the session_params / leg_update decoded into */
	size_t size;
	int held_key; /* it held the request's master key after decoding */
	unsigned int seq, decoded_at, api_at, wiped_at, wipes_in_decode;
	int in_decode;
} WATCH;
static const uint8_t *WATCH_KEY; /* the master key the request carries */
static size_t WATCH_KEY_LEN;

void
__wrap_explicit_bzero(void *s, size_t n)
{
	__real_explicit_bzero(s, n);
	if (WATCH.decoded != NULL && s == WATCH.decoded && n == WATCH.size && all_zero(s, n) &&
	    !WATCH.in_decode)
		WATCH.wiped_at = ++WATCH.seq;
	else if (WATCH.in_decode && n == sizeof(struct leg_params))
		WATCH.wipes_in_decode++;
}

static void
watch_decoded(const void *p, size_t size, int r)
{
	(void)r;
	WATCH.in_decode = 0;
	WATCH.decoded = p;
	WATCH.size = size;
	WATCH.decoded_at = ++WATCH.seq;
	WATCH.held_key = WATCH_KEY != NULL && memmem(p, size, WATCH_KEY, WATCH_KEY_LEN) != NULL;
}

int
__wrap_proto_decode_create(const uint8_t *attrs, size_t len, struct session_params *p,
			   struct proto_error *e)
{
	int r;

	WATCH.in_decode = 1;
	r = __real_proto_decode_create(attrs, len, p, e);
	watch_decoded(p, sizeof(*p), r);
	return r;
}

int
__wrap_proto_decode_update(const uint8_t *attrs, size_t len, uint32_t *slot, unsigned int *leg,
			   struct leg_update *u, int *end_overlap, struct proto_error *e)
{
	int r;

	WATCH.in_decode = 1;
	r = __real_proto_decode_update(attrs, len, slot, leg, u, end_overlap, e);
	watch_decoded(u, sizeof(*u), r);
	return r;
}

int
__wrap_sessions_create(struct sessions *ss, const struct session_params *p, uint32_t *slot, char *e,
		       size_t e_len)
{
	int r = __real_sessions_create(ss, p, slot, e, e_len);

	WATCH.api_at = ++WATCH.seq;
	return r;
}

int
__wrap_sessions_update_leg(struct sessions *ss, uint32_t slot, unsigned int leg,
			   const struct leg_update *u, char *e, size_t e_len)
{
	int r = __real_sessions_update_leg(ss, slot, leg, u, e, e_len);

	WATCH.api_at = ++WATCH.seq;
	return r;
}

/* ---- sessions ---- */

#define PORT_MIN 20000
#define PORT_MAX 20099

static const uint8_t PEER[4] = {192, 0, 2, 20};

static struct sessions *
new_ss(void)
{
	struct sessions_config c;
	struct sessions *ss;

	memset(&c, 0, sizeof(c));
	c.port_min = PORT_MIN;
	c.port_max = PORT_MAX;
	c.n_addrs = 1;
	memcpy(c.addrs[0].addr, (const uint8_t[4]){192, 0, 2, 10}, 4);
	c.routes[0].prefix_len = 24; /* and no gateway: 203.0.113.x is off link */
	c.max_sessions = 8;
	ss = sessions_new(&c, NULL, W->crypto.mgr, err, sizeof(err));
	if (ss == NULL) {
		fprintf(stderr, "sessions_new: %s\n", err);
		abort();
	}
	return ss;
}

/* A made-up key for @p suite from @p seed, with an MKI of @p mki_len. */
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
		k->mki[i] = (uint8_t)(seed + i);
}

/* Both legs SRTP: leg 0 AES_CM_128_HMAC_SHA1_80 with a 4-byte MKI, leg 1
 * AEAD_AES_128_GCM without. */
static void
params(struct session_params *p, uint8_t seed, uint32_t timeout_ms)
{
	memset(p, 0, sizeof(*p));
	p->id = seed;
	p->timeout_ms = timeout_ms;
	for (unsigned int l = 0; l < 2; l++) {
		struct leg_params *g = &p->leg[l];
		enum suite s = l == 0 ? SUITE_AES_CM_128_HMAC_SHA1_80 : SUITE_AEAD_AES_128_GCM;

		g->flags = LEG_SRTP | LEG_RTCP_MUX;
		g->remote.port = (uint16_t)(30000 + 2 * l);
		memcpy(g->remote.addr, PEER, 4);
		dkeys(&g->in, s, (uint8_t)(seed + 4 * l), l == 0 ? 4 : 0);
		dkeys(&g->out, s, (uint8_t)(seed + 4 * l + 1), l == 0 ? 4 : 0);
	}
}

static uint32_t
create(struct sessions *ss, uint8_t seed, uint32_t timeout_ms)
{
	struct session_params p;
	uint32_t slot = 0;
	int r;

	params(&p, seed, timeout_ms);
	r = sessions_create(ss, &p, &slot, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "  create: %d %s\n", r, err);
	explicit_bzero(&p, sizeof(p));
	return r == 0 ? slot : 0;
}

static const struct srtp_dir *
dir(const struct sessions *ss, uint32_t slot, unsigned int leg, int out)
{
	const struct session *s = sessions_get(ss, slot);

	return s == NULL ? NULL : out ? &s->leg[leg].out : &s->leg[leg].in;
}

/* ---- what the registry says ---- */

static unsigned int
count(int state)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < n_reg; i++)
		n += REG[i].state == state;
	return n;
}

/* @p k was handed out by keys_create, and is live: not freed, and holding
 * key material (so that zero at its free means it was zeroed). */
static int
live(const struct srtp_keys *k)
{
	return k != NULL && reg_find(k, K_LIVE) >= 0 && !all_zero(k, sizeof(*k));
}

/* @p k was freed exactly once since it was handed out, and read zero. The
 * address is not read: it may be another object's by now. */
static int
freed_zeroed(const void *k)
{
	int i = k != NULL ? reg_find(k, K_FREED) : -1;

	return i >= 0 && REG[i].freed_zero;
}

/* Every object handed out since reg_reset() was freed once and read zero. */
static void
check_all_freed_zeroed(unsigned int created)
{
	unsigned int zeroed = 0;

	for (unsigned int i = 0; i < n_reg; i++)
		zeroed += REG[i].state == K_FREED && REG[i].freed_zero;
	CHECK_EQ(n_reg_overflow, 0);
	CHECK_EQ(n_reg, created);
	CHECK_EQ(count(K_LIVE), 0);
	CHECK_EQ(zeroed, created);
}

/* ---- cases ---- */

/* Delete: the four key objects of two SRTP legs are zeroed and freed, and
 * the slot they hung from reads zero. */
TEST(delete_both_legs)
{
	struct sessions *ss = new_ss();
	const struct srtp_keys *k[4];
	const struct session *s;
	unsigned long frees0;
	uint32_t slot;

	reg_reset();
	slot = create(ss, 10, 0);
	REQUIRE(slot != 0);
	s = sessions_get(ss, slot);
	k[0] = s->leg[0].in.keys, k[1] = s->leg[0].out.keys;
	k[2] = s->leg[1].in.keys, k[3] = s->leg[1].out.keys;
	CHECK_EQ(n_reg, 4);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK(live(k[i]));
		for (unsigned int j = 0; j < i; j++)
			CHECK(k[i] != k[j]);
	}
	CHECK_EQ(k[0]->mki_len, 4);
	CHECK(s->leg[0].in.prev_keys == NULL && s->leg[1].in.prev_keys == NULL);
	frees0 = frees_seen;
	CHECK_EQ(sessions_delete(ss, slot), 0);
	CHECK(frees_seen >= frees0 + 4); /* the wrapper does see the frees */
	for (unsigned int i = 0; i < 4; i++)
		CHECK(freed_zeroed(k[i]));
	check_all_freed_zeroed(4);
	CHECK(all_zero(&sessions_table(ss)->pool[slot], sizeof(struct session)));
	sessions_free(ss);
}

/* An outbound re-key switches at once: the old key is zeroed and freed
 * within the update. An inbound re-key keeps the old key (overlap) until
 * END_OVERLAP, which zeroes and frees it. */
TEST(rekey_then_end_overlap)
{
	struct sessions *ss = new_ss();
	const struct srtp_keys *in0, *out0, *in1, *out1;
	struct leg_update u;
	uint32_t slot;

	reg_reset();
	slot = create(ss, 20, 0);
	REQUIRE(slot != 0);
	in0 = dir(ss, slot, 0, 0)->keys;
	out0 = dir(ss, slot, 0, 1)->keys;

	memset(&u, 0, sizeof(u));
	dkeys(&u.out, SUITE_AES_256_CM_HMAC_SHA1_80, 30, 2);
	CHECK_EQ(sessions_update_leg(ss, slot, 0, &u, err, sizeof(err)), 0);
	out1 = dir(ss, slot, 0, 1)->keys;
	CHECK(live(out1));
	CHECK(freed_zeroed(out0));
	CHECK_EQ(count(K_FREED), 1);

	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AEAD_AES_256_GCM, 31, 1);
	CHECK_EQ(sessions_update_leg(ss, slot, 0, &u, err, sizeof(err)), 0);
	explicit_bzero(&u, sizeof(u));
	in1 = dir(ss, slot, 0, 0)->keys;
	CHECK(live(in1));
	CHECK(dir(ss, slot, 0, 0)->prev_keys == in0);
	CHECK(live(in0)); /* both inbound keys are live in the overlap */
	CHECK_EQ(count(K_FREED), 1);

	CHECK_EQ(sessions_end_overlap(ss, slot, 0), 0);
	CHECK(dir(ss, slot, 0, 0)->prev_keys == NULL);
	CHECK(freed_zeroed(in0));
	CHECK(live(in1));
	CHECK_EQ(count(K_FREED), 2);
	CHECK_EQ(sessions_end_overlap(ss, slot, 0), 0); /* nothing more to free */
	CHECK_EQ(count(K_FREED), 2);

	CHECK_EQ(sessions_delete(ss, slot), 0);
	CHECK(freed_zeroed(in1) && freed_zeroed(out1));
	check_all_freed_zeroed(6);
	sessions_free(ss);
}

/* A second inbound re-key during the overlap: the first key (the previous
 * one of the overlap) is zeroed and freed, the second becomes previous. */
TEST(second_rekey_in_overlap)
{
	struct sessions *ss = new_ss();
	const struct srtp_keys *k0, *k1, *k2;
	struct leg_update u;
	uint32_t slot;

	reg_reset();
	slot = create(ss, 40, 0);
	REQUIRE(slot != 0);
	k0 = dir(ss, slot, 1, 0)->keys;
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AEAD_AES_128_GCM, 41, 0);
	CHECK_EQ(sessions_update_leg(ss, slot, 1, &u, err, sizeof(err)), 0);
	k1 = dir(ss, slot, 1, 0)->keys;
	dkeys(&u.in, SUITE_AEAD_AES_128_GCM, 42, 0);
	CHECK_EQ(sessions_update_leg(ss, slot, 1, &u, err, sizeof(err)), 0);
	explicit_bzero(&u, sizeof(u));
	k2 = dir(ss, slot, 1, 0)->keys;
	CHECK(freed_zeroed(k0));
	CHECK(dir(ss, slot, 1, 0)->prev_keys == k1);
	CHECK(live(k1) && live(k2));
	CHECK_EQ(count(K_FREED), 1);
	CHECK_EQ(sessions_delete(ss, slot), 0); /* mid-overlap: current and previous */
	CHECK(freed_zeroed(k1) && freed_zeroed(k2));
	check_all_freed_zeroed(6);
	sessions_free(ss);
}

/* Delete while both legs are in a re-key overlap: six objects, the
 * current and previous inbound key and the outbound key of each leg. */
TEST(delete_mid_overlap_both_legs)
{
	struct sessions *ss = new_ss();
	const struct srtp_keys *k[6];
	struct leg_update u;
	uint32_t slot;

	reg_reset();
	slot = create(ss, 50, 0);
	REQUIRE(slot != 0);
	for (unsigned int l = 0; l < 2; l++) {
		memset(&u, 0, sizeof(u));
		dkeys(&u.in, l ? SUITE_AEAD_AES_128_GCM : SUITE_AES_CM_128_HMAC_SHA1_32,
		      (uint8_t)(60 + l), 3);
		CHECK_EQ(sessions_update_leg(ss, slot, l, &u, err, sizeof(err)), 0);
		explicit_bzero(&u, sizeof(u));
		k[3 * l] = dir(ss, slot, l, 0)->keys;
		k[3 * l + 1] = dir(ss, slot, l, 0)->prev_keys;
		k[3 * l + 2] = dir(ss, slot, l, 1)->keys;
	}
	for (unsigned int i = 0; i < 6; i++)
		CHECK(live(k[i]));
	CHECK_EQ(count(K_FREED), 0);
	CHECK_EQ(sessions_delete(ss, slot), 0);
	for (unsigned int i = 0; i < 6; i++)
		CHECK(freed_zeroed(k[i]));
	check_all_freed_zeroed(6);
	CHECK(all_zero(&sessions_table(ss)->pool[slot], sizeof(struct session)));
	sessions_free(ss);
}

/* An overlap the controller never ends ends after SESSIONS_OVERLAP_MS
 * (sessions_expire's clock), zeroing the previous key; a session idle past
 * its timeout is deleted with its keys zeroed. */
TEST(overlap_timeout_and_inactivity_expiry)
{
	struct sessions *ss = new_ss();
	const struct srtp_keys *prev, *cur;
	struct leg_update u;
	uint32_t slot, idle;
	uint64_t t = 1000;

	reg_reset();
	slot = create(ss, 70, 0);
	idle = create(ss, 80, 5000);
	REQUIRE(slot != 0 && idle != 0);
	CHECK_EQ(sessions_expire(ss, t, NULL, NULL), 0);
	prev = dir(ss, slot, 0, 0)->keys;
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_AES_CM_128_HMAC_SHA1_80, 71, 4);
	CHECK_EQ(sessions_update_leg(ss, slot, 0, &u, err, sizeof(err)), 0);
	explicit_bzero(&u, sizeof(u));
	cur = dir(ss, slot, 0, 0)->keys;
	/* the idle session's 5 s passed: deleted, its four keys zeroed; the
	 * overlap has 1 ms to go */
	CHECK_EQ(sessions_expire(ss, t + SESSIONS_OVERLAP_MS - 1, NULL, NULL), 1);
	CHECK(sessions_get(ss, idle) == NULL);
	CHECK_EQ(count(K_FREED), 4);
	CHECK(live(prev));
	CHECK(dir(ss, slot, 0, 0)->prev_keys == prev);
	/* the overlap's end */
	CHECK_EQ(sessions_expire(ss, t + SESSIONS_OVERLAP_MS, NULL, NULL), 0);
	CHECK(dir(ss, slot, 0, 0)->prev_keys == NULL);
	CHECK(freed_zeroed(prev));
	CHECK(live(cur));
	CHECK_EQ(count(K_FREED), 5);
	CHECK_EQ(sessions_delete(ss, slot), 0);
	check_all_freed_zeroed(9);
	sessions_free(ss);
}

/* A create refused after its keys were derived (the next hop of leg 1 is
 * off link): the four objects made for it are zeroed and freed. */
TEST(refused_create_after_derivation)
{
	struct sessions *ss = new_ss();
	struct session_params p;
	uint32_t slot = 0;

	reg_reset();
	params(&p, 90, 0);
	memcpy(p.leg[1].remote.addr, (const uint8_t[4]){203, 0, 113, 9}, 4);
	CHECK_EQ(sessions_create(ss, &p, &slot, err, sizeof(err)), -EHOSTUNREACH);
	explicit_bzero(&p, sizeof(p));
	CHECK(strstr(err, "off link") != NULL);
	CHECK_EQ(sessions_count(ss), 0);
	check_all_freed_zeroed(4);
	sessions_free(ss);
}

/* sessions_free with live sessions, one in an overlap: every key object. */
TEST(free_with_live_sessions)
{
	struct sessions *ss = new_ss();
	struct leg_update u;
	uint32_t a, b;

	reg_reset();
	a = create(ss, 100, 0);
	b = create(ss, 110, 0);
	REQUIRE(a != 0 && b != 0);
	memset(&u, 0, sizeof(u));
	dkeys(&u.in, SUITE_NULL_HMAC_SHA1_80, 120, 0);
	CHECK_EQ(sessions_update_leg(ss, b, 0, &u, err, sizeof(err)), 0);
	explicit_bzero(&u, sizeof(u));
	CHECK_EQ(count(K_LIVE), 9);
	sessions_free(ss);
	check_all_freed_zeroed(9);
}

/* keys_destroy() itself, for every suite; NULL frees nothing. */
TEST(keys_destroy_directly)
{
	unsigned long frees0;

	reg_reset();
	for (unsigned int s = 0; s < SUITE_MAX; s++) {
		uint8_t key[SRTP_KEY_MAX], salt[SRTP_SALT_MAX], mki[3] = {1, 2, 3};
		struct srtp_keys *k;

		engine_fill_key((enum suite)s, key, salt, (uint8_t)(130 + s));
		k = keys_create(W->crypto.mgr, (enum suite)s, key, suites[s].key_len, salt,
				suites[s].salt_len, mki, s % 2 ? 3 : 0, err, sizeof(err));
		REQUIRE(k != NULL);
		CHECK(live(k));
		keys_destroy(k);
		CHECK(freed_zeroed(k));
	}
	check_all_freed_zeroed(SUITE_MAX);
	frees0 = frees_seen;
	keys_destroy(NULL);
	CHECK_EQ(frees_seen, frees0 + 0);
}

/* ---- the control protocol's decoded requests ---- */

static const uint8_t KEY[16] = {0x4b, 0x7a, 0x31, 0xe2, 0x90, 0x5c, 0x11, 0xd8,
				0x6f, 0x03, 0xaa, 0x47, 0xc9, 0x2e, 0xb5, 0x18};
static const uint8_t SALT[14] = {0x53, 0x9e, 0x04, 0x7c, 0xd1, 0x68, 0x2b,
				 0xf0, 0x35, 0xa6, 0x8d, 0x12, 0xe9, 0x7b};
static uint8_t REQ[2048], RSP[PROTO_MSG_MAX];

static void
put_key(struct proto_writer *w, uint16_t which, unsigned int key_len)
{
	proto_nest_begin(w, which);
	proto_put_u8(w, PROTO_A_SUITE, 1); /* AES_CM_128_HMAC_SHA1_80 */
	proto_put(w, PROTO_A_MASTER_KEY, KEY, key_len);
	proto_put(w, PROTO_A_MASTER_SALT, SALT, sizeof(SALT));
	proto_put(w, PROTO_A_MKI, (const uint8_t[2]){7, 9}, 2);
	proto_nest_end(w);
}

/* CREATE, both legs SRTP. @p dscp1 > 63 breaks leg 1 (after leg 0's keys
 * were decoded); @p port1 outside the range is refused by the sessions API. */
static long
create_req(uint8_t dscp1, uint16_t port1)
{
	struct proto_writer w;

	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_SESSION_CREATE, 0, 21, 0);
	proto_put_u64(&w, PROTO_A_SESSION_ID, 5);
	for (unsigned int l = 0; l < 2; l++) {
		proto_nest_begin(&w, PROTO_A_LEG);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u8(&w, PROTO_A_LOCAL_ADDR, 0);
		if (l == 1 && port1 != 0)
			proto_put_u16(&w, PROTO_A_LOCAL_PORT, port1);
		proto_put(&w, PROTO_A_REMOTE_ADDR, PEER, 4);
		proto_put_u16(&w, PROTO_A_REMOTE_PORT, (uint16_t)(4000 + 2 * l));
		proto_put_u32(&w, PROTO_A_LEG_FLAGS, PROTO_LEG_SRTP | PROTO_LEG_RTCP_MUX);
		if (l == 1)
			proto_put_u8(&w, PROTO_A_DSCP, dscp1);
		put_key(&w, PROTO_A_KEY_IN, sizeof(KEY));
		put_key(&w, PROTO_A_KEY_OUT, sizeof(KEY));
		proto_nest_end(&w);
	}
	return proto_finish(&w);
}

/* UPDATE of leg 0 with a new inbound key of @p key_len bytes. */
static long
update_req(uint32_t slot, unsigned int key_len)
{
	struct proto_writer w;

	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_SESSION_UPDATE, 0, 22, 0);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 0);
	put_key(&w, PROTO_A_KEY_IN, key_len);
	proto_nest_end(&w);
	return proto_finish(&w);
}

struct dispatched {
	uint16_t status;
	uint32_t slot;
};

static struct dispatched
dispatch(struct ctl_conn *c, struct sessions *ss, long len)
{
	struct dispatched d = {0, 0};
	struct proto_hdr h;
	struct proto_iter it;
	struct proto_attr_view a;
	char e[128];
	int closed = 0;
	long n;

	memset(&WATCH, 0, sizeof(WATCH));
	WATCH_KEY = KEY;
	WATCH_KEY_LEN = 12; /* a run every key_len the requests use holds */
	n = ctl_dispatch(c, &(struct ctl_env){.ss = ss}, REQ, (size_t)len, RSP, sizeof(RSP),
			 &closed);
	WATCH_KEY = NULL;
	if (n <= 0 || proto_hdr_parse(RSP, (size_t)n, &h, e, sizeof(e)) != 0) {
		d.status = 0xffff;
		return d;
	}
	d.status = h.status;
	proto_iter_init(&it, RSP + PROTO_HDR_LEN, (size_t)n - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1)
		if (a.type == PROTO_A_SLOT && a.len == 4)
			d.slot = proto_rd32(a.val);
	return d;
}

/* The decoded request held the key and was wiped whole after the sessions
 * API returned (@p api: it was called) and before the response. */
static void
check_wiped(int api, size_t size)
{
	CHECK(WATCH.decoded != NULL);
	CHECK_EQ(WATCH.size, size);
	CHECK(WATCH.held_key);
	CHECK(WATCH.wiped_at > WATCH.decoded_at);
	if (api) {
		CHECK(WATCH.api_at > WATCH.decoded_at);
		CHECK(WATCH.wiped_at > WATCH.api_at);
	} else {
		CHECK_EQ(WATCH.api_at, 0);
	}
}

TEST(dispatch_wipes_decoded_requests)
{
	struct sessions *ss = new_ss();
	struct ctl_conn c = {0};
	struct proto_writer w;
	struct dispatched d;
	uint32_t slot;

	reg_reset();
	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_HELLO, 0, 1, 0);
	proto_put_u8(&w, PROTO_A_VERSION_MIN, 1);
	proto_put_u8(&w, PROTO_A_VERSION_MAX, 1);
	REQUIRE(dispatch(&c, ss, proto_finish(&w)).status == PROTO_ST_OK);

	/* accepted: both legs' copies wiped in the decoder, then the whole */
	d = dispatch(&c, ss, create_req(46, 0));
	CHECK_EQ(d.status, PROTO_ST_OK);
	slot = d.slot;
	check_wiped(1, sizeof(struct session_params));
	CHECK_EQ(WATCH.wipes_in_decode, 2);
	CHECK_EQ(n_reg, 4);
	/* refused by the decoder at leg 1, leg 0's keys already decoded */
	d = dispatch(&c, ss, create_req(64, 0));
	CHECK_EQ(d.status, PROTO_ST_BAD_ATTRIBUTE);
	check_wiped(0, sizeof(struct session_params));
	CHECK_EQ(WATCH.wipes_in_decode, 2);
	/* refused by the sessions API (port out of range) */
	d = dispatch(&c, ss, create_req(46, PORT_MAX + 1));
	CHECK_EQ(d.status, PROTO_ST_BAD_ATTRIBUTE);
	check_wiped(1, sizeof(struct session_params));
	CHECK_EQ(sessions_count(ss), 1);

	/* UPDATE: accepted, refused by the decoder (15-byte key), refused by
	 * the sessions API (no such slot) */
	d = dispatch(&c, ss, update_req(slot, sizeof(KEY)));
	CHECK_EQ(d.status, PROTO_ST_OK);
	check_wiped(1, sizeof(struct leg_update));
	d = dispatch(&c, ss, update_req(slot, sizeof(KEY) - 1));
	CHECK_EQ(d.status, PROTO_ST_BAD_ATTRIBUTE);
	check_wiped(0, sizeof(struct leg_update));
	d = dispatch(&c, ss, update_req(slot + 1, sizeof(KEY)));
	CHECK_EQ(d.status, PROTO_ST_NO_SESSION);
	check_wiped(1, sizeof(struct leg_update));

	/* and the key objects the accepted requests made */
	CHECK_EQ(n_reg, 5);
	sessions_free(ss);
	check_all_freed_zeroed(5);
}

ENGINE_TEST_MAIN(W, "")
