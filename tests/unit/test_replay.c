/* test_replay.c: RFC 3711 index estimation (Appendix A) and the 128-entry
 * replay window of dataplane/replay.h, as pure functions: no EAL, no crypto.
 *
 * Worked cases for srtp_index_estimate() on both halves of the sequence
 * space (s_l < 2^15 and s_l >= 2^15), each of the ROC-1 / ROC / ROC+1
 * guesses, the 65535 -> 0 wrap and libsrtp's start-up rule; the window's
 * accept / SEEN / OLD rules, its shifts bit by bit, and a randomized check
 * against a plain model (sorted array of received indices + top).
 */
#include "../test.h"

#include "dataplane/replay.h"

/* ---- index estimation ---- */

struct est_case {
	uint64_t top;
	uint16_t seq;
	uint64_t guess;
	int64_t delta;
	const char *why;
};

static const struct est_case est_cases[] = {
	/* Start-up rule: while top <= 0x8000 the ROC is 0, whatever the SEQ. */
	{0, 0, 0, 0, "new stream, SEQ 0"},
	{0, 1, 1, 1, "new stream, SEQ 1"},
	{0, 0xffff, 0xffff, 0xffff, "new stream, SEQ 65535: ROC 0, not ROC-1 = 2^32-1"},
	{100, 40000, 40000, 39900, "top 100, SEQ 40000: RFC would say ROC-1; start-up says 0"},
	{100, 50, 50, -50, "top 100, SEQ 50: late packet"},
	{0x7fff, 0xffff, 0xffff, 0x8000, "top 0x7fff: still start-up"},
	{0x8000, 0xffff, 0xffff, 0x7fff, "top 0x8000 (the limit): ROC 0"},
	{0x8000, 0, 0, -0x8000, "top 0x8000, SEQ 0: ROC 0"},
	/* s_l >= 2^15 (ROC 0, past start-up): ROC or ROC+1. */
	{0x8001, 0, 0x10000, 0x7fff, "s_l 0x8001, SEQ 0: s_l-2^15 = 1 > 0 -> ROC+1"},
	{0x8001, 1, 1, -0x8000, "s_l 0x8001, SEQ 1: s_l-2^15 = 1 > 1 false -> ROC"},
	{0xffff, 0, 0x10000, 1, "the wrap 65535 -> 0: ROC+1"},
	{0xffff, 0xfffe, 0xfffe, -1, "s_l 65535, SEQ 65534: ROC"},
	{0xfff0, 0x0005, 0x10005, 0x15, "just past the wrap"},
	{0x1ffff, 0, 0x20000, 1, "second wrap, ROC 1 -> 2"},
	{0x18000, 0, 0x10000, -0x8000, "ROC 1, s_l 0x8000, SEQ 0: tie, ROC"},
	{0x18001, 0, 0x20000, 0x7fff, "ROC 1, s_l 0x8001, SEQ 0: ROC+1"},
	{0x1c000, 0x3fff, 0x23fff, 0x7fff, "ROC 1, s_l 0xc000, SEQ 0x3fff: ROC+1"},
	{0x1c000, 0x4000, 0x14000, -0x8000, "ROC 1, s_l 0xc000, SEQ 0x4000: ROC"},
	/* s_l < 2^15 with ROC > 0: ROC or ROC-1. */
	{0x10000, 0xffff, 0xffff, -1, "ROC 1, s_l 0, SEQ 65535: a late packet from ROC 0"},
	{0x10000, 0x8000, 0x18000, 0x8000, "ROC 1, s_l 0, SEQ 0x8000: diff = 2^15, ROC"},
	{0x10000, 0x8001, 0x8001, -0x7fff, "ROC 1, s_l 0, SEQ 0x8001: ROC-1"},
	{0x10005, 0xfff0, 0xfff0, -0x15, "reordered across the wrap"},
	{0x14000, 0xc000, 0x1c000, 0x8000, "ROC 1, s_l 0x4000, SEQ 0xc000: ROC"},
	{0x14000, 0xc001, 0xc001, -0x7fff, "ROC 1, s_l 0x4000, SEQ 0xc001: ROC-1"},
	{0x51234, 0x1230, 0x51230, -4, "ROC 5, near"},
	{0x51234, 0x1234, 0x51234, 0, "ROC 5, the top itself"},
	{0x57fff, 0x7fff, 0x57fff, 0, "ROC 5, s_l 0x7fff"},
	/* Large ROCs. */
	{0xfffffffe9000ull, 0x0100, 0xffffffff0100ull, 0x7100, "ROC 2^32-2 -> 2^32-1"},
	{0xffffffff0100ull, 0x9000, 0xfffffffe9000ull, -0x7100, "ROC 2^32-1, ROC-1"},
	{0x123456780010ull, 0x0020, 0x123456780020ull, 0x10, "ROC 0x12345678"},
};

