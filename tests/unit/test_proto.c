/* test_proto.c: the control protocol's framing, attributes and request
 * decoders (control/proto.c, control/proto_session.c), without EAL.
 *
 *   - the header: every field round-trips; each bad field is refused with
 *     a message naming it;
 *   - attributes: padding, nesting, a writer that runs out of room, a
 *     reader that meets a length past the end or non-zero padding;
 *   - SESSION_CREATE and SESSION_UPDATE decoded into the sessions API's
 *     parameters, and every rule refused with the attribute at fault and a
 *     message naming leg and attribute, never the key, salt or MKI bytes.
 */
#include "../test.h"

#include "control/proto_session.h"

static uint8_t BUF[4096];
static const uint8_t KEY16[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint8_t MKI[32] = {0x4d, 0x4b, 0x49};
static const uint8_t SALT14[14] = {0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

/* ---- framing ---- */

TEST(header_round_trip)
{
	struct proto_writer w;
	struct proto_hdr h;
	char err[128];
	long n;

	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_SESSION_GET, PROTO_F_RESPONSE, 0x01020304,
		    PROTO_ST_NO_SESSION);
	proto_put_u32(&w, PROTO_A_SLOT, 77);
	n = proto_finish(&w);
	CHECK_EQ(n, 16 + 8);
	REQUIRE(proto_hdr_parse(BUF, (size_t)n, &h, err, sizeof(err)) == 0);
	CHECK_EQ(h.version, 1);
	CHECK_EQ(h.type, PROTO_MSG_SESSION_GET);
	CHECK_EQ(h.flags, PROTO_F_RESPONSE);
	CHECK_EQ(h.length, 24);
	CHECK_EQ(h.request_id, 0x01020304);
	CHECK_EQ(h.status, PROTO_ST_NO_SESSION);
	/* network order on the wire */
	CHECK_EQ(BUF[4], 0);
	CHECK_EQ(BUF[7], 24);
	CHECK_EQ(BUF[8], 1);
	CHECK_EQ(BUF[11], 4);
	CHECK(strcmp(proto_msg_name(PROTO_MSG_SESSION_GET), "SESSION_GET") == 0);
	CHECK(strcmp(proto_status_name(PROTO_ST_NO_SESSION), "NO_SESSION") == 0);
	CHECK(strcmp(proto_attr_name(PROTO_A_SLOT), "SLOT") == 0);
	CHECK(strcmp(proto_attr_name(0x7777), "?") == 0);
}

TEST(header_refused)
{
	static const struct {
		unsigned int off;
		uint8_t val;
		const char *says;
	} bad[] = {
		{0, 2, "version 2"},	    {4, 0x01, "length 16777240"}, /* 16 MB */
		{7, 12, "length 12"},	    {7, 22, "not a multiple of 4"},
		{2, 0x80, "unknown flags"}, {14, 1, "reserved field"},
	};
	struct proto_writer w;
	struct proto_hdr h;
	char err[128];
	uint8_t m[64];

	CHECK(proto_hdr_parse(BUF, 15, &h, err, sizeof(err)) == -1);
	CHECK(strstr(err, "15 bytes") != NULL);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proto_begin(&w, m, sizeof(m), PROTO_MSG_HELLO, 0, 1, 0);
		proto_put_u32(&w, PROTO_A_SLOT, 1);
		REQUIRE(proto_finish(&w) == 24);
		m[bad[i].off] = bad[i].val;
		CHECK(proto_hdr_parse(m, sizeof(m), &h, err, sizeof(err)) == -1);
		if (strstr(err, bad[i].says) == NULL) {
			fprintf(stderr, "case %u: '%s' does not say '%s'\n", i, err, bad[i].says);
			test_failed_checks++;
		}
	}
}

