/* crypto_bench.c: SRTP protect/unprotect throughput on one core, three ways
 * on identical packets and keys:
 *   srtpfwd   srtp_protect_burst / srtp_unprotect_burst, bursts of 32
 *   libsrtp2  srtp_protect / srtp_unprotect, one packet per call
 *   ipsecmb   the same ipsec-mb cipher and hash jobs with no SRTP logic
 *             (no index, replay, tag compare or header parsing): the ceiling
 * Every implementation copies each packet into its working buffer first (as
 * a receive path would hand it over), so the copy is in all three figures.
 * What is timed is checked: every burst must return all its packets.
 *
 * The three alternate pass by pass (a pass is NPKT packets, ~0.3-3 ms) and
 * each keeps its fastest pass: on a shared, noisy machine an interruption
 * spoils one pass of one implementation, not the comparison. Bounded: a case
 * stops after CASE_NS of wall time. Output: a table, then one
 * "crypto suite=... " line per case for scripts.
 *
 * Usage: crypto_bench [--quick] [--suite NAME] [--size N] [--impl srtpfwd|libsrtp2|ipsecmb]
 * (--impl runs one implementation alone, for profiling under callgrind/perf)
 */
#include <getopt.h>
#include <time.h>
#include <x86intrin.h>

#include "tests/engine.h"
#include "tests/ref.h"

#define BURST 32
#define NPKT 2048 /* distinct packets per round: a realistic cache footprint */
#define MAX_PKT 1500

static uint64_t CASE_NS = 600 * 1000 * 1000; /* per case, all three together */
static int MIN_PASSES = 5;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "crypto_bench: %s\n", what);
	exit(1);
}

/* Inputs of one case: NPKT plain packets, and the same protected. */
struct corpus {
	enum suite s;
	unsigned int size;
	uint8_t (*plain)[MAX_PKT];
	uint8_t (*prot)[MAX_PKT];
	uint16_t prot_len[NPKT];
	uint8_t key[32], salt[14];
};

/* One pass: wall nanoseconds and TSC cycles for NPKT packets. */
struct measure {
	double ns;
	double cycles;
};

/* ---- srtpfwd ---- */

struct ours {
	struct worker *w;
	struct srtp_keys *keys;
	struct srtp_dir *dir;
	struct test_mbuf *mb; /* BURST of them */
};

/* One pass over the corpus. For protect the SEQ moves on every pass (an
 * index is never protected twice); for unprotect the caller resets the
 * receiver between passes (the corpus holds one pass of indices). */
static __attribute__((noinline)) struct measure
run_ours(struct ours *o, const struct corpus *c, int protect, uint64_t seq_base)
{
	struct burst b;
	uint64_t t0 = now_ns(), c0 = __rdtsc();
	const uint8_t(*src)[MAX_PKT] = protect ? c->plain : c->prot;

	memset(&b, 0, sizeof(b));
	for (unsigned int base = 0; base < NPKT; base += BURST) {
		for (unsigned int i = 0; i < BURST; i++) {
			unsigned int k = base + i;
			unsigned int len = protect ? c->size : c->prot_len[k];
			struct test_mbuf *t = &o->mb[i];

			t->m.data_off = TEST_HEADROOM;
			t->m.data_len = (uint16_t)len;
			t->m.pkt_len = len;
			memcpy(t->buf + TEST_HEADROOM, src[k], len);
			if (protect) {
				uint16_t seq = (uint16_t)(seq_base + k);

				t->buf[TEST_HEADROOM + 2] = (uint8_t)(seq >> 8);
				t->buf[TEST_HEADROOM + 3] = (uint8_t)seq;
			}
			b.pkts[i] = &t->m;
			b.msg_off[i] = 0;
			b.msg_len[i] = (uint16_t)len;
			b.kind[i] = MSG_RTP;
			b.verdict[i] = V_FWD;
			b.unprotect[i] = protect ? NULL : o->dir;
			b.protect[i] = protect ? o->dir : NULL;
		}
		b.n = BURST;
		uint16_t n =
			protect ? srtp_protect_burst(o->w, &b) : srtp_unprotect_burst(o->w, &b);
		if (n != BURST)
			die("srtpfwd burst lost packets");
	}
	return (struct measure){(double)(now_ns() - t0), (double)(__rdtsc() - c0)};
}

