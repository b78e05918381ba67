/* test_libsrtp_xcheck.c: srtpfwd's SRTP engine against libsrtp2 2.5, packet
 * by packet, both ways, for every suite (ipsec-mb's xvalid-app applied to
 * SRTP). For each case: our protect output must equal libsrtp's byte for
 * byte, libsrtp must unprotect ours, we must unprotect libsrtp's, and on
 * hostile input both must refuse (we with the exact reason).
 */
#include "../engine.h"
#include "../ref.h"
#include "../test.h"

#include "dataplane/rtp.h"

static struct worker *W;

/* Both implementations for one direction of one suite. */
struct pair {
	enum suite s;
	struct srtp_keys *keys;
	struct srtp_dir *tx, *rx; /* ours: protect, unprotect */
	srtp_t ref_tx, ref_rx; /* libsrtp: protect, unprotect */
	unsigned int mki_len;
};

static void
pair_open(struct pair *p, enum suite s, uint8_t seed, const uint8_t *mki, unsigned int mki_len)
{
	uint8_t key[32], salt[14];

	engine_fill_key(s, key, salt, seed);
	p->s = s;
	p->mki_len = mki_len;
	p->keys = engine_keys(W, s, key, salt, mki, mki_len);
	p->tx = engine_dir(p->keys);
	p->rx = engine_dir(p->keys);
	p->ref_tx = ref_create(s, key, salt, 0, mki, mki_len);
	p->ref_rx = ref_create(s, key, salt, 1, mki, mki_len);
}

static void
pair_close(struct pair *p)
{
	srtp_dealloc(p->ref_tx);
	srtp_dealloc(p->ref_rx);
	free(p->tx);
	free(p->rx);
	keys_destroy(p->keys);
}

/* libsrtp 2.5 cannot unprotect SRTCP with an MKI under _32 suites (it finds
 * the MKI with the RTP tag length): that case is checked by comparing
 * protect output and by our own unprotect only. */
static int
ref_can_unprotect(const struct pair *p, int rtcp)
{
	return !(rtcp && p->mki_len && suites[p->s].rtp_tag_len != suites[p->s].rtcp_tag_len);
}

/* One plain packet through both senders and both receivers. */
static void
roundtrip(struct pair *p, int rtcp, const uint8_t *plain, unsigned int plain_len)
{
	uint8_t ours[2048], ref[2048], back[2048];
	unsigned int ours_len = plain_len, back_len;
	int ref_len = (int)plain_len, r;

	memcpy(ours, plain, plain_len);
	memcpy(ref, plain, plain_len);
	r = engine_one(W, p->tx, 1, rtcp, ours, &ours_len);
	REQUIRE(r == 0);
	REQUIRE(ref_protect(p->ref_tx, p->mki_len, rtcp, ref, &ref_len) == srtp_err_status_ok);
	CHECK_EQ(ours_len, ref_len);
	if ((int)ours_len != ref_len || memcmp(ours, ref, ours_len) != 0) {
		CHECK(!"protect output differs from libsrtp");
		fprintf(stderr, "  suite %s rtcp %d len %u mki %u\n", suites[p->s].name, rtcp,
			plain_len, p->mki_len);
		for (int k = 0; k < ref_len; k++)
			fprintf(stderr, "%02x", ref[k]);
		fprintf(stderr, "\n");
		for (unsigned k = 0; k < ours_len; k++)
			fprintf(stderr, "%02x", ours[k]);
		fprintf(stderr, "\n");
		return;
	}
	/* Ours → libsrtp. */
	if (ref_can_unprotect(p, rtcp)) {
		int l = (int)ours_len;

		memcpy(back, ours, ours_len);
		CHECK_EQ(ref_unprotect(p->ref_rx, p->mki_len, rtcp, back, &l), srtp_err_status_ok);
		CHECK_EQ(l, plain_len);
		CHECK_MEM(back, plain, plain_len);
	}
	/* libsrtp → ours (the same bytes, so our receiver sees each index once). */
	back_len = (unsigned int)ref_len;
	memcpy(back, ref, back_len);
	r = engine_one(W, p->rx, 0, rtcp, back, &back_len);
	CHECK_EQ(r, 0);
	CHECK_EQ(back_len, plain_len);
	CHECK_MEM(back, plain, plain_len);
}

static const uint8_t mki4[4] = {0xde, 0xad, 0xbe, 0xef};

/* Every suite, RTP: payload lengths 0..1400, CSRC 0..15, header extensions
 * and padding; with and without MKI. */
