/* crypto.h: the one module that speaks Intel ipsec-mb.
 *
 * Owns: the suite table (RFC 4568 / RFC 6188 / RFC 7714 parameters), the
 * expanded key layout workers read (struct srtp_keys: AES key schedules,
 * HMAC-SHA1 ipad/opad states, GCM key data, salts), and each worker's
 * ipsec-mb manager and job arrays (struct crypto_worker).
 *
 * Writers: key expansion (crypto_keys_expand) runs on the control thread
 * into memory nobody else can see yet; once published a struct srtp_keys is
 * read-only until it is retired through RCU and zeroed. A struct
 * crypto_worker belongs to one worker lcore. No other file includes
 * <intel-ipsec-mb.h>: srtp.c fills jobs through the inline helpers below.
 */
#ifndef SRTPFWD_CRYPTO_H
#define SRTPFWD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "burst.h"

enum suite {
	SUITE_AES_CM_128_HMAC_SHA1_80 = 0,
	SUITE_AES_CM_128_HMAC_SHA1_32,
	SUITE_AES_256_CM_HMAC_SHA1_80,
	SUITE_AES_256_CM_HMAC_SHA1_32,
	SUITE_AEAD_AES_128_GCM,
	SUITE_AEAD_AES_256_GCM,
	SUITE_NULL_HMAC_SHA1_80,
	SUITE_MAX
};

struct suite_info {
	const char *name; /* RFC 4568 / RFC 7714 name, as in SDP a=crypto */
	uint8_t key_len; /* master and session key: 16 or 32 */
	uint8_t salt_len; /* master and session salt: 14, or 12 for GCM */
	uint8_t rtp_tag_len; /* SRTP tag: 10, 4, or 16 (GCM) */
	uint8_t rtcp_tag_len; /* SRTCP tag: 10 even for _32 suites (RFC 4568 §6.2), 16 GCM */
	bool aead; /* AES-GCM: tag is GCM's, no HMAC, no ROC trailer */
	bool encrypts; /* false only for NULL_HMAC_SHA1_80 */
};

extern const struct suite_info suites[SUITE_MAX];

/** @return the suite named @p name (RFC 4568 spelling, case-sensitive) or -1. */
int suite_by_name(const char *name);

#define SRTP_KEY_MAX 32
#define SRTP_SALT_MAX 14
#define SRTP_AUTH_KEY_LEN 20 /* HMAC-SHA1 key, RFC 3711 n_a = 160 */
#define SRTP_MKI_MAX 16
#define HMAC_TAG_SCRATCH 12 /* ipsec-mb 1.3 accepts 12 or 20 for HMAC-SHA1; we keep 10 or 4 */
#define GCM_TAG_LEN 16

/* Raw session keys from the KDF, before expansion. Lives on the control
 * thread's stack for the moment between derivation and expansion, then
 * zeroed by whoever filled it. */
struct session_keys {
	uint8_t rtp_key[SRTP_KEY_MAX];
	uint8_t rtp_salt[SRTP_SALT_MAX];
	uint8_t rtp_auth[SRTP_AUTH_KEY_LEN];
	uint8_t rtcp_key[SRTP_KEY_MAX];
	uint8_t rtcp_salt[SRTP_SALT_MAX];
	uint8_t rtcp_auth[SRTP_AUTH_KEY_LEN];
};

/* One of SRTP or SRTCP's expanded session keys. */
struct crypto_key {
	union {
		uint8_t aes_enc[16 * 15] __attribute__((aligned(16))); /* AES-CM schedule */
		struct gcm_key_data gcm; /* AES-GCM */
	} k;
	uint8_t ipad[32] __attribute__((aligned(16))); /* SHA1 state of key ^ 0x36.. */
	uint8_t opad[32] __attribute__((aligned(16))); /* SHA1 state of key ^ 0x5c.. */
	uint8_t salt[16]; /* session salt, zero-padded; 14 bytes, 12 for GCM */
} __attribute__((aligned(64)));

/* Expanded keys of one master key, as workers use them. Immutable once
 * published; retired through RCU, then zeroed (keys_destroy). */
