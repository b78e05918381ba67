/* test_srtp.c: the burst engine's own rules (dataplane/srtp.c), each with
 * the exact verdict, drop reason and counters.
 *
 *   - every drop reason the engine produces, reached and asserted by name;
 *   - a bad packet never stops the burst (64 packets, five suites at once,
 *     hostile ones mixed in; outputs compared with libsrtp2 and plaintext);
 *   - duplicates inside one burst; SSRC slots, LRU eviction, forged SSRCs;
 *   - re-key overlap (HMAC and GCM, incl. GCM's restore-ciphertext retry),
 *     srtp_dir_set_keys' retire list, MKI key selection;
 *   - mbuf length bookkeeping, Ethernet padding, SRTCP with E = 0;
 *   - the per-half counters after a known sequence.
 */
#include "../engine.h"
#include "../ref.h"
#include "../test.h"

#include "dataplane/rtp.h"

static struct worker *W;
static struct test_mbuf TM[BURST_MAX]; /* the mbufs of hand-built bursts */
static char CTX[160]; /* what the current loop is on, for messages */

#define SET_CTX(...) snprintf(CTX, sizeof(CTX), __VA_ARGS__)

/* Compare drop reasons by name (0 = DROP_NONE = accepted). */
#define CHECK_REASON(got, want)                                                                    \
	do {                                                                                       \
		int _g = (int)(got), _w = (int)(want);                                             \
		test_checks++;                                                                     \
		if (_g != _w) {                                                                    \
			test_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: [%s] %s: got %s, want %s\n", __FILE__, __LINE__,   \
				CTX, #got, drop_reason_name((enum drop_reason)_g),                 \
				drop_reason_name((enum drop_reason)_w));                           \
		}                                                                                  \
	} while (0)

/* Message @p i of burst @p b was dropped, for drop reason @p want. */
#define CHECK_DROPPED(b, i, want)                                                                  \
	do {                                                                                       \
		CHECK_EQ((b).verdict[i], V_DROP);                                                  \
		CHECK_REASON((b).reason[i], want);                                                 \
	} while (0)

static const uint8_t mki4[4] = {0xde, 0xad, 0xbe, 0xef};

/* ---- helpers ---- */

static struct srtp_keys *
mkkeys(enum suite s, uint8_t seed, const uint8_t *mki, unsigned int mki_len)
{
	uint8_t key[32], salt[14];

	engine_fill_key(s, key, salt, seed);
	return engine_keys(W, s, key, salt, mki, mki_len);
}

static unsigned int
tag_of(enum suite s, int rtcp)
{
	return rtcp ? suites[s].rtcp_tag_len : suites[s].rtp_tag_len;
}

/* The shortest SRTP (12 + tag + MKI) or SRTCP (8 + 4 + tag + MKI) message. */
static unsigned int
shortest(enum suite s, unsigned int mki_len, int rtcp)
{
	return (rtcp ? 8 + 4 : 12) + tag_of(s, rtcp) + mki_len;
}

/* What protect appends: tag, MKI and, for SRTCP, the E|index word. */
static unsigned int
growth(enum suite s, unsigned int mki_len, int rtcp)
{
	return tag_of(s, rtcp) + mki_len + (rtcp ? 4 : 0);
}

/* Where the MKI sits in a protected message of @p len bytes. */
static unsigned int
mki_at(enum suite s, unsigned int mki_len, int rtcp, unsigned int len)
{
	return suites[s].aead ? len - mki_len : len - tag_of(s, rtcp) - mki_len;
}

/* Where the SRTCP E|index word sits in a protected message of @p len. */
static unsigned int
eidx_at(enum suite s, unsigned int mki_len, unsigned int len)
{
	return suites[s].aead ? len - mki_len - 4 : len - tag_of(s, 1) - mki_len - 4;
}

/* Protect a copy of @p plain (@p n bytes) into @p out, its length in
 * *out_len. @return the reason (0: protected). */
static int
try_protect(struct srtp_dir *d, int rtcp, const uint8_t *plain, unsigned int n, uint8_t *out,
	    unsigned int *out_len)
{
	memcpy(out, plain, n);
	*out_len = n;
	return engine_one(W, d, 1, rtcp, out, out_len);
}

/* Protect a copy of @p plain into @p out. @return its length, 0 if refused. */
static unsigned int
protect_copy(struct srtp_dir *d, int rtcp, const uint8_t *plain, unsigned int n, uint8_t *out)
{
	unsigned int len;
	int r = try_protect(d, rtcp, plain, n, out, &len);

	if (r != 0) {
		fprintf(stderr, "  [%s] protect refused: %s\n", CTX,
			drop_reason_name((enum drop_reason)r));
		return 0;
	}
	return len;
}

/* Unprotect a copy of @p in (@p len bytes) into @p out. @return the reason. */
static int
unprotect_copy(struct srtp_dir *d, int rtcp, const uint8_t *in, unsigned int len, uint8_t *out,
	       unsigned int *out_len)
{
	memcpy(out, in, len);
	*out_len = len;
	return engine_one(W, d, 0, rtcp, out, out_len);
}

static void
burst_reset(struct burst *b)
{
	memset(b, 0, sizeof(*b));
}

/* Append a packet (message at offset 0) in TM[b->n]. @return its position. */
static unsigned int
burst_add(struct burst *b, const uint8_t *data, unsigned int len, int rtcp, struct srtp_dir *unprot,
	  struct srtp_dir *prot)
{
	unsigned int i = b->n++;

	test_mbuf_set(&TM[i], data, len);
	b->pkts[i] = &TM[i].m;
	b->msg_off[i] = 0;
	b->msg_len[i] = (uint16_t)len;
	b->kind[i] = rtcp ? MSG_RTCP : MSG_RTP;
	b->unprotect[i] = unprot;
	b->protect[i] = prot;
	b->verdict[i] = V_FWD;
	b->reason[i] = DROP_NONE;
	return i;
}

static const uint8_t *
burst_msg(const struct burst *b, unsigned int i)
{
	return test_mbuf_data(&TM[i]) + b->msg_off[i];
}

static struct srtp_stream *
find_stream(struct srtp_half *h, uint32_t ssrc)
{
	for (unsigned int k = 0; k < SSRC_SLOTS; k++)
		if (h->streams[k].last_used != 0 && h->streams[k].ssrc == ssrc)
			return &h->streams[k];
	return NULL;
}

static void
dir_free(struct srtp_dir *d)
{
	free(d);
}

/* =================== every drop reason, by name =================== */

TEST(drop_rtp_version)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 1, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		uint8_t plain[256], pkt[2048], out[2048];
		unsigned int n, l, ol;

		SET_CTX("%s", suites[s].name);
		/* protect: RTP with V=1, RTCP with V=0 */
		n = build_rtp(pkt, 0x1111, 1, 0, 40, 0, -1, 0);
		pkt[0] = (uint8_t)((pkt[0] & 0x3f) | 0x40);
		l = n;
		CHECK_REASON(engine_one(W, tx, 1, 0, pkt, &l), DROP_RTP_VERSION);
		n = build_rtcp(pkt, 0x1111, 24, 1);
		pkt[0] &= 0x3f;
		l = n;
		CHECK_REASON(engine_one(W, tx, 1, 1, pkt, &l), DROP_RTP_VERSION);
		CHECK_EQ(tx->rtp.cnt.dropped, 1);
		CHECK_EQ(tx->rtcp.cnt.dropped, 1);
		CHECK_EQ(tx->rtp.cnt.packets + tx->rtcp.cnt.packets, 0);
		CHECK_EQ(tx->rtp.streams[0].last_used + tx->rtcp.streams[0].last_used, 0);

		/* unprotect: genuine packets with V = 1, then V = 3 */
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			n = rtcp ? build_rtcp(plain, 0x2222, 24, 5)
				 : build_rtp(plain, 0x2222, 7, 0, 40, 0, -1, 0);
			l = protect_copy(tx, rtcp, plain, n, pkt);
			REQUIRE(l != 0);
			pkt[0] ^= 0xc0; /* V=1 */
			CHECK_REASON(unprotect_copy(rx, rtcp, pkt, l, out, &ol), DROP_RTP_VERSION);
			pkt[0] ^= 0x80; /* V=3 */
			CHECK_REASON(unprotect_copy(rx, rtcp, pkt, l, out, &ol), DROP_RTP_VERSION);
			pkt[0] ^= 0x40; /* V=2 again: refusing changed nothing */
			CHECK_REASON(unprotect_copy(rx, rtcp, pkt, l, out, &ol), DROP_NONE);
			CHECK_EQ(ol, n);
			CHECK_MEM(out, plain, n);
		}
		CHECK_EQ(rx->rtp.cnt.dropped, 2);
		CHECK_EQ(rx->rtcp.cnt.dropped, 2);
		CHECK_EQ(rx->rtp.cnt.packets, 1);
		CHECK_EQ(rx->rtcp.cnt.packets, 1);
		CHECK_EQ(rx->rtp.cnt.auth_fail + rx->rtcp.cnt.auth_fail, 0);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

TEST(drop_rtp_header_len)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 2, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		uint8_t plain[256], pkt[2048], out[2048];
		unsigned int n, l, ol;

		SET_CTX("%s", suites[s].name);
		/* protect: 15 CSRCs, one byte short of them */
		n = build_rtp(pkt, 0x3333, 1, 0, 0, 15, -1, 0);
		CHECK_EQ(n, 72);
		l = n - 1;
		CHECK_REASON(engine_one(W, tx, 1, 0, pkt, &l), DROP_RTP_HEADER_LEN);
		/* extension of 10 words, one byte short */
		n = build_rtp(pkt, 0x3333, 2, 0, 0, 0, 10, 0);
		l = n - 1;
		CHECK_REASON(engine_one(W, tx, 1, 0, pkt, &l), DROP_RTP_HEADER_LEN);
		/* X set but not even the 4-byte extension header */
		n = build_rtp(pkt, 0x3333, 3, 0, 0, 0, 0, 0);
		l = 15;
		CHECK_REASON(engine_one(W, tx, 1, 0, pkt, &l), DROP_RTP_HEADER_LEN);
		l = 12;
		CHECK_REASON(engine_one(W, tx, 1, 0, pkt, &l), DROP_RTP_HEADER_LEN);
		CHECK_EQ(tx->rtp.cnt.dropped, 4);
		CHECK_EQ(tx->rtp.cnt.packets, 0);

		/* The exact fits are fine: header only, 15 CSRCs + 10-word extension. */
		n = build_rtp(plain, 0x3333, 4, 0, 0, 15, 10, 0);
		l = protect_copy(tx, 0, plain, n, pkt);
		REQUIRE(l == n + tag_of(s, 0));
		CHECK_REASON(unprotect_copy(rx, 0, pkt, l, out, &ol), DROP_NONE);
		CHECK_EQ(ol, n);
		CHECK_MEM(out, plain, n);

		/* unprotect: CSRC count past the end (before the tag) */
		n = build_rtp(pkt, 0x3333, 9, 0, 60 - 12, 0, -1, 0); /* 60 bytes */
		pkt[0] |= 0x0f;
		CHECK_REASON(unprotect_copy(rx, 0, pkt, n, out, &ol), DROP_RTP_HEADER_LEN);
		/* extension length past the end */
		n = build_rtp(pkt, 0x3333, 9, 0, 40, 0, 1, 0);
		pkt[14] = 0xff;
		pkt[15] = 0xff;
		CHECK_REASON(unprotect_copy(rx, 0, pkt, n, out, &ol), DROP_RTP_HEADER_LEN);
		/* a genuine packet whose extension length was raised */
		n = build_rtp(plain, 0x3333, 10, 0, 40, 0, 1, 0);
		l = protect_copy(tx, 0, plain, n, pkt);
		REQUIRE(l != 0);
		pkt[15] = 40;
		CHECK_REASON(unprotect_copy(rx, 0, pkt, l, out, &ol), DROP_RTP_HEADER_LEN);
		pkt[15] = 1;
		CHECK_REASON(unprotect_copy(rx, 0, pkt, l, out, &ol), DROP_NONE);
		CHECK_EQ(rx->rtp.cnt.dropped, 3);
		CHECK_EQ(rx->rtp.cnt.auth_fail, 0);
		CHECK_EQ(rx->rtp.cnt.packets, 2);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

TEST(drop_too_short)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		for (unsigned int mki_len = 0; mki_len <= 4; mki_len += 4) {
			enum suite s = (enum suite)si;
			struct srtp_keys *k = mkkeys(s, 3, mki4, mki_len);
			struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
			uint8_t plain[256], prot[2048], out[2048], a[2048];
			unsigned int n, l, ol, al;
			struct burst b;

			for (int rtcp = 0; rtcp < 2; rtcp++) {
				SET_CTX("%s mki %u rtcp %d", suites[s].name, mki_len, rtcp);
				/* The shortest message protects into the shortest SRTP(C). */
				n = rtcp ? build_rtcp(plain, 0x4444, 0, 0)
					 : build_rtp(plain, 0x4444, 10, 0, 0, 0, -1, 0);
				l = protect_copy(tx, rtcp, plain, n, prot);
				REQUIRE(l == shortest(s, mki_len, rtcp));
				/* unprotect: one byte less is too short; nothing at all too */
				CHECK_REASON(unprotect_copy(rx, rtcp, prot, l - 1, out, &ol),
					     DROP_SRTP_TOO_SHORT);
				CHECK_REASON(unprotect_copy(rx, rtcp, prot, 0, out, &ol),
					     DROP_SRTP_TOO_SHORT);
				CHECK_REASON(unprotect_copy(rx, rtcp, prot, l, out, &ol),
					     DROP_NONE);
				CHECK_EQ(ol, n);
				CHECK_MEM(out, plain, n);
				/* protect: shorter than the RTP (12) or RTCP (8) header */
				memcpy(a, plain, n);
				al = n - 1;
				CHECK_REASON(engine_one(W, tx, 1, rtcp, a, &al),
					     DROP_SRTP_TOO_SHORT);
				al = 0;
				CHECK_REASON(engine_one(W, tx, 1, rtcp, a, &al),
					     DROP_SRTP_TOO_SHORT);

				/* msg_len claims more than the mbuf holds, both ways */
				burst_reset(&b);
				burst_add(&b, plain, n, rtcp, NULL, tx);
				b.msg_len[0] = (uint16_t)(n + 1);
				CHECK_EQ(srtp_protect_burst(W, &b), 0);
				CHECK_DROPPED(b, 0, DROP_SRTP_TOO_SHORT);
				burst_reset(&b);
				burst_add(&b, prot, l, rtcp, rx, NULL);
				b.msg_len[0] = (uint16_t)(l + 1);
				CHECK_EQ(srtp_unprotect_burst(W, &b), 0);
				CHECK_DROPPED(b, 0, DROP_SRTP_TOO_SHORT);
			}
			CHECK_EQ(tx->rtp.cnt.dropped, 3);
			CHECK_EQ(tx->rtcp.cnt.dropped, 3);
			CHECK_EQ(rx->rtp.cnt.dropped, 3);
			CHECK_EQ(rx->rtcp.cnt.dropped, 3);
			CHECK_EQ(rx->rtp.cnt.packets, 1);
			CHECK_EQ(rx->rtcp.cnt.packets, 1);
			dir_free(tx);
			dir_free(rx);
			keys_destroy(k);
		}
	}
}