/* ---- libsrtp2 ---- */

static __attribute__((noinline)) struct measure
run_libsrtp(srtp_t ctx, const struct corpus *c, int protect, uint64_t seq_base)
{
	uint8_t buf[MAX_PKT + 64];
	uint64_t t0 = now_ns(), c0 = __rdtsc();

	for (unsigned int k = 0; k < NPKT; k++) {
		int len = protect ? (int)c->size : c->prot_len[k];

		memcpy(buf, protect ? c->plain[k] : c->prot[k], (size_t)len);
		if (protect) {
			uint16_t seq = (uint16_t)(seq_base + k);

			buf[2] = (uint8_t)(seq >> 8);
			buf[3] = (uint8_t)seq;
		}
		srtp_err_status_t e =
			protect ? srtp_protect(ctx, buf, &len) : srtp_unprotect(ctx, buf, &len);
		if (e != srtp_err_status_ok)
			die("libsrtp2 refused a packet");
	}
	return (struct measure){(double)(now_ns() - t0), (double)(__rdtsc() - c0)};
}

/* ---- raw ipsec-mb: the same jobs, nothing else ---- */

static __attribute__((noinline)) struct measure
run_raw(struct ours *o, const struct corpus *c, int protect)
{
	const struct suite_info *si = &suites[c->s];
	const struct crypto_key *k = &o->keys->rtp;
	IMB_MGR *mgr = o->w->crypto.mgr;
	IMB_JOB hjobs[BURST], cjobs[BURST], *gjobs[BURST];
	uint8_t iv[BURST][16] __attribute__((aligned(16)));
	uint8_t tag[BURST][16];
	uint64_t t0 = now_ns(), c0 = __rdtsc();
	const uint8_t(*src)[MAX_PKT] = protect ? c->plain : c->prot;
	unsigned int hdr = 12, tag_len = si->rtp_tag_len;

	memset(hjobs, 0, sizeof(hjobs));
	memset(cjobs, 0, sizeof(cjobs));
	for (unsigned int i = 0; i < BURST; i++)
		memset(iv[i], (int)i, 16);
	{
		for (unsigned int base = 0; base < NPKT; base += BURST) {
			for (unsigned int i = 0; i < BURST; i++) {
				unsigned int kk = base + i;
				unsigned int len = protect ? c->size : c->prot_len[kk];
				uint8_t *p = o->mb[i].buf + TEST_HEADROOM;
				unsigned int body = protect ? len : len - tag_len;

				memcpy(p, src[kk], len);
				if (si->aead)
					continue;
				crypto_fill_ctr_job(&cjobs[i], k, si->key_len, p + hdr, body - hdr,
						    iv[i]);
				crypto_fill_hmac_job(&hjobs[i], k, p, body + 4, tag[i]);
			}
			if (si->aead) {
				unsigned int n = IMB_GET_NEXT_BURST(mgr, BURST, gjobs), done;

				if (n != BURST)
					die("ipsec-mb job queue not empty");
				for (unsigned int i = 0; i < BURST; i++) {
					unsigned int kk = base + i;
					unsigned int len = protect ? c->size : c->prot_len[kk];
					uint8_t *p = o->mb[i].buf + TEST_HEADROOM;
					unsigned int body = protect ? len : len - tag_len;

					crypto_fill_gcm_job(gjobs[i], k, si->key_len, protect,
							    p + hdr, body - hdr, iv[i], p, hdr,
							    tag[i]);
				}
				done = IMB_SUBMIT_BURST_NOCHECK(mgr, BURST, gjobs);
				while (done < BURST)
					done += IMB_FLUSH_BURST(mgr, BURST - done, gjobs);
			} else if (protect) {
				if (si->encrypts)
					IMB_SUBMIT_CIPHER_BURST_NOCHECK(
						mgr, cjobs, BURST, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
						si->key_len == 32 ? IMB_KEY_256_BYTES
								  : IMB_KEY_128_BYTES);
				IMB_SUBMIT_HASH_BURST_NOCHECK(mgr, hjobs, BURST,
							      IMB_AUTH_HMAC_SHA_1);
			} else {
				IMB_SUBMIT_HASH_BURST_NOCHECK(mgr, hjobs, BURST,
							      IMB_AUTH_HMAC_SHA_1);
				if (si->encrypts)
					IMB_SUBMIT_CIPHER_BURST_NOCHECK(
						mgr, cjobs, BURST, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
						si->key_len == 32 ? IMB_KEY_256_BYTES
								  : IMB_KEY_128_BYTES);
			}
		}
	}
	return (struct measure){(double)(now_ns() - t0), (double)(__rdtsc() - c0)};
}