TEST(rtp_shapes_every_suite)
{
	for (int s = 0; s < SUITE_MAX; s++) {
		for (int with_mki = 0; with_mki < 2; with_mki++) {
			struct pair p;
			uint8_t pkt[2048];
			uint16_t seq = 1000;

			pair_open(&p, (enum suite)s, (uint8_t)(s + 1), with_mki ? mki4 : NULL,
				  with_mki ? 4 : 0);
			for (unsigned int len = 0; len <= 1400; len += (len < 64 ? 1 : 37)) {
				unsigned int n =
					build_rtp(pkt, 0x11223344, seq++, len * 160, len, 0, -1, 0);
				roundtrip(&p, 0, pkt, n);
			}
			for (unsigned int cc = 0; cc <= 15; cc++) {
				unsigned int n =
					build_rtp(pkt, 0x11223344, seq++, 1, 160, cc, -1, 0);
				roundtrip(&p, 0, pkt, n);
			}
			for (int ext = 0; ext <= 8; ext++) {
				unsigned int n =
					build_rtp(pkt, 0x11223344, seq++, 2, 100, 2, ext, 0);
				roundtrip(&p, 0, pkt, n);
			}
			for (unsigned int pad = 1; pad <= 16; pad += 5) {
				unsigned int n =
					build_rtp(pkt, 0x11223344, seq++, 3, 97, 0, 1, pad);
				roundtrip(&p, 0, pkt, n);
			}
			pair_close(&p);
		}
	}
}

/* Every suite, RTCP: sizes up to 1400, E bit and index (libsrtp starts at 1,
 * so do we: byte-identical output), with and without MKI. */
TEST(rtcp_every_suite)
{
	for (int s = 0; s < SUITE_MAX; s++) {
		for (int with_mki = 0; with_mki < 2; with_mki++) {
			struct pair p;
			uint8_t pkt[2048];

			pair_open(&p, (enum suite)s, (uint8_t)(s + 40), with_mki ? mki4 : NULL,
				  with_mki ? 4 : 0);
			for (unsigned int body = 0; body <= 1400; body += 4 + (body > 64) * 60) {
				unsigned int n = build_rtcp(pkt, 0x55667788, body, body);
				roundtrip(&p, 1, pkt, n);
			}
			pair_close(&p);
		}
	}
}

/* A long stream that crosses the ROC wrap (65535 → 0) twice, with loss,
 * reordering inside the window, late packets outside it and replays. Both
 * receivers see the same arrival order and must agree on every verdict. */
