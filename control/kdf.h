/* kdf.h: SRTP key derivation (RFC 3711 §4.3, KDR 0; RFC 6188 §7 for AES-256;
 * RFC 7714 §11 for GCM's 96-bit salts). Pure: master key in, session keys
 * out, nothing kept. Runs on the control thread when a key is installed;
 * workers only ever see the expanded result.
 */
#ifndef SRTPFWD_KDF_H
#define SRTPFWD_KDF_H

#include "dataplane/crypto.h"

enum kdf_label {
	KDF_RTP_ENC = 0,
	KDF_RTP_AUTH = 1,
	KDF_RTP_SALT = 2,
	KDF_RTCP_ENC = 3,
	KDF_RTCP_AUTH = 4,
	KDF_RTCP_SALT = 5,
};

/**
 * Derive @p len bytes for @p label: AES-CM(master_key) keystream from
 * IV = (master_salt XOR (label << 48)) << 16.
 * @param master_salt 14 bytes, or 12 (GCM) zero-padded on the right.
 */
void kdf_prf(IMB_MGR *mgr, const uint8_t *master_key, unsigned int key_len,
	     const uint8_t *master_salt, unsigned int salt_len, enum kdf_label label, uint8_t *out,
	     unsigned int len);

/** Derive all six session keys a suite uses into @p out (zeroes the rest). */
void kdf_derive(IMB_MGR *mgr, enum suite suite, const uint8_t *master_key,
		const uint8_t *master_salt, struct session_keys *out);

#endif