TEST(drop_no_key)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 4, NULL, 0);
	struct srtp_dir *none = engine_dir(NULL), *tx = engine_dir(k);
	const struct srtp_keys *retire[2] = {NULL, NULL};
	uint8_t plain[256], prot[2048], a[2048];
	unsigned int n, l, al;

	SET_CTX("no key");
	for (int rtcp = 0; rtcp < 2; rtcp++) {
		n = rtcp ? build_rtcp(plain, 0x5555, 16, 2)
			 : build_rtp(plain, 0x5555, 1, 0, 30, 0, -1, 0);
		CHECK_REASON(try_protect(none, rtcp, plain, n, a, &al), DROP_SRTP_NO_KEY);
		l = protect_copy(tx, rtcp, plain, n, prot);
		REQUIRE(l != 0);
		CHECK_REASON(unprotect_copy(none, rtcp, prot, l, a, &al), DROP_SRTP_NO_KEY);
	}
	CHECK_EQ(none->rtp.cnt.dropped, 2);
	CHECK_EQ(none->rtcp.cnt.dropped, 2);
	CHECK_EQ(none->rtp.cnt.packets + none->rtcp.cnt.packets, 0);

	/* A key installed, then removed: no key again, and the key is retired. */
	CHECK_EQ(srtp_dir_set_keys(none, k, false, retire), 0);
	n = build_rtp(plain, 0x5555, 2, 0, 30, 0, -1, 0);
	CHECK(protect_copy(none, 0, plain, n, prot) != 0);
	CHECK_EQ(srtp_dir_set_keys(none, NULL, false, retire), 1);
	CHECK(retire[0] == k);
	n = build_rtp(plain, 0x5555, 3, 0, 30, 0, -1, 0);
	CHECK_REASON(try_protect(none, 0, plain, n, a, &al), DROP_SRTP_NO_KEY);
	dir_free(none);
	dir_free(tx);
	keys_destroy(k);
}

TEST(drop_mki)
{
	static const uint8_t other[4] = {1, 2, 3, 4};

	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		/* same master key, different MKI */
		struct srtp_keys *ka = mkkeys(s, 5, mki4, 4), *kb = mkkeys(s, 5, other, 4);
		struct srtp_dir *txa = engine_dir(ka), *txb = engine_dir(kb), *rx = engine_dir(ka);
		uint8_t plain[256], prot[2048], out[2048];
		unsigned int n, l, ol;

		SET_CTX("%s", suites[s].name);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			n = rtcp ? build_rtcp(plain, 0x6666, 20, 3)
				 : build_rtp(plain, 0x6666, 5, 0, 40, 0, -1, 0);
			l = protect_copy(txb, rtcp, plain, n, prot);
			REQUIRE(l != 0);
			CHECK_MEM(prot + mki_at(s, 4, rtcp, l), other, 4);
			CHECK_REASON(unprotect_copy(rx, rtcp, prot, l, out, &ol), DROP_SRTP_MKI);
			/* a genuine packet with one MKI byte changed */
			l = protect_copy(txa, rtcp, plain, n, prot);
			REQUIRE(l != 0);
			CHECK_MEM(prot + mki_at(s, 4, rtcp, l), mki4, 4);
			prot[mki_at(s, 4, rtcp, l) + 3] ^= 1;
			CHECK_REASON(unprotect_copy(rx, rtcp, prot, l, out, &ol), DROP_SRTP_MKI);
			prot[mki_at(s, 4, rtcp, l) + 3] ^= 1;
			CHECK_REASON(unprotect_copy(rx, rtcp, prot, l, out, &ol), DROP_NONE);
			CHECK_MEM(out, plain, n);
		}
		CHECK_EQ(rx->rtp.cnt.dropped, 2);
		CHECK_EQ(rx->rtcp.cnt.dropped, 2);
		CHECK_EQ(rx->rtp.cnt.auth_fail + rx->rtcp.cnt.auth_fail, 0);
		dir_free(txa);
		dir_free(txb);
		dir_free(rx);
		keys_destroy(ka);
		keys_destroy(kb);
	}
}

TEST(drop_auth)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 6, NULL, 0), *other = mkkeys(s, 66, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *txo = engine_dir(other), *rx = engine_dir(k);
		uint8_t plain[256], prot[2048], out[2048];
		unsigned int n, l, ol;

		SET_CTX("%s", suites[s].name);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			struct srtp_half *h = rtcp ? &rx->rtcp : &rx->rtp;
			struct srtp_stream snap[SSRC_SLOTS];
			/* a header byte, the first payload byte, the last tag byte */
			unsigned int at[3] = {1, rtcp ? 8 : 12, 0};

			n = rtcp ? build_rtcp(plain, 0x7777, 32, 4)
				 : build_rtp(plain, 0x7777, 9, 0, 50, 0, -1, 0);
			/* one accepted first, so the stream exists */
			l = protect_copy(tx, rtcp, plain, n, prot);
			REQUIRE(unprotect_copy(rx, rtcp, prot, l, out, &ol) == DROP_NONE);
			if (!rtcp)
				n = build_rtp(plain, 0x7777, 10, 0, 50, 0, -1, 0);
			l = protect_copy(tx, rtcp, plain, n, prot);
			REQUIRE(l != 0);
			at[2] = suites[s].aead && rtcp ? l - 5 : l - 1;
			memcpy(snap, h->streams, sizeof(snap));
			for (int f = 0; f < 3; f++) {
				prot[at[f]] ^= 0x10;
				CHECK_REASON(unprotect_copy(rx, rtcp, prot, l, out, &ol),
					     DROP_SRTP_AUTH);
				prot[at[f]] ^= 0x10;
			}
			/* a packet under another key (for SRTCP, with an index the
			 * receiver has not seen, or it would be a replay) */
			for (int pump = 0; rtcp && pump < 4; pump++)
				REQUIRE(protect_copy(txo, rtcp, plain, n, out) != 0);
			l = protect_copy(txo, rtcp, plain, n, out);
			REQUIRE(l != 0);
			memcpy(prot + 1024, out, l);
			CHECK_REASON(unprotect_copy(rx, rtcp, prot + 1024, l, out, &ol),
				     DROP_SRTP_AUTH);
			CHECK_MEM(h->streams, snap, sizeof(snap)); /* no state changed */
		}
		CHECK_EQ(rx->rtp.cnt.auth_fail, 4);
		CHECK_EQ(rx->rtcp.cnt.auth_fail, 4);
		CHECK_EQ(rx->rtp.cnt.dropped + rx->rtcp.cnt.dropped, 0);
		CHECK_EQ(rx->rtp.cnt.packets, 1);
		CHECK_EQ(rx->rtcp.cnt.packets, 1);
		dir_free(tx);
		dir_free(txo);
		dir_free(rx);
		keys_destroy(k);
		keys_destroy(other);
	}
}

TEST(drop_replay_and_replay_old)
{
	static uint8_t wire[260][128];
	static unsigned int wire_len[260];

	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 7, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		uint8_t plain[128], out[2048];
		unsigned int n, ol;

		SET_CTX("%s RTP", suites[s].name);
		/* RTP: SEQ 1000..1200 */
		for (unsigned int q = 0; q <= 200; q++) {
			n = build_rtp(plain, 0x8888, (uint16_t)(1000 + q), q, 20, 0, -1, 0);
			wire_len[q] = protect_copy(tx, 0, plain, n, wire[q]);
			REQUIRE(wire_len[q] != 0);
		}
#define RX(q) unprotect_copy(rx, 0, wire[q], wire_len[q], out, &ol)
		CHECK_REASON(RX(0), DROP_NONE);
		CHECK_REASON(RX(0), DROP_SRTP_REPLAY);
		CHECK_REASON(RX(200), DROP_NONE);
		CHECK_REASON(RX(200), DROP_SRTP_REPLAY);
		CHECK_REASON(RX(72), DROP_SRTP_REPLAY_OLD); /* 128 behind */
		CHECK_REASON(RX(73), DROP_NONE); /* 127 behind */
		CHECK_REASON(RX(73), DROP_SRTP_REPLAY);
		CHECK_REASON(RX(0), DROP_SRTP_REPLAY_OLD); /* once received, now old */
		CHECK_REASON(RX(199), DROP_NONE);
#undef RX
		CHECK_EQ(rx->rtp.cnt.packets, 4);
		CHECK_EQ(rx->rtp.cnt.replay, 5);
		CHECK_EQ(rx->rtp.cnt.auth_fail + rx->rtp.cnt.dropped, 0);

		/* RTCP: indices 1..201 */
		SET_CTX("%s RTCP", suites[s].name);
		for (unsigned int q = 0; q <= 200; q++) {
			n = build_rtcp(plain, 0x8888, 16, q);
			wire_len[q] = protect_copy(tx, 1, plain, n, wire[q]);
			REQUIRE(wire_len[q] != 0);
		}
#define RX(q) unprotect_copy(rx, 1, wire[q], wire_len[q], out, &ol)
		CHECK_REASON(RX(0), DROP_NONE);
		CHECK_REASON(RX(0), DROP_SRTP_REPLAY);
		CHECK_REASON(RX(200), DROP_NONE);
		CHECK_REASON(RX(72), DROP_SRTP_REPLAY_OLD);
		CHECK_REASON(RX(73), DROP_NONE);
		CHECK_REASON(RX(73), DROP_SRTP_REPLAY);
		CHECK_REASON(RX(0), DROP_SRTP_REPLAY_OLD);
#undef RX
		CHECK_EQ(rx->rtcp.cnt.packets, 3);
		CHECK_EQ(rx->rtcp.cnt.replay, 4);
		CHECK_EQ(rx->rtp.cnt.replay, 5); /* the RTP half is not touched */
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

TEST(drop_index_reuse)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 8, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		uint8_t plain[128], a[2048], out[2048];
		unsigned int n, al, ol;
		struct burst b;

		SET_CTX("%s", suites[s].name);
#define TX(seq, want)                                                                              \
	do {                                                                                       \
		n = build_rtp(plain, 0x9999, (seq), 0, 20, 0, -1, 0);                              \
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), (want));                        \
	} while (0)
		TX(5, DROP_NONE);
		TX(5, DROP_SRTP_INDEX_REUSE);
		TX(300, DROP_NONE);
		TX(172, DROP_SRTP_INDEX_REUSE); /* 128 behind */
		TX(5, DROP_SRTP_INDEX_REUSE); /* far behind */
		TX(173, DROP_NONE); /* 127 behind, never sent: fine */
		CHECK_REASON(unprotect_copy(rx, 0, a, al, out, &ol), DROP_NONE);
		CHECK_MEM(out, plain, n);
		TX(173, DROP_SRTP_INDEX_REUSE);
		TX(300, DROP_SRTP_INDEX_REUSE);
		TX(301, DROP_NONE);
#undef TX
		CHECK_EQ(tx->rtp.cnt.dropped, 5);
		CHECK_EQ(tx->rtp.cnt.packets, 4);

		/* The same SEQ twice in one protect burst: the second is refused. */
		burst_reset(&b);
		n = build_rtp(plain, 0x9999, 400, 0, 20, 0, -1, 0);
		burst_add(&b, plain, n, 0, NULL, tx);
		burst_add(&b, plain, n, 0, NULL, tx);
		n = build_rtp(plain, 0x9999, 401, 0, 20, 0, -1, 0);
		burst_add(&b, plain, n, 0, NULL, tx);
		CHECK_EQ(srtp_protect_burst(W, &b), 2);
		CHECK_EQ(b.verdict[0], V_FWD);
		CHECK_DROPPED(b, 1, DROP_SRTP_INDEX_REUSE);
		CHECK_EQ(b.verdict[2], V_FWD);
		CHECK_EQ(tx->rtp.cnt.dropped, 6);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