TEST(attributes)
{
	struct proto_writer w;
	struct proto_iter it, in;
	struct proto_attr_view a, b;
	long n;

	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_SESSION_CREATE, 0, 9, 0);
	proto_put_str(&w, PROTO_A_NAME, "kamailio"); /* 8 bytes: no padding */
	proto_put_u8(&w, PROTO_A_DSCP, 46); /* 1 byte + 3 padding */
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u16(&w, PROTO_A_REMOTE_PORT, 5004);
	proto_put_u64(&w, PROTO_A_SESSION_ID, 0x1122334455667788ull);
	proto_nest_end(&w);
	proto_put(&w, PROTO_A_END_OVERLAP, NULL, 0);
	n = proto_finish(&w);
	CHECK_EQ(n, 16 + 12 + 8 + (4 + 8 + 12) + 4);
	proto_iter_init(&it, BUF + 16, (size_t)n - 16);
	REQUIRE(proto_next(&it, &a) == 1);
	CHECK(a.type == PROTO_A_NAME && a.len == 8 && memcmp(a.val, "kamailio", 8) == 0);
	REQUIRE(proto_next(&it, &a) == 1);
	CHECK(a.type == PROTO_A_DSCP && a.len == 1 && a.val[0] == 46);
	REQUIRE(proto_next(&it, &a) == 1);
	CHECK(a.type == PROTO_A_LEG && a.len == 20);
	proto_iter_init(&in, a.val, a.len);
	REQUIRE(proto_next(&in, &b) == 1);
	CHECK(b.type == PROTO_A_REMOTE_PORT && proto_rd16(b.val) == 5004);
	REQUIRE(proto_next(&in, &b) == 1);
	CHECK(proto_rd64(b.val) == 0x1122334455667788ull);
	CHECK_EQ(proto_next(&in, &b), 0);
	REQUIRE(proto_next(&it, &a) == 1);
	CHECK(a.type == PROTO_A_END_OVERLAP && a.len == 0);
	CHECK_EQ(proto_next(&it, &a), 0);

	/* broken layouts */
	proto_iter_init(&it, BUF + 16, 3); /* a header cut short */
	CHECK_EQ(proto_next(&it, &a), -1);
	proto_iter_init(&it, BUF + 16, 10); /* a value past the end */
	CHECK_EQ(proto_next(&it, &a), -1);
	BUF[16 + 12 + 5] = 1; /* DSCP's padding not zero */
	proto_iter_init(&it, BUF + 16 + 12, 8);
	CHECK_EQ(proto_next(&it, &a), -1);

	/* a writer that runs out of room, or of nesting, fails as a whole */
	proto_begin(&w, BUF, 20, PROTO_MSG_HELLO, 0, 1, 0);
	proto_put_u32(&w, PROTO_A_SLOT, 1);
	CHECK_EQ(proto_finish(&w), -1);
	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_HELLO, 0, 1, 0);
	for (int d = 0; d < PROTO_NEST_MAX + 1; d++)
		proto_nest_begin(&w, PROTO_A_LEG);
	CHECK_EQ(proto_finish(&w), -1);
	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_HELLO, 0, 1, 0);
	proto_nest_begin(&w, PROTO_A_LEG); /* never closed */
	CHECK_EQ(proto_finish(&w), -1);
}

/* ---- SESSION_CREATE ---- */

enum mut {
	M_NONE,
	M_NO_ID,
	M_ONE_LEG,
	M_THREE_LEGS,
	M_SAME_LEG,
	M_DUP_ATTR,
	M_UNKNOWN_ATTR,
	M_NO_INDEX,
	M_BAD_INDEX,
	M_ADDR_LEN,
	M_PORT_ALONE,
	M_ODD_PORT,
	M_FLAGS,
	M_DSCP,
	M_SUITE,
	M_KEY_LEN,
	M_SALT_LEN,
	M_NO_SALT,
	M_MKI_LEN,
	M_KEY_ATTR,
	M_END_OVERLAP,
	M_NO_LOCAL,
	M_MAX
};