TEST(stream_roc_wrap_loss_reorder_replay)
{
	enum { N = 2 * 65536 + 3000 };
	static uint8_t wire[N][64];
	static uint16_t wire_len[N];

	test_seed(0x9e3779b97f4a7c15ull);
	for (int s = 0; s < SUITE_MAX; s++) {
		struct pair p;
		uint8_t pkt[128];
		unsigned long agree = 0, ok = 0, replay = 0, old = 0;

		pair_open(&p, (enum suite)s, (uint8_t)(s + 77), NULL, 0);
		/* Sender: both implementations, in order; outputs must match. */
		for (unsigned int k = 0; k < N; k++) {
			unsigned int n =
				build_rtp(pkt, 0xcafebabe, (uint16_t)(64000 + k), k, 20, 0, -1, 0);
			unsigned int ol = n;
			int rl = (int)n;
			uint8_t ref[128];

			memcpy(ref, pkt, n);
			REQUIRE(engine_one(W, p.tx, 1, 0, pkt, &ol) == 0);
			REQUIRE(ref_protect(p.ref_tx, p.mki_len, 0, ref, &rl) ==
				srtp_err_status_ok);
			REQUIRE((int)ol == rl && memcmp(pkt, ref, ol) == 0);
			memcpy(wire[k], pkt, ol);
			wire_len[k] = (uint16_t)ol;
		}
		/* Receiver: an arrival order with loss, swaps, replays, late. */
		for (unsigned int k = 0; k < N; k++) {
			unsigned int idx = k, r = test_rand() % 1000;
			uint8_t a[128], b2[128];
			unsigned int al;
			int bl, ours_r, ref_r;

			if (r < 10)
				continue; /* lost */
			if (r < 40 && k + 3 < N) {
				idx = k + 1 + test_rand() % 2; /* early: k is delivered later */
			} else if (r < 50 && k > 10) {
				idx = k - 1 - test_rand() % 10; /* replay or late within window */
			} else if (r < 55 && k > 300) {
				idx = k - 200 - test_rand() % 50; /* outside the window */
			}
			al = wire_len[idx];
			bl = (int)al;
			memcpy(a, wire[idx], al);
			memcpy(b2, wire[idx], al);
			ours_r = engine_one(W, p.rx, 0, 0, a, &al);
			ref_r = ref_unprotect(p.ref_rx, 0, 0, b2, &bl);
			if ((ours_r == 0) == (ref_r == srtp_err_status_ok))
				agree++;
			else
				fprintf(stderr, "  %s k=%u idx=%u ours=%s ref=%d\n", suites[s].name,
					k, idx, drop_reason_name((enum drop_reason)ours_r), ref_r);
			if (ours_r == 0) {
				ok++;
				CHECK_MEM(a, b2, al);
			} else if (ours_r == DROP_SRTP_REPLAY) {
				replay++;
				CHECK_EQ(ref_r, srtp_err_status_replay_fail);
			} else if (ours_r == DROP_SRTP_REPLAY_OLD) {
				old++;
				CHECK_EQ(ref_r, srtp_err_status_replay_old);
			} else {
				CHECK(!"unexpected drop reason");
			}
			if (idx > k) { /* the packet overtaken arrives now too */
				al = wire_len[k];
				bl = (int)al;
				memcpy(a, wire[k], al);
				memcpy(b2, wire[k], al);
				ours_r = engine_one(W, p.rx, 0, 0, a, &al);
				ref_r = ref_unprotect(p.ref_rx, 0, 0, b2, &bl);
				CHECK_EQ(ours_r == 0, ref_r == srtp_err_status_ok);
				agree += (ours_r == 0) == (ref_r == srtp_err_status_ok);
			}
		}
		/* The scenario must actually exercise each outcome. */
		CHECK(ok > N * 9 / 10);
		CHECK(replay > 100);
		CHECK(old > 100);
		CHECK(agree > N * 9 / 10);
		/* SEQ 64000 + N crosses 65535 -> 0 three times: ROC 3. */
		CHECK_EQ(p.rx->rtp.streams[0].top >> 16, (64000 + N - 1) >> 16);
		CHECK_EQ((64000 + N - 1) >> 16, 3);
		pair_close(&p);
	}
}

/* Every single-bit flip of a sample SRTP and SRTCP packet is refused by
 * both, and refusing it changes no state: the intact packet still passes. */
/* The same for SRTCP: a sender's index sequence (identical to libsrtp's),
 * then an arrival order with loss, reordering, replays and late packets;
 * both receivers agree on every verdict and every output byte. */
TEST(srtcp_stream_loss_reorder_replay)
{
	enum { N = 6000 };
	static uint8_t wire[N][128];
	static uint16_t wire_len[N];

	test_seed(0x5eed5eed5eedull);
	for (int s = 0; s < SUITE_MAX; s++) {
		struct pair p;
		uint8_t pkt[128];
		unsigned long ok = 0, replay = 0, old = 0;

		pair_open(&p, (enum suite)s, (uint8_t)(s + 90), NULL, 0);
		for (unsigned int k = 0; k < N; k++) {
			unsigned int n = build_rtcp(pkt, 0xc0ffee, 4 * (k % 12), k), ol = n;
			int rl = (int)n;
			uint8_t ref[128];

			memcpy(ref, pkt, n);
			REQUIRE(engine_one(W, p.tx, 1, 1, pkt, &ol) == 0);
			REQUIRE(ref_protect(p.ref_tx, 0, 1, ref, &rl) == srtp_err_status_ok);
			REQUIRE((int)ol == rl && memcmp(pkt, ref, ol) == 0);
			memcpy(wire[k], pkt, ol);
			wire_len[k] = (uint16_t)ol;
		}
		for (unsigned int k = 0; k < N; k++) {
			unsigned int idx = k, r = test_rand() % 1000;
			uint8_t a[128], b2[128];
			unsigned int al;
			int bl, ours_r, ref_r;

			if (r < 20)
				continue; /* lost */
			if (r < 60 && k > 10)
				idx = k - 1 - test_rand() % 10; /* replay or late, in window */
			else if (r < 80 && k > 300)
				idx = k - 200 - test_rand() % 50; /* outside the window */
			al = wire_len[idx];
			bl = (int)al;
			memcpy(a, wire[idx], al);
			memcpy(b2, wire[idx], al);
			ours_r = engine_one(W, p.rx, 0, 1, a, &al);
			ref_r = ref_unprotect(p.ref_rx, 0, 1, b2, &bl);
			if (ours_r == 0) {
				ok++;
				CHECK_EQ(ref_r, srtp_err_status_ok);
				CHECK_EQ(al, bl);
				CHECK_MEM(a, b2, al);
			} else if (ours_r == DROP_SRTP_REPLAY) {
				replay++;
				CHECK_EQ(ref_r, srtp_err_status_replay_fail);
			} else if (ours_r == DROP_SRTP_REPLAY_OLD) {
				old++;
				CHECK_EQ(ref_r, srtp_err_status_replay_old);
			} else {
				CHECK(!"unexpected drop reason");
			}
		}
		CHECK(ok > N * 9 / 10);
		CHECK(replay > 50);
		CHECK(old > 50);
		pair_close(&p);
	}
}