TEST(drop_key_exhausted)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 9, NULL, 0), *k2 = mkkeys(s, 10, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		const struct srtp_keys *retire[2];
		uint8_t plain[128], a[2048], out[2048];
		unsigned int n, al, ol;

		SET_CTX("%s", suites[s].name);
		/* SRTP: 2^48 - 1 packets sent under k; one more is fine, then no more. */
		tx->rtp.counted_keys = k;
		tx->rtp.uses = SRTP_KEY_LIFETIME - 1;
		n = build_rtp(plain, 0xaaaa, 1, 0, 20, 0, -1, 0);
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_NONE);
		CHECK_EQ(tx->rtp.uses, SRTP_KEY_LIFETIME);
		n = build_rtp(plain, 0xaaaa, 2, 0, 20, 0, -1, 0);
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_SRTP_KEY_EXHAUSTED);
		CHECK_EQ(tx->rtp.cnt.dropped, 1);
		CHECK_EQ(tx->rtp.cnt.packets, 1);
		/* SRTCP under the same key is counted separately: still fine. */
		n = build_rtcp(plain, 0xaaaa, 8, 1);
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_NONE);
		/* A new key starts a new count; the refused SEQ 2 was not used up. */
		CHECK_EQ(srtp_dir_set_keys(tx, k2, false, retire), 1);
		CHECK(retire[0] == k);
		n = build_rtp(plain, 0xaaaa, 2, 0, 20, 0, -1, 0);
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_NONE);
		CHECK(tx->rtp.counted_keys == k2);
		CHECK_EQ(tx->rtp.uses, 1);

		/* SRTCP: 2^31 - 1 packets under k2, one more, then refused. */
		tx->rtcp.counted_keys = k2;
		tx->rtcp.uses = SRTCP_KEY_LIFETIME - 1;
		n = build_rtcp(plain, 0xaaaa, 8, 2);
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_NONE);
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_SRTP_KEY_EXHAUSTED);
		CHECK_EQ(tx->rtcp.cnt.dropped, 1);
		/* RTP under k2 is unaffected */
		n = build_rtp(plain, 0xaaaa, 3, 0, 20, 0, -1, 0);
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_NONE);

		/* The SRTCP index runs out at 2^31 - 1, whatever the key. */
		srtp_dir_init(tx);
		CHECK_EQ(srtp_dir_set_keys(tx, k, false, retire), 0);
		n = build_rtcp(plain, 0xbbbb, 8, 3);
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_NONE);
		CHECK_EQ(tx->rtcp.rtcp_index, 1);
		tx->rtcp.rtcp_index = 0x7ffffffe;
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_NONE);
		CHECK_EQ(rd32(a + eidx_at(s, 0, al)),
			 0x7fffffffu | (suites[s].encrypts ? 0x80000000u : 0));
		CHECK_REASON(unprotect_copy(rx, 1, a, al, out, &ol), DROP_NONE);
		CHECK_EQ(ol, n);
		CHECK_MEM(out, plain, n);
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_SRTP_KEY_EXHAUSTED);
		CHECK_EQ(tx->rtcp.rtcp_index, 0x7fffffff);
		CHECK_EQ(tx->rtcp.cnt.dropped, 1);
		/* One SRTCP index sequence per direction: every SSRC is done. */
		n = build_rtcp(plain, 0xcccc, 8, 4);
		CHECK_REASON(try_protect(tx, 1, plain, n, a, &al), DROP_SRTP_KEY_EXHAUSTED);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
		keys_destroy(k2);
	}
}

TEST(drop_no_tailroom)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		for (unsigned int mki_len = 0; mki_len <= 4; mki_len += 4) {
			enum suite s = (enum suite)si;
			struct srtp_keys *k = mkkeys(s, 11, mki4, mki_len);
			struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
			uint8_t plain[256], out[2048];
			unsigned int ol;

			for (int rtcp = 0; rtcp < 2; rtcp++) {
				unsigned int n, need = growth(s, mki_len, rtcp);
				struct burst b;

				SET_CTX("%s mki %u rtcp %d", suites[s].name, mki_len, rtcp);
				/* HMAC SRTP hashes the ROC from the tag's place: >= 4 */
				if (!rtcp && !suites[s].aead && need < 4)
					need = 4;
				n = rtcp ? build_rtcp(plain, 0xdddd, 40, 5)
					 : build_rtp(plain, 0xdddd, 1, 0, 60, 0, -1, 0);
				/* one byte too few */
				burst_reset(&b);
				burst_add(&b, plain, n, rtcp, NULL, tx);
				TM[0].m.buf_len = (uint16_t)(TEST_HEADROOM + n + need - 1);
				CHECK_EQ(srtp_protect_burst(W, &b), 0);
				CHECK_DROPPED(b, 0, DROP_NO_TAILROOM);
				CHECK_EQ(b.msg_len[0], n);
				CHECK_EQ(TM[0].m.data_len, n);
				/* exactly enough */
				burst_reset(&b);
				burst_add(&b, plain, n, rtcp, NULL, tx);
				TM[0].m.buf_len = (uint16_t)(TEST_HEADROOM + n + need);
				CHECK_EQ(srtp_protect_burst(W, &b), 1);
				CHECK_REASON(b.reason[0], DROP_NONE);
				CHECK_EQ(b.msg_len[0], n + growth(s, mki_len, rtcp));
				CHECK_REASON(unprotect_copy(rx, rtcp, burst_msg(&b, 0),
							    b.msg_len[0], out, &ol),
					     DROP_NONE);
				CHECK_EQ(ol, n);
				CHECK_MEM(out, plain, n);
			}
			CHECK_EQ(tx->rtp.cnt.dropped, 1);
			CHECK_EQ(tx->rtcp.cnt.dropped, 1);
			CHECK_EQ(tx->rtp.cnt.packets, 1);
			CHECK_EQ(tx->rtcp.cnt.packets, 1);
			dir_free(tx);
			dir_free(rx);
			keys_destroy(k);
		}
	}
}

/* =================== a bad packet never stops the burst =================== */

#define NSIDE 5

struct side {
	enum suite s;
	unsigned int mki_len;
	struct srtp_keys *k;
	struct srtp_dir *tx, *rx;
	srtp_t ref;
	uint32_t ssrc;
	uint16_t seq;
	int last_good_seq; /* -1: none yet */
};

static void
side_open(struct side *d, enum suite s, uint8_t seed, unsigned int mki_len, uint32_t ssrc)
{
	uint8_t key[32], salt[14];

	engine_fill_key(s, key, salt, seed);
	d->s = s;
	d->mki_len = mki_len;
	d->k = engine_keys(W, s, key, salt, mki_len ? mki4 : NULL, mki_len);
	d->tx = engine_dir(d->k);
	d->rx = engine_dir(d->k);
	d->ref = ref_create(s, key, salt, 0, mki_len ? mki4 : NULL, mki_len);
	d->ssrc = ssrc;
	d->seq = 1000;
	d->last_good_seq = -1;
}

static void
side_close(struct side *d)
{
	srtp_dealloc(d->ref);
	dir_free(d->tx);
	dir_free(d->rx);
	keys_destroy(d->k);
}

enum hostile {
	H_NONE,
	H_VERSION, /* RTP_VERSION */
	H_SHORT, /* SRTP_TOO_SHORT */
	H_HDRLEN, /* RTP_HEADER_LEN */
	H_NOKEY, /* SRTP_NO_KEY */
	H_REUSE, /* protect: SRTP_INDEX_REUSE */
	H_TAILROOM, /* protect: NO_TAILROOM */
	H_PUNT, /* already V_PUNT: untouched */
	H_PREDROP, /* already V_DROP: untouched */
	H_OTHER, /* MSG_OTHER, no context: untouched */
	H_FLIP, /* unprotect: SRTP_AUTH */
	H_DUP, /* unprotect: SRTP_REPLAY (in this burst) */
	H_MKI, /* unprotect: SRTP_MKI */
	H_FORGED, /* unprotect: new SSRC, SRTP_AUTH */
};

struct mixed_pkt {
	int side, rtcp;
	uint8_t plain[320];
	unsigned int plain_len;
	uint8_t prot[400];
	unsigned int prot_len;
};

/* Protect then unprotect a 64-packet burst over five directions of five
 * suites (AES-128/80, AES-256/32, GCM-128, GCM-256 with MKI, NULL), RTP and
 * RTCP, with hostile packets interleaved. Protect output must equal
 * libsrtp's byte for byte; unprotect must give the plaintext back. */
TEST(mixed_burst_bad_packets_do_not_stop_it)
{
	static const enum suite ss[NSIDE] = {SUITE_AES_CM_128_HMAC_SHA1_80,
					     SUITE_AES_256_CM_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM,
					     SUITE_AEAD_AES_256_GCM, SUITE_NULL_HMAC_SHA1_80};
	static const unsigned int mk[NSIDE] = {0, 0, 0, 4, 0};
	static struct mixed_pkt good[BURST_MAX];
	static uint8_t saved[BURST_MAX][512];
	struct side sd[NSIDE];
	struct srtp_dir *nokey = engine_dir(NULL);
	struct burst b;
	unsigned int ng = 0, want_good = 0, hostile_n = 0;
	int hk[BURST_MAX], good_of[BURST_MAX];
	uint16_t saved_len[BURST_MAX];
	uint64_t prot0 = W->stats.srtp_protected, unprot0 = W->stats.srtp_unprotected;

	for (int d = 0; d < NSIDE; d++)
		side_open(&sd[d], ss[d], (uint8_t)(50 + d), mk[d], 0x10000000u + (uint32_t)d);

	/* ---- protect ---- */
	SET_CTX("mixed protect");
	burst_reset(&b);
	for (unsigned int i = 0; i < BURST_MAX; i++) {
		struct side *d = &sd[i % NSIDE];
		int rtcp = i % 4 == 1;
		int h = i % 6 == 4 ? H_VERSION + (int)((i / 6) % (H_OTHER - H_VERSION + 1))
				   : H_NONE;
		uint8_t p[512];
		unsigned int n, at;

		memset(p, 0, sizeof(p));
		if (h == H_HDRLEN || h == H_REUSE)
			rtcp = 0;
		if (h == H_REUSE && d->last_good_seq < 0)
			h = H_VERSION;
		if (rtcp)
			n = build_rtcp(p, d->ssrc, 4 * (i % 9), i);
		else
			n = build_rtp(p, d->ssrc,
				      h == H_REUSE ? (uint16_t)d->last_good_seq : d->seq++, i * 160,
				      20 + i, i % 3, i % 5 == 0 ? 1 : -1, 0);
		switch (h) {
		case H_VERSION: p[0] ^= 0xc0; break;
		case H_SHORT: n = rtcp ? 7 : 11; break;
		case H_HDRLEN:
			p[0] |= 0x0f;
			n = 12 + 4 * (p[0] & 0x0f) - 1;
			break;
		default: break;
		}
		at = burst_add(&b, p, n, rtcp, NULL, h == H_NOKEY ? nokey : d->tx);
		hk[at] = h;
		good_of[at] = -1;
		memcpy(saved[at], p, n);
		saved_len[at] = (uint16_t)n;
		if (h == H_TAILROOM)
			TM[at].m.buf_len = (uint16_t)(TEST_HEADROOM + n + 1);
		if (h == H_PUNT)
			b.verdict[at] = V_PUNT;
		if (h == H_PREDROP)
			burst_drop(&b, at, DROP_SRTP_MKI);
		if (h == H_OTHER) {
			b.kind[at] = MSG_OTHER;
			b.protect[at] = NULL;
		}
		if (h == H_NONE) {
			struct mixed_pkt *g = &good[ng];
			int rl = (int)n;

			g->side = (int)(i % NSIDE);
			g->rtcp = rtcp;
			memcpy(g->plain, p, n);
			g->plain_len = n;
			memcpy(g->prot, p, n);
			REQUIRE(ref_protect(d->ref, d->mki_len, rtcp, g->prot, &rl) ==
				srtp_err_status_ok);
			g->prot_len = (unsigned int)rl;
			good_of[at] = (int)ng++;
			if (!rtcp)
				d->last_good_seq = (int)(uint16_t)(d->seq - 1);
		}
		hostile_n += h != H_NONE;
	}
	REQUIRE(b.n == BURST_MAX);
	CHECK(hostile_n >= 9);
	CHECK_EQ(srtp_protect_burst(W, &b), ng);
	CHECK_EQ(W->stats.srtp_protected - prot0, ng);
	for (unsigned int i = 0; i < b.n; i++) {
		static const int want[] = {
			[H_VERSION] = DROP_RTP_VERSION,	   [H_SHORT] = DROP_SRTP_TOO_SHORT,
			[H_HDRLEN] = DROP_RTP_HEADER_LEN,  [H_NOKEY] = DROP_SRTP_NO_KEY,
			[H_REUSE] = DROP_SRTP_INDEX_REUSE, [H_TAILROOM] = DROP_NO_TAILROOM,
		};

		SET_CTX("mixed protect #%u hostile %d", i, hk[i]);
		if (good_of[i] >= 0) {
			const struct mixed_pkt *g = &good[good_of[i]];

			CHECK_EQ(b.verdict[i], V_FWD);
			CHECK_EQ(b.msg_len[i], g->prot_len);
			CHECK_EQ(TM[i].m.data_len, g->prot_len);
			CHECK_EQ(TM[i].m.pkt_len, g->prot_len);
			CHECK_MEM(burst_msg(&b, i), g->prot, g->prot_len);
		} else if (hk[i] == H_PUNT || hk[i] == H_PREDROP || hk[i] == H_OTHER) {
			CHECK_EQ(b.verdict[i], hk[i] == H_PUNT	    ? V_PUNT
					       : hk[i] == H_PREDROP ? V_DROP
								    : V_FWD);
			CHECK_REASON(b.reason[i], hk[i] == H_PREDROP ? DROP_SRTP_MKI : DROP_NONE);
			CHECK_EQ(b.msg_len[i], saved_len[i]);
			CHECK_MEM(burst_msg(&b, i), saved[i], saved_len[i]);
		} else {
			CHECK_DROPPED(b, i, want[hk[i]]);
			CHECK_EQ(b.msg_len[i], saved_len[i]);
		}
	}

	/* ---- unprotect: the good ones, with hostile copies in between ---- */
	SET_CTX("mixed unprotect");
	burst_reset(&b);
	{
		static const int kinds[] = {H_FLIP,  H_DUP, H_SHORT,  H_VERSION,
					    H_NOKEY, H_MKI, H_FORGED, H_PUNT};
		unsigned int gi = 0, nk = 0;
		int last = -1, last_mki = -1;

		for (unsigned int j = 0; j < BURST_MAX; j++) {
			int h = H_NONE;
			const struct mixed_pkt *g;
			uint8_t p[512];
			unsigned int n, at;

			if ((j % 5 == 3 && last >= 0) || gi == ng)
				h = kinds[nk++ % (sizeof(kinds) / sizeof(kinds[0]))];
			if (h == H_MKI && last_mki < 0)
				h = H_FLIP;
			if (h == H_NONE) {
				g = &good[gi];
				at = burst_add(&b, g->prot, g->prot_len, g->rtcp, NULL, NULL);
				b.unprotect[at] = sd[g->side].rx;
				good_of[at] = (int)gi;
				hk[at] = H_NONE;
				last = (int)gi;
				if (sd[g->side].mki_len)
					last_mki = (int)gi;
				gi++;
				want_good++;
				continue;
			}
			g = &good[h == H_MKI ? last_mki : last];
			memcpy(p, g->prot, g->prot_len);
			n = g->prot_len;
			switch (h) {
			case H_FLIP: p[1] ^= 0x01; break;
			case H_SHORT:
				n = shortest(sd[g->side].s, sd[g->side].mki_len, g->rtcp) - 1;
				break;
			case H_VERSION: p[0] ^= 0xc0; break;
			case H_MKI:
				p[mki_at(sd[g->side].s, sd[g->side].mki_len, g->rtcp, n)] ^= 0x80;
				break;
			case H_FORGED: wr32(p + (g->rtcp ? 4 : 8), 0xbad00000u + j); break;
			default: break;
			}
			at = burst_add(&b, p, n, g->rtcp, h == H_NOKEY ? nokey : sd[g->side].rx,
				       NULL);
			if (h == H_PUNT)
				b.verdict[at] = V_PUNT;
			good_of[at] = -1;
			hk[at] = h;
			memcpy(saved[at], p, n);
			saved_len[at] = (uint16_t)n;
		}
	}
	CHECK(want_good >= 40);
	CHECK_EQ(srtp_unprotect_burst(W, &b), want_good);
	CHECK_EQ(W->stats.srtp_unprotected - unprot0, want_good);
	for (unsigned int i = 0; i < b.n; i++) {
		static const int want[] = {
			[H_FLIP] = DROP_SRTP_AUTH,	 [H_DUP] = DROP_SRTP_REPLAY,
			[H_SHORT] = DROP_SRTP_TOO_SHORT, [H_VERSION] = DROP_RTP_VERSION,
			[H_NOKEY] = DROP_SRTP_NO_KEY,	 [H_MKI] = DROP_SRTP_MKI,
			[H_FORGED] = DROP_SRTP_AUTH,
		};

		SET_CTX("mixed unprotect #%u hostile %d", i, hk[i]);
		if (good_of[i] >= 0) {
			const struct mixed_pkt *g = &good[good_of[i]];

			CHECK_EQ(b.verdict[i], V_FWD);
			CHECK_EQ(b.msg_len[i], g->plain_len);
			CHECK_EQ(TM[i].m.data_len, g->plain_len);
			CHECK_MEM(burst_msg(&b, i), g->plain, g->plain_len);
		} else if (hk[i] == H_PUNT) {
			CHECK_EQ(b.verdict[i], V_PUNT);
			CHECK_MEM(burst_msg(&b, i), saved[i], saved_len[i]);
		} else {
			CHECK_DROPPED(b, i, want[hk[i]]);
		}
	}
	/* forged SSRCs took no slot; the counters add up */
	{
		uint64_t pk = 0;

		for (int d = 0; d < NSIDE; d++) {
			for (unsigned int k = 0; k < SSRC_SLOTS; k++) {
				CHECK((sd[d].rx->rtp.streams[k].ssrc >> 20) != 0xbad);
				CHECK((sd[d].rx->rtcp.streams[k].ssrc >> 20) != 0xbad);
			}
			pk += sd[d].rx->rtp.cnt.packets + sd[d].rx->rtcp.cnt.packets;
			CHECK_EQ(sd[d].rx->rtp.cnt.evicted + sd[d].rx->rtcp.cnt.evicted, 0);
		}
		CHECK_EQ(pk, want_good);
	}
	for (int d = 0; d < NSIDE; d++)
		side_close(&sd[d]);
	dir_free(nokey);
}