static const struct {
	uint16_t attr;
	const char *says;
} WANT[M_MAX] = {
	[M_NO_ID] = {PROTO_A_SESSION_ID, "SESSION_ID is required"},
	[M_ONE_LEG] = {PROTO_A_LEG, "two LEG attributes"},
	[M_THREE_LEGS] = {PROTO_A_LEG, "a third"},
	[M_SAME_LEG] = {PROTO_A_LEG_INDEX, "leg 0 given twice"},
	[M_DUP_ATTR] = {PROTO_A_TIMEOUT_MS, "TIMEOUT_MS given twice"},
	[M_UNKNOWN_ATTR] = {0x0777, "0x0777"},
	[M_NO_INDEX] = {PROTO_A_LEG_INDEX, "LEG_INDEX (0 or 1) is required"},
	[M_BAD_INDEX] = {PROTO_A_LEG_INDEX, "LEG_INDEX 2"},
	[M_ADDR_LEN] = {PROTO_A_REMOTE_ADDR, "leg 1: REMOTE_ADDR: 5 bytes"},
	[M_PORT_ALONE] = {PROTO_A_REMOTE_PORT, "leg 1: REMOTE_ADDR and REMOTE_PORT go together"},
	[M_ODD_PORT] = {PROTO_A_LOCAL_PORT, "leg 0: LOCAL_PORT 20001"},
	[M_FLAGS] = {PROTO_A_LEG_FLAGS, "leg 0: LEG_FLAGS 0x14: unknown bits 0x10"},
	[M_DSCP] = {PROTO_A_DSCP, "leg 1: DSCP 64"},
	[M_SUITE] = {PROTO_A_SUITE, "leg 0: KEY_IN: SUITE 9 unknown"},
	[M_KEY_LEN] = {PROTO_A_MASTER_KEY,
		       "leg 0: KEY_OUT: AES_CM_128_HMAC_SHA1_80 needs a 16-byte "
		       "key and a 14-byte salt, got 15 and 14"},
	[M_SALT_LEN] = {PROTO_A_MASTER_SALT, "got 16 and 12"},
	[M_NO_SALT] = {PROTO_A_KEY_IN,
		       "leg 0: KEY_IN: a key needs SUITE, MASTER_KEY and MASTER_SALT"},
	[M_MKI_LEN] = {PROTO_A_MKI, "leg 0: KEY_IN: MKI: 17 bytes, need 1..16"},
	[M_KEY_ATTR] = {PROTO_A_DSCP, "does not belong in a key"},
	[M_END_OVERLAP] = {PROTO_A_END_OVERLAP, "only in an update"},
	[M_NO_LOCAL] = {PROTO_A_LOCAL_ADDR, "leg 1: LOCAL_ADDR is required"},
};

static void
put_key(struct proto_writer *w, uint16_t which, enum mut m)
{
	proto_nest_begin(w, which);
	proto_put_u8(w, PROTO_A_SUITE, m == M_SUITE && which == PROTO_A_KEY_IN ? 9 : 1);
	proto_put(w, PROTO_A_MASTER_KEY, KEY16,
		  m == M_KEY_LEN && which == PROTO_A_KEY_OUT ? 15 : 16);
	if (!(m == M_NO_SALT && which == PROTO_A_KEY_IN))
		proto_put(w, PROTO_A_MASTER_SALT, SALT14,
			  m == M_SALT_LEN && which == PROTO_A_KEY_OUT ? 12 : 14);
	if (which == PROTO_A_KEY_IN)
		proto_put(w, PROTO_A_MKI, MKI, m == M_MKI_LEN ? 17 : 2);
	if (m == M_KEY_ATTR && which == PROTO_A_KEY_OUT)
		proto_put_u8(w, PROTO_A_DSCP, 1);
	proto_nest_end(w);
}

/* A CREATE: leg 0 SRTP on IPv4 with a requested port, leg 1 plain IPv6
 * with rtcp-mux and latching; @p m breaks one rule. @return its length. */
static long
create_msg(enum mut m)
{
	static const uint8_t v4[4] = {198, 51, 100, 7};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	struct proto_writer w;

	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_SESSION_CREATE, 0, 1, 0);
	if (m != M_NO_ID)
		proto_put_u64(&w, PROTO_A_SESSION_ID, 0xabcdef0123456789ull);
	proto_put_u32(&w, PROTO_A_TIMEOUT_MS, 30000);
	if (m == M_DUP_ATTR)
		proto_put_u32(&w, PROTO_A_TIMEOUT_MS, 1);
	if (m == M_UNKNOWN_ATTR)
		proto_put_u32(&w, 0x0777, 1);
	for (unsigned int l = 0; l < (m == M_ONE_LEG ? 1u : m == M_THREE_LEGS ? 3u : 2u); l++) {
		unsigned int idx = m == M_SAME_LEG ? 0 : l;

		proto_nest_begin(&w, PROTO_A_LEG);
		if (!(m == M_NO_INDEX && l == 1))
			proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)(m == M_BAD_INDEX ? 2 : idx));
		if (!(m == M_NO_LOCAL && l == 1))
			proto_put_u8(&w, PROTO_A_LOCAL_ADDR, (uint8_t)l);
		if (l == 0) {
			proto_put_u16(&w, PROTO_A_LOCAL_PORT, m == M_ODD_PORT ? 20001 : 20000);
			proto_put(&w, PROTO_A_REMOTE_ADDR, v4, 4);
			proto_put_u16(&w, PROTO_A_REMOTE_PORT, 4000);
			proto_put_u32(&w, PROTO_A_LEG_FLAGS,
				      PROTO_LEG_SRTP | (m == M_FLAGS ? 0x10 : 0));
			put_key(&w, PROTO_A_KEY_IN, m);
			put_key(&w, PROTO_A_KEY_OUT, m);
			if (m == M_END_OVERLAP)
				proto_put(&w, PROTO_A_END_OVERLAP, NULL, 0);
		} else {
			proto_put(&w, PROTO_A_REMOTE_ADDR, v6, m == M_ADDR_LEN ? 5 : 16);
			if (m != M_PORT_ALONE)
				proto_put_u16(&w, PROTO_A_REMOTE_PORT, 0);
			proto_put_u32(&w, PROTO_A_LEG_FLAGS, PROTO_LEG_RTCP_MUX | PROTO_LEG_LATCH);
			proto_put_u8(&w, PROTO_A_DSCP, m == M_DSCP ? 64 : 46);
		}
		proto_nest_end(&w);
	}
	return proto_finish(&w);
}