TEST(index_estimate_rfc3711_appendix_a)
{
	for (size_t c = 0; c < sizeof(est_cases) / sizeof(est_cases[0]); c++) {
		const struct est_case *e = &est_cases[c];
		uint64_t guess = 0xdeadbeef;
		int64_t d = srtp_index_estimate(e->top, e->seq, &guess);

		if (guess != e->guess || d != e->delta)
			fprintf(stderr,
				"  case %zu (%s): top %#" PRIx64 " seq %#x: guess %#" PRIx64
				" delta %" PRId64 ", want %#" PRIx64 " %" PRId64 "\n",
				c, e->why, e->top, e->seq, guess, d, e->guess, e->delta);
		CHECK_EQ(guess, e->guess);
		CHECK_EQ(d, e->delta);
		CHECK_EQ((int64_t)guess - (int64_t)e->top, d);
		CHECK_EQ(guess & 0xffff, e->seq);
	}
}

/* RFC 3711 Appendix A written out literally (signed arithmetic), plus the
 * start-up rule, for the exhaustive comparison below. */
static uint64_t
rfc_estimate(uint64_t top, uint16_t seq)
{
	int64_t roc = (int64_t)(top >> 16), s_l = (int64_t)(top & 0xffff), v;

	if (top <= 0x8000)
		return seq;
	if (s_l < 32768)
		v = ((int64_t)seq - s_l > 32768) ? roc - 1 : roc;
	else
		v = (s_l - 32768 > (int64_t)seq) ? roc + 1 : roc;
	return (uint64_t)v << 16 | seq;
}

/* For every s_l and many SEQs at several ROCs: the guess is the literal
 * RFC's, its low 16 bits are SEQ, it is the candidate (ROC-1, ROC, ROC+1)
 * nearest to top, and |delta| <= 2^15 (ties broken as the RFC does). */
TEST(index_estimate_matches_rfc_everywhere)
{
	static const uint64_t rocs[] = {1, 2, 7, 0x10000, 0xfffffffeull};
	unsigned long n = 0;

	for (size_t r = 0; r < sizeof(rocs) / sizeof(rocs[0]); r++) {
		for (uint32_t s_l = 0; s_l < 0x10000; s_l += 7) {
			uint64_t top = rocs[r] << 16 | s_l;

			for (uint32_t seq = 0; seq < 0x10000; seq += 251) {
				uint64_t g;
				int64_t d = srtp_index_estimate(top, (uint16_t)seq, &g);
				int64_t best = INT64_MAX;

				REQUIRE(g == rfc_estimate(top, (uint16_t)seq));
				REQUIRE(d == (int64_t)g - (int64_t)top);
				REQUIRE((g & 0xffff) == seq);
				REQUIRE(d >= -0x8000 && d <= 0x8000);
				for (int k = -1; k <= 1; k++) {
					int64_t cand =
						(int64_t)((rocs[r] + (uint64_t)(int64_t)k) << 16 |
							  seq);
					int64_t dist = cand - (int64_t)top;

					if (dist < 0)
						dist = -dist;
					if (dist < best)
						best = dist;
				}
				REQUIRE((d < 0 ? -d : d) == best);
				n++;
			}
		}
	}
	/* Every start-up top against every SEQ. */
	for (uint32_t top = 0; top <= 0x8000; top += 3) {
		for (uint32_t seq = 0; seq < 0x10000; seq += 509) {
			uint64_t g;
			int64_t d = srtp_index_estimate(top, (uint16_t)seq, &g);

			REQUIRE(g == seq);
			REQUIRE(d == (int64_t)seq - (int64_t)top);
			n++;
		}
	}
	CHECK(n > 1000000);
}