TEST(every_bit_flip_refused)
{
	for (int s = 0; s < SUITE_MAX; s++) {
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			struct pair p;
			uint8_t plain[256], prot[256], a[256];
			unsigned int n, pl, al;
			int rl;

			pair_open(&p, (enum suite)s, (uint8_t)(s + 9), NULL, 0);
			n = rtcp ? build_rtcp(plain, 0x01020304, 40, 7)
				 : build_rtp(plain, 0x01020304, 4242, 99, 60, 1, 1, 0);
			memcpy(prot, plain, n);
			pl = n;
			REQUIRE(engine_one(W, p.tx, 1, rtcp, prot, &pl) == 0);
			for (unsigned int bit = 0; bit < pl * 8; bit++) {
				memcpy(a, prot, pl);
				a[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				al = pl;
				int ours = engine_one(W, p.rx, 0, rtcp, a, &al);
				CHECK(ours != 0);
				if (ours != DROP_SRTP_AUTH && ours != DROP_RTP_VERSION &&
				    ours != DROP_RTP_HEADER_LEN && ours != DROP_SRTP_TOO_SHORT)
					CHECK(!"bit flip dropped for an unexpected reason");
				memcpy(a, prot, pl);
				a[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				rl = (int)pl;
				CHECK(ref_unprotect(p.ref_rx, 0, rtcp, a, &rl) !=
				      srtp_err_status_ok);
			}
			memcpy(a, prot, pl);
			al = pl;
			CHECK_EQ(engine_one(W, p.rx, 0, rtcp, a, &al), 0);
			CHECK_MEM(a, plain, n);
			CHECK_EQ(p.rx->rtp.cnt.packets + p.rx->rtcp.cnt.packets, 1);
			pair_close(&p);
		}
	}
}

/* Every truncation of a protected packet is refused (too short, or the tag
 * no longer verifies), and so does libsrtp. */
TEST(every_truncation_refused)
{
	for (int s = 0; s < SUITE_MAX; s++) {
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			struct pair p;
			uint8_t plain[256], prot[256], a[256];
			unsigned int n, pl;

			pair_open(&p, (enum suite)s, (uint8_t)(s + 19), NULL, 0);
			n = rtcp ? build_rtcp(plain, 0x0a0b0c0d, 28, 3)
				 : build_rtp(plain, 0x0a0b0c0d, 7, 99, 50, 0, -1, 0);
			memcpy(prot, plain, n);
			pl = n;
			REQUIRE(engine_one(W, p.tx, 1, rtcp, prot, &pl) == 0);
			for (unsigned int cut = 0; cut < pl; cut++) {
				unsigned int al = cut;
				int rl = (int)cut, ours;

				memcpy(a, prot, cut);
				ours = engine_one(W, p.rx, 0, rtcp, a, &al);
				CHECK(ours == DROP_SRTP_TOO_SHORT || ours == DROP_SRTP_AUTH ||
				      ours == DROP_RTP_HEADER_LEN);
				memcpy(a, prot, cut);
				CHECK(ref_unprotect(p.ref_rx, 0, rtcp, a, &rl) !=
				      srtp_err_status_ok);
			}
			pair_close(&p);
		}
	}
}