/* Key, salt or MKI bytes in a message: as raw bytes or as hex. */
static int
leaks_key(const char *text)
{
	char hex[8];

	snprintf(hex, sizeof(hex), "%02x%02x", KEY16[0], KEY16[1]);
	if (strstr(text, hex) != NULL || strstr(text, "DEAD") != NULL)
		return 1;
	snprintf(hex, sizeof(hex), "%02x%02x", SALT14[0], SALT14[1]);
	return strstr(text, hex) != NULL || memchr(text, 0xde, strlen(text)) != NULL;
}

TEST(create_decoded)
{
	struct session_params p;
	struct proto_error e;
	long n = create_msg(M_NONE);

	REQUIRE(n > 0);
	REQUIRE(proto_decode_create(BUF + 16, (size_t)n - 16, &p, &e) == 0);
	CHECK(p.id == 0xabcdef0123456789ull);
	CHECK_EQ(p.timeout_ms, 30000);
	CHECK_EQ(p.leg[0].local_addr, 0);
	CHECK_EQ(p.leg[0].local_port, 20000);
	CHECK_EQ(p.leg[0].flags, LEG_SRTP);
	CHECK_EQ(p.leg[0].remote.ip6, 0);
	CHECK_EQ(p.leg[0].remote.port, 4000);
	CHECK_MEM(p.leg[0].remote.addr, ((const uint8_t[4]){198, 51, 100, 7}), 4);
	CHECK(p.leg[0].in.present && p.leg[0].out.present);
	CHECK_EQ(p.leg[0].in.suite, SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(p.leg[0].in.key_len, 16);
	CHECK_MEM(p.leg[0].in.key, KEY16, 16);
	CHECK_MEM(p.leg[0].in.salt, SALT14, 14);
	CHECK_EQ(p.leg[0].in.mki_len, 2);
	CHECK_EQ(p.leg[0].out.mki_len, 0);
	CHECK_EQ(p.leg[1].local_addr, 1);
	CHECK_EQ(p.leg[1].local_port, 0);
	CHECK_EQ(p.leg[1].flags, LEG_RTCP_MUX | LEG_LATCH);
	CHECK_EQ(p.leg[1].remote.ip6, 1);
	CHECK_EQ(p.leg[1].remote.port, 0);
	CHECK_EQ(p.leg[1].dscp, 46);
	CHECK(!p.leg[1].in.present);
	explicit_bzero(&p, sizeof(p));
}

TEST(create_refused)
{
	for (unsigned int m = M_NONE + 1; m < M_MAX; m++) {
		struct session_params p;
		struct proto_error e;
		long n = create_msg((enum mut)m);
		int r;

		REQUIRE(n > 0);
		memset(&e, 0, sizeof(e));
		r = proto_decode_create(BUF + 16, (size_t)n - 16, &p, &e);
		CHECK_EQ(r, -1);
		CHECK_EQ(e.status, PROTO_ST_BAD_ATTRIBUTE);
		if (e.attr != WANT[m].attr || strstr(e.text, WANT[m].says) == NULL) {
			fprintf(stderr, "mutation %u: attr 0x%04x '%s'; want 0x%04x '%s'\n", m,
				e.attr, e.text, WANT[m].attr, WANT[m].says);
			test_failed_checks++;
		}
		CHECK(!leaks_key(e.text));
		test_checks++;
	}
}

TEST(create_broken_layout)
{
	struct session_params p;
	struct proto_error e;
	long n = create_msg(M_NONE);

	/* cut inside the last leg: its length now runs past the message */
	CHECK_EQ(proto_decode_create(BUF + 16, (size_t)n - 16 - 8, &p, &e), -1);
	CHECK_EQ(e.status, PROTO_ST_BAD_MESSAGE);
	/* every truncation is refused, never read past */
	for (long cut = 16; cut < n; cut += 4)
		CHECK_EQ(proto_decode_create(BUF + 16, (size_t)(cut - 16), &p, &e), -1);
}

/* ---- SESSION_UPDATE ---- */

TEST(update_decoded_and_refused)
{
	static const uint8_t v4[4] = {203, 0, 113, 9};
	struct proto_writer w;
	struct leg_update u;
	struct proto_error e;
	uint32_t slot = 0;
	unsigned int leg = 9;
	int end = 0;
	long n;

	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_SESSION_UPDATE, 0, 2, 0);
	proto_put_u32(&w, PROTO_A_SLOT, 42);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 1);
	proto_put(&w, PROTO_A_REMOTE_ADDR, v4, 4);
	proto_put_u16(&w, PROTO_A_REMOTE_PORT, 6000);
	put_key(&w, PROTO_A_KEY_IN, M_NONE);
	proto_put(&w, PROTO_A_END_OVERLAP, NULL, 0);
	proto_nest_end(&w);
	n = proto_finish(&w);
	REQUIRE(proto_decode_update(BUF + 16, (size_t)n - 16, &slot, &leg, &u, &end, &e) == 0);
	CHECK_EQ(slot, 42);
	CHECK_EQ(leg, 1);
	CHECK_EQ(end, 1);
	CHECK_EQ(u.has_remote, 1);
	CHECK_EQ(u.remote.port, 6000);
	CHECK_MEM(u.remote.addr, v4, 4);
	CHECK(u.in.present && !u.out.present);
	explicit_bzero(&u, sizeof(u));

	/* what only create may set */
	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_SESSION_UPDATE, 0, 3, 0);
	proto_put_u32(&w, PROTO_A_SLOT, 42);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 0);
	proto_put_u8(&w, PROTO_A_DSCP, 10);
	proto_nest_end(&w);
	n = proto_finish(&w);
	CHECK_EQ(proto_decode_update(BUF + 16, (size_t)n - 16, &slot, &leg, &u, &end, &e), -1);
	CHECK_EQ(e.attr, PROTO_A_DSCP);
	CHECK(strstr(e.text, "leg 0: DSCP cannot change after create") != NULL);
	/* no SLOT */
	proto_begin(&w, BUF, sizeof(BUF), PROTO_MSG_SESSION_UPDATE, 0, 4, 0);
	proto_nest_begin(&w, PROTO_A_LEG);
	proto_put_u8(&w, PROTO_A_LEG_INDEX, 0);
	proto_nest_end(&w);
	n = proto_finish(&w);
	CHECK_EQ(proto_decode_update(BUF + 16, (size_t)n - 16, &slot, &leg, &u, &end, &e), -1);
	CHECK_EQ(e.attr, PROTO_A_SLOT);
}

/* SRTPFWD_WRITE_CORPUS=DIR: write each CREATE variant as a seed for
 * tests/fuzz/fuzz_proto (how tests/fuzz/corpus_proto was made). */
static void
write_corpus(const char *dir)
{
	for (unsigned int m = M_NONE; m < M_MAX; m++) {
		char path[512];
		long n = create_msg((enum mut)m);
		FILE *f;

		snprintf(path, sizeof(path), "%s/create_%02u", dir, m);
		f = fopen(path, "wb");
		if (f == NULL || n < 0)
			continue;
		fwrite(BUF, 1, (size_t)n, f);
		fclose(f);
	}
}

int
main(void)
{
	const char *dir = getenv("SRTPFWD_WRITE_CORPUS");

	if (dir != NULL) {
		write_corpus(dir);
		return 0;
	}
	return test_run_all();
}