/* =================== duplicates inside one burst =================== */

TEST(duplicate_in_one_burst)
{
	static const enum suite ss[] = {SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AEAD_AES_128_GCM,
					SUITE_NULL_HMAC_SHA1_80};

	for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
		enum suite s = ss[si];
		struct srtp_keys *k = mkkeys(s, 12, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		uint8_t rtp_plain[256], rtcp_plain[256], rtp[512], rtcp[512];
		unsigned int rn, cn, rl, cl;
		struct burst b;
		static const int kind[] = {0, 0, 1, 1, 0, 1};
		static const int want[] = {DROP_NONE,	     DROP_SRTP_REPLAY, DROP_NONE,
					   DROP_SRTP_REPLAY, DROP_SRTP_REPLAY, DROP_SRTP_REPLAY};

		SET_CTX("%s", suites[s].name);
		rn = build_rtp(rtp_plain, 0x1212, 77, 0, 80, 0, -1, 0);
		cn = build_rtcp(rtcp_plain, 0x1212, 24, 9);
		rl = protect_copy(tx, 0, rtp_plain, rn, rtp);
		cl = protect_copy(tx, 1, rtcp_plain, cn, rtcp);
		REQUIRE(rl != 0 && cl != 0);
		burst_reset(&b);
		for (int i = 0; i < 6; i++)
			burst_add(&b, kind[i] ? rtcp : rtp, kind[i] ? cl : rl, kind[i], rx, NULL);
		CHECK_EQ(srtp_unprotect_burst(W, &b), 2);
		for (unsigned int i = 0; i < 6; i++) {
			CHECK_EQ(b.verdict[i], want[i] ? V_DROP : V_FWD);
			CHECK_REASON(b.reason[i], want[i]);
		}
		CHECK_MEM(burst_msg(&b, 0), rtp_plain, rn);
		CHECK_MEM(burst_msg(&b, 2), rtcp_plain, cn);
		CHECK_EQ(rx->rtp.cnt.packets, 1);
		CHECK_EQ(rx->rtp.cnt.replay, 2);
		CHECK_EQ(rx->rtcp.cnt.packets, 1);
		CHECK_EQ(rx->rtcp.cnt.replay, 2);
		/* and in the next burst, all of them are replays */
		burst_reset(&b);
		burst_add(&b, rtp, rl, 0, rx, NULL);
		burst_add(&b, rtcp, cl, 1, rx, NULL);
		CHECK_EQ(srtp_unprotect_burst(W, &b), 0);
		CHECK_REASON(b.reason[0], DROP_SRTP_REPLAY);
		CHECK_REASON(b.reason[1], DROP_SRTP_REPLAY);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

/* A new SSRC whose first burst crosses the SEQ wrap (65535 -> 0): every
 * packet must be accepted, as it is when the same packets arrive one burst
 * each. Also for a known stream (the usual case). */
TEST(burst_across_seq_wrap_equals_one_by_one)
{
	for (int known = 0; known < 2; known++) {
		static const enum suite ss[] = {SUITE_AES_CM_128_HMAC_SHA1_80,
						SUITE_AEAD_AES_128_GCM};

		for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
			enum suite s = ss[si];
			struct srtp_keys *k = mkkeys(s, 13, NULL, 0);
			struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k),
					*rx1 = engine_dir(k);
			static uint8_t plain[16][128], prot[16][256];
			unsigned int pl[16], ql[16], ol;
			uint8_t out[512];
			struct burst b;

			SET_CTX("%s %s stream", suites[s].name, known ? "known" : "new");
			if (known) { /* the receivers have seen SEQ 65500 */
				uint8_t p[128], q[256];
				unsigned int n = build_rtp(p, 0x4242, 65500, 0, 20, 0, -1, 0);
				unsigned int l = protect_copy(tx, 0, p, n, q);

				REQUIRE(unprotect_copy(rx, 0, q, l, out, &ol) == DROP_NONE);
				REQUIRE(unprotect_copy(rx1, 0, q, l, out, &ol) == DROP_NONE);
			}
			for (unsigned int q = 0; q < 16; q++) {
				pl[q] = build_rtp(plain[q], 0x4242, (uint16_t)(65530 + q), q, 20, 0,
						  -1, 0);
				ql[q] = protect_copy(tx, 0, plain[q], pl[q], prot[q]);
				REQUIRE(ql[q] != 0);
			}
			/* one by one */
			for (unsigned int q = 0; q < 16; q++) {
				CHECK_REASON(unprotect_copy(rx1, 0, prot[q], ql[q], out, &ol),
					     DROP_NONE);
				CHECK_MEM(out, plain[q], pl[q]);
			}
			/* one burst */
			burst_reset(&b);
			for (unsigned int q = 0; q < 16; q++)
				burst_add(&b, prot[q], ql[q], 0, rx, NULL);
			CHECK_EQ(srtp_unprotect_burst(W, &b), 16);
			{
				char lost[256] = "";
				size_t ll = 0;
				unsigned int n_lost = 0;

				for (unsigned int q = 0; q < 16; q++) {
					if (b.verdict[q] == V_FWD &&
					    memcmp(burst_msg(&b, q), plain[q], pl[q]) == 0)
						continue;
					n_lost++;
					ll += (size_t)snprintf(
						lost + ll, sizeof(lost) - ll, " %u:%s",
						(65530 + q) & 0xffff,
						drop_reason_name((enum drop_reason)b.reason[q]));
				}
				if (n_lost)
					fprintf(stderr, "  [%s] one burst SEQ 65530..9 lost%s\n",
						CTX, lost);
				CHECK_EQ(n_lost, 0);
			}
			CHECK_EQ(find_stream(&rx1->rtp, 0x4242)->top, 0x10009);
			if (find_stream(&rx->rtp, 0x4242) != NULL)
				CHECK_EQ(find_stream(&rx->rtp, 0x4242)->top, 0x10009);
			dir_free(tx);
			dir_free(rx);
			dir_free(rx1);
			keys_destroy(k);
		}
	}
}

/* =================== SSRC slots =================== */

/* Protect with @p tx, unprotect with @p rx. @return the unprotect reason. */
static int
send_one(struct srtp_dir *tx, struct srtp_dir *rx, int rtcp, uint32_t ssrc, uint16_t seq,
	 uint8_t *wire, unsigned int *wire_len)
{
	uint8_t plain[256], out[512];
	unsigned int n = rtcp ? build_rtcp(plain, ssrc, 20, seq)
			      : build_rtp(plain, ssrc, seq, seq, 30, 0, -1, 0);
	unsigned int l = protect_copy(tx, rtcp, plain, n, out), ol;
	int r;

	if (l == 0)
		return -1;
	if (wire != NULL) {
		memcpy(wire, out, l);
		*wire_len = l;
	}
	r = unprotect_copy(rx, rtcp, out, l, out + 256, &ol);
	if (r == 0 && (ol != n || memcmp(out + 256, plain, n) != 0))
		return -2;
	return r;
}

TEST(ssrc_slots_keep_their_own_state)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 14, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	static const uint32_t ssrc[4] = {0x51, 0x52, 0x53, 0x54};
	static const uint16_t base[4] = {65530, 100, 100, 40000};
	static uint8_t wire[4][10][256];
	unsigned int wl[4][10];

	SET_CTX("4 SSRCs");
	for (unsigned int q = 0; q < 10; q++)
		for (unsigned int x = 0; x < 4; x++)
			CHECK_REASON(send_one(tx, rx, 0, ssrc[x], (uint16_t)(base[x] + q),
					      wire[x][q], &wl[x][q]),
				     DROP_NONE);
	for (unsigned int x = 0; x < 4; x++) {
		const struct srtp_stream *st = find_stream(&rx->rtp, ssrc[x]);

		REQUIRE(st != NULL);
		CHECK_EQ(st->top, x == 0 ? 0x10003u : (uint64_t)base[x] + 9);
	}
	/* a replay on SSRC 2 (0x52) is dropped; SSRC 3 (0x53), with the same SEQs,
	 * is unaffected */
	{
		uint8_t out[512];
		unsigned int ol;
		struct srtp_stream s3 = *find_stream(&rx->rtp, ssrc[2]);

		CHECK_REASON(unprotect_copy(rx, 0, wire[1][5], wl[1][5], out, &ol),
			     DROP_SRTP_REPLAY);
		CHECK_MEM(find_stream(&rx->rtp, ssrc[2]), &s3, sizeof(s3));
	}
	CHECK_REASON(send_one(tx, rx, 0, ssrc[2], 110, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, ssrc[2], 95, NULL, NULL), DROP_NONE); /* late, new */
	CHECK_REASON(send_one(tx, rx, 0, ssrc[1], 110, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, ssrc[1], 95, NULL, NULL), DROP_NONE);
	/* SSRC 1 kept its ROC across the others' traffic */
	CHECK_REASON(send_one(tx, rx, 0, ssrc[0], 5, NULL, NULL), DROP_NONE);
	CHECK_EQ(find_stream(&rx->rtp, ssrc[0])->top, 0x10005);
	CHECK_EQ(find_stream(&rx->rtp, ssrc[3])->top, 40009);
	CHECK_EQ(rx->rtp.cnt.replay, 1);
	CHECK_EQ(rx->rtp.cnt.evicted, 0);
	/* RTCP has slots of its own */
	CHECK_EQ(rx->rtcp.streams[0].last_used, 0);
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