/* A stream that counts up through three wraps, estimating each SEQ from the
 * previous top: the index grows by exactly one each time. Starting high
 * (SEQ 65000) exercises the start-up rule and then ROC+1 at the wrap. */
TEST(index_estimate_follows_wraps)
{
	uint64_t top = 0, g;
	int64_t d;

	d = srtp_index_estimate(top, 65000, &g);
	CHECK_EQ(g, 65000);
	CHECK_EQ(d, 65000);
	top = g;
	for (uint32_t k = 1; k < 3 * 65536 + 100; k++) {
		uint16_t seq = (uint16_t)(65000 + k);

		d = srtp_index_estimate(top, seq, &g);
		REQUIRE(d == 1);
		REQUIRE(g == 65000 + (uint64_t)k);
		top = g;
	}
	CHECK_EQ(top >> 16, 3);
	/* After the wrap, a late packet from before it gets ROC-1. */
	d = srtp_index_estimate(0x30005, 0xfffa, &g);
	CHECK_EQ(g, 0x2fffa);
	CHECK_EQ(d, -11);
}

/* ---- replay window ---- */

TEST(replay_positive_delta_accepted)
{
	uint64_t bits[2] = {~0ull, ~0ull};

	CHECK_EQ(replay_check(bits, 1), REPLAY_OK);
	CHECK_EQ(replay_check(bits, 127), REPLAY_OK);
	CHECK_EQ(replay_check(bits, 128), REPLAY_OK);
	CHECK_EQ(replay_check(bits, 1000000), REPLAY_OK);
	CHECK_EQ(replay_check(bits, INT64_MAX), REPLAY_OK);
}

TEST(replay_old_delta_refused)
{
	uint64_t bits[2] = {0, 0}; /* nothing received: OLD still wins */

	CHECK_EQ(replay_check(bits, -128), REPLAY_OLD);
	CHECK_EQ(replay_check(bits, -129), REPLAY_OLD);
	CHECK_EQ(replay_check(bits, -1000), REPLAY_OLD);
	CHECK_EQ(replay_check(bits, -0x8000), REPLAY_OLD);
	CHECK_EQ(replay_check(bits, INT64_MIN + 1), REPLAY_OLD);
	CHECK_EQ(replay_check(bits, -127), REPLAY_OK);
}

/* Delta 0 and -1..-127: accepted once, then REPLAY_SEEN; each commit sets
 * exactly its own bit and leaves top alone. */
TEST(replay_inside_window_once)
{
	for (int64_t d = 0; d >= -127; d--) {
		uint64_t top = 5000, bits[2] = {0, 0};

		CHECK_EQ(replay_check(bits, d), REPLAY_OK);
		replay_commit(&top, bits, d);
		CHECK_EQ(top, 5000);
		CHECK_EQ(replay_check(bits, d), REPLAY_SEEN);
		for (int64_t o = 0; o >= -127; o--)
			if (o != d)
				REQUIRE(replay_check(bits, o) == REPLAY_OK);
		CHECK_EQ(replay_check(bits, -128), REPLAY_OLD);
	}
	/* All of them, one after another. */
	uint64_t top = 5000, bits[2] = {0, 0};

	for (int64_t d = 0; d >= -127; d--) {
		REQUIRE(replay_check(bits, d) == REPLAY_OK);
		replay_commit(&top, bits, d);
	}
	CHECK_EQ(bits[0], ~0ull);
	CHECK_EQ(bits[1], ~0ull);
	for (int64_t d = 0; d >= -127; d--)
		REQUIRE(replay_check(bits, d) == REPLAY_SEEN);
	CHECK_EQ(top, 5000);
}

