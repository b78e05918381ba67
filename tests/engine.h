/* engine.h: an srtpfwd SRTP engine without EAL, for tests and benchmarks:
 * one worker's crypto state, key objects from master keys (and made-up
 * master keys from a seed), directions, one-packet protect/unprotect
 * wrappers over the burst API, and main() for a test program on a worker.
 */
#ifndef SRTPFWD_TEST_ENGINE_H
#define SRTPFWD_TEST_ENGINE_H

#include <stdio.h>
#include <stdlib.h>

#include "control/keys.h"
#include "dataplane/srtp.h"
#include "dataplane/worker.h"
#include "pkt.h"

static inline struct worker *
engine_worker(void)
{
	struct worker *w;

	if (posix_memalign((void **)&w, 64, sizeof(*w)) != 0)
		abort();
	memset(w, 0, sizeof(*w));
	if (crypto_worker_init(&w->crypto) != 0)
		abort();
	return w;
}

static inline void
engine_worker_free(struct worker *w)
{
	crypto_worker_fini(&w->crypto);
	free(w);
}

/* A made-up master key and salt for @p s, different for each @p seed. */
static inline void
engine_fill_key(enum suite s, uint8_t *key, uint8_t *salt, uint8_t seed)
{
	/* (bounded by the buffers' sizes as well, for the compiler's sake) */
	for (unsigned int k = 0; k < suites[s].key_len && k < SRTP_KEY_MAX; k++)
		key[k] = (uint8_t)(seed * 37 + k * 11 + 3);
	for (unsigned int k = 0; k < suites[s].salt_len && k < SRTP_SALT_MAX; k++)
		salt[k] = (uint8_t)(seed * 91 + k * 7 + 5);
}

static inline struct srtp_keys *
engine_keys(struct worker *w, enum suite s, const uint8_t *key, const uint8_t *salt,
	    const uint8_t *mki, unsigned int mki_len)
{
	char err[256];
	struct srtp_keys *k = keys_create(w->crypto.mgr, s, key, suites[s].key_len, salt,
					  suites[s].salt_len, mki, mki_len, err, sizeof(err));

	if (k == NULL) {
		fprintf(stderr, "keys_create: %s\n", err);
		abort();
	}
	return k;
}

static inline struct srtp_dir *
engine_dir(const struct srtp_keys *k)
{
	struct srtp_dir *d;
	const struct srtp_keys *retire[2];

	if (posix_memalign((void **)&d, 64, sizeof(*d)) != 0)
		abort();
	srtp_dir_init(d);
	if (k != NULL)
		srtp_dir_set_keys(d, k, false, retire);
	return d;
}

/* Run one packet through protect (@p prot) or unprotect. @p buf holds the
 * packet and receives the result; @return the verdict reason (0 = ok) and
 * the new length in *len. */
static inline int
engine_one(struct worker *w, struct srtp_dir *d, int protect, int rtcp, uint8_t *buf,
	   unsigned int *len)
{
	static struct test_mbuf t;
	struct burst b;

	test_mbuf_set(&t, buf, *len);
	test_burst_one(&b, &t, *len, rtcp, protect ? NULL : d, protect ? d : NULL);
	if (protect)
		srtp_protect_burst(w, &b);
	else
		srtp_unprotect_burst(w, &b);
	if (b.verdict[0] != V_FWD)
		return b.reason[0];
	*len = b.msg_len[0];
	memcpy(buf, test_mbuf_data(&t), *len);
	return 0;
}

/* main() for a test program whose tests share one worker, @p w (a
 * struct worker * of the program's): made before the tests, freed after.
 * It prints the ipsec-mb version and code path, then what @p fmt (a string
 * literal) and the arguments after it say. Needs test.h. */
#define ENGINE_TEST_MAIN(w, fmt, ...)                                                              \
	int main(void)                                                                             \
	{                                                                                          \
		int bad;                                                                           \
                                                                                                   \
		w = engine_worker();                                                               \
		printf("ipsec-mb %s, code path %s" fmt "\n", imb_get_version_str(),                \
		       w->crypto.arch, ##__VA_ARGS__);                                             \
		bad = test_run_all();                                                              \
		engine_worker_free(w);                                                             \
		return bad;                                                                        \
	}

#endif