/* Review finding 3: moving from a key with an MKI to one without, with
 * overlap, must not push old-key packets through the no-MKI retry (their
 * layout differs): they are refused and change nothing. */
TEST(overlap_across_mki_change_refuses_old_layout)
{
	static const uint8_t mki[4] = {0x5e, 0xad, 0xbe, 0xef};
	struct srtp_keys *k1 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 51, mki, 4);
	struct srtp_keys *k2 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 52, NULL, 0);
	struct srtp_dir *tx = engine_dir(k1), *rx = engine_dir(k1);
	const struct srtp_keys *retire[2];
	uint8_t plain[256], a[512], out[512];
	unsigned int n, al, ol;

	SET_CTX("mki change");
	for (int rtcp = 0; rtcp < 2; rtcp++) {
		struct srtp_half *h = rtcp ? &rx->rtcp : &rx->rtp;
		struct srtp_stream snap[SSRC_SLOTS];

		n = rtcp ? build_rtcp(plain, 0x61, 16, 1)
			 : build_rtp(plain, 0x61, 1, 0, 30, 0, -1, 0);
		CHECK_REASON(try_protect(tx, rtcp, plain, n, a, &al), DROP_NONE);
		if (rtcp == 0) {
			CHECK_EQ(srtp_dir_set_keys(rx, k2, true, retire), 0);
		}
		memcpy(snap, h->streams, sizeof(snap));
		CHECK_REASON(unprotect_copy(rx, rtcp, a, al, out, &ol), DROP_SRTP_AUTH);
		CHECK_MEM(h->streams, snap, sizeof(snap));
	}
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k1);
	keys_destroy(k2);
}

/* Review finding 4: NULL_HMAC_SHA1_80 SRTCP with the E bit set (a libsrtp
 * sender configured for confidentiality with the null cipher) is
 * authenticated and passed through unchanged, never "decrypted". */
TEST(null_suite_srtcp_e_bit_set)
{
	uint8_t key[16], salt[14], plain[256], pkt[512], out[512];
	struct srtp_keys *k;
	struct srtp_dir *rx;
	srtp_policy_t pol;
	unsigned char keysalt[30];
	srtp_t lib;
	int len;
	unsigned int n, ol;

	SET_CTX("null E=1");
	engine_fill_key(SUITE_NULL_HMAC_SHA1_80, key, salt, 53);
	k = engine_keys(W, SUITE_NULL_HMAC_SHA1_80, key, salt, NULL, 0);
	rx = engine_dir(k);
	memset(&pol, 0, sizeof(pol));
	ref_crypto_policy(SUITE_NULL_HMAC_SHA1_80, &pol.rtp, &pol.rtcp);
	pol.rtcp.sec_serv = sec_serv_conf_and_auth;
	memcpy(keysalt, key, 16);
	memcpy(keysalt + 16, salt, 14);
	pol.key = keysalt;
	pol.ssrc.type = ssrc_any_outbound;
	pol.window_size = 128;
	REQUIRE(srtp_create(&lib, &pol) == srtp_err_status_ok);
	n = build_rtcp(plain, 0x62, 24, 9);
	memcpy(pkt, plain, n);
	len = (int)n;
	REQUIRE(srtp_protect_rtcp(lib, pkt, &len) == srtp_err_status_ok);
	CHECK_EQ(rd32(pkt + n) >> 31, 1); /* E set */
	CHECK_REASON(unprotect_copy(rx, 1, pkt, (unsigned int)len, out, &ol), DROP_NONE);
	CHECK_EQ(ol, n);
	CHECK_MEM(out, plain, n);
	srtp_dealloc(lib);
	dir_free(rx);
	keys_destroy(k);
}

/* SRTP works in place: a shared (refcnt 2) or chained mbuf is refused on
 * both paths, and the packet bytes are left alone. */
TEST(drop_mbuf_not_writable)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 54, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	uint8_t plain[256], a[512];
	unsigned int n, al;
	struct burst b;

	SET_CTX("not writable");
	n = build_rtp(plain, 0x63, 1, 0, 40, 0, -1, 0);
	CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_NONE);
	for (int how = 0; how < 2; how++) {
		for (int prot = 0; prot < 2; prot++) {
			burst_reset(&b);
			if (prot)
				burst_add(&b, plain, n, 0, NULL, tx);
			else
				burst_add(&b, a, al, 0, rx, NULL);
			if (how == 0)
				rte_mbuf_refcnt_set(b.pkts[0], 2);
			else
				b.pkts[0]->nb_segs = 2;
			CHECK_EQ(prot ? srtp_protect_burst(W, &b) : srtp_unprotect_burst(W, &b), 0);
			CHECK_DROPPED(b, 0, DROP_MBUF_NOT_WRITABLE);
			CHECK_MEM(test_mbuf_data(&TM[0]), prot ? plain : a, prot ? n : al);
			rte_mbuf_refcnt_set(b.pkts[0], 1);
			b.pkts[0]->nb_segs = 1;
		}
	}
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

/* Slots: a fifth SSRC is refused while the four streams are live, and takes
 * the least recently used slot once that stream has been idle SSRC_IDLE_MS
 * (time is the worker's now_ms, set by the worker loop; here by hand). */
TEST(ssrc_fifth_evicts_idle_lru)
{
	struct srtp_keys *k = mkkeys(SUITE_AEAD_AES_128_GCM, 15, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	struct srtp_stream snap[SSRC_SLOTS];
	unsigned int b_slot = SSRC_SLOTS;
	uint64_t ev0 = W->stats.ssrc_evicted;

	SET_CTX("eviction");
	W->now_ms = 1000;
	CHECK_REASON(send_one(tx, rx, 0, 0xa, 1, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, 0xb, 1, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, 0xc, 1, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, 0xd, 1, NULL, NULL), DROP_NONE);
	/* All four live: a fifth is refused by the sender, and by the
	 * receiver (fed by another sender), each leaving its slots as they
	 * were. */
	W->now_ms = 1000 + SSRC_IDLE_MS - 2;
	{
		struct srtp_dir *tx2 = engine_dir(k);
		uint8_t plain[256], a[512], out[512];
		unsigned int n = build_rtp(plain, 0xe, 1, 0, 30, 0, -1, 0), al, ol;

		memcpy(snap, tx->rtp.streams, sizeof(snap));
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_SRTP_SSRC_FULL);
		CHECK_MEM(tx->rtp.streams, snap, sizeof(snap));
		memcpy(snap, rx->rtp.streams, sizeof(snap));
		CHECK_REASON(try_protect(tx2, 0, plain, n, a, &al), DROP_NONE);
		CHECK_REASON(unprotect_copy(rx, 0, a, al, out, &ol), DROP_SRTP_SSRC_FULL);
		CHECK_MEM(rx->rtp.streams, snap, sizeof(snap));
		dir_free(tx2);
	}
	CHECK_EQ(tx->rtp.cnt.evicted + rx->rtp.cnt.evicted, 0);
	/* 0xa, 0xc, 0xd keep talking; 0xb goes quiet. */
	W->now_ms = 1000 + SSRC_IDLE_MS + 10;
	CHECK_REASON(send_one(tx, rx, 0, 0xa, 2, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, 0xc, 2, NULL, NULL), DROP_NONE);
	CHECK_REASON(send_one(tx, rx, 0, 0xd, 2, NULL, NULL), DROP_NONE);
	for (unsigned int x = 0; x < SSRC_SLOTS; x++)
		if (rx->rtp.streams[x].ssrc == 0xb)
			b_slot = x;
	REQUIRE(b_slot < SSRC_SLOTS);
	CHECK_REASON(send_one(tx, rx, 0, 0xe, 1, NULL, NULL), DROP_NONE);
	CHECK_EQ(rx->rtp.cnt.evicted, 1);
	CHECK_EQ(tx->rtp.cnt.evicted, 1);
	CHECK_EQ(W->stats.ssrc_evicted - ev0, 2);
	CHECK_EQ(rx->rtp.streams[b_slot].ssrc, 0xe);
	CHECK(find_stream(&rx->rtp, 0xb) == NULL);
	/* 0xb left a tombstone with its top index on both sides. */
	CHECK_EQ(rx->rtp.retired[0].ssrc, 0xb);
	CHECK_EQ(rx->rtp.retired[0].top, 1);
	CHECK_EQ(tx->rtp.retired[0].ssrc, 0xb);
	/* SRTCP streams are separate: none of this touched them. */
	CHECK_EQ(rx->rtcp.cnt.evicted + tx->rtcp.cnt.evicted, 0);
	W->now_ms = 0;
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

/* Review finding 1: an evicted SSRC that comes back must not be protected
 * again under an index it already used (CTR keystream reuse), and keeps its
 * ROC. */
TEST(evicted_ssrc_never_reuses_keystream)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 41, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		uint8_t plain[256], a[512], out[512];
		unsigned int n, al, ol;

		SET_CTX("%s", suites[s].name);
		W->now_ms = 100;
		/* 0x77 crosses the wrap: ROC 1 at SEQ 5. */
		for (uint32_t q = 65530; q <= 65536 + 5; q++)
			CHECK_REASON(send_one(tx, rx, 0, 0x77, (uint16_t)q, NULL, NULL), DROP_NONE);
		W->now_ms = 100 + SSRC_IDLE_MS + 10;
		for (uint32_t x = 1; x <= 4; x++) /* four new streams push 0x77 out */
			CHECK_REASON(send_one(tx, rx, 0, 0x100 + x, 1, NULL, NULL), DROP_NONE);
		CHECK(find_stream(&tx->rtp, 0x77) == NULL);
		CHECK(find_stream(&rx->rtp, 0x77) == NULL);
		/* Back again: SEQ 5 was sent with ROC 1; it must be refused. */
		W->now_ms = 100 + 2 * SSRC_IDLE_MS + 20;
		n = build_rtp(plain, 0x77, 5, 0, 30, 0, -1, 0);
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_SRTP_INDEX_REUSE);
		/* SEQ 6 goes out under ROC 1, and the receiver follows. */
		n = build_rtp(plain, 0x77, 6, 0, 30, 0, -1, 0);
		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_NONE);
		CHECK_REASON(unprotect_copy(rx, 0, a, al, out, &ol), DROP_NONE);
		CHECK_EQ(ol, n);
		CHECK_MEM(out, plain, n);
		CHECK(find_stream(&rx->rtp, 0x77) != NULL);
		if (find_stream(&rx->rtp, 0x77) != NULL)
			CHECK_EQ(find_stream(&rx->rtp, 0x77)->top, 0x10006);
		W->now_ms = 0;
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

/* SRTCP indices come from one sequence per direction: two SSRCs, and one
 * coming back after eviction, never share an index under the key. */
TEST(srtcp_index_unique_across_ssrcs)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 42, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	uint8_t wire[512];
	unsigned int wl;
	uint32_t seen[12];

	SET_CTX("srtcp index");
	for (unsigned int q = 0; q < 12; q++) {
		uint32_t ssrc = 0x200 + q % 3;

		CHECK_REASON(send_one(tx, rx, 1, ssrc, (uint16_t)q, wire, &wl), DROP_NONE);
		seen[q] = rd32(wire + wl - 10 - 4) & 0x7fffffff;
		CHECK_EQ(seen[q], q + 1);
	}
	CHECK_EQ(tx->rtcp.rtcp_index, 12);
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

/* Review finding 2: replaying genuine packets of four other SSRCs must not
 * push out a live stream, and an evicted stream's old packets never replay. */
TEST(replays_cannot_evict_or_reopen_a_stream)
{
	struct srtp_keys *k = mkkeys(SUITE_AEAD_AES_128_GCM, 43, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	static uint8_t old[4][512];
	unsigned int oldl[4], ol;
	uint8_t out[512];

	SET_CTX("replay eviction");
	W->now_ms = 10;
	/* Captured: one genuine packet each of 0x300..0x303. */
	for (uint32_t x = 0; x < 4; x++)
		CHECK_REASON(send_one(tx, rx, 0, 0x300 + x, 7, old[x], &oldl[x]), DROP_NONE);
	/* 0x300 talks on across a wrap; much later the attacker replays. */
	for (uint32_t q = 65500; q < 65536 + 50; q++)
		CHECK_REASON(send_one(tx, rx, 0, 0x300, (uint16_t)q, NULL, NULL), DROP_NONE);
	W->now_ms = 10 + 10 * SSRC_IDLE_MS;
	CHECK_REASON(send_one(tx, rx, 0, 0x300, 60, NULL, NULL), DROP_NONE);
	for (uint32_t x = 1; x < 4; x++) {
		CHECK_REASON(unprotect_copy(rx, 0, old[x], oldl[x], out, &ol), DROP_SRTP_REPLAY);
	}
	/* 0x301..0x303 are idle: a new genuine SSRC may evict one of them,
	 * never the live 0x300; the evicted one's old packet stays a replay. */
	CHECK_REASON(send_one(tx, rx, 0, 0x3ff, 1, NULL, NULL), DROP_NONE);
	CHECK(find_stream(&rx->rtp, 0x300) != NULL);
	for (uint32_t x = 1; x < 4; x++)
		if (find_stream(&rx->rtp, 0x300 + x) == NULL)
			CHECK_REASON(unprotect_copy(rx, 0, old[x], oldl[x], out, &ol),
				     DROP_SRTP_REPLAY);
	/* and the live stream still decrypts with its ROC. */
	CHECK_REASON(send_one(tx, rx, 0, 0x300, 61, NULL, NULL), DROP_NONE);
	W->now_ms = 0;
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

/* Tombstones made under the current key are never dropped: once 4 slots and
 * 8 tombstones are used, a new SSRC is refused; a re-key frees them. */
TEST(tombstones_full_refuses_until_rekey)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 44, NULL, 0);
	struct srtp_keys *k2 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 45, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	const struct srtp_keys *retire[2];
	uint32_t t = 1;

	SET_CTX("tombstones");
	for (uint32_t x = 0; x < SSRC_SLOTS + SSRC_RETIRED; x++, t += SSRC_IDLE_MS + 10) {
		W->now_ms = t;
		CHECK_REASON(send_one(tx, rx, 0, 0x400 + x, 1, NULL, NULL), DROP_NONE);
	}
	W->now_ms = t += SSRC_IDLE_MS + 10;
	{
		struct srtp_dir *tx2 = engine_dir(k);
		uint8_t plain[256], a[512], out[512];
		unsigned int n = build_rtp(plain, 0x4ff, 1, 0, 30, 0, -1, 0), al, ol;

		CHECK_REASON(try_protect(tx, 0, plain, n, a, &al), DROP_SRTP_SSRC_FULL);
		CHECK_REASON(try_protect(tx2, 0, plain, n, a, &al), DROP_NONE);
		CHECK_REASON(unprotect_copy(rx, 0, a, al, out, &ol), DROP_SRTP_SSRC_FULL);
		dir_free(tx2);
	}
	/* New key on both sides: the old key's tombstones may now go. */
	CHECK_EQ(srtp_dir_set_keys(tx, k2, false, retire), 1);
	CHECK_EQ(srtp_dir_set_keys(rx, k2, false, retire), 1);
	CHECK_REASON(send_one(tx, rx, 0, 0x4ff, 1, NULL, NULL), DROP_NONE);
	W->now_ms = 0;
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
	keys_destroy(k2);
}

