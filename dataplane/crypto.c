/* crypto.c: suite table, key expansion and job submission (see crypto.h). */
#include <errno.h>
#include <string.h>

#include "crypto.h"

const struct suite_info suites[SUITE_MAX] = {
	[SUITE_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, false, true},
	[SUITE_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, false, true},
	[SUITE_AES_256_CM_HMAC_SHA1_80] = {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, false, true},
	[SUITE_AES_256_CM_HMAC_SHA1_32] = {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10, false, true},
	[SUITE_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16, 16, true, true},
	[SUITE_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16, 16, true, true},
	[SUITE_NULL_HMAC_SHA1_80] = {"NULL_HMAC_SHA1_80", 16, 14, 10, 10, false, false},
};

int
suite_by_name(const char *name)
{
	for (int s = 0; s < SUITE_MAX; s++)
		if (strcmp(suites[s].name, name) == 0)
			return s;
	return -1;
}

static const char *
arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_NOAESNI: return "NOAESNI";
	case IMB_ARCH_SSE: return "SSE";
	case IMB_ARCH_AVX: return "AVX";
	case IMB_ARCH_AVX2: return "AVX2";
	case IMB_ARCH_AVX512: return "AVX512";
	default: return "unknown";
	}
}

int
crypto_worker_init(struct crypto_worker *cw)
{
	IMB_ARCH arch = IMB_ARCH_NONE;

	memset(cw, 0, sizeof(*cw));
	cw->mgr = alloc_mb_mgr(0);
	if (cw->mgr == NULL)
		return -ENOMEM;
	init_mb_mgr_auto(cw->mgr, &arch);
	cw->arch = arch_name(arch);
	return 0;
}

void
crypto_worker_fini(struct crypto_worker *cw)
{
	if (cw->mgr != NULL)
		free_mb_mgr(cw->mgr);
	/* The scratch arrays held tags and IVs, not keys; clear them anyway so a
	 * freed worker leaves nothing derived from traffic behind. */
	explicit_bzero(cw, sizeof(*cw));
}

void
crypto_aes_cm_keystream(IMB_MGR *mgr, const uint8_t *key, unsigned int key_len,
			const uint8_t iv[16], uint8_t *out, unsigned int len)
{
	uint8_t enc[16 * 15] __attribute__((aligned(16)));
	uint8_t dec[16 * 15] __attribute__((aligned(16)));
	IMB_JOB job;

	if (key_len == 32)
		IMB_AES_KEYEXP_256(mgr, key, enc, dec);
	else
		IMB_AES_KEYEXP_128(mgr, key, enc, dec);
	memset(out, 0, len);
	memset(&job, 0, sizeof(job));
	job.enc_keys = enc;
	job.dec_keys = enc;
	job.key_len_in_bytes = key_len;
	job.src = out;
	job.dst = out;
	job.msg_len_to_cipher_in_bytes = len;
	job.iv = iv;
	job.iv_len_in_bytes = 16;
	job.cipher_mode = IMB_CIPHER_CNTR;
	job.cipher_direction = IMB_DIR_ENCRYPT;
	job.hash_alg = IMB_AUTH_NULL;
	job.chain_order = IMB_ORDER_CIPHER_HASH;
	IMB_SUBMIT_CIPHER_BURST(mgr, &job, 1, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
				key_len == 32 ? IMB_KEY_256_BYTES : IMB_KEY_128_BYTES);
	explicit_bzero(enc, sizeof(enc));
	explicit_bzero(dec, sizeof(dec));
}

/* HMAC-SHA1 inner and outer states: SHA1 of one block of key ^ pad. ipsec-mb
 * 1.3 has no imb_hmac_ipad_opad(), so hash the padded blocks ourselves. */
static void
hmac_sha1_pads(IMB_MGR *mgr, const uint8_t *key, unsigned int len, uint8_t *ipad, uint8_t *opad)
{
	uint8_t block[64];

	for (unsigned int i = 0; i < 64; i++)
		block[i] = (uint8_t)((i < len ? key[i] : 0) ^ 0x36);
	IMB_SHA1_ONE_BLOCK(mgr, block, ipad);
	for (unsigned int i = 0; i < 64; i++)
		block[i] = (uint8_t)((i < len ? key[i] : 0) ^ 0x5c);
	IMB_SHA1_ONE_BLOCK(mgr, block, opad);
	explicit_bzero(block, sizeof(block));
}

