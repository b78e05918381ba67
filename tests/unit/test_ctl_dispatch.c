/* test_ctl_dispatch.c: control-protocol requests through ctl_dispatch()
 * into a real sessions table (no EAL, no worker), responses decoded here.
 *
 *   - HELLO first: anything else before it is NO_HELLO; versions that do
 *     not overlap are VERSION; a good HELLO names the server and its limit;
 *   - CREATE -> SLOT and each leg's allocated port; the session exists;
 *   - UPDATE of the remote, a re-key with END_OVERLAP; DELETE; DELETE again
 *     is NO_SESSION; refused requests change nothing;
 *   - a broken header is BAD_MESSAGE and closes the connection; an unknown
 *     type is UNKNOWN_TYPE and does not;
 *   - GET (legs, suites, counters), LIST paging, STATS with and without a
 *     slot, SUBSCRIBE masks; each one's bad attributes named;
 *   - no response ever contains the key or salt bytes.
 */
#include "../engine.h"
#include "../test.h"

#include "control/ctl_dispatch.h"

static struct worker *W;
static struct sessions *SS;
static uint8_t REQ[2048], RSP[PROTO_MSG_MAX];
static const uint8_t KEY[16] = {0x6b, 0x65, 0x79, 0x21, 0x9a, 0x9b, 0x9c, 0x9d,
				0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5};
static const uint8_t SALT[14] = {0x73, 0x61, 0x6c, 0x74, 0xb0, 0xb1, 0xb2,
				 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9};

struct reply {
	struct proto_hdr h;
	long len;
	int closed;
	char text[256];
	uint16_t err_attr;
	uint32_t slot;
	uint16_t port[2];
	uint8_t version;
	unsigned int n_slots, n_counters, n_legs;
	uint32_t cursor;
	uint64_t id, sessions_counter, leg0_rtp_packets;
	uint8_t suite_in[2];
};

/* Send @p len bytes of REQ; decode what comes back. */
static struct reply
send_req(struct ctl_conn *c, long len)
{
	struct reply r;
	struct proto_iter it;
	struct proto_attr_view a;
	char err[128];

	memset(&r, 0, sizeof(r));
	r.len = ctl_dispatch(c, &(struct ctl_env){.ss = SS}, REQ, (size_t)len, RSP, sizeof(RSP),
			     &r.closed);
	if (r.len <= 0 || proto_hdr_parse(RSP, (size_t)r.len, &r.h, err, sizeof(err)) != 0) {
		r.len = -1;
		return r;
	}
	/* no response may carry key or salt bytes */
	for (long i = 0; i + 4 <= r.len; i++)
		if (memcmp(RSP + i, KEY, 4) == 0 || memcmp(RSP + i, SALT, 4) == 0) {
			fprintf(stderr, "a response carries key or salt bytes\n");
			test_failed_checks++;
		}
	test_checks++;
	proto_iter_init(&it, RSP + PROTO_HDR_LEN, (size_t)r.h.length - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1) {
		if (a.type == PROTO_A_ERROR_TEXT)
			snprintf(r.text, sizeof(r.text), "%.*s", a.len, (const char *)a.val);
		else if (a.type == PROTO_A_ERROR_ATTR && a.len == 2)
			r.err_attr = proto_rd16(a.val);
		else if (a.type == PROTO_A_SLOT && a.len == 4)
			r.slot = proto_rd32(a.val), r.n_slots++;
		else if (a.type == PROTO_A_CURSOR && a.len == 4)
			r.cursor = proto_rd32(a.val);
		else if (a.type == PROTO_A_SESSION_ID && a.len == 8)
			r.id = proto_rd64(a.val);
		else if (a.type == PROTO_A_COUNTER) {
			struct proto_iter in;
			struct proto_attr_view b;
			char name[64] = "";
			uint64_t v = 0;

			r.n_counters++;
			proto_iter_init(&in, a.val, a.len);
			while (proto_next(&in, &b) == 1) {
				if (b.type == PROTO_A_COUNTER_NAME && b.len < sizeof(name))
					memcpy(name, b.val, b.len);
				if (b.type == PROTO_A_COUNTER_VALUE)
					v = proto_rd64(b.val);
			}
			if (strcmp(name, "sessions") == 0)
				r.sessions_counter = v;
			if (strcmp(name, "leg0.rtp.packets") == 0)
				r.leg0_rtp_packets = v;
		} else if (a.type == PROTO_A_VERSION && a.len == 1)
			r.version = a.val[0];
		else if (a.type == PROTO_A_LEG) {
			struct proto_iter in;
			struct proto_attr_view b;
			unsigned int idx = 2;
			uint16_t port = 0;

			proto_iter_init(&in, a.val, a.len);
			while (proto_next(&in, &b) == 1) {
				if (b.type == PROTO_A_LEG_INDEX)
					idx = b.val[0];
				if (b.type == PROTO_A_LOCAL_PORT)
					port = proto_rd16(b.val);
			}
			if (idx < 2)
				r.port[idx] = port;
			r.n_legs++;
			proto_iter_init(&in, a.val, a.len);
			while (proto_next(&in, &b) == 1)
				if (b.type == PROTO_A_KEY_IN && idx < 2)
					r.suite_in[idx] = b.val[4]; /* SUITE's value */
		}
	}
	return r;
}