/* ---- corpus ---- */

static void
corpus_make(struct corpus *c, enum suite s, unsigned int size)
{
	srtp_t tx;

	c->s = s;
	c->size = size;
	for (unsigned int k = 0; k < 32; k++)
		c->key[k] = (uint8_t)(0x30 + k * 3);
	for (unsigned int k = 0; k < 14; k++)
		c->salt[k] = (uint8_t)(0x70 + k * 5);
	tx = ref_create(s, c->key, c->salt, 0, NULL, 0);
	for (unsigned int k = 0; k < NPKT; k++) {
		int len;

		build_rtp(c->plain[k], 0x5eed0001, (uint16_t)k, k * 160, size - 12, 0, -1, 0);
		memcpy(c->prot[k], c->plain[k], size);
		len = (int)size;
		if (srtp_protect(tx, c->prot[k], &len) != srtp_err_status_ok)
			die("libsrtp2 could not build the corpus");
		c->prot_len[k] = (uint16_t)len;
	}
	srtp_dealloc(tx);
}

/* The benchmark times what it claims: our output for the corpus must be
 * libsrtp's, byte for byte, and our unprotect must give the plaintext. */
static void
corpus_verify(struct ours *o, const struct corpus *c)
{
	struct srtp_dir *tx = engine_dir(o->keys), *rx = engine_dir(o->keys);

	for (unsigned int k = 0; k < 64; k++) {
		uint8_t buf[MAX_PKT + 64];
		unsigned int len = c->size;

		memcpy(buf, c->plain[k], len);
		if (engine_one(o->w, tx, 1, 0, buf, &len) != 0 || len != c->prot_len[k] ||
		    memcmp(buf, c->prot[k], len) != 0)
			die("srtpfwd protect differs from libsrtp2");
		if (engine_one(o->w, rx, 0, 0, buf, &len) != 0 || len != c->size ||
		    memcmp(buf, c->plain[k], len) != 0)
			die("srtpfwd unprotect does not give the plaintext back");
	}
	free(tx);
	free(rx);
}

static struct measure
best(struct measure a, struct measure b)
{
	return a.ns > 0 && a.ns <= b.ns ? a : b;
}

static double
pps(struct measure m)
{
	return m.ns > 0 ? NPKT * 1e9 / m.ns : 0;
}

/* One case: alternate the implementations pass by pass, keep the fastest
 * pass of each. */
static void
run_case(struct ours *o, const struct corpus *c, int protect, const char *impl,
	 struct measure out[3])
{
	uint64_t t0 = now_ns(), seq_base = 0;
	srtp_t ref = ref_create(c->s, c->key, c->salt, !protect, NULL, 0);
	const struct srtp_keys *ret[2];

	memset(out, 0, 3 * sizeof(out[0]));
	srtp_dir_init(o->dir);
	srtp_dir_set_keys(o->dir, o->keys, false, ret);
	for (int pass = 0; pass < MIN_PASSES || now_ns() - t0 < CASE_NS; pass++) {
		if (!protect) {
			memset(&o->dir->rtp.streams, 0, sizeof(o->dir->rtp.streams));
			srtp_dealloc(ref);
			ref = ref_create(c->s, c->key, c->salt, 1, NULL, 0);
		}
		if (!impl || !strcmp(impl, "srtpfwd"))
			out[0] = best(out[0], run_ours(o, c, protect, seq_base));
		if (!impl || !strcmp(impl, "libsrtp2"))
			out[1] = best(out[1], run_libsrtp(ref, c, protect, seq_base));
		if (!impl || !strcmp(impl, "ipsecmb"))
			out[2] = best(out[2], run_raw(o, c, protect));
		seq_base += NPKT;
		if (impl && pass + 1 >= MIN_PASSES)
			break;
	}
	srtp_dealloc(ref);
}

