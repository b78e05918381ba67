/* crypto_demo.c: the demo's first half. For every suite, a stream of RTP
 * and RTCP packets (Opus- and G.711-sized, bursts of 32) is protected by
 * srtpfwd's burst engine and by libsrtp2 and the outputs compared byte for
 * byte; each side then unprotects the other's packets; tampered and
 * replayed packets must be refused. Prints a table and a verdict line:
 *   demo: PASS <suites> suites, <packets> packets cross-checked
 *   demo: FAIL <reason>
 * Exit code 0 only on PASS.
 */
#include "tests/engine.h"
#include "tests/ref.h"

#define BURST 32
#define BURSTS 40 /* per suite: 1280 RTP packets, plus RTCP */

struct tally {
	unsigned long sent, identical, lib_ok, ours_ok, tamper_refused, replay_refused;
};

static int
suite_demo(struct worker *w, enum suite s, struct tally *t)
{
	uint8_t key[32], salt[14];
	static struct test_mbuf mb[BURST];
	static uint8_t plain[BURST][1500], ref[BURST][1500];
	int ref_len[BURST];
	struct burst b;

	for (unsigned int k = 0; k < 32; k++)
		key[k] = (uint8_t)(k * 29 + s);
	for (unsigned int k = 0; k < 14; k++)
		salt[k] = (uint8_t)(k * 13 + 7);
	struct srtp_keys *keys = engine_keys(w, s, key, salt, NULL, 0);
	struct srtp_dir *tx = engine_dir(keys), *rx = engine_dir(keys);
	srtp_t lib_tx = ref_create(s, key, salt, 0, NULL, 0);
	srtp_t lib_rx = ref_create(s, key, salt, 1, NULL, 0);

	for (unsigned int round = 0; round < BURSTS; round++) {
		int rtcp = round % 8 == 7; /* every eighth burst is RTCP */

		memset(&b, 0, sizeof(b));
		b.n = BURST;
		for (unsigned int i = 0; i < BURST; i++) {
			uint16_t seq = (uint16_t)(65000 + round * BURST + i); /* crosses the wrap */
			unsigned int payload = (i & 1) ? 160 : 88; /* G.711 172 B, Opus 100 B */
			unsigned int n =
				rtcp ? build_rtcp(plain[i], 0xd3e0 + s, 20 + 4 * (i % 8), i)
				     : build_rtp(plain[i], 0xd3e0 + s, seq, seq * 160u, payload, 0,
						 -1, 0);

			test_mbuf_set(&mb[i], plain[i], n);
			b.pkts[i] = &mb[i].m;
			b.msg_len[i] = (uint16_t)n;
			b.kind[i] = rtcp ? MSG_RTCP : MSG_RTP;
			b.protect[i] = tx;
			memcpy(ref[i], plain[i], n);
			ref_len[i] = (int)n;
			srtp_err_status_t e = rtcp ? srtp_protect_rtcp(lib_tx, ref[i], &ref_len[i])
						   : srtp_protect(lib_tx, ref[i], &ref_len[i]);
			if (e != srtp_err_status_ok)
				return -1;
		}
		if (srtp_protect_burst(w, &b) != BURST)
			return -1;
		t->sent += BURST;
		for (unsigned int i = 0; i < BURST; i++) {
			uint8_t *ours = test_mbuf_data(&mb[i]);
			uint8_t tmp[1500];
			int l = b.msg_len[i];

			if (l == ref_len[i] && memcmp(ours, ref[i], (size_t)l) == 0)
				t->identical++;
			memcpy(tmp, ours, (size_t)l);
			if ((rtcp ? srtp_unprotect_rtcp(lib_rx, tmp, &l)
				  : srtp_unprotect(lib_rx, tmp, &l)) == srtp_err_status_ok &&
			    memcmp(tmp, plain[i], (size_t)l) == 0)
				t->lib_ok++;
		}
		/* libsrtp2's packets through our receiver, as a burst. */
		memset(&b, 0, sizeof(b));
		b.n = BURST;
		for (unsigned int i = 0; i < BURST; i++) {
			test_mbuf_set(&mb[i], ref[i], (unsigned int)ref_len[i]);
			b.pkts[i] = &mb[i].m;
			b.msg_len[i] = (uint16_t)ref_len[i];
			b.kind[i] = rtcp ? MSG_RTCP : MSG_RTP;
			b.unprotect[i] = rx;
		}
		srtp_unprotect_burst(w, &b);
		for (unsigned int i = 0; i < BURST; i++)
			if (b.verdict[i] == V_FWD &&
			    memcmp(test_mbuf_data(&mb[i]), plain[i], b.msg_len[i]) == 0)
				t->ours_ok++;
	}
	/* Hostile: fresh packets from libsrtp2 with one bit flipped must fail
	 * authentication; the intact packet then passes; sent again, it is a
	 * replay. */
	for (unsigned int i = 0; i < BURST; i++) {
		uint8_t pkt[1500], tmp[1500];
		int l = (int)build_rtp(pkt, 0xd3e0 + s, (uint16_t)(1000 + i), 0, 160, 0, -1, 0);
		unsigned int len;

		if (srtp_protect(lib_tx, pkt, &l) != srtp_err_status_ok)
			return -1;
		len = (unsigned int)l;
		memcpy(tmp, pkt, len);
		tmp[len / 2] ^= 0x10;
		if (engine_one(w, rx, 0, 0, tmp, &len) == DROP_SRTP_AUTH)
			t->tamper_refused++;
		len = (unsigned int)l;
		memcpy(tmp, pkt, len);
		if (engine_one(w, rx, 0, 0, tmp, &len) != 0)
			return -1;
		len = (unsigned int)l;
		memcpy(tmp, pkt, len);
		if (engine_one(w, rx, 0, 0, tmp, &len) == DROP_SRTP_REPLAY)
			t->replay_refused++;
	}
	srtp_dealloc(lib_tx);
	srtp_dealloc(lib_rx);
	free(tx);
	free(rx);
	keys_destroy(keys);
	return 0;
}

int
main(void)
{
	struct worker *w = engine_worker();
	unsigned long total = 0;
	int fail = 0;

	printf("srtpfwd SRTP engine demo: ipsec-mb %s (%s), cross-checked live against %s\n\n",
	       imb_get_version_str(), w->crypto.arch, srtp_get_version_string());
	printf("%-24s %7s %14s %14s %14s %9s %9s\n", "suite", "packets", "same bytes",
	       "libsrtp2 ok", "srtpfwd ok", "tampered", "replayed");
	for (int s = 0; s < SUITE_MAX; s++) {
		struct tally t = {0};

		if (suite_demo(w, (enum suite)s, &t) != 0) {
			printf("demo: FAIL %s: a burst was refused\n", suites[s].name);
			return 1;
		}
		printf("%-24s %7lu %8lu/%-5lu %8lu/%-5lu %8lu/%-5lu %4lu/%-4d %4lu/%-4d\n",
		       suites[s].name, t.sent, t.identical, t.sent, t.lib_ok, t.sent, t.ours_ok,
		       t.sent, t.tamper_refused, BURST, t.replay_refused, BURST);
		if (t.identical != t.sent || t.lib_ok != t.sent || t.ours_ok != t.sent ||
		    t.tamper_refused != BURST || t.replay_refused != BURST)
			fail = 1;
		total += t.sent;
	}
	engine_worker_free(w);
	printf("\n");
	if (fail) {
		printf("demo: FAIL a packet differed from libsrtp2 or a hostile packet passed\n");
		return 1;
	}
	printf("demo: PASS %d suites, %lu packets cross-checked\n", SUITE_MAX, total);
	return 0;
}