static long
hello(uint8_t vmin, uint8_t vmax)
{
	struct proto_writer w;

	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_HELLO, 0, 7, 0);
	proto_put_u8(&w, PROTO_A_VERSION_MIN, vmin);
	proto_put_u8(&w, PROTO_A_VERSION_MAX, vmax);
	proto_put_str(&w, PROTO_A_NAME, "test");
	return proto_finish(&w);
}

static void
key(struct proto_writer *w, uint16_t which)
{
	proto_nest_begin(w, which);
	proto_put_u8(w, PROTO_A_SUITE, 1);
	proto_put(w, PROTO_A_MASTER_KEY, KEY, 16);
	proto_put(w, PROTO_A_MASTER_SALT, SALT, 14);
	proto_nest_end(w);
}

/* CREATE: leg 0 SRTP (local address 0), leg 1 plain; @p dscp1 > 63 breaks it. */
static long
create_req(uint8_t dscp1)
{
	static const uint8_t peer[2][4] = {{198, 51, 100, 1}, {198, 51, 100, 2}};
	struct proto_writer w;

	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_SESSION_CREATE, 0, 11, 0);
	proto_put_u64(&w, PROTO_A_SESSION_ID, 99);
	for (unsigned int l = 0; l < 2; l++) {
		proto_nest_begin(&w, PROTO_A_LEG);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u8(&w, PROTO_A_LOCAL_ADDR, 0);
		proto_put(&w, PROTO_A_REMOTE_ADDR, peer[l], 4);
		proto_put_u16(&w, PROTO_A_REMOTE_PORT, (uint16_t)(4000 + 2 * l));
		proto_put_u8(&w, PROTO_A_DSCP, l ? dscp1 : 0);
		if (l == 0) {
			proto_put_u32(&w, PROTO_A_LEG_FLAGS, PROTO_LEG_SRTP);
			key(&w, PROTO_A_KEY_IN);
			key(&w, PROTO_A_KEY_OUT);
		}
		proto_nest_end(&w);
	}
	return proto_finish(&w);
}

static long
slot_req(uint8_t type, uint32_t slot)
{
	struct proto_writer w;

	proto_begin(&w, REQ, sizeof(REQ), type, 0, 12, 0);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	return proto_finish(&w);
}

TEST(hello_first)
{
	struct ctl_conn c = {0};
	struct reply r;

	r = send_req(&c, create_req(46));
	CHECK_EQ(r.h.status, PROTO_ST_NO_HELLO);
	CHECK_EQ(r.h.flags, PROTO_F_RESPONSE);
	CHECK_EQ(r.h.request_id, 11);
	CHECK_EQ(r.closed, 0);
	CHECK_EQ(sessions_count(SS), 0);
	r = send_req(&c, hello(2, 3));
	CHECK_EQ(r.h.status, PROTO_ST_VERSION);
	CHECK(strstr(r.text, "client speaks 2..3, this server speaks 1") != NULL);
	r = send_req(&c, hello(0, 1));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	r = send_req(&c, hello(1, 4));
	CHECK_EQ(r.h.status, PROTO_ST_OK);
	CHECK_EQ(r.h.request_id, 7);
	CHECK_EQ(r.version, 1);
	CHECK_EQ(c.version, 1);
}