/* A packet protected with another key fails authentication, both ways. */
TEST(wrong_key_refused)
{
	for (int s = 0; s < SUITE_MAX; s++) {
		struct pair good, other;
		uint8_t pkt[256];
		unsigned int n, l;
		int rl;

		pair_open(&good, (enum suite)s, 1, NULL, 0);
		pair_open(&other, (enum suite)s, 2, NULL, 0);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			n = rtcp ? build_rtcp(pkt, 9, 24, 1)
				 : build_rtp(pkt, 9, 1, 1, 80, 0, -1, 0);
			rl = (int)n;
			REQUIRE(ref_protect(other.ref_tx, other.mki_len, rtcp, pkt, &rl) ==
				srtp_err_status_ok);
			l = (unsigned int)rl;
			CHECK_EQ(engine_one(W, good.rx, 0, rtcp, pkt, &l), DROP_SRTP_AUTH);
		}
		CHECK_EQ(good.rx->rtp.cnt.auth_fail, 1);
		CHECK_EQ(good.rx->rtcp.cnt.auth_fail, 1);
		/* An unauthenticated SSRC never takes a slot. */
		CHECK_EQ(good.rx->rtp.streams[0].last_used, 0);
		pair_close(&good);
		pair_close(&other);
	}
}

/* A packet naming an MKI we do not hold is refused with DROP_SRTP_MKI. */
TEST(unknown_mki_refused)
{
	static const uint8_t other_mki[4] = {1, 2, 3, 4};

	for (int s = 0; s < SUITE_MAX; s++) {
		struct pair ours, theirs;
		uint8_t pkt[256];
		unsigned int l;
		int rl;

		pair_open(&ours, (enum suite)s, 5, mki4, 4);
		pair_open(&theirs, (enum suite)s, 5, other_mki, 4);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			unsigned int n = rtcp ? build_rtcp(pkt, 3, 16, 1)
					      : build_rtp(pkt, 3, 5, 1, 40, 0, -1, 0);
			rl = (int)n;
			REQUIRE(ref_protect(theirs.ref_tx, theirs.mki_len, rtcp, pkt, &rl) ==
				srtp_err_status_ok);
			l = (unsigned int)rl;
			CHECK_EQ(engine_one(W, ours.rx, 0, rtcp, pkt, &l), DROP_SRTP_MKI);
		}
		pair_close(&ours);
		pair_close(&theirs);
	}
}

/* A re-key keeps the ROC: past a wrap, the sender switches keys; libsrtp's
 * new sender context is told the ROC (srtp_set_stream_roc) and our receiver,
 * re-keyed in place, must follow without losing a packet. */
TEST(rekey_keeps_roc)
{
	for (int s = 0; s < SUITE_MAX; s++) {
		struct pair a, b;
		uint8_t pkt[256];
		const struct srtp_keys *retire[2];
		unsigned int n, l;
		int rl;
		uint16_t seq = 65500;

		pair_open(&a, (enum suite)s, 31, NULL, 0);
		pair_open(&b, (enum suite)s, 32, NULL, 0);
		for (int k = 0; k < 100; k++, seq++) { /* crosses the wrap: ROC 1 */
			n = build_rtp(pkt, 0x77, seq, 0, 30, 0, -1, 0);
			rl = (int)n;
			REQUIRE(ref_protect(a.ref_tx, a.mki_len, 0, pkt, &rl) ==
				srtp_err_status_ok);
			l = (unsigned int)rl;
			REQUIRE(engine_one(W, a.rx, 0, 0, pkt, &l) == 0);
		}
		/* New key, same SSRC, ROC 1 continues. */
		uint8_t bkey[32], bsalt[14];

		engine_fill_key((enum suite)s, bkey, bsalt, 32);
		srtp_dealloc(b.ref_tx);
		b.ref_tx = ref_create_ssrc((enum suite)s, bkey, bsalt, 0, NULL, 0, 0x77);
		CHECK_EQ(srtp_set_stream_roc(b.ref_tx, 0x77, 1), srtp_err_status_ok);
		CHECK_EQ(srtp_dir_set_keys(a.rx, b.keys, false, retire), 1);
		CHECK(retire[0] == a.keys);
		for (int k = 0; k < 50; k++, seq++) {
			n = build_rtp(pkt, 0x77, seq, 0, 30, 0, -1, 0);
			rl = (int)n;
			REQUIRE(ref_protect(b.ref_tx, b.mki_len, 0, pkt, &rl) ==
				srtp_err_status_ok);
			l = (unsigned int)rl;
			CHECK_EQ(engine_one(W, a.rx, 0, 0, pkt, &l), 0);
		}
		CHECK_EQ(a.rx->rtp.cnt.packets, 150);
		CHECK_EQ(a.rx->rtp.cnt.auth_fail, 0);
		a.rx->keys = a.keys; /* so pair_close frees each key once */
		pair_close(&a);
		pair_close(&b);
	}
}

ENGINE_TEST_MAIN(W, ", libsrtp %s", srtp_get_version_string())
