/* ref.h: libsrtp2 2.5 contexts set up like an srtpfwd direction, the
 * reference for the cross-check tests and the crypto benchmark.
 */
#ifndef SRTPFWD_TEST_REF_H
#define SRTPFWD_TEST_REF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "dataplane/crypto.h"

static inline void
ref_crypto_policy(enum suite s, srtp_crypto_policy_t *rtp, srtp_crypto_policy_t *rtcp)
{
	switch (s) {
	case SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		break;
	case SUITE_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp); /* RFC 4568 §6.2.1 */
		break;
	case SUITE_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		break;
	case SUITE_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		break;
	case SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		break;
	case SUITE_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
		break;
	case SUITE_NULL_HMAC_SHA1_80:
	default:
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtcp);
		break;
	}
}

/* A libsrtp session for one direction: every SSRC, or only @p ssrc when it
 * is not 0 (libsrtp then creates the stream at once, so its ROC can be set).
 * With @p mki_len the key carries that MKI; use the _mki calls. */
static inline srtp_t
ref_create_ssrc(enum suite s, const uint8_t *key, const uint8_t *salt, int inbound,
		const uint8_t *mki, unsigned int mki_len, uint32_t ssrc)
{
	static int initialised;
	srtp_policy_t p;
	unsigned char keysalt[64];
	srtp_master_key_t mk, *mks[1] = {&mk};
	srtp_t ctx;
	srtp_err_status_t err;

	if (!initialised) {
		if (srtp_init() != srtp_err_status_ok) {
			fprintf(stderr, "srtp_init failed\n");
			exit(2);
		}
		initialised = 1;
	}
	memset(&p, 0, sizeof(p));
	ref_crypto_policy(s, &p.rtp, &p.rtcp);
	memcpy(keysalt, key, suites[s].key_len);
	memcpy(keysalt + suites[s].key_len, salt, suites[s].salt_len);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	if (ssrc != 0) {
		p.ssrc.type = ssrc_specific;
		p.ssrc.value = ssrc;
	}
	p.window_size = 128;
	p.allow_repeat_tx = 0;
	if (mki_len) {
		mk.key = keysalt;
		mk.mki_id = (unsigned char *)(uintptr_t)mki;
		mk.mki_size = mki_len;
		p.keys = mks;
		p.num_master_keys = 1;
	} else {
		p.key = keysalt;
	}
	err = srtp_create(&ctx, &p);
	if (err != srtp_err_status_ok) {
		fprintf(stderr, "srtp_create(%s) failed: %d\n", suites[s].name, err);
		exit(2);
	}
	return ctx;
}

static inline srtp_t
ref_create(enum suite s, const uint8_t *key, const uint8_t *salt, int inbound, const uint8_t *mki,
	   unsigned int mki_len)
{
	return ref_create_ssrc(s, key, salt, inbound, mki, mki_len, 0);
}

/* srtp_protect / srtp_protect_rtcp, the _mki ones (MKI index 0) when the
 * key carries an MKI. */
static inline srtp_err_status_t
ref_protect(srtp_t ctx, unsigned int mki_len, int rtcp, uint8_t *buf, int *len)
{
	if (rtcp)
		return mki_len ? srtp_protect_rtcp_mki(ctx, buf, len, 1, 0)
			       : srtp_protect_rtcp(ctx, buf, len);
	return mki_len ? srtp_protect_mki(ctx, buf, len, 1, 0) : srtp_protect(ctx, buf, len);
}

/* srtp_unprotect / srtp_unprotect_rtcp, or the _mki ones. */
static inline srtp_err_status_t
ref_unprotect(srtp_t ctx, unsigned int mki_len, int rtcp, uint8_t *buf, int *len)
{
	if (rtcp)
		return mki_len ? srtp_unprotect_rtcp_mki(ctx, buf, len, 1)
			       : srtp_unprotect_rtcp(ctx, buf, len);
	return mki_len ? srtp_unprotect_mki(ctx, buf, len, 1) : srtp_unprotect(ctx, buf, len);
}

#endif