struct srtp_keys {
	uint8_t suite; /* enum suite */
	uint8_t mki_len;
	uint8_t mki[SRTP_MKI_MAX];
	struct crypto_key rtp;
	struct crypto_key rtcp;
} __attribute__((aligned(64)));

/* A worker's ipsec-mb state and job arrays. One per worker lcore. */
struct crypto_worker {
	IMB_MGR *mgr;
	unsigned int n_hmac;
	unsigned int n_ctr[2]; /* [0] AES-128, [1] AES-256 */
	unsigned int n_gcm; /* GCM jobs filled, not yet submitted */
	unsigned int gcm_got; /* job pointers obtained from the manager */
	IMB_JOB hmac[2 * BURST_MAX]; /* room for a retry pass with previous keys */
	IMB_JOB ctr[2][BURST_MAX];
	/* GCM runs through the async burst API, whose jobs live in the
	 * manager's queue: we fill them in place. */
	IMB_JOB *gcm[BURST_MAX];
	/* Per-packet scratch, indexed by burst position. */
	uint8_t iv[BURST_MAX][16] __attribute__((aligned(16)));
	uint8_t tag[BURST_MAX][GCM_TAG_LEN]; /* computed tag */
	uint8_t rx_tag[BURST_MAX][GCM_TAG_LEN]; /* received tag, saved before ROC overwrites it */
	uint8_t aad[BURST_MAX][16]; /* SRTCP GCM: header || E|index */
	const char *arch; /* "AVX2", "AVX512", ...: what init_mb_mgr_auto picked */
};

/** Allocate and initialise a worker's ipsec-mb manager (CPU-specific code
 *  chosen at run time). @return 0 or -ENOMEM. Control path. */
int crypto_worker_init(struct crypto_worker *cw);
void crypto_worker_fini(struct crypto_worker *cw);

/**
 * Expand raw session keys into @p out for @p suite. Control path; @p out is
 * private memory not yet published. @p mgr is any initialised manager owned
 * by the caller's thread.
 */
void crypto_keys_expand(IMB_MGR *mgr, enum suite suite, const struct session_keys *raw,
			const uint8_t *mki, unsigned int mki_len, struct srtp_keys *out);

/**
 * AES-CM keystream (RFC 3711 §4.1.1 / §4.3.3 PRF): @p len bytes of
 * AES-CTR(key, iv) over zeros, into @p out. Control path (key derivation).
 */
void crypto_aes_cm_keystream(IMB_MGR *mgr, const uint8_t *key, unsigned int key_len,
			     const uint8_t iv[16], uint8_t *out, unsigned int len);

/* ---- job building for srtp.c (hot path) ---- */

static inline void
crypto_burst_reset(struct crypto_worker *cw)
{
	cw->n_hmac = 0;
	cw->n_ctr[0] = cw->n_ctr[1] = 0;
	cw->n_gcm = 0;
	cw->gcm_got = 0;
}

/* Job filling, shared by the engine and bench/crypto_bench's raw ceiling so
 * both hand ipsec-mb exactly the same jobs. */
static inline void
crypto_fill_hmac_job(IMB_JOB *j, const struct crypto_key *k, const uint8_t *src, uint32_t len,
		     uint8_t *tag_out)
{
	j->src = src;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = tag_out;
	j->auth_tag_output_len_in_bytes = HMAC_TAG_SCRATCH;
	j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	j->hash_alg = IMB_AUTH_HMAC_SHA_1;
	j->cipher_mode = IMB_CIPHER_NULL;
}

static inline void
crypto_fill_ctr_job(IMB_JOB *j, const struct crypto_key *k, unsigned int key_len, uint8_t *buf,
		    uint32_t len, const uint8_t *iv)
{
	j->enc_keys = k->k.aes_enc;
	j->dec_keys = k->k.aes_enc;
	j->key_len_in_bytes = key_len;
	j->src = buf;
	j->dst = buf;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = len;
	j->iv = iv;
	j->iv_len_in_bytes = 16;
	j->cipher_mode = IMB_CIPHER_CNTR;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->hash_alg = IMB_AUTH_NULL;
	j->chain_order = IMB_ORDER_CIPHER_HASH;
}