TEST(forged_packet_takes_no_slot)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 16, NULL, 0), *bad = mkkeys(s, 17, NULL, 0);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k), *forger = engine_dir(bad);
		uint8_t plain[256], prot[512], out[512];
		unsigned int n, l, ol;
		uint64_t ev0 = W->stats.ssrc_evicted;

		SET_CTX("%s", suites[s].name);
		for (int full = 0; full < 2; full++) {
			for (int rtcp = 0; rtcp < 2; rtcp++) {
				struct srtp_half *h = rtcp ? &rx->rtcp : &rx->rtp;
				struct srtp_stream snap[SSRC_SLOTS];
				struct srtp_retired snap_r[SSRC_RETIRED];

				memcpy(snap, h->streams, sizeof(snap));
				memcpy(snap_r, h->retired, sizeof(snap_r));
				/* wrong key: a new SSRC, then 0x60 (in the second round a
				 * known SSRC, far ahead: it would move ROC/top) */
				for (int known = 0; known < 2; known++) {
					uint32_t ssrc = known ? 0x60 : 0xf00d;

					n = rtcp ? build_rtcp(plain, ssrc, 16, 1)
						 : build_rtp(plain, ssrc, (uint16_t)(30000 + full),
							     0, 30, 0, -1, 0);
					l = protect_copy(forger, rtcp, plain, n, prot);
					REQUIRE(l != 0);
					CHECK_REASON(unprotect_copy(rx, rtcp, prot, l, out, &ol),
						     DROP_SRTP_AUTH);
				}
				CHECK_MEM(h->streams, snap, sizeof(snap));
				CHECK_MEM(h->retired, snap_r, sizeof(snap_r));
			}
			/* fill all four slots (0x60..0x63) for the second round */
			for (uint32_t x = 0; x < 4 && !full; x++) {
				CHECK_REASON(send_one(tx, rx, 0, 0x60 + x, 1, NULL, NULL),
					     DROP_NONE);
				CHECK_REASON(send_one(tx, rx, 1, 0x60 + x, 1, NULL, NULL),
					     DROP_NONE);
			}
		}
		CHECK_EQ(rx->rtp.cnt.evicted + rx->rtcp.cnt.evicted, 0);
		CHECK_EQ(rx->rtp.cnt.auth_fail, 4);
		CHECK_EQ(rx->rtcp.cnt.auth_fail, 4);
		CHECK_EQ(W->stats.ssrc_evicted, ev0);
		dir_free(tx);
		dir_free(rx);
		dir_free(forger);
		keys_destroy(k);
		keys_destroy(bad);
	}
}

/* Forged new SSRCs in the same burst as genuine ones: only the genuine
 * take slots. */
TEST(forged_in_burst_takes_no_slot)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 18, NULL, 0);
	struct srtp_keys *bad = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 19, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k), *forger = engine_dir(bad);
	struct burst b;
	uint8_t plain[256], prot[512];
	unsigned int n, l;

	SET_CTX("forged in burst");
	burst_reset(&b);
	for (uint32_t x = 0; x < 8; x++) {
		int genuine = x % 4 == 1;

		n = build_rtp(plain, 0x700 + x, 10, 0, 30, 0, -1, 0);
		srtp_dir_init(forger); /* its own four slots would fill */
		{
			const struct srtp_keys *ret[2];

			srtp_dir_set_keys(forger, bad, false, ret);
		}
		l = protect_copy(genuine ? tx : forger, 0, plain, n, prot);
		REQUIRE(l != 0);
		burst_add(&b, prot, l, 0, rx, NULL);
	}
	CHECK_EQ(srtp_unprotect_burst(W, &b), 2);
	for (unsigned int x = 0; x < 8; x++)
		CHECK_REASON(b.reason[x], x % 4 == 1 ? DROP_NONE : DROP_SRTP_AUTH);
	CHECK(find_stream(&rx->rtp, 0x701) != NULL);
	CHECK(find_stream(&rx->rtp, 0x705) != NULL);
	CHECK_EQ(rx->rtp.streams[2].last_used, 0);
	CHECK_EQ(rx->rtp.streams[3].last_used, 0);
	CHECK_EQ(rx->rtp.cnt.auth_fail, 6);
	dir_free(tx);
	dir_free(rx);
	dir_free(forger);
	keys_destroy(k);
	keys_destroy(bad);
}

/* =================== re-key =================== */

/* Old-key and new-key packets, mixed in one burst, during an overlap. */
TEST(rekey_overlap_accepts_both_keys)
{
	static const enum suite ss[] = {SUITE_AES_CM_128_HMAC_SHA1_80,
					SUITE_AES_256_CM_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM,
					SUITE_AEAD_AES_256_GCM, SUITE_NULL_HMAC_SHA1_80};

	for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
		enum suite s = ss[si];
		struct srtp_keys *k1 = mkkeys(s, 20, NULL, 0), *k2 = mkkeys(s, 21, NULL, 0);
		struct srtp_dir *tx = engine_dir(k1), *rx = engine_dir(k1), *tx_old;
		const struct srtp_keys *retire[2] = {NULL, NULL};
		static uint8_t plain[2][12][256], prot[2][12][512];
		unsigned int pl[2][12], ql[2][12];
		uint8_t out[512];
		struct burst b;

		SET_CTX("%s", suites[s].name);
		/* a few packets under k1 first */
		for (uint16_t q = 0; q < 5; q++) {
			CHECK_REASON(send_one(tx, rx, 0, 0x99, q, NULL, NULL), DROP_NONE);
			CHECK_REASON(send_one(tx, rx, 1, 0x99, q, NULL, NULL), DROP_NONE);
		}
		/* [0][*]: under k1 (the sender has not switched yet) */
		for (unsigned int q = 0; q < 12; q++) {
			int rtcp = q >= 10;

			pl[0][q] = rtcp ? build_rtcp(plain[0][q], 0x99, 24, q)
					: build_rtp(plain[0][q], 0x99, (uint16_t)(10 + q), q, 60, 0,
						    -1, 0);
			ql[0][q] = protect_copy(tx, rtcp, plain[0][q], pl[0][q], prot[0][q]);
			REQUIRE(ql[0][q] != 0);
		}
		/* the sender switches; its streams (SEQ, SRTCP index) carry on */
		CHECK_EQ(srtp_dir_set_keys(tx, k2, false, retire), 1);
		CHECK(retire[0] == k1);
		for (unsigned int q = 0; q < 12; q++) {
			int rtcp = q >= 10;

			pl[1][q] = rtcp ? build_rtcp(plain[1][q], 0x99, 24, 100 + q)
					: build_rtp(plain[1][q], 0x99, (uint16_t)(30 + q), q, 60, 0,
						    -1, 0);
			ql[1][q] = protect_copy(tx, rtcp, plain[1][q], pl[1][q], prot[1][q]);
			REQUIRE(ql[1][q] != 0);
		}
		/* the receiver installs k2 keeping k1 */
		CHECK_EQ(srtp_dir_set_keys(rx, k2, true, retire), 0);
		CHECK(rx->keys == k2 && rx->prev_keys == k1);
		/* one burst: new, old, new, old, ... */
		burst_reset(&b);
		for (unsigned int q = 0; q < 12; q++) {
			burst_add(&b, prot[1][q], ql[1][q], q >= 10, rx, NULL);
			burst_add(&b, prot[0][q], ql[0][q], q >= 10, rx, NULL);
		}
		CHECK_EQ(srtp_unprotect_burst(W, &b), 24);
		for (unsigned int i = 0; i < 24; i++) {
			unsigned int key = i % 2 == 0 ? 1 : 0, q = i / 2;

			CHECK_REASON(b.reason[i], DROP_NONE);
			CHECK_EQ(b.msg_len[i], pl[key][q]);
			CHECK_MEM(burst_msg(&b, i), plain[key][q], pl[key][q]);
		}
		CHECK_EQ(rx->rtp.cnt.auth_fail + rx->rtcp.cnt.auth_fail, 0);

		/* overlap over: k1 packets are refused, k2 ones still fine */
		CHECK(srtp_dir_end_overlap(rx) == k1);
		CHECK(rx->prev_keys == NULL);
		CHECK(srtp_dir_end_overlap(rx) == NULL);
		tx_old = engine_dir(k1);
		for (unsigned int q = 0; q < 10; q++) /* SRTCP index past the receiver's */
			REQUIRE(protect_copy(tx_old, 1, plain[0][10], pl[0][10], out) != 0);
		CHECK_REASON(send_one(tx_old, rx, 0, 0x99, 60, NULL, NULL), DROP_SRTP_AUTH);
		CHECK_REASON(send_one(tx_old, rx, 1, 0x99, 0, NULL, NULL), DROP_SRTP_AUTH);
		CHECK_REASON(send_one(tx, rx, 0, 0x99, 61, NULL, NULL), DROP_NONE);
		CHECK_REASON(send_one(tx, rx, 1, 0x99, 0, NULL, NULL), DROP_NONE);
		CHECK_EQ(rx->rtp.cnt.auth_fail, 1);
		CHECK_EQ(rx->rtcp.cnt.auth_fail, 1);
		dir_free(tx);
		dir_free(tx_old);
		dir_free(rx);
		keys_destroy(k1);
		keys_destroy(k2);
	}
}

/* During an overlap, a forged packet fails under both keys and changes
 * nothing; a genuine one after it (same index) is still accepted. */
TEST(rekey_overlap_forged_fails_both)
{
	static const enum suite ss[] = {SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AEAD_AES_128_GCM};

	for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
		enum suite s = ss[si];
		struct srtp_keys *k1 = mkkeys(s, 22, NULL, 0), *k2 = mkkeys(s, 23, NULL, 0);
		struct srtp_dir *tx = engine_dir(k1), *rx = engine_dir(k2);
		const struct srtp_keys *retire[2];
		uint8_t plain[256], prot[512], forged[512];
		unsigned int n, l;
		struct burst b;

		SET_CTX("%s", suites[s].name);
		srtp_dir_set_keys(rx, k1, false, retire);
		srtp_dir_set_keys(rx, k2, true, retire);
		CHECK(rx->prev_keys == k1);
		n = build_rtp(plain, 0x31, 500, 0, 100, 0, -1, 0);
		l = protect_copy(tx, 0, plain, n, prot);
		REQUIRE(l != 0);
		memcpy(forged, prot, l);
		forged[20] ^= 0x55;
		burst_reset(&b);
		burst_add(&b, forged, l, 0, rx, NULL);
		burst_add(&b, prot, l, 0, rx, NULL);
		CHECK_EQ(srtp_unprotect_burst(W, &b), 1);
		CHECK_REASON(b.reason[0], DROP_SRTP_AUTH);
		CHECK_REASON(b.reason[1], DROP_NONE);
		CHECK_MEM(burst_msg(&b, 1), plain, n);
		CHECK_EQ(rx->rtp.cnt.auth_fail, 1);
		CHECK_EQ(rx->rtp.cnt.packets, 1);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k1);
		keys_destroy(k2);
	}
}

/* A full burst of old-key packets during an overlap (the usual moment: the
 * receiver has the new key, the peer has not switched yet): every packet
 * goes through the retry, for GCM with a restore pass as well. */
TEST(rekey_overlap_full_burst_of_old_key)
{
	static const enum suite ss[] = {SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AEAD_AES_128_GCM,
					SUITE_AEAD_AES_256_GCM};

	for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
		enum suite s = ss[si];
		struct srtp_keys *k1 = mkkeys(s, 24, NULL, 0), *k2 = mkkeys(s, 25, NULL, 0);
		struct srtp_dir *tx = engine_dir(k1), *rx = engine_dir(k1);
		const struct srtp_keys *retire[2];
		static uint8_t plain[BURST_MAX][256], prot[BURST_MAX][512];
		unsigned int pl[BURST_MAX], ql[BURST_MAX];
		struct burst b;
		unsigned int bad = 0;

		SET_CTX("%s", suites[s].name);
		CHECK_EQ(srtp_dir_set_keys(rx, k2, true, retire), 0);
		burst_reset(&b);
		for (unsigned int q = 0; q < BURST_MAX; q++) {
			int rtcp = q % 8 == 7;

			pl[q] = rtcp ? build_rtcp(plain[q], 0x77, 40, q)
				     : build_rtp(plain[q], 0x77, (uint16_t)(1 + q), q, 120, 0, -1,
						 0);
			ql[q] = protect_copy(tx, rtcp, plain[q], pl[q], prot[q]);
			REQUIRE(ql[q] != 0);
			burst_add(&b, prot[q], ql[q], rtcp, rx, NULL);
		}
		CHECK_EQ(srtp_unprotect_burst(W, &b), BURST_MAX);
		for (unsigned int q = 0; q < BURST_MAX; q++) {
			if (b.verdict[q] != V_FWD || b.msg_len[q] != pl[q] ||
			    memcmp(burst_msg(&b, q), plain[q], pl[q]) != 0)
				bad++;
		}
		if (bad)
			fprintf(stderr, "  [%s] %u of %d old-key packets not recovered\n", CTX, bad,
				BURST_MAX);
		CHECK_EQ(bad, 0);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k1);
		keys_destroy(k2);
	}
}