/* A positive commit records the new top (bit 0). */
TEST(replay_positive_commit_sets_top)
{
	uint64_t top = 10, bits[2] = {0, 0};

	replay_commit(&top, bits, 3);
	CHECK_EQ(top, 13);
	CHECK_EQ(replay_check(bits, 0), REPLAY_SEEN);
	CHECK_EQ(replay_check(bits, -3), REPLAY_OK); /* 10 was never received */
	CHECK_EQ(replay_check(bits, 1), REPLAY_OK);
}

/* Set up a window holding exactly the offsets in @p have (have[k]: top-k
 * received), through commits only. */
static void
window_from(uint64_t *top, uint64_t bits[2], const unsigned char have[REPLAY_WINDOW])
{
	bits[0] = bits[1] = 0;
	*top = 1000000;
	for (int k = 0; k < REPLAY_WINDOW; k++)
		if (have[k])
			replay_commit(top, bits, -(int64_t)k);
}

/* Shift by s and check every offset 0..127 (and beyond) afterwards: bit k
 * is set iff k == 0 (the new top) or offset k-s was set before. */
TEST(replay_shift_keeps_exact_bits)
{
	static const int64_t shifts[] = {1, 2, 31, 63, 64, 65, 100, 127, 128, 129, 1000};
	unsigned char have[REPLAY_WINDOW];

	for (int pattern = 0; pattern < 6; pattern++) {
		for (size_t si = 0; si < sizeof(shifts) / sizeof(shifts[0]); si++) {
			int64_t s = shifts[si];
			uint64_t top, bits[2];

			for (int k = 0; k < REPLAY_WINDOW; k++) {
				switch (pattern) {
				case 0: have[k] = 1; break; /* all */
				case 1: have[k] = (unsigned char)(k & 1); break; /* odd */
				case 2: have[k] = k == 0 || k == 63 || k == 64 || k == 127; break;
				case 3: have[k] = k >= 60 && k <= 68; break; /* across the word */
				case 4: have[k] = 0; break; /* nothing (new stream) */
				default: have[k] = (unsigned char)(test_rand64() & 1); break;
				}
			}
			window_from(&top, bits, have);
			for (int k = 0; k < REPLAY_WINDOW; k++)
				REQUIRE(replay_check(bits, -(int64_t)k) ==
					(have[k] ? REPLAY_SEEN : REPLAY_OK));

			replay_commit(&top, bits, s);
			CHECK_EQ(top, 1000000 + s);
			for (int64_t k = 0; k < REPLAY_WINDOW; k++) {
				int want_seen = k == 0 || (k - s >= 0 && have[k - s]);
				enum replay_result got = replay_check(bits, -k);

				if (got != (want_seen ? REPLAY_SEEN : REPLAY_OK)) {
					fprintf(stderr,
						"  pattern %d shift %" PRId64 " offset %" PRId64
						": got %d\n",
						pattern, s, k, (int)got);
					CHECK(!"window bit wrong after shift");
					break;
				}
			}
			CHECK_EQ(replay_check(bits, -128), REPLAY_OLD);
			CHECK_EQ(replay_check(bits, 1), REPLAY_OK);
		}
	}
}

/* replay_check takes const bits; make sure nothing is written either way. */
TEST(replay_check_has_no_side_effects)
{
	for (int round = 0; round < 1000; round++) {
		uint64_t bits[2] = {test_rand64(), test_rand64()}, copy[2];

		memcpy(copy, bits, sizeof(bits));
		for (int64_t d = -300; d <= 300; d++)
			(void)replay_check(bits, d);
		(void)replay_check(bits, INT64_MAX);
		(void)replay_check(bits, INT64_MIN + 1);
		REQUIRE(memcmp(bits, copy, sizeof(bits)) == 0);
	}
}