TEST(create_update_delete)
{
	struct ctl_conn c = {0};
	struct reply r;
	struct proto_writer w;
	const struct session *s;
	long n;

	send_req(&c, hello(1, 1));
	/* refused: nothing created */
	r = send_req(&c, create_req(64));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(r.err_attr, PROTO_A_DSCP);
	CHECK(strstr(r.text, "leg 1: DSCP 64") != NULL);
	CHECK_EQ(sessions_count(SS), 0);
	/* created */
	r = send_req(&c, create_req(46));
	REQUIRE(r.len > 0);
	CHECK_EQ(r.h.status, PROTO_ST_OK);
	s = sessions_get(SS, r.slot);
	REQUIRE(s != NULL);
	CHECK(s->id == 99);
	CHECK_EQ(r.port[0], s->leg[0].local_port);
	CHECK_EQ(r.port[1], s->leg[1].local_port);
	CHECK(r.port[0] != 0 && r.port[1] != 0 && r.port[0] != r.port[1]);
	CHECK_EQ(s->leg[1].dscp, 46);
	CHECK(s->leg[0].in.keys != NULL);
	/* update: a new remote on leg 1; a re-key of leg 0 with END_OVERLAP */
	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_SESSION_UPDATE, 0, 13, 0);
	proto_put_u32(&w, PROTO_A_SLOT, r.slot);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 1);
	proto_put(&w, PROTO_A_REMOTE_ADDR, (const uint8_t[4]){203, 0, 113, 1}, 4);
	proto_put_u16(&w, PROTO_A_REMOTE_PORT, 7000);
	proto_nest_end(&w);
	n = proto_finish(&w);
	CHECK_EQ(send_req(&c, n).h.status, PROTO_ST_OK);
	CHECK_EQ(s->leg[1].cfg.remote.port, 7000);
	CHECK_EQ(s->leg[1].cfg.epoch, 1);
	proto_begin(&w, REQ, sizeof(REQ), PROTO_MSG_SESSION_UPDATE, 0, 14, 0);
	proto_put_u32(&w, PROTO_A_SLOT, r.slot);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 0);
	key(&w, PROTO_A_KEY_IN);
	proto_put(&w, PROTO_A_END_OVERLAP, NULL, 0);
	proto_nest_end(&w);
	n = proto_finish(&w);
	CHECK_EQ(send_req(&c, n).h.status, PROTO_ST_OK);
	CHECK(s->leg[0].in.prev_keys == NULL); /* overlap ended at once */
	/* an update of a slot that does not exist */
	REQ[PROTO_HDR_LEN + 4 + 3] ^= 0x40;
	CHECK_EQ(send_req(&c, n).h.status, PROTO_ST_NO_SESSION);
	/* delete, then again */
	CHECK_EQ(send_req(&c, slot_req(PROTO_MSG_SESSION_DELETE, r.slot)).h.status, PROTO_ST_OK);
	CHECK_EQ(sessions_count(SS), 0);
	r = send_req(&c, slot_req(PROTO_MSG_SESSION_DELETE, r.slot));
	CHECK_EQ(r.h.status, PROTO_ST_NO_SESSION);
	CHECK(strstr(r.text, "no session in slot") != NULL);
}

/* A request of @p type with one u32 attribute @p attr (or none: attr 0). */
static long
u32_req(uint8_t type, uint16_t attr, uint32_t v, uint16_t attr2, uint32_t v2)
{
	struct proto_writer w;

	proto_begin(&w, REQ, sizeof(REQ), type, 0, 21, 0);
	if (attr != 0)
		proto_put_u32(&w, attr, v);
	if (attr2 != 0)
		proto_put_u32(&w, attr2, v2);
	return proto_finish(&w);
}