TEST(set_keys_retire_lists)
{
	struct srtp_keys *k1 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 30, NULL, 0);
	struct srtp_keys *k2 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 31, NULL, 0);
	struct srtp_keys *k3 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 32, NULL, 0);
	struct srtp_keys *k4 = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 33, NULL, 0);
	struct srtp_dir *d = engine_dir(NULL);
	const struct srtp_keys *r[2];

	SET_CTX("retire");
	/* first key: nothing to retire */
	r[0] = r[1] = NULL;
	CHECK_EQ(srtp_dir_set_keys(d, k1, false, r), 0);
	CHECK(d->keys == k1 && d->prev_keys == NULL);
	/* no overlap: the old key */
	CHECK_EQ(srtp_dir_set_keys(d, k2, false, r), 1);
	CHECK(r[0] == k1);
	CHECK(d->keys == k2 && d->prev_keys == NULL);
	/* overlap: nothing (k2 stays as previous) */
	CHECK_EQ(srtp_dir_set_keys(d, k3, true, r), 0);
	CHECK(d->keys == k3 && d->prev_keys == k2);
	/* overlap, then a second re-key with overlap: the previous key, k2 */
	CHECK_EQ(srtp_dir_set_keys(d, k4, true, r), 1);
	CHECK(r[0] == k2);
	CHECK(d->keys == k4 && d->prev_keys == k3);
	/* end of overlap hands back k3 once */
	CHECK(srtp_dir_end_overlap(d) == k3);
	CHECK(srtp_dir_end_overlap(d) == NULL);
	CHECK(d->keys == k4);
	/* overlap, then a re-key without overlap: both */
	CHECK_EQ(srtp_dir_set_keys(d, k1, true, r), 0);
	CHECK_EQ(srtp_dir_set_keys(d, k2, false, r), 2);
	CHECK((r[0] == k1 && r[1] == k4) || (r[0] == k4 && r[1] == k1));
	CHECK(d->keys == k2 && d->prev_keys == NULL);
	/* the same key again: nothing */
	CHECK_EQ(srtp_dir_set_keys(d, k2, false, r), 0);
	CHECK_EQ(srtp_dir_set_keys(d, k2, true, r), 0);
	CHECK(d->keys == k2);
	/* removing the key */
	CHECK_EQ(srtp_dir_set_keys(d, NULL, false, r), 1);
	CHECK(r[0] == k2);
	CHECK(d->keys == NULL && d->prev_keys == NULL);
	/* overlap from no key: nothing to keep, nothing to retire */
	CHECK_EQ(srtp_dir_set_keys(d, k1, true, r), 0);
	CHECK(d->keys == k1 && d->prev_keys == NULL);

	/* a re-key rolled back during its overlap (k1 -> k2 keep -> k1 keep):
	 * k1 is current again and k2 previous; nothing is unreferenced. */
	r[0] = r[1] = NULL;
	CHECK_EQ(srtp_dir_set_keys(d, k2, true, r), 0);
	{
		unsigned int n = srtp_dir_set_keys(d, k1, true, r);

		CHECK(d->keys == k1);
		for (unsigned int x = 0; x < n; x++) {
			if (r[x] == d->keys || r[x] == d->prev_keys) {
				fprintf(stderr,
					"  rollback k1->k2(keep)->k1(keep): retire[%u] is the %s "
					"key"
					" (still referenced)\n",
					x, r[x] == d->keys ? "current" : "previous");
				CHECK(!"retire lists a key still in use");
			}
		}
		CHECK_EQ(n, 0);
	}
	dir_free(d);
	keys_destroy(k1);
	keys_destroy(k2);
	keys_destroy(k3);
	keys_destroy(k4);
}

/* Random set_keys / end_overlap sequences over four keys and NULL: every
 * key that stops being referenced is retired exactly once, and nothing
 * still referenced is ever retired. */
TEST(set_keys_retire_invariant)
{
	const struct srtp_keys *ks[5];
	struct srtp_dir *d = engine_dir(NULL);
	char trail[512] = "";
	size_t tl = 0;

	SET_CTX("retire invariant");
	test_seed(0x9e3779b97f4a7c15ull);
	for (int x = 0; x < 4; x++)
		ks[x] = mkkeys(SUITE_AEAD_AES_128_GCM, (uint8_t)(40 + x), NULL, 0);
	ks[4] = NULL;
	for (int op = 0; op < 20000; op++) {
		const struct srtp_keys *before[2] = {d->keys, d->prev_keys}, *r[2] = {NULL, NULL};
		unsigned int n, pick = test_rand() % 5, kind = test_rand() % 4;
		int bad = 0;

		if (kind == 3) {
			r[0] = srtp_dir_end_overlap(d);
			n = r[0] != NULL;
		} else {
			n = srtp_dir_set_keys(d, ks[pick], kind != 0, r);
		}
		if (tl < sizeof(trail) - 32)
			tl += (size_t)snprintf(trail + tl, sizeof(trail) - tl, " %s%c",
					       kind == 3   ? "end"
					       : kind == 0 ? "set"
							   : "keep",
					       kind == 3 ? ' '
							 : (char)(pick == 4 ? '0' : 'A' + pick));
		if (n > 2)
			bad = 1;
		/* nothing retired is still referenced; no duplicates; only keys
		 * that were referenced before */
		for (unsigned int x = 0; x < n && x < 2; x++) {
			if (r[x] == NULL || r[x] == d->keys || r[x] == d->prev_keys)
				bad = 1;
			if (r[x] != before[0] && r[x] != before[1])
				bad = 1;
			if (x == 1 && r[0] == r[1])
				bad = 1;
		}
		/* everything unreferenced now was retired */
		for (int x = 0; x < 2; x++) {
			const struct srtp_keys *o = before[x];

			if (o == NULL || o == d->keys || o == d->prev_keys)
				continue;
			if (!((n > 0 && r[0] == o) || (n > 1 && r[1] == o)))
				bad = 1;
		}
		if (bad) {
			fprintf(stderr,
				"  op %d: before {%p, %p} after {%p, %p}, retired %u\n"
				"  sequence (A..D keys, 0 none; keep: with overlap):%s\n",
				op, (const void *)before[0], (const void *)before[1],
				(const void *)d->keys, (const void *)d->prev_keys, n, trail);
			CHECK(!"retire invariant broken");
			break;
		}
		if (op % 8 == 7) { /* keep the trail short: restart from a clean state */
			const struct srtp_keys *rr[2];

			srtp_dir_set_keys(d, NULL, false, rr);
			tl = 0;
			trail[0] = 0;
		}
	}
	dir_free(d);
	for (int x = 0; x < 4; x++)
		keys_destroy(ks[x]);
}

/* =================== MKI selects the key =================== */

TEST(mki_selects_key)
{
	static const uint8_t m1[2] = {0, 1}, m2[2] = {0, 2};
	static const enum suite ss[] = {SUITE_AES_CM_128_HMAC_SHA1_80,
					SUITE_AES_256_CM_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM};

	for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
		enum suite s = ss[si];
		struct srtp_keys *k1 = mkkeys(s, 26, m1, 2), *k2 = mkkeys(s, 27, m2, 2);
		struct srtp_dir *tx1 = engine_dir(k1), *tx2 = engine_dir(k2), *rx = engine_dir(k1);
		const struct srtp_keys *retire[2];
		static uint8_t plain[8][256], prot[8][512];
		unsigned int pl[8], ql[8], ol;
		uint8_t out[512], a[512];
		struct burst b;

		SET_CTX("%s", suites[s].name);
		CHECK_EQ(srtp_dir_set_keys(rx, k2, true, retire), 0);
		/* even: k1 (MKI 0001), odd: k2 (MKI 0002); RTP and RTCP */
		burst_reset(&b);
		for (unsigned int q = 0; q < 8; q++) {
			int rtcp = q >= 6;

			pl[q] = rtcp ? build_rtcp(plain[q], 0x3000 + (q & 1), 32, q)
				     : build_rtp(plain[q], 0x3000 + (q & 1), (uint16_t)(100 + q), q,
						 50, 0, -1, 0);
			ql[q] = protect_copy(q & 1 ? tx2 : tx1, rtcp, plain[q], pl[q], prot[q]);
			REQUIRE(ql[q] != 0);
			CHECK_MEM(prot[q] + mki_at(s, 2, rtcp, ql[q]), q & 1 ? m2 : m1, 2);
			burst_add(&b, prot[q], ql[q], rtcp, rx, NULL);
		}
		CHECK_EQ(srtp_unprotect_burst(W, &b), 8);
		for (unsigned int q = 0; q < 8; q++) {
			CHECK_REASON(b.reason[q], DROP_NONE);
			CHECK_MEM(burst_msg(&b, q), plain[q], pl[q]);
		}
		/* a k1 packet naming k2's MKI (and the reverse) is not tried with
		 * the other key: the MKI decides */
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			for (int which = 0; which < 2; which++) {
				unsigned int n =
					rtcp ? build_rtcp(a, 0x3000 + (uint32_t)which, 32, 9)
					     : build_rtp(a, 0x3000 + (uint32_t)which,
							 (uint16_t)(200 + which), 0, 50, 0, -1, 0);
				unsigned int l =
					protect_copy(which ? tx2 : tx1, rtcp, a, n, prot[0]);

				REQUIRE(l != 0);
				memcpy(prot[0] + mki_at(s, 2, rtcp, l), which ? m1 : m2, 2);
				CHECK_REASON(unprotect_copy(rx, rtcp, prot[0], l, out, &ol),
					     DROP_SRTP_AUTH);
				memcpy(prot[0] + mki_at(s, 2, rtcp, l), which ? m2 : m1, 2);
				CHECK_REASON(unprotect_copy(rx, rtcp, prot[0], l, out, &ol),
					     DROP_NONE);
				CHECK_MEM(out, a, n);
			}
		}
		/* after the overlap, k1's MKI is unknown */
		CHECK(srtp_dir_end_overlap(rx) == k1);
		CHECK_REASON(send_one(tx1, rx, 0, 0x3000, 300, NULL, NULL), DROP_SRTP_MKI);
		CHECK_REASON(send_one(tx1, rx, 1, 0x3000, 0, NULL, NULL), DROP_SRTP_MKI);
		CHECK_REASON(send_one(tx2, rx, 0, 0x3001, 300, NULL, NULL), DROP_NONE);
		dir_free(tx1);
		dir_free(tx2);
		dir_free(rx);
		keys_destroy(k1);
		keys_destroy(k2);
	}
}

/* =================== lengths =================== */

/* Protect grows the message by exactly tag (+MKI, +4 for SRTCP) and the
 * mbuf with it; unprotect shrinks it back. With the message at offset 0 and
 * at 42 (behind Ethernet/IPv4/UDP headers, which stay untouched). */
TEST(lengths_grow_and_shrink)
{
	static uint8_t frame[2048];
	uint16_t seq = 0;

	for (int si = 0; si < SUITE_MAX; si++) {
		for (unsigned int mki_len = 0; mki_len <= 4; mki_len += 4) {
			enum suite s = (enum suite)si;
			struct srtp_keys *k = mkkeys(s, 28, mki4, mki_len);
			struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);

			for (int rtcp = 0; rtcp < 2; rtcp++) {
				for (unsigned int off = 0; off <= 42; off += 42) {
					for (unsigned int body = 0; body <= 1200; body += 400) {
						uint8_t plain[1400];
						unsigned int n, want;
						struct burst b;

						SET_CTX("%s mki %u rtcp %d off %u body %u",
							suites[s].name, mki_len, rtcp, off, body);
						n = rtcp ? build_rtcp(plain, 0x2020, body, body)
							 : build_rtp(plain, 0x2020, seq++, 0, body,
								     1, 0, 0);
						memset(frame, 0xee, off);
						memcpy(frame + off, plain, n);
						want = n + growth(s, mki_len, rtcp);
						burst_reset(&b);
						burst_add(&b, frame, off + n, rtcp, NULL, tx);
						b.msg_off[0] = (uint16_t)off;
						b.msg_len[0] = (uint16_t)n;
						REQUIRE(srtp_protect_burst(W, &b) == 1);
						CHECK_EQ(b.msg_len[0], want);
						CHECK_EQ(TM[0].m.data_len, off + want);
						CHECK_EQ(TM[0].m.pkt_len, off + want);
						CHECK_EQ(TM[0].m.data_off, TEST_HEADROOM);
						for (unsigned int x = 0; x < off; x++)
							REQUIRE(test_mbuf_data(&TM[0])[x] == 0xee);
						CHECK_MEM(burst_msg(&b, 0), plain, rtcp ? 8 : 12);
						if (!suites[s].encrypts && !rtcp)
							CHECK_MEM(burst_msg(&b, 0), plain, n);
						/* unprotect in place, same mbuf */
						b.protect[0] = NULL;
						b.unprotect[0] = rx;
						REQUIRE(srtp_unprotect_burst(W, &b) == 1);
						CHECK_EQ(b.msg_len[0], n);
						CHECK_EQ(TM[0].m.data_len, off + n);
						CHECK_EQ(TM[0].m.pkt_len, off + n);
						CHECK_MEM(burst_msg(&b, 0), plain, n);
						for (unsigned int x = 0; x < off; x++)
							REQUIRE(test_mbuf_data(&TM[0])[x] == 0xee);
					}
				}
			}
			dir_free(tx);
			dir_free(rx);
			keys_destroy(k);
		}
	}
}