/* ---- randomized model check ---- */

/* The model: every index ever received, sorted, and the highest. */
struct model {
	uint64_t *idx;
	size_t n, cap;
	uint64_t top;
};

static int
model_has(const struct model *m, uint64_t x)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->idx[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->idx[lo] == x;
}

static void
model_add(struct model *m, uint64_t x)
{
	size_t at = m->n;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->idx = realloc(m->idx, m->cap * sizeof(*m->idx));
		if (m->idx == NULL)
			abort();
	}
	while (at > 0 && m->idx[at - 1] > x)
		at--;
	memmove(m->idx + at + 1, m->idx + at, (m->n - at) * sizeof(*m->idx));
	m->idx[at] = x;
	m->n++;
	if (x > m->top)
		m->top = x;
}

static enum replay_result
model_check(const struct model *m, int64_t delta)
{
	uint64_t x = m->top + (uint64_t)delta;

	if (delta > 0)
		return REPLAY_OK;
	if (m->top - x >= REPLAY_WINDOW)
		return REPLAY_OLD;
	return model_has(m, x) ? REPLAY_SEEN : REPLAY_OK;
}

/* 200k random operations, deltas in [-300, 300] (a quarter uniform, the
 * rest small forward steps, around the window's edge, or a replay of a
 * recently received index): check, then commit most of the accepted ones
 * (the others model packets whose tag failed: checked, never committed).
 * Verdicts must agree every time, and after every step the whole window
 * (offsets -2..130) is compared with the model. */
TEST(replay_randomized_against_model)
{
	struct model m = {NULL, 0, 0, 1u << 20};
	uint64_t top = 1u << 20, bits[2] = {0, 0};
	unsigned long ok = 0, seen = 0, old = 0, commits = 0;

	for (unsigned long op = 0; op < 200000; op++) {
		int64_t delta = (int64_t)(test_rand64() % 601) - 300;
		enum replay_result got, want;

		/* One in four uniform; else small steps forward (a dense window,
		 * as a real stream), around the window's edge, or a replay. */
		unsigned int kind = (unsigned int)(test_rand64() % 8);

		if (kind >= 2 && kind < 5)
			delta = 1 + (int64_t)(test_rand64() % 3);
		else if (kind >= 5 && kind < 7)
			delta = -(int64_t)(test_rand64() % 132);
		else if (kind == 7 && m.n > 0) /* replay something received */
			delta = (int64_t)m.idx[m.n - 1 - test_rand64() % (m.n < 40 ? m.n : 40)] -
				(int64_t)m.top;
		if (delta < -300)
			delta = -300;
		got = replay_check(bits, delta);
		want = model_check(&m, delta);
		if (got != want) {
			fprintf(stderr,
				"  op %lu top %" PRIu64 " delta %" PRId64 ": got %d want %d\n", op,
				top, delta, (int)got, (int)want);
			CHECK(!"replay window disagrees with the model");
			break;
		}
		REQUIRE(top == m.top);
		ok += got == REPLAY_OK;
		seen += got == REPLAY_SEEN;
		old += got == REPLAY_OLD;
		if (got == REPLAY_OK && test_rand64() % 10 < 8) {
			replay_commit(&top, bits, delta);
			model_add(&m, m.top + (uint64_t)delta);
			commits++;
			REQUIRE(top == m.top);
		}
		for (int64_t k = -2; k <= 130; k++)
			REQUIRE(replay_check(bits, -k) == model_check(&m, -k));
	}
	printf("  model: %lu ok, %lu seen, %lu old, %lu commits\n", ok, seen, old, commits);
	CHECK(ok > 50000);
	CHECK(seen > 5000);
	CHECK(old > 10000);
	CHECK(commits > 40000);
	free(m.idx);
}

int
main(void)
{
	test_seed(0x243f6a8885a308d3ull); /* one sequence for all the randomized tests */
	return test_run_all();
}