TEST(get_list_stats_subscribe)
{
	struct ctl_conn c = {0};
	struct reply r;
	uint32_t slots[3], seen = 0;

	send_req(&c, hello(1, 1));
	for (unsigned int i = 0; i < 3; i++) {
		r = send_req(&c, create_req(0));
		REQUIRE(r.h.status == PROTO_ST_OK);
		slots[i] = r.slot;
	}
	/* GET: both legs, leg 0's suite only (never its key), the counters */
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_GET, PROTO_A_SLOT, slots[1], 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_OK);
	CHECK_EQ(r.slot, slots[1]);
	CHECK(r.id == 99);
	CHECK_EQ(r.n_legs, 2);
	CHECK_EQ(r.suite_in[0], 1);
	CHECK_EQ(r.suite_in[1], 0);
	CHECK_EQ(r.n_counters, 2 * 6 + 4 * 5); /* rx per port x 2 legs, 4 SRTP halves on leg 0 */
	CHECK(r.leg0_rtp_packets == 0);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_GET, PROTO_A_SLOT, 7, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_NO_SESSION);
	CHECK(strstr(r.text, "no session in slot 7") != NULL);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_GET, 0, 0, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(r.err_attr, PROTO_A_SLOT);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_GET, PROTO_A_SLOT, 1, PROTO_A_SLOT, 2));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	/* LIST: two pages of two, every slot once, then cursor 0 */
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_LIST, PROTO_A_LIMIT, 2, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_OK);
	CHECK_EQ(r.n_slots, 2);
	CHECK(r.cursor > slots[1]);
	seen = r.n_slots;
	r = send_req(&c,
		     u32_req(PROTO_MSG_SESSION_LIST, PROTO_A_CURSOR, r.cursor, PROTO_A_LIMIT, 2));
	CHECK_EQ(r.n_slots, 1);
	CHECK_EQ(r.slot, slots[2]);
	CHECK_EQ(r.cursor, 0);
	CHECK_EQ(seen + r.n_slots, 3);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_LIST, PROTO_A_LIMIT, 0, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(r.err_attr, PROTO_A_LIMIT);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_LIST, PROTO_A_LIMIT, 1025, 0, 0));
	CHECK_EQ(r.err_attr, PROTO_A_LIMIT);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_LIST, PROTO_A_CURSOR, 1, PROTO_A_CURSOR, 2));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(r.err_attr, PROTO_A_CURSOR);
	r = send_req(&c, u32_req(PROTO_MSG_SESSION_LIST, PROTO_A_SLOT, 1, 0, 0));
	CHECK_EQ(r.err_attr, PROTO_A_SLOT);
	/* STATS: the session count; with a slot, the session */
	r = send_req(&c, u32_req(PROTO_MSG_STATS, 0, 0, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_OK);
	CHECK(r.sessions_counter == 3);
	CHECK_EQ(r.n_counters, 2); /* sessions, sessions_max: no daemon here */
	r = send_req(&c, u32_req(PROTO_MSG_STATS, PROTO_A_SLOT, slots[0], 0, 0));
	CHECK_EQ(r.h.type, PROTO_MSG_STATS);
	CHECK_EQ(r.slot, slots[0]);
	CHECK_EQ(r.n_counters, 32);
	r = send_req(&c, u32_req(PROTO_MSG_STATS, PROTO_A_LIMIT, 1, 0, 0));
	CHECK_EQ(r.err_attr, PROTO_A_SLOT);
	/* SUBSCRIBE: known bits only; the mask is the connection's */
	r = send_req(&c, u32_req(PROTO_MSG_SUBSCRIBE, PROTO_A_EVENT_MASK, 0x6, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_OK);
	CHECK_EQ(c.event_mask, 0x6);
	r = send_req(&c, u32_req(PROTO_MSG_SUBSCRIBE, PROTO_A_EVENT_MASK, 0x21, 0, 0));
	CHECK_EQ(r.h.status, PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(r.err_attr, PROTO_A_EVENT_MASK);
	CHECK(strstr(r.text, "EVENT_MASK 0x21: known events are 0x1e") != NULL);
	CHECK_EQ(c.event_mask, 0x6);
	r = send_req(&c, u32_req(PROTO_MSG_SUBSCRIBE, 0, 0, 0, 0));
	CHECK_EQ(r.err_attr, PROTO_A_EVENT_MASK);
	for (unsigned int i = 0; i < 3; i++)
		sessions_delete(SS, slots[i]);
}

TEST(broken_and_unknown)
{
	struct ctl_conn c = {0};
	struct reply r;
	long n;

	send_req(&c, hello(1, 1));
	n = slot_req(0x7e, 1);
	r = send_req(&c, n);
	CHECK_EQ(r.h.status, PROTO_ST_UNKNOWN_TYPE);
	CHECK_EQ(r.closed, 0);
	n = slot_req(PROTO_MSG_SESSION_DELETE, 1);
	REQ[14] = 1; /* reserved bits */
	r = send_req(&c, n);
	CHECK_EQ(r.h.status, PROTO_ST_BAD_MESSAGE);
	CHECK_EQ(r.closed, 1);
	n = slot_req(PROTO_MSG_SESSION_DELETE, 1);
	r = send_req(&c, n - 4); /* the header says more than arrived */
	CHECK_EQ(r.h.status, PROTO_ST_BAD_MESSAGE);
	CHECK_EQ(r.closed, 1);
	n = slot_req(PROTO_MSG_SESSION_DELETE, 1);
	REQ[3] = PROTO_F_RESPONSE; /* a response sent as a request */
	CHECK_EQ(send_req(&c, n).closed, 1);
}

int
main(void)
{
	struct sessions_config cfg;
	char err[256];
	int bad;

	W = engine_worker();
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 20000;
	cfg.port_max = 20099;
	cfg.max_sessions = 8;
	cfg.n_addrs = 1;
	cfg.addrs[0].addr[0] = 192, cfg.addrs[0].addr[1] = 0, cfg.addrs[0].addr[2] = 2;
	cfg.addrs[0].addr[3] = 10;
	SS = sessions_new(&cfg, NULL, W->crypto.mgr, err, sizeof(err));
	if (SS == NULL)
		return 1;
	bad = test_run_all();
	sessions_free(SS);
	engine_worker_free(W);
	return bad;
}
