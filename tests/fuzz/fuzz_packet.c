/* fuzz_packet.c: libFuzzer target for the packet path as far as it exists:
 * parse_burst() on raw frames, then srtp_unprotect_burst() and
 * srtp_protect_burst() on what parse let through, with keys for every
 * suite, with and without MKI, and a re-key overlap active.
 *
 * Input: byte 0 picks the mode and suite; the rest is split into up to
 * BURST_MAX packets by 2-byte big-endian length prefixes.
 *   mode 0: each packet is a raw frame (Ethernet...) -> parse -> unprotect
 *   mode 1: each packet is an RTP/RTCP message: first protected with the
 *           real key, then bytes flipped / truncated as the input says,
 *           then unprotected: reaches the paths after a tag verifies.
 *   mode 2: each packet is a message -> unprotect directly (hostile SRTP)
 *   mode 3: each packet is a message -> protect (hostile plain RTP)
 * Checked invariants (abort on violation): every packet ends with a verdict
 * and, if dropped, a known reason; accepted messages stay inside the mbuf.
 *
 * Build: meson setup build-fuzz -Dfuzz=true (with CC=clang); run:
 *   build-fuzz/tests/fuzz/fuzz_packet tests/fuzz/corpus_packet -runs=N
 */
#include <stdlib.h>

#include "dataplane/parse.h"
#include "tests/engine.h"

#define MODES 4

static struct worker *W;
static struct srtp_keys *K[SUITE_MAX][2], *K_OLD[SUITE_MAX];
static struct srtp_dir *RX[SUITE_MAX][2], *TX[SUITE_MAX][2];
static struct test_mbuf *MB;

static void
setup(void)
{
	static const uint8_t mki[4] = {1, 2, 3, 4};
	const struct srtp_keys *retire[2];

	W = engine_worker();
	MB = aligned_alloc(64, sizeof(*MB) * BURST_MAX);
	for (int s = 0; s < SUITE_MAX; s++) {
		uint8_t key[32], salt[14];

		engine_fill_key((enum suite)s, key, salt, (uint8_t)s);
		for (int m = 0; m < 2; m++) {
			K[s][m] =
				engine_keys(W, (enum suite)s, key, salt, m ? mki : NULL, m ? 4 : 0);
			TX[s][m] = engine_dir(K[s][m]);
			RX[s][m] = engine_dir(NULL);
		}
		engine_fill_key((enum suite)s, key, salt, (uint8_t)(s + 100));
		K_OLD[s] = engine_keys(W, (enum suite)s, key, salt, NULL, 0);
		/* RX without MKI: previous key K_OLD still accepted (overlap) */
		srtp_dir_set_keys(RX[s][0], K_OLD[s], false, retire);
		srtp_dir_set_keys(RX[s][0], K[s][0], true, retire);
		srtp_dir_set_keys(RX[s][1], K[s][1], false, retire);
	}
}

static void
check(const struct burst *b)
{
	for (unsigned int i = 0; i < b->n; i++) {
		if (b->verdict[i] > V_DROP)
			abort();
		if (b->verdict[i] == V_DROP &&
		    (b->reason[i] == DROP_NONE || b->reason[i] >= DROP_MAX))
			abort();
		if (b->verdict[i] == V_FWD && b->msg_off[i] + b->msg_len[i] > b->pkts[i]->data_len)
			abort();
		if (b->pkts[i]->data_off + b->pkts[i]->data_len > b->pkts[i]->buf_len)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct parse_opts opts = {.verify_udp_csum = 1};
	struct burst b;
	unsigned int mode, s, m;
	size_t off = 1;

	if (W == NULL)
		setup();
	if (size < 1)
		return 0;
	mode = data[0] % MODES;
	s = (data[0] / MODES) % SUITE_MAX;
	m = (data[0] / MODES / SUITE_MAX) % 2;
	W->now_ms += 500; /* time moves, so slots age and may be evicted */

	memset(&b, 0, sizeof(b));
	while (b.n < BURST_MAX && off + 2 <= size) {
		unsigned int len = (unsigned int)data[off] << 8 | data[off + 1], i = b.n;

		off += 2;
		if (len > size - off)
			len = (unsigned int)(size - off);
		if (len > TEST_BUF_LEN - TEST_HEADROOM - 64)
			len = TEST_BUF_LEN - TEST_HEADROOM - 64;
		const uint8_t *msg = data + off;

		test_mbuf_set(&MB[i], msg, len);
		off += len;
		b.pkts[i] = &MB[i].m;
		b.msg_len[i] = (uint16_t)len;
		/* RFC 5761 §4, as parse would classify a message */
		b.kind[i] = len >= 2 && (msg[1] & 0x7f) >= 64 && (msg[1] & 0x7f) <= 95 ? MSG_RTCP
										       : MSG_RTP;
		b.n++;
	}
	if (b.n == 0)
		return 0;

	switch (mode) {
	case 0:
		parse_burst(&opts, &b);
		check(&b);
		for (unsigned int i = 0; i < b.n; i++)
			if (b.verdict[i] == V_FWD && b.kind[i] <= MSG_RTCP)
				b.unprotect[i] = RX[s][m];
		srtp_unprotect_burst(W, &b);
		break;
	case 1: {
		/* Valid packets first, then the input's own bytes say where to
		 * flip bits and how much to cut (the last 2 bytes of each). */
		for (unsigned int i = 0; i < b.n; i++)
			b.protect[i] = TX[s][m];
		srtp_protect_burst(W, &b);
		check(&b);
		for (unsigned int i = 0; i < b.n; i++) {
			uint8_t *p = test_mbuf_data(&MB[i]);
			unsigned int l = b.msg_len[i];

			b.protect[i] = NULL;
			b.unprotect[i] = RX[s][m];
			if (b.verdict[i] != V_FWD || l < 2)
				continue;
			if (p[l - 1] & 1) /* flip one bit chosen by the tag itself */
				p[(p[l - 2] * 7u) % l] ^= (uint8_t)(1u << (p[l - 1] % 8));
			if ((p[l - 1] & 6) == 6) /* or cut a few bytes */
				b.msg_len[i] = (uint16_t)(l - 1 - p[l - 2] % (l < 20 ? l - 1 : 20));
		}
		srtp_unprotect_burst(W, &b);
		break;
	}
	case 2:
		for (unsigned int i = 0; i < b.n; i++)
			b.unprotect[i] = RX[s][m];
		srtp_unprotect_burst(W, &b);
		break;
	default:
		for (unsigned int i = 0; i < b.n; i++)
			b.protect[i] = TX[s][m];
		srtp_protect_burst(W, &b);
		break;
	}
	check(&b);
	return 0;
}