static inline void
crypto_fill_gcm_job(IMB_JOB *j, const struct crypto_key *k, unsigned int key_len, int encrypt,
		    uint8_t *buf, uint32_t len, const uint8_t *iv, const uint8_t *aad,
		    uint32_t aad_len, uint8_t *tag)
{
	j->enc_keys = &k->k.gcm;
	j->dec_keys = &k->k.gcm;
	j->key_len_in_bytes = key_len;
	j->src = buf;
	j->dst = buf;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = len;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->iv = iv;
	j->iv_len_in_bytes = 12;
	j->u.GCM.aad = aad;
	j->u.GCM.aad_len_in_bytes = aad_len;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = GCM_TAG_LEN;
	j->cipher_mode = IMB_CIPHER_GCM;
	j->hash_alg = IMB_AUTH_AES_GMAC;
	j->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
}

/** Queue HMAC-SHA1 over [src, src+len), 12-byte tag into @p tag_out. */
static inline void
crypto_hmac_add(struct crypto_worker *cw, const struct crypto_key *k, const uint8_t *src,
		uint32_t len, uint8_t *tag_out)
{
	crypto_fill_hmac_job(&cw->hmac[cw->n_hmac++], k, src, len, tag_out);
}

/** Queue AES-CTR over [buf, buf+len) in place with the 16-byte @p iv. */
static inline void
crypto_ctr_add(struct crypto_worker *cw, const struct crypto_key *k, unsigned int key_len,
	       uint8_t *buf, uint32_t len, const uint8_t *iv)
{
	unsigned int g = key_len == 32;

	crypto_fill_ctr_job(&cw->ctr[g][cw->n_ctr[g]++], k, key_len, buf, len, iv);
}

/** The next GCM job to fill (in the manager's queue). The queue is empty
 *  between runs, so a whole burst of pointers is always available. */
static inline IMB_JOB *
crypto_gcm_next(struct crypto_worker *cw)
{
	if (cw->n_gcm == cw->gcm_got)
		cw->gcm_got +=
			IMB_GET_NEXT_BURST(cw->mgr, BURST_MAX - cw->gcm_got, &cw->gcm[cw->gcm_got]);
	return cw->gcm[cw->n_gcm++];
}

/** Run the queued HMAC jobs; the tags are in place afterwards. */
void crypto_hmac_run(struct crypto_worker *cw, unsigned int from);
/** Run the queued AES-CTR jobs (one submit per key size). */
void crypto_ctr_run(struct crypto_worker *cw);
/** Run the filled GCM jobs to completion; tags land where each job said. */
void crypto_gcm_run(struct crypto_worker *cw);

/* Copy a tag of one of the lengths SRTP uses (4, 10, 12, 16) with
 * fixed-size moves: a variable memcpy is a library call per packet. */
static inline void
crypto_tag_copy(uint8_t *dst, const uint8_t *src, unsigned int n)
{
	switch (n) {
	case 4: memcpy(dst, src, 4); break;
	case 10: memcpy(dst, src, 10); break;
	case 16: memcpy(dst, src, 16); break;
	default: memcpy(dst, src, n); break;
	}
}

/** Constant-time comparison of two tags (no early exit on a mismatch).
 *  @return true if equal. */
static inline bool
crypto_tag_equal(const uint8_t *a, const uint8_t *b, unsigned int n)
{
	uint64_t x, y, d = 0;
	uint32_t u, v;
	uint16_t s, t;

	switch (n) {
	case 16:
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
		d |= x ^ y;
		/* fall through */
	case 8:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return (d | (x ^ y)) == 0;
	case 10:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&s, a + 8, 2);
		memcpy(&t, b + 8, 2);
		return ((x ^ y) | (uint16_t)(s ^ t)) == 0;
	case 4:
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return (u ^ v) == 0;
	default: {
		uint8_t c = 0;

		for (unsigned int i = 0; i < n; i++)
			c |= a[i] ^ b[i];
		return c == 0;
	}
	}
}

#endif