static void
expand_one(IMB_MGR *mgr, const struct suite_info *s, const uint8_t *key, const uint8_t *salt,
	   const uint8_t *auth, struct crypto_key *out)
{
	uint8_t dec[16 * 15] __attribute__((aligned(16)));

	if (s->aead) {
		if (s->key_len == 32)
			IMB_AES256_GCM_PRE(mgr, key, &out->k.gcm);
		else
			IMB_AES128_GCM_PRE(mgr, key, &out->k.gcm);
	} else {
		if (s->encrypts) {
			if (s->key_len == 32)
				IMB_AES_KEYEXP_256(mgr, key, out->k.aes_enc, dec);
			else
				IMB_AES_KEYEXP_128(mgr, key, out->k.aes_enc, dec);
		}
		hmac_sha1_pads(mgr, auth, SRTP_AUTH_KEY_LEN, out->ipad, out->opad);
	}
	memcpy(out->salt, salt, s->salt_len);
	explicit_bzero(dec, sizeof(dec));
}

void
crypto_keys_expand(IMB_MGR *mgr, enum suite suite, const struct session_keys *raw,
		   const uint8_t *mki, unsigned int mki_len, struct srtp_keys *out)
{
	const struct suite_info *s = &suites[suite];

	memset(out, 0, sizeof(*out));
	out->suite = (uint8_t)suite;
	out->mki_len = (uint8_t)mki_len;
	if (mki_len)
		memcpy(out->mki, mki, mki_len);
	expand_one(mgr, s, raw->rtp_key, raw->rtp_salt, raw->rtp_auth, &out->rtp);
	expand_one(mgr, s, raw->rtcp_key, raw->rtcp_salt, raw->rtcp_auth, &out->rtcp);
}

#ifdef SRTPFWD_CRYPTO_CHECK
/* Debug builds (-Dcrypto_check=true): ipsec-mb validates every job, and a
 * refused submission stops the process with its reason. Never in release:
 * the dataplane does not print. */
#include <stdio.h>
#include <stdlib.h>

static unsigned int
checked(IMB_MGR *mgr, unsigned int done, unsigned int n, const char *what)
{
	int err = imb_get_errno(mgr);

	if (done != n || err != 0) {
		fprintf(stderr, "crypto_check: %s: %u of %u jobs done: %s\n", what, done, n,
			imb_get_strerror(err));
		abort();
	}
	return done;
}
#define SUBMIT_HASH(m, j, n, h) checked(m, IMB_SUBMIT_HASH_BURST(m, j, n, h), n, "hash burst")
#define SUBMIT_CIPHER(m, j, n, c, d, k)                                                            \
	checked(m, IMB_SUBMIT_CIPHER_BURST(m, j, n, c, d, k), n, "cipher burst")
#define SUBMIT_BURST IMB_SUBMIT_BURST
#else
#define SUBMIT_HASH IMB_SUBMIT_HASH_BURST_NOCHECK
#define SUBMIT_CIPHER IMB_SUBMIT_CIPHER_BURST_NOCHECK
#define SUBMIT_BURST IMB_SUBMIT_BURST_NOCHECK
#endif

void
crypto_hmac_run(struct crypto_worker *cw, unsigned int from)
{
	if (cw->n_hmac > from)
		SUBMIT_HASH(cw->mgr, &cw->hmac[from], cw->n_hmac - from, IMB_AUTH_HMAC_SHA_1);
}

void
crypto_ctr_run(struct crypto_worker *cw)
{
	if (cw->n_ctr[0])
		SUBMIT_CIPHER(cw->mgr, cw->ctr[0], cw->n_ctr[0], IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
			      IMB_KEY_128_BYTES);
	if (cw->n_ctr[1])
		SUBMIT_CIPHER(cw->mgr, cw->ctr[1], cw->n_ctr[1], IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
			      IMB_KEY_256_BYTES);
}

void
crypto_gcm_run(struct crypto_worker *cw)
{
	unsigned int n = cw->n_gcm, done;

	if (n == 0)
		return;
	/* Submitting fewer jobs than obtained is fine: the rest stay free. */
	done = SUBMIT_BURST(cw->mgr, n, cw->gcm);
#ifdef SRTPFWD_CRYPTO_CHECK
	if (imb_get_errno(cw->mgr) != 0)
		checked(cw->mgr, 0, n, "GCM burst");
#endif
	while (done < n) {
		IMB_JOB *completed[BURST_MAX];
		unsigned int f = IMB_FLUSH_BURST(cw->mgr, n - done, completed);

		if (f == 0)
			break;
		done += f;
	}
	cw->n_gcm = 0;
	cw->gcm_got = 0;
}