int
main(int argc, char **argv)
{
	static const unsigned int sizes[] = {100, 172, 1200};
	const char *only_suite = NULL, *impl = NULL;
	unsigned int only_size = 0;
	struct corpus c;
	struct ours o;
	int opt;
	static const struct option lo[] = {{"quick", no_argument, NULL, 'q'},
					   {"suite", required_argument, NULL, 's'},
					   {"size", required_argument, NULL, 'z'},
					   {"impl", required_argument, NULL, 'i'},
					   {NULL, 0, NULL, 0}};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'q':
			CASE_NS = 30 * 1000 * 1000;
			MIN_PASSES = 2;
			break;
		case 's': only_suite = optarg; break;
		case 'z': only_size = (unsigned int)atoi(optarg); break;
		case 'i': impl = optarg; break;
		default:
			fprintf(stderr, "usage: crypto_bench [--quick] [--suite NAME] [--size N] "
					"[--impl srtpfwd|libsrtp2|ipsecmb]\n");
			return 2;
		}
	}
	c.plain = calloc(NPKT, MAX_PKT);
	c.prot = calloc(NPKT, MAX_PKT);
	o.w = engine_worker();
	if (posix_memalign((void **)&o.mb, 64, sizeof(*o.mb) * BURST) != 0 || !c.plain || !c.prot)
		die("out of memory");
	for (unsigned int i = 0; i < BURST; i++)
		test_mbuf_set(&o.mb[i], (const uint8_t *)"", 0);

	printf("srtpfwd crypto_bench: one core, bursts of %d; passes of %d distinct packets, "
	       "alternated, fastest pass of each kept; %.0f ms a case\n",
	       BURST, NPKT, CASE_NS / 1e6);
	printf("ipsec-mb %s (%s code path), %s\n\n", imb_get_version_str(), o.w->crypto.arch,
	       srtp_get_version_string());
	printf("%-24s %5s %-9s %12s %12s %12s %8s %8s %8s\n", "suite", "size", "op", "srtpfwd pps",
	       "libsrtp2 pps", "ipsec-mb pps", "vs lib", "vs raw", "cyc/pkt");

	char lines[SUITE_MAX * 6][256];
	unsigned int nlines = 0;

	for (int s = 0; s < SUITE_MAX; s++) {
		if (only_suite && strcmp(only_suite, suites[s].name) != 0)
			continue;
		for (unsigned int z = 0; z < 3; z++) {
			if (only_size && sizes[z] != only_size)
				continue;
			corpus_make(&c, (enum suite)s, sizes[z]);
			o.keys = engine_keys(o.w, (enum suite)s, c.key, c.salt, NULL, 0);
			o.dir = engine_dir(o.keys);
			corpus_verify(&o, &c);
			for (int protect = 1; protect >= 0; protect--) {
				struct measure m[3];

				run_case(&o, &c, protect, impl, m);
				double po = pps(m[0]), pl = pps(m[1]), pr = pps(m[2]);
				double cyc = m[0].cycles / NPKT;
				const char *op = protect ? "protect" : "unprotect";

				printf("%-24s %5u %-9s %12.0f %12.0f %12.0f %7.2fx %7.2f %8.0f\n",
				       suites[s].name, sizes[z], op, po, pl, pr,
				       pl > 0 ? po / pl : 0, pr > 0 ? po / pr : 0, cyc);
				fflush(stdout);
				snprintf(lines[nlines++], sizeof(lines[0]),
					 "crypto suite=%s size=%u op=%s srtpfwd_pps=%.0f "
					 "libsrtp2_pps=%.0f ipsecmb_pps=%.0f vs_libsrtp2=%.2f "
					 "vs_ipsecmb=%.2f srtpfwd_cycles=%.0f",
					 suites[s].name, sizes[z], op, po, pl, pr,
					 pl > 0 ? po / pl : 0, pr > 0 ? po / pr : 0, cyc);
			}
			free(o.dir);
			keys_destroy(o.keys);
		}
	}
	printf("\n");
	for (unsigned int k = 0; k < nlines; k++)
		printf("%s\n", lines[k]);
	engine_worker_free(o.w);
	free(c.plain);
	free(c.prot);
	return 0;
}