/* Bytes after the message (Ethernet padding: msg_len < data_len) are cut
 * off by both stages and never taken for message, MKI or tag. */
TEST(ethernet_padding_cut_off)
{
	for (int si = 0; si < SUITE_MAX; si++) {
		enum suite s = (enum suite)si;
		struct srtp_keys *k = mkkeys(s, 29, mki4, 4);
		struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
		srtp_t ref;
		uint8_t key[32], salt[14];

		engine_fill_key(s, key, salt, 29);
		ref = ref_create(s, key, salt, 0, mki4, 4);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			uint8_t plain[256], padded[300], refout[400];
			unsigned int n = rtcp ? build_rtcp(plain, 0x4040, 4, 0)
					      : build_rtp(plain, 0x4040, 7, 0, 6, 0, -1, 0);
			int rl = (int)n;
			struct burst b;

			SET_CTX("%s rtcp %d", suites[s].name, rtcp);
			memcpy(padded, plain, n);
			memset(padded + n, 0xa5, 40); /* padding to a 60-byte frame and more */
			memcpy(refout, plain, n);
			REQUIRE(ref_protect(ref, 4, rtcp, refout, &rl) == srtp_err_status_ok);

			burst_reset(&b);
			burst_add(&b, padded, n + 40, rtcp, NULL, tx);
			b.msg_len[0] = (uint16_t)n;
			REQUIRE(srtp_protect_burst(W, &b) == 1);
			CHECK_EQ(b.msg_len[0], (unsigned int)rl);
			CHECK_EQ(TM[0].m.data_len, (unsigned int)rl);
			CHECK_EQ(TM[0].m.pkt_len, (unsigned int)rl);
			CHECK_MEM(burst_msg(&b, 0), refout, (unsigned int)rl);

			memcpy(padded, refout, (unsigned int)rl);
			memset(padded + rl, 0x5a, 40);
			burst_reset(&b);
			burst_add(&b, padded, (unsigned int)rl + 40, rtcp, rx, NULL);
			b.msg_len[0] = (uint16_t)rl;
			REQUIRE(srtp_unprotect_burst(W, &b) == 1);
			CHECK_EQ(b.msg_len[0], n);
			CHECK_EQ(TM[0].m.data_len, n);
			CHECK_EQ(TM[0].m.pkt_len, n);
			CHECK_MEM(burst_msg(&b, 0), plain, n);
		}
		srtp_dealloc(ref);
		dir_free(tx);
		dir_free(rx);
		keys_destroy(k);
	}
}

/* =================== SRTCP with E = 0 =================== */

/* libsrtp sender whose SRTCP is authenticated only (E = 0). */
static srtp_t
ref_create_rtcp_clear(enum suite s, const uint8_t *key, const uint8_t *salt)
{
	srtp_policy_t p;
	unsigned char keysalt[64];
	srtp_t ctx;

	srtp_dealloc(ref_create(s, key, salt, 0, NULL, 0)); /* srtp_init() once */
	memset(&p, 0, sizeof(p));
	ref_crypto_policy(s, &p.rtp, &p.rtcp);
	p.rtcp.sec_serv = sec_serv_auth;
	memcpy(keysalt, key, suites[s].key_len);
	memcpy(keysalt + suites[s].key_len, salt, suites[s].salt_len);
	p.ssrc.type = ssrc_any_outbound;
	p.key = keysalt;
	p.window_size = 128;
	if (srtp_create(&ctx, &p) != srtp_err_status_ok)
		return NULL;
	return ctx;
}

TEST(srtcp_e_bit_zero_accepted)
{
	static const enum suite ss[] = {SUITE_NULL_HMAC_SHA1_80, SUITE_AES_CM_128_HMAC_SHA1_80,
					SUITE_AES_256_CM_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM,
					SUITE_AEAD_AES_256_GCM};

	for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); si++) {
		enum suite s = ss[si];
		uint8_t key[32], salt[14], plain[256], prot[512], out[512];
		struct srtp_keys *k, *other;
		struct srtp_dir *tx, *rx, *rx2;
		const struct srtp_keys *retire[2];
		srtp_t ref = NULL;
		unsigned int n, l = 0, ol;

		SET_CTX("%s", suites[s].name);
		engine_fill_key(s, key, salt, 34);
		k = engine_keys(W, s, key, salt, NULL, 0);
		other = mkkeys(s, 35, NULL, 0);
		tx = engine_dir(k);
		rx = engine_dir(k);
		n = build_rtcp(plain, 0x5050, 44, 12);
		if (s == SUITE_NULL_HMAC_SHA1_80) {
			l = protect_copy(tx, 1, plain, n, prot); /* ours: E = 0 */
			REQUIRE(l != 0);
		} else {
			int rl = (int)n;

			ref = ref_create_rtcp_clear(s, key, salt);
			REQUIRE(ref != NULL);
			memcpy(prot, plain, n);
			REQUIRE(srtp_protect_rtcp(ref, prot, &rl) == srtp_err_status_ok);
			l = (unsigned int)rl;
		}
		CHECK_EQ(l, n + growth(s, 0, 1));
		CHECK_EQ(rd32(prot + eidx_at(s, 0, l)) & 0x80000000u, 0); /* E = 0 */
		CHECK_EQ(rd32(prot + eidx_at(s, 0, l)) & 0x7fffffffu, 1);
		CHECK_MEM(prot, plain, n); /* the payload is in clear */
		/* E = 0 is authenticated too: payload or E bit changed -> AUTH */
		prot[20] ^= 1;
		CHECK_REASON(unprotect_copy(rx, 1, prot, l, out, &ol), DROP_SRTP_AUTH);
		prot[20] ^= 1;
		prot[eidx_at(s, 0, l)] ^= 0x80;
		CHECK_REASON(unprotect_copy(rx, 1, prot, l, out, &ol), DROP_SRTP_AUTH);
		prot[eidx_at(s, 0, l)] ^= 0x80;
		/* the genuine one: accepted, payload untouched (not "decrypted") */
		CHECK_REASON(unprotect_copy(rx, 1, prot, l, out, &ol), DROP_NONE);
		CHECK_EQ(ol, n);
		CHECK_MEM(out, plain, n);
		CHECK_REASON(unprotect_copy(rx, 1, prot, l, out, &ol), DROP_SRTP_REPLAY);
		CHECK_EQ(rx->rtcp.cnt.auth_fail, 2);
		CHECK_EQ(rx->rtcp.cnt.packets, 1);
		/* through the re-key retry path: k is the previous key */
		rx2 = engine_dir(k);
		srtp_dir_set_keys(rx2, other, true, retire);
		CHECK(rx2->prev_keys == k);
		CHECK_REASON(unprotect_copy(rx2, 1, prot, l, out, &ol), DROP_NONE);
		CHECK_MEM(out, plain, n);
		if (ref != NULL)
			srtp_dealloc(ref);
		dir_free(tx);
		dir_free(rx);
		dir_free(rx2);
		keys_destroy(k);
		keys_destroy(other);
	}
}

/* =================== counters =================== */

TEST(counters_after_known_sequence)
{
	struct srtp_keys *k = mkkeys(SUITE_AES_CM_128_HMAC_SHA1_80, 36, NULL, 0);
	struct srtp_dir *tx = engine_dir(k), *rx = engine_dir(k);
	uint8_t plain[256], rtp[4][256], rtcp[3][256], out[512], a[512];
	unsigned int rl[4], cl[3], pn[4], cn[3], ol, n, al;
	static const uint16_t seqs[4] = {1, 2, 3, 200};
	uint64_t p0 = W->stats.srtp_protected, u0 = W->stats.srtp_unprotected;
	uint64_t rtp_bytes = 0, rtcp_bytes = 0, tx_rtp_bytes = 0, tx_rtcp_bytes = 0;

	SET_CTX("counters");
	for (unsigned int x = 0; x < 4; x++) {
		pn[x] = build_rtp(plain, 0x6060, seqs[x], 0, 40 + 10 * x, 0, -1, 0);
		rl[x] = protect_copy(tx, 0, plain, pn[x], rtp[x]);
		REQUIRE(rl[x] != 0);
		tx_rtp_bytes += pn[x];
	}
	for (unsigned int x = 0; x < 3; x++) {
		cn[x] = build_rtcp(plain, 0x6060, 8 + 4 * x, x);
		cl[x] = protect_copy(tx, 1, plain, cn[x], rtcp[x]);
		REQUIRE(cl[x] != 0);
		tx_rtcp_bytes += cn[x];
	}
	/* protect: one index reuse */
	n = build_rtp(a, 0x6060, 3, 0, 10, 0, -1, 0);
	al = n;
	CHECK_REASON(engine_one(W, tx, 1, 0, a, &al), DROP_SRTP_INDEX_REUSE);

	/* RTP: 3 accepted, 1 replay, 1 old, 2 auth, 1 too short, 1 version */
	CHECK_REASON(unprotect_copy(rx, 0, rtp[0], rl[0], out, &ol), DROP_NONE);
	CHECK_REASON(unprotect_copy(rx, 0, rtp[1], rl[1], out, &ol), DROP_NONE);
	CHECK_REASON(unprotect_copy(rx, 0, rtp[3], rl[3], out, &ol), DROP_NONE);
	rtp_bytes = pn[0] + pn[1] + pn[3];
	CHECK_REASON(unprotect_copy(rx, 0, rtp[0], rl[0], out, &ol), DROP_SRTP_REPLAY_OLD);
	CHECK_REASON(unprotect_copy(rx, 0, rtp[3], rl[3], out, &ol), DROP_SRTP_REPLAY);
	rtp[2][rl[2] - 1] ^= 1;
	CHECK_REASON(unprotect_copy(rx, 0, rtp[2], rl[2], out, &ol), DROP_SRTP_REPLAY_OLD);
	memcpy(a, rtp[1], rl[1]);
	wr32(a + 4, 12345); /* timestamp: covered by the tag */
	memcpy(a + 2, "\x00\xc9", 2); /* SEQ 201 */
	CHECK_REASON(unprotect_copy(rx, 0, a, rl[1], out, &ol), DROP_SRTP_AUTH);
	a[2] = 0x01; /* SEQ 457 */
	CHECK_REASON(unprotect_copy(rx, 0, a, rl[1], out, &ol), DROP_SRTP_AUTH);
	CHECK_REASON(unprotect_copy(rx, 0, rtp[1], 21, out, &ol), DROP_SRTP_TOO_SHORT);
	memcpy(a, rtp[1], rl[1]);
	a[0] = 0x40;
	CHECK_REASON(unprotect_copy(rx, 0, a, rl[1], out, &ol), DROP_RTP_VERSION);

	/* RTCP: 2 accepted, 1 replay, 1 auth, 1 too short */
	CHECK_REASON(unprotect_copy(rx, 1, rtcp[0], cl[0], out, &ol), DROP_NONE);
	CHECK_REASON(unprotect_copy(rx, 1, rtcp[2], cl[2], out, &ol), DROP_NONE);
	rtcp_bytes = cn[0] + cn[2];
	CHECK_REASON(unprotect_copy(rx, 1, rtcp[0], cl[0], out, &ol), DROP_SRTP_REPLAY);
	rtcp[1][9] ^= 4;
	CHECK_REASON(unprotect_copy(rx, 1, rtcp[1], cl[1], out, &ol), DROP_SRTP_AUTH);
	CHECK_REASON(unprotect_copy(rx, 1, rtcp[1], 21, out, &ol), DROP_SRTP_TOO_SHORT);

	CHECK_EQ(rx->rtp.cnt.packets, 3);
	CHECK_EQ(rx->rtp.cnt.bytes, rtp_bytes);
	CHECK_EQ(rx->rtp.cnt.auth_fail, 2);
	CHECK_EQ(rx->rtp.cnt.replay, 3);
	CHECK_EQ(rx->rtp.cnt.dropped, 2);
	CHECK_EQ(rx->rtp.cnt.evicted, 0);
	CHECK_EQ(rx->rtcp.cnt.packets, 2);
	CHECK_EQ(rx->rtcp.cnt.bytes, rtcp_bytes);
	CHECK_EQ(rx->rtcp.cnt.auth_fail, 1);
	CHECK_EQ(rx->rtcp.cnt.replay, 1);
	CHECK_EQ(rx->rtcp.cnt.dropped, 1);
	CHECK_EQ(rx->rtcp.cnt.evicted, 0);
	CHECK_EQ(tx->rtp.cnt.packets, 4);
	CHECK_EQ(tx->rtp.cnt.bytes, tx_rtp_bytes);
	CHECK_EQ(tx->rtp.cnt.dropped, 1);
	CHECK_EQ(tx->rtcp.cnt.packets, 3);
	CHECK_EQ(tx->rtcp.cnt.bytes, tx_rtcp_bytes);
	CHECK_EQ(tx->rtcp.cnt.dropped, 0);
	CHECK_EQ(tx->rtp.cnt.auth_fail + tx->rtp.cnt.replay + tx->rtcp.cnt.auth_fail +
			 tx->rtcp.cnt.replay,
		 0);
	CHECK_EQ(W->stats.srtp_protected - p0, 7);
	CHECK_EQ(W->stats.srtp_unprotected - u0, 5);
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

ENGINE_TEST_MAIN(W, ", libsrtp %s, BURST_MAX %d", srtp_get_version_string(), BURST_MAX)
